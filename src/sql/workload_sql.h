/*
 * workload_sql.h — the SQL side of the workload memory (workload.h): what a statement
 * teaches the network, where the network lives and is kept, and the neuromorphic indexes that
 * the engine keeps, drops and rebuilds by what it learned.
 *
 * One network per open database (nq_engine.wl), made on the first statement, loaded from the
 * storage tree "sql:synaptic" (key "net", workload.h's format; a database without the tree
 * starts empty), saved into it when the last connection closes and by every SYNAPTIC_OPTIMIZE.
 *
 * Every SELECT, INSERT, UPDATE and DELETE that ran to its end is learned (stmt.c calls
 * wls_observe): its nodes are the tables it reads or writes, the columns it names and its
 * predicates — `col = x`, `col IN (...)`, `col IS NULL` are equality; `<`, `<=`, `>`, `>=`,
 * BETWEEN and LIKE 'prefix%' are range; `t1.a = t2.b` is a join predicate on both columns;
 * ORDER BY and GROUP BY columns are order — plus its template (literals replaced by ?).
 *
 * Neuromorphic indexes. A CREATE NEUROMORPHIC INDEX is a B-tree index marked in the catalog;
 * the network keeps a registry entry and a node "index:name" whose activity (its strength)
 * each statement with an equality, range or join predicate on the index's leading column
 * feeds, and which decays with half-life H otherwise. Decisions are taken at deterministic
 * points: every decide_every learned statements (by the connection whose statement crossed
 * the mark, after that statement, when it is outside an explicit transaction) and at every
 * SYNAPTIC_OPTIMIZE. A decision drops an active index whose strength is below drop_threshold
 * once it is min_age statements old, and rebuilds a dropped one whose strength (its column's
 * predicates came back) reached rebuild_threshold; otherwise it keeps it.
 */
#ifndef NQ_SQL_WORKLOAD_SQL_H
#define NQ_SQL_WORKLOAD_SQL_H

#include "sql/ast.h"
#include "sql/session.h"
#include "sql/value.h"
#include "sql/workload.h"

/* The database's network (made and loaded on first use), or NULL when out of memory. */
wl_net *wls_net(sql_session *s);
/* Learn statement st (text sql[0..len)) that has just run (the session's catalog is current). */
void wls_observe(sql_session *s, const ast_stmt *st, const char *sql, size_t len);
/* After a statement ended: run a decision that is due, if this session may (no explicit
 * transaction, no statement running). Errors are not reported: the next mark retries. */
void wls_after_stmt(sql_session *s);
/* Save the network into the database inside the open write transaction of s. */
int wls_save(sql_session *s, nq_err *e);
/* nq_close of the last connection: save (best effort, its own transaction) and free. */
void wls_engine_close(nq_db *db);

/* Bring the registry in line with the catalog: every neuromorphic index of the catalog is
 * registered (a new one starts now), an active entry whose index is gone (DROP INDEX) is
 * forgotten. Called after CREATE NEUROMORPHIC INDEX and before every decision. */
int wls_reconcile(sql_session *s);

/* SYNAPTIC_OPTIMIZE [[INDEX] name] [WITH option ...]: apply the options (settings), take the
 * decisions now (for index `name`, the neuromorphic indexes of table `name`, or all), save.
 * Each decision is a row (index, table_name, action, strength, state) passed to emit. */
typedef int (*wls_emit_fn)(void *arg, const sqlv *row, int n, nq_err *e);
extern const char *const wls_optimize_cols[5];
int wls_synaptic_optimize(sql_session *s, const ast_ext *x, wls_emit_fn emit, void *arg, nq_err *e);

#endif
