/*
 * bench_statevec.c — gate throughput of the state-vector simulator against the machine's
 * memory bandwidth, both measured in the same run.
 *
 * A one-qubit gate reads and writes every amplitude once (the masked-phase gates touch only
 * the part they change), so at 20 qubits and more, where the state is far larger than the
 * caches, a gate is bounded by memory bandwidth, not arithmetic. The anchor is therefore a
 * streaming copy (dst[i] = src[i] over two arrays as large as the state, STREAM's "copy"),
 * which moves 2 x state bytes per pass, exactly what a gate on all amplitudes moves. The ratio
 * gate bytes/s : copy bytes/s says how close the kernels come to the bound; the goal is 0.5.
 *
 * For each qubit count (20, 22, 24, 26 by default, within --max-mib of memory) and precision it
 * reports, per gate kind (H = a general 2x2 matrix, X = a swap, Z = a phase on half the state,
 * CNOT), the median over --reps runs of one pass over every target qubit 0..n-1, as amplitude
 * updates per second and bytes moved per second, and each gate's figures per target (targets
 * 0..2 use the 8-lane shuffle kernels, higher targets the unit-stride runs). Single-threaded,
 * like the simulator.
 *
 * usage: bench_statevec [--min-qubits N] [--max-qubits N] [--reps R] [--max-mib M] [--json]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "statevec.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

/* A copy loop the compiler may vectorise (or turn into memcpy): either is a streaming copy. */
static void copy_kernel(double *restrict dst, const double *restrict src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static double copy_bandwidth(uint64_t bytes, int reps)
{
    uint64_t n = bytes / sizeof(double);
    double *a = malloc(bytes), *b = malloc(bytes);
    if (!a || !b) {
        free(a), free(b);
        return 0;
    }
    for (uint64_t i = 0; i < n; i++)
        a[i] = (double)i, b[i] = 0;
    double t[32];
    for (int r = 0; r < reps; r++) {
        double t0 = bu_now();
        copy_kernel(b, a, n);
        t[r] = bu_now() - t0;
        if (b[n / 2] != a[n / 2]) /* keep the copy observable */
            fprintf(stderr, "copy check failed\n");
    }
    free(a), free(b);
    return 2.0 * (double)bytes / bu_median(t, reps);
}

enum { K_H, K_X, K_Z, K_CNOT, K_N };
static const char *const kname[K_N] = {"H", "X", "Z", "CNOT"};

static void apply(statevec *sv, int k, int q)
{
    switch (k) {
    case K_H: statevec_h(sv, q); break;
    case K_X: statevec_x(sv, q); break;
    case K_Z: statevec_z(sv, q); break;
    default: statevec_cnot(sv, (q + 1) % sv->n, q); break;
    }
}

/* Fraction of the state a gate reads and writes: Z changes the half with the bit set; CNOT
 * swaps the quarter-pairs where the control is 1, i.e. half the amplitudes. */
static double touched(int k) { return k == K_Z || k == K_CNOT ? 0.5 : 1.0; }

int main(int argc, char **argv)
{
    int qmin = 20, qmax = 26, reps = 5, json = 0;
    uint64_t max_mib = 4096;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--min-qubits"))
            qmin = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--max-qubits"))
            qmax = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--reps"))
            reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--max-mib"))
            max_mib = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_statevec [--min-qubits N] [--max-qubits N] [--reps R] "
                            "[--max-mib M] [--json]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 32 || qmin < 1 || qmax > STATEVEC_MAX_QUBITS || qmin > qmax) {
        fprintf(stderr, "bench_statevec: reps 1..32, 1 <= min-qubits <= max-qubits <= %d\n",
                STATEVEC_MAX_QUBITS);
        return 2;
    }
    char cpu[256];
    bu_cpu_model(cpu, sizeof cpu);
    if (json)
        printf("{\"benchmark\":\"statevec\",\"build\":\"%s\",\"cpu\":", NQ_BENCH_BUILD_TYPE),
            bu_json_string(cpu), printf(",\"nproc\":%ld,\"mem_kib\":%" PRIu64 ",\"load\":%.2f,\"runs\":[",
                                        bu_nproc(), bu_mem_total_kib(), bu_loadavg());
    else
        printf("bench_statevec (%s build): one thread, median of %d reps\nmachine: %s, %ld CPUs, "
               "%.1f GiB, load %.2f\n",
               NQ_BENCH_BUILD_TYPE, reps, cpu, bu_nproc(), bu_mem_total_kib() / 1048576.0,
               bu_loadavg());
    int first = 1;
    for (int n = qmin; n <= qmax; n += 2) {
        for (int p = 0; p < 2; p++) {
            statevec_prec prec = p ? STATEVEC_F32 : STATEVEC_F64;
            uint64_t bytes;
            statevec_bytes(n, prec, &bytes);
            /* the state plus the copy's two buffers */
            if (3 * bytes > max_mib << 20) {
                if (!json)
                    printf("%d qubits %s: skipped (needs %.0f MiB with the copy buffers, "
                           "--max-mib %" PRIu64 ")\n", n, p ? "single" : "double",
                           3.0 * bytes / 1048576, max_mib);
                continue;
            }
            statevec *sv;
            nq_err e;
            nq_err_clear(&e);
            if (statevec_new(&sv, n, prec, bytes, &e) != 0) {
                fprintf(stderr, "bench_statevec: %s\n", e.msg);
                continue;
            }
            statevec_set_uniform(sv);
            double bw = copy_bandwidth(bytes, reps);
            double rate[K_N], bps[K_N];
            for (int k = 0; k < K_N; k++) {
                double t[32];
                for (int r = 0; r < reps; r++) {
                    double t0 = bu_now();
                    for (int q = 0; q < n; q++)
                        apply(sv, k, q);
                    t[r] = (bu_now() - t0) / n;
                }
                double tg = bu_median(t, reps);
                rate[k] = touched(k) * (double)sv->dim / tg;
                bps[k] = touched(k) * 2.0 * (double)bytes / tg;
            }
            /* every gate per target: 0, 1, 2 (the vector kernels with shuffles), 3, n/2,
             * n-2 and n-1 (the unit-stride runs); CNOT's control is the next qubit up (0 for
             * n-1) */
            enum { NT = 7 };
            int tq[NT] = {0, 1, 2, 3, n / 2, n - 2, n - 1};
            double tbps[K_N][NT];
            for (int k = 0; k < K_N; k++)
                for (int j = 0; j < NT; j++) {
                    double t[32];
                    for (int r = 0; r < reps; r++) {
                        double t0 = bu_now();
                        apply(sv, k, tq[j]);
                        t[r] = bu_now() - t0;
                    }
                    tbps[k][j] = touched(k) * 2.0 * (double)bytes / bu_median(t, reps);
                }
            double norm = statevec_norm2(sv);
            if (json) {
                printf("%s{\"qubits\":%d,\"precision\":\"%s\",\"state_bytes\":%" PRIu64
                       ",\"copy_bytes_per_s\":%.4g,\"norm\":%.15g,\"gates\":{",
                       first ? "" : ",", n, p ? "single" : "double", bytes, bw, norm);
                for (int k = 0; k < K_N; k++)
                    printf("%s\"%s\":{\"amp_updates_per_s\":%.4g,\"bytes_per_s\":%.4g,"
                           "\"ratio_to_copy\":%.3f}", k ? "," : "", kname[k], rate[k], bps[k],
                           bps[k] / bw);
                printf("},\"by_target\":{");
                for (int k = 0; k < K_N; k++) {
                    printf("%s\"%s\":{", k ? "," : "", kname[k]);
                    for (int j = 0; j < NT; j++)
                        printf("%s\"%d\":%.3f", j ? "," : "", tq[j], tbps[k][j] / bw);
                    printf("}");
                }
                printf("}}");
                first = 0;
            } else {
                printf("\n%d qubits, %s: state %.0f MiB; streaming copy %.2f GB/s (read + write)\n",
                       n, p ? "single" : "double", bytes / 1048576.0, bw / 1e9);
                for (int k = 0; k < K_N; k++)
                    printf("  %-4s  %7.1f M amplitude updates/s  %6.2f GB/s  ratio to copy %.2f\n",
                           kname[k], rate[k] / 1e6, bps[k] / 1e9, bps[k] / bw);
                printf("  ratio to copy by target:");
                for (int j = 0; j < NT; j++)
                    printf("   q%-3d", tq[j]);
                printf("\n");
                for (int k = 0; k < K_N; k++) {
                    printf("    %-21s", kname[k]);
                    for (int j = 0; j < NT; j++)
                        printf(" %6.2f", tbps[k][j] / bw);
                    printf("\n");
                }
                printf("  (norm after %d gate passes: %.15f)\n", reps * K_N * (n + NT), norm);
            }
            statevec_free(sv);
        }
    }
    if (json)
        printf("],\"load_end\":%.2f}\n", bu_loadavg());
    else
        printf("\nload at end: %.2f; goal: gate bytes/s at least 0.5 x the copy's\n", bu_loadavg());
    return 0;
}
