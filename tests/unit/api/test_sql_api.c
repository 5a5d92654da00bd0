/*
 * test_sql_api.c — the SQL half of include/nqdb.h as an embedder uses it: prepare, bind, step,
 * column accessors, reset and re-run, nq_exec with its callback, errors with positions,
 * statement atomicity inside a transaction, plans that follow schema changes, interrupting.
 *
 * Each test opens a fresh database file in the test's working directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nqdb.h"

static nq_db *fresh(const char *name)
{
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", name);
    unlink(name);
    unlink(wal);
    nq_db *db = NULL;
    assert_int_equal(nq_open(name, NULL, &db), NQ_OK);
    return db;
}

static void ok(nq_db *db, const char *sql)
{
    int rc = nq_exec(db, sql, NULL, NULL);
    if (rc != NQ_OK)
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

static void test_prepare_bind_step(void **state)
{
    (void)state;
    nq_db *db = fresh("api1.db");
    ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, flag BOOLEAN, d DATE)");
    nq_stmt *ins;
    assert_int_equal(nq_prepare(db, "INSERT INTO t(id, name, score, flag, d) VALUES (?, :name, $3, ?4, CAST(?5 AS DATE))",
                                (size_t)-1, &ins, NULL), NQ_OK);
    assert_int_equal(nq_bind_count(ins), 5);
    assert_int_equal(nq_bind_index(ins, ":name"), 2);
    assert_int_equal(nq_bind_index(ins, ":nope"), 0);
    assert_int_equal(nq_stmt_readonly(ins), 0);
    for (int i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        assert_int_equal(nq_bind_int64(ins, 1, i * 10), NQ_OK);
        assert_int_equal(nq_bind_text(ins, 2, name, (size_t)-1), NQ_OK);
        assert_int_equal(nq_bind_double(ins, 3, i * 1.5), NQ_OK);
        assert_int_equal(nq_bind_bool(ins, 4, i % 2), NQ_OK);
        assert_int_equal(nq_bind_text(ins, 5, "2024-02-29", (size_t)-1), NQ_OK);
        assert_int_equal(nq_step(ins), NQ_DONE);
        assert_int_equal(nq_changes(db), 1);
        assert_int_equal(nq_last_insert_rowid(db), i * 10);
        assert_int_equal(nq_reset(ins), NQ_OK);
    }
    assert_int_equal(nq_bind_int64(ins, 9, 1), NQ_EINVAL);
    nq_finalize(ins);

    nq_stmt *q;
    assert_int_equal(nq_prepare(db, "SELECT id, name, score, flag, d, NULL AS nothing FROM t WHERE id >= ? ORDER BY id",
                                (size_t)-1, &q, NULL), NQ_OK);
    assert_int_equal(nq_stmt_readonly(q), 1);
    assert_int_equal(nq_column_count(q), 6);
    assert_string_equal(nq_column_name(q, 1), "name");
    assert_string_equal(nq_column_name(q, 5), "nothing");
    nq_bind_int64(q, 1, 20);
    assert_int_equal(nq_step(q), NQ_ROW);
    assert_int_equal(nq_column_type(q, 0), NQ_TYPE_INTEGER);
    assert_int_equal(nq_column_int64(q, 0), 20);
    assert_int_equal(nq_column_type(q, 1), NQ_TYPE_TEXT);
    assert_string_equal(nq_column_text(q, 1), "n2");
    assert_int_equal(nq_column_bytes(q, 1), 2);
    assert_int_equal(nq_column_type(q, 2), NQ_TYPE_REAL);
    assert_true(nq_column_double(q, 2) == 3.0);
    assert_int_equal(nq_column_type(q, 3), NQ_TYPE_BOOLEAN);
    assert_int_equal(nq_column_type(q, 4), NQ_TYPE_DATE);
    assert_string_equal(nq_column_text(q, 4), "2024-02-29");
    assert_int_equal(nq_column_type(q, 5), NQ_TYPE_NULL);
    assert_null(nq_column_text(q, 5));
    assert_int_equal(nq_step(q), NQ_ROW);
    assert_int_equal(nq_column_int64(q, 0), 30);
    assert_int_equal(nq_step(q), NQ_DONE);
    /* reset keeps the bindings; re-binding changes the result */
    nq_reset(q);
    assert_int_equal(nq_step(q), NQ_ROW);
    assert_int_equal(nq_column_int64(q, 0), 20);
    nq_reset(q);
    nq_bind_int64(q, 1, 100);
    assert_int_equal(nq_step(q), NQ_DONE);
    nq_finalize(q);
    nq_close(db);
}

