/*
 * test_quantum_search.c — QUANTUM_SEARCH and SELECT ... USING QUANTUM GROVER (exec_grover.c)
 * against the classical query.
 *
 * Seeded random tables (1 row, non-powers of two, powers of two, NULLs, an index) and random
 * predicates (no match, one match, all rows, comparisons, LIKE, IS NULL, AND/OR, a subquery):
 * the Grover forms (known M, AMPLITUDE_AMPLIFICATION, MAX_ITERATIONS 1, fixed ITERATIONS, other
 * seeds) must return exactly the rows of `SELECT * FROM t WHERE p ORDER BY id`, in that order.
 * EXPLAIN (ANALYZE, FORMAT JSON) must give sane figures: qubits = max(1, ceil(log2 N)), the
 * first round's k the optimal one for M marked of 2^n and its probability sin^2((2k+1)theta),
 * every marked row found by Grover or the classical finish. Then the classical paths: a table
 * past MAX_QUBITS at plan time and at run time, a join, a view, an empty table; and the errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
#include "nqdb.h"
#include "quantum/grover.h"

#define DB "quantum_search_test.db"

static nq_db *open_fresh(void)
{
    unlink(DB);
    unlink(DB "-wal");
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    nq_db *db = NULL;
    assert_int_equal(nq_open(DB, &o, &db), 0);
    return db;
}

static void exec_ok(nq_db *db, const char *sql)
{
    int rc = nq_exec(db, sql, NULL, NULL);
    if (rc)
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}

/* All rows of a query as text, one line each; rc of the statement. */
static int rows_of(nq_db *db, const char *sql, buf *out)
{
    out->n = 0;
    put(out, "");
    nq_stmt *st = NULL;
    int rc = nq_prepare(db, sql, (size_t)-1, &st, NULL);
    if (rc)
        return rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        for (int i = 0; i < nq_column_count(st); i++) {
            const char *t = nq_column_text(st, i);
            put(out, t ? t : "NULL");
            put(out, "|");
        }
        put(out, "\n");
    }
    nq_finalize(st);
    return rc == NQ_DONE ? 0 : rc;
}

static size_t count_lines(const buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->p[i] == '\n';
    return n;
}

/* A number after "key": in the EXPLAIN JSON text (the first occurrence). */
static double jnum(const char *json, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    if (!p)
        fail_msg("no %s in %s", key, json);
    return strtod(p + strlen(pat), NULL);
}

static int jtrue(const char *json, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": true", key);
    return strstr(json, pat) != NULL;
}

static void make_table(nq_db *db, nq_rng *r, int n, int with_index)
{
    exec_ok(db, "DROP TABLE IF EXISTS t");
    exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, w REAL, s TEXT)");
    if (with_index)
        exec_ok(db, "CREATE INDEX t_v ON t (v)");
    exec_ok(db, "BEGIN");
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, "INSERT INTO t VALUES (?, ?, ?, ?)", (size_t)-1, &st, NULL), 0);
    int64_t id = 0;
    for (int i = 0; i < n; i++) {
        id += 1 + (int64_t)nq_rng_below(r, 3); /* gaps in the rowids */
        nq_bind_int64(st, 1, id);
        if (nq_rng_below(r, 10) == 0)
            nq_bind_null(st, 2);
        else
            nq_bind_int64(st, 2, (int64_t)nq_rng_below(r, 50));
        nq_bind_double(st, 3, nq_rng_double(r) * 10);
        char s[8];
        int len = 1 + (int)nq_rng_below(r, 4);
        for (int k = 0; k < len; k++)
            s[k] = (char)('a' + nq_rng_below(r, 4));
        s[len] = 0;
        if (nq_rng_below(r, 12) == 0)
            nq_bind_null(st, 4);
        else
            nq_bind_text(st, 4, s, (size_t)-1);
        assert_int_equal(nq_step(st), NQ_DONE);
        nq_reset(st);
    }
    nq_finalize(st);
    exec_ok(db, "COMMIT");
}

