/*
 * pager_int.h — the pager's private structures, shared by pager.c (transactions, page
 * access, commit, checkpoint), pager_open.c (opening, recovery, closing) and freelist.c.
 */
#ifndef NQ_STORAGE_PAGER_INT_H
#define NQ_STORAGE_PAGER_INT_H

#include <pthread.h>

#include "bufpool.h"
#include "pager.h"
#include "pagexform.h"
#include "prefetch.h"
#include "wal.h"

#define DB_HEADER_SIZE 108
#define DB_FORMAT_VERSION 1
#define DB_FORMAT_ENCRYPTED 2 /* an encrypted database (page_crypt.h): what older builds refuse */
extern const uint8_t DB_MAGIC[8];

enum { PG_SHARED = 0, PG_DIRTY = 1 };

/* The header of page 1 as numbers. */
typedef struct db_header {
    uint32_t format;    /* DB_FORMAT_VERSION or DB_FORMAT_ENCRYPTED (0 is taken as the former) */
    uint32_t page_size;
    uint32_t page_count;
    uint32_t freelist_head;
    uint32_t freelist_count;
    uint64_t seq; /* commit sequence of the last transaction that wrote this header */
    uint64_t meta[PAGER_META_SLOTS];
} db_header;

/* A page changed by the write transaction: a private copy, possibly spilled to the log. */
typedef struct dpage {
    pg page;               /* must be first */
    uint32_t pins;
    uint32_t spill_frame;  /* frame holding an earlier image written by this txn, or 0 */
    uint32_t frame_crc;    /* CRC of the last frame written for it (for the commit digest) */
    uint8_t needs_write;   /* data differs from spill_frame (or there is none) */
    uint64_t tick;         /* last use, to spill the coldest first */
    struct dpage *hnext;
} dpage;

/* The transaction's small cache of interior B-tree pages (pager.c, "hot pages"): a slot owns
 * one buffer-pool pin on `page` for as long as the transaction runs, and counts in `refs`
 * the references pager_get has handed out from it, which pager_unref takes back without
 * touching the pool. */
/* A power of two, at most 32 (one bit each in hot_used). 16 keeps the whole pager_txn under
 * 1 KiB, which glibc serves from its per-thread cache: at 32 the larger allocation made
 * every autocommit call ~10% slower. */
#define TXN_HOT 16
typedef struct hot_slot {
    pg *page;
    uint32_t refs;
} hot_slot;

struct pager_txn {
    pager *p;
    int write;
    uint32_t snap;        /* last frame visible to this transaction */
    uint64_t seq;         /* write: this transaction's sequence number */
    db_header hdr;        /* as of the snapshot; a writer edits its copy */
    int hdr_dirty;
    uint32_t base_pages;  /* page count at begin: pages above it have no earlier version */
    nq_err err;
    /* write transactions */
    dpage **dmap;         /* chained hash pgno -> dpage */
    size_t dmap_cap, ndirty, nmem;
    size_t lent;          /* pages of the budget lent to this writer (taken from the pool) */
    uint32_t first_frame; /* first log position of this transaction */
    uint32_t next_frame;  /* next free log position */
    uint64_t tick;
    int broken;           /* error code of a write that failed half-way: only rollback is left */
    uint64_t mods;        /* bumped whenever a page may change (pager_txn_mods) */
    uint32_t pf_prev;     /* the last leaf-level page this transaction fetched (prefetch) */
    uint64_t began_ms;    /* read: when its snapshot was taken (coarse monotonic clock, ms) */
    struct pager_txn *rnext, *rprev; /* registry of open transactions */
    /* last, and not zeroed at begin: slot i is in use only if bit i of hot_used is set */
    uint32_t hot_used;
    hot_slot hot[TXN_HOT]; /* slot pgno % TXN_HOT: committed interior pages of the snapshot */
};

