/*
 * pqc_mldsa_cmd.c — `nqdb pqc mldsa...` (see pqc_cmds.h). Not built yet.
 */
#include <stdio.h>

#include "cli.h"
#include "pqc_cmds.h"

int pqc_mldsa_cmd(int level, int argc, char **argv)
{
    (void)level;
    (void)argc;
    fprintf(stderr, "nqdb: not supported yet: nqdb pqc %s\n", argv[0]);
    return EXIT_ERROR;
}
