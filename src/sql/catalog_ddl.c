/*
 * catalog_ddl.c — CREATE TABLE / INDEX / VIEW and DROP: validate, write the schema tree,
 * create or drop storage trees, bump the version, reload.
 *
 * Every DDL statement follows the same steps: build the new object in a scratch arena with the
 * same builder the loader uses (catalog.c), so an invalid definition fails before anything is
 * written; then write its canonical CREATE text and create its trees through the logged
 * primitives (undo.c), so a failing statement or ROLLBACK TO takes it all back; then bump the
 * schema version and reload the catalog from storage. Reloading rather than patching the
 * in-memory catalog means there is exactly one code path from stored text to catalog objects.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/catalog_ddl_int.h"
#include "sql/record.h"
#include "sql/tablerw.h"

int ddl_prepare(sql_session *s, nq_err *e)
{
    int mode;
    /* a concurrent transaction (a statement that changes the schema only sometimes, such as
     * SYNAPTIC_OPTIMIZE) turns exclusive here */
    int rc = sess_exclusive(s, e);
    if (rc)
        return rc;
    if (!nq_in_txn(s->db, &mode) || mode != NQ_TXN_WRITE)
        return nq_err_set(e, NQ_EMISUSE, "schema changes need an open write transaction");
    return sess_catalog(s, e);
}

int ddl_schema_tree(sql_session *s, nq_tree **out, nq_err *e)
{
    if (!s->cat->schema) {
        int rc = tw_tree_create(s, CAT_SCHEMA_TREE, &s->cat->schema, e);
        if (rc)
            return rc;
    }
    *out = s->cat->schema;
    return 0;
}

int ddl_check_name(const char *name, nq_err *e)
{
    size_t n = strlen(name);
    if (n == 0)
        return nq_err_set(e, NQ_EINVAL, "zero-length name");
    if (n > 255)
        return nq_err_set(e, NQ_EINVAL, "name longer than 255 bytes: %.40s...", name);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20)
            return nq_err_set(e, NQ_EINVAL, "names may not contain control characters");
    return 0;
}

/* The schema key of a name: ASCII lower case, like every lookup. */
static void name_key(const char *name, char *out, size_t cap)
{
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)name[i]);
    out[i] = 0;
}

int ddl_name_taken(const catalog *c, const char *name)
{
    return cat_table_find(c, name) || cat_index_find(c, name) || cat_view_find(c, name);
}

int ddl_put_entry(sql_session *s, const char *kind, const char *name, const char *table, int64_t id,
                  const char *sql, int origin, nq_err *e)
{
    nq_tree *sch;
    int rc = ddl_schema_tree(s, &sch, e);
    if (rc)
        return rc;
    sqlv f[6] = {
        sqlv_text(kind, strlen(kind)), sqlv_text(name, strlen(name)),
        sqlv_text(table, strlen(table)), sqlv_int(id), sqlv_text(sql, strlen(sql)),
        sqlv_int(origin),
    };
    uint8_t *rec;
    size_t rl;
    if ((rc = rec_encode(f, 6, &rec, &rl, e)))
        return rc;
    char key[256];
    name_key(name, key, sizeof key);
    rc = tw_put(s, sch, key, strlen(key), rec, rl, 0, e);
    free(rec);
    return rc;
}

/* Delete a schema key if it is there. */
static int del_key(sql_session *s, const char *key, size_t kl, nq_err *e)
{
    nq_tree *sch;
    int rc = ddl_schema_tree(s, &sch, e);
    if (rc)
        return rc;
    void *v = NULL;
    size_t vl;
    rc = nq_get(sch, key, kl, &v, &vl);
    free(v);
    if (rc == NQ_ENOTFOUND)
        return 0;
    if (rc)
        return nq_err_set(e, rc, "%s", nq_errmsg(s->db));
    return tw_del(s, sch, key, kl, e);
}

int ddl_del_entry(sql_session *s, const char *name, nq_err *e)
{
    char key[256], stat[300];
    name_key(name, key, sizeof key);
    int rc = del_key(s, key, strlen(key), e);
    if (!rc) {
        snprintf(stat, sizeof stat, "%s%s", CAT_STAT_PREFIX, key);
        rc = del_key(s, stat, strlen(stat), e);
    }
    return rc;
}

