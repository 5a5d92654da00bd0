/*
 * test_writeset.c — the write set (src/txn/writeset.h) against a simple model: seeded random
 * puts, tombstones, marks and rollbacks to marks on a few trees; after every operation the
 * lookups, both iteration directions and seeks (GE, GT, LE, LT) agree with the model (a
 * sorted array per tree, copied at every mark), and node pointers held across writes and
 * rollbacks stay usable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "txn/writeset.h"

#define NT 3
#define MAXE 200

typedef struct ment {
    char key[8];
    int kl;
    int state; /* WS_VALUE / WS_TOMB */
    char val[16];
    int vl;
} ment;

typedef struct model {
    ment e[NT][MAXE];
    int n[NT];
} model;

static int mfind(const model *m, int t, const char *k, int kl)
{
    for (int i = 0; i < m->n[t]; i++)
        if (ws_keycmp(m->e[t][i].key, (size_t)m->e[t][i].kl, k, (size_t)kl) == 0)
            return i;
    return -1;
}

static void mset(model *m, int t, const char *k, int kl, int state, const char *v, int vl)
{
    int i = mfind(m, t, k, kl);
    if (i < 0) {
        i = m->n[t]++;
        /* keep sorted: insert */
        while (i > 0 && ws_keycmp(m->e[t][i - 1].key, (size_t)m->e[t][i - 1].kl, k, (size_t)kl) > 0) {
            m->e[t][i] = m->e[t][i - 1];
            i--;
        }
        memcpy(m->e[t][i].key, k, (size_t)kl);
        m->e[t][i].kl = kl;
    }
    m->e[t][i].state = state;
    m->e[t][i].vl = vl;
    if (vl)
        memcpy(m->e[t][i].val, v, (size_t)vl);
}

static const char *names[NT] = {"a", "bb", "c"};

static void check(writeset *ws, const model *m, nq_rng *r)
{
    uint64_t total = 0;
    for (int t = 0; t < NT; t++) {
        ws_tree *wt = ws_tree_get(ws, names[t], 0);
        assert_int_equal(ws_tree_count(wt), m->n[t]);
        total += (uint64_t)m->n[t];
        /* forward */
        int i = 0;
        for (ws_node *n = ws_first(wt); n; n = ws_next(n), i++) {
            size_t kl;
            const void *k = ws_node_key(n, &kl);
            assert_true(i < m->n[t]);
            assert_int_equal(kl, m->e[t][i].kl);
            assert_memory_equal(k, m->e[t][i].key, kl);
            assert_int_equal(ws_node_state(n), m->e[t][i].state);
        }
        assert_int_equal(i, m->n[t]);
        /* backward */
        i = m->n[t] - 1;
        for (ws_node *n = ws_last(wt); n; n = ws_prev(n), i--) {
            size_t kl;
            const void *k = ws_node_key(n, &kl);
            assert_true(i >= 0);
            assert_memory_equal(k, m->e[t][i].key, kl);
        }
        assert_int_equal(i, -1);
        /* lookups and seeks of random keys */
        for (int q = 0; q < 8; q++) {
            char k[8];
            int kl = 1 + (int)nq_rng_below(r, 3);
            for (int j = 0; j < kl; j++)
                k[j] = (char)('a' + nq_rng_below(r, 4));
            const void *v;
            size_t vl;
            int st = ws_find(wt, k, (size_t)kl, &v, &vl);
            int mi = mfind(m, t, k, kl);
            assert_int_equal(st, mi < 0 ? WS_ABSENT : m->e[t][mi].state);
            if (st == WS_VALUE) {
                assert_int_equal(vl, m->e[t][mi].vl);
                assert_memory_equal(v, m->e[t][mi].val, vl);
            }
            static const int hows[4] = {WS_GE, WS_GT, WS_LE, WS_LT};
            for (int h = 0; h < 4; h++) {
                ws_node *n = ws_seek(wt, k, (size_t)kl, hows[h]);
                int want = -1;
                for (int j = 0; j < m->n[t]; j++) {
                    int c = ws_keycmp(m->e[t][j].key, (size_t)m->e[t][j].kl, k, (size_t)kl);
                    if ((hows[h] == WS_GE && c >= 0) || (hows[h] == WS_GT && c > 0)) {
                        want = j;
                        break;
                    }
                    if ((hows[h] == WS_LE && c <= 0) || (hows[h] == WS_LT && c < 0))
                        want = j;
                }
                if (want < 0) {
                    assert_null(n);
                } else {
                    assert_non_null(n);
                    size_t nkl;
                    const void *nk = ws_node_key(n, &nkl);
                    assert_int_equal(nkl, m->e[t][want].kl);
                    assert_memory_equal(nk, m->e[t][want].key, nkl);
                }
            }
        }
    }
    assert_int_equal(ws_count(ws), total);
}

