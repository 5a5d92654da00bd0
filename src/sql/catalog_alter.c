/*
 * catalog_alter.c — ALTER TABLE (ADD / DROP / RENAME COLUMN, RENAME TO) and ANALYZE.
 *
 * ALTER edits the table's definition and stores it back as canonical CREATE text, keeping the
 * table's id (so its rows stay where they are). To get a definition it may edit, it prints the
 * current one and parses it again into a scratch arena: the catalog's own tree stays untouched,
 * so a failing ALTER changes nothing in memory either. Names that other objects hold are
 * rewritten with it: index entries (their CREATE INDEX text names the table and columns) and
 * other tables' FOREIGN KEY clauses. Views are stored as text and are not rewritten.
 *
 * Rows are rewritten only when they must be: DROP COLUMN removes the value from every record,
 * ADD COLUMN with a constant non-NULL default appends it. Adding a column with no default needs
 * no rewrite because a record shorter than the table reads NULL for the missing columns.
 *
 * ANALYZE counts the rows of each table and, per index, the number of distinct prefixes of
 * its key (first column, first two, ...) in one ordered walk: keys are sorted, so a prefix is
 * new exactly when it differs from the previous key's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/catalog_ddl_int.h"
#include "sql/parser.h"
#include "sql/record.h"
#include "sql/tablerw.h"

/* A private, mutable copy of a table's definition (parsed from its canonical text). */
static int def_copy(ast_arena *a, const cat_table *t, ast_create_table **out, nq_err *e)
{
    ast_create_table cp = *t->def;
    cp.name.schema = NULL;
    cp.if_not_exists = 0;
    char *sql = ddl_print(a, AST_CREATE_TABLE, &cp);
    if (!sql)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    ast_stmt *st;
    int rc = parse_one(a, sql, strlen(sql), &st, e);
    if (rc)
        return nq_err_prefix(e, rc, "cannot re-read the definition of \"%s\"", t->name);
    *out = st->u.create_table;
    return 0;
}

static int put_table(sql_session *s, ast_arena *a, ast_create_table *def, int64_t id, nq_err *e)
{
    char *sql = ddl_print(a, AST_CREATE_TABLE, def);
    if (!sql)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    return ddl_put_entry(s, "table", def->name.name, def->name.name, id, sql, 0, e);
}

/* Rename column references old -> new in an expression (column refs qualified by another
 * table are left alone; subqueries are not entered). */
static void rename_in_expr(ast_expr *x, const char *table, const char *old, const char *nw)
{
    if (!x)
        return;
    if (x->kind == AST_E_COLUMN && x->name && !strcasecmp(x->name, old) &&
        (!x->table || !strcasecmp(x->table, table)))
        x->name = nw;
    rename_in_expr(x->a, table, old, nw);
    rename_in_expr(x->b, table, old, nw);
    rename_in_expr(x->c, table, old, nw);
    for (int i = 0; i < x->list.n; i++)
        rename_in_expr(x->list.v[i], table, old, nw);
}

/* Does the expression mention column name? */
static int expr_uses(const ast_expr *x, const char *name)
{
    if (!x)
        return 0;
    if (x->kind == AST_E_COLUMN && x->name && !strcasecmp(x->name, name))
        return 1;
    if (expr_uses(x->a, name) || expr_uses(x->b, name) || expr_uses(x->c, name))
        return 1;
    for (int i = 0; i < x->list.n; i++)
        if (expr_uses(x->list.v[i], name))
            return 1;
    return 0;
}