int ddl_new_id(sql_session *s, int64_t *id, nq_err *e)
{
    nq_tree *sch;
    int rc = ddl_schema_tree(s, &sch, e);
    if (rc)
        return rc;
    uint64_t v;
    if ((rc = nq_seq_next(sch, &v)))
        return nq_err_set(e, rc, "%s", nq_errmsg(s->db));
    *id = (int64_t)v;
    return 0;
}

int ddl_commit_change(sql_session *s, nq_err *e)
{
    nq_tree *sch;
    int rc = ddl_schema_tree(s, &sch, e);
    if (rc)
        return rc;
    int64_t v;
    if ((rc = cat_read_version(sch, &v, e)))
        return rc;
    sqlv f = sqlv_int(v + 1);
    uint8_t *rec;
    size_t rl;
    if ((rc = rec_encode(&f, 1, &rec, &rl, e)))
        return rc;
    rc = tw_put(s, sch, CAT_VERSION_KEY, strlen(CAT_VERSION_KEY), rec, rl, 0, e);
    free(rec);
    if (rc)
        return rc;
    s->cat_invalid = 1;
    return sess_catalog(s, e);
}

char *ddl_print(ast_arena *a, ast_stmt_kind kind, void *node)
{
    ast_stmt st;
    memset(&st, 0, sizeof st);
    st.kind = kind;
    switch (kind) {
    case AST_CREATE_TABLE: st.u.create_table = node; break;
    case AST_CREATE_INDEX: st.u.create_index = node; break;
    case AST_CREATE_VIEW: st.u.create_view = node; break;
    default: return NULL;
    }
    return ast_to_sql(a, &st);
}

int ddl_exists_error(const catalog *c, const char *name, nq_err *e)
{
    if (cat_table_find(c, name))
        return nq_err_set(e, NQ_EEXIST, "table %s already exists", name);
    if (cat_view_find(c, name))
        return nq_err_set(e, NQ_EEXIST, "view %s already exists", name);
    return nq_err_set(e, NQ_EEXIST, "relation \"%s\" already exists", name);
}

/* A name not used by any object: base, else base1, base2, ... (not in taken either). */
static const char *fresh_name(ast_arena *a, const catalog *c, const char *base, const char **taken,
                              int ntaken)
{
    size_t n = strlen(base) + 24;
    char *buf = ast_alloc(a, n);
    if (!buf)
        return NULL;
    for (int k = 0;; k++) {
        if (k)
            snprintf(buf, n, "%s%d", base, k);
        else
            snprintf(buf, n, "%s", base);
        int used = ddl_name_taken(c, buf);
        for (int i = 0; i < ntaken && !used; i++)
            used = !strcasecmp(taken[i], buf);
        if (!used)
            return buf;
    }
}

/* "<table>_<col>_<col>_<suffix>" */
static char *key_name(ast_arena *a, const char *table, const ast_list *items, const char *suffix)
{
    size_t n = strlen(table) + strlen(suffix) + 2;
    for (int i = 0; i < items->n; i++) {
        const ast_order *o = items->v[i];
        n += strlen(o->e && o->e->name ? o->e->name : "expr") + 1;
    }
    char *p = ast_alloc(a, n);
    if (!p)
        return NULL;
    strcpy(p, table);
    for (int i = 0; i < items->n; i++) {
        const ast_order *o = items->v[i];
        strcat(p, "_");
        strcat(p, o->e && o->e->name ? o->e->name : "expr");
    }
    strcat(p, "_");
    strcat(p, suffix);
    return p;
}

typedef struct auto_index {
    const char *name;
    int origin;
    ast_list items; /* ast_order* */
} auto_index;

static ast_order *col_item(ast_arena *a, const char *col, ast_dir dir)
{
    ast_expr *x = ast_alloc(a, sizeof *x);
    ast_order *o = ast_alloc(a, sizeof *o);
    if (!x || !o)
        return NULL;
    x->kind = AST_E_COLUMN;
    x->name = col;
    o->e = x;
    o->dir = dir;
    return o;
}

