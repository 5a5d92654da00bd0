/*
 * bufpool.c — the buffer pool of immutable page versions (see bufpool.h for the design).
 *
 * Layout: every frame lives in one array (`frames`), which is what bp_remap, bp_clear and
 * bp_destroy walk and what the CLOCK hand sweeps; a chained hash table finds a frame by
 * (pgno, frame). LRU and 2Q additionally thread their frames on intrusive doubly linked lists
 * (`main` = the LRU list or 2Q's Am, `a1in` = 2Q's FIFO), and 2Q keeps its ghost list of
 * page numbers (`ghosts`) in a fixed array of nodes with its own small hash. One mutex guards
 * all of it; page bytes are read without it, which is safe because an image never changes
 * while it is pinned (and is only recycled when unpinned).
 *
 * A frame whose image is dead (a failed load, dropped by bp_remap or bp_clear) and unpinned
 * goes on the `freel` list and is reused before anything is evicted, whatever the policy:
 * reusing a frame that holds nothing costs no hit. So the policies only ever choose among
 * live, unpinned images, and a frame is always on exactly one of: no list (CLOCK), `freel`,
 * `main`, `a1in`.
 *
 * The ghost list remembers page numbers, not versions. A commit gives a hot page a new
 * version (a new frame number), and the evidence that the page is hot belongs to the page, so
 * the new version of a page that was recently evicted from A1in enters Am directly.
 */
#include "bufpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { F_LOADING = 1, F_READY = 2, F_DEAD = 3 };
enum { Q_NONE = 0, Q_FREE = 1, Q_MAIN = 2, Q_A1IN = 3 };

typedef struct bp_frame {
    pg page; /* must be first: a pg* handed out is a bp_frame* */
    uint32_t frame;
    uint32_t pins;
    uint8_t state;
    uint8_t ref;     /* CLOCK's reference bit */
    uint8_t queue;   /* Q_*: the list the frame is on */
    uint8_t renamed; /* bp_remap's mark between its passes */
    uint8_t pf;      /* loaded by bp_prefetch and not yet used by a demand fetch */
    uint32_t slot;   /* index in frames[] */
    struct bp_frame *hnext;
    struct bp_frame *prev, *next; /* on `queue`; head = most recent */
} bp_frame;

typedef struct bp_list {
    bp_frame *head, *tail;
    size_t n;
} bp_list;

/* 2Q's A1out: page numbers only, FIFO by eviction time, in a fixed array (indices, -1 = none). */
typedef struct bp_ghost {
    uint32_t pgno;
    int32_t prev, next, hnext;
} bp_ghost;

typedef struct bp_ghosts {
    bp_ghost *g;
    size_t cap, n;
    int32_t head, tail, freel;
    int32_t *bucket;
    size_t nbuckets;
} bp_ghosts;

struct bufpool {
    pthread_mutex_t mu;
    pthread_cond_t loaded;
    bp_policy policy;
    uint32_t page_size;
    size_t capacity;   /* budget - reserve, at least 8: what the images may occupy */
    size_t budget;     /* bp_set_capacity's */
    size_t reserve;    /* lent to the prefetch learner's table (bp_set_reserve) */
    bp_frame **frames; /* every frame; grows past capacity only while everything is pinned */
    size_t nframes, cap_frames;
    size_t hand; /* CLOCK */
    bp_frame **hash;
    size_t nbuckets;
    bp_list freel, main, a1in;
    size_t kin; /* 2Q: A1in's share of the budget */
    bp_ghosts ghosts;
    uint64_t hits, misses, evictions;
    /* prefetched images: loaded, later hit by a demand fetch, left unused, refused (cap) */
    uint64_t pf_loaded, pf_used, pf_wasted, pf_refused;
    size_t pf_unused; /* frames with pf set: at most capacity / 8 */
};

const char *bp_policy_name(bp_policy policy)
{
    switch (policy) {
    case BP_CLOCK:
        return "clock";
    case BP_LRU:
        return "lru";
    case BP_2Q:
        return "2q";
    }
    return NULL;
}

