/*
 * bench_dnastore.c — the DNA-storage codec (src/dna/dna_store.h) and its Reed-Solomon kernel,
 * each against its anchor measured or quoted in the same run:
 *
 *   1. GF(2^8) multiply-accumulate (dst ^= c * src) GB/s per kernel (scalar, AVX2 or NEON) on
 *      a 64 KiB region, beside memcpy of the same region (cache bandwidth).
 *   2. Reed-Solomon encoding MB/s of data (RS(255,223) and RS(255,239) on 16 KiB rows, and the
 *      codec's own shape: rows of one oligo's payload), beside memcpy of the same data
 *      (memory bandwidth); goal >= 1 GB/s. Decoding with m erasures in every codeword too.
 *   3. The codec: encode MB/s, decode MB/s of a clean pool and of nanopore-like reads.
 *   4. Density and recovery: for the Illumina-like channel (2 % dropout, 0.1 % substitutions,
 *      Poisson coverage 10) and the nanopore-like one (10 % dropout, 1 % substitutions, 0.5 %
 *      insertions, 0.5 % deletions, coverage 20), at oligo lengths 150, 200 and 300 and three
 *      file sizes, each pool encoded with its channel's profile (parity sized for a loss of
 *      2.1 % or 10.5 % of the oligos at a pool failure bound of 1e-4, the outer code chosen by
 *      the codec): the net density (bits per nucleotide over all oligos, header copies and
 *      parity included), how many of S seeded runs came back exactly, and the share of oligos
 *      the decoder could not produce. Anchors printed beside: DNA Fountain's 1.57 bits/nt
 *      (Erlich and Zielinski, Science 2017) and the ~1.98 bits/nt capacity of the constrained
 *      channel; the goals are 1.75 (Illumina) and 1.4 (nanopore).
 *
 * Throughputs are per CPU second of the benchmark thread (CLOCK_THREAD_CPUTIME_ID), so that
 * other work on a shared machine does not deflate them; the load average is printed.
 *
 * Usage: bench_dnastore [--quick] [--seeds S] [--speed-only | --density-only]
 */
#include "bench_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dna_channel.h"
#include "dna_gf.h"
#include "dna_oligo.h"
#include "dna_rs.h"
#include "dna_store.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

static volatile uint8_t sink;

/* Seconds of CPU time of this thread: throughput figures are per CPU second, so that other
 * work on a shared machine (the load average is printed) does not deflate them. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef void (*kern_fn)(uint8_t *, const uint8_t *, uint8_t, size_t);

/* GB/s of fn over n bytes, median of 7 runs of about 20 ms. */
static double kern_gbs(kern_fn fn, uint8_t *dst, const uint8_t *src, size_t n)
{
    double v[7];
    for (int r = 0; r < 7; r++) {
        long reps = 0;
        double t0 = cpu_now(), t;
        do {
            for (int i = 0; i < 16; i++)
                fn(dst, src, (uint8_t)(0x53 + reps + i), n);
            reps += 16;
            t = cpu_now() - t0;
        } while (t < 0.02);
        v[r] = (double)n * (double)reps / t / 1e9;
    }
    sink ^= dst[0];
    return bu_median(v, 7);
}

static void memcpy_kern(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n)
{
    (void)c;
    memcpy(dst, src, n);
    __asm__ volatile("" ::"r"(dst) : "memory");
}

static double memcpy_gbs(size_t n)
{
    uint8_t *a = malloc(n), *b = malloc(n);
    memset(a, 1, n);
    memset(b, 2, n);
    double g = kern_gbs(memcpy_kern, b, a, n);
    free(a);
    free(b);
    return g;
}

