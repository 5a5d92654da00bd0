/*
 * compile_from.c — the planner for FROM and WHERE: access paths and join order.
 *
 * The FROM tree is flattened into items (tables, views, derived tables, CTE references) and
 * the WHERE clause and inner-join ON clauses into conjuncts. Each conjunct knows the set of
 * items it reads. Items are then placed one by one; each placement picks, for the item, the
 * cheapest access path given the items already placed (whose registers are filled when the
 * item is read, so `t2.x = t1.y` with t1 placed is an index lookup key for t2), wraps it in a
 * filter of every conjunct that has just become evaluable, and joins it to what is placed so
 * far with a nested loop.
 *
 * Costs (estimated rows; docs/qsql.md "Planner"): a table has ANALYZE's row count, or when it
 * was never analyzed the B-tree's estimate from one root-to-leaf path (nq_tree_estimate). Equality on an index prefix of k columns selects
 * rows/distinct(k) when ANALYZE measured distinct prefixes, one row for a full unique key,
 * and 10% per column otherwise; one range bound keeps 25%, two keep 10%. A rowid lookup is one
 * row. Reading a row through an index costs 1.5 (the index entry plus the row fetch), through
 * a scan 1; a lookup adds log2(rows) for the descent.
 *
 * Join order: with only inner joins, the order is chosen before any operator is built, by the
 * searches of plan_joinorder.c over this file's cost model (order_params: per item and set of
 * placed items, the costs of join_access and the row factors of the operators built below):
 * below 8 items greedy with one step of lookahead — at each step the item whose join is
 * cheapest given what is placed, plus the cheapest join after it — and from 8 items (or with a
 * QUANTUM_JOIN) also DP over subsets and annealing, the cheapest estimate kept; a JOIN ORDER
 * node above the joins says which (EXPLAIN). Joining an item
 * costs its access once per row so far (nested loop), or, when an equality ties one of its
 * columns to the placed items, one read through its key-free access plus a probe per row (hash
 * join, exec_hashjoin.c) — so a selective lookup or a tiny table goes first, the big table is
 * reached by index, and a join no index serves is hashed. With an outer join, the written order is kept (RIGHT JOIN is turned into
 * LEFT JOIN by swapping its sides) and the right side of a LEFT JOIN gets only its ON
 * conjuncts; WHERE conjuncts that read it run above the join, as SQL requires.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/compile.h"
#include "sql/plan_joinorder.h"
#include "sql/tablefunc.h"

#define DEFAULT_ROWS 1000.0

typedef struct fitem {
    int slot;
    int ncols;
    cat_table *t;          /* base table, or NULL for a derived input */
    op *plan;              /* derived: its plan */
    int left_join;         /* right side of a LEFT JOIN (or of a FULL JOIN) */
    int full;              /* FULL JOIN: the ON conjuncts stay in the join; left side nulled */
    int *lslots, *lwidths; /* FULL: the left side's slots */
    int nl;
    double rows;           /* base table: ANALYZE's count, or the tree's quick estimate */
    bx **on;               /* its ON conjuncts */
    int non;
    int placed;
} fitem;

typedef struct conj {
    bx *e;
    uint64_t slots;
    int used;
    int on_only;           /* belongs to a LEFT JOIN's ON: only applied with that item */
} conj;

typedef struct fctx {
    cc *c;
    cc_scope *sc;
    fitem *items;
    int n, cap;
    conj *cj;
    int ncj, capcj;
    int has_outer;
    int *order;            /* the written order (RIGHT JOIN sides swapped); the search's result */
    int norder;
    int quantum;           /* a QUANTUM_JOIN: the order is annealed (plan_joinorder.c) */
} fctx;

static int add_item(fctx *f, fitem it)
{
    if (f->n == f->cap) {
        int nc = f->cap ? f->cap * 2 : 8;
        fitem *ni = realloc(f->items, (size_t)nc * sizeof *ni);
        if (!ni)
            return nq_err_set(f->c->e, NQ_ENOMEM, "out of memory");
        f->items = ni;
        f->cap = nc;
    }
    f->items[f->n++] = it;
    return f->n - 1;
}

static uint64_t item_slots(fctx *f, const bx *e);

static int add_conj(fctx *f, bx *e, int on_only)
{
    if (e->kind == BX_AND) {
        int rc = add_conj(f, e->a, on_only);
        return rc < 0 ? rc : add_conj(f, e->b, on_only);
    }
    if (e->kind == BX_BETWEEN && !e->not_ && e->a->kind == BX_COL) {
        /* col BETWEEN x AND y is, by definition, col >= x AND col <= y: two index bounds */
        bx *lo = ast_alloc(f->c->a, sizeof *lo), *hi = ast_alloc(f->c->a, sizeof *hi);
        if (!lo || !hi)
            return nq_err_set(f->c->e, NQ_ENOMEM, "out of memory");
        *lo = *e;
        lo->kind = BX_CMP;
        lo->op = AST_OP_GE;
        lo->b = e->b;
        lo->c = NULL;
        *hi = *lo;
        hi->op = AST_OP_LE;
        hi->b = e->c;
        int rc = add_conj(f, lo, on_only);
        return rc < 0 ? rc : add_conj(f, hi, on_only);
    }
    if (f->ncj == f->capcj) {
        int nc = f->capcj ? f->capcj * 2 : 16;
        conj *n = realloc(f->cj, (size_t)nc * sizeof *n);
        if (!n)
            return nq_err_set(f->c->e, NQ_ENOMEM, "out of memory");
        f->cj = n;
        f->capcj = nc;
    }
    f->cj[f->ncj++] = (conj){e, item_slots(f, e), 0, on_only};
    return 0;
}

/* Items are tracked as bits by their position in f->items, not by register number: a derived
 * table's register comes after all the registers of its body, so register offsets from
 * first_slot can run past 64 for a FROM of two views. */
static uint64_t slot_bit(fctx *f, int slot)
{
    for (int i = 0; i < f->n && i < 64; i++)
        if (f->items[i].slot == slot)
            return 1ULL << i;
    return 0;
}

/* The items an expression reads: a bit per FROM item; registers of enclosing queries count as
 * nothing (always available); anything else (a subquery) as everything, so that it runs last. */
static uint64_t item_slots(fctx *f, const bx *e)
{
    if (!e)
        return 0;
    uint64_t m = 0;
    if ((e->kind == BX_COL || e->kind == BX_AGGREF) && e->slot >= f->sc->first_slot) {
        uint64_t b = slot_bit(f, e->slot);
        m |= b ? b : ~0ULL;
    }
    if (e->sub)
        m |= ~0ULL;
    m |= item_slots(f, e->a) | item_slots(f, e->b) | item_slots(f, e->c);
    for (int i = 0; i < e->nargs; i++)
        m |= item_slots(f, e->args[i]);
    return m;
}

