/*
 * parse_select.c — queries: WITH, SELECT cores, VALUES, compounds, FROM and joins, ORDER BY,
 * LIMIT/OFFSET, the row-locking clauses (FOR UPDATE / FOR SHARE) of a statement's query, and
 * the NEUROMATCH clause / USING QUANTUM GROVER hint of the extensions.
 *
 * Compound precedence follows PostgreSQL and the standard: INTERSECT binds tighter than
 * UNION and EXCEPT, which are left-associative among themselves; a parenthesised query is an
 * operand. ORDER BY / LIMIT / OFFSET after the last operand belong to the whole compound.
 * In FROM, comma binds looser than JOIN (a, b JOIN c ON ... is a, (b JOIN c)), as in
 * PostgreSQL, so ON may refer only to its own join's tables.
 */
#include <string.h>
#include <strings.h>

#include "sql/parse_int.h"

ast_with *parse_with(parser *p)
{
    p_expect_kw(p, KW_WITH);
    ast_with *w = p_alloc(p, sizeof *w);
    w->recursive = p_accept_kw(p, KW_RECURSIVE);
    do {
        ast_cte *c = p_alloc(p, sizeof *c);
        c->name = p_name(p, "expected a name for the WITH query");
        if (p_is(p, TK_LP))
            p_name_list(p, &c->cols);
        p_expect_kw(p, KW_AS);
        if (p_accept_kw(p, KW_MATERIALIZED)) {
            c->materialized = 1;
        } else if (p_iskw(p, KW_NOT) && p_peek(p, 1)->kw == KW_MATERIALIZED) {
            p_advance(p);
            p_advance(p);
            c->materialized = -1;
        }
        p_expect(p, TK_LP, "(");
        p_enter(p);
        c->query = parse_query(p);
        p_leave(p);
        p_expect(p, TK_RP, ")");
        p_push(p, &w->ctes, c);
    } while (p_accept(p, TK_COMMA));
    return w;
}

/* FOR is not reserved (FOR EACH ROW, substring(x FROM 1 FOR 2)), so an implicit alias must not
 * swallow the FOR of a locking clause: FOR followed by UPDATE, SHARE, NO KEY or KEY SHARE. */
static int at_locking(parser *p)
{
    if (!p_iskw(p, KW_FOR))
        return 0;
    const lex_token *t = p_peek(p, 1);
    return t->kind == TK_WORD && (t->kw == KW_UPDATE || t->kw == KW_NO || t->kw == KW_KEY ||
                                  (t->len == 5 && strncasecmp(t->p, "SHARE", 5) == 0));
}

void parse_result_cols(parser *p, ast_list *l)
{
    do {
        ast_result_col *rc = p_alloc(p, sizeof *rc);
        if (p_is(p, TK_STAR)) {
            rc->e = parse_expr_new(p, AST_E_STAR, &p->tok[0]);
            p_advance(p);
        } else {
            rc->e = parse_expr(p);
            if (p_accept_kw(p, KW_AS)) {
                if (p_is(p, TK_STRING)) {
                    /* AS 'name' (SQLite): a name, so it cannot be empty */
                    size_t n;
                    rc->alias = parse_decode_string(p, &p->tok[0], &n);
                    if (n == 0 || memchr(rc->alias, 0, n))
                        p_fail(p, "expected an alias");
                    p_advance(p);
                } else {
                    rc->alias = p_any_name(p, "expected an alias");
                }
            } else if (p_is_name(p) && !at_locking(p)) {
                rc->alias = p_name(p, NULL);
            }
        }
        p_push(p, l, rc);
    } while (p_accept(p, TK_COMMA));
}

static const char *opt_alias(parser *p)
{
    if (p_accept_kw(p, KW_AS))
        return p_any_name(p, "expected an alias");
    if (p_is_name(p) && !at_locking(p))
        return p_name(p, NULL);
    return NULL;
}

