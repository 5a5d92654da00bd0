/*
 * tablefunc_qubo.c — QUBO problems stored in tables: the table function qubo_solve and the
 * statement OPTIMIZE QUBO, two faces of one run (docs/quantum.md, "QUBO problems stored in
 * tables"; docs/qsql.md).
 *
 * The terms table has columns i, j, w; each row adds w·x_i·x_j to the energy, so
 *
 *     E(x) = Σ over the rows of w·x_i·x_j,    x ∈ {0,1}
 *
 * (i = j is a linear term, since x_i² = x_i; (i, j) and (j, i) are the same pair; repeated
 * rows add up). i and j are integer indices 0 ≤ i < QUBO_MAX_VARS; w is a finite number; a
 * NULL, a text, a fraction or an index out of range is an error naming the table, the row (in
 * the order read) and the value. The variables are the indices that occur, in ascending
 * order: they are numbered densely for the solver, so 1-based or sparse indices cost nothing
 * and a variable that occurs in no row does not exist.
 *
 * One run (qubo_run): read the options, read the terms into a qubo_builder (src/quantum), solve
 * with qubo_solve (multi-start driver of the chosen solver), then emit either one row per
 * variable (qubo_solve) or one summary row (OPTIMIZE QUBO). Options: solver (default tabu),
 * time limit in seconds (default none), seed (default 1), restarts (default 10; 0 = until the
 * time limit), target energy (stop when reached). Without a time limit the number of runs is
 * fixed, so the same seed gives the same answer; a time limit may cut the search at a
 * different point on a different machine (the summary row reports the runs done).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "quantum/qubo_solve.h"
#include "sql/tablefunc.h"

enum { P_TABLE, P_SOLVER, P_TIME, P_SEED, P_RESTARTS, P_TARGET, NPARAMS };

#define DEFAULT_RESTARTS 10
#define MAX_TIME_LIMIT 86400.0
#define MAX_RESTARTS 1000000

static const char *const terms_cols[] = {"i", "j", "w"};

static const tf_param solve_params[NPARAMS] = {
    {"terms_table", TF_PARAM_TABLE, terms_cols, 3},
    {"solver", TF_PARAM_VALUE, NULL, 0},
    {"time_limit_s", TF_PARAM_VALUE, NULL, 0},
    {"seed", TF_PARAM_VALUE, NULL, 0},
    {"restarts", TF_PARAM_VALUE, NULL, 0},
    {"target", TF_PARAM_VALUE, NULL, 0},
};

/* OPTIMIZE QUBO names its options as written in the statement */
static const tf_param summary_params[NPARAMS] = {
    {"terms_table", TF_PARAM_TABLE, terms_cols, 3},
    {"SOLVER", TF_PARAM_VALUE, NULL, 0},
    {"TIME_LIMIT", TF_PARAM_VALUE, NULL, 0},
    {"SEED", TF_PARAM_VALUE, NULL, 0},
    {"RESTARTS", TF_PARAM_VALUE, NULL, 0},
    {"TARGET", TF_PARAM_VALUE, NULL, 0},
};

static const char *const solve_cols[] = {"variable", "value", "energy", "solver", "optimal",
                                         "time_ms"};
static const char *const summary_cols[] = {"energy", "variables", "solution", "solver", "seed",
                                           "runs", "iterations", "optimal", "load_ms", "time_ms"};

static int run_solve(tf_call *call, nq_err *e);
static int run_summary(tf_call *call, nq_err *e);

const tf_def tf_qubo_solve = {"qubo_solve", solve_params, NPARAMS, 1, solve_cols, 6, 0, run_solve};
const tf_def tf_qubo_summary = {"OPTIMIZE QUBO", summary_params, NPARAMS, 1, summary_cols, 10, 1,
                                run_summary};

/* ---- options ---------------------------------------------------------------------------- */
typedef struct qrun {
    const char *fn;      /* "qubo_solve" / "OPTIMIZE QUBO", for messages */
    const tf_param *params;
    const char *table;
    qubo_solver solver;
    qubo_options o;
    int64_t seed;        /* as given (reported) */
    /* the answer */
    int n;               /* variables */
    int64_t *vars;       /* [n] their indices, ascending */
    qubo_result r;
    double load_s;
} qrun;

/* A short description of a value for messages: NULL, TEXT 'abc', REAL 1.5, ... */
static void describe(const sqlv *v, char *buf, size_t cap)
{
    switch (v->type) {
    case SQLV_NULL: snprintf(buf, cap, "NULL"); break;
    case SQLV_INT: snprintf(buf, cap, "%lld", (long long)v->i); break;
    case SQLV_REAL: snprintf(buf, cap, "%.17g", v->r); break;
    case SQLV_TEXT: {
        int n = v->n > 40 ? 40 : (int)v->n;
        snprintf(buf, cap, "TEXT '%.*s%s'", n, (const char *)v->p, v->n > 40 ? "..." : "");
        break;
    }
    default: snprintf(buf, cap, "a %s value", sqlv_type_name(v->type)); break;
    }
}

