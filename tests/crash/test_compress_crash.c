/*
 * test_compress_crash.c — COMPRESS TABLE t USING DNA interrupted by a crash leaves the table
 * either all old or all new (docs/dna.md, "The page codec").
 *
 * On a faultvfs: a table of 1500 rows (short and overflow-sized values) with an index is
 * built and checkpointed. A counting run then does COMPRESS TABLE and a checkpoint (which
 * writes the marked pages to the file, in codec form where the page transform has a codec)
 * and records M, its mutating VFS calls. For crash points at every sync and 30 others spread
 * over 1..M, the same run is repeated from scratch up to call N, where the "process" dies;
 * the dead disk is cloned and each clone gets a power cut (unsynced writes dropped, torn,
 * reordered) or a kill -9. The database is then opened on each clone and must: open; pass
 * nq_check; hold exactly the rows it had (count, sums, a hash of every value); and have the
 * mark on every page of the table and its index or on none. Then it must accept writes and
 * pass the check again.
 *
 * Scale: NQ_CRASH_SCALE multiplies the spread points (sync points are always all tried).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crashkit.h"
#include "faultvfs.h"
#include "sqlscript.h"

#define DBPATH "c.db"
#define ROWS 1500

static int failures;

static void fail(uint64_t point, int variant, const char *fmt, const char *detail)
{
    failures++;
    fprintf(stderr, "FAIL point %" PRIu64 " variant %d: %s %s\n", point, variant, fmt,
            detail ? detail : "");
}

static int exec(nq_db *db, const char *sql) { return tsql_exec(db, sql); }

static nq_db *open_db(faultvfs *fv)
{
    nq_options o;
    nq_options_init(&o);
    o.vfs = faultvfs_vfs(fv);
    o.page_size = 1024;
    o.checkpoint_pages = 100000; /* checkpoints only where the test asks */
    nq_db *db = NULL;
    if (nq_open(DBPATH, &o, &db)) {
        nq_close(db);
        return NULL;
    }
    return db;
}

static const char *SETUP =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, tag TEXT, body TEXT);"
    "CREATE INDEX t_tag ON t(tag);"
    "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 1500) "
    "INSERT INTO t SELECT x, 'tag' || (x % 37), CASE WHEN x % 50 = 0 THEN "
    "repeat('overflow value ' || x || ' ', 200) ELSE 'row ' || x || ' of the table' END FROM g;";

/* count, sum of ids, sum of lengths, and a hash of all values: "n s l h" */
static int fingerprint(nq_db *db, char *out, size_t cap)
{
    const char *q = "SELECT count(*), sum(id), sum(length(body)), sum(length(tag) * id), "
                    "sum(ascii(substr(body, 1 + id % 10, 1)) * id) FROM t";
    nq_stmt *st;
    int rc = nq_prepare(db, q, strlen(q), &st, NULL);
    if (rc)
        return rc;
    rc = nq_step(st);
    if (rc == NQ_ROW)
        snprintf(out, cap, "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64,
                 nq_column_int64(st, 0), nq_column_int64(st, 1), nq_column_int64(st, 2),
                 nq_column_int64(st, 3), nq_column_int64(st, 4));
    nq_finalize(st);
    return rc == NQ_ROW ? 0 : rc < 0 ? rc : NQ_ERROR;
}

/* pages and marked pages of t and its index (SHOW COMPRESSION STATS, the "total" rows) */
static int marks(nq_db *db, int64_t *pages, int64_t *marked)
{
    const char *q = "SHOW COMPRESSION STATS FOR t";
    nq_stmt *st;
    int rc = nq_prepare(db, q, strlen(q), &st, NULL);
    if (rc)
        return rc;
    *pages = *marked = -1;
    while ((rc = nq_step(st)) == NQ_ROW) {
        const char *obj = nq_column_text(st, 0), *m = nq_column_text(st, 1);
        if (!obj || !m || strcmp(obj, "total"))
            continue;
        if (!strcmp(m, "pages"))
            *pages = nq_column_int64(st, 2);
        else if (!strcmp(m, "pages_marked"))
            *marked = nq_column_int64(st, 2);
    }
    nq_finalize(st);
    return rc == NQ_DONE ? 0 : rc;
}

