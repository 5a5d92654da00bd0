/*
 * h_tables.c — the table routes: create a table, insert records, query, update and delete by
 * filters (reference 1.8–1.12), all as real SQL on the engine.
 *
 * Each route turns its JSON into one SQL statement with every identifier quoted (req_ident)
 * and every value bound as a parameter — never spliced into the text — so no string in any
 * field can change what the statement means. Filters ({"col": {"operator": "...", "value":
 * ...}} or {"col": value} for equality) become a WHERE clause; Contains/StartsWith/EndsWith are
 * LIKE with the value's wildcards escaped. The operators of the neural and quantum subsystems
 * answer 501 until those subsystems exist.
 *
 * Atomicity: a create (table + its indexes) and an insert batch run in one transaction, so a
 * failure leaves nothing half done; on_conflict "Ignore" skips conflicting records and reports
 * them, "Replace" replaces them, "Abort" (the default) fails the whole batch.
 */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query_int.h"
#include "rowjson.h"
#include "server.h"

/* ---- a growing string ---------------------------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        int w = b->p ? vsnprintf(b->p + b->n, room, fmt, ap) : -1;
        va_end(ap);
        if (w >= 0 && (size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (w >= 0 && cap < b->n + (size_t)w + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* ---- running generated statements ----------------------------------------------------------- */

/* Prepare sql on db, bind binds (array, may be NULL), step to the end. rows: when non-NULL,
 * collects result rows as objects. 0 or the status of the error in r. */
static int exec_sql(req *r, nq_db *db, const char *sql, json_t *binds, json_t *rows,
                    const char *what, nq_stmt **keep)
{
    nq_stmt *st = NULL;
    int rc = nq_prepare(db, sql, (size_t)-1, &st, NULL);
    if (rc != NQ_OK)
        return req_engine_error(r, db, rc, what);
    for (size_t i = 0; binds && i < json_array_size(binds); i++)
        if ((rc = query_bind_json(st, (int)i + 1, json_array_get(binds, i))) != NQ_OK) {
            nq_finalize(st);
            return req_engine_error(r, db, rc, what);
        }
    size_t bytes = 0;
    while ((rc = nq_step(st)) == NQ_ROW) {
        if (!rows)
            continue;
        for (int i = 0; i < nq_column_count(st); i++)
            bytes += nq_column_bytes(st, i) + 16;
        if (bytes > QUERY_MAX_RESULT_BYTES) {
            nq_finalize(st);
            return req_failf(r, AE_PAYLOAD_TOO_LARGE,
                             "the result is larger than %u MiB; lower \"limit\", or stream it "
                             "with stream_query over /ws",
                             QUERY_MAX_RESULT_BYTES >> 20);
        }
        json_array_append_new(rows, rowjson_row(st));
    }
    if (rc != NQ_DONE) {
        nq_finalize(st);
        return req_engine_error(r, db, rc, what);
    }
    if (keep)
        *keep = st;
    else
        nq_finalize(st);
    return 0;
}

static int table_exists(nq_db *db, const char *name)
{
    nq_stmt *st = NULL;
    int found = 0;
    if (nq_prepare(db, "SHOW TABLES", (size_t)-1, &st, NULL) != NQ_OK)
        return 0;
    while (nq_step(st) == NQ_ROW) {
        const char *t = nq_column_text(st, 0);
        if (t && strcmp(t, name) == 0)
            found = 1;
    }
    nq_finalize(st);
    return found;
}

/* The path's table: quoted into q, and it must exist (404 otherwise). */
static int path_table(req *r, nq_db *db, char *q, size_t cap)
{
    if (req_ident(r, "table_name", r->params[0], q, cap))
        return r->status;
    if (!table_exists(db, r->params[0]))
        return req_failf(r, AE_NOT_FOUND, "table '%s' does not exist", r->params[0]);
    return 0;
}

/* The body's table_name, when given, must be the path's (upstream required it in the body). */
static int check_body_table(req *r)
{
    const char *t = NULL;
    if (req_string(r, r->json, "table_name", 0, &t))
        return r->status;
    if (t && strcmp(t, r->params[0]) != 0)
        return req_fail(r, AE_VALIDATION, "table_name", "differs from the table in the path");
    return 0;
}

/* ---- filters -------------------------------------------------------------------------------- */

static char *like_escape(const char *v, int prefix, int suffix)
{
    size_t n = strlen(v);
    char *o = malloc(2 * n + 3), *p = o;
    if (!o)
        return NULL;
    if (prefix)
        *p++ = '%';
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '%' || v[i] == '_' || v[i] == '\\')
            *p++ = '\\';
        *p++ = v[i];
    }
    if (suffix)
        *p++ = '%';
    *p = '\0';
    return o;
}

/* Column references in expressions are qualified with the table ("t"."c"): QSQL, like
 * SQLite, reads a double-quoted word that names no column as a string, so an unqualified
 * misspelt column would silently compare a constant; a qualified one is an error. */
static int qualified(req *r, const char *field, const char *qt, const char *col, char *out,
                     size_t cap)
{
    char qc[200];
    if (req_ident(r, field, col, qc, sizeof qc))
        return r->status;
    snprintf(out, cap, "%s.%s", qt, qc);
    return 0;
}

