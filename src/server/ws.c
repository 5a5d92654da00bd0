/*
 * ws.c — the WebSocket endpoint /ws: the hub, one thread per connection, framing by wslay, the
 * JSON message protocol, pub/sub delivery, flow control and heartbeats. stream_query lives in
 * ws_stream.c; the registry of subscriptions in pubsub.c. docs/websocket.md describes the
 * protocol for users.
 *
 * Connection thread. Each accepted socket gets a thread that loops over poll() on the socket
 * and an eventfd. Others (publishers, stream producers, the hub's shutdown) never touch the
 * socket: they append a JSON text to the connection's outbound queue (conn->mu held only for the
 * append) and poke the eventfd. The thread moves queued messages into wslay, which frames them
 * into an output buffer (our send callback accepts everything, so wslay always emits whole
 * frames), and writes that buffer to the non-blocking socket as far as the socket takes it.
 * Incoming bytes go through wslay_event_recv (bytes from the HTTP layer's read-ahead first);
 * complete text messages are parsed and dispatched on this thread.
 *
 * Flow control. The outbound queue holds three kinds of messages (ws_conn.h):
 *   - channel_message: when the queue is full (max_buffered_messages channel/stream messages, or
 *     max_buffered_bytes), the oldest queued channel_message is dropped (counted, "dropped");
 *   - stream messages: a producer that finds the queue full waits on conn->room, so a query
 *     pauses while its client does not read (memory stays bounded);
 *   - replies to the client's own requests: never dropped; instead the thread stops reading the
 *     socket while max_buffered_messages replies are queued (or wslay has 64 control frames, or
 *     the output buffer is large), so a client that sends without reading is held back by TCP.
 * A connection whose queue is full and from which no message has left for heartbeat_timeout_s
 * is closed with 1008 "outbound queue stalled".
 *
 * Heartbeat. The thread sends a WS ping every heartbeat_interval_s; any byte received counts as
 * traffic. No traffic for heartbeat_timeout_s: close 1008 "heartbeat timeout".
 *
 * Close. wslay answers a client's close, and closes with 1002 (protocol error: bad opcode,
 * unmasked frame, reserved bits, bad continuation), 1007 (invalid UTF-8 in a text message) and
 * 1009 (a message over max_message_bytes). Errors that wslay finds below the message layer (a
 * control frame over 125 bytes or fragmented, a non-minimal length) make it queue a close
 * without a status; for those we write a close frame with 1002 ourselves (raw_close). After our
 * close frame is out, the thread waits up to WS_CLOSE_LINGER_MS for the client's close (or EOF),
 * then ends. A client that half-closes (EOF without a close frame) still gets what was queued
 * for it (flush_on_eof). At the end streams are stopped, subscriptions removed, done() called;
 * the thread parks the connection on the hub's zombie list, where the next ws_accept or the
 * shutdown joins it.
 */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <wslay/wslay.h>

#include "ws_conn.h"

#define WS_OBUF_HIGH      (64 * 1024) /* stop serialising more while this much is unwritten */
#define WS_MAX_WSLAY_CTRL 64          /* wslay frames queued (pongs) before reading pauses */
#define WS_CLOSE_LINGER_MS 1000       /* wait for the client's close after ours */
#define WS_MAX_SUBS       1024        /* subscriptions per connection */

/* ---- small helpers ------------------------------------------------------------------------ */

int64_t ws_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RFC 3339 UTC with microseconds and an explicit +00:00, as chrono's to_rfc3339(). */
static void ws_timestamp(char out[40])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%06ld+00:00", ts.tv_nsec / 1000);
}

void ws_event(ws_hub *h, const char *what, const char *type)
{
    if (h->env.on_event)
        h->env.on_event(h->env.arg, what, type);
}

void ws_log(ws_hub *h, int level, const char *fmt, ...)
{
    if (!h->env.log)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    h->env.log(h->env.arg, level, buf);
}

static void wake(ws_conn *c)
{
    uint64_t one = 1;
    ssize_t r = write(c->efd, &one, sizeof one);
    (void)r; /* EAGAIN: the counter is already non-zero, the thread will wake */
}

static void atomic_max(uint64_t *p, uint64_t v)
{
    uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v > cur && !__atomic_compare_exchange_n(p, &cur, v, 0, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED))
        ;
}

void ws_accept_key(const char *client_key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
        !EVP_DigestUpdate(ctx, client_key, strlen(client_key)) ||
        !EVP_DigestUpdate(ctx, guid, sizeof guid - 1) || !EVP_DigestFinal_ex(ctx, md, &mdlen) ||
        mdlen != 20) {
        out[0] = '\0';
    } else {
        EVP_EncodeBlock((unsigned char *)out, md, 20); /* 28 characters and a NUL */
    }
    EVP_MD_CTX_free(ctx);
}

