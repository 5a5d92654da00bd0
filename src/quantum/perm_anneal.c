/*
 * perm_anneal.c — simulated annealing and replica exchange over permutations (perm_anneal.h).
 *
 * Each replica keeps its permutation and cost; a proposal is made in a scratch copy (swap or
 * insertion), evaluated by the callback, and copied back when accepted. The best permutation
 * seen by any replica is kept. Invalid costs (NaN, +inf) are never accepted.
 *
 * Calibration: up to max(4n, 32) evaluations (at most a tenth of the budget) of a random walk
 * from the start (every move taken), recording the positive deltas; the mean gives t_hot. A
 * walk that saw no uphill delta (a flat landscape) uses t_hot = 1.
 */
#include "perm_anneal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"

void perm_anneal_options_default(perm_anneal_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->replicas = 1;
    o->insert_share = -1;
    o->seg_share = -1;
}

typedef struct pa_run {
    int n;
    perm_cost_fn cost;
    void *ctx;
    long evals, max_evals;
    nq_rng rng;
    double insert_share, seg_share;
    int *tmp;             /* n ints for block moves */
    int *best;
    double best_cost;
    long evals_to_best;
} pa_run;

static int cost_ok(double c) { return !isnan(c) && c < INFINITY; }

static double pa_eval(pa_run *p, const int *perm)
{
    double c = p->cost(p->ctx, perm, p->n);
    p->evals++;
    if (cost_ok(c) && (!cost_ok(p->best_cost) || c < p->best_cost)) {
        p->best_cost = c;
        memcpy(p->best, perm, (size_t)p->n * sizeof *perm);
        p->evals_to_best = p->evals;
    }
    return c;
}

/* A random move of cur into out (n >= 2): an insertion (with probability insert_share), a
 * block move or a reversal of a segment (seg_share, half each), else a swap. */
static void pa_move(pa_run *p, const int *cur, int *out)
{
    int n = p->n;
    memcpy(out, cur, (size_t)n * sizeof *out);
    double u = nq_rng_double(&p->rng);
    int i = (int)nq_rng_below(&p->rng, (uint64_t)n);
    int j = (int)nq_rng_below(&p->rng, (uint64_t)(n - 1));
    if (j >= i)
        j++;
    if (u < p->insert_share) {
        /* take out the element at i, put it at j */
        int v = out[i];
        if (i < j)
            memmove(out + i, out + i + 1, (size_t)(j - i) * sizeof *out);
        else
            memmove(out + j + 1, out + j, (size_t)(i - j) * sizeof *out);
        out[j] = v;
    } else if (u < p->insert_share + p->seg_share && n >= 3) {
        int lo = i < j ? i : j, hi = i < j ? j : i; /* the segment [lo, hi] */
        if (u < p->insert_share + p->seg_share / 2) {
            for (; lo < hi; lo++, hi--) {
                int t = out[lo];
                out[lo] = out[hi];
                out[hi] = t;
            }
        } else {
            /* move the segment elsewhere: rotate it with what lies on one side of it */
            int len = hi - lo + 1;
            if (len == n)
                return;
            int dest = (int)nq_rng_below(&p->rng, (uint64_t)(n - len + 1)); /* new start */
            int *tmp = p->tmp;
            memcpy(tmp, cur + lo, (size_t)len * sizeof *tmp);
            /* the rest in order, with the segment starting at dest */
            int k = 0;
            for (int x = 0; x < n; x++)
                if (x < lo || x > hi) {
                    if (k == dest)
                        k += len;
                    out[k++] = cur[x];
                }
            memcpy(out + dest, tmp, (size_t)len * sizeof *tmp);
        }
    } else {
        int v = out[i];
        out[i] = out[j];
        out[j] = v;
    }
}

static void shuffle(nq_rng *rng, int *v, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)nq_rng_below(rng, (uint64_t)i + 1);
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

