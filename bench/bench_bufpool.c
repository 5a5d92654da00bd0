/*
 * bench_bufpool.c — the buffer pool's replacement policies against Belady's optimum.
 *
 * What it measures (issue 2: "a real replacement policy ... measure and say which and why"):
 * the pool (src/storage/bufpool.c) is driven directly, without the pager or any I/O, by
 * seeded page-reference traces over a working set of N pages:
 *   uniform    every page equally likely (no policy can beat capacity/N);
 *   zipf-0.8   Zipf-distributed popularity, s = 0.8 (mild skew) ...
 *   zipf-1.2   ... and s = 1.2 (strong skew); ranks are scattered over page numbers;
 *   hot+scan   a hot set (3% of N) read uniformly; periodically a full scan of all N pages
 *              runs interleaved 1:1 with the hot traffic (a report query beside OLTP), then
 *              a hot-only phase of N references: the case that hurts LRU and CLOCK;
 *   btree      lookups in a 4-level B+ tree of fanout 100 (root, 5 + 495 interior pages,
 *              the rest leaves): each lookup references root, both interior levels and a
 *              uniformly random leaf, as the pager sees a point query.
 * for pools of 1%, 5% and 25% of N, and every policy (clock, lru, 2q). Each reference is a
 * bp_fetch + bp_unpin; the loader only stamps the page number (no I/O), so the times are the
 * pool's own cost.
 *
 * The anchor is OPT (Belady's MIN: on a miss, evict the page whose next reference is
 * furthest in the future), computed offline on the same trace with the same capacity in the
 * same run; every policy's hit rate is also shown as a fraction of OPT's. Every run starts
 * from an empty pool and counts the cold misses, OPT's included.
 *
 * Throughput: ns per fetch+unpin with 1 thread replaying the trace, and with 2 threads each
 * replaying the whole trace from a different starting point at once (the pool's single mutex
 * is shared), at the 5% pool; median of --reps runs. With 2 threads, ns/op is wall time per
 * operation of one thread, so perfect scaling would equal the 1-thread figure.
 *
 * Learned prefetching (src/storage/prefetch.h; --part prefetch runs only this part): the
 * same pool with the learner fed every reference and each prediction loaded by bp_prefetch
 * before the next reference (a prefetch that completes in time), against the pool without
 * it. "Same memory": every run gets the pool plus the learner's table at most, in pages; the
 * base policy has all of it; the governed learner (pf_learner) lends its table from the pool
 * only while it holds one (bp_set_reserve); "always-on" is the table held all the time (the
 * learner before the governor), for comparison. Traces:
 *   patterns   200 fixed sequences of 20-60 scattered pages (index range scans, join loops),
 *              chosen at random and replayed in full, with a random page in between at a 20%
 *              rate; their union (~8000 pages) exceeds the 1% and 5% pools;
 *   uniform, zipf-0.8 and zipf-1.2 from above: no sequences, where prefetching must not hurt.
 * Columns: demand hit rate without / with prefetch and OPT's; reads (demand misses plus
 * prefetch loads) as a multiple of OPT's misses — Belady's MIN is optimal in reads for any
 * policy, prefetching or not, so the hit rate with prefetch may pass OPT's but the reads
 * cannot go below it; prefetches issued (predicted pages not in the pool), used (later hit)
 * and wasted (evicted unused), and the share of the references the table was held for. Then
 * the learner's own cost, ns per access: the table alone (observe + predict), and the
 * governed learner through the prefetcher's mutex (pf_access: on the uniform trace it stays
 * suspended, so that is the probe's cost), on the uniform and patterns traces.
 *
 * The engine (same part): nq_get lookups through the pager with a 1 MiB cache (the learner's
 * table lent from it while the learner holds one) on a table of about 12 MiB in the OS page
 * cache — 20 fixed sequences of 20 lookups (~400 leaves) replayed at random with 10% random
 * lookups, and uniformly random lookups — with nq_options.prefetch off, on (background
 * thread) and inline: pool hit rate, lookups per second (median, modes interleaved), and the
 * prefetch counters.
 *
 * Usage: bench_bufpool [--pages N] [--refs T] [--seed S] [--reps R] [--part all|policies|
 *                      prefetch] [--dir D] [--json]
 */
#include "bench_util.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "nqdb.h"
#include "storage/bufpool.h"
#include "storage/prefetch.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

#define PAGE_SIZE 4096
#define NSIZES 3
#define NTRACES 5

static const double pool_fracs[NSIZES] = {0.01, 0.05, 0.25};
static const bp_policy policies[BP_POLICY_COUNT] = {BP_CLOCK, BP_LRU, BP_2Q};
#define TPUT_SIZE 1 /* index in pool_fracs of the size the throughput is measured at */

typedef struct trace {
    const char *name;
    const char *what;
    uint32_t *ref; /* page numbers 1..N */
    size_t n;
} trace;

typedef struct config {
    uint32_t pages;
    size_t refs;
    uint64_t seed;
    int reps;
    int json;
    int part; /* bit 1: policies, bit 2: prefetch */
    int no_engine;
    const char *dir;
} config;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_bufpool: out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- traces ---- */

