/*
 * test_bufpool.c — the buffer pool on its own, under every replacement policy.
 *
 * Each test runs once per policy (cmocka's prestate carries the policy). A counting loader
 * stands in for the pager: it writes (pgno, frame) into the page so that a test can tell
 * which image it holds, and counts calls so that a test can tell a hit from a miss
 * independently of the pool's own counters. The common tests check the contract of bufpool.h
 * (counters, pins, growth past the budget and shrinking back, remap, clear, failed loads, one
 * load per version under concurrency); the last two check what tells the policies apart:
 * their exact eviction order on a small pool, and what a one-time scan does to a hot set.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/endian.h"
#include "storage/bufpool.h"

#define PS 256

typedef struct loader_ctx {
    pthread_mutex_t mu; /* the concurrency test loads from several threads */
    unsigned calls;
    uint32_t fail_pgno; /* a load of this page fails with NQ_EIO (0 = none) */
    unsigned delay_us;
} loader_ctx;

static int load_page(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf)
{
    loader_ctx *c = arg;
    pthread_mutex_lock(&c->mu);
    c->calls++;
    uint32_t fail = c->fail_pgno;
    unsigned delay = c->delay_us;
    pthread_mutex_unlock(&c->mu);
    if (delay) {
        /* keep the load in flight long enough for other threads to ask for the same page */
        struct timespec ts = {0, (long)delay * 1000};
        nanosleep(&ts, NULL);
    }
    if (pgno == fail)
        return NQ_EIO;
    memset(buf, 0, PS);
    put_u32(buf, pgno);
    put_u32(buf + 4, frame);
    return 0;
}

static void ctx_init(loader_ctx *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
}

static bufpool *make_pool(void **state, size_t cap)
{
    bufpool *bp = NULL;
    assert_int_equal(bp_create_policy(PS, cap, *(bp_policy *)*state, &bp), 0);
    return bp;
}

static void check_image(const pg *p, uint32_t pgno, uint32_t frame)
{
    assert_non_null(p);
    assert_int_equal(p->pgno, pgno);
    assert_int_equal(get_u32(p->data), pgno);
    assert_int_equal(get_u32(p->data + 4), frame);
}

static pg *fetch(bufpool *bp, loader_ctx *c, uint32_t pgno, uint32_t frame)
{
    pg *p = NULL;
    assert_int_equal(bp_fetch(bp, pgno, frame, load_page, c, &p), 0);
    check_image(p, pgno, frame);
    return p;
}

/* Fetch and unpin at once; 1 if it was a hit (the loader was not called). */
static int touch(bufpool *bp, loader_ctx *c, uint32_t pgno)
{
    unsigned before = c->calls;
    bp_unpin(bp, fetch(bp, c, pgno, 0));
    return c->calls == before;
}

static bp_stats stats(bufpool *bp)
{
    bp_stats s;
    bp_get_stats(bp, &s);
    return s;
}

static void test_policy_names(void **state)
{
    (void)state;
    assert_string_equal(bp_policy_name(BP_CLOCK), "clock");
    assert_string_equal(bp_policy_name(BP_LRU), "lru");
    assert_string_equal(bp_policy_name(BP_2Q), "2q");
    assert_null(bp_policy_name((bp_policy)99));
    bufpool *bp = (bufpool *)1;
    assert_int_equal(bp_create_policy(PS, 16, (bp_policy)99, &bp), NQ_EINVAL);
    assert_null(bp);
    assert_int_equal(bp_create(PS, 16, &bp), 0); /* the default policy */
    bp_destroy(bp);
}

