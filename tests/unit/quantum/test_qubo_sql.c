/*
 * test_qubo_sql.c — QUBO problems stored in tables, through the SQL API (include/nqdb.h):
 * the table function qubo_solve(terms_table [, solver [, time_limit_s [, seed [, restarts
 * [, target]]]]]) and the statement OPTIMIZE QUBO (one summary row of the same run).
 *
 *   - optima known by hand (two variables) and analytically (Max-Cut of K4 → cut 4), for
 *     every solver;
 *   - random models with 1-based, sparse indices, reversed and repeated pairs: the optimum
 *     found by enumerating every assignment here, over the rows themselves (Σ w·x_i·x_j, an
 *     oracle independent of src/quantum), equals what the exact solver and each heuristic
 *     return, and the reported energy equals the energy of the returned assignment;
 *   - the same seed gives the same rows; views, WITH queries and bound parameters as inputs;
 *   - errors: missing table, missing column, text/NULL/fraction/negative/oversized values
 *     (message names the table and the row), bad options, the exact solver over 30 variables;
 *   - OPTIMIZE QUBO: its columns, exact on K4 (16 states, proven), the same answer as qubo_solve
 *     with the same options, TIME_LIMIT/RESTARTS 0/TARGET, an empty table, EXPLAIN, errors;
 *   - a search with a day's time limit stops when the statement is interrupted;
 *   - a Beasley instance (bqp50-1) loaded into a table reaches its proven optimum −2098
 *     (skipped, saying where it looked, when ../shared is absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rand.h"
#include "nqdb.h"

#ifndef NQ_SHARED_DIR
#define NQ_SHARED_DIR "../shared"
#endif

#define MAXV 64

static nq_db *fresh(const char *name)
{
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", name);
    unlink(name);
    unlink(wal);
    nq_db *db = NULL;
    assert_int_equal(nq_open(name, NULL, &db), NQ_OK);
    return db;
}

static void ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL) != NQ_OK)
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

/* The answer of a qubo_solve query: variables, values, energy, solver, optimal. */
typedef struct answer {
    int n;
    int64_t var[MAXV];
    int val[MAXV];
    double energy;
    char solver[16];
    int optimal;
} answer;

static void run_solve(nq_db *db, const char *sql, answer *a)
{
    memset(a, 0, sizeof *a);
    nq_stmt *st = NULL;
    if (nq_prepare(db, sql, (size_t)-1, &st, NULL) != NQ_OK)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    assert_int_equal(nq_column_count(st), 6);
    assert_string_equal(nq_column_name(st, 0), "variable");
    int rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        assert_true(a->n < MAXV);
        assert_int_equal(nq_column_type(st, 0), NQ_TYPE_INTEGER);
        a->var[a->n] = nq_column_int64(st, 0);
        a->val[a->n] = (int)nq_column_int64(st, 1);
        assert_true(a->val[a->n] == 0 || a->val[a->n] == 1);
        a->energy = nq_column_double(st, 2);
        snprintf(a->solver, sizeof a->solver, "%s", nq_column_text(st, 3));
        a->optimal = (int)nq_column_int64(st, 4);
        assert_true(nq_column_double(st, 5) >= 0);
        a->n++;
    }
    if (rc != NQ_DONE)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    nq_finalize(st);
}

/* Expect the statement to fail (at prepare or at a step) with msg in the message. */
static void fails(nq_db *db, const char *sql, const char *msg)
{
    nq_stmt *st = NULL;
    int rc = nq_prepare(db, sql, (size_t)-1, &st, NULL);
    while (rc == NQ_OK || rc == NQ_ROW)
        rc = nq_step(st);
    nq_finalize(st);
    if (rc == NQ_DONE)
        fail_msg("%s: succeeded, expected an error with \"%s\"", sql, msg);
    if (!strstr(nq_errmsg(db), msg))
        fail_msg("%s: error \"%s\" does not contain \"%s\"", sql, nq_errmsg(db), msg);
}

/* ---- an oracle that knows nothing of src/quantum ---- */
typedef struct row3 {
    int i, j;
    double w;
} row3;

