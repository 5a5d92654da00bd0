/*
 * test_mlp.c — the dense networks (src/neuro/mlp*.c, nn_gemm.c, nn_optim.c):
 *   - the matrix kernels against a naive triple loop (every shape 1..37 around the kernel's
 *     4-row / 8- and 16-column tiles, with leading dimensions wider than the rows, and the
 *     transposed products);
 *   - gradient checks: the analytic gradient of every weight and bias against central finite
 *     differences of the loss, for every activation in a hidden layer and at the output, every
 *     loss, with and without the L2 term and the input scaler;
 *   - each optimizer's first three steps on one parameter against values computed by hand
 *     (independently, in double precision, from the published update rules);
 *   - training: every optimizer fits XOR; the same seed replays bit for bit; the history,
 *     validation split, early stopping (best weights restored), cancellation through the
 *     callback and through the flag;
 *   - the model bytes: round trip (same predictions, same bytes again), every single-byte
 *     corruption and every truncation refused with NQ_ECORRUPT, and structural errors behind a
 *     valid checksum refused with a message naming the offset.
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
#include "mlp.h"
#include "mlp_train.h"
#include "nn_gemm.h"
#include "nn_optim.h"

static void fill(nq_rng *r, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(2.0 * nq_rng_double(r) - 1.0);
}

static void naive(int m, int n, int k, const float *A, int lda, const float *B, int ldb, float *C,
                  int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int t = 0; t < k; t++)
                s += (double)A[i * lda + t] * B[t * ldb + j];
            C[i * ldc + j] = (float)s;
        }
}

static void test_gemm(void **state)
{
    (void)state;
    printf("# gemm variant: %s\n", nn_gemm_variant());
    nq_rng r;
    nq_rng_seed(&r, 7);
    enum { MX = 37, PAD = 3 };
    static float A[MX * (MX + PAD)], B[MX * (MX + PAD)], C[MX * (MX + PAD)], R[MX * MX],
        AT[MX * MX], BT[MX * MX], S[MX * MX];
    int dims[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 37};
    int nd = (int)(sizeof dims / sizeof *dims);
    for (int a = 0; a < nd; a++)
        for (int b = 0; b < nd; b++)
            for (int c = 0; c < nd; c += 3) {
                int m = dims[a], n = dims[b], k = dims[c];
                int lda = k + PAD, ldb = n + PAD, ldc = n + PAD;
                fill(&r, A, (size_t)m * lda);
                fill(&r, B, (size_t)k * ldb);
                naive(m, n, k, A, lda, B, ldb, R, n);
                fill(&r, C, (size_t)m * ldc);
                nn_gemm(m, n, k, A, lda, B, ldb, C, ldc, 0);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        assert_true(fabsf(C[i * ldc + j] - R[i * n + j]) < 1e-4f * (k + 1));
                /* accumulate: C += A·B once more doubles it */
                nn_gemm(m, n, k, A, lda, B, ldb, C, ldc, 1);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        assert_true(fabsf(C[i * ldc + j] - 2 * R[i * n + j]) < 2e-4f * (k + 1));
                /* Aᵀ·B with A stored k×m, A·Bᵀ with B stored n×k */
                nn_transpose(m, k, A, lda, AT); /* AT is k×m */
                nn_gemm_tn(m, n, k, AT, m, B, ldb, C, n, 0, S);
                for (int i = 0; i < m * n; i++)
                    assert_true(fabsf(C[i] - R[i]) < 1e-4f * (k + 1));
                nn_transpose(k, n, B, ldb, BT); /* BT is n×k */
                nn_gemm_nt(m, n, k, A, lda, BT, k, C, n, 0, S);
                for (int i = 0; i < m * n; i++)
                    assert_true(fabsf(C[i] - R[i]) < 1e-4f * (k + 1));
            }
}

/* ---- gradient checks ---- */

/* Mean loss + L2 term of m on (X, Y). */
static double full_loss(const mlp *m, mlp_work *w, const float *X, const float *Y, int B, float l2)
{
    mlp_forward(m, w, X, B);
    return mlp_loss(m, w, Y, B) + mlp_l2_term(m, l2, B);
}

