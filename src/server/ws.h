/*
 * ws.h — the WebSocket endpoint /ws: framing (wslay), the JSON message protocol of the Rust
 * version (reference section 4), pub/sub, query streaming with cancel, flow control and
 * heartbeats. docs/websocket.md is the user's description; this is the contract with the HTTP
 * layer.
 *
 * The HTTP layer authenticates the upgrade request, answers 101 with ws_accept_key(), and hands
 * the upgraded socket to ws_accept(). From then on the hub owns the socket until it calls
 * done(done_arg); the HTTP layer then closes it.
 *
 * Threads (details in ws.c): one thread per connection polls its socket and an eventfd that
 * publishers and streams poke after queueing a message; one thread per running stream executes
 * the query on an engine connection from env->db_acquire. Publishers never block on a
 * connection: they append to its bounded outbound queue under a short mutex. Every env callback
 * may be called from any of these threads, concurrently.
 */
#ifndef NQ_SERVER_WS_H
#define NQ_SERVER_WS_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "nqdb.h"

typedef struct ws_hub ws_hub;

/* Zero in any field means its default (in brackets). */
typedef struct ws_config {
    unsigned max_connections;      /* [10000] ws_accept answers NQ_EBUSY beyond */
    unsigned heartbeat_interval_s; /* [30] server WS ping every so often */
    unsigned heartbeat_timeout_s;  /* [90] no traffic that long: close; also the stall limit */
    unsigned max_buffered_messages;/* [1000] outbound queue bound (messages) */
    size_t max_buffered_bytes;     /* [16 MiB] outbound queue bound (bytes of JSON) */
    size_t max_message_bytes;      /* [1 MiB] largest client message; more: close 1009 */
    unsigned default_batch;        /* [100] stream_query rows per query_batch */
    unsigned progress_interval_ms; /* [500] least time between two query_progress */
} ws_config;

/* What the hub needs from the server. Only db_acquire and db_release are required (stream_query
 * answers an error without them); the others may be NULL. */
typedef struct ws_env {
    void *arg;
    nq_db *(*db_acquire)(void *arg); /* an engine connection for a stream; may block; NULL = none */
    void (*db_release)(void *arg, nq_db *db);
    /* Metrics. what: "connected", "disconnected" (every connection that was "connected"),
     * "error" (a connection is being closed because of an error; type = the reason: "protocol
     * error", "invalid frame", "heartbeat timeout", "outbound queue stalled"; error *replies*
     * are counted as "sent" with type "error"), "sent" / "received" (type = message type;
     * received also "invalid", "unknown", "binary"), "dropped" (type = "channel_message"),
     * "stream_start", "stream_end" (type = "completed", "cancelled" or "failed"). */
    void (*on_event)(void *arg, const char *what, const char *type);
    void (*log)(void *arg, int level, const char *msg); /* level: WS_LOG_* */
} ws_env;

/* The numbering of srvlog.h (SRVLOG_ERROR 0 .. SRVLOG_DEBUG 3), so a level passes through. */
#define WS_LOG_ERROR 0
#define WS_LOG_WARN  1
#define WS_LOG_INFO  2
#define WS_LOG_DEBUG 3

/* A new hub (copies cfg and env; cfg may be NULL for all defaults). 0 or NQ_ENOMEM. */
int ws_hub_new(const ws_config *cfg, const ws_env *env, ws_hub **out);

/* Take over an upgraded socket (made non-blocking here). extra: bytes already read past the
 * HTTP request, consumed before the socket (copied). who: the authenticated caller (copied);
 * stream_query needs read for read-only statements (nq_stmt_readonly), write otherwise.
 * done(done_arg) is called exactly once, from the connection's thread, when the connection has
 * ended and fd is no longer used. Returns 0; NQ_EBUSY when max_connections are open or the hub
 * is shutting down; NQ_ENOMEM. On an error done is not called and the caller closes fd. */
int ws_accept(ws_hub *h, int fd, const void *extra, size_t extra_len, const identity *who,
              const char *remote_addr, void (*done)(void *arg), void *done_arg);

/* Server-side publish on channel (the server publishes committed table changes on
 * "table.<name>"). data_json: a JSON text (any value), sent as the `data` of channel_message.
 * Never blocks on a client. Returns the number of connections reached, or a negative NQ_E*
 * (NQ_EINVAL for a bad channel name or bad JSON). */
long ws_publish(ws_hub *h, const char *channel, const char *data_json);

/* Open connections. */
unsigned ws_hub_connections(ws_hub *h);

/* Counters, for /metrics and the tests. */
typedef struct ws_hub_stats {
    unsigned connections;      /* open now */
    unsigned streams_running;  /* stream_query producers running now */
    unsigned streams_waiting;  /* of those, waiting for room in an outbound queue */
    uint64_t connections_total, messages_sent, messages_received, messages_dropped;
    uint64_t stream_rows;      /* rows put into query_batch messages, all streams */
    uint64_t queue_peak;       /* the most stream/channel messages one queue ever held */
    size_t channels;           /* subscribed channels and patterns */
} ws_hub_stats;
void ws_hub_get_stats(ws_hub *h, ws_hub_stats *out);

/* Close every connection with 1001 (going away), stop the streams, join every thread. Later
 * ws_accept calls answer NQ_EBUSY. */
void ws_hub_shutdown(ws_hub *h);
/* Shuts down if that was not done, then frees. NULL is fine. */
void ws_hub_free(ws_hub *h);

/* Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)),
 * 28 characters and a NUL. */
void ws_accept_key(const char *client_key, char out[29]);

#endif
