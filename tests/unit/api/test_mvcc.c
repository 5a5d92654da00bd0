/*
 * test_mvcc.c — concurrent transactions (nq_begin_concurrent), one thread, several
 * connections (nq_clone): the merged view of a write set over a snapshot (own writes,
 * tombstones, merge cursors both ways and seeks against a model, marks), snapshot stability,
 * first-committer-wins under REPEATABLE READ, write skew allowed under REPEATABLE READ and
 * refused under SERIALIZABLE (point reads and a range), read-only SERIALIZABLE never failing,
 * disjoint writers, sequences and key claims, the schema check, statistics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
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
    nq_db *db;
    assert_int_equal(nq_open(path, &o, &db), NQ_OK);
    return db;
}

static nq_db *g_a, *g_b; /* for failure messages */

static void put_s(nq_tree *t, const char *k, const char *v)
{
    int rc = nq_put(t, k, strlen(k), v, strlen(v), 0);
    if (rc)
        fprintf(stderr, "put %s: %s | %s\n", k, g_a ? nq_errmsg(g_a) : "", g_b ? nq_errmsg(g_b) : "");
    assert_int_equal(rc, NQ_OK);
}

/* the value of k as a string ("" when absent) */
static const char *get_s(nq_tree *t, const char *k, char *buf)
{
    void *v;
    size_t vl;
    int rc = nq_get(t, k, strlen(k), &v, &vl);
    if (rc == NQ_ENOTFOUND) {
        buf[0] = 0;
        return buf;
    }
    assert_int_equal(rc, NQ_OK);
    memcpy(buf, v, vl);
    buf[vl] = 0;
    free(v);
    return buf;
}

/* ---- merged view against a model ------------------------------------------------------------ */

#define NK 64
typedef struct mkv {
    int present[NK];
    int val[NK];
} mkv;

static void key_of(int i, char *k) { snprintf(k, 8, "k%03d", (i * 3) % 1000); }

static void check_view(nq_tree *t, const mkv *m, nq_rng *r)
{
    nq_cursor *c;
    assert_int_equal(nq_cursor_open(t, &c), NQ_OK);
    /* forward */
    int rc = nq_cursor_first(c);
    for (int i = 0; i < NK; i++) {
        if (!m->present[i])
            continue;
        assert_int_equal(rc, NQ_OK);
        char k[8];
        key_of(i, k);
        size_t kl, vl;
        const void *ck = nq_cursor_key(c, &kl);
        assert_int_equal(kl, strlen(k));
        assert_memory_equal(ck, k, kl);
        const void *v = nq_cursor_value(c, &vl);
        assert_int_equal(vl, sizeof(int));
        int iv;
        memcpy(&iv, v, sizeof iv);
        assert_int_equal(iv, m->val[i]);
        rc = nq_cursor_next(c);
    }
    assert_int_equal(rc, NQ_ENOTFOUND);
    /* backward */
    rc = nq_cursor_last(c);
    for (int i = NK - 1; i >= 0; i--) {
        if (!m->present[i])
            continue;
        assert_int_equal(rc, NQ_OK);
        char k[8];
        key_of(i, k);
        size_t kl;
        assert_memory_equal(nq_cursor_key(c, &kl), k, 4);
        rc = nq_cursor_prev(c);
    }
    assert_int_equal(rc, NQ_ENOTFOUND);
    /* seeks (keys between and on entries), then a step each way */
    for (int q = 0; q < 20; q++) {
        int x = (int)nq_rng_below(r, NK * 3 + 2); /* key "k%03d" of x: on an entry when x%3==0 */
        char k[8];
        snprintf(k, sizeof k, "k%03d", x % 1000);
        int how = (int)nq_rng_below(r, 3);
        rc = nq_cursor_seek(c, k, 4, how);
        int want = -1;
        if (how == NQ_SEEK_GE) {
            for (int i = 0; i < NK && want < 0; i++)
                if (m->present[i] && i * 3 >= x)
                    want = i;
        } else if (how == NQ_SEEK_LE) {
            for (int i = 0; i < NK; i++)
                if (m->present[i] && i * 3 <= x)
                    want = i;
        } else if (x % 3 == 0 && x / 3 < NK && m->present[x / 3]) {
            want = x / 3;
        }
        if (want < 0) {
            assert_int_equal(rc, NQ_ENOTFOUND);
            assert_int_equal(nq_cursor_valid(c), 0);
            continue;
        }
        assert_int_equal(rc, NQ_OK);
        char wk[8];
        key_of(want, wk);
        size_t kl;
        assert_memory_equal(nq_cursor_key(c, &kl), wk, 4);
        int dir = (int)nq_rng_below(r, 2);
        rc = dir ? nq_cursor_next(c) : nq_cursor_prev(c);
        int w2 = -1;
        if (dir) {
            for (int i = want + 1; i < NK && w2 < 0; i++)
                if (m->present[i])
                    w2 = i;
        } else {
            for (int i = want - 1; i >= 0 && w2 < 0; i--)
                if (m->present[i])
                    w2 = i;
        }
        if (w2 < 0) {
            assert_int_equal(rc, NQ_ENOTFOUND);
        } else {
            assert_int_equal(rc, NQ_OK);
            key_of(w2, wk);
            assert_memory_equal(nq_cursor_key(c, &kl), wk, 4);
        }
    }
    nq_cursor_close(c);
    uint64_t n, want = 0;
    for (int i = 0; i < NK; i++)
        want += (uint64_t)m->present[i];
    assert_int_equal(nq_tree_count(t, &n), NQ_OK);
    assert_int_equal(n, want);
    for (int i = 0; i < NK; i += 7) {
        char k[8];
        key_of(i, k);
        void *v;
        size_t vl;
        rc = nq_get(t, k, 4, &v, &vl);
        if (!m->present[i]) {
            assert_int_equal(rc, NQ_ENOTFOUND);
        } else {
            assert_int_equal(rc, NQ_OK);
            int iv;
            memcpy(&iv, v, sizeof iv);
            assert_int_equal(iv, m->val[i]);
            free(v);
        }
    }
}

