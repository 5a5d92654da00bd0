/*
 * bench_grover_sql.c — QUANTUM_SEARCH (the Grover simulation over a table's row-index space,
 * src/sql/exec_grover.c) against the classical query over the same table, in the same run.
 *
 * For tables of N = 2^8 .. 2^20 rows (id INTEGER PRIMARY KEY, k a permutation of 0..N-1, so
 * `k < M` selects exactly M rows) and M = 1, sqrt(N) and N/4 marked rows:
 *   - the anchor: `SELECT * FROM t WHERE k < M` stepped to the end (best of 3 runs);
 *   - `EXPLAIN (ANALYZE, FORMAT JSON) QUANTUM_SEARCH t WHERE k < M` (best of 3 runs below 2^17
 *     rows, one run above; it executes the search): its wall time, and from its figures the classical filter's time over the
 *     same rows in the same execution, the simulation's time, the qubits, the first round's
 *     iterations k1 against (pi/4) sqrt(2^n / M), the total iterations, and the oracle queries
 *     a device would make (shots x iterations) against (pi/4) sqrt(N M) and against N, what a
 *     classical scan makes.
 * The AMPLITUDE_AMPLIFICATION mode (M unknown) runs up to 2^14 rows: its stop rule alone costs
 * ~32 sqrt(2^n) iterations of 2^n amplitudes, and past that the simulation budget stops it.
 *
 * Usage: bench_grover_sql [--max-log2 N] [--dir DIR]   (defaults 20, /tmp)
 */
#include <math.h>
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
    fprintf(stderr, "bench_grover_sql: %s: %s\n", what, db ? nq_errmsg(db) : "");
    exit(1);
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL))
        die(db, sql);
}

static void fill(nq_db *db, uint32_t n)
{
    exec_ok(db, "DROP TABLE IF EXISTS t");
    exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, pad TEXT)");
    uint32_t *perm = malloc(n * sizeof *perm);
    if (!perm)
        die(NULL, "out of memory");
    bu_permutation(perm, n, 42 + n);
    exec_ok(db, "BEGIN");
    nq_stmt *st;
    if (nq_prepare(db, "INSERT INTO t VALUES (?, ?, 'row')", (size_t)-1, &st, NULL))
        die(db, "prepare insert");
    for (uint32_t i = 0; i < n; i++) {
        nq_bind_int64(st, 1, (int64_t)i + 1);
        nq_bind_int64(st, 2, (int64_t)perm[i] - 1);
        if (nq_step(st) != NQ_DONE)
            die(db, "insert");
        nq_reset(st);
    }
    nq_finalize(st);
    exec_ok(db, "COMMIT");
    free(perm);
}

/* Step a query to the end; seconds, rows in *rows. For EXPLAIN, the text in json. */
static double run(nq_db *db, const char *sql, long *rows, char *json, size_t cap)
{
    nq_stmt *st;
    double t0 = bu_now();
    if (nq_prepare(db, sql, (size_t)-1, &st, NULL))
        die(db, sql);
    long n = 0;
    int rc;
    if (json)
        json[0] = 0;
    while ((rc = nq_step(st)) == NQ_ROW) {
        if (json) {
            const char *t = nq_column_text(st, 0);
            size_t have = strlen(json);
            snprintf(json + have, cap - have, "%s", t ? t : "");
        }
        n++;
    }
    if (rc != NQ_DONE)
        die(db, sql);
    nq_finalize(st);
    if (rows)
        *rows = n;
    return bu_now() - t0;
}

