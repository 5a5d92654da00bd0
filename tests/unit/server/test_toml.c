/*
 * test_toml.c — the TOML subset reader (src/server/toml.h).
 *
 * What is proven: every supported value form parses to the right type and value (strings with
 * every escape, literal strings, integers in every base with signs and underscores, floats,
 * booleans, nested arrays over several lines, inline tables, dotted keys, quoted keys,
 * headers); values and keys carry the right line/column; and every error path of the parser
 * reports its own message at the right line and column (the tests name both), including the
 * "not supported yet" forms, TOML's redefinition rules, the nesting limit and bytes that are
 * not UTF-8 or are control characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

static toml_value *ok(const char *text)
{
    toml_error e;
    toml_value *r = toml_parse(text, strlen(text), &e);
    if (!r)
        fail_msg("unexpected error %u:%u: %s\n--- input:\n%s", e.line, e.col, e.msg, text);
    return r;
}

/* text must fail at line:col with a message containing want. */
#define BAD(text, l, c, want) bad_at(__LINE__, (text), sizeof(text) - 1, (l), (c), (want))
static void bad_at(int tl, const char *text, size_t len, unsigned line, unsigned col, const char *want)
{
    toml_error e;
    toml_value *r = toml_parse(text, len, &e);
    if (r) {
        toml_free(r);
        fail_msg("test line %d: expected an error containing \"%s\"", tl, want);
    }
    if (e.line != line || e.col != col || !strstr(e.msg, want))
        fail_msg("test line %d: got %u:%u: %s\n   wanted %u:%u: ...%s...", tl, e.line, e.col, e.msg, line, col,
                 want);
}

static const toml_value *path(const toml_value *t, const char *a, const char *b)
{
    const toml_value *v = toml_get(t, a);
    if (v && b)
        v = toml_get(v, b);
    if (!v)
        fail_msg("no %s%s%s", a, b ? "." : "", b ? b : "");
    return v;
}

static void test_scalars(void **state)
{
    (void)state;
    toml_value *r = ok("# a comment\n"
                       "s = \"a\\tb\\n\\\"q\\\"\\\\ \\u00e9\\U0001F600\\b\\f\\r\"\n"
                       "lit = 'C:\\path\\x'   # literal: backslashes stay\n"
                       "empty = \"\"\n"
                       "i = 42\n"
                       "neg = -17\n"
                       "plus = +5\n"
                       "under = 1_000_000\n"
                       "hex = 0xDEAD_beef\n"
                       "oct = 0o755\n"
                       "bin = 0b1010\n"
                       "zero = 0\n"
                       "max = 9223372036854775807\n"
                       "min = -9223372036854775808\n"
                       "f = 3.25\n"
                       "fe = -1e3\n"
                       "fE = 6.02E+2_3\n"
                       "ff = 1_0.5e-1\n"
                       "pinf = inf\n"
                       "ninf = -inf\n"
                       "nan = nan\n"
                       "t = true\n"
                       "f2 = false\n"
                       "\"quoted key\" = 1\n"
                       "'lit key' = 2\n"
                       "bare-key_9 = 3\n");
    const toml_value *v = path(r, "s", NULL);
    assert_int_equal(v->type, TOML_STRING);
    assert_string_equal(v->u.s, "a\tb\n\"q\"\\ \xC3\xA9\xF0\x9F\x98\x80\b\f\r");
    assert_string_equal(path(r, "lit", NULL)->u.s, "C:\\path\\x");
    assert_string_equal(path(r, "empty", NULL)->u.s, "");
    assert_int_equal(path(r, "i", NULL)->u.i, 42);
    assert_int_equal(path(r, "i", NULL)->type, TOML_INTEGER);
    assert_int_equal(path(r, "neg", NULL)->u.i, -17);
    assert_int_equal(path(r, "plus", NULL)->u.i, 5);
    assert_int_equal(path(r, "under", NULL)->u.i, 1000000);
    assert_int_equal(path(r, "hex", NULL)->u.i, 0xDEADBEEF);
    assert_int_equal(path(r, "oct", NULL)->u.i, 0755);
    assert_int_equal(path(r, "bin", NULL)->u.i, 10);
    assert_int_equal(path(r, "zero", NULL)->u.i, 0);
    assert_true(path(r, "max", NULL)->u.i == INT64_MAX);
    assert_true(path(r, "min", NULL)->u.i == INT64_MIN);
    assert_int_equal(path(r, "f", NULL)->type, TOML_FLOAT);
    assert_true(path(r, "f", NULL)->u.f == 3.25);
    assert_true(path(r, "fe", NULL)->u.f == -1000.0);
    assert_true(path(r, "fE", NULL)->u.f == 6.02e23);
    assert_true(path(r, "ff", NULL)->u.f == 1.05);
    assert_true(isinf(path(r, "pinf", NULL)->u.f) && path(r, "pinf", NULL)->u.f > 0);
    assert_true(isinf(path(r, "ninf", NULL)->u.f) && path(r, "ninf", NULL)->u.f < 0);
    assert_true(isnan(path(r, "nan", NULL)->u.f));
    assert_int_equal(path(r, "t", NULL)->type, TOML_BOOL);
    assert_int_equal(path(r, "t", NULL)->u.b, 1);
    assert_int_equal(path(r, "f2", NULL)->u.b, 0);
    assert_int_equal(path(r, "quoted key", NULL)->u.i, 1);
    assert_int_equal(path(r, "lit key", NULL)->u.i, 2);
    assert_int_equal(path(r, "bare-key_9", NULL)->u.i, 3);
    /* positions: "i = 42" is line 5; the value at column 5; the key at column 1 */
    v = path(r, "i", NULL);
    assert_int_equal(v->line, 5);
    assert_int_equal(v->col, 5);
    assert_int_equal(r->entries[3].line, 5);
    assert_int_equal(r->entries[3].col, 1);
    assert_string_equal(r->entries[3].key, "i");
    assert_int_equal(v->src_len, 2);
    toml_free(r);
}

