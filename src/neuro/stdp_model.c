/*
 * stdp_model.c — a trained NeuromorphicSTDP classifier: fit, predict, encode, decode (see
 * stdp_model.h for the design and the format).
 */
#include "stdp_model.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crc32c.h"
#include "base/endian.h"
#include "base/rand.h"
#include "dataset.h"

#define HDR 96
#define MAX_WEIGHTS ((uint64_t)1 << 24)
/* the stream of a prediction: fixed per model, so a row's answer does not depend on others */
#define PREDICT_STREAM 0x5354445050524544ull

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void nn_stdp_model_free(nn_stdp_model *m)
{
    if (!m)
        return;
    nn_stdp_free(m->layer);
    mlp_free(m->readout);
    free(m->lo);
    free(m->inv);
    free(m);
}

int nn_stdp_model_n_in(const nn_stdp_model *m) { return m->layer->n_in; }
int nn_stdp_model_n_out(const nn_stdp_model *m) { return mlp_n_out(m->readout); }

int nn_stdp_fit(const nn_stdp_cfg *sc, int stdp_epochs, const mlp_train_cfg *rc,
                nn_stdp_pass_fn on_pass, void *pass_ctx, int n_readout, const int *sizes,
                const nn_act *acts, nn_loss loss, int n_in, const float *X, const float *Y,
                int n, nn_stdp_model **out, nn_stdp_report *rep, double *initial_loss,
                nq_err *e)
{
    *out = NULL;
    nn_stdp_report local;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    rep->test_acc = rep->test_loss = NAN;
    if (initial_loss)
        *initial_loss = NAN;
    if (n < 1 || stdp_epochs < 0 || stdp_epochs > 1000 || n_in < 1)
        return nq_err_set(e, NQ_EINVAL, "NeuromorphicSTDP: bad row counts or epochs (0..1000)");
    int rc_ = 0, N = sc->n_neurons > 0 ? sc->n_neurons : 1;
    nn_stdp_model *m = calloc(1, sizeof *m);
    float *x = malloc(sizeof(float) * (size_t)n * n_in);
    float *f = malloc(sizeof(float) * (size_t)n * N);
    float *mean = malloc(sizeof(float) * (size_t)N), *scale = malloc(sizeof(float) * (size_t)N);
    if (m) {
        m->lo = malloc(sizeof(float) * (size_t)n_in);
        m->inv = malloc(sizeof(float) * (size_t)n_in);
    }
    if (!m || !x || !f || !mean || !scale || !m->lo || !m->inv) {
        rc_ = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc_ = nn_stdp_create(&m->layer, n_in, sc, e)) != 0)
        goto out;
    /* inputs into [0, 1] with the training rows' range (the rates need it) */
    memcpy(x, X, sizeof(float) * (size_t)n * n_in);
    nn_stdp_fit_range(x, n, n_in, m->lo, m->inv);
    nn_stdp_apply_range(x, n, n_in, m->lo, m->inv);
    double t0 = now_s();
    for (int ep = 0; ep < stdp_epochs; ep++) {
        if (rc && rc->cancel && atomic_load(rc->cancel)) {
            rc_ = nq_err_set(e, NQ_EINTERRUPT, "training cancelled");
            goto out;
        }
        if ((rc_ = nn_stdp_train(m->layer, x, n, NULL, &rep->spikes_per_sample, e)) != 0)
            goto out;
        if (on_pass && on_pass(pass_ctx, ep + 1, stdp_epochs, rep->spikes_per_sample)) {
            rc_ = nq_err_set(e, NQ_EINTERRUPT, "training cancelled");
            goto out;
        }
    }
    if ((rc_ = nn_stdp_features(m->layer, x, n, f, e)) != 0)
        goto out;
    rep->stdp_seconds = now_s() - t0;
    double th = 0;
    for (int j = 0; j < m->layer->n; j++)
        th += m->layer->theta[j];
    rep->mean_theta = th / m->layer->n;
    /* the readout: a dense network on the standardised spike counts */
    nn_standardize_fit(f, N, NULL, n, mean, scale);
    if ((rc_ = mlp_create(&m->readout, N, n_readout, sizes, acts, loss, sc->seed, e)) != 0 ||
        (rc_ = mlp_set_scaler(m->readout, mean, scale, e)) != 0)
        goto out;
    if (initial_loss) {
        double acc;
        if ((rc_ = mlp_evaluate(m->readout, f, Y, n, initial_loss, &acc, e)) != 0)
            goto out;
    }
    t0 = now_s();
    if ((rc_ = mlp_train(m->readout, rc, f, Y, n, &rep->history, e)) != 0)
        goto out;
    rep->readout_seconds = now_s() - t0;
