/*
 * test_qubo_solvers.c — the heuristic solvers against ground truth:
 *   - every solver (SA, PT, tabu, SQA) finds the exhaustive optimum of random models, n <= 20,
 *     and SA, PT and tabu that of an n = 24 model;
 *   - Max-Cut optima known analytically on graphs too large to enumerate (K_40 -> 400, even and
 *     odd cycles of 100/101, a random bipartite graph -> all its edges, Petersen -> 12);
 *   - the 30 Beasley instances of ../shared/data/qubo/beasley each solved by tabu search (seed
 *     1) to its proven optimum (skipped, saying where it looked, when the data is absent);
 *   - parallel tempering samples the Boltzmann distribution: the open Ising chain
 *     E = −J Σ s_i s_{i+1} has ⟨E⟩ = −(N−1)J·tanh(βJ), matched within 5 standard errors;
 *   - the adaptive ladder of PT moves temperature gaps toward equal exchange acceptance;
 *   - the same seed gives the same answer (reproducibility), and the driver honours targets
 *     and time limits.
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
#include <sys/stat.h>

#include "base/rand.h"
#include "qubo.h"
#include "qubo_solve.h"
#include "qubo_solve_int.h" /* qubo_pt_rescale */

#ifndef NQ_SHARED_DIR
#define NQ_SHARED_DIR "../shared"
#endif

static void random_model(nq_rng *rng, int n, double p, qubo_model *m)
{
    qubo_builder b;
    assert_int_equal(qubo_builder_init(&b, n, NULL), 0);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            if (i == j || nq_rng_double(rng) < p)
                qubo_builder_add(&b, i, j, (double)((int)nq_rng_below(rng, 201) - 100));
    assert_int_equal(qubo_builder_build(&b, m, NULL), 0);
    qubo_builder_free(&b);
}

static double solve(const qubo_model *m, qubo_solver s, const qubo_options *o, unsigned char *x)
{
    qubo_result r;
    nq_err err;
    nq_err_clear(&err);
    int rc = qubo_solve(m, s, o, &r, &err);
    if (rc)
        fail_msg("%s: %s", qubo_solver_name(s), err.msg);
    double e = r.energy;
    assert_true(fabs(e - qubo_energy(m, r.x)) < 1e-6);
    if (x)
        memcpy(x, r.x, (size_t)m->n);
    qubo_result_free(&r);
    return e;
}

static void test_agree_with_exhaustive(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 2024);
    for (int trial = 0; trial < 8; trial++) {
        int n = 10 + (int)nq_rng_below(&rng, 11);
        qubo_model q;
        random_model(&rng, n, 0.3, &q);
        double opt = solve(&q, QUBO_SOLVER_EXACT, NULL, NULL);
        for (int s = QUBO_SOLVER_SA; s <= QUBO_SOLVER_SQA; s++) {
            qubo_options o;
            qubo_options_default(&o);
            o.seed = (uint64_t)trial;
            o.restarts = 5;
            o.sweeps = 300;
            double e = solve(&q, (qubo_solver)s, &o, NULL);
            if (fabs(e - opt) > 1e-9)
                fail_msg("trial %d n=%d %s: %g, optimum %g", trial, n,
                         qubo_solver_name((qubo_solver)s), e, opt);
        }
        qubo_free(&q);
    }
}

/* n = 24 (16.7 M states, still under a second by Gray code): exhaustive and heuristics agree. */
static void test_agree_n24(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 24);
    qubo_model q;
    random_model(&rng, 24, 0.2, &q);
    qubo_result r;
    assert_int_equal(qubo_solve_exact(&q, &r, NULL), 0);
    assert_true(r.iterations == (uint64_t)1 << 24);
    double opt = r.energy;
    qubo_result_free(&r);
    for (int s = QUBO_SOLVER_SA; s <= QUBO_SOLVER_TABU; s++) {
        qubo_options o;
        qubo_options_default(&o);
        o.restarts = 3;
        assert_true(fabs(solve(&q, (qubo_solver)s, &o, NULL) - opt) < 1e-9);
    }
    qubo_free(&q);
}

