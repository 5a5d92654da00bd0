/*
 * neuro_network.h — a network of spiking neurons: populations, sparse connections with axonal
 * delays and conductance synapses, a clocked step with event-driven spike delivery, and spike
 * recording.
 *
 * Populations are blocks of consecutive neuron indices of one model (Izhikevich or LIF) with
 * a constant injected current and optional Gaussian noise current (fresh every step, drawn
 * from the network's seeded generator: the same seed gives the same run). Connections are
 * added while building (neuro_net_connect draws each possible pre -> post pair with a
 * probability, no self-connections; neuro_net_connect_one adds one synapse), then
 * neuro_net_finalize packs them into compressed sparse rows by presynaptic neuron, so a spike
 * visits exactly its outgoing synapses.
 *
 * One step of dt ms (Izhikevich populations need dt = 1, the model's own step):
 *   1. each neuron takes the arrivals of this step from the delay ring (neuro_synapse.h) into
 *      its excitatory and inhibitory conductances, and gets the current
 *      I = I_ext + noise + g_exc (E_exc - V) + g_inh (E_inh - V) (for Izhikevich neurons with
 *      V after a pending spike's reset: neuro_izh_step_cond);
 *   2. the neuron steps (neuro_neuron.h) and, if it spiked, the spike is recorded and its
 *      weight is put into the ring, delay steps ahead, for every outgoing synapse;
 *   3. the conductances decay by exp(-dt / tau), the ring advances.
 * With neuro_net_enable_stdp the excitatory synapses learn by STDP (below).
 * Conductances are in the units of the model's input (Izhikevich: current per mV; LIF: the
 * leak conductance).
 */
#ifndef NQ_NEURO_NETWORK_H
#define NQ_NEURO_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "neuro_neuron.h"
#include "neuro_stdp.h"
#include "neuro_synapse.h"

typedef enum neuro_model { NEURO_MODEL_IZH, NEURO_MODEL_LIF } neuro_model;

typedef struct neuro_pop_spec {
    uint32_t n;        /* neurons (> 0) */
    neuro_model model;
    neuro_izh_params izh; /* for NEURO_MODEL_IZH */
    neuro_lif_params lif; /* for NEURO_MODEL_LIF */
    double i_ext;      /* constant injected current */
    double noise_sd;   /* standard deviation of a Gaussian current drawn per neuron and step */
} neuro_pop_spec;

typedef struct neuro_spike {
    uint64_t step;
    uint32_t neuron;
} neuro_spike;

typedef struct neuro_net neuro_net;

/* A network with steps of dt ms and the generator seed. NULL when out of memory or dt <= 0. */
neuro_net *neuro_net_new(double dt, uint64_t seed);
void neuro_net_free(neuro_net *net);

/* Add a population; returns its index (>= 0) or a negative NQ_E* code (bad parameters, an
 * Izhikevich population with dt != 1, a network already finalized). *first receives the index
 * of its first neuron (may be NULL). */
int neuro_net_add_pop(neuro_net *net, const neuro_pop_spec *spec, uint32_t *first, nq_err *e);
/* Every pair (pre in pop_pre, post in pop_post, pre != post) independently with probability
 * p, weight w (>= 0), delay steps (1..255), kind. 0 or a negative NQ_E* code. */
int neuro_net_connect(neuro_net *net, int pop_pre, int pop_post, double p, double w, int delay,
                      neuro_syn_kind kind, nq_err *e);
/* One synapse between two neuron indices. */
int neuro_net_connect_one(neuro_net *net, uint32_t pre, uint32_t post, double w, int delay,
                          neuro_syn_kind kind, nq_err *e);
/* Make every excitatory synapse plastic under pair-based STDP (neuro_stdp.h) with clocked
 * traces per neuron, in the order of neuro_stdp_dense_step: at the end of each step, the
 * outgoing excitatory synapses of every neuron that spiked are depressed with the post traces
 * (after the spike was delivered with the old weight), the incoming ones potentiated with the
 * pre traces, then the spikes are added to the traces. Weights are kept in [w_min, w_max]
 * (stored as float, so the bounds as rounded to float).
 * Call before neuro_net_finalize. */
int neuro_net_enable_stdp(neuro_net *net, const neuro_stdp_params *p, nq_err *e);
/* Pack the synapses and allocate the state; no more populations or synapses after this. */
int neuro_net_finalize(neuro_net *net, nq_err *e);

/* Record spikes into the network's growing list (off by default). */
void neuro_net_record(neuro_net *net, int on);
/* Set the injected current of one neuron (overrides its population's i_ext). */
void neuro_net_set_input(neuro_net *net, uint32_t neuron, double i);
/* One step; returns the number of neurons that spiked in it, or NQ_ENOMEM when the spike
 * record could not grow (the step itself completed). */
int neuro_net_step(neuro_net *net);

/* Neurons, synapses, steps taken, total spikes so far. */
uint32_t neuro_net_neurons(const neuro_net *net);
uint64_t neuro_net_synapses(const neuro_net *net);
uint64_t neuro_net_steps(const neuro_net *net);
uint64_t neuro_net_spike_count(const neuro_net *net);
/* The recorded spikes in order of time (then neuron); valid until the next step. */
const neuro_spike *neuro_net_spikes(const neuro_net *net, size_t *n);
/* Synapse k (0 <= k < neuro_net_synapses) in packed order (by presynaptic neuron, then order of
 * addition): its neurons and current weight. 0 or NQ_EINVAL. */
int neuro_net_synapse(const neuro_net *net, uint64_t k, uint32_t *pre, uint32_t *post,
                      double *w);
/* Membrane potential of a neuron (mV). */
double neuro_net_v(const neuro_net *net, uint32_t neuron);

#endif