static uint32_t *permutation(uint32_t n, nq_rng *r)
{
    uint32_t *a = xmalloc(n * sizeof *a);
    for (uint32_t i = 0; i < n; i++)
        a[i] = i + 1;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)nq_rng_below(r, i + 1);
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
    return a;
}

static void gen_uniform(trace *t, const config *c, nq_rng *r)
{
    for (size_t i = 0; i < t->n; i++)
        t->ref[i] = 1 + (uint32_t)nq_rng_below(r, c->pages);
}

static void gen_zipf(trace *t, const config *c, nq_rng *r, double s)
{
    uint32_t n = c->pages;
    double *cdf = xmalloc(n * sizeof *cdf);
    double sum = 0;
    for (uint32_t k = 0; k < n; k++)
        cdf[k] = (sum += pow((double)(k + 1), -s));
    /* popularity rank -> page: the hot pages are not neighbours in page number */
    uint32_t *perm = permutation(n, r);
    for (size_t i = 0; i < t->n; i++) {
        double u = nq_rng_double(r) * sum;
        uint32_t lo = 0, hi = n - 1;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        t->ref[i] = perm[lo];
    }
    free(perm);
    free(cdf);
}

static void gen_hot_scan(trace *t, const config *c, nq_rng *r)
{
    uint32_t n = c->pages, hot = n * 3 / 100;
    if (hot < 1)
        hot = 1;
    uint32_t *perm = permutation(n, r); /* the hot set: perm[0..hot) */
    size_t i = 0;
    while (i < t->n) {
        for (uint32_t k = 0; k < n && i < t->n; k++)
            t->ref[i++] = perm[nq_rng_below(r, hot)];
        for (uint32_t p = 1; p <= n && i < t->n; p++) {
            t->ref[i++] = p;
            if (i < t->n)
                t->ref[i++] = perm[nq_rng_below(r, hot)];
        }
    }
    free(perm);
}

static void gen_btree(trace *t, const config *c, nq_rng *r)
{
    /* Levels of fanout 100 from the leaves up; page numbers: root 1, then interior levels,
     * then leaves. With N = 50000: 1 + 5 + 495 + 49499. */
    const uint32_t fan = 100;
    uint32_t n = c->pages;
    uint32_t leaves = n - 1, l2 = 0, l1 = 0;
    for (int it = 0; it < 8; it++) { /* settle: leaves + l2 + l1 + 1 = n */
        l2 = (leaves + fan - 1) / fan;
        l1 = (l2 + fan - 1) / fan;
        leaves = n - 1 - l1 - l2;
    }
    uint32_t l1_base = 2, l2_base = l1_base + l1, leaf_base = l2_base + l2;
    size_t i = 0;
    while (i < t->n) {
        uint32_t leaf = (uint32_t)nq_rng_below(r, leaves);
        uint32_t i2 = leaf / fan, i1 = i2 / fan;
        uint32_t path[4] = {1, l1_base + i1, l2_base + i2, leaf_base + leaf};
        for (int k = 0; k < 4 && i < t->n; k++)
            t->ref[i++] = path[k];
    }
}

/* ---- OPT (Belady's MIN) ---- */

typedef struct heap_ent {
    uint64_t next;
    uint32_t page;
} heap_ent;

static void heap_push(heap_ent *h, size_t *n, heap_ent e)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p].next >= e.next)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static heap_ent heap_pop(heap_ent *h, size_t *n)
{
    heap_ent top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, b = i;
        heap_ent best = last;
        if (l < *n && h[l].next > best.next)
            b = l, best = h[l];
        if (l + 1 < *n && h[l + 1].next > best.next)
            b = l + 1;
        if (b == i)
            break;
        h[i] = h[b];
        i = b;
    }
    if (*n)
        h[i] = last;
    return top;
}

/* Hits of MIN with `cap` frames on trace t (demand paging: every page referenced is loaded).
 * Stale heap entries are skipped lazily: an entry is live only if its page is cached and its
 * next-use time is still the page's current one. */
static uint64_t opt_hits(const trace *t, uint32_t pages, size_t cap)
{
    size_t n = t->n;
    uint64_t *next = xmalloc(n * sizeof *next);
    uint64_t *last = xmalloc(((size_t)pages + 1) * sizeof *last);
    for (size_t p = 0; p <= pages; p++)
        last[p] = UINT64_MAX; /* never again */
    for (size_t i = n; i-- > 0;) {
        next[i] = last[t->ref[i]];
        last[t->ref[i]] = i;
    }
    uint64_t *cur = last; /* reused: the next-use time of each cached page */
    uint8_t *in = calloc((size_t)pages + 1, 1);
    heap_ent *h = xmalloc(n * sizeof *h);
    if (!in) {
        fprintf(stderr, "bench_bufpool: out of memory\n");
        exit(1);
    }
    size_t hn = 0, used = 0;
    uint64_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = t->ref[i];
        if (in[p]) {
            hits++;
        } else {
            if (used == cap) {
                for (;;) {
                    heap_ent e = heap_pop(h, &hn);
                    if (in[e.page] && cur[e.page] == e.next) {
                        in[e.page] = 0;
                        break;
                    }
                }
            } else {
                used++;
            }
            in[p] = 1;
        }
        cur[p] = next[i];
        heap_push(h, &hn, (heap_ent){next[i], p});
        /* Every reference pushes one entry; stale ones only leave when they reach the top,
         * so the heap never holds more than n entries. */
    }
    free(h);
    free(in);
    free(last);
    free(next);
    return hits;
}

