/*
 * http.c — the HTTP layer on GNU libmicrohttpd: the request pipeline described in server.h.
 *
 * libmicrohttpd calls on_request several times per request: first with no body (we allocate
 * the req and refuse a declared Content-Length over security.max_payload_size at once with
 * 413), then once per chunk of body (appended up to the limit; beyond it the rest is read and
 * dropped so the connection stays usable, and the answer is 413), then a last time with no data,
 * where the request runs to completion on this thread. on_completed frees the req.
 *
 * Every answer goes through respond(): the envelope (or the handler's raw body), the headers
 * every response carries (X-Request-ID, security headers when security.security_headers,
 * CORS for allowed origins, X-RateLimit-* once the limiter ran), then the metrics and the
 * access log line. /ws is answered with 101 and libmicrohttpd hands the socket to ws.c.
 */
#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cidr.h"
#include "server.h"

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* ---- the answer ---------------------------------------------------------------------------- */

static int origin_allowed(nq_server *s, const char *origin)
{
    const cfg_strlist *l = &s->cfg.cors.allowed_origins;
    for (unsigned i = 0; i < l->n; i++)
        if (strcmp(l->v[i], "*") == 0 || strcasecmp(l->v[i], origin) == 0)
            return 1;
    return 0;
}

static void join_list(const cfg_strlist *l, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < l->n; i++) {
        int w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", l->v[i]);
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

static void add_common_headers(req *r, struct MHD_Response *resp)
{
    nq_server *s = r->srv;
    MHD_add_response_header(resp, "X-Request-ID", r->request_id);
    if (s->cfg.security.security_headers) {
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "strict-origin-when-cross-origin");
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; frame-ancestors 'none'");
        MHD_add_response_header(resp, "Permissions-Policy",
                                "geolocation=(), microphone=(), camera=()");
        if (s->cfg.server.tls.cert_file)
            MHD_add_response_header(resp, "Strict-Transport-Security",
                                    "max-age=31536000; includeSubDomains");
    }
    const char *origin = header(r->conn, "Origin");
    if (origin && origin_allowed(s, origin)) {
        char buf[1024];
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(resp, "Vary", "Origin");
        join_list(&s->cfg.cors.expose_headers, buf, sizeof buf);
        if (buf[0])
            MHD_add_response_header(resp, "Access-Control-Expose-Headers", buf);
        if (s->cfg.cors.allow_credentials)
            MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
    }
    /* jwt.refresh_threshold_minutes: tell a token holder it is time to use its refresh token */
    if (r->who.kind == ID_JWT && r->who.expires_at &&
        r->who.expires_at - (int64_t)time(NULL) <= (int64_t)s->cfg.jwt.refresh_threshold_minutes * 60)
        MHD_add_response_header(resp, "X-Token-Refresh-Due", "true");
    if (r->rl_set) {
        char v[32];
        snprintf(v, sizeof v, "%u", r->rl.limit);
        MHD_add_response_header(resp, "X-RateLimit-Limit", v);
        snprintf(v, sizeof v, "%u", r->rl.remaining);
        MHD_add_response_header(resp, "X-RateLimit-Remaining", v);
        snprintf(v, sizeof v, "%u", r->rl.reset_seconds);
        MHD_add_response_header(resp, "X-RateLimit-Reset", v);
        if (!r->rl.allowed) {
            snprintf(v, sizeof v, "%u", r->rl.retry_after ? r->rl.retry_after : 1);
            MHD_add_response_header(resp, "Retry-After", v);
        }
    }
}

static const char *status_class(int st)
{
    return st >= 500 ? "5xx" : st >= 400 ? "4xx" : "2xx";
}