/* SQA on its own: single runs (no restarts) reach the optimum of small random instances. */
static void test_sqa_small(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 77);
    int hits = 0, total = 10;
    for (int trial = 0; trial < total; trial++) {
        qubo_model q;
        random_model(&rng, 16, 0.4, &q);
        double opt = solve(&q, QUBO_SOLVER_EXACT, NULL, NULL);
        qubo_options o;
        qubo_options_default(&o);
        o.seed = (uint64_t)trial + 1;
        o.sweeps = 500;
        hits += fabs(solve(&q, QUBO_SOLVER_SQA, &o, NULL) - opt) < 1e-9;
        qubo_free(&q);
    }
    print_message("sqa: %d of %d single runs reached the optimum\n", hits, total);
    assert_true(hits >= total - 1);
}

static long g_sweeps; /* 0: solver default */

static double maxcut(int n, const qubo_edge *e, size_t m, qubo_solver s)
{
    qubo_model q;
    assert_int_equal(qubo_build_maxcut(n, e, m, &q, NULL), 0);
    qubo_options o;
    qubo_options_default(&o);
    o.restarts = 3;
    o.sweeps = g_sweeps;
    unsigned char *x = malloc((size_t)n);
    double en = solve(&q, s, &o, x);
    assert_true(fabs(-en - qubo_cut_value(e, m, x)) < 1e-9);
    free(x);
    qubo_free(&q);
    return -en;
}

static void test_maxcut_large(void **state)
{
    (void)state;
    qubo_edge *e = malloc(2000 * sizeof *e);
    size_t m = 0;
    for (int i = 0; i < 40; i++)
        for (int j = i + 1; j < 40; j++)
            e[m++] = (qubo_edge){i, j, 1};
    assert_int_equal((int)maxcut(40, e, m, QUBO_SOLVER_TABU), 400);
    assert_int_equal((int)maxcut(40, e, m, QUBO_SOLVER_SA), 400);
    assert_int_equal((int)maxcut(40, e, m, QUBO_SOLVER_PT), 400);
    /* A long cycle is a 1D ferromagnet in disguise: single flips leave domain walls that only
     * annihilate by diffusing into each other (time ~ L²), so SA needs long runs here; tabu's
     * walls all drift one way (the move back is tabu) and may never meet (docs/quantum.md). */
    g_sweeps = 20000;
    for (int n = 100; n <= 101; n++) {
        for (int i = 0; i < n; i++)
            e[i] = (qubo_edge){i, (i + 1) % n, 1};
        assert_int_equal((int)maxcut(n, e, (size_t)n, QUBO_SOLVER_SA), n % 2 ? n - 1 : n);
    }
    g_sweeps = 0;
    nq_rng rng;
    nq_rng_seed(&rng, 3);
    m = 0; /* random bipartite graph on 30 + 30 vertices */
    for (int i = 0; i < 30; i++)
        for (int j = 30; j < 60; j++)
            if (nq_rng_double(&rng) < 0.2)
                e[m++] = (qubo_edge){i, j, 1};
    assert_int_equal((int)maxcut(60, e, m, QUBO_SOLVER_TABU), (int)m);
    assert_int_equal((int)maxcut(60, e, m, QUBO_SOLVER_SQA), (int)m);
    assert_int_equal((int)maxcut(60, e, m, QUBO_SOLVER_PT), (int)m);
    m = 0;
    for (int i = 0; i < 5; i++) {
        e[m++] = (qubo_edge){i, (i + 1) % 5, 1};
        e[m++] = (qubo_edge){5 + i, 5 + (i + 2) % 5, 1};
        e[m++] = (qubo_edge){i, 5 + i, 1};
    }
    for (int s = QUBO_SOLVER_SA; s <= QUBO_SOLVER_SQA; s++)
        assert_int_equal((int)maxcut(10, e, m, (qubo_solver)s), 12);
    free(e);
}

