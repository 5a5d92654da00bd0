/*
 * dna_simd.h — the hot loops of the DNA library as interchangeable kernels: 2-bit packing and
 * unpacking, base validation and GC counting, each in a scalar version (the reference) and,
 * where the CPU has them, AVX2 (x86-64, checked at run time with __builtin_cpu_supports) and
 * NEON (ARM64, always present). dna_pack() & co. (dna_zip.h) call the best variant; the tests
 * call every variant explicitly and compare them byte for byte with the scalar one.
 *
 * Conventions (dna_zip.h): A=0, C=1, T=2, G=3 = (ascii >> 1) & 3; base i in bits 2*(i%4) of
 * byte i/4. pack reads n letters (A/C/G/T, either case; other bytes pack to unspecified
 * symbols, so validate first) and writes (n+3)/4 bytes; unpack writes n upper-case letters.
 */
#ifndef NQ_DNA_SIMD_H
#define NQ_DNA_SIMD_H

#include <stddef.h>
#include <stdint.h>

typedef struct dna_kernels {
    const char *name; /* "scalar", "avx2", "neon" */
    void (*pack)(const uint8_t *s, size_t n, uint8_t *out);
    void (*unpack)(const uint8_t *p, size_t n, uint8_t *out);
    size_t (*find_non_acgt)(const uint8_t *s, size_t n); /* first index not ACGTacgt, or n */
    size_t (*count_gc)(const uint8_t *s, size_t n);      /* bytes in GCgc */
} dna_kernels;

/* Every variant this CPU can run, scalar first; returns how many (at most max). */
int dna_kernels_list(const dna_kernels **out, int max);
/* The fastest variant this CPU can run. */
const dna_kernels *dna_kernels_best(void);

extern const dna_kernels dna_kernels_scalar;
#if defined(__x86_64__)
extern const dna_kernels dna_kernels_avx2;
#endif
#if defined(__aarch64__)
extern const dna_kernels dna_kernels_neon;
#endif

#endif
