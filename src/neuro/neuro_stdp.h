/*
 * neuro_stdp.h — pair-based spike-timing-dependent plasticity in the trace (online) form, with
 * the constants of Song, Miller & Abbott (2000), "Competitive Hebbian learning through
 * spike-timing-dependent synaptic plasticity", Nat. Neurosci. 3:919.
 *
 * The window, for dt = t_post - t_pre (ms), as a fraction of the weight bound w_max:
 *
 *     F(dt) =  A+ exp(-dt / tau+)     dt > 0   (pre before post: potentiation)
 *     F(dt) = -A- exp( dt / tau-)     dt < 0   (post before pre: depression)
 *     F(0)  =  0
 *
 * with A+ = 0.005, A- = 1.05 A+, tau+ = tau- = 20 ms, and w <- clamp(w + w_max F(dt), w_min,
 * w_max) (hard bounds; SMA's g_max). All-to-all pairing is computed online from two traces per
 * synapse side: each spike of the presynaptic neuron adds 1 to its trace x, each spike of the
 * postsynaptic neuron adds 1 to its trace y, and both decay exponentially with tau+ and tau-.
 * At a presynaptic spike the weight is depressed by w_max A- y, at a postsynaptic spike it is
 * potentiated by w_max A+ x; the change is applied before the trace of the spiking side is
 * incremented, so simultaneous spikes do not pair (F(0) = 0; event-driven code reports them
 * with neuro_stdp_on_both) and the sum over all earlier
 * spikes equals the sum of F over all pairs exactly (test_stdp.c checks this to rounding).
 *
 * Two ways to hold traces:
 *   - neuro_trace: a lazily decayed trace (value and the time it was last touched), exact for
 *     spike times anywhere on the real line; for event-driven code and single synapses.
 *   - plain double arrays decayed once per time step by neuro_stdp_decay: for clocked layers,
 *     with neuro_stdp_dense_step applying the rule to a dense weight matrix.
 */
#ifndef NQ_NEURO_STDP_H
#define NQ_NEURO_STDP_H

#include <stddef.h>
#include <stdint.h>

typedef struct neuro_stdp_params {
    double a_plus;    /* potentiation amplitude, fraction of w_max */
    double a_minus;   /* depression amplitude, fraction of w_max */
    double tau_plus;  /* ms */
    double tau_minus; /* ms */
    double w_min, w_max;
} neuro_stdp_params;

/* Song, Miller & Abbott (2000): A+ 0.005, A- 0.00525, tau+- 20 ms, weights in [0, w_max]. */
void neuro_stdp_sma(neuro_stdp_params *p, double w_max);
/* 0, or -1 when amplitudes are negative, taus not positive or w_min > w_max. */
int neuro_stdp_check(const neuro_stdp_params *p);

/* F(dt) above (unscaled by w_max, unclamped): the change of w / w_max for one pair. */
double neuro_stdp_window(const neuro_stdp_params *p, double dt);

/* A lazily decayed exponential trace. */
typedef struct neuro_trace {
    double value; /* value at time t */
    double t;     /* ms */
} neuro_trace;

/* value 0 at time t0. */
void neuro_trace_init(neuro_trace *tr, double t0);
/* The trace's value at time t (>= tr->t). */
double neuro_trace_at(const neuro_trace *tr, double tau, double t);
/* A spike at time t: decay to t, then add 1. */
void neuro_trace_spike(neuro_trace *tr, double tau, double t);

/* One synapse with its two traces, for event-driven use. */
typedef struct neuro_stdp_synapse {
    double w;
    neuro_trace pre;  /* x, decays with tau+ */
    neuro_trace post; /* y, decays with tau- */
} neuro_stdp_synapse;

void neuro_stdp_synapse_init(neuro_stdp_synapse *s, double w, double t0);
/* A presynaptic spike at t: depress by w_max A- y(t), then bump x. Returns the new weight. */
double neuro_stdp_on_pre(neuro_stdp_synapse *s, const neuro_stdp_params *p, double t);
/* A postsynaptic spike at t: potentiate by w_max A+ x(t), then bump y. Returns the new weight. */
double neuro_stdp_on_post(neuro_stdp_synapse *s, const neuro_stdp_params *p, double t);

/* A presynaptic and a postsynaptic spike at the same t: depress with y(t), potentiate with
 * x(t), then bump both traces, so the pair at dt = 0 contributes F(0) = 0 (calling on_pre then
 * on_post at the same t would instead count that pair as potentiation). Returns the new weight. */
double neuro_stdp_on_both(neuro_stdp_synapse *s, const neuro_stdp_params *p, double t);

/* The weight after depression or potentiation with a given trace value (clamped). */
double neuro_stdp_depress(const neuro_stdp_params *p, double w, double post_trace);
double neuro_stdp_potentiate(const neuro_stdp_params *p, double w, double pre_trace);

/* Clocked traces: trace[i] *= factor for i < n (factor = exp(-dt / tau)). */
void neuro_stdp_decay(double *trace, size_t n, double factor);

/* One clocked step of a dense layer: w is n_post x n_pre, row-major (w[j * n_pre + i] from
 * input i to output j); pre_spike[i] / post_spike[j] are nonzero for the neurons that spiked
 * in this step; x (n_pre) and y (n_post) are the traces. The step first decays both traces by
 * exp(-dt/tau), then depresses the column of every spiking input (w[.][i] by w_max A- y[j]),
 * potentiates the row of every spiking output (w[j][.] by w_max A+ x[i]), then adds 1 to the traces of the neurons that spiked. The cost is
 * O(n_pre + n_post + (spiking inputs) n_post + (spiking outputs) n_pre). */
void neuro_stdp_dense_step(const neuro_stdp_params *p, double *w, size_t n_pre, size_t n_post,
                           const uint8_t *pre_spike, const uint8_t *post_spike, double *x,
                           double *y, double dt);

#endif
