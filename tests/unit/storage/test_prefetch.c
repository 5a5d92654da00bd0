/*
 * test_prefetch.c — the learned prefetcher's parts on their own: the successor table
 * (src/storage/prefetch.c), the pool's cold prefetch admission (bp_prefetch in bufpool.c,
 * under every policy) and the background queue.
 *
 * The learner tests check the equations of prefetch.h exactly where they are exact (one
 * potentiation, one depression, the first prediction at the second repetition), and their
 * consequences: a repeated sequence is predicted, weights stay in [0, 1] and converge to the
 * stated fixed point, a stale successor is forgotten, noise predicts nothing, the table never
 * exceeds its capacity and keeps strong patterns over noise, and the same input gives the
 * same table. The pool tests check that a prefetched image is cold (it cannot push a hot page
 * out before an unprefetched miss would), and the used / wasted / refused counts.
 *
 * The governed learner (pf_learner) against the base policy with the same memory (the pool
 * plus the table at most; the table lent from the pool only while held), on simulated traces
 * with exact hit counts under every policy: uniform and Zipf (0.8, 1.2) traces get not fewer
 * hits than the base policy (in fact the same: the table is never taken, nothing is loaded);
 * repeated sequences larger than the pool get at least twice the base policy's hits; and the
 * learner gives the table back when the sequences stop and takes it again when they return.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/endian.h"
#include "base/rand.h"
#include "storage/bufpool.h"
#include "storage/prefetch.h"

#define ONE 65535u

static pf_model *model(size_t entries, int depth)
{
    pf_params pp;
    pf_params_default(&pp);
    pp.depth = (uint8_t)depth;
    pf_model *m = NULL;
    assert_int_equal(pf_model_create(entries, &pp, &m), 0);
    return m;
}

static void feed(pf_model *m, const uint32_t *seq, size_t n, uint32_t *prev)
{
    for (size_t i = 0; i < n; i++) {
        pf_model_observe(m, *prev, seq[i]);
        *prev = seq[i];
    }
}

/* One observation: w = eta; the second: w + eta (1 - w); and the prediction starts there. */
static void test_equations(void **state)
{
    (void)state;
    pf_model *m = model(1024, 1);
    uint32_t out[8];
    pf_model_observe(m, 10, 20);
    assert_int_equal(pf_model_weight(m, 10, 20), ONE >> 2);
    assert_int_equal(pf_model_predict(m, 10, out, 8), 0); /* 0.25 < theta */
    pf_model_observe(m, 10, 20);
    uint16_t w2 = (uint16_t)((ONE >> 2) + ((ONE - (ONE >> 2)) >> 2));
    assert_int_equal(pf_model_weight(m, 10, 20), w2);
    assert_int_equal(pf_model_predict(m, 10, out, 8), 1);
    assert_int_equal(out[0], 20);
    /* another successor: 20 is depressed by delta = 1/8, 30 enters at eta */
    pf_model_observe(m, 10, 30);
    assert_int_equal(pf_model_weight(m, 10, 20), w2 - (w2 >> 3));
    assert_int_equal(pf_model_weight(m, 10, 30), ONE >> 2);
    /* acausal: 30 then 10 strengthens 30 -> 10; then 10 -> 30 weakens it by alpha = 1/8 */
    pf_model_observe(m, 30, 10);
    uint16_t r = pf_model_weight(m, 30, 10);
    assert_int_equal(r, ONE >> 2);
    pf_model_observe(m, 10, 30);
    assert_int_equal(pf_model_weight(m, 30, 10), r - (r >> 3));
    /* no self-loops, no page 0 */
    pf_model_observe(m, 40, 40);
    pf_model_observe(m, 0, 40);
    assert_int_equal(pf_model_weight(m, 40, 40), 0);
    assert_int_equal(pf_model_weight(m, 0, 40), 0);
    pf_model_destroy(m);
}

