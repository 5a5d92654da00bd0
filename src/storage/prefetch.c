/*
 * prefetch.c — the learned successor table and the background prefetcher (prefetch.h has
 * the design and the equations).
 *
 * Table layout: one array of pf_entry (28 bytes: the page, PF_K successors, PF_K 16-bit
 * weights); a successor slot with weight 0 is free. The home slot of page A is a Fibonacci
 * hash of A mapped onto the table by a multiply-shift; A lives within PF_PROBE slots after it
 * (wrapping around). Updates use shifts (eta = 2^-k), so the
 * whole learner is integer arithmetic: deterministic on every platform.
 *
 * The governed learner (pf_learner) wraps a table allocated only while it pays, a probe table
 * of PF_PROBE_ENTRIES fed a hash-sampled subset of the pairs, a ring of pending predictions
 * (scored right when their page comes within PF_HORIZON accesses) and a direct-mapped filter
 * of recently seen pages (predicting those is worth nothing); prefetch.h has the verdicts.
 *
 * The prefetcher serialises the model and the queue with one mutex, held for one observe and
 * one predict per access (130-220 ns with a 5000-entry table, bench_bufpool --part prefetch:
 * mostly cache misses on the probe windows); the thread takes a batch of the queue and runs
 * it without the mutex.
 */
#include "prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/err.h"

#define W_ONE 65535u
#ifndef PF_TABLE_PER_PAGE
#define PF_TABLE_PER_PAGE 4
#endif

typedef struct pf_entry {
    uint32_t key; /* page number; 0 = empty slot */
    uint32_t succ[PF_K];
    uint16_t w[PF_K];
} pf_entry;

struct pf_model {
    pf_params pp;
    pf_entry *e;
    size_t cap;
    size_t used;
    uint64_t replaced;
};

void pf_params_default(pf_params *pp)
{
    pp->eta_shift = 2;
    pp->delta_shift = 3;
    pp->alpha_shift = 3;
    pp->depth = 2;
    pp->theta = (uint16_t)(0.4 * W_ONE);
}

size_t pf_entries_for_pool(size_t pool_pages)
{
    size_t n = pool_pages * 2;
    return n < 256 ? 256 : n;
}

size_t pf_bytes_for_pool(size_t pool_pages)
{
    size_t cap = pf_entries_for_pool(pool_pages);
    if (cap > ((size_t)1 << 30))
        cap = (size_t)1 << 30;
    return sizeof(pf_model) + cap * sizeof(pf_entry);
}

int pf_model_create(size_t entries, const pf_params *pp, pf_model **out)
{
    *out = NULL;
    pf_model *m = calloc(1, sizeof *m);
    if (!m)
        return NQ_ENOMEM;
    if (pp)
        m->pp = *pp;
    else
        pf_params_default(&m->pp);
    if (m->pp.depth < 1)
        m->pp.depth = 1;
    if (m->pp.depth > 3)
        m->pp.depth = 3;
    m->cap = entries < 64 ? 64 : entries > ((size_t)1 << 30) ? (size_t)1 << 30 : entries;
    m->e = calloc(m->cap, sizeof *m->e);
    if (!m->e) {
        free(m);
        return NQ_ENOMEM;
    }
    *out = m;
    return 0;
}

void pf_model_destroy(pf_model *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}

/* A multiplicative hash of the page mapped onto [0, cap) by a multiply-shift (any cap). */
static inline size_t home(const pf_model *m, uint32_t pgno)
{
    uint32_t h = (uint32_t)(((uint64_t)pgno * 0x9E3779B97F4A7C15ull) >> 32);
    return (size_t)(((uint64_t)h * m->cap) >> 32);
}

static inline size_t slot_at(const pf_model *m, size_t h, size_t i)
{
    h += i;
    return h >= m->cap ? h - m->cap : h;
}

static pf_entry *find(const pf_model *m, uint32_t pgno)
{
    size_t h = home(m, pgno);
    for (size_t i = 0; i < PF_PROBE; i++) {
        pf_entry *e = &m->e[slot_at(m, h, i)];
        if (e->key == pgno)
            return e;
        if (e->key == 0)
            return NULL;
    }
    return NULL;
}

static uint16_t strongest(const pf_entry *e)
{
    uint16_t s = 0;
    for (int j = 0; j < PF_K; j++)
        if (e->w[j] > s)
            s = e->w[j];
    return s;
}

