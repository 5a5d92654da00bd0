/*
 * test_pager.c — the pager on its own: pages written in a transaction are visible after
 * commit and after reopening, rolled-back ones are not, readers keep their snapshot while a
 * writer commits, large transactions spill to the log and still commit atomically, freed
 * pages are reused, checkpoints fold the log into the file, a damaged page is reported
 * with its file and page number, and the interior pages a transaction keeps pinned never
 * show it a stale version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/endian.h"
#include "base/rand.h"
#include "storage/pager.h"

#define DB "pager_test.db"

static void remove_db(void)
{
    unlink(DB);
    unlink(DB "-wal");
}

static pager *open_db(uint32_t ps, size_t cache)
{
    pager_config cfg = {.page_size = ps, .cache_bytes = cache, .checkpoint_pages = 100000};
    pager *p = NULL;
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_open(nq_vfs_default(), DB, &cfg, &p, &err);
    if (rc)
        fail_msg("open: %s", err.msg);
    return p;
}

static void close_db(pager *p)
{
    nq_err err;
    nq_err_clear(&err);
    int rc = pager_close(p, &err);
    if (rc)
        fail_msg("close: %s", err.msg);
}

/* Fill a page's usable area with a pattern derived from (pgno, version). */
static void fill(pg *g, uint32_t usable, uint32_t version)
{
    g->data[0] = PGTYPE_OVERFLOW;
    for (uint32_t i = 8; i + 4 <= usable; i += 4)
        put_u32(g->data + i, g->pgno * 2654435761u ^ version ^ i);
    put_u32(g->data + 4, version);
}

static uint32_t version_of(pg *g) { return get_u32(g->data + 4); }

static void check_page(pager_txn *t, uint32_t pgno, uint32_t usable, uint32_t version)
{
    pg *g;
    assert_int_equal(pager_get(t, pgno, &g), 0);
    assert_int_equal(version_of(g), version);
    for (uint32_t i = 8; i + 4 <= usable; i += 4)
        if (get_u32(g->data + i) != (pgno * 2654435761u ^ version ^ i))
            fail_msg("page %u: wrong byte at %u", pgno, i);
    pager_unref(t, g);
}

static void commit(pager_txn *t)
{
    nq_err err;
    nq_err_clear(&err);
    if (pager_commit(t, &err))
        fail_msg("commit: %s", err.msg);
}

static pager_txn *begin(pager *p, int write)
{
    pager_txn *t;
    nq_err err;
    nq_err_clear(&err);
    if (pager_begin(p, write, 1000, &t, &err))
        fail_msg("begin: %s", err.msg);
    return t;
}

/* A new database whose page 2 holds version 1 of the fill pattern, committed. */
static pager *fresh_db_one_page(uint32_t page_size)
{
    remove_db();
    pager *p = open_db(page_size, 0);
    pager_txn *t = begin(p, 1);
    pg *g;
    assert_int_equal(pager_alloc(t, &g), 0);
    assert_int_equal(g->pgno, 2);
    fill(g, pager_usable(p), 1);
    pager_unref(t, g);
    commit(t);
    return p;
}

/* Interior B-tree pages are kept pinned by the transaction that read them (the "hot" slots
 * of pager_get). A writer must still see its own changes to such a page, a reader must keep
 * its snapshot while a writer commits new versions of it, two pages that share a slot must
 * not be confused, and every pin must be back in the pool when the transactions end (a
 * checkpoint and a close then work). */
static void set_interior(pg *g, uint32_t version)
{
    g->data[0] = PGTYPE_BTREE_INTERIOR;
    put_u32(g->data + 4, version);
}

static uint32_t get_version(pager_txn *t, uint32_t pgno, pg **keep)
{
    pg *g;
    assert_int_equal(pager_get(t, pgno, &g), 0);
    assert_int_equal(g->data[0], PGTYPE_BTREE_INTERIOR);
    uint32_t v = version_of(g);
    if (keep)
        *keep = g;
    else
        pager_unref(t, g);
    return v;
}