/* RS encoding of k rows of len bytes: MB/s of data (median of 5). */
static double rs_encode_mbs(int n, int k, size_t len, double *dec_mbs)
{
    dna_rs rs;
    if (dna_rs_init(&rs, n, k, NULL))
        return 0;
    int m = n - k;
    uint8_t *buf = malloc((size_t)n * len);
    bu_rng r;
    bu_rng_seed(&r, 1);
    for (size_t i = 0; i < (size_t)k * len; i++)
        buf[i] = (uint8_t)bu_rng_next(&r);
    const uint8_t *d[255];
    uint8_t *p[255];
    for (int i = 0; i < k; i++)
        d[i] = buf + (size_t)i * len;
    for (int j = 0; j < m; j++)
        p[j] = buf + (size_t)(k + j) * len;
    double v[5];
    for (int rep = 0; rep < 5; rep++) {
        long it = 0;
        double t0 = cpu_now(), t;
        do {
            dna_rs_encode_rows(&rs, d, p, len);
            it++;
            t = cpu_now() - t0;
        } while (t < 0.05);
        v[rep] = (double)k * (double)len * (double)it / t / 1e6;
    }
    double enc = bu_median(v, 5);
    if (dec_mbs) {
        /* m erasures (the first m data rows) in every codeword: dna_rs_decode_rows, the
         * codec's path (erasure solve with the row kernel, then the check syndromes) */
        int eras[255];
        uint8_t *rows[255];
        for (int i = 0; i < m; i++)
            eras[i] = i;
        for (int i = 0; i < n; i++)
            rows[i] = buf + (size_t)i * len;
        uint8_t *save = malloc((size_t)m * len), *bad = malloc(len);
        memcpy(save, buf, (size_t)m * len);
        double dv[5];
        for (int rep = 0; rep < 5; rep++) {
            long it = 0;
            double t0 = cpu_now(), t;
            do {
                memset(buf, 0, (size_t)m * len);
                if (dna_rs_decode_rows(&rs, rows, len, eras, m, bad, NULL, NULL) != 0 ||
                    memcmp(buf, save, (size_t)m * len)) {
                    fprintf(stderr, "decode failed\n");
                    exit(1);
                }
                it++;
                t = cpu_now() - t0;
            } while (t < 0.05);
            dv[rep] = (double)k * (double)len * (double)it / t / 1e6;
        }
        *dec_mbs = bu_median(dv, 5);
        free(save);
        free(bad);
    }
    free(buf);
    dna_rs_free(&rs);
    return enc;
}

typedef struct chan {
    const char *name;
    dna_channel_params p;
    double goal;
    double loss; /* the profile's design loss */
} chan;

/* One encode -> channel -> decode; 1 when the bytes came back exactly. */
static int one_run(const uint8_t *data, size_t n, int L, double red, double loss, int field,
                   const dna_channel_params *cp, double *density, size_t *missing, double *dec_s,
                   int *field_used, dna_pool *info)
{
    dna_store_params p;
    dna_store_params_default(&p);
    p.oligo_len = L;
    p.redundancy = red;
    p.loss = loss;
    p.field = field;
    dna_pool pool;
    nq_err err;
    if (dna_store_encode(&p, data, n, &pool, &err)) {
        fprintf(stderr, "encode: %s\n", err.msg);
        exit(1);
    }
    *density = dna_pool_density(&pool, n);
    if (field_used)
        *field_used = pool.field;
    if (info) {
        *info = pool;
        info->bases = NULL;
    }
    dna_reads rd;
    if (dna_channel_simulate(cp, pool.bases, pool.count, pool.len, &rd, &err)) {
        fprintf(stderr, "channel: %s\n", err.msg);
        exit(1);
    }
    dna_read *reads = malloc((rd.count ? rd.count : 1) * sizeof *reads);
    for (size_t i = 0; i < rd.count; i++) {
        reads[i].seq = rd.bases + rd.off[i];
        reads[i].len = rd.len[i];
    }
    uint8_t *out;
    size_t outlen;
    dna_decode_report rep;
    double t0 = cpu_now();
    int rc = dna_store_decode(NULL, reads, rd.count, &out, &outlen, &rep, &err);
    if (dec_s)
        *dec_s = cpu_now() - t0;
    int ok = rc == 0 && outlen == n && memcmp(out, data, n) == 0;
    if (rc == 0 && !ok) {
        fprintf(stderr, "WRONG BYTES returned: a bug\n");
        exit(1);
    }
    if (rc == 0)
        free(out);
    *missing = rep.oligos_missing;
    free(reads);
    dna_reads_free(&rd);
    dna_pool_free(&pool);
    return ok;
}

