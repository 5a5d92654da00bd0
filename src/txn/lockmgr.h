/*
 * lockmgr.h — the lock manager of one engine: row and table locks held by transactions until
 * they end, lock waits with a timeout, and deadlock detection on a wait-for graph.
 *
 * Objects are byte strings chosen by the caller (the API layer composes "r" ‖ tree ‖ 0 ‖ key
 * for a row, "t" ‖ name for a table-level lock, "d" for the database); two requests lock the
 * same object when their bytes are equal. Modes are the NQ_LOCK_* values of include/nqdb.h:
 *   row modes      NQ_LOCK_ROW_SHARE_KEY (compatible with itself), NQ_LOCK_ROW_UPDATE_KEY
 *                  (conflicts with both row modes);
 *   table modes    PostgreSQL's eight, with PostgreSQL's conflict table (ACCESS SHARE conflicts
 *                  only with ACCESS EXCLUSIVE, ..., ACCESS EXCLUSIVE conflicts with all).
 * An owner (one per transaction) that already holds a mode at least as strong gets the lock at
 * once; asking for a stronger mode upgrades (waits for the other holders). Locks are released
 * all together when the owner ends, or down to a mark (ROLLBACK TO SAVEPOINT).
 *
 * Waiting. A request that conflicts with a holder (or, so that a stream of compatible requests
 * cannot starve it, with an earlier waiter) sleeps on a condition variable. When it has waited
 * deadlock_timeout_ms it runs the deadlock check once (as PostgreSQL does): a depth-first
 * search of the wait-for graph (waiter -> each holder it conflicts with, and each earlier
 * conflicting waiter) from itself. A cycle through the requester makes it the victim: its
 * request is withdrawn and it gets NQ_EDEADLOCK with a message that names every transaction
 * of the cycle, the lock it waits for and its holder:
 *   deadlock detected: transaction 12 waits for ROW UPDATE lock on row 3 of "accounts" held by
 *   transaction 13; transaction 13 waits for ROW UPDATE lock on row 1 of "accounts" held by
 *   transaction 12
 * (a cycle of more than three lists its members first: "deadlock detected among 8
 * transactions (transaction 4, ...): ...", so a message cut at NQ_ERRMSG_MAX loses only detail)
 * A wait longer than lock_timeout_ms (0 = no limit) fails with NQ_ELOCKTIMEOUT ("canceling
 * statement due to lock timeout: ... held by transaction 13"); NQ_LOCK_NOWAIT fails at once;
 * an interrupt flag that becomes non-zero ends the wait with NQ_EINTERRUPT.
 *
 * Thread-safety: one mutex per lock manager (a hash table of objects); an owner belongs to one
 * thread, except lm_waiting which any thread may call.
 */
#ifndef NQ_TXN_LOCKMGR_H
#define NQ_TXN_LOCKMGR_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct lockmgr lockmgr;
typedef struct lm_owner lm_owner;

typedef struct lm_stats {
    uint64_t waits;      /* requests that had to wait */
    uint64_t timeouts;   /* of them, ended by lock_timeout or NOWAIT */
    uint64_t deadlocks;  /* victims */
    uint64_t wait_ns;    /* total time spent waiting */
    uint64_t held;       /* locks held now */
} lm_stats;

lockmgr *lm_create(void);
/* Every owner must have ended. */
void lm_destroy(lockmgr *lm);

/* A transaction's lock owner; txid names it in messages. NULL when out of memory. */
lm_owner *lm_owner_begin(lockmgr *lm, uint64_t txid);
/* Release every lock of the owner, wake the waiters it blocked, free it. */
void lm_owner_end(lm_owner *o);

/* Lock obj (len bytes) in mode (NQ_LOCK_*, NQ_LOCK_NOWAIT may be or'ed in). what describes the
 * object for messages ("row 3 of \"accounts\"", "table \"accounts\""; copied). Returns 0,
 * NQ_EDEADLOCK, NQ_ELOCKTIMEOUT, NQ_EINTERRUPT, NQ_EINVAL (unknown mode) or NQ_ENOMEM, with
 * the message in e. interrupt may be NULL. */
int lm_lock(lm_owner *o, const void *obj, size_t len, int mode, const char *what,
            unsigned lock_timeout_ms, unsigned deadlock_timeout_ms, const int *interrupt,
            nq_err *e);

/* Savepoints: a mark, and releasing every lock (or upgrade) taken after it. */
uint64_t lm_mark(const lm_owner *o);
void lm_release_to(lm_owner *o, uint64_t mark);

/* 1 while the owner is blocked in lm_lock (any thread may ask). */
int lm_waiting(const lm_owner *o);

void lm_get_stats(lockmgr *lm, lm_stats *out);

#endif