/* A sequence repeated: from the second round every page predicts its successor. */
static void test_repeated_sequence(void **state)
{
    (void)state;
    pf_model *m = model(1024, 2);
    uint32_t seq[12], prev = 0, out[8];
    for (int i = 0; i < 12; i++)
        seq[i] = 1000 + (uint32_t)i * 37;
    feed(m, seq, 12, &prev);
    for (int i = 0; i + 1 < 12; i++)
        assert_int_equal(pf_model_predict(m, seq[i], out, 8), 0);
    feed(m, seq, 12, &prev);
    for (int i = 0; i + 2 < 12; i++) {
        int n = pf_model_predict(m, seq[i], out, 8);
        assert_true(n >= 1);
        assert_int_equal(out[0], seq[i + 1]);
    }
    for (int r = 0; r < 20; r++)
        feed(m, seq, 12, &prev);
    for (int i = 0; i + 2 < 12; i++) {
        /* depth 2: the successor, then the one after it */
        int n = pf_model_predict(m, seq[i], out, 8);
        assert_int_equal(n, 2);
        assert_int_equal(out[0], seq[i + 1]);
        assert_int_equal(out[1], seq[i + 2]);
    }
    pf_model_destroy(m);
    /* depth 1 predicts only the successor */
    m = model(1024, 1);
    prev = 0;
    for (int r = 0; r < 20; r++)
        feed(m, seq, 12, &prev);
    assert_int_equal(pf_model_predict(m, seq[3], out, 8), 1);
    assert_int_equal(out[0], seq[4]);
    pf_model_destroy(m);
}

/* Weights stay within [0, 1] and converge to w* = p eta / (p eta + (1 - p) delta). */
static void test_bounded_fixed_point(void **state)
{
    (void)state;
    pf_model *m = model(1024, 1);
    for (int i = 0; i < 5000; i++)
        pf_model_observe(m, 7, 8);
    uint16_t w = pf_model_weight(m, 7, 8);
    assert_true(w >= ONE - 8); /* p = 1: w* = 1 (and 16 bits cannot exceed 1) */
    /* p = 1/2, alternating successors: w* = (eta/2) / (eta/2 + delta/2) = 2/3 in the mean.
     * Exactly, the weight cycles between x (after a depression) and y = x + eta (1 - x)
     * (after a potentiation), with x = (1 - delta) y: x = 0.6364, y = 0.7273. */
    for (int i = 0; i < 4000; i++)
        pf_model_observe(m, 100, i % 2 ? 101 : 102);
    double y = pf_model_weight(m, 100, 101) / (double)ONE; /* 101 came last */
    double x = pf_model_weight(m, 100, 102) / (double)ONE;
    assert_true(y > 0.7273 - 0.005 && y < 0.7273 + 0.005);
    assert_true(x > 0.6364 - 0.005 && x < 0.6364 + 0.005);
    assert_true((x + y) / 2 > 2.0 / 3 - 0.02 && (x + y) / 2 < 2.0 / 3 + 0.02);
    pf_model_destroy(m);
}

/* A successor that stops coming is depressed below theta and no longer predicted. */
static void test_stale_successor(void **state)
{
    (void)state;
    pf_model *m = model(1024, 1);
    uint32_t out[8];
    for (int i = 0; i < 30; i++)
        pf_model_observe(m, 5, 6);
    assert_int_equal(pf_model_predict(m, 5, out, 8), 1);
    assert_int_equal(out[0], 6);
    int rounds = 0;
    while (pf_model_weight(m, 5, 6) >= (uint16_t)(0.4 * ONE)) {
        pf_model_observe(m, 5, 9);
        rounds++;
    }
    /* (1 - 1/8)^k from ~1 falls below 0.4 at k = 7 */
    assert_int_equal(rounds, 7);
    assert_int_equal(pf_model_predict(m, 5, out, 8), 1);
    assert_int_equal(out[0], 9);
    pf_model_destroy(m);
}

