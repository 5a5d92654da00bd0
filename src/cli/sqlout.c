/*
 * sqlout.c — the result formats of sqlout.h.
 *
 * Streaming formats (csv, tsv, json, list, line) print a row as soon as nq_step gives it, so
 * a long result never sits in memory. The table format needs every width first: it copies the
 * rows' text into one growing array of cells (a row = ncols cells) and prints at the end.
 *
 * Text in a table is made safe to align: control characters print as escapes (\n, \t, \xNN),
 * so one value is always one line; widths count UTF-8 characters, not bytes. In JSON, invalid
 * UTF-8 becomes U+FFFD so the document stays valid; a REAL that is not a JSON number (inf,
 * nan) is written as a string rather than as broken JSON.
 */
#include "sqlout.h"

#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"table", "csv", "tsv", "json", "list", "line"};

int sqlout_mode_parse(const char *name, sqlout_mode *out)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (name && !strcmp(name, mode_names[i])) {
            *out = (sqlout_mode)i;
            return 0;
        }
    return -1;
}

const char *sqlout_mode_name(sqlout_mode m)
{
    return (unsigned)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "?";
}

static int is_number_type(int t) { return t == NQ_TYPE_INTEGER || t == NQ_TYPE_REAL; }

/* ---- helpers ------------------------------------------------------------------------------ */

size_t sqlout_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

void sqlout_csv_field(FILE *out, const char *s)
{
    int quote = !*s || s[0] == ' ' || s[strlen(s) - 1] == ' ' || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void tsv_field(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\t': fputs("\\t", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\\': fputs("\\\\", out); break;
        default: fputc(*s, out);
        }
    }
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    int n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = c & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void sqlout_json_string(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    while (*s) {
        unsigned c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc((int)c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\r') {
            fputs("\\r", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c == '\b') {
            fputs("\\b", out);
        } else if (c == '\f') {
            fputs("\\f", out);
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(out, "\\u%04x", c);
        } else if (c >= 0x80) {
            int n = utf8_len(s);
            if (n == 0) {
                fputs("\\ufffd", out);
                s++;
                continue;
            }
            fwrite(s, 1, (size_t)n, out);
            s += n;
            continue;
        } else {
            fputc((int)c, out);
        }
        s++;
    }
    fputc('"', out);
}

int sqlout_json_number_ok(const char *s)
{
    /* JSON: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return 0;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == 0;
}

/* A copy of s with control characters escaped, for one-line table cells. */
static char *cell_text(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += *p < 0x20 || *p == 0x7F ? 4 : 1;
    char *c = malloc(n + 1), *w = c;
    if (!c)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            w += sprintf(w, "\\n");
        else if (*p == '\t')
            w += sprintf(w, "\\t");
        else if (*p == '\r')
            w += sprintf(w, "\\r");
        else if (*p < 0x20 || *p == 0x7F)
            w += sprintf(w, "\\x%02X", *p);
        else
            *w++ = (char)*p;
    }
    *w = 0;
    return c;
}

/* ---- the table format --------------------------------------------------------------------- */

typedef struct cell {
    char *text; /* escaped, malloc'd */
    int right;  /* right-align (numbers) */
} cell;

typedef struct table {
    int ncols;
    cell *cells;
    size_t ncells, cap;
    size_t *width;
} table;

static int table_add(table *t, const char *text, int right)
{
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        cell *c = realloc(t->cells, cap * sizeof *c);
        if (!c)
            return NQ_ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    char *s = cell_text(text);
    if (!s)
        return NQ_ENOMEM;
    size_t w = sqlout_width(s);
    int col = (int)(t->ncells % (size_t)t->ncols);
    if (w > t->width[col])
        t->width[col] = w;
    t->cells[t->ncells].text = s;
    t->cells[t->ncells].right = right;
    t->ncells++;
    return 0;
}

static void pad(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

static void table_rule(FILE *out, const table *t)
{
    for (int c = 0; c < t->ncols; c++) {
        fputc('+', out);
        for (size_t i = 0; i < t->width[c] + 2; i++)
            fputc('-', out);
    }
    fputs("+\n", out);
}

static void table_row(FILE *out, const table *t, const cell *row)
{
    for (int c = 0; c < t->ncols; c++) {
        size_t w = sqlout_width(row[c].text), gap = t->width[c] - w;
        fputs("| ", out);
        if (row[c].right)
            pad(out, gap);
        fputs(row[c].text, out);
        if (!row[c].right)
            pad(out, gap);
        fputc(' ', out);
    }
    fputs("|\n", out);
}

static void table_print(FILE *out, const table *t, long long rows)
{
    size_t n = (size_t)t->ncols;
    table_rule(out, t);
    table_row(out, t, t->cells);
    table_rule(out, t);
    for (size_t i = n; i + n <= t->ncells; i += n)
        table_row(out, t, t->cells + i);
    if (rows > 0)
        table_rule(out, t);
    fprintf(out, "(%lld row%s)\n", rows, rows == 1 ? "" : "s");
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i].text);
    free(t->cells);
    free(t->width);
}

