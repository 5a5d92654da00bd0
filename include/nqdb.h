/*
 * nqdb.h — the public embedded API of NeuroQuantumDB.
 *
 * This is the only public header. It exposes:
 *   - opening and closing a database (one file plus a write-ahead log "<file>-wal");
 *   - transactions (explicit BEGIN/COMMIT/ROLLBACK, or autocommit per call);
 *   - named ordered key/value trees (B+ trees) with cursors and never-repeating sequences,
 *     which is the layer the SQL engine is built on and which embedders may use directly;
 *   - maintenance: checkpoint, integrity check, statistics;
 *   - online backups (full, incremental, differential), their verification and restore;
 *   - the file-system layer (nq_vfs), so that tests and embedders can substitute their own.
 *
 * Conventions
 *   - Functions that can fail return int: NQ_OK (0) or a negative NQ_E* code. The message of
 *     the last failure on a handle is nq_errmsg(db); it stays valid until the next call on db.
 *   - Ownership: every object returned through an out-pointer is owned by the caller and freed
 *     by its matching close/free call. Pointers returned by cursor accessors (nq_cursor_key,
 *     nq_cursor_value) stay valid until the cursor moves or closes.
 *   - Thread-safety: an nq_db handle is a connection and must not be used by two threads at
 *     once. For another connection to the same database, call nq_clone: all connections of
 *     one nq_open share one engine (page cache, log) and may run concurrently on different
 *     threads. Readers see a snapshot and never block; one write transaction runs at a time
 *     (others wait, up to busy_timeout_ms). A second nq_open of a file that is already open,
 *     in this process or another, gets NQ_ELOCKED.
 *   - Durability: with sync = NQ_SYNC_FULL (the default) a commit returns only after the log is
 *     durably synced; commits of several handles that arrive together share one sync.
 *     An I/O error while syncing is fail-stop: the engine refuses further writes (NQ_EFAILED)
 *     until every handle is closed and the database is reopened (which runs recovery).
 */
#ifndef NQDB_H
#define NQDB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NQ_VERSION_STRING "0.1.0"

/* ---- result codes ------------------------------------------------------------------------ */
#define NQ_OK          0
#define NQ_ERROR     (-1)   /* generic error; see message */
#define NQ_ENOMEM    (-2)   /* out of memory */
#define NQ_EIO       (-3)   /* an operating-system I/O call failed */
#define NQ_ECORRUPT  (-4)   /* a checksum or structure check failed: the file is damaged */
#define NQ_ENOSPC    (-5)   /* no space left on the device */
#define NQ_EBUSY     (-6)   /* another transaction holds what is needed; try again */
#define NQ_EREADONLY (-7)   /* write attempted in a read transaction or read-only database */
#define NQ_ENOTFOUND (-8)   /* key or name does not exist */
#define NQ_EEXIST    (-9)   /* key or name exists already */
#define NQ_EINVAL   (-10)   /* invalid argument */
#define NQ_EFAILED  (-11)   /* the engine stopped accepting writes after an I/O error */
#define NQ_ETOOBIG  (-12)   /* key or value larger than the format allows */
#define NQ_EMISUSE  (-13)   /* API used in the wrong state (e.g. COMMIT without BEGIN) */
#define NQ_ECANTOPEN (-14)  /* the file cannot be opened or is not a database */
#define NQ_ELOCKED  (-15)   /* another process has the database open */
#define NQ_ENOTSUP  (-16)   /* not supported yet */
#define NQ_ESYNTAX  (-17)   /* SQL syntax error; the message gives line and column */
#define NQ_ECONSTRAINT (-18) /* a constraint failed: NOT NULL, UNIQUE, PRIMARY KEY, CHECK, FOREIGN KEY */
#define NQ_ESCHEMA  (-19)   /* an SQL name does not resolve, or the schema changed under a statement */
#define NQ_ETYPE    (-20)   /* an SQL value has the wrong type, or an operation on it is invalid */
#define NQ_EINTERRUPT (-21) /* the statement was interrupted (nq_interrupt, progress handler) */
#define NQ_EKEY     (-22)   /* encrypted database: the key is missing or wrong, or a key was
                              * given for a database that is not encrypted */
/* Concurrency (docs/transactions.md). Each message names the transactions and objects. */
#define NQ_ESERIALIZE (-23) /* could not serialize access (SQLSTATE 40001): the transaction
                              * is rolled back; retry it */
#define NQ_EDEADLOCK (-24)  /* deadlock detected (40P01): this transaction was the victim and
                              * is rolled back */
#define NQ_ELOCKTIMEOUT (-25) /* a lock wait exceeded lock_timeout (55P03) */
#define NQ_ECONFLICT (-26)  /* READ COMMITTED: a row this statement wrote or locked was changed
                              * by a transaction that committed after the statement's snapshot;
                              * the SQL layer undoes and restarts the statement (nq_exec never
                              * returns it) */
#define NQ_ELAST    NQ_ECONFLICT /* the lowest error code: every error is in [NQ_ELAST, NQ_ERROR] */

/* nq_step results (positive: not errors) */
#define NQ_ROW       100    /* a result row is ready */
#define NQ_DONE      101    /* the statement has finished */

/* A short, static description of a result code. */
const char *nq_strerror(int code);
/* The SQLSTATE of a result code, as PostgreSQL reports it ("40001", "23505", "42601", ...;
 * "XX000" for an internal error, "00000" for NQ_OK). */
const char *nq_sqlstate(int code);

/* ---- the file-system layer ----------------------------------------------------------------
 * Every byte the engine reads or writes goes through one of these. The default (POSIX) layer is
 * nq_vfs_default(). A replacement must implement every member. Return NQ_OK or a negative NQ_E*
 * code; read returns the number of bytes read (short at end of file) or a negative code. */
