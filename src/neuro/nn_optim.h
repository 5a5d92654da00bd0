/*
 * nn_optim.h — the optimizers of the trainable networks: SGD with momentum, Adam, AdaGrad and
 * RMSprop (the upstream set), applied to every weight matrix and bias vector of an mlp after
 * mlp_backward. For a parameter p with gradient g (step t = 1, 2, ...):
 *
 *   SGD       v ← μ·v − η·g;  p ← p + v                     (μ = 0: plain SGD)
 *   Adam      m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *             p ← p − η·m̂/(√v̂ + ε),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)   (Kingma & Ba 2015)
 *   AdaGrad   G ← G + g²;  p ← p − η·g/(√G + ε)             (Duchi et al. 2011)
 *   RMSprop   E ← ρ·E + (1−ρ)·g²;  p ← p − η·g/(√E + ε)     (Tieleman & Hinton 2012)
 *
 * Defaults (nn_opt_defaults): η = 0.01 for SGD (μ = 0.9), 0.001 for Adam (β1 0.9, β2 0.999,
 * ε 1e-8), 0.01 for AdaGrad (ε 1e-8), 0.001 for RMSprop (ρ 0.9, ε 1e-8).
 * The state (one or two arrays per parameter tensor) is owned by nn_opt; nn_opt_free frees it.
 */
#ifndef NQ_NEURO_NN_OPTIM_H
#define NQ_NEURO_NN_OPTIM_H

#include <stddef.h>

#include "mlp.h"

typedef enum nn_opt_kind {
    NN_OPT_SGD = 0,
    NN_OPT_ADAM = 1,
    NN_OPT_ADAGRAD = 2,
    NN_OPT_RMSPROP = 3,
    NN_OPT_COUNT
} nn_opt_kind;

typedef struct nn_opt_cfg {
    nn_opt_kind kind;
    float lr;
    float momentum; /* SGD */
    float beta1, beta2; /* Adam */
    float rho;      /* RMSprop */
    float eps;
} nn_opt_cfg;

/* Upstream names ("SGD", "Adam", "AdaGrad", "RMSprop"), any case; -1 if unknown. */
int nn_opt_parse(const char *s);
const char *nn_opt_name(nn_opt_kind k);
void nn_opt_defaults(nn_opt_cfg *c, nn_opt_kind k);

/* One update of n parameters p with gradients g at step t ≥ 1; s1, s2 are the state arrays
 * (n each, zero before the first step; s2 unused by SGD, AdaGrad and RMSprop). */
void nn_opt_update(const nn_opt_cfg *c, long t, float *p, const float *g, float *s1, float *s2,
                   size_t n);

typedef struct nn_opt {
    nn_opt_cfg cfg;
    long t;
    int n_layers;
    float **sW1, **sW2, **sb1, **sb2;
} nn_opt;

int nn_opt_init(nn_opt *o, const nn_opt_cfg *c, const mlp *m, nq_err *e);
/* One step over all layers with the gradients in w (t advances by one). */
void nn_opt_step(nn_opt *o, mlp *m, const mlp_work *w);
void nn_opt_free(nn_opt *o);

#endif
