/*
 * writeset.h — the private writes of one concurrent transaction: per tree, an ordered map
 * key -> value | tombstone (a skip list), with savepoint marks and memory accounting.
 *
 * A concurrent transaction (src/api/txn_api.c) never writes into the B-tree before it
 * commits: nq_put/nq_del go here, reads merge this map over the transaction's snapshot, and
 * the commit applies the map to the tree in key order.
 *
 * Nodes are never freed before the write set is: a key whose write is undone (rollback to a
 * mark) stays in the list as WS_ABSENT, which iteration skips. So a node pointer held by an
 * iterator (a merge cursor) stays usable across any later write or rollback.
 *
 * Marks: once ws_mark has been called, every change records its previous state in an undo
 * log; ws_rollback_to(mark) restores the state as of the mark (in reverse order). Before the
 * first mark nothing is recorded (a transaction without savepoints pays nothing).
 *
 * Keys are ordered by memcmp (a proper prefix first), as in the B-tree. Not thread-safe: a
 * write set belongs to one transaction, hence one thread.
 */
#ifndef NQ_TXN_WRITESET_H
#define NQ_TXN_WRITESET_H

#include <stddef.h>
#include <stdint.h>

enum { WS_ABSENT = 0, WS_VALUE = 1, WS_TOMB = 2 };
/* seek modes (GE/LE as NQ_SEEK_GE/NQ_SEEK_LE; GT/LT exclude the key itself) */
enum { WS_GE = 0, WS_LE = 1, WS_GT = 3, WS_LT = 4 };

typedef struct writeset writeset;
typedef struct ws_tree ws_tree;
typedef struct ws_node ws_node;

writeset *ws_create(void);
void ws_free(writeset *ws);

/* The map of one tree (by name); create = 1 makes it if missing (NULL when out of memory,
 * or when create = 0 and the tree has no writes). */
ws_tree *ws_tree_get(writeset *ws, const char *name, int create);
const char *ws_tree_name(const ws_tree *t);
/* Every tree with a map, in creation order: first with NULL, then the previous one. */
ws_tree *ws_tree_next(writeset *ws, ws_tree *prev);

/* Write a value (copied) or a tombstone. 0 or NQ_ENOMEM (the set is unchanged then). */
int ws_put(writeset *ws, ws_tree *t, const void *k, size_t kl, const void *v, size_t vl);
int ws_del(writeset *ws, ws_tree *t, const void *k, size_t kl);
/* WS_ABSENT (no write of this key), WS_VALUE (*v, *vl set; valid until the key is written
 * again or rolled back) or WS_TOMB. t may be NULL (absent). */
int ws_find(const ws_tree *t, const void *k, size_t kl, const void **v, size_t *vl);

uint64_t ws_mark(writeset *ws);
/* Undo every change made after mark (a value returned by ws_mark). */
void ws_rollback_to(writeset *ws, uint64_t mark);

/* Entries present (values and tombstones) in all trees / in one tree. */
uint64_t ws_count(const writeset *ws);
uint64_t ws_tree_count(const ws_tree *t);
/* Bytes allocated (nodes, keys, values, undo log). */
size_t ws_bytes(const writeset *ws);

/* Iteration over present entries (values and tombstones), in key order. NULL at either end. */
ws_node *ws_first(const ws_tree *t);
ws_node *ws_last(const ws_tree *t);
ws_node *ws_seek(const ws_tree *t, const void *k, size_t kl, int how);
ws_node *ws_next(const ws_node *n);
ws_node *ws_prev(const ws_node *n);
/* A node's key, state (WS_VALUE or WS_TOMB; WS_ABSENT once its write was rolled back) and
 * value (NULL for a tombstone). */
const void *ws_node_key(const ws_node *n, size_t *kl);
int ws_node_state(const ws_node *n);
const void *ws_node_value(const ws_node *n, size_t *vl);

/* memcmp order of byte strings, a proper prefix first (the B-tree's order). */
int ws_keycmp(const void *a, size_t al, const void *b, size_t bl);

#endif
