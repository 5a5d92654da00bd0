/*
 * catalog.c — the in-memory schema: loading it from "sql:schema", building tables and indexes
 * from their CREATE statements, lookups, rowid keys.
 *
 * The stored form of every object is its canonical CREATE text (catalog.h), so there is one
 * way to build a cat_table: parse the text and run cat_build_table over the tree. DDL
 * (catalog_ddl.c) uses the same builder to validate a new definition before writing it, then
 * reloads the catalog from storage, so a definition in memory is always exactly what a later
 * load would see. Loading costs a parse per object; schemas are small and reloads happen only
 * when the schema version moves.
 *
 * Index entries in the schema tree carry a sixth record column, origin (CAT_IDX_*), so that the
 * automatic indexes of PRIMARY KEY and UNIQUE constraints load like any other index and keep
 * their names when the table is renamed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/catalog_int.h"
#include "sql/parser.h"
#include "sql/record.h"

/* ---- rowid keys ------------------------------------------------------------------------- */

void cat_rowid_key(int64_t rowid, uint8_t out[8])
{
    uint64_t u = (uint64_t)rowid ^ (UINT64_C(1) << 63);
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)u;
        u >>= 8;
    }
}

int64_t cat_rowid_from_key(const uint8_t key[8])
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | key[i];
    return (int64_t)(u ^ (UINT64_C(1) << 63));
}

/* ---- lookups ----------------------------------------------------------------------------
 * Every statement resolves names, and a schema load resolves each index's table, so lookups go
 * through an open-addressing hash of ASCII-folded names (built when a catalog is loaded; a
 * catalog never changes after that). Tables, indexes and views share one namespace. */

enum { NM_TABLE = 1, NM_INDEX, NM_VIEW };

typedef struct name_slot {
    uint32_t hash;
    int kind;
    void *obj;
    const char *name;
} name_slot;

struct cat_names {
    name_slot *slot;
    uint32_t mask;
};

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + 32);
        h = (h ^ ch) * 16777619u;
    }
    return h;
}

static void names_put(struct cat_names *nm, int kind, const char *name, void *obj)
{
    uint32_t h = name_hash(name);
    for (uint32_t i = h & nm->mask;; i = (i + 1) & nm->mask) {
        name_slot *sl = &nm->slot[i];
        if (!sl->obj) {
            *sl = (name_slot){h, kind, obj, name};
            return;
        }
        if (sl->hash == h && sl->kind == kind && !strcasecmp(sl->name, name))
            return; /* first one wins, like the linear search did */
    }
}

/* (Re)build the hash from the catalog's objects; 0 or NQ_ENOMEM. */
static int names_build(catalog *c)
{
    uint32_t n = (uint32_t)(c->ntables + c->nviews);
    for (int i = 0; i < c->ntables; i++)
        n += (uint32_t)c->tables[i]->nidx;
    uint32_t cap = 16;
    while (cap < 2 * n + 2)
        cap <<= 1;
    struct cat_names *nm = ast_alloc(c->arena, sizeof *nm);
    if (!nm || !(nm->slot = ast_alloc(c->arena, cap * sizeof(name_slot))))
        return NQ_ENOMEM;
    nm->mask = cap - 1;
    for (int i = 0; i < c->ntables; i++) {
        cat_table *t = c->tables[i];
        names_put(nm, NM_TABLE, t->name, t);
        for (int j = 0; j < t->nidx; j++)
            names_put(nm, NM_INDEX, t->idx[j]->name, t->idx[j]);
    }
    for (int i = 0; i < c->nviews; i++)
        names_put(nm, NM_VIEW, c->views[i]->name, c->views[i]);
    c->names = nm;
    return 0;
}

static void *names_find(const catalog *c, int kind, const char *name)
{
    if (!c || !name)
        return NULL;
    const struct cat_names *nm = c->names;
    if (!nm) {
        /* while a catalog is being built (or out of memory): the plain walk */
        if (kind == NM_TABLE) {
            for (int i = 0; i < c->ntables; i++)
                if (!strcasecmp(c->tables[i]->name, name))
                    return c->tables[i];
        } else if (kind == NM_INDEX) {
            for (int i = 0; i < c->ntables; i++)
                for (int j = 0; j < c->tables[i]->nidx; j++)
                    if (!strcasecmp(c->tables[i]->idx[j]->name, name))
                        return c->tables[i]->idx[j];
        } else {
            for (int i = 0; i < c->nviews; i++)
                if (!strcasecmp(c->views[i]->name, name))
                    return c->views[i];
        }
        return NULL;
    }
    uint32_t h = name_hash(name);
    for (uint32_t i = h & nm->mask; nm->slot[i].obj; i = (i + 1) & nm->mask) {
        const name_slot *sl = &nm->slot[i];
        if (sl->hash == h && sl->kind == kind && !strcasecmp(sl->name, name))
            return sl->obj;
    }
    return NULL;
}

