/*
 * sqlrun.c — see sqlrun.h.
 *
 * Statement boundaries are the engine's: nq_prepare compiles the first statement and hands
 * back where the next one starts, so the shell never splits SQL on its own except to decide
 * when a typed statement is complete (sqlrun_complete), and that scanner only has to know
 * where quotes and comments are — the same rule the lexer uses ('' and "" escape a quote
 * inside a string or identifier; -- and / * * / comments).
 */
#include "sqlrun.h"

#include <string.h>
#include <time.h>

#include "cli.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned count_lines(const char *p, const char *end)
{
    unsigned n = 0;
    for (; p < end; p++)
        n += *p == '\n';
    return n;
}

static void report(sqlrun *r, unsigned base_line)
{
    const char *msg = nq_errmsg(r->db);
    unsigned line = 0, col = 0;
    nq_error_position(r->db, &line, &col);
    int code = nq_errcode(r->db);
    /* the SQLSTATE first, as psql's VERBOSITY=sqlstate and MySQL's client print it, so that
     * scripts can tell "retry" (40001, 40P01) from "fix the statement" */
    fprintf(stderr, "ERROR %s: %s", nq_sqlstate(code), msg && *msg ? msg : nq_strerror(code));
    if (line && msg && !strstr(msg, "at line "))
        fprintf(stderr, " at line %u, column %u", line, col);
    fputc('\n', stderr);
    /* line counts from where the statement text began; name the input line when they differ */
    if (r->origin && line && base_line + line - 1 != line)
        fprintf(stderr, "  (%s line %u)\n", r->origin, base_line + line - 1);
    else if (r->origin && !line && base_line > 1)
        fprintf(stderr, "  (in the statement at %s line %u)\n", r->origin, base_line);
}

int sqlrun_text(sqlrun *r, const char *sql, size_t len)
{
    const char *p = sql, *end = sql + len;
    while (p < end) {
        nq_stmt *st = NULL;
        const char *tail = end;
        unsigned base = r->line + count_lines(sql, p);
        double t0 = now();
        int rc = nq_prepare(r->db, p, (size_t)(end - p), &st, &tail);
        if (rc < 0) {
            fflush(r->out);
            report(r, base);
            return EXIT_ERROR;
        }
        if (!st)
            break;
        rc = sqlout_print(st, r->mode, r->out, NULL);
        nq_finalize(st);
        if (r->timer)
            fprintf(r->out, "Run Time: real %.3f s\n", now() - t0);
        if (rc < 0) {
            fflush(r->out);
            if (rc == NQ_ENOMEM && nq_errcode(r->db) != NQ_ENOMEM)
                fprintf(stderr, "Error: out of memory while printing the result\n");
            else
                report(r, base);
            return EXIT_ERROR;
        }
        if (tail <= p) /* the engine made no progress: never loop forever */
            break;
        p = tail;
    }
    fflush(r->out);
    return 0;
}

int sqlrun_complete(const char *s, size_t n)
{
    int ended = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\'' || c == '"' || c == '`') {
            size_t j = i + 1;
            for (;;) {
                if (j >= n)
                    return 0; /* open quote */
                if (s[j] == c) {
                    if (c != '`' && j + 1 < n && s[j + 1] == c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j++;
            }
            i = j;
            ended = 0;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < n && !(s[j] == '*' && s[j + 1] == '/'))
                j++;
            if (j + 1 >= n)
                return 0; /* open comment */
            i = j + 1;
        } else if (c == ';') {
            ended = 1;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') {
            ended = 0;
        }
    }
    return ended;
}
