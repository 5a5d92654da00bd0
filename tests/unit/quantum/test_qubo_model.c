/*
 * test_qubo_model.c — the QUBO/Ising model against exact results: energies, the QUBO <-> Ising
 * conversion on every state of random models, the problem builders against their analytic or
 * brute-force optima (Max-Cut: K_n -> floor(n²/4), cycles, bipartite graphs, Petersen -> 12;
 * colouring; number partitioning; TSP with the return edge), the exhaustive Gray-code solver
 * against plain enumeration, and the readers (Beasley, Gset, JSON) including bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "qubo.h"
#include "qubo_solve.h"

/* A random model on n variables with pair density p and N(0,1)-ish integer or real weights. */
static void random_model(nq_rng *rng, int n, double p, int integer, qubo_model *m)
{
    qubo_builder b;
    assert_int_equal(qubo_builder_init(&b, n, NULL), 0);
    for (int i = 0; i < n; i++) {
        for (int j = i; j < n; j++) {
            if (i != j && nq_rng_double(rng) >= p)
                continue;
            double w = integer ? (double)((int)nq_rng_below(rng, 201) - 100)
                               : nq_rng_double(rng) * 2 - 1;
            qubo_builder_add(&b, i, j, w);
        }
    }
    qubo_builder_add_offset(&b, integer ? 7 : 0.25);
    assert_int_equal(qubo_builder_build(&b, m, NULL), 0);
    qubo_builder_free(&b);
}

static double brute_min(const qubo_model *m)
{
    unsigned char x[32];
    double best = INFINITY;
    for (uint64_t c = 0; c < ((uint64_t)1 << m->n); c++) {
        for (int i = 0; i < m->n; i++)
            x[i] = (c >> i) & 1;
        double e = qubo_energy(m, x);
        if (e < best)
            best = e;
    }
    return best;
}

static double exact_min(const qubo_model *m, unsigned char *x_out)
{
    qubo_result r;
    assert_int_equal(qubo_solve_exact(m, &r, NULL), 0);
    double e = r.energy;
    if (x_out)
        memcpy(x_out, r.x, (size_t)m->n);
    qubo_result_free(&r);
    return e;
}

static void test_builder_merges(void **state)
{
    (void)state;
    qubo_builder b;
    qubo_model m;
    assert_int_equal(qubo_builder_init(&b, 3, NULL), 0);
    qubo_builder_add(&b, 0, 1, 2);
    qubo_builder_add(&b, 1, 0, 3);  /* same pair, other order */
    qubo_builder_add(&b, 1, 2, 4);
    qubo_builder_add(&b, 2, 1, -4); /* cancels */
    qubo_builder_add(&b, 2, 2, 1.5);
    assert_int_equal(qubo_builder_build(&b, &m, NULL), 0);
    qubo_builder_free(&b);
    assert_int_equal(qubo_num_pairs(&m), 1);
    unsigned char x[3] = {1, 1, 1};
    assert_true(fabs(qubo_energy(&m, x) - 6.5) < 1e-12);
    qubo_free(&m);

    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(qubo_builder_init(&b, 2, NULL), 0);
    qubo_builder_add(&b, 0, 5, 1);
    assert_int_equal(qubo_builder_build(&b, &m, &err), NQ_EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    qubo_builder_free(&b);
    assert_int_equal(qubo_builder_init(&b, 0, &err), NQ_EINVAL);
}

/* Energies, flip deltas and both conversions agree on every state of random models. */
static void test_conversion_all_states(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 42);
    for (int trial = 0; trial < 20; trial++) {
        int n = 1 + (int)nq_rng_below(&rng, 10);
        qubo_model q, back;
        ising_model s;
        random_model(&rng, n, 0.5, trial & 1, &q);
        assert_int_equal(ising_from_qubo(&q, &s, NULL), 0);
        assert_int_equal(qubo_from_ising(&s, &back, NULL), 0);
        unsigned char x[16];
        signed char sp[16];
        for (uint64_t c = 0; c < ((uint64_t)1 << n); c++) {
            for (int i = 0; i < n; i++) {
                x[i] = (c >> i) & 1;
                sp[i] = x[i] ? 1 : -1;
            }
            double eq = qubo_energy(&q, x);
            assert_true(fabs(eq - ising_energy(&s, sp)) < 1e-9);
            assert_true(fabs(eq - qubo_energy(&back, x)) < 1e-9);
            int i = (int)(c % (uint64_t)n);
            double d = qubo_flip_delta(&q, x, i);
            x[i] ^= 1;
            assert_true(fabs(qubo_energy(&q, x) - eq - d) < 1e-9);
        }
        qubo_free(&q);
        qubo_free(&back);
        ising_free(&s);
    }
}

