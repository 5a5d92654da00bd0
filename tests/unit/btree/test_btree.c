/*
 * test_btree.c — the B+ tree against a simple in-memory model.
 *
 * The model is a sorted array of (key, value) pairs. Random batches of puts (new keys and
 * replacements, values from empty to several overflow pages), deletes and cursor deletes are
 * applied to both; after every batch the tree is compared with the model by forward and
 * backward cursor scans, random seeks in all three modes and point lookups, btree_check must
 * pass and account for every page of the file (tree pages + free list + header), and at the
 * end the database is committed, reopened and compared again. Page sizes 1024, 4096 and 65536
 * run the same workload. Other tests cover sequential fill, delete-all giving every page
 * back, cursor stability under modifications through other paths, clear/drop, limits, and
 * corrupted pages. Everything is seeded (nq_rng) and so deterministic.
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
#include "storage/pager.h"

/* ---- model ----------------------------------------------------------------------------------- */
typedef struct ment {
    uint8_t *k, *v;
    size_t kl, vl;
} ment;

typedef struct model {
    ment *e;
    size_t n, cap;
} model;

static int kcmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int r = m ? memcmp(a, b, m) : 0;
    return r ? r : (al > bl) - (al < bl);
}

/* index of first entry >= key */
static size_t m_lower(const model *m, const uint8_t *k, size_t kl)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (kcmp(m->e[mid].k, m->e[mid].kl, k, kl) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int m_find(const model *m, const uint8_t *k, size_t kl, size_t *at)
{
    *at = m_lower(m, k, kl);
    return *at < m->n && !kcmp(m->e[*at].k, m->e[*at].kl, k, kl);
}

static uint8_t *mdup(const uint8_t *p, size_t n)
{
    uint8_t *r = malloc(n ? n : 1);
    assert_non_null(r);
    if (n)
        memcpy(r, p, n);
    return r;
}

static void m_put(model *m, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    size_t i;
    if (m_find(m, k, kl, &i)) {
        free(m->e[i].v);
        m->e[i].v = mdup(v, vl);
        m->e[i].vl = vl;
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
        assert_non_null(m->e);
    }
    memmove(m->e + i + 1, m->e + i, (m->n - i) * sizeof *m->e);
    m->e[i] = (ment){mdup(k, kl), mdup(v, vl), kl, vl};
    m->n++;
}

static void m_del_at(model *m, size_t i)
{
    free(m->e[i].k);
    free(m->e[i].v);
    memmove(m->e + i, m->e + i + 1, (m->n - i - 1) * sizeof *m->e);
    m->n--;
}

static void m_free(model *m)
{
    while (m->n)
        m_del_at(m, m->n - 1);
    free(m->e);
    memset(m, 0, sizeof *m);
}

/* ---- database helpers ------------------------------------------------------------------------ */
static pager *db_open(uint32_t page_size, int fresh)
{
    if (fresh) {
        unlink("test.db");
        unlink("test.db-wal");
    }
    pager_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.page_size = page_size;
    cfg.sync_off = 1;
    pager *p = NULL;
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_open(nq_vfs_default(), "test.db", &cfg, &p, &err);
    if (rc)
        fail_msg("pager_open: %d %s", rc, err.msg);
    return p;
}

static pager_txn *begin(pager *p, int write)
{
    pager_txn *t = NULL;
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_begin(p, write, 1000, &t, &err);
    if (rc)
        fail_msg("pager_begin: %d %s", rc, err.msg);
    return t;
}

static void commit(pager_txn *t)
{
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_commit(t, &err);
    if (rc)
        fail_msg("pager_commit: %d %s", rc, err.msg);
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

/* btree_check passes and, when the tree is the only one in the file, every page is either the
 * header, a page of the tree, or on the free list. */
static void check_tree(pager_txn *t, uint32_t root, int only_tree)
{
    uint32_t np = pager_page_count(t);
    uint8_t *seen = calloc(np / 8 + 1, 1);
    uint64_t problems = 0;
    int rc = btree_check(t, root, seen, np, report_fail, NULL, &problems);
    if (rc)
        fail_msg("btree_check = %d, %llu problems", rc, (unsigned long long)problems);
    if (only_tree) {
        uint32_t used = 0;
        for (uint32_t i = 0; i <= np; i++)
            used += (seen[i >> 3] >> (i & 7)) & 1;
        if (used + pager_freelist_count(t) + 1 != np)
            fail_msg("page accounting: %u tree pages + %u free + header != %u pages", used,
                     pager_freelist_count(t), np);
    }
    free(seen);
}

/* Levels from the root to the right-most leaf (raw page bytes: type at 0, right child at 8). */
static int tree_depth(pager_txn *t, uint32_t root)
{
    int d = 1;
    for (uint32_t pgno = root;; d++) {
        pg *g;
        OK(t, pager_get(t, pgno, &g));
        int leaf = g->data[0] == PGTYPE_BTREE_LEAF;
        pgno = get_u32(g->data + 8);
        pager_unref(t, g);
        if (leaf)
            return d;
    }
}

/* ---- comparison of tree and model -------------------------------------------------------------- */
static void expect_entry(btcursor *c, const ment *e)
{
    size_t kl, vl;
    const void *k = btree_cursor_key(c, &kl);
    assert_non_null(k);
    if (kl != e->kl || memcmp(k, e->k, kl))
        fail_msg("cursor key mismatch (len %zu vs %zu)", kl, e->kl);
    const void *v = btree_cursor_value(c, &vl);
    assert_non_null(v);
    if (vl != e->vl || (vl && memcmp(v, e->v, vl)))
        fail_msg("cursor value mismatch (len %zu vs %zu)", vl, e->vl);
}

static void compare(pager_txn *t, uint32_t root, const model *m, nq_rng *r)
{
    btcursor *c;
    OK(t, btree_cursor_open(t, root, &c));
    int rc = btree_cursor_first(c);
    for (size_t i = 0; i < m->n; i++) {
        if (rc)
            fail_msg("forward scan stopped at %zu of %zu: %d %s", i, m->n, rc,
                     pager_txn_err(t)->msg);
        expect_entry(c, &m->e[i]);
        rc = btree_cursor_next(c);
    }
    assert_int_equal(rc, NQ_ENOTFOUND);
    assert_false(btree_cursor_valid(c));
    rc = btree_cursor_last(c);
    for (size_t i = m->n; i-- > 0;) {
        if (rc)
            fail_msg("backward scan stopped at %zu: %d", i, rc);
        size_t kl;
        const void *k = btree_cursor_key(c, &kl);
        assert_true(kl == m->e[i].kl && !memcmp(k, m->e[i].k, kl));
        rc = btree_cursor_prev(c);
    }
    assert_int_equal(rc, NQ_ENOTFOUND);

    uint64_t cnt;
    OK(t, btree_count(t, root, &cnt));
    assert_int_equal(cnt, m->n);

    /* seeks: at existing keys, and at probes derived from them (prefixes, extensions) */
    for (int s = 0; s < 200 && m->n; s++) {
        const ment *e = &m->e[nq_rng_below(r, m->n)];
        uint8_t probe[1100];
        size_t pl = e->kl;
        memcpy(probe, e->k, pl);
        switch (nq_rng_below(r, 4)) {
        case 0: break;
        case 1: if (pl) pl = nq_rng_below(r, pl); break;
        case 2: probe[pl++] = (uint8_t)nq_rng_below(r, 256); break;
        case 3: if (pl) probe[pl - 1] ^= (uint8_t)(1 + nq_rng_below(r, 255)); break;
        }
        size_t at;
        int present = m_find(m, probe, pl, &at);
        for (int how = 0; how < 3; how++) {
            rc = btree_cursor_seek(c, probe, pl, how);
            ptrdiff_t want;
            if (how == NQ_SEEK_EQ)
                want = present ? (ptrdiff_t)at : -1;
            else if (how == NQ_SEEK_GE)
                want = at < m->n ? (ptrdiff_t)at : -1;
            else
                want = present ? (ptrdiff_t)at : (ptrdiff_t)at - 1;
            if (want < 0) {
                assert_int_equal(rc, NQ_ENOTFOUND);
                continue;
            }
            if (rc)
                fail_msg("seek how=%d: %d %s", how, rc, pager_txn_err(t)->msg);
            expect_entry(c, &m->e[want]);
            /* stepping from a seek position */
            rc = btree_cursor_next(c);
            if ((size_t)want + 1 < m->n) {
                assert_int_equal(rc, 0);
                expect_entry(c, &m->e[want + 1]);
            } else {
                assert_int_equal(rc, NQ_ENOTFOUND);
            }
        }
        void *v;
        size_t vl;
        rc = btree_get(t, root, probe, pl, &v, &vl);
        if (present) {
            assert_int_equal(rc, 0);
            assert_true(vl == m->e[at].vl && (!vl || !memcmp(v, m->e[at].v, vl)));
            free(v);
        } else {
            assert_int_equal(rc, NQ_ENOTFOUND);
        }
    }
    btree_cursor_close(c);
}

/* ---- random workload ---------------------------------------------------------------------------- */
static size_t rand_key(nq_rng *r, uint8_t *k, size_t maxkey)
{
    size_t kl, pre = 0;
    uint64_t kind = nq_rng_below(r, 100);
    if (kind < 40) {
        kl = 1 + nq_rng_below(r, 8);
    } else if (kind < 65) {
        kl = 1 + nq_rng_below(r, 40);
    } else if (kind < 95) {
        /* a long shared prefix: long separators, so interior pages fill and split early */
        pre = maxkey / 2 < 200 ? maxkey / 2 : 200;
        kl = pre + 1 + nq_rng_below(r, 8);
        memset(k, 'p', pre);
    } else {
        kl = maxkey - nq_rng_below(r, 8);
    }
    /* small alphabet, so keys share prefixes and separators get interesting */
    for (size_t i = pre; i < kl; i++)
        k[i] = (uint8_t)("abcd\0\xff"[nq_rng_below(r, 6)]);
    return kl;
}

static size_t rand_vlen(nq_rng *r, uint32_t page_size)
{
    uint64_t kind = nq_rng_below(r, 100);
    if (kind < 10)
        return 0;
    if (kind < 70)
        return nq_rng_below(r, 64);
    if (kind < 90)
        return nq_rng_below(r, page_size / 3);
    if (kind < 99)
        return nq_rng_below(r, 3 * page_size);
    return nq_rng_below(r, 20000);
}

static void fill(nq_rng *r, uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = nq_rng_next(r);
        memcpy(v + i, &x, n - i < 8 ? n - i : 8);
    }
}

static void random_workload(uint32_t page_size, uint64_t seed, int batches, int ops)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    pager *p = db_open(page_size, 1);
    pager_txn *t = begin(p, 1);
    uint32_t root;
    OK(t, btree_create(t, &root));
    size_t maxkey = btree_max_key(p);
    uint8_t *v = malloc(3 * 65536 + 20000);
    uint8_t k[1100];
    model m = {0};
    int maxdepth = 0;
    for (int b = 0; b < batches; b++) {
        /* alternate growing and shrinking phases so both splits and merges happen */
        int grow = (b % 4) != 3;
        for (int o = 0; o < ops; o++) {
            uint64_t what = nq_rng_below(&r, 100);
            if (what < (grow ? 80u : 35u)) {
                size_t kl, vl = rand_vlen(&r, page_size);
                if (m.n && nq_rng_below(&r, 4) == 0) { /* replace an existing key */
                    const ment *e = &m.e[nq_rng_below(&r, m.n)];
                    kl = e->kl;
                    memcpy(k, e->k, kl);
                } else {
                    kl = rand_key(&r, k, maxkey);
                }
                fill(&r, v, vl);
                size_t at;
                int present = m_find(&m, k, kl, &at);
                if (nq_rng_below(&r, 10) == 0) {
                    int rc = btree_put(t, root, k, kl, v, vl, BTREE_NOOVERWRITE);
                    assert_int_equal(rc, present ? NQ_EEXIST : 0);
                    if (!present)
                        m_put(&m, k, kl, v, vl);
                } else {
                    OK(t, btree_put(t, root, k, kl, v, vl, 0));
                    m_put(&m, k, kl, v, vl);
                }
            } else if (m.n) {
                size_t i = nq_rng_below(&r, m.n);
                if (nq_rng_below(&r, 3) == 0) {
                    /* delete through a cursor, then check where the cursor went */
                    btcursor *c;
                    OK(t, btree_cursor_open(t, root, &c));
                    OK(t, btree_cursor_seek(c, m.e[i].k, m.e[i].kl, NQ_SEEK_EQ));
                    OK(t, btree_cursor_del(c));
                    assert_false(btree_cursor_valid(c));
                    m_del_at(&m, i);
                    size_t kl;
                    assert_null(btree_cursor_key(c, &kl));
                    if (nq_rng_below(&r, 2)) {
                        int rc = btree_cursor_next(c);
                        if (i < m.n) {
                            assert_int_equal(rc, 0);
                            expect_entry(c, &m.e[i]);
                        } else {
                            assert_int_equal(rc, NQ_ENOTFOUND);
                        }
                    } else {
                        int rc = btree_cursor_prev(c);
                        if (i > 0) {
                            assert_int_equal(rc, 0);
                            expect_entry(c, &m.e[i - 1]);
                        } else {
                            assert_int_equal(rc, NQ_ENOTFOUND);
                        }
                    }
                    btree_cursor_close(c);
                } else {
                    OK(t, btree_del(t, root, m.e[i].k, m.e[i].kl));
                    m_del_at(&m, i);
                }
                int rc = btree_del(t, root, "zz-absent", 9);
                assert_int_equal(rc, NQ_ENOTFOUND);
            }
        }
        check_tree(t, root, 1);
        compare(t, root, &m, &r);
        int dep = tree_depth(t, root);
        if (dep > maxdepth)
            maxdepth = dep;
        if (b % 5 == 4) { /* commit now and then, and read back in a read transaction */
            commit(t);
            t = begin(p, 0);
            compare(t, root, &m, &r);
            check_tree(t, root, 1);
            commit(t);
            t = begin(p, 1);
        }
    }
    commit(t);
    db_close(p);
    /* the workload must reach interior levels below the root, where interior pages split,
     * merge and redistribute too */
    if (maxdepth < (page_size < 65536 ? 3 : 2))
        fail_msg("tree only reached depth %d (%zu entries)", maxdepth, m.n);

    p = db_open(page_size, 0);
    t = begin(p, 0);
    compare(t, root, &m, &r);
    check_tree(t, root, 1);
    commit(t);

    /* delete everything: only the header and the root may stay in use */
    t = begin(p, 1);
    while (m.n) {
        size_t i = nq_rng_below(&r, m.n);
        OK(t, btree_del(t, root, m.e[i].k, m.e[i].kl));
        m_del_at(&m, i);
        if (m.n % 97 == 0)
            check_tree(t, root, 1);
    }
    check_tree(t, root, 1);
    assert_int_equal(pager_freelist_count(t) + 2, pager_page_count(t));
    btcursor *c;
    OK(t, btree_cursor_open(t, root, &c));
    assert_int_equal(btree_cursor_first(c), NQ_ENOTFOUND);
    assert_int_equal(btree_cursor_last(c), NQ_ENOTFOUND);
    btree_cursor_close(c);
    commit(t);
    db_close(p);
    m_free(&m);
    free(v);
}