typedef struct nq_file nq_file; /* opaque to the engine; defined by each VFS */

#define NQ_OPEN_CREATE    0x01
#define NQ_OPEN_READONLY  0x02

typedef struct nq_vfs {
    const char *name;
    void *ctx; /* for the VFS's own use */
    int (*open)(struct nq_vfs *vfs, const char *path, int flags, nq_file **out);
    int (*close)(nq_file *f);
    ssize_t (*read)(nq_file *f, void *buf, size_t n, uint64_t off);
    int (*write)(nq_file *f, const void *buf, size_t n, uint64_t off); /* all n or error */
    int (*sync)(nq_file *f);                 /* fdatasync: data durable on return */
    int (*truncate)(nq_file *f, uint64_t size);
    int (*size)(nq_file *f, uint64_t *out);
    int (*lock)(nq_file *f);                 /* exclusive advisory lock; NQ_ELOCKED if held */
    int (*unlock)(nq_file *f);
    int (*remove)(struct nq_vfs *vfs, const char *path);      /* NQ_ENOTFOUND if absent */
    int (*exists)(struct nq_vfs *vfs, const char *path);      /* 1, 0, or negative code */
    int (*sync_dir)(struct nq_vfs *vfs, const char *path);    /* fsync the directory of path */
    /* Atomically give file from the name to, replacing what was there (rename(2)); durable
     * after sync_dir. Used by nq_restore and nq_reencrypt; a VFS without it (NULL) cannot run them. */
    int (*rename)(struct nq_vfs *vfs, const char *from, const char *to);
    /* Optional (may be NULL): call fn(arg, name) for each file name in directory dir (names
     * without the directory; "." and ".." left out); stop and return fn's value when it is
     * non-zero. NQ_ENOTFOUND when dir does not exist. Used to find the segments of a log
     * archive; NULL means the archive lists the directory with opendir(3). */
    int (*list)(struct nq_vfs *vfs, const char *dir, int (*fn)(void *arg, const char *name),
                void *arg);
} nq_vfs;

nq_vfs *nq_vfs_default(void);

/* ---- opening ------------------------------------------------------------------------------ */
typedef struct nq_db nq_db;
typedef struct nq_tree nq_tree; /* a named key/value tree: "key/value trees" below */

#define NQ_SYNC_FULL 0 /* commit = durable (fdatasync of the log) */
#define NQ_SYNC_OFF  1 /* no syncs: fast, survives a process crash but not a power loss */

typedef struct nq_options {
    uint32_t page_size;          /* new files only: 1024..65536, power of two; 0 = 4096 */
    size_t cache_bytes;          /* buffer-pool budget shared by all handles; 0 = 16 MiB */
    uint32_t checkpoint_pages;   /* auto-checkpoint when the log holds this many frames; 0 = 1000 */
    int sync;                    /* NQ_SYNC_FULL or NQ_SYNC_OFF */
    int read_only;               /* 1 = open read-only (file must exist) */
    int no_create;               /* 1 = fail with NQ_ECANTOPEN if the file does not exist */
    unsigned busy_timeout_ms;    /* how long a writer waits for another writer; 0 = 5000 */
    nq_vfs *vfs;                 /* NULL = nq_vfs_default() */
    /* Log archiving for point-in-time recovery (docs/backup.md): NULL = off. Before every
     * restart of the log (a checkpoint, and the last close) its committed transactions are
     * copied into a new segment file of this directory and made durable; only then does the
     * log restart. A failure keeps the log (it grows) and is reported by the checkpoint, by
     * nq_close, nq_get_stats (archive_failures) and nq_archive_error; no frame is lost. The
     * directory is created if missing (with the default VFS). One database per directory. */
    const char *archive_dir;
    /* Learned prefetching (docs/storage.md, "Learned prefetching"): the buffer pool learns
     * which page follows which and loads predicted pages ahead, as cold images.
     * NQ_PREFETCH_OFF (0, the default), NQ_PREFETCH_ON (a background thread per engine), or
     * NQ_PREFETCH_INLINE (loaded by the reading thread at once: deterministic, for tests). */
    int prefetch;
    /* 1 = do not learn the SQL workload (docs/neuromorphic.md, "A database that learns its
     * workload"): no synaptic network is fed, the index advisor has nothing to advise. */
    int workload_off;
    /* Encryption at rest (docs/security.md): at most one of key_file and passphrase. A new
     * database given one is created encrypted (AES-256-GCM of every page under a random data
     * key wrapped to this key; page_size >= 2048); an encrypted database needs its key, and a
     * plain one refuses a key: both fail with NQ_EKEY and a message, touching nothing. The
     * strings are used during nq_open only (not kept). */
    const char *key_file;        /* ML-KEM-768 secret key file (nq_keygen), mode 600 */
    const char *passphrase;      /* the key-encryption key comes from Argon2id(passphrase) */
    uint32_t kdf_iterations;     /* Argon2id for a new wrap with a passphrase: 0 = 3 */
    uint32_t kdf_memory_kib;     /* 0 = 65536 (64 MiB) */
    /* Concurrency (docs/transactions.md). */
    int isolation;               /* default isolation of SQL transactions: NQ_ISO_*; 0 = READ
                                    COMMITTED */
    unsigned lock_timeout_ms;    /* a lock wait fails with NQ_ELOCKTIMEOUT after this; 0 = wait
                                    without limit (deadlocks are still detected) */
    unsigned deadlock_timeout_ms; /* a lock wait this long runs the deadlock check; 0 = 1000 */
} nq_options;

