/*
 * test_lexer.c — the QSQL tokenizer: every token kind, 1-based line/column positions (columns
 * count characters, not bytes), values of integers (and the int64 overflow to REAL), keyword
 * lookup (case-insensitive, table sorted for bsearch), and the lexical errors: unterminated
 * string, comment and quoted identifier, malformed blob and number, stray characters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sql/lexer.h"

typedef struct exp_tok {
    lex_kind kind;
    const char *text;
    unsigned line, col;
} exp_tok;

static void check_tokens(const char *src, const exp_tok *exp, size_t n)
{
    lexer lx;
    lex_token t;
    lex_init(&lx, src, strlen(src));
    for (size_t i = 0; i < n; i++) {
        lex_next(&lx, &t);
        if (t.kind != exp[i].kind || t.len != strlen(exp[i].text) ||
            memcmp(t.p, exp[i].text, t.len) != 0 || t.line != exp[i].line || t.col != exp[i].col)
            fail_msg("%s: token %zu: got %s '%.*s' at %u:%u, want %s '%s' at %u:%u", src, i,
                     lex_kind_name(t.kind), (int)t.len, t.p, t.line, t.col,
                     lex_kind_name(exp[i].kind), exp[i].text, exp[i].line, exp[i].col);
    }
    lex_next(&lx, &t);
    assert_int_equal(t.kind, TK_EOF);
    lex_next(&lx, &t); /* EOF is sticky */
    assert_int_equal(t.kind, TK_EOF);
}

static void test_operators(void **state)
{
    (void)state;
    const exp_tok e[] = {
        {TK_LP, "(", 1, 1}, {TK_RP, ")", 1, 2}, {TK_LBRACKET, "[", 1, 3}, {TK_RBRACKET, "]", 1, 4},
        {TK_COMMA, ",", 1, 5}, {TK_SEMI, ";", 1, 6}, {TK_DOT, ".", 1, 7}, {TK_STAR, "*", 1, 8},
        {TK_PLUS, "+", 1, 9}, {TK_MINUS, "-", 1, 10}, {TK_SLASH, "/", 1, 11},
        {TK_PERCENT, "%", 1, 12}, {TK_EQ, "=", 1, 14}, {TK_EQ, "==", 1, 16},
        {TK_NE, "<>", 1, 19}, {TK_NE, "!=", 1, 22}, {TK_LT, "<", 1, 25}, {TK_LE, "<=", 1, 27},
        {TK_GT, ">", 1, 30}, {TK_GE, ">=", 1, 32}, {TK_CONCAT, "||", 1, 35},
        {TK_BITAND, "&", 1, 38}, {TK_BITOR, "|", 1, 40}, {TK_TILDE, "~", 1, 42},
        {TK_LSHIFT, "<<", 1, 44}, {TK_RSHIFT, ">>", 1, 47}, {TK_CAST, "::", 1, 50},
        {TK_COLONEQ, ":=", 1, 53},
    };
    check_tokens("()[],;.*+-/% = == <> != < <= > >= || & | ~ << >> :: :=", e, sizeof e / sizeof e[0]);
}

static void test_literals(void **state)
{
    (void)state;
    const exp_tok e[] = {
        {TK_INTEGER, "42", 1, 1}, {TK_REAL, "1.5", 1, 4}, {TK_REAL, ".5", 1, 8},
        {TK_REAL, "1e10", 1, 11}, {TK_REAL, "2.5E-3", 1, 16}, {TK_STRING, "'it''s'", 1, 23},
        {TK_BLOB, "X'ABcd'", 1, 31}, {TK_BLOB, "x''", 1, 39}, {TK_INTEGER, "0x1F", 1, 43},
        {TK_DNA, "DNA:ACGT", 1, 48}, {TK_REAL, "5.", 1, 57},
    };
    check_tokens("42 1.5 .5 1e10 2.5E-3 'it''s' X'ABcd' x'' 0x1F DNA:ACGT 5.", e,
                 sizeof e / sizeof e[0]);

    lexer lx;
    lex_token t;
    lex_init(&lx, "9223372036854775807 9223372036854775808 0xFFFFFFFFFFFFFFFF", 60);
    lex_next(&lx, &t);
    assert_int_equal(t.kind, TK_INTEGER);
    assert_true(t.ival == INT64_MAX);
    lex_next(&lx, &t);
    assert_int_equal(t.kind, TK_REAL); /* too large for int64: numeric, as PostgreSQL */
    lex_next(&lx, &t);
    assert_int_equal(t.kind, TK_INTEGER);
    assert_true(t.ival == -1);
}