static void random_pred(nq_rng *r, char *out, size_t cap)
{
    int k = (int)nq_rng_below(r, 50);
    switch (nq_rng_below(r, 12)) {
    case 0: snprintf(out, cap, "v = %d", k); break;
    case 1: snprintf(out, cap, "v < %d", k); break;
    case 2: snprintf(out, cap, "v > 1000"); break;                 /* no match */
    case 3: snprintf(out, cap, "1 = 1"); break;                    /* every row */
    case 4: snprintf(out, cap, "s LIKE '%c%%'", 'a' + k % 4); break;
    case 5: snprintf(out, cap, "v IS NULL OR s IS NULL"); break;
    case 6: snprintf(out, cap, "v %% 7 = %d AND w < %d", k % 7, 1 + k % 10); break;
    case 7: snprintf(out, cap, "id = (SELECT max(id) FROM t)"); break; /* one match */
    case 8: snprintf(out, cap, "v BETWEEN %d AND %d OR s = 'ab'", k, k + 5); break;
    case 9: snprintf(out, cap, "v <> %d", k); break;
    case 10: snprintf(out, cap, "id %% %d = 0", 2 + k % 5); break;
    default: snprintf(out, cap, "w > %d.5", k % 10); break;
    }
}

/* The Grover forms of one predicate against the classical answer. */
static void compare(nq_db *db, nq_rng *r, const char *pred, int nrows)
{
    char sql[512];
    buf want = {0}, got = {0};
    snprintf(sql, sizeof sql, "SELECT * FROM t WHERE %s ORDER BY id", pred);
    assert_int_equal(rows_of(db, sql, &want), 0);
    unsigned seed = (unsigned)nq_rng_below(r, 1000);
    const char *forms[] = {
        "QUANTUM_SEARCH t WHERE %s",
        "QUANTUM_SEARCH t WHERE %s WITH AMPLITUDE_AMPLIFICATION SEED %u",
        "QUANTUM_SEARCH t WHERE %s MAX_ITERATIONS 1 SEED %u",
        "QUANTUM_SEARCH t WHERE %s WITH ITERATIONS 2, SEED %u",
        "SELECT * FROM t WHERE %s USING QUANTUM GROVER SEED %u",
        "SELECT * FROM t WHERE %s USING QUANTUM GROVER WITH AMPLITUDE_AMPLIFICATION MAX_ITERATIONS 3",
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        char q[600];
        snprintf(q, sizeof q, forms[f], pred, seed);
        int rc = rows_of(db, q, &got);
        if (rc)
            fail_msg("%s: %s", q, nq_errmsg(db));
        if (strcmp(want.p, got.p))
            fail_msg("%d rows, %s:\nwant\n%s\ngot\n%s", nrows, q, want.p, got.p);
    }
    /* EXPLAIN ANALYZE figures (known M) */
    snprintf(sql, sizeof sql, "EXPLAIN (ANALYZE, FORMAT JSON) QUANTUM_SEARCH t WHERE %s SEED %u", pred, seed);
    assert_int_equal(rows_of(db, sql, &got), 0);
    const char *j = got.p;
    uint64_t m = (uint64_t)count_lines(&want);
    uint64_t n = (uint64_t)nrows;
    uint64_t q = 1;
    while (((uint64_t)1 << q) < n)
        q++;
    assert_true(jtrue(j, "searched"));
    assert_int_equal((uint64_t)jnum(j, "rows"), n);
    assert_int_equal((uint64_t)jnum(j, "qubits"), q);
    assert_int_equal((uint64_t)jnum(j, "marked"), m);
    assert_int_equal((uint64_t)(jnum(j, "found_by_grover") + jnum(j, "finished_classically")), m);
    assert_int_equal((uint64_t)jnum(j, "classical_predicate_evaluations"), n);
    double p = jnum(j, "success_probability");
    double ps = jnum(j, "state_success_probability");
    double hr = jnum(j, "hit_rate");
    assert_true(p >= 0 && p <= 1 && ps >= 0 && ps <= 1.000000001 && hr >= 0 && hr <= 1);
    if (m > 0) {
        uint64_t k = grover_optimal_iterations((uint64_t)1 << q, m);
        assert_int_equal((uint64_t)jnum(j, "first_round_iterations"), k);
        assert_true(fabs(p - grover_success_probability((uint64_t)1 << q, m, k)) < 1e-7);
        assert_true(fabs(p - ps) < 1e-7);
        assert_true(jnum(j, "rounds") >= 1);
        assert_true(jnum(j, "shots") >= (double)m - jnum(j, "finished_classically"));
        if (k > 0)
            assert_true(jnum(j, "iterations") > 0);
        /* the known-M search with the optimal k finds everything (64 empty rounds in a row
         * would have to happen for a classical finish) */
        assert_int_equal((uint64_t)jnum(j, "finished_classically"), 0);
    } else {
        assert_int_equal((uint64_t)jnum(j, "rounds"), 0);
    }
    free(want.p);
    free(got.p);
}

