/*
 * stepsched.h — a step scheduler for multi-connection SQL tests (Hermitage, deadlocks).
 *
 * A test opens a database with a few connections (nq_open, then nq_clone); each connection is
 * served by its own thread, since a statement that waits for a lock blocks the thread that runs
 * it. The test then issues steps in a fixed order: (connection, SQL, expected outcome), where
 * the outcome is
 *   - success (rows ignored), or exactly these rows as text;
 *   - an error code (NQ_ESERIALIZE, NQ_EDEADLOCK, NQ_ELOCKTIMEOUT, NQ_ECONSTRAINT, ...);
 *   - "blocks": the statement waits for a lock;
 *   - "no transaction": the connection has no open transaction (after NQ_ESERIALIZE or
 *     NQ_EDEADLOCK rolled the whole transaction back).
 * A later "await" step names a connection whose blocked statement is expected to have been
 * released by what happened since (a commit, a rollback, a deadlock victim) and says how it
 * ends.
 *
 * Determinism: after issuing a statement the scheduler waits until it either finishes or its
 * connection reports nq_txn_info_get(conn).waiting == 1 — the engine's own word that the
 * statement is blocked in a lock wait — never by sleeping and guessing. Between steps every
 * connection is thus idle or blocked, so the next step meets exactly the state the script
 * describes. The only clock is one generous safety limit (SS_SAFETY_MS) after which a step
 * that neither finishes nor blocks fails the test instead of hanging it.
 *
 * Rows are compared as text: the columns of a row joined by ',', rows joined by ';', an SQL
 * NULL as "NULL"; "" is no rows. So "1,10;2,20" is two rows (1, 10) and (2, 20).
 *
 * Closing the scheduler releases whatever is still blocked: it interrupts the blocked
 * statements (nq_interrupt) and closes the idle connections first, which ends their
 * transactions and so releases their locks.
 */
#ifndef NQ_TEST_STEPSCHED_H
#define NQ_TEST_STEPSCHED_H

#include <stddef.h>

#include "nqdb.h"

#define SS_MAXCONN 16
/* A step that neither finishes nor blocks within this long fails the test. */
#define SS_SAFETY_MS 60000

/* Outcome kinds. */
enum {
    SS_OK = 1, /* the statement succeeds; its rows are not compared */
    SS_ROWS,   /* the statement succeeds with exactly these rows */
    SS_ERR,    /* the statement fails with this code */
    SS_BLOCKS, /* the statement waits for a lock (it goes on running: await it later) */
    SS_NOTXN,  /* no SQL: the connection has no open transaction */
    SS_AWAIT_KIND_ /* internal */
};

typedef struct ss_expect {
    int kind;
    int code;         /* SS_ERR */
    const char *rows; /* SS_ROWS */
} ss_expect;

/* sql == SS_AWAIT: the blocked statement of conn finishes with the outcome (not SS_BLOCKS). */
#define SS_AWAIT ((const char *)0)

typedef struct ss_step {
    int conn;
    const char *sql;
    ss_expect expect;
} ss_step;

typedef struct ss_sched ss_sched;

/* Open path with opts (may be NULL) and nconn connections (1..SS_MAXCONN): the first from
 * nq_open, the others from nq_clone, each with its thread. NULL with a message in why. */
ss_sched *ss_open(const char *path, const nq_options *opts, int nconn, char *why, size_t whylen);
/* Release everything (see the file comment). Returns 0, or -1 when a statement could not be
 * released within the safety limit (the threads are then left running). */
int ss_close(ss_sched *s);
/* The connection's handle: use it only while the connection is idle. */
nq_db *ss_db(ss_sched *s, int conn);

/* ---- single statements ------------------------------------------------------------------- */
/* Issue sql on conn (which must be idle: no uncollected statement) and wait until it finishes
 * or blocks. Returns 1 when it finished (collect it with ss_finish), 0 when it blocked, -1
 * when neither happened within the safety limit (or conn was not idle). */
int ss_issue(ss_sched *s, int conn, const char *sql);
/* Wait (up to the safety limit) until the statement of conn has finished: 1, or -1. */
int ss_finish(ss_sched *s, int conn);
/* Wait until one of the statements of conns[0..n) that are running has finished; returns that
 * connection, or -1 when none is running or none finished within the safety limit. */
int ss_finish_any(ss_sched *s, const int *conns, int n);
/* 1 while conn has a statement whose result has not been collected (by ss_finish,
 * ss_finish_any or a script step): running, blocked, or finished since. */
int ss_running(ss_sched *s, int conn);
/* The finished statement's result code (NQ_OK or an error), rows (text, as above) and error
 * message; valid until the next statement on conn. */
int ss_rc(ss_sched *s, int conn);
const char *ss_rows(ss_sched *s, int conn);
const char *ss_msg(ss_sched *s, int conn);

/* ---- scripts -------------------------------------------------------------------------------- */
/* Run steps[0..n) in order. Returns 0 when every outcome was the expected one, else -1 with a
 * description of the first step that differed (its number, connection, SQL, expected and got)
 * in why. A connection may not be given a new statement while its earlier one is blocked:
 * await it first. */
int ss_run(ss_sched *s, const ss_step *steps, size_t n, char *why, size_t whylen);

/* "ok", "rows [1,10;2,20]", "error 40001 (...)", "blocks", ... into buf, for messages. */
const char *ss_expect_str(const ss_expect *e, char *buf, size_t n);

#endif