int cc_scope_add(cc *c, cc_scope *sc, const char *name, int slot, int ncols, const char **cols,
                 cat_table *t)
{
    for (int i = 0; i < sc->n; i++)
        if (name && sc->srcs[i].name && !strcasecmp(sc->srcs[i].name, name))
            return nq_err_set(c->e, NQ_ESCHEMA, "table name \"%s\" specified more than once", name);
    if (sc->n == sc->cap) {
        int nc = sc->cap ? sc->cap * 2 : 8;
        cc_src *ns = ast_alloc(c->a, (size_t)nc * sizeof *ns);
        if (!ns)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        if (sc->n)
            memcpy(ns, sc->srcs, (size_t)sc->n * sizeof *ns);
        sc->srcs = ns;
        sc->cap = nc;
    }
    cc_src *s = &sc->srcs[sc->n++];
    memset(s, 0, sizeof *s);
    s->name = name;
    s->slot = slot;
    s->ncols = ncols;
    s->cols = cols;
    s->t = t;
    return 0;
}

static const ast_cte *find_cte(cc_scope *sc, const char *name)
{
    for (cc_scope *s = sc; s; s = s->parent)
        if (s->with)
            for (int i = 0; i < s->with->ctes.n; i++) {
                const ast_cte *ct = s->with->ctes.v[i];
                if (!strcasecmp(ct->name, name))
                    return ct;
            }
    return NULL;
}

/* Compile a query used as a FROM item; returns the item index. */
static int derived(fctx *f, const ast_select *q, const char *alias, const ast_list *alias_cols)
{
    cc *c = f->c;
    if (++c->depth > 64)
        return nq_err_set(c->e, NQ_ERROR, "views or WITH queries nest too deeply (or refer to themselves)");
    cc_scope inner = {0};
    inner.parent = f->sc->parent;
    inner.first_slot = c->nslots;
    inner.with = f->sc->with;
    cc_query cq;
    int rc = cc_query_compile(c, &inner, q, &cq);
    c->depth--;
    if (rc < 0)
        return rc;
    if (inner.correlated)
        f->sc->correlated = 1;
    const char **names = cq.names;
    if (alias_cols && alias_cols->n) {
        if (alias_cols->n > cq.ncols)
            return nq_err_set(c->e, NQ_ESCHEMA, "%s has %d columns available but %d columns specified",
                              alias ? alias : "subquery", cq.ncols, alias_cols->n);
        names = ast_alloc(c->a, (size_t)cq.ncols * sizeof *names);
        if (!names)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        for (int i = 0; i < cq.ncols; i++)
            names[i] = i < alias_cols->n ? alias_cols->v[i] : cq.names[i];
    }
    if ((rc = cc_scope_add(c, f->sc, alias, cq.slot, cq.ncols, names, NULL)) < 0)
        return rc;
    fitem it = {0};
    it.slot = cq.slot;
    it.ncols = cq.ncols;
    it.plan = cq.plan;
    return add_item(f, it);
}

static int worktable_item(fctx *f, cc_rec *r, const char *alias)
{
    cc *c = f->c;
    if (r->anchor_only)
        return nq_err_set(c->e, NQ_ESCHEMA, "recursive reference to query \"%s\" must not appear within its non-recursive term",
                          ((const ast_cte *)r->cte)->name);
    r->used = 1;
    int slot = cc_new_slot(c, r->ncols);
    if (slot < 0)
        return slot;
    op *w = op_worktable_new(c->a, r->st, slot);
    int rc = cc_track_op(c, w);
    if (rc < 0)
        return rc;
    if ((rc = cc_scope_add(c, f->sc, alias, slot, r->ncols, r->names, NULL)) < 0)
        return rc;
    fitem it = {0};
    it.slot = slot;
    it.ncols = r->ncols;
    it.plan = w;
    return add_item(f, it);
}

/* A WITH query used in FROM: inline it; a recursive one (WITH RECURSIVE, a UNION [ALL] whose
 * right part names the CTE) becomes the iteration operator of exec_recursive.c. */
static int cte_item(fctx *f, const ast_cte *ct, const char *alias)
{
    cc *c = f->c;
    for (cc_rec *r = c->rec; r; r = r->up)
        if (r->cte == ct)
            return worktable_item(f, r, alias);
    const ast_with *w = NULL;
    for (cc_scope *s = f->sc; s && !w; s = s->parent)
        if (s->with)
            for (int i = 0; i < s->with->ctes.n; i++)
                if (s->with->ctes.v[i] == ct)
                    w = s->with;
    const ast_select *q = ct->query;
    if (!w || !w->recursive || q->kind != AST_SEL_COMPOUND ||
        (q->op != AST_UNION && q->op != AST_UNION_ALL) || q->order_by.n || q->limit)
        return derived(f, q, alias, &ct->cols);
    if (++c->depth > 64)
        return nq_err_set(c->e, NQ_ERROR, "WITH queries nest too deeply");
    cc_scope inner = {0};
    inner.parent = f->sc->parent;
    inner.first_slot = c->nslots;
    inner.with = f->sc->with;
    cc_rec r = {0};
    r.cte = ct;
    r.anchor_only = 1;
    r.up = c->rec;
    c->rec = &r;
    cc_query aq, rq;
    int rc = cc_query_compile(c, &inner, q->left, &aq);
    if (rc == 0) {
        r.anchor_only = 0;
        r.ncols = aq.ncols;
        r.names = aq.names;
        if (ct->cols.n) {
            if (ct->cols.n != aq.ncols)
                rc = nq_err_set(c->e, NQ_ESCHEMA, "WITH query \"%s\" has %d columns available but %d columns specified",
                                ct->name, aq.ncols, ct->cols.n);
            else
                r.names = (const char **)ct->cols.v;
        }
        if (rc == 0 && !(r.st = rec_state_new(c->a, aq.ncols)))
            rc = nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    }
    int ops_lo = c->nops;
    if (rc == 0)
        rc = cc_query_compile(c, &inner, q->right, &rq);
    int ops_hi = c->nops;
    c->rec = r.up;
    c->depth--;
    if (rc < 0)
        return rc;
    if (rq.ncols != aq.ncols)
        return nq_err_set(c->e, NQ_ESCHEMA, "each UNION query must have the same number of columns");
    if (!r.used) /* no self-reference: an ordinary WITH query */
        return derived(f, q, alias, &ct->cols);
    if (inner.correlated)
        f->sc->correlated = 1;
    int slot = cc_new_slot(c, aq.ncols);
    if (slot < 0)
        return slot;
    op *ro = op_recursive_new(c->a, r.st, aq.plan, aq.slot, rq.plan, rq.slot, slot, q->op == AST_UNION_ALL);
    if ((rc = cc_track_op(c, ro)) < 0)
        return rc;
    int nres = 0;
    op **res = ast_alloc(c->a, sizeof(op *) * (size_t)(ops_hi - ops_lo + 1));
    if (!res)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = ops_lo; i < ops_hi; i++)
        if (c->ops[i]->vt->destroy)
            res[nres++] = c->ops[i];
    op_recursive_resets(ro, res, nres);
    ro->est_rows = aq.plan->est_rows * 10;
    if ((rc = cc_scope_add(c, f->sc, alias, slot, aq.ncols, r.names, NULL)) < 0)
        return rc;
    fitem it = {0};
    it.slot = slot;
    it.ncols = aq.ncols;
    it.plan = ro;
    return add_item(f, it);
}

