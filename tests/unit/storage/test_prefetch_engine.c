/*
 * test_prefetch_engine.c — learned prefetching through the engine (nq API): it pays, and it
 * never changes an answer.
 *
 * A table of 3000 rows of 1000 bytes (about 1000 leaf pages) is read by three fixed
 * sequences of 40 lookups (a join loop's inner lookups, say), repeated in turn, through a
 * 64-page pool: the union of the sequences (~120 leaves) does not fit, so the base policy
 * misses on nearly every leaf. With NQ_PREFETCH_INLINE (predictions loaded before the lookup
 * returns: deterministic) the pool serves most of them; with NQ_PREFETCH_ON (the background
 * thread) the answers are the same and the counters consistent, whatever the timing. Every
 * value read is checked against the model of what was committed, also while other
 * connections commit new versions of the same pages, a reader keeps an older snapshot, and
 * checkpoints restart the log (the prefetcher's loads must pick the right version of each).
 * Random lookups get exactly the hits they get without prefetching (the learner never takes
 * its table from the pool).
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
#include "nqdb.h"
#include "testfiles.h"

#define DB "prefetch_engine_test.db"
#define NKEYS 3000
#define VLEN 1000
#define NPAT 3
#define PATLEN 40
/* rounds of the three sequences: the learner starts suspended and takes its table after about
 * four rounds (its probe must see the sequences repeat), then learns them in two more */
#define ROUNDS 20

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s -> %d: %s", #call, rc_, nq_errmsg(db));                                 \
    } while (0)

static uint32_t version[NKEYS]; /* the committed version of each row */
static uint32_t pat[NPAT][PATLEN];

static void key_of(uint32_t k, char key[16]) { snprintf(key, 16, "k%06u", k); }

static void value_of(uint32_t k, uint32_t v, uint8_t *buf)
{
    for (int i = 0; i < VLEN; i++)
        buf[i] = (uint8_t)(k * 31 + v * 7 + (uint32_t)i);
}

static void put_row(nq_db *db, nq_tree *t, uint32_t k, uint32_t v)
{
    char key[16];
    uint8_t val[VLEN];
    key_of(k, key);
    value_of(k, v, val);
    OK(db, nq_put(t, key, strlen(key), val, VLEN, 0));
}

static void build(void)
{
    tf_rm_db(DB);
    nq_db *db = NULL;
    assert_int_equal(nq_open(DB, NULL, &db), 0);
    nq_tree *t = NULL;
    OK(db, nq_tree_open(db, "t", NQ_TREE_CREATE, &t));
    OK(db, nq_begin(db, NQ_TXN_WRITE));
    for (uint32_t k = 0; k < NKEYS; k++) {
        version[k] = 1;
        put_row(db, t, k, 1);
    }
    OK(db, nq_commit(db));
    nq_tree_close(t);
    assert_int_equal(nq_close(db), 0);
    /* three sequences of 40 distinct rows, far apart (distinct leaves) */
    nq_rng r;
    nq_rng_seed(&r, 2026);
    for (int p = 0; p < NPAT; p++)
        for (int i = 0; i < PATLEN; i++)
            pat[p][i] = (uint32_t)nq_rng_below(&r, NKEYS);
}

static nq_db *open_mode(int mode)
{
    nq_options o;
    nq_options_init(&o);
    o.cache_bytes = 64 * (4096 + 128); /* the smallest pool: 64 pages */
    o.prefetch = mode;
    nq_db *db = NULL;
    int rc = nq_open(DB, &o, &db);
    if (rc)
        fail_msg("open: %s", db ? nq_errmsg(db) : "?");
    return db;
}

/* Look k up and check it holds what was committed as of the reader's snapshot (want). */
static uint64_t lookup(nq_db *db, nq_tree *t, uint32_t k, uint32_t want)
{
    char key[16];
    uint8_t exp[VLEN];
    key_of(k, key);
    void *val = NULL;
    size_t vlen = 0;
    OK(db, nq_get(t, key, strlen(key), &val, &vlen));
    value_of(k, want, exp);
    assert_int_equal(vlen, VLEN);
    assert_memory_equal(val, exp, VLEN);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < vlen; i++)
        h = (h ^ ((uint8_t *)val)[i]) * 1099511628211ull;
    free(val);
    return h;
}

