/*
 * test_stdp.c — pair-based STDP (Song, Miller & Abbott 2000 constants) in the trace form.
 *
 *   1. The constants: A+ = 0.005, A- = 1.05 A+, tau+- = 20 ms.
 *   2. One pre/post pair at dt = t_post - t_pre changes the weight by exactly
 *      w_max A+ e^{-dt/20} (dt > 0) or -w_max A- e^{dt/20} (dt < 0), for dt from 0.5 to
 *      200 ms either way (relative error < 1e-12); simultaneous spikes change nothing.
 *   3. All-to-all: for seeded random pre and post spike trains (unbounded weights), the online
 *      weight equals w0 + w_max sum over all pairs of F(t_post - t_pre) within 1e-12.
 *   4. The clocked dense layer (neuro_stdp_dense_step) gives the same weights as the
 *      event-driven synapse for spikes on its time grid (within 1e-12).
 *   5. The hard bounds hold: weights never leave [w_min, w_max].
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
#include "neuro_stdp.h"

static void test_constants(void **state)
{
    (void)state;
    neuro_stdp_params p;
    neuro_stdp_sma(&p, 1.0);
    assert_true(p.a_plus == 0.005);
    assert_true(fabs(p.a_minus - 0.00525) < 1e-18);
    assert_true(p.tau_plus == 20 && p.tau_minus == 20 && p.w_min == 0 && p.w_max == 1);
    assert_int_equal(neuro_stdp_check(&p), 0);
    p.tau_plus = 0;
    assert_int_equal(neuro_stdp_check(&p), -1);
}

static void test_pair_window(void **state)
{
    (void)state;
    neuro_stdp_params p;
    neuro_stdp_sma(&p, 0.015); /* SMA's g_max */
    const double dts[] = {0.5, 1, 2, 5, 10, 20, 33.3, 40, 60, 100, 200};
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++)
        for (int sign = -1; sign <= 1; sign += 2) {
            double dt = sign * dts[k];
            double w0 = 0.0075, t0 = 1000;
            neuro_stdp_synapse s;
            neuro_stdp_synapse_init(&s, w0, 0);
            if (dt > 0) {
                neuro_stdp_on_pre(&s, &p, t0);
                neuro_stdp_on_post(&s, &p, t0 + dt);
            } else {
                neuro_stdp_on_post(&s, &p, t0);
                neuro_stdp_on_pre(&s, &p, t0 - dt);
            }
            double expect = dt > 0 ? p.w_max * 0.005 * exp(-dt / 20)
                                   : -p.w_max * 0.00525 * exp(dt / 20);
            assert_true(fabs((s.w - w0) - expect) <= 1e-12 * fabs(expect) + 1e-18);
            assert_true(fabs(neuro_stdp_window(&p, dt) * p.w_max - expect) <=
                        1e-15 * fabs(expect));
        }
    neuro_stdp_sma(&p, 1.0);
    neuro_stdp_synapse s;
    neuro_stdp_synapse_init(&s, 0.5, 0);
    neuro_stdp_on_both(&s, &p, 7); /* simultaneous: no pair */
    assert_true(s.w == 0.5);
    neuro_stdp_on_post(&s, &p, 27); /* but both traces count for later spikes */
    assert_true(fabs(s.w - (0.5 + p.w_max * 0.005 * exp(-1))) < 1e-15);
    assert_true(neuro_stdp_window(&p, 0) == 0);
}

static int spikes(nq_rng *r, double *t, int cap, double rate_per_ms, double total)
{
    int k = 0;
    double now = 0;
    while (k < cap) {
        now += -log(1 - nq_rng_double(r)) / rate_per_ms;
        if (now >= total)
            break;
        t[k++] = now;
    }
    return k;
}

