/*
 * perm_anneal.h — simulated annealing over permutations with a cost callback: the solver for
 * ordering problems whose cost is not a quadratic form (join orders, tours), where the QUBO of
 * qubo.h would need n² one-hot variables and penalty terms that drown the real cost.
 *
 * The state is a permutation of 0..n-1; a move is a swap of two positions, an insertion (one
 * element taken out and put back elsewhere, the rest shifted), the reversal of a segment or
 * the move of a segment elsewhere (40% insertions, 20% segment moves, 40% swaps by default;
 * segment moves keep runs of elements together, which single moves break: a chain join whose
 * good orders extend one connected run, a tour's 2-opt). The cost
 * is whatever the callback returns for a whole permutation (it may cache work between calls:
 * successive permutations differ in few positions). Metropolis acceptance at temperature T.
 *
 * Temperatures are calibrated from the problem when not given: a random walk of moves from the
 * start samples the uphill deltas; t_hot = mean uphill Δ / ln 2 (a typical uphill move is taken
 * half of the time), t_cold = t_hot / 1000. With one replica the temperature falls
 * geometrically from t_hot to t_cold over the budget (simulated annealing); with R > 1
 * replicas they sit on a fixed geometric ladder from t_cold to t_hot, each takes one move in
 * turn, and after every n moves of each, neighbours try to exchange their states with the
 * replica-exchange probability min(1, exp((β_k − β_{k+1})(E_k − E_{k+1}))) (as qubo_pt.c).
 *
 * Budget and determinism: the run stops after max_evals calls of the callback (the calibration
 * included) — an evaluation budget, not wall time, so the same seed, options and costs give the
 * same answer on any machine at any load. Ownership: the caller owns every array.
 * Errors: 0 or a negative NQ_E* code with a message in err (NULL allowed).
 */
#ifndef NQ_QUANTUM_PERM_ANNEAL_H
#define NQ_QUANTUM_PERM_ANNEAL_H

#include <stdint.h>

#include "base/err.h"

/* Cost of perm[0..n-1]; lower is better. NaN or +inf marks an invalid permutation. */
typedef double (*perm_cost_fn)(void *ctx, const int *perm, int n);

typedef struct perm_anneal_options {
    uint64_t seed;        /* default 1 */
    long max_evals;       /* callback calls in all (calibration included); 0 = 200·n·n */
    int replicas;         /* 1 (default): annealing; R > 1: replica exchange on a fixed ladder */
    double t_hot, t_cold; /* 0 = calibrated (see above) */
    double insert_share;  /* share of insertion moves in [0, 1]; < 0 = default 0.4 */
    double seg_share;     /* share of segment moves (reversal, block move); < 0 = default 0.2;
                             the rest are swaps */
    const int *start;     /* initial permutation (every replica starts there); NULL = random */
} perm_anneal_options;

typedef struct perm_anneal_result {
    double cost;          /* cost of the best permutation */
    long evals;           /* callback calls made */
    long evals_to_best;   /* calls made when the best was first seen */
    long accepted;        /* moves accepted */
    double t_hot, t_cold; /* the temperatures used */
} perm_anneal_result;

void perm_anneal_options_default(perm_anneal_options *o);

/* Anneal over permutations of n (1 <= n <= 1<<20) elements; best receives the best permutation
 * seen (n ints, caller's). */
int perm_anneal(int n, perm_cost_fn cost, void *ctx, const perm_anneal_options *o, int *best,
                perm_anneal_result *r, nq_err *err);

/* Exhaustive minimum over all n! permutations (n <= 10), for tests and small instances; ties go
 * to the first in the enumeration order (Heap's algorithm from the identity). */
int perm_exhaustive(int n, perm_cost_fn cost, void *ctx, int *best, double *best_cost, nq_err *err);

#endif
