/*
 * test_like.c — LIKE, ILIKE and GLOB: wildcards, escapes, UTF-8 characters, NULLs, type and
 * escape errors, and patterns that make naive backtracking matchers exponential (these must
 * finish at once), checked against a slow recursive reference matcher on random inputs.
 */
#include <time.h>

#include "func_test.h"

/* 1 / 0 for match / no match; -1 if the call failed. */
static int likei(const char *s, const char *p, const char *esc, int icase)
{
    sqlv sv = T(s), pv = T(p), ev = esc ? T(esc) : NUL, out;
    nq_err e;
    nq_err_clear(&e);
    int rc = fn_like(&sv, &pv, esc ? &ev : NULL, icase, &out, &e);
    if (rc)
        return -1;
    assert_int_equal(out.type, SQLV_BOOL);
    return (int)out.i;
}

static int like(const char *s, const char *p) { return likei(s, p, NULL, 0); }
static int like3(const char *s, const char *p, const char *esc) { return likei(s, p, esc, 0); }

static int glob(const char *s, const char *p)
{
    sqlv sv = T(s), pv = T(p), out;
    nq_err e;
    int rc = fn_glob(&sv, &pv, &out, &e);
    if (rc)
        return -1;
    assert_int_equal(out.type, SQLV_BOOL);
    return (int)out.i;
}

static void test_like_basic(void **state)
{
    (void)state;
    assert_int_equal(like("abc", "abc"), 1);
    assert_int_equal(like("abc", "ab"), 0);
    assert_int_equal(like("ab", "abc"), 0);
    assert_int_equal(like("", ""), 1);
    assert_int_equal(like("", "%"), 1);
    assert_int_equal(like("", "_"), 0);
    assert_int_equal(like("abc", "a%"), 1);
    assert_int_equal(like("abc", "%c"), 1);
    assert_int_equal(like("abc", "%b%"), 1);
    assert_int_equal(like("abc", "%d%"), 0);
    assert_int_equal(like("abc", "a_c"), 1);
    assert_int_equal(like("abc", "a__c"), 0);
    assert_int_equal(like("abc", "___"), 1);
    assert_int_equal(like("abc", "%%%"), 1);
    assert_int_equal(like("abcabc", "%bc"), 1);
    assert_int_equal(like("abcab", "%bc"), 0);
    assert_int_equal(like("mississippi", "%iss%ppi"), 1);
    assert_int_equal(like("mississippi", "m%s_s%i"), 1);
    assert_int_equal(like("aaa", "a%a%a"), 1);
    assert_int_equal(like("aa", "a%a%a"), 0);
    /* case: LIKE is case-sensitive (PostgreSQL), ILIKE folds ASCII */
    assert_int_equal(like("ABC", "abc"), 0);
    assert_int_equal(likei("ABC", "abc", NULL, 1), 1);
    assert_int_equal(likei("AbC", "a_c", NULL, 1), 1);
    assert_int_equal(likei("AbC", "%B%", NULL, 1), 1);
    assert_int_equal(likei("Ä", "ä", NULL, 1), 0); /* ASCII folding only */
    /* regex-looking bytes are literal */
    assert_int_equal(like("a.c", "a.c"), 1);
    assert_int_equal(like("abc", "a.c"), 0);
    assert_int_equal(like("a*c", "a*c"), 1);
    /* embedded NUL bytes are ordinary characters */
    sqlv s = sqlv_text("a\0b", 3), p = sqlv_text("a_b", 3), out;
    nq_err e;
    assert_int_equal(fn_like(&s, &p, NULL, 0, &out, &e), 0);
    assert_int_equal(out.i, 1);
}

static void test_like_utf8(void **state)
{
    (void)state;
    assert_int_equal(like("héllo", "h_llo"), 1); /* é is one character, two bytes */
    assert_int_equal(like("héllo", "h__llo"), 0);
    assert_int_equal(like("日本語", "___"), 1);
    assert_int_equal(like("日本語", "__"), 0);
    assert_int_equal(like("日本語", "%語"), 1);
    assert_int_equal(like("日本語", "日%"), 1);
    assert_int_equal(like("😀x", "_x"), 1);
    /* invalid UTF-8: each bad byte is a character of its own */
    assert_int_equal(like("\xff\xfe", "__"), 1);
    assert_int_equal(like("\xc3", "_"), 1);
}