/* ---- the outbound queue ------------------------------------------------------------------- */

static int queue_full(const ws_conn *c)
{
    const ws_config *cfg = &c->hub->cfg;
    return c->qdata >= cfg->max_buffered_messages || c->qbytes >= cfg->max_buffered_bytes;
}

static void unlink_out(ws_conn *c, ws_out *prev, ws_out *m)
{
    if (prev)
        prev->next = m->next;
    else
        c->qhead = m->next;
    if (c->qtail == m)
        c->qtail = prev;
    c->qcount--;
    c->qbytes -= m->len;
    if (m->kind == WSQ_REPLY)
        c->qreplies--;
    else
        c->qdata--;
}

int ws_conn_push(ws_conn *c, int kind, const char *type, char *text, ws_stream *stream)
{
    ws_hub *h = c->hub;
    size_t len = strlen(text);
    ws_out *m = malloc(sizeof *m + len + 1);
    if (!m) {
        free(text);
        return -1;
    }
    m->next = NULL;
    m->kind = kind;
    m->type = type;
    m->len = len;
    memcpy(m->text, text, len + 1);
    free(text);

    int dropped = 0;
    pthread_mutex_lock(&c->mu);
    if (kind == WSQ_STREAM && stream) {
        int waited = 0;
        while (!c->closing && !stream->cancelled && queue_full(c)) {
            if (!waited++)
                __atomic_add_fetch(&h->streams_waiting, 1, __ATOMIC_RELAXED);
            pthread_cond_wait(&c->room, &c->mu);
        }
        if (waited)
            __atomic_sub_fetch(&h->streams_waiting, 1, __ATOMIC_RELAXED);
    }
    if (c->closing || (stream && stream->cancelled)) {
        pthread_mutex_unlock(&c->mu);
        free(m);
        return -1;
    }
    if (kind == WSQ_CHANNEL && queue_full(c)) {
        ws_out *prev = NULL, *o = c->qhead;
        while (o && o->kind != WSQ_CHANNEL) {
            prev = o;
            o = o->next;
        }
        dropped = 1;
        if (o) {
            unlink_out(c, prev, o);
            free(o);
        } else { /* only stream messages and replies queued: the new one goes */
            pthread_mutex_unlock(&c->mu);
            free(m);
            __atomic_add_fetch(&h->messages_dropped, 1, __ATOMIC_RELAXED);
            ws_event(h, "dropped", "channel_message");
            return -1;
        }
    }
    if (c->qtail)
        c->qtail->next = m;
    else
        c->qhead = m;
    c->qtail = m;
    c->qcount++;
    c->qbytes += len;
    if (kind == WSQ_REPLY)
        c->qreplies++;
    else
        c->qdata++;
    atomic_max(&h->queue_peak, c->qdata);
    pthread_mutex_unlock(&c->mu);
    wake(c);
    if (dropped) {
        __atomic_add_fetch(&h->messages_dropped, 1, __ATOMIC_RELAXED);
        ws_event(h, "dropped", "channel_message");
    }
    return 0;
}

int ws_conn_push_json(ws_conn *c, int kind, const char *type, json_t *msg, ws_stream *stream)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (!text)
        return -1;
    return ws_conn_push(c, kind, type, text, stream);
}

/* Replace what is not UTF-8 by '?' in place: a message quoting client text cut by a "%.64s"
 * (or by the buffer) may end inside a character, and jansson refuses such strings. */
void ws_utf8_fix(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        unsigned c = *p, n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
                                         : (c & 0xf8) == 0xf0 ? 3 : 4;
        unsigned k = 0, cp = n == 0 ? c : n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;
        if (n < 4)
            while (k < n && (p[k + 1] & 0xc0) == 0x80) {
                cp = cp << 6 | (p[k + 1] & 0x3f);
                k++;
            }
        static const unsigned minv[4] = {0, 0x80, 0x800, 0x10000};
        if (n == 4 || k < n || cp < minv[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            *p++ = '?'; /* also for overlong forms and surrogates, which jansson refuses too */
            continue;
        }
        p += n + 1;
    }
}

void ws_conn_error(ws_conn *c, const char *code, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ws_utf8_fix(buf);
    ws_conn_push_json(c, WSQ_REPLY, "error",
                      json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", buf),
                      NULL);
}

/* Stop accepting messages and free the queue; producers waiting for room wake up. */
static void conn_mark_closing(ws_conn *c)
{
    pthread_mutex_lock(&c->mu);
    c->closing = 1;
    ws_out *m = c->qhead;
    while (m) {
        ws_out *nx = m->next;
        free(m);
        m = nx;
    }
    c->qhead = c->qtail = NULL;
    c->qcount = c->qbytes = c->qdata = c->qreplies = 0;
    pthread_cond_broadcast(&c->room);
    pthread_mutex_unlock(&c->mu);
}

