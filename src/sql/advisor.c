/*
 * advisor.c — the index advisor: nq_index_advice and nq_advisor_statistics (also
 * GET /api/v1/advisor/indexes), indexes recommended for the workload the network learned
 * (workload.h), each with a benefit computed by the planner's own cost model.
 *
 * Candidates come from the strongest predicate nodes: an equality predicate "t.c:eq" gives
 * the index (c), a join predicate too (the lookup side of a nested loop), a range predicate
 * "t.c:range" gives (c) after the equalities; two predicates on one table connected by a
 * synapse give a composite index (equalities first by activity, then at most one range
 * column). A candidate equal to a prefix of an existing index, or the rowid column, is left
 * out: what exists is never recommended again.
 *
 * Costing: each remembered statement (template, literals as ?) that names the candidate's
 * table is compiled twice in the calling session — as the catalog is, and with a
 * hypothetical index added to the table (a cat_index with no tree, seen only by the planner
 * of this session for the time of the compile) — and the root operator's estimated cost of
 * each plan is read (sql_plan_cost). The benefit of a candidate is Σ w_s·(cost_s − cost'_s)
 * over the statements it makes cheaper, w_s the template's decayed count; the estimated
 * improvement is that benefit as a percentage of Σ w_s·cost_s over all remembered
 * statements. Candidates with no benefit are not shown; a composite index is shown only when
 * it beats the single-column index on its leading column by more than 1 %.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/stmt.h"
#include "sql/tablefunc.h"
#include "sql/workload_sql.h"

#define ADV_MAX_CAND 48
#define ADV_MAX_COLS 4

typedef struct cand {
    cat_table *t;
    int cols[ADV_MAX_COLS];
    int ncols;
    double activity;
    const char *why;          /* "equality", "range", "join", "composite" */
    double benefit, before, after;
    uint64_t helped_uses;
    int helped;
    char statements[512];
} cand;

typedef struct tmpl_cost {
    const char *text;
    double w;
    uint64_t uses;
    double base;              /* < 0: does not compile */
    int full_scans;
} tmpl_cost;

static int plan_cost(sql_session *s, const char *text, double *cost, int *full_scans)
{
    sql_stmt *st = NULL;
    nq_err e;
    nq_err_clear(&e);
    unsigned l, c;
    int rc = sql_prepare(s, text, strlen(text), &st, NULL, &e, &l, &c);
    if (rc < 0 || !st)
        return rc < 0 ? rc : NQ_EINVAL;
    *cost = sql_plan_cost(st, full_scans);
    sql_finalize(st);
    return *cost < 0 ? NQ_EINVAL : 0;
}

/* Split "t.c:cls" into table and column of the catalog; 0 when it is not a predicate of one. */
static int pred_node(catalog *cat, const char *name, cat_table **t, int *col, const char **cls)
{
    const char *dot = strchr(name, '.'), *colon = strrchr(name, ':');
    if (!dot || !colon || colon < dot || !strncmp(name, "index:", 6))
        return 0;
    char tn[WL_NAME_MAX], cn[WL_NAME_MAX];
    snprintf(tn, sizeof tn, "%.*s", (int)(dot - name), name);
    snprintf(cn, sizeof cn, "%.*s", (int)(colon - dot - 1), dot + 1);
    *t = cat_table_find(cat, tn);
    if (!*t || (*col = cat_column_find(*t, cn)) < 0)
        return 0;
    *cls = colon + 1;
    return 1;
}

static int exists_already(const cand *c)
{
    const cat_table *t = c->t;
    if (c->ncols == 1 && t->ipk == c->cols[0])
        return 1;
    for (int i = 0; i < t->nidx; i++) {
        const cat_index *ix = t->idx[i];
        if (ix->where || ix->ncols < c->ncols)
            continue;
        int same = 1;
        for (int k = 0; k < c->ncols; k++)
            same &= ix->cols[k] == c->cols[k];
        if (same)
            return 1;
    }
    return 0;
}