/* 1 if the client accepts gzip: the token in Accept-Encoding without q=0. */
static int accepts_gzip(const char *ae)
{
    for (const char *p = ae; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",;");
        int is_gzip = (n == 4 && strncasecmp(p, "gzip", 4) == 0) || (n == 1 && *p == '*');
        const char *end = p + strcspn(p, ",");
        const char *q = strstr(p, ";q=");
        if (is_gzip) {
            if (q && q < end && strtod(q + 3, NULL) <= 0.0)
                return 0;
            return 1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* Replace body by its gzip form when that is smaller. Answers under GZIP_MIN bytes stay as they
 * are: for them the header costs more than the compression saves. Returns 1 if compressed. */
#define GZIP_MIN 1024
static int gzip_body(char **body, size_t *len)
{
    if (*len < GZIP_MIN)
        return 0;
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return 0;
    uLong cap = deflateBound(&z, (uLong)*len);
    unsigned char *out = malloc(cap);
    int ok = 0;
    if (out) {
        z.next_in = (unsigned char *)*body;
        z.avail_in = (uInt)*len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out < *len) {
            free(*body);
            *body = (char *)out;
            *len = z.total_out;
            ok = 1;
        } else {
            free(out);
        }
    }
    deflateEnd(&z);
    return ok;
}

/* Queue the answer held in r (status, data/err or raw). */
static enum MHD_Result respond(req *r)
{
    nq_server *s = r->srv;
    char *body;
    size_t len;
    const char *type;
    if (r->raw) {
        body = r->raw;
        len = r->raw_len;
        type = r->raw_type ? r->raw_type : "text/plain; charset=utf-8";
        r->raw = NULL;
    } else if (r->status == 429 && r->rl_set && !r->rl.allowed) {
        /* the upstream 429 body (reference 2.8), not the envelope */
        json_t *o = json_object();
        json_object_set_new(o, "code", json_string("RATE_LIMIT_EXCEEDED"));
        json_object_set_new(o, "error", json_string("Rate limit exceeded"));
        json_object_set_new(o, "limit", json_integer(r->rl.limit));
        json_object_set_new(o, "remaining", json_integer(r->rl.remaining));
        json_object_set_new(o, "reset_in_seconds", json_integer(r->rl.reset_seconds));
        json_object_set_new(o, "retry_after_seconds", json_integer(r->rl.retry_after));
        body = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
        json_decref(o);
        len = body ? strlen(body) : 0;
        type = "application/json";
    } else {
        int is_err = r->status >= 400;
        body = envelope_render(is_err ? NULL : r->data, is_err ? &r->err : NULL,
                               req_elapsed_ms(r), r->request_id, r->message);
        if (is_err)
            json_decref(r->data);
        r->data = NULL;
        len = body ? strlen(body) : 0;
        type = "application/json";
    }
    if (!body) {
        body = strdup("{\"success\":false}");
        len = body ? strlen(body) : 0;
    }
    int gz = 0;
    if (len <= UINT32_MAX && accepts_gzip(header(r->conn, "Accept-Encoding")))
        gz = gzip_body(&body, &len);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    if (gz)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    add_common_headers(r, resp);
    if (r->status == 405 && r->message[0])
        MHD_add_response_header(resp, "Allow", r->message);
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    r->done = 1;
    if (ok != MHD_YES)
        srvlog_msg(&s->log, SRVLOG_ERROR, r->request_id,
                   "%s %s: libmicrohttpd refused to queue the %d answer; connection closed",
                   r->method, r->path, r->status);

    double ms = req_elapsed_ms(r);
    metrics_http(s->metrics, r->rt ? r->rt->pattern : "unmatched", r->method, r->status, ms / 1e3);
    if (s->cfg.monitoring.detailed_logging)
        srvlog_access(&s->log, r->request_id, r->method, r->path, r->status, ms, r->client_ip,
                      r->who.kind != ID_NONE ? r->who.name : NULL);
    else if (r->status >= 500)
        srvlog_msg(&s->log, SRVLOG_WARN, r->request_id, "%s %s answered %d", r->method, r->path,
                   r->status);
    (void)status_class;
    return ok;
}

/* ---- request id, client address ------------------------------------------------------------ */

static void set_request_id(req *r)
{
    const char *h = header(r->conn, "X-Request-ID");
    if (h) {
        size_t n = strlen(h);
        int ok = n > 0 && n <= 128;
        for (size_t i = 0; ok && i < n; i++)
            ok = isalnum((unsigned char)h[i]) || strchr("-_.:/+=", h[i]);
        if (ok) {
            memcpy(r->request_id, h, n + 1);
            return;
        }
    }
    envelope_uuid(r->request_id);
}

static void set_client_ip(req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[CIDR_ADDRSTRLEN] = "unknown";
    if (ci && ci->client_addr)
        cidr_sockaddr_str(ci->client_addr, peer, sizeof peer);
    if (cidr_client_ip(peer, header(r->conn, "X-Forwarded-For"), &r->srv->trusted_proxies,
                       r->client_ip, sizeof r->client_ip) != 0)
        r->client_ip_doubtful = 1;
    if (!r->client_ip[0])
        snprintf(r->client_ip, sizeof r->client_ip, "%s", peer);
}

/* ---- authentication and rate limiting ------------------------------------------------------ */

/* 0: r->who is set (or stays ID_NONE when no credentials were sent); otherwise the status of
 * the 401 put in r->err (credentials were sent and are wrong). */
static int authenticate(req *r)
{
    nq_server *s = r->srv;
    const char *key = header(r->conn, "X-API-Key");
    const char *authz = header(r->conn, "Authorization");
    const char *bearer = NULL;
    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        bearer = authz + 7;
        while (*bearer == ' ')
            bearer++;
    }
    if (!key && bearer && strncmp(bearer, "nqdb_", 5) == 0)
        key = bearer, bearer = NULL; /* an API key sent as a bearer token (upstream clients do) */
    if (key) {
        if (auth_key_check(s->auth, key, &r->who) == 0) {
            metrics_auth(s->metrics, 1);
            return 0;
        }
        metrics_auth(s->metrics, 0);
        memset(&r->who, 0, sizeof r->who);
        return req_fail(r, AE_UNAUTHORIZED, "Invalid, expired or revoked API key", NULL);
    }
    if (bearer) {
        char err[200];
        if (auth_jwt_check(s->auth, bearer, &s->jwt, &r->who, err, sizeof err) == 0) {
            metrics_auth(s->metrics, 1);
            return 0;
        }
        metrics_auth(s->metrics, 0);
        memset(&r->who, 0, sizeof r->who);
        return req_failf(r, AE_UNAUTHORIZED, "Invalid token: %s", err);
    }
    return 0;
}

