/*
 * dna_fastx.c — FASTA/FASTQ reading and writing (see dna_fastx.h).
 */
#include "dna_fastx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The base a sequence character stands for, 0 for ignorable blanks, -1 for an invalid one. */
static int fx_base(unsigned char ch)
{
    switch (ch) {
    case 'A': case 'C': case 'G': case 'T': case 'N': return ch;
    case 'a': case 'c': case 'g': case 't': case 'n': return ch - 32;
    case 'R': case 'Y': case 'K': case 'M': case 'S': case 'W': case 'B': case 'D': case 'H':
    case 'V': case 'r': case 'y': case 'k': case 'm': case 's': case 'w': case 'b': case 'd':
    case 'h': case 'v': case 'U': case 'u':
        return ch == 'U' || ch == 'u' ? 'T' : 'N';
    case ' ': case '\t': case '\r': return 0;
    default: return -1;
    }
}

typedef struct fx_line {
    const char *p;
    size_t n;
} fx_line;

/* The next line from *pos (without its newline); 0 at the end. */
static int next_line(const char *buf, size_t n, size_t *pos, fx_line *l)
{
    if (*pos >= n)
        return 0;
    const char *s = buf + *pos;
    const char *e = memchr(s, '\n', n - *pos);
    size_t len = e ? (size_t)(e - s) : n - *pos;
    l->p = s;
    l->n = len;
    *pos += len + (e ? 1 : 0);
    return 1;
}

static int blank(const fx_line *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i] != ' ' && l->p[i] != '\t' && l->p[i] != '\r')
            return 0;
    return 1;
}

static int push_read(dna_reads *o, size_t *cap, size_t start, size_t end, nq_err *err)
{
    if (o->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        size_t *no = realloc(o->off, nc * sizeof *no);
        if (!no)
            return nq_err_set(err, NQ_ENOMEM, "FASTA/FASTQ: out of memory");
        o->off = no;
        size_t *nl = realloc(o->len, nc * sizeof *nl);
        if (!nl)
            return nq_err_set(err, NQ_ENOMEM, "FASTA/FASTQ: out of memory");
        o->len = nl;
        *cap = nc;
    }
    o->off[o->count] = start;
    o->len[o->count] = end - start;
    o->count++;
    return 0;
}

/* Append the bases of line l to o->bases at *pos; -1 with err on a bad character. */
static int add_bases(dna_reads *o, size_t *pos, const fx_line *l, size_t lineno, nq_err *err)
{
    for (size_t i = 0; i < l->n; i++) {
        int b = fx_base((unsigned char)l->p[i]);
        if (b < 0)
            return nq_err_set(err, NQ_EINVAL, "line %zu: '%c' (0x%02x) is not a base", lineno,
                              l->p[i] >= 32 && l->p[i] < 127 ? l->p[i] : '?', (unsigned char)l->p[i]);
        if (b)
            o->bases[(*pos)++] = (char)b;
    }
    return 0;
}

