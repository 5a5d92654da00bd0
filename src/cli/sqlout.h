/*
 * sqlout.h — printing SQL results: one formatter shared by the shell, `nqdb sql` and the
 * other faces that show rows to a person or a pipe.
 *
 * A formatter is given a prepared statement, steps it to the end and prints each row as it
 * arrives — except the table format, which must see every row before it knows the column
 * widths and so keeps the rows (as text) until the statement is done. Values are read with
 * nq_column_type/nq_column_text, so every format shows a value the way the engine spells it;
 * the formats differ only in quoting, alignment and how NULL is told apart from ''.
 */
#ifndef NQ_CLI_SQLOUT_H
#define NQ_CLI_SQLOUT_H

#include <stdio.h>

#include "nqdb.h"

typedef enum sqlout_mode {
    SQLOUT_TABLE, /* aligned ASCII table with a header, numbers right-aligned, "(N rows)" */
    SQLOUT_CSV,   /* RFC 4180: header line, CRLF, fields quoted when needed; NULL is empty, '' is "" */
    SQLOUT_TSV,   /* header line, tab-separated; \t \n \r \\ escaped; NULL is empty */
    SQLOUT_JSON,  /* one array of objects per result; numbers as numbers, NULL as null */
    SQLOUT_LIST,  /* values separated by '|', no header (sqlite3's list mode) */
    SQLOUT_LINE,  /* one "column = value" line per value, a blank line between rows */
} sqlout_mode;

#define SQLOUT_MODE_NAMES "table|csv|tsv|json|list|line"

/* The mode called name (one of SQLOUT_MODE_NAMES); 0, or -1 when there is none. */
int sqlout_mode_parse(const char *name, sqlout_mode *out);
const char *sqlout_mode_name(sqlout_mode m);

/* Step st to its end and print its rows to out. A statement without result columns (INSERT,
 * CREATE, ...) prints nothing. Returns NQ_DONE, or the negative code of the failing nq_step
 * (rows already printed stay printed; the table format prints what it gathered before the
 * error, if anything), or NQ_ENOMEM. *rows (may be NULL) receives the number of rows printed. */
int sqlout_print(nq_stmt *st, sqlout_mode mode, FILE *out, long long *rows);

/* Helpers exposed for tests and other printers. */
void sqlout_csv_field(FILE *out, const char *s);      /* RFC 4180 quoting when needed */
void sqlout_json_string(FILE *out, const char *s);    /* "..." with JSON escapes, valid UTF-8 */
int sqlout_json_number_ok(const char *s);             /* 1 if s is a JSON number literal */
size_t sqlout_width(const char *s);                   /* display width: UTF-8 characters */

#endif
