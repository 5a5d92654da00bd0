/*
 * workload_sql.c — feeding the workload memory from statements, keeping it in the database,
 * the neuromorphic index decisions, SYNAPTIC_OPTIMIZE and the system tables
 * nq_synaptic_network, nq_synaptic_nodes, nq_neuromorphic_indexes and nq_workload_stats
 * (the design is in workload_sql.h and workload.h).
 *
 * Feature extraction walks the statement's tree once. Every FROM item that is a table of the
 * catalog becomes a source (alias or name); a column reference resolves to the source its
 * qualifier names or, unqualified, to the first source that has the column. Subqueries share
 * the statement's source list (a statement is one co-activation, however it is nested).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "sql/parser.h"
#include "sql/stmt.h"
#include "sql/tablefunc.h"
#include "sql/tablerw.h"
#include "sql/workload_sql.h"

#define WLS_TREE "sql:synaptic"
#define WLS_KEY "net"

/* ---- the engine's network ---------------------------------------------------------------- */
static wl_net *load_net(nq_db *db)
{
    wl_net *w = wl_new();
    if (!w)
        return NULL;
    nq_tree *t;
    if (nq_tree_open(db, WLS_TREE, 0, &t) == 0) {
        void *v;
        size_t n;
        if (nq_get(t, WLS_KEY, strlen(WLS_KEY), &v, &n) == 0) {
            nq_err e;
            nq_err_clear(&e);
            wl_load(w, v, n, &e); /* a damaged memory is forgotten: it only advises */
            free(v);
        }
        nq_tree_close(t);
    }
    if (db->eng->opts.workload_off) {
        wl_settings s;
        wl_get_settings(w, &s);
        s.learning = 0;
        wl_set_settings(w, &s, NULL);
        uint64_t gen; /* an override for this open, not a change to save */
        wl_dirty(w, &gen);
        wl_mark_saved(w, gen);
    }
    return w;
}

wl_net *wls_net(sql_session *s)
{
    nq_engine *eng = s->db->eng;
    pthread_mutex_lock(&eng->mu);
    if (!eng->wl)
        eng->wl = load_net(s->db);
    wl_net *w = eng->wl;
    pthread_mutex_unlock(&eng->mu);
    return w;
}

/* Closing saves the network only when it has at least this many unsaved changes (about one
 * per statement): a short session — a one-off `nqdb sql` query — then writes nothing (no extra
 * commit, a SELECT leaves the file as it was) and its learning is not kept; SYNAPTIC_OPTIMIZE
 * saves whatever changed. */
#define WLS_CLOSE_MIN_CHANGES 16

static int put_net(nq_db *db, wl_net *w, sql_session *s, uint64_t min_changes, nq_err *e)
{
    uint8_t *buf;
    size_t len;
    uint64_t gen;
    if (wl_dirty(w, &gen) < min_changes)
        return 0; /* nothing (or too little) changed: no write */
    int rc = wl_save(w, &buf, &len);
    if (rc < 0)
        return nq_err_set(e, rc, "out of memory");
    nq_tree *t;
    rc = nq_tree_open(db, WLS_TREE, NQ_TREE_CREATE, &t);
    if (rc == 0) {
        rc = s ? tw_put(s, t, WLS_KEY, strlen(WLS_KEY), buf, len, 0, e)
               : nq_put(t, WLS_KEY, strlen(WLS_KEY), buf, len, 0);
        nq_tree_close(t);
    }
    free(buf);
    if (rc == 0 && !s)
        wl_mark_saved(w, gen); /* inside a transaction: saved only if it commits, so kept dirty */
    if (rc < 0 && !s)
        nq_err_set(e, rc, "saving the workload memory: %s", nq_strerror(rc));
    return rc;
}

int wls_save(sql_session *s, nq_err *e) { return put_net(s->db, wls_net(s), s, 1, e); }

void wls_engine_close(nq_db *db)
{
    nq_engine *eng = db->eng;
    if (!eng->wl)
        return;
    if (eng->pager && !eng->opts.read_only) {
        nq_err e;
        nq_err_clear(&e);
        put_net(db, eng->wl, NULL, WLS_CLOSE_MIN_CHANGES, &e);
    }
    wl_free(eng->wl);
    eng->wl = NULL;
}

/* ---- features ------------------------------------------------------------------------------ */
#define FX_MAX_SRC 32
#define FX_MAX 64

