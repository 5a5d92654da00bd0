/*
 * mldsa_internal.h — what the files of the ML-DSA implementation (FIPS 204) share and nothing
 * else includes: the parameter sets, the polynomial type, the arithmetic modulo q = 8380417
 * (mldsa_poly.c), the samplers (mldsa_sample.c), the byte encodings (mldsa_pack.c) and the
 * constant-time helpers with the valgrind declassification hook (mldsa_ct.h is folded in
 * here). The public interface is mldsa.h.
 *
 * Representation. A polynomial is 256 int32_t coefficients. Coefficients are kept as signed
 * representatives, not necessarily reduced: every function states the range it accepts and
 * the range it returns (|a| < q "centered-ish" is the usual contract). Multiplication uses
 * Montgomery reduction with R = 2^32; the NTT tables hold ζ^BitRev8(k)·R mod q so that a
 * Montgomery product with a table entry is an ordinary product by ζ^BitRev8(k). The pointwise
 * product of two NTT-domain polynomials leaves a factor R^-1, which the inverse NTT cancels
 * (it multiplies by R^2/256), so NTT^-1(NTT(a) ∘ NTT(b)) = a·b exactly, as FIPS 204 writes it.
 *
 * Nothing here is ML-KEM's: q, the NTT (full 256-point, ζ = 1753) and the encodings differ.
 */
#ifndef NQ_CRYPTO_MLDSA_INTERNAL_H
#define NQ_CRYPTO_MLDSA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mldsa.h"

#define MLDSA_N 256
#define MLDSA_Q 8380417
#define MLDSA_D 13
#define MLDSA_KMAX 8
#define MLDSA_LMAX 7

/* FIPS 204 Table 1 and Table 2, one row per parameter set. */
typedef struct mldsa_params {
    int level;          /* 44, 65, 87 */
    int k, l;           /* matrix A is k x l */
    int eta;            /* secret coefficient bound η */
    int tau;            /* number of ±1 in the challenge c */
    int beta;           /* τ·η */
    int omega;          /* maximum number of 1s in the hint h */
    int ctilde;         /* λ/4: bytes of the commitment hash c̃ */
    int32_t gamma1;     /* y coefficient range (2^17 or 2^19) */
    int gamma1_bits;    /* 1 + bitlen(γ1 − 1): 18 or 20 bits per z coefficient */
    int32_t gamma2;     /* low-order rounding range: (q−1)/88 or (q−1)/32 */
    int w1_bits;        /* bits per w1 coefficient: 6 (γ2 = (q−1)/88) or 4 */
    int eta_bits;       /* bitlen(2η): 3 or 4 */
    size_t pk_bytes, sk_bytes, sig_bytes;
} mldsa_params;

/* The parameter set of level 44/65/87, or NULL. */
const mldsa_params *mldsa_params_get(int level);

typedef struct mldsa_poly {
    int32_t c[MLDSA_N];
} mldsa_poly;

/* ---- constant-time helpers -------------------------------------------------------------- */

/* Declassification for the valgrind "ctgrind" test (tests/crypto/mldsa_ct.c): the test marks
 * the seed, the secret key and rnd undefined; every branch or table index on data derived
 * from them is then reported by memcheck, except where the data has been declared public
 * here. Each use names why the value may be public (docs/security.md lists them). Outside
 * valgrind the client request is a handful of no-op instructions; without the header (the
 * cross build) it is nothing. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define MLDSA_DECLASSIFY(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#endif
#endif
#ifndef MLDSA_DECLASSIFY
#define MLDSA_DECLASSIFY(p, n) ((void)(p), (void)(n))
#endif

/* 1 if a < 0 else 0, without a branch (a is a signed 32-bit value). */
static inline uint32_t mldsa_ct_isneg(int32_t a)
{
    return (uint32_t)a >> 31;
}

/* ---- arithmetic (mldsa_poly.c) ------------------------------------------------------------ */

/* a·R^-1 mod q for |a| < 2^31·q; the result r has |r| < q. */
int32_t mldsa_montgomery_reduce(int64_t a);
/* r ≡ a (mod q) with −6283009 <= r <= 6283008, for a <= 2^31 − 2^22 − 1. */
int32_t mldsa_reduce32(int32_t a);
/* The representative in [0, q) of a, for |a| < 2^31 − 2^22. */
int32_t mldsa_freeze(int32_t a);

/* In-place forward NTT (FIPS 204 Algorithm 41). Input |a| < q; output |a| < 9q. */
void mldsa_ntt(mldsa_poly *a);
/* In-place inverse NTT times R (Algorithm 42, with the Montgomery factor of the pointwise
 * products cancelled). Any input with |a| < 2^31 − 2^22; output |a| < q. */
void mldsa_invntt_tomont(mldsa_poly *a);
/* c = a ∘ b (NTT domain) times R^-1, for |a·b| < 2^31·q (NTT outputs: |a|, |b| < 9q). */
void mldsa_poly_pointwise(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b);
/* c = reduce32(c + a ∘ b · R^-1): for |c| < 2^30 and the same inputs. */
void mldsa_poly_pointwise_acc(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b);
/* c = Σ_j a[j] ∘ b[j] (j < n <= 7) times R^-1, one reduction per coefficient: needs
 * |a| < q and |b| < 9q (a row of Â and NTT outputs), so that the sum stays below 2^31·q. */