/* The entry of pgno, made if absent: the first empty slot of its window, else the window's
 * entry whose strongest successor is weakest (the least useful thing the table knows). */
static pf_entry *find_or_add(pf_model *m, uint32_t pgno)
{
    size_t h = home(m, pgno);
    pf_entry *victim = NULL;
    uint16_t vs = UINT16_MAX;
    for (size_t i = 0; i < PF_PROBE; i++) {
        pf_entry *e = &m->e[slot_at(m, h, i)];
        if (e->key == pgno)
            return e;
        if (e->key == 0) {
            victim = e;
            m->used++;
            break;
        }
        uint16_t s = strongest(e);
        if (!victim || s < vs) {
            victim = e;
            vs = s;
        }
    }
    if (victim->key)
        m->replaced++;
    memset(victim, 0, sizeof *victim);
    victim->key = pgno;
    return victim;
}

void pf_model_observe(pf_model *m, uint32_t a, uint32_t b)
{
    if (a == 0 || b == 0 || a == b)
        return;
    pf_entry *e = find_or_add(m, a);
    int hit = -1, weakest = 0;
    for (int j = 0; j < PF_K; j++) {
        if (e->w[j] && e->succ[j] == b) {
            hit = j;
            continue;
        }
        e->w[j] = (uint16_t)(e->w[j] - (e->w[j] >> m->pp.delta_shift)); /* depression */
        if (e->w[j] < 8)
            e->w[j] = 0; /* (1 - delta) w never reaches 0 in integers: small is gone */
        if (e->w[j] < e->w[weakest])
            weakest = j;
    }
    if (hit < 0) {
        hit = weakest;
        e->succ[hit] = b;
        e->w[hit] = 0;
    }
    /* potentiation: w += eta (1 - w) */
    e->w[hit] = (uint16_t)(e->w[hit] + ((W_ONE - e->w[hit]) >> m->pp.eta_shift));
    /* acausal: b then a, seen the other way round, weakens b -> a */
    pf_entry *r = find(m, b);
    if (r)
        for (int j = 0; j < PF_K; j++)
            if (r->w[j] && r->succ[j] == a) {
                r->w[j] = (uint16_t)(r->w[j] - (r->w[j] >> m->pp.alpha_shift));
                if (r->w[j] < 8)
                    r->w[j] = 0;
            }
}

uint16_t pf_model_weight(const pf_model *m, uint32_t a, uint32_t b)
{
    const pf_entry *e = find(m, a);
    if (e)
        for (int j = 0; j < PF_K; j++)
            if (e->w[j] && e->succ[j] == b)
                return e->w[j];
    return 0;
}

/* Successors of e at or above theta, strongest first (ties: lower slot first). */
static int ranked(const pf_entry *e, uint16_t theta, int idx[PF_K])
{
    int n = 0;
    for (int j = 0; j < PF_K; j++) {
        if (!e->w[j] || e->w[j] < theta)
            continue;
        int k = n++;
        while (k > 0 && e->w[idx[k - 1]] < e->w[j]) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = j;
    }
    return n;
}

static int listed(const uint32_t *out, int n, uint32_t pgno)
{
    for (int i = 0; i < n; i++)
        if (out[i] == pgno)
            return 1;
    return 0;
}

int pf_model_predict(const pf_model *m, uint32_t b, uint32_t *out, int max)
{
    /* breadth first from b: level 0 = b itself (strength 1) */
    uint32_t node[1 + PF_K + PF_K * PF_K];
    uint32_t str[1 + PF_K + PF_K * PF_K];
    int lo = 0, hi = 1, n = 0;
    node[0] = b;
    str[0] = W_ONE;
    for (int d = 0; d < m->pp.depth && n < max && lo < hi; d++) {
        int next = hi;
        for (int i = lo; i < hi && n < max; i++) {
            const pf_entry *e = find(m, node[i]);
            if (!e)
                continue;
            int idx[PF_K];
            int k = ranked(e, m->pp.theta, idx);
            for (int j = 0; j < k && n < max; j++) {
                uint32_t c = e->succ[idx[j]];
                uint32_t s = (uint32_t)(((uint64_t)str[i] * e->w[idx[j]]) / W_ONE);
                if (s < m->pp.theta || c == b || listed(out, n, c))
                    continue;
                out[n++] = c;
                if (next < (int)(sizeof node / sizeof node[0])) {
                    node[next] = c;
                    str[next++] = s;
                }
            }
        }
        lo = hi;
        hi = next;
    }
    return n;
}

