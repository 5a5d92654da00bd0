/*
 * lexer.c — QSQL tokens out of SQL text, on demand.
 *
 * One forward scan with at most a few bytes of lookahead; the position (line, column) of each
 * token is tracked incrementally, so reporting an error costs nothing extra. Columns count
 * characters: a UTF-8 continuation byte does not advance the column. The keyword table is a
 * sorted read-only array searched by bsearch on an upper-cased copy of the word (keywords are
 * short; longer words cannot be keywords and skip the lookup).
 */
#include "sql/lexer.h"

#include <stdlib.h>
#include <string.h>

typedef struct kw_entry {
    const char *name;
    int kw;
    int reserved;
} kw_entry;

static const kw_entry kw_table[] = {
#define LEX_KW_ROW(name, r) {#name, KW_##name, r},
    LEX_KEYWORDS(LEX_KW_ROW)
#undef LEX_KW_ROW
};
#define KW_TABLE_N (sizeof kw_table / sizeof kw_table[0])
#define KW_MAXLEN 32

static int kw_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const kw_entry *)elem)->name);
}

int lex_keyword(const char *p, size_t len)
{
    if (len == 0 || len >= KW_MAXLEN)
        return KW_NONE;
    char up[KW_MAXLEN];
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    up[len] = 0;
    const kw_entry *e = bsearch(up, kw_table, KW_TABLE_N, sizeof kw_table[0], kw_cmp);
    return e ? e->kw : KW_NONE;
}

const char *lex_kw_name(int kw)
{
    if (kw <= KW_NONE || kw >= KW_COUNT)
        return "";
    return kw_table[kw - 1].name;
}

int lex_kw_reserved(int kw)
{
    if (kw <= KW_NONE || kw >= KW_COUNT)
        return 0;
    return kw_table[kw - 1].reserved;
}

const char *lex_kind_name(lex_kind k)
{
    static const char *const names[TK_KIND_COUNT] = {
        "EOF", "ERROR", "WORD", "QIDENT", "STRING", "BLOB", "INTEGER", "REAL", "DNA", "PARAM",
        "(", ")", "[", "]", ",", ";", ".", "*", "+", "-", "/", "%", "=", "<>", "<", "<=", ">",
        ">=", "||", "&", "|", "~", "<<", ">>", "::", ":=",
    };
    return (unsigned)k < TK_KIND_COUNT ? names[k] : "?";
}

void lex_init(lexer *lx, const char *src, size_t len)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
    lx->line = 1;
    lx->col = 1;
}