typedef struct outcome {
    uint64_t digest;
    nq_stats st;
} outcome;

static outcome run_patterns(int mode, int rounds)
{
    nq_db *db = open_mode(mode);
    nq_tree *t = NULL;
    OK(db, nq_tree_open(db, "t", 0, &t));
    outcome o = {0};
    for (int r = 0; r < rounds; r++)
        for (int p = 0; p < NPAT; p++)
            for (int i = 0; i < PATLEN; i++)
                o.digest = o.digest * 31 + lookup(db, t, pat[p][i], version[pat[p][i]]);
    OK(db, nq_get_stats(db, &o.st));
    nq_tree_close(t);
    assert_int_equal(nq_close(db), 0);
    return o;
}

static void test_more_hits_same_answers(void **state)
{
    (void)state;
    build();
    outcome off = run_patterns(NQ_PREFETCH_OFF, ROUNDS);
    outcome inl = run_patterns(NQ_PREFETCH_INLINE, ROUNDS);
    outcome inl2 = run_patterns(NQ_PREFETCH_INLINE, ROUNDS);
    outcome bg = run_patterns(NQ_PREFETCH_ON, ROUNDS);
    assert_true(off.digest == inl.digest && off.digest == bg.digest);
    print_message("pool hits off %llu of %llu, inline %llu of %llu (prefetch loaded %llu, used "
                  "%llu, wasted %llu), background %llu of %llu (issued %llu loaded %llu used %llu "
                  "wasted %llu dropped %llu)\n",
                  (unsigned long long)off.st.cache_hits,
                  (unsigned long long)(off.st.cache_hits + off.st.cache_misses),
                  (unsigned long long)inl.st.cache_hits,
                  (unsigned long long)(inl.st.cache_hits + inl.st.cache_misses),
                  (unsigned long long)inl.st.prefetch_loaded,
                  (unsigned long long)inl.st.prefetch_used,
                  (unsigned long long)inl.st.prefetch_wasted,
                  (unsigned long long)bg.st.cache_hits,
                  (unsigned long long)(bg.st.cache_hits + bg.st.cache_misses),
                  (unsigned long long)bg.st.prefetch_issued,
                  (unsigned long long)bg.st.prefetch_loaded,
                  (unsigned long long)bg.st.prefetch_used,
                  (unsigned long long)bg.st.prefetch_wasted,
                  (unsigned long long)bg.st.prefetch_dropped);
    /* off: nothing prefetched */
    assert_int_equal(off.st.prefetch_predicted + off.st.prefetch_issued + off.st.prefetch_loaded,
                     0);
    /* inline is deterministic: the same run gives the same counts */
    assert_int_equal(inl.st.cache_hits, inl2.st.cache_hits);
    assert_int_equal(inl.st.prefetch_loaded, inl2.st.prefetch_loaded);
    /* 2400 lookups of ~120 leaves that do not fit: the learned run serves at least 1200 more
     * of them from the pool (leaf misses turned into hits) */
    uint64_t lookups = ROUNDS * NPAT * PATLEN;
    assert_true(inl.st.cache_hits >= off.st.cache_hits + lookups / 2);
    assert_true(inl.st.prefetch_used >= lookups / 2);
    assert_true(inl.st.prefetch_used + inl.st.prefetch_wasted <= inl.st.prefetch_loaded);
    assert_true(inl.st.prefetch_issued >= inl.st.prefetch_loaded);
    /* background: whatever the timing, the counts are consistent */
    assert_true(bg.st.prefetch_predicted > 0);
    assert_true(bg.st.prefetch_used + bg.st.prefetch_wasted <= bg.st.prefetch_loaded);
    tf_rm_db(DB);
}

/* New versions committed by another connection, an older snapshot kept open meanwhile, and
 * checkpoints: every read sees exactly its snapshot's rows. */
