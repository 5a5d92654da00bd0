/*
 * ws_stream.c — stream_query, cancel_query and query_status of the WebSocket endpoint.
 *
 * Each stream_query gets a producer thread and an engine connection from env->db_acquire. The
 * producer prepares exactly one statement, checks the caller's permission (read for a
 * statement that cannot change the database, write otherwise), then steps it and sends:
 *   query_started {stream_id, query, estimated_rows: null}
 *   query_batch   {stream_id, batch_number (0, 1, ...), rows: [rowjson objects], has_more}
 *                 (batch_size rows each; the last has has_more false; a result without rows
 *                 gives one empty batch, so has_more false always ends the rows)
 *   query_progress{stream_id, rows_processed, percentage: null, throughput (rows/s)}
 *                 after a batch, when progress_interval_ms have passed since the last one
 *   query_completed {stream_id, total_rows, execution_time_ms}
 * or error QUERY_FAILED "Query execution failed: <engine message>".
 *
 * Stream messages go through the connection's queue as WSQ_STREAM: when the queue is full the
 * producer waits, and with it the statement (backpressure, docs/websocket.md).
 *
 * Cancel. cancel_query sets the stream's cancelled flag, marks it cancelled and queues
 * query_cancelled, all under conn->mu, and interrupts the engine connection (nq_interrupt, also
 * under conn->mu so the connection cannot be released meanwhile). A progress handler that
 * returns the flag covers an interrupt that lands before the statement's first step (the
 * engine clears the interrupt flag there). The producer's pushes check the flag under the same
 * mutex, so nothing of the stream follows query_cancelled. Every state change and the push that
 * announces it happen in one critical section, so query_status never contradicts what the
 * client has already received.
 *
 * Each connection keeps its last WS_STREAM_HISTORY finished streams for query_status; at most
 * WS_MAX_STREAMS run at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "rowjson.h"
#include "ws_conn.h"

#define WS_MAX_STREAMS    8
#define WS_STREAM_HISTORY 32
#define WS_MAX_BATCH      10000

static const char *const state_names[] = {"running", "completed", "cancelled", "failed"};

void ws_uuid_v4(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) { /* never in practice; still unique enough per process */
        static const char fallback[] = "/dev/urandom";
        FILE *f = fopen(fallback, "rb");
        size_t got = f ? fread(b, 1, sizeof b, f) : 0;
        if (f)
            fclose(f);
        if (got != sizeof b)
            memset(b, 0, sizeof b);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

int ws_uuid_parse(const char *s, char out[37])
{
    size_t n = strlen(s);
    int hyph = n == 36;
    if (n != 36 && n != 32)
        return -1;
    char *o = out;
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (hyph && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (ch != '-')
                return -1;
            continue;
        }
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return -1;
        if (digits == 8 || digits == 12 || digits == 16 || digits == 20)
            *o++ = '-';
        *o++ = ch;
        digits++;
    }
    *o = '\0';
    return 0;
}

