/*
 * parse_misc.c — transaction control (BEGIN/START TRANSACTION/COMMIT/END/ROLLBACK [TO],
 * SAVEPOINT, RELEASE, SET TRANSACTION, SET SESSION CHARACTERISTICS AS TRANSACTION), LOCK
 * TABLE, SET name = value, SHOW name / SHOW TRANSACTION ISOLATION LEVEL,
 * PREPARE/EXECUTE/DEALLOCATE, EXPLAIN [ANALYZE] [(options)], ANALYZE, SHOW TABLES, SHOW
 * SYNAPTIC NETWORK (a SELECT of the system table), DESCRIBE/DESC, REINDEX.
 *
 * parse_misc returns NULL when the first token starts none of these, so the dispatcher can
 * try the extension statements next without consuming anything.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/parse_int.h"

static ast_txn *new_txn(parser *p, ast_stmt *st)
{
    ast_txn *t = p_alloc(p, sizeof *t);
    st->u.txn = t;
    return t;
}

/* READ UNCOMMITTED | READ COMMITTED | REPEATABLE READ | SERIALIZABLE */
static const char *isolation_level(parser *p)
{
    if (p_accept_word(p, "SERIALIZABLE"))
        return "SERIALIZABLE";
    if (p_accept_word(p, "REPEATABLE")) {
        if (!p_accept_word(p, "READ"))
            p_fail(p, "expected READ");
        return "REPEATABLE READ";
    }
    if (p_accept_word(p, "READ")) {
        if (p_accept_word(p, "COMMITTED"))
            return "READ COMMITTED";
        if (p_accept_word(p, "UNCOMMITTED"))
            return "READ UNCOMMITTED";
        p_fail(p, "expected COMMITTED or UNCOMMITTED");
    }
    p_fail(p, "expected an isolation level");
}

static int next_is_word(parser *p, const char *w)
{
    const lex_token *t = p_peek(p, 1);
    size_t n = strlen(w);
    return t->kind == TK_WORD && t->len == n && strncasecmp(t->p, w, n) == 0;
}

/* [ISOLATION LEVEL level] [READ ONLY | READ WRITE], comma-separated (PostgreSQL also allows
 * blanks between them); 1 when at least one was given. */
static int txn_modes(parser *p, ast_txn *t)
{
    int any = 0;
    do {
        if (p_accept_word(p, "ISOLATION")) {
            if (!p_accept_word(p, "LEVEL"))
                p_fail(p, "expected LEVEL");
            t->isolation = isolation_level(p);
        } else if (p_isword(p, "READ") && (next_is_word(p, "ONLY") || next_is_word(p, "WRITE"))) {
            p_advance(p);
            if (p_accept_word(p, "ONLY"))
                t->access = "READ ONLY";
            else if (p_accept_word(p, "WRITE"))
                t->access = "READ WRITE";
            else
                p_fail(p, "expected ONLY or WRITE");
        } else {
            if (any)
                p_fail(p, "expected ISOLATION LEVEL, READ ONLY or READ WRITE");
            return 0;
        }
        any = 1;
    } while (p_accept(p, TK_COMMA) || p_isword(p, "ISOLATION") || p_isword(p, "READ"));
    return 1;
}

