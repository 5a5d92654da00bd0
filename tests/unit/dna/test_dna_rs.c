/*
 * test_dna_rs.c — GF(2^8) and Reed-Solomon (src/dna/dna_gf.h, dna_rs.h).
 *
 * The field tables are checked against a bitwise multiplication modulo 0x11d, and codewords
 * against an independent slow encoder written here from first principles: the generator
 * prod_{j<m} (x - 2^j) multiplied out with the bitwise product, and the parity as the remainder
 * of msg(x) x^m divided by it (schoolbook long division). Then: the region kernels (scalar,
 * AVX2, NEON, whichever the CPU runs) and the matrix product of rows (the encoder's kernel) byte
 * for byte against the slow product; random erasure patterns
 * up to n - k recovered and beyond reported with the word untouched; random errors up to
 * (n - k)/2 and mixed patterns e + 2t <= n - k corrected; beyond that either reported or a
 * valid codeword (never a silent non-codeword).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "dna_gf.h"
#include "dna_rs.h"

/* Bitwise product in GF(2)[x] / (x^8+x^4+x^3+x^2+1). */
static uint8_t slow_mul(uint8_t a, uint8_t b)
{
    unsigned r = 0, x = a;
    for (int i = 0; i < 8; i++) {
        if (b & (1u << i))
            r ^= x;
        x <<= 1;
        if (x & 0x100)
            x ^= 0x11d;
    }
    return (uint8_t)r;
}

static uint8_t slow_pow2(int e)
{
    uint8_t v = 1;
    for (int i = 0; i < e; i++)
        v = slow_mul(v, 2);
    return v;
}

/* Systematic codeword by long division: cw = msg || (msg x^m mod g). */
static void slow_encode(int n, int k, const uint8_t *msg, uint8_t *cw)
{
    int m = n - k;
    uint8_t g[256] = {0}; /* g[i] = coefficient of x^i */
    g[0] = 1;
    for (int j = 0; j < m; j++) {
        uint8_t r = slow_pow2(j), ng[256] = {0};
        for (int i = 0; i <= j; i++) {
            ng[i + 1] ^= g[i];            /* x * g */
            ng[i] ^= slow_mul(r, g[i]);   /* r * g (minus = plus) */
        }
        memcpy(g, ng, sizeof g);
    }
    /* dividend d(x) = msg(x) x^m, coefficients of x^(n-1) .. x^0 in rem[0..n) */
    uint8_t rem[256] = {0};
    memcpy(rem, msg, (size_t)k);
    for (int i = 0; i < k; i++) {
        uint8_t q = rem[i]; /* g is monic */
        if (!q)
            continue;
        for (int j = 0; j <= m; j++)            /* subtract q * x^(n-1-i-m) * g(x) */
            rem[i + j] ^= slow_mul(q, g[m - j]);
    }
    memcpy(cw, msg, (size_t)k);
    memcpy(cw + k, rem + k, (size_t)m);
}

static void test_field_tables(void **state)
{
    (void)state;
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            assert_int_equal(dna_gf_mul((uint8_t)a, (uint8_t)b), slow_mul((uint8_t)a, (uint8_t)b));
    for (unsigned a = 1; a < 256; a++) {
        assert_int_equal(slow_mul((uint8_t)a, dna_gf_inv((uint8_t)a)), 1);
        assert_int_equal(dna_gf_exp(dna_gf_log((uint8_t)a)), a);
    }
    for (int e = 0; e < 600; e++)
        assert_int_equal(dna_gf_exp((unsigned)e), slow_pow2(e % 255));
}

