/*
 * test_txn_sql.c — SQL transactions as the engine's concurrent transactions, several
 * connections of one engine (nq_clone): isolation levels (what each statement sees of other
 * connections' commits), statement atomicity inside a concurrent transaction, savepoints nested
 * on write-set marks, READ COMMITTED restarting a statement after a concurrent update of its
 * row (and REPEATABLE READ failing with 40001, the session refusing statements until COMMIT or
 * ROLLBACK), rowids of concurrent inserters, READ ONLY, and the lock-based behaviours (FOR
 * UPDATE blocking and NOWAIT, LOCK TABLE modes against DML, two inserts of one unique value,
 * a foreign key against a concurrent delete of its parent).
 *
 * Deterministic: a second connection that must block runs in a thread, and the test knows it
 * is blocked by polling nq_txn_info_get().waiting (never by sleeping). The lock-based cases
 * skip themselves on an engine that answers "not supported yet" for locks.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlstore_util.h"

#define DB "txn_sql_test.db"

typedef struct fixture {
    nq_db *a, *b, *c;
} fixture;

static int ex(nq_db *d, const char *sql) { return nq_exec(d, sql, NULL, NULL); }

static void ok(nq_db *d, const char *sql)
{
    int rc = ex(d, sql);
    if (rc)
        fail_msg("%s: %d %s", sql, rc, nq_errmsg(d));
}

static nq_db *conn(nq_db *base)
{
    nq_db *d = NULL;
    assert_int_equal(nq_clone(base, &d), 0);
    sess_set_concurrent(sql_session_get(d), 1);
    return d;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->a = open_db(DB, 1);
    sess_set_concurrent(sql_session_get(f->a), 1);
    f->b = conn(f->a);
    f->c = conn(f->a);
    ok(f->a, "CREATE TABLE acc(id INTEGER PRIMARY KEY, owner TEXT, bal INTEGER NOT NULL)");
    ok(f->a, "INSERT INTO acc VALUES (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 0)");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    nq_close(f->c);
    nq_close(f->b);
    nq_close(f->a);
    free(f);
    char wal[64];
    snprintf(wal, sizeof wal, "%s-wal", DB);
    unlink(DB);
    unlink(wal);
    return 0;
}

static int one_cb(void *arg, int n, const char *const *v, const char *const *names)
{
    (void)names;
    int64_t *out = arg;
    out[0] = n > 0 && v[0] ? strtoll(v[0], NULL, 10) : INT64_MIN;
    out[1]++;
    return 0;
}

/* The single integer a query returns (INT64_MIN for NULL). */
static int64_t q1(nq_db *d, const char *sql)
{
    int64_t r[2] = {0, 0};
    int rc = nq_exec(d, sql, one_cb, r);
    if (rc)
        fail_msg("%s: %d %s", sql, rc, nq_errmsg(d));
    assert_int_equal(r[1], 1);
    return r[0];
}

static int text_cb(void *arg, int n, const char *const *v, const char *const *names)
{
    (void)names;
    snprintf(arg, 64, "%s", n > 0 && v[0] ? v[0] : "NULL");
    return 0;
}

/* The open transaction's kind (nq_in_txn) and the level SQL reports. */
static void mode_of(nq_db *d, int *mode, int *iso)
{
    *mode = -1;
    assert_int_equal(nq_in_txn(d, mode), 1);
    char lv[64] = "";
    assert_int_equal(nq_exec(d, "SHOW transaction_isolation", text_cb, lv), 0);
    *iso = nq_isolation_parse(lv);
}

/* ---- isolation: what a statement sees of another connection's commits ------------------- */

