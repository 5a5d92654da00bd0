/*
 * test_mldsa.c — ML-DSA (src/crypto/mldsa*.c), offline (no node needed; runs in the sanitizer
 * and arm64 builds too):
 *  - arithmetic: NTT-based multiplication equals the schoolbook negacyclic product mod q
 *    (which checks every table entry and the Montgomery scaling); reduce32/freeze;
 *  - Power2Round and Decompose (both γ2) against the definitions of FIPS 204, exhaustively for
 *    every r in [0, q); MakeHint/UseHint: UseHint(MakeHint(z, r), r) = HighBits(r + z) for
 *    small z (the property verification relies on);
 *  - NIST ACVP keyGen vectors (one per level; see test_acvp_keygen);
 *  - known answers: SHA3-256 of pk, sk, the deterministic and the hedged signature for a fixed
 *    seed, message and context, as computed by @noble/post-quantum 0.7.1 (the full byte
 *    comparison over hundreds of seeds is tests/crypto/mldsa_cross.sh);
 *  - the API: round trips for 44/65/87, deterministic signing repeats, hedged signing differs
 *    and verifies, contexts (255 ok, 256 refused, a different one fails), every length check,
 *    a secret key with a coefficient outside [−η, η] refused, malformed hints and a z beyond
 *    its bound rejected, a signature never verifies under another level's key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "base/rand.h"
#include "crypto/crypto_util.h"
#include "crypto/mldsa_internal.h"
#include "nqdb.h"

#define Q MLDSA_Q

static int32_t modq(int64_t a)
{
    int64_t r = a % Q;
    return (int32_t)(r < 0 ? r + Q : r);
}

static void test_ntt_multiply(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 204);
    static mldsa_poly a, b, c, ah, bh;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < MLDSA_N; i++) {
            /* any representative with |a| < q */
            a.c[i] = (int32_t)nq_rng_below(&r, 2 * Q - 1) - (Q - 1);
            b.c[i] = round & 1 ? (int32_t)nq_rng_below(&r, 9) - 4 : (int32_t)nq_rng_below(&r, Q);
        }
        int64_t want[MLDSA_N] = {0};
        for (int i = 0; i < MLDSA_N; i++)
            for (int j = 0; j < MLDSA_N; j++) {
                int64_t p = (int64_t)modq(a.c[i]) * modq(b.c[j]) % Q;
                if (i + j < MLDSA_N)
                    want[i + j] = (want[i + j] + p) % Q;
                else
                    want[i + j - MLDSA_N] = (want[i + j - MLDSA_N] - p + Q) % Q;
            }
        ah = a;
        bh = b;
        mldsa_ntt(&ah);
        mldsa_ntt(&bh);
        mldsa_poly_pointwise(&c, &ah, &bh);
        mldsa_invntt_tomont(&c);
        for (int i = 0; i < MLDSA_N; i++) {
            assert_true(c.c[i] > -Q && c.c[i] < Q);
            assert_int_equal(modq(c.c[i]), want[i]);
        }
    }
}

static void test_reduce(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 1);
    for (int i = 0; i < 1000000; i++) {
        int32_t a = (int32_t)(nq_rng_next(&r) % ((1u << 31) - (1u << 22))) * (i & 1 ? -1 : 1);
        int32_t t = mldsa_reduce32(a);
        assert_true(t >= -6283009 && t <= 6283008);
        assert_int_equal(modq(t), modq(a));
        int32_t f = mldsa_freeze(a);
        assert_true(f >= 0 && f < Q);
        assert_int_equal(f, modq(a));
    }
}

/* a mod± m: the representative in (−m/2, m/2] (m even). */
static int32_t mod_pm(int32_t a, int32_t m)
{
    int32_t r = a % m;
    if (r < 0)
        r += m;
    if (r > m / 2)
        r -= m;
    return r;
}

