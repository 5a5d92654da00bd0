/*
 * exec_dml.c — INSERT, UPDATE and DELETE: compiling them, and running them to completion.
 *
 * A data-changing statement runs entirely in its first step (inside the statement bracket of
 * session.h, so it is atomic); RETURNING rows are buffered and handed out by the following
 * steps. UPDATE and DELETE first collect the target rows (rowid and an owned copy of the old
 * values) and only then change them, so a change can never be seen again by the scan that
 * found it (the "Halloween problem": an UPDATE raising an indexed value would otherwise meet
 * the row again further along the index). INSERT ... SELECT likewise reads its source to the
 * end before inserting, so `INSERT INTO t SELECT * FROM t` doubles t once.
 *
 * Each new or changed row is made complete and typed here — defaults, conversion to the
 * column types, NOT NULL, CHECK — before tablerw.h writes it and enforces the keys. Messages
 * follow PostgreSQL's wording. Two deliberate departures from PostgreSQL, both SQLite's
 * behaviour and both exercised by the sqllogictest corpus: the n of VARCHAR(n)/CHAR(n) is
 * not enforced (the declared length is kept in the schema, values are stored whole), and in
 * `UPDATE t SET x = 1, x = 2` the last assignment wins.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/compile.h"
#include "sql/dml.h"
#include "sql/keymap.h"
#include "sql/fk.h"

/* ---- compiling -------------------------------------------------------------------------- */
/* WITH before a data-changing statement: a scope that only carries the CTEs. */
static cc_scope *with_scope(cc *c, const ast_with *w)
{
    if (!w)
        return NULL;
    cc_scope *sc = ast_alloc(c->a, sizeof *sc);
    if (sc) {
        sc->first_slot = c->nslots;
        sc->with = w;
    } else
        nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    return sc;
}

static int table_scope(cc *c, cc_scope *sc, cat_table *t, const char *alias, int slot)
{
    const char **names = ast_alloc(c->a, sizeof(char *) * (size_t)(t->ncols + 1));
    if (!names)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < t->ncols; i++)
        names[i] = t->cols[i].name;
    sc->first_slot = slot;
    return cc_scope_add(c, sc, alias ? alias : t->name, slot, t->ncols, names, t);
}

static int bind_checks_returning(cc *c, dml_plan *d, const ast_list *returning, const char *alias)
{
    cat_table *t = d->t;
    cc_scope *ns = ast_alloc(c->a, sizeof *ns);
    if (!ns)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    int rc = table_scope(c, ns, t, alias, d->new_slot);
    if (rc < 0)
        return rc;
    if (t->nchecks && !(d->checks = ast_alloc(c->a, sizeof(bx *) * (size_t)t->nchecks)))
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < t->nchecks; i++)
        if ((rc = cc_expr(c, ns, t->checks[i].e, &d->checks[i])) < 0)
            return rc;
    d->nret = 0;
    for (int i = 0; i < returning->n; i++) {
        ast_result_col *r = returning->v[i];
        d->nret += r->e->kind == AST_E_STAR ? t->ncols : 1;
    }
    if (d->nret) {
        d->ret = ast_alloc(c->a, sizeof(bx *) * (size_t)d->nret);
        d->ret_names = ast_alloc(c->a, sizeof(char *) * (size_t)d->nret);
        if (!d->ret || !d->ret_names)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        int k = 0;
        for (int i = 0; i < returning->n; i++) {
            ast_result_col *r = returning->v[i];
            if (r->e->kind == AST_E_STAR) {
                for (int j = 0; j < t->ncols; j++) {
                    bx *b = ast_alloc(c->a, sizeof *b);
                    if (!b)
                        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
                    b->kind = BX_COL;
                    b->slot = d->new_slot;
                    b->col = j;
                    d->ret[k] = b;
                    d->ret_names[k++] = t->cols[j].name;
                }
                continue;
            }
            if ((rc = cc_expr(c, ns, r->e, &d->ret[k])) < 0)
                return rc;
            d->ret_names[k++] = r->alias ? r->alias
                                : r->e->kind == AST_E_COLUMN ? r->e->name : ast_expr_to_sql(c->a, r->e);
        }
    }
    return 0;
}

