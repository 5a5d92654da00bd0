/*
 * exec_learn_mlp.c — LEARN PATTERN ... ALGORITHM MLP: a dense network (nqneuro's mlp, trained
 * by mlp_train) that classifies a table's rows, stored in the database, and
 * predict_pattern('name', 'table') that applies it to the rows of a table (docs/qsql.md, "LEARN
 * PATTERN and ADAPT WEIGHTS").
 *
 *   LEARN PATTERN 'name' FROM t ALGORITHM MLP [LABEL col] [HIDDEN n] [TRAINING_EPOCHS n]
 *         [LEARNING_RATE x] [SEED n]
 *
 * The label is column LABEL (default: the last column that is not the INTEGER PRIMARY KEY);
 * its distinct values, as text, are the classes in order of first appearance. Every other
 * column except the INTEGER PRIMARY KEY is a feature and must hold numbers (INTEGER, REAL,
 * BOOLEAN; NULL is an error naming the row). The network: features -> HIDDEN (default 32) ReLU
 * units -> one Softmax unit per class, cross-entropy loss, Adam with LEARNING_RATE (default
 * 0.001, the library's default), mini-batches of 32, TRAINING_EPOCHS epochs (default 50), all
 * randomness from SEED (default 1), inputs standardised by the features' mean and standard
 * deviation (part of the model). The result row: pattern, algorithm, inputs, classes, rows,
 * epochs_run, loss (the last epoch's mean training loss), accuracy (on the training rows after
 * training).
 *
 * Model record ('M' name in the store): "NQMP" version(4) ninputs(4) nclasses(4), the feature
 * column names and the class labels (each len(4) bytes), then mlp_encode's bytes (which carry
 * their own CRC). predict_pattern reads the named table's rows, takes the stored feature
 * columns by name, and returns row_id, predicted (the class label) and confidence (the Softmax
 * output of that class).
 *
 * predict_pattern also applies a network trained through POST /api/v1/neural/train: when no
 * LEARN PATTERN model has the name, it is looked up by network_id in NM_MODEL_TREE (bare
 * mlp_encode bytes, or nn_stdp_model_encode's — magic "NQSN" — for a NeuromorphicSTDP network:
 * no column names, no labels). Its inputs are then the table's columns other
 * than the INTEGER PRIMARY KEY, in declared order (their count must be the network's input
 * size), and predicted is the index of the largest output (INTEGER) with that output as the
 * confidence — or, for a network with a single output, the output itself (REAL) and no
 * confidence.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "neuro/mlp.h"
#include "neuro/mlp_train.h"
#include "neuro/stdp_model.h"
#include "sql/exec_learn.h"
#include "sql/tablefunc.h"
#include "sql/tablerw.h"

#define MLP_MAGIC "NQMP"
#define MAX_CLASSES 1024

int nm_is_mlp(const char *algo)
{
    return algo && (!strcasecmp(algo, "MLP") || !strcasecmp(algo, "NeuralNetwork") ||
                    !strcasecmp(algo, "Backpropagation"));
}

static const char *mlp_cols[] = {"pattern", "algorithm", "inputs", "classes", "rows", "epochs_run",
                                 "loss", "accuracy"};
const char **nm_learn_mlp_cols(int *n)
{
    *n = 8;
    return mlp_cols;
}

static int fail_at(nq_err *e, const ast_option *o, const char *msg)
{
    return nq_err_set(e, NQ_ESYNTAX, "%s at line %u, column %u", msg, (unsigned)o->line, (unsigned)o->col);
}

static int num_opt(const ast_option *o, double lo, double hi, int integer, double *out)
{
    const ast_expr *v = o->value;
    double d;
    if (v && v->kind == AST_E_INT)
        d = (double)v->ival;
    else if (v && v->kind == AST_E_REAL && !integer)
        d = v->rval;
    else
        return -1;
    if (!(d >= lo && d <= hi))
        return -1;
    *out = d;
    return 0;
}

int nm_learn_mlp(sql_session *s, const ast_ext *x, const char *name, size_t nlen, nm_emit_fn emit,
                 void *arg, nq_err *e)
{
    const char *label_name = NULL;
    double hidden = 32, epochs = 50, lr = 0.001, seed = 1;
    unsigned seen = 0;
    for (int i = 0; i < x->options.n; i++) {
        const ast_option *o = x->options.v[i];
        static const char *const names[] = {"ALGORITHM", "LABEL", "HIDDEN", "TRAINING_EPOCHS", "EPOCHS",
                                            "LEARNING_RATE", "SEED"};
        int k = -1;
        for (int j = 0; j < 7; j++)
            if (!strcmp(o->name, names[j]))
                k = j == 4 ? 3 : j;
        char msg[200];
        if (k < 0) {
            snprintf(msg, sizeof msg, "unknown LEARN PATTERN ... ALGORITHM MLP option %s (expected LABEL, HIDDEN, TRAINING_EPOCHS, LEARNING_RATE or SEED)", o->name);
            return fail_at(e, o, msg);
        }
        if (seen & (1u << k)) {
            snprintf(msg, sizeof msg, "%s is given twice", o->name);
            return fail_at(e, o, msg);
        }
        seen |= 1u << k;
        int bad = 0;
        if (k == 1) {
            if (o->value && o->value->kind == AST_E_COLUMN && !o->value->table)
                label_name = o->value->name;
            else if (o->value && o->value->kind == AST_E_STRING)
                label_name = o->value->text;
            else
                bad = 1;
        } else if (k == 2)
            bad = num_opt(o, 1, 4096, 1, &hidden) < 0;
        else if (k == 3)
            bad = num_opt(o, 1, 100000, 1, &epochs) < 0;
        else if (k == 5)
            bad = num_opt(o, 1e-9, 1, 0, &lr) < 0;
        else if (k == 6)
            bad = num_opt(o, 0, 9e15, 1, &seed) < 0;
        if (bad) {
            static const char *const want[] = {"", "a column name", "an integer from 1 to 4096",
                                               "an integer from 1 to 100000", "", "a number in (0, 1]",
                                               "a non-negative integer"};
            snprintf(msg, sizeof msg, "%s expects %s", o->name, want[k]);
            return fail_at(e, o, msg);
        }
    }
    cat_table *t = cat_table_find(s->cat, x->table.name);
    if (!t)
        return nq_err_set(e, NQ_ESCHEMA, "no such table: %s", x->table.name);
    int label = -1;
    if (label_name) {
        for (int c = 0; c < t->ncols; c++)
            if (!strcasecmp(t->cols[c].name, label_name))
                label = c;
        if (label < 0 || label == t->ipk)
            return nq_err_set(e, NQ_ESCHEMA, "LABEL %s: no such column of %s (other than its INTEGER PRIMARY KEY)", label_name, t->name);
    } else {
        for (int c = t->ncols - 1; c >= 0 && label < 0; c--)
            if (c != t->ipk)
                label = c;
    }
    int nin = 0;
    for (int c = 0; c < t->ncols; c++)
        nin += c != t->ipk && c != label;
    if (label < 0 || nin == 0)
        return nq_err_set(e, NQ_EINVAL, "%s needs a label column and at least one feature column", t->name);
    /* read the rows: features as floats, labels as class indexes */
    float *X = NULL;
    int *y = NULL;
    size_t n = 0, cap = 0;
    char **cls = NULL;
    size_t *clsn = NULL;
    int ncls = 0;
    tw_scan *sc = NULL;
    mlp *m = NULL;
    float *Y = NULL, *mean = NULL, *scale = NULL;
    uint8_t *model = NULL;
    size_t mlen = 0;
    mlp_history h = {0};
    sqlv *row = calloc((size_t)t->ncols + 1, sizeof *row);
    cls = calloc(MAX_CLASSES, sizeof *cls);
    clsn = calloc(MAX_CLASSES, sizeof *clsn);
    int rc = row && cls && clsn ? 0 : nq_err_set(e, NQ_ENOMEM, "out of memory");
    if (rc == 0 && ((rc = tw_scan_open(s, t, &sc, e)) < 0 || (rc = tw_scan_start(sc, INT64_MIN, INT64_MAX, e)) < 0))
        goto done;
    while (rc == 0) {
        int64_t rowid;
        int r = tw_scan_next(sc, &rowid, row, e);
        if (r <= 0) {
            rc = r;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            float *nx = realloc(X, cap * (size_t)nin * sizeof *nx);
            int *ny = nx ? realloc(y, cap * sizeof *ny) : NULL;
            if (nx)
                X = nx;
            if (!nx || !ny) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            y = ny;
        }
        int f = 0;
        for (int c = 0; c < t->ncols && rc == 0; c++) {
            if (c == t->ipk || c == label)
                continue;
            const sqlv *v = &row[c];
            if (v->type == SQLV_INT || v->type == SQLV_BOOL)
                X[n * (size_t)nin + (size_t)f++] = (float)v->i;
            else if (v->type == SQLV_REAL)
                X[n * (size_t)nin + (size_t)f++] = (float)v->r;
            else
                rc = nq_err_set(e, NQ_ETYPE, "row %lld of %s: feature column %s is %s, not a number", (long long)rowid,
                                t->name, t->cols[c].name, v->type == SQLV_NULL ? "NULL" : sqlv_type_name(v->type));
        }
        if (rc)
            break;
        sqlv hold = sqlv_null();
        const sqlv *lv = &row[label];
        if (lv->type == SQLV_NULL) {
            rc = nq_err_set(e, NQ_EINVAL, "row %lld of %s: the label %s is NULL", (long long)rowid, t->name, t->cols[label].name);
            break;
        }
        if (lv->type != SQLV_TEXT) {
            if ((rc = sqlv_cast(lv, SQLV_TEXT, &hold, e)) != 0)
                break;
            lv = &hold;
        }
        int k = -1;
        for (int i = 0; i < ncls && k < 0; i++)
            if (clsn[i] == lv->n && !memcmp(cls[i], lv->p, lv->n))
                k = i;
        if (k < 0) {
            if (ncls == MAX_CLASSES) {
                sqlv_clear(&hold);
                rc = nq_err_set(e, NQ_ETOOBIG, "the label %s has more than %d distinct values", t->cols[label].name, MAX_CLASSES);
                break;
            }
            if (!(cls[ncls] = malloc(lv->n + 1))) {
                sqlv_clear(&hold);
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            memcpy(cls[ncls], lv->p, lv->n);
            clsn[ncls] = lv->n;
            k = ncls++;
        }
        sqlv_clear(&hold);
        y[n++] = k;
    }
    if (rc)
        goto done;
    if (n == 0) {
        rc = nq_err_set(e, NQ_EINVAL, "table %s has no rows to learn", t->name);
        goto done;
    }
    if (ncls < 2) {
        rc = nq_err_set(e, NQ_EINVAL, "the label %s has one value: a classifier needs at least two classes", t->cols[label].name);
        goto done;
    }
    /* standardise, one-hot, train */
    mean = calloc((size_t)nin, sizeof *mean);
    scale = calloc((size_t)nin, sizeof *scale);
    Y = calloc(n * (size_t)ncls, sizeof *Y);
    if (!mean || !scale || !Y) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    for (int j = 0; j < nin; j++) {
        double s1 = 0, s2 = 0;
        for (size_t i = 0; i < n; i++)
            s1 += X[i * (size_t)nin + (size_t)j];
        double mu = s1 / (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = X[i * (size_t)nin + (size_t)j] - mu;
            s2 += d * d;
        }
        double sd = sqrt(s2 / (double)n);
        mean[j] = (float)mu;
        scale[j] = sd > 0 ? (float)(1.0 / sd) : 1.0f;
    }
    for (size_t i = 0; i < n; i++)
        Y[i * (size_t)ncls + (size_t)y[i]] = 1;
    int sizes[2] = {(int)hidden, ncls};
    nn_act acts[2] = {NN_ACT_RELU, NN_ACT_SOFTMAX};
    if ((rc = mlp_create(&m, nin, 2, sizes, acts, NN_LOSS_CROSS_ENTROPY, (uint64_t)seed, e)) != 0 ||
        (rc = mlp_set_scaler(m, mean, scale, e)) != 0)
        goto done;
    mlp_train_cfg cfg;
    mlp_train_defaults(&cfg);
    cfg.opt.lr = (float)lr;
    cfg.epochs = (int)epochs;
    cfg.seed = (uint64_t)seed;
    if ((rc = mlp_train(m, &cfg, X, Y, (int)n, &h, e)) != 0)
        goto done;
    double loss = 0, acc = 0;
    if ((rc = mlp_evaluate(m, X, Y, (int)n, &loss, &acc, e)) != 0 || (rc = mlp_encode(m, &model, &mlen, e)) != 0)
        goto done;
    /* store */
    nm_buf rec = {0};
    int bad = nm_buf_add(&rec, MLP_MAGIC, 4) | nm_buf_u32(&rec, 1) |
              nm_buf_u32(&rec, (uint32_t)nin) | nm_buf_u32(&rec, (uint32_t)ncls);
    for (int c = 0; c < t->ncols; c++)
        if (c != t->ipk && c != label)
            bad |= nm_buf_str(&rec, t->cols[c].name, strlen(t->cols[c].name));
    for (int i = 0; i < ncls; i++)
        bad |= nm_buf_str(&rec, cls[i], clsn[i]);
    bad |= nm_buf_add(&rec, model, mlen);
    if (bad) {
        free(rec.p);
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    rc = nm_store_model(s, 'M', name, nlen, &rec, e);
    free(rec.p);
    if (rc)
        goto done;
    sqlv out[8];
    out[0] = sqlv_text(name, nlen);
    out[1] = sqlv_text("MLP", 3);
    out[2] = sqlv_int(nin);
    out[3] = sqlv_int(ncls);
    out[4] = sqlv_int((int64_t)n);
    out[5] = sqlv_int(h.n);
    out[6] = sqlv_real(h.n ? h.ep[h.n - 1].loss : 0);
    out[7] = sqlv_real(acc);
    rc = emit(arg, out, 8, e);
done:
    mlp_history_free(&h);
    free(model);
    if (m)
        mlp_free(m);
    if (sc)
        tw_scan_close(sc);
    free(row);
    free(X);
    free(y);
    free(Y);
    free(mean);
    free(scale);
    for (int i = 0; cls && i < ncls; i++)
        free(cls[i]);
    free(cls);
    free(clsn);
    return rc;
}

/* ---- predict_pattern('name', 'table') ----------------------------------------------------- */
static const tf_param predict_params[] = {
    {"pattern", TF_PARAM_VALUE, NULL, 0},
    {"table", TF_PARAM_VALUE, NULL, 0},
};
static const char *const predict_cols[] = {"row_id", "predicted", "confidence"};

static int run_predict(tf_call *call, nq_err *e)
{
    const sqlv *nv = tf_arg(call, 0), *tv = tf_arg(call, 1);
    if (nv->type != SQLV_TEXT || tv->type != SQLV_TEXT)
        return nq_err_set(e, NQ_ETYPE, "predict_pattern: the model name and the table name must be TEXT");
    if (nv->n == 0 || nv->n > 200)
        return nq_err_set(e, NQ_EINVAL, "predict_pattern: a model name has 1 to 200 bytes");
    sql_session *s = tf_session(call);
    char tname[256];
    snprintf(tname, sizeof tname, "%.*s", (int)(tv->n < 255 ? tv->n : 255), (const char *)tv->p);
    cat_table *t = cat_table_find(s->cat, tname);
    if (!t)
        return nq_err_set(e, NQ_ESCHEMA, "predict_pattern: no such table: %s", tname);
    nq_tree *tr;
    int rc = nm_store_open(s, 0, &tr, e);
    if (rc)
        return rc;
    uint8_t key[1 + 200];
    key[0] = 'M';
    memcpy(key + 1, nv->p, nv->n);
    void *v = NULL;
    size_t vl = 0;
    rc = tr ? nq_get(tr, key, 1 + nv->n, &v, &vl) : NQ_ENOTFOUND;
    if (tr)
        nq_tree_close(tr);
    int api = 0; /* a network of the REST API (NM_MODEL_TREE), not of LEARN PATTERN */
    if (rc == NQ_ENOTFOUND) {
        nq_tree *mt = NULL;
        rc = nq_tree_open(s->db, NM_MODEL_TREE, 0, &mt);
        if (rc == 0) {
            rc = nq_get(mt, nv->p, nv->n, &v, &vl);
            nq_tree_close(mt);
        }
        if (rc == NQ_ENOTFOUND)
            return nq_err_set(e, NQ_ENOTFOUND, "predict_pattern: no learned network '%.*s' (LEARN PATTERN '%.*s' FROM t ALGORITHM MLP makes one; so does POST /api/v1/neural/train)",
                              (int)nv->n, (const char *)nv->p, (int)nv->n, (const char *)nv->p);
        api = 1;
    }
    if (rc)
        return nq_err_set(e, rc, "predict_pattern: cannot read the model store");
    const uint8_t *b = v, *end = b + vl, *p = b + 16;
    uint32_t nin = 0, ncls = 0;
    mlp *m = NULL;
    nn_stdp_model *sm = NULL; /* a NeuromorphicSTDP network of the REST API (stdp_model.h) */
    if (api && vl >= 4 && !memcmp(b, NN_STDP_MAGIC, 4)) {
        if ((rc = nn_stdp_model_decode(b, vl, &sm, e)) != 0) {
            free(v);
            return rc;
        }
        nin = (uint32_t)nn_stdp_model_n_in(sm);
        ncls = (uint32_t)nn_stdp_model_n_out(sm);
    } else if (api) {
        p = b;
        if ((rc = mlp_decode(p, vl, &m, e)) != 0) {
            free(v);
            return rc;
        }
        nin = (uint32_t)m->n_in;
        ncls = (uint32_t)mlp_n_out(m);
    } else if (vl >= 16 && !memcmp(b, MLP_MAGIC, 4) && nm_rd_u32(b + 4) == 1) {
        nin = nm_rd_u32(b + 8);
        ncls = nm_rd_u32(b + 12);
    }
    int *map = NULL;
    const uint8_t **cname = NULL;
    uint32_t *clen = NULL;
    float *xin = NULL, *probs = NULL;
    sqlv *row = NULL;
    tw_scan *sc = NULL;
    if (nin == 0 || nin > 65536 || ncls < (api ? 1u : 2u) || ncls > MAX_CLASSES) {
        rc = nq_err_set(e, NQ_ECORRUPT, "predict_pattern: the stored network is damaged");
        goto done;
    }
    map = calloc(nin, sizeof *map);
    cname = calloc(ncls, sizeof *cname);
    clen = calloc(ncls, sizeof *clen);
    xin = calloc(nin, sizeof *xin);
    probs = calloc(ncls, sizeof *probs);
    row = calloc((size_t)t->ncols + 1, sizeof *row);
    if (!map || !cname || !clen || !xin || !probs || !row) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    if (api) {
        uint32_t nf = 0;
        for (int c = 0; c < t->ncols; c++) {
            if (c == t->ipk)
                continue;
            if (nf < nin)
                map[nf] = c;
            nf++;
        }
        if (nf != nin) {
            rc = nq_err_set(e, NQ_ESCHEMA, "predict_pattern: network '%.*s' takes %u inputs; table %s has %u columns besides its INTEGER PRIMARY KEY (the inputs, in declared order)",
                            (int)nv->n, (const char *)nv->p, nin, t->name, nf);
            goto done;
        }
    }
    for (uint32_t j = 0; !api && j < nin + ncls; j++) {
        if (p + 4 > end || nm_rd_u32(p) > (size_t)(end - p - 4)) {
            rc = nq_err_set(e, NQ_ECORRUPT, "predict_pattern: the stored network is damaged");
            goto done;
        }
        uint32_t l = nm_rd_u32(p);
        if (j < nin) {
            map[j] = -1;
            for (int c = 0; c < t->ncols; c++)
                if (strlen(t->cols[c].name) == l && !strncasecmp(t->cols[c].name, (const char *)p + 4, l))
                    map[j] = c;
            if (map[j] < 0) {
                rc = nq_err_set(e, NQ_ESCHEMA, "predict_pattern: table %s has no column %.*s, a feature of network '%.*s'",
                                t->name, (int)l, (const char *)p + 4, (int)nv->n, (const char *)nv->p);
                goto done;
            }
        } else {
            cname[j - nin] = p + 4;
            clen[j - nin] = l;
        }
        p += 4 + l;
    }
    if (!api && (rc = mlp_decode(p, (size_t)(end - p), &m, e)) != 0)
        goto done;
    if (!sm && ((uint32_t)m->n_in != nin || (uint32_t)mlp_n_out(m) != ncls)) {
        rc = nq_err_set(e, NQ_ECORRUPT, "predict_pattern: the stored network does not match its header");
        goto done;
    }
    if ((rc = tw_scan_open(s, t, &sc, e)) < 0 || (rc = tw_scan_start(sc, INT64_MIN, INT64_MAX, e)) < 0)
        goto done;
    for (;;) {
        int64_t rowid;
        int r = tw_scan_next(sc, &rowid, row, e);
        if (r <= 0) {
            rc = r;
            break;
        }
        int ok = 1;
        for (uint32_t j = 0; j < nin; j++) {
            const sqlv *x = &row[map[j]];
            if (x->type == SQLV_INT || x->type == SQLV_BOOL)
                xin[j] = (float)x->i;
            else if (x->type == SQLV_REAL)
                xin[j] = (float)x->r;
            else
                ok = 0;
        }
        sqlv out[3];
        out[0] = sqlv_int(rowid);
        if (!ok) { /* a feature that is not a number: no prediction */
            out[1] = sqlv_null();
            out[2] = sqlv_null();
        } else {
            if ((rc = sm ? nn_stdp_model_predict(sm, xin, 1, probs, e)
                         : mlp_predict(m, xin, 1, probs, e)) != 0)
                break;
            int k = mlp_argmax(probs, (int)ncls);
            if (!api) {
                out[1] = sqlv_text((const char *)cname[k], clen[k]);
                out[2] = sqlv_real(probs[k]);
            } else if (ncls == 1) {
                out[1] = sqlv_real(probs[0]);
                out[2] = sqlv_null();
            } else {
                out[1] = sqlv_int(k);
                out[2] = sqlv_real(probs[k]);
            }
        }
        if ((rc = tf_emit(call, out, e)) != 0)
            break;
        if ((rc = tf_check_interrupt(call, e)) != 0)
            break;
    }
done:
    if (sc)
        tw_scan_close(sc);
    if (m)
        mlp_free(m);
    nn_stdp_model_free(sm);
    free(map);
    free(cname);
    free(clen);
    free(xin);
    free(probs);
    free(row);
    free(v);
    return rc;
}

const tf_def tf_predict_pattern = {"predict_pattern", predict_params, 2, 2, predict_cols, 3, 100, run_predict};
