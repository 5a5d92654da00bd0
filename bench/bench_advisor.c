/*
 * bench_advisor.c — does the database that learns its workload get faster? (docs/neuromorphic.md,
 * "A database that learns its workload")
 *
 * A generated workload over three tables (orders, customers, events) with skewed predicates:
 * a seeded mix of equality lookups on orders.customer_id (hot), range+equality filters on
 * events, equality on customers.region, and a join. The anchor is the workload's own plain run
 * (no secondary index) in the same process; then the advisor's recommendations
 * (nq_index_advice) are applied and the same statements (same seed) run again: the ratio is
 * the measured speedup. Also printed: the time the advisor takes, what it recommended, the
 * price of the advice on writes (inserts with the recommended indexes against the plain table)
 * and a workload it cannot help (full-table aggregates: no advice, ratio ≈ 1). Finally the
 * overhead of learning: the same cheap statements (rowid point lookups, the cheapest statement
 * there is, so the overhead shows most) with learning on and off (nq_options.workload_off),
 * alternated, medians of 5 rounds.
 *
 *   bench_advisor [--scale N] [--statements N] [--dir D]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "nqdb.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

static void die(nq_db *db, const char *what)
{
    fprintf(stderr, "bench_advisor: %s: %s\n", what, db ? nq_errmsg(db) : "");
    exit(1);
}

static void exec(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL))
        die(db, sql);
}

/* Run one statement to its end; returns rows. */
static long run(nq_db *db, const char *sql)
{
    nq_stmt *st;
    if (nq_prepare(db, sql, strlen(sql), &st, NULL))
        die(db, sql);
    long n = 0;
    int rc;
    while ((rc = nq_step(st)) == NQ_ROW)
        n++;
    if (rc != NQ_DONE)
        die(db, sql);
    nq_finalize(st);
    return n;
}

static nq_db *open_db(const char *path, int off)
{
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.cache_bytes = 64u << 20;
    o.workload_off = off;
    nq_db *db;
    if (nq_open(path, &o, &db))
        die(db, path);
    return db;
}

static void load(nq_db *db, long scale)
{
    char sql[512];
    exec(db, "CREATE TABLE customers (id INTEGER PRIMARY KEY, region INT, tier INT, name TEXT)");
    exec(db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, day INT, amount INT, note TEXT)");
    exec(db, "CREATE TABLE events (id INTEGER PRIMARY KEY, kind INT, ts INT, payload TEXT)");
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < %ld) "
             "INSERT INTO customers SELECT x, x %% 50, x %% 3, 'c' || x FROM g", scale / 10 - 1);
    exec(db, sql);
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %ld) "
             "INSERT INTO orders SELECT x, (x * 7919) %% %ld, x %% 730, x %% 997, 'note' FROM g", scale, scale / 10);
    exec(db, sql);
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %ld) "
             "INSERT INTO events SELECT x, x %% 40, x, 'p' FROM g", scale / 2);
    exec(db, sql);
    exec(db, "ANALYZE");
}

/* The skewed workload: n statements from seed. */
static double workload(nq_db *db, long n, long scale, uint64_t seed, long *rows)
{
    bu_rng r;
    bu_rng_seed(&r, seed);
    char sql[256];
    *rows = 0;
    double t0 = bu_now();
    for (long i = 0; i < n; i++) {
        uint64_t p = bu_rng_below(&r, 100);
        long c = (long)bu_rng_below(&r, (uint64_t)(scale / 10));
        if (p < 55)
            snprintf(sql, sizeof sql, "SELECT sum(amount) FROM orders WHERE customer_id = %ld", c);
        else if (p < 80)
            snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE kind = %ld AND ts > %ld",
                     c % 40, scale / 2 - 2000);
        else if (p < 92)
            snprintf(sql, sizeof sql, "SELECT count(*) FROM customers WHERE region = %ld", c % 50);
        else
            snprintf(sql, sizeof sql,
                     "SELECT c.name, o.amount FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = %ld", c);
        *rows += run(db, sql);
    }
    return bu_now() - t0;
}

static double aggregates(nq_db *db, int n)
{
    double t0 = bu_now();
    for (int i = 0; i < n; i++)
        run(db, i % 2 ? "SELECT sum(amount) FROM orders" : "SELECT day, count(*) FROM orders GROUP BY day");
    return bu_now() - t0;
}

static double inserts(nq_db *db, long from, int n)
{
    char sql[256];
    double t0 = bu_now();
    exec(db, "BEGIN");
    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO orders VALUES (%ld, %ld, %d, %d, 'x')", from + i,
                 (from + i) % 977, i % 730, i % 997);
        exec(db, sql);
    }
    exec(db, "ROLLBACK"); /* the workload's tables stay as they were */
    return bu_now() - t0;
}

static double point_lookups(nq_db *db, int n)
{
    char sql[128];
    double t0 = bu_now();
    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof sql, "SELECT amount FROM orders WHERE id = %d", 1 + (i * 37) % 1000);
        run(db, sql);
    }
    return bu_now() - t0;
}