/* ---- replay through the pool ---- */

static int stamp_loader(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf)
{
    (void)arg;
    (void)frame;
    memcpy(buf, &pgno, sizeof pgno);
    return 0;
}

typedef struct replay_arg {
    bufpool *bp;
    const trace *t;
    size_t start;
    pthread_barrier_t *go;
    int failed;
} replay_arg;

static void *replay(void *arg)
{
    replay_arg *a = arg;
    const trace *t = a->t;
    if (a->go)
        pthread_barrier_wait(a->go);
    for (size_t k = 0, i = a->start; k < t->n; k++, i = i + 1 == t->n ? 0 : i + 1) {
        pg *p;
        uint32_t want = t->ref[i];
        if (bp_fetch(a->bp, want, 0, stamp_loader, NULL, &p)) {
            a->failed = 1;
            return NULL;
        }
        uint32_t got;
        memcpy(&got, p->data, sizeof got);
        if (got != want)
            a->failed = 1; /* a pool that hands out the wrong image wins nothing here */
        bp_unpin(a->bp, p);
    }
    return NULL;
}

static bufpool *new_pool(bp_policy pol, size_t cap)
{
    bufpool *bp;
    if (bp_create_policy(PAGE_SIZE, cap, pol, &bp)) {
        fprintf(stderr, "bench_bufpool: bp_create_policy failed\n");
        exit(1);
    }
    return bp;
}

/* One thread over the whole trace from a cold pool: hits and ns per operation. */
static void run_one(const trace *t, bp_policy pol, size_t cap, uint64_t *hits, double *ns)
{
    bufpool *bp = new_pool(pol, cap);
    replay_arg a = {bp, t, 0, NULL, 0};
    double t0 = bu_now();
    replay(&a);
    double el = bu_now() - t0;
    if (a.failed) {
        fprintf(stderr, "bench_bufpool: %s returned a wrong image\n", bp_policy_name(pol));
        exit(1);
    }
    bp_stats s;
    bp_get_stats(bp, &s);
    if (s.pages > cap || s.hits + s.misses != t->n) {
        fprintf(stderr, "bench_bufpool: %s: counters disagree with the trace\n",
                bp_policy_name(pol));
        exit(1);
    }
    *hits = s.hits;
    *ns = el * 1e9 / (double)t->n;
    bp_destroy(bp);
}

/* Two threads at once, each over the whole trace from its own starting point. */
static double run_two(const trace *t, bp_policy pol, size_t cap)
{
    bufpool *bp = new_pool(pol, cap);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 3);
    replay_arg a[2] = {{bp, t, 0, &go, 0}, {bp, t, t->n / 2, &go, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, replay, &a[i])) {
            fprintf(stderr, "bench_bufpool: pthread_create failed\n");
            exit(1);
        }
    pthread_barrier_wait(&go);
    double t0 = bu_now();
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    double el = bu_now() - t0;
    pthread_barrier_destroy(&go);
    if (a[0].failed || a[1].failed) {
        fprintf(stderr, "bench_bufpool: %s returned a wrong image\n", bp_policy_name(pol));
        exit(1);
    }
    bp_destroy(bp);
    return el * 1e9 / (double)t->n;
}

/* ---- learned prefetching, simulated ---- */

static void gen_patterns(trace *t, const config *c, nq_rng *r)
{
    enum { NSEQ = 200 };
    uint32_t *perm = permutation(c->pages, r); /* sequences take distinct scattered pages */
    uint32_t start[NSEQ + 1];
    size_t used = 0;
    for (int k = 0; k < NSEQ; k++) {
        start[k] = (uint32_t)used;
        used += 20 + nq_rng_below(r, 41);
        if (used > c->pages / 2)
            used = c->pages / 2;
    }
    start[NSEQ] = (uint32_t)used;
    size_t i = 0;
    while (i < t->n) {
        int k = (int)nq_rng_below(r, NSEQ);
        for (uint32_t j = start[k]; j < start[k + 1] && i < t->n; j++) {
            if (nq_rng_below(r, 5) == 0 && i < t->n)
                t->ref[i++] = 1 + (uint32_t)nq_rng_below(r, c->pages);
            if (i < t->n)
                t->ref[i++] = perm[j];
        }
    }
    free(perm);
}

typedef struct pf_result {
    uint64_t base_hits, pf_hits, static_hits, opt_hits;
    uint64_t base_misses, pf_misses, issued, loaded, used, wasted;
    uint64_t static_misses, static_loaded;
    uint64_t activations, suspensions, active_accesses;
    size_t extra_pages; /* the learner's table at most, in pages: every run's pool gets it */
} pf_result;