static void test_random_tables(void **state)
{
    (void)state;
    nq_db *db = open_fresh();
    nq_rng r;
    nq_rng_seed(&r, 20261124);
    const int sizes[] = {1, 2, 3, 5, 8, 17, 31, 64, 100, 257, 600};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        make_table(db, &r, sizes[i], i % 3 == 1);
        for (int k = 0; k < 8; k++) {
            char pred[128];
            random_pred(&r, pred, sizeof pred);
            compare(db, &r, pred, sizes[i]);
        }
        compare(db, &r, "1 = 1", sizes[i]);
        compare(db, &r, "v > 1000", sizes[i]);
    }
    nq_close(db);
}

/* ORDER BY, LIMIT, GROUP BY and DISTINCT run above the search as they do above a scan. */
static void test_hint_under_other_clauses(void **state)
{
    (void)state;
    nq_db *db = open_fresh();
    nq_rng r;
    nq_rng_seed(&r, 7);
    make_table(db, &r, 300, 1);
    const char *qs[] = {
        "SELECT s, v FROM t WHERE v < 20 %s ORDER BY v DESC, id LIMIT 7 OFFSET 2",
        "SELECT v, count(*), sum(w) FROM t WHERE s LIKE 'a%%' %s GROUP BY v ORDER BY v",
        "SELECT DISTINCT s FROM t WHERE v % 3 = 1 %s ORDER BY s",
        "SELECT id FROM t WHERE v IN (SELECT v FROM t WHERE id < 20) %s ORDER BY id",
        "SELECT count(*) FROM t WHERE v > 1000 %s",
    };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        char a[400], b[400];
        snprintf(a, sizeof a, qs[i], "");
        snprintf(b, sizeof b, qs[i], "USING QUANTUM GROVER");
        buf x = {0}, y = {0};
        assert_int_equal(rows_of(db, a, &x), 0);
        if (rows_of(db, b, &y))
            fail_msg("%s: %s", b, nq_errmsg(db));
        assert_string_equal(x.p, y.p);
        free(x.p);
        free(y.p);
    }
    nq_close(db);
}

static void expect_plan(nq_db *db, const char *sql, const char *needle)
{
    buf b = {0};
    if (rows_of(db, sql, &b))
        fail_msg("%s: %s", sql, nq_errmsg(db));
    if (!strstr(b.p, needle))
        fail_msg("%s: no \"%s\" in\n%s", sql, needle, b.p);
    free(b.p);
}