static void test_rounding_exhaustive(void **state)
{
    (void)state;
    for (int32_t r = 0; r < Q; r++) {
        int32_t r1, r0;
        mldsa_power2round(r, &r1, &r0);
        int32_t w0 = mod_pm(r, 1 << MLDSA_D);
        if (r1 != (r - w0) >> MLDSA_D || r0 != w0)
            fail_msg("Power2Round(%d) = (%d, %d)", r, r1, r0);
        for (int g = 0; g < 2; g++) {
            int32_t gamma2 = g ? (Q - 1) / 32 : (Q - 1) / 88;
            int32_t d0 = mod_pm(r, 2 * gamma2), d1;
            if (r - d0 == Q - 1) {
                d1 = 0;
                d0 -= 1;
            } else {
                d1 = (r - d0) / (2 * gamma2);
            }
            mldsa_decompose(gamma2, r, &r1, &r0);
            if (r1 != d1 || r0 != d0)
                fail_msg("Decompose(%d, γ2 = %d) = (%d, %d), want (%d, %d)", r, gamma2, r1, r0, d1, d0);
        }
    }
}

static void test_hints(void **state)
{
    (void)state;
    nq_rng rg;
    nq_rng_seed(&rg, 39);
    for (int g = 0; g < 2; g++) {
        int32_t gamma2 = g ? (Q - 1) / 32 : (Q - 1) / 88;
        for (int i = 0; i < 2000000; i++) {
            int32_t r = (int32_t)nq_rng_below(&rg, Q);
            int32_t z = (int32_t)nq_rng_below(&rg, 2 * gamma2 + 1) - gamma2; /* |z| <= γ2 */
            int32_t rz = modq((int64_t)r + z);
            int32_t h = mldsa_make_hint(gamma2, rz, r);
            int32_t hr1, hr0, hz1, hz0;
            mldsa_decompose(gamma2, r, &hr1, &hr0);
            mldsa_decompose(gamma2, rz, &hz1, &hz0);
            assert_int_equal(h, hr1 != hz1);
            if (mldsa_use_hint(gamma2, r, h) != hz1)
                fail_msg("UseHint(MakeHint(%d, %d)) != HighBits(r + z), γ2 = %d", z, r, gamma2);
        }
    }
}

static void sha3hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t d[32];
    assert_int_equal(crypto_sha3_256(d, p, n), 0);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* From @noble/post-quantum 0.7.1: keygen(seed = 00 01 .. 1f); sign("NeuroQuantumDB",
 * {context: "nqdb-test", extraEntropy: false}) and {extraEntropy: a5 * 32}; SHA3-256 of each. */
static const struct {
    int level;
    const char *pk, *sk, *sig_det, *sig_rnd;
} kat[] = {
    {44, "373c7bf2cac5bd2a6c35933bab0fa1c951f22247e1333383fcb618822080373f",
     "da0665a6d807669d06aeb7010507aa6bd4640641055462e38e37344a274f36a6",
     "f7b9b6f57f44209c21bd9e0388033024a89e5a6e40d9661fa4a773fe1214a3c5",
     "7ade5dc6fe493124e3d4bef7f2cfa47d9fea0e2de05791bb535790264d5157af"},
    {65, "1800725067e388d837d911fe4f66101cc1961b1bb755030dc574272cfb00013f",
     "4ecfbd119980b1090a7feda39c225539ffa3ef3ff673b239b60189bfd4541170",
     "1266c024d63a9acb68dd3ebd8c764dd0442426b93247fe38c74084fc58d5a464",
     "5315072716bcf3a602d1e01cc29dd318a2de5563b930c5c2f539ffdf45895c75"},
    {87, "e6cf50a9c2fa5234f59949ff61f8161db4d629532127f4aefa8bb10811ecfb1e",
     "db6218a2eeae53e567d25222055251eab0ba85d1c69aeb8a62253d2096fd96a2",
     "495915bf138e162f260e25a7271179ac6c807b1f4001251e9b3011d835eeee13",
     "ac7605d29d92c09975c3c23173240a5712420e96b372e6dce266180f6b75c9c6"},
};

