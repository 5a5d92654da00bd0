/*
 * tablerw_int.h — what tablerw.c (rows and indexes) shares with tablefk.c (foreign keys).
 */
#ifndef NQ_SQL_TABLERW_INT_H
#define NQ_SQL_TABLERW_INT_H

#include "sql/tablerw.h"

/* 1 if t has a row with this rowid, 0, or an error. */
int tw_row_exists(sql_session *s, cat_table *t, int64_t rowid, nq_err *e);
/* 1 (and *other) if the unique index holds the values prefix pfx for a row other than *self
 * (self may be NULL), 0, or an error. */
int tw_unique_conflict(sql_session *s, cat_index *ix, const uint8_t *pfx, size_t plen,
                       const int64_t *self, int64_t *other, nq_err *e);

/* Foreign keys (tablefk.c), called by tw_insert/tw_update/tw_delete/tw_truncate.
 * fk_check_child: the row's references (rowid: its own, for self references) exist; with
 * old != NULL only the foreign keys whose columns changed are checked.
 * fk_parent_before: NO ACTION / RESTRICT references to the old row's keys that a delete
 * (newv NULL) or key change would break are an error; called before the row changes.
 * fk_parent_after: CASCADE / SET NULL / SET DEFAULT on the referencing rows; called after. */
int fk_check_child(sql_session *s, cat_table *t, const sqlv *row, int64_t rowid, const sqlv *old,
                   nq_err *e);
int fk_parent_before(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, const sqlv *newv,
                     nq_err *e);
int fk_parent_after(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, const sqlv *newv,
                    nq_err *e);
/* The parent columns of fk in p (pcols, fk column order) and how a key is looked up there: by
 * rowid, or through the unique index *ix on exactly those columns (NQ_EINVAL "there is no
 * unique constraint matching given keys for referenced table" when there is none). */
int fk_resolve_parent(const cat_table *p, const cat_fk *fk, int *pcols, cat_index **ix,
                      int *by_rowid, nq_err *e);
/* 1 if a table other than t references t. */
int fk_referenced(sql_session *s, const cat_table *t);

#endif
