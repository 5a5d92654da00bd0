/*
 * tablefk.c — FOREIGN KEY enforcement, as PostgreSQL does it (MATCH SIMPLE), row by row.
 *
 * Child side: a row whose foreign-key columns are all non-NULL must find its parent key, by
 * rowid when the key is the parent's INTEGER PRIMARY KEY, else through the parent's unique
 * index on exactly those columns (PostgreSQL requires one; we look for it when checking, and
 * CREATE TABLE checks it when the parent exists). A row may reference itself.
 *
 * Parent side: deleting a row or changing its key looks for referencing rows — through an index
 * of the child whose leading columns are the foreign-key columns, else by scanning the child —
 * and applies the constraint's action. NO ACTION and RESTRICT fail before anything changes;
 * CASCADE, SET NULL and SET DEFAULT run after the parent row changed, through tw_delete and
 * tw_update, so they cascade further and every row they touch is checked like any other. The
 * rows to act on are collected before acting, and a cascade that meets a row already deleted
 * skips it, so cycles end. Depth is bounded by s->fk_depth.
 *
 * Checks are per row, not deferred to the end of the statement: a statement that breaks a
 * reference and repairs it later in the same statement fails here, where PostgreSQL's NO ACTION
 * would let it pass. A table whose parent was dropped (DROP TABLE does not refuse yet) is not
 * checked against it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/catalog_int.h"
#include "sql/tablerw_int.h"

#define FK_MAX_COLS 32
#define FK_MAX_DEPTH 64

static void fk_name(const cat_table *t, const cat_fk *fk, char *buf, size_t cap)
{
    if (fk->name) {
        snprintf(buf, cap, "%s", fk->name);
        return;
    }
    size_t n = (size_t)snprintf(buf, cap, "%s", t->name);
    for (int k = 0; k < fk->ncols && n < cap; k++)
        n += (size_t)snprintf(buf + n, cap - n, "_%s", t->cols[fk->cols[k]].name);
    if (n < cap)
        snprintf(buf + n, cap - n, "_fkey");
}

int fk_resolve_parent(const cat_table *p, const cat_fk *fk, int *pcols, cat_index **ix,
                      int *by_rowid, nq_err *e)
{
    *ix = NULL;
    *by_rowid = 0;
    if (fk->ncols > FK_MAX_COLS)
        return nq_err_set(e, NQ_EINVAL, "foreign key has more than %d columns", FK_MAX_COLS);
    if (fk->parent_cols) {
        for (int k = 0; k < fk->ncols; k++) {
            pcols[k] = cat_column_find(p, fk->parent_cols[k]);
            if (pcols[k] < 0)
                return nq_err_set(e, NQ_EINVAL,
                                  "column \"%s\" referenced in foreign key constraint does not exist",
                                  fk->parent_cols[k]);
        }
    } else {
        if (p->npk == 0)
            return nq_err_set(e, NQ_EINVAL, "there is no primary key for referenced table \"%s\"",
                              p->name);
        if (p->npk != fk->ncols)
            return nq_err_set(e, NQ_EINVAL,
                              "number of referencing and referenced columns for foreign key disagree");
        for (int c = 0; c < p->ncols; c++)
            if (p->cols[c].pk)
                pcols[p->cols[c].pk - 1] = c;
    }
    if (fk->ncols == 1 && pcols[0] == p->ipk) {
        *by_rowid = 1;
        return 0;
    }
    for (int i = 0; i < p->nidx; i++) {
        cat_index *x = p->idx[i];
        if (!x->unique || x->ncols != fk->ncols)
            continue;
        int all = 1;
        for (int k = 0; k < fk->ncols && all; k++) {
            int found = 0;
            for (int j = 0; j < x->ncols; j++)
                found |= x->cols[j] == pcols[k];
            all = found;
        }
        if (all) {
            *ix = x;
            return 0;
        }
    }
    return nq_err_set(e, NQ_EINVAL,
                      "there is no unique constraint matching given keys for referenced table \"%s\"",
                      p->name);
}

/* Does the parent hold the key vals (in foreign-key column order)? 1, 0 or an error. */
static int parent_has(sql_session *s, cat_table *p, const int *pcols, cat_index *ix, int by_rowid,
                      const sqlv *vals, int n, nq_err *e)
{
    if (by_rowid) {
        const sqlv *v = &vals[0];
        int64_t r;
        if (v->type == SQLV_INT)
            r = v->i;
        else if (v->type == SQLV_REAL && v->r >= -9.2e18 && v->r <= 9.2e18 && v->r == (double)(int64_t)v->r)
            r = (int64_t)v->r;
        else
            return 0;
        return tw_row_exists(s, p, r, e);
    }
    key_buf kb = {0};
    int rc = 0;
    for (int j = 0; j < ix->ncols && !rc; j++) {
        int k = 0;
        while (k < n && pcols[k] != ix->cols[j])
            k++;
        rc = key_append(&kb, &vals[k], ix->kcols[j], e);
    }
    int64_t other;
    if (!rc)
        rc = tw_unique_conflict(s, ix, kb.p, kb.n, NULL, &other, e);
    free(kb.p);
    return rc;
}