static void test_merged_view(void **state)
{
    (void)state;
    nq_db *db = open_fresh("mv.db");
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, "t", NQ_TREE_CREATE, &t), NQ_OK);
    for (uint64_t seed = 1; seed <= 12; seed++) {
        nq_rng r;
        nq_rng_seed(&r, seed);
        mkv m;
        memset(&m, 0, sizeof m);
        /* committed state: a random half (the previous round's contents are cleared) */
        assert_int_equal(nq_begin(db, NQ_TXN_WRITE), NQ_OK);
        for (int i = 0; i < NK; i++) {
            char k[8];
            key_of(i, k);
            int rc = nq_del(t, k, 4);
            assert_true(rc == NQ_OK || rc == NQ_ENOTFOUND);
            if (nq_rng_below(&r, 2)) {
                m.present[i] = 1;
                m.val[i] = (int)nq_rng_below(&r, 1000);
                assert_int_equal(nq_put(t, k, 4, &m.val[i], sizeof(int), 0), NQ_OK);
            }
        }
        assert_int_equal(nq_commit(db), NQ_OK);
        mkv committed = m;
        assert_int_equal(nq_begin_concurrent(db, NQ_ISO_REPEATABLE_READ), NQ_OK);
        int mode = -1;
        assert_int_equal(nq_in_txn(db, &mode), 1);
        assert_int_equal(mode, NQ_TXN_CONCURRENT);
        check_view(t, &m, &r);
        uint64_t mark = 0;
        mkv at_mark = m;
        int marked = 0;
        nq_cursor *held;
        assert_int_equal(nq_cursor_open(t, &held), NQ_OK);
        int frc = nq_cursor_first(held);
        assert_true(frc == NQ_OK || frc == NQ_ENOTFOUND);
        for (int op = 0; op < 60; op++) {
            int i = (int)nq_rng_below(&r, NK);
            char k[8];
            key_of(i, k);
            uint64_t what = nq_rng_below(&r, 10);
            if (what < 5) {
                int v = (int)nq_rng_below(&r, 1000) + 1000;
                assert_int_equal(nq_put(t, k, 4, &v, sizeof v, 0), NQ_OK);
                m.present[i] = 1;
                m.val[i] = v;
            } else if (what < 8) {
                int rc = nq_del(t, k, 4);
                assert_int_equal(rc, m.present[i] ? NQ_OK : NQ_ENOTFOUND);
                m.present[i] = 0;
            } else if (what == 8 || !marked) {
                assert_int_equal(nq_txn_mark(db, &mark), NQ_OK);
                at_mark = m;
                marked = 1;
            } else {
                assert_int_equal(nq_txn_rollback_to(db, mark), NQ_OK);
                m = at_mark;
            }
            /* the held cursor keeps working across writes: a step never fails oddly */
            int rc = nq_cursor_next(held);
            assert_true(rc == NQ_OK || rc == NQ_ENOTFOUND);
            if (rc == NQ_ENOTFOUND)
                nq_cursor_first(held);
            if (op % 10 == 9)
                check_view(t, &m, &r);
        }
        check_view(t, &m, &r);
        /* another connection still sees the committed state */
        nq_db *db2;
        nq_tree *t2;
        assert_int_equal(nq_clone(db, &db2), NQ_OK);
        assert_int_equal(nq_tree_open(db2, "t", 0, &t2), NQ_OK);
        check_view(t2, &committed, &r);
        nq_cursor_close(held);
        if (seed % 3 == 0) {
            assert_int_equal(nq_rollback(db), NQ_OK);
            check_view(t, &committed, &r);
            check_view(t2, &committed, &r);
        } else {
            assert_int_equal(nq_commit(db), NQ_OK);
            check_view(t, &m, &r);
            check_view(t2, &m, &r);
        }
        nq_tree_close(t2);
        assert_int_equal(nq_close(db2), NQ_OK);
    }
    uint64_t problems = 1;
    assert_int_equal(nq_check(db, NULL, NULL, &problems), NQ_OK);
    assert_int_equal(problems, 0);
    nq_tree_close(t);
    assert_int_equal(nq_close(db), NQ_OK);
}

