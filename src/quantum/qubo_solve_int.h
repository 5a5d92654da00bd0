/*
 * qubo_solve_int.h — helpers shared by the QUBO solvers (not part of the library's API):
 * local fields, the O(degree) flip, greedy descent, random starts, temperature scale.
 *
 * The local field of variable i is f_i = lin_i + Σ_j W_ij x_j; flipping x_i changes the energy
 * by (1 − 2x_i)·f_i and moves f_j by ±W_ij for each neighbour j only.
 */
#ifndef NQ_QUANTUM_QUBO_SOLVE_INT_H
#define NQ_QUANTUM_QUBO_SOLVE_INT_H

#include "base/rand.h"
#include "qubo_solve.h"

static inline double qubo_delta_f(const unsigned char *x, const double *f, int i)
{
    return x[i] ? -f[i] : f[i];
}

static inline void qubo_flip_f(const qubo_model *m, unsigned char *x, double *f, int i)
{
    double d = x[i] ? -1.0 : 1.0;
    x[i] ^= 1;
    for (size_t k = m->row[i]; k < m->row[i + 1]; k++)
        f[m->col[k]] += d * m->w[k];
}

/* Past the deadline, or told to stop (qubo_options.stop)? */
static inline int qubo_should_stop(const qubo_options *o)
{
    return (o->deadline > 0 && qubo_now() >= o->deadline) || (o->stop && o->stop(o->stop_arg));
}

/* f from x; returns the energy of x. */
double qubo_fields_init(const qubo_model *m, const unsigned char *x, double *f);
/* Flip variables with a negative delta until none is left; *e is kept exact. */
void qubo_descend(const qubo_model *m, unsigned char *x, double *f, double *e);
void qubo_random_state(nq_rng *rng, unsigned char *x, int n);
/* Mean |Δ| of one flip over a random state: the natural energy unit of the model (> 0). */
double qubo_delta_scale(const qubo_model *m, nq_rng *rng);
/* Allocate r->x for n variables and set the other fields to "nothing found yet". */
int qubo_result_init(qubo_result *r, int n, nq_err *err);
/* PT's adaptive ladder: given the exchange acceptance acc[k] of each gap k (between beta[k] and
 * beta[k+1], beta decreasing), scale each log-gap by (acc[k] + 0.05)/(mean + 0.05) and
 * renormalise so beta[0] and beta[R−1] stay: low-acceptance gaps shrink. */
void qubo_pt_rescale(double *beta, int R, const double *acc);
/* Mix a seed and a stream number into a generator seed. */
uint64_t qubo_seed_mix(uint64_t seed, uint64_t stream);

#endif
