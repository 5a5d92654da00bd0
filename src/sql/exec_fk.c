/*
 * exec_fk.c — FOREIGN KEY enforcement: child rows need a parent; parents act on their children.
 *
 * Checks are immediate, row by row, as the executor writes (PostgreSQL's NO ACTION defers to the
 * end of the statement; the difference shows only in self-referencing tables that a single
 * statement rewires, documented in docs/qsql.md). MATCH SIMPLE: a child key with any NULL
 * column references nothing and always passes.
 *
 * Finding a parent uses the parent's INTEGER PRIMARY KEY (one rowid lookup) or a unique index on
 * exactly the referenced columns (one index probe); PostgreSQL requires such a key to exist,
 * and so does this code at the first write (NQ_ESCHEMA otherwise). Finding children uses an
 * index whose leading columns are the foreign key columns when the child table has one, and a
 * scan of the child table when it does not — which is why a foreign key column should be
 * indexed, as in every SQL database.
 *
 * Actions when a parent row is deleted or its key changes: NO ACTION / RESTRICT refuse;
 * CASCADE deletes the children (which may cascade further) or updates their key; SET NULL and
 * SET DEFAULT rewrite the children's key columns. Cascades nest at most FK_MAX_DEPTH deep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/dml.h"
#include "sql/fk.h"

#define FK_MAX_DEPTH 64

/* Parent column numbers of fk in p (its primary key when the FK names no columns). */
static int parent_cols(const cat_fk *fk, const cat_table *p, int *out, nq_err *e)
{
    if (fk->parent_cols) {
        for (int i = 0; i < fk->ncols; i++)
            if ((out[i] = cat_column_find(p, fk->parent_cols[i])) < 0)
                return nq_err_set(e, NQ_ESCHEMA, "column \"%s\" referenced in foreign key constraint does not exist",
                                  fk->parent_cols[i]);
        return 0;
    }
    int n = 0;
    for (int k = 1; k <= p->ncols && n < fk->ncols; k++)
        for (int i = 0; i < p->ncols; i++)
            if (p->cols[i].pk == k)
                out[n++] = i;
    if (n != fk->ncols)
        return nq_err_set(e, NQ_ESCHEMA, "there is no primary key for referenced table \"%s\" matching the foreign key",
                          p->name);
    return 0;
}

static const char *fk_name(const cat_fk *fk, const cat_table *child, char *buf, size_t cap)
{
    if (fk->name)
        return fk->name;
    snprintf(buf, cap, "%s_%s_fkey", child->name, child->cols[fk->cols[0]].name);
    return buf;
}

