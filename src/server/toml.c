/*
 * toml.c — the TOML subset reader described in toml.h.
 *
 * How it works: one pass first checks that the whole input is UTF-8 without control
 * characters (TOML forbids them everywhere but tab, LF and CRLF), so the grammar below can
 * treat every byte >= 0x80 as part of a valid character and never meets a stray NUL or CR.
 * Then a recursive-descent parser walks the document line by line: a line is empty, a
 * comment, a [header] or a key = value pair. Values recurse only through arrays and inline
 * tables, and every container carries its depth, so recursion stops at TOML_MAX_DEPTH.
 *
 * Tables remember how they came to exist (flags), which is what TOML's redefinition rules are
 * about: a table named by a [header] may be named by a header only once; a table created as
 * the parent of a header ([a.b] creates a) may get its own header later; a table created by a
 * dotted key (a.b = 1 creates a) can be extended by more dotted keys but not by a header of
 * its own; an inline table is closed once its '}' is read.
 *
 * Positions: the parser keeps the current line number and the offset where the line starts;
 * a column is the number of characters (UTF-8 lead bytes) from there, plus one.
 */
#include "toml.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_IMPLICIT 1u /* created as the parent of a [header] */
#define T_HEADER 2u   /* defined by its own [header] */
#define T_DOTTED 4u   /* created by a dotted key */
#define T_INLINE 8u   /* an inline table { ... }: closed */

typedef struct parser {
    const char *s;
    size_t n, i;
    unsigned line;
    size_t line_start;
    toml_error *err;
    int failed;
    toml_value *root, *cur;
    char cur_path[512]; /* dotted name of cur, for messages ("" = root) */
} parser;

typedef struct keypart {
    char *s;
    unsigned line, col;
} keypart;

/* ---- positions and errors ---------------------------------------------------------------- */

static unsigned col_at(const parser *p, size_t at)
{
    unsigned c = 1;
    for (size_t k = p->line_start; k < at && k < p->n; k++)
        if (((unsigned char)p->s[k] & 0xC0) != 0x80)
            c++;
    return c;
}

static int fail_at(parser *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = 1;
    p->err->line = line;
    p->err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

#define FAIL(p, ...) fail_at((p), (p)->line, col_at((p), (p)->i), __VA_ARGS__)

/* What is at the current position, for "expected X, got Y" messages. */
static const char *describe_here(const parser *p, char *buf, size_t cap)
{
    if (p->i >= p->n)
        return "end of file";
    unsigned char c = (unsigned char)p->s[p->i];
    if (c == '\n' || c == '\r')
        return "end of line";
    if (c >= 0x21 && c < 0x7F)
        snprintf(buf, cap, "'%c'", c);
    else if (c == ' ' || c == '\t')
        return "white space";
    else
        return "a non-ASCII character";
    return buf;
}

/* ---- the input check ---------------------------------------------------------------------- */

static int check_bytes(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t n = p->n;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c == '\n') {
            i++;
            p->line++;
            p->line_start = i;
            continue;
        }
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && !(c == '\r' && i + 1 < n && s[i + 1] == '\n')) || c == 0x7F) {
                p->i = i;
                return FAIL(p, "control character U+%04X is not allowed%s", c,
                            c == '\r' ? " (a CR must be followed by LF)" : "");
            }
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            p->i = i;
            return FAIL(p, "invalid UTF-8 (byte 0x%02X)", c);
        }
        for (size_t k = 1; k <= need; k++) {
            unsigned d = i + k < n ? s[i + k] : 0;
            unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
            if (d < l || d > h) {
                p->i = i;
                return FAIL(p, "invalid UTF-8 (byte 0x%02X)", c);
            }
        }
        i += need + 1;
    }
    p->line = 1;
    p->line_start = 0;
    return 0;
}

/* ---- small helpers ------------------------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int buf_put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

static int is_bare(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int at_eol(const parser *p)
{
    return p->i >= p->n || p->s[p->i] == '\n' || p->s[p->i] == '\r';
}

static void skip_ws(parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
        p->i++;
}

static void skip_comment(parser *p)
{
    if (p->i < p->n && p->s[p->i] == '#')
        while (!at_eol(p))
            p->i++;
}

/* At a newline (LF or CRLF; the input check guarantees a CR is followed by LF): consume it. */
static void eat_newline(parser *p)
{
    if (p->i < p->n && p->s[p->i] == '\r')
        p->i++;
    if (p->i < p->n && p->s[p->i] == '\n') {
        p->i++;
        p->line++;
        p->line_start = p->i;
    }
}