/* Isolation levels of concurrent transactions (nq_begin_concurrent). */
#define NQ_ISO_DEFAULT         0 /* nq_options.isolation */
#define NQ_ISO_READ_COMMITTED  1 /* a fresh snapshot per statement (nq_txn_statement) */
#define NQ_ISO_REPEATABLE_READ 2 /* snapshot isolation: one snapshot per transaction,
                                    first-committer-wins on written rows */
#define NQ_ISO_SERIALIZABLE    3 /* snapshot isolation plus commit-time validation of what
                                    the transaction read: serializable in commit order */
/* The level of a name, as SQL writes it ("read committed", "REPEATABLE READ"; '_' or '-'
 * may stand for the blank: "repeatable_read"), case-insensitive; "read uncommitted" is READ
 * COMMITTED (as in PostgreSQL). NQ_EINVAL for anything else. */
int nq_isolation_parse(const char *name);
/* "read committed", "repeatable read", "serializable"; NULL for another value. */
const char *nq_isolation_name(int isolation);

#define NQ_PREFETCH_OFF    0
#define NQ_PREFETCH_ON     1
#define NQ_PREFETCH_INLINE 2

/* Fill *o with the defaults. */
void nq_options_init(nq_options *o);

/* Open (creating if needed) the database at path. opts may be NULL. On failure *out is NULL
 * unless the handle could be made, in which case it carries the message: call nq_errmsg, then
 * nq_close. Recovery of the log runs here. */
int nq_open(const char *path, const nq_options *opts, nq_db **out);
/* Another connection to the same database (shares the engine; options are inherited). */
int nq_clone(nq_db *db, nq_db **out);
/* Close a handle; rolls back an open transaction and closes its cursors. Closing the last
 * connection of an engine checkpoints the log into the file and closes the files. */
int nq_close(nq_db *db);

int nq_errcode(const nq_db *db);
const char *nq_errmsg(const nq_db *db);

/* ---- transactions ------------------------------------------------------------------------ */
#define NQ_TXN_READ  0
#define NQ_TXN_WRITE 1

int nq_begin(nq_db *db, int mode);
int nq_commit(nq_db *db);
int nq_rollback(nq_db *db);
/* 1 if a transaction is open on db (and *mode set if mode is not NULL), else 0. */
int nq_in_txn(const nq_db *db, int *mode);

/* ---- concurrent transactions (docs/transactions.md) ----------------------------------------
 * nq_begin(db, NQ_TXN_WRITE) is an exclusive writer: one at a time per database. A concurrent
 * transaction instead reads a snapshot and keeps its writes private (a write set per tree,
 * seen by its own reads) until nq_commit, which validates them and applies them in one short
 * critical section; many run at once. Every key it writes is locked (exclusive row lock, held
 * to the end) so a second writer of the same key waits; a key committed by another
 * transaction after the snapshot fails with NQ_ESERIALIZE (REPEATABLE READ, SERIALIZABLE) or
 * NQ_ECONFLICT (READ COMMITTED). Lock waits detect deadlocks (NQ_EDEADLOCK) and honour
 * lock_timeout_ms (NQ_ELOCKTIMEOUT). Creating or dropping a tree, or a write set too large to
 * keep in memory, turns the transaction into the exclusive writer (it waits for the other
 * writers to finish). After NQ_ESERIALIZE or NQ_EDEADLOCK the transaction is rolled back. */
#define NQ_TXN_CONCURRENT 2
int nq_begin_concurrent(nq_db *db, int isolation);
/* A new statement starts in the open transaction: READ COMMITTED takes a fresh snapshot (its
 * own writes stay visible); REPEATABLE READ and SERIALIZABLE take one only if the transaction
 * has not read or written anything yet (their snapshot is that of their first statement, as
 * in PostgreSQL; locks taken before do not count), else do nothing. */
int nq_txn_statement(nq_db *db);
/* Savepoints of the open transaction's write set: a mark, and undoing every write made after
 * a mark (locks stay held). Exclusive transactions: marks are 0 and rollback is NQ_ENOTSUP. */
int nq_txn_mark(nq_db *db, uint64_t *mark);
int nq_txn_rollback_to(nq_db *db, uint64_t mark);
/* Turn the open concurrent transaction into the exclusive writer now (before DDL). */
int nq_txn_exclusive(nq_db *db);

/* Explicit locks, held until the transaction ends. Row locks on a key of a tree (the key need
 * not exist: a unique index locks the indexed values as a key prefix); table-level locks on
 * any name, in PostgreSQL's eight modes with PostgreSQL's conflict table. A row lock also
 * checks, like a write, that no transaction committed a change to the key after the
 * snapshot. NQ_LOCK_NOWAIT or'ed into mode: fail with NQ_ELOCKTIMEOUT at once instead of waiting. */
#define NQ_LOCK_ROW_SHARE_KEY   1  /* SELECT ... FOR SHARE, foreign-key checks */
#define NQ_LOCK_ROW_UPDATE_KEY  2  /* SELECT ... FOR UPDATE, writes */
#define NQ_LOCK_ACCESS_SHARE          11
#define NQ_LOCK_ROW_SHARE             12
#define NQ_LOCK_ROW_EXCLUSIVE         13
#define NQ_LOCK_SHARE_UPDATE_EXCLUSIVE 14
#define NQ_LOCK_SHARE                 15
#define NQ_LOCK_SHARE_ROW_EXCLUSIVE   16
#define NQ_LOCK_EXCLUSIVE             17
#define NQ_LOCK_ACCESS_EXCLUSIVE      18
#define NQ_LOCK_NOWAIT 0x100
/* Or'ed into the mode of nq_lock_key: the key also counts as written by this transaction when
 * it commits (its value is not touched), so a transaction that later locks the same key after
 * this one committed fails as after a write of it (unique-value prefixes of an index). Kept
 * across nq_txn_rollback_to, like the lock. */
