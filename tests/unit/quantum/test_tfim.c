/*
 * test_tfim.c — the transverse-field Ising chain's exact ground state, Lanczos and the
 * annealing schedules against ground truth.
 *
 *   1. Published exact energies (periodic): N = 4, J = 1, h = 0.5: -4.2715584101; N = 4,
 *      (1, 1): -5.2262518595; (1, 2): -8.5431168203; N = 8, J = h = 1: -10.251661791;
 *      N = 10, J = h = 1: -12.784906443 — Lanczos within 1e-9.
 *   2. The Jordan-Wigner closed form E0 = -sum_m sqrt(J^2 + h^2 - 2Jh cos((2m-1)pi/N)) at
 *      N = 2..14 (even) and many (J, h), within 1e-9; at J = h it equals -2J / sin(pi/(2N)).
 *   3. An independent dense diagonalisation: the 2^N x 2^N matrix written from the Pauli
 *      definitions, diagonalised by cyclic Jacobi rotations, N = 1..6, both boundaries,
 *      random signs of J and h — Lanczos within 1e-10 (and within 1e-9 from a random start
 *      vector, which has to resolve near-degenerate sectors); tfim_apply equals the dense
 *      product.
 *   4. Limits: h = 0 gives -|J| x bonds; J = 0 gives -|h| N. The tridiagonal solver on the
 *      second-difference matrix gives 2 - 2cos(pi/(m+1)).
 *   5. The memory budget is checked before allocating; schedules hit their end points,
 *      are monotone, and the exponential one has equal ratios per step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "lanczos.h"
#include "tfim.h"
#include "tfim_schedule.h"

static double exact(int n, double J, double h, tfim_boundary b)
{
    tfim_params p = {n, J, h, b};
    tfim_exact_result r;
    assert_int_equal(tfim_exact(&p, 0, &r, NULL), 0);
    assert_true(r.converged);
    return r.energy;
}

static void test_published(void **st)
{
    (void)st;
    const struct { int n; double J, h, e; } pub[] = {
        {4, 1, 0.5, -4.2715584101}, {4, 1, 1, -5.2262518595}, {4, 1, 2, -8.5431168203},
        {8, 1, 1, -10.251661791},   {10, 1, 1, -12.784906443},
    };
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        double e = exact(pub[i].n, pub[i].J, pub[i].h, TFIM_PERIODIC);
        if (fabs(e - pub[i].e) > 1e-9)
            fail_msg("N %d J %g h %g: %.12f want %.12f", pub[i].n, pub[i].J, pub[i].h, e, pub[i].e);
        double f;
        assert_int_equal(tfim_energy_formula(pub[i].n, pub[i].J, pub[i].h, &f), 0);
        assert_true(fabs(f - pub[i].e) < 1e-9);
    }
}

static void test_formula(void **st)
{
    (void)st;
    const double jh[][2] = {{1, 0.3}, {1, 1}, {0.5, 2}, {2, 0.7}, {1, 0.999}, {0.25, 0.1}, {3, 3}};
    int cases = 0;
    double worst = 0;
    for (int n = 2; n <= 14; n += 2) {
        for (size_t k = 0; k < sizeof jh / sizeof jh[0]; k++) {
            if (n == 14 && k > 1)
                continue; /* keep the test fast: 2 cases at 2^14 */
            double J = jh[k][0], h = jh[k][1], f;
            assert_int_equal(tfim_energy_formula(n, J, h, &f), 0);
            double e = exact(n, J, h, TFIM_PERIODIC);
            if (fabs(e - f) > 1e-9)
                fail_msg("N %d J %g h %g: Lanczos %.15f formula %.15f", n, J, h, e, f);
            worst = fmax(worst, fabs(e - f));
            if (J == h)
                assert_true(fabs(f + 2 * J / sin(M_PI / (2 * n))) < 1e-11);
            cases++;
        }
    }
    print_message("%d (N, J, h) cases, worst |Lanczos - formula| %.3g\n", cases, worst);
    double f;
    assert_int_equal(tfim_energy_formula(5, 1, 1, &f), NQ_EINVAL);
    assert_int_equal(tfim_energy_formula(4, -1, 1, &f), NQ_EINVAL);
}