static ast_from *parse_table_primary(parser *p)
{
    ast_from *f = p_alloc(p, sizeof *f);
    if (p_accept(p, TK_LP)) {
        p_enter(p);
        if (parse_starts_query(p)) {
            f->kind = AST_FROM_SUBQUERY;
            f->sub = parse_query(p);
            p_expect(p, TK_RP, ")");
            f->alias = opt_alias(p);
            if (f->alias && p_is(p, TK_LP))
                p_name_list(p, &f->alias_cols);
        } else {
            f = parse_from(p);
            p_expect(p, TK_RP, ")");
        }
        p_leave(p);
        return f;
    }
    ast_qname q;
    p_qname(p, &q, "expected a table name");
    f->schema = q.schema;
    f->name = q.name;
    if (p_accept(p, TK_LP)) {
        f->kind = AST_FROM_FUNC;
        if (!p_is(p, TK_RP))
            parse_expr_list(p, &f->args);
        p_expect(p, TK_RP, ")");
    } else {
        f->kind = AST_FROM_TABLE;
    }
    f->alias = opt_alias(p);
    return f;
}

static ast_from *parse_join_tree(parser *p)
{
    ast_from *l = parse_table_primary(p);
    for (;;) {
        int natural = 0;
        ast_join_type jt;
        lex_token at = p->tok[0];
        if (p_accept_kw(p, KW_NATURAL))
            natural = 1;
        if (p_accept_kw(p, KW_JOIN)) {
            jt = AST_JOIN_INNER;
        } else if (p_accept_kw(p, KW_INNER)) {
            p_expect_kw(p, KW_JOIN);
            jt = AST_JOIN_INNER;
        } else if (p_iskw(p, KW_LEFT) || p_iskw(p, KW_RIGHT) || p_iskw(p, KW_FULL)) {
            jt = p_iskw(p, KW_LEFT) ? AST_JOIN_LEFT : p_iskw(p, KW_RIGHT) ? AST_JOIN_RIGHT
                                                                           : AST_JOIN_FULL;
            p_advance(p);
            p_accept_kw(p, KW_OUTER);
            p_expect_kw(p, KW_JOIN);
        } else if (p_accept_kw(p, KW_CROSS)) {
            p_expect_kw(p, KW_JOIN);
            jt = AST_JOIN_CROSS;
        } else if (!natural && p_accept_kw(p, KW_QUANTUM_JOIN)) {
            jt = AST_JOIN_QUANTUM;
        } else {
            if (natural)
                p_fail(p, "expected JOIN");
            return l;
        }
        (void)at;
        ast_from *j = p_alloc(p, sizeof *j);
        j->kind = AST_FROM_JOIN;
        j->jtype = jt;
        j->natural = natural;
        j->left = l;
        j->right = parse_table_primary(p);
        if (!natural && jt != AST_JOIN_CROSS) {
            if (p_accept_kw(p, KW_ON)) {
                j->on = parse_expr(p);
            } else if (p_iskw(p, KW_USING) && p_peek(p, 1)->kind == TK_LP) {
                p_advance(p);
                p_name_list(p, &j->using_cols);
            }
        }
        l = j;
    }
}

ast_from *parse_from(parser *p)
{
    ast_from *l = parse_join_tree(p);
    while (p_accept(p, TK_COMMA)) {
        ast_from *j = p_alloc(p, sizeof *j);
        j->kind = AST_FROM_JOIN;
        j->jtype = AST_JOIN_COMMA;
        j->left = l;
        j->right = parse_join_tree(p);
        l = j;
    }
    return l;
}

static ast_neuromatch *parse_neuromatch_clause(parser *p)
{
    ast_neuromatch *n = p_alloc(p, sizeof *n);
    if (p_accept(p, TK_LP)) {
        ast_expr *a = parse_expr(p);
        if (p_accept(p, TK_COMMA)) {
            n->field = a;
            n->pattern = parse_expr(p);
        } else {
            n->pattern = a;
        }
        p_expect(p, TK_RP, ")");
    } else {
        n->legacy = 1;
        n->pattern = parse_expr(p);
    }
    /* STRENGTH > x and the feedback options, in any order (each once: neuromatch_compile.c) */
    for (;;) {
        if (!n->strength && p_accept_word(p, "STRENGTH")) {
            p_expect(p, TK_GT, ">");
            n->strength = parse_expr(p);
        } else if (p_isword(p, "LEARNING_RATE") || p_isword(p, "HEBBIAN_STRENGTHENING")) {
            ast_option *o = p_alloc(p, sizeof *o);
            o->line = p->tok[0].line;
            o->col = p->tok[0].col;
            int flag = p_isword(p, "HEBBIAN_STRENGTHENING");
            o->name = p_word_upper(p);
            /* a flag's value is optional: = v, TRUE or FALSE */
            if (p_accept(p, TK_EQ) || !flag || p_isword(p, "TRUE") || p_isword(p, "FALSE"))
                o->value = parse_term(p);
            p_push(p, &n->options, o);
        } else {
            break;
        }
    }
    return n;
}

