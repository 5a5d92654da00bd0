/*
 * test_slt.c — the sqllogictest runner's parts that need no engine: the script reader
 * (record kinds, skipif/onlyif for engine "nqdb", comments anywhere, trailing comments,
 * malformed records reported rather than fatal), the reference rendering of values under
 * I/R/T, the two sort modes, the MD5 result hash and the comparison of results with an
 * expected block (values, rows, or a hash).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nqdb.h"
#include "slt.h"

static const char script[] =
    "# a comment before anything\n"
    "hash-threshold 8\n"
    "\n"
    "statement ok\n"
    "CREATE TABLE t1(a INTEGER,\n"
    "# a comment inside the SQL\n"
    "  b TEXT)\n"
    "\n\n"
    "skipif nqdb\n"
    "statement error\n"
    "SELECT 1\n"
    "\n"
    "onlyif sqlite # with a trailing comment\n"
    "query I nosort label-1\n"
    "SELECT 1 IN t1\n"
    "----\n"
    "0\n"
    "\n"
    "skipif mysql\n"
    "onlyif nqdb\n"
    "query IT rowsort\n"
    "SELECT a, b\n"
    "  FROM t1   \r\n"
    "----\n"
    "1\n"
    "x\n"
    "\n"
    "query R valuesort\n"
    "SELECT 1.5\n"
    "\n"
    "query X\n"
    "SELECT 1\n"
    "\n"
    "frobnicate\n"
    "more of it\n"
    "\n"
    "halt\n";

static void test_reader(void **state)
{
    (void)state;
    slt_reader r;
    slt_record rec;
    assert_int_equal(slt_reader_mem(&r, script, sizeof script - 1), 0);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_HASH_THRESHOLD);
    assert_int_equal(rec.threshold, 8);
    assert_int_equal(rec.line, 2);
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_STATEMENT_OK);
    assert_int_equal(rec.line, 4);
    assert_string_equal(rec.sql, "CREATE TABLE t1(a INTEGER,\n  b TEXT)");
    assert_false(rec.skip);
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_STATEMENT_ERROR);
    assert_int_equal(rec.skip, SLT_SKIP_SKIPIF);
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_QUERY);
    assert_int_equal(rec.skip, SLT_SKIP_ONLYIF);
    assert_string_equal(rec.label, "label-1");
    assert_int_equal(rec.nexpected, 1);
    assert_string_equal(rec.expected[0], "0");
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_QUERY);
    assert_false(rec.skip); /* skipif another engine, onlyif nqdb */
    assert_string_equal(rec.types, "IT");
    assert_int_equal(rec.sort, SLT_ROWSORT);
    assert_null(rec.label);
    assert_string_equal(rec.sql, "SELECT a, b\n  FROM t1");
    assert_int_equal(rec.nexpected, 2);
    assert_string_equal(rec.expected[1], "x");
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_QUERY);
    assert_int_equal(rec.sort, SLT_VALUESORT);
    assert_int_equal(rec.nexpected, 0); /* no "----": an empty result */
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_BAD);
    assert_non_null(strstr(rec.error, "unknown column type"));
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_BAD);
    assert_non_null(strstr(rec.error, "frobnicate"));
    assert_int_equal(rec.line, 35);
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 1);
    assert_int_equal(rec.kind, SLT_HALT);
    slt_record_free(&rec);

    assert_int_equal(slt_next(&r, &rec), 0);
    slt_reader_close(&r);
}

static char *render(char letter, int type, const char *text, int64_t i, double d)
{
    slt_value v = {type, text, i, d};
    return slt_render(letter, &v);
}

#define CHECK_RENDER(want, ...)                                                              \
    do {                                                                                     \
        char *s_ = render(__VA_ARGS__);                                                      \
        assert_non_null(s_);                                                                 \
        assert_string_equal(s_, want);                                                       \
        free(s_);                                                                            \
    } while (0)

