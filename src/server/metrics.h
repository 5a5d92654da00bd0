/*
 * metrics.h — the server's Prometheus metrics (/metrics, text format 0.0.4).
 *
 * Recorders are called by the HTTP layer, the query handlers, auth, the rate limiter's caller
 * and the WebSocket code; metrics_render writes everything, adding the engine's figures
 * (nq_get_stats) and the process' own (/proc/self) at scrape time. Names follow the upstream
 * core exporter (reference section 5.4) so that the upstream Grafana dashboards and alert
 * rules find them, then section 5.3; every metric is listed in docs/monitoring.md.
 *
 * Concurrency: every recorder may be called from any thread. Fixed label sets (query types,
 * auth results, rate-limit scopes, connection gauges) are plain atomic counters. Open label
 * sets (HTTP route x method, WebSocket message types) live in an insert-only lock-free hash
 * table whose entries are arrays of atomic counters: a recorder finds or adds its entry
 * with a compare-and-swap and then only does atomic adds; no recorder takes a lock. A table
 * holds at most METRICS_MAX_SERIES label sets; later ones are counted under the label value
 * "other", so a caller that passes unbounded values cannot make the output grow without end.
 */
#ifndef NQ_SERVER_METRICS_H
#define NQ_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "nqdb.h"

#define METRICS_MAX_SERIES 1024

typedef struct metrics metrics;

/* NULL when out of memory. */
metrics *metrics_new(void);
void metrics_free(metrics *m);

/* One HTTP answer: route is the route template (/api/v1/tables/{table_name}/data, never the
 * raw path), seconds the time from request to response. */
void metrics_http(metrics *m, const char *route, const char *method, int status, double seconds);
/* One statement run through the engine: type select|insert|update|delete|ddl|txn|other
 * (anything else counts as other). A query of at least the slow threshold (1 s unless set)
 * also counts as slow. */
void metrics_query(metrics *m, const char *type, int ok, double seconds);
void metrics_set_slow_query(metrics *m, double seconds);
/* An authentication attempt (API key, JWT or login) that succeeded or failed. */
void metrics_auth(metrics *m, int ok);
/* A request answered 429: scope key|user|ip|keygen|login (anything else: other). */
void metrics_ratelimited(metrics *m, const char *scope);
/* HTTP connections: +1 when one opens (also counted in the total), -1 when it closes. */
void metrics_connections(metrics *m, int delta);
/* The configured connection limit (server.max_connections), shown as a gauge; 0 = none. */
void metrics_set_max_connections(metrics *m, uint64_t n);
/* WebSocket connection events: status connected|disconnected|error; delta_active changes the
 * gauge of open WebSocket connections (+1 on connect, -1 on close, 0 for a refused upgrade). */
void metrics_ws_connection(metrics *m, const char *status, int delta_active);
/* One WebSocket message: direction sent|received|dropped, type the protocol message type. */
void metrics_ws_message(metrics *m, const char *direction, const char *type);
/* Query streams running over WebSocket: +1 when one starts, -1 when it ends. */
void metrics_stream(metrics *m, int delta_active);

/* Everything in the Prometheus text format 0.0.4 (Content-Type
 * `text/plain; version=0.0.4; charset=utf-8`), including the engine's figures from db
 * (buffer pool, log, commits, checkpoints, database size; db may be NULL: then they are left
 * out) and the process' figures. *out is malloc'd (caller frees), NUL-terminated, *len its
 * length. 0 or NQ_ENOMEM. */
int metrics_render(metrics *m, nq_db *db, char **out, size_t *len);

/* Process figures (metrics_proc.c), read from /proc/self and getrlimit; also for /health.
 * A figure that cannot be read is -1 (and is then left out of /metrics). */
typedef struct metrics_proc {
    double cpu_seconds;          /* user + system CPU time */
    double start_time;           /* unix seconds */
    int64_t resident_bytes, virtual_bytes;
    int64_t open_fds, max_fds, threads;
    int64_t read_bytes, write_bytes; /* storage I/O caused by the process (/proc/self/io) */
    int64_t memory_limit_bytes;  /* cgroup memory.max if set, else the machine's MemTotal */
} metrics_proc;
void metrics_proc_read(metrics_proc *out);

#endif