static int add_where(req *r, const char *qt, json_t *filters, sbuf *sql, json_t *binds)
{
    if (!filters || json_object_size(filters) == 0)
        return 0;
    const char *col;
    json_t *f;
    int first = 1;
    json_object_foreach(filters, col, f)
    {
        char qc[420];
        if (qualified(r, "filters", qt, col, qc, sizeof qc))
            return r->status;
        const char *op = "Equal";
        json_t *val = f;
        if (json_is_object(f)) {
            json_t *o = json_object_get(f, "operator");
            val = json_object_get(f, "value");
            const char *k;
            json_t *x;
            json_object_foreach(f, k, x) if (strcmp(k, "operator") && strcmp(k, "value"))
            {
                char fld[300];
                snprintf(fld, sizeof fld, "filters.%s.%s", col, k);
                return req_fail(r, AE_VALIDATION, fld, "unknown field");
            }
            if (!o || !json_is_string(o)) {
                char fld[300];
                snprintf(fld, sizeof fld, "filters.%s.operator", col);
                return req_fail(r, AE_VALIDATION, fld, "is required (a string)");
            }
            op = json_string_value(o);
        }
        sb_add(sql, "%s", first ? " WHERE " : " AND ");
        first = 0;
        static const struct {
            const char *name, *sql;
        } cmp[] = {{"Equal", "="},       {"NotEqual", "<>"},     {"GreaterThan", ">"},
                   {"LessThan", "<"},    {"GreaterEqual", ">="}, {"LessEqual", "<="},
                   {"Like", "LIKE"},     {"NotLike", "NOT LIKE"}};
        int done = 0;
        for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
            if (!strcmp(op, cmp[i].name)) {
                if (!val || json_is_null(val)) {
                    char fld[300];
                    snprintf(fld, sizeof fld, "filters.%s.value", col);
                    return req_fail(r, AE_VALIDATION, fld,
                                    "is required (use IsNull / IsNotNull to test for null)");
                }
                sb_add(sql, "%s %s ?", qc, cmp[i].sql);
                json_array_append(binds, val);
                done = 1;
            }
        if (done)
            continue;
        if (!strcmp(op, "IsNull") || !strcmp(op, "IsNotNull")) {
            sb_add(sql, "%s IS %sNULL", qc, strcmp(op, "IsNotNull") == 0 ? "NOT " : "");
        } else if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
            if (!json_is_array(val) || json_array_size(val) == 0) {
                char fld[300];
                snprintf(fld, sizeof fld, "filters.%s.value", col);
                return req_fail(r, AE_VALIDATION, fld, "must be a non-empty array");
            }
            sb_add(sql, "%s %sIN (", qc, op[0] == 'N' ? "NOT " : "");
            for (size_t i = 0; i < json_array_size(val); i++) {
                sb_add(sql, "%s?", i ? ", " : "");
                json_array_append(binds, json_array_get(val, i));
            }
            sb_add(sql, ")");
        } else if (!strcmp(op, "Contains") || !strcmp(op, "StartsWith") ||
                   !strcmp(op, "EndsWith")) {
            if (!json_is_string(val)) {
                char fld[300];
                snprintf(fld, sizeof fld, "filters.%s.value", col);
                return req_fail(r, AE_VALIDATION, fld, "must be a string");
            }
            char *pat = like_escape(json_string_value(val), op[0] != 'S', op[0] != 'E');
            if (!pat)
                return req_fail(r, AE_INTERNAL, "out of memory", NULL);
            sb_add(sql, "%s LIKE ? ESCAPE '\\'", qc);
            json_array_append_new(binds, json_string(pat));
            free(pat);
        } else if (!strcmp(op, "NeuralSimilar") || !strcmp(op, "QuantumEntangled")) {
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "filter operator %s: not supported yet (its subsystem is not built)",
                             op);
        } else {
            char fld[300];
            snprintf(fld, sizeof fld, "filters.%s.operator", col);
            return req_fail(r, AE_VALIDATION, fld,
                            "unknown operator (Equal, NotEqual, GreaterThan, LessThan, "
                            "GreaterEqual, LessEqual, In, NotIn, Like, NotLike, IsNull, IsNotNull, "
                            "Contains, StartsWith, EndsWith)");
        }
    }
    return 0;
}

/* ---- POST /api/v1/tables ------------------------------------------------------------------- */

