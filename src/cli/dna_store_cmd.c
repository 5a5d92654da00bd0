/*
 * dna_store_cmd.c — `nqdb dna encode|decode|simulate` (see dna_cmds.h): the DNA-storage codec
 * of src/dna (dna_store.h) on files.
 *
 *   encode IN OUT.fasta   any bytes -> a FASTA pool; a summary (oligos, bits/nt) on stderr
 *   decode IN OUT         FASTA oligos or FASTQ/FASTA reads -> the bytes; exit 1, naming the
 *                         lost blocks / columns / byte ranges, when they cannot be recovered
 *                         (OUT is then not written: never wrong bytes)
 *   simulate IN OUT.fastq the seeded channel of dna_channel.h
 *
 * Files are read whole into memory; OUT is written to a temporary name and renamed, so a
 * failed command leaves no partial output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dna_channel.h"
#include "dna_cmds.h"
#include "dna_fastx.h"
#include "dna_store.h"

static int read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "nqdb dna: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = !b || ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        fprintf(stderr, "nqdb dna: cannot read %s\n", path);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Read and parse a FASTA/FASTQ file for subcommand cmd; 0, or -1 after saying why. */
static int read_reads(const char *cmd, const char *path, dna_reads *out)
{
    char *in;
    size_t n;
    if (read_file(path, &in, &n))
        return -1;
    nq_err err;
    nq_err_clear(&err);
    int rc = dna_fastx_parse(in, n, out, &err);
    free(in);
    if (rc) {
        fprintf(stderr, "nqdb dna %s: %s: %s\n", cmd, path, err.msg);
        return -1;
    }
    return 0;
}