#define NQ_LOCK_WRITTEN 0x200
int nq_lock_key(nq_tree *t, const void *key, size_t klen, int mode);
int nq_lock_name(nq_db *db, const char *name, int mode);
/* An in-memory claim for new integer keys (rowids): returns max(floor, the last claim) + 1 and
 * remembers it, so concurrent transactions inserting into one tree get different keys. Not
 * persistent: after a restart claims start again from the data. */
int nq_key_claim(nq_tree *t, int64_t floor, int64_t *out);

/* What a connection's transaction is doing, for monitoring and tests (any thread may call). */
typedef struct nq_txn_info {
    uint64_t txid;         /* 0 = no transaction */
    int mode;              /* NQ_TXN_READ, NQ_TXN_WRITE or NQ_TXN_CONCURRENT */
    int isolation;         /* NQ_ISO_* of a concurrent transaction */
    uint64_t snapshot_seq; /* commit sequence its snapshot reads at */
    int waiting;           /* 1 while blocked in a lock wait */
    uint64_t writes;       /* entries in its write set */
} nq_txn_info;
int nq_txn_info_get(nq_db *db, nq_txn_info *out);

/* ---- key/value trees ----------------------------------------------------------------------
 * A tree is a named B+ tree of (key, value) byte strings ordered by memcmp of the key.
 * Keys are 1..NQ_MAX_KEY bytes (less for very small pages: nq_max_key(db)); values any length
 * up to 1 GiB (large ones go to overflow pages). Without an explicit transaction, each call
 * runs in its own (autocommit) transaction. */
#define NQ_MAX_KEY 1024

typedef struct nq_cursor nq_cursor;

#define NQ_TREE_CREATE 0x01 /* create if it does not exist */

int nq_tree_open(nq_db *db, const char *name, int flags, nq_tree **out);
void nq_tree_close(nq_tree *t);
int nq_tree_drop(nq_db *db, const char *name); /* frees every page of the tree */
size_t nq_max_key(const nq_db *db);
/* Call fn once per tree name, in name order (inside the open transaction, or a read one). */
int nq_tree_list(nq_db *db, void (*fn)(void *arg, const char *name), void *arg);

#define NQ_PUT_NOOVERWRITE 0x01 /* NQ_EEXIST if the key exists */

int nq_put(nq_tree *t, const void *key, size_t klen, const void *val, size_t vlen, int flags);
/* Copies the value into a malloc'd buffer *val (caller frees with free()); NQ_ENOTFOUND if absent. */
int nq_get(nq_tree *t, const void *key, size_t klen, void **val, size_t *vlen);
int nq_del(nq_tree *t, const void *key, size_t klen); /* NQ_ENOTFOUND if absent */
/* Next value of the tree's sequence: starts at 1 and strictly increases. A value is never
 * handed out twice while the database stays open (a rolled-back transaction's values are
 * skipped, not reissued), and never after a committed transaction used it, crash or not.
 * Dropping a tree drops its sequence: a tree created later starts at 1 again. */
int nq_seq_next(nq_tree *t, uint64_t *out);
/* Number of entries (walks the tree). */
int nq_tree_count(nq_tree *t, uint64_t *out);
/* Estimated number of entries from one root-to-leaf path: exact for a one-page tree, within a
 * small factor otherwise; costs as much as one lookup (the SQL planner uses it). */
int nq_tree_estimate(nq_tree *t, uint64_t *out);

/* Cursors read within the transaction that is open when they are created (or an implicit
 * read transaction held until nq_cursor_close). Ending that transaction (commit or rollback)
 * invalidates its cursors: every call on them then returns NQ_EMISUSE until they are closed.
 * Within a write transaction a cursor stays usable across puts and deletes on its tree. */
#define NQ_SEEK_GE 0 /* first key >= given */
#define NQ_SEEK_LE 1 /* last key <= given */
#define NQ_SEEK_EQ 2 /* exactly the given key */

int nq_cursor_open(nq_tree *t, nq_cursor **out);
/* Leave this cursor's reads out of a SERIALIZABLE transaction's read set (no effect
 * otherwise). Only for a read whose result merely picks a new key — the largest rowid, for the
 * next one — where a clash is caught on the written key itself (its row lock and the
 * first-committer-wins check): validating it would make every two concurrent inserts into one
 * table conflict. */
void nq_cursor_norecord(nq_cursor *c);
void nq_cursor_close(nq_cursor *c);
int nq_cursor_first(nq_cursor *c);  /* NQ_ENOTFOUND on an empty tree */
int nq_cursor_last(nq_cursor *c);
int nq_cursor_seek(nq_cursor *c, const void *key, size_t klen, int how);
int nq_cursor_next(nq_cursor *c);   /* NQ_ENOTFOUND past the end */
int nq_cursor_prev(nq_cursor *c);
int nq_cursor_valid(const nq_cursor *c);
const void *nq_cursor_key(nq_cursor *c, size_t *klen);
/* The whole value (read from overflow pages if needed); NULL with *vlen = 0 on error. */
const void *nq_cursor_value(nq_cursor *c, size_t *vlen);

/* ---- maintenance -------------------------------------------------------------------------- */
/* Copy committed pages from the log into the database file and restart the log. Waits for
 * readers of older snapshots (up to busy_timeout_ms, then NQ_EBUSY). */
int nq_checkpoint(nq_db *db);

/* Log fsync durations are counted in NQ_FSYNC_BUCKETS buckets: bucket i (i < last) holds the
 * fsyncs that took more than bound[i-1] and at most bound[i] microseconds, bound =
 * NQ_FSYNC_BOUNDS_US; the last bucket holds those longer than the last bound. */
