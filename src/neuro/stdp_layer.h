/*
 * stdp_layer.h — NeuromorphicSTDP: a layer of leaky integrate-and-fire neurons that learns
 * features without labels by spike-timing-dependent plasticity, in the manner of Diehl & Cook
 * (2015), "Unsupervised learning of digit recognition using spike-timing-dependent
 * plasticity", Front. Comput. Neurosci. 9:99, simplified as described below; a dense readout
 * (mlp.h) trained on its spike counts turns it into a classifier.
 *
 * Built on the spiking library: neuro_lif_step (exact LIF integration, neuro_neuron.h) and
 * neuro_stdp_dense_step (pair-based STDP in trace form with the Song-Miller-Abbott constants,
 * neuro_stdp.h).
 *
 * A sample x (n_in values scaled to [0, 1]) is presented for t_present ms in steps of dt:
 * input i fires as a Bernoulli approximation of a Poisson train of rate max_rate·x_i. Each
 * neuron j receives the current gain·Σ_i W[j][i]·s_i(t) (s = this step's input spikes) held
 * over the step. Differences from Diehl & Cook, for speed and simplicity: lateral inhibition is
 * direct (a spike lowers every other neuron's potential by `inhibition` mV instead of going
 * through an inhibitory population), inputs drive a current rather than a conductance, and the
 * state is reset between samples instead of a resting period. What is kept: competition
 * (inhibition), homeostasis (each spike raises the neuron's own threshold by theta_plus, so no
 * neuron wins everything; thresholds stay fixed after training), STDP on the input weights
 * (bounded in [0, w_max]) and weight normalisation (after every training sample each neuron's
 * incoming weights are rescaled to sum to w_sum).
 *
 * Features: the spike count of each neuron over a presentation with learning off. A sample
 * that makes no neuron fire is presented again with the input rates raised by 32 Hz, up to
 * four times (as Diehl & Cook do).
 *
 * Memory: nn_stdp_create returns a layer the caller frees with nn_stdp_free.
 */
#ifndef NQ_NEURO_STDP_LAYER_H
#define NQ_NEURO_STDP_LAYER_H

#include <stdint.h>

#include "base/err.h"
#include "mlp_train.h"
#include "neuro_neuron.h"
#include "neuro_stdp.h"

typedef struct nn_stdp_cfg {
    int n_neurons;      /* default 100 */
    double t_present;   /* ms per presentation (default 100) */
    double dt;          /* ms (default 1) */
    double max_rate;    /* Hz for an input at 1 (default 100) */
    double gain;        /* nA per unit weight per input spike in the step (default 50) */
    double inhibition;  /* mV taken from the other neurons at each spike (default 4) */
    double theta_plus;  /* mV added to a neuron's threshold at each of its spikes in training
                           (default 0.05) */
    double stdp_scale;  /* A+ and A− of Song-Miller-Abbott multiplied by this (default 10) */
    double w_max;       /* weight bound (default 1) */
    double w_sum;       /* each neuron's incoming weights sum to this in training (default:
                           0.1·n_in·w_max) */
    uint64_t seed;
} nn_stdp_cfg;

void nn_stdp_defaults(nn_stdp_cfg *c);

typedef struct nn_stdp_layer {
    nn_stdp_cfg cfg;
    int n_in, n;
    double *W;     /* n × n_in, row-major: W[j·n_in + i] from input i to neuron j */
    double *theta; /* n: threshold increase of each neuron, mV */
    neuro_lif_params lif;
    neuro_stdp_params stdp;
    uint64_t rng_state; /* advances with every presentation, so repeated calls differ */
} nn_stdp_layer;

int nn_stdp_create(nn_stdp_layer **out, int n_in, const nn_stdp_cfg *c, nq_err *e);
void nn_stdp_free(nn_stdp_layer *l);

/* One unsupervised pass over n samples (rows of X, n × n_in, values in [0, 1]) in the order
 * given by idx (NULL: 0..n-1). *spikes (may be NULL) receives the mean output spikes per
 * sample. */
int nn_stdp_train(nn_stdp_layer *l, const float *X, int n, const int *idx, double *spikes,
                  nq_err *e);

/* Spike counts (n × l->n) of each neuron for each sample, learning off. */
int nn_stdp_features(nn_stdp_layer *l, const float *X, int n, float *out, nq_err *e);

/* Per-feature minimum and 1/range over n rows, for mapping inputs into [0, 1]
 * (x' = clamp((x − lo)·inv, 0, 1); inv = 0 for a constant feature). */
void nn_stdp_fit_range(const float *X, int n, int d, float *lo, float *inv);
void nn_stdp_apply_range(float *X, int n, int d, const float *lo, const float *inv);

/* The whole classifier: the spiking layer (cfg sc) trained for stdp_epochs unsupervised passes
 * over the training rows (inputs mapped into [0, 1] with the training rows' range), its spike
 * counts standardised and fed to a dense readout of n_readout layers (sizes, acts, loss)
 * trained with rc on the labels Ytr; then the test rows are classified. rep->history must be
 * freed with mlp_history_free (also after an error). */
typedef struct nn_stdp_report {
    double spikes_per_sample; /* output spikes per training sample in the last STDP pass */
    double mean_theta;        /* mean threshold increase after training, mV */
    int silent_test;          /* test samples no neuron answered even at raised rates */
    double stdp_seconds;      /* STDP training and feature extraction */
    double readout_seconds;
    double test_loss, test_acc;
    mlp_history history;      /* the readout's */
} nn_stdp_report;

int nn_stdp_classify(const nn_stdp_cfg *sc, int stdp_epochs, const mlp_train_cfg *rc,
                     int n_readout, const int *sizes, const nn_act *acts, nn_loss loss, int n_in,
                     const float *Xtr, const float *Ytr, int ntr, const float *Xte,
                     const float *Yte, int nte, nn_stdp_report *rep, nq_err *e);

#endif
