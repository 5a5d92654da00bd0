/*
 * server.c — starting and stopping `nqdb serve` (see server.h for the shape).
 *
 * Start-up order: log, data directory, engine (recovery runs in nq_open), credential store
 * (with the [passwords] Argon2id parameters), JWT secret and, with jwt.algorithm ML-DSA-65/87,
 * the ML-DSA token key pair (auth_load_jwt_mldsa, made at the first start), rate limiter (Redis when configured, memory otherwise), metrics, the connection
 * pool, the WebSocket hub, the backups (backup_sched.c), and last the listening socket — so that nothing is accepted before
 * everything it needs exists. A background thread writes API-key usage figures back to the
 * credential store every few seconds.
 *
 * Shutdown (SIGTERM/SIGINT, or server_stop) runs in reverse and is graceful: the listening
 * socket closes first (no new connections), WebSocket connections get a 1001 close, requests
 * in flight finish (MHD_stop_daemon joins its threads), key usage is flushed, the log is
 * checkpointed into the database file, and the process exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "backup_sched.h"
#include "neural_jobs.h"
#include "jwt_mldsa.h"
#include "server.h"

#define SERVER_WS_STREAM_CONNECTIONS 4 /* engine connections kept for WebSocket streams */

static nq_db *ws_db_acquire(void *arg)
{
    nq_server *s = arg;
    return dbpool_acquire(s->stream_pool.size ? &s->stream_pool : &s->pool);
}

static void ws_db_release(void *arg, nq_db *db)
{
    nq_server *s = arg;
    dbpool_release(s->stream_pool.size ? &s->stream_pool : &s->pool, db);
}

static void ws_event(void *arg, const char *what, const char *type)
{
    nq_server *s = arg;
    if (!strcmp(what, "connected"))
        metrics_ws_connection(s->metrics, "connected", 1);
    else if (!strcmp(what, "disconnected"))
        metrics_ws_connection(s->metrics, "disconnected", -1);
    else if (!strcmp(what, "error"))
        metrics_ws_connection(s->metrics, "error", 0);
    else if (!strcmp(what, "stream_start"))
        metrics_stream(s->metrics, 1);
    else if (!strcmp(what, "stream_end"))
        metrics_stream(s->metrics, -1);
    else
        metrics_ws_message(s->metrics, what, type ? type : "");
}

static void ws_log(void *arg, int level, const char *msg)
{
    srvlog_msg(&((nq_server *)arg)->log, level, NULL, "websocket: %s", msg);
}

/* The housekeeping thread: every 100 ms the resume safety net (http.c), every 5 s the API
 * keys' usage figures into the credential store. */
