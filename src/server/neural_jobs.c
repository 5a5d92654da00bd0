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

typedef enum nj_state { NJ_QUEUED, NJ_RUNNING, NJ_COMPLETED, NJ_FAILED } nj_state;
static const char *const nj_state_names[] = {"Queued", "Running", "Completed", "Failed"};

typedef struct nj_job {
    struct neural_jobs *reg;
    char id[37];
    char name[129];
    nj_state state;
    int stdp;        /* a NeuromorphicSTDP job (spec), else a dense network (m) */
    int total_epochs, done_epochs;
    mlp_epoch *hist; /* total_epochs entries, the first done_epochs valid */
    double initial_loss;
    int stdp_passes, stdp_done; /* NeuromorphicSTDP: unsupervised passes, total and done */
    double spikes;              /* output spikes per sample in the last pass */
    time_t started, finished;
    char error[NQ_ERRMSG_MAX];
    int interrupted;
    size_t model_bytes;
    int stored;
    double next_persist; /* monotonic time of the next throttled status write */
    /* owned by the thread while it runs */
    mlp *m;
    nj_stdp_spec *spec;
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

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void job_free(nj_job *jb)
{
    if (!jb)
        return;
    mlp_free(jb->m);
    free(jb->spec);
    free(jb->X);
    free(jb->Y);
    free(jb->hist);
    free(jb);
}

/* Put (key, value) into tree in a transaction of its own; 0 or an engine code with the message
 * in err (err may be NULL). */
static int kv_put(neural_jobs *j, const char *tree, const char *key, const void *b, size_t n,
                  char *err, size_t errlen)
{
    pthread_mutex_lock(&j->db_mu);
    nq_tree *t = NULL;
    int rc = nq_begin(j->db, NQ_TXN_WRITE);
    if (!rc)
        rc = nq_tree_open(j->db, tree, NQ_TREE_CREATE, &t);
    if (!rc)
        rc = nq_put(t, key, strlen(key), b, n, 0);
    if (t)
        nq_tree_close(t);
    if (!rc)
        rc = nq_commit(j->db);
    if (rc) {
        if (err)
            snprintf(err, errlen, "%s", nq_errmsg(j->db));
        int mode;
        if (nq_in_txn(j->db, &mode))
            nq_rollback(j->db);
    }
    pthread_mutex_unlock(&j->db_mu);
    return rc;
}

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* The status document of a job; called with the registry's mutex held. */
static json_t *status_doc(const nj_job *jb)
{
    json_t *d = json_object();
    char ts[32];
    json_object_set_new(d, "network_id", json_string(jb->id));
    json_object_set_new(d, "network_name", json_string(jb->name));
    json_object_set_new(d, "architecture", json_string(jb->stdp ? "NeuromorphicSTDP" : "Dense"));
    json_object_set_new(d, "training_status", json_string(nj_state_names[jb->state]));
    json_object_set_new(d, "initial_loss", num_or_null(jb->initial_loss));
    const mlp_epoch *last = jb->done_epochs ? &jb->hist[jb->done_epochs - 1] : NULL;
    json_object_set_new(d, "current_loss", last ? num_or_null(last->loss) : json_null());
    json_object_set_new(d, "final_loss", jb->state == NJ_COMPLETED && last
                                             ? num_or_null(last->loss)
                                             : json_null());
    json_object_set_new(d, "accuracy", last ? num_or_null(last->acc) : json_null());
    json_object_set_new(d, "validation_loss", last ? num_or_null(last->val_loss) : json_null());
    json_object_set_new(d, "epochs_completed", json_integer(jb->done_epochs));
    json_object_set_new(d, "total_epochs", json_integer(jb->total_epochs));
    if (jb->stdp) {
        const char *phase = jb->state >= NJ_COMPLETED         ? NULL
                            : jb->stdp_done < jb->stdp_passes ? "stdp"
                                                              : "readout";
        json_object_set_new(d, "phase", phase ? json_string(phase) : json_null());
        json_object_set_new(d, "stdp_passes_completed", json_integer(jb->stdp_done));
        json_object_set_new(d, "stdp_passes", json_integer(jb->stdp_passes));
        json_object_set_new(d, "spikes_per_sample",
                            jb->stdp_done ? num_or_null(jb->spikes) : json_null());
    }
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
    json_object_set_new(d, "interrupted", json_boolean(jb->interrupted));
    if (jb->stored) {
        json_object_set_new(d, "model_bytes", json_integer((json_int_t)jb->model_bytes));
        json_object_set_new(d, "model_tree", json_string(NJ_MODEL_TREE));
    }
    return d;
}

/* Store the job's status document: always with force, else at most once a second and not more
 * often than one second per MB of document (a long history is not rewritten every epoch). */
static void persist(neural_jobs *j, nj_job *jb, int force)
{
    double now = mono_s();
    if (!force && now < jb->next_persist)
        return;
    pthread_mutex_lock(&j->mu);
    json_t *d = status_doc(jb);
    pthread_mutex_unlock(&j->mu);
    char *txt = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    if (!txt)
        return;
    size_t len = strlen(txt);
    (void)kv_put(j, NJ_JOB_TREE, jb->id, txt, len, NULL, 0); /* best effort: memory has it */
    double gap = (double)len / 1e6;
    jb->next_persist = mono_s() + (gap > 1.0 ? gap : 1.0);
    free(txt);
}

/* Stored statuses that still say Queued or Running belong to jobs the server never finished
 * (it stopped or crashed under them): rewrite them as Failed, interrupted. */
static void recover(neural_jobs *j)
{
    nq_tree *t = NULL;
    if (nq_tree_open(j->db, NJ_JOB_TREE, 0, &t) != 0)
        return; /* no jobs stored yet */
    nq_cursor *c = NULL;
    char **keys = NULL, **docs = NULL;
    size_t n = 0, cap = 0;
    if (nq_cursor_open(t, &c) == 0) {
        for (int rc = nq_cursor_first(c); rc == 0; rc = nq_cursor_next(c)) {
            size_t kl, vl;
            const void *k = nq_cursor_key(c, &kl), *v = nq_cursor_value(c, &vl);
            json_t *d = json_loadb(v, vl, 0, NULL);
            const char *st = d ? json_string_value(json_object_get(d, "training_status")) : NULL;
            if (st && (!strcmp(st, "Queued") || !strcmp(st, "Running"))) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "interrupted: the server stopped before the training finished (%lld of "
                         "%lld epochs completed)",
                         (long long)json_integer_value(json_object_get(d, "epochs_completed")),
                         (long long)json_integer_value(json_object_get(d, "total_epochs")));
                json_object_set_new(d, "training_status", json_string("Failed"));
                json_object_set_new(d, "interrupted", json_true());
                json_object_set_new(d, "error", json_string(msg));
                json_object_set_new(d, "final_loss", json_null());
                if (json_object_get(d, "phase"))
                    json_object_set_new(d, "phase", json_null());
                if (n == cap) {
                    cap = cap ? 2 * cap : 8;
                    char **nk = realloc(keys, cap * sizeof *nk), **nd;
                    if (nk)
                        keys = nk;
                    nd = nk ? realloc(docs, cap * sizeof *nd) : NULL;
                    if (nd)
                        docs = nd;
                    if (!nk || !nd) {
                        json_decref(d);
                        break;
                    }
                }
                keys[n] = strndup(k, kl);
                docs[n] = json_dumps(d, JSON_COMPACT);
                if (keys[n] && docs[n])
                    n++;
                else {
                    free(keys[n]);
                    free(docs[n]);
                }
            }
            json_decref(d);
        }
        nq_cursor_close(c);
    }
    nq_tree_close(t);
    for (size_t i = 0; i < n; i++) {
        (void)kv_put(j, NJ_JOB_TREE, keys[i], docs[i], strlen(docs[i]), NULL, 0);
        free(keys[i]);
        free(docs[i]);
    }
    free(keys);
    free(docs);
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
    recover(j);
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
    persist(jb->reg, jb, 0);
    return 0;
}

