/*
 * test_ws.c — the WebSocket endpoint (src/server/ws.c, ws_stream.c) over real connections:
 * socketpair(AF_UNIX) with the server half handed to ws_accept and a client half that frames
 * by hand (masked, as RFC 6455 requires of clients). Covers the message protocol (pub/sub round
 * trips, patterns, malformed input answered with errors on a connection that stays usable),
 * framing (fragments, control frames between fragments, binary frames, read-ahead bytes from
 * the HTTP layer) and close codes (1000, 1002, 1007, 1009, 1001 at shutdown), stream_query over
 * a real database (all rows in order exactly once, batch sizes, errors, permissions),
 * cancel_query of a ten-million-row stream, backpressure (a client that does not read holds the
 * producer, the queue stays bounded), dropping of channel messages for slow subscribers,
 * heartbeats (server pings, dead-peer close, stalled queue close), max_connections. Last, an
 * independent implementation: Python's websocket-client (python3-websocket) connects over
 * loopback TCP to a handshake played by the test and runs pub/sub, fragments, pings, a binary
 * frame, a stream and the close handshake (skipped when the module is missing).
 *
 * Waits are bounded polls on a condition (never a fixed sleep that a slow machine could beat);
 * a timeout means a failure.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "nqdb.h"
#include "ws.h"
#include "ws_conn.h" /* ws_utf8_fix */

#define WAIT_MS 15000 /* the longest any expected message may take to arrive */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the server's environment: an engine, a log ------------------------------------------- */

static nq_db *g_db;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_log[16384];

static nq_db *db_acquire(void *arg)
{
    (void)arg;
    nq_db *c = NULL;
    pthread_mutex_lock(&g_mu);
    int rc = nq_clone(g_db, &c);
    pthread_mutex_unlock(&g_mu);
    return rc == 0 ? c : NULL;
}

static void db_release(void *arg, nq_db *db)
{
    (void)arg;
    nq_close(db);
}

static void log_cb(void *arg, int level, const char *msg)
{
    (void)arg;
    (void)level;
    pthread_mutex_lock(&g_mu);
    size_t n = strlen(g_log);
    if (n + strlen(msg) + 2 < sizeof g_log) {
        strcat(g_log, msg);
        strcat(g_log, "\n");
    }
    pthread_mutex_unlock(&g_mu);
}

static int log_has(const char *s)
{
    pthread_mutex_lock(&g_mu);
    int r = strstr(g_log, s) != NULL;
    pthread_mutex_unlock(&g_mu);
    return r;
}

/* on_event: counts per "what/type". */
static struct {
    char key[64];
    int n;
} g_ev[64];

static void event_cb(void *arg, const char *what, const char *type)
{
    (void)arg;
    char key[64];
    snprintf(key, sizeof key, "%s/%s", what, type ? type : "");
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < 64; i++) {
        if (g_ev[i].key[0] == '\0')
            snprintf(g_ev[i].key, sizeof g_ev[i].key, "%s", key);
        if (strcmp(g_ev[i].key, key) == 0) {
            g_ev[i].n++;
            break;
        }
    }
    pthread_mutex_unlock(&g_mu);
}

static int events(const char *key)
{
    int n = 0;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < 64; i++)
        if (strcmp(g_ev[i].key, key) == 0)
            n = g_ev[i].n;
    pthread_mutex_unlock(&g_mu);
    return n;
}

static const identity ID_RW = {ID_KEY, PERM_READ | PERM_WRITE, "k1", "rw", 0, "", 0};
static const identity ID_RO = {ID_KEY, PERM_READ, "k2", "ro", 0, "", 0};
static const identity ID_NOPERM = {ID_KEY, PERM_DNA, "k3", "dna", 0, "", 0};

static ws_hub *hub_make(const ws_config *cfg)
{
    ws_env env = {NULL, db_acquire, db_release, event_cb, log_cb};
    pthread_mutex_lock(&g_mu);
    memset(g_ev, 0, sizeof g_ev);
    pthread_mutex_unlock(&g_mu);
    ws_hub *h = NULL;
    assert_int_equal(ws_hub_new(cfg, &env, &h), 0);
    return h;
}

/* ---- a client ----------------------------------------------------------------------------- */

typedef struct client {
    int fd;           /* our end */
    int sfd;          /* the server's end (closed by done) */
    int done;         /* atomic: done() was called */
    int close_code;   /* the status of the server's close frame, once received */
    int auto_pong;    /* answer WS pings */
    int pings;        /* WS pings seen */
} client;

static void on_done(void *arg)
{
    client *c = arg;
    close(c->sfd);
    __atomic_add_fetch(&c->done, 1, __ATOMIC_SEQ_CST);
}

static client *client_open_extra(ws_hub *h, const identity *who, const void *extra, size_t n)
{
    client *c = calloc(1, sizeof *c);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    c->fd = sv[1];
    c->sfd = sv[0];
    c->auto_pong = 1;
    assert_int_equal(ws_accept(h, c->sfd, extra, n, who, "test", on_done, c), 0);
    return c;
}

static client *client_open(ws_hub *h, const identity *who)
{
    return client_open_extra(h, who, NULL, 0);
}

static int wait_done(client *c)
{
    int64_t end = now_ms() + WAIT_MS;
    while (!__atomic_load_n(&c->done, __ATOMIC_SEQ_CST) && now_ms() < end)
        nap_ms(5);
    return __atomic_load_n(&c->done, __ATOMIC_SEQ_CST);
}

/* Closes our end; the server sees EOF and ends (done). */
static void client_close(client *c)
{
    close(c->fd);
    assert_true(wait_done(c));
    assert_int_equal(c->done, 1);
    free(c);
}

static uint32_t mask_seed = 0x12345678u;

/* Build one frame (masked unless mask = 0) into buf; returns its length. */
static size_t frame(uint8_t *buf, int fin, int rsv, int op, const void *p, size_t n, int mask)
{
    size_t k = 0;
    buf[k++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | op);
    uint8_t m = mask ? 0x80 : 0;
    if (n < 126) {
        buf[k++] = (uint8_t)(m | n);
    } else if (n < 65536) {
        buf[k++] = m | 126;
        buf[k++] = (uint8_t)(n >> 8);
        buf[k++] = (uint8_t)n;
    } else {
        buf[k++] = m | 127;
        for (int i = 7; i >= 0; i--)
            buf[k++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    uint8_t key[4];
    mask_seed = mask_seed * 1103515245u + 12345u;
    memcpy(key, &mask_seed, 4);
    if (mask) {
        memcpy(buf + k, key, 4);
        k += 4;
    }
    for (size_t i = 0; i < n; i++)
        buf[k + i] = ((const uint8_t *)p)[i] ^ (mask ? key[i % 4] : 0);
    return k + n;
}

static void write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            fail_msg("write to the server failed: %s", strerror(errno));
        b += w;
        n -= (size_t)w;
    }
}

static void send_frame(client *c, int fin, int rsv, int op, const void *p, size_t n, int mask)
{
    uint8_t *buf = malloc(n + 14);
    size_t k = frame(buf, fin, rsv, op, p, n, mask);
    write_all(c->fd, buf, k);
    free(buf);
}

static void send_text(client *c, const char *s) { send_frame(c, 1, 0, 1, s, strlen(s), 1); }

