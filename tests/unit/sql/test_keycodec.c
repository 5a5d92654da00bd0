/*
 * test_keycodec.c — the key codec agrees with sqlv_order: for random seeded pairs over every
 * type combination, sign(memcmp(key(a), key(b))) == sign(order(a, b)) for ASC, reversed for
 * DESC, NULLS FIRST/LAST respected; multi-column keys compare lexicographically; keys decode
 * back to equal values; damaged keys fail cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql/keycodec.h"
#include "sqlv_gen.h"

static int sgn(int x) { return (x > 0) - (x < 0); }

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? sgn(c) : (an > bn) - (an < bn);
}

/* the order a sort with these column options must produce */
static int expect_cmp(const sqlv *a, const sqlv *b, key_col col)
{
    int an = a->type == SQLV_NULL, bn = b->type == SQLV_NULL;
    if (an || bn) {
        if (an && bn)
            return 0;
        return an ? (col.nulls_first ? -1 : 1) : (col.nulls_first ? 1 : -1);
    }
    int c = sqlv_order(a, b);
    return col.desc ? -c : c;
}

static void encode1(const sqlv *v, key_col col, uint8_t **out, size_t *len)
{
    nq_err e;
    nq_err_clear(&e);
    int rc = key_encode(v, &col, 1, out, len, &e);
    if (rc)
        fail_msg("encode: %s", e.msg);
}

static void check_decode(const uint8_t *k, size_t klen, const sqlv *vals, const key_col *cols,
                         int n)
{
    nq_err e;
    sqlv d[4];
    sqlv_type types[4];
    size_t used = 0;
    assert_int_equal(key_decode(k, klen, cols, NULL, n, d, &used, &e), 0);
    assert_int_equal(used, klen);
    for (int c = 0; c < n; c++) {
        if (vals[c].type == SQLV_NULL)
            assert_int_equal(d[c].type, SQLV_NULL);
        else
            assert_int_equal(sqlv_order(&vals[c], &d[c]), 0);
        sqlv_clear(&d[c]);
        types[c] = vals[c].type;
    }
    /* with the column types the values come back bit for bit (except -0.0 -> 0.0) */
    assert_int_equal(key_decode(k, klen, cols, types, n, d, &used, &e), 0);
    for (int c = 0; c < n; c++) {
        sqlv want = vals[c];
        if (want.type == SQLV_REAL && want.r == 0)
            want.r = 0.0;
        if (want.type == SQLV_VECTOR) /* -0.0f elements come back as 0.0f */
            assert_int_equal(sqlv_order(&want, &d[c]), 0);
        else
            assert_true(same_value(&want, &d[c]));
        sqlv_clear(&d[c]);
    }
}

static void test_pairs(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 20240601);
    for (int it = 0; it < 40000; it++) {
        sqlv a = gen_value(&r), b = gen_value(&r);
        if (nq_rng_below(&r, 8) == 0) { /* force same-class and numeric near misses */
            gen_free(&b);
            if (a.type == SQLV_INT)
                b = sqlv_real((double)a.i);
            else if (a.type == SQLV_REAL && a.r > -9e18 && a.r < 9e18)
                b = sqlv_int((int64_t)a.r);
            else
                b = gen_value(&r);
        }
        key_col col = {(int)nq_rng_below(&r, 2), (int)nq_rng_below(&r, 2)};
        uint8_t *ka, *kb;
        size_t la, lb;
        encode1(&a, col, &ka, &la);
        encode1(&b, col, &kb, &lb);
        int want = expect_cmp(&a, &b, col), got = key_cmp(ka, la, kb, lb);
        if (want != got) {
            char *sa = sqlv_to_string(&a), *sb = sqlv_to_string(&b);
            fail_msg("%s %s vs %s %s (desc %d nf %d): want %d got %d", sqlv_type_name(a.type),
                     sa, sqlv_type_name(b.type), sb, col.desc, col.nulls_first, want, got);
        }
        check_decode(ka, la, &a, &col, 1);
        free(ka);
        free(kb);
        gen_free(&a);
        gen_free(&b);
    }
}

static void test_multi(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 77);
    nq_err e;
    for (int it = 0; it < 20000; it++) {
        int n = 1 + (int)nq_rng_below(&r, 3);
        sqlv a[3], b[3];
        key_col cols[3];
        for (int c = 0; c < n; c++) {
            a[c] = gen_value(&r);
            /* often equal in a column, so later columns decide */
            if (nq_rng_below(&r, 2)) {
                b[c] = a[c];
                if (a[c].owned) {
                    uint8_t *p = malloc(a[c].n + 1);
                    memcpy(p, a[c].p, a[c].n);
                    b[c].p = p;
                }
            } else {
                b[c] = gen_value(&r);
            }
            cols[c].desc = (int)nq_rng_below(&r, 2);
            cols[c].nulls_first = (int)nq_rng_below(&r, 2);
        }
        uint8_t *ka, *kb;
        size_t la, lb;
        assert_int_equal(key_encode(a, cols, n, &ka, &la, &e), 0);
        assert_int_equal(key_encode(b, cols, n, &kb, &lb, &e), 0);
        int want = 0;
        for (int c = 0; c < n && !want; c++)
            want = expect_cmp(&a[c], &b[c], cols[c]);
        assert_int_equal(key_cmp(ka, la, kb, lb), want);
        check_decode(ka, la, a, cols, n);
        free(ka);
        free(kb);
        for (int c = 0; c < n; c++) {
            gen_free(&a[c]);
            gen_free(&b[c]);
        }
    }
}

