/*
 * admin.c — administration subcommands: check, info, checkpoint, and `nqdb sql`, which runs
 * the statements of its argument the way the shell runs piped input (sqlrun.c): results to
 * stdout in the chosen format, the first error to stderr with exit status 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sqlrun.h"

nq_db *cli_open(const char *dbfile, int read_only, int must_exist)
{
    nq_options o;
    nq_options_init(&o);
    o.read_only = read_only;
    o.no_create = must_exist;
    cli_key_apply(&o); /* --key-file / --passphrase-env (keyopt.c) */
    /* log archiving for point-in-time recovery (docs/backup.md): NQDB_ARCHIVE=DIR */
    const char *arc = getenv("NQDB_ARCHIVE");
    if (arc && *arc && !read_only)
        o.archive_dir = arc;
    nq_db *db;
    int rc = nq_open(dbfile, &o, &db);
    if (rc) {
        fprintf(stderr, "nqdb: %s\n", db ? nq_errmsg(db) : nq_strerror(rc));
        nq_close(db);
        return NULL;
    }
    return db;
}

int cli_fail(nq_db *db, const char *what)
{
    fprintf(stderr, "nqdb: %s: %s\n", what, nq_errmsg(db));
    return EXIT_ERROR;
}

static int want_args(int argc, char **argv, int n, const char *usage)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: nqdb %s\n", usage);
        return 0;
    }
    if (argc != n + 1) {
        fprintf(stderr, "usage: nqdb %s\n", usage);
        return EXIT_ERROR;
    }
    return -1;
}

static void print_problem(void *arg, const char *msg)
{
    (void)arg;
    printf("problem: %s\n", msg);
}

int cmd_check(int argc, char **argv)
{
    int w = want_args(argc, argv, 1, "check DBFILE");
    if (w >= 0)
        return w;
    nq_db *db = cli_open(argv[1], 0, 1);
    if (!db)
        return EXIT_ERROR;
    uint64_t problems = 0;
    int rc = nq_check(db, print_problem, NULL, &problems);
    nq_stats st;
    nq_get_stats(db, &st);
    if (rc == 0) {
        printf("ok: %llu pages of %llu bytes, %llu free, every checksum, tree and free-list "
               "entry verified\n",
               (unsigned long long)st.page_count, (unsigned long long)st.page_size,
               (unsigned long long)st.freelist_pages);
    } else if (rc == NQ_ECORRUPT) {
        printf("%llu problem(s) found\n", (unsigned long long)problems);
    } else {
        int r = cli_fail(db, "check");
        nq_close(db);
        return r;
    }
    nq_close(db);
    return rc == 0 ? 0 : EXIT_PROBLEM;
}

int cmd_info(int argc, char **argv)
{
    int w = want_args(argc, argv, 1, "info DBFILE");
    if (w >= 0)
        return w;
    nq_db *db = cli_open(argv[1], 1, 1);
    if (!db)
        return EXIT_ERROR;
    nq_stats st;
    nq_get_stats(db, &st);
    printf("file:            %s\n", argv[1]);
    printf("page size:       %llu\n", (unsigned long long)st.page_size);
    printf("pages:           %llu (%llu bytes)\n", (unsigned long long)st.page_count,
           (unsigned long long)(st.page_count * st.page_size));
    printf("free pages:      %llu\n", (unsigned long long)st.freelist_pages);
    printf("log frames:      %llu\n", (unsigned long long)st.wal_frames);
    printf("max key length:  %zu\n", nq_max_key(db));
    char desc[160];
    if (nq_encryption(db, desc, sizeof desc))
        printf("encryption:      AES-256-GCM per page, data key wrapped to a %s\n", desc);
    else
        printf("encryption:      none\n");
    nq_close(db);
    return 0;
}

int cmd_checkpoint(int argc, char **argv)
{
    int w = want_args(argc, argv, 1, "checkpoint DBFILE");
    if (w >= 0)
        return w;
    nq_db *db = cli_open(argv[1], 0, 1);
    if (!db)
        return EXIT_ERROR;
    if (nq_checkpoint(db)) {
        int r = cli_fail(db, "checkpoint");
        nq_close(db);
        return r;
    }
    if (nq_close(db)) {
        fprintf(stderr, "nqdb: checkpoint: closing failed\n");
        return EXIT_ERROR;
    }
    printf("ok\n");
    return 0;
}

static int sql_usage(FILE *out, int rc)
{
    fprintf(out, "usage: nqdb sql DBFILE \"SQL; SQL; ...\" [--format " SQLOUT_MODE_NAMES "]\n"
                 "  Runs the statements in order and prints each result (default format: table).\n"
                 "  Stops at the first error: \"ERROR <SQLSTATE>: message\" on stderr, exit\n"
                 "  status 2. DBFILE is created if it does not exist.\n"
                 "  --isolation LEVEL   the level of transactions that name none: read committed\n"
                 "                      (default), repeatable read or serializable\n");
    return rc;
}

int cmd_sql(int argc, char **argv)
{
    const char *file = NULL, *sql = NULL;
    sqlout_mode mode = SQLOUT_TABLE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return sql_usage(stdout, 0);
        if (!strcmp(argv[i], "--format") || !strncmp(argv[i], "--format=", 9)) {
            const char *f = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!f || sqlout_mode_parse(f, &mode)) {
                fprintf(stderr, "nqdb sql: --format takes one of " SQLOUT_MODE_NAMES "\n");
                return EXIT_ERROR;
            }
        } else if (!strcmp(argv[i], "--")) {
            for (i++; i < argc; i++) {
                if (!file)
                    file = argv[i];
                else if (!sql)
                    sql = argv[i];
                else
                    return sql_usage(stderr, EXIT_ERROR);
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "nqdb sql: unknown option %s\n", argv[i]);
            return sql_usage(stderr, EXIT_ERROR);
        } else if (!file) {
            file = argv[i];
        } else if (!sql) {
            sql = argv[i];
        } else {
            return sql_usage(stderr, EXIT_ERROR);
        }
    }
    if (!file || !sql)
        return sql_usage(stderr, EXIT_ERROR);
    /* a text of only blanks and semicolons holds no statement: upstream's "Empty query" */
    size_t i = 0;
    while (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == ';')
        i++;
    if (!sql[i]) {
        fprintf(stderr, "Error: empty query\n");
        return EXIT_ERROR;
    }
    nq_db *db = cli_open(file, 0, 0);
    if (!db)
        return EXIT_ERROR;
    sqlrun r = {.db = db, .mode = mode, .out = stdout, .origin = NULL, .line = 1};
    int status = sqlrun_text(&r, sql, strlen(sql));
    if (nq_close(db) && !status) {
        fprintf(stderr, "nqdb: closing %s failed\n", file);
        status = EXIT_ERROR;
    }
    return status;
}
