/*
 * bench_neuro.c — the neuromorphic library's simulation speed against a dense matrix-vector
 * product of the same size, measured in the same run.
 *
 * Part 1, spiking network (src/neuro/neuro_network.h): N Izhikevich neurons, 80 % regular
 * spiking and 20 % fast spiking (Izhikevich 2003's cortical mix), each ordered pair connected
 * with probability 0.1, conductance synapses (excitatory 0 mV / 5 ms, weight 0.02 x 1000 / N;
 * inhibitory -70 mV / 10 ms, weight 0.2 x 1000 / N: the same total input at every N), axonal
 * delays drawn from 1..20 ms, and a Gaussian "thalamic" input current per
 * neuron and step (sd 5 for excitatory, 2 for inhibitory neurons, as in spnet.m); 1000 steps
 * of 1 ms after 200 steps of warm-up. Reported: neuron updates per second (N x steps / time),
 * synaptic events per second (spikes x their outgoing synapses, all delivered), the mean
 * firing rate, and the time per simulated millisecond.
 * Anchor: one dense single-precision matrix-vector product with an N x N matrix per step,
 * through the library's own vectorised GEMM kernel (nn_gemm.h) — what a clock-driven simulator
 * that multiplies the full weight matrix by the spike vector would pay every step; it streams
 * N^2 floats, so it is bound by cache or memory bandwidth (N = 4000: 64 MB). Printed as the ratio (dense step time / network step
 * time): above 1 means event-driven delivery is that many times cheaper.
 *
 * Part 2, Hopfield recall (src/neuro/neuro_hopfield.h): N neurons storing 0.1 N random
 * patterns, probes with 10 % of bits flipped, asynchronous recall; reported: neuron updates
 * (local fields) per second and recall quality. Anchor: a dense int32 matrix-vector product of
 * the same N x N matrix — one asynchronous sweep computes exactly N fields, i.e. the same
 * multiply-adds; the ratio shows the price of updating one neuron at a time (each field reads
 * one matrix row while the state changes underneath).
 *
 *   bench_neuro [--sizes N,N,...] [--reps R] [--quick] [--json]
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/rand.h"
#include "bench_util.h"
#include "neuro_hopfield.h"
#include "neuro_network.h"
#include "nn_gemm.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

static volatile double sink;

/* Seconds per dense float matrix-vector product with an n x n matrix (median of reps, each a
 * batch): y^T = x^T B through nn_gemm (m = 1, the register-blocked kernel of the trainable
 * networks: AVX2+FMA where the CPU has it), so the anchor is a well-vectorised product that
 * streams the n^2 floats of B once. */
static double dense_matvec_f32(uint32_t n, int reps)
{
    float *w = malloc((size_t)n * n * sizeof *w), *x = malloc(n * sizeof *x);
    float *y = malloc(n * sizeof *y);
    if (!w || !x || !y) {
        free(w), free(x), free(y);
        return NAN;
    }
    for (size_t i = 0; i < (size_t)n * n; i++)
        w[i] = (float)(i % 7) * 0.01f;
    for (uint32_t i = 0; i < n; i++)
        x[i] = (float)(i & 1);
    double t[32];
    int batch = n <= 2000 ? 50 : 5;
    for (int r = 0; r < reps; r++) {
        double t0 = bu_now();
        for (int b = 0; b < batch; b++) {
            nn_gemm(1, (int)n, (int)n, x, (int)n, w, (int)n, y, (int)n, 0);
            x[b % n] += y[(b * 7) % n] * 1e-9f; /* a dependency so no product is skipped */
        }
        t[r] = (bu_now() - t0) / batch;
    }
    sink = y[0];
    free(w), free(x), free(y);
    return bu_median(t, reps);
}

