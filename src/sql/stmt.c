/*
 * stmt.c — prepared statements: parse, compile, run; the statements that are not queries.
 *
 * nq_prepare parses the first statement of the text and compiles it at once when it reads or
 * writes data (SELECT, INSERT, UPDATE, DELETE, EXPLAIN), so the result columns are known
 * before the first step and errors such as an unknown column surface at prepare time, with
 * their position. Compiling needs the catalog, so prepare opens a read transaction when none
 * is open. A compiled plan remembers the catalog it was built against; when the schema has
 * changed by the time it runs (another statement's DDL), it is compiled again.
 *
 * Stepping a query opens the plan inside the statement bracket (session.h) and returns rows
 * until the plan ends, then closes the bracket — which commits an autocommit transaction. A
 * data-changing statement does all its work in the first step and then hands out its
 * RETURNING rows. DDL, transaction control, SHOW TABLES, DESCRIBE and EXPLAIN produce their
 * rows (if any) in the first step too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sql/compile.h"
#include "sql/dml.h"
#include "sql/exec_learn.h"
#include "sql/fk.h"
#include "sql/neuromatch_plan.h"
#include "sql/parser.h"
#include "sql/plan_joinorder.h"
#include "sql/stmt.h"
#include "sql/exec_compress.h"
#include "sql/rowlock.h"
#include "sql/exec_vacuum.h"
#include "sql/tablefunc.h"
#include "sql/txnset.h"
#include "sql/workload_sql.h"

struct sql_stmt {
    sql_session *s;
    ast_arena *a;
    ast_stmt *ast;
    char *text;
    /* compiled state */
    int compiled;
    cc c;
    uint64_t cat_gen;      /* the session's catalog generation the plan was compiled against */
    cc_query q;            /* SELECT */
    dml_plan *dml;         /* INSERT/UPDATE/DELETE */
    const ast_stmt *explain_target;
    int ncols;
    const char **names;
    int readonly;
    /* run-time */
    xenv x;
    sqlv *params;
    int nparams;
    int state;             /* 0 fresh, 1 running a query, 2 emitting buffered rows, 3 done */
    uint64_t nout;         /* rows of the running query handed to the caller */
    int restarts;          /* READ COMMITTED restarts of this execution (NQ_ECONFLICT) */
    size_t mark;
    sqlv *cur;
    /* buffered rows */
    sqlv *rows;
    size_t nrows, pos, rowcap;
    int roww;
};

/* PREPARE name AS ...: a compiled statement kept on the session by name. */
struct sql_prepared {
    char *name;
    sql_stmt *st;
    struct sql_prepared *next;
};

static sql_prepared *prepared_find(sql_session *s, const char *name)
{
    for (sql_prepared *p = s->prepared; p; p = p->next)
        if (!strcasecmp(p->name, name))
            return p;
    return NULL;
}

static void prepared_free_all(sql_session *s)
{
    while (s->prepared) {
        sql_prepared *p = s->prepared;
        s->prepared = p->next;
        sql_finalize(p->st);
        free(p->name);
        free(p);
    }
}

static int prepared_drop(sql_session *s, const char *name, nq_err *e)
{
    if (!name) {
        prepared_free_all(s);
        return 0;
    }
    for (sql_prepared **pp = &s->prepared; *pp; pp = &(*pp)->next)
        if (!strcasecmp((*pp)->name, name)) {
            sql_prepared *p = *pp;
            *pp = p->next;
            sql_finalize(p->st);
            free(p->name);
            free(p);
            return 0;
        }
    return nq_err_set(e, NQ_ESCHEMA, "prepared statement \"%s\" does not exist", name);
}

static const char *explain_names[] = {"plan"};
static const char *show_names[] = {"name"};
static const char *describe_names[] = {"column", "type", "nullable", "key", "default"};

/* ---- compile ---------------------------------------------------------------------------- */
static void cc_release(cc *c)
{
    free(c->slot_width);
    free(c->param_names);
    for (int i = 0; i < c->nsubs; i++) {
        bsub *b = c->subs[i];
        sqlv_clear(&b->scalar);
        for (size_t k = 0; k < b->nset; k++)
            sqlv_clear(&b->set[k]);
        free(b->set);
    }
    free(c->subs);
    for (int i = 0; i < c->nops; i++)
        if (c->ops[i]->vt->destroy)
            c->ops[i]->vt->destroy(c->ops[i]);
    free(c->ops);
    memset(c, 0, sizeof *c);
}

/* Forget cached subquery results and materialized rows: a new execution starts clean. */
static void plan_reset(sql_stmt *st)
{
    cc *c = &st->c;
    for (int i = 0; i < c->nsubs; i++) {
        bsub *b = c->subs[i];
        sqlv_clear(&b->scalar);
        for (size_t k = 0; k < b->nset; k++)
            sqlv_clear(&b->set[k]);
        free(b->set);
        b->set = NULL;
        b->nset = 0;
        b->cached = 0;
        b->exists = 0;
    }
    for (int i = 0; i < c->nops; i++)
        if (c->ops[i]->vt->destroy)
            c->ops[i]->vt->destroy(c->ops[i]);
}

static int compile_stmt(sql_stmt *st, const ast_stmt *s, nq_err *e)
{
    cc *c = &st->c;
    c->a = st->a;
    c->s = st->s;
    c->cat = st->s->cat;
    c->e = e;
    int rc;
    /* the block that may ask for NEUROMATCH feedback (neuromatch_plan.h) */
    c->nm_top = s->kind == AST_SELECT ? (const void *)s->u.select
                : s->kind == AST_NEUROMATCH ? (const void *)s->u.ext : NULL;
    switch (s->kind) {
    case AST_SELECT:
    case AST_QUANTUM_SEARCH:
    case AST_OPTIMIZE_QUBO:
    case AST_NEUROMATCH:
        if (s->kind == AST_SELECT && (rc = rl_check(s->u.select, e)) < 0)
            return rc;
        rc = s->kind == AST_SELECT ? cc_query_compile(c, NULL, s->u.select, &st->q)
             : s->kind == AST_QUANTUM_SEARCH
                 ? cc_quantum_search(c, s->u.ext, s->line, s->col, &st->q)
             : s->kind == AST_NEUROMATCH
                 ? cc_neuromatch_stmt(c, s->u.ext, s->line, s->col, &st->q)
                 : cc_optimize_qubo(c, &s->u.ext->table, &s->u.ext->options, &st->q);
        if (rc == 0) {
            st->ncols = st->q.ncols;
            st->names = st->q.names;
            if (s->kind == AST_SELECT)
                rl_apply(s->u.select, c->cat, st->q.plan);
        }
        return rc;
    case AST_INSERT:
        rc = dml_compile_insert(c, s->u.insert, &st->dml);
        break;
    case AST_UPDATE:
        rc = dml_compile_update(c, s->u.update, &st->dml);
        break;
    case AST_DELETE:
        rc = dml_compile_delete(c, s->u.del, &st->dml);
        break;
    default:
        return 0;
    }
    if (rc == 0) {
        st->ncols = st->dml->nret;
        st->names = st->dml->ret_names;
    }
    return rc;
}

