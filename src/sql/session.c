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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "sql/session.h"
#include "sql/exec.h"
#include "sql/tablerw.h"
#include "sql/txnset.h"

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

static void clear_locked(sql_session *s)
{
    for (int i = 0; i < s->nlocked; i++)
        free(s->locked[i]);
    s->nlocked = 0;
}

/* The storage transaction ended (commit or rollback): forget everything tied to it. */
static void txn_ended(sql_session *s, int rolled_back)
{
    undo_truncate(s, 0);
    clear_savepoints(s);
    clear_drops(s);
    clear_locked(s);
    s->explicit_txn = 0;
    s->ac_txn = 0;
    s->txn_cat_ok = 0;
    s->concurrent = 0;
    s->txn_stmts = 0;
    s->txn_ro = 0;
    s->nmarks = 0;
    s->upgraded = 0;
    if (rolled_back && s->schema_dirty)
        s->cat_invalid = 1;
    s->schema_dirty = 0;
}

/* The engine rolled our SQL transaction back (a serialization failure or a deadlock): keep
 * refusing statements until COMMIT or ROLLBACK, so that the rest of the transaction's
 * statements cannot run (and commit) on their own. */
static void txn_lost(sql_session *s, int code, const char *msg)
{
    free(s->txn_lost_msg);
    s->txn_lost_msg = strdup(msg && *msg ? msg : nq_strerror(code));
    s->txn_lost = code;
}

/* The embedder may have ended our transaction through the key/value API, or the engine rolled
 * back a concurrent transaction (NQ_ESERIALIZE, NQ_EDEADLOCK). */
static void sync_txn(sql_session *s)
{
    if ((s->explicit_txn || s->ac_txn) && !nq_in_txn(s->db, NULL)) {
        int code = nq_errcode(s->db);
        if (s->explicit_txn && s->concurrent && (code == NQ_ESERIALIZE || code == NQ_EDEADLOCK))
            txn_lost(s, code, nq_errmsg(s->db));
        txn_ended(s, 1);
    }
}

void sess_sync_txn(sql_session *s) { sync_txn(s); }

int sess_txn_abort(sql_session *s, int code, nq_err *e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sync_txn(s);
    if (s->explicit_txn && s->depth == 0) {
        nq_rollback(s->db);
        txn_ended(s, 1);
        txn_lost(s, code, msg);
    }
    return nq_err_set(e, code, "%s", msg);
}

/* Whether SQL transactions run as the engine's concurrent transactions: yes, unless the
 * embedder switched a connection back to the exclusive writer (sess_set_concurrent(s, 0):
 * one writer at a time, serializable at every level). */
static int concurrent_on(const sql_session *s)
{
    return s->use_concurrent >= 0;
}

void sess_set_concurrent(sql_session *s, int on) { s->use_concurrent = on ? 1 : -1; }

/* Begin the storage transaction of an SQL transaction: a concurrent one at the given level;
 * else (exclusive, or the connection switched off) the exclusive writer (a reader for READ
 * ONLY), which is serializable. */
static int begin_storage_kind(sql_session *s, int iso, int ro, int exclusive, nq_err *e)
{
    int rc = concurrent_on(s) && !exclusive ? nq_begin_concurrent(s->db, iso) : NQ_ENOTSUP;
    if (rc == NQ_ENOTSUP) {
        rc = nq_begin(s->db, ro ? NQ_TXN_READ : NQ_TXN_WRITE);
        if (rc)
            return from_db(s, rc, e);
        s->concurrent = 0;
        return 0;
    }
    if (rc)
        return from_db(s, rc, e);
    s->concurrent = 1;
    return 0;
}

static int begin_storage(sql_session *s, int iso, int ro, nq_err *e)
{
    return begin_storage_kind(s, iso, ro, 0, e);
}

