/*
 * exec_ops.c — the streaming operators: one row, VALUES, filter, nested-loop join,
 * projection, LIMIT/OFFSET, materialization; plus the counters every operator call goes
 * through (rows, loops and, under EXPLAIN ANALYZE, time) and the EXPLAIN printer.
 *
 * The nested-loop join re-opens its right input for every left row; when the right input is
 * an index scan whose bounds read the left row's registers, that is an index nested-loop
 * join, and otherwise the planner puts a materialization under it so the right side is
 * computed once. LEFT JOIN keeps a "matched" flag per left row and emits the left row with the
 * right side's registers pointed at a row of NULLs when nothing matched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql/ops.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int op_open(op *o, xenv *x, nq_err *e)
{
    o->act_loops++;
    if (!x->timing)
        return o->vt->open(o, x, e);
    uint64_t t0 = now_ns();
    int rc = o->vt->open(o, x, e);
    o->act_ns += now_ns() - t0;
    return rc;
}

int op_next(op *o, xenv *x, nq_err *e)
{
    int rc;
    if ((++x->ticks & 255) == 0 && (rc = exec_check_interrupt(x, e)) < 0)
        return rc;
    if (!x->timing)
        rc = o->vt->next(o, x, e);
    else {
        uint64_t t0 = now_ns();
        rc = o->vt->next(o, x, e);
        o->act_ns += now_ns() - t0;
    }
    if (rc == 1)
        o->act_rows++;
    return rc;
}

void op_close(op *o, xenv *x)
{
    if (o && o->vt->close)
        o->vt->close(o, x);
}

void op_destroy(op *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->nchild; i++)
        op_destroy(o->child[i]);
    if (o->vt->destroy)
        o->vt->destroy(o);
}

int rows_copy(const sqlv *src, int n, sqlv *dst, nq_err *e)
{
    for (int i = 0; i < n; i++) {
        int rc = sqlv_copy(&src[i], &dst[i], e);
        if (rc < 0) {
            rows_clear(dst, i);
            return rc;
        }
    }
    return 0;
}

void rows_clear(sqlv *v, int n)
{
    for (int i = 0; i < n; i++)
        sqlv_clear(&v[i]);
}

static void *op_alloc(ast_arena *a, size_t n, const op_vt *vt, int slot, int ncols)
{
    op *o = ast_alloc(a, n);
    if (o) {
        o->vt = vt;
        o->out_slot = slot;
        o->ncols = ncols;
    }
    return o;
}

static int pass_open(op *o, xenv *x, nq_err *e) { return op_open(o->child[0], x, e); }
static void pass_close(op *o, xenv *x) { op_close(o->child[0], x); }

/* ---- one row ---------------------------------------------------------------------------- */
typedef struct one_op {
    op base;
    int done;
} one_op;

static int one_open(op *o, xenv *x, nq_err *e)
{
    ((one_op *)o)->done = 0;
    return 0;
}
static int one_next(op *o, xenv *x, nq_err *e)
{
    one_op *s = (one_op *)o;
    if (s->done)
        return 0;
    s->done = 1;
    return 1;
}
static void one_describe(const op *o, char *buf, size_t cap) { snprintf(buf, cap, "ONE ROW"); }
static const op_vt one_vt = {"one", one_open, one_next, NULL, NULL, one_describe};

op *op_one_new(ast_arena *a) { return op_alloc(a, sizeof(one_op), &one_vt, -1, 0); }

/* ---- VALUES ----------------------------------------------------------------------------- */
typedef struct values_op {
    op base;
    bx ***rows;
    int nrows, pos;
    sqlv *vals;
} values_op;

static int values_open(op *o, xenv *x, nq_err *e)
{
    values_op *s = (values_op *)o;
    s->pos = 0;
    if (!s->vals && !(s->vals = calloc((size_t)o->ncols + 1, sizeof(sqlv))))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    x->slot[o->out_slot] = s->vals;
    return 0;
}

static int values_next(op *o, xenv *x, nq_err *e)
{
    values_op *s = (values_op *)o;
    rows_clear(s->vals, o->ncols);
    if (s->pos >= s->nrows)
        return 0;
    bx **r = s->rows[s->pos++];
    for (int i = 0; i < o->ncols; i++) {
        sqlv v;
        int rc = ev(r[i], x, &v, e);
        if (rc < 0)
            return rc;
        if (!v.owned && (rc = sqlv_copy(&v, &s->vals[i], e)) < 0)
            return rc;
        if (v.owned)
            s->vals[i] = v;
    }
    x->slot[o->out_slot] = s->vals;
    return 1;
}

