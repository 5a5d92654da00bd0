/*
 * bench_tfim.c — path-integral Monte Carlo of the transverse-field Ising chain (tfim_pimc.h)
 * against its exact ground-state energy, and its time.
 *
 * The anchor is the Jordan-Wigner closed form of the periodic chain (tfim_energy_formula),
 * computed in the same run: for each N (default 64, 128, 256) and h (default 0.5, 1, 2; J = 1)
 * the run prints the PIMC energy with its binning error bar, the exact E0, the relative error,
 * the closed form of the Trotterized chain at the same dtau (what the Monte Carlo converges to
 * at beta -> infinity, so the remaining difference is thermal plus statistical), the
 * autocorrelation time, the mean Wolff cluster and the wall time.
 *
 * usage: bench_tfim [--spins 64,128,256] [--h 0.5,1,2] [--J 1] [--beta B] [--slices P]
 *                   [--sweeps S] [--anneal S] [--seed N] [--json]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "tfim_pimc.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

static int parse_list(const char *s, double *v, int max)
{
    int n = 0;
    char *end;
    while (*s && n < max) {
        v[n++] = strtod(s, &end);
        if (end == s)
            return -1;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

int main(int argc, char **argv)
{
    double ns[16] = {64, 128, 256}, hs[16] = {0.5, 1, 2}, J = 1;
    int nn = 3, nh = 3, json = 0;
    tfim_pimc_options o = {.seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_tfim: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--spins"))
            nn = parse_list(v, ns, 16);
        else if (!strcmp(a, "--h"))
            nh = parse_list(v, hs, 16);
        else if (!strcmp(a, "--J"))
            J = atof(v);
        else if (!strcmp(a, "--beta"))
            o.beta = atof(v);
        else if (!strcmp(a, "--slices"))
            o.slices = atoi(v);
        else if (!strcmp(a, "--sweeps"))
            o.sweeps = atol(v);
        else if (!strcmp(a, "--anneal"))
            o.anneal_sweeps = atol(v);
        else if (!strcmp(a, "--seed"))
            o.seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "bench_tfim: unknown option %s\n", a);
            return 2;
        }
        if (nn < 1 || nh < 1) {
            fprintf(stderr, "bench_tfim: bad list \"%s\"\n", v);
            return 2;
        }
    }
    char cpu[256];
    bu_cpu_model(cpu, sizeof cpu);
    if (!json)
        printf("bench_tfim (%s build): %s, %ld CPUs, load %.2f\n"
               "%6s %5s %7s %5s %8s | %14s %9s %14s %9s %14s %7s %6s %8s\n",
               NQ_BENCH_BUILD_TYPE, cpu, bu_nproc(), bu_loadavg(), "N", "h", "beta", "P",
               "sweeps", "E (PIMC)", "+-", "E0 exact", "rel.err", "E trotter", "tau", "clust",
               "time s");
    else
        printf("{\"build\":\"%s\",\"runs\":[", NQ_BENCH_BUILD_TYPE);
    int first = 1, rc = 0;
    for (int a = 0; a < nn; a++)
        for (int b = 0; b < nh; b++) {
            tfim_params p = {(int)ns[a], J, hs[b], TFIM_PERIODIC};
            tfim_pimc_result r;
            nq_err e;
            nq_err_clear(&e);
            double t0 = bu_now();
            if (tfim_pimc_run(&p, &o, &r, &e)) {
                fprintf(stderr, "bench_tfim: %s\n", e.msg);
                rc = 1;
                continue;
            }
            double t = bu_now() - t0, e0 = 0, et = 0;
            int have = tfim_energy_formula(p.n, J, hs[b], &e0) == 0;
            int have_t = tfim_trotter_energy_formula(p.n, J, hs[b], r.dtau, &et) == 0;
            double rel = have ? (r.energy - e0) / -e0 : 0;
            if (json) {
                printf("%s{\"spins\":%d,\"J\":%g,\"h\":%g,\"beta\":%g,\"slices\":%d,\"sweeps\":%ld,"
                       "\"energy\":%.10g,\"error\":%.3g,\"exact\":%.10g,\"relative_error\":%.4g,"
                       "\"trotter\":%.10g,\"tau_int\":%.3g,\"mean_cluster\":%.4g,\"time_s\":%.3f}",
                       first ? "" : ",", p.n, J, hs[b], r.beta, r.slices, r.sweeps, r.energy,
                       r.error, e0, rel, have_t ? et : 0, r.tau_int, r.mean_cluster, t);
                first = 0;
            } else
                printf("%6d %5g %7.3g %5d %8ld | %14.6f %9.2g %14.6f %8.3f%% %14.6f %7.2f %6.0f %8.2f\n",
                       p.n, hs[b], r.beta, r.slices, r.sweeps, r.energy, r.error, e0, 100 * rel,
                       have_t ? et : 0, r.tau_int, r.mean_cluster, t);
            fflush(stdout);
        }
    if (json)
        printf("]}\n");
    return rc;
}