static void test_classical_paths(void **state)
{
    (void)state;
    nq_db *db = open_fresh();
    nq_rng r;
    nq_rng_seed(&r, 11);
    make_table(db, &r, 40, 1);
    buf want = {0}, got = {0};
    assert_int_equal(rows_of(db, "SELECT * FROM t WHERE v < 25 ORDER BY id", &want), 0);
    /* past the budget when planned: the classical plan, which may use the index */
    assert_int_equal(rows_of(db, "SELECT * FROM t WHERE v < 25 USING QUANTUM GROVER MAX_QUBITS 3 ORDER BY id", &got), 0);
    assert_string_equal(want.p, got.p);
    expect_plan(db, "EXPLAIN QUANTUM_SEARCH t WHERE v < 25 MAX_QUBITS 3",
                "CLASSICAL PLAN (no Grover search: t holds about 40 rows, more than twice the 3-qubit budget's 8)");
    /* the estimate says it fits (ANALYZE counted 40 rows), the table grew: the operator
     * filters classically when it reads more than 2^MAX_QUBITS rows */
    exec_ok(db, "ANALYZE t");
    exec_ok(db, "INSERT INTO t (id, v, w, s) SELECT id + 100000, v, w, s FROM t");
    assert_int_equal(rows_of(db, "SELECT * FROM t WHERE v < 25 ORDER BY id", &want), 0);
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH t WHERE v < 25 MAX_QUBITS 6", &got), 0);
    assert_string_equal(want.p, got.p);
    assert_int_equal(rows_of(db, "EXPLAIN (ANALYZE, FORMAT JSON) QUANTUM_SEARCH t WHERE v < 25 MAX_QUBITS 6", &got), 0);
    assert_non_null(strstr(got.p, "\"searched\": false"));
    assert_non_null(strstr(got.p, "classical: 80 rows need 7 qubits, past MAX_QUBITS 6"));
    expect_plan(db, "EXPLAIN ANALYZE QUANTUM_SEARCH t WHERE v < 25 MAX_QUBITS 6", "Grover: not run (classical: 80 rows need 7 qubits");
    /* the search stops and the rest is finished classically: a round past the simulation
     * budget, or 64 rounds in a row without a new row (MAX_ITERATIONS 1 on 1 row of 80) */
    assert_int_equal(rows_of(db, "SELECT * FROM t WHERE v < 25 ORDER BY id", &want), 0);
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH t WHERE v < 25 ITERATIONS 2000000000", &got), 0);
    assert_string_equal(want.p, got.p);
    assert_int_equal(rows_of(db, "EXPLAIN (ANALYZE, FORMAT JSON) QUANTUM_SEARCH t WHERE v < 25 ITERATIONS 2000000000", &got), 0);
    assert_true(jtrue(got.p, "searched"));
    assert_int_equal((uint64_t)jnum(got.p, "rounds"), 0);
    assert_int_equal((uint64_t)jnum(got.p, "found_by_grover"), 0);
    assert_int_equal((uint64_t)jnum(got.p, "finished_classically"), count_lines(&want));
    assert_non_null(strstr(got.p, "the simulation budget of 4294967296 amplitude updates would be exceeded"));
    expect_plan(db, "EXPLAIN ANALYZE QUANTUM_SEARCH t WHERE v < 25 ITERATIONS 2000000000", "found by Grover: 0 rows, finished classically: ");
    int finished = 0;
    for (int seed = 0; seed < 4; seed++) {
        char q[200];
        snprintf(q, sizeof q, "EXPLAIN (ANALYZE, FORMAT JSON) QUANTUM_SEARCH t WHERE id = 100003 MAX_ITERATIONS 1 ITERATIONS 0 SEED %d", seed);
        assert_int_equal(rows_of(db, q, &got), 0);
        double fin = jnum(got.p, "finished_classically");
        assert_int_equal((uint64_t)(jnum(got.p, "found_by_grover") + fin), 1);
        assert_int_equal((uint64_t)jnum(got.p, "iterations"), 0);
        if (fin == 1) {
            assert_non_null(strstr(got.p, "64 rounds in a row found no new row"));
            assert_int_equal((uint64_t)jnum(got.p, "rounds"), 64);
            finished++;
        }
    }
    assert_true(finished > 0 && finished < 4); /* P(a round finds the row) = 1/128 */
    /* M unknown (BBHT): one shot a trial, and the search ends by its stop rule */
    assert_int_equal(rows_of(db, "EXPLAIN (ANALYZE, FORMAT JSON) QUANTUM_SEARCH t WHERE v < 25 WITH AMPLITUDE_AMPLIFICATION SEED 5", &got), 0);
    assert_non_null(strstr(got.p, "\"mode\": \"bbht\""));
    assert_non_null(strstr(got.p, "stop rule: 32 misses in a row at m = sqrt(2^n)"));
    assert_true(jnum(got.p, "rounds") >= 32);
    assert_true(jnum(got.p, "shots") == jnum(got.p, "rounds"));
    assert_int_equal((uint64_t)(jnum(got.p, "found_by_grover") + jnum(got.p, "finished_classically")),
                     (uint64_t)jnum(got.p, "marked"));
    /* no row-index space */
    exec_ok(db, "CREATE VIEW tv AS SELECT * FROM t");
    expect_plan(db, "EXPLAIN SELECT * FROM t a JOIN t b ON a.id = b.v USING QUANTUM GROVER",
                "no Grover search: a join has no single row-index space");
    expect_plan(db, "EXPLAIN QUANTUM_SEARCH tv WHERE v = 3", "no Grover search: a view has no stored row-index space");
    expect_plan(db, "EXPLAIN WITH c AS (SELECT * FROM t) SELECT * FROM c WHERE v = 3 USING QUANTUM GROVER",
                "no Grover search: a WITH query has no stored row-index space");
    expect_plan(db, "EXPLAIN SELECT * FROM (SELECT * FROM t) x WHERE v = 3 USING QUANTUM GROVER",
                "no Grover search: a derived table");
    assert_int_equal(rows_of(db, "SELECT * FROM t a JOIN t b ON a.id = b.v WHERE a.v < 30 ORDER BY a.id, b.id", &want), 0);
    assert_int_equal(rows_of(db, "SELECT * FROM t a JOIN t b ON a.id = b.v WHERE a.v < 30 USING QUANTUM GROVER ORDER BY a.id, b.id", &got), 0);
    assert_string_equal(want.p, got.p);
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH tv WHERE v = 3", &got), 0);
    assert_int_equal(rows_of(db, "SELECT * FROM tv WHERE v = 3", &want), 0);
    assert_string_equal(want.p, got.p);
    /* an empty table */
    exec_ok(db, "CREATE TABLE e (a INTEGER)");
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH e WHERE a = 1", &got), 0);
    assert_string_equal(got.p, "");
    expect_plan(db, "EXPLAIN ANALYZE QUANTUM_SEARCH e", "the table is empty");
    /* the plain EXPLAIN names the search */
    expect_plan(db, "EXPLAIN QUANTUM_SEARCH t WHERE v = 1 WITH AMPLITUDE_AMPLIFICATION",
                "GROVER SEARCH t (oracle: the WHERE predicate; exponential search, M unknown (BBHT)");
    expect_plan(db, "EXPLAIN ANALYZE QUANTUM_SEARCH t WHERE v = 1", "classical filter");
    free(want.p);
    free(got.p);
    nq_close(db);
}