static void test_known_codewords(void **state)
{
    (void)state;
    /* RS(3,1): g = (x+1)(x+2) = x^2 + 3x + 2, so [1] -> [1, 3, 2]. */
    dna_rs rs;
    assert_int_equal(dna_rs_init(&rs, 3, 1, NULL), 0);
    uint8_t one = 1, par[2];
    dna_rs_encode(&rs, &one, par);
    assert_int_equal(par[0], 3);
    assert_int_equal(par[1], 2);
    dna_rs_free(&rs);

    static const int shapes[][2] = {{255, 223}, {255, 239}, {255, 1}, {255, 254}, {40, 30},
                                    {10, 2},   {200, 160}, {7, 3},    {2, 1}};
    nq_rng r;
    nq_rng_seed(&r, 5);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int n = shapes[s][0], k = shapes[s][1], m = n - k;
        assert_int_equal(dna_rs_init(&rs, n, k, NULL), 0);
        for (int trial = 0; trial < 20; trial++) {
            uint8_t msg[255], want[255], got[255];
            for (int i = 0; i < k; i++)
                msg[i] = (uint8_t)nq_rng_next(&r);
            slow_encode(n, k, msg, want);
            memcpy(got, msg, (size_t)k);
            dna_rs_encode(&rs, msg, got + k);
            assert_memory_equal(got, want, (size_t)n);
            /* and it is a codeword: c(2^j) = 0 for j < m, evaluated the slow way */
            for (int j = 0; j < m; j++) {
                uint8_t a = slow_pow2(j), v = 0;
                for (int i = 0; i < n; i++)
                    v = (uint8_t)(slow_mul(v, a) ^ got[i]);
                assert_int_equal(v, 0);
            }
            uint8_t cw[255];
            memcpy(cw, got, (size_t)n);
            assert_int_equal(dna_rs_decode(&rs, cw, NULL, 0, NULL), 0);
            assert_memory_equal(cw, got, (size_t)n);
        }
        /* Rows: 37 codewords side by side equal 37 single encodings. */
        enum { LEN = 37 };
        uint8_t *rowbuf = malloc((size_t)n * LEN);
        const uint8_t *data[255];
        uint8_t *parity[255];
        for (int i = 0; i < n; i++) {
            if (i < k)
                data[i] = rowbuf + (size_t)i * LEN;
            else
                parity[i - k] = rowbuf + (size_t)i * LEN;
        }
        for (int i = 0; i < k * LEN; i++)
            rowbuf[i] = (uint8_t)nq_rng_next(&r);
        dna_rs_encode_rows(&rs, data, parity, LEN);
        for (int c = 0; c < LEN; c++) {
            uint8_t msg[255], want[255];
            for (int i = 0; i < k; i++)
                msg[i] = rowbuf[(size_t)i * LEN + (size_t)c];
            slow_encode(n, k, msg, want);
            for (int i = 0; i < n; i++)
                assert_int_equal(rowbuf[(size_t)i * LEN + (size_t)c], want[i]);
        }
        free(rowbuf);
        dna_rs_free(&rs);
    }
    assert_int_equal(dna_rs_init(&rs, 256, 200, NULL), NQ_EINVAL);
    assert_int_equal(dna_rs_init(&rs, 10, 10, NULL), NQ_EINVAL);
    assert_int_equal(dna_rs_init(&rs, 10, 0, NULL), NQ_EINVAL);
}

static void test_region_kernels(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 9);
    enum { MAXN = 1100 };
    uint8_t src[MAXN + 8], d0[MAXN + 8], d1[MAXN + 8], d2[MAXN + 8], ref[MAXN + 8];
    int avx2 = dna_gf_avx2_available(), neon = dna_gf_neon_available();
    print_message("kernels: avx2=%d neon=%d chosen=%s\n", avx2, neon, dna_gf_kernel_name());
    static const size_t lens[] = {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 511, 512, 1000};
    for (unsigned c = 0; c < 256; c++) {
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t n = lens[li], off = (size_t)(c % 7);
            for (size_t i = 0; i < sizeof src; i++) {
                src[i] = (uint8_t)nq_rng_next(&r);
                d0[i] = d1[i] = d2[i] = ref[i] = (uint8_t)nq_rng_next(&r);
            }
            for (size_t i = 0; i < n; i++)
                ref[off + i] ^= slow_mul((uint8_t)c, src[off + i]);
            dna_gf_mul_add_region_scalar(d0 + off, src + off, (uint8_t)c, n);
            assert_memory_equal(d0, ref, sizeof ref);
            dna_gf_mul_add_region(d1 + off, src + off, (uint8_t)c, n);
            assert_memory_equal(d1, ref, sizeof ref);
            if (avx2) {
                dna_gf_mul_add_region_avx2(d2 + off, src + off, (uint8_t)c, n);
                assert_memory_equal(d2, ref, sizeof ref);
            }
            if (neon) {
                memcpy(d2, d1, sizeof d2);
                memcpy(d2, ref, sizeof d2);
                for (size_t i = 0; i < n; i++)
                    d2[off + i] ^= slow_mul((uint8_t)c, src[off + i]); /* undo */
                dna_gf_mul_add_region_neon(d2 + off, src + off, (uint8_t)c, n);
                assert_memory_equal(d2, ref, sizeof ref);
            }
        }
    }
}