static void test_tables_and_arrays(void **state)
{
    (void)state;
    toml_value *r = ok("top = 1\r\n"
                       "[server]\r\n"
                       "port = 8080\n"
                       "tls.cert_file = \"c.pem\"  # dotted key creates server.tls\n"
                       "tls.key_file = \"k.pem\"\n"
                       "[ security . circuit_breaker ]\n"
                       "enabled = true\n"
                       "[security]  # the parent of a header may get its own header later\n"
                       "list = [\n"
                       "  \"a\",   # comment inside\n"
                       "  'b',\n"
                       "\n"
                       "  [1, 2, [3]],\n"
                       "]\n"
                       "empty = []\n"
                       "mixed = [1, 2.5, \"x\", true]\n"
                       "inl = { a = 1, b.c = \"d\", e = {} }\n"
                       "[\"quoted.table\"]\n"
                       "x = 1\n");
    assert_int_equal(path(r, "top", NULL)->u.i, 1);
    assert_int_equal(path(r, "server", "port")->u.i, 8080);
    const toml_value *tls = path(r, "server", "tls");
    assert_int_equal(tls->type, TOML_TABLE);
    assert_string_equal(toml_get(tls, "cert_file")->u.s, "c.pem");
    assert_string_equal(toml_get(tls, "key_file")->u.s, "k.pem");
    assert_int_equal(toml_get(path(r, "security", "circuit_breaker"), "enabled")->u.b, 1);
    const toml_value *l = path(r, "security", "list");
    assert_int_equal(l->type, TOML_ARRAY);
    assert_int_equal(l->n, 3);
    assert_string_equal(l->items[0]->u.s, "a");
    assert_string_equal(l->items[1]->u.s, "b");
    assert_int_equal(l->items[1]->line, 11);
    assert_int_equal(l->items[1]->col, 3);
    assert_int_equal(l->items[2]->type, TOML_ARRAY);
    assert_int_equal(l->items[2]->n, 3);
    assert_int_equal(l->items[2]->items[2]->items[0]->u.i, 3);
    assert_int_equal(path(r, "security", "empty")->n, 0);
    assert_int_equal(path(r, "security", "mixed")->n, 4);
    const toml_value *inl = path(r, "security", "inl");
    assert_int_equal(inl->type, TOML_TABLE);
    assert_int_equal(toml_get(inl, "a")->u.i, 1);
    assert_string_equal(toml_get(toml_get(inl, "b"), "c")->u.s, "d");
    assert_int_equal(toml_get(inl, "e")->n, 0);
    assert_int_equal(path(r, "quoted.table", "x")->u.i, 1);
    assert_null(toml_get(r, "nope"));
    assert_null(toml_get(path(r, "top", NULL), "x")); /* not a table */
    toml_free(r);
    /* an empty document, only comments, a BOM */
    toml_free(ok(""));
    toml_free(ok("# nothing\n\n   \t\n"));
    toml_free(ok("\xEF\xBB\xBFx = 1"));
    /* no newline at the end */
    r = ok("a = 'x'");
    assert_string_equal(path(r, "a", NULL)->u.s, "x");
    toml_free(r);
    assert_string_equal(toml_type_name(TOML_INTEGER), "integer");
    assert_string_equal(toml_type_name(TOML_TABLE), "table");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    BAD("a = 1\nb 2\n", 2, 3, "expected '=' after the key b, got '2'");
    BAD("a = \n", 1, 5, "expected a value, got end of line");
    BAD("a =", 1, 4, "expected a value, got end of file");
    BAD("= 1", 1, 1, "expected a key, got '='");
    BAD("a = 1 2", 1, 7, "expected a new line after a value, got '2'");
    BAD("[t] x", 1, 5, "expected a new line after a table header, got 'x'");
    BAD("[t", 1, 3, "expected ']' after the table name t, got end of file");
    BAD("[]", 1, 2, "expected a key, got ']'");
    BAD("a.  = 1", 1, 5, "expected a key, got '='");
    BAD("a = yes", 1, 5, "invalid value yes (strings need quotes");
    BAD("a = truex", 1, 5, "invalid value truex");
    BAD("a = @", 1, 5, "expected a value, got '@'");
    BAD("x = 1\na = \"abc", 2, 5, "unterminated string");
    BAD("a = 'abc\nb = 1", 1, 5, "unterminated string");
    BAD("a = \"\\q\"", 1, 6, "invalid escape sequence \\q");
    BAD("a = \"\\u12\"", 1, 6, "\\u needs 4 hexadecimal digits");
    BAD("a = \"\\U0011FFFF\"", 1, 6, "not a Unicode scalar value");
    BAD("a = \"\\uD800\"", 1, 6, "not a Unicode scalar value");
    BAD("a = \"\\u0000\"", 1, 6, "NUL");
    BAD("a = \"x\\\n\"", 1, 7, "line-ending backslash");
    BAD("a = \"\"\"x\"\"\"", 1, 5, "not supported yet: multi-line strings");
    BAD("a = '''x'''", 1, 5, "not supported yet: multi-line strings");
    BAD("[[t]]", 1, 1, "not supported yet: arrays of tables");
    BAD("d = 1979-05-27", 1, 5, "not supported yet: dates and times");
    BAD("d = 07:32:00", 1, 5, "not supported yet: dates and times");
    BAD("a = [1, 2", 1, 5, "unterminated array");
    BAD("a = [1 2]", 1, 8, "expected ',' or ']' in an array, got '2'");
    BAD("a = [1,\n", 1, 5, "unterminated array");
    BAD("a = {x = 1", 1, 11, "unterminated inline table");
    BAD("a = {x = 1,}", 1, 12, "trailing comma is not allowed");
    BAD("a = {x = 1\n}", 1, 11, "unterminated inline table");
    BAD("a = {x = 1 y = 2}", 1, 12, "expected ',' or '}' in an inline table, got 'y'");
}