/* Flatten a FROM tree; returns the index of its first item, or a negative error. */
static int flatten(fctx *f, const ast_from *fr, int *first, int *count);

static int cte_item(fctx *f, const ast_cte *ct, const char *alias);

/* Rows of a table for the cost model: ANALYZE's count when there is one, else the B-tree's
 * one-path estimate (nq_tree_estimate), else DEFAULT_ROWS. */
static double table_rows(const cat_table *t)
{
    if (t->stat_rows)
        return (double)t->stat_rows;
    uint64_t n;
    if (t->handle && nq_tree_estimate(t->handle, &n) == NQ_OK)
        return n ? (double)n : 1;
    return DEFAULT_ROWS;
}

static int func_item(fctx *f, const ast_from *fr)
{
    cc_query tq;
    int rc;
    if ((rc = cc_tablefunc(f->c, f->sc, fr, &tq)) < 0 ||
        (rc = cc_scope_add(f->c, f->sc, fr->alias ? fr->alias : fr->name, tq.slot, tq.ncols,
                           tq.names, NULL)) < 0)
        return rc;
    fitem it = {0};
    it.slot = tq.slot;
    it.ncols = tq.ncols;
    it.plan = tq.plan;
    return add_item(f, it);
}

static int table_item(fctx *f, const ast_from *fr)
{
    cc *c = f->c;
    if (fr->schema)
        return nq_err_set(c->e, NQ_ENOTSUP, "not supported yet: schema-qualified names (%s.%s)",
                          fr->schema, fr->name);
    const ast_cte *ct = find_cte(f->sc, fr->name);
    if (ct)
        return cte_item(f, ct, fr->alias ? fr->alias : ct->name);
    cat_table *t = cat_table_find(c->cat, fr->name);
    if (!t) {
        cat_view *v = cat_view_find(c->cat, fr->name);
        if (v)
            return derived(f, v->def->query, fr->alias ? fr->alias : v->name, &v->def->cols);
        /* a system table (nq_index_advice, ...): a table function without arguments */
        const tf_def *d = tf_find(fr->name);
        if (d && d->min_args == 0 && !strncasecmp(fr->name, "nq_", 3))
            return func_item(f, fr);
        return nq_err_set(c->e, NQ_ESCHEMA, "no such table: %s", fr->name);
    }
    int slot = cc_new_slot(c, t->ncols);
    if (slot < 0)
        return slot;
    const char **names = ast_alloc(c->a, (size_t)(t->ncols + 1) * sizeof *names);
    if (!names)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < t->ncols; i++)
        names[i] = t->cols[i].name;
    int rc = cc_scope_add(c, f->sc, fr->alias ? fr->alias : t->name, slot, t->ncols, names, t);
    if (rc < 0)
        return rc;
    fitem it = {0};
    it.slot = slot;
    it.ncols = t->ncols;
    it.t = t;
    it.rows = table_rows(t);
    return add_item(f, it);
}

/* USING (cols) / NATURAL: equality conjuncts; the right twin of each column is hidden from
 * unqualified lookup and from *. */
static int using_conds(fctx *f, int lfirst, int lcount, int rfirst, int rcount,
                       const ast_list *cols, int natural, int jtype, bx **cond)
{
    cc *c = f->c;
    *cond = NULL;
    /* the scope sources of the items, in the same order as items */
    cc_src *rs = NULL;
    int rsrc = -1;
    if (rcount != 1)
        return nq_err_set(c->e, NQ_ENOTSUP, "not supported yet: USING/NATURAL with a parenthesized join on the right");
    for (int i = 0; i < f->sc->n; i++)
        if (f->sc->srcs[i].slot == f->items[rfirst].slot)
            rsrc = i;
    rs = &f->sc->srcs[rsrc];
    int n = natural ? rs->ncols : cols->n;
    for (int k = 0; k < n; k++) {
        const char *name = natural ? rs->cols[k] : cols->v[k];
        int rcol = -1;
        for (int j = 0; j < rs->ncols; j++)
            if (!strcasecmp(rs->cols[j], name))
                rcol = j;
        /* find the column on the left side */
        int lslot = -1, lcol = -1, found = 0;
        for (int i = 0; i < f->sc->n; i++) {
            cc_src *s = &f->sc->srcs[i];
            int is_left = 0;
            for (int it = lfirst; it < lfirst + lcount; it++)
                if (f->items[it].slot == s->slot)
                    is_left = 1;
            if (!is_left)
                continue;
            for (int j = 0; j < s->ncols; j++)
                if (!strcasecmp(s->cols[j], name) && !(s->merged && s->merged[j])) {
                    found++;
                    lslot = s->slot;
                    lcol = j;
                }
        }
        if (natural && !found)
            continue;
        if (rcol < 0 || !found)
            return nq_err_set(c->e, NQ_ESCHEMA, "column \"%s\" specified in USING clause does not exist in %s table",
                              name, rcol < 0 ? "right" : "left");
        if (found > 1)
            return nq_err_set(c->e, NQ_ESCHEMA, "common column name \"%s\" appears more than once in left table", name);
        if (!rs->merged && !(rs->merged = ast_alloc(c->a, (size_t)rs->ncols + 1)))
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        rs->merged[rcol] = 1;
        bx *eq = ast_alloc(c->a, sizeof *eq), *l = ast_alloc(c->a, sizeof *l), *r = ast_alloc(c->a, sizeof *r);
        if (!eq || !l || !r)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        l->kind = r->kind = BX_COL;
        l->slot = lslot;
        l->col = lcol;
        r->slot = rs->slot;
        r->col = rcol;
        eq->kind = BX_CMP;
        eq->op = AST_OP_EQ;
        eq->a = l;
        eq->b = r;
        if (jtype == AST_JOIN_RIGHT || jtype == AST_JOIN_FULL) {
            bx *u = r;
            if (jtype == AST_JOIN_FULL) {
                u = ast_alloc(c->a, sizeof *u);
                bx **args = ast_alloc(c->a, 2 * sizeof *args);
                if (!u || !args)
                    return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                u->kind = BX_FUNC;
                u->fn = fn_scalar_find("coalesce");
                if (!u->fn)
                    return nq_err_set(c->e, NQ_ERROR, "internal error: coalesce() is missing");
                args[0] = l;
                args[1] = r;
                u->args = args;
                u->nargs = 2;
            }
            cc_using *nu = ast_alloc(c->a, sizeof *nu * (size_t)(f->sc->nusings + 1));
            if (!nu)
                return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            if (f->sc->nusings)
                memcpy(nu, f->sc->usings, sizeof *nu * (size_t)f->sc->nusings);
            nu[f->sc->nusings++] = (cc_using){name, lslot, lcol, u};
            f->sc->usings = nu;
        }
        if (*cond) {
            bx *and = ast_alloc(c->a, sizeof *and);
            if (!and)
                return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            and->kind = BX_AND;
            and->a = *cond;
            and->b = eq;
            *cond = and;
        } else
            *cond = eq;
    }
    return 0;
}