/* Gray-code exhaustive search equals plain enumeration on random models up to n = 14. */
static void test_exact_vs_enumeration(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 7);
    for (int trial = 0; trial < 30; trial++) {
        int n = 1 + (int)nq_rng_below(&rng, 14);
        qubo_model q;
        random_model(&rng, n, 0.4, trial & 1, &q);
        unsigned char x[32];
        double e = exact_min(&q, x);
        assert_true(fabs(e - brute_min(&q)) < 1e-9);
        assert_true(fabs(e - qubo_energy(&q, x)) < 1e-9);
        qubo_free(&q);
    }
    qubo_model big = {.n = 31};
    nq_err err;
    qubo_result r;
    assert_int_equal(qubo_solve_exact(&big, &r, &err), NQ_ETOOBIG);
}

static double maxcut_opt(int n, const qubo_edge *e, size_t m)
{
    qubo_model q;
    unsigned char x[32];
    assert_int_equal(qubo_build_maxcut(n, e, m, &q, NULL), 0);
    double en = exact_min(&q, x);
    assert_true(fabs(-en - qubo_cut_value(e, m, x)) < 1e-9); /* energy = −cut */
    qubo_free(&q);
    return -en;
}

static void test_maxcut_analytic(void **state)
{
    (void)state;
    qubo_edge e[64];
    for (int n = 2; n <= 10; n++) { /* K_n: floor(n²/4) */
        size_t m = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                e[m++] = (qubo_edge){i, j, 1};
        assert_int_equal((int)maxcut_opt(n, e, m), n * n / 4);
    }
    for (int n = 3; n <= 16; n++) { /* C_n: n if even, n − 1 if odd */
        for (int i = 0; i < n; i++)
            e[i] = (qubo_edge){i, (i + 1) % n, 1};
        assert_int_equal((int)maxcut_opt(n, e, (size_t)n), n % 2 ? n - 1 : n);
    }
    size_t m = 0; /* K_{3,4} plus a 4x3 grid: bipartite graphs cut every edge */
    for (int i = 0; i < 3; i++)
        for (int j = 3; j < 7; j++)
            e[m++] = (qubo_edge){i, j, 1};
    assert_int_equal((int)maxcut_opt(7, e, m), 12);
    m = 0;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++) {
            if (c + 1 < 3)
                e[m++] = (qubo_edge){r * 3 + c, r * 3 + c + 1, 1};
            if (r + 1 < 4)
                e[m++] = (qubo_edge){r * 3 + c, (r + 1) * 3 + c, 1};
        }
    assert_int_equal((int)maxcut_opt(12, e, m), (int)m);
    m = 0; /* Petersen: outer 5-cycle, inner pentagram, spokes; max cut 12 of 15 */
    for (int i = 0; i < 5; i++) {
        e[m++] = (qubo_edge){i, (i + 1) % 5, 1};
        e[m++] = (qubo_edge){5 + i, 5 + (i + 2) % 5, 1};
        e[m++] = (qubo_edge){i, 5 + i, 1};
    }
    assert_int_equal((int)maxcut_opt(10, e, m), 12);
    /* weights: a triangle with one heavy edge cuts the two heaviest */
    qubo_edge t[3] = {{0, 1, 5}, {1, 2, 1}, {0, 2, 2}};
    assert_true(fabs(maxcut_opt(3, t, 3) - 7) < 1e-12);
}

