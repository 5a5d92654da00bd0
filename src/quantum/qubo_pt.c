/*
 * qubo_pt.c — parallel tempering (replica exchange Monte Carlo).
 *
 * R replicas of the model run Metropolis sweeps (O(degree) flips, as in SA) at temperatures
 * T_0 < T_1 < ... < T_{R−1}. After each sweep, neighbouring temperatures try to exchange their
 * states (even pairs on even rounds, odd pairs on odd rounds) with the replica-exchange
 * probability min(1, exp((β_k − β_{k+1})·(E_k − E_{k+1}))), which keeps the joint distribution
 * Π_k e^{−β_k E_k}/Z_k stationary: the cold replicas sample their Boltzmann distribution while
 * hot ones carry states across barriers. Exchanges swap pointers, not states.
 *
 * The ladder starts geometric between t_cold and t_hot (defaults from the model's scale, as in
 * SA: the mean |Δ| over a random state and 1/100 of it). With `adaptive` on, every 50 rounds of
 * the first half of the run the log-gaps are rescaled by (a_k + 0.05)/(ā + 0.05), a_k the
 * exchange acceptance of gap k and ā the mean, and renormalised to the same span: gaps with low
 * acceptance shrink, the end points stay, and the ladder drifts toward equal acceptance. The
 * second half runs on the fixed ladder.
 *
 * qubo_pt_sample uses the same machinery at fixed temperatures to estimate ⟨E⟩(T), for the
 * equilibrium tests (open Ising chain: ⟨E⟩ = −(N−1)J·tanh(βJ)).
 */
#include "qubo_solve_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct replica {
    unsigned char *x;
    double *f;
    double e;
} replica;

typedef struct pt_state {
    const qubo_model *m;
    int R;
    replica *rep;   /* rep[k]: the state currently at temperature k */
    double *beta;
    long *tried, *taken;
    nq_rng rng;
} pt_state;

static void pt_free(pt_state *p)
{
    if (p->rep)
        for (int k = 0; k < p->R; k++) {
            free(p->rep[k].x);
            free(p->rep[k].f);
        }
    free(p->rep);
    free(p->beta);
    free(p->tried);
    free(p->taken);
}

static int pt_init(pt_state *p, const qubo_model *m, int R, uint64_t seed, nq_err *err)
{
    memset(p, 0, sizeof *p);
    p->m = m;
    p->R = R;
    nq_rng_seed(&p->rng, seed);
    p->rep = calloc((size_t)R, sizeof *p->rep);
    p->beta = calloc((size_t)R, sizeof *p->beta);
    p->tried = calloc((size_t)R, sizeof *p->tried);
    p->taken = calloc((size_t)R, sizeof *p->taken);
    if (!p->rep || !p->beta || !p->tried || !p->taken)
        goto nomem;
    for (int k = 0; k < R; k++) {
        p->rep[k].x = malloc((size_t)m->n);
        p->rep[k].f = malloc((size_t)m->n * sizeof(double));
        if (!p->rep[k].x || !p->rep[k].f)
            goto nomem;
        qubo_random_state(&p->rng, p->rep[k].x, m->n);
        p->rep[k].e = qubo_fields_init(m, p->rep[k].x, p->rep[k].f);
    }
    return 0;
nomem:
    pt_free(p);
    return nq_err_set(err, NQ_ENOMEM, "pt: out of memory for %d replicas", R);
}

static void pt_sweep(pt_state *p, replica *r, double beta)
{
    const qubo_model *m = p->m;
    for (int k = 0; k < m->n; k++) { /* random sites, as in SA (qubo_sa.c says why) */
        int i = (int)nq_rng_below(&p->rng, (uint64_t)m->n);
        double d = qubo_delta_f(r->x, r->f, i);
        if (d <= 0 || nq_rng_double(&p->rng) < exp(-d * beta)) {
            qubo_flip_f(m, r->x, r->f, i);
            r->e += d;
        }
    }
}

static void pt_exchange(pt_state *p, long round)
{
    for (int k = (int)(round & 1); k + 1 < p->R; k += 2) {
        double a = (p->beta[k] - p->beta[k + 1]) * (p->rep[k].e - p->rep[k + 1].e);
        p->tried[k]++;
        if (a >= 0 || nq_rng_double(&p->rng) < exp(a)) {
            replica t = p->rep[k];
            p->rep[k] = p->rep[k + 1];
            p->rep[k + 1] = t;
            p->taken[k]++;
        }
    }
}