static int push_mark(sql_session *s, size_t *mark, nq_err *e)
{
    if (s->nmarks == s->capmarks) {
        int nc = s->capmarks ? s->capmarks * 2 : 8;
        sess_mark *n = realloc(s->marks, (size_t)nc * sizeof *n);
        if (!n)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->marks = n;
        s->capmarks = nc;
    }
    sess_mark *m = &s->marks[s->nmarks];
    m->undo = undo_mark(s);
    m->has_txn = 0;
    m->txn = 0;
    int mode;
    if (nq_in_txn(s->db, &mode) && mode == NQ_TXN_CONCURRENT && nq_txn_mark(s->db, &m->txn) == 0)
        m->has_txn = 1;
    *mark = (size_t)s->nmarks++;
    return 0;
}

/* Undo the writes made since m: the write set's own rollback while the transaction is still
 * concurrent, else (exclusive, or turned exclusive since) the undo log. */
static int undo_to(sql_session *s, size_t undo, uint64_t txn, int has_txn, nq_err *e)
{
    int mode = 0;
    if (has_txn) {
        int rc = nq_in_txn(s->db, &mode) && mode == NQ_TXN_CONCURRENT
                     ? nq_txn_rollback_to(s->db, txn)
                     : NQ_ENOTSUP;
        if (rc == 0) {
            undo_truncate(s, undo);
            return 0;
        }
        /* the mark was taken while the transaction was concurrent (nothing logged), and it
         * has turned exclusive since. Nothing written between the mark and the turn (DDL
         * turned it, at the mark's position): the undo log holds everything after the mark. */
        if (s->upgraded && txn == s->upgrade_mark)
            return undo_apply(s, undo, e);
        /* else what was written in between cannot be undone alone */
        return nq_err_set(e, rc == NQ_ENOTSUP ? NQ_ENOTSUP : rc,
                          "not supported yet: undoing writes made before the transaction turned "
                          "into the exclusive writer (DDL, or a write set larger than memory allows)");
    }
    return undo_apply(s, undo, e);
}

int sess_lock_table(sql_session *s, const char *table, int mode, nq_err *e)
{
    int m;
    if (!s->concurrent || !nq_in_txn(s->db, &m) || m != NQ_TXN_CONCURRENT)
        return 0;
    int base = mode & ~NQ_LOCK_NOWAIT;
    for (int i = 0; i < s->nlocked; i++)
        if (s->locked_mode[i] >= base && !strcmp(s->locked[i], table))
            return 0; /* held already (a stronger table mode in this list covers a weaker
                         one for the purposes of this cache: the lock manager upgrades) */
    int rc = nq_lock_name(s->db, table, mode);
    if (rc)
        return from_db(s, rc, e);
    if (s->nlocked == s->caplocked) {
        int nc = s->caplocked ? s->caplocked * 2 : 8;
        char **n = realloc(s->locked, (size_t)nc * sizeof *n);
        if (!n)
            return 0; /* only the cache is lost: the lock is held */
        s->locked = n;
        int *nm = realloc(s->locked_mode, (size_t)nc * sizeof *nm);
        if (!nm)
            return 0;
        s->locked_mode = nm;
        s->caplocked = nc;
    }
    char *dup = strdup(table);
    if (dup) {
        s->locked[s->nlocked] = dup;
        s->locked_mode[s->nlocked++] = base;
    }
    return 0;
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
    clear_locked(s);
    free(s->locked);
    free(s->locked_mode);
    free(s->marks);
    free(s->txn_lost_msg);
    clear_drops(s);
    free(s->pending_drops);
    s->depth = 0;
    retire_catalog(s);
    free_retired(s);
    free(s);
}

/* Can the schema this transaction sees change under it (other than by its own DDL)? Not for
 * the exclusive writer, nor for a snapshot that stays (REPEATABLE READ, SERIALIZABLE); a READ
 * COMMITTED transaction reads a new snapshot per statement. */
static int cat_stable(const sql_session *s)
{
    return s->explicit_txn && (!s->concurrent || s->txn_iso != NQ_ISO_READ_COMMITTED);
}

