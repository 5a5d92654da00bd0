/*
 * stdp_layer.c — NeuromorphicSTDP, the spiking feature layer (see stdp_layer.h).
 *
 * One presentation: for each step, draw the input spikes, sum the weight rows of the spiking
 * inputs into each neuron's drive (only spiking inputs cost anything), advance every LIF
 * neuron exactly over the step with its own threshold, apply lateral inhibition from the
 * neurons that spiked, and, when learning, one clocked STDP step on the whole weight matrix
 * (neuro_stdp_dense_step decays the traces and touches only the rows and columns of neurons
 * that spiked).
 */
#include "stdp_layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rand.h"
#include "dataset.h"
#include "mlp_train.h"
#include "stdp_model.h"

void nn_stdp_defaults(nn_stdp_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->n_neurons = 100;
    c->t_present = 100.0;
    c->dt = 1.0;
    c->max_rate = 100.0;
    c->gain = 50.0;
    c->inhibition = 4.0;
    c->theta_plus = 0.05;
    c->stdp_scale = 10.0;
    c->w_max = 1.0;
    c->w_sum = 0.0; /* 0: 0.1·n_in·w_max */
    c->seed = 1;
}

void nn_stdp_free(nn_stdp_layer *l)
{
    if (!l)
        return;
    free(l->W);
    free(l->theta);
    free(l);
}