/* Minimum of Σ w·x_i·x_j over all assignments of the variables that occur (indices < 64). */
static double brute_min(const row3 *t, int nt, int *nvars)
{
    int idx[MAXV], n = 0;
    for (int k = 0; k < nt; k++)
        for (int s = 0; s < 2; s++) {
            int v = s ? t[k].j : t[k].i, seen = 0;
            for (int q = 0; q < n; q++)
                seen |= idx[q] == v;
            if (!seen)
                idx[n++] = v;
        }
    *nvars = n;
    double best = INFINITY;
    for (uint64_t code = 0; code < (1ULL << n); code++) {
        double e = 0;
        for (int k = 0; k < nt; k++) {
            int xi = 0, xj = 0;
            for (int q = 0; q < n; q++) {
                if (idx[q] == t[k].i)
                    xi = (int)((code >> q) & 1);
                if (idx[q] == t[k].j)
                    xj = (int)((code >> q) & 1);
            }
            e += t[k].w * xi * xj;
        }
        if (e < best)
            best = e;
    }
    return best;
}

/* Σ w·x_i·x_j for the assignment of an answer. */
static double energy_of(const row3 *t, int nt, const answer *a)
{
    double e = 0;
    for (int k = 0; k < nt; k++) {
        int xi = -1, xj = -1;
        for (int q = 0; q < a->n; q++) {
            if (a->var[q] == t[k].i)
                xi = a->val[q];
            if (a->var[q] == t[k].j)
                xj = a->val[q];
        }
        assert_true(xi >= 0 && xj >= 0); /* every variable of the rows is in the answer */
        e += t[k].w * xi * xj;
    }
    return e;
}

static void load(nq_db *db, const char *table, const row3 *t, int nt)
{
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE TABLE %s(i INTEGER, j INTEGER, w REAL)", table);
    ok(db, sql);
    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (?, ?, ?)", table);
    nq_stmt *ins;
    assert_int_equal(nq_prepare(db, sql, (size_t)-1, &ins, NULL), NQ_OK);
    ok(db, "BEGIN");
    for (int k = 0; k < nt; k++) {
        nq_bind_int64(ins, 1, t[k].i);
        nq_bind_int64(ins, 2, t[k].j);
        nq_bind_double(ins, 3, t[k].w);
        if (nq_step(ins) != NQ_DONE)
            fail_msg("insert: %s", nq_errmsg(db));
        nq_reset(ins);
    }
    ok(db, "COMMIT");
    nq_finalize(ins);
}

/* Max-Cut of K4 as the table k4: each edge (u, v) adds −x_u − x_v + 2·x_u·x_v = −(1 if cut),
 * so the optimum is −4 (a 2–2 split). The rows go to t; their number is returned. */
static int load_k4(nq_db *db, row3 t[18])
{
    int nt = 0;
    for (int u = 1; u <= 4; u++)
        for (int v = u + 1; v <= 4; v++) {
            t[nt++] = (row3){u, u, -1};
            t[nt++] = (row3){v, v, -1};
            t[nt++] = (row3){u, v, 2};
        }
    load(db, "k4", t, nt);
    return nt;
}

static const char *const solvers[5] = {"exact", "sa", "pt", "tabu", "sqa"};

static void test_by_hand(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_hand.db");
    /* E = −x0 − x1 + 2·x0·x1: one of the two, energy −1 */
    ok(db, "CREATE TABLE t(i INTEGER, j INTEGER, w REAL)");
    ok(db, "INSERT INTO t VALUES (0, 0, -1), (1, 1, -1), (0, 1, 2)");
    /* E = −x0 − x1 + 0.5·x0·x1 (as two half rows, one reversed): both, energy −1.5 */
    ok(db, "CREATE TABLE u(w REAL, j INTEGER, i INTEGER)");
    ok(db, "INSERT INTO u VALUES (-1, 7, 7), (-1, 9, 9), (0.25, 9, 7), (0.25, 7, 9)");
    for (int s = 0; s < 5; s++) {
        char sql[200];
        answer a;
        snprintf(sql, sizeof sql, "SELECT * FROM qubo_solve('t', '%s') ORDER BY variable", solvers[s]);
        run_solve(db, sql, &a);
        assert_int_equal(a.n, 2);
        assert_int_equal(a.var[0], 0);
        assert_int_equal(a.var[1], 1);
        assert_int_equal(a.val[0] + a.val[1], 1);
        assert_true(a.energy == -1);
        assert_string_equal(a.solver, solvers[s]);
        assert_int_equal(a.optimal, s == 0);
        snprintf(sql, sizeof sql, "SELECT * FROM qubo_solve(u, '%s') ORDER BY variable", solvers[s]);
        run_solve(db, sql, &a);
        assert_int_equal(a.n, 2);
        assert_int_equal(a.var[0], 7);
        assert_int_equal(a.var[1], 9);
        assert_int_equal(a.val[0] + a.val[1], 2);
        assert_true(a.energy == -1.5);
    }
    /* the default solver is tabu */
    answer a;
    run_solve(db, "SELECT * FROM qubo_solve('t')", &a);
    assert_string_equal(a.solver, "tabu");
    nq_close(db);
}

