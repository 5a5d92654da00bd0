/*
 * compile_select.c — query blocks: SELECT cores, VALUES, compounds, WITH, ORDER BY, LIMIT.
 *
 * A SELECT core becomes, bottom up: the join plan of FROM/WHERE (compile_from.c), then for an
 * aggregating query the aggregate operator and a HAVING filter, then one projection that
 * computes the select list plus any ORDER BY expression that is not already an output column
 * (a "hidden" column), then DISTINCT over the visible columns, the sort, and LIMIT/OFFSET.
 * Sorting after projection means ORDER BY can name output aliases and positions, and the sort
 * copies finished rows instead of whole join registers.
 *
 * ORDER BY resolution follows SQL and PostgreSQL: an integer literal is an output position; a
 * bare name that is an output column's name is that column; anything else is an expression
 * over the FROM items. GROUP BY accepts positions and output aliases too (SQLite and
 * PostgreSQL both do). Default NULL placement is PostgreSQL's: NULLs are larger than every
 * value, so they come last ascending and first descending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/compile.h"
#include "sql/neuromatch_plan.h"
#include "sql/window.h"

typedef struct sel_item {
    const ast_expr *e;     /* NULL when it is a star expansion column */
    const char *name;
    int slot, col;         /* star expansion: the source column */
    bx *bound;             /* star expansion of a RIGHT/FULL USING column: its expression */
} sel_item;

static int expand_select(cc *c, cc_scope *sc, const ast_select *q, sel_item **out, int *n)
{
    int cap = q->cols.n + 8, k = 0;
    sel_item *v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < q->cols.n; i++) {
        ast_result_col *rc = q->cols.v[i];
        if (rc->e->kind == AST_E_STAR) {
            int any = 0;
            for (int s = 0; s < sc->n; s++) {
                cc_src *src = &sc->srcs[s];
                if (rc->e->table && strcasecmp(src->name ? src->name : "", rc->e->table))
                    continue;
                any = 1;
                for (int j = 0; j < src->ncols; j++) {
                    if (!rc->e->table && src->merged && src->merged[j])
                        continue;
                    if (k == cap) {
                        cap *= 2;
                        sel_item *nv = realloc(v, (size_t)cap * sizeof *nv);
                        if (!nv) {
                            free(v);
                            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                        }
                        v = nv;
                    }
                    bx *ub = NULL;
                    for (int u = 0; u < sc->nusings && !rc->e->table; u++)
                        if (sc->usings[u].lslot == src->slot && sc->usings[u].lcol == j)
                            ub = sc->usings[u].e;
                    v[k++] = (sel_item){NULL, src->cols[j], src->slot, j, ub};
                }
            }
            if (!any) {
                free(v);
                if (rc->e->table)
                    return cc_fail(c, NQ_ESCHEMA, rc->e, "no such table: %s", rc->e->table);
                return cc_fail(c, NQ_ESCHEMA, rc->e, "SELECT * with no tables specified is not valid");
            }
            continue;
        }
        if (k == cap) {
            cap *= 2;
            sel_item *nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) {
                free(v);
                return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            }
            v = nv;
        }
        const char *name = rc->alias;
        if (!name)
            name = rc->e->kind == AST_E_COLUMN ? rc->e->name : ast_expr_to_sql(c->a, rc->e);
        v[k++] = (sel_item){rc->e, name, -1, -1, NULL};
    }
    *out = v;
    *n = k;
    return 0;
}

static int is_int_literal(const ast_expr *e, int64_t *k)
{
    if (e->kind == AST_E_INT) {
        *k = e->ival;
        return 1;
    }
    return 0;
}

/* An ORDER BY term that names an output column: its position (1-based integer literal) or an
 * output column's name. *col = -1 when it is neither (then it is an expression). */
static int order_output_col(cc *c, const ast_order *o, const char **names, int ncols, int *col)
{
    int64_t pos;
    *col = -1;
    if (is_int_literal(o->e, &pos)) {
        if (pos < 1 || pos > ncols)
            return cc_fail(c, NQ_ESCHEMA, o->e, "ORDER BY position %lld is not in select list", (long long)pos);
        *col = (int)pos - 1;
    } else if (o->e->kind == AST_E_COLUMN && !o->e->table) {
        for (int j = 0; j < ncols && *col < 0; j++)
            if (names[j] && !strcasecmp(names[j], o->e->name))
                *col = j;
    }
    return 0;
}