static void *flusher_main(void *arg)
{
    nq_server *s = arg;
    unsigned tick = 0;
    pthread_mutex_lock(&s->stop_mu);
    while (!s->flusher_stop) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 100 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->stop_cv, &s->stop_mu, &t);
        pthread_mutex_unlock(&s->stop_mu);
        http_resume_stalled(s, 200);
        if (++tick % 50 == 0)
            auth_flush(s->auth);
        pthread_mutex_lock(&s->stop_mu);
    }
    pthread_mutex_unlock(&s->stop_mu);
    return NULL;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "database.data_path %s is not a directory", path);
            return -1;
        }
        return 0;
    }
    if (mkdir(path, 0700) != 0) {
        snprintf(err, errlen, "cannot create the data directory %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int server_start(nq_server *s, const server_config *cfg, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    pthread_mutex_init(&s->stop_mu, NULL);
    pthread_cond_init(&s->stop_cv, NULL);
    pthread_mutex_init(&s->ready_mu, NULL);
    s->started_at = time(NULL);
    clock_gettime(CLOCK_MONOTONIC, &s->started_mono);
    const server_config *c = &s->cfg;

    if (srvlog_init(&s->log, c->logging.level, c->logging.format, c->logging.file_path, err,
                    errlen) != 0)
        return -1;
    srvlog_rotation(&s->log, (uint64_t)c->logging.max_file_size_mb << 20, c->logging.max_files);
    srvlog_structured(&s->log, c->logging.structured_logging);
    if (make_dir(c->database.data_path, err, errlen) != 0)
        return -1;
    snprintf(s->db_path, sizeof s->db_path, "%s/nqdb.db", c->database.data_path);

    nq_options o;
    nq_options_init(&o);
    o.busy_timeout_ms = c->database.connection_timeout_seconds * 1000u;
    o.isolation = nq_isolation_parse(c->database.default_isolation); /* checked by cfg_validate */
    char archive[4200];
    bsched_archive_dir(c, archive, sizeof archive); /* backup.archive: point-in-time recovery */
    if (archive[0])
        o.archive_dir = archive;
    /* encryption at rest (docs/security.md): the key file, or the passphrase from the
     * environment variable the configuration names (never from the file itself) */
    o.key_file = c->database.key_file;
    if (c->database.passphrase_env) {
        o.passphrase = getenv(c->database.passphrase_env);
        if (!o.passphrase || !*o.passphrase) {
            snprintf(err, errlen, "database.passphrase_env: the environment variable %s is %s",
                     c->database.passphrase_env, o.passphrase ? "empty" : "not set");
            return -1;
        }
    }
    int rc = nq_open(s->db_path, &o, &s->db);
    if (rc != NQ_OK) {
        if (rc == NQ_ELOCKED)
            snprintf(err, errlen, "the database %s is in use by another process", s->db_path);
        else
            snprintf(err, errlen, "cannot open the database %s: %s", s->db_path,
                     s->db ? nq_errmsg(s->db) : nq_strerror(rc));
        if (s->db)
            nq_close(s->db);
        s->db = NULL;
        return -1;
    }
    if (auth_open(c->database.data_path, &s->auth, err, errlen) != 0)
        return -1;
    if (auth_set_argon2(s->auth, c->passwords.argon2_memory_kib, c->passwords.argon2_iterations,
                        c->passwords.argon2_parallelism, err, errlen) != 0)
        return -1;
    if (cidr_list_parse((const char *const *)c->security.admin_ip_whitelist.v,
                        c->security.admin_ip_whitelist.n, &s->admin_ips, err, errlen) != 0 ||
        cidr_list_parse((const char *const *)c->security.trusted_proxies.v,
                        c->security.trusted_proxies.n, &s->trusted_proxies, err, errlen) != 0)
        return -1;
    if (s->admin_ips.n == 0)
        srvlog_msg(&s->log, SRVLOG_WARN, NULL,
                   "security.admin_ip_whitelist is empty: the admin key routes accept every "
                   "client address");
    if (auth_load_jwt_secret(c->database.data_path, c->jwt.secret, &s->jwt_secret,
                             &s->jwt_secret_len, err, errlen) != 0)
        return -1;
    s->jwt.secret = s->jwt_secret;
    s->jwt.secret_len = s->jwt_secret_len;
    s->jwt.lifetime_s = c->jwt.expiration_hours * 3600u;
    s->jwt.refresh_lifetime_s = c->jwt.refresh_expiration_hours * 3600u;
    s->jwt.issuer = c->jwt.issuer;
    s->jwt.audience = c->jwt.audience;
    if (jwt_mldsa_level(c->jwt.algorithm)) { /* ML-DSA tokens: the pair, made at first start */
        uint8_t *sk, *pk;
        size_t skl, pkl;
        if (auth_load_jwt_mldsa(c->database.data_path, jwt_mldsa_level(c->jwt.algorithm),
                                AUTH_MLDSA_LOAD_OR_CREATE, &sk, &skl, &pk, &pkl, err, errlen) != 0)
            return -1;
        s->jwt.mldsa_level = jwt_mldsa_level(c->jwt.algorithm);
        s->jwt.mldsa_sk = sk;
        s->jwt.mldsa_sk_len = skl;
        s->jwt.mldsa_pk = pk;
        s->jwt.mldsa_pk_len = pkl;
    }

    rl_config rc_cfg = {.limit = c->rate_limit.requests_per_hour,
                        .window_seconds = 3600,
                        .burst = c->rate_limit.burst_allowance,
                        .redis_url = c->redis.configured ? c->redis.url : NULL,
                        .redis_timeout_ms = c->redis.command_timeout_seconds * 1000u,
                        .connect_timeout_ms = c->redis.connection_timeout_seconds * 1000u,
                        .pool_size = c->redis.pool_size,
                        .retry_attempts = c->redis.retry_attempts,
                        .breaker = {.enabled = c->security.circuit_breaker.enabled,
                                    .failure_threshold = c->security.circuit_breaker.failure_threshold,
                                    .success_threshold = c->security.circuit_breaker.success_threshold,
                                    .open_ms = c->security.circuit_breaker.timeout_seconds * 1000u}};
    if (rl_new(&rc_cfg, &s->rl, err, errlen) != 0)
        return -1;
    rl_set_log(s->rl, srvlog_cb, &s->log);
    s->metrics = metrics_new();
    if (!s->metrics) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unsigned workers = c->server.workers;
    if (workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (unsigned)n : 2;
    }
    /* One engine connection per worker, and a pool of its own for WebSocket streams: a
     * stream holds its connection (and snapshot) while a slow client pauses it, and must not
     * take the connections the REST workers need. Together at most database.max_connections
     * (with fewer than workers, requests wait for a free one). */
    unsigned rest = workers, streams = SERVER_WS_STREAM_CONNECTIONS;
    if (rest + streams > c->database.max_connections) {
        streams = c->database.max_connections > 1 ? 1 : 0;
        rest = c->database.max_connections - streams;
        if (rest == 0) {
            rest = 1;
            streams = 0;
        }
    }
    if (dbpool_init(&s->pool, s->db, rest, err, errlen) != 0)
        return -1;
    if (dbpool_init(&s->stream_pool, s->db, streams, err, errlen) != 0)
        return -1;
    if (streams == 0)
        srvlog_msg(&s->log, SRVLOG_WARN, NULL,
                   "database.max_connections = 1: WebSocket stream_query shares the one engine "
                   "connection with the REST workers");

    ws_config wc = {.max_connections = c->websocket.max_connections,
                    .heartbeat_interval_s = c->websocket.heartbeat_interval_seconds,
                    .heartbeat_timeout_s = c->websocket.heartbeat_timeout_seconds,
                    .max_buffered_messages = c->websocket.max_buffered_messages,
                    .max_buffered_bytes = 16u << 20,
                    .max_message_bytes = c->websocket.max_message_bytes,
                    .default_batch = c->websocket.batch_size,
                    .progress_interval_ms = 500};
    ws_env we = {.arg = s,
                 .db_acquire = ws_db_acquire,
                 .db_release = ws_db_release,
                 .on_event = ws_event,
                 .log = ws_log};
    if (ws_hub_new(&wc, &we, &s->ws) != 0) {
        snprintf(err, errlen, "cannot start the WebSocket hub");
        return -1;
    }
    /* the statement workers: server.workers of them. Each connection has at most one request
     * in flight and its req exists whether queued or not, so the queue can hold one per
     * allowed connection: a smaller queue would only turn load into 503s, not save memory. */
    if (workpool_start(&s->work, workers, c->server.max_connections) != 0) {
        snprintf(err, errlen, "cannot start the worker threads");
        return -1;
    }
    if (bsched_start(s, &s->backups, err, errlen) != 0)
        return -1;
    if (neural_jobs_start(s->db, &s->neural, err, errlen) != 0)
        return -1;
    if (http_start(s, err, errlen) != 0)
        return -1;
    if (pthread_create(&s->flusher, NULL, flusher_main, s) == 0)
        s->flusher_running = 1;

    char rls[300];
    rl_status(s->rl, rls, sizeof rls);
    srvlog_msg(&s->log, SRVLOG_INFO, NULL,
               "NeuroQuantumDB %s listening on %s://%s:%u (data %s, %u workers, rate limits: %s)",
               NQ_VERSION_STRING, c->server.tls.cert_file ? "https" : "http", c->server.host,
               s->port, c->database.data_path, workers, c->rate_limit.enabled ? rls : "off");
    if (!auth_has_admin(s->auth))
        srvlog_msg(&s->log, SRVLOG_WARN, NULL,
                   "no admin API key exists yet: run `nqdb init --data %s` to create one",
                   c->database.data_path);
    return 0;
}

void server_stop(nq_server *s)
{
    pthread_mutex_lock(&s->stop_mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->stop_cv);
    pthread_mutex_unlock(&s->stop_mu);
}

void server_wait(nq_server *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    for (;;) {
        pthread_mutex_lock(&s->stop_mu);
        int stop = s->stopping;
        pthread_mutex_unlock(&s->stop_mu);
        if (stop)
            return;
        struct timespec t = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(&set, NULL, &t);
        if (sig == SIGTERM || sig == SIGINT) {
            srvlog_msg(&s->log, SRVLOG_INFO, NULL, "%s received: shutting down",
                       sig == SIGTERM ? "SIGTERM" : "SIGINT");
            server_stop(s);
            return;
        }
    }
}

void server_shutdown(nq_server *s)
{
    server_stop(s);
    http_quiesce(s);
    if (s->ws)
        ws_hub_shutdown(s->ws);
    /* server.client_shutdown: how long requests in flight get to finish; MHD_stop_daemon then
     * closes what is left (a request still running its statement finishes it first) */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (atomic_load(&s->n_active) == 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double ms = (double)(now.tv_sec - t0.tv_sec) * 1e3 + (double)(now.tv_nsec - t0.tv_nsec) / 1e6;
        if (ms >= (double)s->cfg.server.client_shutdown) {
            srvlog_msg(&s->log, SRVLOG_WARN, NULL,
                       "%llu request(s) still running after server.client_shutdown (%u ms)",
                       (unsigned long long)atomic_load(&s->n_active), s->cfg.server.client_shutdown);
            break;
        }
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    /* every suspended request is handled and resumed before libmicrohttpd stops (which it
     * does not allow with a connection still suspended: it aborts the process). From here on
     * a request that still arrives on an open connection is answered 503 at once, without
     * suspending; then the workers are drained, and connections are resumed until none is
     * suspended any more (the event threads have taken every answer), for at most 5 s */
    atomic_store(&s->refuse_work, 1);
    workpool_drain_and_stop(&s->work);
    if (s->flusher_running) {
        pthread_mutex_lock(&s->stop_mu);
        s->flusher_stop = 1;
        pthread_cond_broadcast(&s->stop_cv);
        pthread_mutex_unlock(&s->stop_mu);
        pthread_join(s->flusher, NULL);
        s->flusher_running = 0;
    }
    for (int i = 0; s->mhd && i < 500; i++) {
        unsigned waiting = http_resume_stalled(s, 0);
        if (waiting == 0 && atomic_load(&s->n_suspended) == 0)
            break;
        struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    if (s->mhd && atomic_load(&s->n_suspended) > 0)
        srvlog_msg(&s->log, SRVLOG_ERROR, NULL,
                   "%llu connection(s) still suspended after 5 s; stopping anyway",
                   (unsigned long long)atomic_load(&s->n_suspended));
    http_stop(s);
    bsched_stop(s->backups); /* a scheduled backup in progress finishes first */
    s->backups = NULL;
    neural_jobs_stop(s->neural); /* running trainings are cancelled and joined */
    s->neural = NULL;
    if (s->ws)
        ws_hub_free(s->ws);
    if (s->auth)
        auth_close(s->auth);
    cidr_list_free(&s->admin_ips);
    cidr_list_free(&s->trusted_proxies);
    if (s->pool.free)
        dbpool_destroy(&s->pool);
    if (s->stream_pool.free)
        dbpool_destroy(&s->stream_pool);
    if (s->db) {
        int rc = nq_checkpoint(s->db);
        if (rc != NQ_OK)
            srvlog_msg(&s->log, SRVLOG_WARN, NULL, "checkpoint at shutdown: %s", nq_errmsg(s->db));
        nq_close(s->db);
    }
    if (s->rl)
        rl_free(s->rl);
    if (s->metrics)
        metrics_free(s->metrics);
    if (s->jwt_secret) {
        memset(s->jwt_secret, 0, s->jwt_secret_len);
        free(s->jwt_secret);
    }
    if (s->jwt.mldsa_sk) { /* allocated by auth_load_jwt_mldsa, const only in the config */
        OPENSSL_cleanse((void *)s->jwt.mldsa_sk, s->jwt.mldsa_sk_len);
        free((void *)s->jwt.mldsa_sk);
        free((void *)s->jwt.mldsa_pk);
    }
    srvlog_msg(&s->log, SRVLOG_INFO, NULL, "shutdown complete");
    if (s->log.f)
        srvlog_close(&s->log);
    cfg_free(&s->cfg);
    pthread_cond_destroy(&s->stop_cv);
    pthread_mutex_destroy(&s->stop_mu);
    pthread_mutex_destroy(&s->ready_mu);
}