/* Statements that compile to a query plan and return its rows. */
static int is_query(ast_stmt_kind k)
{
    return k == AST_SELECT || k == AST_QUANTUM_SEARCH || k == AST_OPTIMIZE_QUBO ||
           k == AST_NEUROMATCH;
}

static int needs_plan(const ast_stmt *s)
{
    return is_query(s->kind) || s->kind == AST_INSERT || s->kind == AST_UPDATE ||
           s->kind == AST_DELETE;
}

/* Compile (again) against the current catalog; inside an open transaction. */
static int ensure_compiled(sql_stmt *st, nq_err *e)
{
    const ast_stmt *s = st->explain_target ? st->explain_target : st->ast;
    if (!needs_plan(s))
        return 0;
    if (st->compiled && st->cat_gen == st->s->cat_gen)
        return 0;
    if (st->compiled) {
        int old = st->ncols;
        cc_release(&st->c);
        st->compiled = 0;
        st->dml = NULL;
        if (st->explain_target == NULL && needs_plan(st->ast)) {
            int rc = compile_stmt(st, s, e);
            if (rc < 0)
                return rc;
            if (st->ncols != old)
                return nq_err_set(e, NQ_ESCHEMA, "the schema changed and the statement's result columns with it; prepare it again");
        } else {
            int rc = compile_stmt(st, s, e);
            if (rc < 0)
                return rc;
            st->ncols = 1;
            st->names = explain_names;
        }
    } else {
        int rc = compile_stmt(st, s, e);
        if (rc < 0)
            return rc;
        if (st->explain_target) {
            st->ncols = 1;
            st->names = explain_names;
        }
    }
    st->compiled = 1;
    st->cat_gen = st->s->cat_gen;
    return 0;
}

int sql_prepare(sql_session *s, const char *sql, size_t len, sql_stmt **out, const char **tail,
                nq_err *e, unsigned *line, unsigned *col)
{
    *out = NULL;
    if (tail)
        *tail = sql + len;
    *line = *col = 0;
    ast_arena *a = ast_arena_new();
    if (!a)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    ast_stmt *ast = NULL;
    size_t used = len;
    parse_result pr;
    int rc = parse_first(a, sql, len, &ast, &used, &pr, e);
    if (rc < 0) {
        *line = pr.line;
        *col = pr.col;
        ast_arena_free(a);
        return rc;
    }
    if (tail)
        *tail = sql + used;
    if (!ast) {
        ast_arena_free(a);
        return 0;
    }
    /* QUANTUM_JOIN t1 t2 ... runs as SELECT * FROM t1 QUANTUM_JOIN t2 ... (plan_joinorder.c) */
    if ((rc = jo_quantum_join_stmt(a, ast, e)) < 0 ||
        (ast->kind == AST_EXPLAIN && (rc = jo_quantum_join_stmt(a, ast->u.explain->stmt, e)) < 0)) {
        ast_arena_free(a);
        return rc;
    }
    sql_stmt *st = calloc(1, sizeof *st);
    char *text = st ? ast_strndup(a, ast->sql, ast->sql_len) : NULL;
    if (!st || !text) {
        free(st);
        ast_arena_free(a);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    st->s = s;
    st->a = a;
    st->ast = ast;
    st->text = text;
    st->readonly = is_query(ast->kind) || ast->kind == AST_EXPLAIN || ast->kind == AST_SHOW_TABLES ||
                   ast->kind == AST_DESCRIBE || ast->kind == AST_SHOW_COMPRESSION ||
                   ast->kind == AST_SET_TRANSACTION || ast->kind == AST_SET_VAR ||
                   ast->kind == AST_SHOW_VAR || ast->kind == AST_LOCK_TABLE;
    if (ast->kind == AST_EXPLAIN) {
        st->explain_target = ast->u.explain->stmt;
        st->ncols = 1;
        st->names = explain_names;
        if (ast->u.explain->analyze && !is_query(st->explain_target->kind))
            st->readonly = 0;
    } else if (ast->kind == AST_EXECUTE) {
        sql_prepared *p = prepared_find(s, ast->u.execute->name);
        if (!p) {
            nq_err_set(e, NQ_ESCHEMA, "prepared statement \"%s\" does not exist", ast->u.execute->name);
            sql_finalize(st);
            return e->code;
        }
        st->ncols = p->st->ncols;
        st->names = p->st->names;
        st->readonly = p->st->readonly;
    } else if (ast->kind == AST_PREPARE || ast->kind == AST_DEALLOCATE) {
        st->readonly = 1;
    } else if (ast->kind == AST_SHOW_TABLES) {
        st->ncols = 1;
        st->names = show_names;
    } else if (ast->kind == AST_SHOW_VAR) {
        const char **nm = ast_alloc(a, sizeof *nm);
        if (!nm) {
            sql_finalize(st);
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        }
        nm[0] = ast->u.name;
        st->ncols = 1;
        st->names = nm;
    } else if (ast->kind == AST_DESCRIBE) {
        st->ncols = 5;
        st->names = describe_names;
    } else if (ast->kind == AST_LEARN_PATTERN || ast->kind == AST_ADAPT_WEIGHTS) {
        st->names = ast->kind == AST_LEARN_PATTERN ? nm_learn_cols(ast->u.ext, &st->ncols) : nm_adapt_cols(&st->ncols);
    } else if (ast->kind == AST_COMPRESS_TABLE || ast->kind == AST_DECOMPRESS_TABLE) {
        st->ncols = XC_COMPRESS_NCOLS;
        st->names = (const char **)xc_compress_names;
    } else if (ast->kind == AST_SHOW_COMPRESSION) {
        st->ncols = XC_STATS_NCOLS;
        st->names = (const char **)xc_stats_names;
    } else if (ast->kind == AST_SYNAPTIC_OPTIMIZE) {
        st->ncols = 5;
        st->names = (const char **)wls_optimize_cols;
    } else if (ast->kind == AST_VACUUM) {
        st->ncols = XV_NCOLS;
        st->names = (const char **)xv_names;
    }
    const ast_stmt *target = st->explain_target ? st->explain_target : ast;
    if (needs_plan(target)) {
        size_t mark;
        rc = sess_stmt_begin(s, 0, &mark, e);
        if (rc == 0) {
            rc = ensure_compiled(st, e);
            int rc2 = sess_stmt_end(s, mark, rc == 0, e);
            if (rc == 0)
                rc = rc2;
        }
        if (rc < 0) {
            *line = st->c.eline;
            *col = st->c.ecol;
            sql_finalize(st);
            return rc;
        }
        if (st->c.nm_fb && !st->explain_target)
            st->readonly = 0; /* NEUROMATCH feedback writes what it learned */
    }
    *out = st;
    return 0;
}

/* ---- buffered rows ---------------------------------------------------------------------- */
static int buf_row(sql_stmt *st, const sqlv *vals, int n, nq_err *e)
{
    if (st->nrows == st->rowcap) {
        size_t nc = st->rowcap ? st->rowcap * 2 : 16;
        sqlv *nr = realloc(st->rows, nc * (size_t)n * sizeof(sqlv));
        if (!nr)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        st->rows = nr;
        st->rowcap = nc;
    }
    st->roww = n;
    int rc = rows_copy(vals, n, st->rows + st->nrows * (size_t)n, e);
    if (rc == 0)
        st->nrows++;
    return rc;
}

static int buf_text(sql_stmt *st, const char *s, nq_err *e)
{
    sqlv v = sqlv_text(s, strlen(s));
    return buf_row(st, &v, 1, e);
}

static void buf_clear(sql_stmt *st)
{
    if (st->rows)
        rows_clear(st->rows, (int)(st->nrows * (size_t)st->roww));
    free(st->rows);
    st->rows = NULL;
    st->nrows = st->rowcap = st->pos = 0;
}

/* ---- running ---------------------------------------------------------------------------- */
static int setup_env(sql_stmt *st, nq_err *e)
{
    xenv *x = &st->x;
    x->s = st->s;
    free(x->slot);
    x->nslots = st->c.nslots;
    x->slot = calloc((size_t)x->nslots + 1, sizeof(sqlv *));
    if (!x->slot)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    x->params = st->params;
    x->nparams = st->nparams;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    x->fcx.now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (!x->fcx.rng) {
        uint64_t seed;
        if (nq_os_random(&seed, sizeof seed) < 0)
            seed = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)st;
        nq_rng_seed(&x->rng, seed);
        x->fcx.rng = &x->rng;
    }
    plan_reset(st);
    return 0;
}

