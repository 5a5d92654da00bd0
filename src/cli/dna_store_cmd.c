/*
 * dna_store_cmd.c — `nqdb dna ...` (see dna_cmds.h). Not built yet.
 */
#include <stdio.h>

#include "cli.h"
#include "dna_cmds.h"

int dna_store_cmd(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "nqdb: not supported yet: nqdb dna %s\n", argv[0]);
    return EXIT_ERROR;
}
