/*
 * ops.h — constructors of the plan operators (exec.h) that the compiler assembles.
 *
 * Operators live in the statement's arena (allocated once at prepare time); what they
 * allocate while running (row stores, hash tables, cursors) is released by close, so a
 * statement can be stepped, reset and re-run any number of times.
 */
#ifndef NQ_SQL_OPS_H
#define NQ_SQL_OPS_H

#include "sql/ast.h"
#include "sql/exec.h"

/* Sort key over a row slot: column, direction, NULL placement. */
typedef struct sort_key {
    int col;
    int desc;
    int nulls_first;
} sort_key;

/* One aggregate computed by op_agg: function, argument expressions, DISTINCT, FILTER. */
typedef struct agg_spec {
    const fn_agg_def *def;
    bx **args;
    int nargs;
    int distinct;
    bx *filter;
} agg_spec;

enum { SETOP_UNION, SETOP_UNION_ALL, SETOP_INTERSECT, SETOP_INTERSECT_ALL, SETOP_EXCEPT,
       SETOP_EXCEPT_ALL };

/* Table scan in rowid order; lo/hi (NULL: unbounded) are rowid bounds evaluated at open. */
op *op_scan_new(ast_arena *a, cat_table *t, int slot, bx *lo, int lo_incl, bx *hi, int hi_incl);
/* Index scan: equality on the first neq index columns, then an optional range on the next. */
op *op_iscan_new(ast_arena *a, cat_index *ix, int slot, bx **eq, int neq, bx *lo, int lo_incl,
                 bx *hi, int hi_incl, int reverse);
/* SELECT ... FOR UPDATE / FOR SHARE (rowlock.c): every scan of table t in the plan o locks
 * each row it reads with mode (NQ_LOCK_ROW_*, | NQ_LOCK_NOWAIT) inside a concurrent
 * transaction; the stronger of two modes set on one scan wins. */
void op_scan_set_lock(op *o, const cat_table *t, int mode);
/* One row of no columns (SELECT without FROM). */
op *op_one_new(ast_arena *a);
/* VALUES rows (each nrows x ncols bx). */
op *op_values_new(ast_arena *a, int slot, int ncols, bx ***rows, int nrows);
op *op_filter_new(ast_arena *a, op *child, bx *cond);
/* Nested loop join. left_outer: emit left rows without a match once, with the slots of the
 * right side (null_slots/null_widths) set to NULLs. cond may be NULL. */
op *op_join_new(ast_arena *a, op *l, op *r, bx *cond, int left_outer, const int *null_slots,
                const int *null_widths, int nnull);
/* FULL JOIN (full = 1): r must be an op_material_new; right rows no left row matched come
 * last, with the left side's slots (lnull_slots) set to NULLs. */
op *op_join_full_new(ast_arena *a, op *l, op *r, bx *cond, int left_outer, int full,
                     const int *null_slots, const int *null_widths, int nnull,
                     const int *lnull_slots, const int *lnull_widths, int nlnull);
/* Hash join (exec_hashjoin.c): r is read once into a hash table keyed by rkeys (over rslot);
 * each l row probes with lkeys; cond is the residual condition. numeric: every key is a number,
 * and outer TEXT key values are converted to numbers before probing (as `=` would). */
op *op_hashjoin_new(ast_arena *a, op *l, op *r, int rslot, int rwidth, bx **lkeys, bx **rkeys,
                    int nkeys, bx *cond, int left_outer, int numeric);
/* Evaluate exprs into slot's row. */
op *op_project_new(ast_arena *a, op *child, int slot, bx **exprs, int n);
op *op_sort_new(ast_arena *a, op *child, int slot, int ncols, const sort_key *keys, int nkeys);
op *op_limit_new(ast_arena *a, op *child, bx *limit, bx *offset);
op *op_distinct_new(ast_arena *a, op *child, int slot, int ncols);
/* Grouping: output row = groups values then aggregate results. ngroups 0 = one group, which
 * exists even when the input is empty. */
op *op_agg_new(ast_arena *a, op *child, int slot, bx **groups, int ngroups, const agg_spec *aggs,
               int naggs);
