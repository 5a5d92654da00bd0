/*
 * test_btree_balance.c — how an overfull leaf shares its cells with its siblings.
 *
 * White box (page layout from btree_int.h). Each case builds a two-level tree whose leaves
 * hold exactly ten equal cells each (sequential appends fill them completely), shapes the
 * neighbourhood of one leaf with deletes, then inserts one key into that leaf so that it
 * overflows, and checks which pages took the cells: a roomy left or right sibling absorbs
 * them without a new page (redistribution), two full neighbours become three pages about
 * two thirds full (2-into-3 split), the edge leaves use the one sibling they have. After
 * every step btree_check must pass and account for every page of the file, and the keys
 * must read back in order. Page sizes 1024, 4096 and 65536 run the same cases (the value
 * length scales with the page). A last test asserts the fill factor that motivates all this:
 * random-order inserts of 8-byte keys with 100-byte values leave leaves at least 80% full
 * on average. Everything is seeded and deterministic.
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

static const uint32_t SIZES[] = {1024, 4096, 65536};

static pager *db_open(uint32_t page_size)
{
    unlink("test.db");
    unlink("test.db-wal");
    pager_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.page_size = page_size;
    cfg.sync_off = 1;
    cfg.cache_bytes = 64u << 20;
    pager *p = NULL;
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_open(nq_vfs_default(), "test.db", &cfg, &p, &err);
    if (rc)
        fail_msg("pager_open: %d %s", rc, err.msg);
    return p;
}

static pager_txn *begin(pager *p)
{
    pager_txn *t = NULL;
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_begin(p, 1, 1000, &t, &err);
    if (rc)
        fail_msg("pager_begin: %d %s", rc, err.msg);
    return t;
}

static void db_close(pager *p)
{
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_close(p, &err);
    if (rc)
        fail_msg("pager_close: %d %s", rc, err.msg);
}

#define OK(t, expr)                                                                            \
    do {                                                                                       \
        int rc_ = (expr);                                                                      \
        if (rc_)                                                                               \
            fail_msg("%s = %d: %s", #expr, rc_, pager_txn_err(t)->msg);                        \
    } while (0)

static void report_fail(void *arg, const char *msg)
{
    (void)arg;
    print_error("check: %s\n", msg);
}

/* btree_check passes and every page is the header, a tree page or on the free list. */
static void check_tree(pager_txn *t, uint32_t root)
{
    uint32_t np = pager_page_count(t);
    uint8_t *seen = calloc(np / 8 + 1, 1);
    assert_non_null(seen);
    uint64_t problems = 0;
    int rc = btree_check(t, root, seen, np, report_fail, NULL, &problems);
    if (rc)
        fail_msg("btree_check = %d, %llu problems", rc, (unsigned long long)problems);
    uint32_t used = 0;
    for (uint32_t i = 0; i <= np; i++)
        used += (seen[i >> 3] >> (i & 7)) & 1;
    if (used + pager_freelist_count(t) + 1 != np)
        fail_msg("page accounting: %u tree pages + %u free + header != %u pages", used,
                 pager_freelist_count(t), np);
    free(seen);
}

/* ---- the leaves, in key order ---------------------------------------------------------------- */
typedef struct leafinfo {
    uint32_t pgno, n, used; /* used: bytes of cells and cell pointers */
    uint64_t first;         /* first key (8-byte big-endian keys only) */
} leafinfo;

typedef struct layout {
    leafinfo *l;
    uint32_t n, cap;
} layout;

