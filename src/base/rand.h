/*
 * rand.h — random numbers: a seeded, reproducible generator (xoshiro256**) for tests,
 * benchmarks and algorithms that must replay, and OS entropy for salts and keys.
 */
#ifndef NQ_BASE_RAND_H
#define NQ_BASE_RAND_H

#include <stddef.h>
#include <stdint.h>

typedef struct nq_rng {
    uint64_t s[4];
} nq_rng;

void nq_rng_seed(nq_rng *r, uint64_t seed);
uint64_t nq_rng_next(nq_rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t nq_rng_below(nq_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double nq_rng_double(nq_rng *r);
/* Fill buf with bytes from the operating system (getrandom); 0 or a negative NQ_E* code. */
int nq_os_random(void *buf, size_t n);

#endif