/* Uniform random pages: pairs hardly repeat, so (almost) nothing is predicted. */
static void test_noise_predicts_little(void **state)
{
    (void)state;
    pf_model *m = model(4096, 2);
    nq_rng r;
    nq_rng_seed(&r, 42);
    uint32_t prev = 0, out[8];
    uint64_t predicted = 0;
    for (int i = 0; i < 100000; i++) {
        uint32_t b = 1 + (uint32_t)nq_rng_below(&r, 10000);
        pf_model_observe(m, prev, b);
        prev = b;
        predicted += (uint64_t)pf_model_predict(m, b, out, 8);
    }
    assert_true(predicted < 100000 / 1000);
    pf_model_destroy(m);
}

/* The table never holds more than its capacity, and noise replaces noise, not patterns. */
static void test_capacity(void **state)
{
    (void)state;
    pf_model *m = model(10, 1); /* at least 64 */
    assert_int_equal(pf_model_capacity(m), 64);
    uint32_t pat[4] = {500001, 500002, 500003, 500004}, prev = 0, out[8];
    for (int r = 0; r < 30; r++)
        feed(m, pat, 4, &prev);
    nq_rng rng;
    nq_rng_seed(&rng, 7);
    for (int i = 0; i < 20000; i++) {
        uint32_t a = 1 + (uint32_t)nq_rng_below(&rng, 100000);
        pf_model_observe(m, a, a + 1);
        assert_true(pf_model_entries(m) <= pf_model_capacity(m));
    }
    assert_int_equal(pf_model_entries(m), 64);
    assert_true(pf_model_replaced(m) > 10000);
    assert_true(pf_model_bytes(m) < 64 * 32 + 256);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pf_model_predict(m, pat[i], out, 8), 1);
        assert_int_equal(out[0], pat[i + 1]);
    }
    pf_model_destroy(m);
    assert_int_equal(pf_entries_for_pool(64), 256);
    assert_int_equal(pf_entries_for_pool(4096), 8192);
    /* 3000 pool pages: 6000 entries of 28 bytes: 1.4% of 12 MiB */
    assert_true(pf_bytes_for_pool(3000) >= 6000 * 28 && pf_bytes_for_pool(3000) < 6000 * 28 + 256);
    pf_model *big = model(pf_entries_for_pool(3000), 1);
    assert_int_equal(pf_model_bytes(big), pf_bytes_for_pool(3000));
    pf_model_destroy(big);
}

/* Same input, same table: every prediction agrees. */
static void test_determinism(void **state)
{
    (void)state;
    pf_model *a = model(512, 2), *b = model(512, 2);
    nq_rng r;
    nq_rng_seed(&r, 3);
    uint32_t pa = 0, pb = 0;
    for (int i = 0; i < 50000; i++) {
        /* patterns of 8 pages from 50 families, with noise in between */
        uint32_t x = nq_rng_below(&r, 4) ? 1 + (uint32_t)(i % 400)
                                         : 1000 + (uint32_t)nq_rng_below(&r, 5000);
        pf_model_observe(a, pa, x);
        pf_model_observe(b, pb, x);
        pa = pb = x;
    }
    int total = 0;
    for (uint32_t p = 1; p < 7000; p++) {
        uint32_t oa[8], ob[8];
        int na = pf_model_predict(a, p, oa, 8), nb = pf_model_predict(b, p, ob, 8);
        assert_int_equal(na, nb);
        assert_memory_equal(oa, ob, (size_t)na * sizeof *oa);
        total += na;
    }
    assert_true(total > 100);
    pf_model_destroy(a);
    pf_model_destroy(b);
}

/* ---- the pool's prefetch admission, per policy ---- */

#define PS 256

static int load_page(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf)
{
    unsigned *calls = arg;
    (*calls)++;
    memset(buf, 0, PS);
    put_u32(buf, pgno);
    put_u32(buf + 4, frame);
    return 0;
}

static int load_fail(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf)
{
    (void)arg, (void)pgno, (void)frame, (void)buf;
    return NQ_EIO;
}

