/*
 * parse_int.h — what the parse_*.c files share: the parser state, token helpers, and the
 * entry points of each part of the grammar.
 *
 * Error handling uses one setjmp in parse_sql: a syntax error or an arena allocation failure
 * anywhere longjmps back to it. That is safe because nothing a parse makes owns memory outside
 * the arena (the caller frees the arena), and it keeps every grammar function free of error
 * plumbing. The jmp_buf lives in the parser object, never in global state.
 */
#ifndef NQ_SQL_PARSE_INT_H
#define NQ_SQL_PARSE_INT_H

#include <setjmp.h>

#include "sql/lexer.h"
#include "sql/parser.h"

typedef struct parser {
    lexer lx;
    lex_token tok[3];     /* tok[0] current, tok[1..2] lookahead */
    int nlook;            /* how many of tok[1..2] are filled */
    ast_arena *a;
    nq_err *err;
    parse_result *res;
    jmp_buf jb;
    int depth;
    int64_t max_param;    /* highest ?NNN / $NNN so far: a bare ? takes the next number */
    const char *src;
} parser;

/* ---- tokens (parser.c) ---- */
void p_advance(parser *p);
const lex_token *p_peek(parser *p, int k); /* k = 1 or 2 */
_Noreturn void p_fail(parser *p, const char *hint);
_Noreturn void p_fail_at(parser *p, const lex_token *t, const char *hint);
_Noreturn void p_oom(parser *p);
void *p_alloc(parser *p, size_t n);
void p_push(parser *p, ast_list *l, void *item);
void p_enter(parser *p); /* depth guard */
void p_leave(parser *p);

static inline int p_is(parser *p, lex_kind k) { return p->tok[0].kind == k; }
static inline int p_iskw(parser *p, int kw) { return p->tok[0].kind == TK_WORD && p->tok[0].kw == kw; }
int p_accept(parser *p, lex_kind k);
int p_accept_kw(parser *p, int kw);
void p_expect(parser *p, lex_kind k, const char *hint);
void p_expect_kw(parser *p, int kw);
/* A plain word (case-insensitive) that is not in the keyword table, e.g. "ROWID". */
int p_isword(parser *p, const char *w);
int p_accept_word(parser *p, const char *w);

/* Names. p_is_name: the current token can be an identifier (not a reserved keyword).
 * p_name: consume an identifier (reserved words rejected) and return it folded.
 * p_any_name: also accepts reserved words (after AS, where nothing else can follow). */
int p_is_name(parser *p);
const char *p_name(parser *p, const char *hint);
const char *p_any_name(parser *p, const char *hint);
const char *p_word_upper(parser *p);  /* current token text upper-cased, then advance */
void p_qname(parser *p, ast_qname *q, const char *hint);
void p_name_list(parser *p, ast_list *l); /* ( a, b, ... ) */

/* ---- grammar parts ---- */
ast_expr *parse_expr(parser *p);
ast_expr *parse_expr_new(parser *p, ast_expr_kind k, const lex_token *at);
void parse_expr_list(parser *p, ast_list *l);
ast_type *parse_type(parser *p);
ast_expr *parse_term(parser *p);
const char *parse_decode_string(parser *p, const lex_token *t, size_t *len); /* '..' */
ast_window *parse_window_spec(parser *p); /* after '(' ... through ')' */
ast_order *parse_order_item(parser *p);
void parse_order_list(parser *p, ast_list *l);

ast_select *parse_query(parser *p);           /* [WITH] compound [ORDER BY] [LIMIT] */
ast_with *parse_with(parser *p);
ast_select *parse_query_after_with(parser *p, ast_with *w);
int parse_starts_query(parser *p);            /* SELECT, VALUES, WITH */
void parse_locking(parser *p, ast_select *s); /* FOR UPDATE / FOR SHARE ... clauses */
ast_from *parse_from(parser *p);
void parse_result_cols(parser *p, ast_list *l);

ast_stmt *parse_insert(parser *p, ast_with *w);
ast_stmt *parse_update(parser *p, ast_with *w);
ast_stmt *parse_delete(parser *p, ast_with *w);

ast_stmt *parse_create(parser *p);
ast_stmt *parse_drop(parser *p);
ast_stmt *parse_alter(parser *p);
ast_stmt *parse_truncate(parser *p);
ast_column_def *parse_column_def(parser *p);

ast_stmt *parse_misc(parser *p); /* transactions, PREPARE/EXECUTE, EXPLAIN, ANALYZE, SHOW, ... ; NULL if not one */
ast_stmt *parse_ext(parser *p);  /* extension statements; NULL if not one */
ast_stmt *parse_create_neuromorphic_index(parser *p);
void parse_ext_options(parser *p, ast_list *l);
/* Grover search options ([WITH] AMPLITUDE_AMPLIFICATION, MAX_ITERATIONS n, ...) into g. */
void parse_grover_options(parser *p, ast_grover *g);

ast_stmt *parse_statement(parser *p);
ast_stmt *p_stmt(parser *p, ast_stmt_kind k);

#endif
