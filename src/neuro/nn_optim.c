/*
 * nn_optim.c — SGD with momentum, Adam, AdaGrad, RMSprop (equations in nn_optim.h).
 *
 * The update loops are element-wise over contiguous arrays with no branches inside, so the
 * compiler vectorises them; Adam's bias corrections are computed once per step in double.
 */
#include "nn_optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const opt_names[NN_OPT_COUNT] = {"SGD", "Adam", "AdaGrad", "RMSprop"};

int nn_opt_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < NN_OPT_COUNT; i++)
        if (!strcasecmp(s, opt_names[i]))
            return i;
    return -1;
}

const char *nn_opt_name(nn_opt_kind k) { return (unsigned)k < NN_OPT_COUNT ? opt_names[k] : "?"; }

void nn_opt_defaults(nn_opt_cfg *c, nn_opt_kind k)
{
    memset(c, 0, sizeof *c);
    c->kind = k;
    c->momentum = 0.9f;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->rho = 0.9f;
    c->eps = 1e-8f;
    c->lr = (k == NN_OPT_SGD || k == NN_OPT_ADAGRAD) ? 0.01f : 0.001f;
}

void nn_opt_update(const nn_opt_cfg *c, long t, float *restrict p, const float *restrict g,
                   float *restrict s1, float *restrict s2, size_t n)
{
    const float lr = c->lr, eps = c->eps;
    switch (c->kind) {
    case NN_OPT_SGD: {
        const float mu = c->momentum;
        for (size_t i = 0; i < n; i++) {
            s1[i] = mu * s1[i] - lr * g[i];
            p[i] += s1[i];
        }
        break;
    }
    case NN_OPT_ADAM: {
        const float b1 = c->beta1, b2 = c->beta2;
        const float c1 = (float)(1.0 / (1.0 - pow(b1, (double)t)));
        const float c2 = (float)(1.0 / (1.0 - pow(b2, (double)t)));
        for (size_t i = 0; i < n; i++) {
            s1[i] = b1 * s1[i] + (1.0f - b1) * g[i];
            s2[i] = b2 * s2[i] + (1.0f - b2) * g[i] * g[i];
            p[i] -= lr * (s1[i] * c1) / (sqrtf(s2[i] * c2) + eps);
        }
        break;
    }
    case NN_OPT_ADAGRAD:
        for (size_t i = 0; i < n; i++) {
            s1[i] += g[i] * g[i];
            p[i] -= lr * g[i] / (sqrtf(s1[i]) + eps);
        }
        break;
    case NN_OPT_RMSPROP: {
        const float rho = c->rho;
        for (size_t i = 0; i < n; i++) {
            s1[i] = rho * s1[i] + (1.0f - rho) * g[i] * g[i];
            p[i] -= lr * g[i] / (sqrtf(s1[i]) + eps);
        }
        break;
    }
    default:
        break;
    }
}

void nn_opt_free(nn_opt *o)
{
    for (int l = 0; l < o->n_layers; l++) {
        if (o->sW1)
            free(o->sW1[l]);
        if (o->sW2)
            free(o->sW2[l]);
        if (o->sb1)
            free(o->sb1[l]);
        if (o->sb2)
            free(o->sb2[l]);
    }
    free(o->sW1);
    free(o->sW2);
    free(o->sb1);
    free(o->sb2);
    memset(o, 0, sizeof *o);
}

int nn_opt_init(nn_opt *o, const nn_opt_cfg *c, const mlp *m, nq_err *e)
{
    memset(o, 0, sizeof *o);
    if ((unsigned)c->kind >= NN_OPT_COUNT)
        return nq_err_set(e, NQ_EINVAL, "unknown optimizer %d", (int)c->kind);
    if (!(c->lr > 0.0f) || !isfinite(c->lr))
        return nq_err_set(e, NQ_EINVAL, "learning rate must be a positive number");
    o->cfg = *c;
    o->n_layers = m->n_layers;
    size_t L = (size_t)m->n_layers;
    o->sW1 = calloc(L, sizeof *o->sW1);
    o->sW2 = calloc(L, sizeof *o->sW2);
    o->sb1 = calloc(L, sizeof *o->sb1);
    o->sb2 = calloc(L, sizeof *o->sb2);
    if (!o->sW1 || !o->sW2 || !o->sb1 || !o->sb2)
        goto nomem;
    for (size_t l = 0; l < L; l++) {
        size_t nw = (size_t)m->layers[l].in * (size_t)m->layers[l].out, nb = m->layers[l].out;
        o->sW1[l] = calloc(nw, sizeof(float));
        o->sW2[l] = calloc(nw, sizeof(float));
        o->sb1[l] = calloc(nb, sizeof(float));
        o->sb2[l] = calloc(nb, sizeof(float));
        if (!o->sW1[l] || !o->sW2[l] || !o->sb1[l] || !o->sb2[l])
            goto nomem;
    }
    return 0;
nomem:
    nn_opt_free(o);
    return nq_err_set(e, NQ_ENOMEM, "out of memory for the optimizer state");
}

void nn_opt_step(nn_opt *o, mlp *m, const mlp_work *w)
{
    o->t++;
    for (int l = 0; l < m->n_layers; l++) {
        nn_layer *L = &m->layers[l];
        nn_opt_update(&o->cfg, o->t, L->W, w->dW[l], o->sW1[l], o->sW2[l],
                      (size_t)L->in * (size_t)L->out);
        nn_opt_update(&o->cfg, o->t, L->b, w->db[l], o->sb1[l], o->sb2[l], (size_t)L->out);
    }
}
