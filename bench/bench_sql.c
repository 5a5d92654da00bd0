/*
 * bench_sql.c — the QSQL engine against SQLite 3.40, the same SQL text on both, in the same run.
 *
 * What it measures (the project's SQL benchmark issue): each engine, in its own forked child
 * process, runs one script through its C API (nq_prepare, nq_bind_* and nq_step against
 * sqlite3_prepare_v2, sqlite3_bind_* and sqlite3_step), with prepared statements and bound
 * parameters on both sides (no SQL text is formatted per row, for either engine):
 *   1. load t:  CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT, x REAL);
 *               CREATE INDEX t_k ON t(k); BEGIN; N x INSERT; COMMIT  (ids 1..N in order, k
 *               seeded random in [0, N), v 4..12 seeded letters, x a seeded multiple of 0.25)
 *   2. load u:  CREATE TABLE u(id INTEGER PRIMARY KEY, tid INTEGER, w INTEGER);
 *               CREATE INDEX u_tid ON u(tid); BEGIN; N/10 x INSERT; COMMIT  (tid random in
 *               1..N, w random in [0, 1000))
 *   -- the database is closed (checkpointed) and reopened: engine cache cold, OS cache warm --
 *   3. point:   Q x `SELECT v FROM t WHERE id = ?` with seeded random ids, once in autocommit
 *               mode and once inside one BEGIN ... COMMIT (in autocommit mode SQLite takes and
 *               releases a POSIX lock on the database file per statement, two fcntl calls of
 *               about 1.5 us each: the second line shows the query without that cost)
 *   4. range:   R x `SELECT count(*), sum(x) FROM t WHERE k BETWEEN ? AND ?` (width 100, so
 *               about 100 rows each), the same with `k >= ? AND k <= ?`, and R x
 *               `SELECT id, x FROM t WHERE k BETWEEN ? AND ?` returning the rows
 *   5. group:   `SELECT k % 1000, count(*), avg(x) FROM t GROUP BY k % 1000` over every row
 *   6. joins:   `SELECT count(*), sum(w) FROM u JOIN t ON t.id = u.tid WHERE u.w < ?` (an index
 *               nested loop: u scanned, t reached by its primary key), and two joins with no
 *               index on either join column, hash-join territory: `u.w = t.k % 1000` (an
 *               expression key, the first S rows of t) and `u.w = t.x` (two plain columns, the
 *               first N/10 rows of t; every integer column of t is indexed, so the REAL one is
 *               the unindexed partner). SQLite builds an automatic index for both.
 * Queries run in autocommit mode on both engines (each statement its own read transaction),
 * which is how a client issues them, except the second point-query line; the loads are one
 * explicit transaction each.
 * The planner's choice for every query is printed (EXPLAIN on nqdb, EXPLAIN QUERY PLAN on
 * SQLite), because a ratio means nothing until one knows which plans it compares.
 *
 * Correctness before speed: a benchmark over wrong answers is worthless, so every workload's
 * answers are checked and the program stops with a message (exit status 1) when they are not
 * equal across the engines (and, where the harness knows the answer, equal to it): row counts
 * after the loads, a digest of every value returned by the point queries, a digest of every
 * range query's answer (each BETWEEN answer must also equal its `>= AND <=` twin), every
 * group's count and average, the joins' counts and sums. Values of x are multiples of 0.25
 * below 1000, so every sum of x is exact in a double whatever the order of summation, and the
 * engines' sums can be compared for equality rather than within a tolerance.
 *
 * Fairness (the settings of bench_storage.c): page size 4096, cache 16 MiB (SQLite
 * cache_size=-16384, nqdb cache_bytes), automatic checkpoint every 1000 log pages, SQLite in WAL
 * mode with synchronous=FULL against NQ_SYNC_FULL (--sync off: synchronous=OFF against
 * NQ_SYNC_OFF), SQLITE_OPEN_NOMUTEX (the thread contract of an nq_db). Both engines are driven
 * by the same loops through a small function table (one indirect call per API call on both
 * sides). Text is bound without a copy where the API allows it (SQLITE_STATIC; nq_bind_text
 * always copies, which is nqdb's cost to pay) and read without one (sqlite3_column_text and
 * nq_column_blob, which gives a TEXT value's bytes; nq_column_text would format a copy).
 * Each repetition is a fresh process per engine on a fresh database; engines alternate which
 * goes first; the median of the repetitions is reported with its spread.
 *
 * Query workloads that would take too long on an engine (a plan that scans the table for each
 * of R queries) stop after --cap-seconds of one repetition: the line then reports how many
 * queries ran, and its ratio compares time per query. Answers are compared on the queries both
 * engines ran. Nothing here asserts on a time: the program reports.
 */
#include "bench_util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
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
#define CHECKPOINT_PAGES 1000
#define MAX_REPS 15
#define MAX_QUERIES 100000 /* per query workload; the per-query digests travel in the result */
#define RANGE_WIDTH 100    /* k BETWEEN lo AND lo + 99: about 100 rows, as k is dense in [0, N) */
#define GROUPS 1000        /* k % 1000 */
#define JOIN_W_LIMIT 500   /* u.w < 500: about half of u */
#define PLAN_BYTES 1200
#define ROOT_MAX 3072

/* ---- workloads ------------------------------------------------------------------------------ */
enum { W_LOAD_T, W_LOAD_U, W_POINT, W_POINT_TXN, W_RANGE, W_RANGE_CMP, W_RANGE_ROWS, W_GROUP, W_JOIN_IDX,
       W_JOIN_NOIDX, W_JOIN_COLS, W_COUNT };
static const char *const w_label[W_COUNT] = {
    "insert t, 1 txn", "insert u, 1 txn", "point query by id", "point query, in one txn",
    "range count/sum BETWEEN",
    "range count/sum >= AND <=", "range rows BETWEEN", "GROUP BY k % 1000", "join u-t by pk",
    "join no index, expression", "join no index, columns"};
static const char *const w_key[W_COUNT] = {"insert_t", "insert_u", "point", "point_txn", "range_agg",
                                           "range_agg_cmp", "range_rows", "group_by",
                                           "join_pk", "join_noindex", "join_noindex_cols"};
static const char *const SQL_CREATE_T =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT, x REAL)";
static const char *const SQL_INDEX_T = "CREATE INDEX t_k ON t(k)";
static const char *const SQL_CREATE_U =
    "CREATE TABLE u(id INTEGER PRIMARY KEY, tid INTEGER, w INTEGER)";
static const char *const SQL_INDEX_U = "CREATE INDEX u_tid ON u(tid)";
static const char *const w_sql[W_COUNT] = {
    "INSERT INTO t(id, k, v, x) VALUES(?, ?, ?, ?)",
    "INSERT INTO u(id, tid, w) VALUES(?, ?, ?)",
    "SELECT v FROM t WHERE id = ?",
    "SELECT v FROM t WHERE id = ?",
    "SELECT count(*), sum(x) FROM t WHERE k BETWEEN ? AND ?",
    "SELECT count(*), sum(x) FROM t WHERE k >= ? AND k <= ?",
    "SELECT id, x FROM t WHERE k BETWEEN ? AND ?",
    "SELECT k % 1000, count(*), avg(x) FROM t GROUP BY k % 1000",
    "SELECT count(*), sum(w) FROM u JOIN t ON t.id = u.tid WHERE u.w < ?",
    "SELECT count(*), sum(t.x), sum(u.w) FROM t JOIN u ON u.w = t.k % 1000 WHERE t.id <= ?",
    "SELECT count(*), sum(t.x), sum(u.w) FROM t JOIN u ON u.w = t.x WHERE t.id <= ?"};

enum { E_NQDB, E_SQLITE, E_COUNT };
static const char *const e_name[E_COUNT] = {"nqdb", "sqlite"};

