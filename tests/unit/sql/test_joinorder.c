/*
 * test_joinorder.c — the join-order searches (plan_joinorder.c) on synthetic join graphs and
 * through the planner:
 *   - jo_order_cost chains jo_step_cost (checked by hand on a small graph);
 *   - DP over subsets finds the exhaustive minimum over all n! orders (chains, stars, cliques,
 *     n = 3..8, several seeds);
 *   - the greedy is never cheaper than DP;
 *   - annealing (src/quantum/perm_anneal.c) within the planner's budget finds the DP optimum on
 *     chains, stars and cliques of 8-10 tables in most seeds, and never returns worse than its
 *     start; the same seed gives the same order;
 *   - the policy: fewer than 8 items is greedy only; 8+ runs DP and annealing and keeps the
 *     cheapest; QUANTUM_JOIN (forced) runs annealing at any size;
 *   - through SQL: a 9-table join and QUANTUM_JOIN show a JOIN ORDER line in EXPLAIN (text and
 *     JSON) with the compared costs; a 3-table join shows none; QUANTUM_JOIN returns the rows of
 *     the inner join; the QUANTUM_JOIN statement form equals SELECT *;
 *   - 60 random joins of 2-9 tables (derived tables, ranges, constants, IN subqueries, ORs)
 *     with QUANTUM_JOIN give the rows of the same query with JOIN, and the operators' row
 *     estimates equal the search model's at every join (EXPLAIN shows no "PLANNER BUG").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "joinorder_model.h"
#include "nqdb.h"

static const char *shape_name[] = {"chain", "star", "clique"};

static void model(jo_model *m, jo_graph *g)
{
    assert_int_equal(jo_model_init(m, g->n, jo_graph_params, g, NULL), 0);
}

static void test_order_cost_chains_steps(void **state)
{
    (void)state;
    jo_graph g;
    jo_graph_gen(&g, 4, SHAPE_CHAIN, 5);
    jo_model m;
    model(&m, &g);
    int order[4] = {2, 1, 3, 0};
    double want = 0, rows = 1;
    uint64_t placed = 0;
    for (int k = 0; k < 4; k++) {
        jo_params p;
        jo_graph_params(&g, order[k], placed, &p);
        double ra;
        want += jo_step_cost(&p, rows, &ra);
        rows = ra;
        placed |= 1ULL << order[k];
    }
    assert_true(fabs(jo_order_cost(&m, order) - want) <= 1e-9 * want);
    /* incremental evaluation gives the same answer after another order */
    int other[4] = {2, 3, 1, 0};
    jo_order_cost(&m, other);
    assert_true(fabs(jo_order_cost(&m, order) - want) <= 1e-9 * want);
    jo_model_free(&m);
}

static void test_dp_equals_exhaustive(void **state)
{
    (void)state;
    for (int shape = 0; shape < 3; shape++)
        for (int n = 3; n <= 8; n++)
            for (uint64_t seed = 1; seed <= 3; seed++) {
                jo_graph g;
                jo_graph_gen(&g, n, shape, seed * 31 + (uint64_t)n);
                jo_model m;
                model(&m, &g);
                int o1[8], o2[8], o3[8];
                double dp, ex, gr;
                assert_int_equal(jo_dp(&m, o1, &dp), 0);
                assert_int_equal(jo_exhaustive(&m, o2, &ex), 0);
                assert_int_equal(jo_greedy(&m, o3, &gr), 0);
                if (fabs(dp - ex) > 1e-9 * ex)
                    fail_msg("%s n=%d seed=%d: dp %g, exhaustive %g", shape_name[shape], n, (int)seed, dp, ex);
                assert_true(gr >= ex * (1 - 1e-12));
                jo_model_free(&m);
            }
}

