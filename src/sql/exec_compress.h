/*
 * exec_compress.h — COMPRESS TABLE t USING DNA, DECOMPRESS TABLE t, SHOW COMPRESSION STATS FOR
 * t (exec_compress.c has the design; docs/dna.md, "In the database"). Each produces its result
 * rows through emit.
 */
#ifndef NQ_SQL_EXEC_COMPRESS_H
#define NQ_SQL_EXEC_COMPRESS_H

#include "sql/ast.h"
#include "sql/session.h"
#include "sql/value.h"

typedef int (*xc_emit)(void *arg, const sqlv *row, int n, nq_err *e);

#define XC_COMPRESS_NCOLS 11
#define XC_STATS_NCOLS 3
extern const char *const xc_compress_names[XC_COMPRESS_NCOLS];
extern const char *const xc_stats_names[XC_STATS_NCOLS];

/* COMPRESS TABLE (decompress 0; x->algorithm must be DNA: else "Unknown compression
 * algorithm: X") or DECOMPRESS TABLE (1): one result row (xc_compress_names). Not inside an
 * explicit transaction. */
int xc_compress_table(sql_session *s, const ast_ext *x, int decompress, xc_emit emit, void *arg,
                      nq_err *e);
/* SHOW COMPRESSION STATS FOR t: rows (object, metric, value). */
int xc_show_stats(sql_session *s, const ast_ext *x, xc_emit emit, void *arg, nq_err *e);

#endif
