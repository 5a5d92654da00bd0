/*
 * test_session.c — transactions, savepoints and the undo log: a seeded random walk of puts,
 * deletes, savepoints, ROLLBACK TO, RELEASE and failing statements inside BEGIN, compared with
 * a model after every step; statement rollback in autocommit and in nested brackets; deferred
 * drops; tree creation undone; the error answers of every transaction statement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/rand.h"
#include "sqlstore_util.h"

#define DB "session_test.db"
#define NK 40

typedef struct model {
    int len[NK]; /* -1: absent */
    uint8_t val[NK][16];
} model;

static void check_model(nq_tree *t, const model *m)
{
    for (int k = 0; k < NK; k++) {
        uint8_t key[2] = {'k', (uint8_t)k};
        void *v = NULL;
        size_t vl = 0;
        int rc = nq_get(t, key, 2, &v, &vl);
        if (m->len[k] < 0) {
            assert_int_equal(rc, NQ_ENOTFOUND);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(vl, (size_t)m->len[k]);
            assert_memory_equal(v, m->val[k], vl);
        }
        free(v);
    }
    uint64_t n = 0;
    assert_int_equal(nq_tree_count(t, &n), 0);
    uint64_t want = 0;
    for (int k = 0; k < NK; k++)
        want += m->len[k] >= 0;
    assert_int_equal(n, want);
}

static void random_op(sql_session *s, nq_tree *t, model *m, nq_rng *r)
{
    nq_err e;
    int k = (int)nq_rng_below(r, NK);
    uint8_t key[2] = {'k', (uint8_t)k};
    if (nq_rng_below(r, 3) == 0) {
        int rc = tw_del(s, t, key, 2, &e);
        if (m->len[k] < 0) {
            assert_int_equal(rc, NQ_ENOTFOUND);
        } else {
            assert_int_equal(rc, 0);
            m->len[k] = -1;
        }
    } else {
        int len = (int)nq_rng_below(r, 17);
        uint8_t v[16];
        for (int i = 0; i < len; i++)
            v[i] = (uint8_t)nq_rng_next(r);
        int noover = nq_rng_below(r, 4) == 0;
        int rc = tw_put(s, t, key, 2, v, (size_t)len, noover ? NQ_PUT_NOOVERWRITE : 0, &e);
        if (noover && m->len[k] >= 0) {
            assert_int_equal(rc, NQ_EEXIST);
        } else {
            assert_int_equal(rc, 0);
            m->len[k] = len;
            memcpy(m->val[k], v, (size_t)len);
        }
    }
}

