/*
 * test_tablerw.c — rows and index entries: insert/fetch/scan/update/delete against a model,
 * rowid allocation (max+1, sequences, the INT64_MAX wall), PRIMARY KEY and UNIQUE enforcement
 * with PostgreSQL's messages and nothing left behind on a violation, NULLs in unique columns,
 * INSERT OR IGNORE / OR REPLACE, index scans with random bounds both ways checked against a
 * sorted model, truncate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/rand.h"
#include "sqlstore_util.h"

#define DB "tablerw_test.db"

static void test_basic_rows(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)");
    nq_err e;
    int64_t rid;
    sqlv r1[3] = {sqlv_null(), sqlv_text("ann", 3), sqlv_real(1.5)};
    assert_int_equal(insert_row(s, "t", r1, TW_ABORT, &rid, &e), 0);
    assert_int_equal(rid, 1);
    sqlv r2[3] = {sqlv_int(10), sqlv_text("bob", 3), sqlv_null()};
    assert_int_equal(insert_row(s, "t", r2, TW_ABORT, &rid, &e), 0);
    assert_int_equal(rid, 10);
    sqlv r3[3] = {sqlv_null(), sqlv_text("cy", 2), sqlv_real(-2)};
    assert_int_equal(insert_row(s, "t", r3, TW_ABORT, &rid, &e), 0);
    assert_int_equal(rid, 11); /* max + 1 */
    sqlv r4[3] = {sqlv_int(10), sqlv_text("dup", 3), sqlv_null()};
    assert_int_equal(insert_row(s, "t", r4, TW_ABORT, &rid, &e), NQ_ECONSTRAINT);
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"t_pkey\"");
    sqlv r5[3] = {sqlv_int(-7), sqlv_text("neg", 3), sqlv_null()};
    assert_int_equal(insert_row(s, "t", r5, TW_ABORT, &rid, &e), 0);

    size_t mark;
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    cat_table *t = cat_table_find(s->cat, "t");
    sqlv vals[3];
    uint8_t *buf;
    assert_int_equal(tw_fetch(s, t, 10, vals, &buf, &e), 0);
    assert_int_equal(vals[0].type, SQLV_INT);
    assert_int_equal(vals[0].i, 10); /* the rowid column is stored in the record too */
    assert_int_equal(vals[1].n, 3);
    assert_memory_equal(vals[1].p, "bob", 3);
    assert_int_equal(vals[2].type, SQLV_NULL);
    free(buf);
    assert_int_equal(tw_fetch(s, t, 5, vals, &buf, &e), NQ_ENOTFOUND);
    int64_t max;
    assert_int_equal(tw_max_rowid(s, t, &max, &e), 0);
    assert_int_equal(max, 11);
    /* scan order and bounds */
    tw_scan *sc;
    assert_int_equal(tw_scan_open(s, t, &sc, &e), 0);
    int64_t want[] = {-7, 1, 10, 11}, got;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tw_scan_next(sc, &got, vals, &e), 1);
        assert_int_equal(got, want[i]);
    }
    assert_int_equal(tw_scan_next(sc, &got, vals, &e), 0);
    assert_int_equal(tw_scan_start(sc, 0, 10, &e), 0);
    assert_int_equal(tw_scan_next(sc, &got, vals, &e), 1);
    assert_int_equal(got, 1);
    assert_int_equal(tw_scan_next(sc, &got, vals, &e), 1);
    assert_int_equal(got, 10);
    assert_int_equal(tw_scan_next(sc, &got, vals, &e), 0);
    /* delete while scanning */
    assert_int_equal(tw_scan_start(sc, INT64_MIN, INT64_MAX, &e), 0);
    int n = 0;
    while (tw_scan_next(sc, &got, vals, &e) == 1) {
        if (got == 1 || got == 11) {
            sqlv copy[3];
            uint8_t *b2;
            assert_int_equal(tw_fetch(s, t, got, copy, &b2, &e), 0);
            assert_int_equal(tw_delete(s, t, got, copy, &e), 0);
            free(b2);
        }
        n++;
    }
    assert_int_equal(n, 4);
    tw_scan_close(sc);
    assert_int_equal(tw_delete(s, t, 1, vals, &e), NQ_ENOTFOUND);
    /* update moving the rowid */
    assert_int_equal(tw_fetch(s, t, 10, vals, &buf, &e), 0);
    sqlv nv[3] = {sqlv_int(20), vals[1], sqlv_real(3)};
    sqlv taken[3] = {sqlv_int(-7), vals[1], sqlv_real(3)};
    assert_int_equal(tw_update(s, t, 10, vals, 10, taken, &e), NQ_ECONSTRAINT); /* -7 is taken */
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"t_pkey\"");
    assert_int_equal(tw_update(s, t, 10, vals, 20, nv, &e), 0);
    free(buf);
    assert_int_equal(tw_fetch(s, t, 10, vals, &buf, &e), NQ_ENOTFOUND);
    assert_int_equal(tw_fetch(s, t, 20, vals, &buf, &e), 0);
    assert_true(vals[2].type == SQLV_REAL && vals[2].r == 3);
    free(buf);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(count_rows(s, "t"), 2);
    nq_close(db);
}

