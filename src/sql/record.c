/*
 * record.c — row encoding (see record.h). Integers take the smallest of 0/1/2/4/8 bytes that
 * holds them, big-endian two's complement; REAL is the IEEE-754 bit pattern big-endian;
 * temporal values are 8-byte big-endian int64.
 */
#include "sql/record.h"

#include "base/varint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t rec_varint_put(uint8_t *buf, uint64_t v) { return varint_put(buf, v); }

size_t rec_varint_get(const uint8_t *p, size_t n, uint64_t *v) { return varint_get(p, n, 10, v); }

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

static int int_tag(int64_t i)
{
    if (i == 0)
        return REC_T_INT0;
    if (i >= INT8_MIN && i <= INT8_MAX)
        return REC_T_INT1;
    if (i >= INT16_MIN && i <= INT16_MAX)
        return REC_T_INT2;
    if (i >= INT32_MIN && i <= INT32_MAX)
        return REC_T_INT4;
    return REC_T_INT8;
}

/* payload bytes implied by a fixed-size tag; -1 for the length-prefixed ones */
static int fixed_size(int tag)
{
    static const signed char sz[REC_T_COUNT] = {0, 0, 0, 0, 1, 2, 4, 8, 8, -1, -1, -1, 8, 8, 8};
    return sz[tag];
}

static int tag_of(const sqlv *v, nq_err *e)
{
    switch (v->type) {
    case SQLV_NULL: return REC_T_NULL;
    case SQLV_BOOL: return v->i ? REC_T_TRUE : REC_T_FALSE;
    case SQLV_INT: return int_tag(v->i);
    case SQLV_REAL:
        if (isnan(v->r))
            return nq_err_set(e, NQ_EINVAL, "NaN cannot be stored");
        return REC_T_REAL;
    case SQLV_TEXT: return REC_T_TEXT;
    case SQLV_BLOB: return REC_T_BLOB;
    case SQLV_VECTOR:
        if (v->n % 4)
            return nq_err_set(e, NQ_EINVAL, "vector of %zu bytes is not a float array", v->n);
        return REC_T_VECTOR;
    case SQLV_DATE: return REC_T_DATE;
    case SQLV_TIME: return REC_T_TIME;
    case SQLV_TIMESTAMP: return REC_T_TIMESTAMP;
    default: return nq_err_set(e, NQ_EINVAL, "unknown value type %d", (int)v->type);
    }
}

int rec_encode(const sqlv *vals, int n, uint8_t **out, size_t *outlen, nq_err *e)
{
    *out = NULL;
    *outlen = 0;
    if (n < 0 || n > REC_MAX_COLS)
        return nq_err_set(e, NQ_ETOOBIG, "a record holds at most %d columns", REC_MAX_COLS);
    uint8_t tmp[10];
    size_t hlen = 0, plen = 0;
    for (int c = 0; c < n; c++) {
        int tag = tag_of(&vals[c], e);
        if (tag < 0)
            return tag;
        hlen++;
        if (fixed_size(tag) < 0) {
            hlen += rec_varint_put(tmp, vals[c].n);
            plen += vals[c].n;
        } else {
            plen += (size_t)fixed_size(tag);
        }
    }
    size_t total = rec_varint_put(tmp, (uint64_t)n) + rec_varint_put(tmp, hlen) + hlen + plen;
    uint8_t *b = malloc(total ? total : 1);
    if (!b)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    size_t h = rec_varint_put(b, (uint64_t)n);
    h += rec_varint_put(b + h, hlen);
    size_t pp = h + hlen;
    for (int c = 0; c < n; c++) {
        const sqlv *v = &vals[c];
        int tag = tag_of(v, e);
        b[h++] = (uint8_t)tag;
        int fs = fixed_size(tag);
        if (fs < 0) {
            h += rec_varint_put(b + h, v->n);
            if (v->n)
                memcpy(b + pp, v->p, v->n);
            pp += v->n;
        } else if (tag == REC_T_REAL) {
            uint64_t u; /* -0.0 is kept: a row reads back bit for bit */
            memcpy(&u, &v->r, 8);
            put_be(b + pp, u, 8);
        } else if (fs > 0) {
            put_be(b + pp, (uint64_t)v->i, fs);
        }
        pp += fs > 0 ? (size_t)fs : 0;
    }
    *out = b;
    *outlen = total;
    return 0;
}

/* Cursor over a record's headers. */
typedef struct rec_it {
    const uint8_t *p;
    size_t n;
    int ncols;
    size_t h, hend; /* next header byte, end of headers */
    size_t pp;      /* next payload byte */
} rec_it;