static int same_values(const sqlv *a, const sqlv *b)
{
    return a->type == b->type && sqlv_order(a, b) == 0;
}

int fk_check_child(sql_session *s, cat_table *t, const sqlv *row, int64_t rowid, const sqlv *old,
                   nq_err *e)
{
    (void)rowid;
    for (int f = 0; f < t->nfks; f++) {
        const cat_fk *fk = &t->fks[f];
        sqlv vals[FK_MAX_COLS];
        int has_null = 0, changed = !old;
        if (fk->ncols > FK_MAX_COLS)
            return nq_err_set(e, NQ_EINVAL, "foreign key has more than %d columns", FK_MAX_COLS);
        for (int k = 0; k < fk->ncols; k++) {
            vals[k] = row[fk->cols[k]];
            has_null |= vals[k].type == SQLV_NULL;
            if (old && !same_values(&old[fk->cols[k]], &vals[k]))
                changed = 1;
        }
        if (has_null || !changed)
            continue;
        cat_table *p = cat_table_find(s->cat, fk->parent);
        if (!p)
            continue;
        int pcols[FK_MAX_COLS], by_rowid;
        cat_index *ix;
        int rc = fk_resolve_parent(p, fk, pcols, &ix, &by_rowid, e);
        if (rc)
            return rc;
        if (!strcasecmp(p->name, t->name)) {
            /* a row may reference itself */
            int self = 1;
            for (int k = 0; k < fk->ncols && self; k++)
                self = sqlv_compare(&row[pcols[k]], &vals[k]) == 0;
            if (self)
                continue;
        }
        rc = parent_has(s, p, pcols, ix, by_rowid, vals, fk->ncols, e);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            char name[300];
            fk_name(t, fk, name, sizeof name);
            return nq_err_set(e, NQ_ECONSTRAINT,
                              "insert or update on table \"%s\" violates foreign key constraint \"%s\"",
                              t->name, name);
        }
    }
    return 0;
}

