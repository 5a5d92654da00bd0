/*
 * bench_mlp.c — training the dense networks of src/neuro (mlp_train) against scikit-learn's
 * MLPClassifier on the same data, in the same run.
 *
 * For each of scikit-learn's data sets shipped by Debian's python3-sklearn (digits, iris, wine,
 * breast cancer) the C side loads the CSV, makes the seeded stratified 75/25 split
 * (nn_dataset_split) and standardises on the training rows; then it trains a one-hidden-layer
 * ReLU network with Adam (cross-entropy, the same learning rate, batch size, epochs and L2
 * penalty as scikit-learn's `alpha`) `reps` times from the same seed and takes the median
 * training time. The anchor, bench_mlp_sklearn.py run by /usr/bin/python3, receives the split's
 * row numbers and the configuration in a JSON file, fits MLPClassifier with the same settings
 * (every epoch run: tol 0) `reps` times and returns its fit times and test accuracy, plus the
 * sum of its training inputs, which must match ours (the proof that both saw the same rows).
 * Printed per set: both median training times, both test accuracies and the speed ratio
 * (scikit-learn time / ours: above 1 means faster than scikit-learn).
 *
 * Caveats printed with the figures: ours is float32 and single-threaded; scikit-learn is
 * float64 on numpy's BLAS (which may use threads). Both exclude loading and scaling.
 *
 *   bench_mlp [--reps N] [--quick] [--json]
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "neuro/dataset.h"
#include "neuro/mlp.h"
#include "neuro/mlp_train.h"
#include "neuro/nn_gemm.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef BENCH_MLP_SCRIPT
#define BENCH_MLP_SCRIPT "bench/bench_mlp_sklearn.py"
#endif

typedef struct cfg {
    const char *name;
    int hidden, epochs, batch;
} cfg;

static const cfg CFGS[] = {
    {"digits", 128, 30, 32},
    {"iris", 32, 100, 16},
    {"wine", 32, 100, 16},
    {"breast_cancer", 32, 100, 16},
};
#define NCFG ((int)(sizeof CFGS / sizeof *CFGS))
#define LR 0.001f
#define L2 0.1f
#define SEED 42

typedef struct run {
    int ok, n, d, k, ntr, nte;
    int *tr, *te;
    double secs, acc, xsum;
    double sk_secs, sk_acc, sk_xsum;
    int sk_epochs;
} run;

static int run_ours(const cfg *c, int reps, run *r)
{
    nn_dataset ds;
    nq_err e;
    if (nn_dataset_load(NULL, c->name, &ds, &e)) {
        fprintf(stderr, "bench_mlp: %s: %s (skipped)\n", c->name, e.msg);
        return -1;
    }
    r->n = ds.n;
    r->d = ds.d;
    r->k = ds.k;
    float *Xtr, *Ytr, *Xte, *Yte;
    if (nn_dataset_split(&ds, 0.25, SEED, &r->tr, &r->ntr, &r->te, &r->nte, &e) ||
        nn_dataset_gather(&ds, r->tr, r->ntr, &Xtr, &Ytr, &e) ||
        nn_dataset_gather(&ds, r->te, r->nte, &Xte, &Yte, &e)) {
        fprintf(stderr, "bench_mlp: %s: %s\n", c->name, e.msg);
        exit(1);
    }
    r->xsum = 0;
    for (size_t i = 0; i < (size_t)r->ntr * ds.d; i++)
        r->xsum += Xtr[i];
    float *mean = malloc(sizeof(float) * ds.d), *scale = malloc(sizeof(float) * ds.d);
    nn_standardize_fit(Xtr, ds.d, NULL, r->ntr, mean, scale);
    /* the scaled copy: scikit-learn trains on scaled inputs too, and the model's own scaler
     * would add a per-batch pass the anchor does not pay */
    for (int i = 0; i < r->ntr; i++)
        for (int j = 0; j < ds.d; j++)
            Xtr[(size_t)i * ds.d + j] = (Xtr[(size_t)i * ds.d + j] - mean[j]) * scale[j];
    double *t = malloc(sizeof(double) * reps);
    for (int rep = 0; rep < reps; rep++) {
        int sizes[2] = {c->hidden, ds.k};
        nn_act acts[2] = {NN_ACT_RELU, NN_ACT_SOFTMAX};
        mlp *m;
        if (mlp_create(&m, ds.d, 2, sizes, acts, NN_LOSS_CROSS_ENTROPY, SEED, &e))
            exit(1);
        mlp_train_cfg tc;
        mlp_train_defaults(&tc);
        tc.opt.lr = LR;
        tc.epochs = c->epochs;
        tc.batch = c->batch;
        tc.seed = SEED;
        tc.l2 = L2;
        double t0 = bu_now();
        if (mlp_train(m, &tc, Xtr, Ytr, r->ntr, NULL, &e)) {
            fprintf(stderr, "bench_mlp: %s: %s\n", c->name, e.msg);
            exit(1);
        }
        t[rep] = bu_now() - t0;
        mlp_set_scaler(m, mean, scale, &e); /* test rows are raw */
        double loss;
        mlp_evaluate(m, Xte, Yte, r->nte, &loss, &r->acc, &e);
        mlp_free(m);
    }
    r->secs = bu_median(t, reps);
    free(t);
    free(mean);
    free(scale);
    free(Xtr);
    free(Ytr);
    free(Xte);
    free(Yte);
    nn_dataset_free(&ds);
    r->ok = 1;
    return 0;
}

