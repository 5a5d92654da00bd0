/*
 * parse_dml.c — INSERT (with OR action, REPLACE INTO, column lists, VALUES/SELECT/DEFAULT
 * VALUES, ON CONFLICT upserts, RETURNING), UPDATE (SET a = e, (a, b) = (...), FROM, WHERE,
 * RETURNING) and DELETE (WHERE, RETURNING).
 *
 * An INSERT's rows are an ordinary VALUES query (ast_select), so INSERT ... VALUES and
 * INSERT ... SELECT reach the planner in the same shape; DEFAULT inside the rows is an
 * AST_E_DEFAULT expression the binder accepts only there.
 */
#include "sql/parse_int.h"

static ast_conflict parse_or_action(parser *p)
{
    if (!p_accept_kw(p, KW_OR))
        return AST_OR_NONE;
    if (p_accept_kw(p, KW_ROLLBACK)) return AST_OR_ROLLBACK;
    if (p_accept_kw(p, KW_ABORT)) return AST_OR_ABORT;
    if (p_accept_kw(p, KW_FAIL)) return AST_OR_FAIL;
    if (p_accept_kw(p, KW_IGNORE)) return AST_OR_IGNORE;
    if (p_accept_kw(p, KW_REPLACE)) return AST_OR_REPLACE;
    p_fail(p, "expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE");
}

static const char *table_alias(parser *p)
{
    if (p_accept_kw(p, KW_AS))
        return p_any_name(p, "expected an alias");
    return NULL;
}

static void parse_sets(parser *p, ast_list *l)
{
    do {
        ast_set *s = p_alloc(p, sizeof *s);
        if (p_is(p, TK_LP))
            p_name_list(p, &s->cols);
        else
            p_push(p, &s->cols, (void *)p_any_name(p, "expected a column name"));
        p_expect(p, TK_EQ, "=");
        s->e = parse_expr(p);
        p_push(p, l, s);
    } while (p_accept(p, TK_COMMA));
}

static void parse_returning(parser *p, ast_list *l)
{
    if (p_accept_kw(p, KW_RETURNING))
        parse_result_cols(p, l);
}

ast_stmt *parse_insert(parser *p, ast_with *w)
{
    ast_stmt *st = p_stmt(p, AST_INSERT);
    ast_insert *in = p_alloc(p, sizeof *in);
    st->u.insert = in;
    in->with = w;
    if (p_accept_kw(p, KW_REPLACE)) {
        in->replace_into = 1;
        in->or_action = AST_OR_REPLACE;
    } else {
        p_expect_kw(p, KW_INSERT);
        in->or_action = parse_or_action(p);
    }
    p_expect_kw(p, KW_INTO);
    p_qname(p, &in->table, "expected a table name");
    in->alias = table_alias(p);
    if (p_is(p, TK_LP) && !(p_peek(p, 1)->kind == TK_WORD &&
                            (p_peek(p, 1)->kw == KW_SELECT || p_peek(p, 1)->kw == KW_WITH ||
                             p_peek(p, 1)->kw == KW_VALUES)))
        p_name_list(p, &in->cols);
    if (p_accept_kw(p, KW_DEFAULT)) {
        p_expect_kw(p, KW_VALUES);
    } else if (parse_starts_query(p) || p_is(p, TK_LP)) {
        in->source = parse_query(p);
    } else {
        p_fail(p, "expected VALUES or SELECT");
    }
    while (p_iskw(p, KW_ON) && p_peek(p, 1)->kw == KW_CONFLICT) {
        p_advance(p);
        p_advance(p);
        ast_upsert *u = p_alloc(p, sizeof *u);
        if (p_accept(p, TK_LP)) {
            parse_order_list(p, &u->target);
            p_expect(p, TK_RP, ")");
            if (p_accept_kw(p, KW_WHERE))
                u->target_where = parse_expr(p);
        }
        p_expect_kw(p, KW_DO);
        if (p_accept_kw(p, KW_NOTHING)) {
            u->do_nothing = 1;
        } else {
            p_expect_kw(p, KW_UPDATE);
            p_expect_kw(p, KW_SET);
            parse_sets(p, &u->sets);
            if (p_accept_kw(p, KW_WHERE))
                u->where = parse_expr(p);
        }
        p_push(p, &in->upserts, u);
    }
    parse_returning(p, &in->returning);
    return st;
}

ast_stmt *parse_update(parser *p, ast_with *w)
{
    ast_stmt *st = p_stmt(p, AST_UPDATE);
    ast_update *u = p_alloc(p, sizeof *u);
    st->u.update = u;
    u->with = w;
    p_expect_kw(p, KW_UPDATE);
    u->or_action = parse_or_action(p);
    p_qname(p, &u->table, "expected a table name");
    u->alias = table_alias(p);
    if (!u->alias && p_is_name(p))
        u->alias = p_name(p, NULL);
    p_expect_kw(p, KW_SET);
    parse_sets(p, &u->sets);
    if (p_accept_kw(p, KW_FROM))
        u->from = parse_from(p);
    if (p_accept_kw(p, KW_WHERE))
        u->where = parse_expr(p);
    parse_returning(p, &u->returning);
    return st;
}

ast_stmt *parse_delete(parser *p, ast_with *w)
{
    ast_stmt *st = p_stmt(p, AST_DELETE);
    ast_delete *d = p_alloc(p, sizeof *d);
    st->u.del = d;
    d->with = w;
    p_expect_kw(p, KW_DELETE);
    p_expect_kw(p, KW_FROM);
    p_qname(p, &d->table, "expected a table name");
    d->alias = table_alias(p);
    if (!d->alias && p_is_name(p))
        d->alias = p_name(p, NULL);
    if (p_accept_kw(p, KW_WHERE))
        d->where = parse_expr(p);
    parse_returning(p, &d->returning);
    return st;
}
