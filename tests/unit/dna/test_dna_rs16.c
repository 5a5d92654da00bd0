/*
 * test_dna_rs16.c — GF(2^16) and the long Reed-Solomon codes (src/dna/dna_gf16.h, dna_rs16.h):
 * the tables against bitwise multiplication modulo 0x1100B (and 2 primitive: its powers run
 * through all 65535 nonzero elements); codewords against an independent slow encoder (the
 * generator multiplied out with the bitwise product, parity by long division); random erasure
 * patterns up to n - k recovered and beyond reported with the word untouched; errors up to
 * (n - k)/2 and mixed patterns corrected; beyond that reported (with many spare symbols).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "dna_gf16.h"
#include "dna_rs16.h"

static uint16_t slow_mul16(uint16_t a, uint16_t b)
{
    uint32_t r = 0, x = a;
    for (int i = 0; i < 16; i++) {
        if (b & (1u << i))
            r ^= x;
        x <<= 1;
        if (x & 0x10000u)
            x ^= 0x1100Bu;
    }
    return (uint16_t)r;
}

static dna_gf16 F;

static int setup(void **state)
{
    (void)state;
    return dna_gf16_init(&F, NULL);
}

static int teardown(void **state)
{
    (void)state;
    dna_gf16_free(&F);
    return 0;
}

static void test_field16(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 31);
    for (int i = 0; i < 200000; i++) {
        uint16_t a = (uint16_t)nq_rng_next(&r), b = (uint16_t)nq_rng_next(&r);
        if (i < 256) {
            a = (uint16_t)i;
            b = (uint16_t)(0xffff - i);
        }
        assert_int_equal(dna_gf16_mul(&F, a, b), slow_mul16(a, b));
        if (a)
            assert_int_equal(slow_mul16(a, dna_gf16_inv(&F, a)), 1);
    }
    /* 2 is primitive: 2^i, i < 65535, are distinct, so every nonzero element is reached */
    uint8_t *seen = calloc(65536, 1);
    uint16_t v = 1;
    for (int i = 0; i < 65535; i++) {
        assert_int_equal(seen[v], 0);
        seen[v] = 1;
        assert_int_equal(dna_gf16_pow2(&F, (uint64_t)i), v);
        v = slow_mul16(v, 2);
    }
    assert_int_equal(v, 1);
    free(seen);
}

static void slow_encode16(int n, int k, const uint16_t *msg, uint16_t *cw)
{
    int m = n - k;
    uint16_t *g = calloc((size_t)m + 2, 2), *ng = calloc((size_t)m + 2, 2); /* g[i]: x^i */
    g[0] = 1;
    uint16_t r = 1;
    for (int j = 0; j < m; j++) {
        memset(ng, 0, ((size_t)m + 2) * 2);
        for (int i = 0; i <= j; i++) {
            ng[i + 1] ^= g[i];
            ng[i] ^= slow_mul16(r, g[i]);
        }
        memcpy(g, ng, ((size_t)m + 2) * 2);
        r = slow_mul16(r, 2);
    }
    uint16_t *rem = calloc((size_t)n, 2);
    memcpy(rem, msg, (size_t)k * 2);
    for (int i = 0; i < k; i++) {
        uint16_t q = rem[i];
        if (!q)
            continue;
        for (int j = 0; j <= m; j++)
            rem[i + j] ^= slow_mul16(q, g[m - j]);
    }
    memcpy(cw, msg, (size_t)k * 2);
    memcpy(cw + k, rem + k, (size_t)m * 2);
    free(g);
    free(ng);
    free(rem);
}

static void pick(nq_rng *r, int n, int cnt, int *out)
{
    int *all = malloc((size_t)n * sizeof *all);
    for (int i = 0; i < n; i++)
        all[i] = i;
    for (int i = 0; i < cnt; i++) {
        int j = i + (int)nq_rng_below(r, (uint64_t)(n - i));
        int t = all[i];
        all[i] = all[j];
        all[j] = t;
        out[i] = all[i];
    }
    free(all);
}

