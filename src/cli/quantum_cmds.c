/*
 * quantum_cmds.c — `nqdb quantum`: a table of subcommands, each a function of (argc, argv)
 * with its one-line usage. A row whose function is NULL is part of the documented contract but
 * not built yet: it answers "not supported yet: nqdb quantum NAME" with exit status 2. To plug
 * in grover or tfim, write the function (in its own file, e.g. quantum_grover_cmd.c), declare
 * it here and put it in its row.
 *
 * `nqdb quantum qubo FILE` reads a model (Beasley .sparse, Gset Max-Cut graph or the JSON form
 * of qubo.h), runs one solver through the multi-start driver and prints the energy, the
 * solution, the work done and the time; with --format gset it also prints the cut value
 * (= −energy). --json prints one JSON document instead of the readable lines.
 */
#include "quantum_cmds.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "qubo.h"
#include "qubo_solve.h"

typedef struct quantum_subcmd {
    const char *name;
    int (*run)(int argc, char **argv); /* NULL: not built yet */
    const char *usage;
} quantum_subcmd;

static int quantum_qubo(int argc, char **argv);
int quantum_grover(int argc, char **argv); /* quantum_grover.c */
int quantum_tfim(int argc, char **argv);   /* quantum_tfim.c */

static const quantum_subcmd quantum_subcmds[] = {
    {"qubo", quantum_qubo,
     "qubo FILE [--format beasley|gset|json] [--solver sa|pt|tabu|sqa|exact]\n"
     "       [--time-limit S] [--seed N] [--restarts N] [--target E] [--json]\n"
     "                            minimise a QUBO (or Max-Cut of a Gset graph)"},
    {"grover", quantum_grover,
     "grover --qubits N --marked I[,J...] [--shots S] [--qasm FILE] [--seed N] [--json]\n"
     "                            Grover search on the state-vector simulator"},
    {"tfim", quantum_tfim,
     "tfim --spins N --J J --h H [--boundary periodic|open] [--method exact|sqa] [--json]\n"
     "                            ground state of the transverse-field Ising chain"},
};
#define N_SUBCMDS (sizeof quantum_subcmds / sizeof *quantum_subcmds)

static void quantum_usage(FILE *out)
{
    fprintf(out, "usage: nqdb quantum SUBCOMMAND [ARGS]\n\n");
    for (size_t i = 0; i < N_SUBCMDS; i++)
        fprintf(out, "  %s%s\n", quantum_subcmds[i].usage,
                quantum_subcmds[i].run ? "" : " (not supported yet)");
    fprintf(out,
            "\nqubo: FILE is read as Beasley/BiqMac sparse (\"n m\", then \"i j w\", 1-based,\n"
            "E = sum_{i=j} w x_i + 2 sum_{i<j} w x_i x_j), Gset (\"n m\", then \"u v w\": a\n"
            "Max-Cut graph, E = -cut) or JSON {\"n\":N,\"offset\":c,\"terms\":[[i,j,w],...]};\n"
            "the default format is json for *.json, else beasley. The default solver is tabu\n"
            "with a 1 s time limit (exact: n <= 30, no limit); --target stops at an energy.\n"
            "Output: energy, solution (one digit per variable), runs, iterations, time.\n"
            "Exit status: 0 ok, 2 error.\n");
}

int cmd_quantum(int argc, char **argv)
{
    if (argc < 2) {
        quantum_usage(stderr);
        return EXIT_ERROR;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        quantum_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < N_SUBCMDS; i++) {
        if (strcmp(sub, quantum_subcmds[i].name))
            continue;
        if (!quantum_subcmds[i].run) {
            fprintf(stderr, "nqdb: not supported yet: nqdb quantum %s\n", sub);
            return EXIT_ERROR;
        }
        return quantum_subcmds[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "nqdb quantum: unknown subcommand \"%s\" (try `nqdb quantum --help`)\n", sub);
    return EXIT_ERROR;
}

static int parse_double(const char *opt, const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(*v)) {
        fprintf(stderr, "nqdb quantum qubo: %s: not a number: \"%s\"\n", opt, s);
        return -1;
    }
    return 0;
}

static int parse_ull(const char *opt, const char *s, unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-') {
        fprintf(stderr, "nqdb quantum qubo: %s: not a non-negative integer: \"%s\"\n", opt, s);
        return -1;
    }
    return 0;
}

static void print_number(double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        printf("%.0f", v);
    else
        printf("%.17g", v);
}