/* White space, comments and newlines (inside arrays). */
static void skip_ws_nl(parser *p)
{
    for (;;) {
        skip_ws(p);
        skip_comment(p);
        if (p->i < p->n && (p->s[p->i] == '\n' || p->s[p->i] == '\r'))
            eat_newline(p);
        else
            return;
    }
}

/* After a header or key/value: only white space and a comment may follow on the line. */
static int end_of_line(parser *p, const char *after)
{
    skip_ws(p);
    skip_comment(p);
    if (p->i >= p->n)
        return 0;
    if (p->s[p->i] == '\n' || p->s[p->i] == '\r') {
        eat_newline(p);
        return 0;
    }
    char b[8];
    return FAIL(p, "expected a new line after %s, got %s", after, describe_here(p, b, sizeof b));
}

static toml_value *new_value(parser *p, toml_type t, unsigned line, unsigned col)
{
    toml_value *v = calloc(1, sizeof *v);
    if (!v) {
        FAIL(p, "out of memory");
        return NULL;
    }
    v->type = t;
    v->line = line;
    v->col = col;
    return v;
}

void toml_free(toml_value *v)
{
    if (!v)
        return;
    if (v->type == TOML_STRING)
        free(v->u.s);
    for (size_t k = 0; k < v->n; k++) {
        if (v->type == TOML_ARRAY)
            toml_free(v->items[k]);
        else if (v->type == TOML_TABLE) {
            free(v->entries[k].key);
            toml_free(v->entries[k].value);
        }
    }
    free(v->items);
    free(v->entries);
    free(v);
}

const char *toml_type_name(toml_type t)
{
    switch (t) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "boolean";
    case TOML_ARRAY:
        return "array";
    case TOML_TABLE:
        return "table";
    }
    return "value";
}

static toml_entry *find_entry(const toml_value *t, const char *key)
{
    for (size_t k = 0; k < t->n; k++)
        if (strcmp(t->entries[k].key, key) == 0)
            return &t->entries[k];
    return NULL;
}

const toml_value *toml_get(const toml_value *t, const char *key)
{
    if (!t || t->type != TOML_TABLE)
        return NULL;
    toml_entry *e = find_entry(t, key);
    return e ? e->value : NULL;
}

/* Adds key -> v to table t; takes ownership of key and v (frees them on failure). */
static toml_entry *add_entry(parser *p, toml_value *t, char *key, unsigned line, unsigned col, toml_value *v)
{
    if (t->n >= TOML_MAX_KEYS) {
        free(key);
        toml_free(v);
        fail_at(p, line, col, "too many keys in one table (more than %d)", TOML_MAX_KEYS);
        return NULL;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        toml_entry *ne = realloc(t->entries, cap * sizeof *ne);
        if (!ne) {
            free(key);
            toml_free(v);
            fail_at(p, line, col, "out of memory");
            return NULL;
        }
        t->entries = ne;
        t->cap = cap;
    }
    toml_entry *e = &t->entries[t->n++];
    e->key = key;
    e->line = line;
    e->col = col;
    e->value = v;
    return e;
}

static int add_item(parser *p, toml_value *a, toml_value *v)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        toml_value **ni = realloc(a->items, cap * sizeof *ni);
        if (!ni) {
            toml_free(v);
            return FAIL(p, "out of memory");
        }
        a->items = ni;
        a->cap = cap;
    }
    a->items[a->n++] = v;
    return 0;
}

