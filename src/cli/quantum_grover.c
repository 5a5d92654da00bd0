/*
 * quantum_grover.c — `nqdb quantum grover`: Grover's search on the state-vector simulator
 * (src/quantum/grover.h), plugged into the table of quantum_cmds.c.
 *
 * It allocates n qubits (checked against --max-memory before allocating), runs the optimal
 * number of iterations (or --iterations K), and prints the iteration count, the success
 * probability measured on the state next to sin^2((2k+1) theta), each marked state's
 * probability, and with --shots S the counts of S seeded samples; --qasm FILE writes the
 * gate-level circuit as OpenQASM 3 (with a final measurement). --json prints one document.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "grover.h"
#include "qasm.h"

int quantum_grover(int argc, char **argv);

#define GROVER_MAX_SHOTS 100000000ull
#define GROVER_MAX_ITERATIONS 10000000ull
#define GROVER_MAX_QASM_GATES 20000000ull
#define GROVER_PRINT_MARKED 64

static void grover_usage(FILE *out)
{
    fprintf(out,
            "usage: nqdb quantum grover --qubits N --marked I[,J...] [--shots S] [--qasm FILE]\n"
            "                           [--seed N] [--iterations K] [--precision double|single]\n"
            "                           [--max-memory MIB] [--json]\n"
            "\n"
            "Simulates Grover's search over 2^N basis states (N = 1..34, as memory allows) with\n"
            "the marked indices I, J, ... (0 .. 2^N - 1; repeats count once) as the oracle.\n"
            "The iteration count is k = floor(pi / (4 theta)), theta = asin(sqrt(M / 2^N)) for M\n"
            "marked states, unless --iterations K is given. Prints k, the probability of reading\n"
            "a marked state (from the simulated state) next to the exact sin^2((2k+1) theta), and\n"
            "each marked state's probability (the first %d in text output).\n"
            "  --shots S          sample S measurements (seeded; default 0, at most %llu) and\n"
            "                     print how many fell on each marked state and elsewhere\n"
            "  --seed N           seed of the sampler (default 1): same seed, same counts\n"
            "  --iterations K     run K iterations instead of the optimal count (at most %llu)\n"
            "  --qasm FILE        write the gate-level circuit as OpenQASM 3 (H, X, and\n"
            "                     multi-controlled Z as `ctrl(k) @ z`), measured at the end\n"
            "  --precision P      double (default, 16 bytes per state) or single (8 bytes)\n"
            "  --max-memory MIB   memory budget for the amplitudes (default 1024): more qubits\n"
            "                     than fit is an error, reported before anything is allocated\n"
            "  --json             one JSON document instead of text\n"
            "This is a classical simulation: its cost grows as 2^N x sqrt(2^N / M); it computes\n"
            "what the quantum algorithm would do, it does not search faster than a scan.\n"
            "Exit status: 0 ok, 2 error.\n",
            GROVER_PRINT_MARKED, GROVER_MAX_SHOTS, GROVER_MAX_ITERATIONS);
}

static int g_ull(const char *opt, const char *s, unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || *s == '+' || *s == ' ') {
        fprintf(stderr, "nqdb quantum grover: %s: not a non-negative integer: \"%s\"\n", opt, s);
        return -1;
    }
    return 0;
}

/* "3,5,17" -> a malloc'd array. */
static int parse_marked(const char *s, uint64_t **out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    uint64_t *a = malloc(cap * sizeof *a);
    if (!a) {
        fprintf(stderr, "nqdb quantum grover: out of memory\n");
        return -1;
    }
    size_t k = 0;
    const char *p = s;
    for (;;) {
        char *end;
        if (*p < '0' || *p > '9') {
            fprintf(stderr, "nqdb quantum grover: --marked: expected a list of indices like 3,5,17, "
                            "not \"%s\"\n", s);
            free(a);
            return -1;
        }
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno) {
            fprintf(stderr, "nqdb quantum grover: --marked: index too large in \"%s\"\n", s);
            free(a);
            return -1;
        }
        a[k++] = v;
        if (*end == 0)
            break;
        if (*end != ',') {
            fprintf(stderr, "nqdb quantum grover: --marked: expected a list of indices like 3,5,17, "
                            "not \"%s\"\n", s);
            free(a);
            return -1;
        }
        p = end + 1;
    }
    *out = a;
    *n = k;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int write_qasm(int n, const grover_oracle *o, uint64_t k, const char *path, size_t *gates)
{
    /* gates: n + k (M (2 zeros + 1) + 4n + 1) <= n + k (M (2n + 1) + 4n + 1) */
    double est = n + (double)k * ((double)o->nmarked * (2 * n + 1) + 4 * n + 1);
    if (est > (double)GROVER_MAX_QASM_GATES) {
        fprintf(stderr, "nqdb quantum grover: --qasm: the circuit would have about %.0f gates, "
                        "more than the %llu this command writes\n", est, GROVER_MAX_QASM_GATES);
        return -1;
    }
    statevec_circuit *c;
    nq_err e;
    nq_err_clear(&e);
    char *text = NULL;
    size_t len = 0;
    if (grover_circuit(n, o, k, &c, &e) != 0) {
        fprintf(stderr, "nqdb quantum grover: --qasm: %s\n", e.msg);
        return -1;
    }
    if (qasm_export(c, 1, &text, &len, &e) != 0) {
        fprintf(stderr, "nqdb quantum grover: --qasm: %s\n", e.msg);
        statevec_circuit_free(c);
        return -1;
    }
    *gates = c->ngates;
    statevec_circuit_free(c);
    FILE *f = fopen(path, "w");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "nqdb quantum grover: --qasm: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

int quantum_grover(int argc, char **argv)
{
    unsigned long long qubits = 0, shots = 0, seed = 1, iters = 0, mem_mib = 1024;
    int have_qubits = 0, have_iters = 0, json = 0;
    const char *marked_arg = NULL, *qasm_path = NULL;
    statevec_prec prec = STATEVEC_F64;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            grover_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (strncmp(a, "--", 2) || i + 1 >= argc) {
            fprintf(stderr, "nqdb quantum grover: %s %s\n", a,
                    strncmp(a, "--", 2) ? "is not an option" : "needs a value");
            grover_usage(stderr);
            return EXIT_ERROR;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--qubits"))
            bad = g_ull(a, v, &qubits), have_qubits = 1;
        else if (!strcmp(a, "--marked"))
            marked_arg = v;
        else if (!strcmp(a, "--shots"))
            bad = g_ull(a, v, &shots);
        else if (!strcmp(a, "--seed"))
            bad = g_ull(a, v, &seed);
        else if (!strcmp(a, "--iterations"))
            bad = g_ull(a, v, &iters), have_iters = 1;
        else if (!strcmp(a, "--max-memory"))
            bad = g_ull(a, v, &mem_mib);
        else if (!strcmp(a, "--qasm"))
            qasm_path = v;
        else if (!strcmp(a, "--precision")) {
            if (!strcmp(v, "double"))
                prec = STATEVEC_F64;
            else if (!strcmp(v, "single"))
                prec = STATEVEC_F32;
            else {
                fprintf(stderr, "nqdb quantum grover: --precision: double or single\n");
                return EXIT_ERROR;
            }
        } else {
            fprintf(stderr, "nqdb quantum grover: unknown option %s\n", a);
            grover_usage(stderr);
            return EXIT_ERROR;
        }
        if (bad)
            return EXIT_ERROR;
    }
    if (!have_qubits || !marked_arg) {
        fprintf(stderr, "nqdb quantum grover: --qubits and --marked are required\n");
        grover_usage(stderr);
        return EXIT_ERROR;
    }
    if (qubits < 1 || qubits > STATEVEC_MAX_QUBITS) {
        fprintf(stderr, "nqdb quantum grover: --qubits: 1..%d\n", STATEVEC_MAX_QUBITS);
        return EXIT_ERROR;
    }
    if (shots > GROVER_MAX_SHOTS) {
        fprintf(stderr, "nqdb quantum grover: --shots: at most %llu\n", GROVER_MAX_SHOTS);
        return EXIT_ERROR;
    }
    if (have_iters && iters > GROVER_MAX_ITERATIONS) {
        fprintf(stderr, "nqdb quantum grover: --iterations: at most %llu\n", GROVER_MAX_ITERATIONS);
        return EXIT_ERROR;
    }
    if (mem_mib < 1 || mem_mib > (1ull << 24)) {
        fprintf(stderr, "nqdb quantum grover: --max-memory: 1..16777216 MiB\n");
        return EXIT_ERROR;
    }
    int n = (int)qubits;
    uint64_t dim = (uint64_t)1 << n, *mk;
    size_t nm;
    if (parse_marked(marked_arg, &mk, &nm))
        return EXIT_ERROR;
    qsort(mk, nm, sizeof *mk, cmp_u64);
    size_t u = 0;
    for (size_t k = 0; k < nm; k++)
        if (u == 0 || mk[u - 1] != mk[k])
            mk[u++] = mk[k];
    nm = u;
    if (mk[nm - 1] >= dim) {
        fprintf(stderr, "nqdb quantum grover: --marked: index %" PRIu64 " is out of range for %d "
                        "qubits (0..%" PRIu64 ")\n", mk[nm - 1], n, dim - 1);
        free(mk);
        return EXIT_ERROR;
    }
    nq_err e;
    nq_err_clear(&e);
    statevec *sv;
    if (statevec_new(&sv, n, prec, (size_t)mem_mib << 20, &e) != 0) {
        fprintf(stderr, "nqdb quantum grover: %s\n", e.msg);
        free(mk);
        return EXIT_ERROR;
    }
    grover_oracle o = {mk, nm, NULL, NULL};
    grover_result res;
    double t0 = now_s();
    int rc = grover_search(sv, &o, have_iters ? (int64_t)iters : -1, &res, &e);
    double t_sim = now_s() - t0;
    uint64_t *samples = NULL, *counts = NULL, other = 0;
    double t_samp = 0;
    if (rc == 0 && shots) {
        samples = malloc(shots * sizeof *samples);
        counts = calloc(nm, sizeof *counts);
        nq_rng r;
        nq_rng_seed(&r, seed);
        t0 = now_s();
        if (!samples || !counts)
            rc = nq_err_set(&e, NQ_ENOMEM, "out of memory for %llu shots", shots);
        else
            rc = statevec_sample(sv, &r, shots, samples, &e);
        t_samp = now_s() - t0;
        for (uint64_t k = 0; rc == 0 && k < shots; k++) {
            uint64_t *hit = bsearch(&samples[k], mk, nm, sizeof *mk, cmp_u64);
            if (hit)
                counts[hit - mk]++;
            else
                other++;
        }
    }
    size_t gates = 0;
    if (rc == 0 && qasm_path && write_qasm(n, &o, res.iterations, qasm_path, &gates) != 0)
        rc = -1, e.msg[0] = 0;
    if (rc != 0) {
        if (e.msg[0])
            fprintf(stderr, "nqdb quantum grover: %s\n", e.msg);
        free(samples), free(counts), free(mk);
        statevec_free(sv);
        return EXIT_ERROR;
    }
    uint64_t bytes;
    statevec_bytes(n, prec, &bytes);
    const char *pname = prec == STATEVEC_F64 ? "double" : "single";
    if (json) {
        printf("{\"qubits\":%d,\"states\":%" PRIu64 ",\"precision\":\"%s\",\"memory_bytes\":%" PRIu64
               ",\"marked_count\":%zu,\"iterations\":%" PRIu64 ",\"optimal_iterations\":%" PRIu64
               ",\"theta\":%.17g,\"success_probability\":%.17g,\"predicted\":%.17g,\"marked\":[",
               n, dim, pname, bytes, nm, res.iterations, grover_optimal_iterations(dim, nm),
               res.theta, res.success, res.predicted);
        for (size_t k = 0; k < nm; k++)
            printf("%s{\"state\":%" PRIu64 ",\"probability\":%.17g}", k ? "," : "", mk[k],
                   statevec_prob(sv, mk[k]));
        printf("]");
        if (shots) {
            printf(",\"shots\":%llu,\"seed\":%llu,\"counts\":{", shots, seed);
            for (size_t k = 0; k < nm; k++)
                printf("%s\"%" PRIu64 "\":%" PRIu64, k ? "," : "", mk[k], counts[k]);
            printf("},\"counts_marked\":%" PRIu64 ",\"counts_other\":%" PRIu64, (uint64_t)shots - other, other);
        }
        if (qasm_path) {
            printf(",\"qasm\":{\"file\":");
            putchar('"');
            for (const char *p = qasm_path; *p; p++) {
                if (*p == '"' || *p == '\\')
                    printf("\\%c", *p);
                else if ((unsigned char)*p < 0x20)
                    printf("\\u%04x", (unsigned char)*p);
                else
                    putchar(*p);
            }
            printf("\",\"gates\":%zu}", gates);
        }
        printf(",\"time_ms\":{\"simulate\":%.3f,\"sample\":%.3f}}\n", t_sim * 1e3, t_samp * 1e3);
    } else {
        printf("qubits: %d (%" PRIu64 " states, %s precision, %.1f KiB of amplitudes)\n", n, dim,
               pname, bytes / 1024.0);
        printf("marked: %zu state%s\n", nm, nm == 1 ? "" : "s");
        printf("iterations: %" PRIu64 "%s (theta = asin(sqrt(M/N)) = %.12g)\n", res.iterations,
               have_iters ? " (given)" : " = floor(pi/(4 theta))", res.theta);
        printf("success probability: %.12f (exact sin^2((2k+1) theta) = %.12f)\n", res.success,
               res.predicted);
        for (size_t k = 0; k < nm && k < GROVER_PRINT_MARKED; k++)
            printf("  P(%" PRIu64 ") = %.12f\n", mk[k], statevec_prob(sv, mk[k]));
        if (nm > GROVER_PRINT_MARKED)
            printf("  ... %zu more marked states (--json lists all)\n", nm - GROVER_PRINT_MARKED);
        if (shots) {
            printf("shots: %llu (seed %llu): %" PRIu64 " on marked states, %" PRIu64 " elsewhere\n",
                   shots, seed, (uint64_t)shots - other, other);
            for (size_t k = 0; k < nm && k < GROVER_PRINT_MARKED; k++)
                printf("  %" PRIu64 ": %" PRIu64 "\n", mk[k], counts[k]);
        }
        if (qasm_path)
            printf("qasm: %s (%zu gates, OpenQASM 3)\n", qasm_path, gates);
        printf("time: simulate %.3f ms, sample %.3f ms\n", t_sim * 1e3, t_samp * 1e3);
    }
    free(samples), free(counts), free(mk);
    statevec_free(sv);
    return 0;
}
