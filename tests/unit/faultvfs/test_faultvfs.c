/*
 * test_faultvfs.c — proves the simulated disk (tests/support/faultvfs.c) before the crash
 * tests trust it: a crash test is only as strong as the crashes it can produce.
 *
 * What must hold: a process sees its own writes; a synced write never vanishes, an unsynced one
 * sometimes does; tears happen and only at 512-byte sector boundaries; reordering happens (an
 * older write can land over a newer one) only when the mode allows it; creates and removes are
 * durable only after sync_dir; a rename lands whole or not at all; a crash kills every handle; the same seed gives the same disk;
 * every injected fault (crash point, fsync EIO, ENOSPC, short write) does what it says.
 * Properties that need "sometimes" are checked over a few hundred seeded crashes, with both
 * outcomes required, so a simulation that never tears (or always tears) fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "faultvfs.h"

#define SEEDS 300

static nq_file *xopen(faultvfs *fv, const char *path, int flags)
{
    nq_vfs *v = faultvfs_vfs(fv);
    nq_file *f = NULL;
    assert_int_equal(v->open(v, path, flags, &f), NQ_OK);
    assert_non_null(f);
    return f;
}

static void xwrite(faultvfs *fv, nq_file *f, const void *buf, size_t n, uint64_t off)
{
    nq_vfs *v = faultvfs_vfs(fv);
    assert_int_equal(v->write(f, buf, n, off), NQ_OK);
}

static void xsync(faultvfs *fv, nq_file *f)
{
    nq_vfs *v = faultvfs_vfs(fv);
    assert_int_equal(v->sync(f), NQ_OK);
}

static void xclose(faultvfs *fv, nq_file *f)
{
    nq_vfs *v = faultvfs_vfs(fv);
    assert_int_equal(v->close(f), NQ_OK);
}

/* A durable file "f" of len bytes of value fill (created, written, synced, directory synced). */
static faultvfs *fv_with_file(uint64_t seed, size_t len, uint8_t fill)
{
    faultvfs *fv = faultvfs_new(seed);
    assert_non_null(fv);
    uint8_t *b = malloc(len);
    memset(b, fill, len);
    assert_int_equal(faultvfs_write_file(fv, "f", b, len), NQ_OK);
    free(b);
    return fv;
}

static void test_live_view(void **state)
{
    (void)state;
    faultvfs *fv = faultvfs_new(1);
    nq_vfs *v = faultvfs_vfs(fv);
    nq_file *f = NULL;
    assert_int_equal(v->open(v, "a.db", 0, &f), NQ_ENOTFOUND);
    assert_null(f);
    assert_int_equal(v->exists(v, "a.db"), 0);
    f = xopen(fv, "a.db", NQ_OPEN_CREATE);
    assert_int_equal(v->exists(v, "a.db"), 1);

    xwrite(fv, f, "hello", 5, 0);
    xwrite(fv, f, "world", 5, 10); /* leaves a hole of zeros */
    uint64_t sz = 0;
    assert_int_equal(v->size(f, &sz), NQ_OK);
    assert_int_equal(sz, 15);
    char buf[32];
    assert_int_equal(v->read(f, buf, sizeof buf, 0), 15);
    assert_memory_equal(buf, "hello\0\0\0\0\0world", 15);
    assert_int_equal(v->read(f, buf, 4, 13), 2); /* short at EOF */
    assert_int_equal(v->read(f, buf, 4, 100), 0);

    assert_int_equal(v->truncate(f, 3), NQ_OK);
    assert_int_equal(v->size(f, &sz), NQ_OK);
    assert_int_equal(sz, 3);
    assert_int_equal(v->truncate(f, 8), NQ_OK); /* growing exposes zeros, not old bytes */
    assert_int_equal(v->read(f, buf, 8, 0), 8);
    assert_memory_equal(buf, "hel\0\0\0\0\0", 8);

    nq_file *ro = xopen(fv, "a.db", NQ_OPEN_READONLY);
    assert_int_equal(v->write(ro, "x", 1, 0), NQ_EREADONLY);
    xclose(fv, ro);

    /* lock: exclusive between handles, released on close */
    nq_file *g = xopen(fv, "a.db", 0);
    assert_int_equal(v->lock(f), NQ_OK);
    assert_int_equal(v->lock(g), NQ_ELOCKED);
    assert_int_equal(v->unlock(f), NQ_OK);
    assert_int_equal(v->lock(g), NQ_OK);
    xclose(fv, g);
    assert_int_equal(v->lock(f), NQ_OK);

    /* a removed file stays usable through an open handle */
    assert_int_equal(v->remove(v, "a.db"), NQ_OK);
    assert_int_equal(v->remove(v, "a.db"), NQ_ENOTFOUND);
    assert_int_equal(v->exists(v, "a.db"), 0);
    assert_int_equal(v->read(f, buf, 3, 0), 3);
    xclose(fv, f);
    faultvfs_free(fv);
}