/* Run the anchor on every set we ran; fills the sk_* fields. 0 or -1. */
static int run_sklearn(run *runs, int reps, char *ver, size_t nver)
{
    char path[] = "/tmp/bench_mlp_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[");
    int first = 1;
    for (int i = 0; i < NCFG; i++) {
        if (!runs[i].ok)
            continue;
        fprintf(f, "%s{\"name\":\"%s\",\"hidden\":[%d],\"epochs\":%d,\"batch\":%d,\"lr\":%g,"
                   "\"l2\":%g,\"seed\":%d,\"reps\":%d,\"train\":[",
                first ? "" : ",", CFGS[i].name, CFGS[i].hidden, CFGS[i].epochs, CFGS[i].batch,
                (double)LR, (double)L2, SEED, reps);
        first = 0;
        for (int j = 0; j < runs[i].ntr; j++)
            fprintf(f, "%s%d", j ? "," : "", runs[i].tr[j]);
        fprintf(f, "],\"test\":[");
        for (int j = 0; j < runs[i].nte; j++)
            fprintf(f, "%s%d", j ? "," : "", runs[i].te[j]);
        fprintf(f, "]}");
    }
    fprintf(f, "]\n");
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", BENCH_MLP_SCRIPT, path);
    FILE *p = popen(cmd, "r");
    if (!p) {
        unlink(path);
        return -1;
    }
    json_error_t je;
    json_t *root = json_loadf(p, 0, &je);
    int st = pclose(p);
    unlink(path);
    if (!root || st != 0) {
        fprintf(stderr, "bench_mlp: the scikit-learn anchor failed (exit %d)%s%s\n", st,
                root ? "" : ": ", root ? "" : je.text);
        json_decref(root);
        return -1;
    }
    snprintf(ver, nver, "scikit-learn %s, numpy %s",
             json_string_value(json_object_get(root, "sklearn")),
             json_string_value(json_object_get(root, "numpy")));
    json_t *res = json_object_get(root, "results");
    size_t idx;
    json_t *o;
    json_array_foreach(res, idx, o)
    {
        const char *name = json_string_value(json_object_get(o, "name"));
        for (int i = 0; i < NCFG; i++) {
            if (!name || strcmp(name, CFGS[i].name))
                continue;
            json_t *ts = json_object_get(o, "fit_seconds");
            int n = (int)json_array_size(ts);
            double *t = malloc(sizeof(double) * (n ? n : 1));
            for (int j = 0; j < n; j++)
                t[j] = json_number_value(json_array_get(ts, (size_t)j));
            runs[i].sk_secs = n ? bu_median(t, n) : NAN;
            free(t);
            runs[i].sk_acc = json_number_value(json_object_get(o, "test_accuracy"));
            runs[i].sk_xsum = json_number_value(json_object_get(o, "train_input_sum"));
            runs[i].sk_epochs = (int)json_integer_value(json_object_get(o, "epochs_run"));
        }
    }
    json_decref(root);
    return 0;
}