static void test_random_1024(void **state) { (void)state; random_workload(1024, 1, 30, 400); }
static void test_random_4096(void **state) { (void)state; random_workload(4096, 2, 30, 1500); }
static void test_random_65536(void **state) { (void)state; random_workload(65536, 3, 12, 2500); }

/* ---- targeted tests ------------------------------------------------------------------------------- */
static void test_basic(void **state)
{
    (void)state;
    pager *p = db_open(4096, 1);
    pager_txn *t = begin(p, 1);
    uint32_t root;
    OK(t, btree_create(t, &root));
    assert_true(root >= 2);
    btcursor *c;
    OK(t, btree_cursor_open(t, root, &c));
    assert_int_equal(btree_cursor_first(c), NQ_ENOTFOUND);
    assert_int_equal(btree_cursor_seek(c, "a", 1, NQ_SEEK_GE), NQ_ENOTFOUND);
    assert_int_equal(btree_cursor_next(c), NQ_ENOTFOUND);
    btree_cursor_close(c);

    OK(t, btree_put(t, root, "b", 1, "2", 1, 0));
    OK(t, btree_put(t, root, "a", 1, "", 0, 0));
    OK(t, btree_put(t, root, "", 0, "empty", 5, 0)); /* the empty key sorts first */
    assert_int_equal(btree_put(t, root, "a", 1, "x", 1, BTREE_NOOVERWRITE), NQ_EEXIST);
    void *v;
    size_t vl;
    OK(t, btree_get(t, root, "a", 1, &v, &vl));
    assert_int_equal(vl, 0);
    free(v);
    OK(t, btree_get(t, root, "", 0, &v, &vl));
    assert_memory_equal(v, "empty", 5);
    free(v);
    OK(t, btree_put(t, root, "b", 1, "22", 2, 0));
    OK(t, btree_get(t, root, "b", 1, &v, &vl));
    assert_int_equal(vl, 2);
    assert_memory_equal(v, "22", 2);
    free(v);
    assert_int_equal(btree_get(t, root, "c", 1, &v, &vl), NQ_ENOTFOUND);
    assert_int_equal(btree_del(t, root, "c", 1), NQ_ENOTFOUND);
    OK(t, btree_del(t, root, "", 0));
    uint64_t n;
    OK(t, btree_count(t, root, &n));
    assert_int_equal(n, 2);

    /* limits */
    size_t mk = btree_max_key(p);
    assert_true(mk >= 900 && mk <= NQ_MAX_KEY);
    uint8_t *big = calloc(1, mk + 1);
    OK(t, btree_put(t, root, big, mk, "x", 1, 0));
    assert_int_equal(btree_put(t, root, big, mk + 1, "x", 1, 0), NQ_ETOOBIG);
    assert_non_null(strstr(pager_txn_err(t)->msg, "longer than the maximum"));
    assert_int_equal(btree_put(t, root, "k", 1, big, (size_t)BTREE_MAX_VALUE + 1, 0), NQ_ETOOBIG);
    free(big);
    check_tree(t, root, 1);
    commit(t);

    t = begin(p, 0);
    assert_int_equal(btree_put(t, root, "z", 1, "", 0, 0), NQ_EREADONLY);
    assert_int_equal(btree_del(t, root, "a", 1), NQ_EREADONLY);
    OK(t, btree_cursor_open(t, root, &c));
    OK(t, btree_cursor_first(c));
    assert_int_equal(btree_cursor_del(c), NQ_EREADONLY);
    btree_cursor_close(c);
    commit(t);
    db_close(p);

    /* max key on small pages still leaves room for 4 cells */
    p = db_open(1024, 1);
    mk = btree_max_key(p);
    assert_true(mk >= 200 && mk < 250);
    db_close(p);
}