static double dense_matvec_i32(uint32_t n, int reps)
{
    int32_t *w = malloc((size_t)n * n * sizeof *w);
    int8_t *x = malloc(n);
    int64_t *y = malloc(n * sizeof *y);
    if (!w || !x || !y) {
        free(w), free(x), free(y);
        return NAN;
    }
    for (size_t i = 0; i < (size_t)n * n; i++)
        w[i] = (int32_t)(i % 21) - 10;
    for (uint32_t i = 0; i < n; i++)
        x[i] = (i & 1) ? 1 : -1;
    double t[32];
    int batch = n <= 2000 ? 50 : 5;
    for (int r = 0; r < reps; r++) {
        double t0 = bu_now();
        for (int b = 0; b < batch; b++) {
            for (uint32_t i = 0; i < n; i++) {
                const int32_t *row = w + (size_t)i * n;
                int32_t s = 0; /* 32-bit sums, as neuro_hopfield_field uses when they fit */
                for (uint32_t j = 0; j < n; j++)
                    s += row[j] * x[j];
                y[i] = s;
            }
            x[b % n] = y[(b * 7) % n] > 0 ? 1 : -1;
        }
        t[r] = (bu_now() - t0) / batch;
    }
    sink = (double)y[0];
    free(w), free(x), free(y);
    return bu_median(t, reps);
}

typedef struct net_result {
    double step_s, rate_hz, syn_events_per_s, updates_per_s, dense_s;
    uint64_t synapses, spikes;
} net_result;

static int bench_network(uint32_t n, int reps, net_result *res)
{
    double t[32];
    uint64_t spikes = 0, events = 0, syn = 0;
    for (int r = 0; r < reps; r++) {
        neuro_net *net = neuro_net_new(1.0, 1000 + (uint64_t)r);
        if (!net)
            return -1;
        nq_err e;
        nq_err_clear(&e);
        neuro_pop_spec ex = {0}, in = {0};
        ex.n = n * 4 / 5;
        in.n = n - ex.n;
        ex.model = in.model = NEURO_MODEL_IZH;
        neuro_izh_params_of(NEURO_IZH_RS, &ex.izh);
        neuro_izh_params_of(NEURO_IZH_FS, &in.izh);
        ex.noise_sd = 5;
        in.noise_sd = 2;
        int pe = neuro_net_add_pop(net, &ex, NULL, &e), pi = neuro_net_add_pop(net, &in, NULL, &e);
        int rc = pe < 0 || pi < 0 ? -1 : 0;
        /* delays 1..20: one connect call per delay, each with a twentieth of the probability;
         * weights scale as 1000 / N so every size gets the same total input per neuron */
        double we = 0.02 * 1000.0 / n, wi = 0.2 * 1000.0 / n;
        for (int d = 1; d <= 20 && rc == 0; d++) {
            rc |= neuro_net_connect(net, pe, pe, 0.1 / 20, we, d, NEURO_SYN_EXC, &e);
            rc |= neuro_net_connect(net, pe, pi, 0.1 / 20, we, d, NEURO_SYN_EXC, &e);
        }
        rc |= neuro_net_connect(net, pi, pe, 0.1, wi, 1, NEURO_SYN_INH, &e);
        rc |= neuro_net_connect(net, pi, pi, 0.1, wi, 1, NEURO_SYN_INH, &e);
        if (rc || neuro_net_finalize(net, &e) != 0) {
            fprintf(stderr, "bench_neuro: %s\n", e.msg);
            neuro_net_free(net);
            return -1;
        }
        syn = neuro_net_synapses(net);
        for (int s = 0; s < 200; s++)
            neuro_net_step(net);
        uint64_t before = neuro_net_spike_count(net);
        double t0 = bu_now();
        for (int s = 0; s < 1000; s++)
            neuro_net_step(net);
        t[r] = (bu_now() - t0) / 1000;
        uint64_t k = neuro_net_spike_count(net) - before;
        spikes += k;
        /* each spike travels along all its outgoing synapses: on average syn / n */
        events += (uint64_t)llround((double)k * (double)syn / n);
        neuro_net_free(net);
    }
    res->step_s = bu_median(t, reps);
    res->spikes = spikes / (uint64_t)reps;
    res->synapses = syn;
    res->rate_hz = (double)spikes / reps / n; /* spikes per neuron in 1 s */
    res->syn_events_per_s = (double)events / reps / (res->step_s * 1000);
    res->updates_per_s = n / res->step_s;
    res->dense_s = dense_matvec_f32(n, reps);
    return 0;
}

