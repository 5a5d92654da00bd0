/*
 * keycodec.c — order-preserving key encoding (see keycodec.h).
 *
 * Numbers: every nonzero int64 and finite double is ±2^E·(1 + M/2^64) with E in
 * [-1074, 1023] and a 64-bit fraction M — 64 bits are enough for both (an int64 has at most
 * 63 bits after its leading one, a double 52), so the encoding is exact and 1 < 1.5 < 2 holds across
 * INTEGER and REAL without ever rounding an int64 to double. Positive: tag, E+0x4000 in two
 * bytes, then M as 7-bit groups from its top, one per byte (group << 1 | 1 while more follow,
 * group << 1 on the last), stopping after the last nonzero group (M = 0 is the single byte
 * 00). A larger group or a longer tail sorts later, so the bytes keep M's order, and small
 * integers take 4-6 bytes instead of a fixed 11; negative: the same bytes complemented, so
 * larger magnitude sorts earlier. Zero and the infinities are tags.
 *
 * Text and blobs: 0x00 inside the data becomes 0x00 0xFF and the end is 0x00 0x01, so a
 * prefix sorts before its extensions and no encoding is a prefix of another (needed for DESC
 * complement and for concatenated columns).
 */
#include "sql/keycodec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    K_NULL_FIRST = 0x00, K_NULL_LAST = 0xFF,
    K_FALSE = 0x20, K_TRUE = 0x21,
    K_NINF = 0x30, K_NEG = 0x31, K_ZERO = 0x32, K_POS = 0x33, K_PINF = 0x34,
    K_DATE = 0x38, K_TIME = 0x39, K_TIMESTAMP = 0x3A,
    K_TEXT = 0x40, K_BLOB = 0x50, K_VECTOR = 0x60,
};
#define K_EBIAS 0x4000

static int reserve(key_buf *b, size_t more, nq_err *e)
{
    if (b->cap - b->n >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->n < more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    b->p = p;
    b->cap = cap;
    return 0;
}

static int clz64(uint64_t x) { return __builtin_clzll(x); }

/* magnitude -> (E, M) for a nonzero uint64 */
static void norm_u64(uint64_t mag, int *E, uint64_t *M)
{
    int e = 63 - clz64(mag);
    *E = e;
    *M = e ? mag << (64 - e) : 0;
}

/* nonzero finite double magnitude bits -> (E, M) */
static void norm_dbl(uint64_t bits, int *E, uint64_t *M)
{
    int ef = (int)(bits >> 52 & 0x7ff);
    uint64_t frac = bits & ((1ULL << 52) - 1);
    if (ef) {
        *E = ef - 1023;
        *M = frac << 12;
    } else { /* subnormal: leading one is inside frac */
        int p = 63 - clz64(frac);
        *E = p - 1074;
        *M = p ? frac << (64 - p) : 0;
    }
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int k = bytes - 1; k >= 0; k--, v >>= 8)
        p[k] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int k = 0; k < bytes; k++)
        v = v << 8 | p[k];
    return v;
}

static int put_escaped(key_buf *b, const uint8_t *p, size_t n, nq_err *e)
{
    size_t extra = 2;
    for (size_t k = 0; k < n; k++)
        extra += p[k] == 0;
    int rc = reserve(b, n + extra, e);
    if (rc)
        return rc;
    for (size_t k = 0; k < n; k++) {
        b->p[b->n++] = p[k];
        if (!p[k])
            b->p[b->n++] = 0xFF;
    }
    b->p[b->n++] = 0x00;
    b->p[b->n++] = 0x01;
    return 0;
}