/* Direction and NULL placement (PostgreSQL's default: NULLs last ascending, first descending). */
static void sort_key_set(sort_key *k, const ast_order *o, int col)
{
    k->col = col;
    k->desc = o->dir == AST_DIR_DESC;
    k->nulls_first = o->nulls == AST_NULLS_NONE ? k->desc : o->nulls == AST_NULLS_FIRST;
}

/* ORDER BY over the output row only (compounds, VALUES): position or output name. */
static int order_by_output(cc *c, const ast_list *ob, const char **names, int ncols, sort_key **keys)
{
    sort_key *k = ast_alloc(c->a, sizeof *k * (size_t)(ob->n + 1));
    if (!k)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < ob->n; i++) {
        ast_order *o = ob->v[i];
        int col, rc = order_output_col(c, o, names, ncols, &col);
        if (rc < 0)
            return rc;
        if (col < 0)
            return cc_fail(c, NQ_ESCHEMA, o->e,
                           "ORDER BY term of a compound or VALUES query must be an output column name or position");
        sort_key_set(&k[i], o, col);
    }
    *keys = k;
    return 0;
}

static int finish(cc *c, const ast_select *q, op **plan, int slot, int ncols, const sort_key *keys,
                  int nkeys, int rowwidth)
{
    int rc;
    if (nkeys) {
        op *s = op_sort_new(c->a, *plan, slot, rowwidth, keys, nkeys);
        if ((rc = cc_track_op(c, s)) < 0)
            return rc;
        s->est_rows = (*plan)->est_rows;
        s->est_cost = (*plan)->est_cost + (*plan)->est_rows;
        *plan = s;
    }
    if (q->limit || q->offset) {
        bx *l = NULL, *o = NULL;
        if (q->limit && (rc = cc_expr(c, NULL, q->limit, &l)) < 0)
            return rc;
        if (q->offset && (rc = cc_expr(c, NULL, q->offset, &o)) < 0)
            return rc;
        op *lo = op_limit_new(c->a, *plan, l, o);
        if ((rc = cc_track_op(c, lo)) < 0)
            return rc;
        lo->est_rows = (*plan)->est_rows;
        lo->est_cost = (*plan)->est_cost;
        *plan = lo;
    }
    return 0;
}

