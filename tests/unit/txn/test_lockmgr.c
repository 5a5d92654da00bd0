/*
 * test_lockmgr.c — the lock manager (src/txn/lockmgr.h): the conflict table checked pair by
 * pair against PostgreSQL's table written out independently here, re-entrancy and upgrades,
 * deadlock cycles of 2, 3 and 8 transactions on threads (exactly one victim, the others get
 * their locks once it ends; the message names every member), the upgrade deadlock of two
 * share holders, lock timeout, NOWAIT, interrupt, releases waking waiters, FIFO fairness,
 * savepoint marks and the statistics; a randomized stress of threads against a shadow table
 * of what they hold.
 *
 * Each transaction that must block runs on a worker thread fed one command at a time; "it is
 * blocked" is read from lm_waiting(), never assumed after a sleep.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nqdb.h"
#include "txn/lockmgr.h"

#define DL_MS 20 /* deadlock_timeout in these tests */

/* ---- workers: one transaction per thread ---- */

enum { CMD_NONE, CMD_LOCK, CMD_END, CMD_QUIT };

typedef struct worker {
    pthread_t th;
    lockmgr *lm;
    lm_owner *o;
    uint64_t txid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int cmd;           /* pending command (under mu) */
    char obj[32];
    int mode;
    unsigned lock_timeout_ms, deadlock_timeout_ms;
    const int *interrupt;
    int done;          /* the last command finished (under mu) */
    int rc;
    nq_err err;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->cmd == CMD_NONE)
            pthread_cond_wait(&w->cv, &w->mu);
        int cmd = w->cmd;
        pthread_mutex_unlock(&w->mu);
        int rc = 0;
        nq_err e;
        nq_err_clear(&e);
        if (cmd == CMD_LOCK)
            rc = lm_lock(w->o, w->obj, strlen(w->obj), w->mode, w->obj, w->lock_timeout_ms,
                         w->deadlock_timeout_ms, w->interrupt, &e);
        else if (cmd == CMD_END) {
            lm_owner_end(w->o);
            w->o = NULL;
        }
        pthread_mutex_lock(&w->mu);
        w->rc = rc;
        w->err = e;
        w->cmd = CMD_NONE;
        w->done = 1;
        pthread_cond_broadcast(&w->cv);
        if (cmd == CMD_QUIT)
            break;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void worker_start(worker *w, lockmgr *lm, uint64_t txid)
{
    memset(w, 0, sizeof *w);
    w->lm = lm;
    w->txid = txid;
    w->o = lm_owner_begin(lm, txid);
    assert_non_null(w->o);
    w->deadlock_timeout_ms = DL_MS;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    assert_int_equal(pthread_create(&w->th, NULL, worker_main, w), 0);
}