static int bad_option(qrun *q, int p, const sqlv *v, const char *want, nq_err *e)
{
    char d[96];
    describe(v, d, sizeof d);
    return nq_err_set(e, NQ_EINVAL, "%s: %s must be %s, not %s", q->fn, q->params[p].name, want, d);
}

static int number_of(const sqlv *v, double *out)
{
    if (v->type == SQLV_INT)
        *out = (double)v->i;
    else if (v->type == SQLV_REAL)
        *out = v->r;
    else
        return 0;
    return 1;
}

static int read_options(tf_call *call, qrun *q, nq_err *e)
{
    qubo_options_default(&q->o);
    const sqlv *v = tf_arg(call, P_SOLVER);
    q->solver = QUBO_SOLVER_TABU;
    if (v->type == SQLV_TEXT) {
        char name[16];
        int s = -1;
        if (v->n < sizeof name) {
            for (size_t k = 0; k < v->n; k++)
                name[k] = (char)(v->p[k] >= 'A' && v->p[k] <= 'Z' ? v->p[k] + 32 : v->p[k]);
            name[v->n] = 0;
            s = qubo_solver_parse(name);
        }
        if (s < 0)
            return bad_option(q, P_SOLVER, v, "one of 'exact', 'sa', 'pt', 'tabu', 'sqa'", e);
        q->solver = (qubo_solver)s;
    } else if (v->type != SQLV_NULL) {
        return bad_option(q, P_SOLVER, v, "one of 'exact', 'sa', 'pt', 'tabu', 'sqa'", e);
    }
    double t = 0;
    v = tf_arg(call, P_TIME);
    if (v->type != SQLV_NULL && (!number_of(v, &t) || !(t >= 0 && t <= MAX_TIME_LIMIT)))
        return bad_option(q, P_TIME, v, "a number of seconds from 0 to 86400", e);
    q->o.time_limit = t;
    v = tf_arg(call, P_SEED);
    q->seed = 1;
    if (v->type == SQLV_INT)
        q->seed = v->i;
    else if (v->type != SQLV_NULL)
        return bad_option(q, P_SEED, v, "an integer", e);
    q->o.seed = (uint64_t)q->seed;
    v = tf_arg(call, P_RESTARTS);
    q->o.restarts = DEFAULT_RESTARTS;
    if (v->type == SQLV_INT && v->i >= 0 && v->i <= MAX_RESTARTS)
        q->o.restarts = (int)v->i;
    else if (v->type != SQLV_NULL)
        return bad_option(q, P_RESTARTS, v, "an integer from 0 (until the time limit) to 1000000", e);
    if (q->o.restarts == 0 && t <= 0)
        return nq_err_set(e, NQ_EINVAL, "%s: %s 0 (run until the time limit) needs a time limit",
                          q->fn, q->params[P_RESTARTS].name);
    v = tf_arg(call, P_TARGET);
    if (v->type != SQLV_NULL) {
        if (!number_of(v, &q->o.target) || !isfinite(q->o.target))
            return bad_option(q, P_TARGET, v, "a finite number (an energy)", e);
        q->o.has_target = 1;
    }
    return 0;
}

/* ---- reading the terms ------------------------------------------------------------------ */
typedef struct raw_term {
    int64_t i, j;
    double w;
} raw_term;

static int bad_term(qrun *q, size_t row, const char *col, const sqlv *v, const char *want,
                    nq_err *e)
{
    char d[96];
    describe(v, d, sizeof d);
    return nq_err_set(e, NQ_EINVAL, "%s: table %s, row %zu: %s must be %s, not %s", q->fn,
                      q->table, row, col, want, d);
}

static int index_of(qrun *q, size_t row, const char *col, const sqlv *v, int64_t *out, nq_err *e)
{
    if (v->type == SQLV_INT)
        *out = v->i;
    else if (v->type == SQLV_REAL && v->r == floor(v->r) && fabs(v->r) < 9e15)
        *out = (int64_t)v->r;
    else
        return bad_term(q, row, col, v, "an integer index", e);
    if (*out < 0 || *out >= QUBO_MAX_VARS)
        return nq_err_set(e, NQ_EINVAL, "%s: table %s, row %zu: %s = %lld is out of range (0 to %d)",
                          q->fn, q->table, row, col, (long long)*out, QUBO_MAX_VARS - 1);
    return 0;
}

/* The variables: a bit per possible index (at most QUBO_MAX_VARS / 8 = 2 MiB) with a running
 * count per 64-bit word, so numbering them densely is O(rows + max index / 64), no sort. */
