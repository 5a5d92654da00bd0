/*
 * neuromatch_compile.c — planning the NEUROMATCH clause and statement (the semantics are in
 * neuromatch_plan.h and neuromatch.h).
 *
 * Options are checked here, each error positioned at the option or its value:
 *   LEARNING_RATE x          a number in (0, 1]; only with HEBBIAN_STRENGTHENING
 *   HEBBIAN_STRENGTHENING [= TRUE|FALSE|1|0]
 *   SYNAPTIC_WEIGHT x, ACTIVATION_THRESHOLD x   (statement) the threshold, a number in [0, 1]
 * An unknown option, or one given twice, is an error that lists the known ones.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/neuromatch_plan.h"
#include "sql/ops.h"

static const char *nm_cols[] = {"score", "row_id", "association"};

/* an option's position as an expression, for cc_fail */
static const ast_expr *opt_at(cc *c, const ast_option *o)
{
    ast_expr *x = ast_alloc(c->a, sizeof *x);
    if (x) {
        x->line = o->line;
        x->col = o->col;
    }
    return x;
}

static int opt_number(cc *c, const ast_option *o, double lo, int lo_open, double hi, double *out)
{
    const ast_expr *v = o->value;
    if (!v)
        return cc_fail(c, NQ_ESYNTAX, opt_at(c, o), "%s expects a number", o->name);
    double d;
    if (v->kind == AST_E_INT)
        d = (double)v->ival;
    else if (v->kind == AST_E_REAL)
        d = v->rval;
    else if (v->kind == AST_E_UNARY && v->op == AST_OP_NEG && v->a &&
             (v->a->kind == AST_E_INT || v->a->kind == AST_E_REAL))
        d = v->a->kind == AST_E_INT ? -(double)v->a->ival : -v->a->rval;
    else
        return cc_fail(c, NQ_ESYNTAX, v, "%s expects a number", o->name);
    if ((lo_open ? !(d > lo) : !(d >= lo)) || !(d <= hi))
        return cc_fail(c, NQ_EINVAL, v, "%s must be in %s%g, %g]", o->name, lo_open ? "(" : "[", lo, hi);
    *out = d;
    return 0;
}

static int opt_bool(cc *c, const ast_option *o, int *out)
{
    const ast_expr *v = o->value;
    if (!v) {
        *out = 1;
        return 0;
    }
    if (v->kind == AST_E_BOOL || (v->kind == AST_E_INT && (v->ival == 0 || v->ival == 1))) {
        *out = (int)v->ival;
        return 0;
    }
    if (v->kind == AST_E_COLUMN && !v->table && (!strcasecmp(v->name, "TRUE") || !strcasecmp(v->name, "FALSE"))) {
        *out = !strcasecmp(v->name, "TRUE");
        return 0;
    }
    return cc_fail(c, NQ_ESYNTAX, v, "%s expects TRUE or FALSE", o->name);
}

/* The options of a clause or statement: rate, feedback, threshold (stmt only). */
typedef struct nm_opts {
    int feedback;
    double eta;
    int have_eta, have_thr;
    double thr;
} nm_opts;

static int parse_opts(cc *c, const ast_list *l, int stmt, nm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->eta = NM_DEFAULT_RATE;
    unsigned seen = 0;
    static const char *const names[] = {"LEARNING_RATE", "HEBBIAN_STRENGTHENING", "SYNAPTIC_WEIGHT",
                                        "ACTIVATION_THRESHOLD"};
    const ast_option *eta_at = NULL;
    for (int i = 0; i < l->n; i++) {
        const ast_option *opt = l->v[i];
        int k = -1;
        for (int j = 0; j < (stmt ? 4 : 2); j++)
            if (!strcmp(opt->name, names[j]))
                k = j;
        if (k < 0)
            return cc_fail(c, NQ_ESYNTAX, opt_at(c, opt),
                           stmt ? "unknown NEUROMATCH option %s (expected SYNAPTIC_WEIGHT, ACTIVATION_THRESHOLD, LEARNING_RATE or HEBBIAN_STRENGTHENING)"
                                : "unknown NEUROMATCH option %s (expected LEARNING_RATE or HEBBIAN_STRENGTHENING)",
                           opt->name);
        unsigned bit = k >= 2 ? 4u : 1u << k;
        if (seen & bit)
            return cc_fail(c, NQ_ESYNTAX, opt_at(c, opt), k >= 2 ? "the threshold is given twice (%s)" : "%s is given twice", opt->name);
        seen |= bit;
        int rc;
        if (k == 0) {
            rc = opt_number(c, opt, 0, 1, 1, &o->eta);
            o->have_eta = 1;
            eta_at = opt;
        } else if (k == 1) {
            rc = opt_bool(c, opt, &o->feedback);
        } else {
            rc = opt_number(c, opt, 0, 0, 1, &o->thr);
            o->have_thr = 1;
        }
        if (rc < 0)
            return rc;
    }
    if (o->have_eta && !o->feedback)
        return cc_fail(c, NQ_ESYNTAX, opt_at(c, eta_at),
                       "LEARNING_RATE needs HEBBIAN_STRENGTHENING (it is the rate of the feedback)");
    return 0;
}

