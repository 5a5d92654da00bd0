/*
 * test_mvcc_exclusive.c — a concurrent transaction turning into the exclusive writer: on
 * nq_txn_exclusive, on creating a tree (it waits for the other concurrent writer, then goes on
 * with its own writes applied), on a write set over its memory budget (NQ_WS_BUDGET, with a
 * cursor that keeps working across the switch); a schema change since the snapshot fails the
 * upgrade with NQ_ESERIALIZE; two transactions upgrading at once: one deadlock victim.
 * Blocking is observed with nq_txn_info_get().waiting, never by sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cmocka.h>

#include "nqdb.h"

static nq_db *open_fresh(const char *path)
{
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(path);
    unlink(wal);
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.deadlock_timeout_ms = 20;
    nq_db *db;
    assert_int_equal(nq_open(path, &o, &db), NQ_OK);
    return db;
}

static void wait_blocked(nq_db *db)
{
    for (;;) {
        nq_txn_info info;
        assert_int_equal(nq_txn_info_get(db, &info), NQ_OK);
        if (info.waiting)
            return;
        sched_yield();
    }
}

static int get_eq(nq_tree *t, const char *k, const char *want)
{
    void *v;
    size_t vl;
    int rc = nq_get(t, k, strlen(k), &v, &vl);
    if (rc)
        return rc;
    int same = vl == strlen(want) && memcmp(v, want, vl) == 0;
    free(v);
    return same ? 0 : NQ_ERROR;
}

typedef struct job {
    pthread_t th;
    nq_db *db;
    nq_tree *t;
    int what; /* 0: create tree "new"; 1: nq_txn_exclusive */
    int rc;
} job;

static void *job_main(void *p)
{
    job *j = p;
    if (j->what == 0) {
        nq_tree *nt = NULL;
        j->rc = nq_tree_open(j->db, "new", NQ_TREE_CREATE, &nt);
        if (!j->rc)
            j->rc = nq_put(nt, "n", 1, "1", 1, 0);
        nq_tree_close(nt);
    } else {
        j->rc = nq_txn_exclusive(j->db);
    }
    return NULL;
}

