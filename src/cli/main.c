/*
 * main.c — the nqdb command: dispatch to subcommands, --help, --version.
 *
 * Each subcommand lives in its own file (shell.c, admin.c, kv.c, slt.c). --help lists exactly what
 * this build can do; commands of the architecture's contract that are not built yet answer
 * "not supported yet" with exit status 2 rather than pretending.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "auth_cmds.h"
#include "quantum_cmds.h"
#include "pqc_cmds.h"
#include "dna_cmds.h"
#include "neuro_cmds.h"
#include "biometric_cmds.h"
#include "slt.h"

static void usage(FILE *out)
{
    fprintf(out,
            "nqdb " NQ_VERSION_STRING " — NeuroQuantumDB\n"
            "\n"
            "Usage: nqdb COMMAND [ARGS]\n"
            "\n"
            "Commands:\n"
            "  shell [DBFILE] [--format F]\n"
            "                            SQL shell on DBFILE (default ./nqdb.db); reads\n"
            "                            statements from stdin when it is not a terminal and\n"
            "                            stops at the first error\n"
            "  sql DBFILE \"SQL; ...\" [--format F]\n"
            "                            run SQL statements, print results, stop at the first\n"
            "                            error; F: table (default), csv, tsv, json, list, line\n"
            "  slt [--verbose] [--stop-on-fail] [--db FILE] SCRIPT...\n"
            "                            run sqllogictest scripts; ends with \"N passed, M failed\"\n"
            "  check DBFILE              integrity check: checksums, trees, free list, leaks\n"
            "  info DBFILE               file header, page counts, cache and log statistics\n"
            "  checkpoint DBFILE         fold the write-ahead log into the database file\n"
            "  kv DBFILE VERB ...        key/value access to named trees (see `nqdb kv --help`)\n"
            "  keygen FILE               an ML-KEM-768 key file (mode 600) for encrypted databases\n"
            "  rekey DBFILE --new-key-file F|--new-passphrase-env V [--reencrypt]\n"
            "                            re-wrap (or re-encrypt) an encrypted database's key\n"
            "\n"
            "  shell, sql, check, info, checkpoint, kv, backup and rekey take --key-file FILE or\n"
            "  --passphrase-env VAR (the passphrase is read from the environment variable VAR):\n"
            "  the key of an encrypted database, and what a new database is encrypted with\n"
            "  (docs/security.md, \"Encryption at rest\"); and --isolation LEVEL: the isolation\n"
            "  level of SQL transactions that name none (read committed, the default; repeatable\n"
            "  read; serializable; docs/qsql.md \"Transactions\").\n"
            "\n"
            "  serve [--config FILE] [--data DIR] [--port N]\n"
            "                            the server: REST API, WebSocket, metrics (see `nqdb serve\n"
            "                            --help`; first run `nqdb init` for an admin API key)\n"
            "  init [--data DIR] [--name N] [--expiry-hours H] [--output FILE]\n"
            "                            first-time setup: data directory and first admin API key\n"
            "  generate-jwt-secret [--output FILE] | --algorithm ML-DSA-65|ML-DSA-87 [--data DIR]\n"
            "                            a new JWT signing secret (or ML-DSA key pair) for [jwt]\n"
            "  key create|list|revoke    API keys of the data directory (`nqdb key --help`)\n"
            "  user create|list|delete|passwd\n"
            "                            users who log in for JWTs (`nqdb user --help`)\n"
            "  backup DBFILE DEST [--full|--incremental|--differential] [--compress]\n"
            "         [--sign KEYFILE] [--encrypt KEMPUBFILE]\n"
            "                            online backup into a new DEST/NNNN-KIND directory\n"
            "  backup keygen DIR         ML-DSA-65 signing and ML-KEM-768 encryption key files\n"
            "  backup list DEST [--json] | backup prune DEST --keep-full N\n"
            "                            the backups of a chain directory; remove old chains\n"
            "  restore BACKUPDIR... TARGET [--force] [--until SEQ|TIME [--archive DIR]]\n"
            "                            rebuild a database from a backup chain (or its last),\n"
            "                            optionally to a point in time from the log archive\n"
            "  verify BACKUPDIR...       check a backup chain's checksums without restoring\n"
            "  quantum qubo|grover|tfim ...\n"
            "                            QUBO/Max-Cut solvers, Grover on the state-vector\n"
            "                            simulator, TFIM ground state exact or by path-integral\n"
            "                            Monte Carlo (`nqdb quantum --help`)\n"
            "  pqc mlkem512|mlkem768|mlkem1024|mldsa44|mldsa65|mldsa87 ...\n"
            "                            post-quantum KEM and signatures (`nqdb pqc --help`)\n"
            "  dna compress|decompress|stats|encode|decode|simulate ...\n"
            "                            DNA compression and DNA storage (`nqdb dna --help`)\n"
            "  biometric synth|eval ...  synthetic EEG recordings and the EEG verification\n"
            "                            evaluation (`nqdb biometric --help`)\n"
            "  neuro izhikevich|lif|stdp|oja|bcm|hopfield|train|predict|datasets ...\n"
            "                            spiking neurons, plasticity rules, trainable networks\n"
            "                            (`nqdb neuro --help`)\n"
            "  help                      this text\n"
            "  version                   print the version\n"
            "\n"
            "Not built yet (it answers \"not supported yet\"): bench.\n"
            "\n"
            "Exit status: 0 success, 1 the command found a problem (check: damage; slt: failed\n"
            "records), 2 error (bad usage, a failed statement, a file that cannot be opened).\n");
}

static const char *const planned[] = {"bench", NULL};

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("nqdb %s\n", NQ_VERSION_STRING);
        return 0;
    }
    /* the commands that open databases take --key-file / --passphrase-env / --isolation
     * (keyopt.c) */
    static const char *const keyed[] = {"shell", "sql", "check", "info", "checkpoint", "kv",
                                        "backup", "rekey", NULL};
    for (int i = 0; keyed[i]; i++)
        if (!strcmp(cmd, keyed[i]) && cli_key_args(&argc, argv))
            return EXIT_ERROR;
    if (!strcmp(cmd, "keygen"))
        return cmd_keygen(argc - 1, argv + 1);
    if (!strcmp(cmd, "rekey"))
        return cmd_rekey(argc - 1, argv + 1);
    if (!strcmp(cmd, "shell"))
        return cmd_shell(argc - 1, argv + 1);
    if (!strcmp(cmd, "sql"))
        return cmd_sql(argc - 1, argv + 1);
    if (!strcmp(cmd, "slt"))
        return cmd_slt(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "checkpoint"))
        return cmd_checkpoint(argc - 1, argv + 1);
    if (!strcmp(cmd, "kv"))
        return cmd_kv(argc - 1, argv + 1);
    if (!strcmp(cmd, "quantum"))
        return cmd_quantum(argc - 1, argv + 1);
    if (!strcmp(cmd, "dna"))
        return cmd_dna(argc - 1, argv + 1);
    if (!strcmp(cmd, "neuro"))
        return cmd_neuro(argc - 1, argv + 1);
    if (!strcmp(cmd, "pqc"))
        return cmd_pqc(argc - 1, argv + 1);
    if (!strcmp(cmd, "biometric"))
        return cmd_biometric(argc - 1, argv + 1);
    if (!strcmp(cmd, "backup"))
        return cmd_backup(argc - 1, argv + 1);
    if (!strcmp(cmd, "restore"))
        return cmd_restore(argc - 1, argv + 1);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "init"))
        return cmd_init(argc - 1, argv + 1);
    if (!strcmp(cmd, "generate-jwt-secret"))
        return cmd_generate_jwt_secret(argc - 1, argv + 1);
    if (!strcmp(cmd, "key"))
        return cmd_key(argc - 1, argv + 1);
    if (!strcmp(cmd, "user"))
        return cmd_user(argc - 1, argv + 1);
    for (int i = 0; planned[i]; i++)
        if (!strcmp(cmd, planned[i])) {
            fprintf(stderr, "nqdb: not supported yet: `%s`\n", cmd);
            return EXIT_ERROR;
        }
    fprintf(stderr, "nqdb: unknown command \"%s\" (try `nqdb help`)\n", cmd);
    return EXIT_ERROR;
}
