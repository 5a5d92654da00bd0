/*
 * bench_txn.c — concurrent read-write transactions: bank transfers from 1..32 connections,
 * NeuroQuantumDB at each isolation level against SQLite in WAL mode, in the same run.
 *
 * The workload (pgbench's TPC-B-like transaction cut down to the bank transfer):
 *   accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)   N rows, balance 1000 each
 *   history(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER)
 * and per transaction, on a seeded random pair of distinct accounts a < b and a random amount
 * moved in a random direction:
 *   BEGIN [ISOLATION LEVEL x]      (SQLite: BEGIN IMMEDIATE)
 *   UPDATE accounts SET balance = balance + ?1 WHERE id = ?2    (a first, then b: a careful
 *   UPDATE accounts SET balance = balance + ?1 WHERE id = ?2     application's lock order, so
 *   INSERT INTO history(src, dst, amount) VALUES(?1, ?2, ?3)     lock waits never cycle)
 *   COMMIT
 * All statements are prepared once per connection and bound per transaction, on both engines.
 * A transaction that fails with a retryable error is rolled back and run again with the same
 * accounts and amount until it commits; each failed attempt counts as an abort:
 *   ours:   NQ_ESERIALIZE (SQLSTATE 40001), NQ_EDEADLOCK (40P01), NQ_EBUSY (the writer role was
 *           not free within busy_timeout_ms, exclusive mode only);
 *   SQLite: SQLITE_BUSY / SQLITE_LOCKED (busy_timeout expired, or a WAL snapshot conflict).
 * Any other error stops the benchmark (exit status 1).
 *
 * Each point is C connections (C = 1, 2, 4, 8, 32), each a thread of this process with its
 * own connection (nq_clone of one nq_open; its own sqlite3 handle opened with
 * SQLITE_OPEN_NOMUTEX), running transfers back to back for a fixed wall-clock window (2 s by
 * default) on a fresh database. Printed per point: committed transactions per second, abort
 * rate (aborted attempts / all attempts), p50, p99 and maximum latency of a transfer from its
 * first BEGIN to its successful COMMIT (retries included: what the client waits; the maximum
 * shows a connection starved while others commit, which percentiles over transfers hide, as
 * SQLite's busy handler sleeps while the lock holder commits again), the ratio of our
 * committed tps to SQLite's, and for ours how its commits ran (concurrent transactions, or the
 * exclusive writer that SQL BEGIN took before the MVCC layer) and commits per log sync (group
 * commit). Two account tables: 10 000 rows (little contention) and a hot one of 100 rows (two
 * transfers often share an account: lock waits and, at REPEATABLE READ and SERIALIZABLE,
 * first-committer-wins aborts).
 *
 * Durability: the headline table commits durably on both sides (NQ_SYNC_FULL: the commit
 * returns after the log's fdatasync, shared by the commits that arrive together; SQLite
 * synchronous=FULL: one fsync of the WAL per commit); the second table turns syncing off on
 * both (NQ_SYNC_OFF, synchronous=OFF). Same page size (4096), cache (16 MiB; SQLite's is per
 * connection), automatic checkpoint every 1000 log pages. SQLite has one writer at a time
 * (BEGIN IMMEDIATE takes it; busy_timeout makes the others wait in SQLite's busy handler).
 *
 * Correctness before speed: after every point both engines are checked — the sum of the
 * balances must equal N * 1000 (money is neither made nor lost), accounts must still hold N
 * rows, and history must hold exactly one row per committed transfer (no lost or doubled
 * commit). A violation is printed as "INVARIANT VIOLATED" and the program exits 1.
 *
 * Usage: bench_txn [--seconds S] [--dir PATH] [--seed N] [--accounts N] [--hot N]
 *                  [--conns 1,2,4,8,32] [--sync full|off|both] [--levels rc,rr,ser]
 *                  [--show-aborts N] [--quick]
 * --quick: 0.5 s per point, connections 1, 4 and 32. --show-aborts N: print the first N abort
 * messages of each connection to stderr (why transactions fail). Nothing here asserts on a
 * time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "nqdb.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

#define PAGE_SIZE 4096
#define CACHE_MIB 16
#define CHECKPOINT_PAGES 1000
#define START_BALANCE 1000
#define MAX_AMOUNT 100
#define MAX_CONNS 64
#define SQLITE_BUSY_MS 5000 /* SQLite's busy_timeout: writers queue in its busy handler */
#define NQ_BUSY_MS 60000    /* ours: the exclusive writer role (SQL BEGIN before MVCC) */

