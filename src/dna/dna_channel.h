/*
 * dna_channel.h — a seeded simulator of DNA synthesis and sequencing (docs/dna.md, "The
 * channel model"), for the tests, the benchmark and `nqdb dna simulate`.
 *
 * Each oligo of the pool is lost with probability `dropout`; a surviving oligo is read
 * `coverage` times (fixed) or a Poisson(coverage) number of times. Each read copies the oligo
 * base by base: before each base an insertion (a random base) with probability `ins`; the base
 * itself deleted with probability `del`, else substituted by one of the three other bases with
 * probability `sub`. The reads come out in a random order. Everything is drawn from one seeded
 * generator (xoshiro256**): the same seed gives the same reads on every platform.
 */
#ifndef NQ_DNA_CHANNEL_H
#define NQ_DNA_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct dna_channel_params {
    double dropout, sub, ins, del;
    double coverage;
    int poisson;    /* 1: Poisson(coverage) reads per oligo; 0: exactly round(coverage) */
    uint64_t seed;
} dna_channel_params;

typedef struct dna_reads {
    size_t count;
    size_t *off;    /* read i is bases + off[i], length len[i] */
    size_t *len;
    char *bases;
} dna_reads;

/* oligos[i * len .. +len) for i < count. 0, NQ_EINVAL (a rate outside [0, 1], a coverage
 * outside [0, 1000]), NQ_ENOMEM. */
int dna_channel_simulate(const dna_channel_params *p, const char *oligos, size_t count, int len,
                         dna_reads *out, nq_err *err);
void dna_reads_free(dna_reads *r);

#endif
