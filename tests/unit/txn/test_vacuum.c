/*
 * test_vacuum.c — old versions and their collection (docs/transactions.md, "Old versions and
 * garbage collection"): a long reader keeps log frames (frames_retained grows with every
 * commit, the oldest snapshot's age grows, txn_active counts it); VACUUM while it is open
 * copies back only what no snapshot needs, the reader keeps reading its snapshot and a copy of
 * the files taken then (a crash) recovers the latest commit; after the reader ends VACUUM
 * brings frames_retained to 0 and restarts the log; the automatic checkpoint that a reader
 * held back runs when that reader ends, with no further commit. Also the statement's errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nqdb.h"

#define DB "vacuum_test.db"
#define COPY "vacuum_copy.db"
#define NKEYS 40

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, nq_errmsg(db));                                    \
    } while (0)

static void remove_files(const char *path)
{
    char w[256];
    unlink(path);
    snprintf(w, sizeof w, "%s-wal", path);
    unlink(w);
}

static nq_db *open_db(const char *path, uint32_t checkpoint_pages)
{
    nq_options o;
    nq_options_init(&o);
    o.checkpoint_pages = checkpoint_pages;
    nq_db *db;
    int rc = nq_open(path, &o, &db);
    if (rc)
        fail_msg("open: %s", db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

static void put_all(nq_db *db, int version)
{
    nq_tree *t;
    OK(db, nq_tree_open(db, "kv", NQ_TREE_CREATE, &t));
    for (int k = 0; k < NKEYS; k++) {
        char key[16], val[32];
        snprintf(key, sizeof key, "k%03d", k);
        snprintf(val, sizeof val, "v%d-%03d", version, k);
        OK(db, nq_put(t, key, strlen(key), val, strlen(val), 0));
    }
    nq_tree_close(t);
}

/* Every key reads version `version` on db (in its transaction, if one is open). */
static void check_all(nq_db *db, int version)
{
    nq_tree *t;
    OK(db, nq_tree_open(db, "kv", 0, &t));
    for (int k = 0; k < NKEYS; k++) {
        char key[16], want[32];
        snprintf(key, sizeof key, "k%03d", k);
        snprintf(want, sizeof want, "v%d-%03d", version, k);
        void *v;
        size_t vl;
        OK(db, nq_get(t, key, strlen(key), &v, &vl));
        if (vl != strlen(want) || memcmp(v, want, vl))
            fail_msg("%s: read %.*s, expected %s", key, (int)vl, (char *)v, want);
        free(v);
    }
    nq_tree_close(t);
}

static nq_stats stats(nq_db *db)
{
    nq_stats s;
    OK(db, nq_get_stats(db, &s));
    return s;
}

typedef struct vac_row {
    int64_t before, after, retained, age_ms;
} vac_row;