static int touch(bufpool *bp, unsigned *calls, uint32_t pgno)
{
    unsigned before = *calls;
    pg *p = NULL;
    assert_int_equal(bp_fetch(bp, pgno, 0, load_page, calls, &p), 0);
    assert_int_equal(get_u32(p->data), pgno);
    bp_unpin(bp, p);
    return *calls == before;
}

static bp_policy policies[BP_POLICY_COUNT] = {BP_CLOCK, BP_LRU, BP_2Q};

/* A prefetched page is a hit when asked for, counted as used, and is the first to go when
 * it is never asked for; an image already there is not loaded again. */
static void test_pool_used_wasted(void **state)
{
    bp_policy pol = *(const bp_policy *)*state;
    bufpool *bp = NULL;
    assert_int_equal(bp_create_policy(PS, 64, pol, &bp), 0);
    unsigned calls = 0;
    assert_int_equal(bp_prefetch(bp, 5, 0, load_page, &calls), 1);
    assert_int_equal(bp_prefetch(bp, 5, 0, load_page, &calls), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(bp_contains(bp, 5, 0), 1);
    assert_int_equal(bp_contains(bp, 5, 1), 0);
    bp_stats s;
    bp_get_stats(bp, &s);
    assert_int_equal(s.hits + s.misses, 0); /* a prefetch is not a lookup */
    assert_true(touch(bp, &calls, 5));
    assert_true(touch(bp, &calls, 5));
    bp_get_stats(bp, &s);
    assert_int_equal(s.pf_loaded, 1);
    assert_int_equal(s.pf_used, 1); /* the second hit is an ordinary one */
    assert_int_equal(s.hits, 2);
    /* a failed prefetch leaves nothing behind */
    assert_int_equal(bp_prefetch(bp, 6, 0, load_fail, NULL), NQ_EIO);
    assert_int_equal(bp_contains(bp, 6, 0), 0);
    /* never used: wasted once it leaves */
    assert_int_equal(bp_prefetch(bp, 7, 0, load_page, &calls), 1);
    for (uint32_t p = 100; p < 300; p++)
        touch(bp, &calls, p);
    bp_get_stats(bp, &s);
    assert_int_equal(s.pf_wasted, 1);
    assert_int_equal(bp_contains(bp, 7, 0), 0);
    /* at most budget/8 = 8 unused prefetched images */
    int loaded = 0;
    for (uint32_t p = 1000; p < 1020; p++)
        loaded += bp_prefetch(bp, p, 0, load_page, &calls);
    assert_int_equal(loaded, 8);
    bp_get_stats(bp, &s);
    assert_int_equal(s.pf_refused, 12);
    bp_clear(bp);
    bp_get_stats(bp, &s);
    assert_int_equal(s.pf_wasted, 9);
    assert_int_equal(bp_prefetch(bp, 2000, 0, load_page, &calls), 1);
    bp_destroy(bp);
}

/* Cold admission: with the pool full of pages used twice (2Q: in Am) or just used (CLOCK:
 * reference bit set), prefetching pages never asked for evicts only prefetched ones; under
 * LRU it takes at most budget/8 of the pool. */
static void test_pool_cold(void **state)
{
    bp_policy pol = *(const bp_policy *)*state;
    bufpool *bp = NULL;
    assert_int_equal(bp_create_policy(PS, 64, pol, &bp), 0);
    unsigned calls = 0;
    uint32_t lo = 1, hi = 64;
    if (pol == BP_2Q) {
        /* 40 pages through A1in and A1out (which remembers the last 32) into Am */
        for (uint32_t p = 1; p <= 40; p++)
            touch(bp, &calls, p);
        for (uint32_t p = 1001; p <= 1064; p++)
            touch(bp, &calls, p);
        for (uint32_t p = 1; p <= 40; p++)
            touch(bp, &calls, p);
        lo = 9, hi = 40; /* 9..40 came back from A1out: Am */
    } else {
        for (int r = 0; r < 2; r++)
            for (uint32_t p = 1; p <= 64; p++)
                touch(bp, &calls, p);
    }
    /* 200 wrong guesses */
    for (uint32_t p = 500; p < 700; p++)
        bp_prefetch(bp, p, 0, load_page, &calls);
    int lost = 0;
    for (uint32_t p = lo; p <= hi; p++)
        lost += !bp_contains(bp, p, 0);
    bp_stats s;
    bp_get_stats(bp, &s);
    assert_int_equal(s.pf_loaded, 8); /* the cap: budget/8 unused prefetched images */
    assert_int_equal(s.pf_refused, 192);
    if (pol == BP_2Q)
        assert_int_equal(lost, 0); /* A1in's pages gave way, Am's did not */
    else
        assert_true(lost > 0 && lost <= 8);
    bp_destroy(bp);
}

/* 2Q: a prefetched image evicted unused leaves no ghost; one used is admitted as a miss
 * would have been (remembered in A1out -> Am). */
static void test_2q_first_use(void **state)
{
    (void)state;
    bufpool *bp = NULL;
    assert_int_equal(bp_create_policy(PS, 64, BP_2Q, &bp), 0);
    unsigned calls = 0;
    touch(bp, &calls, 1); /* A1in */
    for (uint32_t p = 100; p < 164; p++)
        touch(bp, &calls, p); /* fills the pool, and the last one pushes 1 into A1out */
    assert_int_equal(bp_contains(bp, 1, 0), 0);
    assert_int_equal(bp_prefetch(bp, 1, 0, load_page, &calls), 1);
    assert_true(touch(bp, &calls, 1)); /* used: A1out says hot, so Am */
    /* a long scan passes through A1in only: page 1 (in Am) survives it */
    for (uint32_t p = 1000; p < 1400; p++)
        touch(bp, &calls, p);
    assert_true(touch(bp, &calls, 1));
    /* page 2 prefetched and evicted unused: its later miss goes to A1in, not Am */
    assert_int_equal(bp_prefetch(bp, 2, 0, load_page, &calls), 1);
    for (uint32_t p = 2000; p < 2100; p++)
        touch(bp, &calls, p);
    assert_int_equal(bp_contains(bp, 2, 0), 0);
    assert_false(touch(bp, &calls, 2));
    for (uint32_t p = 3000; p < 3100; p++)
        touch(bp, &calls, p);
    assert_int_equal(bp_contains(bp, 2, 0), 0); /* it was in A1in, so the scan took it */
    bp_destroy(bp);
}

/* ---- the background queue ---- */

typedef struct runlog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int gate_open;
    uint32_t seen[256];
    size_t n;
} runlog;