#define NQ_FSYNC_BUCKETS 11
#define NQ_FSYNC_BOUNDS_US {100, 500, 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000}

/* Figures of the engine (shared by every connection of it), counted since it was opened. */
typedef struct nq_stats {
    uint64_t cache_hits, cache_misses, cache_evictions; /* buffer pool lookups and evictions */
    double cache_hit_rate;       /* hits / (hits + misses); 0 when there were no lookups */
    uint64_t cache_pages, cache_capacity_pages; /* pages in the pool now; its capacity */
    uint64_t page_size, page_count, freelist_pages; /* of the durable database */
    uint64_t wal_frames;         /* durable frames in the current log (0 after a restart) */
    uint64_t checkpoints, commits;
    uint64_t syncs;              /* group-commit syncs (one may cover many commits) */
    uint64_t wal_bytes_written;  /* bytes written to the log file: frames and headers */
    uint64_t wal_fsyncs;         /* fsyncs of the log file (none when syncing is off) */
    uint64_t wal_fsync_ns;       /* their total duration in nanoseconds (monotonic clock) */
    uint64_t wal_fsync_hist[NQ_FSYNC_BUCKETS]; /* their durations, NQ_FSYNC_BOUNDS_US buckets */
    uint64_t archived_segments;  /* log segments written into the archive (nq_options.archive_dir) */
    uint64_t archived_bytes;     /* their size */
    uint64_t archive_ns;         /* time spent writing them (monotonic clock) */
    uint64_t archive_failures;   /* attempts that failed (the log was kept each time) */
    /* learned prefetching (nq_options.prefetch; all 0 when off): pages predicted, prefetches
     * issued (queued for the thread, or loaded inline), images loaded by them, of those later
     * hit by a query (used) or evicted unused (wasted), and predictions dropped (queue full,
     * or the pool already held its budget/8 of unused prefetched images) */
    uint64_t prefetch_predicted, prefetch_issued, prefetch_loaded;
    uint64_t prefetch_used, prefetch_wasted, prefetch_dropped;
    /* concurrency (docs/transactions.md) */
    uint64_t txn_active;         /* transactions open now (read, exclusive and concurrent) */
    uint64_t txn_commits_concurrent; /* concurrent transactions committed */
    uint64_t txn_serialization_failures; /* NQ_ESERIALIZE returned */
    uint64_t txn_deadlocks;      /* deadlock victims */
    uint64_t lock_waits, lock_timeouts; /* lock requests that had to wait; of them timed out */
    uint64_t lock_wait_ns;       /* total time spent waiting for locks */
    /* old versions: committed log frames that a checkpoint cannot yet copy back because a
     * snapshot still reads an older version of their page (garbage kept for that snapshot) */
    uint64_t oldest_snapshot_age_ms; /* age of the oldest open snapshot; 0 = none */
    uint64_t oldest_snapshot_seq;    /* its commit sequence */
    uint64_t frames_retained;        /* log frames kept for it */
} nq_stats;

int nq_get_stats(nq_db *db, nq_stats *out);
/* The message of the last archiving attempt if it failed, else "" (into out, n bytes). */
void nq_archive_error(nq_db *db, char *out, size_t n);

/* Walk every tree, the free list and every page checksum. Each problem found is passed to
 * report (may be NULL). Returns NQ_OK if none was found, NQ_ECORRUPT otherwise, or another
 * code if the check could not run. *problems (may be NULL) receives the count. */
typedef void (*nq_report_fn)(void *arg, const char *problem);
int nq_check(nq_db *db, nq_report_fn report, void *arg, uint64_t *problems);

/* ---- backup and restore (docs/backup.md) ---------------------------------------------------
 * An online backup copies the committed pages of one snapshot (a read transaction: each page
 * from the log where the snapshot sees it there, from the database file otherwise) into a
 * directory, beside readers and writers, which it never blocks. The directory then holds
 * pages.dat (pages.dat.zst with NQ_BACKUP_COMPRESS), pagemap (every page's number, commit
 * sequence and checksum) and a MANIFEST (format version, backup id, database id, kind, parent and base
 * backup, page size and count, the snapshot's commit sequence, creation time, SHA3-256 of the
 * data, of the snapshot's page map and of the manifest itself). The manifest is written last:
 * an interrupted backup has none and never verifies.
 *   full          every page of the snapshot;
 *   incremental   the pages changed since the snapshot of its parent, any earlier backup of
 *                 the chain (the CLI takes the latest one);
 *   differential  the pages changed since the snapshot of its parent, a full backup.
 * "Changed" is decided exactly by the commit sequence number every page carries in its
 * trailer (the transaction that last wrote it), compared with the parent's snapshot; every
 * page not taken must be the version the parent's pagemap records, else the database has left
 * the chain (restored from an older backup and changed since) and the backup is refused.
 * The first backup of a database gives it a random database id (header meta slot 2) in a
 * small write transaction, unless it is open read-only. */
#define NQ_BACKUP_FULL         0
#define NQ_BACKUP_INCREMENTAL  1
#define NQ_BACKUP_DIFFERENTIAL 2
#define NQ_BACKUP_COMPRESS  0x100 /* or'ed into kind: the data file is zstd-compressed */

