/*
 * neural_jobs.c — background training jobs of the REST API (see neural_jobs.h).
 */
#include "neural_jobs.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"

typedef enum nj_state { NJ_QUEUED, NJ_RUNNING, NJ_COMPLETED, NJ_FAILED, NJ_CANCELLED } nj_state;
static const char *const nj_state_names[] = {"Queued", "Running", "Completed", "Failed",
                                             "Cancelled"};

typedef struct nj_job {
    struct neural_jobs *reg;
    char id[37];
    char name[129];
    nj_state state;
    int total_epochs, done_epochs;
    mlp_epoch *hist; /* total_epochs entries, the first done_epochs valid */
    double initial_loss;
    time_t started, finished;
    char error[NQ_ERRMSG_MAX];
    size_t model_bytes;
    int stored;
    /* owned by the thread while it runs */
    mlp *m;
    float *X, *Y;
    int n;
    mlp_train_cfg cfg;
    atomic_int cancel;
    pthread_t thread;
    int joinable;
} nj_job;

struct neural_jobs {
    pthread_mutex_t mu;
    pthread_mutex_t db_mu; /* the engine connection is used by one thread at a time */
    nq_db *db;
    nj_job *jobs[NJ_MAX_JOBS];
    int running;
};

static void iso_time(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void job_free(nj_job *jb)
{
    if (!jb)
        return;
    mlp_free(jb->m);
    free(jb->X);
    free(jb->Y);
    free(jb->hist);
    free(jb);
}

int neural_jobs_start(nq_db *db, neural_jobs **out, char *err, size_t errlen)
{
    neural_jobs *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    int rc = nq_clone(db, &j->db);
    if (rc) {
        snprintf(err, errlen, "neural jobs: %s", nq_errmsg(db));
        free(j);
        return rc;
    }
    pthread_mutex_init(&j->mu, NULL);
    pthread_mutex_init(&j->db_mu, NULL);
    *out = j;
    return 0;
}

void neural_jobs_stop(neural_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    for (int i = 0; i < NJ_MAX_JOBS; i++)
        if (j->jobs[i])
            atomic_store(&j->jobs[i]->cancel, 1);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < NJ_MAX_JOBS; i++) {
        if (j->jobs[i] && j->jobs[i]->joinable)
            pthread_join(j->jobs[i]->thread, NULL);
        job_free(j->jobs[i]);
    }
    nq_close(j->db);
    pthread_mutex_destroy(&j->mu);
    pthread_mutex_destroy(&j->db_mu);
    free(j);
}

static int on_epoch(void *ctx, const mlp_epoch *ep, int total)
{
    nj_job *jb = ctx;
    (void)total;
    pthread_mutex_lock(&jb->reg->mu);
    if (jb->done_epochs < jb->total_epochs)
        jb->hist[jb->done_epochs++] = *ep;
    pthread_mutex_unlock(&jb->reg->mu);
    return 0;
}

/* Store the model bytes under the job's id; 0 or an engine code with the message in err. */
static int store_model(neural_jobs *j, const char *id, const uint8_t *b, size_t n, char *err,
                       size_t errlen)
{
    pthread_mutex_lock(&j->db_mu);
    nq_tree *t = NULL;
    int rc = nq_begin(j->db, NQ_TXN_WRITE);
    if (!rc)
        rc = nq_tree_open(j->db, NJ_MODEL_TREE, NQ_TREE_CREATE, &t);
    if (!rc)
        rc = nq_put(t, id, strlen(id), b, n, 0);
    if (t)
        nq_tree_close(t);
    if (!rc)
        rc = nq_commit(j->db);
    if (rc) {
        snprintf(err, errlen, "storing the model: %s", nq_errmsg(j->db));
        int mode;
        if (nq_in_txn(j->db, &mode))
            nq_rollback(j->db);
    }
    pthread_mutex_unlock(&j->db_mu);
    return rc;
}

static void *job_main(void *arg)
{
    nj_job *jb = arg;
    neural_jobs *j = jb->reg;
    pthread_mutex_lock(&j->mu);
    jb->state = NJ_RUNNING;
    pthread_mutex_unlock(&j->mu);
    nq_err e;
    nq_err_clear(&e);
    mlp_history h;
    int rc = mlp_train(jb->m, &jb->cfg, jb->X, jb->Y, jb->n, &h, &e);
    mlp_history_free(&h);
    uint8_t *b = NULL;
    size_t bn = 0;
    char serr[NQ_ERRMSG_MAX] = "";
    if (!rc && (rc = mlp_encode(jb->m, &b, &bn, &e)) == 0)
        rc = store_model(j, jb->id, b, bn, serr, sizeof serr);
    free(b);
    pthread_mutex_lock(&j->mu);
    jb->finished = time(NULL);
    if (!rc) {
        jb->state = NJ_COMPLETED;
        jb->model_bytes = bn;
        jb->stored = 1;
    } else {
        jb->state = rc == NQ_EINTERRUPT ? NJ_CANCELLED : NJ_FAILED;
        snprintf(jb->error, sizeof jb->error, "%s", serr[0] ? serr : e.msg);
    }
    j->running--;
    pthread_mutex_unlock(&j->mu);
    /* the training data is not needed any more; the network goes with the job */
    free(jb->X);
    free(jb->Y);
    jb->X = jb->Y = NULL;
    return NULL;
}

