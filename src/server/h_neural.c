/*
 * h_neural.c — POST /api/v1/neural/train and GET /api/v1/neural/train/{network_id}
 * (reference 1.13-1.14, made real; docs/api.md "Neural networks").
 *
 * Upstream answered "Queued" with a fixed initial_loss of 0.85 and trained nothing. Here the
 * request's network is built (src/neuro/mlp.h), its initial loss computed on the training
 * data, and a background job (neural_jobs.c) trains it with mini-batches; the status route
 * reports the real progress: epochs completed, the loss and accuracy of every epoch, and when
 * the job is done the stored model's size (tree "neuro:models", keyed by network_id).
 *
 * Request (upstream's): {network_name, training_data: [{input: [f], target: [f], weight?}],
 * config: {layers: [{layer_type, size, activation, dropout?}], learning_rate, epochs,
 * batch_size, optimizer, loss_function}, validation_split?}. `layers` are the layers after the
 * input (its width is the length of the inputs); the last one's size must be the length of the
 * targets. What is not built answers 501 naming it: layer types other than Dense, the
 * SpikingNeuron activation outside a NeuromorphicSTDP network's first layer, SpikeTimingLoss,
 * a dropout other than 0 and sample weights other than 1. Loss and output activation must fit
 * (CrossEntropy needs Softmax, BinaryCrossEntropy Sigmoid): 400.
 *
 * optimizer NeuromorphicSTDP (src/neuro/stdp_model.h): layers[0] is the spiking layer — its
 * size is the number of leaky integrate-and-fire neurons, its activation SpikingNeuron (or
 * absent) — trained without labels by STDP for config.stdp_epochs passes (default 1, at most
 * 100); the remaining layers are the readout, a dense network trained with Adam at
 * learning_rate on the layer's spike counts. The job reports the STDP passes, then the
 * readout's epochs; the stored model predicts from raw inputs (predict_pattern).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neural_jobs.h"
#include "neuro/nn_optim.h"
#include "neuro/stdp_model.h"
#include "server.h"

#define NN_API_MAX_ROWS 1000000
#define NN_API_MAX_EPOCHS 100000
/* NeuromorphicSTDP: a pass is not interruptible, so rows x neurons is bounded (a pass over
 * the limit takes about a minute here) */
#define NN_API_MAX_STDP_WORK 10000000

static int num_array(req *r, json_t *a, const char *what, size_t i, float *out, size_t want)
{
    if (!json_is_array(a))
        return req_failf(r, AE_BAD_REQUEST, "training_data[%zu].%s: must be an array of numbers",
                         i, what);
    if (json_array_size(a) != want)
        return req_failf(r, AE_BAD_REQUEST,
                         "training_data[%zu].%s: %zu values, expected %zu (as in training_data[0])",
                         i, what, json_array_size(a), want);
    for (size_t k = 0; k < want; k++) {
        json_t *v = json_array_get(a, k);
        double d = json_number_value(v);
        if (!json_is_number(v) || !isfinite(d) || fabs(d) > 3e38)
            return req_failf(r, AE_BAD_REQUEST, "training_data[%zu].%s[%zu]: not a finite number",
                             i, what, k);
        out[k] = (float)d;
    }
    return 0;
}

/* optimizer NeuromorphicSTDP: the spiking layer sizes[0], the readout sizes[1..nl-1]. Takes
 * X and Y. */