static int push_order(fctx *f, int item)
{
    int *no = realloc(f->order, (size_t)(f->norder + 1) * sizeof *no);
    if (!no)
        return nq_err_set(f->c->e, NQ_ENOMEM, "out of memory");
    f->order = no;
    f->order[f->norder++] = item;
    return 0;
}

static int flatten(fctx *f, const ast_from *fr, int *first, int *count)
{
    cc *c = f->c;
    int rc;
    switch (fr->kind) {
    case AST_FROM_TABLE:
        rc = table_item(f, fr);
        break;
    case AST_FROM_SUBQUERY:
        rc = derived(f, fr->sub, fr->alias, &fr->alias_cols);
        break;
    case AST_FROM_FUNC: /* a table function (tablefunc.h): placed like a derived table */
        rc = func_item(f, fr);
        break;
    default: {
        if (fr->jtype == AST_JOIN_QUANTUM)
            f->quantum = 1; /* an inner join whose FROM gets its order by annealing */
        int lf, ln, rf, rn;
        int outer = fr->jtype == AST_JOIN_LEFT || fr->jtype == AST_JOIN_RIGHT ||
                    fr->jtype == AST_JOIN_FULL;
        int save_order = f->norder;
        if ((rc = flatten(f, fr->left, &lf, &ln)) < 0)
            return rc;
        int mid_order = f->norder;
        if ((rc = flatten(f, fr->right, &rf, &rn)) < 0)
            return rc;
        bx *cond = NULL;
        if (fr->natural || fr->using_cols.n) {
            if ((rc = using_conds(f, lf, ln, rf, rn, &fr->using_cols, fr->natural, fr->jtype, &cond)) < 0)
                return rc;
        }
        if (fr->on) {
            bx *on;
            f->sc->no_agg = 1;
            f->sc->no_agg_what = "aggregate functions are not allowed in JOIN conditions";
            rc = cc_expr(c, f->sc, fr->on, &on);
            f->sc->no_agg = 0;
            if (rc < 0)
                return rc;
            if (cond) {
                bx *and = ast_alloc(c->a, sizeof *and);
                if (!and)
                    return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                and->kind = BX_AND;
                and->a = cond;
                and->b = on;
                cond = and;
            } else
                cond = on;
        }
        if (outer) {
            f->has_outer = 1;
            int inner_first = fr->jtype == AST_JOIN_RIGHT ? lf : rf;
            int inner_n = fr->jtype == AST_JOIN_RIGHT ? ln : rn;
            if (inner_n != 1)
                return nq_err_set(c->e, NQ_ENOTSUP, "not supported yet: an outer join whose inner side is itself a join");
            fitem *it = &f->items[inner_first];
            it->left_join = 1;
            if (fr->jtype == AST_JOIN_FULL) {
                it->full = 1;
                it->nl = ln;
                it->lslots = ast_alloc(c->a, sizeof(int) * (size_t)(ln + 1));
                it->lwidths = ast_alloc(c->a, sizeof(int) * (size_t)(ln + 1));
                if (!it->lslots || !it->lwidths)
                    return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                for (int k = 0; k < ln; k++) {
                    it->lslots[k] = f->items[lf + k].slot;
                    it->lwidths[k] = f->items[lf + k].ncols;
                }
            }
            if (cond) {
                /* keep the ON conjuncts with the item */
                fctx tmp = *f;
                tmp.cj = NULL;
                tmp.ncj = tmp.capcj = 0;
                if ((rc = add_conj(&tmp, cond, 1)) < 0) {
                    free(tmp.cj);
                    return rc;
                }
                it->on = ast_alloc(c->a, (size_t)tmp.ncj * sizeof(bx *));
                if (!it->on) {
                    free(tmp.cj);
                    return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                }
                for (int i = 0; i < tmp.ncj; i++)
                    it->on[i] = tmp.cj[i].e;
                it->non = tmp.ncj;
                free(tmp.cj);
            }
            if (fr->jtype == AST_JOIN_RIGHT) {
                /* order: the right side's items first, then the left (now inner) item */
                int nr = f->norder - mid_order;
                int *tmp = malloc((size_t)(nr + 1) * sizeof *tmp);
                if (!tmp)
                    return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                memcpy(tmp, f->order + mid_order, (size_t)nr * sizeof *tmp);
                int nl = mid_order - save_order;
                memmove(f->order + save_order + nr, f->order + save_order, (size_t)nl * sizeof *tmp);
                memcpy(f->order + save_order, tmp, (size_t)nr * sizeof *tmp);
                free(tmp);
            }
        } else if (cond && (rc = add_conj(f, cond, 0)) < 0)
            return rc;
        *first = lf;
        *count = ln + rn;
        return 0;
    }
    }
    if (rc < 0)
        return rc;
    *first = rc;
    *count = 1;
    return push_order(f, rc);
}

/* ---- access paths ----------------------------------------------------------------------- */
typedef struct access {
    double rows, cost;
    int kind;              /* 0 scan, 1 rowid, 2 index */
    cat_index *ix;
    bx *eq[16];
    int neq;
    bx *lo, *hi;
    int lo_incl, hi_incl;
} access;

/* Is e `item.col op expr(available)` (either way round)? Fills col, op (as if col on the
 * left) and the other side. */
static int sargable(fctx *f, const bx *e, int slot, uint64_t avail, int *col, int *opr, bx **other)
{
    if (e->kind != BX_CMP || e->a->kind == BX_ROW)
        return 0;
    static const int flip[] = {[AST_OP_EQ] = AST_OP_EQ, [AST_OP_LT] = AST_OP_GT, [AST_OP_LE] = AST_OP_GE,
                               [AST_OP_GT] = AST_OP_LT, [AST_OP_GE] = AST_OP_LE};
    if (e->op == AST_OP_NE)
        return 0;
    for (int side = 0; side < 2; side++) {
        const bx *cside = side ? e->b : e->a, *oside = side ? e->a : e->b;
        if (cside->kind != BX_COL || cside->slot != slot)
            continue;
        uint64_t os = item_slots(f, oside);
        if ((os & ~avail) || (os & slot_bit(f, slot)))
            continue;
        *col = cside->col;
        *opr = side ? flip[e->op] : e->op;
        *other = (bx *)oside;
        return 1;
    }
    return 0;
}


