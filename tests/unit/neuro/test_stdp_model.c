/*
 * test_stdp_model.c — a trained NeuromorphicSTDP classifier as one object (stdp_model.h): it
 * classifies what it was trained on, its predictions are deterministic (a row gets the same
 * answer alone or in a batch, and again), and its bytes round trip exactly; every single-bit
 * flip and every truncation is refused (the CRC), and structural damage behind a valid CRC is
 * refused naming its offset.
 *
 * Data: four classes of 20 inputs, class c high on inputs 5c..5c+4 (as test_stdp_layer.c),
 * raw values in [0, 8] so the model's own range mapping is exercised.
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

#include "base/crc32c.h"
#include "base/endian.h"
#include "base/rand.h"
#include "nn_optim.h"
#include "stdp_model.h"

enum { NIN = 20, K = 4, NTR = 120, NTE = 40, NEUR = 16 };

static void blocks(int n, float *X, float *Y, uint64_t seed)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int c = i % K;
        for (int j = 0; j < NIN; j++)
            X[i * NIN + j] = 8.0f * (j / 5 == c ? 0.8f + 0.2f * (float)nq_rng_double(&r)
                                                : 0.1f * (float)nq_rng_double(&r));
        for (int k = 0; k < K; k++)
            Y[i * K + k] = (float)(k == c);
    }
}

static int passes_seen;

static int on_pass(void *ctx, int pass, int passes, double spikes)
{
    (void)ctx;
    assert_int_equal(passes, 1);
    assert_true(spikes > 0);
    passes_seen = pass;
    return 0;
}

static nn_stdp_model *fit(void)
{
    static float X[NTR * NIN], Y[NTR * K];
    blocks(NTR, X, Y, 1);
    nn_stdp_cfg c;
    nn_stdp_defaults(&c);
    c.n_neurons = NEUR;
    c.seed = 7;
    mlp_train_cfg rc;
    mlp_train_defaults(&rc);
    nn_opt_defaults(&rc.opt, NN_OPT_ADAM);
    rc.opt.lr = 0.05f;
    rc.epochs = 60;
    rc.batch = 16;
    rc.seed = 7;
    int sizes[1] = {K};
    nn_act acts[1] = {NN_ACT_SOFTMAX};
    nn_stdp_model *m = NULL;
    nn_stdp_report rep;
    double init = 0;
    nq_err e;
    passes_seen = 0;
    assert_int_equal(nn_stdp_fit(&c, 1, &rc, on_pass, NULL, 1, sizes, acts, NN_LOSS_CROSS_ENTROPY, NIN, X,
                                 Y, NTR, &m, &rep, &init, &e),
                     0);
    assert_int_equal(passes_seen, 1);
    assert_int_equal(rep.history.n, 60);
    /* the readout's loss before training is the untrained network's, and training lowers it */
    assert_true(isfinite(init) && init > rep.history.ep[59].loss);
    mlp_history_free(&rep.history);
    assert_int_equal(nn_stdp_model_n_in(m), NIN);
    assert_int_equal(nn_stdp_model_n_out(m), K);
    return m;
}

static double accuracy(nn_stdp_model *m, const float *X, const float *Y, int n)
{
    float *out = malloc(sizeof(float) * (size_t)n * K);
    nq_err e;
    assert_int_equal(nn_stdp_model_predict(m, X, n, out, &e), 0);
    int right = 0;
    for (int i = 0; i < n; i++)
        right += Y[i * K + mlp_argmax(out + i * K, K)] == 1.0f;
    free(out);
    return (double)right / n;
}

static void test_classifies_and_is_deterministic(void **state)
{
    (void)state;
    nn_stdp_model *m = fit();
    static float X[NTE * NIN], Y[NTE * K];
    blocks(NTE, X, Y, 99);
    double acc = accuracy(m, X, Y, NTE);
    printf("# held-out accuracy %.3f\n", acc);
    assert_true(acc >= 0.9);
    /* a row alone = the same row in the batch, and again */
    float all[NTE * K], one[K];
    nq_err e;
    assert_int_equal(nn_stdp_model_predict(m, X, NTE, all, &e), 0);
    for (int i = 0; i < NTE; i += 7) {
        assert_int_equal(nn_stdp_model_predict(m, X + i * NIN, 1, one, &e), 0);
        assert_memory_equal(one, all + i * K, sizeof one);
    }
    nn_stdp_model_free(m);
}