typedef struct fx {
    catalog *cat;
    struct {
        const char *alias;
        cat_table *t;
    } src[FX_MAX_SRC];
    int nsrc;
    char name[FX_MAX][WL_NAME_MAX];
    int pri[FX_MAX];          /* 0 tables and predicates, 1 plain columns */
    int n;
} fx;

static void fx_add(fx *f, int pri, const char *a, const char *b, const char *c)
{
    if (f->n >= FX_MAX)
        return;
    char *o = f->name[f->n];
    snprintf(o, WL_NAME_MAX, "%s%s%s%s%s", a, b ? "." : "", b ? b : "", c ? ":" : "", c ? c : "");
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->name[i], o))
            return;
    f->pri[f->n++] = pri;
}

static void fx_source(fx *f, const char *name, const char *alias)
{
    cat_table *t = cat_table_find(f->cat, name);
    if (!t || f->nsrc >= FX_MAX_SRC)
        return;
    f->src[f->nsrc].alias = alias ? alias : t->name;
    f->src[f->nsrc].t = t;
    f->nsrc++;
    fx_add(f, 0, t->name, NULL, NULL);
}

/* The table and column a column reference names, or 0. */
static int fx_resolve(const fx *f, const ast_expr *e, const cat_table **t, int *col)
{
    if (!e || e->kind != AST_E_COLUMN)
        return 0;
    for (int i = 0; i < f->nsrc; i++) {
        if (e->table && strcasecmp(e->table, f->src[i].alias) && strcasecmp(e->table, f->src[i].t->name))
            continue;
        int c = cat_column_find(f->src[i].t, e->name);
        if (c >= 0) {
            *t = f->src[i].t;
            *col = c;
            return 1;
        }
    }
    return 0;
}

static void fx_select(fx *f, const ast_select *s);
static void fx_pred(fx *f, const ast_expr *e);

static void fx_col(fx *f, const ast_expr *e, const char *cls)
{
    const cat_table *t;
    int c;
    if (!fx_resolve(f, e, &t, &c))
        return;
    fx_add(f, 0, t->name, t->cols[c].name, cls);
    fx_add(f, 1, t->name, t->cols[c].name, NULL);
}

/* Column references anywhere in e become column nodes; subqueries are walked. */
static void fx_expr(fx *f, const ast_expr *e)
{
    if (!e)
        return;
    if (e->kind == AST_E_COLUMN) {
        fx_col(f, e, NULL);
        return;
    }
    if (e->sub)
        fx_select(f, e->sub);
    fx_expr(f, e->a);
    fx_expr(f, e->b);
    fx_expr(f, e->c);
    for (int i = 0; i < e->list.n; i++)
        fx_expr(f, e->list.v[i]);
}

static int has_column(const ast_expr *e)
{
    if (!e)
        return 0;
    if (e->kind == AST_E_COLUMN || e->sub)
        return 1;
    if (has_column(e->a) || has_column(e->b) || has_column(e->c))
        return 1;
    for (int i = 0; i < e->list.n; i++)
        if (has_column(e->list.v[i]))
            return 1;
    return 0;
}

static void fx_pred(fx *f, const ast_expr *e)
{
    if (!e)
        return;
    switch (e->kind) {
    case AST_E_BINARY:
        if (e->op == AST_OP_AND || e->op == AST_OP_OR) {
            fx_pred(f, e->a);
            fx_pred(f, e->b);
            return;
        }
        if (e->op == AST_OP_EQ || e->op == AST_OP_LT || e->op == AST_OP_LE || e->op == AST_OP_GT ||
            e->op == AST_OP_GE || e->op == AST_OP_IS) {
            const char *cls = e->op == AST_OP_EQ || e->op == AST_OP_IS ? "eq" : "range";
            const cat_table *ta, *tb;
            int ca, cb;
            int ra = fx_resolve(f, e->a, &ta, &ca), rb = fx_resolve(f, e->b, &tb, &cb);
            if (ra && rb && ta != tb) {
                fx_col(f, e->a, "join");
                fx_col(f, e->b, "join");
                return;
            }
            if (ra && !has_column(e->b)) {
                fx_col(f, e->a, cls);
                return;
            }
            if (rb && !has_column(e->a)) {
                fx_col(f, e->b, cls);
                return;
            }
        }
        break;
    case AST_E_BETWEEN:
        if (!e->not_ && e->a && e->a->kind == AST_E_COLUMN) {
            fx_col(f, e->a, "range");
            fx_expr(f, e->b);
            fx_expr(f, e->c);
            return;
        }
        break;
    case AST_E_IN_LIST:
    case AST_E_IN_SELECT:
        if (!e->not_ && e->a && e->a->kind == AST_E_COLUMN) {
            fx_col(f, e->a, "eq");
            if (e->sub)
                fx_select(f, e->sub);
            for (int i = 0; i < e->list.n; i++)
                fx_expr(f, e->list.v[i]);
            return;
        }
        break;
    case AST_E_LIKE:
        if (!e->not_ && e->op == AST_OP_LIKE && e->a && e->a->kind == AST_E_COLUMN && e->b &&
            e->b->kind == AST_E_STRING && e->b->len > 0 && e->b->text[0] != '%' && e->b->text[0] != '_') {
            fx_col(f, e->a, "range");
            return;
        }
        break;
    default:
        break;
    }
    fx_expr(f, e);
}

