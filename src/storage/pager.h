/*
 * pager.h — pages, transactions and the write-ahead log, as seen by the B+ tree.
 *
 * A database is one file of fixed-size pages numbered from 1 (page n lives at offset
 * (n-1)*page_size; 0 means "no page") plus a write-ahead log "<file>-wal". Page 1 holds the
 * file header and nothing else. Every page ends with a 12-byte trailer (commit sequence of the
 * transaction that wrote it, CRC-32C) that the pager fills when the page goes to disk and
 * verifies on every read, so B-tree code sees only the first pager_usable() bytes.
 *
 * Transactions: a read transaction sees the snapshot of the last durable commit at its start
 * and never blocks. One write transaction at a time (per database, across all handles); it
 * sees its own changes. Changed pages are private copies until commit, which appends them to
 * the log as frames (the last one marked as the commit frame), syncs the log, and only then
 * makes them visible. Nothing reaches the database file before it is committed, so recovery
 * needs no undo (docs/storage.md).
 *
 * Page references: pager_get pins a page; pager_unref unpins it. A page obtained in a read
 * transaction, or not yet made writable, must not be modified. pager_write makes a page
 * writable and may replace *pp (and its data pointer): any *other* reference this transaction
 * holds to the same page still shows the old bytes until re-fetched, so the B-tree keeps one
 * reference per page at a time. All references must be released before commit or rollback.
 *
 * Errors: functions return 0 or a negative NQ_E* code; the message is in pager_txn_err(t).
 * Thread-safety: a pager is shared by all handles on a file and is internally synchronised;
 * a pager_txn belongs to one thread.
 */
#ifndef NQ_STORAGE_PAGER_H
#define NQ_STORAGE_PAGER_H

#include <stdint.h>

#include "../base/err.h"
#include "nqdb.h"

#define PAGE_TRAILER 12       /* u64 commit seq, u32 crc32c */
#define PAGER_META_SLOTS 8    /* u64 slots in the header for the layers above */
#define META_SCHEMA_ROOT 0    /* root page of the catalog tree (0 = none yet) */
#define META_DATABASE_ID 2    /* random id given by the first backup (0 = none yet) */
/* slots 3 (commit time) and 4 (previous commit's seq) are written by every commit: archive.h */

/* First byte of every page that is in use, so the integrity check and the decoders can tell
 * what a page claims to be. Free-list leaf pages keep whatever they held. */
enum page_type {
    PGTYPE_HEADER = 0x01,
    PGTYPE_FREELIST = 0x02,
    PGTYPE_BTREE_INTERIOR = 0x03,
    PGTYPE_BTREE_LEAF = 0x04,
    PGTYPE_OVERFLOW = 0x05,
};

typedef struct pager pager;
typedef struct pager_txn pager_txn;

typedef struct pg {
    uint32_t pgno;
    uint8_t *data; /* page_size bytes; the B-tree may use [0, pager_usable()) */
    /* private to the pager */
    uint8_t kind;
} pg;

typedef struct pager_config {
    uint32_t page_size;        /* for a new file; 0 = 4096 */
    size_t cache_bytes;        /* 0 = 16 MiB */
    uint32_t checkpoint_pages; /* 0 = 1000 */
    int sync_off;              /* 1 = never fsync */
    int read_only;
    int no_create;
    const char *archive_dir;   /* log archive directory (archive.h), NULL = none; copied */
    int prefetch;              /* learned prefetching (prefetch.h): NQ_PREFETCH_* */
    /* The key of an encrypted database (dbkey.h), NULL = none; used only during pager_open.
     * A new file given a key becomes an encrypted database (page size >= 2048). */
    const struct dbkey_src *key;
} pager_config;

int pager_open(nq_vfs *vfs, const char *path, const pager_config *cfg, pager **out, nq_err *err);
/* Checkpoints (when writable) and closes. No transaction may be open. */
int pager_close(pager *p, nq_err *err);

uint32_t pager_page_size(const pager *p);
uint32_t pager_usable(const pager *p);
const char *pager_path(const pager *p);

