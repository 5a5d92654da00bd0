/*
 * ws_conn.h — internal to the WebSocket endpoint: the hub, a connection and its outbound queue,
 * shared by ws.c (connections, framing, messages, pub/sub) and ws_stream.c (stream_query).
 * Nothing outside those two files includes it.
 *
 * Locking: hub->mu guards the connection list, the pub/sub registry and the hub counters that
 * are not atomics; conn->mu guards the outbound queue and the conn's streams. Order: hub->mu
 * before conn->mu, never the reverse. A stream's db pointer is read and written under conn->mu,
 * so cancel_query can nq_interrupt it without racing its release.
 */
#ifndef NQ_SERVER_WS_CONN_H
#define NQ_SERVER_WS_CONN_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "pubsub.h"
#include "ws.h"

/* Kinds of outbound messages, for the flow-control rules (docs/websocket.md "Flow control"). */
#define WSQ_REPLY   0  /* answers to the client's own requests: never dropped */
#define WSQ_CHANNEL 1  /* channel_message: the oldest is dropped when the queue is full */
#define WSQ_STREAM  2  /* stream messages: the producer waits for room */

typedef struct ws_out {
    struct ws_out *next;
    int kind;
    const char *type; /* static: the message type, for on_event("sent") */
    size_t len;
    char text[];      /* the JSON text */
} ws_out;

/* Stream states (query_status). */
#define WSS_RUNNING   0
#define WSS_COMPLETED 1
#define WSS_CANCELLED 2
#define WSS_FAILED    3

typedef struct ws_conn ws_conn;

typedef struct ws_stream {
    struct ws_stream *next;
    ws_conn *conn;
    char id[37];            /* UUID v4, lower-case, hyphenated */
    char *query;
    unsigned batch_size;
    int state;              /* WSS_*, under conn->mu */
    int cancelled;          /* atomic: the producer stops at its next check */
    uint64_t rows;          /* rows sent so far, under conn->mu */
    nq_db *db;              /* while it holds an engine connection, under conn->mu */
    pthread_t thread;
    int has_thread;         /* the thread exists and is not joined yet */
    int exited;             /* the thread no longer touches the connection (under conn->mu) */
} ws_stream;

struct ws_hub {
    ws_config cfg;
    ws_env env;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a connection ended (shutdown waits for none left) */
    pubsub *ps;
    ws_conn *conns;         /* open connections */
    unsigned nconns;
    ws_conn *zombies;       /* ended: thread to join, memory to free */
    int shutting_down;
    uint64_t connections_total, messages_sent, messages_received, messages_dropped; /* atomics */
    uint64_t stream_rows, queue_peak;                                               /* atomics */
    unsigned streams_running, streams_waiting;                                      /* atomics */
};

struct ws_conn {
    ws_conn *next;          /* hub list (conns or zombies) */
    ws_hub *hub;
    int fd, efd;            /* the socket, the eventfd that wakes the thread */
    identity who;
    char remote[64];
    void (*done)(void *);
    void *done_arg;
    pthread_t thread;
    uint8_t *extra;         /* the HTTP layer's read-ahead, handed to the thread */
    size_t extra_len;

    pthread_mutex_t mu;
    pthread_cond_t room;    /* producers wait here for room in the queue */
    ws_out *qhead, *qtail;
    size_t qcount, qbytes;  /* every queued message */
    size_t qdata;           /* of those, channel and stream messages (the bounded part) */
    size_t qreplies;        /* of those, replies */
    int closing;            /* no more messages are accepted */
    int shutdown_req;       /* the hub is shutting down: close with 1001 */
    ws_stream *streams;     /* running and finished streams, newest first */
    unsigned nstreams, nrunning;

    unsigned nsubs;         /* subscriptions, under hub->mu */
};

/* ---- ws.c, for ws_stream.c ---------------------------------------------------------------- */
/* Queue a message (takes text, a malloc'd NUL-terminated JSON text, in all cases). For
 * WSQ_STREAM with stream != NULL: waits while the queue is full, unless the stream is cancelled
 * or the connection closing; returns 0 if queued, -1 if discarded. Other kinds never wait. */
int ws_conn_push(ws_conn *c, int kind, const char *type, char *text, ws_stream *stream);
/* Same, for a json_t (stolen). */
int ws_conn_push_json(ws_conn *c, int kind, const char *type, json_t *msg, ws_stream *stream);
/* {"type":"error","code":code,"message":...} as a reply. */
void ws_conn_error(ws_conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replace every byte that is not part of valid UTF-8 by '?', in place. */
void ws_utf8_fix(char *s);
void ws_event(ws_hub *h, const char *what, const char *type);
void ws_log(ws_hub *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int64_t ws_now_ms(void); /* monotonic */

/* ---- ws_stream.c, for ws.c ---------------------------------------------------------------- */
/* stream_query: validates msg, starts the producer thread (errors are sent to the client). */
void ws_stream_start(ws_conn *c, json_t *msg);
/* cancel_query / query_status: id is the client's string. */
void ws_stream_cancel(ws_conn *c, const char *id);
void ws_stream_status(ws_conn *c, const char *id);
/* Connection end: cancel every running stream, join every thread, free every stream. */
void ws_streams_stop_all(ws_conn *c);
/* Canonical form of a UUID (hyphenated or 32 hex digits, any case) into out; 0 or -1. */
int ws_uuid_parse(const char *s, char out[37]);
void ws_uuid_v4(char out[37]);

#endif
