/*
 * api_int.h — the objects behind the public handles of include/nqdb.h.
 *
 *   nq_engine  one open database: the pager (files, log, buffer pool) plus the state every
 *              connection shares (sequence high-water marks). Reference-counted by its
 *              connections; the last nq_close closes it.
 *   nq_db      a connection: its explicit transaction (if any), its last error, the cursors
 *              and tree handles opened through it.
 *   nq_tree    a named tree: name and root page, re-resolved through the catalog whenever
 *              the schema cookie (header meta slot 1) has moved since it was resolved.
 *   nq_cursor  a B-tree cursor inside the connection's transaction, or inside an implicit
 *              read transaction of its own.
 *
 *   api_ctxn   a concurrent transaction (txn_api.c): its snapshot, its write set (private
 *              writes, src/txn/writeset.h), its read set (SERIALIZABLE) and its sequence
 *              values; merged reads and the commit are in txn_api.c.
 *
 * The catalog is itself a tree (root in header meta slot 0) mapping a tree's name to an
 * 12-byte record: u32 root page, u64 sequence value (last committed nq_seq_next value).
 */
#ifndef NQ_API_INT_H
#define NQ_API_INT_H

#include <pthread.h>

#include "nqdb.h"
#include "storage/btree.h"
#include "storage/pager.h"
#include "txn/committed_writes.h"
#include "txn/writeset.h"

#define META_SCHEMA_COOKIE 1

typedef struct seq_mark {
    uint32_t root;
    uint64_t value;
} seq_mark;

typedef struct nq_engine {
    pager *pager;
    nq_options opts;
    int refs;
    pthread_mutex_t mu; /* guards refs and the sequence marks */
    seq_mark *marks;
    size_t nmarks, cmarks;
    struct wl_net *wl;  /* the SQL workload memory (src/sql/workload_sql.c), made on first use
                           under mu; saved and freed when the last connection closes */
    int wl_due;         /* a neuromorphic-index decision is due (__atomic) */
    struct lockmgr *lm; /* row, table and database locks of its transactions (src/txn) */
    seq_mark *claims;   /* nq_key_claim high-water marks per tree root (under mu) */
    size_t nclaims, cclaims;
    cwlog *cw;          /* the committed-write log (src/txn/committed_writes.h) */
    uint64_t next_txid; /* transaction ids (__atomic) */
    int n_conc;         /* concurrent transactions open (__atomic) */
    uint64_t n_conc_commits, n_serialize_fail; /* statistics (__atomic) */
    size_t ws_budget;   /* write-set bytes before the exclusive upgrade: 8 MiB (the process
                           holds several times that: skip-list nodes and one row lock per
                           key; bench_sql measured it) (NQ_WS_BUDGET in the environment) */
} nq_engine;

/* A snapshot (read pager transaction) shared by a concurrent transaction and its cursors:
 * READ COMMITTED replaces the transaction's snapshot per statement while cursors of earlier
 * statements keep reading theirs. */
typedef struct api_snap {
    pager_txn *t;
    uint64_t seq;
    int refs;
} api_snap;

/* A key range read by a SERIALIZABLE transaction (lo NULL / hi NULL: unbounded). */
typedef struct api_range {
    char *tree;
    uint8_t *lo, *hi;
    size_t lol, hil;
} api_range;

typedef struct api_seqval {
    char *tree;
    uint64_t value;
} api_seqval;

typedef struct api_ctxn {
    uint64_t txid;
    int iso;           /* NQ_ISO_READ_COMMITTED .. NQ_ISO_SERIALIZABLE */
    api_snap *snap;    /* the current snapshot */
    uint64_t cookie;   /* schema cookie of the first snapshot */
    uint64_t first_seq; /* the first snapshot's seq (registered in the committed-write log) */
    writeset *ws;
    int wrote;         /* the first write happened ("d" locked, schema checked) */
    int touched;       /* it read or wrote (REPEATABLE READ keeps its snapshot from then on) */
    uint8_t *lwkeys;   /* keys locked with NQ_LOCK_WRITTEN: tree ‖ 0 ‖ u32 length ‖ key */
    size_t nlw, clw;
    api_seqval *seqs;  /* nq_seq_next values to store at commit */
    size_t nseqs;
    api_range *rs;     /* SERIALIZABLE: the read set */
    size_t nrs, crs;
} api_ctxn;

struct nq_db {
    nq_engine *eng;
    pager_txn *txn; /* explicit transaction, or NULL */
    nq_err err;
    struct nq_cursor *cursors; /* open cursors of this connection */
    struct sql_session *sql;   /* SQL state (src/sql/session.h), created on first use */
    unsigned err_line, err_col; /* position of the last SQL error (0: none) */
    int interrupted;            /* nq_interrupt (set from any thread: __atomic) */
    unsigned progress_every;    /* nq_progress_handler */
    nq_progress_fn progress_fn;
    void *progress_arg;
    api_ctxn *ct;               /* open concurrent transaction, or NULL */
    pthread_mutex_t info_mu;    /* guards the fields nq_txn_info_get reads from any thread */
    nq_txn_info info;           /* the open transaction (txid 0: none; under info_mu, except
                                   writes: __atomic) */
    struct lm_owner *lo;        /* its lock owner, made at the first lock (set under info_mu) */
    /* an exclusive write transaction's written keys, for the committed-write log: tree ‖ 0 ‖
     * u32 key length ‖ key, appended while a concurrent transaction is open */
    uint8_t *xkeys;
    size_t nxkeys, cxkeys;
    int xunknown;               /* it wrote keys not in xkeys */
};