typedef struct params {
    uint32_t rows, urows, points, ranges, join_rows;
    int reps, sync_full, json;
    uint32_t cache_mib;
    double cap_secs;
    uint64_t seed;
    char root[ROOT_MAX];
} params;

/* ---- the two engines behind one interface --------------------------------------------------- */
typedef struct eng {
    nq_db *nq;
    sqlite3 *sq;
    char err[600];
} eng;

typedef struct stm {
    eng *e;
    nq_stmt *nq;
    sqlite3_stmt *sq;
} stm;

typedef struct sql_ops {
    int (*open)(eng *e, const char *path, const params *p);
    int (*close)(eng *e);
    int (*prepare)(eng *e, const char *sql, stm *s);
    void (*finalize)(stm *s);
    int (*bind_i64)(stm *s, int i, int64_t v);
    int (*bind_f64)(stm *s, int i, double v);
    int (*bind_text)(stm *s, int i, const char *p, size_t n);
    int (*step)(stm *s); /* 1 = a row, 0 = done, -1 = error (message in e->err) */
    int (*reset)(stm *s);
    int64_t (*col_i64)(stm *s, int i);
    double (*col_f64)(stm *s, int i);
    const char *(*col_text)(stm *s, int i, size_t *n); /* NULL for SQL NULL */
    int (*explain)(eng *e, const char *sql, char *buf, size_t n);
} sql_ops;

/* Run a statement without parameters to its end, ignoring its rows. */
static int run_sql(const sql_ops *o, eng *e, const char *sql)
{
    stm s = {e, NULL, NULL};
    if (o->prepare(e, sql, &s))
        return -1;
    int rc;
    while ((rc = o->step(&s)) == 1)
        ;
    o->finalize(&s);
    return rc;
}

/* nqdb ---------------------------------------------------------------------------------------- */
static int nq_fail(eng *e, const char *what, int rc)
{
    const char *msg = e->nq ? nq_errmsg(e->nq) : NULL;
    snprintf(e->err, sizeof e->err, "nqdb %.200s: %.300s (%s)", what,
             msg && *msg ? msg : "-", nq_strerror(rc));
    return -1;
}

static int nqe_open(eng *e, const char *path, const params *p)
{
    nq_options o;
    nq_options_init(&o);
    o.page_size = PAGE_SIZE;
    o.cache_bytes = (size_t)p->cache_mib << 20;
    o.checkpoint_pages = CHECKPOINT_PAGES;
    o.sync = p->sync_full ? NQ_SYNC_FULL : NQ_SYNC_OFF;
    int rc = nq_open(path, &o, &e->nq);
    if (rc != NQ_OK) {
        nq_fail(e, "open", rc);
        if (e->nq)
            nq_close(e->nq);
        e->nq = NULL;
        return -1;
    }
    return 0;
}

static int nqe_close(eng *e)
{
    int rc = e->nq ? nq_close(e->nq) : NQ_OK;
    e->nq = NULL;
    if (rc != NQ_OK)
        snprintf(e->err, sizeof e->err, "nqdb close: %s", nq_strerror(rc));
    return rc == NQ_OK ? 0 : -1;
}

static int nqe_prepare(eng *e, const char *sql, stm *s)
{
    s->e = e;
    int rc = nq_prepare(e->nq, sql, (size_t)-1, &s->nq, NULL);
    return rc == NQ_OK && s->nq ? 0 : nq_fail(e, sql, rc);
}

static void nqe_finalize(stm *s)
{
    nq_finalize(s->nq);
    s->nq = NULL;
}

static int nqe_bind_i64(stm *s, int i, int64_t v)
{
    int rc = nq_bind_int64(s->nq, i, v);
    return rc == NQ_OK ? 0 : nq_fail(s->e, "bind", rc);
}

static int nqe_bind_f64(stm *s, int i, double v)
{
    int rc = nq_bind_double(s->nq, i, v);
    return rc == NQ_OK ? 0 : nq_fail(s->e, "bind", rc);
}

static int nqe_bind_text(stm *s, int i, const char *p, size_t n)
{
    int rc = nq_bind_text(s->nq, i, p, n);
    return rc == NQ_OK ? 0 : nq_fail(s->e, "bind", rc);
}

static int nqe_step(stm *s)
{
    int rc = nq_step(s->nq);
    if (rc == NQ_ROW)
        return 1;
    if (rc == NQ_DONE)
        return 0;
    return nq_fail(s->e, nq_stmt_sql(s->nq), rc);
}

static int nqe_reset(stm *s)
{
    int rc = nq_reset(s->nq);
    return rc == NQ_OK ? 0 : nq_fail(s->e, "reset", rc);
}

static int64_t nqe_col_i64(stm *s, int i) { return nq_column_int64(s->nq, i); }
static double nqe_col_f64(stm *s, int i) { return nq_column_double(s->nq, i); }

static const char *nqe_col_text(stm *s, int i, size_t *n)
{
    /* nq_column_blob hands out a TEXT value's bytes as stored; nq_column_text would format a
     * NUL-terminated copy (a malloc per call). */
    const char *p = nq_column_blob(s->nq, i);
    *n = p ? nq_column_bytes(s->nq, i) : 0;
    return p;
}

static int nqe_explain(eng *e, const char *sql, char *buf, size_t n)
{
    char q[1024];
    snprintf(q, sizeof q, "EXPLAIN %s", sql);
    stm s = {e, NULL, NULL};
    if (nqe_prepare(e, q, &s))
        return -1;
    size_t o = 0;
    buf[0] = '\0';
    int rc;
    while ((rc = nqe_step(&s)) == 1) {
        size_t len;
        const char *line = nqe_col_text(&s, 0, &len);
        if (line && o + 1 < n)
            o += (size_t)snprintf(buf + o, n - o, "%.*s\n", (int)len, line);
        if (o >= n)
            o = n - 1;
    }
    nqe_finalize(&s);
    return rc;
}

static const sql_ops nqdb_ops = {nqe_open,     nqe_close,    nqe_prepare, nqe_finalize,
                                 nqe_bind_i64, nqe_bind_f64, nqe_bind_text, nqe_step,
                                 nqe_reset,    nqe_col_i64,  nqe_col_f64, nqe_col_text,
                                 nqe_explain};

/* SQLite -------------------------------------------------------------------------------------- */
static int sq_fail(eng *e, const char *what)
{
    snprintf(e->err, sizeof e->err, "sqlite %.200s: %.300s", what,
             e->sq ? sqlite3_errmsg(e->sq) : "out of memory");
    return -1;
}

