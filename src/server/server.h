/*
 * server.h — `nqdb serve`: the server context and the request object every handler gets.
 *
 * Shape. One nq_server owns everything a running server has: the configuration, the engine
 * (one nq_open plus a pool of nq_clone connections, one per concurrently running request), the
 * credential store, the rate limiter, the metrics, the WebSocket hub and the libmicrohttpd
 * daemon. libmicrohttpd runs the HTTP event loop on its own thread pool (server.workers
 * threads, epoll); each request is handled to completion on the thread that read it, taking an
 * engine connection from the pool for the time it needs one. That thread pool is the bounded
 * worker pool of ARCHITECTURE.md: at most `workers` statements run at once, and a request
 * waits for a connection rather than creating one.
 *
 * Pipeline of a request (http.c): read and bound the body (security.max_payload_size) ->
 * request id (X-Request-ID honoured when well-formed, else a new UUID) -> route match (404/405)
 * -> authentication (API key in X-API-Key or Authorization: Bearer nqdb_..., or a JWT access
 * token in Authorization: Bearer) -> rate limit (per key / user / client IP) -> admin IP
 * whitelist for the admin routes -> permission -> handler -> envelope, security and CORS
 * headers, X-RateLimit-* headers, metrics, one log line.
 */
#ifndef NQ_SERVER_SERVER_H
#define NQ_SERVER_SERVER_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "auth.h"
#include "cidr.h"
#include "eeg.h"
#include "config.h"
#include "envelope.h"
#include "identity.h"
#include "metrics.h"
#include "nqdb.h"
#include "ratelimit.h"
#include "srvlog.h"
#include "ws.h"

struct MHD_Daemon;
struct MHD_Connection;

/* A bounded pool of engine connections (nq_clone of the server's main handle). */
typedef struct dbpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    nq_db **free;
    unsigned nfree, size;
} dbpool;

int dbpool_init(dbpool *p, nq_db *main, unsigned size, char *err, size_t errlen);
nq_db *dbpool_acquire(dbpool *p);            /* waits for a free connection */
void dbpool_release(dbpool *p, nq_db *db);   /* rolls back a transaction left open */
void dbpool_destroy(dbpool *p);

/* The statement workers: requests whose handlers may run SQL or hash a password are taken off
 * libmicrohttpd's event threads (the connection is suspended) and run here; the event thread
 * resumes the connection and sends the answer. A slow statement then holds a worker, never an
 * event thread, so other connections on that event thread are not kept waiting. */
typedef struct workpool {
    pthread_mutex_t mu;
    pthread_cond_t cv, idle_cv;
    struct req **q;             /* ring of waiting requests */
    unsigned cap, head, n;
    unsigned running;           /* jobs being handled now */
    pthread_t *threads;
    unsigned nthreads;
    int stopping;
} workpool;

int workpool_start(workpool *w, unsigned threads, unsigned queue_cap);
int workpool_submit(workpool *w, struct req *r);   /* NQ_EBUSY when the queue is full */
int workpool_full(workpool *w);
void workpool_drain_and_stop(workpool *w); /* run what is queued, then join */

typedef struct nq_server {
    server_config cfg;
    char db_path[4096];
    nq_db *db;          /* the main handle (owns the engine); used only at start and stop */
    dbpool pool;                   /* the REST workers' engine connections */
    dbpool stream_pool;            /* WebSocket streams' engine connections */
    workpool work;
    auth_store *auth;
    cidr_list admin_ips;           /* security.admin_ip_whitelist, parsed */
    cidr_list trusted_proxies;     /* security.trusted_proxies, parsed */
    auth_jwt_config jwt;
    unsigned char *jwt_secret;
    size_t jwt_secret_len;
    rl_limiter *rl;
    metrics *metrics;
    ws_hub *ws;
    struct bsched *backups;        /* scheduled and requested backups (backup_sched.c) */
    struct neural_jobs *neural;    /* training jobs of /api/v1/neural/train (neural_jobs.c) */
    srvlog log;
    struct MHD_Daemon *mhd;
    char *tls_pem[3];              /* certificate, key, CA (PEM), alive while the daemon runs */
    unsigned port;                 /* the bound port (server.port, or the one chosen for 0) */
    time_t started_at;
    struct timespec started_mono;
    /* request and query figures for /api/v1/stats/performance (metrics has the histograms) */
    _Atomic uint64_t n_requests, n_queries, query_ns;
    _Atomic uint64_t n_active;     /* requests from their first byte until their answer is sent */
    /* connections suspended while a worker runs their request, until the answer is queued or
     * the connection ends; libmicrohttpd aborts the process if it is stopped with one of them
     * still suspended, so shutdown waits for this to reach 0 (server.c) */
    _Atomic uint64_t n_suspended;
    _Atomic int refuse_work;       /* shutdown: answer 503 at once instead of suspending */
    pthread_t flusher;
    int flusher_running, flusher_stop;
    /* requests a worker has answered and whose connection it resumed, until the event thread
     * sends the answer (http.c: the resume safety net) */
    pthread_mutex_t ready_mu;
    struct req *ready_head;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stopping;
} nq_server;