static void test_number_errors(void **state)
{
    (void)state;
    BAD("a = 012", 1, 5, "leading zeros are not allowed");
    BAD("a = 1__0", 1, 5, "invalid value 1__0");
    BAD("a = _1", 1, 5, "invalid value _1");
    BAD("a = 1_", 1, 5, "invalid value 1_");
    BAD("a = 0x", 1, 5, "invalid number 0x");
    BAD("a = 0xG1", 1, 5, "invalid number 0xG1");
    BAD("a = -0x10", 1, 5, "a sign is not allowed with 0x");
    BAD("a = 0b102", 1, 5, "invalid number 0b102");
    BAD("a = 9223372036854775808", 1, 5, "out of range");
    BAD("a = -9223372036854775809", 1, 5, "out of range");
    BAD("a = 0x8000000000000000", 1, 5, "out of range");
    BAD("a = 1.", 1, 5, "digits must follow the '.'");
    BAD("a = 1.e5", 1, 5, "digits must follow the '.'");
    BAD("a = 1e", 1, 5, "bad exponent");
    BAD("a = 1e+", 1, 5, "bad exponent");
    BAD("a = 1.5.2", 1, 5, "invalid number 1.5.2");
    BAD("a = 1e400", 1, 5, "out of range");
    BAD("a = +", 1, 5, "invalid value +");
    BAD("a = infinity", 1, 5, "invalid value infinity");
}

