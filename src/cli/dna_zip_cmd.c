/*
 * dna_zip_cmd.c — `nqdb dna compress|decompress|stats` (see dna_cmds.h; docs/dna.md): the
 * sequence codec of src/dna/dna_zip.h on files.
 *
 *   nqdb dna compress IN OUT [--algorithm A]   A: TwoBit, KmerBased, NeuralNetwork (default),
 *                                              Hybrid; QuantumInspired is refused
 *   nqdb dna decompress IN OUT                 byte-exact restore, or nothing
 *   nqdb dna stats FILE [--algorithm A]        JSON facts, incl. bits per nucleotide of A
 *
 * IN/OUT may be "-" for stdin/stdout. OUT is written to a temporary file beside it and renamed
 * into place only when complete, so a failed run never leaves a partial or wrong file. Exit 0
 * ok; 1 a damaged container (the message says which part is lost; nothing is written); 2 bad
 * usage, an unreadable input, or a file that is not a container at all.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dna/dna_zip.h"
#include "dna_cmds.h"

static void usage(FILE *f, const char *sub)
{
    if (!strcmp(sub, "compress"))
        fprintf(f, "usage: nqdb dna compress IN OUT [--algorithm A]\n"
                   "  Compress a DNA sequence file (FASTA, multi-FASTA or a plain sequence; any\n"
                   "  bytes are accepted and restored exactly). A = NeuralNetwork (default: context\n"
                   "  models of many orders with inverted repeats, mixed by an online-trained\n"
                   "  network), KmerBased (one order-8 context model), TwoBit (2 bits per base),\n"
                   "  Hybrid (per block the smallest of the three). IN/OUT may be -.\n");
    else if (!strcmp(sub, "decompress"))
        fprintf(f, "usage: nqdb dna decompress IN OUT\n"
                   "  Restore the original file byte for byte. A damaged container is refused\n"
                   "  (exit 1, naming the damaged part) and OUT is not written.\n");
    else
        fprintf(f, "usage: nqdb dna stats FILE [--algorithm A]\n"
                   "  JSON: length (residues), bases, GC content, longest homopolymer, N and\n"
                   "  other residues, records, and the bits per nucleotide of algorithm A\n"
                   "  (default NeuralNetwork).\n");
}

static int read_all(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "nqdb dna: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    int bad = !b || ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "nqdb dna: %s: %s\n", path, b ? "read error" : "out of memory");
        free(b);
        return -1;
    }
    *data = b;
    *len = n;
    return 0;
}

static int write_all(const char *path, const uint8_t *data, size_t len)
{
    if (!strcmp(path, "-")) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
            fprintf(stderr, "nqdb dna: writing to stdout failed\n");
            return -1;
        }
        return 0;
    }
    size_t pl = strlen(path) + 16;
    char *tmp = malloc(pl);
    if (!tmp)
        return -1;
    snprintf(tmp, pl, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "nqdb dna: %s: %s\n", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* split argv into positionals and --algorithm; returns -1 on bad usage */
static int parse_args(int argc, char **argv, const char **pos, int maxpos, int *npos,
                      dna_algo *algo, int *help)
{
    *npos = 0;
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = 1;
        } else if (!strcmp(a, "--algorithm") || !strncmp(a, "--algorithm=", 12)) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "nqdb dna %s: --algorithm needs a value\n", argv[0]);
                return -1;
            }
            nq_err e;
            if (dna_algo_parse(v, algo, &e)) {
                fprintf(stderr, "nqdb dna %s: %s\n", argv[0], e.msg);
                return -1;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "nqdb dna %s: unknown option %s\n", argv[0], a);
            return -1;
        } else {
            if (*npos == maxpos) {
                fprintf(stderr, "nqdb dna %s: too many arguments\n", argv[0]);
                return -1;
            }
            pos[(*npos)++] = a;
        }
    }
    return 0;
}

