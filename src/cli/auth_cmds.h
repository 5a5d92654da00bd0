/*
 * auth_cmds.h — entry points of the credential commands (auth_cmds.c): nqdb init,
 * generate-jwt-secret, key create|list|revoke, user create|list|delete|passwd. Each takes the
 * arguments after `nqdb` (argv[0] is the command name) and returns the exit status.
 */
#ifndef NQ_CLI_AUTH_CMDS_H
#define NQ_CLI_AUTH_CMDS_H

int cmd_init(int argc, char **argv);
int cmd_generate_jwt_secret(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_user(int argc, char **argv);

#endif