out:
    free(x);
    free(f);
    free(mean);
    free(scale);
    if (rc_) {
        nn_stdp_model_free(m);
        return rc_;
    }
    *out = m;
    return 0;
}

int nn_stdp_model_features(nn_stdp_model *m, const float *X, int n, float *out, nq_err *e)
{
    int d = m->layer->n_in;
    float *x = malloc(sizeof(float) * (size_t)d);
    if (!x)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        memcpy(x, X + (size_t)i * d, sizeof(float) * (size_t)d);
        nn_stdp_apply_range(x, 1, d, m->lo, m->inv);
        m->layer->rng_state = m->layer->cfg.seed ^ PREDICT_STREAM;
        rc = nn_stdp_features(m->layer, x, 1, out + (size_t)i * m->layer->n, e);
    }
    free(x);
    return rc;
}

int nn_stdp_model_predict(nn_stdp_model *m, const float *X, int n, float *out, nq_err *e)
{
    float *f = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * m->layer->n);
    if (!f)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = nn_stdp_model_features(m, X, n, f, e);
    if (!rc)
        rc = mlp_predict(m->readout, f, n, out, e);
    free(f);
    return rc;
}

/* ---- format ---- */

static void put_f64(uint8_t *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_u64(p, u);
}

static double get_f64(const uint8_t *p)
{
    uint64_t u = get_u64(p);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

static void put_f32(uint8_t *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_u32(p, u);
}

static float get_f32(const uint8_t *p)
{
    uint32_t u = get_u32(p);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

int nn_stdp_model_encode(const nn_stdp_model *m, uint8_t **buf, size_t *len, nq_err *e)
{
    *buf = NULL;
    *len = 0;
    uint8_t *rb = NULL;
    size_t rn = 0;
    int rc = mlp_encode(m->readout, &rb, &rn, e);
    if (rc)
        return rc;
    const nn_stdp_layer *l = m->layer;
    size_t nin = (size_t)l->n_in, nn = (size_t)l->n;
    size_t total = HDR + nin * 8 + nn * 8 + nn * nin * 8 + 4 + rn + 4;
    uint8_t *b = malloc(total), *p = b;
    if (!b) {
        free(rb);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    memcpy(p, NN_STDP_MAGIC, 4);
    put_u16(p + 4, 1);
    put_u16(p + 6, 0);
    put_u32(p + 8, (uint32_t)nin);
    put_u32(p + 12, (uint32_t)nn);
    const nn_stdp_cfg *c = &l->cfg;
    double cf[9] = {c->t_present, c->dt, c->max_rate, c->gain, c->inhibition,
                    c->theta_plus, c->stdp_scale, c->w_max, c->w_sum};
    for (int i = 0; i < 9; i++)
        put_f64(p + 16 + 8 * i, cf[i]);
    put_u64(p + 88, c->seed);
    p += HDR;
    for (size_t i = 0; i < nin; i++, p += 4)
        put_f32(p, m->lo[i]);
    for (size_t i = 0; i < nin; i++, p += 4)
        put_f32(p, m->inv[i]);
    for (size_t j = 0; j < nn; j++, p += 8)
        put_f64(p, l->theta[j]);
    for (size_t k = 0; k < nn * nin; k++, p += 8)
        put_f64(p, l->W[k]);
    put_u32(p, (uint32_t)rn);
    memcpy(p + 4, rb, rn);
    p += 4 + rn;
    put_u32(p, crc32c(0, b, (size_t)(p - b)));
    free(rb);
    *buf = b;
    *len = total;
    return 0;
}

static int bad(nq_err *e, size_t off, const char *what)
{
    return nq_err_set(e, NQ_ECORRUPT, "NeuromorphicSTDP model: %s at offset %zu", what, off);
}

int nn_stdp_model_decode(const uint8_t *b, size_t len, nn_stdp_model **out, nq_err *e)
{
    *out = NULL;
    if (len < HDR + 8)
        return bad(e, len, "truncated");
    if (get_u32(b + len - 4) != crc32c(0, b, len - 4))
        return bad(e, len - 4, "checksum mismatch (damaged)");
    if (memcmp(b, NN_STDP_MAGIC, 4))
        return bad(e, 0, "not a NeuromorphicSTDP model (magic)");
    if (get_u16(b + 4) != 1)
        return bad(e, 4, "unknown version");
    if (get_u16(b + 6) != 0)
        return bad(e, 6, "unknown flags");
    uint32_t nin = get_u32(b + 8), nn = get_u32(b + 12);
    if (nin < 1 || nin > 65536)
        return bad(e, 8, "input count out of range 1..65536");
    if (nn < 1 || nn > 65536)
        return bad(e, 12, "neuron count out of range 1..65536");
    if ((uint64_t)nin * nn > MAX_WEIGHTS)
        return bad(e, 12, "too many weights");
    nn_stdp_cfg c;
    nn_stdp_defaults(&c);
    double cf[9];
    for (int i = 0; i < 9; i++) {
        cf[i] = get_f64(b + 16 + 8 * i);
        if (!isfinite(cf[i]))
            return bad(e, 16 + 8 * (size_t)i, "parameter not finite");
    }
    c.n_neurons = (int)nn;
    c.t_present = cf[0];
    c.dt = cf[1];
    c.max_rate = cf[2];
    c.gain = cf[3];
    c.inhibition = cf[4];
    c.theta_plus = cf[5];
    c.stdp_scale = cf[6];
    c.w_max = cf[7];
    c.w_sum = cf[8];
    if (!(c.w_sum > 0))
        return bad(e, 80, "weight sum not positive");
    c.seed = get_u64(b + 88);
    uint64_t fixed = (uint64_t)HDR + (uint64_t)nin * 8 + (uint64_t)nn * 8 +
                     (uint64_t)nn * nin * 8;
    if (fixed + 8 > len)
        return bad(e, len, "truncated");
    uint32_t rn = get_u32(b + fixed);
    if ((uint64_t)rn != len - fixed - 8)
        return bad(e, (size_t)fixed, "readout length does not match the model's size");
    nn_stdp_model *m = calloc(1, sizeof *m);
    if (!m)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    nq_err ce;
    if (nn_stdp_create(&m->layer, (int)nin, &c, &ce) != 0) {
        nn_stdp_model_free(m);
        return ce.code == NQ_ENOMEM ? nq_err_set(e, NQ_ENOMEM, "out of memory")
                                    : bad(e, 16, "layer parameters out of range");
    }
    m->lo = malloc(sizeof(float) * nin);
    m->inv = malloc(sizeof(float) * nin);
    if (!m->lo || !m->inv) {
        nn_stdp_model_free(m);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    const uint8_t *p = b + HDR;
    int rc = 0;
    for (uint32_t i = 0; i < nin && !rc; i++, p += 4)
        if (!isfinite(m->lo[i] = get_f32(p)))
            rc = bad(e, (size_t)(p - b), "range minimum not finite");
    for (uint32_t i = 0; i < nin && !rc; i++, p += 4)
        if (!isfinite(m->inv[i] = get_f32(p)) || m->inv[i] < 0)
            rc = bad(e, (size_t)(p - b), "1/range not finite and >= 0");
    for (uint32_t j = 0; j < nn && !rc; j++, p += 8)
        if (!isfinite(m->layer->theta[j] = get_f64(p)) || m->layer->theta[j] < 0)
            rc = bad(e, (size_t)(p - b), "threshold increase not finite and >= 0");
    for (uint64_t k = 0; k < (uint64_t)nn * nin && !rc; k++, p += 8) {
        double w = get_f64(p);
        if (!(w >= 0 && w <= c.w_max))
            rc = bad(e, (size_t)(p - b), "weight outside [0, w_max]");
        m->layer->W[k] = w;
    }
    if (!rc) {
        p += 4;
        nq_err me;
        if (mlp_decode(p, rn, &m->readout, &me) != 0)
            rc = me.code == NQ_ENOMEM ? nq_err_set(e, NQ_ENOMEM, "out of memory")
                                      : nq_err_set(e, NQ_ECORRUPT,
                                                   "NeuromorphicSTDP model: readout at offset "
                                                   "%zu: %s", (size_t)(p - b), me.msg);
        else if (m->readout->n_in != (int)nn)
            rc = bad(e, (size_t)(p - b), "readout inputs differ from the neuron count");
    }
    if (rc) {
        nn_stdp_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
