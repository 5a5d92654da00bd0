/*
 * dna_store.h — the DNA-storage codec: any bytes into a pool of synthesizable oligos and back
 * from sequencing reads (docs/dna.md, "Storing data in DNA"). Buffers in, buffers out: no I/O
 * (dna_fastx.h reads and writes FASTA/FASTQ; dna_channel.h simulates synthesis + sequencing).
 *
 * Pool layout (version 3). Each oligo carries P payload bytes behind a W-bit address
 * (dna_oligo.h: W = the bits the pool's oligo count needs, at least 8). Addresses 0..7 are
 * eight identical copies of the header
 *
 *   'N' 'D' 3 flags(bit 0: GF(2^16))  K  W  file length (u48 LE)  redundancy (u16 LE, per mille)
 *   CRC-32C of the file (u32 LE)   CRC-32C of the 18 bytes before (low 16 bits, LE)   zeros to P
 *
 * and then come the blocks of the outer code, in file order: the file is cut into D = ceil(len
 * / Pu) data oligos (the last zero-padded), D is split into B = ceil(D / kmax) blocks of nearly
 * equal size k (the first D mod B get one more), and each block gets m = ceil(k r / (1 - r))
 * parity oligos, r the redundancy, with kmax the largest k where k + m <= nmax. GF(2^8): nmax =
 * 255, Pu = P, byte c of every oligo of a block is one codeword of RS(k + m, k) (dna_rs.h).
 * GF(2^16): nmax = 4095, Pu = P rounded down to even, bytes 2c and 2c+1 are one 16-bit symbol
 * (low byte first) of codeword c (dna_rs16.h). A lost oligo is an erasure in all codewords of its
 * block, an undetected corrupted one at worst one error in each. Addresses are consecutive:
 * block after block, data oligos first, then parity. The redundancy is given, or sized to a
 * design loss rate (dna_store_params.loss): the smallest r at which the pool fails with
 * probability at most DNA_STORE_DESIGN_FAILURE when every oligo is lost independently at that
 * rate (the binomial tail of every block).
 *
 * Versions 1 (GF(2^8)) and 2 (GF(2^16)), written before 2026-11-24 with the format-1 oligo
 * (20-bit address) and an 18-byte header ('N' 'D' version K u64 length, u16 redundancy, u32
 * CRC), are still decoded; a newer version is refused by name.
 *
 * Decoding: the oligo length is the most common read length; the run limit K and the address
 * width W (or the format-1 layout) are those under which the most sampled reads pass the inner
 * check, confirmed by the header. Reads are grouped by the address in their prefix; each group
 * becomes one oligo — a payload that `support` reads of the exact length decode to, else a
 * consensus of the group (dna_store_consensus.c) that `support` reads voted for and that passes
 * the check — where support is 2 when the reads cover the clusters about 3 times or more
 * (sequencing reads) and 1 otherwise (a pool read back as it was written). Anything else is an
 * erasure. The header is the most common of its decoded copies, and every column is decoded with
 * the missing oligos as erasures and any wrong oligo as errors. Anything that cannot be
 * recovered is named (block, columns, byte range) and no bytes are returned; the file CRC is
 * checked last.
 */
#ifndef NQ_DNA_STORE_H
#define NQ_DNA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define DNA_STORE_HEADER_COPIES 8
#define DNA_STORE_HEADER_BYTES 20   /* version 3; versions 1-2 had 18 */
#define DNA_STORE_VERSION 3
#define DNA_STORE_DESIGN_FAILURE 1e-4 /* pool failure probability the loss-sized parity allows */

typedef struct dna_store_params {
    int oligo_len;     /* bases per oligo (default 150); 0 when decoding: the most common read length */
    int max_run;       /* longest homopolymer run allowed (default 3); 0 when decoding: detect */
    double gc_min;     /* GC fraction bounds of every oligo (default 0.40 .. 0.60) */
    double gc_max;
    double redundancy; /* parity oligos / all oligos of a block, in [0, 0.9] (default 0.15) */
    double loss;       /* > 0: size the parity for this share of lost oligos instead (dropout
                        * plus what the decoder cannot rebuild), overriding redundancy; the
                        * profiles: 0.021 Illumina-like, 0.105 nanopore-like (docs/dna.md) */
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
    int addr_bits;     /* W */
    double redundancy; /* the parity share used (per mille precision) */
    size_t data_oligos, parity_oligos, header_oligos, blocks;
} dna_pool;

/* Encode data[0..n) (n may be 0). 0, NQ_EINVAL (bad parameters, a pool over 2^24 oligos),
 * NQ_ENOMEM, NQ_ERROR (an oligo met no GC-valid seed). pool is filled; dna_pool_free. */
int dna_store_encode(const dna_store_params *p, const uint8_t *data, size_t n, dna_pool *pool,
                     nq_err *err);
void dna_pool_free(dna_pool *pool);

/* The same pool in the format of version 1 or 2 (20-bit addresses; field 8 gives version 1, 16
 * version 2), as nqdb wrote it before 2026-11-24: for the tests of the decoder's backward
 * reading only. */
int dna_store_encode_v1(const dna_store_params *p, const uint8_t *data, size_t n,
                        dna_pool *pool, nq_err *err);

/* The redundancy (per mille) the loss-sized parity would use, and the pool's failure
 * probability bound at it, for a file of n bytes with payload P bytes per oligo. */
int dna_store_redundancy_for_loss(uint64_t n, int P, int field, double loss, double *fail);

/* Net information density: 8 n / (count * len), bits per nucleotide. */
double dna_pool_density(const dna_pool *pool, size_t n);

typedef struct dna_read {
    const char *seq;
    size_t len;
} dna_read;

typedef struct dna_decode_report {
    int oligo_len, max_run, payload, addr_bits, version;
    size_t reads, reads_addressed; /* reads given; reads whose prefix decoded */
    size_t clusters;               /* distinct addresses seen */
    size_t oligos_expected;        /* from the header */
    size_t oligos_direct;          /* recovered from reads that passed the check (support) */
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
 * memory); *support (may be NULL) receives the number of reads that voted in the last round. */
int dna_store_consensus(const dna_read *reads, size_t n, int len, char *out, int cap, int *support);

#endif