static void test_fixed(void **state)
{
    (void)state;
    nq_err e;
    key_col asc = {0, 1};
    /* 1 < 1.5 < 2 across types; 1 == 1.0; 0.0 == -0.0 */
    sqlv v[] = {sqlv_real(-INFINITY), sqlv_int(INT64_MIN), sqlv_real(-1.5), sqlv_int(-1),
                sqlv_real(-4.9e-324), sqlv_int(0), sqlv_real(4.9e-324), sqlv_int(1),
                sqlv_real(1.5), sqlv_int(2), sqlv_int(INT64_MAX), sqlv_real(9223372036854775808.0),
                sqlv_real(1e300), sqlv_real(INFINITY)};
    for (size_t k = 0; k + 1 < sizeof v / sizeof v[0]; k++) {
        uint8_t *a, *b;
        size_t la, lb;
        encode1(&v[k], asc, &a, &la);
        encode1(&v[k + 1], asc, &b, &lb);
        assert_int_equal(key_cmp(a, la, b, lb), -1);
        free(a);
        free(b);
    }
    sqlv one = sqlv_int(1), onef = sqlv_real(1.0), z = sqlv_real(-0.0), zi = sqlv_int(0);
    uint8_t *a, *b;
    size_t la, lb;
    encode1(&one, asc, &a, &la);
    encode1(&onef, asc, &b, &lb);
    assert_int_equal(key_cmp(a, la, b, lb), 0);
    free(a), free(b);
    encode1(&z, asc, &a, &la);
    encode1(&zi, asc, &b, &lb);
    assert_int_equal(key_cmp(a, la, b, lb), 0);
    free(a), free(b);
    /* text: "" < "\0" < "a" < "a\0" < "a\0\0" < "a\x01" < "ab" */
    const char *t[] = {"", "\0", "a", "a\0", "a\0\0", "a\x01", "ab"};
    size_t tl[] = {0, 1, 1, 2, 3, 2, 2};
    for (int k = 0; k + 1 < 7; k++) {
        sqlv x = sqlv_text(t[k], tl[k]), y = sqlv_text(t[k + 1], tl[k + 1]);
        encode1(&x, asc, &a, &la);
        encode1(&y, asc, &b, &lb);
        assert_int_equal(key_cmp(a, la, b, lb), -1);
        free(a), free(b);
    }
    sqlv nan = sqlv_real(NAN);
    assert_int_equal(key_encode(&nan, &asc, 1, &a, &la, &e), NQ_EINVAL);
    /* a value after the key columns: used tells where the key ended */
    sqlv two[2] = {sqlv_text("x", 1), sqlv_int(5)};
    assert_int_equal(key_encode(two, NULL, 2, &a, &la, &e), 0);
    sqlv d[1];
    size_t used;
    assert_int_equal(key_decode(a, la, NULL, NULL, 1, d, &used, &e), 0);
    assert_int_equal(used, 4); /* tag, 'x', 00 01 */
    sqlv_clear(&d[0]);
    free(a);
    /* compact numbers: tag, two exponent bytes, the mantissa's 7-bit groups up to the last
     * nonzero one (M = 0 is one byte) */
    struct { sqlv v; size_t len; } sz[] = {
        {sqlv_int(1), 4}, {sqlv_int(5), 4}, {sqlv_int(-5), 4}, {sqlv_int(1000), 4}, {sqlv_int(1001), 5},
        {sqlv_int(123456789), 7}, {sqlv_int(INT64_MAX), 12}, {sqlv_real(0.1), 11},
        {sqlv_real(1.5), 4}};
    for (size_t k = 0; k < sizeof sz / sizeof sz[0]; k++) {
        encode1(&sz[k].v, asc, &a, &la);
        assert_int_equal(la, sz[k].len);
        free(a);
    }
    /* non-canonical or overlong mantissas are damage, not another spelling of a value */
    const uint8_t bad1[] = {0x33, 0x40, 0x02, 0x01, 0x00}; /* a trailing zero group */
    const uint8_t bad2[] = {0x33, 0x40, 0x02, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
                            0x03, 0x03, 0x02};             /* eleven groups */
    assert_int_equal(key_decode(bad1, sizeof bad1, NULL, NULL, 1, d, NULL, &e), NQ_ECORRUPT);
    assert_int_equal(key_decode(bad2, sizeof bad2, NULL, NULL, 1, d, NULL, &e), NQ_ECORRUPT);
}

static void test_damaged(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 5);
    nq_err e;
    for (int it = 0; it < 30000; it++) {
        sqlv v[3];
        key_col cols[3];
        uint8_t *k;
        size_t len;
        for (int c = 0; c < 3; c++) {
            v[c] = gen_value(&r);
            cols[c].desc = (int)nq_rng_below(&r, 2);
            cols[c].nulls_first = (int)nq_rng_below(&r, 2);
        }
        assert_int_equal(key_encode(v, cols, 3, &k, &len, &e), 0);
        size_t cut = nq_rng_below(&r, len + 1);
        if (len && nq_rng_below(&r, 2))
            k[nq_rng_below(&r, len)] ^= (uint8_t)nq_rng_next(&r);
        if (nq_rng_below(&r, 4) == 0)
            for (size_t j = 0; j < len; j++)
                k[j] = (uint8_t)nq_rng_next(&r);
        uint8_t *t = malloc(cut ? cut : 1);
        memcpy(t, k, cut);
        sqlv d[3];
        size_t used;
        int rc = key_decode(t, cut, cols, NULL, 3, d, &used, &e);
        assert_true(rc == 0 || rc == NQ_ECORRUPT);
        if (rc == 0) {
            assert_true(used <= cut);
            for (int c = 0; c < 3; c++)
                sqlv_clear(&d[c]);
        }
        free(t);
        free(k);
        for (int c = 0; c < 3; c++)
            gen_free(&v[c]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_multi),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