static int bind_defaults(cc *c, dml_plan *d)
{
    cat_table *t = d->t;
    d->dflt = ast_alloc(c->a, sizeof(bx *) * (size_t)(t->ncols + 1));
    if (!d->dflt)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < t->ncols; i++) {
        if (t->cols[i].dflt) {
            int rc = cc_expr(c, NULL, t->cols[i].dflt, &d->dflt[i]);
            if (rc < 0)
                return rc;
        } else if (!(d->dflt[i] = cc_const(c, sqlv_null())))
            return NQ_ENOMEM;
    }
    return 0;
}

static cat_table *target(cc *c, const ast_qname *q, const char *verb)
{
    cat_table *t = q->schema ? NULL : cat_table_find(c->cat, q->name);
    if (!t) {
        if (cat_view_find(c->cat, q->name))
            cc_fail(c, NQ_ESCHEMA, NULL, "cannot %s view \"%s\": views are read-only", verb, q->name);
        else
            cc_fail(c, NQ_ESCHEMA, NULL, "no such table: %s%s%s", q->schema ? q->schema : "",
                    q->schema ? "." : "", q->name);
    }
    return t;
}

/* SET c = e, (c1, c2) = (e1, e2), c = DEFAULT: one (column, expression) pair per assigned
 * column, bound in sc; shared by UPDATE and ON CONFLICT DO UPDATE. A column assigned twice
 * keeps both pairs, applied in order, so the last one wins (SQLite; PostgreSQL refuses). */
static int bind_sets(cc *c, cc_scope *sc, dml_plan *d, const ast_list *sets, int **cols,
                     bx ***exprs, int *n)
{
    cat_table *t = d->t;
    int total = 0;
    for (int i = 0; i < sets->n; i++)
        total += ((ast_set *)sets->v[i])->cols.n;
    *cols = ast_alloc(c->a, sizeof(int) * (size_t)(total + 1));
    *exprs = ast_alloc(c->a, sizeof(bx *) * (size_t)(total + 1));
    if (!*cols || !*exprs)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    *n = 0;
    for (int i = 0; i < sets->n; i++) {
        ast_set *st = sets->v[i];
        bx *e = NULL;
        int rc;
        if (st->e->kind != AST_E_DEFAULT && (rc = cc_expr(c, sc, st->e, &e)) < 0)
            return rc;
        if (st->cols.n > 1 && (!e || e->kind != BX_ROW || e->nargs != st->cols.n))
            return nq_err_set(c->e, NQ_ESCHEMA, "number of columns does not match number of values");
        for (int j = 0; j < st->cols.n; j++) {
            int col = cat_column_find(t, st->cols.v[j]);
            if (col < 0)
                return nq_err_set(c->e, NQ_ESCHEMA, "no such column: %s", (const char *)st->cols.v[j]);
            (*cols)[*n] = col;
            (*exprs)[(*n)++] = !e ? d->dflt[col] : st->cols.n > 1 ? e->args[j] : e;
        }
    }
    return 0;
}

/* ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET ... [WHERE ...]. The target must name the
 * columns of the primary key or of a unique index, as in PostgreSQL. */