int neural_jobs_submit(neural_jobs *j, const char *name, mlp *m, float *X, float *Y, int n,
                       const mlp_train_cfg *cfg, double initial_loss, char id[37], char *err,
                       size_t errlen)
{
    nj_job *jb = calloc(1, sizeof *jb);
    if (jb)
        jb->hist = calloc((size_t)cfg->epochs, sizeof *jb->hist);
    if (!jb || !jb->hist) {
        if (jb)
            free(jb);
        mlp_free(m);
        free(X);
        free(Y);
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    jb->reg = j;
    envelope_uuid(jb->id);
    snprintf(jb->name, sizeof jb->name, "%s", name ? name : "");
    jb->m = m;
    jb->X = X;
    jb->Y = Y;
    jb->n = n;
    jb->cfg = *cfg;
    jb->cfg.progress = on_epoch;
    jb->cfg.progress_ctx = jb;
    jb->cfg.cancel = &jb->cancel;
    atomic_init(&jb->cancel, 0);
    jb->total_epochs = cfg->epochs;
    jb->initial_loss = initial_loss;
    jb->started = time(NULL);
    jb->state = NJ_QUEUED;

    pthread_mutex_lock(&j->mu);
    int slot = -1;
    if (j->running >= NJ_MAX_RUNNING) {
        pthread_mutex_unlock(&j->mu);
        job_free(jb);
        snprintf(err, errlen, "%d trainings are running; try again when one has finished",
                 NJ_MAX_RUNNING);
        return NQ_EBUSY;
    }
    for (int i = 0; i < NJ_MAX_JOBS && slot < 0; i++)
        if (!j->jobs[i])
            slot = i;
    if (slot < 0) { /* forget the oldest finished job */
        time_t oldest = 0;
        for (int i = 0; i < NJ_MAX_JOBS; i++) {
            nj_job *o = j->jobs[i];
            if (o->state >= NJ_COMPLETED && (slot < 0 || o->finished < oldest)) {
                slot = i;
                oldest = o->finished;
            }
        }
        /* a finished job's thread has returned or is returning: join it outside nothing */
        if (slot >= 0) {
            nj_job *o = j->jobs[slot];
            if (o->joinable)
                pthread_join(o->thread, NULL);
            job_free(o);
            j->jobs[slot] = NULL;
        }
    }
    if (slot < 0) {
        pthread_mutex_unlock(&j->mu);
        job_free(jb);
        snprintf(err, errlen, "no free job slot");
        return NQ_EBUSY;
    }
    j->jobs[slot] = jb;
    j->running++;
    if (pthread_create(&jb->thread, NULL, job_main, jb) != 0) {
        j->jobs[slot] = NULL;
        j->running--;
        pthread_mutex_unlock(&j->mu);
        job_free(jb);
        snprintf(err, errlen, "cannot start a training thread");
        return NQ_ENOMEM;
    }
    jb->joinable = 1;
    memcpy(id, jb->id, 37);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

json_t *neural_jobs_status(neural_jobs *j, const char *id)
{
    json_t *d = NULL;
    pthread_mutex_lock(&j->mu);
    for (int i = 0; i < NJ_MAX_JOBS; i++) {
        nj_job *jb = j->jobs[i];
        if (!jb || strcmp(jb->id, id))
            continue;
        d = json_object();
        char ts[32];
        json_object_set_new(d, "network_id", json_string(jb->id));
        json_object_set_new(d, "network_name", json_string(jb->name));
        json_object_set_new(d, "training_status", json_string(nj_state_names[jb->state]));
        json_object_set_new(d, "initial_loss", num_or_null(jb->initial_loss));
        const mlp_epoch *last = jb->done_epochs ? &jb->hist[jb->done_epochs - 1] : NULL;
        json_object_set_new(d, "current_loss", last ? num_or_null(last->loss) : json_null());
        json_object_set_new(d, "final_loss", jb->state == NJ_COMPLETED && last
                                                 ? num_or_null(last->loss)
                                                 : json_null());
        json_object_set_new(d, "accuracy", last ? num_or_null(last->acc) : json_null());
        json_object_set_new(d, "validation_loss", last ? num_or_null(last->val_loss)
                                                       : json_null());
        json_object_set_new(d, "epochs_completed", json_integer(jb->done_epochs));
        json_object_set_new(d, "total_epochs", json_integer(jb->total_epochs));
        iso_time(jb->started, ts);
        json_object_set_new(d, "training_started_at", json_string(ts));
        if (jb->state >= NJ_COMPLETED) {
            iso_time(jb->finished, ts);
            json_object_set_new(d, "training_finished_at", json_string(ts));
        } else
            json_object_set_new(d, "training_finished_at", json_null());
        json_t *hist = json_array();
        for (int k = 0; k < jb->done_epochs; k++) {
            json_t *o = json_object();
            json_object_set_new(o, "epoch", json_integer(jb->hist[k].epoch));
            json_object_set_new(o, "loss", num_or_null(jb->hist[k].loss));
            json_object_set_new(o, "accuracy", num_or_null(jb->hist[k].acc));
            json_object_set_new(o, "validation_loss", num_or_null(jb->hist[k].val_loss));
            json_object_set_new(o, "validation_accuracy", num_or_null(jb->hist[k].val_acc));
            json_array_append_new(hist, o);
        }
        json_object_set_new(d, "history", hist);
        json_object_set_new(d, "error", jb->error[0] ? json_string(jb->error) : json_null());
        if (jb->stored) {
            json_object_set_new(d, "model_bytes", json_integer((json_int_t)jb->model_bytes));
            json_object_set_new(d, "model_tree", json_string(NJ_MODEL_TREE));
        }
        break;
    }
    pthread_mutex_unlock(&j->mu);
    return d;
}
