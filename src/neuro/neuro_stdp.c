/*
 * neuro_stdp.c — pair-based STDP in the trace form (see neuro_stdp.h for the rule and the
 * order of updates that makes the online form equal the sum over all spike pairs).
 */
#include "neuro_stdp.h"

#include <math.h>

void neuro_stdp_sma(neuro_stdp_params *p, double w_max)
{
    p->a_plus = 0.005;
    p->a_minus = 0.005 * 1.05;
    p->tau_plus = 20.0;
    p->tau_minus = 20.0;
    p->w_min = 0.0;
    p->w_max = w_max;
}

int neuro_stdp_check(const neuro_stdp_params *p)
{
    if (!(p->a_plus >= 0) || !(p->a_minus >= 0) || !(p->tau_plus > 0) || !(p->tau_minus > 0) ||
        !(p->w_min <= p->w_max) || !isfinite(p->a_plus) || !isfinite(p->a_minus) ||
        !isfinite(p->tau_plus) || !isfinite(p->tau_minus) || !isfinite(p->w_min) ||
        !isfinite(p->w_max))
        return -1;
    return 0;
}

double neuro_stdp_window(const neuro_stdp_params *p, double dt)
{
    if (dt > 0)
        return p->a_plus * exp(-dt / p->tau_plus);
    if (dt < 0)
        return -p->a_minus * exp(dt / p->tau_minus);
    return 0.0;
}

void neuro_trace_init(neuro_trace *tr, double t0)
{
    tr->value = 0;
    tr->t = t0;
}

double neuro_trace_at(const neuro_trace *tr, double tau, double t)
{
    if (tr->value == 0 || t == tr->t)
        return tr->value;
    return tr->value * exp(-(t - tr->t) / tau);
}

void neuro_trace_spike(neuro_trace *tr, double tau, double t)
{
    tr->value = neuro_trace_at(tr, tau, t) + 1.0;
    tr->t = t;
}

static double clamp(const neuro_stdp_params *p, double w)
{
    return w < p->w_min ? p->w_min : w > p->w_max ? p->w_max : w;
}

double neuro_stdp_depress(const neuro_stdp_params *p, double w, double post_trace)
{
    return clamp(p, w - p->w_max * p->a_minus * post_trace);
}

double neuro_stdp_potentiate(const neuro_stdp_params *p, double w, double pre_trace)
{
    return clamp(p, w + p->w_max * p->a_plus * pre_trace);
}

void neuro_stdp_synapse_init(neuro_stdp_synapse *s, double w, double t0)
{
    s->w = w;
    neuro_trace_init(&s->pre, t0);
    neuro_trace_init(&s->post, t0);
}

double neuro_stdp_on_pre(neuro_stdp_synapse *s, const neuro_stdp_params *p, double t)
{
    s->w = neuro_stdp_depress(p, s->w, neuro_trace_at(&s->post, p->tau_minus, t));
    neuro_trace_spike(&s->pre, p->tau_plus, t);
    return s->w;
}

double neuro_stdp_on_post(neuro_stdp_synapse *s, const neuro_stdp_params *p, double t)
{
    s->w = neuro_stdp_potentiate(p, s->w, neuro_trace_at(&s->pre, p->tau_plus, t));
    neuro_trace_spike(&s->post, p->tau_minus, t);
    return s->w;
}

double neuro_stdp_on_both(neuro_stdp_synapse *s, const neuro_stdp_params *p, double t)
{
    double x = neuro_trace_at(&s->pre, p->tau_plus, t);
    s->w = neuro_stdp_depress(p, s->w, neuro_trace_at(&s->post, p->tau_minus, t));
    s->w = neuro_stdp_potentiate(p, s->w, x);
    neuro_trace_spike(&s->pre, p->tau_plus, t);
    neuro_trace_spike(&s->post, p->tau_minus, t);
    return s->w;
}

void neuro_stdp_decay(double *trace, size_t n, double factor)
{
    for (size_t i = 0; i < n; i++)
        trace[i] *= factor;
}

void neuro_stdp_dense_step(const neuro_stdp_params *p, double *w, size_t n_pre, size_t n_post,
                           const uint8_t *pre_spike, const uint8_t *post_spike, double *x,
                           double *y, double dt)
{
    neuro_stdp_decay(x, n_pre, exp(-dt / p->tau_plus));
    neuro_stdp_decay(y, n_post, exp(-dt / p->tau_minus));
    for (size_t i = 0; i < n_pre; i++)
        if (pre_spike[i])
            for (size_t j = 0; j < n_post; j++)
                w[j * n_pre + i] = neuro_stdp_depress(p, w[j * n_pre + i], y[j]);
    for (size_t j = 0; j < n_post; j++)
        if (post_spike[j]) {
            double *row = w + j * n_pre;
            for (size_t i = 0; i < n_pre; i++)
                row[i] = neuro_stdp_potentiate(p, row[i], x[i]);
        }
    for (size_t i = 0; i < n_pre; i++)
        if (pre_spike[i])
            x[i] += 1.0;
    for (size_t j = 0; j < n_post; j++)
        if (post_spike[j])
            y[j] += 1.0;
}