static void test_rowid_allocation(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE h (x TEXT)"); /* hidden rowid */
    DDL_OK(s, "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT)");
    DDL_OK(s, "CREATE TABLE sr (k TEXT PRIMARY KEY, n SERIAL)");
    nq_err e;
    int64_t rid;
    sqlv r[2] = {sqlv_text("a", 1), sqlv_null()};
    assert_int_equal(insert_row(s, "h", r, TW_ABORT, &rid, &e), 0);
    assert_int_equal(rid, 1);
    /* an explicit INT64_MAX rowid, then no rowid is left */
    size_t mark;
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    rid = INT64_MAX;
    assert_int_equal(tw_insert(s, cat_table_find(s->cat, "h"), r, 1, &rid, TW_ABORT, NULL, &e), 0);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(insert_row(s, "h", r, TW_ABORT, &rid, &e), NQ_ERROR);
    assert_non_null(strstr(e.msg, "no free rowid"));
    assert_int_equal(count_rows(s, "h"), 2);

    /* AUTOINCREMENT: never reuses a value, skips explicit ones */
    sqlv a1[2] = {sqlv_null(), sqlv_text("x", 1)};
    assert_int_equal(insert_row(s, "a", a1, TW_ABORT, &rid, &e), 0);
    assert_int_equal(rid, 1);
    sqlv a2[2] = {sqlv_int(2), sqlv_text("y", 1)};
    assert_int_equal(insert_row(s, "a", a2, TW_ABORT, &rid, &e), 0);
    sqlv a3[2] = {sqlv_null(), sqlv_text("z", 1)};
    assert_int_equal(insert_row(s, "a", a3, TW_ABORT, &rid, &e), 0);
    assert_int_equal(rid, 3);
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    cat_table *ta = cat_table_find(s->cat, "a");
    sqlv old[2];
    uint8_t *buf;
    assert_int_equal(tw_fetch(s, ta, 3, old, &buf, &e), 0);
    assert_int_equal(tw_delete(s, ta, 3, old, &e), 0);
    free(buf);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    sqlv a4[2] = {sqlv_null(), sqlv_text("w", 1)};
    assert_int_equal(insert_row(s, "a", a4, TW_ABORT, &rid, &e), 0);
    assert_int_equal(rid, 4);
    /* SERIAL outside the rowid: filled when NULL */
    sqlv s1[2] = {sqlv_text("k1", 2), sqlv_null()};
    assert_int_equal(insert_row(s, "sr", s1, TW_ABORT, &rid, &e), 0);
    assert_int_equal(s1[1].type, SQLV_INT);
    assert_int_equal(s1[1].i, 1);
    sqlv s2[2] = {sqlv_text("k2", 2), sqlv_null()};
    assert_int_equal(insert_row(s, "sr", s2, TW_ABORT, &rid, &e), 0);
    assert_int_equal(s2[1].i, 2);
    sqlv s3[2] = {sqlv_text("k1", 2), sqlv_null()};
    assert_int_equal(insert_row(s, "sr", s3, TW_ABORT, &rid, &e), NQ_ECONSTRAINT);
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"sr_pkey\"");
    assert_int_equal(count_rows(s, "sr"), 2);
    nq_close(db);
}

