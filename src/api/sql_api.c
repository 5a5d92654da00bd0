/*
 * sql_api.c — the SQL half of include/nqdb.h: prepared statements, bindings, columns, exec.
 *
 * Thin wrappers over src/sql/stmt.h. What they add: the public error protocol (the code and
 * message land on the connection for nq_errmsg, with the error's position for
 * nq_error_position), argument checks (a bad index is NQ_EINVAL, not a crash), and column
 * text for nq_column_text, formatted once per row and cached until the statement moves.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "sql/session.h"
#include "sql/stmt.h"

struct nq_stmt {
    nq_db *db;
    sql_stmt *st;
    char **text;   /* per column: formatted text of the current row, or NULL */
    int ntext;
};

static int fail(nq_db *db, nq_err *e, int rc, unsigned line, unsigned col)
{
    if (rc < 0) {
        db->err = *e;
        db->err.code = rc;
        if (!db->err.msg[0])
            nq_err_set(&db->err, rc, "%s", nq_strerror(rc));
        db->err_line = line;
        db->err_col = col;
    }
    return rc;
}

static void drop_text(nq_stmt *s)
{
    for (int i = 0; i < s->ntext; i++) {
        free(s->text[i]);
        s->text[i] = NULL;
    }
}

int nq_prepare(nq_db *db, const char *sql, size_t len, nq_stmt **out, const char **tail)
{
    if (!db || !sql || !out)
        return NQ_EINVAL;
    *out = NULL;
    if (len == (size_t)-1)
        len = strlen(sql);
    nq_err e;
    nq_err_clear(&e);
    nq_err_clear(&db->err);
    db->err_line = db->err_col = 0;
    sql_session *s = sql_session_get(db);
    if (!s)
        return fail(db, &e, nq_err_set(&e, NQ_ENOMEM, "out of memory"), 0, 0);
    sql_stmt *st = NULL;
    unsigned line = 0, col = 0;
    int rc = sql_prepare(s, sql, len, &st, tail, &e, &line, &col);
    if (rc < 0)
        return fail(db, &e, rc, line, col);
    if (!st)
        return NQ_OK;
    nq_stmt *ps = calloc(1, sizeof *ps);
    int n = sql_column_count(st);
    if (ps && n > 0)
        ps->text = calloc((size_t)n, sizeof(char *));
    if (!ps || (n > 0 && !ps->text)) {
        free(ps);
        sql_finalize(st);
        return fail(db, &e, nq_err_set(&e, NQ_ENOMEM, "out of memory"), 0, 0);
    }
    ps->db = db;
    ps->st = st;
    ps->ntext = n;
    *out = ps;
    return NQ_OK;
}

int nq_step(nq_stmt *ps)
{
    if (!ps)
        return NQ_EINVAL;
    drop_text(ps);
    nq_err e;
    nq_err_clear(&e);
    int rc = sql_step(ps->st, &e);
    return fail(ps->db, &e, rc, 0, 0);
}

int nq_reset(nq_stmt *ps)
{
    if (!ps)
        return NQ_EINVAL;
    drop_text(ps);
    return sql_reset(ps->st);
}

int nq_finalize(nq_stmt *ps)
{
    if (!ps)
        return NQ_OK;
    drop_text(ps);
    sql_finalize(ps->st);
    free(ps->text);
    free(ps);
    return NQ_OK;
}

const char *nq_stmt_sql(const nq_stmt *ps) { return ps ? sql_text(ps->st) : NULL; }
int nq_stmt_readonly(const nq_stmt *ps) { return ps ? sql_readonly(ps->st) : 0; }
const char *nq_stmt_kind(const nq_stmt *ps) { return ps ? sql_kind(ps->st) : NULL; }
const char *nq_stmt_table(const nq_stmt *ps) { return ps ? sql_target_table(ps->st) : NULL; }
int nq_bind_count(const nq_stmt *ps) { return ps ? sql_param_count(ps->st) : 0; }
const char *nq_bind_name(const nq_stmt *ps, int i) { return ps ? sql_param_name(ps->st, i) : NULL; }

int nq_bind_index(const nq_stmt *ps, const char *name)
{
    if (!ps || !name)
        return 0;
    int n = sql_param_count(ps->st);
    for (int i = 1; i <= n; i++) {
        const char *p = sql_param_name(ps->st, i);
        if (p && !strcmp(p, name))
            return i;
    }
    return 0;
}

static int bind(nq_stmt *ps, int i, sqlv v)
{
    if (!ps)
        return NQ_EINVAL;
    nq_err e;
    nq_err_clear(&e);
    return fail(ps->db, &e, sql_bind(ps->st, i, &v, &e), 0, 0);
}

int nq_bind_null(nq_stmt *ps, int i) { return bind(ps, i, sqlv_null()); }
int nq_bind_int64(nq_stmt *ps, int i, int64_t v) { return bind(ps, i, sqlv_int(v)); }
int nq_bind_double(nq_stmt *ps, int i, double v) { return bind(ps, i, sqlv_real(v)); }
int nq_bind_bool(nq_stmt *ps, int i, int v) { return bind(ps, i, sqlv_bool(v)); }
int nq_bind_text(nq_stmt *ps, int i, const char *s, size_t len)
{
    if (!s)
        return bind(ps, i, sqlv_null());
    return bind(ps, i, sqlv_text(s, len == (size_t)-1 ? strlen(s) : len));
}
int nq_bind_blob(nq_stmt *ps, int i, const void *p, size_t len)
{
    return bind(ps, i, sqlv_bytes(SQLV_BLOB, p ? p : "", len));
}

