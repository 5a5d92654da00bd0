/*
 * parse_ddl.c — CREATE TABLE / INDEX / VIEW / TRIGGER, DROP, ALTER TABLE, TRUNCATE.
 *
 * Column types follow SQLite's liberal rule: any sequence of words (not constraint keywords)
 * with up to two numeric arguments is a type name, so DOUBLE PRECISION, VARCHAR(100),
 * DECIMAL(10,2), NEURAL_VECTOR(128) and UNSIGNED BIG INT all parse; the binder maps names to
 * storage classes. Constraints are a list per column plus a list per table, in the order
 * written. A trigger body is a list of ordinary statements; triggers are parsed so that the
 * engine can answer "not supported" precisely rather than "syntax error".
 */
#include "sql/parse_int.h"

static int if_not_exists(parser *p)
{
    if (p_iskw(p, KW_IF) && p_peek(p, 1)->kw == KW_NOT) {
        p_advance(p);
        p_advance(p);
        p_expect_kw(p, KW_EXISTS);
        return 1;
    }
    return 0;
}

static int if_exists(parser *p)
{
    if (p_iskw(p, KW_IF) && p_peek(p, 1)->kw == KW_EXISTS) {
        p_advance(p);
        p_advance(p);
        return 1;
    }
    return 0;
}

static ast_conflict on_conflict(parser *p)
{
    if (!(p_iskw(p, KW_ON) && p_peek(p, 1)->kw == KW_CONFLICT))
        return AST_OR_NONE;
    p_advance(p);
    p_advance(p);
    if (p_accept_kw(p, KW_ROLLBACK)) return AST_OR_ROLLBACK;
    if (p_accept_kw(p, KW_ABORT)) return AST_OR_ABORT;
    if (p_accept_kw(p, KW_FAIL)) return AST_OR_FAIL;
    if (p_accept_kw(p, KW_IGNORE)) return AST_OR_IGNORE;
    if (p_accept_kw(p, KW_REPLACE)) return AST_OR_REPLACE;
    p_fail(p, "expected ROLLBACK, ABORT, FAIL, IGNORE or REPLACE");
}

static ast_fk_action fk_action(parser *p)
{
    if (p_accept_kw(p, KW_CASCADE)) return AST_FK_CASCADE;
    if (p_accept_kw(p, KW_RESTRICT)) return AST_FK_RESTRICT;
    if (p_accept_kw(p, KW_SET)) {
        if (p_accept_kw(p, KW_NULL)) return AST_FK_SET_NULL;
        p_expect_kw(p, KW_DEFAULT);
        return AST_FK_SET_DEFAULT;
    }
    if (p_accept_kw(p, KW_NO)) {
        p_expect_kw(p, KW_ACTION);
        return AST_FK_NO_ACTION;
    }
    p_fail(p, "expected CASCADE, SET NULL, SET DEFAULT, RESTRICT or NO ACTION");
}

static ast_fk *parse_fk(parser *p)
{
    ast_fk *fk = p_alloc(p, sizeof *fk);
    p_expect_kw(p, KW_REFERENCES);
    p_qname(p, &fk->table, "expected a table name");
    if (p_is(p, TK_LP))
        p_name_list(p, &fk->cols);
    for (;;) {
        if (p_iskw(p, KW_ON) && p_peek(p, 1)->kw != KW_CONFLICT) {
            p_advance(p);
            if (p_accept_kw(p, KW_DELETE))
                fk->on_delete = fk_action(p);
            else if (p_accept_kw(p, KW_UPDATE))
                fk->on_update = fk_action(p);
            else
                p_fail(p, "expected DELETE or UPDATE");
        } else if (p_accept_kw(p, KW_MATCH)) {
            p_name(p, "expected SIMPLE, PARTIAL or FULL");
        } else {
            break;
        }
    }
    int not_ = 0;
    if (p_iskw(p, KW_NOT) && p_peek(p, 1)->kw == KW_DEFERRABLE) {
        p_advance(p);
        not_ = 1;
    }
    if (p_accept_kw(p, KW_DEFERRABLE)) {
        fk->deferrable = not_ ? 4 : 3;
        if (p_accept_kw(p, KW_INITIALLY)) {
            if (p_accept_kw(p, KW_DEFERRED))
                fk->deferrable = not_ ? 4 : 1;
            else {
                p_expect_kw(p, KW_IMMEDIATE);
                fk->deferrable = not_ ? 4 : 2;
            }
        }
    }
    return fk;
}

