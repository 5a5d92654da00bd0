/*
 * test_value.c — SQL values: three-valued and total comparison (exact INTEGER/REAL),
 * arithmetic overflow and division by zero, casts with their error messages, text output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "sql/value.h"
#include "sqlv_gen.h"

static void test_compare(void **state)
{
    (void)state;
    sqlv n = sqlv_null(), one = sqlv_int(1), onef = sqlv_real(1.0), half = sqlv_real(1.5);
    assert_int_equal(sqlv_compare(&n, &one), SQLV_UNKNOWN);
    assert_int_equal(sqlv_compare(&n, &n), SQLV_UNKNOWN);
    assert_int_equal(sqlv_order(&n, &one), -1);
    assert_int_equal(sqlv_compare(&one, &onef), 0);
    assert_int_equal(sqlv_compare(&one, &half), -1);
    assert_int_equal(sqlv_compare(&half, &one), 1);
    /* beyond 2^53 the int64 must not be rounded to double */
    sqlv big = sqlv_int((1LL << 53) + 1), bigf = sqlv_real(9007199254740992.0);
    assert_int_equal(sqlv_compare(&big, &bigf), 1);
    sqlv mx = sqlv_int(INT64_MAX), two63 = sqlv_real(9223372036854775808.0);
    assert_int_equal(sqlv_compare(&mx, &two63), -1);
    sqlv mn = sqlv_int(INT64_MIN), m63 = sqlv_real(-9223372036854775808.0);
    assert_int_equal(sqlv_compare(&mn, &m63), 0);
    sqlv nz = sqlv_real(-0.0), z = sqlv_int(0);
    assert_int_equal(sqlv_compare(&nz, &z), 0);
    sqlv a = sqlv_text("a", 1), ab = sqlv_text("ab", 2), a0 = sqlv_text("a\0", 2);
    assert_int_equal(sqlv_compare(&a, &ab), -1);
    assert_int_equal(sqlv_compare(&a, &a0), -1);
    assert_int_equal(sqlv_compare(&a0, &ab), -1);
    sqlv t = sqlv_bool(1);
    assert_int_equal(sqlv_order(&t, &one), -1); /* BOOLEAN class before numbers */
    assert_int_equal(sqlv_order(&one, &a), -1);
}

static void expect_err(int rc, nq_err *e, const char *msg)
{
    assert_true(rc < 0);
    assert_non_null(strstr(e->msg, msg));
}

static void test_arith(void **state)
{
    (void)state;
    nq_err e;
    nq_err_clear(&e);
    sqlv o, mx = sqlv_int(INT64_MAX), mn = sqlv_int(INT64_MIN), one = sqlv_int(1),
            m1 = sqlv_int(-1), zero = sqlv_int(0), n = sqlv_null();
    expect_err(sqlv_add(&mx, &one, &o, &e), &e, "integer out of range");
    expect_err(sqlv_sub(&mn, &one, &o, &e), &e, "integer out of range");
    expect_err(sqlv_mul(&mx, &mx, &o, &e), &e, "integer out of range");
    expect_err(sqlv_div(&mn, &m1, &o, &e), &e, "integer out of range");
    expect_err(sqlv_neg(&mn, &o, &e), &e, "integer out of range");
    expect_err(sqlv_div(&one, &zero, &o, &e), &e, "division by zero");
    expect_err(sqlv_mod(&one, &zero, &o, &e), &e, "division by zero");
    sqlv zf = sqlv_real(0.0), bigf = sqlv_real(1e308), s = sqlv_text("x", 1);
    expect_err(sqlv_div(&one, &zf, &o, &e), &e, "division by zero");
    expect_err(sqlv_mul(&bigf, &bigf, &o, &e), &e, "overflow");
    expect_err(sqlv_add(&s, &one, &o, &e), &e, "operator does not exist");
    assert_int_equal(sqlv_mod(&mn, &m1, &o, &e), 0);
    assert_int_equal(o.i, 0);
    sqlv a = sqlv_int(-7), b = sqlv_int(2);
    assert_int_equal(sqlv_div(&a, &b, &o, &e), 0);
    assert_int_equal(o.type, SQLV_INT);
    assert_int_equal(o.i, -3); /* truncates */
    assert_int_equal(sqlv_mod(&a, &b, &o, &e), 0);
    assert_int_equal(o.i, -1);
    sqlv h = sqlv_real(0.5);
    assert_int_equal(sqlv_add(&a, &h, &o, &e), 0);
    assert_int_equal(o.type, SQLV_REAL);
    assert_true(o.r == -6.5);
    assert_int_equal(sqlv_add(&n, &one, &o, &e), 0);
    assert_int_equal(o.type, SQLV_NULL);
}

static void check_str(sqlv v, const char *want)
{
    char *s = sqlv_to_string(&v);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void test_format(void **state)
{
    (void)state;
    check_str(sqlv_real(1.5), "1.5");
    check_str(sqlv_real(3.0), "3.0");
    check_str(sqlv_real(1e20), "1e+20");
    check_str(sqlv_real(100.0), "100.0");
    check_str(sqlv_real(0.1), "0.1");
    check_str(sqlv_real(-2.5e-7), "-2.5e-07");
    check_str(sqlv_real(1.0 / 3), "0.3333333333333333");
    check_str(sqlv_real(INFINITY), "Infinity");
    check_str(sqlv_int(INT64_MIN), "-9223372036854775808");
    check_str(sqlv_bool(1), "true");
    check_str(sqlv_temporal(SQLV_DATE, 0), "1970-01-01");
    check_str(sqlv_temporal(SQLV_DATE, -1), "1969-12-31");
    check_str(sqlv_temporal(SQLV_TIMESTAMP, 951782400LL * 1000000 + 1), "2000-02-29 00:00:00.000001");
    check_str(sqlv_bytes(SQLV_BLOB, "\x01\xff", 2), "\\x01ff");
    float f[2] = {1.0f, 2.5f};
    uint8_t b[8];
    sqlv_vector_put(b, f, 2);
    check_str(sqlv_bytes(SQLV_VECTOR, b, 8), "[1.0,2.5]");
    /* shortest round trip for random doubles */
    srand(7);
    for (int k = 0; k < 2000; k++) {
        uint64_t u = ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 20) ^ (uint64_t)rand();
        double d;
        memcpy(&d, &u, 8);
        if (!isfinite(d))
            continue;
        char buf[64];
        sqlv_format_real(d, buf, sizeof buf);
        assert_true(strtod(buf, NULL) == d);
    }
}