static void test_counts(void **state)
{
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 8);
    for (uint32_t i = 1; i <= 8; i++)
        assert_false(touch(bp, &c, i));
    for (uint32_t i = 1; i <= 8; i++)
        assert_true(touch(bp, &c, i));
    bp_stats s = stats(bp);
    assert_int_equal(s.misses, 8);
    assert_int_equal(s.hits, 8);
    assert_int_equal(s.evictions, 0);
    assert_int_equal(s.pages, 8);
    assert_int_equal(s.capacity, 8);
    for (uint32_t i = 101; i <= 116; i++)
        assert_false(touch(bp, &c, i));
    s = stats(bp);
    assert_int_equal(s.misses, 24);
    assert_int_equal(s.hits, 8);
    assert_int_equal(s.evictions, 16);
    assert_int_equal(s.pages, 8);
    assert_int_equal(c.calls, 24);
    /* the same page number in another frame is another version */
    bp_unpin(bp, fetch(bp, &c, 116, 7));
    assert_int_equal(c.calls, 25);
    bp_destroy(bp);
}

static void test_pinned_never_evicted(void **state)
{
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 8);
    pg *pinned[5];
    for (uint32_t i = 0; i < 5; i++)
        pinned[i] = fetch(bp, &c, 1 + i, 0);
    /* a long stream through the three frames left, with repeats so that every policy's
     * notion of "recent" and "frequent" gets exercised */
    for (uint32_t r = 0; r < 3; r++)
        for (uint32_t i = 0; i < 200; i++)
            touch(bp, &c, 1000 + (i * 7) % 50);
    assert_int_equal(stats(bp).pages, 8);
    for (uint32_t i = 0; i < 5; i++) {
        check_image(pinned[i], 1 + i, 0);
        pg *again = fetch(bp, &c, 1 + i, 0);
        assert_ptr_equal(again, pinned[i]);
        bp_unpin(bp, again);
        bp_unpin(bp, pinned[i]);
    }
    bp_destroy(bp);
}

static void test_overflow_and_shrink(void **state)
{
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 8);
    pg *p[20];
    for (uint32_t i = 0; i < 20; i++)
        p[i] = fetch(bp, &c, 1 + i, 0);
    bp_stats s = stats(bp);
    assert_int_equal(s.pages, 20); /* all pinned: grown past the budget, never failed */
    assert_int_equal(s.capacity, 8);
    assert_int_equal(s.evictions, 0);
    for (uint32_t i = 0; i < 20; i++)
        check_image(p[i], 1 + i, 0);
    for (uint32_t i = 0; i < 20; i++) {
        bp_unpin(bp, p[i]);
        s = stats(bp);
        assert_true(s.pages == (20 - i - 1 > 8 ? 20 - i - 1 : 8));
    }
    /* back within budget, the pool works as before */
    for (uint32_t i = 100; i < 140; i++)
        touch(bp, &c, i);
    assert_int_equal(stats(bp).pages, 8);
    assert_true(touch(bp, &c, 139));
    bp_destroy(bp);
}

static uint32_t map_even_to_zero(void *arg, uint32_t pgno, uint32_t frame)
{
    (void)arg;
    if (frame != 5)
        return frame;
    return pgno % 2 == 0 ? 0 : UINT32_MAX;
}

