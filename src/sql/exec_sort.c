/*
 * exec_sort.c — operators that keep rows: ORDER BY, DISTINCT and the set operations.
 *
 * Sort reads its whole input into one array of owned rows and sorts an index array with a
 * comparator that applies each key's direction and NULL placement (the sort is stable, so
 * ties keep input order — merge sort on the index array). DISTINCT and the set operations
 * recognise equal rows by their key_encode() bytes in a keymap (keymap.h): the encoding makes
 * 1 and 1.0 equal and NULL equal to NULL, which is exactly SQL's "not distinct" rule for
 * these operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/keymap.h"
#include "sql/ops.h"

/* ---- row store -------------------------------------------------------------------------- */
typedef struct rowstore {
    sqlv *v;
    size_t n, cap;
    int w;
} rowstore;

static int rs_push(rowstore *rs, const sqlv *row, nq_err *e)
{
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 256;
        sqlv *nv = realloc(rs->v, nc * (size_t)(rs->w ? rs->w : 1) * sizeof(sqlv));
        if (!nv)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        rs->v = nv;
        rs->cap = nc;
    }
    int rc = rows_copy(row, rs->w, rs->v + rs->n * (size_t)rs->w, e);
    if (rc == 0)
        rs->n++;
    return rc;
}

static void rs_free(rowstore *rs)
{
    if (rs->v)
        rows_clear(rs->v, (int)(rs->n * (size_t)rs->w));
    free(rs->v);
    rs->v = NULL;
    rs->n = rs->cap = 0;
}

static sqlv *rs_row(rowstore *rs, size_t i) { return rs->v + i * (size_t)rs->w; }

/* ---- sort ------------------------------------------------------------------------------- */
typedef struct sort_op {
    op base;
    const sort_key *keys;
    int nkeys;
    rowstore rs;
    size_t *idx, pos;
} sort_op;

static int key_cmp(const sort_op *s, const sqlv *a, const sqlv *b)
{
    for (int k = 0; k < s->nkeys; k++) {
        const sort_key *sk = &s->keys[k];
        const sqlv *x = &a[sk->col], *y = &b[sk->col];
        int xn = x->type == SQLV_NULL, yn = y->type == SQLV_NULL;
        if (xn || yn) {
            if (xn && yn)
                continue;
            /* nulls_first is the placement in the final order */
            return xn ? (sk->nulls_first ? -1 : 1) : (sk->nulls_first ? 1 : -1);
        }
        int c = sqlv_order(x, y);
        if (c)
            return sk->desc ? -c : c;
    }
    return 0;
}