static int peekc(const lexer *lx, size_t ahead)
{
    size_t i = lx->pos + ahead;
    return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

/* Advance one byte, keeping line and column. */
static void adv(lexer *lx)
{
    unsigned char c = (unsigned char)lx->src[lx->pos++];
    if (c == '\n') {
        lx->line++;
        lx->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        lx->col++;
    }
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
/* Bytes >= 0x80 are parts of UTF-8 letters: SQL identifiers may use any script. */
static int is_id_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
static int is_id_char(int c) { return is_id_start(c) || is_digit(c) || c == '$'; }

static void set_err(lex_token *t, const char *msg)
{
    t->kind = TK_ERROR;
    t->errmsg = msg;
}

/* Skip white space and comments; 0 or an error message for an unterminated comment. */
static const char *skip_space(lexer *lx, lex_token *t)
{
    for (;;) {
        int c = peekc(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            adv(lx);
        } else if (c == '-' && peekc(lx, 1) == '-') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                adv(lx);
        } else if (c == '/' && peekc(lx, 1) == '*') {
            t->p = lx->src + lx->pos;
            t->line = lx->line;
            t->col = lx->col;
            adv(lx);
            adv(lx);
            for (;;) {
                if (lx->pos >= lx->len)
                    return "unterminated comment";
                if (lx->src[lx->pos] == '*' && peekc(lx, 1) == '/') {
                    adv(lx);
                    adv(lx);
                    break;
                }
                adv(lx);
            }
        } else {
            return NULL;
        }
    }
}

/* Quoted text up to the closing q, where qq inside stands for one q. -1: unterminated;
 * -2: a NUL byte inside (C strings downstream would silently cut the value there). */
static int scan_quoted(lexer *lx, char q)
{
    adv(lx); /* opening quote */
    for (;;) {
        if (lx->pos >= lx->len)
            return -1;
        if (lx->src[lx->pos] == 0)
            return -2;
        if (lx->src[lx->pos] == q) {
            adv(lx);
            if (peekc(lx, 0) == q) {
                adv(lx);
                continue;
            }
            return 0;
        }
        adv(lx);
    }
}

static void scan_number(lexer *lx, lex_token *t)
{
    int real = 0;
    if (peekc(lx, 0) == '0' && (peekc(lx, 1) == 'x' || peekc(lx, 1) == 'X') && is_hex(peekc(lx, 2))) {
        /* hex integer (SQLite): 64-bit two's complement, too many digits is an error */
        adv(lx);
        adv(lx);
        uint64_t v = 0;
        int n = 0;
        while (is_hex(peekc(lx, 0))) {
            int c = peekc(lx, 0);
            v = v * 16 + (uint64_t)(is_digit(c) ? c - '0' : (c | 32) - 'a' + 10);
            n++;
            adv(lx);
        }
        if (n > 16 || is_id_char(peekc(lx, 0))) {
            while (is_id_char(peekc(lx, 0)))
                adv(lx);
            set_err(t, "malformed number");
            return;
        }
        t->kind = TK_INTEGER;
        t->ival = (int64_t)v;
        return;
    }
    while (is_digit(peekc(lx, 0)))
        adv(lx);
    if (peekc(lx, 0) == '.') {
        real = 1;
        adv(lx);
        while (is_digit(peekc(lx, 0)))
            adv(lx);
    }
    int c = peekc(lx, 0);
    if (c == 'e' || c == 'E') {
        int c1 = peekc(lx, 1);
        if (is_digit(c1) || ((c1 == '+' || c1 == '-') && is_digit(peekc(lx, 2)))) {
            real = 1;
            adv(lx);
            adv(lx);
            while (is_digit(peekc(lx, 0)))
                adv(lx);
        }
    }
    if (is_id_char(peekc(lx, 0))) {
        /* 12abc: SQLite calls it an unrecognized token; so do we, whole */
        while (is_id_char(peekc(lx, 0)))
            adv(lx);
        set_err(t, "malformed number");
        return;
    }
    if (real) {
        t->kind = TK_REAL;
        return;
    }
    uint64_t v = 0;
    const char *s = t->p, *e = lx->src + lx->pos;
    for (; s < e; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_C(9223372036854775807) - d) / 10) {
            t->kind = TK_REAL; /* too large for int64: a numeric literal, as PostgreSQL does */
            return;
        }
        v = v * 10 + d;
    }
    t->kind = TK_INTEGER;
    t->ival = (int64_t)v;
}

