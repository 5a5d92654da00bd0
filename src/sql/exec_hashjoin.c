/*
 * exec_hashjoin.c — the hash join: equi-joins whose inner side has no usable index.
 *
 * At the first open the inner input is read once: every row is copied (its register's values)
 * and filed in a keymap under the key_encode() bytes of its join key values, rows with equal
 * keys chained together. Then each outer row evaluates its key, looks it up, and walks the
 * chain, pointing the inner register at each stored row and checking the join's remaining
 * conditions. NULL keys never match (`=` is never true on NULL), so such rows are not stored.
 * LEFT JOIN emits an outer row that found nothing once, with the inner register on a row of
 * NULLs.
 *
 * The planner uses it only when both key expressions are columns of the same type class, so
 * that equal SQL values have equal key bytes (INTEGER and REAL share one encoding); the equality
 * conditions stay in the residual condition anyway, so a hash collision of encodings can never
 * produce a wrong row. The inner side is kept for the life of the statement run: like
 * MATERIALIZE, it is computed once however many outer rows probe it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/keymap.h"
#include "sql/ops.h"

typedef struct hj_op {
    op base;
    bx **lkeys, **rkeys;      /* key expressions over the outer / inner registers */
    int nkeys;
    bx *cond;                 /* residual condition (may be NULL) */
    int left_outer;
    int numeric;              /* convert TEXT outer keys to numbers; other classes never match */
    int rslot, rwidth;
    /* build side */
    int built;
    keymap *map;              /* key -> index of the chain's first row */
    sqlv *rows;               /* nrows x rwidth */
    int64_t *next;            /* chain */
    size_t nrows, cap;
    sqlv *nulls;
    /* probe state */
    int64_t cur;              /* row in the chain being tried, -1: need an outer row */
    int matched;
} hj_op;