static inline size_t hash_key(const bufpool *bp, uint32_t pgno, uint32_t frame)
{
    uint64_t k = ((uint64_t)pgno << 32) | frame;
    k *= 0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 32) & (bp->nbuckets - 1);
}

/* ---- intrusive lists ---- */

static bp_list *queue_list(bufpool *bp, uint8_t q)
{
    switch (q) {
    case Q_FREE:
        return &bp->freel;
    case Q_MAIN:
        return &bp->main;
    case Q_A1IN:
        return &bp->a1in;
    }
    return NULL;
}

static void list_push_head(bufpool *bp, uint8_t q, bp_frame *f)
{
    bp_list *l = queue_list(bp, q);
    f->queue = q;
    f->prev = NULL;
    f->next = l->head;
    if (l->head)
        l->head->prev = f;
    else
        l->tail = f;
    l->head = f;
    l->n++;
}

static void frame_unlink(bufpool *bp, bp_frame *f)
{
    bp_list *l = queue_list(bp, f->queue);
    if (!l)
        return;
    if (f->prev)
        f->prev->next = f->next;
    else
        l->head = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        l->tail = f->prev;
    l->n--;
    f->prev = f->next = NULL;
    f->queue = Q_NONE;
}

/* ---- 2Q ghost list ---- */

/* Empty the ghost list (its arrays already allocated). */
static void ghosts_reset(bp_ghosts *gs)
{
    if (!gs->g)
        return;
    gs->n = 0;
    gs->head = gs->tail = -1;
    for (size_t i = 0; i < gs->nbuckets; i++)
        gs->bucket[i] = -1;
    for (size_t i = 0; i < gs->cap; i++)
        gs->g[i].next = i + 1 < gs->cap ? (int32_t)(i + 1) : -1;
    gs->freel = 0;
}

static int ghosts_init(bp_ghosts *gs, size_t cap)
{
    gs->cap = cap;
    gs->nbuckets = 16;
    while (gs->nbuckets < cap * 2)
        gs->nbuckets <<= 1;
    gs->g = malloc(cap * sizeof *gs->g);
    gs->bucket = malloc(gs->nbuckets * sizeof *gs->bucket);
    if (!gs->g || !gs->bucket)
        return NQ_ENOMEM;
    ghosts_reset(gs);
    return 0;
}

static inline size_t ghost_bucket(const bp_ghosts *gs, uint32_t pgno)
{
    return (size_t)(((uint64_t)pgno * 0x9E3779B97F4A7C15ull) >> 32) & (gs->nbuckets - 1);
}

static int32_t ghost_find(const bp_ghosts *gs, uint32_t pgno)
{
    int32_t i = gs->bucket[ghost_bucket(gs, pgno)];
    while (i >= 0 && gs->g[i].pgno != pgno)
        i = gs->g[i].hnext;
    return i;
}

static void ghost_remove(bp_ghosts *gs, int32_t i)
{
    bp_ghost *g = gs->g;
    int32_t *pp = &gs->bucket[ghost_bucket(gs, g[i].pgno)];
    while (*pp != i)
        pp = &g[*pp].hnext;
    *pp = g[i].hnext;
    if (g[i].prev >= 0)
        g[g[i].prev].next = g[i].next;
    else
        gs->head = g[i].next;
    if (g[i].next >= 0)
        g[g[i].next].prev = g[i].prev;
    else
        gs->tail = g[i].prev;
    g[i].next = gs->freel;
    gs->freel = i;
    gs->n--;
}

static void ghost_add(bp_ghosts *gs, uint32_t pgno)
{
    if (ghost_find(gs, pgno) >= 0)
        return; /* another version of the page was evicted earlier: one record is enough */
    if (gs->freel < 0)
        ghost_remove(gs, gs->tail); /* forget the oldest */
    bp_ghost *g = gs->g;
    int32_t i = gs->freel;
    gs->freel = g[i].next;
    size_t b = ghost_bucket(gs, pgno);
    g[i].pgno = pgno;
    g[i].hnext = gs->bucket[b];
    gs->bucket[b] = i;
    g[i].prev = -1;
    g[i].next = gs->head;
    if (gs->head >= 0)
        g[gs->head].prev = i;
    else
        gs->tail = i;
    gs->head = i;
    gs->n++;
}

