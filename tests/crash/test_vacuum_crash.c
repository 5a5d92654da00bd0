/*
 * test_vacuum_crash.c — power loss and kill -9 at every mutating call of a workload that runs
 * VACUUM under a long reader (the partial checkpoint: only the versions up to the oldest open
 * snapshot are copied into the database file, the log is kept) and after it (the full one that
 * restarts the log), on the simulated disk of tests/support/faultvfs.
 *
 * Workload (one thread, two connections, automatic checkpoints off): version 0 of NK keys;
 * a read transaction opens on a second connection; versions 1..3 commit; VACUUM; version 4;
 * the reader ends; VACUUM; version 5; VACUUM; version 6; close. Every version is one
 * transaction that rewrites every key, so a database after a crash must hold one version for
 * all keys: the last one whose commit was acknowledged, or the one whose commit was under way
 * — never a mix, never an older one — and pass nq_check. Crash points: every mutating call of
 * the workload (counted by a first run without a crash); at each, a kill -9 (everything issued
 * survives) and NQ_VACUUM_VARIANTS power cuts (unsynced writes dropped, torn, reordered).
 * NQ_CRASH_SCALE scales the power-cut variants (at least 1).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crashkit.h"
#include "faultvfs.h"

#define DBPATH "v.db"
#define NK 48
#define NVERSIONS 7

typedef struct run {
    faultvfs *fv;
    int acked;    /* last version whose commit returned 0 (-1: none) */
    int inflight; /* version whose commit was under way when the process died (-1: none) */
    int vacuums;  /* VACUUMs that completed */
    int64_t row[3][4]; /* their rows: frames_before, frames_after, frames_retained, age */
} run;

static void options(faultvfs *fv, nq_options *o)
{
    nq_options_init(o);
    o->vfs = faultvfs_vfs(fv);
    o->page_size = 1024;
    o->checkpoint_pages = 1000000; /* only VACUUM copies back */
}

static void value_of(int version, int k, char *buf, size_t n)
{
    snprintf(buf, n, "version %d of key %d, padded so that a few keys fill a page: %0*d", version,
             k, 40 + k % 20, k);
}

static int write_version(run *r, nq_db *db, int version)
{
    r->inflight = version;
    int rc = nq_begin(db, NQ_TXN_WRITE);
    nq_tree *t = NULL;
    if (!rc)
        rc = nq_tree_open(db, "kv", NQ_TREE_CREATE, &t);
    for (int k = 0; k < NK && !rc; k++) {
        char key[16], val[160];
        snprintf(key, sizeof key, "k%03d", k);
        value_of(version, k, val, sizeof val);
        rc = nq_put(t, key, strlen(key), val, strlen(val), 0);
    }
    nq_tree_close(t);
    if (!rc)
        rc = nq_commit(db);
    else if (nq_in_txn(db, NULL))
        nq_rollback(db);
    if (!rc) {
        r->acked = version;
        r->inflight = -1;
    }
    return rc;
}

static int vacuum(run *r, nq_db *db)
{
    nq_stmt *st;
    int rc = nq_prepare(db, "VACUUM", 6, &st, NULL);
    if (rc)
        return rc;
    rc = nq_step(st);
    if (rc == NQ_ROW) {
        for (int i = 0; i < 4 && r->vacuums < 3; i++)
            r->row[r->vacuums][i] = nq_column_int64(st, i);
        rc = nq_step(st);
    }
    nq_finalize(st);
    if (rc != NQ_DONE)
        return rc ? rc : NQ_ERROR;
    r->vacuums++;
    return 0;
}

/* The workload; stops at the first failure (the process died). */
static void workload(run *r)
{
    r->acked = r->inflight = -1;
    r->vacuums = 0;
    nq_options o;
    options(r->fv, &o);
    nq_db *db = NULL, *rd = NULL;
    int rc = nq_open(DBPATH, &o, &db);
    int v = 0;
    if (!rc)
        rc = write_version(r, db, v++);
    if (!rc)
        rc = nq_clone(db, &rd);
    if (!rc)
        rc = nq_begin(rd, NQ_TXN_READ);
    while (!rc && v <= 3)
        rc = write_version(r, db, v++);
    if (!rc)
        rc = vacuum(r, db);
    if (!rc)
        rc = write_version(r, db, v++);
    if (!rc)
        rc = nq_rollback(rd);
    if (!rc)
        rc = vacuum(r, db);
    if (!rc)
        rc = write_version(r, db, v++);
    if (!rc)
        rc = vacuum(r, db);
    if (!rc)
        rc = write_version(r, db, v++);
    if (rd)
        nq_close(rd);
    if (db)
        nq_close(db);
}