static void test_maxcut_k4(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_k4.db");
    row3 t[18];
    int nt = load_k4(db, t);
    for (int s = 0; s < 5; s++) {
        char sql[200];
        answer a;
        snprintf(sql, sizeof sql, "SELECT * FROM qubo_solve('k4', '%s', NULL, 3) ORDER BY variable", solvers[s]);
        run_solve(db, sql, &a);
        assert_int_equal(a.n, 4);
        int ones = 0;
        for (int q = 0; q < 4; q++)
            ones += a.val[q];
        assert_int_equal(ones, 2); /* a 2–2 split cuts 4 edges */
        assert_true(a.energy == -4);
        assert_true(energy_of(t, nt, &a) == -4);
    }
    /* the cut as SQL computes it from the answer */
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, "SELECT count(*) FROM qubo_solve('k4', 'exact') a JOIN qubo_solve('k4', 'exact') b "
                                    "ON a.variable < b.variable AND a.value <> b.value",
                                (size_t)-1, &st, NULL), NQ_OK);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_int_equal(nq_column_int64(st, 0), 4);
    nq_finalize(st);
    nq_close(db);
}

static void test_random_against_enumeration(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_rand.db");
    nq_rng rng;
    nq_rng_seed(&rng, 2026);
    for (int inst = 0; inst < 8; inst++) {
        int n = 6 + inst; /* 6..13 variables */
        int base = (int)nq_rng_below(&rng, 5); /* 0- or 1-based, or shifted */
        int stride = 1 + (int)nq_rng_below(&rng, 3); /* sparse indices */
        row3 t[400];
        int nt = 0;
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
                if (i == j || nq_rng_below(&rng, 2)) {
                    double w = (double)((int)nq_rng_below(&rng, 41) - 20);
                    int a = base + i * stride, b = base + j * stride;
                    if (nq_rng_below(&rng, 2)) { /* reversed pair */
                        int tmp = a;
                        a = b;
                        b = tmp;
                    }
                    t[nt++] = (row3){a, b, w};
                    if (nq_rng_below(&rng, 5) == 0) /* a repeated row adds up */
                        t[nt++] = (row3){b, a, (double)((int)nq_rng_below(&rng, 11) - 5)};
                }
        char name[32], sql[256];
        snprintf(name, sizeof name, "r%d", inst);
        load(db, name, t, nt);
        int nv;
        double opt = brute_min(t, nt, &nv);
        assert_int_equal(nv, n);
        for (int s = 0; s < 5; s++) {
            answer a;
            snprintf(sql, sizeof sql, "SELECT * FROM qubo_solve(%s, '%s', NULL, %d) ORDER BY variable",
                     name, solvers[s], inst + 1);
            run_solve(db, sql, &a);
            assert_int_equal(a.n, n);
            for (int q = 0; q < n; q++)
                assert_int_equal(a.var[q], base + q * stride);
            if (fabs(a.energy - opt) > 1e-9)
                fail_msg("%s with %s: energy %g, enumeration %g", name, solvers[s], a.energy, opt);
            assert_true(fabs(energy_of(t, nt, &a) - a.energy) < 1e-9);
        }
    }
    nq_close(db);
}

