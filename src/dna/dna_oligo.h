/*
 * dna_oligo.h — one oligonucleotide of the DNA-storage codec: layout, constrained code and
 * inner check (docs/dna.md, "Oligo layout").
 *
 * An oligo of L bases is two segments, each written with an enumerative constrained code:
 *
 *   prefix (H bases): seed (3 bits) | address (W bits) | prefix check (the rest of the prefix)
 *   body (L-H bases): payload (P bytes) | check (C bits, 5 <= C < 13), scrambled
 *
 * W, the address width, follows the pool size (8..24 bits, chosen by the pool encoder and
 * detected by the decoder); H is the shortest prefix that holds seed + address and gives the
 * body the most payload bytes with at least 5 check bits; every bit left over is check. At
 * 150 nt and W <= 16 that is P = 34 bytes (1.813 payload bits/nt) — the old layout (below)
 * carried 31.
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
 * and the encoder tries the 8 seeds until the whole oligo's GC fraction is within bounds (for
 * random-looking bodies of 150 bases each try fails the 40-60 % bounds with probability about
 * 1.4 %, all 8 with about 10^-15; the failure is reported, never hidden). The seed is in the
 * prefix, so the decoder unscrambles without any side information.
 *
 * The checks are short on purpose: the pool decoder does not rely on them alone (it wants two
 * agreeing reads or a consensus of several, and the outer Reed-Solomon code corrects the rare
 * wrong oligo that gets through as an error). The prefix check is CRC-32C over (W, seed,
 * address); the body check is the low C bits of CRC-32C over (W, address, seed, payload), so a
 * read decoded with the wrong W or a misread address fails it.
 *
 * Format 1 (pool versions 1 and 2, written before 2026-11-24) is still decoded, and can be
 * encoded for the tests: addr_bits = DNA_OLIGO_FORMAT1 selects a 4-bit seed, a 20-bit address, a
 * 4-bit prefix check padded with zeros (H = 15 nt for K >= 2) and a check of 16..23 bits.
 */
#ifndef NQ_DNA_OLIGO_H
#define NQ_DNA_OLIGO_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define DNA_OLIGO_MIN_LEN 60
#define DNA_OLIGO_MAX_LEN 1000
#define DNA_OLIGO_MAX_RUN 8
#define DNA_ADDR_MIN_BITS 8
#define DNA_ADDR_MAX_BITS 24
#define DNA_OLIGO_FORMAT1 0   /* addr_bits value: the layout of pool versions 1 and 2 */
#define DNA_OLIGO_MIN_CHECK 5 /* body check bits, at least */

typedef struct dna_oligo_codec {
    int len;               /* L, bases */
    int max_run;           /* K: no run of one base longer than this */
    int gc_lo, gc_hi;      /* allowed count of G and C in an oligo (inclusive) */
    int addr_bits;         /* W (20 in format 1) */
    int seed_bits;         /* 3 (4 in format 1) */
    int format;            /* 2: the current layout; 1: pool versions 1 and 2 */
    int prefix_len;        /* H */
    int prefix_bits;       /* bits the prefix segment carries: seed + address + prefix check */
    int body_bits;         /* bits the body carries from its weakest start state */
    int payload;           /* P, bytes */
    int check_bits;        /* C */
    int limbs;             /* 64-bit words per big integer */
    uint64_t *counts;      /* counts[(rem * (K+1) + run) * limbs ...], rem 0..L, run 0..K */
} dna_oligo_codec;

/* L in [60, 1000], K in [1, 8], addr_bits W in [8, 24] (or DNA_OLIGO_FORMAT1), gc bounds as
 * fractions 0 <= gc_min <= gc_max <= 1. The payload must come out at 1 byte or more. 0,
 * NQ_EINVAL, NQ_ENOMEM. */
int dna_oligo_init(dna_oligo_codec *c, int len, int max_run, int addr_bits, double gc_min,
                   double gc_max, nq_err *err);
void dna_oligo_free(dna_oligo_codec *c);

/* Write the oligo for (address, payload[0..P)) into bases[0..L) (ASCII A/C/G/T). 0, or
 * NQ_EINVAL (address wider than W bits), NQ_ERROR (no seed met the GC bounds). */
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
