/*
 * parse_expr.c — expressions, by precedence climbing: one function per level, lowest first.
 *
 *   OR < AND < NOT < comparison (= == != <> < <= > >= IS [NOT] [DISTINCT FROM], ISNULL, NOTNULL,
 *   [NOT] IN, [NOT] LIKE/ILIKE/GLOB/REGEXP/MATCH [ESCAPE], [NOT] BETWEEN)
 *   < bitwise (& | << >>) < || < + - < * / % < unary - + ~ < COLLATE < :: (postfix cast)
 *
 * All binary levels are left-associative; comparison is one level, so a = b = c is
 * (a = b) = c. BETWEEN's bounds are parsed at the bitwise level, so the AND between them is
 * never taken as a boolean AND. NOT may also start an operand (1 = NOT 0), where it extends as
 * far as a NOT at the head of an expression would. Literals, names, calls (with DISTINCT,
 * FILTER, OVER), CASE, CAST, EXISTS, subqueries, row values and [array] literals are
 * primaries. Each nesting level passes p_enter, which bounds the recursion.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/parse_int.h"

static ast_expr *parse_or(parser *p);
static ast_expr *parse_not(parser *p);
static ast_expr *parse_bit(parser *p);
static ast_expr *parse_unary(parser *p);

ast_expr *parse_expr_new(parser *p, ast_expr_kind k, const lex_token *at)
{
    ast_expr *e = p_alloc(p, sizeof *e);
    e->kind = k;
    e->line = at->line;
    e->col = at->col;
    return e;
}

static ast_expr *binary(parser *p, ast_op op, ast_expr *l, ast_expr *r)
{
    ast_expr *e = p_alloc(p, sizeof *e);
    e->kind = AST_E_BINARY;
    e->op = op;
    e->a = l;
    e->b = r;
    e->line = l->line;
    e->col = l->col;
    return e;
}

ast_expr *parse_expr(parser *p)
{
    p_enter(p);
    ast_expr *e = parse_or(p);
    p_leave(p);
    return e;
}

void parse_expr_list(parser *p, ast_list *l)
{
    do {
        p_push(p, l, parse_expr(p));
    } while (p_accept(p, TK_COMMA));
}

static ast_expr *parse_and(parser *p)
{
    ast_expr *l = parse_not(p);
    while (p_accept_kw(p, KW_AND))
        l = binary(p, AST_OP_AND, l, parse_not(p));
    return l;
}

static ast_expr *parse_or(parser *p)
{
    ast_expr *l = parse_and(p);
    while (p_accept_kw(p, KW_OR))
        l = binary(p, AST_OP_OR, l, parse_and(p));
    return l;
}

static ast_expr *parse_cmp(parser *p);

static ast_expr *parse_not(parser *p)
{
    if (p_iskw(p, KW_NOT)) {
        lex_token at = p->tok[0];
        p_advance(p);
        p_enter(p);
        ast_expr *e = parse_expr_new(p, AST_E_UNARY, &at);
        e->op = AST_OP_NOT;
        e->a = parse_not(p);
        p_leave(p);
        return e;
    }
    return parse_cmp(p);
}

static ast_op like_op(int kw)
{
    switch (kw) {
    case KW_LIKE: return AST_OP_LIKE;
    case KW_ILIKE: return AST_OP_ILIKE;
    case KW_GLOB: return AST_OP_GLOB;
    case KW_REGEXP: return AST_OP_REGEXP;
    case KW_MATCH: return AST_OP_MATCH;
    default: return AST_OP_NONE;
    }
}

static ast_expr *is_null(parser *p, ast_expr *l, int not_)
{
    lex_token at = p->tok[0];
    ast_expr *n = parse_expr_new(p, AST_E_NULL, &at);
    return binary(p, not_ ? AST_OP_IS_NOT : AST_OP_IS, l, n);
}

static ast_expr *parse_cmp(parser *p)
{
    ast_expr *l = parse_bit(p);
    for (;;) {
        const lex_token *t = &p->tok[0];
        ast_op op = AST_OP_NONE;
        switch (t->kind) {
        case TK_EQ: op = AST_OP_EQ; break;
        case TK_NE: op = AST_OP_NE; break;
        case TK_LT: op = AST_OP_LT; break;
        case TK_LE: op = AST_OP_LE; break;
        case TK_GT: op = AST_OP_GT; break;
        case TK_GE: op = AST_OP_GE; break;
        default: break;
        }
        if (op != AST_OP_NONE) {
            p_advance(p);
            l = binary(p, op, l, parse_bit(p));
            continue;
        }
        if (t->kind != TK_WORD)
            break;
        int kw = t->kw;
        if (kw == KW_IS) {
            p_advance(p);
            int not_ = p_accept_kw(p, KW_NOT);
            if (p_accept_kw(p, KW_DISTINCT)) {
                p_expect_kw(p, KW_FROM);
                l = binary(p, not_ ? AST_OP_IS_NOT_DISTINCT : AST_OP_IS_DISTINCT, l, parse_bit(p));
            } else {
                l = binary(p, not_ ? AST_OP_IS_NOT : AST_OP_IS, l, parse_bit(p));
            }
            continue;
        }
        if (kw == KW_ISNULL || kw == KW_NOTNULL) {
            p_advance(p);
            l = is_null(p, l, kw == KW_NOTNULL);
            continue;
        }
        int not_ = 0;
        if (kw == KW_NOT) {
            int k1 = p_peek(p, 1)->kind == TK_WORD ? p_peek(p, 1)->kw : KW_NONE;
            if (k1 == KW_NULL) {
                p_advance(p);
                p_advance(p);
                l = is_null(p, l, 1);
                continue;
            }
            if (k1 != KW_IN && k1 != KW_BETWEEN && like_op(k1) == AST_OP_NONE)
                break;
            p_advance(p);
            not_ = 1;
            kw = p->tok[0].kw;
        }
        if (kw == KW_IN) {
            lex_token at = p->tok[0];
            p_advance(p);
            ast_expr *e;
            if (p_accept(p, TK_LP)) {
                if (parse_starts_query(p)) {
                    e = parse_expr_new(p, AST_E_IN_SELECT, &at);
                    e->sub = parse_query(p);
                } else {
                    e = parse_expr_new(p, AST_E_IN_LIST, &at);
                    if (!p_is(p, TK_RP))
                        parse_expr_list(p, &e->list);
                }
                p_expect(p, TK_RP, ")");
            } else {
                e = parse_expr_new(p, AST_E_IN_TABLE, &at);
                ast_qname q;
                p_qname(p, &q, "expected ( or a table name");
                e->name = q.name;
                e->schema = q.schema;
            }
            e->a = l;
            e->not_ = not_;
            e->line = l->line;
            e->col = l->col;
            l = e;
            continue;
        }
        if (kw == KW_BETWEEN) {
            p_advance(p);
            ast_expr *e = parse_expr_new(p, AST_E_BETWEEN, &p->tok[0]);
            e->a = l;
            e->not_ = not_;
            e->b = parse_bit(p);
            p_expect_kw(p, KW_AND);
            e->c = parse_bit(p);
            e->line = l->line;
            e->col = l->col;
            l = e;
            continue;
        }
        if (like_op(kw) != AST_OP_NONE) {
            p_advance(p);
            ast_expr *e = parse_expr_new(p, AST_E_LIKE, &p->tok[0]);
            e->op = like_op(kw);
            e->a = l;
            e->not_ = not_;
            e->b = parse_bit(p);
            if (p_accept_kw(p, KW_ESCAPE))
                e->c = parse_bit(p);
            e->line = l->line;
            e->col = l->col;
            l = e;
            continue;
        }
        break;
    }
    return l;
}

static ast_expr *parse_concat(parser *p);

static ast_expr *parse_bit(parser *p)
{
    ast_expr *l = parse_concat(p);
    for (;;) {
        ast_op op;
        switch (p->tok[0].kind) {
        case TK_BITAND: op = AST_OP_BITAND; break;
        case TK_BITOR: op = AST_OP_BITOR; break;
        case TK_LSHIFT: op = AST_OP_LSHIFT; break;
        case TK_RSHIFT: op = AST_OP_RSHIFT; break;
        default: return l;
        }
        p_advance(p);
        l = binary(p, op, l, parse_concat(p));
    }
}

static ast_expr *parse_add(parser *p);

static ast_expr *parse_concat(parser *p)
{
    ast_expr *l = parse_add(p);
    while (p_accept(p, TK_CONCAT))
        l = binary(p, AST_OP_CONCAT, l, parse_add(p));
    return l;
}

static ast_expr *parse_mul(parser *p);

static ast_expr *parse_add(parser *p)
{
    ast_expr *l = parse_mul(p);
    for (;;) {
        if (p_accept(p, TK_PLUS))
            l = binary(p, AST_OP_ADD, l, parse_mul(p));
        else if (p_accept(p, TK_MINUS))
            l = binary(p, AST_OP_SUB, l, parse_mul(p));
        else
            return l;
    }
}

static ast_expr *parse_mul(parser *p)
{
    ast_expr *l = parse_unary(p);
    for (;;) {
        ast_op op;
        switch (p->tok[0].kind) {
        case TK_STAR: op = AST_OP_MUL; break;
        case TK_SLASH: op = AST_OP_DIV; break;
        case TK_PERCENT: op = AST_OP_MOD; break;
        default: return l;
        }
        p_advance(p);
        l = binary(p, op, l, parse_unary(p));
    }
}

static ast_expr *parse_postfix(parser *p);

static ast_expr *parse_unary(parser *p)
{
    ast_op op;
    switch (p->tok[0].kind) {
    case TK_MINUS: op = AST_OP_NEG; break;
    case TK_PLUS: op = AST_OP_PLUS; break;
    case TK_TILDE: op = AST_OP_BITNOT; break;
    default: return parse_postfix(p);
    }
    lex_token at = p->tok[0];
    p_advance(p);
    p_enter(p);
    ast_expr *e = parse_expr_new(p, AST_E_UNARY, &at);
    e->op = op;
    e->a = parse_unary(p);
    p_leave(p);
    return e;
}

/* ---- types ----------------------------------------------------------------------------- */