static void test_same_seed_same_answer(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_seed.db");
    nq_rng rng;
    nq_rng_seed(&rng, 5);
    row3 t[2000];
    int nt = 0;
    for (int i = 0; i < 40; i++)
        for (int j = i; j < 40; j++)
            if (i == j || nq_rng_below(&rng, 3) == 0)
                t[nt++] = (row3){i, j, (double)((int)nq_rng_below(&rng, 201) - 100)};
    load(db, "big", t, nt);
    for (int s = 1; s < 5; s++) {
        char sql[200];
        answer a, b;
        snprintf(sql, sizeof sql, "SELECT * FROM qubo_solve('big', '%s', NULL, 42, 2) ORDER BY variable", solvers[s]);
        run_solve(db, sql, &a);
        run_solve(db, sql, &b);
        assert_int_equal(a.n, 40);
        assert_memory_equal(a.val, b.val, sizeof a.val);
        assert_true(a.energy == b.energy);
        assert_true(fabs(energy_of(t, nt, &a) - a.energy) < 1e-6);
    }
    nq_close(db);
}

static void test_inputs_and_parameters(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_inputs.db");
    ok(db, "CREATE TABLE raw(a INTEGER, b INTEGER, c REAL, note TEXT)");
    ok(db, "INSERT INTO raw VALUES (1, 1, -3, 'x'), (2, 2, -2, 'y'), (1, 2, 4, 'z')");
    ok(db, "CREATE VIEW terms AS SELECT a AS i, b AS j, c AS w FROM raw");
    answer a;
    run_solve(db, "SELECT * FROM qubo_solve(terms, 'exact') ORDER BY variable", &a);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.val[0], 1); /* x1 alone: −3 beats −2 and −1 */
    assert_int_equal(a.val[1], 0);
    assert_true(a.energy == -3);
    run_solve(db, "WITH q(i, j, w) AS (VALUES (0, 0, 1.5), (3, 3, -0.5)) "
                  "SELECT * FROM qubo_solve(q, 'exact') ORDER BY variable", &a);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.var[1], 3);
    assert_int_equal(a.val[0], 0);
    assert_int_equal(a.val[1], 1);
    assert_true(a.energy == -0.5);
    /* arguments bound as parameters, evaluated at every run */
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, "SELECT energy, solver FROM qubo_solve('terms', ?, NULL, ?) LIMIT 1",
                                (size_t)-1, &st, NULL), NQ_OK);
    assert_int_equal(nq_bind_count(st), 2);
    for (int s = 0; s < 5; s++) {
        nq_bind_text(st, 1, solvers[s], (size_t)-1);
        nq_bind_int64(st, 2, s);
        assert_int_equal(nq_step(st), NQ_ROW);
        assert_true(nq_column_double(st, 0) == -3);
        assert_string_equal(nq_column_text(st, 1), solvers[s]);
        assert_int_equal(nq_step(st), NQ_DONE);
        nq_reset(st);
    }
    nq_bind_text(st, 1, "nope", (size_t)-1);
    assert_true(nq_step(st) < 0);
    assert_non_null(strstr(nq_errmsg(db), "solver must be one of"));
    nq_finalize(st);
    /* an empty table has no variables: no rows */
    ok(db, "CREATE TABLE empty(i INTEGER, j INTEGER, w REAL)");
    run_solve(db, "SELECT * FROM qubo_solve('empty')", &a);
    assert_int_equal(a.n, 0);
    /* a time limit with restarts 0 runs until the limit (or the target) */
    run_solve(db, "SELECT * FROM qubo_solve('terms', 'sa', 0.05, 1, 0, -3)", &a);
    assert_true(a.energy == -3);
    nq_close(db);
}

