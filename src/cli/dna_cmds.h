/*
 * dna_cmds.h — `nqdb dna SUBCOMMAND ...`: the DNA subsystem (src/dna) standalone
 * (docs/dna.md):
 *
 *   nqdb dna compress|decompress IN OUT [--algorithm A]     sequence compression (dna_zip_cmd.c)
 *   nqdb dna stats FILE                                     JSON facts about a sequence file
 *   nqdb dna encode IN OUT.fasta [--oligo-length N] [--redundancy R]   bytes -> oligo pool
 *   nqdb dna decode IN.fasta|IN.fastq OUT                   oligos or reads -> bytes
 *   nqdb dna simulate IN.fasta OUT.fastq --dropout D --sub S --ins I --del E --coverage C --seed N
 *                                                           (the last three: dna_store_cmd.c)
 * dna_cmds.c dispatches on the subcommand.
 */
#ifndef NQ_CLI_DNA_CMDS_H
#define NQ_CLI_DNA_CMDS_H

/* argv[0] is "dna". Exit 0 ok; 1 data that cannot be recovered (the message says which part
 * is lost); 2 bad usage or unreadable input. */
int cmd_dna(int argc, char **argv);

/* argv[0] is the subcommand (compress, decompress, stats). */
int dna_zip_cmd(int argc, char **argv);
/* argv[0] is the subcommand (encode, decode, simulate). */
int dna_store_cmd(int argc, char **argv);

#endif
