/*
 * bench_joinorder.c — join ordering in the planner: greedy, DP over subsets and annealing on
 * generated many-way joins of real tables (docs/quantum.md "Join ordering by annealing").
 *
 * For each shape (chain: t_i.p = t_{i-1}.id; star: a fact table with a key to each dimension;
 * clique: every pair joined on a shared key k, a permutation of each table's row numbers, so the
 * join returns as many rows as the smallest table has) and size (8, 10, 12, 16 tables), the
 * program creates the tables in a temporary database with seeded cardinalities (10 to 5000
 * rows) and indexes on some join columns, runs ANALYZE, and asks EXPLAIN for the plan of
 * `SELECT count(*) FROM <tables> WHERE <join conditions>`, the tables listed in a random
 * connected order (each joined to one before it, as a person writes a join). The JOIN ORDER
 * line is the planner's own account: the estimated cost of the greedy, DP (n <= JO_DP_MAX)
 * and annealed orders under its cost model, the time each search took (the minimum of 3
 * EXPLAINs, which also check that the search repeats itself), and the greedy's order
 * when another was chosen; the program prints the costs with their ratios to the best (the DP
 * optimum where DP ran). It then executes three plans and prints their times (medians of 3,
 * prepare excluded; a run past 20 s is stopped by a progress handler, shown as "> 20 s") and
 * checks that they count the same rows: the chosen plan; the greedy's order, written with
 * LEFT JOINs whose right side must match (which keeps the written order and is otherwise
 * planned as the inner join) — or the chosen plan itself when greedy was chosen; and the
 * written order the same way. The chosen plan's prepare time (parse and plan, the search
 * included) is printed too.
 *
 *   bench_joinorder [--show] [DIR]   (default: a fresh directory under /tmp; --show prints
 *                                     the queries and keeps the databases, runs nothing)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "nqdb.h"

static nq_db *db;

static void die(const char *what)
{
    fprintf(stderr, "bench_joinorder: %s: %s\n", what, nq_errmsg(db));
    exit(1);
}

static void exec(const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL) != NQ_OK)
        die(sql);
}

typedef struct plan_line {
    char method[64];
    double cost, greedy, greedy_ms, dp, dp_ms, anneal, anneal_ms;
    long evals;
    int ngreedy, gorder[16]; /* the greedy's order, when another was chosen */
} plan_line;

static void explain(const char *q, plan_line *pl)
{
    char *sql = malloc(strlen(q) + 16);
    sprintf(sql, "EXPLAIN %s", q);
    nq_stmt *st;
    if (nq_prepare(db, sql, (size_t)-1, &st, NULL) != NQ_OK)
        die(sql);
    memset(pl, 0, sizeof *pl);
    pl->dp = pl->dp_ms = -1;
    while (nq_step(st) == NQ_ROW) {
        const char *t = nq_column_text(st, 0);
        const char *j = t ? strstr(t, "JOIN ORDER ") : NULL;
        if (!j)
            continue;
        sscanf(j, "JOIN ORDER %63[^:]", pl->method);
        const char *p;
        if ((p = strstr(j, "est cost ")))
            sscanf(p, "est cost %lf", &pl->cost);
        if ((p = strstr(j, "; greedy ")))
            sscanf(p, "; greedy %lf in %lf", &pl->greedy, &pl->greedy_ms);
        if ((p = strstr(j, ", dp ")))
            sscanf(p, ", dp %lf in %lf", &pl->dp, &pl->dp_ms);
        if ((p = strstr(j, ", annealing ")))
            sscanf(p, ", annealing %lf in %lf ms (%ld", &pl->anneal, &pl->anneal_ms, &pl->evals);
        if ((p = strstr(j, "; greedy order:"))) {
            p += strlen("; greedy order:");
            int ti, used;
            while (pl->ngreedy < 16 && sscanf(p, " t%d%n", &ti, &used) == 1) {
                pl->gorder[pl->ngreedy++] = ti;
                p += used;
            }
        }
    }
    nq_finalize(st);
    free(sql);
}