/* The on/off pattern of every ReLU unit of the hidden layers in the last forward pass, as a
 * hash: a finite difference across a kink measures the kink, not the gradient. */
static uint32_t relu_pattern(const mlp *m, const mlp_work *w, int B)
{
    uint32_t hsh = 0;
    for (int l = 0; l < m->n_layers - 1; l++)
        if (m->layers[l].act == NN_ACT_RELU)
            for (int i = 0; i < B * m->layers[l].out; i++)
                hsh = crc32c(hsh, &(uint8_t){w->Z[l][i] > 0.0f}, 1);
    return hsh;
}

static void gradcheck(nn_act hidden, nn_act outact, nn_loss loss, int scaler, float l2)
{
    enum { NIN = 5, NH = 6, NO = 4, B = 7 };
    int sizes[3] = {NH, NH - 1, NO};
    nn_act acts[3] = {hidden, hidden, outact};
    mlp *m;
    nq_err e;
    assert_int_equal(mlp_create(&m, NIN, 3, sizes, acts, loss, 99, &e), 0);
    nq_rng r;
    nq_rng_seed(&r, 5 + hidden * 16 + outact * 4 + loss);
    /* non-zero biases so ReLU units are not all on one side */
    for (int l = 0; l < 3; l++)
        fill(&r, m->layers[l].b, (size_t)m->layers[l].out);
    float X[B * NIN], Y[B * NO];
    fill(&r, X, B * NIN);
    for (int i = 0; i < B; i++) {
        for (int j = 0; j < NO; j++) {
            float u = (float)nq_rng_double(&r);
            Y[i * NO + j] = loss == NN_LOSS_CROSS_ENTROPY ? 0.0f
                            : loss == NN_LOSS_BCE        ? (u > 0.5f)
                                                         : 3.0f * u - 1.5f; /* Huber: both arms */
        }
        if (loss == NN_LOSS_CROSS_ENTROPY)
            Y[i * NO + nq_rng_below(&r, NO)] = 1.0f;
    }
    if (scaler) {
        float mean[NIN], scale[NIN];
        fill(&r, mean, NIN);
        for (int j = 0; j < NIN; j++)
            scale[j] = 0.5f + (float)j;
        assert_int_equal(mlp_set_scaler(m, mean, scale, &e), 0);
    }
    mlp_work w;
    assert_int_equal(mlp_work_init(&w, m, B, &e), 0);
    mlp_forward(m, &w, X, B);
    mlp_backward(m, &w, Y, B, l2);
    uint32_t base_pattern = relu_pattern(m, &w, B);
    int skipped = 0;
    /* h: small enough that few ReLU units cross their kink, large enough that float
     * rounding of the loss (about 1e-7 relative) stays far below the differences */
    const float h = hidden == NN_ACT_RELU ? 2e-3f : 1e-2f;
    double num2 = 0.0, diff2 = 0.0;
    int checked = 0;
    for (int l = 0; l < 3; l++) {
        nn_layer *L = &m->layers[l];
        size_t nw = (size_t)L->in * L->out;
        for (size_t i = 0; i < nw + (size_t)L->out; i++) {
            float *p = i < nw ? &L->W[i] : &L->b[i - nw];
            float an = i < nw ? w.dW[l][i] : w.db[l][i - nw];
            float save = *p;
            *p = save + h;
            double lp = full_loss(m, &w, X, Y, B, l2);
            uint32_t pp = relu_pattern(m, &w, B);
            *p = save - h;
            double lm = full_loss(m, &w, X, Y, B, l2);
            uint32_t pm = relu_pattern(m, &w, B);
            *p = save;
            if (pp != base_pattern || pm != base_pattern) {
                skipped++;
                continue;
            }
            double num = (lp - lm) / (2.0 * h);
            num2 += num * num;
            diff2 += (num - an) * (num - an);
            if (fabs(num - an) > 2e-3 + 2e-2 * fabs(num)) {
                fail_msg("%s/%s/%s layer %d param %zu: analytic %g numeric %g",
                             nn_act_name(hidden), nn_act_name(outact), nn_loss_name(loss), l, i,
                             (double)an, num);
            }
            checked++;
        }
    }
    double rel = sqrt(diff2) / (sqrt(num2) + 1e-12);
    if (getenv("NQ_GRADCHECK_VERBOSE"))
        printf("# %s/%s/%s: relative error %.2e\n", nn_act_name(hidden), nn_act_name(outact),
               nn_loss_name(loss), rel);
    /* parameters whose ±h step flips a ReLU unit are skipped; they must stay few */
    if (skipped * 5 > checked + skipped)
        fail_msg("%s/%s/%s: %d of %d parameters skipped at ReLU kinks", nn_act_name(hidden),
                 nn_act_name(outact), nn_loss_name(loss), skipped, checked + skipped);
    if (rel > 2e-3)
        fail_msg("%s/%s/%s (scaler %d, l2 %g): relative gradient error %g over %d parameters",
                 nn_act_name(hidden), nn_act_name(outact), nn_loss_name(loss), scaler, (double)l2,
                 rel, checked);
    mlp_work_free(&w, m);
    mlp_free(m);
}

