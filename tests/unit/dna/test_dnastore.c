/*
 * test_dnastore.c — the DNA-storage codec (src/dna/dna_oligo.h, dna_store.h, dna_channel.h,
 * dna_fastx.h): the constrained code and the inner check of one oligo, the biochemical
 * constraints on every oligo of random pools, byte-exact round trips (empty, 1 byte, odd
 * sizes, large), recovery through the simulated Illumina-like and nanopore-like channels at
 * the rates (seeded, small pools so the test stays fast), and clean failure beyond
 * them: NQ_ECORRUPT, a message naming the lost part, and no output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "dna_channel.h"
#include "dna_fastx.h"
#include "dna_oligo.h"
#include "dna_store.h"

static void fill(nq_rng *r, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)nq_rng_next(r);
}

static void test_oligo_code(void **state)
{
    (void)state;
    static const int lens[] = {60, 100, 150, 200, 300, 1000};
    static const int runs[] = {1, 2, 3, 4};
    static const int widths[] = {DNA_OLIGO_FORMAT1, 8, 13, 24};
    nq_rng r;
    nq_rng_seed(&r, 21);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (size_t ki = 0; ki < sizeof runs / sizeof runs[0]; ki++) {
            for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
                dna_oligo_codec c;
                nq_err err;
                int rc = dna_oligo_init(&c, lens[li], runs[ki], widths[wi], 0.4, 0.6, &err);
                assert_int_equal(rc, 0);
                if (c.format == 1) {
                    assert_true(c.check_bits >= 16 && c.check_bits < 24);
                } else {
                    assert_int_equal(c.addr_bits, widths[wi]);
                    assert_true(c.check_bits >= DNA_OLIGO_MIN_CHECK && c.check_bits < DNA_OLIGO_MIN_CHECK + 8);
                    assert_true(c.prefix_bits >= c.seed_bits + c.addr_bits);
                }
                char *b = malloc((size_t)c.len + 1);
                uint8_t pay[256], back[256];
                int trials = lens[li] >= 1000 ? 3 : 8, escaped = 0, tried = 0;
                uint32_t amax = c.addr_bits >= 32 ? 0xffffffffu : (1u << c.addr_bits) - 1;
                for (int t = 0; t < trials; t++) {
                    uint32_t addr = t == 0 ? 0 : t == 1 ? amax : (uint32_t)nq_rng_below(&r, amax + 1ull);
                    fill(&r, pay, (size_t)c.payload);
                    if (t == 2)
                        memset(pay, 0, (size_t)c.payload);
                    if (t == 3)
                        memset(pay, 0xff, (size_t)c.payload);
                    assert_int_equal(dna_oligo_encode(&c, addr, pay, b, &err), 0);
                    assert_true(dna_oligo_check_constraints(&c, b, (size_t)c.len));
                    uint32_t a2 = 0;
                    assert_int_equal(dna_oligo_decode_prefix(&c, b, (size_t)c.len, &a2), 0);
                    assert_int_equal(a2, addr);
                    assert_int_equal(dna_oligo_decode(&c, b, (size_t)c.len, &a2, back), 0);
                    assert_int_equal(a2, addr);
                    assert_memory_equal(back, pay, (size_t)c.payload);
                    /* a substitution anywhere: format 1 (16+ check bits) always rejects it;
                     * the short checks of format 2 let about 2^-C through (allowed: 4 times
                     * that, plus 3) */
                    if (t < (c.format == 1 ? 2 : 4) && lens[li] <= 300) {
                        for (int i = 0; i < c.len; i++) {
                            char keep = b[i];
                            b[i] = keep == 'A' ? 'C' : keep == 'C' ? 'G' : keep == 'G' ? 'T' : 'A';
                            int ok = dna_oligo_decode(&c, b, (size_t)c.len, &a2, back) == 0;
                            if (c.format == 1)
                                assert_false(ok);
                            escaped += ok;
                            tried++;
                            b[i] = keep;
                        }
                    }
                }
                if (tried && c.format == 2 && escaped > 4.0 * tried / (1 << c.check_bits) + 3)
                    fail_msg("L=%d K=%d W=%d: %d of %d substitutions escape the %d+%d check bits",
                             c.len, c.max_run, c.addr_bits, escaped, tried,
                             c.prefix_bits - c.seed_bits - c.addr_bits, c.check_bits);
                /* an address wider than W is refused */
                if (c.addr_bits < 32 && c.format == 2) {
                    assert_int_equal(dna_oligo_encode(&c, amax + 1, pay, b, &err), NQ_EINVAL);
                }
                free(b);
                dna_oligo_free(&c);
            }
        }
    }
    dna_oligo_codec c;
    assert_int_equal(dna_oligo_init(&c, 59, 3, 12, 0.4, 0.6, NULL), NQ_EINVAL);
    assert_int_equal(dna_oligo_init(&c, 1001, 3, 12, 0.4, 0.6, NULL), NQ_EINVAL);
    assert_int_equal(dna_oligo_init(&c, 150, 0, 12, 0.4, 0.6, NULL), NQ_EINVAL);
    assert_int_equal(dna_oligo_init(&c, 150, 3, 7, 0.4, 0.6, NULL), NQ_EINVAL);
    assert_int_equal(dna_oligo_init(&c, 150, 3, 25, 0.4, 0.6, NULL), NQ_EINVAL);
    assert_int_equal(dna_oligo_init(&c, 150, 3, 12, 0.6, 0.4, NULL), NQ_EINVAL);
    assert_int_equal(dna_oligo_init(&c, 150, 3, 12, 0.501, 0.502, NULL), NQ_EINVAL);
}

