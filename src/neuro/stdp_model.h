/*
 * stdp_model.h — a trained NeuromorphicSTDP classifier as one object: the spiking layer
 * (stdp_layer.h) with its learned weights and thresholds, the input range that maps raw inputs
 * into [0, 1], and the dense readout (mlp.h, with its scaler standardising the spike counts).
 * This is what POST /api/v1/neural/train stores for the NeuromorphicSTDP optimizer, and what
 * predict_pattern() runs.
 *
 * nn_stdp_fit trains one: stdp_epochs unsupervised STDP passes over the rows (inputs mapped
 * with the rows' range), the spike counts of every row with learning off, then the readout on
 * the standardised counts with the labels (mlp_train: its progress callback and cancel flag
 * work as for a dense network; `on_pass` reports each STDP pass and is polled for a stop).
 * nn_stdp_classify (stdp_layer.h) is nn_stdp_fit plus an evaluation on test rows.
 *
 * Prediction is deterministic: each row is presented with the input spike trains drawn from
 * the model's seed (not from a stream that advances), so a row gets the same answer whatever
 * rows come before it, in a batch or one by one.
 *
 * Format (nn_stdp_model_encode / _decode; integers and floats little-endian):
 *
 *   0   magic "NQSN"
 *   4   u16 version (1), u16 flags (0)
 *   8   u32 inputs (1..65536), u32 neurons (1..65536); inputs x neurons <= 2^24
 *   16  f64 t_present, dt, max_rate, gain, inhibition, theta_plus, stdp_scale, w_max, w_sum
 *   88  u64 seed
 *   96  inputs x f32 range minimum, inputs x f32 1/range (>= 0)
 *   ..  neurons x f64 threshold increase (>= 0), neurons x inputs f64 W (in [0, w_max])
 *   ..  u32 readout length, the readout (mlp_encode: its own CRC; its inputs = neurons)
 *   end u32 CRC-32C of every byte before it
 *
 * The decoder checks the CRC first, then every field (the layer's parameters as
 * nn_stdp_create does, every number finite and in range, the exact length), naming the offset
 * of what it refuses; a model it accepts re-encodes to the same bytes.
 */
#ifndef NQ_NEURO_STDP_MODEL_H
#define NQ_NEURO_STDP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "mlp.h"
#include "mlp_train.h"
#include "stdp_layer.h"

#define NN_STDP_MAGIC "NQSN"

typedef struct nn_stdp_model {
    nn_stdp_layer *layer;
    float *lo, *inv; /* n_in each */
    mlp *readout;    /* inputs = layer->n */
} nn_stdp_model;

/* Called after each STDP pass (1-based) with the mean output spikes per sample; nonzero stops
 * the fit (NQ_EINTERRUPT). */
typedef int (*nn_stdp_pass_fn)(void *ctx, int pass, int passes, double spikes_per_sample);

/* Train a model on n rows X (n x n_in), labels Y (n x sizes[n_readout-1]). rep (may be NULL)
 * receives spikes_per_sample, mean_theta, stdp_seconds, readout_seconds and the readout's
 * history (free it with mlp_history_free, also after an error); initial_loss (may be NULL)
 * the readout's loss on the rows before it is trained. */
int nn_stdp_fit(const nn_stdp_cfg *sc, int stdp_epochs, const mlp_train_cfg *rc,
                nn_stdp_pass_fn on_pass, void *pass_ctx, int n_readout, const int *sizes,
                const nn_act *acts, nn_loss loss, int n_in, const float *X, const float *Y,
                int n, nn_stdp_model **out, nn_stdp_report *rep, double *initial_loss,
                nq_err *e);
void nn_stdp_model_free(nn_stdp_model *m);
int nn_stdp_model_n_in(const nn_stdp_model *m);
int nn_stdp_model_n_out(const nn_stdp_model *m);

/* The spike counts of n raw rows (n x layer->n), each row from the model's seed. */
int nn_stdp_model_features(nn_stdp_model *m, const float *X, int n, float *out, nq_err *e);
/* The readout's outputs for n raw rows (n x n_out). */
int nn_stdp_model_predict(nn_stdp_model *m, const float *X, int n, float *out, nq_err *e);

int nn_stdp_model_encode(const nn_stdp_model *m, uint8_t **buf, size_t *len, nq_err *e);
int nn_stdp_model_decode(const uint8_t *buf, size_t len, nn_stdp_model **out, nq_err *e);

#endif
