/*
 * test_dnazip.c — dna_compress / dna_decompress and the sequence functions.
 *
 * Round trips (byte exact) for every algorithm on structured inputs: empty, one base, a lone
 * newline, FASTA with several records, N runs, lower-case runs, IUPAC letters, CRLF line ends,
 * no final newline, all one base, arbitrary binary bytes, and seeded random FASTA files of
 * many shapes. Corruption: every single-byte change and every truncation of small containers
 * is refused (NQ_ECORRUPT and nothing appended). The statistical codec must really compress:
 * on a seeded synthetic genome made of repeats and inverted repeats with mutations it must
 * stay below 2 bits/base (and clearly below it for a sequence followed by its reverse
 * complement, which only the inverted-repeat models can exploit). Algorithm names: the
 * upstream names parse, QuantumInspired is refused. The sequence functions against values
 * computed by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "dna_zip.h"

static size_t roundtrip(const uint8_t *in, size_t n, dna_algo a)
{
    dna_buf z = {0}, d = {0};
    nq_err e;
    nq_err_clear(&e);
    assert_int_equal(dna_compress(in, n, a, &z, &e), 0);
    dna_zip_info info;
    assert_int_equal(dna_zip_info_get(z.data, z.len, &info, &e), 0);
    assert_int_equal(info.orig_len, n);
    assert_int_equal(info.algo, a);
    /* decompress appends: put something in front */
    assert_int_equal(dna_buf_reserve(&d, 3), 0);
    memcpy(d.data, "xyz", 3);
    d.len = 3;
    int rc = dna_decompress(z.data, z.len, DNA_ZIP_MAX_LEN, &d, &e);
    if (rc)
        fail_msg("decompress (%s, n=%zu): %s", dna_algo_name(a), n, e.msg);
    assert_int_equal(d.len, n + 3);
    assert_memory_equal(d.data, "xyz", 3);
    if (n)
        assert_memory_equal(d.data + 3, in, n);
    size_t zl = z.len;
    dna_buf_free(&z);
    dna_buf_free(&d);
    return zl;
}

static void rt_all(const char *s, size_t n)
{
    for (int a = 0; a < DNA_ALGO_COUNT; a++)
        roundtrip((const uint8_t *)s, n, (dna_algo)a);
}
#define RT(lit) rt_all(lit, sizeof(lit) - 1)

static void test_structured(void **state)
{
    (void)state;
    RT("");
    RT("A");
    RT("g");
    RT("\n");
    RT("\n\n\n");
    RT(">");
    RT(">\n");
    RT(">only a header");
    RT("ACGT");
    RT("ACGT\n");
    RT(">r1 desc\nACGTNNNNNNNNNNacgtnnnnACGT\nAC\n>r2\n\nTTTT\n>r3\n");
    RT(">x\r\nACGT\r\nGGCC\r\n");
    RT("RYKMSWBDHVN-*.acgtRYkm");
    RT("ACGT>notaheader\n>h\n  spaces  \n");
    RT("NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN");
    RT("nnnnACGTnnnnACGTNNNN");
    const uint8_t bin[] = {0, 1, 2, 0xff, 0x80, '\n', '>', 0, '\n', 'a', 'A', 0x7f, 0xc3, 0xa9};
    rt_all((const char *)bin, sizeof bin);
}

static void test_large_and_uniform(void **state)
{
    (void)state;
    size_t n = 200000;
    char *s = malloc(n);
    memset(s, 'A', n);
    for (int a = 0; a < DNA_ALGO_COUNT; a++) {
        size_t z = roundtrip((const uint8_t *)s, n, (dna_algo)a);
        if (a == DNA_ALGO_KMER || a == DNA_ALGO_MIXED || a == DNA_ALGO_HYBRID)
            assert_true(z < n / 100); /* one base over and over: almost nothing */
    }
    /* long lines, N runs, lower-case runs in a plain sequence without newline */
    nq_rng r;
    nq_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++)
        s[i] = "ACGT"[nq_rng_below(&r, 4)];
    for (int k = 0; k < 20; k++) {
        size_t at = nq_rng_below(&r, n - 1000), len = 1 + nq_rng_below(&r, 999);
        int c = (int)nq_rng_below(&r, 3);
        for (size_t i = at; i < at + len; i++)
            s[i] = c == 0 ? 'N' : c == 1 ? (char)(s[i] | 0x20) : 'n';
    }
    size_t z2 = roundtrip((const uint8_t *)s, n, DNA_ALGO_TWOBIT);
    assert_true(z2 < n / 4 + 400); /* out-of-band runs cost a few bytes each */
    roundtrip((const uint8_t *)s, 30000, DNA_ALGO_MIXED);
    free(s);
}

