/*
 * lanczos.h — the lowest eigenvalue of a large real symmetric matrix given only as y = H x.
 *
 * Lanczos builds an orthonormal basis v_1, v_2, ... of the Krylov space {v, Hv, H^2 v, ...}
 * with the three-term recurrence  beta_{j+1} v_{j+1} = H v_j - alpha_j v_j - beta_j v_{j-1},
 * in which H is the tridiagonal matrix T_j (alpha on the diagonal, beta beside it). The
 * lowest eigenvalue of T_j (a Ritz value) is an upper bound on the lowest eigenvalue of H that
 * decreases monotonically to it, typically within a few dozen to a few hundred steps. Only
 * three vectors are kept (3 x dim doubles), so memory is what limits the size: 2^20 states
 * need 24 MiB, 2^25 need 768 MiB. Loss of orthogonality in floating point makes extra copies
 * of converged eigenvalues appear later, which does not disturb the lowest one.
 *
 * The Ritz value theta is computed after every step by bisection on the Sturm sequence of T_j
 * (O(j) per probe) and its Ritz vector's last component s_j by inverse iteration on T_j; the
 * residual of the Ritz pair in the full space is then ||H y - theta y|| = beta_{j+1} |s_j|
 * without touching a long vector. The run stops when that residual is below tol x max(1,
 * |theta|) (an eigenvalue lies within the residual of theta, and the error in theta is about
 * residual^2 / gap), when beta vanishes (the Krylov space is invariant and the value exact),
 * or after max_iter steps (converged = 0). The residual test, unlike a test on how much theta
 * moved, does not stop on a plateau where theta sits between two nearly degenerate levels.
 *
 * The start vector decides which symmetry sector is searched: Lanczos never leaves the
 * Krylov space of its start. A caller who knows the ground state's sector (tfim.c does)
 * passes a start vector inside it, which also removes near-degenerate partners from other
 * sectors from the problem.
 */
#ifndef NQ_QUANTUM_LANCZOS_H
#define NQ_QUANTUM_LANCZOS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* y = H x for vectors of dim doubles (x and y never overlap). */
typedef void (*lanczos_matvec_fn)(const double *x, double *y, uint64_t dim, void *arg);
/* Fill the start vector v (it is normalised afterwards). */
typedef void (*lanczos_start_fn)(double *v, uint64_t dim, void *arg);

typedef struct lanczos_opts {
    int max_iter;   /* 0 = 500 */
    double tol;     /* relative residual; 0 = 1e-12 */
    uint64_t seed;  /* start vector (seeded random) when start is NULL */
    lanczos_start_fn start; /* or the caller's start vector (called with the matvec's arg) */
    size_t budget;  /* bytes for the three vectors; 0 = 1 GiB */
} lanczos_opts;

typedef struct lanczos_result {
    double eigenvalue;
    int iterations;
    int converged;
    uint64_t bytes;  /* memory used by the vectors */
} lanczos_result;

/* Lowest eigenvalue of the dim x dim symmetric operator mv. opts may be NULL (defaults).
 * NQ_ETOOBIG past the budget (message with the figures), NQ_ENOMEM, NQ_EINVAL for dim 0. */
int lanczos_lowest(uint64_t dim, lanczos_matvec_fn mv, void *arg, const lanczos_opts *opts,
                   lanczos_result *res, nq_err *err);

/* Lowest eigenvalue of the m x m symmetric tridiagonal matrix (a diagonal, b off-diagonal of
 * m - 1 entries), to full precision, by Sturm-sequence bisection. */
double lanczos_tridiag_lowest(const double *a, const double *b, int m);

#endif
