/*
 * shell.c — `nqdb shell [DBFILE] [--format F]`: the interactive SQL shell.
 *
 * On a terminal it uses libedit (line editing, history kept in ~/.nqdb_history or
 * $NQDB_HISTORY) when the build found it; whenever
 * stdin is not a terminal it reads plain lines without prompts, runs everything, and stops at
 * the first error (message on stderr, exit status 2), so scripts can pipe statements in.
 *
 * Input is either a dot-command (.help lists them) or SQL. SQL lines are collected until the
 * text ends with ';' outside quotes and comments (sqlrun_complete), so a statement may span
 * lines and a line may hold several statements; the collected text then runs statement by
 * statement (sqlrun.c). Dot-commands are recognised only at the start of a statement. The
 * key/value dot-commands of the storage layer (.put, .get, .scan, ...) stay available beside
 * SQL; .trees lists the key/value trees, .tables the SQL tables.
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
#include "sqlrun.h"

#define MAX_ARGS 16

static void shell_help(void)
{
    printf("SQL statements end with ';' and may span several lines.\n"
           ".help                     this text\n"
           ".quit / .exit             leave the shell\n"
           ".tables                   list the SQL tables (SHOW TABLES)\n"
           ".schema [TABLE]           describe TABLE, or every table (DESCRIBE)\n"
           ".mode [" SQLOUT_MODE_NAMES "]\n"
           "                          show or set the output format\n"
           ".timer on|off             print the run time of each statement\n"
           ".begin [read|write]       open a key/value transaction (default write)\n"
           ".commit / .rollback       end it\n"
           ".check                    integrity check of the whole database\n"
           ".stats                    cache, log and page statistics\n"
           ".checkpoint               fold the log into the database file\n");
    kv_usage(stdout, ".");
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

/* `.schema` without a name: DESCRIBE every table that SHOW TABLES lists. */
typedef struct names {
    char **v;
    int n, cap;
} names;

static int collect_name(void *arg, int ncols, const char *const *values, const char *const *cols)
{
    (void)cols;
    names *l = arg;
    if (ncols < 1 || !values[0])
        return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return 1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = strdup(values[0]);
    return l->v[l->n++] == NULL;
}

/* DESCRIBE "name" (the name quoted as an identifier, "" doubling a quote). */
static int describe(sqlrun *r, const char *name)
{
    size_t n = strlen(name);
    char *sql = malloc(2 * n + 16);
    if (!sql) {
        fprintf(stderr, "Error: out of memory\n");
        return EXIT_ERROR;
    }
    char *w = sql + sprintf(sql, "DESCRIBE \"");
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            *w++ = '"';
        *w++ = *p;
    }
    strcpy(w, "\";");
    int rc = sqlrun_text(r, sql, strlen(sql));
    free(sql);
    return rc;
}