typedef struct hop_result {
    double sweep_s, updates_per_s, dense_s, recall;
} hop_result;

static int bench_hopfield(uint32_t n, int reps, hop_result *res)
{
    uint32_t p = n / 10;
    neuro_hopfield h;
    if (neuro_hopfield_init(&h, n) != 0)
        return -1;
    int8_t *xi = malloc((size_t)p * n), *s = malloc(n);
    if (!xi || !s) {
        free(xi), free(s);
        neuro_hopfield_free(&h);
        return -1;
    }
    nq_rng r;
    nq_rng_seed(&r, 42);
    for (size_t k = 0; k < (size_t)p * n; k++)
        xi[k] = nq_rng_below(&r, 2) ? 1 : -1;
    for (uint32_t k = 0; k < p; k++)
        neuro_hopfield_store(&h, xi + (size_t)k * n);
    double t[32];
    uint64_t good = 0, total = 0;
    for (int rep = 0; rep < reps; rep++) {
        long sweeps = 0;
        int probes = 20;
        double t0 = bu_now();
        for (int q = 0; q < probes; q++) {
            const int8_t *x = xi + (size_t)(q % p) * n;
            memcpy(s, x, n);
            for (uint32_t f = 0; f < n / 10; f++) { /* flips; repeats possible, fine here */
                uint32_t j = (uint32_t)nq_rng_below(&r, n);
                s[j] = (int8_t)-s[j];
            }
            int sw = neuro_hopfield_recall_async(&h, s, 100, &r);
            sweeps += sw > 0 ? sw : 100;
            good += neuro_hopfield_overlap(s, x, n);
            total += n;
        }
        t[rep] = (bu_now() - t0) / (double)sweeps;
    }
    res->sweep_s = bu_median(t, reps);
    res->updates_per_s = n / res->sweep_s;
    res->recall = (double)good / (double)total;
    res->dense_s = dense_matvec_i32(n, reps);
    free(xi), free(s);
    neuro_hopfield_free(&h);
    return 0;
}