static void test_like_escape(void **state)
{
    (void)state;
    assert_int_equal(like3("100%", "100!%", "!"), 1);
    assert_int_equal(like3("1000", "100!%", "!"), 0);
    assert_int_equal(like3("a_b", "a!_b", "!"), 1);
    assert_int_equal(like3("axb", "a!_b", "!"), 0);
    assert_int_equal(like3("a!b", "a!!b", "!"), 1);
    assert_int_equal(like3("a\\b", "a\\\\b", "\\"), 1);
    assert_int_equal(like3("50% off", "%!%%", "!"), 1);
    assert_int_equal(like3("50 off", "%!%%", "!"), 0);
    /* the escape may be a multi-byte character */
    assert_int_equal(like3("a%b", "aé%b", "é"), 1);
    assert_int_equal(like3("axb", "aé%b", "é"), 0);
    /* escaping an ordinary character makes it literal */
    assert_int_equal(like3("ab", "!a!b", "!"), 1);
    /* the escape may be % itself: then %% is a literal % */
    assert_int_equal(like3("a%", "a%%", "%"), 1);
    assert_int_equal(like3("ab", "a%%", "%"), 0);
    /* an empty escape turns escaping off */
    assert_int_equal(like3("a\\b", "a\\b", ""), 1);
    /* no escape given: backslash is an ordinary character */
    assert_int_equal(like("a\\%", "a\\%"), 1);
    /* errors */
    assert_int_equal(like3("a", "a!", "!"), -1);
    assert_int_equal(like3("a", "a!!!", "!"), -1);
    assert_int_equal(like3("a", "a", "ab"), -1);
    sqlv s = T("ab"), p = T("a!"), x = T("!"), out;
    nq_err e;
    assert_int_equal(fn_like(&s, &p, &x, 0, &out, &e), NQ_ERROR);
    assert_non_null(strstr(e.msg, "must not end with escape character"));
    x = T("xy");
    p = T("a");
    assert_int_equal(fn_like(&s, &p, &x, 0, &out, &e), NQ_ERROR);
    assert_non_null(strstr(e.msg, "invalid escape string"));
}

static void test_like_null_types(void **state)
{
    (void)state;
    sqlv s = T("a"), p = T("%"), n = NUL, i = I(1), out;
    nq_err e;
    assert_int_equal(fn_like(&n, &p, NULL, 0, &out, &e), 0);
    assert_int_equal(out.type, SQLV_NULL);
    assert_int_equal(fn_like(&s, &n, NULL, 0, &out, &e), 0);
    assert_int_equal(out.type, SQLV_NULL);
    assert_int_equal(fn_like(&s, &p, &n, 0, &out, &e), 0); /* ESCAPE NULL */
    assert_int_equal(out.type, SQLV_NULL);
    assert_int_equal(fn_glob(&n, &p, &out, &e), 0);
    assert_int_equal(out.type, SQLV_NULL);
    assert_int_equal(fn_like(&i, &p, NULL, 0, &out, &e), NQ_ETYPE);
    assert_non_null(strstr(e.msg, "LIKE: operands must be text, not INTEGER"));
    assert_int_equal(fn_like(&s, &i, NULL, 1, &out, &e), NQ_ETYPE);
    assert_non_null(strstr(e.msg, "ILIKE"));
    assert_int_equal(fn_like(&s, &p, &i, 0, &out, &e), NQ_ETYPE);
    assert_int_equal(fn_glob(&s, &i, &out, &e), NQ_ETYPE);
    assert_non_null(strstr(e.msg, "GLOB"));
    /* like()/glob() functions: pattern first, as in SQLite; numbers become text */
    chk("like", SQLV_BOOL, "true", ARGS(T("a%"), T("abc")));
    chk("like", SQLV_BOOL, "false", ARGS(T("A%"), T("abc")));
    chk("like", SQLV_BOOL, "true", ARGS(T("1_3"), I(123)));
    chk("like", SQLV_BOOL, "true", ARGS(T("a!%"), T("a%"), T("!")));
    chk("glob", SQLV_BOOL, "true", ARGS(T("a*"), T("abc")));
    chk("glob", SQLV_NULL, "NULL", ARGS(NUL, T("abc")));
    chk_err("like", NQ_ETYPE, "like: argument 2 must be text, not BLOB", ARGS(T("a"), sqlv_bytes(SQLV_BLOB, "a", 1)));
}