/* a random FASTA file of some shape */
static size_t make_fasta(nq_rng *r, char *buf, size_t cap)
{
    size_t o = 0;
    int recs = (int)nq_rng_below(r, 4);
    int width = 1 + (int)nq_rng_below(r, 90);
    int crlf = nq_rng_below(r, 5) == 0;
    for (int k = 0; k <= recs && o + 200 < cap; k++) {
        if (k > 0 || nq_rng_below(r, 4)) {
            o += (size_t)snprintf(buf + o, cap - o, ">seq%d len=%d", k, (int)nq_rng_below(r, 9999));
            buf[o++] = '\n';
        }
        size_t len = nq_rng_below(r, 3000), col = 0;
        for (size_t i = 0; i < len && o + 10 < cap; i++) {
            uint64_t x = nq_rng_below(r, 1000);
            char c = "ACGT"[nq_rng_below(r, 4)];
            if (x < 8)
                c = 'N';
            else if (x < 10)
                c = "RYKMSWBDHV-"[nq_rng_below(r, 11)];
            if (nq_rng_below(r, 50) == 0)
                c = (char)(c | 0x20);
            buf[o++] = c;
            if (++col == (size_t)width) {
                if (crlf)
                    buf[o++] = '\r';
                buf[o++] = '\n';
                col = 0;
            }
        }
        if (col && nq_rng_below(r, 3))
            buf[o++] = '\n';
    }
    return o;
}

static void test_random_fasta(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 2024);
    size_t cap = 16000;
    char *buf = malloc(cap);
    for (int it = 0; it < 60; it++) {
        size_t n = make_fasta(&r, buf, cap);
        roundtrip((const uint8_t *)buf, n, (dna_algo)(it % DNA_ALGO_COUNT));
    }
    /* arbitrary bytes */
    for (int it = 0; it < 40; it++) {
        size_t n = nq_rng_below(&r, 2000);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)nq_rng_next(&r);
        roundtrip((const uint8_t *)buf, n, (dna_algo)(it % DNA_ALGO_COUNT));
    }
    free(buf);
}

static void expect_refused(const uint8_t *z, size_t n)
{
    dna_buf d = {0};
    nq_err e;
    nq_err_clear(&e);
    int rc = dna_decompress(z, n, DNA_ZIP_MAX_LEN, &d, &e);
    if (rc != NQ_ECORRUPT && rc != NQ_ETOOBIG)
        fail_msg("damaged container of %zu bytes accepted (rc %d)", n, rc);
    assert_true(e.msg[0] != 0);
    assert_int_equal(d.len, 0);
    dna_buf_free(&d);
}

static void test_corruption(void **state)
{
    (void)state;
    const char *src = ">chr1 test\nACGTTGCAnnnnACGTACGGGTTTAAACCCGGGNNNNNNNNNNacgtACGTAGCTAGCTAGGCTAG\n"
                      "ACGATCGATCGATCGTAGCTAGCTAGCTAGCTGATCGATGCTAGTCGATGCTAGCTGATCGTAGC\n>chr2\nTTTT\n";
    for (int a = 0; a < DNA_ALGO_COUNT; a++) {
        dna_buf z = {0};
        nq_err e;
        assert_int_equal(dna_compress((const uint8_t *)src, strlen(src), (dna_algo)a, &z, &e), 0);
        uint8_t *c = malloc(z.len);
        for (size_t i = 0; i < z.len; i++)
            for (int f = 0; f < 3; f++) {
                memcpy(c, z.data, z.len);
                c[i] ^= (uint8_t)(f == 0 ? 0x01 : f == 1 ? 0x80 : 0xff);
                expect_refused(c, z.len);
            }
        for (size_t k = 0; k < z.len; k++)
            expect_refused(z.data, k);
        /* one byte appended */
        c = realloc(c, z.len + 1);
        memcpy(c, z.data, z.len);
        c[z.len] = 0;
        expect_refused(c, z.len + 1);
        /* the size limit */
        dna_buf d = {0};
        assert_int_equal(dna_decompress(z.data, z.len, 10, &d, &e), NQ_ETOOBIG);
        free(c);
        dna_buf_free(&z);
    }
}

