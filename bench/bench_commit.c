/*
 * bench_commit.c — durable commits from several threads at once: what group commit buys.
 *
 * Each of T threads (T = 1, 2, 4, 8) has its own connection and commits single-row insert
 * transactions, each durable before it returns, for a fixed wall-clock window. Printed per T:
 * commits per second of both engines, their ratio, and for nqdb the number of log syncs, so
 * commits per sync shows how many commits each fdatasync carried.
 *
 * The anchor, in the same run and on the same file system: SQLite 3.40 in WAL mode with
 * synchronous=FULL, one connection per thread, busy_timeout so writers queue rather than fail
 * (SQLite has one writer at a time too and syncs the log at every commit: no group commit).
 * Rows are 8-byte big-endian keys (thread id in the high bits) with a 100-byte value, so the
 * engines do the same work per commit.
 *
 * Usage: bench_commit [--seconds S] [--dir PATH]   (default 2 s per cell, a temp directory)
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "nqdb.h"

#define VALUE_BYTES 100

typedef struct job {
    int engine; /* 0 nqdb, 1 sqlite */
    int id;
    double stop_at;
    nq_db *db;
    const char *path;
    uint64_t commits;
    int failed;
    char err[200];
} job;

static void make_value(uint8_t *v, uint64_t k)
{
    for (int i = 0; i < VALUE_BYTES; i++)
        v[i] = (uint8_t)(bu_mix64(k + (uint64_t)i) >> 56);
}

static void *nq_worker(void *arg)
{
    job *j = arg;
    nq_tree *t;
    if (nq_tree_open(j->db, "t", NQ_TREE_CREATE, &t)) {
        snprintf(j->err, sizeof j->err, "%s", nq_errmsg(j->db));
        j->failed = 1;
        return NULL;
    }
    uint8_t key[8], val[VALUE_BYTES];
    for (uint64_t i = 0; bu_now() < j->stop_at; i++) {
        uint64_t k = ((uint64_t)j->id << 40) | i;
        bu_put_be64(key, k);
        make_value(val, k);
        if (nq_put(t, key, 8, val, VALUE_BYTES, 0)) { /* autocommit: one durable txn */
            snprintf(j->err, sizeof j->err, "%s", nq_errmsg(j->db));
            j->failed = 1;
            break;
        }
        j->commits++;
    }
    nq_tree_close(t);
    return NULL;
}

static void *sq_worker(void *arg)
{
    job *j = arg;
    sqlite3 *db;
    if (sqlite3_open(j->path, &db) != SQLITE_OK) {
        snprintf(j->err, sizeof j->err, "%s", sqlite3_errmsg(db));
        j->failed = 1;
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000);
    sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO t(id, v) VALUES(?1, ?2)", -1, &st, NULL) != SQLITE_OK) {
        snprintf(j->err, sizeof j->err, "%s", sqlite3_errmsg(db));
        j->failed = 1;
        sqlite3_close(db);
        return NULL;
    }
    uint8_t val[VALUE_BYTES];
    for (uint64_t i = 0; bu_now() < j->stop_at; i++) {
        int64_t k = (int64_t)(((uint64_t)j->id << 40) | i);
        make_value(val, (uint64_t)k);
        sqlite3_bind_int64(st, 1, k);
        sqlite3_bind_blob(st, 2, val, VALUE_BYTES, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            snprintf(j->err, sizeof j->err, "%s", sqlite3_errmsg(db));
            j->failed = 1;
            break;
        }
        j->commits++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

/* Run T threads of one engine for `seconds`; returns commits/s (or -1) and nqdb's syncs. */
static double run_cell(int engine, int threads, double seconds, const char *dir, uint64_t *syncs)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s-%d.db", dir, engine ? "sqlite" : "nqdb", threads);
    nq_db *db = NULL;
    if (engine == 0) {
        nq_options o;
        nq_options_init(&o);
        o.busy_timeout_ms = 60000;
        if (nq_open(path, &o, &db)) {
            fprintf(stderr, "bench_commit: %s\n", nq_errmsg(db));
            nq_close(db);
            return -1;
        }
    } else {
        sqlite3 *s;
        sqlite3_open(path, &s);
        sqlite3_exec(s, "PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)",
                     NULL, NULL, NULL);
        sqlite3_close(s);
    }
    job jobs[16];
    pthread_t th[16];
    double start = bu_now();
    for (int i = 0; i < threads; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].engine = engine;
        jobs[i].id = i + 1;
        jobs[i].stop_at = start + seconds;
        jobs[i].path = path;
        if (engine == 0 && nq_clone(db, &jobs[i].db)) {
            fprintf(stderr, "bench_commit: clone failed\n");
            return -1;
        }
        pthread_create(&th[i], NULL, engine ? sq_worker : nq_worker, &jobs[i]);
    }
    uint64_t total = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += jobs[i].commits;
        if (jobs[i].failed) {
            fprintf(stderr, "bench_commit: thread %d: %s\n", i, jobs[i].err);
            failed = 1;
        }
        if (engine == 0)
            nq_close(jobs[i].db);
    }
    double elapsed = bu_now() - start;
    if (engine == 0) {
        nq_stats st;
        nq_get_stats(db, &st);
        *syncs = st.syncs;
        nq_close(db);
    }
    return failed ? -1 : (double)total / elapsed;
}

int main(int argc, char **argv)
{
    double seconds = 2.0;
    const char *dir_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir_arg = argv[++i];
        else {
            fprintf(stderr, "usage: bench_commit [--seconds S] [--dir PATH]\n");
            return 2;
        }
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/nqbench-commit-XXXXXX", dir_arg ? dir_arg : ".");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    char cpu[128], fstype[64], fssrc[128], fsopts[256];
    int is_ram = 0;
    bu_cpu_model(cpu, sizeof cpu);
    bu_fs_describe(dir, fstype, sizeof fstype, fssrc, sizeof fssrc, fsopts, sizeof fsopts, &is_ram);
    printf("bench_commit: durable single-row commits from T threads, %.1f s per cell\n", seconds);
    printf("machine: %s, %ld CPUs; files on %s (%s)%s; load %.2f\n", cpu, bu_nproc(), fstype,
           fssrc, is_ram ? " — IN MEMORY: fsync is free, these numbers mean nothing" : "",
           bu_loadavg());
    printf("anchor: SQLite %s, WAL, synchronous=FULL; nqdb NQ_SYNC_FULL (group commit)\n",
           sqlite3_libversion());
    printf("ratio = nqdb / sqlite commits per second: above 1 means nqdb is faster\n\n");
    printf("threads   nqdb commits/s   sqlite commits/s   ratio   nqdb commits per sync\n");
    int rc = 0;
    const int ts[] = {1, 2, 4, 8};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        uint64_t syncs = 0, dummy = 0;
        double nq = run_cell(0, ts[i], seconds, dir, &syncs);
        double sq = run_cell(1, ts[i], seconds, dir, &dummy);
        if (nq < 0 || sq < 0) {
            rc = 1;
            break;
        }
        double commits = nq * seconds;
        printf("%7d   %14.0f   %16.0f   %5.2fx   %21.2f\n", ts[i], nq, sq, nq / sq,
               syncs ? commits / (double)syncs : 0.0);
        fflush(stdout);
    }
    bu_rm_rf(dir);
    return rc;
}