static void test_errors(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_err.db");
    ok(db, "CREATE TABLE t(i INTEGER, j INTEGER, w REAL)");
    ok(db, "INSERT INTO t VALUES (0, 0, 1), (0, 1, -2)");
    fails(db, "SELECT * FROM qubo_solve('missing')", "qubo_solve: no such table: missing");
    fails(db, "SELECT * FROM no_such_function('t')", "no such table function: no_such_function");
    fails(db, "SELECT * FROM qubo_solve()", "qubo_solve takes 1 to 6 arguments, not 0");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', 1, 1, 1, 1, 1)", "qubo_solve takes 1 to 6 arguments, not 7");
    fails(db, "SELECT * FROM qubo_solve(1 + 1)", "argument 1 (terms_table) must be a table name");
    fails(db, "SELECT * FROM t, qubo_solve('t', t.w)", "qubo_solve: argument 2 (solver)");
    ok(db, "CREATE TABLE wrongcols(i INTEGER, j INTEGER, weight REAL)");
    fails(db, "SELECT * FROM qubo_solve(wrongcols)",
          "qubo_solve: table wrongcols has no column \"w\" (terms_table needs columns i, j, w)");
    ok(db, "CREATE TABLE textw(i INTEGER, j INTEGER, w TEXT)");
    ok(db, "INSERT INTO textw VALUES (0, 0, '1'), (0, 1, 'abc')");
    fails(db, "SELECT * FROM qubo_solve(textw)", "qubo_solve: table textw, row 1: w must be a finite number, not TEXT '1'");
    ok(db, "CREATE TABLE nullw(i INTEGER, j INTEGER, w REAL)");
    ok(db, "INSERT INTO nullw VALUES (0, 0, 1), (1, 1, 2), (0, 1, NULL)");
    fails(db, "SELECT * FROM qubo_solve(nullw)", "qubo_solve: table nullw, row 3: w must be a finite number, not NULL");
    ok(db, "CREATE TABLE anyi(i REAL, j INTEGER, w REAL)");
    ok(db, "INSERT INTO anyi VALUES (2.0, 0, 1), (1.5, 0, 1)");
    fails(db, "SELECT * FROM qubo_solve(anyi)", "qubo_solve: table anyi, row 2: i must be an integer index, not 1.5");
    ok(db, "CREATE TABLE neg(i INTEGER, j INTEGER, w REAL)");
    ok(db, "INSERT INTO neg VALUES (0, 0, 1), (0, -1, 1)");
    fails(db, "SELECT * FROM qubo_solve(neg)", "qubo_solve: table neg, row 2: j = -1 is out of range (0 to 16777215)");
    ok(db, "CREATE TABLE huge(i INTEGER, j INTEGER, w REAL)");
    ok(db, "INSERT INTO huge VALUES (16777216, 0, 1)");
    fails(db, "SELECT * FROM qubo_solve(huge)", "qubo_solve: table huge, row 1: i = 16777216 is out of range (0 to 16777215)");
    fails(db, "SELECT * FROM qubo_solve('t', 'annealing')",
          "qubo_solve: solver must be one of 'exact', 'sa', 'pt', 'tabu', 'sqa', not TEXT 'annealing'");
    fails(db, "SELECT * FROM qubo_solve('t', 3)", "qubo_solve: solver must be one of");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', -1)", "qubo_solve: time_limit_s must be a number of seconds from 0 to 86400, not -1");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', 'soon')", "qubo_solve: time_limit_s must be a number of seconds from 0 to 86400, not TEXT 'soon'");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', 1e9)", "qubo_solve: time_limit_s must be a number of seconds");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', NULL, 'x')", "qubo_solve: seed must be an integer, not TEXT 'x'");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', NULL, 1, -2)", "qubo_solve: restarts must be an integer from 0");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', NULL, 1, 0)", "qubo_solve: restarts 0 (run until the time limit) needs a time limit");
    fails(db, "SELECT * FROM qubo_solve('t', 'sa', NULL, 1, 1, 'low')", "qubo_solve: target must be a finite number");
    /* 31 variables are too many for the exact solver, fine for the others */
    ok(db, "CREATE TABLE wide(i INTEGER, j INTEGER, w REAL)");
    ok(db, "INSERT INTO wide SELECT x, x, -1 FROM (WITH RECURSIVE c(x) AS (VALUES (0) UNION ALL SELECT x + 1 FROM c WHERE x < 30) SELECT x FROM c) s");
    fails(db, "SELECT * FROM qubo_solve(wide, 'exact')", "qubo_solve: the exact solver takes at most 30 variables; table wide has 31");
    answer a;
    run_solve(db, "SELECT * FROM qubo_solve(wide, 'tabu')", &a);
    assert_int_equal(a.n, 31);
    assert_true(a.energy == -31);
    nq_close(db);
}