typedef struct varmap {
    uint64_t *bits;
    uint32_t *rank; /* variables in the words before */
    size_t nw;
} varmap;

static int var_of(const varmap *vm, int64_t idx)
{
    size_t w = (size_t)idx >> 6;
    uint64_t below = vm->bits[w] & ((1ULL << (idx & 63)) - 1);
    return (int)(vm->rank[w] + (uint32_t)__builtin_popcountll(below));
}

/* Read the rows, number the variables, build the model. */
static int load_terms(tf_call *call, qrun *q, qubo_model *m, nq_err *e)
{
    raw_term *t = NULL;
    size_t nt = 0, cap = 0;
    const sqlv *row;
    int rc;
    while ((rc = tf_input_next(call, 0, &row, e)) == 1) {
        if (nt == cap) {
            size_t nc = cap ? cap * 2 : 256;
            raw_term *nt2 = realloc(t, nc * sizeof *t);
            if (!nt2) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory reading %s", q->table);
                break;
            }
            t = nt2;
            cap = nc;
        }
        raw_term *r = &t[nt++];
        if ((rc = index_of(q, nt, "i", &row[0], &r->i, e)) < 0 ||
            (rc = index_of(q, nt, "j", &row[1], &r->j, e)) < 0)
            break;
        if (!number_of(&row[2], &r->w) || !isfinite(r->w)) {
            rc = bad_term(q, nt, "w", &row[2], "a finite number", e);
            break;
        }
    }
    if (rc < 0) {
        free(t);
        return rc;
    }
    /* the variables: the distinct indices, ascending */
    int64_t top = 0;
    for (size_t k = 0; k < nt; k++) {
        top = t[k].i > top ? t[k].i : top;
        top = t[k].j > top ? t[k].j : top;
    }
    varmap vm = {0};
    vm.nw = (size_t)(top >> 6) + 1;
    vm.bits = calloc(vm.nw, sizeof *vm.bits);
    vm.rank = malloc(vm.nw * sizeof *vm.rank);
    if (!vm.bits || !vm.rank) {
        free(vm.bits);
        free(vm.rank);
        free(t);
        return nq_err_set(e, NQ_ENOMEM, "out of memory for the variables of %s", q->table);
    }
    for (size_t k = 0; k < nt; k++) {
        vm.bits[t[k].i >> 6] |= 1ULL << (t[k].i & 63);
        vm.bits[t[k].j >> 6] |= 1ULL << (t[k].j & 63);
    }
    uint32_t n = 0;
    for (size_t w = 0; w < vm.nw; w++) {
        vm.rank[w] = n;
        n += (uint32_t)__builtin_popcountll(vm.bits[w]);
    }
    q->n = (int)n;
    q->vars = malloc(((size_t)n + 1) * sizeof *q->vars);
    if (!q->vars) {
        free(vm.bits);
        free(vm.rank);
        free(t);
        return nq_err_set(e, NQ_ENOMEM, "out of memory for the variables of %s", q->table);
    }
    for (size_t w = 0, v = 0; w < vm.nw; w++)
        for (uint64_t b = vm.bits[w]; b; b &= b - 1)
            q->vars[v++] = (int64_t)(w * 64 + (size_t)__builtin_ctzll(b));
    if (n == 0) {
        free(vm.bits);
        free(vm.rank);
        free(t);
        return 0;
    }
    qubo_builder b;
    if ((rc = qubo_builder_init(&b, q->n, e)) == 0)
        for (size_t k = 0; k < nt; k++)
            qubo_builder_add(&b, var_of(&vm, t[k].i), var_of(&vm, t[k].j), t[k].w);
    free(vm.bits);
    free(vm.rank);
    free(t);
    if (rc < 0)
        return rc;
    rc = qubo_builder_build(&b, m, e);
    qubo_builder_free(&b);
    return rc;
}

/* The solvers ask this where they check their deadline, so an interrupted statement (or a
 * server deadline, through the progress handler) stops the search within one check period. */
static int stop_cb(void *arg)
{
    return tf_check_interrupt(arg, NULL) < 0;
}

/* Options, terms, solve: the part both faces share. */
static int qubo_run(tf_call *call, qrun *q, nq_err *e)
{
    q->table = tf_input_name(call, 0);
    int rc = read_options(call, q, e);
    if (rc < 0)
        return rc;
    double t0 = qubo_now();
    qubo_model m = {0};
    if ((rc = load_terms(call, q, &m, e)) < 0)
        return rc;
    q->load_s = qubo_now() - t0;
    if (q->n == 0)
        return 0;
    q->o.stop = stop_cb;
    q->o.stop_arg = call;
    if (q->solver == QUBO_SOLVER_EXACT && q->n > QUBO_EXACT_MAX_VARS)
        rc = nq_err_set(e, NQ_ETOOBIG, "%s: the exact solver takes at most %d variables; table %s has %d",
                        q->fn, QUBO_EXACT_MAX_VARS, q->table, q->n);
    else if ((rc = qubo_solve(&m, q->solver, &q->o, &q->r, e)) < 0)
        nq_err_prefix(e, rc, "%s", q->fn);
    else
        rc = tf_check_interrupt(call, e); /* a stopped search is not an answer */
    qubo_free(&m);
    return rc;
}

