/*
 * crypto_util.c — randomness, wiping, constant-time helpers and SHA3/SHAKE through OpenSSL's
 * EVP interface (see crypto_util.h for why the XOF squeezes ahead and recomputes).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/crypto_util.h"

int crypto_random(void *out, size_t n)
{
    while (n > 0) {
        int k = n > (1u << 30) ? 1 << 30 : (int)n;
        if (RAND_priv_bytes(out, k) != 1)
            return -1;
        out = (unsigned char *)out + k;
        n -= (size_t)k;
    }
    return 0;
}

void crypto_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

int crypto_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void crypto_ct_select(void *dst, const void *src, size_t n, int mask)
{
    unsigned char m = (unsigned char)(0u - (unsigned)(mask & 1));
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] ^= m & (d[i] ^ s[i]);
}

static int digest(const EVP_MD *md, void *out, size_t outlen, int xof, const void *in, size_t n)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, md, NULL) == 1 && EVP_DigestUpdate(c, in, n) == 1 &&
             (xof ? EVP_DigestFinalXOF(c, out, outlen) == 1
                  : EVP_DigestFinal_ex(c, out, NULL) == 1);
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

int crypto_sha3_256(uint8_t out[32], const void *in, size_t n) { return digest(EVP_sha3_256(), out, 32, 0, in, n); }
int crypto_sha3_512(uint8_t out[64], const void *in, size_t n) { return digest(EVP_sha3_512(), out, 64, 0, in, n); }
int crypto_shake128(void *out, size_t outlen, const void *in, size_t n) { return digest(EVP_shake128(), out, outlen, 1, in, n); }
int crypto_shake256(void *out, size_t outlen, const void *in, size_t n) { return digest(EVP_shake256(), out, outlen, 1, in, n); }

int crypto_xof_init(crypto_xof *x, int bits, size_t first)
{
    memset(x, 0, sizeof *x);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, bits == 128 ? EVP_shake128() : EVP_shake256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        return -1;
    }
    x->absorbed = c;
    x->len = first ? first : 512;
    return 0;
}

int crypto_xof_absorb(crypto_xof *x, const void *in, size_t n)
{
    if (x->squeezing || !x->absorbed)
        return -1;
    return EVP_DigestUpdate(x->absorbed, in, n) == 1 ? 0 : -1;
}

/* (Re)compute the first len bytes of output from the absorbed state. */
static int fill(crypto_xof *x, size_t len)
{
    unsigned char *nb = malloc(len);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = nb && c && EVP_MD_CTX_copy_ex(c, x->absorbed) == 1 && EVP_DigestFinalXOF(c, nb, len) == 1;
    EVP_MD_CTX_free(c);
    if (!ok) {
        free(nb);
        return -1;
    }
    if (x->buf) {
        crypto_wipe(x->buf, x->len);
        free(x->buf);
    }
    x->buf = nb;
    x->len = len;
    return 0;
}

int crypto_xof_squeeze(crypto_xof *x, void *out, size_t n)
{
    if (!x->absorbed)
        return -1;
    if (!x->squeezing) {
        if (fill(x, x->len))
            return -1;
        x->squeezing = 1;
    }
    if (x->pos + n > x->len) {
        size_t want = x->len * 2;
        while (want < x->pos + n)
            want *= 2;
        if (fill(x, want))
            return -1;
    }
    memcpy(out, x->buf + x->pos, n);
    x->pos += n;
    return 0;
}

void crypto_xof_free(crypto_xof *x)
{
    if (x->buf) {
        crypto_wipe(x->buf, x->len);
        free(x->buf);
    }
    EVP_MD_CTX_free(x->absorbed);
    memset(x, 0, sizeof *x);
}
