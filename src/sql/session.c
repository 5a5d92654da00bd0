/*
 * session.c — per-connection SQL state: creation and teardown, the statement bracket,
 * transactions and savepoints over the undo log (design in session.h and undo.c).
 *
 * Three owners of a storage transaction are possible, and the bracket must tell them apart:
 *   - the statement itself (autocommit): s->ac_txn; failure = storage rollback;
 *   - SQL BEGIN / SAVEPOINT: s->explicit_txn; failure of a statement = undo to its mark;
 *   - the embedder's nq_begin (key/value API): neither flag; statements are undone by the
 *     log like inside BEGIN, and the embedder commits or rolls back.
 * If the embedder ends a transaction behind SQL's back (nq_commit during BEGIN), the session
 * notices at its next call (nq_in_txn is false) and forgets its transaction state.
 *
 * The catalog. s->cat is loaded at the first statement and reloaded when the stored schema
 * version moved (another connection's DDL) or when our own changes to the schema were undone
 * (s->cat_invalid). A replaced catalog is not freed at once: the running statement may hold
 * pointers into it, so it waits on s->retired until the outermost statement ends.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "sql/session.h"
#include "sql/exec.h"
#include "sql/tablerw.h"

#define NO_UNDO ((size_t)-1)

static int from_db(sql_session *s, int rc, nq_err *e)
{
    const char *m = nq_errmsg(s->db);
    return nq_err_set(e, rc, "%s", m && *m ? m : nq_strerror(rc));
}

int exec_check_interrupt(xenv *x, nq_err *e)
{
    nq_db *db = x->s->db;
    if (db->progress_fn && db->progress_every &&
        x->ticks % (((uint64_t)db->progress_every + 255) / 256 * 256) == 0 &&
        db->progress_fn(db->progress_arg))
        __atomic_store_n(&db->interrupted, 1, __ATOMIC_RELEASE);
    if (__atomic_load_n(&db->interrupted, __ATOMIC_ACQUIRE))
        return nq_err_set(e, NQ_EINTERRUPT, "interrupted");
    return 0;
}

void sess_clear_interrupt(sql_session *s)
{
    __atomic_store_n(&s->db->interrupted, 0, __ATOMIC_RELEASE);
}

sql_session *sql_session_get(nq_db *db)
{
    if (!db->sql) {
        db->sql = calloc(1, sizeof(sql_session));
        if (db->sql)
            db->sql->db = db;
    }
    return db->sql;
}

static void free_retired(sql_session *s)
{
    while (s->retired) {
        catalog *c = s->retired;
        s->retired = c->retired_next;
        cat_free(c);
    }
}

static void retire_catalog(sql_session *s)
{
    if (!s->cat)
        return;
    if (s->depth > 0) {
        s->cat->retired_next = s->retired;
        s->retired = s->cat;
    } else {
        cat_free(s->cat);
    }
    s->cat = NULL;
    s->cat_gen++;
}

static void clear_drops(sql_session *s)
{
    for (int i = 0; i < s->ndrops; i++)
        free(s->pending_drops[i]);
    s->ndrops = 0;
}

static void clear_savepoints(sql_session *s)
{
    for (int i = 0; i < s->nsp; i++)
        free(s->sp[i].name);
    s->nsp = 0;
}

/* The storage transaction ended (commit or rollback): forget everything tied to it. */
static void txn_ended(sql_session *s, int rolled_back)
{
    undo_truncate(s, 0);
    clear_savepoints(s);
    clear_drops(s);
    s->explicit_txn = 0;
    s->ac_txn = 0;
    s->txn_cat_ok = 0;
    if (rolled_back && s->schema_dirty)
        s->cat_invalid = 1;
    s->schema_dirty = 0;
}

/* The embedder may have ended our transaction through the key/value API. */
static void sync_txn(sql_session *s)
{
    if ((s->explicit_txn || s->ac_txn) && !nq_in_txn(s->db, NULL))
        txn_ended(s, 1);
}

void sql_session_free(sql_session *s)
{
    if (!s)
        return;
    if (s->free_prepared)
        s->free_prepared(s);
    if (s->ac_txn || s->explicit_txn) {
        if (nq_in_txn(s->db, NULL))
            nq_rollback(s->db);
    }
    undo_free(s->undo);
    clear_savepoints(s);
    free(s->sp);
    clear_drops(s);
    free(s->pending_drops);
    s->depth = 0;
    retire_catalog(s);
    free_retired(s);
    free(s);
}

int sess_catalog(sql_session *s, nq_err *e)
{
    /* inside BEGIN this session holds the write lock: once checked, the stored schema can only
     * change through this session's own DDL, which reloads the catalog itself */
    if (s->explicit_txn && s->txn_cat_ok && s->cat && !s->cat_invalid)
        return 0;
    if (s->cat && !s->cat_invalid) {
        int st = cat_stale(s->cat, e);
        if (st < 0)
            return st;
        if (!st) {
            s->txn_cat_ok = s->explicit_txn;
            return 0;
        }
    }
    retire_catalog(s);
    catalog *c;
    int rc = cat_load(s->db, &c, e);
    if (rc)
        return rc;
    s->cat = c;
    s->cat_invalid = 0;
    s->txn_cat_ok = s->explicit_txn;
    return 0;
}