static int compile_core(cc *c, cc_scope *parent, const ast_select *q, const ast_with *with,
                        cc_query *out)
{
    cc_scope *sc = ast_alloc(c->a, sizeof *sc);
    if (!sc)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    sc->parent = parent;
    sc->first_slot = c->nslots;
    sc->with = with ? with : (parent ? parent->with : NULL);
    op *plan;
    int rc = q->quantum_grover ? cc_grover_from(c, sc, q, &plan)
                               : cc_from(c, sc, q->from, q->where, &plan);
    if (rc < 0)
        return rc;
    nm_clause nm = {0}; /* the NEUROMATCH clause: scores, filters, ranks (neuromatch_compile.c) */
    if (q->neuromatch && (rc = cc_neuromatch_clause(c, sc, q, &plan, &nm)) < 0)
        return rc;
    sel_item *items = NULL;
    int nitems = 0;
    if ((rc = expand_select(c, sc, q, &items, &nitems)) < 0)
        return rc;
    int grouped = q->group_by.n > 0 || q->having != NULL;
    for (int i = 0; i < nitems && !grouped; i++)
        if (items[i].e && cc_has_agg(items[i].e))
            grouped = 1;
    for (int i = 0; i < q->order_by.n && !grouped; i++)
        if (cc_has_agg(((ast_order *)q->order_by.v[i])->e))
            grouped = 1;

    cc_scope *ps = sc; /* the scope the select list binds in */
    cc_agg *ag = NULL;
    if (grouped) {
        ag = ast_alloc(c->a, sizeof *ag);
        ps = ast_alloc(c->a, sizeof *ps);
        if (!ag || !ps) {
            free(items);
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        }
        ag->slot = cc_new_slot(c, 0);
        ag->from = sc;
        ag->ngroups = q->group_by.n;
        if (ag->ngroups && !(ag->groups = ast_alloc(c->a, sizeof(bx *) * (size_t)ag->ngroups))) {
            free(items);
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        }
        sc->no_agg = 1;
        sc->no_agg_what = "aggregate functions are not allowed in GROUP BY";
        for (int i = 0; i < ag->ngroups && rc == 0; i++) {
            const ast_expr *g = q->group_by.v[i];
            int64_t pos;
            if (is_int_literal(g, &pos)) {
                if (pos < 1 || pos > nitems) {
                    free(items);
                    return cc_fail(c, NQ_ESCHEMA, g, "GROUP BY position %lld is not in select list", (long long)pos);
                }
                if (!items[pos - 1].e) {
                    bx *b = ast_alloc(c->a, sizeof *b);
                    if (!b) {
                        free(items);
                        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                    }
                    b->kind = BX_COL;
                    b->slot = items[pos - 1].slot;
                    b->col = items[pos - 1].col;
                    ag->groups[i] = b;
                    continue;
                }
                g = items[pos - 1].e;
            } else if (g->kind == AST_E_COLUMN && !g->table) {
                /* an output alias, unless a FROM column has that name */
                int slot_unused = 0;
                for (int s = 0; s < sc->n && !slot_unused; s++)
                    for (int j = 0; j < sc->srcs[s].ncols; j++)
                        if (!strcasecmp(sc->srcs[s].cols[j], g->name))
                            slot_unused = 1;
                if (!slot_unused)
                    for (int j = 0; j < nitems; j++)
                        if (items[j].e && items[j].name && !strcasecmp(items[j].name, g->name) &&
                            items[j].e != g) {
                            g = items[j].e;
                            break;
                        }
            }
            rc = cc_expr(c, sc, g, &ag->groups[i]);
        }
        sc->no_agg = 0;
        if (rc < 0) {
            free(items);
            return rc;
        }
        *ps = *sc;
        ps->agg = ag;
    }

    /* window calls: each becomes a column of the window operator's slot */
    cc_win *win = NULL;
    int has_win = 0;
    for (int i = 0; i < nitems && !has_win; i++)
        if (items[i].e && cc_has_window(items[i].e))
            has_win = 1;
    for (int i = 0; i < q->order_by.n && !has_win; i++)
        if (cc_has_window(((ast_order *)q->order_by.v[i])->e))
            has_win = 1;
    if (has_win) {
        if (!(win = ast_alloc(c->a, sizeof *win))) {
            free(items);
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        }
        win->slot = cc_new_slot(c, 0);
        win->named = &q->windows;
        ps->win = win;
    }

    /* the select list */
    int nvis = nitems;
    int cap = nitems + q->order_by.n + 4;
    bx **exprs = ast_alloc(c->a, sizeof(bx *) * (size_t)cap);
    const char **names = ast_alloc(c->a, sizeof(char *) * (size_t)cap);
    if (!exprs || !names) {
        free(items);
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    }
    for (int i = 0; i < nitems && rc == 0; i++) {
        names[i] = items[i].name;
        if (items[i].e)
            rc = cc_expr(c, ps, items[i].e, &exprs[i]);
        else {
            bx *b = items[i].bound ? items[i].bound : ast_alloc(c->a, sizeof *b);
            if (!b)
                rc = nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            else {
                if (!items[i].bound) {
                    b->kind = BX_COL;
                    b->slot = items[i].slot;
                    b->col = items[i].col;
                }
                exprs[i] = b;
                if (grouped) {
                    /* a star column in an aggregating query must be a GROUP BY column */
                    int ok = 0;
                    for (int k = 0; k < ag->ngroups && !ok; k++)
                        if (bx_equal(b, ag->groups[k])) {
                            bx *r = ast_alloc(c->a, sizeof *r);
                            if (!r) {
                                rc = nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                                break;
                            }
                            r->kind = BX_COL;
                            r->slot = ag->slot;
                            r->col = k;
                            exprs[i] = r;
                            ok = 1;
                        }
                    if (!ok && rc == 0)
                        rc = cc_fail(c, NQ_ESCHEMA, NULL,
                                     "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function",
                                     items[i].name);
                }
            }
        }
    }
    free(items);
    if (rc < 0)
        return rc;
    bx *having = NULL;
    if (q->having && (rc = cc_expr(c, ps, q->having, &having)) < 0)
        return rc;

    /* ORDER BY */
    int nexprs = nvis;
    sort_key *keys = NULL;
    if (q->order_by.n && !(keys = ast_alloc(c->a, sizeof *keys * (size_t)q->order_by.n)))
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < q->order_by.n; i++) {
        ast_order *o = q->order_by.v[i];
        int col;
        if ((rc = order_output_col(c, o, names, nvis, &col)) < 0)
            return rc;
        if (col < 0) {
            bx *b;
            if ((rc = cc_expr(c, ps, o->e, &b)) < 0)
                return rc;
            for (int j = 0; j < nexprs && col < 0; j++)
                if (bx_equal(b, exprs[j]))
                    col = j;
            if (col < 0) {
                if (q->distinct == 1)
                    return cc_fail(c, NQ_ESCHEMA, o->e, "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
                exprs[nexprs] = b;
                names[nexprs] = NULL;
                col = nexprs++;
            }
        }
        sort_key_set(&keys[i], o, col);
    }
    int nkeys = q->order_by.n;
    if ((rc = cc_neuromatch_finish(c, &nm, grouped, q->distinct == 1, exprs, names, &nexprs, &keys, &nkeys)) < 0)
        return rc;

    if (grouped) {
        c->slot_width[ag->slot] = ag->ngroups + ag->naggs;
        op *a = op_agg_new(c->a, plan, ag->slot, ag->groups, ag->ngroups, ag->aggs, ag->naggs);
        if (!a && ag->ngroups > 64)
            return nq_err_set(c->e, NQ_ETOOBIG, "too many GROUP BY expressions (at most 64)");
        if ((rc = cc_track_op(c, a)) < 0)
            return rc;
        a->est_rows = ag->ngroups ? (plan->est_rows > 10 ? plan->est_rows / 10 : 1) : 1;
        a->est_cost = plan->est_cost + plan->est_rows;
        plan = a;
        if (having) {
            op *f = op_filter_new(c->a, plan, having);
            if ((rc = cc_track_op(c, f)) < 0)
                return rc;
            f->est_rows = plan->est_rows / 2 > 1 ? plan->est_rows / 2 : 1;
            f->est_cost = plan->est_cost;
            plan = f;
        }
    }
    if (win) {
        ps->win = NULL;
        c->slot_width[win->slot] = win->n;
        /* the rows' registers: the FROM items, and the aggregate's output */
        int *wslots = ast_alloc(c->a, sizeof(int) * (size_t)(sc->n + 2));
        int *wwidths = ast_alloc(c->a, sizeof(int) * (size_t)(sc->n + 2));
        if (!wslots || !wwidths)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        int nws = 0;
        /* after GROUP BY only the aggregate's row is live (its input scans are closed) */
        for (int i = 0; i < sc->n && !grouped; i++) {
            wslots[nws] = sc->srcs[i].slot;
            wwidths[nws++] = c->slot_width[sc->srcs[i].slot];
        }
        if (grouped) {
            wslots[nws] = ag->slot;
            wwidths[nws++] = c->slot_width[ag->slot];
        }
        op *w = op_window_new(c->a, plan, win->slot, win->w, win->n, wslots, wwidths, nws);
        if ((rc = cc_track_op(c, w)) < 0)
            return rc;
        w->est_rows = plan->est_rows;
        w->est_cost = plan->est_cost + plan->est_rows;
        plan = w;
    }
    int pslot = cc_new_slot(c, nexprs);
    if (pslot < 0)
        return pslot;
    op *p = op_project_new(c->a, plan, pslot, exprs, nexprs);
    if ((rc = cc_track_op(c, p)) < 0)
        return rc;
    p->est_rows = plan->est_rows;
    p->est_cost = plan->est_cost;
    plan = p;
    if (q->distinct == 1) {
        op *d = op_distinct_new(c->a, plan, pslot, nvis);
        if ((rc = cc_track_op(c, d)) < 0)
            return rc;
        d->est_rows = plan->est_rows;
        d->est_cost = plan->est_cost;
        d->ncols = nvis;
        plan = d;
    }
    if ((rc = finish(c, q, &plan, pslot, nvis, keys, nkeys, nexprs)) < 0)
        return rc;
    out->plan = plan;
    out->slot = pslot;
    out->ncols = nvis;
    out->names = names;
    return 0;
}

