/*
 * tablefunc.c — the registry of table functions and the compiler of their calls (tablefunc.h).
 *
 * A call compiles in three steps: the arguments are matched to the definition's parameters
 * (count checked against min_args..nparams); each table argument becomes the plan of
 * `SELECT * FROM name` compiled in a scope that sees the enclosing query's WITH queries
 * (as a derived table in FROM would), and the function's columns are looked up in that
 * plan's output by name, so a missing column is reported at prepare time; each value argument
 * is bound in an empty scope (no columns to read). The operator of exec_tablefunc.c gets the
 * plans, the column maps and the bound values.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/tablefunc.h"

static const tf_def *const registry[] = {&tf_qubo_solve, &tf_recall_pattern, &tf_predict_pattern,
                                         &tf_synaptic_network, &tf_synaptic_nodes, &tf_neuromorphic_indexes,
                                         &tf_workload_stats, &tf_index_advice, &tf_advisor_statistics};

#define NREGISTRY ((int)(sizeof registry / sizeof registry[0]))

const tf_def *tf_find(const char *name)
{
    for (int i = 0; i < NREGISTRY; i++)
        if (!strcasecmp(registry[i]->name, name))
            return registry[i];
    return NULL;
}

/* "a, b, c": the registered names, for messages */
static void names(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < NREGISTRY && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", registry[i]->name);
}

/* "qubo_solve(terms_table [, solver [, ...]])" */
static void signature(const tf_def *d, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "%s(", d->name);
    for (int i = 0; i < d->nparams && n < cap; i++) {
        const char *sep = i == 0 ? "" : i < d->min_args ? ", " : " [, ";
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", sep, d->params[i].name);
    }
    for (int i = d->min_args > 0 ? d->min_args : 1; i < d->nparams && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "]");
    if (n < cap)
        snprintf(buf + n, cap - n, ")");
}

/* Compile `SELECT * FROM name` and map the parameter's columns into its output. */
static int compile_input(cc *c, cc_scope *sc, const tf_def *d, const tf_param *p,
                         const char *name, const ast_expr *at, op **plan, int *slot, int **map)
{
    ast_select *q = ast_alloc(c->a, sizeof *q);
    ast_result_col *rcol = ast_alloc(c->a, sizeof *rcol);
    ast_expr *star = ast_alloc(c->a, sizeof *star);
    ast_from *fr = ast_alloc(c->a, sizeof *fr);
    if (!q || !rcol || !star || !fr)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    star->kind = AST_E_STAR;
    if (at) {
        star->line = at->line;
        star->col = at->col;
    }
    rcol->e = star;
    q->kind = AST_SEL_CORE;
    if (ast_list_push(c->a, &q->cols, rcol) < 0)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    fr->kind = AST_FROM_TABLE;
    fr->name = name;
    q->from = fr;
    if (++c->depth > 64)
        return nq_err_set(c->e, NQ_ERROR, "views or WITH queries nest too deeply (or refer to themselves)");
    cc_scope inner = {0};
    inner.parent = sc ? sc->parent : NULL;
    inner.first_slot = c->nslots;
    inner.with = sc ? sc->with : NULL;
    cc_query cq;
    int rc = cc_query_compile(c, &inner, q, &cq);
    c->depth--;
    if (rc < 0)
        return nq_err_prefix(c->e, rc, "%s", d->name);
    if (inner.correlated && sc)
        sc->correlated = 1;
    int *m = ast_alloc(c->a, (size_t)(p->ncols + 1) * sizeof *m);
    if (!m)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int k = 0; k < p->ncols; k++) {
        m[k] = -1;
        for (int j = 0; j < cq.ncols; j++)
            if (cq.names[j] && !strcasecmp(cq.names[j], p->cols[k])) {
                m[k] = j;
                break;
            }
        if (m[k] < 0) {
            char need[128];
            size_t n = 0;
            need[0] = 0;
            for (int j = 0; j < p->ncols && n < sizeof need; j++)
                n += (size_t)snprintf(need + n, sizeof need - n, "%s%s", j ? ", " : "", p->cols[j]);
            return cc_fail(c, NQ_ESCHEMA, at, "%s: table %s has no column \"%s\" (%s needs columns %s)",
                           d->name, name, p->cols[k], p->name, need);
        }
    }
    *plan = cq.plan;
    *slot = cq.slot;
    *map = m;
    return 0;
}