cat_table *cat_table_find(const catalog *c, const char *name)
{
    return names_find(c, NM_TABLE, name);
}

cat_index *cat_index_find(const catalog *c, const char *name)
{
    return names_find(c, NM_INDEX, name);
}

cat_view *cat_view_find(const catalog *c, const char *name)
{
    return names_find(c, NM_VIEW, name);
}

int cat_column_find(const cat_table *t, const char *name)
{
    if (!t || !name)
        return -1;
    for (int i = 0; i < t->ncols; i++)
        if (!strcasecmp(t->cols[i].name, name))
            return i;
    return -1;
}

/* ---- types ------------------------------------------------------------------------------ */

/* Type names and what they store. The list holds the standard names, PostgreSQL's and
 * SQLite's common aliases and the project's own types; anything else is an error rather than
 * SQLite's silent affinity guess, because a typo in a type name should not change what a
 * column accepts. */
static const struct {
    const char *name;
    sqlv_type type;
    int integer;   /* an integer type name (INTEGER PRIMARY KEY alias) */
    int serial;    /* SERIAL family: implies AUTOINCREMENT */
    int sized;     /* (n) is a character limit */
    int project;   /* cat_column.project_type */
} types[] = {
    {"INTEGER", SQLV_INT, 1, 0, 0, 0},         {"INT", SQLV_INT, 1, 0, 0, 0},
    {"BIGINT", SQLV_INT, 1, 0, 0, 0},          {"SMALLINT", SQLV_INT, 1, 0, 0, 0},
    {"TINYINT", SQLV_INT, 1, 0, 0, 0},         {"MEDIUMINT", SQLV_INT, 1, 0, 0, 0},
    {"INT2", SQLV_INT, 1, 0, 0, 0},            {"INT4", SQLV_INT, 1, 0, 0, 0},
    {"INT8", SQLV_INT, 1, 0, 0, 0},            {"UNSIGNED BIG INT", SQLV_INT, 1, 0, 0, 0},
    {"SERIAL", SQLV_INT, 1, 1, 0, 0},          {"BIGSERIAL", SQLV_INT, 1, 1, 0, 0},
    {"SMALLSERIAL", SQLV_INT, 1, 1, 0, 0},
    {"REAL", SQLV_REAL, 0, 0, 0, 0},           {"FLOAT", SQLV_REAL, 0, 0, 0, 0},
    {"FLOAT4", SQLV_REAL, 0, 0, 0, 0},         {"FLOAT8", SQLV_REAL, 0, 0, 0, 0},
    {"DOUBLE", SQLV_REAL, 0, 0, 0, 0},         {"DOUBLE PRECISION", SQLV_REAL, 0, 0, 0, 0},
    {"DECIMAL", SQLV_REAL, 0, 0, 0, 0},        {"NUMERIC", SQLV_REAL, 0, 0, 0, 0},
    {"TEXT", SQLV_TEXT, 0, 0, 0, 0},           {"VARCHAR", SQLV_TEXT, 0, 0, 1, 0},
    {"CHAR", SQLV_TEXT, 0, 0, 1, 0},           {"CHARACTER", SQLV_TEXT, 0, 0, 1, 0},
    {"CHARACTER VARYING", SQLV_TEXT, 0, 0, 1, 0}, {"NVARCHAR", SQLV_TEXT, 0, 0, 1, 0},
    {"NCHAR", SQLV_TEXT, 0, 0, 1, 0},          {"CLOB", SQLV_TEXT, 0, 0, 0, 0},
    {"STRING", SQLV_TEXT, 0, 0, 0, 0},         {"UUID", SQLV_TEXT, 0, 0, 0, 0},
    {"JSON", SQLV_TEXT, 0, 0, 0, 3},           {"JSONB", SQLV_TEXT, 0, 0, 0, 3},
    {"DNA_SEQUENCE", SQLV_TEXT, 0, 0, 0, 1},
    {"BOOLEAN", SQLV_BOOL, 0, 0, 0, 0},        {"BOOL", SQLV_BOOL, 0, 0, 0, 0},
    {"DATE", SQLV_DATE, 0, 0, 0, 0},           {"TIME", SQLV_TIME, 0, 0, 0, 0},
    {"TIMESTAMP", SQLV_TIMESTAMP, 0, 0, 0, 0}, {"DATETIME", SQLV_TIMESTAMP, 0, 0, 0, 0},
    {"TIMESTAMPTZ", SQLV_TIMESTAMP, 0, 0, 0, 0},
    {"BLOB", SQLV_BLOB, 0, 0, 0, 0},           {"BYTEA", SQLV_BLOB, 0, 0, 0, 0},
    {"NEURAL_VECTOR", SQLV_VECTOR, 0, 0, 0, 2}, {"VECTOR", SQLV_VECTOR, 0, 0, 0, 2},
};