static void test_unique(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE u (id INT, email TEXT UNIQUE, a INT, b INT, "
              "CONSTRAINT ab_uq UNIQUE (a, b), PRIMARY KEY (id))");
    DDL_OK(s, "CREATE INDEX u_b ON u (b)");
    nq_err e;
    int64_t rid;
    sqlv r1[4] = {sqlv_int(1), sqlv_text("x@y", 3), sqlv_int(1), sqlv_int(1)};
    assert_int_equal(insert_row(s, "u", r1, TW_ABORT, &rid, &e), 0);
    sqlv r2[4] = {sqlv_int(2), sqlv_text("x@y", 3), sqlv_int(1), sqlv_int(2)};
    assert_int_equal(insert_row(s, "u", r2, TW_ABORT, &rid, &e), NQ_ECONSTRAINT);
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"u_email_key\"");
    sqlv r3[4] = {sqlv_int(3), sqlv_text("p@q", 3), sqlv_int(1), sqlv_int(1)};
    assert_int_equal(insert_row(s, "u", r3, TW_ABORT, &rid, &e), NQ_ECONSTRAINT);
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"ab_uq\"");
    /* NULLs never conflict */
    for (int i = 0; i < 3; i++) {
        sqlv rn[4] = {sqlv_int(10 + i), sqlv_null(), sqlv_int(1), sqlv_null()};
        assert_int_equal(insert_row(s, "u", rn, TW_ABORT, &rid, &e), 0);
    }
    sqlv r4[4] = {sqlv_null(), sqlv_text("n@n", 3), sqlv_int(5), sqlv_int(5)};
    (void)r4;
    assert_int_equal(count_rows(s, "u"), 4);
    /* violations inside an explicit transaction leave nothing behind, the txn goes on */
    assert_int_equal(sess_begin(s, &e), 0);
    sqlv r5[4] = {sqlv_int(20), sqlv_text("new", 3), sqlv_int(7), sqlv_int(7)};
    assert_int_equal(insert_row(s, "u", r5, TW_ABORT, &rid, &e), 0);
    assert_int_equal(insert_row(s, "u", r2, TW_ABORT, &rid, &e), NQ_ECONSTRAINT);
    sqlv r6[4] = {sqlv_int(20), sqlv_text("zzz", 3), sqlv_null(), sqlv_null()};
    assert_int_equal(insert_row(s, "u", r6, TW_ABORT, &rid, &e), NQ_ECONSTRAINT);
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"u_pkey\"");
    assert_int_equal(count_rows(s, "u"), 5);
    assert_int_equal(sess_commit(s, &e), 0);
    assert_int_equal(count_rows(s, "u"), 5);

    /* which rows conflict, per constraint (ON CONFLICT targets) */
    {
        size_t m;
        assert_int_equal(sess_stmt_begin(s, 1, &m, &e), 0);
        cat_table *tu = cat_table_find(s->cat, "u");
        tw_conflict cf[8];
        /* r2 = (2, x@y, 1, 2): email taken by id 1; (1, 2) is free; id 2 is free */
        int n = tw_find_conflicts(s, tu, r2, 0, 0, NULL, cf, 8, &e);
        assert_int_equal(n, 1);
        assert_string_equal(cf[0].ix->name, "u_email_key");
        sqlv one[4];
        uint8_t *b1;
        assert_int_equal(tw_fetch(s, tu, cf[0].rowid, one, &b1, &e), 0);
        assert_int_equal(one[0].i, 1);
        free(b1);
        /* (20, x@y, 7, 7): the rowid (id is the INTEGER PRIMARY KEY), email and ab_uq */
        sqlv r8[4] = {sqlv_int(20), sqlv_text("x@y", 3), sqlv_int(7), sqlv_int(7)};
        n = tw_find_conflicts(s, tu, r8, 0, 0, NULL, cf, 8, &e);
        assert_int_equal(n, 3);
        assert_null(cf[0].ix);
        assert_int_equal(cf[0].rowid, 20);
        assert_string_equal(cf[1].ix->name, "u_email_key");
        assert_string_equal(cf[2].ix->name, "ab_uq");
        assert_true(cf[0].rowid == cf[2].rowid && cf[0].rowid != cf[1].rowid);
        /* the row itself does not conflict with itself */
        int64_t self = cf[0].rowid;
        n = tw_find_conflicts(s, tu, r8, 0, 0, &self, cf, 8, &e);
        assert_int_equal(n, 1);
        assert_int_equal(tw_find_conflicts(s, tu, r8, 0, 0, NULL, cf, 1, &e), 1); /* max */
        assert_int_equal(sess_stmt_end(s, m, 1, &e), 0);
    }

    /* OR IGNORE and OR REPLACE */
    assert_int_equal(insert_row(s, "u", r2, TW_IGNORE, &rid, &e), 1);
    assert_int_equal(count_rows(s, "u"), 5);
    /* r7 collides with row 1 on email and with row 20 on (a, b): both go */
    sqlv r7[4] = {sqlv_int(30), sqlv_text("x@y", 3), sqlv_int(7), sqlv_int(7)};
    size_t mark;
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    int replaced = 0;
    rid = 0;
    assert_int_equal(tw_insert(s, cat_table_find(s->cat, "u"), r7, 0, &rid, TW_REPLACE, &replaced, &e), 0);
    assert_int_equal(replaced, 2);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(count_rows(s, "u"), 4);

    /* update conflicts and NULL transitions */
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    cat_table *t = cat_table_find(s->cat, "u");
    tw_scan *sc;
    sqlv cur[4];
    int64_t r30 = -1, r10 = -1;
    assert_int_equal(tw_scan_open(s, t, &sc, &e), 0);
    while (tw_scan_next(sc, &rid, cur, &e) == 1) {
        if (cur[0].i == 30)
            r30 = rid;
        if (cur[0].i == 10)
            r10 = rid;
    }
    tw_scan_close(sc);
    uint8_t *buf;
    assert_int_equal(tw_fetch(s, t, r10, cur, &buf, &e), 0);
    sqlv upd[4] = {cur[0], sqlv_text("x@y", 3), cur[2], cur[3]};
    assert_int_equal(tw_update(s, t, r10, cur, r10, upd, &e), NQ_ECONSTRAINT);
    assert_string_equal(e.msg, "duplicate key value violates unique constraint \"u_email_key\"");
    sqlv upd2[4] = {cur[0], sqlv_text("fresh", 5), cur[2], sqlv_int(99)};
    assert_int_equal(tw_update(s, t, r10, cur, r10, upd2, &e), 0);
    free(buf);
    /* updating a row to its own values is no conflict */
    assert_int_equal(tw_fetch(s, t, r30, cur, &buf, &e), 0);
    assert_int_equal(tw_update(s, t, r30, cur, r30, cur, &e), 0);
    free(buf);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(count_rows(s, "u"), 4);
    nq_close(db);
}

