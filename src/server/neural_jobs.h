/*
 * neural_jobs.h — the server's training jobs for POST /api/v1/neural/train (h_neural.c): each
 * job trains one network on its own thread while the status route reads its progress, and a
 * finished network's bytes are stored in the database, in the key/value tree "neuro:models"
 * keyed by the network id, through an engine connection of the registry's own. A job trains
 * either a dense network (src/neuro/mlp_train.h; stored with mlp_encode) or a NeuromorphicSTDP
 * classifier — an unsupervised spiking layer trained by STDP, then a dense readout on its spike
 * counts (src/neuro/stdp_model.h; stored with nn_stdp_model_encode, magic "NQSN").
 *
 * Status persistence: every job's status document (the JSON the status route answers) is also
 * stored, in the tree "neuro:jobs" keyed by the network id — when the job starts, after an
 * epoch or STDP pass at most once a second (and not more often than its size warrants), and
 * when it ends — so it survives a restart. A job whose stored status still says Queued or
 * Running when the registry starts was interrupted (the server stopped or crashed before it
 * ended): it is rewritten as Failed, "interrupted": true, with an error naming the epochs it
 * completed, and is never reported as running again. A clean shutdown cancels running jobs,
 * which end the same way (Failed, interrupted) and are stored before the server exits. The
 * status route answers from memory for the last NJ_MAX_JOBS jobs and from the tree for older
 * ones and those of earlier runs.
 *
 * The registry keeps the last NJ_MAX_JOBS jobs in memory (the oldest finished one is forgotten
 * when a new one needs its slot; its stored model and status stay) and runs at most
 * NJ_MAX_RUNNING at once (more is a 503: the machine's cores are the limit). Every field a
 * status reads is written under the registry's mutex; the training thread holds it only to
 * copy an epoch's figures. neural_jobs_stop cancels the running jobs (mlp_train's cancel flag:
 * they stop after the current mini-batch, or STDP pass) and joins their threads.
 */
#ifndef NQ_SERVER_NEURAL_JOBS_H
#define NQ_SERVER_NEURAL_JOBS_H

#include <jansson.h>

#include "neuro/mlp.h"
#include "neuro/mlp_train.h"
#include "neuro/stdp_model.h"
#include "nqdb.h"
#include "sql/exec_learn.h"

#define NJ_MAX_JOBS 64
#define NJ_MAX_RUNNING 2
#define NJ_MODEL_TREE NM_MODEL_TREE /* sql/exec_learn.h: predict_pattern() reads it */
#define NJ_JOB_TREE "neuro:jobs"       /* the status documents */

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

/* A NeuromorphicSTDP job: stdp_epochs unsupervised passes of the spiking layer (sc), then the
 * readout (n_readout layers sizes/acts, loss) trained with cfg on the spike counts. Takes
 * ownership of X and Y in every case. Returns as neural_jobs_submit. */
typedef struct nj_stdp_spec {
    nn_stdp_cfg sc;
    int stdp_epochs;
    int n_in, n_readout;
    int sizes[MLP_MAX_LAYERS];
    nn_act acts[MLP_MAX_LAYERS];
    nn_loss loss;
} nj_stdp_spec;
int neural_jobs_submit_stdp(neural_jobs *j, const char *name, const nj_stdp_spec *spec,
                            float *X, float *Y, int n, const mlp_train_cfg *cfg, char id[37],
                            char *err, size_t errlen);

/* The status document of a job (a new reference), or NULL when the id is unknown. */
json_t *neural_jobs_status(neural_jobs *j, const char *id);

#endif