/* The summary row of OPTIMIZE QUBO. */
typedef struct summary {
    double energy;
    int64_t variables, seed, runs, iterations, optimal;
    char solution[MAXV + 1];
    char solver[16];
} summary;

static void run_optimize(nq_db *db, const char *sql, summary *s)
{
    static const char *const cols[10] = {"energy", "variables", "solution", "solver", "seed",
                                         "runs", "iterations", "optimal", "load_ms", "time_ms"};
    memset(s, 0, sizeof *s);
    nq_stmt *st = NULL;
    if (nq_prepare(db, sql, (size_t)-1, &st, NULL) != NQ_OK)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    assert_int_equal(nq_stmt_readonly(st), 1);
    assert_string_equal(nq_stmt_kind(st), "OPTIMIZE QUBO");
    assert_int_equal(nq_column_count(st), 10);
    for (int i = 0; i < 10; i++)
        assert_string_equal(nq_column_name(st, i), cols[i]);
    if (nq_step(st) != NQ_ROW)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    s->energy = nq_column_double(st, 0);
    s->variables = nq_column_int64(st, 1);
    assert_int_equal(nq_column_type(st, 2), NQ_TYPE_TEXT);
    assert_true(nq_column_bytes(st, 2) <= MAXV);
    snprintf(s->solution, sizeof s->solution, "%s", nq_column_text(st, 2));
    snprintf(s->solver, sizeof s->solver, "%s", nq_column_text(st, 3));
    s->seed = nq_column_int64(st, 4);
    s->runs = nq_column_int64(st, 5);
    s->iterations = nq_column_int64(st, 6);
    s->optimal = nq_column_int64(st, 7);
    assert_true(nq_column_double(st, 8) >= 0 && nq_column_double(st, 9) >= 0);
    assert_int_equal(nq_step(st), NQ_DONE);
    nq_finalize(st);
}