int main(int argc, char **argv)
{
    int quick = 0, seeds = 10, speed = 1, density = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--speed-only"))
            density = 0;
        else if (!strcmp(argv[i], "--density-only"))
            speed = 0;
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
            seeds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_dnastore [--quick] [--seeds S] [--speed-only | --density-only]\n");
            return 2;
        }
    }
    if (seeds < 1)
        seeds = 1;
    char cpu[256], kern[256];
    bu_cpu_model(cpu, sizeof cpu);
    bu_kernel(kern, sizeof kern);
    printf("bench_dnastore: build %s, %s, %s, load %.2f, GF kernel %s (throughputs per CPU second)\n\n", NQ_BENCH_BUILD_TYPE,
           cpu, kern, bu_loadavg(), dna_gf_kernel_name());

    size_t cn = quick ? 200000 : 1000000;
    uint8_t *data = malloc(cn);
    bu_rng r;
    bu_rng_seed(&r, 77);
    for (size_t i = 0; i < cn; i++)
        data[i] = (uint8_t)bu_rng_next(&r);
    if (!speed)
        goto density_part;
    /* 1. the kernel */
    size_t rn = 64 * 1024;
    uint8_t *src = malloc(rn), *dst = calloc(rn, 1);
    for (size_t i = 0; i < rn; i++)
        src[i] = (uint8_t)(i * 131 + 7);
    double gcopy = kern_gbs(memcpy_kern, dst, src, rn);
    double gs = kern_gbs(dna_gf_mul_add_region_scalar, dst, src, rn);
    printf("GF(2^8) multiply-accumulate, 64 KiB region (memcpy of the region: %.2f GB/s)\n", gcopy);
    printf("  scalar  %7.2f GB/s  (%.2fx memcpy)\n", gs, gs / gcopy);
    if (dna_gf_avx2_available()) {
        double g = kern_gbs(dna_gf_mul_add_region_avx2, dst, src, rn);
        printf("  avx2    %7.2f GB/s  (%.2fx memcpy, %.1fx scalar)\n", g, g / gcopy, g / gs);
    }
    if (dna_gf_neon_available()) {
        double g = kern_gbs(dna_gf_mul_add_region_neon, dst, src, rn);
        printf("  neon    %7.2f GB/s  (%.2fx memcpy, %.1fx scalar)\n", g, g / gcopy, g / gs);
    }
    free(src);
    free(dst);

    /* 2. Reed-Solomon */
    double big_copy = memcpy_gbs((size_t)223 * 16384);
    printf("\nReed-Solomon encoding, MB/s of data (memcpy of 3.6 MB in the same run: %.0f MB/s; goal >= 1000 MB/s)\n",
           big_copy * 1000);
    struct { int n, k; size_t len; const char *what; } shapes[] = {
        {255, 223, 16384, "RS(255,223), 16 KiB rows"},
        {255, 239, 16384, "RS(255,239), 16 KiB rows"},
        {255, 217, 31, "RS(255,217), 31-byte rows (the pool at L=150, redundancy 0.15)"},
        {255, 241, 68, "RS(255,241), 68-byte rows (the pool at L=300, redundancy 0.055)"},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        double dec = 0;
        double e = rs_encode_mbs(shapes[s].n, shapes[s].k, shapes[s].len, &dec);
        printf("  %-66s encode %6.0f MB/s (%.2fx memcpy)  decode with %d erasures %6.0f MB/s\n",
               shapes[s].what, e, e / (big_copy * 1000), shapes[s].n - shapes[s].k, dec);
    }

    /* 3. codec throughput */
    {
        dna_store_params p;
        dna_store_params_default(&p);
        dna_pool pool;
        double t0 = cpu_now();
        if (dna_store_encode(&p, data, cn, &pool, NULL))
            return 1;
        double te = cpu_now() - t0;
        dna_read *reads = malloc(pool.count * sizeof *reads);
        for (size_t i = 0; i < pool.count; i++) {
            reads[i].seq = pool.bases + i * (size_t)pool.len;
            reads[i].len = (size_t)pool.len;
        }
        uint8_t *out;
        size_t outlen;
        t0 = cpu_now();
        if (dna_store_decode(NULL, reads, pool.count, &out, &outlen, NULL, NULL) || outlen != cn ||
            memcmp(out, data, cn))
            return 1;
        double td = cpu_now() - t0;
        free(out);
        free(reads);
        printf("\ncodec, %zu bytes, L=150, redundancy 0.15: %zu oligos, %.3f bits/nt\n", cn,
               pool.count, dna_pool_density(&pool, cn));
        printf("  encode %.2f MB/s, decode of the clean pool %.2f MB/s\n", cn / te / 1e6, cn / td / 1e6);
        dna_pool_free(&pool);
        /* the same at 300 nt, where the outer code is GF(2^16) */
        p.oligo_len = 300;
        p.redundancy = 0.05;
        t0 = cpu_now();
        if (dna_store_encode(&p, data, cn, &pool, NULL))
            return 1;
        te = cpu_now() - t0;
        reads = malloc(pool.count * sizeof *reads);
        for (size_t i = 0; i < pool.count; i++) {
            reads[i].seq = pool.bases + i * (size_t)pool.len;
            reads[i].len = (size_t)pool.len;
        }
        /* drop 4 % of the oligos so the GF(2^16) decoder has erasures to fill */
        size_t kept = 0;
        for (size_t i = 0; i < pool.count; i++)
            if (i < 8 || i % 25 != 3)
                reads[kept++] = reads[i];
        t0 = cpu_now();
        if (dna_store_decode(NULL, reads, kept, &out, &outlen, NULL, NULL) || outlen != cn ||
            memcmp(out, data, cn))
            return 1;
        td = cpu_now() - t0;
        free(out);
        free(reads);
        printf("codec, %zu bytes, L=300, redundancy 0.05, GF(2^%d): %zu oligos, %.3f bits/nt\n", cn,
               pool.field, pool.count, dna_pool_density(&pool, cn));
        printf("  encode %.2f MB/s, decode with 4 %% of the oligos missing %.2f MB/s\n", cn / te / 1e6,
               cn / td / 1e6);
        dna_pool_free(&pool);
        dna_channel_params np = {0.10, 0.01, 0.005, 0.005, 20, 1, 5};
        double dens, ds;
        size_t miss;
        size_t nn = cn / 5;
        int ok = one_run(data, nn, 150, 0.2, 0, 0, &np, &dens, &miss, &ds, NULL, NULL);
        printf("  decode of nanopore-like reads (%zu bytes, coverage 20): %.2f MB/s (%s)\n", nn,
               nn / ds / 1e6, ok ? "recovered" : "not recovered");
    }

    if (!density) {
        free(data);
        return 0;
    }
