/*
 * exec_learn.c — LEARN PATTERN, ADAPT WEIGHTS and the recall of a learned pattern (docs/qsql.md,
 * "LEARN PATTERN and ADAPT WEIGHTS"; docs/neuromorphic.md, "Training through the API and in
 * QSQL").
 *
 *   LEARN PATTERN 'name' FROM t [ALGORITHM Hopfield|HebbianLearning] [TRAINING_EPOCHS n]
 *
 * trains a Hopfield associative memory (neuro_hopfield.h: Hebbian outer-product storage,
 * W = sum xi xi^T, zero diagonal) on the rows of t and stores it under the name (replacing an
 * earlier one). A row becomes a +-1 pattern, its columns in order, the INTEGER PRIMARY KEY left
 * out: a number is one neuron (+1 when > 0, else -1, so 0/1 and -1/+1 encodings both work); a
 * TEXT made only of the characters 0 1 + - is one neuron per character (1 and + are +1); any
 * other TEXT is a label, not a neuron; NULL is -1. Every row must give the same number of
 * neurons (at most NM_MAX_NEURONS). The Hebbian rule stores all patterns in one pass, so
 * TRAINING_EPOCHS is accepted and reported, and epochs past the first change nothing (the
 * result says epochs_run 1). ALGORITHM HebbianLearning (upstream's name) is the same memory.
 * The result row: pattern, algorithm, neurons, patterns, capacity (0.138 N, Amit–Gutfreund–
 * Sompolinsky), load (patterns / neurons), stable (stored patterns that are fixed points of
 * the memory: a pattern is stable when every neuron's field agrees with its sign), epochs_run.
 *
 *   SELECT * FROM recall_pattern('name', probe [, seed])
 *
 * runs asynchronous recall (random sweep order from the seed, default 0: deterministic) from
 * the probe — a TEXT of 0 1 + - characters, one per neuron — and returns one row: recalled
 * (the fixed point, as 0/1 characters), row_id (the table row whose stored pattern it equals,
 * else NULL), label (that row's first label column), flipped (neurons changed from the probe),
 * sweeps, energy.
 *
 *   ADAPT WEIGHTS [ON t] RULE STDP [LEARNING_RATE x] [TAU n]
 *
 * applies pair-based STDP to the NEUROMATCH associations (neuromatch.h, nm_adapt_stdp): for
 * each association the presynaptic spike is its term's last presentation, the postsynaptic
 * spike its row's last confirmation, dt = t_post - t_pre in feedback ticks, and w changes by
 * the Song–Miller–Abbott window F(dt) (neuro_stdp_window) with A+ = LEARNING_RATE (default
 * 0.01), A- = 1.05 A+, tau = TAU ticks (default 20), bounded to [0, 1]; each spike pair counts
 * once (an association adapted since its last spikes is left alone). A row confirmed after its
 * term's last query strengthens (the term predicted it), a row not confirmed by its term's
 * latest query weakens, and a weight that reaches 0 is removed; associations of tables that
 * no longer exist are removed too. The result row reports what changed.
 *
 * Pattern record ('P' name in the store, little-endian): "NQHP" version(4) algorithm(4)
 * table_id(8) neurons(4) patterns(4) epochs(4) label_col(4), then per pattern rowid(8) and its
 * neurons as bytes 0/1, then per pattern the label (len(4) bytes, 0xffffffff = none).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "neuro/neuro_hopfield.h"
#include "sql/exec_learn.h"
#include "sql/tablefunc.h"
#include "sql/tablerw.h"

#define NM_MAX_NEURONS 4096
#define PAT_MAGIC "NQHP"

/* ---- options ------------------------------------------------------------------------------ */
static int opt_fail(nq_err *e, const ast_option *o, const char *fmt, const char *a)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, a);
    return nq_err_set(e, NQ_ESYNTAX, "%s at line %u, column %u", msg, (unsigned)o->line, (unsigned)o->col);
}