/* The matrix product of rows, every variant, against the slow product. */
static void test_mul_rows(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 17);
    static const int km[][2] = {{1, 1}, {3, 2}, {10, 4}, {223, 32}, {5, 7}, {254, 1}, {17, 13}};
    static const size_t lens[] = {0, 1, 15, 16, 31, 32, 33, 64, 100, 257};
    int avx2 = dna_gf_avx2_available(), neon = dna_gf_neon_available();
    for (size_t t = 0; t < sizeof km / sizeof km[0]; t++) {
        int k = km[t][0], m = km[t][1];
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t len = lens[li];
            uint8_t *coef = malloc((size_t)k * (size_t)m);
            uint8_t *in = malloc((size_t)k * len + 1), *want = malloc((size_t)m * len + 1),
                    *got = malloc((size_t)m * len + 1);
            const uint8_t *ip[255];
            uint8_t *op[255];
            for (int i = 0; i < k * m; i++)
                coef[i] = (uint8_t)nq_rng_next(&r);
            if (t == 0)
                coef[0] = 0;
            for (size_t i = 0; i < (size_t)k * len; i++)
                in[i] = (uint8_t)nq_rng_next(&r);
            for (int d = 0; d < k; d++)
                ip[d] = in + (size_t)d * len;
            for (int j = 0; j < m; j++)
                for (size_t i = 0; i < len; i++) {
                    uint8_t v = 0;
                    for (int d = 0; d < k; d++)
                        v ^= slow_mul(coef[(size_t)d * (size_t)m + (size_t)j], ip[d][i]);
                    want[(size_t)j * len + i] = v;
                }
            for (int j = 0; j < m; j++)
                op[j] = got + (size_t)j * len;
            for (int variant = 0; variant < 4; variant++) {
                if ((variant == 2 && !avx2) || (variant == 3 && !neon))
                    continue;
                memset(got, 0xa5, (size_t)m * len + 1);
                if (variant == 0)
                    dna_gf_mul_rows_scalar(coef, k, m, ip, op, len);
                else if (variant == 1)
                    dna_gf_mul_rows(coef, k, m, ip, op, len);
                else if (variant == 2)
                    dna_gf_mul_rows_avx2(coef, k, m, ip, op, len);
                else
                    dna_gf_mul_rows_neon(coef, k, m, ip, op, len);
                assert_memory_equal(got, want, (size_t)m * len);
                assert_int_equal(got[(size_t)m * len], 0xa5); /* nothing written past the rows */
            }
            free(coef);
            free(in);
            free(want);
            free(got);
        }
    }
}

/* k distinct positions in [0, n), random. */
static void pick_positions(nq_rng *r, int n, int cnt, int *out)
{
    int all[255];
    for (int i = 0; i < n; i++)
        all[i] = i;
    for (int i = 0; i < cnt; i++) {
        int j = i + (int)nq_rng_below(r, (uint64_t)(n - i));
        int t = all[i];
        all[i] = all[j];
        all[j] = t;
        out[i] = all[i];
    }
}

static void random_codeword(nq_rng *r, const dna_rs *rs, uint8_t *cw)
{
    for (int i = 0; i < rs->k; i++)
        cw[i] = (uint8_t)nq_rng_next(r);
    dna_rs_encode(rs, cw, cw + rs->k);
}

