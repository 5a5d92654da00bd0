/*
 * dna_cm.h — the statistical codecs of dna_zip: context models over 2-bit symbols, mixed and
 * arithmetic-coded (dna_cm.c explains the models). Symbols are 0..3 (A, C, T, G).
 */
#ifndef NQ_DNA_CM_H
#define NQ_DNA_CM_H

#include <stddef.h>
#include <stdint.h>

#include "dna_zip.h"

/* The block methods of the container (one byte in each block header). */
enum { DNA_BLOCK_TWOBIT = 0, DNA_BLOCK_KMER = 1, DNA_BLOCK_MIXED = 2 };

/* Code sym[0..n) with method DNA_BLOCK_KMER or DNA_BLOCK_MIXED, appending to out.
 * 0 or NQ_ENOMEM. */
int dna_cm_encode(const uint8_t *sym, size_t n, int method, dna_buf *out);
/* Decode n symbols from in[0..len) into sym. Never reads outside in; damaged input decodes
 * to wrong symbols (the caller's CRC catches that). 0 or NQ_ENOMEM. */
int dna_cm_decode(const uint8_t *in, size_t len, size_t n, int method, uint8_t *sym);

#endif
