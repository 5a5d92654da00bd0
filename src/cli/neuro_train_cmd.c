/*
 * neuro_train_cmd.c — `nqdb neuro train|predict|datasets` (see neuro_cmds.h): the trainable
 * networks of src/neuro (mlp.h, mlp_train.h) on the scikit-learn data sets (dataset.h).
 *
 *   nqdb neuro datasets [--data-dir DIR] [--json]
 *       the known data sets, whether their files are there, and their sizes
 *   nqdb neuro train --dataset NAME [--layers 64,10] [--activation relu] [--loss L]
 *                    [--output-activation A] [--optimizer adam] [--epochs N] [--batch B]
 *                    [--lr X] [--l2 X] [--seed S] [--test-split F] [--val-split F]
 *                    [--patience P] [--data-dir DIR] [--out MODEL] [--json]
 *       seeded stratified split, standardisation fitted on the training rows (stored in the
 *       model), training with a line per epoch, then the test accuracy; --out writes the
 *       model's bytes (mlp_encode) through a temporary file renamed into place
 *   nqdb neuro predict --model MODEL --input CSV [--json]
 *       one line per input row: row number, class, the class's output
 *
 * The data directory is --data-dir, else $NQ_SKLEARN_DATA, else Debian's location.
 * Exit 0 ok; 1 a damaged model file or a run that diverged; 2 bad usage or unreadable input.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "neuro/dataset.h"
#include "neuro/mlp.h"
#include "neuro/mlp_train.h"
#include "neuro/nn_optim.h"
#include "neuro/stdp_layer.h"
#include "neuro_cmds.h"
#include "sqlout.h"

static void usage(FILE *f, const char *sub)
{
    if (!strcmp(sub, "datasets"))
        fprintf(f, "usage: nqdb neuro datasets [--data-dir DIR] [--json]\n"
                   "  List the data sets (scikit-learn's, from python3-sklearn) with their rows,\n"
                   "  features and classes, and whether their files were found.\n");
    else if (!strcmp(sub, "train"))
        fprintf(f,
                "usage: nqdb neuro train --dataset NAME [options]\n"
                "  Train a dense network on digits, iris, wine or breast_cancer (75/25 stratified\n"
                "  split by default) and report per-epoch loss/accuracy and the test accuracy.\n"
                "  --layers N,N,...     sizes of the layers after the input; the last is the\n"
                "                       output and must equal the class count (default 64,K)\n"
                "  --activation A       hidden layers: relu (default), sigmoid, tanh, swish,\n"
                "                       softmax, linear\n"
                "  --loss L             cross-entropy (default), mse, bce, huber\n"
                "  --output-activation A  default: softmax for cross-entropy, sigmoid otherwise\n"
                "  --optimizer O        adam (default), sgd (momentum 0.9), adagrad, rmsprop,\n"
                "                       NeuromorphicSTDP: the first --layers entry is a layer of\n"
                "                       LIF neurons trained by STDP without labels, the rest a\n"
                "                       readout on its spike counts trained by Adam\n"
                "  --stdp-epochs N      STDP passes over the training rows (1)\n"
                "  --epochs N (30)  --batch B (32)  --lr X (optimizer default)  --l2 X (0)\n"
                "  --seed S (1): split, initial weights and batch order\n"
                "  --test-split F (0.25)  --val-split F (0)  --patience P (0: no early stop)\n"
                "  --data-dir DIR       default $NQ_SKLEARN_DATA or %s\n"
                "  --out FILE           write the trained model (for nqdb neuro predict)\n"
                "  --json               one JSON document instead of text\n",
                NN_SKLEARN_DATA_DIR);
    else
        fprintf(f, "usage: nqdb neuro predict --model FILE --input CSV [--json]\n"
                   "  Classify each row of CSV (numbers, one row per sample, as many columns as\n"
                   "  the model's inputs; a non-numeric first line is a header) with a model\n"
                   "  written by nqdb neuro train --out. Prints row,class,output.\n");
}

static const char *data_dir(const char *opt)
{
    if (opt)
        return opt;
    const char *env = getenv("NQ_SKLEARN_DATA");
    return env && *env ? env : NN_SKLEARN_DATA_DIR;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A JSON number, or null for NaN. */
static void jnum(double v)
{
    if (isfinite(v))
        printf("%.6f", v);
    else
        printf("null");
}