static void record(void *arg, const uint32_t *pgno, size_t n)
{
    runlog *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->gate_open)
        pthread_cond_wait(&l->cv, &l->mu);
    for (size_t i = 0; i < n && l->n < 256; i++)
        l->seen[l->n++] = pgno[i];
    pthread_mutex_unlock(&l->mu);
}

static void mem_note(void *arg, size_t bytes) { *(size_t *)arg = bytes; }

static void test_queue(void **state)
{
    (void)state;
    runlog l;
    memset(&l, 0, sizeof l);
    pthread_mutex_init(&l.mu, NULL);
    pthread_cond_init(&l.cv, NULL);
    prefetcher *pf = NULL;
    assert_int_equal(pf_create(64, 1, record, &l, &pf), 0);
    assert_int_equal(pf_background(pf), 1);
    uint32_t one = 1;
    pf_enqueue(pf, &one, 1); /* the thread takes it and waits at the gate */
    uint32_t many[100];
    for (int i = 0; i < 100; i++)
        many[i] = 1000 + (uint32_t)(i % 80); /* 80 distinct, 20 duplicates */
    pf_enqueue(pf, many, 100);
    pf_stats st;
    pf_get_stats(pf, &st);
    /* the first page may or may not have been taken yet: 64 slots either way */
    assert_true(st.queued >= 64 && st.queued <= 65);
    assert_true(st.dropped >= 15);
    pthread_mutex_lock(&l.mu);
    l.gate_open = 1;
    pthread_cond_broadcast(&l.cv);
    pthread_mutex_unlock(&l.mu);
    pf_drain(pf);
    pthread_mutex_lock(&l.mu);
    assert_int_equal(l.n, st.queued);
    assert_int_equal(l.seen[0], 1);
    pthread_mutex_unlock(&l.mu);
    /* learning through pf_access: the stream continues across callers (prev = 0); the learner
     * starts suspended and reports its table to the memory callback when it takes it */
    size_t lent = 12345;
    pf_set_mem_callback(pf, mem_note, &lent);
    uint32_t out[PF_MAX_PREDICT];
    for (int r = 0; r < 12; r++) /* a cycle of 100 pages: more than the 64-page pool */
        for (uint32_t k = 0; k < 100; k++) {
            uint32_t prev = 0;
            pf_access(pf, &prev, 40 + 7 * k, out);
        }
    pf_get_stats(pf, &st);
    assert_int_equal(st.learner.activations, 1);
    assert_int_equal(lent, pf_bytes_for_pool(64));
    uint32_t prev = 0;
    int n = pf_access(pf, &prev, 40, out);
    assert_true(n >= 1);
    assert_int_equal(out[0], 47);
    pf_destroy(pf);
    pthread_mutex_destroy(&l.mu);
    pthread_cond_destroy(&l.cv);
    /* inline mode: no thread, nothing queued */
    assert_int_equal(pf_create(64, 0, NULL, NULL, &pf), 0);
    assert_int_equal(pf_background(pf), 0);
    pf_enqueue(pf, many, 10);
    pf_drain(pf);
    pf_get_stats(pf, &st);
    assert_int_equal(st.queued, 0);
    pf_destroy(pf);
}

