/*
 * quantum_tfim.c — `nqdb quantum tfim`: the exact ground-state energy of the transverse-field
 * Ising chain (src/quantum/tfim.h, Lanczos on the 2^N space), plugged into the table of
 * quantum_cmds.c. Where the Jordan-Wigner closed form applies (even N, periodic, J, h >= 0)
 * it is printed next to the Lanczos value with their difference, so every run carries its
 * own check. --method sqa runs the path-integral Monte Carlo of tfim_pimc.h (any N from 2 to
 * 2^20) and prints the energy with its binning error bar, and where the closed form applies its
 * value, the relative error and the closed form of the Trotterized chain at the same dtau (the
 * value the Monte Carlo converges to as beta grows), so the run separates Trotter error from
 * thermal and statistical error.
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
#include "tfim_pimc.h"

int quantum_tfim(int argc, char **argv);

static void tfim_usage(FILE *out)
{
    fprintf(out,
            "usage: nqdb quantum tfim --spins N --J J --h H [--boundary periodic|open]\n"
            "                         [--method exact|sqa] [--max-memory MIB] [--json]\n"
            "       sqa only: [--beta B] [--slices P] [--sweeps S] [--anneal-sweeps S]\n"
            "                 [--equilibrate S] [--schedule linear|exponential|polynomial]\n"
            "                 [--power P] [--h-start G] [--seed N] [--extrapolate]\n"
            "\n"
            "Ground-state energy of the transverse-field Ising chain\n"
            "    H = -J sum_i Z_i Z_{i+1} - h sum_i X_i\n"
            "on N spins (periodic: N bonds, the default; open: N - 1 bonds).\n"
            "  --method exact     Lanczos on all 2^N states with H applied without storing it;\n"
            "                     exact to rounding. Memory: 3 x 2^N doubles (N = 20: 24 MiB,\n"
            "                     N = 25: 768 MiB); time grows as N 2^N per Lanczos step.\n"
            "  --method sqa       path-integral Monte Carlo (simulated quantum annealing) for\n"
            "                     large N (2..1048576, h != 0): the Suzuki-Trotter mapping to P\n"
            "                     coupled copies of the chain at inverse temperature beta,\n"
            "                     Metropolis and Wolff cluster moves, the field annealed from\n"
            "                     --h-start to h, then the energy estimator averaged over the\n"
            "                     recorded sweeps with a binning error bar. Statistical, with a\n"
            "                     Trotter error O((beta/P)^2) and a thermal error e^{-beta gap}.\n"
            "  --beta B           inverse temperature (default 16 / max(|J|, |h|))\n"
            "  --slices P         Trotter slices (default beta max(|J|, |h|) / 0.05)\n"
            "  --sweeps S         recorded sweeps (default 2000)\n"
            "  --anneal-sweeps S  sweeps of the field annealing (default 200; 0: none)\n"
            "  --equilibrate S    sweeps at h discarded before recording (default 100)\n"
            "  --schedule K       annealing schedule: linear (default), exponential, polynomial\n"
            "  --power P          exponent of the polynomial schedule (default 2)\n"
            "  --h-start G        field at the start of the annealing (default 4 max(|J|, |h|))\n"
            "  --seed N           seed of the generator (default 1); same seed, same numbers\n"
            "  --extrapolate      run at P and 2P slices and report (4 E_2P - E_P) / 3, which\n"
            "                     cancels the dtau^2 Trotter error (three times the work)\n"
            "  --max-memory MIB   memory budget (default 1024); a larger N is refused before\n"
            "                     anything is allocated\n"
            "  --json             one JSON document instead of text\n"
            "For even N, periodic boundary and J, h >= 0 the closed form\n"
            "    E0 = -sum_{m=1..N} sqrt(J^2 + h^2 - 2 J h cos((2m - 1) pi / N))\n"
            "is printed as well, with its difference from the computed value (and for sqa the\n"
            "closed form of the Trotterized chain at the same beta / P).\n"
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

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) * 1e-6;
}

static const char *schedule_name(tfim_schedule_kind k)
{
    return k == TFIM_SCHED_EXPONENTIAL ? "exponential"
           : k == TFIM_SCHED_POLYNOMIAL ? "polynomial"
                                        : "linear";
}

/* --method sqa: run tfim_pimc_run (or the extrapolation from P and 2P slices) and print it. */
static int tfim_sqa(const tfim_params *p, tfim_pimc_options *o, int extrapolate, int json)
{
    double scale = fmax(fabs(p->J), fabs(p->h));
    if (!o->has_schedule) {
        o->has_schedule = 1;
        o->schedule.kind = TFIM_SCHED_LINEAR;
    }
    if (!(o->schedule.g0 > 0))
        o->schedule.g0 = 4 * scale;
    if (o->schedule.kind == TFIM_SCHED_POLYNOMIAL && !(o->schedule.power > 0))
        o->schedule.power = 2;
    tfim_pimc_extrapolation x;
    tfim_pimc_result r;
    nq_err e;
    nq_err_clear(&e);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = extrapolate ? tfim_pimc_extrapolate(p, o, &x, &e) : tfim_pimc_run(p, o, &r, &e);
    if (rc != 0) {
        fprintf(stderr, "nqdb quantum tfim: %s\n", e.msg);
        return EXIT_ERROR;
    }
    double ms = elapsed_ms(&t0);
    double energy, error;
    if (extrapolate) {
        r = x.fine; /* the descriptive figures are the fine run's */
        energy = x.energy, error = x.error;
    } else {
        energy = r.energy, error = r.error;
    }
    double f = 0, ft = 0, fc = 0;
    int have_f = p->boundary == TFIM_PERIODIC && tfim_energy_formula(p->n, p->J, p->h, &f) == 0;
    int have_t = have_f && tfim_trotter_energy_formula(p->n, p->J, p->h, r.dtau, &ft) == 0;
    if (have_t && extrapolate) {
        /* what the extrapolation converges to as beta grows */
        have_t = tfim_trotter_energy_formula(p->n, p->J, p->h, x.coarse.dtau, &fc) == 0;
        ft = (4 * ft - fc) / 3;
    }
    long anneal = o->anneal_sweeps < 0 ? 0 : o->anneal_sweeps ? o->anneal_sweeps : 200;
    long equil = o->equilibrate < 0 ? 0 : o->equilibrate ? o->equilibrate : 100;
    const char *bn = p->boundary == TFIM_PERIODIC ? "periodic" : "open";
    const char *sn = schedule_name(o->schedule.kind);
    if (json) {
        printf("{\"spins\":%d,\"J\":%.17g,\"h\":%.17g,\"boundary\":\"%s\",\"method\":\"sqa\","
               "\"energy\":%.17g,\"error\":%.6g,\"energy_per_spin\":%.17g,\"energy_zz\":%.17g,"
               "\"energy_x\":%.17g,\"magnetization\":%.6g,\"beta\":%.17g,\"slices\":%d,"
               "\"dtau\":%.17g,\"sweeps\":%ld,\"anneal_sweeps\":%ld,\"equilibrate\":%ld,"
               "\"schedule\":\"%s\",\"h_start\":%.17g,\"seed\":%llu,\"error_naive\":%.6g,"
               "\"tau_int\":%.4g,\"bin_levels\":%d,\"acceptance\":%.6g,\"mean_cluster\":%.6g,"
               "\"memory_bytes\":%llu",
               p->n, p->J, p->h, bn, energy, error, energy / p->n, r.energy_zz, r.energy_x,
               r.magnetization, r.beta, r.slices, r.dtau, r.sweeps, anneal, equil, sn,
               anneal ? o->schedule.g0 : fabs(p->h), (unsigned long long)o->seed, r.error_naive,
               r.tau_int, r.bin_levels, r.accept, r.mean_cluster, (unsigned long long)r.bytes);
        printf(",\"extrapolated\":%s", extrapolate ? "true" : "false");
        if (extrapolate)
            printf(",\"coarse\":{\"slices\":%d,\"energy\":%.17g,\"error\":%.6g},"
                   "\"fine\":{\"slices\":%d,\"energy\":%.17g,\"error\":%.6g}",
                   x.coarse.slices, x.coarse.energy, x.coarse.error, x.fine.slices,
                   x.fine.energy, x.fine.error);
        if (have_f)
            printf(",\"formula\":%.17g,\"formula_difference\":%.6g,\"relative_error\":%.6g", f,
                   energy - f, (energy - f) / fabs(f));
        if (have_t)
            printf(",\"trotter_formula\":%.17g", ft);
        printf(",\"time_ms\":%.3f}\n", ms);
        return 0;
    }
    printf("spins: %d (%s), J = %.15g, h = %.15g\n", p->n, bn, p->J, p->h);
    printf("ground-state energy (estimate): %.6f +- %.2g (%.6f per spin)\n", energy, error,
           energy / p->n);
    if (extrapolate)
        printf("extrapolated in the Trotter step: (4 E(%d slices) - E(%d slices)) / 3 from "
               "%.6f +- %.2g and %.6f +- %.2g\n",
               x.fine.slices, x.coarse.slices, x.fine.energy, x.fine.error, x.coarse.energy,
               x.coarse.error);
    if (have_f)
        printf("closed form (even N, periodic): %.6f (relative error %+.3f %%, %.1f standard "
               "errors)\n",
               f, 100 * (energy - f) / fabs(f), error > 0 ? (energy - f) / error : 0);
    if (have_t && extrapolate)
        printf("the same extrapolation of the Trotterized closed form: %.6f (%+.4f %%; the run "
               "converges to it as beta grows)\n",
               ft, 100 * (ft - f) / fabs(f));
    else if (have_t)
        printf("closed form of the Trotterized chain at dtau = %.4g: %.6f (Trotter error "
               "%+.3f %%; the run converges to it as beta grows)\n",
               r.dtau, ft, 100 * (ft - f) / fabs(f));
    printf("parts%s: <-J sum ZZ> = %.6f, <-h sum X> = %.6f, <|m|> = %.4f\n",
           extrapolate ? " (fine run)" : "", r.energy_zz, r.energy_x, r.magnetization);
    printf("method: sqa (path-integral Monte Carlo: %d slices, beta = %.4g, dtau = %.4g)\n",
           r.slices, r.beta, r.dtau);
    if (anneal)
        printf("annealing: %ld sweeps, %s schedule, h from %.4g to %.4g\n", anneal, sn,
               o->schedule.g0, fabs(p->h));
    printf("sweeps: %ld equilibration, %ld recorded (Metropolis acceptance %.3f, mean cluster "
           "%.1f spins, autocorrelation time %.2f sweeps, %d binning levels)\n",
           equil, r.sweeps, r.accept, r.mean_cluster, r.tau_int, r.bin_levels);
    printf("seed: %llu, memory: %.1f KiB\n", (unsigned long long)o->seed, r.bytes / 1024.0);
    printf("time: %.3f ms\n", ms);
    return 0;
}

