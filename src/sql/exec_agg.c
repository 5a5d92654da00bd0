/*
 * exec_agg.c — GROUP BY and aggregates (hash aggregation).
 *
 * At open the operator drains its input: each row's GROUP BY values are encoded with
 * key_encode into a keymap that maps the key to a group number; a group keeps an owned copy of
 * its GROUP BY values and one state block per aggregate (fn_agg_def.state_size). DISTINCT
 * aggregates keep, per group and aggregate, a keymap of the argument keys already fed, so each
 * distinct argument is stepped once. Groups are emitted in the order of their encoded keys
 * (ascending, NULLs first), which costs a sort of the group numbers but makes output order
 * deterministic and equal to what a sort-based GROUP BY (SQLite's) produces — tests without
 * ORDER BY then do not depend on hash order.
 *
 * With no GROUP BY there is exactly one group, which exists even for empty input (count(*)
 * over nothing is 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/keymap.h"
#include "sql/ops.h"

typedef struct agg_group {
    sqlv *keys;          /* ngroups values, owned */
    uint8_t *state;      /* naggs states, each padded to 16 bytes */
    keymap **seen;       /* DISTINCT aggregates: per aggregate, NULL otherwise */
} agg_group;

typedef struct agg_op {
    op base;
    bx **groups;
    int ngroups;
    const agg_spec *aggs;
    int naggs;
    size_t *offs;        /* state offset of each aggregate */
    size_t state_size;
    keymap *map;
    agg_group *g;
    size_t ng, cap;
    size_t *order;
    size_t pos;
    sqlv *out;
} agg_op;

static void group_free(agg_op *s, agg_group *g)
{
    if (g->keys)
        rows_clear(g->keys, s->ngroups);
    free(g->keys);
    for (int a = 0; a < s->naggs; a++) {
        if (g->state && s->aggs[a].def->cleanup)
            s->aggs[a].def->cleanup(g->state + s->offs[a]);
        if (g->seen)
            keymap_free(g->seen[a]);
    }
    free(g->state);
    free(g->seen);
}

static void agg_reset(agg_op *s)
{
    for (size_t i = 0; i < s->ng; i++)
        group_free(s, &s->g[i]);
    free(s->g);
    s->g = NULL;
    s->ng = s->cap = 0;
    keymap_free(s->map);
    s->map = NULL;
    free(s->order);
    s->order = NULL;
    if (s->out)
        rows_clear(s->out, s->base.ncols);
}