static int train_stdp(req *r, const char *name, int n_in, int nl, const int *sizes,
                      const nn_act *acts, nn_loss loss, double lr, int epochs, int batch,
                      double vs, int stdp_epochs, float *X, float *Y, int n)
{
    nj_stdp_spec sp;
    memset(&sp, 0, sizeof sp);
    nn_stdp_defaults(&sp.sc);
    sp.sc.n_neurons = sizes[0];
    sp.sc.seed = 1;
    sp.stdp_epochs = stdp_epochs;
    sp.n_in = n_in;
    sp.n_readout = nl - 1;
    for (int l = 1; l < nl; l++) {
        sp.sizes[l - 1] = sizes[l];
        sp.acts[l - 1] = acts[l];
    }
    sp.loss = loss;
    /* the readout's shape and loss are checked now, not in the job */
    nq_err e;
    mlp *probe = NULL;
    if (mlp_create(&probe, sizes[0], nl - 1, sp.sizes, sp.acts, loss, 1, &e)) {
        free(X);
        free(Y);
        return req_fail(r, AE_VALIDATION, "config", e.msg);
    }
    mlp_free(probe);
    if (n - (int)floor(vs * n) < 1) {
        free(X);
        free(Y);
        return req_fail(r, AE_VALIDATION, "validation_split", "leaves no training rows");
    }
    mlp_train_cfg tc;
    mlp_train_defaults(&tc);
    nn_opt_defaults(&tc.opt, NN_OPT_ADAM);
    tc.opt.lr = (float)lr;
    tc.epochs = epochs;
    tc.batch = batch;
    tc.val_split = (float)vs;
    tc.seed = 1;
    char id[37], err[256];
    int rc = neural_jobs_submit_stdp(r->srv->neural, name, &sp, X, Y, n, &tc, id, err,
                                     sizeof err);
    if (rc == NQ_EBUSY)
        return req_fail(r, AE_UNAVAILABLE, "neural training", err);
    if (rc)
        return req_fail(r, AE_INTERNAL, err, NULL);
    json_t *d = neural_jobs_status(r->srv->neural, id);
    if (!d)
        return req_fail(r, AE_INTERNAL, "the job vanished", NULL);
    return req_ok(r, 202, d, "Training of '%s' (NeuromorphicSTDP) started", name);
}