/* ---- the connection thread's I/O state ---------------------------------------------------- */

typedef struct conn_io {
    ws_conn *c;
    ws_hub *h;
    wslay_event_context_ptr ws;
    uint8_t *extra;
    size_t extra_len, extra_off;
    uint8_t *obuf; /* framed bytes not yet written: obuf[ooff, olen) */
    size_t olen, ooff, ocap;
    int64_t last_rx, next_ping, stall_since, close_deadline;
    int io_error;   /* EOF or an error on the socket: the peer is gone */
    int peer_eof;   /* of those, an orderly EOF: the peer may still read */
    int read_gate;  /* the recv callback may read the socket */
    int raw_close;  /* we wrote a close frame ourselves; wslay sends nothing more */
    int closing;    /* a close is queued or sent */
} conn_io;

static size_t pending(const conn_io *io) { return io->olen - io->ooff; }

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *ud)
{
    (void)flags;
    conn_io *io = ud;
    if (io->extra_off < io->extra_len) {
        size_t n = io->extra_len - io->extra_off;
        if (n > len)
            n = len;
        memcpy(buf, io->extra + io->extra_off, n);
        io->extra_off += n;
        io->last_rx = ws_now_ms();
        return (ssize_t)n;
    }
    if (!io->read_gate) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    ssize_t r;
    do
        r = recv(io->c->fd, buf, len, 0);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        io->last_rx = ws_now_ms();
        return r;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    io->io_error = 1;
    io->peer_eof = r == 0;
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static int obuf_append(conn_io *io, const uint8_t *data, size_t len)
{
    if (io->ooff == io->olen)
        io->ooff = io->olen = 0;
    if (io->olen + len > io->ocap) {
        if (io->ooff > 0) {
            memmove(io->obuf, io->obuf + io->ooff, io->olen - io->ooff);
            io->olen -= io->ooff;
            io->ooff = 0;
        }
        if (io->olen + len > io->ocap) {
            size_t nc = io->ocap ? io->ocap : 16384;
            while (nc < io->olen + len)
                nc *= 2;
            uint8_t *nb = realloc(io->obuf, nc);
            if (!nb)
                return -1;
            io->obuf = nb;
            io->ocap = nc;
        }
    }
    memcpy(io->obuf + io->olen, data, len);
    io->olen += len;
    return 0;
}

/* wslay's frames go to our buffer, never directly to the socket: frames are always whole. */
static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *ud)
{
    (void)flags;
    if (obuf_append(ud, data, len) < 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

/* Write what the socket takes. */
static void flush_out(conn_io *io)
{
    while (pending(io) > 0) {
        ssize_t w = send(io->c->fd, io->obuf + io->ooff, pending(io), MSG_NOSIGNAL);
        if (w > 0) {
            io->ooff += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            io->io_error = 1;
            return;
        }
    }
}

/* A close frame with a status, written by us (wslay had queued one without a status). */
static void raw_close(conn_io *io, uint16_t code)
{
    uint8_t f[4] = {0x88, 0x02, (uint8_t)(code >> 8), (uint8_t)(code & 0xff)};
    if (!io->raw_close && obuf_append(io, f, sizeof f) == 0)
        io->raw_close = 1;
    if (!io->closing) {
        io->closing = 1;
        io->close_deadline = ws_now_ms() + WS_CLOSE_LINGER_MS;
        conn_mark_closing(io->c);
    }
}

static void start_close(conn_io *io, uint16_t code, const char *reason)
{
    if (io->closing)
        return;
    ws_log(io->h, WS_LOG_INFO, "%s: closing with %u (%s)", io->c->remote, code, reason);
    if (code != 1001)
        ws_event(io->h, "error", reason);
    wslay_event_queue_close(io->ws, code, (const uint8_t *)reason, strlen(reason));
    io->closing = 1;
    io->close_deadline = ws_now_ms() + WS_CLOSE_LINGER_MS;
    conn_mark_closing(io->c);
}

/* Take the oldest queued message (NULL if none), waking producers waiting for room. */
static ws_out *take(conn_io *io)
{
    ws_conn *c = io->c;
    pthread_mutex_lock(&c->mu);
    ws_out *m = c->qhead;
    if (m) {
        unlink_out(c, NULL, m);
        pthread_cond_broadcast(&c->room);
        io->stall_since = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return m;
}

/* Queue -> wslay -> output buffer -> socket, as far as the socket takes it. */
static void pump_out(conn_io *io)
{
    for (;;) {
        while (pending(io) < WS_OBUF_HIGH && !io->raw_close) {
            if (wslay_event_want_write(io->ws)) {
                if (wslay_event_send(io->ws) != 0) {
                    io->io_error = 1; /* only on ENOMEM in send_cb */
                    return;
                }
                continue;
            }
            if (io->closing)
                break;
            ws_out *m = take(io);
            if (!m)
                break;
            struct wslay_event_msg wm = {WSLAY_TEXT_FRAME, (const uint8_t *)m->text, m->len};
            if (wslay_event_queue_msg(io->ws, &wm) == 0) {
                __atomic_add_fetch(&io->h->messages_sent, 1, __ATOMIC_RELAXED);
                ws_event(io->h, "sent", m->type);
            }
            free(m);
            /* Framed at once: a taken message is never left inside wslay (flush_on_eof). */
            if (wslay_event_send(io->ws) != 0) {
                io->io_error = 1;
                return;
            }
        }
        if (pending(io) == 0)
            return;
        flush_out(io);
        if (io->io_error || pending(io) > 0)
            return;
    }
}

/* The peer half-closed: send what is queued for it, as far as the socket takes it. wslay has
 * queued a close without a status by now and would send nothing after it, so the frames are
 * made here (server frames: FIN, opcode text, unmasked); obuf holds whole frames only. */
static void flush_on_eof(conn_io *io)
{
    io->io_error = 0;
    ws_out *m;
    while (pending(io) < 4 * WS_OBUF_HIGH && (m = take(io))) {
        uint8_t hdr[10];
        size_t k = 0;
        hdr[k++] = 0x81;
        if (m->len < 126) {
            hdr[k++] = (uint8_t)m->len;
        } else if (m->len < 65536) {
            hdr[k++] = 126;
            hdr[k++] = (uint8_t)(m->len >> 8);
            hdr[k++] = (uint8_t)m->len;
        } else {
            hdr[k++] = 127;
            for (int i = 7; i >= 0; i--)
                hdr[k++] = (uint8_t)((uint64_t)m->len >> (8 * i));
        }
        if (obuf_append(io, hdr, k) == 0 && obuf_append(io, (uint8_t *)m->text, m->len) == 0) {
            __atomic_add_fetch(&io->h->messages_sent, 1, __ATOMIC_RELAXED);
            ws_event(io->h, "sent", m->type);
        }
        free(m);
    }
    flush_out(io);
}

/* ---- messages from the client ------------------------------------------------------------- */

/* A string field: 0 with *out set, or -1 after an INVALID_MESSAGE error. *out = NULL when the
 * field is optional and absent (or null). */
static int field_str(ws_conn *c, json_t *j, const char *mtype, const char *field, int required,
                     const char **out)
{
    json_t *v = json_object_get(j, field);
    *out = NULL;
    if (!v || (json_is_null(v) && !required)) {
        if (!required)
            return 0;
        ws_conn_error(c, "INVALID_MESSAGE", "%s: missing field \"%s\"", mtype, field);
        return -1;
    }
    if (!json_is_string(v)) {
        ws_conn_error(c, "INVALID_MESSAGE", "%s: field \"%s\" must be a string", mtype, field);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int check_channel(ws_conn *c, const char *ch)
{
    char why[128];
    if (pubsub_channel_check(ch, why, sizeof why) == 0)
        return 0;
    ws_conn_error(c, "INVALID_CHANNEL", "%s", why);
    return -1;
}

static json_t *reply_with_ts(const char *type, const char *key, const char *val)
{
    char ts[40];
    ws_timestamp(ts);
    return key ? json_pack("{s:s, s:s, s:s}", "type", type, key, val, "timestamp", ts)
               : json_pack("{s:s, s:s}", "type", type, "timestamp", ts);
}

/* Deliver one channel_message text to every subscriber of channel. */
static long hub_deliver(ws_hub *h, const char *channel, const char *text)
{
    void **subs = NULL;
    pthread_mutex_lock(&h->mu);
    long n = pubsub_collect(h->ps, channel, &subs);
    for (long i = 0; i < n; i++) {
        char *copy = strdup(text);
        if (copy)
            ws_conn_push(subs[i], WSQ_CHANNEL, "channel_message", copy, NULL);
    }
    pthread_mutex_unlock(&h->mu);
    free(subs);
    return n;
}

static char *channel_message(const char *channel, json_t *data)
{
    char ts[40];
    ws_timestamp(ts);
    json_t *m = json_pack("{s:s, s:s, s:O, s:s}", "type", "channel_message", "channel", channel,
                          "data", data, "timestamp", ts);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    return text;
}

static void on_subscribe(ws_conn *c, json_t *j, int sub)
{
    const char *mtype = sub ? "subscribe" : "unsubscribe";
    const char *ch;
    if (field_str(c, j, mtype, "channel", 1, &ch) < 0 || check_channel(c, ch) < 0)
        return;
    ws_hub *h = c->hub;
    int rc = 0;
    pthread_mutex_lock(&h->mu);
    if (sub) {
        if (c->nsubs >= WS_MAX_SUBS && !pubsub_has(h->ps, c, ch))
            rc = 2;
        else if ((rc = pubsub_subscribe(h->ps, c, ch)) == 1)
            c->nsubs++;
    } else if (pubsub_unsubscribe(h->ps, c, ch) == 1) {
        c->nsubs--;
    }
    pthread_mutex_unlock(&h->mu);
    if (rc == 2) {
        ws_conn_error(c, "SUBSCRIPTION_LIMIT", "at most %d subscriptions per connection",
                      WS_MAX_SUBS);
        return;
    }
    if (rc < 0) {
        ws_conn_error(c, "INTERNAL_ERROR", "out of memory");
        return;
    }
    ws_conn_push_json(c, WSQ_REPLY, sub ? "subscription_confirmed" : "unsubscription_confirmed",
                      reply_with_ts(sub ? "subscription_confirmed" : "unsubscription_confirmed",
                                    "channel", ch),
                      NULL);
}

static void on_publish(ws_conn *c, json_t *j)
{
    const char *ch;
    if (field_str(c, j, "publish", "channel", 1, &ch) < 0 || check_channel(c, ch) < 0)
        return;
    if (pubsub_is_pattern(ch)) {
        ws_conn_error(c, "INVALID_CHANNEL", "cannot publish to a pattern (\"%s\"): name one channel",
                      ch);
        return;
    }
    if (strncmp(ch, "table.", 6) == 0) {
        ws_conn_error(c, "FORBIDDEN_CHANNEL",
                      "channel \"%s\": the table. channels carry the server's table changes "
                      "and cannot be published to",
                      ch);
        return;
    }
    json_t *data = json_object_get(j, "data");
    if (!data) {
        ws_conn_error(c, "INVALID_MESSAGE", "publish: missing field \"data\"");
        return;
    }
    char *text = channel_message(ch, data);
    if (!text) {
        ws_conn_error(c, "INTERNAL_ERROR", "out of memory");
        return;
    }
    hub_deliver(c->hub, ch, text);
    free(text);
}

static void dispatch(conn_io *io, const char *msg, size_t len)
{
    ws_conn *c = io->c;
    ws_hub *h = io->h;
    json_error_t err;
    __atomic_add_fetch(&h->messages_received, 1, __ATOMIC_RELAXED);
    json_t *j = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        ws_event(h, "received", "invalid");
        ws_conn_error(c, "INVALID_MESSAGE", "invalid JSON: %s (line %d, column %d)", err.text,
                      err.line, err.column);
        return;
    }
    json_t *t = json_is_object(j) ? json_object_get(j, "type") : NULL;
    if (!json_is_object(j) || !t || !json_is_string(t)) {
        ws_event(h, "received", "invalid");
        ws_conn_error(c, "INVALID_MESSAGE",
                      !json_is_object(j) ? "a message must be a JSON object with a \"type\" field"
                      : !t               ? "missing field \"type\""
                                         : "field \"type\" must be a string");
        json_decref(j);
        return;
    }
    const char *type = json_string_value(t);
    static const char *const known[] = {"subscribe", "unsubscribe",  "publish", "stream_query",
                                        "cancel_query", "ping", "pong", "query_status",
                                        "message"};
    const char *ktype = NULL;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(type, known[i]) == 0)
            ktype = known[i];
    ws_event(h, "received", ktype ? ktype : "unknown");
    const char *s;
    if (!ktype) {
        ws_conn_error(c, "INVALID_MESSAGE",
                      "unknown message type \"%.64s\" (expected subscribe, unsubscribe, publish, "
                      "stream_query, cancel_query, query_status, ping, pong or message)",
                      type);
    } else if (ktype == known[0] || ktype == known[1]) {
        on_subscribe(c, j, ktype == known[0]);
    } else if (ktype == known[2]) {
        on_publish(c, j);
    } else if (ktype == known[3]) {
        ws_stream_start(c, j);
    } else if (ktype == known[4]) {
        if (field_str(c, j, "cancel_query", "stream_id", 1, &s) == 0)
            ws_stream_cancel(c, s);
    } else if (ktype == known[5]) {
        if (field_str(c, j, "ping", "timestamp", 0, &s) == 0)
            ws_conn_push_json(c, WSQ_REPLY, "pong", reply_with_ts("pong", NULL, NULL), NULL);
    } else if (ktype == known[6]) {
        field_str(c, j, "pong", "timestamp", 1, &s); /* the heartbeat is already refreshed */
    } else if (ktype == known[7]) {
        if (field_str(c, j, "query_status", "query_id", 1, &s) == 0)
            ws_stream_status(c, s);
    } else {
        json_t *data = json_object_get(j, "data");
        if (!data) {
            ws_conn_error(c, "INVALID_MESSAGE", "message: missing field \"data\"");
        } else {
            char *d = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
            ws_log(h, WS_LOG_DEBUG, "%s: message %.300s", c->remote, d ? d : "?");
            free(d);
        }
    }
    json_decref(j);
}

static void on_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                      void *ud)
{
    (void)ctx;
    conn_io *io = ud;
    if (io->closing)
        return;
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
        dispatch(io, (const char *)arg->msg, arg->msg_length);
        break;
    case WSLAY_BINARY_FRAME:
        __atomic_add_fetch(&io->h->messages_received, 1, __ATOMIC_RELAXED);
        ws_event(io->h, "received", "binary");
        ws_conn_error(io->c, "UNSUPPORTED_FRAME",
                      "binary frames are not supported: send JSON messages as text frames");
        break;
    default: /* ping (wslay answers it), pong, close: traffic was counted by recv_cb */
        break;
    }
}

/* ---- the connection thread ---------------------------------------------------------------- */

static void conn_free(ws_conn *c)
{
    ws_out *m = c->qhead;
    while (m) {
        ws_out *nx = m->next;
        free(m);
        m = nx;
    }
    if (c->efd >= 0)
        close(c->efd);
    free(c->extra);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->room);
    free(c);
}