static int schema(sqlrun *r, const char *name)
{
    if (name)
        return describe(r, name);
    names l = {0};
    int rc = nq_exec(r->db, "SHOW TABLES", collect_name, &l);
    if (rc < 0)
        fprintf(stderr, "ERROR %s: %s\n", nq_sqlstate(rc), nq_errmsg(r->db));
    for (int i = 0; i < l.n && rc >= 0; i++) {
        if (r->mode == SQLOUT_TABLE)
            fprintf(r->out, "%s%s:\n", i ? "\n" : "", l.v[i]);
        if (describe(r, l.v[i]))
            rc = NQ_ERROR;
    }
    for (int i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    return rc < 0 ? EXIT_ERROR : 0;
}

/* Run one dot-command. Returns 0, EXIT_ERROR on error, or -1 to quit. */
static int dot_command(sqlrun *r, char *line)
{
    nq_db *db = r->db;
    char *argv[MAX_ARGS];
    int argc = split(line + 1, argv);
    if (argc < 0) {
        fprintf(stderr, "Error: too many words or an unterminated quote\n");
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
    if (!strcmp(c, "tables")) {
        if (argc != 1) {
            fprintf(stderr, "Error: usage: .tables\n");
            return EXIT_ERROR;
        }
        return sqlrun_text(r, "SHOW TABLES;", 12);
    }
    if (!strcmp(c, "schema")) {
        if (argc > 2) {
            fprintf(stderr, "Error: usage: .schema [TABLE]\n");
            return EXIT_ERROR;
        }
        return schema(r, argc == 2 ? argv[1] : NULL);
    }
    if (!strcmp(c, "mode")) {
        if (argc == 1) {
            printf("%s\n", sqlout_mode_name(r->mode));
            return 0;
        }
        if (argc != 2 || sqlout_mode_parse(argv[1], &r->mode)) {
            fprintf(stderr, "Error: usage: .mode " SQLOUT_MODE_NAMES "\n");
            return EXIT_ERROR;
        }
        return 0;
    }
    if (!strcmp(c, "timer")) {
        if (argc != 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
            fprintf(stderr, "Error: usage: .timer on|off\n");
            return EXIT_ERROR;
        }
        r->timer = !strcmp(argv[1], "on");
        return 0;
    }
    static const char *const kv_verbs[] = {"trees", "put", "get", "del", "scan",
                                           "count", "seq", "drop", NULL};
    for (const char *const *v = kv_verbs; *v; v++)
        if (!strcmp(c, *v))
            return kv_run(db, argc, argv, stdout);
    fprintf(stderr, "Error: unknown command \".%s\" (try .help)\n", c);
    return EXIT_ERROR;
}

/* History survives the session in $NQDB_HISTORY, else ~/.nqdb_history (terminal only). */
static char *history_file(void)
{
#ifdef NQ_HAVE_LIBEDIT
    const char *env = getenv("NQDB_HISTORY"), *home = getenv("HOME");
    char *path = NULL;
    if (env && *env)
        path = strdup(env);
    else if (home && *home && (path = malloc(strlen(home) + 16)))
        sprintf(path, "%s/.nqdb_history", home);
    if (path) {
        stifle_history(1000);
        read_history(path); /* absent on first use: fine */
    }
    return path;
#else
    return NULL;
#endif
}

static void history_save(char *path)
{
#ifdef NQ_HAVE_LIBEDIT
    if (path)
        write_history(path);
#endif
    free(path);
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

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static int shell_usage(FILE *out, int rc)
{
    fprintf(out, "usage: nqdb shell [DBFILE] [--format " SQLOUT_MODE_NAMES "]\n"
                 "  DBFILE defaults to nqdb.db in this directory; it is created if absent.\n"
                 "  Reads statements from stdin when it is not a terminal and stops at the\n"
                 "  first error (\"ERROR <SQLSTATE>: message\", exit status 2).\n"
                 "  --isolation LEVEL   the level of transactions that name none: read committed\n"
                 "                      (default), repeatable read or serializable\n");
    return rc;
}

int cmd_shell(int argc, char **argv)
{
    const char *file = NULL;
    sqlout_mode mode = SQLOUT_TABLE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return shell_usage(stdout, 0);
        if (!strcmp(argv[i], "--format") || !strncmp(argv[i], "--format=", 9)) {
            const char *f = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!f || sqlout_mode_parse(f, &mode)) {
                fprintf(stderr, "nqdb shell: --format takes one of " SQLOUT_MODE_NAMES "\n");
                return EXIT_ERROR;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "nqdb shell: unknown option %s\n", argv[i]);
            return shell_usage(stderr, EXIT_ERROR);
        } else if (!file) {
            file = argv[i];
        } else {
            return shell_usage(stderr, EXIT_ERROR);
        }
    }
    if (!file)
        file = "nqdb.db";
    nq_db *db = cli_open(file, 0, 0);
    if (!db)
        return EXIT_ERROR;
    int tty = isatty(STDIN_FILENO);
    if (tty)
        printf("NeuroQuantumDB %s shell on %s. Statements end with ';'. Type .help for "
               "commands.\n",
               NQ_VERSION_STRING, file);
    sqlrun r = {.db = db, .mode = mode, .out = stdout, .origin = tty ? NULL : "stdin"};
    char *hist = tty ? history_file() : NULL;
    int status = 0;
    char *buf = NULL;      /* the statement being collected */
    size_t len = 0, cap = 0;
    unsigned lineno = 0, first = 0; /* input line numbers: current, first of buf */
    for (;;) {
        char *line = read_line(tty, len ? "   ...> " : "nqdb> ");
        if (!line)
            break;
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        int rc = 0;
        if (len == 0 && *p == '.') {
            rc = dot_command(&r, p);
        } else if (len || *p) {
            size_t n = strlen(line);
            if (len + n + 2 > cap) {
                size_t ncap = (len + n + 2) * 2;
                char *b = realloc(buf, ncap);
                if (!b) {
                    fprintf(stderr, "Error: out of memory\n");
                    free(line);
                    status = EXIT_ERROR;
                    break;
                }
                buf = b;
                cap = ncap;
            }
            if (len == 0)
                first = lineno;
            memcpy(buf + len, line, n);
            len += n;
            buf[len++] = '\n';
            buf[len] = 0;
            if (sqlrun_complete(buf, len)) {
                r.line = first;
                rc = sqlrun_text(&r, buf, len);
                len = 0;
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
    if (status == 0 && len && !is_blank(buf, len)) {
        /* input ended inside a statement (no ';'): run it; the engine says if it is cut short */
        r.line = first;
        status = sqlrun_text(&r, buf, len);
    }
    free(buf);
    history_save(hist);
    if (tty)
        putchar('\n');
    if (nq_close(db) && !status) {
        fprintf(stderr, "nqdb: closing %s failed\n", file);
        status = EXIT_ERROR;
    }
    return status;
}
