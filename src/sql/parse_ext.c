/*
 * parse_ext.c — the project's extension statements (upstream-qsql.md §8), each into its own
 * statement kind so the engine can say "not supported yet: NEUROMATCH" until the subsystem
 * that runs it exists:
 *
 *   NEUROMATCH t [PATTERN e] [WHERE e] [WITH option...]
 *   QUANTUM_SEARCH t [AMPLITUDE_AMPLIFICATION] [WHERE e] [grover-options]
 *   QUANTUM_JOIN t1 t2 [ON e] [USING (cols)]
 *   SUPERPOSITION_QUERY (query) {, (query)}
 *   LEARN PATTERN e [FROM t] {option}
 *   ADAPT WEIGHTS [ON t] {option}
 *   SYNAPTIC_OPTIMIZE [[INDEX] name] [WITH option...]   (name: an index or a table)
 *   COMPRESS TABLE t USING algorithm
 *   DECOMPRESS TABLE t                    (DECOMPRESS is not a reserved word)
 *   SHOW COMPRESSION STATS FOR t          (STATS is not a reserved word)
 *   CREATE NEUROMORPHIC INDEX [name] ON t (cols) [WITH option...]
 *   OPTIMIZE QUBO t [WITH] [option...]    (OPTIMIZE and QUBO are not reserved words)
 *   VACUUM [FULL] [VERBOSE|FREEZE|ANALYZE ...] [t]   (exec_vacuum.c; the three words are
 *                                         parsed so that the executor can refuse them)
 *
 * An option is WORD [=] value, value a literal, a signed number or a bare word (upstream:
 * ALGORITHM HebbianLearning TRAINING_EPOCHS 50, RULE STDP LEARNING_RATE 0.01).
 *
 * QUANTUM_SEARCH runs (compile_grover.c), so its options are a fixed set, shared with the
 * USING QUANTUM GROVER hint of a SELECT and rejected with a message when unknown:
 *
 *   grover-options := [WITH] grover-option {[,] grover-option}
 *   grover-option  := AMPLITUDE_AMPLIFICATION | MAX_ITERATIONS [=] n | ITERATIONS [=] n
 *                   | MAX_QUBITS [=] n | SEED [=] n
 *
 * The form `QUANTUM_SEARCH t WHERE c WITH AMPLITUDE_AMPLIFICATION MAX_ITERATIONS 5` and
 * the upstream ones (`QUANTUM_SEARCH t AMPLITUDE_AMPLIFICATION`, `... WITH MAX_ITERATIONS = 10`)
 * are all instances. The SELECT
 * clause forms (NEUROMATCH clause, USING QUANTUM GROVER, QUANTUM_JOIN in FROM) are in
 * parse_select.c; NEUROMATCH(), SYNAPTIC_WEIGHT(), HEBBIAN_LEARNING(), QUANTUM_SEARCH() and
 * the DNA functions are ordinary function calls.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Options that are flags: the value is optional (HEBBIAN_STRENGTHENING, or
 * HEBBIAN_STRENGTHENING = FALSE); any other option takes one. */
static int flag_option(const char *name) { return !strcmp(name, "HEBBIAN_STRENGTHENING"); }