/* 0 when allowed; else 429 with r->rl describing the bucket. */
static int rate_limit(req *r)
{
    nq_server *s = r->srv;
    if (!s->cfg.rate_limit.enabled)
        return 0;
    char key[200];
    unsigned limit = 0;
    const char *scope;
    if (r->who.kind == ID_KEY) {
        snprintf(key, sizeof key, "api_key:%s", r->who.subject);
        limit = r->who.rate_limit_per_hour;
        scope = "key";
    } else if (r->who.kind == ID_JWT) {
        snprintf(key, sizeof key, "user:%s", r->who.subject);
        scope = "user";
    } else {
        snprintf(key, sizeof key, "ip:%s", r->client_ip);
        scope = "ip";
    }
    rl_take(s->rl, key, limit, 0, &r->rl);
    r->rl_set = 1;
    if (r->rl.allowed)
        return 0;
    metrics_ratelimited(s->metrics, scope);
    char lim[24];
    snprintf(lim, sizeof lim, "%u", r->rl.limit);
    return req_fail(r, AE_RATE_LIMITED, lim, "hour");
}

/* An empty whitelist allows every address (a warning is logged at start-up). */
static int admin_ip_allowed(req *r)
{
    if (r->srv->admin_ips.n == 0)
        return 1;
    return !r->client_ip_doubtful && cidr_list_match(&r->srv->admin_ips, r->client_ip);
}

/* ---- the pipeline ------------------------------------------------------------------------- */

static int parse_body(req *r)
{
    if (r->body_len == 0) {
        r->json = NULL;
        return 0;
    }
    const char *ct = header(r->conn, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return req_fail(r, AE_BAD_REQUEST,
                        "Content-Type must be application/json for a request with a body", NULL);
    json_error_t je;
    r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!r->json)
        return req_failf(r, AE_BAD_REQUEST, "invalid JSON at line %d, column %d: %s", je.line,
                         je.column, je.text);
    return 0;
}

static int preflight(req *r)
{
    nq_server *s = r->srv;
    const char *origin = header(r->conn, "Origin");
    if (!origin || !origin_allowed(s, origin))
        return req_fail(r, AE_FORBIDDEN, "CORS: origin not allowed", NULL);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    char buf[1024];
    add_common_headers(r, resp);
    join_list(&s->cfg.cors.allowed_methods, buf, sizeof buf);
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", buf);
    join_list(&s->cfg.cors.allowed_headers, buf, sizeof buf);
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", buf);
    snprintf(buf, sizeof buf, "%u", s->cfg.cors.max_age);
    MHD_add_response_header(resp, "Access-Control-Max-Age", buf);
    MHD_queue_response(r->conn, 204, resp);
    MHD_destroy_response(resp);
    r->status = 204;
    r->done = 1;
    srvlog_access(&s->log, r->request_id, r->method, r->path, 204, req_elapsed_ms(r),
                  r->client_ip, NULL);
    return 204;
}