static void test_optimize_qubo(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_opt.db");
    row3 t[18];
    load_k4(db, t);
    summary s;
    run_optimize(db, "OPTIMIZE QUBO k4 SOLVER exact", &s);
    assert_true(s.energy == -4);
    assert_int_equal(s.variables, 4);
    assert_int_equal(strlen(s.solution), 4);
    assert_int_equal((s.solution[0] - '0') + (s.solution[1] - '0') + (s.solution[2] - '0') + (s.solution[3] - '0'), 2);
    assert_string_equal(s.solver, "exact");
    assert_int_equal(s.optimal, 1);
    assert_int_equal(s.runs, 1);
    assert_int_equal(s.iterations, 16); /* 2^4 states */
    /* defaults: tabu, seed 1, 10 runs */
    run_optimize(db, "optimize qubo K4", &s);
    assert_true(s.energy == -4);
    assert_string_equal(s.solver, "tabu");
    assert_int_equal(s.seed, 1);
    assert_int_equal(s.runs, 10);
    assert_int_equal(s.optimal, 0);
    /* the statement and the table function are one run: same options, same answer */
    nq_rng rng;
    nq_rng_seed(&rng, 99);
    row3 r[400];
    int nr = 0;
    for (int i = 0; i < 24; i++)
        for (int j = i; j < 24; j++)
            if (i == j || nq_rng_below(&rng, 3) == 0)
                r[nr++] = (row3){2 * i + 1, 2 * j + 1, (double)((int)nq_rng_below(&rng, 41) - 20)};
    load(db, "r24", r, nr);
    for (int k = 1; k < 5; k++) {
        char sql[200];
        answer a;
        snprintf(sql, sizeof sql, "SELECT * FROM qubo_solve('r24', '%s', NULL, 11, 3) ORDER BY variable", solvers[k]);
        run_solve(db, sql, &a);
        snprintf(sql, sizeof sql, "OPTIMIZE QUBO r24 WITH BACKEND = %s SEED = 11 RESTARTS = 3", solvers[k]);
        run_optimize(db, sql, &s);
        assert_int_equal(s.variables, 24);
        assert_int_equal(s.runs, 3);
        assert_int_equal(s.seed, 11);
        assert_true(s.energy == a.energy);
        for (int q = 0; q < 24; q++)
            assert_int_equal(s.solution[q] - '0', a.val[q]);
    }
    /* TIME_LIMIT with RESTARTS 0 runs until the limit or the TARGET */
    run_optimize(db, "OPTIMIZE QUBO k4 SOLVER sa TIME_LIMIT 5 RESTARTS 0 TARGET -4", &s);
    assert_true(s.energy == -4);
    assert_int_equal(s.runs, 1);
    /* an empty table: no variables, energy 0 */
    ok(db, "CREATE TABLE empty(i INTEGER, j INTEGER, w REAL)");
    run_optimize(db, "OPTIMIZE QUBO empty", &s);
    assert_int_equal(s.variables, 0);
    assert_string_equal(s.solution, "");
    assert_true(s.energy == 0);
    /* EXPLAIN shows the operator over the terms table */
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, "EXPLAIN OPTIMIZE QUBO k4", (size_t)-1, &st, NULL), NQ_OK);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_non_null(strstr(nq_column_text(st, 0), "TABLE FUNCTION OPTIMIZE QUBO (k4)"));
    nq_finalize(st);
    /* errors */
    fails(db, "OPTIMIZE QUBO missing", "OPTIMIZE QUBO: no such table: missing");
    fails(db, "OPTIMIZE QUBO k4 SOLVERS tabu", "OPTIMIZE QUBO: unknown option SOLVERS (options: SOLVER or BACKEND, TIME_LIMIT, SEED, RESTARTS, TARGET)");
    fails(db, "OPTIMIZE QUBO k4 SOLVER sa BACKEND pt", "OPTIMIZE QUBO: option BACKEND given twice");
    fails(db, "OPTIMIZE QUBO k4 SOLVER quantum", "OPTIMIZE QUBO: SOLVER must be one of 'exact', 'sa', 'pt', 'tabu', 'sqa', not TEXT 'quantum'");
    fails(db, "OPTIMIZE QUBO k4 TIME_LIMIT -1", "OPTIMIZE QUBO: TIME_LIMIT must be a number of seconds from 0 to 86400, not -1");
    fails(db, "OPTIMIZE QUBO k4 SEED 1.5", "OPTIMIZE QUBO: SEED must be an integer, not 1.5");
    fails(db, "OPTIMIZE QUBO k4 RESTARTS 0", "OPTIMIZE QUBO: RESTARTS 0 (run until the time limit) needs a time limit");
    ok(db, "CREATE TABLE bad(i INTEGER, j INTEGER, w REAL)");
    ok(db, "INSERT INTO bad VALUES (0, 0, 1), (0, 1, 1), (2, 1, 1), (-3, 0, 1)");
    fails(db, "OPTIMIZE QUBO bad", "OPTIMIZE QUBO: table bad, row 4: i = -3 is out of range (0 to 16777215)");
    ok(db, "CREATE TABLE cols(a INTEGER, j INTEGER, w REAL)");
    fails(db, "OPTIMIZE QUBO cols", "OPTIMIZE QUBO: table cols has no column \"i\"");
    nq_close(db);
}

static int stop_after(void *arg)
{
    int *calls = arg;
    return ++*calls >= 40;
}

/* A search with a day's time limit and no run count stops when the statement is interrupted
 * (here by the progress handler, as the server's deadline does): the solvers ask between
 * and inside their runs. Without that, this test would run into ctest's timeout. */
