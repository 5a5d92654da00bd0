/*
 * test_stdp_sma.c — the Song, Miller & Abbott (2000) experiment: STDP on the excitatory
 * synapses of one integrate-and-fire neuron driven by Poisson inputs makes the weight
 * distribution bimodal (their Fig. 2a), a seeded statistical check.
 *
 * The setup, as in the paper: 1000 excitatory inputs at 10 Hz through AMPA-like conductances
 * (E = 0 mV, tau 5 ms) with plastic peak conductances in [0, g_max], g_max = 0.015 (units of
 * the leak conductance), all starting at g_max; 200 inhibitory inputs at 10 Hz with a fixed
 * 0.05 (E = -70 mV, tau 5 ms); the neuron tau_m = 20 ms, v_rest = -70, v_th = -54,
 * v_reset = -60 mV, no refractory period; STDP with A+ = 0.005, A- = 1.05 A+, tau+- = 20 ms.
 * The neuron is integrated exactly between 0.5 ms steps (neuro_lif_step with the conductances
 * of the step), inputs are independent Poisson processes (per step, a Poisson number of input
 * spikes at uniformly chosen inputs: the superposition of the processes), seed fixed.
 *
 * After 2000 simulated seconds (the distribution is still unimodal at 200 s and only
 * half-way at 1000 s: each pair moves a weight by 0.5 % of g_max) the check is the paper's
 * picture: the weights pile up at both bounds — more than 25 % of them below 0.1 g_max and
 * more than 25 % above 0.9 g_max — with fewer than 15 % in the middle [0.3, 0.7] g_max, and the
 * histogram's two highest bins are the two ends. Measured (x86-64): 336 below 0.1, 384 above
 * 0.9, 79 in the middle; histogram 336 61 26 20 15 22 22 25 89 384. The postsynaptic rate
 * settles low (the paper's regulation of the output rate): 12.6 Hz over the last 20 s,
 * checked to lie between 1 and 40 Hz. About 0.4 s of CPU natively, but 7-35 s as an ARM64
 * binary under qemu, so the test has two variants with the same check: the paper's setup
 * (test_bimodal, skipped under emulation) and a quarter of the inputs at four times the rate
 * for a quarter of the time (test_bimodal_short, everywhere; see there).
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
#include "testfiles.h"
#include "neuro_neuron.h"
#include "neuro_stdp.h"
#include "neuro_synapse.h"

#define NI 200
#define DT 0.5

/* Knuth's method; l = exp(-lambda) */
static int poisson(nq_rng *r, double l)
{
    double p = 1;
    int k = 0;
    do {
        k++;
        p *= nq_rng_double(r);
    } while (p > l);
    return k - 1;
}

