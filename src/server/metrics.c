/*
 * metrics.c — counters, gauges and histograms for /metrics, and their rendering in the
 * Prometheus text format 0.0.4 (design in metrics.h; the list of metrics in
 * docs/monitoring.md).
 *
 * Histograms keep one non-cumulative atomic count per bucket (the last one: above the highest
 * bound) and the sum in nanoseconds; rendering accumulates the buckets and reports their
 * total as _count, so +Inf always equals _count even while recorders run concurrently.
 *
 * Open label sets live in a `series_tab`: an insert-only open-addressing table of atomic
 * pointers. A recorder hashes its label values, probes, and either finds its series or
 * installs a new one with a compare-and-swap (losing a race means freeing its copy and using
 * the winner's). Series are freed only by metrics_free. Each series is an array of atomic
 * 64-bit cells whose layout depends on the table (HTTP: duration buckets, sum, and 16 slots of
 * {status code, count} claimed by CAS; WebSocket messages: one count).
 */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixed label sets ---------------------------------------------------------------------- */

static const double http_bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,  0.5,   1,    2.5,   5,    10};
#define HTTP_NB 12
static const double query_bounds[] = {0.0001, 0.0005, 0.001, 0.005, 0.01,
                                      0.05,   0.1,    0.5,   1,     5};
#define QUERY_NB 10

static const char *const query_types[] = {"select", "insert", "update", "delete",
                                          "ddl",    "txn",    "other"};
#define NQT 7
static const char *const rl_scopes[] = {"key", "user", "ip", "keygen", "login", "other"};
#define NRLS 6
static const char *const ws_dirs[] = {"sent", "received", "dropped"};

/* ---- series tables ------------------------------------------------------------------------- */

#define TAB_SLOTS 4096 /* > 2 x METRICS_MAX_SERIES: probes stay short */

typedef struct series {
    char *a, *b; /* label values */
    uint64_t hash;
    _Atomic uint64_t v[];
} series;

typedef struct series_tab {
    _Atomic(series *) slot[TAB_SLOTS];
    atomic_size_t n;
    size_t nv; /* cells per series */
} series_tab;

/* HTTP series layout */
#define H_BUCKETS 0                   /* HTTP_NB + 1 cells */
#define H_SUM     (HTTP_NB + 1)       /* nanoseconds */
#define H_STATUS  (HTTP_NB + 2)       /* H_NSTATUS x {code, count} */
#define H_NSTATUS 16
#define H_OVER    (H_STATUS + 2 * H_NSTATUS) /* statuses beyond the slots */
#define H_CELLS   (H_OVER + 1)

typedef struct histo {
    _Atomic uint64_t bucket[QUERY_NB + 1];
    _Atomic uint64_t sum_ns;
} histo;

struct metrics {
    series_tab http, wsmsg[3];
    _Atomic uint64_t http_5xx;
    _Atomic uint64_t q_count[NQT][2]; /* [type][ok] */
    histo q_hist[NQT];
    _Atomic uint64_t q_slow;
    _Atomic uint64_t slow_ns;         /* threshold */
    _Atomic uint64_t auth[2];         /* [ok] */
    _Atomic uint64_t rl[NRLS];
    _Atomic int64_t conn_active;
    _Atomic uint64_t conn_total, max_conn;
    _Atomic int64_t ws_active, streams_active;
    _Atomic uint64_t ws_connected, ws_closed, ws_error;
};

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = a; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *s = b; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ^ (h >> 31);
}

static series *series_new(size_t nv, const char *a, const char *b, uint64_t h)
{
    series *s = calloc(1, sizeof *s + nv * sizeof(_Atomic uint64_t));
    if (!s)
        return NULL;
    s->a = strdup(a);
    s->b = strdup(b);
    if (!s->a || !s->b) {
        free(s->a);
        free(s->b);
        free(s);
        return NULL;
    }
    s->hash = h;
    for (size_t i = 0; i < nv; i++)
        atomic_init(&s->v[i], 0);
    return s;
}

static void series_free(series *s)
{
    free(s->a);
    free(s->b);
    free(s);
}

/* Find or add the series (a, b); past METRICS_MAX_SERIES, the series ("other", "other").
 * NULL only when out of memory. */
