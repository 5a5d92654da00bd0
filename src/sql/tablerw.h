/*
 * tablerw.h — rows and index entries: the only code that writes SQL data to storage trees.
 *
 * tw_put/tw_del are nq_put/nq_del plus the undo log (session.h). Above them, tw_insert,
 * tw_delete and tw_update keep a table's tree and all its indexes consistent and enforce
 * PRIMARY KEY and UNIQUE constraints (NQ_ECONSTRAINT, messages as PostgreSQL's:
 *     duplicate key value violates unique constraint "t_pkey"
 * ). NOT NULL, CHECK, FOREIGN KEY (exec_fk.c), types and defaults are the executor's
 * business: it hands over rows that are complete, typed and checked. Row layout and key formats: catalog.h.
 *
 * Reading: tw_scan walks a table in rowid order; tw_iscan walks an index between two key
 * bounds. Both return borrowed bytes valid until the next call on the iterator. Iterators
 * read inside the session's open transaction and stay valid across writes to the same tree
 * (storage cursors survive modification), which is what UPDATE/DELETE driving a scan need.
 */
#ifndef NQ_SQL_TABLERW_H
#define NQ_SQL_TABLERW_H

#include <stddef.h>
#include <stdint.h>

#include "sql/catalog.h"
#include "sql/session.h"

/* The stored record of a row of t (n values: t->ncols, or fewer for a row of a table being
 * altered): the INTEGER PRIMARY KEY as NULL (it is the key), DNA_SEQUENCE values validated
 * ('column "seq": invalid base 'X' at position 7', NQ_EINVAL, positions from 1), and the
 * columns with cat_column.dna DNA-coded where that is smaller (record.h). *rec: free(). */
int tw_encode_row(const cat_table *t, const sqlv *row, int n, uint8_t **rec, size_t *rl, nq_err *e);
/* Decode a stored record of t into t->ncols values, DNA-coded columns expanded into *xbuf
 * (grown as needed, *xcap its size; the caller frees it): the values borrow from p and *xbuf. */
int tw_decode_row(const cat_table *t, const uint8_t *p, size_t n, int64_t rowid, sqlv *vals,
                  uint8_t **xbuf, size_t *xcap, nq_err *e);

/* Logged primitives (log only inside an explicit transaction). */
int tw_put(sql_session *s, nq_tree *t, const void *k, size_t kl, const void *v, size_t vl,
           int flags, nq_err *e);
int tw_del(sql_session *s, nq_tree *t, const void *k, size_t kl, nq_err *e);
/* Open (creating) a tree and log its creation; drop a tree (deferred inside a transaction). */
int tw_tree_create(sql_session *s, const char *name, nq_tree **out, nq_err *e);
int tw_tree_drop(sql_session *s, const char *name, nq_err *e);
/* Undo log: its length, and undoing down to a mark (then truncating to it). */
size_t undo_mark(sql_session *s);
int undo_apply(sql_session *s, size_t mark, nq_err *e);
void undo_truncate(sql_session *s, size_t mark);
void undo_free(undo_log *u);

/* Locks of concurrent transactions (nothing happens in other transactions): a row lock on key
 * k of tree t (nq_lock_key), and a table-level lock on t ("t" ‖ name, sess_lock_table; once
 * per table and mode per transaction). Writers of a table take ROW EXCLUSIVE (tw_insert,
 * tw_update, tw_delete), readers ACCESS SHARE (tw_scan_open, tw_iscan_open), so LOCK TABLE
 * conflicts with them as in PostgreSQL. Unique indexes lock the indexed values (the key
 * prefix) before checking them, with NQ_LOCK_WRITTEN: a second inserter of the value waits,
 * then fails first-committer-wins (or restarts, READ COMMITTED) when the first commits. */
/* Implicit locks (TW_LOCK_IMPLICIT or'ed into tw_lock_key's mode; tw_lock_table's always are)
 * are skipped while the engine answers "not supported yet" for locks: writes then still meet
 * first-committer-wins, only later. Explicit ones (FOR UPDATE, LOCK TABLE) report it. */
#define TW_LOCK_IMPLICIT 0x10000
int tw_lock_key(sql_session *s, nq_tree *t, const void *k, size_t kl, int mode, nq_err *e);
int tw_lock_table(sql_session *s, const cat_table *t, int mode, nq_err *e);

/* Conflict resolution for INSERT/UPDATE (INSERT OR IGNORE/REPLACE, ON CONFLICT DO NOTHING). */
enum { TW_ABORT = 0, TW_IGNORE = 1, TW_REPLACE = 2 };