/* The workload up to the crash: setup (durable), then COMPRESS + checkpoint with the crash
 * armed at call n (0: none). Returns the fresh file system. */
static faultvfs *run(uint64_t n, char *fp_before, size_t cap)
{
    faultvfs *fv = faultvfs_new(1);
    nq_db *db = open_db(fv);
    if (!db || exec(db, SETUP) || nq_checkpoint(db) || fingerprint(db, fp_before, cap)) {
        fprintf(stderr, "setup failed: %s\n", db ? nq_errmsg(db) : "open");
        exit(1);
    }
    faultvfs_reset_counts(fv);
    if (n)
        faultvfs_crash_at(fv, n);
    if (exec(db, "COMPRESS TABLE t USING DNA") == 0)
        nq_checkpoint(db);
    nq_close(db);
    return fv;
}

static void verify(faultvfs *fv, uint64_t point, int variant, const char *want)
{
    nq_db *db = open_db(fv);
    if (!db) {
        fail(point, variant, "the database does not open", NULL);
        return;
    }
    char buf[2048], fp[256];
    uint64_t problems = 0;
    if (crash_db_check(db, buf, sizeof buf, &problems))
        fail(point, variant, "nq_check:", buf);
    if (fingerprint(db, fp, sizeof fp) || strcmp(fp, want))
        fail(point, variant, "rows changed:", fp);
    int64_t pages = -1, marked = -1;
    if (marks(db, &pages, &marked) || pages <= 0 || (marked != 0 && marked != pages)) {
        snprintf(buf, sizeof buf, "%" PRId64 " of %" PRId64 " pages marked", marked, pages);
        fail(point, variant, "half compressed:", buf);
    }
    if (exec(db, "INSERT INTO t VALUES (99999, 'after', 'a row after the crash')") ||
        nq_checkpoint(db) || crash_db_check(db, buf, sizeof buf, &problems))
        fail(point, variant, "no writes after recovery:", nq_errmsg(db));
    nq_close(db);
}

int main(void)
{
    char want[256];
    faultvfs *fv = run(0, want, sizeof want);
    faultvfs_counts cnt;
    faultvfs_get_counts(fv, &cnt);
    uint64_t M = cnt.mutating;
    const uint8_t *kinds;
    size_t nk = faultvfs_call_log(fv, &kinds);
    uint8_t *kk = malloc(nk + 1);
    memcpy(kk, kinds, nk);
    /* the clean run ends all new */
    verify(fv, 0, 0, want);
    faultvfs_free(fv);
    if (M < 10) {
        fprintf(stderr, "COMPRESS TABLE made only %" PRIu64 " mutating calls\n", M);
        return 1;
    }
    uint64_t spread = crash_scaled(30, 5), points = 0;
    for (uint64_t n = 1; n <= M; n++) {
        int at_sync = n <= nk && (kk[n - 1] == FV_CALL_SYNC || kk[n - 1] == FV_CALL_SYNC_DIR);
        if (!at_sync && (n * spread) / M == ((n - 1) * spread) / M)
            continue;
        points++;
        char before[256];
        faultvfs *dead = run(n, before, sizeof before);
        for (int v = 0; v < 3; v++) {
            faultvfs *c = faultvfs_clone(dead, n * 7 + (uint64_t)v);
            faultvfs_crash(c, n * 131 + (uint64_t)v, v == 2 ? FV_CRASH_PROCESS : FV_CRASH_POWERLOSS,
                           NULL);
            verify(c, n, v, want);
            faultvfs_free(c);
        }
        faultvfs_free(dead);
    }
    free(kk);
    printf("compress_crash: %" PRIu64 " mutating calls, %" PRIu64 " crash points, %d failures\n",
           M, points, failures);
    return failures ? 1 : 0;
}