int main(int argc, char **argv)
{
    long scale = 100000, nstmt = 2000;
    const char *dir = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--scale"))
            scale = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--statements"))
            nstmt = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
    }
    if (scale < 1000)
        scale = 1000;
    char path[512], cpu[128], kern[128];
    snprintf(path, sizeof path, "%s/bench_advisor_%d.db", dir, (int)getpid());
    bu_cpu_model(cpu, sizeof cpu);
    bu_kernel(kern, sizeof kern);
    printf("bench_advisor (%s build) — %s, %ld cores, %s\n", NQ_BENCH_BUILD_TYPE, cpu, bu_nproc(), kern);
    printf("tables: orders %ld rows, customers %ld, events %ld; workload %ld statements (seed 42)\n\n",
           scale, scale / 10, scale / 2, nstmt);

    nq_db *db = open_db(path, 0);
    load(db, scale);
    exec(db, "SYNAPTIC_OPTIMIZE WITH RESET ON");
    long rows_a, rows_b;
    double plain = workload(db, nstmt, scale, 42, &rows_a);
    double t0 = bu_now();
    nq_stmt *st;
    const char *q = "SELECT create_statement, estimated_improvement, affected_query_count FROM nq_index_advice";
    if (nq_prepare(db, q, strlen(q), &st, NULL))
        die(db, q);
    char creates[8][256], keys[8][256];
    int nc = 0;
    printf("advice (applied unless an applied index of the same table starts with its columns):\n");
    while (nq_step(st) == NQ_ROW) {
        /* "CREATE INDEX name ON t (cols)": the key is "t (cols" without the closing paren */
        const char *c = nq_column_text(st, 0), *on = strstr(c, " ON ");
        char key[256];
        snprintf(key, sizeof key, "%s", on ? on + 4 : c);
        size_t kl = strlen(key);
        if (kl && key[kl - 1] == ')')
            key[--kl] = 0;
        int covered = 0;
        for (int i = 0; i < nc; i++)
            covered |= !strncmp(keys[i], key, kl) && (keys[i][kl] == ',' || keys[i][kl] == 0);
        printf("  %-60s improvement %5.1f %%  statements %lld%s\n", c, nq_column_double(st, 1),
               (long long)nq_column_int64(st, 2), covered ? "  (covered: not applied)" : "");
        if (nc < 8 && !covered) {
            snprintf(creates[nc], sizeof creates[0], "%s", c);
            snprintf(keys[nc++], sizeof keys[0], "%s", key);
        }
    }
    nq_finalize(st);
    double advise = bu_now() - t0;
    double ins_plain = inserts(db, scale + 1, 2000);
    double agg_plain = aggregates(db, 20);
    t0 = bu_now();
    for (int i = 0; i < nc; i++)
        exec(db, creates[i]);
    double build = bu_now() - t0;
    double advised = workload(db, nstmt, scale, 42, &rows_b);
    if (rows_a != rows_b) {
        fprintf(stderr, "bench_advisor: the workload returned %ld rows before and %ld after\n", rows_a, rows_b);
        return 1;
    }
    double ins_adv = inserts(db, scale + 10001, 2000);
    double agg_adv = aggregates(db, 20);
    /* what the advisor says about a workload of aggregates only */
    exec(db, "SYNAPTIC_OPTIMIZE WITH RESET ON");
    aggregates(db, 20);
    long nagg = run(db, "SELECT * FROM nq_index_advice");
    nq_close(db);
    unlink(path);
    snprintf(path + strlen(path), 8, "-wal");
    unlink(path);

    printf("\n%-52s %10s %10s %8s\n", "", "plain s", "advised s", "ratio");
    printf("%-52s %10.3f %10.3f %7.2fx\n", "skewed workload (anchor: its plain run)", plain, advised,
           plain / advised);
    printf("%-52s %10.3f %10.3f %7.2fx\n", "2000 inserts into orders (the price of the indexes)", ins_plain,
           ins_adv, ins_plain / ins_adv);
    printf("%-52s %10.3f %10.3f %7.2fx\n", "20 full-table aggregates (no index helps)", agg_plain, agg_adv,
           agg_plain / agg_adv);
    printf("advisor: %.1f ms to advise %d indexes; building them %.3f s; aggregate-only workload: %ld recommendations\n",
           advise * 1e3, nc, build, nagg);

    /* learning overhead per statement */
    snprintf(path, sizeof path, "%s/bench_advisor_%d.db", dir, (int)getpid());
    db = open_db(path, 0);
    exec(db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, day INT, amount INT, note TEXT)");
    exec(db, "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 1000) "
             "INSERT INTO orders SELECT x, x % 100, x % 730, x % 997, 'n' FROM g");
    nq_close(db);
    const int N = 20000;
    double on[5], off[5];
    for (int round = 0; round < 5; round++) {
        for (int mode = 0; mode < 2; mode++) {
            db = open_db(path, mode);
            point_lookups(db, 500); /* warm */
            double t = point_lookups(db, N);
            (mode ? off : on)[round] = t;
            nq_close(db);
        }
    }
    double mon = bu_median(on, 5), moff = bu_median(off, 5);
    printf("\nlearning overhead, %d rowid point lookups (median of 5): on %.2f us/statement, off %.2f us/statement: +%.2f us (%.1f %%)\n",
           N, mon / N * 1e6, moff / N * 1e6, (mon - moff) / N * 1e6, 100.0 * (mon - moff) / moff);
    unlink(path);
    snprintf(path + strlen(path), 8, "-wal");
    unlink(path);
    return 0;
}
