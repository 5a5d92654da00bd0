/*
 * test_endian.c — the little-endian on-disk integer helpers and big-endian sort keys.
 *
 * The file format is little-endian on every host. These tests pin the exact byte layout
 * (so a file written on x86-64 reads on aarch64, and would on a big-endian host), round trips
 * at every unaligned offset (ARM traps or slows on some unaligned accesses; memcpy avoids it),
 * and the property the B+ tree relies on for integer keys: memcmp order of put_be64 encodings
 * equals numeric order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/endian.h"
#include "base/rand.h"

static void test_byte_layout(void **state)
{
    (void)state;
    uint8_t b[8];
    put_u16(b, 0x0102);
    assert_memory_equal(b, "\x02\x01", 2);
    put_u32(b, 0x01020304u);
    assert_memory_equal(b, "\x04\x03\x02\x01", 4);
    put_u64(b, 0x0102030405060708ull);
    assert_memory_equal(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    put_be64(b, 0x0102030405060708ull);
    assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

    static const uint8_t le[8] = {0xef, 0xbe, 0xad, 0xde, 0x78, 0x56, 0x34, 0x12};
    assert_int_equal(get_u16(le), 0xbeef);
    assert_int_equal(get_u32(le), 0xdeadbeefu);
    assert_true(get_u64(le) == 0x12345678deadbeefull);
    assert_true(get_be64(le) == 0xefbeadde78563412ull);
}

static void test_unaligned_round_trip(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 11);
    uint8_t buf[32];
    for (int iter = 0; iter < 1000; iter++) {
        uint64_t v = nq_rng_next(&r);
        for (size_t off = 0; off < 16; off++) {
            memset(buf, 0xAA, sizeof buf);
            put_u16(buf + off, (uint16_t)v);
            assert_int_equal(get_u16(buf + off), (uint16_t)v);
            put_u32(buf + off, (uint32_t)v);
            assert_int_equal(get_u32(buf + off), (uint32_t)v);
            put_u64(buf + off, v);
            assert_true(get_u64(buf + off) == v);
            /* neighbours untouched */
            if (off)
                assert_int_equal(buf[off - 1], 0xAA);
            assert_int_equal(buf[off + 8], 0xAA);
            put_be64(buf + off, v);
            assert_true(get_be64(buf + off) == v);
        }
    }
}

static void test_be64_sorts_numerically(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 12);
    uint8_t a[8], b[8];
    const uint64_t edge[] = {0, 1, 255, 256, 0xffffffffull, 1ull << 32, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < 8; j++) {
            put_be64(a, edge[i]);
            put_be64(b, edge[j]);
            int c = memcmp(a, b, 8);
            assert_true((c < 0) == (edge[i] < edge[j]) && (c == 0) == (edge[i] == edge[j]));
        }
    for (int iter = 0; iter < 100000; iter++) {
        uint64_t x = nq_rng_next(&r), y = nq_rng_next(&r);
        if (iter & 1) /* many pairs that share high bytes */
            y = (x & ~0xffffull) | (y & 0xffff);
        put_be64(a, x);
        put_be64(b, y);
        int c = memcmp(a, b, 8);
        assert_true((c < 0) == (x < y) && (c == 0) == (x == y));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byte_layout),
        cmocka_unit_test(test_unaligned_round_trip),
        cmocka_unit_test(test_be64_sorts_numerically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
