/*
 * test_mvcc_locks.c — concurrent transactions on threads: row locks make a second writer of a
 * key wait for the first (it proceeds after a rollback; after a commit it fails with
 * NQ_ESERIALIZE under REPEATABLE READ and NQ_ECONFLICT under READ COMMITTED), nq_lock_key
 * (FOR UPDATE, NOWAIT), table locks, an exclusive writer waiting for concurrent writers, a
 * deadlock with exactly one victim, and sequences / key claims from many threads.
 *
 * Deterministic: "this step blocks" is decided by nq_txn_info_get().waiting, polled with
 * sched_yield — never by sleeping.
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

static nq_db *open_fresh(const char *path, unsigned deadlock_ms)
{
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(path);
    unlink(wal);
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.deadlock_timeout_ms = deadlock_ms;
    nq_db *db;
    assert_int_equal(nq_open(path, &o, &db), NQ_OK);
    return db;
}

/* A step run on another thread: fn(arg) with the connection db. */
typedef struct step {
    pthread_t th;
    nq_db *db;
    nq_tree *t;
    int (*fn)(struct step *);
    const char *key, *val;
    int rc;
    char msg[512];
} step;

static void *step_main(void *p)
{
    step *s = p;
    s->rc = s->fn(s);
    snprintf(s->msg, sizeof s->msg, "%s", s->rc ? nq_errmsg(s->db) : "");
    return NULL;
}

static void step_start(step *s) { assert_int_equal(pthread_create(&s->th, NULL, step_main, s), 0); }
static int step_join(step *s)
{
    pthread_join(s->th, NULL);
    return s->rc;
}

/* Wait until db's transaction is blocked in a lock wait. */
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

static int do_put(step *s) { return nq_put(s->t, s->key, strlen(s->key), s->val, strlen(s->val), 0); }
static int do_lock_written(step *s)
{
    return nq_lock_key(s->t, s->key, strlen(s->key), NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_WRITTEN);
}
static int do_begin_write(step *s) { return nq_begin(s->db, NQ_TXN_WRITE); }
static int do_autocommit_put(step *s) { return do_put(s); }

typedef struct pair {
    nq_db *a, *b;
    nq_tree *ta, *tb;
} pair;

static void pair_open(pair *p, const char *path, unsigned deadlock_ms)
{
    p->a = open_fresh(path, deadlock_ms);
    assert_int_equal(nq_tree_open(p->a, "t", NQ_TREE_CREATE, &p->ta), NQ_OK);
    assert_int_equal(nq_clone(p->a, &p->b), NQ_OK);
    assert_int_equal(nq_tree_open(p->b, "t", 0, &p->tb), NQ_OK);
    assert_int_equal(nq_put(p->ta, "x", 1, "0", 1, 0), NQ_OK);
}

static void pair_close(pair *p)
{
    nq_tree_close(p->ta);
    nq_tree_close(p->tb);
    assert_int_equal(nq_close(p->b), NQ_OK);
    assert_int_equal(nq_close(p->a), NQ_OK);
}

static char *get_s(nq_tree *t, const char *k, char *buf)
{
    void *v;
    size_t vl;
    buf[0] = 0;
    if (nq_get(t, k, strlen(k), &v, &vl) == NQ_OK) {
        memcpy(buf, v, vl);
        buf[vl] = 0;
        free(v);
    }
    return buf;
}