static const char *COMP = "TGAC"; /* complement of A, C, T, G by symbol (s ^ 2) */

/* synthetic genome: random segments, forward copies and reverse-complement copies of earlier
 * stretches, 1 % point mutations in the copies */
static size_t synth(nq_rng *r, char *s, size_t n)
{
    size_t o = 0;
    while (o < n) {
        uint64_t kind = nq_rng_below(r, 3);
        size_t len = 200 + nq_rng_below(r, 1500);
        if (o + len > n)
            len = n - o;
        if (kind == 0 || o < 4000) {
            for (size_t i = 0; i < len; i++)
                s[o + i] = "ACGT"[nq_rng_below(r, 4)];
        } else {
            size_t src = nq_rng_below(r, o - len > 0 ? o - len : 1);
            for (size_t i = 0; i < len; i++) {
                char c = kind == 1 ? s[src + i] : s[src + len - 1 - i];
                if (kind == 2) {
                    int sym = (c >> 1) & 3;
                    c = COMP[sym];
                }
                if (nq_rng_below(r, 100) == 0)
                    c = "ACGT"[nq_rng_below(r, 4)];
                s[o + i] = c;
            }
        }
        o += len;
    }
    return n;
}

static double bits_per_base(const char *s, size_t n, dna_algo a)
{
    size_t z = roundtrip((const uint8_t *)s, n, a);
    return (double)z * 8.0 / (double)n;
}

static void test_ratio(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 99);
    size_t n = 60000;
    char *s = malloc(2 * n);
    synth(&r, s, n);
    double mixed = bits_per_base(s, n, DNA_ALGO_MIXED);
    double kmer = bits_per_base(s, n, DNA_ALGO_KMER);
    double twobit = bits_per_base(s, n, DNA_ALGO_TWOBIT);
    printf("# synthetic repeats: TwoBit %.3f, KmerBased %.3f, NeuralNetwork %.3f bits/base\n",
           twobit, kmer, mixed);
    assert_true(twobit >= 2.0 && twobit < 2.02);
    assert_true(mixed < 1.5);
    assert_true(mixed < kmer);
    /* random half followed by its reverse complement: only inverted repeats help */
    size_t h = 20000;
    for (size_t i = 0; i < h; i++)
        s[i] = "ACGT"[nq_rng_below(&r, 4)];
    for (size_t i = 0; i < h; i++)
        s[h + i] = COMP[(s[h - 1 - i] >> 1) & 3];
    double ir = bits_per_base(s, 2 * h, DNA_ALGO_MIXED);
    double irk = bits_per_base(s, 2 * h, DNA_ALGO_KMER);
    printf("# sequence + reverse complement: KmerBased %.3f, NeuralNetwork %.3f bits/base\n", irk,
           ir);
    assert_true(ir < 1.2);
    free(s);
}

