/*
 * mldsa_sample.c — the pseudorandom samplers of ML-DSA (FIPS 204 §7.3): RejNTTPoly for the
 * matrix A (ExpandA), RejBoundedPoly for the secrets s1, s2 (ExpandS), ExpandMask for the
 * masking vector y, and SampleInBall for the challenge c. SHAKE128/256 come from OpenSSL
 * through crypto_xof (incremental squeezing, crypto_util.h).
 *
 * Side channels: ExpandA and SampleInBall read public seeds (ρ; the commitment hash c̃, which
 * signing declassifies first — see mldsa.c). ExpandMask has no rejection: BitUnpack of a fixed
 * number of bytes, straight-line code. RejBoundedPoly rejects nibbles of a secret stream: the
 * accept decision of each nibble is a branch by necessity (the position of the next
 * coefficient depends on it). That decision is computed without a branch and declassified
 * on its own: which nibbles were rejected is independent of the values of the accepted ones,
 * which are the secret coefficients (docs/security.md).
 */
#include <string.h>

#include "crypto_util.h"
#include "mldsa_internal.h"

int mldsa_expand_a_entry(mldsa_poly *a, const uint8_t rho[32], int r, int s)
{
    uint8_t seed[34], buf[168]; /* one SHAKE128 block, 56 candidates of 3 bytes */
    memcpy(seed, rho, 32);
    seed[32] = (uint8_t)s;
    seed[33] = (uint8_t)r;
    crypto_xof x;
    if (crypto_xof_init(&x, 128, 5 * 168) || crypto_xof_absorb(&x, seed, sizeof seed)) {
        crypto_xof_free(&x);
        return -1;
    }
    int j = 0;
    while (j < MLDSA_N) {
        if (crypto_xof_squeeze(&x, buf, sizeof buf)) {
            crypto_xof_free(&x);
            return -1;
        }
        for (size_t i = 0; i + 3 <= sizeof buf && j < MLDSA_N; i += 3) {
            /* CoeffFromThreeBytes (Algorithm 14): 23 bits, rejected unless below q */
            uint32_t z = buf[i] | (uint32_t)buf[i + 1] << 8 | (uint32_t)(buf[i + 2] & 0x7f) << 16;
            if (z < MLDSA_Q)
                a->c[j++] = (int32_t)z;
        }
    }
    crypto_xof_free(&x);
    return 0;
}

/* CoeffFromHalfByte (Algorithm 15) without a branch: *ok = 1 when b is accepted. */
static int32_t coeff_from_half_byte(int eta, uint32_t b, uint32_t *ok)
{
    if (eta == 2) { /* η is public */
        *ok = mldsa_ct_isneg((int32_t)b - 15);
        uint32_t q5 = (b * 205) >> 10; /* b / 5 for b < 16, without a divide */
        return 2 - (int32_t)(b - 5 * q5);
    }
    *ok = mldsa_ct_isneg((int32_t)b - 9);
    return 4 - (int32_t)b;
}

int mldsa_expand_s_poly(mldsa_poly *a, const uint8_t rhoprime[64], int eta, uint16_t nonce)
{
    uint8_t seed[66], buf[136]; /* one SHAKE256 block */
    memcpy(seed, rhoprime, 64);
    seed[64] = (uint8_t)nonce;
    seed[65] = (uint8_t)(nonce >> 8);
    crypto_xof x;
    int rc = -1;
    if (crypto_xof_init(&x, 256, 2 * 136) || crypto_xof_absorb(&x, seed, sizeof seed))
        goto out;
    int j = 0;
    while (j < MLDSA_N) {
        if (crypto_xof_squeeze(&x, buf, sizeof buf))
            goto out;
        for (size_t i = 0; i < sizeof buf && j < MLDSA_N; i++) {
            uint32_t ok0, ok1;
            int32_t z0 = coeff_from_half_byte(eta, buf[i] & 15u, &ok0);
            int32_t z1 = coeff_from_half_byte(eta, (uint32_t)buf[i] >> 4, &ok1);
            /* declassified: the rejection decisions (see the header comment) */
            MLDSA_DECLASSIFY(&ok0, sizeof ok0);
            MLDSA_DECLASSIFY(&ok1, sizeof ok1);
            if (ok0)
                a->c[j++] = z0;
            if (ok1 && j < MLDSA_N)
                a->c[j++] = z1;
        }
    }
    rc = 0;
out:
    crypto_wipe(seed, sizeof seed);
    crypto_wipe(buf, sizeof buf);
    crypto_xof_free(&x);
    return rc;
}

int mldsa_expand_mask_poly(mldsa_poly *y, const uint8_t rhopp[64], const mldsa_params *p,
                           uint16_t nonce)
{
    uint8_t seed[66], buf[32 * 20];
    size_t n = 32 * (size_t)p->gamma1_bits;
    memcpy(seed, rhopp, 64);
    seed[64] = (uint8_t)nonce;
    seed[65] = (uint8_t)(nonce >> 8);
    int rc = crypto_shake256(buf, n, seed, sizeof seed);
    if (rc == 0)
        mldsa_unpack_z(p, y, buf);
    crypto_wipe(seed, sizeof seed);
    crypto_wipe(buf, n);
    return rc ? -1 : 0;
}

int mldsa_sample_in_ball(mldsa_poly *c, const uint8_t *ctilde, size_t ctlen, int tau)
{
    uint8_t buf[136];
    crypto_xof x;
    if (crypto_xof_init(&x, 256, 136) || crypto_xof_absorb(&x, ctilde, ctlen) ||
        crypto_xof_squeeze(&x, buf, 8)) {
        crypto_xof_free(&x);
        return -1;
    }
    uint64_t signs = 0;
    for (int i = 0; i < 8; i++)
        signs |= (uint64_t)buf[i] << (8 * i);
    memset(c, 0, sizeof *c);
    for (int i = MLDSA_N - tau; i < MLDSA_N; i++) {
        uint8_t j;
        do {
            if (crypto_xof_squeeze(&x, &j, 1)) {
                crypto_xof_free(&x);
                return -1;
            }
        } while (j > i);
        c->c[i] = c->c[j];
        c->c[j] = 1 - 2 * (int32_t)(signs & 1);
        signs >>= 1;
    }
    crypto_xof_free(&x);
    return 0;
}
