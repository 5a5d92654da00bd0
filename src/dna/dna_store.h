/*
 * dna_store.h — the DNA-storage codec: any bytes into a pool of synthesizable oligos and back
 * from sequencing reads (docs/dna.md, "Storing data in DNA"). Buffers in, buffers out: no I/O
 * (dna_fastx.h reads and writes FASTA/FASTQ; dna_channel.h simulates synthesis + sequencing).
 *
 * Pool layout. Each oligo carries P payload bytes (dna_oligo.h: address, seed, constrained
 * code, inner check). Addresses 0..7 are eight identical copies of the header
 *
 *   'N' 'D' version(1 or 2) max_run  file length (u64 LE)  redundancy (u16 LE, per mille)
 *   CRC-32C of the file (u32 LE)   zero bytes up to P
 *
 * and then come the blocks of the outer code, in file order: the file is cut into D = ceil(len
 * / Pu) data oligos (the last zero-padded), D is split into B = ceil(D / kmax) blocks of nearly
 * equal size k (the first D mod B get one more), and each block gets m = ceil(k r / (1 - r))
 * parity oligos, r the redundancy, with kmax the largest k where k + m <= nmax. Version 1
 * (GF(2^8)): nmax = 255, Pu = P, byte c of every oligo of a block is one codeword of RS(k + m,
 * k) (dna_rs.h). Version 2 (GF(2^16)): nmax = 4095, Pu = P rounded down to even, bytes 2c and
 * 2c+1 are one 16-bit symbol (low byte first) of codeword c (dna_rs16.h). A lost oligo is an
 * erasure in all codewords of its block, an undetected corrupted one at worst one error in
 * each. Addresses are consecutive: block after block, data oligos first, then parity.
 *
 * Decoding: reads are grouped by the address in their prefix, each group is turned into one
 * oligo (a read of the exact length that passes the inner check, else a consensus of the group:
 * dna_store_consensus.c), the header is the most common of its decoded copies, and every column
 * is decoded with the missing oligos as erasures. Anything that cannot be recovered is named
 * (block, columns, byte range) and no bytes are returned; the file CRC is checked last.
 */
#ifndef NQ_DNA_STORE_H
#define NQ_DNA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define DNA_STORE_HEADER_COPIES 8
#define DNA_STORE_HEADER_BYTES 18

typedef struct dna_store_params {
    int oligo_len;     /* bases per oligo (default 150); 0 when decoding: the most common read length */
    int max_run;       /* longest homopolymer run allowed (default 3); 0 when decoding: detect */
    double gc_min;     /* GC fraction bounds of every oligo (default 0.40 .. 0.60) */
    double gc_max;
    double redundancy; /* parity oligos / all oligos of a block, in [0, 0.9] (default 0.15) */
    int field;         /* outer code: 8 RS over GF(2^8) (blocks of <= 255 oligos), 16 RS over
                        * GF(2^16) (blocks of <= 4095 oligos, 2-byte symbols: an odd payload
                        * gives up its last byte), 0 automatic (default): 16 when the pool needs
                        * more than one GF(2^8) block and the payload is even, else 8 */
} dna_store_params;

void dna_store_params_default(dna_store_params *p);

typedef struct dna_pool {
    size_t count;      /* oligos */
    int len;           /* bases each */
    char *bases;       /* count * len bases (A/C/G/T), oligo i at bases + i * len */
    int payload;       /* P */
    int field;         /* 8 or 16: the outer code's field */
    size_t data_oligos, parity_oligos, header_oligos, blocks;
} dna_pool;

/* Encode data[0..n) (n may be 0). 0, NQ_EINVAL (bad parameters, a pool over 2^20 oligos),
 * NQ_ENOMEM, NQ_ERROR (an oligo met no GC-valid seed). pool is filled; dna_pool_free. */
int dna_store_encode(const dna_store_params *p, const uint8_t *data, size_t n, dna_pool *pool,
                     nq_err *err);
void dna_pool_free(dna_pool *pool);

/* Net information density: 8 n / (count * len), bits per nucleotide. */
double dna_pool_density(const dna_pool *pool, size_t n);

typedef struct dna_read {
    const char *seq;
    size_t len;
} dna_read;

typedef struct dna_decode_report {
    int oligo_len, max_run, payload;
    size_t reads, reads_addressed; /* reads given; reads whose prefix decoded */
    size_t clusters;               /* distinct addresses seen */
    size_t oligos_expected;        /* from the header */
    size_t oligos_direct;          /* recovered from one read that passed the check */
    size_t oligos_consensus;       /* recovered from a consensus */
    size_t oligos_missing;         /* erasures for the outer code */
    size_t symbols_corrected;      /* RS symbols changed (erasures filled and errors fixed) */
    size_t columns_lost;           /* codewords that could not be decoded */
} dna_decode_report;

/* Decode reads[0..nreads) (any order, any mix of copies; FASTA oligos are reads too). hint may
 * be NULL (everything detected). 0 with *out (malloc'ed, free()) and *outlen; NQ_ECORRUPT with
 * a message that names what is lost (header, blocks, columns, byte ranges) and no output;
 * NQ_EINVAL when there is nothing to decode; NQ_ENOMEM. rep (may be NULL) is filled in every
 * case. */
int dna_store_decode(const dna_store_params *hint, const dna_read *reads, size_t nreads,
                     uint8_t **out, size_t *outlen, dna_decode_report *rep, nq_err *err);

/* The consensus of reads[0..n) of one oligo of length len (dna_store_consensus.c): aligned to a
 * reference (a read of exactly len bases, else the closest in length; another one if fewer
 * than half the reads come near it) by banded edit distance, votes per position for a base or a deletion and per gap for
 * an insertion, repeated until it settles (at most 4 rounds). Reads farther than len/3 from the
 * reference do not vote. Writes up to cap bases into out and returns the length, or -1 (no
 * memory). */
int dna_store_consensus(const dna_read *reads, size_t n, int len, char *out, int cap);

#endif