static void test_gradients(void **state)
{
    (void)state;
    /* every activation in the hidden layers, each regression loss, linear and sigmoid out */
    for (int a = 0; a < NN_ACT_COUNT; a++) {
        gradcheck((nn_act)a, NN_ACT_LINEAR, NN_LOSS_MSE, 0, 0.0f);
        gradcheck((nn_act)a, NN_ACT_LINEAR, NN_LOSS_HUBER, 1, 0.0f);
        gradcheck((nn_act)a, NN_ACT_SOFTMAX, NN_LOSS_CROSS_ENTROPY, 0, 0.1f);
    }
    /* every activation at the output under MSE and Huber (Softmax: its full Jacobian) */
    for (int a = 0; a < NN_ACT_COUNT; a++) {
        gradcheck(NN_ACT_TANH, (nn_act)a, NN_LOSS_MSE, 1, 0.05f);
        gradcheck(NN_ACT_SIGMOID, (nn_act)a, NN_LOSS_HUBER, 0, 0.0f);
    }
    gradcheck(NN_ACT_SWISH, NN_ACT_SIGMOID, NN_LOSS_BCE, 1, 0.0f);
    gradcheck(NN_ACT_RELU, NN_ACT_SIGMOID, NN_LOSS_BCE, 0, 0.2f);
}