static void test_remap(void **state)
{
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 16);
    uint8_t img[PS];
    for (uint32_t i = 1; i <= 6; i++) {
        memset(img, 0, sizeof img);
        put_u32(img, i);
        put_u32(img + 4, 0); /* what frame 0 will hold after the checkpoint */
        bp_insert(bp, i, 5, img);
    }
    /* an inserted image is a hit, and inserting the same version again keeps the first */
    memset(img, 0xEE, sizeof img);
    bp_insert(bp, 1, 5, img);
    pg *p1 = NULL;
    assert_int_equal(bp_fetch(bp, 1, 5, load_page, &c, &p1), 0);
    assert_int_equal(get_u32(p1->data), 1);
    assert_int_equal(c.calls, 0);
    pg *p2 = NULL;
    assert_int_equal(bp_fetch(bp, 2, 5, load_page, &c, &p2), 0); /* pinned across the remap */
    assert_int_equal(c.calls, 0);

    bp_remap(bp, map_even_to_zero, NULL);

    /* renamed: 4 and 6 now answer to frame 0 without a load */
    for (uint32_t i = 4; i <= 6; i += 2) {
        bp_unpin(bp, fetch(bp, &c, i, 0));
        assert_int_equal(c.calls, 0);
    }
    /* 2 was pinned: dropped (not renamed), still readable by its holder */
    assert_int_equal(get_u32(p2->data), 2);
    assert_false(touch(bp, &c, 2));
    assert_int_equal(c.calls, 1);
    /* odd ones are gone under both names */
    unsigned before = c.calls;
    bp_unpin(bp, fetch(bp, &c, 3, 5));
    bp_unpin(bp, fetch(bp, &c, 3, 0));
    assert_int_equal(c.calls, before + 2);
    bp_unpin(bp, p1);
    bp_unpin(bp, p2);
    /* dropped frames are reused before anything live is evicted */
    assert_int_equal(stats(bp).evictions, 0);
    for (uint32_t i = 50; i < 58; i++)
        touch(bp, &c, i);
    assert_true(stats(bp).pages <= 16);
    assert_int_equal(stats(bp).evictions, 0);
    bp_destroy(bp);
}

static void test_clear(void **state)
{
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 8);
    for (uint32_t i = 1; i <= 8; i++)
        touch(bp, &c, i);
    pg *keep = fetch(bp, &c, 3, 0);
    bp_clear(bp);
    check_image(keep, 3, 0);
    pg *again = fetch(bp, &c, 3, 0); /* the pinned one stayed */
    assert_ptr_equal(again, keep);
    bp_unpin(bp, again);
    bp_unpin(bp, keep);
    unsigned before = c.calls;
    for (uint32_t i = 1; i <= 8; i++)
        if (i != 3)
            assert_false(touch(bp, &c, i));
    assert_int_equal(c.calls, before + 7);
    assert_int_equal(stats(bp).evictions, 0); /* cleared frames were reused, not evicted */
    assert_int_equal(stats(bp).pages, 8);
    bp_destroy(bp);
}

static void test_failed_load(void **state)
{
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 8);
    c.fail_pgno = 7;
    pg *p = (pg *)1;
    assert_int_equal(bp_fetch(bp, 7, 0, load_page, &c, &p), NQ_EIO);
    assert_null(p);
    assert_int_equal(bp_fetch(bp, 7, 0, load_page, &c, &p), NQ_EIO); /* not cached */
    assert_int_equal(c.calls, 2);
    c.fail_pgno = 0;
    assert_false(touch(bp, &c, 7));
    assert_true(touch(bp, &c, 7));
    for (uint32_t i = 20; i < 60; i++)
        touch(bp, &c, i);
    assert_int_equal(stats(bp).pages, 8);
    bp_destroy(bp);
}

typedef struct thread_arg {
    bufpool *bp;
    loader_ctx *c;
    int bad;
} thread_arg;

static void *reader(void *arg)
{
    thread_arg *t = arg;
    for (uint32_t i = 1; i <= 32; i++) {
        pg *p = NULL;
        if (bp_fetch(t->bp, i, 0, load_page, t->c, &p) || get_u32(p->data) != i)
            t->bad = 1;
        if (p)
            bp_unpin(t->bp, p);
    }
    return NULL;
}