/* ---- the policies: admission, hit, victim ---- */

/* A frame that just received an image. `referenced` is 0 for bp_insert: a fresh write earns
 * no CLOCK second chance until it is read. */
static void policy_admit(bufpool *bp, bp_frame *f, int referenced)
{
    switch (bp->policy) {
    case BP_CLOCK:
        f->ref = (uint8_t)referenced;
        break;
    case BP_LRU:
        list_push_head(bp, Q_MAIN, f);
        break;
    case BP_2Q: {
        int32_t gi = ghost_find(&bp->ghosts, f->page.pgno);
        if (gi >= 0) {
            /* re-referenced after leaving A1in: this page is hot, not part of a scan */
            ghost_remove(&bp->ghosts, gi);
            list_push_head(bp, Q_MAIN, f);
        } else {
            list_push_head(bp, Q_A1IN, f);
        }
        break;
    }
    }
}

static inline void policy_hit(bufpool *bp, bp_frame *f)
{
    switch (bp->policy) {
    case BP_CLOCK:
        f->ref = 1;
        break;
    case BP_LRU:
    case BP_2Q:
        /* 2Q leaves A1in hits alone: references close together are one "use" (a correlated
         * burst), and promoting on them is exactly what would let a scan into Am. */
        if (f->queue == Q_MAIN && bp->main.head != f) {
            frame_unlink(bp, f);
            list_push_head(bp, Q_MAIN, f);
        }
        break;
    }
}

static inline int evictable(const bp_frame *f)
{
    return f->pins == 0 && f->state == F_READY;
}

/* The evictable frame nearest the tail of list l (the least recent), or NULL. */
static bp_frame *list_victim(bp_list *l)
{
    for (bp_frame *f = l->tail; f; f = f->prev)
        if (evictable(f))
            return f;
    return NULL;
}

static bp_frame *clock_victim(bufpool *bp)
{
    /* Sweep at most two full turns: the first clears reference bits, the second finds one. */
    for (size_t n = 0; n < 2 * bp->nframes + 1; n++) {
        bp_frame *f = bp->frames[bp->hand];
        bp->hand = (bp->hand + 1) % bp->nframes;
        if (!evictable(f))
            continue;
        if (f->ref) {
            f->ref = 0;
            continue;
        }
        return f;
    }
    return NULL;
}

static bp_frame *twoq_victim(bufpool *bp)
{
    bp_frame *f = NULL;
    if (bp->a1in.n > bp->kin || bp->main.n == 0)
        f = list_victim(&bp->a1in);
    /* a prefetched image nobody used is no evidence about its page: A1out does not learn it */
    if (!f)
        f = list_victim(&bp->main);
    else if (!f->pf)
        ghost_add(&bp->ghosts, f->page.pgno);
    if (!f && (f = list_victim(&bp->a1in)) && !f->pf)
        ghost_add(&bp->ghosts, f->page.pgno); /* Am is all pinned: A1in must give */
    return f;
}

/* A live unpinned image to evict, or NULL when everything is pinned or loading. */
static bp_frame *policy_victim(bufpool *bp)
{
    switch (bp->policy) {
    case BP_CLOCK:
        return clock_victim(bp);
    case BP_LRU:
        return list_victim(&bp->main);
    case BP_2Q:
        return twoq_victim(bp);
    }
    return NULL;
}

/* A frame leaves the pool (evicted, dropped, freed): a prefetched image nobody used was a
 * wasted read. */
static inline void pf_leave(bufpool *bp, bp_frame *f)
{
    if (f->pf) {
        f->pf = 0;
        bp->pf_unused--;
        bp->pf_wasted++;
    }
}