/* The CREATE INDEX item list of ix, with column names as they are now (or renamed). */
static int index_items(ast_arena *a, const cat_index *ix, const char *old, const char *nw,
                       ast_list *out, nq_err *e)
{
    memset(out, 0, sizeof *out);
    for (int j = 0; j < ix->ncols; j++) {
        const char *cn = ix->table->cols[ix->cols[j]].name;
        if (old && !strcasecmp(cn, old))
            cn = nw;
        ast_expr *x = ast_alloc(a, sizeof *x);
        ast_order *o = ast_alloc(a, sizeof *o);
        if (!x || !o || ast_list_push(a, out, o))
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        x->kind = AST_E_COLUMN;
        x->name = cn;
        o->e = x;
        o->dir = ix->kcols[j].desc ? AST_DIR_DESC : AST_DIR_NONE;
        /* spell NULLS only where it differs from the default (NULLS FIRST iff DESC) */
        if (ix->kcols[j].nulls_first != ix->kcols[j].desc)
            o->nulls = ix->kcols[j].nulls_first ? AST_NULLS_FIRST : AST_NULLS_LAST;
    }
    return 0;
}

static int put_index(sql_session *s, ast_arena *a, const cat_index *ix, const char *table,
                     const char *old, const char *nw, nq_err *e)
{
    ast_create_index ci;
    memset(&ci, 0, sizeof ci);
    ci.unique = ix->unique;
    ci.name.name = ix->name;
    ci.table.name = table;
    int rc = index_items(a, ix, old, nw, &ci.items, e);
    if (rc)
        return rc;
    char *sql = ddl_print(a, AST_CREATE_INDEX, &ci);
    if (!sql)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    return ddl_put_entry(s, "index", ix->name, table, ix->id, sql, ix->origin, e);
}

/* Rewrite other tables' FOREIGN KEY clauses that point at table: a new parent name (nw_table)
 * or a renamed parent column (old_col -> nw_col). */
static int fix_references(sql_session *s, ast_arena *a, const cat_table *t, const char *nw_table,
                          const char *old_col, const char *nw_col, nq_err *e)
{
    for (int i = 0; i < s->cat->ntables; i++) {
        cat_table *o = s->cat->tables[i];
        int hit = 0;
        for (int f = 0; f < o->nfks; f++)
            hit |= !strcasecmp(o->fks[f].parent, t->name);
        if (!hit)
            continue;
        ast_create_table *def;
        int rc = def_copy(a, o, &def, e);
        if (rc)
            return rc;
        if (o == t && nw_table)
            def->name.name = nw_table;
        /* every REFERENCES clause: column constraints and table FOREIGN KEYs */
        for (int pass = 0; pass <= def->cols.n; pass++) {
            ast_list *cons = pass < def->cols.n ? &((ast_column_def *)def->cols.v[pass])->cons
                                                : &def->cons;
            for (int k = 0; k < cons->n; k++) {
                ast_constraint *c = cons->v[k];
                if (!c->fk || strcasecmp(c->fk->table.name, t->name))
                    continue;
                if (nw_table)
                    c->fk->table.name = nw_table;
                if (old_col)
                    for (int j = 0; j < c->fk->cols.n; j++)
                        if (!strcasecmp(c->fk->cols.v[j], old_col))
                            c->fk->cols.v[j] = (void *)nw_col;
            }
        }
        if (o != t && (rc = put_table(s, a, def, o->id, e)))
            return rc;
    }
    return 0;
}

/* Constant value of a DEFAULT expression; 1 if the expression is not a constant. */
static int const_value(const ast_expr *x, sqlv *out)
{
    int neg = 0;
    while (x && x->kind == AST_E_UNARY && (x->op == AST_OP_NEG || x->op == AST_OP_PLUS)) {
        neg ^= x->op == AST_OP_NEG;
        x = x->a;
    }
    if (!x)
        return 1;
    switch (x->kind) {
    case AST_E_NULL: *out = sqlv_null(); return neg ? 1 : 0;
    case AST_E_INT:
        if (neg && x->ival == INT64_MIN)
            return 1;
        *out = sqlv_int(neg ? -x->ival : x->ival);
        return 0;
    case AST_E_REAL: *out = sqlv_real(neg ? -x->rval : x->rval); return 0;
    case AST_E_STRING:
    case AST_E_DNA: *out = sqlv_text(x->text, x->len); return neg;
    case AST_E_BLOB: *out = sqlv_bytes(SQLV_BLOB, x->text, x->len); return neg;
    case AST_E_BOOL: *out = sqlv_bool((int)x->ival); return neg;
    default: return 1;
    }
}

