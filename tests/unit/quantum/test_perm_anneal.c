/*
 * test_perm_anneal.c — the permutation annealer (perm_anneal.c) against exhaustive search:
 *   - random Euclidean TSP tours (n = 7..9): annealing and replica exchange reach the exhaustive
 *     minimum in most seeds, never report a cost other than that of the permutation returned,
 *     and stay within the evaluation budget;
 *   - random cost tables (cost = Σ table[i][perm[i]] + Σ pair[perm[i]][perm[i+1]]), n = 8;
 *   - the same seed gives the same permutation; a given start is honoured and a bad one refused;
 *   - n = 1 and n = 2 edge cases; perm_exhaustive enumerates all n! permutations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "base/rand.h"
#include "perm_anneal.h"

typedef struct tsp {
    int n;
    double x[16], y[16];
    long calls;
} tsp;

static double tour(void *ctx, const int *p, int n)
{
    tsp *t = ctx;
    t->calls++;
    double d = 0;
    for (int i = 0; i < n; i++) {
        int a = p[i], b = p[(i + 1) % n];
        d += hypot(t->x[a] - t->x[b], t->y[a] - t->y[b]);
    }
    return d;
}

static void gen_tsp(tsp *t, int n, uint64_t seed)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    memset(t, 0, sizeof *t);
    t->n = n;
    for (int i = 0; i < n; i++) {
        t->x[i] = nq_rng_double(&r);
        t->y[i] = nq_rng_double(&r);
    }
}

static void test_tsp_against_exhaustive(void **state)
{
    (void)state;
    for (int replicas = 1; replicas <= 4; replicas += 3)
        for (int n = 7; n <= 9; n++) {
            int hits = 0;
            for (uint64_t seed = 1; seed <= 8; seed++) {
                tsp t;
                gen_tsp(&t, n, seed * 100 + (uint64_t)n);
                int ex[16], best[16];
                double exc;
                assert_int_equal(perm_exhaustive(n, tour, &t, ex, &exc, NULL), 0);
                perm_anneal_options o;
                perm_anneal_options_default(&o);
                o.seed = seed;
                o.max_evals = 3000;
                o.replicas = replicas;
                perm_anneal_result r;
                t.calls = 0;
                assert_int_equal(perm_anneal(n, tour, &t, &o, best, &r, NULL), 0);
                assert_int_equal(r.evals, 3000);
                assert_int_equal(t.calls, 3000);
                assert_true(r.evals_to_best >= 1 && r.evals_to_best <= r.evals);
                assert_true(r.cost >= exc - 1e-12);
                assert_true(fabs(tour(&t, best, n) - r.cost) < 1e-12);
                hits += r.cost <= exc + 1e-9;
            }
            print_message("tsp n=%d replicas=%d: exhaustive optimum in %d/8 seeds\n", n, replicas, hits);
            assert_true(hits >= 6);
        }
}

typedef struct table {
    int n;
    double c[10][10], pair[10][10];
} table;

static double table_cost(void *ctx, const int *p, int n)
{
    const table *t = ctx;
    double s = 0;
    for (int i = 0; i < n; i++) {
        s += t->c[i][p[i]];
        if (i + 1 < n)
            s += t->pair[p[i]][p[i + 1]];
    }
    return s;
}

static void test_cost_tables(void **state)
{
    (void)state;
    int hits = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        nq_rng r;
        nq_rng_seed(&r, seed);
        table t = {.n = 8};
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) {
                t.c[i][j] = (double)nq_rng_below(&r, 100);
                t.pair[i][j] = (double)nq_rng_below(&r, 100);
            }
        int ex[8], best[8], again[8];
        double exc;
        assert_int_equal(perm_exhaustive(8, table_cost, &t, ex, &exc, NULL), 0);
        perm_anneal_options o;
        perm_anneal_options_default(&o);
        o.seed = seed;
        o.max_evals = 10000;
        perm_anneal_result a, b;
        assert_int_equal(perm_anneal(8, table_cost, &t, &o, best, &a, NULL), 0);
        hits += a.cost <= exc;
        /* reproducible */
        assert_int_equal(perm_anneal(8, table_cost, &t, &o, again, &b, NULL), 0);
        assert_memory_equal(best, again, sizeof best);
        assert_true(a.cost == b.cost && a.accepted == b.accepted);
    }
    print_message("cost tables n=8: exhaustive optimum in %d/10 seeds\n", hits);
    assert_true(hits >= 7);
}

static void test_start_and_edges(void **state)
{
    (void)state;
    tsp t;
    gen_tsp(&t, 6, 3);
    int start[6] = {5, 4, 3, 2, 1, 0}, best[6];
    perm_anneal_options o;
    perm_anneal_options_default(&o);
    o.start = start;
    o.max_evals = 1; /* only the start is evaluated */
    perm_anneal_result r;
    assert_int_equal(perm_anneal(6, tour, &t, &o, best, &r, NULL), 0);
    assert_memory_equal(best, start, sizeof start);
    assert_int_equal(r.evals, 1);
    int bad[6] = {0, 1, 2, 3, 4, 4};
    o.start = bad;
    nq_err e;
    assert_int_equal(perm_anneal(6, tour, &t, &o, best, &r, &e), NQ_EINVAL);
    o.start = NULL;
    o.max_evals = 50;
    assert_int_equal(perm_anneal(1, tour, &t, &o, best, &r, NULL), 0);
    assert_int_equal(best[0], 0);
    assert_int_equal(perm_anneal(2, tour, &t, &o, best, &r, NULL), 0);
    assert_true((best[0] == 0 && best[1] == 1) || (best[0] == 1 && best[1] == 0));
    assert_int_equal(perm_anneal(0, tour, &t, &o, best, &r, NULL), NQ_EINVAL);
    /* exhaustive: n! calls */
    t.calls = 0;
    double c;
    assert_int_equal(perm_exhaustive(6, tour, &t, best, &c, NULL), 0);
    assert_int_equal(t.calls, 720);
    assert_int_equal(perm_exhaustive(11, tour, &t, best, &c, NULL), NQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsp_against_exhaustive),
        cmocka_unit_test(test_cost_tables),
        cmocka_unit_test(test_start_and_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
