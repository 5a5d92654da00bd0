/*
 * func_like.c — LIKE / ILIKE and GLOB pattern matching, and the like()/glob() functions.
 *
 * One matcher serves both: the pattern is read as a stream of tokens (ANY = % or *, ONE = _
 * or ?, a literal character, and for GLOB a [...] class), and the string is matched with the
 * classic greedy algorithm that remembers only the most recent ANY: on a mismatch it goes
 * back to just after that ANY and lets it swallow one more character. Forgetting earlier
 * ANYs is safe because a later ANY can absorb anything an earlier one could, so the matcher
 * never backtracks further, and the cost is O(len(s) * len(pattern)) in the worst case —
 * '%a%a%a%a%b' against a long run of a's is quadratic, never exponential.
 *
 * Characters are UTF-8 characters (func_util.c's definition), so _ and ? match one
 * character, not one byte. LIKE is case-sensitive (PostgreSQL; SQLite folds ASCII case);
 * ILIKE folds ASCII letters only. The escape character, when given, is one character; an
 * empty escape string turns escaping off (PostgreSQL). Unlike PostgreSQL there is no default
 * escape character: func.h's contract says esc NULL means none, as in SQLite and the SQL
 * standard. GLOB follows SQLite: * ? [abc] [a-z] [^abc], a ']' first in a class is literal,
 * case-sensitive, no escape; an unterminated [ matches nothing.
 */
#include "sql/func_int.h"

#include <string.h>

enum { T_END, T_ANY, T_ONE, T_LIT, T_CLASS };

typedef struct matcher {
    const char *p;
    size_t pn;
    const char *esc; /* escape character bytes, or NULL */
    size_t escn;
    int icase;
    int glob;
} matcher;

typedef struct tok {
    int kind;
    size_t len;        /* bytes of pattern the token spans */
    const char *lit;   /* T_LIT: the character; T_CLASS: the class body after [ and ^ */
    size_t litn;       /* T_LIT: its bytes; T_CLASS: body bytes (up to the closing ]) */
    int negate;        /* T_CLASS */
    int bad;           /* T_END of an unterminated class: nothing can match */
} tok;

/* The token at pattern offset i. A trailing escape is rejected before matching starts. */
static void next_tok(const matcher *m, size_t i, tok *t)
{
    const char *p = m->p;
    size_t n = m->pn;
    t->negate = t->bad = 0;
    if (i >= n) {
        t->kind = T_END;
        t->len = 0;
        return;
    }
    if (m->esc && n - i >= m->escn && !memcmp(p + i, m->esc, m->escn) && i + m->escn < n) {
        t->kind = T_LIT;
        t->lit = p + i + m->escn;
        t->litn = fn_utf8_clen(t->lit, n - i - m->escn);
        t->len = m->escn + t->litn;
        return;
    }
    char c = p[i];
    if (c == (m->glob ? '*' : '%')) {
        t->kind = T_ANY, t->len = 1;
        return;
    }
    if (c == (m->glob ? '?' : '_')) {
        t->kind = T_ONE, t->len = 1;
        return;
    }
    if (m->glob && c == '[') {
        size_t j = i + 1;
        t->negate = 0;
        if (j < n && p[j] == '^')
            t->negate = 1, j++;
        size_t body = j;
        if (j < n && p[j] == ']')
            j++; /* literal ] first in the class */
        while (j < n && p[j] != ']')
            j++;
        if (j >= n) { /* unterminated: SQLite matches nothing */
            t->kind = T_END;
            t->len = 0;
            t->bad = 1;
            return;
        }
        t->kind = T_CLASS;
        t->lit = p + body;
        t->litn = j - body;
        t->len = j + 1 - i;
        return;
    }
    t->kind = T_LIT;
    t->lit = p + i;
    t->litn = fn_utf8_clen(p + i, n - i);
    t->len = t->litn;
}

