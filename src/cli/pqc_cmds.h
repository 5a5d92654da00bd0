/*
 * pqc_cmds.h — `nqdb pqc ALGORITHM OPERATION ...`: the post-quantum schemes of src/crypto
 * standalone, printing hex (or JSON with --json) so that anyone can cross-check them against
 * another implementation (docs/security.md):
 *
 *   nqdb pqc mlkem768|mlkem1024 keygen --seed HEX | encaps --ek HEX [--m HEX] | decaps --dk HEX --ct HEX
 *   nqdb pqc mldsa44|mldsa65|mldsa87 keygen --seed HEX | sign --sk HEX --msg HEX [--ctx HEX] [--rnd HEX] | verify --pk HEX --msg HEX --sig HEX [--ctx HEX]
 *
 * pqc_cmds.c dispatches on the algorithm; each family has its own file.
 */
#ifndef NQ_CLI_PQC_CMDS_H
#define NQ_CLI_PQC_CMDS_H

/* argv[0] is "pqc". Exit status 0 ok (verify: the signature holds), 1 a verification that
 * failed, 2 error (bad usage, malformed input). */
int cmd_pqc(int argc, char **argv);

/* argv[0] is the algorithm name; k is 3 for ML-KEM-768 and 4 for ML-KEM-1024
 * (pqc_mlkem_cmd.c). */
int pqc_mlkem_cmd(int k, int argc, char **argv);
/* argv[0] is the algorithm name; level 44, 65 or 87 (pqc_mldsa_cmd.c). */
int pqc_mldsa_cmd(int level, int argc, char **argv);

#endif