int h_neural_train(req *r)
{
    static const char *const allowed[] = {"network_name", "training_data", "config",
                                          "validation_split", NULL};
    int st = req_body_object(r, allowed);
    if (st)
        return st;
    const char *name;
    json_t *data, *cfg, *layers;
    if ((st = req_string(r, r->json, "network_name", 1, &name)) ||
        (st = req_array(r, r->json, "training_data", 1, &data)) ||
        (st = req_object(r, r->json, "config", 1, &cfg)))
        return st;
    if (strlen(name) > 128)
        return req_fail(r, AE_VALIDATION, "network_name", "at most 128 characters");
    size_t n = json_array_size(data);
    if (n == 0)
        return req_fail(r, AE_BAD_REQUEST, "No training data provided", NULL);
    if (n > NN_API_MAX_ROWS)
        return req_failf(r, AE_BAD_REQUEST, "at most %d training rows", NN_API_MAX_ROWS);
    if ((st = req_array(r, cfg, "layers", 1, &layers)))
        return st;
    size_t nl = json_array_size(layers);
    if (nl < 1 || nl > MLP_MAX_LAYERS)
        return req_failf(r, AE_VALIDATION, "config.layers: 1..%d layers", MLP_MAX_LAYERS);
    const char *on0 = json_string_value(json_object_get(cfg, "optimizer"));
    int stdp = on0 && !strcmp(on0, "NeuromorphicSTDP");
    if (stdp && nl < 2)
        return req_fail(r, AE_VALIDATION, "config.layers",
                        "NeuromorphicSTDP needs the spiking layer and at least one readout layer");
    int sizes[MLP_MAX_LAYERS];
    nn_act acts[MLP_MAX_LAYERS];
    for (size_t l = 0; l < nl; l++) {
        json_t *L = json_array_get(layers, l);
        if (!json_is_object(L))
            return req_failf(r, AE_VALIDATION, "config.layers[%zu]: must be an object", l);
        const char *lt = json_string_value(json_object_get(L, "layer_type"));
        if (lt && strcmp(lt, "Dense"))
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "config.layers[%zu].layer_type %s: not supported yet (Dense is)", l,
                             lt);
        json_t *sz = json_object_get(L, "size");
        if (!json_is_integer(sz) || json_integer_value(sz) < 1 ||
            json_integer_value(sz) > MLP_MAX_UNITS)
            return req_failf(r, AE_VALIDATION, "config.layers[%zu].size: an integer 1..%d", l,
                             MLP_MAX_UNITS);
        sizes[l] = (int)json_integer_value(sz);
        const char *an = json_string_value(json_object_get(L, "activation"));
        if (stdp && l == 0) { /* the spiking layer */
            if (an && strcmp(an, "SpikingNeuron"))
                return req_failf(r, AE_VALIDATION,
                                 "config.layers[0].activation: the spiking layer of a "
                                 "NeuromorphicSTDP network is SpikingNeuron, not %s", an);
            if (sizes[0] > 65536)
                return req_fail(r, AE_VALIDATION, "config.layers[0].size",
                                "at most 65536 spiking neurons");
            acts[0] = NN_ACT_LINEAR;
            continue;
        }
        if (!an)
            return req_failf(r, AE_VALIDATION, "config.layers[%zu].activation: required", l);
        if (!strcmp(an, "SpikingNeuron"))
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "config.layers[%zu].activation SpikingNeuron: not supported yet "
                             "(only as layers[0] with the NeuromorphicSTDP optimizer)", l);
        int a = nn_act_parse(an);
        if (a < 0)
            return req_failf(r, AE_VALIDATION,
                             "config.layers[%zu].activation: unknown \"%s\" (ReLU, Sigmoid, Tanh, "
                             "Softmax, Swish)", l, an);
        acts[l] = (nn_act)a;
        json_t *dr = json_object_get(L, "dropout");
        if (dr && !json_is_null(dr) && json_number_value(dr) != 0.0)
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "config.layers[%zu].dropout: not supported yet", l);
    }
    json_t *lr = json_object_get(cfg, "learning_rate");
    double lrv = json_number_value(lr);
    if (!json_is_number(lr) || !(lrv > 0 && lrv <= 10))
        return req_fail(r, AE_VALIDATION, "config.learning_rate", "a number in (0, 10]");
    uint64_t epochs, batch;
    if ((st = req_uint(r, cfg, "epochs", 1, NN_API_MAX_EPOCHS, &epochs)) ||
        (st = req_uint(r, cfg, "batch_size", 1, NN_API_MAX_ROWS, &batch)))
        return st;
    if (epochs < 1 || batch < 1)
        return req_fail(r, AE_VALIDATION, epochs < 1 ? "config.epochs" : "config.batch_size",
                        "must be at least 1");
    const char *on, *ln;
    if ((st = req_string(r, cfg, "optimizer", 1, &on)) ||
        (st = req_string(r, cfg, "loss_function", 1, &ln)))
        return st;
    uint64_t stdp_epochs = 1;
    if (stdp && (st = req_uint(r, cfg, "stdp_epochs", 0, 100, &stdp_epochs)))
        return st;
    if (!strcmp(ln, "SpikeTimingLoss"))
        return req_fail(r, AE_NOT_IMPLEMENTED, "loss_function SpikeTimingLoss: not supported yet",
                        NULL);
    int opt = stdp ? NN_OPT_ADAM : nn_opt_parse(on), loss = nn_loss_parse(ln);
    if (opt < 0)
        return req_fail(r, AE_VALIDATION, "config.optimizer", "SGD, Adam, AdaGrad or RMSprop");
    if (loss < 0)
        return req_fail(r, AE_VALIDATION, "config.loss_function",
                        "MeanSquaredError, CrossEntropy, BinaryCrossEntropy or Huber");
    double vs = 0;
    json_t *vsj = json_object_get(r->json, "validation_split");
    if (vsj && !json_is_null(vsj)) {
        vs = json_number_value(vsj);
        if (!json_is_number(vsj) || !(vs >= 0 && vs < 1))
            return req_fail(r, AE_VALIDATION, "validation_split", "a number in [0, 1)");
    }

    /* the rows */
    json_t *r0 = json_array_get(data, 0);
    size_t n_in = json_array_size(json_object_get(r0, "input"));
    size_t n_out = json_array_size(json_object_get(r0, "target"));
    if (n_in < 1 || n_in > MLP_MAX_UNITS || n_out < 1)
        return req_fail(r, AE_BAD_REQUEST,
                        "training_data[0]: input and target must be non-empty arrays", NULL);
    if (stdp && (uint64_t)n * (uint64_t)sizes[0] > NN_API_MAX_STDP_WORK)
        return req_failf(r, AE_VALIDATION,
                         "NeuromorphicSTDP: training rows x spiking neurons is at most %d "
                         "(%zu x %d)", NN_API_MAX_STDP_WORK, n, sizes[0]);
    if ((size_t)sizes[nl - 1] != n_out)
        return req_failf(r, AE_VALIDATION,
                         "config.layers: the last layer has %d units, the targets have %zu values",
                         sizes[nl - 1], n_out);
    if ((uint64_t)n * (n_in + n_out) > ((uint64_t)1 << 28))
        return req_fail(r, AE_BAD_REQUEST, "training_data: too many values", NULL);
    float *X = malloc(sizeof(float) * n * n_in), *Y = malloc(sizeof(float) * n * n_out);
    if (!X || !Y) {
        free(X);
        free(Y);
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(data, i);
        if (!json_is_object(row)) {
            free(X);
            free(Y);
            return req_failf(r, AE_BAD_REQUEST, "training_data[%zu]: must be an object", i);
        }
        json_t *w = json_object_get(row, "weight");
        if ((st = num_array(r, json_object_get(row, "input"), "input", i, X + i * n_in, n_in)) ||
            (st = num_array(r, json_object_get(row, "target"), "target", i, Y + i * n_out, n_out))) {
            free(X);
            free(Y);
            return st;
        }
        if (w && !json_is_null(w) && json_number_value(w) != 1.0) {
            free(X);
            free(Y);
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "training_data[%zu].weight: sample weights other than 1 are not "
                             "supported yet", i);
        }
    }
    nq_err e;
    mlp *m;
    uint64_t seed = 1;
    if (stdp)
        return train_stdp(r, name, (int)n_in, (int)nl, sizes, acts, (nn_loss)loss, lrv,
                          (int)epochs, (int)batch, vs, (int)stdp_epochs, X, Y, (int)n);
    if (mlp_create(&m, (int)n_in, (int)nl, sizes, acts, (nn_loss)loss, seed, &e)) {
        free(X);
        free(Y);
        return req_fail(r, AE_VALIDATION, "config", e.msg);
    }
    double init_loss;
    double init_acc;
    if (mlp_evaluate(m, X, Y, (int)n, &init_loss, &init_acc, &e)) {
        mlp_free(m);
        free(X);
        free(Y);
        return req_fail(r, AE_INTERNAL, e.msg, NULL);
    }
    mlp_train_cfg tc;
    mlp_train_defaults(&tc);
    nn_opt_defaults(&tc.opt, (nn_opt_kind)opt);
    tc.opt.lr = (float)lrv;
    tc.epochs = (int)epochs;
    tc.batch = (int)batch;
    tc.val_split = (float)vs;
    tc.seed = seed;
    if (n - (size_t)floor(vs * (double)n) < 1) {
        mlp_free(m);
        free(X);
        free(Y);
        return req_fail(r, AE_VALIDATION, "validation_split", "leaves no training rows");
    }
    char id[37], err[256];
    int rc = neural_jobs_submit(r->srv->neural, name, m, X, Y, (int)n, &tc, init_loss, id, err,
                                sizeof err);
    if (rc == NQ_EBUSY)
        return req_fail(r, AE_UNAVAILABLE, "neural training", err);
    if (rc)
        return req_fail(r, AE_INTERNAL, err, NULL);
    json_t *d = neural_jobs_status(r->srv->neural, id);
    if (!d)
        return req_fail(r, AE_INTERNAL, "the job vanished", NULL);
    return req_ok(r, 202, d, "Training of '%s' started", name);
}

int h_neural_status(req *r)
{
    json_t *d = neural_jobs_status(r->srv->neural, r->params[0]);
    if (!d)
        return req_failf(r, AE_NOT_FOUND, "training job %s", r->params[0]);
    return req_ok(r, 200, d, "Training status of %s", r->params[0]);
}