static void test_coloring(void **state)
{
    (void)state;
    qubo_edge tri[3] = {{0, 1, 1}, {1, 2, 1}, {0, 2, 1}};
    qubo_edge c5[5] = {{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}, {4, 0, 1}};
    qubo_model q;
    unsigned char x[32];
    assert_int_equal(qubo_build_coloring(3, tri, 3, 3, 2, &q, NULL), 0);
    assert_true(fabs(exact_min(&q, x)) < 1e-12); /* a triangle is 3-colourable */
    for (int v = 0; v < 3; v++) {
        int on = 0, colour = -1;
        for (int c = 0; c < 3; c++)
            if (x[v * 3 + c])
                on++, colour = c;
        assert_int_equal(on, 1);
        for (int u = 0; u < v; u++)
            assert_int_equal(x[u * 3 + colour], 0);
    }
    qubo_free(&q);
    assert_int_equal(qubo_build_coloring(3, tri, 3, 2, 2, &q, NULL), 0);
    assert_true(fabs(exact_min(&q, x) - 2) < 1e-12); /* not 2-colourable: one violation */
    qubo_free(&q);
    assert_int_equal(qubo_build_coloring(5, c5, 5, 2, 3, &q, NULL), 0);
    assert_true(fabs(exact_min(&q, x) - 3) < 1e-12); /* odd cycle, 2 colours */
    qubo_free(&q);
    assert_int_equal(qubo_build_coloring(5, c5, 5, 3, 3, &q, NULL), 0);
    assert_true(fabs(exact_min(&q, x)) < 1e-12);
    qubo_free(&q);
}

static void test_partition(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 99);
    for (int trial = 0; trial < 10; trial++) {
        int n = 2 + (int)nq_rng_below(&rng, 12);
        double a[16];
        for (int i = 0; i < n; i++)
            a[i] = (double)(1 + nq_rng_below(&rng, 50));
        double best = INFINITY;
        for (uint64_t c = 0; c < ((uint64_t)1 << n); c++) {
            double d = 0;
            for (int i = 0; i < n; i++)
                d += (c >> i & 1) ? a[i] : -a[i];
            if (d * d < best)
                best = d * d;
        }
        qubo_model q;
        unsigned char x[32];
        assert_int_equal(qubo_build_partition(n, a, &q, NULL), 0);
        assert_true(fabs(exact_min(&q, x) - best) < 1e-6);
        double d = 0;
        for (int i = 0; i < n; i++)
            d += x[i] ? a[i] : -a[i];
        assert_true(fabs(d * d - best) < 1e-6);
        qubo_free(&q);
    }
}

static double tour_len(int n, const double *d, const int *tour)
{
    double len = 0;
    for (int t = 0; t < n; t++)
        len += d[tour[t] * n + tour[(t + 1) % n]];
    return len;
}

static int next_perm(int *a, int n)
{
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0)
        return 0;
    int j = n - 1;
    while (a[j] <= a[i])
        j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = n - 1; l < r; l++, r--)
        t = a[l], a[l] = a[r], a[r] = t;
    return 1;
}

/* 4 and 5 cities (16 and 25 variables): the QUBO minimum is the shortest closed tour. */
static void test_tsp(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 5);
    for (int n = 4; n <= 5; n++) {
        double d[25];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                d[i * n + j] = i == j ? 0 : (double)(1 + nq_rng_below(&rng, 20));
        /* asymmetric on purpose: the direction of the return edge matters */
        int perm[5] = {0, 1, 2, 3, 4};
        double best = INFINITY;
        do {
            double l = tour_len(n, d, perm);
            if (l < best)
                best = l;
        } while (next_perm(perm, n));
        qubo_model q;
        unsigned char x[32];
        assert_int_equal(qubo_build_tsp(n, d, 0, &q, NULL), 0);
        double e = exact_min(&q, x);
        int tour[5];
        assert_int_equal(qubo_tsp_decode(n, x, tour), 0);
        assert_true(fabs(e - best) < 1e-9);
        assert_true(fabs(tour_len(n, d, tour) - best) < 1e-9);
        qubo_free(&q);
    }
}