static void test_anneal_finds_dp_optimum(void **state)
{
    (void)state;
    for (int shape = 0; shape < 3; shape++)
        for (int n = 8; n <= 10; n++) {
            int hits = 0, tries = 20;
            for (uint64_t seed = 1; seed <= (uint64_t)tries; seed++) {
                jo_graph g;
                jo_graph_gen(&g, n, shape, seed * 7 + (uint64_t)n);
                jo_model m;
                model(&m, &g);
                int od[10], og[10], oa[10], ob[10];
                double dp, gr, an, an2;
                long evals;
                assert_int_equal(jo_dp(&m, od, &dp), 0);
                assert_int_equal(jo_greedy(&m, og, &gr), 0);
                assert_int_equal(jo_anneal(&m, seed, JO_ANNEAL_EVALS, og, oa, &an, &evals), 0);
                assert_true(evals <= JO_ANNEAL_EVALS);
                assert_true(an <= gr);       /* never worse than where it started */
                assert_true(an >= dp * (1 - 1e-9)); /* DP is exact on this model */
                hits += an <= dp * (1 + 1e-6);
                /* reproducible */
                assert_int_equal(jo_anneal(&m, seed, JO_ANNEAL_EVALS, og, ob, &an2, NULL), 0);
                assert_memory_equal(oa, ob, sizeof(int) * (size_t)n);
                assert_true(an2 == an);
                jo_model_free(&m);
            }
            print_message("annealing found the DP optimum of %s n=%d in %d/%d seeds\n", shape_name[shape], n, hits,
                          tries);
            if (hits * 2 < tries)
                fail_msg("%s n=%d: annealing reached the optimum in only %d/%d seeds", shape_name[shape], n, hits,
                         tries);
        }
}

static void test_policy(void **state)
{
    (void)state;
    jo_graph g;
    int order[12];
    jo_choice ch;
    jo_model m;
    /* below the threshold: greedy only */
    jo_graph_gen(&g, 6, SHAPE_CHAIN, 3);
    model(&m, &g);
    assert_int_equal(jo_choose(&m, 0, order, &ch), 0);
    assert_int_equal(ch.method, JO_GREEDY);
    assert_true(ch.dp_cost < 0 && ch.anneal_cost < 0);
    jo_model_free(&m);
    /* forced (QUANTUM_JOIN): DP and annealing run at any size, the cheapest is kept */
    model(&m, &g);
    assert_int_equal(jo_choose(&m, 1, order, &ch), 0);
    assert_true(ch.dp_cost >= 0 && ch.anneal_cost >= 0);
    assert_true(ch.cost <= ch.greedy_cost && ch.cost <= ch.dp_cost && ch.cost <= ch.anneal_cost);
    assert_true(fabs(jo_order_cost(&m, order) - ch.cost) <= 1e-9 * ch.cost);
    if (ch.method == JO_ANNEAL)
        assert_true(ch.anneal_cost < ch.greedy_cost && ch.anneal_cost < ch.dp_cost);
    jo_model_free(&m);
    /* 8+: all three (DP up to JO_DP_MAX); the chosen order has the reported cost; a permutation */
    for (int n = 8; n <= 12; n += 2) {
        jo_graph_gen(&g, n, SHAPE_STAR, (uint64_t)n);
        model(&m, &g);
        assert_int_equal(jo_choose(&m, 0, order, &ch), 0);
        assert_true(ch.anneal_cost >= 0);
        assert_true((ch.dp_cost >= 0) == (n <= JO_DP_MAX));
        assert_true(ch.cost <= ch.greedy_cost && ch.cost <= ch.anneal_cost);
        if (ch.dp_cost >= 0)
            assert_true(ch.cost <= ch.dp_cost);
        int seen[12] = {0};
        for (int i = 0; i < n; i++)
            seen[order[i]]++;
        for (int i = 0; i < n; i++)
            assert_int_equal(seen[i], 1);
        assert_true(fabs(jo_order_cost(&m, order) - ch.cost) <= 1e-9 * ch.cost);
        char buf[384];
        jo_describe(&ch, buf, sizeof buf);
        assert_non_null(strstr(buf, "JOIN ORDER "));
        assert_non_null(strstr(buf, "greedy "));
        assert_true((strstr(buf, ", dp ") != NULL) == (n <= JO_DP_MAX));
        assert_non_null(strstr(buf, "evaluations"));
        jo_model_free(&m);
    }
}