static void test_undo_random(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, "kv", NQ_TREE_CREATE, &t), 0);
    nq_rng r;
    nq_rng_seed(&r, 77);
    model committed, cur;
    for (int k = 0; k < NK; k++)
        committed.len[k] = -1;
    nq_err e;
    char names[8][8];
    model snaps[8];
    for (int round = 0; round < 40; round++) {
        cur = committed;
        assert_int_equal(sess_begin(s, &e), 0);
        int nsp = 0;
        for (int step = 0; step < 120; step++) {
            int what = (int)nq_rng_below(&r, 20);
            if (what < 12) {
                random_op(s, t, &cur, &r);
            } else if (what < 14 && nsp < 8) {
                snprintf(names[nsp], sizeof names[nsp], "s%d", (int)nq_rng_below(&r, 4));
                assert_int_equal(sess_savepoint(s, names[nsp], &e), 0);
                snaps[nsp++] = cur;
            } else if (what < 16 && nsp > 0) {
                /* ROLLBACK TO the latest savepoint of a random name (it stays) */
                int i = (int)nq_rng_below(&r, (uint64_t)nsp);
                const char *nm = names[i];
                int j = nsp - 1;
                while (strcmp(names[j], nm))
                    j--;
                assert_int_equal(sess_rollback_to(s, nm, &e), 0);
                cur = snaps[j];
                nsp = j + 1;
            } else if (what < 17 && nsp > 0) {
                int i = (int)nq_rng_below(&r, (uint64_t)nsp);
                const char *nm = names[i];
                int j = nsp - 1;
                while (strcmp(names[j], nm))
                    j--;
                assert_int_equal(sess_release(s, nm, &e), 0);
                nsp = j;
            } else {
                /* a statement of a few writes that fails or succeeds */
                size_t mark;
                model before = cur;
                assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
                int n = 1 + (int)nq_rng_below(&r, 6);
                for (int i = 0; i < n; i++)
                    random_op(s, t, &cur, &r);
                int ok = nq_rng_below(&r, 2) == 0;
                assert_int_equal(sess_stmt_end(s, mark, ok, &e), 0);
                if (!ok)
                    cur = before;
            }
            check_model(t, &cur);
        }
        if (nq_rng_below(&r, 3) == 0) {
            assert_int_equal(sess_rollback(s, &e), 0);
            check_model(t, &committed);
        } else {
            assert_int_equal(sess_commit(s, &e), 0);
            committed = cur;
            check_model(t, &committed);
        }
        assert_int_equal(undo_mark(s), 0);
    }
    nq_tree_close(t);
    nq_close(db);
    /* what was committed is durable */
    db = open_db(DB, 0);
    assert_int_equal(nq_tree_open(db, "kv", 0, &t), 0);
    check_model(t, &committed);
    nq_tree_close(t);
    nq_close(db);
}

static void test_txn_errors(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    nq_err e;
    assert_int_equal(sess_commit(s, &e), NQ_EMISUSE);
    assert_string_equal(e.msg, "no transaction is in progress");
    assert_int_equal(sess_rollback(s, &e), NQ_EMISUSE);
    assert_int_equal(sess_release(s, "a", &e), NQ_EMISUSE);
    assert_int_equal(sess_rollback_to(s, "a", &e), NQ_EMISUSE);
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_begin(s, &e), NQ_EMISUSE);
    assert_string_equal(e.msg, "there is already a transaction in progress");
    assert_int_equal(sess_rollback_to(s, "nope", &e), NQ_ENOTFOUND);
    assert_string_equal(e.msg, "no such savepoint: nope");
    assert_int_equal(sess_release(s, "nope", &e), NQ_ENOTFOUND);
    size_t mark;
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    assert_int_equal(sess_commit(s, &e), NQ_EMISUSE); /* not inside a statement bracket */
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), NQ_EMISUSE);
    assert_int_equal(sess_commit(s, &e), 0);
    assert_int_equal(nq_in_txn(db, NULL), 0);

    /* SAVEPOINT outside a transaction block is an error (PostgreSQL); RELEASE keeps the txn */
    DDL_OK(s, "CREATE TABLE t (a INT)");
    assert_int_equal(sess_savepoint(s, "outer", &e), NQ_EMISUSE);
    assert_string_equal(e.msg, "SAVEPOINT can only be used in transaction blocks");
    assert_int_equal(nq_in_txn(db, NULL), 0);
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_savepoint(s, "outer", &e), 0);
    sqlv row[1] = {sqlv_int(1)};
    assert_int_equal(insert_row(s, "t", row, TW_ABORT, NULL, &e), 0);
    assert_int_equal(sess_savepoint(s, "inner", &e), 0);
    assert_int_equal(insert_row(s, "t", row, TW_ABORT, NULL, &e), 0);
    assert_int_equal(sess_release(s, "inner", &e), 0);
    assert_int_equal(sess_release(s, "OUTER", &e), 0); /* names fold case */
    assert_int_equal(nq_in_txn(db, NULL), 1);
    assert_int_equal(undo_mark(s), 0); /* no savepoint left: the log is empty */
    assert_int_equal(sess_rollback_to(s, "outer", &e), NQ_ENOTFOUND);
    assert_int_equal(sess_commit(s, &e), 0);
    assert_int_equal(count_rows(s, "t"), 2);
    /* a read-only transaction refuses a write bracket */
    assert_int_equal(nq_begin(db, NQ_TXN_READ), 0);
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), NQ_EREADONLY);
    assert_int_equal(nq_rollback(db), 0);
    nq_close(db);
}