/* Replay t through a pool of cap pages plus the learner's table (the same memory for all
 * three modes). mode 0: no prefetching (the base policy has all of it); 1: the governed
 * learner (pf_learner), its table lent from the pool while it has one; 2: the table held
 * all the time (pf_model, the learner before the governor), its pages out of the pool. Every
 * prediction not in the pool is loaded before the next reference. */
static void pf_replay(const trace *t, bp_policy pol, size_t cap, int mode, pf_result *out)
{
    bufpool *bp = new_pool(pol, cap + out->extra_pages);
    pf_learner *l = NULL;
    pf_model *m = NULL;
    if ((mode == 1 && pf_learner_create(cap, NULL, &l)) ||
        (mode == 2 && pf_model_create(pf_entries_for_pool(cap), NULL, &m))) {
        fprintf(stderr, "bench_bufpool: out of memory\n");
        exit(1);
    }
    if (mode == 2)
        bp_set_reserve(bp, out->extra_pages);
    uint32_t prev = 0, want[PF_MAX_PREDICT];
    uint64_t issued = 0;
    size_t lent = 0;
    for (size_t i = 0; i < t->n; i++) {
        pg *p;
        uint32_t pgno = t->ref[i];
        if (bp_fetch(bp, pgno, 0, stamp_loader, NULL, &p)) {
            fprintf(stderr, "bench_bufpool: bp_fetch failed\n");
            exit(1);
        }
        bp_unpin(bp, p);
        int n = 0;
        if (mode == 1) {
            n = pf_learner_access(l, prev, pgno, want);
            size_t bytes = pf_learner_bytes(l);
            if (bytes != lent) {
                lent = bytes;
                bp_set_reserve(bp, (bytes + PAGE_SIZE - 1) / PAGE_SIZE);
            }
        } else if (mode == 2) {
            pf_model_observe(m, prev, pgno);
            n = pf_model_predict(m, pgno, want, PF_MAX_PREDICT);
        }
        prev = pgno;
        for (int k = 0; k < n; k++)
            if (!bp_contains(bp, want[k], 0)) {
                if (mode == 1)
                    issued++;
                bp_prefetch(bp, want[k], 0, stamp_loader, NULL);
            }
    }
    bp_stats s;
    bp_get_stats(bp, &s);
    if (mode == 1) {
        pf_learner_stats ls;
        pf_learner_get_stats(l, &ls);
        out->pf_hits = s.hits;
        out->pf_misses = s.misses;
        out->issued = issued;
        out->loaded = s.pf_loaded;
        out->used = s.pf_used;
        out->wasted = s.pf_wasted;
        out->activations = ls.activations;
        out->suspensions = ls.suspensions;
        out->active_accesses = ls.active_accesses;
    } else if (mode == 2) {
        out->static_hits = s.hits;
        out->static_misses = s.misses;
        out->static_loaded = s.pf_loaded;
    } else {
        out->base_hits = s.hits;
        out->base_misses = s.misses;
    }
    pf_learner_destroy(l);
    pf_model_destroy(m);
    bp_destroy(bp);
}

/* ns per access of the learner alone (observe + predict), and through pf_access (mutex). */
static void pf_cost(const trace *t, size_t cap, double *ns_model, double *ns_access)
{
    pf_model *m;
    if (pf_model_create(pf_entries_for_pool(cap), NULL, &m)) {
        fprintf(stderr, "bench_bufpool: out of memory\n");
        exit(1);
    }
    uint32_t prev = 0, want[PF_MAX_PREDICT];
    uint64_t sink = 0;
    double t0 = bu_now();
    for (size_t i = 0; i < t->n; i++) {
        pf_model_observe(m, prev, t->ref[i]);
        prev = t->ref[i];
        sink += (uint64_t)pf_model_predict(m, prev, want, PF_MAX_PREDICT);
    }
    *ns_model = (bu_now() - t0) * 1e9 / (double)t->n;
    pf_model_destroy(m);
    prefetcher *pf;
    if (pf_create(cap, 0, NULL, NULL, &pf)) {
        fprintf(stderr, "bench_bufpool: out of memory\n");
        exit(1);
    }
    prev = 0;
    t0 = bu_now();
    for (size_t i = 0; i < t->n; i++)
        sink += (uint64_t)pf_access(pf, &prev, t->ref[i], want);
    *ns_access = (bu_now() - t0) * 1e9 / (double)t->n;
    pf_destroy(pf);
    if (sink == UINT64_MAX)
        printf("\n"); /* keeps the loops */
}

/* ---- learned prefetching through the engine ---- */

#define ENG_ROWS 24000
#define ENG_VLEN 400
#define ENG_SEQ 20
#define ENG_SEQLEN 20

typedef struct eng_result {
    double lookups_per_s, hit_rate;
    nq_stats st;
} eng_result;

static void eng_key(uint32_t k, char key[16]) { snprintf(key, 16, "r%07u", k); }

static void eng_die(nq_db *db, const char *what)
{
    fprintf(stderr, "bench_bufpool: engine: %s: %s\n", what, db ? nq_errmsg(db) : "open failed");
    exit(1);
}