/* B writes x while A holds it; A ends with end(a) -> B's put returns that. */
static int second_writer(int iso, int a_commits, char *final, char *bmsg)
{
    pair p;
    pair_open(&p, "second.db", 0);
    assert_int_equal(nq_begin_concurrent(p.a, iso), NQ_OK);
    assert_int_equal(nq_begin_concurrent(p.b, iso), NQ_OK);
    assert_int_equal(nq_put(p.ta, "x", 1, "A", 1, 0), NQ_OK);
    step s = {.db = p.b, .t = p.tb, .fn = do_put, .key = "x", .val = "B"};
    step_start(&s);
    wait_blocked(p.b);
    if (a_commits)
        assert_int_equal(nq_commit(p.a), NQ_OK);
    else
        assert_int_equal(nq_rollback(p.a), NQ_OK);
    int rc = step_join(&s);
    strcpy(bmsg, s.msg);
    if (rc == NQ_OK)
        assert_int_equal(nq_commit(p.b), NQ_OK);
    else if (rc == NQ_ECONFLICT) {
        /* READ COMMITTED: redo the statement on a new snapshot */
        assert_int_equal(nq_in_txn(p.b, NULL), 1);
        assert_int_equal(nq_txn_statement(p.b), NQ_OK);
        char buf[16];
        assert_string_equal(get_s(p.tb, "x", buf), "A");
        assert_int_equal(nq_put(p.tb, "x", 1, "B", 1, 0), NQ_OK);
        assert_int_equal(nq_commit(p.b), NQ_OK);
    } else {
        assert_int_equal(nq_in_txn(p.b, NULL), 0); /* rolled back */
    }
    get_s(p.ta, "x", final);
    pair_close(&p);
    return rc;
}

static void test_second_writer_waits(void **state)
{
    (void)state;
    char v[16], msg[512];
    /* rollback of the first: the second proceeds and commits */
    for (int iso = NQ_ISO_READ_COMMITTED; iso <= NQ_ISO_SERIALIZABLE; iso++) {
        assert_int_equal(second_writer(iso, 0, v, msg), NQ_OK);
        assert_string_equal(v, "B");
    }
    /* commit of the first: REPEATABLE READ / SERIALIZABLE fail, READ COMMITTED redoes */
    assert_int_equal(second_writer(NQ_ISO_REPEATABLE_READ, 1, v, msg), NQ_ESERIALIZE);
    assert_string_equal(v, "A");
    assert_non_null(strstr(msg, "concurrent update of row \"x\" of \"t\""));
    assert_int_equal(second_writer(NQ_ISO_SERIALIZABLE, 1, v, msg), NQ_ESERIALIZE);
    assert_string_equal(v, "A");
    assert_int_equal(second_writer(NQ_ISO_READ_COMMITTED, 1, v, msg), NQ_ECONFLICT);
    assert_string_equal(v, "B");
}