/* Insert row (t->ncols values, already coerced to the column types). *rowid: in, the rowid to
 * use when have_rowid (the INTEGER PRIMARY KEY value), out, the rowid used (a new one is
 * max(rowid)+1 — in a concurrent transaction the engine's claim above that, nq_key_claim — or
 * from the sequence for AUTOINCREMENT). A non-NULL INTEGER PRIMARY KEY value in
 * row counts as have_rowid. tw_insert writes into row: row[t->ipk] becomes the rowid, and
 * NULL values of other AUTOINCREMENT/SERIAL columns are filled from the table's sequence (so
 * the executor's NOT NULL check must let those NULLs through). Returns 0, NQ_ECONSTRAINT, or
 * with TW_IGNORE 1 when the row was skipped (nothing written). TW_REPLACE deletes the
 * conflicting rows first (*replaced counts them; may be NULL). s->last_rowid and s->changes
 * are the executor's to keep. */
int tw_insert(sql_session *s, cat_table *t, sqlv *row, int have_rowid, int64_t *rowid,
              int conflict, int *replaced, nq_err *e);
/* The existing rows a row would conflict with, for ON CONFLICT (target) DO NOTHING / DO UPDATE:
 * one entry per violated constraint, the rowid first (ix NULL: the INTEGER PRIMARY KEY or
 * hidden rowid, checked when have_rowid or when row has an INTEGER PRIMARY KEY value), then
 * unique indexes in t->idx order. A row
 * whose rowid is *self (may be NULL; UPDATE passes the row being changed) does not count.
 * Returns how many were found (at most max; t->nidx + 1 always suffices) or an error. */
typedef struct tw_conflict {
    cat_index *ix;
    int64_t rowid;
} tw_conflict;
int tw_find_conflicts(sql_session *s, cat_table *t, const sqlv *row, int have_rowid, int64_t rowid,
                      const int64_t *self, tw_conflict *out, int max, nq_err *e);
/* Delete the row with this rowid, whose current values are old (needed for index keys). */
int tw_delete(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, nq_err *e);
/* Replace row rowid's values old by new; new_rowid differs from rowid when the INTEGER PRIMARY
 * KEY changed (an INTEGER value in newv[t->ipk] wins over new_rowid). Only indexes whose keys
 * changed are touched. NQ_ECONSTRAINT on conflicts, checked before anything is written. */
int tw_update(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, int64_t new_rowid,
              const sqlv *newv, nq_err *e);
/* Fetch row rowid into vals (t->ncols; borrowed from *buf, which the caller frees). */
int tw_fetch(sql_session *s, cat_table *t, int64_t rowid, sqlv *vals, uint8_t **buf, nq_err *e);
/* The largest rowid in t, or 0 if empty. */
int tw_max_rowid(sql_session *s, cat_table *t, int64_t *out, nq_err *e);

/* Table scan in rowid order, optionally from/to rowid bounds (inclusive). */
typedef struct tw_scan tw_scan;
int tw_scan_open(sql_session *s, cat_table *t, tw_scan **out, nq_err *e);
/* Position at the first row with rowid >= lo (INT64_MIN: the first row); rows up to hi. */
int tw_scan_start(tw_scan *sc, int64_t lo, int64_t hi, nq_err *e);
/* 1 = a row is current, 0 = end. vals gets t->ncols values borrowed from the scan's own copy
 * of the record: valid until the next call on the scan, even across writes to the table. */
int tw_scan_next(tw_scan *sc, int64_t *rowid, sqlv *vals, nq_err *e);
void tw_scan_close(tw_scan *sc);

/* Index scan between encoded key bounds: lo/hi are key_encode prefixes of the index columns
 * (NULL = unbounded); lo_incl/hi_incl say whether keys equal to the bound (as a prefix) are
 * included. reverse = walk from hi down to lo. */
typedef struct tw_iscan tw_iscan;
int tw_iscan_open(sql_session *s, cat_index *ix, tw_iscan **out, nq_err *e);
int tw_iscan_start(tw_iscan *sc, const uint8_t *lo, size_t lolen, int lo_incl, const uint8_t *hi,
                   size_t hilen, int hi_incl, int reverse, nq_err *e);
/* 1 = an entry is current (rowid set; vals, if not NULL, gets the ix->ncols indexed values,
 * owned: sqlv_clear them), 0 = end. */
int tw_iscan_next(tw_iscan *sc, int64_t *rowid, sqlv *vals, nq_err *e);
void tw_iscan_close(tw_iscan *sc);

/* Build an index's entries from the table's rows (CREATE INDEX on a filled table, REINDEX);
 * NQ_ECONSTRAINT if a unique index finds duplicates. */
int tw_index_build(sql_session *s, cat_index *ix, nq_err *e);
/* Delete every row of t and its index entries (TRUNCATE, DELETE without WHERE). */
int tw_truncate(sql_session *s, cat_table *t, int64_t *deleted, nq_err *e);

#endif
