/*
 * test_api.c — the public API end to end: trees by name, put/get/del, explicit and autocommit
 * transactions, rollback, sequences that never repeat, cursors, tree drop giving pages back,
 * the integrity check, locking against a second open, and several connections on threads
 * (readers keep their snapshot while writers commit; concurrent committers all land).
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

#include "base/endian.h"
#include "base/rand.h"
#include "nqdb.h"

#define DB "api_test.db"

static void remove_db(void)
{
    unlink(DB);
    unlink(DB "-wal");
}

static nq_db *open_db(void)
{
    nq_db *db;
    int rc = nq_open(DB, NULL, &db);
    if (rc)
        fail_msg("open: %s", db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, nq_errmsg(db));                                    \
    } while (0)

static void check_clean(nq_db *db)
{
    uint64_t problems = 99;
    int rc = nq_check(db, NULL, NULL, &problems);
    if (rc || problems)
        fail_msg("check: %s (%llu problems)", nq_errmsg(db), (unsigned long long)problems);
}

static void test_put_get_del(void **state)
{
    (void)state;
    remove_db();
    nq_db *db = open_db();
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, "users", 0, &t), NQ_ENOTFOUND);
    assert_non_null(strstr(nq_errmsg(db), "users"));
    OK(db, nq_tree_open(db, "users", NQ_TREE_CREATE, &t));
    OK(db, nq_put(t, "alice", 5, "1", 1, 0));
    OK(db, nq_put(t, "bob", 3, "2", 1, 0));
    assert_int_equal(nq_put(t, "bob", 3, "3", 1, NQ_PUT_NOOVERWRITE), NQ_EEXIST);
    OK(db, nq_put(t, "bob", 3, "22", 2, 0));
    void *v;
    size_t vl;
    OK(db, nq_get(t, "bob", 3, &v, &vl));
    assert_int_equal(vl, 2);
    assert_memory_equal(v, "22", 2);
    free(v);
    assert_int_equal(nq_get(t, "carol", 5, &v, &vl), NQ_ENOTFOUND);
    OK(db, nq_del(t, "alice", 5));
    assert_int_equal(nq_del(t, "alice", 5), NQ_ENOTFOUND);
    assert_int_equal(nq_put(t, "", 0, "x", 1, 0), NQ_EINVAL);
    uint64_t n;
    OK(db, nq_tree_count(t, &n));
    assert_int_equal(n, 1);
    /* a key longer than the limit is refused clearly */
    size_t mk = nq_max_key(db);
    char *big = calloc(1, mk + 1);
    memset(big, 'k', mk + 1);
    assert_int_equal(nq_put(t, big, mk + 1, "v", 1, 0), NQ_ETOOBIG);
    OK(db, nq_put(t, big, mk, "v", 1, 0));
    free(big);
    check_clean(db);
    nq_tree_close(t);
    OK(db, nq_close(db));

    db = open_db();
    OK(db, nq_tree_open(db, "users", 0, &t));
    OK(db, nq_get(t, "bob", 3, &v, &vl));
    assert_memory_equal(v, "22", 2);
    free(v);
    nq_tree_close(t);
    nq_close(db);
}

static void test_transactions(void **state)
{
    (void)state;
    remove_db();
    nq_db *db = open_db();
    nq_tree *t;
    OK(db, nq_tree_open(db, "t", NQ_TREE_CREATE, &t));
    OK(db, nq_begin(db, NQ_TXN_WRITE));
    assert_int_equal(nq_begin(db, NQ_TXN_WRITE), NQ_EMISUSE);
    OK(db, nq_put(t, "a", 1, "1", 1, 0));
    OK(db, nq_put(t, "b", 1, "2", 1, 0));
    OK(db, nq_rollback(db));
    void *v;
    size_t vl;
    assert_int_equal(nq_get(t, "a", 1, &v, &vl), NQ_ENOTFOUND);
    OK(db, nq_begin(db, NQ_TXN_WRITE));
    OK(db, nq_put(t, "a", 1, "1", 1, 0));
    OK(db, nq_commit(db));
    OK(db, nq_get(t, "a", 1, &v, &vl));
    free(v);
    assert_int_equal(nq_commit(db), NQ_EMISUSE);
    OK(db, nq_begin(db, NQ_TXN_READ));
    assert_int_equal(nq_put(t, "c", 1, "3", 1, 0), NQ_EREADONLY);
    OK(db, nq_commit(db));
    nq_tree_close(t);
    nq_close(db);
}

