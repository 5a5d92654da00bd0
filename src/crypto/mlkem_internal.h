/*
 * mlkem_internal.h — what the ML-KEM files share and the unit tests reach into: polynomials
 * over Z_q[X]/(X^256 + 1), q = 3329, their NTT, the encodings and samplers of FIPS 203 §4
 * (mlkem_poly.c, mlkem_ntt.c, mlkem_sample.c), and K-PKE (mlkem_kpke.c).
 *
 * Representation: a coefficient is a uint16_t always reduced to [0, q). Every operation
 * returns canonical values, so there is no lazy-reduction bookkeeping to get wrong; the
 * reductions are multiply-and-shift (never the CPU's division, whose time can depend on the
 * operand) and conditional subtractions done with masks, so that nothing here branches on or
 * indexes memory with a coefficient. The only data-dependent control flow is SampleNTT's
 * rejection loop, whose input (rho) is public.
 *
 * Constant-time testing: the valgrind test (tests/crypto/mlkem_ct.c) compiles these files
 * with NQ_MLKEM_CT_TEST, which makes MLKEM_DECLASSIFY tell memcheck that a value derived from
 * secrets is public by design (rho in key generation). In the library it is a no-op.
 */
#ifndef NQ_CRYPTO_MLKEM_INTERNAL_H
#define NQ_CRYPTO_MLKEM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/mlkem.h"

#ifdef NQ_MLKEM_CT_TEST
#include <valgrind/memcheck.h>
#define MLKEM_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define MLKEM_DECLASSIFY(p, n) ((void)(p), (void)(n))
#endif

#define MLKEM_N 256
#define MLKEM_Q 3329
#define MLKEM_MAX_K 4

typedef struct mlkem_poly {
    uint16_t c[MLKEM_N];
} mlkem_poly;

/* ---- field arithmetic (mlkem_poly.c; inline because the NTT lives on them) ---- */

/* floor(x / q) for x < 2^28, exactly: ceil(2^40 / q) = 330282857 leaves an error term below
 * x * 3177 / 2^40 < 1/q, which never reaches the next integer. */
static inline uint32_t mlkem_divq(uint32_t x)
{
    return (uint32_t)(((uint64_t)x * 330282857u) >> 40);
}
/* x mod q for x < 2^28 */
static inline uint16_t mlkem_reduce(uint32_t x)
{
    return (uint16_t)(x - mlkem_divq(x) * MLKEM_Q);
}
/* x mod q for x < 2q, by subtracting q and adding it back under a mask. */
static inline uint16_t mlkem_csub(uint32_t x)
{
    uint32_t r = x - MLKEM_Q;
    r += MLKEM_Q & (0u - (r >> 31));
    return (uint16_t)r;
}
static inline uint16_t mlkem_add(uint16_t a, uint16_t b) { return mlkem_csub((uint32_t)a + b); }
static inline uint16_t mlkem_sub(uint16_t a, uint16_t b) { return mlkem_csub((uint32_t)a + MLKEM_Q - b); }
static inline uint16_t mlkem_mul(uint16_t a, uint16_t b) { return mlkem_reduce((uint32_t)a * b); }

/* ---- NTT (mlkem_ntt.c), Algorithms 9-12 ---- */
void mlkem_ntt(mlkem_poly *f);
void mlkem_ntt_inv(mlkem_poly *f);
/* h = f x g in T_q (MultiplyNTTs) */
void mlkem_ntt_mul(mlkem_poly *h, const mlkem_poly *f, const mlkem_poly *g);
/* h += f x g in T_q */
void mlkem_ntt_mul_acc(mlkem_poly *h, const mlkem_poly *f, const mlkem_poly *g);

/* ---- polynomials, compression and encodings (mlkem_poly.c), §4.2.1 ---- */
void mlkem_poly_add(mlkem_poly *r, const mlkem_poly *a, const mlkem_poly *b);
void mlkem_poly_sub(mlkem_poly *r, const mlkem_poly *a, const mlkem_poly *b);
/* Compress_d / Decompress_d of one coefficient, 1 <= d <= 11 */
uint16_t mlkem_compress(uint16_t x, int d);
uint16_t mlkem_decompress(uint16_t y, int d);
/* ByteEncode_d(Compress_d(f)) into 32*d bytes, and Decompress_d(ByteDecode_d(b)), d <= 11 */
void mlkem_poly_compress_encode(uint8_t *out, const mlkem_poly *f, int d);
void mlkem_poly_decode_decompress(mlkem_poly *f, const uint8_t *in, int d);
/* ByteEncode_12 (384 bytes) and ByteDecode_12, which reduces each 12-bit value mod q */
void mlkem_poly_encode12(uint8_t out[384], const mlkem_poly *f);
void mlkem_poly_decode12(mlkem_poly *f, const uint8_t in[384]);
/* 1 when every 12-bit value in the 384 bytes is below q (the modulus check), else 0. */
int mlkem_poly_check12(const uint8_t in[384]);

/* ---- samplers (mlkem_sample.c), Algorithms 7 and 8 ---- */
/* SampleNTT(rho || j || i): rho 32 bytes. 0 or -1 (OpenSSL failed). */
int mlkem_sample_ntt(mlkem_poly *a, const uint8_t rho[32], uint8_t j, uint8_t i);
/* SamplePolyCBD_eta(PRF_eta(s, nonce)), eta 2 or 3. 0 or -1. */
int mlkem_sample_cbd(mlkem_poly *f, const uint8_t s[32], uint8_t nonce, int eta);

/* ---- K-PKE (mlkem_kpke.c), Algorithms 13-15; 0 or -1 (OpenSSL failed) ---- */
/* ek: p->ek_bytes, dk_pke: 384k bytes */
int mlkem_kpke_keygen(const mlkem_params *p, uint8_t *ek, uint8_t *dk_pke, const uint8_t d[32]);
/* ek already checked; ct: p->ct_bytes */
int mlkem_kpke_encrypt(const mlkem_params *p, uint8_t *ct, const uint8_t *ek, const uint8_t m[32],
                       const uint8_t r[32]);
int mlkem_kpke_decrypt(const mlkem_params *p, uint8_t m[32], const uint8_t *dk_pke,
                       const uint8_t *ct);

#endif
