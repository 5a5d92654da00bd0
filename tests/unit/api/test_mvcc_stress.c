/*
 * test_mvcc_stress.c — many threads of concurrent transactions on one engine through the
 * key/value API: random transfers between accounts (read-modify-write of two keys, at a
 * random isolation level, in random key order so that deadlocks happen) and full-sum readers
 * (merge cursors, SERIALIZABLE or REPEATABLE READ), with serialization failures, conflicts and
 * deadlock victims retried. Every snapshot sees the same total, the final total is right, each
 * committed transfer is counted once, and the file passes nq_check. Seeded per thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
#include "nqdb.h"

#define NACC 6
#define NTHREADS 4
#define TXNS 1500
#define START 1000

typedef struct worker {
    pthread_t th;
    nq_db *db;
    uint64_t seed;
    int fail;
    char why[512];
    uint64_t committed, retries, sums;
} worker;

static void acc_key(int i, char *k) { snprintf(k, 8, "a%02d", i % 100); }

static int get_i64(nq_tree *t, int i, int64_t *v)
{
    char k[8];
    acc_key(i, k);
    void *p;
    size_t vl;
    int rc = nq_get(t, k, 3, &p, &vl);
    if (rc)
        return rc;
    memcpy(v, p, sizeof *v);
    free(p);
    return 0;
}

static int put_i64(nq_tree *t, int i, int64_t v)
{
    char k[8];
    acc_key(i, k);
    return nq_put(t, k, 3, &v, sizeof v, 0);
}

/* The total through a merge cursor (with one of our own writes in flight when pending). */
static int sum_all(nq_tree *t, int64_t *sum)
{
    nq_cursor *c;
    int rc = nq_cursor_open(t, &c);
    if (rc)
        return rc;
    *sum = 0;
    int n = 0;
    for (rc = nq_cursor_first(c); rc == NQ_OK; rc = nq_cursor_next(c)) {
        size_t vl;
        const void *v = nq_cursor_value(c, &vl);
        int64_t x;
        memcpy(&x, v, sizeof x);
        *sum += x;
        n++;
    }
    nq_cursor_close(c);
    if (rc != NQ_ENOTFOUND)
        return rc;
    return n == NACC ? 0 : NQ_ERROR;
}

static int retryable(int rc) { return rc == NQ_ESERIALIZE || rc == NQ_EDEADLOCK || rc == NQ_ECONFLICT; }

static void *worker_main(void *p)
{
    worker *w = p;
    nq_rng r;
    nq_rng_seed(&r, w->seed);
    nq_tree *t;
    if (nq_tree_open(w->db, "acct", 0, &t)) {
        w->fail = 1;
        return NULL;
    }
    for (int n = 0; n < TXNS && !w->fail; n++) {
        int reader = nq_rng_below(&r, 4) == 0;
        int a = (int)nq_rng_below(&r, NACC), b = (int)nq_rng_below(&r, NACC - 1);
        if (b >= a)
            b++;
        int64_t amt = (int64_t)nq_rng_below(&r, 50) + 1;
        int iso = reader ? (nq_rng_below(&r, 2) ? NQ_ISO_SERIALIZABLE : NQ_ISO_REPEATABLE_READ)
                         : 1 + (int)nq_rng_below(&r, 3);
        for (;;) {
            int rc = nq_begin_concurrent(w->db, iso);
            int64_t va = 0, vb = 0, sum = 0;
            if (!rc && reader) {
                rc = sum_all(t, &sum);
                if (!rc && sum != (int64_t)NACC * START) {
                    snprintf(w->why, sizeof w->why, "snapshot sum %lld", (long long)sum);
                    w->fail = 1;
                }
                w->sums++;
            } else if (!rc) {
                rc = get_i64(t, a, &va);
                if (!rc)
                    rc = put_i64(t, a, va - amt);
                if (!rc)
                    rc = get_i64(t, b, &vb);
                if (!rc)
                    rc = put_i64(t, b, vb + amt);
                /* our own writes are in our view: the total is unchanged there too */
                if (!rc && nq_rng_below(&r, 8) == 0) {
                    rc = sum_all(t, &sum);
                    if (!rc && sum != (int64_t)NACC * START) {
                        snprintf(w->why, sizeof w->why, "own view sum %lld", (long long)sum);
                        w->fail = 1;
                    }
                }
            }
            if (!rc)
                rc = nq_commit(w->db);
            else if (nq_in_txn(w->db, NULL))
                nq_rollback(w->db);
            if (rc == NQ_OK) {
                w->committed++;
                break;
            }
            if (!retryable(rc)) {
                snprintf(w->why, sizeof w->why, "rc %d: %s", rc, nq_errmsg(w->db));
                w->fail = 1;
                break;
            }
            w->retries++;
        }
    }
    nq_tree_close(t);
    return NULL;
}

static void test_transfers(void **state)
{
    (void)state;
    unlink("stress.db");
    unlink("stress.db-wal");
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.deadlock_timeout_ms = 5;
    nq_db *db;
    assert_int_equal(nq_open("stress.db", &o, &db), NQ_OK);
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, "acct", NQ_TREE_CREATE, &t), NQ_OK);
    for (int i = 0; i < NACC; i++)
        assert_int_equal(put_i64(t, i, START), NQ_OK);
    worker w[NTHREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].seed = 1000 + (uint64_t)i;
        assert_int_equal(nq_clone(db, &w[i].db), NQ_OK);
        assert_int_equal(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
    }
    uint64_t committed = 0, retries = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(w[i].th, NULL);
        if (w[i].fail)
            fail_msg("worker %d: %s", i, w[i].why);
        committed += w[i].committed;
        retries += w[i].retries;
        assert_int_equal(nq_close(w[i].db), NQ_OK);
    }
    assert_int_equal(committed, NTHREADS * TXNS);
    int64_t sum;
    assert_int_equal(sum_all(t, &sum), NQ_OK);
    assert_int_equal(sum, (int64_t)NACC * START);
    nq_stats st;
    assert_int_equal(nq_get_stats(db, &st), NQ_OK);
    assert_int_equal(st.txn_commits_concurrent, committed);
    print_message("%llu transactions committed, %llu retried (%llu serialization failures, "
                  "%llu deadlocks, %llu lock waits)\n",
                  (unsigned long long)committed, (unsigned long long)retries,
                  (unsigned long long)st.txn_serialization_failures,
                  (unsigned long long)st.txn_deadlocks, (unsigned long long)st.lock_waits);
    uint64_t problems = 1;
    assert_int_equal(nq_check(db, NULL, NULL, &problems), NQ_OK);
    nq_tree_close(t);
    assert_int_equal(nq_close(db), NQ_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