static void test_cast(void **state)
{
    (void)state;
    nq_err e;
    nq_err_clear(&e);
    sqlv o;
    sqlv abc = sqlv_text("abc", 3);
    expect_err(sqlv_cast(&abc, SQLV_INT, &o, &e), &e, "cannot cast 'abc' to INTEGER");
    expect_err(sqlv_cast(&abc, SQLV_REAL, &o, &e), &e, "cannot cast 'abc' to REAL");
    sqlv nan = sqlv_text("NaN", 3);
    expect_err(sqlv_cast(&nan, SQLV_REAL, &o, &e), &e, "cannot cast");
    sqlv t42 = sqlv_text(" 42 ", 4);
    assert_int_equal(sqlv_cast(&t42, SQLV_INT, &o, &e), 0);
    assert_int_equal(o.i, 42);
    sqlv huge = sqlv_text("99999999999999999999", 20);
    expect_err(sqlv_cast(&huge, SQLV_INT, &o, &e), &e, "out of range");
    sqlv r = sqlv_real(2.5);
    assert_int_equal(sqlv_cast(&r, SQLV_INT, &o, &e), 0);
    assert_int_equal(o.i, 2);
    sqlv r2 = sqlv_real(1e19);
    expect_err(sqlv_cast(&r2, SQLV_INT, &o, &e), &e, "integer out of range");
    sqlv i = sqlv_int(7);
    assert_int_equal(sqlv_cast(&i, SQLV_TEXT, &o, &e), 0);
    assert_int_equal(o.n, 1);
    assert_memory_equal(o.p, "7", 1);
    sqlv_clear(&o);
    sqlv d = sqlv_text("2024-02-29", 10);
    assert_int_equal(sqlv_cast(&d, SQLV_DATE, &o, &e), 0);
    check_str(o, "2024-02-29");
    sqlv bad = sqlv_text("2023-02-29", 10);
    expect_err(sqlv_cast(&bad, SQLV_DATE, &o, &e), &e, "cannot cast '2023-02-29' to DATE");
    sqlv ts = sqlv_text("2024-01-02 03:04:05.5", 21);
    assert_int_equal(sqlv_cast(&ts, SQLV_TIMESTAMP, &o, &e), 0);
    check_str(o, "2024-01-02 03:04:05.500000");
    sqlv yes = sqlv_text("Yes", 3);
    assert_int_equal(sqlv_cast(&yes, SQLV_BOOL, &o, &e), 0);
    assert_int_equal(o.i, 1);
    sqlv vt = sqlv_text("[1, -2.5,3]", 11);
    assert_int_equal(sqlv_cast(&vt, SQLV_VECTOR, &o, &e), 0);
    assert_int_equal(sqlv_vector_dim(&o), 3);
    assert_true(sqlv_vector_get(&o, 1) == -2.5f);
    sqlv_clear(&o);
    sqlv vb = sqlv_text("[1,", 3);
    expect_err(sqlv_cast(&vb, SQLV_VECTOR, &o, &e), &e, "cannot cast");
    sqlv bo = sqlv_bool(1);
    expect_err(sqlv_cast(&bo, SQLV_DATE, &o, &e), &e, "cannot cast type BOOLEAN to DATE");
}

/* every generated value prints (no overflow at the extremes, checked under UBSan), and the
 * printed form of numbers, booleans and in-range dates casts back to the same value */
static void test_print_roundtrip(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 3);
    nq_err e;
    for (int it = 0; it < 20000; it++) {
        sqlv v = gen_value(&r);
        char *s = sqlv_to_string(&v);
        assert_non_null(s);
        int back = v.type == SQLV_INT || v.type == SQLV_REAL || v.type == SQLV_BOOL ||
                   ((v.type == SQLV_DATE) && v.i > -700000 && v.i < 2900000);
        if (back) {
            sqlv t = sqlv_text(s, strlen(s)), o;
            if (sqlv_cast(&t, v.type, &o, &e))
                fail_msg("%s '%s': %s", sqlv_type_name(v.type), s, e.msg);
            assert_int_equal(sqlv_order(&o, &v), 0);
        }
        for (int k = SQLV_NULL; k < SQLV_NTYPES; k++) { /* casts never crash */
            sqlv o;
            if (sqlv_cast(&v, (sqlv_type)k, &o, &e) == 0)
                sqlv_clear(&o);
        }
        free(s);
        gen_free(&v);
    }
    check_str(sqlv_temporal(SQLV_TIMESTAMP, INT64_MIN), "-290308-12-21 19:59:05.224192");
    check_str(sqlv_temporal(SQLV_DATE, INT64_MAX), "day 9223372036854775807");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_arith),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_cast),
        cmocka_unit_test(test_print_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
