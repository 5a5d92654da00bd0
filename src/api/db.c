/*
 * db.c — connections and engines: open, clone, close, errors, transactions, checkpoint and
 * statistics (the nq_* functions of include/nqdb.h that are not about trees).
 *
 * Explicit transactions belong to a connection (nq_begin ... nq_commit). Without one, each
 * tree call runs in an autocommit transaction of its own (api_txn_begin/api_txn_end).
 */
#include "api_int.h"
#include "sql/session.h"
#include "sql/workload_sql.h"
#include "storage/dbkey.h"
#include "txn/lockmgr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void nq_options_init(nq_options *o)
{
    memset(o, 0, sizeof *o);
    o->page_size = 4096;
    o->cache_bytes = 16u << 20;
    o->checkpoint_pages = 1000;
    o->sync = NQ_SYNC_FULL;
    o->busy_timeout_ms = 5000;
}

static nq_db *new_conn(nq_engine *eng)
{
    nq_db *db = calloc(1, sizeof *db);
    if (db) {
        db->eng = eng;
        pthread_mutex_init(&db->info_mu, NULL);
    }
    return db;
}

/* mkdir -p: 0, or -1 with errno set */
static int mkdir_parents(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n >= sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return -1;
        p[i] = c;
    }
    return 0;
}

int nq_open(const char *path, const nq_options *opts, nq_db **out)
{
    *out = NULL;
    nq_options o;
    if (opts)
        o = *opts;
    else
        nq_options_init(&o);
    if (!o.busy_timeout_ms)
        o.busy_timeout_ms = 5000;
    if (!o.vfs)
        o.vfs = nq_vfs_default();
    nq_engine *eng = calloc(1, sizeof *eng);
    nq_db *db = eng ? new_conn(eng) : NULL;
    if (!db) {
        free(eng);
        return NQ_ENOMEM;
    }
    eng->opts = o;
    eng->refs = 1;
    pthread_mutex_init(&eng->mu, NULL);
    eng->ws_budget = (size_t)8 << 20;
    const char *wb = getenv("NQ_WS_BUDGET");
    if (wb && atoll(wb) > 0)
        eng->ws_budget = (size_t)atoll(wb);
    eng->lm = lm_create();
    eng->cw = cw_create();
    if (!eng->lm || !eng->cw) {
        nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    } else if (!path || !*path) {
        nq_err_set(&db->err, NQ_EINVAL, "no database path given");
    } else if (o.sync != NQ_SYNC_FULL && o.sync != NQ_SYNC_OFF) {
        nq_err_set(&db->err, NQ_EINVAL, "sync must be NQ_SYNC_FULL or NQ_SYNC_OFF");
    } else if (o.prefetch < NQ_PREFETCH_OFF || o.prefetch > NQ_PREFETCH_INLINE) {
        nq_err_set(&db->err, NQ_EINVAL,
                   "prefetch must be NQ_PREFETCH_OFF, NQ_PREFETCH_ON or NQ_PREFETCH_INLINE");
    } else {
        dbkey_src key = {o.key_file, o.passphrase, o.kdf_iterations, o.kdf_memory_kib};
        pager_config cfg = {
            .page_size = o.page_size,
            .cache_bytes = o.cache_bytes,
            .checkpoint_pages = o.checkpoint_pages,
            .sync_off = o.sync == NQ_SYNC_OFF,
            .read_only = o.read_only,
            .no_create = o.no_create,
            .archive_dir = o.read_only ? NULL : o.archive_dir,
            .prefetch = o.prefetch,
            .key = o.key_file || o.passphrase ? &key : NULL,
        };
        /* the log archive's directory: created here for the default VFS (the VFS has no
         * mkdir; another VFS finds its directories by path) */
        if (cfg.archive_dir && *cfg.archive_dir && o.vfs == nq_vfs_default() &&
            mkdir_parents(cfg.archive_dir) != 0)
            nq_err_set(&db->err, NQ_ECANTOPEN, "%s: cannot create the log archive directory: %s",
                       cfg.archive_dir, strerror(errno));
        else
            pager_open(o.vfs, path, &cfg, &eng->pager, &db->err);
        eng->opts.archive_dir = NULL; /* the pager keeps its own copy */
        eng->opts.key_file = eng->opts.passphrase = NULL; /* used by pager_open only */
    }
    *out = db;
    if (!eng->pager)
        return db->err.code ? db->err.code : NQ_ERROR;
    return 0;
}

