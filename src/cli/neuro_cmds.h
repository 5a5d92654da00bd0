/*
 * neuro_cmds.h — `nqdb neuro SUBCOMMAND ...`: the neuromorphic library (src/neuro) standalone
 * (docs/neuromorphic.md):
 *
 *   nqdb neuro izhikevich|lif|stdp|oja|bcm|hopfield ...   run one model and print what it did
 *                                                         (neuro_model_cmd.c)
 *   nqdb neuro train|predict|datasets ...                 trainable networks on a data set
 *                                                         (neuro_train_cmd.c)
 * neuro_cmds.c dispatches on the subcommand.
 */
#ifndef NQ_CLI_NEURO_CMDS_H
#define NQ_CLI_NEURO_CMDS_H

/* argv[0] is "neuro". Exit 0 ok; 1 the run found a problem (e.g. a model that did not
 * converge when asked to check); 2 bad usage or unreadable input. */
int cmd_neuro(int argc, char **argv);

/* argv[0] is the subcommand (a model name). */
int neuro_model_cmd(int argc, char **argv);
/* argv[0] is the subcommand (train, predict, datasets). */
int neuro_train_cmd(int argc, char **argv);

#endif
