/*
 * value.c — SQL values: comparison, arithmetic, casts and text output (see value.h).
 *
 * INTEGER vs REAL comparison is exact: converting the int64 to double would round above
 * 2^53 and make distinct values equal (and break the key codec's agreement with this file),
 * so the double is split into its integral part (compared as int64) and its fraction.
 */
#include "sql/value.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[SQLV_NTYPES] = {
    "NULL", "INTEGER", "REAL", "TEXT", "BLOB", "BOOLEAN", "DATE", "TIME", "TIMESTAMP",
    "NEURAL_VECTOR"};

const char *sqlv_type_name(sqlv_type t)
{
    return (unsigned)t < SQLV_NTYPES ? type_names[t] : "?";
}

void sqlv_clear(sqlv *v)
{
    if (v->owned)
        free((void *)v->p);
    *v = sqlv_null();
}

size_t sqlv_vector_dim(const sqlv *v) { return v->n / 4; }

float sqlv_vector_get(const sqlv *v, size_t k)
{
    const uint8_t *q = v->p + 4 * k;
    uint32_t u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void sqlv_vector_put(uint8_t *out, const float *f, size_t dim)
{
    for (size_t k = 0; k < dim; k++) {
        uint32_t u;
        memcpy(&u, &f[k], 4);
        for (int j = 0; j < 4; j++)
            out[4 * k + (size_t)j] = (uint8_t)(u >> (8 * j));
    }
}

int sqlv_class(sqlv_type t)
{
    switch (t) {
    case SQLV_NULL: return 0;
    case SQLV_BOOL: return 1;
    case SQLV_INT:
    case SQLV_REAL: return 2;
    case SQLV_DATE: return 3;
    case SQLV_TIME: return 4;
    case SQLV_TIMESTAMP: return 5;
    case SQLV_TEXT: return 6;
    case SQLV_BLOB: return 7;
    case SQLV_VECTOR: return 8;
    default: return 9;
    }
}

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }
static int cmp_dbl(double a, double b) { return (a > b) - (a < b); } /* -0.0 == 0.0 */

/* Exact comparison of an int64 with a non-NaN double. */
static int cmp_int_real(int64_t i, double d)
{
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    int64_t ti = (int64_t)d; /* truncates; in range: -2^63 <= d < 2^63 */
    if (i != ti)
        return i < ti ? -1 : 1;
    double frac = d - (double)ti; /* exact: ti is d's integral part, itself a double */
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (an > bn) - (an < bn);
}

int sqlv_order(const sqlv *a, const sqlv *b)
{
    int ca = sqlv_class(a->type), cb = sqlv_class(b->type);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    switch (a->type) {
    case SQLV_NULL: return 0;
    case SQLV_INT:
        return b->type == SQLV_INT ? cmp_i64(a->i, b->i) : cmp_int_real(a->i, b->r);
    case SQLV_REAL:
        return b->type == SQLV_REAL ? cmp_dbl(a->r, b->r) : -cmp_int_real(b->i, a->r);
    case SQLV_TEXT:
    case SQLV_BLOB: return cmp_bytes(a->p, a->n, b->p, b->n);
    case SQLV_VECTOR: {
        /* element-wise numeric order, then shorter first (matches the key codec) */
        size_t da = sqlv_vector_dim(a), db = sqlv_vector_dim(b);
        for (size_t k = 0; k < da && k < db; k++) {
            int c = cmp_dbl(sqlv_vector_get(a, k), sqlv_vector_get(b, k));
            if (c)
                return c;
        }
        return (da > db) - (da < db);
    }
    default: return cmp_i64(a->i, b->i); /* BOOL and temporal types */
    }
}

int sqlv_compare(const sqlv *a, const sqlv *b)
{
    if (a->type == SQLV_NULL || b->type == SQLV_NULL)
        return SQLV_UNKNOWN;
    return sqlv_order(a, b);
}