static void test_hot_interior_pages(void **state)
{
    (void)state;
    remove_db();
    pager *p = open_db(1024, 0);
    pager_txn *t = begin(p, 1);
    enum { N = 70 }; /* more pages than hot slots: pages 2 and 34 and 66 share a slot */
    for (int i = 0; i < N; i++) {
        pg *g;
        assert_int_equal(pager_alloc(t, &g), 0);
        set_interior(g, 1);
        pager_unref(t, g);
    }
    commit(t);

    /* a writer: hits on a hot page, then its own change to it */
    t = begin(p, 1);
    pg *a, *b;
    assert_int_equal(get_version(t, 2, &a), 1);
    assert_int_equal(get_version(t, 2, &b), 1);
    assert_ptr_equal(a, b);
    pager_unref(t, b);
    assert_int_equal(pager_write(t, &a), 0);
    set_interior(a, 2);
    pager_unref(t, a);
    assert_int_equal(get_version(t, 2, NULL), 2);
    /* pages sharing a slot, one still referenced while the other is read */
    assert_int_equal(get_version(t, 34, &a), 1);
    assert_int_equal(get_version(t, 66, &b), 1);
    assert_int_equal(get_version(t, 34, NULL), 1);
    pager_unref(t, b);
    assert_int_equal(get_version(t, 66, NULL), 1);
    assert_int_equal(pager_write(t, &a), 0); /* written while the slot may hold it */
    set_interior(a, 2);
    pager_unref(t, a);
    assert_int_equal(get_version(t, 34, NULL), 2);

    /* a reader that began before the commit keeps the old versions it has cached */
    pager_txn *r = begin(p, 0);
    assert_int_equal(get_version(r, 2, NULL), 1);
    assert_int_equal(get_version(r, 34, NULL), 1);
    commit(t);
    assert_int_equal(get_version(r, 2, NULL), 1);
    assert_int_equal(get_version(r, 34, NULL), 1);
    pager_txn *r2 = begin(p, 0);
    assert_int_equal(get_version(r2, 2, NULL), 2);
    assert_int_equal(get_version(r2, 34, NULL), 2);
    assert_int_equal(get_version(r2, 66, NULL), 1);
    pager_rollback(r2);
    pager_rollback(r);

    /* a rolled-back change is not seen by the next transaction, even through its slot */
    t = begin(p, 1);
    assert_int_equal(get_version(t, 2, &a), 2);
    assert_int_equal(pager_write(t, &a), 0);
    set_interior(a, 3);
    pager_unref(t, a);
    pager_rollback(t);
    r = begin(p, 0);
    assert_int_equal(get_version(r, 2, NULL), 2);
    pager_rollback(r);

    /* no pin is left behind: the checkpoint can rename every image, and the file reopens */
    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(pager_checkpoint(p, 1000, &err), 0);
    nq_stats st;
    pager_stats(p, &st);
    assert_true(st.cache_pages <= st.cache_capacity_pages);
    close_db(p);
    p = open_db(1024, 0);
    r = begin(p, 0);
    assert_int_equal(get_version(r, 2, NULL), 2);
    assert_int_equal(get_version(r, 34, NULL), 2);
    pager_rollback(r);
    close_db(p);
}

static void test_commit_reopen(void **state)
{
    (void)state;
    remove_db();
    pager *p = open_db(4096, 0);
    uint32_t us = pager_usable(p);
    pager_txn *t = begin(p, 1);
    uint32_t pg_nos[10];
    for (int i = 0; i < 10; i++) {
        pg *g;
        assert_int_equal(pager_alloc(t, &g), 0);
        pg_nos[i] = g->pgno;
        assert_int_equal(g->pgno, (uint32_t)(i + 2)); /* page 1 is the header */
        fill(g, us, 1);
        pager_unref(t, g);
    }
    assert_int_equal(pager_set_meta(t, 5, 0xfeedULL), 0);
    commit(t);
    close_db(p);

    p = open_db(4096, 0);
    t = begin(p, 0);
    assert_int_equal(pager_page_count(t), 11);
    assert_int_equal(pager_meta(t, 5), 0xfeed);
    for (int i = 0; i < 10; i++)
        check_page(t, pg_nos[i], us, 1);
    pager_rollback(t);
    close_db(p);
}