static void test_one_load_per_version(void **state)
{
    loader_ctx c;
    ctx_init(&c);
    c.delay_us = 200;
    bufpool *bp = make_pool(state, 64);
    pthread_t th[4];
    thread_arg ta[4];
    for (int i = 0; i < 4; i++) {
        ta[i] = (thread_arg){bp, &c, 0};
        assert_int_equal(pthread_create(&th[i], NULL, reader, &ta[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_false(ta[i].bad);
    }
    assert_int_equal(c.calls, 32); /* waiters shared the load in flight */
    bp_stats s = stats(bp);
    assert_int_equal(s.misses, 32);
    assert_int_equal(s.hits, 3 * 32);
    bp_destroy(bp);
}

/* Exact eviction order on a small pool: what makes each policy itself. */
static void test_policy_order(void **state)
{
    bp_policy pol = *(bp_policy *)*state;
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 8);
    for (uint32_t i = 1; i <= 8; i++)
        touch(bp, &c, i);
    switch (pol) {
    case BP_CLOCK:
        /* all referenced: the hand clears every bit and takes its first frame (page 1) */
        assert_false(touch(bp, &c, 9));
        assert_true(touch(bp, &c, 2)); /* second chance for 2 ... */
        assert_false(touch(bp, &c, 10)); /* ... so the hand passes it and takes 3 */
        assert_true(touch(bp, &c, 2));
        assert_false(touch(bp, &c, 3));
        break;
    case BP_LRU:
        assert_true(touch(bp, &c, 1)); /* 1 becomes the most recent; 2 the least */
        assert_false(touch(bp, &c, 9));  /* evicts 2 */
        assert_true(touch(bp, &c, 1));
        assert_false(touch(bp, &c, 2));  /* evicts 3 */
        assert_false(touch(bp, &c, 3));  /* evicts 4 */
        assert_true(touch(bp, &c, 5));
        break;
    case BP_2Q:
        /* everything is in A1in (FIFO): a hit there does not protect page 1 */
        assert_true(touch(bp, &c, 1));
        assert_false(touch(bp, &c, 9)); /* evicts 1, remembered as a ghost */
        assert_false(touch(bp, &c, 1)); /* ghost hit: 1 enters Am (evicts 2) */
        for (uint32_t i = 20; i < 40; i++)
            touch(bp, &c, i); /* a stream of new pages only cycles A1in */
        assert_true(touch(bp, &c, 1));
        break;
    }
    bp_destroy(bp);
}

/* A hot set that fits, then one scan of many pages read once: only 2Q keeps the hot set. */
static void test_scan_resistance(void **state)
{
    bp_policy pol = *(bp_policy *)*state;
    loader_ctx c;
    ctx_init(&c);
    bufpool *bp = make_pool(state, 64);
    uint32_t next_cold = 10000;
    /* warm-up: the hot set (20 pages) interleaved with a few cold pages, many times, so that
     * 2Q sees each hot page come back after leaving A1in */
    for (int round = 0; round < 30; round++) {
        for (uint32_t h = 1; h <= 20; h++)
            touch(bp, &c, h);
        for (int k = 0; k < 10; k++)
            touch(bp, &c, next_cold++);
    }
    for (int k = 0; k < 500; k++)
        touch(bp, &c, next_cold++); /* the scan: 500 pages, once each */
    int kept = 0;
    for (uint32_t h = 1; h <= 20; h++)
        kept += touch(bp, &c, h);
    if (pol == BP_2Q)
        assert_int_equal(kept, 20);
    else
        assert_int_equal(kept, 0); /* LRU and CLOCK are flushed by any scan longer than the pool */
    bp_destroy(bp);
}

static bp_policy policies[BP_POLICY_COUNT] = {BP_CLOCK, BP_LRU, BP_2Q};

#define PER_POLICY(fn)                                                                         \
    cmocka_unit_test_prestate(fn, &policies[0]), cmocka_unit_test_prestate(fn, &policies[1]),  \
        cmocka_unit_test_prestate(fn, &policies[2])

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_names),
        PER_POLICY(test_counts),
        PER_POLICY(test_pinned_never_evicted),
        PER_POLICY(test_overflow_and_shrink),
        PER_POLICY(test_remap),
        PER_POLICY(test_clear),
        PER_POLICY(test_failed_load),
        PER_POLICY(test_one_load_per_version),
        PER_POLICY(test_policy_order),
        PER_POLICY(test_scan_resistance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