static void worker_send(worker *w, int cmd)
{
    pthread_mutex_lock(&w->mu);
    w->done = 0;
    w->cmd = cmd;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Ask the worker to lock obj in mode (returns at once; see worker_wait / wait_blocked). */
static void worker_lock(worker *w, const char *obj, int mode)
{
    snprintf(w->obj, sizeof w->obj, "%s", obj);
    w->mode = mode;
    worker_send(w, CMD_LOCK);
}

static int worker_is_done(worker *w)
{
    pthread_mutex_lock(&w->mu);
    int d = w->done;
    pthread_mutex_unlock(&w->mu);
    return d;
}

static int worker_wait(worker *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = w->rc;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Wait until the worker's lock request is blocked inside lm_lock (fails if it finished). */
static void wait_blocked(worker *w)
{
    while (!lm_waiting(w->o)) {
        if (worker_is_done(w))
            fail_msg("transaction %llu was expected to block but got rc %d: %s",
                     (unsigned long long)w->txid, w->rc, w->err.msg);
        sched_yield();
    }
}

static int lock_now(worker *w, const char *obj, int mode)
{
    worker_lock(w, obj, mode);
    return worker_wait(w);
}

static void worker_end(worker *w)
{
    if (w->o) {
        worker_send(w, CMD_END);
        worker_wait(w);
    }
}

static void worker_quit(worker *w)
{
    worker_end(w);
    worker_send(w, CMD_QUIT);
    pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

/* Index of the first worker of ws[0..n) that finished its command (polls, never sleeps). */
static int wait_any(worker *ws, int n)
{
    for (;;) {
        for (int i = 0; i < n; i++)
            if (worker_is_done(&ws[i]))
                return i;
        sched_yield();
    }
}

static int lk(lm_owner *o, const char *obj, int mode, nq_err *e)
{
    return lm_lock(o, obj, strlen(obj), mode, obj, 0, DL_MS, NULL, e);
}

static uint64_t held(lockmgr *lm)
{
    lm_stats s;
    lm_get_stats(lm, &s);
    return s.held;
}

/* ---- the conflict table ---- */

/* PostgreSQL's table-level lock conflicts (documentation, "Conflicting Lock Modes"), rows and
 * columns in the order ACCESS SHARE .. ACCESS EXCLUSIVE; 'X' = conflict. */
static const char *const pg_table[8] = {
    /*         AS RS RE SUE S SRE E AE */
    /* AS  */ ".......X",
    /* RS  */ "......XX",
    /* RE  */ "....XXXX",
    /* SUE */ "...XXXXX",
    /* S   */ "..XX.XXX",
    /* SRE */ "..XXXXXX",
    /* E   */ ".XXXXXXX",
    /* AE  */ "XXXXXXXX",
};

static int expect_conflict(int a, int b)
{
    /* row modes: FOR SHARE-like (1) is compatible with itself only; FOR UPDATE-like (2)
     * conflicts with both */
    if (a <= 2 && b <= 2)
        return a == NQ_LOCK_ROW_UPDATE_KEY || b == NQ_LOCK_ROW_UPDATE_KEY;
    if (a <= 2 || b <= 2)
        return 1; /* a row mode and a table mode on one object */
    return pg_table[a - NQ_LOCK_ACCESS_SHARE][b - NQ_LOCK_ACCESS_SHARE] == 'X';
}

static const int all_modes[] = {
    NQ_LOCK_ROW_SHARE_KEY, NQ_LOCK_ROW_UPDATE_KEY, NQ_LOCK_ACCESS_SHARE,
    NQ_LOCK_ROW_SHARE, NQ_LOCK_ROW_EXCLUSIVE, NQ_LOCK_SHARE_UPDATE_EXCLUSIVE,
    NQ_LOCK_SHARE, NQ_LOCK_SHARE_ROW_EXCLUSIVE, NQ_LOCK_EXCLUSIVE,
    NQ_LOCK_ACCESS_EXCLUSIVE,
};
#define NMODES (int)(sizeof all_modes / sizeof all_modes[0])

static void test_conflict_table(void **state)
{
    (void)state;
    /* the table above is symmetric, as PostgreSQL's is */
    for (int a = 0; a < NMODES; a++)
        for (int b = 0; b < NMODES; b++)
            assert_int_equal(expect_conflict(all_modes[a], all_modes[b]),
                             expect_conflict(all_modes[b], all_modes[a]));
    lockmgr *lm = lm_create();
    assert_non_null(lm);
    for (int a = 0; a < NMODES; a++)
        for (int b = 0; b < NMODES; b++) {
            lm_owner *x = lm_owner_begin(lm, 1), *y = lm_owner_begin(lm, 2);
            nq_err e;
            nq_err_clear(&e);
            assert_int_equal(lk(x, "t", all_modes[a], &e), 0);
            int rc = lk(y, "t", all_modes[b] | NQ_LOCK_NOWAIT, &e);
            int want = expect_conflict(all_modes[a], all_modes[b]);
            if (rc != (want ? NQ_ELOCKTIMEOUT : 0))
                fail_msg("held %d, asked %d: rc %d, expected %s (%s)", all_modes[a],
                         all_modes[b], rc, want ? "a conflict" : "a grant", e.msg);
            lm_owner_end(y);
            /* the same owner is never in conflict with itself */
            assert_int_equal(lk(x, "t", all_modes[b] | NQ_LOCK_NOWAIT, &e), 0);
            lm_owner_end(x);
        }
    assert_int_equal(held(lm), 0);
    lm_owner *o = lm_owner_begin(lm, 1);
    nq_err e;
    assert_int_equal(lk(o, "t", 3, &e), NQ_EINVAL);
    assert_int_equal(lk(o, "t", 19, &e), NQ_EINVAL);
    assert_int_equal(lk(o, "t", 0, &e), NQ_EINVAL);
    lm_owner_end(o);
    lm_destroy(lm);
}

/* ---- re-entrancy and upgrades (one thread, NOWAIT) ---- */

static void test_reentrant_upgrade(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    lm_owner *a = lm_owner_begin(lm, 1), *b = lm_owner_begin(lm, 2);
    nq_err e;
    nq_err_clear(&e);
    assert_int_equal(lk(a, "r1", NQ_LOCK_ROW_UPDATE_KEY, &e), 0);
    assert_int_equal(held(lm), 1);
    /* again, and a weaker mode: granted at once, nothing new recorded */
    assert_int_equal(lk(a, "r1", NQ_LOCK_ROW_UPDATE_KEY, &e), 0);
    assert_int_equal(lk(a, "r1", NQ_LOCK_ROW_SHARE_KEY, &e), 0);
    assert_int_equal(held(lm), 1);
    assert_int_equal(lm_mark(a), 1);
    /* ACCESS EXCLUSIVE covers every table mode */
    assert_int_equal(lk(a, "t", NQ_LOCK_ACCESS_EXCLUSIVE, &e), 0);
    for (int m = NQ_LOCK_ACCESS_SHARE; m <= NQ_LOCK_ACCESS_EXCLUSIVE; m++)
        assert_int_equal(lk(a, "t", m, &e), 0);
    assert_int_equal(held(lm), 2);
    /* SHARE does not cover ROW EXCLUSIVE: a second mode is recorded */
    assert_int_equal(lk(a, "u", NQ_LOCK_SHARE, &e), 0);
    assert_int_equal(lk(a, "u", NQ_LOCK_ROW_EXCLUSIVE, &e), 0);
    assert_int_equal(held(lm), 4);
    /* upgrade: two share holders; one upgrade waits (NOWAIT fails) until the other ends */
    assert_int_equal(lk(a, "r2", NQ_LOCK_ROW_SHARE_KEY, &e), 0);
    assert_int_equal(lk(b, "r2", NQ_LOCK_ROW_SHARE_KEY, &e), 0);
    assert_int_equal(lk(a, "r2", NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_NOWAIT, &e), NQ_ELOCKTIMEOUT);
    assert_non_null(strstr(e.msg, "could not obtain ROW UPDATE lock on r2 held by transaction 2"));
    lm_owner_end(b);
    assert_int_equal(lk(a, "r2", NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_NOWAIT, &e), 0);
    b = lm_owner_begin(lm, 3);
    assert_int_equal(lk(b, "r2", NQ_LOCK_ROW_SHARE_KEY | NQ_LOCK_NOWAIT, &e), NQ_ELOCKTIMEOUT);
    /* different bytes are different objects; equal bytes one object */
    assert_int_equal(lk(b, "r3", NQ_LOCK_ROW_UPDATE_KEY, &e), 0);
    char k1[3] = {'r', 0, 1}, k2[3] = {'r', 0, 2};
    assert_int_equal(lm_lock(a, k1, 3, NQ_LOCK_ROW_UPDATE_KEY, "k1", 0, DL_MS, NULL, &e), 0);
    assert_int_equal(lm_lock(b, k2, 3, NQ_LOCK_ROW_UPDATE_KEY, "k2", 0, DL_MS, NULL, &e), 0);
    assert_int_equal(lm_lock(b, k1, 2, NQ_LOCK_ROW_UPDATE_KEY, "k1", 0, DL_MS, NULL, &e), 0);
    assert_int_equal(
        lm_lock(b, k1, 3, NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_NOWAIT, "k1", 0, DL_MS, NULL, &e),
        NQ_ELOCKTIMEOUT);
    lm_owner_end(a);
    lm_owner_end(b);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}

/* ---- savepoint marks ---- */

static void test_marks(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    lm_owner *a = lm_owner_begin(lm, 1), *b = lm_owner_begin(lm, 2);
    nq_err e;
    assert_int_equal(lk(a, "o1", NQ_LOCK_ROW_SHARE_KEY, &e), 0);
    uint64_t m = lm_mark(a);
    assert_int_equal(lk(a, "o2", NQ_LOCK_ROW_UPDATE_KEY, &e), 0);
    assert_int_equal(lk(a, "o1", NQ_LOCK_ROW_UPDATE_KEY, &e), 0); /* upgrade after the mark */
    uint64_t m2 = lm_mark(a);
    assert_int_equal(lk(a, "o3", NQ_LOCK_EXCLUSIVE, &e), 0);
    assert_int_equal(held(lm), 4);
    lm_release_to(a, m2);
    assert_int_equal(held(lm), 3);
    assert_int_equal(lk(b, "o3", NQ_LOCK_EXCLUSIVE | NQ_LOCK_NOWAIT, &e), 0);
    assert_int_equal(lk(b, "o2", NQ_LOCK_ROW_SHARE_KEY | NQ_LOCK_NOWAIT, &e), NQ_ELOCKTIMEOUT);
    lm_release_to(a, m);
    assert_int_equal(lm_mark(a), m);
    /* o2 is free, o1 is back to the share lock taken before the mark */
    assert_int_equal(lk(b, "o2", NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_NOWAIT, &e), 0);
    assert_int_equal(lk(b, "o1", NQ_LOCK_ROW_SHARE_KEY | NQ_LOCK_NOWAIT, &e), 0);
    assert_int_equal(lk(b, "o1", NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_NOWAIT, &e), NQ_ELOCKTIMEOUT);
    lm_release_to(a, 0);
    assert_int_equal(lm_mark(a), 0);
    assert_int_equal(lk(b, "o1", NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_NOWAIT, &e), 0);
    lm_release_to(a, 5); /* beyond what it holds: nothing */
    lm_owner_end(a);
    lm_owner_end(b);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}

/* ---- deadlock cycles ---- */

/* n transactions, transaction i (txid 100+i) holds row i and then asks for row i+1 (mod n).
 * Exactly one is the victim; after it ends, every other one gets its lock. */
static void ring(int n, int upgrade)
{
    lockmgr *lm = lm_create();
    worker *ws = calloc((size_t)n, sizeof *ws);
    char obj[32];
    for (int i = 0; i < n; i++) {
        worker_start(&ws[i], lm, 100 + (uint64_t)i);
        if (upgrade) /* everybody shares one row, then everybody upgrades */
            assert_int_equal(lock_now(&ws[i], "row 0", NQ_LOCK_ROW_SHARE_KEY), 0);
        else {
            snprintf(obj, sizeof obj, "row %d", i);
            assert_int_equal(lock_now(&ws[i], obj, NQ_LOCK_ROW_UPDATE_KEY), 0);
        }
    }
    /* all but the last wait; the last one closes the cycle */
    for (int i = 0; i < n; i++) {
        snprintf(obj, sizeof obj, "row %d", upgrade ? 0 : (i + 1) % n);
        worker_lock(&ws[i], obj, NQ_LOCK_ROW_UPDATE_KEY);
        if (i < n - 1)
            wait_blocked(&ws[i]);
    }
    int v = wait_any(ws, n);
    assert_int_equal(ws[v].rc, NQ_EDEADLOCK);
    const char *msg = ws[v].err.msg;
    assert_non_null(strstr(msg, n > 3 ? "deadlock detected among " : "deadlock detected: "));
    for (int i = 0; i < n; i++) { /* every member is named */
        char id[16];
        snprintf(id, sizeof id, "%d", 100 + i);
        if (!strstr(msg, id))
            fail_msg("transaction %s is not named in: %s", id, msg);
        if (i != v && worker_is_done(&ws[i]))
            fail_msg("a second transaction (%d) finished before the victim ended: %s", 100 + i,
                     ws[i].err.msg);
    }
    if (n == 2 && !upgrade) {
        char want[256];
        int o = 1 - v;
        snprintf(want, sizeof want,
                 "deadlock detected: transaction %d waits for ROW UPDATE lock on row %d held by "
                 "transaction %d; transaction %d waits for ROW UPDATE lock on row %d held by "
                 "transaction %d",
                 100 + v, o, 100 + o, 100 + o, v, 100 + v);
        assert_string_equal(msg, want);
    }
    if (upgrade && n == 2)
        assert_non_null(strstr(msg, "ROW UPDATE lock on row 0 held by transaction"));
    lm_stats st;
    lm_get_stats(lm, &st);
    assert_int_equal(st.deadlocks, 1);
    /* the victim ends (its locks go); the cycle unwinds: the waiter on the victim's row gets
     * it, ends, and so on around the ring */
    worker_end(&ws[v]);
    for (int k = 1; k < n; k++) {
        int i = upgrade ? -1 : (v - k + n) % n; /* who waited for the row just freed */
        if (upgrade) { /* all the others wait for row 0: one of them gets it */
            for (;;) {
                for (int j = 0; j < n && i < 0; j++)
                    if (j != v && ws[j].o && worker_is_done(&ws[j]))
                        i = j;
                if (i >= 0)
                    break;
                sched_yield();
            }
        }
        assert_int_equal(worker_wait(&ws[i]), 0);
        worker_end(&ws[i]);
    }
    lm_get_stats(lm, &st);
    assert_int_equal(st.deadlocks, 1);
    assert_int_equal(st.held, 0);
    assert_true(st.waits >= (uint64_t)n);
    for (int i = 0; i < n; i++)
        worker_quit(&ws[i]);
    free(ws);
    lm_destroy(lm);
}

static void test_deadlock_2(void **state)
{
    (void)state;
    for (int rep = 0; rep < 5; rep++)
        ring(2, 0);
}

static void test_deadlock_3(void **state)
{
    (void)state;
    for (int rep = 0; rep < 3; rep++)
        ring(3, 0);
}

static void test_deadlock_8(void **state)
{
    (void)state;
    ring(8, 0);
}

static void test_deadlock_upgrade(void **state)
{
    (void)state;
    for (int rep = 0; rep < 3; rep++)
        ring(2, 1);
}

/* A table-lock cycle through a queued waiter: A holds ACCESS SHARE on t, B waits for ACCESS
 * EXCLUSIVE on t, C holds row x and asks ACCESS SHARE on t (queued behind B: FIFO), A asks
 * row x. A -> C -> B -> A. */
static void test_deadlock_through_queue(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    worker w[3];
    for (int i = 0; i < 3; i++)
        worker_start(&w[i], lm, 1 + (uint64_t)i);
    assert_int_equal(lock_now(&w[0], "t", NQ_LOCK_ACCESS_SHARE), 0);
    assert_int_equal(lock_now(&w[2], "x", NQ_LOCK_ROW_UPDATE_KEY), 0);
    worker_lock(&w[1], "t", NQ_LOCK_ACCESS_EXCLUSIVE);
    wait_blocked(&w[1]);
    worker_lock(&w[2], "t", NQ_LOCK_ACCESS_SHARE);
    wait_blocked(&w[2]);
    worker_lock(&w[0], "x", NQ_LOCK_ROW_UPDATE_KEY);
    int v = wait_any(w, 3);
    assert_int_equal(w[v].rc, NQ_EDEADLOCK);
    assert_non_null(strstr(w[v].err.msg, "queued behind transaction 2"));
    worker_end(&w[v]);
    /* the rest finish in an order that depends on who the victim was: end each as it gets
     * its lock */
    for (int k = 0; k < 2; k++) {
        int i = -1;
        while (i < 0) {
            for (int j = 0; j < 3 && i < 0; j++)
                if (w[j].o && worker_is_done(&w[j]))
                    i = j;
            sched_yield();
        }
        assert_int_equal(w[i].rc, 0);
        worker_end(&w[i]);
    }
    assert_int_equal(held(lm), 0);
    for (int i = 0; i < 3; i++)
        worker_quit(&w[i]);
    lm_destroy(lm);
}

/* ---- waits without a cycle ---- */

static void test_release_wakes_waiters(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    worker w[4];
    for (int i = 0; i < 4; i++)
        worker_start(&w[i], lm, 1 + (uint64_t)i);
    assert_int_equal(lock_now(&w[0], "t", NQ_LOCK_ACCESS_EXCLUSIVE), 0);
    for (int i = 1; i < 4; i++) {
        worker_lock(&w[i], "t", NQ_LOCK_ACCESS_SHARE);
        wait_blocked(&w[i]);
    }
    /* past the deadlock timeout, no cycle: they keep waiting (a sleep here only makes the
     * check run; nothing is decided by it) */
    struct timespec ts = {0, 3 * DL_MS * 1000000L};
    nanosleep(&ts, NULL);
    for (int i = 1; i < 4; i++)
        assert_true(lm_waiting(w[i].o));
    worker_end(&w[0]);
    for (int i = 1; i < 4; i++)
        assert_int_equal(worker_wait(&w[i]), 0);
    assert_int_equal(held(lm), 3);
    lm_stats st;
    lm_get_stats(lm, &st);
    assert_int_equal(st.waits, 3);
    assert_int_equal(st.deadlocks, 0);
    assert_true(st.wait_ns > 0);
    for (int i = 0; i < 4; i++)
        worker_quit(&w[i]);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}

/* An exclusive waiter is not overtaken by share requests that come after it. */
static void test_fairness(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    worker w[4];
    for (int i = 0; i < 4; i++)
        worker_start(&w[i], lm, 1 + (uint64_t)i);
    assert_int_equal(lock_now(&w[0], "r", NQ_LOCK_ROW_SHARE_KEY), 0);
    worker_lock(&w[1], "r", NQ_LOCK_ROW_UPDATE_KEY);
    wait_blocked(&w[1]);
    /* compatible with the holder, but queued behind the update waiter */
    worker_lock(&w[2], "r", NQ_LOCK_ROW_SHARE_KEY);
    wait_blocked(&w[2]);
    worker_lock(&w[3], "r", NQ_LOCK_ROW_SHARE_KEY);
    wait_blocked(&w[3]);
    worker_end(&w[0]);
    assert_int_equal(worker_wait(&w[1]), 0);
    /* granting the writer and leaving the readers queued happened in one step */
    assert_true(lm_waiting(w[2].o));
    assert_true(lm_waiting(w[3].o));
    worker_end(&w[1]);
    assert_int_equal(worker_wait(&w[2]), 0);
    assert_int_equal(worker_wait(&w[3]), 0);
    for (int i = 0; i < 4; i++)
        worker_quit(&w[i]);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}

static void test_timeout_nowait(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    worker w[2];
    for (int i = 0; i < 2; i++)
        worker_start(&w[i], lm, 12 + (uint64_t)i);
    assert_int_equal(lock_now(&w[0], "row 3 of \"accounts\"", NQ_LOCK_ROW_UPDATE_KEY), 0);
    w[1].lock_timeout_ms = 30;
    assert_int_equal(lock_now(&w[1], "row 3 of \"accounts\"", NQ_LOCK_ROW_SHARE_KEY),
                     NQ_ELOCKTIMEOUT);
    assert_string_equal(w[1].err.msg,
                        "canceling statement due to lock timeout: transaction 13 waits for ROW "
                        "SHARE lock on row 3 of \"accounts\" held by transaction 12");
    assert_false(lm_waiting(w[1].o));
    assert_int_equal(lock_now(&w[1], "row 3 of \"accounts\"",
                              NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_NOWAIT),
                     NQ_ELOCKTIMEOUT);
    assert_string_equal(w[1].err.msg, "could not obtain ROW UPDATE lock on row 3 of "
                                      "\"accounts\" held by transaction 12");
    lm_stats st;
    lm_get_stats(lm, &st);
    assert_int_equal(st.waits, 2);
    assert_int_equal(st.timeouts, 2);
    /* nothing of the failed requests is left: the holder ends, the lock is free */
    worker_end(&w[0]);
    w[1].lock_timeout_ms = 0;
    assert_int_equal(lock_now(&w[1], "row 3 of \"accounts\"", NQ_LOCK_ROW_UPDATE_KEY), 0);
    for (int i = 0; i < 2; i++)
        worker_quit(&w[i]);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}

/* A waiter that gives up (here: interrupted) lets the requests queued behind it pass. */
static void test_withdrawn_unblocks_queue(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    worker w[3];
    for (int i = 0; i < 3; i++)
        worker_start(&w[i], lm, 1 + (uint64_t)i);
    int flag = 0;
    assert_int_equal(lock_now(&w[0], "r", NQ_LOCK_ROW_SHARE_KEY), 0);
    w[1].interrupt = &flag;
    worker_lock(&w[1], "r", NQ_LOCK_ROW_UPDATE_KEY);
    wait_blocked(&w[1]);
    worker_lock(&w[2], "r", NQ_LOCK_ROW_SHARE_KEY);
    wait_blocked(&w[2]);
    __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
    assert_int_equal(worker_wait(&w[1]), NQ_EINTERRUPT);
    assert_non_null(strstr(w[1].err.msg, "interrupted"));
    /* the share request behind it is granted as it withdraws */
    assert_int_equal(worker_wait(&w[2]), 0);
    for (int i = 0; i < 3; i++)
        worker_quit(&w[i]);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}

static void test_interrupt(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    worker w[2];
    for (int i = 0; i < 2; i++)
        worker_start(&w[i], lm, 1 + (uint64_t)i);
    int flag = 0;
    assert_int_equal(lock_now(&w[0], "t", NQ_LOCK_ACCESS_EXCLUSIVE), 0);
    w[1].interrupt = &flag;
    w[1].deadlock_timeout_ms = 100000; /* no other reason to wake up */
    worker_lock(&w[1], "t", NQ_LOCK_ACCESS_SHARE);
    wait_blocked(&w[1]);
    __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
    assert_int_equal(worker_wait(&w[1]), NQ_EINTERRUPT);
    /* an interrupt flag already set fails the wait at once */
    worker_lock(&w[1], "t", NQ_LOCK_ACCESS_SHARE);
    assert_int_equal(worker_wait(&w[1]), NQ_EINTERRUPT);
    /* not set, and no conflict: no wait at all */
    flag = 0;
    assert_int_equal(lock_now(&w[1], "u", NQ_LOCK_ACCESS_SHARE), 0);
    for (int i = 0; i < 2; i++)
        worker_quit(&w[i]);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}

/* Many objects (the table grows) and many owners, released in any order. */
static void test_many_objects(void **state)
{
    (void)state;
    lockmgr *lm = lm_create();
    lm_owner *a = lm_owner_begin(lm, 1), *b = lm_owner_begin(lm, 2);
    nq_err e;
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "r%d", i);
        assert_int_equal(lk(i % 2 ? a : b, k, NQ_LOCK_ROW_UPDATE_KEY, &e), 0);
    }
    assert_int_equal(held(lm), 5000);
    for (int i = 0; i < 5000; i += 97) {
        snprintf(k, sizeof k, "r%d", i);
        assert_int_equal(lk(i % 2 ? b : a, k, NQ_LOCK_ROW_SHARE_KEY | NQ_LOCK_NOWAIT, &e),
                         NQ_ELOCKTIMEOUT);
    }
    lm_release_to(a, 1000);
    assert_int_equal(held(lm), 3500);
    lm_owner_end(b);
    assert_int_equal(held(lm), 1000);
    lm_owner_end(a);
    assert_int_equal(held(lm), 0);
    lm_destroy(lm);
}


/* ---- randomized stress: threads lock random objects in random modes (upgrades included),
 * end their transaction after a few locks or when they are a deadlock victim. A shadow table
 * kept by the test (entered after lm_lock returns, left before the locks are released) must
 * never show two owners holding conflicting modes; no wait may end by the (long) lock timeout,
 * which would mean a deadlock that was not detected; and every thread finishes. */

#define ST_THREADS 6
#define ST_OBJS 4
#define ST_TXNS 300

typedef struct stress {
    lockmgr *lm;
    pthread_mutex_t mu;
    unsigned shadow[ST_THREADS][2 * ST_OBJS]; /* modes (bit per NQ_LOCK_* value) held */
    int violations;
    uint64_t victims[ST_THREADS], commits[ST_THREADS], other[ST_THREADS];
    pthread_barrier_t start; /* all threads begin together, so that they contend */
} stress;

typedef struct stress_arg {
    stress *s;
    int id;
} stress_arg;

static uint64_t st_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *stress_main(void *arg)
{
    stress_arg *a = arg;
    stress *s = a->s;
    uint64_t r = 0x9E3779B97F4A7C15ull * (uint64_t)(a->id + 1);
    pthread_barrier_wait(&s->start);
    for (int n = 0; n < ST_TXNS; n++) {
        lm_owner *o = lm_owner_begin(s->lm, 1000u * (uint64_t)(a->id + 1) + (uint64_t)n);
        int nlocks = 1 + (int)(st_rand(&r) % 4);
        int rc = 0;
        for (int k = 0; k < nlocks && rc == 0; k++) {
            int obj = (int)(st_rand(&r) % (2 * ST_OBJS)); /* < ST_OBJS: rows, else tables */
            int mode = obj < ST_OBJS ? 1 + (int)(st_rand(&r) % 2)
                                     : NQ_LOCK_ACCESS_SHARE + (int)(st_rand(&r) % 8);
            char key[8];
            snprintf(key, sizeof key, "%c%d", obj < ST_OBJS ? 'r' : 't', obj);
            nq_err e;
            rc = lm_lock(o, key, strlen(key), mode, key, 30000, 5, NULL, &e);
            if (rc == 0) {
                pthread_mutex_lock(&s->mu);
                s->shadow[a->id][obj] |= 1u << mode;
                for (int t = 0; t < ST_THREADS; t++)
                    for (int m = 0; t != a->id && m < 19; m++)
                        if ((s->shadow[t][obj] & (1u << m)) && expect_conflict(mode, m))
                            s->violations++;
                pthread_mutex_unlock(&s->mu);
                sched_yield(); /* hold it a little: let the others run into it */
            } else if (rc == NQ_EDEADLOCK) {
                s->victims[a->id]++;
            } else {
                s->other[a->id]++;
            }
        }
        if (rc == 0)
            s->commits[a->id]++;
        pthread_mutex_lock(&s->mu);
        memset(s->shadow[a->id], 0, sizeof s->shadow[a->id]);
        pthread_mutex_unlock(&s->mu);
        lm_owner_end(o);
    }
    return NULL;
}

static void test_random_stress(void **state)
{
    (void)state;
    stress s;
    memset(&s, 0, sizeof s);
    s.lm = lm_create();
    pthread_mutex_init(&s.mu, NULL);
    pthread_barrier_init(&s.start, NULL, ST_THREADS);
    pthread_t th[ST_THREADS];
    stress_arg args[ST_THREADS];
    for (int i = 0; i < ST_THREADS; i++) {
        args[i] = (stress_arg){&s, i};
        assert_int_equal(pthread_create(&th[i], NULL, stress_main, &args[i]), 0);
    }
    for (int i = 0; i < ST_THREADS; i++)
        pthread_join(th[i], NULL);
    uint64_t victims = 0, commits = 0, other = 0;
    for (int i = 0; i < ST_THREADS; i++) {
        victims += s.victims[i];
        commits += s.commits[i];
        other += s.other[i];
    }
    lm_stats st;
    lm_get_stats(s.lm, &st);
    print_message("stress: %llu transactions ended, %llu deadlock victims, %llu waits\n",
                  (unsigned long long)commits, (unsigned long long)victims,
                  (unsigned long long)st.waits);
    assert_int_equal(s.violations, 0);
    assert_int_equal(other, 0);        /* no lock timeout: no undetected deadlock */
    assert_int_equal(st.timeouts, 0);
    assert_int_equal(st.deadlocks, victims);
    assert_int_equal(commits + victims, (uint64_t)ST_THREADS * ST_TXNS);
    assert_int_equal(st.held, 0);
    pthread_mutex_destroy(&s.mu);
    pthread_barrier_destroy(&s.start);
    lm_destroy(s.lm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conflict_table),
        cmocka_unit_test(test_reentrant_upgrade),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_deadlock_2),
        cmocka_unit_test(test_deadlock_3),
        cmocka_unit_test(test_deadlock_8),
        cmocka_unit_test(test_deadlock_upgrade),
        cmocka_unit_test(test_deadlock_through_queue),
        cmocka_unit_test(test_release_wakes_waiters),
        cmocka_unit_test(test_fairness),
        cmocka_unit_test(test_timeout_nowait),
        cmocka_unit_test(test_withdrawn_unblocks_queue),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_many_objects),
        cmocka_unit_test(test_random_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