static ast_constraint *new_cons(parser *p, ast_cons_kind k, const char *name)
{
    ast_constraint *c = p_alloc(p, sizeof *c);
    c->kind = k;
    c->name = name;
    return c;
}

/* One column constraint, or NULL when the next token starts none. */
static ast_constraint *parse_col_constraint(parser *p)
{
    const char *name = NULL;
    if (p_accept_kw(p, KW_CONSTRAINT))
        name = p_any_name(p, "expected a constraint name");
    ast_constraint *c;
    if (p_accept_kw(p, KW_PRIMARY)) {
        p_expect_kw(p, KW_KEY);
        c = new_cons(p, AST_CONS_PRIMARY_KEY, name);
        if (p_accept_kw(p, KW_ASC))
            c->dir = AST_DIR_ASC;
        else if (p_accept_kw(p, KW_DESC))
            c->dir = AST_DIR_DESC;
        c->on_conflict = on_conflict(p);
        if (p_accept_kw(p, KW_AUTOINCREMENT))
            c->autoincrement = 1;
    } else if (p_iskw(p, KW_NOT) && p_peek(p, 1)->kw == KW_NULL) {
        p_advance(p);
        p_advance(p);
        c = new_cons(p, AST_CONS_NOT_NULL, name);
        c->on_conflict = on_conflict(p);
    } else if (p_accept_kw(p, KW_NULL)) {
        c = new_cons(p, AST_CONS_NULL, name);
    } else if (p_accept_kw(p, KW_UNIQUE)) {
        c = new_cons(p, AST_CONS_UNIQUE, name);
        c->on_conflict = on_conflict(p);
    } else if (p_accept_kw(p, KW_DEFAULT)) {
        c = new_cons(p, AST_CONS_DEFAULT, name);
        c->e = parse_term(p);
    } else if (p_accept_kw(p, KW_CHECK)) {
        c = new_cons(p, AST_CONS_CHECK, name);
        p_expect(p, TK_LP, "(");
        c->e = parse_expr(p);
        p_expect(p, TK_RP, ")");
    } else if (p_iskw(p, KW_REFERENCES)) {
        c = new_cons(p, AST_CONS_REFERENCES, name);
        c->fk = parse_fk(p);
    } else if (p_accept_kw(p, KW_COLLATE)) {
        c = new_cons(p, AST_CONS_COLLATE, name);
        c->text = p_any_name(p, "expected a collation name");
    } else if (p_accept_kw(p, KW_AUTO_INCREMENT) || p_accept_kw(p, KW_AUTOINCREMENT)) {
        c = new_cons(p, AST_CONS_AUTOINCREMENT, name);
    } else if (p_iskw(p, KW_GENERATED) || p_iskw(p, KW_AS)) {
        if (p_accept_kw(p, KW_GENERATED))
            p_expect_kw(p, KW_ALWAYS);
        p_expect_kw(p, KW_AS);
        c = new_cons(p, AST_CONS_GENERATED, name);
        p_expect(p, TK_LP, "(");
        c->e = parse_expr(p);
        p_expect(p, TK_RP, ")");
        if (p_accept_kw(p, KW_STORED))
            c->stored = 1;
        else
            p_accept_kw(p, KW_VIRTUAL);
    } else if (p_iskw(p, KW_WITH) && p_peek(p, 1)->kw == KW_COMPRESSION) {
        p_advance(p);
        p_advance(p);
        c = new_cons(p, AST_CONS_COMPRESSION, name);
        c->text = p_word_upper(p);
    } else {
        if (name)
            p_fail(p, "expected a constraint");
        return NULL;
    }
    return c;
}