static void values_close(op *o, xenv *x)
{
    values_op *s = (values_op *)o;
    if (s->vals)
        rows_clear(s->vals, o->ncols);
    free(s->vals);
    s->vals = NULL;
}

static void values_describe(const op *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "VALUES (%d rows)", ((const values_op *)o)->nrows);
}
static const op_vt values_vt = {"values", values_open, values_next, values_close, NULL, values_describe};

op *op_values_new(ast_arena *a, int slot, int ncols, bx ***rows, int nrows)
{
    values_op *s = op_alloc(a, sizeof *s, &values_vt, slot, ncols);
    if (s) {
        s->rows = rows;
        s->nrows = nrows;
        s->base.est_rows = nrows;
    }
    return &s->base;
}

/* ---- filter ----------------------------------------------------------------------------- */
typedef struct filter_op {
    op base;
    bx *cond;
} filter_op;

static int filter_next(op *o, xenv *x, nq_err *e)
{
    filter_op *s = (filter_op *)o;
    for (;;) {
        int rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            return rc;
        int t;
        rc = ev_truth(s->cond, x, &t, e);
        if (rc < 0)
            return rc;
        if (t == 1)
            return 1;
    }
}
static void filter_describe(const op *o, char *buf, size_t cap) { snprintf(buf, cap, "FILTER"); }
static const op_vt filter_vt = {"filter", pass_open, filter_next, pass_close, NULL, filter_describe};

op *op_filter_new(ast_arena *a, op *child, bx *cond)
{
    filter_op *s = op_alloc(a, sizeof *s, &filter_vt, child->out_slot, child->ncols);
    if (s) {
        s->cond = cond;
        s->base.child[0] = child;
        s->base.nchild = 1;
    }
    return &s->base;
}

/* ---- nested-loop join ------------------------------------------------------------------- */
typedef struct join_op {
    op base;
    bx *cond;
    int left_outer;
    int full;       /* FULL JOIN: the right input is a materialization; unmatched right rows
                       are emitted at the end with the left side's registers NULL */
    const int *null_slots, *null_widths;
    int nnull;
    const int *lnull_slots, *lnull_widths;
    int nlnull;
    sqlv *nulls;    /* a row of NULLs wide enough for any slot of either side */
    int state;      /* 0: need a left row, 1: right open, 2: unmatched right rows */
    int matched;
    char *rmatched; /* FULL: per materialized right row */
    size_t nright, rpos;
} join_op;

static int join_open(op *o, xenv *x, nq_err *e)
{
    join_op *s = (join_op *)o;
    s->state = 0;
    free(s->rmatched);
    s->rmatched = NULL;
    s->nright = s->rpos = 0;
    if ((s->left_outer || s->full) && !s->nulls) {
        int w = 1;
        for (int i = 0; i < s->nnull; i++)
            if (s->null_widths[i] + 1 > w)
                w = s->null_widths[i] + 1;
        for (int i = 0; i < s->nlnull; i++)
            if (s->lnull_widths[i] + 1 > w)
                w = s->lnull_widths[i] + 1;
        if (!(s->nulls = calloc((size_t)w, sizeof(sqlv))))
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    return op_open(o->child[0], x, e);
}

static int join_next(op *o, xenv *x, nq_err *e)
{
    join_op *s = (join_op *)o;
    for (;;) {
        int rc;
        if (s->state == 2) {
            /* FULL JOIN tail: right rows no left row matched */
            while (s->rpos < s->nright && s->rmatched[s->rpos])
                s->rpos++;
            if (s->rpos >= s->nright)
                return 0;
            x->slot[o->child[1]->out_slot] = op_material_row(o->child[1], s->rpos++);
            for (int i = 0; i < s->nlnull; i++)
                x->slot[s->lnull_slots[i]] = s->nulls;
            return 1;
        }
        if (s->state == 0) {
            rc = op_next(o->child[0], x, e);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                if (!s->full)
                    return 0;
                /* make sure the right side was computed even when the left was empty */
                op_close(o->child[1], x);
                if ((rc = op_open(o->child[1], x, e)) < 0)
                    return rc;
                if (!s->rmatched) {
                    s->nright = op_material_count(o->child[1]);
                    if (!(s->rmatched = calloc(s->nright + 1, 1)))
                        return nq_err_set(e, NQ_ENOMEM, "out of memory");
                }
                s->state = 2;
                s->rpos = 0;
                continue;
            }
            op_close(o->child[1], x);
            rc = op_open(o->child[1], x, e);
            if (rc < 0)
                return rc;
            s->state = 1;
            s->matched = 0;
        }
        rc = op_next(o->child[1], x, e);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            s->state = 0;
            if (s->left_outer && !s->matched) {
                for (int i = 0; i < s->nnull; i++)
                    x->slot[s->null_slots[i]] = s->nulls;
                return 1;
            }
            continue;
        }
        if (s->cond) {
            int t;
            rc = ev_truth(s->cond, x, &t, e);
            if (rc < 0)
                return rc;
            if (t != 1)
                continue;
        }
        s->matched = 1;
        if (s->full) {
            if (!s->rmatched) {
                s->nright = op_material_count(o->child[1]);
                if (!(s->rmatched = calloc(s->nright + 1, 1)))
                    return nq_err_set(e, NQ_ENOMEM, "out of memory");
            }
            size_t at = op_material_pos(o->child[1]);
            if (at < s->nright)
                s->rmatched[at] = 1;
        }
        return 1;
    }
}