static void fx_from(fx *f, const ast_from *fr)
{
    if (!fr)
        return;
    switch (fr->kind) {
    case AST_FROM_TABLE:
        if (!fr->schema)
            fx_source(f, fr->name, fr->alias);
        break;
    case AST_FROM_SUBQUERY:
        fx_select(f, fr->sub);
        break;
    case AST_FROM_JOIN:
        fx_from(f, fr->left);
        fx_from(f, fr->right);
        break;
    default:
        break;
    }
}

static void fx_from_preds(fx *f, const ast_from *fr)
{
    if (fr && fr->kind == AST_FROM_JOIN) {
        fx_from_preds(f, fr->left);
        fx_from_preds(f, fr->right);
        fx_pred(f, fr->on);
    }
}

static void fx_select(fx *f, const ast_select *s)
{
    if (!s)
        return;
    if (s->with)
        for (int i = 0; i < s->with->ctes.n; i++)
            fx_select(f, ((const ast_cte *)s->with->ctes.v[i])->query);
    if (s->kind == AST_SEL_COMPOUND) {
        fx_select(f, s->left);
        fx_select(f, s->right);
    } else if (s->kind == AST_SEL_CORE) {
        fx_from(f, s->from);
        fx_from_preds(f, s->from);
        fx_pred(f, s->where);
        for (int i = 0; i < s->group_by.n; i++) {
            const ast_expr *g = s->group_by.v[i];
            if (g->kind == AST_E_COLUMN)
                fx_col(f, g, "order");
            else
                fx_expr(f, g);
        }
        fx_expr(f, s->having);
        for (int i = 0; i < s->cols.n; i++)
            fx_expr(f, ((const ast_result_col *)s->cols.v[i])->e);
    }
    for (int i = 0; i < s->order_by.n; i++) {
        const ast_expr *o = ((const ast_order *)s->order_by.v[i])->e;
        if (o->kind == AST_E_COLUMN)
            fx_col(f, o, "order");
        else
            fx_expr(f, o);
    }
}

void wls_observe(sql_session *s, const ast_stmt *st, const char *sql, size_t len)
{
    if (!s->cat || !st)
        return;
    if (st->kind != AST_SELECT && st->kind != AST_INSERT && st->kind != AST_UPDATE &&
        st->kind != AST_DELETE)
        return;
    wl_net *w = wls_net(s);
    if (!w)
        return;
    fx *f = malloc(sizeof *f);
    if (!f)
        return;
    f->cat = s->cat;
    f->nsrc = f->n = 0;
    switch (st->kind) {
    case AST_SELECT:
        fx_select(f, st->u.select);
        break;
    case AST_INSERT:
        fx_source(f, st->u.insert->table.name, st->u.insert->alias);
        fx_select(f, st->u.insert->source);
        break;
    case AST_UPDATE:
        fx_source(f, st->u.update->table.name, st->u.update->alias);
        fx_from(f, st->u.update->from);
        fx_pred(f, st->u.update->where);
        break;
    default:
        fx_source(f, st->u.del->table.name, st->u.del->alias);
        fx_pred(f, st->u.del->where);
        break;
    }
    /* system tables and statements about nothing in the catalog teach nothing */
    if (f->nsrc == 0) {
        free(f);
        return;
    }
    const char *names[WL_MAX_FEAT];
    int k = 0;
    for (int pri = 0; pri < 2; pri++)
        for (int i = 0; i < f->n && k < WL_MAX_FEAT; i++)
            if (f->pri[i] == pri)
                names[k++] = f->name[i];
    char *text = malloc(WL_TEXT_MAX);
    if (text)
        wl_template_of(sql, len, text, WL_TEXT_MAX);
    int decide = 0;
    wl_learn(w, names, k, text, &decide);
    free(text);
    free(f);
    if (decide) {
        nq_engine *eng = s->db->eng;
        __atomic_store_n(&eng->wl_due, 1, __ATOMIC_RELEASE);
    }
}