static void eng_build(const char *path)
{
    nq_db *db;
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    remove(path);
    remove(wal);
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    if (nq_open(path, &o, &db))
        eng_die(db, "open");
    nq_tree *t;
    if (nq_tree_open(db, "t", NQ_TREE_CREATE, &t) || nq_begin(db, NQ_TXN_WRITE))
        eng_die(db, "create");
    uint8_t val[ENG_VLEN];
    /* rows in a scattered order, so a sequence of keys is not a sequence of pages */
    uint32_t *perm = xmalloc(ENG_ROWS * sizeof *perm);
    bu_permutation(perm, ENG_ROWS, 5);
    for (uint32_t i = 0; i < ENG_ROWS; i++) {
        char key[16];
        uint32_t k = perm[i] - 1; /* bu_permutation: 1..n */
        eng_key(k, key);
        memset(val, (int)(k & 0xff), sizeof val);
        if (nq_put(t, key, strlen(key), val, sizeof val, 0))
            eng_die(db, "put");
    }
    free(perm);
    if (nq_commit(db))
        eng_die(db, "commit");
    nq_tree_close(t);
    nq_close(db);
}

/* `lookups` nq_get calls: repeated sequences with 10% random keys (patterns = 1), or all
 * random (patterns = 0), seeded the same for every mode. */
static void eng_run(const char *path, int mode, int patterns, size_t lookups, eng_result *out)
{
    nq_options o;
    nq_options_init(&o);
    o.cache_bytes = 1u << 20;
    o.prefetch = mode;
    nq_db *db;
    if (nq_open(path, &o, &db))
        eng_die(db, "open");
    nq_tree *t;
    if (nq_tree_open(db, "t", 0, &t))
        eng_die(db, "tree");
    nq_rng r;
    nq_rng_seed(&r, 77);
    uint32_t seq[ENG_SEQ][ENG_SEQLEN];
    for (int s = 0; s < ENG_SEQ; s++)
        for (int j = 0; j < ENG_SEQLEN; j++)
            seq[s][j] = (uint32_t)nq_rng_below(&r, ENG_ROWS);
    size_t done = 0;
    uint64_t sum = 0;
    double t0 = bu_now();
    while (done < lookups) {
        int s = (int)nq_rng_below(&r, ENG_SEQ);
        for (int j = 0; j < ENG_SEQLEN && done < lookups; j++, done++) {
            uint32_t k = patterns && nq_rng_below(&r, 10) ? seq[s][j]
                                                          : (uint32_t)nq_rng_below(&r, ENG_ROWS);
            char key[16];
            eng_key(k, key);
            void *v;
            size_t vl;
            if (nq_get(t, key, strlen(key), &v, &vl) || vl != ENG_VLEN ||
                ((uint8_t *)v)[0] != (uint8_t)(k & 0xff))
                eng_die(db, "get");
            sum += ((uint8_t *)v)[1];
            free(v);
        }
    }
    double el = bu_now() - t0;
    out->lookups_per_s = (double)lookups / el;
    if (nq_get_stats(db, &out->st))
        eng_die(db, "stats");
    out->hit_rate = out->st.cache_hits + out->st.cache_misses
                        ? (double)out->st.cache_hits /
                              (double)(out->st.cache_hits + out->st.cache_misses)
                        : 0;
    nq_tree_close(t);
    nq_close(db);
    if (sum == UINT64_MAX)
        printf("\n");
}

#define PF_TRACES 4