density_part:;
    /* 4. density and recovery, with the channel's profile */
    chan chans[2] = {
        {"illumina", {0.02, 0.001, 0, 0, 10, 1, 0}, 1.75, 0.021},
        {"nanopore", {0.10, 0.01, 0.005, 0.005, 20, 1, 0}, 1.40, 0.105},
    };
    static const int lens[] = {150, 200, 300};
    size_t sizes[3] = {20000, 100000, 1000000};
    int sseeds[3] = {seeds, (seeds + 1) / 2, 1};
    printf("\ndensity with the channel's profile (parity sized for the loss at a 1e-4 pool failure bound)\n");
    printf("anchors: DNA Fountain 1.57 bits/nt; constrained-channel capacity ~1.98 bits/nt\n");
    printf("%-9s %5s %8s %3s %5s %5s %10s %9s %9s %9s %6s  %s\n", "channel", "L", "bytes", "W",
           "field", "P", "redundancy", "bits/nt", "recovered", "missing%", "goal", "vs goal");
    for (int c = 0; c < 2; c++) {
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            for (int si = 0; si < 3; si++) {
                size_t n = sizes[si];
                if (quick && n > 100000)
                    continue;
                if (c == 1 && n > 100000 && lens[li] != 150)
                    continue; /* the consensus of nanopore reads is slow: 1 MB at 150 nt only */
                int S = sseeds[si], okruns = 0;
                double dens = 0, msum = 0;
                dna_pool info;
                memset(&info, 0, sizeof info);
                for (int s = 0; s < S; s++) {
                    dna_channel_params cp = chans[c].p;
                    cp.seed = 1000 * (uint64_t)s + (uint64_t)li * 17 + (uint64_t)si;
                    size_t miss;
                    okruns += one_run(data, n, lens[li], 0, chans[c].loss, 0, &cp, &dens, &miss,
                                      NULL, NULL, &info);
                    msum += (double)miss / (double)info.count;
                }
                double gap = dens - chans[c].goal;
                int all = okruns == S;
                printf("%-9s %5d %8zu %3d %5d %5d %10.3f %9.3f %6d/%-2d %9.2f %6.2f  %s%s by %.3f (%.1f %%)\n",
                       chans[c].name, lens[li], n, info.addr_bits, info.field, info.payload,
                       info.redundancy, dens, okruns, S, 100.0 * msum / S, chans[c].goal,
                       gap >= 0 && all ? "met" : "MISSED", all ? "" : " (not every run recovered)",
                       gap >= 0 ? gap : -gap, 100.0 * (gap >= 0 ? gap : -gap) / chans[c].goal);
                fflush(stdout);
            }
        }
    }
    /* the payload density of one oligo alone, for reference */
    printf("\npayload density before the outer code (8 P / L, addresses of 12 / 16 bits): ");
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        dna_oligo_codec oc, od;
        dna_oligo_init(&oc, lens[li], 3, 12, 0.4, 0.6, NULL);
        dna_oligo_init(&od, lens[li], 3, 16, 0.4, 0.6, NULL);
        printf("L=%d %.3f / %.3f  ", lens[li], 8.0 * oc.payload / lens[li], 8.0 * od.payload / lens[li]);
        dna_oligo_free(&oc);
        dna_oligo_free(&od);
    }
    printf("\n");
    free(data);
    return 0;
}