static int encode_keys(bx **keys, int n, xenv *x, int numeric, key_buf *kb, int *has_null, nq_err *e)
{
    kb->n = 0;
    *has_null = 0;
    key_col kc = {0, 1};
    for (int i = 0; i < n; i++) {
        sqlv v;
        int rc = ev(keys[i], x, &v, e);
        if (rc < 0)
            return rc;
        if (numeric && v.type != SQLV_INT && v.type != SQLV_REAL && v.type != SQLV_NULL) {
            /* `=` converts a TEXT operand to a number; anything else cannot equal a number */
            sqlv t;
            nq_err e2;
            int ok = v.type == SQLV_TEXT && sqlv_cast(&v, SQLV_REAL, &t, &e2) == 0;
            sqlv_clear(&v);
            v = ok ? t : sqlv_null();
        }
        if (v.type == SQLV_NULL)
            *has_null = 1;
        rc = key_append(kb, &v, kc, e);
        sqlv_clear(&v);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int build(hj_op *s, xenv *x, nq_err *e)
{
    op *in = s->base.child[1];
    key_buf kb = {0};
    int rc = op_open(in, x, e);
    if (!s->map && !(s->map = keymap_new()))
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
    while (rc >= 0) {
        rc = op_next(in, x, e);
        if (rc <= 0)
            break;
        int has_null;
        if ((rc = encode_keys(s->rkeys, s->nkeys, x, 0, &kb, &has_null, e)) < 0)
            break;
        if (has_null)
            continue;
        if (s->nrows == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 256;
            sqlv *nr = realloc(s->rows, nc * (size_t)(s->rwidth ? s->rwidth : 1) * sizeof(sqlv));
            if (nr)
                s->rows = nr;
            int64_t *nn = nr ? realloc(s->next, nc * sizeof *nn) : NULL;
            if (!nr || !nn) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            s->next = nn;
            s->cap = nc;
        }
        size_t i = s->nrows;
        if ((rc = rows_copy(x->slot[s->rslot], s->rwidth, s->rows + i * (size_t)s->rwidth, e)) < 0)
            break;
        s->nrows++;
        int added;
        int64_t head = keymap_get(s->map, kb.p, kb.n, 1, (int64_t)i, &added);
        if (head == -2) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            break;
        }
        if (added)
            s->next[i] = -1;
        else { /* push in front of the chain */
            s->next[i] = head;
            keymap_set(s->map, kb.p, kb.n, (int64_t)i);
        }
    }
    op_close(in, x);
    free(kb.p);
    if (rc < 0)
        return rc;
    s->built = 1;
    return 0;
}

static int hj_open(op *o, xenv *x, nq_err *e)
{
    hj_op *s = (hj_op *)o;
    s->cur = -1;
    if (!s->nulls && !(s->nulls = calloc((size_t)s->rwidth + 1, sizeof(sqlv))))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (!s->built) {
        int rc = build(s, x, e);
        if (rc < 0)
            return rc;
    }
    return op_open(o->child[0], x, e);
}

static int hj_next(op *o, xenv *x, nq_err *e)
{
    hj_op *s = (hj_op *)o;
    key_buf kb = {0};
    int rc;
    for (;;) {
        if (s->cur < 0) {
            rc = op_next(o->child[0], x, e);
            if (rc <= 0)
                break;
            int has_null;
            if ((rc = encode_keys(s->lkeys, s->nkeys, x, s->numeric, &kb, &has_null, e)) < 0)
                break;
            s->matched = 0;
            s->cur = has_null ? -1 : keymap_get(s->map, kb.p, kb.n, 0, 0, NULL);
            if (s->cur < 0) {
                if (s->left_outer) {
                    x->slot[s->rslot] = s->nulls;
                    rc = 1;
                    break;
                }
                continue;
            }
        }
        size_t i = (size_t)s->cur;
        s->cur = s->next[i];
        x->slot[s->rslot] = s->rows + i * (size_t)s->rwidth;
        int t = 1;
        if (s->cond && (rc = ev_truth(s->cond, x, &t, e)) < 0)
            break;
        if (t == 1) {
            s->matched = 1;
            rc = 1;
            break;
        }
        if (s->cur < 0 && s->left_outer && !s->matched) {
            x->slot[s->rslot] = s->nulls;
            rc = 1;
            break;
        }
    }
    free(kb.p);
    return rc;
}

static void hj_close(op *o, xenv *x)
{
    hj_op *s = (hj_op *)o;
    op_close(o->child[0], x);
    free(s->nulls);
    s->nulls = NULL;
}

/* A new run of the statement builds again (the inner table may have changed). */
static void hj_destroy(op *o)
{
    hj_op *s = (hj_op *)o;
    if (s->rows)
        rows_clear(s->rows, (int)(s->nrows * (size_t)s->rwidth));
    free(s->rows);
    free(s->next);
    keymap_free(s->map);
    s->rows = NULL;
    s->next = NULL;
    s->map = NULL;
    s->nrows = s->cap = 0;
    s->built = 0;
}

static void hj_describe(const op *o, char *buf, size_t cap)
{
    const hj_op *s = (const hj_op *)o;
    snprintf(buf, cap, "HASH %sJOIN (%d key%s)", s->left_outer ? "LEFT " : "", s->nkeys,
             s->nkeys == 1 ? "" : "s");
}
static const op_vt hj_vt = {"hashjoin", hj_open, hj_next, hj_close, hj_destroy, hj_describe};

op *op_hashjoin_new(ast_arena *a, op *l, op *r, int rslot, int rwidth, bx **lkeys, bx **rkeys,
                    int nkeys, bx *cond, int left_outer, int numeric)
{
    hj_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &hj_vt;
    s->base.out_slot = -1;
    s->base.child[0] = l;
    s->base.child[1] = r;
    s->base.nchild = 2;
    s->lkeys = lkeys;
    s->rkeys = rkeys;
    s->nkeys = nkeys;
    s->cond = cond;
    s->left_outer = left_outer;
    s->numeric = numeric;
    s->rslot = rslot;
    s->rwidth = rwidth;
    return &s->base;
}