/* A cursor of a transaction is dead after it ends; one opened before a write sees it. */
static void test_cursor_lifecycle(void **state)
{
    (void)state;
    nq_db *db = open_fresh("cl.db");
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, "t", NQ_TREE_CREATE, &t), NQ_OK);
    put_s(t, "b", "tree");
    assert_int_equal(nq_begin_concurrent(db, NQ_ISO_READ_COMMITTED), NQ_OK);
    nq_cursor *c;
    assert_int_equal(nq_cursor_open(t, &c), NQ_OK);
    assert_int_equal(nq_cursor_first(c), NQ_OK);
    put_s(t, "c", "mine");
    put_s(t, "a", "mine");
    assert_int_equal(nq_cursor_next(c), NQ_OK);
    size_t kl, vl;
    assert_memory_equal(nq_cursor_key(c, &kl), "c", 1);
    assert_int_equal(nq_cursor_prev(c), NQ_OK);
    assert_int_equal(nq_cursor_prev(c), NQ_OK);
    assert_memory_equal(nq_cursor_key(c, &kl), "a", 1);
    /* deleting the current key: the cursor is between entries */
    assert_int_equal(nq_del(t, "a", 1), NQ_OK);
    assert_int_equal(nq_cursor_valid(c), 0);
    assert_int_equal(nq_cursor_next(c), NQ_OK);
    assert_memory_equal(nq_cursor_value(c, &vl), "tree", 4);
    /* overwriting the current key: the cursor reads the new value */
    put_s(t, "b", "new");
    assert_memory_equal(nq_cursor_value(c, &vl), "new", 3);
    assert_int_equal(nq_commit(db), NQ_OK);
    assert_int_equal(nq_cursor_next(c), NQ_EMISUSE);
    nq_cursor_close(c);
    char buf[64];
    assert_string_equal(get_s(t, "b", buf), "new");
    assert_string_equal(get_s(t, "a", buf), "");
    nq_tree_close(t);
    assert_int_equal(nq_close(db), NQ_OK);
}

/* ---- snapshots and conflicts ---------------------------------------------------------------- */

typedef struct two {
    nq_db *a, *b;
    nq_tree *ta, *tb;
} two;

static void two_open(two *w, const char *path)
{
    w->a = open_fresh(path);
    assert_int_equal(nq_tree_open(w->a, "acct", NQ_TREE_CREATE, &w->ta), NQ_OK);
    assert_int_equal(nq_clone(w->a, &w->b), NQ_OK);
    assert_int_equal(nq_tree_open(w->b, "acct", 0, &w->tb), NQ_OK);
    g_a = w->a;
    g_b = w->b;
}

static void two_close(two *w)
{
    g_a = g_b = NULL;
    nq_tree_close(w->ta);
    nq_tree_close(w->tb);
    assert_int_equal(nq_close(w->b), NQ_OK);
    assert_int_equal(nq_close(w->a), NQ_OK);
}

