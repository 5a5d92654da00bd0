/*
 * slt_result.c — rendering, sorting, hashing and comparing query results the way the
 * reference sqllogictest program does (slt.h).
 *
 * The reference (slt_sqlite.c) renders through SQLite's column accessors, so a value of
 * another type under an I or R letter takes SQLite's conversion: a text's leading integer or
 * number, a REAL truncated toward zero. slt_text_int and slt_text_real reproduce those
 * readings here instead of relying on the engine's own casts, which follow PostgreSQL and
 * would refuse "12abc". R goes through SQLite's printf, which produces at most 16 significant
 * digits and pads with zeros after them; the SQLite that wrote the corpus rounded at the 16th
 * digit (it expects -9223372036854776000.000 for -2^63, where SQLite 3.40 would truncate to
 * ...775000.000), and slt_real3 follows the corpus. Hashes are MD5 over each value followed by '\n'
 * (OpenSSL's EVP API).
 */
#include "slt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "nqdb.h"

int64_t slt_text_int(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    int neg = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    uint64_t v = 0;
    int over = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            over = 1;
        else
            v = v * 10 + (uint64_t)(*s - '0');
    }
    if (neg)
        return over || v > (uint64_t)INT64_MAX + 1 ? INT64_MIN : (int64_t)(0 - v);
    return over || v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