static uint8_t pk[MLDSA_PK_MAX], sk[MLDSA_SK_MAX], sig[MLDSA_SIG_MAX], sig2[MLDSA_SIG_MAX];

static void test_known_answers(void **state)
{
    (void)state;
    uint8_t seed[32], rnd[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    memset(rnd, 0xa5, sizeof rnd);
    const uint8_t *msg = (const uint8_t *)"NeuroQuantumDB", *ctx = (const uint8_t *)"nqdb-test";
    char h[65];
    for (size_t t = 0; t < sizeof kat / sizeof kat[0]; t++) {
        int lv = kat[t].level;
        assert_int_equal(mldsa_keygen_internal(lv, seed, pk, sk), 0);
        sha3hex(pk, mldsa_pk_bytes(lv), h);
        assert_string_equal(h, kat[t].pk);
        sha3hex(sk, mldsa_sk_bytes(lv), h);
        assert_string_equal(h, kat[t].sk);
        assert_int_equal(mldsa_sign_deterministic(lv, sk, msg, 14, ctx, 9, sig), 0);
        sha3hex(sig, mldsa_sig_bytes(lv), h);
        assert_string_equal(h, kat[t].sig_det);
        assert_int_equal(mldsa_sign_ex(lv, sk, mldsa_sk_bytes(lv), msg, 14, ctx, 9, rnd, sig), 0);
        sha3hex(sig, mldsa_sig_bytes(lv), h);
        assert_string_equal(h, kat[t].sig_rnd);
        assert_int_equal(mldsa_verify(lv, pk, mldsa_pk_bytes(lv), msg, 14, ctx, 9, sig,
                                      mldsa_sig_bytes(lv)), 0);
    }
}

/* NIST ACVP-Server ML-DSA-keyGen-FIPS204, tcId 1 (ML-DSA-44), 26 (ML-DSA-65), 51 (ML-DSA-87):
 * the seeds and the first bytes of pk are the published values; the SHA-256 of the full
 * published pk was taken from a public test suite that quotes these vectors (the JSON files
 * themselves are not on this machine). */
static void test_acvp_keygen(void **state)
{
    (void)state;
    static const struct {
        int level;
        const char *seed, *pk_prefix, *pk_sha256;
    } v[] = {
        {44, "D71361C000F9A7BC99DFB425BCB6BB27C32C36AB444FF3708B2D93B4E66D5B5B",
         "B845FA2881407A59183071629B08223128116014FB58FF6BB4C8C9FE19CF5B0B",
         "451A808C522218FADBDAB146FC12004B0741C7D069F238F43AD77216159F6A34"},
        {65, "1BD67DC782B2958E189E315C040DD1F64C8AB232A6A170E1A7A52C33F10851B1",
         "43AD6560D3BB684667A559EE6EC7C816020E5B65671F270F2353A8C912B6C26B",
         "6FB1146B85539FB5C53D35B66DAE94202FCD5575A537172CF1156220476F7920"},
        {87, "F7052FBB921759CD8716773BA6355630121D6927899FDDA5768E2BC240FCCB7B",
         "18DFF392DEF5756EA23519A240E6B5CDCF912D89CD94DEC9DC71E53F8CDF37D9",
         "40298270777D3306D2FCB6B4691D7A7AB799CD1069EEA88F843CF0EC26D4B01F"},
    };
    for (size_t t = 0; t < sizeof v / sizeof v[0]; t++) {
        uint8_t seed[32], d[32];
        char h[65];
        for (int i = 0; i < 32; i++)
            assert_int_equal(sscanf(v[t].seed + 2 * i, "%2hhx", &seed[i]), 1);
        assert_int_equal(mldsa_keygen_internal(v[t].level, seed, pk, sk), 0);
        for (int i = 0; i < 32; i++)
            sprintf(h + 2 * i, "%02X", pk[i]);
        assert_string_equal(h, v[t].pk_prefix);
        unsigned int dl = 0;
        assert_int_equal(EVP_Digest(pk, mldsa_pk_bytes(v[t].level), d, &dl, EVP_sha256(), NULL), 1);
        for (int i = 0; i < 32; i++)
            sprintf(h + 2 * i, "%02X", d[i]);
        assert_string_equal(h, v[t].pk_sha256);
    }
}

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(mldsa_pk_bytes(44), 1312);
    assert_int_equal(mldsa_sk_bytes(65), 4032);
    assert_int_equal(mldsa_sig_bytes(87), 4627);
    assert_int_equal(mldsa_pk_bytes(66), 0);
    assert_null(mldsa_name(50));
    assert_string_equal(mldsa_name(65), "ML-DSA-65");
    for (int lv = 44; lv <= 87; lv += (lv == 44 ? 21 : 22)) {
        const mldsa_params *p = mldsa_params_get(lv);
        assert_non_null(p);
        /* the sizes follow from the parameters (FIPS 204 Table 2) */
        assert_int_equal(p->pk_bytes, 32 + 320 * (size_t)p->k);
        assert_int_equal(p->sk_bytes, 128 + 32 * ((size_t)(p->k + p->l) * (size_t)p->eta_bits +
                                                  13 * (size_t)p->k));
        assert_int_equal(p->sig_bytes, (size_t)p->ctilde + 32 * (size_t)p->l * (size_t)p->gamma1_bits +
                                           (size_t)(p->omega + p->k));
        assert_int_equal(p->beta, p->tau * p->eta);
    }
}

