/*
 * bufpool.c — CLOCK buffer pool of immutable page versions (see bufpool.h for the design).
 *
 * Layout: an array of frame pointers swept by the clock hand, and a chained hash table keyed
 * by (pgno, frame). One mutex guards both; page bytes are read without it, which is safe
 * because an image never changes while it is pinned (and is only recycled when unpinned).
 */
#include "bufpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { F_LOADING = 1, F_READY = 2, F_DEAD = 3 };

typedef struct bp_frame {
    pg page; /* must be first: a pg* handed out is a bp_frame* */
    uint32_t frame;
    uint32_t pins;
    uint8_t state;
    uint8_t ref;
    int load_rc;
    uint32_t slot; /* index in the clock array */
    struct bp_frame *hnext;
} bp_frame;

struct bufpool {
    pthread_mutex_t mu;
    pthread_cond_t loaded;
    uint32_t page_size;
    size_t capacity;
    bp_frame **frames; /* clock array; grows past capacity only while everything is pinned */
    size_t nframes, cap_frames;
    size_t hand;
    bp_frame **hash;
    size_t nbuckets;
    uint64_t hits, misses, evictions;
};

static inline size_t hash_key(const bufpool *bp, uint32_t pgno, uint32_t frame)
{
    uint64_t k = ((uint64_t)pgno << 32) | frame;
    k *= 0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 32) & (bp->nbuckets - 1);
}

int bp_create(uint32_t page_size, size_t capacity_pages, bufpool **out)
{
    *out = NULL;
    if (capacity_pages < 8)
        capacity_pages = 8;
    bufpool *bp = calloc(1, sizeof *bp);
    if (!bp)
        return NQ_ENOMEM;
    bp->page_size = page_size;
    bp->capacity = capacity_pages;
    bp->nbuckets = 16;
    while (bp->nbuckets < capacity_pages * 2)
        bp->nbuckets <<= 1;
    bp->hash = calloc(bp->nbuckets, sizeof *bp->hash);
    bp->cap_frames = capacity_pages;
    bp->frames = calloc(bp->cap_frames, sizeof *bp->frames);
    if (!bp->hash || !bp->frames) {
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

/* Remove frame at clock slot i from the array entirely (used when shrinking back to budget). */
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

/* A frame to (re)use, unlinked from the hash; NULL only on allocation failure. */
static bp_frame *grab_frame(bufpool *bp)
{
    if (bp->nframes < bp->capacity) {
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
    /* Sweep at most two full turns: the first clears reference bits, the second finds one. */
    for (size_t n = 0; n < 2 * bp->nframes + 1; n++) {
        bp_frame *f = bp->frames[bp->hand];
        bp->hand = (bp->hand + 1) % bp->nframes;
        if (f->pins || f->state == F_LOADING)
            continue;
        if (f->ref && f->state == F_READY) {
            f->ref = 0;
            continue;
        }
        if (f->state != F_DEAD)
            hash_remove(bp, f);
        if (f->state == F_READY)
            bp->evictions++;
        f->state = 0;
        return f;
    }
    /* Everything is pinned: grow past the budget; bp_unpin shrinks back. */
    size_t saved = bp->capacity;
    bp->capacity = bp->nframes + 1;
    bp_frame *f = grab_frame(bp);
    bp->capacity = saved;
    return f;
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
            f->ref = 1;
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
    f->ref = 1;
    f->state = F_LOADING;
    hash_add(bp, f);
    pthread_mutex_unlock(&bp->mu);

    int rc = load(arg, pgno, frame, f->page.data);

    pthread_mutex_lock(&bp->mu);
    if (rc) {
        hash_remove(bp, f);
        f->state = F_DEAD;
        f->pins = 0;
        f->ref = 0;
    } else {
        f->state = F_READY;
    }
    pthread_cond_broadcast(&bp->loaded);
    pthread_mutex_unlock(&bp->mu);
    if (rc)
        return rc;
    *out = &f->page;
    return 0;
}

void bp_unpin(bufpool *bp, pg *page)
{
    bp_frame *f = (bp_frame *)page;
    pthread_mutex_lock(&bp->mu);
    if (f->pins)
        f->pins--;
    if (f->pins == 0 && (bp->nframes > bp->capacity || f->state == F_DEAD)) {
        if (bp->nframes > bp->capacity) {
            if (f->state != F_DEAD)
                hash_remove(bp, f);
            slot_remove(bp, f->slot);
            frame_free(f);
        }
    }
    pthread_mutex_unlock(&bp->mu);
}

void bp_insert(bufpool *bp, uint32_t pgno, uint32_t frame, const uint8_t *data)
{
    pthread_mutex_lock(&bp->mu);
    if (!hash_find(bp, pgno, frame)) {
        bp_frame *f = grab_frame(bp);
        if (f) {
            f->page.pgno = pgno;
            f->frame = frame;
            f->pins = 0;
            f->ref = 0; /* a fresh write earns no second chance until it is read */
            f->state = F_READY;
            memcpy(f->page.data, data, bp->page_size);
            hash_add(bp, f);
        }
    }
    pthread_mutex_unlock(&bp->mu);
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
            f->ref = 0;
        } else {
            f->frame = nf;
            f->load_rc = 1; /* mark: re-add below */
        }
    }
    for (size_t i = 0; i < bp->nframes; i++) {
        bp_frame *f = bp->frames[i];
        if (f->state == F_READY && f->load_rc == 1) {
            f->load_rc = 0;
            if (hash_find(bp, f->page.pgno, f->frame)) {
                f->state = F_DEAD;
                continue;
            }
            hash_add(bp, f);
        }
    }
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
    pthread_mutex_unlock(&bp->mu);
}
