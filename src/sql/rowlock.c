/*
 * rowlock.c — SELECT ... FOR UPDATE / FOR SHARE: which queries may lock their rows, and which
 * tables of the FROM clause a locking clause names.
 *
 * As in PostgreSQL, a locking clause locks the rows the query returns, so the query must
 * return table rows one for one: no DISTINCT, GROUP BY, HAVING, aggregates, window functions,
 * UNION/INTERSECT/EXCEPT or VALUES ("FOR UPDATE is not allowed with ..."), and OF names tables
 * (or their aliases) of its own FROM clause. SKIP LOCKED is not built ("not supported yet").
 * NOWAIT fails at once (55P03) where the lock would wait. A read-only transaction refuses
 * locking clauses (25006), as PostgreSQL does.
 */
#include <string.h>

#include "sql/compile.h"
#include "sql/rowlock.h"

static const char *strength_name(ast_lock_strength s)
{
    static const char *const n[] = {"FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE"};
    return n[s];
}

/* Is name a table (by its alias, else its name) of the FROM tree f? Subqueries and table
 * functions do not count: their rows are not a table's. */
static int from_has(const ast_from *f, const char *name)
{
    if (!f)
        return 0;
    switch (f->kind) {
    case AST_FROM_TABLE:
        return !strcmp(f->alias ? f->alias : f->name, name);
    case AST_FROM_JOIN:
        return from_has(f->left, name) || from_has(f->right, name);
    default:
        return f->alias && !strcmp(f->alias, name);
    }
}

static int has_window(const ast_expr *e)
{
    if (!e)
        return 0;
    if (e->kind == AST_E_FUNC && e->over)
        return 1;
    if (has_window(e->a) || has_window(e->b) || has_window(e->c))
        return 1;
    for (int i = 0; i < e->list.n; i++)
        if (has_window(e->list.v[i]))
            return 1;
    return 0;
}

int rl_check(const ast_select *sel, nq_err *e)
{
    if (!sel->locking.n)
        return 0;
    const ast_locking *first = sel->locking.v[0];
    const char *what = strength_name(first->strength);
    for (int i = 0; i < sel->locking.n; i++) {
        const ast_locking *l = sel->locking.v[i];
        if (l->wait == AST_LOCK_SKIP_LOCKED)
            return nq_err_set(e, NQ_ENOTSUP, "not supported yet: SKIP LOCKED");
    }
    if (sel->kind == AST_SEL_COMPOUND)
        return nq_err_set(e, NQ_ENOTSUP, "%s is not allowed with UNION/INTERSECT/EXCEPT", what);
    if (sel->kind == AST_SEL_VALUES || !sel->from)
        return nq_err_set(e, NQ_ENOTSUP, "%s must name a table of the FROM clause: this query has none", what);
    if (sel->distinct == 1)
        return nq_err_set(e, NQ_ENOTSUP, "%s is not allowed with DISTINCT clause", what);
    if (sel->group_by.n)
        return nq_err_set(e, NQ_ENOTSUP, "%s is not allowed with GROUP BY clause", what);
    if (sel->having)
        return nq_err_set(e, NQ_ENOTSUP, "%s is not allowed with HAVING clause", what);
    for (int i = 0; i < sel->cols.n; i++) {
        const ast_result_col *rc = sel->cols.v[i];
        if (rc->e && cc_has_agg(rc->e))
            return nq_err_set(e, NQ_ENOTSUP, "%s is not allowed with aggregate functions", what);
        if (has_window(rc->e))
            return nq_err_set(e, NQ_ENOTSUP, "%s is not allowed with window functions", what);
    }
    for (int i = 0; i < sel->locking.n; i++) {
        const ast_locking *l = sel->locking.v[i];
        for (int j = 0; j < l->of.n; j++)
            if (!from_has(sel->from, l->of.v[j]))
                return nq_err_set(e, NQ_ESCHEMA,
                                  "relation \"%s\" in %s clause not found in FROM clause",
                                  (const char *)l->of.v[j], strength_name(l->strength));
    }
    return 0;
}
