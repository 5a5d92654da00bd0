/*
 * parser.c — the parser's machinery: the token window, errors, names, statement dispatch and
 * the script loop (parse_sql). The grammar itself is split by concept over parse_expr.c,
 * parse_select.c, parse_dml.c, parse_ddl.c, parse_misc.c and parse_ext.c.
 *
 * Lookahead: tok[0] is the current token; p_peek lexes up to two more on demand, so the common
 * path lexes each token exactly once. Errors longjmp to parse_sql (see parse_int.h).
 */
#include <stdio.h>
#include <string.h>

#include "sql/parse_int.h"

/* ---- token window ---------------------------------------------------------------------- */

void p_advance(parser *p)
{
    if (p->nlook > 0) {
        p->tok[0] = p->tok[1];
        p->tok[1] = p->tok[2];
        p->nlook--;
    } else {
        lex_next(&p->lx, &p->tok[0]);
    }
    if (p->tok[0].kind == TK_ERROR)
        p_fail(p, NULL);
}

const lex_token *p_peek(parser *p, int k)
{
    while (p->nlook < k) {
        lex_token *t = &p->tok[p->nlook + 1];
        if (p->nlook > 0 && p->tok[p->nlook].kind == TK_EOF) {
            *t = p->tok[p->nlook];
        } else if (p->nlook == 0 && p->tok[0].kind == TK_EOF) {
            *t = p->tok[0];
        } else {
            lex_next(&p->lx, t);
        }
        p->nlook++;
    }
    return &p->tok[k];
}

/* ---- errors ---------------------------------------------------------------------------- */

_Noreturn void p_fail_at(parser *p, const lex_token *t, const char *hint)
{
    p->res->line = t->line;
    p->res->col = t->col;
    snprintf(p->res->hint, sizeof p->res->hint, "%s", hint ? hint : "");
    if (t->kind == TK_ERROR) {
        nq_err_set(p->err, SQL_ESYNTAX, "%s at line %u, column %u", t->errmsg, (unsigned)t->line,
                   (unsigned)t->col);
    } else if (t->kind == TK_EOF) {
        nq_err_set(p->err, SQL_ESYNTAX, "near end of input: syntax error at line %u, column %u",
                   (unsigned)t->line, (unsigned)t->col);
    } else {
        int n = t->len > 128 ? 128 : (int)t->len;
        nq_err_set(p->err, SQL_ESYNTAX, "near \"%.*s\": syntax error at line %u, column %u", n,
                   t->p, (unsigned)t->line, (unsigned)t->col);
    }
    longjmp(p->jb, 1);
}

_Noreturn void p_fail(parser *p, const char *hint)
{
    p_fail_at(p, &p->tok[0], hint);
}

_Noreturn void p_oom(parser *p)
{
    nq_err_set(p->err, NQ_ENOMEM, "out of memory while parsing");
    longjmp(p->jb, 2);
}

void *p_alloc(parser *p, size_t n)
{
    void *m = ast_alloc(p->a, n);
    if (!m)
        p_oom(p);
    return m;
}

void p_push(parser *p, ast_list *l, void *item)
{
    if (ast_list_push(p->a, l, item))
        p_oom(p);
}

void p_enter(parser *p)
{
    if (++p->depth > PARSE_MAX_DEPTH)
        p_fail(p, "nested too deeply");
}

void p_leave(parser *p) { p->depth--; }

int p_accept(parser *p, lex_kind k)
{
    if (p->tok[0].kind != k)
        return 0;
    p_advance(p);
    return 1;
}

int p_accept_kw(parser *p, int kw)
{
    if (!p_iskw(p, kw))
        return 0;
    p_advance(p);
    return 1;
}

void p_expect(parser *p, lex_kind k, const char *hint)
{
    if (!p_accept(p, k)) {
        char h[64];
        snprintf(h, sizeof h, "expected %s", hint ? hint : lex_kind_name(k));
        p_fail(p, h);
    }
}

void p_expect_kw(parser *p, int kw)
{
    if (!p_accept_kw(p, kw)) {
        char h[64];
        snprintf(h, sizeof h, "expected %s", lex_kw_name(kw));
        p_fail(p, h);
    }
}

