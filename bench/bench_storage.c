/*
 * bench_storage.c — the NeuroQuantumDB storage engine against SQLite 3.40, in the same run.
 *
 * What it measures (issue 2, "Speed"), for each durability setting:
 *   1. N sequential inserts (ids 1..N in order) in one transaction, timed from BEGIN to the
 *      return of COMMIT;
 *   2. N inserts in a seeded random order (a permutation of 1..N) in one transaction, likewise;
 *   3. N point lookups by key, every id once, in another seeded random order, all inside one
 *      read transaction, on the database built by line 1 (reopened, so the engine's cache starts
 *      empty and the operating system's cache is warm for both);
 *   4. a full scan in key order of the same database: every row, summing value lengths;
 *   5. T single-insert transactions (autocommit), each one committed (durably when sync is on);
 *   6. the peak resident set size of the process that ran lines 1..5 for one engine.
 * and two informational lines: the size of the database files after line 1 (after close, i.e.
 * after the final checkpoint), and the peak RSS of the harness alone (keys and values, no engine).
 *
 * Why the comparison is fair:
 *   - Same data: both engines get the same rows. SQLite: CREATE TABLE t(id INTEGER PRIMARY KEY,
 *     v BLOB) with prepared statements; nqdb: the tree "t" with key = the id as 8 big-endian
 *     bytes (memcmp order = numeric order) and the same value bytes (default 100, --value-bytes),
 *     drawn from a seeded pool so that rows differ and nothing compresses. Same permutations.
 *   - Same settings: page size 4096; cache 16 MiB (SQLite cache_size = -16384, nqdb cache_bytes);
 *     automatic checkpoint at 1000 log pages in both; SQLite in WAL mode with synchronous=FULL
 *     against NQ_SYNC_FULL, and synchronous=OFF against NQ_SYNC_OFF. SQLite connections are
 *     opened with SQLITE_OPEN_NOMUTEX, which is the thread contract of an nq_db handle (one
 *     thread at a time); everything else is SQLite's default (no mmap, normal locking mode).
 *   - Same semantics: SQLite's INSERT fails on an existing id, so nqdb inserts with
 *     NQ_PUT_NOOVERWRITE; lookups hand the value's bytes to the caller in both; every lookup
 *     and the scan are verified (lengths, bytes, order, counts) so no engine can win by skipping
 *     work. Verification that is not part of a line runs outside the timed region.
 *   - Same conditions: fresh files in a fresh directory on the same file system (default
 *     /var/tmp, which is on disk on Debian; a warning is printed for tmpfs), removed afterwards;
 *     the file system's dirty pages are flushed before every timed phase so that no phase pays
 *     for the writeback of another; engines alternate which goes first in each repetition.
 *   - Separate processes: each engine's run happens in its own forked child, so its peak RSS
 *     (from wait4) is its own; the parent gets the timings through a pipe.
 *   - Each measurement is repeated (3 times by default, a fresh database each time) and the
 *     median is reported; the spread column shows how much the repetitions disagreed.
 * Nothing here asserts on time: the program reports; it fails only when an engine returns an
 * error or wrong data.
 */
#include "bench_util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nqdb.h>
#include <sqlite3.h>

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

#define PAGE_SIZE 4096
#define CACHE_BYTES ((size_t)16 << 20)
#define CACHE_KIB 16384
#define CHECKPOINT_PAGES 1000
#define POOL_BYTES 65536u /* power of two: values start at bu_mix64(id) & (POOL_BYTES-1) */
#define MAX_REPS 15
#define MAX_VALUE_BYTES (1u << 24)
#define ROOT_MAX 3072 /* longest scratch-directory path; the files inside get a few bytes more */

enum { W_SEQ, W_RAND, W_GET, W_SCAN, W_TXN, W_COUNT };
static const char *const w_label[W_COUNT] = {
    "sequential insert, 1 txn", "random insert, 1 txn", "point lookup, random order",
    "full scan, key order", "single-insert txns"};
static const char *const w_key[W_COUNT] = {"seq_insert", "random_insert", "point_lookup",
                                           "full_scan", "single_insert_txns"};

enum { E_NQDB, E_SQLITE, E_COUNT };
static const char *const e_name[E_COUNT] = {"nqdb", "sqlite"};

typedef struct params {
    uint32_t rows, txns, value_bytes;
    int reps;
    uint64_t seed;
    int json;
    char root[ROOT_MAX]; /* the scratch directory made for this run */
} params;

/* ---- the two engines behind one interface ---------------------------------------------------
 * The driver loops below are the same code for both engines; each operation is one indirect
 * call, whose cost (a nanosecond or two) is the same on both sides. */
typedef struct eng {
    char err[512];
    /* nqdb */
    nq_db *db;
    nq_tree *t;
    void *last; /* value returned by the previous nq_get */
    /* sqlite */
    sqlite3 *sq;
    sqlite3_stmt *ins, *get, *cnt, *scan, *begin_w, *begin_r, *commit;
} eng;

typedef struct engine_ops {
    int (*open)(eng *e, const char *path, int sync_full);
    int (*close)(eng *e);
    int (*begin_write)(eng *e);
    int (*begin_read)(eng *e);
    int (*commit)(eng *e); /* ends a read or write transaction */
    int (*insert)(eng *e, uint64_t id, const void *v, size_t n);
    /* *v stays valid until the next get or commit. */
    int (*get)(eng *e, uint64_t id, const void **v, size_t *n);
    /* Every row in key order: count, sum of value lengths, sum of first value bytes. */
    int (*scan)(eng *e, uint64_t *rows, uint64_t *bytes, uint64_t *check);
    int (*count)(eng *e, uint64_t *n);
    void (*stats)(eng *e, char *buf, size_t n);
} engine_ops;

