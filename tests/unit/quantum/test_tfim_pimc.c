/*
 * test_tfim_pimc.c — path-integral Monte Carlo of the transverse-field Ising chain
 * (tfim_pimc.h) against exact results.
 *
 *   1. The sampler and the estimator, free of Trotter and thermal error: for small chains
 *      (N = 3..6, periodic and open, J of both signs, the frustrated odd ring included) the
 *      exact energy of the same Trotterized model, -d ln Tr (e^{dtau h sum X} e^{dtau J sum
 *      ZZ})^P / d beta at fixed P, from the dense 2^N x 2^N transfer matrix; the Monte Carlo
 *      (Metropolis + Wolff, Metropolis alone, Wolff alone) within 4.5 standard errors.
 *   2. The Trotterized closed form (Kaufman) against the dense transfer matrix's largest
 *      eigenvalue at N = 4, 6, and against the exact E0 as dtau -> 0.
 *   3. The ground-truth requirement: N = 64 at h = 0.5, 1, 2 (J = 1; h = 1 is critical) within
 *      1 % of the Jordan-Wigner E0 (measured: 0.1-0.2 %), and within 5 standard errors of the
 *      Trotterized closed form plus a thermal allowance; N = 12 and 16 against Lanczos.
 *   4. Richardson extrapolation from dtau = 0.2 and 0.1 at N = 16 (critical): within 5 standard
 *      errors + 0.1 % of E0, where the coarse run alone is 2.6 % low.
 *   5. Same seed, same numbers; bad parameters and budgets are refused with a message.
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

#include "tfim.h"
#include "tfim_pimc.h"

/* C = A B for dense d x d matrices. */
static void matmul(const double *A, const double *B, double *C, int d)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++)
                s += A[i * d + k] * B[k * d + j];
            C[i * d + j] = s;
        }
}

/* The symmetric transfer matrix V2^1/2 V1 V2^1/2 of the Trotterized chain at step dtau. */
static double *transfer(const tfim_params *p, double dtau)
{
    int n = p->n, d = 1 << n;
    double *M = malloc(sizeof(double) * d * d), *w = malloc(sizeof(double) * d);
    assert_non_null(M);
    assert_non_null(w);
    double x = dtau * fabs(p->h), ch = cosh(x), sh = sinh(x);
    for (int s = 0; s < d; s++) {
        int bonds = 0;
        for (int i = 0; i + 1 < n; i++)
            bonds += (((s >> i) ^ (s >> (i + 1))) & 1) ? -1 : 1;
        if (p->boundary == TFIM_PERIODIC)
            bonds += (((s >> (n - 1)) ^ s) & 1) ? -1 : 1;
        w[s] = exp(0.5 * dtau * p->J * bonds);
    }
    for (int s = 0; s < d; s++)
        for (int t = 0; t < d; t++) {
            int diff = __builtin_popcount((unsigned)(s ^ t));
            M[s * d + t] = w[s] * pow(ch, n - diff) * pow(sh, diff) * w[t];
        }
    free(w);
    return M;
}

/* ln Tr M^P, by squaring with rescaling (no overflow). */
static double ln_trace_power(const double *M0, int d, long P)
{
    double *R = calloc((size_t)d * d, sizeof *R), *B = malloc(sizeof(double) * d * d),
           *T = malloc(sizeof(double) * d * d);
    memcpy(B, M0, sizeof(double) * d * d);
    for (int i = 0; i < d; i++)
        R[i * d + i] = 1;
    double lr = 0, lb = 0;
    while (P) {
        if (P & 1) {
            matmul(R, B, T, d);
            double mx = 0;
            for (int i = 0; i < d * d; i++)
                mx = fmax(mx, fabs(T[i]));
            for (int i = 0; i < d * d; i++)
                R[i] = T[i] / mx;
            lr += lb + log(mx);
        }
        P >>= 1;
        if (P) {
            matmul(B, B, T, d);
            double mx = 0;
            for (int i = 0; i < d * d; i++)
                mx = fmax(mx, fabs(T[i]));
            for (int i = 0; i < d * d; i++)
                B[i] = T[i] / mx;
            lb = 2 * lb + log(mx);
        }
    }
    double tr = 0;
    for (int i = 0; i < d; i++)
        tr += R[i * d + i];
    free(R), free(B), free(T);
    return lr + log(tr);
}

