/*
 * test_record.c — the row format: exact round trips of random rows, single-column reads, and
 * damaged input (truncations, bit flips, random bytes) that must fail cleanly, never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql/record.h"
#include "sqlv_gen.h"

static void test_roundtrip(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 42);
    nq_err e;
    nq_err_clear(&e);
    for (int it = 0; it < 3000; it++) {
        int n = (int)nq_rng_below(&r, 12);
        sqlv v[12], d[12];
        for (int c = 0; c < n; c++)
            v[c] = gen_value(&r);
        uint8_t *buf;
        size_t len;
        assert_int_equal(rec_encode(v, n, &buf, &len, &e), 0);
        int nc = -1;
        assert_int_equal(rec_decode(buf, len, d, 12, &nc, &e), 0);
        assert_int_equal(nc, n);
        for (int c = 0; c < n; c++) {
            assert_true(same_value(&v[c], &d[c]));
            sqlv one;
            assert_int_equal(rec_column(buf, len, c, &one, &e), 0);
            assert_true(same_value(&v[c], &one));
        }
        sqlv past;
        assert_int_equal(rec_column(buf, len, n, &past, &e), 0);
        assert_int_equal(past.type, SQLV_NULL);
        /* every truncation fails (never reads past len) */
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *t = malloc(cut ? cut : 1);
            memcpy(t, buf, cut);
            int rc = rec_decode(t, cut, d, 12, &nc, &e);
            assert_int_equal(rc, NQ_ECORRUPT);
            free(t);
        }
        /* a flipped byte either decodes or is NQ_ECORRUPT */
        if (len) {
            size_t at = nq_rng_below(&r, len);
            buf[at] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
            int rc = rec_decode(buf, len, d, 12, &nc, &e);
            assert_true(rc == 0 || rc == NQ_ECORRUPT || rc == NQ_ETOOBIG);
            for (int c = 0; c < 14; c++) {
                sqlv one;
                rc = rec_column(buf, len, c, &one, &e);
                assert_true(rc == 0 || rc == NQ_ECORRUPT);
            }
        }
        free(buf);
        for (int c = 0; c < n; c++)
            gen_free(&v[c]);
    }
}

static void test_compact(void **state)
{
    (void)state;
    nq_err e;
    sqlv v[4] = {sqlv_null(), sqlv_bool(1), sqlv_int(0), sqlv_int(-1)};
    uint8_t *buf;
    size_t len;
    assert_int_equal(rec_encode(v, 4, &buf, &len, &e), 0);
    /* ncols, hlen, 4 tags, one payload byte */
    static const uint8_t want[] = {4, 4, REC_T_NULL, REC_T_TRUE, REC_T_INT0, REC_T_INT1, 0xFF};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    free(buf);
    sqlv nan = sqlv_real(NAN);
    assert_int_equal(rec_encode(&nan, 1, &buf, &len, &e), NQ_EINVAL);
    /* a stored NaN is damage */
    uint8_t bad[] = {1, 1, REC_T_REAL, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
    sqlv d[1];
    int nc;
    assert_int_equal(rec_decode(bad, sizeof bad, d, 1, &nc, &e), NQ_ECORRUPT);
    uint8_t trail[] = {1, 1, REC_T_INT0, 0};
    assert_int_equal(rec_decode(trail, sizeof trail, d, 1, &nc, &e), NQ_ECORRUPT);
    uint8_t rag[] = {1, 2, REC_T_VECTOR, 3, 1, 2, 3};
    assert_int_equal(rec_decode(rag, sizeof rag, d, 1, &nc, &e), NQ_ECORRUPT);
    uint8_t huge[] = {1, 11, REC_T_TEXT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(rec_decode(huge, sizeof huge, d, 1, &nc, &e), NQ_ECORRUPT);
}

static void test_random_bytes(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 9);
    nq_err e;
    sqlv d[64];
    for (int it = 0; it < 20000; it++) {
        size_t n = nq_rng_below(&r, 40);
        uint8_t *b = malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++)
            b[k] = (uint8_t)(nq_rng_below(&r, 2) ? nq_rng_below(&r, 16) : nq_rng_next(&r));
        int nc;
        int rc = rec_decode(b, n, d, 64, &nc, &e);
        assert_true(rc == 0 || rc == NQ_ECORRUPT || rc == NQ_ETOOBIG);
        sqlv one;
        rc = rec_column(b, n, (int)nq_rng_below(&r, 8), &one, &e);
        assert_true(rc == 0 || rc == NQ_ECORRUPT);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
