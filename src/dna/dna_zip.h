/*
 * dna_zip.h — lossless compression of DNA sequence files, and the sequence functions built on
 * the same kernels (docs/dna.md, "Compression").
 *
 * Everything here is buffers in, buffers out: no I/O, no global state. The database (the
 * DNA_SEQUENCE column, COMPRESS TABLE, the REST endpoints) and `nqdb dna` call these.
 *
 * Sequence model. The input of dna_compress is any byte string; it is restored byte for byte.
 * It is read as lines: a line that starts with '>' is a FASTA header and is kept verbatim;
 * every other line is a sequence line whose bytes ("residues") go to the codec. Residues
 * A, C, G, T (either case) become 2-bit symbols; the case is kept as a run-length list; every
 * other residue (N, IUPAC codes, '-', '\r', anything) is kept out of band as runs (position,
 * length, byte), so a run of N costs a few bytes. Line lengths are kept as runs too. So FASTA,
 * multi-FASTA and plain sequences all round-trip exactly, and nothing is rejected.
 *
 * Algorithms (the upstream names, each with a real meaning; docs/dna.md):
 *   TwoBit         2 bits per base, exact length (upstream's baseline, without its padding bug)
 *   KmerBased      one order-8 context model over the 2-bit symbols, inverted-repeat aware,
 *                  arithmetic-coded
 *   NeuralNetwork  11 context models (orders 2..24, hashed when large, inverted-repeat aware)
 *                  plus forward and reverse-complement match models, mixed by a small
 *                  online-trained logistic network (gated by context), refined by SSE,
 *                  arithmetic-coded
 *   Hybrid         per block, whichever of the three above is smallest (each is coded; the
 *                  choice is recorded in the block header)
 *   QuantumInspired is rejected: there is no quantum algorithm for this.
 */
#ifndef NQ_DNA_ZIP_H
#define NQ_DNA_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum dna_algo {
    DNA_ALGO_TWOBIT = 0,
    DNA_ALGO_KMER = 1,
    DNA_ALGO_MIXED = 2, /* "NeuralNetwork" */
    DNA_ALGO_HYBRID = 3,
} dna_algo;
#define DNA_ALGO_COUNT 4

/* Parse an algorithm name (case-insensitive; also "pack"/"2bit", "kmer", "cm"/"mixed").
 * "QuantumInspired" and unknown names give NQ_EINVAL with a message that says why. */
int dna_algo_parse(const char *name, dna_algo *out, nq_err *err);
/* The canonical (upstream) name: "TwoBit", "KmerBased", "NeuralNetwork", "Hybrid". */
const char *dna_algo_name(dna_algo a);

/* A growable output buffer. Start zeroed; the caller frees with dna_buf_free. */
typedef struct dna_buf {
    uint8_t *data;
    size_t len, cap;
} dna_buf;
void dna_buf_free(dna_buf *b);
/* Make room for extra more bytes; 0 or NQ_ENOMEM. */
int dna_buf_reserve(dna_buf *b, size_t extra);

/* Compress in[0..n) with the algorithm; the container is appended to out (out->len grows).
 * 0 or a negative NQ_E* code (NQ_ENOMEM, NQ_EINVAL for a bad algorithm). */
int dna_compress(const uint8_t *in, size_t n, dna_algo algo, dna_buf *out, nq_err *err);

/* Decompress a container; the original bytes are appended to out. The container is checked
 * completely (structure, every block's CRC-32C, the CRC-32C of the result): on any failure
 * nothing is appended and NQ_ECORRUPT says which part is damaged (the header, the layout, block
 * i with its base range, or the final checksum). max_len bounds the size of the result (a
 * container that claims more is refused with NQ_ETOOBIG before any allocation): pass
 * DNA_ZIP_MAX_LEN for the library's limit. */
#define DNA_ZIP_MAX_LEN ((uint64_t)1 << 40)
int dna_decompress(const uint8_t *in, size_t n, uint64_t max_len, dna_buf *out, nq_err *err);

/* What a container says about itself (header only, not verified beyond the header). */
typedef struct dna_zip_info {
    dna_algo algo;        /* requested algorithm */
    uint64_t orig_len;    /* bytes of the original */
    uint64_t nbases;      /* A/C/G/T symbols coded */
    uint32_t crc;         /* CRC-32C of the original */
} dna_zip_info;
int dna_zip_info_get(const uint8_t *in, size_t n, dna_zip_info *info, nq_err *err);

/* ---- facts about a sequence file (FASTA or plain, the same reading as dna_compress) ---- */
typedef struct dna_stats {
    uint64_t residues;     /* bytes of sequence lines (bases, N and anything else) */
    uint64_t acgt;         /* of which A/C/G/T in either case */
    uint64_t gc;           /* of which G/C */
    uint64_t n_count;      /* N or n */
    uint64_t other;        /* residues that are neither ACGT nor N */
    uint64_t lower;        /* residues in lower case */
    uint64_t records;      /* header lines ('>') */
    uint64_t longest_homopolymer; /* longest run of one base (ACGT, case-insensitive) */
} dna_stats;
void dna_stats_compute(const uint8_t *in, size_t n, dna_stats *st);

/* ---- sequence functions on one plain sequence (no FASTA) ----
 * Accepted letters: A C G T N and the IUPAC codes R Y K M S W B D H V, either case; anything
 * else gives NQ_EINVAL with the position ("invalid base 'X' at position 7"). */
/* The first position that is not an accepted letter, or n. */
size_t dna_seq_find_invalid(const char *s, size_t n);
/* GC content = (G + C) / (A + C + G + T); ambiguous letters count in neither. 0 when the
 * sequence has no A/C/G/T. */
int dna_gc_content(const char *s, size_t n, double *out, nq_err *err);
/* DNA_LENGTH: the number of bases (letters), after validation. */
int dna_length(const char *s, size_t n, uint64_t *out, nq_err *err);
/* Reverse complement into out[0..n) (A<->T, C<->G, IUPAC pairs R<->Y, K<->M, B<->V, D<->H,
 * S, W, N unchanged); case is kept. */
int dna_reverse_complement(const char *s, size_t n, char *out, nq_err *err);
/* KMER_SIMILARITY(a, b, k): the Jaccard index |A ∩ B| / |A ∪ B| of the sets of distinct
 * k-mers (1 <= k <= 32) of a and b, case-insensitive, on the given strand (not canonical);
 * k-mers containing a letter other than ACGT are skipped. 0 when both sets are empty. */
int dna_kmer_similarity(const char *a, size_t na, const char *b, size_t nb, int k, double *out,
                        nq_err *err);

/* ---- 2-bit packing (SIMD kernels chosen at run time; dna_simd.h for the variants) ----
 * Symbols: A=0, C=1, T=2, G=3 (bits 1..2 of the ASCII code, so the complement is s ^ 2);
 * base i goes to bits 2*(i%4) of byte i/4; unused high bits of the last byte are zero. */
/* Pack n bases (A/C/G/T, either case: validate first) into (n+3)/4 bytes. */
void dna_pack(const char *s, size_t n, uint8_t *out);
/* Unpack n bases from (n+3)/4 bytes into upper-case letters. */
void dna_unpack(const uint8_t *p, size_t n, char *out);
/* The first position in s that is not A/C/G/T (either case), or n. */
size_t dna_find_non_acgt(const char *s, size_t n);
/* How many bytes of s are G/C/g/c. */
size_t dna_count_gc(const char *s, size_t n);

#endif