enum { E_SQLITE, E_RC, E_RR, E_SER, E_COUNT };
static const char *const e_label[E_COUNT] = {"SQLite WAL", "ours READ COMMITTED",
                                             "ours REPEATABLE READ", "ours SERIALIZABLE"};
static const char *const e_begin[E_COUNT] = {
    "BEGIN IMMEDIATE", "BEGIN ISOLATION LEVEL READ COMMITTED",
    "BEGIN ISOLATION LEVEL REPEATABLE READ", "BEGIN ISOLATION LEVEL SERIALIZABLE"};

static const char *const SQL_SCHEMA[] = {
    "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)",
    "CREATE TABLE history(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER)"};
static const char *const SQL_LOAD = "INSERT INTO accounts(id, balance) VALUES(?1, ?2)";
static const char *const SQL_UPDATE = "UPDATE accounts SET balance = balance + ?1 WHERE id = ?2";
static const char *const SQL_HISTORY = "INSERT INTO history(src, dst, amount) VALUES(?1, ?2, ?3)";
static const char *const SQL_CHECK = "SELECT sum(balance), count(*) FROM accounts";
static const char *const SQL_CHECK_HISTORY = "SELECT count(*) FROM history";

typedef struct params {
    double seconds;
    uint64_t seed;
    int accounts, hot;
    int conns[16], nconns;
    int sync_full, sync_off;
    int show_aborts;
    int engines[E_COUNT];
    const char *dir;
} params;