int tf_compile(cc *c, cc_scope *sc, const tf_def *d, const char *const *tables,
               const ast_expr *const *table_at, bx **args, cc_query *out)
{
    op *inputs[TF_MAX_INPUTS];
    int in_slots[TF_MAX_INPUTS];
    int *in_maps[TF_MAX_INPUTS];
    const char *in_names[TF_MAX_INPUTS];
    int k = 0, rc;
    for (int i = 0; i < d->nparams; i++) {
        if (d->params[i].kind != TF_PARAM_TABLE)
            continue;
        if (k == TF_MAX_INPUTS)
            return nq_err_set(c->e, NQ_ERROR, "internal error: %s has too many table parameters", d->name);
        in_names[k] = tables[k];
        rc = compile_input(c, sc, d, &d->params[i], tables[k], table_at ? table_at[k] : NULL,
                           &inputs[k], &in_slots[k], &in_maps[k]);
        if (rc < 0)
            return rc;
        k++;
    }
    int slot = cc_new_slot(c, d->ncols);
    if (slot < 0)
        return slot;
    op *o = op_tablefunc_new(c->a, d, slot, inputs, in_slots, in_maps, in_names, k, args);
    if ((rc = cc_track_op(c, o)) < 0)
        return rc;
    out->plan = o;
    out->slot = slot;
    out->ncols = d->ncols;
    out->names = (const char **)d->cols;
    return 0;
}

/* A table argument: 'name' or a bare name. */
static const char *table_name(const ast_expr *x)
{
    if (x->kind == AST_E_STRING && x->len > 0 && strlen(x->text) == x->len)
        return x->text;
    if (x->kind == AST_E_COLUMN && !x->table && !x->schema)
        return x->name;
    return NULL;
}

int cc_tablefunc(cc *c, cc_scope *sc, const ast_from *fr, cc_query *out)
{
    if (fr->schema)
        return nq_err_set(c->e, NQ_ENOTSUP, "not supported yet: schema-qualified names (%s.%s)",
                          fr->schema, fr->name);
    const tf_def *d = tf_find(fr->name);
    if (!d) {
        char list[256];
        names(list, sizeof list);
        return nq_err_set(c->e, NQ_ESCHEMA, "no such table function: %s (table functions: %s)",
                          fr->name, list);
    }
    int nargs = fr->args.n;
    if (nargs < d->min_args || nargs > d->nparams) {
        char sig[256];
        signature(d, sig, sizeof sig);
        const ast_expr *at = nargs > d->nparams ? fr->args.v[d->nparams] : NULL;
        return cc_fail(c, NQ_EINVAL, at, "%s takes %d to %d arguments, not %d: %s", d->name,
                       d->min_args, d->nparams, nargs, sig);
    }
    const char *tables[TF_MAX_INPUTS];
    const ast_expr *table_at[TF_MAX_INPUTS];
    bx **args = ast_alloc(c->a, (size_t)(d->nparams + 1) * sizeof *args);
    if (!args)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    int k = 0;
    cc_scope empty = {0};
    empty.first_slot = c->nslots;
    empty.no_agg = 1;
    empty.no_agg_what = "aggregate functions are not allowed in table function arguments";
    for (int i = 0; i < d->nparams; i++) {
        const ast_expr *x = i < nargs ? fr->args.v[i] : NULL;
        if (d->params[i].kind == TF_PARAM_TABLE) {
            const char *name = x ? table_name(x) : NULL;
            if (!name)
                return cc_fail(c, NQ_EINVAL, x, "%s: argument %d (%s) must be a table name, written 'name' or name",
                               d->name, i + 1, d->params[i].name);
            tables[k] = name;
            table_at[k] = x;
            k++;
        } else if (x) {
            int rc = cc_expr(c, &empty, x, &args[i]);
            if (rc < 0)
                return nq_err_prefix(c->e, rc, "%s: argument %d (%s)", d->name, i + 1, d->params[i].name);
        }
    }
    return tf_compile(c, sc, d, tables, table_at, args, out);
}
