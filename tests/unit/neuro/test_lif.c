/*
 * test_lif.c — the leaky integrate-and-fire neuron against its analytic solution.
 *
 *   1. Constant current above rheobase: the first spike from rest comes at
 *      tau ln(R I / (R I - (v_th - v_rest))) and every interspike interval equals
 *      T = t_ref + tau ln((V_inf - v_reset) / (V_inf - v_th)) within 1e-9 ms, for several
 *      currents, reset potentials and refractory periods, with steps of 0.1 ms; the same spike
 *      times with one 1000 ms step (many spikes per step).
 *   2. An independent forward-Euler integration with dt = 1e-4 ms gives the same interval
 *      within 1e-3 ms (the closed form is the ODE's solution, not only self-consistent).
 *   3. Below rheobase there is no spike and V(t) = V_inf + (V0 - V_inf) e^{-t/tau} exactly;
 *      with conductances V settles at (v_rest + sum g E) / (1 + sum g).
 *   4. Many spikes in one step are counted in closed form (O(1) per step, 3e7 spikes in one step; the count saturates at INT_MAX / 2).
 *   5. Bad parameters are rejected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>

#include "neuro_neuron.h"

/* Spike times of a run of total ms in steps of dt, at most cap of them. */
static int run(const neuro_lif_params *p, double i, double dt, double total, double *t, int cap)
{
    neuro_lif n;
    neuro_lif_init(&n, p);
    int k = 0;
    long steps = lround(total / dt);
    for (long s = 0; s < steps; s++) {
        double off;
        int c = neuro_lif_step(&n, p, i, 0, 0, dt, &off);
        if (c == 1 && k < cap)
            t[k++] = s * dt + off;
        else if (c > 1) {
            /* only the big-step run sees this: recover the times from the ISI */
            double isi = neuro_lif_isi(p, i);
            for (int j = 0; j < c && k < cap; j++)
                t[k++] = s * dt + off + j * isi;
        }
    }
    return k;
}

static void test_isi_matches_formula(void **state)
{
    (void)state;
    const double currents[] = {1.61, 1.7, 2.0, 3.0, 5.0, 20.0};
    const double resets[] = {-70, -65, -60};
    const double refs[] = {0, 2, 5};
    for (size_t a = 0; a < 6; a++)
        for (size_t b = 0; b < 3; b++)
            for (size_t c = 0; c < 3; c++) {
                neuro_lif_params p;
                neuro_lif_default(&p);
                p.v_reset = resets[b];
                p.t_ref = refs[c];
                assert_int_equal(neuro_lif_check(&p), 0);
                double I = currents[a], ri = p.r_m * I;
                double T = neuro_lif_isi(&p, I);
                assert_true(isfinite(T));
                assert_true(fabs(T - (p.t_ref + p.tau_m * log((ri + p.v_rest - p.v_reset) /
                                                               (ri + p.v_rest - p.v_th)))) <
                            1e-12);
                double t[2000];
                int k = run(&p, I, 0.1, 1000, t, 2000);
                double first = p.tau_m * log(ri / (ri - (p.v_th - p.v_rest)));
                assert_true(k > 1);
                assert_true(fabs(t[0] - first) < 1e-9);
                for (int j = 1; j < k; j++)
                    assert_true(fabs(t[j] - t[j - 1] - T) < 1e-9);
                /* the count is what the formula predicts */
                int expect = (int)floor((1000 - first) / T) + 1;
                assert_int_equal(k, expect);
                double t2[2000];
                int k2 = run(&p, I, 1000, 1000, t2, 2000);
                assert_int_equal(k2, k);
                for (int j = 0; j < k; j++)
                    assert_true(fabs(t2[j] - t[j]) < 1e-9);
            }
}

static void test_euler_agrees(void **state)
{
    (void)state;
    neuro_lif_params p;
    neuro_lif_default(&p);
    p.v_reset = -65;
    p.t_ref = 0;
    double I = 2.5, dt = 1e-4, v = p.v_reset, t = 0;
    double spikes[3];
    int k = 0;
    /* plain forward Euler from v_reset: tau dV/dt = v_rest - V + R I */
    while (k < 3) {
        v += dt / p.tau_m * (p.v_rest - v + p.r_m * I);
        t += dt;
        if (v >= p.v_th) {
            spikes[k++] = t;
            v = p.v_reset;
        }
    }
    double T = neuro_lif_isi(&p, I);
    assert_true(fabs((spikes[2] - spikes[1]) - T) < 1e-3);
    assert_true(fabs(spikes[0] - T) < 1e-3);
}