int cat_type_lookup(const ast_type *ty, cat_column *col, int *integer, nq_err *e)
{
    *integer = 0;
    if (!ty) {
        col->type = SQLV_NULL;
        return 0;
    }
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (types[i].name[0] != ty->name[0] || strcmp(types[i].name, ty->name))
            continue;
        col->type = types[i].type;
        col->project_type = types[i].project;
        col->dna = types[i].project == 1 ? CAT_DNA_SEQUENCE : CAT_DNA_NONE;
        *integer = types[i].integer;
        if (types[i].serial)
            col->autoinc = 1;
        if (types[i].sized && ty->nargs >= 1) {
            if (ty->args[0] < 1 || ty->args[0] > 10485760)
                return nq_err_set(e, NQ_EINVAL, "length for type %s must be between 1 and 10485760",
                                  ty->name);
            col->max_chars = (int)ty->args[0];
        }
        return 0;
    }
    return nq_err_set(e, NQ_EINVAL, "unknown type name: %s", ty->name);
}

int cat_check_compression(const ast_column_def *cd, nq_err *e)
{
    for (int k = 0; k < cd->cons.n; k++) {
        const ast_constraint *c = cd->cons.v[k];
        if (c->kind != AST_CONS_COMPRESSION)
            continue;
        if (!c->text || strcasecmp(c->text, "DNA"))
            return nq_err_set(e, NQ_EINVAL, "Unknown compression algorithm: %s",
                              c->text ? c->text : "");
        cat_column col = {0};
        int integer;
        int rc = cat_type_lookup(cd->type, &col, &integer, e);
        if (rc)
            return rc;
        if (col.type != SQLV_TEXT && col.type != SQLV_NULL)
            return nq_err_set(e, NQ_EINVAL, "WITH COMPRESSION DNA needs a TEXT column, and \"%s\" "
                              "is %s", cd->name, cd->type ? cd->type->name : "untyped");
    }
    return 0;
}

/* ---- building from definitions ---------------------------------------------------------- */

static void *grow(ast_arena *a, void *old, int n, size_t size)
{
    /* arena arrays: copy into a new block one larger (schemas are small) */
    void *p = ast_alloc(a, (size_t)(n + 1) * size);
    if (p && n)
        memcpy(p, old, (size_t)n * size);
    return p;
}

int cat_check_schema(const ast_qname *q, nq_err *e)
{
    if (q->schema && strcasecmp(q->schema, "main") && strcasecmp(q->schema, "public"))
        return nq_err_set(e, NQ_ESCHEMA, "no such schema: %s", q->schema);
    return 0;
}

static cat_fk_action fk_action(ast_fk_action a)
{
    switch (a) {
    case AST_FK_CASCADE: return CAT_FK_CASCADE;
    case AST_FK_SET_NULL: return CAT_FK_SET_NULL;
    case AST_FK_SET_DEFAULT: return CAT_FK_SET_DEFAULT;
    case AST_FK_RESTRICT: return CAT_FK_RESTRICT;
    default: return CAT_FK_NO_ACTION;
    }
}

static int add_fk(ast_arena *a, cat_table *t, const char *name, const int *cols, int ncols,
                  const ast_fk *fk, nq_err *e)
{
    if (fk->cols.n && fk->cols.n != ncols)
        return nq_err_set(e, NQ_EINVAL,
                          "number of referencing and referenced columns for foreign key disagree");
    cat_fk *n = grow(a, t->fks, t->nfks, sizeof *n);
    if (!n)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    t->fks = n;
    cat_fk *f = &t->fks[t->nfks++];
    f->name = name;
    f->ncols = ncols;
    f->cols = ast_alloc(a, (size_t)ncols * sizeof(int));
    if (!f->cols)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    memcpy(f->cols, cols, (size_t)ncols * sizeof(int));
    f->parent = fk->table.name;
    if (fk->cols.n) {
        f->parent_cols = ast_alloc(a, (size_t)ncols * sizeof(char *));
        if (!f->parent_cols)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        for (int i = 0; i < ncols; i++)
            f->parent_cols[i] = fk->cols.v[i];
    }
    f->on_delete = fk_action(fk->on_delete);
    f->on_update = fk_action(fk->on_update);
    return 0;
}

static int add_check(ast_arena *a, cat_table *t, const char *name, const ast_expr *ex, nq_err *e)
{
    cat_check *n = grow(a, t->checks, t->nchecks, sizeof *n);
    if (!n)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    t->checks = n;
    t->checks[t->nchecks].name = name;
    t->checks[t->nchecks].e = ex;
    t->nchecks++;
    return 0;
}