/* The budget of an oligo: at 150 nt and K = 3 every address width up to 16 bits leaves 34
 * payload bytes (272 of the 296 bits the constrained code carries in two segments); the old
 * layout (format 1) had 31. Printed for 150, 200 and 300 nt. */
static void test_oligo_budget(void **state)
{
    (void)state;
    static const int lens[] = {150, 200, 300};
    for (size_t li = 0; li < 3; li++) {
        for (int w = DNA_ADDR_MIN_BITS - 1; w <= DNA_ADDR_MAX_BITS; w += w == 7 ? 1 : 4) {
            int ww = w < DNA_ADDR_MIN_BITS ? DNA_OLIGO_FORMAT1 : w;
            dna_oligo_codec c;
            assert_int_equal(dna_oligo_init(&c, lens[li], 3, ww, 0.4, 0.6, NULL), 0);
            int pc = c.prefix_bits - c.seed_bits - c.addr_bits;
            print_message("L=%d %s: prefix %d nt = seed %d + address %d + check %d bits; body %d nt = "
                          "%d payload bytes + %d check bits; payload %.3f bits/nt\n",
                          c.len, c.format == 1 ? "format 1" : "format 2", c.prefix_len, c.seed_bits,
                          c.addr_bits, pc, c.len - c.prefix_len, c.payload, c.check_bits,
                          8.0 * c.payload / c.len);
            if (lens[li] == 150 && c.format == 2 && w <= 16)
                assert_true(c.payload >= 34);
            if (lens[li] == 150 && c.format == 1)
                assert_int_equal(c.payload, 31);
            dna_oligo_free(&c);
        }
    }
}

