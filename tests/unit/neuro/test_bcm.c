/*
 * test_bcm.c — the BCM rule with a sliding threshold makes a neuron selective.
 *
 * Two overlapping input patterns, p1 = (1, 1, 1, 0, 0, 0) and p2 = (0, 0, 1, 1, 1, 0) plus a
 * constant bias input 0.2 on the last line, are presented in seeded random order with equal
 * probability. From small random positive weights (five seeds), BCM (eta 0.002, tau_theta
 * 20 presentations) ends selective: the response to one pattern is at least 10 times the
 * response to the other (selectivity 1 - y_min / y_max >= 0.9), with the weak response below
 * 0.1 theta, and the strong response sits at the fixed point of a selective neuron that sees
 * each pattern half of the time: y = theta = <y^2> = y^2 / 2, so y = 2 (within 0.25; the
 * weights fluctuate with every presentation). Measured: p1 wins for seeds 1, 3, 4 (y 2.196,
 * 2.071, 1.995 against 0.060, 0.043, 0.032), p2 for seeds 2, 5 (1.992, 1.996 against 0.000,
 * 0.061); the Hebbian control ends with 100.7 and 107.8. Which pattern wins
 * depends on the seed; both occur among the seeds. A pure Hebbian neuron (theta held at 0) is
 * not selective: both responses grow together (checked as the control).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "base/rand.h"
#include "neuro_plasticity.h"

#define D 7

static const double P[2][D] = {{1, 1, 1, 0, 0, 0, 0.2}, {0, 0, 1, 1, 1, 0, 0.2}};

static double resp(const double *w, int k)
{
    double y = 0;
    for (int i = 0; i < D; i++)
        y += w[i] * P[k][i];
    return y > 0 ? y : 0;
}

static int run(uint64_t seed, int control)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    double w[D], theta = 0;
    for (int i = 0; i < D; i++)
        w[i] = 0.1 + 0.1 * nq_rng_double(&r);
    for (int t = 0; t < 40000; t++) {
        int k = (int)nq_rng_below(&r, 2);
        if (control) {
            double th = 0;
            neuro_bcm_step(w, P[k], D, &th, 0.0001, 20);
            if (resp(w, 0) > 100)
                break;
        } else {
            neuro_bcm_step(w, P[k], D, &theta, 0.002, 20);
        }
    }
    double y1 = resp(w, 0), y2 = resp(w, 1);
    double ymax = fmax(y1, y2), ymin = fmin(y1, y2);
    printf("seed %llu%s: y(p1) = %.4f, y(p2) = %.4f, theta = %.4f\n", (unsigned long long)seed,
           control ? " (Hebbian control)" : "", y1, y2, theta);
    if (control) {
        assert_true(ymin / ymax > 0.5);
        return -1;
    }
    assert_true(1 - ymin / ymax >= 0.9);
    assert_true(ymin < 0.1 * theta);
    assert_true(fabs(ymax - 2) < 0.25);
    return y1 > y2 ? 0 : 1;
}

static void test_selectivity(void **state)
{
    (void)state;
    int won[2] = {0, 0};
    for (uint64_t s = 1; s <= 5; s++)
        won[run(s, 0)]++;
    assert_true(won[0] > 0 && won[1] > 0);
    run(1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectivity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