/* After our close frame: discard what the client still sends (its close, the rest of a too
 * big message) until EOF or the deadline. 1 = the peer has closed. */
static int drain_raw(conn_io *io)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t r = recv(io->c->fd, buf, sizeof buf, 0);
        if (r > 0)
            continue;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return 1;
    }
}

static int conn_loop(conn_io *io)
{
    ws_conn *c = io->c;
    ws_hub *h = io->h;
    const int64_t hb_ms = (int64_t)h->cfg.heartbeat_interval_s * 1000;
    const int64_t to_ms = (int64_t)h->cfg.heartbeat_timeout_s * 1000;
    io->last_rx = ws_now_ms();
    io->next_ping = io->last_rx + hb_ms;

    for (;;) {
        int64_t now = ws_now_ms();
        if (!io->closing) {
            pthread_mutex_lock(&c->mu);
            int shut = c->shutdown_req, full = queue_full(c);
            pthread_mutex_unlock(&c->mu);
            if (!full)
                io->stall_since = 0;
            else if (!io->stall_since)
                io->stall_since = now;
            if (shut) {
                start_close(io, 1001, "server shutting down");
            } else if (now - io->last_rx >= to_ms) {
                start_close(io, 1008, "heartbeat timeout");
            } else if (io->stall_since && now - io->stall_since >= to_ms) {
                start_close(io, 1008, "outbound queue stalled");
            } else if (now >= io->next_ping) {
                struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};
                wslay_event_queue_msg(io->ws, &ping);
                io->next_ping = now + hb_ms;
            }
        }
        pump_out(io);
        if (io->io_error)
            return 0;
        int close_out = (io->raw_close || wslay_event_get_close_sent(io->ws)) && !pending(io);
        if (close_out && wslay_event_get_close_received(io->ws))
            return 0; /* the close handshake is complete */
        if (io->closing && now >= io->close_deadline)
            return 0;

        /* Reading: wslay while it reads (also for the client's close reply), raw discarding
         * once wslay has stopped reading and our close is out. */
        int wslay_reads = !io->raw_close && wslay_event_want_read(io->ws);
        int drain = close_out && !wslay_reads;
        pthread_mutex_lock(&c->mu);
        io->read_gate = io->closing || (c->qreplies < h->cfg.max_buffered_messages &&
                                        wslay_event_get_queued_msg_count(io->ws) <
                                            WS_MAX_WSLAY_CTRL &&
                                        pending(io) < 4 * WS_OBUF_HIGH);
        pthread_mutex_unlock(&c->mu);

        if (wslay_reads && io->extra_off < io->extra_len) {
            /* Read-ahead from the HTTP layer: no poll needed. */
        } else {
            struct pollfd pf[2] = {{c->fd, 0, 0}, {c->efd, POLLIN, 0}};
            if ((wslay_reads && io->read_gate) || drain)
                pf[0].events |= POLLIN;
            if (pending(io))
                pf[0].events |= POLLOUT;
            int64_t deadline = io->closing ? io->close_deadline
                                           : (io->next_ping < io->last_rx + to_ms
                                                  ? io->next_ping
                                                  : io->last_rx + to_ms);
            if (!io->closing && io->stall_since && io->stall_since + to_ms < deadline)
                deadline = io->stall_since + to_ms;
            int64_t wait = deadline - now;
            if (wait < 0)
                wait = 0;
            if (wait > 60000)
                wait = 60000;
            int pr = poll(pf, 2, (int)wait);
            if (pr < 0 && errno != EINTR)
                return 0;
            if (pr <= 0)
                continue;
            if (pf[1].revents & POLLIN) {
                uint64_t v;
                ssize_t r = read(c->efd, &v, sizeof v);
                (void)r;
            }
            if (pf[0].revents & (POLLERR | POLLNVAL))
                return 0;
            if ((pf[0].revents & POLLHUP) && !(pf[0].events & POLLIN))
                return 0; /* hung up while we were not reading: nobody to talk to */
            if (!(pf[0].revents & (POLLIN | POLLHUP)))
                continue;
            if (drain) {
                if (drain_raw(io))
                    return 0;
                continue;
            }
            if (!wslay_reads)
                continue;
        }
        int r = wslay_event_recv(io->ws);
        if (io->io_error) {
            if (io->peer_eof && !io->closing)
                flush_on_eof(io);
            return 0;
        }
        if (r == WSLAY_ERR_CALLBACK_FAILURE) {
            /* Not our socket (io_error is clear): wslay_frame_recv refused the bytes. */
            ws_event(h, "error", "protocol error");
            ws_log(h, WS_LOG_INFO, "%s: frame protocol error, closing with 1002", c->remote);
            raw_close(io, 1002);
        } else if (r != 0) {
            raw_close(io, 1011);
        } else if (!wslay_event_get_read_enabled(io->ws) && !io->closing) {
            /* wslay queued a close: the client's (echoed) or 1002/1007/1009. */
            if (!wslay_event_get_close_received(io->ws))
                ws_event(h, "error", "invalid frame");
            io->closing = 1;
            io->close_deadline = ws_now_ms() + WS_CLOSE_LINGER_MS;
            conn_mark_closing(c);
        }
    }
}

