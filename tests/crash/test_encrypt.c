/*
 * test_encrypt.c — encryption at rest under crashes, on the fault-injecting VFS (every file
 * the engine writes is in memory, so every one of them can be scanned):
 *   - nothing unencrypted is ever written: an encrypted database with markers in rows, index
 *     keys and long (overflow) values is committed, checkpointed, archived, crashed in the
 *     middle of a large transaction that spilled to the log, reopened (recovery), backed up;
 *     then no file holds a marker, the schema text or the data key;
 *   - recovery of an encrypted log after a power loss at every mutating call of a run of
 *     commits: every acknowledged commit is there, the integrity check passes;
 *   - re-encryption (nq_reencrypt) and re-wrapping (nq_rekey) cut by a power loss at every
 *     mutating call: afterwards exactly one of the old and the new key opens the database,
 *     and its content is complete.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "crashkit.h"
#include "faultvfs.h"
#include "storage/page_crypt.h"
#include "storage/pager_int.h"

#define DB "e.db"
#define MARK_ROW "ZQXROWMARK"
#define MARK_IDX "ZQXIDXMARK"
#define MARK_BIG "ZQXBIGMARK"

static void opts(nq_options *o, faultvfs *fv, const char *pass)
{
    nq_options_init(o);
    o->vfs = faultvfs_vfs(fv);
    o->passphrase = pass;
    o->kdf_iterations = 1;
    o->kdf_memory_kib = 64;
}

static nq_db *open_ok(faultvfs *fv, const char *pass)
{
    nq_options o;
    opts(&o, fv, pass);
    nq_db *db = NULL;
    int rc = nq_open(DB, &o, &db);
    if (rc)
        fail_msg("nq_open: %d %s", rc, db ? nq_errmsg(db) : "");
    return db;
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL))
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

static int insert_row(nq_db *db, int i)
{
    static char sql[8192];
    int n = snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, '" MARK_IDX "%05d', '"
                     MARK_ROW "%05d", i, i, i);
    for (int k = 0; i % 7 == 0 && k < 500; k++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, MARK_BIG);
    snprintf(sql + n, sizeof sql - (size_t)n, "')");
    return nq_exec(db, sql, NULL, NULL);
}

static int count_cb(void *arg, int n, const char *const *v, const char *const *names)
{
    (void)n;
    (void)names;
    *(long *)arg = v[0] ? atol(v[0]) : -1;
    return 0;
}

static long count_rows(nq_db *db)
{
    long v = -1;
    if (nq_exec(db, "SELECT count(*) FROM t WHERE name >= '" MARK_IDX "'", count_cb, &v))
        fail_msg("count: %s", nq_errmsg(db));
    return v;
}

static void check_clean(nq_db *db)
{
    char buf[512];
    uint64_t problems = 0;
    if (crash_db_check(db, buf, sizeof buf, &problems))
        fail_msg("nq_check: %s", buf);
}

static int mem_has(const uint8_t *b, size_t n, const void *needle, size_t k)
{
    for (size_t i = 0; k && i + k <= n; i++)
        if (b[i] == *(const uint8_t *)needle && memcmp(b + i, needle, k) == 0)
            return 1;
    return 0;
}

/* No file of fv holds a marker, the schema's text or dek; returns the number of files. */
static size_t scan_all(faultvfs *fv, const uint8_t dek[32])
{
    const char *names[256];
    size_t n = faultvfs_list(fv, names, 256);
    assert_true(n < 256);
    char copy[256][256];
    for (size_t i = 0; i < n; i++)
        snprintf(copy[i], sizeof copy[i], "%s", names[i]);
    static const char *const marks[] = {MARK_ROW, MARK_IDX, MARK_BIG, "CREATE TABLE", "t_name"};
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = NULL;
        size_t len = 0;
        assert_int_equal(faultvfs_read_file(fv, copy[i], &b, &len), 0);
        for (size_t k = 0; k < sizeof marks / sizeof *marks; k++)
            if (mem_has(b, len, marks[k], strlen(marks[k])))
                fail_msg("%s holds plaintext \"%s\"", copy[i], marks[k]);
        if (mem_has(b, len, dek, 32))
            fail_msg("%s holds the data key", copy[i]);
        free(b);
    }
    return n;
}