static void join_close(op *o, xenv *x)
{
    join_op *s = (join_op *)o;
    op_close(o->child[0], x);
    op_close(o->child[1], x);
    free(s->nulls);
    s->nulls = NULL;
    free(s->rmatched);
    s->rmatched = NULL;
}

static void join_describe(const op *o, char *buf, size_t cap)
{
    const join_op *s = (const join_op *)o;
    snprintf(buf, cap, "NESTED LOOP %s JOIN", s->full ? "FULL" : s->left_outer ? "LEFT" : "INNER");
}
static const op_vt join_vt = {"join", join_open, join_next, join_close, NULL, join_describe};

op *op_join_new(ast_arena *a, op *l, op *r, bx *cond, int left_outer, const int *null_slots,
                const int *null_widths, int nnull)
{
    return op_join_full_new(a, l, r, cond, left_outer, 0, null_slots, null_widths, nnull, NULL, NULL, 0);
}

op *op_join_full_new(ast_arena *a, op *l, op *r, bx *cond, int left_outer, int full,
                     const int *null_slots, const int *null_widths, int nnull,
                     const int *lnull_slots, const int *lnull_widths, int nlnull)
{
    join_op *s = op_alloc(a, sizeof *s, &join_vt, -1, 0);
    if (s) {
        s->full = full;
        s->lnull_slots = lnull_slots;
        s->lnull_widths = lnull_widths;
        s->nlnull = nlnull;
        s->base.child[0] = l;
        s->base.child[1] = r;
        s->base.nchild = 2;
        s->cond = cond;
        s->left_outer = left_outer;
        s->null_slots = null_slots;
        s->null_widths = null_widths;
        s->nnull = nnull;
    }
    return &s->base;
}

/* ---- projection ------------------------------------------------------------------------- */
typedef struct project_op {
    op base;
    bx **exprs;
    sqlv *vals;
} project_op;

static int project_open(op *o, xenv *x, nq_err *e)
{
    project_op *s = (project_op *)o;
    if (!s->vals && !(s->vals = calloc((size_t)o->ncols + 1, sizeof(sqlv))))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    return op_open(o->child[0], x, e);
}

static int project_next(op *o, xenv *x, nq_err *e)
{
    project_op *s = (project_op *)o;
    rows_clear(s->vals, o->ncols);
    int rc = op_next(o->child[0], x, e);
    if (rc <= 0)
        return rc;
    for (int i = 0; i < o->ncols; i++) {
        sqlv v;
        rc = ev(s->exprs[i], x, &v, e);
        if (rc < 0)
            return rc;
        /* the row must outlive the producers below: own every variable-length value */
        if (!v.owned && v.p && (rc = sqlv_copy(&v, &s->vals[i], e)) < 0)
            return rc;
        if (v.owned || !v.p)
            s->vals[i] = v;
    }
    x->slot[o->out_slot] = s->vals;
    return 1;
}

static void project_close(op *o, xenv *x)
{
    project_op *s = (project_op *)o;
    op_close(o->child[0], x);
    if (s->vals)
        rows_clear(s->vals, o->ncols);
    free(s->vals);
    s->vals = NULL;
}

static void project_describe(const op *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "PROJECT %d columns", o->ncols);
}
static const op_vt project_vt = {"project", project_open, project_next, project_close, NULL,
                                 project_describe};

op *op_project_new(ast_arena *a, op *child, int slot, bx **exprs, int n)
{
    project_op *s = op_alloc(a, sizeof *s, &project_vt, slot, n);
    if (s) {
        s->exprs = exprs;
        s->base.child[0] = child;
        s->base.nchild = 1;
    }
    return &s->base;
}

