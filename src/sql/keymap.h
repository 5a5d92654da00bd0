/*
 * keymap.h — a hash map from byte strings (encoded keys) to small integers.
 *
 * The executor groups, deduplicates and intersects rows by their key_encode() bytes, which
 * are equal exactly when the values are equal under SQL (1 and 1.0 encode alike), so one map
 * of byte strings serves GROUP BY, DISTINCT, UNION, INTERSECT and EXCEPT. Open addressing with
 * linear probing over a power-of-two table, FNV-1a hashes cached per slot; keys are copied into
 * one growing arena so a map is a handful of allocations however many keys it holds.
 */
#ifndef NQ_SQL_KEYMAP_H
#define NQ_SQL_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct keymap keymap;

keymap *keymap_new(void);
void keymap_free(keymap *m);
/* Find key; if absent and insert, add it with value val. Returns the stored value (>= 0),
 * -1 if absent (insert = 0), or -2 when out of memory. *added (may be NULL) is set to 1 when
 * the key was added now. */
int64_t keymap_get(keymap *m, const uint8_t *k, size_t n, int insert, int64_t val, int *added);
/* Overwrite the value of an existing key (no-op if absent). */
void keymap_set(keymap *m, const uint8_t *k, size_t n, int64_t val);
size_t keymap_count(const keymap *m);
/* The key bytes of the i-th key in insertion order. */
const uint8_t *keymap_key(const keymap *m, size_t i, size_t *n);

#endif