static void merge_sort(sort_op *s, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    if (n <= 16) { /* insertion sort: stable */
        for (size_t i = 1; i < n; i++) {
            size_t v = a[i], j = i;
            while (j > 0 && key_cmp(s, rs_row(&s->rs, a[j - 1]), rs_row(&s->rs, v)) > 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    merge_sort(s, a, tmp, h);
    merge_sort(s, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = key_cmp(s, rs_row(&s->rs, a[j]), rs_row(&s->rs, a[i])) < 0 ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static int sort_open(op *o, xenv *x, nq_err *e)
{
    sort_op *s = (sort_op *)o;
    rs_free(&s->rs);
    free(s->idx);
    s->idx = NULL;
    s->rs.w = o->ncols;
    s->pos = 0;
    int rc = op_open(o->child[0], x, e);
    while (rc >= 0) {
        rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            break;
        rc = rs_push(&s->rs, x->slot[o->out_slot], e);
    }
    op_close(o->child[0], x);
    if (rc < 0)
        return rc;
    s->idx = malloc((s->rs.n + 1) * sizeof *s->idx);
    size_t *tmp = malloc((s->rs.n + 1) * sizeof *tmp);
    if (!s->idx || !tmp) {
        free(tmp);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s->rs.n; i++)
        s->idx[i] = i;
    merge_sort(s, s->idx, tmp, s->rs.n);
    free(tmp);
    return 0;
}

static int sort_next(op *o, xenv *x, nq_err *e)
{
    sort_op *s = (sort_op *)o;
    if (s->pos >= s->rs.n)
        return 0;
    x->slot[o->out_slot] = rs_row(&s->rs, s->idx[s->pos++]);
    return 1;
}

static void sort_close(op *o, xenv *x)
{
    sort_op *s = (sort_op *)o;
    rs_free(&s->rs);
    free(s->idx);
    s->idx = NULL;
}

static void sort_describe(const op *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "SORT (%d keys)", ((const sort_op *)o)->nkeys);
}
static const op_vt sort_vt = {"sort", sort_open, sort_next, sort_close, NULL, sort_describe};

op *op_sort_new(ast_arena *a, op *child, int slot, int ncols, const sort_key *keys, int nkeys)
{
    sort_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &sort_vt;
    s->base.out_slot = slot;
    s->base.ncols = ncols;
    s->base.child[0] = child;
    s->base.nchild = 1;
    s->keys = keys;
    s->nkeys = nkeys;
    return &s->base;
}

/* ---- DISTINCT --------------------------------------------------------------------------- */
typedef struct distinct_op {
    op base;
    keymap *seen;
} distinct_op;

static int row_key(const sqlv *row, int n, key_buf *kb, nq_err *e)
{
    kb->n = 0;
    key_col kc = {0, 1};
    for (int i = 0; i < n; i++) {
        int rc = key_append(kb, &row[i], kc, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int distinct_open(op *o, xenv *x, nq_err *e)
{
    distinct_op *s = (distinct_op *)o;
    keymap_free(s->seen);
    if (!(s->seen = keymap_new()))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    return op_open(o->child[0], x, e);
}

static int distinct_next(op *o, xenv *x, nq_err *e)
{
    distinct_op *s = (distinct_op *)o;
    key_buf kb = {0};
    int rc;
    for (;;) {
        rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            break;
        if ((rc = row_key(x->slot[o->out_slot], o->ncols, &kb, e)) < 0)
            break;
        int added;
        if (keymap_get(s->seen, kb.p, kb.n, 1, 0, &added) == -2) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            break;
        }
        if (added) {
            rc = 1;
            break;
        }
    }
    free(kb.p);
    return rc;
}

static void distinct_close(op *o, xenv *x)
{
    distinct_op *s = (distinct_op *)o;
    op_close(o->child[0], x);
    keymap_free(s->seen);
    s->seen = NULL;
}

static void distinct_describe(const op *o, char *buf, size_t cap) { snprintf(buf, cap, "DISTINCT (hash)"); }
static const op_vt distinct_vt = {"distinct", distinct_open, distinct_next, distinct_close, NULL,
                                  distinct_describe};

op *op_distinct_new(ast_arena *a, op *child, int slot, int ncols)
{
    distinct_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &distinct_vt;
    s->base.out_slot = slot;
    s->base.ncols = ncols;
    s->base.child[0] = child;
    s->base.nchild = 1;
    return &s->base;
}

/* ---- set operations --------------------------------------------------------------------- */
typedef struct setop_op {
    op base;
    int kind, lslot, rslot;
    int phase;           /* UNION ALL: 0 left, 1 right; others: replay of the result store */
    keymap *map;         /* row key -> count index */
    rowstore rs;         /* distinct rows in first-seen order */
    int64_t *lcount, *rcount;
    size_t pos;
    int64_t emit_left;   /* remaining copies of the current row (ALL variants) */
} setop_op;

static int setop_add(setop_op *s, const sqlv *row, int right, nq_err *e, key_buf *kb)
{
    int rc = row_key(row, s->base.ncols, kb, e);
    if (rc < 0)
        return rc;
    int added;
    int64_t i = keymap_get(s->map, kb->p, kb->n, 1, (int64_t)s->rs.n, &added);
    if (i == -2)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (added) {
        if ((rc = rs_push(&s->rs, row, e)) < 0)
            return rc;
        size_t cap = s->rs.cap;
        int64_t *nl = realloc(s->lcount, cap * sizeof *nl), *nr;
        if (!nl)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->lcount = nl;
        nr = realloc(s->rcount, cap * sizeof *nr);
        if (!nr)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->rcount = nr;
        s->lcount[i] = s->rcount[i] = 0;
    }
    (right ? s->rcount : s->lcount)[i]++;
    return 0;
}

static int drain(setop_op *s, op *in, int slot, int right, xenv *x, nq_err *e)
{
    key_buf kb = {0};
    int rc = op_open(in, x, e);
    while (rc >= 0) {
        rc = op_next(in, x, e);
        if (rc <= 0)
            break;
        rc = setop_add(s, x->slot[slot], right, e, &kb);
    }
    op_close(in, x);
    free(kb.p);
    return rc;
}

static void setop_free(setop_op *s)
{
    keymap_free(s->map);
    s->map = NULL;
    rs_free(&s->rs);
    free(s->lcount);
    free(s->rcount);
    s->lcount = s->rcount = NULL;
}

static int setop_open(op *o, xenv *x, nq_err *e)
{
    setop_op *s = (setop_op *)o;
    s->phase = 0;
    s->pos = 0;
    s->emit_left = 0;
    setop_free(s);
    if (s->kind == SETOP_UNION_ALL)
        return op_open(o->child[0], x, e);
    s->rs.w = o->ncols;
    if (!(s->map = keymap_new()))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = drain(s, o->child[0], s->lslot, 0, x, e);
    if (rc == 0)
        rc = drain(s, o->child[1], s->rslot, 1, x, e);
    return rc;
}

static int setop_next(op *o, xenv *x, nq_err *e)
{
    setop_op *s = (setop_op *)o;
    if (s->kind == SETOP_UNION_ALL) {
        for (;;) {
            op *in = o->child[s->phase];
            int rc = op_next(in, x, e);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                x->slot[o->out_slot] = x->slot[s->phase ? s->rslot : s->lslot];
                return 1;
            }
            if (s->phase == 1)
                return 0;
            op_close(in, x);
            s->phase = 1;
            if ((rc = op_open(o->child[1], x, e)) < 0)
                return rc;
        }
    }
    for (;;) {
        if (s->emit_left > 0) {
            s->emit_left--;
            x->slot[o->out_slot] = rs_row(&s->rs, s->pos - 1);
            return 1;
        }
        if (s->pos >= s->rs.n)
            return 0;
        size_t i = s->pos++;
        int64_t l = s->lcount[i], r = s->rcount[i], n;
        switch (s->kind) {
        case SETOP_UNION: n = 1; break;
        case SETOP_INTERSECT: n = l > 0 && r > 0; break;
        case SETOP_INTERSECT_ALL: n = l < r ? l : r; break;
        case SETOP_EXCEPT: n = l > 0 && r == 0; break;
        default: n = l > r ? l - r : 0; break; /* EXCEPT ALL */
        }
        s->emit_left = n;
    }
}

static void setop_close(op *o, xenv *x)
{
    setop_op *s = (setop_op *)o;
    if (s->kind == SETOP_UNION_ALL) {
        op_close(o->child[0], x);
        op_close(o->child[1], x);
    }
    setop_free(s);
}

static void setop_describe(const op *o, char *buf, size_t cap)
{
    static const char *const names[] = {"UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT",
                                        "EXCEPT ALL"};
    snprintf(buf, cap, "%s", names[((const setop_op *)o)->kind]);
}
static const op_vt setop_vt = {"setop", setop_open, setop_next, setop_close, NULL, setop_describe};

op *op_setop_new(ast_arena *a, op *l, int lslot, op *r, int rslot, int slot, int ncols, int kind)
{
    setop_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &setop_vt;
    s->base.out_slot = slot;
    s->base.ncols = ncols;
    s->base.child[0] = l;
    s->base.child[1] = r;
    s->base.nchild = 2;
    s->kind = kind;
    s->lslot = lslot;
    s->rslot = rslot;
    return &s->base;
}