static void test_synced_never_vanish_unsynced_may(void **state)
{
    (void)state;
    int lost = 0, kept = 0;
    uint8_t a[4096], b[4096];
    memset(a, 'A', sizeof a);
    memset(b, 'B', sizeof b);
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        faultvfs *fv = faultvfs_new(seed);
        nq_vfs *v = faultvfs_vfs(fv);
        nq_file *f = xopen(fv, "d/x", NQ_OPEN_CREATE);
        xwrite(fv, f, a, sizeof a, 0);
        xsync(fv, f);
        assert_int_equal(v->sync_dir(v, "d/x"), NQ_OK);
        xwrite(fv, f, b, sizeof b, 4096); /* never synced */
        faultvfs_crash(fv, seed * 7919 + 1, FV_CRASH_POWERLOSS, NULL);

        uint8_t *d;
        size_t len;
        assert_int_equal(faultvfs_read_file(fv, "d/x", &d, &len), NQ_OK);
        assert_true(len >= 4096);
        assert_memory_equal(d, a, 4096);
        if (len == 8192 && memcmp(d + 4096, b, 4096) == 0)
            kept++;
        else
            lost++;
        free(d);
        /* the handle died with the machine */
        char c;
        assert_int_equal(v->read(f, &c, 1, 0), NQ_EIO);
        assert_int_equal(v->write(f, "x", 1, 0), NQ_EIO);
        assert_int_equal(v->sync(f), NQ_EIO);
        xclose(fv, f);
        faultvfs_free(fv);
    }
    assert_true(lost > SEEDS / 10);
    assert_true(kept > SEEDS / 10);
}

static void test_process_crash_keeps_everything(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 50; seed++) {
        faultvfs *fv = faultvfs_new(seed);
        nq_vfs *v = faultvfs_vfs(fv);
        nq_file *f = xopen(fv, "x", NQ_OPEN_CREATE);
        xwrite(fv, f, "one", 3, 0);
        xwrite(fv, f, "two", 3, 1000);
        assert_int_equal(v->truncate(f, 1002), NQ_OK);
        nq_file *g = xopen(fv, "y", NQ_OPEN_CREATE);
        xclose(fv, g);
        assert_int_equal(faultvfs_pending_ops(fv, NULL), 3);
        faultvfs_crash(fv, seed, FV_CRASH_PROCESS, NULL);
        assert_int_equal(faultvfs_pending_ops(fv, NULL), 0);
        assert_true(faultvfs_exists(fv, "y"));
        uint8_t *d;
        size_t len;
        assert_int_equal(faultvfs_read_file(fv, "x", &d, &len), NQ_OK);
        assert_int_equal(len, 1002);
        assert_memory_equal(d, "one", 3);
        assert_memory_equal(d + 1000, "tw", 2);
        free(d);
        xclose(fv, f);
        faultvfs_free(fv);
    }
}