static void add_cand(cand *v, int *n, cat_table *t, const int *cols, int ncols, double act, const char *why)
{
    if (*n >= ADV_MAX_CAND)
        return;
    for (int i = 0; i < *n; i++) {
        if (v[i].t != t || v[i].ncols != ncols)
            continue;
        int same = 1;
        for (int k = 0; k < ncols; k++)
            same &= v[i].cols[k] == cols[k];
        if (same) {
            if (act > v[i].activity)
                v[i].activity = act;
            return;
        }
    }
    cand c = {.t = t, .ncols = ncols, .activity = act, .why = why};
    memcpy(c.cols, cols, (size_t)ncols * sizeof(int));
    if (!exists_already(&c))
        v[(*n)++] = c;
}

/* Does the template read table t? (a cheap filter; the costing decides) */
static int mentions(const char *text, const char *table)
{
    size_t n = strlen(table);
    for (const char *p = text; (p = strcasestr(p, table)) != NULL; p += n) {
        char before = p == text ? ' ' : p[-1], after = p[n];
        int ib = (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
                 (before >= '0' && before <= '9') || before == '_';
        int ia = (after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') ||
                 (after >= '0' && after <= '9') || after == '_';
        if (!ib && !ia)
            return 1;
    }
    return 0;
}

/* Cost every template that reads c->t with the hypothetical index in place. */
static int cost_cand(sql_session *s, cand *c, tmpl_cost *tc, size_t nt)
{
    cat_table *t = c->t;
    cat_index hyp;
    memset(&hyp, 0, sizeof hyp);
    key_col kc[ADV_MAX_COLS];
    memset(kc, 0, sizeof kc);
    hyp.name = "(hypothetical)";
    hyp.table = t;
    hyp.ncols = c->ncols;
    hyp.cols = c->cols;
    hyp.kcols = kc;
    hyp.origin = CAT_IDX_CREATED;
    cat_index **saved = t->idx;
    cat_index **idx = malloc((size_t)(t->nidx + 1) * sizeof *idx);
    if (!idx)
        return NQ_ENOMEM;
    if (t->nidx)
        memcpy(idx, saved, (size_t)t->nidx * sizeof *idx);
    idx[t->nidx] = &hyp;
    t->idx = idx;
    t->nidx++;
    for (size_t i = 0; i < nt; i++) {
        if (tc[i].base < 0 || !mentions(tc[i].text, t->name))
            continue;
        double after;
        if (plan_cost(s, tc[i].text, &after, NULL) < 0 || !(after < tc[i].base * 0.999))
            continue;
        c->benefit += tc[i].w * (tc[i].base - after);
        c->before += tc[i].w * tc[i].base;
        c->after += tc[i].w * after;
        c->helped_uses += tc[i].uses;
        size_t l = strlen(c->statements);
        if (c->helped < 3 && l + 8 < sizeof c->statements)
            snprintf(c->statements + l, sizeof c->statements - l, "%s%s", c->helped ? "; " : "", tc[i].text);
        c->helped++;
    }
    t->nidx--;
    t->idx = saved;
    free(idx);
    return 0;
}

static int cmp_cand(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->benefit != b->benefit)
        return a->benefit > b->benefit ? -1 : 1;
    if (a->ncols != b->ncols)
        return a->ncols - b->ncols;
    int c = strcmp(a->t->name, b->t->name);
    return c ? c : a->cols[0] - b->cols[0];
}

typedef struct advice {
    cand *c;
    int n;
    double total;             /* Σ w·cost over all remembered statements */
    uint64_t analyzed, full_scan_uses, tables, columns;
} advice;

static int cls_rank(const char *cls)
{
    return !strcmp(cls, "eq") ? 0 : !strcmp(cls, "join") ? 1 : !strcmp(cls, "range") ? 2 : -1;
}

static int compute(sql_session *s, advice *out, nq_err *e)
{
    memset(out, 0, sizeof *out);
    wl_net *w = wls_net(s);
    if (!w || !s->cat)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    catalog *cat = s->cat;
    wl_stats st;
    wl_get_stats(w, &st);
    out->analyzed = st.clock;
    wl_template *tv = NULL;
    wl_node_info *nv = NULL;
    wl_edge *ev = NULL;
    size_t nt = 0, nn = 0, ne = 0;
    tmpl_cost *tc = NULL;
    cand *cv = calloc(ADV_MAX_CAND, sizeof *cv);
    int rc = cv ? 0 : NQ_ENOMEM;
    if (rc == 0 && (rc = wl_templates(w, &tv, &nt)) == 0 && (rc = wl_nodes(w, &nv, &nn)) == 0)
        rc = wl_edges(w, &ev, &ne);
    if (rc == 0 && !(tc = calloc(nt + 1, sizeof *tc)))
        rc = NQ_ENOMEM;
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < nt; i++) {
        tc[i] = (tmpl_cost){.text = tv[i].text, .w = tv[i].weight, .uses = tv[i].uses, .base = -1};
        if (plan_cost(s, tv[i].text, &tc[i].base, &tc[i].full_scans) < 0)
            tc[i].base = -1;
        else {
            out->total += tc[i].w * tc[i].base;
            if (tc[i].full_scans)
                out->full_scan_uses += tc[i].uses;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        const char *nm = nv[i].name;
        if (!strchr(nm, '.'))
            out->tables += strncmp(nm, "index:", 6) != 0;
        else if (!strchr(nm, ':'))
            out->columns++;
    }
    /* single columns, strongest predicates first (nv is sorted by activity) */
    int ncand = 0;
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < nn; i++) {
            cat_table *t;
            int col;
            const char *cls;
            if (!pred_node(cat, nv[i].name, &t, &col, &cls) || cls_rank(cls) != pass)
                continue;
            add_cand(cv, &ncand, t, &col, 1, nv[i].activity,
                     pass == 0 ? "equality" : pass == 1 ? "join" : "range");
        }
    /* composites from synapses between predicates of one table */
    for (size_t i = 0; i < ne; i++) {
        cat_table *t1, *t2;
        int c1, c2;
        const char *k1, *k2;
        if (!pred_node(cat, ev[i].from, &t1, &c1, &k1) || !pred_node(cat, ev[i].to, &t2, &c2, &k2) ||
            t1 != t2 || c1 == c2)
            continue;
        int r1 = cls_rank(k1), r2 = cls_rank(k2);
        if (r1 != 0 || r2 < 0 || r2 == 1) {
            if (r2 == 0 && r1 == 2) { /* range first in the pair: swap */
                int tc_ = c1;
                c1 = c2;
                c2 = tc_;
                r1 = 0;
                r2 = 2;
            } else
                continue;
        }
        double a1 = wl_activity(w, ev[i].from), a2 = wl_activity(w, ev[i].to);
        int cols[2] = {c1, c2};
        if (r2 == 0 && a2 > a1) { /* two equalities: the more used first */
            cols[0] = c2;
            cols[1] = c1;
        }
        add_cand(cv, &ncand, t1, cols, 2, ev[i].weight, "co-occurring");
    }
    for (int i = 0; i < ncand && rc == 0; i++)
        rc = cost_cand(s, &cv[i], tc, nt);
    if (rc < 0)
        goto out;
    /* keep candidates with a benefit; a composite only when it beats its leading column */
    int k = 0;
    for (int i = 0; i < ncand; i++) {
        if (!(cv[i].benefit > 0))
            continue;
        if (cv[i].ncols > 1) {
            double single = 0;
            for (int j = 0; j < ncand; j++)
                if (cv[j].t == cv[i].t && cv[j].ncols == 1 && cv[j].cols[0] == cv[i].cols[0])
                    single = cv[j].benefit;
            if (!(cv[i].benefit > single * 1.01))
                continue;
        }
        cv[k++] = cv[i];
    }
    qsort(cv, (size_t)k, sizeof *cv, cmp_cand);
    out->c = cv;
    out->n = k;
    cv = NULL;
out:
    free(cv);
    free(tc);
    wl_templates_free(tv, nt);
    wl_nodes_free(nv, nn);
    wl_edges_free(ev, ne);
    return rc < 0 ? nq_err_set(e, rc, "out of memory") : 0;
}

