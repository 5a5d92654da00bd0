/*
 * mlp.h — trainable dense networks (multi-layer perceptrons): layers, activations, losses,
 * forward and backward passes, prediction and the model's byte format.
 *
 * A network maps an input row of n_in floats through n_layers dense layers; layer l computes
 * Z = A_{l-1}·W_l + b_l and A_l = f_l(Z) with W_l stored row-major as in×out (so a batch of
 * rows is one matrix product, nn_gemm.h). Everything is float32 and row-major: a batch of B
 * samples is a B×n matrix. An optional input scaler (per-feature mean and scale, set from the
 * training data by mlp_train or the caller) is part of the model, so a stored model predicts on
 * raw inputs.
 *
 * Activations (upstream names): ReLU, Sigmoid, Tanh, Softmax (row-wise), Swish x·σ(x), and
 * Linear (identity; for regression outputs). Losses, each the mean over the batch of a
 * per-sample loss:
 *   MSE              (1/n_out) Σ_j (a_j − y_j)²
 *   CrossEntropy     −Σ_j y_j log a_j            (output layer must be Softmax)
 *   BinaryCrossEntropy −(1/n_out) Σ_j [y_j log a_j + (1−y_j) log(1−a_j)]  (output Sigmoid)
 *   Huber(δ)         (1/n_out) Σ_j h(a_j − y_j), h(r) = r²/2 if |r| ≤ δ else δ(|r| − δ/2)
 * CrossEntropy with Softmax and BinaryCrossEntropy with Sigmoid are differentiated jointly
 * (dL/dZ = (a − y)/B, exact and stable); every other pair goes through dL/dA and the
 * activation's derivative (the full Jacobian for Softmax). Probabilities are clamped to
 * [1e-7, 1 − 1e-7] inside the logarithms.
 *
 * Gradients (mlp_backward) are for the mean loss over the batch plus the optional L2 term
 * (l2/2B)·Σ‖W‖² (the convention of scikit-learn's `alpha`, biases not penalised).
 *
 * Memory: mlp_create/mlp_decode return a network the caller frees with mlp_free. A
 * mlp_work holds the per-batch buffers for one batch size; one per thread.
 */
#ifndef NQ_NEURO_MLP_H
#define NQ_NEURO_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum nn_act {
    NN_ACT_LINEAR = 0,
    NN_ACT_RELU = 1,
    NN_ACT_SIGMOID = 2,
    NN_ACT_TANH = 3,
    NN_ACT_SOFTMAX = 4,
    NN_ACT_SWISH = 5,
    NN_ACT_COUNT
} nn_act;

typedef enum nn_loss {
    NN_LOSS_MSE = 0,
    NN_LOSS_CROSS_ENTROPY = 1,
    NN_LOSS_BCE = 2,
    NN_LOSS_HUBER = 3,
    NN_LOSS_COUNT
} nn_loss;

/* Name <-> enum. Names are matched case-insensitively and accept the upstream spellings
 * ("ReLU", "Softmax", "MeanSquaredError", "CrossEntropy", "BinaryCrossEntropy", "Huber") and
 * short ones ("relu", "mse", "ce", "bce"). -1 if unknown. */
int nn_act_parse(const char *s);
const char *nn_act_name(nn_act a);
int nn_loss_parse(const char *s);
const char *nn_loss_name(nn_loss l);

typedef struct nn_layer {
    int in, out;
    nn_act act;
    float *W; /* in×out, row-major */
    float *b; /* out */
} nn_layer;

typedef struct mlp {
    int n_in;
    int n_layers;
    nn_layer *layers;
    nn_loss loss;
    float huber_delta; /* Huber's δ (default 1) */
    float *in_mean;    /* n_in, or NULL: no input scaling */
    float *in_scale;   /* n_in: x' = (x − mean) · scale */
} mlp;

/* Limits of the model format and of mlp_create. */
#define MLP_MAX_LAYERS 64
#define MLP_MAX_UNITS (1 << 20)
#define MLP_MAX_PARAMS ((uint64_t)1 << 28)