static int cmd_datasets(int argc, char **argv)
{
    const char *dir = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--data-dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, "datasets");
            return 0;
        } else {
            fprintf(stderr, "nqdb neuro datasets: unknown option \"%s\"\n", argv[i]);
            usage(stderr, "datasets");
            return EXIT_ERROR;
        }
    }
    dir = data_dir(dir);
    if (json) {
        printf("{\"data_dir\":");
        sqlout_json_string(stdout, dir);
        printf(",\"datasets\":[");
    } else
        printf("data sets in %s:\n", dir);
    int found = 0;
    for (int i = 0; nn_dataset_names[i]; i++) {
        nn_dataset ds;
        nq_err e;
        int rc = nn_dataset_load(dir, nn_dataset_names[i], &ds, &e);
        if (json) {
            printf("%s{\"name\":\"%s\",\"file\":\"%s\",\"found\":%s", i ? "," : "",
                   nn_dataset_names[i], nn_dataset_file(nn_dataset_names[i]),
                   rc == 0 ? "true" : "false");
            if (rc == 0)
                printf(",\"rows\":%d,\"features\":%d,\"classes\":%d", ds.n, ds.d, ds.k);
            printf("}");
        } else if (rc == 0)
            printf("  %-14s %5d rows  %3d features  %2d classes  (%s)\n", nn_dataset_names[i],
                   ds.n, ds.d, ds.k, nn_dataset_file(nn_dataset_names[i]));
        else
            printf("  %-14s not available: %s\n", nn_dataset_names[i], e.msg);
        if (rc == 0) {
            found++;
            nn_dataset_free(&ds);
        }
    }
    if (json)
        printf("],\"found\":%d}\n", found);
    else if (!found)
        printf("none found: install python3-sklearn or give --data-dir\n");
    return 0;
}