/* Words that end a column type because a constraint or clause starts there. */
static int ends_type(int kw)
{
    return lex_kw_reserved(kw) || kw == KW_AUTOINCREMENT || kw == KW_AUTO_INCREMENT ||
           kw == KW_GENERATED;
}

static int64_t signed_int(parser *p)
{
    int neg = 0;
    if (p_accept(p, TK_MINUS))
        neg = 1;
    else
        p_accept(p, TK_PLUS);
    if (!p_is(p, TK_INTEGER))
        p_fail(p, "expected an integer");
    int64_t v = p->tok[0].ival;
    p_advance(p);
    return neg ? -v : v;
}

/* multi: several words (column definitions, CAST); otherwise one word plus the fixed second
 * words of standard types (x::double precision), so that x::int alias stays unambiguous. */
static ast_type *parse_type_ex(parser *p, int multi)
{
    if (!(p_is(p, TK_WORD) || p_is(p, TK_QIDENT)) || (p_is(p, TK_WORD) && ends_type(p->tok[0].kw)))
        p_fail(p, "expected a type name");
    ast_type *t = p_alloc(p, sizeof *t);
    const char *name = NULL;
    size_t n = 0;
    for (int words = 0;; words++) {
        const lex_token *tk = &p->tok[0];
        if (words > 0) {
            if (tk->kind != TK_WORD || ends_type(tk->kw))
                break;
            if (!multi && !p_isword(p, "PRECISION") && !p_isword(p, "VARYING"))
                break;
        }
        const char *w = tk->kind == TK_QIDENT ? NULL : p_word_upper(p);
        if (!w) {
            ast_qname q;
            p_qname(p, &q, NULL);
            w = q.name;
        }
        size_t wl = strlen(w);
        if (!name) {
            name = w;
            n = wl;
            continue;
        }
        char *cat = p_alloc(p, n + wl + 2); /* words joined by one space, in the arena */
        memcpy(cat, name, n);
        cat[n] = ' ';
        memcpy(cat + n + 1, w, wl + 1);
        name = cat;
        n += wl + 1;
    }
    t->name = name;
    if (p_accept(p, TK_LP)) {
        t->args[t->nargs++] = signed_int(p);
        if (p_accept(p, TK_COMMA))
            t->args[t->nargs++] = signed_int(p);
        p_expect(p, TK_RP, ")");
    }
    return t;
}