static int compile_upserts(cc *c, dml_plan *d, const ast_insert *ins)
{
    cat_table *t = d->t;
    d->nups = ins->upserts.n;
    d->ups = ast_alloc(c->a, sizeof(dml_upsert) * (size_t)d->nups);
    if (!d->ups)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    cc_scope *sc = NULL;
    for (int u = 0; u < d->nups; u++) {
        const ast_upsert *au = ins->upserts.v[u];
        dml_upsert *du = &d->ups[u];
        du->do_nothing = au->do_nothing;
        if (au->target_where)
            return nq_err_set(c->e, NQ_ENOTSUP, "not supported yet: ON CONFLICT (...) WHERE (partial index targets)");
        if (!au->target.n) {
            if (!au->do_nothing)
                return nq_err_set(c->e, NQ_ESYNTAX, "ON CONFLICT DO UPDATE requires a conflict target, e.g. ON CONFLICT (id)");
            du->any = 1;
        } else {
            int cols[64], n = au->target.n;
            if (n > 64)
                return nq_err_set(c->e, NQ_ETOOBIG, "too many conflict target columns");
            for (int i = 0; i < n; i++) {
                const ast_order *o = au->target.v[i];
                if (o->e->kind != AST_E_COLUMN)
                    return nq_err_set(c->e, NQ_ENOTSUP, "not supported yet: expressions as ON CONFLICT targets");
                if ((cols[i] = cat_column_find(t, o->e->name)) < 0)
                    return cc_fail(c, NQ_ESCHEMA, o->e, "column \"%s\" does not exist", o->e->name);
            }
            if (n == 1 && cols[0] == t->ipk)
                du->ipk = 1;
            for (int x = 0; x < t->nidx && !du->ipk && !du->ix; x++) {
                cat_index *ix = t->idx[x];
                if (!ix->unique || ix->ncols != n)
                    continue;
                int all = 1;
                for (int i = 0; i < n && all; i++) {
                    int found = 0;
                    for (int k = 0; k < n; k++)
                        found |= ix->cols[k] == cols[i];
                    all = found;
                }
                if (all)
                    du->ix = ix;
            }
            if (!du->ipk && !du->ix)
                return nq_err_set(c->e, NQ_ESCHEMA, "there is no unique or exclusion constraint matching the ON CONFLICT specification");
        }
        if (au->do_nothing)
            continue;
        if (!sc) {
            /* SET and WHERE see the existing row by the table's name and the proposed one as
             * excluded */
            sc = ast_alloc(c->a, sizeof *sc);
            if (!sc)
                return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            d->old_slot = cc_new_slot(c, t->ncols + 1);
            d->excl_slot = cc_new_slot(c, t->ncols + 1);
            int rc = table_scope(c, sc, t, ins->alias, d->old_slot);
            const char **names = ast_alloc(c->a, sizeof(char *) * (size_t)(t->ncols + 1));
            if (!names)
                return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            for (int i = 0; i < t->ncols; i++)
                names[i] = t->cols[i].name;
            if (rc == 0)
                rc = cc_scope_add(c, sc, "excluded", d->excl_slot, t->ncols, names, t);
            if (rc < 0)
                return rc;
        }
        int rc = bind_sets(c, sc, d, &au->sets, &du->set_cols, &du->set_exprs, &du->nset);
        if (rc == 0 && au->where)
            rc = cc_expr(c, sc, au->where, &du->where);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int dml_compile_insert(cc *c, const ast_insert *ins, dml_plan **out)
{
    cc_scope *wsc = with_scope(c, ins->with);
    if (ins->with && !wsc)
        return NQ_ENOMEM;
    dml_plan *d = ast_alloc(c->a, sizeof *d);
    if (!d)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    d->kind = DML_INSERT;
    if (!(d->t = target(c, &ins->table, "insert into")))
        return c->e->code;
    cat_table *t = d->t;
    d->referenced = fk_is_referenced(c->cat, t);
    d->conflict = TW_ABORT;
    if (ins->or_action == AST_OR_IGNORE)
        d->conflict = TW_IGNORE;
    else if (ins->or_action == AST_OR_REPLACE || ins->replace_into)
        d->conflict = TW_REPLACE;
    if (ins->upserts.n && d->conflict != TW_ABORT)
        return nq_err_set(c->e, NQ_ESYNTAX, "ON CONFLICT cannot be combined with INSERT OR IGNORE/REPLACE");
    /* column list -> table columns */
    int n = ins->cols.n ? ins->cols.n : t->ncols;
    d->map = ast_alloc(c->a, sizeof(int) * (size_t)(n + 1));
    if (!d->map)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        if (!ins->cols.n) {
            d->map[i] = i;
            continue;
        }
        int k = cat_column_find(t, ins->cols.v[i]);
        if (k < 0)
            return nq_err_set(c->e, NQ_ESCHEMA, "table %s has no column named %s", t->name,
                              (const char *)ins->cols.v[i]);
        for (int j = 0; j < i; j++)
            if (d->map[j] == k)
                return nq_err_set(c->e, NQ_ESCHEMA, "column \"%s\" specified more than once", t->cols[k].name);
        d->map[i] = k;
    }
    d->nmap = n;
    int rc = bind_defaults(c, d);
    if (rc < 0)
        return rc;
    d->new_slot = cc_new_slot(c, t->ncols + 1);
    if (ins->source && ins->source->kind == AST_SEL_VALUES && !ins->source->order_by.n &&
        !ins->source->limit && !ins->source->with) {
        const ast_select *v = ins->source;
        d->nrows = v->rows.n;
        d->rows = ast_alloc(c->a, sizeof(bx **) * (size_t)(d->nrows + 1));
        if (!d->rows)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        for (int r = 0; r < d->nrows; r++) {
            ast_list *l = v->rows.v[r];
            if (l->n != n)
                return nq_err_set(c->e, NQ_ESCHEMA, "%d values for %d columns", l->n, n);
            d->rows[r] = ast_alloc(c->a, sizeof(bx *) * (size_t)(n + 1));
            if (!d->rows[r])
                return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
            for (int i = 0; i < n; i++) {
                ast_expr *x = l->v[i];
                if (x->kind == AST_E_DEFAULT)
                    d->rows[r][i] = d->dflt[d->map[i]];
                else if ((rc = cc_expr(c, wsc, x, &d->rows[r][i])) < 0)
                    return rc;
            }
        }
    } else if (ins->source) {
        cc_query q;
        if ((rc = cc_query_compile(c, wsc, ins->source, &q)) < 0)
            return rc;
        if (q.ncols != n)
            return nq_err_set(c->e, NQ_ESCHEMA, "table %s has %d columns but %d values were supplied",
                              t->name, n, q.ncols);
        d->src = q.plan;
        d->src_slot = q.slot;
    } else {
        d->nrows = 1; /* DEFAULT VALUES */
        d->nmap = 0;
        d->rows = ast_alloc(c->a, sizeof(bx **));
        if (!d->rows)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    }
    if ((rc = bind_checks_returning(c, d, &ins->returning, ins->alias)) < 0)
        return rc;
    if (ins->upserts.n && (rc = compile_upserts(c, d, ins)) < 0)
        return rc;
    *out = d;
    return 0;
}

static int compile_target_scan(cc *c, dml_plan *d, const ast_qname *tq, const char *alias,
                               const ast_expr *where, const ast_with *with, ast_from *extra,
                               cc_scope **scout)
{
    cc_scope *sc = ast_alloc(c->a, sizeof *sc);
    if (sc)
        sc->with = with;
    ast_from *fr = ast_alloc(c->a, sizeof *fr);
    if (!sc || !fr)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    fr->kind = AST_FROM_TABLE;
    fr->name = tq->name;
    fr->alias = alias;
    if (extra) {
        /* UPDATE t ... FROM x: t joined with the FROM items; t stays the first source */
        ast_from *j = ast_alloc(c->a, sizeof *j);
        if (!j)
            return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        j->kind = AST_FROM_JOIN;
        j->jtype = AST_JOIN_COMMA;
        j->left = fr;
        j->right = extra;
        fr = j;
    }
    sc->first_slot = c->nslots;
    int rc = cc_from(c, sc, fr, where, &d->src);
    if (rc < 0)
        return rc;
    d->src_slot = sc->srcs[0].slot;
    *scout = sc;
    return 0;
}

int dml_compile_update(cc *c, const ast_update *up, dml_plan **out)
{
    dml_plan *d = ast_alloc(c->a, sizeof *d);
    if (!d)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    d->kind = DML_UPDATE;
    if (!(d->t = target(c, &up->table, "update")))
        return c->e->code;
    cat_table *t = d->t;
    d->referenced = fk_is_referenced(c->cat, t);
    d->conflict = up->or_action == AST_OR_IGNORE ? TW_IGNORE : up->or_action == AST_OR_REPLACE ? TW_REPLACE : TW_ABORT;
    cc_scope *sc;
    int rc = compile_target_scan(c, d, &up->table, up->alias, up->where, up->with, up->from, &sc);
    d->from_join = up->from != NULL;
    if (rc < 0)
        return rc;
    if ((rc = bind_defaults(c, d)) < 0 ||
        (rc = bind_sets(c, sc, d, &up->sets, &d->set_cols, &d->set_exprs, &d->nset)) < 0)
        return rc;
    d->new_slot = cc_new_slot(c, t->ncols + 1);
    if ((rc = bind_checks_returning(c, d, &up->returning, up->alias)) < 0)
        return rc;
    *out = d;
    return 0;
}

int dml_compile_delete(cc *c, const ast_delete *del, dml_plan **out)
{
    dml_plan *d = ast_alloc(c->a, sizeof *d);
    if (!d)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    d->kind = DML_DELETE;
    if (!(d->t = target(c, &del->table, "delete from")))
        return c->e->code;
    cc_scope *sc;
    int rc = compile_target_scan(c, d, &del->table, del->alias, del->where, del->with, NULL, &sc);
    if (rc < 0)
        return rc;
    d->referenced = fk_is_referenced(c->cat, d->t);
    d->truncate = !del->where && !del->returning.n && !d->referenced;
    d->new_slot = d->src_slot; /* RETURNING of DELETE reads the old row */
    if ((rc = bind_checks_returning(c, d, &del->returning, del->alias)) < 0)
        return rc;
    *out = d;
    return 0;
}

/* ---- running ---------------------------------------------------------------------------- */
static int out_push(dml_plan *d, dml_out *o, xenv *x, nq_err *e)
{
    if (!d->nret)
        return 0;
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 16;
        sqlv *nr = realloc(o->rows, nc * (size_t)d->nret * sizeof(sqlv));
        if (!nr)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        o->rows = nr;
        o->cap = nc;
    }
    sqlv *row = o->rows + o->n * (size_t)d->nret;
    for (int i = 0; i < d->nret; i++) {
        sqlv v;
        int rc = ev(d->ret[i], x, &v, e);
        if (rc == 0 && !v.owned)
            rc = sqlv_copy(&v, &row[i], e);
        else if (rc == 0)
            row[i] = v;
        if (rc < 0) {
            rows_clear(row, i);
            return rc;
        }
    }
    o->n++;
    return 0;
}

