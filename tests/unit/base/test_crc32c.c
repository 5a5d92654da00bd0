/*
 * test_crc32c.c — CRC-32C: published vectors, hardware/software agreement, chaining.
 *
 * Every page and log frame is sealed with crc32c(), and a database written on an x86-64 box
 * (SSE4.2 path) must verify on a Raspberry Pi (ARMv8 CRC path) and on a CPU with neither
 * (table path). So the tests pin the function three ways:
 *   1. known answers from RFC 3720 (iSCSI) appendix B.4 and the classic "123456789" check value;
 *   2. a deliberately naive bit-at-a-time reference written here, compared with both crc32c()
 *      (whatever path the CPU picks) and crc32c_sw() on random buffers of every small length,
 *      at every alignment, so the head/tail loops of the word-at-a-time code are all covered;
 *   3. chaining: crc32c(crc32c(0, a), b) == crc32c(0, a || b) for every split point.
 * The hardware path interleaves three CRC streams over blocks of 3*1360 and 3*128 bytes and
 * combines them with shift tables, then finishes with a single chain; so the agreement tests
 * also cover every length 0..2048 at 16 alignments (every block/tail combination up to two
 * short blocks plus a tail, and a long block with each tail), random lengths up to 64 KiB,
 * and chaining with split points on both sides of every block boundary.
 * Under qemu-aarch64 the emulated CPU has the CRC extension, so the aarch64 CI stage exercises
 * the ARM hardware path too; the test prints which path it saw.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/rand.h"

/* Bit-at-a-time reflected CRC with the Castagnoli polynomial: slow, obviously right. */
static uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
    }
    return ~crc;
}

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn f)
{
    uint8_t buf[48];

    assert_int_equal(f(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(f(0, "", 0), 0u);
    assert_int_equal(f(0, "The quick brown fox jumps over the lazy dog", 43), 0x22620404u);

    /* RFC 3720 B.4 */
    memset(buf, 0, 32);
    assert_int_equal(f(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    assert_int_equal(f(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(f(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(f(0, buf, 32), 0x113FDB5Cu);
    static const uint8_t pdu[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
        0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    assert_int_equal(f(0, pdu, sizeof pdu), 0xD9963A56u);
}

static void test_known_vectors_dispatch(void **state)
{
    (void)state;
    print_message("crc32c: hardware path %s\n", crc32c_hw_available() ? "in use" : "not available");
    check_vectors(crc32c);
}

static void test_known_vectors_sw(void **state)
{
    (void)state;
    check_vectors(crc32c_sw);
}

static void test_reference_oracle(void **state)
{
    (void)state;
    /* The oracle itself must give the check value, or the comparisons below prove nothing. */
    assert_int_equal(crc_ref(0, (const uint8_t *)"123456789", 9), 0xE3069283u);
}

/* Every length 0..300 at every alignment 0..15, random contents and random starting crc. */
static void test_hw_sw_ref_agree(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 0xC0FFEE);
    uint8_t *mem = malloc(300 + 16);
    assert_non_null(mem);
    for (size_t len = 0; len <= 300; len++) {
        for (size_t align = 0; align < 16; align++) {
            uint8_t *p = mem + align;
            for (size_t i = 0; i < len; i++)
                p[i] = (uint8_t)nq_rng_next(&r);
            uint32_t seed = (align & 1) ? (uint32_t)nq_rng_next(&r) : 0;
            uint32_t want = crc_ref(seed, p, len);
            assert_int_equal(crc32c(seed, p, len), want);
            assert_int_equal(crc32c_sw(seed, p, len), want);
        }
    }
    free(mem);
}

/* Large page-sized buffers, as the pager uses them (4 KiB .. 64 KiB). */
static void test_page_sizes(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 7);
    size_t max = 65536 + 8;
    uint8_t *p = malloc(max);
    assert_non_null(p);
    for (size_t i = 0; i < max; i++)
        p[i] = (uint8_t)nq_rng_next(&r);
    for (size_t ps = 1024; ps <= 65536; ps *= 2) {
        for (size_t off = 0; off < 8; off += 3) {
            uint32_t want = crc_ref(0, p + off, ps);
            assert_int_equal(crc32c(0, p + off, ps), want);
            assert_int_equal(crc32c_sw(0, p + off, ps), want);
        }
    }
    free(p);
}

static void test_chaining(void **state)
{
    (void)state;
    uint8_t buf[200];
    nq_rng r;
    nq_rng_seed(&r, 99);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)nq_rng_next(&r);
    uint32_t whole = crc32c(0, buf, sizeof buf);
    for (size_t split = 0; split <= sizeof buf; split++) {
        assert_int_equal(crc32c(crc32c(0, buf, split), buf + split, sizeof buf - split), whole);
        assert_int_equal(crc32c_sw(crc32c_sw(0, buf, split), buf + split, sizeof buf - split), whole);
        /* mixing the two paths mid-stream must also agree */
        assert_int_equal(crc32c_sw(crc32c(0, buf, split), buf + split, sizeof buf - split), whole);
    }
}

/* Every length 0..2048 at alignments 0..15. The reference for each prefix is extended one byte
 * at a time from the previous one (the bitwise reference chains trivially), so the oracle
 * costs O(n) per alignment instead of O(n^2). */
static void test_all_lengths_to_2048(void **state)
{
    (void)state;
    enum { MAXLEN = 2048 };
    nq_rng r;
    nq_rng_seed(&r, 0x5EED2048);
    uint8_t *mem = malloc(MAXLEN + 16);
    assert_non_null(mem);
    for (size_t align = 0; align < 16; align++) {
        uint8_t *p = mem + align;
        for (size_t i = 0; i < MAXLEN; i++)
            p[i] = (uint8_t)nq_rng_next(&r);
        uint32_t seed = (align % 3 == 1) ? (uint32_t)nq_rng_next(&r) : 0;
        uint32_t want = seed; /* crc_ref(seed, p, 0) */
        for (size_t len = 0; len <= MAXLEN; len++) {
            if (len)
                want = crc_ref(want, p + len - 1, 1);
            assert_int_equal(crc32c(seed, p, len), want);
            assert_int_equal(crc32c_sw(seed, p, len), want);
        }
    }
    free(mem);
}

/* Random lengths up to 64 KiB, random alignments and starting values. */
static void test_random_long_buffers(void **state)
{
    (void)state;
    enum { MAXLEN = 65536 };
    nq_rng r;
    nq_rng_seed(&r, 0xB16B00);
    uint8_t *mem = malloc(MAXLEN + 16);
    assert_non_null(mem);
    for (size_t i = 0; i < MAXLEN + 16; i++)
        mem[i] = (uint8_t)nq_rng_next(&r);
    for (int iter = 0; iter < 120; iter++) {
        size_t len = (size_t)(nq_rng_next(&r) % (MAXLEN + 1));
        size_t align = (size_t)(nq_rng_next(&r) % 16);
        uint32_t seed = (iter & 1) ? (uint32_t)nq_rng_next(&r) : 0;
        uint8_t *p = mem + align;
        for (int k = 0; k < 64; k++) /* fresh contents at random places */
            p[nq_rng_next(&r) % MAXLEN] = (uint8_t)nq_rng_next(&r);
        uint32_t want = crc_ref(seed, p, len);
        assert_int_equal(crc32c(seed, p, len), want);
        assert_int_equal(crc32c_sw(seed, p, len), want);
    }
    free(mem);
}

/* Chaining with every split point of a buffer a little over a 4 KiB page, so both halves
 * start and end on each side of every interleave block boundary (3*128, 3*1360) and the
 * register carried in is non-trivial; then three-way splits of a 64 KiB buffer. */
static void test_chaining_across_blocks(void **state)
{
    (void)state;
    enum { N = 4096 + 3 * 128 + 40, BIG = 65536 + 13 };
    nq_rng r;
    nq_rng_seed(&r, 0xC4A1);
    uint8_t *buf = malloc(BIG);
    assert_non_null(buf);
    for (size_t i = 0; i < BIG; i++)
        buf[i] = (uint8_t)nq_rng_next(&r);
    for (size_t off = 0; off < 2; off++) {
        const uint8_t *p = buf + off * 5;
        uint32_t whole = crc_ref(0, p, N);
        for (size_t split = 0; split <= N; split++) {
            uint32_t head = crc32c(0, p, split);
            assert_int_equal(crc32c(head, p + split, N - split), whole);
            assert_int_equal(crc32c_sw(head, p + split, N - split), whole);
            assert_int_equal(crc32c(crc32c_sw(0, p, split), p + split, N - split), whole);
        }
    }
    uint32_t whole = crc_ref(0, buf, BIG);
    for (int iter = 0; iter < 200; iter++) {
        size_t s1 = (size_t)(nq_rng_next(&r) % (BIG + 1));
        size_t s2 = (size_t)(nq_rng_next(&r) % (BIG + 1));
        if (s1 > s2) {
            size_t t = s1;
            s1 = s2;
            s2 = t;
        }
        uint32_t c = crc32c(0, buf, s1);
        c = crc32c(c, buf + s1, s2 - s1);
        c = crc32c(c, buf + s2, BIG - s2);
        assert_int_equal(c, whole);
    }
    free(buf);
}

/* Every single-bit flip in a page-sized buffer changes the checksum. */
static void test_detects_bit_flips(void **state)
{
    (void)state;
    uint8_t page[1024];
    nq_rng r;
    nq_rng_seed(&r, 3);
    for (size_t i = 0; i < sizeof page; i++)
        page[i] = (uint8_t)nq_rng_next(&r);
    uint32_t good = crc32c(0, page, sizeof page);
    for (size_t bit = 0; bit < sizeof page * 8; bit++) {
        page[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(crc32c(0, page, sizeof page), good);
        page[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(crc32c(0, page, sizeof page), good);
}

/* The hardware query is stable and agrees with the dispatch result. */
static void test_hw_query_stable(void **state)
{
    (void)state;
    int a = crc32c_hw_available();
    (void)crc32c(0, "x", 1);
    int b = crc32c_hw_available();
    assert_int_equal(a, b);
    assert_true(a == 0 || a == 1);
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        assert_int_equal(a, 1);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_oracle),
        cmocka_unit_test(test_known_vectors_dispatch),
        cmocka_unit_test(test_known_vectors_sw),
        cmocka_unit_test(test_hw_sw_ref_agree),
        cmocka_unit_test(test_page_sizes),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_all_lengths_to_2048),
        cmocka_unit_test(test_random_long_buffers),
        cmocka_unit_test(test_chaining_across_blocks),
        cmocka_unit_test(test_detects_bit_flips),
        cmocka_unit_test(test_hw_query_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
