/*
 * quantum_tfim.c — `nqdb quantum tfim`: the exact ground-state energy of the transverse-field
 * Ising chain (src/quantum/tfim.h, Lanczos on the 2^N space), plugged into the table of
 * quantum_cmds.c. Where the Jordan-Wigner closed form applies (even N, periodic, J, h >= 0)
 * it is printed next to the Lanczos value with their difference, so every run carries its
 * own check. --method sqa (path-integral Monte Carlo for large N) is not built: it says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tfim.h"

int quantum_tfim(int argc, char **argv);

static void tfim_usage(FILE *out)
{
    fprintf(out,
            "usage: nqdb quantum tfim --spins N --J J --h H [--boundary periodic|open]\n"
            "                         [--method exact] [--max-memory MIB] [--json]\n"
            "\n"
            "Ground-state energy of the transverse-field Ising chain\n"
            "    H = -J sum_i Z_i Z_{i+1} - h sum_i X_i\n"
            "on N spins (periodic: N bonds, the default; open: N - 1 bonds).\n"
            "  --method exact     Lanczos on all 2^N states with H applied without storing it;\n"
            "                     exact to rounding. Memory: 3 x 2^N doubles (N = 20: 24 MiB,\n"
            "                     N = 25: 768 MiB); time grows as N 2^N per Lanczos step.\n"
            "  --method sqa       simulated quantum annealing for large N: not supported yet.\n"
            "  --max-memory MIB   memory budget (default 1024); a larger N is refused before\n"
            "                     anything is allocated\n"
            "  --json             one JSON document instead of text\n"
            "For even N, periodic boundary and J, h >= 0 the closed form\n"
            "    E0 = -sum_{m=1..N} sqrt(J^2 + h^2 - 2 J h cos((2m - 1) pi / N))\n"
            "is printed as well, with its difference from the Lanczos value.\n"
            "Exit status: 0 ok, 2 error.\n");
}

static int t_double(const char *opt, const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(*v)) {
        fprintf(stderr, "nqdb quantum tfim: %s: not a number: \"%s\"\n", opt, s);
        return -1;
    }
    return 0;
}

static int t_ull(const char *opt, const char *s, unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || *s == '+' || *s == ' ') {
        fprintf(stderr, "nqdb quantum tfim: %s: not a non-negative integer: \"%s\"\n", opt, s);
        return -1;
    }
    return 0;
}

int quantum_tfim(int argc, char **argv)
{
    unsigned long long spins = 0, mem_mib = 1024;
    double J = 0, h = 0;
    int have_n = 0, have_j = 0, have_h = 0, json = 0;
    tfim_boundary b = TFIM_PERIODIC;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            tfim_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (strncmp(a, "--", 2) || i + 1 >= argc) {
            fprintf(stderr, "nqdb quantum tfim: %s %s\n", a,
                    strncmp(a, "--", 2) ? "is not an option" : "needs a value");
            tfim_usage(stderr);
            return EXIT_ERROR;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--spins"))
            bad = t_ull(a, v, &spins), have_n = 1;
        else if (!strcmp(a, "--J"))
            bad = t_double(a, v, &J), have_j = 1;
        else if (!strcmp(a, "--h"))
            bad = t_double(a, v, &h), have_h = 1;
        else if (!strcmp(a, "--max-memory"))
            bad = t_ull(a, v, &mem_mib);
        else if (!strcmp(a, "--boundary")) {
            if (!strcmp(v, "periodic"))
                b = TFIM_PERIODIC;
            else if (!strcmp(v, "open"))
                b = TFIM_OPEN;
            else {
                fprintf(stderr, "nqdb quantum tfim: --boundary: periodic or open\n");
                return EXIT_ERROR;
            }
        } else if (!strcmp(a, "--method")) {
            if (!strcmp(v, "sqa")) {
                fprintf(stderr, "nqdb: not supported yet: nqdb quantum tfim --method sqa "
                                "(use --method exact, N <= ~25)\n");
                return EXIT_ERROR;
            }
            if (strcmp(v, "exact")) {
                fprintf(stderr, "nqdb quantum tfim: --method: exact (sqa is not supported yet)\n");
                return EXIT_ERROR;
            }
        } else {
            fprintf(stderr, "nqdb quantum tfim: unknown option %s\n", a);
            tfim_usage(stderr);
            return EXIT_ERROR;
        }
        if (bad)
            return EXIT_ERROR;
    }
    if (!have_n || !have_j || !have_h) {
        fprintf(stderr, "nqdb quantum tfim: --spins, --J and --h are required\n");
        tfim_usage(stderr);
        return EXIT_ERROR;
    }
    if (spins < 1 || spins > TFIM_MAX_SPINS) {
        fprintf(stderr, "nqdb quantum tfim: --spins: 1..%d (memory permitting)\n", TFIM_MAX_SPINS);
        return EXIT_ERROR;
    }
    if (mem_mib < 1 || mem_mib > (1ull << 24)) {
        fprintf(stderr, "nqdb quantum tfim: --max-memory: 1..16777216 MiB\n");
        return EXIT_ERROR;
    }
    tfim_params p = {(int)spins, J, h, b};
    tfim_exact_result r;
    nq_err e;
    nq_err_clear(&e);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (tfim_exact(&p, (size_t)mem_mib << 20, &r, &e) != 0) {
        fprintf(stderr, "nqdb quantum tfim: %s\n", e.msg);
        return EXIT_ERROR;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) * 1e-6;
    double f = 0;
    int have_f = b == TFIM_PERIODIC && tfim_energy_formula(p.n, J, h, &f) == 0;
    const char *bn = b == TFIM_PERIODIC ? "periodic" : "open";
    if (json) {
        printf("{\"spins\":%d,\"J\":%.17g,\"h\":%.17g,\"boundary\":\"%s\",\"method\":\"exact\","
               "\"energy\":%.17g,\"energy_per_spin\":%.17g,\"states\":%" PRIu64
               ",\"iterations\":%d,\"converged\":%s,\"memory_bytes\":%" PRIu64,
               p.n, J, h, bn, r.energy, r.energy / p.n, r.dim, r.iterations,
               r.converged ? "true" : "false", r.bytes);
        if (have_f)
            printf(",\"formula\":%.17g,\"formula_difference\":%.3g", f, r.energy - f);
        printf(",\"time_ms\":%.3f}\n", ms);
    } else {
        printf("spins: %d (%s), J = %.15g, h = %.15g\n", p.n, bn, J, h);
        printf("ground-state energy: %.12f (%.12f per spin)\n", r.energy, r.energy / p.n);
        if (have_f)
            printf("closed form (even N, periodic): %.12f (difference %.3g)\n", f, r.energy - f);
        printf("method: exact (Lanczos, %d steps%s, %" PRIu64 " states, %.1f KiB of vectors)\n",
               r.iterations, r.converged ? "" : ", NOT converged", r.dim, r.bytes / 1024.0);
        printf("time: %.3f ms\n", ms);
    }
    return r.converged ? 0 : EXIT_ERROR;
}