static void choose_access(fctx *f, fitem *it, uint64_t avail, const conj *cands, int ncands, access *best)
{
    memset(best, 0, sizeof *best);
    double n = it->t ? it->rows : (it->plan && it->plan->est_rows > 0 ? it->plan->est_rows : DEFAULT_ROWS);
    best->rows = n;
    best->cost = n;
    if (!it->t)
        return;
    cat_table *t = it->t;
    double lg = log2(n + 2);
    /* rowid */
    if (t->ipk >= 0) {
        bx *eq = NULL, *lo = NULL, *hi = NULL;
        int lo_incl = 0, hi_incl = 0;
        for (int i = 0; i < ncands; i++) {
            int col, opr;
            bx *other;
            if (!sargable(f, cands[i].e, it->slot, avail, &col, &opr, &other) || col != t->ipk)
                continue;
            if (opr == AST_OP_EQ)
                eq = other;
            else if ((opr == AST_OP_GT || opr == AST_OP_GE) && !lo)
                lo = other, lo_incl = opr == AST_OP_GE;
            else if ((opr == AST_OP_LT || opr == AST_OP_LE) && !hi)
                hi = other, hi_incl = opr == AST_OP_LE;
        }
        if (eq) {
            *best = (access){.rows = 1, .cost = 1 + lg, .kind = 1, .lo = eq, .hi = eq, .lo_incl = 1, .hi_incl = 1};
            return;
        }
        if (lo || hi) {
            double r = n * (lo && hi ? 0.1 : 0.25);
            if (r + lg < best->cost)
                *best = (access){.rows = r, .cost = r + lg, .kind = 1, .lo = lo, .hi = hi,
                                 .lo_incl = lo_incl, .hi_incl = hi_incl};
        }
    }
    for (int x = 0; x < t->nidx; x++) {
        cat_index *ix = t->idx[x];
        if (ix->where)
            continue;
        access a = {0};
        a.kind = 2;
        a.ix = ix;
        double sel = 1;
        for (int k = 0; k < ix->ncols && k < 16; k++) {
            bx *eq = NULL;
            for (int i = 0; i < ncands && !eq; i++) {
                int col, opr;
                bx *other;
                if (sargable(f, cands[i].e, it->slot, avail, &col, &opr, &other) &&
                    col == ix->cols[k] && opr == AST_OP_EQ)
                    eq = other;
            }
            if (!eq)
                break;
            a.eq[a.neq++] = eq;
        }
        if (a.neq) {
            if (ix->stat_distinct && ix->stat_distinct[a.neq - 1])
                sel = 1.0 / (double)ix->stat_distinct[a.neq - 1];
            else if (ix->unique && a.neq == ix->ncols)
                sel = 1.0 / n;
            else
                sel = pow(0.1, a.neq);
        }
        if (a.neq < ix->ncols) {
            int col = ix->cols[a.neq];
            for (int i = 0; i < ncands; i++) {
                int c2, opr;
                bx *other;
                if (!sargable(f, cands[i].e, it->slot, avail, &c2, &opr, &other) || c2 != col)
                    continue;
                if ((opr == AST_OP_GT || opr == AST_OP_GE) && !a.lo)
                    a.lo = other, a.lo_incl = opr == AST_OP_GE;
                else if ((opr == AST_OP_LT || opr == AST_OP_LE) && !a.hi)
                    a.hi = other, a.hi_incl = opr == AST_OP_LE;
            }
            if (a.lo || a.hi)
                sel *= a.lo && a.hi ? 0.1 : 0.25;
        }
        if (!a.neq && !a.lo && !a.hi)
            continue;
        a.rows = n * sel < 1 ? 1 : n * sel;
        a.cost = a.rows * 1.5 + lg;
        if (a.cost < best->cost)
            *best = a;
    }
}

/* Conjuncts that become evaluable when item it is placed on top of avail. */
static int ready(fctx *f, const conj *cj, fitem *it, uint64_t avail_with)
{
    if (cj->used || cj->on_only)
        return 0;
    return (cj->slots & ~avail_with) == 0;
}

static bx *and_all(cc *c, bx **v, int n)
{
    bx *r = NULL;
    for (int i = 0; i < n; i++) {
        if (!r) {
            r = v[i];
            continue;
        }
        bx *a = ast_alloc(c->a, sizeof *a);
        if (!a)
            return NULL;
        a->kind = BX_AND;
        a->a = r;
        a->b = v[i];
        r = a;
    }
    return r;
}

static uint64_t item_mask(fctx *f)
{
    uint64_t m = 0;
    for (int i = 0; i < f->n; i++)
        m |= slot_bit(f, f->items[i].slot);
    return m;
}

static uint64_t items_of(fctx *f)
{
    uint64_t m = 0;
    for (int i = 0; i < f->n; i++)
        m |= slot_bit(f, f->items[i].slot);
    return m;
}

/* The type class of a column register, if it belongs to a base table item. */
static int col_class(fctx *f, const bx *b, sqlv_type *t)
{
    if (b->kind != BX_COL)
        return 0;
    for (int i = 0; i < f->n; i++)
        if (f->items[i].slot == b->slot && f->items[i].t) {
            sqlv_type ty = f->items[i].t->cols[b->col].type;
            if (ty == SQLV_NULL)
                return 0; /* untyped column: values of any class, no hashing */
            *t = ty == SQLV_REAL ? SQLV_INT : ty; /* numbers share one key encoding */
            return 1;
        }
    return 0;
}

/* Hash join for item it (read by a full scan) when some evaluable conjunct is
 * `it.col = placed.col` of one type class: the inner side keeps only the conjuncts about it
 * alone, the rest become the join's residual condition. Returns 1 with *out set, 0 when no
 * equality qualifies, or an error. With out NULL it only says whether one qualifies. */
/* Is e `it.col = expr(placed items)` with both sides of one type class (a hash join key)? */
static int hash_eq(fctx *f, fitem *it, uint64_t with, bx *e, bx **in_out, bx **outer_out,
                   sqlv_type *ti_out)
{
    uint64_t me = slot_bit(f, it->slot);
    if (e->kind != BX_CMP || e->op != AST_OP_EQ)
        return 0;
    bx *in = e->a->kind == BX_COL && e->a->slot == it->slot ? e->a
             : e->b->kind == BX_COL && e->b->slot == it->slot ? e->b : NULL;
    if (!in)
        return 0;
    bx *outer = in == e->a ? e->b : e->a;
    uint64_t os = item_slots(f, outer);
    if ((os & me) || (os & ~with) || !(os & items_of(f)))
        return 0; /* the outer side must read placed items (and not the item itself) */
    sqlv_type ti, to;
    if (!col_class(f, in, &ti))
        return 0;
    if (outer->kind == BX_COL && col_class(f, outer, &to)) {
        if (ti != to)
            return 0;
    } else if (ti != SQLV_INT) /* an expression: only against numeric columns */
        return 0;
    *in_out = in;
    *outer_out = outer;
    *ti_out = ti;
    return 1;
}