static series *tab_get(series_tab *t, const char *a, const char *b)
{
    if (!a)
        a = "";
    if (!b)
        b = "";
    for (;;) {
        uint64_t h = hash2(a, b);
        int overflow = strcmp(a, "other") == 0 && strcmp(b, "other") == 0;
        size_t i = h & (TAB_SLOTS - 1);
        series *mine = NULL;
        int full = 0;
        for (size_t probes = 0; probes < TAB_SLOTS; probes++, i = (i + 1) & (TAB_SLOTS - 1)) {
            series *s = atomic_load_explicit(&t->slot[i], memory_order_acquire);
            if (!s) {
                if (!overflow && atomic_load(&t->n) >= METRICS_MAX_SERIES) {
                    full = 1;
                    break;
                }
                if (!mine && !(mine = series_new(t->nv, a, b, h)))
                    return NULL;
                series *expect = NULL;
                if (atomic_compare_exchange_strong_explicit(&t->slot[i], &expect, mine,
                                                            memory_order_acq_rel,
                                                            memory_order_acquire)) {
                    atomic_fetch_add(&t->n, 1);
                    return mine;
                }
                s = expect; /* someone else took the slot: check whether it is ours */
            }
            if (s->hash == h && strcmp(s->a, a) == 0 && strcmp(s->b, b) == 0) {
                if (mine)
                    series_free(mine);
                return s;
            }
        }
        if (mine)
            series_free(mine);
        if (!full && overflow)
            return NULL; /* cannot happen: TAB_SLOTS exceeds the cap by far */
        a = b = "other";
    }
}

static void tab_free(series_tab *t)
{
    for (size_t i = 0; i < TAB_SLOTS; i++) {
        series *s = atomic_load(&t->slot[i]);
        if (s)
            series_free(s);
    }
}

static int cmp_series(const void *x, const void *y)
{
    const series *a = *(series *const *)x, *b = *(series *const *)y;
    int c = strcmp(a->a, b->a);
    return c ? c : strcmp(a->b, b->b);
}

/* The table's series sorted by label values (malloc'd array; NULL with *n = 0 if empty or
 * out of memory: *oom tells). */
static series **tab_sorted(series_tab *t, size_t *n, int *oom)
{
    size_t cap = atomic_load(&t->n) + 64, k = 0;
    series **arr = malloc(cap * sizeof *arr);
    if (!arr) {
        *oom = 1;
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < TAB_SLOTS && k < cap; i++) {
        series *s = atomic_load_explicit(&t->slot[i], memory_order_acquire);
        if (s)
            arr[k++] = s;
    }
    qsort(arr, k, sizeof *arr, cmp_series);
    *n = k;
    return arr;
}

/* ---- recorders ----------------------------------------------------------------------------- */

metrics *metrics_new(void)
{
    metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->http.nv = H_CELLS;
    for (int i = 0; i < 3; i++)
        m->wsmsg[i].nv = 1;
    atomic_store(&m->slow_ns, 1000000000u);
    return m;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    tab_free(&m->http);
    for (int i = 0; i < 3; i++)
        tab_free(&m->wsmsg[i]);
    free(m);
}

static uint64_t to_ns(double seconds)
{
    if (!(seconds > 0)) /* negative or NaN */
        return 0;
    if (seconds > 1e9)
        return (uint64_t)1e18;
    return (uint64_t)llround(seconds * 1e9);
}

static size_t bucket_of(const double *bounds, size_t nb, double seconds)
{
    size_t b = 0;
    while (b < nb && !(seconds <= bounds[b]))
        b++;
    return b;
}

#define ADD(cell, n) atomic_fetch_add_explicit(&(cell), (n), memory_order_relaxed)

void metrics_http(metrics *m, const char *route, const char *method, int status, double seconds)
{
    series *s = tab_get(&m->http, route, method);
    if (!s)
        return;
    if (seconds != seconds || seconds < 0)
        seconds = 0;
    ADD(s->v[H_BUCKETS + bucket_of(http_bounds, HTTP_NB, seconds)], 1);
    ADD(s->v[H_SUM], to_ns(seconds));
    uint64_t code = status > 0 && status < 1000 ? (uint64_t)status : 0;
    if (code >= 500)
        ADD(m->http_5xx, 1);
    for (int k = 0; code && k < H_NSTATUS; k++) {
        _Atomic uint64_t *c = &s->v[H_STATUS + 2 * k];
        uint64_t have = atomic_load_explicit(c, memory_order_acquire);
        if (have == 0) {
            uint64_t expect = 0;
            if (atomic_compare_exchange_strong(c, &expect, code))
                have = code;
            else
                have = expect;
        }
        if (have == code) {
            ADD(s->v[H_STATUS + 2 * k + 1], 1);
            return;
        }
    }
    ADD(s->v[H_OVER], 1);
}

