/*
 * plan_joinorder.c — join-order searches over the planner's cost model (plan_joinorder.h).
 *
 * The model: jo_get memoises the planner's per-(item, placed set) parameters in an
 * open-addressing table; jo_order_cost walks an order and keeps the prefix states (placed set,
 * cost, rows) of the last order it walked, so an order that shares a prefix with the previous
 * one (an annealing move changes two positions) is evaluated from the first difference on.
 *
 * DP: subsets in increasing numeric order (a subset comes before its supersets); each subset
 * holds a Pareto front of (cost, rows) states, capped at DP_FRONT entries (the cheapest kept),
 * each with its last item and its predecessor state, from which the order is read back.
 *
 * Annealing: perm_anneal (src/quantum) on ln(cost), started from the greedy order, with the
 * seed, replica count (replica exchange) and evaluation budget of the policy, so a plan is
 * reproducible run to run.
 */
#include "sql/plan_joinorder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "perm_anneal.h"

struct jo_memo_ent {
    uint64_t placed;
    int item;             /* -1: empty */
    jo_params p;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int jo_model_init(jo_model *m, int n, jo_params_fn fn, void *ctx, nq_err *err)
{
    memset(m, 0, sizeof *m);
    if (n < 1 || n > JO_MAX_ITEMS)
        return nq_err_set(err, NQ_EINVAL, "join order: %d items (1..%d)", n, JO_MAX_ITEMS);
    m->n = n;
    m->params = fn;
    m->ctx = ctx;
    m->err = err;
    m->memo_cap = 64; /* grows by doubling; small FROMs (every query of 2+ tables) stay small */
    m->memo = malloc(m->memo_cap * sizeof *m->memo);
    m->last = malloc((size_t)n * sizeof *m->last);
    m->pre_cost = malloc((size_t)(n + 1) * sizeof *m->pre_cost);
    m->pre_rows = malloc((size_t)(n + 1) * sizeof *m->pre_rows);
    if (!m->memo || !m->last || !m->pre_cost || !m->pre_rows) {
        jo_model_free(m);
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    }
    for (uint64_t i = 0; i < m->memo_cap; i++)
        m->memo[i].item = -1;
    m->pre_cost[0] = 0;
    m->pre_rows[0] = 1;
    return 0;
}

void jo_model_free(jo_model *m)
{
    free(m->memo);
    free(m->last);
    free(m->pre_cost);
    free(m->pre_rows);
    m->memo = NULL;
    m->last = NULL;
    m->pre_cost = m->pre_rows = NULL;
}

static uint64_t memo_hash(uint64_t placed, int item)
{
    uint64_t x = placed ^ ((uint64_t)item * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return x;
}

static int memo_grow(jo_model *m)
{
    uint64_t nc = m->memo_cap * 2;
    jo_memo_ent *nm = malloc(nc * sizeof *nm);
    if (!nm)
        return NQ_ENOMEM;
    for (uint64_t i = 0; i < nc; i++)
        nm[i].item = -1;
    for (uint64_t i = 0; i < m->memo_cap; i++)
        if (m->memo[i].item >= 0) {
            uint64_t h = memo_hash(m->memo[i].placed, m->memo[i].item) & (nc - 1);
            while (nm[h].item >= 0)
                h = (h + 1) & (nc - 1);
            nm[h] = m->memo[i];
        }
    free(m->memo);
    m->memo = nm;
    m->memo_cap = nc;
    return 0;
}

const jo_params *jo_get(jo_model *m, int item, uint64_t placed)
{
    if (m->rc)
        return NULL;
    uint64_t h = memo_hash(placed, item) & (m->memo_cap - 1);
    while (m->memo[h].item >= 0) {
        if (m->memo[h].item == item && m->memo[h].placed == placed)
            return &m->memo[h].p;
        h = (h + 1) & (m->memo_cap - 1);
    }
    jo_params p;
    memset(&p, 0, sizeof p);
    int rc = m->params(m->ctx, item, placed, &p);
    m->param_calls++;
    if (rc < 0) {
        m->rc = rc;
        return NULL;
    }
    if ((m->memo_n + 1) * 2 > m->memo_cap) {
        if (memo_grow(m) < 0) {
            m->rc = nq_err_set(m->err, NQ_ENOMEM, "out of memory");
            return NULL;
        }
        h = memo_hash(placed, item) & (m->memo_cap - 1);
        while (m->memo[h].item >= 0)
            h = (h + 1) & (m->memo_cap - 1);
    }
    m->memo[h].placed = placed;
    m->memo[h].item = item;
    m->memo[h].p = p;
    m->memo_n++;
    return &m->memo[h].p;
}

/* The same arithmetic, in the same order, as compile_from.c's join_cost and the rows the
 * operators it builds estimate, so that a plan built from an order has this cost. */
double jo_step_cost(const jo_params *p, double rows, double *rows_after)
{
    double eff = p->nl_cost * rows;
    int hash = 0;
    if (p->hash_build >= 0) {
        double h = p->hash_build + rows;
        if (h < eff) {
            eff = h;
            hash = 1;
        }
    }
    if (hash)
        *rows_after = rows * p->hash_rows;
    else if (p->nl_scan && p->hash_build >= 0)
        *rows_after = rows * p->scan_hash_rows;
    else
        *rows_after = rows * p->nl_rows;
    return eff;
}

double jo_order_cost(jo_model *m, const int *order)
{
    int n = m->n, k = 0;
    m->evals++;
    while (k < m->nlast && k < n && m->last[k] == order[k])
        k++;
    uint64_t placed = 0;
    for (int i = 0; i < k; i++)
        placed |= 1ULL << order[i];
    for (; k < n; k++) {
        const jo_params *p = jo_get(m, order[k], placed);
        if (!p) {
            m->nlast = 0;
            return NAN;
        }
        double ra;
        double eff = jo_step_cost(p, m->pre_rows[k], &ra);
        m->pre_cost[k + 1] = m->pre_cost[k] + eff;
        m->pre_rows[k + 1] = ra;
        m->last[k] = order[k];
        placed |= 1ULL << order[k];
    }
    m->nlast = n;
    return m->pre_cost[n];
}

/* The greedy with one step of lookahead, as the planner has always ordered inner joins: ties
 * go to the lower item number. */
int jo_greedy(jo_model *m, int *order, double *cost)
{
    int n = m->n;
    uint64_t placed = 0;
    double rows = 1;
    for (int step = 0; step < n; step++) {
        int pick = -1;
        double best_eff = 0, best_rows = 0;
        for (int i = 0; i < n; i++) {
            if (placed & (1ULL << i))
                continue;
            const jo_params *p = jo_get(m, i, placed);
            if (!p)
                return m->rc;
            double ra, eff = jo_step_cost(p, rows, &ra);
            if (n - step > 1) {
                double rows2 = rows * p->look_rows, next = -1;
                uint64_t placed2 = placed | 1ULL << i;
                for (int j = 0; j < n; j++) {
                    if (j == i || (placed & (1ULL << j)))
                        continue;
                    const jo_params *p2 = jo_get(m, j, placed2);
                    if (!p2)
                        return m->rc;
                    double ra2, e2 = jo_step_cost(p2, rows2, &ra2);
                    if (e2 >= 0 && (next < 0 || e2 < next))
                        next = e2;
                }
                if (next > 0)
                    eff += next;
            }
            if (pick < 0 || eff < best_eff) {
                pick = i;
                best_eff = eff;
                best_rows = ra;
            }
        }
        order[step] = pick;
        placed |= 1ULL << pick;
        rows = best_rows;
    }
    *cost = jo_order_cost(m, order);
    return isnan(*cost) ? (m->rc ? m->rc : NQ_ERROR) : 0;
}

/* ---- dynamic programming over subsets ------------------------------------------------------ */
#define DP_FRONT 16

typedef struct dp_ent {
    double cost, rows;
    int last;             /* item placed last */
    int prev;             /* index in the front of (set without last) */
} dp_ent;

typedef struct dp_front {
    dp_ent *v;
    int n;
} dp_front;

/* Insert (cost, rows) into front f unless dominated; drop what it dominates; keep at most
 * DP_FRONT, the cheapest. */
static int front_add(dp_front *f, dp_ent e)
{
    for (int i = 0; i < f->n; i++)
        if (f->v[i].cost <= e.cost && f->v[i].rows <= e.rows)
            return 0;
    int k = 0;
    for (int i = 0; i < f->n; i++)
        if (!(e.cost <= f->v[i].cost && e.rows <= f->v[i].rows))
            f->v[k++] = f->v[i];
    f->n = k;
    if (!f->v && !(f->v = malloc(DP_FRONT * sizeof *f->v)))
        return NQ_ENOMEM;
    if (f->n == DP_FRONT) {
        int worst = 0;
        for (int i = 1; i < f->n; i++)
            if (f->v[i].cost > f->v[worst].cost)
                worst = i;
        if (f->v[worst].cost <= e.cost)
            return 0;
        f->v[worst] = e;
        return 0;
    }
    f->v[f->n++] = e;
    return 0;
}

int jo_dp(jo_model *m, int *order, double *cost)
{
    int n = m->n;
    if (n > 20)
        return nq_err_set(m->err, NQ_ETOOBIG, "join order: DP over %d items is too big", n);
    uint64_t nsets = 1ULL << n, full = nsets - 1;
    dp_front *fr = calloc(nsets, sizeof *fr);
    if (!fr)
        return nq_err_set(m->err, NQ_ENOMEM, "out of memory");
    int rc = 0;
    fr[0].v = malloc(sizeof *fr[0].v);
    if (!fr[0].v) {
        rc = nq_err_set(m->err, NQ_ENOMEM, "out of memory");
        goto out;
    }
    fr[0].v[0] = (dp_ent){0, 1, -1, -1};
    fr[0].n = 1;
    for (uint64_t s = 0; s < full && rc == 0; s++) {
        if (!fr[s].n)
            continue;
        for (int i = 0; i < n && rc == 0; i++) {
            if (s & (1ULL << i))
                continue;
            const jo_params *p = jo_get(m, i, s);
            if (!p) {
                rc = m->rc;
                break;
            }
            dp_front *to = &fr[s | 1ULL << i];
            for (int k = 0; k < fr[s].n && rc == 0; k++) {
                double ra, eff = jo_step_cost(p, fr[s].v[k].rows, &ra);
                if (front_add(to, (dp_ent){fr[s].v[k].cost + eff, ra, i, k}) < 0)
                    rc = nq_err_set(m->err, NQ_ENOMEM, "out of memory");
            }
        }
    }
    if (rc == 0) {
        int b = 0;
        for (int k = 1; k < fr[full].n; k++)
            if (fr[full].v[k].cost < fr[full].v[b].cost)
                b = k;
        uint64_t s = full;
        for (int pos = n - 1; pos >= 0; pos--) {
            dp_ent *e = &fr[s].v[b];
            order[pos] = e->last;
            s &= ~(1ULL << e->last);
            b = e->prev;
        }
        *cost = jo_order_cost(m, order);
        if (isnan(*cost))
            rc = m->rc ? m->rc : NQ_ERROR;
    }
out:
    for (uint64_t s = 0; s < nsets; s++)
        free(fr[s].v);
    free(fr);
    return rc;
}

/* ---- annealing and exhaustive search -------------------------------------------------------- */
static double log_cost(void *ctx, const int *perm, int n)
{
    (void)n;
    double c = jo_order_cost(ctx, perm);
    if (isnan(c))
        return NAN;
    return log(c > 1e-300 ? c : 1e-300);
}

static double plain_cost(void *ctx, const int *perm, int n)
{
    (void)n;
    return jo_order_cost(ctx, perm);
}

int jo_anneal(jo_model *m, uint64_t seed, long max_evals, const int *start, int *order,
              double *cost, long *evals)
{
    perm_anneal_options o;
    perm_anneal_options_default(&o);
    o.seed = seed;
    o.max_evals = max_evals;
    o.start = start;
    o.replicas = JO_ANNEAL_REPLICAS;
    perm_anneal_result r;
    int rc = perm_anneal(m->n, log_cost, m, &o, order, &r, m->err);
    if (evals)
        *evals = r.evals;
    if (rc < 0)
        return m->rc ? m->rc : rc;
    *cost = jo_order_cost(m, order);
    return isnan(*cost) ? (m->rc ? m->rc : NQ_ERROR) : 0;
}

int jo_exhaustive(jo_model *m, int *order, double *cost)
{
    int rc = perm_exhaustive(m->n, plain_cost, m, order, cost, m->err);
    return rc < 0 ? (m->rc ? m->rc : rc) : 0;
}

/* ---- the policy ----------------------------------------------------------------------------- */
int jo_choose(jo_model *m, int force_anneal, int *order, jo_choice *ch)
{
    int n = m->n;
    memset(ch, 0, sizeof *ch);
    ch->n = n;
    ch->forced = force_anneal;
    ch->dp_cost = ch->anneal_cost = -1;
    double t0 = now_ms();
    int rc = jo_greedy(m, order, &ch->greedy_cost);
    if (rc < 0)
        return rc;
    double t1 = now_ms();
    ch->greedy_ms = t1 - t0;
    ch->method = JO_GREEDY;
    ch->cost = ch->greedy_cost;
    if (n < 2 || (n < JO_ANNEAL_MIN && !force_anneal)) {
        ch->ms = ch->greedy_ms;
        return 0;
    }
    int *tmp = malloc((size_t)n * 2 * sizeof *tmp);
    if (!tmp)
        return nq_err_set(m->err, NQ_ENOMEM, "out of memory");
    int *greedy = tmp + n;
    memcpy(greedy, order, (size_t)n * sizeof *order);
    memcpy(ch->greedy_order, order, (size_t)n * sizeof *order);
    if (n <= JO_DP_MAX) {
        double c = 0;
        rc = jo_dp(m, tmp, &c);
        if (rc < 0)
            goto out;
        ch->dp_cost = c;
        ch->dp_ms = now_ms() - t1;
        if (c < ch->cost) {
            ch->cost = c;
            ch->method = JO_DP;
            memcpy(order, tmp, (size_t)n * sizeof *order);
        }
    }
    double t2 = now_ms();
    double c = 0;
    /* a small FROM (QUANTUM_JOIN of a few tables) has fewer orders than the budget */
    long budget = JO_ANNEAL_EVALS, fact = 1;
    for (int i = 2; i <= n && fact < budget; i++)
        fact *= i;
    if (2 * fact < budget)
        budget = 2 * fact;
    rc = jo_anneal(m, JO_ANNEAL_SEED, budget, greedy, tmp, &c, &ch->anneal_evals);
    if (rc < 0)
        goto out;
    ch->anneal_cost = c;
    ch->anneal_ms = now_ms() - t2;
    if (c < ch->cost) {
        ch->cost = c;
        ch->method = JO_ANNEAL;
        memcpy(order, tmp, (size_t)n * sizeof *order);
    }
    ch->ms = now_ms() - t0;
out:
    free(tmp);
    return rc;
}

const char *jo_method_name(jo_method k)
{
    switch (k) {
    case JO_WRITTEN:
        return "written";
    case JO_GREEDY:
        return "greedy";
    case JO_DP:
        return "dp";
    case JO_ANNEAL:
        return "annealing";
    }
    return "?";
}

void jo_describe(const jo_choice *ch, char *buf, size_t cap)
{
    const char *why = "";
    if (ch->forced)
        why = ch->method == JO_ANNEAL ? " (QUANTUM_JOIN)" : " (QUANTUM_JOIN: the annealed order was not cheaper)";
    int k = snprintf(buf, cap, "JOIN ORDER %s%s: %d tables, est cost %.4g; greedy %.4g in %.2f ms",
                     jo_method_name(ch->method), why, ch->n, ch->cost, ch->greedy_cost, ch->greedy_ms);
    if (k < 0 || (size_t)k >= cap)
        return;
    if (ch->dp_cost >= 0)
        k += snprintf(buf + k, cap - (size_t)k, ", dp %.4g in %.2f ms", ch->dp_cost, ch->dp_ms);
    if (k < 0 || (size_t)k >= cap)
        return;
    if (ch->anneal_cost >= 0)
        snprintf(buf + k, cap - (size_t)k, ", annealing %.4g in %.2f ms (%ld evaluations)", ch->anneal_cost,
                 ch->anneal_ms, ch->anneal_evals);
}

/* ---- the statement form ------------------------------------------------------------------- */
int jo_quantum_join_stmt(ast_arena *a, ast_stmt *s, nq_err *err)
{
    if (s->kind != AST_QUANTUM_JOIN)
        return 0;
    const ast_ext *x = s->u.ext;
    ast_select *q = ast_alloc(a, sizeof *q);
    ast_from *j = ast_alloc(a, sizeof *j), *l = ast_alloc(a, sizeof *l), *r = ast_alloc(a, sizeof *r);
    ast_result_col *rc = ast_alloc(a, sizeof *rc);
    ast_expr *star = ast_alloc(a, sizeof *star);
    if (!q || !j || !l || !r || !rc || !star)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    l->kind = r->kind = AST_FROM_TABLE;
    l->schema = x->table.schema;
    l->name = x->table.name;
    r->schema = x->table2.schema;
    r->name = x->table2.name;
    j->kind = AST_FROM_JOIN;
    j->jtype = AST_JOIN_QUANTUM;
    j->left = l;
    j->right = r;
    j->on = x->on;
    j->using_cols = x->using_cols;
    star->kind = AST_E_STAR;
    star->line = s->line;
    star->col = s->col;
    rc->e = star;
    q->kind = AST_SEL_CORE;
    q->from = j;
    if (ast_list_push(a, &q->cols, rc) < 0)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    s->kind = AST_SELECT;
    s->u.select = q;
    return 0;
}