/* The exact energy of the Trotterized model: -d ln Z / d beta at fixed P (central
 * difference; Z includes the C^{NP} factor because V1 is written as e^{dtau h X} itself). */
static double trotter_exact(const tfim_params *p, double beta, int P)
{
    int d = 1 << p->n;
    double eps = 1e-5 * beta, lz[2];
    for (int j = 0; j < 2; j++) {
        double *M = transfer(p, (beta + (j ? eps : -eps)) / P);
        lz[j] = ln_trace_power(M, d, P);
        free(M);
    }
    return -(lz[1] - lz[0]) / (2 * eps);
}

static tfim_pimc_result run(const tfim_params *p, tfim_pimc_options o)
{
    tfim_pimc_result r;
    nq_err e;
    nq_err_clear(&e);
    if (tfim_pimc_run(p, &o, &r, &e))
        fail_msg("tfim_pimc_run: %s", e.msg);
    return r;
}

static void test_against_transfer_matrix(void **st)
{
    (void)st;
    const struct { int n; double J, h; tfim_boundary b; double beta; int P; } c[] = {
        {4, 1, 1, TFIM_PERIODIC, 2, 8},   {6, 1, 0.5, TFIM_PERIODIC, 3, 12},
        {5, -0.7, 1.3, TFIM_OPEN, 1.5, 6}, {3, -1, 0.5, TFIM_PERIODIC, 2, 8},
        {4, 1, 2, TFIM_OPEN, 4, 16},      {6, 1, 1, TFIM_PERIODIC, 8, 64},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        tfim_params p = {c[i].n, c[i].J, c[i].h, c[i].b};
        double ex = trotter_exact(&p, c[i].beta, c[i].P);
        for (int mode = 0; mode < 3; mode++) {
            tfim_pimc_options o = {.beta = c[i].beta, .slices = c[i].P, .sweeps = 6000,
                                   .seed = 7 + i, .no_cluster = mode == 1,
                                   .metropolis = mode == 2 ? -1 : 0};
            tfim_pimc_result r = run(&p, o);
            if (fabs(r.energy - ex) > 4.5 * r.error || !(r.error > 0))
                fail_msg("N %d J %g h %g %s beta %g P %d moves %d: %.6f +- %.6f, exact %.6f",
                         c[i].n, c[i].J, c[i].h, c[i].b ? "open" : "periodic", c[i].beta,
                         c[i].P, mode, r.energy, r.error, ex);
            if (mode != 1)
                assert_true(r.mean_cluster >= 1);
            if (mode != 2)
                assert_true(r.accept > 0 && r.accept < 1);
        }
    }
}

/* Kaufman's closed form of the Trotterized chain against the dense transfer matrix's largest
 * eigenvalue (ln Tr M^P / P with P = 2^20), and against E0 as dtau -> 0. */
static void test_trotter_formula(void **st)
{
    (void)st;
    const int ns[] = {4, 6};
    const double hs[] = {0.5, 1, 2}, dts[] = {0.1, 0.3};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 2; c++) {
                tfim_params p = {ns[a], 1, hs[b], TFIM_PERIODIC};
                double dt = dts[c], eps = 1e-5, l[2];
                for (int j = 0; j < 2; j++) {
                    double *M = transfer(&p, dt + (j ? eps : -eps));
                    l[j] = ln_trace_power(M, 1 << p.n, 1L << 20) / (double)(1L << 20);
                    free(M);
                }
                double dense = -(l[1] - l[0]) / (2 * eps), f;
                assert_int_equal(tfim_trotter_energy_formula(p.n, 1, hs[b], dt, &f), 0);
                if (fabs(f - dense) > 1e-6)
                    fail_msg("N %d h %g dtau %g: formula %.10f, transfer matrix %.10f", p.n,
                             hs[b], dt, f, dense);
            }
    for (int n = 2; n <= 256; n *= 2)
        for (int b = 0; b < 3; b++) {
            double e0, f;
            assert_int_equal(tfim_energy_formula(n, 1, hs[b], &e0), 0);
            assert_int_equal(tfim_trotter_energy_formula(n, 1, hs[b], 1e-4, &f), 0);
            assert_true(fabs(f - e0) < 1e-6 * fabs(e0));
            /* the Trotter error is negative and O(dtau^2): a quarter at half the step */
            double f1, f2;
            assert_int_equal(tfim_trotter_energy_formula(n, 1, hs[b], 0.02, &f1), 0);
            assert_int_equal(tfim_trotter_energy_formula(n, 1, hs[b], 0.01, &f2), 0);
            assert_true(f1 < f2 && f2 < e0);
            assert_true(fabs((f1 - e0) / (f2 - e0) - 4) < 0.05);
        }
    double f;
    assert_int_equal(tfim_trotter_energy_formula(5, 1, 1, 0.1, &f), NQ_EINVAL);
    assert_int_equal(tfim_trotter_energy_formula(4, 1, 1, 0, &f), NQ_EINVAL);
    assert_int_equal(tfim_trotter_energy_formula(4, -1, 1, 0.1, &f), NQ_EINVAL);
}

