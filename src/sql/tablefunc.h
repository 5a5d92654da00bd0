/*
 * tablefunc.h — table functions: functions called in FROM that produce rows
 * (`SELECT * FROM qubo_solve('terms')`), and statements that are a table function under
 * another syntax (`OPTIMIZE QUBO terms`).
 *
 * A table function is a tf_def in a read-only registry: its name, its parameters, its output
 * columns and a run callback. A parameter is either a table (the argument is a table name,
 * written as a string 'terms' or a bare name terms, resolved at prepare time like a FROM item,
 * so a view or a WITH query works too; the definition lists the columns the function reads,
 * and a table without one of them is an error at prepare time) or a value (any expression
 * without column references: a literal, a parameter `?`, an arithmetic of those; evaluated each
 * time the statement runs).
 *
 * Compiling a call (cc_tablefunc, tf_compile) checks the number of arguments, compiles each
 * table argument into a sub-plan `SELECT * FROM name` and each value argument into a bound
 * expression, and builds one operator (op_tablefunc_new, exec_tablefunc.c) whose output slot
 * has the function's columns. The operator evaluates the arguments when it opens, calls the
 * function's run callback, which pulls the input tables' rows (tf_input_next, each row in the
 * column order the definition asked for) and emits result rows (tf_emit, copied); it then
 * hands those rows out. In a join the planner materializes it like a derived table, so it
 * runs once per execution of the statement.
 *
 * Errors: 0 or a negative NQ_E* code with the message in c->e (compile) or e (run); compile
 * errors about an argument carry its position.
 */
#ifndef NQ_SQL_TABLEFUNC_H
#define NQ_SQL_TABLEFUNC_H

#include "sql/compile.h"

#define TF_MAX_PARAMS 8
#define TF_MAX_INPUTS 2 /* table parameters per function (an operator has two children) */

typedef enum tf_param_kind { TF_PARAM_TABLE, TF_PARAM_VALUE } tf_param_kind;

typedef struct tf_param {
    const char *name;           /* as cited in errors and docs: "terms_table", "seed" */
    tf_param_kind kind;
    const char *const *cols;    /* TABLE: the columns the function reads, in the order
                                   tf_input_next hands them out */
    int ncols;
} tf_param;

typedef struct tf_call tf_call; /* one run of a table function (the operator) */

typedef struct tf_def {
    const char *name;           /* lower case; the FROM name, or the statement (EXPLAIN) */
    const tf_param *params;
    int nparams;                /* at most TF_MAX_PARAMS */
    int min_args;               /* the first min_args parameters are required */
    const char *const *cols;    /* output columns */
    int ncols;
    double est_rows;            /* planner's estimate; 0: as many as the first input table */
    /* Produce the rows: read inputs with tf_input_next, arguments with tf_arg, write rows
     * with tf_emit. 0 or a negative NQ_E* code with the message in e. */
    int (*run)(tf_call *call, nq_err *e);
} tf_def;

/* ---- the registry ---- */
/* The table function callable in FROM by this name (case-insensitive), or NULL. */
const tf_def *tf_find(const char *name);

/* ---- compiling ---- */
/* A FROM item fr of kind AST_FROM_FUNC in scope sc: the plan, its slot and column names. */
int cc_tablefunc(cc *c, cc_scope *sc, const ast_from *fr, cc_query *out);
/* A call assembled by the caller (a statement form): tables[k] is the table name of the k-th
 * TABLE parameter, args[i] the bound value of parameter i (NULL for a table parameter or an
 * omitted value, which reads as NULL); at (may be NULL) positions errors. sc may be NULL. */
int tf_compile(cc *c, cc_scope *sc, const tf_def *d, const char *const *tables,
               const ast_expr *const *table_at, bx **args, cc_query *out);

/* ---- running (for run callbacks) ---- */
/* The value of parameter i (a NULL value when omitted or a table parameter). */
const sqlv *tf_arg(const tf_call *call, int i);
/* The name of the k-th input table, as written in the call. */
const char *tf_input_name(const tf_call *call, int k);
/* The next row of input k: *row points at the definition's columns in its order (borrowed,
 * valid until the next call). 1 row, 0 end, or a negative error (interrupts included). */
int tf_input_next(tf_call *call, int k, const sqlv **row, nq_err *e);
/* For long computations inside run: has the statement been interrupted (nq_interrupt, or the
 * progress handler said stop)? Each call counts as up to 256 operator steps toward the
 * progress handler's period. 0 or NQ_EINTERRUPT (message in e, which may be NULL). */
int tf_check_interrupt(tf_call *call, nq_err *e);
/* The session the statement runs in (for functions that read the database's own stores). */
sql_session *tf_session(const tf_call *call);
/* Append a result row (ncols values of the definition, deep-copied). */
int tf_emit(tf_call *call, const sqlv *row, nq_err *e);

/* ---- the functions (tablefunc_qubo.c) ---- */
extern const tf_def tf_qubo_solve;   /* qubo_solve(terms_table [, solver [, time_limit_s [,
                                        seed [, restarts [, target]]]]]): a row per variable */
extern const tf_def tf_qubo_summary; /* OPTIMIZE QUBO: one row with the whole answer */
/* recall_pattern('name', probe [, seed]): Hopfield recall of a LEARN PATTERN memory
 * (exec_learn.c) */
extern const tf_def tf_recall_pattern;
/* predict_pattern('name', 'table'): a LEARN PATTERN ... ALGORITHM MLP network applied to a
 * table's rows (exec_learn_mlp.c) */
extern const tf_def tf_predict_pattern;
/* OPTIMIZE QUBO t [option ...] into a plan (options: ast_option* of the statement). */
int cc_optimize_qubo(cc *c, const ast_qname *table, const ast_list *options, cc_query *out);

/* ---- system tables: called in FROM by their bare name too (SELECT * FROM nq_index_advice) ---- */
extern const tf_def tf_synaptic_network;     /* workload_sql.c: the synapses, strongest first */
extern const tf_def tf_synaptic_nodes;       /* its nodes, most active first */
extern const tf_def tf_neuromorphic_indexes; /* neuromorphic indexes: state, strength, age */
extern const tf_def tf_workload_stats;       /* settings and counters of the workload memory */
extern const tf_def tf_index_advice;         /* advisor.c: recommended indexes */
extern const tf_def tf_advisor_statistics;   /* advisor.c: what the advice is based on */

#endif
