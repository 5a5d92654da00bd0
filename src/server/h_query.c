/*
 * h_query.c — POST /api/v1/query: QSQL through the engine, plus what every handler that runs
 * SQL shares (running a statement with the request's deadline, binding JSON values, and
 * publishing committed changes on the `table.<name>` WebSocket channels).
 *
 * Semantics of one request. The body is {"query": "...", "params": [...] | {...}}. The text may
 * hold several statements; they run in order on one engine connection, each in autocommit
 * unless the text itself says BEGIN, and the first error stops the request (earlier statements
 * stay done, as with sqlite3_exec and psql -c; the error names the statement's number). A
 * transaction left open at the end of the request is rolled back and reported as an error:
 * HTTP requests share no session, so nothing may stay pending between them. Each statement is
 * checked before it runs: read-only statements (nq_stmt_readonly, decided by the compiler, not
 * by the first word) need `read`, all others `write`. The response describes the last
 * statement: rows and columns when it returns rows (possibly empty), rows_affected for
 * INSERT/UPDATE/DELETE, last_insert_id after an INSERT.
 *
 * The request deadline (security.request_timeout_seconds) is a progress handler that
 * interrupts the statement; an interrupted statement is undone like any failed one. A result
 * larger than QUERY_MAX_RESULT_BYTES is refused with 413 rather than built in memory: large
 * results are what WebSocket stream_query is for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query_int.h"
#include "rowjson.h"
#include "server.h"


/* ---- deadline ------------------------------------------------------------------------------ */