/* The upstream statement forms run; bad forms fail with a message and a position. */
static void test_forms_and_errors(void **state)
{
    (void)state;
    nq_db *db = open_fresh();
    exec_ok(db, "CREATE TABLE quantum_data (id INTEGER PRIMARY KEY, x INTEGER)");
    exec_ok(db, "INSERT INTO quantum_data VALUES (1, 5), (2, 6), (3, 5)");
    buf b = {0};
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH quantum_data AMPLITUDE_AMPLIFICATION", &b), 0);
    assert_string_equal(b.p, "1|5|\n2|6|\n3|5|\n");
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH quantum_data", &b), 0);
    assert_int_equal(count_lines(&b), 3);
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH quantum_data WHERE x = 5 WITH MAX_ITERATIONS = 10", &b), 0);
    assert_string_equal(b.p, "1|5|\n3|5|\n");
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH quantum_data AMPLITUDE_AMPLIFICATION WHERE x = 6", &b), 0);
    assert_string_equal(b.p, "2|6|\n");
    static const struct {
        const char *sql, *msg;
        unsigned col;
    } bad[] = {
        {"QUANTUM_SEARCH quantum_data WHERE x = 5 WITH ORACLE 'x'", "unknown Grover option \"ORACLE\": the oracle is the WHERE clause", 46},
        {"QUANTUM_SEARCH quantum_data WHERE x = 5 MAX_ITERATIONS 0", "MAX_ITERATIONS expects an integer from 1 to", 56},
        {"QUANTUM_SEARCH quantum_data WHERE x = 5 MAX_ITERATIONS x", "MAX_ITERATIONS expects an integer", 56},
        {"QUANTUM_SEARCH quantum_data WHERE x = 5 SEED 1 SEED 2", "SEED is given twice", 48},
        {"QUANTUM_SEARCH quantum_data WHERE x = 5 WITH", "expected a Grover option", 45},
        {"SELECT * FROM quantum_data USING QUANTUM GROVER MAX_QUBITS 99", "MAX_QUBITS expects an integer from 1 to 64", 60},
        {"SELECT * FROM quantum_data USING QUANTUM GROVER BOGUS", "unknown Grover option \"BOGUS\"", 49},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nq_stmt *st = NULL;
        int rc = nq_prepare(db, bad[i].sql, (size_t)-1, &st, NULL);
        assert_true(rc < 0);
        if (!strstr(nq_errmsg(db), bad[i].msg))
            fail_msg("%s: %s", bad[i].sql, nq_errmsg(db));
        unsigned line, col;
        nq_error_position(db, &line, &col);
        assert_int_equal(line, 1);
        if (col != bad[i].col)
            fail_msg("%s: column %u, want %u", bad[i].sql, col, bad[i].col);
    }
    static const struct {
        const char *sql, *msg;
    } bad2[] = {
        {"QUANTUM_SEARCH quantum_data MAX_QUBITS 40", "MAX_QUBITS 40 is past the simulator's memory budget"},
        {"QUANTUM_SEARCH quantum_data AMPLITUDE_AMPLIFICATION ITERATIONS 3", "ITERATIONS cannot be combined with AMPLITUDE_AMPLIFICATION"},
        {"QUANTUM_SEARCH nope WHERE x = 1", "no such table: nope"},
        {"QUANTUM_SEARCH quantum_data WHERE nope = 1", "nope"},
        {"QUANTUM_SEARCH quantum_data WHERE count(*) > 1", "aggregate functions are not allowed in WHERE"},
    };
    for (size_t i = 0; i < sizeof bad2 / sizeof bad2[0]; i++) {
        nq_stmt *st = NULL;
        assert_true(nq_prepare(db, bad2[i].sql, (size_t)-1, &st, NULL) < 0);
        if (!strstr(nq_errmsg(db), bad2[i].msg))
            fail_msg("%s: %s", bad2[i].sql, nq_errmsg(db));
    }
    /* a prepared QUANTUM_SEARCH with a parameter runs again with new bindings */
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, "QUANTUM_SEARCH quantum_data WHERE x = ?", (size_t)-1, &st, NULL), 0);
    assert_string_equal(nq_stmt_kind(st), "QUANTUM_SEARCH");
    assert_true(nq_stmt_readonly(st));
    for (int v = 4; v <= 6; v++) {
        nq_bind_int64(st, 1, v);
        int n = 0;
        while (nq_step(st) == NQ_ROW)
            n++;
        assert_int_equal(n, v == 5 ? 2 : v == 6 ? 1 : 0);
        nq_reset(st);
    }
    nq_finalize(st);
    free(b.p);
    nq_close(db);
}