int nq_clone(nq_db *db, nq_db **out)
{
    *out = NULL;
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_db *c = new_conn(db->eng);
    if (!c)
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    pthread_mutex_lock(&db->eng->mu);
    db->eng->refs++;
    pthread_mutex_unlock(&db->eng->mu);
    *out = c;
    return 0;
}

void api_cursors_detach(nq_db *db, pager_txn *t)
{
    for (nq_cursor *c = db->cursors; c; c = c->next)
        if (c->txn == t && !c->own_txn && !c->dead) {
            btree_cursor_close(c->bc);
            c->bc = NULL;
            c->dead = 1;
        }
}

int nq_close(nq_db *db)
{
    if (!db)
        return 0;
    int rc = 0;
    /* the SQL session holds tree handles and cursors of its own */
    if (db->sql) {
        sql_session_free(db->sql);
        db->sql = NULL;
    }
    /* cursors first: they may own read transactions */
    while (db->cursors)
        nq_cursor_close(db->cursors);
    if (db->ct)
        ctxn_rollback(db);
    if (db->txn) {
        pager_rollback(db->txn);
        db->txn = NULL;
    }
    api_x_end(db);
    nq_engine *eng = db->eng;
    pthread_mutex_lock(&eng->mu);
    int last = --eng->refs == 0;
    pthread_mutex_unlock(&eng->mu);
    if (last) {
        nq_err e;
        nq_err_clear(&e);
        wls_engine_close(db); /* saves what the SQL layer learned (best effort) */
        if (eng->pager)
            rc = pager_close(eng->pager, &e);
        pthread_mutex_destroy(&eng->mu);
        lm_destroy(eng->lm);
        free(eng->marks);
        free(eng->claims);
        cw_free(eng->cw);
        free(eng);
    }
    /* Only now: the last connection's wls_engine_close above still runs a write transaction
     * on db, whose begin and end lock info_mu (set_info). Destroyed before it, that was a lock
     * of a destroyed mutex (found by ThreadSanitizer in the tsan stage). xkeys belongs to the
     * same transaction state, so it goes at the same point. */
    free(db->xkeys);
    pthread_mutex_destroy(&db->info_mu);
    free(db);
    return rc;
}

int nq_errcode(const nq_db *db) { return db ? db->err.code : NQ_ENOMEM; }

const char *nq_errmsg(const nq_db *db)
{
    if (!db)
        return "out of memory";
    if (db->err.code == 0)
        return "not an error";
    return db->err.msg[0] ? db->err.msg : nq_strerror(db->err.code);
}

int api_fail(nq_db *db, pager_txn *t, int rc)
{
    if (!rc)
        return 0;
    nq_err *e = t ? pager_txn_err(t) : NULL;
    if (e && e->code && e->msg[0])
        nq_err_set(&db->err, rc, "%s", e->msg);
    else if (db->err.code != rc || !db->err.msg[0])
        nq_err_set(&db->err, rc, "%s", nq_strerror(rc));
    return rc;
}

static int usable(nq_db *db)
{
    if (!db || !db->eng || !db->eng->pager)
        return 0;
    return 1;
}

int api_txn_begin(nq_db *db, int write, pager_txn **t, int *autocommit)
{
    nq_err_clear(&db->err);
    if (db->ct) {
        if (!write) {
            *t = db->ct->snap->t;
            *autocommit = 0;
            return 0;
        }
        /* creating or dropping a tree, and other direct writes: go on as the exclusive
         * writer */
        int rc = ctxn_upgrade(db);
        if (rc)
            return rc;
    }
    if (db->txn) {
        if (write && !pager_txn_is_write(db->txn))
            return nq_err_set(&db->err, NQ_EREADONLY, "write inside a read transaction");
        *t = db->txn;
        *autocommit = 0;
        return 0;
    }
    *autocommit = 1;
    if (write) {
        int rc = api_x_begin(db);
        if (rc)
            return rc;
    }
    int rc = pager_begin(db->eng->pager, write, db->eng->opts.busy_timeout_ms, t, &db->err);
    if (rc && write)
        api_x_end(db);
    return rc;
}