ast_type *parse_type(parser *p) { return parse_type_ex(p, 1); }

static ast_expr *parse_primary(parser *p);

static ast_expr *parse_postfix(parser *p)
{
    ast_expr *e = parse_primary(p);
    for (;;) {
        if (p_iskw(p, KW_COLLATE)) {
            p_advance(p);
            ast_expr *c = parse_expr_new(p, AST_E_COLLATE, &p->tok[0]);
            c->a = e;
            c->name = p_any_name(p, "expected a collation name");
            c->line = e->line;
            c->col = e->col;
            e = c;
        } else if (p_is(p, TK_CAST)) {
            p_advance(p);
            ast_expr *c = parse_expr_new(p, AST_E_CAST, &p->tok[0]);
            c->a = e;
            c->pg_cast = 1;
            c->type = parse_type_ex(p, 0);
            c->line = e->line;
            c->col = e->col;
            e = c;
        } else {
            return e;
        }
    }
}

/* ---- windows --------------------------------------------------------------------------- */

ast_order *parse_order_item(parser *p)
{
    ast_order *o = p_alloc(p, sizeof *o);
    o->e = parse_expr(p);
    if (p_accept_kw(p, KW_ASC))
        o->dir = AST_DIR_ASC;
    else if (p_accept_kw(p, KW_DESC))
        o->dir = AST_DIR_DESC;
    if (p_accept_kw(p, KW_NULLS)) {
        if (p_accept_kw(p, KW_FIRST))
            o->nulls = AST_NULLS_FIRST;
        else if (p_accept_kw(p, KW_LAST))
            o->nulls = AST_NULLS_LAST;
        else
            p_fail(p, "expected FIRST or LAST");
    }
    return o;
}

