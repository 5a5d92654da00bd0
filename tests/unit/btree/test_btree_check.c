/*
 * test_btree_check.c — btree_check finds each kind of damage and says where.
 *
 * A sound tree of three levels (1024-byte pages, some overflow values) is built and committed;
 * each case then damages one thing inside a write transaction (white box: it uses the page
 * layout from btree_int.h), runs the check, expects a report naming the tree, the page and
 * the problem, makes sure lookups and scans fail cleanly or still work, and rolls back.
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
#include "base/rand.h"
#include "storage/btree.h"
#include "storage/btree_int.h"
#include "storage/pager.h"

#define NKEYS 3000

static pager *P;
static uint32_t ROOT;

typedef struct reports {
    char text[8192];
    int n;
} reports;

static void collect(void *arg, const char *msg)
{
    reports *r = arg;
    size_t l = strlen(r->text);
    snprintf(r->text + l, sizeof r->text - l, "%s\n", msg);
    r->n++;
}

static void key_of(uint8_t *k, int i) { put_be64(k, (uint64_t)i * 3); }

static int setup(void **state)
{
    (void)state;
    unlink("test.db");
    unlink("test.db-wal");
    pager_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.page_size = 1024;
    cfg.sync_off = 1;
    nq_err err;
    if (pager_open(nq_vfs_default(), "test.db", &cfg, &P, &err))
        return -1;
    pager_txn *t;
    if (pager_begin(P, 1, 1000, &t, &err) || btree_create(t, &ROOT))
        return -1;
    uint8_t k[8], v[3000];
    memset(v, 'v', sizeof v);
    for (int i = 0; i < NKEYS; i++) {
        key_of(k, i);
        if (btree_put(t, ROOT, k, 8, v, i % 100 == 7 ? 2500 : 40, 0))
            return -1;
    }
    return pager_commit(t, &err);
}

static int teardown(void **state)
{
    (void)state;
    nq_err err;
    return pager_close(P, &err);
}

static pager_txn *wbegin(void)
{
    pager_txn *t;
    nq_err err;
    assert_int_equal(pager_begin(P, 1, 1000, &t, &err), 0);
    return t;
}

static int run_check(pager_txn *t, reports *r)
{
    uint32_t np = pager_page_count(t);
    uint8_t *seen = calloc(np / 8 + 1, 1);
    uint64_t problems = 0;
    memset(r, 0, sizeof *r);
    int rc = btree_check(t, ROOT, seen, np, collect, r, &problems);
    assert_int_equal((uint64_t)r->n, problems);
    free(seen);
    return rc;
}

static void expect_report(const reports *r, const char *needle)
{
    char head[32];
    snprintf(head, sizeof head, "tree %u: page ", ROOT);
    if (!strstr(r->text, needle) || !strstr(r->text, head))
        fail_msg("expected a report with \"%s\", got:\n%s", needle, r->text);
}

/* Path of page numbers from the root to the leaf holding key i (depth returned). */
static int path_to(pager_txn *t, int i, uint32_t *path, uint32_t *idx)
{
    uint32_t U = pager_usable(P), pgno = ROOT;
    uint8_t k[8];
    key_of(k, i);
    for (int d = 0;; d++) {
        pg *g;
        assert_int_equal(pager_get(t, pgno, &g), 0);
        const uint8_t *p = g->data;
        path[d] = pgno;
        uint32_t n = bt_ncell(p), j = 0;
        if (bt_is_leaf(p)) {
            pager_unref(t, g);
            return d + 1;
        }
        for (; j < n; j++) {
            uint32_t child, sz;
            const uint8_t *ck = NULL;
            size_t ckl = 0;
            assert_int_equal(bt_int_parse(p + bt_cell_off(p, U, j), p + U, U, &child, &ck, &ckl, &sz), 0);
            if (bt_keycmp(ck, ckl, k, 8) > 0)
                break;
        }
        idx[d] = j;
        pgno = j < n ? get_u32(p + bt_cell_off(p, U, j)) : bt_right(p);
        pager_unref(t, g);
    }
}

static uint8_t *writable(pager_txn *t, uint32_t pgno, pg **g)
{
    assert_int_equal(pager_get(t, pgno, g), 0);
    assert_int_equal(pager_write(t, g), 0);
    return (*g)->data;
}

static void test_sound(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    reports r;
    assert_int_equal(run_check(t, &r), 0);
    assert_int_equal(r.n, 0);
    uint32_t path[BT_MAX_DEPTH], idx[BT_MAX_DEPTH];
    assert_true(path_to(t, 0, path, idx) >= 3); /* the cases below need interior levels */
    pager_rollback(t);
}

static void test_keys_out_of_order(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    uint32_t path[BT_MAX_DEPTH], idx[BT_MAX_DEPTH], U = pager_usable(P);
    int depth = path_to(t, NKEYS / 2, path, idx);
    pg *g;
    uint8_t *d = writable(t, path[depth - 1], &g);
    /* swap the first two cell pointers */
    uint16_t a = get_u16(d + BT_HDR), b = get_u16(d + BT_HDR + 2);
    put_u16(d + BT_HDR, b);
    put_u16(d + BT_HDR + 2, a);
    (void)U;
    pager_unref(t, g);
    reports r;
    assert_int_equal(run_check(t, &r), NQ_ECORRUPT);
    expect_report(&r, "keys out of order at cell 1");
    pager_rollback(t);
}