static int opt_word(const ast_option *o, const char **w)
{
    if (o->value && o->value->kind == AST_E_COLUMN && !o->value->table) {
        *w = o->value->name;
        return 0;
    }
    if (o->value && o->value->kind == AST_E_STRING) {
        *w = o->value->text;
        return 0;
    }
    return -1;
}

static int opt_num(const ast_option *o, double *d)
{
    if (o->value && o->value->kind == AST_E_INT) {
        *d = (double)o->value->ival;
        return 0;
    }
    if (o->value && o->value->kind == AST_E_REAL) {
        *d = o->value->rval;
        return 0;
    }
    return -1;
}

/* ---- the row encoding ------------------------------------------------------------------- */
static int bitstring(const sqlv *v)
{
    if (v->type != SQLV_TEXT || v->n == 0)
        return 0;
    for (size_t i = 0; i < v->n; i++)
        if (!strchr("01+-", v->p[i]) || v->p[i] == 0)
            return 0;
    return 1;
}

/* Neurons of one row (columns except the ipk) into out (room for NM_MAX_NEURONS); -1 when
 * there are too many; *label the first label column's value (borrowed). */
static int encode_row(const cat_table *t, const sqlv *row, int8_t *out, const sqlv **label, int *label_col)
{
    int n = 0;
    *label = NULL;
    for (int c = 0; c < t->ncols; c++) {
        if (c == t->ipk)
            continue;
        const sqlv *v = &row[c];
        if (bitstring(v)) {
            if (n + (int)v->n > NM_MAX_NEURONS)
                return -1;
            for (size_t i = 0; i < v->n; i++)
                out[n++] = v->p[i] == '1' || v->p[i] == '+' ? 1 : -1;
        } else if (v->type == SQLV_TEXT) {
            if (!*label) {
                *label = v;
                *label_col = c;
            }
        } else {
            if (n + 1 > NM_MAX_NEURONS)
                return -1;
            double d = v->type == SQLV_INT || v->type == SQLV_BOOL ? (double)v->i
                       : v->type == SQLV_REAL ? v->r : 0;
            out[n++] = d > 0 ? 1 : -1;
        }
    }
    return n;
}

int nm_buf_add(nm_buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + n)
            nc *= 2;
        uint8_t *np = realloc(b->p, nc);
        if (!np)
            return -1;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

int nm_buf_u32(nm_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return nm_buf_add(b, x, 4);
}

int nm_buf_u64(nm_buf *b, uint64_t v)
{
    uint8_t x[8];
    nm_put_u64le(x, v);
    return nm_buf_add(b, x, 8);
}

int nm_buf_str(nm_buf *b, const void *p, size_t n)
{
    return nm_buf_u32(b, (uint32_t)n) | nm_buf_add(b, p, n);
}

int nm_store_model(sql_session *s, char kind, const char *name, size_t nlen, const nm_buf *rec,
                   nq_err *e)
{
    nq_tree *tr;
    int rc = nm_store_open(s, 1, &tr, e);
    if (rc)
        return rc;
    uint8_t key[1 + 200];
    key[0] = (uint8_t)kind;
    memcpy(key + 1, name, nlen);
    rc = tw_put(s, tr, key, 1 + nlen, rec->p, rec->n, 0, e);
    /* one name, one model: a model of the other kind with the same name is replaced */
    key[0] = kind == 'P' ? 'M' : 'P';
    void *old = NULL;
    size_t ol;
    if (rc == 0 && nq_get(tr, key, 1 + nlen, &old, &ol) == 0) {
        free(old);
        rc = tw_del(s, tr, key, 1 + nlen, e);
    }
    nq_tree_close(tr);
    return rc;
}

