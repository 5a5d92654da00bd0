/*
 * bench_neuromatch.c — the NEUROMATCH clause (src/sql/neuromatch*.c) against plain SQL over the
 * same table, in the same run.
 *
 * For tables of N = 1 000, 10 000 and 100 000 rows (id INTEGER PRIMARY KEY, title: 3 to 6
 * words drawn from a seeded vocabulary of 2 000 words), and the two-word pattern of two
 * vocabulary words, each query stepped to the end, best of 5 runs:
 *   - the anchor: plain SQL keyword scoring, what one writes without NEUROMATCH —
 *       SELECT id, title, hits FROM (SELECT id, title, (instr(lower(title), 'w1') > 0) +
 *       (instr(lower(title), 'w2') > 0) AS hits FROM t) q WHERE hits > 0 ORDER BY hits DESC, id
 *     (containment only: no edit distance, no learning);
 *   - the clause: SELECT id, title FROM t NEUROMATCH(title, 'w1 w2') STRENGTH > 0.3 (the full
 *     upstream similarity with Levenshtein distances, the learned associations, the ranking);
 *   - the same clause after feedback taught 100 rows (associations read at open);
 *   - the function form: SELECT id, title, s FROM (SELECT id, title, NEUROMATCH(title, 'w1 w2')
 *     AS s FROM t) q WHERE s > 0.3 ORDER BY s DESC, id (the same formula, no associations).
 * It prints each time, the rows returned, and the ratio to the anchor: NEUROMATCH does
 * strictly more work per row than an instr test (a Levenshtein distance per word pair that is
 * not a containment), so the ratio says what that costs, not a speed-up.
 *
 * Usage: bench_neuromatch [--max-rows N] [--dir DIR]   (defaults 100000, /tmp)
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

#define VOCAB 2000

static void die(nq_db *db, const char *what)
{
    fprintf(stderr, "bench_neuromatch: %s: %s\n", what, db ? nq_errmsg(db) : "");
    exit(1);
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL))
        die(db, sql);
}

static char vocab[VOCAB][12];

static void make_vocab(void)
{
    bu_rng r;
    bu_rng_seed(&r, 7);
    static const char *cons = "bcdfghklmnprstvz", *vow = "aeiou";
    for (int i = 0; i < VOCAB; i++) {
        int len = 4 + (int)bu_rng_below(&r, 5), k = 0;
        for (int j = 0; j < len; j++)
            vocab[i][k++] = j % 2 ? vow[bu_rng_below(&r, 5)] : cons[bu_rng_below(&r, 16)];
        vocab[i][k] = 0;
    }
}

static void fill(nq_db *db, int n)
{
    exec_ok(db, "DROP TABLE IF EXISTS t");
    exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT)");
    exec_ok(db, "BEGIN");
    nq_stmt *st;
    if (nq_prepare(db, "INSERT INTO t VALUES (?, ?)", (size_t)-1, &st, NULL))
        die(db, "prepare insert");
    bu_rng r;
    bu_rng_seed(&r, 42);
    char title[128];
    for (int i = 1; i <= n; i++) {
        int words = 3 + (int)bu_rng_below(&r, 4), k = 0;
        for (int w = 0; w < words; w++)
            k += snprintf(title + k, sizeof title - (size_t)k, "%s%s", w ? " " : "", vocab[bu_rng_below(&r, VOCAB)]);
        nq_bind_int64(st, 1, i);
        nq_bind_text(st, 2, title, (size_t)-1);
        if (nq_step(st) != NQ_DONE)
            die(db, "insert");
        nq_reset(st);
    }
    nq_finalize(st);
    exec_ok(db, "COMMIT");
}

/* Best of reps runs of sql stepped to the end; *rows the rows of the last run. */
static double time_query(nq_db *db, const char *sql, int reps, long *rows)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        nq_stmt *st;
        if (nq_prepare(db, sql, (size_t)-1, &st, NULL))
            die(db, sql);
        double t0 = bu_now();
        long n = 0;
        int rc;
        while ((rc = nq_step(st)) == NQ_ROW)
            n++;
        double t = bu_now() - t0;
        if (rc != NQ_DONE)
            die(db, sql);
        nq_finalize(st);
        if (t < best)
            best = t;
        *rows = n;
    }
    return best;
}

int main(int argc, char **argv)
{
    int max_rows = 100000;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max-rows") && i + 1 < argc)
            max_rows = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_neuromatch [--max-rows N] [--dir DIR]\n");
            return 2;
        }
    }
    char cpu[128], kern[128], path[512];
    bu_cpu_model(cpu, sizeof cpu);
    bu_kernel(kern, sizeof kern);
    printf("bench_neuromatch — NEUROMATCH against plain SQL keyword scoring, same table, same run\n");
    printf("machine: %s, %ld CPUs, %s; build %s; load %.2f\n", cpu, bu_nproc(), kern, NQ_BENCH_BUILD_TYPE,
           bu_loadavg());
    snprintf(path, sizeof path, "%s/bench_neuromatch_%d.db", dir, (int)getpid());
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    nq_db *db;
    if (nq_open(path, &o, &db))
        die(NULL, "open");
    make_vocab();
    const char *w1 = vocab[17], *w2 = vocab[1234];
    printf("pattern '%s %s'; times are the best of 5 runs, each stepped to the end\n\n", w1, w2);
    printf("%8s  %-34s %10s %8s %10s\n", "rows", "query", "ms", "rows out", "x anchor");
    for (int n = 1000; n <= max_rows; n *= 10) {
        fill(db, n);
        char anchor[512], clause[256], func[512], fb[256];
        snprintf(anchor, sizeof anchor,
                 "SELECT id, title, hits FROM (SELECT id, title, CAST(instr(lower(title), '%s') > 0 AS INTEGER) + "
                 "CAST(instr(lower(title), '%s') > 0 AS INTEGER) AS hits FROM t) AS q WHERE hits > 0 ORDER BY hits DESC, id",
                 w1, w2);
        snprintf(clause, sizeof clause, "SELECT id, title FROM t NEUROMATCH(title, '%s %s') STRENGTH > 0.3", w1, w2);
        snprintf(func, sizeof func,
                 "SELECT id, title, s FROM (SELECT id, title, NEUROMATCH(title, '%s %s') AS s FROM t) AS q "
                 "WHERE s > 0.3 ORDER BY s DESC, id", w1, w2);
        long ra, rc_, rf, rl;
        double ta = time_query(db, anchor, 5, &ra);
        double tc = time_query(db, clause, 5, &rc_);
        double tf = time_query(db, func, 5, &rf);
        /* teach 100 rows (ids 1..100, whatever they score) */
        snprintf(fb, sizeof fb, "SELECT id FROM t NEUROMATCH(title, '%s %s') STRENGTH > -1 HEBBIAN_STRENGTHENING WHERE id <= 100",
                 w1, w2);
        exec_ok(db, fb);
        double tl = time_query(db, clause, 5, &rl);
        printf("%8d  %-34s %10.2f %8ld %10s\n", n, "plain SQL instr scoring (anchor)", ta * 1e3, ra, "1.00");
        printf("%8d  %-34s %10.2f %8ld %10.2f\n", n, "NEUROMATCH clause", tc * 1e3, rc_, tc / ta);
        printf("%8d  %-34s %10.2f %8ld %10.2f\n", n, "NEUROMATCH clause, 200 learned", tl * 1e3, rl, tl / ta);
        printf("%8d  %-34s %10.2f %8ld %10.2f\n", n, "NEUROMATCH() function, filtered", tf * 1e3, rf, tf / ta);
    }
    nq_close(db);
    unlink(path);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    return 0;
}
