/*
 * test_backup.c — online backups and restore (nq_backup, nq_backup_verify, nq_restore).
 *
 *   - a full backup restores to the very pages of its snapshot (byte-compared with the
 *     database file after a checkpoint), and the result opens and passes nq_check;
 *   - a backup taken while a writer thread commits on another connection (nq_clone) restores
 *     to a consistent snapshot: every transaction up to the one the backup saw, none after;
 *   - seeded random chains of full, incremental and differential backups, compressed or not,
 *     each restored and compared page by page with the database at its point, and key by key
 *     with a model;
 *   - tampering: a flipped byte anywhere in any file, a truncated or missing file, a chain out
 *     of order, with a gap, or mixing two databases: each refused, naming the file, and a
 *     refused restore creates nothing and, forced over an existing file, leaves it as it was;
 *   - a crash (fault-injecting VFS, power loss) at every mutating call of a backup never leaves
 *     a damaged backup that verifies: what verifies restores to the snapshot, and only a crash
 *     at the last call (the directory sync after the synced manifest) can leave a whole backup
 *     that nq_backup reported failed; a backup reported done always verifies; the source
 *     database is intact; a crash at every call of a restore leaves a target that either does
 *     not exist or is the snapshot;
 *   - a database restored from an older backup and then changed differently is refused as the
 *     continuation of the newer backups of its old chain (its page map tells), and accepted on
 *     the backup it was restored from;
 *   - a backup of format 1 (before the pagemap) still verifies and restores;
 *   - an existing target (or a stale log beside it) is refused without NQ_RESTORE_FORCE.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
#include "faultvfs.h"
#include "nqdb.h"
#include "kvversions.h"
#include "testfiles.h"
#include "storage/backup.h"

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, (db) ? nq_errmsg(db) : "");                        \
    } while (0)

static void rm_backup(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%.400s/MANIFEST", dir);
    unlink(p);
    snprintf(p, sizeof p, "%.400s/pages.dat", dir);
    unlink(p);
    snprintf(p, sizeof p, "%.400s/pages.dat.zst", dir);
    unlink(p);
    snprintf(p, sizeof p, "%.400s/pagemap", dir);
    unlink(p);
    rmdir(dir);
}

static void mk_backup_dir(const char *dir)
{
    rm_backup(dir);
    if (mkdir(dir, 0755))
        fail_msg("mkdir %s", dir);
}

static nq_db *open_path(const char *path, nq_vfs *vfs)
{
    nq_options o;
    nq_options_init(&o);
    o.vfs = vfs;
    o.checkpoint_pages = 64; /* checkpoints happen during the tests, so pages live in both places */
    nq_db *db;
    int rc = nq_open(path, &o, &db);
    if (rc)
        fail_msg("open %s: %s", path, db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

/* ---- a model of the contents: NKEYS keys, each absent (0) or at a version ------------------- */
#define NKEYS 400

static size_t value_of(uint32_t key, uint32_t ver, uint8_t *buf)
{
    nq_rng r;
    nq_rng_seed(&r, (uint64_t)key << 32 | ver);
    /* mostly small, sometimes spanning overflow pages */
    size_t n = nq_rng_below(&r, 10) == 0 ? 3000 + nq_rng_below(&r, 9000) : 20 + nq_rng_below(&r, 300);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)nq_rng_next(&r);
    return n;
}

static void apply_random(nq_db *db, nq_rng *r, uint32_t *model, int nops)
{
    kvv_apply_random(db, r, model, NKEYS, nops, 0, value_of);
}

static void check_model(nq_db *db, const uint32_t *model)
{
    kvv_check(db, model, NKEYS, value_of, "model");
}

static void restore_ok(const char *const *dirs, int n, const char *target, int flags)
{
    char msg[600];
    int rc = nq_restore(NULL, dirs, n, target, flags, msg, sizeof msg);
    if (rc)
        fail_msg("restore into %s: %s", target, msg);
}

/* ---- round trips -------------------------------------------------------------------------- */

