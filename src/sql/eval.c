/*
 * eval.c — evaluating bound expressions (exec.h) over the current registers.
 *
 * A recursive interpreter over the bx tree. NULL handling is SQL's: arithmetic and
 * comparison with a NULL give NULL, AND/OR use three-valued logic and short-circuit only
 * where the result is decided (FALSE AND x, TRUE OR x), so an error in the other operand is
 * not raised when it cannot matter — PostgreSQL does the same.
 *
 * Mixed-type comparison: a TEXT compared with a number or a temporal value is first converted
 * to the other side's type when it can be (PostgreSQL treats a quoted literal as "unknown" and
 * coerces it the same way); when it cannot, the values compare by type class (value.h), never
 * as an error, so that a WHERE over a loosely typed column keeps working.
 *
 * Subqueries run their plan on demand. An uncorrelated subquery runs once per execution of the
 * statement and its result is cached in the bsub (a scalar, an EXISTS flag, or the sorted set
 * of values for IN); a correlated one re-runs for every evaluation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/ast.h"
#include "sql/exec.h"

int sqlv_copy(const sqlv *v, sqlv *out, nq_err *err)
{
    *out = *v;
    out->owned = 0;
    if ((v->type == SQLV_TEXT || v->type == SQLV_BLOB || v->type == SQLV_VECTOR)) {
        uint8_t *p = malloc(v->n ? v->n : 1);
        if (!p)
            return nq_err_set(err, NQ_ENOMEM, "out of memory");
        if (v->n)
            memcpy(p, v->p, v->n);
        out->p = p;
        out->owned = 1;
    }
    return 0;
}

static int is_num(sqlv_type t) { return t == SQLV_INT || t == SQLV_REAL; }

/* Coerce a TEXT operand toward the other side's type for comparison; *tmp may own memory. */
static const sqlv *coerce(const sqlv *v, const sqlv *other, sqlv *tmp)
{
    if (v->type != SQLV_TEXT || other->type == SQLV_TEXT || other->type == SQLV_NULL)
        return v;
    sqlv_type t = other->type;
    if (t == SQLV_BLOB || t == SQLV_VECTOR)
        return v;
    nq_err e;
    if (sqlv_cast(v, is_num(t) ? SQLV_REAL : t, tmp, &e) != 0)
        return v;
    if (is_num(t) && tmp->type == SQLV_REAL && tmp->r == (double)(int64_t)tmp->r &&
        tmp->r < 9.2e18 && tmp->r > -9.2e18) {
        tmp->i = (int64_t)tmp->r;
        tmp->type = SQLV_INT;
    }
    return tmp;
}

/* Three-valued comparison with coercion: -1/0/1 or SQLV_UNKNOWN. */
static int cmp_values(const sqlv *a, const sqlv *b)
{
    if (a->type == SQLV_NULL || b->type == SQLV_NULL)
        return SQLV_UNKNOWN;
    sqlv ta = {0}, tb = {0};
    const sqlv *pa = coerce(a, b, &ta), *pb = coerce(b, a, &tb);
    int c = sqlv_compare(pa, pb);
    sqlv_clear(&ta);
    sqlv_clear(&tb);
    return c;
}

static int cmp_result(int oper, int c)
{
    if (c == SQLV_UNKNOWN)
        return SQLV_UNKNOWN;
    switch (oper) {
    case AST_OP_EQ: return c == 0;
    case AST_OP_NE: return c != 0;
    case AST_OP_LT: return c < 0;
    case AST_OP_LE: return c <= 0;
    case AST_OP_GT: return c > 0;
    default: return c >= 0;
    }
}

static sqlv truth_value(int t) { return t == SQLV_UNKNOWN ? sqlv_null() : sqlv_bool(t); }

static int to_truth(const sqlv *v, int *t, const bx *e, nq_err *err)
{
    switch (v->type) {
    case SQLV_NULL: *t = SQLV_UNKNOWN; return 0;
    case SQLV_BOOL:
    case SQLV_INT: *t = v->i != 0; return 0;
    case SQLV_REAL: *t = v->r != 0; return 0;
    case SQLV_TEXT: {
        /* SQLite-compatible: a numeric prefix decides; PostgreSQL accepts 't'/'true' etc. */
        sqlv r;
        nq_err e2;
        if (v->n && sqlv_cast(v, SQLV_BOOL, &r, &e2) == 0) {
            *t = r.i != 0;
            return 0;
        }
        if (sqlv_cast(v, SQLV_REAL, &r, &e2) == 0) {
            *t = r.r != 0;
            return 0;
        }
        *t = 0;
        return 0;
    }
    default:
        return nq_err_set(err, NQ_ETYPE, "argument of a condition must be boolean, not %s at line %u, column %u",
                          sqlv_type_name(v->type), e->line, e->col_);
    }
}

