/*
 * fuzz_sql_exec.c — arbitrary text run as SQL against a small database: the whole engine
 * (binder, planner, executor, functions, DML, DDL, transactions) must answer every input with
 * rows or an NQ_E* code and a message — never crash, leak, read freed memory or corrupt the
 * file. After each input the database must pass nq_check.
 *
 * Each input gets a fresh database in the in-memory file system of fuzzutil (a handful of
 * tables with indexes, a view and some rows, NULLs included), so inputs cannot influence one
 * another and every finding replays from its file alone. A progress handler stops any
 * statement after a fixed budget of executor steps, so an unbounded recursive CTE or a huge
 * cross join ends as NQ_EINTERRUPT instead of a fuzzer timeout — which also exercises the
 * interrupt path on everything the fuzzer builds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

static const char *const setup =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b TEXT, c REAL, d BOOLEAN);"
    "CREATE INDEX ta ON t(a);"
    "CREATE UNIQUE INDEX tb ON t(b);"
    "CREATE TABLE u(k INT, v TEXT, w DATE, PRIMARY KEY (k, v));"
    "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (length(name) < 20));"
    "CREATE TABLE c(id INT, pid INT REFERENCES p(id) ON DELETE CASCADE);"
    "INSERT INTO t VALUES (1, 10, 'x', 1.5, true), (2, NULL, 'y', NULL, false), (3, 10, NULL, -2.25, NULL),"
    " (4, -7, 'z', 1e10, true);"
    "INSERT INTO u VALUES (1, 'a', '2024-01-31'), (1, 'b', NULL), (2, 'a', '1999-12-31');"
    "INSERT INTO p VALUES (1, 'one'), (2, 'two');"
    "INSERT INTO c VALUES (10, 1), (11, 1), (12, NULL);"
    "CREATE VIEW tv AS SELECT a, count(*) AS n FROM t GROUP BY a;";

typedef struct budget {
    unsigned calls;
} budget;

static int progress(void *arg)
{
    budget *b = arg;
    return ++b->calls > 64; /* about 64 x 256 operator calls per statement */
}

static void on_problem(void *arg, const char *problem)
{
    (void)arg;
    fprintf(stderr, "integrity: %s\n", problem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0; /* long inputs only slow the search down */
    char *sql = malloc(size + 1);
    if (!sql)
        return 0;
    memcpy(sql, data, size);
    sql[size] = 0;

    fuzz_fs *fs = fuzz_fs_new();
    nq_options o;
    nq_options_init(&o);
    o.vfs = fuzz_fs_vfs(fs);
    o.sync = NQ_SYNC_OFF;
    o.cache_bytes = 256 * 1024;
    o.busy_timeout_ms = 10;
    nq_db *db = NULL;
    int rc = nq_open(fuzz_fs_path(fs, "x.db"), &o, &db);
    FUZZ_CHECK(rc == NQ_OK);
    FUZZ_CHECK(nq_exec(db, setup, NULL, NULL) == NQ_OK);

    budget b = {0};
    nq_progress_handler(db, 256, progress, &b);
    /* statement by statement, so that every one runs and the budget is per statement */
    const char *p = sql, *end = sql + size;
    int stmts = 0;
    while (p < end && stmts++ < 64) {
        nq_stmt *st = NULL;
        const char *tail = end;
        rc = nq_prepare(db, p, (size_t)(end - p), &st, &tail);
        FUZZ_CHECK_RC(rc);
        if (rc < 0) {
            FUZZ_CHECK(nq_errmsg(db)[0] != 0);
            break; /* a syntax error ends the script, as in nq_exec */
        }
        if (!st)
            break;
        b.calls = 0;
        int n = nq_column_count(st), rows = 0;
        while ((rc = nq_step(st)) == NQ_ROW && rows++ < 10000)
            for (int i = 0; i < n; i++) {
                (void)nq_column_text(st, i);
                (void)nq_column_type(st, i);
            }
        FUZZ_CHECK(rc == NQ_ROW || rc == NQ_DONE || (rc < 0 && rc >= NQ_ELAST));
        if (rc < 0)
            FUZZ_CHECK(nq_errmsg(db)[0] != 0);
        nq_finalize(st);
        FUZZ_CHECK(tail > p || tail == end);
        p = tail;
    }
    nq_progress_handler(db, 0, NULL, NULL);
    /* whatever happened, a rollback of an open transaction works and the file is sound */
    nq_exec(db, "ROLLBACK", NULL, NULL);
    uint64_t problems = 0;
    rc = nq_check(db, on_problem, NULL, &problems);
    FUZZ_CHECK(rc == NQ_OK && problems == 0);
    FUZZ_CHECK(nq_close(db) == NQ_OK);
    fuzz_fs_free(fs);
    free(sql);
    return 0;
}
