/*
 * exec_scan.c — the leaf operators that read tables: rowid-ordered scans and index scans.
 *
 * A table scan may be bounded by rowid (the planner turns `ipk = e`, `ipk > e`, BETWEEN on an
 * INTEGER PRIMARY KEY into bounds); an index scan turns equality on a prefix of the index
 * columns plus one range on the next column into two encoded key bounds. Bound expressions
 * are evaluated at open, so the same plan serves every row of an outer loop (index nested
 * loop joins) and every execution of a prepared statement.
 *
 * A bound value is converted to the column's type before encoding (an INTEGER column searched
 * with 2.5 or '7'); a value that cannot be converted makes an equality match nothing and a
 * range bound fall away (the residual filter, which keeps every condition, decides). The
 * planner always keeps the conditions it used for bounds as a filter above the scan, so the
 * bounds only have to be a superset: NULLs that sort inside an open range, or a rounded REAL
 * bound, cost a few extra rows, never a wrong answer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/ops.h"

/* ---- table scan ------------------------------------------------------------------------- */
typedef struct scan_op {
    op base;
    cat_table *t;
    bx *lo, *hi;
    int lo_incl, hi_incl;
    tw_scan *sc;
    sqlv *vals;
    int empty;
    /* rowid equality: one fetch instead of a range walk */
    int point, point_done;
    int64_t point_id;
    uint8_t *rowbuf;
    int lockmode;      /* SELECT ... FOR UPDATE/SHARE: NQ_LOCK_ROW_* (| NOWAIT) per row read */
} scan_op;

/* Lock the row the scan stands on (rowlock.c: FOR UPDATE / FOR SHARE), in a concurrent
 * transaction; the key is the table's row key. */
static int lock_row(xenv *x, cat_table *t, int mode, int64_t rowid, nq_err *e)
{
    if (!mode)
        return 0;
    uint8_t k[8];
    cat_rowid_key(rowid, k);
    return tw_lock_key(x->s, t->handle, k, 8, mode, e);
}

/* Rowid bound from a value: -> int64 with inclusive semantics; 0 ok, 1 = no row can match. */
static int rowid_bound(const sqlv *v, int incl, int is_lo, int64_t *out)
{
    double d;
    if (v->type == SQLV_INT) {
        int64_t i = v->i;
        if (!incl) {
            if (is_lo) {
                if (i == INT64_MAX)
                    return 1;
                i++;
            } else {
                if (i == INT64_MIN)
                    return 1;
                i--;
            }
        }
        *out = i;
        return 0;
    }
    if (v->type == SQLV_REAL)
        d = v->r;
    else if (v->type == SQLV_TEXT) {
        sqlv r;
        nq_err e;
        if (sqlv_cast(v, SQLV_REAL, &r, &e))
            return -1; /* not a number: no bound */
        d = r.r;
    } else if (v->type == SQLV_BOOL)
        d = (double)v->i;
    else
        return v->type == SQLV_NULL ? 1 : -1;
    if (is_lo) {
        double c = ceil(d);
        if (!incl && c == d)
            c += 1;
        if (c > 9.2e18)
            return 1;
        *out = c < -9.2e18 ? INT64_MIN : (int64_t)c;
    } else {
        double f = floor(d);
        if (!incl && f == d)
            f -= 1;
        if (f < -9.2e18)
            return 1;
        *out = f > 9.2e18 ? INT64_MAX : (int64_t)f;
    }
    return 0;
}