/* Every piece of a write between sector boundaries (of the file) lands whole or not at all. */
static void test_tears_are_sector_sized(void **state)
{
    (void)state;
    int torn_seen = 0, whole_seen = 0;
    enum { OFF = 100, LEN = 3000 }; /* unaligned on both ends: pieces 412, 512 x5, 28 */
    uint8_t nw[LEN];
    for (size_t i = 0; i < LEN; i++)
        nw[i] = (uint8_t)(0x80 | (i % 100));
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        faultvfs *fv = fv_with_file(seed, 4096, 0x11);
        nq_file *f = xopen(fv, "f", 0);
        xwrite(fv, f, nw, LEN, OFF);
        faultvfs_crash_report rep;
        faultvfs_crash(fv, seed, FV_CRASH_TEAR, &rep); /* tears only: the write always lands */
        uint8_t *d;
        size_t len;
        assert_int_equal(faultvfs_read_file(fv, "f", &d, &len), NQ_OK);
        assert_int_equal(len, 4096);
        int news = 0, olds = 0;
        for (uint64_t s = 0; s < 4096; s += FV_SECTOR) {
            uint64_t lo = s < OFF ? OFF : s, hi = s + FV_SECTOR > OFF + LEN ? OFF + LEN : s + FV_SECTOR;
            if (lo >= hi)
                continue;
            int is_new = memcmp(d + lo, nw + (lo - OFF), hi - lo) == 0;
            int is_old = 1;
            for (uint64_t i = lo; i < hi; i++)
                is_old &= d[i] == 0x11;
            assert_true(is_new || is_old); /* never a piece of a sector */
            news += is_new;
            olds += is_old;
        }
        /* bytes outside the write are untouched */
        for (size_t i = 0; i < OFF; i++)
            assert_int_equal(d[i], 0x11);
        for (size_t i = OFF + LEN; i < 4096; i++)
            assert_int_equal(d[i], 0x11);
        if (news && olds) {
            torn_seen++;
            assert_int_equal(rep.ops_torn, 1);
        } else {
            whole_seen++;
        }
        free(d);
        xclose(fv, f);
        faultvfs_free(fv);
    }
    assert_true(torn_seen > 10);
    assert_true(whole_seen > 10);
}

/* Two unsynced writes to the same place: in issue order the second wins; with REORDER the
 * first sometimes lands last. Without REORDER it never does. */
static void test_reordering(void **state)
{
    (void)state;
    int modes[2] = {FV_CRASH_REORDER, FV_CRASH_DROP | FV_CRASH_DIR};
    for (int m = 0; m < 2; m++) {
        int first_won = 0, second_won = 0, reported = 0;
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
            faultvfs *fv = fv_with_file(seed, 512, 0);
            nq_file *f = xopen(fv, "f", 0);
            uint8_t one[512], two[512];
            memset(one, 1, sizeof one);
            memset(two, 2, sizeof two);
            xwrite(fv, f, one, 512, 0);
            xwrite(fv, f, two, 512, 0);
            faultvfs_counts cn;
            faultvfs_get_counts(fv, &cn);
            assert_int_equal(cn.rewrites, 1); /* the second overwrote unsynced data */
            faultvfs_crash_report rep;
            faultvfs_crash(fv, seed, modes[m], &rep);
            uint8_t *d;
            size_t len;
            assert_int_equal(faultvfs_read_file(fv, "f", &d, &len), NQ_OK);
            if (d[0] == 1) {
                /* without REORDER "one" can be the survivor only when "two" was dropped */
                if (m == 1)
                    assert_int_equal(rep.ops_dropped, 1);
                else
                    first_won++;
            }
            if (d[0] == 2)
                second_won++;
            reported += rep.ops_reordered > 0;
            free(d);
            xclose(fv, f);
            faultvfs_free(fv);
        }
        if (m == 0) {
            assert_true(first_won > 10);
            assert_true(second_won > 10);
            assert_int_equal(reported, first_won);
        } else {
            assert_int_equal(reported, 0);
        }
    }
}

