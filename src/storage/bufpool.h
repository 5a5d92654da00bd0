/*
 * bufpool.h — the shared buffer pool: a fixed budget of page images with clock replacement.
 *
 * Every image in the pool is immutable: it is the content of page `pgno` as stored either in
 * the database file (frame 0) or in log frame `frame`. Because a page's committed versions
 * live at different places, (pgno, frame) names one version exactly, so readers on different
 * snapshots share the pool without copying and nothing in it is ever dirty: a writer's
 * changes are private copies (pager.c) that enter the pool only after they are committed.
 * Eviction therefore never writes; it only forgets.
 *
 * Replacement is CLOCK (second chance): one reference bit per frame, set on every hit and
 * cleared as the hand passes. It costs O(1) per hit with no list manipulation under the lock,
 * which is what matters with several threads hitting the pool; LRU-2/ARC resist scans better
 * but need ordered lists touched on every hit. docs/storage.md records the measurement.
 *
 * When every frame is pinned the pool grows past its budget rather than failing, and shrinks
 * back as those frames are unpinned. A miss is loaded outside the pool lock; other threads
 * asking for the same version wait for that load instead of reading it twice.
 */
#ifndef NQ_STORAGE_BUFPOOL_H
#define NQ_STORAGE_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "pager.h"

typedef struct bufpool bufpool;

/* Reads version (pgno, frame) into buf (page_size bytes) and verifies it; 0 or NQ_E*. */
typedef int (*bp_loader)(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf);

int bp_create(uint32_t page_size, size_t capacity_pages, bufpool **out);
void bp_destroy(bufpool *bp);

/* Pin the image of (pgno, frame), loading it through `load` on a miss. */
int bp_fetch(bufpool *bp, uint32_t pgno, uint32_t frame, bp_loader load, void *arg, pg **out);
void bp_unpin(bufpool *bp, pg *page);
/* Put a committed image into the pool (copied). An existing image of the same version stays. */
void bp_insert(bufpool *bp, uint32_t pgno, uint32_t frame, const uint8_t *data);
/* Rename versions after a checkpoint: map returns the new frame number, or UINT32_MAX to drop
 * the image. Only unpinned images may be renamed or dropped; pinned ones are dropped lazily. */
void bp_remap(bufpool *bp, uint32_t (*map)(void *arg, uint32_t pgno, uint32_t frame), void *arg);
/* Forget everything not pinned. */
void bp_clear(bufpool *bp);

typedef struct bp_stats {
    uint64_t hits, misses, evictions;
    uint64_t pages, capacity;
} bp_stats;
void bp_get_stats(bufpool *bp, bp_stats *out);

#endif
