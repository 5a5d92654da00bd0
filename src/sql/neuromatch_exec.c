/*
 * neuromatch_exec.c — the NEUROMATCH operator: scores each row of its input against the
 * pattern, combines the score with the row's learned association, and passes the rows whose
 * score reaches the threshold, with (score, row_id) in its own register (neuromatch_plan.h).
 *
 * Open evaluates the pattern and the threshold (they may be parameters), prepares the pattern
 * once (lower case, words, code points, terms) and loads the associations of the pattern's
 * terms for the table (one range scan per term, neuromatch.c), so a row costs the similarity
 * of its fields plus one hash probe. The pattern stays until the next open or the end of the
 * statement: the feedback after the statement's rows reads it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/neuromatch_plan.h"
#include "sql/ops.h"

typedef struct nm_op {
    op base;
    nm_op_spec sp;
    nm_pattern pat;
    int have_pat;
    int null_pat;          /* the pattern is NULL: no row matches */
    double thr;
    nm_assoc_map *assoc;
    nm_scratch sc;
    sqlv out[3];
    /* EXPLAIN ANALYZE */
    uint64_t scored;
    size_t nassoc;
} nm_op;

static void release(nm_op *s)
{
    if (s->have_pat)
        nm_pattern_free(&s->pat);
    s->have_pat = 0;
    nm_assoc_free(s->assoc);
    s->assoc = NULL;
    nm_scratch_free(&s->sc);
}

static int nm_open(op *o, xenv *x, nq_err *e)
{
    nm_op *s = (nm_op *)o;
    release(s);
    s->null_pat = 0;
    s->scored = 0;
    x->slot[o->out_slot] = s->out;
    sqlv v;
    int rc = ev(s->sp.pattern, x, &v, e);
    if (rc < 0)
        return rc;
    if (v.type == SQLV_NULL) {
        s->null_pat = 1;
    } else {
        sqlv hold;
        const char *p;
        size_t n;
        int has;
        rc = nm_value_text(&v, &hold, &p, &n, &has, e);
        if (rc == 0) {
            rc = nm_pattern_init(&s->pat, p, n, e);
            s->have_pat = rc == 0;
        }
        sqlv_clear(&hold);
    }
    sqlv_clear(&v);
    if (rc < 0)
        return rc;
    s->thr = NM_DEFAULT_THRESHOLD;
    if (s->sp.threshold) {
        if ((rc = ev(s->sp.threshold, x, &v, e)) < 0)
            return rc;
        if (v.type == SQLV_INT)
            s->thr = (double)v.i;
        else if (v.type == SQLV_REAL)
            s->thr = v.r;
        else if (v.type == SQLV_NULL)
            s->null_pat = 1; /* compared with NULL: nothing passes */
        else {
            rc = nq_err_set(e, NQ_ETYPE, "NEUROMATCH: the threshold must be a number, not %s",
                            sqlv_type_name(v.type));
            sqlv_clear(&v);
            return rc;
        }
        sqlv_clear(&v);
        if (isnan(s->thr))
            return nq_err_set(e, NQ_ERROR, "NEUROMATCH: the threshold is not a number");
    }
    if (s->have_pat && s->sp.t && (rc = nm_assoc_load(x->s, s->sp.t->id, &s->pat, &s->assoc, e)) < 0)
        return rc;
    s->nassoc = nm_assoc_count(s->assoc);
    return op_open(o->child[0], x, e);
}

static int nm_next(op *o, xenv *x, nq_err *e)
{
    nm_op *s = (nm_op *)o;
    for (;;) {
        int rc = op_next(o->child[0], x, e);
        if (rc <= 0)
            return rc;
        if (s->null_pat)
            continue;
        double best = 0;
        for (int i = 0; i < s->sp.nfields && best < 1.0; i++) {
            sqlv v, hold;
            if ((rc = ev(s->sp.fields[i], x, &v, e)) < 0)
                return rc;
            const char *p;
            size_t n;
            int has;
            double sim = 0;
            rc = nm_value_text(&v, &hold, &p, &n, &has, e);
            if (rc == 0 && has)
                rc = nm_score_text(&s->pat, p, n, &s->sc, &sim, e);
            sqlv_clear(&hold);
            sqlv_clear(&v);
            if (rc < 0)
                return rc;
            if (sim > best)
                best = sim;
        }
        s->scored++;
        sqlv rowid = sqlv_null();
        if (s->sp.t) {
            const sqlv *r = x->slot[s->sp.rowid_slot];
            rowid = r[s->sp.t->ncols];
        }
        double a = s->assoc && rowid.type == SQLV_INT ? nm_assoc_get(s->assoc, rowid.i) : 0;
        double score = nm_combine(best, a);
        if (s->sp.strict ? !(score > s->thr) : !(score >= s->thr))
            continue;
        s->out[0] = sqlv_real(score);
        s->out[1] = rowid.type == SQLV_INT ? sqlv_int(rowid.i) : sqlv_null();
        s->out[2] = sqlv_real(a);
        return 1;
    }
}

static void nm_close(op *o, xenv *x)
{
    nm_op *s = (nm_op *)o;
    nm_assoc_free(s->assoc); /* the pattern stays for the feedback */
    s->assoc = NULL;
    nm_scratch_free(&s->sc);
    op_close(o->child[0], x);
}

static void nm_destroy(op *o) { release((nm_op *)o); }

static void nm_describe(const op *o, char *buf, size_t cap)
{
    const nm_op *s = (const nm_op *)o;
    char learned[160];
    if (s->sp.t)
        snprintf(learned, sizeof learned, "a learned for %s's rows, %zu associations read", s->sp.t->name,
                 s->nassoc);
    else
        snprintf(learned, sizeof learned, "a = 0: the FROM is not one base table");
    snprintf(buf, cap, "NEUROMATCH on %s (score = s + (1 - s) a, s the upstream similarity%s, %s; keeps score %s %s)",
             s->sp.desc_fields ? s->sp.desc_fields : "the row", s->sp.nfields > 1 ? " max over the fields" : "",
             learned, s->sp.strict ? ">" : ">=", s->sp.threshold ? "the threshold" : "0.5");
}

static const op_vt nm_vt = {"neuromatch", nm_open, nm_next, nm_close, nm_destroy, nm_describe};

op *op_neuromatch_new(ast_arena *a, op *child, int slot, const nm_op_spec *spec)
{
    nm_op *s = ast_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    s->base.vt = &nm_vt;
    s->base.out_slot = slot;
    s->base.ncols = 3;
    s->base.child[0] = child;
    s->base.nchild = 1;
    s->sp = *spec;
    return &s->base;
}

const nm_pattern *op_neuromatch_pattern(const op *o)
{
    const nm_op *s = (const nm_op *)o;
    return s->have_pat ? &s->pat : NULL;
}

const cat_table *op_neuromatch_table(const op *o) { return ((const nm_op *)o)->sp.t; }

int nm_fb_apply(sql_session *s, const nm_fb *fb, const nm_hit *hits, size_t n, nq_err *e)
{
    const nm_pattern *p = op_neuromatch_pattern(fb->nmop);
    const cat_table *t = op_neuromatch_table(fb->nmop);
    if (!p || !t)
        return 0;
    nm_feedback_stats st;
    return nm_feedback(s, t->id, p, fb->eta, hits, n, &st, e);
}