static void test_random_model(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        nq_rng r;
        nq_rng_seed(&r, seed);
        writeset *ws = ws_create();
        assert_non_null(ws);
        model *m = calloc(1, sizeof *m);
        model *saved = calloc(16, sizeof *saved);
        uint64_t marks[16];
        int nmarks = 0;
        ws_node *held = NULL; /* a node pointer kept across everything */
        for (int op = 0; op < 400; op++) {
            int t = (int)nq_rng_below(&r, NT);
            ws_tree *wt = ws_tree_get(ws, names[t], 1);
            assert_non_null(wt);
            char k[8], v[16];
            int kl = 1 + (int)nq_rng_below(&r, 3);
            for (int j = 0; j < kl; j++)
                k[j] = (char)('a' + nq_rng_below(&r, 4));
            int vl = (int)nq_rng_below(&r, 16);
            for (int j = 0; j < vl; j++)
                v[j] = (char)nq_rng_below(&r, 256);
            uint64_t what = nq_rng_below(&r, 100);
            if (what < 55) {
                assert_int_equal(ws_put(ws, wt, k, (size_t)kl, v, (size_t)vl), 0);
                mset(m, t, k, kl, WS_VALUE, v, vl);
            } else if (what < 80) {
                assert_int_equal(ws_del(ws, wt, k, (size_t)kl), 0);
                mset(m, t, k, kl, WS_TOMB, NULL, 0);
            } else if (what < 90 && nmarks < 16) {
                marks[nmarks] = ws_mark(ws);
                saved[nmarks++] = *m;
            } else if (nmarks > 0) {
                int i = (int)nq_rng_below(&r, (uint64_t)nmarks);
                ws_rollback_to(ws, marks[i]);
                *m = saved[i];
                nmarks = i + 1; /* the mark stays usable, later ones are gone */
            }
            if (!held)
                held = ws_first(ws_tree_get(ws, names[0], 0));
            if (held) { /* still a node: its key is readable and it links into the list */
                size_t hk;
                assert_non_null(ws_node_key(held, &hk));
                (void)ws_next(held);
                (void)ws_prev(held);
            }
            check(ws, m, &r);
        }
        assert_true(ws_bytes(ws) > 0);
        ws_rollback_to(ws, 0); /* no-op unless marks began at 0 */
        ws_free(ws);
        free(m);
        free(saved);
    }
}

static void test_bytes_and_values(void **state)
{
    (void)state;
    writeset *ws = ws_create();
    ws_tree *t = ws_tree_get(ws, "t", 1);
    size_t b0 = ws_bytes(ws);
    char big[10000];
    memset(big, 'x', sizeof big);
    assert_int_equal(ws_put(ws, t, "k", 1, big, sizeof big), 0);
    assert_true(ws_bytes(ws) >= b0 + sizeof big);
    /* overwrite without marks frees the old value */
    assert_int_equal(ws_put(ws, t, "k", 1, "v", 1), 0);
    assert_true(ws_bytes(ws) < b0 + sizeof big);
    uint64_t m = ws_mark(ws);
    assert_int_equal(ws_put(ws, t, "k", 1, big, sizeof big), 0);
    assert_int_equal(ws_del(ws, t, "k", 1), 0);
    assert_int_equal(ws_find(t, "k", 1, NULL, NULL), WS_TOMB);
    ws_rollback_to(ws, m);
    const void *v;
    size_t vl;
    assert_int_equal(ws_find(t, "k", 1, &v, &vl), WS_VALUE);
    assert_int_equal(vl, 1);
    assert_memory_equal(v, "v", 1);
    /* a key first written after the mark disappears on rollback */
    m = ws_mark(ws);
    assert_int_equal(ws_put(ws, t, "new", 3, "1", 1), 0);
    assert_int_equal(ws_count(ws), 2);
    ws_rollback_to(ws, m);
    assert_int_equal(ws_count(ws), 1);
    assert_int_equal(ws_find(t, "new", 3, NULL, NULL), WS_ABSENT);
    assert_null(ws_seek(t, "l", 1, WS_GE));
    /* an empty value is a value */
    assert_int_equal(ws_put(ws, t, "e", 1, "", 0), 0);
    assert_int_equal(ws_find(t, "e", 1, &v, &vl), WS_VALUE);
    assert_int_equal(vl, 0);
    ws_free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_bytes_and_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