/* Cyclic Jacobi: lowest eigenvalue of a dense symmetric m x m matrix (destroyed). */
static double jacobi_lowest(double *a, int m)
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++)
                off += a[i * m + j] * a[i * m + j];
        if (off < 1e-26)
            break;
        for (int p = 0; p < m; p++)
            for (int q = p + 1; q < m; q++) {
                double apq = a[p * m + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double th = (a[q * m + q] - a[p * m + p]) / (2 * apq);
                double t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < m; k++) { /* columns p, q */
                    double akp = a[k * m + p], akq = a[k * m + q];
                    a[k * m + p] = c * akp - s * akq;
                    a[k * m + q] = s * akp + c * akq;
                }
                for (int k = 0; k < m; k++) { /* rows p, q */
                    double apk = a[p * m + k], aqk = a[q * m + k];
                    a[p * m + k] = c * apk - s * aqk;
                    a[q * m + k] = s * apk + c * aqk;
                }
            }
    }
    double lo = a[0];
    for (int i = 1; i < m; i++)
        lo = fmin(lo, a[i * m + i]);
    return lo;
}

static void dense_mv(const double *x, double *y, uint64_t dim, void *arg)
{
    (void)dim;
    tfim_apply(arg, x, y);
}

static void test_dense(void **st)
{
    (void)st;
    nq_rng r;
    nq_rng_seed(&r, 606);
    for (int n = 1; n <= 6; n++) {
        int m = 1 << n;
        double *H = malloc((size_t)m * m * sizeof *H), *x = malloc(m * sizeof *x);
        double *y = malloc(m * sizeof *y);
        for (int b = 0; b < 2; b++) {
            for (int trial = 0; trial < 3; trial++) {
                double J = 4 * nq_rng_double(&r) - 2, h = 4 * nq_rng_double(&r) - 2;
                /* H from the definition: Z_i = +1 on bit 0, -1 on bit 1; X_i flips bit i */
                for (int u = 0; u < m; u++)
                    for (int v = 0; v < m; v++) {
                        double e = 0;
                        if (u == v) {
                            int nb = b == TFIM_PERIODIC ? n : n - 1;
                            for (int i = 0; i < nb; i++) {
                                int j = (i + 1) % n;
                                double zi = (u >> i & 1) ? -1 : 1, zj = (u >> j & 1) ? -1 : 1;
                                e += -J * zi * zj;
                            }
                        } else if (__builtin_popcount((unsigned)(u ^ v)) == 1) {
                            e = -h;
                        }
                        H[u * m + v] = e;
                    }
                tfim_params p = {n, J, h, (tfim_boundary)b};
                for (int u = 0; u < m; u++)
                    x[u] = nq_rng_double(&r) - 0.5;
                tfim_apply(&p, x, y);
                for (int u = 0; u < m; u++) {
                    double s = 0;
                    for (int v = 0; v < m; v++)
                        s += H[u * m + v] * x[v];
                    assert_true(fabs(s - y[u]) < 1e-12);
                }
                double want = jacobi_lowest(H, m), got = exact(n, J, h, (tfim_boundary)b);
                if (fabs(want - got) > 1e-10)
                    fail_msg("N %d %s J %g h %g: Lanczos %.15f dense %.15f", n,
                             b ? "open" : "periodic", J, h, got, want);
                /* the generic path: a random start vector in every sector, residual test */
                lanczos_opts lo = {.seed = (uint64_t)trial + 1};
                lanczos_result lr;
                assert_int_equal(lanczos_lowest((uint64_t)m, dense_mv, &p, &lo, &lr, NULL), 0);
                assert_true(lr.converged);
                if (fabs(want - lr.eigenvalue) > 1e-9)
                    fail_msg("N %d random start: %.15f dense %.15f", n, lr.eigenvalue, want);
            }
        }
        free(H);
        free(x);
        free(y);
    }
}