/* Rows of c whose foreign key fk holds key (in fk column order). *out is malloc'd. */
static int find_children(sql_session *s, cat_table *c, const cat_fk *fk, const sqlv *key,
                         int64_t **out, int *n, nq_err *e)
{
    *out = NULL;
    *n = 0;
    int cap = 0, rc = 0;
    /* an index whose leading columns are the foreign-key columns */
    cat_index *ix = NULL;
    for (int i = 0; i < c->nidx && !ix; i++) {
        cat_index *x = c->idx[i];
        if (x->ncols < fk->ncols)
            continue;
        int all = 1;
        for (int j = 0; j < fk->ncols && all; j++) {
            int found = 0;
            for (int k = 0; k < fk->ncols; k++)
                found |= x->cols[j] == fk->cols[k];
            all = found;
        }
        if (all)
            ix = x;
    }
    int64_t rowid;
    if (ix) {
        key_buf kb = {0};
        for (int j = 0; j < fk->ncols && !rc; j++) {
            int k = 0;
            while (fk->cols[k] != ix->cols[j])
                k++;
            rc = key_append(&kb, &key[k], ix->kcols[j], e);
        }
        tw_iscan *sc = NULL;
        if (!rc && !(rc = tw_iscan_open(s, ix, &sc, e)) &&
            !(rc = tw_iscan_start(sc, kb.p, kb.n, 1, kb.p, kb.n, 1, 0, e))) {
            while ((rc = tw_iscan_next(sc, &rowid, NULL, e)) == 1) {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 16;
                    int64_t *nv = realloc(*out, (size_t)cap * sizeof *nv);
                    if (!nv) {
                        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                        break;
                    }
                    *out = nv;
                }
                (*out)[(*n)++] = rowid;
            }
        }
        tw_iscan_close(sc);
        free(kb.p);
    } else {
        tw_scan *sc = NULL;
        sqlv *vals = malloc((size_t)c->ncols * sizeof *vals);
        if (!vals)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        if (!(rc = tw_scan_open(s, c, &sc, e))) {
            while ((rc = tw_scan_next(sc, &rowid, vals, e)) == 1) {
                int match = 1;
                for (int k = 0; k < fk->ncols && match; k++)
                    match = sqlv_compare(&vals[fk->cols[k]], &key[k]) == 0;
                if (!match)
                    continue;
                if (*n == cap) {
                    cap = cap ? cap * 2 : 16;
                    int64_t *nv = realloc(*out, (size_t)cap * sizeof *nv);
                    if (!nv) {
                        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                        break;
                    }
                    *out = nv;
                }
                (*out)[(*n)++] = rowid;
            }
        }
        tw_scan_close(sc);
        free(vals);
    }
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    return 0;
}

/* The referenced key of fk in the parent row vals (fk column order); 1 if it has a NULL. */
static int parent_key(const cat_table *p, const cat_fk *fk, const sqlv *vals, int *pcols,
                      sqlv *key, nq_err *e)
{
    cat_index *ix;
    int by_rowid;
    if (fk_resolve_parent(p, fk, pcols, &ix, &by_rowid, e))
        return -1;
    int has_null = 0;
    for (int k = 0; k < fk->ncols; k++) {
        key[k] = vals[pcols[k]];
        has_null |= key[k].type == SQLV_NULL;
    }
    return has_null;
}

int fk_referenced(sql_session *s, const cat_table *t)
{
    for (int i = 0; s->cat && i < s->cat->ntables; i++) {
        const cat_table *c = s->cat->tables[i];
        if (!strcasecmp(c->name, t->name))
            continue;
        for (int f = 0; f < c->nfks; f++)
            if (!strcasecmp(c->fks[f].parent, t->name))
                return 1;
    }
    return 0;
}

/* Visit every (child table, foreign key) that references t and whose referenced key in old is
 * non-NULL and (for an update) changes; after = 0: the checks, 1: the actions. */