/* ---- neuromorphic indexes --------------------------------------------------------------- */
int wls_reconcile(sql_session *s)
{
    wl_net *w = wls_net(s);
    if (!w || !s->cat)
        return NQ_ENOMEM;
    wl_index *v;
    size_t n;
    int rc = wl_indexes(w, &v, &n);
    if (rc < 0)
        return rc;
    catalog *c = s->cat;
    for (int i = 0; i < c->ntables && rc == 0; i++)
        for (int k = 0; k < c->tables[i]->nidx && rc == 0; k++) {
            cat_index *ix = c->tables[i]->idx[k];
            if (!ix->neuromorphic)
                continue;
            int known = 0;
            for (size_t j = 0; j < n; j++)
                if (!strcmp(v[j].name, ix->name) && v[j].state == WL_IX_ACTIVE)
                    known = 1;
            if (known)
                continue;
            /* its CREATE text, to rebuild it after a drop */
            ast_arena *a = ast_arena_new();
            ast_create_index ci;
            memset(&ci, 0, sizeof ci);
            ci.neuromorphic = 1;
            ci.name.name = ix->name;
            ci.table.name = ix->table->name;
            ast_stmt stt;
            memset(&stt, 0, sizeof stt);
            stt.kind = AST_CREATE_INDEX;
            stt.u.create_index = &ci;
            for (int j = 0; a && j < ix->ncols; j++) {
                ast_order *o = ast_alloc(a, sizeof *o);
                ast_expr *e = ast_alloc(a, sizeof *e);
                if (!o || !e)
                    break;
                e->kind = AST_E_COLUMN;
                e->name = ix->table->cols[ix->cols[j]].name;
                o->e = e;
                o->dir = ix->kcols[j].desc ? AST_DIR_DESC : AST_DIR_NONE;
                ast_list_push(a, &ci.items, o);
            }
            char *sql = a && ci.items.n == ix->ncols ? ast_to_sql(a, &stt) : NULL;
            rc = sql ? wl_index_register(w, ix->name, ix->table->name,
                                         ix->table->cols[ix->cols[0]].name, sql)
                     : NQ_ENOMEM;
            ast_arena_free(a);
        }
    for (size_t j = 0; j < n && rc == 0; j++)
        if (v[j].state == WL_IX_ACTIVE) {
            cat_index *ix = cat_index_find(c, v[j].name);
            if (!ix || !ix->neuromorphic)
                wl_index_forget(w, v[j].name);
        }
    wl_indexes_free(v, n);
    return rc;
}

const char *const wls_optimize_cols[5] = {"index", "table_name", "action", "strength", "state"};

static const char *state_name(int st) { return st == WL_IX_ACTIVE ? "active" : "dropped"; }

/* Take the keep/drop/rebuild decisions (inside a write statement bracket). only: an index or
 * table name, or NULL for all. */