/* nqdb ----------------------------------------------------------------------------------------- */
static int nq_fail(eng *e, const char *what, int rc)
{
    const char *msg = e->db ? nq_errmsg(e->db) : NULL;
    if (msg && *msg)
        snprintf(e->err, sizeof e->err, "nqdb %s: %s (%s)", what, msg, nq_strerror(rc));
    else
        snprintf(e->err, sizeof e->err, "nqdb %s: %s", what, nq_strerror(rc));
    return -1;
}

static int nqe_open(eng *e, const char *path, int sync_full)
{
    nq_options o;
    nq_options_init(&o);
    o.page_size = PAGE_SIZE;
    o.cache_bytes = CACHE_BYTES;
    o.checkpoint_pages = CHECKPOINT_PAGES;
    o.sync = sync_full ? NQ_SYNC_FULL : NQ_SYNC_OFF;
    int rc = nq_open(path, &o, &e->db);
    if (rc != NQ_OK) {
        nq_fail(e, "open", rc);
        if (e->db)
            nq_close(e->db);
        e->db = NULL;
        return -1;
    }
    rc = nq_tree_open(e->db, "t", NQ_TREE_CREATE, &e->t);
    if (rc != NQ_OK) {
        nq_fail(e, "tree_open", rc);
        nq_close(e->db);
        e->db = NULL;
        return -1;
    }
    return 0;
}

static int nqe_close(eng *e)
{
    free(e->last);
    e->last = NULL;
    if (e->t)
        nq_tree_close(e->t);
    e->t = NULL;
    int rc = NQ_OK;
    if (e->db) {
        rc = nq_close(e->db);
        if (rc != NQ_OK)
            snprintf(e->err, sizeof e->err, "nqdb close: %s", nq_strerror(rc));
    }
    e->db = NULL;
    return rc == NQ_OK ? 0 : -1;
}

static int nqe_begin_write(eng *e)
{
    int rc = nq_begin(e->db, NQ_TXN_WRITE);
    return rc == NQ_OK ? 0 : nq_fail(e, "begin write", rc);
}

static int nqe_begin_read(eng *e)
{
    int rc = nq_begin(e->db, NQ_TXN_READ);
    return rc == NQ_OK ? 0 : nq_fail(e, "begin read", rc);
}

static int nqe_commit(eng *e)
{
    free(e->last);
    e->last = NULL;
    int rc = nq_commit(e->db);
    return rc == NQ_OK ? 0 : nq_fail(e, "commit", rc);
}

static int nqe_insert(eng *e, uint64_t id, const void *v, size_t n)
{
    uint8_t key[8];
    bu_put_be64(key, id);
    int rc = nq_put(e->t, key, sizeof key, v, n, NQ_PUT_NOOVERWRITE);
    return rc == NQ_OK ? 0 : nq_fail(e, "put", rc);
}

static int nqe_get(eng *e, uint64_t id, const void **v, size_t *n)
{
    uint8_t key[8];
    bu_put_be64(key, id);
    free(e->last);
    e->last = NULL;
    int rc = nq_get(e->t, key, sizeof key, &e->last, n);
    if (rc != NQ_OK)
        return nq_fail(e, "get", rc);
    *v = e->last;
    return 0;
}

static int nqe_scan(eng *e, uint64_t *rows, uint64_t *bytes, uint64_t *check)
{
    nq_cursor *c;
    int rc = nq_cursor_open(e->t, &c);
    if (rc != NQ_OK)
        return nq_fail(e, "cursor_open", rc);
    uint64_t nrows = 0, nbytes = 0, sum = 0, prev = 0;
    for (rc = nq_cursor_first(c); rc == NQ_OK; rc = nq_cursor_next(c)) {
        size_t klen, vlen;
        const uint8_t *k = nq_cursor_key(c, &klen);
        const uint8_t *v = nq_cursor_value(c, &vlen);
        if (!k || klen != 8 || !v) {
            snprintf(e->err, sizeof e->err, "nqdb scan: bad row after %" PRIu64 " rows", nrows);
            nq_cursor_close(c);
            return -1;
        }
        uint64_t id = bu_get_be64(k);
        if (nrows > 0 && id <= prev) {
            snprintf(e->err, sizeof e->err, "nqdb scan: key %" PRIu64 " after %" PRIu64, id,
                     prev);
            nq_cursor_close(c);
            return -1;
        }
        prev = id;
        nrows++;
        nbytes += vlen;
        sum += v[0];
    }
    nq_cursor_close(c);
    if (rc != NQ_ENOTFOUND)
        return nq_fail(e, "cursor step", rc);
    *rows = nrows;
    *bytes = nbytes;
    *check = sum;
    return 0;
}

static int nqe_count(eng *e, uint64_t *n)
{
    int rc = nq_tree_count(e->t, n);
    return rc == NQ_OK ? 0 : nq_fail(e, "tree_count", rc);
}

static void nqe_stats(eng *e, char *buf, size_t n)
{
    nq_stats s;
    if (nq_get_stats(e->db, &s) != NQ_OK) {
        snprintf(buf, n, "(nq_get_stats failed)");
        return;
    }
    snprintf(buf, n,
             "cache hit %.1f%% (%" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
             " evictions, %" PRIu64 "/%" PRIu64 " frames in use), %" PRIu64 " pages, %" PRIu64
             " commits, %" PRIu64 " syncs, %" PRIu64 " checkpoints",
             100.0 * s.cache_hit_rate, s.cache_hits, s.cache_misses, s.cache_evictions,
             s.cache_pages, s.cache_capacity_pages, s.page_count, s.commits, s.syncs,
             s.checkpoints);
}

