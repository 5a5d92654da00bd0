/*
 * h_quantum.h — the pure parts of POST /api/v1/quantum/search (h_quantum.c), exposed so the
 * unit tests can check them without a server: cosine similarity over float32 vectors, the
 * weights amplitude-encoded into the search state, the Householder preparation of that state,
 * and the QUBO of the diverse-subset problem that use_qubo / use_parallel_tempering solve.
 *
 * Definitions (docs/quantum.md, "REST: POST /api/v1/quantum/search", says the same):
 *   cosine(q, v)  = Σ q_k v_k / (‖q‖ ‖v‖), computed in double from the float32 values.
 *   weight w_i    = (1 + s_i) / 2 for a row with similarity s_i (0 for an opposite vector,
 *                   1 for the same direction); |ψ⟩ = Σ_i w_i |i⟩ / ‖w‖ over the row indices.
 *   A             = I − 2|u⟩⟨u| with u = (|0⟩ − |ψ⟩)/‖|0⟩ − |ψ⟩‖: a real reflection, its own
 *                   inverse, with A|0⟩ = |ψ⟩ (the identity when |ψ⟩ = |0⟩).
 *   diversity QUBO over the R results (x_i = 1: result i is selected), for k to select,
 *   redundancy weight λ and penalty P:
 *       E(x) = −Σ_i s_i x_i + λ Σ_{i<j} c_ij x_i x_j + P (Σ_i x_i − k)²
 *   with c_ij the cosine between the vectors of results i and j. Expanded (x² = x):
 *       lin_i = −s_i + P (1 − 2k),  W_ij = λ c_ij + 2P,  offset = P k².
 *   P defaults to 2 + λ (R − 1): one flip changes the other terms by at most 1 + λ (R − 1),
 *   so every state with Σ x ≠ k costs more than the best state with Σ x = k.
 */
#ifndef NQ_SERVER_H_QUANTUM_H
#define NQ_SERVER_H_QUANTUM_H

#include <stddef.h>
#include <stdint.h>

#include "quantum/qubo.h"
#include "quantum/statevec.h"
#include "server.h"

/* POST /api/v1/quantum/search (router.c). */
int h_quantum_search(req *r);

/* Element k of a vector stored as little-endian float32 bytes. */
float qsearch_vec_get(const unsigned char *bytes, size_t k);
/* Σ q_k v_k and Σ v_k² over dim elements of the stored vector v (bytes). */
void qsearch_dot_norm(const float *q, const unsigned char *v, size_t dim, double *dot,
                      double *vnorm2);
/* cosine of two float arrays; 0 when either has norm 0 (callers exclude those). */
double qsearch_cosine(const float *a, const float *b, size_t dim);

/* The amplitude weight of a similarity. */
static inline double qsearch_weight(double s)
{
    return (1.0 + s) / 2.0;
}

/* The preparation A for grover_amplify: arg is a qsearch_prep. */
typedef struct qsearch_prep {
    const double *u;   /* [n] the unit vector u over the first n basis states; NULL: A = I */
    uint64_t n;
} qsearch_prep;
/* Build u (malloc'd into *u, caller frees; NULL when |ψ⟩ = |0⟩) from the n weights.
 * NQ_EINVAL when every weight is 0, NQ_ENOMEM. */
int qsearch_prep_init(const double *w, uint64_t n, double **u);
int qsearch_prep_apply(statevec *sv, int inverse, void *arg);

/* The diversity QUBO above over R results with similarities s[R] and redundancies
 * c[i*R + j]; penalty <= 0 chooses the default. The caller frees *out with qubo_free. */
int qsearch_diversity_qubo(int R, const double *s, const double *c, int k, double lambda,
                           double penalty, qubo_model *out, double *penalty_used, nq_err *err);

#endif
