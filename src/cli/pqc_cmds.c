/*
 * pqc_cmds.c — `nqdb pqc`: the table of algorithms (see pqc_cmds.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pqc_cmds.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: nqdb pqc ALGORITHM OPERATION [options]\n"
               "  mlkem512 | mlkem768 | mlkem1024\n                         keygen --seed HEX | encaps --ek HEX [--m HEX] |\n"
               "                         decaps --dk HEX --ct HEX          (FIPS 203 ML-KEM)\n"
               "  mldsa44 | mldsa65 | mldsa87\n                         keygen --seed HEX | sign --sk HEX --msg HEX [--ctx HEX] [--rnd HEX] |\n"
               "                         verify --pk HEX --msg HEX --sig HEX [--ctx HEX]  (FIPS 204 ML-DSA)\n"
               "  every operation takes --json; `nqdb pqc ALGORITHM --help` for details\n");
}

int cmd_pqc(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_ERROR;
    }
    const char *a = argv[1];
    if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(a, "mlkem512"))
        return pqc_mlkem_cmd(2, argc - 1, argv + 1);
    if (!strcmp(a, "mlkem768"))
        return pqc_mlkem_cmd(3, argc - 1, argv + 1);
    if (!strcmp(a, "mlkem1024"))
        return pqc_mlkem_cmd(4, argc - 1, argv + 1);
    if (!strcmp(a, "mldsa44"))
        return pqc_mldsa_cmd(44, argc - 1, argv + 1);
    if (!strcmp(a, "mldsa65"))
        return pqc_mldsa_cmd(65, argc - 1, argv + 1);
    if (!strcmp(a, "mldsa87"))
        return pqc_mldsa_cmd(87, argc - 1, argv + 1);
    fprintf(stderr, "nqdb pqc: unknown algorithm \"%s\" (mlkem512, mlkem768, mlkem1024, mldsa44, mldsa65, mldsa87)\n", a);
    return EXIT_ERROR;
}