static void test_directory_durability(void **state)
{
    (void)state;
    int created_lost = 0, created_kept = 0, removed_back = 0, removed_gone = 0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        faultvfs *fv = fv_with_file(seed, 10, 'o'); /* "f" durable, name and all */
        nq_vfs *v = faultvfs_vfs(fv);
        /* a new file whose data is synced but whose directory is not */
        nq_file *n = xopen(fv, "new", NQ_OPEN_CREATE);
        xwrite(fv, n, "data", 4, 0);
        xsync(fv, n);
        /* a new file fully synced, directory included, in another directory */
        nq_file *s = xopen(fv, "sub/safe", NQ_OPEN_CREATE);
        xwrite(fv, s, "safe", 4, 0);
        xsync(fv, s);
        assert_int_equal(v->sync_dir(v, "sub/safe"), NQ_OK);
        /* removing "f" without syncing the directory */
        assert_int_equal(v->remove(v, "f"), NQ_OK);
        xclose(fv, n);
        xclose(fv, s);
        faultvfs_crash_report rep;
        faultvfs_crash(fv, seed, FV_CRASH_POWERLOSS, &rep);
        assert_int_equal(rep.dir_pending, 2); /* sub/ was synced, "." was not */

        assert_true(faultvfs_exists(fv, "sub/safe"));
        if (faultvfs_exists(fv, "new")) {
            created_kept++;
            assert_int_equal(faultvfs_file_size(fv, "new"), 4); /* its data was synced */
        } else {
            created_lost++;
        }
        if (faultvfs_exists(fv, "f")) {
            removed_back++;
            uint8_t *d;
            size_t len;
            assert_int_equal(faultvfs_read_file(fv, "f", &d, &len), NQ_OK);
            assert_int_equal(len, 10);
            assert_int_equal(d[9], 'o');
            free(d);
        } else {
            removed_gone++;
        }
        faultvfs_free(fv);
    }
    assert_true(created_lost > 10 && created_kept > 10);
    assert_true(removed_back > 10 && removed_gone > 10);

    /* after sync_dir nothing is pending */
    faultvfs *fv = faultvfs_new(5);
    nq_vfs *v = faultvfs_vfs(fv);
    nq_file *f = xopen(fv, "z", NQ_OPEN_CREATE);
    assert_int_equal(v->sync_dir(v, "z"), NQ_OK);
    xclose(fv, f);
    for (uint64_t seed = 0; seed < 50; seed++) {
        faultvfs_crash(fv, seed, FV_CRASH_POWERLOSS, NULL);
        assert_true(faultvfs_exists(fv, "z"));
    }
    faultvfs_free(fv);
}

/* rename replaces atomically: after a power loss either the old names (source there, the
 * replaced file intact) or the new ones (source gone, target with the source's content), never
 * both or neither; after sync_dir the new names are durable. */
