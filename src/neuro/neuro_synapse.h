/*
 * neuro_synapse.h — conductance-based synapses with exponential decay and reversal
 * potentials, and the delay ring that holds spikes in flight along axons.
 *
 * A synapse of kind k adds its weight to the postsynaptic conductance g_k when a spike arrives;
 * between arrivals g_k decays as exp(-t / tau_k), and it drives the membrane with the current
 * g_k (E_k - V) (E_k the reversal potential: 0 mV for AMPA-like excitation, -70 mV for
 * GABA_A-like inhibition; upstream-algorithms.md 7.5 uses the same pair with tau 5 / 10 ms).
 *
 * Axonal delays: a spike emitted at step t along a synapse of delay d (steps, 1..max_delay)
 * arrives at step t + d. neuro_ring keeps one accumulator slot per delay step (max_delay + 1
 * slots of n_targets x kinds doubles, used round-robin): emitting adds the weight into the slot
 * d steps ahead, and at each step the current slot is read and cleared. Delivery costs O(1)
 * per synapse a spike travels along, and nothing for silent neurons (event-driven).
 */
#ifndef NQ_NEURO_SYNAPSE_H
#define NQ_NEURO_SYNAPSE_H

#include <stddef.h>

typedef enum neuro_syn_kind {
    NEURO_SYN_EXC, /* AMPA-like: tau 5 ms, E 0 mV */
    NEURO_SYN_INH, /* GABA_A-like: tau 10 ms, E -70 mV */
    NEURO_SYN_NKINDS
} neuro_syn_kind;

typedef struct neuro_syn_params {
    double tau;   /* decay time constant, ms (> 0) */
    double e_rev; /* reversal potential, mV */
} neuro_syn_params;

/* The defaults above. */
neuro_syn_params neuro_syn_default(neuro_syn_kind k);

/* g after dt ms without arrivals. */
double neuro_syn_decay(const neuro_syn_params *p, double g, double dt);
/* The current g (E - v) into a neuron at potential v. */
double neuro_syn_current(const neuro_syn_params *p, double g, double v);

typedef struct neuro_ring {
    size_t n_targets;
    int kinds;     /* accumulators per target */
    int max_delay; /* steps */
    int head;      /* slot of the current step */
    double *buf;   /* (max_delay + 1) x n_targets x kinds */
} neuro_ring;

/* 0, or NQ_ENOMEM / NQ_EINVAL (max_delay < 1, kinds < 1). Free with neuro_ring_free. */
int neuro_ring_init(neuro_ring *r, size_t n_targets, int kinds, int max_delay);
void neuro_ring_free(neuro_ring *r);
/* A weight w for target, kind, arriving delay steps from now (1 <= delay <= max_delay). */
static inline void neuro_ring_add(neuro_ring *r, int delay, size_t target, int kind, double w)
{
    int slot = r->head + delay;
    if (slot > r->max_delay)
        slot -= r->max_delay + 1;
    r->buf[((size_t)slot * r->n_targets + target) * (size_t)r->kinds + (size_t)kind] += w;
}
/* The arrivals of the current step: n_targets x kinds, target-major. */
static inline double *neuro_ring_now(neuro_ring *r)
{
    return r->buf + (size_t)r->head * r->n_targets * (size_t)r->kinds;
}
/* Clear the current slot and move to the next step. */
void neuro_ring_advance(neuro_ring *r);

#endif