/* Every oligo of the pool meets the constraints, and the pool decodes to the input. */
static void check_pool(const dna_store_params *p, const dna_pool *pool)
{
    dna_oligo_codec c;
    assert_int_equal(dna_oligo_init(&c, p->oligo_len, p->max_run, 12, p->gc_min, p->gc_max, NULL), 0);
    for (size_t i = 0; i < pool->count; i++) {
        const char *o = pool->bases + i * (size_t)pool->len;
        int run = 0, longest = 0, gc = 0;
        for (int j = 0; j < pool->len; j++) {
            run = j && o[j] == o[j - 1] ? run + 1 : 1;
            if (run > longest)
                longest = run;
            gc += o[j] == 'G' || o[j] == 'C';
            assert_true(o[j] == 'A' || o[j] == 'C' || o[j] == 'G' || o[j] == 'T');
        }
        assert_true(longest <= p->max_run);
        assert_true(gc >= p->gc_min * pool->len - 1e-9 && gc <= p->gc_max * pool->len + 1e-9);
        assert_true(dna_oligo_check_constraints(&c, o, (size_t)pool->len));
    }
    dna_oligo_free(&c);
}

static dna_read *pool_reads(const dna_pool *pool)
{
    dna_read *r = malloc((pool->count ? pool->count : 1) * sizeof *r);
    for (size_t i = 0; i < pool->count; i++) {
        r[i].seq = pool->bases + i * (size_t)pool->len;
        r[i].len = (size_t)pool->len;
    }
    return r;
}

static void test_round_trips(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 1000, 40000};
    struct { int len, run; double gmin, gmax, red; int field; } cfg[] = {
        {150, 3, 0.40, 0.60, 0.15, 0}, {200, 2, 0.45, 0.55, 0.05, 0}, {130, 1, 0.40, 0.60, 0.30, 0},
        {300, 3, 0.40, 0.60, 0.00, 0}, {150, 4, 0.30, 0.70, 0.50, 0}, {150, 3, 0.40, 0.60, 0.10, 16},
        {300, 3, 0.40, 0.60, 0.05, 16}, {200, 3, 0.40, 0.60, 0.20, 8},
    };
    nq_rng r;
    nq_rng_seed(&r, 22);
    uint8_t *data = malloc(40000);
    for (size_t ci = 0; ci < sizeof cfg / sizeof cfg[0]; ci++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = sizes[si];
            if (ci >= 2 && ci < 5 && n > 1000)
                continue;
            fill(&r, data, n);
            if (si == 5)
                memset(data, 0, n);
            dna_store_params p;
            dna_store_params_default(&p);
            p.oligo_len = cfg[ci].len;
            p.max_run = cfg[ci].run;
            p.gc_min = cfg[ci].gmin;
            p.gc_max = cfg[ci].gmax;
            p.redundancy = cfg[ci].red;
            p.field = cfg[ci].field;
            dna_pool pool;
            nq_err err;
            int rc = dna_store_encode(&p, data, n, &pool, &err);
            if (rc)
                fail_msg("encode: %s", err.msg);
            check_pool(&p, &pool);
            dna_read *rd = pool_reads(&pool);
            uint8_t *out;
            size_t outlen;
            dna_decode_report rep;
            rc = dna_store_decode(NULL, rd, pool.count, &out, &outlen, &rep, &err);
            if (rc)
                fail_msg("decode: %s", err.msg);
            assert_int_equal(outlen, n);
            assert_memory_equal(out, data, n);
            assert_int_equal(rep.max_run, p.max_run);
            assert_int_equal(rep.oligo_len, p.oligo_len);
            assert_int_equal(rep.addr_bits, pool.addr_bits);
            assert_int_equal(rep.version, DNA_STORE_VERSION);
            assert_true(pool.count <= (size_t)1 << pool.addr_bits);
            assert_true(pool.addr_bits == DNA_ADDR_MIN_BITS || pool.count > (size_t)1 << (pool.addr_bits - 1));
            if (cfg[ci].field)
                assert_int_equal(pool.field, cfg[ci].field);
            if (n == 40000)
                print_message("L=%d: %zu bytes -> %zu oligos (%zu data, %zu parity, %zu blocks, GF(2^%d)): %.3f bits/nt\n",
                              pool.len, n, pool.count, pool.data_oligos, pool.parity_oligos,
                              pool.blocks, pool.field, dna_pool_density(&pool, n));
            free(out);
            free(rd);
            dna_pool_free(&pool);
        }
    }
    free(data);
    dna_store_params p;
    dna_store_params_default(&p);
    dna_pool pool;
    p.redundancy = 0.95;
    assert_int_equal(dna_store_encode(&p, (const uint8_t *)"x", 1, &pool, NULL), NQ_EINVAL);
    p.redundancy = 0.1;
    p.oligo_len = 70; /* too short for the header */
    assert_int_equal(dna_store_encode(&p, (const uint8_t *)"x", 1, &pool, NULL), NQ_EINVAL);
    p.oligo_len = 150;
    p.field = 12;
    assert_int_equal(dna_store_encode(&p, (const uint8_t *)"x", 1, &pool, NULL), NQ_EINVAL);
}

