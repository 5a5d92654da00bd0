/*
 * test_func_string.c — the text functions: results, UTF-8 character counting, PostgreSQL's
 * rules at the edges (substr with start <= 0, negative left/right, split_part from the end),
 * NULL handling, type errors and size limits; printf conversions and its errors.
 */
#include "func_test.h"

static const sqlv blob_ab = {SQLV_BLOB, 0, 0, 0, (const uint8_t *)"\x01\xab", 2};

static void test_case(void **state)
{
    (void)state;
    chk("upper", SQLV_TEXT, "HELLO, WORLD 1", ARGS(T("Hello, World 1")));
    chk("lower", SQLV_TEXT, "hello, world 1", ARGS(T("Hello, World 1")));
    chk("ucase", SQLV_TEXT, "ABC", ARGS(T("abc")));
    chk("lcase", SQLV_TEXT, "abc", ARGS(T("ABC")));
    chk("upper", SQLV_TEXT, "ÉCOLE ÜBER ÇA ŸŁ", ARGS(T("école über ça ÿł")));
    chk("lower", SQLV_TEXT, "école über ça ÿł", ARGS(T("ÉCOLE ÜBER ÇA ŸŁ")));
    chk("upper", SQLV_TEXT, "ΑΒΓ ПРИВЕТ Ё", ARGS(T("αβγ привет ё")));
    chk("lower", SQLV_TEXT, "αβγ привет ё", ARGS(T("ΑΒΓ ПРИВЕТ Ё")));
    chk("upper", SQLV_TEXT, "ß日本", ARGS(T("ß日本"))); /* no single-character upper case */
    chk("upper", SQLV_TEXT, "A\xff" "B", ARGS(T("a\xff" "b"))); /* invalid byte kept */
    chk("upper", SQLV_TEXT, "", ARGS(T("")));
    chk("upper", SQLV_TEXT, "12", ARGS(I(12)));
    chk("upper", SQLV_TEXT, "TRUE", ARGS(B(1)));
    chk("upper", SQLV_NULL, "NULL", ARGS(NUL));
    chk_err("upper", NQ_ETYPE, "upper: argument 1 must be text, not BLOB", ARGS(blob_ab));
    chk("initcap", SQLV_TEXT, "Hello World-Foo Bar2x", ARGS(T("hELLO wORLD-foo bar2X")));
    chk("initcap", SQLV_TEXT, "Élan Über", ARGS(T("éLAN üBER")));
}

static void test_length(void **state)
{
    (void)state;
    chk("length", SQLV_INT, "5", ARGS(T("héllo")));
    chk("octet_length", SQLV_INT, "6", ARGS(T("héllo")));
    chk("char_length", SQLV_INT, "3", ARGS(T("日本語")));
    chk("character_length", SQLV_INT, "1", ARGS(T("😀")));
    chk("len", SQLV_INT, "0", ARGS(T("")));
    chk("length", SQLV_INT, "2", ARGS(T("\xff\xfe")));  /* invalid bytes: one each */
    chk("length", SQLV_INT, "2", ARGS(T("\xe6\x97"))); /* truncated sequence: two */
    chk("length", SQLV_INT, "5", ARGS(I(12345)));
    chk("length", SQLV_INT, "3", ARGS(R(1.5)));
    chk("length", SQLV_INT, "10", ARGS(DT(19782)));
    chk("length", SQLV_INT, "2", ARGS(blob_ab));
    chk("octet_length", SQLV_INT, "2", ARGS(blob_ab));
    chk("length", SQLV_NULL, "NULL", ARGS(NUL));
    sqlv nul = sqlv_text("a\0b", 3);
    chk("length", SQLV_INT, "3", ARGS(nul));
}

static void test_trim(void **state)
{
    (void)state;
    chk("trim", SQLV_TEXT, "a b", ARGS(T("  a b  ")));
    chk("ltrim", SQLV_TEXT, "a b  ", ARGS(T("  a b  ")));
    chk("rtrim", SQLV_TEXT, "  a b", ARGS(T("  a b  ")));
    chk("trim", SQLV_TEXT, "\ta\n", ARGS(T("\ta\n"))); /* only spaces by default */
    chk("trim", SQLV_TEXT, "", ARGS(T("   ")));
    chk("btrim", SQLV_TEXT, "abc", ARGS(T("xyxabcyx"), T("xy")));
    chk("ltrim", SQLV_TEXT, "abcyx", ARGS(T("xyxabcyx"), T("xy")));
    chk("rtrim", SQLV_TEXT, "xyxabc", ARGS(T("xyxabcyx"), T("xy")));
    chk("trim", SQLV_TEXT, "b", ARGS(T("ééběé"), T("éě")));
    chk("trim", SQLV_TEXT, "abc", ARGS(T("abc"), T("")));
    chk("trim", SQLV_TEXT, "2", ARGS(I(121), I(1)));
    chk("rtrim", SQLV_TEXT, "a", ARGS(T("a\xff\xff"), T("\xff")));
    chk("trim", SQLV_NULL, "NULL", ARGS(T("x"), NUL));
}

