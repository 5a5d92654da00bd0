/*
 * test_mvcc_crash.c — a concurrent transaction's commit cut by a power loss (faultvfs) at every
 * mutating call leaves all or nothing of its write set: after recovery the tree reads exactly
 * as before the commit or exactly as after it, passes the integrity check, and takes writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crashkit.h"
#include "faultvfs.h"
#include "kvmodel.h"
#include "nqdb.h"

#define DBPATH "mvcc.db"
#define NKEYS 300

static nq_db *open_db(faultvfs *fv)
{
    nq_options o;
    nq_options_init(&o);
    o.vfs = faultvfs_vfs(fv);
    o.page_size = 1024;
    o.checkpoint_pages = 100000;
    nq_db *db = NULL;
    if (nq_open(DBPATH, &o, &db)) {
        nq_close(db);
        return NULL;
    }
    return db;
}

static void key_of(int i, char *k) { snprintf(k, 16, "key%05d", i); }

/* The committed state: every third key, value "old". After the transaction: even keys "new"
 * (written), multiples of 9 deleted. */
static void model_before(kvm *m)
{
    for (int i = 0; i < NKEYS; i += 3) {
        char k[16];
        key_of(i, k);
        kvm_put(m, 0, k, strlen(k), "old", 3);
    }
}

static void model_after(kvm *m)
{
    model_before(m);
    for (int i = 0; i < NKEYS; i++) {
        char k[16];
        key_of(i, k);
        if (i % 9 == 0)
            kvm_del(m, 0, k, strlen(k));
        else if (i % 2 == 0)
            kvm_put(m, 0, k, strlen(k), "new-value-new-value", 19);
    }
}

/* Setup (durable, checkpointed), then the concurrent transaction with a crash armed at call n
 * (0: none). Returns 0 when the commit returned NQ_OK. */
static int run(faultvfs *fv, uint64_t n)
{
    nq_db *db = open_db(fv);
    assert_non_null(db);
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, crash_tree_name(0), NQ_TREE_CREATE, &t), NQ_OK);
    assert_int_equal(nq_begin(db, NQ_TXN_WRITE), NQ_OK);
    for (int i = 0; i < NKEYS; i += 3) {
        char k[16];
        key_of(i, k);
        assert_int_equal(nq_put(t, k, strlen(k), "old", 3, 0), NQ_OK);
    }
    assert_int_equal(nq_commit(db), NQ_OK);
    assert_int_equal(nq_checkpoint(db), NQ_OK);
    faultvfs_reset_counts(fv);
    assert_int_equal(nq_begin_concurrent(db, NQ_ISO_REPEATABLE_READ), NQ_OK);
    for (int i = 0; i < NKEYS; i++) {
        char k[16];
        key_of(i, k);
        if (i % 9 == 0) {
            int rc = nq_del(t, k, strlen(k));
            assert_true(rc == NQ_OK || rc == NQ_ENOTFOUND);
        } else if (i % 2 == 0) {
            assert_int_equal(nq_put(t, k, strlen(k), "new-value-new-value", 19, 0), NQ_OK);
        }
    }
    if (n)
        faultvfs_crash_at(fv, n);
    int rc = nq_commit(db);
    nq_tree_close(t);
    nq_close(db);
    return rc;
}

static void test_commit_powerloss(void **state)
{
    (void)state;
    kvm *before = kvm_new(1), *after = kvm_new(1);
    kvm_tree_create(before, 0);
    kvm_tree_create(after, 0);
    model_before(before);
    model_after(after);
    faultvfs *fv = faultvfs_new(1);
    assert_int_equal(run(fv, 0), NQ_OK);
    faultvfs_counts cnt;
    faultvfs_get_counts(fv, &cnt);
    uint64_t M = cnt.mutating;
    assert_true(M >= 3);
    print_message("commit: %llu mutating calls\n", (unsigned long long)M);
    faultvfs_free(fv);
    int saw_before = 0, saw_after = 0;
    for (uint64_t n = 1; n <= M + 1; n++) {
        for (int v = 0; v < 2; v++) {
            faultvfs *f = faultvfs_new(n);
            int rc = run(f, n);
            faultvfs_crash(f, n * 31 + (uint64_t)v, v ? FV_CRASH_PROCESS : FV_CRASH_POWERLOSS, NULL);
            nq_db *db = open_db(f);
            assert_non_null(db);
            kvm *got;
            char why[256];
            assert_int_equal(crash_db_snapshot(db, 1, &got, why, sizeof why), NQ_OK);
            int is_before = kvm_equal(got, before, NULL, 0), is_after = kvm_equal(got, after, NULL, 0);
            if (!is_before && !is_after)
                fail_msg("crash at call %llu (variant %d): neither before nor after the commit",
                         (unsigned long long)n, v);
            if (rc == NQ_OK && !is_after)
                fail_msg("crash at call %llu: a commit that returned is lost", (unsigned long long)n);
            saw_before |= is_before;
            saw_after |= is_after;
            char buf[1024];
            uint64_t problems = 0;
            assert_int_equal(crash_db_check(db, buf, sizeof buf, &problems), NQ_OK);
            nq_tree *t;
            assert_int_equal(nq_tree_open(db, crash_tree_name(0), 0, &t), NQ_OK);
            assert_int_equal(nq_put(t, "later", 5, "x", 1, 0), NQ_OK);
            nq_tree_close(t);
            kvm_free(got);
            nq_close(db);
            faultvfs_free(f);
        }
    }
    assert_true(saw_before && saw_after);
    kvm_free(before);
    kvm_free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_powerloss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