static int show_tables(sql_stmt *st, nq_err *e)
{
    catalog *c = st->s->cat;
    /* names in order */
    int n = c->ntables + c->nviews;
    const char **v = calloc((size_t)n + 1, sizeof *v);
    if (!v)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int k = 0;
    for (int i = 0; i < c->ntables; i++)
        v[k++] = c->tables[i]->name;
    for (int i = 0; i < c->nviews; i++)
        v[k++] = c->views[i]->name;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            const char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    int rc = 0;
    for (int i = 0; i < k && rc == 0; i++)
        rc = buf_text(st, v[i], e);
    free(v);
    return rc;
}

static int describe(sql_stmt *st, nq_err *e)
{
    const char *name = st->ast->qname.name ? st->ast->qname.name : st->ast->u.name;
    cat_table *t = name ? cat_table_find(st->s->cat, name) : NULL;
    if (!t)
        return nq_err_set(e, NQ_ESCHEMA, "no such table: %s", name ? name : "");
    for (int i = 0; i < t->ncols; i++) {
        cat_column *col = &t->cols[i];
        char key[32] = "";
        if (col->pk)
            snprintf(key, sizeof key, "PRI");
        else
            for (int x = 0; x < t->nidx; x++)
                if (t->idx[x]->unique && t->idx[x]->ncols == 1 && t->idx[x]->cols[0] == i)
                    snprintf(key, sizeof key, "UNI");
        char *dflt = col->dflt ? ast_expr_to_sql(st->a, col->dflt) : NULL;
        sqlv row[5] = {sqlv_text(col->name, strlen(col->name)),
                       col->decl ? sqlv_text(col->decl, strlen(col->decl)) : sqlv_null(),
                       sqlv_text(col->notnull ? "NO" : "YES", col->notnull ? 2 : 3),
                       sqlv_text(key, strlen(key)),
                       dflt ? sqlv_text(dflt, strlen(dflt)) : sqlv_null()};
        int rc = buf_row(st, row, 5, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* REINDEX: empty an index and build it again from its table. */
static int rebuild_index(sql_session *ss, cat_index *ix, nq_err *e)
{
    nq_cursor *cur;
    int rc = nq_cursor_open(ix->handle, &cur);
    if (rc < 0)
        return nq_err_set(e, rc, "REINDEX %s: %s", ix->name, nq_errmsg(ss->db));
    /* collect the keys first: deleting under the cursor would skip entries */
    uint8_t **keys = NULL;
    size_t *lens = NULL, n = 0, cap = 0;
    for (rc = nq_cursor_first(cur); rc == 0; rc = nq_cursor_next(cur)) {
        size_t kl;
        const void *k = nq_cursor_key(cur, &kl);
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            uint8_t **nk = realloc(keys, nc * sizeof *nk);
            size_t *nl = nk ? realloc(lens, nc * sizeof *nl) : NULL;
            if (nk)
                keys = nk;
            if (!nk || !nl) {
                rc = NQ_ENOMEM;
                break;
            }
            lens = nl;
            cap = nc;
        }
        if (!(keys[n] = malloc(kl ? kl : 1))) {
            rc = NQ_ENOMEM;
            break;
        }
        memcpy(keys[n], k, kl);
        lens[n++] = kl;
    }
    nq_cursor_close(cur);
    if (rc == NQ_ENOTFOUND)
        rc = 0;
    if (rc < 0)
        rc = nq_err_set(e, rc, "REINDEX %s: %s", ix->name, nq_strerror(rc));
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = tw_del(ss, ix->handle, keys[i], lens[i], e);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    free(lens);
    return rc < 0 ? rc : tw_index_build(ss, ix, e);
}

static int reindex(sql_session *ss, const char *name, nq_err *e)
{
    catalog *c = ss->cat;
    int rc = 0;
    if (!name) {
        for (int i = 0; i < c->ntables && rc == 0; i++)
            for (int k = 0; k < c->tables[i]->nidx && rc == 0; k++)
                rc = rebuild_index(ss, c->tables[i]->idx[k], e);
        return rc;
    }
    cat_index *ix = cat_index_find(c, name);
    if (ix)
        return rebuild_index(ss, ix, e);
    cat_table *t = cat_table_find(c, name);
    if (!t)
        return nq_err_set(e, NQ_ESCHEMA, "no such index or table: %s", name);
    for (int k = 0; k < t->nidx && rc == 0; k++)
        rc = rebuild_index(ss, t->idx[k], e);
    return rc;
}

static int run_query_to_end(sql_stmt *st, nq_err *e)
{
    int rc = op_open(st->q.plan, &st->x, e);
    while (rc >= 0) {
        rc = op_next(st->q.plan, &st->x, e);
        if (rc <= 0)
            break;
    }
    op_close(st->q.plan, &st->x);
    return rc < 0 ? rc : 0;
}

static int explain(sql_stmt *st, nq_err *e)
{
    const ast_explain *ex = st->ast->u.explain;
    int json = ex->format && !strcasecmp(ex->format, "JSON");
    if (ex->format && !json && strcasecmp(ex->format, "TEXT"))
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: EXPLAIN (FORMAT %s)", ex->format);
    op *plan = is_query(st->explain_target->kind) ? st->q.plan : st->dml ? st->dml->src : NULL;
    if (!plan)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: EXPLAIN of %s", ast_stmt_name(st->explain_target->kind));
    int rc = 0;
    if (ex->analyze) {
        rc = setup_env(st, e);
        if (rc < 0)
            return rc;
        st->x.timing = 1;
        if (is_query(st->explain_target->kind))
            rc = run_query_to_end(st, e);
        else {
            dml_out o = {0};
            rc = dml_run(st->dml, &st->x, &o, e);
            if (o.rows)
                rows_clear(o.rows, (int)(o.n * (size_t)st->dml->nret));
            free(o.rows);
        }
        st->x.timing = 0;
        if (rc < 0)
            return rc;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (json) {
        rc = op_explain_json(plan, ex->analyze, &buf, &len, &cap);
        if (rc == 0)
            rc = buf_text(st, buf, e);
        else
            rc = nq_err_set(e, rc, "out of memory");
        free(buf);
        return rc;
    }
    rc = op_explain(plan, 0, ex->analyze, &buf, &len, &cap);
    if (rc < 0) {
        free(buf);
        return nq_err_set(e, rc, "out of memory");
    }
    char *p = buf;
    while (p && *p && rc == 0) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        rc = buf_text(st, p, e);
        p = nl ? nl + 1 : NULL;
    }
    free(buf);
    return rc;
}

static int do_prepare(sql_stmt *st, nq_err *e)
{
    const ast_prepare *pr = st->ast->u.prepare;
    sql_session *ss = st->s;
    if (prepared_find(ss, pr->name))
        return nq_err_set(e, NQ_EEXIST, "prepared statement \"%s\" already exists", pr->name);
    const ast_stmt *inner = pr->stmt;
    if (inner->kind == AST_PREPARE || inner->kind == AST_EXECUTE || inner->kind == AST_DEALLOCATE)
        return nq_err_set(e, NQ_ESYNTAX, "PREPARE cannot hold %s", ast_stmt_name(inner->kind));
    sql_stmt *in = NULL;
    unsigned l, c;
    /* the inner statement runs to the end of the PREPARE statement's text */
    size_t len = (size_t)(st->ast->sql + st->ast->sql_len - inner->sql);
    int rc = sql_prepare(ss, inner->sql, len, &in, NULL, e, &l, &c);
    if (rc < 0)
        return rc;
    if (!in)
        return nq_err_set(e, NQ_ESYNTAX, "PREPARE needs a statement");
    sql_prepared *p = calloc(1, sizeof *p);
    if (!p || !(p->name = strdup(pr->name))) {
        free(p);
        sql_finalize(in);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    p->st = in;
    p->next = ss->prepared;
    ss->prepared = p;
    ss->free_prepared = prepared_free_all;
    return 0;
}

/* EXECUTE name(args): bind the arguments (evaluated as constant expressions), run the kept
 * statement, and hand its rows out as this statement's. */
static int do_execute(sql_stmt *st, nq_err *e)
{
    const ast_execute *ex = st->ast->u.execute;
    sql_prepared *p = prepared_find(st->s, ex->name);
    if (!p)
        return nq_err_set(e, NQ_ESCHEMA, "prepared statement \"%s\" does not exist", ex->name);
    sql_stmt *in = p->st;
    if (ex->args.n != in->c.nparams)
        return nq_err_set(e, NQ_ESCHEMA, "wrong number of parameters for prepared statement \"%s\": expected %d, got %d",
                          ex->name, in->c.nparams, ex->args.n);
    sql_reset(in);
    cc tmp = {0};
    tmp.a = st->a;
    tmp.s = st->s;
    tmp.cat = st->s->cat;
    tmp.e = e;
    int rc = 0;
    xenv x = {0};
    x.s = st->s;
    for (int i = 0; i < ex->args.n && rc == 0; i++) {
        bx *b;
        sqlv v;
        rc = cc_expr(&tmp, NULL, ex->args.v[i], &b);
        if (rc == 0 && tmp.nslots)
            rc = nq_err_set(e, NQ_ESCHEMA, "EXECUTE arguments must be constant expressions");
        if (rc == 0)
            rc = ev(b, &x, &v, e);
        if (rc == 0) {
            rc = sql_bind(in, i + 1, &v, e);
            sqlv_clear(&v);
        }
    }
    cc_release(&tmp);
    while (rc == 0) {
        int r = sql_step(in, e);
        if (r == NQ_ROW) {
            rc = buf_row(st, in->cur, in->ncols, e);
            continue;
        }
        if (r < 0)
            rc = r;
        break;
    }
    sql_reset(in);
    return rc;
}

/* CREATE TABLE name AS query: run the query, create the table with the query's column names
 * and, for types, the type of each column's first non-NULL value (no declared type when a
 * column is all NULL), then insert the rows. */
static int ctas(sql_stmt *st, nq_err *e)
{
    const ast_create_table *ct = st->ast->u.create_table;
    sql_session *ss = st->s;
    if (cat_table_find(ss->cat, ct->name.name) || cat_view_find(ss->cat, ct->name.name))
        return ct->if_not_exists ? 0 : nq_err_set(e, NQ_EEXIST, "table %s already exists", ct->name.name);
    if (ct->cols.n || ct->cons.n)
        return nq_err_set(e, NQ_ESYNTAX, "CREATE TABLE ... AS takes its columns from the query");
    cc tmp = {0};
    tmp.a = st->a;
    tmp.s = ss;
    tmp.cat = ss->cat;
    tmp.e = e;
    cc_query q = {0};
    int rc = cc_query_compile(&tmp, NULL, ct->as_select, &q);
    xenv x = {0};
    sqlv *rows = NULL;
    size_t n = 0, cap = 0;
    if (rc == 0) {
        x.s = ss;
        x.nslots = tmp.nslots;
        x.slot = calloc((size_t)tmp.nslots + 1, sizeof(sqlv *));
        if (!x.slot)
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        x.fcx.rng = &x.rng;
        nq_rng_seed(&x.rng, (uint64_t)time(NULL));
    }
    if (rc == 0)
        rc = op_open(q.plan, &x, e);
    while (rc >= 0) {
        rc = op_next(q.plan, &x, e);
        if (rc <= 0)
            break;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            sqlv *nr = realloc(rows, nc * (size_t)(q.ncols + 1) * sizeof(sqlv));
            if (!nr) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            rows = nr;
            cap = nc;
        }
        rc = rows_copy(x.slot[q.slot], q.ncols, rows + n * (size_t)(q.ncols + 1), e);
        if (rc == 0)
            rows[n++ * (size_t)(q.ncols + 1) + (size_t)q.ncols] = sqlv_null();
    }
    if (q.plan && x.slot)
        op_close(q.plan, &x);
    /* the definition */
    ast_create_table *def = NULL;
    if (rc >= 0) {
        rc = 0;
        def = ast_alloc(st->a, sizeof *def);
        if (!def)
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        else {
            *def = *ct;
            def->as_select = NULL;
            memset(&def->cols, 0, sizeof def->cols);
        }
        for (int i = 0; i < q.ncols && rc == 0; i++) {
            ast_column_def *cd = ast_alloc(st->a, sizeof *cd);
            if (!cd || !q.names[i]) {
                rc = cd ? nq_err_set(e, NQ_ESCHEMA, "column %d of the query needs a name (AS name)", i + 1)
                        : nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            cd->name = q.names[i];
            for (size_t r = 0; r < n; r++) {
                const sqlv *v = &rows[r * (size_t)(q.ncols + 1) + (size_t)i];
                if (v->type == SQLV_NULL)
                    continue;
                static const char *const tn[] = {[SQLV_INT] = "INTEGER", [SQLV_REAL] = "REAL",
                    [SQLV_TEXT] = "TEXT", [SQLV_BLOB] = "BLOB", [SQLV_BOOL] = "BOOLEAN",
                    [SQLV_DATE] = "DATE", [SQLV_TIME] = "TIME", [SQLV_TIMESTAMP] = "TIMESTAMP",
                    [SQLV_VECTOR] = "NEURAL_VECTOR"};
                ast_type *ty = ast_alloc(st->a, sizeof *ty);
                if (!ty) {
                    rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                    break;
                }
                ty->name = tn[v->type];
                cd->type = ty;
                break;
            }
            if (rc == 0 && ast_list_push(st->a, &def->cols, cd) < 0)
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        }
    }
    if (rc == 0)
        rc = cat_create_table(ss, def, e);
    cat_table *t = rc == 0 ? cat_table_find(ss->cat, def->name.name) : NULL;
    if (rc == 0 && !t)
        rc = nq_err_set(e, NQ_ERROR, "internal error: the new table %s is not in the catalog", def->name.name);
    for (size_t r = 0; r < n && rc == 0; r++) {
        sqlv *row = rows + r * (size_t)(q.ncols + 1);
        for (int i = 0; i < t->ncols && rc == 0; i++)
            if (row[i].type != SQLV_NULL && t->cols[i].type != SQLV_NULL && row[i].type != t->cols[i].type) {
                sqlv cv;
                rc = sqlv_cast(&row[i], t->cols[i].type, &cv, e);
                if (rc == 0 && cv.p != row[i].p) {
                    sqlv_clear(&row[i]);
                    row[i] = cv;
                }
            }
        int64_t rowid = 0;
        if (rc == 0)
            rc = tw_insert(ss, t, row, 0, &rowid, TW_ABORT, NULL, e);
    }
    if (rc == 0)
        ss->changes = (int64_t)n;
    if (rows)
        rows_clear(rows, (int)(n * (size_t)(q.ncols + 1)));
    free(rows);
    free(x.slot);
    cc_release(&tmp);
    return rc;
}

/* A query with NEUROMATCH feedback (neuromatch_plan.h): in a write bracket, run it to the end
 * buffering its rows, then strengthen the associations of exactly the rows it returned. */
static int query_with_feedback(sql_stmt *st, nq_err *e)
{
    size_t mark;
    int rc = sess_stmt_begin(st->s, SESS_WRITE, &mark, e);
    if (rc < 0)
        return rc;
    rc = ensure_compiled(st, e);
    if (rc == 0)
        rc = setup_env(st, e);
    nm_hit *hits = NULL;
    size_t n = 0, cap = 0;
    const nm_fb *fb = st->c.nm_fb;
    if (rc == 0 && fb) {
        rc = op_open(st->q.plan, &st->x, e);
        while (rc >= 0) {
            rc = op_next(st->q.plan, &st->x, e);
            if (rc <= 0)
                break;
            const sqlv *row = st->x.slot[st->q.slot];
            if ((rc = buf_row(st, row, st->ncols, e)) < 0)
                break;
            if (row[fb->rowcol].type != SQLV_INT || row[fb->scorecol].type != SQLV_REAL)
                continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                nm_hit *nh = realloc(hits, nc * sizeof *nh);
                if (!nh) {
                    rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                    break;
                }
                hits = nh;
                cap = nc;
            }
            hits[n++] = (nm_hit){row[fb->rowcol].i, row[fb->scorecol].r};
        }
        op_close(st->q.plan, &st->x);
        if (rc == 0)
            rc = nm_fb_apply(st->s, fb, hits, n, e);
    }
    free(hits);
    if (rc < 0)
        buf_clear(st);
    int rc2 = sess_stmt_end(st->s, mark, rc == 0, rc < 0 ? NULL : e);
    if (rc == 0 && rc2 < 0) {
        buf_clear(st);
        rc = rc2;
    }
    return rc;
}

/* LEARN PATTERN / ADAPT WEIGHTS hand their result row here (exec_learn.h). */
static int emit_row(void *arg, const sqlv *row, int n, nq_err *e) { return buf_row(arg, row, n, e); }

/* LOCK TABLE: inside a transaction block, every table must exist; modes stronger than ROW
 * EXCLUSIVE are writes for a READ ONLY transaction (PostgreSQL's rule). An exclusive
 * transaction holds the database alone already: nothing to take. */
static int lock_table(sql_stmt *st, nq_err *e)
{
    sql_session *ss = st->s;
    const ast_lock_table *l = st->ast->u.lock;
    sess_sync_txn(ss);
    if (!ss->explicit_txn && !ss->txn_lost)
        return nq_err_set(e, NQ_EMISUSE, "LOCK TABLE can only be used in transaction blocks");
    int mode = txs_lock_mode(l->mode);
    if (ss->txn_ro && mode > NQ_LOCK_ROW_EXCLUSIVE)
        return nq_err_set(e, NQ_EREADONLY, "cannot execute LOCK TABLE in a read-only transaction");
    size_t mark;
    int rc = sess_stmt_begin(ss, SESS_READ, &mark, e);
    if (rc < 0)
        return rc;
    for (int i = 0; i < l->tables.n && rc == 0; i++) {
        const ast_qname *q = l->tables.v[i];
        cat_table *t = cat_table_find(ss->cat, q->name);
        if (!t)
            rc = nq_err_set(e, NQ_ESCHEMA, "no such table: %s", q->name);
        else
            rc = sess_lock_table(ss, t->name, mode | (l->nowait ? NQ_LOCK_NOWAIT : 0), e);
    }
    int rc2 = sess_stmt_end(ss, mark, rc == 0, rc < 0 ? NULL : e);
    return rc < 0 ? rc : rc2;
}

/* How many times a READ COMMITTED statement is restarted after NQ_ECONFLICT before it fails
 * with NQ_ESERIALIZE. */
#define SQL_MAX_RESTARTS 16

static int run_bracket(sql_stmt *st, nq_err *e);

/* Statements that run completely in the first step. */
static int run_once(sql_stmt *st, nq_err *e)
{
    const ast_stmt *s = st->ast;
    sql_session *ss = st->s;
    switch (s->kind) {
    case AST_BEGIN: return sess_begin_modes(ss, s->u.txn, e);
    case AST_SET_TRANSACTION: return txs_set_transaction(ss, s->u.txn, e);
    case AST_SET_VAR: return txs_set_var(ss, s->u.setvar, e);
    case AST_SHOW_VAR: {
        char v[64];
        int rc = txs_show(ss, s->u.name, v, sizeof v, e);
        return rc < 0 ? rc : buf_text(st, v, e);
    }
    case AST_LOCK_TABLE: return lock_table(st, e);
    case AST_COMMIT: return sess_commit(ss, e);
    case AST_ROLLBACK:
        if (s->u.txn && s->u.txn->savepoint)
            return sess_rollback_to(ss, s->u.txn->savepoint, e);
        return sess_rollback(ss, e);
    case AST_SAVEPOINT: return sess_savepoint(ss, s->u.txn->savepoint, e);
    case AST_RELEASE: return sess_release(ss, s->u.txn->savepoint, e);
    case AST_PREPARE: return do_prepare(st, e);
    case AST_EXECUTE: return do_execute(st, e);
    case AST_DEALLOCATE: return prepared_drop(ss, s->u.name, e);
    case AST_VACUUM: return xv_vacuum(ss, s->u.ext, emit_row, st, e); /* outside any txn */
    default: break;
    }
    /* READ COMMITTED: a row the statement wrote or locked was changed by a transaction that
     * committed after the statement's snapshot. The statement was undone (its bracket failed);
     * run it again from the start on a new snapshot (the bracket takes one), a bounded number
     * of times. */
    for (int attempt = 0;; attempt++) {
        int rc = run_bracket(st, e);
        if (rc != NQ_ECONFLICT)
            return rc;
        if (attempt == SQL_MAX_RESTARTS)
            return sess_txn_abort(ss, NQ_ESERIALIZE, e,
                                  "could not serialize access: the statement was restarted %d times "
                                  "after concurrent updates of the rows it writes",
                                  SQL_MAX_RESTARTS);
    }
}

/* The bracketed part of run_once: one run of a statement. */
static int run_bracket(sql_stmt *st, nq_err *e)
{
    const ast_stmt *s = st->ast;
    sql_session *ss = st->s;
    /* rows only (they may run in a concurrent transaction), or the schema and trees (the
     * exclusive writer). SYNAPTIC_OPTIMIZE, which every connection runs now and then after a
     * statement (workload_sql.c), writes one key of the workload tree: as a concurrent
     * transaction that key is known to the engine, where an exclusive commit of SQL would make
     * every open snapshot conflict on every key; when it does create an index, the engine
     * turns it exclusive at the tree's creation. */
    const ast_stmt *w = st->explain_target ? st->explain_target : s;
    int write = st->readonly ? SESS_READ
                : w->kind == AST_INSERT || w->kind == AST_UPDATE || w->kind == AST_DELETE ||
                        w->kind == AST_SYNAPTIC_OPTIMIZE
                    ? SESS_WRITE
                    : SESS_DDL;
    size_t mark;
    int rc = sess_stmt_begin(ss, write, &mark, e);
    if (rc < 0)
        return rc;
    rc = ensure_compiled(st, e);
    if (rc == 0) {
        switch (s->kind) {
        case AST_INSERT:
        case AST_UPDATE:
        case AST_DELETE: {
            rc = setup_env(st, e);
            if (rc < 0)
                break;
            dml_out o = {0};
            rc = dml_run(st->dml, &st->x, &o, e);
            if (rc == 0) {
                ss->changes = o.changes;
                for (size_t i = 0; i < o.n && rc == 0; i++)
                    rc = buf_row(st, o.rows + i * (size_t)st->dml->nret, st->dml->nret, e);
            }
            if (o.rows)
                rows_clear(o.rows, (int)(o.n * (size_t)st->dml->nret));
            free(o.rows);
            break;
        }
        case AST_CREATE_TABLE:
            if (s->u.create_table->as_select)
                rc = ctas(st, e);
            else
                rc = cat_create_table(ss, s->u.create_table, e);
            break;
        case AST_CREATE_INDEX:
            if (s->u.create_index->neuromorphic && s->u.create_index->options.n)
                rc = nq_err_set(e, NQ_ENOTSUP, "not supported yet: CREATE NEUROMORPHIC INDEX ... WITH %s (the learning is set for the database: SYNAPTIC_OPTIMIZE WITH ...)",
                                ((const ast_option *)s->u.create_index->options.v[0])->name);
            else
                rc = cat_create_index(ss, s->u.create_index, e);
            if (rc == 0 && s->u.create_index->neuromorphic && wls_reconcile(ss) < 0)
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            break;
        case AST_CREATE_VIEW: {
            /* the query must compile now */
            cc tmp = {0};
            tmp.a = st->a;
            tmp.s = ss;
            tmp.cat = ss->cat;
            tmp.e = e;
            cc_query q;
            rc = cc_query_compile(&tmp, NULL, s->u.create_view->query, &q);
            if (rc == 0 && s->u.create_view->cols.n && s->u.create_view->cols.n != q.ncols)
                rc = nq_err_set(e, NQ_ESCHEMA, "view %s has %d columns but its query returns %d",
                                s->u.create_view->name.name, s->u.create_view->cols.n, q.ncols);
            cc_release(&tmp);
            if (rc == 0)
                rc = cat_create_view(ss, s->u.create_view, e);
            break;
        }
        case AST_DROP:
            if (s->u.drop->what == AST_OBJ_TRIGGER)
                rc = nq_err_set(e, NQ_ENOTSUP, "not supported yet: triggers");
            else
                rc = cat_drop(ss, s->u.drop, e);
            break;
        case AST_ALTER_TABLE: rc = cat_alter_table(ss, s->u.alter, e); break;
        case AST_TRUNCATE: {
            cat_table *t = cat_table_find(ss->cat, s->u.truncate->table.name);
            int64_t n = 0;
            if (!t)
                rc = nq_err_set(e, NQ_ESCHEMA, "no such table: %s", s->u.truncate->table.name);
            else if (fk_is_referenced(ss->cat, t))
                rc = nq_err_set(e, NQ_ECONSTRAINT, "cannot truncate a table referenced in a foreign key constraint (%s); delete its rows instead",
                                t->name);
            else
                rc = tw_truncate(ss, t, &n, e);
            ss->changes = n;
            break;
        }
        case AST_ANALYZE: rc = cat_analyze(ss, st->ast->qname.name, e); break;
        case AST_SHOW_TABLES: rc = show_tables(st, e); break;
        case AST_DESCRIBE: rc = describe(st, e); break;
        case AST_EXPLAIN: rc = explain(st, e); break;
        case AST_CREATE_TRIGGER: rc = nq_err_set(e, NQ_ENOTSUP, "not supported yet: triggers"); break;
        case AST_REINDEX: rc = reindex(ss, st->ast->qname.name, e); break;
        case AST_LEARN_PATTERN: rc = nm_learn_pattern(ss, s->u.ext, emit_row, st, e); break;
        case AST_ADAPT_WEIGHTS: rc = nm_adapt_weights(ss, s->u.ext, emit_row, st, e); break;
        case AST_COMPRESS_TABLE:
        case AST_DECOMPRESS_TABLE:
            rc = xc_compress_table(ss, s->u.ext, s->kind == AST_DECOMPRESS_TABLE, emit_row, st, e);
            break;
        case AST_SHOW_COMPRESSION: rc = xc_show_stats(ss, s->u.ext, emit_row, st, e); break;
        case AST_SYNAPTIC_OPTIMIZE: rc = wls_synaptic_optimize(ss, s->u.ext, emit_row, st, e); break;
        default:
            rc = nq_err_set(e, NQ_ENOTSUP, "not supported yet: %s", ast_stmt_name(s->kind));
            break;
        }
    }
    if (rc < 0)
        buf_clear(st);
    int rc2 = sess_stmt_end(ss, mark, rc == 0, e);
    if (rc == 0 && rc2 < 0) {
        buf_clear(st);
        rc = rc2;
    }
    return rc;
}

/* A query (SELECT ... FOR UPDATE under READ COMMITTED) met a row changed after its snapshot;
 * its bracket is closed. Before the first row went to the caller it starts again on a new
 * snapshot; after, it cannot take back what it returned and fails. */
static int query_conflict(sql_stmt *st, nq_err *e)
{
    if (st->nout == 0 && st->restarts < SQL_MAX_RESTARTS) {
        st->restarts++;
        st->state = 0;
        return sql_step(st, e);
    }
    if (st->nout == 0)
        return sess_txn_abort(st->s, NQ_ESERIALIZE, e,
                              "could not serialize access: the query was restarted %d times after "
                              "concurrent updates of the rows it locks", SQL_MAX_RESTARTS);
    return sess_txn_abort(st->s, NQ_ESERIALIZE, e,
                          "could not serialize access: a row this query locks was changed by a "
                          "concurrent transaction after %llu row(s) had been returned, so the "
                          "query cannot start again; run it again",
                          (unsigned long long)st->nout);
}

static int step(sql_stmt *st, nq_err *e);

int sql_step(sql_stmt *st, nq_err *e)
{
    int rc = step(st, e);
    if (rc == NQ_ESERIALIZE || rc == NQ_EDEADLOCK || rc == NQ_ELOCKTIMEOUT)
        txs_name_objects(st->s, e); /* tables and key values, not storage trees */
    return rc;
}

static int step(sql_stmt *st, nq_err *e)
{
    int rc;
    switch (st->state) {
    case 0:
        sess_clear_interrupt(st->s);
        if (is_query(st->ast->kind) && st->c.nm_fb) {
            rc = query_with_feedback(st, e);
            if (rc < 0) {
                st->state = 3;
                return rc;
            }
            st->state = 2;
            st->pos = 0;
            return sql_step(st, e);
        }
        if (is_query(st->ast->kind)) {
            rc = sess_stmt_begin(st->s, SESS_READ, &st->mark, e);
            if (rc < 0)
                return rc;
            rc = ensure_compiled(st, e);
            if (rc == 0 && st->ast->kind == AST_SELECT && st->ast->u.select->locking.n &&
                st->s->explicit_txn && st->s->txn_ro)
                rc = nq_err_set(e, NQ_EREADONLY, "cannot execute SELECT %s in a read-only transaction",
                                ((const ast_locking *)st->ast->u.select->locking.v[0])->strength >= AST_LOCK_SHARE
                                    ? "FOR SHARE" : "FOR UPDATE");
            if (rc == 0)
                rc = setup_env(st, e);
            if (rc == 0)
                rc = op_open(st->q.plan, &st->x, e);
            if (rc < 0) {
                op_close(st->q.plan, &st->x);
                sess_stmt_end(st->s, st->mark, 0, NULL);
                st->state = 3;
                return rc == NQ_ECONFLICT ? query_conflict(st, e) : rc;
            }
            st->nout = 0;
            st->state = 1;
            return sql_step(st, e);
        }
        rc = run_once(st, e);
        if (rc < 0) {
            st->state = 3;
            return rc;
        }
        wls_observe(st->s, st->ast, st->text, strlen(st->text)); /* DML: learned */
        wls_after_stmt(st->s);
        st->state = 2;
        st->pos = 0;
        return sql_step(st, e);
    case 1:
        rc = op_next(st->q.plan, &st->x, e);
        if (rc == 1) {
            st->cur = st->x.slot[st->q.slot];
            st->nout++;
            return NQ_ROW;
        }
        op_close(st->q.plan, &st->x);
        st->state = 3;
        st->cur = NULL;
        {
            int rc2 = sess_stmt_end(st->s, st->mark, rc == 0, rc < 0 ? NULL : e);
            if (rc == 0 && rc2 < 0)
                rc = rc2;
        }
        if (rc == NQ_ECONFLICT)
            return query_conflict(st, e);
        if (rc == 0) { /* a query that ran to its end is learned (workload_sql.h) */
            wls_observe(st->s, st->ast, st->text, strlen(st->text));
            wls_after_stmt(st->s);
        }
        return rc < 0 ? rc : NQ_DONE;
    case 2:
        if (st->pos < st->nrows) {
            st->cur = st->rows + st->pos++ * (size_t)st->roww;
            return NQ_ROW;
        }
        st->state = 3;
        st->cur = NULL;
        return NQ_DONE;
    default:
        return NQ_DONE;
    }
}

int sql_reset(sql_stmt *st)
{
    st->restarts = 0;
    st->nout = 0;
    if (st->state == 1) {
        op_close(st->q.plan, &st->x);
        sess_stmt_end(st->s, st->mark, 1, NULL);
    }
    buf_clear(st);
    st->state = 0;
    st->cur = NULL;
    return 0;
}

void sql_finalize(sql_stmt *st)
{
    if (!st)
        return;
    sql_reset(st);
    cc_release(&st->c);
    free(st->x.slot);
    for (int i = 0; i < st->nparams; i++)
        sqlv_clear(&st->params[i]);
    free(st->params);
    ast_arena_free(st->a);
    free(st);
}

const char *sql_text(const sql_stmt *st) { return st->text; }
int sql_readonly(const sql_stmt *st) { return st->readonly; }

const char *sql_kind(const sql_stmt *st) { return ast_stmt_name(st->ast->kind); }

const char *sql_target_table(const sql_stmt *st)
{
    switch (st->ast->kind) {
    case AST_INSERT: return st->ast->u.insert->table.name;
    case AST_UPDATE: return st->ast->u.update->table.name;
    case AST_DELETE: return st->ast->u.del->table.name;
    case AST_TRUNCATE: return st->ast->u.truncate->table.name;
    default: return NULL;
    }
}
int sql_param_count(const sql_stmt *st) { return st->c.nparams; }

const char *sql_param_name(const sql_stmt *st, int i)
{
    if (i < 1 || i > st->c.nparams || !st->c.param_names)
        return NULL;
    return st->c.param_names[i - 1];
}

int sql_bind(sql_stmt *st, int i, const sqlv *v, nq_err *e)
{
    if (i < 1 || i > st->c.nparams)
        return nq_err_set(e, NQ_EINVAL, "parameter index %d out of range (the statement has %d)", i,
                          st->c.nparams);
    if (st->state == 1)
        return nq_err_set(e, NQ_EMISUSE, "cannot bind while the statement is running; reset it first");
    if (!st->params) {
        st->params = calloc((size_t)st->c.nparams, sizeof(sqlv));
        if (!st->params)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        st->nparams = st->c.nparams;
    }
    sqlv_clear(&st->params[i - 1]);
    return sqlv_copy(v, &st->params[i - 1], e);
}

void sql_clear_bindings(sql_stmt *st)
{
    for (int i = 0; i < st->nparams; i++)
        sqlv_clear(&st->params[i]);
}

int sql_column_count(const sql_stmt *st) { return st->ncols; }
const char *sql_column_name(const sql_stmt *st, int i)
{
    return i >= 0 && i < st->ncols && st->names ? st->names[i] : NULL;
}
const sqlv *sql_column(const sql_stmt *st, int i)
{
    return st->cur && i >= 0 && i < st->ncols ? &st->cur[i] : NULL;
}
sql_session *sql_stmt_session(const sql_stmt *st) { return st->s; }

static int count_full_scans(const op *o)
{
    if (!o)
        return 0;
    int n = 0;
    if (!strcmp(o->vt->name, "scan") && o->vt->describe) {
        char d[256];
        o->vt->describe(o, d, sizeof d);
        n = !strncmp(d, "SCAN ", 5);
    }
    for (int i = 0; i < o->nchild; i++)
        n += count_full_scans(o->child[i]);
    return n;
}

double sql_plan_cost(const sql_stmt *st, int *full_scans)
{
    const op *plan = !st->compiled ? NULL : st->dml ? st->dml->src : st->q.plan;
    if (full_scans)
        *full_scans = count_full_scans(plan);
    return plan ? plan->est_cost : -1;
}