static void test_key_outside_parent_range(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    uint32_t path[BT_MAX_DEPTH], idx[BT_MAX_DEPTH], U = pager_usable(P);
    int depth = path_to(t, NKEYS / 2, path, idx);
    pg *g;
    uint8_t *d = writable(t, path[depth - 1], &g);
    /* make the leaf's last key huge: still in order inside the page, but not below the
     * parent's next separator */
    uint32_t n = bt_ncell(d), off = bt_cell_off(d, U, n - 1);
    bt_leafcell c = {0};
    assert_int_equal(bt_leaf_parse(d + off, d + U, U, &c), 0);
    memset((uint8_t *)c.key, 0xff, c.kl);
    pager_unref(t, g);
    reports r;
    assert_int_equal(run_check(t, &r), NQ_ECORRUPT);
    expect_report(&r, "not below the parent's next separator");
    pager_rollback(t);
}

static void test_page_used_twice(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    uint32_t path[BT_MAX_DEPTH], idx[BT_MAX_DEPTH], U = pager_usable(P);
    int depth = path_to(t, NKEYS / 2, path, idx);
    pg *g;
    uint8_t *d = writable(t, path[depth - 2], &g);
    /* point the right-most child at the same leaf as cell 0 */
    uint32_t c0 = get_u32(d + bt_cell_off(d, U, 0));
    put_u32(d + BT_OFF_RIGHT, c0);
    pager_unref(t, g);
    reports r;
    assert_int_equal(run_check(t, &r), NQ_ECORRUPT);
    expect_report(&r, "page used twice");
    pager_rollback(t);
}

static void test_child_out_of_range(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    pg *g;
    uint8_t *d = writable(t, ROOT, &g);
    put_u32(d + BT_OFF_RIGHT, pager_page_count(t) + 100);
    pager_unref(t, g);
    reports r;
    assert_int_equal(run_check(t, &r), NQ_ECORRUPT);
    expect_report(&r, "out of range");
    /* lookups that go right fail cleanly */
    uint8_t k[8];
    key_of(k, NKEYS - 1);
    void *v;
    size_t vl;
    assert_int_not_equal(btree_get(t, ROOT, k, 8, &v, &vl), 0);
    pager_rollback(t);
}

static void test_overflow_chain(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    uint32_t path[BT_MAX_DEPTH], idx[BT_MAX_DEPTH], U = pager_usable(P);
    int depth = path_to(t, 7, path, idx); /* key 7 has a 2500-byte value */
    pg *g;
    assert_int_equal(pager_get(t, path[depth - 1], &g), 0);
    uint32_t ovfl = 0;
    uint8_t want[8];
    key_of(want, 7);
    for (uint32_t i = 0; i < bt_ncell(g->data); i++) {
        bt_leafcell c = {0};
        assert_int_equal(bt_leaf_parse(g->data + bt_cell_off(g->data, U, i), g->data + U, U, &c), 0);
        if (c.kl == 8 && !memcmp(c.key, want, 8))
            ovfl = c.ovfl;
    }
    pager_unref(t, g);
    assert_true(ovfl);
    /* cut the chain after its first page */
    uint8_t *d = writable(t, ovfl, &g);
    put_u32(d + 4, 0);
    pager_unref(t, g);
    reports r;
    assert_int_equal(run_check(t, &r), NQ_ECORRUPT);
    expect_report(&r, "overflow chain has 1 pages, value needs 3");
    void *v;
    size_t vl;
    assert_int_equal(btree_get(t, ROOT, want, 8, &v, &vl), NQ_ECORRUPT);
    assert_non_null(strstr(pager_txn_err(t)->msg, "overflow chain"));
    pager_rollback(t);
}

static void test_bad_page_type(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    uint32_t path[BT_MAX_DEPTH], idx[BT_MAX_DEPTH];
    int depth = path_to(t, 100, path, idx);
    pg *g;
    uint8_t *d = writable(t, path[depth - 1], &g);
    d[0] = PGTYPE_OVERFLOW;
    pager_unref(t, g);
    reports r;
    assert_int_equal(run_check(t, &r), NQ_ECORRUPT);
    expect_report(&r, "not a B-tree page (type 5)");
    uint8_t k[8];
    key_of(k, 100);
    assert_int_equal(btree_put(t, ROOT, k, 8, "x", 1, 0), NQ_ECORRUPT);
    assert_int_equal(btree_del(t, ROOT, k, 8), NQ_ECORRUPT);
    uint64_t n;
    assert_int_equal(btree_count(t, ROOT, &n), NQ_ECORRUPT);
    pager_rollback(t);
}

static void test_free_space_accounting(void **state)
{
    (void)state;
    pager_txn *t = wbegin();
    uint32_t path[BT_MAX_DEPTH], idx[BT_MAX_DEPTH];
    int depth = path_to(t, 200, path, idx);
    pg *g;
    uint8_t *d = writable(t, path[depth - 1], &g);
    put_u16(d + BT_OFF_FREE, (uint16_t)(bt_freeb(d) + 1));
    pager_unref(t, g);
    reports r;
    assert_int_equal(run_check(t, &r), NQ_ECORRUPT);
    expect_report(&r, "do not fill the");
    pager_rollback(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sound),
        cmocka_unit_test(test_keys_out_of_order),
        cmocka_unit_test(test_key_outside_parent_range),
        cmocka_unit_test(test_page_used_twice),
        cmocka_unit_test(test_child_out_of_range),
        cmocka_unit_test(test_overflow_chain),
        cmocka_unit_test(test_bad_page_type),
        cmocka_unit_test(test_free_space_accounting),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