/* A name for the index that no object has. */
static void index_name(catalog *cat, const cand *c, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s", c->t->name);
    for (int k = 0; k < c->ncols && n > 0 && (size_t)n < cap; k++)
        n += snprintf(out + n, cap - (size_t)n, "_%s", c->t->cols[c->cols[k]].name);
    if (n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "_idx");
    size_t base = strlen(out);
    for (int i = 2; (cat_index_find(cat, out) || cat_table_find(cat, out) || cat_view_find(cat, out)) && i < 1000; i++)
        snprintf(out + base, cap - base, "%d", i);
}

static int run_advice(tf_call *call, nq_err *e)
{
    sql_session *s = tf_session(call);
    advice a;
    int rc = compute(s, &a, e);
    if (rc < 0)
        return rc;
    for (int i = 0; i < a.n && rc == 0; i++) {
        cand *c = &a.c[i];
        char name[256], cols[256] = "", create[600], reason[400];
        index_name(s->cat, c, name, sizeof name);
        size_t l = 0;
        for (int k = 0; k < c->ncols; k++)
            l += (size_t)snprintf(cols + l, sizeof cols - l, "%s%s", k ? "," : "", c->t->cols[c->cols[k]].name);
        snprintf(create, sizeof create, "CREATE INDEX %s ON %s (%s)", name, c->t->name, cols);
        double impr = a.total > 0 ? 100.0 * c->benefit / a.total : 0;
        const char *prio = impr >= 50 ? "CRITICAL" : impr >= 20 ? "HIGH" : impr >= 5 ? "MEDIUM" : "LOW";
        snprintf(reason, sizeof reason,
                 "%s predicate on %s(%s), activity %.2f; the planner's estimated cost of the %d statement%s it serves falls from %.1f to %.1f",
                 c->why, c->t->name, cols, c->activity, c->helped, c->helped == 1 ? "" : "s", c->before, c->after);
        uint64_t rows = c->t->stat_rows;
        if (!rows && c->t->handle)
            nq_tree_estimate(c->t->handle, &rows);
        double size = (double)rows * (9.0 * c->ncols + 10.0); /* key bytes: ~9 per value + the rowid */
        sqlv row[13] = {sqlv_text(name, strlen(name)),
                        sqlv_text(c->t->name, strlen(c->t->name)),
                        sqlv_text(cols, strlen(cols)),
                        sqlv_text(c->ncols > 1 ? "COMPOSITE" : "BTREE", c->ncols > 1 ? 9 : 5),
                        sqlv_text(prio, strlen(prio)),
                        sqlv_real(impr),
                        sqlv_int((int64_t)c->helped_uses),
                        sqlv_text(create, strlen(create)),
                        sqlv_text(reason, strlen(reason)),
                        sqlv_int((int64_t)size),
                        sqlv_real(c->before),
                        sqlv_real(c->after),
                        sqlv_text(c->statements, strlen(c->statements))};
        rc = tf_emit(call, row, e);
    }
    free(a.c);
    return rc;
}

static const char *const advice_cols[] = {"id", "table_name", "columns", "index_type", "priority",
                                          "estimated_improvement", "affected_query_count",
                                          "create_statement", "reason", "estimated_size_bytes",
                                          "cost_before", "cost_after", "statements"};
const tf_def tf_index_advice = {
    .name = "nq_index_advice", .cols = advice_cols, .ncols = 13, .est_rows = 10, .run = run_advice};

static int run_stats(tf_call *call, nq_err *e)
{
    advice a;
    int rc = compute(tf_session(call), &a, e);
    if (rc < 0)
        return rc;
    free(a.c);
    sqlv row[4] = {sqlv_int((int64_t)a.analyzed), sqlv_int((int64_t)a.full_scan_uses),
                   sqlv_int((int64_t)a.tables), sqlv_int((int64_t)a.columns)};
    return tf_emit(call, row, e);
}

static const char *const stats_cols[] = {"total_queries_analyzed", "full_scan_queries", "tables_tracked",
                                         "columns_tracked"};
const tf_def tf_advisor_statistics = {
    .name = "nq_advisor_statistics", .cols = stats_cols, .ncols = 4, .est_rows = 1, .run = run_stats};
