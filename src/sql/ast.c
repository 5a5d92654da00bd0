/*
 * ast.c — the arena, lists, and the printer that renders trees back to canonical SQL.
 *
 * Arena: blocks of at least 16 KiB chained through their first word; allocations are bumped
 * inside the newest block (8-byte aligned, zeroed); a request larger than a block gets a block
 * of its own. Lists grow by doubling inside the arena (the old array is simply abandoned,
 * which at most doubles a list's footprint and keeps freeing to one walk of the chain).
 *
 * Printer: writes into a malloc'd growing buffer, then copies the result into the arena, so
 * the caller frees nothing. Canonical form: keywords upper case; every operator application
 * in parentheses; identifiers bare when they are plain lower-case words that are not
 * keywords, "quoted" otherwise; literals as parsed (reals keep the spelling they had). The
 * test suite checks that parse(print(t)) prints the same text.
 */
#include "sql/ast.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/lexer.h"

/* ---- arena ----------------------------------------------------------------------------- */

#define ARENA_BLOCK (16 * 1024)

typedef struct arena_block {
    struct arena_block *next;
    size_t size, used;
    max_align_t data[]; /* payload */
} arena_block;

struct ast_arena {
    arena_block *head;
    size_t total;
};

ast_arena *ast_arena_new(void)
{
    return calloc(1, sizeof(ast_arena));
}