size_t pf_model_entries(const pf_model *m) { return m->used; }
size_t pf_model_capacity(const pf_model *m) { return m->cap; }
uint64_t pf_model_replaced(const pf_model *m) { return m->replaced; }
size_t pf_model_bytes(const pf_model *m) { return sizeof *m + m->cap * sizeof *m->e; }

/* ---- the governed learner ---- */

#define RING (PF_MAX_PREDICT * PF_HORIZON) /* pending predictions: never overwritten early */
#define PROBE_VERDICT 32                   /* scored probe predictions per verdict */
#define PROBE_FORGET 4096                  /* sampled accesses without a verdict: start over */
#define RECENT 512                         /* slots for the pages seen lately (direct-mapped) */

struct pf_learner {
    pf_params pp;
    size_t pool_pages, entries;
    pf_model *table; /* NULL while suspended */
    pf_model *probe;
    uint64_t sample_thr; /* A is sampled if mix(A) < sample_thr (of 2^32) */
    uint64_t window;     /* accesses per verdict while active */
    uint32_t recency;    /* "seen lately": within this many accesses, min(pool, RECENT) */
    int grace;           /* the first active window is not judged */
    uint64_t now;
    uint32_t recent_pg[RECENT]; /* recent_pg[h(p)] = p when p was seen at recent_at[h(p)] */
    uint32_t recent_at[RECENT];
    uint32_t ring_pg[RING];
    uint64_t ring_due[RING];
    int rpos;
    uint64_t w_acc, w_scored, w_right; /* the current window */
    pf_learner_stats st;
};

/* A second hash of the page, independent of the table's home slot (murmur3's finaliser). */
static inline uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    x *= 0xc2b2ae35u;
    x ^= x >> 16;
    return x;
}