static int compile_values(cc *c, cc_scope *parent, const ast_select *q, cc_query *out)
{
    int nrows = q->rows.n;
    int ncols = nrows ? ((ast_list *)q->rows.v[0])->n : 0;
    bx ***rows = ast_alloc(c->a, sizeof(bx **) * (size_t)(nrows + 1));
    if (!rows)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int r = 0; r < nrows; r++) {
        ast_list *l = q->rows.v[r];
        if (l->n != ncols)
            return nq_err_set(c->e, NQ_ESCHEMA, "VALUES lists must all be the same length");
        rows[r] = ast_alloc(c->a, sizeof(bx *) * (size_t)(ncols + 1));
        if (!rows[r])
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        for (int i = 0; i < ncols; i++) {
            int rc = cc_expr(c, parent, l->v[i], &rows[r][i]);
            if (rc < 0)
                return rc;
        }
    }
    int slot = cc_new_slot(c, ncols);
    if (slot < 0)
        return slot;
    op *v = op_values_new(c->a, slot, ncols, rows, nrows);
    int rc = cc_track_op(c, v);
    if (rc < 0)
        return rc;
    const char **names = ast_alloc(c->a, sizeof(char *) * (size_t)(ncols + 1));
    if (!names)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < ncols; i++) {
        char buf[24];
        snprintf(buf, sizeof buf, "column%d", i + 1);
        names[i] = ast_strndup(c->a, buf, strlen(buf));
    }
    out->plan = v;
    out->slot = slot;
    out->ncols = ncols;
    out->names = names;
    return 0;
}