static int new_group(agg_op *s, const sqlv *keys, nq_err *e)
{
    if (s->ng == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        agg_group *ng = realloc(s->g, nc * sizeof *ng);
        if (!ng)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        s->g = ng;
        s->cap = nc;
    }
    agg_group *g = &s->g[s->ng];
    memset(g, 0, sizeof *g);
    g->keys = calloc((size_t)s->ngroups + 1, sizeof(sqlv));
    g->state = calloc(s->state_size + 1, 1);
    g->seen = calloc((size_t)s->naggs + 1, sizeof(keymap *));
    if (!g->keys || !g->state || !g->seen) {
        group_free(s, g);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    int rc = rows_copy(keys, s->ngroups, g->keys, e);
    if (rc < 0) {
        free(g->keys);
        g->keys = NULL;
        group_free(s, g);
        return rc;
    }
    for (int a = 0; a < s->naggs; a++) {
        s->aggs[a].def->init(g->state + s->offs[a]);
        if (s->aggs[a].distinct && !(g->seen[a] = keymap_new())) {
            s->ng++;
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        }
    }
    s->ng++;
    return 0;
}

/* Feed the current row to every aggregate of group g. */
static int step_group(agg_op *s, agg_group *g, xenv *x, key_buf *kb, nq_err *e)
{
    for (int a = 0; a < s->naggs; a++) {
        const agg_spec *sp = &s->aggs[a];
        if (sp->filter) {
            int t, rc = ev_truth(sp->filter, x, &t, e);
            if (rc < 0)
                return rc;
            if (t != 1)
                continue;
        }
        sqlv av[8];
        int n = 0, rc = 0, skip = 0;
        for (; n < sp->nargs && n < 8; n++) {
            rc = ev(sp->args[n], x, &av[n], e);
            if (rc < 0)
                break;
            if (av[n].type == SQLV_NULL && !(sp->def->flags & FN_NULL_OK))
                skip = 1;
        }
        if (rc == 0 && !skip && sp->distinct) {
            kb->n = 0;
            key_col kc = {0, 1};
            for (int i = 0; i < n && rc == 0; i++)
                rc = key_append(kb, &av[i], kc, e);
            int added = 0;
            if (rc == 0 && keymap_get(g->seen[a], kb->p, kb->n, 1, 0, &added) == -2)
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            if (!added)
                skip = 1;
        }
        if (rc == 0 && !skip)
            rc = sp->def->step(g->state + s->offs[a], n, av, e);
        rows_clear(av, n);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int cmp_groups(const void *pa, const void *pb, void *arg)
{
    const agg_op *s = arg;
    const agg_group *a = &s->g[*(const size_t *)pa], *b = &s->g[*(const size_t *)pb];
    for (int k = 0; k < s->ngroups; k++) {
        int c = sqlv_order(&a->keys[k], &b->keys[k]);
        if (c)
            return c;
    }
    return 0;
}

static int agg_open(op *o, xenv *x, nq_err *e)
{
    agg_op *s = (agg_op *)o;
    agg_reset(s);
    s->pos = 0;
    if (!s->out && !(s->out = calloc((size_t)o->ncols + 1, sizeof(sqlv))))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (!(s->map = keymap_new()))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    sqlv keys[64];
    key_buf kb = {0}, ab = {0};
    int rc = 0;
    if (s->ngroups == 0)
        rc = new_group(s, keys, e);
    if (rc == 0)
        rc = op_open(o->child[0], x, e);
    while (rc >= 0) {
        rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            break;
        size_t gi = 0;
        if (s->ngroups) {
            int nk = 0;
            kb.n = 0;
            key_col kc = {0, 1};
            for (; nk < s->ngroups; nk++) {
                rc = ev(s->groups[nk], x, &keys[nk], e);
                if (rc < 0)
                    break;
                rc = key_append(&kb, &keys[nk], kc, e);
                if (rc < 0) {
                    nk++;
                    break;
                }
            }
            if (rc == 0) {
                int added;
                int64_t v = keymap_get(s->map, kb.p, kb.n, 1, (int64_t)s->ng, &added);
                if (v == -2)
                    rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                else if (added)
                    rc = new_group(s, keys, e);
                gi = (size_t)v;
            }
            rows_clear(keys, nk);
            if (rc < 0)
                break;
        }
        rc = step_group(s, &s->g[gi], x, &ab, e);
    }
    op_close(o->child[0], x);
    free(kb.p);
    free(ab.p);
    if (rc < 0)
        return rc;
    s->order = malloc((s->ng + 1) * sizeof *s->order);
    if (!s->order)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->ng; i++)
        s->order[i] = i;
    if (s->ngroups && s->ng > 1)
        qsort_r(s->order, s->ng, sizeof *s->order, cmp_groups, s);
    return 0;
}

static int agg_next(op *o, xenv *x, nq_err *e)
{
    agg_op *s = (agg_op *)o;
    rows_clear(s->out, o->ncols);
    if (s->pos >= s->ng)
        return 0;
    agg_group *g = &s->g[s->order[s->pos++]];
    for (int k = 0; k < s->ngroups; k++) {
        s->out[k] = g->keys[k];
        s->out[k].owned = 0;
    }
    for (int a = 0; a < s->naggs; a++) {
        int rc = s->aggs[a].def->final(g->state + s->offs[a], &s->out[s->ngroups + a], e);
        if (rc < 0)
            return rc;
    }
    x->slot[o->out_slot] = s->out;
    return 1;
}

static void agg_close(op *o, xenv *x)
{
    agg_op *s = (agg_op *)o;
    agg_reset(s);
    free(s->out);
    s->out = NULL;
}

static void agg_describe(const op *o, char *buf, size_t cap)
{
    const agg_op *s = (const agg_op *)o;
    if (s->ngroups)
        snprintf(buf, cap, "HASH AGGREGATE (%d group keys, %d aggregates)", s->ngroups, s->naggs);
    else
        snprintf(buf, cap, "AGGREGATE (%d aggregates)", s->naggs);
}
static const op_vt agg_vt = {"agg", agg_open, agg_next, agg_close, NULL, agg_describe};

op *op_agg_new(ast_arena *a, op *child, int slot, bx **groups, int ngroups, const agg_spec *aggs,
               int naggs)
{
    if (ngroups > 64)
        return NULL;
    agg_op *s = ast_alloc(a, sizeof *s);
    size_t *offs = ast_alloc(a, sizeof(size_t) * (size_t)(naggs + 1));
    if (!s || !offs)
        return NULL;
    s->base.vt = &agg_vt;
    s->base.out_slot = slot;
    s->base.ncols = ngroups + naggs;
    s->base.child[0] = child;
    s->base.nchild = 1;
    s->groups = groups;
    s->ngroups = ngroups;
    s->aggs = aggs;
    s->naggs = naggs;
    s->offs = offs;
    size_t off = 0;
    for (int i = 0; i < naggs; i++) {
        offs[i] = off;
        off += (aggs[i].def->state_size + 15) & ~(size_t)15;
    }
    s->state_size = off;
    return &s->base;
}