static void test_statement_rollback(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE t (a INT UNIQUE)");
    nq_err e;
    size_t mark, m2;
    /* autocommit: a failing statement leaves nothing */
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    cat_table *t = cat_table_find(s->cat, "t");
    for (int i = 0; i < 10; i++) {
        sqlv row[1] = {sqlv_int(i)};
        int64_t rid = 0;
        assert_int_equal(tw_insert(s, t, row, 0, &rid, TW_ABORT, NULL, &e), 0);
    }
    assert_int_equal(undo_mark(s), 0); /* autocommit logs nothing */
    assert_int_equal(sess_stmt_end(s, mark, 0, &e), 0);
    assert_int_equal(nq_in_txn(db, NULL), 0);
    assert_int_equal(count_rows(s, "t"), 0);
    /* nested brackets: the inner failure undoes only its own writes */
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    t = cat_table_find(s->cat, "t");
    sqlv r1[1] = {sqlv_int(1)}, r2[1] = {sqlv_int(2)};
    int64_t rid = 0;
    assert_int_equal(tw_insert(s, t, r1, 0, &rid, TW_ABORT, NULL, &e), 0);
    assert_int_equal(sess_stmt_begin(s, 1, &m2, &e), 0);
    rid = 0;
    assert_int_equal(tw_insert(s, t, r2, 0, &rid, TW_ABORT, NULL, &e), 0);
    assert_int_equal(sess_stmt_end(s, m2, 0, &e), 0);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(undo_mark(s), 0); /* no savepoint: the statement's log is dropped */
    assert_int_equal(sess_commit(s, &e), 0);
    assert_int_equal(count_rows(s, "t"), 1);
    /* interleaved, not nested: a reading statement is stepping while another one writes and
     * finishes; the reader's failure must not undo the writer */
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_stmt_begin(s, 0, &mark, &e), 0); /* the SELECT */
    assert_int_equal(sess_stmt_begin(s, 1, &m2, &e), 0);   /* an INSERT meanwhile */
    t = cat_table_find(s->cat, "t");
    rid = 0;
    assert_int_equal(tw_insert(s, t, r2, 0, &rid, TW_ABORT, NULL, &e), 0);
    assert_int_equal(sess_stmt_end(s, m2, 1, &e), 0);
    assert_int_equal(sess_stmt_end(s, mark, 0, &e), 0);   /* the SELECT fails */
    assert_int_equal(undo_mark(s), 0);
    assert_int_equal(count_rows(s, "t"), 2);
    assert_int_equal(sess_rollback(s, &e), 0);
    assert_int_equal(count_rows(s, "t"), 1);
    /* the embedder's own transaction: statements are still atomic, and it stays open */
    assert_int_equal(nq_begin(db, NQ_TXN_WRITE), 0);
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    t = cat_table_find(s->cat, "t");
    rid = 0;
    assert_int_equal(tw_insert(s, t, r2, 0, &rid, TW_ABORT, NULL, &e), 0);
    rid = 0;
    assert_int_equal(tw_insert(s, t, r1, 0, &rid, TW_ABORT, NULL, &e), NQ_ECONSTRAINT);
    assert_int_equal(sess_stmt_end(s, mark, 0, &e), 0);
    assert_int_equal(nq_in_txn(db, NULL), 1);
    assert_int_equal(nq_commit(db), 0);
    assert_int_equal(count_rows(s, "t"), 1);
    /* the embedder ends SQL's transaction behind its back: the session recovers */
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(nq_rollback(db), 0);
    assert_int_equal(sess_commit(s, &e), NQ_EMISUSE);
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_rollback(s, &e), 0);
    nq_close(db);
}