static void test_loss_values(void **state)
{
    (void)state;
    /* one layer, identity weights: the output is the input, so the losses are known */
    int sizes[1] = {2};
    nn_act lin[1] = {NN_ACT_LINEAR}, sm[1] = {NN_ACT_SOFTMAX}, sg[1] = {NN_ACT_SIGMOID};
    float X[4] = {0.5f, -1.0f, 2.0f, 0.0f}, Y[4] = {1.0f, 0.0f, 0.0f, 1.0f};
    struct {
        nn_act *acts;
        nn_loss loss;
        double want;
    } cases[] = {
        /* MSE: ((0.5−1)² + 1² + 2² + 1²) / 4 */
        {lin, NN_LOSS_MSE, (0.25 + 1 + 4 + 1) / 4.0},
        /* Huber δ=1: (0.125 + 0.5 + 1.5 + 0.5) / 4 */
        {lin, NN_LOSS_HUBER, (0.125 + 0.5 + 1.5 + 0.5) / 4.0},
        /* CE: −log softmax(0.5,−1)[0] and −log softmax(2,0)[1], mean over 2 rows */
        {sm, NN_LOSS_CROSS_ENTROPY, (log(1 + exp(-1.5)) + log(1 + exp(2.0))) / 2.0},
        /* BCE of σ(0.5) vs 1, σ(−1) vs 0, σ(2) vs 0, σ(0) vs 1, mean over 4 */
        {sg, NN_LOSS_BCE,
         (log(1 + exp(-0.5)) + log(1 + exp(-1.0)) + log(1 + exp(2.0)) + log(2.0)) / 4.0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        mlp *m;
        nq_err e;
        assert_int_equal(mlp_create(&m, 2, 1, sizes, cases[c].acts, cases[c].loss, 1, &e), 0);
        m->layers[0].W[0] = m->layers[0].W[3] = 1.0f;
        m->layers[0].W[1] = m->layers[0].W[2] = 0.0f;
        mlp_work w;
        assert_int_equal(mlp_work_init(&w, m, 2, &e), 0);
        mlp_forward(m, &w, X, 2);
        double got = mlp_loss(m, &w, Y, 2);
        if (fabs(got - cases[c].want) > 1e-5)
            fail_msg("%s: loss %.8f, want %.8f", nn_loss_name(cases[c].loss), got, cases[c].want);
        mlp_work_free(&w, m);
        mlp_free(m);
    }
    /* a loss that does not fit the output is refused with a message */
    mlp *m;
    nq_err e;
    assert_int_equal(mlp_create(&m, 2, 1, sizes, lin, NN_LOSS_CROSS_ENTROPY, 1, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "Softmax"));
    assert_int_equal(mlp_create(&m, 2, 1, sizes, sm, NN_LOSS_BCE, 1, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "Sigmoid"));
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(nn_act_parse("ReLU"), NN_ACT_RELU);
    assert_int_equal(nn_act_parse("swish"), NN_ACT_SWISH);
    assert_int_equal(nn_act_parse("Softmax"), NN_ACT_SOFTMAX);
    assert_int_equal(nn_act_parse("SpikingNeuron"), -1);
    assert_int_equal(nn_loss_parse("MeanSquaredError"), NN_LOSS_MSE);
    assert_int_equal(nn_loss_parse("BinaryCrossEntropy"), NN_LOSS_BCE);
    assert_int_equal(nn_loss_parse("huber"), NN_LOSS_HUBER);
    assert_int_equal(nn_loss_parse("SpikeTimingLoss"), -1);
    assert_int_equal(nn_opt_parse("RMSprop"), NN_OPT_RMSPROP);
    assert_int_equal(nn_opt_parse("adagrad"), NN_OPT_ADAGRAD);
    assert_int_equal(nn_opt_parse("NeuromorphicSTDP"), -1);
    for (int a = 0; a < NN_ACT_COUNT; a++)
        assert_int_equal(nn_act_parse(nn_act_name((nn_act)a)), a);
    for (int l = 0; l < NN_LOSS_COUNT; l++)
        assert_int_equal(nn_loss_parse(nn_loss_name((nn_loss)l)), l);
    for (int o = 0; o < NN_OPT_COUNT; o++)
        assert_int_equal(nn_opt_parse(nn_opt_name((nn_opt_kind)o)), o);
}

/* ---- optimizers ---- */

static void test_optimizer_steps(void **state)
{
    (void)state;
    /* p = 1, η = 0.1, gradients 0.5, −1, 0.25; expected values from the update rules in
     * double precision (μ = 0.9; β1 0.9, β2 0.999; ρ 0.9; ε 1e-8). */
    static const double want[NN_OPT_COUNT][3] = {
        {0.9500000, 1.0050000, 1.0295000}, /* SGD + momentum */
        {0.9000000, 0.9366104, 0.9502794}, /* Adam */
        {0.9000000, 0.9894427, 0.9676209}, /* AdaGrad */
        {0.6837723, 0.9694865, 0.8962417}, /* RMSprop */
    };
    const float g[3] = {0.5f, -1.0f, 0.25f};
    for (int k = 0; k < NN_OPT_COUNT; k++) {
        nn_opt_cfg c;
        nn_opt_defaults(&c, (nn_opt_kind)k);
        c.lr = 0.1f;
        float p = 1.0f, s1 = 0.0f, s2 = 0.0f;
        for (int t = 0; t < 3; t++) {
            nn_opt_update(&c, t + 1, &p, &g[t], &s1, &s2, 1);
            if (fabs(p - want[k][t]) > 2e-6)
                fail_msg("%s step %d: %.7f, want %.7f", nn_opt_name((nn_opt_kind)k), t + 1,
                         (double)p, want[k][t]);
        }
    }
}

/* ---- training ---- */

static const float XOR_X[8] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float XOR_Y[8] = {1, 0, 0, 1, 0, 1, 1, 0}; /* one-hot of 0,1,1,0 */

static mlp *xor_net(uint64_t seed)
{
    int sizes[2] = {8, 2};
    nn_act acts[2] = {NN_ACT_TANH, NN_ACT_SOFTMAX};
    mlp *m;
    nq_err e;
    assert_int_equal(mlp_create(&m, 2, 2, sizes, acts, NN_LOSS_CROSS_ENTROPY, seed, &e), 0);
    return m;
}

static void test_xor_every_optimizer(void **state)
{
    (void)state;
    static const float lr[NN_OPT_COUNT] = {0.1f, 0.05f, 0.3f, 0.02f};
    for (int k = 0; k < NN_OPT_COUNT; k++) {
        mlp *m = xor_net(3);
        mlp_train_cfg c;
        mlp_train_defaults(&c);
        nn_opt_defaults(&c.opt, (nn_opt_kind)k);
        c.opt.lr = lr[k];
        c.epochs = 400;
        c.batch = 4;
        mlp_history h;
        nq_err e;
        assert_int_equal(mlp_train(m, &c, XOR_X, XOR_Y, 4, &h, &e), 0);
        assert_int_equal(h.n, 400);
        double loss, acc;
        assert_int_equal(mlp_evaluate(m, XOR_X, XOR_Y, 4, &loss, &acc, &e), 0);
        if (acc != 1.0 || loss > 0.1 || !(h.ep[h.n - 1].loss < h.ep[0].loss))
            fail_msg("%s: XOR accuracy %g loss %g (first epoch %g)", nn_opt_name((nn_opt_kind)k),
                     acc, loss, h.ep[0].loss);
        mlp_history_free(&h);
        mlp_free(m);
    }
}

/* n points of two interleaved noisy rings (for the validation and early-stopping tests). */
static void rings(int n, float *X, float *Y, uint64_t seed)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int c = i & 1;
        double a = 6.283185307179586 * nq_rng_double(&r), rad = (c ? 2.0 : 1.0) +
                                                                  0.3 * (nq_rng_double(&r) - 0.5);
        X[2 * i] = (float)(rad * cos(a));
        X[2 * i + 1] = (float)(rad * sin(a));
        Y[2 * i] = (float)(c == 0);
        Y[2 * i + 1] = (float)(c == 1);
    }
}