/* ---- strings ------------------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int put_utf8(buf *b, unsigned long cp)
{
    char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_put(b, o, n);
}

/* At '"' or '\''. On success *out is a malloc'd NUL-terminated string. */
static int parse_string(parser *p, char **out)
{
    char q = p->s[p->i];
    unsigned line = p->line, col = col_at(p, p->i);
    if (p->i + 2 < p->n && p->s[p->i + 1] == q && p->s[p->i + 2] == q)
        return FAIL(p, "not supported yet: multi-line strings (%c%c%c)", q, q, q);
    p->i++;
    buf b = {0};
    for (;;) {
        if (at_eol(p)) {
            free(b.p);
            return fail_at(p, line, col, "unterminated string (a string must end on the line where it starts)");
        }
        char c = p->s[p->i];
        if (c == q) {
            p->i++;
            break;
        }
        if (c == '\\' && q == '"') {
            size_t esc = p->i;
            char e = p->i + 1 < p->n ? p->s[p->i + 1] : '\0';
            const char *rep = NULL;
            switch (e) {
            case 'b': rep = "\b"; break;
            case 't': rep = "\t"; break;
            case 'n': rep = "\n"; break;
            case 'f': rep = "\f"; break;
            case 'r': rep = "\r"; break;
            case '"': rep = "\""; break;
            case '\\': rep = "\\"; break;
            default: break;
            }
            if (rep) {
                if (buf_put(&b, rep, 1) < 0)
                    goto oom;
                p->i += 2;
                continue;
            }
            if (e == 'u' || e == 'U') {
                int digits = e == 'u' ? 4 : 8;
                unsigned long cp = 0;
                for (int k = 0; k < digits; k++) {
                    size_t at = p->i + 2 + (size_t)k;
                    int h = at < p->n ? hexval(p->s[at]) : -1;
                    if (h < 0) {
                        free(b.p);
                        return fail_at(p, p->line, col_at(p, esc),
                                       "invalid escape: \\%c needs %d hexadecimal digits", e, digits);
                    }
                    cp = cp * 16 + (unsigned long)h;
                }
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    free(b.p);
                    return fail_at(p, p->line, col_at(p, esc),
                                   "invalid escape: U+%04lX is not a Unicode scalar value", cp);
                }
                if (cp == 0) {
                    free(b.p);
                    return fail_at(p, p->line, col_at(p, esc), "\\u0000 (NUL) is not allowed in a string");
                }
                if (put_utf8(&b, cp) < 0)
                    goto oom;
                p->i += 2 + (size_t)digits;
                continue;
            }
            free(b.p);
            if (e == '\n' || e == '\r' || e == '\0')
                return fail_at(p, p->line, col_at(p, esc),
                               "not supported yet: line-ending backslash (only in multi-line strings)");
            if ((unsigned char)e >= 0x21 && (unsigned char)e < 0x7F)
                return fail_at(p, p->line, col_at(p, esc), "invalid escape sequence \\%c", e);
            return fail_at(p, p->line, col_at(p, esc), "invalid escape sequence (backslash before a non-escape character)");
        }
        /* a run of plain bytes */
        size_t st = p->i;
        while (p->i < p->n && p->s[p->i] != q && p->s[p->i] != '\\' && p->s[p->i] != '\n' && p->s[p->i] != '\r')
            p->i++;
        if (p->i == st) /* a backslash inside a literal string */
            p->i++;
        if (buf_put(&b, p->s + st, p->i - st) < 0)
            goto oom;
    }
    if (!b.p) {
        b.p = malloc(1);
        if (!b.p)
            return FAIL(p, "out of memory");
        b.p[0] = '\0';
    }
    *out = b.p;
    return 0;
oom:
    free(b.p);
    return FAIL(p, "out of memory");
}

/* ---- keys --------------------------------------------------------------------------------- */

static void free_parts(keypart *k, unsigned n)
{
    for (unsigned j = 0; j < n; j++)
        free(k[j].s);
}

/* A simple or dotted key; parts[] gets up to TOML_MAX_DEPTH malloc'd parts. */
static int parse_key(parser *p, keypart *parts, unsigned *np)
{
    *np = 0;
    for (;;) {
        skip_ws(p);
        unsigned line = p->line, col = col_at(p, p->i);
        char *s = NULL;
        if (p->i < p->n && (p->s[p->i] == '"' || p->s[p->i] == '\'')) {
            if (parse_string(p, &s) < 0)
                goto fail;
        } else if (p->i < p->n && is_bare((unsigned char)p->s[p->i])) {
            size_t st = p->i;
            while (p->i < p->n && is_bare((unsigned char)p->s[p->i]))
                p->i++;
            s = malloc(p->i - st + 1);
            if (!s) {
                FAIL(p, "out of memory");
                goto fail;
            }
            memcpy(s, p->s + st, p->i - st);
            s[p->i - st] = '\0';
        } else {
            char b[8];
            FAIL(p, "expected a key, got %s", describe_here(p, b, sizeof b));
            goto fail;
        }
        if (*np >= TOML_MAX_DEPTH) {
            free(s);
            fail_at(p, line, col, "key has too many dotted parts (more than %d)", TOML_MAX_DEPTH);
            goto fail;
        }
        parts[*np].s = s;
        parts[*np].line = line;
        parts[*np].col = col;
        (*np)++;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == '.') {
            p->i++;
            continue;
        }
        return 0;
    }