/* Encode n random bytes, pass them through the channel, decode. Returns the decode's code. */
static int through_channel_l(size_t n, int L, double red, double loss, int field,
                             const dna_channel_params *ch, uint64_t dseed, nq_err *err,
                             dna_decode_report *rep, double *density)
{
    nq_rng r;
    nq_rng_seed(&r, dseed);
    uint8_t *data = malloc(n ? n : 1);
    fill(&r, data, n);
    dna_store_params p;
    dna_store_params_default(&p);
    p.oligo_len = L;
    p.redundancy = red;
    p.loss = loss;
    p.field = field;
    dna_pool pool;
    assert_int_equal(dna_store_encode(&p, data, n, &pool, err), 0);
    if (field)
        assert_int_equal(pool.field, field);
    check_pool(&p, &pool);
    *density = dna_pool_density(&pool, n);
    dna_reads rd;
    assert_int_equal(dna_channel_simulate(ch, pool.bases, pool.count, pool.len, &rd, err), 0);
    dna_read *reads = malloc((rd.count ? rd.count : 1) * sizeof *reads);
    for (size_t i = 0; i < rd.count; i++) {
        reads[i].seq = rd.bases + rd.off[i];
        reads[i].len = rd.len[i];
    }
    uint8_t *out = (uint8_t *)"sentinel";
    size_t outlen = 12345;
    int rc = dna_store_decode(NULL, reads, rd.count, &out, &outlen, rep, err);
    if (rc == 0) {
        assert_int_equal(outlen, n);
        assert_memory_equal(out, data, n);
        free(out);
    } else {
        assert_null(out);
        assert_int_equal(outlen, 0);
    }
    free(reads);
    dna_reads_free(&rd);
    dna_pool_free(&pool);
    free(data);
    return rc;
}

static int through_channel_f(size_t n, double red, int field, const dna_channel_params *ch,
                             uint64_t dseed, nq_err *err, dna_decode_report *rep, double *density)
{
    return through_channel_l(n, 150, red, 0, field, ch, dseed, err, rep, density);
}

static int through_channel(size_t n, double red, const dna_channel_params *ch, uint64_t dseed,
                           nq_err *err, dna_decode_report *rep, double *density)
{
    return through_channel_f(n, red, 0, ch, dseed, err, rep, density);
}

/* The GF(2^16) outer code: one block of about 1000 oligos, nanopore-like reads, redundancy
 * 0.16 (a GF(2^8) pool would need its blocks to absorb the tail of their own dropout); and
 * beyond: 40 % dropout reported. */