/* The start line: every connection is open and prepared before the clock starts. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready, go;
} gate;

static void gate_arrive(gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->ready++;
    pthread_cond_broadcast(&g->cv);
    while (!g->go)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

/* Wait until n threads arrived (none when n is 0), then let them all go. */
static void gate_open(gate *g, int n)
{
    pthread_mutex_lock(&g->mu);
    while (g->ready < n)
        pthread_cond_wait(&g->cv, &g->mu);
    g->go = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* One connection's thread. */
typedef struct worker {
    int engine, id, accounts, sync_full;
    int show_aborts;            /* print this many abort messages (--show-aborts) */
    uint64_t seed;
    const char *path;
    nq_db *nq;                  /* ours: a clone, opened by the caller */
    gate *ready;                /* everyone connected: the clock starts */
    atomic_int *stop;
    uint64_t commits, aborts;
    float *lat_us;              /* latency of each committed transfer */
    size_t nlat, caplat;
    int failed;
    char err[400];
} worker;

/* One point's result. */
typedef struct cell {
    double tps, abort_rate, p50_ms, p99_ms, max_ms;
    uint64_t commits, aborts;
    uint64_t concurrent, syncs, txn_commits; /* ours: from nq_stats, the run only */
    int ok;
} cell;

static int lat_push(worker *w, double us)
{
    if (w->nlat == w->caplat) {
        size_t cap = w->caplat ? w->caplat * 2 : 4096;
        float *p = realloc(w->lat_us, cap * sizeof *p);
        if (!p)
            return -1;
        w->lat_us = p;
        w->caplat = cap;
    }
    w->lat_us[w->nlat++] = (float)us;
    return 0;
}

/* The next transfer of a worker: accounts lo < hi (1-based), signed amount moved lo -> hi. */
static void next_transfer(bu_rng *r, int accounts, int64_t *lo, int64_t *hi, int64_t *amount)
{
    int64_t a = (int64_t)bu_rng_below(r, (uint64_t)accounts) + 1;
    int64_t b = (int64_t)bu_rng_below(r, (uint64_t)accounts - 1) + 1;
    if (b >= a)
        b++;
    *lo = a < b ? a : b;
    *hi = a < b ? b : a;
    *amount = (int64_t)bu_rng_below(r, MAX_AMOUNT) + 1;
    if (bu_rng_next(r) & 1)
        *amount = -*amount;
}

/* ---- ours ------------------------------------------------------------------------------------ */
/* Run a statement to its end and reset it: 0, or the negative code. */
static int nq_run(nq_stmt *st)
{
    int rc;
    while ((rc = nq_step(st)) == NQ_ROW)
        ;
    nq_reset(st);
    return rc == NQ_DONE ? 0 : rc;
}

static int nq_retryable(int rc)
{
    return rc == NQ_ESERIALIZE || rc == NQ_EDEADLOCK || rc == NQ_EBUSY;
}

static void *nq_worker(void *arg)
{
    worker *w = arg;
    nq_stmt *st[5] = {0};
    const char *sql[5] = {e_begin[w->engine], SQL_UPDATE, SQL_HISTORY, "COMMIT", "ROLLBACK"};
    for (int i = 0; i < 5; i++) {
        int rc = nq_prepare(w->nq, sql[i], (size_t)-1, &st[i], NULL);
        if (rc || !st[i]) {
            snprintf(w->err, sizeof w->err, "prepare %s: %s", sql[i], nq_errmsg(w->nq));
            w->failed = 1;
        }
    }
    gate_arrive(w->ready);
    bu_rng r;
    bu_rng_seed(&r, w->seed);
    while (!w->failed && !atomic_load_explicit(w->stop, memory_order_relaxed)) {
        int64_t lo, hi, amount;
        next_transfer(&r, w->accounts, &lo, &hi, &amount);
        double t0 = bu_now();
        for (;;) {
            int rc = nq_run(st[0]);
            if (!rc) {
                nq_bind_int64(st[1], 1, -amount);
                nq_bind_int64(st[1], 2, lo);
                rc = nq_run(st[1]);
                if (!rc && nq_changes(w->nq) != 1)
                    rc = NQ_ERROR;
            }
            if (!rc) {
                nq_bind_int64(st[1], 1, amount);
                nq_bind_int64(st[1], 2, hi);
                rc = nq_run(st[1]);
                if (!rc && nq_changes(w->nq) != 1)
                    rc = NQ_ERROR;
            }
            if (!rc) {
                nq_bind_int64(st[2], 1, lo);
                nq_bind_int64(st[2], 2, hi);
                nq_bind_int64(st[2], 3, amount);
                rc = nq_run(st[2]);
            }
            if (!rc)
                rc = nq_run(st[3]);
            if (!rc) {
                w->commits++;
                break;
            }
            /* After 40001/40P01 the transaction is already rolled back (ROLLBACK then answers
             * "no transaction", ignored); after any other error it is still open. */
            char msg[300];
            snprintf(msg, sizeof msg, "%s", nq_errmsg(w->nq));
            nq_run(st[4]);
            if (!nq_retryable(rc)) {
                snprintf(w->err, sizeof w->err, "%s (%s, SQLSTATE %s)", msg, nq_strerror(rc),
                         nq_sqlstate(rc));
                w->failed = 1;
                break;
            }
            if (w->aborts < (uint64_t)w->show_aborts)
                fprintf(stderr, "bench_txn: %s, connection %d: abort %s: %s\n", e_label[w->engine],
                        w->id, nq_sqlstate(rc), msg);
            w->aborts++;
        }
        if (!w->failed && lat_push(w, (bu_now() - t0) * 1e6)) {
            snprintf(w->err, sizeof w->err, "out of memory");
            w->failed = 1;
        }
    }
    for (int i = 0; i < 5; i++)
        nq_finalize(st[i]);
    return NULL;
}

static int nq_open_db(const char *path, int sync_full, nq_db **out, char *err, size_t errsz)
{
    nq_options o;
    nq_options_init(&o);
    o.page_size = PAGE_SIZE;
    o.cache_bytes = (size_t)CACHE_MIB << 20;
    o.checkpoint_pages = CHECKPOINT_PAGES;
    o.sync = sync_full ? NQ_SYNC_FULL : NQ_SYNC_OFF;
    o.busy_timeout_ms = NQ_BUSY_MS;
    int rc = nq_open(path, &o, out);
    if (rc) {
        snprintf(err, errsz, "open %.300s: %.200s", path, *out ? nq_errmsg(*out) : nq_strerror(rc));
        if (*out)
            nq_close(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Two integers of a one-row query. */
static int nq_query2(nq_db *db, const char *sql, int64_t *a, int64_t *b)
{
    nq_stmt *st = NULL;
    int rc = nq_prepare(db, sql, (size_t)-1, &st, NULL);
    if (!rc && (rc = nq_step(st)) == NQ_ROW) {
        *a = nq_column_int64(st, 0);
        if (b)
            *b = nq_column_int64(st, 1);
        rc = 0;
    } else if (!rc) {
        rc = NQ_ERROR;
    }
    nq_finalize(st);
    return rc;
}

static int nq_load(nq_db *db, int accounts, char *err, size_t errsz)
{
    for (size_t i = 0; i < sizeof SQL_SCHEMA / sizeof SQL_SCHEMA[0]; i++)
        if (nq_exec(db, SQL_SCHEMA[i], NULL, NULL))
            goto fail;
    if (nq_exec(db, "BEGIN", NULL, NULL))
        goto fail;
    nq_stmt *st = NULL;
    if (nq_prepare(db, SQL_LOAD, (size_t)-1, &st, NULL))
        goto fail;
    for (int i = 1; i <= accounts; i++) {
        nq_bind_int64(st, 1, i);
        nq_bind_int64(st, 2, START_BALANCE);
        if (nq_run(st)) {
            nq_finalize(st);
            goto fail;
        }
    }
    nq_finalize(st);
    if (nq_exec(db, "COMMIT", NULL, NULL))
        goto fail;
    return 0;
fail:
    snprintf(err, errsz, "load: %s", nq_errmsg(db));
    return -1;
}

/* ---- SQLite ---------------------------------------------------------------------------------- */
static int sq_run(sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : rc;
}

static int sq_retryable(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

static int sq_open_db(const char *path, int sync_full, int create, sqlite3 **out, char *err,
                      size_t errsz)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, out, flags, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "sqlite open %s: %s", path, sqlite3_errmsg(*out));
        sqlite3_close(*out);
        *out = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*out, SQLITE_BUSY_MS);
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA page_size=%d; PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             "PRAGMA cache_size=-%d; PRAGMA wal_autocheckpoint=%d",
             PAGE_SIZE, sync_full ? "FULL" : "OFF", CACHE_MIB * 1024, CHECKPOINT_PAGES);
    if (sqlite3_exec(*out, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "sqlite pragmas: %s", sqlite3_errmsg(*out));
        sqlite3_close(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static void *sq_worker(void *arg)
{
    worker *w = arg;
    sqlite3 *db = NULL;
    sqlite3_stmt *st[5] = {0};
    const char *sql[5] = {e_begin[E_SQLITE], SQL_UPDATE, SQL_HISTORY, "COMMIT", "ROLLBACK"};
    if (sq_open_db(w->path, w->sync_full, 0, &db, w->err, sizeof w->err)) {
        w->failed = 1;
    } else {
        for (int i = 0; i < 5; i++)
            if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK) {
                snprintf(w->err, sizeof w->err, "prepare %s: %s", sql[i], sqlite3_errmsg(db));
                w->failed = 1;
            }
    }
    gate_arrive(w->ready);
    bu_rng r;
    bu_rng_seed(&r, w->seed);
    while (!w->failed && !atomic_load_explicit(w->stop, memory_order_relaxed)) {
        int64_t lo, hi, amount;
        next_transfer(&r, w->accounts, &lo, &hi, &amount);
        double t0 = bu_now();
        for (;;) {
            int rc = sq_run(st[0]);
            if (!rc) {
                sqlite3_bind_int64(st[1], 1, -amount);
                sqlite3_bind_int64(st[1], 2, lo);
                rc = sq_run(st[1]);
                if (!rc && sqlite3_changes(db) != 1)
                    rc = SQLITE_ERROR;
            }
            if (!rc) {
                sqlite3_bind_int64(st[1], 1, amount);
                sqlite3_bind_int64(st[1], 2, hi);
                rc = sq_run(st[1]);
                if (!rc && sqlite3_changes(db) != 1)
                    rc = SQLITE_ERROR;
            }
            if (!rc) {
                sqlite3_bind_int64(st[2], 1, lo);
                sqlite3_bind_int64(st[2], 2, hi);
                sqlite3_bind_int64(st[2], 3, amount);
                rc = sq_run(st[2]);
            }
            if (!rc)
                rc = sq_run(st[3]);
            if (!rc) {
                w->commits++;
                break;
            }
            char msg[300];
            snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
            if (!sqlite3_get_autocommit(db))
                sq_run(st[4]);
            if (!sq_retryable(rc)) {
                snprintf(w->err, sizeof w->err, "%s (%s)", msg, sqlite3_errstr(rc));
                w->failed = 1;
                break;
            }
            if (w->aborts < (uint64_t)w->show_aborts)
                fprintf(stderr, "bench_txn: SQLite, connection %d: abort: %s\n", w->id, msg);
            w->aborts++;
        }
        if (!w->failed && lat_push(w, (bu_now() - t0) * 1e6)) {
            snprintf(w->err, sizeof w->err, "out of memory");
            w->failed = 1;
        }
    }
    for (int i = 0; i < 5; i++)
        sqlite3_finalize(st[i]);
    sqlite3_close(db);
    return NULL;
}

static int sq_query_i64(sqlite3 *db, const char *sql, int64_t *a, int64_t *b)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *a = sqlite3_column_int64(st, 0);
        if (b)
            *b = sqlite3_column_int64(st, 1);
        rc = 0;
    } else {
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_load(sqlite3 *db, int accounts, char *err, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    for (size_t i = 0; i < sizeof SQL_SCHEMA / sizeof SQL_SCHEMA[0]; i++)
        if (sqlite3_exec(db, SQL_SCHEMA[i], NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, SQL_LOAD, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    for (int i = 1; i <= accounts; i++) {
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_int64(st, 2, START_BALANCE);
        if (sq_run(st))
            goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    snprintf(err, errsz, "sqlite load: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
}

/* ---- one point ------------------------------------------------------------------------------- */
static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void sleep_secs(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* The invariants after a point: sum and count of accounts, one history row per commit. */
static int check_invariant(const char *who, int accounts, uint64_t commits, int64_t sum,
                           int64_t nacc, int64_t nhist)
{
    int64_t want = (int64_t)accounts * START_BALANCE;
    if (sum == want && nacc == accounts && nhist == (int64_t)commits)
        return 0;
    fprintf(stderr,
            "bench_txn: INVARIANT VIOLATED (%s): sum of balances %" PRId64 " (expected %" PRId64
            "), %" PRId64 " accounts (expected %d), %" PRId64
            " history rows (expected %" PRIu64 ", one per committed transfer)\n",
            who, sum, want, nacc, accounts, nhist, commits);
    printf("INVARIANT VIOLATED (%s): sum %" PRId64 " != %" PRId64 " or accounts %" PRId64
           " != %d or history %" PRId64 " != %" PRIu64 "\n",
           who, sum, want, nacc, accounts, nhist, commits);
    return -1;
}

/* Run one point: engine e, C connections, `accounts` rows, on a fresh database. */
static int run_cell(const params *p, int e, int conns, int accounts, int sync_full, int point,
                    cell *out)
{
    memset(out, 0, sizeof *out);
    char path[600], err[600] = "";
    snprintf(path, sizeof path, "%s/%s-%d-%d-%d.db", p->dir, e == E_SQLITE ? "sqlite" : "nqdb",
             point, conns, accounts);
    nq_db *nq = NULL;
    sqlite3 *sq = NULL;
    nq_stats before = {0};
    if (e == E_SQLITE) {
        if (sq_open_db(path, sync_full, 1, &sq, err, sizeof err) ||
            sq_load(sq, accounts, err, sizeof err))
            goto fail;
    } else {
        if (nq_open_db(path, sync_full, &nq, err, sizeof err) ||
            nq_load(nq, accounts, err, sizeof err))
            goto fail;
        nq_get_stats(nq, &before);
    }

    worker *w = calloc((size_t)conns, sizeof *w);
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    if (!w || !th) {
        free(w);
        free(th);
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    gate ready = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    atomic_int stop = 0;
    int started = 0, failed = 0;
    for (int i = 0; i < conns; i++) {
        w[i].engine = e;
        w[i].id = i;
        w[i].accounts = accounts;
        w[i].sync_full = sync_full;
        w[i].show_aborts = p->show_aborts;
        /* the same transfer streams for every engine at a given point */
        w[i].seed = bu_mix64(p->seed ^ ((uint64_t)conns << 32) ^ ((uint64_t)accounts << 8) ^
                             (uint64_t)i);
        w[i].path = path;
        w[i].ready = &ready;
        w[i].stop = &stop;
        if (e != E_SQLITE && nq_clone(nq, &w[i].nq)) {
            snprintf(err, sizeof err, "clone: %s", nq_errmsg(nq));
            failed = 1;
            break;
        }
        if (pthread_create(&th[i], NULL, e == E_SQLITE ? sq_worker : nq_worker, &w[i])) {
            snprintf(err, sizeof err, "pthread_create failed");
            if (w[i].nq)
                nq_close(w[i].nq);
            w[i].nq = NULL;
            failed = 1;
            break;
        }
        started++;
    }
    if (failed) /* the started threads stop at once */
        atomic_store(&stop, 1);
    gate_open(&ready, started);
    double t0 = bu_now();
    if (!failed)
        sleep_secs(p->seconds);
    atomic_store(&stop, 1);
    size_t nlat = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        out->commits += w[i].commits;
        out->aborts += w[i].aborts;
        nlat += w[i].nlat;
        if (w[i].failed && !failed) {
            snprintf(err, sizeof err, "connection %d: %s", i, w[i].err);
            failed = 1;
        }
    }
    double elapsed = bu_now() - t0;
    for (int i = 0; i < started; i++)
        if (w[i].nq)
            nq_close(w[i].nq);
    float *all = malloc((nlat ? nlat : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < conns; i++) {
        if (all)
            memcpy(all + k, w[i].lat_us, w[i].nlat * sizeof *all);
        k += w[i].nlat;
        free(w[i].lat_us);
    }
    free(w);
    free(th);
    if (all && nlat) {
        qsort(all, nlat, sizeof *all, cmp_float);
        out->p50_ms = all[(size_t)(0.50 * (double)(nlat - 1))] / 1000.0;
        out->p99_ms = all[(size_t)(0.99 * (double)(nlat - 1))] / 1000.0;
        out->max_ms = all[nlat - 1] / 1000.0;
    }
    free(all);
    if (failed)
        goto fail;
    out->tps = (double)out->commits / elapsed;
    uint64_t attempts = out->commits + out->aborts;
    out->abort_rate = attempts ? (double)out->aborts / (double)attempts : 0.0;

    /* invariants, through the engine's own SQL */
    int64_t sum = 0, nacc = 0, nhist = 0;
    int bad = 0;
    if (e == E_SQLITE) {
        if (sq_query_i64(sq, SQL_CHECK, &sum, &nacc) ||
            sq_query_i64(sq, SQL_CHECK_HISTORY, &nhist, NULL)) {
            snprintf(err, sizeof err, "sqlite check: %s", sqlite3_errmsg(sq));
            goto fail;
        }
        bad = check_invariant(e_label[e], accounts, out->commits, sum, nacc, nhist);
        sqlite3_close(sq);
        sq = NULL;
    } else {
        if (nq_query2(nq, SQL_CHECK, &sum, &nacc) || nq_query2(nq, SQL_CHECK_HISTORY, &nhist, NULL)) {
            snprintf(err, sizeof err, "check: %s", nq_errmsg(nq));
            goto fail;
        }
        bad = check_invariant(e_label[e], accounts, out->commits, sum, nacc, nhist);
        nq_stats after;
        nq_get_stats(nq, &after);
        out->concurrent = after.txn_commits_concurrent - before.txn_commits_concurrent;
        out->syncs = after.syncs - before.syncs;
        out->txn_commits = after.commits - before.commits;
        if (nq_close(nq)) {
            nq = NULL;
            snprintf(err, sizeof err, "close failed");
            goto fail;
        }
        nq = NULL;
    }
    out->ok = !bad;
    return bad ? 1 : 0;
fail:
    fprintf(stderr, "bench_txn: %s, %d connections: %s\n", e_label[e], conns, err);
    if (nq)
        nq_close(nq);
    if (sq)
        sqlite3_close(sq);
    return -1;
}

/* Median time of a 4 KiB write + fdatasync in dir (ms), or -1: what a durable commit costs at
 * least on this disk right now. Shared virtual disks swing by 10x within minutes, and both
 * engines' durable figures swing with them, so it is printed before and after the run. */
static double fsync_probe_ms(const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/fsync-probe", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        return -1;
    char buf[4096];
    memset(buf, 0x5a, sizeof buf);
    double t[20];
    int n = 0;
    for (int i = 0; i < 20; i++) {
        double t0 = bu_now();
        if (pwrite(fd, buf, sizeof buf, (off_t)i * (off_t)sizeof buf) != (ssize_t)sizeof buf ||
            fdatasync(fd))
            break;
        t[n++] = (bu_now() - t0) * 1e3;
    }
    close(fd);
    unlink(path);
    return n ? bu_median(t, n) : -1;
}

/* ---- the report ------------------------------------------------------------------------------ */
static void print_header(void)
{
    printf("%5s  %-21s %9s %7s %8s %8s %8s %9s %8s  %s\n", "conns", "engine", "tps", "abort%",
           "p50 ms", "p99 ms", "max ms", "retries", "vs SQLite", "ours: how commits ran");
}

static void print_row(int conns, int e, const cell *c, const cell *anchor)
{
    char ratio[32] = "-";
    if (e != E_SQLITE && anchor && anchor->ok && anchor->tps > 0)
        snprintf(ratio, sizeof ratio, "%.2fx", c->tps / anchor->tps);
    char how[120] = "";
    if (e != E_SQLITE) {
        const char *mode = c->concurrent == 0 ? "exclusive writer (serialised)"
                           : c->concurrent >= c->commits ? "concurrent"
                                                          : "partly concurrent";
        if (c->syncs)
            snprintf(how, sizeof how, "%s, %.2f commits/sync", mode,
                     (double)c->txn_commits / (double)c->syncs);
        else
            snprintf(how, sizeof how, "%s, no log syncs", mode);
    }
    printf("%5d  %-21s %9.0f %6.2f%% %8.2f %8.2f %8.1f %9" PRIu64 " %8s  %s\n", conns, e_label[e],
           c->tps, 100.0 * c->abort_rate, c->p50_ms, c->p99_ms, c->max_ms, c->aborts, ratio, how);
    fflush(stdout);
}

static int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    while (*s && n < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > MAX_CONNS)
            return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_txn [--seconds S] [--dir PATH] [--seed N] [--accounts N] "
                    "[--hot N] [--conns 1,2,4,8,32] [--sync full|off|both] [--levels rc,rr,ser] "
                    "[--show-aborts N] [--quick]\n");
    return 2;
}

int main(int argc, char **argv)
{
    params p = {.seconds = 2.0, .seed = 1, .accounts = 10000, .hot = 100,
                .conns = {1, 2, 4, 8, 32}, .nconns = 5, .sync_full = 1, .sync_off = 1,
                .engines = {1, 1, 1, 1}, .dir = "."};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            p.seconds = 0.5;
            p.conns[0] = 1, p.conns[1] = 4, p.conns[2] = 32, p.nconns = 3;
        } else if (!v) {
            return usage();
        } else if (!strcmp(a, "--seconds")) {
            p.seconds = atof(v), i++;
        } else if (!strcmp(a, "--dir")) {
            p.dir = v, i++;
        } else if (!strcmp(a, "--seed")) {
            p.seed = strtoull(v, NULL, 10), i++;
        } else if (!strcmp(a, "--accounts")) {
            p.accounts = atoi(v), i++;
        } else if (!strcmp(a, "--hot")) {
            p.hot = atoi(v), i++;
        } else if (!strcmp(a, "--conns")) {
            if ((p.nconns = parse_list(v, p.conns, 16)) <= 0)
                return usage();
            i++;
        } else if (!strcmp(a, "--sync")) {
            p.sync_full = !strcmp(v, "full") || !strcmp(v, "both");
            p.sync_off = !strcmp(v, "off") || !strcmp(v, "both");
            if (!p.sync_full && !p.sync_off)
                return usage();
            i++;
        } else if (!strcmp(a, "--show-aborts")) {
            p.show_aborts = atoi(v), i++;
        } else if (!strcmp(a, "--levels")) {
            p.engines[E_RC] = strstr(v, "rc") != NULL;
            p.engines[E_RR] = strstr(v, "rr") != NULL;
            p.engines[E_SER] = strstr(v, "ser") != NULL;
            i++;
        } else {
            return usage();
        }
    }
    if (p.seconds <= 0 || p.accounts < 2 || (p.hot && p.hot < 2))
        return usage();

    char dir[600];
    snprintf(dir, sizeof dir, "%s/nqbench-txn-XXXXXX", p.dir);
    if (!mkdtemp(dir)) {
        perror("bench_txn: mkdtemp");
        return 2;
    }
    p.dir = dir;
    bu_machine m;
    bu_machine_probe(&m, dir);
    printf("bench_txn: bank transfers (BEGIN; UPDATE a; UPDATE b; INSERT history; COMMIT), "
           "%.1f s per point, seed %" PRIu64 ", build %s\n",
           p.seconds, p.seed, NQ_BENCH_BUILD_TYPE);
    if (strcmp(NQ_BENCH_BUILD_TYPE, "Release"))
        printf("WARNING: not a Release build: these figures are not the real ones\n");
    if (m.is_ram)
        printf("WARNING: %s is in memory (%s): fsync costs nothing, the durable figures mean "
               "nothing\n", dir, m.fstype);
    printf("anchor: SQLite %s in WAL mode, BEGIN IMMEDIATE, busy_timeout %d ms, one connection "
           "per thread; ours: one nq_clone per thread, BEGIN ISOLATION LEVEL ...\n",
           sqlite3_libversion(), SQLITE_BUSY_MS);
    printf("tps = committed transfers/s; abort%% = failed attempts (40001, 40P01, busy) / all "
           "attempts; latency = first BEGIN to successful COMMIT, retries included\n");

    double fsync_before = fsync_probe_ms(dir);
    printf("disk: a 4 KiB write + fdatasync takes %.2f ms (median of 20) at the start\n",
           fsync_before);
    const int syncs[2] = {1, 0};
    int rc = 0, point = 0;
    for (int si = 0; si < 2 && rc >= 0; si++) {
        int sync_full = syncs[si];
        if ((sync_full && !p.sync_full) || (!sync_full && !p.sync_off))
            continue;
        const int tables[2] = {p.accounts, p.hot};
        for (int ti = 0; ti < 2 && rc >= 0; ti++) {
            int accounts = tables[ti];
            if (!accounts)
                continue;
            printf("\n== %s, %d accounts%s\n",
                   sync_full ? "durable commits (NQ_SYNC_FULL / synchronous=FULL)"
                             : "sync off (NQ_SYNC_OFF / synchronous=OFF)",
                   accounts, ti ? " (hot: contention)" : "");
            print_header();
            for (int ci = 0; ci < p.nconns && rc >= 0; ci++) {
                int conns = p.conns[ci];
                cell anchor = {0};
                for (int e = 0; e < E_COUNT; e++) {
                    if (!p.engines[e])
                        continue;
                    cell c;
                    int r = run_cell(&p, e, conns, accounts, sync_full, point++,
                                     e == E_SQLITE ? &anchor : &c);
                    if (r < 0) {
                        rc = -1;
                        break;
                    }
                    if (r > 0)
                        rc = 1; /* an invariant failed: report, go on, exit 1 */
                    print_row(conns, e, e == E_SQLITE ? &anchor : &c, &anchor);
                }
            }
        }
    }
    m.load_end = bu_loadavg();
    printf("\ndisk: a 4 KiB write + fdatasync took %.2f ms at the start, %.2f ms at the end\n",
           fsync_before, fsync_probe_ms(dir));
    bu_machine_print(&m, dir);
    if (rc == 0)
        printf("invariants: every point kept the sum of balances, the account count and one "
               "history row per commit, on both engines\n");
    bu_rm_rf(dir);
    return rc ? 1 : 0;
}