static const char *sql_type(const char *t)
{
    static const struct {
        const char *api, *sql;
    } map[] = {{"Integer", "INTEGER"},     {"Float", "REAL"},
               {"Text", "TEXT"},           {"Boolean", "BOOLEAN"},
               {"DateTime", "TIMESTAMP"},  {"Binary", "BLOB"},
               {"Json", "JSON"},           {"DnaSequence", "DNA_SEQUENCE"},
               {"NeuralVector", "NEURAL_VECTOR"}, {"QuantumState", "BLOB"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(t, map[i].api))
            return map[i].sql;
    return NULL;
}

/* A JSON value as an SQL literal for DEFAULT (strings quoted with '' doubled). */
static int add_literal(req *r, sbuf *b, json_t *v, const char *field)
{
    switch (json_typeof(v)) {
    case JSON_NULL: sb_add(b, "NULL"); return 0;
    case JSON_TRUE: sb_add(b, "TRUE"); return 0;
    case JSON_FALSE: sb_add(b, "FALSE"); return 0;
    case JSON_INTEGER: sb_add(b, "%lld", (long long)json_integer_value(v)); return 0;
    case JSON_REAL: sb_add(b, "%.17g", json_real_value(v)); return 0;
    case JSON_STRING: {
        sb_add(b, "'");
        for (const char *s = json_string_value(v); *s; s++)
            sb_add(b, *s == '\'' ? "''" : "%c", *s);
        sb_add(b, "'");
        return 0;
    }
    default:
        return req_fail(r, AE_VALIDATION, field, "must be a string, number, boolean or null");
    }
}

static int column_list_q(req *r, json_t *arr, const char *field, sbuf *b, const char *qt)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return req_fail(r, AE_VALIDATION, field, "must be a non-empty array of column names");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *c = json_array_get(arr, i);
        char q[420];
        if (!json_is_string(c))
            return req_fail(r, AE_VALIDATION, field, "must hold column names (strings)");
        if (qt ? qualified(r, field, qt, json_string_value(c), q, sizeof q)
               : req_ident(r, field, json_string_value(c), q, sizeof q))
            return r->status;
        sb_add(b, "%s%s", i ? ", " : "", q);
    }
    return 0;
}

static int column_list(req *r, json_t *arr, const char *field, sbuf *b)
{
    return column_list_q(r, arr, field, b, NULL);
}