static void test_reverse_ascii_chr(void **state)
{
    (void)state;
    chk("reverse", SQLV_TEXT, "cba", ARGS(T("abc")));
    chk("reverse", SQLV_TEXT, "語本日x", ARGS(T("x日本語")));
    chk("reverse", SQLV_TEXT, "", ARGS(T("")));
    chk("reverse", SQLV_TEXT, "\xff" "a", ARGS(T("a\xff")));
    chk("ascii", SQLV_INT, "65", ARGS(T("ABC")));
    chk("ascii", SQLV_INT, "233", ARGS(T("é")));
    chk("ascii", SQLV_INT, "128512", ARGS(T("😀")));
    chk("ascii", SQLV_INT, "0", ARGS(T("")));
    chk("chr", SQLV_TEXT, "A", ARGS(I(65)));
    chk("chr", SQLV_TEXT, "é", ARGS(I(233)));
    chk("chr", SQLV_TEXT, "€", ARGS(I(0x20AC)));
    chk("chr", SQLV_TEXT, "😀", ARGS(I(128512)));
    chk_err("chr", NQ_ERROR, "null character not permitted", ARGS(I(0)));
    chk_err("chr", NQ_ERROR, "too large", ARGS(I(0x110000)));
    chk_err("chr", NQ_ERROR, "too large", ARGS(I(-1)));
    chk_err("chr", NQ_ERROR, "not valid", ARGS(I(0xD800)));
    chk_err("chr", NQ_ETYPE, "chr: argument 1 must be an integer, not TEXT", ARGS(T("65")));
}

static void test_concat(void **state)
{
    (void)state;
    chk("concat", SQLV_TEXT, "ab1", ARGS(T("a"), T("b"), I(1)));
    chk("concat", SQLV_TEXT, "ac", ARGS(T("a"), NUL, T("c"))); /* NULLs skipped */
    chk("concat", SQLV_TEXT, "", ARGS(NUL, NUL));
    chk("concat", SQLV_TEXT, "1.5true2024-02-29", ARGS(R(1.5), B(1), DT(19782)));
    chk("concat_ws", SQLV_TEXT, "a, b, c", ARGS(T(", "), T("a"), T("b"), NUL, T("c")));
    chk("concat_ws", SQLV_TEXT, "", ARGS(T(",")));
    chk("concat_ws", SQLV_NULL, "NULL", ARGS(NUL, T("a"), T("b")));
    chk_err("concat", NQ_ETYPE, "concat: argument 2 must be text, not BLOB", ARGS(T("a"), blob_ab));
}

