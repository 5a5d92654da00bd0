/*
 * dna_rs16.h — systematic Reed-Solomon codes over GF(2^16) (dna_gf16.h): the outer code of DNA
 * pools larger than one GF(2^8) block (docs/dna.md, "The outer code"). Same conventions as
 * dna_rs.h — c[0..n) is c(x) = sum c[i] x^(n-1-i), message first; g(x) = prod_{j<m} (x - 2^j);
 * errors and erasures with e + 2t <= m, Berlekamp-Massey from the erasure locator, Chien,
 * Forney, and a final syndrome check — with symbols of 16 bits and n up to DNA_RS16_MAX_N.
 * A block of thousands of oligos lets the parity follow the mean share of lost oligos rather
 * than the tail of a 255-oligo block.
 */
#ifndef NQ_DNA_RS16_H
#define NQ_DNA_RS16_H

#include <stdint.h>

#include "base/err.h"
#include "dna_gf16.h"

#define DNA_RS16_MAX_N 4095

typedef struct dna_rs16 {
    const dna_gf16 *f;
    int n, k, m;
    uint16_t *gen; /* g(x), gen[0] = 1 the leading coefficient, gen[m] the constant */
} dna_rs16;

/* 1 <= k < n <= DNA_RS16_MAX_N. 0, NQ_EINVAL, NQ_ENOMEM. */
int dna_rs16_init(dna_rs16 *rs, const dna_gf16 *f, int n, int k, nq_err *err);
void dna_rs16_free(dna_rs16 *rs);

/* parity[0..m) of msg[0..k). */
void dna_rs16_encode(const dna_rs16 *rs, const uint16_t *msg, uint16_t *parity);

/* Decode cw[0..n) in place with erasures eras[0..neras). Returns the number of symbols changed,
 * NQ_ECORRUPT (cw left as it was), NQ_EINVAL or NQ_ENOMEM. */
int dna_rs16_decode(const dna_rs16 *rs, uint16_t *cw, const int *eras, int neras, nq_err *err);

#endif
