/*
 * crypto_util.h — what the post-quantum schemes (ML-KEM, ML-DSA) and the rest of src/crypto
 * share: randomness from the CSPRNG, wiping secrets, constant-time comparison and selection,
 * and SHA3/SHAKE through OpenSSL (docs/security.md).
 *
 * SHAKE as an extendable-output function read in pieces: OpenSSL 3.0 (Debian 12) can finalise
 * a SHAKE context only once (EVP_DigestSqueeze arrived in 3.3), while FIPS 203/204 read their
 * XOFs incrementally (rejection sampling takes as many bytes as it needs). crypto_xof keeps
 * the absorbed state and squeezes a buffer ahead; when a reader needs more than the buffer
 * holds, the state is copied and finalised again with twice the length — the output of a
 * SHAKE is a prefix-consistent stream, so the bytes already read do not change. The
 * recomputation is rare (the first buffer is sized for the common case) and costs time only.
 *
 * Functions return 0 or -1 (OpenSSL failure or out of memory); secrets in buffers are wiped
 * by crypto_xof_free.
 */
#ifndef NQ_CRYPTO_UTIL_H
#define NQ_CRYPTO_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* n bytes from the operating system's CSPRNG (OpenSSL RAND_priv_bytes). */
int crypto_random(void *out, size_t n);
/* Overwrite n bytes so that the compiler cannot drop it (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t n);
/* 1 when a and b (n bytes) are equal, 0 otherwise; time independent of the contents. */
int crypto_ct_equal(const void *a, const void *b, size_t n);
/* dst = mask ? src : dst for n bytes, mask 0 or 1, without a branch on mask. */
void crypto_ct_select(void *dst, const void *src, size_t n, int mask);

/* One-shot hashes. */
int crypto_sha3_256(uint8_t out[32], const void *in, size_t n);
int crypto_sha3_512(uint8_t out[64], const void *in, size_t n);
int crypto_shake128(void *out, size_t outlen, const void *in, size_t n);
int crypto_shake256(void *out, size_t outlen, const void *in, size_t n);

typedef struct crypto_xof {
    void *absorbed;        /* EVP_MD_CTX with everything absorbed so far */
    unsigned char *buf;    /* squeezed ahead */
    size_t len, pos;
    int squeezing;
} crypto_xof;

/* bits 128 (SHAKE128) or 256 (SHAKE256). first: the size of the first squeeze (0: 512). */
int crypto_xof_init(crypto_xof *x, int bits, size_t first);
/* Absorb more input; only before the first squeeze. */
int crypto_xof_absorb(crypto_xof *x, const void *in, size_t n);
/* The next n bytes of output. */
int crypto_xof_squeeze(crypto_xof *x, void *out, size_t n);
void crypto_xof_free(crypto_xof *x);

#endif
