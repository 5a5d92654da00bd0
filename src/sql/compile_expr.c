/*
 * compile_expr.c — binding expressions: names to registers, calls to functions, aggregates
 * to the aggregate operator's output.
 *
 * Name resolution walks the scope chain outward (compile.h); a name found in an enclosing
 * query's scope marks every scope in between as correlated, which tells the subquery
 * machinery (eval.c) to re-run instead of caching. An unqualified name that two FROM items
 * both have is ambiguous (an error), unless USING/NATURAL merged them.
 *
 * Aggregation. After GROUP BY, an expression is either an aggregate call (its arguments bind
 * in the FROM scope; the call becomes a reference to the aggregate's output column), or equal
 * to a GROUP BY expression (compared after binding, so `a` and `t.a` match), or built from
 * such pieces; a bare column that is neither is PostgreSQL's error "column must appear in the
 * GROUP BY clause or be used in an aggregate function".
 *
 * A lone "double-quoted" name that resolves to no column is read as a string literal, which is
 * what SQLite does and what the upstream corpus (`WHERE name = "Alice"`) relies on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/compile.h"
#include "sql/window.h"

int cc_fail(cc *c, int code, const ast_expr *at, const char *fmt, ...)
{
    char msg[NQ_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at && at->line) {
        c->eline = at->line;
        c->ecol = at->col;
        return nq_err_set(c->e, code, "%s at line %u, column %u", msg, at->line, at->col);
    }
    return nq_err_set(c->e, code, "%s", msg);
}

int cc_new_slot(cc *c, int width)
{
    if (c->nslots == c->capslots) {
        int nc = c->capslots ? c->capslots * 2 : 16;
        int *nw = realloc(c->slot_width, (size_t)nc * sizeof *nw);
        if (!nw)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        c->slot_width = nw;
        c->capslots = nc;
    }
    c->slot_width[c->nslots] = width;
    return c->nslots++;
}

int cc_track_op(cc *c, op *o)
{
    if (!o)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    if (c->nops == c->capops) {
        int nc = c->capops ? c->capops * 2 : 16;
        op **n = realloc(c->ops, (size_t)nc * sizeof *n);
        if (!n)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        c->ops = n;
        c->capops = nc;
    }
    c->ops[c->nops++] = o;
    return 0;
}

static bx *newbx(cc *c, bx_kind k, const ast_expr *at)
{
    bx *b = ast_alloc(c->a, sizeof *b);
    if (!b) {
        nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        return NULL;
    }
    b->kind = k;
    if (at) {
        b->line = at->line;
        b->col_ = at->col;
    }
    return b;
}

bx *cc_const(cc *c, sqlv v)
{
    bx *b = newbx(c, BX_CONST, NULL);
    if (b)
        b->v = v;
    return b;
}

int cc_has_agg(const ast_expr *x)
{
    if (!x)
        return 0;
    if (x->kind == AST_E_FUNC && !x->over && fn_agg_find(x->name))
        return 1;
    if (x->kind == AST_E_SUBQUERY || x->kind == AST_E_EXISTS || x->kind == AST_E_IN_SELECT)
        return x->kind == AST_E_IN_SELECT ? cc_has_agg(x->a) : 0;
    if (cc_has_agg(x->a) || cc_has_agg(x->b) || cc_has_agg(x->c))
        return 1;
    for (int i = 0; i < x->list.n; i++)
        if (cc_has_agg(x->list.v[i]))
            return 1;
    return 0;
}

int cc_has_window(const ast_expr *x)
{
    if (!x)
        return 0;
    if (x->kind == AST_E_FUNC && x->over)
        return 1;
    if (x->kind == AST_E_SUBQUERY || x->kind == AST_E_EXISTS || x->kind == AST_E_IN_SELECT)
        return x->kind == AST_E_IN_SELECT ? cc_has_window(x->a) : 0;
    if (cc_has_window(x->a) || cc_has_window(x->b) || cc_has_window(x->c))
        return 1;
    for (int i = 0; i < x->list.n; i++)
        if (cc_has_window(x->list.v[i]))
            return 1;
    return 0;
}

sqlv_type cc_type_of(const char *n, int *chars)
{
    *chars = 0;
    if (!n)
        return SQLV_NULL;
    static const struct { const char *name; sqlv_type t; } map[] = {
        {"INTEGER", SQLV_INT}, {"INT", SQLV_INT}, {"BIGINT", SQLV_INT}, {"SMALLINT", SQLV_INT},
        {"TINYINT", SQLV_INT}, {"MEDIUMINT", SQLV_INT}, {"INT2", SQLV_INT}, {"INT4", SQLV_INT},
        {"INT8", SQLV_INT}, {"SERIAL", SQLV_INT}, {"BIGSERIAL", SQLV_INT}, {"SIGNED", SQLV_INT},
        {"UNSIGNED", SQLV_INT},
        {"REAL", SQLV_REAL}, {"FLOAT", SQLV_REAL}, {"DOUBLE", SQLV_REAL},
        {"DOUBLE PRECISION", SQLV_REAL}, {"DECIMAL", SQLV_REAL}, {"NUMERIC", SQLV_REAL},
        {"FLOAT4", SQLV_REAL}, {"FLOAT8", SQLV_REAL},
        {"TEXT", SQLV_TEXT}, {"VARCHAR", SQLV_TEXT}, {"CHAR", SQLV_TEXT}, {"CHARACTER", SQLV_TEXT},
        {"CHARACTER VARYING", SQLV_TEXT}, {"STRING", SQLV_TEXT}, {"JSON", SQLV_TEXT},
        {"DNA_SEQUENCE", SQLV_TEXT}, {"CLOB", SQLV_TEXT}, {"NVARCHAR", SQLV_TEXT},
        {"BOOLEAN", SQLV_BOOL}, {"BOOL", SQLV_BOOL},
        {"DATE", SQLV_DATE}, {"TIME", SQLV_TIME}, {"TIMESTAMP", SQLV_TIMESTAMP},
        {"DATETIME", SQLV_TIMESTAMP},
        {"BLOB", SQLV_BLOB}, {"BYTEA", SQLV_BLOB}, {"NEURAL_VECTOR", SQLV_VECTOR},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(n, map[i].name))
            return map[i].t;
    return SQLV_NTYPES; /* unknown */
}