/* "64,128,10" into sizes; the count, or -1. */
static int parse_layers(const char *s, int *sizes, int max)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *q;
        errno = 0;
        long v = strtol(p, &q, 10);
        if (q == p || errno || v < 1 || v > MLP_MAX_UNITS || n == max)
            return -1;
        sizes[n++] = (int)v;
        if (*q == ',')
            q++;
        else if (*q)
            return -1;
        p = q;
    }
    return n ? n : -1;
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *q;
    errno = 0;
    double v = strtod(s, &q);
    if (q == s || *q || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "nqdb neuro train: %s \"%s\": expected a number in [%g, %g]\n", opt, s,
                lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

typedef struct print_ctx {
    int json;
} print_ctx;

static int print_epoch(void *ctx, const mlp_epoch *ep, int total)
{
    if (((print_ctx *)ctx)->json)
        return 0;
    printf("epoch %*d/%d  loss %.4f  accuracy %.4f", total >= 100 ? 3 : 2, ep->epoch, total,
           ep->loss, ep->acc);
    if (isfinite(ep->val_loss))
        printf("  val_loss %.4f  val_accuracy %.4f", ep->val_loss, ep->val_acc);
    printf("  (%.3f s)\n", ep->seconds);
    fflush(stdout);
    return 0;
}

static int write_model(const char *path, const mlp *m, size_t *len)
{
    uint8_t *b;
    nq_err e;
    if (mlp_encode(m, &b, len, &e)) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        return -1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(b, 1, *len, f) == *len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(b);
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "nqdb neuro train: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

typedef struct stdp_args {
    const char *name;
    const nn_dataset *ds;
    int nl;
    const int *sizes;
    const nn_act *acts;
    int loss, stdp_epochs;
    double lr;
    int epochs, batch;
    uint64_t seed;
    int json;
    const char *out;
} stdp_args;

/* --optimizer NeuromorphicSTDP: --layers N,... makes the first layer N spiking neurons trained
 * by STDP (stdp_layer.h) and the rest a dense readout on their spike counts, trained by Adam. */
static int train_stdp(const stdp_args *a, const float *Xtr, const float *Ytr, int ntr,
                      const float *Xte, const float *Yte, int nte)
{
    if (a->out) {
        fprintf(stderr, "nqdb neuro train: not supported yet: saving a NeuromorphicSTDP model "
                        "(--out)\n");
        return EXIT_ERROR;
    }
    if (a->nl < 2) {
        fprintf(stderr, "nqdb neuro train: NeuromorphicSTDP needs --layers N,...,%d: N spiking "
                        "neurons, then the readout\n",
                a->ds->k);
        return EXIT_ERROR;
    }
    nn_stdp_cfg sc;
    nn_stdp_defaults(&sc);
    sc.n_neurons = a->sizes[0];
    sc.seed = a->seed;
    mlp_train_cfg rc;
    mlp_train_defaults(&rc);
    rc.opt.lr = a->lr > 0 ? (float)a->lr : 0.01f;
    rc.epochs = a->epochs;
    rc.batch = a->batch;
    rc.seed = a->seed;
    print_ctx pc = {a->json};
    rc.progress = print_epoch;
    rc.progress_ctx = &pc;
    if (!a->json)
        printf("%s: %d train, %d test rows; NeuromorphicSTDP: %d LIF neurons, %d STDP pass(es), "
               "then a readout of %d layer(s) trained by Adam lr %g\n",
               a->name, ntr, nte, a->sizes[0], a->stdp_epochs, a->nl - 1, (double)rc.opt.lr);
    nn_stdp_report rep;
    nq_err e;
    int rc_ = nn_stdp_classify(&sc, a->stdp_epochs, &rc, a->nl - 1, a->sizes + 1, a->acts + 1,
                               (nn_loss)a->loss, a->ds->d, Xtr, Ytr, ntr, Xte, Yte, nte, &rep,
                               &e);
    if (rc_) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        mlp_history_free(&rep.history);
        return rc_ == NQ_ERROR ? EXIT_PROBLEM : EXIT_ERROR;
    }
    if (a->json) {
        printf("{\"dataset\":\"%s\",\"optimizer\":\"NeuromorphicSTDP\",\"spiking_neurons\":%d,"
               "\"stdp_epochs\":%d,\"spikes_per_sample\":%.3f,\"mean_threshold_rise_mv\":%.3f,"
               "\"silent_test_samples\":%d,\"readout_epochs\":%d,\"test_loss\":",
               a->name, a->sizes[0], a->stdp_epochs, rep.spikes_per_sample, rep.mean_theta,
               rep.silent_test, rep.history.n);
        jnum(rep.test_loss);
        printf(",\"test_accuracy\":");
        jnum(rep.test_acc);
        printf(",\"stdp_seconds\":%.4f,\"readout_seconds\":%.4f}\n", rep.stdp_seconds,
               rep.readout_seconds);
    } else
        printf("spiking layer: %.1f spikes per training sample, mean threshold rise %.1f mV, %d "
               "silent test samples, %.3f s\n"
               "test accuracy %.4f (%d of %d), test loss %.4f, readout %.3f s\n",
               rep.spikes_per_sample, rep.mean_theta, rep.silent_test, rep.stdp_seconds,
               rep.test_acc, (int)lround(rep.test_acc * nte), nte, rep.test_loss,
               rep.readout_seconds);
    mlp_history_free(&rep.history);
    return 0;
}

static int cmd_train(int argc, char **argv)
{
    const char *name = NULL, *dir = NULL, *out = NULL, *layers = NULL;
    int hidden_act = NN_ACT_RELU, out_act = -1, loss = NN_LOSS_CROSS_ENTROPY, json = 0;
    int opt = NN_OPT_ADAM, stdp = 0;
    double stdp_epochs = 1;
    double lr = -1, l2 = 0, test_split = 0.25, val_split = 0, epochs = 30, batch = 32,
           patience = 0, seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, "train");
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!v || strncmp(a, "--", 2)) {
            fprintf(stderr, "nqdb neuro train: %s \"%s\"\n",
                    strncmp(a, "--", 2) ? "unexpected argument" : "missing value after", a);
            return EXIT_ERROR;
        }
        i++;
        int bad = 0;
        if (!strcmp(a, "--dataset"))
            name = v;
        else if (!strcmp(a, "--data-dir"))
            dir = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--layers"))
            layers = v;
        else if (!strcmp(a, "--activation"))
            bad = (hidden_act = nn_act_parse(v)) < 0;
        else if (!strcmp(a, "--output-activation"))
            bad = (out_act = nn_act_parse(v)) < 0;
        else if (!strcmp(a, "--loss"))
            bad = (loss = nn_loss_parse(v)) < 0;
        else if (!strcmp(a, "--optimizer") && !strcasecmp(v, "NeuromorphicSTDP"))
            stdp = 1; /* the first layer spiking, trained by STDP; the readout by Adam */
        else if (!strcmp(a, "--optimizer"))
            bad = (opt = nn_opt_parse(v)) < 0;
        else if (!strcmp(a, "--stdp-epochs"))
            bad = parse_num(a, v, 0, 1000, &stdp_epochs) != 0 || stdp_epochs != floor(stdp_epochs);
        else if (!strcmp(a, "--lr"))
            bad = parse_num(a, v, 1e-9, 10, &lr) != 0;
        else if (!strcmp(a, "--l2"))
            bad = parse_num(a, v, 0, 1e6, &l2) != 0;
        else if (!strcmp(a, "--epochs"))
            bad = parse_num(a, v, 1, 1000000, &epochs) != 0 || epochs != floor(epochs);
        else if (!strcmp(a, "--batch"))
            bad = parse_num(a, v, 1, 1 << 20, &batch) != 0 || batch != floor(batch);
        else if (!strcmp(a, "--patience"))
            bad = parse_num(a, v, 0, 1000000, &patience) != 0 || patience != floor(patience);
        else if (!strcmp(a, "--seed"))
            bad = parse_num(a, v, 0, 9007199254740992.0, &seed) != 0 || seed != floor(seed);
        else if (!strcmp(a, "--test-split"))
            bad = parse_num(a, v, 0.01, 0.99, &test_split) != 0;
        else if (!strcmp(a, "--val-split"))
            bad = parse_num(a, v, 0, 0.99, &val_split) != 0;
        else {
            fprintf(stderr, "nqdb neuro train: unknown option \"%s\" (try --help)\n", a);
            return EXIT_ERROR;
        }
        if (bad) {
            if (!strcmp(a, "--activation") || !strcmp(a, "--output-activation") ||
                !strcmp(a, "--loss") || !strcmp(a, "--optimizer"))
                fprintf(stderr, "nqdb neuro train: %s: unknown value \"%s\"%s\n", a, v,
                        !strcmp(v, "SpikingNeuron") || !strcmp(v, "SpikeTimingLoss")
                            ? " (not supported yet; the spiking layer is --optimizer "
                              "NeuromorphicSTDP)"
                            : "");
            else
                fprintf(stderr, "nqdb neuro train: %s \"%s\": not a valid value\n", a, v);
            return EXIT_ERROR;
        }
    }
    if (!name) {
        fprintf(stderr, "nqdb neuro train: --dataset NAME is required (see nqdb neuro datasets)\n");
        return EXIT_ERROR;
    }
    if (out_act < 0)
        out_act = loss == NN_LOSS_CROSS_ENTROPY ? NN_ACT_SOFTMAX : NN_ACT_SIGMOID;

    nn_dataset ds;
    nq_err e;
    if (nn_dataset_load(data_dir(dir), name, &ds, &e)) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        return EXIT_ERROR;
    }
    int sizes[MLP_MAX_LAYERS], nl;
    if (layers) {
        nl = parse_layers(layers, sizes, MLP_MAX_LAYERS);
        if (nl < 0) {
            fprintf(stderr, "nqdb neuro train: --layers \"%s\": expected sizes like 64,10\n",
                    layers);
            nn_dataset_free(&ds);
            return EXIT_ERROR;
        }
    } else {
        sizes[0] = 64;
        sizes[1] = ds.k;
        nl = 2;
    }
    if (sizes[nl - 1] != ds.k) {
        fprintf(stderr,
                "nqdb neuro train: the output layer has %d units, %s has %d classes: end "
                "--layers with %d\n",
                sizes[nl - 1], name, ds.k, ds.k);
        nn_dataset_free(&ds);
        return EXIT_ERROR;
    }
    nn_act acts[MLP_MAX_LAYERS];
    for (int l = 0; l < nl; l++)
        acts[l] = l == nl - 1 ? (nn_act)out_act : (nn_act)hidden_act;

    int rc = EXIT_ERROR, *tr = NULL, *te = NULL, ntr, nte;
    float *Xtr = NULL, *Ytr = NULL, *Xte = NULL, *Yte = NULL, *mean = NULL, *scale = NULL;
    mlp *m = NULL;
    mlp_history h = {0};
    if (nn_dataset_split(&ds, test_split, (uint64_t)seed, &tr, &ntr, &te, &nte, &e) ||
        nn_dataset_gather(&ds, tr, ntr, &Xtr, &Ytr, &e) ||
        nn_dataset_gather(&ds, te, nte, &Xte, &Yte, &e)) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        goto out;
    }
    if (stdp) {
        stdp_args sa = {name,      &ds,  nl,  sizes, acts, loss,     (int)stdp_epochs,
                        lr,        (int)epochs, (int)batch, (uint64_t)seed, json, out};
        rc = train_stdp(&sa, Xtr, Ytr, ntr, Xte, Yte, nte);
        goto out;
    }
    if (mlp_create(&m, ds.d, nl, sizes, acts, (nn_loss)loss, (uint64_t)seed, &e)) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        goto out;
    }
    mean = malloc(sizeof(float) * ds.d);
    scale = malloc(sizeof(float) * ds.d);
    if (!mean || !scale) {
        fprintf(stderr, "nqdb neuro train: out of memory\n");
        goto out;
    }
    nn_standardize_fit(Xtr, ds.d, NULL, ntr, mean, scale);
    if (mlp_set_scaler(m, mean, scale, &e)) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        goto out;
    }
    mlp_train_cfg c;
    mlp_train_defaults(&c);
    nn_opt_defaults(&c.opt, (nn_opt_kind)opt);
    if (lr > 0)
        c.opt.lr = (float)lr;
    c.epochs = (int)epochs;
    c.batch = (int)batch;
    c.seed = (uint64_t)seed;
    c.val_split = (float)val_split;
    c.patience = (int)patience;
    c.l2 = (float)l2;
    print_ctx pc = {json};
    c.progress = print_epoch;
    c.progress_ctx = &pc;
    if (!json) {
        printf("%s: %d rows (%d train, %d test), network %d", name, ds.n, ntr, nte, ds.d);
        for (int l = 0; l < nl; l++)
            printf("-%d", sizes[l]);
        printf(" (%s hidden, %s output, %s), %s lr %g, batch %d, seed %llu\n",
               nn_act_name((nn_act)hidden_act), nn_act_name((nn_act)out_act),
               nn_loss_name((nn_loss)loss), nn_opt_name((nn_opt_kind)opt), (double)c.opt.lr,
               c.batch, (unsigned long long)c.seed);
    }
    double t0 = now_s();
    if (mlp_train(m, &c, Xtr, Ytr, ntr, &h, &e)) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        rc = EXIT_PROBLEM;
        goto out;
    }
    double secs = now_s() - t0, tl, ta;
    if (mlp_evaluate(m, Xte, Yte, nte, &tl, &ta, &e)) {
        fprintf(stderr, "nqdb neuro train: %s\n", e.msg);
        goto out;
    }
    size_t mlen = 0;
    if (out && write_model(out, m, &mlen))
        goto out;
    if (json) {
        printf("{\"dataset\":\"%s\",\"rows\":%d,\"train_rows\":%d,\"test_rows\":%d,\"layers\":[%d",
               name, ds.n, ntr, nte, ds.d);
        for (int l = 0; l < nl; l++)
            printf(",%d", sizes[l]);
        printf("],\"activation\":\"%s\",\"output_activation\":\"%s\",\"loss\":\"%s\","
               "\"optimizer\":\"%s\",\"learning_rate\":%g,\"batch\":%d,\"seed\":%llu,\"epochs\":[",
               nn_act_name((nn_act)hidden_act), nn_act_name((nn_act)out_act),
               nn_loss_name((nn_loss)loss), nn_opt_name((nn_opt_kind)opt), (double)c.opt.lr,
               c.batch, (unsigned long long)c.seed);
        for (int i = 0; i < h.n; i++) {
            printf("%s{\"epoch\":%d,\"loss\":", i ? "," : "", h.ep[i].epoch);
            jnum(h.ep[i].loss);
            printf(",\"accuracy\":");
            jnum(h.ep[i].acc);
            printf(",\"val_loss\":");
            jnum(h.ep[i].val_loss);
            printf(",\"val_accuracy\":");
            jnum(h.ep[i].val_acc);
            printf("}");
        }
        printf("],\"stopped_early\":%s,\"best_epoch\":%d,\"test_loss\":",
               h.stopped_early ? "true" : "false", h.best_epoch);
        jnum(tl);
        printf(",\"test_accuracy\":");
        jnum(ta);
        printf(",\"train_seconds\":%.4f", secs);
        if (out) {
            printf(",\"model\":");
            sqlout_json_string(stdout, out);
            printf(",\"model_bytes\":%zu", mlen);
        }
        printf("}\n");
    } else {
        if (h.stopped_early)
            printf("stopped early after epoch %d; kept the weights of epoch %d\n", h.n,
                   h.best_epoch);
        printf("test accuracy %.4f (%d of %d), test loss %.4f, training %.3f s\n", ta,
               (int)lround(ta * nte), nte, tl, secs);
        if (out)
            printf("model written to %s (%zu bytes)\n", out, mlen);
    }
    rc = 0;