/* float32 bits -> 4 bytes whose unsigned order is the numeric order */
static uint32_t float_key(float f)
{
    uint32_t u;
    if (f == 0)
        f = 0; /* -0 == 0 */
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

int key_append(key_buf *b, const sqlv *v, key_col col, nq_err *e)
{
    int rc;
    if (v->type == SQLV_NULL) {
        if ((rc = reserve(b, 1, e)))
            return rc;
        b->p[b->n++] = col.nulls_first ? K_NULL_FIRST : K_NULL_LAST;
        return 0;
    }
    size_t start = b->n;
    if ((rc = reserve(b, 13, e)))
        return rc;
    uint8_t *q = b->p + b->n;
    switch (v->type) {
    case SQLV_BOOL:
        q[0] = v->i ? K_TRUE : K_FALSE;
        b->n += 1;
        break;
    case SQLV_INT:
    case SQLV_REAL: {
        int E = 0, neg;
        uint64_t M = 0;
        if (v->type == SQLV_REAL) {
            double d = v->r;
            if (isnan(d))
                return nq_err_set(e, NQ_EINVAL, "NaN cannot be a key");
            if (isinf(d) || d == 0) {
                q[0] = d == 0 ? K_ZERO : d < 0 ? K_NINF : K_PINF;
                b->n += 1;
                break;
            }
            uint64_t bits;
            memcpy(&bits, &d, 8);
            neg = d < 0;
            norm_dbl(bits & ~(1ULL << 63), &E, &M);
        } else {
            if (v->i == 0) {
                q[0] = K_ZERO;
                b->n += 1;
                break;
            }
            neg = v->i < 0;
            uint64_t mag = neg ? 0 - (uint64_t)v->i : (uint64_t)v->i;
            norm_u64(mag, &E, &M);
        }
        uint64_t eb = (uint64_t)(E + K_EBIAS);
        q[0] = neg ? K_NEG : K_POS;
        put_be(q + 1, neg ? ~eb : eb, 2);
        size_t n = 3;
        if (!M)
            q[n++] = 0;
        for (int shift = 57; M && n < 13; shift -= 7) {
            /* the tenth group holds M's last bit at its top: shift -6 */
            uint8_t g = (uint8_t)((shift >= 0 ? M >> shift : M << -shift) & 0x7F);
            M = shift > 0 ? M & ((1ULL << shift) - 1) : 0;
            q[n++] = (uint8_t)(g << 1 | (M != 0));
        }
        if (neg)
            for (size_t i = 3; i < n; i++)
                q[i] = (uint8_t)~q[i];
        b->n += n;
        break;
    }
    case SQLV_DATE:
    case SQLV_TIME:
    case SQLV_TIMESTAMP:
        q[0] = v->type == SQLV_DATE ? K_DATE : v->type == SQLV_TIME ? K_TIME : K_TIMESTAMP;
        put_be(q + 1, (uint64_t)v->i ^ (1ULL << 63), 8);
        b->n += 9;
        break;
    case SQLV_TEXT:
    case SQLV_BLOB:
        q[0] = v->type == SQLV_TEXT ? K_TEXT : K_BLOB;
        b->n += 1;
        if ((rc = put_escaped(b, v->p, v->n, e)))
            return rc;
        break;
    case SQLV_VECTOR: {
        size_t dim = sqlv_vector_dim(v);
        if (v->n % 4)
            return nq_err_set(e, NQ_EINVAL, "vector of %zu bytes is not a float array", v->n);
        if ((rc = reserve(b, 2 + 5 * dim, e)))
            return rc;
        b->p[b->n++] = K_VECTOR;
        for (size_t k = 0; k < dim; k++) {
            float f = sqlv_vector_get(v, k);
            if (isnan(f)) {
                b->n = start;
                return nq_err_set(e, NQ_EINVAL, "NaN cannot be a key");
            }
            b->p[b->n++] = 0x01; /* one more element follows */
            put_be(b->p + b->n, float_key(f), 4);
            b->n += 4;
        }
        b->p[b->n++] = 0x00;
        break;
    }
    default: return nq_err_set(e, NQ_EINVAL, "unknown value type %d", (int)v->type);
    }
    if (col.desc)
        for (size_t k = start; k < b->n; k++)
            b->p[k] = (uint8_t)~b->p[k];
    return 0;
}

int key_encode(const sqlv *vals, const key_col *cols, int n, uint8_t **out, size_t *outlen,
               nq_err *e)
{
    key_buf b = {0};
    static const key_col dflt = {0, 1};
    for (int c = 0; c < n; c++) {
        int rc = key_append(&b, &vals[c], cols ? cols[c] : dflt, e);
        if (rc) {
            free(b.p);
            return rc;
        }
    }
    if (!b.p && !(b.p = malloc(1)))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    *out = b.p;
    *outlen = b.n;
    return 0;
}

/* ---- decoding ------------------------------------------------------------------------- */
typedef struct kin {
    const uint8_t *p;
    size_t n, pos;
    uint8_t x; /* 0xFF when the column is DESC: every byte is read complemented */
} kin;

static int kbyte(kin *k, uint8_t *out)
{
    if (k->pos >= k->n)
        return -1;
    *out = k->p[k->pos++] ^ k->x;
    return 0;
}

static int kbytes(kin *k, uint8_t *out, size_t len)
{
    if (k->n - k->pos < len)
        return -1;
    for (size_t j = 0; j < len; j++)
        out[j] = k->p[k->pos++] ^ k->x;
    return 0;
}

static int corrupt(nq_err *e, const char *what)
{
    return nq_err_set(e, NQ_ECORRUPT, "damaged key: %s", what);
}

static int dec_escaped(kin *k, sqlv_type t, sqlv *out, nq_err *e)
{
    /* first pass: find the end and the decoded length, so one allocation suffices */
    size_t len = 0, pos = k->pos;
    for (;;) {
        if (pos >= k->n)
            return corrupt(e, "unterminated string");
        uint8_t c = k->p[pos++] ^ k->x;
        if (c == 0) {
            if (pos >= k->n)
                return corrupt(e, "unterminated string");
            uint8_t d = k->p[pos++] ^ k->x;
            if (d == 0x01)
                break;
            if (d != 0xFF)
                return corrupt(e, "bad escape");
        }
        len++;
    }
    uint8_t *s = malloc(len + 1);
    if (!s)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (size_t j = 0; j < len; j++) {
        uint8_t c = k->p[k->pos++] ^ k->x;
        if (c == 0)
            k->pos++;
        s[j] = c;
    }
    k->pos += 2;
    s[len] = 0;
    *out = sqlv_bytes(t, s, len);
    out->owned = 1;
    return 0;
}

static int dec_number(kin *k, int neg, sqlv_type want, sqlv *out, nq_err *e)
{
    uint8_t q[2] = {0};
    if (kbytes(k, q, 2))
        return corrupt(e, "truncated number");
    uint64_t eb = get_be(q, 2), M = 0;
    if (neg)
        eb = ~eb & 0xFFFF;
    /* the mantissa's 7-bit groups, canonical: no trailing zero group except M = 0 alone */
    for (int i = 0, shift = 57;; i++, shift -= 7) {
        uint8_t c;
        if (i == 10 || kbytes(k, &c, 1))
            return corrupt(e, "truncated or overlong number");
        if (neg)
            c = (uint8_t)~c;
        uint64_t g = c >> 1;
        int more = c & 1;
        if (shift < 0) { /* the tenth group: one bit */
            if (g & 0x3F || more)
                return corrupt(e, "number mantissa too long");
            M |= g >> 6;
        } else
            M |= g << shift;
        if (!more) {
            if (!g && i > 0)
                return corrupt(e, "number mantissa not canonical");
            break;
        }
    }
    int E = (int)eb - K_EBIAS;
    if (E < -1074 || E > 1023)
        return corrupt(e, "number exponent out of range");
    /* integral and in int64 range? */
    if (E >= 0 && E <= 63 && (E == 0 ? M == 0 : (M << E) == 0)) {
        uint64_t mag = (1ULL << E) | (E ? M >> (64 - E) : 0);
        if (want != SQLV_REAL && (neg ? mag <= (1ULL << 63) : mag <= (uint64_t)INT64_MAX)) {
            *out = sqlv_int(!neg ? (int64_t)mag : mag == (1ULL << 63) ? INT64_MIN : -(int64_t)mag);
            return 0;
        }
    }
    uint64_t bits;
    if (E >= -1022) {
        if (M & 0xFFF)
            return corrupt(e, "number not representable");
        bits = (uint64_t)(E + 1023) << 52 | M >> 12;
    } else {
        int p = E + 1074; /* 0..51: position of the leading one in the subnormal fraction */
        if (p ? (M << p) != 0 : M != 0)
            return corrupt(e, "number not representable");
        bits = (1ULL << p) | (p ? M >> (64 - p) : 0);
    }
    if (neg)
        bits |= 1ULL << 63;
    double d;
    memcpy(&d, &bits, 8);
    *out = sqlv_real(d);
    return 0;
}

static int dec_one(kin *k, sqlv_type want, sqlv *out, nq_err *e)
{
    uint8_t tag;
    if (kbyte(k, &tag))
        return corrupt(e, "truncated");
    switch (tag) {
    case K_FALSE:
    case K_TRUE: *out = sqlv_bool(tag == K_TRUE); return 0;
    case K_ZERO: *out = want == SQLV_REAL ? sqlv_real(0.0) : sqlv_int(0); return 0;
    case K_NINF: *out = sqlv_real(-INFINITY); return 0;
    case K_PINF: *out = sqlv_real(INFINITY); return 0;
    case K_NEG:
    case K_POS: return dec_number(k, tag == K_NEG, want, out, e);
    case K_DATE:
    case K_TIME:
    case K_TIMESTAMP: {
        uint8_t q[8] = {0};
        if (kbytes(k, q, 8))
            return corrupt(e, "truncated");
        sqlv_type t = tag == K_DATE ? SQLV_DATE : tag == K_TIME ? SQLV_TIME : SQLV_TIMESTAMP;
        *out = sqlv_temporal(t, (int64_t)(get_be(q, 8) ^ (1ULL << 63)));
        return 0;
    }
    case K_TEXT: return dec_escaped(k, SQLV_TEXT, out, e);
    case K_BLOB: return dec_escaped(k, SQLV_BLOB, out, e);
    case K_VECTOR: {
        size_t dim = 0, pos = k->pos;
        for (;;) { /* count elements first */
            if (pos >= k->n)
                return corrupt(e, "unterminated vector");
            uint8_t c = k->p[pos++] ^ k->x;
            if (c == 0)
                break;
            if (c != 1 || k->n - pos < 4)
                return corrupt(e, "bad vector element");
            pos += 4;
            dim++;
        }
        uint8_t *s = malloc(4 * dim + 1);
        if (!s)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        for (size_t j = 0; j < dim; j++) {
            uint8_t q[4] = {0};
            k->pos++;
            kbytes(k, q, 4);
            uint32_t u = (uint32_t)get_be(q, 4);
            u = (u & 0x80000000u) ? u & 0x7FFFFFFFu : ~u;
            float f;
            memcpy(&f, &u, 4);
            if (isnan(f)) {
                free(s);
                return corrupt(e, "NaN in vector");
            }
            sqlv_vector_put(s + 4 * j, &f, 1);
        }
        k->pos++;
        *out = sqlv_bytes(SQLV_VECTOR, s, 4 * dim);
        out->owned = 1;
        return 0;
    }
    default: return corrupt(e, "unknown tag");
    }
}

int key_decode(const uint8_t *p, size_t n, const key_col *cols, const sqlv_type *types, int ncols,
               sqlv *vals, size_t *used, nq_err *e)
{
    kin k = {p, n, 0, 0};
    for (int c = 0; c < ncols; c++) {
        vals[c] = sqlv_null();
        if (k.pos >= n) {
            for (int j = 0; j < c; j++)
                sqlv_clear(&vals[j]);
            return corrupt(e, "fewer columns than expected");
        }
        uint8_t b0 = p[k.pos];
        if (b0 == K_NULL_FIRST || b0 == K_NULL_LAST) {
            k.pos++;
            continue;
        }
        k.x = cols && cols[c].desc ? 0xFF : 0x00;
        int rc = dec_one(&k, types ? types[c] : SQLV_NULL, &vals[c], e);
        if (rc) {
            for (int j = 0; j < c; j++)
                sqlv_clear(&vals[j]);
            return rc;
        }
    }
    if (used)
        *used = k.pos;
    return 0;
}
