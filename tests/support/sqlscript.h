/*
 * sqlscript.h — running SQL text in a test without caring about its rows.
 *
 * tsql_exec prepares and steps every statement of a script in turn (rows are read and
 * dropped), so a test can set up tables or apply a workload in one call and still learn the
 * engine's code of the first statement that failed (nq_errmsg(db) has the message).
 */
#ifndef NQ_TEST_SQLSCRIPT_H
#define NQ_TEST_SQLSCRIPT_H

#include "nqdb.h"

/* 0 when every statement ran, else the first failing statement's NQ_E* code (the statements
 * before it have run; the rest have not). */
int tsql_exec(nq_db *db, const char *sql);

#endif