static void test_erasures(void **state)
{
    (void)state;
    static const int shapes[][2] = {{255, 223}, {255, 200}, {40, 30}, {12, 4}, {255, 250}, {3, 1}};
    nq_rng r;
    nq_rng_seed(&r, 11);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        dna_rs rs;
        assert_int_equal(dna_rs_init(&rs, shapes[s][0], shapes[s][1], NULL), 0);
        int n = rs.n, m = rs.m;
        for (int trial = 0; trial < 60; trial++) {
            uint8_t cw[255], orig[255];
            int pos[255];
            random_codeword(&r, &rs, orig);
            /* up to m: recovered */
            int e = (int)nq_rng_below(&r, (uint64_t)m + 1);
            if (trial == 0)
                e = m;
            pick_positions(&r, n, e, pos);
            memcpy(cw, orig, (size_t)n);
            for (int i = 0; i < e; i++)
                cw[pos[i]] = (uint8_t)nq_rng_next(&r);
            int rc = dna_rs_decode(&rs, cw, pos, e, NULL);
            assert_true(rc >= 0);
            assert_memory_equal(cw, orig, (size_t)n);
            /* beyond m: reported, word untouched */
            if (m < n) {
                int e2 = m + 1 + (int)nq_rng_below(&r, (uint64_t)(n - m));
                pick_positions(&r, n, e2, pos);
                for (int i = 0; i < e2; i++)
                    cw[pos[i]] = (uint8_t)nq_rng_next(&r);
                uint8_t before[255];
                memcpy(before, cw, (size_t)n);
                nq_err err;
                nq_err_clear(&err);
                assert_int_equal(dna_rs_decode(&rs, cw, pos, e2, &err), NQ_ECORRUPT);
                assert_memory_equal(cw, before, (size_t)n);
                assert_non_null(strstr(err.msg, "erasures"));
            }
        }
        dna_rs_free(&rs);
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const int shapes[][2] = {{255, 223}, {255, 239}, {60, 40}, {15, 5}, {255, 253}};
    nq_rng r;
    nq_rng_seed(&r, 13);
    long reported = 0, beyond = 0, big_reported = 0, big_beyond = 0; /* big: m - e >= 16 */
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        dna_rs rs;
        assert_int_equal(dna_rs_init(&rs, shapes[s][0], shapes[s][1], NULL), 0);
        int n = rs.n, m = rs.m;
        for (int trial = 0; trial < 80; trial++) {
            uint8_t cw[255], orig[255];
            int pos[255];
            random_codeword(&r, &rs, orig);
            /* e erasures and t errors with e + 2t <= m */
            int e = trial % 3 == 0 ? 0 : (int)nq_rng_below(&r, (uint64_t)m + 1);
            int t = (m - e) / 2;
            if (trial % 2)
                t = (int)nq_rng_below(&r, (uint64_t)t + 1);
            pick_positions(&r, n, e + t, pos);
            memcpy(cw, orig, (size_t)n);
            for (int i = 0; i < e + t; i++)
                cw[pos[i]] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
            int rc = dna_rs_decode(&rs, cw, pos, e, NULL);
            assert_true(rc >= 0);
            assert_memory_equal(cw, orig, (size_t)n);
            /* beyond: t errors with e + 2t > m */
            int t2 = (m - e) / 2 + 1 + (int)nq_rng_below(&r, 4);
            if (e + t2 > n)
                continue;
            pick_positions(&r, n, e + t2, pos);
            memcpy(cw, orig, (size_t)n);
            for (int i = 0; i < e + t2; i++)
                cw[pos[i]] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
            uint8_t before[255];
            memcpy(before, cw, (size_t)n);
            beyond++;
            big_beyond += m - e >= 16;
            rc = dna_rs_decode(&rs, cw, pos, e, NULL);
            if (rc < 0) {
                assert_int_equal(rc, NQ_ECORRUPT);
                assert_memory_equal(cw, before, (size_t)n);
                reported++;
                big_reported += m - e >= 16;
            } else {
                uint8_t par[255]; /* a miscorrection still yields a codeword */
                dna_rs_encode(&rs, cw, par);
                assert_memory_equal(par, cw + rs.k, (size_t)m);
            }
        }
        dna_rs_free(&rs);
    }
    /* Few spare parity symbols (m - e) miscorrect often (2: a random word is within distance 1 of a codeword with
     * probability about n*255/256^2); with m - e >= 16 spare parity symbols a miscorrection is rare. */
    print_message("beyond capacity: %ld of %ld reported; with m - e >= 16: %ld of %ld\n", reported,
                  beyond, big_reported, big_beyond);
    assert_true(big_reported * 100 >= big_beyond * 99);
}

