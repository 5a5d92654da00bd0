/*
 * func_agg.c — the aggregates: count, sum, total, avg, min, max, group_concat/string_agg,
 * bool_and/bool_or/every, and the variance family (stddev, stddev_samp, stddev_pop,
 * variance, var_samp, var_pop).
 *
 * Results follow SQLite where the sqllogictest scripts look (avg and total are REAL, sum of
 * INTEGERs is INTEGER, total over no rows is 0.0, group_concat's separator is ","), and
 * PostgreSQL elsewhere (sum over no rows is NULL, non-numeric input to sum is a type error
 * rather than 0).
 *
 * sum/total/avg share one state: an exact 128-bit sum of the INTEGERs (2^64 rows of int64
 * cannot overflow it) and a compensated (Kahan-Babuska-Neumaier) double sum of every value.
 * The result is chosen at the end, so the order of rows never matters: any REAL input makes
 * sum REAL from the double sum; otherwise a total outside int64 is "integer out of range"
 * (SQLite says "integer overflow", and also fails when only an intermediate sum overflows;
 * here MAX + 1 - 1 is MAX, in any order). total never overflows: it is always the double
 * sum. avg divides the exact integer sum when there is one.
 *
 * Variance uses Welford's update (mean and sum of squared deviations), which stays accurate
 * where the textbook sum-of-squares formula cancels catastrophically (values like 1e9 + k).
 */
#include "sql/func_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- count ----------------------------------------------------------------------------- */
typedef struct { int64_t n; } count_st;

static void count_init(void *s) { ((count_st *)s)->n = 0; }
static int count_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    ((count_st *)s)->n++;
    return 0;
}
static int count_final(void *s, sqlv *out, nq_err *e)
{
    *out = sqlv_int(((count_st *)s)->n);
    return 0;
}

/* ---- sum, total, avg ------------------------------------------------------------------- */
__extension__ typedef __int128 i128;

typedef struct {
    int64_t n;     /* values seen */
    i128 isum;     /* exact sum of the INTEGERs */
    int any_real;
    double r, c;   /* Neumaier sum of every value and its running compensation */
} sum_st;

static void sum_init(void *s) { memset(s, 0, sizeof(sum_st)); }

static void neumaier(sum_st *st, double x)
{
    double t = st->r + x;
    if (isinf(t) || isinf(st->r) || isinf(x))
        st->c = 0; /* the compensation of an infinite sum is meaningless (inf - inf) */
    else if (fabs(st->r) >= fabs(x))
        st->c += (st->r - t) + x;
    else
        st->c += (x - t) + st->r;
    st->r = t;
}

static int sum_step_named(const char *f, void *s, const sqlv *v, nq_err *e)
{
    sum_st *st = s;
    if (v->type == SQLV_INT) {
        st->isum += v->i;
        neumaier(st, (double)v->i);
    } else if (v->type == SQLV_REAL) {
        st->any_real = 1;
        neumaier(st, v->r);
    } else {
        return fn_arg_type_error(f, 1, v, "a number", e);
    }
    st->n++;
    return 0;
}

static int sum_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return sum_step_named("sum", s, &argv[0], e);
}
static int total_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return sum_step_named("total", s, &argv[0], e);
}
static int avg_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return sum_step_named("avg", s, &argv[0], e);
}

static double sum_double(const sum_st *st) { return st->r + st->c; }

static int sum_final(void *s, sqlv *out, nq_err *e)
{
    sum_st *st = s;
    if (!st->n) {
        *out = sqlv_null();
        return 0;
    }
    if (st->any_real)
        return fn_set_real("sum", sum_double(st), 1, out, e);
    if (st->isum > INT64_MAX || st->isum < INT64_MIN)
        return nq_err_set(e, NQ_ERROR, "sum: integer out of range");
    *out = sqlv_int((int64_t)st->isum);
    return 0;
}

static int total_final(void *s, sqlv *out, nq_err *e)
{
    return fn_set_real("total", sum_double(s), 1, out, e);
}

static int avg_final(void *s, sqlv *out, nq_err *e)
{
    sum_st *st = s;
    if (!st->n) {
        *out = sqlv_null();
        return 0;
    }
    double total = !st->any_real ? (double)st->isum : sum_double(st);
    return fn_set_real("avg", total / (double)st->n, 1, out, e);
}

/* ---- min, max -------------------------------------------------------------------------- */
typedef struct {
    sqlv v; /* the best so far; TEXT/BLOB/VECTOR bytes owned here */
    int has;
} ext_st;

static void ext_init(void *s) { memset(s, 0, sizeof(ext_st)); }