/* Column number of a key item (only plain column names are allowed in keys). */
static int key_item_col(const cat_table *t, const ast_order *o, nq_err *e)
{
    const ast_expr *x = o->e;
    while (x && x->kind == AST_E_COLLATE)
        x = x->a;
    if (!x || x->kind != AST_E_COLUMN || x->table)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: expression indexes");
    int c = cat_column_find(t, x->name);
    if (c < 0)
        return nq_err_set(e, NQ_EINVAL, "column \"%s\" named in key does not exist", x->name);
    return c;
}

int cat_build_table(ast_arena *a, const ast_create_table *def, int64_t id, cat_table **out,
                    nq_err *e)
{
    *out = NULL;
    if (def->as_select)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: CREATE TABLE AS");
    if (def->temp)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: temporary tables");
    if (def->without_rowid)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: WITHOUT ROWID tables");
    int rc = cat_check_schema(&def->name, e);
    if (rc)
        return rc;
    if (def->cols.n == 0)
        return nq_err_set(e, NQ_EINVAL, "table \"%s\" has no columns", def->name.name);
    if (def->cols.n > 2000)
        return nq_err_set(e, NQ_EINVAL, "tables can have at most 2000 columns");
    cat_table *t = ast_alloc(a, sizeof *t);
    if (!t || !(t->cols = ast_alloc(a, (size_t)def->cols.n * sizeof(cat_column))))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    t->name = def->name.name;
    t->id = id;
    snprintf(t->tree, sizeof t->tree, "t%lld", (long long)id);
    t->ncols = def->cols.n;
    t->ipk = -1;
    t->def = def;
    int pk_col = -1, pk_integer = 0, pk_desc = 0;
    int *isint = ast_alloc(a, (size_t)def->cols.n * sizeof(int));
    if (!isint)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < def->cols.n; i++) {
        const ast_column_def *cd = def->cols.v[i];
        cat_column *col = &t->cols[i];
        col->name = cd->name;
        for (int j = 0; j < i; j++)
            if (!strcasecmp(t->cols[j].name, cd->name))
                return nq_err_set(e, NQ_EINVAL, "column \"%s\" specified more than once", cd->name);
        if ((rc = cat_type_lookup(cd->type, col, &isint[i], e)))
            return rc;
        if (cd->type) {
            char buf[160];
            if (cd->type->nargs == 2)
                snprintf(buf, sizeof buf, "%s(%lld,%lld)", cd->type->name,
                         (long long)cd->type->args[0], (long long)cd->type->args[1]);
            else if (cd->type->nargs == 1)
                snprintf(buf, sizeof buf, "%s(%lld)", cd->type->name, (long long)cd->type->args[0]);
            else
                snprintf(buf, sizeof buf, "%s", cd->type->name);
            if (!(col->decl = ast_strndup(a, buf, strlen(buf))))
                return nq_err_set(e, NQ_ENOMEM, "out of memory");
        }
        for (int k = 0; k < cd->cons.n; k++) {
            const ast_constraint *c = cd->cons.v[k];
            switch (c->kind) {
            case AST_CONS_PRIMARY_KEY:
                if (t->npk)
                    return nq_err_set(e, NQ_EINVAL,
                                      "multiple primary keys for table \"%s\" are not allowed",
                                      t->name);
                t->npk = 1;
                col->pk = 1;
                col->notnull = 1;
                pk_col = i;
                pk_integer = isint[i];
                pk_desc = c->dir == AST_DIR_DESC;
                if (c->autoincrement)
                    col->autoinc = 1;
                if (c->name)
                    t->pk_name = c->name;
                break;
            case AST_CONS_NOT_NULL: col->notnull = 1; break;
            case AST_CONS_NULL: break;
            case AST_CONS_UNIQUE: break; /* an automatic index (catalog_ddl.c) */
            case AST_CONS_DEFAULT: col->dflt = c->e; break;
            case AST_CONS_CHECK:
                if ((rc = add_check(a, t, c->name, c->e, e)))
                    return rc;
                break;
            case AST_CONS_REFERENCES:
            case AST_CONS_FOREIGN_KEY:
                if (c->fk->cols.n > 1)
                    return nq_err_set(e, NQ_EINVAL,
                                      "number of referencing and referenced columns for foreign key disagree");
                if ((rc = add_fk(a, t, c->name, &i, 1, c->fk, e)))
                    return rc;
                break;
            case AST_CONS_COLLATE: col->collate = c->text; break;
            case AST_CONS_AUTOINCREMENT: col->autoinc = 1; break;
            case AST_CONS_GENERATED:
                return nq_err_set(e, NQ_ENOTSUP, "not supported yet: generated columns");
            case AST_CONS_COMPRESSION:
                /* WITH COMPRESSION DNA: values that are sequences are stored DNA-coded. Other
                 * names are refused by CREATE / ALTER (catalog_ddl.c); a schema written before
                 * that check loads with them as no-ops. */
                if (c->text && !strcasecmp(c->text, "DNA") && col->dna == CAT_DNA_NONE)
                    col->dna = CAT_DNA_COMPRESS;
                break;
            }
        }
    }
    for (int k = 0; k < def->cons.n; k++) {
        const ast_constraint *c = def->cons.v[k];
        if (c->kind == AST_CONS_PRIMARY_KEY || c->kind == AST_CONS_UNIQUE) {
            if (c->kind == AST_CONS_PRIMARY_KEY && t->npk)
                return nq_err_set(e, NQ_EINVAL,
                                  "multiple primary keys for table \"%s\" are not allowed", t->name);
            for (int j = 0; j < c->cols.n; j++) {
                int col = key_item_col(t, c->cols.v[j], e);
                if (col < 0)
                    return col;
                if (c->kind == AST_CONS_PRIMARY_KEY) {
                    if (t->cols[col].pk)
                        return nq_err_set(e, NQ_EINVAL, "column \"%s\" appears twice in primary key constraint",
                                          t->cols[col].name);
                    t->cols[col].pk = j + 1;
                    t->cols[col].notnull = 1;
                }
            }
            if (c->kind == AST_CONS_PRIMARY_KEY) {
                t->npk = c->cols.n;
                if (c->name)
                    t->pk_name = c->name;
                if (c->cols.n == 1) {
                    const ast_order *o = c->cols.v[0];
                    pk_col = key_item_col(t, o, e);
                    pk_integer = isint[pk_col];
                    pk_desc = o->dir == AST_DIR_DESC;
                }
            }
        } else if (c->kind == AST_CONS_CHECK) {
            if ((rc = add_check(a, t, c->name, c->e, e)))
                return rc;
        } else if (c->kind == AST_CONS_FOREIGN_KEY) {
            int cols[64];
            if (c->cols.n > 64)
                return nq_err_set(e, NQ_EINVAL, "foreign key has more than 64 columns");
            for (int j = 0; j < c->cols.n; j++) {
                cols[j] = cat_column_find(t, c->cols.v[j]);
                if (cols[j] < 0)
                    return nq_err_set(e, NQ_EINVAL,
                                      "column \"%s\" referenced in foreign key constraint does not exist",
                                      (const char *)c->cols.v[j]);
            }
            if ((rc = add_fk(a, t, c->name, cols, c->cols.n, c->fk, e)))
                return rc;
        } else {
            return nq_err_set(e, NQ_EINVAL, "unexpected table constraint");
        }
    }
    /* A single-column primary key of an integer type is the rowid (SQLite's INTEGER PRIMARY
     * KEY; DESC keeps its own index, as in SQLite). */
    if (t->npk == 1 && pk_col >= 0 && pk_integer && !pk_desc)
        t->ipk = pk_col;
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].autoinc && i != t->ipk && t->cols[i].type != SQLV_INT)
            return nq_err_set(e, NQ_EINVAL, "AUTOINCREMENT is only allowed on an integer column");
    if (!t->pk_name) {
        size_t n = strlen(t->name) + 6;
        char *p = ast_alloc(a, n);
        if (!p)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        snprintf(p, n, "%s_pkey", t->name);
        t->pk_name = p;
    }
    *out = t;
    return 0;
}