/* ---- names ------------------------------------------------------------------------------ */
static int col_index(const cc_src *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (s->cols[i] && !strcasecmp(s->cols[i], name))
            return i;
    return -1;
}

/* 1 found, 0 not found, <0 error. */
static int resolve(cc *c, cc_scope *sc, const ast_expr *x, int *slot, int *col)
{
    for (cc_scope *s = sc; s; s = s->parent) {
        int found = 0;
        for (int i = 0; i < s->n; i++) {
            cc_src *src = &s->srcs[i];
            if (x->table && strcasecmp(src->name ? src->name : "", x->table))
                continue;
            int k = col_index(src, x->name);
            if (k < 0)
                continue;
            if (!x->table && src->merged && src->merged[k])
                continue;
            if (found)
                return cc_fail(c, NQ_ESCHEMA, x, "ambiguous column name: %s", x->name);
            found = 1;
            *slot = src->slot;
            *col = k;
        }
        if (found) {
            for (cc_scope *m = sc; m != s; m = m->parent)
                m->correlated = 1;
            return 1;
        }
    }
    return 0;
}

/* ---- aggregates ------------------------------------------------------------------------- */
static int bind_agg_call(cc *c, cc_scope *sc, const ast_expr *x, bx **out)
{
    cc_agg *ag = sc->agg;
    const fn_agg_def *def = fn_agg_find(x->name);
    int nargs = x->star ? 0 : x->list.n;
    if (nargs < def->min_args || (def->max_args >= 0 && nargs > def->max_args))
        return cc_fail(c, NQ_ESCHEMA, x, "wrong number of arguments to function %s()", x->name);
    if (x->star && strcasecmp(x->name, "count"))
        return cc_fail(c, NQ_ESCHEMA, x, "%s(*) is not a function; only count(*) is", x->name);
    if (ag->naggs == ag->cap) {
        int nc = ag->cap ? ag->cap * 2 : 8;
        agg_spec *na = ast_alloc(c->a, (size_t)nc * sizeof *na);
        if (!na)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        if (ag->naggs)
            memcpy(na, ag->aggs, (size_t)ag->naggs * sizeof *na);
        ag->aggs = na;
        ag->cap = nc;
    }
    agg_spec sp = {0};
    sp.def = def;
    sp.distinct = x->distinct;
    sp.nargs = nargs;
    if (nargs && !(sp.args = ast_alloc(c->a, (size_t)nargs * sizeof(bx *))))
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    int saved = ag->from->no_agg;
    const char *saved_what = ag->from->no_agg_what;
    ag->from->no_agg = 1;
    ag->from->no_agg_what = "aggregate function calls cannot be nested";
    int rc = 0;
    for (int i = 0; i < nargs && rc == 0; i++)
        rc = cc_expr(c, ag->from, x->list.v[i], &sp.args[i]);
    if (rc == 0 && x->b)
        rc = cc_expr(c, ag->from, x->b, &sp.filter);
    ag->from->no_agg = saved;
    ag->from->no_agg_what = saved_what;
    if (rc < 0)
        return rc;
    ag->aggs[ag->naggs] = sp;
    bx *b = newbx(c, BX_AGGREF, x);
    if (!b)
        return NQ_ENOMEM;
    b->slot = ag->slot;
    b->col = ag->ngroups + ag->naggs++;
    *out = b;
    return 0;
}