void parse_order_list(parser *p, ast_list *l)
{
    do {
        p_push(p, l, parse_order_item(p));
    } while (p_accept(p, TK_COMMA));
}

static ast_frame_bound parse_bound(parser *p, ast_expr **e)
{
    if (p_accept_kw(p, KW_UNBOUNDED)) {
        if (p_accept_kw(p, KW_PRECEDING))
            return AST_FB_UNBOUNDED_PRECEDING;
        p_expect_kw(p, KW_FOLLOWING);
        return AST_FB_UNBOUNDED_FOLLOWING;
    }
    if (p_iskw(p, KW_CURRENT) && p_peek(p, 1)->kw == KW_ROW) {
        p_advance(p);
        p_advance(p);
        return AST_FB_CURRENT_ROW;
    }
    *e = parse_bit(p);
    if (p_accept_kw(p, KW_PRECEDING))
        return AST_FB_PRECEDING;
    if (p_accept_kw(p, KW_FOLLOWING))
        return AST_FB_FOLLOWING;
    p_fail(p, "expected PRECEDING or FOLLOWING");
}

ast_window *parse_window_spec(parser *p)
{
    ast_window *w = p_alloc(p, sizeof *w);
    if (p_is_name(p) && !p_iskw(p, KW_PARTITION) && !p_iskw(p, KW_ROWS) &&
        !p_iskw(p, KW_RANGE) && !p_iskw(p, KW_GROUPS))
        w->base = p_name(p, NULL);
    if (p_accept_kw(p, KW_PARTITION)) {
        p_expect_kw(p, KW_BY);
        parse_expr_list(p, &w->partition);
    }
    if (p_accept_kw(p, KW_ORDER)) {
        p_expect_kw(p, KW_BY);
        parse_order_list(p, &w->order);
    }
    if (p_iskw(p, KW_ROWS) || p_iskw(p, KW_RANGE) || p_iskw(p, KW_GROUPS)) {
        w->unit = p_iskw(p, KW_ROWS) ? AST_FRAME_ROWS
                  : p_iskw(p, KW_RANGE) ? AST_FRAME_RANGE : AST_FRAME_GROUPS;
        p_advance(p);
        if (p_accept_kw(p, KW_BETWEEN)) {
            w->start = parse_bound(p, &w->start_e);
            p_expect_kw(p, KW_AND);
            w->end = parse_bound(p, &w->end_e);
        } else {
            w->start = parse_bound(p, &w->start_e);
        }
        if (p_accept_kw(p, KW_EXCLUDE)) {
            if (p_accept_kw(p, KW_NO)) {
                p_expect_kw(p, KW_OTHERS);
                w->exclude = AST_EXCL_NO_OTHERS;
            } else if (p_accept_kw(p, KW_CURRENT)) {
                p_expect_kw(p, KW_ROW);
                w->exclude = AST_EXCL_CURRENT_ROW;
            } else if (p_accept_kw(p, KW_GROUP)) {
                w->exclude = AST_EXCL_GROUP;
            } else {
                p_expect_kw(p, KW_TIES);
                w->exclude = AST_EXCL_TIES;
            }
        }
    }
    p_expect(p, TK_RP, ")");
    return w;
}