typedef struct nq_backup_info {
    int kind;                     /* NQ_BACKUP_* */
    char backup_id[33];           /* 32 hex digits */
    char parent_id[33];           /* "" for a full backup */
    char base_id[33];             /* the full backup at the root of its chain */
    char database_id[17];         /* 16 hex digits */
    char created[24];             /* UTC, ISO 8601: "2026-11-24T09:30:00Z" */
    uint32_t page_size, page_count; /* of the snapshot */
    uint32_t pages;               /* page images stored in this backup */
    uint64_t commit_seq;          /* the snapshot's commit sequence number */
    uint64_t data_bytes;          /* size of its data file as stored */
    int compressed;               /* 1: the data file is pages.dat.zst */
    int encrypted;                /* 1: the data file is encrypted (ML-KEM-768 + AES-256-GCM) */
    char encrypted_to[17];        /* then: the fingerprint of the key it is encrypted to */
    int is_signed;                /* 1: a signature (MANIFEST.sig) is there (not checked here) */
} nq_backup_info;

/* Back up db's latest committed snapshot into dir, an existing directory that holds no backup
 * yet (files are written through the database's VFS). kind is NQ_BACKUP_*, with
 * NQ_BACKUP_COMPRESS or'ed in for a zstd-compressed data file; parent_dir is the
 * backup an incremental or differential one builds on (NULL for full). info may be NULL.
 * Must not be called inside a transaction on db; other connections go on meanwhile. On failure
 * the message is in nq_errmsg(db) and dir holds no manifest. */
int nq_backup(nq_db *db, const char *dir, int kind, const char *parent_dir, nq_backup_info *info);

/* Signed and encrypted backups (docs/backup.md, "Keys", "Signed backups", "Encrypted
 * backups"). nq_backup_keygen writes four key files into dir (created if missing; existing
 * key files are never overwritten): backup-sign.key (ML-DSA-65 secret key, mode 600),
 * backup-sign.pub, backup-kem.key (ML-KEM-768 decapsulation key, mode 600), backup-kem.pub.
 * nq_backup_ex takes a backup as nq_backup does, and with sign_key (a backup-sign.key file)
 * writes MANIFEST.sig, the ML-DSA-65 signature of the manifest's bytes; with encrypt_key (a
 * backup-kem.pub file) encrypts the data file with AES-256-GCM under a fresh data key that only
 * the matching backup-kem.key can recover (the manifest and the page map are not encrypted:
 * they hold checksums, page numbers and commit sequences, no data). Compression comes before
 * encryption. A secret key file readable by group or others is refused. */
typedef struct nq_backup_options {
    int kind;                     /* NQ_BACKUP_*, NQ_BACKUP_COMPRESS or'ed in */
    const char *sign_key;         /* ML-DSA-65 secret key file, or NULL: not signed */
    const char *encrypt_key;      /* ML-KEM-768 public key file, or NULL: not encrypted */
} nq_backup_options;
int nq_backup_ex(nq_db *db, const char *dir, const char *parent_dir, const nq_backup_options *opts,
                 nq_backup_info *info);
int nq_backup_chain_take_ex(nq_db *db, const char *dest, const nq_backup_options *opts, char *dir,
                            size_t dircap, nq_backup_info *info);
int nq_backup_keygen(const char *dir, char *errmsg, size_t errlen);

/* ---- encryption at rest (docs/security.md) -------------------------------------------------
 * A key file for encrypted databases: one ML-KEM-768 secret key, mode 600, never overwritten
 * (the same format as nq_backup_keygen's backup-kem.key, which also serves). */
int nq_keygen(const char *path, char *errmsg, size_t errlen);
/* 1 when db is encrypted (desc, if n > 0, describes the key-encryption key, never the key
 * itself), 0 when it is not. */
int nq_encryption(nq_db *db, char *desc, size_t n);
/* Re-wrap the data key under newkey's key_file or passphrase (and kdf_*): cheap, atomic and
 * crash-safe (one commit rewriting page 1; until it returns the old key opens the database,
 * after it the new one). Every page keeps its data key: to retire a compromised data key use
 * nq_reencrypt. */
int nq_rekey(nq_db *db, const nq_options *newkey);
/* Re-encrypt every page of the (closed) database at path under a fresh data key wrapped to
 * newkey: opts carries the current key (and vfs); a complete new file is written beside it
 * ("<path>.rekey"), synced, and renamed over path, so a crash at any point leaves either the
 * old database (old key) or the new one (new key). A plain database (or no current key):
 * NQ_EKEY. */
int nq_reencrypt(const char *path, const nq_options *opts, const nq_options *newkey,
                 char *errmsg, size_t errlen);
/* Keys for verify and restore (nq_restore_keys: below nq_restore_ex). sign_pubkey (a backup-sign.pub file): every backup of the
 * chain must carry a valid signature by that key, else it is refused naming the file.
 * decrypt_key (a backup-kem.key file): encrypted data files are decrypted and checked chunk by
 * chunk; restoring an encrypted backup needs it, verifying one without it checks the file as
 * stored (size, SHA3-256, chunk layout) but not the pages inside. */
typedef struct nq_backup_keys {
    const char *sign_pubkey;      /* or NULL: signatures are not checked */
    const char *decrypt_key;      /* or NULL */
} nq_backup_keys;
int nq_backup_verify_ex(nq_vfs *vfs, const char *const *dirs, int n, const nq_backup_keys *keys,
                        char *errmsg, size_t errlen);

/* Read a backup's manifest and check its own checksum (not the data). vfs NULL = default.
 * On failure errmsg (errlen bytes, may be NULL) receives a message naming the file. */
int nq_backup_read(nq_vfs *vfs, const char *dir, nq_backup_info *info, char *errmsg,
                   size_t errlen);
/* Check every checksum of the backups dirs[0..n) and that they form a chain: a full backup,
 * then backups each built on the one before it, of one database. */
int nq_backup_verify(nq_vfs *vfs, const char *const *dirs, int n, char *errmsg, size_t errlen);