/* ---- the binder ------------------------------------------------------------------------- */
static int bind_list(cc *c, cc_scope *sc, const ast_list *l, bx ***out, int *n)
{
    *n = l->n;
    *out = NULL;
    if (!l->n)
        return 0;
    bx **v = ast_alloc(c->a, (size_t)l->n * sizeof *v);
    if (!v)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < l->n; i++) {
        int rc = cc_expr(c, sc, l->v[i], &v[i]);
        if (rc < 0)
            return rc;
    }
    *out = v;
    return 0;
}

static int bind_sub(cc *c, cc_scope *sc, const ast_select *q, int want_cols, const ast_expr *at,
                    bsub **out)
{
    cc_query cq;
    cc_scope inner = {0};
    inner.parent = sc;
    inner.first_slot = c->nslots;
    inner.with = sc ? sc->with : NULL;
    /* the subquery's own FROM scope hangs below this marker scope, so correlation shows here */
    int ops_lo = c->nops;
    int rc = cc_query_compile(c, &inner, q, &cq);
    if (rc < 0)
        return rc;
    int ops_hi = c->nops;
    if (want_cols && cq.ncols != want_cols)
        return cc_fail(c, NQ_ESCHEMA, at, "subquery has %d columns, expected %d", cq.ncols, want_cols);
    bsub *b = ast_alloc(c->a, sizeof *b);
    if (!b)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    b->plan = cq.plan;
    b->out_slot = cq.slot;
    b->ncols = cq.ncols;
    b->correlated = inner.correlated;
    if (b->correlated) {
        b->resets = ast_alloc(c->a, sizeof(op *) * (size_t)(ops_hi - ops_lo + 1));
        if (!b->resets)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        for (int i = ops_lo; i < ops_hi; i++)
            if (c->ops[i]->vt->destroy)
                b->resets[b->nresets++] = c->ops[i];
    }
    if (c->nsubs == c->capsubs) {
        int nc = c->capsubs ? c->capsubs * 2 : 8;
        bsub **ns = realloc(c->subs, (size_t)nc * sizeof *ns);
        if (!ns)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        c->subs = ns;
        c->capsubs = nc;
    }
    c->subs[c->nsubs++] = b;
    *out = b;
    return 0;
}

static int bind_param(cc *c, const ast_expr *x, bx *b)
{
    int idx;
    const char *name = NULL;
    if (x->text && (x->text[0] == ':' || x->text[0] == '@' ||
                    (x->text[0] == '$' && !(x->text[1] >= '0' && x->text[1] <= '9'))))
        name = x->text;
    if (name) {
        idx = 0;
        for (int i = 0; i < c->nparams; i++)
            if (c->param_names[i] && !strcmp(c->param_names[i], name))
                idx = i + 1;
        if (!idx)
            idx = c->nparams + 1;
    } else if (x->ival > 0)
        idx = (int)x->ival;
    else
        idx = c->nparams + 1; /* a bare ? takes the next number */
    if (idx > 32766)
        return cc_fail(c, NQ_EINVAL, x, "parameter number %d is too large", idx);
    if (idx > c->capparams) {
        int nc = idx + 8;
        const char **nn = realloc(c->param_names, (size_t)nc * sizeof *nn);
        if (!nn)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        for (int i = c->capparams; i < nc; i++)
            nn[i] = NULL;
        c->param_names = nn;
        c->capparams = nc;
    }
    if (idx > c->nparams)
        c->nparams = idx;
    if (name)
        c->param_names[idx - 1] = name;
    b->idx = idx;
    return 0;
}

static int bind_interval(cc *c, cc_scope *sc, const ast_expr *at, const ast_expr *d,
                         const ast_expr *iv, int sign, bx **out);