static int create_sql(req *r, json_t *schema, int if_not_exists, sbuf *sql, sbuf *idx,
                      const char **name)
{
    static const char *const schema_fields[] = {"name", "columns", "indexes", "constraints",
                                                "neuromorphic_config", "quantum_config", NULL};
    const char *k;
    json_t *v;
    json_object_foreach(schema, k, v)
    {
        int ok = 0;
        for (int i = 0; schema_fields[i]; i++)
            ok |= !strcmp(k, schema_fields[i]);
        if (!ok) {
            char f[200];
            snprintf(f, sizeof f, "schema.%s", k);
            return req_fail(r, AE_VALIDATION, f, "unknown field");
        }
    }
    if (json_object_get(schema, "neuromorphic_config") || json_object_get(schema, "quantum_config"))
        return req_fail(r, AE_NOT_IMPLEMENTED,
                        "schema.neuromorphic_config / quantum_config: not supported yet", NULL);
    char qt[200];
    json_t *cols, *cons = NULL, *idxs = NULL;
    if (req_string(r, schema, "name", 1, name) || req_ident(r, "schema.name", *name, qt, sizeof qt) ||
        req_array(r, schema, "columns", 1, &cols) || req_array(r, schema, "constraints", 0, &cons) ||
        req_array(r, schema, "indexes", 0, &idxs))
        return r->status;
    if (json_array_size(cols) == 0)
        return req_fail(r, AE_VALIDATION, "schema.columns", "at least one column is required");
    sb_add(sql, "CREATE TABLE %s%s (", if_not_exists ? "IF NOT EXISTS " : "", qt);
    for (size_t i = 0; i < json_array_size(cols); i++) {
        json_t *c = json_array_get(cols, i);
        const char *cn, *ct;
        char qc[200];
        if (!json_is_object(c))
            return req_fail(r, AE_VALIDATION, "schema.columns", "each column must be an object");
        json_object_foreach(c, k, v)
        {
            if (strcmp(k, "name") && strcmp(k, "data_type") && strcmp(k, "nullable") &&
                strcmp(k, "default_value") && strcmp(k, "constraints") && strcmp(k, "auto_increment")) {
                char f[200];
                snprintf(f, sizeof f, "column.%s", k);
                return req_fail(r, AE_VALIDATION, f, "unknown field");
            }
        }
        if (req_string(r, c, "name", 0, &cn))
            return r->status;
        if (!cn || !*cn)
            return req_fail(r, AE_VALIDATION, "column.name", "Column name cannot be empty");
        if (req_ident(r, "column.name", cn, qc, sizeof qc) ||
            req_string(r, c, "data_type", 1, &ct))
            return r->status;
        const char *st = sql_type(ct);
        if (!st) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "unknown type %.100s (Integer, Float, Text, Boolean, DateTime, Binary, Json, "
                     "DnaSequence, NeuralVector, QuantumState)",
                     ct);
            return req_fail(r, AE_VALIDATION, "column.data_type", msg);
        }
        sb_add(sql, "%s%s %s", i ? ", " : "", qc, st);
        int nullable = 1, autoinc = 0;
        if (req_bool(r, c, "nullable", &nullable) || req_bool(r, c, "auto_increment", &autoinc))
            return r->status;
        json_t *ccons = json_object_get(c, "constraints");
        for (size_t j = 0; ccons && j < json_array_size(ccons); j++) {
            json_t *x = json_array_get(ccons, j);
            const char *s = json_is_string(x) ? json_string_value(x) : "";
            if (!strcasecmp(s, "PRIMARY KEY") || !strcasecmp(s, "PrimaryKey") ||
                !strcasecmp(s, "primary_key"))
                sb_add(sql, " PRIMARY KEY");
            else if (!strcasecmp(s, "UNIQUE") || !strcasecmp(s, "Unique"))
                sb_add(sql, " UNIQUE");
            else if (!strcasecmp(s, "NOT NULL") || !strcasecmp(s, "NotNull") ||
                     !strcasecmp(s, "not_null"))
                nullable = 0;
            else
                return req_fail(r, AE_VALIDATION, "column.constraints",
                                "each must be \"PRIMARY KEY\", \"UNIQUE\" or \"NOT NULL\"");
        }
        if (ccons && !json_is_array(ccons))
            return req_fail(r, AE_VALIDATION, "column.constraints", "must be an array of strings");
        if (!nullable)
            sb_add(sql, " NOT NULL");
        json_t *dv = json_object_get(c, "default_value");
        if (dv) {
            sb_add(sql, " DEFAULT ");
            if (add_literal(r, sql, dv, "column.default_value"))
                return r->status;
        }
        if (autoinc) {
            if (strcmp(st, "INTEGER") != 0)
                return req_fail(r, AE_VALIDATION, "column.auto_increment",
                                "only an Integer column can auto-increment");
            sb_add(sql, " PRIMARY KEY AUTO_INCREMENT");
        }
    }
    for (size_t i = 0; cons && i < json_array_size(cons); i++) {
        json_t *c = json_array_get(cons, i);
        const char *type = NULL, *cname = NULL, *ref = NULL;
        if (!json_is_object(c) || req_string(r, c, "constraint_type", 1, &type) ||
            req_string(r, c, "name", 0, &cname) || req_string(r, c, "reference_table", 0, &ref))
            return r->status ? r->status
                             : req_fail(r, AE_VALIDATION, "schema.constraints",
                                        "each constraint must be an object");
        sb_add(sql, ", ");
        if (cname) {
            char qn[200];
            if (req_ident(r, "constraint.name", cname, qn, sizeof qn))
                return r->status;
            sb_add(sql, "CONSTRAINT %s ", qn);
        }
        if (!strcmp(type, "PrimaryKey") || !strcmp(type, "Unique")) {
            sb_add(sql, "%s (", type[0] == 'P' ? "PRIMARY KEY" : "UNIQUE");
            if (column_list(r, json_object_get(c, "columns"), "constraint.columns", sql))
                return r->status;
            sb_add(sql, ")");
        } else if (!strcmp(type, "ForeignKey")) {
            char qr[200];
            if (!ref)
                return req_fail(r, AE_VALIDATION, "constraint.reference_table",
                                "is required for a ForeignKey");
            if (req_ident(r, "constraint.reference_table", ref, qr, sizeof qr))
                return r->status;
            sb_add(sql, "FOREIGN KEY (");
            if (column_list(r, json_object_get(c, "columns"), "constraint.columns", sql))
                return r->status;
            sb_add(sql, ") REFERENCES %s (", qr);
            if (column_list(r, json_object_get(c, "reference_columns"),
                            "constraint.reference_columns", sql))
                return r->status;
            sb_add(sql, ")");
        } else if (!strcmp(type, "NotNull")) {
            return req_fail(r, AE_VALIDATION, "constraint.constraint_type",
                            "NotNull is a column property: use \"nullable\": false on the column");
        } else if (!strcmp(type, "Check")) {
            return req_fail(r, AE_NOT_IMPLEMENTED,
                            "Check constraints need an expression, which this route cannot carry: "
                            "create the table with POST /api/v1/query",
                            NULL);
        } else {
            return req_fail(r, AE_VALIDATION, "constraint.constraint_type",
                            "must be PrimaryKey, ForeignKey, Unique, Check or NotNull");
        }
    }
    sb_add(sql, ")");
    for (size_t i = 0; idxs && i < json_array_size(idxs); i++) {
        json_t *x = json_array_get(idxs, i);
        const char *iname, *itype = NULL;
        int unique = 0;
        char qi[200];
        if (!json_is_object(x))
            return req_fail(r, AE_VALIDATION, "schema.indexes", "each index must be an object");
        if (req_string(r, x, "name", 1, &iname) || req_ident(r, "index.name", iname, qi, sizeof qi) ||
            req_string(r, x, "index_type", 0, &itype) || req_bool(r, x, "unique", &unique))
            return r->status;
        if (itype && strcmp(itype, "BTree") != 0)
            return req_failf(r, AE_NOT_IMPLEMENTED,
                             "index_type %s: not supported yet (BTree is)", itype);
        sb_add(idx, "CREATE %sINDEX %s%s ON %s (", unique ? "UNIQUE " : "",
               if_not_exists ? "IF NOT EXISTS " : "", qi, qt);
        if (column_list(r, json_object_get(x, "columns"), "index.columns", idx))
            return r->status;
        sb_add(idx, ");");
    }
    return 0;
}