ast_column_def *parse_column_def(parser *p)
{
    ast_column_def *cd = p_alloc(p, sizeof *cd);
    cd->name = p_any_name(p, "expected a column name");
    if (p_is(p, TK_QIDENT) ||
        (p_is(p, TK_WORD) && !lex_kw_reserved(p->tok[0].kw) && p->tok[0].kw != KW_AUTOINCREMENT &&
         p->tok[0].kw != KW_AUTO_INCREMENT && p->tok[0].kw != KW_GENERATED))
        cd->type = parse_type(p);
    ast_constraint *c;
    while ((c = parse_col_constraint(p)) != NULL)
        p_push(p, &cd->cons, c);
    return cd;
}

static int starts_table_constraint(parser *p)
{
    return p_iskw(p, KW_CONSTRAINT) || p_iskw(p, KW_PRIMARY) || p_iskw(p, KW_UNIQUE) ||
           p_iskw(p, KW_CHECK) || p_iskw(p, KW_FOREIGN);
}

static ast_constraint *parse_table_constraint(parser *p)
{
    const char *name = NULL;
    if (p_accept_kw(p, KW_CONSTRAINT))
        name = p_any_name(p, "expected a constraint name");
    ast_constraint *c;
    if (p_accept_kw(p, KW_PRIMARY) || p_iskw(p, KW_UNIQUE)) {
        int pk = !p_accept_kw(p, KW_UNIQUE);
        if (pk)
            p_expect_kw(p, KW_KEY);
        c = new_cons(p, pk ? AST_CONS_PRIMARY_KEY : AST_CONS_UNIQUE, name);
        p_expect(p, TK_LP, "(");
        parse_order_list(p, &c->cols);
        p_expect(p, TK_RP, ")");
        c->on_conflict = on_conflict(p);
    } else if (p_accept_kw(p, KW_CHECK)) {
        c = new_cons(p, AST_CONS_CHECK, name);
        p_expect(p, TK_LP, "(");
        c->e = parse_expr(p);
        p_expect(p, TK_RP, ")");
    } else if (p_accept_kw(p, KW_FOREIGN)) {
        p_expect_kw(p, KW_KEY);
        c = new_cons(p, AST_CONS_FOREIGN_KEY, name);
        p_name_list(p, &c->cols);
        c->fk = parse_fk(p);
    } else {
        p_fail(p, "expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY");
    }
    return c;
}

static ast_stmt *parse_create_table(parser *p, int temp)
{
    ast_stmt *st = p_stmt(p, AST_CREATE_TABLE);
    ast_create_table *ct = p_alloc(p, sizeof *ct);
    st->u.create_table = ct;
    ct->temp = temp;
    p_expect_kw(p, KW_TABLE);
    ct->if_not_exists = if_not_exists(p);
    p_qname(p, &ct->name, "expected a table name");
    if (p_accept_kw(p, KW_AS)) {
        ct->as_select = parse_query(p);
        return st;
    }
    p_expect(p, TK_LP, "( or AS");
    do {
        if (starts_table_constraint(p) && ct->cols.n)
            p_push(p, &ct->cons, parse_table_constraint(p));
        else if (ct->cons.n)
            p_fail(p, "expected a table constraint");
        else
            p_push(p, &ct->cols, parse_column_def(p));
    } while (p_accept(p, TK_COMMA));
    p_expect(p, TK_RP, ")");
    do {
        if (p_accept_kw(p, KW_WITHOUT)) {
            if (!p_accept_word(p, "ROWID"))
                p_fail(p, "expected ROWID");
            ct->without_rowid = 1;
        } else if (p_accept_word(p, "STRICT")) {
            ct->strict = 1;
        } else if (ct->without_rowid || ct->strict) {
            p_fail(p, "expected WITHOUT ROWID or STRICT");
        }
    } while ((ct->without_rowid || ct->strict) && p_accept(p, TK_COMMA));
    return st;
}

static ast_stmt *parse_create_index(parser *p, int unique)
{
    ast_stmt *st = p_stmt(p, AST_CREATE_INDEX);
    ast_create_index *ci = p_alloc(p, sizeof *ci);
    st->u.create_index = ci;
    ci->unique = unique;
    p_expect_kw(p, KW_INDEX);
    ci->if_not_exists = if_not_exists(p);
    p_qname(p, &ci->name, "expected an index name");
    p_expect_kw(p, KW_ON);
    p_qname(p, &ci->table, "expected a table name");
    p_expect(p, TK_LP, "(");
    parse_order_list(p, &ci->items);
    p_expect(p, TK_RP, ")");
    if (p_accept_kw(p, KW_WHERE))
        ci->where = parse_expr(p);
    return st;
}