static void sendf(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sendf(client *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    send_text(c, buf);
}

/* Read exactly n bytes before the deadline: 0, -1 timeout, -2 EOF. */
static int read_exact(int fd, uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0)
            continue;
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -2;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One frame from the server: 0 with *op, *payload (malloc'd, NUL-terminated), *len. */
static int read_frame(client *c, int *op, char **payload, size_t *len, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t h[10];
    int rc = read_exact(c->fd, h, 2, deadline);
    if (rc)
        return rc;
    assert_true(h[0] & 0x80);          /* the server never fragments */
    assert_int_equal(h[1] & 0x80, 0);  /* nor masks */
    uint64_t n = h[1] & 0x7f;
    if (n == 126) {
        if ((rc = read_exact(c->fd, h + 2, 2, deadline)))
            return rc;
        n = (uint64_t)h[2] << 8 | h[3];
    } else if (n == 127) {
        if ((rc = read_exact(c->fd, h + 2, 8, deadline)))
            return rc;
        n = 0;
        for (int i = 2; i < 10; i++)
            n = n << 8 | h[i];
    }
    char *p = malloc(n + 1);
    if ((rc = read_exact(c->fd, (uint8_t *)p, n, deadline))) {
        free(p);
        return rc;
    }
    p[n] = '\0';
    *op = h[0] & 0x0f;
    *payload = p;
    *len = n;
    return 0;
}

/* The next JSON message; NULL when the server closed (close_code set) or on timeout (fails). */
static json_t *recv_msg_to(client *c, int timeout_ms)
{
    for (;;) {
        int op;
        char *p;
        size_t n;
        int rc = read_frame(c, &op, &p, &n, timeout_ms);
        if (rc == -1)
            fail_msg("no message from the server within %d ms", timeout_ms);
        if (rc == -2)
            return NULL;
        if (op == 9) {
            c->pings++;
            if (c->auto_pong)
                send_frame(c, 1, 0, 10, p, n, 1);
            free(p);
            continue;
        }
        if (op == 10) {
            free(p);
            continue;
        }
        if (op == 8) {
            c->close_code = n >= 2 ? ((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 1005;
            free(p);
            return NULL;
        }
        assert_int_equal(op, 1);
        json_error_t err;
        json_t *j = json_loads(p, 0, &err);
        if (!j)
            fail_msg("server sent invalid JSON: %s", p);
        free(p);
        return j;
    }
}

static json_t *recv_msg(client *c) { return recv_msg_to(c, WAIT_MS); }

static const char *jstr(json_t *j, const char *k)
{
    json_t *v = json_object_get(j, k);
    if (!json_is_string(v))
        fail_msg("field %s is not a string", k);
    return json_string_value(v);
}

static json_int_t jint(json_t *j, const char *k)
{
    json_t *v = json_object_get(j, k);
    if (!json_is_integer(v))
        fail_msg("field %s is not an integer", k);
    return json_integer_value(v);
}

/* The next message must have this type; returns it (caller decrefs). */
static json_t *expect(client *c, const char *type)
{
    json_t *j = recv_msg(c);
    if (!j)
        fail_msg("connection closed (code %d) while waiting for %s", c->close_code, type);
    if (strcmp(jstr(j, "type"), type) != 0) {
        char *s = json_dumps(j, 0);
        fail_msg("expected %s, got %s", type, s);
    }
    return j;
}

static void expect_error(client *c, const char *code, const char *text)
{
    json_t *j = expect(c, "error");
    if (strcmp(jstr(j, "code"), code) != 0 || (text && !strstr(jstr(j, "message"), text)))
        fail_msg("expected error %s (\"%s\"), got %s: %s", code, text ? text : "",
                 jstr(j, "code"), jstr(j, "message"));
    /* type, code, message; and the SQLSTATE of an engine error (QUERY_FAILED) */
    json_t *ss = json_object_get(j, "sqlstate");
    assert_int_equal(json_object_size(j), ss ? 4 : 3);
    if (ss)
        assert_int_equal(strlen(json_string_value(ss)), 5);
    json_decref(j);
}

/* A JSON ping answered by pong: everything sent before it has been answered. */
static void barrier(client *c)
{
    send_text(c, "{\"type\":\"ping\"}");
    json_decref(expect(c, "pong"));
}

/* The server closes with a close frame of this code (text messages before it are skipped). */
static void expect_close(client *c, int code)
{
    json_t *j;
    while ((j = recv_msg(c)))
        json_decref(j);
    assert_int_equal(c->close_code, code);
}

static void check_timestamp(const char *ts)
{
    /* 2026-11-24T08:20:12.123456+00:00 */
    assert_int_equal(strlen(ts), 32);
    assert_int_equal(ts[4], '-');
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_string_equal(ts + 26, "+00:00");
}

static void subscribe(client *c, const char *ch)
{
    sendf(c, "{\"type\":\"subscribe\",\"channel\":\"%s\"}", ch);
    json_t *j = expect(c, "subscription_confirmed");
    assert_string_equal(jstr(j, "channel"), ch);
    check_timestamp(jstr(j, "timestamp"));
    json_decref(j);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_accept_key(void **state)
{
    (void)state;
    char out[29];
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out); /* RFC 6455 section 1.3 */
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_utf8_fix(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"abc", "abc"},
        {"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"a\xc3", "a?"},                  /* cut inside a character */
        {"a\xe2\x82", "a??"},
        {"\xc3(", "?("},
        {"\x80x", "?x"},                  /* a lone continuation byte */
        {"\xc0\x80", "??"},              /* overlong NUL */
        {"\xe0\x80\xaf", "???"},        /* overlong '/' */
        {"\xed\xa0\x80", "???"},        /* a surrogate */
        {"\xf4\x90\x80\x80", "????"},  /* above U+10FFFF */
        {"\xff\xfe", "??"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[32];
        strcpy(buf, cases[i].in);
        ws_utf8_fix(buf);
        assert_string_equal(buf, cases[i].out);
        json_t *j = json_string(buf); /* what jansson accepts */
        assert_non_null(j);
        json_decref(j);
    }
}

static void test_pubsub_roundtrip(void **state)
{
    (void)state;
    ws_hub *h = hub_make(NULL);
    client *a = client_open(h, &ID_RW), *b = client_open(h, &ID_RO);
    assert_int_equal(ws_hub_connections(h), 2);
    subscribe(a, "sensor.temperature");
    send_text(b, "{\"type\":\"publish\",\"channel\":\"sensor.temperature\",\"data\":{\"value\":23.5,"
                 "\"unit\":\"celsius\"}}");
    json_t *m = expect(a, "channel_message");
    assert_string_equal(jstr(m, "channel"), "sensor.temperature");
    check_timestamp(jstr(m, "timestamp"));
    json_t *want = json_pack("{s:f, s:s}", "value", 23.5, "unit", "celsius");
    assert_true(json_equal(json_object_get(m, "data"), want));
    json_decref(want);
    json_decref(m);
    barrier(b); /* the publisher, not subscribed, got nothing (no ack either) */

    /* The publisher gets its own message only when subscribed. */
    subscribe(b, "chat.room1");
    send_text(b, "{\"type\":\"publish\",\"channel\":\"chat.room1\",\"data\":\"hi\"}");
    m = expect(b, "channel_message");
    assert_string_equal(jstr(m, "data"), "hi");
    json_decref(m);
    barrier(a);

    /* Unsubscribe: confirmed (also when not subscribed), and nothing arrives afterwards. */
    send_text(a, "{\"type\":\"unsubscribe\",\"channel\":\"sensor.temperature\"}");
    m = expect(a, "unsubscription_confirmed");
    assert_string_equal(jstr(m, "channel"), "sensor.temperature");
    json_decref(m);
    send_text(a, "{\"type\":\"unsubscribe\",\"channel\":\"never.subscribed\"}");
    json_decref(expect(a, "unsubscription_confirmed"));
    send_text(b, "{\"type\":\"publish\",\"channel\":\"sensor.temperature\",\"data\":1}");
    barrier(b);
    barrier(a);

    /* Server-side publish on table.<name>; clients may not publish there. */
    subscribe(a, "table.*");
    assert_int_equal(ws_publish(h, "table.users", "{\"op\":\"insert\",\"id\":7}"), 1);
    m = expect(a, "channel_message");
    assert_string_equal(jstr(m, "channel"), "table.users");
    assert_int_equal(jint(json_object_get(m, "data"), "id"), 7);
    json_decref(m);
    assert_int_equal(ws_publish(h, "table.users", "{not json"), NQ_EINVAL);
    assert_int_equal(ws_publish(h, "table..users", "1"), NQ_EINVAL);
    assert_int_equal(ws_publish(h, "nobody.here", "1"), 0);
    send_text(b, "{\"type\":\"publish\",\"channel\":\"table.users\",\"data\":{}}");
    expect_error(b, "FORBIDDEN_CHANNEL", "table.users");
    barrier(a);

    ws_hub_stats st;
    ws_hub_get_stats(h, &st);
    assert_int_equal(st.connections, 2);
    assert_true(st.messages_received >= 10);
    assert_true(st.messages_sent >= 10);
    client_close(a);
    client_close(b);
    assert_int_equal(ws_hub_connections(h), 0);
    ws_hub_free(h);
}

static void test_patterns(void **state)
{
    (void)state;
    ws_hub *h = hub_make(NULL);
    client *a = client_open(h, &ID_RW), *b = client_open(h, &ID_RW), *c = client_open(h, &ID_RW),
           *p = client_open(h, &ID_RW);
    subscribe(a, "sensor.*");
    subscribe(a, "sensor.temperature"); /* exact + pattern: still one copy */
    subscribe(b, "events.**");
    subscribe(c, "**");
    static const struct {
        const char *ch;
        int a, b, c;
    } pubs[] = {
        {"sensor.temperature", 1, 0, 1}, {"sensor.a.b", 0, 0, 1}, {"events", 0, 1, 1},
        {"events.user.login", 0, 1, 1},  {"sensor", 0, 0, 1},     {"other", 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof pubs / sizeof *pubs; i++)
        sendf(p, "{\"type\":\"publish\",\"channel\":\"%s\",\"data\":%zu}", pubs[i].ch, i);
    barrier(p); /* every publish is delivered by now: delivery happens in the publisher's turn */
    client *cl[3] = {a, b, c};
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizeof pubs / sizeof *pubs; i++) {
            int want = k == 0 ? pubs[i].a : k == 1 ? pubs[i].b : pubs[i].c;
            if (!want)
                continue;
            json_t *m = expect(cl[k], "channel_message");
            assert_string_equal(jstr(m, "channel"), pubs[i].ch);
            assert_int_equal(jint(m, "data"), (json_int_t)i);
            json_decref(m);
        }
        barrier(cl[k]); /* and nothing else */
    }
    /* Unsubscribing the pattern leaves the exact subscription. */
    send_text(a, "{\"type\":\"unsubscribe\",\"channel\":\"sensor.*\"}");
    json_decref(expect(a, "unsubscription_confirmed"));
    send_text(p, "{\"type\":\"publish\",\"channel\":\"sensor.humidity\",\"data\":0}");
    send_text(p, "{\"type\":\"publish\",\"channel\":\"sensor.temperature\",\"data\":1}");
    barrier(p);
    json_t *m = expect(a, "channel_message");
    assert_int_equal(jint(m, "data"), 1);
    json_decref(m);
    barrier(a);
    client_close(a);
    client_close(b);
    client_close(c);
    client_close(p);
    ws_hub_free(h);
}

static void test_malformed(void **state)
{
    (void)state;
    ws_hub *h = hub_make(NULL);
    client *c = client_open(h, &ID_RW);
    send_text(c, "not json");
    expect_error(c, "INVALID_MESSAGE", "invalid JSON");
    send_text(c, "[1,2]");
    expect_error(c, "INVALID_MESSAGE", "JSON object");
    send_text(c, "{\"channel\":\"a\"}");
    expect_error(c, "INVALID_MESSAGE", "missing field \"type\"");
    send_text(c, "{\"type\":7}");
    expect_error(c, "INVALID_MESSAGE", "\"type\" must be a string");
    send_text(c, "{\"type\":\"nope\"}");
    expect_error(c, "INVALID_MESSAGE", "unknown message type \"nope\"");
    /* The quoted type is cut at 64 bytes, inside a two-byte character: still an error reply. */
    char longtype[256] = "{\"type\":\"a";
    for (int i = 0; i < 40; i++)
        strcat(longtype, "\xc3\xa9");
    strcat(longtype, "\"}");
    send_text(c, longtype);
    expect_error(c, "INVALID_MESSAGE", "unknown message type \"a\xc3\xa9");
    send_text(c, "{\"type\":\"subscribe\"}");
    expect_error(c, "INVALID_MESSAGE", "subscribe: missing field \"channel\"");
    send_text(c, "{\"type\":\"subscribe\",\"channel\":5}");
    expect_error(c, "INVALID_MESSAGE", "\"channel\" must be a string");
    send_text(c, "{\"type\":\"subscribe\",\"channel\":\"a..b\"}");
    expect_error(c, "INVALID_CHANNEL", "empty segment");
    send_text(c, "{\"type\":\"subscribe\",\"channel\":\"\"}");
    expect_error(c, "INVALID_CHANNEL", "empty");
    send_text(c, "{\"type\":\"publish\",\"channel\":\"a.b\"}");
    expect_error(c, "INVALID_MESSAGE", "missing field \"data\"");
    send_text(c, "{\"type\":\"publish\",\"channel\":\"a.*\",\"data\":1}");
    expect_error(c, "INVALID_CHANNEL", "pattern");
    send_text(c, "{\"type\":\"subscribe\",\"channel\":\"x\",\"channel\":\"y\"}");
    expect_error(c, "INVALID_MESSAGE", "duplicate");
    send_text(c, "{\"type\":\"pong\"}");
    expect_error(c, "INVALID_MESSAGE", "pong: missing field \"timestamp\"");
    send_text(c, "{\"type\":\"ping\",\"timestamp\":1}");
    expect_error(c, "INVALID_MESSAGE", "\"timestamp\" must be a string");
    send_text(c, "{\"type\":\"cancel_query\",\"stream_id\":\"zzz\"}");
    expect_error(c, "INVALID_STREAM_ID", "Invalid stream ID: zzz");
    send_text(c, "{\"type\":\"cancel_query\",\"stream_id\":\"1B4E28BA-2FA1-41D2-883F-0016D3CCA427\"}");
    expect_error(c, "CANCEL_FAILED", "Stream 1b4e28ba-2fa1-41d2-883f-0016d3cca427 not found");
    send_text(c, "{\"type\":\"query_status\",\"query_id\":\"1b4e28ba2fa141d2883f0016d3cca427\"}");
    expect_error(c, "QUERY_NOT_FOUND", "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
    send_text(c, "{\"type\":\"query_status\"}");
    expect_error(c, "INVALID_MESSAGE", "query_id");
    send_text(c, "{\"type\":\"stream_query\"}");
    expect_error(c, "INVALID_MESSAGE", "stream_query: missing field \"query\"");
    send_text(c, "{\"type\":\"stream_query\",\"query\":\"SELECT 1\",\"batch_size\":0}");
    expect_error(c, "INVALID_MESSAGE", "batch_size");
    send_text(c, "{\"type\":\"stream_query\",\"query\":\"SELECT 1\",\"batch_size\":10001}");
    expect_error(c, "INVALID_MESSAGE", "batch_size");
    send_text(c, "{\"type\":\"message\",\"data\":{\"x\":1}}"); /* logged, no reply */
    send_frame(c, 1, 0, 2, "\x01\x02", 2, 1);                 /* binary */
    expect_error(c, "UNSUPPORTED_FRAME", "binary");
    /* At most 1024 subscriptions; subscribing again to one of them is still fine. */
    for (int i = 0; i < 1023; i++) /* plus "deep" below */
        sendf(c, "{\"type\":\"subscribe\",\"channel\":\"many.%d\"}", i);
    for (int i = 0; i < 1023; i++)
        json_decref(expect(c, "subscription_confirmed"));
    subscribe(c, "deep");
    send_text(c, "{\"type\":\"subscribe\",\"channel\":\"one.more\"}");
    expect_error(c, "SUBSCRIPTION_LIMIT", "1024");
    subscribe(c, "many.7");
    send_text(c, "{\"type\":\"unsubscribe\",\"channel\":\"many.7\"}");
    json_decref(expect(c, "unsubscription_confirmed"));
    subscribe(c, "one.more");
    send_text(c, "{\"type\":\"unsubscribe\",\"channel\":\"one.more\"}");
    json_decref(expect(c, "unsubscription_confirmed"));
    /* Deep nesting: the parser's depth limit answers, nothing overflows a stack. */
    char *deep = malloc(2 * 5000 + 100);
    for (int depth = 2000; depth <= 5000; depth += 3000) {
        int k = sprintf(deep, "{\"type\":\"publish\",\"channel\":\"deep\",\"data\":");
        for (int i = 0; i < depth; i++)
            deep[k++] = '[';
        for (int i = 0; i < depth; i++)
            deep[k++] = ']';
        strcpy(deep + k, "}");
        send_text(c, deep);
        if (depth == 2000) { /* within jansson's limit (2048): delivered */
            json_t *m = expect(c, "channel_message");
            assert_true(json_is_array(json_object_get(m, "data")));
            json_decref(m);
        } else {
            expect_error(c, "INVALID_MESSAGE", "invalid JSON");
        }
    }
    free(deep);
    /* Still usable. */
    subscribe(c, "still.alive");
    send_text(c, "{\"type\":\"ping\",\"timestamp\":\"2025-10-29T12:00:00Z\"}");
    json_t *j = expect(c, "pong");
    check_timestamp(jstr(j, "timestamp"));
    json_decref(j);
    send_text(c, "{\"type\":\"pong\",\"timestamp\":\"2025-10-29T12:00:00Z\"}"); /* no reply */
    barrier(c);
    client_close(c);
    ws_hub_free(h);
}

static void test_framing(void **state)
{
    (void)state;
    ws_hub *h = hub_make(NULL);
    /* Read-ahead bytes from the HTTP layer are consumed first. */
    uint8_t pre[128];
    const char *sub = "{\"type\":\"subscribe\",\"channel\":\"early\"}";
    size_t n = frame(pre, 1, 0, 1, sub, strlen(sub), 1);
    client *c = client_open_extra(h, &ID_RW, pre, n);
    json_t *j = expect(c, "subscription_confirmed");
    assert_string_equal(jstr(j, "channel"), "early");
    json_decref(j);

    /* A fragmented message with a ping between its fragments. */
    send_frame(c, 0, 0, 1, "{\"type\":", 8, 1);
    send_frame(c, 1, 0, 9, "hb", 2, 1);
    send_frame(c, 0, 0, 0, "\"pi", 3, 1);
    send_frame(c, 1, 0, 0, "ng\"}", 4, 1);
    int op;
    char *p;
    size_t len;
    assert_int_equal(read_frame(c, &op, &p, &len, WAIT_MS), 0);
    assert_int_equal(op, 10); /* the WS pong, with the ping's payload */
    assert_string_equal(p, "hb");
    free(p);
    json_decref(expect(c, "pong"));

    /* A message split byte by byte across writes. */
    uint8_t buf[128];
    const char *ping = "{\"type\":\"ping\"}";
    n = frame(buf, 1, 0, 1, ping, strlen(ping), 1);
    for (size_t i = 0; i < n; i++)
        write_all(c->fd, buf + i, 1);
    json_decref(expect(c, "pong"));

    /* Several messages in one write. */
    n = frame(buf, 1, 0, 1, ping, strlen(ping), 1);
    n += frame(buf + n, 1, 0, 1, ping, strlen(ping), 1);
    write_all(c->fd, buf, n);
    json_decref(expect(c, "pong"));
    json_decref(expect(c, "pong"));

    /* A client close: echoed with the same code, then the server lets go. */
    uint8_t code[2] = {0x03, 0xe8};
    send_frame(c, 1, 0, 8, code, 2, 1);
    expect_close(c, 1000);
    assert_true(wait_done(c));
    client_close(c);
    ws_hub_free(h);
}

/* The metrics events: what the server reports through env->on_event. */
static void test_events(void **state)
{
    (void)state;
    ws_hub *h = hub_make(NULL);
    client *c = client_open(h, &ID_RW);
    subscribe(c, "ev");
    send_text(c, "{\"type\":\"publish\",\"channel\":\"ev\",\"data\":1}");
    json_decref(expect(c, "channel_message"));
    send_text(c, "nope");
    expect_error(c, "INVALID_MESSAGE", NULL);
    send_text(c, "{\"type\":\"whatever\"}");
    expect_error(c, "INVALID_MESSAGE", NULL);
    barrier(c);
    assert_int_equal(events("connected/"), 1);
    assert_int_equal(events("received/subscribe"), 1);
    assert_int_equal(events("received/publish"), 1);
    assert_int_equal(events("received/invalid"), 1);
    assert_int_equal(events("received/unknown"), 1);
    assert_int_equal(events("received/ping"), 1);
    assert_int_equal(events("sent/subscription_confirmed"), 1);
    assert_int_equal(events("sent/channel_message"), 1);
    assert_int_equal(events("sent/error"), 2);
    assert_int_equal(events("error/invalid frame"), 0); /* error replies are not errors of the connection */
    uint8_t buf[16];
    size_t n = frame(buf, 1, 0, 1, "\xff", 1, 1);
    write_all(c->fd, buf, n);
    expect_close(c, 1007);
    client_close(c);
    assert_int_equal(events("error/invalid frame"), 1);
    ws_hub_free(h); /* "disconnected" comes after done(): certain once the thread is joined */
    assert_int_equal(events("disconnected/"), 1);
}

/* A client that sends its requests and half-closes still gets the answers, then EOF. */
static void test_half_close(void **state)
{
    (void)state;
    ws_hub *h = hub_make(NULL);
    client *c = client_open(h, &ID_RW);
    send_text(c, "{\"type\":\"subscribe\",\"channel\":\"a\"}");
    send_text(c, "{\"type\":\"ping\"}");
    shutdown(c->fd, SHUT_WR);
    json_decref(expect(c, "subscription_confirmed"));
    json_decref(expect(c, "pong"));
    assert_null(recv_msg(c)); /* EOF */
    client_close(c);
    ws_hub_free(h);
}

/* One connection that receives bad bytes and must be closed with `code`. */
static void bad_frame_case(ws_hub *h, const void *bytes, size_t n, int code)
{
    client *c = client_open(h, &ID_RW);
    barrier(c);
    write_all(c->fd, bytes, n);
    expect_close(c, code);
    client_close(c);
}

static void test_close_codes(void **state)
{
    (void)state;
    ws_config cfg = {0};
    cfg.max_message_bytes = 1024;
    ws_hub *h = hub_make(&cfg);
    uint8_t buf[4096];
    size_t n;

    n = frame(buf, 1, 0, 1, "\xff\xfe", 2, 1); /* invalid UTF-8 */
    bad_frame_case(h, buf, n, 1007);
    n = frame(buf, 1, 0, 1, "{\"a\":\"\xc3\"}", 9, 1); /* truncated sequence */
    bad_frame_case(h, buf, n, 1007);
    char big[2000];
    memset(big, 'x', sizeof big);
    n = frame(buf, 1, 0, 1, big, sizeof big, 1); /* over max_message_bytes */
    bad_frame_case(h, buf, n, 1009);
    n = frame(buf, 0, 0, 1, big, 600, 1); /* two fragments, together over the limit */
    n += frame(buf + n, 1, 0, 0, big, 600, 1);
    bad_frame_case(h, buf, n, 1009);
    n = frame(buf, 1, 0, 1, "{}", 2, 0); /* unmasked */
    bad_frame_case(h, buf, n, 1002);
    n = frame(buf, 1, 0, 3, "{}", 2, 1); /* reserved opcode */
    bad_frame_case(h, buf, n, 1002);
    n = frame(buf, 1, 4, 1, "{}", 2, 1); /* RSV1 without an extension */
    bad_frame_case(h, buf, n, 1002);
    n = frame(buf, 1, 0, 0, "{}", 2, 1); /* continuation with nothing to continue */
    bad_frame_case(h, buf, n, 1002);
    n = frame(buf, 0, 0, 1, "{", 1, 1); /* a new text frame inside a fragmented message */
    n += frame(buf + n, 1, 0, 1, "{}", 2, 1);
    bad_frame_case(h, buf, n, 1002);
    n = frame(buf, 1, 0, 9, big, 126, 1); /* a control frame over 125 bytes */
    bad_frame_case(h, buf, n, 1002);
    n = frame(buf, 0, 0, 9, "x", 1, 1); /* a fragmented control frame */
    bad_frame_case(h, buf, n, 1002);
    uint8_t badlen[] = {0x81, 0xfe, 0x00, 0x05, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
    bad_frame_case(h, badlen, sizeof badlen, 1002); /* a 16-bit length below 126 */
    uint8_t badcode[] = {0x03, 0xed}; /* close with the reserved status 1005 */
    n = frame(buf, 1, 0, 8, badcode, 2, 1);
    bad_frame_case(h, buf, n, 1002);
    ws_hub_free(h);
}

static void test_max_connections(void **state)
{
    (void)state;
    ws_config cfg = {0};
    cfg.max_connections = 1;
    ws_hub *h = hub_make(&cfg);
    client *a = client_open(h, &ID_RW);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(ws_accept(h, sv[0], NULL, 0, &ID_RW, "x", on_done, NULL), NQ_EBUSY);
    close(sv[0]);
    close(sv[1]);
    barrier(a);
    client_close(a);
    client *b = client_open(h, &ID_RW); /* room again */
    barrier(b);
    client_close(b);
    ws_hub_free(h);
}

/* ---- streams ------------------------------------------------------------------------------ */

static void db_setup(int rows, int name_len)
{
    remove("ws.db");
    remove("ws.db-wal");
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    assert_int_equal(nq_open("ws.db", &o, &g_db), 0);
    assert_int_equal(nq_exec(g_db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)", NULL, NULL),
                     0);
    assert_int_equal(nq_exec(g_db, "BEGIN", NULL, NULL), 0);
    nq_stmt *st;
    assert_int_equal(nq_prepare(g_db, "INSERT INTO t VALUES (?, ?)", (size_t)-1, &st, NULL), 0);
    char name[512];
    for (int i = 1; i <= rows; i++) {
        int k = snprintf(name, sizeof name, "row %d ", i);
        while (k < name_len)
            name[k++] = (char)('a' + i % 26);
        name[k] = '\0';
        nq_bind_int64(st, 1, i);
        nq_bind_text(st, 2, name, (size_t)-1);
        assert_int_equal(nq_step(st), NQ_DONE);
        nq_reset(st);
    }
    nq_finalize(st);
    assert_int_equal(nq_exec(g_db, "COMMIT", NULL, NULL), 0);
}

static void db_teardown(void)
{
    nq_close(g_db);
    g_db = NULL;
    remove("ws.db");
    remove("ws.db-wal");
}

static int64_t count_rows(void)
{
    nq_stmt *st;
    assert_int_equal(nq_prepare(g_db, "SELECT count(*) FROM t", (size_t)-1, &st, NULL), 0);
    assert_int_equal(nq_step(st), NQ_ROW);
    int64_t n = nq_column_int64(st, 0);
    nq_finalize(st);
    return n;
}

/* Reads a whole stream after query_started: checks batch numbers, sizes, has_more and that the
 * ids are from..from+total-1 in order; returns total rows. */
static int64_t read_stream(client *c, const char *id, unsigned batch, int64_t from, int64_t total)
{
    int64_t next = from, got = 0, bno = 0;
    for (;;) {
        json_t *m = recv_msg(c);
        assert_non_null(m);
        const char *t = jstr(m, "type");
        assert_string_equal(jstr(m, "stream_id"), id);
        if (strcmp(t, "query_progress") == 0) {
            assert_true(jint(m, "rows_processed") <= got);
            assert_true(json_is_null(json_object_get(m, "percentage")));
            assert_true(json_is_number(json_object_get(m, "throughput")));
            json_decref(m);
            continue;
        }
        if (strcmp(t, "query_completed") == 0) {
            assert_int_equal(jint(m, "total_rows"), got);
            assert_true(jint(m, "execution_time_ms") >= 0);
            json_decref(m);
            return got;
        }
        assert_string_equal(t, "query_batch");
        assert_int_equal(jint(m, "batch_number"), bno++);
        json_t *rows = json_object_get(m, "rows");
        size_t k = json_array_size(rows);
        int more = json_is_true(json_object_get(m, "has_more"));
        assert_int_equal(more, got + (int64_t)k < total);
        if (more)
            assert_int_equal(k, batch);
        for (size_t i = 0; i < k; i++) {
            json_t *r = json_array_get(rows, i);
            assert_int_equal(jint(r, "id"), next);
            char want[32];
            snprintf(want, sizeof want, "row %lld ", (long long)next);
            assert_memory_equal(jstr(r, "name"), want, strlen(want));
            next++;
        }
        got += (int64_t)k;
        json_decref(m);
    }
}

static json_t *start_stream(client *c, const char *query, unsigned batch, char id[37])
{
    json_t *req = json_pack("{s:s, s:s}", "type", "stream_query", "query", query);
    if (batch)
        json_object_set_new(req, "batch_size", json_integer(batch));
    char *s = json_dumps(req, JSON_COMPACT);
    send_text(c, s);
    free(s);
    json_decref(req);
    json_t *m = recv_msg(c);
    assert_non_null(m);
    if (strcmp(jstr(m, "type"), "query_started") == 0) {
        snprintf(id, 37, "%s", jstr(m, "stream_id"));
        assert_int_equal(strlen(id), 36);
        assert_int_equal(id[14], '4'); /* UUID v4 */
        assert_string_equal(jstr(m, "query"), query);
        assert_true(json_is_null(json_object_get(m, "estimated_rows")));
    }
    return m;
}

static void wait_streams_idle(ws_hub *h)
{
    ws_hub_stats st;
    int64_t end = now_ms() + WAIT_MS;
    do {
        ws_hub_get_stats(h, &st);
        if (st.streams_running == 0)
            return;
        nap_ms(5);
    } while (now_ms() < end);
    fail_msg("a stream is still running");
}

static void test_stream_query(void **state)
{
    (void)state;
    db_setup(1050, 20);
    ws_config cfg = {0};
    cfg.default_batch = 64;
    ws_hub *h = hub_make(&cfg);
    client *c = client_open(h, &ID_RO);
    char id[37];
    json_decref(start_stream(c, "SELECT id, name FROM t ORDER BY id", 100, id));
    assert_int_equal(read_stream(c, id, 100, 1, 1050), 1050);
    sendf(c, "{\"type\":\"query_status\",\"query_id\":\"%s\"}", id);
    json_t *m = expect(c, "query_status");
    assert_string_equal(jstr(m, "query_id"), id);
    assert_string_equal(jstr(m, "status"), "completed");
    assert_int_equal(jint(m, "progress"), 100);
    assert_int_equal(jint(m, "rows_processed"), 1050);
    json_decref(m);
    /* Cancelling a finished stream fails. */
    sendf(c, "{\"type\":\"cancel_query\",\"stream_id\":\"%s\"}", id);
    expect_error(c, "CANCEL_FAILED", "not running (completed)");

    /* The default batch, a filter, a trailing semicolon and comment. */
    json_decref(start_stream(c, "SELECT id, name FROM t WHERE id > 1000; -- the tail", 0, id));
    assert_int_equal(read_stream(c, id, 64, 1001, 50), 50);
    /* A multiple of the batch size: the last full batch has has_more false. */
    json_decref(start_stream(c, "SELECT id, name FROM t WHERE id <= 200", 100, id));
    assert_int_equal(read_stream(c, id, 100, 1, 200), 200);
    /* No rows: one empty batch with has_more false. */
    json_decref(start_stream(c, "SELECT id, name FROM t WHERE id < 0", 0, id));
    assert_int_equal(read_stream(c, id, 64, 1, 0), 0);
    /* Errors. */
    m = start_stream(c, "SELEC id FROM t", 0, id);
    assert_string_equal(jstr(m, "type"), "error");
    assert_string_equal(jstr(m, "code"), "QUERY_FAILED");
    assert_non_null(strstr(jstr(m, "message"), "Query execution failed: "));
    assert_non_null(strstr(jstr(m, "message"), "syntax error"));
    json_decref(m);
    m = start_stream(c, "SELECT 1; SELECT 2", 0, id);
    assert_string_equal(jstr(m, "code"), "QUERY_FAILED");
    assert_non_null(strstr(jstr(m, "message"), "exactly one statement"));
    json_decref(m);
    m = start_stream(c, "SELECT nope FROM t", 0, id);
    assert_string_equal(jstr(m, "code"), "QUERY_FAILED");
    assert_non_null(strstr(jstr(m, "message"), "nope"));
    json_decref(m);
    /* Permissions: a read-only key cannot write through a stream. */
    m = start_stream(c, "INSERT INTO t VALUES (5000, 'x')", 0, id);
    assert_string_equal(jstr(m, "code"), "PERMISSION_DENIED");
    assert_non_null(strstr(jstr(m, "message"), "'write'"));
    json_decref(m);
    m = start_stream(c, "DELETE FROM t", 0, id);
    assert_string_equal(jstr(m, "code"), "PERMISSION_DENIED");
    json_decref(m);
    wait_streams_idle(h);
    assert_int_equal(count_rows(), 1050);
    client_close(c);

    /* Without read nothing at all; with write the INSERT runs. */
    c = client_open(h, &ID_NOPERM);
    m = start_stream(c, "SELECT 1", 0, id);
    assert_string_equal(jstr(m, "code"), "PERMISSION_DENIED");
    assert_non_null(strstr(jstr(m, "message"), "'read'"));
    json_decref(m);
    client_close(c);
    c = client_open(h, &ID_RW);
    /* Transaction control has no place in a stream (its transaction would end unseen). */
    m = start_stream(c, "BEGIN", 0, id);
    assert_string_equal(jstr(m, "type"), "query_started");
    json_decref(m);
    expect_error(c, "QUERY_FAILED", "transaction control");
    m = start_stream(c, "COMMIT", 0, id);
    assert_string_equal(jstr(m, "type"), "query_started");
    json_decref(m);
    expect_error(c, "QUERY_FAILED", "Query execution failed: ");
    json_decref(start_stream(c, "INSERT INTO t VALUES (5000, 'row 5000 ')", 0, id));
    m = expect(c, "query_batch");
    assert_int_equal(json_array_size(json_object_get(m, "rows")), 0);
    assert_true(json_is_false(json_object_get(m, "has_more")));
    json_decref(m);
    m = expect(c, "query_completed");
    assert_int_equal(jint(m, "total_rows"), 0);
    json_decref(m);
    wait_streams_idle(h);
    assert_int_equal(count_rows(), 1051);
    client_close(c);

    ws_hub_stats st;
    ws_hub_get_stats(h, &st);
    assert_int_equal(st.stream_rows, 1050 + 50 + 200);
    ws_hub_free(h);
    db_teardown();
}

#define BIG_CTE                                                                                \
    "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 10000000) "      \
    "SELECT x AS id, 'row ' || x || ' ' AS name FROM r"

static void test_stream_cancel(void **state)
{
    (void)state;
    db_setup(0, 0);
    ws_config cfg = {0};
    cfg.max_buffered_messages = 16;
    ws_hub *h = hub_make(&cfg);
    client *c = client_open(h, &ID_RO);
    char id[37];
    json_decref(start_stream(c, BIG_CTE, 1000, id));
    json_t *m = expect(c, "query_batch");
    assert_int_equal(jint(m, "batch_number"), 0);
    assert_int_equal(json_array_size(json_object_get(m, "rows")), 1000);
    json_decref(m);

    /* The real state while it runs. */
    sendf(c, "{\"type\":\"query_status\",\"query_id\":\"%s\"}", id);
    for (;;) {
        m = recv_msg(c);
        assert_non_null(m);
        if (strcmp(jstr(m, "type"), "query_status") == 0)
            break;
        json_decref(m);
    }
    assert_string_equal(jstr(m, "status"), "running");
    assert_true(json_is_null(json_object_get(m, "progress")));
    assert_true(jint(m, "rows_processed") >= 1000);
    json_decref(m);

    sendf(c, "{\"type\":\"cancel_query\",\"stream_id\":\"%s\"}", id);
    for (;;) { /* batches queued before the cancel may still come, then query_cancelled */
        m = recv_msg(c);
        assert_non_null(m);
        const char *t = jstr(m, "type");
        if (strcmp(t, "query_cancelled") == 0)
            break;
        assert_true(strcmp(t, "query_batch") == 0 || strcmp(t, "query_progress") == 0);
        json_decref(m);
    }
    assert_string_equal(jstr(m, "stream_id"), id);
    assert_string_equal(jstr(m, "reason"), "Cancelled by user");
    json_decref(m);
    wait_streams_idle(h); /* the producer really stopped */
    barrier(c);           /* and nothing of the stream came after query_cancelled */
    sendf(c, "{\"type\":\"query_status\",\"query_id\":\"%s\"}", id);
    m = expect(c, "query_status");
    assert_string_equal(jstr(m, "status"), "cancelled");
    int64_t rows = jint(m, "rows_processed");
    assert_true(rows < 10000000);
    json_decref(m);
    sendf(c, "{\"type\":\"cancel_query\",\"stream_id\":\"%s\"}", id);
    expect_error(c, "CANCEL_FAILED", "not running (cancelled)");
    ws_hub_stats st;
    ws_hub_get_stats(h, &st);
    assert_true(st.stream_rows < 10000000);

    /* Closing the connection cancels its streams. */
    json_decref(start_stream(c, BIG_CTE, 1000, id));
    json_decref(expect(c, "query_batch"));
    client_close(c);
    wait_streams_idle(h);
    ws_hub_free(h);
    db_teardown();
}

static void test_backpressure(void **state)
{
    (void)state;
    db_setup(20000, 100);
    ws_config cfg = {0};
    cfg.max_buffered_messages = 8;
    ws_hub *h = hub_make(&cfg);
    client *c = client_open(h, &ID_RO);
    char id[37];
    json_decref(start_stream(c, "SELECT id, name FROM t", 10, id));
    /* The client reads nothing: the socket fills, then the queue, then the producer waits. */
    ws_hub_stats st, st2;
    int64_t end = now_ms() + WAIT_MS;
    for (;;) {
        ws_hub_get_stats(h, &st);
        nap_ms(50);
        ws_hub_get_stats(h, &st2);
        if (st2.streams_waiting == 1 && st2.stream_rows == st.stream_rows)
            break;
        if (now_ms() > end)
            fail_msg("the producer never waited (rows %llu)", (unsigned long long)st2.stream_rows);
    }
    assert_true(st2.stream_rows < 20000);
    assert_true(st2.queue_peak <= 8);
    assert_int_equal(st2.streams_running, 1);
    /* Now read: every row arrives once, in order, and the queue never grew past its bound. */
    assert_int_equal(read_stream(c, id, 10, 1, 20000), 20000);
    ws_hub_get_stats(h, &st);
    assert_true(st.queue_peak <= 8);
    client_close(c);
    ws_hub_free(h);
    db_teardown();
}

static void test_slow_subscriber_drops(void **state)
{
    (void)state;
    ws_config cfg = {0};
    cfg.max_buffered_messages = 4;
    ws_hub *h = hub_make(&cfg);
    client *c = client_open(h, &ID_RO);
    subscribe(c, "news");
    char pad[1001];
    memset(pad, 'p', 1000);
    pad[1000] = '\0';
    char data[1100];
    for (int i = 0; i < 3000; i++) { /* publishing never waits for the client */
        snprintf(data, sizeof data, "{\"n\":%d,\"pad\":\"%s\"}", i, pad);
        assert_int_equal(ws_publish(h, "news", data), 1);
    }
    ws_hub_stats st;
    ws_hub_get_stats(h, &st);
    assert_true(st.messages_dropped > 0);
    assert_true(st.queue_peak <= 4);
    send_text(c, "{\"type\":\"ping\"}");
    int last = -1, got = 0;
    for (;;) {
        json_t *m = recv_msg(c);
        assert_non_null(m);
        if (strcmp(jstr(m, "type"), "pong") == 0) {
            json_decref(m);
            break;
        }
        int n = (int)jint(json_object_get(m, "data"), "n");
        assert_true(n > last);
        last = n;
        got++;
        json_decref(m);
    }
    assert_int_equal(last, 2999); /* the oldest were dropped, the newest kept */
    assert_int_equal(got + (int)st.messages_dropped, 3000);
    client_close(c);
    ws_hub_free(h);
}

static void test_heartbeat(void **state)
{
    (void)state;
    ws_config cfg = {0};
    cfg.heartbeat_interval_s = 1;
    cfg.heartbeat_timeout_s = 2;
    ws_hub *h = hub_make(&cfg);
    client *c = client_open(h, &ID_RO);
    /* Answering pings keeps it open past the timeout. */
    int64_t start = now_ms();
    while (now_ms() - start < 3000)
        barrier(c), nap_ms(50); /* also answers WS pings (auto_pong) */
    int op;
    char *p;
    size_t n;
    while (c->pings < 2) { /* at least two server pings within ~3 s */
        assert_int_equal(read_frame(c, &op, &p, &n, WAIT_MS), 0);
        if (op == 9) {
            c->pings++;
            send_frame(c, 1, 0, 10, p, n, 1);
        }
        free(p);
    }
    barrier(c);
    /* A dead peer: no pong, no traffic. Closed with 1008 after the timeout. */
    c->auto_pong = 0;
    expect_close(c, 1008);
    assert_true(wait_done(c));
    assert_true(log_has("heartbeat timeout"));
    client_close(c);
    ws_hub_free(h);
}

static void test_stalled_queue(void **state)
{
    (void)state;
    ws_config cfg = {0};
    cfg.heartbeat_interval_s = 1;
    cfg.heartbeat_timeout_s = 2;
    cfg.max_buffered_messages = 4;
    ws_hub *h = hub_make(&cfg);
    client *c = client_open(h, &ID_RO);
    subscribe(c, "bulk");
    char *data = malloc(8200);
    memset(data, 'q', 8200);
    data[0] = '"';
    data[8198] = '"';
    data[8199] = '\0';
    /* The client keeps sending (so it is alive) but never reads: the queue stays full. */
    int64_t end = now_ms() + WAIT_MS;
    while (!__atomic_load_n(&c->done, __ATOMIC_SEQ_CST) && now_ms() < end) {
        for (int i = 0; i < 50; i++)
            ws_publish(h, "bulk", data);
        /* The server may have closed meanwhile: a failed write is expected then. */
        uint8_t buf[64];
        const char *pong = "{\"type\":\"pong\",\"timestamp\":\"t\"}";
        size_t n = frame(buf, 1, 0, 1, pong, strlen(pong), 1);
        ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
        (void)w;
        nap_ms(100);
    }
    free(data);
    assert_true(c->done);
    assert_true(log_has("outbound queue stalled"));
    client_close(c);
    ws_hub_free(h);
}

typedef struct {
    ws_hub *h;
} shut_arg;

static void *shut_thread(void *arg)
{
    ws_hub_shutdown(((shut_arg *)arg)->h);
    return NULL;
}

static void test_shutdown(void **state)
{
    (void)state;
    db_setup(0, 0);
    ws_hub *h = hub_make(NULL);
    client *a = client_open(h, &ID_RO), *b = client_open(h, &ID_RO);
    subscribe(a, "x.y");
    char id[37];
    json_decref(start_stream(b, BIG_CTE, 100, id));
    json_decref(expect(b, "query_batch"));
    shut_arg sa = {h};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, shut_thread, &sa), 0);
    expect_close(a, 1001);
    expect_close(b, 1001);
    pthread_join(t, NULL);
    assert_true(a->done == 1 && b->done == 1);
    ws_hub_stats st;
    ws_hub_get_stats(h, &st);
    assert_int_equal(st.connections, 0);
    assert_int_equal(st.streams_running, 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(ws_accept(h, sv[0], NULL, 0, &ID_RW, "x", on_done, NULL), NQ_EBUSY);
    close(sv[0]);
    close(sv[1]);
    close(a->fd);
    close(b->fd);
    free(a);
    free(b);
    ws_hub_free(h);
    db_teardown();
}

/* ---- an independent client: Python's websocket-client over loopback TCP ------------------- */

static const char py_client[] =
    "import json, sys, websocket\n"
    "from websocket import ABNF\n"
    "ws = websocket.create_connection(sys.argv[1], timeout=10)\n"
    "def recv():\n"
    "    return json.loads(ws.recv())\n"
    "ws.send(json.dumps({'type': 'subscribe', 'channel': 'py.*'}))\n"
    "m = recv(); assert m['type'] == 'subscription_confirmed' and m['channel'] == 'py.*', m\n"
    "data = {'x': [1, 2.5, None, True], 's': 'h\\u00e9llo \\u2603'}\n"
    "ws.send(json.dumps({'type': 'publish', 'channel': 'py.test', 'data': data}))\n"
    "m = recv(); assert m['type'] == 'channel_message' and m['data'] == data, m\n"
    "ws.send_frame(ABNF.create_frame('{\"type\":', ABNF.OPCODE_TEXT, 0))\n"
    "ws.send_frame(ABNF.create_frame('\"ping\"}', ABNF.OPCODE_CONT, 1))\n"
    "m = recv(); assert m['type'] == 'pong' and m['timestamp'].endswith('+00:00'), m\n"
    "ws.ping('abc')\n"
    "op, f = ws.recv_data_frame(True)\n"
    "assert op == ABNF.OPCODE_PONG and f.data == b'abc', (op, f.data)\n"
    "ws.send_binary(b'\\x00\\x01')\n"
    "m = recv(); assert m['type'] == 'error' and m['code'] == 'UNSUPPORTED_FRAME', m\n"
    "ws.send(json.dumps({'type': 'stream_query', 'query': 'SELECT id FROM t ORDER BY id',\n"
    "                    'batch_size': 7}))\n"
    "m = recv(); assert m['type'] == 'query_started', m\n"
    "ids = []\n"
    "while True:\n"
    "    m = recv()\n"
    "    if m['type'] == 'query_completed':\n"
    "        break\n"
    "    assert m['type'] == 'query_batch', m\n"
    "    ids += [r['id'] for r in m['rows']]\n"
    "assert ids == list(range(1, 31)) and m['total_rows'] == 30, (ids, m)\n"
    "ws.send_close(1000, b'bye')\n"
    "f = ws.recv_frame()\n"
    "assert f.opcode == ABNF.OPCODE_CLOSE and f.data[:2] == b'\\x03\\xe8', f.data\n"
    "ws.shutdown()\n"
    "print('OK')\n";

static void test_python_client(void **state)
{
    (void)state;
    if (system("/usr/bin/python3 -c 'import websocket' 2>/dev/null") != 0)
        skip(); /* scripts/bootstrap installs python3-websocket */
    db_setup(30, 0);
    ws_hub *h = hub_make(NULL);
    FILE *f = fopen("ws_client.py", "w");
    assert_non_null(f);
    fputs(py_client, f);
    fclose(f);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(ls, 1), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 ws_client.py ws://127.0.0.1:%u/ws 2>&1",
             ntohs(a.sin_port));
    FILE *py = popen(cmd, "r");
    assert_non_null(py);

    /* The part the HTTP layer plays: read the upgrade request, answer 101, hand over. */
    struct pollfd pf = {ls, POLLIN, 0};
    assert_int_equal(poll(&pf, 1, WAIT_MS), 1);
    client *c = calloc(1, sizeof *c);
    c->sfd = accept(ls, NULL, NULL);
    assert_true(c->sfd >= 0);
    close(ls);
    char req[4096];
    size_t n = 0;
    char *end = NULL;
    int64_t deadline = now_ms() + WAIT_MS;
    while (!(end = strstr(req, "\r\n\r\n"))) {
        assert_true(n < sizeof req - 1);
        ssize_t r = read_exact(c->sfd, (uint8_t *)req + n, 1, deadline) == 0 ? 1 : -1;
        assert_int_equal(r, 1);
        req[++n] = '\0';
    }
    const char *k = strcasestr(req, "\r\nSec-WebSocket-Key:");
    assert_non_null(k);
    k += 20;
    while (*k == ' ')
        k++;
    char key[64];
    size_t kl = strcspn(k, "\r\n ");
    assert_true(kl < sizeof key);
    memcpy(key, k, kl);
    key[kl] = '\0';
    char acc[29], resp[256];
    ws_accept_key(key, acc);
    int rl = snprintf(resp, sizeof resp,
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                      acc);
    write_all(c->sfd, resp, (size_t)rl);
    assert_int_equal(ws_accept(h, c->sfd, NULL, 0, &ID_RO, "127.0.0.1", on_done, c), 0);

    char out[4096] = "";
    size_t on = fread(out, 1, sizeof out - 1, py);
    out[on] = '\0';
    int st = pclose(py);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || strcmp(out, "OK\n") != 0)
        fail_msg("python client failed (status %d):\n%s", st, out);
    assert_true(wait_done(c));
    free(c);
    ws_hub_free(h);
    db_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),       cmocka_unit_test(test_utf8_fix),       cmocka_unit_test(test_pubsub_roundtrip),
        cmocka_unit_test(test_patterns),         cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_framing),          cmocka_unit_test(test_close_codes),
        cmocka_unit_test(test_max_connections),  cmocka_unit_test(test_stream_query),
        cmocka_unit_test(test_stream_cancel),    cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_slow_subscriber_drops), cmocka_unit_test(test_heartbeat),
        cmocka_unit_test(test_stalled_queue),    cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_python_client),    cmocka_unit_test(test_half_close),
        cmocka_unit_test(test_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
