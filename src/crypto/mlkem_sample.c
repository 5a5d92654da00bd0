/*
 * mlkem_sample.c — the two samplers of ML-KEM (FIPS 203 §4.2.2).
 *
 * SampleNTT (Algorithm 7) turns the public seed rho and two index bytes into a uniformly
 * random polynomial in the NTT domain: SHAKE128(rho || j || i) read three bytes at a time,
 * each giving two 12-bit candidates that are kept when below q. The number of bytes it reads
 * depends on the output, which is fine because rho is public (it is part of ek). The stream is
 * read in SHAKE128 blocks of 168 bytes (a multiple of 3, so no candidate straddles two reads)
 * through crypto_xof, which squeezes three blocks ahead: 504 bytes give 336 candidates, enough
 * for 256 accepted ones nearly always.
 *
 * SamplePolyCBD_eta (Algorithm 8) draws each coefficient as the difference of two sums of
 * eta bits of PRF_eta(s, N) = SHAKE256(s || N, 64 eta) — the secret and error polynomials.
 * Its input is secret, so it is straight-line bit arithmetic: which bits are read depends only
 * on the position, and the difference is reduced with the masked field subtraction. The bits
 * are summed a word at a time (masks pick every eta-th bit and shifted copies are added, so
 * each field of eta bits holds the sum of those bits), which gives exactly Algorithm 8's sums.
 */
#include <string.h>

#include "crypto/crypto_util.h"
#include "crypto/mlkem_internal.h"

#define SHAKE128_RATE 168

int mlkem_sample_ntt(mlkem_poly *a, const uint8_t rho[32], uint8_t j, uint8_t i)
{
    uint8_t in[34], buf[SHAKE128_RATE];
    crypto_xof x;
    memcpy(in, rho, 32);
    in[32] = j;
    in[33] = i;
    if (crypto_xof_init(&x, 128, 3 * SHAKE128_RATE) || crypto_xof_absorb(&x, in, sizeof in)) {
        crypto_xof_free(&x);
        return -1;
    }
    int n = 0;
    while (n < MLKEM_N) {
        if (crypto_xof_squeeze(&x, buf, sizeof buf)) {
            crypto_xof_free(&x);
            return -1;
        }
        for (int b = 0; b < SHAKE128_RATE && n < MLKEM_N; b += 3) {
            uint16_t d1 = (uint16_t)(buf[b] | ((buf[b + 1] & 0x0f) << 8));
            uint16_t d2 = (uint16_t)((buf[b + 1] >> 4) | (buf[b + 2] << 4));
            if (d1 < MLKEM_Q)
                a->c[n++] = d1;
            if (d2 < MLKEM_Q && n < MLKEM_N)
                a->c[n++] = d2;
        }
    }
    crypto_xof_free(&x);
    return 0;
}

static uint32_t load32(const uint8_t *b)
{
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int mlkem_sample_cbd(mlkem_poly *f, const uint8_t s[32], uint8_t nonce, int eta)
{
    uint8_t in[33], prf[64 * 3];
    memcpy(in, s, 32);
    in[32] = nonce;
    size_t len = 64 * (size_t)eta;
    int rc = crypto_shake256(prf, len, in, sizeof in);
    if (rc == 0 && eta == 2) {
        /* 4 bits per coefficient: add neighbouring bits in parallel, so that each 2-bit
         * field of d holds a sum of two bits; coefficient = low field - high field. */
        for (int i = 0; i < MLKEM_N / 8; i++) {
            uint32_t t = load32(prf + 4 * i);
            uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);
            for (int j = 0; j < 8; j++) {
                uint16_t x = (uint16_t)((d >> (4 * j)) & 3), y = (uint16_t)((d >> (4 * j + 2)) & 3);
                f->c[8 * i + j] = mlkem_sub(x, y);
            }
        }
    } else if (rc == 0) {
        /* eta = 3: 6 bits per coefficient, four coefficients in three bytes, 3-bit fields */
        for (int i = 0; i < MLKEM_N / 4; i++) {
            const uint8_t *b = prf + 3 * i;
            uint32_t t = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
            uint32_t d = (t & 0x249249u) + ((t >> 1) & 0x249249u) + ((t >> 2) & 0x249249u);
            for (int j = 0; j < 4; j++) {
                uint16_t x = (uint16_t)((d >> (6 * j)) & 7), y = (uint16_t)((d >> (6 * j + 3)) & 7);
                f->c[4 * i + j] = mlkem_sub(x, y);
            }
        }
    }
    crypto_wipe(in, sizeof in);
    crypto_wipe(prf, sizeof prf);
    return rc ? -1 : 0;
}