int h_table_create(req *r)
{
    static const char *const allowed[] = {"schema", "if_not_exists", NULL};
    json_t *schema;
    int ine = 0;
    if (req_body_object(r, allowed) || req_object(r, r->json, "schema", 1, &schema) ||
        req_bool(r, r->json, "if_not_exists", &ine))
        return r->status;
    sbuf sql = {0}, idx = {0};
    const char *name = NULL;
    int st = create_sql(r, schema, ine, &sql, &idx, &name);
    if (!st && (sql.oom || idx.oom))
        st = req_fail(r, AE_INTERNAL, "out of memory", NULL);
    if (st) {
        free(sql.p), free(idx.p);
        return st;
    }
    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    int existed = table_exists(db, name);
    if (existed && !ine) {
        dbpool_release(&s->pool, db);
        free(sql.p), free(idx.p);
        return req_failf(r, AE_CONFLICT, "table '%s' already exists", name);
    }
    st = exec_sql(r, db, "BEGIN", NULL, NULL, "begin", NULL);
    if (!st)
        st = exec_sql(r, db, sql.p, NULL, NULL, "create table", NULL);
    for (const char *p = idx.p; !st && p && *p;) {
        const char *e = strchr(p, ';');
        char *one = strndup(p, (size_t)(e - p));
        st = one ? exec_sql(r, db, one, NULL, NULL, "create index", NULL)
                 : req_fail(r, AE_INTERNAL, "out of memory", NULL);
        free(one);
        p = e + 1;
    }
    if (!st)
        st = exec_sql(r, db, "COMMIT", NULL, NULL, "commit", NULL);
    metrics_query(s->metrics, "ddl", st == 0, req_elapsed_ms(r) / 1e3);
    dbpool_release(&s->pool, db); /* rolls back on failure */
    free(sql.p), free(idx.p);
    if (st)
        return st;
    char ts[40];
    envelope_timestamp(ts);
    json_t *d = json_object();
    json_object_set_new(d, "table_name", json_string(name));
    json_object_set_new(d, "created_at", json_string(ts));
    json_object_set_new(d, "schema", json_deep_copy(schema));
    json_object_set_new(d, "table_id", json_string(name));
    json_object_set_new(d, "created", json_boolean(!existed));
    return req_ok(r, 201, d, existed ? "Table '%s' exists already (if_not_exists)"
                                     : "Table '%s' created successfully",
                  name);
}

/* ---- POST /api/v1/tables/{t}/data ----------------------------------------------------------- */

int h_table_insert(req *r)
{
    static const char *const allowed[] = {"table_name", "records", "on_conflict", "batch_size", NULL};
    json_t *recs;
    const char *oc = NULL;
    uint64_t batch = 0;
    if (req_body_object(r, allowed) || check_body_table(r) ||
        req_array(r, r->json, "records", 1, &recs) ||
        req_string(r, r->json, "on_conflict", 0, &oc) ||
        req_uint(r, r->json, "batch_size", 0, 1u << 30, &batch))
        return r->status;
    if (json_array_size(recs) == 0)
        return req_fail(r, AE_BAD_REQUEST, "No records provided for insertion", NULL);
    const char *verb = "INSERT";
    if (!oc || !strcmp(oc, "Abort"))
        verb = "INSERT";
    else if (!strcmp(oc, "Ignore"))
        verb = "INSERT OR IGNORE";
    else if (!strcmp(oc, "Replace"))
        verb = "INSERT OR REPLACE";
    else if (!strcmp(oc, "Update"))
        return req_fail(r, AE_NOT_IMPLEMENTED,
                        "on_conflict Update: not supported yet (use Replace, or ON CONFLICT ... DO "
                        "UPDATE through POST /api/v1/query)",
                        NULL);
    else
        return req_fail(r, AE_VALIDATION, "on_conflict", "must be Abort, Ignore, Replace or Update");
    for (size_t i = 0; i < json_array_size(recs); i++)
        if (!json_is_object(json_array_get(recs, i))) {
            char f[40];
            snprintf(f, sizeof f, "records[%zu]", i);
            return req_fail(r, AE_VALIDATION, f, "must be an object {column: value}");
        }

    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    char qt[200];
    int st = path_table(r, db, qt, sizeof qt);
    json_t *ids = json_array(), *errors = json_array();
    int64_t inserted = 0, failed = 0;
    changes ch;
    changes_init(&ch);
    struct timespec deadline;
    query_deadline_start(r, db, &deadline);
    if (!st)
        st = exec_sql(r, db, "BEGIN", NULL, NULL, "begin", NULL);
    for (size_t i = 0; !st && i < json_array_size(recs); i++) {
        json_t *rec = json_array_get(recs, i);
        sbuf sql = {0};
        json_t *binds = json_array();
        const char *col;
        json_t *v;
        if (json_object_size(rec) == 0) {
            sb_add(&sql, "%s INTO %s DEFAULT VALUES", verb, qt);
        } else {
            sb_add(&sql, "%s INTO %s (", verb, qt);
            int first = 1;
            json_object_foreach(rec, col, v)
            {
                char qc[200];
                if (req_ident(r, "records", col, qc, sizeof qc)) {
                    st = r->status;
                    break;
                }
                sb_add(&sql, "%s%s", first ? "" : ", ", qc);
                json_array_append(binds, v);
                first = 0;
            }
            sb_add(&sql, ") VALUES (");
            for (size_t k = 0; k < json_array_size(binds); k++)
                sb_add(&sql, "%s?", k ? ", " : "");
            sb_add(&sql, ")");
        }
        char what[48];
        snprintf(what, sizeof what, "record %zu", i);
        nq_stmt *kept = NULL;
        if (!st)
            st = exec_sql(r, db, sql.p, binds, NULL, what, &kept);
        if (!st) {
            int64_t n = nq_changes(db);
            if (n > 0) {
                inserted += n;
                json_array_append_new(ids, json_sprintf("%lld", (long long)nq_last_insert_rowid(db)));
                changes_add(&ch, r->params[0], "insert", n);
            } else {
                failed++;
                json_array_append_new(errors, json_sprintf("Record %zu: skipped (conflict, "
                                                           "on_conflict Ignore)", i));
            }
            nq_finalize(kept);
        }
        json_decref(binds);
        free(sql.p);
    }
    if (!st)
        st = exec_sql(r, db, "COMMIT", NULL, NULL, "commit", NULL);
    query_deadline_end(db);
    metrics_query(s->metrics, "insert", st == 0, req_elapsed_ms(r) / 1e3);
    dbpool_release(&s->pool, db);
    if (st) {
        changes_free(&ch);
        json_decref(ids);
        json_decref(errors);
        return st;
    }
    changes_publish(s, &ch, r->request_id);
    changes_free(&ch);
    json_t *d = json_object();
    json_object_set_new(d, "inserted_count", json_integer(inserted));
    json_object_set_new(d, "failed_count", json_integer(failed));
    json_object_set_new(d, "inserted_ids", ids);
    json_object_set_new(d, "errors", json_array_size(errors) ? errors : json_null());
    if (!json_array_size(errors))
        json_decref(errors);
    return req_ok(r, 201, d, "Inserted %lld records into '%s'", (long long)inserted, r->params[0]);
}