static void test_sequential(void **state)
{
    (void)state;
    pager *p = db_open(4096, 1);
    pager_txn *t = begin(p, 1);
    uint32_t root;
    OK(t, btree_create(t, &root));
    const int N = 100000;
    uint8_t k[8], v[100];
    memset(v, 'v', sizeof v);
    for (int i = 0; i < N; i++) {
        put_be64(k, (uint64_t)i);
        OK(t, btree_put(t, root, k, 8, v, sizeof v, 0));
    }
    /* append splits keep leaves nearly full: ~112 bytes a cell, ~36 cells a page */
    uint32_t pages = pager_page_count(t);
    if (pages > (uint32_t)(N / 34) + 10)
        fail_msg("sequential fill uses %u pages for %d rows", pages, N);
    check_tree(t, root, 1);
    btcursor *c;
    OK(t, btree_cursor_open(t, root, &c));
    int i = 0;
    for (int rc = btree_cursor_first(c); rc == 0; rc = btree_cursor_next(c), i++) {
        size_t kl;
        const uint8_t *kk = btree_cursor_key(c, &kl);
        assert_int_equal(kl, 8);
        assert_int_equal(get_be64(kk), (uint64_t)i);
    }
    assert_int_equal(i, N);
    /* descending inserts too */
    for (int j = 0; j < 20000; j++) {
        put_be64(k, (uint64_t)(3 * N - j));
        OK(t, btree_put(t, root, k, 8, v, sizeof v, 0));
    }
    check_tree(t, root, 1);
    /* delete everything through one cursor: "del; (already on the next)" */
    OK(t, btree_cursor_first(c));
    uint64_t deleted = 0;
    for (;;) {
        OK(t, btree_cursor_del(c));
        deleted++;
        int rc = btree_cursor_next(c);
        if (rc == NQ_ENOTFOUND)
            break;
        OK(t, rc);
    }
    btree_cursor_close(c);
    assert_int_equal(deleted, (uint64_t)N + 20000);
    check_tree(t, root, 1);
    assert_int_equal(pager_freelist_count(t) + 2, pager_page_count(t));
    commit(t);
    db_close(p);
}