static int query_type_index(const char *type)
{
    for (int i = 0; type && i < NQT - 1; i++)
        if (strcmp(type, query_types[i]) == 0)
            return i;
    return NQT - 1;
}

void metrics_query(metrics *m, const char *type, int ok, double seconds)
{
    int t = query_type_index(type);
    if (seconds != seconds || seconds < 0)
        seconds = 0;
    ADD(m->q_count[t][ok ? 1 : 0], 1);
    ADD(m->q_hist[t].bucket[bucket_of(query_bounds, QUERY_NB, seconds)], 1);
    uint64_t ns = to_ns(seconds);
    ADD(m->q_hist[t].sum_ns, ns);
    if (ns >= atomic_load_explicit(&m->slow_ns, memory_order_relaxed))
        ADD(m->q_slow, 1);
}

void metrics_set_slow_query(metrics *m, double seconds) { atomic_store(&m->slow_ns, to_ns(seconds)); }

void metrics_auth(metrics *m, int ok) { ADD(m->auth[ok ? 1 : 0], 1); }

void metrics_ratelimited(metrics *m, const char *scope)
{
    int i = 0;
    while (i < NRLS - 1 && !(scope && strcmp(scope, rl_scopes[i]) == 0))
        i++;
    ADD(m->rl[i], 1);
}

void metrics_connections(metrics *m, int delta)
{
    ADD(m->conn_active, delta);
    if (delta > 0)
        ADD(m->conn_total, (uint64_t)delta);
}

void metrics_set_max_connections(metrics *m, uint64_t n) { atomic_store(&m->max_conn, n); }

void metrics_ws_connection(metrics *m, const char *status, int delta_active)
{
    ADD(m->ws_active, delta_active);
    if (!status)
        return;
    if (strcmp(status, "connected") == 0)
        ADD(m->ws_connected, 1);
    else if (strcmp(status, "disconnected") == 0)
        ADD(m->ws_closed, 1);
    else if (strcmp(status, "error") == 0)
        ADD(m->ws_error, 1);
}

void metrics_ws_message(metrics *m, const char *direction, const char *type)
{
    for (int d = 0; d < 3; d++)
        if (direction && strcmp(direction, ws_dirs[d]) == 0) {
            series *s = tab_get(&m->wsmsg[d], type ? type : "", "");
            if (s)
                ADD(s->v[0], 1);
            return;
        }
}

void metrics_stream(metrics *m, int delta_active) { ADD(m->streams_active, delta_active); }

/* ---- rendering ----------------------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void bprintf(buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        put(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put(b, big, (size_t)n);
    free(big);
}

/* A label value with \, " and newline escaped as the text format requires. */
static void put_label(buf *b, const char *name, const char *v, int first)
{
    if (!first)
        puts_(b, ",");
    puts_(b, name);
    puts_(b, "=\"");
    for (const char *p = v; *p; p++) {
        if (*p == '\\')
            puts_(b, "\\\\");
        else if (*p == '"')
            puts_(b, "\\\"");
        else if (*p == '\n')
            puts_(b, "\\n");
        else
            put(b, p, 1);
    }
    puts_(b, "\"");
}