static const ast_window *named_window(cc_win *w, const char *name)
{
    for (int i = 0; w->named && i < w->named->n; i++) {
        const ast_window *nw = w->named->v[i];
        if (nw->name && !strcasecmp(nw->name, name))
            return nw;
    }
    return NULL;
}

static int bind_window(cc *c, cc_scope *sc, const ast_expr *x, bx **out)
{
    cc_win *cw = sc->win;
    int lo = 0, hi = -1, kind = win_func_kind(x->name, &lo, &hi);
    const fn_agg_def *agg = NULL;
    if (kind < 0) {
        agg = fn_agg_find(x->name);
        if (!agg)
            return cc_fail(c, NQ_ESCHEMA, x, "%s is not a window function", x->name);
        kind = WF_AGG;
        lo = agg->min_args;
        hi = agg->max_args;
    }
    int nargs = x->star ? 0 : x->list.n;
    if (nargs < lo || (hi >= 0 && nargs > hi))
        return cc_fail(c, NQ_ESCHEMA, x, "wrong number of arguments to function %s()", x->name);
    /* the window: OVER name, OVER (name ...), OVER (...) */
    const ast_window *spec = x->over, *base = NULL;
    if (spec->is_ref) {
        if (!(spec = named_window(cw, spec->name)))
            return cc_fail(c, NQ_ESCHEMA, x, "window \"%s\" does not exist", x->over->name);
    } else if (spec->base && !(base = named_window(cw, spec->base)))
        return cc_fail(c, NQ_ESCHEMA, x, "window \"%s\" does not exist", spec->base);
    const ast_list *part = base ? &base->partition : &spec->partition;
    const ast_list *ord = spec->order.n || !base ? &spec->order : &base->order;
    const ast_window *fr = spec->unit != AST_FRAME_NONE || !base ? spec : base;
    if (cw->n == cw->cap) {
        int nc = cw->cap ? cw->cap * 2 : 4;
        win_spec *nw = ast_alloc(c->a, sizeof *nw * (size_t)nc);
        if (!nw)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        if (cw->n)
            memcpy(nw, cw->w, sizeof *nw * (size_t)cw->n);
        cw->w = nw;
        cw->cap = nc;
    }
    win_spec w = {0};
    w.kind = kind;
    w.agg = agg;
    w.distinct = x->distinct;
    sc->win = NULL; /* no window calls inside a window call */
    int rc = bind_list(c, sc, &x->list, &w.args, &w.nargs);
    if (x->star)
        w.nargs = 0;
    if (rc == 0)
        rc = bind_list(c, sc, part, &w.part, &w.npart);
    if (rc == 0 && ord->n) {
        w.nord = ord->n;
        w.ord = ast_alloc(c->a, sizeof(bx *) * (size_t)ord->n);
        w.ord_desc = ast_alloc(c->a, sizeof(int) * (size_t)ord->n);
        w.ord_nulls_first = ast_alloc(c->a, sizeof(int) * (size_t)ord->n);
        if (!w.ord || !w.ord_desc || !w.ord_nulls_first)
            rc = nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        for (int i = 0; i < ord->n && rc == 0; i++) {
            const ast_order *o = ord->v[i];
            rc = cc_expr(c, sc, o->e, &w.ord[i]);
            w.ord_desc[i] = o->dir == AST_DIR_DESC;
            w.ord_nulls_first[i] = o->nulls == AST_NULLS_NONE ? w.ord_desc[i] : o->nulls == AST_NULLS_FIRST;
        }
    }
    if (rc == 0) {
        if (fr->unit == AST_FRAME_NONE) {
            w.unit = ord->n ? AST_FRAME_RANGE : AST_FRAME_ROWS;
            w.start = AST_FB_UNBOUNDED_PRECEDING;
            w.end = ord->n ? AST_FB_CURRENT_ROW : AST_FB_UNBOUNDED_FOLLOWING;
        } else {
            w.unit = fr->unit;
            w.start = fr->start;
            w.end = fr->end == AST_FB_NONE ? AST_FB_CURRENT_ROW : fr->end;
            if (w.unit == AST_FRAME_RANGE && w.nord != 1 &&
                (w.start == AST_FB_PRECEDING || w.start == AST_FB_FOLLOWING ||
                 w.end == AST_FB_PRECEDING || w.end == AST_FB_FOLLOWING))
                rc = cc_fail(c, NQ_ESCHEMA, x, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column");
            w.exclude = fr->exclude;
            if (rc == 0 && fr->start_e)
                rc = cc_expr(c, NULL, fr->start_e, &w.start_e);
            if (rc == 0 && fr->end_e)
                rc = cc_expr(c, NULL, fr->end_e, &w.end_e);
        }
    }
    sc->win = cw;
    if (rc < 0)
        return rc;
    cw->w[cw->n] = w;
    bx *b = newbx(c, BX_COL, x);
    if (!b)
        return NQ_ENOMEM;
    b->slot = cw->slot;
    b->col = cw->n++;
    *out = b;
    return 0;
}

static int bind_func(cc *c, cc_scope *sc, const ast_expr *x, bx **out)
{
    if (x->over) {
        if (!sc->win)
            return cc_fail(c, NQ_ESCHEMA, x, "window functions are not allowed here");
        return bind_window(c, sc, x, out);
    }
    {
        int lo, hi;
        if (win_func_kind(x->name, &lo, &hi) >= 0)
            return cc_fail(c, NQ_ESCHEMA, x, "window function %s requires an OVER clause", x->name);
    }
    if (fn_agg_find(x->name)) {
        if (sc->agg)
            return bind_agg_call(c, sc, x, out);
        if (sc->no_agg)
            return cc_fail(c, NQ_ESCHEMA, x, "%s", sc->no_agg_what ? sc->no_agg_what
                                                  : "aggregate functions are not allowed here");
        return cc_fail(c, NQ_ESCHEMA, x, "aggregate function %s() is not allowed here", x->name);
    }
    if (x->list.n == 2 && ((const ast_expr *)x->list.v[1])->kind == AST_E_INTERVAL &&
        (!strcasecmp(x->name, "date_add") || !strcasecmp(x->name, "date_sub") ||
         !strcasecmp(x->name, "adddate") || !strcasecmp(x->name, "subdate")))
        return bind_interval(c, sc, x, x->list.v[0], x->list.v[1],
                             !strcasecmp(x->name, "date_sub") || !strcasecmp(x->name, "subdate") ? -1 : 1, out);
    const fn_scalar_def *fn = fn_scalar_find(x->name);
    if (!fn) {
        /* the extension functions belong to subsystems that are not built yet */
        static const char *const ext[][2] = {
            {"quantum_search", "quantum"},
            {"superposition", "quantum"}};
        for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
            if (!strcasecmp(x->name, ext[i][0]))
                return cc_fail(c, NQ_ENOTSUP, x, "not supported yet: %s() (the %s subsystem executes it)",
                               x->name, ext[i][1]);
        return cc_fail(c, NQ_ESCHEMA, x, "no such function: %s", x->name);
    }
    if (x->distinct || x->star)
        return cc_fail(c, NQ_ESCHEMA, x, "%s() is not an aggregate function", x->name);
    int n = x->list.n;
    if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args))
        return cc_fail(c, NQ_ESCHEMA, x, "wrong number of arguments to function %s()", x->name);
    bx *b = newbx(c, BX_FUNC, x);
    if (!b)
        return NQ_ENOMEM;
    b->fn = fn;
    int rc = bind_list(c, sc, &x->list, &b->args, &b->nargs);
    if (rc < 0)
        return rc;
    *out = b;
    return 0;
}