static const engine_ops nqdb_ops = {nqe_open,   nqe_close,  nqe_begin_write, nqe_begin_read,
                                    nqe_commit, nqe_insert, nqe_get,         nqe_scan,
                                    nqe_count,  nqe_stats};

/* SQLite --------------------------------------------------------------------------------------- */
static int sq_fail(eng *e, const char *what)
{
    snprintf(e->err, sizeof e->err, "sqlite %s: %s", what,
             e->sq ? sqlite3_errmsg(e->sq) : "out of memory");
    return -1;
}

static int sq_exec(eng *e, const char *sql)
{
    return sqlite3_exec(e->sq, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : sq_fail(e, sql);
}

/* Run a one-row PRAGMA and check that its text result is want. */
static int sq_pragma_expect(eng *e, const char *sql, const char *want)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(e->sq, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_fail(e, sql);
    int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
             strcmp((const char *)sqlite3_column_text(st, 0), want) == 0;
    if (!ok)
        snprintf(e->err, sizeof e->err, "sqlite: %s did not give %s", sql, want);
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

static int sqe_close(eng *e);

static int sqe_open(eng *e, const char *path, int sync_full)
{
    int rc = sqlite3_open_v2(path, &e->sq,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        sq_fail(e, "open");
        sqe_close(e);
        return -1;
    }
    char cache[64];
    snprintf(cache, sizeof cache, "PRAGMA cache_size=-%d", CACHE_KIB);
    char ckpt[64];
    snprintf(ckpt, sizeof ckpt, "PRAGMA wal_autocheckpoint=%d", CHECKPOINT_PAGES);
    char psz[64];
    snprintf(psz, sizeof psz, "PRAGMA page_size=%d", PAGE_SIZE);
    char want_psz[16];
    snprintf(want_psz, sizeof want_psz, "%d", PAGE_SIZE);
    if (sq_exec(e, psz) || sq_pragma_expect(e, "PRAGMA journal_mode=WAL", "wal") ||
        sq_exec(e, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF") ||
        sq_exec(e, cache) || sq_exec(e, ckpt) ||
        sq_exec(e, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)") ||
        sq_pragma_expect(e, "PRAGMA page_size", want_psz)) {
        sqe_close(e);
        return -1;
    }
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        {&e->ins, "INSERT INTO t(id, v) VALUES(?1, ?2)"},
        {&e->get, "SELECT v FROM t WHERE id = ?1"},
        {&e->cnt, "SELECT count(*) FROM t"},
        {&e->scan, "SELECT id, v FROM t ORDER BY id"},
        {&e->begin_w, "BEGIN IMMEDIATE"},
        {&e->begin_r, "BEGIN"},
        {&e->commit, "COMMIT"},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        if (sqlite3_prepare_v2(e->sq, stmts[i].sql, -1, stmts[i].st, NULL) != SQLITE_OK) {
            sq_fail(e, stmts[i].sql);
            sqe_close(e);
            return -1;
        }
    return 0;
}

static int sqe_close(eng *e)
{
    sqlite3_stmt **all[] = {&e->ins, &e->get, &e->cnt, &e->scan, &e->begin_w, &e->begin_r,
                            &e->commit};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
    int rc = SQLITE_OK;
    if (e->sq) {
        rc = sqlite3_close(e->sq);
        if (rc != SQLITE_OK)
            snprintf(e->err, sizeof e->err, "sqlite close: %s", sqlite3_errstr(rc));
    }
    e->sq = NULL;
    return rc == SQLITE_OK ? 0 : -1;
}

static int sq_step_done(eng *e, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(e, what);
}

static int sqe_begin_write(eng *e) { return sq_step_done(e, e->begin_w, "BEGIN IMMEDIATE"); }

static int sqe_begin_read(eng *e)
{
    /* A deferred BEGIN takes its snapshot at the first read; that read is inside the timing. */
    return sq_step_done(e, e->begin_r, "BEGIN");
}

static int sqe_commit(eng *e)
{
    sqlite3_reset(e->get);
    return sq_step_done(e, e->commit, "COMMIT");
}

static int sqe_insert(eng *e, uint64_t id, const void *v, size_t n)
{
    sqlite3_bind_int64(e->ins, 1, (sqlite3_int64)id);
    sqlite3_bind_blob(e->ins, 2, v, (int)n, SQLITE_STATIC);
    return sq_step_done(e, e->ins, "INSERT");
}

static int sqe_get(eng *e, uint64_t id, const void **v, size_t *n)
{
    sqlite3_reset(e->get);
    sqlite3_bind_int64(e->get, 1, (sqlite3_int64)id);
    int rc = sqlite3_step(e->get);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            snprintf(e->err, sizeof e->err, "sqlite get: id %" PRIu64 " not found", id);
        else
            sq_fail(e, "SELECT v");
        return -1;
    }
    *v = sqlite3_column_blob(e->get, 0);
    *n = (size_t)sqlite3_column_bytes(e->get, 0);
    return 0;
}

static int sqe_scan(eng *e, uint64_t *rows, uint64_t *bytes, uint64_t *check)
{
    uint64_t nrows = 0, nbytes = 0, sum = 0;
    sqlite3_int64 prev = 0;
    int rc;
    while ((rc = sqlite3_step(e->scan)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(e->scan, 0);
        const uint8_t *v = sqlite3_column_blob(e->scan, 1);
        int vlen = sqlite3_column_bytes(e->scan, 1);
        if (!v || (nrows > 0 && id <= prev)) {
            snprintf(e->err, sizeof e->err, "sqlite scan: bad row after %" PRIu64 " rows",
                     nrows);
            sqlite3_reset(e->scan);
            return -1;
        }
        prev = id;
        nrows++;
        nbytes += (uint64_t)vlen;
        sum += v[0];
    }
    sqlite3_reset(e->scan);
    if (rc != SQLITE_DONE)
        return sq_fail(e, "scan");
    *rows = nrows;
    *bytes = nbytes;
    *check = sum;
    return 0;
}

static int sqe_count(eng *e, uint64_t *n)
{
    int rc = sqlite3_step(e->cnt);
    if (rc == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(e->cnt, 0);
    sqlite3_reset(e->cnt);
    return rc == SQLITE_ROW ? 0 : sq_fail(e, "count");
}

static void sqe_stats(eng *e, char *buf, size_t n)
{
    int hit = 0, miss = 0, spill = 0, write = 0, hi;
    sqlite3_db_status(e->sq, SQLITE_DBSTATUS_CACHE_HIT, &hit, &hi, 0);
    sqlite3_db_status(e->sq, SQLITE_DBSTATUS_CACHE_MISS, &miss, &hi, 0);
    sqlite3_db_status(e->sq, SQLITE_DBSTATUS_CACHE_WRITE, &write, &hi, 0);
    sqlite3_db_status(e->sq, SQLITE_DBSTATUS_CACHE_SPILL, &spill, &hi, 0);
    long long pages = -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(e->sq, "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            pages = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    double rate = hit + miss > 0 ? 100.0 * hit / (double)(hit + miss) : 0.0;
    snprintf(buf, n, "cache hit %.1f%% (%d hits, %d misses), %d page writes, %d spills, %lld pages",
             rate, hit, miss, write, spill, pages);
}

static const engine_ops sqlite_ops = {sqe_open,   sqe_close,  sqe_begin_write, sqe_begin_read,
                                      sqe_commit, sqe_insert, sqe_get,         sqe_scan,
                                      sqe_count,  sqe_stats};

static const engine_ops *const engines[E_COUNT] = {&nqdb_ops, &sqlite_ops};

/* ---- one engine's run, in a child process ----------------------------------------------------- */
enum { N_SEQ, N_GET, N_TXN, N_COUNT };
static const char *const n_label[N_COUNT] = {"after sequential inserts", "after lookups",
                                             "after single-insert txns"};

typedef struct child_arg {
    const params *p;
    int engine; /* E_*, or -1 for the harness alone */
    int sync_full;
    int rep;
} child_arg;

typedef struct child_result {
    int ok;
    long pid; /* of the child, printed with the progress so that a profile can be split */
    char err[700];
    double secs[W_COUNT];
    long rss_after[W_COUNT]; /* peak RSS (KiB) of the child when each phase had finished */
    uint64_t seq_db_bytes;
    char notes[N_COUNT][320];
} child_result;

static const uint8_t *value_for(const uint8_t *pool, uint64_t id)
{
    return pool + (bu_mix64(id) & (POOL_BYTES - 1));
}

static int make_dir(const char *path, child_result *res)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(res->err, sizeof res->err, "mkdir %.400s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void child_main(void *argp, void *outp)
{
    const child_arg *a = argp;
    const params *p = a->p;
    child_result *res = outp;
    memset(res, 0, sizeof *res);
    res->pid = (long)getpid();

    uint32_t *perm = malloc((size_t)p->rows * sizeof *perm);
    uint8_t *pool = malloc(POOL_BYTES + p->value_bytes);
    if (!perm || !pool) {
        snprintf(res->err, sizeof res->err, "out of memory for keys and values");
        free(perm);
        free(pool);
        return;
    }
    bu_rng r;
    bu_rng_seed(&r, p->seed ^ 0x76616c7565ULL);
    for (size_t i = 0; i < POOL_BYTES + p->value_bytes; i++)
        pool[i] = (uint8_t)bu_rng_next(&r);
    bu_permutation(perm, p->rows, p->seed);
    if (a->engine < 0) { /* the harness alone: same allocations, no engine */
        res->ok = 1;
        free(perm);
        free(pool);
        return;
    }

    /* What a correct engine must give back in lines 3 and 4. */
    uint64_t want_check = 0;
    for (uint64_t id = 1; id <= p->rows; id++)
        want_check += value_for(pool, id)[0];
    const uint64_t want_bytes = (uint64_t)p->rows * p->value_bytes;

    const engine_ops *ops = engines[a->engine];
    eng e;
    memset(&e, 0, sizeof e);
    int is_open = 0;
    const size_t vb = p->value_bytes;
    char base[ROOT_MAX + 64], seqdir[ROOT_MAX + 80], randdir[ROOT_MAX + 80], txndir[ROOT_MAX + 80];
    char path[ROOT_MAX + 96];
    snprintf(base, sizeof base, "%s/%s-%s-%d", p->root, e_name[a->engine],
             a->sync_full ? "full" : "off", a->rep);
    snprintf(seqdir, sizeof seqdir, "%s/seq", base);
    snprintf(randdir, sizeof randdir, "%s/rand", base);
    snprintf(txndir, sizeof txndir, "%s/txn", base);
    if (make_dir(base, res) || make_dir(seqdir, res) || make_dir(randdir, res) ||
        make_dir(txndir, res))
        goto out;

#define CHECK(expr)                                                                               \
    do {                                                                                          \
        if ((expr) != 0) {                                                                        \
            snprintf(res->err, sizeof res->err, "%s", e.err);                                     \
            goto out;                                                                             \
        }                                                                                         \
    } while (0)
#define OPEN(dir)                                                                                 \
    do {                                                                                          \
        snprintf(path, sizeof path, "%s/t.db", dir);                                              \
        CHECK(ops->open(&e, path, a->sync_full));                                                 \
        is_open = 1;                                                                              \
    } while (0)
#define CLOSE()                                                                                   \
    do {                                                                                          \
        is_open = 0;                                                                              \
        CHECK(ops->close(&e));                                                                    \
    } while (0)

    double t0;
    uint64_t n;

    /* 1. sequential inserts, one transaction */
    OPEN(seqdir);
    bu_flush_fs(p->root);
    t0 = bu_now();
    CHECK(ops->begin_write(&e));
    for (uint64_t id = 1; id <= p->rows; id++)
        CHECK(ops->insert(&e, id, value_for(pool, id), vb));
    CHECK(ops->commit(&e));
    res->secs[W_SEQ] = bu_now() - t0;
    ops->stats(&e, res->notes[N_SEQ], sizeof res->notes[N_SEQ]);
    CLOSE();
    res->seq_db_bytes = bu_dir_bytes(seqdir);
    res->rss_after[W_SEQ] = bu_self_maxrss_kib();

    /* 2. random-order inserts, one transaction */
    OPEN(randdir);
    bu_flush_fs(p->root);
    t0 = bu_now();
    CHECK(ops->begin_write(&e));
    for (uint32_t i = 0; i < p->rows; i++)
        CHECK(ops->insert(&e, perm[i], value_for(pool, perm[i]), vb));
    CHECK(ops->commit(&e));
    res->secs[W_RAND] = bu_now() - t0;
    CHECK(ops->begin_read(&e));
    CHECK(ops->count(&e, &n));
    CHECK(ops->commit(&e));
    if (n != p->rows) {
        snprintf(res->err, sizeof res->err, "random inserts: %" PRIu64 " rows, want %" PRIu32, n,
                 p->rows);
        goto out;
    }
    CLOSE();
    bu_rm_rf(randdir);
    res->rss_after[W_RAND] = bu_self_maxrss_kib();

    /* 3. point lookups in another random order, one read transaction */
    bu_permutation(perm, p->rows, p->seed + 1);
    OPEN(seqdir);
    bu_flush_fs(p->root);
    uint64_t check = 0;
    t0 = bu_now();
    CHECK(ops->begin_read(&e));
    for (uint32_t i = 0; i < p->rows; i++) {
        const void *v;
        size_t vlen;
        CHECK(ops->get(&e, perm[i], &v, &vlen));
        if (vlen != vb || memcmp(v, value_for(pool, perm[i]), vb) != 0) {
            snprintf(res->err, sizeof res->err, "lookup of id %" PRIu32 ": wrong value (%zu bytes)",
                     perm[i], vlen);
            goto out;
        }
        check += ((const uint8_t *)v)[0];
    }
    CHECK(ops->commit(&e));
    res->secs[W_GET] = bu_now() - t0;
    ops->stats(&e, res->notes[N_GET], sizeof res->notes[N_GET]);
    res->rss_after[W_GET] = bu_self_maxrss_kib();
    if (check != want_check) {
        snprintf(res->err, sizeof res->err, "lookups: checksum %" PRIu64 ", want %" PRIu64, check,
                 want_check);
        goto out;
    }

    /* 4. full scan in key order, same database and handle */
    uint64_t rows = 0, bytes = 0;
    t0 = bu_now();
    CHECK(ops->begin_read(&e));
    CHECK(ops->scan(&e, &rows, &bytes, &check));
    CHECK(ops->commit(&e));
    res->secs[W_SCAN] = bu_now() - t0;
    res->rss_after[W_SCAN] = bu_self_maxrss_kib();
    if (rows != p->rows || bytes != want_bytes || check != want_check) {
        snprintf(res->err, sizeof res->err,
                 "scan: %" PRIu64 " rows, %" PRIu64 " bytes, checksum %" PRIu64
                 "; want %" PRIu32 ", %" PRIu64 ", %" PRIu64,
                 rows, bytes, check, p->rows, want_bytes, want_check);
        goto out;
    }
    CLOSE();
    bu_rm_rf(seqdir);

    /* 5. single-insert transactions (autocommit) */
    OPEN(txndir);
    bu_flush_fs(p->root);
    t0 = bu_now();
    for (uint64_t id = 1; id <= p->txns; id++)
        CHECK(ops->insert(&e, id, value_for(pool, id), vb));
    res->secs[W_TXN] = bu_now() - t0;
    ops->stats(&e, res->notes[N_TXN], sizeof res->notes[N_TXN]);
    CHECK(ops->begin_read(&e));
    CHECK(ops->count(&e, &n));
    CHECK(ops->commit(&e));
    if (n != p->txns) {
        snprintf(res->err, sizeof res->err, "single-insert txns: %" PRIu64 " rows, want %" PRIu32,
                 n, p->txns);
        goto out;
    }
    CLOSE();
    res->rss_after[W_TXN] = bu_self_maxrss_kib();
    res->ok = 1;

out:
    if (is_open)
        ops->close(&e);
    bu_rm_rf(base);
    free(perm);
    free(pool);
#undef CHECK
#undef OPEN
#undef CLOSE
}

/* ---- the parent: repetitions, medians, report -------------------------------------------------- */
typedef struct side {
    int failed;
    char err[800];
    int n; /* successful repetitions */
    double secs[W_COUNT][MAX_REPS];
    double rss[MAX_REPS];
    double dbsize[MAX_REPS];
    child_result first; /* the first repetition, for its notes */
} side;

typedef struct mode_result {
    int sync_full;
    side s[E_COUNT];
} mode_result;

static double side_median(const side *s, const double *samples)
{
    double tmp[MAX_REPS];
    memcpy(tmp, samples, (size_t)s->n * sizeof *tmp);
    return bu_median(tmp, s->n);
}

/* (max - min) / median of the samples, as a fraction. */
static double side_spread(const side *s, const double *samples)
{
    double lo = samples[0], hi = samples[0];
    for (int i = 1; i < s->n; i++) {
        if (samples[i] < lo)
            lo = samples[i];
        if (samples[i] > hi)
            hi = samples[i];
    }
    double med = side_median(s, samples);
    return med > 0 ? (hi - lo) / med : 0.0;
}

static uint64_t w_ops(const params *p, int w) { return w == W_TXN ? p->txns : p->rows; }

typedef bu_machine machine;

static const char *mode_sqlite(int full)
{
    return full ? "journal_mode=WAL, synchronous=FULL" : "journal_mode=WAL, synchronous=OFF";
}
static const char *mode_nqdb(int full) { return full ? "sync=NQ_SYNC_FULL" : "sync=NQ_SYNC_OFF"; }

static void print_text(const params *p, const machine *m, const mode_result *modes, int nmodes)
{
    printf("NeuroQuantumDB storage benchmark: nqdb %s against SQLite %s, same run\n",
           NQ_VERSION_STRING, sqlite3_libversion());
    bu_machine_print(m, p->root);
    printf("parameters:  %" PRIu32 " rows, %" PRIu32 " single-insert txns, %" PRIu32
           "-byte values, page %d, cache %d KiB, checkpoint every %d pages,\n"
           "             median of %d repetitions, seed %" PRIu64 ", build %s\n",
           p->rows, p->txns, p->value_bytes, PAGE_SIZE, CACHE_KIB, CHECKPOINT_PAGES, p->reps,
           p->seed, NQ_BENCH_BUILD_TYPE);
    if (m->is_ram)
        printf("WARNING: the files are on %s, where fsync costs nothing: durable lines are "
               "meaningless (use --dir on a disk)\n",
               m->fstype);
    if (strcmp(NQ_BENCH_BUILD_TYPE, "Release") != 0)
        printf("WARNING: not a Release build; use scripts/run-benchmarks\n");
    printf("ratio = sqlite / nqdb: above 1 means nqdb is faster (or smaller); "
           "spread = (max - min) / median over the repetitions, worst of the two engines\n");

    for (int mi = 0; mi < nmodes; mi++) {
        const mode_result *mr = &modes[mi];
        const side *nq = &mr->s[E_NQDB], *sq = &mr->s[E_SQLITE];
        printf("\n== durability %s: sqlite %s | nqdb %s ==\n", mr->sync_full ? "FULL" : "OFF",
               mode_sqlite(mr->sync_full), mode_nqdb(mr->sync_full));
        printf("%-28s %12s %12s %8s %14s %14s %7s\n", "workload", "nqdb", "sqlite", "ratio",
               "nqdb ops/s", "sqlite ops/s", "spread");
        for (int w = 0; w < W_COUNT; w++) {
            char label[64], tn[32] = "failed", ts[32] = "failed", ratio[32] = "n/a",
                            on[32] = "-", os[32] = "-", spread[16] = "-";
            snprintf(label, sizeof label, "%s", w_label[w]);
            double mn = 0, ms = 0, sp = 0;
            if (!nq->failed) {
                mn = side_median(nq, nq->secs[w]);
                bu_fmt_secs(tn, sizeof tn, mn);
                bu_fmt_count(on, sizeof on, mn > 0 ? (double)w_ops(p, w) / mn : 0);
                sp = side_spread(nq, nq->secs[w]);
            }
            if (!sq->failed) {
                ms = side_median(sq, sq->secs[w]);
                bu_fmt_secs(ts, sizeof ts, ms);
                bu_fmt_count(os, sizeof os, ms > 0 ? (double)w_ops(p, w) / ms : 0);
                double s2 = side_spread(sq, sq->secs[w]);
                if (s2 > sp)
                    sp = s2;
            }
            if (!nq->failed && !sq->failed && mn > 0)
                snprintf(ratio, sizeof ratio, "%.2fx", ms / mn);
            if (!nq->failed || !sq->failed)
                snprintf(spread, sizeof spread, "%.0f%%", sp * 100);
            printf("%-28s %12s %12s %8s %14s %14s %7s\n", label, tn, ts, ratio, on, os, spread);
        }
        /* memory and size */
        const char *labels[2] = {"peak RSS", "db files after seq inserts"};
        for (int k = 0; k < 2; k++) {
            char tn[32] = "failed", ts[32] = "failed", ratio[32] = "n/a", spread[16] = "-";
            double mn = 0, ms = 0, sp = 0;
            if (!nq->failed) {
                mn = side_median(nq, k == 0 ? nq->rss : nq->dbsize);
                bu_fmt_mib(tn, sizeof tn, k == 0 ? mn : mn / 1024.0);
                sp = side_spread(nq, k == 0 ? nq->rss : nq->dbsize);
            }
            if (!sq->failed) {
                ms = side_median(sq, k == 0 ? sq->rss : sq->dbsize);
                bu_fmt_mib(ts, sizeof ts, k == 0 ? ms : ms / 1024.0);
                double s2 = side_spread(sq, k == 0 ? sq->rss : sq->dbsize);
                if (s2 > sp)
                    sp = s2;
            }
            if (!nq->failed && !sq->failed && mn > 0)
                snprintf(ratio, sizeof ratio, "%.2fx", ms / mn);
            if (!nq->failed || !sq->failed)
                snprintf(spread, sizeof spread, "%.0f%%", sp * 100);
            printf("%-28s %12s %12s %8s %14s %14s %7s\n", labels[k], tn, ts, ratio, "", "",
                   spread);
        }
        char h[32];
        bu_fmt_mib(h, sizeof h, m->harness_rss_kib);
        printf("(peak RSS includes the harness alone: %s of keys, values and libraries)\n", h);
        for (int ei = 0; ei < E_COUNT; ei++) {
            const side *s = &mr->s[ei];
            if (s->failed) {
                printf("%s FAILED: %s\n", e_name[ei], s->err);
                continue;
            }
            printf("%s peak RSS after each line (rep 1):", e_name[ei]);
            for (int w = 0; w < W_COUNT; w++)
                printf(" %s %.1f MiB%s", w_key[w], s->first.rss_after[w] / 1024.0,
                       w + 1 < W_COUNT ? "," : "\n");
            for (int k = 0; k < N_COUNT; k++)
                printf("%s %s (rep 1): %s\n", e_name[ei], n_label[k], s->first.notes[k]);
        }
    }
}

static void json_samples(const side *s, const double *v, double scale)
{
    putchar('[');
    for (int i = 0; i < s->n; i++)
        printf("%s%.6f", i ? "," : "", v[i] * scale);
    putchar(']');
}

static void json_pair(const char *key, const char *unit, const side *nq, const side *sq,
                      const double *vn, const double *vs, double scale, uint64_t ops)
{
    printf("{\"name\":");
    bu_json_string(key);
    double mn = nq->failed ? 0 : side_median(nq, vn) * scale;
    double ms = sq->failed ? 0 : side_median(sq, vs) * scale;
    if (nq->failed)
        printf(",\"nqdb_%s\":null", unit);
    else
        printf(",\"nqdb_%s\":%.6f", unit, mn);
    if (sq->failed)
        printf(",\"sqlite_%s\":null", unit);
    else
        printf(",\"sqlite_%s\":%.6f", unit, ms);
    if (!nq->failed && !sq->failed && mn > 0)
        printf(",\"ratio\":%.4f", ms / mn);
    else
        printf(",\"ratio\":null");
    if (ops) {
        printf(",\"ops\":%" PRIu64, ops);
        if (!nq->failed && mn > 0)
            printf(",\"nqdb_ops_per_sec\":%.1f", (double)ops / mn);
        if (!sq->failed && ms > 0)
            printf(",\"sqlite_ops_per_sec\":%.1f", (double)ops / ms);
    }
    if (!nq->failed) {
        printf(",\"nqdb_samples\":");
        json_samples(nq, vn, scale);
    }
    if (!sq->failed) {
        printf(",\"sqlite_samples\":");
        json_samples(sq, vs, scale);
    }
    putchar('}');
}

static void print_json(const params *p, const machine *m, const mode_result *modes, int nmodes)
{
    printf("{\"benchmark\":\"storage\",\"nqdb_version\":");
    bu_json_string(NQ_VERSION_STRING);
    printf(",\"sqlite_version\":");
    bu_json_string(sqlite3_libversion());
    printf(",\"build_type\":");
    bu_json_string(NQ_BENCH_BUILD_TYPE);
    bu_machine_json(m, p->root);
    printf(",\"parameters\":{\"rows\":%" PRIu32 ",\"txns\":%" PRIu32 ",\"value_bytes\":%" PRIu32
           ",\"page_size\":%d,\"cache_bytes\":%zu,\"checkpoint_pages\":%d,\"repetitions\":%d,"
           "\"seed\":%" PRIu64 ",\"statistic\":\"median\"}",
           p->rows, p->txns, p->value_bytes, PAGE_SIZE, CACHE_BYTES, CHECKPOINT_PAGES, p->reps,
           p->seed);
    printf(",\"ratio\":\"sqlite / nqdb; above 1 means nqdb is faster or smaller\"");
    printf(",\"harness_peak_rss_kib\":%.0f,\"modes\":[", m->harness_rss_kib);
    for (int mi = 0; mi < nmodes; mi++) {
        const mode_result *mr = &modes[mi];
        const side *nq = &mr->s[E_NQDB], *sq = &mr->s[E_SQLITE];
        printf("%s{\"durability\":\"%s\",\"sqlite_settings\":", mi ? "," : "",
               mr->sync_full ? "full" : "off");
        bu_json_string(mode_sqlite(mr->sync_full));
        printf(",\"nqdb_settings\":");
        bu_json_string(mode_nqdb(mr->sync_full));
        printf(",\"workloads\":[");
        for (int w = 0; w < W_COUNT; w++) {
            if (w)
                putchar(',');
            json_pair(w_key[w], "seconds", nq, sq, nq->secs[w], sq->secs[w], 1.0, w_ops(p, w));
        }
        printf("],\"peak_rss\":");
        json_pair("peak_rss", "kib", nq, sq, nq->rss, sq->rss, 1.0, 0);
        printf(",\"seq_db_size\":");
        json_pair("seq_db_size", "bytes", nq, sq, nq->dbsize, sq->dbsize, 1.0, 0);
        printf(",\"engines\":{");
        for (int ei = 0; ei < E_COUNT; ei++) {
            const side *s = &mr->s[ei];
            printf("%s\"%s\":{\"error\":", ei ? "," : "", e_name[ei]);
            if (s->failed)
                bu_json_string(s->err);
            else
                printf("null");
            if (!s->failed) {
                printf(",\"peak_rss_kib_after\":{");
                for (int w = 0; w < W_COUNT; w++)
                    printf("%s\"%s\":%ld", w ? "," : "", w_key[w], s->first.rss_after[w]);
                printf("},\"notes\":{");
                static const char *nk[N_COUNT] = {"after_seq_insert", "after_lookups",
                                                  "after_single_insert_txns"};
                for (int k = 0; k < N_COUNT; k++) {
                    printf("%s\"%s\":", k ? "," : "", nk[k]);
                    bu_json_string(s->first.notes[k]);
                }
                putchar('}');
            }
            putchar('}');
        }
        printf("}}");
    }
    printf("]}\n");
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_storage [--rows N] [--txns N] [--value-bytes N] [--dir PATH]\n"
            "                     [--reps N] [--seed N] [--quick] [--json]\n"
            "  --rows N         rows for the insert, lookup and scan lines (default 1000000)\n"
            "  --txns N         single-insert transactions (default 10000)\n"
            "  --value-bytes N  bytes per value (default 100)\n"
            "  --dir PATH       where the scratch directory goes (default $TMPDIR, else /var/tmp);\n"
            "                   it must be on the file system you want to measure\n"
            "  --reps N         repetitions per measurement, median reported (default 3)\n"
            "  --seed N         seed of keys and values (default 42)\n"
            "  --quick          --rows 100000 --txns 1000: a fast check\n"
            "  --json           print the results as one JSON document\n"
            "Both engines always run, in the same run; ratios are sqlite / nqdb.\n");
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    params p;
    memset(&p, 0, sizeof p);
    p.rows = 1000000;
    p.txns = 10000;
    p.value_bytes = 100;
    p.reps = 3;
    p.seed = 42;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/var/tmp";
    int rows_set = 0, txns_set = 0, quick = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint32_t u;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            p.json = 1;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (!strcmp(a, "--rows") && v && !parse_u32(v, 1, UINT32_MAX - 1, &u)) {
            p.rows = u, rows_set = 1, i++;
        } else if (!strcmp(a, "--txns") && v && !parse_u32(v, 1, UINT32_MAX - 1, &u)) {
            p.txns = u, txns_set = 1, i++;
        } else if (!strcmp(a, "--value-bytes") && v &&
                   !parse_u32(v, 1, MAX_VALUE_BYTES, &u)) {
            p.value_bytes = u, i++;
        } else if (!strcmp(a, "--reps") && v && !parse_u32(v, 1, MAX_REPS, &u)) {
            p.reps = (int)u, i++;
        } else if (!strcmp(a, "--seed") && v && !parse_u32(v, 0, UINT32_MAX, &u)) {
            p.seed = u, i++;
        } else if (!strcmp(a, "--dir") && v) {
            dir = v, i++;
        } else {
            fprintf(stderr, "bench_storage: bad or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (quick) {
        if (!rows_set)
            p.rows = 100000;
        if (!txns_set)
            p.txns = 1000;
    }

    char tmpl[ROOT_MAX], real[PATH_MAX];
    if (snprintf(tmpl, sizeof tmpl, "%s/nqdb-bench-XXXXXX", dir) >= (int)sizeof tmpl ||
        !mkdtemp(tmpl)) {
        fprintf(stderr, "bench_storage: cannot make a scratch directory in %s: %s\n", dir,
                strerror(errno));
        return 2;
    }
    if (realpath(tmpl, real) && strlen(real) < sizeof p.root)
        memcpy(p.root, real, strlen(real) + 1);
    else
        memcpy(p.root, tmpl, strlen(tmpl) + 1);

    machine m;
    bu_machine_probe(&m, p.root);
    fprintf(stderr, "bench_storage: %" PRIu32 " rows, %" PRIu32 " txns, %" PRIu32
                    "-byte values, %d reps, scratch %s (%s)\n",
            p.rows, p.txns, p.value_bytes, p.reps, p.root, m.fstype);

    static child_result res; /* large; reused by every child round */
    char err[512];
    long rss;

    child_arg ha = {&p, -1, 1, 0};
    if (bu_run_child(child_main, &ha, &res, sizeof res, &rss, err, sizeof err) == 0)
        m.harness_rss_kib = (double)rss;

    static mode_result modes[2];
    int any_failed = 0;
    for (int mi = 0; mi < 2; mi++) {
        mode_result *mr = &modes[mi];
        mr->sync_full = mi == 0;
        for (int rep = 0; rep < p.reps; rep++) {
            for (int k = 0; k < E_COUNT; k++) {
                /* Alternate which engine goes first, so drift in the machine's state (page
                 * cache, writeback, thermal) does not always favour the same one. */
                int ei = (rep % 2 == 0) ? k : E_COUNT - 1 - k;
                side *s = &mr->s[ei];
                if (s->failed)
                    continue;
                child_arg ca = {&p, ei, mr->sync_full, rep};
                bu_flush_fs(p.root);
                double t0 = bu_now();
                int rc = bu_run_child(child_main, &ca, &res, sizeof res, &rss, err, sizeof err);
                if (rc != 0 || !res.ok) {
                    s->failed = 1;
                    any_failed = 1;
                    snprintf(s->err, sizeof s->err, "%s", rc != 0 ? err : res.err);
                    fprintf(stderr, "  [%s] rep %d/%d %-6s FAILED: %s\n",
                            mr->sync_full ? "full" : "off", rep + 1, p.reps, e_name[ei], s->err);
                    continue;
                }
                for (int w = 0; w < W_COUNT; w++)
                    s->secs[w][s->n] = res.secs[w];
                s->rss[s->n] = (double)rss;
                s->dbsize[s->n] = (double)res.seq_db_bytes;
                if (s->n == 0)
                    s->first = res;
                s->n++;
                fprintf(stderr,
                        "  [%s] rep %d/%d %-6s seq %.3fs rand %.3fs get %.3fs scan %.3fs "
                        "txn %.3fs rss %.1f MiB (%.0fs, pid %ld)\n",
                        mr->sync_full ? "full" : "off", rep + 1, p.reps, e_name[ei],
                        res.secs[W_SEQ], res.secs[W_RAND], res.secs[W_GET], res.secs[W_SCAN],
                        res.secs[W_TXN], rss / 1024.0, bu_now() - t0, res.pid);
            }
        }
    }
    bu_rm_rf(p.root);
    m.load_end = bu_loadavg();

    if (p.json)
        print_json(&p, &m, modes, 2);
    else
        print_text(&p, &m, modes, 2);
    return any_failed ? 1 : 0;
}