/* Rebuild a database file at target from the chain dirs[0..n): built as "<target>.restoring",
 * every checksum verified on the way, and renamed over target only when all of them held. An existing target (or its log) is refused with NQ_EEXIST unless
 * flags has NQ_RESTORE_FORCE, and a target some process has open is never replaced. The header
 * page is written last, after every other page is synced and the whole snapshot's page map
 * matched the manifest. A failed or interrupted restore leaves target as it was. The VFS must
 * have rename. */
#define NQ_RESTORE_FORCE 0x01
int nq_restore(nq_vfs *vfs, const char *const *dirs, int n, const char *target, int flags,
               char *errmsg, size_t errlen);

/* Point-in-time recovery: nq_restore, then the transactions of a log archive (see
 * nq_options.archive_dir) that follow the chain's snapshot, in order, up to and including the
 * last one whose commit sequence number is <= until (NQ_UNTIL_SEQ) or whose commit time is <=
 * until (NQ_UNTIL_TIME, microseconds since 1970 UTC). Every segment used is verified first
 * (SHA3-256, frames, transaction order); a transaction missing between the snapshot and the
 * target is refused naming the missing range, and so is a target beyond the archive's last
 * commit (the rest of the history may still be in the database's live log: restore to the
 * archive's end by giving its last commit). The target is written as by nq_restore (header
 * last, synced, renamed). until_kind NQ_UNTIL_NONE is nq_restore. result may be NULL. */
#define NQ_UNTIL_NONE 0
#define NQ_UNTIL_SEQ  1
#define NQ_UNTIL_TIME 2
typedef struct nq_restore_opts {
    int flags;               /* NQ_RESTORE_FORCE */
    int until_kind;          /* NQ_UNTIL_* */
    uint64_t until;          /* a commit sequence number, or µs since 1970 UTC */
    const char *archive_dir; /* the log archive (required with until_kind != NQ_UNTIL_NONE) */
} nq_restore_opts;
typedef struct nq_restore_result {
    uint64_t commit_seq;     /* the restored database's last commit */
    uint64_t commit_time;    /* its time, µs since 1970 UTC (0 = not recorded) */
    uint32_t page_count;
    uint64_t backup_seq;     /* the chain's snapshot */
    uint64_t txns_applied;   /* archived transactions applied after it */
    unsigned segments_used;
} nq_restore_result;
int nq_restore_ex(nq_vfs *vfs, const char *const *dirs, int n, const char *target,
                  const nq_restore_opts *opts, nq_restore_result *result, char *errmsg,
                  size_t errlen);
/* nq_restore_ex with the keys of signed and encrypted backups (nq_backup_keys, above; NULL =
 * none): with keys->sign_pubkey every backup of the chain must be signed by that key, and an
 * encrypted backup needs keys->decrypt_key. opts and result may be NULL. */
int nq_restore_keys(nq_vfs *vfs, const char *const *dirs, int n, const char *target,
                    const nq_restore_opts *opts, const nq_backup_keys *keys,
                    nq_restore_result *result, char *errmsg, size_t errlen);

/* Check a log archive: every segment's SHA3-256, frames and transaction order, and that
 * consecutive segments continue each other. info may be NULL. */
typedef struct nq_archive_info {
    unsigned segments;
    uint64_t first_seq, last_seq;   /* first and last archived commit (0 when empty) */
    uint64_t first_time, last_time;
    uint64_t txns, bytes;
    char database_id[17];
} nq_archive_info;
int nq_archive_verify(nq_vfs *vfs, const char *dir, nq_archive_info *info, char *errmsg,
                      size_t errlen);
/* Remove the segments of a log archive whose last commit is <= upto_seq (oldest first, so an
 * interrupted prune leaves no gap), e.g. the commit-seq of the oldest full backup still kept:
 * nothing before it can be restored any more. *removed (may be NULL) counts them. */
int nq_archive_prune(nq_vfs *vfs, const char *dir, uint64_t upto_seq, unsigned *removed,
                     char *errmsg, size_t errlen);
/* The same for the archive of a chain directory: upto_seq is the commit-seq of the oldest full
 * backup in dest (nothing is removed when dest has none). *upto (may be NULL) receives it. */
int nq_archive_prune_chain(const char *dest, const char *dir, unsigned *removed, uint64_t *upto,
                           char *errmsg, size_t errlen);
/* Parse "2026-11-24T12:00:00Z" (optionally with .ffffff fractions of a second) into µs since
 * 1970 UTC. 0 or NQ_EINVAL. */
int nq_parse_utc(const char *s, uint64_t *us);

/* ---- chain directories of backups (docs/backup.md) ----------------------------------------
 * A chain directory holds backups in numbered subdirectories NNNN-full, NNNN-incremental,
 * NNNN-differential (0001 first); only those whose manifest reads back count. */
typedef struct nq_backup_entry {
    unsigned num;          /* NNNN */
    char name[64];         /* "0003-incremental" */
    nq_backup_info info;
} nq_backup_entry;

/* The backups in dest, by number. *out is malloc'd (free() it; NULL when there are none). A
 * missing dest is an empty list. errmsg (may be NULL) receives the reason on failure. */
int nq_backup_chain_list(const char *dest, nq_backup_entry **out, size_t *n, char *errmsg,
                         size_t errlen);
/* Take the next backup of db into dest (created if missing): kind as for nq_backup; an
 * incremental one builds on the latest backup in dest, a differential one on the latest full
 * one (NQ_ENOTFOUND when there is none). The directory written goes to dir (dircap bytes, may
 * be NULL). Safe against concurrent takers: each claims its number with mkdir. */
int nq_backup_chain_take(nq_db *db, const char *dest, int kind, char *dir, size_t dircap,
                         nq_backup_info *info);
/* Keep the newest keep_full (>= 1) full backups of dest and the backups that follow the oldest
 * of them; remove the older ones (newest first, so an interrupted prune leaves whole chains).
 * *removed (may be NULL) counts the backups removed. */