/* Open the crashed disk: one version for every key, acked or in flight; a clean check. */
static int verify(const run *r, faultvfs *fv, char *why, size_t n)
{
    nq_options o;
    options(fv, &o);
    nq_db *db = NULL;
    int rc = nq_open(DBPATH, &o, &db);
    if (rc) {
        snprintf(why, n, "open: %s", db ? nq_errmsg(db) : nq_strerror(rc));
        nq_close(db);
        return 1;
    }
    int bad = 0;
    char buf[256];
    uint64_t problems = 0;
    if (crash_db_check(db, buf, sizeof buf, &problems) != NQ_OK || problems) {
        snprintf(why, n, "integrity: %s", buf);
        bad = 1;
    }
    nq_tree *t = NULL;
    rc = bad ? 0 : nq_tree_open(db, "kv", 0, &t);
    if (!bad && rc) {
        if (r->acked >= 0) {
            snprintf(why, n, "the tree is gone (version %d was acknowledged)", r->acked);
            bad = 1;
        }
    }
    int seen = -2;
    for (int k = 0; k < NK && t && !bad; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%03d", k);
        void *val;
        size_t vl;
        int version = -1;
        if (nq_get(t, key, strlen(key), &val, &vl) == 0) {
            if (sscanf((const char *)val, "version %d", &version) != 1)
                version = -3;
            char want[160];
            value_of(version, k, want, sizeof want);
            if (vl != strlen(want) || memcmp(val, want, vl))
                version = -3;
            free(val);
        }
        if (seen == -2)
            seen = version;
        if (version != seen || version == -3) {
            snprintf(why, n, "key %d holds version %d, key 0 version %d", k, version, seen);
            bad = 1;
        }
    }
    if (!bad && t && seen != r->acked && seen != r->inflight) {
        snprintf(why, n, "holds version %d; acknowledged %d, in flight %d", seen, r->acked,
                 r->inflight);
        bad = 1;
    }
    nq_tree_close(t);
    /* and it takes a new commit */
    if (!bad) {
        run again = *r;
        if (write_version(&again, db, 100)) {
            snprintf(why, n, "a commit after recovery failed: %s", nq_errmsg(db));
            bad = 1;
        }
    }
    nq_close(db);
    return bad;
}

int main(void)
{
    unsigned variants = (unsigned)crash_scaled(crash_env_u64("NQ_VACUUM_VARIANTS", 3), 1);
    /* counting run */
    run r = {0};
    r.fv = faultvfs_new(1);
    workload(&r);
    faultvfs_counts c;
    faultvfs_get_counts(r.fv, &c);
    uint64_t m = c.mutating;
    /* the first VACUUM copied part of the log (what precedes the reader's snapshot) and kept
     * the log; the second and third restarted it */
    int ok = r.acked == NVERSIONS - 1 && r.vacuums == 3 && r.row[0][0] > 0 &&
             r.row[0][1] == r.row[0][0] && r.row[0][2] > 0 && r.row[0][2] < r.row[0][0] &&
             r.row[1][1] == 0 && r.row[2][1] == 0;
    faultvfs_free(r.fv);
    printf("vacuum_crash: %" PRIu64 " mutating calls; VACUUM under the reader: %" PRId64
           " frames, %" PRId64 " kept for it\n",
           m, r.row[0][0], r.row[0][2]);
    if (!ok) {
        printf("vacuum_crash: the workload itself failed (acked %d, %d vacuums)\n", r.acked,
               r.vacuums);
        return 1;
    }
    uint64_t points = 0, cases = 0, failures = 0;
    for (uint64_t n = 1; n <= m; n++) {
        run cr = {0};
        cr.fv = faultvfs_new(n);
        faultvfs_crash_at(cr.fv, n);
        workload(&cr);
        points++;
        for (unsigned k = 0; k <= variants; k++) {
            faultvfs *cl = faultvfs_clone(cr.fv, n * 131 + k);
            if (!cl) {
                printf("vacuum_crash: out of memory\n");
                return 1;
            }
            faultvfs_crash(cl, n * 7919 + k, k == 0 ? FV_CRASH_PROCESS : FV_CRASH_POWERLOSS, NULL);
            char why[600] = "";
            cases++;
            if (verify(&cr, cl, why, sizeof why)) {
                failures++;
                printf("FAIL crash at call %" PRIu64 " of %" PRIu64 ", %s (acked %d, in flight %d, "
                       "%d vacuums done): %s\n",
                       n, m, k == 0 ? "kill -9" : "power loss", cr.acked, cr.inflight,
                       cr.vacuums, why);
            }
            faultvfs_free(cl);
        }
        faultvfs_free(cr.fv);
    }
    printf("vacuum_crash: %" PRIu64 " crash points, %" PRIu64 " crash states, %" PRIu64
           " failures\n",
           points, cases, failures);
    return failures ? 1 : 0;
}