static int scan_open(op *o, xenv *x, nq_err *e)
{
    scan_op *s = (scan_op *)o;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    s->empty = 0;
    for (int k = 0; k < 2; k++) {
        bx *b = k ? s->hi : s->lo;
        if (!b)
            continue;
        sqlv v;
        int rc = ev(b, x, &v, e);
        if (rc < 0)
            return rc;
        int64_t r;
        int br = rowid_bound(&v, k ? s->hi_incl : s->lo_incl, !k, &r);
        sqlv_clear(&v);
        if (br == 1)
            s->empty = 1;
        else if (br == 0) {
            if (k)
                hi = r;
            else
                lo = r;
        }
    }
    if (lo > hi)
        s->empty = 1;
    s->point = !s->empty && lo == hi && s->lo == s->hi;
    s->point_done = 0;
    s->point_id = lo;
    if (!s->vals) {
        s->vals = calloc((size_t)s->t->ncols + 1, sizeof(sqlv));
        if (!s->vals)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    x->slot[o->out_slot] = s->vals;
    if (s->empty || s->point)
        return 0;
    int rc = tw_scan_open(x->s, s->t, &s->sc, e);
    if (rc < 0)
        return rc;
    return tw_scan_start(s->sc, lo, hi, e);
}

static int scan_next(op *o, xenv *x, nq_err *e)
{
    scan_op *s = (scan_op *)o;
    if (s->point) {
        if (s->point_done)
            return 0;
        s->point_done = 1;
        free(s->rowbuf);
        s->rowbuf = NULL;
        int rc = tw_fetch(x->s, s->t, s->point_id, s->vals, &s->rowbuf, e);
        if (rc == NQ_ENOTFOUND)
            return 0;
        if (rc < 0)
            return rc;
        if (s->t->ipk >= 0)
            s->vals[s->t->ipk] = sqlv_int(s->point_id);
        s->vals[s->t->ncols] = sqlv_int(s->point_id);
        x->slot[o->out_slot] = s->vals;
        if ((rc = lock_row(x, s->t, s->lockmode, s->point_id, e)) < 0)
            return rc;
        return 1;
    }
    if (s->empty || !s->sc)
        return 0;
    int64_t rowid;
    int rc = tw_scan_next(s->sc, &rowid, s->vals, e);
    if (rc == 1) {
        if (s->t->ipk >= 0)
            s->vals[s->t->ipk] = sqlv_int(rowid);
        s->vals[s->t->ncols] = sqlv_int(rowid); /* the hidden rowid column (UPDATE, DELETE) */
        int lrc = lock_row(x, s->t, s->lockmode, rowid, e);
        if (lrc < 0)
            return lrc;
    }
    x->slot[o->out_slot] = s->vals;
    return rc;
}

static void scan_close(op *o, xenv *x)
{
    scan_op *s = (scan_op *)o;
    if (s->sc)
        tw_scan_close(s->sc);
    s->sc = NULL;
    free(s->rowbuf);
    s->rowbuf = NULL;
    free(s->vals);
    s->vals = NULL;
}

static void scan_describe(const op *o, char *buf, size_t cap)
{
    const scan_op *s = (const scan_op *)o;
    if (s->lo && s->lo == s->hi)
        snprintf(buf, cap, "SEARCH %s USING ROWID (rowid=?)", s->t->name);
    else if (s->lo || s->hi)
        snprintf(buf, cap, "SEARCH %s USING ROWID RANGE", s->t->name);
    else
        snprintf(buf, cap, "SCAN %s", s->t->name);
}

static const op_vt scan_vt = {"scan", scan_open, scan_next, scan_close, NULL, scan_describe};

op *op_scan_new(ast_arena *a, cat_table *t, int slot, bx *lo, int lo_incl, bx *hi, int hi_incl)
{
    scan_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &scan_vt;
    s->base.out_slot = slot;
    s->base.ncols = t->ncols;
    s->t = t;
    s->lo = lo;
    s->hi = hi;
    s->lo_incl = lo_incl;
    s->hi_incl = hi_incl;
    return &s->base;
}

/* ---- index scan ------------------------------------------------------------------------- */
typedef struct iscan_op {
    op base;
    cat_index *ix;
    bx **eq;
    int neq;
    bx *lo, *hi;
    int lo_incl, hi_incl, reverse;
    tw_iscan *sc;
    sqlv *vals;
    uint8_t *rowbuf;
    int empty;
    int lockmode;      /* as scan_op's */
} iscan_op;

/* Convert v to the type of index column k (into *tmp); 1 = cannot (no such value can match). */
static int to_col_type(const cat_index *ix, int k, const sqlv *v, sqlv *tmp)
{
    sqlv_type t = ix->table->cols[ix->cols[k]].type;
    if (t == SQLV_NULL || v->type == t)
        return *tmp = *v, tmp->owned = 0, 0;
    if ((t == SQLV_INT || t == SQLV_REAL) && (v->type == SQLV_INT || v->type == SQLV_REAL))
        return *tmp = *v, tmp->owned = 0, 0; /* numbers share one key encoding */
    nq_err e;
    if (sqlv_cast(v, t, tmp, &e) != 0)
        return 1;
    return 0;
}

static int iscan_open(op *o, xenv *x, nq_err *e)
{
    iscan_op *s = (iscan_op *)o;
    s->empty = 0;
    key_buf lo = {0}, hi = {0};
    int rc = 0, has_lo = 0, has_hi = 0;
    for (int k = 0; k < s->neq && rc == 0 && !s->empty; k++) {
        sqlv v, t;
        rc = ev(s->eq[k], x, &v, e);
        if (rc < 0)
            break;
        if (v.type == SQLV_NULL || to_col_type(s->ix, k, &v, &t))
            s->empty = 1;
        else {
            rc = key_append(&lo, &t, s->ix->kcols[k], e);
            if (rc == 0)
                rc = key_append(&hi, &t, s->ix->kcols[k], e);
            sqlv_clear(&t);
        }
        sqlv_clear(&v);
    }
    has_lo = has_hi = s->neq > 0;
    int lo_incl = 1, hi_incl = 1;
    for (int side = 0; side < 2 && rc == 0 && !s->empty; side++) {
        bx *b = side ? s->hi : s->lo;
        if (!b)
            continue;
        sqlv v, t;
        rc = ev(b, x, &v, e);
        if (rc < 0)
            break;
        if (v.type == SQLV_NULL)
            s->empty = 1; /* x < NULL is never true */
        else if (!to_col_type(s->ix, s->neq, &v, &t)) {
            /* ranges are in index order: with DESC the low value bounds the high side */
            int desc = s->ix->kcols[s->neq].desc;
            int upper = side ^ desc;
            key_buf *kb = upper ? &hi : &lo;
            rc = key_append(kb, &t, s->ix->kcols[s->neq], e);
            if (upper) {
                has_hi = 1;
                hi_incl = side ? s->hi_incl : s->lo_incl;
            } else {
                has_lo = 1;
                lo_incl = side ? s->hi_incl : s->lo_incl;
            }
            sqlv_clear(&t);
        }
        sqlv_clear(&v);
    }
    if (rc == 0 && !s->vals) {
        s->vals = calloc((size_t)s->ix->table->ncols + 1, sizeof(sqlv));
        if (!s->vals)
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        x->slot[o->out_slot] = s->vals;
        if (!s->empty) {
            rc = tw_iscan_open(x->s, s->ix, &s->sc, e);
            if (rc == 0)
                rc = tw_iscan_start(s->sc, has_lo ? lo.p : NULL, has_lo ? lo.n : 0, lo_incl,
                                    has_hi ? hi.p : NULL, has_hi ? hi.n : 0, hi_incl, s->reverse, e);
        }
    }
    free(lo.p);
    free(hi.p);
    return rc;
}

static int iscan_next(op *o, xenv *x, nq_err *e)
{
    iscan_op *s = (iscan_op *)o;
    if (s->empty || !s->sc)
        return 0;
    int64_t rowid;
    int rc = tw_iscan_next(s->sc, &rowid, NULL, e);
    if (rc != 1)
        return rc;
    free(s->rowbuf);
    s->rowbuf = NULL;
    cat_table *t = s->ix->table;
    rc = tw_fetch(x->s, t, rowid, s->vals, &s->rowbuf, e);
    if (rc < 0)
        return rc;
    if (t->ipk >= 0)
        s->vals[t->ipk] = sqlv_int(rowid);
    s->vals[t->ncols] = sqlv_int(rowid);
    x->slot[o->out_slot] = s->vals;
    if ((rc = lock_row(x, t, s->lockmode, rowid, e)) < 0)
        return rc;
    return 1;
}

static void iscan_close(op *o, xenv *x)
{
    iscan_op *s = (iscan_op *)o;
    if (s->sc)
        tw_iscan_close(s->sc);
    s->sc = NULL;
    free(s->rowbuf);
    s->rowbuf = NULL;
    free(s->vals);
    s->vals = NULL;
}

static void iscan_describe(const op *o, char *buf, size_t cap)
{
    const iscan_op *s = (const iscan_op *)o;
    char cols[256];
    size_t n = 0;
    cols[0] = 0;
    int upto = s->neq + (s->lo || s->hi ? 1 : 0);
    for (int k = 0; k < upto && n < sizeof cols - 64; k++) {
        const char *cn = s->ix->table->cols[s->ix->cols[k]].name;
        const char *opx = k < s->neq ? "=?" : s->lo && s->hi ? " BETWEEN ? AND ?" : s->lo ? (s->lo_incl ? ">=?" : ">?") : (s->hi_incl ? "<=?" : "<?");
        n += (size_t)snprintf(cols + n, sizeof cols - n, "%s%s%s", k ? " AND " : "", cn, opx);
    }
    snprintf(buf, cap, "SEARCH %s USING INDEX %s (%s)%s", s->ix->table->name, s->ix->name, cols,
             s->reverse ? " REVERSE" : "");
}

static const op_vt iscan_vt = {"iscan", iscan_open, iscan_next, iscan_close, NULL, iscan_describe};

op *op_iscan_new(ast_arena *a, cat_index *ix, int slot, bx **eq, int neq, bx *lo, int lo_incl,
                 bx *hi, int hi_incl, int reverse)
{
    iscan_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &iscan_vt;
    s->base.out_slot = slot;
    s->base.ncols = ix->table->ncols;
    s->ix = ix;
    s->eq = eq;
    s->neq = neq;
    s->lo = lo;
    s->hi = hi;
    s->lo_incl = lo_incl;
    s->hi_incl = hi_incl;
    s->reverse = reverse;
    return &s->base;
}

void op_scan_set_lock(op *o, const cat_table *t, int mode)
{
    if (o->vt == &scan_vt && ((scan_op *)o)->t == t) {
        int *m = &((scan_op *)o)->lockmode;
        if ((mode & 0xff) > (*m & 0xff) || !*m)
            *m = mode;
    } else if (o->vt == &iscan_vt && ((iscan_op *)o)->ix->table == t) {
        int *m = &((iscan_op *)o)->lockmode;
        if ((mode & 0xff) > (*m & 0xff) || !*m)
            *m = mode;
    }
    for (int i = 0; i < o->nchild; i++)
        if (o->child[i])
            op_scan_set_lock(o->child[i], t, mode);
}
