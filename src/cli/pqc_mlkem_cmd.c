/*
 * pqc_mlkem_cmd.c — `nqdb pqc mlkem...` (see pqc_cmds.h). Not built yet.
 */
#include <stdio.h>

#include "cli.h"
#include "pqc_cmds.h"

int pqc_mlkem_cmd(int k, int argc, char **argv)
{
    (void)k;
    (void)argc;
    fprintf(stderr, "nqdb: not supported yet: nqdb pqc %s\n", argv[0]);
    return EXIT_ERROR;
}