fail:
    free_parts(parts, *np);
    *np = 0;
    return -1;
}

static void path_join(char *dst, size_t cap, const char *base, keypart *parts, unsigned n)
{
    size_t len = (size_t)snprintf(dst, cap, "%s", base);
    for (unsigned j = 0; j < n && len < cap; j++)
        len += (size_t)snprintf(dst + len, cap - len, "%s%s", len ? "." : "", parts[j].s);
}

/* ---- numbers ------------------------------------------------------------------------------ */

static int is_num_char(unsigned char c)
{
    return is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* digits with single underscores between digits; base 10/16/8/2. Returns the count of digits
 * or -1 when an underscore is misplaced or a character is not a digit of the base. */
static int check_digits(const char *s, size_t n, int base)
{
    int cnt = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (c == '_') {
            if (k == 0 || k + 1 == n || s[k - 1] == '_')
                return -1;
            continue;
        }
        int d = hexval(c);
        if (d < 0 || d >= base)
            return -1;
        cnt++;
    }
    return cnt;
}

static int parse_number(parser *p, toml_value *v)
{
    size_t st = p->i;
    while (p->i < p->n && is_num_char((unsigned char)p->s[p->i]))
        p->i++;
    const char *t = p->s + st;
    size_t n = p->i - st;
    unsigned col = col_at(p, st);
    int shown = n > 40 ? 40 : (int)n;
    /* dates: 1979-05-27, 07:32:00 */
    if (memchr(t, ':', n) || (n >= 10 && t[4] == '-' && t[7] == '-' && check_digits(t, 4, 10) == 4))
        return fail_at(p, p->line, col, "not supported yet: dates and times (%.*s)", shown, t);
    size_t k = 0;
    int neg = 0;
    if (k < n && (t[k] == '+' || t[k] == '-'))
        neg = t[k++] == '-';
    const char *d = t + k;
    size_t dn = n - k;
    if ((dn == 3 && memcmp(d, "inf", 3) == 0) || (dn == 3 && memcmp(d, "nan", 3) == 0)) {
        v->type = TOML_FLOAT;
        v->u.f = d[0] == 'i' ? (neg ? -HUGE_VAL : HUGE_VAL) : (neg ? -NAN : NAN);
        return 0;
    }
    if (dn >= 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'o' || d[1] == 'b')) {
        int base = d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2;
        if (k > 0)
            return fail_at(p, p->line, col, "invalid number %.*s: a sign is not allowed with 0%c", shown, t, d[1]);
        if (check_digits(d + 2, dn - 2, base) <= 0)
            return fail_at(p, p->line, col, "invalid number %.*s", shown, t);
        uint64_t u = 0;
        for (size_t j = 2; j < dn; j++) {
            if (d[j] == '_')
                continue;
            uint64_t dv = (uint64_t)hexval(d[j]);
            if (u > (UINT64_C(0x7FFFFFFFFFFFFFFF) - dv) / (uint64_t)base)
                return fail_at(p, p->line, col, "integer %.*s is out of range (64-bit signed)", shown, t);
            u = u * (uint64_t)base + dv;
        }
        v->type = TOML_INTEGER;
        v->u.i = (int64_t)u;
        return 0;
    }
    /* decimal: int [. frac] [e exp] */
    size_t ie = 0;
    while (ie < dn && d[ie] != '.' && d[ie] != 'e' && d[ie] != 'E')
        ie++;
    int idig = check_digits(d, ie, 10);
    if (idig <= 0)
        return fail_at(p, p->line, col, "invalid value %.*s (expected a string, number, boolean, array or table)",
                       shown, t);
    if (d[0] == '0' && idig > 1)
        return fail_at(p, p->line, col, "invalid number %.*s: leading zeros are not allowed", shown, t);
    int isfloat = 0;
    size_t j = ie;
    if (j < dn && d[j] == '.') {
        isfloat = 1;
        size_t fs = ++j;
        while (j < dn && d[j] != 'e' && d[j] != 'E')
            j++;
        if (check_digits(d + fs, j - fs, 10) <= 0)
            return fail_at(p, p->line, col, "invalid number %.*s: digits must follow the '.'", shown, t);
    }
    if (j < dn && (d[j] == 'e' || d[j] == 'E')) {
        isfloat = 1;
        j++;
        if (j < dn && (d[j] == '+' || d[j] == '-'))
            j++;
        if (check_digits(d + j, dn - j, 10) <= 0)
            return fail_at(p, p->line, col, "invalid number %.*s: bad exponent", shown, t);
        j = dn;
    }
    if (j != dn)
        return fail_at(p, p->line, col, "invalid number %.*s", shown, t);
    if (!isfloat) {
        uint64_t u = 0, lim = neg ? UINT64_C(0x8000000000000000) : UINT64_C(0x7FFFFFFFFFFFFFFF);
        for (size_t q = 0; q < dn; q++) {
            if (d[q] == '_')
                continue;
            uint64_t dv = (uint64_t)(d[q] - '0');
            if (u > (lim - dv) / 10)
                return fail_at(p, p->line, col, "integer %.*s is out of range (64-bit signed)", shown, t);
            u = u * 10 + dv;
        }
        v->type = TOML_INTEGER;
        v->u.i = neg ? (u == UINT64_C(0x8000000000000000) ? INT64_MIN : -(int64_t)u) : (int64_t)u;
        return 0;
    }
    char tmp[128];
    size_t o = 0;
    for (size_t q = 0; q < n && o + 1 < sizeof tmp; q++)
        if (t[q] != '_')
            tmp[o++] = t[q];
    if (o + 1 >= sizeof tmp)
        return fail_at(p, p->line, col, "float %.*s is too long", shown, t);
    tmp[o] = '\0';
    char *end;
    double f = strtod(tmp, &end);
    if (*end != '\0')
        return fail_at(p, p->line, col, "invalid number %.*s", shown, t);
    if (isinf(f))
        return fail_at(p, p->line, col, "float %.*s is out of range", shown, t);
    v->type = TOML_FLOAT;
    v->u.f = f;
    return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