void mldsa_poly_dot(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b, int n);
void mldsa_poly_add(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b);
void mldsa_poly_sub(mldsa_poly *c, const mldsa_poly *a, const mldsa_poly *b);
void mldsa_poly_reduce(mldsa_poly *a);  /* reduce32 every coefficient */
void mldsa_poly_freeze(mldsa_poly *a);  /* into [0, q) */

/* Power2Round (Algorithm 35) on r in [0, q): r = r1·2^13 + r0, r0 in (−2^12, 2^12]. */
void mldsa_power2round(int32_t r, int32_t *r1, int32_t *r0);
/* Decompose (Algorithm 36) on r in [0, q) for γ2 = (q−1)/88 or (q−1)/32, branch-free. */
void mldsa_decompose(int32_t gamma2, int32_t r, int32_t *r1, int32_t *r0);
/* MakeHint (Algorithm 39) as HighBits(r) != HighBits(r + z), both given in [0, q):
 * 1 or 0, branch-free. */
int32_t mldsa_make_hint(int32_t gamma2, int32_t r_plus_z, int32_t r);
/* UseHint (Algorithm 40) on r in [0, q) — used by verification only (public data). */
int32_t mldsa_use_hint(int32_t gamma2, int32_t r, int32_t h);
/* 1 when some coefficient of a (any representative with |a| < 2^31 − 2^22) has a centered
 * representative of absolute value >= bound, else 0; branch-free over all coefficients. */
uint32_t mldsa_poly_exceeds(const mldsa_poly *a, int32_t bound);

/* ---- sampling (mldsa_sample.c): 0 or -1 when SHAKE fails ---------------------------------- */

/* RejNTTPoly(ρ || s || r) (Algorithm 30): the entry A[r][s] of ExpandA, in the NTT domain. */
int mldsa_expand_a_entry(mldsa_poly *a, const uint8_t rho[32], int r, int s);
/* RejBoundedPoly(ρ' || IntegerToBytes(nonce, 2)) (Algorithm 31): a secret polynomial with
 * coefficients in [−η, η] (ExpandS uses nonces 0..l+k−1). */
int mldsa_expand_s_poly(mldsa_poly *a, const uint8_t rhoprime[64], int eta, uint16_t nonce);
/* ExpandMask entry (Algorithm 34): y with coefficients in (−γ1, γ1] from ρ'' and nonce κ+r. */
int mldsa_expand_mask_poly(mldsa_poly *y, const uint8_t rhopp[64], const mldsa_params *p,
                           uint16_t nonce);
/* SampleInBall(c̃) (Algorithm 29): τ coefficients ±1, the rest 0. c̃ is public here. */
int mldsa_sample_in_ball(mldsa_poly *c, const uint8_t *ctilde, size_t ctlen, int tau);

/* ---- encodings (mldsa_pack.c) ------------------------------------------------------------ */

/* pkEncode / pkDecode (Algorithms 22, 23): ρ and t1 (10-bit coefficients). */
void mldsa_pack_pk(const mldsa_params *p, uint8_t *pk, const uint8_t rho[32], const mldsa_poly *t1);
void mldsa_unpack_pk(const mldsa_params *p, const uint8_t *pk, uint8_t rho[32], mldsa_poly *t1);
/* skEncode / skDecode (Algorithms 24, 25). unpack returns 1 when every s1/s2 coefficient is
 * in [−η, η], else 0 — computed without a branch on the secret coefficients. */
void mldsa_pack_sk(const mldsa_params *p, uint8_t *sk, const uint8_t rho[32], const uint8_t key[32],
                   const uint8_t tr[64], const mldsa_poly *s1, const mldsa_poly *s2,
                   const mldsa_poly *t0);
uint32_t mldsa_unpack_sk(const mldsa_params *p, const uint8_t *sk, uint8_t rho[32], uint8_t key[32],
                         uint8_t tr[64], mldsa_poly *s1, mldsa_poly *s2, mldsa_poly *t0);
/* sigEncode / sigDecode (Algorithms 26, 27); z centered in (−γ1, γ1], h 0/1. unpack returns 0,
 * or -1 when the hint encoding is malformed (HintBitUnpack returns ⊥: counts decreasing or
 * above ω, indices not strictly increasing, nonzero padding). */
void mldsa_pack_sig(const mldsa_params *p, uint8_t *sig, const uint8_t *ctilde, const mldsa_poly *z,
                    const mldsa_poly *h);
int mldsa_unpack_sig(const mldsa_params *p, const uint8_t *sig, uint8_t *ctilde, mldsa_poly *z,
                     mldsa_poly *h);
/* w1Encode (Algorithm 28) of one polynomial: 32·w1_bits bytes. */
void mldsa_pack_w1(const mldsa_params *p, uint8_t *out, const mldsa_poly *w1);
/* BitUnpack of one z polynomial (γ1 − value in gamma1_bits bits): used by ExpandMask too. */
void mldsa_unpack_z(const mldsa_params *p, mldsa_poly *z, const uint8_t *in);

#endif