static void test_names(void **state)
{
    (void)state;
    dna_algo a;
    nq_err e;
    assert_int_equal(dna_algo_parse("KmerBased", &a, &e), 0);
    assert_int_equal(a, DNA_ALGO_KMER);
    assert_int_equal(dna_algo_parse("neuralnetwork", &a, &e), 0);
    assert_int_equal(a, DNA_ALGO_MIXED);
    assert_int_equal(dna_algo_parse("Hybrid", &a, &e), 0);
    assert_int_equal(a, DNA_ALGO_HYBRID);
    assert_int_equal(dna_algo_parse("TwoBit", &a, &e), 0);
    assert_int_equal(a, DNA_ALGO_TWOBIT);
    assert_int_equal(dna_algo_parse("QuantumInspired", &a, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "QuantumInspired"));
    assert_int_equal(dna_algo_parse("gzip", &a, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "unknown algorithm"));
    dna_buf z = {0};
    assert_int_equal(dna_compress((const uint8_t *)"A", 1, (dna_algo)9, &z, &e), NQ_EINVAL);
    dna_buf_free(&z);
}

static void test_seq_functions(void **state)
{
    (void)state;
    nq_err e;
    double g;
    assert_int_equal(dna_gc_content("ACGT", 4, &g, &e), 0);
    assert_true(g == 0.5);
    assert_int_equal(dna_gc_content("GGCCNNAT", 8, &g, &e), 0);
    assert_true(g > 0.6666 && g < 0.6667);
    assert_int_equal(dna_gc_content("", 0, &g, &e), 0);
    assert_true(g == 0.0);
    assert_int_equal(dna_gc_content("ACGU", 4, &g, &e), NQ_EINVAL);
    assert_string_equal(e.msg, "invalid base 'U' at position 3");
    uint64_t len;
    assert_int_equal(dna_length("acgtnRY", 7, &len, &e), 0);
    assert_int_equal(len, 7);
    assert_int_equal(dna_length("AC GT", 5, &len, &e), NQ_EINVAL);
    char rc[16];
    assert_int_equal(dna_reverse_complement("AACGTn", 6, rc, &e), 0);
    assert_memory_equal(rc, "nACGTT", 6);
    assert_int_equal(dna_reverse_complement("RYKMBVDHSW", 10, rc, &e), 0);
    assert_memory_equal(rc, "WSDHBVKMRY", 10);
    double j;
    /* ACGT k=2: {AC,CG,GT}; CGTA: {CG,GT,TA} -> 2/4 */
    assert_int_equal(dna_kmer_similarity("ACGT", 4, "cgta", 4, 2, &j, &e), 0);
    assert_true(j == 0.5);
    assert_int_equal(dna_kmer_similarity("AAAA", 4, "AAAAAAA", 7, 3, &j, &e), 0);
    assert_true(j == 1.0);
    assert_int_equal(dna_kmer_similarity("ACNGT", 5, "ACGT", 4, 2, &j, &e), 0);
    assert_true(j > 0.666 && j < 0.667); /* {AC,GT} vs {AC,CG,GT} */
    assert_int_equal(dna_kmer_similarity("AC", 2, "GT", 2, 5, &j, &e), 0);
    assert_true(j == 0.0);
    assert_int_equal(dna_kmer_similarity("AC", 2, "GT", 2, 33, &j, &e), NQ_EINVAL);
    assert_int_equal(dna_kmer_similarity("AC", 2, "GXT", 3, 1, &j, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "second sequence"));
    /* 32-mers use the whole word */
    char a[40], b[40];
    memset(a, 'A', 40);
    memcpy(b, a, 40);
    b[39] = 'C';
    assert_int_equal(dna_kmer_similarity(a, 40, b, 40, 32, &j, &e), 0);
    assert_true(j == 0.5);

    dna_stats st;
    const char *f = ">r1\nAAAAcc\nccNNx\n>r2\nGGGG\n";
    dna_stats_compute((const uint8_t *)f, strlen(f), &st);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.residues, 15);
    assert_int_equal(st.acgt, 12);
    assert_int_equal(st.gc, 8);
    assert_int_equal(st.n_count, 2);
    assert_int_equal(st.other, 1);
    assert_int_equal(st.lower, 5);
    assert_int_equal(st.longest_homopolymer, 4);
    size_t bad = dna_seq_find_invalid("ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT!", 41);
    assert_int_equal(bad, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structured),     cmocka_unit_test(test_large_and_uniform),
        cmocka_unit_test(test_random_fasta),   cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_ratio),          cmocka_unit_test(test_names),
        cmocka_unit_test(test_seq_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