static double jnum(const char *json, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void one(nq_db *db, uint32_t n, uint32_t m, int amplify)
{
    char sql[256], json[8192];
    double times[3];
    long rows = 0;
    snprintf(sql, sizeof sql, "SELECT * FROM t WHERE k < %u", m);
    for (int r = 0; r < 3; r++)
        times[r] = run(db, sql, &rows, NULL, 0);
    double classical = times[0];
    for (int r = 1; r < 3; r++)
        classical = times[r] < classical ? times[r] : classical;
    if ((uint32_t)rows != m)
        die(NULL, "the classical query returned the wrong count");
    snprintf(sql, sizeof sql, "EXPLAIN (ANALYZE, FORMAT JSON) QUANTUM_SEARCH t WHERE k < %u%s", m,
             amplify ? " WITH AMPLITUDE_AMPLIFICATION" : "");
    /* best of 3 below 2^17 rows (the machine is shared), one run above */
    double gt = run(db, sql, NULL, json, sizeof json);
    for (int r = 1; r < (n < (1u << 17) ? 3 : 1); r++) {
        char j2[8192];
        double t2 = run(db, sql, NULL, j2, sizeof j2);
        if (t2 < gt) {
            gt = t2;
            memcpy(json, j2, sizeof j2);
        }
    }
    double q = jnum(json, "qubits"), k1 = jnum(json, "first_round_iterations");
    double dim = pow(2, q);
    double kopt = M_PI / 4 * sqrt(dim / m);
    double queries = jnum(json, "oracle_queries");
    double filter = jnum(json, "classical_filter_ms"), sim = jnum(json, "simulation_ms");
    printf("%-8u %-7u %-5s %3.0f %6.0f %7.1f %6.0f %7.0f %11.0f %6.2f %5.3f %10.3f %10.3f %8.1f "
           "%9.1f %9.1f %7.1f %6.0f %6.0f\n",
           n, m, amplify ? "bbht" : "known", q, k1, kopt, jnum(json, "rounds"),
           jnum(json, "iterations"), queries, queries / (M_PI / 4 * sqrt((double)n * m)),
           queries / n, filter, sim, sim / filter, classical * 1e3, gt * 1e3, gt / classical,
           jnum(json, "found_by_grover"), jnum(json, "finished_classically"));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int maxlog = 20;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max-log2") && i + 1 < argc)
            maxlog = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_grover_sql [--max-log2 N] [--dir DIR]\n");
            return 2;
        }
    }
    if (maxlog < 8 || maxlog > 20) {
        fprintf(stderr, "bench_grover_sql: --max-log2 is 8..20 (the default qubit budget)\n");
        return 2;
    }
    char cpu[256], kern[256], path[512];
    bu_cpu_model(cpu, sizeof cpu);
    bu_kernel(kern, sizeof kern);
    printf("bench_grover_sql (%s build): %s, %ld CPUs, %s, load %.2f\n", NQ_BENCH_BUILD_TYPE, cpu,
           bu_nproc(), kern, bu_loadavg());
    printf("anchor: SELECT * FROM t WHERE k < M (best of 3); the Grover path: EXPLAIN ANALYZE QUANTUM_SEARCH (best of 3 below 2^17 rows)\n");
    printf("k1: first round's iterations, against (pi/4)sqrt(2^n/M); queries: shots x iterations a device would make,\n");
    printf("against (pi/4)sqrt(N M) (q/sqrtNM) and against N (q/N); filter/sim: the classical filter and the\n");
    printf("simulation of the same execution (ms); classical/grover: whole statements (ms)\n\n");
    printf("%-8s %-7s %-5s %3s %6s %7s %6s %7s %11s %6s %5s %10s %10s %8s %9s %9s %7s %6s %6s\n", "N", "M",
           "mode", "n", "k1", "pi/4rt", "rounds", "iters", "queries", "q/sqNM", "q/N", "filter_ms",
           "sim_ms", "sim/filt", "class_ms", "grover_ms", "ratio", "found", "finish");
    snprintf(path, sizeof path, "%s/bench_grover_sql.%ld.db", dir, (long)getpid());
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    nq_db *db;
    if (nq_open(path, &o, &db))
        die(NULL, "open");
    for (int lg = 8; lg <= maxlog; lg += 2) {
        uint32_t n = (uint32_t)1 << lg;
        fill(db, n);
        uint32_t ms[3] = {1, (uint32_t)sqrt((double)n), n / 4};
        for (int i = 0; i < 3; i++)
            one(db, n, ms[i], 0);
        if (lg <= 14)
            for (int i = 0; i < 3; i++)
                one(db, n, ms[i], 1);
    }
    nq_close(db);
    unlink(path);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    return 0;
}
