/*
 * committed_writes.h — which keys recent commits wrote, so that a transaction can tell
 * whether a key (or a key range) it writes or read was changed by a transaction that
 * committed after its snapshot (first-committer-wins, SERIALIZABLE read-set validation).
 *
 * Contents: a hash table (tree name, key) -> (commit seq, transaction id) of the latest
 * commit that wrote the key, plus the registry of open snapshots (the commit seq each open
 * concurrent transaction reads at). An entry is needed only while some open snapshot is older
 * than its commit; cw_prune drops the others.
 *
 * The floor: commits whose keys are not known one by one (an exclusive transaction that ran
 * SQL or wrote more than the log keeps, and entries dropped by pruning when no snapshot was
 * open) raise `floor` to their seq. A snapshot older than the floor cannot tell what changed
 * after it, so every question from it is answered "changed" (with txid 0): conservative, and
 * rare (a snapshot taken in the short window before such a commit became visible).
 *
 * Thread-safety: one mutex inside; every function may be called from any thread.
 */
#ifndef NQ_TXN_COMMITTED_WRITES_H
#define NQ_TXN_COMMITTED_WRITES_H

#include <stddef.h>
#include <stdint.h>

typedef struct cwlog cwlog;

/* What a check found: the commit that changed the key, and that key (for messages). */
typedef struct cw_hit {
    uint64_t seq, txid; /* txid 0: "unknown" (the floor) */
    uint8_t key[64];    /* the first bytes of the key */
    size_t klen;        /* its full length */
} cw_hit;

cwlog *cw_create(void);
void cw_free(cwlog *cw);

/* Open snapshots: add when a concurrent transaction takes a snapshot, remove (the same seq)
 * when it drops it. cw_active is the number registered. */
int cw_snapshot_add(cwlog *cw, uint64_t seq);
void cw_snapshot_remove(cwlog *cw, uint64_t seq);
uint64_t cw_active(cwlog *cw);

/* Record that the commit seq (transaction txid) wrote key of tree. NQ_ENOMEM: the floor is
 * raised instead (still correct). */
void cw_record(cwlog *cw, uint64_t seq, uint64_t txid, const char *tree, const void *key,
               size_t klen);
/* A commit whose keys are not recorded. */
void cw_record_unknown(cwlog *cw, uint64_t seq);

/* 1 (hit filled) if a commit later than snap wrote key of tree, else 0. */
int cw_changed(cwlog *cw, uint64_t snap, const char *tree, const void *key, size_t klen,
               cw_hit *hit);
/* The same for any key k of tree with lo <= k <= hi (lo NULL: no lower bound; hi NULL: no
 * upper bound). Walks the table: for commit-time validation only. */
int cw_changed_range(cwlog *cw, uint64_t snap, const char *tree, const void *lo, size_t lol,
                     const void *hi, size_t hil, cw_hit *hit);

/* Drop entries no open snapshot needs (called after commits; cheap when there is nothing
 * to do). */
void cw_prune(cwlog *cw);
/* Entries held now (tests, statistics). */
uint64_t cw_entries(cwlog *cw);

#endif