static void test_full_same_pages(void **state)
{
    (void)state;
    tf_rm_db("src.db");
    tf_rm_db("dst.db");
    nq_db *db = open_path("src.db", NULL);
    nq_rng r;
    nq_rng_seed(&r, 1);
    uint32_t model[NKEYS] = {0};
    for (int i = 0; i < 10; i++)
        apply_random(db, &r, model, 60);
    mk_backup_dir("full");
    nq_backup_info info;
    OK(db, nq_backup(db, "full", NQ_BACKUP_FULL, NULL, &info));
    assert_int_equal(info.kind, NQ_BACKUP_FULL);
    assert_int_equal(info.pages, info.page_count);
    assert_true(info.page_count > 50);
    assert_int_equal(strlen(info.backup_id), 32);
    assert_string_equal(info.base_id, info.backup_id);
    OK(db, nq_close(db)); /* the last close checkpoints: the file is then the snapshot */

    const char *dirs[] = {"full"};
    char msg[600];
    assert_int_equal(nq_backup_verify(NULL, dirs, 1, msg, sizeof msg), 0);
    restore_ok(dirs, 1, "dst.db", 0);
    size_t a, b;
    uint8_t *fa = tf_slurp("src.db", &a), *fb = tf_slurp("dst.db", &b);
    assert_non_null(fa);
    assert_non_null(fb);
    assert_int_equal(a, b);
    assert_int_equal(a, (size_t)info.page_count * info.page_size);
    assert_memory_equal(fa, fb, a);
    free(fa);
    free(fb);
    db = open_path("dst.db", NULL);
    check_model(db, model);
    OK(db, nq_close(db));
}

typedef struct writer_arg {
    nq_db *db;
    int stop;       /* set by the main thread (__atomic) */
    int started;    /* set once the first commit is in */
    uint64_t done;  /* transactions committed */
    char err[600];  /* why the writer stopped early */
} writer_arg;

/* Transaction i puts key "w<i>" and sets "last" to i, in one transaction. */
static void *writer_main(void *p)
{
    writer_arg *w = p;
    nq_tree *t;
    if (nq_tree_open(w->db, "w", NQ_TREE_CREATE, &t))
        return NULL;
    uint8_t val[600];
    for (uint64_t i = 1;; i++) {
        if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) && i > 20)
            break;
        char k[32];
        snprintf(k, sizeof k, "w%08llu", (unsigned long long)i);
        memset(val, (int)(i & 0xff), sizeof val);
        if (nq_begin(w->db, NQ_TXN_WRITE) || nq_put(t, k, strlen(k), val, sizeof val, 0) ||
            nq_put(t, "last", 4, &i, sizeof i, 0) || nq_commit(w->db)) {
            snprintf(w->err, sizeof w->err, "%s", nq_errmsg(w->db));
            if (nq_in_txn(w->db, NULL))
                nq_rollback(w->db);
            break;
        }
        __atomic_store_n(&w->done, i, __ATOMIC_RELEASE);
        __atomic_store_n(&w->started, 1, __ATOMIC_RELEASE);
    }
    nq_tree_close(t);
    return NULL;
}