static FILE *mem(const char *s)
{
    FILE *f = fmemopen((void *)s, strlen(s), "r");
    assert_non_null(f);
    return f;
}

static void test_readers(void **state)
{
    (void)state;
    qubo_model q;
    nq_err err;
    FILE *f = mem("3 4\n1 1 -5\n1 2 3\n2 3 -2\n3 3 1\n");
    assert_int_equal(qubo_read_beasley(f, &q, &err), 0);
    fclose(f);
    unsigned char x[3] = {1, 1, 0};
    assert_true(fabs(qubo_energy(&q, x) - (-5 + 6)) < 1e-12); /* off-diagonal counted twice */
    x[1] = 0, x[2] = 1;
    assert_true(fabs(qubo_energy(&q, x) - (-4)) < 1e-12);
    qubo_free(&q);

    const char *bad[] = {"", "3\n", "2 1\n1 3 1\n", "2 2\n1 1 1\n", "2 1\n1 x 1\n",
                         "2 1\n1 1 1\n2 2 1\n", "0 0\n"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        f = mem(bad[k][0] ? bad[k] : "\n");
        nq_err_clear(&err);
        assert_int_equal(qubo_read_beasley(f, &q, &err), NQ_EINVAL);
        assert_true(err.msg[0] != 0);
        fclose(f);
    }

    int n;
    qubo_edge *e;
    size_t m;
    f = mem("4 4\n1 2 1\n2 3 1\n3 4 1\n4 1 1\n");
    assert_int_equal(qubo_read_gset(f, &n, &e, &m, &err), 0);
    fclose(f);
    assert_int_equal(n, 4);
    assert_int_equal(m, 4);
    assert_int_equal((int)maxcut_opt(n, e, m), 4);
    free(e);

    f = mem("{\"n\": 3, \"offset\": 1.5, \"terms\": [[0, 0, -2], [0, 2, 3.5], [1, 1, 1]]}");
    assert_int_equal(qubo_read_json(f, &q, &err), 0);
    fclose(f);
    unsigned char y[3] = {1, 0, 1};
    assert_true(fabs(qubo_energy(&q, y) - (1.5 - 2 + 3.5)) < 1e-12);
    qubo_free(&q);
    f = mem("{\"terms\": [[0, 1, -1]], \"n\": 2}"); /* keys in any order */
    assert_int_equal(qubo_read_json(f, &q, &err), 0);
    fclose(f);
    qubo_free(&q);
    const char *badj[] = {"{\"n\": 2, \"terms\": [[0, 2, 1]]}", "{\"terms\": []}", "[1]",
                          "{\"n\": 2, \"terms\": [[0, 1]]}", "{\"n\": 2, \"x\": 1}",
                          "{\"n\": 2, \"terms\": [[0, 1, 1]"};
    for (size_t k = 0; k < sizeof badj / sizeof *badj; k++) {
        f = mem(badj[k]);
        nq_err_clear(&err);
        assert_int_equal(qubo_read_json(f, &q, &err), NQ_EINVAL);
        assert_true(err.msg[0] != 0);
        fclose(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builder_merges),
        cmocka_unit_test(test_conversion_all_states),
        cmocka_unit_test(test_exact_vs_enumeration),
        cmocka_unit_test(test_maxcut_analytic),
        cmocka_unit_test(test_coloring),
        cmocka_unit_test(test_partition),
        cmocka_unit_test(test_tsp),
        cmocka_unit_test(test_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
