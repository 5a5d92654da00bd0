/*
 * engine.c — running one statement on NeuroQuantumDB or SQLite and normalizing the answer
 * (engine.h explains the value model).
 *
 * Both sides use the prepare/step/column interface, one statement per call, in autocommit
 * mode: the generator hands out single statements, and a statement that fails on one side
 * must not leave a transaction open that would change how the next one behaves. The nqdb
 * database is a real file (there is no in-memory mode) in a private mkdtemp directory, opened
 * without syncs; eng_reset() reopens both sides empty, which the minimizer does hundreds of
 * times, so it reuses the directory.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbuf.h"

static void remove_nq_files(eng_pair *p)
{
    char wal[700];
    snprintf(wal, sizeof wal, "%s-wal", p->path);
    unlink(p->path);
    unlink(wal);
}

static int open_both(eng_pair *p)
{
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.cache_bytes = 4u << 20;
    remove_nq_files(p);
    int rc = nq_open(p->path, &o, &p->nq);
    if (rc) {
        fprintf(stderr, "difftest: nq_open %s: %s\n", p->path,
                p->nq ? nq_errmsg(p->nq) : nq_strerror(rc));
        nq_close(p->nq);
        p->nq = NULL;
        return -1;
    }
    if (sqlite3_open(":memory:", &p->lite) != SQLITE_OK) {
        fprintf(stderr, "difftest: sqlite3_open: %s\n", sqlite3_errmsg(p->lite));
        sqlite3_close(p->lite);
        p->lite = NULL;
        nq_close(p->nq);
        p->nq = NULL;
        return -1;
    }
    return 0;
}

int eng_open(eng_pair *p, const char *base)
{
    memset(p, 0, sizeof *p);
    const char *tmp = base;
    if (!tmp || !*tmp)
        tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    snprintf(p->dir, sizeof p->dir, "%s/nqdb-diff-XXXXXX", tmp);
    if (!mkdtemp(p->dir)) {
        fprintf(stderr, "difftest: cannot make a temporary directory %s: %m\n", p->dir);
        return -1;
    }
    snprintf(p->path, sizeof p->path, "%s/diff.db", p->dir);
    if (open_both(p)) {
        rmdir(p->dir);
        return -1;
    }
    return 0;
}

static void close_both(eng_pair *p)
{
    if (p->nq)
        nq_close(p->nq);
    if (p->lite)
        sqlite3_close(p->lite);
    p->nq = NULL;
    p->lite = NULL;
    remove_nq_files(p);
}

void eng_close(eng_pair *p)
{
    close_both(p);
    if (p->dir[0])
        rmdir(p->dir);
    p->dir[0] = 0;
}

int eng_reset(eng_pair *p)
{
    close_both(p);
    return open_both(p);
}

/* ---- results --------------------------------------------------------------------------- */

typedef struct rowbuf {
    dval *v;
    size_t n, cap;
} rowbuf;

static dval *rb_push(rowbuf *b)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        dval *v = realloc(b->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "difftest: out of memory\n");
            abort();
        }
        b->v = v;
        b->cap = cap;
    }
    dval *d = &b->v[b->n++];
    memset(d, 0, sizeof *d);
    return d;
}

static void set_text(dval *d, const void *s, size_t n)
{
    d->t = DV_TEXT;
    d->s = malloc(n + 1);
    if (!d->s) {
        fprintf(stderr, "difftest: out of memory\n");
        abort();
    }
    if (n)
        memcpy(d->s, s, n);
    d->s[n] = 0;
    d->n = n;
}

void dres_free(dresult *r)
{
    if (r->v) {
        size_t total = r->nrows * (size_t)r->ncols;
        for (size_t i = 0; i < total; i++)
            free(r->v[i].s);
    }
    free(r->v);
    free(r->err);
    memset(r, 0, sizeof *r);
}

const dval *dres_at(const dresult *r, size_t row, int col)
{
    return &r->v[row * (size_t)r->ncols + (size_t)col];
}

static int run_nq(eng_pair *p, const char *sql, dresult *r)
{
    nq_stmt *st = NULL;
    rowbuf rb = {0};
    int rc = nq_prepare(p->nq, sql, (size_t)-1, &st, NULL);
    if (rc == NQ_OK && st) {
        r->ncols = nq_column_count(st);
        while ((rc = nq_step(st)) == NQ_ROW) {
            for (int c = 0; c < r->ncols; c++) {
                dval *d = rb_push(&rb);
                switch (nq_column_type(st, c)) {
                case NQ_TYPE_NULL: d->t = DV_NULL; break;
                case NQ_TYPE_INTEGER:
                case NQ_TYPE_BOOLEAN:
                    d->t = DV_INT;
                    d->i = nq_column_int64(st, c);
                    break;
                case NQ_TYPE_REAL:
                    d->t = DV_REAL;
                    d->r = nq_column_double(st, c);
                    break;
                case NQ_TYPE_TEXT:
                case NQ_TYPE_BLOB:
                    set_text(d, nq_column_blob(st, c), nq_column_bytes(st, c));
                    break;
                default: {
                    const char *s = nq_column_text(st, c);
                    set_text(d, s ? s : "", s ? strlen(s) : 0);
                    break;
                }
                }
            }
            r->nrows++;
        }
        if (rc == NQ_DONE)
            rc = NQ_OK;
    }
    if (rc < 0) {
        r->ok = 0;
        r->err = db_strdup(nq_errmsg(p->nq));
    } else {
        r->ok = 1;
        r->changes = nq_changes(p->nq);
    }
    nq_finalize(st);
    r->v = rb.v;
    if (!r->ok) { /* rows before an error are not an answer */
        for (size_t i = 0; i < rb.n; i++)
            free(rb.v[i].s);
        r->nrows = 0;
    }
    return r->ok;
}

static int run_lite(eng_pair *p, const char *sql, dresult *r)
{
    sqlite3_stmt *st = NULL;
    rowbuf rb = {0};
    int rc = sqlite3_prepare_v2(p->lite, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && st) {
        r->ncols = sqlite3_column_count(st);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (int c = 0; c < r->ncols; c++) {
                dval *d = rb_push(&rb);
                switch (sqlite3_column_type(st, c)) {
                case SQLITE_NULL: d->t = DV_NULL; break;
                case SQLITE_INTEGER:
                    d->t = DV_INT;
                    d->i = sqlite3_column_int64(st, c);
                    break;
                case SQLITE_FLOAT:
                    d->t = DV_REAL;
                    d->r = sqlite3_column_double(st, c);
                    break;
                default: {
                    const void *b = sqlite3_column_blob(st, c);
                    set_text(d, b, (size_t)sqlite3_column_bytes(st, c));
                    break;
                }
                }
            }
            r->nrows++;
        }
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        r->ok = 0;
        r->err = db_strdup(sqlite3_errmsg(p->lite));
    } else {
        r->ok = 1;
        r->changes = sqlite3_changes(p->lite);
    }
    sqlite3_finalize(st);
    r->v = rb.v;
    if (!r->ok) {
        for (size_t i = 0; i < rb.n; i++)
            free(rb.v[i].s);
        r->nrows = 0;
    }
    return r->ok;
}

int eng_run(eng_pair *p, eng_side side, const char *sql, dresult *r)
{
    memset(r, 0, sizeof *r);
    return side == ENG_NQ ? run_nq(p, sql, r) : run_lite(p, sql, r);
}

int eng_lite_exec(eng_pair *p, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(p->lite, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "difftest: sqlite: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int eng_lite_try(eng_pair *p, const char *sql)
{
    return sqlite3_exec(p->lite, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}
