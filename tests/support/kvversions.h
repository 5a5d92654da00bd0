/*
 * kvversions.h — the compact model the backup tests keep of a database: keys 0..nkeys-1 of
 * the tree "data" (named "k00042"), each absent (version 0) or at a version whose value a
 * test's value function derives from (key, version) alone, so a model is one uint32_t per key
 * and any past state can be kept by copying the array. Random transactions change the database
 * and the model together; the check compares a database with a model key by key and runs
 * nq_check. Failures fail the running cmocka test, naming the key.
 */
#ifndef NQ_TEST_KVVERSIONS_H
#define NQ_TEST_KVVERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "base/rand.h"
#include "nqdb.h"

/* The value of key at version ver into buf (at most KVV_MAX_VALUE bytes); its length. */
typedef size_t (*kvv_value_fn)(uint32_t key, uint32_t ver, uint8_t *buf);
#define KVV_MAX_VALUE 16384

/* "k%05u" into k (16 bytes). */
void kvv_key(uint32_t key, char *k);
/* One write transaction of nops random puts (new versions) and deletes on the tree "data"
 * (created if needed); committed and applied to model, or rolled back (model unchanged) when
 * rollback. */
void kvv_apply_random(nq_db *db, nq_rng *r, uint32_t *model, uint32_t nkeys, int nops,
                      int rollback, kvv_value_fn value);
/* db holds exactly model (a missing tree "data" counts as every key absent) and passes
 * nq_check; what names the state in failure messages. */
void kvv_check(nq_db *db, const uint32_t *model, uint32_t nkeys, kvv_value_fn value,
               const char *what);

#endif