void lex_next(lexer *lx, lex_token *t)
{
    memset(t, 0, sizeof *t);
    const char *cerr = skip_space(lx, t);
    if (cerr) {
        t->len = (uint32_t)(lx->src + lx->pos - t->p);
        set_err(t, cerr);
        return;
    }
    t->p = lx->src + lx->pos;
    t->line = lx->line;
    t->col = lx->col;
    if (lx->pos >= lx->len) {
        t->kind = TK_EOF;
        return;
    }
    int c = peekc(lx, 0), c1 = peekc(lx, 1), q;
    switch (c) {
    case '(': t->kind = TK_LP; adv(lx); break;
    case ')': t->kind = TK_RP; adv(lx); break;
    case '[': t->kind = TK_LBRACKET; adv(lx); break;
    case ']': t->kind = TK_RBRACKET; adv(lx); break;
    case ',': t->kind = TK_COMMA; adv(lx); break;
    case ';': t->kind = TK_SEMI; adv(lx); break;
    case '*': t->kind = TK_STAR; adv(lx); break;
    case '+': t->kind = TK_PLUS; adv(lx); break;
    case '-': t->kind = TK_MINUS; adv(lx); break;
    case '/': t->kind = TK_SLASH; adv(lx); break;
    case '%': t->kind = TK_PERCENT; adv(lx); break;
    case '~': t->kind = TK_TILDE; adv(lx); break;
    case '&': t->kind = TK_BITAND; adv(lx); break;
    case '=':
        t->kind = TK_EQ;
        adv(lx);
        if (c1 == '=')
            adv(lx);
        break;
    case '|':
        adv(lx);
        if (c1 == '|') {
            adv(lx);
            t->kind = TK_CONCAT;
        } else {
            t->kind = TK_BITOR;
        }
        break;
    case '<':
        adv(lx);
        if (c1 == '=') { adv(lx); t->kind = TK_LE; }
        else if (c1 == '>') { adv(lx); t->kind = TK_NE; }
        else if (c1 == '<') { adv(lx); t->kind = TK_LSHIFT; }
        else t->kind = TK_LT;
        break;
    case '>':
        adv(lx);
        if (c1 == '=') { adv(lx); t->kind = TK_GE; }
        else if (c1 == '>') { adv(lx); t->kind = TK_RSHIFT; }
        else t->kind = TK_GT;
        break;
    case '!':
        adv(lx);
        if (c1 == '=') {
            adv(lx);
            t->kind = TK_NE;
        } else {
            set_err(t, "unrecognized token");
        }
        break;
    case ':':
        adv(lx);
        if (c1 == ':') {
            adv(lx);
            t->kind = TK_CAST;
        } else if (c1 == '=') {
            adv(lx);
            t->kind = TK_COLONEQ;
        } else if (is_id_start(c1)) {
            while (is_id_char(peekc(lx, 0)))
                adv(lx);
            t->kind = TK_PARAM;
        } else {
            set_err(t, "unrecognized token");
        }
        break;
    case '@':
    case '$':
        adv(lx);
        if (is_id_char(c1)) {
            while (is_id_char(peekc(lx, 0)))
                adv(lx);
            t->kind = TK_PARAM;
        } else {
            set_err(t, "unrecognized token");
        }
        break;
    case '?':
        adv(lx);
        while (is_digit(peekc(lx, 0)))
            adv(lx);
        t->kind = TK_PARAM;
        break;
    case '\'':
        if ((q = scan_quoted(lx, '\'')) != 0)
            set_err(t, q == -2 ? "NUL character in string literal" : "unterminated string literal");
        else
            t->kind = TK_STRING;
        break;
    case '"':
    case '`':
        if ((q = scan_quoted(lx, (char)c)) != 0)
            set_err(t, q == -2 ? "NUL character in quoted identifier" : "unterminated quoted identifier");
        else if (lx->src + lx->pos - t->p == 2)
            set_err(t, "zero-length delimited identifier");
        else
            t->kind = TK_QIDENT;
        break;
    case '.':
        if (is_digit(c1))
            scan_number(lx, t);
        else {
            adv(lx);
            t->kind = TK_DOT;
        }
        break;
    default:
        if (is_digit(c)) {
            scan_number(lx, t);
        } else if ((c == 'x' || c == 'X') && c1 == '\'') {
            adv(lx);
            if ((q = scan_quoted(lx, '\'')) != 0) {
                set_err(t, q == -2 ? "malformed blob literal" : "unterminated blob literal");
                break;
            }
            size_t n = (size_t)(lx->src + lx->pos - t->p) - 3;
            int ok = n % 2 == 0;
            for (size_t i = 0; ok && i < n; i++)
                ok = is_hex((unsigned char)t->p[2 + i]);
            if (ok)
                t->kind = TK_BLOB;
            else
                set_err(t, "malformed blob literal");
        } else if (is_id_start(c)) {
            while (is_id_char(peekc(lx, 0)))
                adv(lx);
            size_t n = (size_t)(lx->src + lx->pos - t->p);
            /* DNA:ACGT — only when the whole word after the colon is bases, so that a column
             * named dna followed by a :param still lexes as two tokens */
            if (n == 3 && lex_keyword(t->p, 3) == KW_NONE && (t->p[0] | 32) == 'd' &&
                (t->p[1] | 32) == 'n' && (t->p[2] | 32) == 'a' && peekc(lx, 0) == ':') {
                size_t k = 1;
                int cc;
                while ((cc = peekc(lx, k)) == 'A' || cc == 'C' || cc == 'G' || cc == 'T' ||
                       cc == 'a' || cc == 'c' || cc == 'g' || cc == 't')
                    k++;
                if (k > 1 && !is_id_char(peekc(lx, k))) {
                    while (k--)
                        adv(lx);
                    t->kind = TK_DNA;
                    break;
                }
            }
            t->kind = TK_WORD;
            t->kw = lex_keyword(t->p, n);
        } else {
            adv(lx);
            while (lx->pos < lx->len && ((unsigned char)lx->src[lx->pos] & 0xC0) == 0x80)
                adv(lx);
            set_err(t, "unrecognized token");
        }
        break;
    }
    t->len = (uint32_t)(lx->src + lx->pos - t->p);
}