static void test_gf16_pool(void **state)
{
    (void)state;
    dna_channel_params ch = {.dropout = 0.10, .sub = 0.01, .ins = 0.005, .del = 0.005,
                             .coverage = 20, .poisson = 1};
    for (uint64_t seed = 1; seed <= 2; seed++) {
        ch.seed = seed + 200;
        nq_err err;
        dna_decode_report rep;
        double dens;
        int rc = through_channel_f(30000, 0.16, 16, &ch, seed, &err, &rep, &dens);
        if (rc)
            fail_msg("gf16 nanopore seed %llu: %s", (unsigned long long)seed, err.msg);
        print_message("gf16 nanopore seed %llu: %.3f bits/nt, %zu missing of %zu\n",
                      (unsigned long long)seed, dens, rep.oligos_missing, rep.oligos_expected);
    }
    dna_channel_params bad = {.dropout = 0.4, .sub = 0.001, .coverage = 10, .poisson = 1, .seed = 5};
    nq_err err;
    dna_decode_report rep;
    double dens;
    assert_int_equal(through_channel_f(30000, 0.16, 16, &bad, 3, &err, &rep, &dens), NQ_ECORRUPT);
    print_message("gf16 beyond: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "columns"));
}

static void test_illumina_channel(void **state)
{
    (void)state;
    dna_channel_params ch = {.dropout = 0.02, .sub = 0.001, .ins = 0, .del = 0, .coverage = 10,
                             .poisson = 1};
    for (uint64_t seed = 1; seed <= 4; seed++) {
        ch.seed = seed;
        nq_err err;
        dna_decode_report rep;
        double dens;
        int rc = through_channel(8000, 0.08, &ch, seed, &err, &rep, &dens);
        if (rc)
            fail_msg("illumina seed %llu: %s", (unsigned long long)seed, err.msg);
        print_message("illumina seed %llu: %.3f bits/nt, %zu/%zu oligos (%zu direct, %zu consensus), %zu missing\n",
                      (unsigned long long)seed, dens, rep.oligos_direct + rep.oligos_consensus,
                      rep.oligos_expected, rep.oligos_direct, rep.oligos_consensus, rep.oligos_missing);
    }
}

static void test_nanopore_channel(void **state)
{
    (void)state;
    dna_channel_params ch = {.dropout = 0.10, .sub = 0.01, .ins = 0.005, .del = 0.005,
                             .coverage = 20, .poisson = 1};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        ch.seed = seed + 100;
        nq_err err;
        dna_decode_report rep;
        double dens;
        int rc = through_channel(6000, 0.25, &ch, seed, &err, &rep, &dens);
        if (rc)
            fail_msg("nanopore seed %llu: %s", (unsigned long long)seed, err.msg);
        print_message("nanopore seed %llu: %.3f bits/nt, %zu/%zu oligos (%zu direct, %zu consensus), %zu missing\n",
                      (unsigned long long)seed, dens, rep.oligos_direct + rep.oligos_consensus,
                      rep.oligos_expected, rep.oligos_direct, rep.oligos_consensus, rep.oligos_missing);
    }
}

