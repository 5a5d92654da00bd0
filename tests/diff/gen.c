/*
 * gen.c — random schemas, data and statements in the dialect subset shared by QSQL and SQLite
 * (gen.h describes the interface).
 *
 * Shape of a query: an optional WITH [RECURSIVE] (CTEs of any shape, or a counter), then a
 * select core or a compound (UNION [ALL], INTERSECT, EXCEPT) of two or three; each core has a
 * FROM of 1-3 references (tables, the setup's views, CTEs, derived tables) joined by commas
 * (condition in WHERE), [INNER] JOIN .. ON, LEFT JOIN, RIGHT JOIN, CROSS JOIN or JOIN ..
 * USING; a WHERE; either plain items (maybe window functions) or GROUP BY keys with aggregate
 * items and HAVING; DISTINCT; then ORDER BY by column number with explicit directions and
 * NULLS FIRST/LAST, and LIMIT/OFFSET only when the ORDER BY covers every column. Expressions
 * come from expr(): typed, depth-limited, with scalar, IN and EXISTS subqueries that may be
 * correlated (they see the enclosing scope), CASE (both forms), COALESCE, NULLIF, string and
 * numeric functions, BETWEEN, IN lists, IS [NOT] NULL / DISTINCT FROM / TRUE, AND/OR/NOT.
 * Changes: INSERT (VALUES, SELECT, ON CONFLICT DO NOTHING, upserts), UPDATE, DELETE, maybe
 * with RETURNING; and transaction units of several changes with savepoints.
 *
 * Relations live in gen.t[]: base tables, views, then the current statement's CTEs and
 * derived tables (reset by gen_next). A scope is the list of references (alias + relation)
 * an expression may use, linked to the enclosing query's scope for correlation.
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
 *   LIKE is case-insensitive in SQLite           LIKE only as lower(x) LIKE 'lower-case'
 *                                                pattern (no ESCAPE)
 *   REAL formatting and summation order          REAL data are multiples of 1/4 and REAL
 *                                                expressions divide only by powers of two
 *                                                (sums exact whatever the order: a window's
 *                                                running sum, a hash aggregate's); results
 *                                                compared with relative tolerance 1e-9;
 *                                                inexact results (avg, percent_rank,
 *                                                cume_dist) only in the outermost query
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
 *   replace(x, '', NULL) is x in SQLite (the     with an empty pattern the replacement is a
 *     empty pattern is checked first), NULL in    text constant
 *     PostgreSQL
 *   substr with a start below 1 counts           starts from 1
 *     differently
 *   trim(x, chars) is SQLite's spelling          trim with one argument; ltrim/rtrim (which
 *                                                both have) with two
 *   a REAL-typed expression may hold INTEGER     a REAL expression is divided by a REAL
 *     values in SQLite (values are typed, not    constant (2.0), so both divide as reals
 *     expressions): x / 2 divides as integers
 *   window functions whose value depends on      ranks, and aggregates over peer-based
 *     how ties are ordered                       frames (default, GROUPS, RANGE); row_number,
 *                                                lag/lead, *_value, ntile and ROWS frames
 *                                                only when the INTEGER PRIMARY KEY of the
 *                                                only table ends the window's ORDER BY
 *   INTEGER PRIMARY KEY NULL (SQLite: rowid)     keys are never NULL or omitted in INSERT
 *   type affinity (REAL into INTEGER column      INSERT/UPDATE values match the column type
 *     kept as REAL by SQLite)                    (INTEGER values into REAL columns are fine)
 *   UPDATE with row-order-dependent UNIQUE       key/unique columns are set only to constants
 *     conflicts                                  (then success does not depend on row order)
 *   ON CONFLICT (a, pk) where pk is the INTEGER  such targets are not generated
 *     PRIMARY KEY: SQLite finds no matching
 *     UNIQUE index (the rowid is special)
 *   upsert of several rows hitting one key:      upserts insert one row
 *     SQLite updates twice, PostgreSQL raises
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
 *   SQLite 3.40 bug: predicates in RETURNING   RETURNING items are columns and simple
 *     answer wrongly (UPDATE t SET r = 8.0       arithmetic/string functions of them, never
 *     RETURNING 19.25 <= r gives 1; 'A' NOT IN   a comparison
 *     ('B', t.c, 'bb') with c NULL gives 1)
 *   SQLite 3.40 bug: a RIGHT JOIN inside a     RIGHT JOIN only in the top-level query
 *     derived table, CTE or view can fail with
 *     "ON clause references tables to its
 *     right" when SQLite flattens it
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
#define KNOWN_BUG_EMPTY_IN_SUBQUERY 0 /* fixed in 71ae67c */
/* BUG 2: a window function whose input holds a subquery filter, a sort, a GROUP BY or a set
 * operation (in a derived table, view or CTE) reads freed rows (win_open/rows_copy). While on,
 * windows appear only in select cores over base tables without subqueries. */
#define KNOWN_BUG_WINDOW_INPUT 0 /* fixed in 6a568ec */
/* BUG 3: min/max of TEXT as a window function without ORDER BY reads freed memory
 * (exec_window.c compute). While on, window functions are never of type TEXT. */
#define KNOWN_BUG_WINDOW_TEXT_MINMAX 0 /* fixed in 6a568ec */
/* BUG 4: a view whose body holds a subquery that is a compound of three selects is stored in a
 * form the parser rejects. While on, compounds in view bodies have two selects. */
#define KNOWN_BUG_VIEW_NESTED_COMPOUND 0 /* fixed in f980e07 */
/* BUGS 5 and 6: when a view, CTE or derived table with a complex body (compounds over joins,
 * subqueries, windows) is joined with other relations, conditions of the enclosing query are
 * evaluated where the joined columns are not set (a join loses its rows; an IS NULL filter
 * lets rows through). While on, a view, CTE or derived table is the only item of its FROM. */
#define KNOWN_BUG_NESTED_BLOCK_JOIN 1
/* BUG 7: UPDATE .. FROM writes the new values into the wrong row (and corrupts indexes).
 * While on, no UPDATE .. FROM. */
