/*
 * test_estimate.c — nq_tree_estimate: exact on a one-page tree, within a small factor of the
 * true count on trees of a few levels, whether filled in order or at random (seeded).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "nqdb.h"
#include "base/rand.h"

static void fill_and_check(int random, int n)
{
    unlink("est.db");
    unlink("est.db-wal");
    nq_db *db;
    assert_int_equal(nq_open("est.db", NULL, &db), NQ_OK);
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, "t", NQ_TREE_CREATE, &t), NQ_OK);
    uint64_t est;
    assert_int_equal(nq_tree_estimate(t, &est), NQ_OK);
    assert_int_equal(est, 0);
    nq_rng r;
    nq_rng_seed(&r, 99);
    assert_int_equal(nq_begin(db, NQ_TXN_WRITE), NQ_OK);
    for (int i = 0; i < n; i++) {
        char k[32], v[40] = "value-value-value-value-value";
        uint64_t key = random ? nq_rng_next(&r) : (uint64_t)i;
        int kl = snprintf(k, sizeof k, "%020llu", (unsigned long long)key);
        assert_int_equal(nq_put(t, k, (size_t)kl, v, 29, 0), NQ_OK);
        if (i == 9) { /* ten small entries fit one page: exact */
            assert_int_equal(nq_tree_estimate(t, &est), NQ_OK);
            assert_int_equal(est, 10);
        }
    }
    assert_int_equal(nq_commit(db), NQ_OK);
    uint64_t exact;
    assert_int_equal(nq_tree_count(t, &exact), NQ_OK);
    assert_int_equal(nq_tree_estimate(t, &est), NQ_OK);
    assert_true(est * 3 >= exact && est <= exact * 3);
    nq_tree_close(t);
    nq_close(db);
}

static void test_sequential(void **state)
{
    (void)state;
    fill_and_check(0, 50000);
}

static void test_random(void **state)
{
    (void)state;
    fill_and_check(1, 50000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sequential), cmocka_unit_test(test_random)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
