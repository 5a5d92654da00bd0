/*
 * parser.h — QSQL text to syntax trees (ast.h).
 *
 * parse_sql reads a script of statements separated by ';' (empty statements are skipped) and
 * returns them as a list of ast_stmt*, all allocated in the caller's arena. It is a
 * hand-written recursive-descent parser, single pass over the tokens with one token of
 * lookahead (two in the few places SQL needs it), and it never accepts a prefix: every token
 * up to the end of the input is part of some statement or the parse fails.
 *
 * Errors. On failure the result is SQL_ESYNTAX (lexical and syntax errors), NQ_ENOMEM, and
 * err->msg holds exactly
 *     near "FORM": syntax error at line 1, column 10
 * with the token as written (`near end of input: ...` at the end), or for lexical errors
 *     unterminated string literal at line 1, column 8
 * The optional hint ("expected FROM") is in res->hint, not in the message, so the message
 * format stays fixed for tools that parse it; res->line/col give the position.
 */
#ifndef NQ_SQL_PARSER_H
#define NQ_SQL_PARSER_H

#include <stddef.h>

#include "base/err.h"
#include "sql/ast.h"

#define SQL_ESYNTAX NQ_ESYNTAX

/* Nesting deeper than this (parentheses, subqueries, unary operators) is a syntax error, so
 * hostile input cannot exhaust the stack. */
#define PARSE_MAX_DEPTH 500

typedef struct parse_result {
    ast_list stmts;          /* ast_stmt* */
    unsigned line, col;      /* where the error is (0 when none) */
    char hint[128];          /* "expected FROM", or "" */
} parse_result;

/* Parse len bytes of sql (need not be NUL-terminated). Returns 0 and fills res->stmts, or a
 * negative code with err and res->line/col/hint set. The statements point into sql (ast_stmt
 * .sql) and into arena a: both must outlive the tree. */
int parse_sql(ast_arena *a, const char *sql, size_t len, parse_result *res, nq_err *err);

/* The first statement of a script (NULL in *out when there is none: only blanks, comments and
 * semicolons); *used = bytes up to and including its terminating ';' (or all of len), so the
 * caller continues at sql + *used. Positions in errors count from the start of sql. */
int parse_first(ast_arena *a, const char *sql, size_t len, ast_stmt **out, size_t *used,
                parse_result *res, nq_err *err);

/* Exactly one statement (a trailing ';' allowed): what prepare wants. An empty text fails
 * with "empty query". */
int parse_one(ast_arena *a, const char *sql, size_t len, ast_stmt **out, nq_err *err);

#endif
