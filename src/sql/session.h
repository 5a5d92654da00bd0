/*
 * session.h — the SQL state of one connection: its catalog, its transaction and savepoints,
 * the undo log that makes statements atomic, prepared statements by name.
 *
 * Transactions. Outside BEGIN every statement runs in its own storage transaction
 * (autocommit): it commits when the statement finishes, rolls back when it fails. A query
 * reads a snapshot; a statement that writes rows (INSERT, UPDATE, DELETE) runs as a
 * one-statement concurrent transaction (nq_begin_concurrent, READ COMMITTED); DDL takes the
 * exclusive writer. SQL BEGIN opens a concurrent transaction at the transaction's isolation
 * level (txnset.c) that COMMIT commits and ROLLBACK rolls back; DDL inside it turns it into the
 * exclusive writer first (nq_txn_exclusive). BEGIN EXCLUSIVE / IMMEDIATE, and every
 * transaction of a connection switched off with sess_set_concurrent(s, 0), take the exclusive
 * writer instead (BEGIN READ ONLY then a reader). Statements inside a transaction are made atomic by marks: the write set's own
 * (nq_txn_mark / nq_txn_rollback_to) while the transaction is concurrent, the undo log
 * otherwise. A serialization failure or deadlock (the engine rolled the transaction back) puts
 * the session in the "lost" state: statements are refused with that code until COMMIT (which
 * reports it) or ROLLBACK.
 *
 * The undo log. Inside an explicit transaction every change the SQL layer makes to a storage
 * tree goes through tw_put/tw_del (tablerw.h), which first append the key's previous state
 * (its old value, or "absent") to the log; creating a tree logs "created". A statement
 * remembers the log length when it starts; if it fails, the log is applied backwards down to
 * that mark and truncated (statement rollback). SAVEPOINT name pushes a mark; ROLLBACK TO
 * applies the log down to it (the savepoint stays); RELEASE pops it. When no savepoint is
 * open, a statement that succeeds drops its entries: a long bulk insert in one transaction
 * keeps only its own statement's log. Dropping a tree inside an explicit transaction is
 * deferred to COMMIT (the catalog entry disappears at once), so that it can be undone.
 * Autocommit statements log nothing: their rollback is the storage transaction's. The log is
 * kept inside concurrent transactions too, because DDL may turn one exclusive, after which
 * only the log can undo the writes made before.
 */
#ifndef NQ_SQL_SESSION_H
#define NQ_SQL_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "nqdb.h"
#include "sql/catalog.h"

typedef struct undo_log undo_log;   /* tablerw.c */
typedef struct sql_prepared sql_prepared; /* PREPARE name AS ...: stmt.c */

typedef struct sql_savepoint {
    char *name;
    size_t mark;             /* undo log length when it was set */
    uint64_t txn_mark;       /* the write set's mark (nq_txn_mark) of a concurrent transaction */
    int has_txn_mark;
} sql_savepoint;

/* A write statement's bracket mark: where to undo it to. */
typedef struct sess_mark {
    size_t undo;             /* undo log length */
    uint64_t txn;            /* write-set mark of a concurrent transaction */
    int has_txn;
} sess_mark;

/* sess_stmt_begin kinds */
#define SESS_READ  0         /* reads only */
#define SESS_WRITE 1         /* writes rows (DML): runs in a concurrent transaction */
#define SESS_DDL   2         /* changes the schema or trees: needs the exclusive writer */

typedef struct sql_session {
    nq_db *db;
    catalog *cat;            /* loaded lazily; reloaded when stale */
    int explicit_txn;        /* inside BEGIN ... COMMIT */
    int txn_failed;          /* reserved: PostgreSQL's aborted-transaction state (unused: a
                                failed statement is undone and the transaction goes on) */
    undo_log *undo;
    sql_savepoint *sp;
    int nsp, capsp;
    char **pending_drops;    /* tree names dropped in this transaction, dropped at COMMIT */
    int ndrops, capdrops;
    int64_t last_rowid;      /* kept by the executor (tablerw does not touch it) */
    int64_t changes;         /* kept by the executor */
    sql_prepared *prepared;  /* list of PREPAREd statements */
    /* Called by sql_session_free to release s->prepared (set by stmt.c when it creates the
     * first one; NULL: nothing to free). */
    void (*free_prepared)(struct sql_session *s);
    /* session.c bookkeeping */
    int depth;               /* open statement brackets (nested statements: EXECUTE, ...) */
    int ac_txn;              /* the outermost bracket opened the storage transaction */
    int schema_dirty;        /* the schema tree was written in the open transaction */
    int cat_invalid;         /* s->cat no longer matches storage: reload before use */
    catalog *retired;        /* catalogs replaced during a statement, freed when it ends */
    int txn_cat_ok;          /* inside BEGIN: the catalog was checked current in this transaction;
                                as the only writer, only this session can change it until COMMIT */
    uint64_t cat_gen;        /* bumped whenever s->cat is replaced: plans cached against an
                                older generation must be rebuilt */
    /* transaction settings (txnset.c): the session's defaults and the open transaction's */
    int txs_init;            /* defaults read from the engine's options */
    int default_iso, default_ro; /* NQ_ISO_*, READ ONLY (SET default_transaction_...) */
    int txn_iso, txn_ro;     /* of the open SQL transaction */
    int txn_stmts;           /* statements begun in the open SQL transaction */
    int concurrent;          /* the open storage transaction is a concurrent one */
    int txn_lost;            /* NQ_ESERIALIZE / NQ_EDEADLOCK rolled the SQL transaction back:
                                statements are refused until COMMIT (which reports it) or
                                ROLLBACK */
    char *txn_lost_msg;      /* its message */
    int upgraded;            /* DDL turned the concurrent transaction exclusive ... */
    uint64_t upgrade_mark;   /* ... when its write set stood at this mark */
    sess_mark *marks;        /* open write brackets' marks (a stack) */
    int nmarks, capmarks;
    int use_concurrent;      /* 0, 1: concurrent SQL transactions; -1: the exclusive writer */
    char **locked;           /* tables locked in the open transaction ("t" ‖ name, mode) */
    int *locked_mode;
    int nlocked, caplocked;
} sql_session;