uint32_t nm_rd_u32(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* ---- LEARN PATTERN ------------------------------------------------------------------------ */
static const char *learn_cols[] = {"pattern", "algorithm", "neurons", "patterns", "capacity",
                                   "load", "stable", "epochs_run"};
/* the ALGORITHM option's word, or NULL */
static const char *algorithm_of(const ast_ext *x)
{
    for (int i = 0; i < x->options.n; i++) {
        const ast_option *o = x->options.v[i];
        const char *w;
        if (!strcmp(o->name, "ALGORITHM") && opt_word(o, &w) == 0)
            return w;
    }
    return NULL;
}

const char **nm_learn_cols(const ast_ext *x, int *n)
{
    if (nm_is_mlp(algorithm_of(x)))
        return nm_learn_mlp_cols(n);
    *n = 8;
    return learn_cols;
}

static int pattern_name(const ast_ext *x, const char **name, size_t *len, nq_err *e)
{
    const ast_expr *p = x->pattern;
    if (p && p->kind == AST_E_STRING) {
        *name = p->text;
        *len = p->len;
    } else if (p && p->kind == AST_E_COLUMN && !p->table) {
        *name = p->name;
        *len = strlen(p->name);
    } else {
        return nq_err_set(e, NQ_ESYNTAX, "LEARN PATTERN expects a name ('name') at line %u, column %u",
                          p ? (unsigned)p->line : 0, p ? (unsigned)p->col : 0);
    }
    if (*len == 0 || *len > 200)
        return nq_err_set(e, NQ_EINVAL, "a pattern name has 1 to 200 bytes");
    return 0;
}

int nm_learn_pattern(sql_session *s, const ast_ext *x, nm_emit_fn emit, void *arg, nq_err *e)
{
    const char *name = NULL;
    size_t nlen = 0;
    int rc = pattern_name(x, &name, &nlen, e);
    if (rc)
        return rc;
    if (!x->table.name)
        return nq_err_set(e, NQ_ESYNTAX, "LEARN PATTERN needs FROM table (the rows it learns)");
    if (nm_is_mlp(algorithm_of(x)))
        return nm_learn_mlp(s, x, name, nlen, emit, arg, e);
    const char *algo = "Hopfield";
    double epochs = 1;
    unsigned seen = 0;
    for (int i = 0; i < x->options.n; i++) {
        const ast_option *o = x->options.v[i];
        const char *w;
        int k = !strcmp(o->name, "ALGORITHM") ? 0 : !strcmp(o->name, "TRAINING_EPOCHS") || !strcmp(o->name, "EPOCHS") ? 1 : -1;
        if (k < 0)
            return opt_fail(e, o, "unknown LEARN PATTERN option %s (expected ALGORITHM or TRAINING_EPOCHS)", o->name);
        if (seen & (1u << k))
            return opt_fail(e, o, "%s is given twice", o->name);
        seen |= 1u << k;
        if (k == 0) {
            if (opt_word(o, &w) < 0)
                return opt_fail(e, o, "%s expects an algorithm name", o->name);
            if (strcasecmp(w, "Hopfield") && strcasecmp(w, "HebbianLearning") && strcasecmp(w, "Hebbian"))
                return opt_fail(e, o, "unknown ALGORITHM %s (expected Hopfield or HebbianLearning: a Hopfield memory trained by the Hebbian rule; or MLP: a dense network trained by backpropagation)", w);
            algo = strcasecmp(w, "Hopfield") ? "HebbianLearning" : "Hopfield";
        } else if (opt_num(o, &epochs) < 0 || epochs < 1 || epochs > 1e6 || epochs != floor(epochs)) {
            return opt_fail(e, o, "%s expects an integer from 1 to 1000000", o->name);
        }
    }
    cat_table *t = cat_table_find(s->cat, x->table.name);
    if (!t)
        return nq_err_set(e, NQ_ESCHEMA, "no such table: %s", x->table.name);
    /* read the rows */
    tw_scan *sc = NULL;
    int8_t *buf = malloc(NM_MAX_NEURONS);
    nm_buf pats = {0}, labels = {0};
    uint32_t n = 0, p = 0, label_col = UINT32_MAX;
    sqlv *row = calloc((size_t)t->ncols + 1, sizeof *row);
    if (!buf || !row) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = tw_scan_open(s, t, &sc, e)) < 0 || (rc = tw_scan_start(sc, INT64_MIN, INT64_MAX, e)) < 0)
        goto done;
    for (;;) {
        int64_t rowid;
        int r = tw_scan_next(sc, &rowid, row, e);
        if (r < 0) {
            rc = r;
            goto done;
        }
        if (r == 0)
            break;
        const sqlv *lab;
        int lc = -1;
        int k = encode_row(t, row, buf, &lab, &lc);
        if (k < 0) {
            rc = nq_err_set(e, NQ_ETOOBIG, "row %lld of %s has more than %d neurons", (long long)rowid, t->name, NM_MAX_NEURONS);
            goto done;
        }
        if (k == 0) {
            rc = nq_err_set(e, NQ_EINVAL, "row %lld of %s has no neuron: a pattern needs number columns or TEXT columns of 0 1 + - characters", (long long)rowid, t->name);
            goto done;
        }
        if (p == 0)
            n = (uint32_t)k;
        else if ((uint32_t)k != n) {
            rc = nq_err_set(e, NQ_EINVAL, "row %lld of %s gives %d neurons, the first row gave %u: every row must encode the same number",
                            (long long)rowid, t->name, k, n);
            goto done;
        }
        if (label_col == UINT32_MAX && lc >= 0)
            label_col = (uint32_t)lc;
        uint8_t bits[NM_MAX_NEURONS];
        for (uint32_t i = 0; i < n; i++)
            bits[i] = buf[i] > 0;
        if (nm_buf_u64(&pats, (uint64_t)rowid) || nm_buf_add(&pats, bits, n) ||
            (lab ? nm_buf_u32(&labels, (uint32_t)lab->n) || nm_buf_add(&labels, lab->p, lab->n)
                 : nm_buf_u32(&labels, UINT32_MAX))) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            goto done;
        }
        p++;
    }
    if (p == 0) {
        rc = nq_err_set(e, NQ_EINVAL, "table %s has no rows to learn", t->name);
        goto done;
    }
    /* train and measure */
    neuro_hopfield h;
    if ((rc = neuro_hopfield_init(&h, n)) != 0) {
        rc = nq_err_set(e, rc, "cannot make a Hopfield memory of %u neurons", n);
        goto done;
    }
    size_t stride = 8 + n;
    for (uint32_t i = 0; i < p && rc == 0; i++) {
        for (uint32_t j = 0; j < n; j++)
            buf[j] = pats.p[i * stride + 8 + j] ? 1 : -1;
        rc = neuro_hopfield_store(&h, buf);
    }
    uint32_t stable = 0;
    for (uint32_t i = 0; i < p && rc == 0; i++) {
        for (uint32_t j = 0; j < n; j++)
            buf[j] = pats.p[i * stride + 8 + j] ? 1 : -1;
        int ok = 1;
        for (uint32_t j = 0; j < n && ok; j++) {
            int64_t f = neuro_hopfield_field(&h, buf, j);
            ok = f == 0 || (f > 0) == (buf[j] > 0);
        }
        stable += (uint32_t)ok;
    }
    neuro_hopfield_free(&h);
    if (rc) {
        rc = nq_err_set(e, rc, "Hopfield storage failed");
        goto done;
    }
    /* store */
    nm_buf rec = {0};
    if (nm_buf_add(&rec, PAT_MAGIC, 4) || nm_buf_u32(&rec, 1) || nm_buf_u32(&rec, 1) || nm_buf_u64(&rec, (uint64_t)t->id) ||
        nm_buf_u32(&rec, n) || nm_buf_u32(&rec, p) || nm_buf_u32(&rec, (uint32_t)epochs) || nm_buf_u32(&rec, label_col) ||
        nm_buf_add(&rec, pats.p, pats.n) || nm_buf_add(&rec, labels.p, labels.n)) {
        free(rec.p);
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    rc = nm_store_model(s, 'P', name, nlen, &rec, e);
    free(rec.p);
    if (rc)
        goto done;
    sqlv out[8];
    out[0] = sqlv_text(name, nlen);
    out[1] = sqlv_text(algo, strlen(algo));
    out[2] = sqlv_int(n);
    out[3] = sqlv_int(p);
    out[4] = sqlv_real(0.138 * n);
    out[5] = sqlv_real((double)p / n);
    out[6] = sqlv_int(stable);
    out[7] = sqlv_int(1);
    rc = emit(arg, out, 8, e);
done:
    if (sc)
        tw_scan_close(sc);
    if (row) {
        free(row);
    }
    free(buf);
    free(pats.p);
    free(labels.p);
    return rc;
}