static void walk(pager_txn *t, uint32_t usable, uint32_t pgno, layout *out, int depth)
{
    assert_true(depth < 10);
    pg *g;
    OK(t, pager_get(t, pgno, &g));
    const uint8_t *d = g->data;
    assert_true(bt_hdr_ok(d, usable));
    uint32_t n = bt_ncell(d);
    if (bt_is_leaf(d)) {
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 64;
            out->l = realloc(out->l, out->cap * sizeof *out->l);
            assert_non_null(out->l);
        }
        leafinfo *li = &out->l[out->n++];
        li->pgno = pgno;
        li->n = n;
        li->used = usable - bt_content(d) - bt_freeb(d) + 2 * n;
        li->first = 0;
        if (n) {
            const uint8_t *k = NULL;
            size_t kl = 0;
            uint32_t off = bt_cell_off(d, usable, 0);
            if (!off || bt_leaf_key(d + off, d + usable, &k, &kl))
                fail_msg("page %u: first cell out of bounds", pgno);
            if (kl == 8)
                li->first = get_be64(k);
        }
        pager_unref(t, g);
        return;
    }
    uint32_t *kids = malloc((n + 1) * sizeof *kids);
    assert_non_null(kids);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = bt_cell_off(d, usable, i);
        assert_true(off != 0);
        kids[i] = get_u32(d + off);
    }
    kids[n] = bt_right(d);
    pager_unref(t, g);
    for (uint32_t i = 0; i <= n; i++)
        walk(t, usable, kids[i], out, depth + 1);
    free(kids);
}

static layout leaves(pager_txn *t, uint32_t root)
{
    layout lo = {NULL, 0, 0};
    walk(t, pager_usable(pager_txn_pager(t)), root, &lo, 0);
    return lo;
}

/* ---- the ten-cells-a-leaf tree ------------------------------------------------------------- */
#define NLEAF 6
#define PER 10   /* cells a leaf holds; an eleventh does not fit */
#define STEP 100 /* key spacing, so that keys fit between the loaded ones */

typedef struct fixture {
    pager *p;
    pager_txn *t;
    uint32_t root, vl;
    uint8_t *v;
    uint64_t nkeys;
} fixture;

static void put_key(fixture *f, uint64_t key)
{
    uint8_t k[8];
    put_be64(k, key);
    OK(f->t, btree_put(f->t, f->root, k, 8, f->v, f->vl, BTREE_NOOVERWRITE));
    f->nkeys++;
}

static void del_key(fixture *f, uint64_t key)
{
    uint8_t k[8];
    put_be64(k, key);
    OK(f->t, btree_del(f->t, f->root, k, 8));
    f->nkeys--;
}

/* Leaves 0..NLEAF-1 with keys STEP*i, PER full cells each. A cell plus its pointer is about
 * 2/21 of the page's cell space, so ten fit and eleven do not, at every page size. */
static void setup(fixture *f, uint32_t page_size)
{
    memset(f, 0, sizeof *f);
    f->p = db_open(page_size);
    f->t = begin(f->p);
    OK(f->t, btree_create(f->t, &f->root));
    uint32_t cap = pager_usable(f->p) - BT_HDR;
    f->vl = cap * 2 / 21 - 13;
    f->v = malloc(f->vl);
    assert_non_null(f->v);
    memset(f->v, 'v', f->vl);
    uint32_t cell = 1 + bt_varint_len(f->vl) + 8 + f->vl + 2;
    assert_true(PER * cell <= cap && (PER + 1) * cell > cap);
    assert_true(cell - 2 <= bt_maxcell(pager_usable(f->p))); /* inline, no overflow pages */
    for (uint64_t i = 0; i < NLEAF * PER; i++)
        put_key(f, STEP * i);
    layout lo = leaves(f->t, f->root);
    assert_int_equal(lo.n, NLEAF);
    for (uint32_t i = 0; i < lo.n; i++) {
        assert_int_equal(lo.l[i].n, PER);
        assert_int_equal(lo.l[i].first, (uint64_t)STEP * PER * i);
    }
    free(lo.l);
    check_tree(f->t, f->root);
}