static int stop_at_3(void *ctx, const mlp_epoch *ep, int total)
{
    (void)total;
    (*(int *)ctx)++;
    return ep->epoch >= 3;
}

static int set_flag(void *ctx, const mlp_epoch *ep, int total)
{
    (void)total;
    if (ep->epoch == 2)
        atomic_store((atomic_int *)ctx, 1);
    return 0;
}

static void test_training_controls(void **state)
{
    (void)state;
    enum { N = 400 };
    static float X[N * 2], Y[N * 2];
    rings(N, X, Y, 11);
    nq_err e;
    mlp_train_cfg c;
    mlp_train_defaults(&c);
    c.opt.lr = 0.01f;
    c.epochs = 30;
    c.batch = 16;
    c.val_split = 0.25f;
    c.seed = 5;

    /* the same seed replays bit for bit */
    mlp *a = xor_net(1), *b = xor_net(1);
    mlp_history ha, hb;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), 0);
    assert_int_equal(mlp_train(b, &c, X, Y, N, &hb, &e), 0);
    assert_int_equal(ha.n, 30);
    assert_int_equal(ha.n_val, 100);
    assert_int_equal(ha.n_train, 300);
    for (int l = 0; l < a->n_layers; l++)
        assert_memory_equal(a->layers[l].W, b->layers[l].W,
                            (size_t)a->layers[l].in * a->layers[l].out * sizeof(float));
    for (int i = 0; i < ha.n; i++) {
        assert_true(ha.ep[i].epoch == i + 1);
        assert_true(ha.ep[i].loss == hb.ep[i].loss);
        assert_true(isfinite(ha.ep[i].val_loss) && ha.ep[i].val_acc >= 0.0);
    }
    /* it learned the rings, and validation agrees */
    assert_true(ha.ep[ha.n - 1].val_acc > 0.95);
    assert_true(ha.ep[ha.n - 1].loss < ha.ep[0].loss);
    mlp_history_free(&ha);
    mlp_history_free(&hb);
    mlp_free(b);

    /* early stopping: a learning rate far too high makes the validation loss stop improving;
     * the run stops early and the model holds the best epoch's weights */
    mlp_free(a);
    a = xor_net(2);
    c.opt.lr = 0.3f;
    c.epochs = 200;
    c.patience = 3;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), 0);
    assert_true(ha.stopped_early);
    assert_true(ha.n < 200);
    assert_int_equal(ha.n, ha.best_epoch + 3);
    double best = INFINITY;
    for (int i = 0; i < ha.n; i++)
        best = ha.ep[i].val_loss < best ? ha.ep[i].val_loss : best;
    assert_true(ha.ep[ha.best_epoch - 1].val_loss <= best + c.tol);
    mlp_history_free(&ha);

    /* cancellation by the callback after epoch 3 */
    c.patience = 0;
    c.opt.lr = 0.01f;
    int calls = 0;
    c.progress = stop_at_3;
    c.progress_ctx = &calls;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), NQ_EINTERRUPT);
    assert_int_equal(calls, 3);
    assert_int_equal(ha.n, 3);
    assert_true(ha.cancelled);
    assert_non_null(strstr(e.msg, "cancelled after 3 of 200 epochs"));
    mlp_history_free(&ha);

    /* cancellation by the flag: set during epoch 2's callback, seen at the first batch of 3 */
    atomic_int flag;
    atomic_init(&flag, 0);
    c.progress = set_flag;
    c.progress_ctx = &flag;
    c.cancel = &flag;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), NQ_EINTERRUPT);
    assert_int_equal(ha.n, 2);
    mlp_history_free(&ha);

    /* bad configurations */
    c.cancel = NULL;
    c.progress = NULL;
    c.val_split = 1.0f;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), NQ_EINVAL);
    mlp_history_free(&ha);
    c.val_split = 0.0f;
    c.batch = 0;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), NQ_EINVAL);
    mlp_history_free(&ha);
    c.batch = 8;
    c.opt.lr = -1.0f;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), NQ_EINVAL);
    mlp_history_free(&ha);
    /* divergence is reported, not returned as a model of infinities: a linear regression
     * with SGD at a step size far above 2/λmax */
    mlp_free(a);
    int sz[1] = {2};
    nn_act lin[1] = {NN_ACT_LINEAR};
    assert_int_equal(mlp_create(&a, 2, 1, sz, lin, NN_LOSS_MSE, 1, &e), 0);
    nn_opt_defaults(&c.opt, NN_OPT_SGD);
    c.opt.lr = 1e3f;
    c.epochs = 50;
    assert_int_equal(mlp_train(a, &c, X, Y, N, &ha, &e), NQ_ERROR);
    assert_non_null(strstr(e.msg, "diverged"));
    mlp_history_free(&ha);
    mlp_free(a);
}