/* ---- the governed learner against the base policy, same memory ---- */

#define SIM_PAGES 20000
#define SIM_POOL 500
#define SIM_REFS 200000
#define SIM_PS 4096 /* the table's share of the memory as with real pages */

typedef struct sim {
    uint64_t hits, activations, suspensions, loaded, active_accesses;
    size_t max_lent; /* pages */
} sim;

static void gen_uniform(uint32_t *ref, size_t n, nq_rng *r)
{
    for (size_t i = 0; i < n; i++)
        ref[i] = 1 + (uint32_t)nq_rng_below(r, SIM_PAGES);
}

/* Zipf(s) popularity by inverse CDF, ranks scattered over the page numbers. */
static void gen_zipf(uint32_t *ref, size_t n, nq_rng *r, double s)
{
    double *cdf = malloc(SIM_PAGES * sizeof *cdf), sum = 0;
    assert_non_null(cdf);
    for (int k = 0; k < SIM_PAGES; k++)
        cdf[k] = sum += pow(k + 1, -s);
    for (size_t i = 0; i < n; i++) {
        double u = nq_rng_double(r) * sum;
        int lo = 0, hi = SIM_PAGES - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        ref[i] = 1 + (uint32_t)(((uint64_t)lo * 7919u) % SIM_PAGES);
    }
    free(cdf);
}

/* 30 fixed sequences of 20-60 scattered pages (~1200 pages, more than the pool) replayed at
 * random, a random page between them at a 20% rate (bench_bufpool's "patterns", smaller). */
static void gen_patterns(uint32_t *ref, size_t n, nq_rng *r)
{
    enum { NSEQ = 30 };
    uint32_t start[NSEQ + 1], used = 0;
    for (int k = 0; k < NSEQ; k++) {
        start[k] = used;
        used += 20 + (uint32_t)nq_rng_below(r, 41);
    }
    start[NSEQ] = used;
    size_t i = 0;
    while (i < n) {
        int k = (int)nq_rng_below(r, NSEQ);
        for (uint32_t j = start[k]; j < start[k + 1] && i < n; j++) {
            if (nq_rng_below(r, 5) == 0 && i < n)
                ref[i++] = 1 + (uint32_t)nq_rng_below(r, SIM_PAGES);
            if (i < n)
                ref[i++] = 1 + (j * 2654435761u) % SIM_PAGES;
        }
    }
}

