/*
 * test_page_codec_mark.c — the page-codec mark of a B-tree (btree_codec.c, btree_int.h):
 * btree_codec_mark sets it on every page (interior, leaf, overflow); pages that later inserts
 * create by splitting, new root levels and new overflow chains inherit it; btree_clear keeps
 * it on the root; OFF clears every page; btree_check accepts marked trees; another tree in
 * the same file is never touched.
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

#include "base/endian.h"
#include "storage/btree.h"
#include "storage/pager.h"
#include "storage/pgcodec.h"

typedef struct tally {
    uint64_t pages, marked, overflow, interior;
} tally;

static void count_cb(void *arg, uint32_t pgno, const uint8_t *d, uint32_t P)
{
    (void)pgno, (void)P;
    tally *t = arg;
    t->pages++;
    t->marked += (d[1] & PGCODEC_PAGE_FLAG) != 0;
    t->overflow += d[0] == PGTYPE_OVERFLOW;
    t->interior += d[0] == PGTYPE_BTREE_INTERIOR;
}

static pager *db_open(void)
{
    unlink("test_pcm.db");
    unlink("test_pcm.db-wal");
    pager_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.page_size = 1024;
    cfg.sync_off = 1;
    pager *p = NULL;
    nq_err err;
    assert_int_equal(pager_open(nq_vfs_default(), "test_pcm.db", &cfg, &p, &err), 0);
    return p;
}

static pager_txn *begin(pager *p, int write)
{
    pager_txn *t = NULL;
    nq_err err;
    assert_int_equal(pager_begin(p, write, 1000, &t, &err), 0);
    return t;
}

static void commit(pager_txn *t)
{
    nq_err err;
    assert_int_equal(pager_commit(t, &err), 0);
}

static tally visit(pager *p, uint32_t root)
{
    tally ty = {0};
    pager_txn *t = begin(p, 0);
    int rc = btree_codec_mark(t, root, BTREE_CODEC_VISIT, count_cb, &ty);
    if (rc)
        fprintf(stderr, "visit: %s\n", pager_txn_err(t)->msg);
    assert_int_equal(rc, 0);
    pager_rollback(t);
    return ty;
}

static void put_rows(pager *p, uint32_t root, int from, int to)
{
    pager_txn *t = begin(p, 1);
    static uint8_t val[3000];
    for (int i = from; i < to; i++) {
        uint8_t k[8];
        put_be64(k, (uint64_t)i);
        size_t vl = i % 7 == 0 ? 2500 : 40; /* every seventh value spills to overflow pages */
        memset(val, 'a' + i % 26, vl);
        assert_int_equal(btree_put(t, root, k, 8, val, vl, 0), 0);
    }
    commit(t);
}

static void check_tree(pager *p, uint32_t root)
{
    pager_txn *t = begin(p, 0);
    uint32_t n = pager_page_count(t);
    uint8_t *seen = calloc(n / 8 + 2, 1);
    uint64_t problems = 0;
    assert_int_equal(btree_check(t, root, seen, n, NULL, NULL, &problems), 0);
    assert_int_equal(problems, 0);
    free(seen);
    pager_rollback(t);
}

static void test_mark(void **state)
{
    (void)state;
    pager *p = db_open();
    pager_txn *t = begin(p, 1);
    uint32_t a, b;
    assert_int_equal(btree_create(t, &a), 0);
    assert_int_equal(btree_create(t, &b), 0);
    commit(t);
    put_rows(p, a, 0, 200);
    put_rows(p, b, 0, 200);
    tally ty = visit(p, a);
    assert_true(ty.pages > 20 && ty.overflow > 0 && ty.interior > 0);
    assert_int_equal(ty.marked, 0);

    /* mark a: every page, overflow pages included */
    t = begin(p, 1);
    tally seen = {0};
    assert_int_equal(btree_codec_mark(t, a, BTREE_CODEC_ON, count_cb, &seen), 0);
    commit(t);
    assert_int_equal(seen.marked, seen.pages);
    ty = visit(p, a);
    assert_int_equal(ty.marked, ty.pages);
    check_tree(p, a);

    /* growth: splits, a new level, new overflow chains all inherit the mark */
    uint64_t before = ty.pages;
    put_rows(p, a, 200, 1500);
    ty = visit(p, a);
    assert_true(ty.pages > 4 * before);
    assert_int_equal(ty.marked, ty.pages);
    check_tree(p, a);
    /* the other tree was never touched */
    tally tb = visit(p, b);
    assert_int_equal(tb.marked, 0);

    /* deletes that merge pages keep it too */
    t = begin(p, 1);
    for (int i = 0; i < 1500; i += 2) {
        uint8_t k[8];
        put_be64(k, (uint64_t)i);
        assert_int_equal(btree_del(t, a, k, 8), 0);
    }
    commit(t);
    ty = visit(p, a);
    assert_int_equal(ty.marked, ty.pages);

    /* clear keeps the root's mark; the tree then grows marked again */
    t = begin(p, 1);
    assert_int_equal(btree_clear(t, a), 0);
    commit(t);
    ty = visit(p, a);
    assert_int_equal(ty.pages, 1);
    assert_int_equal(ty.marked, 1);
    put_rows(p, a, 0, 300);
    ty = visit(p, a);
    assert_int_equal(ty.marked, ty.pages);

    /* OFF clears every page */
    t = begin(p, 1);
    assert_int_equal(btree_codec_mark(t, a, BTREE_CODEC_OFF, NULL, NULL), 0);
    commit(t);
    ty = visit(p, a);
    assert_int_equal(ty.marked, 0);
    put_rows(p, a, 300, 600);
    ty = visit(p, a);
    assert_int_equal(ty.marked, 0);
    check_tree(p, a);

    /* a read transaction may only visit */
    t = begin(p, 0);
    assert_int_equal(btree_codec_mark(t, a, BTREE_CODEC_ON, NULL, NULL), NQ_EREADONLY);
    pager_rollback(t);
    nq_err err;
    assert_int_equal(pager_close(p, &err), 0);
    unlink("test_pcm.db");
    unlink("test_pcm.db-wal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
