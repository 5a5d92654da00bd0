/*
 * stepsched.c — see stepsched.h.
 *
 * One mutex guards the whole scheduler. Each connection has a thread that sleeps on its own
 * condition variable until the test hands it a job (a statement, or "close"); when the job is
 * done it records the result and signals the shared "finished" condition. The test's thread
 * waits on that condition in slices of SS_POLL_MS, and between slices asks the engine whether
 * the connection is blocked in a lock wait (nq_txn_info_get, which any thread may call): the
 * slices only bound how late a block is noticed, they never decide an outcome.
 */
#define _POSIX_C_SOURCE 200809L
#include "stepsched.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SS_POLL_MS 1

enum { ST_IDLE, ST_RUNNING, ST_DONE, ST_CLOSED };
enum { JOB_NONE, JOB_SQL, JOB_CLOSE };

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

typedef struct ss_conn {
    ss_sched *s;
    int idx;
    nq_db *db;
    pthread_t th;
    int started;
    pthread_cond_t job_cv;
    int job;       /* JOB_* handed over, taken by the thread */
    char *sql;     /* the statement (owned) */
    int state;     /* ST_* */
    int rc;
    sbuf rows;
    char msg[1024];
} ss_conn;

struct ss_sched {
    pthread_mutex_t mu;
    pthread_cond_t done_cv;
    int n;
    ss_conn c[SS_MAXCONN];
};

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort(); /* a test helper: out of memory is not a case to survive */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_clear(sbuf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = 0;
}

/* Run every statement of sql on db, rows into out; NQ_OK or the first error. */
static int run_sql(nq_db *db, const char *sql, sbuf *out)
{
    const char *tail = sql;
    int nrows = 0;
    sb_clear(out);
    sb_add(out, "", 0);
    while (tail && *tail) {
        nq_stmt *st = NULL;
        int rc = nq_prepare(db, tail, strlen(tail), &st, &tail);
        if (rc)
            return rc;
        if (!st)
            break;
        while ((rc = nq_step(st)) == NQ_ROW) {
            if (nrows++)
                sb_add(out, ";", 1);
            int nc = nq_column_count(st);
            for (int i = 0; i < nc; i++) {
                const char *v = nq_column_text(st, i);
                if (!v)
                    v = "NULL";
                if (i)
                    sb_add(out, ",", 1);
                sb_add(out, v, strlen(v));
            }
        }
        nq_finalize(st);
        if (rc != NQ_DONE)
            return rc;
    }
    return NQ_OK;
}

static void *conn_main(void *arg)
{
    ss_conn *c = arg;
    ss_sched *s = c->s;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (c->job == JOB_NONE)
            pthread_cond_wait(&c->job_cv, &s->mu);
        int job = c->job;
        c->job = JOB_NONE;
        pthread_mutex_unlock(&s->mu);
        if (job == JOB_CLOSE) {
            nq_close(c->db);
            pthread_mutex_lock(&s->mu);
            c->db = NULL;
            c->state = ST_CLOSED;
            pthread_cond_broadcast(&s->done_cv);
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
        sbuf rows = {0};
        int rc = run_sql(c->db, c->sql, &rows);
        pthread_mutex_lock(&s->mu);
        free(c->rows.p);
        c->rows = rows;
        c->rc = rc;
        c->msg[0] = 0;
        if (rc)
            snprintf(c->msg, sizeof c->msg, "%s", nq_errmsg(c->db));
        c->state = ST_DONE;
        pthread_cond_broadcast(&s->done_cv);
    }
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int conn_blocked(ss_conn *c)
{
    nq_txn_info info;
    return nq_txn_info_get(c->db, &info) == NQ_OK && info.waiting;
}

/* Called with s->mu held: wait one polling slice on done_cv. */
static void slice(ss_sched *s)
{
    struct timespec ts;
    deadline_in(&ts, SS_POLL_MS);
    int r = pthread_cond_timedwait(&s->done_cv, &s->mu, &ts);
    (void)r; /* ETIMEDOUT is the normal end of a slice */
}

ss_sched *ss_open(const char *path, const nq_options *opts, int nconn, char *why, size_t whylen)
{
    if (nconn < 1 || nconn > SS_MAXCONN) {
        snprintf(why, whylen, "ss_open: %d connections", nconn);
        return NULL;
    }
    ss_sched *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    for (int i = 0; i < nconn; i++) {
        ss_conn *c = &s->c[i];
        c->s = s;
        c->idx = i;
        pthread_cond_init(&c->job_cv, NULL);
        int rc = i == 0 ? nq_open(path, opts, &c->db) : nq_clone(s->c[0].db, &c->db);
        if (rc) {
            snprintf(why, whylen, "%s: %s", i == 0 ? "nq_open" : "nq_clone",
                     c->db ? nq_errmsg(c->db) : (i ? nq_errmsg(s->c[0].db) : nq_strerror(rc)));
            nq_close(c->db);
            c->db = NULL;
            s->n = i;
            ss_close(s);
            return NULL;
        }
        s->n = i + 1;
        if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
            snprintf(why, whylen, "pthread_create failed");
            ss_close(s);
            return NULL;
        }
        c->started = 1;
    }
    return s;
}