/* A run longer than this is stopped (progress handler) and reported as "> limit". */
#define RUN_LIMIT_S 20.0
static double run_deadline;
static int past_deadline(void *arg)
{
    (void)arg;
    return bu_now() > run_deadline;
}

/* Median of 3 runs: *plan_s the prepare (parse, plan: the order search included), the result
 * the execution in seconds, or -1 when a run passed RUN_LIMIT_S (then only one is tried). */
static double run_count(const char *q, long long *count, double *plan_s)
{
    double t[3], p[3];
    for (int r = 0; r < 3; r++) {
        nq_stmt *st;
        double t0 = bu_now();
        if (nq_prepare(db, q, (size_t)-1, &st, NULL) != NQ_OK)
            die(q);
        double t1 = bu_now();
        run_deadline = t1 + RUN_LIMIT_S;
        nq_progress_handler(db, 1000, past_deadline, NULL);
        int rc = nq_step(st);
        if (rc == NQ_EINTERRUPT) {
            nq_finalize(st);
            nq_progress_handler(db, 0, NULL, NULL);
            *plan_s = t1 - t0;
            return -1;
        }
        if (rc != NQ_ROW)
            die(q);
        *count = nq_column_int64(st, 0);
        t[r] = bu_now() - t1;
        p[r] = t1 - t0;
        nq_finalize(st);
    }
    nq_progress_handler(db, 0, NULL, NULL);
    *plan_s = bu_median(p, 3);
    return bu_median(t, 3);
}

enum { CHAIN, STAR, CLIQUE };
static const char *shape_name[] = {"chain", "star", "clique"};

/* The join in the order perm, kept by writing it with LEFT JOINs whose right side must match
 * (each table's conditions with the tables before it in its ON, IS NOT NULL in WHERE). */
static void written(char *w, size_t cap, const int *perm, int n, int shape)
{
    int k = snprintf(w, cap, "SELECT count(*) FROM t%d", perm[0]);
    for (int x = 1; x < n; x++) {
        int b = perm[x];
        k += snprintf(w + k, cap - (size_t)k, " LEFT JOIN t%d ON 1 = 1", b);
        for (int y = 0; y < x; y++) {
            int a = perm[y], lo = a < b ? a : b, hi = a < b ? b : a;
            if (shape == CHAIN && hi == lo + 1)
                k += snprintf(w + k, cap - (size_t)k, " AND t%d.p = t%d.id", hi, lo);
            else if (shape == STAR && lo == 0)
                k += snprintf(w + k, cap - (size_t)k, " AND t0.d%d = t%d.id", hi, hi);
            else if (shape == CLIQUE)
                k += snprintf(w + k, cap - (size_t)k, " AND t%d.k = t%d.k", lo, hi);
        }
    }
    k += snprintf(w + k, cap - (size_t)k, " WHERE 1 = 1");
    for (int x = 1; x < n; x++)
        k += snprintf(w + k, cap - (size_t)k, " AND t%d.id IS NOT NULL", perm[x]);
}