static int decide(sql_session *s, const char *only, wls_emit_fn emit, void *arg, nq_err *e)
{
    wl_net *w = wls_net(s);
    if (!w)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = wls_reconcile(s);
    if (rc < 0)
        return nq_err_set(e, rc, "out of memory");
    wl_settings set;
    wl_get_settings(w, &set);
    wl_stats stats;
    wl_get_stats(w, &stats);
    wl_index *v;
    size_t n;
    if ((rc = wl_indexes(w, &v, &n)) < 0)
        return nq_err_set(e, rc, "out of memory");
    int matched = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        wl_index *x = &v[i];
        if (only && strcasecmp(only, x->name) && strcasecmp(only, x->table))
            continue;
        matched = 1;
        const char *action = "keep";
        int state = x->state;
        if (x->state == WL_IX_ACTIVE && stats.clock - x->created >= set.min_age &&
            x->strength < set.drop_threshold) {
            ast_qname q = {NULL, x->name};
            ast_qname *qp = &q;
            ast_drop d;
            memset(&d, 0, sizeof d);
            d.what = AST_OBJ_INDEX;
            d.if_exists = 1;
            d.names.v = (void **)&qp;
            d.names.n = 1;
            if ((rc = cat_drop(s, &d, e)) == 0) {
                action = "drop";
                state = WL_IX_DROPPED;
            }
        } else if (x->state == WL_IX_DROPPED && x->strength >= set.rebuild_threshold) {
            if (cat_index_find(s->cat, x->name) || !cat_table_find(s->cat, x->table)) {
                action = "gone"; /* its name was taken, or its table dropped: forget it */
                wl_index_forget(w, x->name);
            } else {
                ast_arena *a = ast_arena_new();
                ast_stmt *stt = NULL;
                size_t used;
                parse_result pr;
                rc = a ? parse_first(a, x->create_sql, strlen(x->create_sql), &stt, &used, &pr, e)
                       : nq_err_set(e, NQ_ENOMEM, "out of memory");
                if (rc == 0 && (!stt || stt->kind != AST_CREATE_INDEX))
                    rc = nq_err_set(e, NQ_ECORRUPT, "neuromorphic index %s: bad definition", x->name);
                if (rc == 0)
                    rc = cat_create_index(s, stt->u.create_index, e);
                ast_arena_free(a);
                if (rc == 0) {
                    action = "rebuild";
                    state = WL_IX_ACTIVE;
                }
            }
        }
        if (rc == 0 && state != x->state)
            wl_index_set_state(w, x->name, state);
        if (rc == 0 && emit) {
            sqlv row[5] = {sqlv_text(x->name, strlen(x->name)), sqlv_text(x->table, strlen(x->table)),
                           sqlv_text(action, strlen(action)), sqlv_real(x->strength),
                           sqlv_text(state_name(state), strlen(state_name(state)))};
            rc = emit(arg, row, 5, e);
        }
    }
    wl_indexes_free(v, n);
    if (rc == 0 && only && !matched && !cat_table_find(s->cat, only))
        rc = nq_err_set(e, NQ_ESCHEMA, "no neuromorphic index or table named %s", only);
    return rc;
}

static int opt_num(const ast_option *o, double *out, nq_err *e)
{
    const ast_expr *v = o->value;
    int neg = 0;
    if (v && v->kind == AST_E_UNARY && v->op == AST_OP_NEG) {
        neg = 1;
        v = v->a;
    }
    if (v && v->kind == AST_E_INT)
        *out = (double)v->ival;
    else if (v && v->kind == AST_E_REAL)
        *out = v->rval;
    else
        return nq_err_set(e, NQ_EINVAL, "SYNAPTIC_OPTIMIZE option %s needs a number", o->name);
    if (neg)
        *out = -*out;
    return 0;
}

