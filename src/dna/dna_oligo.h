/*
 * dna_oligo.h — one oligonucleotide of the DNA-storage codec: layout, constrained code and
 * inner check (docs/dna.md, "Oligo layout").
 *
 * An oligo of L bases is two segments, each written with an enumerative constrained code:
 *
 *   prefix (H bases): seed (4 bits) | address (20 bits) | prefix check (4 bits) | zero bits
 *   body (L-H bases): payload (P bytes) | check (C bits, 16 <= C < 24), scrambled
 *
 * The constrained code maps an integer below N(len, state) — the number of base strings of
 * that length with no run of one base longer than K that may follow the state (the run length
 * of the last base written) — to the string of that rank in lexicographic order (A<C<G<T), and
 * back. It meets the run limit by construction and loses less than one bit per segment to the
 * capacity of the constraint (log2 of the largest root of its recurrence: 1.982 bits/nt for
 * K = 3, log2 3 = 1.585 for K = 1). The body starts from the state the prefix ends in, so no run
 * crosses the boundary either. The integers are big (L up to 1000 bases: 2000 bits); the count
 * table N[rem][run] is built once per context.
 *
 * GC content is met by scrambling: the body bits are XORed with a keystream of (seed, address),
 * and the encoder tries seeds 0..15 until the whole oligo's GC fraction is within bounds (for
 * random-looking bodies of 150 bases each try fails the 40-60 % bounds with probability about
 * 1.4 %, all 16 with about 10^-30; the failure is reported, never hidden). The seed is in the
 * prefix, so the decoder unscrambles without any side information.
 *
 * The prefix is decodable alone (the address must survive an indel later in the read) and has
 * its own protection: a 4-bit check of (seed, address), the zero padding, and the run rule. The
 * body check is the low C bits of CRC-32C over (address, seed, payload): a read or consensus
 * that fails it is an erasure for the outer code.
 */
#ifndef NQ_DNA_OLIGO_H
#define NQ_DNA_OLIGO_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define DNA_OLIGO_MIN_LEN 60
#define DNA_OLIGO_MAX_LEN 1000
#define DNA_OLIGO_MAX_RUN 8
#define DNA_ADDR_BITS 20
#define DNA_SEED_BITS 4
#define DNA_PREFIX_CHECK_BITS 4

typedef struct dna_oligo_codec {
    int len;               /* L, bases */
    int max_run;           /* K: no run of one base longer than this */
    int gc_lo, gc_hi;      /* allowed count of G and C in an oligo (inclusive) */
    int prefix_len;        /* H */
    int prefix_bits;       /* bits the prefix segment carries (>= 28) */
    int body_bits;         /* bits the body carries from its weakest start state */
    int payload;           /* P, bytes */
    int check_bits;        /* C */
    int limbs;             /* 64-bit words per big integer */
    uint64_t *counts;      /* counts[(rem * (K+1) + run) * limbs ...], rem 0..L, run 0..K */
} dna_oligo_codec;

/* L in [60, 1000], K in [1, 8], gc bounds as fractions 0 <= gc_min <= gc_max <= 1. The payload
 * must come out at 1 byte or more. 0, NQ_EINVAL, NQ_ENOMEM. */
int dna_oligo_init(dna_oligo_codec *c, int len, int max_run, double gc_min, double gc_max,
                   nq_err *err);
void dna_oligo_free(dna_oligo_codec *c);

/* Write the oligo for (address, payload[0..P)) into bases[0..L) (ASCII A/C/G/T). 0, or
 * NQ_EINVAL (address too large), NQ_ERROR (no seed met the GC bounds). */
int dna_oligo_encode(const dna_oligo_codec *c, uint32_t address, const uint8_t *payload,
                     char *bases, nq_err *err);

/* Decode the prefix of a read (its first H bases; n >= H). 0 and *address, or NQ_ECORRUPT when
 * the prefix is not one the encoder writes. */
int dna_oligo_decode_prefix(const dna_oligo_codec *c, const char *bases, size_t n,
                            uint32_t *address);

/* Decode a whole oligo (exactly L bases): 0 with *address and payload[0..P), or NQ_ECORRUPT
 * (a run too long, a base that is not ACGT, a check that fails). */
int dna_oligo_decode(const dna_oligo_codec *c, const char *bases, size_t n, uint32_t *address,
                     uint8_t *payload);

/* 1 if bases[0..n) meets the codec's constraints (runs <= K, GC within bounds, ACGT only). */
int dna_oligo_check_constraints(const dna_oligo_codec *c, const char *bases, size_t n);

#endif
