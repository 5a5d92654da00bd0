/*
 * func_dna.c — the DNA functions of QSQL: GC_CONTENT, REVERSE_COMPLEMENT, DNA_LENGTH,
 * KMER_SIMILARITY, DNA_ENCODE and DNA_DECODE (docs/qsql-functions.md, "DNA"; docs/dna.md, "In
 * the database").
 *
 * They are thin wrappers over the DNA leaf library (src/dna/dna_zip.h), which does the work and
 * owns the alphabet: a sequence argument is TEXT over A C G T N and the IUPAC codes R Y K M S W
 * B D H V, either case (a DNA:ACGT literal is such a TEXT). Anything else is an error that names
 * the function, the offending character and its position, counted from 1 as SUBSTR counts
 * ("gc_content: invalid base 'X' at position 3"). NULL in gives NULL out (the registry's
 * default), so none of these sees a NULL.
 *
 * DNA_ENCODE / DNA_DECODE are the quaternary code of bytes: every byte becomes four bases, two
 * bits each, least significant pair first, with A=0 C=1 T=2 G=3 (the library's packing order,
 * dna_pack/dna_unpack), so DNA_ENCODE(x) has exactly 4 * OCTET_LENGTH(x) bases and
 * DNA_DECODE(DNA_ENCODE(x)) = x for every BLOB. DNA_DECODE takes only A/C/G/T (either case) and a
 * length that is a multiple of 4: anything else cannot have come from DNA_ENCODE and is an
 * error, never a guess. (The DNA-storage oligo pool, with addresses, constraints and
 * Reed-Solomon parity, is `nqdb dna encode`: a pool is a set of sequences, not one value.)
 */
#include "sql/func_int.h"

#include <stdlib.h>
#include <string.h>

#include "dna/dna_zip.h"

/* Validates s[0..n) as a sequence of accepted letters; error naming the 1-based position. */
static int seq_check(const char *f, int argn, const char *s, size_t n, nq_err *e)
{
    size_t i = dna_seq_find_invalid(s, n);
    if (i == n)
        return 0;
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f)
        return nq_err_set(e, NQ_ERROR, "%s: invalid base '%c' at position %zu of argument %d", f,
                          c, i + 1, argn);
    return nq_err_set(e, NQ_ERROR, "%s: invalid base (byte 0x%02x) at position %zu of argument %d",
                      f, c, i + 1, argn);
}

/* The sequence argument argn (1-based) of f, validated. */
static int seq_arg(const char *f, int argn, const sqlv *v, fn_str *s, nq_err *e)
{
    int rc = fn_arg_text(f, argn, v, s, e);
    if (rc)
        return rc;
    rc = seq_check(f, argn, s->p, s->n, e);
    if (rc)
        fn_str_free(s);
    return rc;
}

/* A library failure after our own validation (out of memory, a bad k): its message, prefixed. */
static int lib_fail(const char *f, int rc, nq_err *e)
{
    return nq_err_prefix(e, rc == NQ_ENOMEM ? NQ_ENOMEM : NQ_ERROR, "%s", f);
}

