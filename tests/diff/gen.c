/*
 * gen.c — random schemas, data and statements in the dialect subset shared by QSQL and SQLite
 * (gen.h describes the interface).
 *
 * Shape of a query: an optional compound (UNION [ALL], INTERSECT, EXCEPT) of select cores, each
 * with a FROM of 1-3 table references joined by commas (condition in WHERE), [INNER] JOIN ..
 * ON, LEFT JOIN, RIGHT JOIN, CROSS JOIN or JOIN .. USING; a WHERE; either plain items or GROUP
 * BY keys with aggregate items and HAVING; DISTINCT; then ORDER BY by column number with
 * explicit directions and NULLS FIRST/LAST, and LIMIT/OFFSET only when the ORDER BY covers
 * every column. Expressions come from expr(): typed, depth-limited, with scalar, IN and EXISTS
 * subqueries that may be correlated (they see the enclosing scope), CASE, COALESCE, abs,
 * length, upper, lower, ||, BETWEEN, IN lists, IS [NOT] NULL, AND/OR/NOT.
 *
 * Known dialect differences, and how the generator stays clear of each:
 *
 *   difference                                   avoided by
 *   -------------------------------------------  ---------------------------------------------
 *   x/0, x%0: we raise "division by zero",       / and % only by a non-zero integer constant
 *     SQLite gives NULL
 *   NULL order: we sort NULLs last ascending     every ORDER BY key says NULLS FIRST or LAST
 *     (PostgreSQL), SQLite first                 (SQLite >= 3.30 has the syntax)
 *   integer overflow: we raise an error,         small values (|v| <= 10000), * only by a
 *     SQLite raises or goes to REAL              constant in [-5, 5], depth <= 3
 *   text vs number comparison: SQLite applies    comparisons, IN, BETWEEN, CASE/COALESCE
 *     affinity, PostgreSQL rejects               branches, set-operation columns: one type
 *                                                class only (numbers or text)
 *   LIKE is case-insensitive in SQLite           no LIKE
 *   REAL formatting and summation order          REAL data are multiples of 1/4 (sums exact);
 *                                                results compared with relative tolerance 1e-9
 *   bare columns in aggregate queries (SQLite    grouped items use only GROUP BY keys (by the
 *     picks a row; we reject)                    same text) and aggregates
 *   group_concat order is unspecified            not generated
 *   scalar subquery with >1 row: SQLite takes    scalar subqueries are aggregates without
 *     the first, PostgreSQL raises               GROUP BY (exactly one row)
 *   INTERSECT binds tighter than UNION/EXCEPT    INTERSECT only in a leading run of
 *     in PostgreSQL, SQLite goes left to right   INTERSECTs, where both readings agree
 *   ON may reference only its own join tree      ON conditions use the tables joined since the
 *     (PostgreSQL), SQLite sees all of FROM      last comma
 *   JOIN USING: ambiguous columns, unqualified   USING only right after the first table, and
 *     references (COALESCE in PostgreSQL)       columns are always qualified (a0.c1)
 *   comma vs JOIN precedence: a, b RIGHT JOIN c  no RIGHT JOIN after a comma (for inner and
 *     is (a, b) RIGHT JOIN c in SQLite, a, (b     LEFT joins both readings agree, since ON
 *     RIGHT JOIN c) in PostgreSQL                 sees only its own join tree)
 *   HAVING without GROUP BY: SQLite rejects it   HAVING only with GROUP BY
 *     unless a result column is an aggregate
 *   WHERE/ON/HAVING on a number (SQLite takes    predicates are always boolean expressions
 *     non-zero as true; PostgreSQL rejects)
 *   length/upper/lower/|| on numbers             string functions only on text; || with a
 *                                                text left operand, REAL never concatenated
 *   upper/lower outside ASCII (SQLite: ASCII)    ASCII text only
 *   INTEGER PRIMARY KEY NULL (SQLite: rowid)     keys are never NULL or omitted in INSERT
 *   type affinity (REAL into INTEGER column      INSERT/UPDATE values match the column type
 *     kept as REAL by SQLite)                    (INTEGER values into REAL columns are fine)
 *   UPDATE with row-order-dependent UNIQUE       key/unique columns are set only to constants
 *     conflicts                                  (then success does not depend on row order)
 *   DML reading its own target table            subqueries of UPDATE/DELETE read other tables
 *
 * Not supported by QSQL yet (generated only with gen_config.unsupported, difftest
 * --unsupported; each is marked UNSUPPORTED where it is avoided):
 *   FULL JOIN                                    not generated
 *   RIGHT JOIN whose left side is itself a join  RIGHT JOIN only right after a single table
 *   SQLite 3.40 bug: x [NOT] IN (SELECT col     the subquery's item is wrapped ((col + 0),
 *     ...) ignores NULLs in col when col leads  (col || '')) when col leads a DESC index
 *     a DESC index (the same query without the
 *     index answers NULL correctly)
 *   integer / integer truncates in both;        kept (it agrees)
 *     a REAL operand makes REAL in both
 */
#include "gen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- KNOWN_BUG switches ---------------------------------------------------------------------
 * Each switch names a construct the engine currently gets wrong (see /work/diff-bugs.md). While
 * it is 1 the generator leaves the construct out, unless gen_config.known_bugs is set. Turn it to
 * 0 when the bug is fixed; the construct then joins the CI mix. */
/* BUG 1: x IN (SELECT ...) whose subquery returns no rows passes NULL to qsort in eval.c
 * sub_in(): UBSan aborts. While on, IN subqueries get "UNION ALL SELECT <constant>" so that
 * they never come back empty. */
#define KNOWN_BUG_EMPTY_IN_SUBQUERY 1

/* True when a construct behind a KNOWN_BUG switch may be generated. */
#define ALLOW(g, sw) (!(sw) || (g)->cfg.known_bugs)

/* ---- random helpers -------------------------------------------------------------------- */

static int rnd(gen *g, int n) { return n <= 1 ? 0 : (int)nq_rng_below(&g->rng, (uint64_t)n); }
static int chance(gen *g, int pct) { return rnd(g, 100) < pct; }
static int between(gen *g, int lo, int hi) { return lo + rnd(g, hi - lo + 1); }