int nq_clear_bindings(nq_stmt *ps)
{
    if (!ps)
        return NQ_EINVAL;
    sql_clear_bindings(ps->st);
    return NQ_OK;
}

int nq_column_count(const nq_stmt *ps) { return ps ? sql_column_count(ps->st) : 0; }
const char *nq_column_name(const nq_stmt *ps, int i)
{
    return ps ? sql_column_name(ps->st, i) : NULL;
}

static const sqlv *col(nq_stmt *ps, int i) { return ps ? sql_column(ps->st, i) : NULL; }

int nq_column_type(nq_stmt *ps, int i)
{
    const sqlv *v = col(ps, i);
    if (!v)
        return NQ_TYPE_NULL;
    switch (v->type) {
    case SQLV_INT: return NQ_TYPE_INTEGER;
    case SQLV_REAL: return NQ_TYPE_REAL;
    case SQLV_TEXT: return NQ_TYPE_TEXT;
    case SQLV_BLOB: return NQ_TYPE_BLOB;
    case SQLV_BOOL: return NQ_TYPE_BOOLEAN;
    case SQLV_DATE: return NQ_TYPE_DATE;
    case SQLV_TIME: return NQ_TYPE_TIME;
    case SQLV_TIMESTAMP: return NQ_TYPE_TIMESTAMP;
    case SQLV_VECTOR: return NQ_TYPE_VECTOR;
    default: return NQ_TYPE_NULL;
    }
}

int64_t nq_column_int64(nq_stmt *ps, int i)
{
    const sqlv *v = col(ps, i);
    if (!v)
        return 0;
    if (v->type == SQLV_REAL) {
        if (v->r >= 9.2233720368547758e18)
            return INT64_MAX;
        if (v->r <= -9.2233720368547758e18)
            return INT64_MIN;
        return (int64_t)v->r;
    }
    if (v->type == SQLV_TEXT) {
        sqlv out;
        nq_err e;
        if (sqlv_cast(v, SQLV_INT, &out, &e) == 0)
            return out.i;
        return 0;
    }
    return v->type == SQLV_NULL || v->type == SQLV_BLOB || v->type == SQLV_VECTOR ? 0 : v->i;
}

double nq_column_double(nq_stmt *ps, int i)
{
    const sqlv *v = col(ps, i);
    if (!v)
        return 0;
    if (v->type == SQLV_REAL)
        return v->r;
    if (v->type == SQLV_TEXT) {
        sqlv out;
        nq_err e;
        if (sqlv_cast(v, SQLV_REAL, &out, &e) == 0)
            return out.r;
        return 0;
    }
    return v->type == SQLV_NULL || v->type == SQLV_BLOB || v->type == SQLV_VECTOR ? 0 : (double)v->i;
}

const char *nq_column_text(nq_stmt *ps, int i)
{
    const sqlv *v = col(ps, i);
    if (!v || v->type == SQLV_NULL || i < 0 || i >= ps->ntext)
        return NULL;
    if (!ps->text[i])
        ps->text[i] = sqlv_to_string(v);
    return ps->text[i];
}

const void *nq_column_blob(nq_stmt *ps, int i)
{
    const sqlv *v = col(ps, i);
    if (!v || (v->type != SQLV_TEXT && v->type != SQLV_BLOB && v->type != SQLV_VECTOR))
        return NULL;
    return v->p;
}

size_t nq_column_bytes(nq_stmt *ps, int i)
{
    const sqlv *v = col(ps, i);
    if (!v || (v->type != SQLV_TEXT && v->type != SQLV_BLOB && v->type != SQLV_VECTOR))
        return 0;
    return v->n;
}

int64_t nq_changes(const nq_db *db) { return db && db->sql ? db->sql->changes : 0; }
int64_t nq_last_insert_rowid(const nq_db *db) { return db && db->sql ? db->sql->last_rowid : 0; }

void nq_error_position(const nq_db *db, unsigned *line, unsigned *col)
{
    if (line)
        *line = db ? db->err_line : 0;
    if (col)
        *col = db ? db->err_col : 0;
}

void nq_interrupt(nq_db *db)
{
    if (db)
        __atomic_store_n(&db->interrupted, 1, __ATOMIC_RELEASE);
}

void nq_progress_handler(nq_db *db, unsigned every, nq_progress_fn fn, void *arg)
{
    if (!db)
        return;
    db->progress_every = fn ? every : 0;
    db->progress_fn = fn;
    db->progress_arg = arg;
}

int nq_exec(nq_db *db, const char *sql, nq_exec_fn cb, void *arg)
{
    if (!db || !sql)
        return NQ_EINVAL;
    const char *p = sql, *end = sql + strlen(sql);
    while (p < end) {
        nq_stmt *ps = NULL;
        const char *tail = end;
        int rc = nq_prepare(db, p, (size_t)(end - p), &ps, &tail);
        if (rc < 0)
            return rc;
        if (!ps)
            break;
        int n = nq_column_count(ps);
        for (;;) {
            rc = nq_step(ps);
            if (rc != NQ_ROW)
                break;
            if (!cb)
                continue;
            const char *vals[n > 0 ? n : 1], *names[n > 0 ? n : 1];
            for (int i = 0; i < n; i++) {
                vals[i] = nq_column_text(ps, i);
                names[i] = nq_column_name(ps, i);
            }
            if (cb(arg, n, vals, names)) {
                nq_finalize(ps);
                nq_err_set(&db->err, NQ_ERROR, "callback requested abort");
                return NQ_ERROR;
            }
        }
        nq_finalize(ps);
        if (rc < 0)
            return rc;
        p = tail;
    }
    return NQ_OK;
}