int cc_neuromatch_clause(cc *c, cc_scope *sc, const ast_select *q, op **plan, nm_clause *out)
{
    const ast_neuromatch *n = q->neuromatch;
    memset(out, 0, sizeof *out);
    nm_opts o;
    int rc = parse_opts(c, &n->options, 0, &o);
    if (rc < 0)
        return rc;
    nm_op_spec sp = {0};
    sp.strict = n->strength != NULL && !n->inclusive;
    /* one base table: its rows have identities, so associations apply */
    if (q->from && q->from->kind == AST_FROM_TABLE && sc->n == 1 && sc->srcs[0].t) {
        sp.t = sc->srcs[0].t;
        sp.rowid_slot = sc->srcs[0].slot;
    }
    char desc[200];
    sc->no_agg = 1;
    sc->no_agg_what = "aggregate functions are not allowed in NEUROMATCH";
    if (n->field) {
        sp.fields = ast_alloc(c->a, sizeof(bx *));
        if (!sp.fields) {
            sc->no_agg = 0;
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        }
        rc = cc_expr(c, sc, n->field, &sp.fields[0]);
        sc->no_agg = 0;
        if (rc < 0)
            return rc;
        sp.nfields = 1;
        snprintf(desc, sizeof desc, "%s", ast_expr_to_sql(c->a, n->field));
    } else {
        sc->no_agg = 0;
        int total = 0;
        for (int s = 0; s < sc->n; s++)
            total += sc->srcs[s].ncols;
        sp.fields = ast_alloc(c->a, sizeof(bx *) * (size_t)(total + 1));
        if (!sp.fields)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        for (int s = 0; s < sc->n; s++)
            for (int j = 0; j < sc->srcs[s].ncols; j++) {
                if (sc->srcs[s].merged && sc->srcs[s].merged[j])
                    continue;
                bx *b = ast_alloc(c->a, sizeof *b);
                if (!b)
                    return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                b->kind = BX_COL;
                b->slot = sc->srcs[s].slot;
                b->col = j;
                sp.fields[sp.nfields++] = b;
            }
        if (sc->n == 1)
            snprintf(desc, sizeof desc, "all %d columns of %s", sp.nfields,
                     sc->srcs[0].name ? sc->srcs[0].name : "the FROM item");
        else
            snprintf(desc, sizeof desc, "all %d columns of the %d FROM items", sp.nfields, sc->n);
    }
    sp.desc_fields = ast_strndup(c->a, desc, strlen(desc));
    if ((rc = cc_expr(c, NULL, n->pattern, &sp.pattern)) < 0)
        return rc;
    if (n->strength && (rc = cc_expr(c, NULL, n->strength, &sp.threshold)) < 0)
        return rc;
    if (o.feedback) {
        const ast_option *fo = NULL;
        for (int i = 0; i < n->options.n; i++)
            if (!strcmp(((ast_option *)n->options.v[i])->name, "HEBBIAN_STRENGTHENING"))
                fo = n->options.v[i];
        if (q != c->nm_top)
            return cc_fail(c, NQ_ESYNTAX, opt_at(c, fo),
                           "HEBBIAN_STRENGTHENING is allowed only in the outermost query of a statement");
        if (!sp.t)
            return cc_fail(c, NQ_ESYNTAX, opt_at(c, fo),
                           "HEBBIAN_STRENGTHENING needs a FROM of one base table (its rows are what is learned)");
        out->fb = ast_alloc(c->a, sizeof *out->fb);
        if (!out->fb)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        out->fb->eta = o.eta;
    }
    int slot = cc_new_slot(c, 3);
    if (slot < 0)
        return slot;
    op *nop = op_neuromatch_new(c->a, *plan, slot, &sp);
    if ((rc = cc_track_op(c, nop)) < 0)
        return rc;
    nop->est_rows = (*plan)->est_rows / 2 > 1 ? (*plan)->est_rows / 2 : 1;
    nop->est_cost = (*plan)->est_cost + (*plan)->est_rows * (sp.nfields ? sp.nfields : 1);
    if ((rc = cc_scope_add(c, sc, "nm", slot, 3, nm_cols, NULL)) < 0)
        return rc;
    cc_src *src = &sc->srcs[sc->n - 1];
    if (!(src->merged = ast_alloc(c->a, 4)))
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    src->merged[0] = src->merged[1] = src->merged[2] = 1;
    out->nmop = nop;
    out->slot = slot;
    out->rank = q->order_by.n == 0;
    if (out->fb)
        out->fb->nmop = nop;
    *plan = nop;
    return 0;
}