int nq_backup_chain_prune(const char *dest, unsigned keep_full, unsigned *removed, char *errmsg,
                          size_t errlen);

/* ---- SQL ----------------------------------------------------------------------------------
 * QSQL statements (docs/qsql.md) run on the same connection as the key/value calls. The shape
 * is SQLite's: prepare one statement, bind its parameters, step through its rows, read columns,
 * finalize. A connection runs in autocommit mode (each statement is its own transaction) until
 * SQL BEGIN; BEGIN ... COMMIT/ROLLBACK and SAVEPOINT/RELEASE/ROLLBACK TO nest as in PostgreSQL.
 * Each statement is atomic: when it fails, every change it made is undone, and an explicit
 * transaction stays open with its earlier statements' changes.
 *
 * Errors carry the position of the offending text where there is one:
 *   near "FORM": syntax error at line 1, column 15
 *   no such column: x at line 1, column 8
 */
typedef struct nq_stmt nq_stmt;

/* Value types as nq_column_type reports them. */
#define NQ_TYPE_NULL      0
#define NQ_TYPE_INTEGER   1
#define NQ_TYPE_REAL      2
#define NQ_TYPE_TEXT      3
#define NQ_TYPE_BLOB      4
#define NQ_TYPE_BOOLEAN   5
#define NQ_TYPE_DATE      6
#define NQ_TYPE_TIME      7
#define NQ_TYPE_TIMESTAMP 8
#define NQ_TYPE_VECTOR    9

/* Compile the first statement of sql (len bytes, or up to the NUL when len is (size_t)-1).
 * *tail (may be NULL) receives where the next statement starts; *out is NULL when sql holds
 * only whitespace, comments and semicolons. */
int nq_prepare(nq_db *db, const char *sql, size_t len, nq_stmt **out, const char **tail);
/* Run to the next row: NQ_ROW, NQ_DONE, or a negative error code (message in nq_errmsg). */
int nq_step(nq_stmt *st);
/* Back to the start, keeping the bindings. */
int nq_reset(nq_stmt *st);
int nq_finalize(nq_stmt *st); /* NULL is fine */
const char *nq_stmt_sql(const nq_stmt *st);
int nq_stmt_readonly(const nq_stmt *st); /* 1 if it cannot change the database */
/* The statement's kind as QSQL names it ("SELECT", "INSERT", "CREATE TABLE", "BEGIN", ...),
 * and the table an INSERT, UPDATE, DELETE or TRUNCATE writes (NULL for other statements; rows
 * changed by foreign-key cascades in other tables are not named). Valid until finalize. */
const char *nq_stmt_kind(const nq_stmt *st);
const char *nq_stmt_table(const nq_stmt *st);

/* Parameters: ?, ?N, $N and :name. Indexes are 1-based; nq_bind_index maps ":name" (with
 * its prefix) to an index, 0 if unknown. Text and blobs are copied. */
int nq_bind_count(const nq_stmt *st);
int nq_bind_index(const nq_stmt *st, const char *name);
const char *nq_bind_name(const nq_stmt *st, int i);
int nq_bind_null(nq_stmt *st, int i);
int nq_bind_int64(nq_stmt *st, int i, int64_t v);
int nq_bind_double(nq_stmt *st, int i, double v);
int nq_bind_bool(nq_stmt *st, int i, int v);
int nq_bind_text(nq_stmt *st, int i, const char *s, size_t len); /* len (size_t)-1: strlen */
int nq_bind_blob(nq_stmt *st, int i, const void *p, size_t len);
int nq_clear_bindings(nq_stmt *st);

/* Result columns of the current row (valid after NQ_ROW, until the next step/reset/finalize). */
int nq_column_count(const nq_stmt *st);
const char *nq_column_name(const nq_stmt *st, int i);
int nq_column_type(nq_stmt *st, int i);          /* NQ_TYPE_* of the current value */
int64_t nq_column_int64(nq_stmt *st, int i);     /* numbers converted; other types 0 */
double nq_column_double(nq_stmt *st, int i);
/* Any value as text, the way the shell prints it (NULL for an SQL NULL). */
const char *nq_column_text(nq_stmt *st, int i);
const void *nq_column_blob(nq_stmt *st, int i);  /* TEXT, BLOB, VECTOR bytes */
size_t nq_column_bytes(nq_stmt *st, int i);

/* Rows changed by the last INSERT/UPDATE/DELETE, and the rowid of the last inserted row. */
int64_t nq_changes(const nq_db *db);
int64_t nq_last_insert_rowid(const nq_db *db);
/* Where the last error points into the statement text (1-based; 0 when it has no position). */
void nq_error_position(const nq_db *db, unsigned *line, unsigned *col);

/* Stopping long statements. nq_interrupt may be called from any thread: the statement running
 * on db (if any) stops at its next check with NQ_EINTERRUPT and is undone like any failed
 * statement. A progress handler is called about every `every` steps of the executor (operator
 * calls); a non-zero return interrupts the statement the same way. every = 0 removes it. */
typedef int (*nq_progress_fn)(void *arg);
void nq_interrupt(nq_db *db);
void nq_progress_handler(nq_db *db, unsigned every, nq_progress_fn fn, void *arg);

/* Run every statement of sql in turn; for each result row call cb (may be NULL) with the
 * values as text (NULL for SQL NULL) and the column names. A non-zero return from cb stops with
 * NQ_ERROR "callback requested abort". Stops at the first error. */
typedef int (*nq_exec_fn)(void *arg, int ncols, const char *const *values,
                          const char *const *names);
int nq_exec(nq_db *db, const char *sql, nq_exec_fn cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* NQDB_H */