/* ---- model bytes ---- */

static mlp *trained_model(void)
{
    int sizes[3] = {7, 5, 3};
    nn_act acts[3] = {NN_ACT_RELU, NN_ACT_SWISH, NN_ACT_SOFTMAX};
    mlp *m;
    nq_err e;
    assert_int_equal(mlp_create(&m, 4, 3, sizes, acts, NN_LOSS_CROSS_ENTROPY, 17, &e), 0);
    float mean[4] = {1, 2, 3, 4}, scale[4] = {0.5f, 0.25f, 2, 1};
    assert_int_equal(mlp_set_scaler(m, mean, scale, &e), 0);
    nq_rng r;
    nq_rng_seed(&r, 3);
    for (int l = 0; l < 3; l++)
        fill(&r, m->layers[l].b, (size_t)m->layers[l].out);
    return m;
}

/* Rewrite the CRC after editing a model's bytes. */
static void fix_crc(uint8_t *b, size_t n) { put_u32(b + n - 4, crc32c(0, b, n - 4)); }

static void expect_corrupt(const uint8_t *b, size_t n, const char *needle)
{
    mlp *m = (mlp *)1;
    nq_err e;
    nq_err_clear(&e);
    int rc = mlp_decode(b, n, &m, &e);
    if (rc != NQ_ECORRUPT || m != NULL || (needle && !strstr(e.msg, needle)))
        fail_msg("decode gave %d \"%s\", want NQ_ECORRUPT naming \"%s\"", rc, e.msg,
                 needle ? needle : "");
}

