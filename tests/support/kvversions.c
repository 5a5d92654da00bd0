/*
 * kvversions.c — the backup tests' versioned key model (see kvversions.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kvversions.h"

#define KVV_OK(db, call)                                                                         \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, nq_errmsg(db));                                    \
    } while (0)

void kvv_key(uint32_t key, char *k) { snprintf(k, 16, "k%05u", key); }

void kvv_apply_random(nq_db *db, nq_rng *r, uint32_t *model, uint32_t nkeys, int nops,
                      int rollback, kvv_value_fn value)
{
    static uint8_t buf[KVV_MAX_VALUE];
    uint32_t *m2 = malloc(nkeys * sizeof *m2);
    if (!m2)
        fail_msg("out of memory");
    memcpy(m2, model, nkeys * sizeof *m2);
    nq_tree *t;
    KVV_OK(db, nq_tree_open(db, "data", NQ_TREE_CREATE, &t));
    KVV_OK(db, nq_begin(db, NQ_TXN_WRITE));
    for (int i = 0; i < nops; i++) {
        uint32_t key = (uint32_t)nq_rng_below(r, nkeys);
        char k[16];
        kvv_key(key, k);
        if (m2[key] && nq_rng_below(r, 3) == 0) {
            KVV_OK(db, nq_del(t, k, strlen(k)));
            m2[key] = 0;
        } else {
            m2[key] = m2[key] + 1 + (uint32_t)nq_rng_below(r, 1000);
            size_t n = value(key, m2[key], buf);
            KVV_OK(db, nq_put(t, k, strlen(k), buf, n, 0));
        }
    }
    if (rollback) {
        KVV_OK(db, nq_rollback(db));
    } else {
        KVV_OK(db, nq_commit(db));
        memcpy(model, m2, nkeys * sizeof *m2);
    }
    free(m2);
    nq_tree_close(t);
}

void kvv_check(nq_db *db, const uint32_t *model, uint32_t nkeys, kvv_value_fn value,
               const char *what)
{
    static uint8_t buf[KVV_MAX_VALUE];
    nq_tree *t;
    int rc = nq_tree_open(db, "data", 0, &t);
    if (rc == NQ_ENOTFOUND) {
        for (uint32_t key = 0; key < nkeys; key++)
            if (model[key])
                fail_msg("%s: the tree is missing, key %u should be there", what, key);
    } else {
        KVV_OK(db, rc);
        for (uint32_t key = 0; key < nkeys; key++) {
            char k[16];
            kvv_key(key, k);
            void *v;
            size_t vn;
            rc = nq_get(t, k, strlen(k), &v, &vn);
            if (!model[key]) {
                if (rc != NQ_ENOTFOUND)
                    fail_msg("%s: key %u should be absent (rc %d)", what, key, rc);
                continue;
            }
            if (rc)
                fail_msg("%s: key %u: %s", what, key, nq_errmsg(db));
            size_t n = value(key, model[key], buf);
            if (vn != n || memcmp(v, buf, n))
                fail_msg("%s: key %u: wrong value", what, key);
            free(v);
        }
        nq_tree_close(t);
    }
    uint64_t problems = 0;
    KVV_OK(db, nq_check(db, NULL, NULL, &problems));
    if (problems)
        fail_msg("%s: nq_check found %llu problem(s)", what, (unsigned long long)problems);
}