/* Coerce, check NOT NULL / length / CHECK. vals[t->ncols] is free for the rowid. */
static int prepare_row(dml_plan *d, sqlv *vals, xenv *x, nq_err *e)
{
    cat_table *t = d->t;
    for (int i = 0; i < t->ncols; i++) {
        cat_column *col = &t->cols[i];
        sqlv *v = &vals[i];
        if (v->type == SQLV_NULL) {
            if (col->notnull && !(i == t->ipk) && !col->autoinc)
                return nq_err_set(e, NQ_ECONSTRAINT,
                                  "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
                                  col->name, t->name);
            continue;
        }
        if (col->type != SQLV_NULL && v->type != col->type) {
            sqlv cv;
            int rc = sqlv_cast(v, col->type, &cv, e);
            if (rc < 0)
                return nq_err_prefix(e, rc, "column \"%s\"", col->name);
            if (cv.owned || !cv.p || cv.p != v->p) {
                sqlv_clear(v);
                *v = cv;
            } else
                cv.owned = 0; /* the cast handed the same bytes back */
        }
    }
    if (t->nchecks) {
        x->slot[d->new_slot] = vals;
        for (int i = 0; i < t->nchecks; i++) {
            int tr, rc = ev_truth(d->checks[i], x, &tr, e);
            if (rc < 0)
                return rc;
            if (tr == 0) {
                if (t->checks[i].name)
                    return nq_err_set(e, NQ_ECONSTRAINT,
                                      "new row for relation \"%s\" violates check constraint \"%s\"",
                                      t->name, t->checks[i].name);
                return nq_err_set(e, NQ_ECONSTRAINT, "new row for relation \"%s\" violates a check constraint",
                                  t->name);
            }
        }
    }
    return 0;
}