static void test_lock_key(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "lockkey.db", 0);
    /* FOR UPDATE without writing: B waits, then proceeds (A changed nothing) */
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin_concurrent(p.b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_lock_key(p.ta, "x", 1, NQ_LOCK_ROW_UPDATE_KEY), NQ_OK);
    assert_int_equal(nq_lock_key(p.tb, "x", 1, NQ_LOCK_ROW_SHARE_KEY | NQ_LOCK_NOWAIT),
                     NQ_ELOCKTIMEOUT);
    assert_int_equal(nq_in_txn(p.b, NULL), 1); /* a lock timeout fails the call only */
    step s = {.db = p.b, .t = p.tb, .fn = do_put, .key = "x", .val = "B"};
    step_start(&s);
    wait_blocked(p.b);
    nq_txn_info info;
    assert_int_equal(nq_txn_info_get(p.b, &info), NQ_OK);
    assert_int_equal(info.mode, NQ_TXN_CONCURRENT);
    assert_int_equal(info.isolation, NQ_ISO_REPEATABLE_READ);
    assert_true(info.txid > 0);
    assert_int_equal(nq_commit(p.a), NQ_OK);
    assert_int_equal(step_join(&s), NQ_OK);
    assert_int_equal(nq_txn_info_get(p.b, &info), NQ_OK);
    assert_int_equal(info.writes, 1);
    assert_int_equal(nq_commit(p.b), NQ_OK);
    /* shared key locks are compatible */
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_int_equal(nq_begin_concurrent(p.b, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_int_equal(nq_lock_key(p.ta, "x", 1, NQ_LOCK_ROW_SHARE_KEY), NQ_OK);
    assert_int_equal(nq_lock_key(p.tb, "x", 1, NQ_LOCK_ROW_SHARE_KEY | NQ_LOCK_NOWAIT), NQ_OK);
    /* table locks: LOCK TABLE ... EXCLUSIVE against ROW EXCLUSIVE */
    assert_int_equal(nq_lock_name(p.a, "accounts", NQ_LOCK_ROW_EXCLUSIVE), NQ_OK);
    assert_int_equal(nq_lock_name(p.b, "accounts", NQ_LOCK_ROW_EXCLUSIVE), NQ_OK);
    assert_int_equal(nq_lock_name(p.b, "accounts", NQ_LOCK_EXCLUSIVE | NQ_LOCK_NOWAIT),
                     NQ_ELOCKTIMEOUT);
    assert_non_null(strstr(nq_errmsg(p.b), "accounts"));
    assert_int_equal(nq_lock_name(p.b, "accounts", 3), NQ_EINVAL);
    assert_int_equal(nq_rollback(p.a), NQ_OK);
    assert_int_equal(nq_lock_name(p.b, "accounts", NQ_LOCK_EXCLUSIVE | NQ_LOCK_NOWAIT), NQ_OK);
    assert_int_equal(nq_rollback(p.b), NQ_OK);
    /* the row lock check is first-committer-wins too */
    assert_int_equal(nq_begin_concurrent(p.b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_put(p.ta, "x", 1, "C", 1, 0), NQ_OK); /* autocommit */
    assert_int_equal(nq_lock_key(p.tb, "x", 1, NQ_LOCK_ROW_SHARE_KEY), NQ_ESERIALIZE);
    assert_int_equal(nq_in_txn(p.b, NULL), 0);
    pair_close(&p);
}

/* NQ_LOCK_WRITTEN: a locked unique-value prefix counts as written at commit, so the second
 * inserter of the value fails after the first commits (RR: NQ_ESERIALIZE, RC: NQ_ECONFLICT). */
static void test_lock_written(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "lockw.db", 0);
    for (int iso = NQ_ISO_READ_COMMITTED; iso <= NQ_ISO_REPEATABLE_READ; iso++) {
        assert_int_equal(nq_begin_concurrent(p.a, iso), NQ_OK);
        assert_int_equal(nq_begin_concurrent(p.b, iso), NQ_OK);
        const char *pre = iso == NQ_ISO_READ_COMMITTED ? "u:rc" : "u:rr";
        assert_int_equal(nq_lock_key(p.ta, pre, 4, NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_WRITTEN),
                         NQ_OK);
        char k[16];
        snprintf(k, sizeof k, "%s:1", pre);
        assert_int_equal(nq_put(p.ta, k, strlen(k), "", 0, 0), NQ_OK);
        step s = {.db = p.b, .t = p.tb, .fn = do_lock_written, .key = pre};
        step_start(&s);
        wait_blocked(p.b);
        assert_int_equal(nq_commit(p.a), NQ_OK);
        int rc = step_join(&s);
        if (iso == NQ_ISO_READ_COMMITTED) {
            assert_int_equal(rc, NQ_ECONFLICT);
            assert_int_equal(nq_rollback(p.b), NQ_OK);
        } else {
            assert_int_equal(rc, NQ_ESERIALIZE);
            assert_int_equal(nq_in_txn(p.b, NULL), 0);
        }
    }
    /* without the flag the lock alone leaves nothing behind */
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin_concurrent(p.b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_lock_key(p.ta, "u:x", 3, NQ_LOCK_ROW_UPDATE_KEY), NQ_OK);
    assert_int_equal(nq_put(p.ta, "u:x:1", 5, "", 0, 0), NQ_OK);
    assert_int_equal(nq_commit(p.a), NQ_OK);
    assert_int_equal(nq_lock_key(p.tb, "u:x", 3, NQ_LOCK_ROW_UPDATE_KEY), NQ_OK);
    assert_int_equal(nq_rollback(p.b), NQ_OK);
    pair_close(&p);
}

/* REPEATABLE READ takes its snapshot at its first statement that reads or writes: a
 * transaction that only locked (LOCK TABLE) gets a fresh one from nq_txn_statement. */
static void test_snapshot_at_first_statement(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "first.db", 0);
    char buf[16];
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_lock_name(p.a, "t", NQ_LOCK_ROW_EXCLUSIVE), NQ_OK);
    assert_int_equal(nq_put(p.tb, "x", 1, "1", 1, 0), NQ_OK); /* after BEGIN, before the first read */
    assert_int_equal(nq_txn_statement(p.a), NQ_OK);
    assert_string_equal(get_s(p.ta, "x", buf), "1");
    assert_int_equal(nq_put(p.tb, "x", 1, "2", 1, 0), NQ_OK);
    assert_int_equal(nq_txn_statement(p.a), NQ_OK); /* touched: the snapshot stays */
    assert_string_equal(get_s(p.ta, "x", buf), "1");
    assert_int_equal(nq_commit(p.a), NQ_OK);
    /* a schema change before the first statement is simply seen */
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_SERIALIZABLE), NQ_OK);
    nq_tree *nt;
    assert_int_equal(nq_tree_open(p.b, "later", NQ_TREE_CREATE, &nt), NQ_OK);
    nq_tree_close(nt);
    assert_int_equal(nq_txn_statement(p.a), NQ_OK);
    assert_int_equal(nq_put(p.ta, "y", 1, "1", 1, 0), NQ_OK);
    assert_int_equal(nq_commit(p.a), NQ_OK);
    pair_close(&p);
}

