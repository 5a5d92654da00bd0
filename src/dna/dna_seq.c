/*
 * dna_seq.c — functions on sequences: validation, GC content, length, reverse complement,
 * k-mer similarity (the SQL functions GC_CONTENT, DNA_LENGTH, REVERSE_COMPLEMENT,
 * KMER_SIMILARITY call these), and the statistics of a sequence file (`nqdb dna stats`).
 *
 * One plain sequence accepts the IUPAC nucleotide letters (A C G T, N, R Y K M S W B D H V)
 * in either case; a position is reported for anything else. KMER_SIMILARITY is the Jaccard
 * index of the two sets of distinct k-mers: k-mers are encoded 2 bits a base in a 64-bit word
 * (so k <= 32), collected, sorted, de-duplicated and merged — O((n+m) log(n+m)), no hashing,
 * exact.
 */
#include <stdlib.h>
#include <string.h>

#include "dna_simd.h"
#include "dna_zip.h"

/* complement of an IUPAC letter (upper case), 0 for a byte that is not one */
static unsigned char iupac_comp(unsigned char c)
{
    switch (c) {
    case 'A': return 'T';
    case 'T': return 'A';
    case 'C': return 'G';
    case 'G': return 'C';
    case 'N': return 'N';
    case 'R': return 'Y';
    case 'Y': return 'R';
    case 'K': return 'M';
    case 'M': return 'K';
    case 'S': return 'S';
    case 'W': return 'W';
    case 'B': return 'V';
    case 'V': return 'B';
    case 'D': return 'H';
    case 'H': return 'D';
    default: return 0;
    }
}

static unsigned char up(unsigned char c)
{
    return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 32) : c;
}

size_t dna_seq_find_invalid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* the common case, A/C/G/T only, goes through the SIMD kernel */
        i += dna_find_non_acgt(s + i, n - i);
        if (i >= n)
            break;
        if (!iupac_comp(up((unsigned char)s[i])))
            return i;
        i++;
    }
    return n;
}

static int invalid_at(const char *s, size_t n, nq_err *err)
{
    size_t i = dna_seq_find_invalid(s, n);
    if (i == n)
        return 0;
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f)
        return nq_err_set(err, NQ_EINVAL, "invalid base '%c' at position %zu", c, i);
    return nq_err_set(err, NQ_EINVAL, "invalid base (byte 0x%02x) at position %zu", c, i);
}

int dna_gc_content(const char *s, size_t n, double *out, nq_err *err)
{
    int rc = invalid_at(s, n, err);
    if (rc)
        return rc;
    size_t acgt = 0, gc = 0, i = 0;
    while (i < n) {
        size_t run = dna_find_non_acgt(s + i, n - i);
        gc += dna_count_gc(s + i, run);
        acgt += run;
        i += run + 1; /* skip the ambiguous letter */
    }
    *out = acgt ? (double)gc / (double)acgt : 0.0;
    return 0;
}

int dna_length(const char *s, size_t n, uint64_t *out, nq_err *err)
{
    int rc = invalid_at(s, n, err);
    if (rc)
        return rc;
    *out = n;
    return 0;
}

int dna_reverse_complement(const char *s, size_t n, char *out, nq_err *err)
{
    int rc = invalid_at(s, n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[n - 1 - i];
        unsigned char k = iupac_comp(up(c));
        out[i] = (char)((c >= 'a' && c <= 'z') ? k + 32 : k);
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* the distinct k-mers of s, sorted; *cnt gets how many. NULL with cnt 0 when there are none
 * (returns NQ_ENOMEM only for a failed allocation). */
static int kmer_set(const char *s, size_t n, int k, uint64_t **set, size_t *cnt)
{
    *set = NULL;
    *cnt = 0;
    if (n < (size_t)k)
        return 0;
    uint64_t *v = malloc((n - (size_t)k + 1) * sizeof *v);
    if (!v)
        return NQ_ENOMEM;
    uint64_t mask = k == 32 ? ~(uint64_t)0 : (((uint64_t)1 << (2 * k)) - 1), w = 0;
    size_t m = 0, valid = 0; /* valid: A/C/G/T letters in a row ending here */
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] | 0x20u;
        if (c == 'a' || c == 'c' || c == 'g' || c == 't') {
            w = ((w << 2) | ((c >> 1) & 3)) & mask;
            if (++valid >= (size_t)k)
                v[m++] = w;
        } else {
            valid = 0;
        }
    }
    if (m == 0) {
        free(v);
        return 0;
    }
    qsort(v, m, sizeof *v, cmp_u64);
    size_t u = 1;
    for (size_t i = 1; i < m; i++)
        if (v[i] != v[u - 1])
            v[u++] = v[i];
    *set = v;
    *cnt = u;
    return 0;
}

int dna_kmer_similarity(const char *a, size_t na, const char *b, size_t nb, int k, double *out,
                        nq_err *err)
{
    if (k < 1 || k > 32)
        return nq_err_set(err, NQ_EINVAL, "k-mer length %d out of range (1..32)", k);
    int rc = invalid_at(a, na, err);
    if (rc)
        return nq_err_prefix(err, rc, "first sequence");
    rc = invalid_at(b, nb, err);
    if (rc)
        return nq_err_prefix(err, rc, "second sequence");
    uint64_t *sa, *sb;
    size_t ca, cb;
    if (kmer_set(a, na, k, &sa, &ca) || kmer_set(b, nb, k, &sb, &cb)) {
        free(sa);
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    }
    size_t i = 0, j = 0, both = 0;
    while (i < ca && j < cb) {
        if (sa[i] == sb[j]) {
            both++;
            i++;
            j++;
        } else if (sa[i] < sb[j]) {
            i++;
        } else {
            j++;
        }
    }
    size_t uni = ca + cb - both;
    *out = uni ? (double)both / (double)uni : 0.0;
    free(sa);
    free(sb);
    return 0;
}

void dna_stats_compute(const uint8_t *in, size_t n, dna_stats *st)
{
    memset(st, 0, sizeof *st);
    int at_line_start = 1, header = 0;
    unsigned prev = 0;
    uint64_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = in[i];
        if (c == '\n') {
            at_line_start = 1;
            header = 0;
            continue;
        }
        if (at_line_start) {
            at_line_start = 0;
            if (c == '>') {
                header = 1;
                st->records++;
                prev = 0; /* a new record breaks a homopolymer */
                run = 0;
            }
        }
        if (header)
            continue;
        st->residues++;
        if (c >= 'a' && c <= 'z')
            st->lower++;
        unsigned u = c | 0x20u;
        if (u == 'a' || u == 'c' || u == 'g' || u == 't') {
            st->acgt++;
            st->gc += (u == 'c') | (u == 'g');
            run = (u == prev) ? run + 1 : 1;
            prev = u;
            if (run > st->longest_homopolymer)
                st->longest_homopolymer = run;
        } else {
            if (u == 'n')
                st->n_count++;
            else
                st->other++;
            prev = 0;
            run = 0;
        }
    }
}
