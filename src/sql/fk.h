/*
 * fk.h — FOREIGN KEY enforcement (exec_fk.c), called by the executor around every write.
 */
#ifndef NQ_SQL_FK_H
#define NQ_SQL_FK_H

#include "sql/catalog.h"
#include "sql/session.h"

/* A row of t is inserted (old NULL) or updated from old: its foreign keys must find parents. */
int fk_check_child(sql_session *s, cat_table *t, const sqlv *row, const sqlv *old, nq_err *e);
/* Row old of t is about to be deleted / to become newv: apply the referencing tables' actions. */
/* Before a referenced parent row changes, in a concurrent transaction: lock it (waiting for
 * transactions whose new children hold it FOR SHARE) and, under READ COMMITTED, read the
 * children on a fresh snapshot (nq_txn_statement), so that a child committed while this one
 * waited is seen — PostgreSQL's referential checks use a fresh snapshot too. Under REPEATABLE
 * READ / SERIALIZABLE a child committed after the snapshot is invisible, but its transaction
 * marked the parent key as written (lock_parent, NQ_LOCK_WRITTEN), so the lock fails with
 * 40001 instead of orphaning it. */
int fk_parent_lock(sql_session *s, cat_table *t, int64_t rowid, nq_err *e);
int fk_parent_delete(sql_session *s, cat_table *t, const sqlv *old, nq_err *e);
int fk_parent_update(sql_session *s, cat_table *t, const sqlv *old, const sqlv *newv, nq_err *e);
/* Does any table's foreign key reference t? */
int fk_is_referenced(const catalog *cat, const cat_table *t);

#endif
