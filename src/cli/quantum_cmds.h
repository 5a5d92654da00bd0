/*
 * quantum_cmds.h — `nqdb quantum SUBCOMMAND ...`: the quantum-inspired algorithms of
 * src/quantum standalone (qubo now; grover and tfim plug into the table in quantum_cmds.c).
 */
#ifndef NQ_CLI_QUANTUM_CMDS_H
#define NQ_CLI_QUANTUM_CMDS_H

/* argv[0] is "quantum". Exit status 0 ok, 2 error (bad usage, unreadable input). */
int cmd_quantum(int argc, char **argv);

#endif