static void run_versions(int mode)
{
    build();
    nq_db *db = open_mode(mode), *w = NULL;
    OK(db, nq_clone(db, &w));
    nq_tree *t = NULL, *tw = NULL;
    OK(db, nq_tree_open(db, "t", 0, &t));
    OK(w, nq_tree_open(w, "t", 0, &tw));
    nq_rng r;
    nq_rng_seed(&r, 99);
    for (int round = 0; round < 12; round++) {
        /* learn / use the patterns */
        for (int p = 0; p < NPAT; p++)
            for (int i = 0; i < PATLEN; i++)
                lookup(db, t, pat[p][i], version[pat[p][i]]);
        /* a reader keeps this snapshot while the writer changes rows of the patterns */
        OK(db, nq_begin(db, NQ_TXN_READ));
        uint32_t before[NPAT][PATLEN];
        for (int p = 0; p < NPAT; p++)
            for (int i = 0; i < PATLEN; i++)
                before[p][i] = version[pat[p][i]];
        OK(w, nq_begin(w, NQ_TXN_WRITE));
        for (int n = 0; n < 20; n++) {
            uint32_t k = pat[nq_rng_below(&r, NPAT)][nq_rng_below(&r, PATLEN)];
            put_row(w, tw, k, ++version[k]);
        }
        OK(w, nq_commit(w));
        for (int p = 0; p < NPAT; p++)
            for (int i = 0; i < PATLEN; i++)
                lookup(db, t, pat[p][i], before[p][i]);
        OK(db, nq_commit(db));
        if (round % 3 == 2)
            OK(w, nq_checkpoint(w));
    }
    for (int p = 0; p < NPAT; p++)
        for (int i = 0; i < PATLEN; i++)
            lookup(db, t, pat[p][i], version[pat[p][i]]);
    nq_stats st;
    OK(db, nq_get_stats(db, &st));
    assert_true(st.prefetch_predicted > 0);
    assert_true(st.checkpoints >= 4);
    uint64_t problems = 1;
    nq_tree_close(t);
    nq_tree_close(tw);
    assert_int_equal(nq_close(w), 0);
    assert_int_equal(nq_check(db, NULL, NULL, &problems), 0);
    assert_int_equal(problems, 0);
    assert_int_equal(nq_close(db), 0);
    tf_rm_db(DB);
}

static void test_versions_inline(void **state)
{
    (void)state;
    run_versions(NQ_PREFETCH_INLINE);
}

static void test_versions_background(void **state)
{
    (void)state;
    run_versions(NQ_PREFETCH_ON);
}

/* Random lookups through the engine: the learner never takes its table (nothing worth
 * predicting), so the pool has all its memory and the hit count with prefetching (inline:
 * deterministic) is exactly that without, with nothing loaded. */
static outcome run_random(int mode, int lookups)
{
    nq_db *db = open_mode(mode);
    nq_tree *t = NULL;
    OK(db, nq_tree_open(db, "t", 0, &t));
    nq_rng r;
    nq_rng_seed(&r, 31);
    outcome o = {0};
    for (int i = 0; i < lookups; i++) {
        uint32_t k = (uint32_t)nq_rng_below(&r, NKEYS);
        o.digest = o.digest * 31 + lookup(db, t, k, version[k]);
    }
    OK(db, nq_get_stats(db, &o.st));
    nq_tree_close(t);
    assert_int_equal(nq_close(db), 0);
    return o;
}

static void test_random_not_lower(void **state)
{
    (void)state;
    build();
    outcome off = run_random(NQ_PREFETCH_OFF, 4000), inl = run_random(NQ_PREFETCH_INLINE, 4000);
    print_message("random: pool hits off %llu, inline %llu (loaded %llu)\n",
                  (unsigned long long)off.st.cache_hits, (unsigned long long)inl.st.cache_hits,
                  (unsigned long long)inl.st.prefetch_loaded);
    assert_true(off.digest == inl.digest);
    assert_true(inl.st.cache_hits >= off.st.cache_hits);
    assert_int_equal(inl.st.cache_hits, off.st.cache_hits);
    assert_int_equal(inl.st.prefetch_loaded, 0);
    tf_rm_db(DB);
}

static void test_bad_option(void **state)
{
    (void)state;
    nq_options o;
    nq_options_init(&o);
    assert_int_equal(o.prefetch, NQ_PREFETCH_OFF);
    o.prefetch = 7;
    nq_db *db = NULL;
    assert_int_equal(nq_open(DB, &o, &db), NQ_EINVAL);
    assert_non_null(strstr(nq_errmsg(db), "prefetch"));
    nq_close(db);
    tf_rm_db(DB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_more_hits_same_answers),
        cmocka_unit_test(test_random_not_lower),
        cmocka_unit_test(test_versions_inline),
        cmocka_unit_test(test_versions_background),
        cmocka_unit_test(test_bad_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