static void test_concurrent_writer(void **state)
{
    (void)state;
    tf_rm_db("conc.db");
    tf_rm_db("conc_r.db");
    nq_db *db = open_path("conc.db", NULL);
    nq_rng r;
    nq_rng_seed(&r, 2);
    uint32_t model[NKEYS] = {0};
    for (int i = 0; i < 20; i++)
        apply_random(db, &r, model, 80);
    writer_arg w = {0};
    OK(db, nq_clone(db, &w.db));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    while (!__atomic_load_n(&w.started, __ATOMIC_ACQUIRE))
        sched_yield();
    mk_backup_dir("conc");
    nq_backup_info info;
    uint64_t before = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
    OK(db, nq_backup(db, "conc", NQ_BACKUP_FULL, NULL, &info));
    uint64_t after = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    uint64_t total = w.done;
    OK(w.db, nq_close(w.db));
    OK(db, nq_close(db));
    if (total < 20)
        fail_msg("the writer stopped after %llu: %s", (unsigned long long)total, w.err);

    const char *dirs[] = {"conc"};
    restore_ok(dirs, 1, "conc_r.db", 0);
    db = open_path("conc_r.db", NULL);
    check_model(db, model);
    nq_tree *t;
    OK(db, nq_tree_open(db, "w", NQ_TREE_CREATE, &t));
    void *v;
    size_t vn;
    uint64_t last = 0;
    if (nq_get(t, "last", 4, &v, &vn) == 0) {
        memcpy(&last, v, sizeof last);
        free(v);
    }
    assert_true(last <= total);
    assert_true(last >= before); /* the snapshot is at least as new as the backup's start */
    print_message("writer: %llu commits before the backup, %llu when it returned, %llu in all; "
                  "the backup saw %llu\n", (unsigned long long)before, (unsigned long long)after,
                  (unsigned long long)total, (unsigned long long)last);
    uint64_t count;
    OK(db, nq_tree_count(t, &count));
    assert_int_equal(count, last + (last > 0)); /* w1..w<last> and "last" */
    for (uint64_t i = 1; i <= last; i++) {
        char k[32];
        snprintf(k, sizeof k, "w%08llu", (unsigned long long)i);
        OK(db, nq_get(t, k, strlen(k), &v, &vn));
        assert_int_equal(vn, 600);
        assert_int_equal(((uint8_t *)v)[599], (uint8_t)(i & 0xff));
        free(v);
    }
    nq_tree_close(t);
    OK(db, nq_close(db));
}

/* ---- random chains ------------------------------------------------------------------------ */
#define CHAIN_STEPS 14

typedef struct point {
    char dir[32];
    int kind;
    int parent; /* index of the parent point, -1 for full */
    uint32_t model[NKEYS];
    uint8_t *file;
    size_t file_len;
} point;

static void test_random_chains(void **state)
{
    (void)state;
    for (uint64_t seed = 10; seed < 13; seed++) {
        tf_rm_db("chain.db");
        nq_db *db = open_path("chain.db", NULL);
        nq_rng r;
        nq_rng_seed(&r, seed);
        static point pts[CHAIN_STEPS];
        uint32_t model[NKEYS] = {0};
        int last_full = -1;
        for (int i = 0; i < CHAIN_STEPS; i++) {
            apply_random(db, &r, model, 10 + (int)nq_rng_below(&r, 120));
            point *p = &pts[i];
            p->kind = i == 0 ? NQ_BACKUP_FULL : (int)nq_rng_below(&r, 3);
            p->parent = p->kind == NQ_BACKUP_FULL ? -1
                        : p->kind == NQ_BACKUP_INCREMENTAL ? i - 1 : last_full;
            snprintf(p->dir, sizeof p->dir, "chain%02d", i);
            mk_backup_dir(p->dir);
            int zstd = nq_rng_below(&r, 2) ? NQ_BACKUP_COMPRESS : 0;
            nq_backup_info info;
            OK(db, nq_backup(db, p->dir, p->kind | zstd, p->parent < 0 ? NULL : pts[p->parent].dir,
                             &info));
            assert_int_equal(info.compressed, zstd != 0);
            if (p->kind == NQ_BACKUP_FULL)
                last_full = i;
            memcpy(p->model, model, sizeof model);
            /* the database file after a checkpoint holds exactly the snapshot's pages */
            OK(db, nq_checkpoint(db));
            p->file = tf_slurp("chain.db", &p->file_len);
        }
        OK(db, nq_close(db));
        for (int i = 0; i < CHAIN_STEPS; i++) {
            const char *dirs[CHAIN_STEPS];
            int n = 0;
            for (int j = i; j >= 0; j = pts[j].parent)
                dirs[n++] = pts[j].dir;
            for (int a = 0, b = n - 1; a < b; a++, b--) {
                const char *x = dirs[a];
                dirs[a] = dirs[b];
                dirs[b] = x;
            }
            char msg[600];
            if (nq_backup_verify(NULL, dirs, n, msg, sizeof msg))
                fail_msg("seed %llu point %d: verify: %s", (unsigned long long)seed, i, msg);
            tf_rm_db("chain_r.db");
            restore_ok(dirs, n, "chain_r.db", 0);
            size_t len = 0;
            uint8_t *f = tf_slurp("chain_r.db", &len);
            if (len != pts[i].file_len || memcmp(f, pts[i].file, len))
                fail_msg("seed %llu point %d (%d backups): restored pages differ",
                         (unsigned long long)seed, i, n);
            free(f);
            db = open_path("chain_r.db", NULL);
            check_model(db, pts[i].model);
            OK(db, nq_close(db));
        }
        for (int i = 0; i < CHAIN_STEPS; i++) {
            free(pts[i].file);
            rm_backup(pts[i].dir);
        }
    }
}