/* Begin a transaction. A writer waits up to timeout_ms for the current writer (NQ_EBUSY). */
int pager_begin(pager *p, int write, unsigned timeout_ms, pager_txn **out, nq_err *err);
/* Commit (write transactions: durable on return unless sync_off). Frees t in every case. */
int pager_commit(pager_txn *t, nq_err *err);
/* Discard the transaction's changes. Frees t. */
void pager_rollback(pager_txn *t);
int pager_txn_is_write(const pager_txn *t);
nq_err *pager_txn_err(pager_txn *t);
pager *pager_txn_pager(pager_txn *t);

int pager_get(pager_txn *t, uint32_t pgno, pg **out);
int pager_write(pager_txn *t, pg **pp);
void pager_unref(pager_txn *t, pg *page);
/* A new zero-filled writable page (from the free list, or by growing the file). */
int pager_alloc(pager_txn *t, pg **out);
/* Give a page back to the free list. The caller must hold no reference to it. */
int pager_free(pager_txn *t, uint32_t pgno);

uint32_t pager_page_count(const pager_txn *t);
uint32_t pager_freelist_count(const pager_txn *t);
uint32_t pager_freelist_head(const pager_txn *t);
uint64_t pager_meta(const pager_txn *t, int slot);
int pager_set_meta(pager_txn *t, int slot, uint64_t v);
/* The commit sequence this transaction reads at (read) or will commit as (write). */
uint64_t pager_txn_seq(const pager_txn *t);
/* A counter that changes whenever a page of the transaction may have changed: every
 * pager_write (also of a page already writable), pager_alloc and pager_free, and a write
 * failure that broke the transaction. While it stays the same, every page the caller saw
 * holds the same bytes, so a reference kept across calls is still current (btree_cursor.c
 * keeps its leaf pinned on this). Constant in a read transaction. */
uint64_t pager_txn_mods(const pager_txn *t);

/* Walk the free list, marking its pages in seen (bit pgno) and reporting pages out of range,
 * used twice, damaged trunks and a count that disagrees with the header. */
int pager_freelist_check(pager_txn *t, uint8_t *seen, uint32_t npages,
                         void (*report)(void *, const char *), void *arg, uint64_t *problems);

/* Copy committed log frames into the database file and restart the log. */
int pager_checkpoint(pager *p, unsigned timeout_ms, nq_err *err);
void pager_stats(pager *p, nq_stats *out);
/* VACUUM: a checkpoint that copies back every committed version no open snapshot still
 * needs (the frames up to the oldest reader's snapshot, all of them if there is none), and
 * restarts the log when nobody reads it. Never waits for readers (waits up to timeout_ms for
 * the writer role). The figures are the stats' wal_frames before and after, frames_retained
 * and oldest_snapshot_age_ms after. */
typedef struct pager_vacuum_info {
    uint64_t frames_before, frames_after, frames_retained, oldest_snapshot_age_ms;
} pager_vacuum_info;
int pager_vacuum(pager *p, unsigned timeout_ms, pager_vacuum_info *out, nq_err *err);
/* The last archiving failure's message ("" if the last attempt succeeded or none failed). */
void pager_archive_error(pager *p, char *out, size_t n);

/* Encryption at rest (page_crypt.h, dbkey.h). 1 when the database is encrypted, with a
 * description of its key-encryption key ("ML-KEM-768 key file 0123abcd...", "passphrase
 * (Argon2id ...)") in desc; 0 when it is not. */
int pager_encrypted(pager *p, char *desc, size_t n);
/* Re-wrap the data key under another key file or passphrase: one commit that rewrites page 1
 * (atomic, crash-safe: until it is durable the old key opens the database, after it the new
 * one), then a checkpoint so that the database file carries the new wrap. */
int pager_rewrap(pager *p, const struct dbkey_src *src, unsigned timeout_ms, nq_err *err);
/* Re-encrypt every page of the database at path under a fresh data key wrapped to newsrc,
 * writing a complete new file "<path>.rekey" and renaming it over path (dbrekey.c). cfg holds
 * the current key. */
int pager_reencrypt(nq_vfs *vfs, const char *path, const pager_config *cfg,
                    const struct dbkey_src *newsrc, nq_err *err);

/* Page checksums, exposed for the integrity check, the fuzzers and the tests. */
void page_seal(uint8_t *data, uint32_t page_size, uint32_t pgno, uint64_t seq);
int page_verify(const uint8_t *data, uint32_t page_size, uint32_t pgno);

#endif