int p_isword(parser *p, const char *w)
{
    const lex_token *t = &p->tok[0];
    size_t n = strlen(w);
    if (t->kind != TK_WORD || t->len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((t->p[i] | 32) != (w[i] | 32))
            return 0;
    return 1;
}

int p_accept_word(parser *p, const char *w)
{
    if (!p_isword(p, w))
        return 0;
    p_advance(p);
    return 1;
}

/* ---- names ----------------------------------------------------------------------------- */

int p_is_name(parser *p)
{
    const lex_token *t = &p->tok[0];
    return t->kind == TK_QIDENT || (t->kind == TK_WORD && !lex_kw_reserved(t->kw));
}

static const char *fold_name(parser *p, const lex_token *t)
{
    if (t->kind == TK_QIDENT) {
        char q = t->p[0];
        char *s = p_alloc(p, t->len);
        size_t n = 0;
        for (uint32_t i = 1; i + 1 < t->len; i++) {
            s[n++] = t->p[i];
            if (t->p[i] == q)
                i++; /* "" stands for " */
        }
        s[n] = 0;
        return s;
    }
    char *s = p_alloc(p, t->len + 1);
    for (uint32_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        s[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    s[t->len] = 0;
    return s;
}

const char *p_name(parser *p, const char *hint)
{
    if (!p_is_name(p))
        p_fail(p, hint ? hint : "expected a name");
    const char *s = fold_name(p, &p->tok[0]);
    p_advance(p);
    return s;
}

const char *p_any_name(parser *p, const char *hint)
{
    if (p->tok[0].kind != TK_WORD && p->tok[0].kind != TK_QIDENT)
        p_fail(p, hint ? hint : "expected a name");
    const char *s = fold_name(p, &p->tok[0]);
    p_advance(p);
    return s;
}

const char *p_word_upper(parser *p)
{
    const lex_token *t = &p->tok[0];
    char *s = p_alloc(p, t->len + 1);
    for (uint32_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        s[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    s[t->len] = 0;
    p_advance(p);
    return s;
}

void p_qname(parser *p, ast_qname *q, const char *hint)
{
    q->schema = NULL;
    q->name = p_name(p, hint);
    if (p_is(p, TK_DOT)) {
        p_advance(p);
        q->schema = q->name;
        q->name = p_any_name(p, hint);
    }
}

void p_name_list(parser *p, ast_list *l)
{
    p_expect(p, TK_LP, "(");
    do {
        p_push(p, l, (void *)p_any_name(p, "expected a column name"));
    } while (p_accept(p, TK_COMMA));
    p_expect(p, TK_RP, ")");
}

/* ---- statements ------------------------------------------------------------------------ */

ast_stmt *p_stmt(parser *p, ast_stmt_kind k)
{
    ast_stmt *s = p_alloc(p, sizeof *s);
    s->kind = k;
    return s;
}

int parse_starts_query(parser *p)
{
    return p_iskw(p, KW_SELECT) || p_iskw(p, KW_VALUES) || p_iskw(p, KW_WITH);
}

ast_stmt *parse_statement(parser *p)
{
    const lex_token start = p->tok[0];
    ast_stmt *s = NULL;
    p_enter(p);
    if (p_iskw(p, KW_SELECT) || p_iskw(p, KW_VALUES) || p_is(p, TK_LP)) {
        s = p_stmt(p, AST_SELECT);
        s->u.select = parse_query(p);
        parse_locking(p, s->u.select);
    } else if (p_iskw(p, KW_WITH)) {
        ast_with *w = parse_with(p);
        if (p_iskw(p, KW_INSERT) || p_iskw(p, KW_REPLACE))
            s = parse_insert(p, w);
        else if (p_iskw(p, KW_UPDATE))
            s = parse_update(p, w);
        else if (p_iskw(p, KW_DELETE))
            s = parse_delete(p, w);
        else {
            s = p_stmt(p, AST_SELECT);
            s->u.select = parse_query_after_with(p, w);
            parse_locking(p, s->u.select);
        }
    } else if (p_iskw(p, KW_INSERT) || (p_iskw(p, KW_REPLACE) && p_peek(p, 1)->kw == KW_INTO)) {
        s = parse_insert(p, NULL);
    } else if (p_iskw(p, KW_UPDATE)) {
        s = parse_update(p, NULL);
    } else if (p_iskw(p, KW_DELETE)) {
        s = parse_delete(p, NULL);
    } else if (p_iskw(p, KW_CREATE)) {
        s = parse_create(p);
    } else if (p_iskw(p, KW_DROP)) {
        s = parse_drop(p);
    } else if (p_iskw(p, KW_ALTER)) {
        s = parse_alter(p);
    } else if (p_iskw(p, KW_TRUNCATE)) {
        s = parse_truncate(p);
    } else {
        s = parse_misc(p);
        if (!s)
            s = parse_ext(p);
        if (!s)
            p_fail(p, "expected a statement");
    }
    s->line = start.line;
    s->col = start.col;
    s->sql = start.p;
    p_leave(p);
    return s;
}

static void parser_init(parser *p, ast_arena *a, const char *sql, size_t len, parse_result *res,
                        nq_err *err)
{
    memset(p, 0, sizeof *p);
    p->a = a;
    p->err = err;
    p->res = res;
    p->src = sql;
    lex_init(&p->lx, sql, len);
}

int parse_sql(ast_arena *a, const char *sql, size_t len, parse_result *res, nq_err *err)
{
    parser *p = ast_alloc(a, sizeof *p);
    memset(res, 0, sizeof *res);
    if (!p)
        return nq_err_set(err, NQ_ENOMEM, "out of memory while parsing");
    parser_init(p, a, sql, len, res, err);
    if (setjmp(p->jb)) {
        res->stmts.n = 0;
        return err ? err->code : SQL_ESYNTAX;
    }
    if (!err) {
        /* p_fail needs somewhere to format; keep the code path the same */
        nq_err *tmp = p_alloc(p, sizeof *tmp);
        p->err = tmp;
    }
    p_advance(p);
    for (;;) {
        while (p_accept(p, TK_SEMI))
            ;
        if (p_is(p, TK_EOF))
            break;
        ast_stmt *s = parse_statement(p);
        /* the statement's text ends where the next token starts, minus white space */
        const char *end = p->tok[0].p;
        while (end > s->sql && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t' ||
                                end[-1] == '\r'))
            end--;
        s->sql_len = (size_t)(end - s->sql);
        p_push(p, &res->stmts, s);
        if (!p_is(p, TK_EOF) && !p_is(p, TK_SEMI))
            p_fail(p, "expected ; or end of input");
    }
    return 0;
}

int parse_first(ast_arena *a, const char *sql, size_t len, ast_stmt **out, size_t *used,
                parse_result *res, nq_err *err)
{
    parser *p = ast_alloc(a, sizeof *p);
    memset(res, 0, sizeof *res);
    *out = NULL;
    *used = len;
    if (!p)
        return nq_err_set(err, NQ_ENOMEM, "out of memory while parsing");
    parser_init(p, a, sql, len, res, err);
    if (setjmp(p->jb))
        return err ? err->code : SQL_ESYNTAX;
    if (!err)
        p->err = p_alloc(p, sizeof(nq_err));
    p_advance(p);
    while (p_accept(p, TK_SEMI))
        ;
    if (p_is(p, TK_EOF))
        return 0;
    ast_stmt *s = parse_statement(p);
    const char *end = p->tok[0].p;
    while (end > s->sql && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t' ||
                            end[-1] == '\r'))
        end--;
    s->sql_len = (size_t)(end - s->sql);
    if (!p_is(p, TK_EOF) && !p_is(p, TK_SEMI))
        p_fail(p, "expected ; or end of input");
    /* the next statement starts after this one's ';' */
    const char *next = p_is(p, TK_SEMI) ? p->tok[0].p + 1 : sql + len;
    *used = (size_t)(next - sql);
    *out = s;
    return 0;
}

int parse_one(ast_arena *a, const char *sql, size_t len, ast_stmt **out, nq_err *err)
{
    parse_result res;
    *out = NULL;
    int rc = parse_sql(a, sql, len, &res, err);
    if (rc)
        return rc;
    if (res.stmts.n == 0)
        return nq_err_set(err, SQL_ESYNTAX, "empty query");
    if (res.stmts.n > 1) {
        const ast_stmt *s = res.stmts.v[1];
        return nq_err_set(err, SQL_ESYNTAX,
                          "more than one statement (the second at line %u, column %u)",
                          (unsigned)s->line, (unsigned)s->col);
    }
    *out = res.stmts.v[0];
    return 0;
}
