/*
 * mldsa.h — ML-DSA, the Module-Lattice-Based Digital Signature Algorithm of FIPS 204 (August
 * 2024), written here from the standard: ML-DSA-44, ML-DSA-65 and ML-DSA-87. SHAKE comes from
 * OpenSSL (crypto_util.h); everything else is in mldsa*.c. docs/security.md, section
 * "ML-DSA (FIPS 204)", describes the implementation, its checks and how it is tested.
 *
 * Two layers, as in the standard:
 *
 *  - The signing API used by the rest of the database (signed backup manifests, ML-DSA JWTs):
 *    "pure" ML-DSA of FIPS 204 §5.2–5.3. A message is signed under a context string ctx of at
 *    most 255 bytes (empty is the usual choice; use a fixed, distinct string per purpose —
 *    e.g. "nqdb-backup-manifest" — so that a signature made for one purpose never verifies
 *    for another). The signed message is M' = 0 || |ctx| || ctx || M.
 *
 *        uint8_t pk[MLDSA65_PK_BYTES], sk[MLDSA65_SK_BYTES], sig[MLDSA65_SIG_BYTES];
 *        mldsa_keygen(65, pk, sk);                                   // fresh key pair
 *        mldsa_sign(65, sk, msg, msglen, ctx, ctxlen, sig);          // hedged signature
 *        if (mldsa_verify(65, pk, sizeof pk, msg, msglen, ctx, ctxlen, sig, sizeof sig) == 0)
 *            ... the signature holds ...
 *
 *    Signing is hedged by default (rnd, 32 bytes, fresh from the CSPRNG for every signature);
 *    mldsa_sign_deterministic uses rnd = 0^32 (FIPS 204's deterministic variant: the same
 *    key and message always give the same signature). Byte-for-byte the conventions of
 *    @noble/post-quantum: keygen(seed) = mldsa_keygen_internal, sign(msg, sk, {context,
 *    extraEntropy: rnd}) = mldsa_sign_ex with rnd, extraEntropy: false = deterministic.
 *
 *  - The deterministic internal functions of FIPS 204 §6 (ML-DSA.KeyGen_internal,
 *    Sign_internal, Verify_internal), exposed for testing and cross-checking. They take M'
 *    as given (no context prefix is added).
 *
 * Return values (the codes of include/nqdb.h): 0 ok; NQ_EINVAL for an unknown level, a length
 * that is not the parameter set's, a context longer than 255 bytes or a secret key whose s1/s2
 * coefficients are outside [−η, η]; NQ_ECORRUPT when a signature does not verify (for any
 * reason: wrong length, malformed hint encoding, ||z||∞ too large, wrong c̃); NQ_ENOMEM;
 * NQ_ERROR when OpenSSL's SHAKE or the CSPRNG fails. Verification succeeded only when
 * mldsa_verify returns exactly 0 — treat every other value as "not verified". On any failure
 * of a signing function the signature buffer is zeroed.
 *
 * Memory: keys and signatures are caller-provided buffers of the sizes below; the functions
 * allocate a work area on the heap (about 100 KiB for ML-DSA-87), wipe it and free it before
 * returning. Secrets (the seed expansion, s1, s2, t0, y, ρ', ρ'', the key K) are wiped with
 * crypto_wipe. No global mutable state: every function is safe to call from many threads.
 *
 * Side channels: key generation and signing do not branch on and do not index memory with
 * secret data, except the rejection-sampling decisions that FIPS 204 makes public in effect
 * (which nibbles ExpandS rejects; whether a signing attempt is rejected — never why) and values
 * that are public anyway; tests/crypto/mldsa_ct.c checks this with valgrind (docs/security.md).
 * Verification handles only public data.
 */
#ifndef NQ_CRYPTO_MLDSA_H
#define NQ_CRYPTO_MLDSA_H

#include <stddef.h>
#include <stdint.h>