static void prefetch_part(const config *c, trace *uni, trace *zipf, trace *zipf12)
{
    trace pat = {"patterns", "200 fixed sequences of 20-60 pages, 20% random pages between",
                 NULL, 0};
    nq_rng r;
    nq_rng_seed(&r, c->seed * 1000003u + 99);
    pat.n = c->refs;
    pat.ref = xmalloc(c->refs * sizeof *pat.ref);
    gen_patterns(&pat, c, &r);
    trace *tr[PF_TRACES] = {&pat, uni, zipf, zipf12};
    static pf_result res[PF_TRACES][NSIZES][BP_POLICY_COUNT];
    for (int k = 0; k < PF_TRACES; k++)
        for (int z = 0; z < NSIZES; z++) {
            size_t cap = (size_t)(pool_fracs[z] * c->pages + 0.5);
            size_t extra = (pf_bytes_for_pool(cap) + PAGE_SIZE - 1) / PAGE_SIZE;
            uint64_t opt = opt_hits(tr[k], c->pages, cap + extra);
            for (int q = 0; q < BP_POLICY_COUNT; q++) {
                pf_result *pr = &res[k][z][q];
                pr->opt_hits = opt;
                pr->extra_pages = extra;
                for (int mode = 0; mode < 3; mode++)
                    pf_replay(tr[k], policies[q], cap, mode, pr);
            }
        }
    size_t ccap = (size_t)(pool_fracs[TPUT_SIZE] * c->pages + 0.5);
    double cost[2][2];
    pf_cost(uni, ccap, &cost[0][0], &cost[0][1]);
    pf_cost(&pat, ccap, &cost[1][0], &cost[1][1]);

    /* the engine */
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_prefetch.db", c->dir);
    eng_build(path);
    static const int modes[3] = {NQ_PREFETCH_OFF, NQ_PREFETCH_ON, NQ_PREFETCH_INLINE};
    static const char *mode_name[3] = {"off", "on", "inline"};
    eng_result eng[2][3];
    size_t lookups = 200000;
    memset(eng, 0, sizeof eng);
    int reps = c->reps < 16 ? c->reps : 16;
    for (int w = 0; w < 2 && !c->no_engine; w++) {
        double v[3][16];
        for (int rep = 0; rep < reps; rep++) /* modes interleaved: a load change hits all */
            for (int md = 0; md < 3; md++) {
                eng_run(path, modes[md], w == 0, lookups, &eng[w][md]);
                v[md][rep] = eng[w][md].lookups_per_s;
            }
        for (int md = 0; md < 3; md++)
            eng[w][md].lookups_per_s = bu_median(v[md], reps);
    }
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    remove(path);
    remove(wal);

    double n = (double)c->refs;
    if (c->json) {
        printf(",\"prefetch\":{\"simulated\":[");
        for (int k = 0; k < PF_TRACES; k++)
            for (int z = 0; z < NSIZES; z++)
                for (int q = 0; q < BP_POLICY_COUNT; q++) {
                    pf_result *pr = &res[k][z][q];
                    printf("%s{\"trace\":\"%s\",\"pool_pct\":%g,\"policy\":\"%s\","
                           "\"base_hits\":%" PRIu64 ",\"learned_hits\":%" PRIu64
                           ",\"always_on_hits\":%" PRIu64 ",\"base_hit_rate\":%.6f,"
                           "\"prefetch_hit_rate\":%.6f,\"always_on_hit_rate\":%.6f,"
                           "\"opt_hit_rate\":%.6f,\"base_reads_of_opt\":%.4f,"
                           "\"prefetch_reads_of_opt\":%.4f,\"issued\":%" PRIu64
                           ",\"used\":%" PRIu64 ",\"wasted\":%" PRIu64 ",\"table_pages\":%zu,"
                           "\"active_fraction\":%.4f,\"activations\":%" PRIu64
                           ",\"suspensions\":%" PRIu64 "}",
                           k || z || q ? "," : "", tr[k]->name, pool_fracs[z] * 100,
                           bp_policy_name(policies[q]), pr->base_hits, pr->pf_hits,
                           pr->static_hits, pr->base_hits / n, pr->pf_hits / n,
                           pr->static_hits / n, pr->opt_hits / n,
                           (double)pr->base_misses / (double)(c->refs - pr->opt_hits),
                           (double)(pr->pf_misses + pr->loaded) / (double)(c->refs - pr->opt_hits),
                           pr->issued, pr->used, pr->wasted, pr->extra_pages,
                           pr->active_accesses / n, pr->activations, pr->suspensions);
                }
        printf("],\"learner_ns\":{\"uniform\":{\"model\":%.1f,\"access\":%.1f},"
               "\"patterns\":{\"model\":%.1f,\"access\":%.1f}},\"engine\":[",
               cost[0][0], cost[0][1], cost[1][0], cost[1][1]);
        for (int w = 0; w < 2; w++)
            for (int md = 0; md < 3; md++) {
                eng_result *e = &eng[w][md];
                printf("%s{\"workload\":\"%s\",\"prefetch\":\"%s\",\"hit_rate\":%.4f,"
                       "\"lookups_per_s\":%.0f,\"loaded\":%" PRIu64 ",\"used\":%" PRIu64
                       ",\"wasted\":%" PRIu64 "}",
                       w || md ? "," : "", w ? "random" : "sequences", mode_name[md],
                       e->hit_rate, e->lookups_per_s, e->st.prefetch_loaded, e->st.prefetch_used,
                       e->st.prefetch_wasted);
            }
        printf("]}");
    } else {
        printf("\nLearned prefetching (prefetch.h), simulated: a prediction completes before the "
               "next reference.\nSame memory in every column: the pool plus the learner's "
               "table at most. base = no prefetching (the pool has all of it); learned = the "
               "governed learner (its table lent from the pool only while active); always-on = "
               "the table held all the time. Reads = demand misses + prefetch loads, as a "
               "multiple of OPT's misses; active = share of the references with the table.\n");
        printf("%-9s %5s %-6s %8s %8s %9s %8s  %6s %6s  %9s %9s %9s %7s\n", "trace", "pool",
               "policy", "base", "learned", "always-on", "OPT", "reads", "+pf", "issued", "used",
               "wasted", "active");
        for (int k = 0; k < PF_TRACES; k++)
            for (int z = 0; z < NSIZES; z++)
                for (int q = 0; q < BP_POLICY_COUNT; q++) {
                    pf_result *pr = &res[k][z][q];
                    double om = (double)(c->refs - pr->opt_hits);
                    printf("%-9s %4g%% %-6s %7.2f%% %7.2f%% %8.2f%% %7.2f%%  %6.3f %6.3f  %9" PRIu64
                           " %9" PRIu64 " %9" PRIu64 " %6.1f%%\n",
                           z || q ? "" : tr[k]->name, pool_fracs[z] * 100,
                           bp_policy_name(policies[q]), 100.0 * pr->base_hits / n,
                           100.0 * pr->pf_hits / n, 100.0 * pr->static_hits / n,
                           100.0 * pr->opt_hits / n, (double)pr->base_misses / om,
                           (double)(pr->pf_misses + pr->loaded) / om, pr->issued, pr->used,
                           pr->wasted, 100.0 * pr->active_accesses / n);
                }
        printf("(the learner's table: %zu pages at the 1%% pool, %zu at 5%%, %zu at 25%%)\n",
               res[0][0][0].extra_pages, res[0][1][0].extra_pages, res[0][2][0].extra_pages);
        printf("\nLearner cost per access at the %g%% pool: the table's observe + predict / the "
               "governed learner through pf_access (mutex)\n  uniform  %.1f / %.1f ns\n"
               "  patterns %.1f / %.1f ns\n",
               pool_fracs[TPUT_SIZE] * 100, cost[0][0], cost[0][1], cost[1][0], cost[1][1]);
        printf("\nThe engine: %d nq_get lookups per run (median of %d runs), %d rows of %d bytes, "
               "1 MiB cache (the file in the OS page cache)\n",
               (int)lookups, c->reps, ENG_ROWS, ENG_VLEN);
        printf("%-10s %-7s %9s %12s %9s %9s %9s\n", "workload", "prefetch", "hit rate",
               "lookups/s", "loaded", "used", "wasted");
        for (int w = 0; w < 2; w++)
            for (int md = 0; md < 3; md++) {
                eng_result *e = &eng[w][md];
                printf("%-10s %-7s %8.2f%% %12.0f %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
                       md ? "" : w ? "random" : "sequences", mode_name[md], 100.0 * e->hit_rate,
                       e->lookups_per_s, e->st.prefetch_loaded, e->st.prefetch_used,
                       e->st.prefetch_wasted);
            }
        printf("  sequences: %d fixed sequences of %d lookups, replayed at random, 10%% of "
               "lookups random\n",
               ENG_SEQ, ENG_SEQLEN);
    }
    free(pat.ref);
}

