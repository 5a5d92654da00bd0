/*
 * faultvfs.h — an in-memory nq_vfs that simulates a disk with a volatile write cache, for the
 * crash and fault-injection tests.
 *
 * The model
 *   Every file (an "inode") holds two images: the LIVE image, which is what a running process
 *   reads back (every write and truncate applied at once), and the DURABLE image, which is what
 *   survives a power loss. Between them sits the list of PENDING operations (writes with their
 *   offset and bytes, truncates) issued since the last successful sync of that file. sync(f)
 *   moves that file's pending operations into its durable image, in order.
 *
 *   Names live in directories. The live directory changes at once when a file is created
 *   (open with NQ_OPEN_CREATE of a new path), removed or renamed (rename replaces the target
 *   atomically: after a crash either the old names or the new ones); the durable directory
 *   changes only when sync_dir is called on a path in the same directory (the directory is the
 *   part of the path before the last '/', or "." when there is none). Until then the create,
 *   remove or rename is a pending directory operation. As with POSIX, a removed file stays usable through handles
 *   that are still open.
 *
 *   faultvfs_crash() is the power cut. For every file it takes the durable image and lands a
 *   random selection of the pending operations on it: each one whole, dropped, or TORN (only
 *   some of the 512-byte sectors it covers land), and in random order (the volatile cache and
 *   the device may reorder). Pending directory operations each survive or not. The result
 *   becomes both the durable and the live image; every handle opened before the crash is dead
 *   (every call on it returns NQ_EIO; close still frees it), and the test opens the database
 *   again through the same faultvfs. The crash mode says which of these liberties the
 *   simulated disk takes (FV_CRASH_PROCESS takes none: a kill -9, where the kernel keeps
 *   everything the process wrote).
 *
 *   A sync that fails (injected) behaves as Linux does after a writeback error: the data stays
 *   readable but its pages are marked clean, so no later sync will write it; it survives a
 *   crash only by chance. An engine that retries the fsync and believes it is fail-open; one
 *   that stops (fail-stop) is right.
 *
 * Fault injection (all counted from the moment they are armed; "nth" is 1-based)
 *   - crash at the nth mutating call (write, sync, truncate, create, remove, sync_dir, rename):
 *     that call does not happen and fails with NQ_EIO, and from then on every call on the VFS fails
 *     with NQ_EIO as if the process were dead, until faultvfs_crash() is called;
 *   - fail the nth sync (optionally only on files whose path ends with a given suffix), once or
 *     for good, with NQ_EIO;
 *   - ENOSPC: a budget of bytes that writes may still put down, or a capacity for the sum of
 *     all file sizes; the write that crosses it puts down the part that fits and returns
 *     NQ_ENOSPC (what a pwrite loop sees);
 *   - fail the nth write: nothing lands, or a random prefix lands (a short write), and the call
 *     returns NQ_EIO.
 *   Counters of every kind of call let a test first run a workload to count its mutating calls
 *   and then loop over crash points.
 *
 * All randomness comes from seeds the caller gives (nq_rng); the same seeds replay the same
 * disk. The VFS is not thread-safe: the tests that use it run one connection on one thread.
 */
#ifndef NQ_TEST_FAULTVFS_H
#define NQ_TEST_FAULTVFS_H

#include <stddef.h>
#include <stdint.h>

#include "nqdb.h"

#define FV_SECTOR 512

typedef struct faultvfs faultvfs;

/* Crash modes: what the simulated disk may do with operations that were not synced. */
#define FV_CRASH_DROP    0x01 /* each pending operation may be lost */
#define FV_CRASH_TEAR    0x02 /* a write that lands may land only in part, in whole sectors */
#define FV_CRASH_REORDER 0x04 /* operations land in random order rather than issue order */
#define FV_CRASH_DIR     0x08 /* each pending create/remove may be lost */
#define FV_CRASH_PROCESS 0x00 /* kill -9: everything issued survives */
#define FV_CRASH_POWERLOSS (FV_CRASH_DROP | FV_CRASH_TEAR | FV_CRASH_REORDER | FV_CRASH_DIR)

/* Every kind of call, counted since faultvfs_new (or the last faultvfs_reset_counts). */
typedef struct faultvfs_counts {
    uint64_t mutating; /* write + sync + truncate + create + remove + sync_dir + rename */
    uint64_t writes, syncs, truncates, creates, removes, sync_dirs, renames;
    uint64_t opens, closes, reads, sizes, locks;
    uint64_t bytes_written;
    uint64_t rewrites; /* writes overlapping an earlier write of the same file not yet synced:
                        * the case where reordering can land old bytes over new ones */
    uint64_t faults; /* injected failures returned (not counting the calls of a dead process) */
} faultvfs_counts;

/* What a crash did, so the unit tests can see that every liberty is actually taken. */
typedef struct faultvfs_crash_report {
    uint64_t ops_pending;   /* pending file operations at the moment of the crash */
    uint64_t ops_applied;   /* landed whole */
    uint64_t ops_torn;      /* landed in part */
    uint64_t ops_dropped;   /* lost */
    uint64_t ops_reordered; /* landed before an operation issued earlier in the same file */
    uint64_t dir_pending, dir_kept, dir_lost;
} faultvfs_crash_report;

