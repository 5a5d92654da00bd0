/*
 * exec.h — the executor's data: bound expressions, plan operators and the run-time registers.
 *
 * Registers ("slots"). When a statement is compiled, every row source in it — each table
 * instance of every FROM clause, each derived table, each aggregation output, each projection
 * — gets a slot number, unique across the whole statement including its subqueries. At run
 * time env->slot[k] points at the values of slot k's current row. A column reference is bound
 * to (slot, column), so evaluating it is one array load, joins need no row copying (a nested
 * loop just leaves the outer slot's row in place while the inner scan fills its own), and a
 * correlated subquery reads the outer query's current row through the same registers: no
 * scope chains at run time.
 *
 * Operators are pull iterators (open / next / close). next returns 1 with the operator's
 * output slot(s) filled, 0 at the end, or a negative error. Values in slots are borrowed from
 * whatever produced them (a storage cursor's buffer, an operator's row store) and stay valid
 * until that producer moves; operators that keep rows (sort, hash, aggregate, distinct)
 * deep-copy them.
 *
 * Expression values follow value.h: eval writes *out, which may own memory (owned = 1); the
 * caller sqlv_clear()s it. A value read from a slot is returned borrowed (owned = 0).
 */
#ifndef NQ_SQL_EXEC_H
#define NQ_SQL_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/rand.h"
#include "sql/catalog.h"
#include "sql/func.h"
#include "sql/session.h"
#include "sql/tablerw.h"
#include "sql/value.h"

typedef struct op op;
typedef struct xenv xenv;

/* ---- bound expressions ------------------------------------------------------------------ */
typedef enum bx_kind {
    BX_CONST,   /* v */
    BX_PARAM,   /* idx: 1-based parameter */
    BX_COL,     /* slot, col */
    BX_NEG, BX_NOT, BX_BITNOT,
    BX_ARITH,   /* op: AST_OP_ADD.. AST_OP_MOD, AST_OP_CONCAT, bit ops */
    BX_CMP,     /* op: AST_OP_EQ.. AST_OP_GE */
    BX_IS,      /* a IS [NOT] [DISTINCT FROM] b: op AST_OP_IS/IS_NOT/IS_DISTINCT/IS_NOT_DISTINCT */
    BX_AND, BX_OR,
    BX_BETWEEN, /* a BETWEEN b AND c; not_ */
    BX_IN_LIST, /* a IN (args); not_ */
    BX_IN_SUB,  /* a IN (sub); not_ */
    BX_EXISTS,  /* sub */
    BX_SUBQ,    /* scalar subquery: sub */
    BX_CASE,    /* a (operand or NULL), args = when/then pairs, b = else */
    BX_CAST,    /* a, type */
    BX_FUNC,    /* fn, args */
    BX_LIKE,    /* a LIKE b [ESCAPE c]; op AST_OP_LIKE/ILIKE/GLOB; not_ */
    BX_AGGREF,  /* the value of an aggregate: slot, col (filled by the aggregate operator) */
    BX_ROW,     /* (a, b, ...) row value, only inside comparisons and IN */
    BX_INTERVAL,/* a + op * (b text-unit): date arithmetic; op = +1/-1 */
    BX_EXTRACT, /* EXTRACT(text FROM a) */
} bx_kind;

typedef struct bsub bsub;

typedef struct bx {
    bx_kind kind;
    int op;
    int not_;
    int slot, col, idx;
    sqlv v;
    sqlv_type type;      /* CAST target */
    int type_chars;      /* CAST(x AS VARCHAR(n)) */
    struct bx *a, *b, *c;
    struct bx **args;
    int nargs;
    const fn_scalar_def *fn;
    const char *text;    /* INTERVAL unit, EXTRACT field */
    bsub *sub;
    uint32_t line, col_; /* source position, for run-time errors */
} bx;

/* A subquery inside an expression: its plan, whether it reads outer registers (correlated),
 * and for uncorrelated ones the cached result of the first run. */
struct bsub {
    op *plan;
    int out_slot;        /* slot of the plan's output row */
    int ncols;
    int correlated;
    op **resets;         /* correlated: operators under plan that keep rows between opens
                            (materializations, hash tables), emptied before every run */
    int nresets;
    int cached;          /* uncorrelated: result computed */
    /* cache: scalar value / exists flag / IN set (sorted, deduplicated rows of ncols) */
    sqlv scalar;
    int exists;
    sqlv *set;
    size_t nset;
    int set_has_null;
};

/* ---- run-time environment --------------------------------------------------------------- */
struct xenv {
    sql_session *s;
    sqlv **slot;         /* [nslots] current row of each slot */
    int nslots;
    sqlv *params;        /* [nparams], index 0 = parameter 1 */
    int nparams;
    fn_ctx fcx;
    nq_rng rng;
    int timing;          /* EXPLAIN ANALYZE: time every operator call */
    uint64_t ticks;      /* operator calls, for interrupt checks and the progress handler */
};

/* Every so many operator calls: has the statement been interrupted (nq_interrupt, or the
 * progress handler said stop)? 0 or NQ_EINTERRUPT with the message set. */
int exec_check_interrupt(xenv *x, nq_err *e);

/* Evaluate e. *out may own memory: sqlv_clear it. */
int ev(const bx *e, xenv *x, sqlv *out, nq_err *err);
/* Truth of a condition: 1 true, 0 false, SQLV_UNKNOWN for NULL. */
int ev_truth(const bx *e, xenv *x, int *truth, nq_err *err);
/* Deep copy of a value (owned unless NULL/fixed-size). */
int sqlv_copy(const sqlv *v, sqlv *out, nq_err *err);

/* ---- operators -------------------------------------------------------------------------- */
typedef struct op_vt {
    const char *name;
    int (*open)(op *o, xenv *x, nq_err *e);
    int (*next)(op *o, xenv *x, nq_err *e);
    void (*close)(op *o, xenv *x);
    void (*destroy)(op *o);
    /* EXPLAIN: one line describing this node (without children) into buf */
    void (*describe)(const op *o, char *buf, size_t cap);
} op_vt;

struct op {
    const op_vt *vt;
    op *child[2];
    int nchild;
    int out_slot;        /* slot this operator fills (-1: it passes its children's slots) */
    int ncols;           /* width of out_slot's row */
    double est_rows;     /* planner's estimate of rows out (per open) */
    double est_cost;
    /* EXPLAIN ANALYZE */
    uint64_t act_rows, act_loops;
    uint64_t act_ns;
};

/* Wrappers that keep the EXPLAIN ANALYZE counters. */
int op_open(op *o, xenv *x, nq_err *e);
int op_next(op *o, xenv *x, nq_err *e);
void op_close(op *o, xenv *x);
void op_destroy(op *o);

#endif