/* ---- driver -------------------------------------------------------------------------------- */

static const char *col_name(nq_stmt *st, int i)
{
    const char *n = nq_column_name(st, i);
    return n ? n : "?";
}

int sqlout_print(nq_stmt *st, sqlout_mode mode, FILE *out, long long *nrows)
{
    int ncols = nq_column_count(st);
    long long rows = 0;
    int rc;
    if (nrows)
        *nrows = 0;
    if (ncols <= 0) {
        while ((rc = nq_step(st)) == NQ_ROW)
            ;
        return rc;
    }
    table t = {0};
    if (mode == SQLOUT_TABLE) {
        t.ncols = ncols;
        t.width = calloc((size_t)ncols, sizeof *t.width);
        if (!t.width)
            return NQ_ENOMEM;
        for (int i = 0; i < ncols; i++)
            if (table_add(&t, col_name(st, i), 0)) {
                table_free(&t);
                return NQ_ENOMEM;
            }
    } else if (mode == SQLOUT_CSV || mode == SQLOUT_TSV) {
        for (int i = 0; i < ncols; i++) {
            if (i)
                fputc(mode == SQLOUT_CSV ? ',' : '\t', out);
            if (mode == SQLOUT_CSV)
                sqlout_csv_field(out, col_name(st, i));
            else
                tsv_field(out, col_name(st, i));
        }
        fputs(mode == SQLOUT_CSV ? "\r\n" : "\n", out);
    } else if (mode == SQLOUT_JSON) {
        fputc('[', out);
    }
    while ((rc = nq_step(st)) == NQ_ROW) {
        if (mode == SQLOUT_JSON)
            fputs(rows ? ",\n  {" : "\n  {", out);
        if (mode == SQLOUT_LINE && rows)
            fputc('\n', out);
        for (int i = 0; i < ncols; i++) {
            int type = nq_column_type(st, i);
            const char *v = nq_column_text(st, i);
            if (type == NQ_TYPE_NULL)
                v = NULL;
            else if (!v)
                v = "";
            switch (mode) {
            case SQLOUT_TABLE:
                if (table_add(&t, v ? v : "NULL", is_number_type(type))) {
                    table_free(&t);
                    return NQ_ENOMEM;
                }
                break;
            case SQLOUT_CSV:
                if (i)
                    fputc(',', out);
                if (v)
                    sqlout_csv_field(out, v);
                break;
            case SQLOUT_TSV:
                if (i)
                    fputc('\t', out);
                if (v)
                    tsv_field(out, v);
                break;
            case SQLOUT_LIST:
                if (i)
                    fputc('|', out);
                fputs(v ? v : "NULL", out);
                break;
            case SQLOUT_LINE:
                fprintf(out, "%s = %s\n", col_name(st, i), v ? v : "NULL");
                break;
            case SQLOUT_JSON:
                if (i)
                    fputs(", ", out);
                sqlout_json_string(out, col_name(st, i));
                fputs(": ", out);
                if (!v)
                    fputs("null", out);
                else if (type == NQ_TYPE_BOOLEAN)
                    fputs(nq_column_int64(st, i) ? "true" : "false", out);
                else if (is_number_type(type) && sqlout_json_number_ok(v))
                    fputs(v, out);
                else
                    sqlout_json_string(out, v);
                break;
            }
        }
        if (mode == SQLOUT_CSV)
            fputs("\r\n", out);
        else if (mode == SQLOUT_TSV || mode == SQLOUT_LIST)
            fputc('\n', out);
        else if (mode == SQLOUT_JSON)
            fputc('}', out);
        rows++;
    }
    if (mode == SQLOUT_TABLE) {
        if (rc == NQ_DONE || rows > 0) /* a statement that failed at once shows no table */
            table_print(out, &t, rows);
        table_free(&t);
    } else if (mode == SQLOUT_JSON) {
        fputs(rows ? "\n]\n" : "]\n", out);
    }
    if (nrows)
        *nrows = rows;
    return rc;
}