static void test_snapshot_stability(void **state)
{
    (void)state;
    two w;
    two_open(&w, "snap.db");
    put_s(w.ta, "x", "1");
    char buf[64];
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_string_equal(get_s(w.ta, "x", buf), "1");
    put_s(w.tb, "x", "2"); /* autocommit by the other connection */
    put_s(w.tb, "y", "new");
    assert_string_equal(get_s(w.ta, "x", buf), "1");
    assert_string_equal(get_s(w.ta, "y", buf), "");
    uint64_t n;
    assert_int_equal(nq_tree_count(w.ta, &n), NQ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(nq_commit(w.a), NQ_OK); /* read-only: fine */
    /* READ COMMITTED: a new statement sees the latest commit */
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_string_equal(get_s(w.ta, "x", buf), "2");
    put_s(w.tb, "x", "3");
    assert_string_equal(get_s(w.ta, "x", buf), "2");
    assert_int_equal(nq_txn_statement(w.a), NQ_OK);
    assert_string_equal(get_s(w.ta, "x", buf), "3");
    assert_int_equal(nq_rollback(w.a), NQ_OK);
    two_close(&w);
}

/* READ COMMITTED: a cursor of an earlier statement keeps reading its snapshot. */
static void test_statement_snapshots(void **state)
{
    (void)state;
    two w;
    two_open(&w, "stmt.db");
    put_s(w.ta, "a", "1");
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_READ_COMMITTED), NQ_OK);
    nq_txn_info info;
    assert_int_equal(nq_txn_info_get(w.a, &info), NQ_OK);
    uint64_t seq1 = info.snapshot_seq;
    nq_cursor *old;
    assert_int_equal(nq_cursor_open(w.ta, &old), NQ_OK);
    put_s(w.tb, "b", "2");
    assert_int_equal(nq_txn_statement(w.a), NQ_OK);
    assert_int_equal(nq_txn_info_get(w.a, &info), NQ_OK);
    assert_true(info.snapshot_seq > seq1);
    nq_cursor *cur;
    assert_int_equal(nq_cursor_open(w.ta, &cur), NQ_OK);
    int n_old = 0, n_new = 0;
    for (int rc = nq_cursor_first(old); rc == NQ_OK; rc = nq_cursor_next(old))
        n_old++;
    for (int rc = nq_cursor_first(cur); rc == NQ_OK; rc = nq_cursor_next(cur))
        n_new++;
    assert_int_equal(n_old, 1);
    assert_int_equal(n_new, 2);
    nq_cursor_close(old);
    nq_cursor_close(cur);
    assert_int_equal(nq_commit(w.a), NQ_OK);
    two_close(&w);
}