static bx *colref(cc *c, int slot, int col)
{
    bx *b = ast_alloc(c->a, sizeof *b);
    if (b) {
        b->kind = BX_COL;
        b->slot = slot;
        b->col = col;
    }
    return b;
}

int cc_neuromatch_finish(cc *c, const nm_clause *nm, int grouped, int distinct, bx **exprs,
                         const char **names, int *nexprs, sort_key **keys, int *nkeys)
{
    if (!nm->nmop)
        return 0;
    if (nm->fb && (grouped || distinct))
        return nq_err_set(c->e, NQ_ESYNTAX,
                          "HEBBIAN_STRENGTHENING needs a query that returns the matched rows themselves (no GROUP BY, aggregates or DISTINCT)");
    int rank = nm->rank && !grouped;
    if (!rank && !nm->fb)
        return 0;
    bx *sb = colref(c, nm->slot, 0), *rb = colref(c, nm->slot, 1), *ab = colref(c, nm->slot, 2);
    if (!sb || !rb || !ab)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    int scol = *nexprs, rcol = *nexprs + 1, acol = *nexprs + 2;
    exprs[scol] = sb;
    exprs[rcol] = rb;
    exprs[acol] = ab;
    names[scol] = names[rcol] = names[acol] = NULL;
    *nexprs += 3;
    if (nm->fb) {
        nm->fb->scorecol = scol;
        nm->fb->rowcol = rcol;
        c->nm_fb = nm->fb;
    }
    if (rank) {
        /* score, then the association (what feedback taught breaks ties of s = 1), then
         * the row */
        sort_key *k = ast_alloc(c->a, sizeof *k * (size_t)(*nkeys + 3));
        if (!k)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        if (*nkeys)
            memcpy(k, *keys, sizeof *k * (size_t)*nkeys);
        k[*nkeys] = (sort_key){scol, 1, 0};
        k[*nkeys + 1] = (sort_key){acol, 1, 0};
        k[*nkeys + 2] = (sort_key){rcol, 0, 0};
        *nkeys += 3;
        *keys = k;
    }
    return 0;
}

int cc_neuromatch_stmt(cc *c, const ast_ext *x, uint32_t line, uint32_t col, cc_query *out)
{
    nm_opts o;
    int rc = parse_opts(c, &x->options, 1, &o);
    if (rc < 0)
        return rc;
    /* SELECT nm.score AS match_score, nm.row_id AS entity_id, t.* FROM t NEUROMATCH(p) ... */
    ast_select *q = ast_alloc(c->a, sizeof *q);
    ast_from *f = ast_alloc(c->a, sizeof *f);
    ast_neuromatch *n = ast_alloc(c->a, sizeof *n);
    if (!q || !f || !n)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    static const char *const cols[] = {"score", "row_id"}, *const alias[] = {"match_score", "entity_id"};
    for (int i = 0; i < 3; i++) {
        ast_result_col *rcl = ast_alloc(c->a, sizeof *rcl);
        ast_expr *e = ast_alloc(c->a, sizeof *e);
        if (!rcl || !e || ast_list_push(c->a, &q->cols, rcl))
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        e->line = line;
        e->col = col;
        if (i < 2) {
            e->kind = AST_E_COLUMN;
            e->table = "nm";
            e->name = cols[i];
            rcl->alias = alias[i];
        } else {
            e->kind = AST_E_STAR;
            e->table = x->table.name;
        }
        rcl->e = e;
    }
    f->kind = AST_FROM_TABLE;
    f->schema = x->table.schema;
    f->name = x->table.name;
    q->kind = AST_SEL_CORE;
    q->from = f;
    q->where = x->where;
    q->neuromatch = n;
    n->pattern = x->pattern;
    if (!n->pattern) {
        ast_expr *e = ast_alloc(c->a, sizeof *e);
        if (!e)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        e->kind = AST_E_STRING;
        e->text = "";
        e->len = 0;
        n->pattern = e;
    }
    if (o.have_thr) {
        ast_expr *e = ast_alloc(c->a, sizeof *e);
        if (!e)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        e->kind = AST_E_REAL;
        e->rval = o.thr;
        n->strength = e;
    }
    /* the clause's options; the statement's threshold keeps score >= x (inclusive) */
    for (int i = 0; i < x->options.n; i++) {
        ast_option *opt = x->options.v[i];
        if ((!strcmp(opt->name, "LEARNING_RATE") || !strcmp(opt->name, "HEBBIAN_STRENGTHENING")) &&
            ast_list_push(c->a, &n->options, opt))
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    }
    n->inclusive = 1;
    if (c->nm_top == (const void *)x)
        c->nm_top = q;
    return cc_query_compile(c, NULL, q, out);
}
