/*
 * cli.h — shared pieces of the nqdb command: output helpers, opening a database from the
 * command line, and the subcommand entry points (one file per group).
 */
#ifndef NQ_CLI_H
#define NQ_CLI_H

#include <stdio.h>

#include "nqdb.h"

/* Exit codes: 0 ok, 1 the command ran and found a problem (e.g. check), 2 an error. */
#define EXIT_PROBLEM 1
#define EXIT_ERROR 2

/* Open dbfile for the CLI; prints the error and returns NULL on failure. */
nq_db *cli_open(const char *dbfile, int read_only, int must_exist);
/* The key options of commands that open databases (keyopt.c): takes --key-file FILE and
 * --passphrase-env VAR out of argv (argc updated); 0, or EXIT_ERROR after a message. */
int cli_key_args(int *argc, char **argv);
/* Put the key options (and the NQDB_KDF_* parameters) into o; cli_open does it. */
void cli_key_apply(nq_options *o);
int cmd_keygen(int argc, char **argv);  /* keyopt.c */
int cmd_rekey(int argc, char **argv);
/* Print "nqdb: <what>: <message>" for the handle's last error; returns EXIT_ERROR. */
int cli_fail(nq_db *db, const char *what);

int cmd_shell(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_kv(int argc, char **argv);
int cmd_serve(int argc, char **argv);   /* serve.c */
int cmd_backup(int argc, char **argv);  /* backup_cmds.c */
int cmd_restore(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* Key/value verbs shared by `nqdb kv` and the shell's dot-commands. out receives results. */
int kv_run(nq_db *db, int argc, char **argv, FILE *out);
void kv_usage(FILE *out, const char *prefix);

#endif