/* ---- subqueries ------------------------------------------------------------------------- */
/* Run a subquery's plan, calling fn for each row (its values in x->slot[sub->out_slot]);
 * fn returns 1 to stop early. */
typedef int (*row_fn)(void *arg, const sqlv *row, int ncols, nq_err *err);

static int run_sub(bsub *sub, xenv *x, row_fn fn, void *arg, nq_err *err)
{
    if (sub->correlated)
        for (int i = 0; i < sub->nresets; i++)
            sub->resets[i]->vt->destroy(sub->resets[i]);
    int rc = op_open(sub->plan, x, err);
    if (rc < 0) {
        op_close(sub->plan, x);
        return rc;
    }
    for (;;) {
        rc = op_next(sub->plan, x, err);
        if (rc <= 0)
            break;
        rc = fn(arg, x->slot[sub->out_slot], sub->ncols, err);
        if (rc != 0)
            break;
    }
    op_close(sub->plan, x);
    return rc < 0 ? rc : 0;
}

struct scalar_arg {
    sqlv v;
    int n;
};

static int scalar_row(void *arg, const sqlv *row, int ncols, nq_err *err)
{
    struct scalar_arg *a = arg;
    if (a->n++) {
        return nq_err_set(err, NQ_ERROR, "more than one row returned by a subquery used as an expression");
    }
    return sqlv_copy(&row[0], &a->v, err);
}

static int exists_row(void *arg, const sqlv *row, int ncols, nq_err *err)
{
    *(int *)arg = 1;
    return 1;
}

struct set_arg {
    sqlv *v;
    size_t n, cap;
    int has_null;
};

static int set_row(void *arg, const sqlv *row, int ncols, nq_err *err)
{
    struct set_arg *a = arg;
    if (row[0].type == SQLV_NULL) {
        a->has_null = 1;
        return 0;
    }
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 16;
        sqlv *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv)
            return nq_err_set(err, NQ_ENOMEM, "out of memory");
        a->v = nv;
        a->cap = nc;
    }
    int rc = sqlv_copy(&row[0], &a->v[a->n], err);
    if (rc == 0)
        a->n++;
    return rc;
}

static int cmp_sorted(const void *pa, const void *pb) { return sqlv_order(pa, pb); }

static int sub_scalar(bsub *sub, xenv *x, sqlv *out, nq_err *err)
{
    if (!sub->correlated && sub->cached) {
        *out = sub->scalar;
        out->owned = 0;
        return 0;
    }
    struct scalar_arg a = {.v = sqlv_null(), .n = 0};
    int rc = run_sub(sub, x, scalar_row, &a, err);
    if (rc < 0) {
        sqlv_clear(&a.v);
        return rc;
    }
    if (sub->correlated) {
        *out = a.v;
        return 0;
    }
    sub->scalar = a.v;
    sub->cached = 1;
    *out = a.v;
    out->owned = 0;
    return 0;
}

static int sub_exists(bsub *sub, xenv *x, int *found, nq_err *err)
{
    if (!sub->correlated && sub->cached) {
        *found = sub->exists;
        return 0;
    }
    int f = 0;
    int rc = run_sub(sub, x, exists_row, &f, err);
    if (rc < 0)
        return rc;
    if (!sub->correlated) {
        sub->exists = f;
        sub->cached = 1;
    }
    *found = f;
    return 0;
}