static void test_errors_and_tail(void **state)
{
    (void)state;
    nq_db *db = fresh("api2.db");
    nq_stmt *st = NULL;
    assert_int_equal(nq_prepare(db, "SELECT 1 FORM t", (size_t)-1, &st, NULL), NQ_ESYNTAX);
    assert_null(st);
    assert_non_null(strstr(nq_errmsg(db), "near \"t\": syntax error at line 1, column 15"));
    unsigned line, col;
    nq_error_position(db, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 15);
    assert_int_equal(nq_prepare(db, "SELECT nope FROM (SELECT 1 AS a) s", (size_t)-1, &st, NULL), NQ_ESCHEMA);
    assert_non_null(strstr(nq_errmsg(db), "no such column: nope at line 1, column 8"));
    assert_int_equal(nq_prepare(db, "SELECT 1 / 0", (size_t)-1, &st, NULL), NQ_OK);
    assert_int_equal(nq_step(st), NQ_ERROR);
    assert_non_null(strstr(nq_errmsg(db), "division by zero"));
    nq_finalize(st);
    /* several statements: tail points past the first */
    const char *sql = "SELECT 1; SELECT 2;  ", *tail;
    assert_int_equal(nq_prepare(db, sql, (size_t)-1, &st, &tail), NQ_OK);
    assert_string_equal(tail, " SELECT 2;  ");
    nq_finalize(st);
    assert_int_equal(nq_prepare(db, tail, (size_t)-1, &st, &tail), NQ_OK);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_int_equal(nq_column_int64(st, 0), 2);
    nq_finalize(st);
    assert_int_equal(nq_prepare(db, tail, (size_t)-1, &st, &tail), NQ_OK);
    assert_null(st); /* only blanks left */
    /* not supported yet is its own code */
    assert_int_equal(nq_prepare(db, "SUPERPOSITION_QUERY (SELECT 1)", (size_t)-1, &st, NULL), NQ_OK);
    assert_int_equal(nq_step(st), NQ_ENOTSUP);
    assert_non_null(strstr(nq_errmsg(db), "not supported yet"));
    nq_finalize(st);
    nq_close(db);
}

typedef struct collect {
    char buf[256];
    int rows;
    int stop_after;
} collect;

static int cb(void *arg, int n, const char *const *v, const char *const *names)
{
    collect *c = arg;
    size_t len = strlen(c->buf);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(c->buf + len, sizeof c->buf - len, "%s=%s;", names[i], v[i] ? v[i] : "NULL");
    c->rows++;
    return c->stop_after && c->rows >= c->stop_after;
}

static void test_exec(void **state)
{
    (void)state;
    nq_db *db = fresh("api3.db");
    collect c = {{0}, 0, 0};
    assert_int_equal(nq_exec(db, "CREATE TABLE t(a INT, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, NULL);"
                                 "SELECT a, b FROM t ORDER BY a", cb, &c), NQ_OK);
    assert_string_equal(c.buf, "a=1;b=x;a=2;b=NULL;");
    collect d = {{0}, 0, 1};
    assert_int_equal(nq_exec(db, "SELECT a FROM t", cb, &d), NQ_ERROR);
    assert_int_equal(d.rows, 1);
    assert_non_null(strstr(nq_errmsg(db), "callback requested abort"));
    /* the first error stops the script; what ran before it stays */
    assert_int_equal(nq_exec(db, "INSERT INTO t VALUES (3, 'y'); INSERT INTO nope VALUES (1); INSERT INTO t VALUES (4, 'z')",
                             NULL, NULL), NQ_ESCHEMA);
    collect e = {{0}, 0, 0};
    nq_exec(db, "SELECT count(*) AS n FROM t", cb, &e);
    assert_string_equal(e.buf, "n=3;");
    nq_close(db);
}