/* LOCK [TABLE] [ONLY] t [, ...] [IN mode MODE] [NOWAIT] */
static ast_stmt *parse_lock(parser *p)
{
    ast_stmt *st = p_stmt(p, AST_LOCK_TABLE);
    ast_lock_table *l = p_alloc(p, sizeof *l);
    st->u.lock = l;
    p_advance(p);
    p_accept_kw(p, KW_TABLE);
    p_accept_word(p, "ONLY");
    do {
        ast_qname *q = p_alloc(p, sizeof *q);
        p_qname(p, q, "expected a table name");
        p_push(p, &l->tables, q);
    } while (p_accept(p, TK_COMMA));
    if (p_accept_kw(p, KW_IN)) {
        if (p_accept_word(p, "ACCESS")) {
            if (p_accept_word(p, "SHARE"))
                l->mode = "ACCESS SHARE";
            else if (p_accept_kw(p, KW_EXCLUSIVE))
                l->mode = "ACCESS EXCLUSIVE";
            else
                p_fail(p, "expected SHARE or EXCLUSIVE");
        } else if (p_accept_kw(p, KW_ROW)) {
            if (p_accept_word(p, "SHARE"))
                l->mode = "ROW SHARE";
            else if (p_accept_kw(p, KW_EXCLUSIVE))
                l->mode = "ROW EXCLUSIVE";
            else
                p_fail(p, "expected SHARE or EXCLUSIVE");
        } else if (p_accept_word(p, "SHARE")) {
            l->mode = "SHARE";
            if (p_accept_kw(p, KW_UPDATE)) {
                p_expect_kw(p, KW_EXCLUSIVE);
                l->mode = "SHARE UPDATE EXCLUSIVE";
            } else if (p_accept_kw(p, KW_ROW)) {
                p_expect_kw(p, KW_EXCLUSIVE);
                l->mode = "SHARE ROW EXCLUSIVE";
            }
        } else if (p_accept_kw(p, KW_EXCLUSIVE)) {
            l->mode = "EXCLUSIVE";
        } else {
            p_fail(p, "expected a lock mode (ACCESS SHARE, ROW SHARE, ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE, SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE or ACCESS EXCLUSIVE)");
        }
        if (!p_accept_word(p, "MODE"))
            p_fail(p, "expected MODE");
    }
    if (p_accept_word(p, "NOWAIT"))
        l->nowait = 1;
    return st;
}

/* SET TRANSACTION modes | SET SESSION CHARACTERISTICS AS TRANSACTION modes |
 * SET [SESSION | LOCAL] name {= | TO} value | DEFAULT */
static ast_stmt *parse_set(parser *p)
{
    p_advance(p);
    ast_stmt *st;
    if (p_isword(p, "SESSION") && next_is_word(p, "CHARACTERISTICS")) {
        p_advance(p);
        p_advance(p);
        p_expect_kw(p, KW_AS);
        p_expect_kw(p, KW_TRANSACTION);
        st = p_stmt(p, AST_SET_TRANSACTION);
        ast_txn *t = new_txn(p, st);
        t->start = 1;
        if (!txn_modes(p, t))
            p_fail(p, "expected ISOLATION LEVEL, READ ONLY or READ WRITE");
        return st;
    }
    if (p_accept_kw(p, KW_TRANSACTION)) {
        st = p_stmt(p, AST_SET_TRANSACTION);
        if (!txn_modes(p, new_txn(p, st)))
            p_fail(p, "expected ISOLATION LEVEL, READ ONLY or READ WRITE");
        return st;
    }
    st = p_stmt(p, AST_SET_VAR);
    ast_set_var *v = p_alloc(p, sizeof *v);
    st->u.setvar = v;
    if (p_accept_word(p, "LOCAL"))
        v->local = 1;
    else if (p_isword(p, "SESSION") && !(p_peek(p, 1)->kind == TK_EQ || next_is_word(p, "TO")))
        p_advance(p);
    v->name = p_any_name(p, "expected a configuration parameter name");
    if (!p_accept(p, TK_EQ) && !p_accept_kw(p, KW_TO))
        p_fail(p, "expected = or TO");
    const lex_token *t = &p->tok[0];
    if (t->kind == TK_STRING) {
        size_t n;
        v->value = parse_decode_string(p, t, &n);
        v->quoted = 1;
        p_advance(p);
    } else if (p_iskw(p, KW_DEFAULT)) {
        p_advance(p);
    } else if (t->kind == TK_WORD || t->kind == TK_INTEGER || t->kind == TK_REAL ||
               t->kind == TK_QIDENT) {
        char *w = ast_strndup(p->a, t->p, t->len);
        if (!w)
            p_oom(p);
        if (t->kind == TK_WORD)
            for (char *c = w; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c + 32);
        v->value = w;
        p_advance(p);
    } else {
        p_fail(p, "expected a value");
    }
    return st;
}

static const char *explain_format(parser *p)
{
    if (!(p_isword(p, "TEXT") || p_isword(p, "JSON") || p_isword(p, "YAML") || p_isword(p, "XML")))
        p_fail(p, "expected TEXT, JSON, YAML or XML");
    return p_word_upper(p);
}