int main(int argc, char **argv)
{
    uint32_t sizes[8] = {1000, 4000};
    int nsizes = 2, reps = 5, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--quick"))
            nsizes = 1, sizes[0] = 1000, reps = 3;
        else if (i + 1 < argc && !strcmp(argv[i], "--reps"))
            reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--sizes")) {
            nsizes = 0;
            for (char *tok = strtok(argv[++i], ","); tok && nsizes < 8; tok = strtok(NULL, ","))
                sizes[nsizes++] = (uint32_t)strtoul(tok, NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_neuro [--sizes N,N,...] [--reps R] [--quick] [--json]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 32 || nsizes < 1) {
        fprintf(stderr, "bench_neuro: --reps 1..32, at least one size\n");
        return 2;
    }
    for (int k = 0; k < nsizes; k++)
        if (sizes[k] < 10 || sizes[k] > 20000) {
            fprintf(stderr, "bench_neuro: sizes 10..20000\n");
            return 2;
        }
    char cpu[256];
    bu_cpu_model(cpu, sizeof cpu);
    if (json) {
        printf("{\"benchmark\":\"neuro\",\"build\":\"%s\",\"cpu\":", NQ_BENCH_BUILD_TYPE);
        bu_json_string(cpu);
        printf(",\"nproc\":%ld,\"mem_kib\":%" PRIu64 ",\"load\":%.2f,\"network\":[", bu_nproc(),
               bu_mem_total_kib(), bu_loadavg());
    } else {
        printf("bench_neuro (%s build): one thread, median of %d reps\nmachine: %s, %ld CPUs, "
               "%.1f GiB, load %.2f\n\n",
               NQ_BENCH_BUILD_TYPE, reps, cpu, bu_nproc(), bu_mem_total_kib() / 1048576.0,
               bu_loadavg());
        printf("Part 1: Izhikevich network (80 %% RS, 20 %% FS, p = 0.1, delays 1-20 ms, "
               "conductance synapses), 1000 steps of 1 ms\n");
        printf("%7s %10s %9s %12s %14s %12s %13s %8s\n", "neurons", "synapses", "rate Hz",
               "ms per sim s", "updates/s", "syn events/s", "dense W x", "ratio");
    }
    for (int k = 0; k < nsizes; k++) {
        net_result nr;
        if (bench_network(sizes[k], reps, &nr) != 0)
            return 1;
        double ratio = nr.dense_s / nr.step_s;
        if (json)
            printf("%s{\"neurons\":%u,\"synapses\":%" PRIu64 ",\"rate_hz\":%.3f,"
                   "\"step_s\":%.6g,\"neuron_updates_per_s\":%.6g,\"synaptic_events_per_s\":%.6g,"
                   "\"dense_matvec_s\":%.6g,\"ratio_dense_over_network\":%.4g}",
                   k ? "," : "", sizes[k], nr.synapses, nr.rate_hz, nr.step_s, nr.updates_per_s,
                   nr.syn_events_per_s, nr.dense_s, ratio);
        else {
            char up[32], ev[32], ds[32];
            bu_fmt_count(up, sizeof up, nr.updates_per_s);
            bu_fmt_count(ev, sizeof ev, nr.syn_events_per_s);
            bu_fmt_secs(ds, sizeof ds, nr.dense_s);
            printf("%7u %10" PRIu64 " %9.2f %12.2f %14s %12s %13s %7.2fx\n", sizes[k],
                   nr.synapses, nr.rate_hz, nr.step_s * 1e6, up, ev, ds, ratio);
        }
    }
    if (json)
        printf("],\"hopfield\":[");
    else
        printf("(ratio = dense float matrix-vector product per step / network step: the "
               "clock-driven cost over the event-driven one)\n\n"
               "Part 2: Hopfield recall (P = 0.1 N patterns, 10 %% noise, asynchronous)\n"
               "%7s %14s %14s %10s %13s %8s\n",
               "neurons", "sweep", "updates/s", "recall", "dense W s", "ratio");
    for (int k = 0; k < nsizes; k++) {
        hop_result hr;
        if (bench_hopfield(sizes[k], reps, &hr) != 0)
            return 1;
        double ratio = hr.dense_s / hr.sweep_s;
        if (json)
            printf("%s{\"neurons\":%u,\"patterns\":%u,\"sweep_s\":%.6g,"
                   "\"neuron_updates_per_s\":%.6g,\"recall\":%.6f,\"dense_matvec_s\":%.6g,"
                   "\"ratio_dense_over_sweep\":%.4g}",
                   k ? "," : "", sizes[k], sizes[k] / 10, hr.sweep_s, hr.updates_per_s,
                   hr.recall, hr.dense_s, ratio);
        else {
            char sw[32], up[32], ds[32];
            bu_fmt_secs(sw, sizeof sw, hr.sweep_s);
            bu_fmt_count(up, sizeof up, hr.updates_per_s);
            bu_fmt_secs(ds, sizeof ds, hr.dense_s);
            printf("%7u %14s %14s %9.2f%% %13s %7.2fx\n", sizes[k], sw, up, 100 * hr.recall, ds,
                   ratio);
        }
    }
    if (json)
        printf("]}\n");
    else
        printf("(ratio = dense int32 matrix-vector product / one asynchronous sweep: the same "
               "N^2 multiply-adds)\n");
    return 0;
}
