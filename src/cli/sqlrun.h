/*
 * sqlrun.h — running SQL text for a person or a script: the loop behind `nqdb shell` and
 * `nqdb sql`. It prepares each statement of a text in turn, prints its rows (sqlout.h), and
 * stops at the first error, which it prints to stderr as
 *     ERROR 42601: near "FORM": syntax error at line 1, column 10
 * (the SQLSTATE, nq_sqlstate, then the engine's message; its position is added when the message does not carry one, and the
 * input line is added when the statement did not start on the first line of the input).
 */
#ifndef NQ_CLI_SQLRUN_H
#define NQ_CLI_SQLRUN_H

#include <stddef.h>
#include <stdio.h>

#include "nqdb.h"
#include "sqlout.h"

typedef struct sqlrun {
    nq_db *db;
    sqlout_mode mode;
    int timer;          /* print "Run Time: real S s" after each statement */
    FILE *out;          /* results */
    const char *origin; /* name of the input for error context ("stdin"), or NULL */
    unsigned line;      /* input line of the first byte of the text given to sqlrun_text */
} sqlrun;

/* Run every statement of sql[0..len). Returns 0, or EXIT_ERROR (cli.h) after printing the
 * first error to stderr; statements before the failing one keep their effects. */
int sqlrun_text(sqlrun *r, const char *sql, size_t len);

/* 1 if sql[0..len) ends a statement: its last token outside quotes and comments is ';'. 0 while more input is needed (an open
 * quote or comment, or text after the last ';'). Used by the shell to collect multi-line
 * statements. */
int sqlrun_complete(const char *sql, size_t len);

#endif