/* Rewrite every row of t: drop column drop_col (-1: none) and/or append value add (NULL: none);
 * the rows are encoded for nt, the altered table (its DNA-coded columns, tablerw.h). */
static int rewrite_rows(sql_session *s, cat_table *t, const cat_table *nt, int drop_col,
                        const sqlv *add, nq_err *e)
{
    tw_scan *sc;
    int rc = tw_scan_open(s, t, &sc, e);
    if (rc)
        return rc;
    sqlv *vals = malloc((size_t)(t->ncols + 1) * sizeof *vals);
    if (!vals) {
        tw_scan_close(sc);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    int64_t rowid;
    while ((rc = tw_scan_next(sc, &rowid, vals, e)) == 1) {
        int n = t->ncols;
        if (drop_col >= 0) {
            memmove(&vals[drop_col], &vals[drop_col + 1], (size_t)(n - drop_col - 1) * sizeof *vals);
            n--;
        }
        if (add)
            vals[n++] = *add;
        uint8_t *rec, k[8];
        size_t rl;
        if ((rc = tw_encode_row(nt, vals, n, &rec, &rl, e)))
            break;
        cat_rowid_key(rowid, k);
        rc = tw_put(s, t->handle, k, 8, rec, rl, 0, e);
        free(rec);
        if (rc)
            break;
    }
    free(vals);
    tw_scan_close(sc);
    return rc < 0 ? rc : 0;
}

static int table_empty(sql_session *s, cat_table *t, int *empty, nq_err *e)
{
    nq_cursor *c;
    int rc = nq_cursor_open(t->handle, &c);
    if (rc)
        return nq_err_set(e, rc, "%s", nq_errmsg(s->db));
    rc = nq_cursor_first(c);
    nq_cursor_close(c);
    if (rc == NQ_ENOTFOUND) {
        *empty = 1;
        return 0;
    }
    *empty = 0;
    return rc ? nq_err_set(e, rc, "%s", nq_errmsg(s->db)) : 0;
}

static int alter_add(sql_session *s, ast_arena *a, cat_table *t, const ast_alter *al, nq_err *e)
{
    const ast_column_def *cd = al->col;
    if (cat_column_find(t, cd->name) >= 0) {
        if (al->if_exists)
            return 0;
        return nq_err_set(e, NQ_EEXIST, "column \"%s\" of relation \"%s\" already exists", cd->name,
                          t->name);
    }
    int notnull = 0, unique = 0;
    const ast_expr *dflt = NULL;
    int rc0 = cat_check_compression(cd, e);
    if (rc0)
        return rc0;
    for (int k = 0; k < cd->cons.n; k++) {
        const ast_constraint *c = cd->cons.v[k];
        if (c->kind == AST_CONS_PRIMARY_KEY)
            return nq_err_set(e, NQ_ENOTSUP, "not supported yet: adding a PRIMARY KEY column");
        notnull |= c->kind == AST_CONS_NOT_NULL;
        unique |= c->kind == AST_CONS_UNIQUE;
        if (c->kind == AST_CONS_DEFAULT)
            dflt = c->e;
    }
    ast_create_table *def;
    int rc = def_copy(a, t, &def, e);
    if (rc)
        return rc;
    if (ast_list_push(a, &def->cols, (void *)cd))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    cat_table *nt;
    if ((rc = cat_build_table(a, def, t->id, &nt, e)))
        return rc;
    int empty;
    if ((rc = table_empty(s, t, &empty, e)))
        return rc;
    sqlv v = sqlv_null(), cast = sqlv_null();
    if (dflt && const_value(dflt, &v)) {
        if (!empty)
            return nq_err_set(e, NQ_ENOTSUP,
                              "not supported yet: adding a column with a non-constant default to a table with rows");
        v = sqlv_null();
    }
    if (!empty && notnull && v.type == SQLV_NULL)
        return nq_err_set(e, NQ_ECONSTRAINT, "column \"%s\" of relation \"%s\" contains null values",
                          cd->name, t->name);
    if (v.type != SQLV_NULL && nt->cols[nt->ncols - 1].type != SQLV_NULL) {
        if ((rc = sqlv_cast(&v, nt->cols[nt->ncols - 1].type, &cast, e)))
            return rc;
        v = cast;
    }
    if ((rc = put_table(s, a, def, t->id, e)))
        goto out;
    if (!empty && v.type != SQLV_NULL && (rc = rewrite_rows(s, t, nt, -1, &v, e)))
        goto out;
    if (unique) {
        /* its automatic index, created and filled like CREATE UNIQUE INDEX */
        size_t n = strlen(t->name) + strlen(cd->name) + 8;
        char *base = ast_alloc(a, n);
        if (!base) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(base, n, "%s_%s_key", t->name, cd->name);
        const char *name = base;
        char *alt = ast_alloc(a, n + 24);
        for (int k = 1; alt && ddl_name_taken(s->cat, name); k++) {
            snprintf(alt, n + 24, "%s%d", base, k);
            name = alt;
        }
        ast_list items = {0};
        ast_expr *x = ast_alloc(a, sizeof *x);
        ast_order *o = ast_alloc(a, sizeof *o);
        if (!alt || !x || !o || ast_list_push(a, &items, o)) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            goto out;
        }
        x->kind = AST_E_COLUMN;
        x->name = cd->name;
        o->e = x;
        int64_t id;
        if ((rc = ddl_write_index(s, a, name, t->name, 1, &items, CAT_IDX_UNIQUE, &id, e)) ||
            (rc = ddl_commit_change(s, e)))
            goto out;
        cat_index *ix = cat_index_find(s->cat, name);
        rc = ix ? tw_index_build(s, ix, e) : nq_err_set(e, NQ_ERROR, "index \"%s\" vanished", name);
        goto out;
    }
    rc = ddl_commit_change(s, e);
out:
    sqlv_clear(&cast);
    return rc;
}

