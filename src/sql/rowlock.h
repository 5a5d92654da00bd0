/*
 * rowlock.h — SELECT ... FOR UPDATE / FOR SHARE (design in rowlock.c).
 */
#ifndef NQ_SQL_ROWLOCK_H
#define NQ_SQL_ROWLOCK_H

#include "base/err.h"
#include "sql/ast.h"

/* 0 when the statement's query may carry its locking clauses (none is fine), else the error
 * (NQ_ENOTSUP for SKIP LOCKED and for queries whose rows are not table rows, NQ_ESCHEMA for an
 * OF name that is not in the FROM clause). */
int rl_check(const ast_select *sel, nq_err *e);
/* Make the scans of the locked tables in plan (the query compiled from sel) lock the rows
 * they read (op_scan_set_lock). */
struct op;
struct catalog;
void rl_apply(const ast_select *sel, const struct catalog *cat, struct op *plan);

#endif