static void *conn_main(void *arg)
{
    ws_conn *c = arg;
    ws_hub *h = c->hub;
    conn_io *io = calloc(1, sizeof *io); /* the thread's own state; extra copied in ws_accept */
    struct wslay_event_callbacks cb = {recv_cb, send_cb, NULL, NULL, NULL, NULL, on_msg_cb};
    if (io) {
        io->c = c;
        io->h = h;
        io->extra = c->extra;
        io->extra_len = c->extra_len;
        c->extra = NULL;
    }
    if (io && wslay_event_context_server_init(&io->ws, &cb, io) == 0) {
        wslay_event_config_set_max_recv_msg_length(io->ws, h->cfg.max_message_bytes);
        conn_loop(io);
        wslay_event_context_free(io->ws);
    }
    conn_mark_closing(c);
    if (c->done)
        c->done(c->done_arg); /* the socket is no longer used */
    if (io) {
        free(io->extra);
        free(io->obuf);
        free(io);
    }

    pthread_mutex_lock(&h->mu);
    pubsub_unsubscribe_all(h->ps, c);
    c->nsubs = 0;
    pthread_mutex_unlock(&h->mu);
    ws_streams_stop_all(c);

    ws_event(h, "disconnected", NULL);
    pthread_mutex_lock(&h->mu);
    ws_conn **pp = &h->conns;
    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp)
        *pp = c->next;
    h->nconns--;
    c->next = h->zombies;
    h->zombies = c;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* ---- the hub ------------------------------------------------------------------------------ */

