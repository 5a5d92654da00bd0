/*
 * tfim.h — the one-dimensional transverse-field Ising model and its exact ground state.
 *
 *     H = -J sum_i Z_i Z_{i+1} - h sum_i X_i
 *
 * on a chain of N spins, periodic (bond N-1 -> 0, so N bonds) or open (N - 1 bonds). In the Z
 * basis a state is an N-bit index (bit i = 1 means Z_i = -1), the ZZ part is diagonal and the
 * X part flips one bit, so H v is computed without storing H (matrix-free):
 *     (H v)[x] = -J (bonds - 2 popcount((x XOR rot(x)) & bondmask)) v[x] - h sum_i v[x ^ 2^i]
 * in O(N 2^N) per product. The ground-state energy is then the lowest eigenvalue found by
 * Lanczos (lanczos.h), exact to rounding; memory is three vectors of 2^N doubles
 * (N = 20: 24 MiB; N = 25: 768 MiB), checked against a budget before allocating.
 *
 * For even N, periodic boundary and J, h >= 0, the Jordan-Wigner solution gives the same number
 * in closed form: E0 = -sum_{m=1..N} sqrt(J^2 + h^2 - 2 J h cos((2m - 1) pi / N)).
 */
#ifndef NQ_QUANTUM_TFIM_H
#define NQ_QUANTUM_TFIM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define TFIM_MAX_SPINS 30

typedef enum tfim_boundary { TFIM_PERIODIC = 0, TFIM_OPEN = 1 } tfim_boundary;

typedef struct tfim_params {
    int n;                 /* spins, 1..TFIM_MAX_SPINS (memory decides the practical limit) */
    double J, h;
    tfim_boundary boundary;
} tfim_params;

typedef struct tfim_exact_result {
    double energy;         /* ground-state energy */
    int iterations;        /* Lanczos steps */
    int converged;
    uint64_t dim;          /* 2^N */
    uint64_t bytes;        /* memory of the Lanczos vectors */
} tfim_exact_result;

/* y = H x over the 2^N basis (the matrix-free product above). */
void tfim_apply(const tfim_params *p, const double *x, double *y);

/* Exact ground-state energy by Lanczos. budget: bytes for the vectors (0 = 1 GiB).
 * NQ_EINVAL for bad parameters, NQ_ETOOBIG past the budget, NQ_ENOMEM. */
int tfim_exact(const tfim_params *p, size_t budget, tfim_exact_result *res, nq_err *err);

/* The closed form for even N, periodic, J >= 0, h >= 0; NQ_EINVAL otherwise. */
int tfim_energy_formula(int n, double J, double h, double *e0);

#endif