/* ---- tampering ---------------------------------------------------------------------------- */

static void expect_refused(const char *const *dirs, int n, const char *needle)
{
    char msg[600] = "";
    int rc = nq_backup_verify(NULL, dirs, n, msg, sizeof msg);
    if (rc == 0)
        fail_msg("verify accepted a damaged chain (expected \"%s\")", needle);
    if (!strstr(msg, needle))
        fail_msg("verify said \"%s\", expected it to name \"%s\"", msg, needle);
    tf_rm_db("tamper_r.db");
    rc = nq_restore(NULL, dirs, n, "tamper_r.db", 0, msg, sizeof msg);
    if (rc == 0)
        fail_msg("restore accepted a damaged chain (expected \"%s\")", needle);
    if (access("tamper_r.db", F_OK) == 0 || access("tamper_r.db.restoring", F_OK) == 0)
        fail_msg("a refused restore created its target or left its temporary file");
    /* forced over an existing database: that database stays as it was */
    tf_spit("keep_r.db", "precious", 8);
    rc = nq_restore(NULL, dirs, n, "keep_r.db", NQ_RESTORE_FORCE, msg, sizeof msg);
    if (rc == 0)
        fail_msg("a forced restore accepted a damaged chain (expected \"%s\")", needle);
    size_t len;
    uint8_t *b = tf_slurp("keep_r.db", &len);
    if (!b || len != 8 || memcmp(b, "precious", 8))
        fail_msg("a refused forced restore changed the existing database");
    free(b);
    if (access("keep_r.db.restoring", F_OK) == 0)
        fail_msg("a refused restore left its temporary file");
}

