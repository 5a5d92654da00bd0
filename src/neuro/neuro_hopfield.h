/*
 * neuro_hopfield.h — the Hopfield (1982) associative memory: Hebbian storage of +-1 patterns,
 * asynchronous and synchronous recall, and the energy.
 *
 * Storage is the Hebbian outer-product rule W = sum_mu xi^mu (xi^mu)^T with a zero diagonal
 * (the usual 1/N factor is left out: it does not change any sign). Weights are 32-bit
 * integers, so storing, recall and the energy are exact and every platform computes the same
 * states. The local field of neuron i is h_i = sum_j W_ij s_j; a neuron takes the sign of its
 * field and keeps its state when the field is 0.
 *
 *   asynchronous recall   sweeps over the neurons in an order shuffled every sweep by the
 *                         caller's seeded generator, updating one at a time; each flip lowers
 *                         E = -1/2 s^T W s, so it stops at a fixed point (a sweep without a
 *                         flip) within a bounded number of sweeps.
 *   synchronous recall    all neurons at once from the previous state; it may end in a
 *                         2-cycle, which is reported.
 *
 * Capacity (Amit, Gutfreund & Sompolinsky 1985): random patterns are recalled with few errors
 * while P / N < 0.138; above it the stored patterns stop being attractors. test_hopfield.c
 * checks both sides at N = 200.
 */
#ifndef NQ_NEURO_HOPFIELD_H
#define NQ_NEURO_HOPFIELD_H

#include <stddef.h>
#include <stdint.h>

#include "base/rand.h"

typedef struct neuro_hopfield {
    uint32_t n;   /* neurons */
    uint32_t p;   /* patterns stored */
    int32_t *w;   /* n x n, row-major, zero diagonal */
} neuro_hopfield;

/* 0, NQ_EINVAL (n = 0 or n > 65536) or NQ_ENOMEM. Free with neuro_hopfield_free. */
int neuro_hopfield_init(neuro_hopfield *h, uint32_t n);
void neuro_hopfield_free(neuro_hopfield *h);
/* Add one pattern of n entries, each +1 or -1 (anything > 0 counts as +1). 0, or NQ_EINVAL
 * when the weights could overflow (more than 2^31 - 1 patterns). */
int neuro_hopfield_store(neuro_hopfield *h, const int8_t *pattern);
/* States are arrays of n int8_t, +1 or -1 (recall first maps anything > 0 to +1, the rest to
 * -1; field and energy expect +-1 already). The local field of neuron i in state s. */
int64_t neuro_hopfield_field(const neuro_hopfield *h, const int8_t *s, uint32_t i);
/* E = -1/2 s^T W s. */
double neuro_hopfield_energy(const neuro_hopfield *h, const int8_t *s);
/* Asynchronous recall in place; returns the number of sweeps until a sweep changed nothing
 * (that sweep included), 0 if max_sweeps passed without reaching a fixed point, or NQ_ENOMEM. */
int neuro_hopfield_recall_async(const neuro_hopfield *h, int8_t *s, int max_sweeps, nq_rng *rng);
/* Synchronous recall in place; returns the number of iterations until the state stopped
 * changing or repeated the state of two iterations before (then *cycle = 1 and s is one of the
 * two states of the 2-cycle, else *cycle = 0), 0 after max_iters, or NQ_ENOMEM. */
int neuro_hopfield_recall_sync(const neuro_hopfield *h, int8_t *s, int max_iters, int *cycle);
/* Number of positions where a and b agree. */
uint32_t neuro_hopfield_overlap(const int8_t *a, const int8_t *b, uint32_t n);

#endif