/* Index scans against a model: rows (k INT, s TEXT) with an index on (k DESC?, s). */
typedef struct mrow {
    int64_t rowid;
    int64_t k; /* INT64_MIN: NULL */
    char s[8];
} mrow;

static int cmp_val(int64_t a, int64_t b, int desc)
{
    /* PostgreSQL order: NULL largest; DESC reverses everything (NULLs first) */
    int c;
    if (a == b)
        c = 0;
    else if (a == INT64_MIN)
        c = 1;
    else if (b == INT64_MIN)
        c = -1;
    else
        c = a < b ? -1 : 1;
    return desc ? -c : c;
}

static int desc_flag;
static int cmp_rows(const void *x, const void *y)
{
    const mrow *a = x, *b = y;
    int c = cmp_val(a->k, b->k, desc_flag);
    if (!c)
        c = strcmp(a->s, b->s);
    if (!c)
        c = a->rowid < b->rowid ? -1 : a->rowid > b->rowid;
    return c;
}

static void run_iscan_model(int desc)
{
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE m (k INT, s TEXT)");
    DDL_OK(s, desc ? "CREATE INDEX m_ks ON m (k DESC, s)" : "CREATE INDEX m_ks ON m (k, s)");
    nq_rng r;
    nq_rng_seed(&r, 1234 + (uint64_t)desc);
    enum { N = 300 };
    mrow rows[N];
    nq_err e;
    size_t mark;
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    cat_table *t = cat_table_find(s->cat, "m");
    for (int i = 0; i < N; i++) {
        rows[i].k = nq_rng_below(&r, 10) == 0 ? INT64_MIN : (int64_t)nq_rng_below(&r, 40) - 20;
        snprintf(rows[i].s, sizeof rows[i].s, "%c", (char)('a' + nq_rng_below(&r, 5)));
        sqlv row[2] = {rows[i].k == INT64_MIN ? sqlv_null() : sqlv_int(rows[i].k),
                       sqlv_text(rows[i].s, strlen(rows[i].s))};
        int64_t rid = 0;
        assert_int_equal(tw_insert(s, t, row, 0, &rid, TW_ABORT, NULL, &e), 0);
        rows[i].rowid = rid;
    }
    desc_flag = desc;
    qsort(rows, N, sizeof rows[0], cmp_rows);
    cat_index *ix = cat_index_find(s->cat, "m_ks");
    tw_iscan *sc;
    assert_int_equal(tw_iscan_open(s, ix, &sc, &e), 0);
    for (int it = 0; it < 400; it++) {
        /* bounds on the first column only (a NULL bound is allowed too) */
        int has_lo = (int)nq_rng_below(&r, 4) != 0, has_hi = (int)nq_rng_below(&r, 4) != 0;
        int64_t lo = nq_rng_below(&r, 12) == 0 ? INT64_MIN : (int64_t)nq_rng_below(&r, 44) - 22;
        int64_t hi = nq_rng_below(&r, 12) == 0 ? INT64_MIN : (int64_t)nq_rng_below(&r, 44) - 22;
        int lo_incl = (int)nq_rng_below(&r, 2), hi_incl = (int)nq_rng_below(&r, 2);
        int reverse = (int)nq_rng_below(&r, 2);
        uint8_t *lk = NULL, *hk = NULL;
        size_t ll = 0, hl = 0;
        sqlv lv = lo == INT64_MIN ? sqlv_null() : sqlv_int(lo);
        sqlv hv = hi == INT64_MIN ? sqlv_null() : sqlv_int(hi);
        if (has_lo)
            assert_int_equal(key_encode(&lv, ix->kcols, 1, &lk, &ll, &e), 0);
        if (has_hi)
            assert_int_equal(key_encode(&hv, ix->kcols, 1, &hk, &hl, &e), 0);
        assert_int_equal(tw_iscan_start(sc, lk, ll, lo_incl, hk, hl, hi_incl, reverse, &e), 0);
        /* expected: model rows within the bounds in index order (bounds are in index order) */
        int64_t exp[N];
        int ne = 0;
        for (int i = 0; i < N; i++) {
            if (has_lo) {
                int c = cmp_val(rows[i].k, lo, desc);
                if (c < 0 || (c == 0 && !lo_incl))
                    continue;
            }
            if (has_hi) {
                int c = cmp_val(rows[i].k, hi, desc);
                if (c > 0 || (c == 0 && !hi_incl))
                    continue;
            }
            exp[ne++] = i;
        }
        int got = 0;
        int64_t rid;
        sqlv vals[2];
        for (;;) {
            int rc = tw_iscan_next(sc, &rid, vals, &e);
            assert_true(rc >= 0);
            if (rc == 0)
                break;
            assert_true(got < ne);
            const mrow *m = &rows[exp[reverse ? ne - 1 - got : got]];
            assert_int_equal(rid, m->rowid);
            if (m->k == INT64_MIN)
                assert_int_equal(vals[0].type, SQLV_NULL);
            else
                assert_true(vals[0].type == SQLV_INT && vals[0].i == m->k);
            assert_true(vals[1].type == SQLV_TEXT && vals[1].n == strlen(m->s) &&
                        !memcmp(vals[1].p, m->s, vals[1].n));
            sqlv_clear(&vals[0]);
            sqlv_clear(&vals[1]);
            got++;
        }
        assert_int_equal(got, ne);
        free(lk);
        free(hk);
    }
    /* two-column bound: k = 3 (or its DESC twin), s in [b, c] */
    tw_iscan_close(sc);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    nq_close(db);
}

