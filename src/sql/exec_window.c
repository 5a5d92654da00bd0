/*
 * exec_window.c — window functions: f(...) OVER (PARTITION BY ... ORDER BY ... frame).
 *
 * The operator sits between grouping and projection. At open it drains its input and, for
 * each row, takes a snapshot of the query block's registers (deep copies of every slot the
 * block allocated, so the projection above can later evaluate any expression of the select
 * list against the row) together with the values each window needs: partition keys, order
 * keys and function arguments, evaluated while the row is live. Then, per window, it sorts
 * the row numbers by (partition, order) — a stable merge sort, so ties keep input order —
 * walks each partition and writes every row's result into the window slot. Rows come out in
 * the order of the first window's sort, with the registers pointed back at their snapshots.
 *
 * Frames: ROWS, RANGE and GROUPS with UNBOUNDED, CURRENT ROW and N PRECEDING/FOLLOWING bounds
 * (a RANGE offset is arithmetic on the single ORDER BY key: its edges are found by a scan of the
 * partition), and EXCLUDE CURRENT ROW / GROUP / TIES, applied while the frame is walked. The default frame is SQL's: with ORDER BY, from the
 * partition start to the current row's last peer; without, the whole partition. An aggregate
 * over a whole-partition frame is computed once per partition; any other frame recomputes
 * the aggregate over the frame for each row — O(rows x frame), which docs/qsql.md states.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/keymap.h"
#include "sql/ops.h"
#include "sql/window.h"

typedef struct win_op {
    op base;
    const win_spec *w;
    int nw;
    const int *slots;         /* registers to snapshot: the block's FROM items and aggregate */
    const int *widths;        /* per snapshot slot */
    int nslots;
    size_t rowsz;             /* values per snapshot */
    size_t *slot_off;         /* offset of each snapshot slot's values in a snapshot */
    /* per row */
    sqlv *snap;               /* nrows x rowsz */
    sqlv *keys;               /* nrows x nkeyvals: all windows' partition, order and args values */
    size_t nkeyvals;
    size_t *woff;             /* per window: offset of its values inside a row's keys */
    sqlv *res;                /* nrows x nw results */
    size_t n, cap;
    size_t *out_order, pos;
} win_op;

static size_t wvals(const win_spec *w) { return (size_t)(w->npart + w->nord + w->nargs); }

static sqlv *keys_of(win_op *s, size_t row) { return s->keys + row * s->nkeyvals; }

/* ---- sorting ---------------------------------------------------------------------------- */
typedef struct sort_ctx {
    win_op *s;
    const win_spec *w;
    size_t off;
} sort_ctx;

static int cmp_rows(const sort_ctx *c, size_t a, size_t b, int with_order)
{
    const sqlv *ka = keys_of(c->s, a) + c->off, *kb = keys_of(c->s, b) + c->off;
    for (int i = 0; i < c->w->npart; i++) {
        int r = sqlv_order(&ka[i], &kb[i]);
        if (r)
            return r;
    }
    if (!with_order)
        return 0;
    for (int i = 0; i < c->w->nord; i++) {
        const sqlv *x = &ka[c->w->npart + i], *y = &kb[c->w->npart + i];
        int xn = x->type == SQLV_NULL, yn = y->type == SQLV_NULL;
        int nf = c->w->ord_nulls_first[i], desc = c->w->ord_desc[i];
        if (xn || yn) {
            if (xn && yn)
                continue;
            return xn ? (nf ? -1 : 1) : (nf ? 1 : -1);
        }
        int r = sqlv_order(x, y);
        if (r)
            return desc ? -r : r;
    }
    return 0;
}