static int stop_after(void *arg)
{
    int *calls = arg;
    return ++*calls >= 40;
}

/* A long search stops at the progress handler's word, between rounds. */
static void test_interrupt(void **state)
{
    (void)state;
    nq_db *db = open_fresh();
    nq_rng r;
    nq_rng_seed(&r, 3);
    make_table(db, &r, 4096, 0);
    int calls = 0;
    nq_progress_handler(db, 1, stop_after, &calls);
    nq_stmt *st;
    /* no match and M unknown: the stop rule alone takes 70+ rounds; the scan of 4096 rows
     * calls the handler 16 times, every round once more */
    assert_int_equal(nq_prepare(db, "QUANTUM_SEARCH t WHERE v > 1000 WITH AMPLITUDE_AMPLIFICATION", (size_t)-1, &st, NULL), 0);
    assert_int_equal(nq_step(st), NQ_EINTERRUPT);
    assert_int_equal(calls, 40);
    nq_finalize(st);
    nq_progress_handler(db, 0, NULL, NULL);
    buf b = {0};
    assert_int_equal(rows_of(db, "QUANTUM_SEARCH t WHERE v > 1000 WITH AMPLITUDE_AMPLIFICATION", &b), 0);
    assert_string_equal(b.p, "");
    free(b.p);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_tables),
        cmocka_unit_test(test_hint_under_other_clauses),
        cmocka_unit_test(test_classical_paths),
        cmocka_unit_test(test_forms_and_errors),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