static void test_rs16(void **state)
{
    (void)state;
    static const int shapes[][2] = {{300, 260}, {40, 30}, {7, 3}, {1000, 900}, {4095, 3900}, {2, 1}};
    nq_rng r;
    nq_rng_seed(&r, 33);
    long big_beyond = 0, big_reported = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int n = shapes[s][0], k = shapes[s][1], m = n - k;
        dna_rs16 rs;
        assert_int_equal(dna_rs16_init(&rs, &F, n, k, NULL), 0);
        uint16_t *orig = malloc((size_t)n * 2), *want = malloc((size_t)n * 2),
                 *cw = malloc((size_t)n * 2), *before = malloc((size_t)n * 2);
        int *pos = malloc((size_t)n * sizeof *pos);
        int trials = n > 1000 ? 2 : 10;
        for (int t = 0; t < trials; t++) {
            for (int i = 0; i < k; i++)
                orig[i] = (uint16_t)nq_rng_next(&r);
            dna_rs16_encode(&rs, orig, orig + k);
            if (n <= 1000) {
                slow_encode16(n, k, orig, want);
                assert_memory_equal(orig, want, (size_t)n * 2);
            }
            /* erasures up to m */
            int e = t == 0 ? m : (int)nq_rng_below(&r, (uint64_t)m + 1);
            pick(&r, n, e, pos);
            memcpy(cw, orig, (size_t)n * 2);
            for (int i = 0; i < e; i++)
                cw[pos[i]] = (uint16_t)nq_rng_next(&r);
            assert_true(dna_rs16_decode(&rs, cw, pos, e, NULL) >= 0);
            assert_memory_equal(cw, orig, (size_t)n * 2);
            /* beyond m erasures */
            if (m < n) {
                pick(&r, n, m + 1, pos);
                memcpy(before, cw, (size_t)n * 2);
                assert_int_equal(dna_rs16_decode(&rs, cw, pos, m + 1, NULL), NQ_ECORRUPT);
                assert_memory_equal(cw, before, (size_t)n * 2);
            }
            /* e erasures + t errors, e + 2t <= m */
            e = (int)nq_rng_below(&r, (uint64_t)m + 1);
            int te = (m - e) / 2;
            pick(&r, n, e + te, pos);
            memcpy(cw, orig, (size_t)n * 2);
            for (int i = 0; i < e + te; i++)
                cw[pos[i]] ^= (uint16_t)(1 + nq_rng_below(&r, 65535));
            assert_true(dna_rs16_decode(&rs, cw, pos, e, NULL) >= 0);
            assert_memory_equal(cw, orig, (size_t)n * 2);
            /* one error too many */
            if (e + te + 1 <= n) {
                pick(&r, n, e + te + 1, pos);
                memcpy(cw, orig, (size_t)n * 2);
                for (int i = 0; i < e + te + 1; i++)
                    cw[pos[i]] ^= (uint16_t)(1 + nq_rng_below(&r, 65535));
                if (2 * (te + 1) + e > m) {
                    memcpy(before, cw, (size_t)n * 2);
                    int rc = dna_rs16_decode(&rs, cw, pos, e, NULL);
                    if (m - e >= 8) {
                        big_beyond++;
                        big_reported += rc == NQ_ECORRUPT;
                    }
                    if (rc < 0)
                        assert_memory_equal(cw, before, (size_t)n * 2);
                }
            }
        }
        free(orig);
        free(want);
        free(cw);
        free(before);
        free(pos);
        dna_rs16_free(&rs);
    }
    print_message("beyond capacity with >= 8 spare symbols: %ld of %ld reported\n", big_reported, big_beyond);
    assert_int_equal(big_reported, big_beyond);
    dna_rs16 rs;
    assert_int_equal(dna_rs16_init(&rs, &F, 4096, 4000, NULL), NQ_EINVAL);
    assert_int_equal(dna_rs16_init(&rs, &F, 10, 10, NULL), NQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field16),
        cmocka_unit_test(test_rs16),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