static void test_iscan_asc(void **state)
{
    (void)state;
    run_iscan_model(0);
}

static void test_iscan_desc(void **state)
{
    (void)state;
    run_iscan_model(1);
}

static void test_too_big(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE big (id INTEGER PRIMARY KEY, k TEXT, body TEXT)");
    DDL_OK(s, "CREATE INDEX big_k ON big (k)");
    nq_err e;
    static char huge[3000];
    memset(huge, 'x', sizeof huge);
    /* a large value outside any index is fine (overflow pages) */
    sqlv ok[3] = {sqlv_null(), sqlv_text("a", 1), sqlv_text(huge, sizeof huge)};
    assert_int_equal(insert_row(s, "big", ok, TW_ABORT, NULL, &e), 0);
    /* in an index it is refused with the index named, in autocommit and inside BEGIN */
    sqlv bad[3] = {sqlv_null(), sqlv_text(huge, sizeof huge), sqlv_null()};
    assert_int_equal(insert_row(s, "big", bad, TW_ABORT, NULL, &e), NQ_ETOOBIG);
    assert_non_null(strstr(e.msg, "index row too large for index \"big_k\""));
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(insert_row(s, "big", bad, TW_ABORT, NULL, &e), NQ_ETOOBIG);
    assert_int_equal(count_rows(s, "big"), 1);
    assert_int_equal(sess_commit(s, &e), 0);
    assert_int_equal(count_rows(s, "big"), 1);
    nq_close(db);
}