static void test_substr(void **state)
{
    (void)state;
    chk("substr", SQLV_TEXT, "bcd", ARGS(T("abcdef"), I(2), I(3)));
    chk("substring", SQLV_TEXT, "bcdef", ARGS(T("abcdef"), I(2)));
    chk("substr", SQLV_TEXT, "abcdef", ARGS(T("abcdef"), I(1)));
    chk("substr", SQLV_TEXT, "a", ARGS(T("abcdef"), I(0), I(2)));    /* PG and SQLite */
    chk("substr", SQLV_TEXT, "", ARGS(T("abcdef"), I(-1), I(2)));    /* PG: [-1, 1) */
    chk("substr", SQLV_TEXT, "ab", ARGS(T("abcdef"), I(-1), I(4)));
    chk("substr", SQLV_TEXT, "abcdef", ARGS(T("abcdef"), I(-5)));
    chk("substr", SQLV_TEXT, "", ARGS(T("abcdef"), I(7)));
    chk("substr", SQLV_TEXT, "", ARGS(T("abcdef"), I(2), I(0)));
    chk("substr", SQLV_TEXT, "f", ARGS(T("abcdef"), I(6), I(INT64_MAX)));
    chk("substr", SQLV_TEXT, "", ARGS(T("abcdef"), I(INT64_MIN), I(INT64_MAX))); /* ends at -1 */
    chk("substr", SQLV_TEXT, "本語", ARGS(T("日本語x"), I(2), I(2)));
    chk("substr", SQLV_BLOB, "\\xab", ARGS(blob_ab, I(2)));
    chk("substr", SQLV_BLOB, "\\x", ARGS(blob_ab, I(5)));
    chk("substr", SQLV_TEXT, "23", ARGS(I(12345), I(2), I(2)));
    chk("substr", SQLV_TEXT, "bc", ARGS(T("abcdef"), R(2.0), R(2.4)));
    chk_err("substr", NQ_ERROR, "negative substring length", ARGS(T("abc"), I(1), I(-1)));
    chk_err("substr", NQ_ETYPE, "substr: argument 2 must be an integer, not TEXT", ARGS(T("abc"), T("1")));
    chk("substr", SQLV_NULL, "NULL", ARGS(T("abc"), NUL));
    chk("left", SQLV_TEXT, "ab", ARGS(T("abcde"), I(2)));
    chk("left", SQLV_TEXT, "abc", ARGS(T("abcde"), I(-2)));
    chk("left", SQLV_TEXT, "", ARGS(T("abcde"), I(-9)));
    chk("left", SQLV_TEXT, "abcde", ARGS(T("abcde"), I(9)));
    chk("left", SQLV_TEXT, "", ARGS(T("abcde"), I(INT64_MIN)));
    chk("right", SQLV_TEXT, "de", ARGS(T("abcde"), I(2)));
    chk("right", SQLV_TEXT, "cde", ARGS(T("abcde"), I(-2)));
    chk("right", SQLV_TEXT, "", ARGS(T("abcde"), I(-5)));
    chk("right", SQLV_TEXT, "abcde", ARGS(T("abcde"), I(INT64_MAX)));
    chk("right", SQLV_TEXT, "本語", ARGS(T("日本語"), I(2)));
    chk("left", SQLV_TEXT, "日", ARGS(T("日本語"), I(1)));
}

static void test_search_replace(void **state)
{
    (void)state;
    chk("position", SQLV_INT, "3", ARGS(T("abcabc"), T("ca")));
    chk("instr", SQLV_INT, "0", ARGS(T("abc"), T("x")));
    chk("strpos", SQLV_INT, "1", ARGS(T("abc"), T("")));
    chk("position", SQLV_INT, "3", ARGS(T("日本語"), T("語"))); /* characters */
    chk("position", SQLV_INT, "0", ARGS(T("é"), T("\xa9"))); /* no match inside a character */
    chk("position", SQLV_INT, "2", ARGS(I(123), I(23)));
    chk("starts_with", SQLV_BOOL, "true", ARGS(T("abc"), T("ab")));
    chk("starts_with", SQLV_BOOL, "false", ARGS(T("abc"), T("abcd")));
    chk("replace", SQLV_TEXT, "xbcxbc", ARGS(T("abcabc"), T("a"), T("x")));
    chk("replace", SQLV_TEXT, "abcabc", ARGS(T("abcabc"), T(""), T("x")));
    chk("replace", SQLV_TEXT, "c", ARGS(T("abababc"), T("ab"), T("")));
    chk("replace", SQLV_TEXT, "aaaa", ARGS(T("aa"), T("a"), T("aa")));
    chk("replace", SQLV_TEXT, "日本-語", ARGS(T("日本語"), T("本"), T("本-")));
    chk("split_part", SQLV_TEXT, "b", ARGS(T("a,b,c"), T(","), I(2)));
    chk("split_part", SQLV_TEXT, "", ARGS(T("a,b,c"), T(","), I(4)));
    chk("split_part", SQLV_TEXT, "c", ARGS(T("a,b,c"), T(","), I(-1)));
    chk("split_part", SQLV_TEXT, "a", ARGS(T("a,b,c"), T(","), I(-3)));
    chk("split_part", SQLV_TEXT, "", ARGS(T("a,b,c"), T(","), I(-4)));
    chk("split_part", SQLV_TEXT, "", ARGS(T("a,,c"), T(","), I(2)));
    chk("split_part", SQLV_TEXT, "c", ARGS(T("a::b::c"), T("::"), I(3)));
    chk("split_part", SQLV_TEXT, "abc", ARGS(T("abc"), T(""), I(1)));
    chk("split_part", SQLV_TEXT, "", ARGS(T("abc"), T(""), I(2)));
    chk("split_part", SQLV_TEXT, "", ARGS(T(""), T(","), I(1)));
    chk_err("split_part", NQ_ERROR, "field position must not be zero", ARGS(T("a"), T(","), I(0)));
    /* long inputs: a near-miss needle must not make the search quadratic */
    size_t n = 400000, m = 2000;
    char *hay = malloc(n + 1), *needle = malloc(m + 1);
    memset(hay, 'a', n);
    hay[n] = 0;
    memset(needle, 'a', m);
    needle[m - 1] = 'b';
    needle[m] = 0;
    chk("position", SQLV_INT, "0", ARGS(T(hay), T(needle)));
    nq_err e;
    sqlv out;
    assert_int_equal(fcall("replace", ARGS(T(hay), T(needle), T("x")), &out, &e), 0);
    assert_int_equal(out.n, n);
    sqlv_clear(&out);
    hay[n - 2] = 'b'; /* one match near the end */
    assert_int_equal(fcall("replace", ARGS(T(hay), T(needle + 1), T("x")), &out, &e), 0);
    assert_int_equal(out.n, n - (m - 1) + 1);
    assert_int_equal(out.p[out.n - 2], 'x');
    sqlv_clear(&out);
    free(hay);
    free(needle);
}

