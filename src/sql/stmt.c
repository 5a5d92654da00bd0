/*
 * stmt.c — prepared statements (placeholder until the executor lands: every statement
 * answers "not supported yet").
 */
#include <stdlib.h>

#include "sql/stmt.h"

struct sql_stmt {
    sql_session *s;
};

int sql_prepare(sql_session *s, const char *sql, size_t len, sql_stmt **out, const char **tail,
                nq_err *e, unsigned *line, unsigned *col)
{
    (void)s; (void)sql; (void)len; (void)line; (void)col;
    *out = NULL;
    if (tail)
        *tail = sql + len;
    return nq_err_set(e, NQ_ENOTSUP, "not supported yet: the SQL executor");
}
int sql_step(sql_stmt *st, nq_err *e) { (void)st; return nq_err_set(e, NQ_ENOTSUP, "not supported yet"); }
int sql_reset(sql_stmt *st) { (void)st; return 0; }
void sql_finalize(sql_stmt *st) { free(st); }
const char *sql_text(const sql_stmt *st) { (void)st; return ""; }
int sql_readonly(const sql_stmt *st) { (void)st; return 1; }
int sql_param_count(const sql_stmt *st) { (void)st; return 0; }
const char *sql_param_name(const sql_stmt *st, int i) { (void)st; (void)i; return NULL; }
int sql_bind(sql_stmt *st, int i, const sqlv *v, nq_err *e) { (void)st; (void)i; (void)v; return nq_err_set(e, NQ_EINVAL, "no such parameter"); }
void sql_clear_bindings(sql_stmt *st) { (void)st; }
int sql_column_count(const sql_stmt *st) { (void)st; return 0; }
const char *sql_column_name(const sql_stmt *st, int i) { (void)st; (void)i; return NULL; }
const sqlv *sql_column(const sql_stmt *st, int i) { (void)st; (void)i; return NULL; }
sql_session *sql_stmt_session(const sql_stmt *st) { return st->s; }
