/*
 * neuro_cmds.c — `nqdb neuro`: the subcommand table (see neuro_cmds.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "neuro_cmds.h"

static const char *const model_cmds[] = {"izhikevich", "lif", "stdp", "oja", "bcm", "hopfield",
                                         NULL};
static const char *const train_cmds[] = {"train", "predict", "datasets", NULL};

static int in(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], s))
            return 1;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: nqdb neuro SUBCOMMAND ...\n"
               "  izhikevich|lif|stdp|oja|bcm|hopfield ...\n"
               "                  run one neuron or plasticity model and print what it did\n"
               "  train|predict|datasets ...\n"
               "                  train a network on a data set, predict with it, list data sets\n"
               "  `nqdb neuro SUBCOMMAND --help` for details\n");
}

int cmd_neuro(int argc, char **argv)
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
    if (in(model_cmds, c))
        return neuro_model_cmd(argc - 1, argv + 1);
    if (in(train_cmds, c))
        return neuro_train_cmd(argc - 1, argv + 1);
    fprintf(stderr, "nqdb neuro: unknown subcommand \"%s\" (try `nqdb neuro --help`)\n", c);
    return EXIT_ERROR;
}