static int alter_drop(sql_session *s, ast_arena *a, cat_table *t, const ast_alter *al, nq_err *e)
{
    int c = cat_column_find(t, al->name);
    if (c < 0) {
        if (al->if_exists)
            return 0;
        return nq_err_set(e, NQ_ESCHEMA, "column \"%s\" of relation \"%s\" does not exist", al->name,
                          t->name);
    }
    if (t->cols[c].pk)
        return nq_err_set(e, NQ_EINVAL, "cannot drop column %s of table %s: it is part of the primary key",
                          t->cols[c].name, t->name);
    for (int i = 0; i < t->nidx; i++)
        for (int j = 0; j < t->idx[i]->ncols; j++)
            if (t->idx[i]->cols[j] == c)
                return nq_err_set(e, NQ_EINVAL, "cannot drop column %s of table %s: index %s uses it",
                                  t->cols[c].name, t->name, t->idx[i]->name);
    if (t->ncols == 1)
        return nq_err_set(e, NQ_EINVAL, "cannot drop column %s: it is the only column of table %s",
                          t->cols[c].name, t->name);
    ast_create_table *def;
    int rc = def_copy(a, t, &def, e);
    if (rc)
        return rc;
    /* the column and the table constraints that mention it (CHECK, FOREIGN KEY) go */
    memmove(&def->cols.v[c], &def->cols.v[c + 1], (size_t)(def->cols.n - c - 1) * sizeof(void *));
    def->cols.n--;
    int w = 0;
    for (int k = 0; k < def->cons.n; k++) {
        ast_constraint *cn = def->cons.v[k];
        int uses = 0;
        if (cn->kind == AST_CONS_CHECK)
            uses = expr_uses(cn->e, t->cols[c].name);
        if (cn->kind == AST_CONS_FOREIGN_KEY)
            for (int j = 0; j < cn->cols.n; j++)
                uses |= !strcasecmp(cn->cols.v[j], t->cols[c].name);
        if (!uses)
            def->cons.v[w++] = cn;
    }
    def->cons.n = w;
    cat_table *nt;
    if ((rc = cat_build_table(a, def, t->id, &nt, e)) || (rc = put_table(s, a, def, t->id, e)) ||
        (rc = rewrite_rows(s, t, nt, c, NULL, e)))
        return rc;
    /* index texts name columns, not numbers: they stay valid */
    return ddl_commit_change(s, e);
}