static int quantum_qubo(int argc, char **argv)
{
    const char *file = NULL, *format = NULL;
    int solver = QUBO_SOLVER_TABU, json = 0, have_limit = 0;
    qubo_options o;
    qubo_options_default(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            quantum_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) {
                fprintf(stderr, "nqdb quantum qubo: %s needs a value\n", a);
                return EXIT_ERROR;
            }
            const char *v = argv[++i];
            unsigned long long u;
            double d;
            if (!strcmp(a, "--format")) {
                if (strcmp(v, "beasley") && strcmp(v, "gset") && strcmp(v, "json")) {
                    fprintf(stderr, "nqdb quantum qubo: --format: beasley, gset or json\n");
                    return EXIT_ERROR;
                }
                format = v;
            } else if (!strcmp(a, "--solver")) {
                if ((solver = qubo_solver_parse(v)) < 0) {
                    fprintf(stderr,
                            "nqdb quantum qubo: --solver: sa, pt, tabu, sqa or exact, not \"%s\"\n",
                            v);
                    return EXIT_ERROR;
                }
            } else if (!strcmp(a, "--time-limit")) {
                if (parse_double(a, v, &d))
                    return EXIT_ERROR;
                if (d < 0) {
                    fprintf(stderr, "nqdb quantum qubo: --time-limit must be >= 0\n");
                    return EXIT_ERROR;
                }
                o.time_limit = d;
                have_limit = 1;
            } else if (!strcmp(a, "--seed")) {
                if (parse_ull(a, v, &u))
                    return EXIT_ERROR;
                o.seed = (uint64_t)u;
            } else if (!strcmp(a, "--restarts")) {
                if (parse_ull(a, v, &u) || u > 1000000000ull) {
                    fprintf(stderr, "nqdb quantum qubo: --restarts: 0..1000000000\n");
                    return EXIT_ERROR;
                }
                o.restarts = (int)u;
            } else if (!strcmp(a, "--target")) {
                if (parse_double(a, v, &d))
                    return EXIT_ERROR;
                o.target = d;
                o.has_target = 1;
            } else {
                fprintf(stderr, "nqdb quantum qubo: unknown option %s\n", a);
                return EXIT_ERROR;
            }
            continue;
        }
        if (file) {
            fprintf(stderr, "nqdb quantum qubo: one FILE only (\"%s\" and \"%s\")\n", file, a);
            return EXIT_ERROR;
        }
        file = a;
    }
    if (!file) {
        fprintf(stderr, "usage: nqdb quantum qubo FILE [--format beasley|gset|json] "
                        "[--solver sa|pt|tabu|sqa|exact] [--time-limit S] [--seed N] [--json]\n");
        return EXIT_ERROR;
    }
    if (!format) {
        size_t l = strlen(file);
        format = l > 5 && !strcmp(file + l - 5, ".json") ? "json" : "beasley";
    }
    if (!have_limit && solver != QUBO_SOLVER_EXACT && o.restarts == 0)
        o.time_limit = 1.0;

    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "nqdb quantum qubo: cannot open %s: %s\n", file, strerror(errno));
        return EXIT_ERROR;
    }
    qubo_model m;
    qubo_edge *edges = NULL;
    size_t nedges = 0;
    nq_err err;
    nq_err_clear(&err);
    int rc;
    if (!strcmp(format, "gset")) {
        int n;
        rc = qubo_read_gset(f, &n, &edges, &nedges, &err);
        if (!rc)
            rc = qubo_build_maxcut(n, edges, nedges, &m, &err);
    } else if (!strcmp(format, "json"))
        rc = qubo_read_json(f, &m, &err);
    else
        rc = qubo_read_beasley(f, &m, &err);
    fclose(f);
    if (rc) {
        fprintf(stderr, "nqdb quantum qubo: %s: %s\n", file, err.msg);
        free(edges);
        return EXIT_ERROR;
    }
    qubo_result r;
    rc = qubo_solve(&m, (qubo_solver)solver, &o, &r, &err);
    if (rc) {
        fprintf(stderr, "nqdb quantum qubo: %s\n", err.msg);
        qubo_free(&m);
        free(edges);
        return EXIT_ERROR;
    }
    const char *sname = qubo_solver_name((qubo_solver)solver);
    if (json) {
        printf("{\"file\": \"");
        for (const char *p = file; *p; p++) /* JSON string escape */
            if (*p == '"' || *p == '\\')
                printf("\\%c", *p);
            else if ((unsigned char)*p < 0x20)
                printf("\\u%04x", (unsigned char)*p);
            else
                putchar(*p);
        printf("\", \"format\": \"%s\", \"solver\": \"%s\", \"seed\": %llu, \"variables\": %d, "
               "\"pairs\": %zu, \"energy\": ",
               format, sname, (unsigned long long)o.seed, m.n, qubo_num_pairs(&m));
        print_number(r.energy);
        if (edges) {
            printf(", \"cut\": ");
            print_number(qubo_cut_value(edges, nedges, r.x));
        }
        printf(", \"solution\": [");
        for (int i = 0; i < m.n; i++)
            printf(i ? ",%d" : "%d", r.x[i]);
        printf("], \"runs\": %d, \"iterations\": %llu, \"seconds\": %.6f, "
               "\"seconds_to_best\": %.6f}\n",
               r.runs, (unsigned long long)r.iterations, r.seconds, r.seconds_to_best);
    } else {
        printf("energy: ");
        print_number(r.energy);
        printf("\n");
        if (edges) {
            printf("cut: ");
            print_number(qubo_cut_value(edges, nedges, r.x));
            printf("\n");
        }
        printf("solver: %s (seed %llu), %d variables, %zu pairs\n", sname,
               (unsigned long long)o.seed, m.n, qubo_num_pairs(&m));
        printf("runs: %d, iterations: %llu\n", r.runs, (unsigned long long)r.iterations);
        printf("time: %.3f s (best found after %.3f s)\n", r.seconds, r.seconds_to_best);
        printf("solution: ");
        for (int i = 0; i < m.n; i++)
            putchar('0' + r.x[i]);
        printf("\n");
    }
    qubo_result_free(&r);
    qubo_free(&m);
    free(edges);
    return 0;
}
