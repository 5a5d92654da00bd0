/*
 * test_competitive.c — winner-take-all competitive learning converges to cluster centres.
 *
 * A seeded mixture of 5 isotropic Gaussians in 3 dimensions (centres drawn uniformly in
 * [-5, 5]^3, kept at least 3 apart, standard deviation 0.4, equal weights). Five prototypes
 * start at data points chosen by farthest-point initialisation; 20 000 samples with a learning
 * rate falling as 0.5 / (1 + t / 200). At the end every centre has exactly one prototype,
 * within 0.1 of it (a quarter of the cluster's standard deviation; at the final rate of 0.005
 * a prototype averages about the last 200 samples of its cluster, an expected distance of
 * about 0.04 from the centre), for three seeds; and the winner of each fresh sample is its own
 * cluster's prototype for more than 99 % of samples.
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

#define K 5
#define D 3

static double gauss(nq_rng *r)
{
    double u1 = 1.0 - nq_rng_double(r), u2 = nq_rng_double(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double dist(const double *a, const double *b)
{
    double s = 0;
    for (int i = 0; i < D; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

static int sample(nq_rng *r, double c[K][D], double *x)
{
    int k = (int)nq_rng_below(r, K);
    for (int i = 0; i < D; i++)
        x[i] = c[k][i] + 0.4 * gauss(r);
    return k;
}

static void run(uint64_t seed)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    double c[K][D];
    for (int k = 0; k < K; k++) {
        for (;;) {
            for (int i = 0; i < D; i++)
                c[k][i] = -5 + 10 * nq_rng_double(&r);
            int ok = 1;
            for (int j = 0; j < k; j++)
                ok &= dist(c[j], c[k]) >= 3;
            if (ok)
                break;
        }
    }
    /* farthest-point initialisation from 200 data points */
    double pool[200][D], protos[K * D];
    for (int s = 0; s < 200; s++)
        sample(&r, c, pool[s]);
    for (int i = 0; i < D; i++)
        protos[i] = pool[0][i];
    for (int k = 1; k < K; k++) {
        int best = 0;
        double bd = -1;
        for (int s = 0; s < 200; s++) {
            double d = INFINITY;
            for (int j = 0; j < k; j++)
                d = fmin(d, dist(pool[s], protos + j * D));
            if (d > bd) {
                bd = d;
                best = s;
            }
        }
        for (int i = 0; i < D; i++)
            protos[k * D + i] = pool[best][i];
    }
    for (int t = 0; t < 20000; t++) {
        double x[D];
        sample(&r, c, x);
        neuro_competitive_step(protos, K, D, x, 0.5 / (1 + t / 200.0));
    }
    int owner[K];
    double worst = 0;
    for (int k = 0; k < K; k++) {
        owner[k] = (int)neuro_competitive_winner(protos, K, D, c[k]);
        worst = fmax(worst, dist(c[k], protos + owner[k] * D));
        for (int j = 0; j < k; j++)
            assert_int_not_equal(owner[j], owner[k]);
    }
    int right = 0;
    for (int t = 0; t < 10000; t++) {
        double x[D];
        int k = sample(&r, c, x);
        right += (int)neuro_competitive_winner(protos, K, D, x) == owner[k];
    }
    printf("seed %llu: worst prototype-centre distance %.4f, %d / 10000 samples to their "
           "cluster's prototype\n",
           (unsigned long long)seed, worst, right);
    assert_true(worst < 0.1);
    assert_true(right > 9900);
}

static void test_cluster_centres(void **state)
{
    (void)state;
    run(11);
    run(12);
    run(13);
}

static void test_winner(void **state)
{
    (void)state;
    double p[3 * 2] = {0, 0, 1, 1, 1, 1}, x[2] = {0.9, 0.9};
    assert_int_equal(neuro_competitive_winner(p, 3, 2, x), 1); /* tie: lowest index */
    assert_int_equal(neuro_competitive_step(p, 3, 2, x, 0.5), 1);
    assert_true(fabs(p[2] - 0.95) < 1e-15 && p[4] == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_centres),
        cmocka_unit_test(test_winner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