int fn_gc_content(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx, (void)argc;
    fn_str s;
    int rc = seq_arg("gc_content", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    double r = 0;
    rc = dna_gc_content(s.p, s.n, &r, e);
    fn_str_free(&s);
    if (rc)
        return lib_fail("gc_content", rc, e);
    *out = sqlv_real(r);
    return 0;
}

int fn_dna_length(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx, (void)argc;
    fn_str s;
    int rc = seq_arg("dna_length", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    uint64_t n = 0;
    rc = dna_length(s.p, s.n, &n, e);
    fn_str_free(&s);
    if (rc)
        return lib_fail("dna_length", rc, e);
    *out = sqlv_int((int64_t)n);
    return 0;
}

int fn_reverse_complement(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx, (void)argc;
    fn_str s;
    int rc = seq_arg("reverse_complement", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    char *r = malloc(s.n + 1);
    if (!r) {
        fn_str_free(&s);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    rc = dna_reverse_complement(s.p, s.n, r, e);
    size_t n = s.n;
    fn_str_free(&s);
    if (rc) {
        free(r);
        return lib_fail("reverse_complement", rc, e);
    }
    r[n] = 0;
    *out = sqlv_text(r, n);
    out->owned = 1;
    return 0;
}

int fn_kmer_similarity(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx, (void)argc;
    int64_t k;
    int rc = fn_arg_int("kmer_similarity", 3, &argv[2], &k, e);
    if (rc)
        return rc;
    if (k < 1 || k > 32)
        return nq_err_set(e, NQ_ERROR, "kmer_similarity: k must be from 1 to 32, not %lld",
                          (long long)k);
    fn_str a, b;
    rc = seq_arg("kmer_similarity", 1, &argv[0], &a, e);
    if (rc)
        return rc;
    rc = seq_arg("kmer_similarity", 2, &argv[1], &b, e);
    if (rc) {
        fn_str_free(&a);
        return rc;
    }
    double r = 0;
    rc = dna_kmer_similarity(a.p, a.n, b.p, b.n, (int)k, &r, e);
    fn_str_free(&a);
    fn_str_free(&b);
    if (rc)
        return lib_fail("kmer_similarity", rc, e);
    *out = sqlv_real(r);
    return 0;
}

/* DNA_ENCODE(x): BLOB or text bytes -> 4 bases per byte. */
int fn_dna_encode(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx, (void)argc;
    const uint8_t *p;
    size_t n;
    fn_str s = {0};
    if (argv[0].type == SQLV_BLOB) {
        p = argv[0].p;
        n = argv[0].n;
    } else {
        int rc = fn_arg_text("dna_encode", 1, &argv[0], &s, e);
        if (rc)
            return rc;
        p = (const uint8_t *)s.p;
        n = s.n;
    }
    if (n > FN_TEXT_MAX / 4) {
        fn_str_free(&s);
        return nq_err_set(e, NQ_ETOOBIG, "dna_encode: result would be too long (%zu bytes in)", n);
    }
    char *r = malloc(4 * n + 1);
    if (!r) {
        fn_str_free(&s);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    if (n)
        dna_unpack(p, 4 * n, r);
    r[4 * n] = 0;
    fn_str_free(&s);
    *out = sqlv_text(r, 4 * n);
    out->owned = 1;
    return 0;
}

/* DNA_DECODE(seq): 4 bases per byte -> BLOB. */
int fn_dna_decode(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    (void)cx, (void)argc;
    fn_str s;
    int rc = fn_arg_text("dna_decode", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    size_t i = dna_find_non_acgt(s.p, s.n);
    if (i < s.n) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c < 0x7f)
            rc = nq_err_set(e, NQ_ERROR,
                            "dna_decode: invalid base '%c' at position %zu (only A, C, G, T encode bytes)",
                            c, i + 1);
        else
            rc = nq_err_set(e, NQ_ERROR,
                            "dna_decode: invalid base (byte 0x%02x) at position %zu (only A, C, G, T encode bytes)",
                            c, i + 1);
        fn_str_free(&s);
        return rc;
    }
    if (s.n % 4) {
        rc = nq_err_set(e, NQ_ERROR,
                        "dna_decode: length %zu is not a multiple of 4 (DNA_ENCODE writes 4 bases per byte)",
                        s.n);
        fn_str_free(&s);
        return rc;
    }
    size_t nb = s.n / 4;
    uint8_t *r = malloc(nb ? nb : 1);
    if (!r) {
        fn_str_free(&s);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    if (nb)
        dna_pack(s.p, s.n, r);
    fn_str_free(&s);
    *out = sqlv_bytes(SQLV_BLOB, r, nb);
    out->owned = 1;
    return 0;
}