static int vacuum_sql(nq_db *db, const char *sql, vac_row *out)
{
    nq_stmt *st;
    int rc = nq_prepare(db, sql, strlen(sql), &st, NULL);
    if (rc)
        return rc;
    assert_int_equal(nq_column_count(st), 4);
    assert_string_equal(nq_column_name(st, 0), "frames_before");
    assert_string_equal(nq_column_name(st, 3), "oldest_snapshot_age_ms");
    rc = nq_step(st);
    if (rc == NQ_ROW) {
        out->before = nq_column_int64(st, 0);
        out->after = nq_column_int64(st, 1);
        out->retained = nq_column_int64(st, 2);
        out->age_ms = nq_column_int64(st, 3);
        rc = nq_step(st);
        assert_int_equal(rc, NQ_DONE);
        rc = 0;
    }
    nq_finalize(st);
    return rc;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void ms_sleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A long reader keeps frames; VACUUM under it is partial and consistent; after it, VACUUM
 * restarts the log. Automatic checkpoints are off (1e6 pages) so only VACUUM copies. */
static void test_long_reader_vacuum(void **state)
{
    (void)state;
    remove_files(DB);
    remove_files(COPY);
    nq_db *w = open_db(DB, 1000000), *r, *r2;
    put_all(w, 0);
    nq_stats s = stats(w);
    assert_int_equal(s.oldest_snapshot_age_ms, 0); /* no reader: none */
    assert_int_equal(s.frames_retained, 0);
    assert_int_equal(s.txn_active, 0);

    OK(w, nq_clone(w, &r));
    OK(r, nq_begin(r, NQ_TXN_READ));
    check_all(r, 0);
    s = stats(w);
    assert_int_equal(s.txn_active, 1);
    assert_true(s.oldest_snapshot_age_ms >= 1);
    assert_int_equal(s.frames_retained, 0); /* nothing committed after it yet */
    uint64_t seq0 = s.oldest_snapshot_seq, age0 = s.oldest_snapshot_age_ms;

    /* every commit after the snapshot is garbage kept for it */
    uint64_t prev = 0;
    for (int v = 1; v <= 3; v++) {
        put_all(w, v);
        s = stats(w);
        assert_true(s.frames_retained > prev);
        assert_true(s.frames_retained <= s.wal_frames);
        prev = s.frames_retained;
        assert_int_equal(s.oldest_snapshot_seq, seq0);
    }
    ms_sleep(30);
    s = stats(w);
    assert_true(s.oldest_snapshot_age_ms > age0);

    /* a second, newer reader; then more commits */
    OK(w, nq_clone(w, &r2));
    OK(r2, nq_begin(r2, NQ_TXN_READ));
    put_all(w, 4);
    s = stats(w);
    assert_int_equal(s.txn_active, 2);
    assert_int_equal(s.oldest_snapshot_seq, seq0); /* still the first one */
    uint64_t frames = s.wal_frames, retained = s.frames_retained;
    assert_true(retained > 0 && retained <= frames);

    /* VACUUM with both open: copies what precedes the oldest snapshot, keeps the rest */
    vac_row vr;
    OK(w, vacuum_sql(w, "VACUUM", &vr));
    assert_int_equal(vr.before, (int64_t)frames);
    assert_int_equal(vr.after, (int64_t)frames); /* readers: the log cannot restart */
    assert_int_equal(vr.retained, (int64_t)retained);
    assert_true(vr.age_ms >= 1);
    check_all(r, 0);
    check_all(r2, 3);
    check_all(w, 4);

    /* the first reader ends: VACUUM copies up to the second one's snapshot */
    OK(r, nq_rollback(r));
    s = stats(w);
    assert_true(s.frames_retained < retained);
    assert_true(s.frames_retained > 0);
    OK(w, vacuum_sql(w, "vacuum", &vr));
    assert_int_equal(vr.retained, (int64_t)s.frames_retained);
    assert_int_equal(vr.after, (int64_t)frames);
    check_all(r2, 3);
    check_all(w, 4);
    uint64_t problems = 1;
    OK(w, nq_check(w, NULL, NULL, &problems));
    assert_int_equal(problems, 0);

    /* a crash now (the files as they are: every commit was synced) recovers the last commit */
    copy_file(DB, COPY);
    copy_file(DB "-wal", COPY "-wal");
    nq_db *c = open_db(COPY, 1000000);
    check_all(c, 4);
    OK(c, nq_check(c, NULL, NULL, &problems));
    assert_int_equal(problems, 0);
    nq_close(c);

    /* the last reader ends: VACUUM frees everything and restarts the log */
    OK(r2, nq_rollback(r2));
    s = stats(w);
    assert_int_equal(s.oldest_snapshot_age_ms, 0);
    assert_int_equal(s.frames_retained, 0);
    assert_int_equal(s.txn_active, 0);
    assert_true(s.wal_frames > 0);
    OK(w, vacuum_sql(w, "VACUUM", &vr));
    assert_int_equal(vr.before, (int64_t)s.wal_frames);
    assert_int_equal(vr.after, 0);
    assert_int_equal(vr.retained, 0);
    assert_int_equal(vr.age_ms, 0);
    assert_int_equal(stats(w).wal_frames, 0);
    check_all(w, 4);
    nq_close(r);
    nq_close(r2);
    nq_close(w);
    w = open_db(DB, 1000000);
    check_all(w, 4);
    OK(w, nq_check(w, NULL, NULL, &problems));
    assert_int_equal(problems, 0);
    nq_close(w);
    remove_files(DB);
    remove_files(COPY);
}

/* The automatic checkpoint a reader held back runs when the reader ends. */
static void test_auto_checkpoint_after_reader(void **state)
{
    (void)state;
    remove_files(DB);
    nq_db *w = open_db(DB, 16), *r;
    put_all(w, 0);
    nq_stats s = stats(w);
    assert_true(s.wal_frames < 16); /* the automatic checkpoint runs without readers */
    uint64_t ck = s.checkpoints;
    assert_true(ck > 0);

    OK(w, nq_clone(w, &r));
    OK(r, nq_begin(r, NQ_TXN_READ));
    put_all(w, 1);
    s = stats(w);
    assert_true(s.wal_frames >= 16); /* held back */
    assert_true(s.frames_retained > 0);
    check_all(r, 0);
    /* the reader ends; no commit follows */
    OK(r, nq_rollback(r));
    s = stats(w);
    assert_int_equal(s.wal_frames, 0);
    assert_int_equal(s.frames_retained, 0);
    assert_true(s.checkpoints > ck);
    check_all(w, 1);
    nq_close(r);
    nq_close(w);
    remove_files(DB);
}

static void test_vacuum_errors(void **state)
{
    (void)state;
    remove_files(DB);
    nq_db *w = open_db(DB, 0);
    vac_row vr;
    assert_int_equal(vacuum_sql(w, "VACUUM FULL", &vr), NQ_ENOTSUP);
    assert_non_null(strstr(nq_errmsg(w), "not supported yet: VACUUM FULL"));
    assert_int_equal(vacuum_sql(w, "VACUUM VERBOSE", &vr), NQ_ENOTSUP);
    assert_int_equal(vacuum_sql(w, "VACUUM ANALYZE", &vr), NQ_ENOTSUP);
    assert_non_null(strstr(nq_errmsg(w), "run ANALYZE separately"));
    assert_int_equal(vacuum_sql(w, "VACUUM nosuch", &vr), NQ_ESCHEMA);
    assert_non_null(strstr(nq_errmsg(w), "no such table: nosuch"));
    nq_stmt *st;
    OK(w, nq_prepare(w, "CREATE TABLE t(a INTEGER PRIMARY KEY)", 37, &st, NULL));
    assert_int_equal(nq_step(st), NQ_DONE);
    nq_finalize(st);
    OK(w, vacuum_sql(w, "VACUUM t", &vr));
    assert_int_equal(vr.after, 0);
    OK(w, nq_begin(w, NQ_TXN_READ));
    assert_int_equal(vacuum_sql(w, "VACUUM", &vr), NQ_EMISUSE);
    assert_non_null(strstr(nq_errmsg(w), "cannot run inside a transaction block"));
    OK(w, nq_rollback(w));
    nq_close(w);
    remove_files(DB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_reader_vacuum),
        cmocka_unit_test(test_auto_checkpoint_after_reader),
        cmocka_unit_test(test_vacuum_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