/* ---- primaries ------------------------------------------------------------------------- */

const char *parse_decode_string(parser *p, const lex_token *t, size_t *len)
{
    char *s = p_alloc(p, t->len);
    size_t n = 0;
    for (uint32_t i = 1; i + 1 < t->len; i++) {
        s[n++] = t->p[i];
        if (t->p[i] == '\'')
            i++;
    }
    s[n] = 0;
    *len = n;
    return s;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

static ast_expr *parse_func(parser *p, const lex_token *at, const char *name)
{
    ast_expr *e = parse_expr_new(p, AST_E_FUNC, at);
    e->name = name;
    p_expect(p, TK_LP, "(");
    if (!strcmp(name, "extract") && p_is(p, TK_WORD) && p_peek(p, 1)->kw == KW_FROM) {
        e->kind = AST_E_EXTRACT;
        e->name = p_word_upper(p);
        p_advance(p);
        e->a = parse_expr(p);
        p_expect(p, TK_RP, ")");
        return e;
    }
    if (p_accept(p, TK_STAR)) {
        e->star = 1;
    } else if (!p_is(p, TK_RP)) {
        if (p_accept_kw(p, KW_DISTINCT))
            e->distinct = 1;
        else
            p_accept_kw(p, KW_ALL);
        parse_expr_list(p, &e->list);
    }
    p_expect(p, TK_RP, ")");
    if (p_iskw(p, KW_FILTER) && p_peek(p, 1)->kind == TK_LP) {
        p_advance(p);
        p_advance(p);
        p_expect_kw(p, KW_WHERE);
        e->b = parse_expr(p);
        p_expect(p, TK_RP, ")");
    }
    if (p_accept_kw(p, KW_OVER)) {
        if (p_accept(p, TK_LP)) {
            e->over = parse_window_spec(p);
        } else {
            e->over = p_alloc(p, sizeof *e->over);
            e->over->is_ref = 1;
            e->over->name = p_name(p, "expected a window name or (");
        }
    }
    return e;
}

static int interval_unit(parser *p)
{
    static const char *const units[] = {
        "YEAR", "YEARS", "MONTH", "MONTHS", "WEEK", "WEEKS", "DAY", "DAYS", "HOUR", "HOURS",
        "MINUTE", "MINUTES", "SECOND", "SECONDS", "MILLISECOND", "MILLISECONDS",
        "MICROSECOND", "MICROSECONDS", "QUARTER", "QUARTERS",
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (p_isword(p, units[i]))
            return 1;
    return 0;
}

static ast_expr *parse_primary(parser *p)
{
    lex_token at = p->tok[0];
    ast_expr *e;
    switch (at.kind) {
    case TK_INTEGER:
        e = parse_expr_new(p, AST_E_INT, &at);
        e->ival = at.ival;
        p_advance(p);
        return e;
    case TK_REAL: {
        e = parse_expr_new(p, AST_E_REAL, &at);
        char *s = ast_strndup(p->a, at.p, at.len);
        if (!s)
            p_oom(p);
        e->text = s;
        e->rval = strtod(s, NULL);
        p_advance(p);
        return e;
    }
    case TK_STRING:
        e = parse_expr_new(p, AST_E_STRING, &at);
        e->text = parse_decode_string(p, &at, &e->len);
        p_advance(p);
        return e;
    case TK_BLOB: {
        e = parse_expr_new(p, AST_E_BLOB, &at);
        size_t n = (at.len - 3) / 2;
        char *b = p_alloc(p, n + 1);
        for (size_t i = 0; i < n; i++)
            b[i] = (char)(hexval(at.p[2 + 2 * i]) * 16 + hexval(at.p[3 + 2 * i]));
        e->text = b;
        e->len = n;
        p_advance(p);
        return e;
    }
    case TK_DNA: {
        e = parse_expr_new(p, AST_E_DNA, &at);
        char *s = p_alloc(p, at.len - 3);
        for (uint32_t i = 4; i < at.len; i++)
            s[i - 4] = (char)(at.p[i] & ~32);
        e->text = s;
        e->len = at.len - 4;
        p_advance(p);
        return e;
    }
    case TK_PARAM: {
        e = parse_expr_new(p, AST_E_PARAM, &at);
        char *s = ast_strndup(p->a, at.p, at.len);
        if (!s)
            p_oom(p);
        e->text = s;
        if ((at.p[0] == '?' || at.p[0] == '$') && at.len > 1 && at.p[1] >= '0' && at.p[1] <= '9') {
            int64_t v = 0;
            for (uint32_t i = 1; i < at.len; i++) {
                if (at.p[i] < '0' || at.p[i] > '9' || v > 999999)
                    p_fail(p, "bad parameter number");
                v = v * 10 + (at.p[i] - '0');
            }
            if (v < 1)
                p_fail(p, "parameter numbers start at 1");
            e->ival = v;
            if (v > p->max_param)
                p->max_param = v;
        } else if (at.len == 1) {
            e->ival = ++p->max_param;
        }
        p_advance(p);
        return e;
    }
    case TK_LP:
        p_advance(p);
        p_enter(p);
        if (parse_starts_query(p)) {
            e = parse_expr_new(p, AST_E_SUBQUERY, &at);
            e->sub = parse_query(p);
        } else {
            e = parse_expr(p);
            if (p_is(p, TK_COMMA)) {
                ast_expr *r = parse_expr_new(p, AST_E_ROW, &at);
                p_push(p, &r->list, e);
                while (p_accept(p, TK_COMMA))
                    p_push(p, &r->list, parse_expr(p));
                e = r;
            }
        }
        p_expect(p, TK_RP, ")");
        p_leave(p);
        return e;
    case TK_LBRACKET:
        p_advance(p);
        e = parse_expr_new(p, AST_E_ARRAY, &at);
        if (!p_is(p, TK_RBRACKET))
            parse_expr_list(p, &e->list);
        p_expect(p, TK_RBRACKET, "]");
        return e;
    case TK_QIDENT:
    case TK_WORD:
        break;
    default:
        p_fail(p, "expected an expression");
    }

    int kw = at.kind == TK_WORD ? at.kw : KW_NONE;
    switch (kw) {
    case KW_NULL:
        p_advance(p);
        return parse_expr_new(p, AST_E_NULL, &at);
    case KW_TRUE:
    case KW_FALSE:
        p_advance(p);
        e = parse_expr_new(p, AST_E_BOOL, &at);
        e->ival = kw == KW_TRUE;
        return e;
    case KW_DEFAULT:
        p_advance(p);
        return parse_expr_new(p, AST_E_DEFAULT, &at);
    case KW_CURRENT_DATE:
    case KW_CURRENT_TIME:
    case KW_CURRENT_TIMESTAMP:
        if (p_peek(p, 1)->kind == TK_LP)
            break; /* CURRENT_TIMESTAMP() is an ordinary call */
        e = parse_expr_new(p, AST_E_FUNC, &at);
        e->name = p_any_name(p, NULL);
        e->noparens = 1;
        return e;
    case KW_NOT:
        return parse_not(p);
    case KW_EXISTS:
        p_advance(p);
        e = parse_expr_new(p, AST_E_EXISTS, &at);
        p_expect(p, TK_LP, "(");
        p_enter(p);
        if (!parse_starts_query(p))
            p_fail(p, "expected SELECT");
        e->sub = parse_query(p);
        p_leave(p);
        p_expect(p, TK_RP, ")");
        return e;
    case KW_CASE:
        p_advance(p);
        p_enter(p);
        e = parse_expr_new(p, AST_E_CASE, &at);
        if (!p_iskw(p, KW_WHEN))
            e->a = parse_expr(p);
        if (!p_iskw(p, KW_WHEN))
            p_fail(p, "expected WHEN");
        while (p_accept_kw(p, KW_WHEN)) {
            p_push(p, &e->list, parse_expr(p));
            p_expect_kw(p, KW_THEN);
            p_push(p, &e->list, parse_expr(p));
        }
        if (p_accept_kw(p, KW_ELSE))
            e->c = parse_expr(p);
        p_expect_kw(p, KW_END);
        p_leave(p);
        return e;
    case KW_CAST:
        p_advance(p);
        e = parse_expr_new(p, AST_E_CAST, &at);
        p_expect(p, TK_LP, "(");
        e->a = parse_expr(p);
        p_expect_kw(p, KW_AS);
        e->type = parse_type(p);
        p_expect(p, TK_RP, ")");
        return e;
    case KW_INTERVAL: {
        const lex_token *n = p_peek(p, 1);
        if (n->kind == TK_INTEGER || n->kind == TK_REAL || n->kind == TK_STRING ||
            n->kind == TK_MINUS || n->kind == TK_PLUS || n->kind == TK_PARAM || n->kind == TK_LP) {
            p_advance(p);
            e = parse_expr_new(p, AST_E_INTERVAL, &at);
            e->a = parse_unary(p);
            if (interval_unit(p))
                e->name = p_word_upper(p);
            return e;
        }
        break;
    }
    default:
        break;
    }

    /* typed literals: DATE '2024-01-31', TIME '10:00', TIMESTAMP '2024-01-31 10:00:00' are
     * casts of the string */
    if (at.kind == TK_WORD && p_peek(p, 1)->kind == TK_STRING &&
        ((at.len == 4 && !strncasecmp(at.p, "date", 4)) || (at.len == 4 && !strncasecmp(at.p, "time", 4)) ||
         (at.len == 9 && !strncasecmp(at.p, "timestamp", 9)))) {
        ast_type *ty = p_alloc(p, sizeof *ty);
        ty->name = p_word_upper(p);
        e = parse_expr_new(p, AST_E_CAST, &at);
        e->type = ty;
        e->a = parse_primary(p);
        return e;
    }

    /* a call: any word followed by '(' (left(), replace(), glob() are functions too) */
    if ((at.kind == TK_WORD || at.kind == TK_QIDENT) && p_peek(p, 1)->kind == TK_LP) {
        const char *name = p_any_name(p, NULL);
        p_enter(p);
        e = parse_func(p, &at, name);
        p_leave(p);
        return e;
    }
    if (!p_is_name(p))
        p_fail(p, "expected an expression");
    const char *n1 = p_name(p, NULL);
    if (!p_is(p, TK_DOT)) {
        e = parse_expr_new(p, AST_E_COLUMN, &at);
        e->name = n1;
        e->ival = at.kind == TK_QIDENT; /* "x" alone: a string if no column is named x */
        return e;
    }
    p_advance(p);
    if (p_accept(p, TK_STAR)) {
        e = parse_expr_new(p, AST_E_STAR, &at);
        e->table = n1;
        return e;
    }
    const char *n2 = p_any_name(p, "expected a column name");
    if (!p_is(p, TK_DOT)) {
        e = parse_expr_new(p, AST_E_COLUMN, &at);
        e->table = n1;
        e->name = n2;
        return e;
    }
    p_advance(p);
    if (p_accept(p, TK_STAR)) {
        e = parse_expr_new(p, AST_E_STAR, &at);
        e->schema = n1;
        e->table = n2;
        return e;
    }
    e = parse_expr_new(p, AST_E_COLUMN, &at);
    e->schema = n1;
    e->table = n2;
    e->name = p_any_name(p, "expected a column name");
    return e;
}

/* A DEFAULT value: (expr), or a signed literal/primary without postfix operators, so that
 * DEFAULT 0 NOT NULL keeps its NOT NULL constraint (SQLite reads DEFAULT the same way). */
ast_expr *parse_term(parser *p)
{
    if (p_is(p, TK_MINUS) || p_is(p, TK_PLUS)) {
        lex_token at = p->tok[0];
        p_advance(p);
        ast_expr *e = parse_expr_new(p, AST_E_UNARY, &at);
        e->op = at.kind == TK_MINUS ? AST_OP_NEG : AST_OP_PLUS;
        e->a = parse_primary(p);
        return e;
    }
    return parse_primary(p);
}