static void test_api(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 65);
    uint8_t msg[100], ctx[256];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)nq_rng_next(&r);
    for (size_t i = 0; i < sizeof ctx; i++)
        ctx[i] = (uint8_t)nq_rng_next(&r);
    int levels[] = {44, 65, 87};
    for (int li = 0; li < 3; li++) {
        int lv = levels[li];
        size_t pn = mldsa_pk_bytes(lv), sn = mldsa_sk_bytes(lv), gn = mldsa_sig_bytes(lv);
        assert_int_equal(mldsa_keygen(lv, pk, sk), 0);
        /* hedged: verifies, and two signatures of the same message differ */
        assert_int_equal(mldsa_sign(lv, sk, msg, sizeof msg, NULL, 0, sig), 0);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, NULL, 0, sig, gn), 0);
        assert_int_equal(mldsa_sign(lv, sk, msg, sizeof msg, NULL, 0, sig2), 0);
        assert_memory_not_equal(sig, sig2, gn);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, NULL, 0, sig2, gn), 0);
        /* deterministic: repeats */
        assert_int_equal(mldsa_sign_deterministic(lv, sk, msg, sizeof msg, ctx, 255, sig), 0);
        assert_int_equal(mldsa_sign_deterministic(lv, sk, msg, sizeof msg, ctx, 255, sig2), 0);
        assert_memory_equal(sig, sig2, gn);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig, gn), 0);
        /* the context is bound: another one, or none, fails; 256 bytes is refused */
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 254, sig, gn), NQ_ECORRUPT);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, NULL, 0, sig, gn), NQ_ECORRUPT);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 256, sig, gn), NQ_EINVAL);
        assert_int_equal(mldsa_sign(lv, sk, msg, sizeof msg, ctx, 256, sig2), NQ_EINVAL);
        /* empty message */
        assert_int_equal(mldsa_sign(lv, sk, NULL, 0, NULL, 0, sig2), 0);
        assert_int_equal(mldsa_verify(lv, pk, pn, NULL, 0, NULL, 0, sig2, gn), 0);
        /* lengths */
        assert_int_equal(mldsa_verify(lv, pk, pn - 1, msg, sizeof msg, ctx, 255, sig, gn), NQ_EINVAL);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig, gn - 1), NQ_ECORRUPT);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig, gn + 1), NQ_ECORRUPT);
        assert_int_equal(mldsa_sign_ex(lv, sk, sn - 1, msg, 1, NULL, 0, NULL, sig2), NQ_EINVAL);
        assert_int_equal(mldsa_verify(50, pk, pn, msg, sizeof msg, ctx, 255, sig, gn), NQ_EINVAL);
        /* internal interface: M' taken as is; the external signature is over 0||255||ctx||M */
        uint8_t *mp = malloc(2 + 255 + sizeof msg);
        assert_non_null(mp);
        mp[0] = 0;
        mp[1] = 255;
        memcpy(mp + 2, ctx, 255);
        memcpy(mp + 257, msg, sizeof msg);
        assert_int_equal(mldsa_verify_internal(lv, pk, pn, mp, 257 + sizeof msg, sig, gn), 0);
        static const uint8_t zero[32];
        assert_int_equal(mldsa_sign_internal(lv, sk, mp, 257 + sizeof msg, zero, sig2), 0);
        assert_memory_equal(sig, sig2, gn);
        free(mp);

        const mldsa_params *p = mldsa_params_get(lv);
        uint8_t *h = sig + gn - (size_t)(p->omega + p->k);
        /* malformed hints */
        memcpy(sig2, sig, gn);
        sig2[gn - (size_t)(p->omega + p->k) + (size_t)p->omega] = (uint8_t)(p->omega + 1);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig2, gn), NQ_ECORRUPT);
        int used = h[p->omega + p->k - 1];
        if (used < p->omega) {
            memcpy(sig2, sig, gn);
            sig2[gn - (size_t)(p->omega + p->k) + (size_t)(p->omega - 1)] = 1; /* padding */
            assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig2, gn), NQ_ECORRUPT);
        }
        for (int i = 0; i < p->k; i++) {
            int start = i ? h[p->omega + i - 1] : 0, end = h[p->omega + i];
            if (end - start >= 2) { /* two indices in one polynomial: swap them */
                memcpy(sig2, sig, gn);
                uint8_t *h2 = sig2 + gn - (size_t)(p->omega + p->k);
                uint8_t t = h2[start];
                h2[start] = h2[start + 1];
                h2[start + 1] = t;
                assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig2, gn),
                                 NQ_ECORRUPT);
                h2[start + 1] = h2[start]; /* equal indices */
                assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig2, gn),
                                 NQ_ECORRUPT);
                break;
            }
        }
        /* z beyond γ1 − β: the first coefficient encoded as 0 means z = γ1 */
        memcpy(sig2, sig, gn);
        sig2[p->ctilde] = 0;
        sig2[p->ctilde + 1] = 0;
        sig2[p->ctilde + 2] &= (uint8_t)~((1u << (p->gamma1_bits - 16)) - 1);
        assert_int_equal(mldsa_verify(lv, pk, pn, msg, sizeof msg, ctx, 255, sig2, gn), NQ_ECORRUPT);
        /* a secret key with an s1 coefficient outside [−η, η] (an all-ones field: η − (2^w − 1)) */
        static uint8_t bad[MLDSA_SK_MAX];
        memcpy(bad, sk, sn);
        bad[128] |= (uint8_t)((1u << p->eta_bits) - 1);
        assert_int_equal(mldsa_sign(lv, bad, msg, sizeof msg, NULL, 0, sig2), NQ_EINVAL);
        for (size_t i = 0; i < gn; i++)
            assert_int_equal(sig2[i], 0); /* zeroed on failure */
        /* another level's verification of this signature */
        int other = levels[(li + 1) % 3];
        assert_int_not_equal(mldsa_verify(other, pk, mldsa_pk_bytes(other), msg, sizeof msg, ctx, 255,
                                          sig, mldsa_sig_bytes(other)), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntt_multiply),        cmocka_unit_test(test_reduce),
        cmocka_unit_test(test_rounding_exhaustive), cmocka_unit_test(test_hints),
        cmocka_unit_test(test_known_answers),       cmocka_unit_test(test_acvp_keygen),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