static void test_truncate(void **state)
{
    (void)state;
    nq_db *db = open_db(DB, 1);
    sql_session *s = sql_session_get(db);
    DDL_OK(s, "CREATE TABLE tr (a INT UNIQUE, b TEXT)");
    DDL_OK(s, "CREATE INDEX tr_b ON tr (b)");
    nq_err e;
    for (int i = 0; i < 500; i++) {
        sqlv row[2] = {sqlv_int(i), sqlv_text("v", 1)};
        assert_int_equal(insert_row(s, "tr", row, TW_ABORT, NULL, &e), 0);
    }
    assert_int_equal(count_rows(s, "tr"), 500);
    /* truncate inside a transaction, then roll back to before it */
    assert_int_equal(sess_begin(s, &e), 0);
    assert_int_equal(sess_savepoint(s, "sp", &e), 0);
    size_t mark;
    int64_t n;
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    assert_int_equal(tw_truncate(s, cat_table_find(s->cat, "tr"), &n, &e), 0);
    assert_int_equal(n, 500);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(count_rows(s, "tr"), 0);
    assert_int_equal(sess_rollback_to(s, "sp", &e), 0);
    assert_int_equal(count_rows(s, "tr"), 500);
    assert_int_equal(sess_commit(s, &e), 0);
    assert_int_equal(sess_stmt_begin(s, 1, &mark, &e), 0);
    assert_int_equal(tw_truncate(s, cat_table_find(s->cat, "tr"), &n, &e), 0);
    assert_int_equal(sess_stmt_end(s, mark, 1, &e), 0);
    assert_int_equal(n, 500);
    assert_int_equal(count_rows(s, "tr"), 0);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_rows),
        cmocka_unit_test(test_rowid_allocation),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_iscan_asc),
        cmocka_unit_test(test_iscan_desc),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
