/*
 * mlp_train.c — the mini-batch training loop (see mlp_train.h).
 */
#include "mlp_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rand.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void mlp_train_defaults(mlp_train_cfg *c)
{
    memset(c, 0, sizeof *c);
    nn_opt_defaults(&c->opt, NN_OPT_ADAM);
    c->epochs = 10;
    c->batch = 32;
    c->seed = 1;
    c->tol = 1e-4f;
}

void mlp_history_free(mlp_history *h)
{
    if (!h)
        return;
    free(h->ep);
    memset(h, 0, sizeof *h);
}

static void gather(const float *src, int width, const int *idx, int n, float *dst)
{
    for (int r = 0; r < n; r++)
        memcpy(dst + (size_t)r * width, src + (size_t)idx[r] * width, (size_t)width * sizeof *dst);
}

static int params_finite(const mlp *m)
{
    for (int l = 0; l < m->n_layers; l++) {
        const nn_layer *L = &m->layers[l];
        size_t n = (size_t)L->in * (size_t)L->out;
        float s = 0.0f; /* inf or NaN anywhere makes the sum non-finite (0·inf is NaN) */
        for (size_t i = 0; i < n; i++)
            s += 0.0f * L->W[i];
        for (int j = 0; j < L->out; j++)
            s += 0.0f * L->b[j];
        if (!isfinite(s))
            return 0;
    }
    return 1;
}

/* Correct predictions among the B rows of the last forward pass. */
static int correct(const mlp *m, const mlp_work *w, const float *Y, int B)
{
    int no = mlp_n_out(m), c = 0;
    const float *A = w->A[m->n_layers - 1];
    for (int r = 0; r < B; r++)
        c += mlp_argmax(A + (size_t)r * no, no) == mlp_argmax(Y + (size_t)r * no, no);
    return c;
}

/* Loss and accuracy over rows idx[0..n) (idx NULL: rows 0..n) in batches of w->max_batch. */
static void eval_rows(const mlp *m, mlp_work *w, const float *X, const float *Y, const int *idx,
                      int n, float *xb, float *yb, double *loss, double *acc)
{
    int no = mlp_n_out(m);
    double s = 0.0;
    long c = 0;
    for (int r = 0; r < n; r += w->max_batch) {
        int b = n - r < w->max_batch ? n - r : w->max_batch;
        const float *xp, *yp;
        if (idx) {
            gather(X, m->n_in, idx + r, b, xb);
            gather(Y, no, idx + r, b, yb);
            xp = xb;
            yp = yb;
        } else {
            xp = X + (size_t)r * m->n_in;
            yp = Y + (size_t)r * no;
        }
        mlp_forward(m, w, xp, b);
        s += mlp_loss(m, w, yp, b) * b;
        c += correct(m, w, yp, b);
    }
    *loss = n ? s / n : NAN;
    *acc = n ? (double)c / n : NAN;
}

int mlp_evaluate(const mlp *m, const float *X, const float *Y, int n, double *loss, double *acc,
                 nq_err *e)
{
    mlp_work w;
    int rc = mlp_work_init(&w, m, n < 256 ? (n > 0 ? n : 1) : 256, e);
    if (rc)
        return rc;
    eval_rows(m, &w, X, Y, NULL, n, NULL, NULL, loss, acc);
    mlp_work_free(&w, m);
    return 0;
}