static int fold(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int lit_eq(const matcher *m, const tok *t, const char *s, size_t cl)
{
    if (t->litn != cl)
        return 0;
    if (cl == 1 && m->icase)
        return fold((unsigned char)s[0]) == fold((unsigned char)t->lit[0]);
    return !memcmp(s, t->lit, cl);
}

static int class_has(const tok *t, uint32_t c)
{
    const char *b = t->lit;
    size_t n = t->litn, i = 0;
    int hit = 0;
    while (i < n) {
        size_t l = fn_utf8_clen(b + i, n - i);
        uint32_t lo = fn_utf8_decode(b + i, l);
        i += l;
        if (i + 1 < n && b[i] == '-') { /* a range lo-hi ('-' last in the class is literal) */
            size_t l2 = fn_utf8_clen(b + i + 1, n - i - 1);
            uint32_t hi = fn_utf8_decode(b + i + 1, l2);
            i += 1 + l2;
            if (c >= lo && c <= hi)
                hit = 1;
        } else if (c == lo) {
            hit = 1;
        }
    }
    return hit != t->negate;
}

/* 1 match, 0 no match. */
static int match(const matcher *m, const char *s, size_t sn)
{
    size_t si = 0, pi = 0, star_p = 0, star_s = 0;
    int have_star = 0;
    tok t;
    while (si < sn) {
        next_tok(m, pi, &t);
        if (t.kind == T_ANY) {
            /* collapse runs of ANY; remember where to resume */
            do {
                pi += t.len;
                next_tok(m, pi, &t);
            } while (t.kind == T_ANY);
            if (t.kind == T_END && !t.bad)
                return 1; /* trailing ANY matches the rest */
            have_star = 1;
            star_p = pi;
            star_s = si;
            continue;
        }
        size_t cl = fn_utf8_clen(s + si, sn - si);
        int ok = 0;
        if (t.kind == T_ONE)
            ok = 1;
        else if (t.kind == T_LIT)
            ok = lit_eq(m, &t, s + si, cl);
        else if (t.kind == T_CLASS)
            ok = class_has(&t, fn_utf8_decode(s + si, cl));
        else if (t.bad)
            return 0; /* malformed class: nothing matches */
        if (ok) {
            si += cl;
            pi += t.len;
            continue;
        }
        if (!have_star)
            return 0;
        star_s += fn_utf8_clen(s + star_s, sn - star_s);
        si = star_s;
        pi = star_p;
    }
    for (;;) { /* the string is used up: only ANYs may remain */
        next_tok(m, pi, &t);
        if (t.kind != T_ANY)
            return t.kind == T_END && !t.bad;
        pi += t.len;
    }
}

static int need_text(const char *op, const sqlv *v, nq_err *e)
{
    return nq_err_set(e, NQ_ETYPE, "%s: operands must be text, not %s", op,
                      sqlv_type_name(v->type));
}

int fn_like(const sqlv *s, const sqlv *pattern, const sqlv *esc, int icase, sqlv *out, nq_err *e)
{
    const char *op = icase ? "ILIKE" : "LIKE";
    *out = sqlv_null();
    if (s->type == SQLV_NULL || pattern->type == SQLV_NULL || (esc && esc->type == SQLV_NULL))
        return 0;
    if (s->type != SQLV_TEXT)
        return need_text(op, s, e);
    if (pattern->type != SQLV_TEXT)
        return need_text(op, pattern, e);
    matcher m = {(const char *)pattern->p, pattern->n, NULL, 0, icase, 0};
    if (!m.p)
        m.p = "";
    if (esc) {
        if (esc->type != SQLV_TEXT)
            return need_text(op, esc, e);
        if (esc->n) {
            const char *ep = (const char *)esc->p;
            if (fn_utf8_clen(ep, esc->n) != esc->n)
                return nq_err_set(e, NQ_ERROR,
                                  "%s: invalid escape string (must be empty or one character)",
                                  op);
            m.esc = ep;
            m.escn = esc->n;
            /* a pattern may not end with the escape character: walk it once */
            for (size_t i = 0; i < m.pn;) {
                if (m.pn - i >= m.escn && !memcmp(m.p + i, ep, m.escn)) {
                    if (i + m.escn >= m.pn)
                        return nq_err_set(e, NQ_ERROR,
                                          "%s pattern must not end with escape character", op);
                    i += m.escn;
                }
                i += fn_utf8_clen(m.p + i, m.pn - i);
            }
        }
    }
    *out = sqlv_bool(match(&m, s->p ? (const char *)s->p : "", s->n));
    return 0;
}

int fn_glob(const sqlv *s, const sqlv *pattern, sqlv *out, nq_err *e)
{
    *out = sqlv_null();
    if (s->type == SQLV_NULL || pattern->type == SQLV_NULL)
        return 0;
    if (s->type != SQLV_TEXT)
        return need_text("GLOB", s, e);
    if (pattern->type != SQLV_TEXT)
        return need_text("GLOB", pattern, e);
    matcher m = {pattern->p ? (const char *)pattern->p : "", pattern->n, NULL, 0, 0, 1};
    *out = sqlv_bool(match(&m, s->p ? (const char *)s->p : "", s->n));
    return 0;
}

/* like(pattern, string [, escape]) and glob(pattern, string): SQLite's function forms, with
 * the pattern first; the same matchers (so like() is case-sensitive here too). Non-text
 * arguments are converted to text as for the other string functions. */
int fn_like_fn(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str p, s, x = {0};
    int rc = fn_arg_text("like", 1, &argv[0], &p, e);
    if (rc)
        return rc;
    rc = fn_arg_text("like", 2, &argv[1], &s, e);
    if (!rc && argc > 2)
        rc = fn_arg_text("like", 3, &argv[2], &x, e);
    if (!rc) {
        sqlv sv = sqlv_text(s.p, s.n), pv = sqlv_text(p.p, p.n), ev = sqlv_text(x.p, x.n);
        rc = fn_like(&sv, &pv, argc > 2 ? &ev : NULL, 0, out, e);
    }
    fn_str_free(&p);
    fn_str_free(&s);
    fn_str_free(&x);
    return rc;
}

int fn_glob_fn(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str p, s = {0};
    int rc = fn_arg_text("glob", 1, &argv[0], &p, e);
    if (rc)
        return rc;
    rc = fn_arg_text("glob", 2, &argv[1], &s, e);
    if (!rc) {
        sqlv sv = sqlv_text(s.p, s.n), pv = sqlv_text(p.p, p.n);
        rc = fn_glob(&sv, &pv, out, e);
    }
    fn_str_free(&p);
    fn_str_free(&s);
    return rc;
}
