/*
 * archive.h — the log archive: segments of committed log frames kept for point-in-time
 * recovery (docs/backup.md, "Point-in-time recovery"; byte layout in docs/file-format.md).
 *
 * When a database is opened with an archive directory, every restart of its write-ahead log
 * (a checkpoint, also the one of the last close) first copies the log's committed frames
 * 1..mx into one segment file of that directory, as they are, and makes it durable (written
 * under a temporary name, synced, renamed, directory synced); only then is the log restarted.
 * A crash in between leaves the log intact (the next open archives the same frames again,
 * under the same name) and a failure leaves the log growing, never a lost frame.
 *
 * A segment, "<first seq>-<last seq>.nqseg" (20 decimal digits each):
 *   header, 80 bytes: magic "NQARC\r\n\x1a", u32 version 1, u32 page size, u64 database id,
 *     u64 prev seq (the commit the first transaction builds on), u64 first seq, u64 last seq,
 *     u64 first commit time, u64 last commit time (µs since 1970, UTC), u32 frames,
 *     u32 transactions, u64 reserved 0;
 *   the frames, exactly as they were in the log (32-byte frame header + page image);
 *   SHA3-256 of the frames followed by the header (32 bytes).
 * Each commit frame is page 1, whose header carries the commit's time (meta slot 3) and the
 * sequence number of the commit it builds on (meta slot 4): that is what lets a restore check
 * that no transaction is missing although sequence numbers have gaps (a rolled-back
 * transaction uses one up).
 */
#ifndef NQ_STORAGE_ARCHIVE_H
#define NQ_STORAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "nqdb.h"
#include "wal.h"

#define ARC_HEADER 80
#define ARC_SHA3 32
#define META_COMMIT_TIME 3 /* header meta slot: commit time, µs since 1970 UTC (0 = unknown) */
#define META_PREV_SEQ 4    /* header meta slot: seq of the commit this one builds on */

typedef struct arc_seg {
    char name[48];         /* "<first>-<last>.nqseg" */
    uint32_t page_size, frames, txns;
    uint64_t database_id, prev_seq, first_seq, last_seq, first_time, last_time;
    uint64_t bytes;        /* file size */
} arc_seg;

/* Copy frames 1..mx of the log (all committed) into a new durable segment of dir. sync_off:
 * no fsyncs (as the database). *out (may be NULL) describes it. Called by the checkpoint
 * before it restarts the log. */
int archive_log(nq_vfs *vfs, const char *dir, wal *w, uint32_t mx, int sync_off, arc_seg *out,
                nq_err *err);

/* The segments of dir, in sequence order, each header read and checked (not the frames):
 * malloc'd array (free()), *n entries. Temporary files of an interrupted archiving are
 * skipped; segments whose ranges overlap are refused naming both. A missing dir is an error. */
int archive_list(nq_vfs *vfs, const char *dir, arc_seg **out, size_t *n, nq_err *err);

/* Reading one segment, every check made: size, SHA3-256, each frame's CRC and page checksum,
 * the transactions' order (seq rising, each building on the one before: meta slot 4), commit
 * digests, and the header's counts, sequence numbers and times.
 *   page:   called for each frame of a transaction with from < seq <= upto (may be NULL);
 *   commit: called after each transaction's commit frame, with its page 1 image (may be NULL).
 * A callback's non-zero return stops the scan and is returned. */
typedef struct arc_scan {
    uint64_t from, upto;
    int (*page)(void *arg, uint32_t pgno, const uint8_t *image);
    int (*commit)(void *arg, const arc_seg *s, uint64_t seq, uint64_t prev, uint64_t time,
                  uint64_t database_id, uint32_t page_count, const uint8_t *page1);
    void *arg;
} arc_scan;
int archive_scan(nq_vfs *vfs, const char *dir, const arc_seg *s, const arc_scan *cb,
                 nq_err *err);

/* Current wall-clock time in µs since 1970 (UTC). */
uint64_t archive_now_us(void);
/* "2026-11-24T12:00:00Z" / "...:00.123456Z" for µs t (out: 32 bytes). */
void archive_fmt_time(uint64_t t, char *out, size_t n);

#endif
