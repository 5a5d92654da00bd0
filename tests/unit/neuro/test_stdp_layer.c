/*
 * test_stdp_layer.c — NeuromorphicSTDP (src/neuro/stdp_layer.c) on data whose structure is
 * known: four classes, each lighting its own block of 5 of 20 inputs over a weak random
 * background. Checks:
 *   - STDP with inhibition and homeostasis specialises the neurons: after one pass most
 *     neurons put most of their weight on a single block (untrained: about a quarter), and the
 *     blocks are all covered;
 *   - the layer's invariants: weights within [0, w_max], each neuron's weights summing to at
 *     most w_sum (normalisation), thresholds only rising in training and fixed in feature
 *     extraction; the same seed gives the same features;
 *   - the whole classifier (nn_stdp_classify: STDP features + a softmax readout) separates the
 *     four classes on held-out samples;
 *   - bad configurations are refused with a message.
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
#include "stdp_layer.h"

enum { NIN = 20, K = 4, NTR = 200, NTE = 80 };

static void blocks(int n, float *X, float *Y, uint64_t seed)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int c = i % K;
        for (int j = 0; j < NIN; j++)
            X[i * NIN + j] = j / 5 == c ? 0.8f + 0.2f * (float)nq_rng_double(&r)
                                        : 0.1f * (float)nq_rng_double(&r);
        for (int k = 0; k < K; k++)
            Y[i * K + k] = (float)(k == c);
    }
}

/* Fraction of neurons whose largest block holds at least half their weight; *covered gets the
 * number of distinct blocks that are some neuron's largest. */
static double specialised(const nn_stdp_layer *l, int *covered)
{
    int spec = 0, seen[K] = {0};
    for (int j = 0; j < l->n; j++) {
        double b[K] = {0}, t = 0;
        for (int i = 0; i < NIN; i++) {
            b[i / 5] += l->W[j * NIN + i];
            t += l->W[j * NIN + i];
        }
        int best = 0;
        for (int k = 1; k < K; k++)
            best = b[k] > b[best] ? k : best;
        if (t > 0 && b[best] >= 0.5 * t) {
            spec++;
            seen[best] = 1;
        }
    }
    *covered = seen[0] + seen[1] + seen[2] + seen[3];
    return (double)spec / l->n;
}

static void test_learns_blocks(void **state)
{
    (void)state;
    static float X[NTR * NIN], Y[NTR * K];
    blocks(NTR, X, Y, 1);
    nn_stdp_cfg c;
    nn_stdp_defaults(&c);
    c.n_neurons = 16;
    c.seed = 7;
    nn_stdp_layer *l;
    nq_err e;
    assert_int_equal(nn_stdp_create(&l, NIN, &c, &e), 0);
    int cov0;
    double s0 = specialised(l, &cov0);
    double spikes;
    assert_int_equal(nn_stdp_train(l, X, NTR, NULL, &spikes, &e), 0);
    int cov1;
    double s1 = specialised(l, &cov1);
    printf("# specialised neurons: %.2f untrained, %.2f after one pass (%d of 4 blocks); "
           "%.1f spikes per sample\n",
           s0, s1, cov1, spikes);
    assert_true(s0 < 0.3);
    assert_true(s1 >= 0.6);
    assert_int_equal(cov1, K);
    assert_true(spikes > 0);
    for (int j = 0; j < l->n; j++) {
        double t = 0;
        for (int i = 0; i < NIN; i++) {
            double w = l->W[j * NIN + i];
            assert_true(w >= 0.0 && w <= c.w_max);
            t += w;
        }
        assert_true(t <= l->cfg.w_sum * (1 + 1e-9));
        assert_true(l->theta[j] >= 0.0);
    }
    /* feature extraction does not learn: weights and thresholds unchanged */
    double *W = malloc(sizeof(double) * l->n * NIN), *th = malloc(sizeof(double) * l->n);
    memcpy(W, l->W, sizeof(double) * l->n * NIN);
    memcpy(th, l->theta, sizeof(double) * l->n);
    float *F = malloc(sizeof(float) * NTR * l->n);
    assert_int_equal(nn_stdp_features(l, X, NTR, F, &e), 0);
    assert_memory_equal(W, l->W, sizeof(double) * l->n * NIN);
    assert_memory_equal(th, l->theta, sizeof(double) * l->n);
    /* the same seed, the same history: the same features */
    nn_stdp_layer *l2;
    assert_int_equal(nn_stdp_create(&l2, NIN, &c, &e), 0);
    assert_int_equal(nn_stdp_train(l2, X, NTR, NULL, NULL, &e), 0);
    float *F2 = malloc(sizeof(float) * NTR * l->n);
    assert_int_equal(nn_stdp_features(l2, X, NTR, F2, &e), 0);
    assert_memory_equal(F, F2, sizeof(float) * NTR * l->n);
    free(F);
    free(F2);
    free(W);
    free(th);
    nn_stdp_free(l);
    nn_stdp_free(l2);
}

static void test_classifies_blocks(void **state)
{
    (void)state;
    static float Xtr[NTR * NIN], Ytr[NTR * K], Xte[NTE * NIN], Yte[NTE * K];
    blocks(NTR, Xtr, Ytr, 2);
    blocks(NTE, Xte, Yte, 3);
    nn_stdp_cfg c;
    nn_stdp_defaults(&c);
    c.n_neurons = 16;
    mlp_train_cfg rc;
    mlp_train_defaults(&rc);
    rc.opt.lr = 0.01f;
    rc.epochs = 50;
    int sizes[1] = {K};
    nn_act acts[1] = {NN_ACT_SOFTMAX};
    nn_stdp_report rep;
    nq_err e;
    assert_int_equal(nn_stdp_classify(&c, 1, &rc, 1, sizes, acts, NN_LOSS_CROSS_ENTROPY, NIN,
                                      Xtr, Ytr, NTR, Xte, Yte, NTE, &rep, &e),
                     0);
    printf("# blocks: test accuracy %.4f, %d silent test samples\n", rep.test_acc,
           rep.silent_test);
    assert_true(rep.test_acc >= 0.95);
    assert_int_equal(rep.history.n, 50);
    mlp_history_free(&rep.history);
}

static void test_bad_config(void **state)
{
    (void)state;
    nn_stdp_cfg c;
    nn_stdp_layer *l;
    nq_err e;
    nn_stdp_defaults(&c);
    c.n_neurons = 0;
    assert_int_equal(nn_stdp_create(&l, 4, &c, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "neurons"));
    nn_stdp_defaults(&c);
    assert_int_equal(nn_stdp_create(&l, 0, &c, &e), NQ_EINVAL);
    c.dt = 0;
    assert_int_equal(nn_stdp_create(&l, 4, &c, &e), NQ_EINVAL);
    nn_stdp_defaults(&c);
    c.max_rate = 2000; /* more than one spike per 1 ms step */
    assert_int_equal(nn_stdp_create(&l, 4, &c, &e), NQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_blocks),
        cmocka_unit_test(test_classifies_blocks),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
