/*
 * neuro_model_cmd.c — `nqdb neuro` subcommands of the model group (see neuro_cmds.h).
 */
#include <stdio.h>

#include "cli.h"
#include "neuro_cmds.h"

int neuro_model_cmd(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "nqdb neuro: not supported yet: `%s`\n", argv[0]);
    return EXIT_ERROR;
}
