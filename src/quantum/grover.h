/*
 * grover.h — Grover's search and amplitude amplification on the state-vector simulator.
 *
 * Amplitude amplification: a preparation A maps |0> to a state whose "good" part (the marked
 * basis states) has probability a = sin^2(theta). Each iteration Q = -A S0 A^dg S_chi, where
 * S_chi negates the marked amplitudes (the oracle) and S0 negates |0>, turns the state by
 * 2 theta in the plane of the good and bad parts, so after k iterations the probability of a
 * marked outcome is exactly sin^2((2k+1) theta). The k that brings the angle closest below
 * pi/2 is k = floor(pi / (4 theta)). Grover's search is the case A = H^n, a = M/N, where
 * A S0 A^dg is the reflection about the mean and is applied directly: a_i <- 2 mean - a_i.
 *
 * The oracle is either a list of marked indices (duplicates are allowed and count once) or a
 * predicate called for every index each iteration. This is a classical simulation: the
 * oracle already knows the answer, and simulating N amplitudes for ~sqrt(N) iterations costs
 * O(N^1.5) where a scan costs O(N). It exists to compute the quantum algorithm's figures
 * (iterations, success probability, circuits to run elsewhere), not to search faster.
 */
#ifndef NQ_QUANTUM_GROVER_H
#define NQ_QUANTUM_GROVER_H

#include <stdint.h>

#include "statevec.h"
#include "statevec_circuit.h"

/* 1 if index is marked, 0 if not. */
typedef int (*grover_pred_fn)(uint64_t index, void *arg);

typedef struct grover_oracle {
    const uint64_t *marked; /* marked indices, or NULL to use pred */
    size_t nmarked;
    grover_pred_fn pred;
    void *arg;
} grover_oracle;

/* Applies A (inverse = 0) or A^dg (inverse = 1) to sv; 0 or a negative NQ_E* code. */
typedef int (*grover_prep_fn)(statevec *sv, int inverse, void *arg);

typedef struct grover_result {
    uint64_t nmarked;     /* distinct marked states */
    uint64_t iterations;  /* iterations run */
    double initial;       /* probability of a marked outcome before any iteration (a) */
    double theta;         /* asin(sqrt(a)) */
    double success;       /* probability of a marked outcome at the end, from the state */
    double predicted;     /* sin^2((2k+1) theta) */
} grover_result;

/* theta = asin(sqrt(a)) and the optimal k = floor(pi/(4 theta)); 0 when a is 0 or 1. */
uint64_t grover_optimal_iterations_p(double a);
/* The same for M marked out of N. */
uint64_t grover_optimal_iterations(uint64_t n_states, uint64_t m_marked);
/* sin^2((2k+1) asin(sqrt(M/N))). */
double grover_success_probability(uint64_t n_states, uint64_t m_marked, uint64_t k);

/* Negate the amplitudes of the marked states. */
int grover_oracle_apply(statevec *sv, const grover_oracle *o, nq_err *err);
/* Reflection about the uniform state: a_i <- 2 mean - a_i. */
void grover_diffuse(statevec *sv);
/* Total probability of the marked states. */
double grover_marked_probability(const statevec *sv, const grover_oracle *o);

/* Grover's search: sv is set to the uniform state, then iterations rounds of oracle and
 * diffusion are applied (iterations < 0: the optimal count for the number of marked
 * states). res (may be NULL) receives the figures. Marked indices must be < 2^n (NQ_EINVAL). */
int grover_search(statevec *sv, const grover_oracle *o, int64_t iterations, grover_result *res,
                  nq_err *err);

/* Amplitude amplification with a preparation A (see above): sv is reset to |0>, A applied,
 * then iterations rounds of Q (iterations < 0: floor(pi/(4 theta)) for the measured a). */
int grover_amplify(statevec *sv, grover_prep_fn prep, void *arg, const grover_oracle *o,
                   int64_t iterations, grover_result *res, nq_err *err);

/* The gate-level circuit of Grover's search on n qubits for the marked list: H on every
 * qubit, then per iteration the phase oracle (for each marked state: X on its 0 bits, a
 * multi-controlled Z over all qubits, X again) and the diffusion (H, X, MCZ, X, H on all
 * qubits; this is -(2|s><s| - I), a global phase away from grover_diffuse). The caller frees
 * *out. A predicate oracle is enumerated over the 2^n indices once. */
int grover_circuit(int n, const grover_oracle *o, uint64_t iterations, statevec_circuit **out,
                   nq_err *err);

#endif
