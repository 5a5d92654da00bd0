/*
 * test_page_codec.c — the page codec as pure functions (src/storage/pgcodec.h):
 *   - plans: the parity fills the room, m even in [8, 32], k + m <= 255, never over the room;
 *   - random pages of every page size (1 KiB .. 64 KiB) and compressibility round-trip exactly;
 *     an incompressible page is refused (stored raw), a raw B-tree page is never taken for a
 *     coded one;
 *   - damage below the limit — random bytes anywhere, one burst as long as the interleave
 *     allows, a whole header copy — is repaired and counted exactly; damage beyond it is a
 *     clean NQ_ECORRUPT that leaves the buffer as it was (seeded, hundreds of trials).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "storage/pager.h"
#include "storage/pgcodec.h"

/* A B-tree-like leaf page of P bytes: header with the codec flag, then text-like rows whose
 * entropy grows with noise (0: very compressible .. 8: random bytes). */
static void make_page(nq_rng *r, uint8_t *p, uint32_t P, int noise)
{
    static const char *words[] = {"GATTACA", "select", "neuro", "quantum", "row", "value",
                                  "ACGTACGT", "42", "the", "table"};
    p[0] = PGTYPE_BTREE_LEAF;
    p[1] = PGCODEC_PAGE_FLAG;
    for (uint32_t i = 2; i < P;) {
        if ((int)nq_rng_below(r, 8) < noise) {
            p[i++] = (uint8_t)nq_rng_next(r);
            continue;
        }
        const char *w = words[nq_rng_below(r, 10)];
        for (size_t j = 0; w[j] && i < P; j++)
            p[i++] = (uint8_t)w[j];
    }
}

static void test_plan(void **state)
{
    (void)state;
    for (uint32_t room = 900; room <= 65536; room = room * 3 / 2) {
        for (uint32_t L = 1; L < room; L += 1 + L / 7) {
            /* the most parity any layout gets (brute force over the codeword count) */
            uint32_t best = 0;
            for (uint32_t ncw = 1; room <= 5000 && ncw <= L; ncw++) {
                uint32_t k = (L + ncw - 1) / ncw;
                if (k + PGCODEC_M_MIN > 255 || ncw * (k + PGCODEC_M_MIN) > room)
                    continue;
                uint32_t m = room / ncw - k;
                m = m > 255 - k ? 255 - k : m;
                m = (m > PGCODEC_M_MAX ? PGCODEC_M_MAX : m) & ~1u;
                if (m >= PGCODEC_M_MIN && ncw * m > best)
                    best = ncw * m;
            }
            pgcodec_info pl;
            if (pgcodec_plan(L, room, &pl)) {
                assert_int_equal(best, 0); /* nothing fits, truly */
                continue;
            }
            assert_true(pl.m >= PGCODEC_M_MIN && pl.m <= PGCODEC_M_MAX && pl.m % 2 == 0);
            assert_true(pl.k + pl.m <= 255);
            assert_true(pl.k * pl.ncw >= L && (pl.k - 1) * pl.ncw < L);
            assert_true(pl.ncw * (pl.k + pl.m) <= room);
            if (room <= 5000)
                assert_int_equal(pl.parity, best);
        }
        /* a quarter-full page keeps most of the rest as parity */
        pgcodec_info pl;
        assert_int_equal(pgcodec_plan(room / 4, room, &pl), 0);
        assert_true(pl.parity >= room / 2);
    }
    pgcodec_info pl;
    assert_int_equal(pgcodec_plan(4000, 4024, &pl), -1); /* no room for parity */
}

static void test_roundtrip(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 2026);
    static const uint32_t sizes[] = {1024, 4096, 8192, 16384, 65536};
    int coded = 0, raw = 0;
    for (int it = 0; it < 120; it++) {
        uint32_t P = sizes[it % 5];
        int noise = (int)nq_rng_below(&r, 9);
        uint8_t *mem = malloc(P), *disk = malloc(P);
        make_page(&r, mem, P, noise);
        assert_false(pgcodec_is_encoded(mem, P)); /* a raw page is never a coded one */
        assert_true(pgcodec_wants(mem, P));
        pgcodec_info info;
        int w = pgcodec_encode(mem, P, disk, P, &info);
        assert_true(w == 0 || w == 1);
        if (w == 1) {
            coded++;
            assert_true(pgcodec_is_encoded(disk, P));
            assert_true(PGCODEC_PREFIX + info.ncw * (info.k + info.m) <= P);
            uint32_t rep = 99;
            nq_err e;
            assert_int_equal(pgcodec_decode(disk, P, &rep, &e), 0);
            assert_int_equal(rep, 0);
            assert_memory_equal(disk, mem, P);
        } else {
            raw++;
            assert_true(noise >= 6); /* only nearly random pages are left raw */
        }
        free(mem);
        free(disk);
    }
    assert_true(coded > 60 && raw > 0);
    /* not flagged, or not a tree page: the codec is not wanted */
    uint8_t page[1024] = {PGTYPE_BTREE_LEAF, 0};
    assert_false(pgcodec_wants(page, 1024));
    page[0] = PGTYPE_FREELIST;
    page[1] = PGCODEC_PAGE_FLAG;
    assert_false(pgcodec_wants(page, 1024));
    page[0] = PGTYPE_OVERFLOW;
    assert_true(pgcodec_wants(page, 1024));
}