static int stamp(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf)
{
    (void)arg, (void)frame;
    put_u32(buf, pgno);
    return 0;
}

/* The pool of SIM_POOL pages plus the learner's table at most, in pages (the same memory for
 * both); with the learner, its table is lent from the pool while it has one, and every
 * prediction not in the pool is loaded before the next reference. */
static sim replay(const uint32_t *ref, size_t n, bp_policy pol, int learn)
{
    size_t extra = (pf_bytes_for_pool(SIM_POOL) + SIM_PS - 1) / SIM_PS;
    bufpool *bp = NULL;
    assert_int_equal(bp_create_policy(SIM_PS, SIM_POOL + extra, pol, &bp), 0);
    pf_learner *l = NULL;
    if (learn)
        assert_int_equal(pf_learner_create(SIM_POOL, NULL, &l), 0);
    sim out = {0};
    uint32_t prev = 0, want[PF_MAX_PREDICT];
    size_t lent = 0;
    for (size_t i = 0; i < n; i++) {
        pg *p = NULL;
        assert_int_equal(bp_fetch(bp, ref[i], 0, stamp, NULL, &p), 0);
        bp_unpin(bp, p);
        if (!learn)
            continue;
        int k = pf_learner_access(l, prev, ref[i], want);
        prev = ref[i];
        if (pf_learner_bytes(l) != lent) {
            lent = pf_learner_bytes(l);
            size_t pages = (lent + SIM_PS - 1) / SIM_PS;
            assert_true(pages <= extra);
            if (pages > out.max_lent)
                out.max_lent = pages;
            bp_set_reserve(bp, pages);
        }
        for (int j = 0; j < k; j++)
            bp_prefetch(bp, want[j], 0, stamp, NULL);
    }
    bp_stats s;
    bp_get_stats(bp, &s);
    out.hits = s.hits;
    out.loaded = s.pf_loaded;
    if (learn) {
        pf_learner_stats ls;
        pf_learner_get_stats(l, &ls);
        out.activations = ls.activations;
        out.suspensions = ls.suspensions;
        out.active_accesses = ls.active_accesses;
        assert_int_equal(ls.accesses, n);
    }
    pf_learner_destroy(l);
    bp_destroy(bp);
    return out;
}

/* Random and Zipf traces: the learner never takes its table (its probe finds nothing worth
 * predicting), so the pool has all the memory and the hit count is not lower than the base
 * policy's — exactly equal, since the pool then sees the same calls. */
static void test_governed_not_lower_random(void **state)
{
    bp_policy pol = *(const bp_policy *)*state;
    uint32_t *ref = malloc(SIM_REFS * sizeof *ref);
    assert_non_null(ref);
    for (int t = 0; t < 3; t++) {
        nq_rng r;
        nq_rng_seed(&r, 77 + (uint64_t)t);
        if (t == 0)
            gen_uniform(ref, SIM_REFS, &r);
        else
            gen_zipf(ref, SIM_REFS, &r, t == 1 ? 0.8 : 1.2);
        sim base = replay(ref, SIM_REFS, pol, 0), lrn = replay(ref, SIM_REFS, pol, 1);
        print_message("%s %s: base %llu hits, learned %llu (activations %llu, loaded %llu)\n",
                      bp_policy_name(pol), t == 0 ? "uniform" : t == 1 ? "zipf-0.8" : "zipf-1.2",
                      (unsigned long long)base.hits, (unsigned long long)lrn.hits,
                      (unsigned long long)lrn.activations, (unsigned long long)lrn.loaded);
        assert_true(lrn.hits >= base.hits);
        assert_int_equal(lrn.activations, 0);
        assert_int_equal(lrn.loaded, 0);
    }
    free(ref);
}