static bx_kind arith_kind(int oper)
{
    switch (oper) {
    case AST_OP_EQ: case AST_OP_NE: case AST_OP_LT: case AST_OP_LE: case AST_OP_GT: case AST_OP_GE:
        return BX_CMP;
    case AST_OP_IS: case AST_OP_IS_NOT: case AST_OP_IS_DISTINCT: case AST_OP_IS_NOT_DISTINCT:
        return BX_IS;
    case AST_OP_AND: return BX_AND;
    case AST_OP_OR: return BX_OR;
    default: return BX_ARITH;
    }
}

static int bind_plain(cc *c, cc_scope *sc, const ast_expr *x, bx **out);

/* d +/- INTERVAL n unit, DATE_ADD(d, INTERVAL n unit), DATE_SUB(...). */
static int bind_interval(cc *c, cc_scope *sc, const ast_expr *at, const ast_expr *d,
                         const ast_expr *iv, int sign, bx **out)
{
    bx *b = newbx(c, BX_INTERVAL, at);
    if (!b)
        return NQ_ENOMEM;
    b->op = sign;
    b->text = iv->name;
    int rc = cc_expr(c, sc, d, &b->a);
    if (rc == 0)
        rc = cc_expr(c, sc, iv->a, &b->b);
    if (rc == 0)
        *out = b;
    return rc;
}

