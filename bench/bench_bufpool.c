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
 * Usage: bench_bufpool [--pages N] [--refs T] [--seed S] [--reps R] [--json]
 */
#include "bench_util.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "storage/bufpool.h"

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

/* ---- main ---- */

typedef struct result {
    uint64_t opt_hits;
    uint64_t hits[BP_POLICY_COUNT];
    double ns1[BP_POLICY_COUNT]; /* median, 1 thread */
    double ns2[BP_POLICY_COUNT]; /* median, 2 threads (TPUT_SIZE only) */
} result;

static void usage(void)
{
    fprintf(stderr, "usage: bench_bufpool [--pages N] [--refs T] [--seed S] [--reps R] [--json]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    config c = {.pages = 50000, .refs = 2000000, .seed = 42, .reps = 3, .json = 0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            c.json = 1;
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
    for (int k = 0; k < NTRACES; k++) {
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
        for (int k = 0; k < NTRACES; k++)
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
        printf("]}\n");
    } else {
        printf("bench_bufpool: replacement policies against Belady's OPT, same traces, same run\n");
        printf("machine: %s, %ld CPUs, %s; build %s; load %.2f\n", cpu, bu_nproc(), kern,
               NQ_BENCH_BUILD_TYPE, bu_loadavg());
        printf("working set N = %u pages, %zu references per trace, seed %" PRIu64
               ", median of %d runs\n\n",
               c.pages, c.refs, c.seed, c.reps);
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
    }
    for (int k = 0; k < NTRACES; k++)
        free(tr[k].ref);
    return 0;
}