/* server.tls.ca_file: libmicrohttpd asks the client for a certificate but leaves it optional;
 * here a request without one that verifies against the CA is refused. */
static int client_cert_ok(req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return 0;
    gnutls_session_t ses = (gnutls_session_t)ci->tls_session;
    unsigned n = 0, status = 0;
    if (!gnutls_certificate_get_peers(ses, &n) || n == 0)
        return 0;
    return gnutls_certificate_verify_peers2(ses, &status) == 0 && status == 0;
}

void http_run_request(req *r)
{
    nq_server *s = r->srv;
    if (s->cfg.server.tls.ca_file && !client_cert_ok(r)) {
        req_fail(r, AE_FORBIDDEN,
                 "a client certificate signed by the configured CA is required (server.tls.ca_file)",
                 NULL);
        return;
    }
    if (r->body_too_large) {
        req_failf(r, AE_PAYLOAD_TOO_LARGE, "the body is larger than %zu bytes (security.max_payload_size)",
                  s->cfg.security.max_payload_size);
        return;
    }
    if (strcmp(r->method, "OPTIONS") == 0 && header(r->conn, "Access-Control-Request-Method")) {
        preflight(r);
        return;
    }
    /* monitoring.prometheus_endpoint / health_check_endpoint move /metrics and /health */
    const char *route_path = r->path;
    if (strcmp(r->path, s->cfg.monitoring.prometheus_endpoint) == 0)
        route_path = "/metrics";
    else if (strcmp(r->path, s->cfg.monitoring.health_check_endpoint) == 0)
        route_path = "/health";
    else if ((strcmp(r->path, "/metrics") == 0 && strcmp(s->cfg.monitoring.prometheus_endpoint, "/metrics") != 0) ||
             (strcmp(r->path, "/health") == 0 && strcmp(s->cfg.monitoring.health_check_endpoint, "/health") != 0))
        route_path = "/\x01moved"; /* matches no route: 404 */
    int known = 0;
    char allow[128];
    r->rt = router_match(r->method, route_path, r, &known, allow, sizeof allow);
    int st = authenticate(r);
    if (st) {
        rate_limit(r); /* wrong credentials still spend the caller's IP budget */
        r->status = st;
        return;
    }
    if (rate_limit(r))
        return;
    if (!r->rt) {
        if (known) {
            snprintf(r->message, sizeof r->message, "%s", allow);
            r->status = api_error_setf(&r->err, AE_METHOD_NOT_ALLOWED, "%s %s (allowed: %s)",
                                       r->method, r->path, allow);
        } else {
            req_failf(r, AE_NOT_FOUND, "no route for %s %s", r->method, r->path);
        }
        return;
    }
    const route *rt = r->rt;
    if (rt->fn == h_perf && !s->cfg.monitoring.performance_stats) {
        req_fail(r, AE_NOT_FOUND, "performance statistics are disabled (monitoring.performance_stats)",
                 NULL);
        return;
    }
    /* security.csrf_protection: a state-changing request that a browser sent from a page of
     * another origin is refused, whatever credentials it carries */
    if (s->cfg.security.csrf_protection && strcmp(r->method, "GET") != 0) {
        const char *origin = header(r->conn, "Origin");
        if (origin && !origin_allowed(s, origin)) {
            req_failf(r, AE_FORBIDDEN, "cross-site request from origin %.200s refused "
                      "(security.csrf_protection; allowed origins: cors.allowed_origins)", origin);
            return;
        }
    }
    if (!(rt->flags & ROUTE_PUBLIC)) {
        if (r->who.kind == ID_NONE) {
            req_fail(r, AE_UNAUTHORIZED,
                     "Authentication required. Please provide a valid JWT token or API key.", NULL);
            return;
        }
        if ((rt->flags & ROUTE_ADMIN_IP) && !admin_ip_allowed(r)) {
            req_failf(r, AE_FORBIDDEN,
                      "Access to admin endpoints is restricted. Your IP (%s) is not in the whitelist.",
                      r->client_ip);
            return;
        }
        if (rt->perm && !identity_allows(&r->who, rt->perm)) {
            req_fail(r, AE_FORBIDDEN, rt->perm_msg, NULL);
            return;
        }
    }
    if (parse_body(r))
        return;
    if ((rt->flags & ROUTE_JSON) == 0 && r->json) {
        req_fail(r, AE_BAD_REQUEST, "this route takes no request body", NULL);
        return;
    }
    r->status = rt->fn(r);
}

