/*
 * neural_jobs.h — the server's training jobs for POST /api/v1/neural/train (h_neural.c): each
 * job trains one dense network (src/neuro/mlp_train.h) on its own thread while the status
 * route reads its progress, and a finished network's bytes (mlp_encode) are stored in the
 * database, in the key/value tree "neuro:models" keyed by the network id, through an engine
 * connection of the registry's own.
 *
 * The registry keeps the last NJ_MAX_JOBS jobs (the oldest finished one is forgotten when a
 * new one needs its slot; the stored model stays) and runs at most NJ_MAX_RUNNING at once
 * (more is a 503: the machine's cores are the limit). Every field a status reads is written
 * under the registry's mutex; the training thread holds it only to copy an epoch's figures.
 * neural_jobs_stop cancels the running jobs (mlp_train's cancel flag: they stop after the
 * current mini-batch) and joins their threads.
 */
#ifndef NQ_SERVER_NEURAL_JOBS_H
#define NQ_SERVER_NEURAL_JOBS_H

#include <jansson.h>

#include "neuro/mlp.h"
#include "neuro/mlp_train.h"
#include "nqdb.h"
#include "sql/exec_learn.h"

#define NJ_MAX_JOBS 64
#define NJ_MAX_RUNNING 2
#define NJ_MODEL_TREE NM_MODEL_TREE /* sql/exec_learn.h: predict_pattern() reads it */

typedef struct neural_jobs neural_jobs;

/* A registry with its own engine connection (nq_clone of db). */
int neural_jobs_start(nq_db *db, neural_jobs **out, char *err, size_t errlen);
void neural_jobs_stop(neural_jobs *j);

/* Start training m on n rows X (n×n_in), Y (n×n_out) with cfg (its progress and cancel fields
 * are the registry's). Takes ownership of m, X and Y in every case. id receives the network id
 * (a UUID). 0, NQ_EBUSY (too many running: err says so) or NQ_ENOMEM. */
int neural_jobs_submit(neural_jobs *j, const char *name, mlp *m, float *X, float *Y, int n,
                       const mlp_train_cfg *cfg, double initial_loss, char id[37], char *err,
                       size_t errlen);

/* The status document of a job (a new reference), or NULL when the id is unknown. */
json_t *neural_jobs_status(neural_jobs *j, const char *id);

#endif