/* ---- recall ------------------------------------------------------------------------------- */
int nm_recall(sql_session *s, const char *name, size_t nlen, const char *probe, size_t plen,
              uint64_t seed, nm_recall_out *out, nq_err *e)
{
    memset(out, 0, sizeof *out);
    out->row_id = -1;
    if (nlen == 0 || nlen > 200)
        return nq_err_set(e, NQ_EINVAL, "recall_pattern: a pattern name has 1 to 200 bytes");
    nq_tree *tr;
    int rc = nm_store_open(s, 0, &tr, e);
    if (rc)
        return rc;
    void *v = NULL;
    size_t vl = 0;
    uint8_t key[1 + 200];
    key[0] = 'P';
    memcpy(key + 1, name, nlen);
    rc = tr ? nq_get(tr, key, 1 + nlen, &v, &vl) : NQ_ENOTFOUND;
    if (tr)
        nq_tree_close(tr);
    if (rc == NQ_ENOTFOUND)
        return nq_err_set(e, NQ_ENOTFOUND, "recall_pattern: no learned pattern '%.*s' (LEARN PATTERN '%.*s' FROM t makes one)",
                          (int)nlen, name, (int)nlen, name);
    if (rc)
        return nq_err_set(e, rc, "recall_pattern: cannot read the pattern store");
    const uint8_t *b = v;
    uint32_t n = 0, p = 0;
    if (vl >= 36 && !memcmp(b, PAT_MAGIC, 4) && nm_rd_u32(b + 4) == 1) {
        n = nm_rd_u32(b + 20);
        p = nm_rd_u32(b + 24);
    }
    size_t stride = 8 + (size_t)n;
    if (n == 0 || n > NM_MAX_NEURONS || p == 0 || 36 + (size_t)p * stride > vl) {
        free(v);
        return nq_err_set(e, NQ_ECORRUPT, "recall_pattern: the stored pattern '%.*s' is damaged", (int)nlen, name);
    }
    if (plen != n) {
        free(v);
        return nq_err_set(e, NQ_EINVAL, "recall_pattern: the probe has %zu neurons, pattern '%.*s' has %u", plen,
                          (int)nlen, name, n);
    }
    int8_t *st = malloc(n), *tmp = malloc(n);
    neuro_hopfield h = {0};
    if (!st || !tmp || (rc = neuro_hopfield_init(&h, n)) != 0) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < plen; i++) {
        if (!strchr("01+-", probe[i]) || probe[i] == 0) {
            rc = nq_err_set(e, NQ_EINVAL, "recall_pattern: probe character %u is '%c', expected 0 1 + or -", i + 1,
                            probe[i] >= 0x20 && probe[i] < 0x7f ? probe[i] : '?');
            goto done;
        }
        st[i] = probe[i] == '1' || probe[i] == '+' ? 1 : -1;
    }
    const uint8_t *pats = b + 36;
    for (uint32_t i = 0; i < p && rc == 0; i++) {
        for (uint32_t j = 0; j < n; j++)
            tmp[j] = pats[i * stride + 8 + j] ? 1 : -1;
        rc = neuro_hopfield_store(&h, tmp);
    }
    if (rc) {
        rc = nq_err_set(e, rc, "recall_pattern: Hopfield storage failed");
        goto done;
    }
    memcpy(tmp, st, n);
    nq_rng rng;
    nq_rng_seed(&rng, seed);
    int sweeps = neuro_hopfield_recall_async(&h, st, 1000, &rng);
    if (sweeps < 0) {
        rc = nq_err_set(e, sweeps, "recall_pattern: %s", nq_strerror(sweeps));
        goto done;
    }
    out->sweeps = sweeps ? sweeps : -1; /* 0 from the library: no fixed point in 1000 sweeps */
    out->energy = neuro_hopfield_energy(&h, st);
    out->flipped = n - neuro_hopfield_overlap(st, tmp, n);
    out->n = n;
    if (!(out->recalled = malloc(n + 1))) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t j = 0; j < n; j++)
        out->recalled[j] = st[j] > 0 ? '1' : '0';
    out->recalled[n] = 0;
    /* which stored row, and its label */
    const uint8_t *lab = pats + (size_t)p * stride, *end = b + vl;
    for (uint32_t i = 0; i < p; i++) {
        int same = 1;
        for (uint32_t j = 0; j < n && same; j++)
            same = (pats[i * stride + 8 + j] != 0) == (st[j] > 0);
        uint32_t ll = lab + 4 <= end ? nm_rd_u32(lab) : UINT32_MAX;
        const uint8_t *lp = lab + 4;
        if (same && out->row_id < 0) {
            out->row_id = (int64_t)nm_get_u64le(pats + i * stride);
            if (ll != UINT32_MAX && lp + ll <= end && (out->label = malloc(ll + 1))) {
                memcpy(out->label, lp, ll);
                out->label[ll] = 0;
                out->label_len = ll;
            }
        }
        if (ll == UINT32_MAX || lp + ll > end)
            lab = lab + 4;
        else
            lab = lp + ll;
    }