int cc_expr(cc *c, cc_scope *sc, const ast_expr *x, bx **out)
{
    if (sc && sc->agg && x->kind != AST_E_NULL && x->kind != AST_E_INT && x->kind != AST_E_REAL &&
        x->kind != AST_E_STRING && x->kind != AST_E_PARAM && x->kind != AST_E_BOOL) {
        cc_agg *ag = sc->agg;
        if (x->kind == AST_E_FUNC && !x->over && fn_agg_find(x->name))
            return bind_agg_call(c, sc, x, out);
        if (x->kind == AST_E_FUNC && x->over)
            return bind_plain(c, sc, x, out);
        if (ag->ngroups && !cc_has_agg(x) && !cc_has_window(x) && x->kind != AST_E_SUBQUERY &&
            x->kind != AST_E_EXISTS) {
            bx *pre;
            nq_err saved = *c->e;
            unsigned sl = c->eline, scol = c->ecol;
            if (cc_expr(c, ag->from, x, &pre) == 0) {
                for (int k = 0; k < ag->ngroups; k++)
                    if (bx_equal(pre, ag->groups[k])) {
                        bx *b = newbx(c, BX_COL, x);
                        if (!b)
                            return NQ_ENOMEM;
                        b->slot = ag->slot;
                        b->col = k;
                        *out = b;
                        return 0;
                    }
            }
            *c->e = saved;
            c->eline = sl;
            c->ecol = scol;
        }
        if (x->kind == AST_E_COLUMN) {
            int slot, col;
            /* a name of an enclosing query is a constant here (correlated reference) */
            int rc = resolve(c, ag->from, x, &slot, &col);
            if (rc < 0)
                return rc;
            if (rc == 1 && slot >= ag->from->first_slot) {
                return cc_fail(c, NQ_ESCHEMA, x,
                               "column \"%s\" must appear in the GROUP BY clause or be used in an aggregate function",
                               x->name);
            }
        }
    }
    return bind_plain(c, sc, x, out);
}

