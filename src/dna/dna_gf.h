/*
 * dna_gf.h — arithmetic in GF(2^8) for the Reed-Solomon codes of the DNA-storage codec
 * (docs/dna.md, "The outer code").
 *
 * The field is GF(2)[x]/(x^8 + x^4 + x^3 + x^2 + 1) (0x11d), whose element x = 2 is primitive:
 * every nonzero element is 2^i for one i in [0, 255). Products go through constant log/exp
 * tables (no mutable state). The hot loop of Reed-Solomon encoding and syndrome computation is
 * the region multiply-accumulate dst[i] ^= c * src[i]: a scalar reference (one 256-entry
 * product row per call), an AVX2 kernel (two 16-entry nibble tables looked up with vpshufb,
 * 32 bytes per step) and a NEON kernel (the same with vqtbl1q_u8, 16 bytes per step); the
 * dispatcher picks the best one the CPU runs, and the tests compare every available variant
 * with the scalar one byte for byte.
 */
#ifndef NQ_DNA_GF_H
#define NQ_DNA_GF_H

#include <stddef.h>
#include <stdint.h>

/* The generator polynomial of the field (with the x^8 term). */
#define DNA_GF_POLY 0x11d

uint8_t dna_gf_mul(uint8_t a, uint8_t b);
/* a != 0. */
uint8_t dna_gf_inv(uint8_t a);
/* a / b with b != 0. */
uint8_t dna_gf_div(uint8_t a, uint8_t b);
/* 2^e for any integer e >= 0 (taken mod 255). */
uint8_t dna_gf_exp(unsigned e);
/* The discrete log of a != 0, in [0, 255). */
unsigned dna_gf_log(uint8_t a);

/* dst[i] ^= c * src[i] for i in [0, n): the run-time choice of kernel. */
void dna_gf_mul_add_region(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n);

/* The variants, callable explicitly (tests, benchmarks). The AVX2 and NEON ones exist on every
 * build; calling one the CPU does not have is an error of the caller (check *_available). */
void dna_gf_mul_add_region_scalar(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n);
void dna_gf_mul_add_region_avx2(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n);
void dna_gf_mul_add_region_neon(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n);
int dna_gf_avx2_available(void);
int dna_gf_neon_available(void);
/* The matrix product of rows: out[j][i] = XOR_{d<k} coef[d*m + j] * in[d][i] for j < m, i < len
 * (1 <= k, m <= 255; out rows overwritten; they must not overlap the inputs). Reed-Solomon encoding is this
 * product with the code's parity matrix. The SIMD variants keep four output chunks in
 * registers across all k inputs, so each input chunk is loaded and split into nibbles once per
 * four outputs and no output is re-read: the cost per data byte is about m/4 loads and 2m
 * table shuffles. Variants as above. */
void dna_gf_mul_rows(const uint8_t *coef, int k, int m, const uint8_t *const *in,
                     uint8_t *const *out, size_t len);
void dna_gf_mul_rows_scalar(const uint8_t *coef, int k, int m, const uint8_t *const *in,
                            uint8_t *const *out, size_t len);
void dna_gf_mul_rows_avx2(const uint8_t *coef, int k, int m, const uint8_t *const *in,
                          uint8_t *const *out, size_t len);
void dna_gf_mul_rows_neon(const uint8_t *coef, int k, int m, const uint8_t *const *in,
                          uint8_t *const *out, size_t len);

/* "avx2", "neon" or "scalar": what dna_gf_mul_add_region uses on this CPU. */
const char *dna_gf_kernel_name(void);

#endif
