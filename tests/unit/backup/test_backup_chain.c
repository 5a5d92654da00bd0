/*
 * test_backup_chain.c — chain directories (nq_backup_chain_take, _list, _prune).
 *
 *   - backups are numbered in order, incremental ones build on the latest backup and
 *     differential ones on the latest full one (parent ids checked), an incremental with no
 *     full backup is refused with NQ_ENOTFOUND and leaves nothing behind;
 *   - a directory whose number is taken (an unfinished backup, or a concurrent taker) is
 *     skipped, never written into; unfinished directories are not listed;
 *   - prune keeps the newest keep_full full backups and what follows the oldest of them, for
 *     every keep_full on seeded random chains, and every chain it keeps still verifies;
 *     keep_full 0 is refused; the leftovers of an interrupted prune (.pruned-*) and unfinished
 *     directories older than the kept chains are removed; other files are left alone;
 *   - two threads taking backups into the same directory at once get distinct numbers and
 *     valid backups.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
#include "nqdb.h"
#include "testfiles.h"

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, (db) ? nq_errmsg(db) : "");                        \
    } while (0)

static char root[256];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/nq-test-chain-%d", (int)getpid());
    tf_rm_rf(root);
    return mkdir(root, 0755);
}

static int teardown(void **state)
{
    (void)state;
    tf_rm_rf(root);
    return 0;
}

static nq_db *open_db(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, name);
    nq_db *db = NULL;
    OK(db, nq_open(p, NULL, &db));
    return db;
}

static void put(nq_db *db, int k)
{
    char sql[128];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT); "
             "INSERT INTO t VALUES (%d, 'value %d')", k, k);
    OK(db, nq_exec(db, sql, NULL, NULL));
}

static void take(nq_db *db, const char *dest, int kind, const char *want_name)
{
    char dir[1024];
    nq_backup_info info;
    OK(db, nq_backup_chain_take(db, dest, kind, dir, sizeof dir, &info));
    const char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    assert_string_equal(slash + 1, want_name);
    assert_int_equal(info.kind, kind & ~NQ_BACKUP_COMPRESS);
}

static int exists(const char *dest, const char *name)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dest, name);
    return stat(p, &st) == 0;
}

static void test_take_and_list(void **state)
{
    (void)state;
    nq_db *db = open_db("a.db");
    char dest[512];
    snprintf(dest, sizeof dest, "%s/chain-a", root);
    put(db, 1);
    char dir[1024];
    assert_int_equal(nq_backup_chain_take(db, dest, NQ_BACKUP_INCREMENTAL, dir, sizeof dir, NULL),
                     NQ_ENOTFOUND);
    assert_non_null(strstr(nq_errmsg(db), "no full backup"));
    nq_backup_entry *es;
    size_t n;
    OK(db, nq_backup_chain_list(dest, &es, &n, NULL, 0));
    assert_int_equal(n, 0); /* the refused one left nothing */
    free(es);
    take(db, dest, NQ_BACKUP_FULL, "0001-full");
    put(db, 2);
    take(db, dest, NQ_BACKUP_INCREMENTAL | NQ_BACKUP_COMPRESS, "0002-incremental");
    put(db, 3);
    take(db, dest, NQ_BACKUP_INCREMENTAL, "0003-incremental");
    /* an unfinished directory (a crash while it was written) takes no part and its number is
     * not reused */
    char p[1024];
    snprintf(p, sizeof p, "%s/0004-full", dest);
    assert_int_equal(mkdir(p, 0755), 0);
    put(db, 4);
    take(db, dest, NQ_BACKUP_DIFFERENTIAL, "0005-differential");
    OK(db, nq_backup_chain_list(dest, &es, &n, NULL, 0));
    assert_int_equal(n, 4);
    assert_string_equal(es[0].name, "0001-full");
    assert_string_equal(es[3].name, "0005-differential");
    assert_int_equal(es[3].num, 5);
    assert_string_equal(es[1].info.parent_id, es[0].info.backup_id);
    assert_string_equal(es[2].info.parent_id, es[1].info.backup_id);
    assert_string_equal(es[3].info.parent_id, es[0].info.backup_id); /* differential: the full */
    assert_int_equal(es[1].info.compressed, 1);
    free(es);
    /* a missing directory lists as empty */
    snprintf(p, sizeof p, "%s/none", root);
    OK(db, nq_backup_chain_list(p, &es, &n, NULL, 0));
    assert_int_equal(n, 0);
    nq_close(db);
}

/* Check that each kept chain verifies: every backup with its ancestors. */
static void verify_all(const char *dest)
{
    nq_backup_entry *es;
    size_t n;
    OK(NULL, nq_backup_chain_list(dest, &es, &n, NULL, 0));
    for (size_t i = 0; i < n; i++) {
        const char *dirs[64];
        char paths[64][600];
        int k = 0;
        const nq_backup_entry *cur = &es[i];
        for (;;) {
            snprintf(paths[k], sizeof paths[k], "%s/%s", dest, cur->name);
            k++;
            if (cur->info.kind == NQ_BACKUP_FULL)
                break;
            size_t j;
            for (j = 0; j < n && strcmp(es[j].info.backup_id, cur->info.parent_id); j++)
                ;
            if (j == n)
                fail_msg("%s: parent %s was pruned", es[i].name, cur->info.parent_id);
            cur = &es[j];
        }
        for (int a = 0; a < k; a++)
            dirs[a] = paths[k - 1 - a];
        char msg[600];
        if (nq_backup_verify(NULL, dirs, k, msg, sizeof msg))
            fail_msg("%s does not verify after prune: %s", es[i].name, msg);
    }
    free(es);
}