int quantum_tfim(int argc, char **argv)
{
    unsigned long long spins = 0, mem_mib = 1024, ull;
    double J = 0, h = 0, d;
    int have_n = 0, have_j = 0, have_h = 0, json = 0, sqa = 0, extrapolate = 0;
    const char *sqa_opt = NULL; /* an sqa-only option that was given */
    tfim_boundary b = TFIM_PERIODIC;
    tfim_pimc_options o = {.seed = 1};
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
        if (!strcmp(a, "--extrapolate")) {
            extrapolate = 1;
            sqa_opt = a;
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
            if (!strcmp(v, "sqa"))
                sqa = 1;
            else if (!strcmp(v, "exact"))
                sqa = 0;
            else {
                fprintf(stderr, "nqdb quantum tfim: --method: exact or sqa\n");
                return EXIT_ERROR;
            }
        } else if (!strcmp(a, "--beta")) {
            sqa_opt = a;
            if (!(bad = t_double(a, v, &d)) && !(d > 0)) {
                fprintf(stderr, "nqdb quantum tfim: --beta must be > 0\n");
                bad = 1;
            }
            o.beta = d;
        } else if (!strcmp(a, "--slices")) {
            sqa_opt = a;
            if (!(bad = t_ull(a, v, &ull)) && (ull < 2 || ull > TFIM_PIMC_MAX_SLICES)) {
                fprintf(stderr, "nqdb quantum tfim: --slices: 2..%d\n", TFIM_PIMC_MAX_SLICES);
                bad = 1;
            }
            o.slices = (int)ull;
        } else if (!strcmp(a, "--sweeps") || !strcmp(a, "--anneal-sweeps") ||
                   !strcmp(a, "--equilibrate")) {
            sqa_opt = a;
            if (!(bad = t_ull(a, v, &ull)) && ull > 1000000000ull) {
                fprintf(stderr, "nqdb quantum tfim: %s: at most 1000000000\n", a);
                bad = 1;
            }
            if (!bad && a[2] == 's' && ull == 0) {
                fprintf(stderr, "nqdb quantum tfim: --sweeps must be > 0\n");
                bad = 1;
            }
            long n = (long)ull;
            if (a[2] == 's')
                o.sweeps = n;
            else if (a[2] == 'a')
                o.anneal_sweeps = n ? n : -1;
            else
                o.equilibrate = n ? n : -1;
        } else if (!strcmp(a, "--schedule")) {
            sqa_opt = a;
            o.has_schedule = 1;
            if (!strcmp(v, "linear"))
                o.schedule.kind = TFIM_SCHED_LINEAR;
            else if (!strcmp(v, "exponential"))
                o.schedule.kind = TFIM_SCHED_EXPONENTIAL;
            else if (!strcmp(v, "polynomial"))
                o.schedule.kind = TFIM_SCHED_POLYNOMIAL;
            else {
                fprintf(stderr, "nqdb quantum tfim: --schedule: linear, exponential or "
                                "polynomial\n");
                return EXIT_ERROR;
            }
        } else if (!strcmp(a, "--power")) {
            sqa_opt = a;
            if (!(bad = t_double(a, v, &d)) && !(d > 0)) {
                fprintf(stderr, "nqdb quantum tfim: --power must be > 0\n");
                bad = 1;
            }
            o.schedule.power = d;
        } else if (!strcmp(a, "--h-start")) {
            sqa_opt = a;
            if (!(bad = t_double(a, v, &d)) && !(d > 0)) {
                fprintf(stderr, "nqdb quantum tfim: --h-start must be > 0\n");
                bad = 1;
            }
            o.schedule.g0 = d;
        } else if (!strcmp(a, "--seed")) {
            sqa_opt = a;
            bad = t_ull(a, v, &ull);
            o.seed = ull;
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
    if (sqa_opt && !sqa) {
        fprintf(stderr, "nqdb quantum tfim: %s applies to --method sqa only\n", sqa_opt);
        return EXIT_ERROR;
    }
    unsigned long long max_n = sqa ? TFIM_PIMC_MAX_SPINS : TFIM_MAX_SPINS;
    if (spins < (sqa ? 2u : 1u) || spins > max_n) {
        fprintf(stderr, "nqdb quantum tfim: --spins: %d..%llu%s\n", sqa ? 2 : 1, max_n,
                sqa ? " for --method sqa" : " (memory permitting; --method sqa for more)");
        return EXIT_ERROR;
    }
    if (mem_mib < 1 || mem_mib > (1ull << 24)) {
        fprintf(stderr, "nqdb quantum tfim: --max-memory: 1..16777216 MiB\n");
        return EXIT_ERROR;
    }
    tfim_params p = {(int)spins, J, h, b};
    if (sqa) {
        o.budget = (size_t)mem_mib << 20;
        return tfim_sqa(&p, &o, extrapolate, json);
    }
    tfim_exact_result r;
    nq_err e;
    nq_err_clear(&e);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (tfim_exact(&p, (size_t)mem_mib << 20, &r, &e) != 0) {
        fprintf(stderr, "nqdb quantum tfim: %s\n", e.msg);
        return EXIT_ERROR;
    }
    double ms = elapsed_ms(&t0);
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