static int sq_exec(eng *e, const char *sql)
{
    return sqlite3_exec(e->sq, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : sq_fail(e, sql);
}

static int sqe_close(eng *e)
{
    int rc = e->sq ? sqlite3_close(e->sq) : SQLITE_OK;
    if (rc != SQLITE_OK)
        snprintf(e->err, sizeof e->err, "sqlite close: %s", sqlite3_errstr(rc));
    e->sq = NULL;
    return rc == SQLITE_OK ? 0 : -1;
}

static int sqe_open(eng *e, const char *path, const params *p)
{
    if (sqlite3_open_v2(path, &e->sq,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        sq_fail(e, "open");
        sqe_close(e);
        return -1;
    }
    char psz[64], cache[64], ckpt[64];
    snprintf(psz, sizeof psz, "PRAGMA page_size=%d", PAGE_SIZE);
    snprintf(cache, sizeof cache, "PRAGMA cache_size=-%" PRIu32, p->cache_mib * 1024);
    snprintf(ckpt, sizeof ckpt, "PRAGMA wal_autocheckpoint=%d", CHECKPOINT_PAGES);
    if (sq_exec(e, psz) || sq_exec(e, "PRAGMA journal_mode=WAL") ||
        sq_exec(e, p->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF") ||
        sq_exec(e, cache) || sq_exec(e, ckpt)) {
        sqe_close(e);
        return -1;
    }
    return 0;
}

static int sqe_prepare(eng *e, const char *sql, stm *s)
{
    s->e = e;
    return sqlite3_prepare_v2(e->sq, sql, -1, &s->sq, NULL) == SQLITE_OK && s->sq
               ? 0
               : sq_fail(e, sql);
}

static void sqe_finalize(stm *s)
{
    sqlite3_finalize(s->sq);
    s->sq = NULL;
}

static int sqe_bind_i64(stm *s, int i, int64_t v)
{
    return sqlite3_bind_int64(s->sq, i, v) == SQLITE_OK ? 0 : sq_fail(s->e, "bind");
}

static int sqe_bind_f64(stm *s, int i, double v)
{
    return sqlite3_bind_double(s->sq, i, v) == SQLITE_OK ? 0 : sq_fail(s->e, "bind");
}

static int sqe_bind_text(stm *s, int i, const char *p, size_t n)
{
    return sqlite3_bind_text(s->sq, i, p, (int)n, SQLITE_STATIC) == SQLITE_OK
               ? 0
               : sq_fail(s->e, "bind");
}

static int sqe_step(stm *s)
{
    int rc = sqlite3_step(s->sq);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sq_fail(s->e, sqlite3_sql(s->sq));
}

static int sqe_reset(stm *s)
{
    return sqlite3_reset(s->sq) == SQLITE_OK ? 0 : sq_fail(s->e, "reset");
}

static int64_t sqe_col_i64(stm *s, int i) { return sqlite3_column_int64(s->sq, i); }
static double sqe_col_f64(stm *s, int i) { return sqlite3_column_double(s->sq, i); }

static const char *sqe_col_text(stm *s, int i, size_t *n)
{
    const char *p = (const char *)sqlite3_column_text(s->sq, i);
    *n = p ? (size_t)sqlite3_column_bytes(s->sq, i) : 0;
    return p;
}

/* EXPLAIN QUERY PLAN rows are (id, parent, notused, detail): indent each by its depth. */
static int sqe_explain(eng *e, const char *sql, char *buf, size_t n)
{
    char q[1024];
    snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", sql);
    stm s = {e, NULL, NULL};
    if (sqe_prepare(e, q, &s))
        return -1;
    int ids[64], depth[64], nid = 0, rc;
    size_t o = 0;
    buf[0] = '\0';
    while ((rc = sqe_step(&s)) == 1) {
        int id = (int)sqlite3_column_int(s.sq, 0), parent = (int)sqlite3_column_int(s.sq, 1);
        int d = 0;
        for (int i = 0; i < nid; i++)
            if (ids[i] == parent)
                d = depth[i] + 1;
        if (nid < 64)
            ids[nid] = id, depth[nid++] = d;
        const char *detail = (const char *)sqlite3_column_text(s.sq, 3);
        if (o + 1 < n)
            o += (size_t)snprintf(buf + o, n - o, "%*s%s\n", 2 * d, "", detail ? detail : "?");
        if (o >= n)
            o = n - 1;
    }
    sqe_finalize(&s);
    return rc;
}

static const sql_ops sqlite_ops = {sqe_open,     sqe_close,    sqe_prepare, sqe_finalize,
                                   sqe_bind_i64, sqe_bind_f64, sqe_bind_text, sqe_step,
                                   sqe_reset,    sqe_col_i64,  sqe_col_f64, sqe_col_text,
                                   sqe_explain};

static const sql_ops *const engines[E_COUNT] = {&nqdb_ops, &sqlite_ops};

/* ---- the data: a pure function of (seed, row), the same for both engines -------------------- */
typedef struct trow {
    int64_t k;
    double x;
    char v[16];
    size_t vlen;
} trow;

static void t_row(const params *p, uint64_t id, trow *r)
{
    uint64_t h = bu_mix64(p->seed * 0x9e3779b97f4a7c15ULL ^ id);
    r->k = (int64_t)(h % p->rows);
    uint64_t h2 = bu_mix64(h ^ 0x5851f42d4c957f2dULL);
    r->x = (double)(h2 % 4000) * 0.25; /* exact: sums of these are exact in a double */
    uint64_t h3 = bu_mix64(h2);
    r->vlen = 4 + (size_t)(h3 % 9);
    for (size_t i = 0; i < r->vlen; i++) {
        h3 = h3 * 6364136223846793005ULL + 1442695040888963407ULL;
        r->v[i] = (char)('a' + (h3 >> 59) % 26);
    }
    r->v[r->vlen] = '\0';
}

static void u_row(const params *p, uint64_t id, int64_t *tid, int64_t *w)
{
    uint64_t h = bu_mix64((p->seed + 0x75) * 0xbf58476d1ce4e5b9ULL ^ id);
    *tid = 1 + (int64_t)(h % p->rows);
    *w = (int64_t)(bu_mix64(h) % 1000);
}

/* FNV-1a of the bytes, then mixed with the length: a digest of one returned text. */
static uint64_t text_digest(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
    return h ^ n;
}

/* A sum of x values, in quarters: an exact integer. */
static int64_t quarters(double x) { return (int64_t)llround(x * 4.0); }

/* ---- one engine's run, in a child process ---------------------------------------------------- */
typedef struct child_arg {
    const params *p;
    int engine; /* E_*, or -1 for the harness alone */
    int rep;
} child_arg;

typedef struct child_result {
    int ok;
    long pid;
    char err[800];
    double secs[W_COUNT];
    uint32_t done[W_COUNT];  /* operations completed (fewer than asked when capped) */
    uint64_t db_bytes;       /* database files after the loads and a close */
    uint64_t t_rows, u_rows; /* count(*) after the loads */
    uint64_t point_digest[2]; /* sum of text digests of the point queries' answers */
    uint64_t qd[3][MAX_QUERIES]; /* per-query digests: range, range_cmp, range_rows */
    uint32_t ngroups;
    int64_t gcount[GROUPS];
    double gavg[GROUPS];
    int64_t jcount[3], jsum_w[3], jsum_x4[3]; /* joins: count(*), sum(w), sum(x)*4 */
    char plan[W_COUNT][PLAN_BYTES];
} child_result;

static int make_dir(const char *path, child_result *res)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(res->err, sizeof res->err, "mkdir %.400s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The parameters of the query workloads: seeded, so both engines run the same queries. */
typedef struct queries {
    int64_t *point_id; /* points */
    int64_t *range_lo; /* ranges */
} queries;

static int make_queries(const params *p, queries *q)
{
    q->point_id = malloc((size_t)p->points * sizeof *q->point_id);
    q->range_lo = malloc((size_t)p->ranges * sizeof *q->range_lo);
    if (!q->point_id || !q->range_lo)
        return -1;
    bu_rng r;
    bu_rng_seed(&r, p->seed ^ 0x706f696e74ULL);
    for (uint32_t i = 0; i < p->points; i++)
        q->point_id[i] = 1 + (int64_t)bu_rng_below(&r, p->rows);
    bu_rng_seed(&r, p->seed ^ 0x72616e6765ULL);
    for (uint32_t i = 0; i < p->ranges; i++)
        q->range_lo[i] = (int64_t)bu_rng_below(&r, p->rows);
    return 0;
}

/* One engine's run: the engine, the statement being stepped, where the results go. Each workload
 * is its own function, so that a profile (perf record -g) splits by workload. */
typedef struct run {
    const sql_ops *o;
    eng e;
    stm s;
    const params *p;
    const queries *q;
    child_result *res;
} run;

#define CHECK(expr)                                                                               \
    do {                                                                                          \
        if ((expr) != 0)                                                                          \
            return -1;                                                                            \
    } while (0)

/* Prepare workload w's statement into r->s. */
static int prep(run *r, int w)
{
    r->s = (stm){&r->e, NULL, NULL};
    return r->o->prepare(&r->e, w_sql[w], &r->s);
}

static void fin(run *r) { r->o->finalize(&r->s); }

/* 1. load t: schema and N rows in one transaction. */
static int wl_load_t(run *r)
{
    const sql_ops *o = r->o;
    const params *p = r->p;
    double t0 = bu_now();
    CHECK(run_sql(o, &r->e, SQL_CREATE_T));
    CHECK(run_sql(o, &r->e, SQL_INDEX_T));
    CHECK(run_sql(o, &r->e, "BEGIN"));
    CHECK(prep(r, W_LOAD_T));
    for (uint64_t id = 1; id <= p->rows; id++) {
        trow t;
        t_row(p, id, &t);
        CHECK(o->bind_i64(&r->s, 1, (int64_t)id));
        CHECK(o->bind_i64(&r->s, 2, t.k));
        CHECK(o->bind_text(&r->s, 3, t.v, t.vlen));
        CHECK(o->bind_f64(&r->s, 4, t.x));
        CHECK(o->step(&r->s) < 0);
        CHECK(o->reset(&r->s));
    }
    fin(r);
    CHECK(run_sql(o, &r->e, "COMMIT"));
    r->res->secs[W_LOAD_T] = bu_now() - t0;
    r->res->done[W_LOAD_T] = p->rows;
    return 0;
}

/* 2. load u. */
static int wl_load_u(run *r)
{
    const sql_ops *o = r->o;
    const params *p = r->p;
    double t0 = bu_now();
    CHECK(run_sql(o, &r->e, SQL_CREATE_U));
    CHECK(run_sql(o, &r->e, SQL_INDEX_U));
    CHECK(run_sql(o, &r->e, "BEGIN"));
    CHECK(prep(r, W_LOAD_U));
    for (uint64_t id = 1; id <= p->urows; id++) {
        int64_t tid, w;
        u_row(p, id, &tid, &w);
        CHECK(o->bind_i64(&r->s, 1, (int64_t)id));
        CHECK(o->bind_i64(&r->s, 2, tid));
        CHECK(o->bind_i64(&r->s, 3, w));
        CHECK(o->step(&r->s) < 0);
        CHECK(o->reset(&r->s));
    }
    fin(r);
    CHECK(run_sql(o, &r->e, "COMMIT"));
    r->res->secs[W_LOAD_U] = bu_now() - t0;
    r->res->done[W_LOAD_U] = p->urows;
    return 0;
}

/* count(*) of both tables, untimed. */
static int count_rows(run *r)
{
    for (int i = 0; i < 2; i++) {
        r->s = (stm){&r->e, NULL, NULL};
        CHECK(r->o->prepare(&r->e, i ? "SELECT count(*) FROM u" : "SELECT count(*) FROM t",
                            &r->s));
        CHECK(r->o->step(&r->s) != 1);
        *(i ? &r->res->u_rows : &r->res->t_rows) = (uint64_t)r->o->col_i64(&r->s, 0);
        fin(r);
    }
    return 0;
}

/* 3. point queries by primary key: line W_POINT in autocommit mode (each query its own
 *    transaction), line W_POINT_TXN the same queries inside one BEGIN ... COMMIT. */
static int wl_points(run *r, int w)
{
    const sql_ops *o = r->o;
    CHECK(prep(r, w));
    uint64_t pd = 0;
    int rc;
    double t0 = bu_now();
    if (w == W_POINT_TXN)
        CHECK(run_sql(o, &r->e, "BEGIN"));
    for (uint32_t i = 0; i < r->p->points; i++) {
        CHECK(o->bind_i64(&r->s, 1, r->q->point_id[i]));
        while ((rc = o->step(&r->s)) == 1) {
            size_t n;
            const char *v = o->col_text(&r->s, 0, &n);
            pd += v ? text_digest(v, n) : 0;
        }
        CHECK(rc);
        CHECK(o->reset(&r->s));
    }
    if (w == W_POINT_TXN)
        CHECK(run_sql(o, &r->e, "COMMIT"));
    r->res->secs[w] = bu_now() - t0;
    r->res->done[w] = r->p->points;
    r->res->point_digest[w - W_POINT] = pd;
    fin(r);
    return 0;
}

/* 4. range queries through the secondary index, line w (capped: a plan that scans the table
 *    for every query would take hours at full size). */
static int wl_ranges(run *r, int w)
{
    const sql_ops *o = r->o;
    uint64_t *dig = r->res->qd[w - W_RANGE];
    CHECK(prep(r, w));
    uint32_t i = 0;
    int rc;
    double t0 = bu_now(), t_end = t0 + r->p->cap_secs;
    for (; i < r->p->ranges; i++) {
        if ((i & 7) == 0 && i > 0 && bu_now() > t_end)
            break;
        int64_t lo = r->q->range_lo[i];
        CHECK(o->bind_i64(&r->s, 1, lo));
        CHECK(o->bind_i64(&r->s, 2, lo + RANGE_WIDTH - 1));
        uint64_t cnt = 0, sid = 0;
        int64_t sx4 = 0;
        while ((rc = o->step(&r->s)) == 1) {
            if (w == W_RANGE_ROWS) {
                cnt++;
                sid += (uint64_t)o->col_i64(&r->s, 0);
                sx4 += quarters(o->col_f64(&r->s, 1));
            } else {
                cnt = (uint64_t)o->col_i64(&r->s, 0);
                sx4 = quarters(o->col_f64(&r->s, 1));
            }
        }
        CHECK(rc);
        CHECK(o->reset(&r->s));
        /* The two aggregate forms must give the same digest; the rows form folds in the sum
         * of the ids as well, and is compared across the engines. */
        dig[i] = bu_mix64(cnt) ^ (uint64_t)sx4;
        if (w == W_RANGE_ROWS)
            dig[i] ^= bu_mix64(sid + 0x726f7773ULL);
    }
    r->res->secs[w] = bu_now() - t0;
    r->res->done[w] = i;
    fin(r);
    return 0;
}

/* 5. GROUP BY over every row. */
static int wl_group(run *r)
{
    const sql_ops *o = r->o;
    child_result *res = r->res;
    CHECK(prep(r, W_GROUP));
    int rc;
    double t0 = bu_now();
    while ((rc = o->step(&r->s)) == 1) {
        int64_t g = o->col_i64(&r->s, 0);
        if (g < 0 || g >= GROUPS || res->gcount[g] != 0) {
            snprintf(r->e.err, sizeof r->e.err, "GROUP BY: bad or repeated group %" PRId64, g);
            return -1;
        }
        res->gcount[g] = o->col_i64(&r->s, 1);
        res->gavg[g] = o->col_f64(&r->s, 2);
        res->ngroups++;
    }
    CHECK(rc);
    res->secs[W_GROUP] = bu_now() - t0;
    res->done[W_GROUP] = 1;
    fin(r);
    return 0;
}

/* 6a. the join through the primary key of t. */
static int wl_join_pk(run *r)
{
    const sql_ops *o = r->o;
    CHECK(prep(r, W_JOIN_IDX));
    CHECK(o->bind_i64(&r->s, 1, JOIN_W_LIMIT));
    int rc;
    double t0 = bu_now();
    while ((rc = o->step(&r->s)) == 1) {
        r->res->jcount[0] = o->col_i64(&r->s, 0);
        r->res->jsum_w[0] = o->col_i64(&r->s, 1);
    }
    CHECK(rc);
    r->res->secs[W_JOIN_IDX] = bu_now() - t0;
    r->res->done[W_JOIN_IDX] = 1;
    fin(r);
    return 0;
}

/* 6b. the joins with no index on either join column: line W_JOIN_NOIDX joins on an
 *     expression of t (`u.w = t.k % 1000`, the first join_rows rows of t), line W_JOIN_COLS
 *     on two plain columns (`u.w = t.x`, the first N/10 rows of t; x is integral for a
 *     quarter of the rows). */
static int wl_join_noidx(run *r, int w)
{
    const sql_ops *o = r->o;
    int j = w - W_JOIN_IDX;
    CHECK(prep(r, w));
    CHECK(o->bind_i64(&r->s, 1, w == W_JOIN_NOIDX ? r->p->join_rows : r->p->urows));
    int rc;
    double t0 = bu_now();
    while ((rc = o->step(&r->s)) == 1) {
        r->res->jcount[j] = o->col_i64(&r->s, 0);
        r->res->jsum_x4[j] = quarters(o->col_f64(&r->s, 1));
        r->res->jsum_w[j] = o->col_i64(&r->s, 2);
    }
    CHECK(rc);
    r->res->secs[w] = bu_now() - t0;
    r->res->done[w] = 1;
    fin(r);
    return 0;
}

/* The whole script on one engine; 0, or -1 with the message in r->e.err. */
static int run_script(run *r, const char *dir, const char *path, int rep)
{
    const sql_ops *o = r->o;
    CHECK(o->open(&r->e, path, r->p));
    bu_flush_fs(r->p->root);
    CHECK(wl_load_t(r));
    bu_flush_fs(r->p->root);
    CHECK(wl_load_u(r));
    /* Close (the final checkpoint), measure the files, reopen with an empty engine cache. */
    CHECK(o->close(&r->e));
    r->res->db_bytes = bu_dir_bytes(dir);
    CHECK(o->open(&r->e, path, r->p));
    CHECK(count_rows(r));
    bu_flush_fs(r->p->root);
    CHECK(wl_points(r, W_POINT));
    CHECK(wl_points(r, W_POINT_TXN));
    for (int w = W_RANGE; w <= W_RANGE_ROWS; w++)
        CHECK(wl_ranges(r, w));
    CHECK(wl_group(r));
    CHECK(wl_join_pk(r));
    CHECK(wl_join_noidx(r, W_JOIN_NOIDX));
    CHECK(wl_join_noidx(r, W_JOIN_COLS));
    /* The plans, untimed (they do not change between repetitions). */
    if (rep == 0)
        for (int w = W_POINT; w < W_COUNT; w++)
            CHECK(o->explain(&r->e, w_sql[w], r->res->plan[w], PLAN_BYTES));
    return o->close(&r->e);
}
#undef CHECK

static void child_main(void *argp, void *outp)
{
    const child_arg *a = argp;
    const params *p = a->p;
    child_result *res = outp;
    memset(res, 0, sizeof *res);
    res->pid = (long)getpid();
    queries q = {NULL, NULL};
    if (make_queries(p, &q)) {
        snprintf(res->err, sizeof res->err, "out of memory for the query parameters");
    } else if (a->engine < 0) { /* the harness alone: same allocations and buffers, no engine */
        memset(res->qd, 0, sizeof res->qd);
        res->ok = 1;
    } else {
        char dir[ROOT_MAX + 64], path[ROOT_MAX + 96];
        snprintf(dir, sizeof dir, "%s/%s-%d", p->root, e_name[a->engine], a->rep);
        snprintf(path, sizeof path, "%s/sql.db", dir);
        if (make_dir(dir, res) == 0) {
            run r;
            memset(&r, 0, sizeof r);
            r.o = engines[a->engine];
            r.p = p;
            r.q = &q;
            r.res = res;
            if (run_script(&r, dir, path, a->rep) == 0) {
                res->ok = 1;
            } else {
                snprintf(res->err, sizeof res->err, "%s", r.e.err);
                if (r.s.nq || r.s.sq)
                    r.o->finalize(&r.s);
                if (r.e.nq || r.e.sq)
                    r.o->close(&r.e);
            }
            bu_rm_rf(dir);
        }
    }
    free(q.point_id);
    free(q.range_lo);
}

/* ---- what the harness knows the answers to ---------------------------------------------------- */
typedef struct oracle {
    uint64_t point_digest;
    int64_t gcount[GROUPS], gsum4[GROUPS];
    uint32_t ngroups;
    int64_t jcount[3], jsum_w[3], jsum_x4[3];
} oracle;

static int make_oracle(const params *p, oracle *or)
{
    memset(or, 0, sizeof *or);
    queries q = {NULL, NULL};
    if (make_queries(p, &q)) {
        free(q.point_id);
        free(q.range_lo);
        return -1;
    }
    for (uint32_t i = 0; i < p->points; i++) {
        trow r;
        t_row(p, (uint64_t)q.point_id[i], &r);
        or->point_digest += text_digest(r.v, r.vlen);
    }
    free(q.point_id);
    free(q.range_lo);
    int64_t wcount[1000] = {0};
    for (uint64_t id = 1; id <= p->urows; id++) {
        int64_t tid, w;
        u_row(p, id, &tid, &w);
        wcount[w]++;
        if (w < JOIN_W_LIMIT) { /* every tid names a row of t */
            or->jcount[0]++;
            or->jsum_w[0] += w;
        }
    }
    for (uint64_t id = 1; id <= p->rows; id++) {
        trow r;
        t_row(p, id, &r);
        int64_t g = r.k % GROUPS;
        if (or->gcount[g]++ == 0)
            or->ngroups++;
        or->gsum4[g] += quarters(r.x);
        if (id <= p->join_rows) { /* u.w = t.k % 1000 matches wcount[g] rows of u */
            or->jcount[1] += wcount[g];
            or->jsum_w[1] += wcount[g] * g;
            or->jsum_x4[1] += wcount[g] * quarters(r.x);
        }
        int64_t xi = (int64_t)r.x; /* u.w = t.x: integral x below 1000 meets wcount[x] rows */
        if (id <= p->urows && (double)xi == r.x && xi < 1000) {
            or->jcount[2] += wcount[xi];
            or->jsum_w[2] += wcount[xi] * xi;
            or->jsum_x4[2] += wcount[xi] * quarters(r.x);
        }
    }
    return 0;
}

static int same_double(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

/* Check one run's answers against the harness; a message in err when they are wrong. */
static int check_oracle(const params *p, const oracle *or, const child_result *r, char *err,
                        size_t n)
{
    if (r->t_rows != p->rows || r->u_rows != p->urows) {
        snprintf(err, n, "after the loads count(*) gives t %" PRIu64 ", u %" PRIu64
                         "; want %" PRIu32 ", %" PRIu32,
                 r->t_rows, r->u_rows, p->rows, p->urows);
        return -1;
    }
    for (int i = 0; i < 2; i++)
        if (r->point_digest[i] != or->point_digest) {
            snprintf(err, n, "%s: wrong values (digest %016" PRIx64 ", want %016" PRIx64 ")",
                     w_label[W_POINT + i], r->point_digest[i], or->point_digest);
            return -1;
        }
    if (r->ngroups != or->ngroups) {
        snprintf(err, n, "GROUP BY gave %" PRIu32 " groups, want %" PRIu32, r->ngroups,
                 or->ngroups);
        return -1;
    }
    for (int g = 0; g < GROUPS; g++) {
        if (!or->gcount[g])
            continue;
        double want = (double)or->gsum4[g] / 4.0 / (double)or->gcount[g];
        if (r->gcount[g] != or->gcount[g] || !same_double(r->gavg[g], want)) {
            snprintf(err, n, "GROUP BY group %d: count %" PRId64 " avg %.17g; want %" PRId64
                             " and %.17g",
                     g, r->gcount[g], r->gavg[g], or->gcount[g], want);
            return -1;
        }
    }
    for (int j = 0; j < 3; j++)
        if (r->jcount[j] != or->jcount[j] || r->jsum_w[j] != or->jsum_w[j] ||
            r->jsum_x4[j] != or->jsum_x4[j]) {
            snprintf(err, n, "%s: count %" PRId64 ", sum(w) %" PRId64 ", sum(x) %.2f; want %"
                             PRId64 ", %" PRId64 ", %.2f",
                     w_label[W_JOIN_IDX + j], r->jcount[j], r->jsum_w[j], r->jsum_x4[j] / 4.0,
                     or->jcount[j], or->jsum_w[j], or->jsum_x4[j] / 4.0);
            return -1;
        }
    /* The two spellings of a range must give the same answers to the same queries. */
    uint32_t m = r->done[W_RANGE] < r->done[W_RANGE_CMP] ? r->done[W_RANGE] : r->done[W_RANGE_CMP];
    for (uint32_t i = 0; i < m; i++)
        if (r->qd[0][i] != r->qd[1][i]) {
            snprintf(err, n, "range query %" PRIu32 ": BETWEEN and >= AND <= disagree", i);
            return -1;
        }
    return 0;
}

/* Compare the per-query range answers of two runs over the queries both ran. */
static int check_ranges(const child_result *a, const child_result *b, const char *an,
                        const char *bn, char *err, size_t n)
{
    for (int w = W_RANGE; w <= W_RANGE_ROWS; w++) {
        uint32_t m = a->done[w] < b->done[w] ? a->done[w] : b->done[w];
        for (uint32_t i = 0; i < m; i++)
            if (a->qd[w - W_RANGE][i] != b->qd[w - W_RANGE][i]) {
                snprintf(err, n, "%s: query %" PRIu32 " answered differently by %s and %s",
                         w_label[w], i, an, bn);
                return -1;
            }
    }
    return 0;
}

/* ---- the parent: repetitions, medians, report ------------------------------------------------ */
typedef struct side {
    int failed;
    char err[900];
    int n;
    double secs[W_COUNT][MAX_REPS];
    uint32_t done[W_COUNT][MAX_REPS];
    double rss[MAX_REPS], dbsize[MAX_REPS];
    child_result first;
} side;

/* Seconds per operation of repetition i of workload w. */
static double per_op(const side *s, int w, int i)
{
    return s->done[w][i] ? s->secs[w][i] / s->done[w][i] : 0.0;
}

static double median_of(const double *v, int n)
{
    double tmp[MAX_REPS];
    memcpy(tmp, v, (size_t)n * sizeof *tmp);
    return bu_median(tmp, n);
}

static double spread_of(const double *v, int n)
{
    double lo = v[0], hi = v[0];
    for (int i = 1; i < n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    double m = median_of(v, n);
    return m > 0 ? (hi - lo) / m : 0.0;
}

typedef struct wstat {
    double op_secs; /* median seconds per operation */
    double secs;    /* median seconds of the whole line (as run) */
    double spread;  /* of the per-operation times */
    uint32_t min_done, max_done;
} wstat;

static wstat stat_of(const side *s, int w)
{
    wstat st = {0, 0, 0, UINT32_MAX, 0};
    double ops[MAX_REPS];
    for (int i = 0; i < s->n; i++) {
        ops[i] = per_op(s, w, i);
        st.min_done = s->done[w][i] < st.min_done ? s->done[w][i] : st.min_done;
        st.max_done = s->done[w][i] > st.max_done ? s->done[w][i] : st.max_done;
    }
    st.op_secs = median_of(ops, s->n);
    st.secs = median_of(s->secs[w], s->n);
    st.spread = spread_of(ops, s->n);
    return st;
}

static uint32_t w_ops(const params *p, int w)
{
    switch (w) {
    case W_LOAD_T: return p->rows;
    case W_LOAD_U: return p->urows;
    case W_POINT:
    case W_POINT_TXN: return p->points;
    case W_RANGE:
    case W_RANGE_CMP:
    case W_RANGE_ROWS: return p->ranges;
    default: return 1;
    }
}

typedef bu_machine machine;

static const char *mode_sqlite(const params *p)
{
    return p->sync_full ? "journal_mode=WAL, synchronous=FULL" : "journal_mode=WAL, synchronous=OFF";
}
static const char *mode_nqdb(const params *p)
{
    return p->sync_full ? "sync=NQ_SYNC_FULL" : "sync=NQ_SYNC_OFF";
}

/* A line is capped when some repetition of either engine stopped before all its queries. */
static int capped(const params *p, const side *nq, const side *sq, int w)
{
    return stat_of(nq, w).min_done < w_ops(p, w) || stat_of(sq, w).min_done < w_ops(p, w);
}

static void print_plan(const char *who, const char *plan)
{
    const char *s = plan;
    if (!*s) {
        printf("    %-6s (none)\n", who);
        return;
    }
    int first = 1;
    while (*s) {
        const char *nl = strchr(s, '\n');
        int len = nl ? (int)(nl - s) : (int)strlen(s);
        printf("    %-6s %.*s\n", first ? who : "", len, s);
        first = 0;
        s += len + (nl ? 1 : 0);
    }
}

static void print_text(const params *p, const machine *m, const side *nq, const side *sq)
{
    printf("NeuroQuantumDB SQL benchmark: nqdb %s (QSQL) against SQLite %s, same SQL, same run\n",
           NQ_VERSION_STRING, sqlite3_libversion());
    bu_machine_print(m, p->root);
    printf("settings:    sqlite %s | nqdb %s; page %d, cache %" PRIu32 " MiB, checkpoint every %d"
           " pages\n",
           mode_sqlite(p), mode_nqdb(p), PAGE_SIZE, p->cache_mib, CHECKPOINT_PAGES);
    printf("parameters:  t %" PRIu32 " rows, u %" PRIu32 " rows, %" PRIu32 " point queries, %" PRIu32
           " range queries (width %d),\n"
           "             no-index joins over t.id <= %" PRIu32 " (expression) and <= %" PRIu32
           " (columns), cap %.1f s per query line,\n"
           "             median of %d repetitions, seed %" PRIu64 ", build %s\n",
           p->rows, p->urows, p->points, p->ranges, RANGE_WIDTH, p->join_rows, p->urows,
           p->cap_secs, p->reps, p->seed, NQ_BENCH_BUILD_TYPE);
    if (m->is_ram)
        printf("WARNING: the files are on %s, where fsync costs nothing (use --dir on a disk)\n",
               m->fstype);
    if (strcmp(NQ_BENCH_BUILD_TYPE, "Release") != 0)
        printf("WARNING: not a Release build; use scripts/run-benchmarks\n");
    printf("ratio = sqlite / nqdb time per operation: above 1 means nqdb is faster (or smaller); "
           "spread = (max - min) / median\n\n");

    printf("%-27s %9s %13s %13s %9s %12s %12s %7s\n", "workload", "ops", "nqdb", "sqlite",
           "ratio", "nqdb ops/s", "sqlite ops/s", "spread");
    int any_capped = 0;
    for (int w = 0; w < W_COUNT; w++) {
        char ops[32], tn[40] = "failed", ts[40] = "failed", ratio[32] = "n/a", on[32] = "-",
                      os[32] = "-", spread[16] = "-";
        bu_fmt_count(ops, sizeof ops, w_ops(p, w));
        int cap = !nq->failed && !sq->failed && capped(p, nq, sq, w);
        any_capped |= cap;
        wstat a = {0}, b = {0};
        double sp = 0;
        const side *sd[2] = {nq, sq};
        char *tx[2] = {tn, ts}, *ox[2] = {on, os};
        wstat *st[2] = {&a, &b};
        for (int k = 0; k < 2; k++) {
            if (sd[k]->failed)
                continue;
            *st[k] = stat_of(sd[k], w);
            if (cap) { /* time per query, with how many ran */
                char t[24];
                bu_fmt_secs(t, sizeof t, st[k]->op_secs);
                snprintf(tx[k], 40, "%s/q%s", t, st[k]->min_done < w_ops(p, w) ? "*" : "");
            } else {
                bu_fmt_secs(tx[k], 40, st[k]->secs);
            }
            bu_fmt_count(ox[k], 32, st[k]->op_secs > 0 ? 1.0 / st[k]->op_secs : 0);
            sp = st[k]->spread > sp ? st[k]->spread : sp;
        }
        if (!nq->failed && !sq->failed && a.op_secs > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", b.op_secs / a.op_secs);
        if (!nq->failed || !sq->failed)
            snprintf(spread, sizeof spread, "%.0f%%", sp * 100);
        printf("%-27s %9s %13s %13s %9s %12s %12s %7s\n", w_label[w], ops, tn, ts, ratio, on, os,
               spread);
    }
    const char *labels[2] = {"peak RSS", "db files after loads"};
    for (int k = 0; k < 2; k++) {
        char tn[32] = "failed", ts[32] = "failed", ratio[32] = "n/a";
        double mn = 0, ms = 0;
        if (!nq->failed) {
            mn = median_of(k ? nq->dbsize : nq->rss, nq->n) / (k ? 1048576.0 : 1024.0);
            snprintf(tn, sizeof tn, "%.1f MiB", mn);
        }
        if (!sq->failed) {
            ms = median_of(k ? sq->dbsize : sq->rss, sq->n) / (k ? 1048576.0 : 1024.0);
            snprintf(ts, sizeof ts, "%.1f MiB", ms);
        }
        if (!nq->failed && !sq->failed && mn > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", ms / mn);
        printf("%-27s %9s %13s %13s %9s\n", labels[k], "", tn, ts, ratio);
    }
    printf("(peak RSS includes the harness alone: %.1f MiB)\n", m->harness_rss_kib / 1024.0);
    if (any_capped) {
        printf("* capped at %.1f s per repetition; ran", p->cap_secs);
        int first = 1;
        for (int w = 0; w < W_COUNT; w++) {
            if (nq->failed || sq->failed || !capped(p, nq, sq, w))
                continue;
            for (int k = 0; k < 2; k++) {
                wstat st = stat_of(k ? sq : nq, w);
                if (st.min_done < w_ops(p, w))
                    printf("%s %s %" PRIu32 "-%" PRIu32 " of %" PRIu32 " (%s)", first ? "" : ";",
                           e_name[k], st.min_done, st.max_done, w_ops(p, w), w_key[w]);
                first = 0;
            }
        }
        printf(".\n  Capped lines show time per query; answers were compared on the queries both"
               " engines ran.\n");
    }
    if (!nq->failed && !sq->failed)
        printf("answers: equal across the engines on every workload, and equal to the harness's "
               "own (loads, point queries, GROUP BY, joins)\n");

    printf("\nplans (nqdb: EXPLAIN; sqlite: EXPLAIN QUERY PLAN):\n");
    for (int w = W_POINT; w < W_COUNT; w++) {
        printf("  %s: %s\n", w_label[w], w_sql[w]);
        if (!nq->failed)
            print_plan("nqdb", nq->first.plan[w]);
        if (!sq->failed)
            print_plan("sqlite", sq->first.plan[w]);
    }
    for (int k = 0; k < 2; k++) {
        const side *s = k ? sq : nq;
        if (s->failed)
            printf("%s FAILED: %s\n", e_name[k], s->err);
    }
}

static void json_side(const side *s, int w)
{
    if (s->failed) {
        printf("null");
        return;
    }
    wstat st = stat_of(s, w);
    printf("{\"seconds\":%.6f,\"seconds_per_op\":%.9f,\"ops_per_sec\":%.1f,\"min_done\":%" PRIu32
           ",\"samples\":[",
           st.secs, st.op_secs, st.op_secs > 0 ? 1.0 / st.op_secs : 0.0, st.min_done);
    for (int i = 0; i < s->n; i++)
        printf("%s[%.6f,%" PRIu32 "]", i ? "," : "", s->secs[w][i], s->done[w][i]);
    printf("]}");
}

static void print_json(const params *p, const machine *m, const side *nq, const side *sq)
{
    printf("{\"benchmark\":\"sql\",\"nqdb_version\":");
    bu_json_string(NQ_VERSION_STRING);
    printf(",\"sqlite_version\":");
    bu_json_string(sqlite3_libversion());
    printf(",\"build_type\":");
    bu_json_string(NQ_BENCH_BUILD_TYPE);
    bu_machine_json(m, p->root);
    printf(",\"settings\":{\"sqlite\":");
    bu_json_string(mode_sqlite(p));
    printf(",\"nqdb\":");
    bu_json_string(mode_nqdb(p));
    printf(",\"page_size\":%d,\"cache_mib\":%" PRIu32 ",\"checkpoint_pages\":%d}", PAGE_SIZE,
           p->cache_mib, CHECKPOINT_PAGES);
    printf(",\"parameters\":{\"rows\":%" PRIu32 ",\"urows\":%" PRIu32 ",\"points\":%" PRIu32
           ",\"ranges\":%" PRIu32 ",\"range_width\":%d,\"join_rows\":%" PRIu32
           ",\"cap_seconds\":%.2f,\"repetitions\":%d,\"seed\":%" PRIu64
           ",\"statistic\":\"median\"}",
           p->rows, p->urows, p->points, p->ranges, RANGE_WIDTH, p->join_rows, p->cap_secs,
           p->reps, p->seed);
    printf(",\"ratio\":\"sqlite / nqdb time per operation; above 1 means nqdb is faster\"");
    printf(",\"harness_peak_rss_kib\":%.0f,\"workloads\":[", m->harness_rss_kib);
    for (int w = 0; w < W_COUNT; w++) {
        printf("%s{\"name\":", w ? "," : "");
        bu_json_string(w_key[w]);
        printf(",\"sql\":");
        bu_json_string(w_sql[w]);
        printf(",\"ops\":%" PRIu32 ",\"nqdb\":", w_ops(p, w));
        json_side(nq, w);
        printf(",\"sqlite\":");
        json_side(sq, w);
        if (!nq->failed && !sq->failed && stat_of(nq, w).op_secs > 0)
            printf(",\"ratio\":%.4f", stat_of(sq, w).op_secs / stat_of(nq, w).op_secs);
        else
            printf(",\"ratio\":null");
        if (w >= W_POINT) {
            printf(",\"plan_nqdb\":");
            bu_json_string(nq->failed ? "" : nq->first.plan[w]);
            printf(",\"plan_sqlite\":");
            bu_json_string(sq->failed ? "" : sq->first.plan[w]);
        }
        putchar('}');
    }
    printf("],\"engines\":{");
    for (int k = 0; k < 2; k++) {
        const side *s = k ? sq : nq;
        printf("%s\"%s\":{\"error\":", k ? "," : "", e_name[k]);
        if (s->failed)
            bu_json_string(s->err);
        else
            printf("null,\"peak_rss_kib\":%.0f,\"db_bytes\":%.0f", median_of(s->rss, s->n),
                   median_of(s->dbsize, s->n));
        putchar('}');
    }
    printf("}}\n");
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_sql [--rows N] [--points N] [--ranges N] [--join-rows N] [--reps N]\n"
            "                 [--cap-seconds S] [--sync full|off] [--cache-mib N] [--dir PATH]\n"
            "                 [--seed N] [--quick] [--json]\n"
            "  --rows N         rows of t (default 1000000); u gets N/10\n"
            "  --points N       point queries (default 100000)\n"
            "  --ranges N       queries of each range line (default 10000, at most %d)\n"
            "  --join-rows N    rows of t in the join without an index (default 200)\n"
            "  --reps N         repetitions, each a fresh process and database per engine;\n"
            "                   the median is reported (default 3)\n"
            "  --cap-seconds S  stop a range line after S seconds of one repetition (default 3)\n"
            "  --sync full|off  durability of both engines (default full)\n"
            "  --cache-mib N    page cache of both engines (default 16)\n"
            "  --dir PATH       where the scratch directory goes (default $TMPDIR, else /var/tmp)\n"
            "  --seed N         seed of the data and the queries (default 42)\n"
            "  --quick          --rows 50000 --points 10000 --ranges 1000 --join-rows 100\n"
            "                   --cap-seconds 1: a check that runs in seconds\n"
            "  --json           print the results as one JSON document\n"
            "Both engines always run, in the same run; ratios are sqlite / nqdb.\n",
            MAX_QUERIES);
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
    static params p;
    p.rows = 1000000;
    p.points = 100000;
    p.ranges = 10000;
    p.join_rows = 200;
    p.reps = 3;
    p.sync_full = 1;
    p.cache_mib = 16;
    p.cap_secs = 3.0;
    p.seed = 42;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/var/tmp";
    int quick = 0, set_rows = 0, set_points = 0, set_ranges = 0, set_join = 0, set_cap = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint32_t u;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            p.json = 1;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (!strcmp(a, "--rows") && v && !parse_u32(v, 10, 100000000, &u)) {
            p.rows = u, set_rows = 1, i++;
        } else if (!strcmp(a, "--points") && v && !parse_u32(v, 1, UINT32_MAX - 1, &u)) {
            p.points = u, set_points = 1, i++;
        } else if (!strcmp(a, "--ranges") && v && !parse_u32(v, 1, MAX_QUERIES, &u)) {
            p.ranges = u, set_ranges = 1, i++;
        } else if (!strcmp(a, "--join-rows") && v && !parse_u32(v, 1, UINT32_MAX - 1, &u)) {
            p.join_rows = u, set_join = 1, i++;
        } else if (!strcmp(a, "--reps") && v && !parse_u32(v, 1, MAX_REPS, &u)) {
            p.reps = (int)u, i++;
        } else if (!strcmp(a, "--cap-seconds") && v && !parse_u32(v, 1, 3600, &u)) {
            p.cap_secs = u, set_cap = 1, i++;
        } else if (!strcmp(a, "--cache-mib") && v && !parse_u32(v, 1, 65536, &u)) {
            p.cache_mib = u, i++;
        } else if (!strcmp(a, "--sync") && v && (!strcmp(v, "full") || !strcmp(v, "off"))) {
            p.sync_full = !strcmp(v, "full"), i++;
        } else if (!strcmp(a, "--seed") && v && !parse_u32(v, 0, UINT32_MAX, &u)) {
            p.seed = u, i++;
        } else if (!strcmp(a, "--dir") && v) {
            dir = v, i++;
        } else {
            fprintf(stderr, "bench_sql: bad or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (quick) {
        p.rows = set_rows ? p.rows : 50000;
        p.points = set_points ? p.points : 10000;
        p.ranges = set_ranges ? p.ranges : 1000;
        p.join_rows = set_join ? p.join_rows : 100;
        p.cap_secs = set_cap ? p.cap_secs : 1.0;
    }
    p.urows = p.rows / 10 ? p.rows / 10 : 1;
    if (p.join_rows > p.rows)
        p.join_rows = p.rows;

    char tmpl[ROOT_MAX], real[PATH_MAX];
    if (snprintf(tmpl, sizeof tmpl, "%s/nqdb-sqlbench-XXXXXX", dir) >= (int)sizeof tmpl ||
        !mkdtemp(tmpl)) {
        fprintf(stderr, "bench_sql: cannot make a scratch directory in %s: %s\n", dir,
                strerror(errno));
        return 2;
    }
    const char *root = realpath(tmpl, real) && strlen(real) < sizeof p.root ? real : tmpl;
    memcpy(p.root, root, strlen(root) + 1);

    static machine m;
    bu_machine_probe(&m, p.root);
    fprintf(stderr, "bench_sql: t %" PRIu32 " rows, u %" PRIu32 " rows, %d reps, scratch %s (%s)\n",
            p.rows, p.urows, p.reps, p.root, m.fstype);

    static oracle want;
    if (make_oracle(&p, &want)) {
        fprintf(stderr, "bench_sql: out of memory\n");
        bu_rm_rf(p.root);
        return 2;
    }

    static child_result res; /* large; reused by every child */
    static side sides[E_COUNT];
    char err[512];
    long rss;
    child_arg ha = {&p, -1, 0};
    if (bu_run_child(child_main, &ha, &res, sizeof res, &rss, err, sizeof err) == 0)
        m.harness_rss_kib = (double)rss;

    int wrong = 0;
    for (int rep = 0; rep < p.reps && !wrong; rep++) {
        for (int k = 0; k < E_COUNT && !wrong; k++) {
            int ei = rep % 2 == 0 ? k : E_COUNT - 1 - k; /* alternate who goes first */
            side *s = &sides[ei];
            if (s->failed)
                continue;
            child_arg ca = {&p, ei, rep};
            bu_flush_fs(p.root);
            double t0 = bu_now();
            int rc = bu_run_child(child_main, &ca, &res, sizeof res, &rss, err, sizeof err);
            if (rc != 0 || !res.ok) {
                s->failed = 1;
                snprintf(s->err, sizeof s->err, "%s", rc != 0 ? err : res.err);
                fprintf(stderr, "  rep %d/%d %-6s FAILED: %s\n", rep + 1, p.reps, e_name[ei],
                        s->err);
                continue;
            }
            char why[700];
            if (check_oracle(&p, &want, &res, why, sizeof why) ||
                (s->n > 0 && check_ranges(&s->first, &res, e_name[ei], "its first run", why,
                                          sizeof why))) {
                fprintf(stderr, "bench_sql: WRONG ANSWERS from %s (rep %d): %s\n", e_name[ei],
                        rep + 1, why);
                wrong = 1;
                break;
            }
            for (int w = 0; w < W_COUNT; w++) {
                s->secs[w][s->n] = res.secs[w];
                s->done[w][s->n] = res.done[w];
            }
            s->rss[s->n] = (double)rss;
            s->dbsize[s->n] = (double)res.db_bytes;
            if (s->n == 0)
                s->first = res;
            s->n++;
            fprintf(stderr,
                    "  rep %d/%d %-6s load t %.2fs u %.2fs | point %.3fs txn %.3fs | range %.3fs (%" PRIu32
                    ") cmp %.3fs (%" PRIu32 ") rows %.3fs (%" PRIu32
                    ") | group %.3fs | join %.3fs noidx %.3fs cols %.3fs | rss %.1f MiB (%.0fs, pid %ld)\n",
                    rep + 1, p.reps, e_name[ei], res.secs[W_LOAD_T], res.secs[W_LOAD_U],
                    res.secs[W_POINT], res.secs[W_POINT_TXN], res.secs[W_RANGE], res.done[W_RANGE],
                    res.secs[W_RANGE_CMP], res.done[W_RANGE_CMP], res.secs[W_RANGE_ROWS],
                    res.done[W_RANGE_ROWS], res.secs[W_GROUP], res.secs[W_JOIN_IDX],
                    res.secs[W_JOIN_NOIDX], res.secs[W_JOIN_COLS], rss / 1024.0, bu_now() - t0,
                    res.pid);
        }
    }
    if (!wrong && !sides[E_NQDB].failed && !sides[E_SQLITE].failed &&
        check_ranges(&sides[E_NQDB].first, &sides[E_SQLITE].first, "nqdb", "sqlite", err,
                     sizeof err)) {
        fprintf(stderr, "bench_sql: WRONG ANSWERS: %s\n", err);
        wrong = 1;
    }
    bu_rm_rf(p.root);
    m.load_end = bu_loadavg();
    if (wrong) {
        fprintf(stderr, "bench_sql: the engines' answers differ; no timings are reported, "
                        "because timings of wrong answers mean nothing\n");
        return 1;
    }
    if (p.json)
        print_json(&p, &m, &sides[E_NQDB], &sides[E_SQLITE]);
    else
        print_text(&p, &m, &sides[E_NQDB], &sides[E_SQLITE]);
    return sides[E_NQDB].failed || sides[E_SQLITE].failed ? 1 : 0;
}