/* ---- POST /api/v1/tables/{t}/query --------------------------------------------------------- */

/* neural_similarity {pattern, field?, similarity_threshold?, max_results?, hebbian_strengthening?,
 * learning_rate?} -> " NEUROMATCH(field, ?) STRENGTH > ?" into *nm, its binds first (the clause
 * comes before WHERE in the statement), the feedback options into *fbopt (the query only: the
 * count and the EXPLAIN learn nothing); max_results caps *limit. Upstream's reference_vector (a
 * vector similarity) is not NEUROMATCH: 501. */
static int neural_similarity(req *r, const char *qt, sbuf *nm, sbuf *fbopt, json_t *binds,
                             uint64_t *limit)
{
    json_t *o = json_object_get(r->json, "neural_similarity");
    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o))
        return req_fail(r, AE_VALIDATION, "neural_similarity", "must be an object");
    static const char *const known[] = {"pattern", "field", "similarity_threshold", "max_results",
                                        "hebbian_strengthening", "learning_rate", "reference_vector",
                                        NULL};
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = !strcmp(k, known[i]);
        if (!ok) {
            char fld[300];
            snprintf(fld, sizeof fld, "neural_similarity.%s", k);
            return req_fail(r, AE_VALIDATION, fld,
                            "unknown field (pattern, field, similarity_threshold, max_results, "
                            "hebbian_strengthening, learning_rate)");
        }
    }
    if (json_object_get(o, "reference_vector"))
        return req_fail(r, AE_NOT_IMPLEMENTED,
                        "neural_similarity.reference_vector: not supported yet (NEUROMATCH scores "
                        "text: give neural_similarity.pattern)", NULL);
    const char *pat, *field = NULL;
    if (req_string(r, o, "pattern", 1, &pat) || req_string(r, o, "field", 0, &field))
        return r->status;
    char qf[420] = "";
    if (field && qualified(r, "neural_similarity.field", qt, field, qf, sizeof qf))
        return r->status;
    double thr = 0.5;
    json_t *t = json_object_get(o, "similarity_threshold");
    if (t && !json_is_null(t)) {
        if (!json_is_number(t) || !(json_number_value(t) >= 0 && json_number_value(t) <= 1))
            return req_fail(r, AE_VALIDATION, "neural_similarity.similarity_threshold",
                            "must be a number from 0 to 1");
        thr = json_number_value(t);
    }
    uint64_t maxr = 0;
    if (req_uint(r, o, "max_results", 0, 1000000, &maxr))
        return r->status;
    if (maxr && maxr < *limit)
        *limit = maxr;
    int fb = 0;
    if (req_bool(r, o, "hebbian_strengthening", &fb))
        return r->status;
    json_t *lr = json_object_get(o, "learning_rate");
    double rate = 0;
    if (lr && !json_is_null(lr)) {
        if (!json_is_number(lr) || !(json_number_value(lr) > 0 && json_number_value(lr) <= 1))
            return req_fail(r, AE_VALIDATION, "neural_similarity.learning_rate",
                            "must be a number in (0, 1]");
        if (!fb)
            return req_fail(r, AE_VALIDATION, "neural_similarity.learning_rate",
                            "needs hebbian_strengthening true");
        rate = json_number_value(lr);
    }
    /* the threshold is inclusive in the API (score >= similarity_threshold): STRENGTH > is
     * strict, so compare against the next double below */
    sb_add(nm, " NEUROMATCH(%s%s?) STRENGTH > ?", qf, qf[0] ? ", " : "");
    if (rate > 0)
        sb_add(fbopt, " LEARNING_RATE %.17g", rate);
    if (fb)
        sb_add(fbopt, " HEBBIAN_STRENGTHENING");
    json_array_append_new(binds, json_string(pat));
    json_array_append_new(binds, json_real(thr > 0 ? nextafter(thr, -1) : -1));
    return 0;
}

