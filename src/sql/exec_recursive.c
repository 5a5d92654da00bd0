/*
 * exec_recursive.c — WITH RECURSIVE: the iteration operator and the working-table scan.
 *
 * SQL's recursive CTE is a fixpoint loop: the anchor query's rows form the first working
 * table; the recursive query, whose reference to the CTE reads the working table, runs again
 * and again, each run's new rows becoming the next working table, until a run adds nothing.
 * The operator streams: every row is handed up as soon as it is produced, so an outer LIMIT
 * stops an unbounded recursion (`WITH RECURSIVE n AS (SELECT 1 UNION ALL SELECT x+1 FROM n)
 * SELECT * FROM n LIMIT 5` ends). With UNION (not ALL) a keymap of every row produced so far
 * drops duplicates, which is also what makes cyclic graph walks terminate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/keymap.h"
#include "sql/ops.h"

struct rec_state {
    sqlv *work;          /* the working table the recursive part reads */
    size_t nwork;
    int ncols;
};

rec_state *rec_state_new(ast_arena *a, int ncols)
{
    rec_state *r = ast_alloc(a, sizeof *r);
    if (r)
        r->ncols = ncols;
    return r;
}

/* ---- working table scan ----------------------------------------------------------------- */
typedef struct wt_op {
    op base;
    rec_state *st;
    size_t pos;
} wt_op;

static int wt_open(op *o, xenv *x, nq_err *e)
{
    ((wt_op *)o)->pos = 0;
    return 0;
}

static int wt_next(op *o, xenv *x, nq_err *e)
{
    wt_op *s = (wt_op *)o;
    if (s->pos >= s->st->nwork)
        return 0;
    x->slot[o->out_slot] = s->st->work + s->pos++ * (size_t)s->st->ncols;
    return 1;
}

static void wt_describe(const op *o, char *buf, size_t cap) { snprintf(buf, cap, "WORKING TABLE SCAN"); }
static const op_vt wt_vt = {"worktable", wt_open, wt_next, NULL, NULL, wt_describe};

op *op_worktable_new(ast_arena *a, rec_state *st, int slot)
{
    wt_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &wt_vt;
    s->base.out_slot = slot;
    s->base.ncols = st->ncols;
    s->st = st;
    return &s->base;
}

/* ---- the iteration ---------------------------------------------------------------------- */
typedef struct rec_op {
    op base;
    rec_state *st;
    int aslot, rslot;
    int union_all;
    int phase;           /* 0 anchor, 1 recursive part, 2 done */
    sqlv *next;          /* rows produced in this round (the next working table) */
    size_t nnext, capnext;
    keymap *seen;
    op **resets;         /* operators of the recursive part that cache rows (materializations):
                            emptied before every round, since the working table changed */
    int nresets;
} rec_op;

static void free_rows(sqlv *v, size_t n, int w)
{
    if (v)
        rows_clear(v, (int)(n * (size_t)w));
    free(v);
}

static void rec_free(rec_op *s)
{
    free_rows(s->st->work, s->st->nwork, s->st->ncols);
    s->st->work = NULL;
    s->st->nwork = 0;
    free_rows(s->next, s->nnext, s->st->ncols);
    s->next = NULL;
    s->nnext = s->capnext = 0;
    keymap_free(s->seen);
    s->seen = NULL;
}

static int rec_open(op *o, xenv *x, nq_err *e)
{
    rec_op *s = (rec_op *)o;
    rec_free(s);
    s->phase = 0;
    if (!s->union_all && !(s->seen = keymap_new()))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    return op_open(o->child[0], x, e);
}

/* Keep row (new, or a duplicate to drop under UNION); 1 = kept. */
static int keep(rec_op *s, const sqlv *row, nq_err *e)
{
    int w = s->st->ncols;
    if (s->seen) {
        key_buf kb = {0};
        key_col kc = {0, 1};
        int rc = 0;
        for (int i = 0; i < w && rc == 0; i++)
            rc = key_append(&kb, &row[i], kc, e);
        int added = 0;
        if (rc == 0 && keymap_get(s->seen, kb.p, kb.n, 1, 0, &added) == -2)
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        free(kb.p);
        if (rc < 0)
            return rc;
        if (!added)
            return 0;
    }
    if (s->nnext == s->capnext) {
        size_t nc = s->capnext ? s->capnext * 2 : 64;
        sqlv *nv = realloc(s->next, nc * (size_t)(w ? w : 1) * sizeof(sqlv));
        if (!nv)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->next = nv;
        s->capnext = nc;
    }
    int rc = rows_copy(row, w, s->next + s->nnext * (size_t)w, e);
    if (rc < 0)
        return rc;
    s->nnext++;
    return 1;
}

static int rec_next(op *o, xenv *x, nq_err *e)
{
    rec_op *s = (rec_op *)o;
    int w = s->st->ncols;
    for (;;) {
        if (s->phase == 2)
            return 0;
        op *in = o->child[s->phase];
        int rc = op_next(in, x, e);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            rc = keep(s, x->slot[s->phase ? s->rslot : s->aslot], e);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                x->slot[o->out_slot] = s->next + (s->nnext - 1) * (size_t)w;
                return 1;
            }
            continue;
        }
        /* this round is over: its rows become the working table of the next */
        op_close(in, x);
        if (s->nnext == 0) {
            s->phase = 2;
            return 0;
        }
        free_rows(s->st->work, s->st->nwork, w);
        s->st->work = s->next;
        s->st->nwork = s->nnext;
        s->next = NULL;
        s->nnext = s->capnext = 0;
        s->phase = 1;
        for (int i = 0; i < s->nresets; i++)
            s->resets[i]->vt->destroy(s->resets[i]);
        if ((rc = op_open(o->child[1], x, e)) < 0)
            return rc;
    }
}

static void rec_close(op *o, xenv *x)
{
    rec_op *s = (rec_op *)o;
    if (s->phase < 2)
        op_close(o->child[s->phase], x);
    s->phase = 2;
    rec_free(s);
}

static void rec_describe(const op *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "RECURSIVE UNION%s", ((const rec_op *)o)->union_all ? " ALL" : "");
}
static const op_vt rec_vt = {"recursive", rec_open, rec_next, rec_close, NULL, rec_describe};

op *op_recursive_new(ast_arena *a, rec_state *st, op *anchor, int aslot, op *rec, int rslot,
                     int slot, int union_all)
{
    rec_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &rec_vt;
    s->base.out_slot = slot;
    s->base.ncols = st->ncols;
    s->base.child[0] = anchor;
    s->base.child[1] = rec;
    s->base.nchild = 2;
    s->st = st;
    s->aslot = aslot;
    s->rslot = rslot;
    s->union_all = union_all;
    s->phase = 2;
    return &s->base;
}

void op_recursive_resets(op *o, op **resets, int n)
{
    rec_op *s = (rec_op *)o;
    s->resets = resets;
    s->nresets = n;
}