/* The experiment over sim_s simulated seconds with NE excitatory inputs at `rate` (per ms). */
static void sma_run(int sim_s, int NE, double rate)
{
    neuro_lif_params lp = {20.0, 0.0, -70.0, -60.0, -54.0, 0.0};
    neuro_syn_params ex = {5.0, 0.0}, in = {5.0, -70.0};
    double gmax = 0.015, g_in_w = 0.05, irate = 10e-3; /* rates per ms */
    neuro_stdp_params sp;
    neuro_stdp_sma(&sp, gmax);
    /* The presynaptic traces share one time origin T0: xs[i] = x_i(t) e^{(t - T0)/tau+}, so
     * a presynaptic spike adds e^{(t - T0)/tau+} (one factor per step for all inputs) and a
     * postsynaptic spike reads x_i = xs[i] e^{-(ts - T0)/tau+} with one exp for all 1000
     * inputs; every 100 ms the origin moves forward (xs scaled down) so nothing overflows.
     * This is the lazy trace of neuro_trace with the exponentials shared, which makes the
     * 2000 simulated seconds cheap (test_stdp.c checks the trace arithmetic itself). */
    double *w = malloc(NE * sizeof *w), *xs = calloc(NE, sizeof *xs);
    assert_non_null(w);
    assert_non_null(xs);
    for (int i = 0; i < NE; i++)
        w[i] = gmax;
    double t0 = 0;
    neuro_trace post;
    neuro_trace_init(&post, 0);
    neuro_lif n;
    neuro_lif_init(&n, &lp);
    nq_rng r;
    nq_rng_seed(&r, 2000);
    double ge = 0, gi = 0, dex = exp(-DT / ex.tau), din = exp(-DT / in.tau);
    double le = exp(-NE * rate * DT), li = exp(-NI * irate * DT);
    long steps = (long)(sim_s * 1000 / DT), late_spikes = 0;
    for (long s = 0; s < steps; s++) {
        double t = s * DT;
        if (t - t0 >= 100) {
            double f = exp(-(t - t0) / sp.tau_plus);
            for (int i = 0; i < NE; i++)
                xs[i] *= f;
            t0 = t;
        }
        int k = poisson(&r, le);
        if (k) {
            double y = neuro_trace_at(&post, sp.tau_minus, t), e = exp((t - t0) / sp.tau_plus);
            for (int j = 0; j < k; j++) {
                int i = (int)nq_rng_below(&r, NE);
                ge += w[i]; /* the conductance jumps by the weight before it changes */
                w[i] = neuro_stdp_depress(&sp, w[i], y);
                xs[i] += e;
            }
        }
        k = poisson(&r, li);
        gi += k * g_in_w;
        double off;
        if (neuro_lif_step(&n, &lp, 0, ge + gi, ge * ex.e_rev + gi * in.e_rev, DT, &off)) {
            double ts = t + off, f = exp(-(ts - t0) / sp.tau_plus);
            for (int i = 0; i < NE; i++)
                w[i] = neuro_stdp_potentiate(&sp, w[i], xs[i] * f);
            neuro_trace_spike(&post, sp.tau_minus, ts);
            if (t >= (sim_s - 20) * 1000.0)
                late_spikes++;
        }
        ge *= dex;
        gi *= din;
    }
    int hist[10] = {0}, low = 0, high = 0, mid = 0;
    for (int i = 0; i < NE; i++) {
        double f = w[i] / gmax;
        assert_true(f >= 0 && f <= 1);
        hist[f >= 1 ? 9 : (int)(f * 10)]++;
        low += f < 0.1;
        high += f > 0.9;
        mid += f >= 0.3 && f <= 0.7;
    }
    double out_rate = late_spikes / 20.0;
    printf("SMA after %d s: <0.1 gmax %d, >0.9 gmax %d, middle %d; output %.1f Hz; hist", sim_s,
           low, high, mid, out_rate);
    for (int b = 0; b < 10; b++)
        printf(" %d", hist[b]);
    printf("\n");
    assert_true(low > NE / 4);
    assert_true(high > NE / 4);
    assert_true(mid < NE * 15 / 100);
    for (int b = 1; b < 9; b++)
        assert_true(hist[b] < hist[0] && hist[b] < hist[9]);
    assert_true(out_rate > 1 && out_rate < 40);
    free(w);
    free(xs);
}

/* The paper's setup: 1000 inputs at 10 Hz for 2000 s (0.4 s of CPU natively, 7-35 s as an
 * ARM64 binary under qemu, where it is skipped unless NQ_SLOW_TESTS=1: the short variant
 * below proves the same there). */
static void test_bimodal(void **state)
{
    (void)state;
    const char *slow = getenv("NQ_SLOW_TESTS");
    if (tf_emulated() && !(slow && !strcmp(slow, "1"))) {
        printf("# skipped under emulation (qemu): test_bimodal_short runs; NQ_SLOW_TESTS=1 "
               "runs this one\n");
        skip();
    }
    sma_run(2000, 1000, 10e-3);
}

/* The same experiment with a quarter of the inputs at four times the rate (250 at 40 Hz, the
 * same g_max, so the same mean drive and the same STDP constants): every synapse sees four
 * times the pairings per second, so the weights reach the bounds in a quarter of the
 * simulated time, 500 s, and the same check holds. Measured: 85 below 0.1 g_max, 92 above 0.9,
 * 21 in the middle (34 %, 37 %, 8 %: the full run's 34 %, 38 %, 8 %); histogram 85 12 9 6 3 6
 * 6 11 20 92; output 12.0 Hz. A quarter of the steps and of the inputs: 0.12 s natively. */
static void test_bimodal_short(void **state)
{
    (void)state;
    sma_run(500, 250, 40e-3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bimodal_short),
        cmocka_unit_test(test_bimodal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