/* Encode vals (n, in index column order) as an index key prefix. */
static int encode_prefix(const cat_index *ix, const sqlv *vals, int n, key_buf *kb, nq_err *e)
{
    kb->n = 0;
    for (int i = 0; i < n; i++) {
        sqlv t = vals[i], cv = {0};
        sqlv_type ct = ix->table->cols[ix->cols[i]].type;
        if (ct != SQLV_NULL && t.type != ct &&
            !((ct == SQLV_INT || ct == SQLV_REAL) && (t.type == SQLV_INT || t.type == SQLV_REAL))) {
            if (sqlv_cast(&t, ct, &cv, e) < 0)
                return 1; /* cannot be equal to any stored value */
            t = cv;
        }
        int rc = key_append(kb, &t, ix->kcols[i], e);
        sqlv_clear(&cv);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Does table t hold a row whose columns cols[0..n) equal vals? 1 yes, 0 no, or an error.
 * rowid_out (may be NULL) gets the rows found through fn (called per matching row when not
 * NULL; it may stop the walk by returning 1). */
typedef int (*match_fn)(void *arg, int64_t rowid, const sqlv *row, nq_err *e);

static int find_rows(sql_session *s, cat_table *t, const int *cols, const sqlv *vals, int n,
                     match_fn fn, void *arg, nq_err *e)
{
    /* the rowid */
    if (n == 1 && cols[0] == t->ipk) {
        sqlv iv;
        if (vals[0].type == SQLV_INT)
            iv = vals[0];
        else if (sqlv_cast(&vals[0], SQLV_INT, &iv, e) < 0)
            return 0;
        sqlv *row = calloc((size_t)t->ncols + 1, sizeof(sqlv));
        uint8_t *buf = NULL;
        if (!row)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        int rc = tw_fetch(s, t, iv.i, row, &buf, e);
        int found = 0;
        if (rc == 0) {
            found = 1;
            if (t->ipk >= 0)
                row[t->ipk] = sqlv_int(iv.i);
            if (fn)
                rc = fn(arg, iv.i, row, e);
        } else if (rc == NQ_ENOTFOUND)
            rc = 0;
        free(row);
        free(buf);
        return rc < 0 ? rc : found;
    }
    /* an index whose leading columns are exactly cols (any order) */
    cat_index *best = NULL;
    int order[64];
    for (int x = 0; x < t->nidx && !best && n <= 64; x++) {
        cat_index *ix = t->idx[x];
        if (ix->where || ix->ncols < n)
            continue;
        int ok = 1;
        for (int i = 0; i < n && ok; i++) {
            ok = 0;
            for (int j = 0; j < n; j++)
                if (ix->cols[i] == cols[j]) {
                    order[i] = j;
                    ok = 1;
                }
        }
        if (ok)
            best = ix;
    }
    int found = 0, rc = 0;
    sqlv *row = calloc((size_t)t->ncols + 1, sizeof(sqlv));
    if (!row)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (best) {
        sqlv ordered[64];
        for (int i = 0; i < n; i++)
            ordered[i] = vals[order[i]];
        key_buf kb = {0};
        rc = encode_prefix(best, ordered, n, &kb, e);
        tw_iscan *sc = NULL;
        if (rc == 0)
            rc = tw_iscan_open(s, best, &sc, e);
        if (rc == 0)
            rc = tw_iscan_start(sc, kb.p, kb.n, 1, kb.p, kb.n, 1, 0, e);
        while (rc == 0) {
            int64_t rowid;
            rc = tw_iscan_next(sc, &rowid, NULL, e);
            if (rc != 1)
                break;
            rc = 0;
            found = 1;
            if (!fn)
                break;
            uint8_t *buf = NULL;
            rc = tw_fetch(s, t, rowid, row, &buf, e);
            if (rc == 0) {
                if (t->ipk >= 0)
                    row[t->ipk] = sqlv_int(rowid);
                rc = fn(arg, rowid, row, e);
            }
            free(buf);
            if (rc == 1) {
                rc = 0;
                break;
            }
        }
        if (sc)
            tw_iscan_close(sc);
        free(kb.p);
        free(row);
        return rc < 0 ? rc : found;
    }
    /* no index: scan */
    tw_scan *sc = NULL;
    rc = tw_scan_open(s, t, &sc, e);
    if (rc == 0)
        rc = tw_scan_start(sc, INT64_MIN, INT64_MAX, e);
    while (rc == 0) {
        int64_t rowid;
        rc = tw_scan_next(sc, &rowid, row, e);
        if (rc != 1)
            break;
        rc = 0;
        if (t->ipk >= 0)
            row[t->ipk] = sqlv_int(rowid);
        int eq = 1;
        for (int i = 0; i < n && eq; i++)
            eq = sqlv_compare(&row[cols[i]], &vals[i]) == 0;
        if (!eq)
            continue;
        found = 1;
        if (!fn)
            break;
        rc = fn(arg, rowid, row, e);
        if (rc == 1) {
            rc = 0;
            break;
        }
    }
    if (sc)
        tw_scan_close(sc);
    free(row);
    return rc < 0 ? rc : found;
}

/* A concurrent transaction locks the parent row it found FOR SHARE (held to its end), so that
 * the parent cannot be deleted or its key changed by another transaction until this one ends;
 * the lock also fails (or, READ COMMITTED, restarts the statement) when the parent changed
 * after the snapshot. 1: stop at the first parent. */
typedef struct parent_lock {
    sql_session *s;
    cat_table *p;
} parent_lock;

static int lock_parent(void *arg, int64_t rowid, const sqlv *row, nq_err *e)
{
    (void)row;
    parent_lock *pl = arg;
    uint8_t k[8];
    cat_rowid_key(rowid, k);
    /* NQ_LOCK_WRITTEN: the parent key counts as written at our commit, so a REPEATABLE READ /
     * SERIALIZABLE deleter whose snapshot cannot see our child fails with 40001 instead of
     * orphaning it (PostgreSQL marks the parent row the same way). The price: two such
     * transactions adding children to one parent conflict when the second locks it after the
     * first committed (READ COMMITTED restarts the statement instead). */
    int rc = tw_lock_key(pl->s, pl->p->handle, k, 8,
                         NQ_LOCK_ROW_SHARE_KEY | NQ_LOCK_WRITTEN | TW_LOCK_IMPLICIT, e);
    return rc ? rc : 1;
}

int fk_check_child(sql_session *s, cat_table *t, const sqlv *row, const sqlv *old, nq_err *e)
{
    for (int f = 0; f < t->nfks; f++) {
        const cat_fk *fk = &t->fks[f];
        sqlv vals[64];
        int any_null = 0, changed = old == NULL;
        if (fk->ncols > 64)
            return nq_err_set(e, NQ_ETOOBIG, "foreign key with more than 64 columns");
        for (int i = 0; i < fk->ncols; i++) {
            vals[i] = row[fk->cols[i]];
            any_null |= vals[i].type == SQLV_NULL;
            if (old && sqlv_order(&old[fk->cols[i]], &vals[i]) != 0)
                changed = 1;
        }
        if (any_null || !changed)
            continue;
        cat_table *p = cat_table_find(s->cat, fk->parent);
        if (!p)
            return nq_err_set(e, NQ_ESCHEMA, "relation \"%s\" referenced by a foreign key of \"%s\" does not exist",
                              fk->parent, t->name);
        int pc[64];
        int rc = parent_cols(fk, p, pc, e);
        if (rc < 0)
            return rc;
        int m;
        int conc = nq_in_txn(s->db, &m) && m == NQ_TXN_CONCURRENT;
        parent_lock pl = {s, p};
        rc = find_rows(s, p, pc, vals, fk->ncols, conc ? lock_parent : NULL, &pl, e);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            char nb[160], *txt = sqlv_to_string(&vals[0]);
            rc = nq_err_set(e, NQ_ECONSTRAINT,
                            "insert or update on table \"%s\" violates foreign key constraint \"%s\": key (%s)=(%s) is not present in table \"%s\"",
                            t->name, fk_name(fk, t, nb, sizeof nb), t->cols[fk->cols[0]].name,
                            txt ? txt : "?", p->name);
            free(txt);
            return rc;
        }
    }
    return 0;
}

/* ---- parents ---------------------------------------------------------------------------- */
typedef struct child_ctx {
    sql_session *s;
    cat_table *parent, *child;
    const cat_fk *fk;
    const sqlv *newkey;      /* UPDATE: the parent's new key values (NULL: delete) */
    int depth;
    /* rows collected first, changed after the walk */
    int64_t *rowids;
    sqlv *rows;
    size_t n, cap;
} child_ctx;

static int collect(void *arg, int64_t rowid, const sqlv *row, nq_err *e)
{
    child_ctx *c = arg;
    int w = c->child->ncols;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        int64_t *nr = realloc(c->rowids, nc * sizeof *nr);
        if (!nr)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        c->rowids = nr;
        sqlv *nv = realloc(c->rows, nc * (size_t)w * sizeof(sqlv));
        if (!nv)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        c->rows = nv;
        c->cap = nc;
    }
    int rc = rows_copy(row, w, c->rows + c->n * (size_t)w, e);
    if (rc == 0)
        c->rowids[c->n++] = rowid;
    return rc;
}