/* Every key reads back, in order, and btree_count agrees. */
static void verify(fixture *f)
{
    check_tree(f->t, f->root);
    uint64_t n = 0;
    OK(f->t, btree_count(f->t, f->root, &n));
    assert_int_equal(n, f->nkeys);
    btcursor *c;
    OK(f->t, btree_cursor_open(f->t, f->root, &c));
    uint64_t prev = 0, seen = 0;
    for (int rc = btree_cursor_first(c); rc == 0; rc = btree_cursor_next(c), seen++) {
        size_t kl, vl;
        const uint8_t *k = btree_cursor_key(c, &kl);
        const uint8_t *v = btree_cursor_value(c, &vl);
        assert_int_equal(kl, 8);
        assert_int_equal(vl, f->vl);
        assert_memory_equal(v, f->v, vl);
        if (seen)
            assert_true(get_be64(k) > prev);
        prev = get_be64(k);
    }
    btree_cursor_close(c);
    assert_int_equal(seen, f->nkeys);
}

static void teardown(fixture *f)
{
    verify(f);
    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(pager_commit(f->t, &err), 0);
    db_close(f->p);
    free(f->v);
}

/* Insert one key into leaf `at` (it overflows) after `del` deletes from leaf `room`. */
static layout overflow_leaf(fixture *f, int room, int del, int at)
{
    for (int i = 0; i < del; i++)
        del_key(f, STEP * ((uint64_t)room * PER + 1 + (uint64_t)i));
    if (del)
        check_tree(f->t, f->root);
    put_key(f, STEP * ((uint64_t)at * PER + 5) + STEP / 2);
    verify(f);
    return leaves(f->t, f->root);
}

/* A full leaf with a roomy left neighbour and a full right one shifts cells left. */
static void redistribute_left(uint32_t ps)
{
    fixture f;
    setup(&f, ps);
    layout before = leaves(f.t, f.root);
    uint32_t pages = pager_page_count(f.t);
    /* a cursor in the leaf that overflows must follow its key to the new place */
    btcursor *c;
    uint8_t k[8];
    put_be64(k, STEP * (2 * PER + 8));
    OK(f.t, btree_cursor_open(f.t, f.root, &c));
    OK(f.t, btree_cursor_seek(c, k, 8, NQ_SEEK_EQ));
    layout lo = overflow_leaf(&f, 1, 3, 2);
    assert_int_equal(lo.n, NLEAF);
    assert_int_equal(pager_page_count(f.t), pages);
    for (int i = 0; i < NLEAF; i++)
        assert_int_equal(lo.l[i].pgno, before.l[i].pgno);
    /* leaf 1 had 7 cells, leaf 2 had 11: now even, and leaf 2's first keys moved left */
    assert_int_equal(lo.l[1].n + lo.l[2].n, PER - 3 + PER + 1);
    assert_true(lo.l[1].n > PER - 3);
    assert_true(abs((int)lo.l[1].n - (int)lo.l[2].n) <= 1);
    assert_true(lo.l[2].first > before.l[2].first);
    assert_int_equal(lo.l[3].n, PER); /* the full right neighbour is untouched */
    assert_int_equal(lo.l[3].first, before.l[3].first);
    size_t kl;
    const uint8_t *ck;
    OK(f.t, btree_cursor_next(c));
    ck = btree_cursor_key(c, &kl);
    assert_int_equal(get_be64(ck), STEP * (2 * PER + 9));
    btree_cursor_close(c);
    free(before.l);
    free(lo.l);
    teardown(&f);
}

/* The mirror image: the right neighbour has room, the left one is full. */
static void redistribute_right(uint32_t ps)
{
    fixture f;
    setup(&f, ps);
    layout before = leaves(f.t, f.root);
    uint32_t pages = pager_page_count(f.t);
    layout lo = overflow_leaf(&f, 3, 3, 2);
    assert_int_equal(lo.n, NLEAF);
    assert_int_equal(pager_page_count(f.t), pages);
    for (int i = 0; i < NLEAF; i++)
        assert_int_equal(lo.l[i].pgno, before.l[i].pgno);
    assert_int_equal(lo.l[2].n + lo.l[3].n, PER + 1 + PER - 3);
    assert_true(lo.l[3].n > PER - 3);
    assert_true(lo.l[3].first < before.l[3].first); /* leaf 2's last keys moved right */
    assert_true(abs((int)lo.l[2].n - (int)lo.l[3].n) <= 1);
    assert_int_equal(lo.l[1].n, PER); /* the full left neighbour is untouched */
    assert_int_equal(lo.l[2].first, before.l[2].first);
    free(before.l);
    free(lo.l);
    teardown(&f);
}