static ast_stmt *parse_create_view(parser *p, int temp)
{
    ast_stmt *st = p_stmt(p, AST_CREATE_VIEW);
    ast_create_view *v = p_alloc(p, sizeof *v);
    st->u.create_view = v;
    v->temp = temp;
    p_expect_kw(p, KW_VIEW);
    v->if_not_exists = if_not_exists(p);
    p_qname(p, &v->name, "expected a view name");
    if (p_is(p, TK_LP))
        p_name_list(p, &v->cols);
    p_expect_kw(p, KW_AS);
    v->query = parse_query(p);
    return st;
}

static ast_stmt *parse_create_trigger(parser *p, int temp)
{
    ast_stmt *st = p_stmt(p, AST_CREATE_TRIGGER);
    ast_create_trigger *t = p_alloc(p, sizeof *t);
    st->u.create_trigger = t;
    t->temp = temp;
    p_expect_kw(p, KW_TRIGGER);
    t->if_not_exists = if_not_exists(p);
    p_qname(p, &t->name, "expected a trigger name");
    if (p_accept_kw(p, KW_BEFORE)) {
        t->time = AST_TRIG_BEFORE;
    } else if (p_accept_kw(p, KW_AFTER)) {
        t->time = AST_TRIG_AFTER;
    } else if (p_accept_kw(p, KW_INSTEAD)) {
        p_expect_kw(p, KW_OF);
        t->time = AST_TRIG_INSTEAD_OF;
    }
    if (p_accept_kw(p, KW_INSERT)) {
        t->event = AST_TRIG_INSERT;
    } else if (p_accept_kw(p, KW_DELETE)) {
        t->event = AST_TRIG_DELETE;
    } else if (p_accept_kw(p, KW_UPDATE)) {
        t->event = AST_TRIG_UPDATE;
        if (p_accept_kw(p, KW_OF)) {
            do {
                p_push(p, &t->update_cols, (void *)p_any_name(p, "expected a column name"));
            } while (p_accept(p, TK_COMMA));
        }
    } else {
        p_fail(p, "expected INSERT, UPDATE or DELETE");
    }
    p_expect_kw(p, KW_ON);
    p_qname(p, &t->table, "expected a table name");
    if (p_accept_kw(p, KW_FOR)) {
        p_expect_kw(p, KW_EACH);
        p_expect_kw(p, KW_ROW);
        t->for_each_row = 1;
    }
    if (p_accept_kw(p, KW_WHEN))
        t->when = parse_expr(p);
    p_expect_kw(p, KW_BEGIN);
    do {
        if (!(p_iskw(p, KW_SELECT) || p_iskw(p, KW_INSERT) || p_iskw(p, KW_UPDATE) ||
              p_iskw(p, KW_DELETE) || p_iskw(p, KW_REPLACE) || p_iskw(p, KW_WITH) ||
              p_iskw(p, KW_VALUES)))
            p_fail(p, "expected SELECT, INSERT, UPDATE or DELETE");
        p_push(p, &t->body, parse_statement(p));
        p_expect(p, TK_SEMI, ";");
    } while (!p_iskw(p, KW_END));
    p_expect_kw(p, KW_END);
    return st;
}

ast_stmt *parse_create(parser *p)
{
    p_expect_kw(p, KW_CREATE);
    int temp = p_accept_kw(p, KW_TEMP) || p_accept_kw(p, KW_TEMPORARY);
    if (p_iskw(p, KW_TABLE))
        return parse_create_table(p, temp);
    if (p_iskw(p, KW_VIEW))
        return parse_create_view(p, temp);
    if (p_iskw(p, KW_TRIGGER))
        return parse_create_trigger(p, temp);
    if (!temp) {
        if (p_accept_kw(p, KW_UNIQUE))
            return parse_create_index(p, 1);
        if (p_iskw(p, KW_INDEX))
            return parse_create_index(p, 0);
        if (p_iskw(p, KW_NEUROMORPHIC))
            return parse_create_neuromorphic_index(p);
    }
    p_fail(p, temp ? "expected TABLE, VIEW or TRIGGER" : "expected TABLE, INDEX, VIEW or TRIGGER");
}