int api_txn_end(nq_db *db, pager_txn *t, int autocommit, int rc)
{
    if (rc)
        api_fail(db, t, rc);
    if (!autocommit)
        return rc;
    if (rc) {
        pager_rollback(t);
        api_x_end(db);
        return rc;
    }
    return api_commit_pager(db, t);
}

int nq_begin(nq_db *db, int mode)
{
    if (!usable(db))
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->txn || db->ct)
        return nq_err_set(&db->err, NQ_EMISUSE, "a transaction is already open");
    if (mode != NQ_TXN_READ && mode != NQ_TXN_WRITE)
        return nq_err_set(&db->err, NQ_EINVAL, "mode must be NQ_TXN_READ or NQ_TXN_WRITE");
    int rc = mode == NQ_TXN_WRITE ? api_x_begin(db) : 0;
    if (rc)
        return rc;
    if (mode != NQ_TXN_WRITE)
        api_r_begin(db);
    rc = pager_begin(db->eng->pager, mode == NQ_TXN_WRITE, db->eng->opts.busy_timeout_ms,
                     &db->txn, &db->err);
    if (rc)
        api_x_end(db);
    return rc;
}

int nq_commit(nq_db *db)
{
    if (!usable(db))
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->ct)
        return ctxn_commit(db);
    if (!db->txn)
        return nq_err_set(&db->err, NQ_EMISUSE, "no transaction is open");
    pager_txn *t = db->txn;
    db->txn = NULL;
    api_cursors_detach(db, t);
    return api_commit_pager(db, t);
}

int nq_rollback(nq_db *db)
{
    if (!usable(db))
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->ct) {
        ctxn_rollback(db);
        return 0;
    }
    if (!db->txn)
        return nq_err_set(&db->err, NQ_EMISUSE, "no transaction is open");
    api_cursors_detach(db, db->txn);
    pager_rollback(db->txn);
    db->txn = NULL;
    api_x_end(db);
    return 0;
}

int nq_in_txn(const nq_db *db, int *mode)
{
    if (db && db->ct) {
        if (mode)
            *mode = NQ_TXN_CONCURRENT;
        return 1;
    }
    if (!db || !db->txn)
        return 0;
    if (mode)
        *mode = pager_txn_is_write(db->txn) ? NQ_TXN_WRITE : NQ_TXN_READ;
    return 1;
}

int nq_checkpoint(nq_db *db)
{
    if (!usable(db))
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->txn || db->ct)
        return nq_err_set(&db->err, NQ_EMISUSE, "cannot checkpoint inside a transaction");
    return pager_checkpoint(db->eng->pager, db->eng->opts.busy_timeout_ms, &db->err);
}

int nq_get_stats(nq_db *db, nq_stats *out)
{
    if (!usable(db))
        return NQ_EMISUSE;
    pager_stats(db->eng->pager, out);
    lm_stats ls;
    lm_get_stats(db->eng->lm, &ls);
    out->lock_waits = ls.waits;
    out->lock_timeouts = ls.timeouts;
    out->lock_wait_ns = ls.wait_ns;
    out->txn_deadlocks = ls.deadlocks;
    out->txn_commits_concurrent = __atomic_load_n(&db->eng->n_conc_commits, __ATOMIC_RELAXED);
    out->txn_serialization_failures =
        __atomic_load_n(&db->eng->n_serialize_fail, __ATOMIC_RELAXED);
    return 0;
}

void nq_archive_error(nq_db *db, char *out, size_t n)
{
    if (!n)
        return;
    out[0] = 0;
    if (usable(db))
        pager_archive_error(db->eng->pager, out, n);
}