/* The automatic indexes of a new table: its PRIMARY KEY (unless it is the rowid), then every
 * UNIQUE constraint, in the order written. */
static int auto_indexes(ast_arena *a, const catalog *c, const ast_create_table *def,
                        const cat_table *t, auto_index *out, int *n, int cap, nq_err *e)
{
    *n = 0;
    const char *taken[64];
    for (int pass = 0; pass < 2; pass++) {
        int want = pass == 0 ? AST_CONS_PRIMARY_KEY : AST_CONS_UNIQUE;
        if (pass == 0 && (t->npk == 0 || t->ipk >= 0))
            continue;
        for (int i = 0; i < def->cols.n; i++) {
            const ast_column_def *cd = def->cols.v[i];
            for (int k = 0; k < cd->cons.n; k++) {
                const ast_constraint *cn = cd->cons.v[k];
                if ((int)cn->kind != want)
                    continue;
                if (*n == cap)
                    return nq_err_set(e, NQ_EINVAL, "too many unique constraints");
                auto_index *ai = &out[*n];
                memset(ai, 0, sizeof *ai);
                ast_order *o = col_item(a, cd->name, cn->dir);
                if (!o || ast_list_push(a, &ai->items, o))
                    return nq_err_set(e, NQ_ENOMEM, "out of memory");
                ai->origin = pass == 0 ? CAT_IDX_PRIMARY : CAT_IDX_UNIQUE;
                const char *base = pass == 0 ? t->pk_name
                                   : cn->name ? cn->name : key_name(a, t->name, &ai->items, "key");
                ai->name = base ? fresh_name(a, c, base, taken, *n) : NULL;
                if (!ai->name)
                    return nq_err_set(e, NQ_ENOMEM, "out of memory");
                taken[(*n)++] = ai->name;
            }
        }
        for (int k = 0; k < def->cons.n; k++) {
            const ast_constraint *cn = def->cons.v[k];
            if ((int)cn->kind != want)
                continue;
            if (*n == cap)
                return nq_err_set(e, NQ_EINVAL, "too many unique constraints");
            auto_index *ai = &out[*n];
            memset(ai, 0, sizeof *ai);
            ai->items = cn->cols;
            ai->origin = pass == 0 ? CAT_IDX_PRIMARY : CAT_IDX_UNIQUE;
            const char *base = pass == 0 ? t->pk_name
                               : cn->name ? cn->name : key_name(a, t->name, &ai->items, "key");
            ai->name = base ? fresh_name(a, c, base, taken, *n) : NULL;
            if (!ai->name)
                return nq_err_set(e, NQ_ENOMEM, "out of memory");
            taken[(*n)++] = ai->name;
        }
    }
    return 0;
}

int ddl_write_index(sql_session *s, ast_arena *a, const char *name, const char *table, int unique,
                    const ast_list *items, int origin, int64_t *id_out, nq_err *e)
{
    int64_t id = 0;
    int rc = ddl_new_id(s, &id, e);
    if (rc)
        return rc;
    char tree[24];
    snprintf(tree, sizeof tree, "i%lld", (long long)id);
    nq_tree *h;
    if ((rc = tw_tree_create(s, tree, &h, e)))
        return rc;
    nq_tree_close(h);
    ast_create_index ci;
    memset(&ci, 0, sizeof ci);
    ci.unique = unique & 1;
    ci.neuromorphic = (unique & DDL_IX_NEUROMORPHIC) != 0;
    ci.name.name = name;
    ci.table.name = table;
    ci.items = *items;
    char *sql = ddl_print(a, AST_CREATE_INDEX, &ci);
    if (!sql)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (id_out)
        *id_out = id;
    return ddl_put_entry(s, "index", name, table, id, sql, origin, e);
}