#define KNOWN_BUG_UPDATE_FROM 0 /* fixed in dcb1e39 */
/* BUG 8: RANGE frames with offsets leave the NULL rows (sorted last) out of a non-NULL row's
 * frame. While on, RANGE frames have no offsets. */
#define KNOWN_BUG_RANGE_OFFSET_NULLS 1

/* True when a construct behind a KNOWN_BUG switch may be generated. */
#define ALLOW(g, sw) (!(sw) || (g)->cfg.known_bugs)

/* The largest cross product (estimated rows) a FROM may build, and the most rows times
 * subquery rows a correlated subquery may cost: keeps a statement well under a millisecond
 * natively, so that the ASan run stays short. */
#define MAX_CROSS 30000.0
#define MAX_SUBQ_WORK 200000.0

/* ---- random helpers --------------------------------------------------------------------
 * Determinism across compilers: never two draws in the arguments of one call (their order is
 * unspecified, and gcc and clang do pick different orders); draw into a variable first. */

static int rnd(gen *g, int n) { return n <= 1 ? 0 : (int)nq_rng_below(&g->rng, (uint64_t)n); }
static int chance(gen *g, int pct) { return rnd(g, 100) < pct; }
static int between(gen *g, int lo, int hi) { return lo + rnd(g, hi - lo + 1); }

static int is_num(gtype t) { return t == GT_INT || t == GT_REAL; }

/* Inside a view, CTE or derived table, whose values the outer query aggregates and compares
 * again, only exact REALs are made: no avg, percent_rank, cume_dist (their roundings then
 * meet a second summation, where the engines' algorithms differ in the last bit, and an
 * equality or GROUP BY splits on it). */
static int exact_only(const gen *g) { return g->nest > 0 || g->in_view; }

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
    if (chance(g, 2)) { /* long: several leaf pages' worth of rows, still a valid index key */
        static const char *parts[] = {"ab", "abc", "x y", "B"};
        const char *p = parts[rnd(g, 4)];
        int n = between(g, 30, 80);
        db_puts(o, "'");
        for (int i = 0; i < n; i++)
            db_puts(o, p);
        db_puts(o, "'");
        return;
    }
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
    char alias[12];
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

/* A relation to read: a base table, a view or a CTE of the statement (never a derived table:
 * those exist only where they are written). A data change's subqueries read base tables other
 * than its target only (the dialects differ on reading the table being changed). */