static void test_beyond(void **state)
{
    (void)state;
    nq_err err;
    dna_decode_report rep;
    double dens;
    /* half the oligos lost, 8 % parity: reported */
    dna_channel_params ch = {.dropout = 0.5, .sub = 0.001, .coverage = 10, .poisson = 1, .seed = 7};
    int rc = through_channel(8000, 0.08, &ch, 7, &err, &rep, &dens);
    assert_int_equal(rc, NQ_ECORRUPT);
    print_message("beyond: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "block"));
    assert_non_null(strstr(err.msg, "bytes"));
    assert_non_null(strstr(err.msg, "columns"));
    /* nothing at all: the header is lost */
    ch.dropout = 1.0;
    rc = through_channel(500, 0.2, &ch, 8, &err, &rep, &dens);
    assert_true(rc == NQ_ECORRUPT || rc == NQ_EINVAL);
    /* heavy substitutions: either recovered exactly or reported, never wrong bytes (checked
     * inside through_channel) */
    dna_channel_params bad = {.dropout = 0.05, .sub = 0.08, .ins = 0.02, .del = 0.02,
                              .coverage = 5, .poisson = 1, .seed = 9};
    rc = through_channel(3000, 0.2, &bad, 9, &err, &rep, &dens);
    assert_true(rc == 0 || rc == NQ_ECORRUPT);
    /* header intact but one block's oligos all gone */
    dna_store_params p;
    dna_store_params_default(&p);
    p.redundancy = 0.1;
    uint8_t data[5000];
    nq_rng r;
    nq_rng_seed(&r, 3);
    fill(&r, data, sizeof data);
    dna_pool pool;
    assert_int_equal(dna_store_encode(&p, data, sizeof data, &pool, NULL), 0);
    dna_read *rd = pool_reads(&pool);
    size_t keep = pool.count - 30; /* the last 30 oligos: more than the parity of the block */
    uint8_t *out;
    size_t outlen;
    rc = dna_store_decode(NULL, rd, keep, &out, &outlen, &rep, &err);
    assert_int_equal(rc, NQ_ECORRUPT);
    print_message("tail lost: %s\n", err.msg);
    free(rd);
    dna_pool_free(&pool);
}

/* The goals at 150 nt with the loss-sized parity of the two profiles: the
 * Illumina-like channel (2 % dropout, 0.1 % substitutions, coverage 10) recovers a 100 kB file
 * from a pool at >= 1.75 bits/nt; the nanopore-like one (10 % dropout, 1 % substitutions,
 * 0.5 % insertions and deletions, coverage 20) a 30 kB file at >= 1.4. Beyond the rates (twice
 * the dropout) the same pools fail cleanly, naming what is lost. */
static void test_goal_density(void **state)
{
    (void)state;
    dna_channel_params il = {.dropout = 0.02, .sub = 0.001, .coverage = 10, .poisson = 1};
    for (uint64_t seed = 1; seed <= 1; seed++) {
        il.seed = seed + 300;
        nq_err err;
        dna_decode_report rep;
        double dens;
        int rc = through_channel_l(100000, 150, 0, 0.021, 0, &il, seed, &err, &rep, &dens);
        if (rc)
            fail_msg("illumina 100 kB seed %llu: %s", (unsigned long long)seed, err.msg);
        print_message("illumina 100 kB seed %llu: %.4f bits/nt, %zu reads, %zu of %zu missing, %zu symbols corrected\n",
                      (unsigned long long)seed, dens, rep.reads, rep.oligos_missing,
                      rep.oligos_expected, rep.symbols_corrected);
        assert_true(dens >= 1.75);
    }
    dna_channel_params np = {.dropout = 0.10, .sub = 0.01, .ins = 0.005, .del = 0.005,
                             .coverage = 20, .poisson = 1, .seed = 311};
    nq_err err;
    dna_decode_report rep;
    double dens;
    int rc = through_channel_l(30000, 150, 0, 0.105, 0, &np, 11, &err, &rep, &dens);
    if (rc)
        fail_msg("nanopore 30 kB: %s", err.msg);
    print_message("nanopore 30 kB: %.4f bits/nt, %zu of %zu missing\n", dens, rep.oligos_missing,
                  rep.oligos_expected);
    assert_true(dens >= 1.4);
    /* beyond: twice the dropout each profile was sized for */
    il.dropout = 0.045;
    il.seed = 321;
    rc = through_channel_l(100000, 150, 0, 0.021, 0, &il, 1, &err, &rep, &dens);
    assert_int_equal(rc, NQ_ECORRUPT);
    print_message("illumina beyond: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "unrecoverable"));
    assert_non_null(strstr(err.msg, "bytes"));
    np.dropout = 0.2;
    rc = through_channel_l(30000, 150, 0, 0.105, 0, &np, 11, &err, &rep, &dens);
    assert_int_equal(rc, NQ_ECORRUPT);
    assert_non_null(strstr(err.msg, "columns"));
    /* the profile's redundancy: a pure function of the pool, smaller for larger pools */
    double f1, f2;
    int r1 = dna_store_redundancy_for_loss(20000, 34, 0, 0.021, &f1);
    int r2 = dna_store_redundancy_for_loss(1000000, 34, 0, 0.021, &f2);
    print_message("illumina profile: 20 kB r=%d per mille (failure %.2g), 1 MB r=%d (failure %.2g)\n",
                  r1, f1, r2, f2);
    assert_true(r1 > r2 && r2 >= 21 && f1 <= DNA_STORE_DESIGN_FAILURE && f2 <= DNA_STORE_DESIGN_FAILURE);
}

/* Pools written by the previous format (versions 1 and 2: 20-bit addresses, 31-byte payloads
 * at 150 nt) still decode, from the pool and through a channel; a header that names a newer
 * version is refused by name. */
static void test_old_versions(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 41);
    uint8_t data[20000];
    fill(&r, data, sizeof data);
    for (int field = 8; field <= 16; field += 8) {
        dna_store_params p;
        dna_store_params_default(&p);
        p.field = field;
        dna_pool pool;
        nq_err err;
        assert_int_equal(dna_store_encode_v1(&p, data, sizeof data, &pool, &err), 0);
        assert_int_equal(pool.payload, 31);
        check_pool(&p, &pool);
        dna_read *rd = pool_reads(&pool);
        uint8_t *out;
        size_t outlen;
        dna_decode_report rep;
        int rc = dna_store_decode(NULL, rd, pool.count, &out, &outlen, &rep, &err);
        if (rc)
            fail_msg("version %d: %s", field == 16 ? 2 : 1, err.msg);
        assert_int_equal(rep.version, field == 16 ? 2 : 1);
        assert_int_equal(outlen, sizeof data);
        assert_memory_equal(out, data, sizeof data);
        free(out);
        /* through the Illumina-like channel */
        dna_channel_params ch = {.dropout = 0.02, .sub = 0.001, .coverage = 10, .poisson = 1, .seed = 5};
        dna_reads rr;
        assert_int_equal(dna_channel_simulate(&ch, pool.bases, pool.count, pool.len, &rr, NULL), 0);
        dna_read *reads = malloc(rr.count * sizeof *reads);
        for (size_t i = 0; i < rr.count; i++) {
            reads[i].seq = rr.bases + rr.off[i];
            reads[i].len = rr.len[i];
        }
        rc = dna_store_decode(NULL, reads, rr.count, &out, &outlen, &rep, &err);
        if (rc)
            fail_msg("version %d through the channel: %s", field == 16 ? 2 : 1, err.msg);
        assert_memory_equal(out, data, sizeof data);
        free(out);
        free(reads);
        dna_reads_free(&rr);
        free(rd);
        dna_pool_free(&pool);
    }
    /* a version-4 header in a version-3 pool */
    dna_store_params p;
    dna_store_params_default(&p);
    dna_pool pool;
    assert_int_equal(dna_store_encode(&p, data, 3000, &pool, NULL), 0);
    dna_oligo_codec c;
    assert_int_equal(dna_oligo_init(&c, pool.len, 3, pool.addr_bits, 0.4, 0.6, NULL), 0);
    uint8_t h[64] = {'N', 'D', 4};
    for (uint32_t a = 0; a < DNA_STORE_HEADER_COPIES; a++)
        assert_int_equal(dna_oligo_encode(&c, a, h, pool.bases + (size_t)a * (size_t)pool.len, NULL), 0);
    dna_oligo_free(&c);
    dna_read *rd = pool_reads(&pool);
    uint8_t *out;
    size_t outlen;
    nq_err err;
    assert_int_equal(dna_store_decode(NULL, rd, pool.count, &out, &outlen, NULL, &err), NQ_ECORRUPT);
    print_message("version 4: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "newer"));
    free(rd);
    dna_pool_free(&pool);
}

static void test_channel_and_fastx(void **state)
{
    (void)state;
    const char *olig = "ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTAC"
                       "TTGCATGCATGCATGCATGCATGCATGCATGCATGCATGCATGCATGCATGCATGCATGCAT";
    dna_channel_params ch = {.dropout = 0.1, .sub = 0.01, .ins = 0.01, .del = 0.01,
                             .coverage = 7, .poisson = 1, .seed = 42};
    dna_reads a, b;
    assert_int_equal(dna_channel_simulate(&ch, olig, 2, 62, &a, NULL), 0);
    assert_int_equal(dna_channel_simulate(&ch, olig, 2, 62, &b, NULL), 0);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i < a.count; i++) {
        assert_int_equal(a.len[i], b.len[i]);
        assert_memory_equal(a.bases + a.off[i], b.bases + b.off[i], a.len[i]);
    }
    /* FASTQ out and back */
    char *fq;
    size_t fql;
    assert_int_equal(dna_fastq_write(&a, &fq, &fql, NULL), 0);
    dna_reads c;
    assert_int_equal(dna_fastx_parse(fq, fql, &c, NULL), 0);
    assert_int_equal(c.count, a.count);
    for (size_t i = 0; i < a.count; i++) {
        assert_int_equal(c.len[i], a.len[i]);
        assert_memory_equal(c.bases + c.off[i], a.bases + a.off[i], a.len[i]);
    }
    free(fq);
    dna_reads_free(&c);
    dna_reads_free(&b);
    dna_reads_free(&a);
    /* fixed coverage, no noise: exact copies */
    dna_channel_params clean = {.coverage = 3, .seed = 1};
    assert_int_equal(dna_channel_simulate(&clean, olig, 2, 62, &a, NULL), 0);
    assert_int_equal(a.count, 6);
    for (size_t i = 0; i < a.count; i++) {
        assert_int_equal(a.len[i], 62);
        assert_true(memcmp(a.bases + a.off[i], olig, 62) == 0 || memcmp(a.bases + a.off[i], olig + 62, 62) == 0);
    }
    dna_reads_free(&a);
    dna_channel_params badp = {.dropout = 1.5};
    assert_int_equal(dna_channel_simulate(&badp, olig, 2, 62, &a, NULL), NQ_EINVAL);
    /* FASTA: multi-line, comments, lower case, IUPAC, CRLF */
    const char *fa = "\n>one desc\r\nACGT\r\nacgt\n;comment\n>two\nNRYA\n>empty\n";
    assert_int_equal(dna_fastx_parse(fa, strlen(fa), &c, NULL), 0);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.len[0], 8);
    assert_memory_equal(c.bases + c.off[0], "ACGTACGT", 8);
    assert_memory_equal(c.bases + c.off[1], "NNNA", 4);
    assert_int_equal(c.len[2], 0);
    dna_reads_free(&c);
    char *fa2;
    size_t fa2l;
    assert_int_equal(dna_fasta_write(olig, 2, 62, &fa2, &fa2l, NULL), 0);
    assert_int_equal(dna_fastx_parse(fa2, fa2l, &c, NULL), 0);
    assert_int_equal(c.count, 2);
    assert_memory_equal(c.bases + c.off[1], olig + 62, 62);
    dna_reads_free(&c);
    free(fa2);
    assert_int_equal(dna_fastx_parse("", 0, &c, NULL), 0);
    assert_int_equal(c.count, 0);
    dna_reads_free(&c);
    static const char *bad[] = {"ACGT\n", ">x\nAC!T\n", "@r\nACGT\n+\nIII\n", "@r\nACGT\n",
                                "@r\nACGT\n-\nIIII\n", "@r\nACGT\n+\nII\x01I\n", "hello"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nq_err err;
        nq_err_clear(&err);
        assert_int_equal(dna_fastx_parse(bad[i], strlen(bad[i]), &c, &err), NQ_EINVAL);
        assert_non_null(strstr(err.msg, "line"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oligo_code),       cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_illumina_channel), cmocka_unit_test(test_nanopore_channel),
        cmocka_unit_test(test_beyond),           cmocka_unit_test(test_channel_and_fastx),
        cmocka_unit_test(test_gf16_pool),        cmocka_unit_test(test_oligo_budget),
        cmocka_unit_test(test_goal_density),     cmocka_unit_test(test_old_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
