/*
 * prefetch.h — learned prefetching for the buffer pool: a Markov successor predictor with
 * STDP-shaped updates, and a background prefetcher fed by it.
 *
 * The learner (pf_model) is a bounded association table: for each page A, up to PF_K
 * successors B with a weight w(A->B) in [0, 1] (16-bit fixed point, 65535 = 1). When the
 * access stream touches A and then B (A != B), with rates eta, delta, alpha:
 *
 *   w(A->B) <- w(A->B) + eta * (1 - w(A->B))      causal potentiation (pre before post)
 *   w(A->C) <- (1 - delta) * w(A->C),  C != B      depression of A's other successors
 *   w(B->A) <- (1 - alpha) * w(B->A)               acausal depression (post before pre)
 *
 * A new successor enters with w = eta (the first potentiation from 0), replacing A's weakest
 * successor when all PF_K are taken. The shape is that of pair-based STDP — the synapse from
 * A to B grows when A fires just before B and shrinks in the other order — but plainly this
 * is a learned first-order Markov successor predictor: if B follows A with probability p, the
 * expected change of w(A->B) is zero at
 *
 *   w* = p * eta / (p * eta + (1 - p) * delta)
 *
 * so with the defaults (eta = 1/4, delta = 1/8) a successor seen every time converges to 1, one
 * seen half the time to 2/3, and the threshold theta = 0.4 predicts exactly the successors with
 * p >= 1/4 in steady state. A pair seen once gets w = eta = 0.25 < theta: noise (a random
 * workload) predicts nothing; a pattern is predicted from its second repetition (0.4375).
 *
 * Prediction from B: the successors C of B with w(B->C) >= theta, strongest first, then (up to
 * depth d) their successors D with w(B->C) * w(C->D) >= theta, so the prefetch can run ahead
 * of the stream. The table has a fixed capacity (from the pool's size), open
 * addressing with a probe window of PF_PROBE slots; when a new page A finds its window full,
 * it replaces the entry whose strongest successor is weakest. Entries are never deleted, so a
 * lookup stops at the first empty slot. pf_model is not thread-safe; prefetcher wraps it.
 *
 * The governed learner (pf_learner) holds the table only while it pays for its memory. The
 * table scales with the pool (pf_bytes_for_pool: 1.4% of it) and is lent out of the pool's
 * budget (bp_set_reserve), so on a workload without repeated sequences it would cost hit rate
 * and buy nothing. The learner therefore starts *suspended*: no table, no predictions, the
 * pool has all of its memory, and a probe watches the stream — a 64-entry pf_model fed only
 * the pairs (A, B) whose A falls in a hash-sampled subset of the pages, at the rate
 * 64 / table entries, so the probe is a miniature of the table the learner would have (set
 * sampling): its precision estimates the table's. Each prediction (the probe's while
 * suspended, the table's while active) is scored right if its page comes within the next
 * PF_HORIZON accesses (a pending prediction is not scored twice). Verdicts, with hysteresis:
 *   suspended -> active  once the probe scored >= 32 predictions with precision >= 1/2 and
 *                        right predictions >= 1/16 of the sampled accesses: the table is
 *                        allocated (and taken from the pool by the caller);
 *   active -> suspended  at the end of a window of max(4096, 4 x entries) accesses (the first
 *                        window after activation is a grace period: the table starts empty)
 *                        with precision < 1/4 or right predictions < 1/32 of the accesses:
 *                        the table is freed and its memory goes back to the pool.
 * While suspended the pool behaves exactly as without prefetching (the probe predicts nothing
 * to load), which is what makes "no worse on random workloads" exact, not approximate. The
 * probe's fixed ~2 KiB (whatever the pool's size) is bookkeeping like the pool's own struct and
 * is not lent from the pool; the table is.
 *
 * The prefetcher (prefetcher) owns a governed learner, the stream's last page, and a small bounded queue
 * of page numbers (a page already queued is skipped; a full queue drops new ones) served by
 * one background thread, which hands batches to a callback (the pager's: a read transaction
 * that loads each page through the pool as a cold image; pager.c). In inline mode there is no
 * thread: the caller loads the predictions itself at once (deterministic, for tests).
 */
#ifndef NQ_STORAGE_PREFETCH_H
#define NQ_STORAGE_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#define PF_K 4           /* successors kept per page */
#define PF_PROBE 8       /* open-addressing probe window */
#define PF_MAX_PREDICT 4 /* predictions per access at most */
#define PF_QUEUE 64      /* pages waiting for the background thread at most */

typedef struct pf_params {
    uint8_t eta_shift;     /* eta = 2^-eta_shift (default 2: 1/4) */
    uint8_t delta_shift;   /* delta = 2^-delta_shift (default 3: 1/8) */
    uint8_t alpha_shift;   /* alpha = 2^-alpha_shift (default 3: 1/8) */
    uint8_t depth;         /* prediction depth, 1..3 (default 2) */
    uint16_t theta;        /* prediction threshold, 16-bit fixed point (default 0.4) */
} pf_params;

void pf_params_default(pf_params *pp);

typedef struct pf_model pf_model;