static int on_pass(void *ctx, int pass, int passes, double spikes)
{
    nj_job *jb = ctx;
    (void)passes;
    pthread_mutex_lock(&jb->reg->mu);
    jb->stdp_done = pass;
    jb->spikes = spikes;
    pthread_mutex_unlock(&jb->reg->mu);
    persist(jb->reg, jb, 0);
    return atomic_load(&jb->cancel);
}

static void *job_main(void *arg)
{
    nj_job *jb = arg;
    neural_jobs *j = jb->reg;
    pthread_mutex_lock(&j->mu);
    jb->state = NJ_RUNNING;
    pthread_mutex_unlock(&j->mu);
    persist(j, jb, 1);
    nq_err e;
    nq_err_clear(&e);
    uint8_t *b = NULL;
    size_t bn = 0;
    int rc;
    if (jb->stdp) {
        const nj_stdp_spec *sp = jb->spec;
        nn_stdp_model *sm = NULL;
        nn_stdp_report rep;
        double init = NAN;
        rc = nn_stdp_fit(&sp->sc, sp->stdp_epochs, &jb->cfg, on_pass, jb, sp->n_readout,
                         sp->sizes, sp->acts, sp->loss, sp->n_in, jb->X, jb->Y, jb->n, &sm, &rep,
                         &init, &e);
        mlp_history_free(&rep.history);
        pthread_mutex_lock(&j->mu);
        jb->initial_loss = init;
        pthread_mutex_unlock(&j->mu);
        if (!rc)
            rc = nn_stdp_model_encode(sm, &b, &bn, &e);
        nn_stdp_model_free(sm);
    } else {
        mlp_history h;
        rc = mlp_train(jb->m, &jb->cfg, jb->X, jb->Y, jb->n, &h, &e);
        mlp_history_free(&h);
        if (!rc)
            rc = mlp_encode(jb->m, &b, &bn, &e);
    }
    char serr[NQ_ERRMSG_MAX] = "";
    if (!rc && (rc = kv_put(j, NJ_MODEL_TREE, jb->id, b, bn, serr, sizeof serr)) != 0) {
        char tmp[NQ_ERRMSG_MAX];
        snprintf(tmp, sizeof tmp, "storing the model: %s", serr);
        memcpy(serr, tmp, sizeof serr);
    }
    free(b);
    pthread_mutex_lock(&j->mu);
    jb->finished = time(NULL);
    if (!rc) {
        jb->state = NJ_COMPLETED;
        jb->model_bytes = bn;
        jb->stored = 1;
    } else {
        jb->state = NJ_FAILED;
        if (rc == NQ_EINTERRUPT) {
            jb->interrupted = 1;
            snprintf(jb->error, sizeof jb->error,
                     "interrupted: the server shut down during training (%d of %d epochs "
                     "completed)", jb->done_epochs, jb->total_epochs);
        } else
            snprintf(jb->error, sizeof jb->error, "%s", serr[0] ? serr : e.msg);
    }
    pthread_mutex_unlock(&j->mu);
    persist(j, jb, 1);
    pthread_mutex_lock(&j->mu);
    j->running--;
    pthread_mutex_unlock(&j->mu);
    /* the training data is not needed any more; the network goes with the job */
    free(jb->X);
    free(jb->Y);
    jb->X = jb->Y = NULL;
    return NULL;
}

