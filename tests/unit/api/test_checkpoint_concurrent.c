/*
 * test_checkpoint_concurrent.c — an explicit checkpoint beside concurrent transactions.
 *
 * A concurrent transaction is a reader of its snapshot until it commits, and it needs the
 * pager's writer role to commit. nq_checkpoint waits for readers of older snapshots; it used to
 * hold the writer role while waiting, so the transaction's commit and the checkpoint waited on
 * each other until busy_timeout (both then failed with NQ_EBUSY). The checkpoint now waits
 * without the role: the commit goes through, then the checkpoint completes and restarts the
 * log. The test lets the checkpoint thread reach its wait before committing (a short pause:
 * without it the order may differ, and the test then passes whatever the code does — it can
 * only fail when the stall exists).
 */
#include <pthread.h>
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

static void *do_checkpoint(void *arg)
{
    nq_db *db = arg;
    intptr_t rc = nq_checkpoint(db);
    return (void *)rc;
}

static void test_commit_beside_waiting_checkpoint(void **state)
{
    (void)state;
    const char *path = "test_checkpoint_concurrent.db";
    unlink(path);
    unlink("test_checkpoint_concurrent.db-wal");
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.busy_timeout_ms = 3000;
    nq_db *a, *b, *c;
    assert_int_equal(nq_open(path, &o, &a), NQ_OK);
    assert_int_equal(nq_clone(a, &b), NQ_OK);
    assert_int_equal(nq_clone(a, &c), NQ_OK);
    nq_tree *ta, *tb;
    assert_int_equal(nq_tree_open(a, "kv", NQ_TREE_CREATE, &ta), NQ_OK);
    assert_int_equal(nq_put(ta, "x", 1, "1", 1, 0), NQ_OK);
    assert_int_equal(nq_tree_open(b, "kv", 0, &tb), NQ_OK);

    /* b's snapshot, then a newer commit by a: b now reads an older snapshot */
    assert_int_equal(nq_begin_concurrent(b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    void *v;
    size_t vl;
    assert_int_equal(nq_get(tb, "x", 1, &v, &vl), NQ_OK);
    free(v);
    assert_int_equal(nq_put(ta, "y", 1, "2", 1, 0), NQ_OK);

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, do_checkpoint, c), 0);
    usleep(100 * 1000); /* let the checkpoint reach its wait for b */
    assert_int_equal(nq_put(tb, "z", 1, "3", 1, 0), NQ_OK);
    int rc = nq_commit(b);
    if (rc)
        fprintf(stderr, "commit: %s\n", nq_errmsg(b));
    assert_int_equal(rc, NQ_OK);
    void *res;
    pthread_join(th, &res);
    if ((intptr_t)res)
        fprintf(stderr, "checkpoint: %s\n", nq_errmsg(c));
    assert_int_equal((intptr_t)res, NQ_OK);

    nq_stats st;
    assert_int_equal(nq_get_stats(a, &st), NQ_OK);
    assert_int_equal(st.wal_frames, 0); /* the log restarted */
    assert_int_equal(nq_get(ta, "z", 1, &v, &vl), NQ_OK);
    free(v);
    nq_tree_close(ta);
    nq_tree_close(tb);
    nq_close(c);
    nq_close(b);
    nq_close(a);
    unlink(path);
    unlink("test_checkpoint_concurrent.db-wal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_beside_waiting_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