int cat_build_index(ast_arena *a, cat_table *t, const ast_create_index *ci, int64_t id,
                    int origin, cat_index **out, nq_err *e)
{
    *out = NULL;
    if (ci->where)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: partial indexes");
    if (ci->items.n == 0)
        return nq_err_set(e, NQ_EINVAL, "an index needs at least one column");
    if (ci->items.n > 32)
        return nq_err_set(e, NQ_EINVAL, "cannot use more than 32 columns in an index");
    cat_index *ix = ast_alloc(a, sizeof *ix);
    if (!ix || !(ix->cols = ast_alloc(a, (size_t)ci->items.n * sizeof(int))) ||
        !(ix->kcols = ast_alloc(a, (size_t)ci->items.n * sizeof(key_col))))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    ix->name = ci->name.name;
    ix->id = id;
    ix->neuromorphic = ci->neuromorphic;
    snprintf(ix->tree, sizeof ix->tree, "i%lld", (long long)id);
    ix->table = t;
    ix->ncols = ci->items.n;
    ix->unique = ci->unique;
    ix->origin = origin;
    for (int j = 0; j < ci->items.n; j++) {
        const ast_order *o = ci->items.v[j];
        int c = key_item_col(t, o, e);
        if (c < 0)
            return c;
        for (int k = 0; k < j; k++)
            if (ix->cols[k] == c)
                return nq_err_set(e, NQ_EINVAL, "column \"%s\" appears twice in index", t->cols[c].name);
        ix->cols[j] = c;
        ix->kcols[j].desc = o->dir == AST_DIR_DESC;
        /* PostgreSQL's defaults: NULLs sort as if larger than every value */
        ix->kcols[j].nulls_first = o->nulls == AST_NULLS_FIRST ||
                                   (o->nulls == AST_NULLS_NONE && ix->kcols[j].desc);
    }
    *out = ix;
    return 0;
}