static void test_sequences(void **state)
{
    (void)state;
    remove_db();
    nq_db *db = open_db();
    nq_tree *t;
    OK(db, nq_tree_open(db, "rows", NQ_TREE_CREATE, &t));
    uint64_t a, b, c, d;
    OK(db, nq_seq_next(t, &a));
    assert_int_equal(a, 1);
    OK(db, nq_begin(db, NQ_TXN_WRITE));
    OK(db, nq_seq_next(t, &b));
    OK(db, nq_rollback(db));
    OK(db, nq_seq_next(t, &c));
    assert_true(c > b); /* not reissued after rollback */
    nq_tree_close(t);
    nq_close(db);
    db = open_db();
    OK(db, nq_tree_open(db, "rows", 0, &t));
    OK(db, nq_seq_next(t, &d));
    assert_true(d > c);
    nq_tree_close(t);
    /* a tree created after a drop may get the dropped tree's root page: its sequence starts
     * at 1, it does not continue the dropped one's */
    OK(db, nq_tree_drop(db, "rows"));
    OK(db, nq_tree_open(db, "other", NQ_TREE_CREATE, &t));
    OK(db, nq_seq_next(t, &a));
    assert_int_equal(a, 1);
    nq_tree_close(t);
    nq_close(db);
}

static void test_cursors(void **state)
{
    (void)state;
    remove_db();
    nq_db *db = open_db();
    nq_tree *t;
    OK(db, nq_tree_open(db, "nums", NQ_TREE_CREATE, &t));
    OK(db, nq_begin(db, NQ_TXN_WRITE));
    for (uint64_t i = 0; i < 5000; i += 2) {
        uint8_t k[8];
        put_be64(k, i);
        OK(db, nq_put(t, k, 8, &i, sizeof i, 0));
    }
    OK(db, nq_commit(db));
    nq_cursor *c;
    OK(db, nq_cursor_open(t, &c));
    uint64_t expect = 0, count = 0;
    for (int rc = nq_cursor_first(c); rc == 0; rc = nq_cursor_next(c)) {
        size_t kl, vl;
        const uint8_t *k = nq_cursor_key(c, &kl);
        const void *v = nq_cursor_value(c, &vl);
        assert_int_equal(kl, 8);
        assert_int_equal(get_be64(k), expect);
        uint64_t vv;
        memcpy(&vv, v, 8);
        assert_int_equal(vv, expect);
        expect += 2;
        count++;
    }
    assert_int_equal(count, 2500);
    uint8_t k[8];
    put_be64(k, 101);
    OK(db, nq_cursor_seek(c, k, 8, NQ_SEEK_GE));
    size_t kl;
    assert_int_equal(get_be64(nq_cursor_key(c, &kl)), 102);
    OK(db, nq_cursor_seek(c, k, 8, NQ_SEEK_LE));
    assert_int_equal(get_be64(nq_cursor_key(c, &kl)), 100);
    assert_int_equal(nq_cursor_seek(c, k, 8, NQ_SEEK_EQ), NQ_ENOTFOUND);
    OK(db, nq_cursor_last(c));
    assert_int_equal(get_be64(nq_cursor_key(c, &kl)), 4998);
    nq_cursor_close(c);

    /* a cursor of an explicit transaction dies with it */
    OK(db, nq_begin(db, NQ_TXN_READ));
    OK(db, nq_cursor_open(t, &c));
    OK(db, nq_commit(db));
    assert_int_equal(nq_cursor_first(c), NQ_EMISUSE);
    nq_cursor_close(c);
    nq_tree_close(t);
    nq_close(db);
}

static void test_drop_frees_pages(void **state)
{
    (void)state;
    remove_db();
    nq_db *db = open_db();
    nq_tree *t;
    OK(db, nq_tree_open(db, "big", NQ_TREE_CREATE, &t));
    char val[3000];
    memset(val, 'v', sizeof val);
    OK(db, nq_begin(db, NQ_TXN_WRITE));
    for (int i = 0; i < 2000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "key%06d", i);
        OK(db, nq_put(t, k, (size_t)n, val, (size_t)(i % 7 == 0 ? sizeof val : 50), 0));
    }
    OK(db, nq_commit(db));
    check_clean(db);
    nq_stats s1, s2;
    nq_get_stats(db, &s1);
    OK(db, nq_tree_drop(db, "big"));
    assert_int_equal(nq_put(t, "k", 1, "v", 1, 0), NQ_ENOTFOUND); /* handle sees the drop */
    nq_tree_close(t);
    check_clean(db);
    nq_get_stats(db, &s2);
    /* everything but the header and the catalog's root is free */
    assert_int_equal(s2.freelist_pages + 2, s2.page_count);
    assert_true(s1.page_count > 100);
    /* and the free pages at the end were cut off: the file shrinks at the next checkpoint */
    assert_true(s2.page_count < 10);
    OK(db, nq_checkpoint(db));
    struct stat st;
    assert_int_equal(stat(DB, &st), 0);
    if ((uint64_t)st.st_size > s2.page_count * s2.page_size)
        fail_msg("file has %lld bytes, database %llu pages", (long long)st.st_size,
                 (unsigned long long)s2.page_count);
    nq_close(db);
}