/* A new empty file system. seed drives the random choices of injected faults (short writes);
 * crashes take their own seed. Returns NULL only when out of memory. */
faultvfs *faultvfs_new(uint64_t seed);
/* Frees every file. The nq_vfs of fv must not be in use any more. */
void faultvfs_free(faultvfs *fv);
/* The nq_vfs to put in nq_options.vfs. Owned by fv. */
nq_vfs *faultvfs_vfs(faultvfs *fv);

/* A deep copy of the whole state (files, pending operations, directories, dead flag), without
 * handles and with no fault armed: lets a test take several different crashes of one moment
 * without replaying the workload. NULL when out of memory. */
faultvfs *faultvfs_clone(const faultvfs *fv, uint64_t seed);

/* ---- power loss ---------------------------------------------------------------------------- */
/* Simulate a power cut (see the file comment). Kills every open handle, disarms every fault,
 * and makes the VFS usable again. report may be NULL. */
void faultvfs_crash(faultvfs *fv, uint64_t seed, int mode, faultvfs_crash_report *report);
/* 1 once an armed crash point has been reached (the "process" is dead) until faultvfs_crash. */
int faultvfs_dead(const faultvfs *fv);

/* ---- fault injection ---------------------------------------------------------------------- */
/* Crash at the nth mutating call from now (n >= 1); 0 disarms. */
void faultvfs_crash_at(faultvfs *fv, uint64_t n);
/* Fail the nth sync from now with NQ_EIO; forever = 1 fails that one and every later one.
 * path_suffix (may be NULL) restricts counting and failing to files whose path ends with it,
 * e.g. "-wal". n = 0 disarms. */
void faultvfs_fail_sync(faultvfs *fv, uint64_t n, int forever, const char *path_suffix);
/* Writes may put down this many more bytes; the one that crosses the budget writes what fits
 * and fails with NQ_ENOSPC, as do all after it. UINT64_MAX (the default) = unlimited. */
void faultvfs_set_write_budget(faultvfs *fv, uint64_t bytes);
/* The sum of all live file sizes may not exceed this (UINT64_MAX = unlimited): a write that
 * would grow past it puts down what fits and fails with NQ_ENOSPC; overwrites in place and
 * writes after a truncate freed room succeed again. */
void faultvfs_set_capacity(faultvfs *fv, uint64_t bytes);
/* Fail the nth write from now with NQ_EIO (forever = and every later one). short_write = 1:
 * a random prefix of the data lands first (a short write seen as an error). n = 0 disarms. */
void faultvfs_fail_write(faultvfs *fv, uint64_t n, int forever, int short_write);
/* Disarm every fault (crash point, sync, write and space faults). */
void faultvfs_disarm(faultvfs *fv);

void faultvfs_get_counts(const faultvfs *fv, faultvfs_counts *out);
/* Also clears the call log. */
void faultvfs_reset_counts(faultvfs *fv);

/* The kind of every mutating call so far: (*kinds)[i] is call i + 1 (the number crash_at
 * counts). Lets a test put its crash points where they matter most: a crash at a sync finds
 * everything written since the previous sync still volatile. Owned by fv. */
enum { FV_CALL_WRITE = 1, FV_CALL_SYNC, FV_CALL_TRUNCATE, FV_CALL_CREATE, FV_CALL_REMOVE,
       FV_CALL_SYNC_DIR, FV_CALL_RENAME };
size_t faultvfs_call_log(const faultvfs *fv, const uint8_t **kinds);

/* ---- direct access to the simulated disk (never counted, never faulted) -------------------- */
/* 1 if path exists in the live directory, else 0. */
int faultvfs_exists(const faultvfs *fv, const char *path);
/* A malloc'd copy of the live image (caller frees); NQ_ENOTFOUND if absent. An empty file
 * gives *data = NULL (or a 1-byte buffer) and *len = 0. */
int faultvfs_read_file(const faultvfs *fv, const char *path, uint8_t **data, size_t *len);
/* Replace (or create) a file: live and durable image both set, directory entry durable, no
 * pending operations. */
int faultvfs_write_file(faultvfs *fv, const char *path, const void *data, size_t len);
/* Cut a file to len bytes in both images (a torn tail at rest). */
int faultvfs_truncate_file(faultvfs *fv, const char *path, uint64_t len);
/* Flip one bit (byte offset, bit 0..7) in both images: media corruption at rest. */
int faultvfs_flip_bit(faultvfs *fv, const char *path, uint64_t offset, int bit);
/* Remove a file at once and durably. NQ_ENOTFOUND if absent. */
int faultvfs_remove_file(faultvfs *fv, const char *path);
/* Size of the live image, or a negative code. */
int64_t faultvfs_file_size(const faultvfs *fv, const char *path);
/* Number of files in the live directory; names[i] for i < count (owned by fv, valid until the
 * next call that changes the directory). */
size_t faultvfs_list(const faultvfs *fv, const char **names, size_t max);
/* Pending (unsynced) file operations of path, or of all files when path is NULL. */
size_t faultvfs_pending_ops(const faultvfs *fv, const char *path);

#endif