static int parse_keyval(parser *p, toml_value *table, const char *table_path, unsigned depth);

static int parse_value(parser *p, toml_value **out, unsigned depth)
{
    *out = NULL;
    unsigned line = p->line, col = col_at(p, p->i);
    size_t st = p->i;
    if (depth > TOML_MAX_DEPTH)
        return FAIL(p, "nesting too deep (more than %d levels)", TOML_MAX_DEPTH);
    char c = p->i < p->n ? p->s[p->i] : '\0';
    toml_value *v = new_value(p, TOML_BOOL, line, col);
    if (!v)
        return -1;
    v->depth = depth;
    v->src_off = st;
    if (c == '"' || c == '\'') {
        v->type = TOML_STRING;
        if (parse_string(p, &v->u.s) < 0)
            goto fail;
    } else if (c == '[') {
        v->type = TOML_ARRAY;
        p->i++;
        for (;;) {
            skip_ws_nl(p);
            if (p->i >= p->n) {
                fail_at(p, line, col, "unterminated array (no ']' before the end of the file)");
                goto fail;
            }
            if (p->s[p->i] == ']') {
                p->i++;
                break;
            }
            toml_value *item;
            if (parse_value(p, &item, depth + 1) < 0)
                goto fail;
            if (add_item(p, v, item) < 0)
                goto fail;
            skip_ws_nl(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == ']') {
                p->i++;
                break;
            }
            if (p->i >= p->n) {
                fail_at(p, line, col, "unterminated array (no ']' before the end of the file)");
                goto fail;
            }
            char b[8];
            FAIL(p, "expected ',' or ']' in an array, got %s", describe_here(p, b, sizeof b));
            goto fail;
        }
    } else if (c == '{') {
        v->type = TOML_TABLE;
        v->flags = T_INLINE;
        p->i++;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
        } else {
            for (;;) {
                if (at_eol(p)) {
                    FAIL(p, "unterminated inline table (an inline table must end on the line where it starts)");
                    goto fail;
                }
                if (parse_keyval(p, v, "", depth + 1) < 0)
                    goto fail;
                skip_ws(p);
                if (p->i < p->n && p->s[p->i] == ',') {
                    p->i++;
                    skip_ws(p);
                    if (p->i < p->n && p->s[p->i] == '}') {
                        FAIL(p, "a trailing comma is not allowed in an inline table");
                        goto fail;
                    }
                    continue;
                }
                if (p->i < p->n && p->s[p->i] == '}') {
                    p->i++;
                    break;
                }
                if (at_eol(p)) {
                    FAIL(p, "unterminated inline table (an inline table must end on the line where it starts)");
                    goto fail;
                }
                char b[8];
                FAIL(p, "expected ',' or '}' in an inline table, got %s", describe_here(p, b, sizeof b));
                goto fail;
            }
        }
    } else if (c == 't' && p->n - p->i >= 4 && memcmp(p->s + p->i, "true", 4) == 0 &&
               (p->i + 4 == p->n || !is_num_char((unsigned char)p->s[p->i + 4]))) {
        v->u.b = 1;
        p->i += 4;
    } else if (c == 'f' && p->n - p->i >= 5 && memcmp(p->s + p->i, "false", 5) == 0 &&
               (p->i + 5 == p->n || !is_num_char((unsigned char)p->s[p->i + 5]))) {
        v->u.b = 0;
        p->i += 5;
    } else if (c == '+' || c == '-' || (c >= '0' && c <= '9') || c == 'i' || c == 'n') {
        if (parse_number(p, v) < 0)
            goto fail;
    } else {
        char b[8];
        if (is_bare((unsigned char)c)) {
            size_t e = p->i;
            while (e < p->n && is_bare((unsigned char)p->s[e]) && e - p->i < 40)
                e++;
            FAIL(p, "invalid value %.*s (strings need quotes; booleans are true and false)", (int)(e - p->i),
                 p->s + p->i);
        } else
            FAIL(p, "expected a value, got %s", describe_here(p, b, sizeof b));
        goto fail;
    }
    v->src_len = p->i - st;
    *out = v;
    return 0;