/* ---- through SQL ---------------------------------------------------------------------------- */
#define DB "joinorder_test.db"

static void ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL) != NQ_OK)
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

/* All rows of a query, one line each ("a|b|c\n"), sorted. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static char *rows_of(nq_db *db, const char *sql)
{
    nq_stmt *st;
    if (nq_prepare(db, sql, (size_t)-1, &st, NULL) != NQ_OK)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    char **lines = NULL;
    size_t n = 0, total = 1;
    int rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        char line[1024];
        size_t k = 0;
        for (int i = 0; i < nq_column_count(st); i++) {
            const char *t = nq_column_text(st, i);
            k += (size_t)snprintf(line + k, sizeof line - k, "%s%s", i ? "|" : "", t ? t : "NULL");
            if (k >= sizeof line)
                k = sizeof line - 1;
        }
        lines = realloc(lines, (n + 1) * sizeof *lines);
        lines[n++] = strdup(line);
        total += strlen(line) + 1;
    }
    if (rc != NQ_DONE)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    nq_finalize(st);
    qsort(lines, n, sizeof *lines, cmp_str);
    char *out = malloc(total), *p = out;
    *p = 0;
    for (size_t i = 0; i < n; i++) {
        p += sprintf(p, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return out;
}

static nq_db *fixture(void)
{
    unlink(DB);
    unlink(DB "-wal");
    nq_db *db;
    assert_int_equal(nq_open(DB, NULL, &db), NQ_OK);
    char sql[256];
    nq_rng r;
    nq_rng_seed(&r, 11);
    ok(db, "BEGIN");
    for (int t = 0; t < 9; t++) {
        snprintf(sql, sizeof sql, "CREATE TABLE t%d(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER)", t);
        ok(db, sql);
        int rows = (t % 3 == 0) ? 40 : (t % 3 == 1) ? 12 : 5;
        for (int k = 0; k < rows; k++) {
            snprintf(sql, sizeof sql, "INSERT INTO t%d VALUES (%d, %d, %d)", t, k, (int)nq_rng_below(&r, 5),
                     (int)nq_rng_below(&r, 5));
            ok(db, sql);
        }
        if (t % 2 == 0) {
            snprintf(sql, sizeof sql, "CREATE INDEX t%d_a ON t%d(a)", t, t);
            ok(db, sql);
        }
    }
    ok(db, "COMMIT");
    ok(db, "ANALYZE");
    return db;
}

static const char *Q9 = "SELECT t0.id, t1.id, t2.id, t3.id, t4.id, t5.id, t6.id, t7.id, t8.id FROM t0 "
                        "JOIN t1 ON t1.id = t0.a JOIN t2 ON t2.a = t1.b JOIN t3 ON t3.id = t2.b "
                        "JOIN t4 ON t4.a = t3.b JOIN t5 ON t5.id = t4.b JOIN t6 ON t6.a = t5.b "
                        "JOIN t7 ON t7.id = t6.b JOIN t8 ON t8.a = t7.b WHERE t0.b < 3";

static void test_sql_explain_and_rows(void **state)
{
    (void)state;
    nq_db *db = fixture();
    char sql[2048];
    /* the 9-table join: JOIN ORDER line in text and JSON EXPLAIN */
    snprintf(sql, sizeof sql, "EXPLAIN %s", Q9);
    char *plan = rows_of(db, sql);
    if (!strstr(plan, "JOIN ORDER ") || !strstr(plan, "9 tables") || !strstr(plan, "; greedy ") ||
        !strstr(plan, ", dp ") || !strstr(plan, ", annealing ") || !strstr(plan, " ms") ||
        !strstr(plan, "(4000 evaluations)"))
        fail_msg("no JOIN ORDER line:\n%s", plan);
    free(plan);
    snprintf(sql, sizeof sql, "EXPLAIN (FORMAT JSON) %s", Q9);
    plan = rows_of(db, sql);
    if (!strstr(plan, "\"node\": \"JOIN ORDER "))
        fail_msg("no JOIN ORDER node in JSON:\n%s", plan);
    free(plan);
    /* a 3-table join: greedy, as always, and no line */
    plan = rows_of(db, "EXPLAIN SELECT * FROM t0 JOIN t1 ON t1.id = t0.a JOIN t2 ON t2.a = t1.b");
    assert_null(strstr(plan, "JOIN ORDER"));
    free(plan);
    /* the same rows in the written order: LEFT JOINs whose right side must match keep it */
    char *want, *got;
    snprintf(sql, sizeof sql,
             "SELECT t0.id, t1.id, t2.id, t3.id, t4.id, t5.id, t6.id, t7.id, t8.id FROM t0 "
             "LEFT JOIN t1 ON t1.id = t0.a LEFT JOIN t2 ON t2.a = t1.b LEFT JOIN t3 ON t3.id = t2.b "
             "LEFT JOIN t4 ON t4.a = t3.b LEFT JOIN t5 ON t5.id = t4.b LEFT JOIN t6 ON t6.a = t5.b "
             "LEFT JOIN t7 ON t7.id = t6.b LEFT JOIN t8 ON t8.a = t7.b WHERE t0.b < 3 AND t8.id IS NOT NULL");
    want = rows_of(db, sql);
    got = rows_of(db, Q9);
    assert_string_equal(got, want);
    assert_true(strlen(want) > 0);
    free(got);
    /* QUANTUM_JOIN: the rows of the inner join, and a JOIN ORDER line naming it */
    snprintf(sql, sizeof sql, "%s", Q9);
    char *p;
    while ((p = strstr(sql, " JOIN t")) && p[-1] != 'M') {
        memmove(p + 14, p + 5, strlen(p + 5) + 1);
        memcpy(p, " QUANTUM_JOIN ", 14);
    }
    got = rows_of(db, sql);
    assert_string_equal(got, want);
    free(got);
    free(want);
    want = rows_of(db, "SELECT * FROM t1 JOIN t2 ON t1.b = t2.a");
    got = rows_of(db, "SELECT * FROM t1 QUANTUM_JOIN t2 ON t1.b = t2.a");
    assert_string_equal(got, want);
    free(got);
    got = rows_of(db, "QUANTUM_JOIN t1 t2 ON t1.b = t2.a");
    assert_string_equal(got, want);
    free(got);
    free(want);
    want = rows_of(db, "SELECT * FROM t1 JOIN t2 USING (a)");
    got = rows_of(db, "QUANTUM_JOIN t1 t2 USING (a)");
    assert_string_equal(got, want);
    free(got);
    free(want);
    plan = rows_of(db, "EXPLAIN SELECT * FROM t1 QUANTUM_JOIN t2 ON t1.b = t2.a");
    if (!strstr(plan, "JOIN ORDER ") || !strstr(plan, "QUANTUM_JOIN") || !strstr(plan, "2 tables") ||
        !strstr(plan, ", annealing "))
        fail_msg("QUANTUM_JOIN plan:\n%s", plan);
    free(plan);
    nq_close(db);
    unlink(DB);
    unlink(DB "-wal");
}

