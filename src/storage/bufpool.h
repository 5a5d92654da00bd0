/*
 * bufpool.h — the shared buffer pool: a fixed budget of immutable page images, with a
 * selectable replacement policy (2Q by default).
 *
 * Every image in the pool is immutable: it is the content of page `pgno` as stored either in
 * the database file (frame 0) or in log frame `frame`. Because a page's committed versions
 * live at different places, (pgno, frame) names one version exactly, so readers on different
 * snapshots share the pool without copying and nothing in it is ever dirty: a writer's
 * changes are private copies (pager.c) that enter the pool only after they are committed.
 * Eviction therefore never writes; it only forgets.
 *
 * Replacement policies (bp_policy):
 *   CLOCK  second chance: one reference bit per frame, set on a hit, cleared as the hand
 *          passes. A hit costs one store and touches no list.
 *   LRU    a doubly linked list, moved to the front on every hit; the tail is the victim.
 *   2Q     Johnson & Shasha's 2Q: first references enter a FIFO (A1in, a quarter of the
 *          budget); pages evicted from it leave their page number in a ghost list (A1out, half
 *          the budget, no data); a miss on a ghost enters the main LRU list (Am). A one-time
 *          scan only ever passes through A1in, so it cannot flush the hot set out of Am.
 * 2Q is the default: bench/bench_bufpool measures all three against Belady's optimum, and 2Q
 * misses far less where it matters (B-tree lookups in a pool much smaller than the tree, and a
 * scan beside a hot set) for a few ns more per hit, while a miss costs a 4 KiB read (~1.6 us
 * even from the OS page cache). docs/storage.md, "Buffer pool: which replacement policy, and
 * why", gives the numbers.
 *
 * Whatever the policy: pinned frames are never evicted. When every frame is pinned the pool
 * grows past its budget rather than failing, and shrinks back as those frames are unpinned.
 * A miss is loaded outside the pool lock; other threads asking for the same version wait for
 * that load instead of reading it twice.
 *
 * Prefetching (prefetch.h): bp_prefetch loads an image nobody asked for yet as a cold one
 * (2Q: A1in's head whatever A1out says; CLOCK: reference bit clear; LRU: the head, as it has
 * no colder place that survives until the use), and never holds more than a budget/8 of such
 * unused images, so wrong guesses cannot flush the hot set. The first demand fetch of a
 * prefetched image counts as its admission (2Q then consults A1out as a miss would have).
 * A prefetched image that leaves the pool unused counts as wasted.
 */
#ifndef NQ_STORAGE_BUFPOOL_H
#define NQ_STORAGE_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "pager.h"

typedef struct bufpool bufpool;

/* Reads version (pgno, frame) into buf (page_size bytes) and verifies it; 0 or NQ_E*. */
typedef int (*bp_loader)(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf);

typedef enum bp_policy {
    BP_CLOCK = 0,
    BP_LRU = 1,
    BP_2Q = 2,
} bp_policy;
#define BP_POLICY_COUNT 3
/* Overridable at build time (-DBP_POLICY_DEFAULT=BP_2Q) so the whole test suite can run
 * under each policy. */
#ifndef BP_POLICY_DEFAULT
#define BP_POLICY_DEFAULT BP_2Q
#endif

/* "clock", "lru", "2q"; NULL for a value outside bp_policy. */
const char *bp_policy_name(bp_policy policy);

/* A pool of capacity_pages images (at least 8) with the default policy. *out is owned by the
 * caller and freed with bp_destroy. 0 or NQ_ENOMEM (NQ_EINVAL for an unknown policy). */
int bp_create(uint32_t page_size, size_t capacity_pages, bufpool **out);
int bp_create_policy(uint32_t page_size, size_t capacity_pages, bp_policy policy, bufpool **out);
void bp_destroy(bufpool *bp);

/* Pin the image of (pgno, frame), loading it through `load` on a miss. */
int bp_fetch(bufpool *bp, uint32_t pgno, uint32_t frame, bp_loader load, void *arg, pg **out);
void bp_unpin(bufpool *bp, pg *page);
/* Load (pgno, frame) as a cold, unpinned image unless it is there or being loaded, or the
 * pool already holds budget/8 prefetched images not yet used. 1 = loaded, 0 = not needed or
 * refused, or the loader's / NQ_ENOMEM error. Hits and misses are not counted. */
int bp_prefetch(bufpool *bp, uint32_t pgno, uint32_t frame, bp_loader load, void *arg);
/* 1 if (pgno, frame) is in the pool (or being loaded), else 0; changes nothing. */
int bp_contains(bufpool *bp, uint32_t pgno, uint32_t frame);
/* Put a committed image into the pool (copied). An existing image of the same version stays. */
void bp_insert(bufpool *bp, uint32_t pgno, uint32_t frame, const uint8_t *data);
/* Like bp_insert, but takes the malloc'd page_size buffer *data instead of copying it, and
 * hands back in *data a buffer the caller now owns and frees (the recycled frame's, or its
 * own if the version was already cached). Saves a copy and keeps memory within budget. */
void bp_adopt(bufpool *bp, uint32_t pgno, uint32_t frame, uint8_t **data);
/* Rename versions after a checkpoint: map returns the new frame number, or UINT32_MAX to drop
 * the image. Only unpinned images may be renamed or dropped; pinned ones are dropped lazily. */
void bp_remap(bufpool *bp, uint32_t (*map)(void *arg, uint32_t pgno, uint32_t frame), void *arg);
/* Change the budget (in pages; at least 8). Shrinking frees unpinned frames at once. The
 * pager lends the writer's private pages out of the same budget this way. */
void bp_set_capacity(bufpool *bp, size_t pages);
/* Pages of the budget lent to the prefetch learner's table (prefetch.h): the images may
 * occupy budget - reserve pages (at least 8); changing it frees unpinned frames at once, or
 * gives them back. Independent of bp_set_capacity, which sets the budget. */
void bp_set_reserve(bufpool *bp, size_t pages);
/* Forget everything not pinned. */
void bp_clear(bufpool *bp);

typedef struct bp_stats {
    uint64_t hits, misses, evictions;
    uint64_t pages, capacity;
    /* bp_prefetch: images loaded; of them, later used by a demand fetch, or left the pool
     * unused; prefetches refused because budget/8 unused prefetched images were held */
    uint64_t pf_loaded, pf_used, pf_wasted, pf_refused;
} bp_stats;
void bp_get_stats(bufpool *bp, bp_stats *out);

#endif