/* Both neighbours full: the leaf and one neighbour become three pages about 2/3 full. */
static void split_two_into_three(uint32_t ps)
{
    fixture f;
    setup(&f, ps);
    uint32_t pages = pager_page_count(f.t);
    layout lo = overflow_leaf(&f, 0, 0, 2);
    assert_int_equal(lo.n, NLEAF + 1);
    assert_int_equal(pager_page_count(f.t), pages + 1);
    uint32_t cap = pager_usable(f.p) - BT_HDR, twothirds = 0;
    for (uint32_t i = 0; i < lo.n; i++)
        if (lo.l[i].n < PER)
            twothirds++;
    /* 21 cells over three pages: 7 each; the untouched leaves stay full */
    assert_int_equal(twothirds, 3);
    for (uint32_t i = 0; i < lo.n; i++) {
        assert_true(lo.l[i].n >= 6);
        assert_true(lo.l[i].used <= cap);
    }
    free(lo.l);
    teardown(&f);
}

/* The first leaf has only a right sibling, the last only a left one (and an insert in the
 * middle of the last leaf is not an append). */
static void edges(uint32_t ps)
{
    fixture f;
    setup(&f, ps);
    layout lo = overflow_leaf(&f, 1, 3, 0); /* room on the right of leaf 0 */
    assert_int_equal(lo.n, NLEAF);
    assert_true(lo.l[1].n > PER - 3);
    free(lo.l);
    lo = overflow_leaf(&f, 4, 3, NLEAF - 1); /* room on the left of the last leaf */
    assert_int_equal(lo.n, NLEAF);
    assert_true(lo.l[4].n > PER - 3);
    free(lo.l);
    /* no room anywhere near: both edges split 2-into-3 */
    lo = leaves(f.t, f.root);
    uint32_t before = lo.n;
    free(lo.l);
    for (uint64_t i = 0; i < 8; i++) {
        put_key(&f, 10 + i);
        put_key(&f, STEP * (NLEAF * PER - 1) - 10 - i);
        check_tree(f.t, f.root);
    }
    lo = leaves(f.t, f.root);
    assert_true(lo.n > before);
    free(lo.l);
    teardown(&f);
}

/* Many overflowing leaves in random places, checked after every insert; then deletes (which
 * merge and redistribute as before) down to nothing. */
static void churn(uint32_t ps)
{
    fixture f;
    setup(&f, ps);
    nq_rng r;
    nq_rng_seed(&r, ps);
    uint64_t top = STEP * NLEAF * PER;
    uint64_t *keys = malloc(600 * sizeof *keys);
    assert_non_null(keys);
    uint32_t nk = 0;
    for (int i = 0; i < 600; i++) {
        uint64_t key = nq_rng_below(&r, top);
        if (key % STEP == 0)
            continue; /* a loaded key */
        uint8_t k[8];
        put_be64(k, key);
        if (btree_get(f.t, f.root, k, 8, NULL, NULL) == 0)
            continue;
        put_key(&f, key);
        keys[nk++] = key;
        check_tree(f.t, f.root);
    }
    verify(&f);
    layout lo = leaves(f.t, f.root);
    uint64_t used = 0;
    for (uint32_t i = 0; i < lo.n; i++)
        used += lo.l[i].used;
    /* new keys in random places: well above the 2/3 that lone splits give */
    assert_true(used * 100 >= (uint64_t)lo.n * (pager_usable(f.p) - BT_HDR) * 75);
    free(lo.l);
    for (uint32_t i = 0; i < nk; i++) {
        del_key(&f, keys[i]);
        if (i % 7 == 0)
            check_tree(f.t, f.root);
    }
    for (uint64_t i = 0; i < NLEAF * PER; i++) {
        del_key(&f, STEP * i);
        check_tree(f.t, f.root);
    }
    assert_int_equal(pager_freelist_count(f.t) + 2, pager_page_count(f.t));
    free(keys);
    teardown(&f);
}