/* A write-transaction cursor keeps going while the tree changes under it. */
static void test_cursor_stability(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 77);
    pager *p = db_open(1024, 1);
    pager_txn *t = begin(p, 1);
    uint32_t root;
    OK(t, btree_create(t, &root));
    model m = {0};
    uint8_t k[8], v[300];
    memset(v, 'x', sizeof v);
    for (int i = 0; i < 4000; i += 2) {
        put_be64(k, (uint64_t)i * 10);
        size_t vl = nq_rng_below(&r, 120);
        OK(t, btree_put(t, root, k, 8, v, vl, 0));
        m_put(&m, k, 8, v, vl);
    }
    btcursor *c;
    OK(t, btree_cursor_open(t, root, &c));
    int rc = btree_cursor_first(c);
    uint64_t prev = 0;
    int first = 1, steps = 0;
    while (rc == 0) {
        size_t kl;
        const uint8_t *kk = btree_cursor_key(c, &kl);
        assert_int_equal(kl, 8);
        uint64_t cur = get_be64(kk);
        if (!first)
            assert_true(cur > prev);
        first = 0;
        prev = cur;
        size_t at;
        assert_true(m_find(&m, kk, 8, &at)); /* it exists right now */
        /* churn elsewhere: inserts and deletes around and far away, big values to force
         * splits and merges */
        for (int j = 0; j < 3; j++) {
            uint64_t x = nq_rng_below(&r, 40000);
            put_be64(k, x);
            if (x == cur)
                continue;
            if (nq_rng_below(&r, 2)) {
                size_t vl = nq_rng_below(&r, 300);
                OK(t, btree_put(t, root, k, 8, v, vl, 0));
                m_put(&m, k, 8, v, vl);
            } else if (m_find(&m, k, 8, &at)) {
                OK(t, btree_del(t, root, k, 8));
                m_del_at(&m, at);
            }
        }
        /* the value is still readable and right */
        size_t vl;
        assert_true(m_find(&m, kk, 8, &at));
        assert_non_null(btree_cursor_value(c, &vl));
        assert_int_equal(vl, m.e[at].vl);
        /* and sometimes the current key itself is deleted behind the cursor's back */
        if (nq_rng_below(&r, 10) == 0) {
            OK(t, btree_del(t, root, kk, 8));
            m_del_at(&m, at);
            assert_null(btree_cursor_value(c, &vl));
        }
        steps++;
        rc = btree_cursor_next(c);
    }
    assert_int_equal(rc, NQ_ENOTFOUND);
    assert_true(steps > 500);
    btree_cursor_close(c);
    check_tree(t, root, 1);
    compare(t, root, &m, &r);
    commit(t);
    db_close(p);
    m_free(&m);
}