int sess_catalog(sql_session *s, nq_err *e)
{
    /* inside BEGIN this session holds the write lock, or reads one snapshot (a concurrent
     * transaction above READ COMMITTED): once checked, the schema it sees can only change
     * through this session's own DDL, which reloads the catalog itself */
    if (s->explicit_txn && s->txn_cat_ok && s->cat && !s->cat_invalid)
        return 0;
    if (s->cat && !s->cat_invalid) {
        int st = cat_stale(s->cat, e);
        if (st < 0)
            return st;
        if (!st) {
            s->txn_cat_ok = cat_stable(s);
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
    s->txn_cat_ok = cat_stable(s);
    return 0;
}

/* Turn the open concurrent transaction into the exclusive writer, remembering where its write
 * set stood (undo_to). */
static int make_exclusive(sql_session *s)
{
    s->upgraded = nq_txn_mark(s->db, &s->upgrade_mark) == 0;
    return nq_txn_exclusive(s->db);
}

int sess_exclusive(sql_session *s, nq_err *e)
{
    int mode;
    if (!nq_in_txn(s->db, &mode) || mode != NQ_TXN_CONCURRENT)
        return 0;
    int rc = make_exclusive(s);
    if (rc) {
        from_db(s, rc, e);
        sync_txn(s);
    }
    return rc;
}

int sess_stmt_begin(sql_session *s, int write, size_t *mark, nq_err *e)
{
    *mark = NO_UNDO;
    int rc;
    if (s->depth == 0) {
        sync_txn(s);
        if (s->txn_lost)
            return nq_err_set(e, s->txn_lost,
                              "the transaction was rolled back (%s); statements are refused until "
                              "COMMIT or ROLLBACK ends it",
                              s->txn_lost_msg ? s->txn_lost_msg : nq_strerror(s->txn_lost));
        int mode;
        if (!nq_in_txn(s->db, &mode)) {
            if (write == SESS_WRITE) {
                /* autocommit DML: a one-statement concurrent transaction (READ COMMITTED), so
                 * that writers of different rows do not wait for each other */
                rc = begin_storage(s, NQ_ISO_READ_COMMITTED, 0, e);
            } else {
                rc = nq_begin(s->db, write ? NQ_TXN_WRITE : NQ_TXN_READ);
                if (rc)
                    from_db(s, rc, e);
                s->concurrent = 0;
            }
            if (rc)
                return rc;
            s->ac_txn = 1;
        } else {
            if (write && s->explicit_txn && s->txn_ro)
                return nq_err_set(e, NQ_EREADONLY, "cannot write in a read-only transaction");
            if (write && mode == NQ_TXN_READ)
                return nq_err_set(e, NQ_EREADONLY, "cannot write in a read-only transaction");
            if (mode == NQ_TXN_CONCURRENT) {
                /* a new statement: READ COMMITTED reads the latest commits from here on */
                rc = nq_txn_statement(s->db);
                if (rc == 0 && write == SESS_DDL)
                    rc = make_exclusive(s);
                if (rc) {
                    from_db(s, rc, e);
                    sync_txn(s);
                    return rc;
                }
            }
            if (s->explicit_txn)
                s->txn_stmts++;
        }
    }
    s->depth++;
    /* a read-only statement has nothing to undo: its mark says so, so that its failure can
     * never undo a statement that ran (and finished) while it was stepping */
    rc = write ? push_mark(s, mark, e) : 0;
    if (rc == 0)
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
    sess_mark m = {0, 0, 0};
    if (mark != NO_UNDO && mark < (size_t)s->nmarks) {
        m = s->marks[mark];
        s->nmarks = (int)mark; /* write brackets end in the order they began */
    } else {
        mark = NO_UNDO;
    }
    if (!ok && s->explicit_txn && s->concurrent && !nq_in_txn(s->db, NULL)) {
        /* the engine rolled the transaction back (serialization failure, deadlock) */
        sync_txn(s);
        if (s->depth == 0)
            free_retired(s);
        return 0;
    }
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
        rc = undo_to(s, m.undo, m.txn, m.has_txn, e);
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

int sess_begin_modes(sql_session *s, const ast_txn *t, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc)
        return rc;
    sync_txn(s);
    if (s->txn_lost || s->explicit_txn || nq_in_txn(s->db, NULL))
        return nq_err_set(e, NQ_EMISUSE, "there is already a transaction in progress");
    int iso, ro;
    txs_begin_modes(s, t, &iso, &ro);
    /* BEGIN EXCLUSIVE / IMMEDIATE (SQLite's words for "take the write lock now"): the
     * exclusive writer for the whole transaction — one writer at a time, no write set (bulk
     * loads larger than memory) */
    int excl = t && (t->mode == AST_TXN_EXCLUSIVE || t->mode == AST_TXN_IMMEDIATE);
    rc = begin_storage_kind(s, iso, ro, excl, e);
    if (rc)
        return rc;
    s->explicit_txn = 1;
    s->txn_iso = iso;
    s->txn_ro = ro;
    s->txn_stmts = 0;
    s->txn_cat_ok = 0;
    s->schema_dirty = 0;
    return 0;
}

int sess_begin(sql_session *s, nq_err *e) { return sess_begin_modes(s, NULL, e); }

int sess_txn_restart(sql_session *s, int iso, int ro, nq_err *e)
{
    int mode = 0;
    nq_in_txn(s->db, &mode);
    /* the storage transaction is begun again only when its kind must change and nothing ran
     * in it yet (txnset.c checks the latter) */
    int again = s->concurrent ? iso != s->txn_iso
                              : mode == NQ_TXN_READ && !ro; /* READ ONLY -> READ WRITE */
    if (again) {
        nq_rollback(s->db);
        txn_ended(s, 1);
        int rc = begin_storage(s, iso, ro, e);
        if (rc)
            return rc;
        s->explicit_txn = 1;
    }
    s->txn_iso = iso;
    s->txn_ro = ro;
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

/* COMMIT or ROLLBACK of a transaction the engine already rolled back: ROLLBACK is fine,
 * COMMIT reports why nothing was committed (with the original code, so a client's retry
 * logic sees 40001 / 40P01 there too). */
static int end_lost(sql_session *s, int commit, nq_err *e)
{
    int code = s->txn_lost;
    s->txn_lost = 0;
    if (!commit)
        return 0;
    return nq_err_set(e, code, "the transaction was rolled back (%s); nothing was committed",
                      s->txn_lost_msg ? s->txn_lost_msg : nq_strerror(code));
}

int sess_commit(sql_session *s, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc)
        return rc;
    sync_txn(s);
    if (s->txn_lost)
        return end_lost(s, 1, e);
    if ((rc = need_txn(s, e)))
        return rc;
    return do_commit(s, e);
}

int sess_rollback(sql_session *s, nq_err *e)
{
    int rc = no_bracket(s, e);
    if (rc)
        return rc;
    sync_txn(s);
    if (s->txn_lost)
        return end_lost(s, 0, e);
    if ((rc = need_txn(s, e)))
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
    sql_savepoint *sp = &s->sp[s->nsp];
    sp->name = dup;
    sp->mark = undo_mark(s);
    int mode;
    sp->has_txn_mark = nq_in_txn(s->db, &mode) && mode == NQ_TXN_CONCURRENT &&
                       nq_txn_mark(s->db, &sp->txn_mark) == 0;
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
    rc = undo_to(s, s->sp[i].mark, s->sp[i].txn_mark, s->sp[i].has_txn_mark, e);
    if (rc) {
        nq_rollback(s->db);
        txn_ended(s, 1);
        return nq_err_prefix(e, rc, "the transaction was rolled back because ROLLBACK TO failed");
    }
    return 0;
}