static int alter_rename_column(sql_session *s, ast_arena *a, cat_table *t, const ast_alter *al,
                               nq_err *e)
{
    int c = cat_column_find(t, al->name);
    if (c < 0)
        return nq_err_set(e, NQ_ESCHEMA, "column \"%s\" of relation \"%s\" does not exist", al->name,
                          t->name);
    if (cat_column_find(t, al->new_name) >= 0 && strcasecmp(al->name, al->new_name))
        return nq_err_set(e, NQ_EEXIST, "column \"%s\" of relation \"%s\" already exists",
                          al->new_name, t->name);
    int rc = ddl_check_name(al->new_name, e);
    if (rc)
        return rc;
    const char *old = t->cols[c].name;
    ast_create_table *def;
    if ((rc = def_copy(a, t, &def, e)))
        return rc;
    for (int i = 0; i < def->cols.n; i++) {
        ast_column_def *cd = def->cols.v[i];
        if (i == c)
            cd->name = al->new_name;
        for (int k = 0; k < cd->cons.n; k++) {
            ast_constraint *cn = cd->cons.v[k];
            rename_in_expr(cn->e, t->name, old, al->new_name);
            if (cn->fk && !strcasecmp(cn->fk->table.name, t->name))
                for (int j = 0; j < cn->fk->cols.n; j++)
                    if (!strcasecmp(cn->fk->cols.v[j], old))
                        cn->fk->cols.v[j] = (void *)al->new_name;
        }
    }
    for (int k = 0; k < def->cons.n; k++) {
        ast_constraint *cn = def->cons.v[k];
        rename_in_expr(cn->e, t->name, old, al->new_name);
        if (cn->kind == AST_CONS_PRIMARY_KEY || cn->kind == AST_CONS_UNIQUE)
            for (int j = 0; j < cn->cols.n; j++)
                rename_in_expr(((ast_order *)cn->cols.v[j])->e, t->name, old, al->new_name);
        if (cn->kind == AST_CONS_FOREIGN_KEY)
            for (int j = 0; j < cn->cols.n; j++)
                if (!strcasecmp(cn->cols.v[j], old))
                    cn->cols.v[j] = (void *)al->new_name;
        /* a self-reference names our own column as parent */
        if (cn->fk && !strcasecmp(cn->fk->table.name, t->name))
            for (int j = 0; j < cn->fk->cols.n; j++)
                if (!strcasecmp(cn->fk->cols.v[j], old))
                    cn->fk->cols.v[j] = (void *)al->new_name;
    }
    cat_table *nt;
    if ((rc = cat_build_table(a, def, t->id, &nt, e)) || (rc = put_table(s, a, def, t->id, e)))
        return rc;
    for (int i = 0; i < t->nidx && !rc; i++)
        rc = put_index(s, a, t->idx[i], t->name, old, al->new_name, e);
    if (!rc)
        rc = fix_references(s, a, t, NULL, old, al->new_name, e);
    return rc ? rc : ddl_commit_change(s, e);
}