static int compile_any(cc *c, cc_scope *parent, const ast_select *q, const ast_with *with, cc_query *out);

static int compile_compound(cc *c, cc_scope *parent, const ast_select *q, const ast_with *with,
                            cc_query *out)
{
    cc_query l, r;
    int rc = compile_any(c, parent, q->left, with, &l);
    if (rc < 0)
        return rc;
    if ((rc = compile_any(c, parent, q->right, with, &r)) < 0)
        return rc;
    if (l.ncols != r.ncols)
        return nq_err_set(c->e, NQ_ESCHEMA, "each %s query must have the same number of columns",
                          q->op <= AST_UNION_ALL ? "UNION" : q->op <= AST_INTERSECT_ALL ? "INTERSECT" : "EXCEPT");
    static const int kinds[] = {SETOP_UNION, SETOP_UNION_ALL, SETOP_INTERSECT, SETOP_INTERSECT_ALL,
                                SETOP_EXCEPT, SETOP_EXCEPT_ALL};
    int slot = cc_new_slot(c, l.ncols);
    if (slot < 0)
        return slot;
    op *s = op_setop_new(c->a, l.plan, l.slot, r.plan, r.slot, slot, l.ncols, kinds[q->op]);
    if ((rc = cc_track_op(c, s)) < 0)
        return rc;
    s->est_rows = l.plan->est_rows + r.plan->est_rows;
    s->est_cost = l.plan->est_cost + r.plan->est_cost;
    out->plan = s;
    out->slot = slot;
    out->ncols = l.ncols;
    out->names = l.names;
    return 0;
}

static int compile_any(cc *c, cc_scope *parent, const ast_select *q, const ast_with *with, cc_query *out)
{
    const ast_with *w = q->with ? q->with : with;
    cc_scope *wsc = NULL;
    if (q->with) {
        /* a scope that only carries the WITH list, so nested blocks find the CTEs */
        wsc = ast_alloc(c->a, sizeof *wsc);
        if (!wsc)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        wsc->parent = parent;
        wsc->first_slot = c->nslots;
        wsc->with = q->with;
        parent = wsc;
    }
    int rc;
    if (q->kind == AST_SEL_CORE) {
        rc = compile_core(c, parent, q, w, out);
        if (wsc && wsc->correlated && wsc->parent)
            wsc->parent->correlated = 1;
        return rc;
    }
    if (q->kind == AST_SEL_VALUES)
        rc = compile_values(c, parent, q, out);
    else
        rc = compile_compound(c, parent, q, w, out);
    if (wsc && wsc->correlated && wsc->parent)
        wsc->parent->correlated = 1;
    if (rc < 0)
        return rc;
    if (q->order_by.n || q->limit || q->offset) {
        sort_key *keys = NULL;
        if (q->order_by.n && (rc = order_by_output(c, &q->order_by, out->names, out->ncols, &keys)) < 0)
            return rc;
        if ((rc = finish(c, q, &out->plan, out->slot, out->ncols, keys, q->order_by.n, out->ncols)) < 0)
            return rc;
    }
    return 0;
}

int cc_query_compile(cc *c, cc_scope *parent, const ast_select *q, cc_query *out)
{
    return compile_any(c, parent, q, NULL, out);
}