/* ---- loading ---------------------------------------------------------------------------- */

typedef struct entry {
    char kind[8];
    const char *name, *table, *sql;
    int64_t id;
    int origin;
} entry;

static int text_of(ast_arena *a, const sqlv *v, const char **out)
{
    if (v->type != SQLV_TEXT)
        return -1;
    *out = ast_strndup(a, (const char *)v->p, v->n);
    return *out ? 0 : -1;
}

static int damaged(nq_err *e, const char *what, size_t kl, const void *k)
{
    return nq_err_set(e, NQ_ECORRUPT, "schema entry \"%.*s\" is damaged: %s", (int)(kl > 64 ? 64 : kl),
                      (const char *)k, what);
}

static int read_entry(ast_arena *a, const void *k, size_t kl, const void *v, size_t vl, entry *en,
                      nq_err *e)
{
    sqlv f[6];
    int n = 0;
    nq_err sub;
    nq_err_clear(&sub);
    if (rec_decode(v, vl, f, 6, &n, &sub) || n < 5)
        return damaged(e, sub.msg[0] ? sub.msg : "too few fields", kl, k);
    if (f[0].type != SQLV_TEXT || f[0].n >= sizeof en->kind || f[3].type != SQLV_INT)
        return damaged(e, "bad kind or id", kl, k);
    memcpy(en->kind, f[0].p, f[0].n);
    en->kind[f[0].n] = 0;
    if (text_of(a, &f[1], &en->name) || text_of(a, &f[2], &en->table) || text_of(a, &f[4], &en->sql))
        return damaged(e, "bad name, table or sql", kl, k);
    en->id = f[3].i;
    en->origin = n > 5 && f[5].type == SQLV_INT ? (int)f[5].i : CAT_IDX_CREATED;
    return 0;
}

static int parse_entry(ast_arena *a, const entry *en, ast_stmt_kind want, ast_stmt **st, nq_err *e)
{
    nq_err sub;
    nq_err_clear(&sub);
    int rc = parse_one(a, en->sql, strlen(en->sql), st, &sub);
    if (rc == NQ_ENOMEM)
        return nq_err_set(e, rc, "out of memory");
    if (rc || (*st)->kind != want)
        return nq_err_set(e, NQ_ECORRUPT, "schema entry \"%s\" is damaged: %s", en->name,
                          rc ? sub.msg : "wrong statement kind");
    return 0;
}

/* A stored definition that no longer builds: the file is damaged (or was written by a version
 * that accepted more), whatever the builder's own code was. */
static int corrupt_entry(nq_err *e, const char *name)
{
    nq_err_prefix(e, NQ_ECORRUPT, "schema entry \"%s\" is damaged", name);
    if (e)
        e->code = NQ_ECORRUPT;
    return NQ_ECORRUPT;
}

static int add_table(catalog *c, cat_table *t, nq_err *e)
{
    cat_table **n = grow(c->arena, c->tables, c->ntables, sizeof *n);
    if (!n)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    c->tables = n;
    c->tables[c->ntables++] = t;
    return 0;
}

int cat_attach_index(ast_arena *a, cat_table *t, cat_index *ix, nq_err *e)
{
    cat_index **n = grow(a, t->idx, t->nidx, sizeof *n);
    if (!n)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    t->idx = n;
    /* automatic ones first (primary, then unique), then by id: creation order */
    int at = t->nidx;
    while (at > 0) {
        cat_index *p = t->idx[at - 1];
        int po = p->origin == CAT_IDX_CREATED ? 3 : p->origin;
        int io = ix->origin == CAT_IDX_CREATED ? 3 : ix->origin;
        if (po < io || (po == io && p->id < ix->id))
            break;
        t->idx[at] = p;
        at--;
    }
    t->idx[at] = ix;
    t->nidx++;
    return 0;
}

