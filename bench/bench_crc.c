/*
 * bench_crc.c — throughput of crc32c() (three interleaved hardware streams) against the old
 * single-chain hardware loop, the slicing-by-8 software fallback, and memory bandwidth.
 *
 * Every page read is verified and every page written is sealed with CRC-32C over 4 KiB, so
 * the sizes are 512 B (a log frame), 4 KiB (a page) and 64 KiB (a large page / a batch). For
 * each size the same buffer (8-byte aligned, random contents, warm in cache as it is right
 * after a pread) is hashed repeatedly; the figure is the median GB/s (1e9 bytes/s) of --reps
 * timed runs of about 20 ms each.
 *
 * The anchor is a plain 64-bit sum over the same buffer in the same run: the rate at which
 * this core can merely read the bytes from cache, which no checksum can beat. Ratios are
 * printed against it and against the old single-chain loop.
 *
 * single-chain is a copy of the hardware loop crc32c_hw had before the interleaving (one
 * dependent crc32q / crc32cx chain, latency-bound at ~8 bytes per 3 cycles); it is kept here
 * only as the reference point. Its results are checked against crc32c() before timing.
 *
 * Usage: bench_crc [--reps R] [--json]
 */
#include "bench_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_single_chain(uint32_t crc, const void *buf,
                                                                    size_t len)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#define HAVE_SINGLE_CHAIN 1
#elif defined(__aarch64__)
__attribute__((target("+crc"))) static uint32_t crc_single_chain(uint32_t crc, const void *buf,
                                                                 size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = __builtin_aarch64_crc32cb(c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_aarch64_crc32cx(c, w);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = __builtin_aarch64_crc32cb(c, *p++);
    return ~c;
}
#define HAVE_SINGLE_CHAIN 1
#else
#define HAVE_SINGLE_CHAIN 0
static uint32_t crc_single_chain(uint32_t crc, const void *buf, size_t len)
{
    return crc32c_sw(crc, buf, len);
}
#endif

/* The anchor: read every byte once. noinline so it is timed like the others (a call per
 * buffer); the compiler may vectorise it, which is the point — it is the read ceiling. */
__attribute__((noinline)) static uint32_t sum64(uint32_t acc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t s = acc;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        s += w;
    }
    for (; i < len; i++)
        s += p[i];
    return (uint32_t)(s ^ (s >> 32));
}

typedef uint32_t (*fn_t)(uint32_t, const void *, size_t);

static volatile uint32_t sink;

/* GB/s of f over buf[0..len), median of reps runs of ~20 ms each. */
static double measure(fn_t f, const uint8_t *buf, size_t len, int reps)
{
    /* calibrate the iteration count to ~20 ms */
    size_t iters = 1;
    for (;;) {
        double t0 = bu_now();
        uint32_t c = 0;
        for (size_t i = 0; i < iters; i++)
            c = f(c, buf, len);
        sink = c;
        double dt = bu_now() - t0;
        if (dt > 0.02 || iters > ((size_t)1 << 30))
            break;
        iters *= 2;
    }
    double *gbs = malloc(sizeof(double) * (size_t)reps);
    if (!gbs)
        abort();
    for (int r = 0; r < reps; r++) {
        double t0 = bu_now();
        uint32_t c = 0;
        for (size_t i = 0; i < iters; i++)
            c = f(c, buf, len);
        sink = c;
        double dt = bu_now() - t0;
        gbs[r] = (double)len * (double)iters / dt / 1e9;
    }
    double m = bu_median(gbs, reps);
    free(gbs);
    return m;
}

int main(int argc, char **argv)
{
    int reps = 7, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else {
            fprintf(stderr, "usage: bench_crc [--reps R] [--json]\n");
            return 2;
        }
    }
    if (reps < 1)
        reps = 1;

    static const size_t sizes[] = {512, 4096, 65536};
    enum { NSIZES = sizeof sizes / sizeof sizes[0] };
    uint8_t *buf = aligned_alloc(64, 65536);
    if (!buf)
        return 1;
    bu_rng r;
    bu_rng_seed(&r, 42);
    for (size_t i = 0; i < 65536; i++)
        buf[i] = (uint8_t)bu_rng_next(&r);

    int hw = crc32c_hw_available() && HAVE_SINGLE_CHAIN;
    for (size_t s = 0; s < NSIZES; s++) /* the reference point must compute the same thing */
        if (crc_single_chain(0, buf, sizes[s]) != crc32c(0, buf, sizes[s]) ||
            crc32c_sw(0, buf, sizes[s]) != crc32c(0, buf, sizes[s])) {
            fprintf(stderr, "bench_crc: implementations disagree at %zu bytes\n", sizes[s]);
            return 1;
        }

    char cpu[128];
    bu_cpu_model(cpu, sizeof cpu);
    double res[NSIZES][4];
    for (size_t s = 0; s < NSIZES; s++) {
        res[s][0] = measure(sum64, buf, sizes[s], reps);
        res[s][1] = measure(crc32c, buf, sizes[s], reps);
        res[s][2] = hw ? measure(crc_single_chain, buf, sizes[s], reps) : 0;
        res[s][3] = measure(crc32c_sw, buf, sizes[s], reps);
    }

    if (json) {
        printf("{\"bench\":\"crc\",\"build\":\"%s\",\"cpu\":", NQ_BENCH_BUILD_TYPE);
        bu_json_string(cpu);
        printf(",\"hw\":%d,\"reps\":%d,\"results\":[", hw, reps);
        for (size_t s = 0; s < NSIZES; s++)
            printf("%s{\"bytes\":%zu,\"sum_gbs\":%.3f,\"crc32c_gbs\":%.3f,"
                   "\"single_chain_gbs\":%.3f,\"sw_gbs\":%.3f}",
                   s ? "," : "", sizes[s], res[s][0], res[s][1], res[s][2], res[s][3]);
        printf("]}\n");
    } else {
        printf("bench_crc (%s build) on %s; hardware CRC %s; median of %d runs, GB/s = 1e9 B/s\n",
               NQ_BENCH_BUILD_TYPE, cpu, hw ? "in use" : "not available", reps);
        printf("%8s %10s %10s %13s %10s   %9s %13s %9s\n", "bytes", "sum(anchor)", "crc32c",
               "single-chain", "sw", "crc/sum", "crc/single", "crc/sw");
        for (size_t s = 0; s < NSIZES; s++) {
            double *v = res[s];
            printf("%8zu %10.2f %10.2f %13.2f %10.2f   %9.3f %13.2f %9.2f\n", sizes[s], v[0], v[1],
                   v[2], v[3], v[1] / v[0], v[2] > 0 ? v[1] / v[2] : 0.0, v[1] / v[3]);
        }
    }
    free(buf);
    return 0;
}