int h_table_query(req *r)
{
    static const char *const allowed[] = {"table_name", "filters", "sort", "limit", "offset",
                                          "columns", "neural_similarity", "quantum_search", NULL};
    json_t *filters, *sort, *cols;
    uint64_t limit = 100, offset = 0;
    if (req_body_object(r, allowed) || check_body_table(r) ||
        req_object(r, r->json, "filters", 0, &filters) || req_array(r, r->json, "sort", 0, &sort) ||
        req_array(r, r->json, "columns", 0, &cols) ||
        req_uint(r, r->json, "limit", 0, 1000000, &limit) ||
        req_uint(r, r->json, "offset", 0, (uint64_t)INT64_MAX, &offset))
        return r->status;
    if (json_object_get(r->json, "quantum_search"))
        return req_fail(r, AE_NOT_IMPLEMENTED, "quantum_search: not supported yet", NULL);
    char qt[200];
    if (req_ident(r, "table_name", r->params[0], qt, sizeof qt))
        return r->status;
    sbuf sel = {0}, where = {0}, order = {0}, nm = {0}, fbopt = {0};
    json_t *binds = json_array();
    /* neural_similarity: the NEUROMATCH clause (docs/qsql.md), ranked by score */
    if (neural_similarity(r, qt, &nm, &fbopt, binds, &limit))
        goto fail;
    if (cols && json_array_size(cols)) {
        if (column_list_q(r, cols, "columns", &sel, qt))
            goto fail;
    } else {
        sb_add(&sel, "*");
    }
    if (nm.p)
        sb_add(&sel, ", nm.score AS neural_score");
    if (add_where(r, qt, filters, &where, binds))
        goto fail;
    for (size_t i = 0; sort && i < json_array_size(sort); i++) {
        json_t *o = json_array_get(sort, i);
        const char *c, *dir = NULL;
        char qc[420];
        if (!json_is_object(o)) {
            req_fail(r, AE_VALIDATION, "sort", "each entry must be {\"column\", \"direction\"}");
            goto fail;
        }
        if (req_string(r, o, "column", 1, &c) || qualified(r, "sort.column", qt, c, qc, sizeof qc) ||
            req_string(r, o, "direction", 0, &dir))
            goto fail;
        if (dir && strcmp(dir, "Asc") && strcmp(dir, "Desc")) {
            req_fail(r, AE_VALIDATION, "sort.direction", "must be Asc or Desc");
            goto fail;
        }
        sb_add(&order, "%s%s %s", i ? ", " : " ORDER BY ", qc, dir && dir[0] == 'D' ? "DESC" : "ASC");
    }
    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    int st;
    if ((st = path_table(r, db, qt, sizeof qt)) != 0) {
        dbpool_release(&s->pool, db);
        goto fail;
    }
    sbuf q = {0}, cnt = {0};
    sb_add(&q, "SELECT %s FROM %s%s%s%s%s LIMIT %llu OFFSET %llu", sel.p, qt, nm.p ? nm.p : "",
           fbopt.p ? fbopt.p : "", where.p ? where.p : "", order.p ? order.p : "",
           (unsigned long long)limit, (unsigned long long)offset);
    sb_add(&cnt, "SELECT count(*) FROM %s%s%s", qt, nm.p ? nm.p : "", where.p ? where.p : "");
    json_t *rows = json_array(), *crow = json_array();
    struct timespec deadline, t0, t1;
    query_deadline_start(r, db, &deadline);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = exec_sql(r, db, q.p, binds, rows, "query", NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!st)
        st = exec_sql(r, db, cnt.p, binds, crow, "count", NULL);
    /* the indexes the plan uses, from the planner itself */
    json_t *indexes = json_array();
    if (!st) {
        sbuf ex = {0};
        sb_add(&ex, "EXPLAIN SELECT %s FROM %s%s%s%s LIMIT %llu OFFSET %llu", sel.p, qt, nm.p ? nm.p : "",
               where.p ? where.p : "", order.p ? order.p : "", (unsigned long long)limit,
               (unsigned long long)offset);
        json_t *plan = json_array();
        if (exec_sql(r, db, ex.p, binds, plan, "explain", NULL) == 0) {
            for (size_t i = 0; i < json_array_size(plan); i++) {
                json_t *row = json_array_get(plan, i);
                const char *k;
                json_t *v;
                json_object_foreach(row, k, v) if (json_is_string(v))
                {
                    const char *line = json_string_value(v), *u = strstr(line, "USING INDEX ");
                    if (u) {
                        u += 12;
                        size_t n = strcspn(u, " (");
                        json_array_append_new(indexes, json_stringn(u, n));
                    } else if (strstr(line, "USING ROWID")) {
                        json_array_append_new(indexes, json_string("primary_key"));
                    }
                }
            }
        }
        json_decref(plan);
        free(ex.p);
    }
    query_deadline_end(db);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    metrics_query(s->metrics, "select", st == 0, ms / 1e3);
    dbpool_release(&s->pool, db);
    free(q.p), free(cnt.p);
    if (st) {
        json_decref(rows), json_decref(crow), json_decref(indexes);
        goto fail;
    }
    json_t *c0 = json_array_get(crow, 0);
    const char *ck;
    json_t *cv, *total = NULL;
    json_object_foreach(c0, ck, cv) total = cv;
    int64_t total_n = total ? (int64_t)json_integer_value(total) : 0;
    json_t *d = json_object();
    size_t returned = json_array_size(rows);
    json_object_set_new(d, "records", rows);
    json_object_set_new(d, "total_count", json_integer(total_n));
    json_object_set_new(d, "returned_count", json_integer((json_int_t)returned));
    json_object_set_new(d, "has_more", json_boolean((int64_t)(offset + returned) < total_n));
    json_t *stats = json_object();
    json_object_set_new(stats, "execution_time_ms", envelope_ms(ms));
    json_object_set_new(stats, "rows_scanned", json_null());
    json_object_set_new(stats, "indexes_used", indexes);
    json_object_set_new(stats, "neural_operations", json_null());
    json_object_set_new(stats, "quantum_operations", json_null());
    json_object_set_new(stats, "cache_hit_rate", json_null());
    json_object_set_new(d, "query_stats", stats);
    json_decref(crow);
    json_decref(binds);
    free(sel.p), free(where.p), free(order.p), free(nm.p), free(fbopt.p);
    return req_ok(r, 200, d, "Query executed on table '%s'", r->params[0]);
fail:
    json_decref(binds);
    free(sel.p), free(where.p), free(order.p), free(nm.p), free(fbopt.p);
    return r->status;
}

