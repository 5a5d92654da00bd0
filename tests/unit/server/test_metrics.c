/*
 * test_metrics.c — the engine figures behind /metrics (nq_get_stats: log bytes written, log
 * fsyncs with their duration histogram).
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
#include "storage/wal.h"

static nq_db *open_db(const char *path, int sync)
{
    unlink(path);
    char walpath[256];
    snprintf(walpath, sizeof walpath, "%s-wal", path);
    unlink(walpath);
    nq_options o;
    nq_options_init(&o);
    o.page_size = 4096;
    o.checkpoint_pages = 100000;
    o.sync = sync;
    nq_db *db = NULL;
    int rc = nq_open(path, &o, &db);
    if (rc)
        fail_msg("open %s: %s", path, db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL) != 0)
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

static uint64_t hist_sum(const nq_stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < NQ_FSYNC_BUCKETS; i++)
        n += s->wal_fsync_hist[i];
    return n;
}

static void test_engine_wal_stats(void **state)
{
    (void)state;
    nq_db *db = open_db("stats.db", NQ_SYNC_FULL);
    nq_stats a, b;
    exec_ok(db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    assert_int_equal(nq_get_stats(db, &a), 0);
    assert_true(a.wal_bytes_written > 0);
    assert_true(a.wal_fsyncs >= 1);
    assert_int_equal(hist_sum(&a), a.wal_fsyncs);
    for (int i = 0; i < 10; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'row %d')", i, i);
        exec_ok(db, sql);
    }
    assert_int_equal(nq_get_stats(db, &b), 0);
    /* ten autocommit statements on one thread: ten commits, ten group syncs, ten log fsyncs */
    assert_int_equal(b.commits - a.commits, 10);
    assert_int_equal(b.syncs - a.syncs, 10);
    assert_int_equal(b.wal_fsyncs - a.wal_fsyncs, 10);
    assert_int_equal(hist_sum(&b), b.wal_fsyncs);
    assert_true(b.wal_fsync_ns > a.wal_fsync_ns);
    /* every byte is a whole frame: header + page */
    assert_true(b.wal_frames > a.wal_frames);
    assert_int_equal(b.wal_bytes_written - a.wal_bytes_written,
                     (b.wal_frames - a.wal_frames) * (WAL_FRAME_HEADER + b.page_size));
    /* a checkpoint restarts the log: a new header, written and synced; the totals keep going */
    assert_int_equal(nq_checkpoint(db), 0);
    nq_stats c;
    assert_int_equal(nq_get_stats(db, &c), 0);
    assert_int_equal(c.checkpoints, b.checkpoints + 1);
    assert_int_equal(c.wal_frames, 0);
    assert_true(c.wal_bytes_written >= b.wal_bytes_written + WAL_HEADER_SIZE);
    assert_true(c.wal_fsyncs > b.wal_fsyncs);
    assert_int_equal(hist_sum(&c), c.wal_fsyncs);
    nq_close(db);

    /* without syncing nothing is fsynced, but bytes are still written */
    db = open_db("stats_nosync.db", NQ_SYNC_OFF);
    exec_ok(db, "CREATE TABLE t (id INT PRIMARY KEY)");
    exec_ok(db, "INSERT INTO t VALUES (1)");
    assert_int_equal(nq_get_stats(db, &a), 0);
    assert_int_equal(a.wal_fsyncs, 0);
    assert_int_equal(a.wal_fsync_ns, 0);
    assert_int_equal(hist_sum(&a), 0);
    assert_true(a.wal_bytes_written > 0);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_wal_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
