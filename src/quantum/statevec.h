/*
 * statevec.h — a dense state-vector simulator for n qubits.
 *
 * The state of n qubits is 2^n complex amplitudes; basis state i has qubit q equal to bit q
 * of i (qubit 0 is the least significant bit, as in OpenQASM and Qiskit). Amplitudes are kept
 * in double precision, or in single precision (STATEVEC_F32) to fit one more qubit into the
 * same memory; sums over the state (norms, probabilities) always accumulate in double.
 *
 * Storage is "structure of arrays": one array of real parts and one of imaginary parts, so
 * that a gate's inner loop reads and writes unit-stride runs of plain numbers that the
 * compiler turns into SIMD code without shuffles (see statevec.c for the loop shape).
 *
 * Memory is checked before anything is allocated: statevec_new computes the bytes the state
 * needs and fails with NQ_ETOOBIG and a message naming both figures when they exceed the
 * caller's budget (0 = STATEVEC_DEFAULT_BUDGET).
 *
 * Gate functions return 0, or NQ_EINVAL for a qubit index out of range or repeated qubits;
 * they never abort. Nothing here keeps global state; one statevec must not be used by two
 * threads at once.
 */
#ifndef NQ_QUANTUM_STATEVEC_H
#define NQ_QUANTUM_STATEVEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/rand.h"

#define STATEVEC_MAX_QUBITS 34                      /* 2^34 amplitudes: far past any budget */
#define STATEVEC_DEFAULT_BUDGET ((size_t)1 << 30)   /* 1 GiB: 26 qubits in double */

typedef enum statevec_prec { STATEVEC_F64 = 0, STATEVEC_F32 = 1 } statevec_prec;

typedef struct statevec {
    int n;              /* qubits */
    statevec_prec prec;
    uint64_t dim;       /* 2^n */
    void *re, *im;      /* dim doubles or floats each; owned */
} statevec;

/* Bytes the amplitudes of n qubits take at precision prec; NQ_EINVAL if n is out of range. */
int statevec_bytes(int n, statevec_prec prec, uint64_t *bytes);

/* The largest n whose state fits in budget bytes at prec (0 = default budget); -1 if none. */
int statevec_max_qubits(statevec_prec prec, size_t budget);

/* Allocate n qubits in |0...0>. budget: bytes allowed (0 = STATEVEC_DEFAULT_BUDGET).
 * NQ_ETOOBIG (with the figures in err) past the budget, NQ_ENOMEM if malloc fails.
 * The caller owns *out and frees it with statevec_free. */
int statevec_new(statevec **out, int n, statevec_prec prec, size_t budget, nq_err *err);
void statevec_free(statevec *sv);

void statevec_reset(statevec *sv);            /* |0...0> */
void statevec_set_uniform(statevec *sv);      /* H^n|0>: every amplitude 1/sqrt(2^n) */
int statevec_set_basis(statevec *sv, uint64_t i); /* |i> */

/* Amplitude i as (re, im) in double, and setting it. */
void statevec_get(const statevec *sv, uint64_t i, double *re, double *im);
void statevec_set(statevec *sv, uint64_t i, double re, double im);
double statevec_prob(const statevec *sv, uint64_t i); /* |a_i|^2 */
double statevec_norm2(const statevec *sv);             /* sum |a_i|^2 (pairwise summation) */
/* Sum of the amplitudes (pairwise summation). */
void statevec_sum(const statevec *sv, double *re, double *im);
/* Probability that qubit q reads 1. */
double statevec_prob_one(const statevec *sv, int q);

/* One-qubit gates. m is a 2x2 complex matrix in row-major order as
 * {re00, im00, re01, im01, re10, im10, re11, im11}. */
int statevec_apply1(statevec *sv, int q, const double m[8]);
int statevec_h(statevec *sv, int q);
int statevec_x(statevec *sv, int q);
int statevec_y(statevec *sv, int q);
int statevec_z(statevec *sv, int q);
int statevec_s(statevec *sv, int q);
int statevec_sdg(statevec *sv, int q);
int statevec_t(statevec *sv, int q);
int statevec_tdg(statevec *sv, int q);
int statevec_rx(statevec *sv, int q, double theta); /* exp(-i theta X/2) */
int statevec_ry(statevec *sv, int q, double theta);
int statevec_rz(statevec *sv, int q, double theta); /* diag(e^{-i theta/2}, e^{i theta/2}) */

/* Controlled gates. A multi-controlled gate acts on the target only in basis states where
 * every control qubit is 1. mcz is symmetric in its qubits: it negates the amplitudes whose
 * qubits in qs are all 1. nc may be 0 (then mcx is X, mcz with one qubit is Z). */
int statevec_cnot(statevec *sv, int control, int target);
int statevec_cz(statevec *sv, int a, int b);
int statevec_mcx(statevec *sv, const int *controls, int nc, int target);
int statevec_mcz(statevec *sv, const int *qs, int nq);
/* A one-qubit matrix under any number of controls (the general case of the above). */
int statevec_apply1_ctrl(statevec *sv, const int *controls, int nc, int q, const double m[8]);

/* Multiply the amplitudes of the basis states i with (i & mask) == mask by the phase
 * (cos phi + i sin phi): Z, S, T, CZ and MCZ are all this. */
int statevec_phase_mask(statevec *sv, uint64_t mask, double phi);

/* Sampling: draw shots basis states from |a_i|^2 with rng (the state is not changed).
 * out[shots] receives the outcomes in ascending order. The distribution is normalised by
 * the state's norm, so a state whose norm drifted by rounding still samples correctly. */
int statevec_sample(const statevec *sv, nq_rng *rng, uint64_t shots, uint64_t *out, nq_err *err);
/* Measure qubit q: draw the outcome, collapse and renormalise the state. */
int statevec_measure(statevec *sv, int q, nq_rng *rng, int *bit);

#endif
