/*
 * record.c — row encoding (see record.h). Integers take the smallest of 0/1/2/4/8 bytes that
 * holds them, big-endian two's complement; REAL is the IEEE-754 bit pattern big-endian;
 * temporal values are 8-byte big-endian int64. REC_T_DNA payloads are dna_zip containers
 * (TwoBit), made and checked by the DNA library.
 */
#include "sql/record.h"

#include "base/varint.h"
#include "dna/dna_zip.h"

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
    static const signed char sz[REC_T_COUNT] = {0, 0, 0, 0, 1, 2, 4, 8, 8, -1, -1, -1, 8, 8, 8, -1};
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

static int rec_encode_z(const sqlv *vals, int n, const dna_buf *zs, uint8_t **out,
                        size_t *outlen, nq_err *e);

/* Below this many bytes a container (about 35 bytes of header, layout and CRCs) cannot win. */
#define REC_DNA_MIN 48

/* The TwoBit container of v when v is a sequence and the container is smaller, else empty. */
static int dna_try(const sqlv *v, dna_buf *z, nq_err *e)
{
    z->len = 0;
    if (v->type != SQLV_TEXT || v->n < REC_DNA_MIN ||
        dna_seq_find_invalid((const char *)v->p, v->n) != v->n)
        return 0;
    int rc = dna_compress((const uint8_t *)v->p, v->n, DNA_ALGO_TWOBIT, z, e);
    if (rc)
        return rc;
    if (z->len >= v->n)
        z->len = 0;
    return 0;
}

int rec_encode(const sqlv *vals, int n, uint8_t **out, size_t *outlen, nq_err *e)
{
    return rec_encode_x(vals, n, NULL, out, outlen, NULL, e);
}

int rec_encode_x(const sqlv *vals, int n, const uint8_t *codec, uint8_t **out, size_t *outlen,
                 size_t *saved, nq_err *e)
{
    if (saved)
        *saved = 0;
    dna_buf *zs = NULL;
    if (codec) {
        int any = 0;
        for (int c = 0; c < n && c < REC_MAX_COLS; c++)
            any |= codec[c] == REC_CODEC_DNA && vals[c].type == SQLV_TEXT &&
                   vals[c].n >= REC_DNA_MIN;
        if (any) {
            zs = calloc((size_t)n, sizeof *zs);
            if (!zs)
                return nq_err_set(e, NQ_ENOMEM, "out of memory");
            for (int c = 0; c < n; c++) {
                int rc = codec[c] == REC_CODEC_DNA ? dna_try(&vals[c], &zs[c], e) : 0;
                if (rc) {
                    for (int j = 0; j <= c; j++)
                        dna_buf_free(&zs[j]);
                    free(zs);
                    return rc;
                }
                if (saved && zs[c].len)
                    *saved += vals[c].n - zs[c].len;
            }
        }
    }
    int rc = rec_encode_z(vals, n, zs, out, outlen, e);
    if (zs) {
        for (int c = 0; c < n; c++)
            dna_buf_free(&zs[c]);
        free(zs);
    }
    return rc;
}

/* The encoder proper: zs[c].len > 0 means column c is stored as that container. */
static int rec_encode_z(const sqlv *vals, int n, const dna_buf *zs, uint8_t **out, size_t *outlen,
                        nq_err *e)
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
        if (zs && zs[c].len) {
            hlen += rec_varint_put(tmp, zs[c].len);
            plen += zs[c].len;
        } else if (fixed_size(tag) < 0) {
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
        if (zs && zs[c].len) {
            b[h++] = REC_T_DNA;
            h += rec_varint_put(b + h, zs[c].len);
            memcpy(b + pp, zs[c].data, zs[c].len);
            pp += zs[c].len;
            continue;
        }
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
    uint8_t *x;     /* where REC_T_DNA columns expand to (NULL: refuse them) */
    size_t xlen, xused;
    int col;        /* the column it_next reads next */
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
    it->x = NULL;
    it->xlen = it->xused = 0;
    it->col = 0;
    return 0;
}

/* Expands the container q[0..len) of column col into the iterator's buffer. */
static int it_dna(rec_it *it, int col, const uint8_t *q, size_t len, sqlv *out, nq_err *e)
{
    dna_buf b = {0};
    nq_err sub;
    nq_err_clear(&sub);
    int rc = dna_decompress(q, len, it->xlen - it->xused, &b, &sub);
    if (rc == NQ_ENOMEM) {
        dna_buf_free(&b);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    if (rc || !it->x || b.len > it->xlen - it->xused) {
        dna_buf_free(&b);
        if (!it->x)
            return nq_err_set(e, NQ_ECORRUPT, "damaged record: DNA-coded column %d read without "
                              "a decode buffer", col + 1);
        return nq_err_set(e, NQ_ECORRUPT, "damaged record: DNA-coded column %d: %s", col + 1,
                          rc ? sub.msg : "longer than its header says");
    }
    uint8_t *d = it->x + it->xused;
    if (b.len)
        memcpy(d, b.data, b.len);
    it->xused += b.len;
    dna_buf_free(&b);
    *out = sqlv_bytes(SQLV_TEXT, d, (size_t)(it->x + it->xused - d));
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
    int col = it->col++;
    if (!out)
        return 0;
    if (tag == REC_T_DNA)
        return it_dna(it, col, q, len, out, e);
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
    return rec_decode_x(p, n, vals, maxcols, ncols, NULL, 0, e);
}

int rec_decode_x(const uint8_t *p, size_t n, sqlv *vals, int maxcols, int *ncols, uint8_t *x,
                 size_t xlen, nq_err *e)
{
    rec_it it;
    int rc = it_open(&it, p, n, e);
    if (rc)
        return rc;
    it.x = x;
    it.xlen = x ? xlen : 0;
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

int rec_expanded_size(const uint8_t *p, size_t n, size_t *out, nq_err *e)
{
    *out = 0;
    rec_it it;
    int rc = it_open(&it, p, n, e);
    if (rc)
        return rc;
    for (int c = 0; c < it.ncols; c++) {
        if (it.h >= it.hend)
            return corrupt(e, "header shorter than column count");
        int tag = it.p[it.h];
        size_t start = it.pp;
        if ((rc = it_next(&it, NULL, e)))
            return rc;
        if (tag != REC_T_DNA)
            continue;
        dna_zip_info zi;
        nq_err sub;
        if (dna_zip_info_get(p + start, it.pp - start, &zi, &sub) || zi.orig_len > SIZE_MAX / 2 ||
            zi.orig_len > SIZE_MAX / 2 - *out)
            return nq_err_set(e, NQ_ECORRUPT, "damaged record: DNA-coded column %d has a bad "
                              "header", c + 1);
        *out += (size_t)zi.orig_len;
    }
    return 0;
}

int rec_column_form(const uint8_t *p, size_t n, int col, int *tag, size_t *len, nq_err *e)
{
    *tag = REC_T_NULL;
    *len = 0;
    rec_it it;
    int rc = it_open(&it, p, n, e);
    if (rc)
        return rc;
    if (col < 0 || col >= it.ncols)
        return 0;
    for (int c = 0; c < col; c++)
        if ((rc = it_next(&it, NULL, e)))
            return rc;
    if (it.h >= it.hend)
        return corrupt(e, "header shorter than column count");
    int t = it.p[it.h];
    size_t start = it.pp;
    if ((rc = it_next(&it, NULL, e)))
        return rc;
    *tag = t;
    *len = it.pp - start;
    return 0;
}