static int write_file(const char *path, const void *buf, size_t len)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp)
        return -1;
    snprintf(tmp, pl + 16, "%s.tmp~", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "nqdb dna: cannot create %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int bad = (len && fwrite(buf, 1, len, f) != len);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        fprintf(stderr, "nqdb dna: cannot write %s\n", path);
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

static int num_arg(const char *opt, const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (!*s || *end || errno || !(x >= lo && x <= hi)) {
        fprintf(stderr, "nqdb dna: %s wants a number in [%g, %g], not \"%s\"\n", opt, lo, hi, s);
        return -1;
    }
    *v = x;
    return 0;
}

static void usage_encode(FILE *f)
{
    fprintf(f,
            "usage: nqdb dna encode IN OUT.fasta [--oligo-length N] [--redundancy R | --loss D |\n"
            "                       --profile illumina|nanopore] [--gc-min X --gc-max Y] [--max-run K]\n"
            "                       [--field 8|16|auto]\n"
            "  Store the bytes of IN as a pool of oligonucleotides (FASTA, one record per oligo).\n"
            "  --oligo-length N  bases per oligo, 60..1000 (default 150)\n"
            "  --redundancy R    parity oligos / oligos of each Reed-Solomon block, 0..0.9 (default 0.15):\n"
            "                    up to that fraction of lost oligos per block is recovered\n"
            "  --loss D          size the parity instead for a share D (0..0.5) of oligos lost (dropout\n"
            "                    plus what the decoder cannot rebuild): the smallest redundancy at which\n"
            "                    the pool fails with probability <= 1e-4 if each oligo is lost with\n"
            "                    probability D\n"
            "  --profile P       illumina = --loss 0.021 (2 %% dropout, 0.1 %% substitutions, coverage 10);\n"
            "                    nanopore = --loss 0.105 (10 %% dropout, 2 %% indels+substitutions,\n"
            "                    coverage 20)\n"
            "  --gc-min X --gc-max Y  GC fraction of every oligo (default 0.40 .. 0.60)\n"
            "  --max-run K       longest run of one base, 1..8 (default 3)\n"
            "  --field F         outer code: 8 = Reed-Solomon over GF(2^8), blocks of <= 255 oligos;\n"
            "                    16 = GF(2^16), blocks of <= 4095 oligos, so less redundancy covers the\n"
            "                    same dropout (an odd payload gives up one byte per oligo); auto (default):\n"
            "                    16 when the pool needs more than one GF(2^8) block and the payload is even\n");
}

static void usage_decode(FILE *f)
{
    fprintf(f,
            "usage: nqdb dna decode IN.fasta|IN.fastq OUT [--oligo-length N] [--max-run K]\n"
            "  Recover the bytes from the pool's oligos or from sequenced reads (any order, any\n"
            "  coverage). The oligo length and run limit are detected unless given, the address\n"
            "  width and the pool version always (pools of versions 1-3 are read). Exit 1 when\n"
            "  part of the data cannot be recovered: the message names the blocks, codeword\n"
            "  columns and byte ranges lost, and OUT is not written.\n");
}

static void usage_simulate(FILE *f)
{
    fprintf(f,
            "usage: nqdb dna simulate IN.fasta OUT.fastq [--dropout D] [--sub S] [--ins I] [--del E]\n"
            "                         [--coverage C] [--fixed-coverage] [--seed N]\n"
            "  Synthesis and sequencing: each oligo is lost with probability D, else read a\n"
            "  Poisson(C) number of times (exactly C with --fixed-coverage); each read has per-base\n"
            "  substitutions S, insertions I and deletions E. Defaults: 0 0 0 0, C = 10, seed 1.\n"
            "  Illumina-like: --dropout 0.02 --sub 0.001 --coverage 10\n"
            "  nanopore-like: --dropout 0.1 --sub 0.01 --ins 0.005 --del 0.005 --coverage 20\n");
}

static int is_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

static int cmd_encode(int argc, char **argv)
{
    dna_store_params p;
    dna_store_params_default(&p);
    const char *pos[2];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        double v;
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) {
                fprintf(stderr, "nqdb dna encode: %s needs a value\n", a);
                return EXIT_ERROR;
            }
            const char *s = argv[++i];
            if (!strcmp(a, "--oligo-length")) {
                if (num_arg(a, s, 60, 1000, &v))
                    return EXIT_ERROR;
                p.oligo_len = (int)v;
            } else if (!strcmp(a, "--redundancy")) {
                if (num_arg(a, s, 0, 0.9, &v))
                    return EXIT_ERROR;
                p.redundancy = v;
            } else if (!strcmp(a, "--loss")) {
                if (num_arg(a, s, 0, 0.5, &v))
                    return EXIT_ERROR;
                p.loss = v;
            } else if (!strcmp(a, "--profile")) {
                if (!strcmp(s, "illumina")) {
                    p.loss = 0.021;
                } else if (!strcmp(s, "nanopore")) {
                    p.loss = 0.105;
                } else {
                    fprintf(stderr, "nqdb dna encode: --profile wants illumina or nanopore, not \"%s\"\n", s);
                    return EXIT_ERROR;
                }
            } else if (!strcmp(a, "--gc-min")) {
                if (num_arg(a, s, 0, 1, &v))
                    return EXIT_ERROR;
                p.gc_min = v;
            } else if (!strcmp(a, "--gc-max")) {
                if (num_arg(a, s, 0, 1, &v))
                    return EXIT_ERROR;
                p.gc_max = v;
            } else if (!strcmp(a, "--max-run")) {
                if (num_arg(a, s, 1, 8, &v))
                    return EXIT_ERROR;
                p.max_run = (int)v;
            } else if (!strcmp(a, "--field")) {
                if (strcmp(s, "8") && strcmp(s, "16") && strcmp(s, "auto")) {
                    fprintf(stderr, "nqdb dna encode: --field wants 8, 16 or auto, not \"%s\"\n", s);
                    return EXIT_ERROR;
                }
                p.field = !strcmp(s, "auto") ? 0 : atoi(s);
            } else {
                fprintf(stderr, "nqdb dna encode: unknown option %s\n", a);
                usage_encode(stderr);
                return EXIT_ERROR;
            }
        } else if (np < 2) {
            pos[np++] = a;
        } else {
            usage_encode(stderr);
            return EXIT_ERROR;
        }
    }
    if (np != 2) {
        usage_encode(stderr);
        return EXIT_ERROR;
    }
    char *in;
    size_t n;
    if (read_file(pos[0], &in, &n))
        return EXIT_ERROR;
    dna_pool pool;
    nq_err err;
    nq_err_clear(&err);
    int rc = dna_store_encode(&p, (const uint8_t *)in, n, &pool, &err);
    free(in);
    if (rc) {
        fprintf(stderr, "nqdb dna encode: %s\n", err.msg);
        return EXIT_ERROR;
    }
    char *fa;
    size_t fal;
    rc = dna_fasta_write(pool.bases, pool.count, pool.len, &fa, &fal, &err);
    if (rc) {
        dna_pool_free(&pool);
        fprintf(stderr, "nqdb dna encode: %s\n", err.msg);
        return EXIT_ERROR;
    }
    rc = write_file(pos[1], fa, fal);
    free(fa);
    if (!rc)
        fprintf(stderr,
                "nqdb dna encode: %zu bytes -> %zu oligos of %d nt (%zu header, %zu data, %zu "
                "parity in %zu blocks of RS over GF(2^%d), redundancy %.3f, %d-bit addresses, %d "
                "payload bytes each): %.3f bits/nt net\n",
                n, pool.count, pool.len, pool.header_oligos, pool.data_oligos, pool.parity_oligos,
                pool.blocks, pool.field, pool.redundancy, pool.addr_bits, pool.payload,
                dna_pool_density(&pool, n));
    dna_pool_free(&pool);
    return rc ? EXIT_ERROR : 0;
}