static void test_rename(void **state)
{
    (void)state;
    int old_names = 0, new_names = 0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        faultvfs *fv = fv_with_file(seed, 10, 'o'); /* "f": the file to be replaced */
        nq_vfs *v = faultvfs_vfs(fv);
        nq_file *t = xopen(fv, "tmp", NQ_OPEN_CREATE);
        xwrite(fv, t, "new!", 4, 0);
        xsync(fv, t);
        assert_int_equal(v->sync_dir(v, "tmp"), NQ_OK); /* "tmp" durable, with its data */
        xclose(fv, t);
        assert_int_equal(v->rename(v, "tmp", "f"), NQ_OK);
        assert_int_equal(v->exists(v, "tmp"), 0); /* the live view changes at once */
        assert_int_equal(faultvfs_file_size(fv, "f"), 4);
        assert_int_equal(v->rename(v, "nothing", "x"), NQ_ENOTFOUND);
        faultvfs_crash(fv, seed, FV_CRASH_POWERLOSS, NULL);
        int has_tmp = faultvfs_exists(fv, "tmp");
        assert_true(faultvfs_exists(fv, "f"));
        if (has_tmp) {
            old_names++;
            assert_int_equal(faultvfs_file_size(fv, "f"), 10);
            assert_int_equal(faultvfs_file_size(fv, "tmp"), 4);
        } else {
            new_names++;
            assert_int_equal(faultvfs_file_size(fv, "f"), 4);
        }
        faultvfs_free(fv);
    }
    assert_true(old_names > 10 && new_names > 10);

    faultvfs *fv = fv_with_file(1, 10, 'o');
    nq_vfs *v = faultvfs_vfs(fv);
    nq_file *t = xopen(fv, "tmp", NQ_OPEN_CREATE);
    xwrite(fv, t, "new!", 4, 0);
    xsync(fv, t);
    xclose(fv, t);
    assert_int_equal(v->rename(v, "tmp", "f"), NQ_OK);
    assert_int_equal(v->sync_dir(v, "f"), NQ_OK);
    for (uint64_t seed = 0; seed < 50; seed++) {
        faultvfs_crash(fv, seed, FV_CRASH_POWERLOSS, NULL);
        assert_false(faultvfs_exists(fv, "tmp"));
        assert_int_equal(faultvfs_file_size(fv, "f"), 4);
    }
    faultvfs_counts c;
    faultvfs_get_counts(fv, &c);
    assert_int_equal(c.renames, 1);
    faultvfs_free(fv);
}

/* A fixed workload: writes of many sizes, a truncate, a sync in the middle, then a crash. */
static void run_mixed(faultvfs *fv)
{
    nq_vfs *v = faultvfs_vfs(fv);
    nq_file *f = xopen(fv, "m", NQ_OPEN_CREATE);
    uint8_t buf[5000];
    for (int i = 0; i < 40; i++) {
        size_t n = 1 + (size_t)(i * 613) % sizeof buf;
        memset(buf, i + 1, n);
        xwrite(fv, f, buf, n, (uint64_t)(i * 977) % 20000);
        if (i == 13)
            xsync(fv, f);
        if (i == 29)
            assert_int_equal(v->truncate(f, 7000), NQ_OK);
    }
    xclose(fv, f);
}

static void test_deterministic(void **state)
{
    (void)state;
    int differ = 0;
    uint8_t *prev = NULL;
    size_t prevlen = 0;
    for (uint64_t seed = 0; seed < 20; seed++) {
        uint8_t *img[2];
        size_t len[2];
        for (int k = 0; k < 2; k++) {
            faultvfs *fv = faultvfs_new(99);
            run_mixed(fv);
            faultvfs_crash(fv, seed, FV_CRASH_POWERLOSS, NULL);
            if (faultvfs_read_file(fv, "m", &img[k], &len[k]) != NQ_OK) {
                img[k] = NULL;
                len[k] = SIZE_MAX;
            }
            faultvfs_free(fv);
        }
        assert_int_equal(len[0], len[1]);
        if (img[0])
            assert_memory_equal(img[0], img[1], len[0]);
        if (prev && img[0] && (prevlen != len[0] || memcmp(prev, img[0], len[0]) != 0))
            differ++;
        free(prev);
        free(img[1]);
        prev = img[0];
        prevlen = len[0];
    }
    free(prev);
    assert_true(differ > 0); /* and different seeds give different disks */

    /* a clone crashes like the original would */
    faultvfs *a = faultvfs_new(3);
    run_mixed(a);
    faultvfs *b = faultvfs_clone(a, 3);
    assert_non_null(b);
    faultvfs_crash(a, 42, FV_CRASH_POWERLOSS, NULL);
    faultvfs_crash(b, 42, FV_CRASH_POWERLOSS, NULL);
    uint8_t *da, *db;
    size_t la, lb;
    int ra = faultvfs_read_file(a, "m", &da, &la), rb = faultvfs_read_file(b, "m", &db, &lb);
    assert_int_equal(ra, rb);
    assert_int_equal(la, lb);
    if (ra == NQ_OK && la)
        assert_memory_equal(da, db, la);
    free(da);
    free(db);
    faultvfs_free(a);
    faultvfs_free(b);
}