/* Take r off the list of ready answers (s->ready_mu held); nothing when it is not on it. */
static void ready_unlink(nq_server *s, req *r)
{
    if (!r->in_ready)
        return;
    if (r->rprev)
        r->rprev->rnext = r->rnext;
    else
        s->ready_head = r->rnext;
    if (r->rnext)
        r->rnext->rprev = r->rprev;
    r->in_ready = 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    nq_server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->srv = s;
        r->conn = c;
        r->method = method;
        r->path = url;
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        atomic_fetch_add(&s->n_requests, 1);
        atomic_fetch_add(&s->n_active, 1);
        set_request_id(r);
        set_client_ip(r);
        const char *cl = header(c, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->cfg.security.max_payload_size) {
            r->body_too_large = 1;
            http_run_request(r);
            return respond(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        /* server.client_timeout: the whole request must arrive within this many ms */
        if (s->cfg.server.client_timeout && req_elapsed_ms(r) > (double)s->cfg.server.client_timeout) {
            srvlog_msg(&s->log, SRVLOG_WARN, r->request_id,
                       "%s %s from %s: body not complete after %u ms (server.client_timeout); "
                       "connection closed", r->method, r->path, r->client_ip,
                       s->cfg.server.client_timeout);
            return MHD_NO;
        }
        if (r->done || r->body_too_large)
            return MHD_YES;
        if (r->body_len + n > s->cfg.security.max_payload_size) {
            r->body_too_large = 1;
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap : 4096;
            while (cap < r->body_len + n + 1)
                cap *= 2;
            char *nb = realloc(r->body, cap);
            if (!nb)
                return MHD_NO;
            r->body = nb;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    if (r->done)
        return MHD_YES;
    if (r->suspended) {
        /* called again after a resume: the answer is ready — or the resume was early (the
         * safety net below may resume twice), and the connection simply waits again */
        pthread_mutex_lock(&s->ready_mu);
        int ready = r->ready;
        if (ready)
            ready_unlink(s, r);
        pthread_mutex_unlock(&s->ready_mu);
        if (!ready) {
            MHD_suspend_connection(c);
            return MHD_YES;
        }
        r->suspended = 0;
        atomic_fetch_sub(&s->n_suspended, 1);
        return respond(r);
    }
    /* A CORS preflight and the WebSocket upgrade queue their answer from inside the pipeline
     * and run no statement: they stay on this thread. Everything else goes to a worker. The
     * queue holds one request per allowed connection, so it is never full in practice; if it
     * were, the answer is a 503 given here, before anything is suspended. */
    int inline_ok = strcmp(r->path, "/ws") == 0 ||
                    (strcmp(r->method, "OPTIONS") == 0 &&
                     header(r->conn, "Access-Control-Request-Method") != NULL);
    if (!inline_ok) {
        if (atomic_load(&s->refuse_work)) {
            req_fail(r, AE_UNAVAILABLE, "server", "the server is shutting down");
            return respond(r);
        }
        if (workpool_full(&s->work)) {
            req_fail(r, AE_UNAVAILABLE, "server", "too many requests queued; try again");
            return respond(r);
        }
        atomic_fetch_add(&s->n_suspended, 1);
        MHD_suspend_connection(c);
        r->suspended = 1;
        if (workpool_submit(&s->work, r) != 0) {
            /* lost a race for the last slot: answer 503 through the ready list */
            req_fail(r, AE_UNAVAILABLE, "server", "too many requests queued; try again");
            http_request_ready(r);
        }
        return MHD_YES;
    }
    http_run_request(r);
    if (r->done) /* preflight or the 101 of /ws */
        return MHD_YES;
    return respond(r);
}

/*
 * The resume safety net. A worker that has the answer puts the request on srv->ready_head and
 * resumes its connection; the event thread takes it off the list when it sends the answer.
 * Under the fuzzer (fuzz_http), twice in about 400 000 requests, a request was left unanswered
 * for good while every thread of the server was idle (stacks taken with gdb): most likely a
 * resume of libmicrohttpd 0.9.75 that did not take effect, e.g. one that came before the event
 * thread had returned from the callback that suspended. So the housekeeping thread calls
 * http_resume_stalled every 100 ms: an answer ready for longer than 200 ms gets its connection
 * resumed again, and says so in the log. A resume that turns out early is harmless: the event
 * thread finds no answer and suspends the connection again.
 */
void http_request_ready(req *r)
{
    nq_server *s = r->srv;
    pthread_mutex_lock(&s->ready_mu);
    r->ready = 1;
    clock_gettime(CLOCK_MONOTONIC, &r->ready_at);
    r->rprev = NULL;
    r->rnext = s->ready_head;
    if (s->ready_head)
        s->ready_head->rprev = r;
    s->ready_head = r;
    r->in_ready = 1;
    /* under the mutex: the event thread cannot answer and free r before this returns */
    MHD_resume_connection(r->conn);
    pthread_mutex_unlock(&s->ready_mu);
}

unsigned http_resume_stalled(nq_server *s, unsigned ms)
{
    struct timespec now;
    unsigned waiting = 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&s->ready_mu);
    for (req *r = s->ready_head; r; r = r->rnext) {
        waiting++;
        double age = (double)(now.tv_sec - r->ready_at.tv_sec) * 1e3 +
                     (double)(now.tv_nsec - r->ready_at.tv_nsec) / 1e6;
        if (age < (double)ms)
            continue;
        if (r->rescued++ == 0)
            srvlog_msg(&s->log, SRVLOG_WARN, r->request_id,
                       "answer ready for %.0f ms but its connection was not resumed; resuming "
                       "it again", age);
        r->ready_at = now;
        MHD_resume_connection(r->conn);
    }
    pthread_mutex_unlock(&s->ready_mu);
    return waiting;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req *r = *con_cls;
    if (!r)
        return;
    nq_server *s = r->srv;
    pthread_mutex_lock(&s->ready_mu);
    ready_unlink(s, r); /* when the client went away before the answer was sent */
    pthread_mutex_unlock(&s->ready_mu);
    if (r->suspended) /* ended while suspended (a connection error): no longer suspended */
        atomic_fetch_sub(&s->n_suspended, 1);
    /* A request that ends unanswered for another reason than the client hanging up or the
     * server stopping: say why libmicrohttpd ended it (a connection error is also what a
     * client that closes its sending side early causes, so this is a warning, not an error). */
    if (!r->done && toe != MHD_REQUEST_TERMINATED_CLIENT_ABORT &&
        toe != MHD_REQUEST_TERMINATED_READ_ERROR && toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN)
        srvlog_msg(&s->log, SRVLOG_WARN, r->request_id, "%s %s ended unanswered (%s%s%s)",
                   r->method, r->path,
                   toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "connection timeout"
                                                                 : "connection error",
                   r->suspended ? ", while suspended" : "", r->ready ? ", answer ready" : "");
    atomic_fetch_sub(&r->srv->n_active, 1);
    json_decref(r->json);
    json_decref(r->data);
    free(r->raw);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    nq_server *s = cls;
    metrics_connections(s->metrics, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

/* ---- WebSocket upgrade --------------------------------------------------------------------- */

typedef struct upgrade_ctx {
    nq_server *s;
    identity who;
    char client_ip[64];
} upgrade_ctx;

static void ws_done(void *arg)
{
    MHD_upgrade_action((struct MHD_UpgradeResponseHandle *)arg, MHD_UPGRADE_ACTION_CLOSE);
}

static void on_upgrade(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    upgrade_ctx *u = cls;
    int rc = ws_accept(u->s->ws, sock, extra_in, extra_in_size, &u->who, u->client_ip, ws_done, urh);
    if (rc != 0) {
        srvlog_msg(&u->s->log, SRVLOG_WARN, NULL, "websocket from %s refused: %s", u->client_ip,
                   rc == NQ_EBUSY ? "websocket.max_connections reached" : nq_strerror(rc));
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    }
    free(u);
}

static int has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (strncasecmp(p, tok, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
        p = strchr(p, ',');
    }
    return 0;
}

int h_ws_upgrade(req *r)
{
    nq_server *s = r->srv;
    if (!s->cfg.monitoring.websocket_enabled)
        return req_fail(r, AE_NOT_FOUND, "WebSocket is disabled (monitoring.websocket_enabled)", NULL);
    const char *up = header(r->conn, "Upgrade");
    const char *conn = header(r->conn, "Connection");
    const char *key = header(r->conn, "Sec-WebSocket-Key");
    const char *ver = header(r->conn, "Sec-WebSocket-Version");
    if (!up || strcasecmp(up, "websocket") != 0 || !conn || !has_token(conn, "upgrade") || !key)
        return req_fail(r, AE_BAD_REQUEST,
                        "a WebSocket upgrade needs Upgrade: websocket, Connection: Upgrade and "
                        "Sec-WebSocket-Key",
                        NULL);
    if (!ver || strcmp(ver, "13") != 0)
        return req_fail(r, AE_BAD_REQUEST, "Sec-WebSocket-Version must be 13", NULL);
    upgrade_ctx *u = calloc(1, sizeof *u);
    if (!u)
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    u->s = s;
    u->who = r->who;
    snprintf(u->client_ip, sizeof u->client_ip, "%s", r->client_ip);
    struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, u);
    if (!resp) {
        free(u);
        return req_fail(r, AE_INTERNAL, "cannot create the upgrade response", NULL);
    }
    char accept[29];
    ws_accept_key(key, accept);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
    MHD_add_response_header(resp, "X-Request-ID", r->request_id);
    if (MHD_queue_response(r->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp) != MHD_YES) {
        MHD_destroy_response(resp);
        free(u);
        return req_fail(r, AE_INTERNAL, "cannot switch protocols", NULL);
    }
    MHD_destroy_response(resp);
    r->done = 1;
    srvlog_access(&s->log, r->request_id, r->method, r->path, 101, req_elapsed_ms(r),
                  r->client_ip, r->who.name);
    metrics_http(s->metrics, "/ws", "GET", 101, req_elapsed_ms(r) / 1e3);
    return 101;
}

/* ---- the daemon ----------------------------------------------------------------------------- */

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, errlen, "cannot read %s", path);
        free(b);
        fclose(f);
        return NULL;
    }
    b[n] = '\0';
    fclose(f);
    return b;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    nq_server *s = cls;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    srvlog_msg(&s->log, SRVLOG_WARN, NULL, "http: %s", msg);
}