static void test_second_open_locked(void **state)
{
    (void)state;
    remove_db();
    nq_db *db = open_db();
    nq_db *db2;
    assert_int_equal(nq_open(DB, NULL, &db2), NQ_ELOCKED);
    assert_non_null(strstr(nq_errmsg(db2), "open"));
    nq_close(db2);
    nq_close(db);
    OK(db, nq_open(DB, NULL, &db2)); /* free again after close */
    nq_close(db2);
}

static void test_bad_options(void **state)
{
    (void)state;
    remove_db();
    nq_options o;
    nq_options_init(&o);
    o.page_size = 1000;
    nq_db *db;
    assert_int_equal(nq_open(DB, &o, &db), NQ_EINVAL);
    assert_non_null(strstr(nq_errmsg(db), "power of two"));
    nq_close(db);
    nq_options_init(&o);
    o.no_create = 1;
    assert_int_equal(nq_open(DB, &o, &db), NQ_ECANTOPEN);
    nq_close(db);
    assert_int_equal(access(DB, F_OK), -1); /* nothing was created */
}

/* ---- threads ---------------------------------------------------------------------------- */

typedef struct worker {
    nq_db *db;
    int id, n;
    int failures;
} worker;

static void *writer_main(void *arg)
{
    worker *w = arg;
    nq_tree *t;
    if (nq_tree_open(w->db, "shared", NQ_TREE_CREATE, &t)) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < w->n; i++) {
        char k[32];
        int n = snprintf(k, sizeof k, "w%d-%05d", w->id, i);
        if (nq_put(t, k, (size_t)n, k, (size_t)n, 0))
            w->failures++;
    }
    nq_tree_close(t);
    return NULL;
}

static void *reader_main(void *arg)
{
    worker *w = arg;
    nq_tree *t;
    if (nq_tree_open(w->db, "shared", 0, &t)) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < w->n; i++) {
        /* within one read transaction the count never changes, however writers commit */
        if (nq_begin(w->db, NQ_TXN_READ)) {
            w->failures++;
            break;
        }
        uint64_t c1, c2;
        if (nq_tree_count(t, &c1) || nq_tree_count(t, &c2) || c1 != c2)
            w->failures++;
        nq_commit(w->db);
    }
    nq_tree_close(t);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    remove_db();
    nq_options o;
    nq_options_init(&o);
    o.checkpoint_pages = 50; /* checkpoints while readers run */
    nq_db *db;
    OK(db, nq_open(DB, &o, &db));
    nq_tree *t;
    OK(db, nq_tree_open(db, "shared", NQ_TREE_CREATE, &t));
    enum { W = 3, R = 2, PER = 120 }; /* each put is a durable commit: keep the fsyncs few */
    pthread_t th[W + R];
    worker ws[W + R];
    for (int i = 0; i < W + R; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        OK(db, nq_clone(db, &ws[i].db));
        ws[i].id = i;
        ws[i].n = PER;
        pthread_create(&th[i], NULL, i < W ? writer_main : reader_main, &ws[i]);
    }
    for (int i = 0; i < W + R; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ws[i].failures, 0);
        nq_close(ws[i].db);
    }
    uint64_t n;
    OK(db, nq_tree_count(t, &n));
    assert_int_equal(n, W * PER);
    nq_stats st;
    nq_get_stats(db, &st);
    assert_true(st.commits >= W * PER);
    check_clean(db);
    nq_tree_close(t);
    OK(db, nq_close(db));
    db = open_db();
    OK(db, nq_tree_open(db, "shared", 0, &t));
    OK(db, nq_tree_count(t, &n));
    assert_int_equal(n, W * PER);
    nq_tree_close(t);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),       cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_sequences),         cmocka_unit_test(test_cursors),
        cmocka_unit_test(test_drop_frees_pages),  cmocka_unit_test(test_second_open_locked),
        cmocka_unit_test(test_bad_options),       cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