/* Encode a compressible 4 KiB page; returns its plan. */
static pgcodec_info coded_page(nq_rng *r, uint8_t *mem, uint8_t *disk, uint32_t P, int noise)
{
    make_page(r, mem, P, noise);
    pgcodec_info info;
    assert_int_equal(pgcodec_encode(mem, P, disk, P, &info), 1);
    return info;
}

static void test_repair(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 77);
    const uint32_t P = 4096;
    uint8_t mem[4096], disk[4096], keep[4096];
    nq_err e;
    for (int it = 0; it < 200; it++) {
        pgcodec_info pl = coded_page(&r, mem, disk, P, (int)nq_rng_below(&r, 4));
        uint32_t blen = pl.ncw * (pl.k + pl.m);
        memcpy(keep, disk, P);
        uint32_t rep;
        switch (it % 4) {
        case 0: { /* scattered bytes: at most m/2 per codeword, so at most ncw*m/2 in all */
            int per = (int)pl.m / 2, hits = 0;
            uint8_t cnt[65536 / 8] = {0};
            uint32_t want = 1 + (uint32_t)nq_rng_below(&r, pl.ncw * (uint32_t)per);
            while ((uint32_t)hits < want) {
                uint32_t off = (uint32_t)nq_rng_below(&r, blen);
                if (cnt[off % pl.ncw] >= per || disk[PGCODEC_PREFIX + off] != keep[PGCODEC_PREFIX + off])
                    continue;
                cnt[off % pl.ncw]++;
                disk[PGCODEC_PREFIX + off] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
                hits++;
            }
            assert_int_equal(pgcodec_decode(disk, P, &rep, &e), 0);
            assert_int_equal(rep, (uint32_t)hits);
            break;
        }
        case 1: { /* one burst of ncw * m/2 bytes */
            uint32_t len = pl.ncw * (pl.m / 2);
            uint32_t at = (uint32_t)nq_rng_below(&r, blen - len + 1);
            for (uint32_t i = 0; i < len; i++)
                disk[PGCODEC_PREFIX + at + i] = (uint8_t)~disk[PGCODEC_PREFIX + at + i];
            assert_int_equal(pgcodec_decode(disk, P, &rep, &e), 0);
            assert_int_equal(rep, len);
            break;
        }
        case 2: { /* two header copies destroyed, plus damage in the zero tail */
            memset(disk, 0x5A, 2 * PGCODEC_HDR);
            for (uint32_t i = PGCODEC_PREFIX + blen; i < P; i++)
                disk[i] = 0xFF;
            assert_true(pgcodec_is_encoded(disk, P));
            assert_int_equal(pgcodec_decode(disk, P, &rep, &e), 0);
            assert_true(rep > 0); /* the header bytes that changed */
            break;
        }
        default: { /* beyond the limit: a burst longer than the interleave repairs */
            uint32_t len = pl.ncw * (pl.m / 2 + 2);
            if (len > blen)
                len = blen;
            uint32_t at = (uint32_t)nq_rng_below(&r, blen - len + 1);
            for (uint32_t i = 0; i < len; i++)
                disk[PGCODEC_PREFIX + at + i] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
            memcpy(keep, disk, P);
            nq_err_clear(&e);
            assert_int_equal(pgcodec_decode(disk, P, &rep, &e), NQ_ECORRUPT);
            assert_non_null(strstr(e.msg, "page codec"));
            assert_memory_equal(disk, keep, P); /* untouched */
            continue;
        }
        }
        assert_memory_equal(disk, mem, P);
    }
    /* all three header copies gone: not recognised, and a decode says so */
    coded_page(&r, mem, disk, P, 1);
    memset(disk, 0, PGCODEC_PREFIX);
    assert_false(pgcodec_is_encoded(disk, P));
    uint32_t rep;
    assert_int_equal(pgcodec_decode(disk, P, &rep, &e), NQ_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