static int do_compress(const char *in, const char *out, dna_algo algo)
{
    uint8_t *data;
    size_t n;
    if (read_all(in, &data, &n))
        return EXIT_ERROR;
    dna_buf z = {0};
    nq_err e;
    nq_err_clear(&e);
    int rc = dna_compress(data, n, algo, &z, &e);
    free(data);
    if (rc) {
        fprintf(stderr, "nqdb dna compress: %s: %s\n", in, e.msg);
        return EXIT_ERROR;
    }
    rc = write_all(out, z.data, z.len) ? EXIT_ERROR : 0;
    if (!rc && strcmp(out, "-"))
        printf("%s: %zu bytes -> %zu bytes (%s)\n", in, n, z.len, dna_algo_name(algo));
    dna_buf_free(&z);
    return rc;
}

static int do_decompress(const char *in, const char *out)
{
    uint8_t *data;
    size_t n;
    if (read_all(in, &data, &n))
        return EXIT_ERROR;
    if (n < 4 || memcmp(data, "NQDZ", 4) != 0) {
        fprintf(stderr, "nqdb dna decompress: %s: not a DNA container (made by nqdb dna "
                        "compress)\n", in);
        free(data);
        return EXIT_ERROR;
    }
    dna_buf d = {0};
    nq_err e;
    nq_err_clear(&e);
    int rc = dna_decompress(data, n, DNA_ZIP_MAX_LEN, &d, &e);
    free(data);
    if (rc) {
        fprintf(stderr, "nqdb dna decompress: %s: %s; %s was not written\n", in, e.msg, out);
        dna_buf_free(&d);
        return rc == NQ_ECORRUPT ? EXIT_PROBLEM : EXIT_ERROR;
    }
    rc = write_all(out, d.data, d.len) ? EXIT_ERROR : 0;
    dna_buf_free(&d);
    return rc;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static int do_stats(const char *in, dna_algo algo)
{
    uint8_t *data;
    size_t n;
    if (read_all(in, &data, &n))
        return EXIT_ERROR;
    dna_stats st;
    dna_stats_compute(data, n, &st);
    dna_buf z = {0};
    nq_err e;
    int rc = dna_compress(data, n, algo, &z, &e);
    free(data);
    if (rc) {
        fprintf(stderr, "nqdb dna stats: %s: %s\n", in, e.msg);
        return EXIT_ERROR;
    }
    printf("{\"file\":");
    json_str(in);
    printf(",\"bytes\":%zu,\"records\":%llu,\"length\":%llu,\"bases\":%llu", n,
           (unsigned long long)st.records, (unsigned long long)st.residues,
           (unsigned long long)st.acgt);
    if (st.acgt)
        printf(",\"gc_content\":%.6f", (double)st.gc / (double)st.acgt);
    else
        printf(",\"gc_content\":null");
    printf(",\"longest_homopolymer\":%llu,\"n_count\":%llu,\"other\":%llu,\"lowercase\":%llu",
           (unsigned long long)st.longest_homopolymer, (unsigned long long)st.n_count,
           (unsigned long long)st.other, (unsigned long long)st.lower);
    printf(",\"algorithm\":\"%s\",\"compressed_bytes\":%zu", dna_algo_name(algo), z.len);
    if (st.residues)
        printf(",\"bits_per_nucleotide\":%.4f}\n", (double)z.len * 8.0 / (double)st.residues);
    else
        printf(",\"bits_per_nucleotide\":null}\n");
    dna_buf_free(&z);
    return 0;
}

int dna_zip_cmd(int argc, char **argv)
{
    const char *sub = argv[0], *pos[2];
    int npos, help;
    dna_algo algo = DNA_ALGO_MIXED;
    if (parse_args(argc, argv, pos, 2, &npos, &algo, &help)) {
        usage(stderr, sub);
        return EXIT_ERROR;
    }
    if (help) {
        usage(stdout, sub);
        return 0;
    }
    if (!strcmp(sub, "stats")) {
        if (npos != 1) {
            usage(stderr, sub);
            return EXIT_ERROR;
        }
        return do_stats(pos[0], algo);
    }
    if (npos != 2) {
        usage(stderr, sub);
        return EXIT_ERROR;
    }
    if (!strcmp(sub, "compress"))
        return do_compress(pos[0], pos[1], algo);
    return do_decompress(pos[0], pos[1]);
}