static void family(buf *b, const char *name, const char *type, const char *help)
{
    bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u(buf *b, const char *name, uint64_t v)
{
    bprintf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void sample_i(buf *b, const char *name, int64_t v)
{
    bprintf(b, "%s %lld\n", name, (long long)v);
}

static void sample_d(buf *b, const char *name, double v) { bprintf(b, "%s %.9g\n", name, v); }

/* One labelled sample: labels as name/value pairs (n pairs). */
static void sample_l(buf *b, const char *name, const char *const *labels, int n, uint64_t v)
{
    puts_(b, name);
    puts_(b, "{");
    for (int i = 0; i < n; i++)
        put_label(b, labels[2 * i], labels[2 * i + 1], i == 0);
    bprintf(b, "} %llu\n", (unsigned long long)v);
}

/* A histogram's samples for one label set: counts[nb + 1] non-cumulative. */
static void histogram(buf *b, const char *name, const char *const *labels, int n,
                      const double *bounds, size_t nb, const uint64_t *counts, uint64_t sum_ns)
{
    uint64_t cum = 0;
    for (size_t i = 0; i <= nb; i++) {
        cum += counts[i];
        bprintf(b, "%s_bucket{", name);
        for (int j = 0; j < n; j++)
            put_label(b, labels[2 * j], labels[2 * j + 1], j == 0);
        char le[32];
        if (i < nb)
            snprintf(le, sizeof le, "%g", bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        put_label(b, "le", le, n == 0);
        bprintf(b, "} %llu\n", (unsigned long long)cum);
    }
    const char *suffix[2] = {"_sum", "_count"};
    for (int k = 0; k < 2; k++) {
        bprintf(b, "%s%s", name, suffix[k]);
        if (n) {
            puts_(b, "{");
            for (int j = 0; j < n; j++)
                put_label(b, labels[2 * j], labels[2 * j + 1], j == 0);
            puts_(b, "}");
        }
        if (k == 0)
            bprintf(b, " %llu.%09llu\n", (unsigned long long)(sum_ns / 1000000000u),
                    (unsigned long long)(sum_ns % 1000000000u));
        else
            bprintf(b, " %llu\n", (unsigned long long)cum);
    }
}

#define LOAD(cell) atomic_load_explicit(&(cell), memory_order_relaxed)

typedef struct status_count {
    uint64_t code, n;
} status_count;

static int cmp_status(const void *x, const void *y)
{
    const status_count *a = x, *b = y;
    return a->code < b->code ? -1 : a->code > b->code;
}

static void render_http(buf *b, metrics *m)
{
    size_t n;
    series **all = tab_sorted(&m->http, &n, &b->oom);
    family(b, "neuroquantum_api_requests_total", "counter",
           "HTTP requests answered, by route template, method and status code.");
    for (size_t i = 0; i < n; i++) {
        series *s = all[i];
        status_count sc[H_NSTATUS + 1];
        int k = 0;
        for (int j = 0; j < H_NSTATUS; j++) {
            uint64_t code = LOAD(s->v[H_STATUS + 2 * j]);
            if (code)
                sc[k++] = (status_count){code, LOAD(s->v[H_STATUS + 2 * j + 1])};
        }
        qsort(sc, (size_t)k, sizeof sc[0], cmp_status);
        for (int j = 0; j < k; j++) {
            char code[16];
            snprintf(code, sizeof code, "%llu", (unsigned long long)sc[j].code);
            const char *l[6] = {"endpoint", s->a, "method", s->b, "status", code};
            sample_l(b, "neuroquantum_api_requests_total", l, 3, sc[j].n);
        }
        uint64_t over = LOAD(s->v[H_OVER]);
        if (over) {
            const char *l[6] = {"endpoint", s->a, "method", s->b, "status", "other"};
            sample_l(b, "neuroquantum_api_requests_total", l, 3, over);
        }
    }
    family(b, "neuroquantum_api_request_duration_seconds", "histogram",
           "HTTP request duration from request to response, by route template and method.");
    for (size_t i = 0; i < n; i++) {
        series *s = all[i];
        uint64_t counts[HTTP_NB + 1];
        for (int j = 0; j <= HTTP_NB; j++)
            counts[j] = LOAD(s->v[H_BUCKETS + j]);
        const char *l[4] = {"endpoint", s->a, "method", s->b};
        histogram(b, "neuroquantum_api_request_duration_seconds", l, 2, http_bounds, HTTP_NB,
                  counts, LOAD(s->v[H_SUM]));
    }
    free(all);
}

static void render_queries(buf *b, metrics *m)
{
    family(b, "neuroquantum_queries_total", "counter",
           "Statements run through the engine, by type and result (success or error).");
    uint64_t errors = 0;
    for (int t = 0; t < NQT; t++)
        for (int ok = 1; ok >= 0; ok--) {
            uint64_t v = LOAD(m->q_count[t][ok]);
            if (!ok)
                errors += v;
            const char *l[4] = {"query_type", query_types[t], "status", ok ? "success" : "error"};
            sample_l(b, "neuroquantum_queries_total", l, 2, v);
        }
    family(b, "neuroquantum_query_duration_seconds", "histogram",
           "Statement execution time in the engine, by type.");
    for (int t = 0; t < NQT; t++) {
        uint64_t counts[QUERY_NB + 1];
        for (int j = 0; j <= QUERY_NB; j++)
            counts[j] = LOAD(m->q_hist[t].bucket[j]);
        const char *l[2] = {"query_type", query_types[t]};
        histogram(b, "neuroquantum_query_duration_seconds", l, 1, query_bounds, QUERY_NB, counts,
                  LOAD(m->q_hist[t].sum_ns));
    }
    family(b, "neuroquantum_query_errors_total", "counter", "Statements that failed.");
    sample_u(b, "neuroquantum_query_errors_total", errors);
    family(b, "neuroquantum_slow_queries_total", "counter",
           "Statements that took at least the slow-query threshold.");
    sample_u(b, "neuroquantum_slow_queries_total", LOAD(m->q_slow));
    family(b, "neuroquantum_errors_total", "counter",
           "Errors by kind: failed statements (query) and HTTP 5xx answers (internal).");
    const char *lq[2] = {"error_type", "query"}, *li[2] = {"error_type", "internal"};
    sample_l(b, "neuroquantum_errors_total", lq, 1, errors);
    sample_l(b, "neuroquantum_errors_total", li, 1, LOAD(m->http_5xx));
}

static void render_server(buf *b, metrics *m)
{
    family(b, "neuroquantum_auth_requests_total", "counter",
           "Authentication attempts (API key, JWT, login) by result.");
    const char *ls[2] = {"status", "success"}, *lf[2] = {"status", "failed"};
    sample_l(b, "neuroquantum_auth_requests_total", ls, 1, LOAD(m->auth[1]));
    sample_l(b, "neuroquantum_auth_requests_total", lf, 1, LOAD(m->auth[0]));
    family(b, "neuroquantum_rate_limit_rejections_total", "counter",
           "Requests rejected with 429 by the rate limiter, by key kind.");
    for (int i = 0; i < NRLS; i++) {
        const char *l[2] = {"scope", rl_scopes[i]};
        sample_l(b, "neuroquantum_rate_limit_rejections_total", l, 1, LOAD(m->rl[i]));
    }
    family(b, "neuroquantum_active_connections", "gauge", "HTTP connections open now.");
    sample_i(b, "neuroquantum_active_connections", LOAD(m->conn_active));
    family(b, "neuroquantum_connections_total", "counter", "HTTP connections accepted.");
    sample_u(b, "neuroquantum_connections_total", LOAD(m->conn_total));
    uint64_t maxc = LOAD(m->max_conn);
    if (maxc) {
        family(b, "neuroquantum_max_connections", "gauge",
               "The configured limit of HTTP connections (server.max_connections).");
        sample_u(b, "neuroquantum_max_connections", maxc);
    }
    family(b, "neuroquantum_websocket_connections_active", "gauge", "WebSocket connections open now.");
    sample_i(b, "neuroquantum_websocket_connections_active", LOAD(m->ws_active));
    family(b, "neuroquantum_websocket_connections_total", "counter",
           "WebSocket connections established (upgrade accepted).");
    sample_u(b, "neuroquantum_websocket_connections_total", LOAD(m->ws_connected));
    family(b, "neuroquantum_websocket_disconnections_total", "counter",
           "WebSocket connections ended: closed normally (disconnected) or on an error.");
    const char *ld[2] = {"status", "disconnected"}, *le[2] = {"status", "error"};
    sample_l(b, "neuroquantum_websocket_disconnections_total", ld, 1, LOAD(m->ws_closed));
    sample_l(b, "neuroquantum_websocket_disconnections_total", le, 1, LOAD(m->ws_error));
    static const char *const names[3] = {"neuroquantum_websocket_messages_sent_total",
                                         "neuroquantum_websocket_messages_received_total",
                                         "neuroquantum_websocket_messages_dropped_total"};
    static const char *const helps[3] = {
        "WebSocket messages sent, by message type.",
        "WebSocket messages received, by message type.",
        "WebSocket messages dropped (flow control or a closed peer), by message type."};
    for (int d = 0; d < 3; d++) {
        family(b, names[d], "counter", helps[d]);
        size_t n;
        series **all = tab_sorted(&m->wsmsg[d], &n, &b->oom);
        for (size_t i = 0; i < n; i++) {
            const char *l[2] = {"type", all[i]->a};
            sample_l(b, names[d], l, 1, LOAD(all[i]->v[0]));
        }
        free(all);
    }
    family(b, "neuroquantum_websocket_active_streams", "gauge",
           "Query result streams running over WebSocket now.");
    sample_i(b, "neuroquantum_websocket_active_streams", LOAD(m->streams_active));
}

/* Transactions, locks and the old versions kept for snapshots (docs/transactions.md). */
static void render_txn(buf *b, const nq_stats *s)
{
    family(b, "neuroquantum_transactions_active", "gauge",
           "Transactions open now: read snapshots (statements, cursors, explicit read "
           "transactions), write and concurrent transactions.");
    sample_u(b, "neuroquantum_transactions_active", s->txn_active);
    family(b, "neuroquantum_transactions_concurrent_committed_total", "counter",
           "Concurrent (MVCC) transactions committed.");
    sample_u(b, "neuroquantum_transactions_concurrent_committed_total", s->txn_commits_concurrent);
    family(b, "neuroquantum_serialization_failures_total", "counter",
           "Transactions that failed with a serialization error (SQLSTATE 40001).");
    sample_u(b, "neuroquantum_serialization_failures_total", s->txn_serialization_failures);
    family(b, "neuroquantum_deadlocks_total", "counter",
           "Deadlocks detected: each counts its one victim (SQLSTATE 40P01).");
    sample_u(b, "neuroquantum_deadlocks_total", s->txn_deadlocks);
    family(b, "neuroquantum_lock_waits_total", "counter",
           "Lock requests that had to wait (or, with NOWAIT, would have).");
    sample_u(b, "neuroquantum_lock_waits_total", s->lock_waits);
    family(b, "neuroquantum_lock_timeouts_total", "counter",
           "Lock waits that ended by lock_timeout or NOWAIT (SQLSTATE 55P03).");
    sample_u(b, "neuroquantum_lock_timeouts_total", s->lock_timeouts);
    family(b, "neuroquantum_lock_wait_seconds_total", "counter", "Time spent waiting for locks.");
    sample_d(b, "neuroquantum_lock_wait_seconds_total", (double)s->lock_wait_ns / 1e9);
    family(b, "neuroquantum_oldest_snapshot_age_seconds", "gauge",
           "Age of the oldest open snapshot (0 when none is open): a reader that old keeps "
           "every version committed after it.");
    sample_d(b, "neuroquantum_oldest_snapshot_age_seconds",
             (double)s->oldest_snapshot_age_ms / 1000.0);
    family(b, "neuroquantum_wal_frames_retained", "gauge",
           "Log frames (old versions) that a checkpoint cannot copy back yet because the "
           "oldest open snapshot still needs the versions they replace.");
    sample_u(b, "neuroquantum_wal_frames_retained", s->frames_retained);
}

static void render_engine(buf *b, nq_db *db)
{
    nq_stats s;
    if (!db || nq_get_stats(db, &s) != 0)
        return;
    family(b, "neuroquantum_buffer_pool_hit_ratio", "gauge",
           "Buffer pool lookups served from memory / all lookups, since start (0 before any).");
    sample_d(b, "neuroquantum_buffer_pool_hit_ratio", s.cache_hit_rate);
    family(b, "neuroquantum_buffer_pool_hits_total", "counter", "Buffer pool lookups served from memory.");
    sample_u(b, "neuroquantum_buffer_pool_hits_total", s.cache_hits);
    family(b, "neuroquantum_buffer_pool_misses_total", "counter", "Buffer pool lookups that read the disk.");
    sample_u(b, "neuroquantum_buffer_pool_misses_total", s.cache_misses);
    family(b, "neuroquantum_buffer_pool_evictions_total", "counter", "Pages evicted from the buffer pool.");
    sample_u(b, "neuroquantum_buffer_pool_evictions_total", s.cache_evictions);
    family(b, "neuroquantum_buffer_pool_pages", "gauge",
           "Buffer pool pages in use and free (capacity minus in use).");
    const char *lu[2] = {"state", "used"}, *lf[2] = {"state", "free"};
    sample_l(b, "neuroquantum_buffer_pool_pages", lu, 1, s.cache_pages);
    sample_l(b, "neuroquantum_buffer_pool_pages", lf, 1,
             s.cache_capacity_pages > s.cache_pages ? s.cache_capacity_pages - s.cache_pages : 0);
    family(b, "neuroquantum_wal_bytes_written", "counter",
           "Bytes written to the write-ahead log (frames and headers) since start.");
    sample_u(b, "neuroquantum_wal_bytes_written", s.wal_bytes_written);
    family(b, "neuroquantum_wal_fsync_duration_seconds", "histogram",
           "Duration of each fsync of the write-ahead log.");
    static const uint64_t us[NQ_FSYNC_BUCKETS - 1] = NQ_FSYNC_BOUNDS_US;
    double bounds[NQ_FSYNC_BUCKETS - 1];
    for (int i = 0; i < NQ_FSYNC_BUCKETS - 1; i++)
        bounds[i] = (double)us[i] / 1e6;
    histogram(b, "neuroquantum_wal_fsync_duration_seconds", NULL, 0, bounds,
              NQ_FSYNC_BUCKETS - 1, s.wal_fsync_hist, s.wal_fsync_ns);
    family(b, "neuroquantum_wal_frames", "gauge",
           "Durable frames in the current write-ahead log (0 after a checkpoint restarts it).");
    sample_u(b, "neuroquantum_wal_frames", s.wal_frames);
    family(b, "neuroquantum_wal_syncs_total", "counter",
           "Group-commit log syncs (one may make many commits durable).");
    sample_u(b, "neuroquantum_wal_syncs_total", s.syncs);
    family(b, "neuroquantum_transactions_committed_total", "counter", "Write transactions committed.");
    sample_u(b, "neuroquantum_transactions_committed_total", s.commits);
    family(b, "neuroquantum_checkpoints_total", "counter", "Checkpoints (log copied into the database file).");
    sample_u(b, "neuroquantum_checkpoints_total", s.checkpoints);
    family(b, "neuroquantum_database_size_bytes", "gauge",
           "Size of the durable database: pages x page size (the log not included).");
    sample_u(b, "neuroquantum_database_size_bytes", s.page_count * s.page_size);
    render_txn(b, &s);
}

static void render_process(buf *b)
{
    metrics_proc p;
    metrics_proc_read(&p);
    struct {
        const char *name, *type, *help;
        int64_t v;
    } ints[] = {
        {"neuroquantum_memory_usage_bytes", "gauge", "Resident memory of the server process.",
         p.resident_bytes},
        {"neuroquantum_memory_limit_bytes", "gauge",
         "Memory available to the process: its cgroup limit, else the machine's memory.",
         p.memory_limit_bytes},
        {"neuroquantum_disk_read_bytes_total", "counter",
         "Bytes the process caused to be read from storage (/proc/self/io).", p.read_bytes},
        {"neuroquantum_disk_write_bytes_total", "counter",
         "Bytes the process caused to be written to storage (/proc/self/io).", p.write_bytes},
        {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", p.resident_bytes},
        {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtual_bytes},
        {"process_open_fds", "gauge", "Number of open file descriptors.", p.open_fds},
        {"process_max_fds", "gauge", "Maximum number of open file descriptors.", p.max_fds},
        {"process_threads", "gauge", "Number of OS threads in the process.", p.threads},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (ints[i].v < 0)
            continue;
        family(b, ints[i].name, ints[i].type, ints[i].help);
        sample_i(b, ints[i].name, ints[i].v);
    }
    if (p.cpu_seconds >= 0) {
        family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        sample_d(b, "process_cpu_seconds_total", p.cpu_seconds);
    }
    if (p.start_time >= 0) {
        family(b, "process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.");
        bprintf(b, "process_start_time_seconds %.2f\n", p.start_time);
    }
}

int metrics_render(metrics *m, nq_db *db, char **out, size_t *len)
{
    buf b = {0};
    render_http(&b, m);
    render_queries(&b, m);
    render_server(&b, m);
    render_engine(&b, db);
    render_process(&b);
    if (b.oom || !b.p) {
        free(b.p);
        *out = NULL;
        *len = 0;
        return NQ_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}