int cat_create_table(sql_session *s, const ast_create_table *def, nq_err *e)
{
    if (def->as_select)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: CREATE TABLE AS");
    int rc = ddl_prepare(s, e);
    if (rc || (rc = ddl_check_name(def->name.name, e)) || (rc = cat_check_schema(&def->name, e)))
        return rc;
    if (ddl_name_taken(s->cat, def->name.name)) {
        if (def->if_not_exists) /* PostgreSQL: 'relation already exists, skipping' */
            return 0;
        return ddl_exists_error(s->cat, def->name.name, e);
    }
    for (int i = 0; i < def->cols.n; i++)
        if ((rc = cat_check_compression(def->cols.v[i], e)))
            return rc;
    ast_arena *a = ast_arena_new();
    if (!a)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    cat_table *t;
    auto_index ai[64];
    int nai = 0;
    if ((rc = cat_build_table(a, def, 0, &t, e)) ||
        (rc = auto_indexes(a, s->cat, def, t, ai, &nai, 64, e)))
        goto out;
    for (int i = 0; i < nai; i++) {
        cat_index *ix;
        ast_create_index ci;
        memset(&ci, 0, sizeof ci);
        ci.unique = 1;
        ci.items = ai[i].items;
        if ((rc = cat_build_index(a, t, &ci, 0, ai[i].origin, &ix, e)))
            goto out;
    }
    int64_t id = 0;
    if ((rc = ddl_new_id(s, &id, e)))
        goto out;
    char tree[24];
    snprintf(tree, sizeof tree, "t%lld", (long long)id);
    nq_tree *h;
    if ((rc = tw_tree_create(s, tree, &h, e)))
        goto out;
    nq_tree_close(h);
    ast_create_table cp = *def;
    cp.if_not_exists = 0;
    cp.name.schema = NULL;
    char *sql = ddl_print(a, AST_CREATE_TABLE, &cp);
    if (!sql) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = ddl_put_entry(s, "table", def->name.name, def->name.name, id, sql, 0, e)))
        goto out;
    for (int i = 0; i < nai && !rc; i++)
        rc = ddl_write_index(s, a, ai[i].name, def->name.name, 1, &ai[i].items, ai[i].origin, NULL, e);
    if (!rc)
        rc = ddl_commit_change(s, e);
out:
    ast_arena_free(a);
    return rc;
}

int cat_create_index(sql_session *s, const ast_create_index *def, nq_err *e)
{
    int rc = ddl_prepare(s, e);
    if (rc || (rc = cat_check_schema(&def->table, e)) || (rc = cat_check_schema(&def->name, e)))
        return rc;
    cat_table *t = cat_table_find(s->cat, def->table.name);
    if (!t) {
        if (cat_view_find(s->cat, def->table.name))
            return nq_err_set(e, NQ_EINVAL, "cannot create an index on view \"%s\"", def->table.name);
        return nq_err_set(e, NQ_ESCHEMA, "no such table: %s", def->table.name);
    }
    ast_arena *a = ast_arena_new();
    if (!a)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    const char *name = def->name.name;
    if (name) {
        if ((rc = ddl_check_name(name, e)))
            goto out;
        if (ddl_name_taken(s->cat, name)) {
            if (def->if_not_exists)
                rc = 0;
            else
                rc = ddl_exists_error(s->cat, name, e);
            goto out;
        }
    } else {
        char *base = key_name(a, t->name, &def->items, "idx");
        if (!base || !(name = fresh_name(a, s->cat, base, NULL, 0))) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            goto out;
        }
    }
    cat_index *ix;
    if ((rc = cat_build_index(a, t, def, 0, CAT_IDX_CREATED, &ix, e)))
        goto out;
    const char *tname = t->name;
    int64_t id;
    if ((rc = ddl_write_index(s, a, name, tname, def->unique | (def->neuromorphic ? DDL_IX_NEUROMORPHIC : 0), &def->items, CAT_IDX_CREATED, &id, e)) ||
        (rc = ddl_commit_change(s, e)))
        goto out;
    /* fill it from the table's rows */
    cat_index *nix = cat_index_find(s->cat, name);
    if (!nix || nix->id != id) {
        rc = nq_err_set(e, NQ_ERROR, "index \"%s\" vanished while it was being created", name);
        goto out;
    }
    rc = tw_index_build(s, nix, e);