void ast_arena_free(ast_arena *a)
{
    if (!a)
        return;
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void *ast_alloc(ast_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n == 0)
        n = 8;
    arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
        arena_block *nb = malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->size = size;
        nb->used = 0;
        if (b && size == n && b->size - b->used >= ARENA_BLOCK / 8) {
            /* a big one-off block goes behind the current one, which still has room */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *m = (char *)b->data + b->used;
    b->used += n;
    a->total += n;
    memset(m, 0, n);
    return m;
}

char *ast_strndup(ast_arena *a, const char *s, size_t n)
{
    char *d = ast_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

size_t ast_arena_used(const ast_arena *a) { return a->total; }

int ast_list_push(ast_arena *a, ast_list *l, void *item)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        void **v = ast_alloc(a, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        if (l->n)
            memcpy(v, l->v, (size_t)l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = item;
    return 0;
}

const char *ast_stmt_name(ast_stmt_kind k)
{
    static const char *const names[AST_STMT_KIND_COUNT] = {
        "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE TABLE", "DROP", "ALTER TABLE",
        "CREATE INDEX", "CREATE VIEW", "TRUNCATE", "CREATE TRIGGER", "BEGIN", "COMMIT",
        "ROLLBACK", "SAVEPOINT", "RELEASE", "PREPARE", "EXECUTE", "DEALLOCATE", "EXPLAIN",
        "ANALYZE", "SHOW TABLES", "DESCRIBE", "REINDEX", "NEUROMATCH", "QUANTUM_SEARCH",
        "QUANTUM_JOIN", "SUPERPOSITION_QUERY", "LEARN PATTERN", "ADAPT WEIGHTS",
        "SYNAPTIC_OPTIMIZE", "COMPRESS TABLE", "OPTIMIZE QUBO", "DECOMPRESS TABLE",
        "SHOW COMPRESSION STATS", "LOCK TABLE", "SET TRANSACTION", "SET", "SHOW", "VACUUM",
    };
    return (unsigned)k < AST_STMT_KIND_COUNT ? names[k] : "?";
}

/* ---- printer buffer -------------------------------------------------------------------- */

typedef struct pbuf {
    char *s;
    size_t n, cap;
    int oom;
} pbuf;

static void put(pbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void puts_(pbuf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(pbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_ident(pbuf *b, const char *s)
{
    int plain = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';
    for (const char *c = s; plain && *c; c++)
        plain = (*c >= 'a' && *c <= 'z') || *c == '_' || (*c >= '0' && *c <= '9') || *c == '$';
    if (plain && lex_keyword(s, strlen(s)) == KW_NONE) {
        puts_(b, s);
        return;
    }
    put(b, "\"", 1);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            put(b, "\"", 1);
        put(b, c, 1);
    }
    put(b, "\"", 1);
}

static void put_qname(pbuf *b, const char *schema, const char *name)
{
    if (schema) {
        put_ident(b, schema);
        put(b, ".", 1);
    }
    put_ident(b, name);
}

static void put_string(pbuf *b, const char *s, size_t n)
{
    put(b, "'", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            put(b, "'", 1);
        put(b, s + i, 1);
    }
    put(b, "'", 1);
}

static void put_names(pbuf *b, const ast_list *l)
{
    put(b, "(", 1);
    for (int i = 0; i < l->n; i++) {
        if (i)
            puts_(b, ", ");
        put_ident(b, l->v[i]);
    }
    put(b, ")", 1);
}

/* ---- expressions ----------------------------------------------------------------------- */

static void pr_options(pbuf *b, const ast_list *l);
static void pr_expr(pbuf *b, const ast_expr *e);

/* " KEYWORD expr" when the expression is there (WHERE, LIMIT, HAVING, DEFAULT, ...). */
static void pr_opt(pbuf *b, const char *kw, const ast_expr *e)
{
    if (e) {
        puts_(b, kw);
        pr_expr(b, e);
    }
}
static void pr_select(pbuf *b, const ast_select *s);
static void pr_stmt(pbuf *b, const ast_stmt *s);

static void pr_exprs(pbuf *b, const ast_list *l)
{
    for (int i = 0; i < l->n; i++) {
        if (i)
            puts_(b, ", ");
        pr_expr(b, l->v[i]);
    }
}

static const char *op_text(ast_op op)
{
    switch (op) {
    case AST_OP_OR: return "OR";
    case AST_OP_AND: return "AND";
    case AST_OP_EQ: return "=";
    case AST_OP_NE: return "<>";
    case AST_OP_LT: return "<";
    case AST_OP_LE: return "<=";
    case AST_OP_GT: return ">";
    case AST_OP_GE: return ">=";
    case AST_OP_IS: return "IS";
    case AST_OP_IS_NOT: return "IS NOT";
    case AST_OP_IS_DISTINCT: return "IS DISTINCT FROM";
    case AST_OP_IS_NOT_DISTINCT: return "IS NOT DISTINCT FROM";
    case AST_OP_BITAND: return "&";
    case AST_OP_BITOR: return "|";
    case AST_OP_LSHIFT: return "<<";
    case AST_OP_RSHIFT: return ">>";
    case AST_OP_CONCAT: return "||";
    case AST_OP_ADD: return "+";
    case AST_OP_SUB: return "-";
    case AST_OP_MUL: return "*";
    case AST_OP_DIV: return "/";
    case AST_OP_MOD: return "%";
    case AST_OP_NOT: return "NOT ";
    case AST_OP_NEG: return "-";
    case AST_OP_PLUS: return "+";
    case AST_OP_BITNOT: return "~";
    case AST_OP_LIKE: return "LIKE";
    case AST_OP_ILIKE: return "ILIKE";
    case AST_OP_GLOB: return "GLOB";
    case AST_OP_REGEXP: return "REGEXP";
    case AST_OP_MATCH: return "MATCH";
    default: return "?";
    }
}

static void pr_type(pbuf *b, const ast_type *t)
{
    /* type words are printed as written (upper case); a quoted one-word name stays quoted */
    int plain = 1;
    for (const char *c = t->name; *c; c++)
        plain &= (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == ' ';
    if (plain && t->name[0] && !(t->name[0] >= '0' && t->name[0] <= '9'))
        puts_(b, t->name);
    else
        put_ident(b, t->name);
    if (t->nargs) {
        putf(b, "(%" PRId64, t->args[0]);
        if (t->nargs > 1)
            putf(b, ", %" PRId64, t->args[1]);
        put(b, ")", 1);
    }
}

static void pr_order(pbuf *b, const ast_list *l)
{
    for (int i = 0; i < l->n; i++) {
        const ast_order *o = l->v[i];
        if (i)
            puts_(b, ", ");
        pr_expr(b, o->e);
        if (o->dir == AST_DIR_ASC)
            puts_(b, " ASC");
        else if (o->dir == AST_DIR_DESC)
            puts_(b, " DESC");
        if (o->nulls == AST_NULLS_FIRST)
            puts_(b, " NULLS FIRST");
        else if (o->nulls == AST_NULLS_LAST)
            puts_(b, " NULLS LAST");
    }
}

static void pr_bound(pbuf *b, ast_frame_bound fb, const ast_expr *e)
{
    switch (fb) {
    case AST_FB_UNBOUNDED_PRECEDING: puts_(b, "UNBOUNDED PRECEDING"); break;
    case AST_FB_UNBOUNDED_FOLLOWING: puts_(b, "UNBOUNDED FOLLOWING"); break;
    case AST_FB_CURRENT_ROW: puts_(b, "CURRENT ROW"); break;
    case AST_FB_PRECEDING: pr_expr(b, e); puts_(b, " PRECEDING"); break;
    case AST_FB_FOLLOWING: pr_expr(b, e); puts_(b, " FOLLOWING"); break;
    default: break;
    }
}

static void pr_window_spec(pbuf *b, const ast_window *w)
{
    const char *sep = "";
    put(b, "(", 1);
    if (w->base) {
        put_ident(b, w->base);
        sep = " ";
    }
    if (w->partition.n) {
        puts_(b, sep);
        puts_(b, "PARTITION BY ");
        pr_exprs(b, &w->partition);
        sep = " ";
    }
    if (w->order.n) {
        puts_(b, sep);
        puts_(b, "ORDER BY ");
        pr_order(b, &w->order);
        sep = " ";
    }
    if (w->unit) {
        puts_(b, sep);
        puts_(b, w->unit == AST_FRAME_ROWS ? "ROWS " : w->unit == AST_FRAME_RANGE ? "RANGE " : "GROUPS ");
        if (w->end) {
            puts_(b, "BETWEEN ");
            pr_bound(b, w->start, w->start_e);
            puts_(b, " AND ");
            pr_bound(b, w->end, w->end_e);
        } else {
            pr_bound(b, w->start, w->start_e);
        }
        static const char *const ex[] = {"", " EXCLUDE NO OTHERS", " EXCLUDE CURRENT ROW",
                                         " EXCLUDE GROUP", " EXCLUDE TIES"};
        puts_(b, ex[w->exclude]);
    }
    put(b, ")", 1);
}

static void pr_func_name(pbuf *b, const char *name)
{
    /* any word followed by ( is a call, keywords included, except those with a grammar of
     * their own in expression position */
    static const char *const special[] = {"case", "cast", "exists", "not", "null", "true",
                                          "false", "default", "interval"};
    int plain = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';
    for (const char *c = name; plain && *c; c++)
        plain = (*c >= 'a' && *c <= 'z') || *c == '_' || (*c >= '0' && *c <= '9') || *c == '$';
    for (size_t i = 0; plain && i < sizeof special / sizeof special[0]; i++)
        if (!strcmp(name, special[i]))
            plain = 0;
    if (plain)
        puts_(b, name);
    else
        put_ident(b, name);
}

static void pr_expr(pbuf *b, const ast_expr *e)
{
    switch (e->kind) {
    case AST_E_NULL: puts_(b, "NULL"); break;
    case AST_E_INT:
        if (e->ival < 0) /* only hex literals wrap negative: keep them hex */
            putf(b, "0x%016" PRIX64, (uint64_t)e->ival);
        else
            putf(b, "%" PRId64, e->ival);
        break;
    case AST_E_REAL: puts_(b, e->text); break;
    case AST_E_STRING: put_string(b, e->text, e->len); break;
    case AST_E_BLOB:
        puts_(b, "X'");
        for (size_t i = 0; i < e->len; i++)
            putf(b, "%02X", (unsigned char)e->text[i]);
        put(b, "'", 1);
        break;
    case AST_E_BOOL: puts_(b, e->ival ? "TRUE" : "FALSE"); break;
    case AST_E_DNA: puts_(b, "DNA:"); put(b, e->text, e->len); break;
    case AST_E_DEFAULT: puts_(b, "DEFAULT"); break;
    case AST_E_PARAM: puts_(b, e->text); break;
    case AST_E_COLUMN:
        if (e->schema) {
            put_ident(b, e->schema);
            put(b, ".", 1);
        }
        if (e->table) {
            put_ident(b, e->table);
            put(b, ".", 1);
        }
        put_ident(b, e->name);
        break;
    case AST_E_STAR:
        if (e->schema) {
            put_ident(b, e->schema);
            put(b, ".", 1);
        }
        if (e->table) {
            put_ident(b, e->table);
            put(b, ".", 1);
        }
        put(b, "*", 1);
        break;
    case AST_E_UNARY:
        put(b, "(", 1);
        puts_(b, op_text(e->op));
        pr_expr(b, e->a);
        put(b, ")", 1);
        break;
    case AST_E_BINARY:
        put(b, "(", 1);
        pr_expr(b, e->a);
        put(b, " ", 1);
        puts_(b, op_text(e->op));
        put(b, " ", 1);
        pr_expr(b, e->b);
        put(b, ")", 1);
        break;
    case AST_E_BETWEEN:
        put(b, "(", 1);
        pr_expr(b, e->a);
        puts_(b, e->not_ ? " NOT BETWEEN " : " BETWEEN ");
        pr_expr(b, e->b);
        puts_(b, " AND ");
        pr_expr(b, e->c);
        put(b, ")", 1);
        break;
    case AST_E_IN_LIST:
    case AST_E_IN_SELECT:
    case AST_E_IN_TABLE:
        put(b, "(", 1);
        pr_expr(b, e->a);
        puts_(b, e->not_ ? " NOT IN " : " IN ");
        if (e->kind == AST_E_IN_TABLE) {
            put_qname(b, e->schema, e->name);
        } else {
            put(b, "(", 1);
            if (e->kind == AST_E_IN_LIST)
                pr_exprs(b, &e->list);
            else
                pr_select(b, e->sub);
            put(b, ")", 1);
        }
        put(b, ")", 1);
        break;
    case AST_E_LIKE:
        put(b, "(", 1);
        pr_expr(b, e->a);
        puts_(b, e->not_ ? " NOT " : " ");
        puts_(b, op_text(e->op));
        put(b, " ", 1);
        pr_expr(b, e->b);
        pr_opt(b, " ESCAPE ", e->c);
        put(b, ")", 1);
        break;
    case AST_E_EXISTS:
        puts_(b, "EXISTS (");
        pr_select(b, e->sub);
        put(b, ")", 1);
        break;
    case AST_E_SUBQUERY:
        put(b, "(", 1);
        pr_select(b, e->sub);
        put(b, ")", 1);
        break;
    case AST_E_CASE:
        puts_(b, "CASE");
        if (e->a) {
            put(b, " ", 1);
            pr_expr(b, e->a);
        }
        for (int i = 0; i + 1 < e->list.n; i += 2) {
            puts_(b, " WHEN ");
            pr_expr(b, e->list.v[i]);
            puts_(b, " THEN ");
            pr_expr(b, e->list.v[i + 1]);
        }
        pr_opt(b, " ELSE ", e->c);
        puts_(b, " END");
        break;
    case AST_E_CAST:
        if (e->pg_cast) {
            put(b, "(", 1);
            pr_expr(b, e->a);
            puts_(b, ")::");
        } else {
            puts_(b, "CAST(");
            pr_expr(b, e->a);
            puts_(b, " AS ");
        }
        pr_type(b, e->type);
        if (!e->pg_cast)
            put(b, ")", 1);
        break;
    case AST_E_FUNC:
        if (e->noparens) {
            for (const char *c = e->name; *c; c++) {
                char u = (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : *c;
                put(b, &u, 1);
            }
            break;
        }
        pr_func_name(b, e->name);
        put(b, "(", 1);
        if (e->star)
            put(b, "*", 1);
        if (e->distinct)
            puts_(b, "DISTINCT ");
        pr_exprs(b, &e->list);
        put(b, ")", 1);
        if (e->b) {
            puts_(b, " FILTER (WHERE ");
            pr_expr(b, e->b);
            put(b, ")", 1);
        }
        if (e->over) {
            puts_(b, " OVER ");
            if (e->over->is_ref)
                put_ident(b, e->over->name);
            else
                pr_window_spec(b, e->over);
        }
        break;
    case AST_E_ARRAY:
        put(b, "[", 1);
        pr_exprs(b, &e->list);
        put(b, "]", 1);
        break;
    case AST_E_ROW:
        put(b, "(", 1);
        pr_exprs(b, &e->list);
        put(b, ")", 1);
        break;
    case AST_E_COLLATE:
        put(b, "(", 1);
        pr_expr(b, e->a);
        puts_(b, " COLLATE ");
        put_ident(b, e->name);
        put(b, ")", 1);
        break;
    case AST_E_INTERVAL:
        puts_(b, "(INTERVAL ");
        pr_expr(b, e->a);
        if (e->name) {
            put(b, " ", 1);
            puts_(b, e->name);
        }
        put(b, ")", 1);
        break;
    case AST_E_EXTRACT:
        puts_(b, "EXTRACT(");
        puts_(b, e->name);
        puts_(b, " FROM ");
        pr_expr(b, e->a);
        put(b, ")", 1);
        break;
    }
}

/* ---- queries --------------------------------------------------------------------------- */

static void pr_from(pbuf *b, const ast_from *f);

static void pr_alias(pbuf *b, const char *alias)
{
    if (alias) {
        puts_(b, " AS ");
        put_ident(b, alias);
    }
}

static void pr_from(pbuf *b, const ast_from *f)
{
    switch (f->kind) {
    case AST_FROM_TABLE:
        put_qname(b, f->schema, f->name);
        pr_alias(b, f->alias);
        break;
    case AST_FROM_FUNC:
        put_qname(b, f->schema, f->name);
        put(b, "(", 1);
        pr_exprs(b, &f->args);
        put(b, ")", 1);
        pr_alias(b, f->alias);
        break;
    case AST_FROM_SUBQUERY:
        put(b, "(", 1);
        pr_select(b, f->sub);
        put(b, ")", 1);
        pr_alias(b, f->alias);
        if (f->alias_cols.n) {
            put(b, " ", 1);
            put_names(b, &f->alias_cols);
        }
        break;
    case AST_FROM_JOIN: {
        int comma = f->jtype == AST_JOIN_COMMA;
        int lpar = !comma && f->left->kind == AST_FROM_JOIN && f->left->jtype == AST_JOIN_COMMA;
        int rpar = f->right->kind == AST_FROM_JOIN && (!comma || f->right->jtype == AST_JOIN_COMMA);
        if (lpar)
            put(b, "(", 1);
        pr_from(b, f->left);
        if (lpar)
            put(b, ")", 1);
        if (f->natural)
            puts_(b, " NATURAL");
        static const char *const jt[] = {" JOIN ", " LEFT JOIN ", " RIGHT JOIN ", " FULL JOIN ",
                                         " CROSS JOIN ", ", ", " QUANTUM_JOIN "};
        puts_(b, jt[f->jtype]);
        if (rpar)
            put(b, "(", 1);
        pr_from(b, f->right);
        if (rpar)
            put(b, ")", 1);
        pr_opt(b, " ON ", f->on);
        if (f->using_cols.n) {
            puts_(b, " USING ");
            put_names(b, &f->using_cols);
        }
        break;
    }
    }
}

static void pr_result_cols(pbuf *b, const ast_list *l)
{
    for (int i = 0; i < l->n; i++) {
        const ast_result_col *rc = l->v[i];
        if (i)
            puts_(b, ", ");
        pr_expr(b, rc->e);
        pr_alias(b, rc->alias);
    }
}

static void pr_with(pbuf *b, const ast_with *w)
{
    puts_(b, w->recursive ? "WITH RECURSIVE " : "WITH ");
    for (int i = 0; i < w->ctes.n; i++) {
        const ast_cte *c = w->ctes.v[i];
        if (i)
            puts_(b, ", ");
        put_ident(b, c->name);
        if (c->cols.n)
            put_names(b, &c->cols);
        puts_(b, " AS ");
        if (c->materialized)
            puts_(b, c->materialized > 0 ? "MATERIALIZED " : "NOT MATERIALIZED ");
        put(b, "(", 1);
        pr_select(b, c->query);
        put(b, ")", 1);
    }
    put(b, " ", 1);
}

static int needs_parens(const ast_select *s)
{
    return s->kind == AST_SEL_COMPOUND || s->with || s->order_by.n || s->limit || s->offset;
}

static int compound_prec(ast_compound_op op)
{
    return op == AST_INTERSECT || op == AST_INTERSECT_ALL ? 2 : 1;
}

static void pr_operand(pbuf *b, const ast_select *s)
{
    int par = needs_parens(s);
    if (par)
        put(b, "(", 1);
    pr_select(b, s);
    if (par)
        put(b, ")", 1);
}

/* Grover search options, canonical: " WITH" and each given option in a fixed order. */
static void pr_grover(pbuf *b, const ast_grover *g)
{
    char num[32];
    if (!g->set)
        return;
    puts_(b, " WITH");
    if (g->set & AST_GROVER_AMPLIFY)
        puts_(b, " AMPLITUDE_AMPLIFICATION");
    static const struct { unsigned bit; const char *name; } opts[] = {
        {AST_GROVER_MAX_ITER, " MAX_ITERATIONS "}, {AST_GROVER_ITER, " ITERATIONS "},
        {AST_GROVER_MAX_QUBITS, " MAX_QUBITS "}, {AST_GROVER_SEED, " SEED "}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (!(g->set & opts[i].bit))
            continue;
        int64_t v = opts[i].bit == AST_GROVER_MAX_ITER ? g->max_iterations
                    : opts[i].bit == AST_GROVER_ITER   ? g->iterations
                    : opts[i].bit == AST_GROVER_MAX_QUBITS ? g->max_qubits
                                                           : g->seed;
        snprintf(num, sizeof num, "%lld", (long long)v);
        puts_(b, opts[i].name);
        puts_(b, num);
    }
}

static void pr_select(pbuf *b, const ast_select *s)
{
    if (s->with)
        pr_with(b, s->with);
    switch (s->kind) {
    case AST_SEL_CORE:
        puts_(b, "SELECT ");
        if (s->distinct == 1)
            puts_(b, "DISTINCT ");
        else if (s->distinct == 2)
            puts_(b, "ALL ");
        pr_result_cols(b, &s->cols);
        if (s->from) {
            puts_(b, " FROM ");
            pr_from(b, s->from);
        }
        if (s->neuromatch) {
            const ast_neuromatch *n = s->neuromatch;
            /* always the parenthesised form: a legacy pattern that prints with a leading
             * "(" would otherwise read back as the other form */
            puts_(b, " NEUROMATCH (");
            if (n->field) {
                pr_expr(b, n->field);
                puts_(b, ", ");
            }
            pr_expr(b, n->pattern);
            put(b, ")", 1);
            pr_opt(b, " STRENGTH > ", n->strength);
            pr_options(b, &n->options);
        }
        pr_opt(b, " WHERE ", s->where);
        if (s->group_by.n) {
            puts_(b, " GROUP BY ");
            pr_exprs(b, &s->group_by);
        }
        pr_opt(b, " HAVING ", s->having);
        for (int i = 0; i < s->windows.n; i++) {
            const ast_window *w = s->windows.v[i];
            puts_(b, i ? ", " : " WINDOW ");
            put_ident(b, w->name);
            puts_(b, " AS ");
            pr_window_spec(b, w);
        }
        if (s->quantum_grover) {
            puts_(b, " USING QUANTUM GROVER");
            pr_grover(b, &s->grover);
        }
        break;
    case AST_SEL_VALUES:
        puts_(b, "VALUES ");
        for (int i = 0; i < s->rows.n; i++) {
            if (i)
                puts_(b, ", ");
            put(b, "(", 1);
            pr_exprs(b, s->rows.v[i]);
            put(b, ")", 1);
        }
        break;
    case AST_SEL_COMPOUND: {
        static const char *const ops[] = {" UNION ", " UNION ALL ", " INTERSECT ",
                                          " INTERSECT ALL ", " EXCEPT ", " EXCEPT ALL "};
        /* Compounds are left-associative and INTERSECT binds tighter than UNION/EXCEPT, so a
         * left operand that is a bare compound of the same or tighter precedence needs no
         * parentheses (and a leading parenthesis is not valid everywhere a query may stand,
         * e.g. at the start of a subquery). */
        const ast_select *l = s->left;
        if (l->kind == AST_SEL_COMPOUND && !l->with && !l->order_by.n && !l->limit && !l->offset &&
            compound_prec(l->op) >= compound_prec(s->op))
            pr_select(b, l);
        else
            pr_operand(b, l);
        puts_(b, ops[s->op]);
        pr_operand(b, s->right);
        break;
    }
    }
    if (s->order_by.n) {
        puts_(b, " ORDER BY ");
        pr_order(b, &s->order_by);
    }
    pr_opt(b, " LIMIT ", s->limit);
    pr_opt(b, " OFFSET ", s->offset);
    for (int i = 0; i < s->locking.n; i++) {
        static const char *const st[] = {" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE",
                                         " FOR KEY SHARE"};
        const ast_locking *l = s->locking.v[i];
        puts_(b, st[l->strength]);
        for (int j = 0; j < l->of.n; j++) {
            puts_(b, j ? ", " : " OF ");
            put_ident(b, l->of.v[j]);
        }
        puts_(b, l->wait == AST_LOCK_NOWAIT ? " NOWAIT" : l->wait == AST_LOCK_SKIP_LOCKED ? " SKIP LOCKED" : "");
    }
}

/* BEGIN / START TRANSACTION / SET TRANSACTION modes: " ISOLATION LEVEL x, READ ONLY" */
static void pr_txn_modes(pbuf *b, const ast_txn *t)
{
    if (t->isolation) {
        puts_(b, " ISOLATION LEVEL ");
        puts_(b, t->isolation);
    }
    if (t->access) {
        puts_(b, t->isolation ? ", " : " ");
        puts_(b, t->access);
    }
}

/* ---- statements ------------------------------------------------------------------------ */

static const char *conflict_text(ast_conflict c)
{
    static const char *const t[] = {"", "ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"};
    return t[c];
}

static void pr_returning(pbuf *b, const ast_list *l)
{
    if (l->n) {
        puts_(b, " RETURNING ");
        pr_result_cols(b, l);
    }
}

static void pr_sets(pbuf *b, const ast_list *l)
{
    for (int i = 0; i < l->n; i++) {
        const ast_set *s = l->v[i];
        if (i)
            puts_(b, ", ");
        if (s->cols.n == 1)
            put_ident(b, s->cols.v[0]);
        else
            put_names(b, &s->cols);
        puts_(b, " = ");
        pr_expr(b, s->e);
    }
}

static void pr_fk(pbuf *b, const ast_fk *fk)
{
    static const char *const act[] = {"", "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT",
                                      "NO ACTION"};
    puts_(b, "REFERENCES ");
    put_qname(b, fk->table.schema, fk->table.name);
    if (fk->cols.n)
        put_names(b, &fk->cols);
    if (fk->on_delete) {
        puts_(b, " ON DELETE ");
        puts_(b, act[fk->on_delete]);
    }
    if (fk->on_update) {
        puts_(b, " ON UPDATE ");
        puts_(b, act[fk->on_update]);
    }
    static const char *const def[] = {"", " DEFERRABLE INITIALLY DEFERRED",
                                      " DEFERRABLE INITIALLY IMMEDIATE", " DEFERRABLE",
                                      " NOT DEFERRABLE"};
    puts_(b, def[fk->deferrable]);
}

static void pr_on_conflict(pbuf *b, ast_conflict c)
{
    if (c) {
        puts_(b, " ON CONFLICT ");
        puts_(b, conflict_text(c));
    }
}

static void pr_constraint(pbuf *b, const ast_constraint *c)
{
    if (c->name) {
        puts_(b, "CONSTRAINT ");
        put_ident(b, c->name);
        put(b, " ", 1);
    }
    switch (c->kind) {
    case AST_CONS_PRIMARY_KEY:
        puts_(b, "PRIMARY KEY");
        if (c->cols.n) {
            puts_(b, " (");
            pr_order(b, &c->cols);
            put(b, ")", 1);
        }
        if (c->dir)
            puts_(b, c->dir == AST_DIR_ASC ? " ASC" : " DESC");
        pr_on_conflict(b, c->on_conflict);
        if (c->autoincrement)
            puts_(b, " AUTOINCREMENT");
        break;
    case AST_CONS_NOT_NULL:
        puts_(b, "NOT NULL");
        pr_on_conflict(b, c->on_conflict);
        break;
    case AST_CONS_NULL: puts_(b, "NULL"); break;
    case AST_CONS_UNIQUE:
        puts_(b, "UNIQUE");
        if (c->cols.n) {
            puts_(b, " (");
            pr_order(b, &c->cols);
            put(b, ")", 1);
        }
        pr_on_conflict(b, c->on_conflict);
        break;
    case AST_CONS_DEFAULT:
        puts_(b, "DEFAULT (");
        pr_expr(b, c->e);
        put(b, ")", 1);
        break;
    case AST_CONS_CHECK:
        puts_(b, "CHECK (");
        pr_expr(b, c->e);
        put(b, ")", 1);
        break;
    case AST_CONS_REFERENCES: pr_fk(b, c->fk); break;
    case AST_CONS_FOREIGN_KEY:
        puts_(b, "FOREIGN KEY ");
        put_names(b, &c->cols);
        put(b, " ", 1);
        pr_fk(b, c->fk);
        break;
    case AST_CONS_COLLATE:
        puts_(b, "COLLATE ");
        put_ident(b, c->text);
        break;
    case AST_CONS_AUTOINCREMENT: puts_(b, "AUTO_INCREMENT"); break;
    case AST_CONS_GENERATED:
        puts_(b, "GENERATED ALWAYS AS (");
        pr_expr(b, c->e);
        puts_(b, c->stored ? ") STORED" : ")");
        break;
    case AST_CONS_COMPRESSION:
        puts_(b, "WITH COMPRESSION ");
        puts_(b, c->text);
        break;
    }
}

static void pr_column_def(pbuf *b, const ast_column_def *c)
{
    put_ident(b, c->name);
    if (c->type) {
        put(b, " ", 1);
        pr_type(b, c->type);
    }
    for (int i = 0; i < c->cons.n; i++) {
        put(b, " ", 1);
        pr_constraint(b, c->cons.v[i]);
    }
}

/* An option value as it reads back: a signed number without the parentheses of a unary. */
static void pr_option_value(pbuf *b, const ast_expr *v)
{
    if (v->kind == AST_E_UNARY) {
        puts_(b, op_text(v->op));
        pr_expr(b, v->a);
    } else {
        pr_expr(b, v);
    }
}

static void pr_options(pbuf *b, const ast_list *l)
{
    for (int i = 0; i < l->n; i++) {
        const ast_option *o = l->v[i];
        put(b, " ", 1);
        puts_(b, o->name);
        if (o->value) {
            put(b, " ", 1);
            pr_option_value(b, o->value);
        }
    }
}

static void pr_stmt(pbuf *b, const ast_stmt *s)
{
    switch (s->kind) {
    case AST_SELECT: pr_select(b, s->u.select); break;
    case AST_INSERT: {
        const ast_insert *in = s->u.insert;
        if (in->with)
            pr_with(b, in->with);
        if (in->replace_into) {
            puts_(b, "REPLACE INTO ");
        } else {
            puts_(b, "INSERT ");
            if (in->or_action) {
                puts_(b, "OR ");
                puts_(b, conflict_text(in->or_action));
                put(b, " ", 1);
            }
            puts_(b, "INTO ");
        }
        put_qname(b, in->table.schema, in->table.name);
        pr_alias(b, in->alias);
        if (in->cols.n) {
            put(b, " ", 1);
            put_names(b, &in->cols);
        }
        if (in->source) {
            put(b, " ", 1);
            pr_select(b, in->source);
        } else {
            puts_(b, " DEFAULT VALUES");
        }
        for (int i = 0; i < in->upserts.n; i++) {
            const ast_upsert *u = in->upserts.v[i];
            puts_(b, " ON CONFLICT");
            if (u->target.n) {
                puts_(b, " (");
                pr_order(b, &u->target);
                put(b, ")", 1);
                pr_opt(b, " WHERE ", u->target_where);
            }
            if (u->do_nothing) {
                puts_(b, " DO NOTHING");
            } else {
                puts_(b, " DO UPDATE SET ");
                pr_sets(b, &u->sets);
                pr_opt(b, " WHERE ", u->where);
            }
        }
        pr_returning(b, &in->returning);
        break;
    }
    case AST_UPDATE: {
        const ast_update *u = s->u.update;
        if (u->with)
            pr_with(b, u->with);
        puts_(b, "UPDATE ");
        if (u->or_action) {
            puts_(b, "OR ");
            puts_(b, conflict_text(u->or_action));
            put(b, " ", 1);
        }
        put_qname(b, u->table.schema, u->table.name);
        pr_alias(b, u->alias);
        puts_(b, " SET ");
        pr_sets(b, &u->sets);
        if (u->from) {
            puts_(b, " FROM ");
            pr_from(b, u->from);
        }
        pr_opt(b, " WHERE ", u->where);
        pr_returning(b, &u->returning);
        break;
    }
    case AST_DELETE: {
        const ast_delete *d = s->u.del;
        if (d->with)
            pr_with(b, d->with);
        puts_(b, "DELETE FROM ");
        put_qname(b, d->table.schema, d->table.name);
        pr_alias(b, d->alias);
        pr_opt(b, " WHERE ", d->where);
        pr_returning(b, &d->returning);
        break;
    }
    case AST_CREATE_TABLE: {
        const ast_create_table *c = s->u.create_table;
        puts_(b, c->temp ? "CREATE TEMP TABLE " : "CREATE TABLE ");
        if (c->if_not_exists)
            puts_(b, "IF NOT EXISTS ");
        put_qname(b, c->name.schema, c->name.name);
        if (c->as_select) {
            puts_(b, " AS ");
            pr_select(b, c->as_select);
            break;
        }
        puts_(b, " (");
        for (int i = 0; i < c->cols.n; i++) {
            if (i)
                puts_(b, ", ");
            pr_column_def(b, c->cols.v[i]);
        }
        for (int i = 0; i < c->cons.n; i++) {
            puts_(b, ", ");
            pr_constraint(b, c->cons.v[i]);
        }
        put(b, ")", 1);
        if (c->without_rowid)
            puts_(b, " WITHOUT ROWID");
        if (c->strict)
            puts_(b, c->without_rowid ? ", STRICT" : " STRICT");
        break;
    }
    case AST_DROP: {
        const ast_drop *d = s->u.drop;
        static const char *const what[] = {"TABLE", "INDEX", "VIEW", "TRIGGER"};
        puts_(b, "DROP ");
        puts_(b, what[d->what]);
        if (d->if_exists)
            puts_(b, " IF EXISTS");
        for (int i = 0; i < d->names.n; i++) {
            const ast_qname *q = d->names.v[i];
            puts_(b, i ? ", " : " ");
            put_qname(b, q->schema, q->name);
        }
        if (d->cascade)
            puts_(b, d->cascade == 1 ? " CASCADE" : " RESTRICT");
        break;
    }
    case AST_ALTER_TABLE: {
        const ast_alter *al = s->u.alter;
        puts_(b, "ALTER TABLE ");
        put_qname(b, al->table.schema, al->table.name);
        switch (al->kind) {
        case AST_ALTER_ADD_COLUMN:
            puts_(b, al->if_exists ? " ADD COLUMN IF NOT EXISTS " : " ADD COLUMN ");
            pr_column_def(b, al->col);
            break;
        case AST_ALTER_DROP_COLUMN:
            puts_(b, al->if_exists ? " DROP COLUMN IF EXISTS " : " DROP COLUMN ");
            put_ident(b, al->name);
            break;
        case AST_ALTER_RENAME_COLUMN:
            puts_(b, " RENAME COLUMN ");
            put_ident(b, al->name);
            puts_(b, " TO ");
            put_ident(b, al->new_name);
            break;
        case AST_ALTER_RENAME_TABLE:
            puts_(b, " RENAME TO ");
            put_ident(b, al->name);
            break;
        }
        break;
    }
    case AST_CREATE_INDEX: {
        const ast_create_index *ci = s->u.create_index;
        puts_(b, "CREATE ");
        if (ci->unique)
            puts_(b, "UNIQUE ");
        if (ci->neuromorphic)
            puts_(b, "NEUROMORPHIC ");
        puts_(b, "INDEX ");
        if (ci->if_not_exists)
            puts_(b, "IF NOT EXISTS ");
        if (ci->name.name) {
            put_qname(b, ci->name.schema, ci->name.name);
            put(b, " ", 1);
        }
        puts_(b, "ON ");
        put_qname(b, ci->table.schema, ci->table.name);
        puts_(b, " (");
        pr_order(b, &ci->items);
        put(b, ")", 1);
        pr_opt(b, " WHERE ", ci->where);
        if (ci->options.n) {
            puts_(b, " WITH");
            pr_options(b, &ci->options);
        }
        break;
    }
    case AST_CREATE_VIEW: {
        const ast_create_view *v = s->u.create_view;
        puts_(b, v->temp ? "CREATE TEMP VIEW " : "CREATE VIEW ");
        if (v->if_not_exists)
            puts_(b, "IF NOT EXISTS ");
        put_qname(b, v->name.schema, v->name.name);
        if (v->cols.n) {
            put(b, " ", 1);
            put_names(b, &v->cols);
        }
        puts_(b, " AS ");
        pr_select(b, v->query);
        break;
    }
    case AST_TRUNCATE: {
        const ast_truncate *t = s->u.truncate;
        puts_(b, "TRUNCATE TABLE ");
        put_qname(b, t->table.schema, t->table.name);
        if (t->identity)
            puts_(b, t->identity == 1 ? " RESTART IDENTITY" : " CONTINUE IDENTITY");
        if (t->cascade)
            puts_(b, t->cascade == 1 ? " CASCADE" : " RESTRICT");
        break;
    }
    case AST_CREATE_TRIGGER: {
        const ast_create_trigger *t = s->u.create_trigger;
        puts_(b, t->temp ? "CREATE TEMP TRIGGER " : "CREATE TRIGGER ");
        if (t->if_not_exists)
            puts_(b, "IF NOT EXISTS ");
        put_qname(b, t->name.schema, t->name.name);
        static const char *const tm[] = {"", " BEFORE", " AFTER", " INSTEAD OF"};
        static const char *const ev[] = {"", " INSERT", " UPDATE", " DELETE"};
        puts_(b, tm[t->time]);
        puts_(b, ev[t->event]);
        for (int i = 0; i < t->update_cols.n; i++) {
            puts_(b, i ? ", " : " OF ");
            put_ident(b, t->update_cols.v[i]);
        }
        puts_(b, " ON ");
        put_qname(b, t->table.schema, t->table.name);
        if (t->for_each_row)
            puts_(b, " FOR EACH ROW");
        pr_opt(b, " WHEN ", t->when);
        puts_(b, " BEGIN ");
        for (int i = 0; i < t->body.n; i++) {
            pr_stmt(b, t->body.v[i]);
            puts_(b, "; ");
        }
        puts_(b, "END");
        break;
    }
    case AST_BEGIN: {
        const ast_txn *t = s->u.txn;
        if (t->start) {
            puts_(b, "START TRANSACTION");
        } else {
            static const char *const m[] = {"", " DEFERRED", " IMMEDIATE", " EXCLUSIVE"};
            puts_(b, "BEGIN");
            puts_(b, m[t->mode]);
            if (t->transaction_kw)
                puts_(b, " TRANSACTION");
        }
        pr_txn_modes(b, t);
        break;
    }
    case AST_SET_TRANSACTION:
        puts_(b, s->u.txn->start ? "SET SESSION CHARACTERISTICS AS TRANSACTION" : "SET TRANSACTION");
        pr_txn_modes(b, s->u.txn);
        break;
    case AST_SET_VAR: {
        const ast_set_var *v = s->u.setvar;
        puts_(b, v->local ? "SET LOCAL " : "SET ");
        put_ident(b, v->name);
        puts_(b, " = ");
        if (!v->value)
            puts_(b, "DEFAULT");
        else if (v->quoted)
            put_string(b, v->value, strlen(v->value));
        else
            puts_(b, v->value);
        break;
    }
    case AST_SHOW_VAR:
        puts_(b, "SHOW ");
        put_ident(b, s->u.name);
        break;
    case AST_LOCK_TABLE: {
        const ast_lock_table *l = s->u.lock;
        puts_(b, "LOCK TABLE ");
        for (int i = 0; i < l->tables.n; i++) {
            if (i)
                puts_(b, ", ");
            const ast_qname *q = l->tables.v[i];
            put_qname(b, q->schema, q->name);
        }
        if (l->mode) {
            puts_(b, " IN ");
            puts_(b, l->mode);
            puts_(b, " MODE");
        }
        if (l->nowait)
            puts_(b, " NOWAIT");
        break;
    }
    case AST_COMMIT: puts_(b, "COMMIT"); break;
    case AST_ROLLBACK:
        puts_(b, "ROLLBACK");
        if (s->u.txn->savepoint) {
            puts_(b, " TO SAVEPOINT ");
            put_ident(b, s->u.txn->savepoint);
        }
        break;
    case AST_SAVEPOINT:
        puts_(b, "SAVEPOINT ");
        put_ident(b, s->u.txn->savepoint);
        break;
    case AST_RELEASE:
        puts_(b, "RELEASE SAVEPOINT ");
        put_ident(b, s->u.txn->savepoint);
        break;
    case AST_PREPARE: {
        const ast_prepare *pp = s->u.prepare;
        puts_(b, "PREPARE ");
        put_ident(b, pp->name);
        for (int i = 0; i < pp->types.n; i++) {
            puts_(b, i ? ", " : " (");
            pr_type(b, pp->types.v[i]);
        }
        if (pp->types.n)
            put(b, ")", 1);
        puts_(b, " AS ");
        pr_stmt(b, pp->stmt);
        break;
    }
    case AST_EXECUTE:
        puts_(b, "EXECUTE ");
        put_ident(b, s->u.execute->name);
        if (s->u.execute->args.n) {
            put(b, "(", 1);
            pr_exprs(b, &s->u.execute->args);
            put(b, ")", 1);
        }
        break;
    case AST_DEALLOCATE:
        puts_(b, "DEALLOCATE ");
        if (s->u.name)
            put_ident(b, s->u.name);
        else
            puts_(b, "ALL");
        break;
    case AST_EXPLAIN: {
        const ast_explain *x = s->u.explain;
        puts_(b, "EXPLAIN ");
        if (x->analyze || x->verbose || x->format) {
            const char *sep = "(";
            if (x->analyze) {
                puts_(b, sep);
                puts_(b, "ANALYZE");
                sep = ", ";
            }
            if (x->verbose) {
                puts_(b, sep);
                puts_(b, "VERBOSE");
                sep = ", ";
            }
            if (x->format) {
                puts_(b, sep);
                puts_(b, "FORMAT ");
                puts_(b, x->format);
            }
            puts_(b, ") ");
        }
        pr_stmt(b, x->stmt);
        break;
    }
    case AST_ANALYZE:
    case AST_REINDEX:
    case AST_DESCRIBE:
        puts_(b, s->kind == AST_ANALYZE ? "ANALYZE" : s->kind == AST_REINDEX ? "REINDEX" : "DESCRIBE");
        if (s->qname.name) {
            put(b, " ", 1);
            put_qname(b, s->qname.schema, s->qname.name);
        }
        break;
    case AST_SHOW_TABLES: puts_(b, "SHOW TABLES"); break;
    case AST_NEUROMATCH: {
        const ast_ext *x = s->u.ext;
        puts_(b, "NEUROMATCH ");
        put_qname(b, x->table.schema, x->table.name);
        pr_opt(b, " PATTERN ", x->pattern);
        pr_opt(b, " WHERE ", x->where);
        if (x->options.n) {
            puts_(b, " WITH");
            pr_options(b, &x->options);
        }
        break;
    }
    case AST_QUANTUM_SEARCH: {
        const ast_ext *x = s->u.ext;
        puts_(b, "QUANTUM_SEARCH ");
        put_qname(b, x->table.schema, x->table.name);
        pr_opt(b, " WHERE ", x->where);
        pr_grover(b, &x->grover);
        break;
    }
    case AST_QUANTUM_JOIN: {
        const ast_ext *x = s->u.ext;
        puts_(b, "QUANTUM_JOIN ");
        put_qname(b, x->table.schema, x->table.name);
        put(b, " ", 1);
        put_qname(b, x->table2.schema, x->table2.name);
        pr_opt(b, " ON ", x->on);
        if (x->using_cols.n) {
            puts_(b, " USING ");
            put_names(b, &x->using_cols);
        }
        break;
    }
    case AST_SUPERPOSITION_QUERY: {
        const ast_ext *x = s->u.ext;
        puts_(b, "SUPERPOSITION_QUERY ");
        for (int i = 0; i < x->queries.n; i++) {
            puts_(b, i ? ", (" : "(");
            pr_select(b, x->queries.v[i]);
            put(b, ")", 1);
        }
        break;
    }
    case AST_LEARN_PATTERN: {
        const ast_ext *x = s->u.ext;
        puts_(b, "LEARN PATTERN ");
        pr_option_value(b, x->pattern);
        if (x->table.name) {
            puts_(b, " FROM ");
            put_qname(b, x->table.schema, x->table.name);
        }
        pr_options(b, &x->options);
        break;
    }
    case AST_ADAPT_WEIGHTS: {
        const ast_ext *x = s->u.ext;
        puts_(b, "ADAPT WEIGHTS");
        if (x->table.name) {
            puts_(b, " ON ");
            put_qname(b, x->table.schema, x->table.name);
        }
        pr_options(b, &x->options);
        break;
    }
    case AST_SYNAPTIC_OPTIMIZE: {
        const ast_ext *x = s->u.ext;
        puts_(b, "SYNAPTIC_OPTIMIZE");
        if (x->table.name) {
            put(b, " ", 1);
            put_qname(b, x->table.schema, x->table.name);
        }
        if (x->options.n) {
            puts_(b, " WITH");
            pr_options(b, &x->options);
        }
        break;
    }
    case AST_COMPRESS_TABLE: {
        const ast_ext *x = s->u.ext;
        puts_(b, "COMPRESS TABLE ");
        put_qname(b, x->table.schema, x->table.name);
        puts_(b, " USING ");
        puts_(b, x->algorithm);
        break;
    }
    case AST_DECOMPRESS_TABLE:
    case AST_SHOW_COMPRESSION:
        puts_(b, s->kind == AST_DECOMPRESS_TABLE ? "DECOMPRESS TABLE " : "SHOW COMPRESSION STATS FOR ");
        put_qname(b, s->u.ext->table.schema, s->u.ext->table.name);
        break;
    case AST_OPTIMIZE_QUBO: {
        const ast_ext *x = s->u.ext;
        puts_(b, "OPTIMIZE QUBO ");
        put_qname(b, x->table.schema, x->table.name);
        pr_options(b, &x->options);
        break;
    }
    case AST_VACUUM:
        puts_(b, "VACUUM");
        if (s->u.ext->algorithm)
            puts_(b, " FULL");
        for (int i = 0; i < s->u.ext->options.n; i++) {
            puts_(b, " ");
            puts_(b, ((const ast_option *)s->u.ext->options.v[i])->name);
        }
        if (s->u.ext->table.name) {
            puts_(b, " ");
            put_qname(b, s->u.ext->table.schema, s->u.ext->table.name);
        }
        break;
    case AST_STMT_KIND_COUNT: break;
    }
}

static char *finish(ast_arena *a, pbuf *b)
{
    char *r = NULL;
    if (!b->oom)
        r = ast_strndup(a, b->s ? b->s : "", b->n);
    free(b->s);
    return r;
}

char *ast_to_sql(ast_arena *a, const ast_stmt *s)
{
    pbuf b = {0};
    pr_stmt(&b, s);
    return finish(a, &b);
}

char *ast_expr_to_sql(ast_arena *a, const ast_expr *e)
{
    pbuf b = {0};
    pr_expr(&b, e);
    return finish(a, &b);
}