/* ---- LIMIT / OFFSET --------------------------------------------------------------------- */
typedef struct limit_op {
    op base;
    bx *limit, *offset;
    int64_t left, skip;
} limit_op;

static int limit_value(bx *b, xenv *x, const char *what, int64_t *out, nq_err *e)
{
    sqlv v, t;
    int rc = ev(b, x, &v, e);
    if (rc < 0)
        return rc;
    if (v.type == SQLV_NULL) {
        *out = -1; /* LIMIT NULL = no limit (PostgreSQL) */
        return 0;
    }
    rc = sqlv_cast(&v, SQLV_INT, &t, e);
    sqlv_clear(&v);
    if (rc < 0)
        return nq_err_prefix(e, NQ_ETYPE, "%s", what);
    if (t.i < 0 && !strcmp(what, "OFFSET"))
        return nq_err_set(e, NQ_ERROR, "OFFSET must not be negative");
    *out = t.i;
    return 0;
}

/* LIMIT NULL means no limit; LIMIT -1 is an error, as in PostgreSQL. */
static int limit_was_null(bx *b, xenv *x)
{
    sqlv v;
    nq_err e;
    if (ev(b, x, &v, &e) < 0)
        return 0;
    int isnull = v.type == SQLV_NULL;
    sqlv_clear(&v);
    return isnull;
}

static int limit_open(op *o, xenv *x, nq_err *e)
{
    limit_op *s = (limit_op *)o;
    s->left = -1;
    s->skip = 0;
    int rc;
    if (s->limit && (rc = limit_value(s->limit, x, "LIMIT", &s->left, e)) < 0)
        return rc;
    if (s->left < -1 || (s->limit && s->left == -1 && !limit_was_null(s->limit, x)))
        return nq_err_set(e, NQ_ERROR, "LIMIT must not be negative");
    if (s->offset && (rc = limit_value(s->offset, x, "OFFSET", &s->skip, e)) < 0)
        return rc;
    if (s->skip < 0)
        s->skip = 0;
    if (s->left == 0)
        return 0;
    return op_open(o->child[0], x, e);
}

static int limit_next(op *o, xenv *x, nq_err *e)
{
    limit_op *s = (limit_op *)o;
    if (s->left == 0)
        return 0;
    while (s->skip > 0) {
        int rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            return rc;
        s->skip--;
    }
    int rc = op_next(o->child[0], x, e);
    if (rc == 1 && s->left > 0)
        s->left--;
    return rc;
}

static void limit_describe(const op *o, char *buf, size_t cap)
{
    const limit_op *s = (const limit_op *)o;
    snprintf(buf, cap, "LIMIT%s", s->offset ? " OFFSET" : "");
}
static const op_vt limit_vt = {"limit", limit_open, limit_next, pass_close, NULL, limit_describe};

op *op_limit_new(ast_arena *a, op *child, bx *limit, bx *offset)
{
    limit_op *s = op_alloc(a, sizeof *s, &limit_vt, child->out_slot, child->ncols);
    if (s) {
        s->limit = limit;
        s->offset = offset;
        s->base.child[0] = child;
        s->base.nchild = 1;
    }
    return &s->base;
}

/* ---- materialize ------------------------------------------------------------------------ */
typedef struct material_op {
    op base;
    sqlv *rows;      /* nrows x ncols, owned */
    size_t nrows, cap, pos;
    int filled;
} material_op;

static int material_open(op *o, xenv *x, nq_err *e)
{
    material_op *s = (material_op *)o;
    s->pos = 0;
    if (s->filled)
        return 0;
    int rc = op_open(o->child[0], x, e);
    while (rc >= 0) {
        rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            break;
        if (s->nrows == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 64;
            sqlv *nr = realloc(s->rows, nc * (size_t)(o->ncols ? o->ncols : 1) * sizeof(sqlv));
            if (!nr) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            s->rows = nr;
            s->cap = nc;
        }
        rc = rows_copy(x->slot[o->out_slot], o->ncols, s->rows + s->nrows * (size_t)o->ncols, e);
        if (rc == 0)
            s->nrows++;
    }
    op_close(o->child[0], x);
    if (rc < 0)
        return rc;
    s->filled = 1;
    return 0;
}

static int material_next(op *o, xenv *x, nq_err *e)
{
    material_op *s = (material_op *)o;
    if (s->pos >= s->nrows)
        return 0;
    x->slot[o->out_slot] = s->rows + s->pos++ * (size_t)o->ncols;
    return 1;
}