static void test_levels_see_commits(void **state)
{
    fixture *f = *state;
    /* READ COMMITTED: a new snapshot per statement */
    ok(f->a, "BEGIN");
    int mode, iso;
    mode_of(f->a, &mode, &iso);
    assert_int_equal(mode, NQ_TXN_CONCURRENT);
    assert_int_equal(iso, NQ_ISO_READ_COMMITTED);
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 100);
    ok(f->b, "UPDATE acc SET bal = 101 WHERE id = 1"); /* autocommit, concurrent */
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 101);
    ok(f->a, "COMMIT");
    /* REPEATABLE READ: one snapshot */
    ok(f->a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    mode_of(f->a, &mode, &iso);
    assert_int_equal(iso, NQ_ISO_REPEATABLE_READ);
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 101);
    ok(f->b, "UPDATE acc SET bal = 102 WHERE id = 1");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 101);
    ok(f->a, "COMMIT");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 102);
    /* a transaction's writes are its own until COMMIT */
    ok(f->a, "BEGIN");
    ok(f->a, "UPDATE acc SET bal = 0 WHERE id = 2");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 2"), 0);
    assert_int_equal(q1(f->b, "SELECT bal FROM acc WHERE id = 2"), 50);
    ok(f->a, "ROLLBACK");
    assert_int_equal(q1(f->b, "SELECT bal FROM acc WHERE id = 2"), 50);
    /* BEGIN EXCLUSIVE / IMMEDIATE: the exclusive writer (SQLite's meaning) */
    ok(f->a, "BEGIN EXCLUSIVE");
    mode_of(f->a, &mode, &iso);
    assert_int_equal(mode, NQ_TXN_WRITE);
    ok(f->a, "UPDATE acc SET bal = 102 WHERE id = 1");
    ok(f->a, "COMMIT");
    ok(f->a, "BEGIN IMMEDIATE TRANSACTION");
    mode_of(f->a, &mode, &iso);
    assert_int_equal(mode, NQ_TXN_WRITE);
    ok(f->a, "ROLLBACK");
    ok(f->a, "BEGIN DEFERRED");
    mode_of(f->a, &mode, &iso);
    assert_int_equal(mode, NQ_TXN_CONCURRENT);
    ok(f->a, "ROLLBACK");
    /* DDL inside a concurrent transaction turns it into the exclusive writer, and is undone
     * by ROLLBACK with the rest */
    ok(f->a, "BEGIN");
    ok(f->a, "UPDATE acc SET bal = 5 WHERE id = 3");
    ok(f->a, "CREATE TABLE side(x INTEGER)");
    mode_of(f->a, &mode, &iso);
    assert_int_equal(mode, NQ_TXN_WRITE);
    ok(f->a, "INSERT INTO side VALUES (1)");
    /* a failing statement after the upgrade is undone by the undo log */
    assert_int_equal(ex(f->a, "INSERT INTO acc VALUES (50, 'q', 1), (51, 'r', NULL)"), NQ_ECONSTRAINT);
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc WHERE id >= 50"), 0);
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 3"), 5);
    ok(f->a, "ROLLBACK");
    assert_int_equal(ex(f->a, "SELECT * FROM side"), NQ_ESCHEMA);
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 3"), 0);
    /* the session's default level */
    ok(f->a, "SET default_transaction_isolation = 'serializable'");
    ok(f->a, "BEGIN");
    mode_of(f->a, &mode, &iso);
    assert_int_equal(iso, NQ_ISO_SERIALIZABLE);
    ok(f->a, "COMMIT");
    ok(f->a, "SET default_transaction_isolation TO DEFAULT");
}