static void test_crash_point(void **state)
{
    (void)state;
    faultvfs *fv = faultvfs_new(1);
    nq_vfs *v = faultvfs_vfs(fv);
    faultvfs_counts c;

    /* count a workload's mutating calls: create, 3 writes, sync, sync_dir, truncate, remove */
    nq_file *f = xopen(fv, "w", NQ_OPEN_CREATE);
    xwrite(fv, f, "a", 1, 0);
    xwrite(fv, f, "b", 1, 1);
    xwrite(fv, f, "c", 1, 2);
    xsync(fv, f);
    assert_int_equal(v->sync_dir(v, "w"), NQ_OK);
    assert_int_equal(v->truncate(f, 2), NQ_OK);
    nq_file *g = xopen(fv, "w2", NQ_OPEN_CREATE);
    xclose(fv, g);
    assert_int_equal(v->remove(v, "w2"), NQ_OK);
    faultvfs_get_counts(fv, &c);
    assert_int_equal(c.mutating, 9);
    assert_int_equal(c.writes, 3);
    assert_int_equal(c.syncs, 1);
    assert_int_equal(c.creates, 2);
    assert_int_equal(c.removes, 1);
    assert_int_equal(c.sync_dirs, 1);
    assert_int_equal(c.truncates, 1);
    assert_int_equal(c.bytes_written, 3);
    assert_int_equal(c.rewrites, 0);
    const uint8_t *kinds;
    static const uint8_t want[9] = {FV_CALL_CREATE, FV_CALL_WRITE,    FV_CALL_WRITE,
                                    FV_CALL_WRITE,  FV_CALL_SYNC,     FV_CALL_SYNC_DIR,
                                    FV_CALL_TRUNCATE, FV_CALL_CREATE, FV_CALL_REMOVE};
    assert_int_equal(faultvfs_call_log(fv, &kinds), 9);
    assert_memory_equal(kinds, want, 9);

    /* arm: the 2nd mutating call from now dies, and everything after it */
    faultvfs_crash_at(fv, 2);
    xwrite(fv, f, "d", 1, 2);
    assert_false(faultvfs_dead(fv));
    assert_int_equal(v->write(f, "e", 1, 3), NQ_EIO);
    assert_true(faultvfs_dead(fv));
    char buf[4];
    assert_int_equal(v->read(f, buf, 1, 0), NQ_EIO);
    assert_int_equal(v->sync(f), NQ_EIO);
    nq_file *h = NULL;
    assert_int_equal(v->open(v, "w", 0, &h), NQ_EIO);
    assert_int_equal(v->exists(v, "w"), NQ_EIO);
    assert_int_equal(faultvfs_file_size(fv, "w"), 3); /* "e" never happened */

    faultvfs_crash(fv, 1, FV_CRASH_PROCESS, NULL);
    assert_false(faultvfs_dead(fv));
    xclose(fv, f); /* a dead handle closes cleanly */
    faultvfs_reset_counts(fv);
    assert_int_equal(faultvfs_call_log(fv, &kinds), 0);
    f = xopen(fv, "w", 0);
    assert_int_equal(v->read(f, buf, 4, 0), 3);
    assert_memory_equal(buf, "abd", 3);
    /* the crash disarmed the point */
    for (int i = 0; i < 5; i++)
        xwrite(fv, f, "z", 1, 0);
    xclose(fv, f);
    faultvfs_free(fv);
}