static void test_round_trip_and_damage(void **state)
{
    (void)state;
    nn_stdp_model *m = fit();
    uint8_t *b = NULL, *b2 = NULL;
    size_t n = 0, n2 = 0;
    nq_err e;
    assert_int_equal(nn_stdp_model_encode(m, &b, &n, &e), 0);
    nn_stdp_model *d = NULL;
    assert_int_equal(nn_stdp_model_decode(b, n, &d, &e), 0);
    assert_int_equal(nn_stdp_model_encode(d, &b2, &n2, &e), 0);
    assert_int_equal(n, n2);
    assert_memory_equal(b, b2, n);
    /* the decoded model predicts exactly as the original */
    static float X[NTE * NIN], Y[NTE * K];
    blocks(NTE, X, Y, 5);
    float o1[NTE * K], o2[NTE * K];
    assert_int_equal(nn_stdp_model_predict(m, X, NTE, o1, &e), 0);
    assert_int_equal(nn_stdp_model_predict(d, X, NTE, o2, &e), 0);
    assert_memory_equal(o1, o2, sizeof o1);
    nn_stdp_model_free(d);
    /* every single-bit flip (a sample of positions over the whole model) and truncation */
    for (size_t pos = 0; pos < n; pos += pos < 200 ? 1 : 97)
        for (int bit = 0; bit < 8; bit += 3) {
            b[pos] ^= (uint8_t)(1u << bit);
            d = NULL;
            assert_int_equal(nn_stdp_model_decode(b, n, &d, &e), NQ_ECORRUPT);
            assert_null(d);
            b[pos] ^= (uint8_t)(1u << bit);
        }
    for (size_t len = 0; len < n; len += len < 120 ? 1 : 1013) {
        d = NULL;
        assert_int_equal(nn_stdp_model_decode(b, len, &d, &e), NQ_ECORRUPT);
    }
    /* structural damage behind a valid CRC, each named by its offset */
    struct {
        size_t off;
        uint8_t v;
        const char *want;
    } cases[] = {
        {0, 'X', "offset 0"},          /* magic */
        {4, 2, "offset 4"},            /* version */
        {6, 1, "offset 6"},            /* flags */
        {8, 0, "offset 8"},            /* inputs 0 (low byte of 20) */
        {12, 0, "offset 12"},          /* neurons 0 */
        {16 + 7, 0xff, "offset 16"},   /* t_present: NaN */
        {96 + 4 * NIN + 3, 0xff, "offset"}, /* 1/range: NaN */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        c[cases[k].off] = cases[k].v;
        put_u32(c + n - 4, crc32c(0, c, n - 4));
        d = NULL;
        assert_int_equal(nn_stdp_model_decode(c, n, &d, &e), NQ_ECORRUPT);
        if (!strstr(e.msg, cases[k].want))
            fail_msg("case %zu: %s", k, e.msg);
        free(c);
    }
    /* a weight above w_max */
    {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        size_t woff = 96 + 8 * (size_t)NIN + 8 * (size_t)NEUR;
        uint64_t two;
        double v = 2.0;
        memcpy(&two, &v, 8);
        put_u64(c + woff, two);
        put_u32(c + n - 4, crc32c(0, c, n - 4));
        assert_int_equal(nn_stdp_model_decode(c, n, &d, &e), NQ_ECORRUPT);
        char want[64];
        snprintf(want, sizeof want, "offset %zu", woff);
        assert_non_null(strstr(e.msg, want));
        free(c);
    }
    free(b);
    free(b2);
    nn_stdp_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classifies_and_is_deterministic),
        cmocka_unit_test(test_round_trip_and_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