int nn_stdp_create(nn_stdp_layer **out, int n_in, const nn_stdp_cfg *c, nq_err *e)
{
    *out = NULL;
    if (n_in < 1 || n_in > (1 << 16))
        return nq_err_set(e, NQ_EINVAL, "spiking layer: %d inputs out of range 1..65536", n_in);
    if (c->n_neurons < 1 || c->n_neurons > (1 << 16))
        return nq_err_set(e, NQ_EINVAL, "spiking layer: %d neurons out of range 1..65536",
                          c->n_neurons);
    if (!(c->dt > 0 && c->t_present >= c->dt && c->t_present <= 1e5 && c->max_rate > 0 &&
          c->max_rate * c->dt <= 1000.0 && c->w_max > 0 && c->gain >= 0 &&
          c->inhibition >= 0 && c->theta_plus >= 0 && c->stdp_scale >= 0 &&
          c->stdp_scale <= 100))
        return nq_err_set(e, NQ_EINVAL, "spiking layer: parameter out of range");
    nn_stdp_layer *l = calloc(1, sizeof *l);
    if (!l)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    l->cfg = *c;
    if (l->cfg.w_sum <= 0)
        l->cfg.w_sum = 0.1 * n_in * c->w_max;
    l->n_in = n_in;
    l->n = c->n_neurons;
    l->W = malloc(sizeof(double) * (size_t)l->n * n_in);
    l->theta = calloc((size_t)l->n, sizeof(double));
    if (!l->W || !l->theta) {
        nn_stdp_free(l);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    nq_rng r;
    nq_rng_seed(&r, c->seed);
    for (size_t i = 0; i < (size_t)l->n * n_in; i++)
        l->W[i] = 0.3 * c->w_max * nq_rng_double(&r);
    l->rng_state = nq_rng_next(&r);
    neuro_lif_default(&l->lif);
    neuro_stdp_sma(&l->stdp, c->w_max);
    l->stdp.a_plus *= c->stdp_scale;
    l->stdp.a_minus *= c->stdp_scale;
    *out = l;
    return 0;
}

/* Rescale each neuron's incoming weights to sum to w_sum (clamped to w_max). */
static void normalise(nn_stdp_layer *l)
{
    for (int j = 0; j < l->n; j++) {
        double *w = l->W + (size_t)j * l->n_in, s = 0;
        for (int i = 0; i < l->n_in; i++)
            s += w[i];
        if (s <= 0)
            continue;
        double f = l->cfg.w_sum / s;
        for (int i = 0; i < l->n_in; i++) {
            w[i] *= f;
            if (w[i] > l->cfg.w_max)
                w[i] = l->cfg.w_max;
        }
    }
}

typedef struct sim {
    neuro_lif *cell;
    neuro_lif_params *par;
    double *drive, *x, *y;
    uint8_t *in_spk, *out_spk;
    int *active;
} sim;

static void sim_free(sim *s)
{
    free(s->cell);
    free(s->par);
    free(s->drive);
    free(s->x);
    free(s->y);
    free(s->in_spk);
    free(s->out_spk);
    free(s->active);
}

static int sim_init(sim *s, const nn_stdp_layer *l, nq_err *e)
{
    memset(s, 0, sizeof *s);
    s->cell = malloc(sizeof *s->cell * (size_t)l->n);
    s->par = malloc(sizeof *s->par * (size_t)l->n);
    s->drive = malloc(sizeof(double) * (size_t)l->n);
    s->x = malloc(sizeof(double) * (size_t)l->n_in);
    s->y = malloc(sizeof(double) * (size_t)l->n);
    s->in_spk = malloc((size_t)l->n_in);
    s->out_spk = malloc((size_t)l->n);
    s->active = malloc(sizeof(int) * (size_t)l->n_in);
    if (!s->cell || !s->par || !s->drive || !s->x || !s->y || !s->in_spk || !s->out_spk ||
        !s->active) {
        sim_free(s);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    return 0;
}

/* Present one sample (values in [0, 1]) for t_present ms with the rates raised by extra Hz;
 * counts (l->n) receive each neuron's spikes. Returns the total. */
static int present(nn_stdp_layer *l, sim *s, nq_rng *r, const float *xv, double extra, int learn,
                   float *counts)
{
    const nn_stdp_cfg *c = &l->cfg;
    int n = l->n, n_in = l->n_in, total = 0;
    for (int j = 0; j < n; j++) {
        s->par[j] = l->lif;
        s->par[j].v_th = l->lif.v_th + l->theta[j];
        neuro_lif_init(&s->cell[j], &s->par[j]);
        s->y[j] = 0;
        counts[j] = 0;
    }
    memset(s->x, 0, sizeof(double) * (size_t)n_in);
    int steps = (int)(c->t_present / c->dt + 0.5);
    double pscale = c->dt * 1e-3;
    for (int t = 0; t < steps; t++) {
        int na = 0;
        for (int i = 0; i < n_in; i++) {
            double p = (c->max_rate * xv[i] + extra) * pscale;
            s->in_spk[i] = nq_rng_double(r) < p;
            if (s->in_spk[i])
                s->active[na++] = i;
        }
        for (int j = 0; j < n; j++) {
            const double *w = l->W + (size_t)j * n_in;
            double d = 0;
            for (int a = 0; a < na; a++)
                d += w[s->active[a]];
            s->drive[j] = c->gain * d;
        }
        int nspk = 0;
        for (int j = 0; j < n; j++) {
            int k = neuro_lif_step(&s->cell[j], &s->par[j], s->drive[j], 0, 0, c->dt, NULL);
            s->out_spk[j] = k > 0;
            if (k) {
                counts[j] += (float)k;
                nspk += k;
            }
        }
        if (nspk) {
            total += nspk;
            for (int j = 0; j < n; j++) {
                /* inhibition from every other neuron that spiked in this step */
                int others = nspk - (s->out_spk[j] ? 1 : 0);
                if (others > 0 && s->cell[j].ref_left <= 0)
                    s->cell[j].v -= c->inhibition * others;
                if (learn && s->out_spk[j]) {
                    l->theta[j] += c->theta_plus;
                    s->par[j].v_th += c->theta_plus;
                }
            }
        }
        if (learn)
            neuro_stdp_dense_step(&l->stdp, l->W, (size_t)n_in, (size_t)n, s->in_spk, s->out_spk,
                                  s->x, s->y, c->dt);
    }
    return total;
}

int nn_stdp_train(nn_stdp_layer *l, const float *X, int n, const int *idx, double *spikes,
                  nq_err *e)
{
    sim s;
    int rc = sim_init(&s, l, e);
    if (rc)
        return rc;
    float *counts = malloc(sizeof(float) * (size_t)l->n);
    if (!counts) {
        sim_free(&s);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    nq_rng r;
    nq_rng_seed(&r, l->rng_state);
    l->rng_state = nq_rng_next(&r);
    double tot = 0;
    for (int k = 0; k < n; k++) {
        const float *xv = X + (size_t)(idx ? idx[k] : k) * l->n_in;
        tot += present(l, &s, &r, xv, 0.0, 1, counts);
        normalise(l);
    }
    if (spikes)
        *spikes = n ? tot / n : 0;
    free(counts);
    sim_free(&s);
    return 0;
}

int nn_stdp_features(nn_stdp_layer *l, const float *X, int n, float *out, nq_err *e)
{
    sim s;
    int rc = sim_init(&s, l, e);
    if (rc)
        return rc;
    nq_rng r;
    nq_rng_seed(&r, l->rng_state);
    l->rng_state = nq_rng_next(&r);
    for (int k = 0; k < n; k++) {
        float *cnt = out + (size_t)k * l->n;
        for (int tries = 0; tries < 5; tries++)
            if (present(l, &s, &r, X + (size_t)k * l->n_in, 32.0 * tries, 0, cnt) > 0)
                break;
    }
    sim_free(&s);
    return 0;
}

void nn_stdp_fit_range(const float *X, int n, int d, float *lo, float *inv)
{
    for (int j = 0; j < d; j++) {
        float mn = n ? X[j] : 0, mx = mn;
        for (int i = 1; i < n; i++) {
            float v = X[(size_t)i * d + j];
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        lo[j] = mn;
        inv[j] = mx > mn ? 1.0f / (mx - mn) : 0.0f;
    }
}

void nn_stdp_apply_range(float *X, int n, int d, const float *lo, const float *inv)
{
    for (size_t i = 0; i < (size_t)n; i++)
        for (int j = 0; j < d; j++) {
            float v = (X[i * d + j] - lo[j]) * inv[j];
            X[i * d + j] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int nn_stdp_classify(const nn_stdp_cfg *sc, int stdp_epochs, const mlp_train_cfg *rc,
                     int n_readout, const int *sizes, const nn_act *acts, nn_loss loss, int n_in,
                     const float *Xtr, const float *Ytr, int ntr, const float *Xte,
                     const float *Yte, int nte, nn_stdp_report *rep, nq_err *e)
{
    if (nte < 0)
        return nq_err_set(e, NQ_EINVAL, "NeuromorphicSTDP: bad row counts or epochs (0..1000)");
    nn_stdp_model *m = NULL;
    int rc_ = nn_stdp_fit(sc, stdp_epochs, rc, NULL, NULL, n_readout, sizes, acts, loss, n_in,
                          Xtr, Ytr, ntr, &m, rep, NULL, e);
    if (rc_)
        return rc_;
    int N = m->layer->n;
    float *xte = malloc(sizeof(float) * (size_t)(nte ? nte : 1) * n_in);
    float *fte = malloc(sizeof(float) * (size_t)(nte ? nte : 1) * N);
    if (!xte || !fte) {
        rc_ = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto out;
    }
    /* the test rows through the same layer, its spike stream continuing from training */
    double t0 = now_s();
    memcpy(xte, Xte, sizeof(float) * (size_t)nte * n_in);
    nn_stdp_apply_range(xte, nte, n_in, m->lo, m->inv);
    if ((rc_ = nn_stdp_features(m->layer, xte, nte, fte, e)) != 0)
        goto out;
    rep->stdp_seconds += now_s() - t0;
    for (int i = 0; i < nte; i++) {
        float s = 0;
        for (int j = 0; j < N; j++)
            s += fte[(size_t)i * N + j];
        rep->silent_test += s == 0;
    }
    if (nte > 0 &&
        (rc_ = mlp_evaluate(m->readout, fte, Yte, nte, &rep->test_loss, &rep->test_acc, e)))
        goto out;
out:
    nn_stdp_model_free(m);
    free(xte);
    free(fte);
    return rc_;
}
