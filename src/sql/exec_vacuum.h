/*
 * exec_vacuum.h — the VACUUM statement (exec_vacuum.c has the design; docs/qsql.md, VACUUM;
 * docs/transactions.md, "Old versions and garbage collection").
 */
#ifndef NQ_SQL_EXEC_VACUUM_H
#define NQ_SQL_EXEC_VACUUM_H

#include "sql/ast.h"
#include "sql/session.h"
#include "sql/value.h"

#define XV_NCOLS 4
extern const char *const xv_names[XV_NCOLS];

/* VACUUM [t]: one row (frames_before, frames_after, frames_retained, oldest_snapshot_age_ms)
 * through emit. Not inside a transaction; VACUUM FULL and the options are refused. */
int xv_vacuum(sql_session *s, const ast_ext *x, int (*emit)(void *, const sqlv *, int, nq_err *),
              void *arg, nq_err *e);

#endif