static ast_stmt *parse_explain(parser *p)
{
    ast_stmt *st = p_stmt(p, AST_EXPLAIN);
    ast_explain *x = p_alloc(p, sizeof *x);
    st->u.explain = x;
    p_expect_kw(p, KW_EXPLAIN);
    if (p_is(p, TK_LP)) {
        p_advance(p);
        do {
            if (p_accept_kw(p, KW_ANALYZE)) {
                x->analyze = 1;
            } else if (p_accept_word(p, "VERBOSE")) {
                x->verbose = 1;
            } else if (p_accept_kw(p, KW_FORMAT)) {
                x->format = explain_format(p);
            } else {
                p_fail(p, "expected ANALYZE, VERBOSE or FORMAT");
            }
        } while (p_accept(p, TK_COMMA));
        p_expect(p, TK_RP, ")");
    } else {
        if (p_accept_kw(p, KW_ANALYZE))
            x->analyze = 1;
        if (p_accept_word(p, "VERBOSE"))
            x->verbose = 1;
        if (p_accept_kw(p, KW_FORMAT)) {
            x->format = explain_format(p);
        }
    }
    if (p_is(p, TK_EOF) || p_is(p, TK_SEMI))
        p_fail(p, "expected a statement after EXPLAIN");
    x->stmt = parse_statement(p);
    return st;
}