static void test_redefinition(void **state)
{
    (void)state;
    BAD("a = 1\na = 2", 2, 1, "duplicate key a (first defined at line 1)");
    BAD("[s]\nport = 1\n\nport = 2", 4, 1, "duplicate key s.port (first defined at line 2)");
    BAD("[s]\n[s]", 2, 1, "duplicate table [s] (first defined at line 1)");
    BAD("a.b = 1\n[a]", 2, 1, "duplicate table [a]: already defined by dotted keys at line 1");
    BAD("a = 1\n[a]", 2, 2, "a is already a integer (line 1), not a table");
    BAD("a = 1\n[a.b]", 2, 2, "a is already a integer (line 1), not a table");
    BAD("a = 1\na.b = 2", 2, 1, "a is already a integer (line 1), not a table");
    BAD("a = {x = 1}\na.y = 2", 2, 1, "cannot add to the inline table a");
    BAD("a = {x = 1}\n[a.b]", 2, 2, "cannot add to the inline table a");
    BAD("a = {x = 1}\n[a]", 2, 2, "cannot add to the inline table a");
    BAD("[a.b]\n[a]\nb.c = 1", 3, 1, "cannot add to the table a.b with a dotted key");
    BAD("a = {x = 1, x = 2}", 1, 13, "duplicate key x");
    BAD("[t]\n\"k\" = 1\nk = 2", 3, 1, "duplicate key t.k");
    /* allowed: the parent of a header defined later; sub-tables of a dotted-key table */
    toml_free(ok("[a.b]\nx = 1\n[a]\ny = 2"));
    toml_free(ok("[f]\napple.color = 'red'\n[f.apple.texture]\nsmooth = true"));
    toml_free(ok("a.b = 1\na.c = 2"));
}

static void test_bytes(void **state)
{
    (void)state;
    toml_value *r;
    BAD("a = \"\x01\"", 1, 6, "control character U+0001");
    BAD("a = 1\rb = 2", 1, 6, "U+000D is not allowed (a CR must be followed by LF)");
    BAD("x = 1\n# \x7f\n", 2, 3, "control character U+007F");
    BAD("a = \"\xC3\x28\"", 1, 6, "invalid UTF-8");
    BAD("a = \"\xED\xA0\x80\"", 1, 6, "invalid UTF-8");  /* a surrogate */
    BAD("a = \"\xF4\x90\x80\x80\"", 1, 6, "invalid UTF-8"); /* > U+10FFFF */
    BAD("a = \"\xC0\xAF\"", 1, 6, "invalid UTF-8");      /* overlong */
    BAD("\xE2\x82", 1, 1, "invalid UTF-8");              /* truncated at the end */
    BAD("a = 1\0", 1, 6, "control character U+0000");
    /* columns count characters: é is one */
    BAD("\"\xC3\xA9\" = @", 1, 7, "expected a value, got '@'");
    BAD("a = \"\xC3\xA9\" x", 1, 9, "got 'x'");
    BAD("a = \"\xE0\x80\x80\"", 1, 6, "invalid UTF-8");  /* overlong 3-byte */
    BAD("a = \"\xF0\x80\x80\x80\"", 1, 6, "invalid UTF-8"); /* overlong 4-byte */
    BAD("a = \"\\\xC3\xA9\"", 1, 6, "invalid escape sequence (backslash before a non-escape character)");
    BAD("a = [1 \xC3\xA9]", 1, 8, "expected ',' or ']' in an array, got a non-ASCII character");
    BAD("a = {x = 1,\n", 1, 12, "unterminated inline table");
    BAD("a = 1.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000001", 1, 5, "is too long");
    /* the shortest and longest valid sequences of each length, escapes of each length */
    r = ok("a = \"\xE0\xA0\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\xED\x9F\xBF\"\n"
           "b = \"\\u0041\\u00e9\\u20AC\\U0010FFFF\"");
    assert_string_equal(path(r, "a", NULL)->u.s, "\xE0\xA0\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\xED\x9F\xBF");
    assert_string_equal(path(r, "b", NULL)->u.s, "A\xC3\xA9\xE2\x82\xAC\xF4\x8F\xBF\xBF");
    toml_free(r);
    /* tabs in strings and comments are fine */
    r = ok("a = \"x\ty\"\t# c\tc");
    assert_string_equal(path(r, "a", NULL)->u.s, "x\ty");
    toml_free(r);
    /* a NULL text is the empty document */
    toml_error e;
    r = toml_parse(NULL, 5, &e);
    assert_non_null(r);
    assert_int_equal(r->n, 0);
    toml_free(r);
    /* err may be NULL */
    assert_null(toml_parse("a =", 3, NULL));
    toml_free(NULL);
}