/* ---- arithmetic ----------------------------------------------------------------------- */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD };
static const char *const op_sym[] = {"+", "-", "*", "/", "%"};

static int is_num(const sqlv *v) { return v->type == SQLV_INT || v->type == SQLV_REAL; }

static int real_result(double r, double x, double y, sqlv *out, nq_err *e)
{
    if (isnan(r))
        return nq_err_set(e, NQ_ERROR, "result is not a number");
    if (isinf(r) && !isinf(x) && !isinf(y))
        return nq_err_set(e, NQ_ERROR, "value out of range: overflow");
    *out = sqlv_real(r);
    return 0;
}

static int arith(int op, const sqlv *a, const sqlv *b, sqlv *out, nq_err *e)
{
    if (a->type == SQLV_NULL || b->type == SQLV_NULL) {
        *out = sqlv_null();
        return 0;
    }
    if (!is_num(a) || !is_num(b))
        return nq_err_set(e, NQ_EINVAL, "operator does not exist: %s %s %s",
                          sqlv_type_name(a->type), op_sym[op], sqlv_type_name(b->type));
    if (a->type == SQLV_INT && b->type == SQLV_INT) {
        int64_t x = a->i, y = b->i, r = 0;
        int ovf = 0;
        switch (op) {
        case OP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
        case OP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
        case OP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
        case OP_DIV:
            if (y == 0)
                return nq_err_set(e, NQ_ERROR, "division by zero");
            if (x == INT64_MIN && y == -1)
                ovf = 1;
            else
                r = x / y;
            break;
        default:
            if (y == 0)
                return nq_err_set(e, NQ_ERROR, "division by zero");
            r = y == -1 ? 0 : x % y; /* INT64_MIN % -1 traps in C */
            break;
        }
        if (ovf)
            return nq_err_set(e, NQ_ERROR, "integer out of range");
        *out = sqlv_int(r);
        return 0;
    }
    double x = a->type == SQLV_INT ? (double)a->i : a->r;
    double y = b->type == SQLV_INT ? (double)b->i : b->r;
    switch (op) {
    case OP_ADD: return real_result(x + y, x, y, out, e);
    case OP_SUB: return real_result(x - y, x, y, out, e);
    case OP_MUL: return real_result(x * y, x, y, out, e);
    case OP_DIV:
        if (y == 0)
            return nq_err_set(e, NQ_ERROR, "division by zero");
        return real_result(x / y, x, y, out, e);
    default: /* like PostgreSQL, % is defined on integers only */
        return nq_err_set(e, NQ_EINVAL, "operator does not exist: %s %% %s",
                          sqlv_type_name(a->type), sqlv_type_name(b->type));
    }
}

int sqlv_add(const sqlv *a, const sqlv *b, sqlv *o, nq_err *e) { return arith(OP_ADD, a, b, o, e); }
int sqlv_sub(const sqlv *a, const sqlv *b, sqlv *o, nq_err *e) { return arith(OP_SUB, a, b, o, e); }
int sqlv_mul(const sqlv *a, const sqlv *b, sqlv *o, nq_err *e) { return arith(OP_MUL, a, b, o, e); }
int sqlv_div(const sqlv *a, const sqlv *b, sqlv *o, nq_err *e) { return arith(OP_DIV, a, b, o, e); }
int sqlv_mod(const sqlv *a, const sqlv *b, sqlv *o, nq_err *e) { return arith(OP_MOD, a, b, o, e); }

int sqlv_neg(const sqlv *a, sqlv *out, nq_err *e)
{
    sqlv zero = sqlv_int(0);
    if (a->type == SQLV_REAL) {
        *out = sqlv_real(-a->r);
        return 0;
    }
    return arith(OP_SUB, &zero, a, out, e);
}