static int ext_step(void *s, const sqlv *v, int dir, nq_err *e)
{
    ext_st *st = s;
    if (st->has && sqlv_order(v, &st->v) * dir <= 0)
        return 0;
    sqlv copy = *v;
    copy.owned = 0;
    if (v->type == SQLV_TEXT || v->type == SQLV_BLOB || v->type == SQLV_VECTOR) {
        uint8_t *b = malloc(v->n + 1);
        if (!b)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        if (v->n)
            memcpy(b, v->p, v->n);
        b[v->n] = 0;
        copy.p = b;
        copy.owned = 1;
    }
    sqlv_clear(&st->v);
    st->v = copy;
    st->has = 1;
    return 0;
}

static int min_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return ext_step(s, &argv[0], -1, e);
}
static int max_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return ext_step(s, &argv[0], 1, e);
}

/* The result is a fresh copy, so final may be called more than once (a window over a
 * growing frame) and cleanup still frees the state's own bytes. */
static int ext_final(void *s, sqlv *out, nq_err *e)
{
    ext_st *st = s;
    if (!st->has) {
        *out = sqlv_null();
        return 0;
    }
    if (st->v.type == SQLV_TEXT || st->v.type == SQLV_BLOB || st->v.type == SQLV_VECTOR) {
        uint8_t *b = malloc(st->v.n + 1);
        if (!b)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        if (st->v.n)
            memcpy(b, st->v.p, st->v.n);
        b[st->v.n] = 0;
        *out = sqlv_bytes(st->v.type, b, st->v.n);
        out->owned = 1;
        return 0;
    }
    *out = st->v;
    out->owned = 0;
    return 0;
}

static void ext_cleanup(void *s) { sqlv_clear(&((ext_st *)s)->v); }

/* ---- group_concat / string_agg --------------------------------------------------------- */
typedef struct {
    fn_buf b;
    int has;
} cat_st;

static void cat_init(void *s) { memset(s, 0, sizeof(cat_st)); }

/* Registered FN_NULL_OK so that a NULL separator does not drop the row: NULL values are
 * skipped here, a NULL separator is the empty string (SQLite). BLOBs add their raw bytes. */
static int cat_step_named(const char *f, void *s, int argc, const sqlv *argv, nq_err *e)
{
    cat_st *st = s;
    if (argv[0].type == SQLV_NULL)
        return 0;
    fn_str v = {0}, sep = {",", 1, {0}};
    int rc;
    if (argc > 1) {
        if (argv[1].type == SQLV_NULL)
            sep.p = "", sep.n = 0;
        else if ((rc = fn_arg_text(f, 2, &argv[1], &sep, e)))
            return rc;
    }
    if (argv[0].type == SQLV_BLOB) {
        v.p = (const char *)argv[0].p;
        v.n = argv[0].n;
    } else if ((rc = fn_arg_text(f, 1, &argv[0], &v, e))) {
        fn_str_free(&sep);
        return rc;
    }
    if (st->has)
        fn_buf_add(&st->b, sep.p, sep.n);
    fn_buf_add(&st->b, v.p, v.n);
    st->has = 1;
    fn_str_free(&v);
    fn_str_free(&sep);
    if (st->b.bad)
        return st->b.bad == 2 ? nq_err_set(e, NQ_ETOOBIG, "%s: result text is too long", f)
                              : nq_err_set(e, NQ_ENOMEM, "out of memory");
    return 0;
}

static int gc_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return cat_step_named("group_concat", s, argc, argv, e);
}
static int sa_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return cat_step_named("string_agg", s, argc, argv, e);
}

static int cat_final(void *s, sqlv *out, nq_err *e)
{
    cat_st *st = s;
    if (!st->has) {
        *out = sqlv_null();
        return 0;
    }
    return fn_set_text(out, st->b.p ? st->b.p : "", st->b.n, e);
}

static void cat_cleanup(void *s) { fn_buf_free(&((cat_st *)s)->b); }

/* ---- bool_and, bool_or, every ---------------------------------------------------------- */
typedef struct {
    int has, val;
} bool_st;

static void bool_init(void *s) { memset(s, 0, sizeof(bool_st)); }

static int bool_step(const char *f, void *s, const sqlv *v, int is_and, nq_err *e)
{
    bool_st *st = s;
    if (v->type != SQLV_BOOL)
        return fn_arg_type_error(f, 1, v, "a boolean", e);
    if (!st->has)
        st->val = (int)v->i;
    else
        st->val = is_and ? (st->val && v->i) : (st->val || v->i);
    st->has = 1;
    return 0;
}

static int band_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return bool_step("bool_and", s, &argv[0], 1, e);
}
static int every_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return bool_step("every", s, &argv[0], 1, e);
}
static int bor_step(void *s, int argc, const sqlv *argv, nq_err *e)
{
    return bool_step("bool_or", s, &argv[0], 0, e);
}