struct nq_tree {
    nq_db *db;
    char *name;
    uint32_t root;
    uint64_t cookie; /* schema cookie when root was resolved */
};

struct nq_cursor {
    nq_tree *tree;
    btcursor *bc;
    pager_txn *txn;      /* the transaction it reads in */
    int own_txn;         /* 1 if txn is an implicit read transaction owned by the cursor */
    int dead;            /* its transaction ended */
    struct nq_cursor *next, *prev;
    /* merge cursors (a concurrent transaction: its write set over its snapshot) */
    api_ctxn *ct;        /* the transaction, or NULL for a plain B-tree cursor */
    api_snap *snap;      /* the snapshot it reads (a reference) */
    int on;              /* 0 not on an entry, else on the key in kb */
    int bt_end;          /* the B-tree cursor ran off: +1 past the end, -1 before the start */
    uint8_t *kb;         /* the current key */
    size_t kl, kcap;
    void *vb;            /* the current value when read from the B-tree cursor */
    /* SERIALIZABLE: the key range walked since the last seek (r_lo/r_hi NULL: unbounded) */
    int r_open, r_lo_inf, r_hi_inf;
    int norecord;        /* nq_cursor_norecord: its walks are not part of the read set */
    uint8_t *r_lo, *r_hi;
    size_t r_lol, r_hil;
};

/* Transactions for one call: the explicit one, or a fresh autocommit one. */
int api_txn_begin(nq_db *db, int write, pager_txn **t, int *autocommit);
int api_txn_end(nq_db *db, pager_txn *t, int autocommit, int rc);
/* Copy a pager transaction's error into the connection. */
int api_fail(nq_db *db, pager_txn *t, int rc);
/* Resolve a tree's root within transaction t (NQ_ENOTFOUND if it was dropped). */
int api_tree_resolve(nq_tree *tr, pager_txn *t);
/* Invalidate (not free) every cursor reading in transaction t. */
void api_cursors_detach(nq_db *db, pager_txn *t);

/* The catalog (trees.c): a tree's root and committed sequence value; store them. */
int api_catalog_get(pager_txn *t, const char *name, uint32_t *root, uint64_t *seq);
int api_catalog_put(pager_txn *t, const char *name, uint32_t root, uint64_t seq, int flags);
/* The engine's in-memory high-water mark of a tree's sequence (eng->mu held). */
seq_mark *api_seq_mark(nq_engine *eng, uint32_t root);

/* Commit an exclusive write transaction (or end a read one): registers its keys in the
 * committed-write log, then pager_commit. */
int api_commit_pager(nq_db *db, pager_txn *t);
/* An exclusive transaction wrote key of tree (for the committed-write log). */
void api_x_wrote(nq_db *db, const char *tree, const void *key, size_t klen);
/* An exclusive (write) transaction begins: a txid, and "d" in ACCESS EXCLUSIVE (waits for
 * the concurrent writers, up to busy_timeout_ms: NQ_EBUSY). Call before pager_begin(write). */
int api_x_begin(nq_db *db);
/* A read transaction begins (a txid for monitoring). */
void api_r_begin(nq_db *db);
/* The connection's exclusive or read transaction ended: release its locks, forget its keys. */
void api_x_end(nq_db *db);

/* Concurrent transactions (txn_api.c): the tree calls on the merged view. */
int ctxn_put(nq_tree *tr, const void *key, size_t klen, const void *val, size_t vlen, int flags);
int ctxn_get(nq_tree *tr, const void *key, size_t klen, void **val, size_t *vlen);
int ctxn_del(nq_tree *tr, const void *key, size_t klen);
int ctxn_count(nq_tree *tr, uint64_t *out);
int ctxn_estimate(nq_tree *tr, uint64_t *out);
int ctxn_seq_next(nq_tree *tr, uint64_t *out);
int ctxn_commit(nq_db *db);
void ctxn_rollback(nq_db *db);
/* Turn the open concurrent transaction into the exclusive writer (db->txn), keeping its
 * locks (nq_txn_exclusive; tree create/drop; a write set over eng->ws_budget). */
int ctxn_upgrade(nq_db *db);
/* Merge cursors. */
int mcur_open(nq_cursor *c);
void mcur_close(nq_cursor *c);
int mcur_first(nq_cursor *c);
int mcur_last(nq_cursor *c);
int mcur_next(nq_cursor *c);
int mcur_prev(nq_cursor *c);
int mcur_seek(nq_cursor *c, const void *key, size_t klen, int how);
int mcur_valid(const nq_cursor *c);
const void *mcur_key(nq_cursor *c, size_t *klen);
const void *mcur_value(nq_cursor *c, size_t *vlen);

#endif
