/*
 * shell.c — `nqdb shell [DBFILE]`: the interactive shell.
 *
 * On a terminal it uses libedit (history, line editing) when the build found it; otherwise,
 * and whenever stdin is not a terminal, it reads plain lines and stops at the first error
 * with a non-zero exit status, so scripts can pipe commands in.
 *
 * Input is either a dot-command (".put t k v", ".check", ...; see .help) or SQL ending with
 * ';'. SQL is accepted as input but answered with "not supported yet" until the QSQL engine
 * exists: the shell never pretends to have run a statement.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef NQ_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "cli.h"

#define MAX_ARGS 16

static void shell_help(void)
{
    printf(".help                     this text\n"
           ".quit / .exit             leave the shell\n"
           ".begin [read|write]       open a transaction (default write)\n"
           ".commit / .rollback       end it\n"
           ".check                    integrity check of the whole database\n"
           ".stats                    cache, log and page statistics\n"
           ".checkpoint               fold the log into the database file\n");
    kv_usage(stdout, ".");
    printf("SQL statements (ending with ';') are not supported yet: the QSQL engine is not "
           "built.\n");
}

/* Split a line into words; "..." and '...' group words. Returns the count or -1. */
static int split(char *line, char **argv)
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (n == MAX_ARGS)
            return -1;
        char q = 0;
        if (*p == '"' || *p == '\'')
            q = *p++;
        argv[n++] = p;
        char *w = p;
        while (*p && (q ? *p != q : !isspace((unsigned char)*p)))
            *w++ = *p++;
        if (q && *p != q)
            return -1; /* unterminated quote */
        if (*p)
            p++;
        *w = 0;
    }
    return n;
}

static void report_problem(void *arg, const char *msg)
{
    (void)arg;
    printf("problem: %s\n", msg);
}

/* Run one dot-command. Returns 0, EXIT_ERROR on error, or -1 to quit. */
static int dot_command(nq_db *db, char *line)
{
    char *argv[MAX_ARGS];
    int argc = split(line + 1, argv);
    if (argc < 0) {
        fprintf(stderr, "error: too many words or an unterminated quote\n");
        return EXIT_ERROR;
    }
    if (argc == 0)
        return 0;
    const char *c = argv[0];
    if (!strcmp(c, "quit") || !strcmp(c, "exit"))
        return -1;
    if (!strcmp(c, "help")) {
        shell_help();
        return 0;
    }
    if (!strcmp(c, "begin")) {
        int mode = argc > 1 && !strcmp(argv[1], "read") ? NQ_TXN_READ : NQ_TXN_WRITE;
        return nq_begin(db, mode) ? cli_fail(db, "begin") : 0;
    }
    if (!strcmp(c, "commit"))
        return nq_commit(db) ? cli_fail(db, "commit") : 0;
    if (!strcmp(c, "rollback"))
        return nq_rollback(db) ? cli_fail(db, "rollback") : 0;
    if (!strcmp(c, "checkpoint"))
        return nq_checkpoint(db) ? cli_fail(db, "checkpoint") : 0;
    if (!strcmp(c, "check")) {
        uint64_t n = 0;
        int rc = nq_check(db, report_problem, NULL, &n);
        if (rc == 0) {
            printf("ok\n");
            return 0;
        }
        if (rc == NQ_ECORRUPT) {
            printf("%llu problem(s) found\n", (unsigned long long)n);
            return EXIT_PROBLEM;
        }
        return cli_fail(db, "check");
    }
    if (!strcmp(c, "stats")) {
        nq_stats s;
        nq_get_stats(db, &s);
        printf("pages %llu x %llu bytes, %llu free\n", (unsigned long long)s.page_count,
               (unsigned long long)s.page_size, (unsigned long long)s.freelist_pages);
        printf("cache %llu/%llu pages, hits %llu, misses %llu, evictions %llu, hit rate %.3f\n",
               (unsigned long long)s.cache_pages, (unsigned long long)s.cache_capacity_pages,
               (unsigned long long)s.cache_hits, (unsigned long long)s.cache_misses,
               (unsigned long long)s.cache_evictions, s.cache_hit_rate);
        printf("log %llu frames; %llu commits, %llu syncs, %llu checkpoints\n",
               (unsigned long long)s.wal_frames, (unsigned long long)s.commits,
               (unsigned long long)s.syncs, (unsigned long long)s.checkpoints);
        return 0;
    }
    if (!strcmp(c, "tables"))
        argv[0] = "trees";
    return kv_run(db, argc, argv, stdout);
}

static char *read_line(int tty, const char *prompt)
{
#ifdef NQ_HAVE_LIBEDIT
    if (tty) {
        char *l = readline(prompt);
        if (l && *l)
            add_history(l);
        return l;
    }
#else
    if (tty) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
#endif
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n && line[n - 1] == '\n')
        line[n - 1] = 0;
    return line;
}

int cmd_shell(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
        printf("usage: nqdb shell [DBFILE]   (default DBFILE: nqdb.db in this directory)\n");
        return argc > 2 ? EXIT_ERROR : 0;
    }
    const char *file = argc == 2 ? argv[1] : "nqdb.db";
    nq_db *db = cli_open(file, 0, 0);
    if (!db)
        return EXIT_ERROR;
    int tty = isatty(STDIN_FILENO);
    if (tty)
        printf("NeuroQuantumDB %s shell on %s. Type .help for commands.\n", NQ_VERSION_STRING,
               file);
    int status = 0;
    size_t sql_len = 0;
    for (;;) {
        char *line = read_line(tty, sql_len ? "   ...> " : "nqdb> ");
        if (!line)
            break;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        int rc = 0;
        if (sql_len == 0 && *p == '.') {
            rc = dot_command(db, p);
        } else if (*p) {
            sql_len += strlen(p);
            if (strchr(p, ';')) {
                sql_len = 0;
                fprintf(stderr, "error: not supported yet: SQL statements (the QSQL engine is "
                                "not built yet; see .help for what works)\n");
                rc = EXIT_ERROR;
            }
        }
        free(line);
        if (rc < 0)
            break;
        if (rc && !tty) {
            status = rc;
            break;
        }
    }
    if (sql_len && !tty) {
        fprintf(stderr, "error: incomplete statement at end of input (missing ';')\n");
        status = EXIT_ERROR;
    }
    if (nq_close(db) && !status) {
        fprintf(stderr, "nqdb: closing %s failed\n", file);
        status = EXIT_ERROR;
    }
    return status;
}