out:
    mlp_history_free(&h);
    mlp_free(m);
    free(mean);
    free(scale);
    free(Xtr);
    free(Ytr);
    free(Xte);
    free(Yte);
    free(tr);
    free(te);
    nn_dataset_free(&ds);
    return rc;
}

static int cmd_predict(int argc, char **argv)
{
    const char *model = NULL, *input = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(argv[i], "--input") && i + 1 < argc)
            input = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, "predict");
            return 0;
        } else {
            fprintf(stderr, "nqdb neuro predict: unknown option \"%s\"\n", argv[i]);
            usage(stderr, "predict");
            return EXIT_ERROR;
        }
    }
    if (!model || !input) {
        usage(stderr, "predict");
        return EXIT_ERROR;
    }
    char *bytes, *text;
    size_t blen, tlen;
    nq_err e;
    FILE *f = fopen(model, "rb");
    if (!f) {
        fprintf(stderr, "nqdb neuro predict: %s: %s\n", model, strerror(errno));
        return EXIT_ERROR;
    }
    fclose(f);
    /* nn_read_file reads through zlib, which passes plain files through unchanged */
    if (nn_read_file(model, &bytes, &blen, &e)) {
        fprintf(stderr, "nqdb neuro predict: %s\n", e.msg);
        return EXIT_ERROR;
    }
    mlp *m;
    int rc = mlp_decode((const uint8_t *)bytes, blen, &m, &e);
    free(bytes);
    if (rc) {
        fprintf(stderr, "nqdb neuro predict: %s: %s\n", model, e.msg);
        return rc == NQ_ECORRUPT ? EXIT_PROBLEM : EXIT_ERROR;
    }
    float *X = NULL, *P = NULL;
    int rows, cols;
    rc = EXIT_ERROR;
    if (nn_read_file(input, &text, &tlen, &e)) {
        fprintf(stderr, "nqdb neuro predict: %s\n", e.msg);
        goto out;
    }
    int prc = nn_csv_parse(text, tlen, -1, &X, &rows, &cols, &e);
    free(text);
    if (prc) {
        fprintf(stderr, "nqdb neuro predict: %s: %s\n", input, e.msg);
        goto out;
    }
    if (cols != m->n_in) {
        fprintf(stderr, "nqdb neuro predict: %s: %d columns, the model takes %d inputs\n", input,
                cols, m->n_in);
        goto out;
    }
    int no = mlp_n_out(m);
    P = malloc(sizeof(float) * (size_t)rows * no);
    if (!P || mlp_predict(m, X, rows, P, &e)) {
        fprintf(stderr, "nqdb neuro predict: %s\n", P ? e.msg : "out of memory");
        goto out;
    }
    if (json)
        printf("{\"predictions\":[");
    else
        printf("row,class,output\n");
    for (int r = 0; r < rows; r++) {
        const float *p = P + (size_t)r * no;
        int cl = mlp_argmax(p, no);
        float score = no == 1 ? p[0] : p[cl];
        if (json) {
            printf("%s{\"row\":%d,\"class\":%d,\"outputs\":[", r ? "," : "", r + 1, cl);
            for (int j = 0; j < no; j++)
                printf("%s%.6g", j ? "," : "", (double)p[j]);
            printf("]}");
        } else
            printf("%d,%d,%.6f\n", r + 1, cl, (double)score);
    }
    if (json)
        printf("]}\n");
    rc = 0;
out:
    free(X);
    free(P);
    mlp_free(m);
    return rc;
}

int neuro_train_cmd(int argc, char **argv)
{
    if (!strcmp(argv[0], "datasets"))
        return cmd_datasets(argc, argv);
    if (!strcmp(argv[0], "train"))
        return cmd_train(argc, argv);
    if (!strcmp(argv[0], "predict"))
        return cmd_predict(argc, argv);
    fprintf(stderr, "nqdb neuro: not supported yet: `%s`\n", argv[0]);
    return EXIT_ERROR;
}