static int parent_change(sql_session *s, cat_table *t, const sqlv *old, const sqlv *newv, int depth,
                         nq_err *e);

static int act_on_children(child_ctx *c, nq_err *e)
{
    const cat_fk *fk = c->fk;
    cat_table *ch = c->child;
    int w = ch->ncols, rc = 0;
    cat_fk_action act = c->newkey ? fk->on_update : fk->on_delete;
    char nb[160];
    if (act == CAT_FK_NO_ACTION || act == CAT_FK_RESTRICT)
        return nq_err_set(e, NQ_ECONSTRAINT,
                          "update or delete on table \"%s\" violates foreign key constraint \"%s\" on table \"%s\"",
                          c->parent->name, fk_name(fk, ch, nb, sizeof nb), ch->name);
    sqlv *nv = calloc((size_t)w + 1, sizeof(sqlv));
    if (!nv)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (size_t r = 0; r < c->n && rc == 0; r++) {
        sqlv *old = c->rows + r * (size_t)w;
        int64_t rowid = c->rowids[r];
        if (act == CAT_FK_CASCADE && !c->newkey) {
            rc = parent_change(c->s, ch, old, NULL, c->depth + 1, e);
            if (rc == 0)
                rc = tw_delete(c->s, ch, rowid, old, e);
            continue;
        }
        memcpy(nv, old, (size_t)w * sizeof(sqlv));
        for (int i = 0; i < w; i++)
            nv[i].owned = 0;
        for (int i = 0; i < fk->ncols; i++) {
            int col = fk->cols[i];
            if (act == CAT_FK_CASCADE)
                nv[col] = c->newkey[i];
            else if (act == CAT_FK_SET_NULL)
                nv[col] = sqlv_null();
            else /* SET DEFAULT: a constant default only */
                nv[col] = sqlv_null();
            nv[col].owned = 0;
            if (act == CAT_FK_SET_DEFAULT && ch->cols[col].dflt) {
                const ast_expr *d = ch->cols[col].dflt;
                if (d->kind == AST_E_INT)
                    nv[col] = sqlv_int(d->ival);
                else if (d->kind == AST_E_STRING)
                    nv[col] = sqlv_text(d->text, d->len);
                else if (d->kind == AST_E_REAL)
                    nv[col] = sqlv_real(d->rval);
                else if (d->kind != AST_E_NULL)
                    rc = nq_err_set(e, NQ_ENOTSUP, "not supported yet: ON ... SET DEFAULT with a non-constant default");
            }
            if (rc == 0 && nv[col].type == SQLV_NULL && ch->cols[col].notnull)
                rc = nq_err_set(e, NQ_ECONSTRAINT,
                                "null value in column \"%s\" of relation \"%s\" violates not-null constraint",
                                ch->cols[col].name, ch->name);
        }
        if (rc == 0 && act == CAT_FK_SET_DEFAULT)
            rc = fk_check_child(c->s, ch, nv, old, e);
        if (rc == 0)
            rc = parent_change(c->s, ch, old, nv, c->depth + 1, e);
        int64_t new_rowid = rowid;
        if (rc == 0 && ch->ipk >= 0 && nv[ch->ipk].type == SQLV_INT)
            new_rowid = nv[ch->ipk].i;
        if (rc == 0)
            rc = tw_update(c->s, ch, rowid, old, new_rowid, nv, e);
    }
    free(nv);
    return rc;
}