static void test_lost_update(void **state)
{
    (void)state;
    two w;
    two_open(&w, "lost.db");
    put_s(w.ta, "x", "100");
    nq_stats st0, st1;
    assert_int_equal(nq_get_stats(w.a, &st0), NQ_OK);
    char buf[64];
    /* both read 100, both write: one commit wins, the other gets NQ_ESERIALIZE */
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin_concurrent(w.b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_string_equal(get_s(w.ta, "x", buf), "100");
    assert_string_equal(get_s(w.tb, "x", buf), "100");
    put_s(w.ta, "x", "110");
    assert_int_equal(nq_commit(w.a), NQ_OK);
    int rc = nq_put(w.tb, "x", 1, "120", 3, 0);
    assert_int_equal(rc, NQ_ESERIALIZE);
    assert_non_null(strstr(nq_errmsg(w.b), "could not serialize access"));
    assert_non_null(strstr(nq_errmsg(w.b), "\"x\""));
    assert_non_null(strstr(nq_errmsg(w.b), "\"acct\""));
    assert_int_equal(nq_in_txn(w.b, NULL), 0); /* rolled back */
    assert_string_equal(get_s(w.tb, "x", buf), "110");
    assert_int_equal(nq_get_stats(w.a, &st1), NQ_OK);
    assert_int_equal(st1.txn_serialization_failures - st0.txn_serialization_failures, 1);
    assert_int_equal(st1.txn_commits_concurrent - st0.txn_commits_concurrent, 1);
    /* READ COMMITTED gets NQ_ECONFLICT and stays open; a new statement may write */
    assert_int_equal(nq_begin_concurrent(w.b, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_string_equal(get_s(w.tb, "x", buf), "110");
    put_s(w.ta, "x", "111");
    assert_int_equal(nq_put(w.tb, "x", 1, "999", 3, 0), NQ_ECONFLICT);
    assert_int_equal(nq_in_txn(w.b, NULL), 1);
    assert_int_equal(nq_txn_statement(w.b), NQ_OK);
    assert_string_equal(get_s(w.tb, "x", buf), "111");
    put_s(w.tb, "x", "121");
    assert_int_equal(nq_commit(w.b), NQ_OK);
    assert_string_equal(get_s(w.ta, "x", buf), "121");
    two_close(&w);
}

static void test_disjoint_writers(void **state)
{
    (void)state;
    two w;
    two_open(&w, "disj.db");
    put_s(w.ta, "x", "0");
    put_s(w.ta, "y", "0");
    for (int iso = NQ_ISO_READ_COMMITTED; iso <= NQ_ISO_SERIALIZABLE; iso++) {
        assert_int_equal(nq_begin_concurrent(w.a, iso), NQ_OK);
        assert_int_equal(nq_begin_concurrent(w.b, iso), NQ_OK);
        put_s(w.ta, "x", "a");
        put_s(w.tb, "y", "b");
        assert_int_equal(nq_commit(w.b), NQ_OK);
        assert_int_equal(nq_commit(w.a), NQ_OK);
    }
    char buf[64];
    assert_string_equal(get_s(w.ta, "x", buf), "a");
    assert_string_equal(get_s(w.ta, "y", buf), "b");
    two_close(&w);
}

/* Write skew: each reads both x and y, each writes the other one. */
static int write_skew(two *w, int iso, int range)
{
    put_s(w->ta, "x", "1");
    put_s(w->ta, "y", "1");
    assert_int_equal(nq_begin_concurrent(w->a, iso), NQ_OK);
    assert_int_equal(nq_begin_concurrent(w->b, iso), NQ_OK);
    char buf[64];
    if (range) { /* read by walking the tree */
        uint64_t n;
        assert_int_equal(nq_tree_count(w->ta, &n), NQ_OK);
        nq_cursor *c;
        assert_int_equal(nq_cursor_open(w->tb, &c), NQ_OK);
        assert_int_equal(nq_cursor_seek(c, "a", 1, NQ_SEEK_GE), NQ_OK);
        while (nq_cursor_next(c) == NQ_OK) {
        }
        nq_cursor_close(c);
        /* each inserts a new key in the range the other walked (a phantom) */
        put_s(w->ta, "z1", "0");
        put_s(w->tb, "z2", "0");
    } else {
        assert_string_equal(get_s(w->ta, "x", buf), "1");
        assert_string_equal(get_s(w->ta, "y", buf), "1");
        assert_string_equal(get_s(w->tb, "x", buf), "1");
        assert_string_equal(get_s(w->tb, "y", buf), "1");
        put_s(w->ta, "x", "0");
        put_s(w->tb, "y", "0");
    }
    assert_int_equal(nq_commit(w->a), NQ_OK);
    int rc = nq_commit(w->b);
    if (range) {
        nq_del(w->ta, "z1", 2);
        nq_del(w->ta, "z2", 2);
    }
    return rc;
}

static void test_write_skew(void **state)
{
    (void)state;
    two w;
    two_open(&w, "skew.db");
    assert_int_equal(write_skew(&w, NQ_ISO_REPEATABLE_READ, 0), NQ_OK);
    assert_int_equal(write_skew(&w, NQ_ISO_SERIALIZABLE, 0), NQ_ESERIALIZE);
    assert_non_null(strstr(nq_errmsg(w.b), "read/write dependencies"));
    assert_int_equal(nq_in_txn(w.b, NULL), 0);
    assert_int_equal(write_skew(&w, NQ_ISO_REPEATABLE_READ, 1), NQ_OK);
    assert_int_equal(write_skew(&w, NQ_ISO_SERIALIZABLE, 1), NQ_ESERIALIZE);
    two_close(&w);
}

/* A read-only SERIALIZABLE transaction commits whatever others did meanwhile. */
static void test_readonly_serializable(void **state)
{
    (void)state;
    two w;
    two_open(&w, "ro.db");
    put_s(w.ta, "x", "1");
    char buf[64];
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_SERIALIZABLE), NQ_OK);
    assert_string_equal(get_s(w.ta, "x", buf), "1");
    assert_int_equal(nq_begin_concurrent(w.b, NQ_ISO_SERIALIZABLE), NQ_OK);
    put_s(w.tb, "x", "2");
    assert_int_equal(nq_commit(w.b), NQ_OK);
    assert_string_equal(get_s(w.ta, "x", buf), "1");
    assert_int_equal(nq_commit(w.a), NQ_OK);
    two_close(&w);
}

/* A tree created after the snapshot: writes fail with NQ_ESERIALIZE (schema changed). */
static void test_schema_change(void **state)
{
    (void)state;
    two w;
    two_open(&w, "schema.db");
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    nq_tree *other;
    assert_int_equal(nq_tree_open(w.b, "other", NQ_TREE_CREATE, &other), NQ_OK);
    assert_int_equal(nq_put(w.ta, "k", 1, "v", 1, 0), NQ_ESERIALIZE);
    assert_non_null(strstr(nq_errmsg(w.a), "schema changed"));
    assert_int_equal(nq_in_txn(w.a, NULL), 0);
    nq_tree_close(other);
    two_close(&w);
}

static void test_sequences_and_claims(void **state)
{
    (void)state;
    two w;
    two_open(&w, "seq.db");
    uint64_t s1, s2, s3;
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin_concurrent(w.b, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_seq_next(w.ta, &s1), NQ_OK);
    assert_int_equal(nq_seq_next(w.tb, &s2), NQ_OK);
    assert_int_equal(nq_seq_next(w.ta, &s3), NQ_OK);
    assert_true(s1 != s2 && s2 != s3 && s1 != s3);
    /* both commit: the stored value is the highest, never a conflict */
    assert_int_equal(nq_commit(w.b), NQ_OK);
    assert_int_equal(nq_commit(w.a), NQ_OK);
    uint64_t s4;
    assert_int_equal(nq_seq_next(w.ta, &s4), NQ_OK);
    assert_true(s4 > s3 && s4 > s2);
    int64_t c1, c2, c3;
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_int_equal(nq_begin_concurrent(w.b, NQ_ISO_READ_COMMITTED), NQ_OK);
    assert_int_equal(nq_key_claim(w.ta, 10, &c1), NQ_OK);
    assert_int_equal(nq_key_claim(w.tb, 10, &c2), NQ_OK);
    assert_int_equal(nq_key_claim(w.tb, 5, &c3), NQ_OK);
    assert_int_equal(c1, 11);
    assert_int_equal(c2, 12);
    assert_int_equal(c3, 13);
    assert_int_equal(nq_key_claim(w.ta, 100, &c1), NQ_OK);
    assert_int_equal(c1, 101);
    assert_int_equal(nq_commit(w.a), NQ_OK);
    assert_int_equal(nq_commit(w.b), NQ_OK);
    two_close(&w);
}

/* Exclusive writers' keys reach the committed-write log: a concurrent transaction that
 * writes a key an exclusive transaction committed after its snapshot fails. */
static void test_exclusive_vs_concurrent(void **state)
{
    (void)state;
    two w;
    two_open(&w, "excl.db");
    put_s(w.ta, "x", "1");
    assert_int_equal(nq_begin_concurrent(w.a, NQ_ISO_REPEATABLE_READ), NQ_OK);
    assert_int_equal(nq_begin(w.b, NQ_TXN_WRITE), NQ_OK);
    put_s(w.tb, "x", "2");
    put_s(w.tb, "y", "2");
    assert_int_equal(nq_commit(w.b), NQ_OK);
    put_s(w.ta, "other", "ok"); /* a key the exclusive one did not write */
    assert_int_equal(nq_put(w.ta, "y", 1, "3", 1, 0), NQ_ESERIALIZE);
    nq_txn_info info;
    assert_int_equal(nq_txn_info_get(w.a, &info), NQ_OK);
    assert_int_equal(info.txid, 0);
    two_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merged_view),
        cmocka_unit_test(test_cursor_lifecycle),
        cmocka_unit_test(test_snapshot_stability),
        cmocka_unit_test(test_statement_snapshots),
        cmocka_unit_test(test_lost_update),
        cmocka_unit_test(test_disjoint_writers),
        cmocka_unit_test(test_write_skew),
        cmocka_unit_test(test_readonly_serializable),
        cmocka_unit_test(test_schema_change),
        cmocka_unit_test(test_sequences_and_claims),
        cmocka_unit_test(test_exclusive_vs_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