/* Writers of different rows run at once: both transactions open, both commit. */
static void test_writers_of_different_rows(void **state)
{
    fixture *f = *state;
    ok(f->a, "BEGIN");
    ok(f->b, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(f->a, "UPDATE acc SET bal = bal - 10 WHERE id = 1");
    ok(f->b, "UPDATE acc SET bal = bal + 10 WHERE id = 2");
    ok(f->a, "COMMIT");
    ok(f->b, "COMMIT");
    assert_int_equal(q1(f->c, "SELECT bal FROM acc WHERE id = 1"), 90);
    assert_int_equal(q1(f->c, "SELECT bal FROM acc WHERE id = 2"), 60);
    /* new rows from two transactions get different rowids */
    ok(f->a, "BEGIN");
    ok(f->b, "BEGIN");
    ok(f->a, "INSERT INTO acc(owner, bal) VALUES ('dee', 1)");
    ok(f->b, "INSERT INTO acc(owner, bal) VALUES ('eve', 2)");
    ok(f->b, "INSERT INTO acc(owner, bal) VALUES ('fay', 3)");
    ok(f->a, "COMMIT");
    ok(f->b, "COMMIT");
    assert_int_equal(q1(f->c, "SELECT count(*) FROM acc"), 6);
    assert_int_equal(q1(f->c, "SELECT count(DISTINCT id) FROM acc"), 6);
    assert_int_equal(q1(f->c, "SELECT sum(bal) FROM acc WHERE id > 3"), 6);
}

/* Appending inserts under SERIALIZABLE: choosing a rowid reads the table's largest key, which
 * must not count as a read (else any two concurrent inserters conflict); a real read of the
 * appended range still does. */
static void test_serializable_appends(void **state)
{
    fixture *f = *state;
    ok(f->a, "CREATE TABLE hist(id INTEGER PRIMARY KEY, note TEXT)");
    ok(f->a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    ok(f->b, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    ok(f->a, "UPDATE acc SET bal = bal - 1 WHERE id = 1");
    ok(f->b, "UPDATE acc SET bal = bal - 1 WHERE id = 2");
    ok(f->a, "INSERT INTO hist(note) VALUES ('a')");
    ok(f->b, "INSERT INTO hist(note) VALUES ('b')");
    ok(f->a, "COMMIT");
    ok(f->b, "COMMIT");
    assert_int_equal(q1(f->c, "SELECT count(DISTINCT id) FROM hist"), 2);
    /* a transaction that read the table's rows does conflict with a concurrent insert */
    ok(f->a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    ok(f->b, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    assert_int_equal(q1(f->a, "SELECT count(*) FROM hist"), 2);
    ok(f->a, "INSERT INTO acc(owner, bal) VALUES ('gil', 0)");
    ok(f->b, "INSERT INTO hist(note) VALUES ('c')");
    ok(f->b, "COMMIT");
    assert_int_equal(ex(f->a, "COMMIT"), NQ_ESERIALIZE); /* ends the transaction */
    assert_int_equal(nq_in_txn(f->a, NULL), 0);
    assert_int_equal(q1(f->c, "SELECT count(*) FROM acc WHERE owner = 'gil'"), 0);
}

/* ---- statement atomicity and savepoints on write-set marks -------------------------------- */

static void test_statement_atomicity(void **state)
{
    fixture *f = *state;
    ok(f->a, "BEGIN");
    ok(f->a, "UPDATE acc SET bal = bal + 1");
    /* the third row fails NOT NULL: the whole statement is undone, the transaction goes on */
    assert_int_equal(ex(f->a, "INSERT INTO acc VALUES (10, 'x', 1), (11, 'y', 2), (12, 'z', NULL)"),
                     NQ_ECONSTRAINT);
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc WHERE id >= 10"), 0);
    /* a duplicate key half way through an UPDATE of many rows */
    assert_int_equal(ex(f->a, "UPDATE acc SET id = 2 WHERE id IN (1, 3)"), NQ_ECONSTRAINT);
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc WHERE id IN (1, 3)"), 2);
    ok(f->a, "COMMIT");
    assert_int_equal(q1(f->b, "SELECT sum(bal) FROM acc"), 150 + 3);
}

static void test_savepoints_nested(void **state)
{
    fixture *f = *state;
    ok(f->a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    ok(f->a, "INSERT INTO acc VALUES (20, 'a1', 1)");
    ok(f->a, "SAVEPOINT s1");
    ok(f->a, "INSERT INTO acc VALUES (21, 'a2', 2)");
    ok(f->a, "SAVEPOINT s2");
    ok(f->a, "UPDATE acc SET bal = 1000 WHERE id = 20");
    ok(f->a, "SAVEPOINT s3");
    ok(f->a, "DELETE FROM acc");
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc"), 0);
    ok(f->a, "ROLLBACK TO SAVEPOINT s3");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 20"), 1000);
    ok(f->a, "ROLLBACK TO s2");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 20"), 1);
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc WHERE id = 21"), 1);
    /* ROLLBACK TO keeps the savepoint: again */
    ok(f->a, "DELETE FROM acc WHERE id = 21");
    ok(f->a, "ROLLBACK TO s2");
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc WHERE id = 21"), 1);
    ok(f->a, "RELEASE s2");
    assert_int_equal(ex(f->a, "ROLLBACK TO s3"), NQ_ENOTFOUND);
    ok(f->a, "ROLLBACK TO s1");
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc WHERE id IN (20, 21)"), 1);
    /* nobody else saw any of it */
    assert_int_equal(q1(f->b, "SELECT count(*) FROM acc WHERE id >= 20"), 0);
    ok(f->a, "COMMIT");
    assert_int_equal(q1(f->b, "SELECT count(*) FROM acc WHERE id >= 20"), 1);
}

/* ---- conflicts -------------------------------------------------------------------------- */

/* READ COMMITTED: the row changed after the statement's snapshot; the statement is undone and
 * runs again on a new snapshot, so the increment applies to the committed value. The other
 * connection's commit is made to land inside a's statement (after its snapshot, before its
 * write) from a's progress handler, which runs while the statement reads. */
typedef struct midway {
    nq_db *other;
    const char *sql;
    int done, rc;
} midway;

static int midway_fn(void *arg)
{
    midway *m = arg;
    if (!m->done) {
        m->done = 1;
        m->rc = nq_exec(m->other, m->sql, NULL, NULL);
    }
    return 0;
}

static void test_rc_restart(void **state)
{
    fixture *f = *state;
    /* 600 rows for a's statement to read first: the progress handler runs every 256 steps */
    ok(f->c, "CREATE TABLE pad(x INTEGER)");
    ok(f->c, "INSERT INTO pad WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
             "WHERE x < 600) SELECT x FROM c");
    ok(f->a, "BEGIN");
    ok(f->a, "UPDATE acc SET bal = bal + 1 WHERE id = 2"); /* earlier work of the transaction */
    midway m = {f->b, "UPDATE acc SET bal = bal + 10 WHERE id = 1", 0, -1};
    nq_progress_handler(f->a, 1, midway_fn, &m);
    ok(f->a, "UPDATE acc SET bal = bal + 5 WHERE id = 1 AND (SELECT count(*) FROM pad) = 600");
    nq_progress_handler(f->a, 0, NULL, NULL);
    assert_int_equal(m.done, 1);
    assert_int_equal(m.rc, 0);
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 115);
    ok(f->a, "COMMIT");
    assert_int_equal(q1(f->c, "SELECT bal FROM acc WHERE id = 1"), 115);
    assert_int_equal(q1(f->c, "SELECT bal FROM acc WHERE id = 2"), 51);
    /* the same in autocommit: a one-statement transaction restarts whole */
    midway m2 = {f->b, "UPDATE acc SET bal = bal * 2 WHERE id = 3", 0, -1};
    ok(f->b, "UPDATE acc SET bal = 4 WHERE id = 3");
    nq_progress_handler(f->a, 1, midway_fn, &m2);
    ok(f->a, "UPDATE acc SET bal = bal + 1 WHERE id = 3 AND (SELECT count(*) FROM pad) = 600");
    nq_progress_handler(f->a, 0, NULL, NULL);
    assert_int_equal(m2.done, 1);
    assert_int_equal(m2.rc, 0);
    assert_int_equal(q1(f->c, "SELECT bal FROM acc WHERE id = 3"), 9);
}

/* REPEATABLE READ: first-committer-wins; the transaction is rolled back and the session says
 * so (40001) until COMMIT, which reports it again, or ROLLBACK. */
static void test_rr_serialization_failure(void **state)
{
    fixture *f = *state;
    ok(f->a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 100);
    ok(f->a, "UPDATE acc SET bal = 7 WHERE id = 3");
    ok(f->b, "UPDATE acc SET bal = bal + 10 WHERE id = 1");
    assert_int_equal(ex(f->a, "UPDATE acc SET bal = bal + 5 WHERE id = 1"), NQ_ESERIALIZE);
    assert_string_equal(nq_sqlstate(nq_errcode(f->a)), "40001");
    /* the message names the table and the row's key, not storage trees */
    if (!strstr(nq_errmsg(f->a), "row id = 1 of table \"acc\""))
        fail_msg("message: %s", nq_errmsg(f->a));
    /* later statements are refused with the same code, nothing runs in autocommit */
    assert_int_equal(ex(f->a, "UPDATE acc SET bal = 0 WHERE id = 2"), NQ_ESERIALIZE);
    assert_non_null(strstr(nq_errmsg(f->a), "until COMMIT or ROLLBACK"));
    assert_int_equal(q1(f->b, "SELECT bal FROM acc WHERE id = 2"), 50);
    assert_int_equal(ex(f->a, "COMMIT"), NQ_ESERIALIZE);
    assert_non_null(strstr(nq_errmsg(f->a), "nothing was committed"));
    /* the block is over: autocommit again, nothing of the transaction was kept */
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 3"), 0);
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 110);
    /* ROLLBACK ends the failed block silently */
    ok(f->a, "BEGIN ISOLATION LEVEL SERIALIZABLE");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 110);
    ok(f->b, "UPDATE acc SET bal = 1 WHERE id = 1");
    assert_int_equal(ex(f->a, "DELETE FROM acc WHERE id = 1"), NQ_ESERIALIZE);
    ok(f->a, "ROLLBACK");
    ok(f->a, "SELECT 1");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1"), 1);
}

/* ---- read-only transactions ------------------------------------------------------------- */

static void test_read_only(void **state)
{
    fixture *f = *state;
    ok(f->a, "BEGIN READ ONLY");
    assert_int_equal(ex(f->a, "UPDATE acc SET bal = 0"), NQ_EREADONLY);
    assert_string_equal(nq_sqlstate(nq_errcode(f->a)), "25006");
    assert_int_equal(ex(f->a, "SELECT * FROM acc FOR UPDATE"), NQ_EREADONLY);
    assert_int_equal(q1(f->a, "SELECT count(*) FROM acc"), 3);
    ok(f->a, "COMMIT");
}

/* ---- locks (the engine's lock manager) ----------------------------------------------------- */

static int locks_available(nq_db *d)
{
    ok(d, "BEGIN");
    int rc = nq_lock_name(d, "probe", NQ_LOCK_ACCESS_SHARE);
    ok(d, "ROLLBACK");
    return rc != NQ_ENOTSUP;
}

typedef struct bg {
    nq_db *db;
    const char *sql;
    int rc;
    pthread_t th;
} bg;

static void *bg_run(void *arg)
{
    bg *b = arg;
    b->rc = nq_exec(b->db, b->sql, NULL, NULL);
    return NULL;
}

static void bg_start(bg *b, nq_db *db, const char *sql)
{
    b->db = db;
    b->sql = sql;
    b->rc = 1;
    assert_int_equal(pthread_create(&b->th, NULL, bg_run, b), 0);
}

/* Wait until db is blocked in a lock wait (deterministic: polls the engine's own flag). */
static void wait_blocked(nq_db *db)
{
    for (;;) {
        nq_txn_info ti;
        if (nq_txn_info_get(db, &ti) == 0 && ti.waiting)
            return;
        sched_yield();
    }
}

static int bg_join(bg *b)
{
    pthread_join(b->th, NULL);
    return b->rc;
}

static void test_for_update_blocks(void **state)
{
    fixture *f = *state;
    if (!locks_available(f->a))
        skip();
    ok(f->a, "BEGIN");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 1 FOR UPDATE"), 100);
    /* NOWAIT fails at once */
    ok(f->b, "BEGIN");
    assert_int_equal(ex(f->b, "SELECT bal FROM acc WHERE id = 1 FOR UPDATE NOWAIT"), NQ_ELOCKTIMEOUT);
    assert_string_equal(nq_sqlstate(nq_errcode(f->b)), "55P03");
    /* another row is free */
    assert_int_equal(q1(f->b, "SELECT bal FROM acc WHERE id = 2 FOR UPDATE NOWAIT"), 50);
    ok(f->b, "ROLLBACK");
    /* a writer of the locked row waits until a ends, then sees a's change (READ COMMITTED) */
    bg w;
    bg_start(&w, f->b, "UPDATE acc SET bal = bal + 1 WHERE id = 1");
    wait_blocked(f->b);
    ok(f->a, "UPDATE acc SET bal = 200 WHERE id = 1");
    ok(f->a, "COMMIT");
    assert_int_equal(bg_join(&w), 0);
    assert_int_equal(q1(f->c, "SELECT bal FROM acc WHERE id = 1"), 201);
    /* FOR SHARE: shared among readers, a writer waits */
    ok(f->a, "BEGIN");
    ok(f->b, "BEGIN");
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 2 FOR SHARE"), 50);
    assert_int_equal(q1(f->b, "SELECT bal FROM acc WHERE id = 2 FOR SHARE NOWAIT"), 50);
    bg u;
    bg_start(&u, f->c, "UPDATE acc SET bal = 0 WHERE id = 2");
    wait_blocked(f->c);
    ok(f->a, "COMMIT");
    ok(f->b, "COMMIT");
    assert_int_equal(bg_join(&u), 0);
    assert_int_equal(q1(f->a, "SELECT bal FROM acc WHERE id = 2"), 0);
}

static void test_lock_table_blocks_dml(void **state)
{
    fixture *f = *state;
    if (!locks_available(f->a))
        skip();
    ok(f->a, "BEGIN");
    ok(f->a, "LOCK TABLE acc IN SHARE MODE");
    /* readers go on */
    assert_int_equal(q1(f->b, "SELECT count(*) FROM acc"), 3);
    ok(f->b, "BEGIN");
    assert_int_equal(q1(f->b, "SELECT count(*) FROM acc"), 3);
    ok(f->b, "COMMIT");
    /* a writer waits (ROW EXCLUSIVE against SHARE) */
    bg w;
    bg_start(&w, f->b, "INSERT INTO acc VALUES (9, 'zed', 9)");
    wait_blocked(f->b);
    ok(f->a, "COMMIT");
    assert_int_equal(bg_join(&w), 0);
    assert_int_equal(q1(f->c, "SELECT count(*) FROM acc"), 4);
    /* NOWAIT against a writer's ROW EXCLUSIVE */
    ok(f->a, "BEGIN");
    ok(f->a, "UPDATE acc SET bal = 1 WHERE id = 9");
    ok(f->b, "BEGIN");
    assert_int_equal(ex(f->b, "LOCK TABLE acc IN EXCLUSIVE MODE NOWAIT"), NQ_ELOCKTIMEOUT);
    ok(f->b, "ROLLBACK");
    /* ACCESS SHARE does not conflict with ROW EXCLUSIVE */
    ok(f->b, "BEGIN");
    ok(f->b, "LOCK TABLE acc IN ACCESS SHARE MODE NOWAIT");
    ok(f->b, "COMMIT");
    ok(f->a, "COMMIT");
}

/* Two inserts of one unique value: the second waits for the first; when the first commits,
 * READ COMMITTED gets the constraint error, REPEATABLE READ 40001. */
static void test_unique_race(void **state)
{
    fixture *f = *state;
    if (!locks_available(f->a))
        skip();
    ok(f->a, "CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT UNIQUE)");
    for (int level = 0; level < 2; level++) {
        ok(f->a, "DELETE FROM u");
        ok(f->a, "BEGIN");
        ok(f->b, level ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN");
        assert_int_equal(q1(f->b, "SELECT count(*) FROM u"), 0);
        ok(f->a, "INSERT INTO u(name) VALUES ('same')");
        bg w;
        bg_start(&w, f->b, "INSERT INTO u(name) VALUES ('same')");
        wait_blocked(f->b);
        ok(f->a, "COMMIT");
        int rc = bg_join(&w);
        assert_int_equal(rc, level ? NQ_ESERIALIZE : NQ_ECONSTRAINT);
        ex(f->b, "ROLLBACK");
        assert_int_equal(q1(f->c, "SELECT count(*) FROM u"), 1);
    }
    ok(f->a, "DROP TABLE u");
}

/* A child row's foreign key against a concurrent delete of its parent. */
static void test_fk_race(void **state)
{
    fixture *f = *state;
    if (!locks_available(f->a))
        skip();
    ok(f->a, "CREATE TABLE kid(id INTEGER PRIMARY KEY, acc_id INTEGER REFERENCES acc(id))");
    /* the parent's delete is in flight: the child's check waits, then fails */
    ok(f->a, "BEGIN");
    ok(f->a, "DELETE FROM acc WHERE id = 3");
    bg w;
    bg_start(&w, f->b, "INSERT INTO kid VALUES (1, 3)");
    wait_blocked(f->b);
    ok(f->a, "COMMIT");
    assert_int_equal(bg_join(&w), NQ_ECONSTRAINT);
    /* the child holds its parent FOR SHARE: the delete waits, then fails on the child */
    ok(f->a, "BEGIN");
    ok(f->a, "INSERT INTO kid VALUES (2, 2)");
    bg d;
    bg_start(&d, f->b, "DELETE FROM acc WHERE id = 2");
    wait_blocked(f->b);
    ok(f->a, "COMMIT");
    assert_int_equal(bg_join(&d), NQ_ECONSTRAINT);
    assert_int_equal(q1(f->c, "SELECT count(*) FROM kid"), 1);
    /* REPEATABLE READ deleter whose snapshot predates a child committed meanwhile: its
     * snapshot shows no child, so it must fail with 40001 rather than orphan the child */
    ok(f->b, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    assert_int_equal(q1(f->b, "SELECT count(*) FROM kid"), 1);
    ok(f->a, "INSERT INTO kid VALUES (3, 1)");
    assert_int_equal(ex(f->b, "DELETE FROM acc WHERE id = 1"), NQ_ESERIALIZE);
    ex(f->b, "ROLLBACK");
    assert_int_equal(q1(f->c, "SELECT count(*) FROM acc WHERE id = 1"), 1);
    ok(f->a, "DROP TABLE kid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_levels_see_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writers_of_different_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serializable_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_atomicity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_savepoints_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rc_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rr_serialization_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_for_update_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_table_blocks_dml, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fk_race, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
