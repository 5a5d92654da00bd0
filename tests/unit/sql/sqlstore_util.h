/*
 * sqlstore_util.h — helpers shared by the catalog, table and session tests: open a fresh
 * database without fsyncs, run one DDL statement the way the executor will (parse, statement
 * bracket, catalog call, bracket end), insert and count rows.
 */
#ifndef NQ_TEST_SQLSTORE_UTIL_H
#define NQ_TEST_SQLSTORE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nqdb.h"
#include "sql/catalog.h"
#include "sql/parser.h"
#include "sql/record.h"
#include "sql/session.h"
#include "sql/tablerw.h"

static inline nq_db *open_db(const char *path, int fresh)
{
    if (fresh) {
        char wal[256];
        snprintf(wal, sizeof wal, "%s-wal", path);
        unlink(path);
        unlink(wal);
    }
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    nq_db *db = NULL;
    int rc = nq_open(path, &o, &db);
    if (rc) {
        fprintf(stderr, "nq_open: %d\n", rc);
        abort();
    }
    return db;
}

/* Run one DDL statement as the executor would; returns the code, message in *e. */
static inline int run_ddl(sql_session *s, const char *sql, nq_err *e)
{
    nq_err_clear(e);
    ast_arena *a = ast_arena_new();
    ast_stmt *st;
    int rc = parse_one(a, sql, strlen(sql), &st, e);
    if (rc) {
        ast_arena_free(a);
        return rc;
    }
    size_t mark;
    rc = sess_stmt_begin(s, SESS_DDL, &mark, e);
    if (rc) {
        ast_arena_free(a);
        return rc;
    }
    switch (st->kind) {
    case AST_CREATE_TABLE: rc = cat_create_table(s, st->u.create_table, e); break;
    case AST_CREATE_INDEX: rc = cat_create_index(s, st->u.create_index, e); break;
    case AST_CREATE_VIEW: rc = cat_create_view(s, st->u.create_view, e); break;
    case AST_DROP: rc = cat_drop(s, st->u.drop, e); break;
    case AST_ALTER_TABLE: rc = cat_alter_table(s, st->u.alter, e); break;
    case AST_ANALYZE: rc = cat_analyze(s, st->qname.name, e); break;
    default: rc = nq_err_set(e, NQ_EINVAL, "not a DDL statement");
    }
    nq_err e2;
    nq_err_clear(&e2);
    int rc2 = sess_stmt_end(s, mark, rc == 0, &e2);
    ast_arena_free(a);
    if (!rc && rc2) {
        *e = e2;
        rc = rc2;
    }
    return rc;
}

/* Must succeed; prints the message otherwise. */
#define DDL_OK(s, sql)                                                                      \
    do {                                                                                    \
        nq_err e_;                                                                          \
        int rc_ = run_ddl((s), (sql), &e_);                                                 \
        if (rc_)                                                                            \
            fprintf(stderr, "%s -> %d %s\n", (sql), rc_, e_.msg);                           \
        assert_int_equal(rc_, 0);                                                           \
    } while (0)

/* Must fail with this code and a message containing msg. */
#define DDL_FAIL(s, sql, code, want_)                                                         \
    do {                                                                                    \
        nq_err e_;                                                                          \
        int rc_ = run_ddl((s), (sql), &e_);                                                 \
        if (rc_ != (code) || !strstr(e_.msg, (want_)))                                        \
            fprintf(stderr, "%s -> %d '%s' (wanted %d '%s')\n", (sql), rc_, e_.msg, (code), \
                    (want_));                                                                 \
        assert_int_equal(rc_, (code));                                                      \
        assert_non_null(strstr(e_.msg, (want_)));                                             \
    } while (0)

static inline cat_table *table_of(sql_session *s, const char *name)
{
    nq_err e;
    if (sess_catalog(s, &e))
        return NULL;
    return cat_table_find(s->cat, name);
}

static inline cat_index *index_of(sql_session *s, const char *name)
{
    nq_err e;
    if (sess_catalog(s, &e))
        return NULL;
    return cat_index_find(s->cat, name);
}

/* Insert one row in its own statement; returns the code (1: ignored). */
static inline int insert_row(sql_session *s, const char *table, sqlv *row, int conflict,
                             int64_t *rowid, nq_err *e)
{
    size_t mark;
    nq_err_clear(e);
    int rc = sess_stmt_begin(s, 1, &mark, e);
    if (rc)
        return rc;
    cat_table *t = cat_table_find(s->cat, table);
    int64_t rid = 0;
    rc = t ? tw_insert(s, t, row, 0, &rid, conflict, NULL, e) : NQ_ESCHEMA;
    nq_err e2;
    sess_stmt_end(s, mark, rc >= 0, &e2);
    if (rowid)
        *rowid = rid;
    return rc;
}

/* Rows in a table (scan) and entries in each of its indexes must agree; returns the rows. */
static inline int64_t count_rows(sql_session *s, const char *table)
{
    size_t mark;
    nq_err e;
    if (sess_stmt_begin(s, 0, &mark, &e))
        return -1;
    cat_table *t = cat_table_find(s->cat, table);
    int64_t n = -1;
    if (t) {
        tw_scan *sc;
        sqlv *vals = calloc((size_t)t->ncols, sizeof *vals);
        n = 0;
        if (tw_scan_open(s, t, &sc, &e) == 0) {
            int64_t rid;
            while (tw_scan_next(sc, &rid, vals, &e) == 1)
                n++;
            tw_scan_close(sc);
        }
        free(vals);
        for (int i = 0; i < t->nidx; i++) {
            uint64_t c = 0;
            nq_tree_count(t->idx[i]->handle, &c);
            if ((int64_t)c != n)
                n = -2; /* an index disagrees with its table */
        }
    }
    sess_stmt_end(s, mark, 1, &e);
    return n;
}

#endif