/* The first demand fetch of a prefetched image: it counts as that page's admission, so the
 * policy sees the reference it would have seen on a miss (2Q: a page remembered in A1out
 * goes to Am, else it starts again at A1in's head; CLOCK and LRU: the hit below). */
static void pf_first_use(bufpool *bp, bp_frame *f)
{
    f->pf = 0;
    bp->pf_unused--;
    bp->pf_used++;
    if (bp->policy == BP_2Q && f->queue == Q_A1IN) {
        int32_t gi = ghost_find(&bp->ghosts, f->page.pgno);
        frame_unlink(bp, f);
        if (gi >= 0) {
            ghost_remove(&bp->ghosts, gi);
            list_push_head(bp, Q_MAIN, f);
        } else {
            list_push_head(bp, Q_A1IN, f);
        }
    }
}

/* ---- frames ---- */

int bp_create_policy(uint32_t page_size, size_t capacity_pages, bp_policy policy, bufpool **out)
{
    *out = NULL;
    if (!bp_policy_name(policy))
        return NQ_EINVAL;
    if (capacity_pages < 8)
        capacity_pages = 8;
    bufpool *bp = calloc(1, sizeof *bp);
    if (!bp)
        return NQ_ENOMEM;
    bp->policy = policy;
    bp->page_size = page_size;
    bp->capacity = bp->budget = capacity_pages;
    bp->nbuckets = 16;
    while (bp->nbuckets < capacity_pages * 2)
        bp->nbuckets <<= 1;
    bp->hash = calloc(bp->nbuckets, sizeof *bp->hash);
    bp->cap_frames = capacity_pages;
    bp->frames = calloc(bp->cap_frames, sizeof *bp->frames);
    /* 2Q's tuning from the paper: A1in a quarter of the pages, A1out remembers half as many
     * page numbers as the pool holds pages. */
    bp->kin = capacity_pages / 4;
    int grc = policy == BP_2Q ? ghosts_init(&bp->ghosts, capacity_pages / 2) : 0;
    if (!bp->hash || !bp->frames || grc) {
        free(bp->ghosts.g);
        free(bp->ghosts.bucket);
        free(bp->hash);
        free(bp->frames);
        free(bp);
        return NQ_ENOMEM;
    }
    pthread_mutex_init(&bp->mu, NULL);
    pthread_cond_init(&bp->loaded, NULL);
    *out = bp;
    return 0;
}

int bp_create(uint32_t page_size, size_t capacity_pages, bufpool **out)
{
    return bp_create_policy(page_size, capacity_pages, BP_POLICY_DEFAULT, out);
}

static void frame_free(bp_frame *f)
{
    free(f->page.data);
    free(f);
}

void bp_destroy(bufpool *bp)
{
    if (!bp)
        return;
    for (size_t i = 0; i < bp->nframes; i++)
        frame_free(bp->frames[i]);
    free(bp->frames);
    free(bp->hash);
    free(bp->ghosts.g);
    free(bp->ghosts.bucket);
    pthread_mutex_destroy(&bp->mu);
    pthread_cond_destroy(&bp->loaded);
    free(bp);
}

static bp_frame *hash_find(bufpool *bp, uint32_t pgno, uint32_t frame)
{
    for (bp_frame *f = bp->hash[hash_key(bp, pgno, frame)]; f; f = f->hnext)
        if (f->page.pgno == pgno && f->frame == frame && f->state != F_DEAD)
            return f;
    return NULL;
}