static int bind_plain(cc *c, cc_scope *sc, const ast_expr *x, bx **out)
{
    int rc;
    bx *b;
    switch (x->kind) {
    case AST_E_NULL: *out = cc_const(c, sqlv_null()); return *out ? 0 : NQ_ENOMEM;
    case AST_E_INT: *out = cc_const(c, sqlv_int(x->ival)); return *out ? 0 : NQ_ENOMEM;
    case AST_E_REAL: *out = cc_const(c, sqlv_real(x->rval)); return *out ? 0 : NQ_ENOMEM;
    case AST_E_BOOL: *out = cc_const(c, sqlv_bool((int)x->ival)); return *out ? 0 : NQ_ENOMEM;
    case AST_E_STRING:
    case AST_E_DNA:
        *out = cc_const(c, sqlv_text(x->text, x->kind == AST_E_DNA ? strlen(x->text) : x->len));
        return *out ? 0 : NQ_ENOMEM;
    case AST_E_BLOB: *out = cc_const(c, sqlv_bytes(SQLV_BLOB, x->text, x->len)); return *out ? 0 : NQ_ENOMEM;
    case AST_E_DEFAULT: return cc_fail(c, NQ_ESYNTAX, x, "DEFAULT is only allowed as a value in INSERT or UPDATE");
    case AST_E_PARAM:
        if (!(b = newbx(c, BX_PARAM, x)))
            return NQ_ENOMEM;
        if ((rc = bind_param(c, x, b)) < 0)
            return rc;
        *out = b;
        return 0;
    case AST_E_COLUMN: {
        int slot, col;
        if (x->schema)
            return cc_fail(c, NQ_ENOTSUP, x, "not supported yet: schema-qualified names (%s.%s.%s)",
                           x->schema, x->table, x->name);
        if (!x->table)
            for (cc_scope *u = sc; u; u = u->parent)
                for (int i = 0; i < u->nusings; i++)
                    if (!strcasecmp(u->usings[i].name, x->name)) {
                        if (u != sc)
                            for (cc_scope *m = sc; m != u; m = m->parent)
                                m->correlated = 1;
                        *out = u->usings[i].e;
                        return 0;
                    }
        rc = resolve(c, sc, x, &slot, &col);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (x->ival && !x->table) { /* "name": SQLite's string fallback */
                *out = cc_const(c, sqlv_text(x->name, strlen(x->name)));
                return *out ? 0 : NQ_ENOMEM;
            }
            if (x->table)
                return cc_fail(c, NQ_ESCHEMA, x, "no such column: %s.%s", x->table, x->name);
            return cc_fail(c, NQ_ESCHEMA, x, "no such column: %s", x->name);
        }
        if (!(b = newbx(c, BX_COL, x)))
            return NQ_ENOMEM;
        b->slot = slot;
        b->col = col;
        *out = b;
        return 0;
    }
    case AST_E_STAR: return cc_fail(c, NQ_ESYNTAX, x, "* is only allowed in a select list or count(*)");
    case AST_E_UNARY:
        if (x->op == AST_OP_PLUS)
            return cc_expr(c, sc, x->a, out);
        if (x->a->kind == AST_E_INT && x->op == AST_OP_NEG && x->a->ival != INT64_MIN) {
            *out = cc_const(c, sqlv_int(-x->a->ival));
            return *out ? 0 : NQ_ENOMEM;
        }
        if (!(b = newbx(c, x->op == AST_OP_NOT ? BX_NOT : x->op == AST_OP_NEG ? BX_NEG : BX_BITNOT, x)))
            return NQ_ENOMEM;
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0)
            return rc;
        *out = b;
        return 0;
    case AST_E_BINARY:
        if ((x->op == AST_OP_ADD || x->op == AST_OP_SUB) &&
            (x->b->kind == AST_E_INTERVAL || (x->op == AST_OP_ADD && x->a->kind == AST_E_INTERVAL)))
            return bind_interval(c, sc, x, x->b->kind == AST_E_INTERVAL ? x->a : x->b,
                                 x->b->kind == AST_E_INTERVAL ? x->b : x->a, x->op == AST_OP_SUB ? -1 : 1, out);
        if (!(b = newbx(c, arith_kind(x->op), x)))
            return NQ_ENOMEM;
        b->op = x->op;
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0 || (rc = cc_expr(c, sc, x->b, &b->b)) < 0)
            return rc;
        if (b->kind == BX_CMP && (b->a->kind == BX_ROW) != (b->b->kind == BX_ROW))
            return cc_fail(c, NQ_ETYPE, x, "cannot compare a row with a single value");
        *out = b;
        return 0;
    case AST_E_BETWEEN:
        if (!(b = newbx(c, BX_BETWEEN, x)))
            return NQ_ENOMEM;
        b->not_ = x->not_;
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0 || (rc = cc_expr(c, sc, x->b, &b->b)) < 0 ||
            (rc = cc_expr(c, sc, x->c, &b->c)) < 0)
            return rc;
        *out = b;
        return 0;
    case AST_E_IN_LIST:
        if (!(b = newbx(c, BX_IN_LIST, x)))
            return NQ_ENOMEM;
        b->not_ = x->not_;
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0 ||
            (rc = bind_list(c, sc, &x->list, &b->args, &b->nargs)) < 0)
            return rc;
        *out = b;
        return 0;
    case AST_E_IN_TABLE:
        return cc_fail(c, NQ_ENOTSUP, x, "not supported yet: IN table-name (write IN (SELECT ...))");
    case AST_E_IN_SELECT:
        if (!(b = newbx(c, BX_IN_SUB, x)))
            return NQ_ENOMEM;
        b->not_ = x->not_;
        if (x->a->kind == AST_E_ROW)
            return cc_fail(c, NQ_ENOTSUP, x, "not supported yet: row values IN (subquery)");
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0 || (rc = bind_sub(c, sc, x->sub, 1, x, &b->sub)) < 0)
            return rc;
        *out = b;
        return 0;
    case AST_E_EXISTS:
    case AST_E_SUBQUERY:
        if (!(b = newbx(c, x->kind == AST_E_EXISTS ? BX_EXISTS : BX_SUBQ, x)))
            return NQ_ENOMEM;
        if ((rc = bind_sub(c, sc, x->sub, x->kind == AST_E_SUBQUERY ? 1 : 0, x, &b->sub)) < 0)
            return rc;
        *out = b;
        return 0;
    case AST_E_LIKE:
        if (x->op == AST_OP_REGEXP || x->op == AST_OP_MATCH)
            return cc_fail(c, NQ_ENOTSUP, x, "not supported yet: %s", x->op == AST_OP_REGEXP ? "REGEXP" : "MATCH");
        if (!(b = newbx(c, BX_LIKE, x)))
            return NQ_ENOMEM;
        b->op = x->op;
        b->not_ = x->not_;
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0 || (rc = cc_expr(c, sc, x->b, &b->b)) < 0 ||
            (x->c && (rc = cc_expr(c, sc, x->c, &b->c)) < 0))
            return rc;
        *out = b;
        return 0;
    case AST_E_CASE:
        if (!(b = newbx(c, BX_CASE, x)))
            return NQ_ENOMEM;
        if ((x->a && (rc = cc_expr(c, sc, x->a, &b->a)) < 0) ||
            (rc = bind_list(c, sc, &x->list, &b->args, &b->nargs)) < 0 ||
            (x->c && (rc = cc_expr(c, sc, x->c, &b->b)) < 0))
            return rc;
        *out = b;
        return 0;
    case AST_E_CAST: {
        if (!(b = newbx(c, BX_CAST, x)))
            return NQ_ENOMEM;
        int chars;
        sqlv_type t = cc_type_of(x->type->name, &chars);
        if (t == SQLV_NTYPES)
            return cc_fail(c, NQ_ETYPE, x, "type \"%s\" does not exist", x->type->name);
        if (t == SQLV_TEXT && x->type->nargs >= 1 && strcasecmp(x->type->name, "TEXT"))
            chars = (int)x->type->args[0];
        b->type = t;
        b->type_chars = chars;
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0)
            return rc;
        *out = b;
        return 0;
    }
    case AST_E_FUNC:
        return bind_func(c, sc, x, out);
    case AST_E_ROW:
        if (!(b = newbx(c, BX_ROW, x)))
            return NQ_ENOMEM;
        if ((rc = bind_list(c, sc, &x->list, &b->args, &b->nargs)) < 0)
            return rc;
        *out = b;
        return 0;
    case AST_E_COLLATE:
        if (x->name && (!strcasecmp(x->name, "binary") || !strcasecmp(x->name, "C")))
            return cc_expr(c, sc, x->a, out);
        return cc_fail(c, NQ_ENOTSUP, x, "not supported yet: COLLATE %s", x->name ? x->name : "");
    case AST_E_ARRAY:
        return cc_fail(c, NQ_ENOTSUP, x, "not supported yet: array literals outside NEURAL_VECTOR columns");
    case AST_E_INTERVAL:
        return cc_fail(c, NQ_ENOTSUP, x,
                       "not supported yet: INTERVAL values on their own (add or subtract them from a date or time)");
    case AST_E_EXTRACT:
        if (!(b = newbx(c, BX_EXTRACT, x)))
            return NQ_ENOMEM;
        b->text = x->name;
        if ((rc = cc_expr(c, sc, x->a, &b->a)) < 0)
            return rc;
        *out = b;
        return 0;
    }
    return cc_fail(c, NQ_ERROR, x, "internal error: unknown expression");
}