/* A write-transaction cursor keeps its leaf pinned between calls while the transaction
 * writes nothing (pager_txn_mods). Every change in between, made by a put, a delete or
 * another cursor, in the same leaf and without any rebalance (so the root's structure
 * counter does not move), must still be seen: a cursor that went on trusting its pin would
 * step over a new key, repeat an old one, or read an old value. */
static uint64_t key_at(btcursor *c)
{
    size_t kl;
    const uint8_t *k = btree_cursor_key(c, &kl);
    assert_non_null(k);
    assert_int_equal(kl, 8);
    return get_be64(k);
}

/* The root's structure counter (btree_int.h: bumped by every rebalance). */
static uint32_t root_gen(pager_txn *t, uint32_t root)
{
    pg *g;
    OK(t, pager_get(t, root, &g));
    uint32_t gen = get_u32(g->data + 12);
    pager_unref(t, g);
    return gen;
}

static void test_cursor_pin_write_mode(void **state)
{
    (void)state;
    pager *p = db_open(4096, 1);
    pager_txn *t = begin(p, 1);
    uint32_t root;
    OK(t, btree_create(t, &root));
    uint8_t k[8], v[16];
    for (uint64_t i = 1; i <= 2000; i++) { /* several leaves; keys 10, 20, ... */
        put_be64(k, i * 10);
        put_be64(v, i);
        OK(t, btree_put(t, root, k, 8, v, 8, 0));
    }
    for (uint64_t i = 1006; i < 1050; i++) { /* room in the leaf of 10000 for what follows */
        put_be64(k, i * 10);
        OK(t, btree_del(t, root, k, 8));
    }
    commit(t);

    for (int dirty = 0; dirty < 2; dirty++) {
        /* dirty = 0: the cursor's leaf is the committed image when it is pinned; 1: it is
         * already the transaction's own copy, which later writes change in place */
        t = begin(p, 1);
        if (dirty) {
            put_be64(k, 10010);
            put_be64(v, 7);
            OK(t, btree_put(t, root, k, 8, v, 8, 0)); /* a value of the same size: no split */
        }
        uint32_t gen = root_gen(t, root);
        btcursor *c, *c2;
        OK(t, btree_cursor_open(t, root, &c));
        OK(t, btree_cursor_open(t, root, &c2));
        put_be64(k, 10000);
        OK(t, btree_cursor_seek(c, k, 8, NQ_SEEK_EQ));
        /* no write: the pinned leaf serves several steps */
        OK(t, btree_cursor_next(c));
        assert_int_equal(key_at(c), 10010);
        OK(t, btree_cursor_prev(c));
        assert_int_equal(key_at(c), 10000);
        /* a key inserted right after the cursor, in its leaf */
        put_be64(k, 10005);
        OK(t, btree_put(t, root, k, 8, v, 8, 0));
        OK(t, btree_cursor_next(c));
        assert_int_equal(key_at(c), 10005);
        /* a key inserted before the cursor shifts its index: the next entry is still 10010 */
        put_be64(k, 9995);
        OK(t, btree_put(t, root, k, 8, v, 8, 0));
        OK(t, btree_cursor_next(c));
        assert_int_equal(key_at(c), 10010);
        /* the next key deleted by another cursor */
        put_be64(k, 10020);
        OK(t, btree_cursor_seek(c2, k, 8, NQ_SEEK_EQ));
        OK(t, btree_cursor_del(c2));
        OK(t, btree_cursor_next(c));
        assert_int_equal(key_at(c), 10030);
        /* the current entry's value replaced (same size, in place) */
        put_be64(k, 10030);
        put_be64(v, 424242);
        OK(t, btree_put(t, root, k, 8, v, 8, 0));
        size_t vl;
        const uint8_t *vv = btree_cursor_value(c, &vl);
        assert_non_null(vv);
        assert_int_equal(vl, 8);
        assert_int_equal(get_be64(vv), 424242);
        /* the current entry deleted by a plain delete: next goes on after it */
        OK(t, btree_del(t, root, k, 8));
        assert_null(btree_cursor_value(c, &vl));
        OK(t, btree_cursor_next(c));
        assert_int_equal(key_at(c), 10040);
        assert_int_equal(root_gen(t, root), gen); /* all of it inside one leaf */
        /* then reads only again: the walk to the end sees every key once, in order */
        uint64_t prev = key_at(c), n = 1;
        while (btree_cursor_next(c) == 0) {
            uint64_t cur = key_at(c);
            assert_true(cur > prev);
            prev = cur;
            n++;
        }
        assert_int_equal(prev, 20000);
        assert_int_equal(n, 2 + (20000 - 10500) / 10 + 1); /* 10040, 10050, 10500.. */
        btree_cursor_close(c2);
        btree_cursor_close(c);
        check_tree(t, root, 1);
        if (dirty)
            commit(t);
        else
            pager_rollback(t);
    }
    db_close(p);
}