static void test_all_to_all(void **state)
{
    (void)state;
    neuro_stdp_params p;
    neuro_stdp_sma(&p, 1.0);
    p.w_min = -1e9;
    p.w_max = 1; /* the scale */
    nq_rng r;
    for (int trial = 0; trial < 20; trial++) {
        nq_rng_seed(&r, 100 + trial);
        double pre[200], post[200];
        int np = spikes(&r, pre, 200, 0.03, 2000);
        int nq = spikes(&r, post, 200, 0.03, 2000);
        neuro_stdp_params q = p;
        q.w_max = 1e9; /* unbounded above: the amplitudes are divided by the scale */
        q.a_plus = p.a_plus / q.w_max;
        q.a_minus = p.a_minus / q.w_max;
        neuro_stdp_synapse s;
        neuro_stdp_synapse_init(&s, 0, 0);
        int i = 0, j = 0;
        while (i < np || j < nq) {
            if (j >= nq || (i < np && pre[i] < post[j]))
                neuro_stdp_on_pre(&s, &q, pre[i++]);
            else
                neuro_stdp_on_post(&s, &q, post[j++]);
        }
        double sum = 0;
        for (int a = 0; a < np; a++)
            for (int b = 0; b < nq; b++)
                sum += neuro_stdp_window(&p, post[b] - pre[a]);
        assert_true(np > 20 && nq > 20);
        assert_true(fabs(s.w - sum) < 1e-12);
    }
}

static void test_dense_equals_events(void **state)
{
    (void)state;
    enum { NPRE = 7, NPOST = 5, STEPS = 3000 };
    neuro_stdp_params p;
    neuro_stdp_sma(&p, 1.0);
    p.w_min = -1e6;
    p.w_max = 1; /* wide enough that no clamp happens in 3000 steps */
    p.a_plus = 0.005, p.a_minus = 0.00525;
    double w[NPOST * NPRE], x[NPRE] = {0}, y[NPOST] = {0};
    neuro_stdp_synapse syn[NPOST][NPRE];
    for (int j = 0; j < NPOST; j++)
        for (int i = 0; i < NPRE; i++) {
            w[j * NPRE + i] = 0.5;
            neuro_stdp_synapse_init(&syn[j][i], 0.5, 0);
        }
    nq_rng r;
    nq_rng_seed(&r, 7);
    double dt = 0.5;
    for (int s = 1; s <= STEPS; s++) {
        uint8_t ps[NPRE], qs[NPOST];
        for (int i = 0; i < NPRE; i++)
            ps[i] = nq_rng_double(&r) < 0.02;
        for (int j = 0; j < NPOST; j++)
            qs[j] = nq_rng_double(&r) < 0.02;
        neuro_stdp_dense_step(&p, w, NPRE, NPOST, ps, qs, x, y, dt);
        double t = s * dt;
        for (int j = 0; j < NPOST; j++)
            for (int i = 0; i < NPRE; i++) {
                if (ps[i] && qs[j])
                    neuro_stdp_on_both(&syn[j][i], &p, t);
                else if (ps[i])
                    neuro_stdp_on_pre(&syn[j][i], &p, t);
                else if (qs[j])
                    neuro_stdp_on_post(&syn[j][i], &p, t);
            }
    }
    for (int j = 0; j < NPOST; j++)
        for (int i = 0; i < NPRE; i++)
            assert_true(fabs(w[j * NPRE + i] - syn[j][i].w) < 1e-12);
}

static void test_bounds(void **state)
{
    (void)state;
    neuro_stdp_params p;
    neuro_stdp_sma(&p, 2.0);
    neuro_stdp_synapse s;
    neuro_stdp_synapse_init(&s, 1.0, 0);
    for (int k = 0; k < 2000; k++) { /* pre then post 1 ms later, repeatedly: potentiation */
        neuro_stdp_on_pre(&s, &p, k * 100.0);
        neuro_stdp_on_post(&s, &p, k * 100.0 + 1);
        assert_true(s.w >= 0 && s.w <= 2.0);
    }
    assert_true(s.w == 2.0);
    for (int k = 0; k < 2000; k++) { /* post then pre: depression */
        neuro_stdp_on_post(&s, &p, 1e6 + k * 100.0);
        neuro_stdp_on_pre(&s, &p, 1e6 + k * 100.0 + 1);
        assert_true(s.w >= 0 && s.w <= 2.0);
    }
    assert_true(s.w == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_pair_window),
        cmocka_unit_test(test_all_to_all),
        cmocka_unit_test(test_dense_equals_events),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