int wls_synaptic_optimize(sql_session *s, const ast_ext *x, wls_emit_fn emit, void *arg, nq_err *e)
{
    wl_net *w = wls_net(s);
    if (!w)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    wl_settings set;
    wl_get_settings(w, &set);
    int reset = 0;
    for (int i = 0; i < x->options.n; i++) {
        const ast_option *o = x->options.v[i];
        double d = 0;
        int rc = 0;
        if (!strcmp(o->name, "LEARNING") || !strcmp(o->name, "RESET")) {
            const ast_expr *v = o->value;
            const char *word = v && v->kind == AST_E_COLUMN ? v->name : NULL;
            int on;
            if (v && (v->kind == AST_E_BOOL || v->kind == AST_E_INT) && (v->ival == 0 || v->ival == 1))
                on = (int)v->ival;
            else if (word && (!strcasecmp(word, "on") || !strcasecmp(word, "off") ||
                              !strcasecmp(word, "true") || !strcasecmp(word, "false")))
                on = !strcasecmp(word, "on") || !strcasecmp(word, "true");
            else
                return nq_err_set(e, NQ_EINVAL, "SYNAPTIC_OPTIMIZE option %s takes ON or OFF", o->name);
            if (o->name[0] == 'L')
                set.learning = on;
            else
                reset = on;
            continue;
        }
        if ((rc = opt_num(o, &d, e)) < 0)
            return rc;
        if (!strcmp(o->name, "HALF_LIFE"))
            set.half_life = d >= 1 && d <= 4e9 ? (uint32_t)d : 0;
        else if (!strcmp(o->name, "LEARNING_RATE"))
            set.eta = d;
        else if (!strcmp(o->name, "MAX_NODES"))
            set.max_nodes = d >= 0 && d <= 4e9 ? (uint32_t)d : 0;
        else if (!strcmp(o->name, "MAX_SYNAPSES"))
            set.max_synapses = d >= 0 && d <= 4e9 ? (uint32_t)d : 0;
        else if (!strcmp(o->name, "MAX_TEMPLATES"))
            set.max_templates = d >= 0 && d <= 4e9 ? (uint32_t)d : 0;
        else if (!strcmp(o->name, "DROP_THRESHOLD"))
            set.drop_threshold = d;
        else if (!strcmp(o->name, "REBUILD_THRESHOLD"))
            set.rebuild_threshold = d;
        else if (!strcmp(o->name, "MIN_AGE"))
            set.min_age = d >= 0 ? (uint64_t)d : 0;
        else if (!strcmp(o->name, "DECIDE_EVERY"))
            set.decide_every = d >= 1 && d <= 4e9 ? (uint32_t)d : 0;
        else
            return nq_err_set(e, NQ_EINVAL,
                              "unknown SYNAPTIC_OPTIMIZE option %s (options: LEARNING ON|OFF, HALF_LIFE, LEARNING_RATE, "
                              "MAX_NODES, MAX_SYNAPSES, MAX_TEMPLATES, DROP_THRESHOLD, REBUILD_THRESHOLD, MIN_AGE, "
                              "DECIDE_EVERY, RESET ON)",
                              o->name);
    }
    int rc = wl_set_settings(w, &set, e);
    if (rc < 0)
        return rc;
    if (reset)
        wl_clear(w);
    if ((rc = decide(s, x->table.name, emit, arg, e)) < 0)
        return rc;
    return wls_save(s, e);
}

void wls_after_stmt(sql_session *s)
{
    nq_engine *eng = s->db->eng;
    if (s->depth || s->explicit_txn || s->db->txn || eng->opts.read_only || !eng->wl ||
        !__atomic_exchange_n(&eng->wl_due, 0, __ATOMIC_ACQ_REL))
        return;
    static const char sql[] = "SYNAPTIC_OPTIMIZE";
    sql_stmt *st = NULL;
    nq_err e;
    nq_err_clear(&e);
    unsigned line, col;
    if (sql_prepare(s, sql, sizeof sql - 1, &st, NULL, &e, &line, &col) == 0 && st) {
        while (sql_step(st, &e) == NQ_ROW)
            ;
        sql_finalize(st);
    }
}

/* ---- system tables ---------------------------------------------------------------------- */
static wl_net *tf_net(tf_call *call, nq_err *e)
{
    wl_net *w = wls_net(tf_session(call));
    if (!w)
        nq_err_set(e, NQ_ENOMEM, "out of memory");
    return w;
}

static int run_network(tf_call *call, nq_err *e)
{
    wl_net *w = tf_net(call, e);
    if (!w)
        return NQ_ENOMEM;
    wl_edge *v;
    size_t n;
    int rc = wl_edges(w, &v, &n);
    if (rc < 0)
        return nq_err_set(e, rc, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlv row[5] = {sqlv_text(v[i].from, strlen(v[i].from)), sqlv_text(v[i].to, strlen(v[i].to)),
                       sqlv_real(v[i].weight), sqlv_int((int64_t)v[i].uses),
                       sqlv_int((int64_t)v[i].last_used)};
        rc = tf_emit(call, row, e);
    }
    wl_edges_free(v, n);
    return rc;
}

static const char *const network_cols[] = {"from", "to", "weight", "uses", "last_used"};
const tf_def tf_synaptic_network = {
    .name = "nq_synaptic_network", .cols = network_cols, .ncols = 5, .est_rows = 100,
    .run = run_network};