static int is_num(gtype t) { return t == GT_INT || t == GT_REAL; }

/* ---- scripts --------------------------------------------------------------------------- */

void gscript_add(gscript *s, const char *sql)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 32;
        char **v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v)
            abort();
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = db_strdup(sql);
}

void gscript_free(gscript *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- literals and data values ---------------------------------------------------------- */

static void int_lit(dbuf *o, int64_t v)
{
    if (v < 0)
        db_printf(o, "(%" PRId64 ")", v); /* never "- -3" or "--3" */
    else
        db_printf(o, "%" PRId64, v);
}

static int64_t rand_int(gen *g)
{
    int k = rnd(g, 10);
    if (k < 6)
        return between(g, -3, 12);
    if (k < 9)
        return between(g, -100, 100);
    return between(g, -10000, 10000);
}

/* REAL values are multiples of 1/4: exact in binary, so sums do not depend on order. */
static void real_lit(dbuf *o, int64_t quarters)
{
    int64_t a = quarters < 0 ? -quarters : quarters;
    static const char *frac[] = {"0", "25", "5", "75"};
    db_printf(o, "%s%" PRId64 ".%s%s", quarters < 0 ? "(-" : "", a / 4, frac[a % 4],
              quarters < 0 ? ")" : "");
}

static int64_t rand_quarters(gen *g)
{
    return chance(g, 85) ? between(g, -40, 80) : between(g, -40000, 40000);
}

static const char *const WORDS[] = {"",   "a",   "b",   "ab",  "abc", "B",   "Abc", "x y",
                                    "zz", "a b", "ba",  "bb",  "it's", "A",  "xyz", "b a"};

static void text_lit_str(dbuf *o, const char *s)
{
    db_puts(o, "'");
    for (; *s; s++) {
        if (*s == '\'')
            db_puts(o, "'");
        db_putn(o, s, 1);
    }
    db_puts(o, "'");
}

static void text_lit(gen *g, dbuf *o)
{
    if (chance(g, 75)) {
        text_lit_str(o, WORDS[rnd(g, (int)(sizeof WORDS / sizeof WORDS[0]))]);
        return;
    }
    static const char alpha[] = "abcxyzAB _'";
    char s[8];
    int n = rnd(g, 6);
    for (int i = 0; i < n; i++)
        s[i] = alpha[rnd(g, (int)sizeof alpha - 1)];
    s[n] = 0;
    text_lit_str(o, s);
}

static void literal(gen *g, dbuf *o, gtype t)
{
    switch (t) {
    case GT_INT: int_lit(o, rand_int(g)); break;
    case GT_REAL: real_lit(o, rand_quarters(g)); break;
    case GT_TEXT: text_lit(g, o); break;
    default: db_puts(o, chance(g, 50) ? "TRUE" : "FALSE"); break;
    }
}

/* A value for a column of a row (NULL per the column's rate). */
static void col_value(gen *g, const gcol *c, dbuf *o)
{
    if (!c->pk && !c->notnull && chance(g, c->nullpct)) {
        db_puts(o, "NULL");
        return;
    }
    literal(g, o, c->type);
}

/* ---- scopes and expression contexts ----------------------------------------------------- */

#define MAX_REFS 4

typedef struct gref {
    char alias[8];
    int table;
} gref;

typedef struct gscope {
    gref ref[MAX_REFS];
    int nref;
    const struct gscope *outer; /* enclosing query's scope: correlated references */
} gscope;

#define MAX_KEYS 3

typedef struct ectx {
    const gscope *sc;
    int grouped;          /* leaves are GROUP BY keys, aggregates and literals */
    int nkeys;
    const char *key[MAX_KEYS];
    gtype ktype[MAX_KEYS];
    int sub;              /* subqueries allowed */
} ectx;

static void expr(gen *g, const ectx *c, dbuf *o, gtype t, int depth);
static void pred(gen *g, const ectx *c, dbuf *o, int depth);

static void new_alias(gen *g, gref *r, char prefix, int table)
{
    snprintf(r->alias, sizeof r->alias, "%c%d", prefix, g->alias_seq++ % 1000);
    r->table = table;
}

static int pick_table(gen *g)
{
    for (int tries = 0; tries < 8; tries++) {
        int t = rnd(g, g->ntables);
        if (t != g->excl_table)
            return t;
    }
    for (int t = 0; t < g->ntables; t++)
        if (t != g->excl_table)
            return t;
    return 0;
}

/* A column of type t (INTEGER accepted for REAL) visible in c's scopes; 0 when there is none.
 * Mostly the innermost scope; sometimes an enclosing one (a correlated reference). */
static int column(gen *g, const ectx *c, dbuf *o, gtype t)
{
    const gscope *sc = c->sc;
    while (sc->outer && chance(g, 30))
        sc = sc->outer;
    for (int tries = 0; tries < 2; tries++, sc = c->sc) {
        int start = rnd(g, sc->nref);
        for (int k = 0; k < sc->nref; k++) {
            const gref *r = &sc->ref[(start + k) % sc->nref];
            const gtable *tb = &g->t[r->table];
            int cstart = rnd(g, tb->ncols);
            for (int j = 0; j < tb->ncols; j++) {
                const gcol *col = &tb->col[(cstart + j) % tb->ncols];
                if (col->type == t || (t == GT_REAL && col->type == GT_INT && chance(g, 30))) {
                    db_printf(o, "%s.%s", r->alias, col->name);
                    return 1;
                }
            }
        }
    }
    return 0;
}

/* An aggregate call of result type t over c's scope (the rows being grouped). */
static void aggregate(gen *g, const ectx *c, dbuf *o, gtype t)
{
    ectx rc = {.sc = c->sc, .grouped = 0, .sub = 0};
    gscope inner = *c->sc; /* aggregate arguments: this query's rows only, never outer ones */
    inner.outer = NULL;
    rc.sc = &inner;
    switch (t) {
    case GT_INT:
        switch (rnd(g, 6)) {
        case 0: db_puts(o, "count(*)"); return;
        case 1:
            db_puts(o, "count(");
            expr(g, &rc, o, (gtype)rnd(g, 3), 1);
            db_puts(o, ")");
            return;
        case 2:
            db_puts(o, "count(DISTINCT ");
            expr(g, &rc, o, (gtype)rnd(g, 3), 0);
            db_puts(o, ")");
            return;
        case 3: db_puts(o, chance(g, 20) ? "sum(DISTINCT " : "sum("); break;
        case 4: db_puts(o, "min("); break;
        default: db_puts(o, "max("); break;
        }
        expr(g, &rc, o, GT_INT, 1);
        db_puts(o, ")");
        return;
    case GT_REAL:
        switch (rnd(g, 4)) {
        case 0:
            db_puts(o, "avg(");
            expr(g, &rc, o, chance(g, 50) ? GT_INT : GT_REAL, 1);
            db_puts(o, ")");
            return;
        case 1: db_puts(o, "sum("); break;
        case 2: db_puts(o, "min("); break;
        default: db_puts(o, "max("); break;
        }
        expr(g, &rc, o, GT_REAL, 1);
        db_puts(o, ")");
        return;
    case GT_TEXT:
        db_puts(o, chance(g, 50) ? "min(" : "max(");
        expr(g, &rc, o, GT_TEXT, 1);
        db_puts(o, ")");
        return;
    default:
        /* no boolean aggregates in the shared subset: compare one instead */
        aggregate(g, c, o, GT_INT);
        db_puts(o, " > ");
        int_lit(o, between(g, 0, 3));
        return;
    }
}

/* FROM for a subquery: one table, sometimes two joined; the new scope's outer is c's scope. */
static void sub_from(gen *g, const ectx *c, dbuf *o, gscope *sc)
{
    sc->nref = 1;
    sc->outer = c->sc;
    new_alias(g, &sc->ref[0], 's', pick_table(g));
    db_printf(o, " FROM %s AS %s", g->t[sc->ref[0].table].name, sc->ref[0].alias);
}

/* WHERE of a subquery (may reference the enclosing scopes). */
static void sub_where(gen *g, const gscope *sc, dbuf *o, int depth, int pct)
{
    if (!chance(g, pct))
        return;
    ectx wc = {.sc = sc, .sub = depth > 0};
    db_puts(o, " WHERE ");
    pred(g, &wc, o, depth);
}

/* (SELECT agg FROM t [WHERE ...]): exactly one row, of type t. */
static void scalar_subquery(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    gscope sc;
    dbuf from = {0};
    sub_from(g, c, &from, &sc);
    ectx ac = {.sc = &sc, .grouped = 1};
    db_puts(o, "(SELECT ");
    aggregate(g, &ac, o, t);
    db_puts(o, db_str(&from));
    sub_where(g, &sc, o, depth - 1, 70);
    db_puts(o, ")");
    db_free(&from);
}

static void leaf(gen *g, const ectx *c, dbuf *o, gtype t)
{
    if (t == GT_BOOL) { /* no boolean columns: a comparison of leaves */
        gtype u = (gtype)rnd(g, 3);
        static const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
        db_puts(o, "(");
        leaf(g, c, o, u);
        db_printf(o, " %s ", ops[rnd(g, 6)]);
        leaf(g, c, o, u);
        db_puts(o, ")");
        return;
    }
    if (c->grouped) {
        int k = rnd(g, 100);
        if (k < 45) {
            int start = rnd(g, c->nkeys ? c->nkeys : 1);
            for (int i = 0; i < c->nkeys; i++) {
                int j = (start + i) % c->nkeys;
                if (c->ktype[j] == t || (t == GT_REAL && c->ktype[j] == GT_INT)) {
                    db_puts(o, c->key[j]);
                    return;
                }
            }
        }
        if (k < 88) {
            aggregate(g, c, o, t);
            return;
        }
        literal(g, o, t);
        return;
    }
    if (chance(g, 78) && column(g, c, o, t))
        return;
    literal(g, o, t);
}

static void in_subquery(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    gscope sc;
    dbuf from = {0};
    sub_from(g, c, &from, &sc);
    gscope inner = sc;
    inner.outer = NULL;
    ectx ic = {.sc = &inner};
    db_puts(o, "(SELECT ");
    if (chance(g, 20))
        db_puts(o, "DISTINCT ");
    dbuf e = {0};
    expr(g, &ic, &e, t, 1);
    /* SQLite 3.40 answers x IN (SELECT col ...) wrongly, ignoring NULLs in col, when col leads
     * a DESC index: keep SQLite off that index by making the item an expression. */
    const char *dot = strchr(db_str(&e), '.');
    if (dot && !strncmp(db_str(&e), sc.ref[0].alias, strlen(sc.ref[0].alias)) &&
        dot == db_str(&e) + strlen(sc.ref[0].alias) && dot[1] == 'c' &&
        strspn(dot + 2, "0123456789") == strlen(dot + 2) &&
        g->t[sc.ref[0].table].col[atoi(dot + 2)].lead_desc)
        db_printf(o, t == GT_TEXT ? "(%s || '')" : "(%s + 0)", db_str(&e));
    else
        db_puts(o, db_str(&e));
    db_free(&e);
    db_puts(o, db_str(&from));
    sub_where(g, &sc, o, depth - 1, 75);
    if (!ALLOW(g, KNOWN_BUG_EMPTY_IN_SUBQUERY)) {
        db_puts(o, " UNION ALL SELECT ");
        literal(g, o, t);
    }
    db_puts(o, ")");
    db_free(&from);
}

static void exists_subquery(gen *g, const ectx *c, dbuf *o, int depth)
{
    gscope sc;
    dbuf from = {0};
    sub_from(g, c, &from, &sc);
    db_puts(o, "(SELECT 1");
    db_puts(o, db_str(&from));
    sub_where(g, &sc, o, depth - 1, 90);
    db_puts(o, ")");
    db_free(&from);
}

static void pred(gen *g, const ectx *c, dbuf *o, int depth) { expr(g, c, o, GT_BOOL, depth); }

static void cmp_operands(gen *g, const ectx *c, dbuf *o, const char *op, gtype u, int depth)
{
    db_puts(o, "(");
    expr(g, c, o, u, depth - 1);
    db_printf(o, " %s ", op);
    expr(g, c, o, u, depth - 1);
    db_puts(o, ")");
}

static void bool_expr(gen *g, const ectx *c, dbuf *o, int depth)
{
    gtype u = chance(g, 65) ? (chance(g, 60) ? GT_INT : GT_REAL) : GT_TEXT;
    int k = rnd(g, 100);
    if (k < 30) {
        static const char *ops[] = {"=", "<>", "<", "<=", ">", ">=", "!="};
        cmp_operands(g, c, o, ops[rnd(g, 7)], u, depth);
    } else if (k < 40) {
        db_puts(o, "(");
        expr(g, c, o, (gtype)rnd(g, 3), depth - 1);
        db_puts(o, chance(g, 50) ? " IS NULL)" : " IS NOT NULL)");
    } else if (k < 47) {
        db_puts(o, "(");
        expr(g, c, o, u, depth - 1);
        db_puts(o, chance(g, 25) ? " NOT BETWEEN " : " BETWEEN ");
        expr(g, c, o, u, 0);
        db_puts(o, " AND ");
        expr(g, c, o, u, 0);
        db_puts(o, ")");
    } else if (k < 55) {
        db_puts(o, "(");
        expr(g, c, o, u, depth - 1);
        db_puts(o, chance(g, 30) ? " NOT IN (" : " IN (");
        int n = between(g, 1, 4);
        for (int i = 0; i < n; i++) {
            if (i)
                db_puts(o, ", ");
            if (chance(g, 8))
                db_puts(o, "NULL");
            else
                expr(g, c, o, u, 0);
        }
        db_puts(o, "))");
    } else if (k < 62 && c->sub && depth > 0) {
        db_puts(o, "(");
        expr(g, c, o, u, 0);
        db_puts(o, chance(g, 30) ? " NOT IN " : " IN ");
        in_subquery(g, c, o, u, depth);
        db_puts(o, ")");
    } else if (k < 69 && c->sub && depth > 0) {
        db_puts(o, chance(g, 30) ? "(NOT EXISTS " : "(EXISTS ");
        exists_subquery(g, c, o, depth);
        db_puts(o, ")");
    } else if (k < 82) {
        db_puts(o, "(");
        pred(g, c, o, depth - 1);
        db_puts(o, chance(g, 55) ? " AND " : " OR ");
        pred(g, c, o, depth - 1);
        db_puts(o, ")");
    } else if (k < 88) {
        db_puts(o, "(NOT ");
        pred(g, c, o, depth - 1);
        db_puts(o, ")");
    } else if (k < 90) {
        literal(g, o, GT_BOOL);
    } else {
        leaf(g, c, o, GT_BOOL);
    }
}

static void case_expr(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    db_puts(o, "CASE");
    int n = between(g, 1, 2);
    for (int i = 0; i < n; i++) {
        db_puts(o, " WHEN ");
        pred(g, c, o, depth - 1);
        db_puts(o, " THEN ");
        expr(g, c, o, t, depth - 1);
    }
    if (chance(g, 70)) {
        db_puts(o, " ELSE ");
        expr(g, c, o, t, depth - 1);
    }
    db_puts(o, " END");
}

static void coalesce_expr(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    db_puts(o, "COALESCE(");
    int n = between(g, 2, 3);
    for (int i = 0; i < n; i++) {
        if (i)
            db_puts(o, ", ");
        expr(g, c, o, t, depth - 1);
    }
    db_puts(o, ")");
}

static const int DIVISORS[] = {1, 2, 3, 4, 5, 7, -2, -3};

static void num_expr(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    int k = rnd(g, 100);
    if (k < 25) {
        db_puts(o, "(");
        expr(g, c, o, t, depth - 1);
        db_puts(o, chance(g, 50) ? " + " : " - ");
        expr(g, c, o, chance(g, 70) ? t : GT_INT, depth - 1);
        db_puts(o, ")");
    } else if (k < 33) { /* * only by a small constant: no overflow */
        db_puts(o, "(");
        expr(g, c, o, t, depth - 1);
        db_puts(o, " * ");
        if (t == GT_REAL && chance(g, 40))
            real_lit(o, between(g, -8, 8));
        else
            int_lit(o, between(g, -5, 5));
        db_puts(o, ")");
    } else if (k < 40) {
        db_puts(o, "(");
        expr(g, c, o, t, depth - 1);
        db_puts(o, " / ");
        int_lit(o, DIVISORS[rnd(g, (int)(sizeof DIVISORS / sizeof DIVISORS[0]))]);
        db_puts(o, ")");
    } else if (k < 45 && t == GT_INT) {
        db_puts(o, "(");
        expr(g, c, o, GT_INT, depth - 1);
        db_puts(o, " % ");
        int_lit(o, DIVISORS[rnd(g, (int)(sizeof DIVISORS / sizeof DIVISORS[0]))]);
        db_puts(o, ")");
    } else if (k < 50) {
        db_puts(o, "(- ");
        expr(g, c, o, t, depth - 1);
        db_puts(o, ")");
    } else if (k < 55) {
        db_puts(o, "abs(");
        expr(g, c, o, t, depth - 1);
        db_puts(o, ")");
    } else if (k < 61 && t == GT_INT) {
        db_puts(o, "length(");
        expr(g, c, o, GT_TEXT, depth - 1);
        db_puts(o, ")");
    } else if (k < 70) {
        case_expr(g, c, o, t, depth);
    } else if (k < 77) {
        coalesce_expr(g, c, o, t, depth);
    } else if (k < 84 && c->sub) {
        scalar_subquery(g, c, o, t, depth);
    } else {
        leaf(g, c, o, t);
    }
}

static void text_expr(gen *g, const ectx *c, dbuf *o, int depth)
{
    int k = rnd(g, 100);
    if (k < 25) {
        db_puts(o, "(");
        expr(g, c, o, GT_TEXT, depth - 1);
        db_puts(o, " || ");
        expr(g, c, o, chance(g, 75) ? GT_TEXT : GT_INT, depth - 1);
        db_puts(o, ")");
    } else if (k < 40) {
        db_puts(o, chance(g, 50) ? "upper(" : "lower(");
        expr(g, c, o, GT_TEXT, depth - 1);
        db_puts(o, ")");
    } else if (k < 52) {
        case_expr(g, c, o, GT_TEXT, depth);
    } else if (k < 62) {
        coalesce_expr(g, c, o, GT_TEXT, depth);
    } else if (k < 68 && c->sub) {
        scalar_subquery(g, c, o, GT_TEXT, depth);
    } else {
        leaf(g, c, o, GT_TEXT);
    }
}

/* An expression of type t; depth bounds the nesting (0: a leaf). */
static void expr(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    if (t == GT_BOOL) {
        if (depth <= 0)
            leaf(g, c, o, GT_BOOL);
        else
            bool_expr(g, c, o, depth);
        return;
    }
    if (depth <= 0 || chance(g, 35)) {
        leaf(g, c, o, t);
        return;
    }
    if (t == GT_TEXT)
        text_expr(g, c, o, depth);
    else
        num_expr(g, c, o, t, depth);
}

/* ---- FROM ------------------------------------------------------------------------------ */

/* An equality between a column of ref `nw` and one of refs [lo, hi) of sc, same type class;
 * 0 when there is no such pair. */
static int join_eq(gen *g, const gscope *sc, int lo, int hi, int nw, dbuf *o)
{
    const gref *r = &sc->ref[nw];
    const gtable *tn = &g->t[r->table];
    int cs = rnd(g, tn->ncols);
    for (int j = 0; j < tn->ncols; j++) {
        const gcol *a = &tn->col[(cs + j) % tn->ncols];
        int rs = rnd(g, hi - lo);
        for (int k = 0; k < hi - lo; k++) {
            const gref *p = &sc->ref[lo + (rs + k) % (hi - lo)];
            const gtable *tp = &g->t[p->table];
            int ps = rnd(g, tp->ncols);
            for (int m = 0; m < tp->ncols; m++) {
                const gcol *b = &tp->col[(ps + m) % tp->ncols];
                if (a->type == b->type || (is_num(a->type) && is_num(b->type))) {
                    db_printf(o, "(%s.%s = %s.%s)", p->alias, b->name, r->alias, a->name);
                    return 1;
                }
            }
        }
    }
    return 0;
}

/* A join condition over refs [lo, nw] of sc. */
static void join_cond(gen *g, gscope *sc, int lo, int nw, dbuf *o)
{
    gscope tree = {.nref = 0, .outer = NULL};
    for (int i = lo; i <= nw; i++)
        tree.ref[tree.nref++] = sc->ref[i];
    ectx c = {.sc = &tree};
    dbuf eq = {0};
    int have = chance(g, 85) && join_eq(g, sc, lo, nw, nw, &eq);
    if (have && chance(g, 25)) {
        db_printf(o, "(%s AND ", db_str(&eq));
        pred(g, &c, o, 1);
        db_puts(o, ")");
    } else if (have) {
        db_puts(o, db_str(&eq));
    } else {
        pred(g, &c, o, 2);
    }
    db_free(&eq);
}

/* The FROM clause of a select core: fills sc, appends join conditions of comma joins to
 * *conds (" AND "-joined). */
static void from_clause(gen *g, dbuf *o, gscope *sc, dbuf *conds, int maxrefs)
{
    int n = 1 + rnd(g, maxrefs);
    if (n > 1 && chance(g, 30))
        n--;
    sc->nref = 0;
    int tree = 0; /* first ref of the current join tree (since the last comma) */
    db_puts(o, " FROM ");
    for (int i = 0; i < n; i++) {
        gref *r = &sc->ref[sc->nref];
        new_alias(g, r, 'a', pick_table(g));
        const gtable *tb = &g->t[r->table];
        sc->nref++;
        if (i == 0) {
            db_printf(o, "%s AS %s", tb->name, r->alias);
            continue;
        }
        int k = rnd(g, 100);
        if (k < 30) { /* comma join, condition in WHERE */
            db_printf(o, ", %s AS %s", tb->name, r->alias);
            tree = i;
            if (chance(g, 80)) {
                dbuf eq = {0};
                if (join_eq(g, sc, 0, i, i, &eq)) {
                    if (conds->n)
                        db_puts(conds, " AND ");
                    db_puts(conds, db_str(&eq));
                }
                db_free(&eq);
            }
            continue;
        }
        if (k < 38) {
            db_printf(o, " CROSS JOIN %s AS %s", tb->name, r->alias);
            continue;
        }
        const char *kind = k < 65 ? (chance(g, 50) ? " JOIN " : " INNER JOIN ")
                         : k < 88 ? " LEFT JOIN " : " RIGHT JOIN ";
        if (k >= 88 && tree > 0)
            kind = " LEFT JOIN "; /* a, b RIGHT JOIN c: the comma's precedence differs */
        if (k >= 88 && i - tree > 1 && !g->cfg.unsupported)
            kind = " LEFT JOIN "; /* UNSUPPORTED: RIGHT JOIN whose left side is a join */
        if (i == 1 && chance(g, 25)) { /* USING, right after the first table only */
            const gtable *tp = &g->t[sc->ref[tree].table];
            int cs = rnd(g, tb->ncols);
            for (int j = 0; j < tb->ncols; j++) {
                const gcol *a = &tb->col[(cs + j) % tb->ncols];
                for (int m = 0; m < tp->ncols; m++)
                    if (!strcmp(tp->col[m].name, a->name) && tp->col[m].type == a->type) {
                        db_printf(o, "%s%s AS %s USING (%s)", kind, tb->name, r->alias, a->name);
                        goto next;
                    }
            }
        }
        db_printf(o, "%s%s AS %s ON ", kind, tb->name, r->alias);
        join_cond(g, sc, tree, i, o);
    next:;
    }
}

/* ---- select cores and queries ----------------------------------------------------------- */

#define MAX_ITEMS 4

/* A GROUP BY key: a column, sometimes inside a simple expression — never a bare constant,
 * which both dialects would read as a column number. *t: the wanted type, set to the type
 * made. */
static void group_key(gen *g, const gscope *sc, dbuf *o, gtype *t)
{
    ectx c = {.sc = sc};
    dbuf col = {0};
    for (int tries = 0; tries < 6 && !col.n; tries++) {
        if (!column(g, &c, &col, *t))
            *t = (gtype)rnd(g, 3);
    }
    if (!col.n) { /* cannot happen: every table has columns; keep the generator total */
        const gref *r = &sc->ref[0];
        const gcol *gc = &g->t[r->table].col[0];
        db_printf(&col, "%s.%s", r->alias, gc->name);
        *t = gc->type;
    }
    int k = rnd(g, 100);
    if (k < 75) {
        db_puts(o, db_str(&col));
    } else if (*t == GT_TEXT) {
        db_printf(o, k < 88 ? "upper(%s)" : "(%s || 'x')", db_str(&col));
    } else if (k < 85) {
        db_printf(o, "(%s + %d)", db_str(&col), between(g, 1, 9));
    } else if (k < 92 && *t == GT_INT) {
        db_printf(o, "(%s %% 3)", db_str(&col));
    } else {
        db_printf(o, "abs(%s)", db_str(&col));
    }
    db_free(&col);
}

/* One SELECT ... FROM ... [WHERE] [GROUP BY [HAVING]] with items of the given types. */
static void select_core(gen *g, dbuf *o, int nitems, const gtype *types, int allow_distinct)
{
    gscope sc = {.outer = NULL};
    dbuf from = {0}, conds = {0}, where = {0};
    from_clause(g, &from, &sc, &conds, 3);
    ectx rc = {.sc = &sc, .sub = 1};
    if (chance(g, 65)) {
        pred(g, &rc, &where, between(g, 1, 3));
    }
    db_puts(o, "SELECT ");
    if (allow_distinct && chance(g, 15))
        db_puts(o, "DISTINCT ");
    int grouped = chance(g, 28);
    char *keys[MAX_KEYS] = {0};
    dbuf kb[MAX_KEYS] = {{0}};
    ectx gc = {.sc = &sc, .grouped = 1, .sub = 1};
    if (grouped) {
        gc.nkeys = rnd(g, MAX_KEYS);
        for (int i = 0; i < gc.nkeys; i++) {
            gtype kt = (gtype)rnd(g, 3);
            group_key(g, &sc, &kb[i], &kt);
            keys[i] = kb[i].p;
            gc.key[i] = keys[i];
            gc.ktype[i] = kt;
        }
        gc.sub = 0; /* a subquery in a grouped item would have to see only the keys */
    }
    for (int i = 0; i < nitems; i++) {
        if (i)
            db_puts(o, ", ");
        if (grouped)
            expr(g, &gc, o, types[i], between(g, 0, 2));
        else
            expr(g, &rc, o, types[i], between(g, 0, 3));
    }
    db_puts(o, db_str(&from));
    if (where.n || conds.n) {
        db_puts(o, " WHERE ");
        if (where.n && conds.n)
            db_printf(o, "%s AND %s", db_str(&conds), db_str(&where));
        else
            db_puts(o, where.n ? db_str(&where) : db_str(&conds));
    }
    if (grouped && gc.nkeys) {
        db_puts(o, " GROUP BY ");
        for (int i = 0; i < gc.nkeys; i++)
            db_printf(o, "%s%s", i ? ", " : "", keys[i]);
    }
    if (grouped && gc.nkeys && chance(g, 35)) {
        db_puts(o, " HAVING ");
        pred(g, &gc, o, between(g, 1, 2));
    }
    for (int i = 0; i < MAX_KEYS; i++)
        db_free(&kb[i]);
    db_free(&from);
    db_free(&conds);
    db_free(&where);
}

static void order_by(gen *g, dbuf *o, int ncols, cmp_spec *spec, int *total)
{
    int k = rnd(g, 100);
    *total = 0;
    if (k < 35)
        return;
    int perm[MAX_ITEMS];
    for (int i = 0; i < ncols; i++)
        perm[i] = i;
    for (int i = ncols - 1; i > 0; i--) {
        int j = rnd(g, i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    int nk = ncols;
    if (k < 65 && ncols > 1)
        nk = between(g, 1, ncols - 1);
    *total = nk == ncols;
    db_puts(o, " ORDER BY ");
    for (int i = 0; i < nk; i++) {
        ord_key *key = &spec->keys[spec->nkeys++];
        key->col = perm[i];
        key->desc = chance(g, 40);
        key->nulls_first = chance(g, 50);
        db_printf(o, "%s%d%s NULLS %s", i ? ", " : "", perm[i] + 1, key->desc ? " DESC" : "",
                  key->nulls_first ? "FIRST" : "LAST");
    }
    spec->total_order = *total;
}

static void gen_query(gen *g, gstmt *s)
{
    int nitems = between(g, 1, MAX_ITEMS);
    gtype types[MAX_ITEMS];
    for (int i = 0; i < nitems; i++)
        types[i] = chance(g, 12) ? GT_BOOL : (gtype)rnd(g, 3);
    dbuf *o = &s->sql;
    if (chance(g, 18)) {
        int n = between(g, 2, 3);
        int only_isect = 1;
        for (int i = 0; i < n; i++) {
            if (i) {
                int k = rnd(g, 100);
                const char *op = k < 35 ? " UNION " : k < 60 ? " UNION ALL " : k < 80 ? " EXCEPT " : " INTERSECT ";
                if (k >= 80 && !only_isect)
                    op = " UNION ";
                if (k < 80)
                    only_isect = 0;
                db_puts(o, op);
            }
            select_core(g, o, nitems, types, 1);
        }
    } else {
        select_core(g, o, nitems, types, 1);
    }
    int total = 0;
    order_by(g, o, nitems, &s->spec, &total);
    if (total && chance(g, 45)) {
        db_printf(o, " LIMIT %d", between(g, 0, 8));
        if (chance(g, 50))
            db_printf(o, " OFFSET %d", between(g, 0, 5));
    }
}

/* ---- data changes ------------------------------------------------------------------------ */

static void gen_insert(gen *g, gstmt *s, int ti)
{
    const gtable *t = &g->t[ti];
    dbuf *o = &s->sql;
    /* a column list: all columns in table order or shuffled, or a subset keeping the key */
    int cols[GEN_MAX_COLS], n = 0;
    for (int i = 0; i < t->ncols; i++)
        if (t->col[i].pk || t->col[i].notnull || chance(g, 85))
            cols[n++] = i;
    if (chance(g, 30))
        for (int i = n - 1; i > 0; i--) {
            int j = rnd(g, i + 1), x = cols[i];
            cols[i] = cols[j];
            cols[j] = x;
        }
    db_printf(o, "INSERT INTO %s (", t->name);
    for (int i = 0; i < n; i++)
        db_printf(o, "%s%s", i ? ", " : "", t->col[cols[i]].name);
    db_puts(o, ")");
    int has_unique = 0;
    for (int i = 0; i < t->ncols; i++)
        has_unique |= t->col[i].unique;
    int source = pick_table(g);
    if (chance(g, 25) && g->t[source].nrows <= 40 && t->nrows <= 120) {
        gscope sc = {.nref = 1};
        new_alias(g, &sc.ref[0], 'a', source);
        ectx c = {.sc = &sc};
        db_puts(o, " SELECT ");
        for (int i = 0; i < n; i++) {
            const gcol *col = &t->col[cols[i]];
            if (i)
                db_puts(o, ", ");
            if (col->pk) { /* fresh keys most of the time */
                db_puts(o, "(COALESCE(");
                if (!column(g, &c, o, GT_INT))
                    int_lit(o, rand_int(g));
                db_printf(o, ", 0) + %d)", between(g, 100, 100000));
            } else {
                expr(g, &c, o, col->type, between(g, 0, 2));
            }
        }
        db_printf(o, " FROM %s AS %s", g->t[source].name, sc.ref[0].alias);
        if (chance(g, 60)) {
            db_puts(o, " WHERE ");
            pred(g, &c, o, 2);
        }
        return;
    }
    db_puts(o, " VALUES ");
    int rows = between(g, 1, 4);
    for (int r = 0; r < rows; r++) {
        db_puts(o, r ? ", (" : "(");
        for (int i = 0; i < n; i++) {
            const gcol *col = &t->col[cols[i]];
            if (i)
                db_puts(o, ", ");
            if (col->pk)
                int_lit(o, between(g, 1, 3 * g->cfg.max_rows + 20));
            else if (col->notnull && chance(g, 3))
                db_puts(o, "NULL"); /* fails on both sides */
            else
                col_value(g, col, o);
        }
        db_puts(o, ")");
    }
    if (has_unique && chance(g, 20))
        db_puts(o, " ON CONFLICT DO NOTHING");
}

static void gen_update(gen *g, gstmt *s, int ti)
{
    const gtable *t = &g->t[ti];
    dbuf *o = &s->sql;
    gscope sc = {.nref = 1};
    snprintf(sc.ref[0].alias, sizeof sc.ref[0].alias, "%s", t->name);
    sc.ref[0].table = ti;
    ectx c = {.sc = &sc, .sub = 1};
    db_printf(o, "UPDATE %s SET ", t->name);
    int n = between(g, 1, 2), done = 0;
    int used[GEN_MAX_COLS] = {0};
    for (int tries = 0; tries < 8 && done < n; tries++) {
        int ci = rnd(g, t->ncols);
        const gcol *col = &t->col[ci];
        if (used[ci] || (col->pk && chance(g, 80)))
            continue;
        used[ci] = 1;
        db_printf(o, "%s%s = ", done ? ", " : "", col->name);
        if (col->unique || col->pk) {
            if (col->pk)
                int_lit(o, between(g, 1, 3 * g->cfg.max_rows + 20));
            else
                col_value(g, col, o);
        } else {
            ectx vc = c;
            vc.sub = chance(g, 20);
            expr(g, &vc, o, col->type, between(g, 0, 2));
        }
        done++;
    }
    if (!done) { /* every pick was skipped: set the first non-key column to a constant */
        for (int ci = 0; ci < t->ncols; ci++)
            if (!t->col[ci].pk) {
                db_printf(o, "%s = ", t->col[ci].name);
                col_value(g, &t->col[ci], o);
                break;
            }
    }
    if (chance(g, 85)) {
        db_puts(o, " WHERE ");
        pred(g, &c, o, between(g, 1, 3));
    }
}

static void gen_delete(gen *g, gstmt *s, int ti)
{
    const gtable *t = &g->t[ti];
    dbuf *o = &s->sql;
    gscope sc = {.nref = 1};
    snprintf(sc.ref[0].alias, sizeof sc.ref[0].alias, "%s", t->name);
    sc.ref[0].table = ti;
    ectx c = {.sc = &sc, .sub = 1};
    db_printf(o, "DELETE FROM %s", t->name);
    if (chance(g, 96)) {
        db_puts(o, " WHERE ");
        pred(g, &c, o, between(g, 1, 3));
    }
}

static void gen_dml(gen *g, gstmt *s)
{
    int ti = rnd(g, g->ntables);
    const gtable *t = &g->t[ti];
    s->kind = GS_DML;
    s->table = ti;
    s->spec.check_changes = 1;
    g->excl_table = ti;
    int k = rnd(g, 100);
    int ins = t->nrows < 5 ? 70 : t->nrows > 80 ? 15 : 40;
    if (k < ins)
        gen_insert(g, s, ti);
    else if (k < ins + (100 - ins) * 6 / 10)
        gen_update(g, s, ti);
    else
        gen_delete(g, s, ti);
    g->excl_table = -1;
}

/* ---- the public part -------------------------------------------------------------------- */

void gen_config_default(gen_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_rows = 24;
    c->dml_pct = 15;
}

void gen_init(gen *g, uint64_t seed, const gen_config *cfg)
{
    memset(g, 0, sizeof *g);
    nq_rng_seed(&g->rng, seed);
    if (cfg)
        g->cfg = *cfg;
    else
        gen_config_default(&g->cfg);
    if (g->cfg.max_rows < 1)
        g->cfg.max_rows = 1;
    g->excl_table = -1;
}

void gen_set_rows(gen *g, int table, int64_t rows)
{
    if (table >= 0 && table < g->ntables)
        g->t[table].nrows = rows;
}

/* Rows are generated as literal text per value, so UNIQUE can be checked on the text:
 * each type has one canonical spelling per value. NULLs never conflict. */
typedef struct rowset {
    int nrows, ncols;
    char **cell; /* nrows * ncols literals */
} rowset;

static int tuple_unique(const rowset *rs, const int *cols, int n)
{
    for (int a = 0; a < rs->nrows; a++) {
        int anynull = 0;
        for (int k = 0; k < n; k++)
            anynull |= !strcmp(rs->cell[a * rs->ncols + cols[k]], "NULL");
        if (anynull)
            continue;
        for (int b = a + 1; b < rs->nrows; b++) {
            int same = 1;
            for (int k = 0; k < n && same; k++)
                same = !strcmp(rs->cell[a * rs->ncols + cols[k]], rs->cell[b * rs->ncols + cols[k]]);
            if (same)
                return 0;
        }
    }
    return 1;
}

/* Add each ';'-terminated statement of d to out. */
static void add_split(gscript *out, dbuf *d)
{
    char *p = d->p;
    while (p && *p) {
        char *e = strchr(p, ';');
        *e = 0;
        gscript_add(out, p);
        p = e + 1;
    }
}

void gen_setup(gen *g, gscript *out)
{
    g->ntables = between(g, 2, GEN_MAX_TABLES);
    dbuf o = {0};
    for (int ti = 0; ti < g->ntables; ti++) {
        gtable *t = &g->t[ti];
        snprintf(t->name, sizeof t->name, "t%d", ti);
        t->ncols = between(g, 2, 5);
        int pk = chance(g, 45);
        for (int c = 0; c < t->ncols; c++) {
            gcol *col = &t->col[c];
            snprintf(col->name, sizeof col->name, "c%d", c);
            int k = rnd(g, 100);
            col->type = k < 45 ? GT_INT : k < 70 ? GT_REAL : GT_TEXT;
            static const int rates[] = {0, 10, 25, 50};
            col->nullpct = rates[rnd(g, 4)];
            col->notnull = chance(g, 10);
            if (c == 0 && pk) {
                col->type = GT_INT;
                col->pk = col->unique = 1;
                col->notnull = 0;
            }
        }
        db_clear(&o);
        db_printf(&o, "CREATE TABLE %s (", t->name);
        for (int c = 0; c < t->ncols; c++) {
            const gcol *col = &t->col[c];
            static const char *tn[] = {"INTEGER", "REAL", "TEXT"};
            db_printf(&o, "%s%s %s%s%s", c ? ", " : "", col->name, tn[col->type],
                      col->pk ? " PRIMARY KEY" : "", col->notnull ? " NOT NULL" : "");
        }
        db_puts(&o, ")");
        gscript_add(out, db_str(&o));

        /* rows, kept as literals so that unique indexes can be chosen to fit them */
        rowset rs = {.nrows = rnd(g, 5) == 0 ? rnd(g, 4) : between(g, 3, g->cfg.max_rows),
                     .ncols = t->ncols};
        rs.cell = calloc((size_t)(rs.nrows * rs.ncols + 1), sizeof *rs.cell);
        if (!rs.cell)
            abort();
        int keyspace = 3 * g->cfg.max_rows + 20, *used = calloc((size_t)keyspace + 1, sizeof *used);
        if (!used)
            abort();
        for (int r = 0; r < rs.nrows; r++)
            for (int c = 0; c < rs.ncols; c++) {
                dbuf v = {0};
                if (t->col[c].pk) {
                    int k;
                    do
                        k = between(g, 1, keyspace);
                    while (used[k]);
                    used[k] = 1;
                    int_lit(&v, k);
                } else {
                    col_value(g, &t->col[c], &v);
                }
                rs.cell[r * rs.ncols + c] = v.p;
            }
        free(used);

        /* indexes: some before the data (maintained by inserts), some after (built) */
        dbuf before = {0}, after = {0};
        int nidx = rnd(g, 4);
        for (int i = 0; i < nidx; i++) {
            int cols[3], n = between(g, 1, t->ncols < 3 ? t->ncols : 3);
            for (int k = 0; k < n; k++) {
                int c, dup;
                do {
                    c = rnd(g, t->ncols);
                    dup = 0;
                    for (int m = 0; m < k; m++)
                        dup |= cols[m] == c;
                } while (dup);
                cols[k] = c;
            }
            int uniq = chance(g, 35) && tuple_unique(&rs, cols, n);
            dbuf *d = chance(g, 50) ? &before : &after;
            db_printf(d, "CREATE %sINDEX %s_i%d ON %s (", uniq ? "UNIQUE " : "", t->name, i, t->name);
            for (int k = 0; k < n; k++) {
                int desc = chance(g, 25);
                db_printf(d, "%s%s%s", k ? ", " : "", t->col[cols[k]].name, desc ? " DESC" : "");
                if (k == 0 && desc)
                    t->col[cols[k]].lead_desc = 1;
            }
            db_puts(d, ");");
            if (uniq)
                for (int k = 0; k < n; k++)
                    t->col[cols[k]].unique = 1;
        }
        add_split(out, &before);
        for (int r = 0; r < rs.nrows;) {
            db_clear(&o);
            db_printf(&o, "INSERT INTO %s VALUES ", t->name);
            int chunk = between(g, 1, 8);
            for (int k = 0; k < chunk && r < rs.nrows; k++, r++) {
                db_puts(&o, k ? ", (" : "(");
                for (int c = 0; c < rs.ncols; c++)
                    db_printf(&o, "%s%s", c ? ", " : "", rs.cell[r * rs.ncols + c]);
                db_puts(&o, ")");
            }
            gscript_add(out, db_str(&o));
        }
        add_split(out, &after);
        db_free(&before);
        db_free(&after);
        for (int i = 0; i < rs.nrows * rs.ncols; i++)
            free(rs.cell[i]);
        free(rs.cell);
        t->nrows = rs.nrows;
    }
    db_free(&o);
}

void gen_next(gen *g, gstmt *s)
{
    db_clear(&s->sql);
    memset(&s->spec, 0, sizeof s->spec);
    s->kind = GS_QUERY;
    s->table = -1;
    g->alias_seq = 0;
    if (chance(g, g->cfg.dml_pct))
        gen_dml(g, s);
    else
        gen_query(g, s);
}
