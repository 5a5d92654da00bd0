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
 * The catalog is itself a tree (root in header meta slot 0) mapping a tree's name to an
 * 12-byte record: u32 root page, u64 sequence value (last committed nq_seq_next value).
 */
#ifndef NQ_API_INT_H
#define NQ_API_INT_H

#include <pthread.h>

#include "nqdb.h"
#include "storage/btree.h"
#include "storage/pager.h"

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
} nq_engine;

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

#endif