/* An exclusive writer (nq_begin(NQ_TXN_WRITE), autocommit) waits for concurrent writers. */
static void test_exclusive_waits(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "xwait.db", 0);
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_put(p.ta, "x", 1, "A", 1, 0), NQ_OK);
    step s = {.db = p.b, .t = p.tb, .fn = do_begin_write};
    step_start(&s);
    wait_blocked(p.b);
    assert_int_equal(nq_commit(p.a), NQ_OK);
    assert_int_equal(step_join(&s), NQ_OK);
    int mode;
    assert_int_equal(nq_in_txn(p.b, &mode), 1);
    assert_int_equal(mode, NQ_TXN_WRITE);
    /* a concurrent writer now waits for the exclusive one */
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_READ_COMMITTED), NQ_OK);
    step s2 = {.db = p.a, .t = p.ta, .fn = do_put, .key = "y", .val = "A"};
    step_start(&s2);
    wait_blocked(p.a);
    assert_int_equal(nq_put(p.tb, "z", 1, "B", 1, 0), NQ_OK);
    assert_int_equal(nq_commit(p.b), NQ_OK);
    assert_int_equal(step_join(&s2), NQ_OK);
    assert_int_equal(nq_commit(p.a), NQ_OK);
    /* autocommit writes wait too */
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_int_equal(nq_put(p.ta, "w", 1, "A", 1, 0), NQ_OK);
    step s3 = {.db = p.b, .t = p.tb, .fn = do_autocommit_put, .key = "v", .val = "B"};
    step_start(&s3);
    wait_blocked(p.b);
    assert_int_equal(nq_commit(p.a), NQ_OK);
    assert_int_equal(step_join(&s3), NQ_OK);
    char buf[16];
    assert_string_equal(get_s(p.ta, "v", buf), "B");
    assert_string_equal(get_s(p.ta, "w", buf), "A");
    pair_close(&p);
}