static void test_upgrade_on_create(void **state)
{
    (void)state;
    nq_db *a = open_fresh("upc.db"), *b;
    nq_tree *ta, *tb;
    assert_int_equal(nq_tree_open(a, "t", NQ_TREE_CREATE, &ta), NQ_OK);
    assert_int_equal(nq_clone(a, &b), NQ_OK);
    assert_int_equal(nq_tree_open(b, "t", 0, &tb), NQ_OK);
    assert_int_equal(nq_begin_concurrent(a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin_concurrent(b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_put(ta, "x", 1, "A", 1, 0), NQ_OK);
    assert_int_equal(nq_put(tb, "y", 1, "B", 1, 0), NQ_OK);
    job j = {.db = a, .t = ta, .what = 0};
    assert_int_equal(pthread_create(&j.th, NULL, job_main, &j), 0);
    wait_blocked(a); /* the upgrade waits for b, a concurrent writer */
    assert_int_equal(nq_commit(b), NQ_OK);
    pthread_join(j.th, NULL);
    assert_int_equal(j.rc, NQ_OK);
    int mode;
    assert_int_equal(nq_in_txn(a, &mode), 1);
    assert_int_equal(mode, NQ_TXN_WRITE);
    assert_int_equal(get_eq(ta, "x", "A"), NQ_OK); /* its write set went into the tree */
    assert_int_equal(nq_txn_mark(a, &(uint64_t){0}), NQ_OK);
    assert_int_equal(nq_commit(a), NQ_OK);
    assert_int_equal(get_eq(tb, "x", "A"), NQ_OK);
    assert_int_equal(get_eq(tb, "y", "B"), NQ_OK);
    nq_tree *nt;
    assert_int_equal(nq_tree_open(b, "new", 0, &nt), NQ_OK);
    assert_int_equal(get_eq(nt, "n", "1"), NQ_OK);
    nq_tree_close(nt);
    /* dropping a tree inside a concurrent transaction works the same way */
    assert_int_equal(nq_begin_concurrent(a, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_int_equal(nq_tree_drop(a, "new"), NQ_OK);
    assert_int_equal(nq_commit(a), NQ_OK);
    assert_int_equal(nq_tree_open(b, "new", 0, &nt), NQ_ENOTFOUND);
    /* a schema change since the snapshot fails the upgrade */
    assert_int_equal(nq_begin_concurrent(a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(get_eq(ta, "x", "A"), NQ_OK);
    assert_int_equal(nq_tree_open(b, "other", NQ_TREE_CREATE, &nt), NQ_OK);
    nq_tree_close(nt);
    assert_int_equal(nq_txn_exclusive(a), NQ_ESERIALIZE);
    assert_non_null(strstr(nq_errmsg(a), "schema changed"));
    assert_int_equal(nq_in_txn(a, NULL), 0);
    assert_int_equal(nq_txn_exclusive(a), NQ_EMISUSE);
    nq_tree_close(ta);
    nq_tree_close(tb);
    assert_int_equal(nq_close(b), NQ_OK);
    assert_int_equal(nq_close(a), NQ_OK);
}

static void test_upgrade_on_budget(void **state)
{
    (void)state;
    setenv("NQ_WS_BUDGET", "8192", 1);
    nq_db *a = open_fresh("upb.db");
    unsetenv("NQ_WS_BUDGET");
    nq_tree *t;
    assert_int_equal(nq_tree_open(a, "t", NQ_TREE_CREATE, &t), NQ_OK);
    for (int i = 0; i < 50; i += 2) {
        char k[16];
        int kl = snprintf(k, sizeof k, "k%03d", i);
        assert_int_equal(nq_put(t, k, (size_t)kl, "committed", 9, 0), NQ_OK);
    }
    assert_int_equal(nq_begin_concurrent(a, NQ_ISO_READ_COMMITTED), NQ_OK);
    nq_cursor *c;
    assert_int_equal(nq_cursor_open(t, &c), NQ_OK);
    assert_int_equal(nq_cursor_first(c), NQ_OK);
    int mode = 0, steps = 1, switched_at = -1;
    char val[400];
    memset(val, 'v', sizeof val);
    for (int i = 1; i < 50; i += 2) {
        char k[16];
        int kl = snprintf(k, sizeof k, "k%03d", i);
        assert_int_equal(nq_put(t, k, (size_t)kl, val, sizeof val, 0), NQ_OK);
        nq_in_txn(a, &mode);
        if (mode == NQ_TXN_WRITE && switched_at < 0)
            switched_at = i;
        if (nq_cursor_next(c) == NQ_OK)
            steps++;
    }
    assert_true(switched_at > 1); /* it began concurrent and became exclusive */
    while (nq_cursor_next(c) == NQ_OK)
        steps++;
    assert_true(steps >= 26); /* every committed key and the writes after the cursor */
    nq_cursor_close(c);
    uint64_t n;
    assert_int_equal(nq_tree_count(t, &n), NQ_OK);
    assert_int_equal(n, 50);
    assert_int_equal(nq_commit(a), NQ_OK);
    assert_int_equal(nq_tree_count(t, &n), NQ_OK);
    assert_int_equal(n, 50);
    uint64_t problems = 1;
    assert_int_equal(nq_check(a, NULL, NULL, &problems), NQ_OK);
    nq_tree_close(t);
    assert_int_equal(nq_close(a), NQ_OK);
}

/* Both hold "d" ROW EXCLUSIVE and ask for ACCESS EXCLUSIVE: one is the victim. */
static void test_upgrade_deadlock(void **state)
{
    (void)state;
    nq_db *a = open_fresh("upd.db"), *b;
    nq_tree *ta, *tb;
    assert_int_equal(nq_tree_open(a, "t", NQ_TREE_CREATE, &ta), NQ_OK);
    assert_int_equal(nq_clone(a, &b), NQ_OK);
    assert_int_equal(nq_tree_open(b, "t", 0, &tb), NQ_OK);
    assert_int_equal(nq_begin_concurrent(a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin_concurrent(b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_put(ta, "x", 1, "A", 1, 0), NQ_OK);
    assert_int_equal(nq_put(tb, "y", 1, "B", 1, 0), NQ_OK);
    job j = {.db = a, .t = ta, .what = 1};
    assert_int_equal(pthread_create(&j.th, NULL, job_main, &j), 0);
    wait_blocked(a);
    int rb = nq_txn_exclusive(b);
    if (rb == NQ_EDEADLOCK) {
        assert_int_equal(nq_in_txn(b, NULL), 0);
        pthread_join(j.th, NULL);
        assert_int_equal(j.rc, NQ_OK);
        assert_int_equal(nq_commit(a), NQ_OK);
    } else {
        assert_int_equal(rb, NQ_OK);
        pthread_join(j.th, NULL);
        assert_int_equal(j.rc, NQ_EDEADLOCK);
        assert_int_equal(nq_commit(b), NQ_OK);
    }
    nq_tree_close(ta);
    nq_tree_close(tb);
    assert_int_equal(nq_close(b), NQ_OK);
    assert_int_equal(nq_close(a), NQ_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upgrade_on_create),
        cmocka_unit_test(test_upgrade_on_budget),
        cmocka_unit_test(test_upgrade_deadlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
