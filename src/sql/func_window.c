/*
 * func_window.c — the window functions: row_number, rank, dense_rank, percent_rank,
 * cume_dist, ntile, lag, lead, first_value, last_value, nth_value (PostgreSQL semantics).
 *
 * Division of labour (func.h, fn_win_part): the executor partitions, sorts, evaluates the
 * arguments and finds peer groups and frames — the parts that need expressions and the
 * window clause; the functions here only count and index within one sorted partition. Each
 * eval is one linear pass and writes all rows of the partition at once, so ranking is O(n)
 * per partition rather than O(n) per row.
 *
 * Missing peer information (peer_start/peer_end NULL) means "no ORDER BY": the whole partition
 * is one peer group, as in SQL. A missing frame means the SQL default frame, RANGE UNBOUNDED
 * PRECEDING to CURRENT ROW, which ends at the current row's last peer.
 *
 * Values taken from other rows (lag, lead, first_value, ...) are copied when they hold bytes,
 * so the results do not depend on the lifetime of the argument rows. On error nothing is
 * left allocated: every out[i] is cleared.
 */
#include "sql/func_int.h"

#include <stdlib.h>
#include <string.h>

static int64_t ps(const fn_win_part *p, int64_t i) { return p->peer_start ? p->peer_start[i] : 0; }
static int64_t pe(const fn_win_part *p, int64_t i)
{
    return p->peer_end ? p->peer_end[i] : p->nrows;
}
static const sqlv *arg(const fn_win_part *p, int64_t i, int k) { return &p->args[i * p->argc + k]; }

static void clear_all(const fn_win_part *p, sqlv *out)
{
    for (int64_t i = 0; i < p->nrows; i++)
        sqlv_clear(&out[i]);
}