/* Set operation of two inputs whose rows are in lslot/rslot (ncols each). */
op *op_setop_new(ast_arena *a, op *l, int lslot, op *r, int rslot, int slot, int ncols, int kind);
/* Materialize: run child once per open of the parent statement and replay its rows (slot). */
op *op_material_new(ast_arena *a, op *child, int slot, int ncols);
size_t op_material_count(const op *o);      /* rows held (after the first open) */
size_t op_material_pos(const op *o);        /* index of the row last returned */
sqlv *op_material_row(op *o, size_t i);

/* WITH RECURSIVE: the iteration over anchor and recursive part, and the scan of the working
 * table that the recursive part's reference to the CTE compiles to (exec_recursive.c). */
typedef struct rec_state rec_state;
rec_state *rec_state_new(ast_arena *a, int ncols);
op *op_worktable_new(ast_arena *a, rec_state *st, int slot);
op *op_recursive_new(ast_arena *a, rec_state *st, op *anchor, int aslot, op *rec, int rslot,
                     int slot, int union_all);
/* Operators under the recursive part whose cached rows must be dropped before each round. */
void op_recursive_resets(op *o, op **resets, int n);

/* Table function (exec_tablefunc.c; tablefunc.h): inputs[k] fills in_slots[k]; in_maps[k][m]
 * is the input column handed to the function as its m-th column of that table; args[i] is the
 * bound value of parameter i or NULL. The arrays are kept (allocate them in a). */
struct tf_def;
op *op_tablefunc_new(ast_arena *a, const struct tf_def *d, int slot, op *const *inputs,
                     const int *in_slots, int *const *in_maps, const char *const *in_names,
                     int ninputs, bx **args);

/* Grover search over one table's row-index space (exec_grover.c, docs/quantum.md): child is
 * a full scan of t in rowid order, cond the WHERE predicate bound over the scan's slot; the
 * operator returns the rows where cond is true, in rowid order, found by a simulated Grover
 * search when the rows fit in max_qubits qubits (else by a classical filter, and EXPLAIN
 * ANALYZE says why). */
#define GROVER_DEFAULT_QUBITS 20            /* 2^20 rows; the state takes 16 MiB */
#define GROVER_DEFAULT_SEED 0x47524f564552ULL /* "GROVER" */
#define GROVER_WORK_BUDGET ((uint64_t)1 << 32) /* amplitude updates per execution (~seconds) */
typedef struct grover_opts {
    int amplify;             /* 1: exponential search for an unknown M (BBHT); 0: optimal
                                iterations for the known M */
    int64_t max_iterations;  /* per round, 0 = no cap */
    int64_t iterations;      /* fixed per round, -1 = the optimal count */
    int max_qubits;
    uint64_t seed;
} grover_opts;
op *op_grover_new(ast_arena *a, op *child, cat_table *t, bx *cond, const grover_opts *opt);
/* The classical plan standing where USING QUANTUM GROVER asked for a search; why says why
 * (EXPLAIN prints it). */
op *op_grover_skip_new(ast_arena *a, op *child, const char *why);
/* EXPLAIN ANALYZE details of a Grover node: text lines indented for depth (each ending in a
 * newline), or a JSON fragment ", \"grover\": {...}"; the length written, 0 when o is not a
 * Grover node or analyze is 0. */
int op_grover_explain(const op *o, int analyze, int depth, char *buf, size_t cap);
int op_grover_json(const op *o, int analyze, char *buf, size_t cap);

/* Row helpers shared by the row-keeping operators. */
int rows_copy(const sqlv *src, int n, sqlv *dst, nq_err *e); /* deep copy */
void rows_clear(sqlv *v, int n);

/* EXPLAIN text of a plan tree: one line per operator, indented; appended to *buf. */
int op_explain(const op *o, int depth, int analyze, char **buf, size_t *len, size_t *cap);
/* The same as one JSON object: node, estimated_rows, estimated_cost, [actual_rows, loops,
 * time_ms,] children. */
int op_explain_json(const op *o, int analyze, char **buf, size_t *len, size_t *cap);

#endif