static int cmd_decode(int argc, char **argv)
{
    dna_store_params p;
    memset(&p, 0, sizeof p);
    const char *pos[2];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        double v;
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) {
                fprintf(stderr, "nqdb dna decode: %s needs a value\n", a);
                return EXIT_ERROR;
            }
            const char *s = argv[++i];
            if (!strcmp(a, "--oligo-length")) {
                if (num_arg(a, s, 60, 1000, &v))
                    return EXIT_ERROR;
                p.oligo_len = (int)v;
            } else if (!strcmp(a, "--max-run")) {
                if (num_arg(a, s, 1, 8, &v))
                    return EXIT_ERROR;
                p.max_run = (int)v;
            } else {
                fprintf(stderr, "nqdb dna decode: unknown option %s\n", a);
                usage_decode(stderr);
                return EXIT_ERROR;
            }
        } else if (np < 2) {
            pos[np++] = a;
        } else {
            usage_decode(stderr);
            return EXIT_ERROR;
        }
    }
    if (np != 2) {
        usage_decode(stderr);
        return EXIT_ERROR;
    }
    dna_reads rd;
    if (read_reads("decode", pos[0], &rd))
        return EXIT_ERROR;
    nq_err err;
    nq_err_clear(&err);
    int rc;
    dna_read *reads = malloc((rd.count ? rd.count : 1) * sizeof *reads);
    if (!reads) {
        dna_reads_free(&rd);
        fprintf(stderr, "nqdb dna decode: out of memory\n");
        return EXIT_ERROR;
    }
    for (size_t i = 0; i < rd.count; i++) {
        reads[i].seq = rd.bases + rd.off[i];
        reads[i].len = rd.len[i];
    }
    uint8_t *out;
    size_t outlen;
    dna_decode_report rep;
    rc = dna_store_decode(&p, reads, rd.count, &out, &outlen, &rep, &err);
    free(reads);
    dna_reads_free(&rd);
    fprintf(stderr,
            "nqdb dna decode: %zu reads (%zu addressed, %zu clusters), oligos of %d nt, max run "
            "%d, %d-bit addresses, pool version %d: %zu of %zu oligos recovered (%zu from agreeing "
            "reads, %zu by consensus), %zu missing, %zu symbols corrected\n",
            rep.reads, rep.reads_addressed, rep.clusters, rep.oligo_len, rep.max_run,
            rep.addr_bits, rep.version,
            rep.oligos_direct + rep.oligos_consensus, rep.oligos_expected, rep.oligos_direct,
            rep.oligos_consensus, rep.oligos_missing, rep.symbols_corrected);
    if (rc == NQ_ECORRUPT) {
        fprintf(stderr, "nqdb dna decode: %s\n", err.msg);
        return EXIT_PROBLEM;
    }
    if (rc) {
        fprintf(stderr, "nqdb dna decode: %s\n", err.msg);
        return EXIT_ERROR;
    }
    rc = write_file(pos[1], out, outlen);
    free(out);
    return rc ? EXIT_ERROR : 0;
}