static int alter_rename_table(sql_session *s, ast_arena *a, cat_table *t, const ast_alter *al,
                              nq_err *e)
{
    const char *nw = al->name;
    int rc = ddl_check_name(nw, e);
    if (rc)
        return rc;
    if (ddl_name_taken(s->cat, nw) && cat_table_find(s->cat, nw) != t)
        return ddl_exists_error(s->cat, nw, e);
    ast_create_table *def;
    if ((rc = def_copy(a, t, &def, e)))
        return rc;
    def->name.name = nw;
    /* a self-referencing foreign key follows the rename */
    for (int pass = 0; pass <= def->cols.n; pass++) {
        ast_list *cons = pass < def->cols.n ? &((ast_column_def *)def->cols.v[pass])->cons : &def->cons;
        for (int k = 0; k < cons->n; k++) {
            ast_constraint *c = cons->v[k];
            if (c->fk && !strcasecmp(c->fk->table.name, t->name))
                c->fk->table.name = nw;
        }
    }
    /* keep the table's statistics under its new name */
    char key[300];
    size_t kl = (size_t)snprintf(key, sizeof key, "%s", CAT_STAT_PREFIX);
    for (const char *p = t->name; *p && kl + 1 < sizeof key; p++)
        key[kl++] = (char)tolower((unsigned char)*p);
    key[kl] = 0;
    void *stat = NULL;
    size_t sl = 0;
    nq_tree *sch;
    if ((rc = ddl_schema_tree(s, &sch, e)))
        return rc;
    rc = nq_get(sch, key, kl, &stat, &sl);
    if (rc && rc != NQ_ENOTFOUND)
        return nq_err_set(e, rc, "%s", nq_errmsg(s->db));
    int have_stat = rc == 0;
    rc = ddl_del_entry(s, t->name, e);
    if (!rc)
        rc = put_table(s, a, def, t->id, e);
    if (!rc && have_stat) {
        kl = (size_t)snprintf(key, sizeof key, "%s", CAT_STAT_PREFIX);
        for (const char *p = nw; *p && kl + 1 < sizeof key; p++)
            key[kl++] = (char)tolower((unsigned char)*p);
        key[kl] = 0;
        rc = tw_put(s, sch, key, kl, stat, sl, 0, e);
    }
    free(stat);
    for (int i = 0; i < t->nidx && !rc; i++)
        rc = put_index(s, a, t->idx[i], nw, NULL, NULL, e);
    if (!rc)
        rc = fix_references(s, a, t, nw, NULL, NULL, e);
    return rc ? rc : ddl_commit_change(s, e);
}

int cat_alter_table(sql_session *s, const ast_alter *al, nq_err *e)
{
    int rc = ddl_prepare(s, e);
    if (rc || (rc = cat_check_schema(&al->table, e)))
        return rc;
    cat_table *t = cat_table_find(s->cat, al->table.name);
    if (!t) {
        if (cat_view_find(s->cat, al->table.name))
            return nq_err_set(e, NQ_ENOTSUP, "not supported yet: ALTER TABLE on a view");
        return nq_err_set(e, NQ_ESCHEMA, "no such table: %s", al->table.name);
    }
    ast_arena *a = ast_arena_new();
    if (!a)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    switch (al->kind) {
    case AST_ALTER_ADD_COLUMN: rc = alter_add(s, a, t, al, e); break;
    case AST_ALTER_DROP_COLUMN: rc = alter_drop(s, a, t, al, e); break;
    case AST_ALTER_RENAME_COLUMN: rc = alter_rename_column(s, a, t, al, e); break;
    case AST_ALTER_RENAME_TABLE: rc = alter_rename_table(s, a, t, al, e); break;
    default: rc = nq_err_set(e, NQ_ENOTSUP, "not supported yet: this ALTER TABLE form");
    }
    ast_arena_free(a);
    return rc;
}

/* ---- ANALYZE ------------------------------------------------------------------------------ */

