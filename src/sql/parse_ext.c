/*
 * parse_ext.c — the project's extension statements (upstream-qsql.md §8), each into its own
 * statement kind so the engine can say "not supported yet: NEUROMATCH" until the subsystem
 * that runs it exists:
 *
 *   NEUROMATCH t [PATTERN e] [WHERE e] [WITH option...]
 *   QUANTUM_SEARCH t [AMPLITUDE_AMPLIFICATION] [WHERE e] [WITH option...]
 *   QUANTUM_JOIN t1 t2 [ON e] [USING (cols)]
 *   SUPERPOSITION_QUERY (query) {, (query)}
 *   LEARN PATTERN e [FROM t] {option}
 *   ADAPT WEIGHTS [ON t] {option}
 *   SYNAPTIC_OPTIMIZE [t] [WITH option...]
 *   COMPRESS TABLE t USING algorithm
 *   CREATE NEUROMORPHIC INDEX [name] ON t (cols) [WITH option...]
 *
 * An option is WORD [=] value, value a literal, a signed number or a bare word (upstream:
 * ALGORITHM HebbianLearning TRAINING_EPOCHS 50, RULE STDP LEARNING_RATE 0.01). The SELECT
 * clause forms (NEUROMATCH clause, USING QUANTUM GROVER, QUANTUM_JOIN in FROM) are in
 * parse_select.c; NEUROMATCH(), SYNAPTIC_WEIGHT(), HEBBIAN_LEARNING(), QUANTUM_SEARCH() and
 * the DNA functions are ordinary function calls.
 */
#include "sql/parse_int.h"

static ast_expr *option_value(parser *p)
{
    const lex_token at = p->tok[0];
    switch (at.kind) {
    case TK_INTEGER:
    case TK_REAL:
    case TK_STRING:
    case TK_DNA:
        return parse_term(p);
    case TK_MINUS:
    case TK_PLUS:
        if (p_peek(p, 1)->kind != TK_INTEGER && p_peek(p, 1)->kind != TK_REAL)
            p_fail_at(p, p_peek(p, 1), "expected a number");
        return parse_term(p);
    case TK_WORD:
    case TK_QIDENT: {
        ast_expr *e = parse_expr_new(p, AST_E_COLUMN, &at);
        e->name = p_any_name(p, NULL);
        return e;
    }
    default:
        p_fail(p, "expected an option value");
    }
}

void parse_ext_options(parser *p, ast_list *l)
{
    while (p_is(p, TK_WORD)) {
        ast_option *o = p_alloc(p, sizeof *o);
        o->name = p_word_upper(p);
        p_accept(p, TK_EQ);
        o->value = option_value(p);
        p_push(p, l, o);
    }
}

static void with_options(parser *p, ast_list *l)
{
    if (p_accept_kw(p, KW_WITH)) {
        if (!p_is(p, TK_WORD))
            p_fail(p, "expected an option");
        parse_ext_options(p, l);
    }
}

static ast_stmt *ext_stmt(parser *p, ast_stmt_kind k)
{
    ast_stmt *st = p_stmt(p, k);
    st->u.ext = p_alloc(p, sizeof(ast_ext));
    return st;
}

ast_stmt *parse_create_neuromorphic_index(parser *p)
{
    ast_stmt *st = p_stmt(p, AST_CREATE_INDEX);
    ast_create_index *ci = p_alloc(p, sizeof *ci);
    st->u.create_index = ci;
    ci->neuromorphic = 1;
    p_expect_kw(p, KW_NEUROMORPHIC);
    p_expect_kw(p, KW_INDEX);
    if (p_iskw(p, KW_IF) && p_peek(p, 1)->kw == KW_NOT) {
        p_advance(p);
        p_advance(p);
        p_expect_kw(p, KW_EXISTS);
        ci->if_not_exists = 1;
    }
    if (!p_iskw(p, KW_ON))
        p_qname(p, &ci->name, "expected an index name or ON");
    p_expect_kw(p, KW_ON);
    p_qname(p, &ci->table, "expected a table name");
    p_expect(p, TK_LP, "(");
    parse_order_list(p, &ci->items);
    p_expect(p, TK_RP, ")");
    with_options(p, &ci->options);
    return st;
}

