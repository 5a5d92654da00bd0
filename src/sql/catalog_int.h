/*
 * catalog_int.h — what catalog.c (loading, building) shares with catalog_ddl.c (DDL) and
 * the tests: the reserved schema keys and the builders that turn parsed definitions into
 * catalog objects.
 */
#ifndef NQ_SQL_CATALOG_INT_H
#define NQ_SQL_CATALOG_INT_H

#include "sql/catalog.h"

#define CAT_VERSION_KEY "\x01version"
#define CAT_STAT_PREFIX "\x01stat:"

/* Map a declared type to its storage type (col->type, max_chars, project_type, autoinc for
 * SERIAL); *integer = 1 for integer type names. NQ_EINVAL "unknown type name: FOO". */
int cat_type_lookup(const ast_type *ty, cat_column *col, int *integer, nq_err *e);
/* WITH COMPRESSION on a column: only DNA exists ("Unknown compression algorithm: X", the
 * upstream message), and only on a TEXT column (or one without a type). Checked by CREATE TABLE
 * and ALTER TABLE ADD COLUMN, not when a stored schema loads. */
int cat_check_compression(const ast_column_def *cd, nq_err *e);
/* Only the schemas "main" and "public" exist (both name the one schema). */
int cat_check_schema(const ast_qname *q, nq_err *e);
/* Build (and validate) a table from its definition; everything is allocated in a. */
int cat_build_table(ast_arena *a, const ast_create_table *def, int64_t id, cat_table **out,
                    nq_err *e);
/* Build an index of t (not yet attached); NQ_ENOTSUP for partial and expression indexes. */
int cat_build_index(ast_arena *a, cat_table *t, const ast_create_index *ci, int64_t id,
                    int origin, cat_index **out, nq_err *e);
int cat_attach_index(ast_arena *a, cat_table *t, cat_index *ix, nq_err *e);
/* The stored schema version (0 when there is none). */
int cat_read_version(nq_tree *schema, int64_t *out, nq_err *e);

#endif