static void test_clear_drop(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 5);
    pager *p = db_open(4096, 1);
    pager_txn *t = begin(p, 1);
    uint32_t a, b;
    OK(t, btree_create(t, &a));
    OK(t, btree_create(t, &b));
    uint8_t k[16], *v = malloc(20000);
    fill(&r, v, 20000);
    for (int i = 0; i < 3000; i++) {
        fill(&r, k, sizeof k);
        OK(t, btree_put(t, a, k, sizeof k, v, nq_rng_below(&r, 10) ? 50 : 9000, 0));
        OK(t, btree_put(t, b, k, sizeof k, v, 30, 0));
    }
    commit(t);
    t = begin(p, 1);
    OK(t, btree_clear(t, a));
    uint64_t n;
    OK(t, btree_count(t, a, &n));
    assert_int_equal(n, 0);
    OK(t, btree_put(t, a, "k", 1, "v", 1, 0)); /* still usable */
    OK(t, btree_drop(t, b));
    check_tree(t, a, 1); /* b's pages and a's old pages are all free now */
    OK(t, btree_drop(t, a));
    assert_int_equal(pager_freelist_count(t) + 1, pager_page_count(t));
    commit(t);
    db_close(p);
    free(v);
}

static void test_large_values(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 9);
    static const uint32_t sizes[] = {1024, 4096, 65536};
    for (int s = 0; s < 3; s++) {
        pager *p = db_open(sizes[s], 1);
        pager_txn *t = begin(p, 1);
        uint32_t root;
        OK(t, btree_create(t, &root));
        size_t big = 1 << 20;
        uint8_t *v = malloc(big + 64);
        fill(&r, v, big + 64);
        static const size_t lens[] = {0, 1, 200, 255, 256, 1000, 1011, 1012, 1013, 4000, 4084,
                                      4085, 9000, 65524, 65525, 200000, 1 << 20};
        for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
            uint8_t k[8];
            put_be64(k, i);
            OK(t, btree_put(t, root, k, 8, v + i, lens[i], 0));
        }
        check_tree(t, root, 1);
        btcursor *c;
        OK(t, btree_cursor_open(t, root, &c));
        size_t i = 0;
        for (int rc = btree_cursor_first(c); rc == 0; rc = btree_cursor_next(c), i++) {
            size_t vl;
            const void *vv = btree_cursor_value(c, &vl);
            assert_int_equal(vl, lens[i]);
            assert_true(vl == 0 || !memcmp(vv, v + i, vl));
        }
        btree_cursor_close(c);
        assert_int_equal(i, sizeof lens / sizeof *lens);
        /* replace large by small and small by large, then delete all */
        for (size_t j = 0; j < sizeof lens / sizeof *lens; j++) {
            uint8_t k[8];
            put_be64(k, j);
            OK(t, btree_put(t, root, k, 8, v, lens[sizeof lens / sizeof *lens - 1 - j], 0));
        }
        check_tree(t, root, 1);
        for (size_t j = 0; j < sizeof lens / sizeof *lens; j++) {
            uint8_t k[8];
            put_be64(k, j);
            OK(t, btree_del(t, root, k, 8));
        }
        check_tree(t, root, 1);
        assert_int_equal(pager_freelist_count(t) + 2, pager_page_count(t));
        commit(t);
        db_close(p);
        free(v);
    }
}