static void test_interrupt(void **state)
{
    (void)state;
    nq_db *db = fresh("qs_intr.db");
    nq_rng rng;
    nq_rng_seed(&rng, 11);
    row3 t[2000];
    int nt = 0;
    for (int i = 0; i < 60; i++)
        for (int j = i; j < 60; j++)
            if (i == j || nq_rng_below(&rng, 4) == 0)
                t[nt++] = (row3){i, j, (double)((int)nq_rng_below(&rng, 201) - 100)};
    load(db, "big", t, nt);
    static const char *const sql[] = {
        "SELECT * FROM qubo_solve('big', 'sa', 86400, 1, 0)",
        "SELECT * FROM qubo_solve('big', 'pt', 86400, 1, 0)",
        "SELECT * FROM qubo_solve('big', 'tabu', 86400, 1, 0)",
        "SELECT * FROM qubo_solve('big', 'sqa', 86400, 1, 0)",
        "OPTIMIZE QUBO big SOLVER sa TIME_LIMIT 86400 RESTARTS 0",
    };
    for (size_t k = 0; k < sizeof sql / sizeof sql[0]; k++) {
        int calls = 0;
        nq_progress_handler(db, 1, stop_after, &calls);
        nq_stmt *st;
        assert_int_equal(nq_prepare(db, sql[k], (size_t)-1, &st, NULL), NQ_OK);
        int rc = nq_step(st);
        if (rc != NQ_EINTERRUPT)
            fail_msg("%s: %d (%s), want NQ_EINTERRUPT", sql[k], rc, nq_errmsg(db));
        assert_non_null(strstr(nq_errmsg(db), "interrupted"));
        assert_true(calls >= 40);
        nq_finalize(st);
        nq_progress_handler(db, 0, NULL, NULL);
    }
    /* the connection goes on */
    answer a;
    run_solve(db, "SELECT * FROM qubo_solve('big', 'tabu', NULL, 1, 1)", &a);
    assert_int_equal(a.n, 60);
    nq_close(db);
}

static const char *shared_dir(char *buf, size_t cap)
{
    const char *cands[3] = {getenv("NQ_SHARED_DIR"), NQ_SHARED_DIR, "/tmp/shared"};
    for (int k = 0; k < 3; k++) {
        struct stat st;
        if (!cands[k])
            continue;
        snprintf(buf, cap, "%s/data/qubo/beasley/bqp50-1.sparse", cands[k]);
        if (stat(buf, &st) == 0)
            return buf;
    }
    return NULL;
}

/* bqp50-1 (Beasley: E = Σ_{i=j} w x_i + 2 Σ_{i<j} w x_i x_j, 1-based) as table rows */
static int read_bqp(const char *path, row3 **out)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n, m;
    assert_int_equal(fscanf(f, "%d %d", &n, &m), 2);
    row3 *t = malloc((size_t)m * sizeof *t);
    assert_non_null(t);
    for (int k = 0; k < m; k++) {
        assert_int_equal(fscanf(f, "%d %d %lf", &t[k].i, &t[k].j, &t[k].w), 3);
        if (t[k].i != t[k].j)
            t[k].w *= 2;
    }
    fclose(f);
    *out = t;
    return m;
}

static void test_beasley_table(void **state)
{
    (void)state;
    char path[1024];
    if (!shared_dir(path, sizeof path)) {
        print_message("SKIP: bqp50-1 not found (looked in $NQ_SHARED_DIR, %s and /tmp/shared, "
                      "under data/qubo/beasley)\n", NQ_SHARED_DIR);
        skip();
    }
    nq_db *db = fresh("qs_bqp.db");
    row3 *t;
    int nt = read_bqp(path, &t);
    load(db, "bqp50", t, nt);
    free(t);
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, "SELECT count(*), min(energy), sum(value) FROM qubo_solve('bqp50', 'tabu', 10, 1, 0, -2098)",
                                (size_t)-1, &st, NULL), NQ_OK);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_int_equal(nq_column_int64(st, 0), 50);
    assert_true(nq_column_double(st, 1) == -2098); /* the proven optimum */
    nq_finalize(st);
    /* the default options (tabu, 10 runs, seed 1) reach it too */
    assert_int_equal(nq_prepare(db, "SELECT DISTINCT energy FROM qubo_solve('bqp50')", (size_t)-1, &st, NULL), NQ_OK);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_true(nq_column_double(st, 0) == -2098);
    assert_int_equal(nq_step(st), NQ_DONE);
    nq_finalize(st);
    summary s;
    run_optimize(db, "OPTIMIZE QUBO bqp50 SOLVER tabu SEED 1", &s);
    assert_int_equal(s.variables, 50);
    assert_true(s.energy == -2098);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_maxcut_k4),
        cmocka_unit_test(test_random_against_enumeration),
        cmocka_unit_test(test_same_seed_same_answer),
        cmocka_unit_test(test_inputs_and_parameters),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_optimize_qubo),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_beasley_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
