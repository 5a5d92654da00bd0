/*
 * biometric_cmds.h — `nqdb biometric SUBCOMMAND ...`: the EEG pipeline of src/biometric
 * standalone (synthetic recordings for tests and demonstrations, the evaluation).
 */
#ifndef NQ_CLI_BIOMETRIC_CMDS_H
#define NQ_CLI_BIOMETRIC_CMDS_H

/* argv[0] is "biometric". Exit status 0 ok, 2 error. */
int cmd_biometric(int argc, char **argv);

#endif