static void test_rollback_and_snapshot(void **state)
{
    (void)state;
    pager *p = fresh_db_one_page(1024);
    uint32_t us = pager_usable(p);
    pager_txn *t;
    pg *g;

    pager_txn *r = begin(p, 0); /* snapshot with version 1 */

    t = begin(p, 1);
    assert_int_equal(pager_get(t, 2, &g), 0);
    assert_int_equal(pager_write(t, &g), 0);
    fill(g, us, 2);
    pager_unref(t, g);
    pager_rollback(t);
    check_page(r, 2, us, 1);

    t = begin(p, 1);
    assert_int_equal(pager_get(t, 2, &g), 0);
    assert_int_equal(pager_write(t, &g), 0);
    fill(g, us, 3);
    pager_unref(t, g);
    commit(t);

    check_page(r, 2, us, 1); /* the old reader still sees its snapshot */
    pager_txn *r2 = begin(p, 0);
    check_page(r2, 2, us, 3);
    pager_rollback(r2);

    /* a checkpoint must not overwrite what the old reader reads */
    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(pager_checkpoint(p, 10, &err), NQ_EBUSY);
    check_page(r, 2, us, 1);
    pager_rollback(r);
    assert_int_equal(pager_checkpoint(p, 10, &err), 0);
    r = begin(p, 0);
    check_page(r, 2, us, 3);
    pager_rollback(r);
    close_db(p);
    p = open_db(1024, 0);
    r = begin(p, 0);
    check_page(r, 2, us, 3);
    pager_rollback(r);
    close_db(p);
}

static void test_spill_large_txn(void **state)
{
    (void)state;
    remove_db();
    /* 64 KiB of cache, 2000 pages in one transaction: most of them spill to the log */
    pager *p = open_db(1024, 64 * 1024);
    uint32_t us = pager_usable(p);
    pager_txn *t = begin(p, 1);
    const uint32_t N = 2000;
    for (uint32_t i = 0; i < N; i++) {
        pg *g;
        assert_int_equal(pager_alloc(t, &g), 0);
        fill(g, us, 7);
        pager_unref(t, g);
    }
    /* rewrite every third page: spilled pages come back and go out again */
    for (uint32_t pgno = 2; pgno < N + 2; pgno += 3) {
        pg *g;
        assert_int_equal(pager_get(t, pgno, &g), 0);
        assert_int_equal(version_of(g), 7);
        assert_int_equal(pager_write(t, &g), 0);
        fill(g, us, 8);
        pager_unref(t, g);
    }
    commit(t);
    pager_txn *r = begin(p, 0);
    for (uint32_t pgno = 2; pgno < N + 2; pgno++)
        check_page(r, pgno, us, (pgno - 2) % 3 == 0 ? 8 : 7);
    pager_rollback(r);

    /* a spilled transaction that rolls back leaves nothing behind */
    t = begin(p, 1);
    for (uint32_t pgno = 2; pgno < N + 2; pgno++) {
        pg *g;
        assert_int_equal(pager_get(t, pgno, &g), 0);
        assert_int_equal(pager_write(t, &g), 0);
        fill(g, us, 9);
        pager_unref(t, g);
    }
    pager_rollback(t);
    close_db(p);
    p = open_db(1024, 64 * 1024);
    r = begin(p, 0);
    for (uint32_t pgno = 2; pgno < N + 2; pgno++)
        check_page(r, pgno, us, (pgno - 2) % 3 == 0 ? 8 : 7);
    pager_rollback(r);
    close_db(p);
}

