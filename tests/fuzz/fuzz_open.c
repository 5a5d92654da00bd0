/*
 * fuzz_open.c — arbitrary bytes as a database file and its log: opening (header parse, log
 * recovery, the checkpoint that follows), the integrity check and, optionally, a write must
 * return cleanly, never crash, hang or leak. This is what `nqdb check` does with a damaged or
 * hostile file, and what an embedder's nq_open does after a bad day of its storage.
 *
 * Input: [u8 flags][u8 page-size selector][u32 db length][db bytes][log bytes...]
 *   flags & 1   no log file (otherwise "f.db-wal" holds the rest of the input, maybe empty)
 *   flags & 2   repair the database file's header and page checksums (fuzz_repair_db)
 *   flags & 4   repair the log's checksums and seal its page images (fuzz_repair_wal)
 *   flags & 8   after the check, write: create a tree, put, delete, commit, check again
 *   flags & 16  open read-only
 * The files live in the in-memory VFS of the tests (tests/support/faultvfs.c), no fault armed.
 *
 * Checks: every call returns 0 or an NQ_E* code; a failed open leaves a message; nq_check
 * reports problems exactly when it returns NQ_ECORRUPT; a database that checked clean and
 * accepted a write still checks clean afterwards (a write must not turn a sound file corrupt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

#define DB_NAME "f.db"
#define LOG_NAME "f.db-wal"

typedef struct reports {
    unsigned long n;
} reports;

static void on_problem(void *arg, const char *problem)
{
    reports *r = arg;
    FUZZ_CHECK(problem != NULL && problem[0] != 0);
    FUZZ_CHECK(strlen(problem) < 100000);
    r->n++;
}

static int check(nq_db *db)
{
    reports r = {0};
    uint64_t problems = 12345;
    int rc = nq_check(db, on_problem, &r, &problems);
    FUZZ_CHECK_RC(rc);
    if (rc == 0)
        FUZZ_CHECK(problems == 0 && r.n == 0);
    if (rc == NQ_ECORRUPT)
        FUZZ_CHECK(problems > 0 && r.n > 0);
    return rc;
}

/* A small write workload; returns 0 if every step succeeded. */
static int write_some(nq_db *db)
{
    nq_tree *t = NULL;
    int rc = nq_tree_open(db, "fuzz", NQ_TREE_CREATE, &t);
    FUZZ_CHECK_RC(rc);
    if (rc)
        return rc;
    char key[16], val[600];
    memset(val, 'v', sizeof val);
    rc = nq_begin(db, NQ_TXN_WRITE);
    FUZZ_CHECK_RC(rc);
    for (int i = 0; i < 40 && rc == 0; i++) {
        size_t kl = (size_t)snprintf(key, sizeof key, "k%05d", i * 7919 % 1000);
        rc = nq_put(t, key, kl, val, (size_t)(i * 37 % (int)sizeof val), 0);
        FUZZ_CHECK_RC(rc);
    }
    if (rc == 0) {
        rc = nq_del(t, "k00000", 6);
        FUZZ_CHECK_RC(rc);
        if (rc == NQ_ENOTFOUND)
            rc = 0;
    }
    if (rc == 0) {
        rc = nq_commit(db);
        FUZZ_CHECK_RC(rc);
    } else if (nq_in_txn(db, NULL)) {
        FUZZ_CHECK_RC(nq_rollback(db));
    }
    nq_tree_close(t);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = fuzz_in_make(data, size);
    uint8_t flags = fuzz_u8(&in);
    uint32_t ps = fuzz_page_size(fuzz_u8(&in));
    uint32_t dblen = fuzz_u32(&in);
    size_t dn, wn;
    const uint8_t *dbp = fuzz_bytes(&in, dblen, &dn);
    const uint8_t *walp = fuzz_rest(&in, &wn);

    uint8_t *dbf = malloc(dn ? dn : 1), *walf = malloc(wn ? wn : 1);
    FUZZ_CHECK(dbf && walf);
    if (dn)
        memcpy(dbf, dbp, dn);
    if (wn)
        memcpy(walf, walp, wn);
    if (flags & 2)
        fuzz_repair_db(dbf, dn, ps);
    if (flags & 4)
        fuzz_repair_wal(walf, wn, ps, 1);

    fuzz_fs *fs = fuzz_fs_new();
    fuzz_fs_put(fs, DB_NAME, dbf, dn);
    if (!(flags & 1))
        fuzz_fs_put(fs, LOG_NAME, walf, wn);
    free(dbf);
    free(walf);

    nq_options o;
    nq_options_init(&o);
    o.vfs = fuzz_fs_vfs(fs);
    o.sync = NQ_SYNC_OFF;
    o.cache_bytes = 256 * 1024;
    o.busy_timeout_ms = 10; /* one connection: waiting would only hide a lock bug as a hang */
    o.no_create = 1;
    o.read_only = (flags & 16) != 0;

    nq_db *db = NULL;
    int rc = nq_open(fuzz_fs_path(fs, DB_NAME), &o, &db);
    FUZZ_CHECK_RC(rc);
    if (rc != 0) {
        if (db) {
            FUZZ_CHECK(nq_errmsg(db) != NULL && nq_errmsg(db)[0] != 0);
            FUZZ_CHECK_RC(nq_close(db));
        }
    } else {
        FUZZ_CHECK(db != NULL);
        nq_stats st;
        FUZZ_CHECK_RC(nq_get_stats(db, &st));
        int crc = check(db);
        if ((flags & 8) && !(flags & 16)) {
            int wrc = write_some(db);
            if (crc == 0 && wrc == 0)
                FUZZ_CHECK(check(db) == 0);
        }
        FUZZ_CHECK_RC(nq_close(db));
    }
    fuzz_fs_free(fs);
    return 0;
}
