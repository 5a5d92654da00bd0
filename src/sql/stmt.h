/*
 * stmt.h — a prepared statement: what nq_prepare builds and nq_step runs.
 *
 * (The engine fills this in; the public functions of include/nqdb.h are thin wrappers in
 * src/api/sql_api.c.)
 */
#ifndef NQ_SQL_STMT_H
#define NQ_SQL_STMT_H

#include <stddef.h>

#include "nqdb.h"
#include "sql/session.h"
#include "sql/value.h"

typedef struct sql_stmt sql_stmt;

/* Compile the first statement of sql; *out NULL (and 0 returned) when there is none;
 * *tail = where the next one starts. Errors set e, and line and col (0 when no position). */
int sql_prepare(sql_session *s, const char *sql, size_t len, sql_stmt **out, const char **tail,
                nq_err *e, unsigned *line, unsigned *col);
int sql_step(sql_stmt *st, nq_err *e);   /* NQ_ROW, NQ_DONE or an error */
int sql_reset(sql_stmt *st);
void sql_finalize(sql_stmt *st);
const char *sql_text(const sql_stmt *st);
int sql_readonly(const sql_stmt *st);
const char *sql_kind(const sql_stmt *st);          /* "SELECT", "INSERT", ... */
const char *sql_target_table(const sql_stmt *st);  /* table of INSERT/UPDATE/DELETE/TRUNCATE */

int sql_param_count(const sql_stmt *st);
const char *sql_param_name(const sql_stmt *st, int i);     /* 1-based; NULL if unnamed */
int sql_bind(sql_stmt *st, int i, const sqlv *v, nq_err *e); /* copies the value */
void sql_clear_bindings(sql_stmt *st);

int sql_column_count(const sql_stmt *st);
const char *sql_column_name(const sql_stmt *st, int i);
const sqlv *sql_column(const sql_stmt *st, int i);        /* current row; NULL if out of range */
sql_session *sql_stmt_session(const sql_stmt *st);

/* The planner's estimated cost of the compiled plan (the index advisor, advisor.c); -1 when
 * the statement has no plan. *full_scans (may be NULL): full table scans in it. */
double sql_plan_cost(const sql_stmt *st, int *full_scans);

#endif