static int past_deadline(void *arg)
{
    const struct timespec *d = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

void query_deadline_start(req *r, nq_db *db, struct timespec *deadline)
{
    unsigned t = r->srv->cfg.security.request_timeout_seconds;
    if (!t) {
        nq_progress_handler(db, 0, NULL, NULL);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += t;
    nq_progress_handler(db, 1000, past_deadline, deadline);
}

void query_deadline_end(nq_db *db)
{
    nq_progress_handler(db, 0, NULL, NULL);
}

/* ---- binding ------------------------------------------------------------------------------- */

int query_bind_json(nq_stmt *st, int i, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return nq_bind_null(st, i);
    case JSON_TRUE:
    case JSON_FALSE:
        return nq_bind_bool(st, i, json_is_true(v));
    case JSON_INTEGER:
        return nq_bind_int64(st, i, (int64_t)json_integer_value(v));
    case JSON_REAL:
        return nq_bind_double(st, i, json_real_value(v));
    case JSON_STRING:
        return nq_bind_text(st, i, json_string_value(v), json_string_length(v));
    default: {
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc = t ? nq_bind_text(st, i, t, strlen(t)) : NQ_ENOMEM;
        free(t);
        return rc;
    }
    }
}

/* Bind params (array: positional; object: by name, with or without its ':'/'$'/'@') to a
 * statement that has placeholders; each such statement of the request gets the same params. */
static int bind_params(req *r, nq_stmt *st, json_t *params, int stmt_no)
{
    int n = nq_bind_count(st);
    if (n == 0) /* params belong to the statements that have placeholders */
        return 0;
    if (!params) {
        if (n > 0)
            return req_failf(r, AE_INVALID_QUERY,
                             "statement %d has %d parameter%s but the request has no \"params\"",
                             stmt_no, n, n == 1 ? "" : "s");
        return 0;
    }
    if (json_is_array(params)) {
        if ((int)json_array_size(params) != n)
            return req_failf(r, AE_INVALID_QUERY,
                             "statement %d has %d parameter%s, \"params\" has %zu value%s", stmt_no,
                             n, n == 1 ? "" : "s", json_array_size(params),
                             json_array_size(params) == 1 ? "" : "s");
        for (int i = 0; i < n; i++)
            if (query_bind_json(st, i + 1, json_array_get(params, (size_t)i)) != NQ_OK)
                return req_failf(r, AE_INVALID_QUERY, "params[%d]: cannot bind", i);
        return 0;
    }
    for (int i = 1; i <= n; i++) {
        const char *name = nq_bind_name(st, i);
        if (!name)
            return req_failf(r, AE_INVALID_QUERY,
                             "statement %d uses positional parameters: \"params\" must be an array",
                             stmt_no);
        json_t *v = json_object_get(params, name);
        if (!v && (name[0] == ':' || name[0] == '$' || name[0] == '@'))
            v = json_object_get(params, name + 1);
        if (!v)
            return req_failf(r, AE_INVALID_QUERY, "params has no value for %s", name);
        if (query_bind_json(st, i, v) != NQ_OK)
            return req_failf(r, AE_INVALID_QUERY, "params.%s: cannot bind", name);
    }
    return 0;
}

/* ---- committed changes -> WebSocket ------------------------------------------------------- */

void changes_init(changes *c)
{
    memset(c, 0, sizeof *c);
}

void changes_free(changes *c)
{
    for (unsigned i = 0; i < c->n; i++)
        free(c->v[i].table);
    free(c->v);
    for (unsigned i = 0; i < c->nsp; i++)
        free(c->sp[i].name);
    free(c->sp);
    memset(c, 0, sizeof *c);
}

void changes_add(changes *c, const char *table, const char *op, int64_t rows)
{
    if (!table || rows <= 0)
        return;
    if (c->n == c->cap) {
        unsigned cap = c->cap ? c->cap * 2 : 8;
        void *nv = realloc(c->v, cap * sizeof *c->v);
        if (!nv)
            return;
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n].table = strdup(table);
    c->v[c->n].op = op;
    c->v[c->n].rows = rows;
    if (c->v[c->n].table)
        c->n++;
}

/* SAVEPOINT / ROLLBACK TO / RELEASE keep the pending list in step with what the engine undid. */
static void changes_savepoint(changes *c, const char *name)
{
    void *ns = realloc(c->sp, (c->nsp + 1) * sizeof *c->sp);
    if (!ns)
        return;
    c->sp = ns;
    c->sp[c->nsp].name = strdup(name ? name : "");
    c->sp[c->nsp].mark = c->n;
    c->nsp++;
}

static void changes_rollback_to(changes *c, const char *name, int release)
{
    for (unsigned k = c->nsp; k-- > 0;) {
        if (strcasecmp(c->sp[k].name, name ? name : "") != 0)
            continue;
        if (!release)
            for (unsigned i = c->sp[k].mark; i < c->n; i++)
                free(c->v[i].table);
        if (!release)
            c->n = c->sp[k].mark;
        /* ROLLBACK TO keeps the savepoint; RELEASE removes it and every later one */
        unsigned keep = release ? k : k + 1;
        for (unsigned j = keep; j < c->nsp; j++)
            free(c->sp[j].name);
        c->nsp = keep;
        return;
    }
}

void changes_publish(nq_server *s, changes *c, const char *request_id)
{
    char ts[40];
    envelope_timestamp(ts);
    for (unsigned i = 0; i < c->n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "table", json_string(c->v[i].table));
        json_object_set_new(o, "operation", json_string(c->v[i].op));
        json_object_set_new(o, "rows_affected", json_integer(c->v[i].rows));
        json_object_set_new(o, "request_id", json_string(request_id));
        json_object_set_new(o, "committed_at", json_string(ts));
        char *data = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
        json_decref(o);
        char channel[300];
        snprintf(channel, sizeof channel, "table.%s", c->v[i].table);
        if (data && s->ws)
            ws_publish(s->ws, channel, data);
        free(data);
        free(c->v[i].table);
    }
    c->n = 0;
    for (unsigned i = 0; i < c->nsp; i++)
        free(c->sp[i].name);
    c->nsp = 0;
}

const char *query_type(const char *kind)
{
    if (!kind)
        return "other";
    if (!strcmp(kind, "SELECT") || !strcmp(kind, "EXPLAIN") || !strcmp(kind, "SHOW TABLES") ||
        !strcmp(kind, "DESCRIBE"))
        return "select";
    if (!strcmp(kind, "INSERT"))
        return "insert";
    if (!strcmp(kind, "UPDATE"))
        return "update";
    if (!strcmp(kind, "DELETE") || !strcmp(kind, "TRUNCATE"))
        return "delete";
    if (!strncmp(kind, "CREATE", 6) || !strcmp(kind, "DROP") || !strcmp(kind, "ALTER TABLE") ||
        !strcmp(kind, "REINDEX") || !strcmp(kind, "ANALYZE"))
        return "ddl";
    if (!strcmp(kind, "BEGIN") || !strcmp(kind, "COMMIT") || !strcmp(kind, "ROLLBACK") ||
        !strcmp(kind, "SAVEPOINT") || !strcmp(kind, "RELEASE"))
        return "txn";
    return "other";
}