static int run_nodes(tf_call *call, nq_err *e)
{
    wl_net *w = tf_net(call, e);
    if (!w)
        return NQ_ENOMEM;
    wl_node_info *v;
    size_t n;
    int rc = wl_nodes(w, &v, &n);
    if (rc < 0)
        return nq_err_set(e, rc, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *kind = !strncmp(v[i].name, "index:", 6) ? "index"
                           : strchr(v[i].name, ':')         ? "predicate"
                           : strchr(v[i].name, '.')         ? "column"
                                                            : "table";
        sqlv row[5] = {sqlv_text(v[i].name, strlen(v[i].name)), sqlv_text(kind, strlen(kind)),
                       sqlv_real(v[i].activity), sqlv_int((int64_t)v[i].uses),
                       sqlv_int((int64_t)v[i].last_used)};
        rc = tf_emit(call, row, e);
    }
    wl_nodes_free(v, n);
    return rc;
}

static const char *const nodes_cols[] = {"node", "kind", "activity", "uses", "last_used"};
const tf_def tf_synaptic_nodes = {
    .name = "nq_synaptic_nodes", .cols = nodes_cols, .ncols = 5, .est_rows = 100, .run = run_nodes};

static int run_nindexes(tf_call *call, nq_err *e)
{
    wl_net *w = tf_net(call, e);
    if (!w)
        return NQ_ENOMEM;
    wl_index *v;
    size_t n;
    int rc = wl_indexes(w, &v, &n);
    if (rc < 0)
        return nq_err_set(e, rc, "out of memory");
    wl_settings set;
    wl_get_settings(w, &set);
    wl_stats st;
    wl_get_stats(w, &st);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *sn = state_name(v[i].state);
        sqlv row[10] = {sqlv_text(v[i].name, strlen(v[i].name)), sqlv_text(v[i].table, strlen(v[i].table)),
                        sqlv_text(v[i].column, strlen(v[i].column)), sqlv_text(sn, strlen(sn)),
                        sqlv_real(v[i].strength), sqlv_int((int64_t)(st.clock - v[i].created)),
                        sqlv_int((int64_t)v[i].changed), sqlv_int((int64_t)v[i].drops),
                        sqlv_int((int64_t)v[i].rebuilds),
                        sqlv_text(v[i].create_sql, strlen(v[i].create_sql))};
        rc = tf_emit(call, row, e);
    }
    wl_indexes_free(v, n);
    return rc;
}

static const char *const nindex_cols[] = {"name", "table_name", "leading_column", "state", "strength",
                                          "age", "changed_at", "drops", "rebuilds", "definition"};
const tf_def tf_neuromorphic_indexes = {
    .name = "nq_neuromorphic_indexes", .cols = nindex_cols, .ncols = 10, .est_rows = 10,
    .run = run_nindexes};

static int run_settings(tf_call *call, nq_err *e)
{
    wl_net *w = tf_net(call, e);
    if (!w)
        return NQ_ENOMEM;
    wl_settings s;
    wl_get_settings(w, &s);
    wl_stats st;
    wl_get_stats(w, &st);
    struct {
        const char *name;
        double v;
    } kv[] = {{"learning", s.learning},
              {"half_life", s.half_life},
              {"learning_rate", s.eta},
              {"max_nodes", s.max_nodes},
              {"max_synapses", s.max_synapses},
              {"max_templates", s.max_templates},
              {"drop_threshold", s.drop_threshold},
              {"rebuild_threshold", s.rebuild_threshold},
              {"min_age", (double)s.min_age},
              {"decide_every", s.decide_every},
              {"statements", (double)st.clock},
              {"nodes", (double)st.nodes},
              {"synapses", (double)st.synapses},
              {"templates", (double)st.templates},
              {"pruned_nodes", (double)st.pruned_nodes},
              {"pruned_synapses", (double)st.pruned_synapses},
              {"evicted_templates", (double)st.evicted_templates}};
    int rc = 0;
    for (size_t i = 0; i < sizeof kv / sizeof kv[0] && rc == 0; i++) {
        sqlv row[2] = {sqlv_text(kv[i].name, strlen(kv[i].name)), sqlv_real(kv[i].v)};
        rc = tf_emit(call, row, e);
    }
    return rc;
}

static const char *const settings_cols[] = {"name", "value"};
const tf_def tf_workload_stats = {
    .name = "nq_workload_stats", .cols = settings_cols, .ncols = 2, .est_rows = 17, .run = run_settings};