static void test_no_plaintext_anywhere(void **state)
{
    (void)state;
    faultvfs *fv = faultvfs_new(1);
    nq_options o;
    opts(&o, fv, "marker test");
    o.archive_dir = "arc";
    o.checkpoint_pages = 40;
    o.cache_bytes = 256u << 10; /* the large transaction spills to the log */
    nq_db *db = NULL;
    assert_int_equal(nq_open(DB, &o, &db), 0);
    exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, big TEXT)");
    exec_ok(db, "CREATE INDEX t_name ON t(name)");
    exec_ok(db, "BEGIN");
    for (int i = 0; i < 200; i++)
        assert_int_equal(insert_row(db, i), 0);
    exec_ok(db, "COMMIT");
    uint8_t dek[32], dbid[16];
    page_crypt_keys(pagexform_crypt(db->eng->pager->xf), dek, dbid);
    assert_int_equal(nq_checkpoint(db), 0);
    for (int i = 200; i < 260; i++) /* autocommits after the checkpoint: in the log */
        assert_int_equal(insert_row(db, i), 0);
    /* a large transaction, cut by a power loss in the middle */
    exec_ok(db, "BEGIN EXCLUSIVE"); /* the exclusive writer: its pages spill to the log */
    exec_ok(db, "UPDATE t SET big = big || '" MARK_BIG "' || name");
    faultvfs_crash_at(fv, 3);
    for (int i = 1000; i < 1400 && !faultvfs_dead(fv); i++)
        insert_row(db, i);
    assert_true(faultvfs_dead(fv));
    faultvfs_crash(fv, 7, FV_CRASH_POWERLOSS, NULL);
    nq_close(db);
    db = open_ok(fv, "marker test"); /* recovery of the encrypted log */
    assert_int_equal(count_rows(db), 260);
    check_clean(db);
    nq_close(db);
    o.cache_bytes = 0;
    assert_int_equal(nq_open(DB, &o, &db), 0);
    assert_int_equal(nq_backup(db, "bk", NQ_BACKUP_FULL, NULL, NULL), 0);
    for (int i = 260; i < 270; i++)
        assert_int_equal(insert_row(db, i), 0);
    assert_int_equal(nq_close(db), 0); /* archives the log */
    size_t n = scan_all(fv, dek);
    const char *names[256];
    n = faultvfs_list(fv, names, 256);
    int seen_db = 0, seen_arc = 0, seen_bk = 0;
    for (size_t i = 0; i < n; i++) {
        seen_db |= !strcmp(names[i], DB);
        seen_arc |= !strncmp(names[i], "arc/", 4);
        seen_bk |= !strncmp(names[i], "bk/", 3);
    }
    if (!seen_db || !seen_arc || !seen_bk)
        fail_msg("expected the database, archive segments and a backup (db %d arc %d bk %d)",
                 seen_db, seen_arc, seen_bk);
    faultvfs_free(fv);
}

/* Power loss at every mutating call of a run of autocommits: every acknowledged one stays. */
static void test_log_recovery(void **state)
{
    (void)state;
    faultvfs *base = faultvfs_new(2);
    nq_db *db = open_ok(base, "recovery");
    exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, big TEXT)");
    exec_ok(db, "CREATE INDEX t_name ON t(name)");
    for (int i = 0; i < 20; i++)
        assert_int_equal(insert_row(db, i), 0);
    nq_close(db);
    uint64_t points = crash_scaled(60, 12);
    for (uint64_t k = 1; k <= points; k++) {
        faultvfs *fv = faultvfs_clone(base, k);
        db = open_ok(fv, "recovery");
        faultvfs_crash_at(fv, k);
        int acked = 20;
        for (int i = 20; i < 60; i++) {
            if (insert_row(db, i))
                break;
            acked = i + 1;
        }
        faultvfs_crash(fv, k * 31 + 1, FV_CRASH_POWERLOSS, NULL);
        nq_close(db);
        db = open_ok(fv, "recovery");
        long got = count_rows(db);
        if (got != acked && got != acked + 1)
            fail_msg("crash point %llu: %ld rows, %d acknowledged", (unsigned long long)k, got,
                     acked);
        check_clean(db);
        nq_close(db);
        faultvfs_free(fv);
    }
    faultvfs_free(base);
}

