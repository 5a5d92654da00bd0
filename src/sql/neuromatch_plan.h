/*
 * neuromatch_plan.h — NEUROMATCH in plans: the clause of a SELECT, the NEUROMATCH statement,
 * and the relevance feedback a statement applies after its rows (docs/qsql.md, "NEUROMATCH").
 *
 *   SELECT ... FROM ... NEUROMATCH [(field,] 'pattern'[)] [STRENGTH > x]
 *          [LEARNING_RATE x] [HEBBIAN_STRENGTHENING] [WHERE ...] ...
 *   NEUROMATCH t [PATTERN p] [WHERE c] [WITH [SYNAPTIC_WEIGHT x] [LEARNING_RATE x]
 *          [HEBBIAN_STRENGTHENING] [ACTIVATION_THRESHOLD x]]
 *
 * The clause puts one operator above the FROM/WHERE plan (neuromatch_exec.c): for each row it
 * computes the similarity s of the field (or, without a field, the maximum over every column of
 * every FROM item), the learned association a of the row (when the FROM is one base table),
 * the score s + (1 - s) a, and keeps the row when the score passes the threshold (STRENGTH > x:
 * score > x; without STRENGTH, upstream's default weight: score >= 0.5). Its register is a FROM
 * item named `nm` with the columns score, row_id and association (a), hidden from * and from
 * unqualified names, so `nm.score` can be selected or ordered by. Without ORDER BY (and without
 * grouping) rows come ranked: score descending, then association descending (what feedback
 * taught orders rows that all contain the pattern, s = 1), then row_id ascending.
 *
 * The statement is SELECT nm.score AS match_score, nm.row_id AS entity_id, t.* FROM t
 * NEUROMATCH(p) [options] WHERE c: its SYNAPTIC_WEIGHT x (or ACTIVATION_THRESHOLD x) is the
 * threshold (score >= x), a missing PATTERN is the empty pattern, which every value contains
 * (score 1).
 *
 * Feedback (HEBBIAN_STRENGTHENING) is allowed on the outermost query block of a statement whose
 * FROM is one base table and which returns rows (no GROUP BY, aggregates or DISTINCT); such a
 * statement writes, so it runs in a write transaction: stmt.c runs it to the end, buffers its
 * rows, reads each row's (row_id, score) from two hidden output columns, and calls
 * nm_fb_apply, which strengthens the term–row associations of exactly the rows returned
 * (after WHERE, ORDER BY and LIMIT).
 */
#ifndef NQ_SQL_NEUROMATCH_PLAN_H
#define NQ_SQL_NEUROMATCH_PLAN_H

#include "sql/compile.h"
#include "sql/neuromatch.h"

/* What the statement does after its rows (cc.nm_fb). */
typedef struct nm_fb {
    op *nmop;             /* the NEUROMATCH operator (pattern and table) */
    int rowcol, scorecol; /* hidden output columns with the row's rowid and score */
    double eta;           /* LEARNING_RATE */
} nm_fb;

/* The clause of a query block: compiled above *plan (the FROM/WHERE plan of scope sc). */
typedef struct nm_clause {
    op *nmop;
    int slot;             /* the operator's register: score, row_id */
    int rank;             /* rank by score (no ORDER BY, no grouping) */
    nm_fb *fb;            /* feedback requested */
} nm_clause;
int cc_neuromatch_clause(cc *c, cc_scope *sc, const ast_select *q, op **plan, nm_clause *out);
/* After the select list and ORDER BY are bound: adds the hidden columns the ranking and the
 * feedback need (exprs/names have room for 3 more) and the ranking sort keys (*keys is
 * replaced; *nkeys grows). */
int cc_neuromatch_finish(cc *c, const nm_clause *nm, int grouped, int distinct, bx **exprs,
                         const char **names, int *nexprs, sort_key **keys, int *nkeys);
/* NEUROMATCH t ... as its SELECT. */
int cc_neuromatch_stmt(cc *c, const ast_ext *x, uint32_t line, uint32_t col, cc_query *out);

/* The operator (neuromatch_exec.c). fields: expressions over the FROM registers (their
 * maximum score counts); t/rowid_slot: the base table whose hidden rowid (column t->ncols of
 * rowid_slot) keys the associations, or NULL. */
typedef struct nm_op_spec {
    bx **fields;
    int nfields;
    bx *pattern;
    bx *threshold;        /* NULL: NM_DEFAULT_THRESHOLD */
    int strict;           /* STRENGTH > x */
    cat_table *t;
    int rowid_slot;
    const char *desc_fields; /* for EXPLAIN */
} nm_op_spec;
op *op_neuromatch_new(ast_arena *a, op *child, int slot, const nm_op_spec *spec);
/* The pattern and table of the operator's last run (for feedback). */
const nm_pattern *op_neuromatch_pattern(const op *o);
const cat_table *op_neuromatch_table(const op *o);

/* Feedback after a statement's rows: hits from the hidden columns. */
int nm_fb_apply(sql_session *s, const nm_fb *fb, const nm_hit *hits, size_t n, nq_err *e);

#endif