static void qrun_free(qrun *q)
{
    free(q->vars);
    qubo_result_free(&q->r);
}

static int run_solve(tf_call *call, nq_err *e)
{
    qrun q = {0};
    q.fn = tf_qubo_solve.name;
    q.params = solve_params;
    int rc = qubo_run(call, &q, e);
    const char *sname = qubo_solver_name(q.solver);
    for (int v = 0; v < q.n && rc == 0; v++) {
        sqlv row[6] = {sqlv_int(q.vars[v]),
                       sqlv_int(q.r.x[v]),
                       sqlv_real(q.r.energy),
                       sqlv_text(sname, strlen(sname)),
                       sqlv_int(q.solver == QUBO_SOLVER_EXACT),
                       sqlv_real(q.r.seconds * 1000)};
        rc = tf_emit(call, row, e);
    }
    qrun_free(&q);
    return rc;
}

static int run_summary(tf_call *call, nq_err *e)
{
    qrun q = {0};
    q.fn = tf_qubo_summary.name;
    q.params = summary_params;
    int rc = qubo_run(call, &q, e);
    char *sol = rc == 0 ? malloc((size_t)q.n + 1) : NULL;
    if (rc == 0 && !sol)
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (rc == 0) {
        for (int v = 0; v < q.n; v++)
            sol[v] = (char)('0' + q.r.x[v]);
        sol[q.n] = 0;
        const char *sname = qubo_solver_name(q.solver);
        sqlv row[10] = {sqlv_real(q.n ? q.r.energy : 0),
                        sqlv_int(q.n),
                        sqlv_text(sol, (size_t)q.n),
                        sqlv_text(sname, strlen(sname)),
                        sqlv_int(q.seed),
                        sqlv_int(q.r.runs),
                        sqlv_int((int64_t)q.r.iterations),
                        sqlv_int(q.solver == QUBO_SOLVER_EXACT),
                        sqlv_real(q.load_s * 1000),
                        sqlv_real(q.r.seconds * 1000)};
        rc = tf_emit(call, row, e);
    }
    free(sol);
    qrun_free(&q);
    return rc;
}

/* ---- OPTIMIZE QUBO ---------------------------------------------------------------------- */
int cc_optimize_qubo(cc *c, const ast_qname *table, const ast_list *options, cc_query *out)
{
    if (table->schema)
        return nq_err_set(c->e, NQ_ENOTSUP, "not supported yet: schema-qualified names (%s.%s)",
                          table->schema, table->name);
    bx **args = ast_alloc(c->a, (NPARAMS + 1) * sizeof *args);
    if (!args)
        return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
    cc_scope empty = {0};
    empty.first_slot = c->nslots;
    empty.no_agg = 1;
    empty.no_agg_what = "aggregate functions are not allowed in OPTIMIZE QUBO options";
    for (int k = 0; k < options->n; k++) {
        const ast_option *o = options->v[k];
        int p = -1;
        if (!strcmp(o->name, "SOLVER") || !strcmp(o->name, "BACKEND"))
            p = P_SOLVER;
        for (int i = P_TIME; i < NPARAMS && p < 0; i++)
            if (!strcmp(o->name, summary_params[i].name))
                p = i;
        if (p < 0)
            return cc_fail(c, NQ_EINVAL, o->value, "OPTIMIZE QUBO: unknown option %s (options: SOLVER or BACKEND, TIME_LIMIT, SEED, RESTARTS, TARGET)",
                           o->name);
        if (args[p])
            return cc_fail(c, NQ_EINVAL, o->value, "OPTIMIZE QUBO: option %s given twice", o->name);
        if (!o->value)
            return nq_err_set(c->e, NQ_EINVAL, "OPTIMIZE QUBO: option %s needs a value", o->name);
        if (o->value->kind == AST_E_COLUMN) { /* a bare word: SOLVER tabu */
            args[p] = cc_const(c, sqlv_text(o->value->name, strlen(o->value->name)));
            if (!args[p])
                return nq_err_set(c->e, NQ_ENOMEM, "out of memory");
        } else {
            int rc = cc_expr(c, &empty, o->value, &args[p]);
            if (rc < 0)
                return nq_err_prefix(c->e, rc, "OPTIMIZE QUBO: %s", o->name);
        }
    }
    const char *tables[1] = {table->name};
    return tf_compile(c, NULL, &tf_qubo_summary, tables, NULL, args, out);
}