static ws_stream *find_stream(ws_conn *c, const char *id)
{
    for (ws_stream *s = c->streams; s; s = s->next)
        if (strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

/* A stream message; only while the stream still runs (not cancelled). */
static int push_stream(ws_stream *s, const char *type, json_t *msg)
{
    return ws_conn_push_json(s->conn, WSQ_STREAM, type, msg, s);
}

/* Move the stream to a final state unless it was cancelled meanwhile; 1 if it was moved. */
static int finish_state(ws_stream *s, int state, uint64_t rows)
{
    ws_conn *c = s->conn;
    pthread_mutex_lock(&c->mu);
    int ok = s->state == WSS_RUNNING;
    if (ok) {
        s->state = state;
        s->rows = rows;
    }
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static void stream_fail(ws_stream *s, const char *code, const char *fmt, const char *arg,
                        uint64_t rows)
{
    if (!finish_state(s, WSS_FAILED, rows))
        return;
    char buf[1024];
    snprintf(buf, sizeof buf, fmt, arg);
    ws_utf8_fix(buf); /* the engine's message may quote cut SQL text */
    push_stream(s, "error",
                json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", buf));
}

/* An engine error: QUERY_FAILED with the engine's message and its SQLSTATE (nq_sqlstate), as
 * the REST API's metadata.sqlstate. */
static void stream_fail_engine(ws_stream *s, nq_db *db, int rc, uint64_t rows)
{
    if (!finish_state(s, WSS_FAILED, rows))
        return;
    char buf[1024];
    snprintf(buf, sizeof buf, "Query execution failed: %s", nq_errmsg(db));
    ws_utf8_fix(buf);
    push_stream(s, "error",
                json_pack("{s:s, s:s, s:s, s:s}", "type", "error", "code", "QUERY_FAILED", "message",
                          buf, "sqlstate", nq_sqlstate(rc)));
}

static int cancelled_fn(void *arg)
{
    ws_stream *s = arg;
    return __atomic_load_n(&s->cancelled, __ATOMIC_ACQUIRE);
}

/* Anything but whitespace, comments and semicolons after the first statement? */
static int has_more_statements(nq_db *db, const char *tail)
{
    nq_stmt *st2 = NULL;
    int rc = nq_prepare(db, tail, (size_t)-1, &st2, NULL);
    int more = rc < 0 || st2 != NULL;
    nq_finalize(st2);
    return more;
}

static void run_stream(ws_stream *s, nq_db *db, int64_t t0)
{
    ws_conn *c = s->conn;
    ws_hub *h = c->hub;
    nq_stmt *st = NULL;
    const char *tail = NULL;
    int rc = nq_prepare(db, s->query, (size_t)-1, &st, &tail);
    if (rc < 0) {
        stream_fail_engine(s, db, rc, 0);
        return;
    }
    if (!st) {
        stream_fail(s, "QUERY_FAILED", "Query execution failed: %s", "the query is empty", 0);
        return;
    }
    if (tail && has_more_statements(db, tail)) {
        nq_finalize(st);
        stream_fail(s, "QUERY_FAILED", "Query execution failed: %s",
                    "stream_query runs exactly one statement; send one stream_query per statement",
                    0);
        return;
    }
    int ro = nq_stmt_readonly(st);
    if (!identity_allows(&c->who, ro ? PERM_READ : PERM_WRITE)) {
        nq_finalize(st);
        stream_fail(s, "PERMISSION_DENIED", "stream_query: this statement needs the '%s' permission",
                    ro ? "read" : "write", 0);
        return;
    }
    if (push_stream(s, "query_started",
                    json_pack("{s:s, s:s, s:s, s:n}", "type", "query_started", "stream_id", s->id,
                              "query", s->query, "estimated_rows")) < 0) {
        nq_finalize(st);
        return;
    }

    uint64_t total = 0, batch_no = 0;
    int64_t last_progress = t0;
    json_t *rows = json_array();
    for (;;) {
        rc = cancelled_fn(s) ? NQ_EINTERRUPT : nq_step(st);
        if (rc == NQ_ROW && json_array_size(rows) == s->batch_size) {
            /* A full batch and at least one row more: has_more is certain. */
            pthread_mutex_lock(&c->mu);
            s->rows = total;
            pthread_mutex_unlock(&c->mu);
            __atomic_add_fetch(&h->stream_rows, json_array_size(rows), __ATOMIC_RELAXED);
            json_t *b = json_pack("{s:s, s:s, s:I, s:o, s:b}", "type", "query_batch", "stream_id",
                                  s->id, "batch_number", (json_int_t)batch_no++, "rows", rows,
                                  "has_more", 1);
            rows = json_array();
            if (push_stream(s, "query_batch", b) < 0)
                break;
            int64_t now = ws_now_ms();
            if (now - last_progress >= (int64_t)h->cfg.progress_interval_ms) {
                double secs = (double)(now - t0) / 1000.0;
                last_progress = now;
                if (push_stream(s, "query_progress",
                                json_pack("{s:s, s:s, s:I, s:n, s:f}", "type", "query_progress",
                                          "stream_id", s->id, "rows_processed", (json_int_t)total,
                                          "percentage", "throughput",
                                          secs > 0 ? (double)total / secs : 0.0)) < 0)
                    break;
            }
        }
        if (rc == NQ_ROW) {
            json_t *r = rows ? rowjson_row(st) : NULL;
            if (!r || json_array_append_new(rows, r) < 0) {
                stream_fail(s, "QUERY_FAILED", "Query execution failed: %s", "out of memory",
                            total);
                break;
            }
            total++;
            continue;
        }
        if (rc == NQ_DONE && nq_in_txn(db, NULL)) {
            /* BEGIN or SAVEPOINT: the transaction would end with the stream, unseen. */
            nq_finalize(st);
            st = NULL;
            nq_rollback(db);
            stream_fail(s, "QUERY_FAILED", "Query execution failed: %s",
                        "not supported: transaction control in stream_query (each stream runs "
                        "in a transaction of its own; use POST /api/v1/query for transactions)",
                        total);
            break;
        }
        if (rc == NQ_DONE) {
            __atomic_add_fetch(&h->stream_rows, json_array_size(rows), __ATOMIC_RELAXED);
            json_t *b = json_pack("{s:s, s:s, s:I, s:o, s:b}", "type", "query_batch", "stream_id",
                                  s->id, "batch_number", (json_int_t)batch_no, "rows", rows,
                                  "has_more", 0);
            rows = NULL;
            if (push_stream(s, "query_batch", b) < 0)
                break;
            if (finish_state(s, WSS_COMPLETED, total))
                push_stream(s, "query_completed",
                            json_pack("{s:s, s:s, s:I, s:I}", "type", "query_completed",
                                      "stream_id", s->id, "total_rows", (json_int_t)total,
                                      "execution_time_ms", (json_int_t)(ws_now_ms() - t0)));
            break;
        }
        /* An error, or the interrupt of a cancel (then the client already has query_cancelled). */
        if (!cancelled_fn(s))
            stream_fail_engine(s, db, nq_errcode(db), total);
        break;
    }
    json_decref(rows);
    nq_finalize(st);
}

static void *stream_main(void *arg)
{
    ws_stream *s = arg;
    ws_conn *c = s->conn;
    ws_hub *h = c->hub;
    int64_t t0 = ws_now_ms();
    ws_event(h, "stream_start", NULL);
    nq_db *db = cancelled_fn(s) ? NULL : h->env.db_acquire(h->env.arg);
    if (!db && !cancelled_fn(s))
        stream_fail(s, "QUERY_FAILED", "Query execution failed: %s",
                    "no database connection available", 0);
    if (db) {
        pthread_mutex_lock(&c->mu);
        s->db = db;
        pthread_mutex_unlock(&c->mu);
        nq_progress_handler(db, 1000, cancelled_fn, s);
        run_stream(s, db, t0);
        nq_progress_handler(db, 0, NULL, NULL);
        pthread_mutex_lock(&c->mu);
        s->db = NULL; /* from here on cancel_query no longer interrupts it */
        pthread_mutex_unlock(&c->mu);
        h->env.db_release(h->env.arg, db);
    }
    pthread_mutex_lock(&c->mu);
    int st = s->state;
    if (st == WSS_RUNNING) /* stopped by the connection's end */
        st = s->state = WSS_CANCELLED;
    c->nrunning--;
    s->exited = 1;
    pthread_mutex_unlock(&c->mu);
    __atomic_sub_fetch(&h->streams_running, 1, __ATOMIC_RELAXED);
    ws_event(h, "stream_end", state_names[st]);
    return NULL;
}

/* Unlink and return the finished streams beyond the history (their threads to join). */
static ws_stream *trim_history(ws_conn *c)
{
    ws_stream *out = NULL, **pp = &c->streams;
    unsigned kept = 0;
    while (*pp) {
        ws_stream *s = *pp;
        if (s->exited && ++kept > WS_STREAM_HISTORY) {
            *pp = s->next;
            s->next = out;
            out = s;
            c->nstreams--;
        } else {
            pp = &s->next;
        }
    }
    return out;
}

static void free_streams(ws_stream *s)
{
    while (s) {
        ws_stream *nx = s->next;
        if (s->has_thread)
            pthread_join(s->thread, NULL);
        free(s->query);
        free(s);
        s = nx;
    }
}

void ws_stream_start(ws_conn *c, json_t *msg)
{
    ws_hub *h = c->hub;
    json_t *q = json_object_get(msg, "query"), *bs = json_object_get(msg, "batch_size");
    if (!q) {
        ws_conn_error(c, "INVALID_MESSAGE", "stream_query: missing field \"query\"");
        return;
    }
    if (!json_is_string(q)) {
        ws_conn_error(c, "INVALID_MESSAGE", "stream_query: field \"query\" must be a string");
        return;
    }
    unsigned batch = h->cfg.default_batch;
    if (bs && !json_is_null(bs)) {
        if (!json_is_integer(bs) || json_integer_value(bs) < 1 ||
            json_integer_value(bs) > WS_MAX_BATCH) {
            ws_conn_error(c, "INVALID_MESSAGE",
                          "stream_query: field \"batch_size\" must be an integer from 1 to %d",
                          WS_MAX_BATCH);
            return;
        }
        batch = (unsigned)json_integer_value(bs);
    }
    if (!h->env.db_acquire || !h->env.db_release) {
        ws_conn_error(c, "QUERY_FAILED", "not supported yet: this server has no database for "
                                         "stream_query");
        return;
    }
    ws_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->query = strdup(json_string_value(q)))) {
        free(s);
        ws_conn_error(c, "STREAM_ERROR", "out of memory");
        return;
    }
    s->conn = c;
    s->batch_size = batch;
    s->state = WSS_RUNNING;
    ws_uuid_v4(s->id);

    pthread_mutex_lock(&c->mu);
    if (c->nrunning >= WS_MAX_STREAMS) {
        pthread_mutex_unlock(&c->mu);
        free(s->query);
        free(s);
        ws_conn_error(c, "STREAM_ERROR", "too many streams running on this connection (at most %d)",
                      WS_MAX_STREAMS);
        return;
    }
    ws_stream *old = trim_history(c);
    s->next = c->streams;
    c->streams = s;
    c->nstreams++;
    c->nrunning++;
    __atomic_add_fetch(&h->streams_running, 1, __ATOMIC_RELAXED);
    /* Created under the lock, so ws_streams_stop_all never sees a stream without its thread. */
    s->has_thread = pthread_create(&s->thread, NULL, stream_main, s) == 0;
    if (!s->has_thread) {
        c->streams = s->next;
        c->nstreams--;
        c->nrunning--;
        __atomic_sub_fetch(&h->streams_running, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&c->mu);
    free_streams(old);
    if (!s->has_thread) {
        free(s->query);
        free(s);
        ws_conn_error(c, "STREAM_ERROR", "cannot start a thread for the stream");
    }
}

void ws_stream_cancel(ws_conn *c, const char *id)
{
    char canon[37];
    if (ws_uuid_parse(id, canon) < 0) {
        ws_conn_error(c, "INVALID_STREAM_ID", "Invalid stream ID: %.100s", id);
        return;
    }
    pthread_mutex_lock(&c->mu);
    ws_stream *s = find_stream(c, canon);
    int state = s ? s->state : -1;
    if (s && state == WSS_RUNNING) {
        __atomic_store_n(&s->cancelled, 1, __ATOMIC_RELEASE);
        s->state = WSS_CANCELLED;
        if (s->db)
            nq_interrupt(s->db);
        pthread_cond_broadcast(&c->room); /* a producer waiting for room stops */
    }
    pthread_mutex_unlock(&c->mu);
    if (!s) {
        ws_conn_error(c, "CANCEL_FAILED", "Stream %s not found", canon);
    } else if (state != WSS_RUNNING) {
        ws_conn_error(c, "CANCEL_FAILED", "Stream %s is not running (%s)", canon,
                      state_names[state]);
    } else {
        /* A reply, not a stream message: it must not wait behind a full queue. The stream's
         * own pushes are already refused (cancelled), so nothing of it follows this. */
        ws_conn_push_json(c, WSQ_REPLY, "query_cancelled",
                          json_pack("{s:s, s:s, s:s}", "type", "query_cancelled", "stream_id",
                                    canon, "reason", "Cancelled by user"),
                          NULL);
    }
}

void ws_stream_status(ws_conn *c, const char *id)
{
    char canon[37];
    if (ws_uuid_parse(id, canon) < 0) {
        ws_conn_error(c, "INVALID_STREAM_ID", "Invalid stream ID: %.100s", id);
        return;
    }
    pthread_mutex_lock(&c->mu);
    ws_stream *s = find_stream(c, canon);
    int state = s ? s->state : -1;
    uint64_t rows = s ? s->rows : 0;
    pthread_mutex_unlock(&c->mu);
    if (!s) {
        ws_conn_error(c, "QUERY_NOT_FOUND", "Query %s not found on this connection", canon);
        return;
    }
    json_t *m = json_pack("{s:s, s:s, s:s}", "type", "query_status", "query_id", canon, "status",
                          state_names[state]);
    if (m) {
        json_object_set_new(m, "progress", state == WSS_COMPLETED ? json_integer(100) : json_null());
        json_object_set_new(m, "rows_processed", json_integer((json_int_t)rows));
    }
    ws_conn_push_json(c, WSQ_REPLY, "query_status", m, NULL);
}

void ws_streams_stop_all(ws_conn *c)
{
    pthread_mutex_lock(&c->mu);
    for (ws_stream *s = c->streams; s; s = s->next) {
        __atomic_store_n(&s->cancelled, 1, __ATOMIC_RELEASE);
        if (s->db)
            nq_interrupt(s->db);
    }
    pthread_cond_broadcast(&c->room);
    ws_stream *all = c->streams;
    c->streams = NULL;
    c->nstreams = 0;
    pthread_mutex_unlock(&c->mu);
    free_streams(all); /* joins: the threads still lock c->mu on their way out */
}
