/*
 * test_crypto_util.c — the shared helpers of src/crypto: SHA3-256/512 and SHAKE128/256 against
 * the FIPS 202 values for the empty message and "abc"; the incremental XOF gives exactly the
 * one-shot SHAKE stream however it is read (piece sizes from a seeded generator, first buffer
 * tiny so that the recomputation path runs, absorb in pieces); constant-time equality and
 * selection; randomness fills its buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "crypto/crypto_util.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_hashes(void **state)
{
    (void)state;
    uint8_t d[64];
    char h[200];
    assert_int_equal(crypto_sha3_256(d, "", 0), 0);
    hex(d, 32, h);
    assert_string_equal(h, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    assert_int_equal(crypto_sha3_256(d, "abc", 3), 0);
    hex(d, 32, h);
    assert_string_equal(h, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    assert_int_equal(crypto_sha3_512(d, "abc", 3), 0);
    hex(d, 64, h);
    assert_string_equal(h, "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
                           "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
    assert_int_equal(crypto_shake128(d, 32, "", 0), 0);
    hex(d, 32, h);
    assert_string_equal(h, "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
    assert_int_equal(crypto_shake256(d, 64, "", 0), 0);
    hex(d, 64, h);
    assert_string_equal(h, "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f"
                           "d75dc4ddd8c0f200cb05019d67b592f6fc821c49479ab48640292eacb3b7c4be");
}

static void test_xof_stream(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 203);
    uint8_t in[300], want[5000], got[5000];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)nq_rng_next(&r);
    for (int bits = 128; bits <= 256; bits += 128) {
        for (int round = 0; round < 20; round++) {
            size_t inlen = nq_rng_below(&r, sizeof in + 1);
            if (bits == 128)
                assert_int_equal(crypto_shake128(want, sizeof want, in, inlen), 0);
            else
                assert_int_equal(crypto_shake256(want, sizeof want, in, inlen), 0);
            crypto_xof x;
            assert_int_equal(crypto_xof_init(&x, bits, 1 + nq_rng_below(&r, 600)), 0);
            size_t a = 0;
            while (a < inlen) { /* absorb in pieces */
                size_t k = 1 + nq_rng_below(&r, inlen - a);
                assert_int_equal(crypto_xof_absorb(&x, in + a, k), 0);
                a += k;
            }
            size_t pos = 0;
            while (pos < sizeof got) {
                size_t k = nq_rng_below(&r, 400);
                if (k > sizeof got - pos)
                    k = sizeof got - pos;
                assert_int_equal(crypto_xof_squeeze(&x, got + pos, k), 0);
                pos += k;
            }
            assert_int_equal(crypto_xof_absorb(&x, in, 1), -1); /* no absorbing after squeezing */
            crypto_xof_free(&x);
            assert_memory_equal(got, want, sizeof want);
        }
    }
}

static void test_ct(void **state)
{
    (void)state;
    uint8_t a[33], b[33];
    memset(a, 7, sizeof a);
    memcpy(b, a, sizeof a);
    assert_int_equal(crypto_ct_equal(a, b, sizeof a), 1);
    b[32] ^= 0x80;
    assert_int_equal(crypto_ct_equal(a, b, sizeof a), 0);
    assert_int_equal(crypto_ct_equal(a, b, 32), 1);
    uint8_t d[33];
    memcpy(d, a, sizeof d);
    crypto_ct_select(d, b, sizeof d, 0);
    assert_memory_equal(d, a, sizeof d);
    crypto_ct_select(d, b, sizeof d, 1);
    assert_memory_equal(d, b, sizeof d);
    uint8_t z[64] = {0}, zero[64] = {0};
    assert_int_equal(crypto_random(z, sizeof z), 0);
    assert_memory_not_equal(z, zero, sizeof z); /* 2^-512 chance of a false failure */
    crypto_wipe(z, sizeof z);
    assert_memory_equal(z, zero, sizeof z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_xof_stream),
        cmocka_unit_test(test_ct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
