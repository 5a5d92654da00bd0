/*
 * fuzz_mldsa.c — ML-DSA (src/crypto/mldsa.h) on hostile input: arbitrary public keys and
 * signatures to verification, arbitrary secret keys to signing.
 *
 * Input: byte 0 chooses the level (44/65/87: byte 0 mod 3) and the mode (byte 0 / 3 mod 3):
 *   mode 0  raw: byte 1 = context length (mod 256... kept when it fits), then the context, a
 *           public key, a signature and the message, each cut from the rest of the input; the
 *           lengths are whatever the input gives (short or long keys and signatures exercise
 *           the length checks). Verification must return 0, NQ_ECORRUPT or NQ_EINVAL.
 *   mode 1  forged: a key pair from the 32-byte seed at bytes 1..32 (zero-padded), a
 *           deterministic signature of bytes 33..48 as the message; the genuine signature
 *           must verify. Then the rest of the input is XORed into the signature at the offset
 *           given by bytes 49..50; if that changed nothing it must still verify, otherwise
 *           the verdict must be 0 or NQ_ECORRUPT (a changed signature may only verify if it
 *           is another valid signature — vanishingly rare, so not asserted).
 *   mode 2  secret key: the rest of the input, cut or zero-padded to the key length, signs a
 *           short message deterministically: 0, NQ_EINVAL (s1/s2 out of range) or NQ_ERROR
 *           (the rejection loop's bound), never a crash; on failure the signature is zeros.
 * Deterministic (no CSPRNG: only the _internal / rnd-taking functions), no leaks.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/mldsa.h"
#include "fuzzutil.h"

static int take(const uint8_t **p, size_t *n, size_t want, const uint8_t **out)
{
    size_t k = want < *n ? want : *n;
    *out = *p;
    *p += k;
    *n -= k;
    return (int)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int levels[3] = {44, 65, 87};
    int level = levels[data[0] % 3];
    int mode = (data[0] / 3) % 3;
    size_t pkn = mldsa_pk_bytes(level), skn = mldsa_sk_bytes(level), sgn = mldsa_sig_bytes(level);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    static const uint8_t zero[MLDSA_RND_BYTES];

    if (mode == 0) {
        const uint8_t *ctx, *pk, *sig, *msg;
        size_t cl = n ? p[0] : 0;
        if (n) {
            p++;
            n--;
        }
        cl = (size_t)take(&p, &n, cl, &ctx);
        size_t pl = (size_t)take(&p, &n, pkn, &pk);
        size_t sl = (size_t)take(&p, &n, sgn, &sig);
        size_t ml = (size_t)take(&p, &n, n, &msg);
        int rc = mldsa_verify(level, pk, pl, msg, ml, ctx, cl, sig, sl);
        FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT || rc == NQ_EINVAL);
        FUZZ_CHECK(pl == pkn || rc == NQ_EINVAL);
        FUZZ_CHECK(rc == NQ_EINVAL || sl == sgn || rc == NQ_ECORRUPT);
        rc = mldsa_verify_internal(level, pk, pl, msg, ml, sig, sl);
        FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT || rc == NQ_EINVAL);
        return 0;
    }

    if (mode == 1) {
        uint8_t seed[32] = {0}, msg[16] = {0};
        uint8_t *pk = malloc(pkn), *sk = malloc(skn), *sig = malloc(sgn);
        FUZZ_CHECK(pk && sk && sig);
        const uint8_t *s;
        size_t k = (size_t)take(&p, &n, 32, &s);
        memcpy(seed, s, k);
        k = (size_t)take(&p, &n, 16, &s);
        memcpy(msg, s, k);
        size_t off = 0;
        if (n >= 2) {
            off = ((size_t)p[0] | (size_t)p[1] << 8) % sgn;
            p += 2;
            n -= 2;
        }
        FUZZ_CHECK(mldsa_keygen_internal(level, seed, pk, sk) == 0);
        FUZZ_CHECK(mldsa_sign_ex(level, sk, skn, msg, sizeof msg, NULL, 0, zero, sig) == 0);
        FUZZ_CHECK(mldsa_verify(level, pk, pkn, msg, sizeof msg, NULL, 0, sig, sgn) == 0);
        int changed = 0;
        for (size_t i = 0; i < n && off + i < sgn; i++) {
            sig[off + i] ^= p[i];
            changed |= p[i];
        }
        int rc = mldsa_verify(level, pk, pkn, msg, sizeof msg, NULL, 0, sig, sgn);
        FUZZ_CHECK(changed ? (rc == 0 || rc == NQ_ECORRUPT) : rc == 0);
        free(pk);
        free(sk);
        free(sig);
        return 0;
    }

    uint8_t *sk = calloc(1, skn), *sig = malloc(sgn);
    FUZZ_CHECK(sk && sig);
    memcpy(sk, p, n < skn ? n : skn);
    static const uint8_t msg[3] = {'n', 'q', 'd'};
    int rc = mldsa_sign_ex(level, sk, skn, msg, sizeof msg, NULL, 0, zero, sig);
    FUZZ_CHECK(rc == 0 || rc == NQ_EINVAL || rc == NQ_ERROR);
    if (rc) {
        for (size_t i = 0; i < sgn; i++)
            FUZZ_CHECK(sig[i] == 0);
    }
    /* a secret key of the wrong length is refused before it is read */
    FUZZ_CHECK(mldsa_sign_ex(level, sk, skn - 1, msg, sizeof msg, NULL, 0, zero, sig) == NQ_EINVAL);
    free(sk);
    free(sig);
    return 0;
}