/* ---- main ---- */

typedef struct result {
    uint64_t opt_hits;
    uint64_t hits[BP_POLICY_COUNT];
    double ns1[BP_POLICY_COUNT]; /* median, 1 thread */
    double ns2[BP_POLICY_COUNT]; /* median, 2 threads (TPUT_SIZE only) */
} result;

static void usage(void)
{
    fprintf(stderr, "usage: bench_bufpool [--pages N] [--refs T] [--seed S] [--reps R] "
                    "[--part all|policies|prefetch] [--dir D] [--json]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    config c = {.pages = 50000, .refs = 2000000, .seed = 42, .reps = 3, .json = 0, .part = 3,
                .dir = "/tmp"};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            c.json = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--part")) {
            i++;
            c.part = !strcmp(argv[i], "all")        ? 3
                     : !strcmp(argv[i], "policies") ? 1
                     : !strcmp(argv[i], "prefetch") ? 2
                                                    : 0;
            if (!c.part)
                usage();
        } else if (!strcmp(argv[i], "--no-engine"))
            c.no_engine = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--dir"))
            c.dir = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--pages"))
            c.pages = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (i + 1 < argc && !strcmp(argv[i], "--refs"))
            c.refs = (size_t)strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
            c.seed = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && !strcmp(argv[i], "--reps"))
            c.reps = atoi(argv[++i]);
        else
            usage();
    }
    if (c.pages < 1000 || c.refs < c.pages || c.reps < 1)
        usage();

    trace tr[NTRACES] = {
        {"uniform", "uniform over N pages", NULL, 0},
        {"zipf-0.8", "Zipf s=0.8, ranks scattered", NULL, 0},
        {"zipf-1.2", "Zipf s=1.2, ranks scattered", NULL, 0},
        {"hot+scan", "3% hot set; full scans interleaved 1:1, then N hot refs", NULL, 0},
        {"btree", "4-level B+ tree, fanout 100: root, interior, random leaf", NULL, 0},
    };
    for (int k = 0; k < NTRACES; k++) {
        nq_rng r;
        nq_rng_seed(&r, c.seed * 1000003u + (uint64_t)k); /* each trace its own stream */
        tr[k].n = c.refs;
        tr[k].ref = xmalloc(c.refs * sizeof *tr[k].ref);
        switch (k) {
        case 0: gen_uniform(&tr[k], &c, &r); break;
        case 1: gen_zipf(&tr[k], &c, &r, 0.8); break;
        case 2: gen_zipf(&tr[k], &c, &r, 1.2); break;
        case 3: gen_hot_scan(&tr[k], &c, &r); break;
        default: gen_btree(&tr[k], &c, &r); break;
        }
    }

    static result res[NTRACES][NSIZES];
    double *v = xmalloc((size_t)c.reps * sizeof *v);
    for (int k = 0; k < NTRACES && (c.part & 1); k++) {
        for (int z = 0; z < NSIZES; z++) {
            size_t cap = (size_t)(pool_fracs[z] * c.pages + 0.5);
            result *rs = &res[k][z];
            rs->opt_hits = opt_hits(&tr[k], c.pages, cap);
            for (int q = 0; q < BP_POLICY_COUNT; q++) {
                for (int rep = 0; rep < c.reps; rep++)
                    run_one(&tr[k], policies[q], cap, &rs->hits[q], &v[rep]);
                rs->ns1[q] = bu_median(v, c.reps);
                if (z == TPUT_SIZE) {
                    for (int rep = 0; rep < c.reps; rep++)
                        v[rep] = run_two(&tr[k], policies[q], cap);
                    rs->ns2[q] = bu_median(v, c.reps);
                }
            }
        }
    }
    free(v);

    char cpu[256], kern[256];
    bu_cpu_model(cpu, sizeof cpu);
    bu_kernel(kern, sizeof kern);
    double n = (double)c.refs;
    if (c.json) {
        printf("{\"benchmark\":\"bufpool\",\"cpu\":");
        bu_json_string(cpu);
        printf(",\"nproc\":%ld,\"kernel\":", bu_nproc());
        bu_json_string(kern);
        printf(",\"build\":");
        bu_json_string(NQ_BENCH_BUILD_TYPE);
        printf(",\"loadavg\":%.2f,\"pages\":%u,\"refs\":%zu,\"seed\":%" PRIu64
               ",\"reps\":%d,\"results\":[",
               bu_loadavg(), c.pages, c.refs, c.seed, c.reps);
        int first = 1;
        for (int k = 0; k < NTRACES && (c.part & 1); k++)
            for (int z = 0; z < NSIZES; z++) {
                result *rs = &res[k][z];
                printf("%s{\"trace\":\"%s\",\"pool_pct\":%g,\"opt_hit_rate\":%.6f,\"policies\":{",
                       first ? "" : ",", tr[k].name, pool_fracs[z] * 100, rs->opt_hits / n);
                first = 0;
                for (int q = 0; q < BP_POLICY_COUNT; q++) {
                    printf("%s\"%s\":{\"hit_rate\":%.6f,\"of_opt\":%.4f,\"ns_per_op_1t\":%.1f",
                           q ? "," : "", bp_policy_name(policies[q]), rs->hits[q] / n,
                           rs->opt_hits ? (double)rs->hits[q] / rs->opt_hits : 0, rs->ns1[q]);
                    if (z == TPUT_SIZE)
                        printf(",\"ns_per_op_2t\":%.1f", rs->ns2[q]);
                    printf("}");
                }
                printf("}}");
            }
        printf("]");
        if (c.part & 2)
            prefetch_part(&c, &tr[0], &tr[1], &tr[2]);
        printf("}\n");
    } else {
        printf("bench_bufpool: replacement policies against Belady's OPT, same traces, same run\n");
        printf("machine: %s, %ld CPUs, %s; build %s; load %.2f\n", cpu, bu_nproc(), kern,
               NQ_BENCH_BUILD_TYPE, bu_loadavg());
        printf("working set N = %u pages, %zu references per trace, seed %" PRIu64
               ", median of %d runs\n\n",
               c.pages, c.refs, c.seed, c.reps);
        if (c.part & 2 && !(c.part & 1))
            goto prefetch_only;
        printf("Hit rate (and fraction of OPT), cold start, per trace and pool size\n");
        printf("%-9s %5s  %7s", "trace", "pool", "OPT");
        for (int q = 0; q < BP_POLICY_COUNT; q++)
            printf("  %-16s", bp_policy_name(policies[q]));
        printf("\n");
        for (int k = 0; k < NTRACES; k++)
            for (int z = 0; z < NSIZES; z++) {
                result *rs = &res[k][z];
                printf("%-9s %4g%%  %6.2f%%", z ? "" : tr[k].name, pool_fracs[z] * 100,
                       100.0 * rs->opt_hits / n);
                for (int q = 0; q < BP_POLICY_COUNT; q++)
                    printf("  %6.2f%% (%5.3f) ", 100.0 * rs->hits[q] / n,
                           rs->opt_hits ? (double)rs->hits[q] / rs->opt_hits : 0);
                printf("\n");
            }
        printf("\nns per fetch+unpin at the %g%% pool: 1 thread / 2 threads (per thread, "
               "shared pool)\n",
               pool_fracs[TPUT_SIZE] * 100);
        printf("%-9s", "trace");
        for (int q = 0; q < BP_POLICY_COUNT; q++)
            printf("  %-16s", bp_policy_name(policies[q]));
        printf("\n");
        for (int k = 0; k < NTRACES; k++) {
            result *rs = &res[k][TPUT_SIZE];
            printf("%-9s", tr[k].name);
            for (int q = 0; q < BP_POLICY_COUNT; q++)
                printf("  %6.1f / %6.1f ", rs->ns1[q], rs->ns2[q]);
            printf("\n");
        }
        printf("\ntraces:\n");
        for (int k = 0; k < NTRACES; k++)
            printf("  %-9s %s\n", tr[k].name, tr[k].what);
    prefetch_only:
        if (c.part & 2)
            prefetch_part(&c, &tr[0], &tr[1], &tr[2]);
    }
    for (int k = 0; k < NTRACES; k++)
        free(tr[k].ref);
    return 0;
}