/* Which key opens fv's database now: 0 the old, 1 the new; the content must be complete. */
static int which_key(faultvfs *fv, const char *oldp, const char *newp, long rows, uint64_t k)
{
    nq_options o;
    int which = -1;
    for (int w = 0; w < 2 && which < 0; w++) {
        opts(&o, fv, w ? newp : oldp);
        nq_db *db = NULL;
        int rc = nq_open(DB, &o, &db);
        if (rc == 0) {
            which = w;
            if (count_rows(db) != rows)
                fail_msg("crash point %llu: %ld rows, want %ld", (unsigned long long)k,
                         count_rows(db), rows);
            check_clean(db);
        } else if (rc != NQ_EKEY) {
            fail_msg("crash point %llu: open with the %s key: %d %s", (unsigned long long)k,
                     w ? "new" : "old", rc, db ? nq_errmsg(db) : "");
        }
        nq_close(db);
    }
    if (which < 0)
        fail_msg("crash point %llu: neither key opens the database", (unsigned long long)k);
    return which;
}

static faultvfs *rotation_base(void)
{
    faultvfs *base = faultvfs_new(3);
    nq_db *db = open_ok(base, "old");
    exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, big TEXT)");
    exec_ok(db, "CREATE INDEX t_name ON t(name)");
    exec_ok(db, "BEGIN");
    for (int i = 0; i < 120; i++)
        assert_int_equal(insert_row(db, i), 0);
    exec_ok(db, "COMMIT");
    for (int i = 120; i < 125; i++) /* left in the log */
        assert_int_equal(insert_row(db, i), 0);
    /* kill -9: the log is not folded in */
    faultvfs_crash(base, 5, FV_CRASH_PROCESS, NULL);
    nq_close(db);
    return base;
}

static void rotation_crashes(int reencrypt)
{
    faultvfs *base = rotation_base();
    /* how many mutating calls a whole run makes */
    faultvfs *probe = faultvfs_clone(base, 1);
    faultvfs_reset_counts(probe);
    nq_options cur, nk;
    opts(&cur, probe, "old");
    opts(&nk, probe, "new");
    char msg[512];
    if (reencrypt) {
        if (nq_reencrypt(DB, &cur, &nk, msg, sizeof msg))
            fail_msg("nq_reencrypt: %s", msg);
    } else {
        nq_db *db = open_ok(probe, "old");
        faultvfs_reset_counts(probe);
        assert_int_equal(nq_rekey(db, &nk), 0);
        nq_close(db);
    }
    faultvfs_counts cnt;
    faultvfs_get_counts(probe, &cnt);
    assert_int_equal(which_key(probe, "old", "new", 125, 0), 1);
    faultvfs_free(probe);
    int seen[2] = {0, 0};
    for (uint64_t k = 1; k <= cnt.mutating + 1; k++) {
        for (int mode = 0; mode < 2; mode++) {
            faultvfs *fv = faultvfs_clone(base, k);
            opts(&cur, fv, "old");
            opts(&nk, fv, "new");
            nq_db *db = NULL;
            if (!reencrypt)
                db = open_ok(fv, "old");
            faultvfs_crash_at(fv, k);
            if (reencrypt)
                nq_reencrypt(DB, &cur, &nk, msg, sizeof msg);
            else
                nq_rekey(db, &nk);
            faultvfs_crash(fv, k * 7 + (uint64_t)mode,
                           mode ? FV_CRASH_POWERLOSS : FV_CRASH_PROCESS, NULL);
            nq_close(db);
            seen[which_key(fv, "old", "new", 125, k)]++;
            faultvfs_free(fv);
        }
    }
    print_message("%s: %llu crash points, old key %d, new key %d\n", reencrypt ? "re-encrypt" : "re-wrap", (unsigned long long)cnt.mutating + 1, seen[0], seen[1]);
    /* both outcomes happen: the crash points reach both sides of the switch */
    assert_true(seen[0] > 0 && seen[1] > 0);
    faultvfs_free(base);
}

static void test_reencrypt_crash(void **state)
{
    (void)state;
    rotation_crashes(1);
}

static void test_rewrap_crash(void **state)
{
    (void)state;
    rotation_crashes(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_plaintext_anywhere),
        cmocka_unit_test(test_log_recovery),
        cmocka_unit_test(test_reencrypt_crash),
        cmocka_unit_test(test_rewrap_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