fail:
    toml_free(v);
    return -1;
}

/* key = value into table (the current [table] or an inline table). */
static int parse_keyval(parser *p, toml_value *table, const char *table_path, unsigned depth)
{
    keypart parts[TOML_MAX_DEPTH];
    unsigned np;
    char path[512];
    if (parse_key(p, parts, &np) < 0)
        return -1;
    path_join(path, sizeof path, table_path, parts, np);
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != '=') {
        char b[8];
        FAIL(p, "expected '=' after the key %s, got %s", path, describe_here(p, b, sizeof b));
        free_parts(parts, np);
        return -1;
    }
    p->i++;
    skip_ws(p);
    /* walk / create the tables of the dotted prefix */
    toml_value *t = table;
    for (unsigned j = 0; j + 1 < np; j++) {
        toml_entry *e = find_entry(t, parts[j].s);
        char sub[512];
        path_join(sub, sizeof sub, table_path, parts, j + 1);
        if (!e) {
            if (t->depth + 1 > TOML_MAX_DEPTH) {
                fail_at(p, parts[j].line, parts[j].col, "nesting too deep (more than %d levels)", TOML_MAX_DEPTH);
                goto fail;
            }
            toml_value *nt = new_value(p, TOML_TABLE, parts[j].line, parts[j].col);
            if (!nt)
                goto fail;
            nt->flags = T_DOTTED;
            nt->depth = t->depth + 1;
            e = add_entry(p, t, parts[j].s, parts[j].line, parts[j].col, nt);
            parts[j].s = NULL;
            if (!e)
                goto fail;
        } else if (e->value->type != TOML_TABLE) {
            fail_at(p, parts[j].line, parts[j].col, "%s is already a %s (line %u), not a table", sub,
                    toml_type_name(e->value->type), e->line);
            goto fail;
        } else if (e->value->flags & T_INLINE) {
            fail_at(p, parts[j].line, parts[j].col, "cannot add to the inline table %s (line %u)", sub, e->line);
            goto fail;
        } else if (!(e->value->flags & T_DOTTED)) {
            fail_at(p, parts[j].line, parts[j].col,
                    "cannot add to the table %s with a dotted key: it has a [header] (line %u)", sub, e->line);
            goto fail;
        }
        t = e->value;
    }
    keypart *last = &parts[np - 1];
    toml_entry *dup = find_entry(t, last->s);
    if (dup) {
        fail_at(p, last->line, last->col, "duplicate key %s (first defined at line %u)", path, dup->line);
        goto fail;
    }
    toml_value *v;
    if (parse_value(p, &v, t->depth + 1) < 0)
        goto fail;
    if (!add_entry(p, t, last->s, last->line, last->col, v)) {
        last->s = NULL;
        goto fail;
    }
    last->s = NULL;
    free_parts(parts, np);
    (void)depth;
    return 0;