static void test_tampering(void **state)
{
    (void)state;
    tf_rm_db("t.db");
    tf_rm_db("other.db");
    nq_db *db = open_path("t.db", NULL);
    nq_rng r;
    nq_rng_seed(&r, 3);
    uint32_t model[NKEYS] = {0};
    apply_random(db, &r, model, 100);
    mk_backup_dir("tf");
    OK(db, nq_backup(db, "tf", NQ_BACKUP_FULL, NULL, NULL));
    apply_random(db, &r, model, 30);
    mk_backup_dir("ti1");
    OK(db, nq_backup(db, "ti1", NQ_BACKUP_INCREMENTAL, "tf", NULL));
    apply_random(db, &r, model, 30);
    mk_backup_dir("ti2");
    OK(db, nq_backup(db, "ti2", NQ_BACKUP_INCREMENTAL | NQ_BACKUP_COMPRESS, "ti1", NULL));
    OK(db, nq_close(db));
    nq_db *o = open_path("other.db", NULL);
    uint32_t omodel[NKEYS] = {0};
    apply_random(o, &r, omodel, 30);
    mk_backup_dir("of");
    OK(o, nq_backup(o, "of", NQ_BACKUP_FULL, NULL, NULL));
    apply_random(o, &r, omodel, 30);
    mk_backup_dir("oi");
    OK(o, nq_backup(o, "oi", NQ_BACKUP_INCREMENTAL, "of", NULL));
    OK(o, nq_close(o));

    const char *good[] = {"tf", "ti1", "ti2"};
    char msg[600];
    assert_int_equal(nq_backup_verify(NULL, good, 3, msg, sizeof msg), 0);

    /* a flipped byte anywhere: manifest lines, the data header, page numbers, page bodies,
     * page maps */
    const char *files[] = {"tf/MANIFEST", "ti1/MANIFEST", "ti2/MANIFEST",
                           "tf/pages.dat", "ti1/pages.dat", "ti2/pages.dat.zst",
                           "tf/pagemap", "ti1/pagemap", "ti2/pagemap"};
    for (size_t fi = 0; fi < sizeof files / sizeof *files; fi++) {
        size_t len;
        uint8_t *orig = tf_slurp(files[fi], &len);
        assert_non_null(orig);
        nq_rng_seed(&r, 100 + fi);
        for (int k = 0; k < 12; k++) {
            size_t off = k < 4 ? (size_t)k * 7 % len : nq_rng_below(&r, len);
            uint8_t *copy = malloc(len);
            memcpy(copy, orig, len);
            copy[off] ^= (uint8_t)(1u << nq_rng_below(&r, 8));
            tf_spit(files[fi], copy, len);
            expect_refused(good, 3, files[fi]);
            free(copy);
        }
        tf_spit(files[fi], orig, len - 1); /* truncated */
        expect_refused(good, 3, files[fi]);
        unlink(files[fi]); /* missing */
        expect_refused(good, 3, files[fi]);
        tf_spit(files[fi], orig, len);
        free(orig);
    }
    assert_int_equal(nq_backup_verify(NULL, good, 3, msg, sizeof msg), 0);

    const char *reordered[] = {"tf", "ti2", "ti1"};
    expect_refused(reordered, 3, "ti2");
    const char *gap[] = {"tf", "ti2"};
    expect_refused(gap, 2, "ti2");
    const char *no_full[] = {"ti1", "ti2"};
    expect_refused(no_full, 2, "ti1");
    const char *mixed[] = {"tf", "oi"};
    expect_refused(mixed, 2, "oi");
    const char *two_full[] = {"tf", "of"};
    expect_refused(two_full, 2, "of");

    /* an incremental built on a backup of another database is refused when it is taken */
    db = open_path("t.db", NULL);
    mk_backup_dir("bad");
    assert_int_not_equal(nq_backup(db, "bad", NQ_BACKUP_INCREMENTAL, "of", NULL), 0);
    assert_non_null(strstr(nq_errmsg(db), "another database"));
    /* a differential builds on a full backup only */
    assert_int_not_equal(nq_backup(db, "bad", NQ_BACKUP_DIFFERENTIAL, "ti1", NULL), 0);
    /* a backup never overwrites another */
    assert_int_equal(nq_backup(db, "tf", NQ_BACKUP_FULL, NULL, NULL), NQ_EEXIST);
    OK(db, nq_close(db));
    assert_int_equal(access("bad/MANIFEST", F_OK), -1);
    assert_int_equal(nq_backup_verify(NULL, good, 3, msg, sizeof msg), 0);
}

/* A database restored from an older backup and changed differently reuses commit sequence
 * numbers: an incremental backup of it on the newer backup of the old chain is refused (its
 * pages would not add up), while one on the backup it was restored from is right. */
static void test_diverged_database(void **state)
{
    (void)state;
    tf_rm_db("dv.db");
    tf_rm_db("dv2.db");
    tf_rm_db("dv_r.db");
    nq_db *db = open_path("dv.db", NULL);
    nq_rng r;
    nq_rng_seed(&r, 8);
    uint32_t model[NKEYS] = {0};
    apply_random(db, &r, model, 100);
    mk_backup_dir("dv1");
    OK(db, nq_backup(db, "dv1", NQ_BACKUP_FULL, NULL, NULL));
    uint32_t model1[NKEYS];
    memcpy(model1, model, sizeof model);
    for (int i = 0; i < 5; i++)
        apply_random(db, &r, model, 40);
    mk_backup_dir("dv2");
    OK(db, nq_backup(db, "dv2", NQ_BACKUP_INCREMENTAL, "dv1", NULL));
    OK(db, nq_close(db));

    const char *first[] = {"dv1"};
    restore_ok(first, 1, "dv2.db", 0);
    db = open_path("dv2.db", NULL);
    for (int i = 0; i < 8; i++) /* other changes, past dv2's commit sequence */
        apply_random(db, &r, model1, 40);
    mk_backup_dir("dv3");
    assert_int_equal(nq_backup(db, "dv3", NQ_BACKUP_INCREMENTAL, "dv2", NULL), NQ_EINVAL);
    assert_non_null(strstr(nq_errmsg(db), "no longer continues"));
    assert_int_equal(access("dv3/MANIFEST", F_OK), -1);
    assert_int_equal(access("dv3/pages.dat", F_OK), -1);
    assert_int_equal(access("dv3/pagemap", F_OK), -1);
    assert_int_equal(nq_backup(db, "dv3", NQ_BACKUP_DIFFERENTIAL, "dv1", NULL), 0);
    OK(db, nq_close(db));
    const char *chain[] = {"dv1", "dv3"};
    restore_ok(chain, 2, "dv_r.db", 0);
    db = open_path("dv_r.db", NULL);
    check_model(db, model1);
    OK(db, nq_close(db));
}