static void material_destroy(op *o)
{
    material_op *s = (material_op *)o;
    if (s->rows)
        rows_clear(s->rows, (int)(s->nrows * (size_t)o->ncols));
    free(s->rows);
    s->rows = NULL;
    s->nrows = s->cap = 0;
    s->filled = 0;
}

size_t op_material_count(const op *o) { return ((const material_op *)o)->nrows; }
size_t op_material_pos(const op *o)
{
    const material_op *s = (const material_op *)o;
    return s->pos ? s->pos - 1 : 0;
}
sqlv *op_material_row(op *o, size_t i)
{
    material_op *s = (material_op *)o;
    return s->rows + i * (size_t)o->ncols;
}

/* Closing keeps the rows (the parent re-opens it for every outer row); a new execution of the
 * statement starts from op_destroy via the statement reset. */
static void material_describe(const op *o, char *buf, size_t cap) { snprintf(buf, cap, "MATERIALIZE"); }
static const op_vt material_vt = {"material", material_open, material_next, NULL, material_destroy,
                                  material_describe};

op *op_material_new(ast_arena *a, op *child, int slot, int ncols)
{
    material_op *s = op_alloc(a, sizeof *s, &material_vt, slot, ncols);
    if (s) {
        s->base.child[0] = child;
        s->base.nchild = 1;
    }
    return &s->base;
}

/* ---- EXPLAIN ---------------------------------------------------------------------------- */
static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        while (nc < *len + n + 1)
            nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb)
            return NQ_ENOMEM;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return 0;
}

int op_explain(const op *o, int depth, int analyze, char **buf, size_t *len, size_t *cap)
{
    char line[512], desc[384];
    o->vt->describe(o, desc, sizeof desc);
    int n = snprintf(line, sizeof line, "%*s%s%s  (est rows=%.0f cost=%.0f)", depth * 2, "",
                     depth ? "-> " : "", desc, o->est_rows, o->est_cost);
    if (analyze && n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, " (actual rows=%llu loops=%llu time=%.3f ms)",
                 (unsigned long long)o->act_rows, (unsigned long long)o->act_loops,
                 (double)o->act_ns / 1e6);
    int rc = append(buf, len, cap, line);
    if (rc == 0)
        rc = append(buf, len, cap, "\n");
    char more[2048];
    if (rc == 0 && op_grover_explain(o, analyze, depth, more, sizeof more) > 0)
        rc = append(buf, len, cap, more);
    for (int i = 0; i < o->nchild && rc == 0; i++)
        rc = op_explain(o->child[i], depth + 1, analyze, buf, len, cap);
    return rc;
}

static int append_json_str(char **buf, size_t *len, size_t *cap, const char *s)
{
    char tmp[1024];
    size_t k = 0;
    tmp[k++] = '"';
    for (; *s && k < sizeof tmp - 8; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            tmp[k++] = '\\';
            tmp[k++] = (char)ch;
        } else if (ch < 0x20)
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "\\u%04x", ch);
        else
            tmp[k++] = (char)ch;
    }
    tmp[k++] = '"';
    tmp[k] = 0;
    return append(buf, len, cap, tmp);
}

int op_explain_json(const op *o, int analyze, char **buf, size_t *len, size_t *cap)
{
    char desc[384], num[256];
    o->vt->describe(o, desc, sizeof desc);
    int rc = append(buf, len, cap, "{\"node\": ");
    if (rc == 0)
        rc = append_json_str(buf, len, cap, desc);
    snprintf(num, sizeof num, ", \"estimated_rows\": %.0f, \"estimated_cost\": %.0f", o->est_rows, o->est_cost);
    if (rc == 0)
        rc = append(buf, len, cap, num);
    if (analyze && rc == 0) {
        snprintf(num, sizeof num, ", \"actual_rows\": %llu, \"loops\": %llu, \"time_ms\": %.3f",
                 (unsigned long long)o->act_rows, (unsigned long long)o->act_loops, (double)o->act_ns / 1e6);
        rc = append(buf, len, cap, num);
    }
    char more[2048];
    if (rc == 0 && op_grover_json(o, analyze, more, sizeof more) > 0)
        rc = append(buf, len, cap, more);
    if (o->nchild && rc == 0) {
        rc = append(buf, len, cap, ", \"children\": [");
        for (int i = 0; i < o->nchild && rc == 0; i++) {
            if (i)
                rc = append(buf, len, cap, ", ");
            if (rc == 0)
                rc = op_explain_json(o->child[i], analyze, buf, len, cap);
        }
        if (rc == 0)
            rc = append(buf, len, cap, "]");
    }
    return rc == 0 ? append(buf, len, cap, "}") : rc;
}