int perm_anneal(int n, perm_cost_fn cost, void *ctx, const perm_anneal_options *o, int *best,
                perm_anneal_result *r, nq_err *err)
{
    memset(r, 0, sizeof *r);
    if (n < 1 || n > (1 << 20) || !cost || !best)
        return nq_err_set(err, NQ_EINVAL, "perm_anneal: bad arguments (n = %d)", n);
    perm_anneal_options def;
    if (!o) {
        perm_anneal_options_default(&def);
        o = &def;
    }
    if (o->start) {
        /* the start must be a permutation */
        unsigned char *seen = calloc((size_t)n, 1);
        if (!seen)
            return nq_err_set(err, NQ_ENOMEM, "perm_anneal: out of memory");
        int ok = 1;
        for (int i = 0; i < n && ok; i++) {
            int v = o->start[i];
            if (v < 0 || v >= n || seen[v])
                ok = 0;
            else
                seen[v] = 1;
        }
        free(seen);
        if (!ok)
            return nq_err_set(err, NQ_EINVAL, "perm_anneal: the start is not a permutation of 0..%d", n - 1);
    }
    int R = o->replicas > 1 ? o->replicas : 1;
    if (R > 64)
        R = 64;
    pa_run p = {0};
    p.n = n;
    p.cost = cost;
    p.ctx = ctx;
    p.max_evals = o->max_evals > 0 ? o->max_evals : 200L * n * n;
    p.insert_share = o->insert_share >= 0 && o->insert_share <= 1 ? o->insert_share : 0.4;
    p.seg_share = o->seg_share >= 0 && o->seg_share <= 1 - p.insert_share ? o->seg_share
                  : 0.2 < 1 - p.insert_share ? 0.2 : 1 - p.insert_share;
    p.best = best;
    p.best_cost = NAN;
    nq_rng_seed(&p.rng, o->seed ? o->seed : 1);

    int *perms = malloc((size_t)(R + 1) * (size_t)n * sizeof *perms);
    int *tmp = malloc((size_t)n * sizeof *tmp);
    double *e = malloc((size_t)R * sizeof *e);
    double *beta = malloc((size_t)R * sizeof *beta);
    int **rep = malloc((size_t)R * sizeof *rep);
    if (!perms || !tmp || !e || !beta || !rep) {
        free(tmp);
        free(perms);
        free(e);
        free(beta);
        free(rep);
        return nq_err_set(err, NQ_ENOMEM, "perm_anneal: out of memory");
    }
    int *scratch = perms + (size_t)R * (size_t)n;
    p.tmp = tmp;
    for (int k = 0; k < R; k++)
        rep[k] = perms + (size_t)k * (size_t)n;
    for (int i = 0; i < n; i++)
        rep[0][i] = o->start ? o->start[i] : i;
    if (!o->start)
        shuffle(&p.rng, rep[0], n);
    e[0] = pa_eval(&p, rep[0]);

    /* calibration: a random walk that takes every move */
    double th = o->t_hot, tc = o->t_cold;
    if ((th <= 0 || tc <= 0) && n >= 2) {
        long steps = 4L * n > 32 ? 4L * n : 32;
        if (steps > p.max_evals / 10)
            steps = p.max_evals / 10;
        double sum = 0, prev = e[0];
        long up = 0;
        memcpy(scratch, rep[0], (size_t)n * sizeof *scratch);
        int *walk = malloc((size_t)n * sizeof *walk);
        if (!walk) {
            free(tmp);
            free(perms);
            free(e);
            free(beta);
            free(rep);
            return nq_err_set(err, NQ_ENOMEM, "perm_anneal: out of memory");
        }
        for (long s = 0; s < steps && p.evals < p.max_evals; s++) {
            pa_move(&p, scratch, walk);
            double c = pa_eval(&p, walk);
            if (cost_ok(c) && cost_ok(prev) && c > prev) {
                sum += c - prev;
                up++;
            }
            memcpy(scratch, walk, (size_t)n * sizeof *scratch);
            prev = c;
        }
        free(walk);
        double mean = up ? sum / (double)up : 0;
        if (th <= 0)
            th = mean > 0 ? mean / log(2.0) : 1.0;
        if (tc <= 0)
            tc = th * 1e-3;
    }
    if (th <= 0)
        th = 1;
    if (tc <= 0 || tc > th)
        tc = th * 1e-3;
    r->t_hot = th;
    r->t_cold = tc;

    /* the ladder (R > 1) or the schedule's end points (R = 1) */
    for (int k = 0; k < R; k++) {
        double t = R > 1 ? tc * pow(th / tc, (double)k / (double)(R - 1)) : th;
        beta[k] = 1.0 / t;
        if (k) {
            memcpy(rep[k], rep[0], (size_t)n * sizeof *rep[k]);
            e[k] = e[0];
        }
    }
    long remaining = p.max_evals - p.evals;
    double ratio = remaining > 1 ? pow(tc / th, 1.0 / (double)(remaining - 1)) : 1.0;
    double T = th;
    long round = 0;
    if (n >= 2)
        while (p.evals < p.max_evals) {
            for (int k = 0; k < R && p.evals < p.max_evals; k++) {
                double b = R > 1 ? beta[k] : 1.0 / T;
                pa_move(&p, rep[k], scratch);
                double c = pa_eval(&p, scratch);
                if (!cost_ok(c))
                    continue;
                double d = cost_ok(e[k]) ? c - e[k] : -INFINITY;
                if (d <= 0 || nq_rng_double(&p.rng) < exp(-d * b)) {
                    int *t = rep[k];
                    rep[k] = scratch;
                    scratch = t;
                    e[k] = c;
                    r->accepted++;
                }
            }
            if (R == 1)
                T *= ratio;
            else if (++round % n == 0) {
                /* exchanges between neighbouring temperatures, alternating even and odd pairs */
                for (int k = (int)((round / n) & 1); k + 1 < R; k += 2) {
                    if (!cost_ok(e[k]) || !cost_ok(e[k + 1]))
                        continue;
                    double x = (beta[k] - beta[k + 1]) * (e[k] - e[k + 1]);
                    if (x >= 0 || nq_rng_double(&p.rng) < exp(x)) {
                        int *t = rep[k];
                        rep[k] = rep[k + 1];
                        rep[k + 1] = t;
                        double te = e[k];
                        e[k] = e[k + 1];
                        e[k + 1] = te;
                    }
                }
            }
        }
    free(tmp);
    free(perms);
    free(e);
    free(beta);
    free(rep);
    r->cost = p.best_cost;
    r->evals = p.evals;
    r->evals_to_best = p.evals_to_best;
    if (!cost_ok(p.best_cost))
        return nq_err_set(err, NQ_ERROR, "perm_anneal: no permutation had a valid cost");
    return 0;
}

int perm_exhaustive(int n, perm_cost_fn cost, void *ctx, int *best, double *best_cost, nq_err *err)
{
    if (n < 1 || n > 10 || !cost || !best)
        return nq_err_set(err, NQ_EINVAL, "perm_exhaustive: n must be 1..10 (is %d)", n);
    int a[10], c[10] = {0};
    for (int i = 0; i < n; i++)
        a[i] = i;
    double bc = cost(ctx, a, n);
    memcpy(best, a, (size_t)n * sizeof *a);
    /* Heap's algorithm, iterative */
    int i = 1;
    while (i < n) {
        if (c[i] < i) {
            int j = i % 2 ? c[i] : 0;
            int t = a[j];
            a[j] = a[i];
            a[i] = t;
            double v = cost(ctx, a, n);
            if (cost_ok(v) && (!cost_ok(bc) || v < bc)) {
                bc = v;
                memcpy(best, a, (size_t)n * sizeof *a);
            }
            c[i]++;
            i = 1;
        } else {
            c[i] = 0;
            i++;
        }
    }
    *best_cost = bc;
    if (!cost_ok(bc))
        return nq_err_set(err, NQ_ERROR, "perm_exhaustive: no permutation had a valid cost");
    return 0;
}