static void test_repeat_pad(void **state)
{
    (void)state;
    chk("repeat", SQLV_TEXT, "ababab", ARGS(T("ab"), I(3)));
    chk("repeat", SQLV_TEXT, "", ARGS(T("ab"), I(0)));
    chk("repeat", SQLV_TEXT, "", ARGS(T("ab"), I(-3)));
    chk("repeat", SQLV_TEXT, "", ARGS(T(""), I(INT64_MAX)));
    chk_err("repeat", NQ_ETOOBIG, "too long", ARGS(T("ab"), I(INT64_MAX)));
    chk_err("repeat", NQ_ETOOBIG, "too long", ARGS(T("x"), I(((int64_t)1 << 30) + 1)));
    chk("lpad", SQLV_TEXT, "   hi", ARGS(T("hi"), I(5)));
    chk("lpad", SQLV_TEXT, "xyxhi", ARGS(T("hi"), I(5), T("xy")));
    chk("rpad", SQLV_TEXT, "hixyx", ARGS(T("hi"), I(5), T("xy")));
    chk("lpad", SQLV_TEXT, "hel", ARGS(T("hello"), I(3)));
    chk("rpad", SQLV_TEXT, "hel", ARGS(T("hello"), I(3)));
    chk("lpad", SQLV_TEXT, "", ARGS(T("hello"), I(-1)));
    chk("lpad", SQLV_TEXT, "hi", ARGS(T("hi"), I(5), T("")));
    chk("lpad", SQLV_TEXT, "ééé日本", ARGS(T("日本"), I(5), T("é")));
    chk("rpad", SQLV_TEXT, "日本éèé", ARGS(T("日本"), I(5), T("éè")));
    chk("lpad", SQLV_TEXT, "007", ARGS(I(7), I(3), T("0")));
    chk_err("lpad", NQ_ETOOBIG, "too large", ARGS(T("x"), I(INT64_MAX)));
}

static void test_hex_quote_typeof(void **state)
{
    (void)state;
    chk("hex", SQLV_TEXT, "616263", ARGS(T("abc")));
    chk("hex", SQLV_TEXT, "01AB", ARGS(blob_ab));
    chk("hex", SQLV_TEXT, "FF", ARGS(I(255)));
    chk("hex", SQLV_TEXT, "FFFFFFFFFFFFFFFF", ARGS(I(-1)));
    chk("hex", SQLV_TEXT, "", ARGS(T("")));
    chk("hex", SQLV_TEXT, "C3A9", ARGS(T("é")));
    chk("quote", SQLV_TEXT, "'it''s'", ARGS(T("it's")));
    chk("quote", SQLV_TEXT, "NULL", ARGS(NUL));
    chk("quote", SQLV_TEXT, "42", ARGS(I(42)));
    chk("quote", SQLV_TEXT, "1.5", ARGS(R(1.5)));
    chk("quote", SQLV_TEXT, "TRUE", ARGS(B(1)));
    chk("quote", SQLV_TEXT, "X'01AB'", ARGS(blob_ab));
    chk("quote", SQLV_TEXT, "DATE '2024-02-29'", ARGS(DT(19782)));
    chk("quote", SQLV_TEXT, "TIMESTAMP '1970-01-01 00:00:01'", ARGS(TS(1000000)));
    chk("typeof", SQLV_TEXT, "integer", ARGS(I(1)));
    chk("typeof", SQLV_TEXT, "real", ARGS(R(1)));
    chk("typeof", SQLV_TEXT, "text", ARGS(T("")));
    chk("typeof", SQLV_TEXT, "null", ARGS(NUL));
    chk("typeof", SQLV_TEXT, "blob", ARGS(blob_ab));
    chk("typeof", SQLV_TEXT, "boolean", ARGS(B(0)));
    chk("typeof", SQLV_TEXT, "date", ARGS(DT(0)));
    chk("typeof", SQLV_TEXT, "timestamp", ARGS(TS(0)));
}