static int copy_val(const sqlv *v, sqlv *out, nq_err *e)
{
    *out = *v;
    out->owned = 0;
    if (v->type != SQLV_TEXT && v->type != SQLV_BLOB && v->type != SQLV_VECTOR)
        return 0;
    uint8_t *b = malloc(v->n + 1);
    if (!b) {
        *out = sqlv_null();
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    if (v->n)
        memcpy(b, v->p, v->n);
    b[v->n] = 0;
    out->p = b;
    out->owned = 1;
    return 0;
}

/* ---- ranking --------------------------------------------------------------------------- */
static int w_row_number(const fn_win_part *p, sqlv *out, nq_err *e)
{
    for (int64_t i = 0; i < p->nrows; i++)
        out[i] = sqlv_int(i + 1);
    return 0;
}

static int w_rank(const fn_win_part *p, sqlv *out, nq_err *e)
{
    for (int64_t i = 0; i < p->nrows; i++)
        out[i] = sqlv_int(ps(p, i) + 1);
    return 0;
}

static int w_dense_rank(const fn_win_part *p, sqlv *out, nq_err *e)
{
    int64_t r = 0;
    for (int64_t i = 0; i < p->nrows; i++) {
        if (i == 0 || ps(p, i) != ps(p, i - 1))
            r++;
        out[i] = sqlv_int(r);
    }
    return 0;
}

static int w_percent_rank(const fn_win_part *p, sqlv *out, nq_err *e)
{
    for (int64_t i = 0; i < p->nrows; i++)
        out[i] = sqlv_real(p->nrows > 1 ? (double)ps(p, i) / (double)(p->nrows - 1) : 0.0);
    return 0;
}

static int w_cume_dist(const fn_win_part *p, sqlv *out, nq_err *e)
{
    for (int64_t i = 0; i < p->nrows; i++)
        out[i] = sqlv_real((double)pe(p, i) / (double)p->nrows);
    return 0;
}

/* ntile(n): rows split into n buckets as evenly as possible, the first nrows % n buckets one
 * row larger (PostgreSQL). */
static int w_ntile(const fn_win_part *p, sqlv *out, nq_err *e)
{
    for (int64_t i = 0; i < p->nrows; i++)
        out[i] = sqlv_null();
    for (int64_t i = 0; i < p->nrows; i++) {
        const sqlv *a = arg(p, i, 0);
        if (a->type == SQLV_NULL) {
            out[i] = sqlv_null();
            continue;
        }
        int64_t n;
        int rc = fn_arg_int("ntile", 1, a, &n, e);
        if (!rc && n <= 0)
            rc = nq_err_set(e, NQ_ERROR, "ntile: argument must be greater than zero");
        if (rc) {
            clear_all(p, out);
            return rc;
        }
        int64_t q = p->nrows / n, r = p->nrows % n, big = r * (q + 1);
        out[i] = sqlv_int(i < big ? i / (q + 1) + 1 : r + (i - big) / q + 1);
    }
    return 0;
}

/* ---- offsets --------------------------------------------------------------------------- */
static int lag_lead(const char *f, int dir, const fn_win_part *p, sqlv *out, nq_err *e)
{
    for (int64_t i = 0; i < p->nrows; i++)
        out[i] = sqlv_null();
    for (int64_t i = 0; i < p->nrows; i++) {
        int64_t off = 1;
        if (p->argc > 1) {
            const sqlv *o = arg(p, i, 1);
            if (o->type == SQLV_NULL)
                continue; /* NULL offset: NULL */
            int rc = fn_arg_int(f, 2, o, &off, e);
            if (rc) {
                clear_all(p, out);
                return rc;
            }
        }
        /* target = i - dir * off, computed without overflow */
        int64_t target = -1;
        int64_t delta;
        if (!__builtin_mul_overflow(off, dir, &delta) &&
            !__builtin_sub_overflow(i, delta, &target) && target >= 0 && target < p->nrows) {
            int rc = copy_val(arg(p, target, 0), &out[i], e);
            if (rc) {
                clear_all(p, out);
                return rc;
            }
        } else if (p->argc > 2) {
            int rc = copy_val(arg(p, i, 2), &out[i], e);
            if (rc) {
                clear_all(p, out);
                return rc;
            }
        }
    }
    return 0;
}

static int w_lag(const fn_win_part *p, sqlv *out, nq_err *e)
{
    return lag_lead("lag", 1, p, out, e);
}
static int w_lead(const fn_win_part *p, sqlv *out, nq_err *e)
{
    return lag_lead("lead", -1, p, out, e);
}

/* ---- frame values ---------------------------------------------------------------------- */
enum { FV_FIRST, FV_LAST, FV_NTH };

static int frame_value(const char *f, int which, const fn_win_part *p, sqlv *out, nq_err *e)
{
    for (int64_t i = 0; i < p->nrows; i++)
        out[i] = sqlv_null();
    for (int64_t i = 0; i < p->nrows; i++) {
        int64_t fs = p->frame_start ? p->frame_start[i] : 0;
        int64_t fe = p->frame_end ? p->frame_end[i] : pe(p, i);
        if (fs < 0)
            fs = 0;
        if (fe > p->nrows)
            fe = p->nrows;
        int64_t at = -1;
        if (which == FV_FIRST)
            at = fs;
        else if (which == FV_LAST)
            at = fe - 1;
        else {
            const sqlv *nv = arg(p, i, 1);
            if (nv->type == SQLV_NULL)
                continue;
            int64_t n;
            int rc = fn_arg_int(f, 2, nv, &n, e);
            if (!rc && n <= 0)
                rc = nq_err_set(e, NQ_ERROR, "%s: argument must be greater than zero", f);
            if (rc) {
                clear_all(p, out);
                return rc;
            }
            at = n <= fe - fs ? fs + n - 1 : -1;
        }
        if (at < fs || at >= fe)
            continue; /* empty frame, or no nth row: NULL */
        int rc = copy_val(arg(p, at, 0), &out[i], e);
        if (rc) {
            clear_all(p, out);
            return rc;
        }
    }
    return 0;
}

static int w_first_value(const fn_win_part *p, sqlv *out, nq_err *e)
{
    return frame_value("first_value", FV_FIRST, p, out, e);
}
static int w_last_value(const fn_win_part *p, sqlv *out, nq_err *e)
{
    return frame_value("last_value", FV_LAST, p, out, e);
}
static int w_nth_value(const fn_win_part *p, sqlv *out, nq_err *e)
{
    return frame_value("nth_value", FV_NTH, p, out, e);
}

/* ---- the table (sorted by name) -------------------------------------------------------- */
static const fn_win_def win_defs[] = {
    {"cume_dist", 0, 0, FN_DETERMINISTIC, 0, w_cume_dist},
    {"dense_rank", 0, 0, FN_DETERMINISTIC, 0, w_dense_rank},
    {"first_value", 1, 1, FN_DETERMINISTIC, 1, w_first_value},
    {"lag", 1, 3, FN_DETERMINISTIC, 0, w_lag},
    {"last_value", 1, 1, FN_DETERMINISTIC, 1, w_last_value},
    {"lead", 1, 3, FN_DETERMINISTIC, 0, w_lead},
    {"nth_value", 2, 2, FN_DETERMINISTIC, 1, w_nth_value},
    {"ntile", 1, 1, FN_DETERMINISTIC, 0, w_ntile},
    {"percent_rank", 0, 0, FN_DETERMINISTIC, 0, w_percent_rank},
    {"rank", 0, 0, FN_DETERMINISTIC, 0, w_rank},
    {"row_number", 0, 0, FN_DETERMINISTIC, 0, w_row_number},
};

const fn_win_def *fn_win_list(size_t *n)
{
    *n = sizeof win_defs / sizeof win_defs[0];
    return win_defs;
}
