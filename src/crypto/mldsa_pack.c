/*
 * mldsa_pack.c — the byte encodings of ML-DSA (FIPS 204 §7.1–7.2): SimpleBitPack / BitPack and
 * their inverses (coefficients written little-endian, bit after bit, as Algorithms 16–19 do
 * through IntegerToBits / BitsToBytes), keys (pkEncode, skEncode), signatures (sigEncode with
 * HintBitPack) and w1Encode; with the decoders and their checks.
 *
 * One generic bit packer serves every width (3, 4, 6, 10, 13, 18, 20 bits): coefficient i
 * occupies bits i·w .. i·w+w−1 of the output, so it touches at most four bytes, found from
 * its public index — no table is indexed by a coefficient value, and packing or unpacking a
 * secret (s1, s2, t0, y) is straight-line code.
 *
 * Checks on untrusted input: pkDecode takes any bytes (every 10-bit value is a valid t1
 * coefficient). sigDecode takes any z (γ1 − v for v < 2^w lies in (−γ1, γ1]; the norm bound is
 * checked by verification) and rejects a malformed hint (HintBitUnpack, Algorithm 21). skDecode
 * reports whether s1 and s2 lie in [−η, η] (FIPS 204 does not require the check; a key that
 * fails it was not made by KeyGen and is refused, as @noble/post-quantum refuses it).
 */
#include <string.h>

#include "crypto_util.h"
#include "mldsa_internal.h"

/* Write the w-bit values v[0..256) (each < 2^w) into out (32·w bytes). */
static void bitpack(uint8_t *out, const uint32_t *v, int w)
{
    size_t nbytes = 32 * (size_t)w;
    memset(out, 0, nbytes);
    for (int i = 0; i < MLDSA_N; i++) {
        size_t pos = (size_t)i * (size_t)w;
        size_t byte = pos >> 3;
        uint32_t x = v[i] << (pos & 7);
        for (size_t k = 0; k < 4 && byte + k < nbytes; k++)
            out[byte + k] |= (uint8_t)(x >> (8 * k));
    }
}

/* Read value i (w bits) from in (32·w bytes). */
static uint32_t bitget(const uint8_t *in, int w, int i)
{
    size_t nbytes = 32 * (size_t)w;
    size_t pos = (size_t)i * (size_t)w;
    size_t byte = pos >> 3;
    uint32_t x = 0;
    for (size_t k = 0; k < 4 && byte + k < nbytes; k++)
        x |= (uint32_t)in[byte + k] << (8 * k);
    return (x >> (pos & 7)) & ((1u << w) - 1);
}

/* BitPack(w, a, b) of coefficients in [−a, b]: b − w_i in bitlen(a + b) bits. */
static void pack_offset(uint8_t *out, const mldsa_poly *a, int32_t b, int w)
{
    uint32_t v[MLDSA_N];
    for (int i = 0; i < MLDSA_N; i++)
        v[i] = (uint32_t)(b - a->c[i]) & ((1u << w) - 1);
    bitpack(out, v, w);
    crypto_wipe(v, sizeof v);
}

static void unpack_offset(mldsa_poly *a, const uint8_t *in, int32_t b, int w)
{
    for (int i = 0; i < MLDSA_N; i++)
        a->c[i] = b - (int32_t)bitget(in, w, i);
}

void mldsa_unpack_z(const mldsa_params *p, mldsa_poly *z, const uint8_t *in)
{
    unpack_offset(z, in, p->gamma1, p->gamma1_bits);
}

void mldsa_pack_pk(const mldsa_params *p, uint8_t *pk, const uint8_t rho[32], const mldsa_poly *t1)
{
    memcpy(pk, rho, 32);
    for (int i = 0; i < p->k; i++) {
        uint32_t v[MLDSA_N];
        for (int j = 0; j < MLDSA_N; j++)
            v[j] = (uint32_t)t1[i].c[j];
        bitpack(pk + 32 + 320 * (size_t)i, v, 10);
    }
}

void mldsa_unpack_pk(const mldsa_params *p, const uint8_t *pk, uint8_t rho[32], mldsa_poly *t1)
{
    memcpy(rho, pk, 32);
    for (int i = 0; i < p->k; i++)
        for (int j = 0; j < MLDSA_N; j++)
            t1[i].c[j] = (int32_t)bitget(pk + 32 + 320 * (size_t)i, 10, j);
}