static int hash_plan(fctx *f, fitem *it, uint64_t with, op *acc, op *cur, double rows, bx **filt,
                     op **out)
{
    cc *c = f->c;
    uint64_t me = slot_bit(f, it->slot);
    if (!out) {
        /* asked only whether a hash join is possible: no allocation (the order search asks
         * this for many (item, placed) pairs) */
        bx *in, *outer;
        sqlv_type ti;
        if (!it->left_join) {
            for (int k = 0; k < f->ncj; k++)
                if (ready(f, &f->cj[k], it, with) && hash_eq(f, it, with, f->cj[k].e, &in, &outer, &ti))
                    return 1;
        } else
            for (int k = 0; k < it->non; k++)
                if (hash_eq(f, it, with, it->on[k], &in, &outer, &ti))
                    return 1;
        return 0;
    }
    bx **lk = ast_alloc(c->a, sizeof(bx *) * 16), **rk = ast_alloc(c->a, sizeof(bx *) * 16);
    if (!lk || !rk)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    int nk = 0;
    /* the candidate conjuncts: ready WHERE/ON conjuncts (or the item's ON list) */
    int ncand = 0;
    (void)filt;
    bx **cand = ast_alloc(c->a, sizeof(bx *) * (size_t)(f->ncj + it->non + 1));
    if (!cand)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    if (!it->left_join) {
        for (int k = 0; k < f->ncj; k++)
            if (ready(f, &f->cj[k], it, with))
                cand[ncand++] = f->cj[k].e;
    } else
        for (int k = 0; k < it->non; k++)
            cand[ncand++] = it->on[k];
    int numeric = 1; /* every key is numeric: outer TEXT keys are converted at probe time */
    for (int k = 0; k < ncand && nk < 16; k++) {
        bx *in, *outer;
        sqlv_type ti;
        if (!hash_eq(f, it, with, cand[k], &in, &outer, &ti))
            continue;
        if (ti != SQLV_INT)
            numeric = 0;
        rk[nk] = in;
        lk[nk++] = outer;
    }
    if (!nk)
        return 0;
    /* split: conditions on the item alone filter the build side; the rest is residual */
    bx **inner = ast_alloc(c->a, sizeof(bx *) * (size_t)(ncand + 1));
    bx **resid = ast_alloc(c->a, sizeof(bx *) * (size_t)(ncand + 1));
    if (!inner || !resid)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    int ni = 0, nr = 0;
    uint64_t items = item_mask(f);
    for (int k = 0; k < ncand; k++) {
        uint64_t sl = item_slots(f, cand[k]);
        if ((sl & items & ~me) == 0 && sl != ~0ULL)
            inner[ni++] = cand[k];
        else
            resid[nr++] = cand[k];
    }
    if (!it->left_join)
        for (int k = 0; k < f->ncj; k++)
            if (ready(f, &f->cj[k], it, with))
                f->cj[k].used = 1;
    int rc;
    if (ni) {
        op *fo = op_filter_new(c->a, acc, and_all(c, inner, ni));
        if ((rc = cc_track_op(c, fo)) < 0)
            return rc;
        fo->est_rows = acc->est_rows * pow(0.5, ni);
        fo->est_cost = acc->est_cost;
        acc = fo;
    }
    /* a base table's register also holds the hidden rowid after its columns (UPDATE and
     * DELETE read it): keep it with the row */
    op *j = op_hashjoin_new(c->a, cur, acc, it->slot, it->t ? it->ncols + 1 : it->ncols, lk, rk, nk,
                            nr ? and_all(c, resid, nr) : NULL, it->left_join, numeric);
    if ((rc = cc_track_op(c, j)) < 0)
        return rc;
    double inner_rows = acc->est_rows;
    j->est_cost = cur->est_cost + acc->est_cost + rows;
    j->est_rows = rows * (inner_rows / 10 > 1 ? inner_rows / 10 : 1);
    *out = j;
    return 1;
}

/* The access paths for joining item i next, after the items in `placed` (joined: something
 * is placed already): *a is the nested-loop access (repeated for every row so far), *al the
 * hash join's build access (the path that needs no join key, only i's own conditions), and
 * the result the hash join's one-off cost — building copies and hashes every row it reads,
 * twice a scan's work — or -1 when no equality makes a hash key. -2 when out of memory. */
static double join_access(fctx *f, int i, uint64_t placed, uint64_t all_items, int joined, access *a,
                          access *al)
{
    fitem *it = &f->items[i];
    uint64_t with = placed | slot_bit(f, it->slot);
    conj *cands = malloc(((size_t)f->ncj + (size_t)it->non + 1) * sizeof *cands);
    if (!cands)
        return -2;
    int nc = 0;
    if (!it->left_join)
        for (int k = 0; k < f->ncj; k++)
            if (ready(f, &f->cj[k], it, with))
                cands[nc++] = f->cj[k];
    for (int k = 0; k < it->non; k++)
        cands[nc++] = (conj){it->on[k], item_slots(f, it->on[k]), 0, 1};
    choose_access(f, it, placed, cands, nc, a);
    double hb = -1;
    memset(al, 0, sizeof *al);
    if (joined && it->t && !it->full && hash_plan(f, it, with, NULL, NULL, 0, NULL, NULL) == 1) {
        uint64_t own = ~all_items | slot_bit(f, it->slot);
        int na = 0;
        for (int k = 0; k < nc; k++)
            if ((cands[k].slots & ~own) == 0)
                cands[na++] = cands[k];
        choose_access(f, it, ~all_items, cands, na, al);
        hb = 2 * al->cost;
    }
    free(cands);
    return hb;
}

/* The cost of joining item i next with `rows` rows so far: a nested loop repeats *a for every
 * row, a hash join reads *al once and probes once per row; *hash says which is cheaper.
 * -1 when out of memory. plan_joinorder.c's jo_step_cost does the same arithmetic. */
static double join_cost(fctx *f, int i, uint64_t placed, uint64_t all_items, double rows,
                        int joined, access *a, access *al, int *hash)
{
    double hb = join_access(f, i, placed, all_items, joined, a, al);
    if (hb < -1.5)
        return -1;
    double eff = a->cost * rows;
    *hash = 0;
    if (hb >= 0) {
        double h = hb + rows;
        if (h < eff) {
            eff = h;
            *hash = 1;
        }
    }
    return eff;
}

/* The order search's view of item i after the items `placed` (bits over item positions):
 * the costs of join_access and the factors by which the operators built for each path
 * (filters of the conjuncts that become evaluable, the hash join's estimate) multiply the
 * rows so far — the same expressions as in cc_from below. A conjunct counts as already applied
 * when every item it reads was placed before (constants: once something is placed). */
