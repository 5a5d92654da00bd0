/*
 * sqlv_gen.h — random SQL values for the value/record/key tests, biased toward the edges
 * (NULL, ±0.0, ±Infinity, int64 extremes, reals beyond 2^53 and near integers, subnormals,
 * empty and long text with embedded NULs). Values own their bytes: free with gen_free.
 */
#ifndef NQ_TEST_SQLV_GEN_H
#define NQ_TEST_SQLV_GEN_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "sql/value.h"

static inline double gen_real(nq_rng *r)
{
    static const double edge[] = {0.0, -0.0, 1.0, -1.0, 1.5, -1.5, 0.5, 1e20, -1e20,
                                  9007199254740992.0, 9007199254740994.0, 9223372036854775808.0,
                                  -9223372036854775808.0, 1.8e19, 4.9e-324, -4.9e-324,
                                  2.2250738585072014e-308, 1.7976931348623157e308, 3.0, -3.0};
    switch (nq_rng_below(r, 6)) {
    case 0: return edge[nq_rng_below(r, sizeof edge / sizeof edge[0])];
    case 1: return nq_rng_below(r, 2) ? INFINITY : -INFINITY;
    case 2: return (double)((int64_t)nq_rng_below(r, 21) - 10) / 2; /* small, often integral */
    case 3: { /* any finite bit pattern */
        for (;;) {
            uint64_t u = nq_rng_next(r);
            double d;
            memcpy(&d, &u, 8);
            if (isfinite(d))
                return d;
        }
    }
    case 4: return (double)(int64_t)nq_rng_next(r); /* integral, beyond 2^53 */
    default: return (nq_rng_double(r) - 0.5) * 1e6;
    }
}

static inline int64_t gen_int(nq_rng *r)
{
    static const int64_t edge[] = {0, 1, -1, 2, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
                                   (1LL << 53), (1LL << 53) + 1, -(1LL << 53) - 1, 127, 128, -128,
                                   -129, 32767, 32768, 2147483647, 2147483648LL, 3, -3};
    switch (nq_rng_below(r, 3)) {
    case 0: return edge[nq_rng_below(r, sizeof edge / sizeof edge[0])];
    case 1: return (int64_t)nq_rng_below(r, 21) - 10;
    default: return (int64_t)(nq_rng_next(r) >> nq_rng_below(r, 64));
    }
}

static inline sqlv gen_value(nq_rng *r)
{
    sqlv v = sqlv_null();
    switch (nq_rng_below(r, 11)) {
    case 0: return v;
    case 1: return sqlv_bool((int)nq_rng_below(r, 2));
    case 2:
    case 3: return sqlv_int(gen_int(r));
    case 4:
    case 5: return sqlv_real(gen_real(r));
    case 6: return sqlv_temporal((sqlv_type)(SQLV_DATE + nq_rng_below(r, 3)), gen_int(r));
    case 7:
    case 8:
    case 9: {
        size_t n = nq_rng_below(r, 8) == 0 ? 300 + nq_rng_below(r, 300) : nq_rng_below(r, 5);
        uint8_t *p = malloc(n + 1);
        for (size_t k = 0; k < n; k++) /* tiny alphabet incl. NUL and 0xFF: many prefixes */
            p[k] = (uint8_t)"\0\x01" "ab\xff"[nq_rng_below(r, 5)];
        v = sqlv_bytes(nq_rng_below(r, 3) ? SQLV_TEXT : SQLV_BLOB, p, n);
        v.owned = 1;
        return v;
    }
    default: {
        size_t dim = nq_rng_below(r, 4);
        float f[3];
        for (size_t k = 0; k < dim; k++)
            f[k] = nq_rng_below(r, 3) ? (float)((int)nq_rng_below(r, 5) - 2) : (float)gen_real(r);
        for (size_t k = 0; k < dim; k++)
            if (isnan(f[k]))
                f[k] = 0;
        uint8_t *p = malloc(4 * dim + 1);
        sqlv_vector_put(p, f, dim);
        v = sqlv_bytes(SQLV_VECTOR, p, 4 * dim);
        v.owned = 1;
        return v;
    }
    }
}

static inline void gen_free(sqlv *v) { sqlv_clear(v); }

/* exact identity of two values: same type and same bits */
static inline int same_value(const sqlv *a, const sqlv *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case SQLV_NULL: return 1;
    case SQLV_REAL: return memcmp(&a->r, &b->r, 8) == 0;
    case SQLV_TEXT:
    case SQLV_BLOB:
    case SQLV_VECTOR: return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
    default: return a->i == b->i;
    }
}

#endif