void parse_ext_options(parser *p, ast_list *l)
{
    while (p_is(p, TK_WORD)) {
        ast_option *o = p_alloc(p, sizeof *o);
        o->line = p->tok[0].line;
        o->col = p->tok[0].col;
        o->name = p_word_upper(p);
        int eq = p_accept(p, TK_EQ);
        if (eq || !flag_option(o->name) || p_is(p, TK_INTEGER) || p_is(p, TK_QIDENT) ||
            p_isword(p, "TRUE") || p_isword(p, "FALSE"))
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

/* A semantic error in a Grover option, with the position of the token it is about. */
static _Noreturn void grover_fail(parser *p, const lex_token *t, const char *msg)
{
    p->res->line = t->line;
    p->res->col = t->col;
    snprintf(p->res->hint, sizeof p->res->hint, "%s", msg);
    nq_err_set(p->err, SQL_ESYNTAX, "%s at line %u, column %u", msg, (unsigned)t->line,
               (unsigned)t->col);
    longjmp(p->jb, 1);
}

static const char *const grover_opt_names[] = {"AMPLITUDE_AMPLIFICATION", "MAX_ITERATIONS",
                                               "ITERATIONS", "MAX_QUBITS", "SEED"};

/* Which option a token names (index into grover_opt_names), or -1. */
static int grover_opt_tok(const lex_token *t)
{
    if (t->kind != TK_WORD)
        return -1;
    if (t->kw == KW_AMPLITUDE_AMPLIFICATION)
        return 0;
    for (int i = 1; i < 5; i++)
        if (t->kw == KW_NONE && t->len == strlen(grover_opt_names[i]) &&
            !strncasecmp(t->p, grover_opt_names[i], t->len))
            return i;
    return -1;
}

static int grover_opt_at(parser *p) { return grover_opt_tok(&p->tok[0]); }

void parse_grover_options(parser *p, ast_grover *g)
{
    int with = p_accept_kw(p, KW_WITH);
    for (;;) {
        int k = grover_opt_at(p);
        if (k < 0) {
            /* an unknown plain word where an option could stand (keywords such as ORDER or
             * LIMIT end the list, except right after WITH) */
            if (p_is(p, TK_WORD) && p->tok[0].kw == KW_NONE) {
                char msg[240];
                int n = p->tok[0].len > 64 ? 64 : (int)p->tok[0].len;
                snprintf(msg, sizeof msg, "unknown Grover option \"%.*s\"%s (expected AMPLITUDE_AMPLIFICATION, MAX_ITERATIONS, ITERATIONS, MAX_QUBITS or SEED)",
                         n, p->tok[0].p,
                         p_isword(p, "ORACLE") ? ": the oracle is the WHERE clause" : "");
                grover_fail(p, &p->tok[0], msg);
            }
            if (with)
                grover_fail(p, &p->tok[0], "expected a Grover option (AMPLITUDE_AMPLIFICATION, MAX_ITERATIONS, ITERATIONS, MAX_QUBITS or SEED) after WITH");
            return;
        }
        with = 0;
        const unsigned bit = 1u << k;
        const lex_token name = p->tok[0];
        char msg[160];
        if (g->set & bit) {
            snprintf(msg, sizeof msg, "%s is given twice", grover_opt_names[k]);
            grover_fail(p, &name, msg);
        }
        p_advance(p);
        g->set |= bit;
        if (k > 0) {
            p_accept(p, TK_EQ);
            const lex_token v = p->tok[0];
            int64_t lo = k == 2 || k == 4 ? 0 : 1, hi = k == 4 ? INT64_MAX : k == 3 ? 64 : INT32_MAX;
            if (!p_is(p, TK_INTEGER) || v.ival < lo || v.ival > hi) {
                if (k == 4)
                    snprintf(msg, sizeof msg, "SEED expects a non-negative integer");
                else
                    snprintf(msg, sizeof msg, "%s expects an integer from %lld to %lld",
                             grover_opt_names[k], (long long)lo, (long long)hi);
                grover_fail(p, &v, msg);
            }
            p_advance(p);
            if (k == 1)
                g->max_iterations = v.ival;
            else if (k == 2)
                g->iterations = v.ival;
            else if (k == 3)
                g->max_qubits = v.ival;
            else
                g->seed = v.ival;
        }
        /* a comma continues the list only when an option follows it */
        if (p_is(p, TK_COMMA) && grover_opt_tok(p_peek(p, 1)) >= 0)
            p_advance(p);
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

/* OPTIMIZE QUBO t [WITH] [option...]: the QUBO stored in table t, solved (tablefunc_qubo.c) */
static ast_stmt *parse_optimize_qubo(parser *p)
{
    ast_stmt *st = ext_stmt(p, AST_OPTIMIZE_QUBO);
    ast_ext *x = st->u.ext;
    p_advance(p);
    if (!p_accept_word(p, "QUBO"))
        p_fail(p, "expected QUBO");
    p_qname(p, &x->table, "expected a table name");
    if (p_accept_kw(p, KW_WITH) && !p_is(p, TK_WORD))
        p_fail(p, "expected an option");
    parse_ext_options(p, &x->options);
    return st;
}

ast_stmt *parse_ext(parser *p)
{
    if (!p_is(p, TK_WORD))
        return NULL;
    if (p_isword(p, "OPTIMIZE"))
        return parse_optimize_qubo(p);
    ast_stmt *st;
    ast_ext *x;
    if (p->tok[0].kw == KW_SHOW && p_peek(p, 1)->kw == KW_COMPRESSION) {
        st = ext_stmt(p, AST_SHOW_COMPRESSION);
        p_advance(p);
        p_advance(p);
        if (!p_accept_word(p, "STATS"))
            p_fail(p, "expected STATS");
        p_expect_kw(p, KW_FOR);
        p_qname(p, &st->u.ext->table, "expected a table name");
        return st;
    }
    if (p_isword(p, "VACUUM")) {
        st = ext_stmt(p, AST_VACUUM);
        x = st->u.ext;
        p_advance(p);
        if (p_accept_kw(p, KW_FULL))
            x->algorithm = "FULL";
        while (p_isword(p, "VERBOSE") || p_isword(p, "FREEZE") || p_iskw(p, KW_ANALYZE)) {
            ast_option *o = p_alloc(p, sizeof *o);
            o->line = p->tok[0].line;
            o->col = p->tok[0].col;
            o->name = p_word_upper(p);
            p_push(p, &x->options, o);
        }
        if (p_is_name(p))
            p_qname(p, &x->table, NULL);
        return st;
    }
    if (p_isword(p, "DECOMPRESS")) {
        st = ext_stmt(p, AST_DECOMPRESS_TABLE);
        p_advance(p);
        p_expect_kw(p, KW_TABLE);
        p_qname(p, &st->u.ext->table, "expected a table name");
        return st;
    }
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
            x->grover.set |= AST_GROVER_AMPLIFY; /* the upstream place of the word */
        if (p_accept_kw(p, KW_WHERE))
            x->where = parse_expr(p);
        parse_grover_options(p, &x->grover);
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
        if (p_accept_kw(p, KW_INDEX)) /* SYNAPTIC_OPTIMIZE INDEX name: the same as without INDEX */
            p_qname(p, &x->table, "expected an index name");
        else if (p_is_name(p))
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