int pf_learner_create(size_t pool_pages, const pf_params *pp, pf_learner **out)
{
    *out = NULL;
    pf_learner *l = calloc(1, sizeof *l);
    if (!l)
        return NQ_ENOMEM;
    if (pp)
        l->pp = *pp;
    else
        pf_params_default(&l->pp);
    l->pool_pages = pool_pages;
    l->entries = pf_entries_for_pool(pool_pages);
    /* the probe samples PF_PROBE_ENTRIES / entries of the pages: a miniature of the table */
    l->sample_thr = ((uint64_t)1 << 32) * PF_PROBE_ENTRIES / l->entries;
    l->window = 4 * l->entries > 4096 ? 4 * l->entries : 4096;
    l->recency = pool_pages < RECENT ? (uint32_t)pool_pages : RECENT;
    int rc = pf_model_create(PF_PROBE_ENTRIES, &l->pp, &l->probe);
    if (rc) {
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void pf_learner_destroy(pf_learner *l)
{
    if (!l)
        return;
    pf_model_destroy(l->table);
    pf_model_destroy(l->probe);
    free(l);
}

/* b came: a pending prediction of b is right (at most one is pending per page). */
static void score_arrival(pf_learner *l, uint32_t b)
{
    for (int i = 0; i < RING; i++)
        if (l->ring_pg[i] == b && l->ring_due[i] >= l->now) {
            l->ring_due[i] = 0;
            l->w_right++;
            l->st.right++;
            return;
        }
}

/* c is predicted now: scored unless a prediction of c is still pending, or c was seen in the
 * last `recency` accesses (fewer than the pool's pages) — such a page is most likely in the
 * pool, so predicting it is worth nothing (on a skewed workload the hot pages come back within
 * the horizon whatever is predicted, and scoring them would make noise look precise). */
static void score_prediction(pf_learner *l, uint32_t c)
{
    uint32_t h = mix(c) % RECENT;
    if (l->recent_pg[h] == c && (uint32_t)l->now - l->recent_at[h] < l->recency)
        return;
    for (int i = 0; i < RING; i++)
        if (l->ring_pg[i] == c && l->ring_due[i] >= l->now)
            return;
    l->ring_pg[l->rpos] = c;
    l->ring_due[l->rpos] = l->now + PF_HORIZON;
    l->rpos = (l->rpos + 1) % RING;
    l->w_scored++;
    l->st.scored++;
}

static void window_reset(pf_learner *l)
{
    l->w_acc = l->w_scored = l->w_right = 0;
}

static void activate(pf_learner *l)
{
    if (pf_model_create(l->entries, &l->pp, &l->table))
        return; /* no memory: stay suspended, try again at the next verdict */
    l->grace = 1;
    l->st.activations++;
    memset(l->ring_due, 0, sizeof l->ring_due); /* the probe's pending predictions */
}

static void suspend(pf_learner *l)
{
    pf_model_destroy(l->table);
    l->table = NULL;
    l->st.suspensions++;
    memset(l->ring_due, 0, sizeof l->ring_due);
}

int pf_learner_access(pf_learner *l, uint32_t a, uint32_t b, uint32_t *out)
{
    l->now++;
    l->st.accesses++;
    score_arrival(l, b);
    uint32_t hb = mix(b) % RECENT;
    l->recent_pg[hb] = b;
    l->recent_at[hb] = (uint32_t)l->now;
    /* the probe learns its sample whatever the state, so it is warm when it is needed */
    int a_sampled = a && mix(a) < l->sample_thr, b_sampled = mix(b) < l->sample_thr;
    if (a_sampled)
        pf_model_observe(l->probe, a, b);
    if (!l->table) {
        if (!b_sampled)
            return 0;
        l->w_acc++;
        uint32_t want[PF_MAX_PREDICT];
        int n = pf_model_predict(l->probe, b, want, PF_MAX_PREDICT);
        for (int i = 0; i < n; i++)
            score_prediction(l, want[i]);
        if (l->w_scored >= PROBE_VERDICT) {
            if (2 * l->w_right >= l->w_scored && 32 * l->w_right >= l->w_acc)
                activate(l);
            window_reset(l);
        } else if (l->w_acc >= PROBE_FORGET) {
            window_reset(l);
        }
        return 0; /* the probe's predictions are scored, never loaded */
    }
    l->st.active_accesses++;
    l->w_acc++;
    pf_model_observe(l->table, a, b);
    int n = pf_model_predict(l->table, b, out, PF_MAX_PREDICT);
    for (int i = 0; i < n; i++)
        score_prediction(l, out[i]);
    if (l->w_acc >= l->window) {
        if (!l->grace && (4 * l->w_right < l->w_scored || 64 * l->w_right < l->w_acc)) {
            suspend(l);
            window_reset(l);
            return 0;
        }
        l->grace = 0;
        window_reset(l);
    }
    return n;
}

int pf_learner_active(const pf_learner *l) { return l->table != NULL; }

size_t pf_learner_bytes(const pf_learner *l)
{
    return l->table ? pf_model_bytes(l->table) : 0;
}

void pf_learner_get_stats(const pf_learner *l, pf_learner_stats *out) { *out = l->st; }

const pf_model *pf_learner_table(const pf_learner *l) { return l->table; }

/* ---- the prefetcher ---- */

struct prefetcher {
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* work queued, or stop */
    pthread_cond_t idle; /* the queue is empty and the thread is not running a batch */
    pf_learner *l;
    size_t lent;         /* the table's bytes last reported to mem */
    pf_mem_fn mem;
    void *mem_arg;
    uint32_t last;       /* the stream's last page */
    uint32_t q[PF_QUEUE];
    size_t qhead, qn;
    int background, thread_ok, stop, busy;
    pthread_t thread;
    pf_run_fn run;
    void *arg;
    pf_stats st;
};

static void *pf_thread(void *arg)
{
    prefetcher *pf = arg;
    uint32_t batch[PF_QUEUE];
    pthread_mutex_lock(&pf->mu);
    while (!pf->stop) {
        if (pf->qn == 0) {
            pthread_cond_broadcast(&pf->idle);
            pthread_cond_wait(&pf->cv, &pf->mu);
            continue;
        }
        size_t n = pf->qn;
        for (size_t i = 0; i < n; i++)
            batch[i] = pf->q[(pf->qhead + i) % PF_QUEUE];
        pf->qhead = (pf->qhead + n) % PF_QUEUE;
        pf->qn = 0;
        pf->busy = 1;
        pthread_mutex_unlock(&pf->mu);
        pf->run(pf->arg, batch, n);
        pthread_mutex_lock(&pf->mu);
        pf->busy = 0;
    }
    pthread_cond_broadcast(&pf->idle);
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

int pf_create(size_t pool_pages, int background, pf_run_fn run, void *arg, prefetcher **out)
{
    *out = NULL;
    prefetcher *pf = calloc(1, sizeof *pf);
    if (!pf)
        return NQ_ENOMEM;
    int rc = pf_learner_create(pool_pages, NULL, &pf->l);
    if (rc) {
        free(pf);
        return rc;
    }
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    pthread_cond_init(&pf->idle, NULL);
    pf->run = run;
    pf->arg = arg;
    pf->background = background && run;
    if (pf->background) {
        if (pthread_create(&pf->thread, NULL, pf_thread, pf) != 0) {
            pf->thread_ok = 0;
            pf_destroy(pf);
            return NQ_EIO;
        }
        pf->thread_ok = 1;
    }
    *out = pf;
    return 0;
}

void pf_destroy(prefetcher *pf)
{
    if (!pf)
        return;
    if (pf->thread_ok) {
        pthread_mutex_lock(&pf->mu);
        pf->stop = 1;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
        pthread_join(pf->thread, NULL);
    }
    pf_learner_destroy(pf->l);
    pthread_mutex_destroy(&pf->mu);
    pthread_cond_destroy(&pf->cv);
    pthread_cond_destroy(&pf->idle);
    free(pf);
}

int pf_background(const prefetcher *pf) { return pf->background; }

void pf_set_mem_callback(prefetcher *pf, pf_mem_fn fn, void *arg)
{
    pthread_mutex_lock(&pf->mu);
    pf->mem = fn;
    pf->mem_arg = arg;
    pthread_mutex_unlock(&pf->mu);
}

int pf_access(prefetcher *pf, uint32_t *prev, uint32_t pgno, uint32_t *out)
{
    pthread_mutex_lock(&pf->mu);
    uint32_t a = *prev ? *prev : pf->last;
    int n = pf_learner_access(pf->l, a, pgno, out);
    *prev = pgno;
    pf->last = pgno;
    size_t bytes = pf_learner_bytes(pf->l);
    if (bytes != pf->lent) {
        pf->lent = bytes;
        if (pf->mem)
            pf->mem(pf->mem_arg, bytes);
    }
    pf->st.accesses++;
    pf->st.predicted += (uint64_t)n;
    pthread_mutex_unlock(&pf->mu);
    return n;
}

void pf_enqueue(prefetcher *pf, const uint32_t *pgno, int n)
{
    if (n <= 0 || !pf->background)
        return;
    pthread_mutex_lock(&pf->mu);
    int was_empty = pf->qn == 0;
    for (int i = 0; i < n; i++) {
        int dup = 0;
        for (size_t k = 0; k < pf->qn && !dup; k++)
            dup = pf->q[(pf->qhead + k) % PF_QUEUE] == pgno[i];
        if (dup)
            continue;
        if (pf->qn == PF_QUEUE) {
            pf->st.dropped++;
            continue;
        }
        pf->q[(pf->qhead + pf->qn++) % PF_QUEUE] = pgno[i];
        pf->st.queued++;
    }
    if (was_empty && pf->qn)
        pthread_cond_signal(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

void pf_drain(prefetcher *pf)
{
    if (!pf->background)
        return;
    pthread_mutex_lock(&pf->mu);
    while (!pf->stop && (pf->qn || pf->busy))
        pthread_cond_wait(&pf->idle, &pf->mu);
    pthread_mutex_unlock(&pf->mu);
}

void pf_count_inline(prefetcher *pf, uint64_t n)
{
    pthread_mutex_lock(&pf->mu);
    pf->st.queued += n;
    pthread_mutex_unlock(&pf->mu);
}

void pf_get_stats(prefetcher *pf, pf_stats *out)
{
    pthread_mutex_lock(&pf->mu);
    *out = pf->st;
    const pf_model *m = pf_learner_table(pf->l);
    out->entries = m ? pf_model_entries(m) : 0;
    out->capacity = m ? pf_model_capacity(m) : 0;
    out->replaced = m ? pf_model_replaced(m) : 0;
    pf_learner_get_stats(pf->l, &out->learner);
    pthread_mutex_unlock(&pf->mu);
}