static int pick_table(gen *g)
{
    if (g->excl_table < 0 && g->nrel > g->ntables && chance(g, 30)) {
        int cand[GEN_MAX_RELS], n = 0;
        for (int i = g->ntables; i < g->nrel; i++)
            if (g->t[i].kind != REL_DERIVED)
                cand[n++] = i;
        if (n)
            return cand[rnd(g, n)];
    }
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
static void aggregate(gen *g, const ectx *c, dbuf *o, gtype t);
static void aggregate_call(gen *g, const ectx *c, dbuf *o, gtype t);

/* An aggregate of type t, sometimes with FILTER (WHERE ...) over the same rows. */
static void aggregate(gen *g, const ectx *c, dbuf *o, gtype t)
{
    if (t == GT_BOOL) { /* no boolean aggregates in the shared subset: compare one instead */
        aggregate(g, c, o, GT_INT);
        db_puts(o, " > ");
        int_lit(o, between(g, 0, 3));
        return;
    }
    aggregate_call(g, c, o, t);
    if (chance(g, 12)) {
        gscope inner = *c->sc;
        inner.outer = NULL;
        ectx fc = {.sc = &inner};
        db_puts(o, " FILTER (WHERE ");
        pred(g, &fc, o, 1);
        db_puts(o, ")");
    }
}

static void aggregate_call(gen *g, const ectx *c, dbuf *o, gtype t)
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
            db_puts(o, exact_only(g) ? "sum(" : "avg(");
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

/* Rows read to produce relation t once (a view or derived table: its body's FROMs). */
static double rel_work(const gen *g, int t)
{
    double w = (double)(g->t[t].nrows + 1);
    return g->t[t].cost > w ? g->t[t].cost : w;
}

/* FROM for a subquery: one table, sometimes two joined; the new scope's outer is c's scope. */
static void sub_from(gen *g, const ectx *c, dbuf *o, gscope *sc)
{
    sc->nref = 1;
    sc->outer = c->sc;
    double outer = 1;
    for (const gscope *p = c->sc; p; p = p->outer)
        for (int i = 0; i < p->nref; i++)
            outer *= (double)(g->t[p->ref[i].table].nrows + 1);
    int ti = pick_table(g);
    for (int tries = 0; tries < 6 && outer * rel_work(g, ti) > MAX_SUBQ_WORK; tries++)
        ti = pick_table(g);
    if (outer * rel_work(g, ti) > MAX_SUBQ_WORK) /* the smallest base table */
        for (int t = 0; t < g->ntables; t++)
            if (t != g->excl_table && g->t[t].nrows < g->t[ti].nrows)
                ti = t;
    new_alias(g, &sc->ref[0], 's', ti);
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
    db_puts(o, "(SELECT ");
    if (chance(g, 25)) { /* one value by a total order: ORDER BY the only column, LIMIT 1 */
        gscope inner = sc;
        inner.outer = NULL;
        ectx ic = {.sc = &inner};
        expr(g, &ic, o, t, 1);
        db_puts(o, db_str(&from));
        sub_where(g, &sc, o, depth - 1, 70);
        int desc = chance(g, 50);
        db_printf(o, " ORDER BY 1%s NULLS %s LIMIT 1", desc ? " DESC" : "",
                  chance(g, 50) ? "FIRST" : "LAST");
        if (chance(g, 30))
            db_printf(o, " OFFSET %d", between(g, 1, 3));
    } else {
        ectx ac = {.sc = &sc, .grouped = 1};
        aggregate(g, &ac, o, t);
        db_puts(o, db_str(&from));
        sub_where(g, &sc, o, depth - 1, 70);
    }
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
    const gtable *rt = &g->t[sc.ref[0].table];
    if (dot && !strncmp(db_str(&e), sc.ref[0].alias, strlen(sc.ref[0].alias)) &&
        dot == db_str(&e) + strlen(sc.ref[0].alias) && (dot[1] == 'c' || dot[1] == 'x') &&
        strspn(dot + 2, "0123456789") == strlen(dot + 2) &&
        (rt->kind != REL_TABLE || rt->col[atoi(dot + 2)].lead_desc)) /* views etc.: flattened */
        db_printf(o, t == GT_TEXT ? "(%s || '')" : "(%s + 0)", db_str(&e));
    else
        db_puts(o, db_str(&e));
    db_free(&e);
    db_puts(o, db_str(&from));
    sub_where(g, &sc, o, depth - 1, 75);
    if (ALLOW(g, KNOWN_BUG_EMPTY_IN_SUBQUERY) && chance(g, 15)) { /* the first k by value */
        int desc = chance(g, 50);
        db_printf(o, " ORDER BY 1%s NULLS %s LIMIT %d", desc ? " DESC" : "",
                  chance(g, 50) ? "FIRST" : "LAST", between(g, 0, 4));
    }
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
    } else if (k < 86) {
        db_puts(o, "(NOT ");
        pred(g, c, o, depth - 1);
        db_puts(o, ")");
    } else if (k < 87) {
        cmp_operands(g, c, o, chance(g, 50) ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM", u,
                     depth);
    } else if (k < 88) { /* LIKE where case cannot matter: lower() against a lower-case pattern */
        static const char *pats[] = {"a%", "%b", "%a%", "_", "a_", "%", "", "x y", "%'%", "__%"};
        db_puts(o, "(lower(");
        expr(g, c, o, GT_TEXT, depth - 1);
        db_puts(o, chance(g, 25) ? ") NOT LIKE " : ") LIKE ");
        text_lit_str(o, pats[rnd(g, 10)]);
        db_puts(o, ")");
    } else if (k < 89) {
        static const char *is[] = {" IS TRUE)", " IS NOT TRUE)", " IS FALSE)", " IS NOT FALSE)"};
        db_puts(o, "(");
        pred(g, c, o, depth - 1);
        db_puts(o, is[rnd(g, 4)]);
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

/* NULLIF(a, b): a, or NULL where a = b. */
static void nullif_expr(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    db_puts(o, "NULLIF(");
    expr(g, c, o, t, depth - 1);
    db_puts(o, ", ");
    expr(g, c, o, t, depth - 1);
    db_puts(o, ")");
}

/* CASE x WHEN v THEN .. [ELSE ..] END, x and v of one type class. */
static void simple_case(gen *g, const ectx *c, dbuf *o, gtype t, int depth)
{
    gtype u = (gtype)rnd(g, 3);
    db_puts(o, "CASE ");
    expr(g, c, o, u, depth - 1);
    int n = between(g, 1, 3);
    for (int i = 0; i < n; i++) {
        db_puts(o, " WHEN ");
        expr(g, c, o, u, 0);
        db_puts(o, " THEN ");
        expr(g, c, o, t, depth - 1);
    }
    if (chance(g, 60)) {
        db_puts(o, " ELSE ");
        expr(g, c, o, t, depth - 1);
    }
    db_puts(o, " END");
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
        /* a REAL expression may hold integers on SQLite's side (it types values, not
         * expressions): divide it by a REAL constant so that both sides divide as reals */
        db_puts(o, "(");
        expr(g, c, o, t, depth - 1);
        db_puts(o, " / ");
        int d = DIVISORS[rnd(g, (int)(sizeof DIVISORS / sizeof DIVISORS[0]))];
        if (t == GT_REAL) /* by a power of two: REAL values stay exact, sums do not depend on
                           * their order (a window's running sum, a hash aggregate's) */
            real_lit(o, 4 * (d == 3 || d == 5 || d == 7 ? 4 : d == -3 ? -2 : d));
        else
            int_lit(o, d);
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
    } else if (k < 67) {
        case_expr(g, c, o, t, depth);
    } else if (k < 72) {
        coalesce_expr(g, c, o, t, depth);
    } else if (k < 75) {
        nullif_expr(g, c, o, t, depth);
    } else if (k < 78) {
        simple_case(g, c, o, t, depth);
    } else if (k < 80 && t == GT_REAL) {
        db_puts(o, "CAST(");
        expr(g, c, o, GT_INT, depth - 1);
        db_puts(o, " AS REAL)");
    } else if (k < 87 && c->sub) {
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
    } else if (k < 46) {
        case_expr(g, c, o, GT_TEXT, depth);
    } else if (k < 53) {
        coalesce_expr(g, c, o, GT_TEXT, depth);
    } else if (k < 56) {
        nullif_expr(g, c, o, GT_TEXT, depth);
    } else if (k < 59) {
        simple_case(g, c, o, GT_TEXT, depth);
    } else if (k < 64) { /* positions from 1: SQLite and PostgreSQL differ below that */
        db_puts(o, "substr(");
        expr(g, c, o, GT_TEXT, depth - 1);
        db_printf(o, ", %d", between(g, 1, 4));
        if (chance(g, 60))
            db_printf(o, ", %d", between(g, 0, 3));
        db_puts(o, ")");
    } else if (k < 69) {
        static const char *fn[] = {"trim(", "ltrim(", "rtrim("};
        int f = rnd(g, 3);
        db_puts(o, fn[f]);
        expr(g, c, o, GT_TEXT, depth - 1);
        if (f > 0 && chance(g, 50)) { /* trim(x, chars) is SQLite only; l/rtrim have both */
            db_puts(o, ", ");
            text_lit_str(o, chance(g, 50) ? "ab" : " x");
        }
        db_puts(o, ")");
    } else if (k < 73) {
        db_puts(o, "replace(");
        expr(g, c, o, GT_TEXT, depth - 1);
        db_puts(o, ", ");
        const char *pat = WORDS[rnd(g, 6)];
        text_lit_str(o, pat);
        db_puts(o, ", ");
        if (*pat) {
            expr(g, c, o, GT_TEXT, 0);
        } else { /* replace(x, '', NULL): x in SQLite, NULL in PostgreSQL (and here) */
            text_lit(g, o);
        }
        db_puts(o, ")");
    } else if (k < 75) {
        db_puts(o, "CAST(");
        expr(g, c, o, GT_INT, depth - 1);
        db_puts(o, " AS TEXT)");
    } else if (k < 80 && c->sub) {
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
static int derived_table(gen *g, dbuf *o, gref *r);


/* The FROM clause of a select core: fills sc, appends join conditions of comma joins to
 * *conds (" AND "-joined). A reference is a table, view or CTE, or (not inside another
 * derived table) a derived table (SELECT ...) AS dN. */
static void from_clause(gen *g, dbuf *o, gscope *sc, dbuf *conds, int maxrefs)
{
    int n = 1 + rnd(g, maxrefs);
    if (n > 1 && chance(g, 30))
        n--;
    sc->nref = 0;
    int tree = 0; /* first ref of the current join tree (since the last comma) */
    db_puts(o, " FROM ");
    dbuf prim = {0};
    double est = 1; /* rows of the cross product so far: keep joins of big tables small */
    for (int i = 0; i < n; i++) {
        gref *r = &sc->ref[sc->nref];
        db_clear(&prim);
        int lone = !ALLOW(g, KNOWN_BUG_NESTED_BLOCK_JOIN); /* non-base relations alone */
        if (lone && i > 0 && g->t[sc->ref[0].table].kind != REL_TABLE)
            break;
        if (!(g->nest == 0 && g->excl_table < 0 && (!lone || n == 1) && chance(g, 10) &&
              derived_table(g, &prim, r))) {
            int ti = pick_table(g);
            for (int tries = 0; tries < 4 && est * (double)(g->t[ti].nrows + 1) > MAX_CROSS; tries++)
                ti = pick_table(g);
            if (lone && n > 1 && g->t[ti].kind != REL_TABLE)
                ti = rnd(g, g->ntables);
            if (i > 0 && est * (double)(g->t[ti].nrows + 1) > MAX_CROSS)
                break;
            new_alias(g, r, 'a', ti);
            db_printf(&prim, "%s AS %s", g->t[r->table].name, r->alias);
        }
        est *= (double)(g->t[r->table].nrows + 1);
        const gtable *tb = &g->t[r->table];
        sc->nref++;
        if (i == 0) {
            db_puts(o, db_str(&prim));
            continue;
        }
        int k = rnd(g, 100);
        if (k < 30) { /* comma join, condition in WHERE */
            db_printf(o, ", %s", db_str(&prim));
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
            db_printf(o, " CROSS JOIN %s", db_str(&prim));
            continue;
        }
        const char *kind = k < 65 ? (chance(g, 50) ? " JOIN " : " INNER JOIN ")
                         : k < 88 ? " LEFT JOIN " : " RIGHT JOIN ";
        if (k >= 88 && tree > 0)
            kind = " LEFT JOIN "; /* a, b RIGHT JOIN c: the comma's precedence differs */
        if (k >= 88 && (g->nest > 0 || g->in_view))
            kind = " LEFT JOIN "; /* SQLite 3.40 rejects some flattened RIGHT JOINs */
        if (k >= 88 && i - tree > 1 && !g->cfg.unsupported)
            kind = " LEFT JOIN "; /* UNSUPPORTED: RIGHT JOIN whose left side is a join */
        if (i == 1 && chance(g, 25)) { /* USING, right after the first table only */
            const gtable *tp = &g->t[sc->ref[tree].table];
            int cs = rnd(g, tb->ncols);
            for (int j = 0; j < tb->ncols; j++) {
                const gcol *a = &tb->col[(cs + j) % tb->ncols];
                for (int m = 0; m < tp->ncols; m++)
                    if (!strcmp(tp->col[m].name, a->name) && tp->col[m].type == a->type) {
                        db_printf(o, "%s%s USING (%s)", kind, db_str(&prim), a->name);
                        goto next;
                    }
            }
        }
        db_printf(o, "%s%s ON ", kind, db_str(&prim));
        join_cond(g, sc, tree, i, o);
    next:;
    }
    db_free(&prim);
    g->from_est = est;
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

/* A window function call of type t over c's rows. The value must not depend on how ties are
 * ordered, so: ranks and aggregates with the default frame (peers included), GROUPS frames,
 * RANGE frames (with offsets on one INTEGER key) — and, when the rows come from one base table
 * with an INTEGER PRIMARY KEY, which then ends the window's ORDER BY as a tiebreak, also
 * row_number, ntile, lag, lead, first/last/nth_value and ROWS frames. */
static void window_call(gen *g, const ectx *c, dbuf *o, gtype t)
{
    ectx wc = {.sc = c->sc};
    char tiebreak[24] = "";
    if (c->sc->nref == 1) {
        const gref *r = &c->sc->ref[0];
        const gtable *tb = &g->t[r->table];
        if (tb->kind == REL_TABLE && tb->col[0].pk)
            snprintf(tiebreak, sizeof tiebreak, "%s.%s", r->alias, tb->col[0].name);
    }
    int tb_ok = tiebreak[0] != 0;
    int need_order = 0, is_agg = 0;
    int k = rnd(g, 100);
    if (tb_ok && k < 30) { /* the order-dependent functions */
        need_order = 1;
        int f = rnd(g, 6);
        if (f == 0 && t != GT_TEXT) {
            db_puts(o, "row_number()");
        } else if (f == 1 && t != GT_TEXT) {
            db_printf(o, "ntile(%d)", between(g, 1, 4));
        } else if (f <= 3) {
            db_puts(o, f == 2 ? "lag(" : "lead(");
            expr(g, &wc, o, t, 1);
            if (chance(g, 60)) {
                db_printf(o, ", %d", between(g, 0, 3));
                if (chance(g, 50)) {
                    db_puts(o, ", ");
                    literal(g, o, t);
                }
            }
            db_puts(o, ")");
        } else {
            static const char *fn[] = {"first_value(", "last_value(", "nth_value("};
            int v = rnd(g, 3);
            db_puts(o, fn[v]);
            expr(g, &wc, o, t, 1);
            if (v == 2)
                db_printf(o, ", %d", between(g, 1, 3));
            db_puts(o, ")");
            is_agg = 1; /* takes a frame */
        }
    } else {
        switch (t) {
        case GT_INT:
            if (k < 45) {
                db_puts(o, chance(g, 50) ? "rank()" : "dense_rank()");
                need_order = 1;
            } else if (k < 60) {
                db_puts(o, "count(*)");
                is_agg = 1;
            } else {
                static const char *fn[] = {"count(", "sum(", "min(", "max("};
                db_puts(o, fn[rnd(g, 4)]);
                expr(g, &wc, o, GT_INT, 1);
                db_puts(o, ")");
                is_agg = 1;
            }
            break;
        case GT_REAL:
            if (k < 45 && !exact_only(g)) {
                db_puts(o, chance(g, 50) ? "percent_rank()" : "cume_dist()");
                need_order = 1;
            } else {
                static const char *fn[] = {"avg(", "sum(", "min(", "max("};
                int f = rnd(g, 4);
                db_puts(o, f == 0 && exact_only(g) ? "sum(" : fn[f]);
                expr(g, &wc, o, GT_REAL, 1);
                db_puts(o, ")");
                is_agg = 1;
            }
            break;
        default:
            db_puts(o, chance(g, 50) ? "min(" : "max(");
            expr(g, &wc, o, GT_TEXT, 1);
            db_puts(o, ")");
            is_agg = 1;
            break;
        }
    }
    db_puts(o, " OVER (");
    int part = chance(g, 55);
    if (part) {
        db_puts(o, "PARTITION BY ");
        int n = between(g, 1, 2);
        for (int i = 0; i < n; i++) {
            if (i)
                db_puts(o, ", ");
            gtype pt = (gtype)rnd(g, 3); /* one draw per statement: argument order is unspecified */
            expr(g, &wc, o, pt, rnd(g, 2));
        }
    }
    int nord = 0, single_int = 0, tied = 0;
    if (need_order || chance(g, 70)) {
        db_puts(o, part ? " ORDER BY " : "ORDER BY ");
        nord = between(g, 1, 2);
        for (int i = 0; i < nord; i++) {
            if (i)
                db_puts(o, ", ");
            gtype ot = (gtype)rnd(g, 3);
            if (nord == 1 && ot == GT_INT)
                single_int = 1;
            expr(g, &wc, o, ot, rnd(g, 2));
            int desc = chance(g, 40);
            db_printf(o, "%s NULLS %s", desc ? " DESC" : "", chance(g, 50) ? "FIRST" : "LAST");
        }
        if (tb_ok && (need_order || chance(g, 50))) {
            db_printf(o, ", %s", tiebreak);
            single_int = 0;
            tied = 1;
        }
    }
    /* a frame: an aggregate (or a value function) over a window with an ORDER BY */
    if (is_agg && nord && chance(g, 40)) {
        static const char *b[] = {"UNBOUNDED PRECEDING", "1 PRECEDING", "CURRENT ROW",
                                  "1 FOLLOWING", "UNBOUNDED FOLLOWING"};
        int lo = rnd(g, 4), hi = lo + rnd(g, 5 - lo);
        if (lo == 0 && hi == 0)
            hi = 2;
        int mode = rnd(g, 3); /* 0 ROWS (needs the tiebreak), 1 GROUPS, 2 RANGE */
        if (mode == 0 && !tied)
            mode = 1; /* ROWS: only with the tiebreak at the end of the ORDER BY */
        int offset = lo == 1 || lo == 3 || hi == 1 || hi == 3;
        if (mode == 2 && offset && (!single_int || !ALLOW(g, KNOWN_BUG_RANGE_OFFSET_NULLS)))
            mode = 1; /* RANGE with an offset: one INTEGER key only */
        static const char *mname[] = {"ROWS", "GROUPS", "RANGE"};
        db_printf(o, " %s BETWEEN %s AND %s", mname[mode], b[lo], b[hi]);
        double rows = 1; /* SQLite recomputes an EXCLUDE frame row by row: keep it small */
        for (int i = 0; i < c->sc->nref; i++)
            rows *= (double)(g->t[c->sc->ref[i].table].nrows + 1);
        if (rows <= 400 && chance(g, 20)) {
            static const char *ex[] = {"NO OTHERS", "CURRENT ROW", "GROUP", "TIES"};
            db_printf(o, " EXCLUDE %s", ex[rnd(g, 4)]);
        }
    }
    db_puts(o, ")");
}

/* One SELECT ... FROM ... [WHERE] [GROUP BY [HAVING]] with items of the given types; each
 * item named <alias><i> when alias is given. */
static void select_core(gen *g, dbuf *o, int nitems, const gtype *types, int allow_distinct,
                        const char *alias, int maxrefs)
{
    gscope sc = {.outer = NULL};
    dbuf from = {0}, conds = {0}, where = {0};
    from_clause(g, &from, &sc, &conds, maxrefs);
    double est = g->from_est; /* (subqueries below may run from_clause again) */
    ectx rc = {.sc = &sc, .sub = 1};
    int windows = chance(g, 25); /* this core may have window functions */
    if (windows && !ALLOW(g, KNOWN_BUG_WINDOW_INPUT)) {
        for (int i = 0; i < sc.nref; i++)
            if (g->t[sc.ref[i].table].kind != REL_TABLE)
                windows = 0;
        if (windows)
            rc.sub = 0;
    }
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
        else if (windows && types[i] != GT_BOOL && chance(g, 35) &&
                 (types[i] != GT_TEXT || ALLOW(g, KNOWN_BUG_WINDOW_TEXT_MINMAX)))
            window_call(g, &rc, o, types[i]);
        else
            expr(g, &rc, o, types[i], between(g, 0, 3));
        if (alias)
            db_printf(o, " AS %s%d", alias, i);
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
    g->core_est = est;
}

static void order_by(gen *g, dbuf *o, int ncols, cmp_spec *spec, int *total)
{
    int k = rnd(g, 100);
    *total = 0;
    if (k < 35)
        return;
    int perm[GEN_MAX_COLS]; /* items: up to MAX_ITEMS, or a table's columns (INSERT) */
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

/* A select core or a compound of two or three, then ORDER BY and LIMIT/OFFSET. */
static void query_body(gen *g, dbuf *o, int nitems, const gtype *types, const char *alias,
                       int maxrefs, cmp_spec *spec)
{
    double rows = 0; /* an upper bound of the rows, for cost limits (gen.body_est) */
    double cost = 0; /* the rows its FROMs read (gen.body_cost) */
    if (chance(g, 18)) {
        int n = between(g, 2, 3);
        if (g->in_view && !ALLOW(g, KNOWN_BUG_VIEW_NESTED_COMPOUND))
            n = 2;
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
            select_core(g, o, nitems, types, 1, alias, maxrefs);
            rows += g->core_est;
            cost += g->core_est;
        }
    } else {
        select_core(g, o, nitems, types, 1, alias, maxrefs);
        rows = g->core_est;
        cost = g->core_est;
    }
    int total = 0;
    order_by(g, o, nitems, spec, &total);
    if (total && chance(g, 45)) {
        int lim = between(g, 0, 8);
        db_printf(o, " LIMIT %d", lim);
        if (rows > lim)
            rows = lim;
        if (chance(g, 50))
            db_printf(o, " OFFSET %d", between(g, 0, 5));
    }
    g->body_est = rows;
    g->body_cost = cost;
}

/* Register a relation of the statement (CTE or derived table) with columns x0.. of the given
 * types; its index, or -1 when there is no room. */
static int add_rel(gen *g, grel_kind kind, const char *name, int n, const gtype *types)
{
    if (g->nrel >= GEN_MAX_RELS)
        return -1;
    gtable *t = &g->t[g->nrel];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%.*s", (int)sizeof t->name - 1, name);
    t->kind = kind;
    t->ncols = n;
    t->nrows = g->cfg.max_rows;
    for (int i = 0; i < n; i++) {
        snprintf(t->col[i].name, sizeof t->col[i].name, "x%d", i);
        t->col[i].type = types[i];
    }
    return g->nrel++;
}

/* (SELECT ... ) AS dN: a derived table in FROM; 0 when there is no room for one. */
static int derived_table(gen *g, dbuf *o, gref *r)
{
    if (g->nrel >= GEN_MAX_RELS)
        return 0;
    int n = between(g, 1, 3);
    gtype types[MAX_ITEMS];
    for (int i = 0; i < n; i++)
        types[i] = (gtype)rnd(g, 3);
    cmp_spec scratch = {0};
    g->nest++;
    db_puts(o, "(");
    query_body(g, o, n, types, "x", 2, &scratch);
    g->nest--;
    double rows = g->body_est, cost = g->body_cost;
    int idx = add_rel(g, REL_DERIVED, "", n, types);
    if (idx < 0) /* cannot happen: checked above, and nothing inside adds relations */
        abort();
    g->t[idx].nrows = (int64_t)(rows < 1e9 ? rows : 1e9);
    g->t[idx].cost = cost;
    new_alias(g, r, 'd', idx);
    snprintf(g->t[idx].name, sizeof g->t[idx].name, "%s", r->alias);
    db_printf(o, ") AS %s", r->alias);
    return 1;
}

/* WITH [RECURSIVE] name AS (...), ...: CTEs that the rest of the query can read. */
static void with_clause(gen *g, dbuf *o)
{
    int n = between(g, 1, 2);
    int rec = chance(g, 30);
    db_puts(o, rec ? "WITH RECURSIVE " : "WITH ");
    for (int i = 0; i < n; i++) {
        if (g->nrel >= GEN_MAX_RELS)
            break;
        char name[8];
        if (i)
            db_puts(o, ", ");
        if (rec && i == 0) { /* a counter: start, start + step, ... up to a limit */
            snprintf(name, sizeof name, "r%d", g->alias_seq++ % 1000);
            int start = between(g, -3, 5), step = between(g, 1, 3);
            db_printf(o, "%s(x0) AS (SELECT ", name);
            int_lit(o, start);
            db_printf(o, " UNION ALL SELECT x0 + %d FROM %s WHERE x0 < %d)", step, name,
                      start + between(g, 0, 30));
            gtype it = GT_INT;
            int idx = add_rel(g, REL_CTE, name, 1, &it);
            if (idx >= 0)
                g->t[idx].nrows = 31;
            continue;
        }
        snprintf(name, sizeof name, "w%d", g->alias_seq++ % 1000);
        int nc = between(g, 1, 3);
        gtype types[MAX_ITEMS];
        for (int k = 0; k < nc; k++)
            types[k] = (gtype)rnd(g, 3);
        cmp_spec scratch = {0};
        db_printf(o, "%s AS (", name);
        g->nest++;
        query_body(g, o, nc, types, "x", 2, &scratch);
        g->nest--;
        db_puts(o, ")");
        double rows = g->body_est, cost = g->body_cost;
        int idx = add_rel(g, REL_CTE, name, nc, types);
        if (idx >= 0) {
            g->t[idx].nrows = (int64_t)(rows < 1e9 ? rows : 1e9);
            g->t[idx].cost = cost;
        }
    }
    db_puts(o, " ");
}

static void gen_query(gen *g, gstmt *s)
{
    int nitems = between(g, 1, MAX_ITEMS);
    gtype types[MAX_ITEMS];
    for (int i = 0; i < nitems; i++)
        types[i] = chance(g, 12) ? GT_BOOL : (gtype)rnd(g, 3);
    dbuf *o = &s->sql;
    if (chance(g, 12))
        with_clause(g, o);
    query_body(g, o, nitems, types, NULL, 3, &s->spec);
}

/* ---- data changes ------------------------------------------------------------------------ */

/* A value expression for column col of a row being written. TEXT for an indexed column is
 * cut to 60 bytes: concatenations could otherwise outgrow our index key limit (about a
 * quarter page; SQLite has none), a one-sided error that leaves the tables different. */
static void write_value(gen *g, const ectx *c, dbuf *o, const gcol *col, int depth)
{
    if (col->type == GT_TEXT && col->indexed) {
        db_puts(o, "substr(");
        expr(g, c, o, GT_TEXT, depth);
        db_puts(o, ", 1, 60)");
    } else {
        expr(g, c, o, col->type, depth);
    }
}

/* RETURNING items over the changed table: columns and simple arithmetic or string functions
 * of them. No comparisons: SQLite 3.40 evaluates predicates in RETURNING wrongly (see the
 * table above). Compared as a multiset like any query. */
static void returning(gen *g, int ti, dbuf *o)
{
    const gtable *t = &g->t[ti];
    if (chance(g, 20)) {
        db_puts(o, " RETURNING *");
        return;
    }
    db_puts(o, " RETURNING ");
    int n = between(g, 1, 3);
    for (int i = 0; i < n; i++) {
        if (i)
            db_puts(o, ", ");
        const gcol *col = &t->col[rnd(g, t->ncols)];
        int k = rnd(g, 4);
        const char *q = chance(g, 50) ? t->name : NULL;
        char ref[32];
        snprintf(ref, sizeof ref, "%s%s%s", q ? q : "", q ? "." : "", col->name);
        if (k == 0 || k == 1)
            db_puts(o, ref);
        else if (col->type == GT_TEXT)
            db_printf(o, k == 2 ? "upper(%s)" : "(%s || 'x')", ref);
        else if (k == 2)
            db_printf(o, "(%s + %d)", ref, between(g, -3, 3));
        else
            db_printf(o, "abs(%s)", ref);
    }
}

/* ON CONFLICT (key) DO NOTHING | DO UPDATE SET ... [WHERE ...] for a one-row INSERT: the key is
 * the primary key or the columns of a UNIQUE index; only other columns are updated. (With
 * several rows hitting one key, SQLite updates twice where PostgreSQL raises.) */
static void upsert(gen *g, int ti, dbuf *o)
{
    const gtable *t = &g->t[ti];
    /* SQLite does not match a target that lists its INTEGER PRIMARY KEY (the rowid) among
     * other columns of a UNIQUE index: such sets are not used */
    int cand_u[4], nu = 0;
    for (int i = 0; i < t->nuniq; i++) {
        int has_pk = 0;
        for (int k = 0; k < t->uniqn[i]; k++)
            has_pk |= t->col[t->uniq[i][k]].pk;
        if (!has_pk || t->uniqn[i] == 1)
            cand_u[nu++] = i;
    }
    int u = cand_u[rnd(g, nu)]; /* nu > 0: the key alone, or an index without it */
    db_puts(o, " ON CONFLICT (");
    for (int k = 0; k < t->uniqn[u]; k++)
        db_printf(o, "%s%s", k ? ", " : "", t->col[t->uniq[u][k]].name);
    db_puts(o, ")");
    int cand[GEN_MAX_COLS], nc = 0;
    for (int i = 0; i < t->ncols; i++)
        if (!t->col[i].unique && !t->col[i].pk)
            cand[nc++] = i;
    if (!nc || chance(g, 25)) {
        db_puts(o, " DO NOTHING");
        return;
    }
    gscope sc = {.nref = 2};
    snprintf(sc.ref[0].alias, sizeof sc.ref[0].alias, "%s", t->name);
    sc.ref[0].table = ti;
    snprintf(sc.ref[1].alias, sizeof sc.ref[1].alias, "excluded");
    sc.ref[1].table = ti;
    ectx c = {.sc = &sc};
    db_puts(o, " DO UPDATE SET ");
    int n = between(g, 1, nc < 2 ? nc : 2);
    for (int i = 0; i < n; i++) {
        int j = i + rnd(g, nc - i), ci = cand[j];
        cand[j] = cand[i];
        cand[i] = ci;
        db_printf(o, "%s%s = ", i ? ", " : "", t->col[ci].name);
        write_value(g, &c, o, &t->col[ci], between(g, 0, 2));
    }
    if (chance(g, 30)) {
        db_puts(o, " WHERE ");
        pred(g, &c, o, 1);
    }
}

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
    if (!t->col[0].pk && t->nrows <= 120 && chance(g, 10)) {
        /* any query shape over one table per select (grouping, DISTINCT, compounds, ORDER BY
         * with LIMIT); not for a table with a key, which a query may fill with NULL */
        gtype types[GEN_MAX_COLS];
        for (int i = 0; i < n; i++)
            types[i] = t->col[cols[i]].type;
        cmp_spec scratch = {0};
        db_puts(o, " ");
        query_body(g, o, n, types, NULL, 1, &scratch);
        if (chance(g, 20))
            returning(g, ti, o);
        return;
    }
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
                write_value(g, &c, o, col, between(g, 0, 2));
            }
        }
        db_printf(o, " FROM %s AS %s", g->t[source].name, sc.ref[0].alias);
        if (chance(g, 60)) {
            db_puts(o, " WHERE ");
            pred(g, &c, o, 2);
        }
        if (chance(g, 20))
            returning(g, ti, o);
        return;
    }
    db_puts(o, " VALUES ");
    int up = t->nuniq && chance(g, 20);
    int rows = up ? 1 : between(g, 1, 4);
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
    if (up)
        upsert(g, ti, o);
    else if (has_unique && chance(g, 20))
        db_puts(o, " ON CONFLICT DO NOTHING");
    if (chance(g, 20))
        returning(g, ti, o);
}