static void test_redistribute_left(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof SIZES / sizeof *SIZES; i++)
        redistribute_left(SIZES[i]);
}

static void test_redistribute_right(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof SIZES / sizeof *SIZES; i++)
        redistribute_right(SIZES[i]);
}

static void test_split_two_into_three(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof SIZES / sizeof *SIZES; i++)
        split_two_into_three(SIZES[i]);
}

static void test_edges(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof SIZES / sizeof *SIZES; i++)
        edges(SIZES[i]);
}

static void test_churn(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof SIZES / sizeof *SIZES; i++)
        churn(SIZES[i]);
}

/* Random-order inserts of 8-byte keys with 100-byte values: average leaf fill >= want (lone
 * 50/50 splits gave 64% at 1 KiB, 69% at 4 KiB, 67% at 64 KiB), and sequential appends still
 * fill leaves completely. */
static void fill_factor(uint32_t ps, uint32_t n, double want_random)
{
    pager *p = db_open(ps);
    pager_txn *t = begin(p);
    uint32_t root, seqroot;
    OK(t, btree_create(t, &root));
    OK(t, btree_create(t, &seqroot));
    nq_rng r;
    nq_rng_seed(&r, 42 + ps);
    uint8_t k[8], v[100];
    memset(v, 'v', sizeof v);
    for (uint32_t i = 0; i < n; i++) {
        put_be64(k, nq_rng_next(&r));
        OK(t, btree_put(t, root, k, 8, v, sizeof v, 0));
        put_be64(k, i);
        OK(t, btree_put(t, seqroot, k, 8, v, sizeof v, 0));
    }
    uint32_t cap = pager_usable(p) - BT_HDR;
    layout lo = leaves(t, root);
    uint64_t used = 0;
    for (uint32_t i = 0; i < lo.n; i++)
        used += lo.l[i].used;
    double fill = (double)used / ((double)lo.n * cap);
    if (fill < want_random)
        fail_msg("random inserts, %u-byte pages: average leaf fill %.1f%% over %u leaves, want "
                 ">= %.0f%%",
                 ps, 100 * fill, lo.n, 100 * want_random);
    free(lo.l);
    /* appends: every leaf but the last is full (no room for one more 112-byte cell) */
    lo = leaves(t, seqroot);
    for (uint32_t i = 0; i + 1 < lo.n; i++)
        if (lo.l[i].used + 112 <= cap)
            fail_msg("sequential inserts, %u-byte pages: leaf %u of %u has %u of %u bytes free",
                     ps, i, lo.n, cap - lo.l[i].used, cap);
    free(lo.l);
    uint32_t np = pager_page_count(t);
    uint8_t *seen = calloc(np / 8 + 1, 1);
    assert_non_null(seen);
    OK(t, btree_check(t, root, seen, np, report_fail, NULL, NULL));
    OK(t, btree_check(t, seqroot, seen, np, report_fail, NULL, NULL));
    free(seen);
    pager_rollback(t);
    db_close(p);
}

static void test_fill_factor(void **state)
{
    (void)state;
    /* a 1 KiB page holds only nine of these cells, so a 2-into-3 split of 19 cells gives
     * pages of 6 or 7 (67-78%) and redistribution has little to work with: ~78.5% */
    fill_factor(1024, 40000, 0.75);
    fill_factor(4096, 100000, 0.80);
    fill_factor(65536, 400000, 0.80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redistribute_left),   cmocka_unit_test(test_redistribute_right),
        cmocka_unit_test(test_split_two_into_three), cmocka_unit_test(test_edges),
        cmocka_unit_test(test_churn),               cmocka_unit_test(test_fill_factor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
