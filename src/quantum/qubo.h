/*
 * qubo.h — sparse QUBO and Ising models: construction, energies, exact conversion between the
 * two, problem builders (Max-Cut, graph colouring, number partitioning, TSP) and file readers.
 *
 * A QUBO over x ∈ {0,1}^n is stored as
 *
 *     E(x) = offset + Σ_i lin[i]·x_i + Σ_{i<j} W_ij·x_i·x_j
 *
 * with the couplings W in CSR form (row[i]..row[i+1] index col[]/w[]), each pair stored in
 * both rows (W_ij = W_ji), no diagonal entries and no duplicates. The same layout holds an
 * Ising model over s ∈ {−1,+1}^n with E(s) = offset + Σ h_i s_i + Σ_{i<j} J_ij s_i s_j.
 * Symmetric CSR makes every solver's one-flip update O(degree): flipping x_i changes the
 * energy by (1 − 2x_i)·(lin[i] + Σ_j W_ij x_j), and only the neighbours' local fields move.
 *
 * Models are built through a qubo_builder, which accepts terms in any order (i == j adds to
 * the linear part, i ≠ j to the pair {i,j}; repeats add up) and sorts and merges them once.
 *
 * Conversion (x = (1+s)/2, s = 2x − 1) is exact, offset included, so the energies of a QUBO
 * and of its Ising image agree for every state:
 *     h_i = lin_i/2 + Σ_j W_ij/4,  J_ij = W_ij/4,  offset' = offset + Σ lin_i/2 + Σ_{i<j} W_ij/4
 *     lin_i = 2h_i − 2Σ_j J_ij,    W_ij = 4J_ij,   offset' = offset − Σ h_i + Σ_{i<j} J_ij
 *
 * Ownership: every *_build / qubo_read_* / qubo_from_ising / ising_from_qubo fills a
 * caller-provided struct whose arrays the caller releases with qubo_free (or ising_free).
 * Errors: 0 or a negative NQ_E* code with a message in the nq_err (which may be NULL).
 */
#ifndef NQ_QUANTUM_QUBO_H
#define NQ_QUANTUM_QUBO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

/* The largest model the readers and builders accept (variables, stored pairs). */
#define QUBO_MAX_VARS (1 << 24)
#define QUBO_MAX_PAIRS ((size_t)1 << 28)

typedef struct qubo_model {
    int n;           /* variables */
    double offset;   /* constant term */
    double *lin;     /* [n] linear coefficients (the diagonal of Q) */
    size_t *row;     /* [n+1] CSR row starts into col/w */
    int *col;        /* [row[n]] neighbour indices, ascending within a row */
    double *w;       /* [row[n]] W_ij: the full coefficient of x_i x_j (i<j), stored twice */
} qubo_model;

/* The Ising model has the same layout: h in place of lin, J in place of w. */
typedef struct ising_model {
    int n;
    double offset;
    double *h;       /* [n] fields */
    size_t *row;     /* [n+1] */
    int *col;
    double *J;       /* J_ij, the full coefficient of s_i s_j (i<j), stored twice */
} ising_model;

typedef struct qubo_term {
    int i, j;
    double w;
} qubo_term;

typedef struct qubo_builder {
    int n;
    double offset;
    double *lin;
    qubo_term *terms; /* pairs with i < j, unsorted, possibly repeated */
    size_t nterms, cap;
    int failed;       /* an allocation or index error happened; build reports it */
} qubo_builder;

/* ---- building ---- */
int qubo_builder_init(qubo_builder *b, int n, nq_err *err);
/* Add w·x_i·x_j (i == j: w·x_i). Indices out of range make qubo_builder_build fail. */
void qubo_builder_add(qubo_builder *b, int i, int j, double w);
void qubo_builder_add_offset(qubo_builder *b, double c);
/* Sort, merge and drop zero pairs into m; the builder is left empty but must still be freed. */
int qubo_builder_build(qubo_builder *b, qubo_model *m, nq_err *err);
void qubo_builder_free(qubo_builder *b);

void qubo_free(qubo_model *m);
void ising_free(ising_model *m);
/* Number of distinct pairs (i<j). */
size_t qubo_num_pairs(const qubo_model *m);

/* ---- energies ---- */
double qubo_energy(const qubo_model *m, const unsigned char *x);
double ising_energy(const ising_model *m, const signed char *s);
/* Energy change of flipping x_i (O(degree)). */
double qubo_flip_delta(const qubo_model *m, const unsigned char *x, int i);

/* ---- conversion (exact, offset included) ---- */
int ising_from_qubo(const qubo_model *q, ising_model *out, nq_err *err);
int qubo_from_ising(const ising_model *s, qubo_model *out, nq_err *err);

/* ---- problem builders ---- */
typedef struct qubo_edge {
    int u, v;
    double w;
} qubo_edge;

/* Max-Cut on a weighted graph: E(x) = −(weight of the edges cut by x). Self-loops are
 * ignored (they can never be cut). */
int qubo_build_maxcut(int n, const qubo_edge *edges, size_t m, qubo_model *out, nq_err *err);
/* Weight of the edges cut by x. */
double qubo_cut_value(const qubo_edge *edges, size_t m, const unsigned char *x);

/* Proper k-colouring: variable v·k + c means "vertex v has colour c". E = 0 exactly for a
 * proper colouring, and every violated one-hot constraint or monochromatic edge costs at
 * least penalty (> 0). */
int qubo_build_coloring(int n, const qubo_edge *edges, size_t m, int k, double penalty,
                        qubo_model *out, nq_err *err);

/* Number partitioning of a[0..n): E(x) = (Σ_{x_i=1} a_i − Σ_{x_i=0} a_i)², the squared
 * difference of the two subset sums. */
int qubo_build_partition(int n, const double *a, qubo_model *out, nq_err *err);

/* Travelling salesman on n cities with distances d[i*n + j]: variable i·n + t means "city i
 * is visited at step t". E = length of the closed tour (the return edge from step n−1 to
 * step 0 included) for a valid assignment; every violated row or column one-hot constraint
 * costs penalty (penalty <= 0 chooses 2·max d, large enough that no invalid assignment beats
 * a tour). */
int qubo_build_tsp(int n, const double *d, double penalty, qubo_model *out, nq_err *err);
/* Decode a TSP assignment into tour[0..n) (city at each step); −1 if x is not a permutation. */
int qubo_tsp_decode(int n, const unsigned char *x, int *tour);

/* ---- readers ---- */
/* Beasley/BiqMac sparse form: "n m" then m lines "i j w", 1-based, i <= j; the energy is
 * Σ_{i=j} w x_i + 2 Σ_{i<j} w x_i x_j (x^T Q x for the symmetric Q listed once). */
int qubo_read_beasley(FILE *f, qubo_model *out, nq_err *err);
/* Gset (rudy) graph: "n m" then m lines "u v w", 1-based. Fills the edge list (caller frees
 * *edges with free()) and the number of vertices; build the QUBO with qubo_build_maxcut. */
int qubo_read_gset(FILE *f, int *n, qubo_edge **edges, size_t *m, nq_err *err);
/* A JSON form: {"n": N, "offset": c, "terms": [[i, j, w], ...]} with 0-based indices and the
 * QUBO convention of qubo_builder_add (i == j linear, i ≠ j the full pair coefficient). */
int qubo_read_json(FILE *f, qubo_model *out, nq_err *err);

#endif
