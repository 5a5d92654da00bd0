/*
 * mlkem_poly.c — coefficient-wise arithmetic, compression and the byte encodings of ML-KEM
 * (FIPS 203 §4.2.1, Algorithms 5 and 6, and Compress_d / Decompress_d of equations 4.7, 4.8).
 *
 * Compress_d(x) = round(2^d x / q) mod 2^d. Because q is odd, 2^d x / q is never exactly
 * halfway between integers, so the rounding is floor((2^d x + (q - 1)/2) / q); the division
 * is mlkem_divq's multiply-and-shift, exact for every numerator that occurs (< 2^23), so the
 * time does not depend on x (a hardware divide may). Decompress_d(y) = round(q y / 2^d) is
 * (q y + 2^(d-1)) >> d. The unit test compares both with the definitions for every input.
 *
 * ByteEncode_d / ByteDecode_d pack 256 d-bit values little-endian, least significant bit
 * first, through a bit accumulator whose flushes depend only on d. ByteDecode_12 reduces each
 * 12-bit value modulo q as the standard says (a masked subtraction); whether that changed
 * anything is what the modulus check of an encapsulation key asks (mlkem_poly_check12).
 */
#include "crypto/crypto_util.h"
#include "crypto/mlkem_internal.h"

void mlkem_poly_add(mlkem_poly *r, const mlkem_poly *a, const mlkem_poly *b)
{
    for (int i = 0; i < MLKEM_N; i++)
        r->c[i] = mlkem_add(a->c[i], b->c[i]);
}

void mlkem_poly_sub(mlkem_poly *r, const mlkem_poly *a, const mlkem_poly *b)
{
    for (int i = 0; i < MLKEM_N; i++)
        r->c[i] = mlkem_sub(a->c[i], b->c[i]);
}

uint16_t mlkem_compress(uint16_t x, int d)
{
    uint32_t num = ((uint32_t)x << d) + (MLKEM_Q - 1) / 2;
    return (uint16_t)(mlkem_divq(num) & ((1u << d) - 1));
}

uint16_t mlkem_decompress(uint16_t y, int d)
{
    return (uint16_t)(((uint32_t)y * MLKEM_Q + (1u << (d - 1))) >> d);
}

/* Pack n = 256 values of d bits each (d <= 12). */
static void pack(uint8_t *out, const uint16_t *v, int d)
{
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < MLKEM_N; i++) {
        acc |= (uint32_t)v[i] << bits;
        bits += d;
        while (bits >= 8) {
            *out++ = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
}

static void unpack(uint16_t *v, const uint8_t *in, int d)
{
    uint32_t acc = 0, mask = (1u << d) - 1;
    int bits = 0;
    for (int i = 0; i < MLKEM_N; i++) {
        while (bits < d) {
            acc |= (uint32_t)*in++ << bits;
            bits += 8;
        }
        v[i] = (uint16_t)(acc & mask);
        acc >>= d;
        bits -= d;
    }
}

void mlkem_poly_compress_encode(uint8_t *out, const mlkem_poly *f, int d)
{
    uint16_t t[MLKEM_N];
    for (int i = 0; i < MLKEM_N; i++)
        t[i] = mlkem_compress(f->c[i], d);
    pack(out, t, d);
    crypto_wipe(t, sizeof t); /* Compress1 of w in decryption is the message */
}

void mlkem_poly_decode_decompress(mlkem_poly *f, const uint8_t *in, int d)
{
    unpack(f->c, in, d);
    for (int i = 0; i < MLKEM_N; i++)
        f->c[i] = mlkem_decompress(f->c[i], d);
}

void mlkem_poly_encode12(uint8_t out[384], const mlkem_poly *f)
{
    pack(out, f->c, 12);
}

void mlkem_poly_decode12(mlkem_poly *f, const uint8_t in[384])
{
    unpack(f->c, in, 12);
    for (int i = 0; i < MLKEM_N; i++)
        f->c[i] = mlkem_csub(f->c[i]); /* < 4096 < 2q */
}

int mlkem_poly_check12(const uint8_t in[384])
{
    uint16_t v[MLKEM_N];
    uint32_t bad = 0;
    unpack(v, in, 12);
    for (int i = 0; i < MLKEM_N; i++)
        bad |= (uint32_t)(MLKEM_Q - 1 - v[i]) >> 31; /* 1 when v[i] >= q */
    return bad == 0;
}
