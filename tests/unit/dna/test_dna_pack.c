/*
 * test_dna_pack.c — the SIMD kernels against the scalar reference, byte for byte.
 *
 * Every variant this CPU can run (scalar, AVX2 on x86-64, NEON on ARM64 — under qemu in the
 * cross build) is called explicitly on seeded random inputs of every length 0..300 at several
 * alignments and on large buffers (1 MiB + odd tails): pack must give identical bytes (and zero
 * unused bits), unpack identical letters, find_non_acgt the same first position (with one bad
 * byte planted at every position of short inputs, and every byte value tried), count_gc the
 * same count (over inputs long enough to overflow 8-bit lane counters). Plus the packing
 * layout itself (A=0, C=1, T=2, G=3, first base in the low bits) on a fixed example.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "dna_simd.h"
#include "dna_zip.h"

static const char LET[] = "ACGTacgt";

static void fill_bases(nq_rng *r, uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (uint8_t)LET[nq_rng_below(r, 8)];
}

static void test_layout(void **state)
{
    (void)state;
    uint8_t out[2] = {0xff, 0xff};
    dna_pack("ACTGa", 5, out);
    assert_int_equal(out[0], 0 | 1 << 2 | 2 << 4 | 3 << 6);
    assert_int_equal(out[1], 0);
    char back[5];
    dna_unpack(out, 5, back);
    assert_memory_equal(back, "ACTGA", 5);
}

static void test_all_variants(void **state)
{
    (void)state;
    const dna_kernels *k[4];
    int nk = dna_kernels_list(k, 4);
    assert_true(nk >= 1);
    assert_string_equal(k[0]->name, "scalar");
    for (int v = 0; v < nk; v++)
        printf("# kernel variant: %s\n", k[v]->name);
    nq_rng r;
    nq_rng_seed(&r, 42);
    enum { MAXN = 300 + 64 };
    uint8_t src[MAXN + 64], p0[MAXN], p1[MAXN], u0[MAXN + 64], u1[MAXN + 64];
    for (int v = 1; v < nk; v++) {
        for (size_t n = 0; n <= 300; n++) {
            for (size_t al = 0; al < 4; al++) {
                uint8_t *s = src + al;
                fill_bases(&r, s, n);
                memset(p0, 0xAA, sizeof p0);
                memset(p1, 0x55, sizeof p1);
                k[0]->pack(s, n, p0);
                k[v]->pack(s, n, p1);
                assert_memory_equal(p0, p1, (n + 3) / 4);
                if (n % 4)
                    assert_int_equal(p1[n / 4] >> (2 * (n % 4)), 0);
                /* unpack random packed bytes (not only packed letters) */
                for (size_t i = 0; i < (n + 3) / 4; i++)
                    p0[i] = (uint8_t)nq_rng_next(&r);
                memset(u0, 0, sizeof u0);
                memset(u1, 1, sizeof u1);
                k[0]->unpack(p0 + (al & 1), n, u0);
                k[v]->unpack(p0 + (al & 1), n, u1 + al);
                assert_memory_equal(u0, u1 + al, n);
                assert_int_equal(k[0]->count_gc(s, n), k[v]->count_gc(s, n));
                assert_int_equal(k[v]->find_non_acgt(s, n), n);
            }
            /* one bad byte at every position, every byte value over the lengths */
            fill_bases(&r, src, n);
            for (size_t pos = 0; pos < n; pos++) {
                uint8_t save = src[pos];
                uint8_t bad;
                do
                    bad = (uint8_t)nq_rng_next(&r);
                while (strchr(LET, bad) && bad);
                src[pos] = bad;
                assert_int_equal(k[0]->find_non_acgt(src, n), pos);
                assert_int_equal(k[v]->find_non_acgt(src, n), pos);
                src[pos] = save;
            }
        }
        for (int b = 0; b < 256; b++) {
            uint8_t s[64];
            memset(s, 'A', sizeof s);
            s[37] = (uint8_t)b;
            assert_int_equal(k[0]->find_non_acgt(s, 64), k[v]->find_non_acgt(s, 64));
            assert_int_equal(k[0]->count_gc(s, 64), k[v]->count_gc(s, 64));
        }
        /* large: 1 MiB plus tails, random bytes and bases */
        size_t big = (1u << 20) + 77;
        uint8_t *bs = malloc(big), *bp0 = malloc(big / 4 + 1), *bp1 = malloc(big / 4 + 1);
        uint8_t *bu0 = malloc(big), *bu1 = malloc(big);
        assert_non_null(bs && bp0 && bp1 && bu0 && bu1);
        fill_bases(&r, bs, big);
        k[0]->pack(bs, big, bp0);
        k[v]->pack(bs, big, bp1);
        assert_memory_equal(bp0, bp1, (big + 3) / 4);
        k[0]->unpack(bp0, big, bu0);
        k[v]->unpack(bp0, big, bu1);
        assert_memory_equal(bu0, bu1, big);
        assert_int_equal(k[0]->count_gc(bs, big), k[v]->count_gc(bs, big));
        assert_int_equal(k[v]->find_non_acgt(bs, big), big);
        bs[big - 3] = 'N';
        assert_int_equal(k[v]->find_non_acgt(bs, big), big - 3);
        for (size_t i = 0; i < big; i++)
            bs[i] = (uint8_t)nq_rng_next(&r);
        assert_int_equal(k[0]->count_gc(bs, big), k[v]->count_gc(bs, big));
        memset(bs, 'g', big); /* every lane counter saturating */
        assert_int_equal(k[v]->count_gc(bs, big), big);
        free(bs);
        free(bp0);
        free(bp1);
        free(bu0);
        free(bu1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_all_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
