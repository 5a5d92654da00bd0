/*
 * txnset.h — the transaction settings of a session (isolation level, read-only) and the
 * statements about them: SET TRANSACTION, SET SESSION CHARACTERISTICS AS TRANSACTION,
 * SET/SHOW transaction_isolation, default_transaction_isolation, transaction_read_only,
 * default_transaction_read_only; LOCK TABLE modes. Design in txnset.c.
 */
#ifndef NQ_SQL_TXNSET_H
#define NQ_SQL_TXNSET_H

#include <stddef.h>

#include "sql/ast.h"
#include "sql/session.h"

/* Read the session's defaults from the engine's options (first use only). */
void txs_defaults(sql_session *s);
/* The level (NQ_ISO_*) and read-only flag a BEGIN with these modes (t may be NULL) gets. */
void txs_begin_modes(sql_session *s, const ast_txn *t, int *iso, int *ro);
int txs_set_transaction(sql_session *s, const ast_txn *t, nq_err *e);
int txs_set_var(sql_session *s, const ast_set_var *v, nq_err *e);
/* SHOW name: the value as text into out. NQ_ENOTFOUND for an unknown name. */
int txs_show(sql_session *s, const char *name, char *out, size_t cap, nq_err *e);
/* Rewrite the storage names in a concurrency error's message (40001, 40P01, 55P03) into the
 * SQL objects of the session's catalog: tables, their key values, indexes. */
void txs_name_objects(sql_session *s, nq_err *e);
/* NQ_LOCK_* of a LOCK TABLE mode as the parser writes it (NULL: ACCESS EXCLUSIVE). */
int txs_lock_mode(const char *mode);

#endif