static void hash_remove(bufpool *bp, bp_frame *f)
{
    bp_frame **pp = &bp->hash[hash_key(bp, f->page.pgno, f->frame)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
    f->hnext = NULL;
}

static void hash_add(bufpool *bp, bp_frame *f)
{
    size_t h = hash_key(bp, f->page.pgno, f->frame);
    f->hnext = bp->hash[h];
    bp->hash[h] = f;
}

/* Remove frame at slot i from the array entirely (used when shrinking back to budget). */
static void slot_remove(bufpool *bp, size_t i)
{
    bp->nframes--;
    if (i != bp->nframes) {
        bp->frames[i] = bp->frames[bp->nframes];
        bp->frames[i]->slot = (uint32_t)i;
    }
    if (bp->hand >= bp->nframes)
        bp->hand = 0;
}

/* A dead, unpinned frame (out of the hash) leaves its policy's list: freed when the pool is
 * over its budget, else kept on freel for the next miss. */
static void frame_retire(bufpool *bp, bp_frame *f)
{
    pf_leave(bp, f);
    frame_unlink(bp, f);
    f->ref = 0;
    if (bp->nframes > bp->capacity) {
        slot_remove(bp, f->slot);
        frame_free(f);
    } else {
        list_push_head(bp, Q_FREE, f);
    }
}

/* A new frame in the array, past the budget if need be; NULL on allocation failure. */
static bp_frame *frame_new(bufpool *bp)
{
    bp_frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->page.data = malloc(bp->page_size);
    if (!f->page.data) {
        free(f);
        return NULL;
    }
    if (bp->nframes == bp->cap_frames) {
        size_t nc = bp->cap_frames * 2;
        bp_frame **nf = realloc(bp->frames, nc * sizeof *nf);
        if (!nf) {
            frame_free(f);
            return NULL;
        }
        bp->frames = nf;
        bp->cap_frames = nc;
    }
    f->slot = (uint32_t)bp->nframes;
    bp->frames[bp->nframes++] = f;
    return f;
}

/* A frame to (re)use, out of the hash and off every list; NULL only on allocation failure.
 * The caller gives it an image and calls policy_admit. */
static bp_frame *grab_frame(bufpool *bp)
{
    bp_frame *f = bp->freel.tail;
    if (f) {
        frame_unlink(bp, f);
        f->state = 0;
        return f;
    }
    if (bp->nframes < bp->capacity)
        return frame_new(bp);
    if ((f = policy_victim(bp))) {
        hash_remove(bp, f);
        frame_unlink(bp, f);
        pf_leave(bp, f);
        bp->evictions++;
        f->state = 0;
        return f;
    }
    /* Everything is pinned: grow past the budget; bp_unpin shrinks back. */
    return frame_new(bp);
}

/* Load frame f (F_LOADING, pinned, in the hash) through `load` outside the pool lock, which
 * is held on entry and on return; a failed load retires the frame. Wakes the threads waiting
 * for this version either way (they look again when the caller releases the lock). */
static int frame_load(bufpool *bp, bp_frame *f, bp_loader load, void *arg)
{
    pthread_mutex_unlock(&bp->mu);
    int rc = load(arg, f->page.pgno, f->frame, f->page.data);
    pthread_mutex_lock(&bp->mu);
    if (rc) {
        hash_remove(bp, f);
        f->state = F_DEAD;
        f->pins = 0;
        frame_retire(bp, f);
    } else {
        f->state = F_READY;
    }
    pthread_cond_broadcast(&bp->loaded);
    return rc;
}

int bp_fetch(bufpool *bp, uint32_t pgno, uint32_t frame, bp_loader load, void *arg, pg **out)
{
    *out = NULL;
    pthread_mutex_lock(&bp->mu);
    for (;;) {
        bp_frame *f = hash_find(bp, pgno, frame);
        if (!f)
            break;
        if (f->state == F_READY) {
            f->pins++;
            if (f->pf)
                pf_first_use(bp, f);
            policy_hit(bp, f);
            bp->hits++;
            pthread_mutex_unlock(&bp->mu);
            *out = &f->page;
            return 0;
        }
        /* being loaded by another thread: wait, then look again (the load may have failed) */
        pthread_cond_wait(&bp->loaded, &bp->mu);
    }
    bp->misses++;
    bp_frame *f = grab_frame(bp);
    if (!f) {
        pthread_mutex_unlock(&bp->mu);
        return NQ_ENOMEM;
    }
    f->page.pgno = pgno;
    f->page.kind = 0;
    f->frame = frame;
    f->pins = 1;
    f->state = F_LOADING;
    hash_add(bp, f);
    policy_admit(bp, f, 1);
    int rc = frame_load(bp, f, load, arg);
    pthread_mutex_unlock(&bp->mu);
    if (rc)
        return rc;
    *out = &f->page;
    return 0;
}

int bp_contains(bufpool *bp, uint32_t pgno, uint32_t frame)
{
    pthread_mutex_lock(&bp->mu);
    int found = hash_find(bp, pgno, frame) != NULL;
    pthread_mutex_unlock(&bp->mu);
    return found;
}

int bp_prefetch(bufpool *bp, uint32_t pgno, uint32_t frame, bp_loader load, void *arg)
{
    pthread_mutex_lock(&bp->mu);
    if (hash_find(bp, pgno, frame)) { /* there, or on its way */
        pthread_mutex_unlock(&bp->mu);
        return 0;
    }
    size_t limit = bp->capacity / 8 ? bp->capacity / 8 : 1;
    if (bp->pf_unused >= limit) {
        bp->pf_refused++;
        pthread_mutex_unlock(&bp->mu);
        return 0;
    }
    bp_frame *f = grab_frame(bp);
    if (!f) {
        pthread_mutex_unlock(&bp->mu);
        return NQ_ENOMEM;
    }
    f->page.pgno = pgno;
    f->page.kind = 0;
    f->frame = frame;
    f->pins = 1;
    f->state = F_LOADING;
    hash_add(bp, f);
    /* cold: 2Q's A1in whatever A1out remembers (the first demand use decides, pf_first_use);
     * CLOCK's reference bit clear; LRU has no colder place that survives until the use, so
     * the head, and the cap above bounds what wrong guesses can occupy */
    if (bp->policy == BP_2Q)
        list_push_head(bp, Q_A1IN, f);
    else
        policy_admit(bp, f, 0);
    int rc = frame_load(bp, f, load, arg);
    if (rc == 0) {
        f->pf = 1;
        bp->pf_unused++;
        bp->pf_loaded++;
        f->pins = 0;
        if (bp->nframes > bp->capacity) { /* grown past the budget while everything was pinned */
            hash_remove(bp, f);
            f->state = F_DEAD;
            frame_retire(bp, f);
        }
    }
    pthread_mutex_unlock(&bp->mu);
    return rc ? rc : 1;
}

void bp_unpin(bufpool *bp, pg *page)
{
    bp_frame *f = (bp_frame *)page;
    pthread_mutex_lock(&bp->mu);
    if (f->pins)
        f->pins--;
    if (f->pins == 0 && f->state != F_LOADING &&
        (bp->nframes > bp->capacity || f->state == F_DEAD)) {
        if (f->state != F_DEAD) {
            hash_remove(bp, f); /* over budget: the pool shrinks back as pins are released */
            f->state = F_DEAD;
        }
        frame_retire(bp, f);
    }
    pthread_mutex_unlock(&bp->mu);
}

/* capacity = budget - reserve (at least 8); called with the lock held */
static void capacity_apply(bufpool *bp)
{
    size_t pages = bp->budget > bp->reserve + 8 ? bp->budget - bp->reserve : 8;
    bp->capacity = pages;
    /* give memory back now: spare frames first, then unpinned images in policy order */
    bp_frame *f;
    while (bp->nframes > bp->capacity && (f = bp->freel.tail)) {
        frame_unlink(bp, f);
        slot_remove(bp, f->slot);
        frame_free(f);
    }
    while (bp->nframes > bp->capacity && (f = policy_victim(bp))) {
        hash_remove(bp, f);
        frame_unlink(bp, f);
        pf_leave(bp, f);
        bp->evictions++;
        slot_remove(bp, f->slot);
        frame_free(f);
    }
}

void bp_set_capacity(bufpool *bp, size_t pages)
{
    pthread_mutex_lock(&bp->mu);
    bp->budget = pages < 8 ? 8 : pages;
    capacity_apply(bp);
    pthread_mutex_unlock(&bp->mu);
}

void bp_set_reserve(bufpool *bp, size_t pages)
{
    pthread_mutex_lock(&bp->mu);
    bp->reserve = pages;
    capacity_apply(bp);
    pthread_mutex_unlock(&bp->mu);
}

/* Shared by bp_insert (copies) and bp_adopt (takes the buffer, hands back the frame's). */
static void insert_image(bufpool *bp, uint32_t pgno, uint32_t frame, uint8_t **data, int adopt)
{
    pthread_mutex_lock(&bp->mu);
    if (!hash_find(bp, pgno, frame)) {
        bp_frame *f = grab_frame(bp);
        if (f) {
            f->page.pgno = pgno;
            f->page.kind = 0;
            f->frame = frame;
            f->pins = 0;
            f->state = F_READY;
            if (adopt) {
                uint8_t *old = f->page.data;
                f->page.data = *data;
                *data = old;
            } else {
                memcpy(f->page.data, *data, bp->page_size);
            }
            hash_add(bp, f);
            policy_admit(bp, f, 0);
        }
    }
    pthread_mutex_unlock(&bp->mu);
}

void bp_insert(bufpool *bp, uint32_t pgno, uint32_t frame, const uint8_t *data)
{
    uint8_t *d = (uint8_t *)data;
    insert_image(bp, pgno, frame, &d, 0);
}

void bp_adopt(bufpool *bp, uint32_t pgno, uint32_t frame, uint8_t **data)
{
    insert_image(bp, pgno, frame, data, 1);
}

/* Retire every dead, unpinned frame not yet retired. Walks down so that slot_remove, which
 * moves the last frame into the freed slot, only ever moves one already visited. */
static void retire_dead(bufpool *bp)
{
    for (size_t i = bp->nframes; i-- > 0;) {
        bp_frame *f = bp->frames[i];
        if (f->state == F_DEAD && f->pins == 0 && f->queue != Q_FREE)
            frame_retire(bp, f);
    }
}

void bp_remap(bufpool *bp, uint32_t (*map)(void *arg, uint32_t pgno, uint32_t frame), void *arg)
{
    pthread_mutex_lock(&bp->mu);
    /* Two passes so a renamed image never collides with one still to be examined. */
    for (size_t i = 0; i < bp->nframes; i++) {
        bp_frame *f = bp->frames[i];
        if (f->state != F_READY)
            continue;
        uint32_t nf = map(arg, f->page.pgno, f->frame);
        hash_remove(bp, f);
        if (nf == UINT32_MAX || f->pins) {
            f->state = F_DEAD; /* pinned ones die when unpinned: they may be read still */
        } else {
            f->frame = nf;
            f->renamed = 1;
        }
    }
    for (size_t i = 0; i < bp->nframes; i++) {
        bp_frame *f = bp->frames[i];
        if (f->state == F_READY && f->renamed) {
            f->renamed = 0;
            if (hash_find(bp, f->page.pgno, f->frame)) {
                f->state = F_DEAD;
                continue;
            }
            hash_add(bp, f);
        }
    }
    retire_dead(bp);
    pthread_mutex_unlock(&bp->mu);
}

void bp_clear(bufpool *bp)
{
    pthread_mutex_lock(&bp->mu);
    for (size_t i = 0; i < bp->nframes; i++) {
        bp_frame *f = bp->frames[i];
        if (f->state == F_READY && !f->pins) {
            hash_remove(bp, f);
            f->state = F_DEAD;
        }
    }
    retire_dead(bp);
    ghosts_reset(&bp->ghosts);
    pthread_mutex_unlock(&bp->mu);
}

void bp_get_stats(bufpool *bp, bp_stats *out)
{
    pthread_mutex_lock(&bp->mu);
    out->hits = bp->hits;
    out->misses = bp->misses;
    out->evictions = bp->evictions;
    out->pages = bp->nframes;
    out->capacity = bp->capacity;
    out->pf_loaded = bp->pf_loaded;
    out->pf_used = bp->pf_used;
    out->pf_wasted = bp->pf_wasted;
    out->pf_refused = bp->pf_refused;
    pthread_mutex_unlock(&bp->mu);
}