static int own(sqlv *dst, const sqlv *v, nq_err *e)
{
    if (v->owned || !v->p) {
        *dst = *v;
        return 0;
    }
    return sqlv_copy(v, dst, e);
}

static int own(sqlv *dst, const sqlv *v, nq_err *e);

/* Evaluate SET expressions against the current registers into owned values (setv[n]). */
static int eval_sets(bx **exprs, int n, xenv *x, sqlv *setv, nq_err *e)
{
    for (int k = 0; k < n; k++) {
        sqlv v;
        int rc = ev(exprs[k], x, &v, e);
        if (rc == 0)
            rc = own(&setv[k], &v, e);
        if (rc < 0) {
            rows_clear(setv, k);
            return rc;
        }
    }
    return 0;
}

/* Row rowid of t, whose values are old, gets the SET values setv (n, owned, consumed here: the
 * last assignment to a column wins): checked, written, counted and RETURNed. One path for
 * UPDATE and ON CONFLICT DO UPDATE. */
static int apply_update(dml_plan *d, xenv *x, dml_out *o, int64_t rowid, const sqlv *old,
                        const int *cols, sqlv *setv, int n, nq_err *e)
{
    cat_table *t = d->t;
    int w = t->ncols + 1;
    sqlv *nv = calloc((size_t)w, sizeof(sqlv));
    if (!nv) {
        rows_clear(setv, n);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    for (int i = 0; i < t->ncols; i++) {
        nv[i] = old[i];
        nv[i].owned = 0;
    }
    for (int k = 0; k < n; k++) {
        if (nv[cols[k]].owned)
            sqlv_clear(&nv[cols[k]]);
        nv[cols[k]] = setv[k];
        setv[k] = sqlv_null();
    }
    int rc = prepare_row(d, nv, x, e);
    int64_t new_rowid = rowid;
    if (rc >= 0 && t->ipk >= 0) {
        if (nv[t->ipk].type == SQLV_NULL)
            rc = nq_err_set(e, NQ_ECONSTRAINT, "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
                            t->cols[t->ipk].name, t->name);
        else
            new_rowid = nv[t->ipk].i;
    }
    if (rc >= 0 && t->nfks)
        rc = fk_check_child(x->s, t, nv, old, e);
    if (rc >= 0 && d->referenced && (rc = fk_parent_lock(x->s, t, rowid, e)) >= 0)
        rc = fk_parent_update(x->s, t, old, nv, e);
    if (rc >= 0)
        rc = tw_update(x->s, t, rowid, old, new_rowid, nv, e);
    if (rc >= 0) {
        o->changes++;
        nv[t->ncols] = sqlv_int(new_rowid);
        x->slot[d->new_slot] = nv;
        rc = out_push(d, o, x, e);
    }
    for (int i = 0; i < w; i++)
        if (nv[i].owned)
            sqlv_clear(&nv[i]);
    free(nv);
    return rc < 0 ? rc : 0;
}

/* The proposed row conflicts: run the matching ON CONFLICT clause. 1 = handled (skipped or
 * updated), 0 = no clause matches (the insert goes on and reports the violation). */
static int upsert(dml_plan *d, sqlv *vals, int have, int64_t rowid, xenv *x, dml_out *o, nq_err *e)
{
    cat_table *t = d->t;
    tw_conflict cf[65];
    int max = t->nidx + 1 < 65 ? t->nidx + 1 : 65;
    int n = tw_find_conflicts(x->s, t, vals, have, rowid, NULL, cf, max, e);
    if (n <= 0)
        return n;
    for (int u = 0; u < d->nups; u++) {
        dml_upsert *du = &d->ups[u];
        int hit = -1;
        for (int k = 0; k < n && hit < 0; k++)
            if (du->any || (du->ipk && !cf[k].ix) || (du->ix && cf[k].ix == du->ix))
                hit = k;
        if (hit < 0)
            continue;
        if (du->do_nothing)
            return 1;
        /* DO UPDATE on the existing row */
        sqlv *old = calloc((size_t)t->ncols + 1, sizeof(sqlv));
        sqlv *setv = calloc((size_t)du->nset + 1, sizeof(sqlv));
        uint8_t *buf = NULL;
        int rc = old && setv ? 0 : nq_err_set(e, NQ_ENOMEM, "out of memory");
        int64_t target = cf[hit].rowid;
        if (rc == 0)
            rc = tw_fetch(x->s, t, target, old, &buf, e);
        if (rc == 0) {
            if (t->ipk >= 0)
                old[t->ipk] = sqlv_int(target);
            old[t->ncols] = sqlv_int(target);
            x->slot[d->old_slot] = old;
            x->slot[d->excl_slot] = vals;
            int tr = 1;
            if (du->where)
                rc = ev_truth(du->where, x, &tr, e);
            if (rc == 0 && tr == 1 && (rc = eval_sets(du->set_exprs, du->nset, x, setv, e)) == 0)
                rc = apply_update(d, x, o, target, old, du->set_cols, setv, du->nset, e);
            if (rc == 0)
                rc = 1; /* handled: updated, or skipped by the WHERE */
        }
        free(setv);
        free(old);
        free(buf);
        return rc;
    }
    return 0;
}

static int insert_row(dml_plan *d, sqlv *vals, xenv *x, dml_out *o, nq_err *e)
{
    cat_table *t = d->t;
    int rc = prepare_row(d, vals, x, e);
    if (rc < 0)
        return rc;
    int64_t rowid = 0;
    int have = t->ipk >= 0 && vals[t->ipk].type == SQLV_INT;
    if (have)
        rowid = vals[t->ipk].i;
    if (d->nups) {
        rc = upsert(d, vals, have, rowid, x, o, e);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
    if (t->nfks && (rc = fk_check_child(x->s, t, vals, NULL, e)) < 0)
        return rc;
    int replaced = 0;
    rc = tw_insert(x->s, t, vals, have, &rowid, d->conflict, &replaced, e);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return 0; /* ignored */
    if (t->ipk >= 0)
        vals[t->ipk] = sqlv_int(rowid);
    vals[t->ncols] = sqlv_int(rowid);
    x->s->last_rowid = rowid;
    o->changes++;
    x->slot[d->new_slot] = vals;
    return out_push(d, o, x, e);
}

static int run_insert(dml_plan *d, xenv *x, dml_out *o, nq_err *e)
{
    cat_table *t = d->t;
    int w = t->ncols + 1;
    sqlv *vals = calloc((size_t)w, sizeof(sqlv));
    if (!vals)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = 0;
    if (!d->src) {
        for (int r = 0; r < d->nrows && rc == 0; r++) {
            for (int i = 0; i < t->ncols && rc == 0; i++)
                vals[i] = sqlv_null();
            char *given = calloc((size_t)w, 1);
            if (!given) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            for (int i = 0; i < d->nmap && rc == 0; i++) {
                sqlv v;
                rc = ev(d->rows[r][i], x, &v, e);
                if (rc == 0) {
                    sqlv_clear(&vals[d->map[i]]);
                    rc = own(&vals[d->map[i]], &v, e);
                    given[d->map[i]] = 1;
                }
            }
            for (int i = 0; i < t->ncols && rc == 0; i++) {
                if (given[i])
                    continue;
                sqlv v;
                rc = ev(d->dflt[i], x, &v, e);
                if (rc == 0)
                    rc = own(&vals[i], &v, e);
            }
            free(given);
            if (rc == 0)
                rc = insert_row(d, vals, x, o, e);
            rows_clear(vals, w);
        }
        free(vals);
        return rc;
    }
    /* INSERT ... SELECT: read the source to the end first */
    sqlv *buf = NULL;
    size_t n = 0, cap = 0;
    int nc = d->nmap;
    rc = op_open(d->src, x, e);
    while (rc >= 0) {
        rc = op_next(d->src, x, e);
        if (rc <= 0)
            break;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            sqlv *nb = realloc(buf, ncap * (size_t)(nc ? nc : 1) * sizeof(sqlv));
            if (!nb) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        rc = rows_copy(x->slot[d->src_slot], nc, buf + n * (size_t)nc, e);
        if (rc == 0)
            n++;
    }
    op_close(d->src, x);
    for (size_t r = 0; r < n && rc >= 0; r++) {
        char *given = calloc((size_t)w, 1);
        if (!given) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < nc; i++) {
            vals[d->map[i]] = buf[r * (size_t)nc + i];
            buf[r * (size_t)nc + i] = sqlv_null();
            given[d->map[i]] = 1;
        }
        for (int i = 0; i < t->ncols && rc >= 0; i++) {
            if (given[i])
                continue;
            sqlv v;
            rc = ev(d->dflt[i], x, &v, e);
            if (rc == 0)
                rc = own(&vals[i], &v, e);
        }
        free(given);
        if (rc >= 0)
            rc = insert_row(d, vals, x, o, e);
        rows_clear(vals, w);
    }
    if (buf)
        rows_clear(buf, (int)(n * (size_t)nc));
    free(buf);
    free(vals);
    return rc < 0 ? rc : 0;
}

/* Collect (old row + rowid) of every target row. UPDATE ... FROM also stores the SET values,
 * computed now while the FROM rows are in their registers, and keeps the first join match of
 * each target row (PostgreSQL leaves which one unspecified). */
static int collect(dml_plan *d, xenv *x, sqlv **rows, size_t *nrows, nq_err *e)
{
    int tw = d->t->ncols + 1, w = tw + (d->from_join ? d->nset : 0);
    size_t n = 0, cap = 0;
    sqlv *buf = NULL;
    keymap *seen = d->from_join ? keymap_new() : NULL;
    if (d->from_join && !seen)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = op_open(d->src, x, e);
    while (rc >= 0) {
        rc = op_next(d->src, x, e);
        if (rc <= 0)
            break;
        if (seen) {
            int64_t rid = x->slot[d->src_slot][d->t->ncols].i;
            int added = 0;
            if (keymap_get(seen, (const uint8_t *)&rid, sizeof rid, 1, 0, &added) == -2) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            if (!added)
                continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            sqlv *nb = realloc(buf, nc * (size_t)w * sizeof(sqlv));
            if (!nb) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap = nc;
        }
        sqlv *dst = buf + n * (size_t)w;
        rc = rows_copy(x->slot[d->src_slot], tw, dst, e);
        for (int k = 0; rc == 0 && d->from_join && k < d->nset; k++) {
            sqlv v;
            dst[tw + k] = sqlv_null();
            rc = ev(d->set_exprs[k], x, &v, e);
            if (rc == 0)
                rc = own(&dst[tw + k], &v, e);
            if (rc < 0)
                rows_clear(dst, tw + k);
        }
        if (rc == 0)
            n++;
    }
    op_close(d->src, x);
    keymap_free(seen);
    *rows = buf;
    *nrows = n;
    return rc < 0 ? rc : 0;
}

static int run_update(dml_plan *d, xenv *x, dml_out *o, nq_err *e)
{
    cat_table *t = d->t;
    int w = t->ncols + 1, rw = w + (d->from_join ? d->nset : 0);
    sqlv *old = NULL;
    size_t n = 0;
    int rc = collect(d, x, &old, &n, e);
    sqlv *setv = calloc((size_t)d->nset + 1, sizeof(sqlv));
    if (!setv && rc == 0)
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (size_t r = 0; r < n && rc >= 0; r++) {
        sqlv *orow = old + r * (size_t)rw;
        x->slot[d->src_slot] = orow;
        if (d->from_join) /* computed during the join */
            for (int k = 0; k < d->nset; k++) {
                setv[k] = orow[w + k];
                orow[w + k] = sqlv_null();
            }
        else /* every SET expression sees the old row, before any assignment */
            rc = eval_sets(d->set_exprs, d->nset, x, setv, e);
        if (rc >= 0)
            rc = apply_update(d, x, o, orow[t->ncols].i, orow, d->set_cols, setv, d->nset, e);
    }
    if (old)
        rows_clear(old, (int)(n * (size_t)rw));
    free(old);
    free(setv);
    return rc < 0 ? rc : 0;
}

static int run_delete(dml_plan *d, xenv *x, dml_out *o, nq_err *e)
{
    cat_table *t = d->t;
    if (d->truncate) {
        int64_t n = 0;
        int rc = tw_truncate(x->s, t, &n, e);
        o->changes += n;
        return rc;
    }
    int w = t->ncols + 1;
    sqlv *old = NULL;
    size_t n = 0;
    int rc = collect(d, x, &old, &n, e);
    for (size_t r = 0; r < n && rc >= 0; r++) {
        sqlv *orow = old + r * (size_t)w;
        if (d->referenced && (rc = fk_parent_lock(x->s, t, orow[t->ncols].i, e)) >= 0)
            rc = fk_parent_delete(x->s, t, orow, e);
        if (rc >= 0)
            rc = tw_delete(x->s, t, orow[t->ncols].i, orow, e);
        if (rc >= 0) {
            o->changes++;
            x->slot[d->new_slot] = orow;
            rc = out_push(d, o, x, e);
        }
    }
    if (old)
        rows_clear(old, (int)(n * (size_t)w));
    free(old);
    return rc < 0 ? rc : 0;
}

int dml_run(dml_plan *d, xenv *x, dml_out *o, nq_err *e)
{
    switch (d->kind) {
    case DML_INSERT: return run_insert(d, x, o, e);
    case DML_UPDATE: return run_update(d, x, o, e);
    default: return run_delete(d, x, o, e);
    }
}