/* Random joins of 2-9 tables (equalities between random columns, ranges, constants, an IN
 * subquery, a derived table) with QUANTUM_JOIN, so the search always runs and its node shows:
 * the operators' row estimates equal the model's at every join (no "PLANNER BUG" in EXPLAIN),
 * and the rows equal those of the same query with JOIN. */
static void test_sql_random_joins(void **state)
{
    (void)state;
    nq_db *db = fixture();
    nq_rng r;
    nq_rng_seed(&r, 99);
    static const char *cols[] = {"id", "a", "b"};
    for (int q = 0; q < 60; q++) {
        int n = 2 + (int)nq_rng_below(&r, 8);
        char from[2048], where[1024], sql[4096], qsql[4096];
        int k = 0, w = 0;
        where[0] = 0;
        for (int i = 0; i < n; i++) {
            int derived = i == 1 && nq_rng_below(&r, 4) == 0;
            if (i == 0)
                k += snprintf(from + k, sizeof from - (size_t)k, "t%d AS x0", (int)nq_rng_below(&r, 9));
            else if (derived)
                k += snprintf(from + k, sizeof from - (size_t)k, " @JOIN (SELECT id, a, b FROM t%d WHERE b < 4) AS x%d ON x%d.%s = x%d.%s",
                              (int)nq_rng_below(&r, 9), i, i, cols[nq_rng_below(&r, 3)], (int)nq_rng_below(&r, (uint64_t)i),
                              cols[nq_rng_below(&r, 3)]);
            else
                k += snprintf(from + k, sizeof from - (size_t)k, " @JOIN t%d AS x%d ON x%d.%s = x%d.%s", (int)nq_rng_below(&r, 9),
                              i, i, cols[nq_rng_below(&r, 3)], (int)nq_rng_below(&r, (uint64_t)i), cols[nq_rng_below(&r, 3)]);
        }
        int extra = (int)nq_rng_below(&r, 4);
        for (int e = 0; e < extra; e++) {
            int x = (int)nq_rng_below(&r, (uint64_t)n);
            switch (nq_rng_below(&r, 5)) {
            case 0:
                w += snprintf(where + w, sizeof where - (size_t)w, "%sx%d.b < %d", w ? " AND " : "", x, (int)nq_rng_below(&r, 5));
                break;
            case 1:
                w += snprintf(where + w, sizeof where - (size_t)w, "%sx%d.id BETWEEN 1 AND %d", w ? " AND " : "", x,
                              2 + (int)nq_rng_below(&r, 20));
                break;
            case 2:
                w += snprintf(where + w, sizeof where - (size_t)w, "%s1 = 1", w ? " AND " : "");
                break;
            case 3:
                w += snprintf(where + w, sizeof where - (size_t)w, "%sx%d.a IN (SELECT b FROM t1)", w ? " AND " : "", x);
                break;
            default:
                w += snprintf(where + w, sizeof where - (size_t)w, "%s(x%d.a = 1 OR x%d.b = 2)", w ? " AND " : "", x,
                              (int)nq_rng_below(&r, (uint64_t)n));
            }
        }
        /* the same text with JOIN and with QUANTUM_JOIN */
        char plain[2048], quantum[2048];
        int pk = 0, qk = 0;
        for (const char *p = from; *p; p++) {
            if (*p == '@') {
                pk += snprintf(plain + pk, sizeof plain - (size_t)pk, "JOIN");
                qk += snprintf(quantum + qk, sizeof quantum - (size_t)qk, "QUANTUM_JOIN");
                p += 4; /* past "@JOIN" */
                continue;
            }
            plain[pk++] = *p;
            quantum[qk++] = *p;
        }
        plain[pk] = quantum[qk] = 0;
        snprintf(sql, sizeof sql, "SELECT count(*), sum(x0.id), max(x%d.b) FROM %s%s%s", n - 1, plain, w ? " WHERE " : "",
                 where);
        snprintf(qsql, sizeof qsql, "SELECT count(*), sum(x0.id), max(x%d.b) FROM %s%s%s", n - 1, quantum,
                 w ? " WHERE " : "", where);
        char *want = rows_of(db, sql), *got = rows_of(db, qsql);
        if (strcmp(want, got))
            fail_msg("%s\n  gives %s\n%s\n  gives %s", sql, want, qsql, got);
        free(want);
        free(got);
        char ex[4200];
        snprintf(ex, sizeof ex, "EXPLAIN %s", qsql);
        char *plan = rows_of(db, ex);
        if (!strstr(plan, "JOIN ORDER ") || strstr(plan, "PLANNER BUG"))
            fail_msg("%s\n%s", qsql, plan);
        free(plan);
    }
    nq_close(db);
    unlink(DB);
    unlink(DB "-wal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_cost_chains_steps),
        cmocka_unit_test(test_dp_equals_exhaustive),
        cmocka_unit_test(test_anneal_finds_dp_optimum),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_sql_explain_and_rows),
        cmocka_unit_test(test_sql_random_joins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