/* A request in flight. Handlers read the parsed body (json) and path parameters, and either
 * fill data/message and return a 2xx status, or fill err and return its status. A handler
 * that answers something other than the envelope (metrics text, the OpenAPI document) sets
 * raw and raw_type instead. */
typedef struct req {
    nq_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    char request_id[130];
    char client_ip[64];
    int client_ip_doubtful;       /* a trusted proxy sent an unparsable X-Forwarded-For */
    identity who;
    char *body;
    size_t body_len, body_cap;
    int body_too_large;
    json_t *json;                 /* the parsed body, NULL when there was none */
    char params[2][130];          /* path parameters in the order of the route template */
    const struct route *rt;
    struct timespec t0;
    /* the answer */
    json_t *data;
    char message[300];
    api_error err;
    char *raw;
    size_t raw_len;
    const char *raw_type;
    int status;
    rl_result rl;
    int rl_set;
    int done;                     /* the response was queued */
    int ready;                    /* a worker has handled it; the answer is in the fields above */
    int suspended;
    struct req *rnext, *rprev;    /* in srv->ready_head while ready and not yet answered */
    int in_ready, rescued;
    struct timespec ready_at;
} req;

typedef int (*handler_fn)(req *r);

#define ROUTE_PUBLIC   0x1   /* no authentication */
#define ROUTE_ADMIN_IP 0x2   /* restricted to security.admin_ip_whitelist */
#define ROUTE_JSON     0x4   /* takes a JSON body */

typedef struct route {
    const char *method;
    const char *pattern;  /* "/api/v1/tables/{table_name}/data" */
    handler_fn fn;
    unsigned flags;
    unsigned perm;        /* PERM_* needed (0: any authenticated caller) */
    const char *perm_msg; /* the 403 text, e.g. "Write permission required" */
} route;

/* router.c */
extern const route server_routes[];
extern const unsigned server_nroutes;
/* Find the route for method + path. Returns it, or NULL with *path_known set when some other
 * method serves the path (405; allow gets "GET, POST"). Path parameters go to r->params. */
const route *router_match(const char *method, const char *path, req *r, int *path_known,
                          char *allow, size_t allow_cap);

/* server.c */
int server_start(nq_server *s, const server_config *cfg, char *err, size_t errlen);
void server_wait(nq_server *s);          /* until SIGTERM/SIGINT or server_stop */
void server_stop(nq_server *s);          /* async-signal-safe request to stop */
void server_shutdown(nq_server *s);      /* graceful: stop accepting, finish, checkpoint, free */

/* http.c */
void http_run_request(req *r);    /* the pipeline up to the answer (a worker calls it) */
void http_request_ready(req *r);  /* a worker is done with r: resume its connection */
/* Resume again the connections of answers ready for longer than ms (see http.c); returns how
 * many are still waiting. */
unsigned http_resume_stalled(nq_server *s, unsigned ms);
int http_start(nq_server *s, char *err, size_t errlen);
void http_quiesce(nq_server *s);
void http_stop(nq_server *s);

/* Helpers for handlers (reqjson.c). Each returns 0, or the status of the error it put in r->err.
 * Unknown fields of the body are an error naming the field (allowed: NULL-terminated list). */