out:
    ast_arena_free(a);
    return rc;
}

int cat_create_view(sql_session *s, const ast_create_view *def, nq_err *e)
{
    if (def->temp)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: temporary views");
    int rc = ddl_prepare(s, e);
    if (rc || (rc = ddl_check_name(def->name.name, e)) || (rc = cat_check_schema(&def->name, e)))
        return rc;
    if (ddl_name_taken(s->cat, def->name.name)) {
        if (def->if_not_exists)
            return 0;
        return ddl_exists_error(s->cat, def->name.name, e);
    }
    ast_arena *a = ast_arena_new();
    if (!a)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    ast_create_view cp = *def;
    cp.if_not_exists = 0;
    cp.name.schema = NULL;
    char *sql = ddl_print(a, AST_CREATE_VIEW, &cp);
    if (!sql)
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
    else if (!(rc = ddl_put_entry(s, "view", def->name.name, def->name.name, 0, sql, 0, e)))
        rc = ddl_commit_change(s, e);
    ast_arena_free(a);
    return rc;
}

static int drop_index_storage(sql_session *s, cat_index *ix, nq_err *e)
{
    int rc = ddl_del_entry(s, ix->name, e);
    return rc ? rc : tw_tree_drop(s, ix->tree, e);
}

int cat_drop(sql_session *s, const ast_drop *d, nq_err *e)
{
    if (d->what == AST_OBJ_TRIGGER)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: triggers");
    int rc = ddl_prepare(s, e);
    if (rc)
        return rc;
    static const char *const what[] = {"table", "index", "view", "trigger"};
    /* resolve every name first: a missing one fails the statement before any change */
    int n = d->names.n, any = 0;
    void **objs = calloc((size_t)(n ? n : 1), sizeof *objs);
    if (!objs)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const ast_qname *q = d->names.v[i];
        if ((rc = cat_check_schema(q, e)))
            goto out;
        void *o = d->what == AST_OBJ_TABLE ? (void *)cat_table_find(s->cat, q->name)
                  : d->what == AST_OBJ_INDEX ? (void *)cat_index_find(s->cat, q->name)
                                             : (void *)cat_view_find(s->cat, q->name);
        if (!o) {
            if (d->if_exists)
                continue;
            if (d->what == AST_OBJ_TABLE && cat_view_find(s->cat, q->name))
                rc = nq_err_set(e, NQ_EINVAL, "\"%s\" is a view: use DROP VIEW", q->name);
            else if (d->what == AST_OBJ_VIEW && cat_table_find(s->cat, q->name))
                rc = nq_err_set(e, NQ_EINVAL, "\"%s\" is a table: use DROP TABLE", q->name);
            else
                rc = nq_err_set(e, NQ_ESCHEMA, "no such %s: %s", what[d->what], q->name);
            goto out;
        }
        for (int j = 0; j < i; j++)
            if (objs[j] == o)
                o = NULL; /* named twice */
        if (o && d->what == AST_OBJ_INDEX && ((cat_index *)o)->origin != CAT_IDX_CREATED) {
            cat_index *ix = o;
            rc = nq_err_set(e, NQ_EINVAL,
                            "cannot drop index %s because constraint %s on table %s requires it",
                            ix->name, ix->name, ix->table->name);
            goto out;
        }
        objs[i] = o;
    }
    for (int i = 0; i < n && !rc; i++) {
        if (!objs[i])
            continue;
        any = 1;
        if (d->what == AST_OBJ_TABLE) {
            cat_table *t = objs[i];
            for (int j = 0; j < t->nidx && !rc; j++)
                rc = drop_index_storage(s, t->idx[j], e);
            if (!rc && !(rc = ddl_del_entry(s, t->name, e)))
                rc = tw_tree_drop(s, t->tree, e);
        } else if (d->what == AST_OBJ_INDEX) {
            rc = drop_index_storage(s, objs[i], e);
        } else {
            rc = ddl_del_entry(s, ((cat_view *)objs[i])->name, e);
        }
    }
    if (!rc && any)
        rc = ddl_commit_change(s, e);
out:
    free(objs);
    return rc;
}