static void msort(const sort_ctx *c, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    msort(c, a, tmp, h);
    msort(c, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_rows(c, a[j], a[i], 1) < 0 ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

/* ---- frames and functions --------------------------------------------------------------- */
/* Frame exclusion: positions in [lo, hi] are left out, except keep (EXCLUDE TIES). */
typedef struct excl {
    size_t lo, hi, keep;
} excl;

static int excluded(const excl *x, size_t p) { return p >= x->lo && p <= x->hi && p != x->keep; }

static int agg_over(win_op *s, const win_spec *w, size_t off, const size_t *idx, size_t fs,
                    size_t fe, const excl *ex, sqlv *out, nq_err *e)
{
    const fn_agg_def *def = w->agg;
    uint8_t stbuf[256];
    void *st = def->state_size <= sizeof stbuf ? stbuf : calloc(1, def->state_size);
    if (!st)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    memset(st, 0, def->state_size <= sizeof stbuf ? sizeof stbuf : def->state_size);
    def->init(st);
    keymap *seen = w->distinct ? keymap_new() : NULL;
    int rc = (w->distinct && !seen) ? nq_err_set(e, NQ_ENOMEM, "out of memory") : 0;
    key_buf kb = {0};
    for (size_t i = fs; i <= fe && i != (size_t)-1 && rc == 0; i++) {
        if (excluded(ex, i))
            continue;
        const sqlv *args = keys_of(s, idx[i]) + off + w->npart + w->nord;
        int skip = 0;
        for (int k = 0; k < w->nargs; k++)
            if (args[k].type == SQLV_NULL && !(def->flags & FN_NULL_OK))
                skip = 1;
        if (skip)
            continue;
        if (seen) {
            kb.n = 0;
            key_col kc = {0, 1};
            for (int k = 0; k < w->nargs && rc == 0; k++)
                rc = key_append(&kb, &args[k], kc, e);
            int added = 0;
            if (rc == 0 && keymap_get(seen, kb.p, kb.n, 1, 0, &added) == -2)
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            if (rc < 0 || !added)
                continue;
        }
        rc = def->step(st, w->nargs, args, e);
    }
    if (rc == 0)
        rc = def->final(st, out, e);
    if (def->cleanup)
        def->cleanup(st);
    if (st != stbuf)
        free(st);
    keymap_free(seen);
    free(kb.p);
    return rc;
}

/* Result must own its bytes (the row store outlives the arguments' producers). */
static int put(sqlv *dst, const sqlv *v, nq_err *e)
{
    if (v->owned || !v->p) {
        *dst = *v;
        return 0;
    }
    return sqlv_copy(v, dst, e);
}

/* RANGE offset frames: the first (or last) position of the partition whose ORDER BY key is on
 * the bound's side of key +/- offset. NULL keys (grouped at one end) are never inside an offset
 * range of a non-NULL key. Linear in the partition: O(rows^2) per partition for these frames. */
static int range_edge(win_op *s, const win_spec *w, size_t off, const size_t *idx, size_t ps,
                      size_t pe, const sqlv *key, const sqlv *offv, int preceding, int is_start,
                      size_t *pos, nq_err *e)
{
    int desc = w->ord_desc[0];
    /* the bound value: "preceding" moves against the sort direction */
    int minus = preceding ^ desc;
    sqlv b;
    int rc = minus ? sqlv_sub(key, offv, &b, e) : sqlv_add(key, offv, &b, e);
    if (rc < 0)
        return rc;
    /* in sort order, a key k is "at or after" the bound when (desc ? k <= b : k >= b) */
    if (is_start) {
        *pos = pe;
        for (size_t p = ps; p < pe; p++) {
            const sqlv *k = &keys_of(s, idx[p])[off + w->npart];
            if (k->type == SQLV_NULL)
                continue;
            int c = sqlv_order(k, &b);
            if (desc ? c <= 0 : c >= 0) {
                *pos = p;
                break;
            }
        }
    } else {
        *pos = (size_t)-1;
        for (size_t p = ps; p < pe; p++) {
            const sqlv *k = &keys_of(s, idx[p])[off + w->npart];
            if (k->type == SQLV_NULL)
                continue;
            int c = sqlv_order(k, &b);
            if (desc ? c >= 0 : c <= 0)
                *pos = p;
        }
    }
    sqlv_clear(&b);
    return 0;
}

static int frame_value(const win_spec *w, int is_start, xenv *x, sqlv *out, nq_err *e)
{
    bx *b = is_start ? w->start_e : w->end_e;
    *out = sqlv_int(0);
    if (!b)
        return 0;
    sqlv v;
    int rc = ev(b, x, &v, e);
    if (rc < 0)
        return rc;
    if ((v.type != SQLV_INT && v.type != SQLV_REAL) || (v.type == SQLV_INT ? v.i < 0 : v.r < 0)) {
        sqlv_clear(&v);
        return nq_err_set(e, NQ_ERROR, "RANGE frame offset must be a non-negative number");
    }
    *out = v;
    return 0;
}

static int frame_bound(const win_spec *w, int is_start, xenv *x, int64_t *n, nq_err *e)
{
    bx *b = is_start ? w->start_e : w->end_e;
    *n = 0;
    if (!b)
        return 0;
    sqlv v, t;
    int rc = ev(b, x, &v, e);
    if (rc < 0)
        return rc;
    rc = sqlv_cast(&v, SQLV_INT, &t, e);
    sqlv_clear(&v);
    if (rc < 0 || t.i < 0)
        return nq_err_set(e, NQ_ERROR, "frame offset must be a non-negative integer");
    *n = t.i;
    return 0;
}

static int compute(win_op *s, int wi, xenv *x, nq_err *e)
{
    const win_spec *w = &s->w[wi];
    size_t n = s->n, off = s->woff[wi];
    size_t *idx = malloc((n + 1) * sizeof *idx), *tmp = malloc((n + 1) * sizeof *tmp);
    size_t *grp = malloc((n + 1) * sizeof *grp); /* peer group number within the partition */
    size_t *gstart = malloc((n + 1) * sizeof *gstart), *gend = malloc((n + 1) * sizeof *gend);
    int rc = 0;
    if (!idx || !tmp || !grp || !gstart || !gend) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_ctx c = {s, w, off};
    msort(&c, idx, tmp, n);
    if (wi == 0)
        memcpy(s->out_order, idx, n * sizeof *idx);
    int64_t so = 0, eo = 0;
    sqlv sv = sqlv_int(0), evv = sqlv_int(0);
    if (w->unit == AST_FRAME_RANGE) {
        if ((rc = frame_value(w, 1, x, &sv, e)) < 0 || (rc = frame_value(w, 0, x, &evv, e)) < 0)
            goto out;
    } else if ((rc = frame_bound(w, 1, x, &so, e)) < 0 || (rc = frame_bound(w, 0, x, &eo, e)) < 0)
        goto out;
    for (size_t ps = 0; ps < n && rc == 0;) {
        size_t pe = ps + 1;
        while (pe < n && cmp_rows(&c, idx[ps], idx[pe], 0) == 0)
            pe++;
        /* peer groups: positions with equal ORDER BY keys */
        size_t g = 0;
        for (size_t i = ps; i < pe; i++) {
            if (i > ps && cmp_rows(&c, idx[i - 1], idx[i], 1) != 0)
                g++;
            grp[i] = g;
        }
        for (size_t i = ps; i < pe; i++) {
            size_t j = i;
            while (j > ps && grp[j - 1] == grp[i])
                j--;
            gstart[i] = j;
            j = i;
            while (j + 1 < pe && grp[j + 1] == grp[i])
                j++;
            gend[i] = j;
        }
        size_t plen = pe - ps;
        sqlv whole = sqlv_null();
        int have_whole = 0;
        for (size_t i = ps; i < pe && rc == 0; i++) {
            sqlv *out = &s->res[idx[i] * (size_t)s->nw + (size_t)wi];
            const sqlv *args = keys_of(s, idx[i]) + off + w->npart + w->nord;
            /* the frame [fs, fe] in positions of idx */
            size_t fs = ps, fe = pe - 1;
            int64_t gi = (int64_t)grp[i];
            switch (w->start) {
            case AST_FB_UNBOUNDED_PRECEDING: fs = ps; break;
            case AST_FB_CURRENT_ROW: fs = w->unit == AST_FRAME_ROWS ? i : gstart[i]; break;
            case AST_FB_PRECEDING:
            case AST_FB_FOLLOWING: {
                int64_t d = w->start == AST_FB_PRECEDING ? -so : so;
                if (w->unit == AST_FRAME_RANGE) {
                    const sqlv *k = &keys_of(s, idx[i])[off + w->npart];
                    if (k->type == SQLV_NULL)
                        fs = gstart[i];
                    else if ((rc = range_edge(s, w, off, idx, ps, pe, k, &sv, w->start == AST_FB_PRECEDING, 1, &fs, e)) < 0)
                        break;
                } else if (w->unit == AST_FRAME_ROWS) {
                    int64_t p = (int64_t)i + d;
                    fs = p < (int64_t)ps ? ps : (size_t)p;
                } else { /* GROUPS */
                    int64_t tg = gi + d;
                    fs = pe;
                    for (size_t k = ps; k < pe; k++)
                        if ((int64_t)grp[k] >= tg) {
                            fs = k;
                            break;
                        }
                }
                break;
            }
            default: fs = pe; break; /* UNBOUNDED FOLLOWING as a start: empty */
            }
            switch (w->end) {
            case AST_FB_UNBOUNDED_FOLLOWING: fe = pe - 1; break;
            case AST_FB_CURRENT_ROW: fe = w->unit == AST_FRAME_ROWS ? i : gend[i]; break;
            case AST_FB_PRECEDING:
            case AST_FB_FOLLOWING: {
                int64_t d = w->end == AST_FB_PRECEDING ? -eo : eo;
                if (w->unit == AST_FRAME_RANGE) {
                    const sqlv *k = &keys_of(s, idx[i])[off + w->npart];
                    if (k->type == SQLV_NULL)
                        fe = gend[i];
                    else if ((rc = range_edge(s, w, off, idx, ps, pe, k, &evv, w->end == AST_FB_PRECEDING, 0, &fe, e)) < 0)
                        break;
                } else if (w->unit == AST_FRAME_ROWS) {
                    int64_t p = (int64_t)i + d;
                    fe = p < (int64_t)ps ? (size_t)-1 : p >= (int64_t)pe ? pe - 1 : (size_t)p;
                } else {
                    int64_t tg = gi + d;
                    fe = (size_t)-1;
                    for (size_t k = ps; k < pe; k++)
                        if ((int64_t)grp[k] <= tg)
                            fe = k;
                }
                break;
            }
            default: fe = (size_t)-1; break; /* UNBOUNDED PRECEDING as an end: empty */
            }
            if (rc < 0)
                break;
            int empty = fe == (size_t)-1 || fs > fe || fs >= pe;
            excl ex = {1, 0, (size_t)-1}; /* nothing excluded */
            switch (w->exclude) {
            case AST_EXCL_CURRENT_ROW: ex.lo = ex.hi = i; break;
            case AST_EXCL_GROUP: ex.lo = gstart[i]; ex.hi = gend[i]; break;
            case AST_EXCL_TIES: ex.lo = gstart[i]; ex.hi = gend[i]; ex.keep = i; break;
            default: break;
            }
            int has_excl = ex.lo <= ex.hi;
            sqlv v = sqlv_null();
            switch (w->kind) {
            case WF_ROW_NUMBER: v = sqlv_int((int64_t)(i - ps + 1)); break;
            case WF_RANK: v = sqlv_int((int64_t)(gstart[i] - ps + 1)); break;
            case WF_DENSE_RANK: v = sqlv_int((int64_t)grp[i] + 1); break;
            case WF_PERCENT_RANK:
                v = sqlv_real(plen > 1 ? (double)(gstart[i] - ps) / (double)(plen - 1) : 0.0);
                break;
            case WF_CUME_DIST: v = sqlv_real((double)(gend[i] - ps + 1) / (double)plen); break;
            case WF_NTILE: {
                if (args[0].type != SQLV_INT || args[0].i <= 0) {
                    rc = nq_err_set(e, NQ_ERROR, "argument of ntile must be greater than zero");
                    break;
                }
                int64_t k = args[0].i, r = (int64_t)(i - ps);
                int64_t base = (int64_t)plen / k, extra = (int64_t)plen % k;
                /* the first `extra` buckets have base+1 rows */
                int64_t b = r < extra * (base + 1) ? r / (base + 1) : extra + (base ? (r - extra * (base + 1)) / base : 0);
                v = sqlv_int(b + 1);
                break;
            }
            case WF_LAG:
            case WF_LEAD: {
                int64_t o = 1;
                if (w->nargs >= 2) {
                    if (args[1].type == SQLV_NULL) {
                        v = sqlv_null();
                        break;
                    }
                    if (args[1].type != SQLV_INT) {
                        rc = nq_err_set(e, NQ_ETYPE, "offset of %s must be an integer", w->kind == WF_LAG ? "lag" : "lead");
                        break;
                    }
                    o = args[1].i;
                }
                int64_t p = (int64_t)i + (w->kind == WF_LAG ? -o : o);
                if (p >= (int64_t)ps && p < (int64_t)pe)
                    v = keys_of(s, idx[p])[off + w->npart + w->nord];
                else if (w->nargs >= 3)
                    v = args[2];
                v.owned = 0;
                break;
            }
            case WF_FIRST_VALUE:
            case WF_LAST_VALUE:
            case WF_NTH_VALUE: {
                if (empty)
                    break;
                int64_t want = 1;
                if (w->kind == WF_NTH_VALUE) {
                    if (args[1].type != SQLV_INT || args[1].i <= 0) {
                        rc = nq_err_set(e, NQ_ERROR, "argument of nth_value must be greater than zero");
                        break;
                    }
                    want = args[1].i;
                }
                size_t p = (size_t)-1;
                if (w->kind == WF_LAST_VALUE) {
                    for (size_t q = fe + 1; q-- > fs;)
                        if (!excluded(&ex, q)) {
                            p = q;
                            break;
                        }
                } else {
                    for (size_t q = fs; q <= fe; q++)
                        if (!excluded(&ex, q) && --want == 0) {
                            p = q;
                            break;
                        }
                }
                if (p == (size_t)-1)
                    break;
                v = keys_of(s, idx[p])[off + w->npart + w->nord];
                v.owned = 0;
                break;
            }
            default: { /* aggregate */
                int whole_frame = fs == ps && fe == pe - 1 && w->start == AST_FB_UNBOUNDED_PRECEDING &&
                                  w->end == AST_FB_UNBOUNDED_FOLLOWING && !has_excl;
                if (whole_frame && have_whole) {
                    v = whole;
                    v.owned = 0;
                    break;
                }
                if (empty)
                    rc = agg_over(s, w, off, idx, 1, 0, &ex, &v, e); /* no rows: the empty aggregate */
                else
                    rc = agg_over(s, w, off, idx, fs, fe, &ex, &v, e);
                if (rc == 0 && whole_frame) {
                    rc = put(&whole, &v, e); /* whole takes v's memory, or a copy of it */
                    v = whole;
                    v.owned = 0;
                    have_whole = 1;
                }
                break;
            }
            }
            if (rc == 0)
                rc = put(out, &v, e);
        }
        sqlv_clear(&whole);
        ps = pe;
    }
out:
    sqlv_clear(&sv);
    sqlv_clear(&evv);
    free(idx);
    free(tmp);
    free(grp);
    free(gstart);
    free(gend);
    return rc;
}

int win_func_kind(const char *name, int *min_args, int *max_args)
{
    static const struct { const char *n; int k, lo, hi; } t[] = {
        {"row_number", WF_ROW_NUMBER, 0, 0}, {"rank", WF_RANK, 0, 0},
        {"dense_rank", WF_DENSE_RANK, 0, 0}, {"percent_rank", WF_PERCENT_RANK, 0, 0},
        {"cume_dist", WF_CUME_DIST, 0, 0}, {"ntile", WF_NTILE, 1, 1}, {"lag", WF_LAG, 1, 3},
        {"lead", WF_LEAD, 1, 3}, {"first_value", WF_FIRST_VALUE, 1, 1},
        {"last_value", WF_LAST_VALUE, 1, 1}, {"nth_value", WF_NTH_VALUE, 2, 2},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcasecmp(name, t[i].n)) {
            *min_args = t[i].lo;
            *max_args = t[i].hi;
            return t[i].k;
        }
    return -1;
}

/* ---- the operator ----------------------------------------------------------------------- */
static void win_free(win_op *s)
{
    if (s->snap)
        rows_clear(s->snap, (int)(s->n * s->rowsz));
    if (s->keys)
        rows_clear(s->keys, (int)(s->n * s->nkeyvals));
    if (s->res)
        rows_clear(s->res, (int)(s->n * (size_t)s->nw));
    free(s->snap);
    free(s->keys);
    free(s->res);
    free(s->out_order);
    s->snap = s->keys = s->res = NULL;
    s->out_order = NULL;
    s->n = s->cap = s->pos = 0;
}

static int grow(win_op *s, nq_err *e)
{
    size_t nc = s->cap ? s->cap * 2 : 64;
    sqlv *a = realloc(s->snap, nc * (s->rowsz ? s->rowsz : 1) * sizeof(sqlv));
    if (a)
        s->snap = a;
    sqlv *b = a ? realloc(s->keys, nc * (s->nkeyvals ? s->nkeyvals : 1) * sizeof(sqlv)) : NULL;
    if (b)
        s->keys = b;
    if (!a || !b)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    s->cap = nc;
    return 0;
}

static int win_open(op *o, xenv *x, nq_err *e)
{
    win_op *s = (win_op *)o;
    win_free(s);
    int rc = op_open(o->child[0], x, e);
    while (rc >= 0) {
        rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            break;
        if (s->n == s->cap && (rc = grow(s, e)) < 0)
            break;
        sqlv *snap = s->snap + s->n * s->rowsz;
        sqlv *kv = s->keys + s->n * s->nkeyvals;
        memset(snap, 0, s->rowsz * sizeof(sqlv));
        memset(kv, 0, s->nkeyvals * sizeof(sqlv));
        s->n++;
        for (int k = 0; k < s->nslots && rc >= 0; k++) {
            const sqlv *cur = x->slot[s->slots[k]];
            if (cur)
                rc = rows_copy(cur, s->widths[k], snap + s->slot_off[k], e);
        }
        for (int wi = 0; wi < s->nw && rc >= 0; wi++) {
            const win_spec *w = &s->w[wi];
            sqlv *dst = kv + s->woff[wi];
            bx **lists[3] = {w->part, w->ord, w->args};
            int counts[3] = {w->npart, w->nord, w->nargs};
            for (int l = 0, k = 0; l < 3 && rc >= 0; l++)
                for (int i = 0; i < counts[l] && rc >= 0; i++, k++) {
                    sqlv v;
                    rc = ev(lists[l][i], x, &v, e);
                    if (rc == 0)
                        rc = put(&dst[k], &v, e);
                }
        }
    }
    op_close(o->child[0], x);
    if (rc < 0)
        return rc;
    s->res = calloc(s->n * (size_t)s->nw + 1, sizeof(sqlv));
    s->out_order = malloc((s->n + 1) * sizeof *s->out_order);
    if (!s->res || !s->out_order)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (int wi = 0; wi < s->nw && rc >= 0; wi++)
        rc = compute(s, wi, x, e);
    s->pos = 0;
    return rc < 0 ? rc : 0;
}

static int win_next(op *o, xenv *x, nq_err *e)
{
    win_op *s = (win_op *)o;
    if (s->pos >= s->n)
        return 0;
    size_t r = s->out_order[s->pos++];
    sqlv *snap = s->snap + r * s->rowsz;
    for (int k = 0; k < s->nslots; k++)
        x->slot[s->slots[k]] = snap + s->slot_off[k];
    x->slot[o->out_slot] = s->res + r * (size_t)s->nw;
    return 1;
}

static void win_close(op *o, xenv *x) { win_free((win_op *)o); }

static void win_describe(const op *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "WINDOW (%d functions)", ((const win_op *)o)->nw);
}
static const op_vt win_vt = {"window", win_open, win_next, win_close, NULL, win_describe};

op *op_window_new(ast_arena *a, op *child, int slot, const win_spec *w, int nw, const int *slots,
                  const int *widths, int nslots)
{
    win_op *s = ast_alloc(a, sizeof *s);
    size_t *soff = ast_alloc(a, sizeof(size_t) * (size_t)(nslots + 1));
    size_t *woff = ast_alloc(a, sizeof(size_t) * (size_t)(nw + 1));
    int *scopy = ast_alloc(a, sizeof(int) * (size_t)(nslots + 1));
    int *wcopy = ast_alloc(a, sizeof(int) * (size_t)(nslots + 1));
    if (!s || !soff || !woff || !scopy || !wcopy)
        return NULL;
    s->base.vt = &win_vt;
    s->base.out_slot = slot;
    s->base.ncols = nw;
    s->base.child[0] = child;
    s->base.nchild = 1;
    s->w = w;
    s->nw = nw;
    memcpy(scopy, slots, sizeof(int) * (size_t)nslots);
    memcpy(wcopy, widths, sizeof(int) * (size_t)nslots);
    s->slots = scopy;
    s->widths = wcopy;
    s->nslots = nslots;
    size_t off = 0;
    for (int i = 0; i < nslots; i++) {
        soff[i] = off;
        off += (size_t)wcopy[i];
    }
    s->rowsz = off;
    s->slot_off = soff;
    off = 0;
    for (int i = 0; i < nw; i++) {
        woff[i] = off;
        off += wvals(&w[i]);
    }
    s->nkeyvals = off;
    s->woff = woff;
    return &s->base;
}