int main(int argc, char **argv)
{
    char dir[256];
    int show = 0; /* --show: print the queries, keep the databases, run nothing */
    if (argc > 1 && !strcmp(argv[1], "--show")) {
        show = 1;
        argv++;
        argc--;
    }
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else {
        snprintf(dir, sizeof dir, "/tmp/bench_joinorder-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    char cpu[256], path[512];
    bu_cpu_model(cpu, sizeof cpu);
#ifdef NQ_BENCH_BUILD_TYPE
    printf("bench_joinorder (%s build) on %s, load %.2f\n", NQ_BENCH_BUILD_TYPE, cpu, bu_loadavg());
#endif
    printf("estimated costs (the planner's model) and search times; prepare = parse + plan (ms); then\n"
           "execution (ms) of the chosen plan, of the greedy's order, and of the written order\n");
    printf("%-7s %3s %-10s %11s %11s %11s %8s %8s %9s %9s %9s %9s %9s %9s %10s %s\n", "shape", "n", "chosen",
           "greedy", "dp", "annealing", "gr/best", "an/best", "greedy ms", "dp ms", "anneal ms", "prepare",
           "chosen", "greedy", "written", "rows");
    static const int sizes[] = {8, 10, 12, 16};
    static const int cards[] = {10, 50, 200, 1000, 5000};
    for (int shape = 0; shape < 3; shape++)
        for (int si = 0; si < 4; si++) {
            int n = sizes[si];
            snprintf(path, sizeof path, "%s/%s%d.db", dir, shape_name[shape], n);
            unlink(path);
            if (nq_open(path, NULL, &db) != NQ_OK) {
                fprintf(stderr, "cannot open %s\n", path);
                return 1;
            }
            bu_rng r;
            bu_rng_seed(&r, (uint64_t)(shape * 100 + n));
            int rows[16] = {0};
            exec("BEGIN");
            char sql[4096];
            for (int i = 0; i < n; i++) {
                rows[i] = shape == STAR && i == 0 ? 5000 : cards[bu_rng_below(&r, 5)];
                snprintf(sql, sizeof sql, "CREATE TABLE t%d(id INTEGER PRIMARY KEY, p INTEGER, k INTEGER%s)", i,
                         shape == STAR && i == 0 ? ", d1 INTEGER, d2 INTEGER, d3 INTEGER, d4 INTEGER, d5 INTEGER, "
                                                   "d6 INTEGER, d7 INTEGER, d8 INTEGER, d9 INTEGER, d10 INTEGER, "
                                                   "d11 INTEGER, d12 INTEGER, d13 INTEGER, d14 INTEGER, d15 INTEGER"
                                                 : "");
                exec(sql);
            }
            for (int i = 0; i < n; i++) {
                nq_stmt *ins;
                snprintf(sql, sizeof sql, "INSERT INTO t%d(id, p, k) VALUES (?, ?, ?)", i);
                if (nq_prepare(db, sql, (size_t)-1, &ins, NULL) != NQ_OK)
                    die(sql);
                for (int k = 0; k < rows[i]; k++) {
                    nq_bind_int64(ins, 1, k);
                    nq_bind_int64(ins, 2, i ? (int64_t)bu_rng_below(&r, (uint64_t)rows[i - 1]) : 0);
                    /* k: a permutation of 0..rows-1 (7919 is prime to every size used), so the
                     * clique join matches the smallest table's rows once each */
                    nq_bind_int64(ins, 3, (int64_t)k * 7919 % rows[i]);
                    if (nq_step(ins) != NQ_DONE)
                        die("insert");
                    nq_reset(ins);
                }
                nq_finalize(ins);
                if (bu_rng_below(&r, 2)) {
                    snprintf(sql, sizeof sql, "CREATE INDEX t%d_%s ON t%d(%s)", i, shape == CLIQUE ? "k" : "p", i,
                             shape == CLIQUE ? "k" : "p");
                    exec(sql);
                }
            }
            if (shape == STAR)
                for (int d = 1; d < n; d++) {
                    snprintf(sql, sizeof sql, "UPDATE t0 SET d%d = abs(id * %d + %d) %% %d", d, 7 + 2 * d, d, rows[d]);
                    exec(sql);
                }
            exec("COMMIT");
            exec("ANALYZE");
            /* the query, tables in a random connected order (each table joined to one before
             * it, as a person would write it: no cross products) */
            int perm[16] = {0}, in[16] = {0};
            perm[0] = (int)bu_rng_below(&r, (uint64_t)n);
            in[perm[0]] = 1;
            for (int x = 1; x < n; x++) {
                int cand[16], nc = 0;
                for (int b = 0; b < n; b++) {
                    if (in[b])
                        continue;
                    int conn = 0;
                    for (int y = 0; y < x; y++) {
                        int a = perm[y], lo = a < b ? a : b, hi = a < b ? b : a;
                        conn |= shape == CLIQUE || (shape == CHAIN && hi == lo + 1) || (shape == STAR && lo == 0);
                    }
                    if (conn)
                        cand[nc++] = b;
                }
                perm[x] = cand[bu_rng_below(&r, (uint64_t)nc)];
                in[perm[x]] = 1;
            }
            char q[8192], w[8192];
            int k = snprintf(q, sizeof q, "SELECT count(*) FROM ");
            for (int i = 0; i < n; i++)
                k += snprintf(q + k, sizeof q - (size_t)k, "%st%d", i ? ", " : "", perm[i]);
            k += snprintf(q + k, sizeof q - (size_t)k, " WHERE ");
            int first = 1;
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) {
                    char cond[128] = "";
                    if (shape == CHAIN && j == i + 1)
                        snprintf(cond, sizeof cond, "t%d.p = t%d.id", j, i);
                    else if (shape == STAR && i == 0)
                        snprintf(cond, sizeof cond, "t0.d%d = t%d.id", j, j);
                    else if (shape == CLIQUE)
                        snprintf(cond, sizeof cond, "t%d.k = t%d.k", i, j);
                    if (!*cond)
                        continue;
                    k += snprintf(q + k, sizeof q - (size_t)k, "%s%s", first ? "" : " AND ", cond);
                    first = 0;
                }
            written(w, sizeof w, perm, n, shape);
            if (show) {
                printf("%s\n%s\n%s\n", path, q, w);
                nq_close(db);
                continue;
            }
            /* the search is deterministic: the same orders and costs every time; its times are
             * the minimum of 3 (the machine is shared) */
            plan_line pl, again;
            explain(q, &pl);
            for (int rep = 0; rep < 2; rep++) {
                explain(q, &again);
                pl.greedy_ms = again.greedy_ms < pl.greedy_ms ? again.greedy_ms : pl.greedy_ms;
                pl.dp_ms = again.dp_ms < pl.dp_ms ? again.dp_ms : pl.dp_ms;
                pl.anneal_ms = again.anneal_ms < pl.anneal_ms ? again.anneal_ms : pl.anneal_ms;
                if (again.cost != pl.cost || again.anneal != pl.anneal)
                    printf("(the search was not reproducible!) ");
            }
            double best = pl.dp >= 0 ? pl.dp : pl.cost;
            if (pl.greedy < best)
                best = pl.greedy;
            if (pl.anneal < best)
                best = pl.anneal;
            char dps[32] = "-", dpms[32] = "-";
            if (pl.dp >= 0) {
                snprintf(dps, sizeof dps, "%.4g", pl.dp);
                snprintf(dpms, sizeof dpms, "%.2f", pl.dp_ms);
            }
            printf("%-7s %3d %-10s %11.4g %11s %11.4g %8.3g %8.3g %9.2f %9s %9.2f", shape_name[shape], n, pl.method,
                   pl.greedy, dps, pl.anneal, pl.greedy / best, pl.anneal / best, pl.greedy_ms, dpms, pl.anneal_ms);
            fflush(stdout);
            /* run both when the written order's plan is not hopeless (a cross product of big tables) */
            long long c1 = -1, c2 = -1, c3 = -1;
            double p1, p2;
            double t1 = run_count(q, &c1, &p1);
            double t2 = run_count(w, &c2, &p2);
            double t3 = t1; /* greedy chosen: its plan is the one that ran */
            c3 = c1;
            if (pl.ngreedy == n) {
                char g[8192];
                written(g, sizeof g, pl.gorder, n, shape);
                t3 = run_count(g, &c3, &p2);
            }
            char s1[32], s2[32], s3[32];
            snprintf(s1, sizeof s1, t1 < 0 ? "> %.0f s" : "%.2f", t1 < 0 ? RUN_LIMIT_S : t1 * 1e3);
            snprintf(s2, sizeof s2, t2 < 0 ? "> %.0f s" : "%.2f", t2 < 0 ? RUN_LIMIT_S : t2 * 1e3);
            snprintf(s3, sizeof s3, t3 < 0 ? "> %.0f s" : "%.2f", t3 < 0 ? RUN_LIMIT_S : t3 * 1e3);
            int same = (t1 < 0 || t2 < 0 || c1 == c2) && (t1 < 0 || t3 < 0 || c1 == c3);
            printf(" %9.2f %9s %9s %10s %lld%s\n", p1 * 1e3, s1, s3, s2, c1, same ? "" : " (MISMATCH)");
            nq_close(db);
            unlink(path);
            snprintf(sql, sizeof sql, "%s-wal", path);
            unlink(sql);
        }
    if (argc <= 1)
        rmdir(dir);
    return 0;
}