static int bool_final(void *s, sqlv *out, nq_err *e)
{
    bool_st *st = s;
    *out = st->has ? sqlv_bool(st->val) : sqlv_null();
    return 0;
}

/* ---- variance family (Welford) --------------------------------------------------------- */
typedef struct {
    int64_t n;
    double mean, m2;
} var_st;

static void var_init(void *s) { memset(s, 0, sizeof(var_st)); }

static int var_step_named(const char *f, void *s, const sqlv *v, nq_err *e)
{
    var_st *st = s;
    double x;
    int rc = fn_arg_real(f, 1, v, &x, e);
    if (rc)
        return rc;
    if (isinf(x))
        return nq_err_set(e, NQ_ERROR, "%s: input is out of range (infinite)", f);
    st->n++;
    double d = x - st->mean;
    st->mean += d / (double)st->n;
    st->m2 += d * (x - st->mean);
    return 0;
}

/* samp: divide by n-1 (NULL below 2 values); pop: by n (NULL on none). root: stddev. */
static int var_result(const char *f, var_st *st, int samp, int root, sqlv *out, nq_err *e)
{
    if (st->n < (samp ? 2 : 1)) {
        *out = sqlv_null();
        return 0;
    }
    double var = st->m2 / (double)(st->n - (samp ? 1 : 0));
    if (var < 0)
        var = 0;
    return fn_set_real(f, root ? sqrt(var) : var, 0, out, e);
}

#define VARIANT(sname, label, samp, root)                                                    \
    static int sname##_step(void *s, int argc, const sqlv *argv, nq_err *e)                  \
    {                                                                                        \
        return var_step_named(label, s, &argv[0], e);                                        \
    }                                                                                        \
    static int sname##_final(void *s, sqlv *out, nq_err *e)                                  \
    {                                                                                        \
        return var_result(label, s, samp, root, out, e);                                     \
    }
VARIANT(stddev, "stddev", 1, 1)
VARIANT(stddev_samp, "stddev_samp", 1, 1)
VARIANT(stddev_pop, "stddev_pop", 0, 1)
VARIANT(variance, "variance", 1, 0)
VARIANT(var_samp, "var_samp", 1, 0)
VARIANT(var_pop, "var_pop", 0, 0)

/* ---- the table (sorted by name: func.c bsearches it) ----------------------------------- */
#define AGG(name, lo, hi, flags, st, init, step, final, cleanup)                             \
    {name, lo, hi, FN_DETERMINISTIC | (flags), sizeof(st), init, step, final, cleanup}

const fn_agg_def fn_agg_defs[] = {
    AGG("avg", 1, 1, 0, sum_st, sum_init, avg_step, avg_final, NULL),
    AGG("bool_and", 1, 1, 0, bool_st, bool_init, band_step, bool_final, NULL),
    AGG("bool_or", 1, 1, 0, bool_st, bool_init, bor_step, bool_final, NULL),
    AGG("count", 0, 1, 0, count_st, count_init, count_step, count_final, NULL),
    AGG("every", 1, 1, 0, bool_st, bool_init, every_step, bool_final, NULL),
    AGG("group_concat", 1, 2, FN_NULL_OK, cat_st, cat_init, gc_step, cat_final, cat_cleanup),
    AGG("max", 1, 1, 0, ext_st, ext_init, max_step, ext_final, ext_cleanup),
    AGG("min", 1, 1, 0, ext_st, ext_init, min_step, ext_final, ext_cleanup),
    AGG("stddev", 1, 1, 0, var_st, var_init, stddev_step, stddev_final, NULL),
    AGG("stddev_pop", 1, 1, 0, var_st, var_init, stddev_pop_step, stddev_pop_final, NULL),
    AGG("stddev_samp", 1, 1, 0, var_st, var_init, stddev_samp_step, stddev_samp_final, NULL),
    AGG("string_agg", 2, 2, FN_NULL_OK, cat_st, cat_init, sa_step, cat_final, cat_cleanup),
    AGG("sum", 1, 1, 0, sum_st, sum_init, sum_step, sum_final, NULL),
    AGG("total", 1, 1, 0, sum_st, sum_init, total_step, total_final, NULL),
    AGG("var_pop", 1, 1, 0, var_st, var_init, var_pop_step, var_pop_final, NULL),
    AGG("var_samp", 1, 1, 0, var_st, var_init, var_samp_step, var_samp_final, NULL),
    AGG("variance", 1, 1, 0, var_st, var_init, variance_step, variance_final, NULL),
};
const size_t fn_agg_ndefs = sizeof fn_agg_defs / sizeof fn_agg_defs[0];