/* IN against a subquery's single column: 1, 0 or SQLV_UNKNOWN. */
static int sub_in(bsub *sub, xenv *x, const sqlv *v, int *res, nq_err *err)
{
    if (!sub->cached || sub->correlated) {
        if (sub->cached) {
            for (size_t i = 0; i < sub->nset; i++)
                sqlv_clear(&sub->set[i]);
            free(sub->set);
            sub->set = NULL;
            sub->nset = 0;
        }
        struct set_arg a = {0};
        int rc = run_sub(sub, x, set_row, &a, err);
        if (rc < 0) {
            for (size_t i = 0; i < a.n; i++)
                sqlv_clear(&a.v[i]);
            free(a.v);
            return rc;
        }
        if (a.n > 1)
            qsort(a.v, a.n, sizeof *a.v, cmp_sorted);
        sub->set = a.v;
        sub->nset = a.n;
        sub->set_has_null = a.has_null;
        sub->cached = 1;
    }
    if (v->type == SQLV_NULL) {
        *res = sub->nset || sub->set_has_null ? SQLV_UNKNOWN : 0;
        return 0;
    }
    /* binary search under sqlv_order, then the coercing comparison for mixed types */
    size_t lo = 0, hi = sub->nset;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = sqlv_order(&sub->set[mid], v);
        if (c == 0) {
            *res = 1;
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (v->type == SQLV_TEXT || (sub->nset && sub->set[0].type == SQLV_TEXT) ||
        (sub->nset && sub->set[sub->nset - 1].type == SQLV_TEXT)) {
        for (size_t i = 0; i < sub->nset; i++)
            if (cmp_values(v, &sub->set[i]) == 0) {
                *res = 1;
                return 0;
            }
    }
    *res = sub->set_has_null ? SQLV_UNKNOWN : 0;
    return 0;
}

/* ---- rows ------------------------------------------------------------------------------- */
static int row_cmp(const bx *a, const bx *b, xenv *x, int oper, int *res, nq_err *err)
{
    /* (a1, a2) oper (b1, b2): lexicographic with SQL NULL rules */
    int n = a->nargs;
    if (b->kind != BX_ROW || b->nargs != n)
        return nq_err_set(err, NQ_ETYPE, "row comparison needs rows of equal size at line %u, column %u",
                          a->line, a->col_);
    int unknown = 0;
    for (int i = 0; i < n; i++) {
        sqlv va, vb;
        int rc = ev(a->args[i], x, &va, err);
        if (rc < 0)
            return rc;
        rc = ev(b->args[i], x, &vb, err);
        if (rc < 0) {
            sqlv_clear(&va);
            return rc;
        }
        int c = cmp_values(&va, &vb);
        sqlv_clear(&va);
        sqlv_clear(&vb);
        if (c == SQLV_UNKNOWN) {
            if (oper == AST_OP_EQ || oper == AST_OP_NE) {
                unknown = 1;
                continue;
            }
            *res = SQLV_UNKNOWN;
            return 0;
        }
        if (c != 0) {
            *res = cmp_result(oper, c);
            return 0;
        }
    }
    *res = unknown ? SQLV_UNKNOWN : cmp_result(oper, 0);
    return 0;
}

/* ---- the interpreter -------------------------------------------------------------------- */
static int concat(const sqlv *a, const sqlv *b, sqlv *out, nq_err *err)
{
    if (a->type == SQLV_NULL || b->type == SQLV_NULL) {
        *out = sqlv_null();
        return 0;
    }
    sqlv ta = {0}, tb = {0};
    int rc = sqlv_cast(a, SQLV_TEXT, &ta, err);
    if (rc == 0)
        rc = sqlv_cast(b, SQLV_TEXT, &tb, err);
    if (rc == 0) {
        uint8_t *p = malloc(ta.n + tb.n + 1);
        if (!p)
            rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        else {
            memcpy(p, ta.p, ta.n);
            memcpy(p + ta.n, tb.p, tb.n);
            *out = sqlv_text((const char *)p, ta.n + tb.n);
            out->owned = 1;
        }
    }
    sqlv_clear(&ta);
    sqlv_clear(&tb);
    return rc;
}

static int to_int_operand(const sqlv *v, int64_t *i, nq_err *err)
{
    if (v->type == SQLV_INT || v->type == SQLV_BOOL) {
        *i = v->i;
        return 0;
    }
    sqlv t;
    int rc = sqlv_cast(v, SQLV_INT, &t, err);
    if (rc == 0)
        *i = t.i;
    return rc;
}

static int arith(int oper, const sqlv *a, const sqlv *b, sqlv *out, nq_err *err)
{
    if (oper == AST_OP_CONCAT)
        return concat(a, b, out, err);
    if (a->type == SQLV_NULL || b->type == SQLV_NULL) {
        *out = sqlv_null();
        return 0;
    }
    /* date arithmetic, as PostgreSQL: DATE +/- INTEGER days is a DATE, DATE - DATE is the
     * number of days between them */
    if (a->type == SQLV_DATE || b->type == SQLV_DATE) {
        int64_t r;
        if (a->type == SQLV_DATE && b->type == SQLV_INT && (oper == AST_OP_ADD || oper == AST_OP_SUB)) {
            if (oper == AST_OP_ADD ? __builtin_add_overflow(a->i, b->i, &r) : __builtin_sub_overflow(a->i, b->i, &r))
                return nq_err_set(err, NQ_ERROR, "date out of range");
            *out = sqlv_temporal(SQLV_DATE, r);
            return 0;
        }
        if (a->type == SQLV_INT && b->type == SQLV_DATE && oper == AST_OP_ADD) {
            if (__builtin_add_overflow(a->i, b->i, &r))
                return nq_err_set(err, NQ_ERROR, "date out of range");
            *out = sqlv_temporal(SQLV_DATE, r);
            return 0;
        }
        if (a->type == SQLV_DATE && b->type == SQLV_DATE && oper == AST_OP_SUB) {
            *out = sqlv_int(a->i - b->i);
            return 0;
        }
    }
    /* text operands of arithmetic are numbers written as text */
    sqlv ta = {0}, tb = {0};
    if (a->type == SQLV_TEXT && is_num(b->type))
        a = coerce(a, b, &ta);
    if (b->type == SQLV_TEXT && is_num(a->type))
        b = coerce(b, a, &tb);
    int rc;
    switch (oper) {
    case AST_OP_ADD: rc = sqlv_add(a, b, out, err); break;
    case AST_OP_SUB: rc = sqlv_sub(a, b, out, err); break;
    case AST_OP_MUL: rc = sqlv_mul(a, b, out, err); break;
    case AST_OP_DIV: rc = sqlv_div(a, b, out, err); break;
    case AST_OP_MOD: rc = sqlv_mod(a, b, out, err); break;
    default: {
        int64_t x, y;
        rc = to_int_operand(a, &x, err);
        if (rc == 0)
            rc = to_int_operand(b, &y, err);
        if (rc == 0) {
            uint64_t r;
            switch (oper) {
            case AST_OP_BITAND: r = (uint64_t)x & (uint64_t)y; break;
            case AST_OP_BITOR: r = (uint64_t)x | (uint64_t)y; break;
            case AST_OP_LSHIFT: r = y >= 64 || y <= -64 ? 0 : y >= 0 ? (uint64_t)x << y : (uint64_t)(x >> -y); break;
            default: r = y >= 64 || y <= -64 ? (x < 0 ? UINT64_MAX : 0) : y >= 0 ? (uint64_t)(x >> y) : (uint64_t)x << -y; break;
            }
            *out = sqlv_int((int64_t)r);
        }
    }
    }
    sqlv_clear(&ta);
    sqlv_clear(&tb);
    return rc;
}

static int eval_func(const bx *e, xenv *x, sqlv *out, nq_err *err)
{
    sqlv stackv[8];
    sqlv *av = e->nargs <= 8 ? stackv : calloc((size_t)e->nargs, sizeof(sqlv));
    if (!av)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    int rc = 0, n = 0, has_null = 0;
    for (; n < e->nargs; n++) {
        rc = ev(e->args[n], x, &av[n], err);
        if (rc < 0)
            break;
        if (av[n].type == SQLV_NULL)
            has_null = 1;
    }
    if (rc == 0) {
        if (has_null && !(e->fn->flags & FN_NULL_OK))
            *out = sqlv_null();
        else {
            *out = sqlv_null();
            rc = e->fn->fn(&x->fcx, e->nargs, av, out, err);
        }
    }
    /* a function may hand back one of its arguments: then the result takes over its memory */
    for (int i = 0; i < n; i++) {
        if (av[i].owned && av[i].p && out->p == av[i].p) {
            out->owned = 1;
            continue;
        }
        sqlv_clear(&av[i]);
    }
    if (av != stackv)
        free(av);
    return rc;
}

/* d + INTERVAL n unit. An INTERVAL written PostgreSQL's way, '1 day 2 hours' (no unit after
 * the string), is applied part by part. */
static int eval_interval(const bx *e, xenv *x, sqlv *out, nq_err *err)
{
    sqlv d, n;
    int rc = ev(e->a, x, &d, err);
    if (rc < 0)
        return rc;
    if ((rc = ev(e->b, x, &n, err)) < 0) {
        sqlv_clear(&d);
        return rc;
    }
    if (d.type == SQLV_NULL || n.type == SQLV_NULL) {
        *out = sqlv_null();
    } else if (n.type == SQLV_TEXT && !e->text) {
        /* "30 minutes", "1 day 2 hours", "-3 months" */
        char buf[128];
        size_t len = n.n < sizeof buf - 1 ? n.n : sizeof buf - 1;
        memcpy(buf, n.p, len);
        buf[len] = 0;
        sqlv cur = d, next;
        cur.owned = 0;
        char *p = buf, *end;
        int parts = 0;
        *out = cur;
        while (rc == 0) {
            while (*p == ' ')
                p++;
            if (!*p)
                break;
            long long amount = strtoll(p, &end, 10);
            if (end == p) {
                rc = nq_err_set(err, NQ_ETYPE, "invalid input syntax for type interval: \"%s\"", buf);
                break;
            }
            p = end;
            while (*p == ' ')
                p++;
            char unit[32];
            size_t k = 0;
            while (*p && *p != ' ' && k < sizeof unit - 1)
                unit[k++] = *p++;
            unit[k] = 0;
            rc = fn_interval_add(&cur, amount, k ? unit : NULL, e->op, &next, err);
            if (rc < 0)
                break;
            if (parts++)
                sqlv_clear(&cur);
            cur = next;
        }
        if (rc == 0)
            *out = cur;
        else if (parts)
            sqlv_clear(&cur);
        if (rc == 0 && !parts)
            rc = nq_err_set(err, NQ_ETYPE, "invalid input syntax for type interval: \"%s\"", buf);
        if (rc == 0 && out->p == d.p && d.owned) { /* handed the argument back */
            out->owned = 1;
            d.owned = 0;
        }
    } else {
        sqlv t;
        rc = sqlv_cast(&n, SQLV_INT, &t, err);
        if (rc == 0)
            rc = fn_interval_add(&d, t.i, e->text, e->op, out, err);
        if (rc == 0 && out->p && out->p == d.p && d.owned) {
            out->owned = 1;
            d.owned = 0;
        }
    }
    sqlv_clear(&d);
    sqlv_clear(&n);
    return rc;
}

int ev_truth(const bx *e, xenv *x, int *t, nq_err *err)
{
    switch (e->kind) {
    case BX_AND:
    case BX_OR: {
        int ta, tb, rc = ev_truth(e->a, x, &ta, err);
        if (rc < 0)
            return rc;
        if (e->kind == BX_AND && ta == 0) {
            *t = 0;
            return 0;
        }
        if (e->kind == BX_OR && ta == 1) {
            *t = 1;
            return 0;
        }
        rc = ev_truth(e->b, x, &tb, err);
        if (rc < 0)
            return rc;
        if (e->kind == BX_AND)
            *t = tb == 0 ? 0 : (ta == SQLV_UNKNOWN || tb == SQLV_UNKNOWN) ? SQLV_UNKNOWN : 1;
        else
            *t = tb == 1 ? 1 : (ta == SQLV_UNKNOWN || tb == SQLV_UNKNOWN) ? SQLV_UNKNOWN : 0;
        return 0;
    }
    case BX_NOT: {
        int rc = ev_truth(e->a, x, t, err);
        if (rc == 0 && *t != SQLV_UNKNOWN)
            *t = !*t;
        return rc;
    }
    case BX_CMP: {
        if (e->a->kind == BX_ROW)
            return row_cmp(e->a, e->b, x, e->op, t, err);
        sqlv a, b;
        int rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        rc = ev(e->b, x, &b, err);
        if (rc < 0) {
            sqlv_clear(&a);
            return rc;
        }
        *t = cmp_result(e->op, cmp_values(&a, &b));
        sqlv_clear(&a);
        sqlv_clear(&b);
        return 0;
    }
    default: {
        sqlv v;
        int rc = ev(e, x, &v, err);
        if (rc < 0)
            return rc;
        rc = to_truth(&v, t, e, err);
        sqlv_clear(&v);
        return rc;
    }
    }
}

int ev(const bx *e, xenv *x, sqlv *out, nq_err *err)
{
    int rc, t;
    sqlv a, b, c;
    switch (e->kind) {
    case BX_CONST:
        *out = e->v;
        out->owned = 0;
        return 0;
    case BX_PARAM:
        if (e->idx < 1 || e->idx > x->nparams)
            *out = sqlv_null();
        else {
            *out = x->params[e->idx - 1];
            out->owned = 0;
        }
        return 0;
    case BX_COL:
    case BX_AGGREF:
        *out = x->slot[e->slot] ? x->slot[e->slot][e->col] : sqlv_null();
        out->owned = 0;
        return 0;
    case BX_NEG:
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        if (a.type == SQLV_TEXT) {
            sqlv zero = sqlv_int(0);
            rc = arith(AST_OP_SUB, &zero, &a, out, err);
        } else
            rc = sqlv_neg(&a, out, err);
        sqlv_clear(&a);
        return rc;
    case BX_BITNOT: {
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        int64_t i;
        if (a.type == SQLV_NULL)
            *out = sqlv_null();
        else if ((rc = to_int_operand(&a, &i, err)) == 0)
            *out = sqlv_int(~i);
        sqlv_clear(&a);
        return rc;
    }
    case BX_ARITH:
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        rc = ev(e->b, x, &b, err);
        if (rc == 0) {
            rc = arith(e->op, &a, &b, out, err);
            sqlv_clear(&b);
        }
        sqlv_clear(&a);
        if (rc < 0 && !strstr(err->msg, " at line "))
            nq_err_prefix(err, rc, "at line %u, column %u", e->line, e->col_);
        return rc;
    case BX_IS: {
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        rc = ev(e->b, x, &b, err);
        if (rc < 0) {
            sqlv_clear(&a);
            return rc;
        }
        int same;
        if (a.type == SQLV_NULL || b.type == SQLV_NULL)
            same = a.type == b.type;
        else if (b.type == SQLV_BOOL && a.type != SQLV_BOOL) {
            int ta;
            rc = to_truth(&a, &ta, e, err);
            same = rc == 0 && ta == b.i;
        } else
            same = cmp_values(&a, &b) == 0;
        sqlv_clear(&a);
        sqlv_clear(&b);
        if (rc < 0)
            return rc;
        int neg = e->op == AST_OP_IS_NOT || e->op == AST_OP_IS_DISTINCT;
        *out = sqlv_bool(neg ? !same : same);
        return 0;
    }
    case BX_CMP:
    case BX_AND:
    case BX_OR:
    case BX_NOT:
        rc = ev_truth(e, x, &t, err);
        if (rc == 0)
            *out = truth_value(t);
        return rc;
    case BX_BETWEEN: {
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        rc = ev(e->b, x, &b, err);
        if (rc == 0)
            rc = ev(e->c, x, &c, err);
        else
            c = sqlv_null();
        if (rc == 0) {
            int lo = cmp_result(AST_OP_GE, cmp_values(&a, &b));
            int hi = cmp_result(AST_OP_LE, cmp_values(&a, &c));
            if (lo == 0 || hi == 0)
                t = 0;
            else if (lo == SQLV_UNKNOWN || hi == SQLV_UNKNOWN)
                t = SQLV_UNKNOWN;
            else
                t = 1;
            if (e->not_ && t != SQLV_UNKNOWN)
                t = !t;
            *out = truth_value(t);
        }
        sqlv_clear(&a);
        sqlv_clear(&b);
        sqlv_clear(&c);
        return rc;
    }
    case BX_IN_LIST: {
        if (e->a->kind == BX_ROW) {
            int unknown = 0, found = 0;
            for (int i = 0; i < e->nargs && !found; i++) {
                rc = row_cmp(e->a, e->args[i], x, AST_OP_EQ, &t, err);
                if (rc < 0)
                    return rc;
                if (t == 1)
                    found = 1;
                else if (t == SQLV_UNKNOWN)
                    unknown = 1;
            }
            t = found ? 1 : unknown ? SQLV_UNKNOWN : 0;
        } else {
            rc = ev(e->a, x, &a, err);
            if (rc < 0)
                return rc;
            int unknown = a.type == SQLV_NULL && e->nargs > 0, found = 0;
            for (int i = 0; i < e->nargs && !found && a.type != SQLV_NULL; i++) {
                rc = ev(e->args[i], x, &b, err);
                if (rc < 0) {
                    sqlv_clear(&a);
                    return rc;
                }
                int cr = cmp_values(&a, &b);
                sqlv_clear(&b);
                if (cr == 0)
                    found = 1;
                else if (cr == SQLV_UNKNOWN)
                    unknown = 1;
            }
            sqlv_clear(&a);
            t = found ? 1 : unknown ? SQLV_UNKNOWN : 0;
        }
        if (e->not_ && t != SQLV_UNKNOWN)
            t = !t;
        *out = truth_value(t);
        return 0;
    }
    case BX_IN_SUB:
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        rc = sub_in(e->sub, x, &a, &t, err);
        sqlv_clear(&a);
        if (rc < 0)
            return rc;
        if (e->not_ && t != SQLV_UNKNOWN)
            t = !t;
        *out = truth_value(t);
        return 0;
    case BX_EXISTS:
        rc = sub_exists(e->sub, x, &t, err);
        if (rc == 0)
            *out = sqlv_bool(e->not_ ? !t : t);
        return rc;
    case BX_SUBQ:
        return sub_scalar(e->sub, x, out, err);
    case BX_CASE: {
        if (e->a) {
            rc = ev(e->a, x, &a, err);
            if (rc < 0)
                return rc;
        }
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            if (e->a) {
                rc = ev(e->args[i], x, &b, err);
                if (rc < 0) {
                    sqlv_clear(&a);
                    return rc;
                }
                t = cmp_values(&a, &b) == 0;
                sqlv_clear(&b);
            } else {
                rc = ev_truth(e->args[i], x, &t, err);
                if (rc < 0)
                    return rc;
            }
            if (t == 1) {
                if (e->a)
                    sqlv_clear(&a);
                return ev(e->args[i + 1], x, out, err);
            }
        }
        if (e->a)
            sqlv_clear(&a);
        if (e->b)
            return ev(e->b, x, out, err);
        *out = sqlv_null();
        return 0;
    }
    case BX_CAST:
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        if (e->type == SQLV_NULL) { /* CAST to a type we keep as-is */
            *out = a;
            return 0;
        }
        rc = sqlv_cast(&a, e->type, out, err);
        if (rc == 0 && e->type == SQLV_TEXT && e->type_chars > 0 && out->n > (size_t)e->type_chars) {
            /* VARCHAR(n): truncate to n characters (UTF-8) */
            size_t k = 0;
            int chars = 0;
            while (k < out->n && chars < e->type_chars) {
                k++;
                while (k < out->n && (out->p[k] & 0xC0) == 0x80)
                    k++;
                chars++;
            }
            out->n = k;
        }
        if (rc == 0 && out->owned == 0 && a.owned && out->p == a.p) {
            out->owned = 1; /* the cast handed the argument through: keep its memory */
            return 0;
        }
        sqlv_clear(&a);
        return rc;
    case BX_FUNC:
        return eval_func(e, x, out, err);
    case BX_LIKE: {
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        rc = ev(e->b, x, &b, err);
        if (rc < 0) {
            sqlv_clear(&a);
            return rc;
        }
        c = sqlv_null();
        if (e->c)
            rc = ev(e->c, x, &c, err);
        sqlv ta = {0}, tb = {0};
        if (rc == 0 && a.type != SQLV_NULL && a.type != SQLV_TEXT)
            rc = sqlv_cast(&a, SQLV_TEXT, &ta, err);
        if (rc == 0 && b.type != SQLV_NULL && b.type != SQLV_TEXT)
            rc = sqlv_cast(&b, SQLV_TEXT, &tb, err);
        if (rc == 0) {
            const sqlv *pa = ta.type ? &ta : &a, *pb = tb.type ? &tb : &b;
            if (e->op == AST_OP_GLOB)
                rc = fn_glob(pa, pb, out, err);
            else
                rc = fn_like(pa, pb, e->c ? &c : NULL, e->op == AST_OP_ILIKE, out, err);
            if (rc == 0 && e->not_ && out->type == SQLV_BOOL)
                out->i = !out->i;
        }
        sqlv_clear(&ta);
        sqlv_clear(&tb);
        sqlv_clear(&a);
        sqlv_clear(&b);
        sqlv_clear(&c);
        return rc;
    }
    case BX_ROW:
        return nq_err_set(err, NQ_ETYPE, "a row value is only allowed in a comparison at line %u, column %u",
                          e->line, e->col_);
    case BX_EXTRACT:
        rc = ev(e->a, x, &a, err);
        if (rc < 0)
            return rc;
        rc = fn_extract(e->text, &a, out, err);
        sqlv_clear(&a);
        return rc;
    case BX_INTERVAL:
        return eval_interval(e, x, out, err);
    }
    return nq_err_set(err, NQ_ERROR, "internal error: unknown expression kind %d", (int)e->kind);
}