#define MLDSA_SEED_BYTES 32  /* ξ of KeyGen_internal */
#define MLDSA_RND_BYTES 32   /* rnd of Sign_internal */
#define MLDSA_CTX_MAX 255    /* longest context string */

#define MLDSA44_PK_BYTES 1312
#define MLDSA44_SK_BYTES 2560
#define MLDSA44_SIG_BYTES 2420
#define MLDSA65_PK_BYTES 1952
#define MLDSA65_SK_BYTES 4032
#define MLDSA65_SIG_BYTES 3309
#define MLDSA87_PK_BYTES 2592
#define MLDSA87_SK_BYTES 4896
#define MLDSA87_SIG_BYTES 4627
/* Large enough for every level. */
#define MLDSA_PK_MAX MLDSA87_PK_BYTES
#define MLDSA_SK_MAX MLDSA87_SK_BYTES
#define MLDSA_SIG_MAX MLDSA87_SIG_BYTES

/* Sizes for level 44, 65 or 87; 0 for any other level. */
size_t mldsa_pk_bytes(int level);
size_t mldsa_sk_bytes(int level);
size_t mldsa_sig_bytes(int level);
/* "ML-DSA-65" etc., or NULL. */
const char *mldsa_name(int level);

/* ---- the API for the rest of the database (FIPS 204 §5) ---------------------------------- */

/* ML-DSA.KeyGen: a fresh key pair from a seed drawn from the CSPRNG. pk receives
 * mldsa_pk_bytes(level) bytes, sk mldsa_sk_bytes(level). */
int mldsa_keygen(int level, uint8_t *pk, uint8_t *sk);

/* ML-DSA.Sign, hedged: sk is mldsa_sk_bytes(level) bytes; ctx may be NULL when ctxlen is 0;
 * sig receives mldsa_sig_bytes(level) bytes. */
int mldsa_sign(int level, const uint8_t *sk, const uint8_t *msg, size_t msglen, const uint8_t *ctx,
               size_t ctxlen, uint8_t *sig);
/* ML-DSA.Sign, deterministic variant (rnd = 0^32). */
int mldsa_sign_deterministic(int level, const uint8_t *sk, const uint8_t *msg, size_t msglen,
                             const uint8_t *ctx, size_t ctxlen, uint8_t *sig);
/* ML-DSA.Sign with the length of sk checked and rnd chosen by the caller: rnd NULL draws it
 * from the CSPRNG (hedged), otherwise the MLDSA_RND_BYTES given are used. */
int mldsa_sign_ex(int level, const uint8_t *sk, size_t sklen, const uint8_t *msg, size_t msglen,
                  const uint8_t *ctx, size_t ctxlen, const uint8_t *rnd, uint8_t *sig);

/* ML-DSA.Verify: 0 when sig is a valid signature of msg under pk and ctx, NQ_ECORRUPT when it
 * is not, NQ_EINVAL for a bad level, public-key length or context length. */
int mldsa_verify(int level, const uint8_t *pk, size_t pklen, const uint8_t *msg, size_t msglen,
                 const uint8_t *ctx, size_t ctxlen, const uint8_t *sig, size_t siglen);

/* ---- FIPS 204 §6, for tests ------------------------------------------------------------- */

/* ML-DSA.KeyGen_internal(ξ). */
int mldsa_keygen_internal(int level, const uint8_t seed[MLDSA_SEED_BYTES], uint8_t *pk, uint8_t *sk);
/* ML-DSA.Sign_internal(sk, M', rnd); sk is mldsa_sk_bytes(level) bytes. */
int mldsa_sign_internal(int level, const uint8_t *sk, const uint8_t *mprime, size_t mlen,
                        const uint8_t rnd[MLDSA_RND_BYTES], uint8_t *sig);
/* ML-DSA.Verify_internal(pk, M', σ): 0 valid, NQ_ECORRUPT invalid, NQ_EINVAL bad pk length. */
int mldsa_verify_internal(int level, const uint8_t *pk, size_t pklen, const uint8_t *mprime,
                          size_t mlen, const uint8_t *sig, size_t siglen);

#endif