/* USING QUANTUM GROVER [options]: after WHERE or at the end of the core (upstream's place,
 * before ORDER BY / LIMIT); the printer puts it at the end. */
static void grover_hint(parser *p, ast_select *s)
{
    if (s->quantum_grover || !p_iskw(p, KW_USING) || p_peek(p, 1)->kw != KW_QUANTUM)
        return;
    p_advance(p);
    p_advance(p);
    if (!p_accept_word(p, "GROVER"))
        p_fail(p, "expected GROVER");
    s->quantum_grover = 1;
    parse_grover_options(p, &s->grover);
}

static ast_select *parse_core(parser *p)
{
    ast_select *s = p_alloc(p, sizeof *s);
    s->kind = AST_SEL_CORE;
    p_expect_kw(p, KW_SELECT);
    if (p_accept_kw(p, KW_DISTINCT))
        s->distinct = 1;
    else if (p_accept_kw(p, KW_ALL))
        s->distinct = 2;
    parse_result_cols(p, &s->cols);
    if (p_accept_kw(p, KW_FROM))
        s->from = parse_from(p);
    if (p_accept_kw(p, KW_NEUROMATCH))
        s->neuromatch = parse_neuromatch_clause(p);
    if (p_accept_kw(p, KW_WHERE))
        s->where = parse_expr(p);
    grover_hint(p, s);
    if (p_accept_kw(p, KW_GROUP)) {
        p_expect_kw(p, KW_BY);
        parse_expr_list(p, &s->group_by);
    }
    if (p_accept_kw(p, KW_HAVING))
        s->having = parse_expr(p);
    if (p_accept_kw(p, KW_WINDOW)) {
        do {
            const char *name = p_name(p, "expected a window name");
            p_expect_kw(p, KW_AS);
            p_expect(p, TK_LP, "(");
            ast_window *w = parse_window_spec(p);
            w->name = name;
            p_push(p, &s->windows, w);
        } while (p_accept(p, TK_COMMA));
    }
    grover_hint(p, s);
    return s;
}

static ast_select *parse_values(parser *p)
{
    ast_select *s = p_alloc(p, sizeof *s);
    s->kind = AST_SEL_VALUES;
    p_expect_kw(p, KW_VALUES);
    do {
        ast_list *row = p_alloc(p, sizeof *row);
        p_expect(p, TK_LP, "(");
        parse_expr_list(p, row);
        p_expect(p, TK_RP, ")");
        p_push(p, &s->rows, row);
    } while (p_accept(p, TK_COMMA));
    return s;
}

static ast_select *parse_simple(parser *p)
{
    if (p_iskw(p, KW_SELECT))
        return parse_core(p);
    if (p_iskw(p, KW_VALUES))
        return parse_values(p);
    if (p_accept(p, TK_LP)) {
        p_enter(p);
        ast_select *s = parse_query(p);
        p_leave(p);
        p_expect(p, TK_RP, ")");
        return s;
    }
    p_fail(p, "expected SELECT");
}

static ast_select *compound(parser *p, ast_compound_op op, ast_select *l, ast_select *r)
{
    ast_select *s = p_alloc(p, sizeof *s);
    s->kind = AST_SEL_COMPOUND;
    s->op = op;
    s->left = l;
    s->right = r;
    return s;
}

static ast_select *parse_intersect(parser *p)
{
    ast_select *l = parse_simple(p);
    while (p_accept_kw(p, KW_INTERSECT)) {
        int all = p_accept_kw(p, KW_ALL);
        if (!all)
            p_accept_kw(p, KW_DISTINCT);
        l = compound(p, all ? AST_INTERSECT_ALL : AST_INTERSECT, l, parse_simple(p));
    }
    return l;
}