static void test_model_bytes(void **state)
{
    (void)state;
    mlp *m = trained_model();
    uint8_t *b;
    size_t n;
    nq_err e;
    assert_int_equal(mlp_encode(m, &b, &n, &e), 0);
    size_t params = (size_t)mlp_param_count(m);
    assert_int_equal(n, 24 + 3 * 8 + 8 * 4 + 4 * params + 4);
    assert_memory_equal(b, "NQNN", 4);

    mlp *d;
    assert_int_equal(mlp_decode(b, n, &d, &e), 0);
    float X[6 * 4], P1[6 * 3], P2[6 * 3];
    nq_rng r;
    nq_rng_seed(&r, 8);
    fill(&r, X, 24);
    assert_int_equal(mlp_predict(m, X, 6, P1, &e), 0);
    assert_int_equal(mlp_predict(d, X, 6, P2, &e), 0);
    assert_memory_equal(P1, P2, sizeof P1);
    uint8_t *b2;
    size_t n2;
    assert_int_equal(mlp_encode(d, &b2, &n2, &e), 0);
    assert_int_equal(n, n2);
    assert_memory_equal(b, b2, n);
    free(b2);
    mlp_free(d);

    /* without a scaler */
    assert_int_equal(mlp_set_scaler(m, NULL, NULL, &e), 0);
    assert_int_equal(mlp_encode(m, &b2, &n2, &e), 0);
    assert_int_equal(n2, n - 32);
    assert_int_equal(mlp_decode(b2, n2, &d, &e), 0);
    assert_null(d->in_mean);
    mlp_free(d);
    free(b2);

    /* every single-bit flip in every byte and every truncation */
    uint8_t *c = malloc(n);
    for (size_t i = 0; i < n; i++) {
        memcpy(c, b, n);
        c[i] ^= (uint8_t)(1u << (i % 8));
        expect_corrupt(c, n, NULL);
    }
    for (size_t k = 0; k < n; k++)
        expect_corrupt(b, k, NULL);
    memcpy(c, b, n);
    c[10] ^= 1;
    expect_corrupt(c, n, "checksum mismatch");

    /* structural errors behind a valid checksum, each named */
    memcpy(c, b, n);
    c[0] = 'X';
    fix_crc(c, n);
    expect_corrupt(c, n, "offset 0");
    memcpy(c, b, n);
    put_u16(c + 4, 2);
    fix_crc(c, n);
    expect_corrupt(c, n, "version 2");
    memcpy(c, b, n);
    put_u16(c + 6, 3);
    fix_crc(c, n);
    expect_corrupt(c, n, "flags");
    memcpy(c, b, n);
    put_u32(c + 12, 65);
    fix_crc(c, n);
    expect_corrupt(c, n, "layer count");
    memcpy(c, b, n);
    c[16] = 9;
    fix_crc(c, n);
    expect_corrupt(c, n, "unknown loss");
    memcpy(c, b, n);
    c[24 + 8 + 4] = 6; /* layer 2 activation */
    fix_crc(c, n);
    expect_corrupt(c, n, "offset 36");
    memcpy(c, b, n);
    c[24 + 16 + 4] = NN_ACT_SIGMOID; /* output no longer Softmax under CrossEntropy */
    fix_crc(c, n);
    expect_corrupt(c, n, "Softmax");
    memcpy(c, b, n);
    put_u32(c + 24, 8); /* layer 1 wider: the length no longer fits */
    fix_crc(c, n);
    expect_corrupt(c, n, "the shapes need");
    memcpy(c, b, n);
    put_u32(c + 24, 0x7fffffff);
    fix_crc(c, n);
    expect_corrupt(c, n, "out of range");
    memcpy(c, b, n);
    put_u32(c + 48 + 8, 0x7fc00000); /* a NaN in the first weight */
    fix_crc(c, n);
    expect_corrupt(c, n, "not finite");
    free(c);
    free(b);
    mlp_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_loss_values),
        cmocka_unit_test(test_gradients),
        cmocka_unit_test(test_optimizer_steps),
        cmocka_unit_test(test_xor_every_optimizer),
        cmocka_unit_test(test_training_controls),
        cmocka_unit_test(test_model_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