static int corrupt(nq_err *e, const char *what)
{
    return nq_err_set(e, NQ_ECORRUPT, "damaged record: %s", what);
}

static int it_open(rec_it *it, const uint8_t *p, size_t n, nq_err *e)
{
    uint64_t nc, hl;
    size_t a = rec_varint_get(p, n, &nc);
    if (!a || nc > REC_MAX_COLS)
        return corrupt(e, "bad column count");
    size_t b = rec_varint_get(p + a, n - a, &hl);
    if (!b || hl > n - a - b)
        return corrupt(e, "bad header length");
    it->p = p;
    it->n = n;
    it->ncols = (int)nc;
    it->h = a + b;
    it->hend = a + b + (size_t)hl;
    it->pp = it->hend;
    return 0;
}

/* Reads the next column header; with out, also decodes its payload. */
static int it_next(rec_it *it, sqlv *out, nq_err *e)
{
    if (it->h >= it->hend)
        return corrupt(e, "header shorter than column count");
    int tag = it->p[it->h++];
    if (tag >= REC_T_COUNT)
        return corrupt(e, "unknown column tag");
    int fs = fixed_size(tag);
    size_t len;
    if (fs < 0) {
        uint64_t l;
        size_t k = rec_varint_get(it->p + it->h, it->hend - it->h, &l);
        if (!k)
            return corrupt(e, "bad length");
        it->h += k;
        if (l > it->n - it->pp)
            return corrupt(e, "payload past the end");
        len = (size_t)l;
    } else {
        len = (size_t)fs;
        if (len > it->n - it->pp)
            return corrupt(e, "payload past the end");
    }
    const uint8_t *q = it->p + it->pp;
    it->pp += len;
    if (!out)
        return 0;
    switch (tag) {
    case REC_T_NULL: *out = sqlv_null(); break;
    case REC_T_FALSE:
    case REC_T_TRUE: *out = sqlv_bool(tag == REC_T_TRUE); break;
    case REC_T_INT0: *out = sqlv_int(0); break;
    case REC_T_INT1: *out = sqlv_int((int8_t)q[0]); break;
    case REC_T_INT2: *out = sqlv_int((int16_t)get_be(q, 2)); break;
    case REC_T_INT4: *out = sqlv_int((int32_t)get_be(q, 4)); break;
    case REC_T_INT8: *out = sqlv_int((int64_t)get_be(q, 8)); break;
    case REC_T_REAL: {
        uint64_t u = get_be(q, 8);
        double d;
        memcpy(&d, &u, 8);
        if (isnan(d))
            return corrupt(e, "NaN real");
        *out = sqlv_real(d);
        break;
    }
    case REC_T_TEXT: *out = sqlv_bytes(SQLV_TEXT, q, len); break;
    case REC_T_BLOB: *out = sqlv_bytes(SQLV_BLOB, q, len); break;
    case REC_T_VECTOR:
        if (len % 4)
            return corrupt(e, "ragged vector");
        *out = sqlv_bytes(SQLV_VECTOR, q, len);
        break;
    default:
        *out = sqlv_temporal(tag == REC_T_DATE ? SQLV_DATE : tag == REC_T_TIME ? SQLV_TIME
                                                                              : SQLV_TIMESTAMP,
                             (int64_t)get_be(q, 8));
        break;
    }
    return 0;
}

int rec_count(const uint8_t *p, size_t n, int *ncols, nq_err *e)
{
    rec_it it;
    int rc = it_open(&it, p, n, e);
    if (rc)
        return rc;
    *ncols = it.ncols;
    return 0;
}

int rec_decode(const uint8_t *p, size_t n, sqlv *vals, int maxcols, int *ncols, nq_err *e)
{
    rec_it it;
    int rc = it_open(&it, p, n, e);
    if (rc)
        return rc;
    if (it.ncols > maxcols)
        return nq_err_set(e, NQ_ETOOBIG, "record has %d columns, room for %d", it.ncols, maxcols);
    for (int c = 0; c < it.ncols; c++)
        if ((rc = it_next(&it, &vals[c], e)))
            return rc;
    if (it.h != it.hend)
        return corrupt(e, "header longer than its columns");
    if (it.pp != n)
        return corrupt(e, "bytes after the last column");
    *ncols = it.ncols;
    return 0;
}

int rec_column(const uint8_t *p, size_t n, int col, sqlv *out, nq_err *e)
{
    rec_it it;
    int rc = it_open(&it, p, n, e);
    if (rc)
        return rc;
    *out = sqlv_null();
    if (col < 0 || col >= it.ncols)
        return 0;
    for (int c = 0; c < col; c++)
        if ((rc = it_next(&it, NULL, e)))
            return rc;
    return it_next(&it, out, e);
}