ast_stmt *parse_drop(parser *p)
{
    ast_stmt *st = p_stmt(p, AST_DROP);
    ast_drop *d = p_alloc(p, sizeof *d);
    st->u.drop = d;
    p_expect_kw(p, KW_DROP);
    if (p_accept_kw(p, KW_TABLE))
        d->what = AST_OBJ_TABLE;
    else if (p_accept_kw(p, KW_INDEX))
        d->what = AST_OBJ_INDEX;
    else if (p_accept_kw(p, KW_VIEW))
        d->what = AST_OBJ_VIEW;
    else if (p_accept_kw(p, KW_TRIGGER))
        d->what = AST_OBJ_TRIGGER;
    else
        p_fail(p, "expected TABLE, INDEX, VIEW or TRIGGER");
    d->if_exists = if_exists(p);
    do {
        ast_qname *q = p_alloc(p, sizeof *q);
        p_qname(p, q, "expected a name");
        p_push(p, &d->names, q);
    } while (p_accept(p, TK_COMMA));
    if (p_accept_kw(p, KW_CASCADE))
        d->cascade = 1;
    else if (p_accept_kw(p, KW_RESTRICT))
        d->cascade = 2;
    return st;
}

ast_stmt *parse_alter(parser *p)
{
    ast_stmt *st = p_stmt(p, AST_ALTER_TABLE);
    ast_alter *al = p_alloc(p, sizeof *al);
    st->u.alter = al;
    p_expect_kw(p, KW_ALTER);
    p_expect_kw(p, KW_TABLE);
    p_qname(p, &al->table, "expected a table name");
    if (p_accept_kw(p, KW_ADD)) {
        p_accept_kw(p, KW_COLUMN);
        al->kind = AST_ALTER_ADD_COLUMN;
        al->if_exists = if_not_exists(p);
        al->col = parse_column_def(p);
    } else if (p_accept_kw(p, KW_DROP)) {
        p_accept_kw(p, KW_COLUMN);
        al->kind = AST_ALTER_DROP_COLUMN;
        al->if_exists = if_exists(p);
        al->name = p_any_name(p, "expected a column name");
    } else if (p_accept_kw(p, KW_RENAME)) {
        if (p_accept_kw(p, KW_TO)) {
            al->kind = AST_ALTER_RENAME_TABLE;
            al->name = p_any_name(p, "expected a table name");
        } else {
            p_accept_kw(p, KW_COLUMN);
            al->kind = AST_ALTER_RENAME_COLUMN;
            al->name = p_any_name(p, "expected a column name");
            p_expect_kw(p, KW_TO);
            al->new_name = p_any_name(p, "expected a column name");
        }
    } else {
        p_fail(p, "expected ADD, DROP or RENAME");
    }
    return st;
}

ast_stmt *parse_truncate(parser *p)
{
    ast_stmt *st = p_stmt(p, AST_TRUNCATE);
    ast_truncate *t = p_alloc(p, sizeof *t);
    st->u.truncate = t;
    p_expect_kw(p, KW_TRUNCATE);
    p_accept_kw(p, KW_TABLE);
    p_qname(p, &t->table, "expected a table name");
    if (p_accept_kw(p, KW_RESTART)) {
        if (!p_accept_word(p, "IDENTITY"))
            p_fail(p, "expected IDENTITY");
        t->identity = 1;
    } else if (p_accept_kw(p, KW_CONTINUE)) {
        if (!p_accept_word(p, "IDENTITY"))
            p_fail(p, "expected IDENTITY");
        t->identity = 2;
    }
    if (p_accept_kw(p, KW_CASCADE))
        t->cascade = 1;
    else if (p_accept_kw(p, KW_RESTRICT))
        t->cascade = 2;
    return st;
}
