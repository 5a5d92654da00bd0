/*
 * btree.h — B+ trees of byte-string keys and values on top of the pager.
 *
 * A tree is identified by its root page number, which never changes during the tree's life
 * (the catalog stores it). Keys are byte strings of 0..btree_max_key() bytes ordered by memcmp
 * (a proper prefix sorts first); each key carries one value of 0..BTREE_MAX_VALUE bytes, large
 * values spilling into overflow pages. Page layout, split/merge policy and limits are in
 * docs/btree.md.
 *
 * Errors: every function returns 0 or a negative NQ_E* code and leaves a message in
 * pager_txn_err(t). NQ_ECORRUPT messages name the page ("page 17: cell 3 out of bounds").
 * Functions that modify need a write transaction (NQ_EREADONLY otherwise).
 *
 * Cursors: a cursor lives inside one transaction and must be closed before that transaction
 * commits or rolls back (in a read transaction it pins the current leaf page). In a write
 * transaction a cursor survives modifications made through any other path (btree_put,
 * btree_del, another cursor): every tree keeps a structure-change counter in its root page,
 * and a cursor that finds the counter or its leaf changed re-seeks to the key it was on. If
 * that key was deleted meanwhile, the cursor is left "between" entries: btree_cursor_valid()
 * is 0, key/value return NULL, and next()/prev() move to the entry after/before the deleted
 * key. btree_cursor_del leaves the cursor in the same "between" state.
 * btree_drop and btree_clear invalidate cursors for good (using one afterwards is misuse).
 */
#ifndef NQ_STORAGE_BTREE_H
#define NQ_STORAGE_BTREE_H

#include <stddef.h>
#include <stdint.h>

#include "pager.h"

#define BTREE_NOOVERWRITE 0x01             /* btree_put: NQ_EEXIST if the key exists */
#define BTREE_MAX_VALUE (1u << 30)         /* 1 GiB: largest value */

typedef struct btcursor btcursor;

/* Longest key a tree in this file accepts: min(NQ_MAX_KEY, what keeps 4 cells per page). */
size_t btree_max_key(const pager *p);

/* Create an empty tree; *root receives its (permanent) root page number. */
int btree_create(pager_txn *t, uint32_t *root);
/* Free every page of the tree, overflow pages and the root included. */
int btree_drop(pager_txn *t, uint32_t root);
/* Remove every entry; the root page stays (as an empty leaf). */
int btree_clear(pager_txn *t, uint32_t root);

/* Insert or replace. flags: 0 or BTREE_NOOVERWRITE. Key longer than btree_max_key or value
 * longer than BTREE_MAX_VALUE: NQ_ETOOBIG. */
int btree_put(pager_txn *t, uint32_t root, const void *k, size_t kl, const void *v, size_t vl,
              int flags);
/* *v receives a malloc'd copy of the value (the caller frees it; a non-NULL pointer even for
 * an empty value), *vl its length. NQ_ENOTFOUND if the key is absent. v may be NULL to test
 * for presence only. */
int btree_get(pager_txn *t, uint32_t root, const void *k, size_t kl, void **v, size_t *vl);
int btree_del(pager_txn *t, uint32_t root, const void *k, size_t kl); /* NQ_ENOTFOUND */
/* Number of entries (walks the leaves). */
int btree_count(pager_txn *t, uint32_t root, uint64_t *n);
/* Estimated entry count from one root-to-leaf path (btree_estimate.c): exact for one page. */
int btree_estimate(pager_txn *t, uint32_t root, uint64_t *n);

/* ---- cursors ------------------------------------------------------------------------------ */
int btree_cursor_open(pager_txn *t, uint32_t root, btcursor **out);
void btree_cursor_close(btcursor *c);
/* Position on the first / last entry; NQ_ENOTFOUND on an empty tree. */
int btree_cursor_first(btcursor *c);
int btree_cursor_last(btcursor *c);
/* Step; NQ_ENOTFOUND past either end (the cursor is then not valid). */
int btree_cursor_next(btcursor *c);
int btree_cursor_prev(btcursor *c);
/* how: NQ_SEEK_GE, NQ_SEEK_LE or NQ_SEEK_EQ (include/nqdb.h). NQ_ENOTFOUND if no such entry
 * (the cursor is then not valid). */
int btree_cursor_seek(btcursor *c, const void *k, size_t kl, int how);
/* 1 if positioned on an entry. */
int btree_cursor_valid(const btcursor *c);
/* The current key / value, or NULL (with *len = 0) if the cursor is not on an entry or the
 * value cannot be read (message in pager_txn_err). The pointers stay valid until the cursor
 * moves, is closed, or (value) the next call of btree_cursor_value. */
const void *btree_cursor_key(btcursor *c, size_t *kl);
const void *btree_cursor_value(btcursor *c, size_t *vl);
/* Delete the current entry; afterwards next() yields the entry that followed it and prev()
 * the one that preceded it. */
int btree_cursor_del(btcursor *c);

/* ---- the page codec mark (btree_codec.c) --------------------------------------------------- */
/* Called for each page of a tree (after its mark was changed): page number, the page image
 * (page_size bytes; the trailer is not yet filled) and the page size. */
typedef void (*btree_page_fn)(void *arg, uint32_t pgno, const uint8_t *data, uint32_t page_size);
enum { BTREE_CODEC_VISIT = 0, BTREE_CODEC_ON = 1, BTREE_CODEC_OFF = 2 };
/* Set (ON) or clear (OFF) the page-codec mark on every page of the tree, overflow pages
 * included, in write transaction t — or only visit them (VISIT, any transaction); fn (may be
 * NULL) sees every page. */
int btree_codec_mark(pager_txn *t, uint32_t root, int mode, btree_page_fn fn, void *arg);

/* ---- integrity ---------------------------------------------------------------------------- */
/* Walk the whole tree and verify page types, cell bounds and non-overlap, free-space
 * accounting, key order within pages and against the parent's separators, uniform leaf depth
 * and overflow chain lengths. Each page visited (tree and overflow pages) gets its bit set in
 * seen (bit p = seen[p >> 3] & (1 << (p & 7)); seen holds at least npages / 8 + 1 bytes);
 * a page found already set, or outside 2..npages, is a problem. Each problem is reported as
 * "tree R: page P: ..." through report (may be NULL) and counted in *problems (may be NULL;
 * incremented, not reset). Returns 0 if this tree is sound, NQ_ECORRUPT if problems were
 * found, or another code if the check could not run (out of memory). */
int btree_check(pager_txn *t, uint32_t root, uint8_t *seen, uint32_t npages,
                void (*report)(void *, const char *), void *arg, uint64_t *problems);

/* Validate one B-tree page (leaf or interior) of `usable` bytes without trusting any field.
 * Returns 0 if sound, NQ_ECORRUPT with a reason in why (may be NULL) otherwise. Suitable for
 * fuzzing with arbitrary bytes; usable must be at least 1012 (page size 1024 less trailer). */
int btree_page_validate(const uint8_t *data, uint32_t usable, char *why, size_t whylen);

#endif