/* ---- text output ---------------------------------------------------------------------- */
size_t sqlv_format_real(double d, char *buf, size_t cap)
{
    char tmp[64];
    if (isinf(d))
        return (size_t)snprintf(buf, cap, "%s", d < 0 ? "-Infinity" : "Infinity");
    if (isnan(d))
        return (size_t)snprintf(buf, cap, "NaN");
    if (d == 0)
        return (size_t)snprintf(buf, cap, "%s", signbit(d) ? "-0.0" : "0.0");
    /* shortest precision that reads back as the same double */
    int p;
    for (p = 1; p < 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
    int x = atoi(strchr(tmp, 'e') + 1);
    if (x >= -5 && x < 16) {
        int dec = p - 1 - x;
        snprintf(tmp, sizeof tmp, "%.*f", dec > 0 ? dec : 0, d);
        if (!strchr(tmp, '.'))
            strcat(tmp, ".0");
    }
    return (size_t)snprintf(buf, cap, "%s", tmp);
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian), by 400-year eras. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#define US_PER_DAY 86400000000LL

/* TIMESTAMP -> (day, µs in day) without the overflow of days * US_PER_DAY near INT64_MIN */
static void ts_split(int64_t ts, int64_t *days, int64_t *us)
{
    int64_t r = ts % US_PER_DAY;
    *days = ts / US_PER_DAY - (r < 0);
    *us = r < 0 ? r + US_PER_DAY : r;
}

static size_t fmt_time(int64_t us, char *buf, size_t cap)
{
    int64_t s = us / 1000000, f = us % 1000000;
    int n = snprintf(buf, cap, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    if (f && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, ".%06d", (int)f);
    return (size_t)n;
}

/* beyond ±2^40 days (~3e9 years) the calendar arithmetic could overflow; such values can only
 * come from casts of raw integers, so print them raw rather than invent a date */
#define DATE_LIMIT (1LL << 40)

static size_t fmt_date(int64_t days, char *buf, size_t cap)
{
    if (days > DATE_LIMIT || days < -DATE_LIMIT)
        return (size_t)snprintf(buf, cap, "day %" PRId64, days);
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    return (size_t)snprintf(buf, cap, "%04" PRId64 "-%02d-%02d", y, m, d);
}

char *sqlv_to_string(const sqlv *v)
{
    char small[128];
    size_t n = 0;
    switch (v->type) {
    case SQLV_NULL: n = (size_t)snprintf(small, sizeof small, "NULL"); break;
    case SQLV_INT: n = (size_t)snprintf(small, sizeof small, "%" PRId64, v->i); break;
    case SQLV_REAL: n = sqlv_format_real(v->r, small, sizeof small); break;
    case SQLV_BOOL: n = (size_t)snprintf(small, sizeof small, v->i ? "true" : "false"); break;
    case SQLV_DATE: n = fmt_date(v->i, small, sizeof small); break;
    case SQLV_TIME: n = fmt_time(v->i, small, sizeof small); break;
    case SQLV_TIMESTAMP: {
        int64_t days, us;
        ts_split(v->i, &days, &us);
        n = fmt_date(days, small, sizeof small);
        small[n++] = ' ';
        n += fmt_time(us, small + n, sizeof small - n);
        break;
    }
    case SQLV_TEXT: {
        char *s = malloc(v->n + 1);
        if (s) {
            if (v->n)
                memcpy(s, v->p, v->n);
            s[v->n] = 0;
        }
        return s;
    }
    case SQLV_BLOB: { /* PostgreSQL bytea hex form */
        char *s = malloc(2 * v->n + 3);
        if (!s)
            return NULL;
        s[0] = '\\', s[1] = 'x';
        for (size_t k = 0; k < v->n; k++)
            snprintf(s + 2 + 2 * k, 3, "%02x", v->p[k]);
        s[2 * v->n + 2] = 0;
        return s;
    }
    case SQLV_VECTOR: {
        size_t dim = sqlv_vector_dim(v);
        char *s = malloc(dim * 32 + 3);
        if (!s)
            return NULL;
        size_t o = 0;
        s[o++] = '[';
        for (size_t k = 0; k < dim; k++) {
            if (k)
                s[o++] = ',';
            o += sqlv_format_real((double)sqlv_vector_get(v, k), s + o, 30);
        }
        s[o++] = ']';
        s[o] = 0;
        return s;
    }
    default: n = (size_t)snprintf(small, sizeof small, "?"); break;
    }
    char *s = malloc(n + 1);
    if (s)
        memcpy(s, small, n + 1);
    return s;
}

/* ---- casts ---------------------------------------------------------------------------- */
static int cast_fail(const sqlv *v, sqlv_type t, nq_err *e)
{
    if (v->type == SQLV_TEXT) {
        int n = v->n > 64 ? 64 : (int)v->n;
        return nq_err_set(e, NQ_ERROR, "cannot cast '%.*s%s' to %s", n, (const char *)v->p,
                          v->n > 64 ? "..." : "", sqlv_type_name(t));
    }
    return nq_err_set(e, NQ_ERROR, "cannot cast type %s to %s", sqlv_type_name(v->type),
                      sqlv_type_name(t));
}

/* Copy of text without surrounding blanks, NUL-terminated; NULL if too long or has a NUL. */
static int trimmed(const sqlv *v, char *buf, size_t cap)
{
    const uint8_t *p = v->p, *q = v->p + v->n;
    while (p < q && isspace(*p))
        p++;
    while (q > p && isspace(q[-1]))
        q--;
    size_t n = (size_t)(q - p);
    if (n >= cap || memchr(p, 0, n))
        return -1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return 0;
}

static int parse_real(const char *s, double *out)
{
    if (!strcasecmp(s, "infinity") || !strcasecmp(s, "+infinity") || !strcasecmp(s, "inf")) {
        *out = INFINITY;
        return 0;
    }
    if (!strcasecmp(s, "-infinity") || !strcasecmp(s, "-inf")) {
        *out = -INFINITY;
        return 0;
    }
    if (!*s || isalpha((unsigned char)s[0]) ||
        ((s[0] == '-' || s[0] == '+') && isalpha((unsigned char)s[1])))
        return -1; /* strtod would accept nan/inf spellings */
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || isnan(d) || (errno == ERANGE && isinf(d)))
        return -1;
    *out = d;
    return 0;
}

static int parse_date(const char *s, int64_t *days, const char **rest)
{
    int y, m, d, n = 0;
    if (sscanf(s, "%d-%d-%d%n", &y, &m, &d, &n) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t z = days_from_civil(y, m, d);
    int64_t y2;
    int m2, d2;
    civil_from_days(z, &y2, &m2, &d2);
    if (m2 != m || d2 != d) /* Feb 30 and friends */
        return -1;
    *days = z;
    *rest = s + n;
    return 0;
}

static int parse_time(const char *s, int64_t *us)
{
    int h, mi, n = 0;
    double sec = 0;
    if (sscanf(s, "%d:%d%n", &h, &mi, &n) != 2)
        return -1;
    s += n;
    if (*s == ':') {
        char *end;
        sec = strtod(s + 1, &end);
        if (end == s + 1 || *end || !(sec >= 0 && sec < 60))
            return -1;
    } else if (*s) {
        return -1;
    }
    if (h < 0 || h > 23 || mi < 0 || mi > 59)
        return -1;
    *us = ((int64_t)h * 3600 + mi * 60) * 1000000 + (int64_t)(sec * 1e6 + 0.5);
    return 0;
}

static int to_owned_text(const sqlv *v, sqlv_type t, sqlv *out, nq_err *e)
{
    char *s = sqlv_to_string(v);
    if (!s)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    *out = sqlv_bytes(t, s, strlen(s));
    out->owned = 1;
    return 0;
}

int sqlv_cast(const sqlv *v, sqlv_type t, sqlv *out, nq_err *e)
{
    char buf[128];
    *out = sqlv_null();
    if (v->type == SQLV_NULL)
        return 0;
    if (v->type == t && t != SQLV_TEXT && t != SQLV_BLOB && t != SQLV_VECTOR) {
        *out = *v;
        out->owned = 0;
        return 0;
    }
    switch (t) {
    case SQLV_NULL: return 0;
    case SQLV_INT:
        switch (v->type) {
        case SQLV_BOOL: *out = sqlv_int(v->i); return 0;
        case SQLV_REAL: {
            /* PostgreSQL rounds half to even; done by hand to stay free of libm */
            double r = v->r;
            /* doubles near 2^63 are integers, so no rounding can cross the bounds */
            if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
                return nq_err_set(e, NQ_ERROR, "integer out of range");
            int64_t ti = (int64_t)r;
            double f = r - (double)ti;
            if (f > 0.5 || (f == 0.5 && (ti & 1)))
                ti++;
            else if (f < -0.5 || (f == -0.5 && (ti & 1)))
                ti--;
            *out = sqlv_int(ti);
            return 0;
        }
        case SQLV_TEXT: {
            if (trimmed(v, buf, sizeof buf))
                return cast_fail(v, t, e);
            char *end;
            errno = 0;
            long long x = strtoll(buf, &end, 10);
            if (!buf[0] || *end || isspace((unsigned char)buf[0]))
                return cast_fail(v, t, e);
            if (errno == ERANGE)
                return nq_err_set(e, NQ_ERROR, "value \"%s\" is out of range for type INTEGER", buf);
            *out = sqlv_int(x);
            return 0;
        }
        default: return cast_fail(v, t, e);
        }
    case SQLV_REAL:
        switch (v->type) {
        case SQLV_INT: *out = sqlv_real((double)v->i); return 0;
        case SQLV_TEXT: {
            double d;
            if (trimmed(v, buf, sizeof buf) || parse_real(buf, &d))
                return cast_fail(v, t, e);
            *out = sqlv_real(d);
            return 0;
        }
        default: return cast_fail(v, t, e);
        }
    case SQLV_BOOL:
        switch (v->type) {
        case SQLV_INT: *out = sqlv_bool(v->i != 0); return 0;
        case SQLV_TEXT: {
            static const char *const yes[] = {"true", "t", "yes", "y", "on", "1"};
            static const char *const no[] = {"false", "f", "no", "n", "off", "0"};
            if (trimmed(v, buf, sizeof buf))
                return cast_fail(v, t, e);
            for (int k = 0; k < 6; k++) {
                if (!strcasecmp(buf, yes[k])) {
                    *out = sqlv_bool(1);
                    return 0;
                }
                if (!strcasecmp(buf, no[k])) {
                    *out = sqlv_bool(0);
                    return 0;
                }
            }
            return cast_fail(v, t, e);
        }
        default: return cast_fail(v, t, e);
        }
    case SQLV_TEXT:
        if (v->type == SQLV_BLOB) /* raw bytes, SQLite style; then owned copy */
            ;
        else
            return to_owned_text(v, t, out, e);
        /* fall through */
    case SQLV_BLOB:
    case SQLV_VECTOR: {
        if (t == SQLV_BLOB && v->type != SQLV_TEXT && v->type != SQLV_BLOB && v->type != SQLV_VECTOR)
            return cast_fail(v, t, e);
        if (t == SQLV_VECTOR && v->type == SQLV_TEXT) {
            /* "[1, 2.5, -3]" */
            size_t cap = v->n / 2 + 1;
            float *f = malloc(cap * sizeof(float));
            char *s = malloc(v->n + 1);
            if (!f || !s) {
                free(f), free(s);
                return nq_err_set(e, NQ_ENOMEM, "out of memory");
            }
            memcpy(s, v->p, v->n);
            s[v->n] = 0;
            size_t dim = 0;
            char *c = s;
            int ok = strlen(s) == v->n;
            while (ok && isspace((unsigned char)*c))
                c++;
            ok = ok && *c++ == '[';
            while (ok && isspace((unsigned char)*c))
                c++;
            if (ok && *c != ']') {
                for (;;) {
                    char *end;
                    double d = strtod(c, &end);
                    if (end == c || isnan(d) || isinf((float)d) || dim >= cap) {
                        ok = 0;
                        break;
                    }
                    f[dim++] = (float)d;
                    c = end;
                    while (isspace((unsigned char)*c))
                        c++;
                    if (*c == ',') {
                        c++;
                        continue;
                    }
                    break;
                }
            }
            ok = ok && *c++ == ']';
            while (ok && isspace((unsigned char)*c))
                c++;
            ok = ok && !*c;
            free(s);
            if (!ok) {
                free(f);
                return cast_fail(v, t, e);
            }
            uint8_t *b = malloc(4 * dim + 1);
            if (!b) {
                free(f);
                return nq_err_set(e, NQ_ENOMEM, "out of memory");
            }
            sqlv_vector_put(b, f, dim);
            free(f);
            *out = sqlv_bytes(t, b, 4 * dim);
            out->owned = 1;
            return 0;
        }
        if (t == SQLV_VECTOR && (v->type == SQLV_TEXT || v->n % 4))
            return cast_fail(v, t, e);
        if (t == SQLV_VECTOR) /* from BLOB/VECTOR: every element must be a number */
            for (size_t k = 0; k < v->n / 4; k++)
                if (!isfinite(sqlv_vector_get(v, k)))
                    return cast_fail(v, t, e);
        uint8_t *b = malloc(v->n + 1);
        if (!b)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        if (v->n)
            memcpy(b, v->p, v->n);
        *out = sqlv_bytes(t, b, v->n);
        out->owned = 1;
        return 0;
    }
    case SQLV_DATE:
    case SQLV_TIME:
    case SQLV_TIMESTAMP: {
        if (v->type == SQLV_TIMESTAMP && (t == SQLV_DATE || t == SQLV_TIME)) {
            int64_t days, us;
            ts_split(v->i, &days, &us);
            *out = sqlv_temporal(t, t == SQLV_DATE ? days : us);
            return 0;
        }
        if (v->type == SQLV_DATE && t == SQLV_TIMESTAMP) {
            int64_t us;
            if (__builtin_mul_overflow(v->i, US_PER_DAY, &us))
                return nq_err_set(e, NQ_ERROR, "timestamp out of range");
            *out = sqlv_temporal(t, us);
            return 0;
        }
        if (v->type != SQLV_TEXT || trimmed(v, buf, sizeof buf))
            return cast_fail(v, t, e);
        int64_t days = 0, us = 0;
        const char *rest = buf;
        if (t == SQLV_TIME) {
            if (parse_time(buf, &us))
                return cast_fail(v, t, e);
            *out = sqlv_temporal(t, us);
            return 0;
        }
        if (parse_date(buf, &days, &rest))
            return cast_fail(v, t, e);
        if (t == SQLV_DATE) {
            if (*rest)
                return cast_fail(v, t, e);
            *out = sqlv_temporal(t, days);
            return 0;
        }
        if (*rest == ' ' || *rest == 'T') {
            if (parse_time(rest + 1, &us))
                return cast_fail(v, t, e);
        } else if (*rest) {
            return cast_fail(v, t, e);
        }
        int64_t ts;
        if (__builtin_mul_overflow(days, US_PER_DAY, &ts) || __builtin_add_overflow(ts, us, &ts))
            return nq_err_set(e, NQ_ERROR, "timestamp out of range");
        *out = sqlv_temporal(t, ts);
        return 0;
    }
    default: return cast_fail(v, t, e);
    }
}
