/*
 * bench_qubo.c — the QUBO solvers against their anchors, measured in the same run.
 *
 * Part 1, anchor = the proven optimum: every Beasley instance of ../shared/data/qubo/beasley
 * (n = 50, 100, 250; optimal_energy.txt) is solved by each solver with the optimum as target
 * and a time limit per instance (default 1 s). Printed per instance and solver: the time to
 * reach the optimum (median over the seeds) or, if not reached, the relative gap
 * (E − E*)/|E*| of the best energy found. The summary counts instances solved within the limit.
 *
 * Part 2, anchor = the best energy any solver found in this run: larger generated instances
 * with no known optimum — a Beasley-style QUBO (n = 1000 and n = 2500, 10 % density, integer
 * weights in [−100, 100]: ~50 k and ~312 k couplings) and a Gset-style Max-Cut graph (n = 800,
 * 6 % density, unit weights, as G1). Each solver gets the same fixed time; printed: its energy
 * (and cut), the gap to the best of the run, and flips per second.
 *
 *   bench_qubo [--limit S] [--seeds K] [--fixed S] [--dir DIR] [--skip-large]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_util.h"
#include "qubo.h"
#include "qubo_solve.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef NQ_SHARED_DIR
#define NQ_SHARED_DIR "../shared"
#endif

static const qubo_solver solvers[] = {QUBO_SOLVER_TABU, QUBO_SOLVER_SA, QUBO_SOLVER_PT,
                                      QUBO_SOLVER_SQA};
#define NS 4

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int beasley(const char *dir, double limit, int seeds)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/optimal_energy.txt", dir);
    FILE *idx = fopen(path, "r");
    if (!idx) {
        printf("Part 1 skipped: %s not found\n\n", path);
        return 0;
    }
    printf("Part 1: Beasley instances, time to the proven optimum (median of %d seeds; limit "
           "%.2g s)\n",
           seeds, limit);
    printf("%-11s %8s %6s", "instance", "optimum", "pairs");
    for (int s = 0; s < NS; s++)
        printf(" %13s", qubo_solver_name(solvers[s]));
    printf("\n");
    char name[64];
    double opt;
    int solved[NS] = {0}, total = 0;
    double worst[NS] = {0};
    while (fscanf(idx, "%63s %lf", name, &opt) == 2) {
        snprintf(path, sizeof path, "%s/%s.sparse", dir, name);
        FILE *f = fopen(path, "r");
        qubo_model m;
        nq_err err;
        if (!f || qubo_read_beasley(f, &m, &err)) {
            printf("%s: cannot read\n", path);
            if (f)
                fclose(f);
            continue;
        }
        fclose(f);
        total++;
        printf("%-11s %8.0f %6zu", name, opt, qubo_num_pairs(&m));
        for (int s = 0; s < NS; s++) {
            double t[16], best = INFINITY;
            int hit = 0;
            for (int k = 0; k < seeds; k++) {
                qubo_options o;
                qubo_options_default(&o);
                o.seed = (uint64_t)k + 1;
                o.time_limit = limit;
                o.has_target = 1;
                o.target = opt;
                qubo_result r;
                if (qubo_solve(&m, solvers[s], &o, &r, &err)) {
                    printf(" error: %s", err.msg);
                    break;
                }
                best = fmin(best, r.energy);
                t[k] = r.energy <= opt ? r.seconds_to_best : INFINITY;
                hit += r.energy <= opt;
                qubo_result_free(&r);
            }
            qsort(t, (size_t)seeds, sizeof *t, cmp_double);
            double med = t[seeds / 2];
            if (hit == seeds) {
                solved[s]++;
                worst[s] = fmax(worst[s], t[seeds - 1]);
                printf(" %11.2fms", med * 1e3);
            } else
                printf(" %5d/%d %4.2f%%", hit, seeds, (best - opt) / fabs(opt) * 100);
        }
        printf("\n");
        qubo_free(&m);
    }
    fclose(idx);
    printf("solved by every seed within %.2g s:", limit);
    for (int s = 0; s < NS; s++)
        printf("  %s %d/%d (slowest %.1f ms)", qubo_solver_name(solvers[s]), solved[s], total,
               worst[s] * 1e3);
    printf("\n(an entry \"h/k g%%\": h of k seeds reached the optimum; g = gap of the best)\n\n");
    return 0;
}

static void gen_qubo(int n, double density, uint64_t seed, qubo_model *m)
{
    bu_rng r;
    bu_rng_seed(&r, seed);
    qubo_builder b;
    qubo_builder_init(&b, n, NULL);
    uint64_t thr = (uint64_t)(density * 1e6);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            if (bu_rng_below(&r, 1000000) < thr)
                qubo_builder_add(&b, i, j, (double)((int)bu_rng_below(&r, 201) - 100) * (i == j ? 1 : 2));
    qubo_builder_build(&b, m, NULL);
    qubo_builder_free(&b);
}

static qubo_edge *gen_graph(int n, double density, uint64_t seed, size_t *m)
{
    bu_rng r;
    bu_rng_seed(&r, seed);
    size_t cap = (size_t)n * n / 2 + 1, k = 0;
    qubo_edge *e = malloc(cap * sizeof *e);
    uint64_t thr = (uint64_t)(density * 1e6);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (bu_rng_below(&r, 1000000) < thr)
                e[k++] = (qubo_edge){i, j, 1};
    *m = k;
    return e;
}

static void fixed_time(const char *label, const qubo_model *m, const qubo_edge *edges, size_t ne,
                       double secs)
{
    double en[NS], fl[NS], cut[NS];
    double best = INFINITY;
    for (int s = 0; s < NS; s++) {
        qubo_options o;
        qubo_options_default(&o);
        o.seed = 1;
        o.time_limit = secs;
        qubo_result r;
        nq_err err;
        if (qubo_solve(m, solvers[s], &o, &r, &err)) {
            printf("%s: %s\n", qubo_solver_name(solvers[s]), err.msg);
            en[s] = INFINITY;
            continue;
        }
        en[s] = r.energy;
        fl[s] = (double)r.iterations / r.seconds;
        cut[s] = edges ? qubo_cut_value(edges, ne, r.x) : 0;
        best = fmin(best, r.energy);
        qubo_result_free(&r);
    }
    printf("%s (n = %d, %zu pairs, %.3g s each)\n", label, m->n, qubo_num_pairs(m), secs);
    for (int s = 0; s < NS; s++) {
        printf("  %-5s energy %12.0f", qubo_solver_name(solvers[s]), en[s]);
        if (edges)
            printf("  cut %8.0f", cut[s]);
        printf("  gap to best of run %6.3f%%  %s/s %.3g\n",
               (en[s] - best) / fabs(best) * 100,
               solvers[s] == QUBO_SOLVER_TABU ? "moves" : "flips", fl[s]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    double limit = 1.0, fixed = 10.0;
    int seeds = 3, large = 1;
    const char *shared = getenv("NQ_SHARED_DIR") ? getenv("NQ_SHARED_DIR") : NQ_SHARED_DIR;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/qubo/beasley", shared);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--limit") && i + 1 < argc)
            limit = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
            seeds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--fixed") && i + 1 < argc)
            fixed = atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--skip-large"))
            large = 0;
        else {
            fprintf(stderr, "usage: bench_qubo [--limit S] [--seeds K] [--fixed S] [--dir DIR] "
                            "[--skip-large]\n");
            return 2;
        }
    }
    if (seeds < 1 || seeds > 16)
        seeds = 3;
    struct stat st;
    if (stat(dir, &st) != 0 && !getenv("NQ_SHARED_DIR"))
        snprintf(dir, sizeof dir, "/tmp/shared/data/qubo/beasley");
    bu_machine mach;
    bu_machine_probe(&mach, ".");
    bu_machine_print(&mach, ".");
    printf("build type: %s\n\n", NQ_BENCH_BUILD_TYPE);
    beasley(dir, limit, seeds);
    if (!large)
        return 0;
    printf("Part 2: quality within a fixed time (anchor: the best energy of this run)\n");
    qubo_model m;
    gen_qubo(1000, 0.10, 1000, &m);
    fixed_time("Beasley-style QUBO n=1000 d=10%", &m, NULL, 0, fixed);
    qubo_free(&m);
    gen_qubo(2500, 0.10, 2500, &m);
    fixed_time("Beasley-style QUBO n=2500 d=10%", &m, NULL, 0, fixed);
    qubo_free(&m);
    size_t ne;
    qubo_edge *e = gen_graph(800, 0.06, 800, &ne);
    qubo_build_maxcut(800, e, ne, &m, NULL);
    fixed_time("Gset-style Max-Cut n=800 d=6% (as G1)", &m, e, ne, fixed);
    qubo_free(&m);
    free(e);
    return 0;
}
