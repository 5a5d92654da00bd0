/*
 * dna_fastx.h — FASTA and FASTQ for the DNA-storage codec: the pool is written as FASTA (one
 * record per oligo, ">oligo_<index>"), simulated reads as FASTQ (">read_<index>", quality 'I'
 * throughout: the simulator has no quality model), and either format is read back.
 *
 * The parser takes untrusted bytes (fuzzed: tests/fuzz/fuzz_dna_fastx.c). The format is told
 * by the first non-blank character ('>' FASTA, '@' FASTQ). FASTA sequences may span lines;
 * FASTQ records are the usual four lines (sequence and quality on one line each, equal
 * lengths, quality in '!'..'~'). Bases are A/C/G/T/N in either case (kept upper case); the
 * other IUPAC codes become N; spaces, tabs and CR are ignored; ';' lines in FASTA are
 * comments. Anything else is NQ_EINVAL with the line number.
 */
#ifndef NQ_DNA_FASTX_H
#define NQ_DNA_FASTX_H

#include <stddef.h>

#include "base/err.h"
#include "dna_channel.h"

/* Parse buf[0..n) into reads (dna_reads_free). Empty input gives 0 reads. */
int dna_fastx_parse(const char *buf, size_t n, dna_reads *out, nq_err *err);

/* count sequences of len bases each at seqs + i*len, as FASTA into *out (malloc'ed). */
int dna_fasta_write(const char *seqs, size_t count, int len, char **out, size_t *outlen,
                    nq_err *err);

/* The reads as FASTQ into *out (malloc'ed). */
int dna_fastq_write(const dna_reads *r, char **out, size_t *outlen, nq_err *err);

#endif