static void test_fail_sync(void **state)
{
    (void)state;
    /* once: the 2nd sync of a "-wal" file fails; syncs of other files are not counted */
    faultvfs *fv = faultvfs_new(1);
    nq_vfs *v = faultvfs_vfs(fv);
    nq_file *db = xopen(fv, "t.db", NQ_OPEN_CREATE);
    nq_file *wal = xopen(fv, "t.db-wal", NQ_OPEN_CREATE);
    faultvfs_fail_sync(fv, 2, 0, "-wal");
    xsync(fv, db);
    xsync(fv, wal);
    xsync(fv, db);
    assert_int_equal(v->sync(wal), NQ_EIO);
    xsync(fv, wal);
    xsync(fv, db);
    /* forever */
    faultvfs_fail_sync(fv, 1, 1, NULL);
    assert_int_equal(v->sync(db), NQ_EIO);
    assert_int_equal(v->sync(wal), NQ_EIO);
    assert_int_equal(v->sync(db), NQ_EIO);
    faultvfs_counts c;
    faultvfs_get_counts(fv, &c);
    assert_int_equal(c.faults, 4);
    xclose(fv, db);
    xclose(fv, wal);
    faultvfs_free(fv);

    /* after a failed sync the data is readable, but a later good sync does not vouch for it:
     * across seeds it is sometimes lost (or torn) and sometimes there */
    int lost = 0, kept = 0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        fv = fv_with_file(seed, 2048, 0);
        v = faultvfs_vfs(fv);
        nq_file *f = xopen(fv, "f", 0);
        uint8_t x[2048];
        memset(x, 'X', sizeof x);
        xwrite(fv, f, x, sizeof x, 0);
        faultvfs_fail_sync(fv, 1, 0, NULL);
        assert_int_equal(v->sync(f), NQ_EIO);
        uint8_t r[2048];
        assert_int_equal(v->read(f, r, sizeof r, 0), 2048);
        assert_memory_equal(r, x, sizeof x);
        xwrite(fv, f, "Y", 1, 2047); /* written after the failure: the good sync covers it */
        xsync(fv, f);
        faultvfs_crash(fv, seed, FV_CRASH_POWERLOSS, NULL);
        uint8_t *d;
        size_t len;
        assert_int_equal(faultvfs_read_file(fv, "f", &d, &len), NQ_OK);
        assert_int_equal(d[2047], 'Y');
        if (memcmp(d, x, 2047) == 0)
            kept++;
        else
            lost++;
        free(d);
        xclose(fv, f);
        faultvfs_free(fv);
    }
    assert_true(lost > 10 && kept > 10);
}

static void test_enospc(void **state)
{
    (void)state;
    faultvfs *fv = faultvfs_new(1);
    nq_vfs *v = faultvfs_vfs(fv);
    nq_file *f = xopen(fv, "s", NQ_OPEN_CREATE);
    uint8_t buf[1000];
    memset(buf, 7, sizeof buf);

    faultvfs_set_write_budget(fv, 2500);
    xwrite(fv, f, buf, 1000, 0);
    xwrite(fv, f, buf, 1000, 1000);
    assert_int_equal(v->write(f, buf, 1000, 2000), NQ_ENOSPC);
    assert_int_equal(faultvfs_file_size(fv, "s"), 2500); /* what fit landed */
    assert_int_equal(v->write(f, buf, 1, 0), NQ_ENOSPC);
    faultvfs_set_write_budget(fv, UINT64_MAX);

    /* capacity: overwriting in place is free; growing is not; truncating makes room */
    faultvfs_set_capacity(fv, 3000);
    xwrite(fv, f, buf, 1000, 0);
    assert_int_equal(v->write(f, buf, 1000, 2400), NQ_ENOSPC);
    assert_int_equal(faultvfs_file_size(fv, "s"), 3000);
    nq_file *g = xopen(fv, "t", NQ_OPEN_CREATE);
    assert_int_equal(v->write(g, buf, 1, 0), NQ_ENOSPC);
    assert_int_equal(v->truncate(f, 1000), NQ_OK);
    xwrite(fv, g, buf, 1000, 0);
    xclose(fv, g);
    xclose(fv, f);
    faultvfs_free(fv);
}

