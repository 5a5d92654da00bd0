/*
 * func_neuro.c — the neuromorphic functions of QSQL: NEUROMATCH(value, pattern),
 * SYNAPTIC_WEIGHT(x [, y]) and HEBBIAN_LEARNING(x [, y [, rate]]) (docs/qsql.md,
 * "Neuromorphic functions"; upstream-qsql.md §8.3).
 *
 * NEUROMATCH(v, p) is the upstream similarity of neuromatch.h in [0, 1] (NULL in, NULL out);
 * it is pure: the learned associations of the NEUROMATCH clause belong to a table's rows, and a
 * function of two values has no row.
 *
 * SYNAPTIC_WEIGHT(x) is upstream's "activity" of one value, reproduced exactly:
 *   NULL 0; BOOLEAN 1 or 0; INTEGER and REAL sigmoid(x / 100) = 1 / (1 + e^(-x/100));
 *   TEXT (h mod 1000) / 1000 where h is Rust's DefaultHasher of the string: SipHash-1-3 with
 *   the keys (0, 0) over the string's bytes followed by the byte 0xFF (the framing of Rust's
 *   `Hash for str`); BLOB (bytes mod 100) / 100; NEURAL_VECTOR (dimensions mod 100) / 100;
 *   DATE, TIME and TIMESTAMP as their text.
 * SYNAPTIC_WEIGHT(x, y) is upstream's Hebbian weight: two TEXT values give NEUROMATCH(x, y);
 * otherwise activity(x) · activity(y) · boost, boost 1.2 when x and y are equal (same type and
 * value), 0.5 when either is NULL, else 1, clamped to [0, 1].
 * HEBBIAN_LEARNING(x) = activity(x); HEBBIAN_LEARNING(x, y) = the Hebbian weight;
 * HEBBIAN_LEARNING(x, y, rate) = weight · clamp(rate, 0, 1) (a NULL rate gives NULL).
 * All are deterministic: no state, no randomness.
 */
#include "sql/func_int.h"

#include <math.h>
#include <string.h>

#include "sql/neuromatch.h"

/* ---- SipHash-1-3 (Aumasson & Bernstein), keys (k0, k1) --------------------------------- */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                                  \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                     \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                     \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                                  \
    } while (0)

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* SipHash-1-3 of a ‖ b (two pieces, so the 0xFF suffix needs no copy). */
uint64_t fn_siphash13(uint64_t k0, uint64_t k1, const uint8_t *a, size_t an, const uint8_t *b,
                      size_t bn)
{
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    size_t n = an + bn;
    uint8_t blk[8];
    size_t fill = 0;
    for (size_t i = 0; i < n; i++) {
        blk[fill++] = i < an ? a[i] : b[i - an];
        if (fill == 8) {
            uint64_t m = le64(blk);
            v3 ^= m;
            SIPROUND;
            v0 ^= m;
            fill = 0;
        }
    }
    uint64_t last = (uint64_t)(n & 0xff) << 56;
    for (size_t i = 0; i < fill; i++)
        last |= (uint64_t)blk[i] << (8 * i);
    v3 ^= last;
    SIPROUND;
    v0 ^= last;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* upstream's activity of one value (see the file comment) */
static int activity(const sqlv *v, double *out, nq_err *e)
{
    static const uint8_t ff = 0xff;
    switch (v->type) {
    case SQLV_NULL: *out = 0; return 0;
    case SQLV_BOOL: *out = v->i ? 1 : 0; return 0;
    case SQLV_INT: *out = 1.0 / (1.0 + exp(-(double)v->i / 100.0)); return 0;
    case SQLV_REAL: *out = 1.0 / (1.0 + exp(-v->r / 100.0)); return 0;
    case SQLV_BLOB: *out = (double)(v->n % 100) / 100.0; return 0;
    case SQLV_VECTOR: *out = (double)(sqlv_vector_dim(v) % 100) / 100.0; return 0;
    case SQLV_TEXT:
        *out = (double)(fn_siphash13(0, 0, v->p, v->n, &ff, 1) % 1000) / 1000.0;
        return 0;
    default: {
        sqlv t;
        int rc = sqlv_cast(v, SQLV_TEXT, &t, e);
        if (rc)
            return rc;
        *out = (double)(fn_siphash13(0, 0, t.p, t.n, &ff, 1) % 1000) / 1000.0;
        sqlv_clear(&t);
        return 0;
    }
    }
}

static int hebbian_weight(const sqlv *a, const sqlv *b, double *out, nq_err *e)
{
    if (a->type == SQLV_TEXT && b->type == SQLV_TEXT)
        return nm_similarity((const char *)a->p, a->n, (const char *)b->p, b->n, out, e);
    double x, y;
    int rc = activity(a, &x, e);
    if (rc == 0)
        rc = activity(b, &y, e);
    if (rc)
        return rc;
    double boost = 1.0;
    if (a->type == SQLV_NULL || b->type == SQLV_NULL)
        boost = 0.5;
    else if (a->type == b->type && sqlv_compare(a, b) == 0)
        boost = 1.2;
    double w = x * y * boost;
    *out = w < 0 ? 0 : w > 1 ? 1 : w;
    return 0;
}

int fn_neuromatch(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx, (void)argc;
    fn_str v, p;
    int rc = fn_arg_text("neuromatch", 1, &argv[0], &v, e);
    if (rc)
        return rc;
    if ((rc = fn_arg_text("neuromatch", 2, &argv[1], &p, e)) != 0) {
        fn_str_free(&v);
        return rc;
    }
    double s = 0;
    rc = nm_similarity(v.p, v.n, p.p, p.n, &s, e);
    fn_str_free(&v);
    fn_str_free(&p);
    if (rc)
        return rc;
    *out = sqlv_real(s);
    return 0;
}

int fn_synaptic_weight(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx;
    double w;
    int rc = argc == 1 ? activity(&argv[0], &w, e) : hebbian_weight(&argv[0], &argv[1], &w, e);
    if (rc)
        return rc;
    *out = sqlv_real(w);
    return 0;
}

int fn_hebbian_learning(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx;
    double w, rate = 1.0;
    if (argc == 3) {
        if (argv[2].type == SQLV_NULL) {
            *out = sqlv_null();
            return 0;
        }
        int rc = fn_arg_real("hebbian_learning", 3, &argv[2], &rate, e);
        if (rc)
            return rc;
        if (isnan(rate))
            return nq_err_set(e, NQ_ERROR, "hebbian_learning: the rate is not a number");
        rate = rate < 0 ? 0 : rate > 1 ? 1 : rate;
    }
    int rc = argc == 1 ? activity(&argv[0], &w, e) : hebbian_weight(&argv[0], &argv[1], &w, e);
    if (rc)
        return rc;
    *out = sqlv_real(w * rate);
    return 0;
}
