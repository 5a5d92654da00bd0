/*
 * compile.h — from syntax trees to executable plans: name binding, planning, operator trees.
 *
 * One pass does binding and planning: compiling a SELECT resolves its names against the FROM
 * items in scope (and the enclosing queries' scopes, which makes a subquery correlated),
 * binds expressions to registers (exec.h), chooses each table's access path and the join
 * order by estimated cost (compile_from.c), and assembles the operators. Everything lives in
 * the statement's arena.
 *
 * Scopes. Each query block has a scope: the FROM items it can name (alias or table name, the
 * register slot, the column names), a link to the enclosing block's scope, the WITH queries
 * visible there, and while binding the select list of an aggregating query, the aggregation
 * context that turns aggregate calls and GROUP BY expressions into references to the
 * aggregate operator's output row.
 */
#ifndef NQ_SQL_COMPILE_H
#define NQ_SQL_COMPILE_H

#include "sql/ast.h"
#include "sql/exec.h"
#include "sql/ops.h"

typedef struct cc_src {
    const char *name;       /* alias, or the table's name */
    int slot;
    int ncols;
    const char **cols;      /* column names */
    char *merged;           /* [ncols] 1: hidden by USING/NATURAL (the left twin answers) */
    cat_table *t;           /* base table, or NULL */
} cc_src;

typedef struct cc_agg cc_agg;
typedef struct cc_win cc_win;

/* A column merged by USING/NATURAL in a RIGHT or FULL join: the unqualified name stands for
 * the right twin (RIGHT) or COALESCE(left, right) (FULL), not for the left twin. */
typedef struct cc_using {
    const char *name;
    int lslot, lcol;        /* the left twin, which SELECT * shows in the merged position */
    struct bx *e;
} cc_using;

typedef struct cc_scope {
    cc_using *usings;
    int nusings;
    cc_src *srcs;
    int n, cap;
    struct cc_scope *parent;
    int first_slot;         /* slots allocated from here on belong to this block */
    int correlated;         /* set when a name resolved in an enclosing scope */
    const ast_with *with;   /* CTEs visible from this block (and its parents') */
    cc_agg *agg;            /* aggregation context while binding post-GROUP BY expressions */
    cc_win *win;            /* window context while binding the select list and ORDER BY */
    int no_agg;             /* aggregates are not allowed here (WHERE, GROUP BY, ON) */
    const char *no_agg_what;
} cc_scope;

struct cc_agg {
    int slot;               /* the aggregate operator's output slot */
    bx **groups;            /* GROUP BY expressions bound in the FROM scope */
    int ngroups;
    agg_spec *aggs;
    int naggs, cap;
    cc_scope *from;         /* the scope aggregate arguments bind in */
};

/* Window calls of a query block: each becomes a column of the window operator's slot. */
struct cc_win {
    int slot;
    struct win_spec *w;
    int n, cap;
    const ast_list *named;  /* the WINDOW clause: ast_window* with names */
};

/* A recursive CTE while its recursive part compiles: references to it read the working table. */
typedef struct cc_rec {
    const void *cte;        /* the ast_cte */
    rec_state *st;
    int ncols;
    const char **names;
    int used;               /* the recursive part referred to it */
    int anchor_only;        /* compiling the anchor: a reference is an error */
    struct cc_rec *up;
} cc_rec;

typedef struct cc {
    ast_arena *a;
    sql_session *s;
    catalog *cat;
    nq_err *e;
    int nslots;
    int *slot_width;
    int capslots;
    /* parameters: by number; names for :name / $name */
    int nparams;
    const char **param_names;
    int capparams;
    /* everything a reset must clear */
    bsub **subs;
    int nsubs, capsubs;
    op **ops;
    int nops, capops;
    unsigned eline, ecol;   /* position of the error */
    int depth;              /* view/CTE expansion depth (recursion guard) */
    cc_rec *rec;            /* recursive CTEs being compiled, innermost first */
    /* NEUROMATCH feedback (neuromatch_plan.h): the statement's outermost query block (the
     * only one that may ask for it), and what the statement does after its rows */
    const void *nm_top;
    struct nm_fb *nm_fb;
} cc;

/* A compiled query: its plan and where its rows come out. */
typedef struct cc_query {
    op *plan;
    int slot;               /* output row slot */
    int ncols;              /* visible columns */
    const char **names;
} cc_query;

int cc_new_slot(cc *c, int width);
int cc_fail(cc *c, int code, const ast_expr *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int cc_track_op(cc *c, op *o);

/* Expressions (compile_expr.c). */
int cc_expr(cc *c, cc_scope *sc, const ast_expr *x, bx **out);
bx *cc_const(cc *c, sqlv v);
/* Does the AST contain an aggregate call (not inside a subquery)? */
int cc_has_agg(const ast_expr *x);
int cc_has_window(const ast_expr *x);
/* Slots referenced by a bound expression, as a bit set over [lo, lo+64). */
uint64_t bx_slots(const bx *e, int lo);
int bx_equal(const bx *a, const bx *b);
sqlv_type cc_type_of(const char *type_name, int *chars);

/* Queries (compile_select.c). */
int cc_query_compile(cc *c, cc_scope *parent, const ast_select *q, cc_query *out);
/* FROM + WHERE (compile_from.c): the join plan with every conjunct of where applied. */
int cc_from(cc *c, cc_scope *sc, const ast_from *from, const ast_expr *where, op **out);
/* FROM + WHERE of a query block with USING QUANTUM GROVER (compile_grover.c): a Grover search
 * operator when the block reads one base table, else the classical plan under a node that
 * says why. */
int cc_grover_from(cc *c, cc_scope *sc, const ast_select *q, op **out);
/* QUANTUM_SEARCH t [WHERE c] [options]: SELECT * FROM t WHERE c USING QUANTUM GROVER. */
int cc_quantum_search(cc *c, const ast_ext *x, uint32_t line, uint32_t col, cc_query *out);
/* A scope source for a compiled query or a table. */
int cc_scope_add(cc *c, cc_scope *sc, const char *name, int slot, int ncols, const char **cols,
                 cat_table *t);

#endif
