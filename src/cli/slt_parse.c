/*
 * slt_parse.c — reading sqllogictest scripts (slt.h).
 *
 * The whole script is read into memory and consumed line by line. A record is the run of
 * non-blank lines up to the next blank line; comment lines ('#' first) are dropped wherever
 * they are, as the reference program's preprocessor does, so they neither end a record nor
 * reach the SQL. Trailing white space (and a '\r' of CRLF files) is cut from every line: the
 * reference compares lines that way too, and an expected value never ends in a blank
 * because an empty string is written "(empty)".
 */
#include "slt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int slt_reader_mem(slt_reader *r, const char *text, size_t len)
{
    memset(r, 0, sizeof *r);
    r->buf = malloc(len + 1);
    if (!r->buf)
        return -1;
    memcpy(r->buf, text, len);
    r->buf[len] = 0;
    r->len = len;
    return 0;
}

int slt_reader_open(slt_reader *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    buf[len] = 0;
    r->buf = buf;
    r->len = len;
    return 0;
}

void slt_reader_close(slt_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void slt_record_free(slt_record *rec)
{
    free(rec->sql);
    free(rec->types);
    free(rec->label);
    free(rec->expect_msg);
    for (int i = 0; i < rec->nexpected; i++)
        free(rec->expected[i]);
    free(rec->expected);
    memset(rec, 0, sizeof *rec);
}

/* The next line with trailing white space cut (in place); NULL at the end of the script. */
static char *next_line(slt_reader *r)
{
    if (r->pos >= r->len)
        return NULL;
    char *s = r->buf + r->pos, *nl = memchr(s, '\n', r->len - r->pos);
    size_t n = nl ? (size_t)(nl - s) : r->len - r->pos;
    r->pos += n + (nl != NULL);
    r->lineno++;
    s[n] = 0;
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Look at the next line without consuming it: 1 if it exists and is blank. */
static int at_blank(slt_reader *r)
{
    if (r->pos >= r->len)
        return 1;
    for (size_t i = r->pos; i < r->len && r->buf[i] != '\n'; i++)
        if (!isspace((unsigned char)r->buf[i]))
            return 0;
    return 1;
}

/* Whitespace-separated words of line (in place); returns the count, at most max. A word
 * starting with '#' ends the line (trailing comments such as "onlyif sqlite # why"). */
static int words(char *line, char **w, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        w[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = 0;
    }
    return n;
}

static int append(char **s, size_t *len, const char *line)
{
    size_t n = strlen(line);
    char *ns = realloc(*s, *len + n + 2);
    if (!ns)
        return -1;
    if (*len)
        ns[(*len)++] = '\n';
    memcpy(ns + *len, line, n + 1);
    *len += n;
    *s = ns;
    return 0;
}

static int push_expected(slt_record *rec, const char *line)
{
    char **e = realloc(rec->expected, (size_t)(rec->nexpected + 1) * sizeof *e);
    if (!e)
        return -1;
    rec->expected = e;
    if (!(e[rec->nexpected] = strdup(line)))
        return -1;
    rec->nexpected++;
    return 0;
}

/* Drain the rest of the record (up to a blank line). */
static void skip_record(slt_reader *r)
{
    while (!at_blank(r))
        next_line(r);
}

static int bad(slt_reader *r, slt_record *rec, const char *fmt, const char *arg)
{
    unsigned line = rec->line;
    int skip = rec->skip;
    slt_record_free(rec);
    rec->line = line;
    rec->skip = skip;
    rec->kind = SLT_BAD;
    snprintf(rec->error, sizeof rec->error, fmt, arg);
    skip_record(r);
    return 1;
}

int slt_next(slt_reader *r, slt_record *rec)
{
    memset(rec, 0, sizeof *rec);
    char *line;
    /* skip blank lines and comments before the record */
    for (;;) {
        if (r->pos >= r->len)
            return 0;
        if (at_blank(r)) {
            next_line(r);
            continue;
        }
        if (r->buf[r->pos] == '#') {
            next_line(r);
            continue;
        }
        break;
    }
    char *w[32];
    int nw;
    /* conditions, then the command line */
    for (;;) {
        line = next_line(r);
        rec->line = r->lineno;
        if (line[0] == '#') {
            if (at_blank(r))
                return bad(r, rec, "%s", "a record of only conditions");
            continue;
        }
        nw = words(line, w, 32);
        if (nw >= 1 && (!strcmp(w[0], "skipif") || !strcmp(w[0], "onlyif"))) {
            if (nw < 2)
                return bad(r, rec, "%s needs an engine name", w[0]);
            int ours = !strcmp(w[1], SLT_ENGINE);
            if (w[0][0] == 's' && ours)
                rec->skip = SLT_SKIP_SKIPIF;
            else if (w[0][0] == 'o' && !ours && !rec->skip)
                rec->skip = SLT_SKIP_ONLYIF;
            if (at_blank(r))
                return bad(r, rec, "%s", "conditions without a record after them");
            continue;
        }
        break;
    }
    if (nw == 0)
        return bad(r, rec, "%s", "empty record");
    if (!strcmp(w[0], "halt")) {
        rec->kind = SLT_HALT;
        skip_record(r);
        return 1;
    }
    if (!strcmp(w[0], "hash-threshold")) {
        char *end;
        if (nw < 2 || (rec->threshold = strtol(w[1], &end, 10)) < 0 || *end)
            return bad(r, rec, "%s", "hash-threshold needs a number");
        rec->kind = SLT_HASH_THRESHOLD;
        skip_record(r);
        return 1;
    }
    size_t sqllen = 0;
    if (!strcmp(w[0], "statement")) {
        if (nw < 2 || (strcmp(w[1], "ok") && strcmp(w[1], "error")))
            return bad(r, rec, "%s", "statement must be followed by ok or error");
        rec->kind = w[1][0] == 'o' ? SLT_STATEMENT_OK : SLT_STATEMENT_ERROR;
        if (rec->kind == SLT_STATEMENT_ERROR && nw > 2) {
            /* `statement error <words>`: the words, joined by single spaces, must occur in
             * the error message */
            size_t n = 0;
            for (int i = 2; i < nw; i++)
                n += strlen(w[i]) + 1;
            if (!(rec->expect_msg = malloc(n + 1)))
                return -1;
            rec->expect_msg[0] = 0;
            for (int i = 2; i < nw; i++) {
                if (i > 2)
                    strcat(rec->expect_msg, " ");
                strcat(rec->expect_msg, w[i]);
            }
        }
        while (!at_blank(r)) {
            line = next_line(r);
            if (line[0] == '#')
                continue;
            if (append(&rec->sql, &sqllen, line))
                return -1;
        }
        if (!rec->sql)
            return bad(r, rec, "%s", "statement without SQL");
        return 1;
    }
    if (!strcmp(w[0], "query")) {
        if (nw < 2)
            return bad(r, rec, "%s", "query needs a type string (I, R, T per column)");
        for (const char *t = w[1]; *t; t++)
            if (*t != 'I' && *t != 'R' && *t != 'T')
                return bad(r, rec, "unknown column type in \"%s\" (use I, R or T)", w[1]);
        rec->kind = SLT_QUERY;
        if (!(rec->types = strdup(w[1])))
            return -1;
        rec->sort = SLT_NOSORT;
        if (nw >= 3) {
            if (!strcmp(w[2], "nosort"))
                rec->sort = SLT_NOSORT;
            else if (!strcmp(w[2], "rowsort"))
                rec->sort = SLT_ROWSORT;
            else if (!strcmp(w[2], "valuesort"))
                rec->sort = SLT_VALUESORT;
            else
                return bad(r, rec, "unknown sort mode \"%s\"", w[2]);
        }
        if (nw >= 4 && !(rec->label = strdup(w[3])))
            return -1;
        int results = 0;
        while (!at_blank(r)) {
            line = next_line(r);
            if (line[0] == '#')
                continue;
            if (!results && !strcmp(line, "----")) {
                results = 1;
                continue;
            }
            if (results ? push_expected(rec, line) : append(&rec->sql, &sqllen, line))
                return -1;
        }
        if (!rec->sql)
            return bad(r, rec, "%s", "query without SQL");
        return 1;
    }
    return bad(r, rec, "unknown record type \"%s\"", w[0]);
}