static int order_params(void *ctx, int i, uint64_t placed_items, jo_params *p)
{
    fctx *f = ctx;
    uint64_t all_items = item_mask(f);
    uint64_t placed = ~all_items | placed_items;
    int joined = placed_items != 0;
    fitem *it = &f->items[i];
    uint64_t me = slot_bit(f, it->slot), with = placed | me;
    access a, al;
    double hb = join_access(f, i, placed, all_items, joined, &a, &al);
    if (hb < -1.5)
        return nq_err_set(f->c->e, NQ_ENOMEM, "out of memory");
    int nf = 0, ni = 0;
    for (int k = 0; k < f->ncj; k++) {
        conj *cj = &f->cj[k];
        if (cj->on_only || (cj->slots & ~with) || (joined && (cj->slots & ~placed) == 0))
            continue;
        nf++;
        if ((cj->slots & all_items & ~me) == 0 && cj->slots != ~0ULL)
            ni++;
    }
    p->nl_cost = a.cost;
    p->hash_build = hb;
    p->nl_scan = a.kind == 0;
    p->look_rows = a.rows > 1 ? a.rows : 1;
    if (nf) {
        int bounds = a.neq + (a.lo != NULL) + (a.hi != NULL && a.hi != a.lo);
        double r = a.rows * pow(0.5, nf > bounds ? nf - bounds : 0);
        p->nl_rows = r < 1 ? 1 : r;
    } else
        p->nl_rows = a.rows;
    double in_al = ni ? al.rows * pow(0.5, ni) : al.rows, in_a = ni ? a.rows * pow(0.5, ni) : a.rows;
    p->hash_rows = in_al / 10 > 1 ? in_al / 10 : 1;
    p->scan_hash_rows = in_a / 10 > 1 ? in_a / 10 : 1;
    return 0;
}

/* A pass-through plan node above the joins that says how their order was chosen (EXPLAIN). */
typedef struct jo_op {
    op base;
    char *text;
} jo_op;

static int jo_op_open(op *o, xenv *x, nq_err *e) { return op_open(o->child[0], x, e); }
static int jo_op_next(op *o, xenv *x, nq_err *e) { return op_next(o->child[0], x, e); }
static void jo_op_close(op *o, xenv *x) { op_close(o->child[0], x); }
static void jo_op_describe(const op *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", ((const jo_op *)o)->text);
}
static const op_vt jo_op_vt = {"join_order", jo_op_open, jo_op_next, jo_op_close, NULL, jo_op_describe};

static op *jo_note_new(cc *c, op *child, const char *buf)
{
    jo_op *s = ast_alloc(c->a, sizeof *s);
    char *t = ast_alloc(c->a, strlen(buf) + 1);
    if (!s || !t)
        return NULL;
    memcpy(t, buf, strlen(buf) + 1);
    s->base.vt = &jo_op_vt;
    s->base.out_slot = child->out_slot;
    s->base.ncols = child->ncols;
    s->base.child[0] = child;
    s->base.nchild = 1;
    s->base.est_rows = child->est_rows;
    s->base.est_cost = child->est_cost;
    s->text = t;
    return &s->base;
}

/* The JOIN ORDER line; when greedy was not chosen it ends with the greedy's order (by the
 * names the FROM gives the items), so that its plan can be written out and compared. drift:
 * the first join whose operators estimate other rows than the search's model (0: none; the
 * tests check that it never shows). */
static op *jo_op_new(fctx *f, op *child, const jo_choice *ch, int drift)
{
    char buf[1024];
    jo_describe(ch, buf, sizeof buf);
    size_t k = strlen(buf);
    if (drift) /* order_params and the construction below disagree: a planner bug, said plainly */
        k += (size_t)snprintf(buf + k, sizeof buf - k,
                              "; PLANNER BUG: the search's row estimate differs from the plan's at join %d",
                              drift);
    if (ch->method != JO_GREEDY && k < sizeof buf) {
        k += (size_t)snprintf(buf + k, sizeof buf - k, "; greedy order:");
        for (int i = 0; i < ch->n && k < sizeof buf; i++) {
            const char *name = "?";
            for (int s = 0; s < f->sc->n; s++)
                if (f->sc->srcs[s].slot == f->items[ch->greedy_order[i]].slot && f->sc->srcs[s].name)
                    name = f->sc->srcs[s].name;
            k += (size_t)snprintf(buf + k, sizeof buf - k, " %s", name);
        }
    }
    return jo_note_new(f->c, child, buf);
}

/* The operator reading base table item it through access path a. */
static op *make_access(cc *c, fitem *it, const access *a)
{
    if (a->kind == 1)
        return op_scan_new(c->a, it->t, it->slot, a->lo, a->lo_incl, a->hi, a->hi_incl);
    if (a->kind == 2) {
        bx **eq = ast_alloc(c->a, sizeof(bx *) * (size_t)(a->neq + 1));
        if (!eq)
            return NULL;
        memcpy(eq, a->eq, sizeof(bx *) * (size_t)a->neq);
        return op_iscan_new(c->a, a->ix, it->slot, eq, a->neq, a->lo, a->lo_incl, a->hi, a->hi_incl, 0);
    }
    return op_scan_new(c->a, it->t, it->slot, NULL, 0, NULL, 0);
}