static int tree_exists(nq_db *db, const char *name)
{
    nq_tree *t;
    int rc = nq_tree_open(db, name, 0, &t);
    if (rc == 0)
        nq_tree_close(t);
    return rc == 0;
}

static void fill(sql_session *s, const char *table, int n)
{
    nq_err e;
    for (int i = 0; i < n; i++) {
        sqlv row[2] = {sqlv_int(i), sqlv_text("x", 1)};
        int rc = insert_row(s, table, row, TW_ABORT, NULL, &e);
        if (rc)
            fprintf(stderr, "insert %d: %s\n", i, e.msg);
        assert_int_equal(rc, 0);
    }
}

static void test_deferred_drop(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    nq_err e;
    DDL_OK(s, "CREATE TABLE d (a INT UNIQUE, b TEXT)");
    fill(s, "d", 50);
    char tree[24], itree[24];
    snprintf(tree, sizeof tree, "%s", table_of(s, "d")->tree);
    snprintf(itree, sizeof itree, "%s", table_of(s, "d")->idx[0]->tree);
    /* ROLLBACK brings the table back */
    assert_int_equal(sess_begin(s, &e), 0);
    DDL_OK(s, "DROP TABLE d");
    assert_null(table_of(s, "d"));
    assert_true(tree_exists(db, tree)); /* deferred to COMMIT */
    assert_int_equal(sess_rollback(s, &e), 0);
    assert_non_null(table_of(s, "d"));
    assert_int_equal(count_rows(s, "d"), 50);
    /* ROLLBACK TO brings it back, and COMMIT then keeps it */
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_savepoint(s, "a", &e), 0);
    DDL_OK(s, "DROP TABLE d");
    assert_int_equal(s->ndrops, 2);
    assert_int_equal(sess_rollback_to(s, "a", &e), 0);
    assert_int_equal(s->ndrops, 0);
    assert_int_equal(sess_commit(s, &e), 0);
    assert_int_equal(count_rows(s, "d"), 50);
    assert_true(tree_exists(db, tree) && tree_exists(db, itree));
    /* a failing statement after the drop in the same transaction keeps the drop */
    assert_int_equal(sess_begin(s, &e), 0);
    DDL_OK(s, "DROP TABLE d");
    DDL_FAIL(s, "DROP TABLE d", NQ_ESCHEMA, "no such table: d");
    assert_int_equal(s->ndrops, 2);
    assert_int_equal(sess_commit(s, &e), 0);
    assert_false(tree_exists(db, tree));
    assert_false(tree_exists(db, itree));
    assert_null(table_of(s, "d"));
    /* trees created after a savepoint vanish on ROLLBACK TO */
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_savepoint(s, "a", &e), 0);
    DDL_OK(s, "CREATE TABLE n (a INT PRIMARY KEY, b TEXT UNIQUE)");
    snprintf(tree, sizeof tree, "%s", table_of(s, "n")->tree);
    assert_true(tree_exists(db, tree));
    assert_int_equal(sess_rollback_to(s, "a", &e), 0);
    assert_false(tree_exists(db, tree));
    assert_null(table_of(s, "n"));
    DDL_OK(s, "CREATE TABLE n (a INT PRIMARY KEY, b TEXT UNIQUE)");
    DDL_OK(s, "DROP TABLE n"); /* dropped in the transaction that created it */
    DDL_OK(s, "CREATE TABLE n (a INT UNIQUE, b TEXT)");
    DDL_OK(s, "CREATE INDEX n_b ON n (b)");
    fill(s, "n", 5);
    assert_int_equal(sess_commit(s, &e), 0);
    nq_close(db);
    db = open_db(DB, 0);
    s = sql_session_get(db);
    assert_null(table_of(s, "d"));
    assert_int_equal(count_rows(s, "n"), 5);
    uint64_t problems = 1;
    assert_int_equal(nq_check(db, NULL, NULL, &problems), 0);
    assert_int_equal(problems, 0);
    nq_close(db);
}