static void test_glob(void **state)
{
    (void)state;
    assert_int_equal(glob("abc", "abc"), 1);
    assert_int_equal(glob("abc", "a*"), 1);
    assert_int_equal(glob("abc", "A*"), 0); /* case-sensitive */
    assert_int_equal(glob("abc", "a?c"), 1);
    assert_int_equal(glob("abc", "*"), 1);
    assert_int_equal(glob("", "*"), 1);
    assert_int_equal(glob("", "?"), 0);
    assert_int_equal(glob("a%c", "a%c"), 1); /* % and _ are literal in GLOB */
    assert_int_equal(glob("abc", "a%c"), 0);
    assert_int_equal(glob("abc", "a_c"), 0);
    assert_int_equal(glob("abc", "[abc]bc"), 1);
    assert_int_equal(glob("dbc", "[abc]bc"), 0);
    assert_int_equal(glob("dbc", "[^abc]bc"), 1);
    assert_int_equal(glob("abc", "[^abc]bc"), 0);
    assert_int_equal(glob("m", "[a-z]"), 1);
    assert_int_equal(glob("M", "[a-z]"), 0);
    assert_int_equal(glob("-", "[a-]"), 1); /* - last is literal */
    assert_int_equal(glob("]", "[]]"), 1);  /* ] first is literal */
    assert_int_equal(glob("]", "[^]]"), 0);
    assert_int_equal(glob("x", "[^]]"), 1);
    assert_int_equal(glob("é", "[à-ë]"), 1); /* ranges by code point */
    assert_int_equal(glob("é", "?"), 1);
    assert_int_equal(glob("a[", "a["), 0); /* unterminated class matches nothing */
    assert_int_equal(glob("a[b", "a[b"), 0);
    assert_int_equal(glob("a*b", "a[*]b"), 1);
    assert_int_equal(glob("a1b2c3", "*[0-9]c?"), 1);
    assert_int_equal(glob("x.txt", "*.txt"), 1);
    assert_int_equal(glob("x.txt.bak", "*.txt"), 0);
}

/* The reference: plain recursion over bytes, exponential in the worst case, used only on
 * short ASCII inputs. */
static int ref_like(const char *s, const char *p)
{
    if (!*p)
        return !*s;
    if (*p == '%')
        return ref_like(s, p + 1) || (*s && ref_like(s + 1, p));
    if (!*s)
        return 0;
    if (*p == '_' || *p == *s)
        return ref_like(s + 1, p + 1);
    return 0;
}

static void test_like_vs_reference(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 7);
    char s[16], p[12];
    static const char salpha[] = "ab", palpha[] = "ab%_";
    for (int it = 0; it < 50000; it++) {
        size_t sn = nq_rng_below(&r, sizeof s), pn = nq_rng_below(&r, sizeof p);
        for (size_t k = 0; k < sn; k++)
            s[k] = salpha[nq_rng_below(&r, 2)];
        s[sn] = 0;
        for (size_t k = 0; k < pn; k++)
            p[k] = palpha[nq_rng_below(&r, 4)];
        p[pn] = 0;
        int want = ref_like(s, p), got = like(s, p);
        if (got != want)
            fail_msg("LIKE '%s' '%s': %d, reference %d", s, p, got, want);
        /* the same question in GLOB spelling */
        for (size_t k = 0; k < pn; k++)
            p[k] = p[k] == '%' ? '*' : p[k] == '_' ? '?' : p[k];
        if (glob(s, p) != want)
            fail_msg("GLOB '%s' '%s': reference %d", s, p, want);
    }
}

static void test_like_pathological(void **state)
{
    (void)state;
    /* exponential for naive backtracking; quadratic at worst here */
    size_t n = 20000;
    char *s = malloc(n + 1);
    memset(s, 'a', n);
    s[n] = 0;
    clock_t t0 = clock();
    assert_int_equal(like(s, "%a%a%a%a%a%a%a%a%a%a%a%a%b"), 0);
    assert_int_equal(like(s, "%a%a%a%a%a%a%a%a%a%a%a%a%a"), 1);
    assert_int_equal(like(s, "%%%%%%%%%%%%%%%%%%%%%%%%b"), 0);
    assert_int_equal(like(s, "_%_%_%_%_%_%_%_%_%_%_%_%b"), 0);
    assert_int_equal(glob(s, "*a*a*a*a*a*a*a*a*a*a*a*a*b"), 0);
    assert_int_equal(glob(s, "*[a]*[a]*[a]*[a]*[a]*[b]"), 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 5.0);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_like_basic),
        cmocka_unit_test(test_like_utf8),
        cmocka_unit_test(test_like_escape),
        cmocka_unit_test(test_like_null_types),
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_like_vs_reference),
        cmocka_unit_test(test_like_pathological),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