/* Track what the statement did to the pending change list; publish when a commit happened. */
void changes_after_statement(req *r, nq_db *db, nq_stmt *st, changes *c, int64_t rows)
{
    const char *kind = nq_stmt_kind(st);
    const char *table = nq_stmt_table(st);
    if (table && rows > 0) {
        char op[16];
        size_t i = 0;
        for (; kind[i] && i < sizeof op - 1; i++)
            op[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] + 32 : kind[i]);
        op[i] = '\0';
        const char *opname = !strcmp(op, "insert")   ? "insert"
                             : !strcmp(op, "update") ? "update"
                                                     : "delete";
        changes_add(c, table, opname, rows);
    }
    char sp[130];
    int has_sp = query_savepoint_name(st, sp, sizeof sp);
    if (!strcmp(kind, "SAVEPOINT") && has_sp)
        changes_savepoint(c, sp);
    else if (!strcmp(kind, "RELEASE") && has_sp)
        changes_rollback_to(c, sp, 1);
    else if (!strcmp(kind, "ROLLBACK") && has_sp)
        changes_rollback_to(c, sp, 0);
    if (!nq_in_txn(db, NULL)) {
        if (!strcmp(kind, "ROLLBACK"))
            changes_free(c);
        else
            changes_publish(r->srv, c, r->request_id);
    }
}

/* The savepoint named by SAVEPOINT x, RELEASE [SAVEPOINT] x, ROLLBACK [WORK|TRANSACTION] TO
 * [SAVEPOINT] x (identifier case-folded unless quoted). 0 when the statement names none. */
int query_savepoint_name(nq_stmt *st, char *buf, size_t cap)
{
    const char *sql = nq_stmt_sql(st);
    const char *kind = nq_stmt_kind(st);
    if (!sql || !kind || cap < 2)
        return 0;
    /* the last word of the statement is the name in all three forms */
    size_t n = strlen(sql);
    while (n && (sql[n - 1] == ' ' || sql[n - 1] == ';' || sql[n - 1] == '\n' || sql[n - 1] == '\t' ||
                 sql[n - 1] == '\r'))
        n--;
    size_t b = n;
    if (b && sql[b - 1] == '"') {
        b--;
        while (b && sql[b - 1] != '"')
            b--;
        if (!b)
            return 0;
        size_t len = n - b - 1;
        if (len >= cap)
            return 0;
        memcpy(buf, sql + b, len);
        buf[len] = '\0';
        b--;
    } else {
        while (b && sql[b - 1] != ' ' && sql[b - 1] != '\n' && sql[b - 1] != '\t')
            b--;
        size_t len = n - b;
        if (len == 0 || len >= cap)
            return 0;
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)(sql[b + i] >= 'A' && sql[b + i] <= 'Z' ? sql[b + i] + 32 : sql[b + i]);
        buf[len] = '\0';
    }
    if (!strcmp(kind, "ROLLBACK")) {
        /* only ROLLBACK ... TO ... names a savepoint */
        char up[16];
        int has_to = 0;
        for (const char *p = sql; *p; p++) {
            size_t k = 0;
            while (p[k] && p[k] != ' ' && p[k] != '\n' && p[k] != '\t' && k < sizeof up - 1) {
                up[k] = (char)(p[k] >= 'a' && p[k] <= 'z' ? p[k] - 32 : p[k]);
                k++;
            }
            up[k] = '\0';
            if (!strcmp(up, "TO"))
                has_to = 1;
            p += k;
            if (!*p)
                break;
        }
        return has_to;
    }
    return !strcasecmp(buf, "savepoint") ? 0 : 1;
}

/* ---- the handler --------------------------------------------------------------------------- */

typedef struct result {
    json_t *rows, *columns;
    int64_t affected;
    int64_t last_insert_id;
    int has_insert_id;
    size_t bytes;
} result;

static void result_clear(result *res)
{
    json_decref(res->rows);
    json_decref(res->columns);
    memset(res, 0, sizeof *res);
}

/* Step st to the end, collecting rows into res. 0, or the status of the error set in r. */
static int run_statement(req *r, nq_db *db, nq_stmt *st, result *res, int stmt_no)
{
    int ncols = nq_column_count(st);
    result_clear(res);
    if (ncols > 0) {
        res->rows = json_array();
        res->columns = NULL;
    }
    int rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        if (!res->columns)
            res->columns = rowjson_columns(st);
        for (int i = 0; i < ncols; i++)
            res->bytes += nq_column_bytes(st, i) + 16;
        if (res->bytes > QUERY_MAX_RESULT_BYTES)
            return req_failf(r, AE_PAYLOAD_TOO_LARGE,
                             "the result of statement %d is larger than %u MiB; add LIMIT, or "
                             "stream it with stream_query over /ws",
                             stmt_no, QUERY_MAX_RESULT_BYTES >> 20);
        json_t *row = rowjson_row(st);
        if (!row || json_array_append_new(res->rows, row) != 0)
            return req_fail(r, AE_INTERNAL, "out of memory building the result", NULL);
    }
    if (rc != NQ_DONE) {
        char what[40];
        snprintf(what, sizeof what, "statement %d", stmt_no);
        return req_engine_error(r, db, rc, what);
    }
    if (ncols > 0 && !res->columns) { /* no rows: names are known without a row */
        res->columns = json_array();
        for (int i = 0; i < ncols; i++)
            json_array_append_new(res->columns, json_string(nq_column_name(st, i)));
    }
    const char *kind = nq_stmt_kind(st);
    if (nq_stmt_table(st) && strcmp(kind, "TRUNCATE") != 0)
        res->affected = nq_changes(db);
    if (!strcmp(kind, "INSERT")) {
        res->last_insert_id = nq_last_insert_rowid(db);
        res->has_insert_id = 1;
    }
    return 0;
}

