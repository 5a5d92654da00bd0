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
 *
 * How rows are locked: every scan of a locked table in the query's plan (table scans and index
 * scans, exec_scan.c) locks each row it reads with nq_lock_key on the table's row key —
 * FOR UPDATE / FOR NO KEY UPDATE exclusively (NQ_LOCK_ROW_UPDATE_KEY), FOR SHARE / FOR KEY
 * SHARE shared — inside a concurrent transaction, held until it ends. The rows read are those
 * inside the scan's key or index bounds: the rows returned, plus those a condition that no
 * index serves filters out later (PostgreSQL locks exactly the returned rows; here a query
 * whose WHERE is not served by a key or an index locks more). Under READ COMMITTED a row
 * changed after the statement's snapshot makes the lock fail with NQ_ECONFLICT, and the
 * statement starts again on a new snapshot (stmt.c) — before its first row was returned; after
 * that it fails with 40001.
 */
#include <string.h>

#include "sql/compile.h"
#include "sql/ops.h"
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

/* The lock a clause asks for. */
static int clause_mode(const ast_locking *l)
{
    int m = l->strength == AST_LOCK_UPDATE || l->strength == AST_LOCK_NO_KEY_UPDATE
                ? NQ_LOCK_ROW_UPDATE_KEY
                : NQ_LOCK_ROW_SHARE_KEY;
    return m | (l->wait == AST_LOCK_NOWAIT ? NQ_LOCK_NOWAIT : 0);
}

static int stronger(int a, int b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    int m = (a & 0xff) > (b & 0xff) ? a & 0xff : b & 0xff;
    return m | ((a | b) & NQ_LOCK_NOWAIT);
}

static void apply_from(const ast_select *sel, const ast_from *f, const catalog *cat, op *plan)
{
    if (!f)
        return;
    if (f->kind == AST_FROM_JOIN) {
        apply_from(sel, f->left, cat, plan);
        apply_from(sel, f->right, cat, plan);
        return;
    }
    if (f->kind != AST_FROM_TABLE)
        return;
    const char *name = f->alias ? f->alias : f->name;
    int mode = 0;
    for (int i = 0; i < sel->locking.n; i++) {
        const ast_locking *l = sel->locking.v[i];
        int hit = l->of.n == 0;
        for (int j = 0; j < l->of.n && !hit; j++)
            hit = !strcmp(l->of.v[j], name);
        if (hit)
            mode = stronger(mode, clause_mode(l));
    }
    const cat_table *t = cat_table_find(cat, f->name);
    if (mode && t)
        op_scan_set_lock(plan, t, mode);
}

void rl_apply(const ast_select *sel, const catalog *cat, op *plan)
{
    if (sel->locking.n && plan)
        apply_from(sel, sel->from, cat, plan);
}
