/*
 * catalog_ddl_int.h — the steps every DDL statement shares (catalog_ddl.c), used by the
 * CREATE/DROP code and by ALTER TABLE / ANALYZE (catalog_alter.c).
 */
#ifndef NQ_SQL_CATALOG_DDL_INT_H
#define NQ_SQL_CATALOG_DDL_INT_H

#include "sql/catalog_int.h"
#include "sql/session.h"

/* Check for an open write transaction and load the current catalog into s->cat. */
int ddl_prepare(sql_session *s, nq_err *e);
/* The schema tree, created (logged) on first use. */
int ddl_schema_tree(sql_session *s, nq_tree **out, nq_err *e);
int ddl_check_name(const char *name, nq_err *e);
int ddl_name_taken(const catalog *c, const char *name);
int ddl_exists_error(const catalog *c, const char *name, nq_err *e);
/* Write / delete an object's schema entry (deleting also drops its statistics). */
int ddl_put_entry(sql_session *s, const char *kind, const char *name, const char *table, int64_t id,
                  const char *sql, int origin, nq_err *e);
int ddl_del_entry(sql_session *s, const char *name, nq_err *e);
int ddl_new_id(sql_session *s, int64_t *id, nq_err *e);
/* Create an index's tree and schema entry (not its entries). unique: 1 for UNIQUE, ORed with
 * DDL_IX_NEUROMORPHIC for CREATE NEUROMORPHIC INDEX. */
#define DDL_IX_NEUROMORPHIC 2
int ddl_write_index(sql_session *s, ast_arena *a, const char *name, const char *table, int unique,
                    const ast_list *items, int origin, int64_t *id_out, nq_err *e);
/* Canonical CREATE text of a table/index/view node, in a. */
char *ddl_print(ast_arena *a, ast_stmt_kind kind, void *node);
/* Bump the schema version and reload s->cat (the old one is retired, not freed). */
int ddl_commit_change(sql_session *s, nq_err *e);

#endif