/* A backup of format 1 (no pagemap) is still verified and restored; an incremental does not
 * build on it (it has no page map to compare with). */
static void test_format1_backup(void **state)
{
    (void)state;
    tf_rm_db("f1.db");
    tf_rm_db("f1_r.db");
    nq_db *db = open_path("f1.db", NULL);
    nq_rng r;
    nq_rng_seed(&r, 9);
    uint32_t model[NKEYS] = {0};
    apply_random(db, &r, model, 80);
    mk_backup_dir("f1");
    OK(db, nq_backup(db, "f1", NQ_BACKUP_FULL, NULL, NULL));
    /* make it what format 1 wrote: the same manifest with version 1, and no pagemap */
    size_t len;
    char *text = (char *)tf_slurp("f1/MANIFEST", &len);
    bk_manifest m;
    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(bk_manifest_parse(text, len, &m, "f1/MANIFEST", &err), 0);
    assert_int_equal(m.version, 2);
    free(text);
    m.version = 1;
    assert_int_equal(bk_manifest_format(&m, &text, &len, &err), 0);
    tf_spit("f1/MANIFEST", text, len);
    free(text);
    unlink("f1/pagemap");
    const char *dirs[] = {"f1"};
    char msg[600];
    if (nq_backup_verify(NULL, dirs, 1, msg, sizeof msg))
        fail_msg("verify of a format 1 backup: %s", msg);
    restore_ok(dirs, 1, "f1_r.db", 0);
    mk_backup_dir("f1i");
    assert_int_equal(nq_backup(db, "f1i", NQ_BACKUP_INCREMENTAL, "f1", NULL), NQ_EINVAL);
    assert_non_null(strstr(nq_errmsg(db), "format 1"));
    OK(db, nq_close(db));
    db = open_path("f1_r.db", NULL);
    check_model(db, model);
    OK(db, nq_close(db));
}