/* A network with n_in inputs and n_layers layers of sizes[i] units and activation acts[i].
 * Weights are initialised from rng seed: He (normal, σ² = 2/in) before ReLU and Swish, Xavier/
 * Glorot (uniform, ±√(6/(in+out))) otherwise; biases 0. Checks the loss against the output
 * activation (CrossEntropy needs Softmax, BinaryCrossEntropy needs Sigmoid). */
int mlp_create(mlp **out, int n_in, int n_layers, const int *sizes, const nn_act *acts,
               nn_loss loss, uint64_t seed, nq_err *e);
void mlp_free(mlp *m);
/* A deep copy (e.g. the best weights seen by early stopping). */
int mlp_clone(const mlp *m, mlp **out, nq_err *e);
/* Copy the parameters of src into dst (same shapes). */
void mlp_copy_params(mlp *dst, const mlp *src);
uint64_t mlp_param_count(const mlp *m);
int mlp_n_out(const mlp *m);
/* Attach an input scaler (copies mean and scale, n_in each); NULL mean removes it. */
int mlp_set_scaler(mlp *m, const float *mean, const float *scale, nq_err *e);

/* Per-batch buffers for batches of up to max_batch rows. */
typedef struct mlp_work {
    int max_batch;
    float **Z;      /* per layer: pre-activations, B×out */
    float **A;      /* per layer: activations, B×out */
    float **dW;     /* per layer: gradient of W, in×out */
    float **db;     /* per layer: gradient of b, out */
    float *delta;   /* B×max width: dL/dZ of the current layer */
    float *delta2;  /* B×max width: the one below */
    float *scratch; /* transposes for the backward products */
    float *xs;      /* B×n_in: scaled inputs */
    const float *in0; /* the input of layer 1 in the last forward pass (xs or the caller's X) */
} mlp_work;

int mlp_work_init(mlp_work *w, const mlp *m, int max_batch, nq_err *e);
void mlp_work_free(mlp_work *w, const mlp *m);

/* Forward pass of B ≤ w->max_batch rows of X (B×n_in, raw: the scaler is applied when the
 * model has one). The output activations are w->A[n_layers-1] (B×n_out). */
void mlp_forward(const mlp *m, mlp_work *w, const float *X, int B);
/* The mean loss over the batch of the last forward pass against Y (B×n_out), without the L2
 * term; summed in double. */
double mlp_loss(const mlp *m, const mlp_work *w, const float *Y, int B);
/* The L2 term (l2 / 2B)·Σ‖W‖². */
double mlp_l2_term(const mlp *m, float l2, int B);
/* Gradients of mean loss + L2 term into w->dW, w->db, after mlp_forward on the same X (which
 * must still be there: without a scaler layer 1 reads it in place). */
void mlp_backward(const mlp *m, mlp_work *w, const float *Y, int B, float l2);

/* Predict n rows of X (raw) into out (n×n_out), in batches; 0 or NQ_ENOMEM. */
int mlp_predict(const mlp *m, const float *X, int n, float *out, nq_err *e);
/* The class of one output row: argmax for n_out > 1, (a ≥ 0.5) for a single output. */
int mlp_argmax(const float *row, int n_out);

/* The model's bytes (docs/neuromorphic.md, "Model format"): magic "NQNN", version, shapes,
 * activations, loss, the scaler, parameters as little-endian float32, CRC-32C of everything
 * before it. *buf is malloc'd; the caller frees it. */
int mlp_encode(const mlp *m, uint8_t **buf, size_t *len, nq_err *e);
/* Decode bytes from mlp_encode. Anything else (short, wrong magic or version, bad CRC, an
 * unknown activation or loss, shapes over the limits or inconsistent with the length,
 * non-finite numbers) gives NQ_ECORRUPT with a message naming the offset; never reads past
 * len. */
int mlp_decode(const uint8_t *buf, size_t len, mlp **out, nq_err *e);

#endif