/* Two transactions each hold one key and want the other's: exactly one victim. */
static void test_deadlock(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "dead.db", 20);
    assert_int_equal(nq_put(p.ta, "y", 1, "0", 1, 0), NQ_OK);
    assert_int_equal(nq_begin_concurrent(p.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin_concurrent(p.b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_put(p.ta, "x", 1, "A", 1, 0), NQ_OK);
    assert_int_equal(nq_put(p.tb, "y", 1, "B", 1, 0), NQ_OK);
    step s = {.db = p.a, .t = p.ta, .fn = do_put, .key = "y", .val = "A"};
    step_start(&s);
    wait_blocked(p.a);
    int rb = nq_put(p.tb, "x", 1, "B", 1, 0);
    char bmsg[512];
    snprintf(bmsg, sizeof bmsg, "%s", nq_errmsg(p.b));
    if (rb == NQ_EDEADLOCK) { /* b was the victim and is rolled back: a proceeds */
        assert_int_equal(nq_in_txn(p.b, NULL), 0);
        assert_non_null(strstr(bmsg, "deadlock detected"));
        assert_int_equal(step_join(&s), NQ_OK);
        assert_int_equal(nq_commit(p.a), NQ_OK);
    } else {
        assert_int_equal(step_join(&s), NQ_EDEADLOCK);
        assert_int_equal(rb, NQ_OK);
        assert_int_equal(nq_commit(p.b), NQ_OK);
    }
    nq_stats st;
    assert_int_equal(nq_get_stats(p.a, &st), NQ_OK);
    assert_int_equal(st.txn_deadlocks, 1);
    pair_close(&p);
}

/* Sequences and key claims from many threads: all different. */
#define NTH 4
#define PER 200
typedef struct seqjob {
    pthread_t th;
    nq_db *db;
    uint64_t seq[PER];
    int64_t claim[PER];
    int rc;
} seqjob;

static void *seq_main(void *p)
{
    seqjob *j = p;
    nq_tree *t;
    j->rc = nq_tree_open(j->db, "t", 0, &t);
    for (int i = 0; i < PER && !j->rc; i++) {
        j->rc = nq_begin_concurrent(j->db, NQ_ISO_READ_COMMITTED);
        if (!j->rc)
            j->rc = nq_seq_next(t, &j->seq[i]);
        if (!j->rc)
            j->rc = nq_key_claim(t, 0, &j->claim[i]);
        if (!j->rc) {
            char k[32];
            int kl = snprintf(k, sizeof k, "row%08lld", (long long)j->claim[i]);
            j->rc = nq_put(t, k, (size_t)kl, "v", 1, NQ_PUT_NOOVERWRITE);
        }
        if (!j->rc)
            j->rc = nq_commit(j->db);
    }
    nq_tree_close(t);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_sequences_claims_threads(void **state)
{
    (void)state;
    pair p;
    pair_open(&p, "seqth.db", 0);
    seqjob *jobs = calloc(NTH, sizeof *jobs);
    for (int i = 0; i < NTH; i++) {
        assert_int_equal(nq_clone(p.a, &jobs[i].db), NQ_OK);
        assert_int_equal(pthread_create(&jobs[i].th, NULL, seq_main, &jobs[i]), 0);
    }
    uint64_t *all = malloc(NTH * PER * sizeof *all), *cl = malloc(NTH * PER * sizeof *cl);
    for (int i = 0; i < NTH; i++) {
        pthread_join(jobs[i].th, NULL);
        assert_int_equal(jobs[i].rc, NQ_OK);
        for (int k = 0; k < PER; k++) {
            all[i * PER + k] = jobs[i].seq[k];
            cl[i * PER + k] = (uint64_t)jobs[i].claim[k];
        }
        assert_int_equal(nq_close(jobs[i].db), NQ_OK);
    }
    qsort(all, NTH * PER, sizeof *all, cmp_u64);
    qsort(cl, NTH * PER, sizeof *cl, cmp_u64);
    for (int i = 1; i < NTH * PER; i++) {
        assert_true(all[i] > all[i - 1]);
        assert_true(cl[i] > cl[i - 1]);
    }
    uint64_t n, s;
    assert_int_equal(nq_tree_count(p.ta, &n), NQ_OK);
    assert_int_equal(n, NTH * PER + 1); /* and "x" */
    assert_int_equal(nq_seq_next(p.ta, &s), NQ_OK);
    assert_true(s > all[NTH * PER - 1]);
    free(all);
    free(cl);
    free(jobs);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_writer_waits),
        cmocka_unit_test(test_lock_key),
        cmocka_unit_test(test_lock_written),
        cmocka_unit_test(test_snapshot_at_first_statement),
        cmocka_unit_test(test_exclusive_waits),
        cmocka_unit_test(test_deadlock),
        cmocka_unit_test(test_sequences_claims_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