/* Statistics record: (rows, distinct_1, ..., distinct_k). */
static void apply_stat(catalog *c, const char *name, const void *v, size_t vl)
{
    sqlv f[33];
    int n = 0;
    if (rec_decode(v, vl, f, 33, &n, NULL) || n < 1 || f[0].type != SQLV_INT)
        return; /* statistics are advisory: a damaged entry reads as "not analyzed" */
    cat_index *ix = cat_index_find(c, name);
    if (ix) {
        if (n - 1 != ix->ncols)
            return;
        uint64_t *d = ast_alloc(c->arena, (size_t)ix->ncols * sizeof *d);
        if (!d)
            return;
        for (int i = 0; i < ix->ncols; i++)
            d[i] = f[i + 1].type == SQLV_INT ? (uint64_t)f[i + 1].i : 0;
        ix->stat_rows = (uint64_t)f[0].i;
        ix->stat_distinct = d;
        return;
    }
    cat_table *t = cat_table_find(c, name);
    if (t)
        t->stat_rows = (uint64_t)f[0].i;
}

int cat_read_version(nq_tree *schema, int64_t *out, nq_err *e)
{
    *out = 0;
    if (!schema)
        return 0;
    void *v = NULL;
    size_t vl = 0;
    int rc = nq_get(schema, CAT_VERSION_KEY, strlen(CAT_VERSION_KEY), &v, &vl);
    if (rc == NQ_ENOTFOUND)
        return 0;
    if (rc)
        return nq_err_set(e, rc, "cannot read the schema version: %s", nq_strerror(rc));
    sqlv f;
    int n = 0;
    rc = rec_decode(v, vl, &f, 1, &n, NULL);
    free(v);
    if (rc || n != 1 || f.type != SQLV_INT)
        return nq_err_set(e, NQ_ECORRUPT, "the schema version entry is damaged");
    *out = f.i;
    return 0;
}

static int open_handles(catalog *c, nq_err *e)
{
    for (int i = 0; i < c->ntables; i++) {
        cat_table *t = c->tables[i];
        int rc = nq_tree_open(c->db, t->tree, 0, &t->handle);
        if (rc)
            return nq_err_set(e, rc == NQ_ENOTFOUND ? NQ_ECORRUPT : rc,
                              "storage tree %s of table \"%s\" cannot be opened: %s", t->tree,
                              t->name, nq_errmsg(c->db));
        for (int j = 0; j < t->nidx; j++) {
            cat_index *ix = t->idx[j];
            rc = nq_tree_open(c->db, ix->tree, 0, &ix->handle);
            if (rc)
                return nq_err_set(e, rc == NQ_ENOTFOUND ? NQ_ECORRUPT : rc,
                                  "storage tree %s of index \"%s\" cannot be opened: %s", ix->tree,
                                  ix->name, nq_errmsg(c->db));
        }
    }
    return 0;
}