/* ---- analysis helpers ------------------------------------------------------------------- */
uint64_t bx_slots(const bx *e, int lo)
{
    if (!e)
        return 0;
    uint64_t m = 0;
    if ((e->kind == BX_COL || e->kind == BX_AGGREF) && e->slot >= lo)
        m |= e->slot < lo + 64 ? 1ULL << (e->slot - lo) : ~0ULL; /* beyond the mask: "last" */
    m |= bx_slots(e->a, lo) | bx_slots(e->b, lo) | bx_slots(e->c, lo);
    for (int i = 0; i < e->nargs; i++)
        m |= bx_slots(e->args[i], lo);
    if (e->sub)
        m |= ~0ULL; /* a subquery may read anything: evaluate it last */
    return m;
}

int bx_equal(const bx *a, const bx *b)
{
    if (a == b)
        return 1;
    if (!a || !b || a->kind != b->kind || a->op != b->op || a->not_ != b->not_ || a->nargs != b->nargs)
        return 0;
    switch (a->kind) {
    case BX_CONST: return a->v.type == b->v.type && sqlv_order(&a->v, &b->v) == 0;
    case BX_PARAM: return a->idx == b->idx;
    case BX_COL:
    case BX_AGGREF: return a->slot == b->slot && a->col == b->col;
    case BX_FUNC: if (a->fn != b->fn) return 0; break;
    case BX_CAST: if (a->type != b->type || a->type_chars != b->type_chars) return 0; break;
    case BX_SUBQ: case BX_EXISTS: case BX_IN_SUB: return 0;
    default: break;
    }
    if (!bx_equal(a->a, b->a) || !bx_equal(a->b, b->b) || !bx_equal(a->c, b->c))
        return 0;
    for (int i = 0; i < a->nargs; i++)
        if (!bx_equal(a->args[i], b->args[i]))
            return 0;
    return 1;
}