static int count_reports;
static void count_report(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
    count_reports++;
}

static void test_corrupt(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 11);
    pager *p = db_open(4096, 1);
    uint32_t U = pager_usable(p);
    pager_txn *t = begin(p, 1);
    uint32_t root;
    OK(t, btree_create(t, &root));
    uint8_t k[12], val[5000];
    fill(&r, val, sizeof val);
    for (int i = 0; i < 2000; i++) {
        fill(&r, k, sizeof k);
        OK(t, btree_put(t, root, k, sizeof k, val, nq_rng_below(&r, 10) ? 20 : 5000, 0));
    }
    check_tree(t, root, 1);

    /* copies of real pages, damaged: validate must notice most single-byte damage in the used
     * part and must never crash on any */
    uint32_t np = pager_page_count(t), detected = 0, tried = 0;
    uint8_t *copy = malloc(U);
    char why[200];
    for (uint32_t pgno = 2; pgno <= np; pgno++) {
        pg *g;
        OK(t, pager_get(t, pgno, &g));
        int is_tree = g->data[0] == PGTYPE_BTREE_LEAF || g->data[0] == PGTYPE_BTREE_INTERIOR;
        if (is_tree)
            memcpy(copy, g->data, U);
        pager_unref(t, g);
        if (!is_tree)
            continue;
        assert_int_equal(btree_page_validate(copy, U, why, sizeof why), 0);
        for (int f = 0; f < 20; f++) {
            uint8_t *d2 = malloc(U);
            memcpy(d2, copy, U);
            /* header and pointer array damage is always detectable */
            uint32_t at = (uint32_t)nq_rng_below(&r, 16 + 2 * (d2[2] | d2[3] << 8));
            d2[at] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
            tried++;
            if (btree_page_validate(d2, U, why, sizeof why))
                detected++;
            free(d2);
        }
    }
    /* a few flips hit bytes that do not matter (flag-free padding, reserved counter) */
    if (detected < tried * 8 / 10)
        fail_msg("only %u of %u damaged pages detected", detected, tried);
    /* pure noise, and noise with a plausible header */
    for (int f = 0; f < 3000; f++) {
        fill(&r, copy, U);
        if (f & 1) {
            copy[0] = f & 2 ? PGTYPE_BTREE_LEAF : PGTYPE_BTREE_INTERIOR;
            copy[1] = 0;
            put_u16(copy + 2, (uint16_t)nq_rng_below(&r, 40));
            put_u16(copy + 4, (uint16_t)(U - nq_rng_below(&r, 2000)));
            put_u16(copy + 6, 0);
        }
        btree_page_validate(copy, U, why, sizeof why);
    }
    assert_int_not_equal(btree_page_validate(copy, 100, why, sizeof why), 0);
    free(copy);

    /* damage a leaf in the database itself: the check reports it, lookups fail cleanly */
    btcursor *c;
    OK(t, btree_cursor_open(t, root, &c));
    OK(t, btree_cursor_first(c));
    btree_cursor_close(c);
    uint32_t victim = 0;
    for (uint32_t pgno = 2; pgno <= np && !victim; pgno++) {
        pg *g;
        OK(t, pager_get(t, pgno, &g));
        if (g->data[0] == PGTYPE_BTREE_LEAF && pgno != root)
            victim = pgno;
        pager_unref(t, g);
    }
    assert_true(victim);
    pg *g;
    OK(t, pager_get(t, victim, &g));
    OK(t, pager_write(t, &g));
    put_u16(g->data + 16, 5); /* first cell pointer (byte 16) into the header */
    pager_unref(t, g);
    uint8_t *seen = calloc(np / 8 + 1, 1);
    uint64_t problems = 0;
    count_reports = 0;
    assert_int_equal(btree_check(t, root, seen, np, count_report, NULL, &problems), NQ_ECORRUPT);
    assert_true(problems >= 1);
    assert_int_equal((uint64_t)count_reports, problems);
    free(seen);
    /* full scans now hit the damaged page: an error, not a crash */
    OK(t, btree_cursor_open(t, root, &c));
    int rc = btree_cursor_first(c);
    while (rc == 0) {
        size_t vl;
        btree_cursor_value(c, &vl);
        rc = btree_cursor_next(c);
    }
    btree_cursor_close(c);
    assert_int_equal(rc, NQ_ECORRUPT);
    assert_non_null(strstr(pager_txn_err(t)->msg, "page"));
    pager_rollback(t);
    db_close(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_cursor_stability),
        cmocka_unit_test(test_cursor_pin_write_mode),
        cmocka_unit_test(test_clear_drop),
        cmocka_unit_test(test_large_values),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_random_1024),
        cmocka_unit_test(test_random_4096),
        cmocka_unit_test(test_random_65536),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