int dna_fastx_parse(const char *buf, size_t n, dna_reads *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    out->bases = malloc(n ? n : 1); /* bases never outnumber input bytes */
    if (!out->bases)
        return nq_err_set(err, NQ_ENOMEM, "FASTA/FASTQ: out of memory");
    size_t pos = 0, bpos = 0, cap = 0, lineno = 0;
    fx_line l;
    int rc = 0, fmt = 0; /* '>' or '@' */
    int in_rec = 0;
    size_t start = 0;
    while (next_line(buf, n, &pos, &l)) {
        lineno++;
        if (!fmt) {
            if (blank(&l))
                continue;
            size_t i = 0;
            while (i < l.n && (l.p[i] == ' ' || l.p[i] == '\t'))
                i++;
            if (l.p[i] != '>' && l.p[i] != '@') {
                rc = nq_err_set(err, NQ_EINVAL, "line %zu: neither FASTA ('>') nor FASTQ ('@')", lineno);
                goto fail;
            }
            fmt = l.p[i];
        }
        if (fmt == '>') {
            if (l.n && l.p[0] == ';')
                continue;
            if (l.n && l.p[0] == '>') {
                if (in_rec && (rc = push_read(out, &cap, start, bpos, err)))
                    goto fail;
                in_rec = 1;
                start = bpos;
                continue;
            }
            if (!in_rec) {
                if (blank(&l))
                    continue;
                rc = nq_err_set(err, NQ_EINVAL, "line %zu: sequence before the first '>' header", lineno);
                goto fail;
            }
            if ((rc = add_bases(out, &bpos, &l, lineno, err)))
                goto fail;
        } else {
            if (blank(&l))
                continue;
            if (l.p[0] != '@') {
                rc = nq_err_set(err, NQ_EINVAL, "line %zu: a FASTQ record starts with '@'", lineno);
                goto fail;
            }
            fx_line s, plus, q;
            size_t l0 = lineno;
            if (!next_line(buf, n, &pos, &s) || !next_line(buf, n, &pos, &plus) ||
                !next_line(buf, n, &pos, &q)) {
                rc = nq_err_set(err, NQ_EINVAL, "line %zu: FASTQ record cut short", l0);
                goto fail;
            }
            lineno += 3;
            if (!plus.n || plus.p[0] != '+') {
                rc = nq_err_set(err, NQ_EINVAL, "line %zu: FASTQ separator '+' missing", l0 + 2);
                goto fail;
            }
            start = bpos;
            if ((rc = add_bases(out, &bpos, &s, l0 + 1, err)))
                goto fail;
            size_t ql = q.n;
            while (ql && (q.p[ql - 1] == '\r' || q.p[ql - 1] == ' '))
                ql--;
            if (ql != bpos - start) {
                rc = nq_err_set(err, NQ_EINVAL, "line %zu: %zu quality values for %zu bases",
                                l0 + 3, ql, bpos - start);
                goto fail;
            }
            for (size_t i = 0; i < ql; i++)
                if (q.p[i] < '!' || q.p[i] > '~') {
                    rc = nq_err_set(err, NQ_EINVAL, "line %zu: quality character 0x%02x out of range",
                                    l0 + 3, (unsigned char)q.p[i]);
                    goto fail;
                }
            if ((rc = push_read(out, &cap, start, bpos, err)))
                goto fail;
        }
    }
    if (fmt == '>' && in_rec && (rc = push_read(out, &cap, start, bpos, err)))
        goto fail;
    return 0;
fail:
    dna_reads_free(out);
    return rc;
}

typedef struct fx_buf {
    char *p;
    size_t n, cap;
} fx_buf;

static int fx_reserve(fx_buf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return 0;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->n + more)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np)
        return -1;
    b->p = np;
    b->cap = nc;
    return 0;
}

int dna_fasta_write(const char *seqs, size_t count, int len, char **out, size_t *outlen,
                    nq_err *err)
{
    fx_buf b = {NULL, 0, 0};
    for (size_t i = 0; i < count; i++) {
        if (fx_reserve(&b, (size_t)len + 40)) {
            free(b.p);
            return nq_err_set(err, NQ_ENOMEM, "FASTA: out of memory");
        }
        b.n += (size_t)sprintf(b.p + b.n, ">oligo_%zu\n", i);
        memcpy(b.p + b.n, seqs + i * (size_t)len, (size_t)len);
        b.n += (size_t)len;
        b.p[b.n++] = '\n';
    }
    if (fx_reserve(&b, 1)) {
        free(b.p);
        return nq_err_set(err, NQ_ENOMEM, "FASTA: out of memory");
    }
    *out = b.p;
    *outlen = b.n;
    return 0;
}

int dna_fastq_write(const dna_reads *r, char **out, size_t *outlen, nq_err *err)
{
    fx_buf b = {NULL, 0, 0};
    for (size_t i = 0; i < r->count; i++) {
        size_t l = r->len[i];
        if (fx_reserve(&b, 2 * l + 48)) {
            free(b.p);
            return nq_err_set(err, NQ_ENOMEM, "FASTQ: out of memory");
        }
        b.n += (size_t)sprintf(b.p + b.n, "@read_%zu\n", i);
        memcpy(b.p + b.n, r->bases + r->off[i], l);
        b.n += l;
        memcpy(b.p + b.n, "\n+\n", 3);
        b.n += 3;
        memset(b.p + b.n, 'I', l);
        b.n += l;
        b.p[b.n++] = '\n';
    }
    if (fx_reserve(&b, 1)) {
        free(b.p);
        return nq_err_set(err, NQ_ENOMEM, "FASTQ: out of memory");
    }
    *out = b.p;
    *outlen = b.n;
    return 0;
}