/* ---- PUT and DELETE /api/v1/tables/{t}/data ------------------------------------------------- */

static int modify(req *r, int is_update)
{
    static const char *const up_fields[] = {"table_name", "filters", "updates",
                                            "optimistic_lock_version", NULL};
    static const char *const del_fields[] = {"table_name", "filters", "cascade", "soft_delete", NULL};
    json_t *filters, *updates = NULL;
    int cascade = 0, soft = 0;
    uint64_t lockv = 0;
    if (req_body_object(r, is_update ? up_fields : del_fields) || check_body_table(r) ||
        req_object(r, r->json, "filters", 1, &filters))
        return r->status;
    if (is_update) {
        if (req_object(r, r->json, "updates", 1, &updates) ||
            req_uint(r, r->json, "optimistic_lock_version", 0, UINT64_MAX >> 1, &lockv))
            return r->status;
        if (json_object_size(updates) == 0)
            return req_fail(r, AE_BAD_REQUEST, "No updates provided", NULL);
        if (json_object_get(r->json, "optimistic_lock_version"))
            return req_fail(r, AE_NOT_IMPLEMENTED,
                            "optimistic_lock_version: not supported yet (tables have no row "
                            "versions; use a version column and a filter on it)",
                            NULL);
    } else {
        if (req_bool(r, r->json, "cascade", &cascade) || req_bool(r, r->json, "soft_delete", &soft))
            return r->status;
        if (cascade || soft)
            return req_fail(r, AE_NOT_IMPLEMENTED,
                            "cascade / soft_delete: not supported yet (rows referenced by foreign "
                            "keys follow the keys' ON DELETE actions)",
                            NULL);
    }
    char qt[200];
    if (req_ident(r, "table_name", r->params[0], qt, sizeof qt))
        return r->status;
    sbuf sql = {0};
    json_t *binds = json_array();
    if (is_update) {
        sb_add(&sql, "UPDATE %s SET ", qt);
        const char *c;
        json_t *v;
        int first = 1;
        json_object_foreach(updates, c, v)
        {
            char qc[200];
            if (req_ident(r, "updates", c, qc, sizeof qc)) {
                json_decref(binds);
                free(sql.p);
                return r->status;
            }
            sb_add(&sql, "%s%s = ?", first ? "" : ", ", qc);
            json_array_append(binds, v);
            first = 0;
        }
    } else {
        sb_add(&sql, "DELETE FROM %s", qt);
    }
    if (add_where(r, qt, filters, &sql, binds)) {
        json_decref(binds);
        free(sql.p);
        return r->status;
    }
    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    struct timespec deadline;
    int st = path_table(r, db, qt, sizeof qt);
    int64_t n = 0;
    query_deadline_start(r, db, &deadline);
    if (!st)
        st = exec_sql(r, db, sql.p, binds, NULL, is_update ? "update" : "delete", NULL);
    if (!st)
        n = nq_changes(db);
    query_deadline_end(db);
    metrics_query(s->metrics, is_update ? "update" : "delete", st == 0, req_elapsed_ms(r) / 1e3);
    dbpool_release(&s->pool, db);
    json_decref(binds);
    free(sql.p);
    if (st)
        return st;
    changes ch;
    changes_init(&ch);
    changes_add(&ch, r->params[0], is_update ? "update" : "delete", n);
    changes_publish(s, &ch, r->request_id);
    changes_free(&ch);
    json_t *d = json_object();
    if (is_update) {
        json_object_set_new(d, "updated_count", json_integer(n));
        json_object_set_new(d, "matched_count", json_integer(n));
        json_object_set_new(d, "new_version", json_null());
        return req_ok(r, 200, d, "Updated %lld records in table '%s'", (long long)n, r->params[0]);
    }
    json_object_set_new(d, "deleted_count", json_integer(n));
    json_object_set_new(d, "cascaded_deletes", json_null());
    return req_ok(r, 200, d, "Deleted %lld records from table '%s'", (long long)n, r->params[0]);
}

int h_table_update(req *r)
{
    return modify(r, 1);
}

int h_table_delete(req *r)
{
    return modify(r, 0);
}