void qubo_pt_rescale(double *beta, int R, const double *acc)
{
    if (R < 3)
        return;
    double mean = 0, span = 0, nspan = 0;
    for (int k = 0; k + 1 < R; k++)
        mean += acc[k];
    mean /= R - 1;
    /* first pass: new gaps into nothing but a running sum; second pass applies them scaled */
    for (int k = 0; k + 1 < R; k++) {
        double gap = log(beta[k] / beta[k + 1]);
        span += gap;
        nspan += gap * (acc[k] + 0.05) / (mean + 0.05);
    }
    if (!(nspan > 0))
        return;
    double prev = beta[0];
    for (int k = 0; k + 1 < R; k++) {
        double gap = log(prev / beta[k + 1]) * (acc[k] + 0.05) / (mean + 0.05);
        prev = beta[k + 1];
        beta[k + 1] = beta[k] * exp(-gap * span / nspan);
    }
}

/* Feed the exchange statistics since the last call to qubo_pt_rescale and reset them. */
static void pt_adapt(pt_state *p)
{
    double acc[256];
    if (p->R < 3 || p->R > 257)
        return;
    for (int k = 0; k + 1 < p->R; k++) {
        acc[k] = p->tried[k] ? (double)p->taken[k] / p->tried[k] : 0;
        p->tried[k] = p->taken[k] = 0;
    }
    qubo_pt_rescale(p->beta, p->R, acc);
}

int qubo_solve_pt(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err)
{
    double t0 = qubo_now();
    int n = m->n, R = o->replicas > 1 ? (o->replicas < 256 ? o->replicas : 256) : 16;
    long sweeps = o->sweeps > 0 ? o->sweeps : 1000;
    int rc = qubo_result_init(r, n, err);
    if (rc)
        return rc;
    pt_state p;
    if ((rc = pt_init(&p, m, R, o->seed, err))) {
        qubo_result_free(r);
        return rc;
    }
    double scale = qubo_delta_scale(m, &p.rng);
    double th = o->t_hot > 0 ? o->t_hot : scale;
    double tc = o->t_cold > 0 ? o->t_cold : scale * 1e-2;
    for (int k = 0; k < R; k++)
        p.beta[k] = 1.0 / (tc * pow(th / tc, (double)k / (R - 1)));
    long s;
    for (s = 0; s < sweeps; s++) {
        for (int k = 0; k < R; k++) {
            pt_sweep(&p, &p.rep[k], p.beta[k]);
            if (p.rep[k].e < r->energy - 1e-9) {
                r->energy = p.rep[k].e;
                memcpy(r->x, p.rep[k].x, (size_t)n);
                r->seconds_to_best = qubo_now() - t0;
            }
        }
        pt_exchange(&p, s);
        if (o->adaptive >= 0 && s < sweeps / 2 && s % 50 == 49)
            pt_adapt(&p);
        if (o->has_target && r->energy <= o->target)
            break;
        if (qubo_should_stop(o))
            break;
    }
    r->iterations = (uint64_t)(s < sweeps ? s + 1 : sweeps) * (uint64_t)n * (uint64_t)R;
    double eb = qubo_fields_init(m, r->x, p.rep[0].f);
    qubo_descend(m, r->x, p.rep[0].f, &eb);
    r->energy = qubo_energy(m, r->x);
    r->runs = 1;
    r->seconds = qubo_now() - t0;
    pt_free(&p);
    return 0;
}

int qubo_pt_sample(const qubo_model *m, const double *temps, int R, long burn, long sweeps,
                   uint64_t seed, double *mean, double *err_out, nq_err *err)
{
    if (R < 1 || sweeps < 20)
        return nq_err_set(err, NQ_EINVAL, "pt: need at least 1 temperature and 20 sweeps");
    for (int k = 0; k < R; k++)
        if (!(temps[k] > 0))
            return nq_err_set(err, NQ_EINVAL, "pt: temperature %d is not positive", k);
    pt_state p;
    int rc = pt_init(&p, m, R, seed, err);
    if (rc)
        return rc;
    double *batch = calloc((size_t)R * 20, sizeof *batch);
    if (!batch) {
        pt_free(&p);
        return nq_err_set(err, NQ_ENOMEM, "pt: out of memory");
    }
    for (int k = 0; k < R; k++)
        p.beta[k] = 1.0 / temps[k];
    long per = sweeps / 20;
    for (long s = 0; s < burn + per * 20; s++) {
        for (int k = 0; k < R; k++)
            pt_sweep(&p, &p.rep[k], p.beta[k]);
        pt_exchange(&p, s);
        if (s >= burn) {
            long b = (s - burn) / per;
            for (int k = 0; k < R; k++)
                batch[k * 20 + b] += p.rep[k].e;
        }
    }
    for (int k = 0; k < R; k++) {
        double sum = 0, sq = 0;
        for (int b = 0; b < 20; b++) {
            double v = batch[k * 20 + b] / per;
            sum += v;
            sq += v * v;
        }
        mean[k] = sum / 20;
        if (err_out) {
            double var = (sq - sum * sum / 20) / 19;
            err_out[k] = sqrt(var > 0 ? var / 20 : 0);
        }
    }
    free(batch);
    pt_free(&p);
    return 0;
}