/* Repeated sequences larger than the pool: with the same memory the learner takes its table
 * and the hit count rises far above the base policy's. */
static void test_governed_higher_repeated(void **state)
{
    bp_policy pol = *(const bp_policy *)*state;
    uint32_t *ref = malloc(SIM_REFS * sizeof *ref);
    assert_non_null(ref);
    nq_rng r;
    nq_rng_seed(&r, 5);
    gen_patterns(ref, SIM_REFS, &r);
    sim base = replay(ref, SIM_REFS, pol, 0), lrn = replay(ref, SIM_REFS, pol, 1);
    print_message("%s patterns: base %llu hits, learned %llu (active for %llu of %d accesses, "
                  "table %zu pages)\n",
                  bp_policy_name(pol), (unsigned long long)base.hits,
                  (unsigned long long)lrn.hits, (unsigned long long)lrn.active_accesses,
                  SIM_REFS, lrn.max_lent);
    assert_int_equal(lrn.activations, 1);
    assert_int_equal(lrn.suspensions, 0);
    assert_true(lrn.max_lent > 0);
    assert_true(lrn.hits >= 2 * base.hits);
    free(ref);
}

/* Patterns, then uniform: the learner takes its table, then gives it back (the pool has its
 * memory again) once its predictions stop coming true; patterns again: it takes it again. */
static void test_governed_suspends(void **state)
{
    (void)state;
    enum { PHASE = 100000 };
    uint32_t *ref = malloc(3 * PHASE * sizeof *ref);
    assert_non_null(ref);
    nq_rng r;
    nq_rng_seed(&r, 9);
    gen_patterns(ref, PHASE, &r);
    gen_uniform(ref + PHASE, PHASE, &r);
    gen_patterns(ref + 2 * PHASE, PHASE, &r);
    pf_learner *l = NULL;
    assert_int_equal(pf_learner_create(SIM_POOL, NULL, &l), 0);
    assert_int_equal(pf_learner_active(l), 0);
    assert_int_equal(pf_learner_bytes(l), 0);
    uint32_t prev = 0, want[PF_MAX_PREDICT];
    int active_at[3];
    for (int ph = 0; ph < 3; ph++) {
        for (size_t i = ph * (size_t)PHASE; i < (ph + 1) * (size_t)PHASE; i++) {
            int k = pf_learner_access(l, prev, ref[i], want);
            assert_true(k == 0 || pf_learner_active(l));
            prev = ref[i];
        }
        active_at[ph] = pf_learner_active(l);
        assert_int_equal(pf_learner_bytes(l), active_at[ph] ? pf_bytes_for_pool(SIM_POOL) : 0);
    }
    pf_learner_stats ls;
    pf_learner_get_stats(l, &ls);
    assert_int_equal(active_at[0], 1);
    assert_int_equal(active_at[1], 0);
    assert_int_equal(active_at[2], 1);
    assert_int_equal(ls.activations, 2);
    assert_int_equal(ls.suspensions, 1);
    pf_learner_destroy(l);
    free(ref);
}

#define PER_POLICY(fn)                                                                             \
    cmocka_unit_test_prestate(fn, &policies[0]),                                          \
        cmocka_unit_test_prestate(fn, &policies[1]),                                      \
        cmocka_unit_test_prestate(fn, &policies[2])

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equations),
        cmocka_unit_test(test_repeated_sequence),
        cmocka_unit_test(test_bounded_fixed_point),
        cmocka_unit_test(test_stale_successor),
        cmocka_unit_test(test_noise_predicts_little),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_determinism),
        PER_POLICY(test_pool_used_wasted),
        PER_POLICY(test_pool_cold),
        cmocka_unit_test(test_2q_first_use),
        cmocka_unit_test(test_queue),
        PER_POLICY(test_governed_not_lower_random),
        PER_POLICY(test_governed_higher_repeated),
        cmocka_unit_test(test_governed_suspends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