/* The requirement: N = 64 within 1 % of E0 at h = 0.5, 1 (critical) and 2. The run
 * uses beta = 8 and dtau = 0.05 (P = 160; the defaults are beta = 16 / max(J, h) and dtau =
 * 0.05 / max(J, h), smaller here to stay fast under sanitizers): the Trotter error is then
 * -0.06 / -0.17 / -0.23 % (tfim_trotter_energy_formula), and the
 * Monte Carlo must also agree with the Trotterized closed form within 5 standard errors plus
 * 0.2 % for the thermal part. */
static void test_n64(void **st)
{
    (void)st;
    const double hs[] = {0.5, 1, 2};
    for (int b = 0; b < 3; b++) {
        tfim_params p = {64, 1, hs[b], TFIM_PERIODIC};
        tfim_pimc_options o = {.beta = 8, .slices = 160, .sweeps = 400, .anneal_sweeps = 100,
                               .equilibrate = 50, .seed = 64};
        tfim_pimc_result r = run(&p, o);
        double e0, et;
        assert_int_equal(tfim_energy_formula(64, 1, hs[b], &e0), 0);
        assert_int_equal(tfim_trotter_energy_formula(64, 1, hs[b], r.dtau, &et), 0);
        double rel = fabs(r.energy - e0) / fabs(e0);
        if (rel > 0.01 || fabs(r.energy - et) > 5 * r.error + 0.002 * fabs(e0))
            fail_msg("N 64 h %g: %.5f +- %.5f, E0 %.5f (%.3f %%), Trotterized %.5f", hs[b],
                     r.energy, r.error, e0, 100 * rel, et);
        assert_true(r.error < 0.003 * fabs(e0));
        assert_true(fabs(r.energy_zz + r.energy_x - r.energy) < 1e-9 * fabs(e0));
    }
}

/* N = 12 (periodic) and 16 (open, no closed form) against Lanczos, default parameters but a
 * shorter run; and -h gives the same as h, J < 0 on an even ring the same as J > 0. */
static void test_against_lanczos(void **st)
{
    (void)st;
    const struct { int n; double J, h; tfim_boundary b; } c[] = {
        {12, 1, 1, TFIM_PERIODIC}, {16, 1, 0.7, TFIM_OPEN}, {12, -1, -1.5, TFIM_PERIODIC}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        tfim_params p = {c[i].n, c[i].J, c[i].h, c[i].b};
        tfim_exact_result x;
        assert_int_equal(tfim_exact(&p, 0, &x, NULL), 0);
        tfim_pimc_options o = {.slices = 160, .beta = 8 / fmax(fabs(c[i].J), fabs(c[i].h)),
                               .sweeps = 600, .anneal_sweeps = 100, .equilibrate = 50, .seed = 3};
        tfim_pimc_result r = run(&p, o);
        if (fabs(r.energy - x.energy) > 0.01 * fabs(x.energy))
            fail_msg("N %d J %g h %g: PIMC %.5f +- %.5f, Lanczos %.5f", c[i].n, c[i].J, c[i].h,
                     r.energy, r.error, x.energy);
    }
}

/* Richardson extrapolation in dtau: N = 16 at the critical point with dtau = 0.2 and 0.1, where
 * the coarse run alone is 2.6 % too low; (4 E_fine - E_coarse) / 3 must be within 5 standard
 * errors + 0.1 % of E0, and the closed form says the same extrapolation leaves 0.02 %. */