/* Table-level random walk: rows (id INTEGER PRIMARY KEY, u INT UNIQUE, v TEXT) with an index
 * on v; inserts (some violating), updates (some violating), deletes, savepoints, ROLLBACK TO
 * and failing statements inside BEGIN. After every step the table and both indexes must hold
 * exactly the model's rows. */
#define TR 64
typedef struct trow {
    int live;
    int64_t u; /* INT64_MIN: NULL */
    char v;
} trow;

static void check_table(sql_session *s, const trow *m)
{
    size_t mark;
    nq_err e;
    assert_int_equal(sess_stmt_begin(s, 0, &mark, &e), 0);
    cat_table *t = cat_table_find(s->cat, "r");
    tw_scan *sc;
    sqlv vals[3];
    int64_t rid;
    int seen = 0, live = 0;
    assert_int_equal(tw_scan_open(s, t, &sc, &e), 0);
    while (tw_scan_next(sc, &rid, vals, &e) == 1) {
        assert_true(rid >= 0 && rid < TR && m[rid].live);
        assert_int_equal(vals[0].i, rid);
        if (m[rid].u == INT64_MIN)
            assert_int_equal(vals[1].type, SQLV_NULL);
        else
            assert_true(vals[1].type == SQLV_INT && vals[1].i == m[rid].u);
        assert_true(vals[2].n == 1 && vals[2].p[0] == (uint8_t)m[rid].v);
        seen++;
    }
    tw_scan_close(sc);
    for (int i = 0; i < TR; i++)
        live += m[i].live;
    assert_int_equal(seen, live);
    /* every index entry belongs to a live row and carries its values */
    for (int x = 0; x < t->nidx; x++) {
        tw_iscan *is;
        assert_int_equal(tw_iscan_open(s, t->idx[x], &is, &e), 0);
        int n = 0;
        sqlv iv[1];
        while (tw_iscan_next(is, &rid, iv, &e) == 1) {
            assert_true(rid >= 0 && rid < TR && m[rid].live);
            if (t->idx[x]->cols[0] == 1) {
                if (m[rid].u == INT64_MIN)
                    assert_int_equal(iv[0].type, SQLV_NULL);
                else
                    assert_true(iv[0].i == m[rid].u);
            } else {
                assert_true(iv[0].n == 1 && iv[0].p[0] == (uint8_t)m[rid].v);
            }
            sqlv_clear(&iv[0]);
            n++;
        }
        tw_iscan_close(is);
        assert_int_equal(n, live);
    }
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
}

static int u_taken(const trow *m, int64_t u, int except)
{
    if (u == INT64_MIN)
        return 0;
    for (int i = 0; i < TR; i++)
        if (i != except && m[i].live && m[i].u == u)
            return 1;
    return 0;
}

/* One random row change in the open statement; returns 0 or NQ_ECONSTRAINT (model updated
 * only on success). */