int http_start(nq_server *s, char *err, size_t errlen)
{
    const server_config *c = &s->cfg;
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%u", c->server.port);
    int gai = getaddrinfo(c->server.host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errlen, "server.host %s: %s", c->server.host, gai_strerror(gai));
        return -1;
    }
    /* event threads: one per CPU (at most server.workers); they only move bytes, the
     * statements run on the workers */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned workers = ncpu > 0 ? (unsigned)ncpu : 2;
    if (c->server.workers && c->server.workers < workers)
        workers = c->server.workers;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_UPGRADE |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    char *cert = NULL, *key = NULL, *ca = NULL;
    if (c->server.tls.cert_file) {
        flags |= MHD_USE_TLS;
        if (!(cert = read_file(c->server.tls.cert_file, err, errlen)) ||
            !(key = read_file(c->server.tls.key_file, err, errlen)) ||
            (c->server.tls.ca_file && !(ca = read_file(c->server.tls.ca_file, err, errlen)))) {
            free(cert), free(key), free(ca);
            freeaddrinfo(ai);
            return -1;
        }
    }
    struct MHD_OptionItem tls_opts[] = {
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert},
        {key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key},
        {ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, ca},
        {MHD_OPTION_END, 0, NULL},
    };
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_THREAD_POOL_SIZE, workers, MHD_OPTION_CONNECTION_LIMIT,
        c->server.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, c->server.keep_alive,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    freeaddrinfo(ai);
    /* libmicrohttpd keeps pointers to the PEM texts: they live as long as the daemon */
    s->tls_pem[0] = cert, s->tls_pem[1] = key, s->tls_pem[2] = ca;
    if (!s->mhd) {
        snprintf(err, errlen, "cannot listen on %s:%u (address in use, or not permitted)",
                 c->server.host, c->server.port);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : c->server.port;
    return 0;
}

void http_quiesce(nq_server *s)
{
    if (s->mhd) {
        MHD_socket fd = MHD_quiesce_daemon(s->mhd);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
}

void http_stop(nq_server *s)
{
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    for (int i = 0; i < 3; i++) {
        free(s->tls_pem[i]);
        s->tls_pem[i] = NULL;
    }
}