static int cmd_simulate(int argc, char **argv)
{
    dna_channel_params ch = {0, 0, 0, 0, 10, 1, 1};
    const char *pos[2];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        double v;
        const char *a = argv[i];
        if (!strcmp(a, "--fixed-coverage")) {
            ch.poisson = 0;
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            if (i + 1 >= argc) {
                fprintf(stderr, "nqdb dna simulate: %s needs a value\n", a);
                return EXIT_ERROR;
            }
            const char *s = argv[++i];
            double *dst = !strcmp(a, "--dropout") ? &ch.dropout
                          : !strcmp(a, "--sub")   ? &ch.sub
                          : !strcmp(a, "--ins")   ? &ch.ins
                          : !strcmp(a, "--del")   ? &ch.del
                                                  : NULL;
            if (dst) {
                if (num_arg(a, s, 0, 1, dst))
                    return EXIT_ERROR;
            } else if (!strcmp(a, "--coverage")) {
                if (num_arg(a, s, 0, 1000, &ch.coverage))
                    return EXIT_ERROR;
            } else if (!strcmp(a, "--seed")) {
                char *end;
                errno = 0;
                unsigned long long sd = strtoull(s, &end, 10);
                if (!*s || *end || errno || s[0] == '-') {
                    fprintf(stderr, "nqdb dna simulate: --seed wants an unsigned integer, not \"%s\"\n", s);
                    return EXIT_ERROR;
                }
                ch.seed = sd;
            } else {
                (void)v;
                fprintf(stderr, "nqdb dna simulate: unknown option %s\n", a);
                usage_simulate(stderr);
                return EXIT_ERROR;
            }
        } else if (np < 2) {
            pos[np++] = a;
        } else {
            usage_simulate(stderr);
            return EXIT_ERROR;
        }
    }
    if (np != 2) {
        usage_simulate(stderr);
        return EXIT_ERROR;
    }
    dna_reads olig;
    if (read_reads("simulate", pos[0], &olig))
        return EXIT_ERROR;
    nq_err err;
    nq_err_clear(&err);
    int rc;
    /* the simulator takes equal-length oligos; pad shorter records' slots with their own bases */
    size_t maxl = 0;
    for (size_t i = 0; i < olig.count; i++)
        if (olig.len[i] > maxl)
            maxl = olig.len[i];
    int same = 1;
    for (size_t i = 0; i < olig.count; i++)
        same &= olig.len[i] == maxl;
    if (!same || maxl > 100000) {
        dna_reads_free(&olig);
        fprintf(stderr, "nqdb dna simulate: %s: the oligos must all have the same length\n", pos[0]);
        return EXIT_ERROR;
    }
    char *flat = malloc(olig.count * maxl + 1);
    if (!flat) {
        dna_reads_free(&olig);
        fprintf(stderr, "nqdb dna simulate: out of memory\n");
        return EXIT_ERROR;
    }
    for (size_t i = 0; i < olig.count; i++)
        memcpy(flat + i * maxl, olig.bases + olig.off[i], maxl);
    size_t count = olig.count;
    dna_reads_free(&olig);
    dna_reads rd;
    rc = dna_channel_simulate(&ch, flat, count, (int)maxl, &rd, &err);
    free(flat);
    if (rc) {
        fprintf(stderr, "nqdb dna simulate: %s\n", err.msg);
        return EXIT_ERROR;
    }
    char *fq;
    size_t fql;
    rc = dna_fastq_write(&rd, &fq, &fql, &err);
    size_t nreads = rd.count;
    dna_reads_free(&rd);
    if (rc) {
        fprintf(stderr, "nqdb dna simulate: %s\n", err.msg);
        return EXIT_ERROR;
    }
    rc = write_file(pos[1], fq, fql);
    free(fq);
    if (!rc)
        fprintf(stderr, "nqdb dna simulate: %zu oligos -> %zu reads\n", count, nreads);
    return rc ? EXIT_ERROR : 0;
}

int dna_store_cmd(int argc, char **argv)
{
    const char *c = argv[0];
    int help = is_help(argc, argv);
    if (!strcmp(c, "encode")) {
        if (help) {
            usage_encode(stdout);
            return 0;
        }
        return cmd_encode(argc, argv);
    }
    if (!strcmp(c, "decode")) {
        if (help) {
            usage_decode(stdout);
            return 0;
        }
        return cmd_decode(argc, argv);
    }
    if (help) {
        usage_simulate(stdout);
        return 0;
    }
    return cmd_simulate(argc, argv);
}
