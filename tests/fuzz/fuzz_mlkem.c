/*
 * fuzz_mlkem.c — ML-KEM (src/crypto/mlkem.h) on hostile keys and ciphertexts.
 *
 * Input: byte 0 chooses the parameter set (k = 2 + b % 3) and the mode ((b / 3) % 4); the
 * rest is the material of that mode:
 *   0  encapsulation key: the bytes are ek, of any length; encapsulation with a fixed m must
 *      return 0 or NQ_EINVAL, agree with mlkem_check_ek, and when it accepts, ek must survive
 *      ByteEncode12(ByteDecode12(ek)) — the modulus check, recomputed here coefficient by
 *      coefficient — and encapsulating twice gives the same bytes;
 *  1  decapsulation key and ciphertext of any lengths: one byte gives dk's length (as an
 *      offset -2..+2 from the right one, so that the hash check is reached), then dk, then ct;
 *      decapsulation returns 0 or NQ_EINVAL, and 0 only for the right lengths and a dk whose
 *      stored H(ek) holds;
 *  2  a valid key pair from a 64-byte seed in the input, then a ciphertext made of the
 *      remaining bytes (any length): NQ_EINVAL for a wrong length, otherwise a secret that
 *      does not depend on anything but (dk, ct) (same twice), and equal to encapsulation's
 *      when the bytes happen to be the real ciphertext;
 *  3  a valid key pair and an honest encapsulation, then the input's bytes XORed into the
 *      ciphertext: the original decapsulates to the encapsulated secret; a changed one to
 *      the implicit-rejection key J(z || c) (recomputed here with SHAKE256).
 * Every rejection must come with a message. Nothing here uses randomness but the input.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_util.h"
#include "crypto/mlkem.h"
#include "fuzzutil.h"

static uint16_t coeff(const uint8_t *b, int j)
{
    const uint8_t *t = b + 3 * (j / 2);
    return (uint16_t)(j % 2 ? (t[1] >> 4) | (t[2] << 4) : t[0] | ((t[1] & 0x0f) << 8));
}

static void mode_ek(const mlkem_params *p, const uint8_t *b, size_t n)
{
    static const uint8_t m[32] = {1, 2, 3};
    uint8_t ct[MLKEM_MAX_CT_BYTES], ct2[MLKEM_MAX_CT_BYTES], ss[32], ss2[32];
    nq_err e;
    nq_err_clear(&e);
    int rc = mlkem_encaps_internal(p, ct, ss, b, n, m, &e);
    FUZZ_CHECK(rc == 0 || rc == NQ_EINVAL);
    FUZZ_CHECK(rc == mlkem_check_ek(p, b, n, NULL));
    int ok = n == p->ek_bytes;
    for (int j = 0; ok && j < 256 * p->k; j++)
        ok = coeff(b, j) < 3329;
    FUZZ_CHECK((rc == 0) == ok);
    if (rc) {
        FUZZ_CHECK(e.msg[0] != '\0');
        return;
    }
    FUZZ_CHECK(mlkem_encaps_internal(p, ct2, ss2, b, n, m, NULL) == 0);
    FUZZ_CHECK(!memcmp(ct, ct2, p->ct_bytes) && !memcmp(ss, ss2, 32));
}

static void mode_dk_ct(const mlkem_params *p, fuzz_in *in)
{
    size_t dk_len = p->dk_bytes + (size_t)(fuzz_u8(in) % 5) - 2; /* -2 .. +2 */
    size_t got;
    const uint8_t *dk = fuzz_bytes(in, dk_len, &got);
    if (got < dk_len)
        dk_len = got;
    const uint8_t *ct = fuzz_rest(in, &got);
    uint8_t ss[32];
    nq_err e;
    nq_err_clear(&e);
    int rc = mlkem_decaps(p, ss, dk, dk_len, ct, got, &e);
    FUZZ_CHECK(rc == 0 || rc == NQ_EINVAL);
    if (rc) {
        FUZZ_CHECK(e.msg[0] != '\0');
        return;
    }
    FUZZ_CHECK(dk_len == p->dk_bytes && got == p->ct_bytes);
    uint8_t h[32];
    size_t k384 = 384 * (size_t)p->k;
    FUZZ_CHECK(crypto_sha3_256(h, dk + k384, p->ek_bytes) == 0);
    FUZZ_CHECK(!memcmp(h, dk + k384 + p->ek_bytes, 32));
}

static void mode_keypair(const mlkem_params *p, fuzz_in *in, int xor_mode)
{
    uint8_t seed[64], m[32], ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES];
    uint8_t ct[MLKEM_MAX_CT_BYTES], ss[32], ss2[32], ss3[32];
    size_t got;
    const uint8_t *s = fuzz_bytes(in, 64, &got);
    memset(seed, 0, sizeof seed);
    memcpy(seed, s, got);
    FUZZ_CHECK(mlkem_keygen_seed(p, ek, dk, seed, NULL) == 0);
    for (int i = 0; i < 32; i++)
        m[i] = (uint8_t)(seed[i] ^ 0x5c);
    FUZZ_CHECK(mlkem_encaps_internal(p, ct, ss, ek, p->ek_bytes, m, NULL) == 0);
    const uint8_t *rest = fuzz_rest(in, &got);
    if (!xor_mode) {
        nq_err e;
        nq_err_clear(&e);
        int rc = mlkem_decaps(p, ss2, dk, p->dk_bytes, rest, got, &e);
        FUZZ_CHECK(rc == 0 || rc == NQ_EINVAL);
        FUZZ_CHECK((rc == 0) == (got == p->ct_bytes));
        if (rc) {
            FUZZ_CHECK(e.msg[0] != '\0');
            return;
        }
        FUZZ_CHECK(mlkem_decaps(p, ss3, dk, p->dk_bytes, rest, got, NULL) == 0);
        FUZZ_CHECK(!memcmp(ss2, ss3, 32));
        if (!memcmp(rest, ct, got))
            FUZZ_CHECK(!memcmp(ss2, ss, 32));
        return;
    }
    uint8_t bad[MLKEM_MAX_CT_BYTES], zc[32 + MLKEM_MAX_CT_BYTES], kbar[32];
    memcpy(bad, ct, p->ct_bytes);
    for (size_t i = 0; i < got; i++)
        bad[i % p->ct_bytes] ^= rest[i];
    FUZZ_CHECK(mlkem_decaps(p, ss2, dk, p->dk_bytes, bad, p->ct_bytes, NULL) == 0);
    if (!memcmp(bad, ct, p->ct_bytes)) {
        FUZZ_CHECK(!memcmp(ss2, ss, 32));
    } else {
        memcpy(zc, dk + p->dk_bytes - 32, 32);
        memcpy(zc + 32, bad, p->ct_bytes);
        FUZZ_CHECK(crypto_shake256(kbar, 32, zc, 32 + p->ct_bytes) == 0);
        FUZZ_CHECK(!memcmp(ss2, kbar, 32));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = fuzz_in_make(data, size);
    uint8_t sel = fuzz_u8(&in);
    const mlkem_params *p = mlkem_params_get(2 + sel % 3);
    size_t n;
    switch ((sel / 3) % 4) {
    case 0: {
        const uint8_t *b = fuzz_rest(&in, &n);
        mode_ek(p, b, n);
        break;
    }
    case 1:
        mode_dk_ct(p, &in);
        break;
    case 2:
        mode_keypair(p, &in, 0);
        break;
    default:
        mode_keypair(p, &in, 1);
        break;
    }
    return 0;
}