static void test_subthreshold_and_conductance(void **state)
{
    (void)state;
    neuro_lif_params p;
    neuro_lif_default(&p);
    double I = 1.5; /* R I = 15 mV < 16 mV */
    assert_true(isinf(neuro_lif_isi(&p, I)));
    neuro_lif n;
    neuro_lif_init(&n, &p);
    for (int s = 1; s <= 5000; s++) {
        assert_int_equal(neuro_lif_step(&n, &p, I, 0, 0, 0.1, NULL), 0);
        if (s % 1000 == 0) {
            double vinf = p.v_rest + p.r_m * I;
            double expect = vinf + (p.v_rest - vinf) * exp(-s * 0.1 / p.tau_m);
            assert_true(fabs(n.v - expect) < 1e-9);
        }
    }
    /* excitatory g = 0.2 at E = 0 and inhibitory g = 0.5 at E = -80: V_inf below threshold */
    double g = 0.7, ge = 0.2 * 0 + 0.5 * -80;
    neuro_lif_init(&n, &p);
    for (int s = 0; s < 20000; s++)
        assert_int_equal(neuro_lif_step(&n, &p, 0, g, ge, 0.1, NULL), 0);
    assert_true(fabs(n.v - (p.v_rest + ge) / (1 + g)) < 1e-9);
    /* the time constant shrinks to tau / (1 + g): after one tau/(1+g), 1 - 1/e of the way */
    neuro_lif_init(&n, &p);
    neuro_lif_step(&n, &p, 0, g, ge, p.tau_m / (1 + g), NULL);
    double vinf = (p.v_rest + ge) / (1 + g);
    assert_true(fabs(n.v - (vinf + (p.v_rest - vinf) * exp(-1))) < 1e-12);
}

/* Many spikes in one step are counted in closed form: one 1000 ms step under a huge current
 * returns at once with the count the interval predicts, and the run ends where the small-step
 * run ends. */
static void test_many_spikes_per_step(void **state)
{
    (void)state;
    neuro_lif_params p;
    neuro_lif_default(&p);
    p.t_ref = 0;
    neuro_lif n;
    neuro_lif_init(&n, &p);
    double I = 1e6, off;
    int c = neuro_lif_step(&n, &p, I, 0, 0, 1000, &off);
    double T = neuro_lif_isi(&p, I);
    assert_true(T > 0 && T < 1e-4);
    double expect = floor((1000 - off) / T) + 1;
    assert_true(fabs(c - expect) <= 1);
    /* beyond the count's range it saturates instead of looping */
    neuro_lif_init(&n, &p);
    assert_int_equal(neuro_lif_step(&n, &p, 1e15, 0, 0, 1000, &off), INT_MAX / 2);
    p.t_ref = 2;
    neuro_lif_init(&n, &p);
    c = neuro_lif_step(&n, &p, 5, 0, 0, 1e6, &off);
    assert_int_equal(c, (int)floor((1e6 - off) / neuro_lif_isi(&p, 5)) + 1);
}

static void test_bad_params(void **state)
{
    (void)state;
    neuro_lif_params p;
    neuro_lif_default(&p);
    assert_int_equal(neuro_lif_check(&p), 0);
    p.tau_m = 0;
    assert_int_equal(neuro_lif_check(&p), -1);
    neuro_lif_default(&p);
    p.v_reset = p.v_th;
    assert_int_equal(neuro_lif_check(&p), -1);
    neuro_lif_default(&p);
    p.t_ref = -1;
    assert_int_equal(neuro_lif_check(&p), -1);
    neuro_lif_default(&p);
    p.v_th = NAN;
    assert_int_equal(neuro_lif_check(&p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isi_matches_formula),
        cmocka_unit_test(test_euler_agrees),
        cmocka_unit_test(test_subthreshold_and_conductance),
        cmocka_unit_test(test_many_spikes_per_step),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