double slt_text_real(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    /* strtod also reads hex, inf and nan, which SQLite does not: accept only the decimal
     * shape [+-] digits [. digits] [e [+-] digits] */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!(*p >= '0' && *p <= '9') && !(*p == '.' && p[1] >= '0' && p[1] <= '9'))
        return 0.0;
    if (*p == '0' && (p[1] == 'x' || p[1] == 'X'))
        return (double)slt_text_int(s); /* "0x10" reads as 0 */
    return strtod(s, NULL);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *slt_real3(double r)
{
    char buf[400];
    if (isnan(r))
        return dup_str("NaN");
    if (isinf(r))
        return dup_str(r > 0 ? "Inf" : "-Inf");
    if (r == 0)
        r = 0; /* SQLite prints -0.0 as 0.000 */
    /* 16 significant digits, as d.ddddddddddddddde+XX */
    char e[40];
    snprintf(e, sizeof e, "%.15e", r);
    const char *ex = strchr(e, 'e');
    int exp = ex ? atoi(ex + 1) : 0;
    if (exp < 13) { /* %.3f shows at most 16 significant digits: C's answer is SQLite's */
        snprintf(buf, sizeof buf, "%.3f", r);
        return dup_str(buf);
    }
    /* more digits than 16: the digits of e, then zeros, then ".000" and zeros */
    char digits[17] = {0};
    int nd = 0;
    for (const char *p = e; p < ex && nd < 16; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    char *w = buf;
    if (r < 0)
        *w++ = '-';
    for (int i = 0; i <= exp; i++)
        *w++ = i < nd ? digits[i] : '0';
    *w++ = '.';
    for (int i = exp + 1; i < exp + 4; i++)
        *w++ = i < nd ? digits[i] : '0';
    *w = 0;
    return dup_str(buf);
}

char *slt_render(char letter, const slt_value *v)
{
    char buf[64];
    if (v->type == NQ_TYPE_NULL)
        return dup_str("NULL");
    switch (letter) {
    case 'I': {
        int64_t i = v->type == NQ_TYPE_TEXT ? slt_text_int(v->text ? v->text : "") : v->i;
        snprintf(buf, sizeof buf, "%lld", (long long)i);
        return dup_str(buf);
    }
    case 'R':
        return slt_real3(v->type == NQ_TYPE_TEXT ? slt_text_real(v->text ? v->text : "") : v->r);
    default: {
        const char *t = v->text ? v->text : "";
        if (!*t)
            return dup_str("(empty)");
        char *s = dup_str(t);
        if (s)
            for (unsigned char *p = (unsigned char *)s; *p; p++)
                if (*p < ' ' || *p > '~')
                    *p = '@';
        return s;
    }
    }
}

/* ---- sorting ------------------------------------------------------------------------------ */

static int cmp_value(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct rowref {
    char **v;
    int ncols; /* in every element, since qsort passes no context */
} rowref;

static int cmp_row(const void *a, const void *b)
{
    const rowref *x = a, *y = b;
    for (int i = 0; i < x->ncols; i++) {
        int c = strcmp(x->v[i], y->v[i]);
        if (c)
            return c;
    }
    return 0;
}

void slt_sort_values(char **values, size_t nrows, int ncols, slt_sort sort)
{
    if (sort == SLT_VALUESORT) {
        qsort(values, nrows * (size_t)ncols, sizeof *values, cmp_value);
        return;
    }
    if (sort != SLT_ROWSORT || nrows < 2 || ncols < 1)
        return;
    /* sort references to rows, then lay the values out again in the new order */
    rowref *rows = malloc(nrows * sizeof *rows);
    char **copy = malloc(nrows * (size_t)ncols * sizeof *copy);
    if (rows && copy) {
        memcpy(copy, values, nrows * (size_t)ncols * sizeof *copy);
        for (size_t i = 0; i < nrows; i++)
            rows[i] = (rowref){copy + i * (size_t)ncols, ncols};
        qsort(rows, nrows, sizeof *rows, cmp_row);
        for (size_t i = 0; i < nrows; i++)
            memcpy(values + i * (size_t)ncols, rows[i].v, (size_t)ncols * sizeof *values);
    }
    free(rows);
    free(copy);
}

/* ---- hashing and comparing ---------------------------------------------------------------- */

int slt_hash(char *const *values, size_t n, char *out, size_t outlen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, values[i], strlen(values[i])) &&
             EVP_DigestUpdate(ctx, "\n", 1);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(out, outlen, "%zu values hashing to %s", n, hex);
    return 0;
}

/* Is line of the form "N values hashing to H"? */
static int is_hash_line(const char *line)
{
    const char *p = line;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    return !strncmp(p, " values hashing to ", 19);
}

/* strcmp ignoring trailing blanks of either side (script lines are stored trimmed) */
static int same_trimmed(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    while (na && isspace((unsigned char)a[na - 1]))
        na--;
    while (nb && isspace((unsigned char)b[nb - 1]))
        nb--;
    return na == nb && !memcmp(a, b, na);
}

int slt_match(const slt_record *rec, char *const *values, size_t nrows, int ncols)
{
    size_t n = nrows * (size_t)ncols;
    if (rec->nexpected == 1 && is_hash_line(rec->expected[0])) {
        char h[96];
        return slt_hash(values, n, h, sizeof h) == 0 && !strcmp(h, rec->expected[0]);
    }
    if ((size_t)rec->nexpected == n) {
        for (size_t i = 0; i < n; i++)
            if (!same_trimmed(rec->expected[i], values[i]))
                return 0;
        return 1;
    }
    if ((size_t)rec->nexpected == nrows && ncols > 1) {
        for (size_t r = 0; r < nrows; r++) {
            const char *e = rec->expected[r];
            for (int c = 0; c < ncols; c++) {
                const char *v = values[r * (size_t)ncols + (size_t)c];
                size_t len = strlen(v);
                if (strncmp(e, v, len))
                    return 0;
                e += len;
                if (c + 1 < ncols) {
                    if (*e != ' ')
                        return 0;
                    e++;
                }
            }
            if (*e)
                return 0;
        }
        return 1;
    }
    return 0;
}

int slt_expected_hash(const slt_record *rec, char *out, size_t outlen)
{
    if (rec->nexpected == 1 && is_hash_line(rec->expected[0])) {
        snprintf(out, outlen, "%s", rec->expected[0]);
        return 0;
    }
    return slt_hash(rec->expected, (size_t)rec->nexpected, out, outlen);
}
