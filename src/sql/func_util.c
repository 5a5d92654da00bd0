/*
 * func_util.c — the shared plumbing of the built-in functions (see func_int.h).
 *
 * Argument coercion lives here, once, so that every function words its type errors the same
 * way ("lpad: argument 2 must be an integer, not TEXT") and converts non-text scalars to text
 * through sqlv_cast — the same output form SELECT prints — rather than each function having
 * its own idea of what 1.0 looks like as text.
 *
 * UTF-8: a character is a well-formed lead byte plus its continuation bytes; any other byte
 * is one character on its own. Nothing here rejects invalid UTF-8 (value.c does not validate
 * TEXT either), but nothing reads past the end or splits a well-formed character.
 *
 * Case mapping covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic by rule (the
 * scripts where upper/lower pairs sit at fixed offsets); other code points map to themselves.
 * That is what a short table can do honestly without the full Unicode database.
 */
#include "sql/func_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- arguments ------------------------------------------------------------------------- */
int fn_arg_type_error(const char *fname, int argn, const sqlv *v, const char *want, nq_err *e)
{
    return nq_err_set(e, NQ_ETYPE, "%s: argument %d must be %s, not %s", fname, argn, want,
                      sqlv_type_name(v->type));
}

int fn_arg_text(const char *fname, int argn, const sqlv *v, fn_str *s, nq_err *e)
{
    s->hold = sqlv_null();
    if (v->type == SQLV_TEXT) {
        s->p = (const char *)v->p;
        s->n = v->n;
        if (!s->p)
            s->p = "";
        return 0;
    }
    if (v->type == SQLV_BLOB || v->type == SQLV_VECTOR || v->type == SQLV_NULL)
        return fn_arg_type_error(fname, argn, v, "text", e);
    int rc = sqlv_cast(v, SQLV_TEXT, &s->hold, e);
    if (rc)
        return rc;
    s->p = (const char *)s->hold.p;
    s->n = s->hold.n;
    return 0;
}

void fn_str_free(fn_str *s) { sqlv_clear(&s->hold); }

int fn_arg_int(const char *fname, int argn, const sqlv *v, int64_t *out, nq_err *e)
{
    if (v->type == SQLV_INT) {
        *out = v->i;
        return 0;
    }
    if (v->type == SQLV_REAL) {
        sqlv t;
        int rc = sqlv_cast(v, SQLV_INT, &t, e);
        if (rc)
            return nq_err_prefix(e, rc, "%s", fname);
        *out = t.i;
        return 0;
    }
    return fn_arg_type_error(fname, argn, v, "an integer", e);
}

int fn_arg_real(const char *fname, int argn, const sqlv *v, double *out, nq_err *e)
{
    if (v->type == SQLV_INT) {
        *out = (double)v->i;
        return 0;
    }
    if (v->type == SQLV_REAL) {
        *out = v->r;
        return 0;
    }
    return fn_arg_type_error(fname, argn, v, "a number", e);
}

/* ---- results --------------------------------------------------------------------------- */
int fn_set_text(sqlv *out, const char *p, size_t n, nq_err *e)
{
    if (n > FN_TEXT_MAX)
        return nq_err_set(e, NQ_ETOOBIG, "result text is too long (%zu bytes)", n);
    char *c = malloc(n + 1);
    if (!c)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (n)
        memcpy(c, p, n);
    c[n] = 0;
    *out = sqlv_text(c, n);
    out->owned = 1;
    return 0;
}

int fn_set_real(const char *fname, double r, int inf_ok, sqlv *out, nq_err *e)
{
    if (isnan(r))
        return nq_err_set(e, NQ_ERROR, "%s: result is not a number", fname);
    if (isinf(r) && !inf_ok)
        return nq_err_set(e, NQ_ERROR, "%s: value out of range: overflow", fname);
    *out = sqlv_real(r);
    return 0;
}

void fn_set_borrowed(sqlv *out, const sqlv *arg)
{
    *out = *arg;
    out->owned = 0;
}

static void buf_reserve(fn_buf *b, size_t more)
{
    if (b->bad)
        return;
    if (more > FN_TEXT_MAX || b->n + more > FN_TEXT_MAX) {
        b->bad = 2;
        return;
    }
    if (b->n + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 32;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->bad = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

void fn_buf_add(fn_buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    buf_reserve(b, n);
    if (b->bad)
        return;
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void fn_buf_addc(fn_buf *b, char c) { fn_buf_add(b, &c, 1); }

void fn_buf_addcp(fn_buf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c, n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | (c >> 6 & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | (c >> 12 & 0x3F));
        u[2] = (char)(0x80 | (c >> 6 & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), n = 4;
    }
    fn_buf_add(b, u, n);
}

int fn_buf_finish(fn_buf *b, sqlv *out, nq_err *e)
{
    if (b->bad) {
        int big = b->bad == 2;
        fn_buf_free(b);
        return big ? nq_err_set(e, NQ_ETOOBIG, "result text is too long (over %zu bytes)",
                                FN_TEXT_MAX)
                   : nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    if (!b->p)
        return fn_set_text(out, "", 0, e);
    b->p[b->n] = 0;
    *out = sqlv_text(b->p, b->n);
    out->owned = 1;
    b->p = NULL;
    b->n = b->cap = 0;
    return 0;
}

void fn_buf_free(fn_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->bad = 0;
}

/* ---- UTF-8 ----------------------------------------------------------------------------- */
size_t fn_utf8_clen(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    uint8_t c = p[0];
    size_t want;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 1; /* continuation byte or overlong lead */
    want = c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (!want || want > n)
        return 1;
    for (size_t k = 1; k < want; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 1;
    return want;
}

size_t fn_utf8_count(const char *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; c++) {
        if ((uint8_t)p[i] < 0x80)
            i++;
        else
            i += fn_utf8_clen(p + i, n - i);
    }
    return c;
}

uint32_t fn_utf8_decode(const char *s, size_t clen)
{
    const uint8_t *p = (const uint8_t *)s;
    switch (clen) {
    case 2: return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    case 3: return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    case 4:
        return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
               (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
    default: return p[0];
    }
}

uint32_t fn_cp_upper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7))
        return c - 0x20;
    if (c == 0xFF)
        return 0x178;
    if (c >= 0x100 && c <= 0x137 && c != 0x131)
        return c & ~1u; /* pairs: even upper, odd lower */
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1) ? c : c - 1; /* pairs: odd upper, even lower */
    if (c >= 0x14A && c <= 0x177)
        return c & ~1u;
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return c - 0x20;
    if (c == 0x3C2) /* final sigma */
        return 0x3A3;
    if (c >= 0x430 && c <= 0x44F)
        return c - 0x20;
    if (c >= 0x450 && c <= 0x45F)
        return c - 0x50;
    return c;
}

uint32_t fn_cp_lower(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 0x20;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x100 && c <= 0x137 && c != 0x130)
        return c | 1u;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177)
        return c | 1u;
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 0x20;
    if (c >= 0x410 && c <= 0x42F)
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40F)
        return c + 0x50;
    return c;
}

int fn_cp_isalnum(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    /* letters of the mapped scripts, and everything else above ASCII that is not Latin-1
     * punctuation: initcap treats non-ASCII as word characters as PostgreSQL does for
     * letters */
    if (c < 0xC0)
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    return c != 0xD7 && c != 0xF7;
}
