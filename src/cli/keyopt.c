/*
 * keyopt.c — the shared options of every nqdb command that opens a database, parsed in one
 * place: main.c hands the arguments of those commands to cli_key_args before dispatching, which
 * takes out
 *     --key-file FILE          the ML-KEM-768 key file of an encrypted database (mode 600)
 *     --passphrase-env VAR     its passphrase, read from the environment variable VAR (never
 *                              from the command line, where other users could see it)
 * and the option of the transactions' default isolation level
 *     --isolation LEVEL        read committed (the default), repeatable read or serializable
 *                              (nq_options.isolation; SQL BEGIN without ISOLATION LEVEL)
 * and remembers them for cli_open (admin.c), which opens every database of the CLI. Argon2id
 * parameters of a new passphrase wrap come from NQDB_KDF_ITERATIONS and NQDB_KDF_MEMORY_KIB
 * (defaults: docs/security.md). The remembered options are set once, before any command runs.
 *
 * `nqdb keygen FILE` and `nqdb rekey` live here too: they are the rest of the key handling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static struct {
    const char *key_file;
    const char *passphrase;
    const char *pass_var;
    int isolation; /* NQ_ISO_*; 0 = the engine's default */
} cli_key;

static uint32_t env_u32(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

/* Take "--OPT VALUE" / "--OPT=VALUE" at argv[*i] into *val; 1 when it matched, -1 on a
 * missing value. */
static int take(int argc, char **argv, int *i, const char *opt, const char **val)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n))
        return 0;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n])
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

/* Resolve VAR into a passphrase; 0, or EXIT_ERROR with a message. */
static int pass_from_env(const char *opt, const char *var, const char **out)
{
    const char *v = var && *var ? getenv(var) : NULL;
    if (!v || !*v) {
        fprintf(stderr, "nqdb: %s %s: the environment variable is %s\n", opt, var ? var : "",
                v ? "empty" : "not set");
        return EXIT_ERROR;
    }
    *out = v;
    return 0;
}

int cli_key_args(int *argc, char **argv)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *val = NULL;
        int r = take(*argc, argv, &i, "--key-file", &val);
        int which = 1;
        if (!r) {
            r = take(*argc, argv, &i, "--passphrase-env", &val);
            which = 2;
        }
        if (!r) {
            r = take(*argc, argv, &i, "--isolation", &val);
            which = 3;
        }
        if (r < 0) {
            fprintf(stderr, "nqdb: %s needs a value\n", argv[i]);
            return EXIT_ERROR;
        }
        if (!r) {
            argv[out++] = argv[i];
            continue;
        }
        if (which == 3) {
            int iso = nq_isolation_parse(val);
            if (iso < 0) {
                fprintf(stderr, "nqdb: --isolation %s: expected read committed, repeatable read or "
                                "serializable (read uncommitted runs as read committed)\n", val);
                return EXIT_ERROR;
            }
            cli_key.isolation = iso;
            continue;
        }
        if (cli_key.key_file || cli_key.pass_var) {
            fprintf(stderr, "nqdb: give one key: --key-file FILE or --passphrase-env VAR\n");
            return EXIT_ERROR;
        }
        if (which == 1)
            cli_key.key_file = val;
        else if (pass_from_env("--passphrase-env", val, &cli_key.passphrase))
            return EXIT_ERROR;
        else
            cli_key.pass_var = val;
    }
    argv[out] = NULL;
    *argc = out;
    return 0;
}

void cli_key_apply(nq_options *o)
{
    o->key_file = cli_key.key_file;
    if (cli_key.isolation)
        o->isolation = cli_key.isolation;
    o->passphrase = cli_key.passphrase;
    o->kdf_iterations = env_u32("NQDB_KDF_ITERATIONS");
    o->kdf_memory_kib = env_u32("NQDB_KDF_MEMORY_KIB");
}

int cmd_keygen(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        int help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fprintf(help ? stdout : stderr,
                "usage: nqdb keygen FILE\n"
                "  Writes a new ML-KEM-768 key file (mode 600, never overwriting one) for\n"
                "  encrypted databases: nqdb sql --key-file FILE new.db \"...\" creates one.\n"
                "  Keep a copy: without it the database cannot be read.\n");
        return help ? 0 : EXIT_ERROR;
    }
    char msg[512];
    if (nq_keygen(argv[1], msg, sizeof msg)) {
        fprintf(stderr, "nqdb keygen: %s\n", msg);
        return EXIT_ERROR;
    }
    printf("%s: ML-KEM-768 key file written (mode 600)\n", argv[1]);
    return 0;
}

static int rekey_usage(FILE *f, int rc)
{
    fprintf(f, "usage: nqdb rekey DBFILE (--key-file F | --passphrase-env V)\n"
               "                  (--new-key-file F | --new-passphrase-env V) [--reencrypt]\n"
               "  Re-wraps the database's data key under the new key file or passphrase (one\n"
               "  atomic commit). With --reencrypt, every page is re-encrypted under a fresh\n"
               "  data key into a new file that replaces the old one atomically (the database\n"
               "  must not be open elsewhere); do this when the data key may be compromised.\n");
    return rc;
}

int cmd_rekey(int argc, char **argv)
{
    const char *db_path = NULL, *nfile = NULL, *nvar = NULL;
    int reencrypt = 0;
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return rekey_usage(stdout, 0);
        if (!strcmp(argv[i], "--reencrypt")) {
            reencrypt = 1;
        } else if ((r = take(argc, argv, &i, "--new-key-file", &val))) {
            if (r < 0 || nfile || nvar)
                return rekey_usage(stderr, EXIT_ERROR);
            nfile = val;
        } else if ((r = take(argc, argv, &i, "--new-passphrase-env", &val))) {
            if (r < 0 || nfile || nvar)
                return rekey_usage(stderr, EXIT_ERROR);
            nvar = val;
        } else if (argv[i][0] == '-' || db_path) {
            fprintf(stderr, "nqdb rekey: unexpected argument \"%s\"\n", argv[i]);
            return rekey_usage(stderr, EXIT_ERROR);
        } else {
            db_path = argv[i];
        }
    }
    if (!db_path || (!nfile && !nvar))
        return rekey_usage(stderr, EXIT_ERROR);
    if (!cli_key.key_file && !cli_key.passphrase) {
        fprintf(stderr, "nqdb rekey: give the current key: --key-file F or --passphrase-env V\n");
        return EXIT_ERROR;
    }
    nq_options nk;
    nq_options_init(&nk);
    cli_key_apply(&nk);
    nk.key_file = nfile;
    nk.passphrase = NULL;
    if (nvar && pass_from_env("--new-passphrase-env", nvar, &nk.passphrase))
        return EXIT_ERROR;
    if (reencrypt) {
        nq_options cur;
        nq_options_init(&cur);
        cli_key_apply(&cur);
        char msg[512];
        if (nq_reencrypt(db_path, &cur, &nk, msg, sizeof msg)) {
            fprintf(stderr, "nqdb rekey: %s\n", msg);
            return EXIT_ERROR;
        }
        printf("%s: every page re-encrypted under a new data key\n", db_path);
        return 0;
    }
    nq_db *db = cli_open(db_path, 0, 1);
    if (!db)
        return EXIT_ERROR;
    if (nq_rekey(db, &nk)) {
        int r = cli_fail(db, "rekey");
        nq_close(db);
        return r;
    }
    char desc[160];
    nq_encryption(db, desc, sizeof desc);
    nq_close(db);
    printf("%s: data key re-wrapped to a %s\n", db_path, desc);
    return 0;
}