/* The connection's session, created on first use (NULL only when out of memory). */
sql_session *sql_session_get(nq_db *db);
void sql_session_free(sql_session *s);

/* Statement bracket. sess_stmt_begin opens the autocommit transaction when none is open
 * (write = SESS_READ: a read transaction suffices; SESS_WRITE: a concurrent one; SESS_DDL: the
 * exclusive writer), starts a new statement in an open concurrent transaction (nq_txn_statement,
 * and nq_txn_exclusive for SESS_DDL), makes sure the catalog is loaded and current,
 * and returns the undo mark to pass to sess_stmt_end. sess_stmt_end(ok = 1) commits an
 * autocommit transaction (a commit failure is returned), ok = 0 undoes the statement (rolls
 * back the autocommit transaction, or applies the undo log down to mark). Brackets nest
 * (depth counts them); only the outermost one opens and ends the autocommit transaction. A
 * read bracket (write = 0) has nothing to undo, so statements may also interleave: a SELECT
 * still stepping while another statement runs to its end (in an explicit transaction; in
 * autocommit the SELECT's read transaction refuses the write with NQ_EREADONLY). */
int sess_stmt_begin(sql_session *s, int write, size_t *mark, nq_err *e);
int sess_stmt_end(sql_session *s, size_t mark, int ok, nq_err *e);

/* Transaction statements. They manage the storage transaction themselves, so they must be
 * called outside a statement bracket (inside one: NQ_EMISUSE). Errors: BEGIN inside a transaction and COMMIT/ROLLBACK/RELEASE/
 * ROLLBACK TO outside one are NQ_EMISUSE ("there is already a transaction in progress", "no
 * transaction is in progress"); an unknown savepoint is NQ_ENOTFOUND ("no such savepoint: x").
 * SAVEPOINT outside a transaction block is NQ_EMISUSE "SAVEPOINT can only be used in
 * transaction blocks", as in PostgreSQL (SQLite would open a transaction). */
int sess_begin(sql_session *s, nq_err *e);
/* BEGIN / START TRANSACTION with its modes (t may be NULL: the session's defaults). */
int sess_begin_modes(sql_session *s, const struct ast_txn *t, nq_err *e);
/* Give the open SQL transaction (no statement run yet, or only towards READ ONLY) another
 * level and access mode (txnset.c's SET TRANSACTION). */
int sess_txn_restart(sql_session *s, int iso, int ro, nq_err *e);
/* Run this connection's SQL transactions and autocommit DML as the engine's concurrent
 * transactions (1, the default) or as the exclusive writer (0). */
void sess_set_concurrent(sql_session *s, int on);
/* Fail with code (NQ_ESERIALIZE): the open SQL transaction, if any, is rolled back and the
 * session refuses statements until COMMIT or ROLLBACK, as after the engine's own 40001. */
int sess_txn_abort(sql_session *s, int code, nq_err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Turn an open concurrent transaction into the exclusive writer (nq_txn_exclusive) before a
 * schema change; nothing in other transactions. */
int sess_exclusive(sql_session *s, nq_err *e);
/* Forget the SQL transaction if the embedder (or the engine) ended it. */
void sess_sync_txn(sql_session *s);
/* Lock a table ("t" ‖ name) in mode (NQ_LOCK_*) for the open concurrent transaction; once per
 * table and mode per transaction. Outside a concurrent transaction it does nothing. */
int sess_lock_table(sql_session *s, const char *table, int mode, nq_err *e);
int sess_commit(sql_session *s, nq_err *e);
int sess_rollback(sql_session *s, nq_err *e);
int sess_savepoint(sql_session *s, const char *name, nq_err *e);
int sess_release(sql_session *s, const char *name, nq_err *e);
int sess_rollback_to(sql_session *s, const char *name, nq_err *e);

/* A new statement starts: forget an interrupt aimed at an earlier one. */
void sess_clear_interrupt(sql_session *s);

/* Make sure s->cat is loaded and current (inside an open transaction). A catalog replaced
 * while a statement bracket is open is kept (s->retired) until the outermost bracket ends. */
int sess_catalog(sql_session *s, nq_err *e);

#endif