static void test_limits(void **state)
{
    (void)state;
    char buf[4096];
    /* arrays nested TOML_MAX_DEPTH deep are fine, one more is not */
    size_t o = 0;
    o += (size_t)snprintf(buf, sizeof buf, "a = ");
    for (int k = 0; k < TOML_MAX_DEPTH - 1; k++)
        buf[o++] = '[';
    for (int k = 0; k < TOML_MAX_DEPTH - 1; k++)
        buf[o++] = ']';
    buf[o] = '\0';
    toml_free(ok(buf));
    o = (size_t)snprintf(buf, sizeof buf, "a = ");
    for (int k = 0; k < 200; k++)
        buf[o++] = '[';
    buf[o] = '\0';
    toml_error e;
    assert_null(toml_parse(buf, o, &e));
    assert_non_null(strstr(e.msg, "nesting too deep"));
    assert_int_equal(e.line, 1);
    assert_int_equal(e.col, 5 + TOML_MAX_DEPTH);
    /* inline tables nest the same way */
    o = (size_t)snprintf(buf, sizeof buf, "a = ");
    for (int k = 0; k < 100; k++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "{b = ");
    assert_null(toml_parse(buf, o, &e));
    assert_non_null(strstr(e.msg, "nesting too deep"));
    /* dotted keys and headers */
    o = 0;
    for (int k = 0; k < TOML_MAX_DEPTH + 1; k++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%sk", k ? "." : "");
    o += (size_t)snprintf(buf + o, sizeof buf - o, " = 1");
    assert_null(toml_parse(buf, o, &e));
    assert_non_null(strstr(e.msg, "too many dotted parts"));
    o = (size_t)snprintf(buf, sizeof buf, "[");
    for (int k = 0; k < TOML_MAX_DEPTH - 1; k++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%sk", k ? "." : "");
    o += (size_t)snprintf(buf + o, sizeof buf - o, "]\n");
    for (int k = 0; k < 5; k++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%sk", k ? "." : "");
    o += (size_t)snprintf(buf + o, sizeof buf - o, " = 1");
    assert_null(toml_parse(buf, o, &e));
    assert_non_null(strstr(e.msg, "nesting too deep"));
    assert_int_equal(e.line, 2);
    /* too many keys in one table */
    size_t cap = (size_t)TOML_MAX_KEYS * 16 + 64;
    char *big = malloc(cap);
    assert_non_null(big);
    o = 0;
    for (int k = 0; k <= TOML_MAX_KEYS; k++)
        o += (size_t)snprintf(big + o, cap - o, "k%d = 1\n", k);
    assert_null(toml_parse(big, o, &e));
    assert_non_null(strstr(e.msg, "too many keys"));
    assert_int_equal(e.line, TOML_MAX_KEYS + 1);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_tables_and_arrays),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_redefinition),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