static void gen_update(gen *g, gstmt *s, int ti)
{
    const gtable *t = &g->t[ti];
    dbuf *o = &s->sql;
    gscope sc = {.nref = 1};
    snprintf(sc.ref[0].alias, sizeof sc.ref[0].alias, "%s", t->name);
    sc.ref[0].table = ti;
    ectx c = {.sc = &sc, .sub = 1};
    /* UPDATE .. FROM another table joined on its INTEGER PRIMARY KEY: each target row meets
     * at most one source row (with several, which one wins is unspecified) */
    dbuf from = {0};
    int src = pick_table(g), tcol = -1;
    if (chance(g, 15) && ALLOW(g, KNOWN_BUG_UPDATE_FROM) && src != ti && g->t[src].col[0].pk) {
        int cs = rnd(g, t->ncols);
        for (int j = 0; j < t->ncols && tcol < 0; j++)
            if (t->col[(cs + j) % t->ncols].type == GT_INT)
                tcol = (cs + j) % t->ncols;
    }
    if (tcol >= 0) {
        gref *r = &sc.ref[sc.nref++];
        new_alias(g, r, 'f', src);
        db_printf(&from, " FROM %s AS %s WHERE (%s.c0 = %s.%s)", g->t[src].name, r->alias,
                  r->alias, t->name, t->col[tcol].name);
    }
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
            write_value(g, &vc, o, col, between(g, 0, 2));
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
    if (from.n) {
        db_puts(o, db_str(&from));
        if (chance(g, 50)) {
            db_puts(o, " AND ");
            pred(g, &c, o, between(g, 1, 2));
        }
    } else if (chance(g, 85)) {
        db_puts(o, " WHERE ");
        pred(g, &c, o, between(g, 1, 3));
    }
    db_free(&from);
    if (chance(g, 20))
        returning(g, ti, o);
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
    if (chance(g, 20))
        returning(g, ti, o);
}