static void test_restore_refuses_existing(void **state)
{
    (void)state;
    tf_rm_db("e.db");
    tf_rm_db("e_r.db");
    nq_db *db = open_path("e.db", NULL);
    nq_rng r;
    nq_rng_seed(&r, 4);
    uint32_t model[NKEYS] = {0};
    apply_random(db, &r, model, 50);
    mk_backup_dir("ef");
    OK(db, nq_backup(db, "ef", NQ_BACKUP_FULL, NULL, NULL));
    OK(db, nq_close(db));
    tf_spit("e_r.db", "precious", 8);
    const char *dirs[] = {"ef"};
    char msg[600];
    assert_int_equal(nq_restore(NULL, dirs, 1, "e_r.db", 0, msg, sizeof msg), NQ_EEXIST);
    assert_non_null(strstr(msg, "--force"));
    size_t len;
    uint8_t *b = tf_slurp("e_r.db", &len);
    assert_int_equal(len, 8);
    assert_memory_equal(b, "precious", 8);
    free(b);
    /* a stale log alone is refused too, and removed by a forced restore */
    unlink("e_r.db");
    tf_spit("e_r.db-wal", "stale log", 9);
    assert_int_equal(nq_restore(NULL, dirs, 1, "e_r.db", 0, msg, sizeof msg), NQ_EEXIST);
    tf_spit("e_r.db", "precious", 8);
    restore_ok(dirs, 1, "e_r.db", NQ_RESTORE_FORCE);
    assert_int_equal(access("e_r.db-wal", F_OK), -1);
    db = open_path("e_r.db", NULL);
    check_model(db, model);
    /* an open database is not overwritten even with force */
    assert_int_equal(nq_restore(NULL, dirs, 1, "e_r.db", NQ_RESTORE_FORCE, msg, sizeof msg),
                     NQ_ELOCKED);
    OK(db, nq_close(db));
    /* misuse */
    db = open_path("e.db", NULL);
    OK(db, nq_begin(db, NQ_TXN_READ));
    mk_backup_dir("ex");
    assert_int_equal(nq_backup(db, "ex", NQ_BACKUP_FULL, NULL, NULL), NQ_EMISUSE);
    OK(db, nq_rollback(db));
    assert_int_equal(nq_backup(db, "ex", NQ_BACKUP_INCREMENTAL, NULL, NULL), NQ_EINVAL);
    assert_int_equal(nq_backup(db, "ex", 7, NULL, NULL), NQ_EINVAL);
    OK(db, nq_close(db));
    assert_int_not_equal(nq_restore(NULL, dirs, 0, "x.db", 0, msg, sizeof msg), 0);
}

/* ---- crashes ------------------------------------------------------------------------------ */

static nq_db *fv_open_db(faultvfs *fv)
{
    return open_path("db", faultvfs_vfs(fv));
}

static void test_crash_during_backup(void **state)
{
    (void)state;
    faultvfs *base = faultvfs_new(1);
    nq_db *db = fv_open_db(base);
    nq_rng r;
    nq_rng_seed(&r, 5);
    uint32_t model[NKEYS] = {0};
    for (int i = 0; i < 4; i++)
        apply_random(db, &r, model, 80);
    OK(db, nq_backup(db, "b1", NQ_BACKUP_FULL, NULL, NULL));
    apply_random(db, &r, model, 40);
    OK(db, nq_close(db));

    for (int kind = NQ_BACKUP_FULL; kind <= NQ_BACKUP_INCREMENTAL; kind++) {
        /* count the mutating calls of one backup */
        faultvfs *fv = faultvfs_clone(base, 1);
        db = fv_open_db(fv);
        faultvfs_reset_counts(fv);
        OK(db, nq_backup(db, "b2", kind == NQ_BACKUP_FULL ? kind : kind | NQ_BACKUP_COMPRESS,
                         kind == NQ_BACKUP_FULL ? NULL : "b1", NULL));
        faultvfs_counts cnt;
        faultvfs_get_counts(fv, &cnt);
        OK(db, nq_close(db));
        faultvfs_free(fv);
        assert_true(cnt.mutating >= 6);
        print_message("%s backup: %llu mutating calls, each a crash point x 3 crash seeds\n",
                      kind == NQ_BACKUP_FULL ? "full" : "compressed incremental",
                      (unsigned long long)cnt.mutating);
        int verified_after_failure = 0;
        for (uint64_t n = 1; n <= cnt.mutating + 1; n++) {
            for (uint64_t cseed = 0; cseed < 3; cseed++) {
                fv = faultvfs_clone(base, n);
                nq_vfs *vfs = faultvfs_vfs(fv);
                db = fv_open_db(fv);
                faultvfs_crash_at(fv, n);
                int rc = nq_backup(db, "b2", kind == NQ_BACKUP_FULL ? kind : kind | NQ_BACKUP_COMPRESS,
                                   kind == NQ_BACKUP_FULL ? NULL : "b1", NULL);
                nq_close(db);
                faultvfs_crash(fv, n * 7 + cseed, FV_CRASH_POWERLOSS, NULL);
                const char *full[] = {"b2"}, *incr[] = {"b1", "b2"};
                const char *const *chain = kind == NQ_BACKUP_FULL ? full : incr;
                int nc = kind == NQ_BACKUP_FULL ? 1 : 2;
                char msg[600];
                int vrc = nq_backup_verify(vfs, chain, nc, msg, sizeof msg);
                if (rc != 0 && vrc == 0)
                    verified_after_failure++; /* complete on disk: restored and checked below */
                if (rc == 0 && vrc != 0)
                    fail_msg("kind %d: a backup that returned success does not verify after a "
                             "power loss: %s", kind, msg);
                if (vrc == 0) {
                    if (nq_restore(vfs, chain, nc, "restored", 0, msg, sizeof msg))
                        fail_msg("restore: %s", msg);
                    nq_db *rdb = open_path("restored", vfs);
                    check_model(rdb, model);
                    OK(rdb, nq_close(rdb));
                }
                /* the source is untouched */
                db = fv_open_db(fv);
                check_model(db, model);
                OK(db, nq_close(db));
                faultvfs_free(fv);
            }
        }
        /* only a crash at the very last call (the directory sync after the synced manifest)
         * can leave a backup that nq_backup reported failed but that is whole */
        assert_true(verified_after_failure <= 3);
    }
    faultvfs_free(base);
}