int sess_stmt_begin(sql_session *s, int write, size_t *mark, nq_err *e)
{
    *mark = 0;
    int rc;
    if (s->depth == 0) {
        sync_txn(s);
        int mode;
        if (!nq_in_txn(s->db, &mode)) {
            rc = nq_begin(s->db, write ? NQ_TXN_WRITE : NQ_TXN_READ);
            if (rc)
                return from_db(s, rc, e);
            s->ac_txn = 1;
        } else if (write && mode != NQ_TXN_WRITE) {
            return nq_err_set(e, NQ_EREADONLY, "cannot write in a read-only transaction");
        }
    }
    s->depth++;
    /* a read-only statement has nothing to undo: its mark says so, so that its failure can
     * never undo a statement that ran (and finished) while it was stepping */
    *mark = write ? undo_mark(s) : NO_UNDO;
    rc = sess_catalog(s, e);
    if (rc) {
        nq_err keep = e ? *e : (nq_err){0};
        sess_stmt_end(s, *mark, 0, NULL);
        if (e)
            *e = keep;
    }
    return rc;
}

int sess_stmt_end(sql_session *s, size_t mark, int ok, nq_err *e)
{
    if (s->depth <= 0)
        return nq_err_set(e, NQ_EMISUSE, "statement end without a statement");
    s->depth--;
    int rc = 0;
    if (s->depth == 0 && s->ac_txn) {
        if (ok && nq_in_txn(s->db, NULL)) {
            rc = nq_commit(s->db);
            if (rc)
                from_db(s, rc, e);
            txn_ended(s, rc != 0);
        } else {
            if (nq_in_txn(s->db, NULL))
                nq_rollback(s->db);
            txn_ended(s, 1);
        }
    } else if (!ok && mark != NO_UNDO) {
        rc = undo_apply(s, mark, e);
        if (rc) {
            /* the statement cannot be undone: give up the whole transaction */
            if (nq_in_txn(s->db, NULL))
                nq_rollback(s->db);
            txn_ended(s, 1);
            nq_err_prefix(e, rc, "the transaction was rolled back because a failed statement could not be undone");
        }
    }
    if (s->depth == 0 && s->nsp == 0)
        undo_truncate(s, 0); /* no statement is running and no savepoint is set: no one can
                                ask for these entries any more */
    if (s->depth == 0)
        free_retired(s);
    return rc;
}

static int need_txn(sql_session *s, nq_err *e)
{
    sync_txn(s);
    if (!s->explicit_txn)
        return nq_err_set(e, NQ_EMISUSE, "no transaction is in progress");
    return 0;
}

static int no_bracket(sql_session *s, nq_err *e)
{
    if (s->depth > 0)
        return nq_err_set(e, NQ_EMISUSE,
                          "transaction statements must not run inside a statement bracket");
    return 0;
}

int sess_begin(sql_session *s, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc)
        return rc;
    sync_txn(s);
    if (s->explicit_txn || nq_in_txn(s->db, NULL))
        return nq_err_set(e, NQ_EMISUSE, "there is already a transaction in progress");
    rc = nq_begin(s->db, NQ_TXN_WRITE);
    if (rc)
        return from_db(s, rc, e);
    s->explicit_txn = 1;
    s->txn_cat_ok = 0;
    s->schema_dirty = 0;
    return 0;
}

static int do_commit(sql_session *s, nq_err *e)
{
    int rc = 0;
    /* deferred drops first: if one fails, the transaction is rolled back whole */
    for (int i = 0; i < s->ndrops && !rc; i++) {
        rc = nq_tree_drop(s->db, s->pending_drops[i]);
        if (rc == NQ_ENOTFOUND)
            rc = 0;
        else if (rc)
            from_db(s, rc, e);
    }
    if (rc) {
        nq_rollback(s->db);
        txn_ended(s, 1);
        return rc;
    }
    rc = nq_commit(s->db);
    if (rc)
        from_db(s, rc, e);
    txn_ended(s, rc != 0);
    return rc;
}

int sess_commit(sql_session *s, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc || (rc = need_txn(s, e)))
        return rc;
    return do_commit(s, e);
}

int sess_rollback(sql_session *s, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc || (rc = need_txn(s, e)))
        return rc;
    nq_rollback(s->db);
    txn_ended(s, 1);
    return 0;
}

static int find_sp(sql_session *s, const char *name, nq_err *e)
{
    for (int i = s->nsp - 1; i >= 0; i--)
        if (!strcasecmp(s->sp[i].name, name))
            return i;
    return nq_err_set(e, NQ_ENOTFOUND, "no such savepoint: %s", name);
}

int sess_savepoint(sql_session *s, const char *name, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc)
        return rc;
    sync_txn(s);
    if (!s->explicit_txn)
        return nq_err_set(e, NQ_EMISUSE, "SAVEPOINT can only be used in transaction blocks");
    if (s->nsp == s->capsp) {
        int nc = s->capsp ? s->capsp * 2 : 8;
        sql_savepoint *n = realloc(s->sp, (size_t)nc * sizeof *n);
        if (!n)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->sp = n;
        s->capsp = nc;
    }
    char *dup = strdup(name);
    if (!dup)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    s->sp[s->nsp].name = dup;
    s->sp[s->nsp].mark = undo_mark(s);
    s->nsp++;
    return 0;
}

int sess_release(sql_session *s, const char *name, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc || (rc = need_txn(s, e)))
        return rc;
    int i = find_sp(s, name, e);
    if (i < 0)
        return i;
    while (s->nsp > i)
        free(s->sp[--s->nsp].name);
    if (s->nsp == 0)
        undo_truncate(s, 0); /* no savepoint left to roll back to */
    return 0;
}

int sess_rollback_to(sql_session *s, const char *name, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc || (rc = need_txn(s, e)))
        return rc;
    int i = find_sp(s, name, e);
    if (i < 0)
        return i;
    while (s->nsp > i + 1)
        free(s->sp[--s->nsp].name);
    rc = undo_apply(s, s->sp[i].mark, e);
    if (rc) {
        nq_rollback(s->db);
        txn_ended(s, 1);
        return nq_err_prefix(e, rc, "the transaction was rolled back because ROLLBACK TO failed");
    }
    return 0;
}