/* Many codewords side by side: erasures shared by all, errors in a few columns. */
static void test_decode_rows(void **state)
{
    (void)state;
    static const int shapes[][2] = {{255, 217}, {40, 30}, {12, 4}, {255, 254}, {100, 60}};
    static const size_t lens[] = {1, 31, 68, 100};
    nq_rng r;
    nq_rng_seed(&r, 19);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        dna_rs rs;
        assert_int_equal(dna_rs_init(&rs, shapes[s][0], shapes[s][1], NULL), 0);
        int n = rs.n, k = rs.k, m = rs.m;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t len = lens[li];
            for (int trial = 0; trial < 8; trial++) {
                uint8_t *buf = malloc((size_t)n * len), *orig = malloc((size_t)n * len);
                const uint8_t *d[255];
                uint8_t *p[255], *rows[255], bad[128];
                for (int i = 0; i < n; i++)
                    rows[i] = buf + (size_t)i * len;
                for (int i = 0; i < k; i++)
                    d[i] = rows[i];
                for (int j = 0; j < m; j++)
                    p[j] = rows[k + j];
                for (size_t i = 0; i < (size_t)k * len; i++)
                    buf[i] = (uint8_t)nq_rng_next(&r);
                dna_rs_encode_rows(&rs, d, p, len);
                memcpy(orig, buf, (size_t)n * len);
                int e = trial == 0 ? m : trial == 1 ? 0 : (int)nq_rng_below(&r, (uint64_t)m + 1);
                int pos[255];
                pick_positions(&r, n, e, pos);
                for (int i = 0; i < e; i++)
                    memset(rows[pos[i]], 0x5a, len);
                /* in one column in three, t errors with e + 2t <= m */
                int t = (m - e) / 2;
                for (size_t c = 0; c < len; c += 3) {
                    int epos[255];
                    pick_positions(&r, n, n, epos);
                    int placed = 0;
                    for (int q = 0; q < n && placed < t; q++) {
                        int isera = 0;
                        for (int i = 0; i < e; i++)
                            isera |= pos[i] == epos[q];
                        if (isera)
                            continue;
                        rows[epos[q]][c] ^= (uint8_t)(1 + nq_rng_below(&r, 255));
                        placed++;
                    }
                }
                size_t changed = 0;
                long nb = dna_rs_decode_rows(&rs, rows, len, pos, e, bad, &changed, NULL);
                assert_int_equal(nb, 0);
                assert_memory_equal(buf, orig, (size_t)n * len);
                assert_true(changed >= (size_t)e * len);
                /* beyond: m + 1 erasures, every column bad */
                if (m + 1 <= n) {
                    pick_positions(&r, n, m + 1, pos);
                    nb = dna_rs_decode_rows(&rs, rows, len, pos, m + 1, bad, NULL, NULL);
                    assert_int_equal(nb, (long)len);
                    for (size_t c = 0; c < len; c++)
                        assert_int_equal(bad[c], 1);
                }
                free(buf);
                free(orig);
            }
        }
        dna_rs_free(&rs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_tables),   cmocka_unit_test(test_known_codewords),
        cmocka_unit_test(test_region_kernels), cmocka_unit_test(test_mul_rows),
        cmocka_unit_test(test_erasures),       cmocka_unit_test(test_decode_rows),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
