/*
 * qubo_sa.c — simulated annealing with O(degree) incremental updates.
 *
 * One run: a seeded random start, then `sweeps` Metropolis sweeps (n proposals each, at random
 * sites) at temperatures falling geometrically from t_hot to t_cold. A flip of x_i with
 * Δ = (1 − 2x_i)·f_i is accepted when Δ <= 0 or with probability e^{−Δ/T}; accepted flips update
 * the neighbours' local fields only. The temperatures default to the model's own scale: t_hot is
 * the mean |Δ| over a random state (a typical uphill move is accepted with probability 1/e) and
 * t_cold a thousandth of it. The best state seen at the end of any sweep is kept and finished by
 * greedy descent, so the answer is always a local minimum.
 *
 * Sites are drawn at random rather than swept in order: an ordered sweep accepts a chain of
 * zero-cost moves in sweep direction, so on plateaus (a ring's domain walls) every defect is
 * carried the same way at the same speed and defects never meet to annihilate.
 */
#include "qubo_solve_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int qubo_solve_sa(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err)
{
    double t0 = qubo_now();
    int n = m->n;
    int rc = qubo_result_init(r, n, err);
    if (rc)
        return rc;
    unsigned char *x = malloc((size_t)n);
    double *f = malloc((size_t)n * sizeof *f);
    if (!x || !f) {
        free(x);
        free(f);
        qubo_result_free(r);
        return nq_err_set(err, NQ_ENOMEM, "sa: out of memory");
    }
    nq_rng rng;
    nq_rng_seed(&rng, o->seed);
    double scale = qubo_delta_scale(m, &rng);
    double th = o->t_hot > 0 ? o->t_hot : scale;
    double tc = o->t_cold > 0 ? o->t_cold : scale * 1e-3;
    long sweeps = o->sweeps > 0 ? o->sweeps : 1000;
    double ratio = sweeps > 1 ? pow(tc / th, 1.0 / (double)(sweeps - 1)) : 1.0;

    qubo_random_state(&rng, x, n);
    double e = qubo_fields_init(m, x, f);
    r->energy = e;
    memcpy(r->x, x, (size_t)n);
    double T = th;
    long s;
    for (s = 0; s < sweeps; s++, T *= ratio) {
        double beta = 1.0 / T;
        for (int k = 0; k < n; k++) {
            int i = (int)nq_rng_below(&rng, (uint64_t)n);
            double d = qubo_delta_f(x, f, i);
            if (d <= 0 || nq_rng_double(&rng) < exp(-d * beta)) {
                qubo_flip_f(m, x, f, i);
                e += d;
            }
        }
        if (e < r->energy - 1e-9) {
            r->energy = e;
            memcpy(r->x, x, (size_t)n);
            r->seconds_to_best = qubo_now() - t0;
            if (o->has_target && e <= o->target)
                break;
        }
        if ((s & 15) == 15 && qubo_should_stop(o))
            break;
    }
    r->iterations = (uint64_t)(s < sweeps ? s + 1 : sweeps) * (uint64_t)n;
    /* finish the best state by descent */
    double eb = qubo_fields_init(m, r->x, f);
    qubo_descend(m, r->x, f, &eb);
    r->energy = qubo_energy(m, r->x);
    r->runs = 1;
    r->seconds = qubo_now() - t0;
    free(x);
    free(f);
    return 0;
}