static void test_fail_write(void **state)
{
    (void)state;
    int partial = 0;
    for (uint64_t seed = 0; seed < 50; seed++) {
        faultvfs *fv = faultvfs_new(seed);
        nq_vfs *v = faultvfs_vfs(fv);
        nq_file *f = xopen(fv, "w", NQ_OPEN_CREATE);
        uint8_t buf[4096];
        memset(buf, 9, sizeof buf);
        faultvfs_fail_write(fv, 2, 0, 1);
        xwrite(fv, f, buf, 100, 0);
        assert_int_equal(v->write(f, buf, sizeof buf, 100), NQ_EIO);
        int64_t sz = faultvfs_file_size(fv, "w");
        assert_true(sz >= 100 && sz < 100 + 4096);
        partial += sz > 100;
        xwrite(fv, f, buf, 10, 0); /* once: the next one works */
        faultvfs_fail_write(fv, 1, 1, 0);
        assert_int_equal(v->write(f, buf, 10, 0), NQ_EIO);
        assert_int_equal(v->write(f, buf, 10, 5000), NQ_EIO);
        assert_int_equal(faultvfs_file_size(fv, "w"), sz); /* nothing landed */
        xclose(fv, f);
        faultvfs_free(fv);
    }
    assert_true(partial > 10);
}

static void test_helpers(void **state)
{
    (void)state;
    faultvfs *fv = faultvfs_new(1);
    nq_vfs *v = faultvfs_vfs(fv);
    assert_int_equal(faultvfs_write_file(fv, "a", "abcdef", 6), NQ_OK);
    assert_int_equal(faultvfs_write_file(fv, "b", "", 0), NQ_OK);
    const char *names[4];
    assert_int_equal(faultvfs_list(fv, names, 4), 2);
    assert_int_equal(faultvfs_flip_bit(fv, "a", 1, 0), NQ_OK); /* 'b' ^ 1 = 'c' */
    assert_int_equal(faultvfs_flip_bit(fv, "a", 6, 0), NQ_EINVAL);
    assert_int_equal(faultvfs_flip_bit(fv, "zz", 0, 0), NQ_ENOTFOUND);
    nq_file *f = xopen(fv, "a", 0);
    char buf[8];
    assert_int_equal(v->read(f, buf, 8, 0), 6);
    assert_memory_equal(buf, "accdef", 6);
    xclose(fv, f);
    /* the flip is at rest: it survives a crash */
    faultvfs_crash(fv, 1, FV_CRASH_POWERLOSS, NULL);
    uint8_t *d;
    size_t len;
    assert_int_equal(faultvfs_read_file(fv, "a", &d, &len), NQ_OK);
    assert_memory_equal(d, "accdef", 6);
    free(d);
    assert_int_equal(faultvfs_truncate_file(fv, "a", 2), NQ_OK);
    faultvfs_crash(fv, 2, FV_CRASH_POWERLOSS, NULL);
    assert_int_equal(faultvfs_file_size(fv, "a"), 2);
    assert_int_equal(faultvfs_remove_file(fv, "a"), NQ_OK);
    faultvfs_crash(fv, 3, FV_CRASH_POWERLOSS, NULL);
    assert_false(faultvfs_exists(fv, "a"));
    assert_int_equal(faultvfs_read_file(fv, "a", &d, &len), NQ_ENOTFOUND);
    assert_int_equal(faultvfs_remove_file(fv, "a"), NQ_ENOTFOUND);
    assert_int_equal(faultvfs_list(fv, names, 4), 1);
    assert_string_equal(names[0], "b");
    faultvfs_free(fv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_view),
        cmocka_unit_test(test_synced_never_vanish_unsynced_may),
        cmocka_unit_test(test_process_crash_keeps_everything),
        cmocka_unit_test(test_tears_are_sector_sized),
        cmocka_unit_test(test_reordering),
        cmocka_unit_test(test_directory_durability),
        cmocka_unit_test(test_rename),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_crash_point),
        cmocka_unit_test(test_fail_sync),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_fail_write),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
