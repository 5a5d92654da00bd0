/*
 * dna_cmds.c — `nqdb dna`: the subcommand table (see dna_cmds.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dna_cmds.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: nqdb dna SUBCOMMAND ...\n"
               "  compress IN OUT [--algorithm A]     compress a DNA sequence file (FASTA or plain)\n"
               "  decompress IN OUT                   restore it exactly\n"
               "  stats FILE                          JSON: length, GC, longest homopolymer, bits/nt\n"
               "  encode IN OUT.fasta [--oligo-length N] [--redundancy R]\n"
               "                                      store any bytes as a pool of oligonucleotides\n"
               "  decode IN.fasta|IN.fastq OUT        recover the bytes from oligos or sequenced reads\n"
               "  simulate IN.fasta OUT.fastq --dropout D --sub S --ins I --del E --coverage C --seed N\n"
               "                                      a synthesis + sequencing channel\n"
               "  `nqdb dna SUBCOMMAND --help` for details\n");
}

int cmd_dna(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_ERROR;
    }
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(c, "compress") || !strcmp(c, "decompress") || !strcmp(c, "stats"))
        return dna_zip_cmd(argc - 1, argv + 1);
    if (!strcmp(c, "encode") || !strcmp(c, "decode") || !strcmp(c, "simulate"))
        return dna_store_cmd(argc - 1, argv + 1);
    fprintf(stderr, "nqdb dna: unknown subcommand \"%s\" (try `nqdb dna --help`)\n", c);
    return EXIT_ERROR;
}
