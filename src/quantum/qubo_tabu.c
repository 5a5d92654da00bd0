/*
 * qubo_tabu.c — one-flip tabu search (Glover, Kochenberger, Alidaee; Palubeckis' MST1 form).
 *
 * Each move flips the variable with the lowest Δ = (1 − 2x_i)·f_i among those not tabu, even
 * when Δ > 0 (that is how the search leaves local minima). A flipped variable is tabu for
 * `tenure` moves plus a random 0..2 (the small jitter breaks cycles of period tenure). Aspiration:
 * a tabu variable may move anyway if the move gives a state better than the best so far. Ties
 * between equal Δ are broken uniformly at random (reservoir sampling), so runs with different
 * seeds explore differently. A run ends after `stall` moves without a new best (default 10·n +
 * 1000), at the target or at the deadline; the driver (qubo_solve) restarts from a fresh state.
 * Each move costs O(n) to choose plus O(degree) to apply.
 */
#include "qubo_solve_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int qubo_solve_tabu(const qubo_model *m, const qubo_options *o, qubo_result *r, nq_err *err)
{
    double t0 = qubo_now();
    int n = m->n;
    int rc = qubo_result_init(r, n, err);
    if (rc)
        return rc;
    unsigned char *x = malloc((size_t)n);
    double *f = malloc((size_t)n * sizeof *f);
    long *until = calloc((size_t)n, sizeof *until);
    if (!x || !f || !until) {
        free(x);
        free(f);
        free(until);
        qubo_result_free(r);
        return nq_err_set(err, NQ_ENOMEM, "tabu: out of memory");
    }
    nq_rng rng;
    nq_rng_seed(&rng, o->seed);
    int tenure = o->tenure > 0 ? o->tenure : n / 100 + 10;
    if (o->tenure <= 0 && tenure > n / 4)
        tenure = n / 4 > 0 ? n / 4 : 1;
    long stall = o->stall > 0 ? o->stall : 10L * n + 1000;

    qubo_random_state(&rng, x, n);
    double e = qubo_fields_init(m, x, f);
    double best = e;
    memcpy(r->x, x, (size_t)n);
    long it, last = 0;
    for (it = 1; it - last <= stall; it++) {
        int pick = -1, ties = 0;
        double pd = INFINITY;
        for (int i = 0; i < n; i++) {
            double d = qubo_delta_f(x, f, i);
            if (until[i] >= it && !(e + d < best - 1e-9))
                continue;
            if (d < pd - 1e-12) {
                pd = d;
                pick = i;
                ties = 1;
            } else if (d <= pd + 1e-12 && nq_rng_below(&rng, (uint64_t)++ties) == 0)
                pick = i;
        }
        if (pick < 0) /* everything tabu: take any variable */
            pick = (int)nq_rng_below(&rng, (uint64_t)n), pd = qubo_delta_f(x, f, pick);
        qubo_flip_f(m, x, f, pick);
        e += pd;
        until[pick] = it + tenure + (long)nq_rng_below(&rng, 3);
        if (e < best - 1e-9) {
            best = e;
            last = it;
            memcpy(r->x, x, (size_t)n);
            r->seconds_to_best = qubo_now() - t0;
            if (o->has_target && best <= o->target)
                break;
        }
        if ((it & 255) == 0 && qubo_should_stop(o))
            break;
    }
    r->iterations = (uint64_t)it;
    r->energy = qubo_energy(m, r->x);
    r->runs = 1;
    r->seconds = qubo_now() - t0;
    free(x);
    free(f);
    free(until);
    return 0;
}
