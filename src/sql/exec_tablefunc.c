/*
 * exec_tablefunc.c — the table-function operator (tablefunc.h): evaluates the arguments,
 * runs the function once per open and hands out the rows it emitted.
 *
 * The operator is also the tf_call the function sees. Its input tables are its children
 * (so EXPLAIN shows them and EXPLAIN ANALYZE counts their rows); a child is opened when the
 * function first asks for one of its rows and closed when it is exhausted, or at the end of
 * the run. Each input row is handed out as the definition's columns in the definition's order
 * (a shallow copy of the values in the child's slot, valid until the next row). Result rows
 * are deep-copied into one array that lives until close, so the slot pointer stays valid
 * while the parent reads the row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/tablefunc.h"

struct tf_call {
    op base;
    const tf_def *d;
    bx **args;                        /* [nparams] bound values, NULL entries allowed */
    sqlv argv[TF_MAX_PARAMS];         /* evaluated at open (owned copies) */
    int ninputs;
    int in_slot[TF_MAX_INPUTS];
    int *in_map[TF_MAX_INPUTS];
    int in_ncols[TF_MAX_INPUTS];
    sqlv *in_row[TF_MAX_INPUTS];      /* the mapped row handed to the function */
    const char *in_name[TF_MAX_INPUTS];
    int in_state[TF_MAX_INPUTS];      /* 0 not opened, 1 open, 2 finished */
    xenv *x;                          /* during run */
    sqlv *rows;                       /* nrows x ncols, owned */
    size_t nrows, cap, pos;
};

static const sqlv null_value;

sql_session *tf_session(const tf_call *call) { return call->x ? call->x->s : NULL; }

const sqlv *tf_arg(const tf_call *call, int i)
{
    return i >= 0 && i < call->d->nparams ? &call->argv[i] : &null_value;
}

const char *tf_input_name(const tf_call *call, int k)
{
    return k >= 0 && k < call->ninputs ? call->in_name[k] : "?";
}

static void input_close(tf_call *s, int k)
{
    if (s->in_state[k] == 1)
        op_close(s->base.child[k], s->x);
    s->in_state[k] = 2;
}

int tf_input_next(tf_call *s, int k, const sqlv **row, nq_err *e)
{
    *row = NULL;
    if (k < 0 || k >= s->ninputs)
        return nq_err_set(e, NQ_ERROR, "internal error: %s has no input %d", s->d->name, k);
    if (s->in_state[k] == 2)
        return 0;
    int rc;
    if (s->in_state[k] == 0) {
        s->in_state[k] = 1;
        if ((rc = op_open(s->base.child[k], s->x, e)) < 0) {
            input_close(s, k);
            return rc;
        }
    }
    rc = op_next(s->base.child[k], s->x, e);
    if (rc != 1) {
        input_close(s, k);
        return rc < 0 ? rc : 0;
    }
    const sqlv *src = s->x->slot[s->in_slot[k]];
    for (int m = 0; m < s->in_ncols[k]; m++)
        s->in_row[k][m] = src[s->in_map[k][m]];
    *row = s->in_row[k];
    return 1;
}

int tf_check_interrupt(tf_call *s, nq_err *e)
{
    /* to the next multiple of 256: exec_check_interrupt asks the progress handler when the
     * count is a multiple of its period (a multiple of 256) */
    s->x->ticks = (s->x->ticks | 255) + 1;
    return exec_check_interrupt(s->x, e);
}

int tf_emit(tf_call *s, const sqlv *row, nq_err *e)
{
    int w = s->base.ncols;
    if (s->nrows == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        sqlv *nr = realloc(s->rows, nc * (size_t)(w ? w : 1) * sizeof(sqlv));
        if (!nr)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->rows = nr;
        s->cap = nc;
    }
    int rc = rows_copy(row, w, s->rows + s->nrows * (size_t)w, e);
    if (rc == 0)
        s->nrows++;
    return rc;
}

static void release(tf_call *s)
{
    if (s->rows)
        rows_clear(s->rows, (int)(s->nrows * (size_t)s->base.ncols));
    free(s->rows);
    s->rows = NULL;
    s->nrows = s->cap = s->pos = 0;
    rows_clear(s->argv, s->d->nparams);
}

static void tf_close(op *o, xenv *x)
{
    tf_call *s = (tf_call *)o;
    s->x = x;
    for (int k = 0; k < s->ninputs; k++)
        input_close(s, k);
    s->x = NULL;
    release(s);
}

static int tf_open(op *o, xenv *x, nq_err *e)
{
    tf_call *s = (tf_call *)o;
    tf_close(o, x);
    for (int k = 0; k < s->ninputs; k++)
        s->in_state[k] = 0;
    for (int i = 0; i < s->d->nparams; i++) {
        if (!s->args || !s->args[i])
            continue;
        sqlv v;
        int rc = ev(s->args[i], x, &v, e);
        if (rc < 0)
            return rc;
        if (v.owned)
            s->argv[i] = v;
        else if ((rc = sqlv_copy(&v, &s->argv[i], e)) < 0)
            return rc;
    }
    s->x = x;
    int rc = s->d->run(s, e);
    for (int k = 0; k < s->ninputs; k++)
        input_close(s, k);
    s->x = NULL;
    return rc;
}

static int tf_next(op *o, xenv *x, nq_err *e)
{
    (void)e;
    tf_call *s = (tf_call *)o;
    if (s->pos >= s->nrows)
        return 0;
    x->slot[o->out_slot] = s->rows + s->pos++ * (size_t)o->ncols;
    return 1;
}

static void tf_destroy(op *o)
{
    release((tf_call *)o);
}

static void tf_describe(const op *o, char *buf, size_t cap)
{
    const tf_call *s = (const tf_call *)o;
    if (s->ninputs)
        snprintf(buf, cap, "TABLE FUNCTION %s (%s)", s->d->name, s->in_name[0]);
    else
        snprintf(buf, cap, "TABLE FUNCTION %s", s->d->name);
}

static const op_vt tf_vt = {"tablefunc", tf_open, tf_next, tf_close, tf_destroy, tf_describe};

op *op_tablefunc_new(ast_arena *a, const tf_def *d, int slot, op *const *inputs,
                     const int *in_slots, int *const *in_maps, const char *const *in_names,
                     int ninputs, bx **args)
{
    if (ninputs > TF_MAX_INPUTS || d->nparams > TF_MAX_PARAMS)
        return NULL;
    tf_call *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &tf_vt;
    s->base.out_slot = slot;
    s->base.ncols = d->ncols;
    s->base.nchild = ninputs;
    s->d = d;
    s->args = args;
    s->ninputs = ninputs;
    int k = 0;
    for (int i = 0; i < d->nparams && k < ninputs; i++) {
        if (d->params[i].kind != TF_PARAM_TABLE)
            continue;
        s->base.child[k] = inputs[k];
        s->in_slot[k] = in_slots[k];
        s->in_map[k] = in_maps[k];
        s->in_name[k] = in_names[k];
        s->in_ncols[k] = d->params[i].ncols;
        if (!(s->in_row[k] = ast_alloc(a, (size_t)(d->params[i].ncols + 1) * sizeof(sqlv))))
            return NULL;
        k++;
    }
    s->base.est_rows = d->est_rows > 0 ? d->est_rows : ninputs ? inputs[0]->est_rows : 1;
    return &s->base;
}