int cc_from(cc *c, cc_scope *sc, const ast_from *from, const ast_expr *where, op **out)
{
    fctx f = {0};
    f.c = c;
    f.sc = sc;
    int rc = 0, first, count;
    if (from)
        rc = flatten(&f, from, &first, &count);
    if (rc >= 0 && where) {
        bx *w;
        sc->no_agg = 1;
        sc->no_agg_what = "aggregate functions are not allowed in WHERE";
        rc = cc_expr(c, sc, where, &w);
        sc->no_agg = 0;
        if (rc >= 0)
            rc = add_conj(&f, w, 0);
    }
    if (rc < 0)
        goto done;
    uint64_t all_items = item_mask(&f);
    uint64_t placed = ~all_items; /* everything that is not one of our items counts as bound */
    op *cur = NULL;
    double rows = 1;
    bx **filt = calloc((size_t)f.ncj + 16, sizeof *filt);
    if (!filt) {
        rc = nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    if (!from) {
        cur = op_one_new(c->a);
        if ((rc = cc_track_op(c, cur)) < 0)
            goto done_filt;
        cur->est_rows = 1;
    }
    /* the order: written (outer joins), or searched over the cost model (plan_joinorder.c) */
    int *order = f.order;
    jo_choice ch;
    int searched = 0, drift = 0;
    double *model_rows = NULL;
    const char *fixed_note = NULL;
    if (f.has_outer || f.n < 2 || f.n > JO_MAX_ITEMS || f.norder != f.n) {
        if (f.quantum)
            fixed_note = f.has_outer ? "JOIN ORDER written: QUANTUM_JOIN has no effect here, the outer joins of this FROM fix the order"
                                     : "JOIN ORDER written: QUANTUM_JOIN has no effect here, the FROM has more than 64 items";
    } else {
        jo_model m;
        if ((rc = jo_model_init(&m, f.n, order_params, &f, c->e)) < 0)
            goto done_filt;
        rc = jo_choose(&m, f.quantum, f.order, &ch);
        /* the rows the model expects after each join of the chosen order, to check below that
         * the operators estimate the same (the search's costs are the plan's only if so) */
        if (rc == 0 && !isnan(jo_order_cost(&m, f.order))) {
            model_rows = ast_alloc(c->a, sizeof(double) * (size_t)(f.n + 1));
            if (model_rows)
                memcpy(model_rows, m.pre_rows, sizeof(double) * (size_t)(f.n + 1));
        }
        jo_model_free(&m);
        if (rc < 0)
            goto done_filt;
        searched = f.quantum || ch.method != JO_GREEDY || ch.dp_cost >= 0 || ch.anneal_cost >= 0;
    }
    for (int step = 0; step < f.n; step++) {
        /* the item, and its access path(s) at this point of the order */
        int pick = order[step], use_hash = 0;
        access best = {0}, alone = {0};
        if (join_cost(&f, pick, placed, all_items, rows, cur != NULL, &best, &alone, &use_hash) < 0) {
            rc = nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            goto done_filt;
        }
        fitem *it = &f.items[pick];
        it->placed = 1;
        uint64_t with = placed | slot_bit(&f, it->slot);
        /* the access operator */
        op *acc;
        if (it->full) {
            /* FULL JOIN: read the right side once, remember which rows matched */
            op *in = it->t ? op_scan_new(c->a, it->t, it->slot, NULL, 0, NULL, 0) : it->plan;
            if (it->t && (rc = cc_track_op(c, in)) < 0)
                goto done_filt;
            acc = op_material_new(c->a, in, it->slot, it->ncols);
        } else if (it->t) {
            if (use_hash)
                best = alone;
            acc = make_access(c, it, &best);
        } else {
            acc = it->plan;
            if (cur) { /* re-read for every outer row: compute once */
                acc = op_material_new(c->a, it->plan, it->slot, it->ncols);
                if (acc)
                    acc->est_rows = it->plan->est_rows;
            }
        }
        if ((rc = cc_track_op(c, acc)) < 0)
            goto done_filt;
        acc->est_rows = best.rows;
        acc->est_cost = best.cost;
        if (cur && it->t && !it->full && (use_hash || best.kind == 0)) {
            op *hj = NULL;
            int hr = hash_plan(&f, it, with, acc, cur, rows, filt, &hj);
            if (hr < 0) {
                rc = hr;
                goto done_filt;
            }
            if (hr == 1) {
                cur = hj;
                rows = hj->est_rows;
                placed = with;
                goto after_join;
            }
        }
        /* filters that are now evaluable (the ones used for bounds too: see exec_scan.c) */
        int nf = 0;
        if (it->full) {
            /* the ON condition decides matches inside the join, never filters an input */
        } else if (!it->left_join) {
            for (int k = 0; k < f.ncj; k++)
                if (ready(&f, &f.cj[k], it, with)) {
                    filt[nf++] = f.cj[k].e;
                    f.cj[k].used = 1;
                }
        } else
            for (int k = 0; k < it->non && nf < f.ncj + 16; k++)
                filt[nf++] = it->on[k];
        if (nf) {
            bx *cond = and_all(c, filt, nf);
            op *fo = cond ? op_filter_new(c->a, acc, cond) : NULL;
            if ((rc = cc_track_op(c, fo)) < 0)
                goto done_filt;
            int bounds = best.neq + (best.lo != NULL) + (best.hi != NULL && best.hi != best.lo);
            fo->est_rows = acc->est_rows * pow(0.5, nf > bounds ? nf - bounds : 0);
            fo->est_cost = acc->est_cost;
            if (fo->est_rows < 1)
                fo->est_rows = 1;
            acc = fo;
        }
        if (!cur) {
            cur = acc;
            rows = acc->est_rows;
        } else {
            int *ns = NULL, *nw = NULL;
            if (it->left_join) {
                ns = ast_alloc(c->a, sizeof(int));
                nw = ast_alloc(c->a, sizeof(int));
                if (!ns || !nw) {
                    rc = nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                    goto done_filt;
                }
                *ns = it->slot;
                *nw = it->ncols;
            }
            op *j = it->full ? op_join_full_new(c->a, cur, acc, and_all(c, it->on, it->non), 1, 1, ns, nw, 1,
                                                it->lslots, it->lwidths, it->nl)
                             : op_join_new(c->a, cur, acc, NULL, it->left_join, ns, nw, it->left_join ? 1 : 0);
            if ((rc = cc_track_op(c, j)) < 0)
                goto done_filt;
            j->est_cost = cur->est_cost + rows * acc->est_cost;
            rows *= acc->est_rows;
            j->est_rows = rows;
            cur = j;
        }
        placed = with;
    after_join:
        if (model_rows && !drift && rows != model_rows[step + 1])
            drift = step + 1;
        /* after an outer join: the WHERE conjuncts that now can run go above it */
        if (it->left_join || f.has_outer) {
            int nw = 0;
            for (int k = 0; k < f.ncj; k++)
                if (ready(&f, &f.cj[k], NULL, placed)) {
                    filt[nw++] = f.cj[k].e;
                    f.cj[k].used = 1;
                }
            if (nw) {
                op *fo = op_filter_new(c->a, cur, and_all(c, filt, nw));
                if ((rc = cc_track_op(c, fo)) < 0)
                    goto done_filt;
                fo->est_rows = cur->est_rows * 0.5;
                cur = fo;
            }
        }
    }
    /* whatever is left (subqueries, constants without FROM) goes on top */
    {
        int nf = 0;
        for (int k = 0; k < f.ncj; k++)
            if (!f.cj[k].used && !f.cj[k].on_only)
                filt[nf++] = f.cj[k].e;
        if (nf) {
            op *fo = op_filter_new(c->a, cur, and_all(c, filt, nf));
            if ((rc = cc_track_op(c, fo)) < 0)
                goto done_filt;
            fo->est_rows = cur->est_rows * 0.5;
            fo->est_cost = cur->est_cost;
            cur = fo;
        }
    }
    if (searched || fixed_note) {
        op *jo = searched ? jo_op_new(&f, cur, &ch, drift) : jo_note_new(c, cur, fixed_note);
        if ((rc = cc_track_op(c, jo)) < 0)
            goto done_filt;
        cur = jo;
    }
    *out = cur;
done_filt:
    free(filt);
done:
    free(f.items);
    free(f.cj);
    free(f.order);
    return rc < 0 ? rc : 0;
}