static void gen_dml(gen *g, gstmt *s);

/* BEGIN; two to five changes with perhaps a SAVEPOINT and ROLLBACK TO/RELEASE; then COMMIT or
 * ROLLBACK. Each statement is compared as it runs; afterwards every table. A failing change
 * inside the transaction undoes only itself in both engines. */
static void gen_txn(gen *g, gstmt *s)
{
    s->kind = GS_TXN;
    s->table = -1;
    memset(&s->spec, 0, sizeof s->spec);
    s->spec.check_changes = 1;
    dbuf *o = &s->sql;
    db_puts(o, "BEGIN;\n");
    int n = between(g, 2, 5), sp = -1, sp_open = 0;
    if (chance(g, 50))
        sp = rnd(g, n);
    gstmt one = {0};
    for (int i = 0; i < n; i++) {
        if (i == sp) {
            db_puts(o, "SAVEPOINT sp1;\n");
            sp_open = 1;
        }
        db_clear(&one.sql);
        gen_dml(g, &one);
        db_printf(o, "%s;\n", db_str(&one.sql));
        if (sp_open && (i == n - 1 || chance(g, 40))) {
            db_puts(o, chance(g, 60) ? "ROLLBACK TO sp1;\n" : "RELEASE sp1;\n");
            sp_open = 0;
        }
    }
    db_free(&one.sql);
    db_puts(o, chance(g, 60) ? "COMMIT;\n" : "ROLLBACK;\n");
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
                t->uniq[0][0] = 0;
                t->uniqn[0] = 1;
                t->nuniq = 1;
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
        int size = rnd(g, 100);
        rowset rs = {.nrows = size < 20 ? rnd(g, 4) : size < 88 ? between(g, 3, g->cfg.max_rows)
                                                          : between(g, 60, 200),
                     .ncols = t->ncols};
        rs.cell = calloc((size_t)(rs.nrows * rs.ncols + 1), sizeof *rs.cell);
        if (!rs.cell)
            abort();
        int keyspace = 3 * (rs.nrows > g->cfg.max_rows ? rs.nrows : g->cfg.max_rows) + 20, *used = calloc((size_t)keyspace + 1, sizeof *used);
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
                t->col[cols[k]].indexed = 1;
            }
            db_puts(d, ");");
            if (uniq) {
                for (int k = 0; k < n; k++)
                    t->col[cols[k]].unique = 1;
                if (t->nuniq < 4) {
                    memcpy(t->uniq[t->nuniq], cols, sizeof cols);
                    t->uniqn[t->nuniq++] = n;
                }
            }
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
    g->nrel = g->ntables;
    /* views over the tables: any query shape, columns x0.. */
    int nv = rnd(g, GEN_MAX_VIEWS + 1);
    for (int v = 0; v < nv; v++) {
        int n = between(g, 1, 3);
        gtype types[MAX_ITEMS];
        for (int i = 0; i < n; i++)
            types[i] = (gtype)rnd(g, 3);
        cmp_spec scratch = {0};
        db_clear(&o);
        db_printf(&o, "CREATE VIEW v%d AS ", v);
        g->alias_seq = 0;
        g->in_view = 1;
        query_body(g, &o, n, types, "x", 2, &scratch);
        g->in_view = 0;
        double rows = g->body_est, cost = g->body_cost;
        gscript_add(out, db_str(&o));
        g->nrel = g->ntables + g->nviews; /* drop the body's derived tables */
        char name[16];
        snprintf(name, sizeof name, "v%d", v % 10);
        int idx = add_rel(g, REL_VIEW, name, n, types);
        g->t[idx].nrows = (int64_t)(rows < 1e9 ? rows : 1e9);
        g->t[idx].cost = cost;
        g->nviews++;
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
    g->nrel = g->ntables + g->nviews;
    g->nest = 0;
    if (chance(g, 3))
        gen_txn(g, s);
    else if (chance(g, g->cfg.dml_pct))
        gen_dml(g, s);
    else
        gen_query(g, s);
}