int ws_hub_new(const ws_config *cfg, const ws_env *env, ws_hub **out)
{
    *out = NULL;
    ws_hub *h = calloc(1, sizeof *h);
    if (!h)
        return NQ_ENOMEM;
    if (cfg)
        h->cfg = *cfg;
    if (env)
        h->env = *env;
    ws_config *k = &h->cfg;
    if (!k->max_connections)
        k->max_connections = 10000;
    if (!k->heartbeat_interval_s)
        k->heartbeat_interval_s = 30;
    if (!k->heartbeat_timeout_s)
        k->heartbeat_timeout_s = 90;
    if (!k->max_buffered_messages)
        k->max_buffered_messages = 1000;
    if (!k->max_buffered_bytes)
        k->max_buffered_bytes = 16u << 20;
    if (!k->max_message_bytes)
        k->max_message_bytes = 1u << 20;
    if (!k->default_batch)
        k->default_batch = 100;
    if (k->default_batch > 10000) {
        ws_log(h, WS_LOG_WARN, "batch size %u is above the most a stream sends at once (10000): "
                               "using 10000", k->default_batch);
        k->default_batch = 10000;
    }
    if (!k->progress_interval_ms)
        k->progress_interval_ms = 500;
    h->ps = pubsub_new();
    if (!h->ps) {
        free(h);
        return NQ_ENOMEM;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    *out = h;
    return 0;
}

/* Join and free the connections whose threads have ended. */
static void hub_reap(ws_hub *h)
{
    pthread_mutex_lock(&h->mu);
    ws_conn *z = h->zombies;
    h->zombies = NULL;
    pthread_mutex_unlock(&h->mu);
    while (z) {
        ws_conn *nx = z->next;
        pthread_join(z->thread, NULL);
        conn_free(z);
        z = nx;
    }
}

int ws_accept(ws_hub *h, int fd, const void *extra, size_t extra_len, const identity *who,
              const char *remote_addr, void (*done)(void *arg), void *done_arg)
{
    hub_reap(h);
    ws_conn *c = calloc(1, sizeof *c);
    uint8_t *ex = extra_len ? malloc(extra_len) : NULL;
    if (!c || (extra_len && !ex)) {
        free(c);
        free(ex);
        return NQ_ENOMEM;
    }
    if (extra_len)
        memcpy(ex, extra, extra_len);
    c->hub = h;
    c->fd = fd;
    c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->efd < 0) {
        free(c);
        free(ex);
        return NQ_ENOMEM;
    }
    if (who)
        c->who = *who;
    snprintf(c->remote, sizeof c->remote, "%s", remote_addr ? remote_addr : "?");
    c->done = done;
    c->done_arg = done_arg;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->room, NULL);
    c->extra = ex;
    c->extra_len = extra_len;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);

    pthread_mutex_lock(&h->mu);
    if (h->shutting_down || h->nconns >= h->cfg.max_connections) {
        pthread_mutex_unlock(&h->mu);
        conn_free(c);
        return NQ_EBUSY;
    }
    c->next = h->conns;
    h->conns = c;
    h->nconns++;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 1u << 20);
    int rc = pthread_create(&c->thread, &at, conn_main, c);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        h->conns = c->next;
        h->nconns--;
        pthread_mutex_unlock(&h->mu);
        conn_free(c);
        return NQ_ENOMEM;
    }
    __atomic_add_fetch(&h->connections_total, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&h->mu);
    ws_event(h, "connected", NULL);
    return 0;
}