static const char *shared_dir(char *buf, size_t cap)
{
    const char *cands[3] = {getenv("NQ_SHARED_DIR"), NQ_SHARED_DIR, "/tmp/shared"};
    for (int k = 0; k < 3; k++) {
        struct stat st;
        if (!cands[k])
            continue;
        snprintf(buf, cap, "%s/data/qubo/beasley/optimal_energy.txt", cands[k]);
        if (stat(buf, &st) == 0) {
            snprintf(buf, cap, "%s/data/qubo/beasley", cands[k]);
            return buf;
        }
    }
    return NULL;
}

static void test_beasley_optima(void **state)
{
    (void)state;
    char dir[1024];
    if (!shared_dir(dir, sizeof dir)) {
        print_message("SKIP: Beasley instances not found (looked in $NQ_SHARED_DIR, %s and "
                      "/tmp/shared, under data/qubo/beasley)\n",
                      NQ_SHARED_DIR);
        skip();
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/optimal_energy.txt", dir);
    FILE *idx = fopen(path, "r");
    assert_non_null(idx);
    char name[64];
    double opt;
    int count = 0;
    double worst = 0;
    while (fscanf(idx, "%63s %lf", name, &opt) == 2) {
        snprintf(path, sizeof path, "%s/%s.sparse", dir, name);
        FILE *f = fopen(path, "r");
        if (!f)
            fail_msg("cannot open %s", path);
        qubo_model q;
        nq_err err;
        if (qubo_read_beasley(f, &q, &err))
            fail_msg("%s: %s", path, err.msg);
        fclose(f);
        qubo_options o;
        qubo_options_default(&o);
        o.seed = 1;
        o.has_target = 1;
        o.target = opt;
        o.time_limit = 10; /* a safety net; the optimum comes in milliseconds */
        qubo_result r;
        assert_int_equal(qubo_solve(&q, QUBO_SOLVER_TABU, &o, &r, &err), 0);
        if (fabs(r.energy - opt) > 1e-9)
            fail_msg("%s: tabu found %g, proven optimum %g", name, r.energy, opt);
        if (r.seconds_to_best > worst)
            worst = r.seconds_to_best;
        qubo_result_free(&r);
        qubo_free(&q);
        count++;
    }
    fclose(idx);
    print_message("beasley: %d instances solved to their proven optima, slowest %.3f s\n", count,
                  worst);
    assert_int_equal(count, 30);
}

/* The open chain E = −J Σ_{i<N} s_i s_{i+1}, built as an Ising model and converted. */
static void chain(int N, double J, qubo_model *q)
{
    qubo_builder b;
    qubo_model tmp;
    assert_int_equal(qubo_builder_init(&b, N, NULL), 0);
    for (int i = 0; i + 1 < N; i++)
        qubo_builder_add(&b, i, i + 1, -J); /* J_ij in the Ising reading */
    assert_int_equal(qubo_builder_build(&b, &tmp, NULL), 0);
    qubo_builder_free(&b);
    ising_model s = {tmp.n, 0, tmp.lin, tmp.row, tmp.col, tmp.w};
    assert_int_equal(qubo_from_ising(&s, q, NULL), 0);
    qubo_free(&tmp);
}

static void test_pt_equilibrium(void **state)
{
    (void)state;
    const int N = 32;
    const double J = 1.0;
    double temps[8] = {0.5, 0.7, 0.9, 1.2, 1.6, 2.0, 3.0, 5.0};
    double mean[8], se[8];
    qubo_model q;
    chain(N, J, &q);
    nq_err err;
    long sw = getenv("PT_SWEEPS") ? atol(getenv("PT_SWEEPS")) : 40000;
    uint64_t seed = getenv("PT_SEED") ? (uint64_t)atol(getenv("PT_SEED")) : 11;
    assert_int_equal(qubo_pt_sample(&q, temps, 8, 2000, sw, seed, mean, se, &err), 0);
    for (int k = 0; k < 8; k++) {
        double exact = -(N - 1) * J * tanh(J / temps[k]);
        double tol = 5 * se[k] + 1e-9;
        print_message("pt: T=%.2f <E>=%.4f exact %.4f (se %.4f)\n", temps[k], mean[k], exact,
                      se[k]);
        if (fabs(mean[k] - exact) > tol)
            fail_msg("T=%g: <E> = %g, exact %g, 5 se = %g", temps[k], mean[k], exact, tol);
        assert_true(se[k] < 0.05 * (N - 1)); /* the error bar itself is small */
    }
    qubo_free(&q);
    double bad = 0;
    assert_int_equal(qubo_pt_sample(&q, &bad, 1, 0, 100, 1, mean, NULL, &err), NQ_EINVAL);
}

/* The adaptive ladder: low-acceptance gaps shrink, high ones widen, the end points stay, the
 * ladder stays ordered, and equal acceptance leaves it alone. */
static void test_pt_ladder(void **state)
{
    (void)state;
    double beta[5], orig[5];
    for (int k = 0; k < 5; k++)
        orig[k] = beta[k] = pow(0.5, k);
    double acc[4] = {0.1, 0.5, 0.5, 0.9};
    qubo_pt_rescale(beta, 5, acc);
    assert_true(fabs(beta[0] - 1) < 1e-12 && fabs(beta[4] - 1.0 / 16) < 1e-12);
    for (int k = 0; k < 4; k++)
        assert_true(beta[k + 1] < beta[k]);
    assert_true(log(beta[0] / beta[1]) < log(2) - 1e-3); /* acceptance 0.1: narrower */
    assert_true(log(beta[3] / beta[4]) > log(2) + 1e-3); /* acceptance 0.9: wider */
    double same[4] = {0.3, 0.3, 0.3, 0.3};
    memcpy(beta, orig, sizeof beta);
    qubo_pt_rescale(beta, 5, same);
    for (int k = 0; k < 5; k++)
        assert_true(fabs(beta[k] - orig[k]) < 1e-12);
}

static void test_reproducible(void **state)
{
    (void)state;
    nq_rng rng;
    nq_rng_seed(&rng, 5);
    qubo_model q;
    random_model(&rng, 120, 0.1, &q);
    for (int s = QUBO_SOLVER_SA; s <= QUBO_SOLVER_SQA; s++) {
        qubo_options o;
        qubo_options_default(&o);
        o.seed = 99;
        o.restarts = 2;
        o.sweeps = 100;
        qubo_result a, b;
        assert_int_equal(qubo_solve(&q, (qubo_solver)s, &o, &a, NULL), 0);
        assert_int_equal(qubo_solve(&q, (qubo_solver)s, &o, &b, NULL), 0);
        assert_true(a.energy == b.energy);
        assert_memory_equal(a.x, b.x, 120);
        assert_true(a.iterations == b.iterations);
        assert_int_equal(a.runs, 2);
        qubo_result_free(&a);
        qubo_result_free(&b);
    }
    /* a time limit stops an endless multi-start */
    qubo_options o;
    qubo_options_default(&o);
    o.time_limit = 0.2;
    qubo_result r;
    assert_int_equal(qubo_solve(&q, QUBO_SOLVER_SA, &o, &r, NULL), 0);
    assert_true(r.seconds < 1.0 && r.runs >= 1);
    qubo_result_free(&r);
    qubo_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agree_with_exhaustive),
        cmocka_unit_test(test_agree_n24),
        cmocka_unit_test(test_sqa_small),
        cmocka_unit_test(test_maxcut_large),
        cmocka_unit_test(test_beasley_optima),
        cmocka_unit_test(test_pt_equilibrium),
        cmocka_unit_test(test_pt_ladder),
        cmocka_unit_test(test_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