static void test_crash_during_restore(void **state)
{
    (void)state;
    faultvfs *base = faultvfs_new(2);
    nq_vfs *bvfs = faultvfs_vfs(base);
    nq_db *db = fv_open_db(base);
    nq_rng r;
    nq_rng_seed(&r, 6);
    uint32_t model[NKEYS] = {0};
    for (int i = 0; i < 4; i++)
        apply_random(db, &r, model, 80);
    OK(db, nq_backup(db, "b1", NQ_BACKUP_FULL, NULL, NULL));
    apply_random(db, &r, model, 40);
    OK(db, nq_backup(db, "b2", NQ_BACKUP_INCREMENTAL, "b1", NULL));
    OK(db, nq_close(db));
    const char *chain[] = {"b1", "b2"};
    char msg[600];
    faultvfs_reset_counts(base);
    faultvfs *fv = faultvfs_clone(base, 1);
    assert_int_equal(nq_restore(faultvfs_vfs(fv), chain, 2, "r", 0, msg, sizeof msg), 0);
    faultvfs_counts cnt;
    faultvfs_get_counts(fv, &cnt);
    faultvfs_free(fv);
    (void)bvfs;
    print_message("restore: %llu mutating calls, each a crash point\n",
                  (unsigned long long)cnt.mutating);
    for (uint64_t n = 1; n <= cnt.mutating + 1; n++) {
        fv = faultvfs_clone(base, n);
        nq_vfs *vfs = faultvfs_vfs(fv);
        faultvfs_crash_at(fv, n);
        int rc = nq_restore(vfs, chain, 2, "r", 0, msg, sizeof msg);
        faultvfs_crash(fv, n, FV_CRASH_POWERLOSS, NULL);
        nq_options o;
        nq_options_init(&o);
        o.vfs = vfs;
        o.no_create = 1;
        nq_db *rdb;
        int orc = nq_open("r", &o, &rdb);
        if (orc == 0 && faultvfs_exists(fv, "r") && rc != 0 && n < cnt.mutating)
            fail_msg("crash at %llu of %llu: the target exists before the restore's rename",
                     (unsigned long long)n, (unsigned long long)cnt.mutating);
        if (orc == 0) {
            check_model(rdb, model); /* whatever opens is the snapshot */
            OK(rdb, nq_close(rdb));
        } else {
            if (rc == 0)
                fail_msg("crash at %llu: a restore that returned success does not open",
                         (unsigned long long)n);
            nq_close(rdb);
        }
        faultvfs_free(fv);
    }
    faultvfs_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_same_pages),
        cmocka_unit_test(test_concurrent_writer),
        cmocka_unit_test(test_random_chains),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_diverged_database),
        cmocka_unit_test(test_format1_backup),
        cmocka_unit_test(test_restore_refuses_existing),
        cmocka_unit_test(test_crash_during_backup),
        cmocka_unit_test(test_crash_during_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