static int put_stat(sql_session *s, const char *name, const sqlv *f, int n, nq_err *e)
{
    nq_tree *sch;
    int rc = ddl_schema_tree(s, &sch, e);
    if (rc)
        return rc;
    char key[300];
    size_t kl = (size_t)snprintf(key, sizeof key, "%s", CAT_STAT_PREFIX);
    for (const char *p = name; *p && kl + 1 < sizeof key; p++)
        key[kl++] = (char)tolower((unsigned char)*p);
    uint8_t *rec;
    size_t rl;
    if ((rc = rec_encode(f, n, &rec, &rl, e)))
        return rc;
    rc = tw_put(s, sch, key, kl, rec, rl, 0, e);
    free(rec);
    return rc;
}

static int analyze_index(sql_session *s, cat_index *ix, nq_err *e)
{
    nq_cursor *c;
    int rc = nq_cursor_open(ix->handle, &c);
    if (rc)
        return nq_err_set(e, rc, "%s", nq_errmsg(s->db));
    int n = ix->ncols;
    uint64_t rows = 0, distinct[32] = {0};
    size_t prev_len[32] = {0};
    uint8_t *prev = NULL;
    size_t prevl = 0;
    for (rc = nq_cursor_first(c); rc == 0; rc = nq_cursor_next(c)) {
        size_t kl;
        const uint8_t *k = nq_cursor_key(c, &kl);
        if (!k) {
            rc = NQ_ECORRUPT;
            break;
        }
        /* end of each column's encoding */
        size_t ends[32], off = 0;
        for (int j = 0; j < n; j++) {
            sqlv v;
            size_t used = 0;
            if ((rc = key_decode(k + off, kl - off, &ix->kcols[j], NULL, 1, &v, &used, e)))
                break;
            sqlv_clear(&v);
            off += used;
            ends[j] = off;
        }
        if (rc)
            break;
        int differs = prev == NULL;
        for (int j = 0; j < n; j++) {
            if (!differs && (prev_len[j] != ends[j] || memcmp(prev, k, ends[j])))
                differs = 1;
            if (differs)
                distinct[j]++;
            prev_len[j] = ends[j];
        }
        if (kl > prevl) {
            uint8_t *np = realloc(prev, kl);
            if (!np) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            prev = np;
            prevl = kl;
        }
        memcpy(prev, k, kl);
        rows++;
    }
    free(prev);
    nq_cursor_close(c);
    if (rc != NQ_ENOTFOUND)
        return e && e->code ? rc : nq_err_set(e, rc, "index \"%s\": %s", ix->name, nq_strerror(rc));
    sqlv f[33];
    f[0] = sqlv_int((int64_t)rows);
    for (int j = 0; j < n; j++)
        f[j + 1] = sqlv_int((int64_t)distinct[j]);
    return put_stat(s, ix->name, f, n + 1, e);
}

int cat_analyze(sql_session *s, const char *table, nq_err *e)
{
    int rc = ddl_prepare(s, e);
    if (rc)
        return rc;
    cat_table *only = NULL;
    if (table) {
        only = cat_table_find(s->cat, table);
        if (!only) {
            cat_index *ix = cat_index_find(s->cat, table);
            if (!ix)
                return nq_err_set(e, NQ_ESCHEMA, "no such table: %s", table);
            only = ix->table; /* ANALYZE index: its table (and so the index) */
        }
    }
    int any = 0;
    for (int i = 0; i < s->cat->ntables && !rc; i++) {
        cat_table *t = s->cat->tables[i];
        if (only && t != only)
            continue;
        uint64_t rows;
        if ((rc = nq_tree_count(t->handle, &rows))) {
            rc = nq_err_set(e, rc, "%s", nq_errmsg(s->db));
            break;
        }
        sqlv f = sqlv_int((int64_t)rows);
        rc = put_stat(s, t->name, &f, 1, e);
        for (int j = 0; j < t->nidx && !rc; j++)
            rc = analyze_index(s, t->idx[j], e);
        any = 1;
    }
    if (!rc && any)
        rc = ddl_commit_change(s, e);
    return rc;
}
