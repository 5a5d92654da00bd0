/*
 * wal.h — the write-ahead log file "<db>-wal": header, frames, recovery scan, and the
 * in-memory index from page number to the frames that hold versions of it.
 *
 * Layout (little-endian; docs/file-format.md):
 *   header, 32 bytes: magic "NQWAL\r\n\x1a", u32 version, u32 page size, u32 checkpoint count,
 *                     u32 salt1, u32 salt2, u32 crc32c of the preceding 28 bytes
 *   frame i (i = 1, 2, ...) at 32 + (i-1)*(32 + page_size):
 *     u32 pgno, u32 commit_pages (database size in pages if this frame commits, else 0),
 *     u64 seq (the writing transaction's sequence number), u32 salt1, u32 salt2,
 *     u32 digest (commit frames: CRC-32C over the little-endian CRCs of the transaction's
 *     earlier frames, in log order; 0 otherwise), u32 crc32c over the 28 header bytes before
 *     it and the page's own checksum (the image's last 4 bytes; see frame_crc in wal.c); then the page image (page_size bytes, itself sealed with its
 *     own page checksum).
 *
 * A transaction's frames are contiguous, all carry its seq (also sealed in each image's
 * trailer), and its commit frame is its last and the only one holding page 1 (the header).
 * Recovery walks frames from the start and keeps every transaction whose frames are all
 * valid (salts equal to the header's, CRC correct), all carry one seq higher than the
 * previous transaction's, and end in a commit frame whose digest matches the CRCs of the
 * frames before it. It stops at the first frame that breaks a rule. Why this is enough:
 *   - a torn or lost frame fails its CRC;
 *   - frames left by an older log generation carry other salts (the header gets new salts,
 *     synced, whenever the log restarts after a checkpoint);
 *   - frames left by a rolled-back or crashed transaction carry another seq than the
 *     transaction that overwrites the positions around them;
 *   - a frame rewritten in place (a page spilled, changed again and spilled again by one
 *     transaction) may reach the disk in its older version while the commit frame lands:
 *     the digest then fails, because it was computed over the newer version's CRC.
 * Sequence numbers only grow: on open the next one is above the highest seq of *any* valid
 * frame in the file, not just of the scanned prefix.
 */
#ifndef NQ_STORAGE_WAL_H
#define NQ_STORAGE_WAL_H

#include <pthread.h>
#include <stdint.h>

#include "../base/err.h"
#include "nqdb.h"

#define WAL_HEADER_SIZE 32
#define WAL_FRAME_HEADER 32

typedef struct wal wal;

typedef struct wal_recovery {
    uint32_t mx;           /* last committed frame (0 = none) */
    uint32_t commit_pages; /* database size recorded by that commit */
    uint64_t max_seq;      /* highest seq of any valid frame anywhere in the file */
    uint32_t page_size;    /* from the header, 0 if the header was not valid */
    uint32_t max_pgno;     /* highest page number in a committed frame */
} wal_recovery;

/* Open (creating if allowed) the log and scan it. page_size = expected page size, or 0 to
 * take the header's. A missing or invalid header means an empty log. */
int wal_open(nq_vfs *vfs, const char *path, uint32_t page_size, int read_only, int sync_off,
             wal **out, wal_recovery *rec, nq_err *err);
void wal_close(wal *w);
/* Remove the log file (after a final checkpoint). */
int wal_remove(wal *w);
/* Set the page size once known (a fresh database whose log was empty). Rewrites the header. */
int wal_set_page_size(wal *w, uint32_t page_size, nq_err *err);

/* Latest frame <= mx holding pgno, or 0. Safe to call from any thread. */
uint32_t wal_find(wal *w, uint32_t pgno, uint32_t mx);
/* Read n whole frames (header and image, as stored) from frame fno on into buf, n * (32 +
 * page size) bytes: the log archive copies committed frames as they are (archive.c). */
int wal_read_frames(wal *w, uint32_t fno, uint32_t n, uint8_t *buf, nq_err *err);
uint32_t wal_page_size(const wal *w);
/* Read the page image of frame fno as stored (its disk image: pagexform.h). */
int wal_read_page(wal *w, uint32_t fno, uint8_t *buf, nq_err *err);
/* Write one frame. Only the writer calls this. digest: see above (0 unless commit_pages).
 * *crc receives the frame's CRC (for the commit digest). */
int wal_write_frame(wal *w, uint32_t fno, uint32_t pgno, uint32_t commit_pages, uint64_t seq,
                    uint32_t digest, const uint8_t *page, uint32_t *crc, nq_err *err);
/* The CRC stored at offset 28 of a frame whose 28 header bytes are hdr and whose (sealed)
 * page image is page; exposed for tests and fuzzers that build logs by hand. */
uint32_t wal_frame_crc(uint32_t page_size, const uint8_t *hdr, const uint8_t *page);
/* The digest of a transaction whose earlier frames have these CRCs, in log order. */
uint32_t wal_digest(const uint32_t *crcs, size_t n);
int wal_sync(wal *w, nq_err *err);
/* Record that frame fno holds pgno (frames of one page must be added in ascending order). */
int wal_index_add(wal *w, uint32_t pgno, uint32_t fno);
/* Call fn for each page with a frame <= mx, with its latest such frame, in page order. */
int wal_foreach_latest(wal *w, uint32_t mx, int (*fn)(void *arg, uint32_t pgno, uint32_t fno),
                       void *arg);
/* Restart the log: new salts, header written and synced, index cleared. */
int wal_reset(wal *w, nq_err *err);
uint32_t wal_checkpoints(const wal *w);
/* Bytes written to the log (frames and headers) and log fsyncs with their durations since
 * open (for nq_get_stats; any thread). fsync_hist as nq_stats.wal_fsync_hist. */
typedef struct wal_stats {
    uint64_t bytes_written, fsyncs, fsync_ns;
    uint64_t fsync_hist[NQ_FSYNC_BUCKETS];
} wal_stats;
void wal_get_stats(wal *w, wal_stats *out);
const char *wal_path(const wal *w);

#endif