/* A table of `entries` pages (at least 64). 0 or NQ_ENOMEM. */
int pf_model_create(size_t entries, const pf_params *pp, pf_model **out);
void pf_model_destroy(pf_model *m);
/* The stream touched a, then b. a == 0 (no previous page) or a == b: nothing. */
void pf_model_observe(pf_model *m, uint32_t a, uint32_t b);
/* Pages predicted to follow b, strongest first (breadth first by depth), at most max;
 * returns how many were written to out. */
int pf_model_predict(const pf_model *m, uint32_t b, uint32_t *out, int max);
/* w(a->b) in fixed point (0 when unknown). */
uint16_t pf_model_weight(const pf_model *m, uint32_t a, uint32_t b);
/* Pages with an entry; the table's capacity; entries replaced because a window was full. */
size_t pf_model_entries(const pf_model *m);
size_t pf_model_capacity(const pf_model *m);
uint64_t pf_model_replaced(const pf_model *m);
/* Bytes the table takes. */
size_t pf_model_bytes(const pf_model *m);
/* Table entries for a pool of pool_pages: 2 per pool page (a pattern is worth learning for
 * pages that are not in the pool), at least 256: 56 bytes per pool page, 1.4% of the pool's
 * memory at 4 KiB pages.
 * bench_bufpool measures the trade-off: 4 per page doubles the gain on the patterns trace at
 * the 5% pool and costs 2% of the hit rate on a uniform one (the memory the pool gives up). */
size_t pf_entries_for_pool(size_t pool_pages);
/* What pf_model_create(pf_entries_for_pool(pool_pages)) allocates, in bytes: what the
 * governed learner lends from the pool's budget while it holds its table. */
size_t pf_bytes_for_pool(size_t pool_pages);

/* ---- the governed learner ---- */

#define PF_HORIZON 8         /* a prediction is right if its page comes within this many accesses */
#define PF_PROBE_ENTRIES 64  /* the probe's table */

typedef struct pf_learner pf_learner;
typedef struct pf_learner_stats {
    uint64_t accesses, active_accesses; /* all, and those with the table allocated */
    uint64_t scored, right;             /* predictions scored (probe's and table's), right */
    uint64_t activations, suspensions;
} pf_learner_stats;

/* A learner for a pool of pool_pages (its table: pf_entries_for_pool entries when active).
 * Starts suspended. 0 or NQ_ENOMEM. */
int pf_learner_create(size_t pool_pages, const pf_params *pp, pf_learner **out);
void pf_learner_destroy(pf_learner *l);
/* The stream touched a, then b (a = 0: no previous page). Learns, scores, decides; writes the
 * pages to load to out (room for PF_MAX_PREDICT) and returns how many: 0 while suspended. */
int pf_learner_access(pf_learner *l, uint32_t a, uint32_t b, uint32_t *out);
int pf_learner_active(const pf_learner *l);
/* Bytes of the table now: 0 while suspended, else pf_bytes_for_pool(pool_pages). */
size_t pf_learner_bytes(const pf_learner *l);
void pf_learner_get_stats(const pf_learner *l, pf_learner_stats *out);
/* The table (NULL while suspended), for tests. */
const pf_model *pf_learner_table(const pf_learner *l);

/* ---- the prefetcher ---- */

typedef struct prefetcher prefetcher;
/* Load these pages (the background thread's batch). */
typedef void (*pf_run_fn)(void *arg, const uint32_t *pgno, size_t n);

/* background = 1: a thread serves the queue through run(arg, ...); 0: inline (no thread,
 * run is not used). 0, NQ_ENOMEM or NQ_EIO (no thread). */
int pf_create(size_t pool_pages, int background, pf_run_fn run, void *arg, prefetcher **out);
/* Stops and joins the thread (queued pages are dropped). NULL is fine. */
void pf_destroy(prefetcher *pf);
/* Called (under the prefetcher's lock) with the table's bytes whenever the learner allocates
 * or frees it, so the engine lends that much of the pool's budget (bp_set_reserve). */
typedef void (*pf_mem_fn)(void *arg, size_t table_bytes);
void pf_set_mem_callback(prefetcher *pf, pf_mem_fn fn, void *arg);
int pf_background(const prefetcher *pf);
/* The stream touched pgno; *prev is the stream's previous page (0 = continue from the
 * engine's last one) and becomes pgno. Learns, and writes the predictions to out (room for
 * PF_MAX_PREDICT); returns how many. */
int pf_access(prefetcher *pf, uint32_t *prev, uint32_t pgno, uint32_t *out);
/* Queue pages for the thread; duplicates of queued pages are skipped, overflow dropped. */
void pf_enqueue(prefetcher *pf, const uint32_t *pgno, int n);
/* Wait until the thread has served everything queued so far (tests and benchmarks). */
void pf_drain(prefetcher *pf);

typedef struct pf_stats {
    uint64_t accesses;  /* pf_access calls */
    uint64_t predicted; /* predictions made */
    uint64_t queued;    /* pages queued for the thread, or loaded inline */
    uint64_t dropped;   /* pages dropped because the queue was full */
    uint64_t entries, capacity, replaced; /* the table (0 while suspended) */
    pf_learner_stats learner;
} pf_stats;
void pf_get_stats(prefetcher *pf, pf_stats *out);
/* Count pages the caller loaded inline. */
void pf_count_inline(prefetcher *pf, uint64_t n);

#endif