static void test_statement_atomicity(void **state)
{
    (void)state;
    nq_db *db = fresh("api4.db");
    ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, u INT UNIQUE)");
    ok(db, "BEGIN");
    ok(db, "INSERT INTO t VALUES (1, 1)");
    /* the second row of this statement fails: the whole statement is undone, the transaction goes on */
    assert_int_equal(nq_exec(db, "INSERT INTO t VALUES (2, 2), (3, 1)", NULL, NULL), NQ_ECONSTRAINT);
    ok(db, "INSERT INTO t VALUES (4, 4)");
    ok(db, "COMMIT");
    collect c = {{0}, 0, 0};
    nq_exec(db, "SELECT id FROM t ORDER BY id", cb, &c);
    assert_string_equal(c.buf, "id=1;id=4;");
    nq_close(db);
}

static void test_schema_change(void **state)
{
    (void)state;
    nq_db *db = fresh("api5.db");
    ok(db, "CREATE TABLE t(a INT); INSERT INTO t VALUES (1)");
    nq_stmt *q;
    assert_int_equal(nq_prepare(db, "SELECT a FROM t", (size_t)-1, &q, NULL), NQ_OK);
    assert_int_equal(nq_step(q), NQ_ROW);
    nq_reset(q);
    /* an index and more rows: the plan is compiled again and sees them */
    ok(db, "CREATE INDEX ta ON t(a); INSERT INTO t VALUES (2)");
    int n = 0;
    while (nq_step(q) == NQ_ROW)
        n++;
    assert_int_equal(n, 2);
    nq_reset(q);
    ok(db, "DROP TABLE t");
    assert_int_equal(nq_step(q), NQ_ESCHEMA);
    nq_finalize(q);
    nq_close(db);
}

static int stop_after(void *arg)
{
    int *calls = arg;
    return ++*calls >= 5;
}

static void test_interrupt(void **state)
{
    (void)state;
    nq_db *db = fresh("api6.db");
    int calls = 0;
    nq_progress_handler(db, 1000, stop_after, &calls);
    nq_stmt *q;
    assert_int_equal(nq_prepare(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
                                (size_t)-1, &q, NULL), NQ_OK);
    assert_int_equal(nq_step(q), NQ_EINTERRUPT);
    assert_int_equal(calls, 5);
    nq_finalize(q);
    nq_progress_handler(db, 0, NULL, NULL);
    /* the connection works on */
    ok(db, "CREATE TABLE t(a INT)");
    /* an interrupt aimed at nothing does not hit the next statement */
    nq_interrupt(db);
    ok(db, "INSERT INTO t VALUES (1)");
    nq_close(db);
}

/* nq_stmt_kind / nq_stmt_table: what the server uses to count statements by type and to
 * publish committed changes per table. */
static void test_stmt_kind_table(void **state)
{
    nq_db *db = fresh("kind.db");
    ok(db, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)");
    static const struct {
        const char *sql, *kind, *table;
    } cases[] = {
        {"SELECT * FROM t", "SELECT", NULL},
        {"INSERT INTO t (b) VALUES ('x')", "INSERT", "t"},
        {"UPDATE t SET b = 'y' WHERE a = 1", "UPDATE", "t"},
        {"DELETE FROM t WHERE a = 1", "DELETE", "t"},
        {"WITH c AS (SELECT 1 AS x) INSERT INTO t (a) SELECT x + 5 FROM c", "INSERT", "t"},
        {"TRUNCATE t", "TRUNCATE", "t"},
        {"CREATE TABLE u (x INTEGER)", "CREATE TABLE", NULL},
        {"BEGIN", "BEGIN", NULL},
        {"EXPLAIN SELECT 1", "EXPLAIN", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nq_stmt *st = NULL;
        if (nq_prepare(db, cases[i].sql, (size_t)-1, &st, NULL) != NQ_OK)
            fail_msg("%s: %s", cases[i].sql, nq_errmsg(db));
        assert_string_equal(nq_stmt_kind(st), cases[i].kind);
        if (cases[i].table)
            assert_string_equal(nq_stmt_table(st), cases[i].table);
        else
            assert_null(nq_stmt_table(st));
        nq_finalize(st);
    }
    assert_null(nq_stmt_kind(NULL));
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_bind_step), cmocka_unit_test(test_errors_and_tail),
        cmocka_unit_test(test_exec), cmocka_unit_test(test_statement_atomicity),
        cmocka_unit_test(test_schema_change), cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_stmt_kind_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