ast_stmt *parse_misc(parser *p)
{
    const lex_token *t = &p->tok[0];
    if (t->kind != TK_WORD)
        return NULL;
    ast_stmt *st;
    switch (t->kw) {
    case KW_BEGIN: {
        st = p_stmt(p, AST_BEGIN);
        ast_txn *x = new_txn(p, st);
        p_advance(p);
        if (p_accept_kw(p, KW_DEFERRED))
            x->mode = AST_TXN_DEFERRED;
        else if (p_accept_kw(p, KW_IMMEDIATE))
            x->mode = AST_TXN_IMMEDIATE;
        else if (p_accept_kw(p, KW_EXCLUSIVE))
            x->mode = AST_TXN_EXCLUSIVE;
        if (p_accept_kw(p, KW_TRANSACTION) || p_accept_word(p, "WORK"))
            x->transaction_kw = 1;
        txn_modes(p, x);
        return st;
    }
    case KW_START:
        st = p_stmt(p, AST_BEGIN);
        new_txn(p, st)->start = 1;
        p_advance(p);
        p_expect_kw(p, KW_TRANSACTION);
        txn_modes(p, st->u.txn);
        return st;
    case KW_COMMIT:
    case KW_END:
        st = p_stmt(p, AST_COMMIT);
        new_txn(p, st)->end_kw = t->kw == KW_END;
        p_advance(p);
        if (!p_accept_kw(p, KW_TRANSACTION))
            p_accept_word(p, "WORK");
        return st;
    case KW_ROLLBACK:
        st = p_stmt(p, AST_ROLLBACK);
        new_txn(p, st);
        p_advance(p);
        if (!p_accept_kw(p, KW_TRANSACTION))
            p_accept_word(p, "WORK");
        if (p_accept_kw(p, KW_TO)) {
            p_accept_kw(p, KW_SAVEPOINT);
            st->u.txn->savepoint = p_any_name(p, "expected a savepoint name");
        }
        return st;
    case KW_SAVEPOINT:
        st = p_stmt(p, AST_SAVEPOINT);
        p_advance(p);
        new_txn(p, st)->savepoint = p_any_name(p, "expected a savepoint name");
        return st;
    case KW_RELEASE:
        st = p_stmt(p, AST_RELEASE);
        p_advance(p);
        p_accept_kw(p, KW_SAVEPOINT);
        new_txn(p, st)->savepoint = p_any_name(p, "expected a savepoint name");
        return st;
    case KW_PREPARE: {
        st = p_stmt(p, AST_PREPARE);
        ast_prepare *pp = p_alloc(p, sizeof *pp);
        st->u.prepare = pp;
        p_advance(p);
        pp->name = p_any_name(p, "expected a statement name");
        if (p_accept(p, TK_LP)) {
            do {
                p_push(p, &pp->types, parse_type(p));
            } while (p_accept(p, TK_COMMA));
            p_expect(p, TK_RP, ")");
        }
        p_expect_kw(p, KW_AS);
        if (p_is(p, TK_EOF) || p_is(p, TK_SEMI))
            p_fail(p, "expected a statement");
        pp->stmt = parse_statement(p);
        return st;
    }
    case KW_EXECUTE: {
        st = p_stmt(p, AST_EXECUTE);
        ast_execute *x = p_alloc(p, sizeof *x);
        st->u.execute = x;
        p_advance(p);
        x->name = p_any_name(p, "expected a statement name");
        if (p_accept(p, TK_LP)) {
            if (!p_is(p, TK_RP))
                parse_expr_list(p, &x->args);
            p_expect(p, TK_RP, ")");
        }
        return st;
    }
    case KW_DEALLOCATE:
        st = p_stmt(p, AST_DEALLOCATE);
        p_advance(p);
        p_accept_kw(p, KW_PREPARE);
        if (!p_accept_kw(p, KW_ALL))
            st->u.name = p_any_name(p, "expected a statement name or ALL");
        return st;
    case KW_EXPLAIN:
        return parse_explain(p);
    case KW_ANALYZE:
    case KW_REINDEX:
        st = p_stmt(p, t->kw == KW_ANALYZE ? AST_ANALYZE : AST_REINDEX);
        p_advance(p);
        if (st->kind == AST_ANALYZE)
            p_accept_kw(p, KW_TABLE);
        if (p_is_name(p))
            p_qname(p, &st->qname, NULL);
        return st;
    case KW_SET:
        return parse_set(p);
    case KW_SHOW:
        if (p_peek(p, 1)->kind == TK_WORD && p_peek(p, 1)->kw == KW_TRANSACTION) {
            /* SHOW TRANSACTION ISOLATION LEVEL (PostgreSQL's spelling of transaction_isolation) */
            st = p_stmt(p, AST_SHOW_VAR);
            p_advance(p);
            p_advance(p);
            if (!p_accept_word(p, "ISOLATION") || !p_accept_word(p, "LEVEL"))
                p_fail(p, "expected ISOLATION LEVEL");
            st->u.name = "transaction_isolation";
            return st;
        }
        if (p_peek(p, 1)->kind == TK_WORD && p_peek(p, 1)->len == 8 &&
            strncasecmp(p_peek(p, 1)->p, "SYNAPTIC", 8) == 0) {
            /* SHOW SYNAPTIC NETWORK: SELECT * FROM nq_synaptic_network (workload_sql.c) */
            const lex_token at = p->tok[0];
            st = p_stmt(p, AST_SELECT);
            p_advance(p);
            p_advance(p);
            if (!p_accept_word(p, "NETWORK"))
                p_fail(p, "expected NETWORK");
            ast_select *sel = p_alloc(p, sizeof *sel);
            sel->kind = AST_SEL_CORE;
            ast_result_col *rc = p_alloc(p, sizeof *rc);
            rc->e = parse_expr_new(p, AST_E_STAR, &at);
            p_push(p, &sel->cols, rc);
            ast_from *fr = p_alloc(p, sizeof *fr);
            fr->kind = AST_FROM_TABLE;
            fr->name = "nq_synaptic_network";
            sel->from = fr;
            st->u.select = sel;
            return st;
        }
        if (p_peek(p, 1)->kind != TK_WORD || p_peek(p, 1)->len != 6 ||
            strncasecmp(p_peek(p, 1)->p, "TABLES", 6) != 0) {
            /* SHOW COMPRESSION STATS is an extension statement (parse_ext) */
            if (next_is_word(p, "COMPRESSION") ||
                (p_peek(p, 1)->kind != TK_WORD && p_peek(p, 1)->kind != TK_QIDENT))
                return NULL;
            st = p_stmt(p, AST_SHOW_VAR);
            p_advance(p);
            st->u.name = p_any_name(p, "expected a configuration parameter name");
            return st;
        }
        st = p_stmt(p, AST_SHOW_TABLES);
        p_advance(p);
        p_advance(p);
        return st;
    case KW_NONE:
        if (p_isword(p, "LOCK"))
            return parse_lock(p);
        return NULL;
    case KW_DESCRIBE:
    case KW_DESC:
        st = p_stmt(p, AST_DESCRIBE);
        p_advance(p);
        p_accept_kw(p, KW_TABLE);
        p_qname(p, &st->qname, "expected a table name");
        return st;
    default:
        return NULL;
    }
}