static void test_limits(void **st)
{
    (void)st;
    assert_true(fabs(exact(9, 1.5, 0, TFIM_PERIODIC) + 1.5 * 9) < 1e-10);
    assert_true(fabs(exact(9, -1.5, 0, TFIM_OPEN) + 1.5 * 8) < 1e-10);
    assert_true(fabs(exact(7, 0, 0.8, TFIM_PERIODIC) + 0.8 * 7) < 1e-10);
    assert_true(fabs(exact(7, 0, -0.8, TFIM_OPEN) + 0.8 * 7) < 1e-10);
    for (int m = 1; m <= 40; m += 13) {
        double a[40], b[40];
        for (int i = 0; i < m; i++)
            a[i] = 2, b[i] = -1;
        assert_true(fabs(lanczos_tridiag_lowest(a, b, m) - (2 - 2 * cos(M_PI / (m + 1)))) < 1e-14);
    }
}

static void test_budget(void **st)
{
    (void)st;
    tfim_params p = {26, 1, 1, TFIM_PERIODIC};
    tfim_exact_result r;
    nq_err e;
    nq_err_clear(&e);
    assert_int_equal(tfim_exact(&p, 0, &r, &e), NQ_ETOOBIG);
    assert_non_null(strstr(e.msg, "budget"));
    assert_non_null(strstr(e.msg, "26 spins"));
    p.n = 10;
    assert_int_equal(tfim_exact(&p, 1000, &r, &e), NQ_ETOOBIG);
    p.n = 0;
    assert_int_equal(tfim_exact(&p, 0, &r, &e), NQ_EINVAL);
    p.n = 4;
    p.h = NAN;
    assert_int_equal(tfim_exact(&p, 0, &r, &e), NQ_EINVAL);
}

static double half_step(double s, void *arg)
{
    (void)arg;
    return s < 0.5 ? 3 : 1;
}

static void test_schedules(void **st)
{
    (void)st;
    tfim_schedule lin = {TFIM_SCHED_LINEAR, 10, 0.1, 0, NULL, NULL};
    tfim_schedule ex = {TFIM_SCHED_EXPONENTIAL, 10, 0.1, 0, NULL, NULL};
    tfim_schedule po = {TFIM_SCHED_POLYNOMIAL, 10, 0.1, 2, NULL, NULL};
    tfim_schedule cu = {TFIM_SCHED_CUSTOM, 3, 1, 0, half_step, NULL};
    tfim_schedule *all[] = {&lin, &ex, &po, &cu};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(tfim_schedule_check(all[k], NULL), 0);
        assert_true(tfim_schedule_value(all[k], 0) == all[k]->g0);
        assert_true(tfim_schedule_value(all[k], 1) == all[k]->g1);
        assert_true(tfim_schedule_value(all[k], -3) == all[k]->g0);
        assert_true(tfim_schedule_value(all[k], 7) == all[k]->g1);
        double prev = INFINITY;
        for (long i = 0; i < 101; i++) {
            double v = tfim_schedule_step(all[k], i, 101);
            assert_true(v <= prev);
            prev = v;
        }
    }
    assert_true(fabs(tfim_schedule_value(&lin, 0.5) - 5.05) < 1e-12);
    assert_true(fabs(tfim_schedule_value(&ex, 0.5) - 1) < 1e-12);
    assert_true(fabs(tfim_schedule_value(&po, 0.5) - (0.1 + 9.9 * 0.25)) < 1e-12);
    for (long i = 1; i < 10; i++) /* geometric: equal ratios */
        assert_true(fabs(tfim_schedule_step(&ex, i, 11) / tfim_schedule_step(&ex, i - 1, 11) -
                         pow(0.01, 0.1)) < 1e-12);
    tfim_schedule bad = ex;
    bad.g1 = 0;
    assert_int_equal(tfim_schedule_check(&bad, NULL), NQ_EINVAL);
    bad = po;
    bad.power = 0;
    assert_int_equal(tfim_schedule_check(&bad, NULL), NQ_EINVAL);
    bad = cu;
    bad.fn = NULL;
    assert_int_equal(tfim_schedule_check(&bad, NULL), NQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published), cmocka_unit_test(test_formula),
        cmocka_unit_test(test_dense),     cmocka_unit_test(test_limits),
        cmocka_unit_test(test_budget),    cmocka_unit_test(test_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