void mldsa_pack_sk(const mldsa_params *p, uint8_t *sk, const uint8_t rho[32], const uint8_t key[32],
                   const uint8_t tr[64], const mldsa_poly *s1, const mldsa_poly *s2,
                   const mldsa_poly *t0)
{
    size_t es = 32 * (size_t)p->eta_bits;
    memcpy(sk, rho, 32);
    memcpy(sk + 32, key, 32);
    memcpy(sk + 64, tr, 64);
    uint8_t *o = sk + 128;
    for (int i = 0; i < p->l; i++, o += es)
        pack_offset(o, &s1[i], p->eta, p->eta_bits);
    for (int i = 0; i < p->k; i++, o += es)
        pack_offset(o, &s2[i], p->eta, p->eta_bits);
    for (int i = 0; i < p->k; i++, o += 32 * MLDSA_D)
        pack_offset(o, &t0[i], 1 << (MLDSA_D - 1), MLDSA_D);
}

/* 1 when every coefficient of a is in [−η, η] (as decoded: η − v with v >= 0, so only the
 * upper end v <= 2η needs a test), branch-free. */
static uint32_t in_eta(const mldsa_poly *a, int eta)
{
    uint32_t bad = 0;
    for (int i = 0; i < MLDSA_N; i++)
        bad |= mldsa_ct_isneg(a->c[i] + eta); /* η − v < −η  <=>  v > 2η */
    return bad ^ 1u;
}

uint32_t mldsa_unpack_sk(const mldsa_params *p, const uint8_t *sk, uint8_t rho[32], uint8_t key[32],
                         uint8_t tr[64], mldsa_poly *s1, mldsa_poly *s2, mldsa_poly *t0)
{
    size_t es = 32 * (size_t)p->eta_bits;
    uint32_t ok = 1;
    memcpy(rho, sk, 32);
    memcpy(key, sk + 32, 32);
    memcpy(tr, sk + 64, 64);
    const uint8_t *in = sk + 128;
    for (int i = 0; i < p->l; i++, in += es) {
        unpack_offset(&s1[i], in, p->eta, p->eta_bits);
        ok &= in_eta(&s1[i], p->eta);
    }
    for (int i = 0; i < p->k; i++, in += es) {
        unpack_offset(&s2[i], in, p->eta, p->eta_bits);
        ok &= in_eta(&s2[i], p->eta);
    }
    for (int i = 0; i < p->k; i++, in += 32 * MLDSA_D)
        unpack_offset(&t0[i], in, 1 << (MLDSA_D - 1), MLDSA_D);
    return ok;
}

void mldsa_pack_sig(const mldsa_params *p, uint8_t *sig, const uint8_t *ctilde, const mldsa_poly *z,
                    const mldsa_poly *h)
{
    size_t zs = 32 * (size_t)p->gamma1_bits;
    memcpy(sig, ctilde, (size_t)p->ctilde);
    uint8_t *o = sig + p->ctilde;
    for (int i = 0; i < p->l; i++, o += zs)
        pack_offset(o, &z[i], p->gamma1, p->gamma1_bits);
    /* HintBitPack (Algorithm 20): the positions of the 1s, then the running count per poly */
    memset(o, 0, (size_t)(p->omega + p->k));
    int idx = 0;
    for (int i = 0; i < p->k; i++) {
        for (int j = 0; j < MLDSA_N; j++)
            if (h[i].c[j])
                o[idx++] = (uint8_t)j;
        o[p->omega + i] = (uint8_t)idx;
    }
}

int mldsa_unpack_sig(const mldsa_params *p, const uint8_t *sig, uint8_t *ctilde, mldsa_poly *z,
                     mldsa_poly *h)
{
    size_t zs = 32 * (size_t)p->gamma1_bits;
    memcpy(ctilde, sig, (size_t)p->ctilde);
    const uint8_t *in = sig + p->ctilde;
    for (int i = 0; i < p->l; i++, in += zs)
        mldsa_unpack_z(p, &z[i], in);
    /* HintBitUnpack (Algorithm 21) */
    memset(h, 0, sizeof *h * (size_t)p->k);
    int idx = 0;
    for (int i = 0; i < p->k; i++) {
        int end = in[p->omega + i];
        if (end < idx || end > p->omega)
            return -1;
        for (int j = idx; j < end; j++) {
            if (j > idx && in[j] <= in[j - 1])
                return -1;
            h[i].c[in[j]] = 1;
        }
        idx = end;
    }
    for (int j = idx; j < p->omega; j++)
        if (in[j])
            return -1;
    return 0;
}

void mldsa_pack_w1(const mldsa_params *p, uint8_t *out, const mldsa_poly *w1)
{
    uint32_t v[MLDSA_N];
    for (int j = 0; j < MLDSA_N; j++)
        v[j] = (uint32_t)w1->c[j];
    bitpack(out, v, p->w1_bits);
}