int mlp_train(mlp *m, const mlp_train_cfg *cfg, const float *X, const float *Y, int n,
              mlp_history *h, nq_err *e)
{
    mlp_history local;
    if (!h)
        h = &local;
    memset(h, 0, sizeof *h);
    if (n < 1)
        return nq_err_set(e, NQ_EINVAL, "no training data");
    if (cfg->epochs < 1 || cfg->epochs > 1000000)
        return nq_err_set(e, NQ_EINVAL, "epochs %d out of range 1..1000000", cfg->epochs);
    if (cfg->batch < 1)
        return nq_err_set(e, NQ_EINVAL, "batch size %d must be at least 1", cfg->batch);
    if (!(cfg->val_split >= 0.0f && cfg->val_split < 1.0f))
        return nq_err_set(e, NQ_EINVAL, "validation split must be in [0, 1)");
    if (!(cfg->l2 >= 0.0f) || !isfinite(cfg->l2))
        return nq_err_set(e, NQ_EINVAL, "L2 penalty must be a non-negative number");
    int no = mlp_n_out(m);
    int n_val = (int)floor((double)cfg->val_split * n);
    int n_tr = n - n_val;
    if (n_tr < 1)
        return nq_err_set(e, NQ_EINVAL, "validation split leaves no training rows");
    int B = cfg->batch < n_tr ? cfg->batch : n_tr;

    int rc = 0;
    int *perm = malloc((size_t)n * sizeof *perm);
    float *xb = malloc((size_t)B * m->n_in * sizeof *xb);
    float *yb = malloc((size_t)B * no * sizeof *yb);
    h->ep = malloc((size_t)cfg->epochs * sizeof *h->ep);
    mlp_work w;
    nn_opt opt;
    mlp *best = NULL;
    int have_w = 0, have_opt = 0;
    if (!perm || !xb || !yb || !h->ep) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = mlp_work_init(&w, m, B, e)) != 0)
        goto out;
    have_w = 1;
    if ((rc = nn_opt_init(&opt, &cfg->opt, m, e)) != 0)
        goto out;
    have_opt = 1;
    if (cfg->patience > 0 && (rc = mlp_clone(m, &best, e)) != 0)
        goto out;

    nq_rng r;
    nq_rng_seed(&r, cfg->seed);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    if (n_val > 0) /* the held-out rows: the last n_val of one seeded permutation */
        for (int i = n - 1; i > 0; i--) {
            int j = (int)nq_rng_below(&r, (uint64_t)i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
    int *val = perm + n_tr;
    h->n_train = n_tr;
    h->n_val = n_val;
    double best_loss = INFINITY;
    int since_best = 0;
    h->best_epoch = 0;

    for (int ep = 1; ep <= cfg->epochs; ep++) {
        double t0 = now_s();
        for (int i = n_tr - 1; i > 0; i--) {
            int j = (int)nq_rng_below(&r, (uint64_t)i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        double lsum = 0.0;
        long csum = 0;
        int done = 0;
        for (int s = 0; s < n_tr; s += B) {
            if (cfg->cancel && atomic_load(cfg->cancel)) {
                h->cancelled = 1;
                break;
            }
            int b = n_tr - s < B ? n_tr - s : B;
            gather(X, m->n_in, perm + s, b, xb);
            gather(Y, no, perm + s, b, yb);
            mlp_forward(m, &w, xb, b);
            lsum += mlp_loss(m, &w, yb, b) * b;
            csum += correct(m, &w, yb, b);
            mlp_backward(m, &w, yb, b, cfg->l2);
            nn_opt_step(&opt, m, &w);
            done += b;
        }
        if (h->cancelled)
            break;
        mlp_epoch *E = &h->ep[h->n];
        E->epoch = ep;
        E->loss = lsum / done;
        E->acc = (double)csum / done;
        E->val_loss = E->val_acc = NAN;
        if (n_val > 0)
            eval_rows(m, &w, X, Y, val, n_val, xb, yb, &E->val_loss, &E->val_acc);
        E->seconds = now_s() - t0;
        h->n++;
        if (!isfinite(E->loss) || !params_finite(m)) {
            rc = nq_err_set(e, NQ_ERROR,
                            "training diverged at epoch %d (loss or weights not finite): lower the "
                            "learning rate",
                            ep);
            goto out;
        }
        if (cfg->patience > 0) {
            double mon = n_val > 0 ? E->val_loss : E->loss;
            if (mon < best_loss - cfg->tol) {
                best_loss = mon;
                since_best = 0;
                h->best_epoch = ep;
                mlp_copy_params(best, m);
            } else if (++since_best >= cfg->patience) {
                h->stopped_early = 1;
                mlp_copy_params(m, best);
                break;
            }
        }
        if (cfg->progress && cfg->progress(cfg->progress_ctx, E, cfg->epochs)) {
            h->cancelled = 1;
            break;
        }
    }
    if (!h->stopped_early)
        h->best_epoch = h->n;
    if (h->cancelled)
        rc = nq_err_set(e, NQ_EINTERRUPT, "training cancelled after %d of %d epochs", h->n,
                        cfg->epochs);
out:
    if (have_w)
        mlp_work_free(&w, m);
    if (have_opt)
        nn_opt_free(&opt);
    mlp_free(best);
    free(perm);
    free(xb);
    free(yb);
    if (h == &local)
        mlp_history_free(&local);
    return rc;
}