ast_stmt *parse_ext(parser *p)
{
    if (!p_is(p, TK_WORD))
        return NULL;
    ast_stmt *st;
    ast_ext *x;
    switch (p->tok[0].kw) {
    case KW_NEUROMATCH:
        st = ext_stmt(p, AST_NEUROMATCH);
        x = st->u.ext;
        p_advance(p);
        p_qname(p, &x->table, "expected a table name");
        if (p_accept_word(p, "PATTERN"))
            x->pattern = parse_expr(p);
        if (p_accept_kw(p, KW_WHERE))
            x->where = parse_expr(p);
        with_options(p, &x->options);
        return st;
    case KW_QUANTUM_SEARCH:
        st = ext_stmt(p, AST_QUANTUM_SEARCH);
        x = st->u.ext;
        p_advance(p);
        p_qname(p, &x->table, "expected a table name");
        if (p_accept_kw(p, KW_AMPLITUDE_AMPLIFICATION))
            x->amplitude_amplification = 1;
        if (p_accept_kw(p, KW_WHERE))
            x->where = parse_expr(p);
        with_options(p, &x->options);
        return st;
    case KW_QUANTUM_JOIN:
        st = ext_stmt(p, AST_QUANTUM_JOIN);
        x = st->u.ext;
        p_advance(p);
        p_qname(p, &x->table, "expected a table name");
        p_qname(p, &x->table2, "expected a second table name");
        if (p_accept_kw(p, KW_ON))
            x->on = parse_expr(p);
        if (p_accept_kw(p, KW_USING))
            p_name_list(p, &x->using_cols);
        return st;
    case KW_SUPERPOSITION_QUERY:
        st = ext_stmt(p, AST_SUPERPOSITION_QUERY);
        x = st->u.ext;
        p_advance(p);
        do {
            p_expect(p, TK_LP, "(");
            p_push(p, &x->queries, parse_query(p));
            p_expect(p, TK_RP, ")");
        } while (p_accept(p, TK_COMMA));
        return st;
    case KW_LEARN:
        st = ext_stmt(p, AST_LEARN_PATTERN);
        x = st->u.ext;
        p_advance(p);
        if (!p_accept_word(p, "PATTERN"))
            p_fail(p, "expected PATTERN");
        x->pattern = option_value(p);
        if (p_accept_kw(p, KW_FROM))
            p_qname(p, &x->table, "expected a table name");
        parse_ext_options(p, &x->options);
        return st;
    case KW_ADAPT:
        st = ext_stmt(p, AST_ADAPT_WEIGHTS);
        x = st->u.ext;
        p_advance(p);
        if (!p_accept_word(p, "WEIGHTS"))
            p_fail(p, "expected WEIGHTS");
        if (p_accept_kw(p, KW_ON))
            p_qname(p, &x->table, "expected a table name");
        parse_ext_options(p, &x->options);
        return st;
    case KW_SYNAPTIC_OPTIMIZE:
        st = ext_stmt(p, AST_SYNAPTIC_OPTIMIZE);
        x = st->u.ext;
        p_advance(p);
        if (p_is_name(p))
            p_qname(p, &x->table, NULL);
        with_options(p, &x->options);
        return st;
    case KW_COMPRESS:
        st = ext_stmt(p, AST_COMPRESS_TABLE);
        x = st->u.ext;
        p_advance(p);
        p_expect_kw(p, KW_TABLE);
        p_qname(p, &x->table, "expected a table name");
        p_expect_kw(p, KW_USING);
        if (!p_is(p, TK_WORD))
            p_fail(p, "expected a compression algorithm");
        x->algorithm = p_word_upper(p);
        return st;
    default:
        return NULL;
    }
}