static ast_select *parse_compound(parser *p)
{
    ast_select *l = parse_intersect(p);
    for (;;) {
        ast_compound_op op;
        if (p_accept_kw(p, KW_UNION))
            op = AST_UNION;
        else if (p_accept_kw(p, KW_EXCEPT))
            op = AST_EXCEPT;
        else
            return l;
        if (p_accept_kw(p, KW_ALL))
            op = op == AST_UNION ? AST_UNION_ALL : AST_EXCEPT_ALL;
        else
            p_accept_kw(p, KW_DISTINCT);
        l = compound(p, op, l, parse_intersect(p));
    }
}

ast_select *parse_query_after_with(parser *p, ast_with *w)
{
    lex_token start = p->tok[0];
    ast_select *s = parse_compound(p);
    if (w) {
        if (s->with)
            p_fail_at(p, &start, "a query in parentheses already has WITH");
        s->with = w;
    }
    if (p_iskw(p, KW_ORDER)) {
        if (s->order_by.n || s->limit || s->offset)
            p_fail(p, "the query in parentheses has ORDER BY or LIMIT already");
        p_advance(p);
        p_expect_kw(p, KW_BY);
        parse_order_list(p, &s->order_by);
    }
    if (p_iskw(p, KW_LIMIT) || p_iskw(p, KW_OFFSET)) {
        if (s->limit || s->offset)
            p_fail(p, "the query in parentheses has LIMIT or OFFSET already");
        for (int i = 0; i < 2; i++) {
            if (!s->limit && p_accept_kw(p, KW_LIMIT)) {
                s->limit = parse_expr(p);
                if (!s->offset && p_accept(p, TK_COMMA)) {
                    /* LIMIT offset, count (SQLite, MySQL) */
                    s->offset = s->limit;
                    s->limit = parse_expr(p);
                }
            } else if (!s->offset && p_accept_kw(p, KW_OFFSET)) {
                s->offset = parse_expr(p);
            }
        }
    }
    return s;
}

ast_select *parse_query(parser *p)
{
    ast_with *w = NULL;
    if (p_iskw(p, KW_WITH))
        w = parse_with(p);
    return parse_query_after_with(p, w);
}

/* FOR UPDATE | FOR NO KEY UPDATE | FOR SHARE | FOR KEY SHARE [OF t, ...] [NOWAIT | SKIP LOCKED],
 * any number of them, after the statement's query (ORDER BY, LIMIT and OFFSET come first). */
void parse_locking(parser *p, ast_select *s)
{
    while (p_accept_kw(p, KW_FOR)) {
        ast_locking *l = p_alloc(p, sizeof *l);
        if (p_accept_kw(p, KW_UPDATE)) {
            l->strength = AST_LOCK_UPDATE;
        } else if (p_accept_kw(p, KW_NO)) {
            p_expect_kw(p, KW_KEY);
            p_expect_kw(p, KW_UPDATE);
            l->strength = AST_LOCK_NO_KEY_UPDATE;
        } else if (p_accept_word(p, "SHARE")) {
            l->strength = AST_LOCK_SHARE;
        } else if (p_accept_kw(p, KW_KEY)) {
            if (!p_accept_word(p, "SHARE"))
                p_fail(p, "expected SHARE");
            l->strength = AST_LOCK_KEY_SHARE;
        } else {
            p_fail(p, "expected UPDATE, NO KEY UPDATE, SHARE or KEY SHARE");
        }
        if (p_accept_kw(p, KW_OF)) {
            do {
                p_push(p, &l->of, (void *)p_name(p, "expected a table name"));
            } while (p_accept(p, TK_COMMA));
        }
        if (p_accept_word(p, "NOWAIT")) {
            l->wait = AST_LOCK_NOWAIT;
        } else if (p_accept_word(p, "SKIP")) {
            if (!p_accept_word(p, "LOCKED"))
                p_fail(p, "expected LOCKED");
            l->wait = AST_LOCK_SKIP_LOCKED;
        }
        p_push(p, &s->locking, l);
    }
}
