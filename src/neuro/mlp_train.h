/*
 * mlp_train.h — training an mlp with mini-batches: seeded shuffling, a validation split,
 * optional early stopping, a per-epoch history, a progress callback and cancellation.
 *
 * Each epoch visits the training rows in a fresh permutation (drawn from cfg.seed, so a run
 * replays exactly), gathers each mini-batch of cfg.batch rows into contiguous buffers, runs
 * forward, backward and one optimizer step. The epoch's training loss is the mean of the batch
 * losses weighted by batch size (as scikit-learn reports it), its accuracy the fraction of
 * rows whose predicted class (mlp_argmax) matched the target's, both measured while the
 * weights moved. With cfg.val_split > 0 a seeded fraction of the rows is held out before
 * training and evaluated after every epoch with the epoch's final weights.
 *
 * Early stopping (cfg.patience > 0): the monitored loss is the validation loss when there is a
 * validation set, else the training loss; after `patience` epochs without an improvement of
 * at least cfg.tol the run stops and the best weights seen are restored.
 *
 * Cancellation: the run stops after the current mini-batch when *cfg.cancel becomes non-zero
 * or when the progress callback (called after every epoch) returns non-zero; mlp_train then
 * returns NQ_EINTERRUPT and the history holds the completed epochs.
 */
#ifndef NQ_NEURO_MLP_TRAIN_H
#define NQ_NEURO_MLP_TRAIN_H

#include <stdatomic.h>
#include <stdint.h>

#include "mlp.h"
#include "nn_optim.h"

typedef struct mlp_epoch {
    int epoch;       /* 1-based */
    double loss;     /* mean training loss (without the L2 term) */
    double acc;      /* training accuracy during the epoch */
    double val_loss; /* NaN without a validation set */
    double val_acc;  /* NaN without a validation set */
    double seconds;  /* wall time of the epoch (training + validation) */
} mlp_epoch;

/* Called after each epoch; return non-zero to stop (cancel). */
typedef int (*mlp_progress_fn)(void *ctx, const mlp_epoch *ep, int total_epochs);

typedef struct mlp_train_cfg {
    nn_opt_cfg opt;
    int epochs;
    int batch;
    uint64_t seed;
    float val_split; /* 0 ≤ x < 1 */
    int patience;    /* 0: no early stopping */
    float tol;       /* improvement that resets patience (default 1e-4 via mlp_train_defaults) */
    float l2;        /* L2 penalty (scikit-learn's alpha) */
    mlp_progress_fn progress;
    void *progress_ctx;
    atomic_int *cancel; /* optional */
} mlp_train_cfg;

/* Adam with its defaults, 10 epochs, batches of 32, seed 1, no validation, no early stopping. */
void mlp_train_defaults(mlp_train_cfg *c);

typedef struct mlp_history {
    int n;            /* completed epochs */
    mlp_epoch *ep;    /* n entries (malloc'd; mlp_history_free) */
    int best_epoch;   /* the epoch whose weights the model holds after early stopping, else n */
    int stopped_early;
    int cancelled;
    int n_train, n_val;
} mlp_history;

/* Train m on n rows: X (n×n_in, raw inputs: the model's scaler applies) and Y (n×n_out
 * targets: one-hot rows for classification). h may be NULL. 0, NQ_EINTERRUPT (cancelled; the
 * model holds the weights of the last completed step), or NQ_EINVAL/NQ_ENOMEM with a message. */
int mlp_train(mlp *m, const mlp_train_cfg *cfg, const float *X, const float *Y, int n,
              mlp_history *h, nq_err *e);
void mlp_history_free(mlp_history *h);

/* Mean loss and accuracy of m on n rows (for test sets). */
int mlp_evaluate(const mlp *m, const float *X, const float *Y, int n, double *loss, double *acc,
                 nq_err *e);

#endif