/* Row old of t is deleted (newv NULL) or becomes newv: act on the tables that reference t. */
static int parent_change(sql_session *s, cat_table *t, const sqlv *old, const sqlv *newv, int depth,
                         nq_err *e)
{
    if (depth > FK_MAX_DEPTH)
        return nq_err_set(e, NQ_ERROR, "foreign key cascades nest more than %d deep", FK_MAX_DEPTH);
    catalog *cat = s->cat;
    for (int ti = 0; ti < cat->ntables; ti++) {
        cat_table *ch = cat->tables[ti];
        for (int f = 0; f < ch->nfks; f++) {
            const cat_fk *fk = &ch->fks[f];
            if (strcasecmp(fk->parent, t->name))
                continue;
            int pc[64];
            if (fk->ncols > 64)
                return nq_err_set(e, NQ_ETOOBIG, "foreign key with more than 64 columns");
            int rc = parent_cols(fk, t, pc, e);
            if (rc < 0)
                return rc;
            sqlv key[64], nkey[64];
            int any_null = 0, changed = newv == NULL;
            for (int i = 0; i < fk->ncols; i++) {
                key[i] = old[pc[i]];
                any_null |= key[i].type == SQLV_NULL;
                if (newv) {
                    nkey[i] = newv[pc[i]];
                    if (sqlv_order(&key[i], &nkey[i]) != 0)
                        changed = 1;
                }
            }
            if (any_null || !changed)
                continue;
            child_ctx cx = {0};
            cx.s = s;
            cx.parent = t;
            cx.child = ch;
            cx.fk = fk;
            cx.newkey = newv ? nkey : NULL;
            cx.depth = depth;
            rc = find_rows(s, ch, fk->cols, key, fk->ncols, collect, &cx, e);
            if (rc > 0)
                rc = act_on_children(&cx, e);
            if (cx.rows)
                rows_clear(cx.rows, (int)(cx.n * (size_t)ch->ncols));
            free(cx.rows);
            free(cx.rowids);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int fk_parent_lock(sql_session *s, cat_table *t, int64_t rowid, nq_err *e)
{
    int m;
    if (!nq_in_txn(s->db, &m) || m != NQ_TXN_CONCURRENT)
        return 0;
    uint8_t k[8];
    cat_rowid_key(rowid, k);
    int rc = tw_lock_key(s, t->handle, k, 8, NQ_LOCK_ROW_UPDATE_KEY | TW_LOCK_IMPLICIT, e);
    if (rc)
        return rc;
    int rc_level = s->explicit_txn ? s->txn_iso : s->ac_txn ? NQ_ISO_READ_COMMITTED : 0;
    if (rc_level == NQ_ISO_READ_COMMITTED && (rc = nq_txn_statement(s->db)))
        return nq_err_set(e, rc, "%s", nq_errmsg(s->db));
    return 0;
}

int fk_parent_delete(sql_session *s, cat_table *t, const sqlv *old, nq_err *e)
{
    return parent_change(s, t, old, NULL, 0, e);
}

int fk_parent_update(sql_session *s, cat_table *t, const sqlv *old, const sqlv *newv, nq_err *e)
{
    return parent_change(s, t, old, newv, 0, e);
}

int fk_is_referenced(const catalog *cat, const cat_table *t)
{
    for (int ti = 0; ti < cat->ntables; ti++)
        for (int f = 0; f < cat->tables[ti]->nfks; f++)
            if (!strcasecmp(cat->tables[ti]->fks[f].parent, t->name))
                return 1;
    return 0;
}
