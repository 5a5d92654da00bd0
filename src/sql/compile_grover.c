/*
 * compile_grover.c — planning of USING QUANTUM GROVER and QUANTUM_SEARCH (which compiles as
 * SELECT * FROM t WHERE c with the hint): where a Grover search over the row-index space can
 * stand in for the FROM/WHERE part of a query block, and the classical plan where it cannot.
 *
 * The search needs one row-index space: rows 0..N-1 of one base table in rowid order. So the
 * block's FROM must be a single base table (not a join, a view, a CTE or a derived table);
 * then its FROM/WHERE becomes op_grover over a full scan of the table, and everything above it
 * (GROUP BY, aggregates, window functions, DISTINCT, ORDER BY, LIMIT) runs as usual over the
 * rows it returns. Otherwise the block gets the planner's classical plan (indexes and all)
 * under a node whose EXPLAIN line says why no search runs. A table whose row count (ANALYZE's,
 * or the B-tree's estimate) is more than twice the qubit budget's 2^MAX_QUBITS rows also gets
 * the classical plan, with an index when one serves; otherwise the Grover operator counts the
 * rows while reading and filters classically when they do not fit (exec_grover.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "quantum/statevec.h"
#include "sql/compile.h"

static int is_cte(const cc_scope *sc, const char *name)
{
    for (const cc_scope *s = sc; s; s = s->parent)
        if (s->with)
            for (int i = 0; i < s->with->ctes.n; i++)
                if (!strcasecmp(((const ast_cte *)s->with->ctes.v[i])->name, name))
                    return 1;
    return 0;
}

/* The table's rows as the planner estimates them (compile_from.c's table_rows). */
static double est_rows(const cat_table *t)
{
    if (t->stat_rows)
        return (double)t->stat_rows;
    uint64_t n;
    if (t->handle && nq_tree_estimate(t->handle, &n) == NQ_OK)
        return (double)n;
    return 0;
}

static int classical(cc *c, cc_scope *sc, const ast_select *q, const char *why, op **out)
{
    op *plan;
    int rc = cc_from(c, sc, q->from, q->where, &plan);
    if (rc < 0)
        return rc;
    const char *w = ast_strndup(c->a, why, strlen(why));
    op *k = w ? op_grover_skip_new(c->a, plan, w) : NULL;
    if ((rc = cc_track_op(c, k)) < 0)
        return rc;
    k->est_rows = plan->est_rows;
    k->est_cost = plan->est_cost;
    *out = k;
    return 0;
}

int cc_grover_from(cc *c, cc_scope *sc, const ast_select *q, op **out)
{
    const ast_grover *g = &q->grover;
    grover_opts o = {0};
    o.amplify = (g->set & AST_GROVER_AMPLIFY) != 0;
    o.max_iterations = g->set & AST_GROVER_MAX_ITER ? g->max_iterations : 0;
    o.iterations = g->set & AST_GROVER_ITER ? g->iterations : -1;
    o.max_qubits = g->set & AST_GROVER_MAX_QUBITS ? (int)g->max_qubits : GROVER_DEFAULT_QUBITS;
    o.seed = g->set & AST_GROVER_SEED ? (uint64_t)g->seed : GROVER_DEFAULT_SEED;
    int maxq = statevec_max_qubits(STATEVEC_F64, 0);
    if (o.max_qubits > maxq)
        return nq_err_set(c->e, NQ_EINVAL,
                          "MAX_QUBITS %d is past the simulator's memory budget: at most %d qubits (%llu MiB of amplitudes in double precision)",
                          o.max_qubits, maxq, (unsigned long long)(((uint64_t)16 << maxq) >> 20));
    if (o.amplify && (g->set & AST_GROVER_ITER))
        return nq_err_set(c->e, NQ_EINVAL,
                          "ITERATIONS cannot be combined with AMPLITUDE_AMPLIFICATION, which chooses the iterations at random");
    const ast_from *f = q->from;
    char why[200];
    if (!f)
        return classical(c, sc, q, "the query reads no table, so there is no row-index space", out);
    if (f->kind == AST_FROM_JOIN)
        return classical(c, sc, q, "a join has no single row-index space", out);
    if (f->kind == AST_FROM_FUNC)
        return classical(c, sc, q, "a table function has no stored row-index space", out);
    if (f->kind != AST_FROM_TABLE)
        return classical(c, sc, q, "a derived table has no stored row-index space", out);
    if (f->schema)
        return cc_from(c, sc, f, q->where, out); /* the planner's own error */
    if (is_cte(sc, f->name))
        return classical(c, sc, q, "a WITH query has no stored row-index space", out);
    cat_table *t = cat_table_find(c->cat, f->name);
    if (!t) {
        if (cat_view_find(c->cat, f->name))
            return classical(c, sc, q, "a view has no stored row-index space", out);
        return cc_from(c, sc, f, q->where, out); /* no such table */
    }
    /* the B-tree's estimate can be a few percent high: only a table estimated past twice the
     * budget is planned classically here; the operator decides exactly while it reads */
    double est = est_rows(t);
    if (est > 2 * (double)((uint64_t)1 << o.max_qubits)) {
        snprintf(why, sizeof why, "%s holds about %.0f rows, more than twice the %d-qubit budget's %llu",
                 t->name, est, o.max_qubits, (unsigned long long)((uint64_t)1 << o.max_qubits));
        return classical(c, sc, q, why, out);
    }
    op *scan;
    int rc = cc_from(c, sc, f, NULL, &scan);
    if (rc < 0)
        return rc;
    bx *cond = NULL;
    if (q->where) {
        sc->no_agg = 1;
        sc->no_agg_what = "aggregate functions are not allowed in WHERE";
        rc = cc_expr(c, sc, q->where, &cond);
        sc->no_agg = 0;
        if (rc < 0)
            return rc;
    } else {
        cond = cc_const(c, sqlv_bool(1));
        if (!cond)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    }
    op *gop = op_grover_new(c->a, scan, t, cond, &o);
    if ((rc = cc_track_op(c, gop)) < 0)
        return rc;
    gop->est_rows = scan->est_rows / 2 > 1 ? scan->est_rows / 2 : 1;
    /* reading, the predicate on every row, and ~sqrt(N) passes over 2^n amplitudes */
    double n = scan->est_rows > 1 ? scan->est_rows : 1;
    gop->est_cost = scan->est_cost + n + n * sqrt(n);
    *out = gop;
    return 0;
}

int cc_quantum_search(cc *c, const ast_ext *x, uint32_t line, uint32_t col, cc_query *out)
{
    /* SELECT * FROM t WHERE c USING QUANTUM GROVER <options> */
    ast_select *q = ast_alloc(c->a, sizeof *q);
    ast_result_col *rc = ast_alloc(c->a, sizeof *rc);
    ast_expr *star = ast_alloc(c->a, sizeof *star);
    ast_from *f = ast_alloc(c->a, sizeof *f);
    if (!q || !rc || !star || !f || ast_list_push(c->a, &q->cols, rc))
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    star->kind = AST_E_STAR;
    star->line = line;
    star->col = col;
    rc->e = star;
    f->kind = AST_FROM_TABLE;
    f->schema = x->table.schema;
    f->name = x->table.name;
    q->kind = AST_SEL_CORE;
    q->from = f;
    q->where = x->where;
    q->quantum_grover = 1;
    q->grover = x->grover;
    return cc_query_compile(c, NULL, q, out);
}