int req_body_object(req *r, const char *const *allowed);
int req_string(req *r, json_t *obj, const char *field, int required, const char **out);
int req_uint(req *r, json_t *obj, const char *field, int required, uint64_t max, uint64_t *out);
int req_bool(req *r, json_t *obj, const char *field, int *out);
int req_array(req *r, json_t *obj, const char *field, int required, json_t **out);
int req_object(req *r, json_t *obj, const char *field, int required, json_t **out);
int req_fail(req *r, api_err_kind kind, const char *a, const char *b);
int req_failf(req *r, api_err_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int req_ok(req *r, int status, json_t *data, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
double req_elapsed_ms(const req *r);

/* sqlerr.c: an engine error as the API error a client should see (400 for the user's
 * mistakes, 409 for constraint violations, 501 for not supported yet, 503 busy, 500 else). */
int req_engine_error(req *r, nq_db *db, int rc, const char *what);
/* SQL identifiers for generated statements: "name" with quotes doubled into buf. 0 or
 * the status of a validation error (empty, too long, control characters). */
int req_ident(req *r, const char *field, const char *name, char *buf, size_t cap);

/* Handlers (one file per group). */
int h_health(req *r);
int h_metrics(req *r);
int h_openapi(req *r);
int h_perf(req *r);
int h_query(req *r);
int h_table_create(req *r);
int h_table_insert(req *r);
int h_table_query(req *r);
int h_table_update(req *r);
int h_table_delete(req *r);
int h_login(req *r);
int h_refresh(req *r);
int h_logout(req *r);
int h_generate_key(req *r);
int h_revoke_key(req *r);
int h_not_implemented(req *r);
int h_advisor_indexes(req *r); /* h_advisor.c */
int h_advisor_clear(req *r);
int h_backup_list(req *r);   /* h_backup.c */
int h_backup_take(req *r);
int h_backup_prune(req *r);
int h_ws_upgrade(req *r);
int h_eeg_enroll(req *r);       /* h_biometric.c */
int h_eeg_authenticate(req *r);
int h_eeg_update(req *r);
int h_eeg_users(req *r);
int h_eeg_revoke(req *r);
int h_bio_enroll(req *r);
int h_bio_verify(req *r);
int h_dna_compress(req *r);     /* h_dna.c */
int h_neural_train(req *r);     /* h_neural.c */
int h_neural_status(req *r);
int h_dna_decompress(req *r);

/* bio_store.c: EEG templates in auth.db, AES-256-GCM under data_dir/eeg.key (docs/security.md).
 * Templates belong to users of the credential store (nqdb user create). Errors: 0 or NQ_E*,
 * with the reason in err; NQ_ENOTFOUND for an unknown user or a missing template ("User
 * signature not found: NAME"). */
typedef struct bio_meta {
    char user[AUTH_MAX_USER + 1];
    unsigned channels;
    uint32_t samples;              /* recordings folded into the template */
    int64_t created_at, updated_at; /* unix seconds */
} bio_meta;
int bio_user_exists(auth_store *s, const char *user);
/* Enrol: nvec feature vectors (each nchan * EEG_NFEAT) replace the user's template (add = 0)
 * or are added to the existing one (add = 1; NQ_EINVAL if its channel count differs). */
int bio_enroll(auth_store *s, const char *user, int add, const double *feats, unsigned nvec,
               unsigned nchan, bio_meta *m, char *err, size_t errlen);
/* Score a probe's features against the user's template: *similarity in (0, 1]. */
int bio_verify(auth_store *s, const char *user, const double *feat, unsigned nchan,
               double *similarity, char *err, size_t errlen);
int bio_revoke(auth_store *s, const char *user, char *err, size_t errlen);
/* Every template's metadata, by user name. */
int bio_list(auth_store *s, void (*fn)(void *arg, const bio_meta *m), void *arg, char *err,
             size_t errlen);
/* An HS256 access token for user (their current permissions, amr ["eeg"], lifetime_s). *token
 * is malloc'd (caller frees); *exp its expiry. */
int bio_issue_token(auth_store *s, const auth_jwt_config *jc, const char *user,
                    unsigned lifetime_s, char **token, int64_t *exp, char *err, size_t errlen);

#endif
