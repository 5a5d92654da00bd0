/*
 * plan_joinorder.h — the search for the order of inner joins, apart from operator construction.
 *
 * The planner (compile_from.c) describes joining item i after a set of placed items by a few
 * numbers that do not depend on how many rows the placed items produce (jo_params): the
 * nested-loop cost per outer row, the one-off cost of building a hash table (or none), and the
 * factors by which the row estimate grows on each path. jo_order_cost chains them over a
 * left-deep order exactly as the operator construction does (the hash join is taken when it is
 * cheaper; a nested loop that would scan the whole table is hashed too when a key exists), so
 * the cost of an order is the planner's own estimate. Parameters are memoised per
 * (item, placed set).
 *
 * Searches over that cost:
 *   jo_greedy      the planner's historic rule: at each step the item whose join is cheapest
 *                  plus the cheapest join after it (one step of lookahead);
 *   jo_dp          dynamic programming over subsets of placed items, left-deep orders; each
 *                  subset keeps its Pareto front of (cost so far, rows so far) — the cost of
 *                  the rest grows with the rows it starts from, so that front is exact except
 *                  where the hash/nested-loop switch makes the row estimate fall with more
 *                  input (then the front's other members still usually cover it);
 *   jo_anneal      annealing over permutations (src/quantum/perm_anneal.c, replica exchange
 *                  with JO_ANNEAL_REPLICAS replicas) on the logarithm of the cost, seeded,
 *                  with an evaluation budget;
 *   jo_exhaustive  every permutation (n <= 9), for tests.
 * jo_choose applies the policy (docs/qsql.md "Planner", docs/quantum.md "Join ordering by
 * annealing"): fewer than JO_ANNEAL_MIN items and no QUANTUM_JOIN, greedy alone; otherwise
 * greedy, DP when n <= JO_DP_MAX, and annealing, keeping the cheapest (greedy on ties, and the
 * annealed order only when it is strictly cheaper).
 *
 * Items are numbered 0..n-1, n <= 64; `placed` is a bit set over them.
 */
#ifndef NQ_SQL_PLAN_JOINORDER_H
#define NQ_SQL_PLAN_JOINORDER_H

#include <stdint.h>

#include "base/err.h"
#include "sql/ast.h"

#define JO_MAX_ITEMS 64
#define JO_ANNEAL_MIN 8     /* from this many inner-joined items, search beyond greedy */
#define JO_DP_MAX 10        /* DP over subsets up to this many items (bench_joinorder:
                               1.6-3.3 ms at 10, 23-62 ms at 12) */
#define JO_ANNEAL_EVALS 4000 /* annealing budget: cost evaluations of whole orders */
#define JO_ANNEAL_SEED 1
#define JO_ANNEAL_REPLICAS 4 /* replica exchange: fewer bad outliers than one replica (docs) */

typedef struct jo_params {
    double nl_cost;       /* nested loop: cost per row so far */
    double hash_build;    /* hash join: one-off cost (plus one per row so far); < 0: none */
    int nl_scan;          /* the nested loop's access is a full scan (then a hash join is built
                             even when not cheaper, when one is possible) */
    double nl_rows;       /* rows so far are multiplied by this after a nested loop */
    double hash_rows;     /* ... after a hash join chosen for its cost */
    double scan_hash_rows;/* ... after a hash join over the full scan (nl_scan) */
    double look_rows;     /* the greedy's lookahead estimate of the item's rows (>= 1) */
} jo_params;

/* Fill *p for joining item after the set placed (0: item comes first). 0 or NQ_E*. */
typedef int (*jo_params_fn)(void *ctx, int item, uint64_t placed, jo_params *p);

typedef struct jo_memo_ent jo_memo_ent;

typedef struct jo_model {
    int n;
    jo_params_fn params;
    void *ctx;
    nq_err *err;
    int rc;               /* first error from params (then costs are NaN) */
    jo_memo_ent *memo;
    uint64_t memo_cap, memo_n;
    long evals;           /* orders evaluated (jo_order_cost calls) */
    long param_calls;     /* params computed (memo misses) */
    /* the last evaluated order and its prefix states, for incremental evaluation */
    int *last;
    double *pre_cost, *pre_rows;
    int nlast;
} jo_model;

typedef enum jo_method { JO_WRITTEN, JO_GREEDY, JO_DP, JO_ANNEAL } jo_method;

typedef struct jo_choice {
    jo_method method;
    int n;
    int forced;           /* QUANTUM_JOIN asked for annealing */
    double cost;          /* estimated cost of the chosen order */
    double greedy_cost;
    double dp_cost;       /* < 0: DP not run */
    double anneal_cost;   /* < 0: annealing not run */
    long anneal_evals;
    double ms;            /* wall time of the whole search */
    double greedy_ms, dp_ms, anneal_ms;
    int greedy_order[JO_MAX_ITEMS]; /* the greedy's order (EXPLAIN shows it when not chosen) */
} jo_choice;

int jo_model_init(jo_model *m, int n, jo_params_fn fn, void *ctx, nq_err *err);
void jo_model_free(jo_model *m);
/* Parameters of (item, placed), memoised; NULL on error (m->rc set). */
const jo_params *jo_get(jo_model *m, int item, uint64_t placed);
/* One join step: the cost at `rows` rows so far, and the rows after it in *rows_after. */
double jo_step_cost(const jo_params *p, double rows, double *rows_after);
/* Estimated cost of the left-deep order (a permutation of 0..n-1); NaN on error. */
double jo_order_cost(jo_model *m, const int *order);

int jo_greedy(jo_model *m, int *order, double *cost);
/* n <= 20 (memory 2^n fronts); returns NQ_ETOOBIG beyond. */
int jo_dp(jo_model *m, int *order, double *cost);
int jo_anneal(jo_model *m, uint64_t seed, long max_evals, const int *start, int *order,
              double *cost, long *evals);
int jo_exhaustive(jo_model *m, int *order, double *cost);

/* The policy above; order receives the chosen order. force_anneal: QUANTUM_JOIN. */
int jo_choose(jo_model *m, int force_anneal, int *order, jo_choice *ch);
const char *jo_method_name(jo_method k);
/* The EXPLAIN line: "JOIN ORDER dp: 10 tables, est cost 3094; greedy 2.562e+08 in 0.12 ms,
 * dp 3094 in 6.10 ms, annealing 9.579e+04 in 2.90 ms (4000 evaluations)". */
void jo_describe(const jo_choice *ch, char *buf, size_t cap);

/* The statement `QUANTUM_JOIN t1 t2 [ON e] [USING (cols)]` becomes, in place (nodes in a),
 * `SELECT * FROM t1 QUANTUM_JOIN t2 [ON e] [USING (cols)]`; other statements are left alone.
 * (EXPLAIN's target too: the caller passes it.) 0 or NQ_ENOMEM. */
int jo_quantum_join_stmt(ast_arena *a, ast_stmt *s, nq_err *err);

#endif
