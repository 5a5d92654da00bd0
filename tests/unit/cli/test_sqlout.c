/*
 * test_sqlout.c — the pieces of the result formats that need no engine (quoting in CSV,
 * escaping in JSON with invalid UTF-8 replaced, the JSON number check, display widths) and
 * the shell's test for a complete statement (quotes, doubled quotes, comments).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlout.h"
#include "sqlrun.h"

typedef void (*writer)(FILE *, const char *);

static void check_out(writer w, const char *in, const char *want)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    w(f, in);
    fclose(f);
    assert_string_equal(buf, want);
    free(buf);
}

static void test_csv(void **state)
{
    (void)state;
    check_out(sqlout_csv_field, "plain", "plain");
    check_out(sqlout_csv_field, "", "\"\"");
    check_out(sqlout_csv_field, "a,b", "\"a,b\"");
    check_out(sqlout_csv_field, "say \"hi\"", "\"say \"\"hi\"\"\"");
    check_out(sqlout_csv_field, "two\nlines", "\"two\nlines\"");
    check_out(sqlout_csv_field, " padded", "\" padded\"");
}

static void test_json(void **state)
{
    (void)state;
    check_out(sqlout_json_string, "a\"b\\c", "\"a\\\"b\\\\c\"");
    check_out(sqlout_json_string, "tab\there\n", "\"tab\\there\\n\"");
    check_out(sqlout_json_string, "\x01", "\"\\u0001\"");
    check_out(sqlout_json_string, "caf\xc3\xa9", "\"caf\xc3\xa9\"");
    check_out(sqlout_json_string, "bad\xff!", "\"bad\\ufffd!\"");
    check_out(sqlout_json_string, "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    assert_true(sqlout_json_number_ok("0"));
    assert_true(sqlout_json_number_ok("-12.5e+3"));
    assert_true(sqlout_json_number_ok("1E5"));
    assert_false(sqlout_json_number_ok("01"));
    assert_false(sqlout_json_number_ok(".5"));
    assert_false(sqlout_json_number_ok("1."));
    assert_false(sqlout_json_number_ok("inf"));
    assert_false(sqlout_json_number_ok("NaN"));
    assert_false(sqlout_json_number_ok("+1"));
    assert_false(sqlout_json_number_ok(""));
}

static void test_modes_and_width(void **state)
{
    (void)state;
    sqlout_mode m;
    assert_int_equal(sqlout_mode_parse("json", &m), 0);
    assert_int_equal(m, SQLOUT_JSON);
    assert_string_equal(sqlout_mode_name(m), "json");
    assert_int_equal(sqlout_mode_parse("xml", &m), -1);
    assert_int_equal(sqlout_width("abc"), 3);
    assert_int_equal(sqlout_width("caf\xc3\xa9"), 4);
}

static int complete(const char *s) { return sqlrun_complete(s, strlen(s)); }

static void test_complete(void **state)
{
    (void)state;
    assert_true(complete("SELECT 1;"));
    assert_true(complete("SELECT 1;\n"));
    assert_true(complete("SELECT 1; -- done\n"));
    assert_true(complete("SELECT 1; /* done */"));
    assert_true(complete(";"));
    assert_false(complete(""));
    assert_false(complete("SELECT 1"));
    assert_false(complete("SELECT 1; SELECT 2"));
    assert_false(complete("SELECT ';"));
    assert_true(complete("SELECT 'it''s;';"));
    assert_false(complete("SELECT 'it''s;"));
    assert_false(complete("SELECT \"a;"));
    assert_true(complete("SELECT \"a\"\"b\";"));
    assert_false(complete("SELECT 1 -- ;"));
    assert_true(complete("SELECT 1 -- ;\n;"));
    assert_false(complete("SELECT /* ; */ 1"));
    assert_false(complete("SELECT /* ;"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_modes_and_width),
        cmocka_unit_test(test_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