done:
    neuro_hopfield_free(&h);
    free(st);
    free(tmp);
    free(v);
    if (rc)
        nm_recall_free(out);
    return rc;
}

void nm_recall_free(nm_recall_out *o)
{
    free(o->recalled);
    free(o->label);
    o->recalled = o->label = NULL;
}

/* ---- ADAPT WEIGHTS ------------------------------------------------------------------------ */
static const char *adapt_cols[] = {"rule", "associations", "potentiated", "depressed", "unchanged",
                                   "pruned", "removed", "mean_weight_before", "mean_weight_after"};
const char **nm_adapt_cols(int *n)
{
    *n = 9;
    return adapt_cols;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int nm_adapt_weights(sql_session *s, const ast_ext *x, nm_emit_fn emit, void *arg, nq_err *e)
{
    const char *rule = NULL;
    double eta = 0.01, tau = 20;
    unsigned seen = 0;
    for (int i = 0; i < x->options.n; i++) {
        const ast_option *o = x->options.v[i];
        static const char *const names[] = {"RULE", "LEARNING_RATE", "TAU"};
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (!strcmp(o->name, names[j]))
                k = j;
        if (k < 0)
            return opt_fail(e, o, "unknown ADAPT WEIGHTS option %s (expected RULE, LEARNING_RATE or TAU)", o->name);
        if (seen & (1u << k))
            return opt_fail(e, o, "%s is given twice", o->name);
        seen |= 1u << k;
        if (k == 0) {
            if (opt_word(o, &rule) < 0)
                return opt_fail(e, o, "%s expects a rule name", o->name);
            if (strcasecmp(rule, "STDP"))
                return opt_fail(e, o, "unknown RULE %s (expected STDP)", rule);
        } else if (k == 1) {
            if (opt_num(o, &eta) < 0 || !(eta > 0 && eta <= 1))
                return opt_fail(e, o, "%s must be a number in (0, 1]", o->name);
        } else if (opt_num(o, &tau) < 0 || !(tau > 0 && tau <= 1e9)) {
            return opt_fail(e, o, "%s must be a positive number of feedback ticks", o->name);
        }
    }
    if (!rule)
        return nq_err_set(e, NQ_ESYNTAX, "ADAPT WEIGHTS needs RULE STDP");
    int64_t tid = -1;
    if (x->table.name) {
        cat_table *t = cat_table_find(s->cat, x->table.name);
        if (!t)
            return nq_err_set(e, NQ_ESCHEMA, "no such table: %s", x->table.name);
        tid = t->id;
    }
    int64_t *ids = malloc(sizeof *ids * (size_t)(s->cat->ntables + 1));
    if (!ids)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    for (int i = 0; i < s->cat->ntables; i++)
        ids[i] = s->cat->tables[i]->id;
    qsort(ids, (size_t)s->cat->ntables, sizeof *ids, cmp_i64);
    nm_adapt_stats st;
    int rc = nm_adapt_stdp(s, tid, ids, (size_t)s->cat->ntables, eta, tau, &st, e);
    free(ids);
    if (rc)
        return rc;
    sqlv out[9];
    out[0] = sqlv_text("STDP", 4);
    out[1] = sqlv_int((int64_t)st.associations);
    out[2] = sqlv_int((int64_t)st.potentiated);
    out[3] = sqlv_int((int64_t)st.depressed);
    out[4] = sqlv_int((int64_t)st.unchanged);
    out[5] = sqlv_int((int64_t)st.pruned);
    out[6] = sqlv_int((int64_t)st.orphaned);
    out[7] = sqlv_real(st.mean_before);
    out[8] = sqlv_real(st.mean_after);
    return emit(arg, out, 9, e);
}

/* ---- recall_pattern('name', probe [, seed]) ---------------------------------------------- */
static const tf_param recall_params[] = {
    {"pattern", TF_PARAM_VALUE, NULL, 0},
    {"probe", TF_PARAM_VALUE, NULL, 0},
    {"seed", TF_PARAM_VALUE, NULL, 0},
};
static const char *const recall_cols[] = {"recalled", "row_id", "label", "flipped", "sweeps", "energy"};

static int run_recall(tf_call *call, nq_err *e)
{
    const sqlv *name = tf_arg(call, 0), *probe = tf_arg(call, 1), *seed = tf_arg(call, 2);
    if (name->type != SQLV_TEXT || probe->type != SQLV_TEXT)
        return nq_err_set(e, NQ_ETYPE, "recall_pattern: the pattern name and the probe must be TEXT");
    if (seed->type != SQLV_NULL && seed->type != SQLV_INT)
        return nq_err_set(e, NQ_ETYPE, "recall_pattern: the seed must be an INTEGER");
    sql_session *s = tf_session(call);
    nm_recall_out o;
    int rc = nm_recall(s, (const char *)name->p, name->n, (const char *)probe->p, probe->n,
                       seed->type == SQLV_INT ? (uint64_t)seed->i : 0, &o, e);
    if (rc)
        return rc;
    sqlv row[6];
    row[0] = sqlv_text(o.recalled, o.n);
    row[1] = o.row_id >= 0 ? sqlv_int(o.row_id) : sqlv_null();
    row[2] = o.label ? sqlv_text(o.label, o.label_len) : sqlv_null();
    row[3] = sqlv_int(o.flipped);
    row[4] = sqlv_int(o.sweeps);
    row[5] = sqlv_real(o.energy);
    rc = tf_emit(call, row, e);
    nm_recall_free(&o);
    return rc;
}

const tf_def tf_recall_pattern = {"recall_pattern", recall_params, 3, 2, recall_cols, 6, 1, run_recall};