static void test_identifiers_params(void **state)
{
    (void)state;
    const exp_tok e[] = {
        {TK_WORD, "Select", 1, 1}, {TK_WORD, "my_col$1", 1, 8}, {TK_QIDENT, "\"Mixed \"\"Q\"\"\"", 1, 17},
        {TK_QIDENT, "`bt`", 1, 31}, {TK_PARAM, "$1", 1, 36}, {TK_PARAM, "?", 1, 39},
        {TK_PARAM, "?12", 1, 41}, {TK_PARAM, ":name", 1, 45}, {TK_PARAM, "@v", 1, 51},
        {TK_WORD, "dna", 1, 54}, {TK_PARAM, ":x", 1, 58},
    };
    check_tokens("Select my_col$1 \"Mixed \"\"Q\"\"\" `bt` $1 ? ?12 :name @v dna :x", e,
                 sizeof e / sizeof e[0]);
    lexer lx;
    lex_token t;
    lex_init(&lx, "sElEcT quantum_join notakeyword", 31);
    lex_next(&lx, &t);
    assert_int_equal(t.kw, KW_SELECT);
    lex_next(&lx, &t);
    assert_int_equal(t.kw, KW_QUANTUM_JOIN);
    lex_next(&lx, &t);
    assert_int_equal(t.kw, KW_NONE);
}

static void test_positions_comments(void **state)
{
    (void)state;
    /* "é" is two bytes but one column; comments and newlines move positions */
    const exp_tok e[] = {
        {TK_WORD, "SELECT", 1, 1}, {TK_STRING, "'é'", 1, 8}, {TK_COMMA, ",", 1, 11},
        {TK_WORD, "a", 2, 3}, {TK_WORD, "FROM", 3, 10}, {TK_WORD, "t", 5, 1},
    };
    check_tokens("SELECT 'é', -- comment\n  a /* multi\n line */ FROM\n\t\nt -- end", e,
                 sizeof e / sizeof e[0]);
}

static void check_error(const char *src, const char *msg, unsigned line, unsigned col)
{
    lexer lx;
    lex_token t;
    lex_init(&lx, src, strlen(src));
    do {
        lex_next(&lx, &t);
    } while (t.kind != TK_ERROR && t.kind != TK_EOF);
    if (t.kind != TK_ERROR)
        fail_msg("%s: no error", src);
    assert_string_equal(t.errmsg, msg);
    assert_int_equal(t.line, line);
    assert_int_equal(t.col, col);
}

static void test_errors(void **state)
{
    (void)state;
    check_error("SELECT 'abc", "unterminated string literal", 1, 8);
    check_error("SELECT 1 /* never closed", "unterminated comment", 1, 10);
    check_error("SELECT \"abc", "unterminated quoted identifier", 1, 8);
    check_error("SELECT\n  X'ABC'", "malformed blob literal", 2, 3);
    check_error("SELECT X'GG'", "malformed blob literal", 1, 8);
    check_error("SELECT X'AB", "unterminated blob literal", 1, 8);
    check_error("SELECT 12abc", "malformed number", 1, 8);
    check_error("SELECT 1 ! 2", "unrecognized token", 1, 10);
    check_error("SELECT #", "unrecognized token", 1, 8);
    check_error("SELECT \"\"", "zero-length delimited identifier", 1, 8);
    check_error("SELECT 0x11111111111111111", "malformed number", 1, 8);
    lexer lx;
    lex_token t;
    lex_init(&lx, "'a\0b'", 5);
    lex_next(&lx, &t);
    assert_int_equal(t.kind, TK_ERROR);
    assert_string_equal(t.errmsg, "NUL character in string literal");
}

static void test_keyword_table(void **state)
{
    (void)state;
    /* bsearch needs the table sorted: every keyword finds itself */
    for (int k = KW_NONE + 1; k < KW_COUNT; k++) {
        const char *n = lex_kw_name(k);
        assert_int_equal(lex_keyword(n, strlen(n)), k);
        if (k > KW_NONE + 1)
            assert_true(strcmp(lex_kw_name(k - 1), n) < 0);
    }
    assert_int_equal(lex_keyword("select", 6), KW_SELECT);
    assert_int_equal(lex_keyword("users", 5), KW_NONE);
    assert_true(lex_kw_reserved(KW_FROM));
    assert_false(lex_kw_reserved(KW_KEY));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operators),        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_identifiers_params), cmocka_unit_test(test_positions_comments),
        cmocka_unit_test(test_errors),           cmocka_unit_test(test_keyword_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