int main(int argc, char **argv)
{
    int reps = 3, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--quick"))
            reps = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
    }
    run runs[NCFG];
    memset(runs, 0, sizeof runs);
    int any = 0;
    for (int i = 0; i < NCFG; i++)
        any += run_ours(&CFGS[i], reps, &runs[i]) == 0;
    if (!any) {
        fprintf(stderr, "bench_mlp: no data set found (install python3-sklearn)\n");
        return 0;
    }
    char ver[128] = "scikit-learn not run";
    int sk = run_sklearn(runs, reps, ver, sizeof ver) == 0;
    int status = 0;
    char cpu[256];
    bu_cpu_model(cpu, sizeof cpu);
    if (json)
        printf("{\"build\":\"%s\",\"cpu\":\"%s\",\"gemm\":\"%s\",\"anchor\":\"%s\",\"reps\":%d,"
               "\"sets\":[",
               NQ_BENCH_BUILD_TYPE, cpu, nn_gemm_variant(), ver, reps);
    else
        printf("bench_mlp (%s build): %s, %ld CPUs, load %.2f; our GEMM kernel: %s\n"
               "anchor: %s MLPClassifier (float64, numpy BLAS); ours float32, one thread\n"
               "same rows (seeded stratified 75/25 split), ReLU hidden layer, Adam lr %g, "
               "L2 %g, every epoch run; median of %d training runs\n"
               "%-14s %-10s %6s %5s | %10s %8s | %10s %8s | %7s\n",
               NQ_BENCH_BUILD_TYPE, cpu, bu_nproc(), bu_loadavg(), nn_gemm_variant(), ver,
               (double)LR, (double)L2, reps, "data set", "network", "epochs", "batch",
               "ours", "test acc", "sklearn", "test acc", "speedup");
    int first = 1;
    for (int i = 0; i < NCFG; i++) {
        run *r = &runs[i];
        if (!r->ok)
            continue;
        int same = sk && fabs(r->xsum - r->sk_xsum) <= 1e-6 * fabs(r->sk_xsum) + 1e-6;
        if (sk && !same) {
            fprintf(stderr, "bench_mlp: %s: the anchor's training inputs differ (sum %.6f vs "
                            "%.6f)\n",
                    CFGS[i].name, r->sk_xsum, r->xsum);
            status = 1;
        }
        if (sk && r->sk_epochs != CFGS[i].epochs) {
            fprintf(stderr, "bench_mlp: %s: scikit-learn ran %d epochs, not %d\n", CFGS[i].name,
                    r->sk_epochs, CFGS[i].epochs);
            status = 1;
        }
        char net[32];
        snprintf(net, sizeof net, "%d-%d-%d", r->d, CFGS[i].hidden, r->k);
        double ratio = sk ? r->sk_secs / r->secs : NAN;
        if (json) {
            printf("%s{\"name\":\"%s\",\"network\":\"%s\",\"epochs\":%d,\"batch\":%d,"
                   "\"train_rows\":%d,\"test_rows\":%d,\"seconds\":%.6f,\"test_accuracy\":%.6f",
                   first ? "" : ",", CFGS[i].name, net, CFGS[i].epochs, CFGS[i].batch, r->ntr,
                   r->nte, r->secs, r->acc);
            if (sk)
                printf(",\"sklearn_seconds\":%.6f,\"sklearn_test_accuracy\":%.6f,"
                       "\"speedup\":%.3f,\"same_rows\":%s",
                       r->sk_secs, r->sk_acc, ratio, same ? "true" : "false");
            printf("}");
        } else {
            char a[32], b[32];
            bu_fmt_secs(a, sizeof a, r->secs);
            bu_fmt_secs(b, sizeof b, sk ? r->sk_secs : NAN);
            printf("%-14s %-10s %6d %5d | %10s %8.4f | %10s %8.4f | %6.1fx\n", CFGS[i].name, net,
                   CFGS[i].epochs, CFGS[i].batch, a, r->acc, sk ? b : "-",
                   sk ? r->sk_acc : NAN, ratio);
        }
        first = 0;
        free(r->tr);
        free(r->te);
    }
    if (json)
        printf("]}\n");
    if (!sk) {
        fprintf(stderr, "bench_mlp: the scikit-learn anchor did not run\n");
        status = 1;
    }
    return status;
}