int h_query(req *r)
{
    static const char *const allowed[] = {"query", "params", NULL};
    const char *sql;
    json_t *params = NULL;
    if (req_body_object(r, allowed) || req_string(r, r->json, "query", 1, &sql))
        return r->status;
    params = json_object_get(r->json, "params");
    if (params && json_is_null(params))
        params = NULL;
    if (params && !json_is_array(params) && !json_is_object(params))
        return req_fail(r, AE_VALIDATION, "params", "must be an array or an object");
    if (params && json_is_object(params) && json_object_size(params) == 0)
        params = NULL; /* upstream clients send "params": {} */

    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    struct timespec deadline;
    query_deadline_start(r, db, &deadline);
    result res = {0};
    changes ch;
    changes_init(&ch);
    int nstmt = 0, st_code = 0;
    const char *p = sql, *end = sql + strlen(sql);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (p < end) {
        nq_stmt *st = NULL;
        const char *tail = NULL;
        int rc = nq_prepare(db, p, (size_t)(end - p), &st, &tail);
        if (rc != NQ_OK) {
            char what[40];
            snprintf(what, sizeof what, "statement %d", nstmt + 1);
            st_code = req_engine_error(r, db, rc, what);
            metrics_query(s->metrics, "other", 0, 0);
            break;
        }
        if (!st)
            break;
        nstmt++;
        unsigned need = nq_stmt_readonly(st) ? PERM_READ : PERM_WRITE;
        if (!identity_allows(&r->who, need)) {
            st_code = req_failf(r, AE_FORBIDDEN, "%s permission required for this query%s",
                                need == PERM_READ ? "read" : "write",
                                nstmt > 1 ? " (a later statement of the request)" : "");
            nq_finalize(st);
            break;
        }
        if ((st_code = bind_params(r, st, params, nstmt)) != 0) {
            nq_finalize(st);
            break;
        }
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        st_code = run_statement(r, db, st, &res, nstmt);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        metrics_query(s->metrics, query_type(nq_stmt_kind(st)), st_code == 0, secs);
        atomic_fetch_add(&s->n_queries, 1);
        atomic_fetch_add(&s->query_ns, (uint64_t)(secs * 1e9));
        if (st_code == 0)
            changes_after_statement(r, db, st, &ch, res.affected);
        nq_finalize(st);
        if (st_code)
            break;
        p = tail ? tail : end;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    query_deadline_end(db);
    if (!st_code && nq_in_txn(db, NULL)) {
        nq_rollback(db);
        changes_free(&ch);
        st_code = req_fail(r, AE_INVALID_QUERY,
                           "the request ended inside a transaction (BEGIN without COMMIT); it was "
                           "rolled back: a transaction must begin and end within one request",
                           NULL);
    }
    changes_free(&ch);
    dbpool_release(&s->pool, db);
    if (st_code) {
        result_clear(&res);
        return st_code;
    }
    if (nstmt == 0) {
        result_clear(&res);
        return req_fail(r, AE_VALIDATION, "query", "contains no statement");
    }
    json_t *d = json_object();
    json_object_set_new(d, "success", json_true());
    json_object_set_new(d, "rows_affected", json_integer(res.affected));
    json_object_set_new(d, "rows", res.rows ? res.rows : json_null());
    json_object_set_new(d, "columns", res.columns ? res.columns : json_null());
    json_object_set_new(d, "error", json_null());
    json_object_set_new(d, "execution_time_ms",
                        envelope_ms((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6));
    json_object_set_new(d, "statements", json_integer(nstmt));
    if (res.has_insert_id)
        json_object_set_new(d, "last_insert_id", json_integer(res.last_insert_id));
    res.rows = res.columns = NULL;
    return req_ok(r, 200, d, "SQL query executed successfully");
}