static void test_freelist_reuse(void **state)
{
    (void)state;
    remove_db();
    pager *p = open_db(1024, 0);
    uint32_t us = pager_usable(p);
    pager_txn *t = begin(p, 1);
    for (int i = 0; i < 600; i++) { /* more than one trunk's worth of leaves on 1 KiB pages */
        pg *g;
        assert_int_equal(pager_alloc(t, &g), 0);
        fill(g, us, 1);
        pager_unref(t, g);
    }
    commit(t);
    /* free all but the last page: nothing can be cut off the end, all go to the free list */
    t = begin(p, 1);
    for (uint32_t pgno = 2; pgno < 601; pgno++)
        assert_int_equal(pager_free(t, pgno), 0);
    assert_int_equal(pager_freelist_count(t), 599);
    commit(t);
    close_db(p);
    p = open_db(1024, 0);
    t = begin(p, 1);
    assert_int_equal(pager_freelist_count(t), 599);
    assert_int_equal(pager_page_count(t), 601);
    uint8_t seen[602] = {0};
    for (int i = 0; i < 599; i++) {
        pg *g;
        assert_int_equal(pager_alloc(t, &g), 0);
        assert_true(g->pgno >= 2 && g->pgno < 601);
        assert_false(seen[g->pgno]);
        seen[g->pgno] = 1;
        pager_unref(t, g);
    }
    assert_int_equal(pager_freelist_count(t), 0);
    assert_int_equal(pager_page_count(t), 601);
    pager_rollback(t);

    /* free the last page too: now every page at the end is free, they are cut off and the
     * file shrinks */
    t = begin(p, 1);
    assert_int_equal(pager_free(t, 601), 0);
    commit(t);
    t = begin(p, 0);
    assert_int_equal(pager_page_count(t), 1);
    assert_int_equal(pager_freelist_count(t), 0);
    pager_rollback(t);
    close_db(p);
    FILE *f = fopen(DB, "rb");
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), 1024);
    fclose(f);
}

static void test_corrupt_page_detected(void **state)
{
    (void)state;
    pager *p = fresh_db_one_page(4096);
    pager_txn *t;
    pg *g;
    close_db(p); /* checkpointed into the file */

    FILE *f = fopen(DB, "r+b");
    assert_non_null(f);
    fseek(f, 4096 + 100, SEEK_SET); /* page 2, byte 100 */
    int c = fgetc(f);
    fseek(f, 4096 + 100, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);

    p = open_db(4096, 0);
    t = begin(p, 0);
    assert_int_equal(pager_get(t, 2, &g), NQ_ECORRUPT);
    assert_non_null(strstr(pager_txn_err(t)->msg, "page 2"));
    assert_non_null(strstr(pager_txn_err(t)->msg, DB));
    pager_rollback(t);
    close_db(p);
}

static void test_page_seal_verify(void **state)
{
    (void)state;
    uint8_t buf[1024];
    nq_rng r;
    nq_rng_seed(&r, 42);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)nq_rng_next(&r);
    page_seal(buf, sizeof buf, 9, 77);
    assert_int_equal(page_verify(buf, sizeof buf, 9), 0);
    assert_int_equal(page_verify(buf, sizeof buf, 10), NQ_ECORRUPT); /* misdirected */
    for (size_t bit = 0; bit < 8 * sizeof buf; bit += 61) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(page_verify(buf, sizeof buf, 9), NQ_ECORRUPT);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

static void test_bad_page_size_rejected(void **state)
{
    (void)state;
    remove_db();
    pager_config cfg = {.page_size = 3000};
    pager *p;
    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(pager_open(nq_vfs_default(), DB, &cfg, &p, &err), NQ_EINVAL);
    assert_non_null(strstr(err.msg, "power of two"));
}

static void test_not_a_database(void **state)
{
    (void)state;
    remove_db();
    FILE *f = fopen(DB, "wb");
    fputs("this is a text file, not a database\n", f);
    fclose(f);
    pager_config cfg = {0};
    pager *p;
    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(pager_open(nq_vfs_default(), DB, &cfg, &p, &err), NQ_ECANTOPEN);
    assert_non_null(strstr(err.msg, "not a NeuroQuantumDB database"));
    /* and the file is left as it was */
    f = fopen(DB, "rb");
    char line[64];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "this is a text file, not a database\n");
    remove_db();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_reopen),
        cmocka_unit_test(test_rollback_and_snapshot),
        cmocka_unit_test(test_spill_large_txn),
        cmocka_unit_test(test_freelist_reuse),
        cmocka_unit_test(test_corrupt_page_detected),
        cmocka_unit_test(test_page_seal_verify),
        cmocka_unit_test(test_bad_page_size_rejected),
        cmocka_unit_test(test_not_a_database),
        cmocka_unit_test(test_hot_interior_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