/* A job for epochs readout/network epochs; takes X and Y (freed on failure). */
static nj_job *job_new(const char *name, float *X, float *Y, int n, const mlp_train_cfg *cfg)
{
    nj_job *jb = calloc(1, sizeof *jb);
    if (jb)
        jb->hist = calloc((size_t)cfg->epochs, sizeof *jb->hist);
    if (!jb || !jb->hist) {
        free(jb);
        free(X);
        free(Y);
        return NULL;
    }
    envelope_uuid(jb->id);
    snprintf(jb->name, sizeof jb->name, "%s", name ? name : "");
    jb->X = X;
    jb->Y = Y;
    jb->n = n;
    jb->cfg = *cfg;
    jb->cfg.progress = on_epoch;
    jb->cfg.progress_ctx = jb;
    jb->cfg.cancel = &jb->cancel;
    atomic_init(&jb->cancel, 0);
    jb->total_epochs = cfg->epochs;
    jb->initial_loss = NAN;
    jb->started = time(NULL);
    jb->state = NJ_QUEUED;
    return jb;
}

/* Give jb a slot and a thread (jb is freed on failure). */
static int job_launch(neural_jobs *j, nj_job *jb, char id[37], char *err, size_t errlen)
{
    jb->reg = j;
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
    if (slot < 0) { /* forget the oldest finished job (its status stays in the tree) */
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

int neural_jobs_submit(neural_jobs *j, const char *name, mlp *m, float *X, float *Y, int n,
                       const mlp_train_cfg *cfg, double initial_loss, char id[37], char *err,
                       size_t errlen)
{
    nj_job *jb = job_new(name, X, Y, n, cfg);
    if (!jb) {
        mlp_free(m);
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    jb->m = m;
    jb->initial_loss = initial_loss;
    return job_launch(j, jb, id, err, errlen);
}

int neural_jobs_submit_stdp(neural_jobs *j, const char *name, const nj_stdp_spec *spec,
                            float *X, float *Y, int n, const mlp_train_cfg *cfg, char id[37],
                            char *err, size_t errlen)
{
    nj_job *jb = job_new(name, X, Y, n, cfg);
    nj_stdp_spec *sp = jb ? malloc(sizeof *sp) : NULL;
    if (!sp) {
        job_free(jb);
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    *sp = *spec;
    jb->spec = sp;
    jb->stdp = 1;
    jb->stdp_passes = spec->stdp_epochs;
    return job_launch(j, jb, id, err, errlen);
}

json_t *neural_jobs_status(neural_jobs *j, const char *id)
{
    json_t *d = NULL;
    pthread_mutex_lock(&j->mu);
    for (int i = 0; i < NJ_MAX_JOBS && !d; i++)
        if (j->jobs[i] && !strcmp(j->jobs[i]->id, id))
            d = status_doc(j->jobs[i]);
    pthread_mutex_unlock(&j->mu);
    if (d)
        return d;
    /* an older job, or one of an earlier run of the server: its stored status */
    pthread_mutex_lock(&j->db_mu);
    nq_tree *t = NULL;
    void *v = NULL;
    size_t vl = 0;
    if (nq_tree_open(j->db, NJ_JOB_TREE, 0, &t) == 0) {
        if (nq_get(t, id, strlen(id), &v, &vl) == 0)
            d = json_loadb(v, vl, 0, NULL);
        nq_tree_close(t);
    }
    pthread_mutex_unlock(&j->db_mu);
    free(v);
    return json_is_object(d) ? d : (json_decref(d), NULL);
}