long ws_publish(ws_hub *h, const char *channel, const char *data_json)
{
    char why[128];
    if (!channel || pubsub_channel_check(channel, why, sizeof why) < 0 ||
        pubsub_is_pattern(channel)) {
        ws_log(h, WS_LOG_WARN, "ws_publish: bad channel \"%.100s\"", channel ? channel : "");
        return NQ_EINVAL;
    }
    json_error_t err;
    json_t *data = data_json ? json_loads(data_json, JSON_DECODE_ANY, &err) : NULL;
    if (!data) {
        ws_log(h, WS_LOG_WARN, "ws_publish on %s: data is not JSON", channel);
        return NQ_EINVAL;
    }
    char *text = channel_message(channel, data);
    json_decref(data);
    if (!text)
        return NQ_ENOMEM;
    long n = hub_deliver(h, channel, text);
    free(text);
    return n;
}

unsigned ws_hub_connections(ws_hub *h)
{
    pthread_mutex_lock(&h->mu);
    unsigned n = h->nconns;
    pthread_mutex_unlock(&h->mu);
    return n;
}

void ws_hub_get_stats(ws_hub *h, ws_hub_stats *o)
{
    memset(o, 0, sizeof *o);
    pthread_mutex_lock(&h->mu);
    o->connections = h->nconns;
    o->channels = pubsub_channels(h->ps);
    pthread_mutex_unlock(&h->mu);
    o->streams_running = __atomic_load_n(&h->streams_running, __ATOMIC_RELAXED);
    o->streams_waiting = __atomic_load_n(&h->streams_waiting, __ATOMIC_RELAXED);
    o->connections_total = __atomic_load_n(&h->connections_total, __ATOMIC_RELAXED);
    o->messages_sent = __atomic_load_n(&h->messages_sent, __ATOMIC_RELAXED);
    o->messages_received = __atomic_load_n(&h->messages_received, __ATOMIC_RELAXED);
    o->messages_dropped = __atomic_load_n(&h->messages_dropped, __ATOMIC_RELAXED);
    o->stream_rows = __atomic_load_n(&h->stream_rows, __ATOMIC_RELAXED);
    o->queue_peak = __atomic_load_n(&h->queue_peak, __ATOMIC_RELAXED);
}

void ws_hub_shutdown(ws_hub *h)
{
    pthread_mutex_lock(&h->mu);
    h->shutting_down = 1;
    for (ws_conn *c = h->conns; c; c = c->next) {
        pthread_mutex_lock(&c->mu);
        c->shutdown_req = 1;
        pthread_mutex_unlock(&c->mu);
        wake(c);
    }
    while (h->nconns > 0)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    hub_reap(h);
}

void ws_hub_free(ws_hub *h)
{
    if (!h)
        return;
    ws_hub_shutdown(h);
    pubsub_free(h->ps);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}