static void test_prune_random_chains(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 20261124);
    for (int round = 0; round < 6; round++) {
        char name[32], dest[512];
        snprintf(name, sizeof name, "p%d.db", round);
        snprintf(dest, sizeof dest, "%s/chain-p%d", root, round);
        nq_db *db = open_db(name);
        int kinds[40], nb = 10 + (int)(nq_rng_next(&r) % 20);
        for (int i = 0; i < nb; i++) {
            put(db, round * 1000 + i);
            int k = i == 0 ? NQ_BACKUP_FULL : (int)(nq_rng_next(&r) % 3);
            kinds[i] = k;
            char want[64];
            snprintf(want, sizeof want, "%04d-%s", i + 1,
                     k == 0 ? "full" : k == 1 ? "incremental" : "differential");
            take(db, dest, k, want);
        }
        nq_close(db);
        unsigned keep = 1 + (unsigned)(nq_rng_next(&r) % 4), removed;
        char msg[600];
        OK(NULL, nq_backup_chain_prune(dest, keep, &removed, msg, sizeof msg));
        /* the model: the number of the keep-th newest full backup */
        int oldest = 0, seen = 0;
        for (int i = nb; i-- > 0;)
            if (kinds[i] == NQ_BACKUP_FULL && ++seen <= (int)keep)
                oldest = i;
        if (seen <= (int)keep)
            oldest = 0;
        assert_int_equal(removed, (unsigned)oldest);
        for (int i = 0; i < nb; i++) {
            char nm[64];
            snprintf(nm, sizeof nm, "%04d-%s", i + 1,
                     kinds[i] == 0 ? "full" : kinds[i] == 1 ? "incremental" : "differential");
            assert_int_equal(exists(dest, nm), i >= oldest);
        }
        verify_all(dest);
        /* pruning again changes nothing */
        OK(NULL, nq_backup_chain_prune(dest, keep, &removed, msg, sizeof msg));
        assert_int_equal(removed, 0);
    }
}

static void test_prune_leftovers(void **state)
{
    (void)state;
    nq_db *db = open_db("l.db");
    char dest[512], p[1024];
    snprintf(dest, sizeof dest, "%s/chain-l", root);
    put(db, 1);
    take(db, dest, NQ_BACKUP_FULL, "0001-full");
    snprintf(p, sizeof p, "%s/0002-incremental", dest); /* unfinished, with a stray file */
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/0002-incremental/pages.dat", dest);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("partial", f);
    fclose(f);
    put(db, 2);
    take(db, dest, NQ_BACKUP_FULL, "0003-full");
    snprintf(p, sizeof p, "%s/.pruned-0000-full", dest); /* an interrupted earlier prune */
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/notes.txt", dest);
    f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    char msg[600];
    unsigned removed;
    assert_int_equal(nq_backup_chain_prune(dest, 0, &removed, msg, sizeof msg), NQ_EINVAL);
    assert_int_equal(removed, 0);
    OK(NULL, nq_backup_chain_prune(dest, 1, &removed, msg, sizeof msg));
    assert_int_equal(removed, 1);
    assert_false(exists(dest, "0001-full"));
    assert_false(exists(dest, "0002-incremental"));
    assert_false(exists(dest, ".pruned-0000-full"));
    assert_true(exists(dest, "0003-full"));
    assert_true(exists(dest, "notes.txt"));
    nq_close(db);
}

typedef struct taker {
    nq_db *db;
    const char *dest;
    int n, failed;
} taker;

static void *take_many(void *arg)
{
    taker *t = arg;
    for (int i = 0; i < t->n; i++)
        if (nq_backup_chain_take(t->db, t->dest, NQ_BACKUP_FULL, NULL, 0, NULL))
            t->failed++;
    return NULL;
}

static void test_concurrent_takers(void **state)
{
    (void)state;
    nq_db *db = open_db("c.db");
    put(db, 1);
    nq_db *db2;
    OK(db, nq_clone(db, &db2));
    char dest[512];
    snprintf(dest, sizeof dest, "%s/chain-c", root);
    taker a = {db, dest, 8, 0}, b = {db2, dest, 8, 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, take_many, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, take_many, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.failed + b.failed, 0);
    nq_backup_entry *es;
    size_t n;
    OK(NULL, nq_backup_chain_list(dest, &es, &n, NULL, 0));
    assert_int_equal(n, 16);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(es[i].num, (unsigned)i + 1);
    free(es);
    verify_all(dest);
    nq_close(db2);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_take_and_list),
        cmocka_unit_test(test_prune_random_chains),
        cmocka_unit_test(test_prune_leftovers),
        cmocka_unit_test(test_concurrent_takers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