static int load_entries(catalog *c, nq_err *e)
{
    nq_cursor *cur = NULL;
    int rc = nq_cursor_open(c->schema, &cur);
    if (rc)
        return nq_err_set(e, rc, "cannot read the schema: %s", nq_errmsg(c->db));
    entry *ents = NULL;
    int nents = 0, capents = 0;
    struct stat_ent { char *name; void *v; size_t vl; } *stats = NULL;
    int nstats = 0, capstats = 0;
    for (rc = nq_cursor_first(cur); rc == 0; rc = nq_cursor_next(cur)) {
        size_t kl, vl;
        const char *k = nq_cursor_key(cur, &kl);
        const void *v = nq_cursor_value(cur, &vl);
        if (!k || !v) {
            rc = nq_err_set(e, NQ_ECORRUPT, "cannot read the schema: %s", nq_errmsg(c->db));
            goto out;
        }
        if (kl > 0 && k[0] == 1) {
            size_t pl = strlen(CAT_STAT_PREFIX);
            if (kl > pl && !memcmp(k, CAT_STAT_PREFIX, pl)) {
                if (nstats == capstats) {
                    capstats = capstats ? capstats * 2 : 8;
                    void *n = realloc(stats, (size_t)capstats * sizeof *stats);
                    if (!n) { rc = nq_err_set(e, NQ_ENOMEM, "out of memory"); goto out; }
                    stats = n;
                }
                struct stat_ent *s = &stats[nstats];
                s->name = ast_strndup(c->arena, k + pl, kl - pl);
                s->v = ast_alloc(c->arena, vl ? vl : 1);
                if (!s->name || !s->v) { rc = nq_err_set(e, NQ_ENOMEM, "out of memory"); goto out; }
                memcpy(s->v, v, vl);
                s->vl = vl;
                nstats++;
            }
            continue;
        }
        if (nents == capents) {
            capents = capents ? capents * 2 : 16;
            void *n = realloc(ents, (size_t)capents * sizeof *ents);
            if (!n) { rc = nq_err_set(e, NQ_ENOMEM, "out of memory"); goto out; }
            ents = n;
        }
        if ((rc = read_entry(c->arena, k, kl, v, vl, &ents[nents], e)))
            goto out;
        nents++;
    }
    if (rc != NQ_ENOTFOUND) {
        rc = nq_err_set(e, rc, "cannot read the schema: %s", nq_errmsg(c->db));
        goto out;
    }
    rc = 0;
    /* tables and views first: indexes name their table */
    for (int i = 0; i < nents && !rc; i++) {
        entry *en = &ents[i];
        ast_stmt *st;
        if (!strcmp(en->kind, "table")) {
            cat_table *t;
            if (!(rc = parse_entry(c->arena, en, AST_CREATE_TABLE, &st, e)) &&
                !(rc = cat_build_table(c->arena, st->u.create_table, en->id, &t, e)))
                rc = add_table(c, t, e);
            if (rc && rc != NQ_ENOMEM && rc != NQ_ECORRUPT)
                rc = corrupt_entry(e, en->name);
        } else if (!strcmp(en->kind, "view")) {
            if (!(rc = parse_entry(c->arena, en, AST_CREATE_VIEW, &st, e))) {
                cat_view *vw = ast_alloc(c->arena, sizeof *vw);
                cat_view **n = grow(c->arena, c->views, c->nviews, sizeof *n);
                if (!vw || !n) {
                    rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                } else {
                    vw->name = st->u.create_view->name.name;
                    vw->def = st->u.create_view;
                    c->views = n;
                    c->views[c->nviews++] = vw;
                }
            }
        } else if (strcmp(en->kind, "index")) {
            rc = nq_err_set(e, NQ_ECORRUPT, "schema entry \"%s\" has unknown kind \"%s\"", en->name,
                            en->kind);
        }
    }
    if (!rc && names_build(c))
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < nents && !rc; i++) {
        entry *en = &ents[i];
        if (strcmp(en->kind, "index"))
            continue;
        ast_stmt *st;
        if ((rc = parse_entry(c->arena, en, AST_CREATE_INDEX, &st, e)))
            break;
        cat_table *t = cat_table_find(c, st->u.create_index->table.name);
        if (!t) {
            rc = nq_err_set(e, NQ_ECORRUPT, "index \"%s\" names a missing table \"%s\"", en->name,
                            st->u.create_index->table.name);
            break;
        }
        cat_index *ix;
        if (!(rc = cat_build_index(c->arena, t, st->u.create_index, en->id, en->origin, &ix, e)))
            rc = cat_attach_index(c->arena, t, ix, e);
        if (rc && rc != NQ_ENOMEM && rc != NQ_ECORRUPT)
            rc = corrupt_entry(e, en->name);
    }
    if (!rc && names_build(c))
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < nstats && !rc; i++)
        apply_stat(c, stats[i].name, stats[i].v, stats[i].vl);
out:
    free(ents);
    free(stats);
    nq_cursor_close(cur);
    return rc;
}

int cat_load(nq_db *db, catalog **out, nq_err *e)
{
    *out = NULL;
    catalog *c = calloc(1, sizeof *c);
    if (!c || !(c->arena = ast_arena_new())) {
        free(c);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    c->db = db;
    int rc = nq_tree_open(db, CAT_SCHEMA_TREE, 0, &c->schema);
    if (rc == NQ_ENOTFOUND) {
        c->schema = NULL; /* no schema yet */
        *out = c;
        return 0;
    }
    if (rc) {
        rc = nq_err_set(e, rc, "cannot open the schema: %s", nq_errmsg(db));
    } else if (!(rc = cat_read_version(c->schema, &c->version, e)) && !(rc = load_entries(c, e))) {
        rc = open_handles(c, e);
    }
    if (rc) {
        cat_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void cat_free(catalog *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->ntables; i++) {
        cat_table *t = c->tables[i];
        for (int j = 0; j < t->nidx; j++)
            nq_tree_close(t->idx[j]->handle);
        nq_tree_close(t->handle);
    }
    nq_tree_close(c->schema);
    ast_arena_free(c->arena);
    free(c);
}

int cat_stale(catalog *c, nq_err *e)
{
    nq_tree *sc = c->schema;
    int own = 0;
    if (!sc) {
        int rc = nq_tree_open(c->db, CAT_SCHEMA_TREE, 0, &sc);
        if (rc == NQ_ENOTFOUND)
            return c->version != 0;
        if (rc)
            return nq_err_set(e, rc, "cannot open the schema: %s", nq_errmsg(c->db));
        own = 1;
    }
    int64_t v;
    int rc = cat_read_version(sc, &v, e);
    if (own) {
        nq_tree_close(sc);
        if (!rc)
            return 1; /* the schema appeared since we loaded */
    }
    if (rc)
        return rc;
    return v != c->version;
}