nq_db *ss_db(ss_sched *s, int conn) { return s->c[conn].db; }

int ss_running(ss_sched *s, int conn)
{
    pthread_mutex_lock(&s->mu);
    int r = s->c[conn].state == ST_RUNNING || s->c[conn].state == ST_DONE;
    pthread_mutex_unlock(&s->mu);
    return r;
}

int ss_rc(ss_sched *s, int conn) { return s->c[conn].rc; }
const char *ss_rows(ss_sched *s, int conn) { return s->c[conn].rows.p ? s->c[conn].rows.p : ""; }
const char *ss_msg(ss_sched *s, int conn) { return s->c[conn].msg; }

int ss_issue(ss_sched *s, int conn, const char *sql)
{
    ss_conn *c = &s->c[conn];
    pthread_mutex_lock(&s->mu);
    if (c->state != ST_IDLE || !c->started) {
        pthread_mutex_unlock(&s->mu);
        return -1;
    }
    free(c->sql);
    c->sql = strdup(sql);
    c->state = ST_RUNNING;
    c->job = JOB_SQL;
    pthread_cond_signal(&c->job_cv);
    double end = now_ms() + SS_SAFETY_MS;
    int ret = -1;
    for (;;) {
        if (c->state == ST_DONE) {
            ret = 1;
            break;
        }
        if (conn_blocked(c)) {
            ret = 0;
            break;
        }
        if (now_ms() > end)
            break;
        slice(s);
    }
    pthread_mutex_unlock(&s->mu);
    return ret;
}

int ss_finish(ss_sched *s, int conn)
{
    return ss_finish_any(s, &conn, 1) == conn ? 1 : -1;
}

int ss_finish_any(ss_sched *s, const int *conns, int n)
{
    pthread_mutex_lock(&s->mu);
    double end = now_ms() + SS_SAFETY_MS;
    int got = -1;
    for (;;) {
        int running = 0;
        for (int i = 0; i < n && got < 0; i++) {
            int st = s->c[conns[i]].state;
            if (st == ST_DONE)
                got = conns[i];
            running |= st == ST_RUNNING;
        }
        if (got >= 0 || !running || now_ms() > end)
            break;
        slice(s);
    }
    if (got >= 0)
        s->c[got].state = ST_IDLE; /* the result stays readable until the next statement */
    pthread_mutex_unlock(&s->mu);
    return got;
}