static int visit(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, const sqlv *newv,
                 int after, nq_err *e)
{
    if (!s->cat)
        return 0;
    for (int i = 0; i < s->cat->ntables; i++) {
        cat_table *c = s->cat->tables[i];
        for (int f = 0; f < c->nfks; f++) {
            const cat_fk *fk = &c->fks[f];
            if (strcasecmp(fk->parent, t->name))
                continue;
            int pcols[FK_MAX_COLS];
            sqlv key[FK_MAX_COLS], nkey[FK_MAX_COLS];
            nq_err ignore;
            int hn = parent_key(t, fk, old, pcols, key, &ignore);
            if (hn != 0)
                continue; /* NULL key, or no usable parent key: nothing can reference it */
            if (newv) {
                int changed = 0;
                for (int k = 0; k < fk->ncols; k++) {
                    nkey[k] = newv[pcols[k]];
                    changed |= !same_values(&key[k], &nkey[k]);
                }
                if (!changed)
                    continue;
            }
            cat_fk_action act = newv ? fk->on_update : fk->on_delete;
            int restrict_ = act == CAT_FK_NO_ACTION || act == CAT_FK_RESTRICT;
            if (restrict_ == after)
                continue;
            int64_t *rows;
            int n;
            int rc = find_children(s, c, fk, key, &rows, &n, e);
            if (rc)
                return rc;
            if (!after) {
                int blocking = 0;
                for (int r = 0; r < n && !blocking; r++)
                    blocking = !(c == t || !strcasecmp(c->name, t->name)) || rows[r] != rowid;
                free(rows);
                if (blocking) {
                    char name[300];
                    fk_name(c, fk, name, sizeof name);
                    return nq_err_set(e, NQ_ECONSTRAINT,
                                      "update or delete on table \"%s\" violates foreign key constraint \"%s\" on table \"%s\"",
                                      t->name, name, c->name);
                }
                continue;
            }
            if (n && ++s->fk_depth > FK_MAX_DEPTH) {
                s->fk_depth--;
                free(rows);
                return nq_err_set(e, NQ_ECONSTRAINT, "foreign key actions nest deeper than %d levels",
                                  FK_MAX_DEPTH);
            }
            sqlv *cold = malloc((size_t)c->ncols * sizeof *cold);
            sqlv *cnew = malloc((size_t)c->ncols * sizeof *cnew);
            if (!cold || !cnew)
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            for (int r = 0; r < n && !rc; r++) {
                uint8_t *buf = NULL;
                rc = tw_fetch(s, c, rows[r], cold, &buf, e);
                if (rc == NQ_ENOTFOUND) { /* gone already (a cycle of cascades) */
                    rc = 0;
                    continue;
                }
                if (rc)
                    break;
                if (act == CAT_FK_CASCADE && !newv) {
                    rc = tw_delete(s, c, rows[r], cold, e);
                } else {
                    memcpy(cnew, cold, (size_t)c->ncols * sizeof *cnew);
                    sqlv owned[FK_MAX_COLS];
                    int nowned = 0;
                    for (int k = 0; k < fk->ncols && !rc; k++) {
                        int col = fk->cols[k];
                        if (act == CAT_FK_CASCADE) {
                            cnew[col] = nkey[k];
                        } else if (act == CAT_FK_SET_NULL ||
                                   (act == CAT_FK_SET_DEFAULT && !c->cols[col].dflt)) {
                            if (c->cols[col].notnull)
                                rc = nq_err_set(e, NQ_ECONSTRAINT,
                                                "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
                                                c->cols[col].name, c->name);
                            cnew[col] = sqlv_null();
                        } else {
                            sqlv v;
                            if (cat_const_value(c->cols[col].dflt, &v)) {
                                rc = nq_err_set(e, NQ_ENOTSUP,
                                                "not supported yet: ON %s SET DEFAULT with a non-constant default",
                                                newv ? "UPDATE" : "DELETE");
                            } else if (v.type != SQLV_NULL && c->cols[col].type != SQLV_NULL) {
                                if (!(rc = sqlv_cast(&v, c->cols[col].type, &owned[nowned], e)))
                                    cnew[col] = owned[nowned++];
                            } else {
                                cnew[col] = v;
                            }
                        }
                    }
                    if (!rc)
                        rc = tw_update(s, c, rows[r], cold, rows[r], cnew, e);
                    for (int k = 0; k < nowned; k++)
                        sqlv_clear(&owned[k]);
                }
                free(buf);
            }
            free(cold);
            free(cnew);
            free(rows);
            if (n)
                s->fk_depth--;
            if (rc)
                return rc;
        }
    }
    return 0;
}

int fk_parent_before(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, const sqlv *newv,
                     nq_err *e)
{
    return visit(s, t, rowid, old, newv, 0, e);
}

int fk_parent_after(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, const sqlv *newv,
                    nq_err *e)
{
    return visit(s, t, rowid, old, newv, 1, e);
}