struct pager {
    nq_vfs *vfs;
    char *path;
    nq_file *db;
    wal *wal;
    bufpool *bp;
    prefetcher *pf;       /* learned prefetching, NULL = off (prefetch.h, pager.c) */
    uint32_t page_size, usable;
    pagexform *xf;        /* memory image <-> disk image (pagexform.h) */
    uint8_t *xbuf;        /* the writer's disk image of the page it writes (page_size) */
    pager_config cfg;
    size_t budget;        /* the memory budget in pages, shared by the pool and the writer */
    size_t dirty_limit;   /* pages a writer may hold in memory before spilling */
    uint32_t shrink_skip_below; /* writer only: skip pager_shrink until this many are free */
    uint64_t db_file_pages; /* pages present in the database file */

    pthread_mutex_t mu;   /* guards everything below */
    pthread_cond_t cv;
    int writer;           /* a write transaction or checkpoint is running */
    int syncing;          /* a group-commit leader is in fsync */
    int failed;           /* fail-stop after an I/O error on sync */
    char failed_msg[NQ_ERRMSG_MAX];
    uint32_t mx_appended, mx_durable, mx_backfilled;
    uint64_t log_gen;     /* log restarts so far: frame numbers count from 1 again after each */
    db_header hdr_appended, hdr_durable;
    uint64_t next_seq;
    pager_txn *txns;      /* open transactions (readers pin the log against restarts) */
    uint64_t n_commits, n_syncs, n_checkpoints;
    size_t n_txns;        /* entries of txns */
    int ckpt_deferred;    /* an automatic checkpoint was held back by readers: the reader
                             that ends last runs it (pager.c, txn_end) */
    /* the log archive (archive.h): segments written, their bytes and time, failures */
    char *archive_dir;    /* NULL = no archiving */
    uint64_t n_archived, archived_bytes, archive_ns, n_archive_failed;
    uint32_t archive_retry_at; /* after a failure, automatic checkpoints retry from this frame */
    int archive_failed;   /* the last attempt failed: archive_msg says why */
    char archive_msg[NQ_ERRMSG_MAX];
};

/* The memory image of page pgno from log frame `frame` (0: the database file), verified and
 * decoded (pagexform_in). */
int pager_read_page(pager *p, uint32_t pgno, uint32_t frame, uint8_t *buf, nq_err *err);
/* The disk image as stored, checked structurally only (pagexform_check): what checkpoints and
 * backups copy. */
int pager_read_disk(pager *p, uint32_t pgno, uint32_t frame, uint8_t *buf, nq_err *err);
void header_encode(const db_header *h, uint8_t *page, uint32_t page_size);
int header_decode(const uint8_t *page, size_t len, db_header *h, char *why, size_t whylen);
void pager_mark_failed(pager *p, const char *why);
/* The prefetch thread's batch: loads the pages of a fresh read snapshot as cold images. */
void pager_prefetch_run(void *arg, const uint32_t *pgno, size_t n);
/* wait_readers: > 0 wait that many ms for readers of snapshots older than the last commit,
 * 0 give up (NQ_EBUSY) if there are any (automatic checkpoint), CKPT_PARTIAL copy only up to
 * the oldest snapshot, CKPT_TRY give up like 0 but as an explicit checkpoint (no archive
 * back-off): pager_checkpoint waits for the readers itself, without the writer role. */
#define CKPT_PARTIAL (-1)
#define CKPT_TRY (-2)
int pager_checkpoint_locked(pager *p, int wait_readers, nq_err *err);
/* A writable zero-filled page numbered pgno, whatever it held (free-list use). */
int pager_fresh_page(pager_txn *t, uint32_t pgno, pg **out);
/* At commit: cut free pages off the end of the file (freelist.c). */
int pager_shrink(pager_txn *t);
dpage *dmap_find(pager_txn *t, uint32_t pgno);
int dmap_new(pager_txn *t, uint32_t pgno, dpage **out);
void dmap_drop(pager_txn *t, dpage *d);

#endif