int ss_close(ss_sched *s)
{
    if (!s)
        return 0;
    int ret = 0;
    pthread_mutex_lock(&s->mu);
    /* interrupt what is blocked, close what is idle: that ends transactions and frees locks */
    for (int i = 0; i < s->n; i++) {
        ss_conn *c = &s->c[i];
        if (c->state == ST_RUNNING && c->db)
            nq_interrupt(c->db);
    }
    double end = now_ms() + SS_SAFETY_MS;
    for (;;) {
        int left = 0;
        for (int i = 0; i < s->n; i++) {
            ss_conn *c = &s->c[i];
            if (c->state == ST_CLOSED)
                continue;
            left++;
            if (!c->started) {
                nq_close(c->db);
                c->db = NULL;
                c->state = ST_CLOSED;
            } else if (c->state != ST_RUNNING && c->job != JOB_CLOSE) {
                c->job = JOB_CLOSE;
                pthread_cond_signal(&c->job_cv);
            }
        }
        if (!left)
            break;
        if (now_ms() > end) {
            ret = -1;
            break;
        }
        slice(s);
    }
    pthread_mutex_unlock(&s->mu);
    if (ret)
        return ret; /* threads still hold s: leak it rather than free it under them */
    for (int i = 0; i < s->n; i++) {
        ss_conn *c = &s->c[i];
        if (c->started)
            pthread_join(c->th, NULL);
        pthread_cond_destroy(&c->job_cv);
        free(c->sql);
        free(c->rows.p);
    }
    pthread_cond_destroy(&s->done_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return 0;
}

/* ---- scripts -------------------------------------------------------------------------------- */
const char *ss_expect_str(const ss_expect *e, char *buf, size_t n)
{
    switch (e->kind) {
    case SS_OK: snprintf(buf, n, "success"); break;
    case SS_ROWS: snprintf(buf, n, "rows [%s]", e->rows); break;
    case SS_ERR: snprintf(buf, n, "error %d (%s %s)", e->code, nq_sqlstate(e->code),
                          nq_strerror(e->code)); break;
    case SS_BLOCKS: snprintf(buf, n, "blocks"); break;
    case SS_NOTXN: snprintf(buf, n, "no open transaction"); break;
    default: snprintf(buf, n, "outcome kind %d", e->kind); break;
    }
    return buf;
}

static int failf(char *why, size_t whylen, size_t i, const ss_step *st, const char *fmt, ...)
{
    char exp[256];
    int off = snprintf(why, whylen, "step %zu (T%d: %s): expected %s, ", i + 1, st->conn + 1,
                       st->sql ? st->sql : "await the blocked statement",
                       ss_expect_str(&st->expect, exp, sizeof exp));
    if (off < 0 || (size_t)off >= whylen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + off, whylen - (size_t)off, fmt, ap);
    va_end(ap);
    return -1;
}

/* Compare a finished statement of conn with the expected outcome. */
static int check_done(ss_sched *s, size_t i, const ss_step *st, char *why, size_t whylen)
{
    int rc = ss_rc(s, st->conn);
    const char *rows = ss_rows(s, st->conn);
    const ss_expect *e = &st->expect;
    if (e->kind == SS_BLOCKS)
        return rc ? failf(why, whylen, i, st, "got error %d (%s): %s", rc, nq_sqlstate(rc),
                          ss_msg(s, st->conn))
                  : failf(why, whylen, i, st, "it finished with rows [%s]", rows);
    if (e->kind == SS_ERR) {
        if (rc == e->code)
            return 0;
        return rc ? failf(why, whylen, i, st, "got error %d (%s): %s", rc, nq_sqlstate(rc),
                          ss_msg(s, st->conn))
                  : failf(why, whylen, i, st, "it succeeded with rows [%s]", rows);
    }
    if (rc)
        return failf(why, whylen, i, st, "got error %d (%s): %s", rc, nq_sqlstate(rc),
                     ss_msg(s, st->conn));
    if (e->kind == SS_ROWS && strcmp(rows, e->rows) != 0)
        return failf(why, whylen, i, st, "got rows [%s]", rows);
    return 0;
}

int ss_run(ss_sched *s, const ss_step *steps, size_t n, char *why, size_t whylen)
{
    for (size_t i = 0; i < n; i++) {
        const ss_step *st = &steps[i];
        if (st->conn < 0 || st->conn >= s->n)
            return failf(why, whylen, i, st, "but the script names connection %d of %d",
                         st->conn, s->n);
        int running = ss_running(s, st->conn);
        if (st->expect.kind == SS_NOTXN) {
            if (running)
                return failf(why, whylen, i, st, "but the connection is still blocked");
            nq_db *db = ss_db(s, st->conn);
            nq_txn_info info;
            int mode = -1;
            if (nq_in_txn(db, &mode))
                return failf(why, whylen, i, st, "a transaction is open (mode %d)", mode);
            if (nq_txn_info_get(db, &info) == NQ_OK && info.txid != 0)
                return failf(why, whylen, i, st, "nq_txn_info_get reports transaction %" PRIu64,
                             info.txid);
            continue;
        }
        if (st->sql == SS_AWAIT) {
            if (!running)
                return failf(why, whylen, i, st, "but no statement of the connection is running "
                             "(the earlier one did not block)");
            if (st->expect.kind == SS_BLOCKS)
                return failf(why, whylen, i, st, "but an await cannot expect to block");
            if (ss_finish(s, st->conn) < 0)
                return failf(why, whylen, i, st, "it was still blocked after %d ms "
                             "(the steps since should have released it)", SS_SAFETY_MS);
            if (check_done(s, i, st, why, whylen))
                return -1;
            continue;
        }
        if (running)
            return failf(why, whylen, i, st, "but the connection's earlier statement is still "
                         "blocked: the script must await it first");
        int r = ss_issue(s, st->conn, st->sql);
        if (r < 0)
            return failf(why, whylen, i, st, "it neither finished nor blocked within %d ms",
                         SS_SAFETY_MS);
        if (r == 0) {
            if (st->expect.kind != SS_BLOCKS)
                return failf(why, whylen, i, st, "it blocks (waits for a lock)");
            continue;
        }
        ss_finish(s, st->conn); /* marks the connection idle again */
        if (check_done(s, i, st, why, whylen))
            return -1;
    }
    return 0;
}