fail:
    free_parts(parts, np);
    return -1;
}

/* [a.b.c] */
static int parse_header(parser *p)
{
    unsigned hline = p->line, hcol = col_at(p, p->i);
    if (p->i + 1 < p->n && p->s[p->i + 1] == '[')
        return FAIL(p, "not supported yet: arrays of tables ([[...]])");
    p->i++;
    keypart parts[TOML_MAX_DEPTH];
    unsigned np;
    if (parse_key(p, parts, &np) < 0)
        return -1;
    char path[512];
    path_join(path, sizeof path, "", parts, np);
    if (p->i >= p->n || p->s[p->i] != ']') {
        char b[8];
        FAIL(p, "expected ']' after the table name %s, got %s", path, describe_here(p, b, sizeof b));
        free_parts(parts, np);
        return -1;
    }
    p->i++;
    toml_value *t = p->root;
    for (unsigned j = 0; j < np; j++) {
        int lastpart = j + 1 == np;
        toml_entry *e = find_entry(t, parts[j].s);
        char sub[512];
        path_join(sub, sizeof sub, "", parts, j + 1);
        if (!e) {
            if (t->depth + 1 > TOML_MAX_DEPTH) {
                fail_at(p, parts[j].line, parts[j].col, "nesting too deep (more than %d levels)", TOML_MAX_DEPTH);
                goto fail;
            }
            toml_value *nt = new_value(p, TOML_TABLE, hline, hcol);
            if (!nt)
                goto fail;
            nt->flags = lastpart ? T_HEADER : T_IMPLICIT;
            nt->depth = t->depth + 1;
            e = add_entry(p, t, parts[j].s, hline, hcol, nt);
            parts[j].s = NULL;
            if (!e)
                goto fail;
        } else if (e->value->type != TOML_TABLE) {
            fail_at(p, parts[j].line, parts[j].col, "%s is already a %s (line %u), not a table", sub,
                    toml_type_name(e->value->type), e->line);
            goto fail;
        } else if (e->value->flags & T_INLINE) {
            fail_at(p, parts[j].line, parts[j].col, "cannot add to the inline table %s (line %u)", sub, e->line);
            goto fail;
        } else if (lastpart) {
            toml_value *x = e->value;
            if (x->flags & T_HEADER) {
                fail_at(p, hline, hcol, "duplicate table [%s] (first defined at line %u)", sub, e->line);
                goto fail;
            }
            if (x->flags & T_DOTTED) {
                fail_at(p, hline, hcol, "duplicate table [%s]: already defined by dotted keys at line %u", sub,
                        e->line);
                goto fail;
            }
            x->flags = T_HEADER; /* was T_IMPLICIT: now defined; messages point at this header */
            e->line = hline;
            e->col = hcol;
            x->line = hline;
            x->col = hcol;
        }
        t = e->value;
    }
    p->cur = t;
    snprintf(p->cur_path, sizeof p->cur_path, "%s", path);
    free_parts(parts, np);
    return 0;
fail:
    free_parts(parts, np);
    return -1;
}

toml_value *toml_parse(const char *text, size_t len, toml_error *err)
{
    parser P = {0}, *p = &P;
    toml_error scratch;
    p->s = text ? text : "";
    p->n = text ? len : 0;
    p->err = err ? err : &scratch;
    p->line = 1;
    memset(p->err, 0, sizeof *p->err);
    if (check_bytes(p) < 0)
        return NULL;
    if (p->n >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte order mark */
        p->i = p->line_start = 3;
    p->root = new_value(p, TOML_TABLE, 1, 1);
    if (!p->root)
        return NULL;
    p->root->flags = T_HEADER;
    p->cur = p->root;
    while (!p->failed) {
        skip_ws(p);
        skip_comment(p);
        if (p->i >= p->n)
            break;
        char c = p->s[p->i];
        if (c == '\n' || c == '\r') {
            eat_newline(p);
            continue;
        }
        if (c == '[') {
            if (parse_header(p) < 0 || end_of_line(p, "a table header") < 0)
                break;
        } else if (parse_keyval(p, p->cur, p->cur_path, p->cur->depth) < 0 ||
                   end_of_line(p, "a value") < 0)
            break;
    }
    if (p->failed) {
        toml_free(p->root);
        return NULL;
    }
    return p->root;
}