static void test_printf(void **state)
{
    (void)state;
    chk("printf", SQLV_TEXT, "x=5 y=abc 100%", ARGS(T("x=%d y=%s 100%%"), I(5), T("abc")));
    chk("format", SQLV_TEXT, "3.14", ARGS(T("%.2f"), R(3.14159)));
    chk("printf", SQLV_TEXT, "[   42][42   ][00042][+42]", ARGS(T("[%5d][%-5d][%05d][%+d]"), I(42), I(42), I(42), I(42)));
    chk("printf", SQLV_TEXT, "ff FF 17", ARGS(T("%x %X %o"), I(255), I(255), I(15)));
    chk("printf", SQLV_TEXT, "0xff 017 5", ARGS(T("%#x %#o %#d"), I(255), I(15), I(5)));
    chk("printf", SQLV_TEXT, "-9223372036854775808", ARGS(T("%d"), I(INT64_MIN)));
    chk("printf", SQLV_TEXT, "3", ARGS(T("%d"), R(3.99)));  /* truncated */
    chk("printf", SQLV_TEXT, "12", ARGS(T("%d"), T("12")));
    chk("printf", SQLV_TEXT, "1.500000e+00 1.5", ARGS(T("%e %g"), R(1.5), R(1.5)));
    chk("printf", SQLV_TEXT, "[  héllo][hé   ][hé]", ARGS(T("[%7s][%-5.2s][%.2s]"), T("héllo"), T("héllo"), T("héllo")));
    chk("printf", SQLV_TEXT, "é", ARGS(T("%c"), T("éa")));
    chk("printf", SQLV_TEXT, "[] 0 0.00", ARGS(T("[%s] %d %.2f"), NUL, NUL, NUL));
    chk("printf", SQLV_TEXT, "2024-02-29 true 1.5", ARGS(T("%s %s %s"), DT(19782), B(1), R(1.5)));
    chk("printf", SQLV_TEXT, "no args", ARGS(T("no args")));
    chk("printf", SQLV_TEXT, "a", ARGS(T("a"), I(1), I(2))); /* extra arguments ignored */
    chk("printf", SQLV_NULL, "NULL", ARGS(NUL, I(1)));
    chk_err("printf", NQ_ERROR, "too few arguments", ARGS(T("%d %d"), I(1)));
    chk_err("printf", NQ_ERROR, "unsupported conversion '%q'", ARGS(T("%q"), I(1)));
    chk_err("printf", NQ_ERROR, "unsupported conversion '%*'", ARGS(T("%*d"), I(1), I(2)));
    chk_err("printf", NQ_ERROR, "middle of a conversion", ARGS(T("abc %5")));
    chk_err("printf", NQ_ERROR, "too large", ARGS(T("%999999999d"), I(1)));
    chk_err("printf", NQ_ERROR, "cannot cast 'abc' to INTEGER", ARGS(T("%d"), T("abc")));
    chk_err("printf", NQ_ERROR, "integer out of range", ARGS(T("%d"), R(1e30)));
    chk_err("printf", NQ_ETYPE, "printf: argument 2 must be a number, not DATE", ARGS(T("%f"), DT(1)));
    /* wide but allowed: built without truncation */
    nq_err e;
    sqlv out;
    assert_int_equal(fcall("printf", ARGS(T("%5000d|%.3000f"), I(7), R(0.5)), &out, &e), 0);
    assert_int_equal(out.n, 5000 + 1 + 3002);
    assert_int_equal(out.p[4999], '7');
    sqlv_clear(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_reverse_ascii_chr),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_substr),
        cmocka_unit_test(test_search_replace),
        cmocka_unit_test(test_repeat_pad),
        cmocka_unit_test(test_hex_quote_typeof),
        cmocka_unit_test(test_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