static int table_op(sql_session *s, cat_table *t, trow *m, nq_rng *r)
{
    nq_err e;
    int id = (int)nq_rng_below(r, TR);
    int64_t u = nq_rng_below(r, 4) == 0 ? INT64_MIN : (int64_t)nq_rng_below(r, 48);
    char v = (char)('a' + nq_rng_below(r, 6));
    int what = (int)nq_rng_below(r, 3);
    if (what == 0 || !m[id].live) {
        sqlv row[3] = {sqlv_int(id), u == INT64_MIN ? sqlv_null() : sqlv_int(u), sqlv_text(&v, 1)};
        int64_t rid = 0;
        int rc = tw_insert(s, t, row, 0, &rid, TW_ABORT, NULL, &e);
        if (m[id].live || u_taken(m, u, -1)) {
            assert_int_equal(rc, NQ_ECONSTRAINT);
            return rc;
        }
        assert_int_equal(rc, 0);
        m[id] = (trow){1, u, v};
        return 0;
    }
    sqlv old[3];
    uint8_t *buf;
    assert_int_equal(tw_fetch(s, t, id, old, &buf, &e), 0);
    int rc;
    if (what == 1) {
        assert_int_equal(tw_delete(s, t, id, old, &e), 0);
        m[id].live = 0;
        rc = 0;
    } else {
        /* update u and v, sometimes moving the row to another id */
        int nid = nq_rng_below(r, 4) == 0 ? (int)nq_rng_below(r, TR) : id;
        sqlv nv[3] = {sqlv_int(nid), u == INT64_MIN ? sqlv_null() : sqlv_int(u), sqlv_text(&v, 1)};
        rc = tw_update(s, t, id, old, nid, nv, &e);
        if ((nid != id && m[nid].live) || u_taken(m, u, id)) {
            assert_int_equal(rc, NQ_ECONSTRAINT);
        } else {
            assert_int_equal(rc, 0);
            m[id].live = 0;
            m[nid] = (trow){1, u, v};
        }
    }
    free(buf);
    return rc;
}

static void test_table_undo_random(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE r (id INTEGER PRIMARY KEY, u INT UNIQUE, v TEXT)");
    DDL_OK(s, "CREATE INDEX r_v ON r (v DESC)");
    nq_rng r;
    nq_rng_seed(&r, 2024);
    trow committed[TR], cur[TR], snaps[6][TR];
    memset(committed, 0, sizeof committed);
    nq_err e;
    for (int round = 0; round < 25; round++) {
        memcpy(cur, committed, sizeof cur);
        assert_int_equal(sess_begin(s, &e), 0);
        int nsp = 0;
        for (int step = 0; step < 40; step++) {
            int what = (int)nq_rng_below(&r, 10);
            if (what < 6) {
                /* a statement of several changes; it fails as a whole on any violation, or
                 * at random */
                trow before[TR];
                memcpy(before, cur, sizeof cur);
                size_t mark;
                assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
                cat_table *t = cat_table_find(s->cat, "r");
                int n = 1 + (int)nq_rng_below(&r, 5), ok = 1;
                for (int i = 0; i < n && ok; i++)
                    ok = table_op(s, t, cur, &r) == 0;
                if (ok && nq_rng_below(&r, 5) == 0)
                    ok = 0;
                assert_int_equal(sess_stmt_end(s, mark, ok, &e), 0);
                if (!ok)
                    memcpy(cur, before, sizeof cur);
            } else if (what < 8 && nsp < 6) {
                char nm[16];
                snprintf(nm, sizeof nm, "p%d", nsp);
                assert_int_equal(sess_savepoint(s, nm, &e), 0);
                memcpy(snaps[nsp++], cur, sizeof cur);
            } else if (nsp > 0) {
                int j = (int)nq_rng_below(&r, (uint64_t)nsp);
                char nm[16];
                snprintf(nm, sizeof nm, "p%d", j);
                assert_int_equal(sess_rollback_to(s, nm, &e), 0);
                memcpy(cur, snaps[j], sizeof cur);
                nsp = j + 1;
            }
            check_table(s, cur);
        }
        if (nq_rng_below(&r, 4) == 0) {
            assert_int_equal(sess_rollback(s, &e), 0);
        } else {
            assert_int_equal(sess_commit(s, &e), 0);
            memcpy(committed, cur, sizeof cur);
        }
        check_table(s, committed);
    }
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_undo_random),
        cmocka_unit_test(test_table_undo_random),
        cmocka_unit_test(test_txn_errors),
        cmocka_unit_test(test_statement_rollback),
        cmocka_unit_test(test_deferred_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