static void test_extrapolation(void **st)
{
    (void)st;
    tfim_params p = {16, 1, 1, TFIM_PERIODIC};
    tfim_pimc_options o = {.beta = 16, .slices = 80, .sweeps = 800, .anneal_sweeps = 100,
                           .equilibrate = 50, .seed = 21};
    tfim_pimc_extrapolation x;
    nq_err e;
    assert_int_equal(tfim_pimc_extrapolate(&p, &o, &x, &e), 0);
    assert_int_equal(x.coarse.slices, 80);
    assert_int_equal(x.fine.slices, 160);
    assert_true(x.fine.beta == x.coarse.beta);
    double e0, tc, tf;
    assert_int_equal(tfim_energy_formula(16, 1, 1, &e0), 0);
    assert_int_equal(tfim_trotter_energy_formula(16, 1, 1, x.coarse.dtau, &tc), 0);
    assert_int_equal(tfim_trotter_energy_formula(16, 1, 1, x.fine.dtau, &tf), 0);
    assert_true((4 * tf - tc) / 3 - e0 < 0 && fabs((4 * tf - tc) / 3 - e0) < 0.0003 * fabs(e0));
    assert_true(x.coarse.energy < e0 - 0.015 * fabs(e0));
    if (fabs(x.energy - e0) > 5 * x.error + 0.001 * fabs(e0))
        fail_msg("extrapolated %.5f +- %.5f (from %.5f, %.5f), E0 %.5f", x.energy, x.error,
                 x.coarse.energy, x.fine.energy, e0);
    assert_true(fabs(x.error - sqrt(16 * x.fine.error * x.fine.error +
                                    x.coarse.error * x.coarse.error) / 3) < 1e-12);
}

static void test_seed_and_errors(void **st)
{
    (void)st;
    tfim_params p = {10, 1, 1, TFIM_PERIODIC};
    tfim_pimc_options o = {.beta = 2, .slices = 20, .sweeps = 300, .seed = 11};
    tfim_pimc_result a = run(&p, o), b = run(&p, o);
    assert_true(a.energy == b.energy && a.error == b.error && a.accept == b.accept &&
                a.mean_cluster == b.mean_cluster);
    o.seed = 12;
    b = run(&p, o);
    assert_true(a.energy != b.energy);
    /* every schedule anneals to the same equilibrium */
    o.has_schedule = 1;
    o.schedule = (tfim_schedule){.kind = TFIM_SCHED_EXPONENTIAL, .g0 = 10};
    o.sweeps = 4000;
    tfim_pimc_result c = run(&p, o);
    o.schedule = (tfim_schedule){.kind = TFIM_SCHED_POLYNOMIAL, .g0 = 5, .power = 2};
    tfim_pimc_result d = run(&p, o);
    assert_true(fabs(c.energy - d.energy) < 5 * hypot(c.error, d.error));

    tfim_pimc_result r;
    nq_err e;
    o = (tfim_pimc_options){.slices = 8, .sweeps = 10};
    tfim_params bad = {1, 1, 1, TFIM_PERIODIC};
    assert_int_equal(tfim_pimc_run(&bad, &o, &r, &e), NQ_EINVAL);
    bad = (tfim_params){8, 1, 0, TFIM_PERIODIC};
    assert_int_equal(tfim_pimc_run(&bad, &o, &r, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "h != 0"));
    bad = (tfim_params){8, NAN, 1, TFIM_PERIODIC};
    assert_int_equal(tfim_pimc_run(&bad, &o, &r, &e), NQ_EINVAL);
    o.slices = 1;
    assert_int_equal(tfim_pimc_run(&p, &o, &r, &e), NQ_EINVAL);
    o.slices = 8;
    o.has_schedule = 1;
    o.schedule = (tfim_schedule){.kind = TFIM_SCHED_EXPONENTIAL, .g0 = -1};
    assert_int_equal(tfim_pimc_run(&p, &o, &r, &e), NQ_EINVAL);
    o.has_schedule = 0;
    o.budget = 100;
    assert_int_equal(tfim_pimc_run(&p, &o, &r, &e), NQ_ETOOBIG);
    assert_non_null(strstr(e.msg, "budget"));
    o = (tfim_pimc_options){.slices = 8, .sweeps = 10, .metropolis = -1, .no_cluster = 1};
    assert_int_equal(tfim_pimc_run(&p, &o, &r, &e), NQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_transfer_matrix),
        cmocka_unit_test(test_trotter_formula),
        cmocka_unit_test(test_n64),
        cmocka_unit_test(test_against_lanczos),
        cmocka_unit_test(test_extrapolation),
        cmocka_unit_test(test_seed_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