static void test_render(void **state)
{
    (void)state;
    CHECK_RENDER("NULL", 'I', NQ_TYPE_NULL, NULL, 0, 0);
    CHECK_RENDER("NULL", 'T', NQ_TYPE_NULL, NULL, 0, 0);
    CHECK_RENDER("NULL", 'R', NQ_TYPE_NULL, NULL, 0, 0);
    CHECK_RENDER("42", 'I', NQ_TYPE_INTEGER, "42", 42, 42.0);
    CHECK_RENDER("-9223372036854775808", 'I', NQ_TYPE_INTEGER, "x", INT64_MIN, 0);
    CHECK_RENDER("-2", 'I', NQ_TYPE_REAL, "-2.7", -2, -2.7);  /* truncated toward zero */
    CHECK_RENDER("12", 'I', NQ_TYPE_TEXT, "12abc", 0, 0);     /* sqlite3_column_int64 */
    CHECK_RENDER("0", 'I', NQ_TYPE_TEXT, "abc", 0, 0);
    CHECK_RENDER("-7", 'I', NQ_TYPE_TEXT, "  -7.9", 0, 0);
    CHECK_RENDER("1.500", 'R', NQ_TYPE_REAL, "1.5", 1, 1.5);
    CHECK_RENDER("3.000", 'R', NQ_TYPE_INTEGER, "3", 3, 3.0);
    CHECK_RENDER("-0.125", 'R', NQ_TYPE_REAL, "-0.125", 0, -0.125);
    CHECK_RENDER("2.500", 'R', NQ_TYPE_TEXT, "2.5e0x", 0, 0);
    CHECK_RENDER("0.000", 'R', NQ_TYPE_TEXT, "inf", 0, 0);
    CHECK_RENDER("100000000000000000000.000", 'R', NQ_TYPE_REAL, "1e20", 0, 1e20);
    /* SQLite's printf: 16 significant digits, then zeros (the corpus relies on it) */
    CHECK_RENDER("-9223372036854776000.000", 'R', NQ_TYPE_REAL, "x", 0, -9223372036854775808.0);
    CHECK_RENDER("-18446744073709550000.000", 'R', NQ_TYPE_REAL, "x", 0, -18446744073709551616.0);
    CHECK_RENDER("12345678901234.570", 'R', NQ_TYPE_REAL, "x", 0, 12345678901234.5678);
    CHECK_RENDER("1234567890123.457", 'R', NQ_TYPE_REAL, "x", 0, 1234567890123.4567);
    CHECK_RENDER("0.000", 'R', NQ_TYPE_REAL, "-0.0", 0, -0.0);
    CHECK_RENDER("-0.000", 'R', NQ_TYPE_REAL, "x", 0, -0.0001);
    CHECK_RENDER("-Inf", 'R', NQ_TYPE_REAL, "-Infinity", 0, -HUGE_VAL);
    CHECK_RENDER("(empty)", 'T', NQ_TYPE_TEXT, "", 0, 0);
    CHECK_RENDER("a@b@", 'T', NQ_TYPE_TEXT, "a\tb\x7f", 0, 0);
    CHECK_RENDER("caf@@", 'T', NQ_TYPE_TEXT, "caf\xc3\xa9", 0, 0);
    CHECK_RENDER("7", 'T', NQ_TYPE_INTEGER, "7", 7, 7.0);
    CHECK_RENDER("hello world", 'T', NQ_TYPE_TEXT, "hello world", 0, 0);
}

static void test_text_numbers(void **state)
{
    (void)state;
    assert_int_equal(slt_text_int("9223372036854775807"), INT64_MAX);
    assert_int_equal(slt_text_int("99999999999999999999"), INT64_MAX);
    assert_int_equal(slt_text_int("-99999999999999999999"), INT64_MIN);
    assert_int_equal(slt_text_int("+5"), 5);
    assert_int_equal(slt_text_int(""), 0);
    assert_true(slt_text_real(".5") == 0.5);
    assert_true(slt_text_real("-1e3") == -1000.0);
    assert_true(slt_text_real("0x10") == 0.0);
    assert_true(slt_text_real("nan") == 0.0);
}

static void test_sort_and_hash(void **state)
{
    (void)state;
    char *v[] = {"9", "b", "10", "a", "9", "a"};
    slt_sort_values(v, 3, 2, SLT_ROWSORT); /* strcmp: "10" < "9" */
    const char *rows[] = {"10", "a", "9", "a", "9", "b"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(v[i], rows[i]);
    slt_sort_values(v, 3, 2, SLT_VALUESORT);
    const char *vals[] = {"10", "9", "9", "a", "a", "b"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(v[i], vals[i]);
    char *unsorted[] = {"b", "a"};
    slt_sort_values(unsorted, 2, 1, SLT_NOSORT);
    assert_string_equal(unsorted[0], "b");

    char h[96];
    char *one[] = {"1"};
    assert_int_equal(slt_hash(one, 1, h, sizeof h), 0); /* `echo 1 | md5sum` */
    assert_string_equal(h, "1 values hashing to b026324c6904b2a9cb4b88d6d61c81d1");
    assert_int_equal(slt_hash(NULL, 0, h, sizeof h), 0);
    assert_string_equal(h, "0 values hashing to d41d8cd98f00b204e9800998ecf8427e");
}

static void test_match(void **state)
{
    (void)state;
    slt_record rec;
    memset(&rec, 0, sizeof rec);
    char *exp_values[] = {"1", "x y", "2", "z"};
    char *got[] = {"1", "x y", "2", "z"};
    rec.expected = exp_values;
    rec.nexpected = 4;
    assert_true(slt_match(&rec, got, 2, 2));
    char *wrong[] = {"1", "x y", "2", "w"};
    assert_false(slt_match(&rec, wrong, 2, 2));
    assert_false(slt_match(&rec, got, 1, 2)); /* fewer values */

    char *exp_rows[] = {"1 x y", "2 z"}; /* one row per line */
    rec.expected = exp_rows;
    rec.nexpected = 2;
    assert_true(slt_match(&rec, got, 2, 2));
    assert_false(slt_match(&rec, wrong, 2, 2));

    char h[96];
    assert_int_equal(slt_hash(got, 4, h, sizeof h), 0);
    char *exp_hash[] = {h};
    rec.expected = exp_hash;
    rec.nexpected = 1;
    assert_true(slt_match(&rec, got, 2, 2));
    assert_false(slt_match(&rec, wrong, 2, 2));
    char h2[96];
    assert_int_equal(slt_expected_hash(&rec, h2, sizeof h2), 0);
    assert_string_equal(h, h2);
    rec.expected = exp_values;
    rec.nexpected = 4;
    assert_int_equal(slt_expected_hash(&rec, h2, sizeof h2), 0);
    assert_string_equal(h, h2); /* the values' hash equals the hash line */

    rec.expected = NULL;
    rec.nexpected = 0;
    assert_true(slt_match(&rec, NULL, 0, 3)); /* empty result */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader),        cmocka_unit_test(test_render),
        cmocka_unit_test(test_text_numbers),  cmocka_unit_test(test_sort_and_hash),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
