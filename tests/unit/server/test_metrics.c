/*
 * test_metrics.c — /metrics: after known events the rendered text holds exactly the expected
 * samples (parsed back, not grepped); a format checker runs over the whole output (HELP and
 * TYPE once per family before its samples, every sample belongs to a declared family, label
 * syntax and escaping, histogram buckets cumulative with +Inf = _count); recorders are exact
 * under threads; unbounded label values fold into "other"; the engine figures behind it
 * (nq_get_stats: log bytes written, log fsyncs with their duration histogram) are exact; the
 * process figures are plausible.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nqdb.h"
#include "metrics.h"
#include "storage/wal.h"

static nq_db *open_db(const char *path, int sync)
{
    unlink(path);
    char walpath[256];
    snprintf(walpath, sizeof walpath, "%s-wal", path);
    unlink(walpath);
    nq_options o;
    nq_options_init(&o);
    o.page_size = 4096;
    o.checkpoint_pages = 100000;
    o.sync = sync;
    nq_db *db = NULL;
    int rc = nq_open(path, &o, &db);
    if (rc)
        fail_msg("open %s: %s", path, db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL) != 0)
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

static uint64_t hist_sum(const nq_stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < NQ_FSYNC_BUCKETS; i++)
        n += s->wal_fsync_hist[i];
    return n;
}

static void test_engine_wal_stats(void **state)
{
    (void)state;
    nq_db *db = open_db("stats.db", NQ_SYNC_FULL);
    nq_stats a, b;
    exec_ok(db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    assert_int_equal(nq_get_stats(db, &a), 0);
    assert_true(a.wal_bytes_written > 0);
    assert_true(a.wal_fsyncs >= 1);
    assert_int_equal(hist_sum(&a), a.wal_fsyncs);
    for (int i = 0; i < 10; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'row %d')", i, i);
        exec_ok(db, sql);
    }
    assert_int_equal(nq_get_stats(db, &b), 0);
    /* ten autocommit statements on one thread: ten commits, ten group syncs, ten log fsyncs */
    assert_int_equal(b.commits - a.commits, 10);
    assert_int_equal(b.syncs - a.syncs, 10);
    assert_int_equal(b.wal_fsyncs - a.wal_fsyncs, 10);
    assert_int_equal(hist_sum(&b), b.wal_fsyncs);
    assert_true(b.wal_fsync_ns > a.wal_fsync_ns);
    /* every byte is a whole frame: header + page */
    assert_true(b.wal_frames > a.wal_frames);
    assert_int_equal(b.wal_bytes_written - a.wal_bytes_written,
                     (b.wal_frames - a.wal_frames) * (WAL_FRAME_HEADER + b.page_size));
    /* a checkpoint restarts the log: a new header, written and synced; the totals keep going */
    assert_int_equal(nq_checkpoint(db), 0);
    nq_stats c;
    assert_int_equal(nq_get_stats(db, &c), 0);
    assert_int_equal(c.checkpoints, b.checkpoints + 1);
    assert_int_equal(c.wal_frames, 0);
    assert_true(c.wal_bytes_written >= b.wal_bytes_written + WAL_HEADER_SIZE);
    assert_true(c.wal_fsyncs > b.wal_fsyncs);
    assert_int_equal(hist_sum(&c), c.wal_fsyncs);
    nq_close(db);

    /* without syncing nothing is fsynced, but bytes are still written */
    db = open_db("stats_nosync.db", NQ_SYNC_OFF);
    exec_ok(db, "CREATE TABLE t (id INT PRIMARY KEY)");
    exec_ok(db, "INSERT INTO t VALUES (1)");
    assert_int_equal(nq_get_stats(db, &a), 0);
    assert_int_equal(a.wal_fsyncs, 0);
    assert_int_equal(a.wal_fsync_ns, 0);
    assert_int_equal(hist_sum(&a), 0);
    assert_true(a.wal_bytes_written > 0);
    nq_close(db);
}

/* ---- a checker of the text format ----------------------------------------------------------- */

typedef struct fam {
    char name[128], type[16];
    int help, samples;
} fam;

typedef struct hist_state {
    char key[700]; /* family + labels without le */
    double last;
    int inf_seen;
    double inf;
} hist_state;

/* Copy s into d (cap bytes), truncating; no format-truncation games. */
static void cpy(char *d, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(d, s, n);
    d[n] = 0;
}

static int valid_name(const char *s, size_t n)
{
    if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return 0;
    return 1;
}

/* Parse `{a="x",b="y"}` at *p: labels without le into key, le (if any) into le. Returns 0 on a
 * syntax error. Unescapes values. */
static int parse_labels(const char **pp, char *key, size_t keycap, char *le, size_t lecap)
{
    const char *p = *pp;
    key[0] = 0;
    le[0] = 0;
    if (*p != '{')
        return 1;
    p++;
    while (*p != '}') {
        const char *n = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (p == n || *p != '=' || p[1] != '"')
            return 0;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(p - n), n);
        p += 2;
        char val[512];
        size_t k = 0;
        while (*p != '"') {
            if (!*p || *p == '\n')
                return 0;
            char c = *p++;
            if (c == '\\') {
                if (*p == 'n')
                    c = '\n';
                else if (*p == '\\' || *p == '"')
                    c = *p;
                else
                    return 0;
                p++;
            }
            if (k + 1 < sizeof val)
                val[k++] = c;
        }
        val[k] = 0;
        p++;
        if (strcmp(name, "le") == 0)
            cpy(le, lecap, val);
        else {
            size_t l = strlen(key);
            cpy(key + l, keycap - l, name);
            l = strlen(key);
            cpy(key + l, keycap - l, "=");
            l = strlen(key);
            cpy(key + l, keycap - l, val);
            l = strlen(key);
            cpy(key + l, keycap - l, ";");
        }
        if (*p == ',')
            p++;
        else if (*p != '}')
            return 0;
    }
    *pp = p + 1;
    return 1;
}

/* Check the whole text; fail_msg on the first problem. Returns the number of samples. */
static int check_format(const char *text)
{
    fam fams[256];
    int nf = 0, nsamples = 0;
    hist_state hs = {{0}, 0, 0, 0};
    const char *line = text;
    int lineno = 0;
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    while (*line) {
        lineno++;
        const char *eol = strchr(line, '\n');
        assert_non_null(eol);
        char l[2048];
        assert_true((size_t)(eol - line) < sizeof l);
        snprintf(l, sizeof l, "%.*s", (int)(eol - line), line);
        line = eol + 1;
        if (strncmp(l, "# HELP ", 7) == 0 || strncmp(l, "# TYPE ", 7) == 0) {
            char name[128], rest[1024] = "";
            if (sscanf(l + 7, "%127s %1023[^\n]", name, rest) < 1 || !valid_name(name, strlen(name)))
                fail_msg("line %d: bad comment: %s", lineno, l);
            fam *f = NULL;
            for (int i = 0; i < nf; i++)
                if (strcmp(fams[i].name, name) == 0)
                    f = &fams[i];
            if (l[2] == 'H') {
                if (f)
                    fail_msg("line %d: family %s declared twice", lineno, name);
                assert_true(nf < 256);
                f = &fams[nf++];
                memset(f, 0, sizeof *f);
                snprintf(f->name, sizeof f->name, "%s", name);
                f->help = 1;
                assert_true(strlen(rest) > 0);
            } else {
                if (!f || f->type[0] || f->samples)
                    fail_msg("line %d: TYPE without HELP or twice: %s", lineno, l);
                if (strcmp(rest, "counter") && strcmp(rest, "gauge") && strcmp(rest, "histogram"))
                    fail_msg("line %d: bad type %s", lineno, rest);
                snprintf(f->type, sizeof f->type, "%s", rest);
            }
            continue;
        }
        if (l[0] == '#' || l[0] == 0)
            fail_msg("line %d: unexpected line: %s", lineno, l);
        /* a sample: name{labels} value */
        const char *p = l;
        while (*p && *p != '{' && *p != ' ')
            p++;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(p - l), l);
        if (!valid_name(name, strlen(name)))
            fail_msg("line %d: bad metric name: %s", lineno, l);
        char key[512], le[64];
        if (!parse_labels(&p, key, sizeof key, le, sizeof le) || *p != ' ')
            fail_msg("line %d: bad labels: %s", lineno, l);
        char *end;
        double v = strtod(p + 1, &end);
        if (end == p + 1 || *end)
            fail_msg("line %d: bad value: %s", lineno, l);
        /* which family: the last declared one (samples follow their family) */
        assert_true(nf > 0);
        fam *f = &fams[nf - 1];
        if (!f->type[0])
            fail_msg("line %d: sample before TYPE", lineno);
        size_t fl = strlen(f->name);
        const char *suffix = strncmp(name, f->name, fl) == 0 ? name + fl : NULL;
        if (!suffix)
            fail_msg("line %d: %s outside its family %s", lineno, name, f->name);
        if (strcmp(f->type, "histogram") == 0) {
            char hk[700];
            snprintf(hk, sizeof hk, "%s|%s", f->name, key);
            if (strcmp(suffix, "_bucket") == 0) {
                if (!le[0])
                    fail_msg("line %d: bucket without le", lineno);
                if (strcmp(hs.key, hk) != 0) {
                    cpy(hs.key, sizeof hs.key, hk);
                    hs.last = 0;
                    hs.inf_seen = 0;
                } else if (hs.inf_seen) {
                    fail_msg("line %d: bucket after +Inf", lineno);
                }
                if (v < hs.last)
                    fail_msg("line %d: buckets not cumulative", lineno);
                hs.last = v;
                if (strcmp(le, "+Inf") == 0) {
                    hs.inf_seen = 1;
                    hs.inf = v;
                }
            } else if (strcmp(suffix, "_sum") == 0) {
                if (strcmp(hs.key, hk) != 0 || !hs.inf_seen)
                    fail_msg("line %d: _sum without buckets up to +Inf", lineno);
            } else if (strcmp(suffix, "_count") == 0) {
                if (strcmp(hs.key, hk) != 0 || !hs.inf_seen || v != hs.inf)
                    fail_msg("line %d: _count %g differs from +Inf %g", lineno, v, hs.inf);
                hs.key[0] = 0;
            } else {
                fail_msg("line %d: %s in histogram %s", lineno, name, f->name);
            }
        } else {
            if (*suffix || le[0])
                fail_msg("line %d: %s in %s %s", lineno, name, f->type, f->name);
            if (strcmp(f->type, "counter") == 0 && v < 0)
                fail_msg("line %d: negative counter", lineno);
        }
        f->samples++;
        nsamples++;
    }
    for (int i = 0; i < nf; i++)
        if (!fams[i].type[0])
            fail_msg("family %s without TYPE", fams[i].name);
    return nsamples;
}

/* The value of the sample line that starts with `prefix` followed by a space; fails if absent. */
static double value_of(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    fail_msg("no sample %s", prefix);
    return 0;
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, line, n) == 0 && p[n] == '\n')
            return 1;
    return 0;
}

#define LINE(text, l)                                                                          \
    do {                                                                                       \
        if (!has_line(text, l))                                                                \
            fail_msg("missing line: %s", l);                                                   \
    } while (0)

static void test_render_known_events(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    assert_non_null(m);
    metrics_http(m, "/api/v1/query", "POST", 200, 0.003);
    metrics_http(m, "/api/v1/query", "POST", 200, 0.005);
    metrics_http(m, "/api/v1/query", "POST", 400, 0.02);
    metrics_http(m, "/api/v1/tables/{table_name}/data", "GET", 200, 0.7);
    metrics_http(m, "/x\"y\\z\nw", "GET", 503, 20.0);
    metrics_query(m, "select", 1, 0.0002);
    metrics_query(m, "select", 1, 0.002);
    metrics_query(m, "insert", 0, 0.5);
    metrics_query(m, "weird", 1, 2.0); /* counts as other, and slow */
    metrics_auth(m, 1);
    metrics_auth(m, 1);
    metrics_auth(m, 0);
    metrics_ratelimited(m, "ip");
    metrics_ratelimited(m, "keygen");
    metrics_ratelimited(m, "keygen");
    metrics_ratelimited(m, "login");
    metrics_ratelimited(m, "nonsense");
    metrics_connections(m, 1);
    metrics_connections(m, 1);
    metrics_connections(m, 1);
    metrics_connections(m, -1);
    metrics_set_max_connections(m, 25000);
    metrics_ws_connection(m, "connected", 1);
    metrics_ws_connection(m, "connected", 1);
    metrics_ws_connection(m, "disconnected", -1);
    metrics_ws_connection(m, "error", 0);
    metrics_ws_message(m, "sent", "query_result");
    metrics_ws_message(m, "sent", "query_result");
    metrics_ws_message(m, "received", "subscribe");
    metrics_ws_message(m, "dropped", "query_result");
    metrics_stream(m, 1);
    metrics_stream(m, 1);
    metrics_stream(m, -1);

    char *text;
    size_t len;
    assert_int_equal(metrics_render(m, NULL, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    check_format(text);

    LINE(text, "# TYPE neuroquantum_api_requests_total counter");
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/api/v1/query\",method=\"POST\",status=\"200\"} 2");
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/api/v1/query\",method=\"POST\",status=\"400\"} 1");
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/api/v1/tables/{table_name}/data\",method=\"GET\",status=\"200\"} 1");
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/x\\\"y\\\\z\\nw\",method=\"GET\",status=\"503\"} 1");
    LINE(text, "# TYPE neuroquantum_api_request_duration_seconds histogram");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/api/v1/query\",method=\"POST\",le=\"0.001\"} 0");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/api/v1/query\",method=\"POST\",le=\"0.005\"} 2");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/api/v1/query\",method=\"POST\",le=\"0.01\"} 2");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/api/v1/query\",method=\"POST\",le=\"0.025\"} 3");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/api/v1/query\",method=\"POST\",le=\"10\"} 3");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/api/v1/query\",method=\"POST\",le=\"+Inf\"} 3");
    LINE(text, "neuroquantum_api_request_duration_seconds_sum{endpoint=\"/api/v1/query\",method=\"POST\"} 0.028000000");
    LINE(text, "neuroquantum_api_request_duration_seconds_count{endpoint=\"/api/v1/query\",method=\"POST\"} 3");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/x\\\"y\\\\z\\nw\",method=\"GET\",le=\"10\"} 0");
    LINE(text, "neuroquantum_api_request_duration_seconds_bucket{endpoint=\"/x\\\"y\\\\z\\nw\",method=\"GET\",le=\"+Inf\"} 1");

    LINE(text, "neuroquantum_queries_total{query_type=\"select\",status=\"success\"} 2");
    LINE(text, "neuroquantum_queries_total{query_type=\"select\",status=\"error\"} 0");
    LINE(text, "neuroquantum_queries_total{query_type=\"insert\",status=\"error\"} 1");
    LINE(text, "neuroquantum_queries_total{query_type=\"other\",status=\"success\"} 1");
    LINE(text, "neuroquantum_queries_total{query_type=\"ddl\",status=\"success\"} 0");
    LINE(text, "neuroquantum_query_duration_seconds_bucket{query_type=\"select\",le=\"0.0001\"} 0");
    LINE(text, "neuroquantum_query_duration_seconds_bucket{query_type=\"select\",le=\"0.0005\"} 1");
    LINE(text, "neuroquantum_query_duration_seconds_bucket{query_type=\"select\",le=\"0.005\"} 2");
    LINE(text, "neuroquantum_query_duration_seconds_sum{query_type=\"select\"} 0.002200000");
    LINE(text, "neuroquantum_query_duration_seconds_count{query_type=\"select\"} 2");
    LINE(text, "neuroquantum_query_duration_seconds_bucket{query_type=\"other\",le=\"1\"} 0");
    LINE(text, "neuroquantum_query_duration_seconds_bucket{query_type=\"other\",le=\"5\"} 1");
    LINE(text, "neuroquantum_query_errors_total 1");
    LINE(text, "neuroquantum_slow_queries_total 1");
    LINE(text, "neuroquantum_errors_total{error_type=\"query\"} 1");
    LINE(text, "neuroquantum_errors_total{error_type=\"internal\"} 1");
    LINE(text, "neuroquantum_auth_requests_total{status=\"success\"} 2");
    LINE(text, "neuroquantum_auth_requests_total{status=\"failed\"} 1");
    LINE(text, "neuroquantum_rate_limit_rejections_total{scope=\"ip\"} 1");
    LINE(text, "neuroquantum_rate_limit_rejections_total{scope=\"keygen\"} 2");
    LINE(text, "neuroquantum_rate_limit_rejections_total{scope=\"key\"} 0");
    LINE(text, "neuroquantum_rate_limit_rejections_total{scope=\"login\"} 1");
    LINE(text, "neuroquantum_rate_limit_rejections_total{scope=\"other\"} 1");
    LINE(text, "neuroquantum_active_connections 2");
    LINE(text, "neuroquantum_connections_total 3");
    LINE(text, "neuroquantum_max_connections 25000");
    LINE(text, "neuroquantum_websocket_connections_active 1");
    LINE(text, "neuroquantum_websocket_connections_total 2");
    LINE(text, "neuroquantum_websocket_disconnections_total{status=\"disconnected\"} 1");
    LINE(text, "neuroquantum_websocket_disconnections_total{status=\"error\"} 1");
    LINE(text, "neuroquantum_websocket_messages_sent_total{type=\"query_result\"} 2");
    LINE(text, "neuroquantum_websocket_messages_received_total{type=\"subscribe\"} 1");
    LINE(text, "neuroquantum_websocket_messages_dropped_total{type=\"query_result\"} 1");
    LINE(text, "neuroquantum_websocket_active_streams 1");
    /* no engine: no engine families */
    assert_null(strstr(text, "neuroquantum_buffer_pool"));
    assert_null(strstr(text, "neuroquantum_wal_"));
    free(text);

    /* slow threshold */
    metrics_set_slow_query(m, 0.1);
    metrics_query(m, "select", 1, 0.1);
    metrics_query(m, "select", 1, 0.09);
    assert_int_equal(metrics_render(m, NULL, &text, &len), 0);
    LINE(text, "neuroquantum_slow_queries_total 2");
    free(text);
    metrics_free(m);
}

static void test_render_engine_and_process(void **state)
{
    (void)state;
    nq_db *db = open_db("render.db", NQ_SYNC_FULL);
    exec_ok(db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    exec_ok(db, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    exec_ok(db, "SELECT * FROM t");
    metrics *m = metrics_new();
    char *text;
    size_t len;
    nq_stats s;
    assert_int_equal(nq_get_stats(db, &s), 0);
    time_t now = time(NULL);
    assert_int_equal(metrics_render(m, db, &text, &len), 0);
    check_format(text);
    /* nothing ran in between: the figures are the engine's own */
    assert_true(value_of(text, "neuroquantum_buffer_pool_hits_total") == (double)s.cache_hits);
    assert_true(value_of(text, "neuroquantum_buffer_pool_misses_total") == (double)s.cache_misses);
    assert_true(value_of(text, "neuroquantum_buffer_pool_evictions_total") == (double)s.cache_evictions);
    assert_true(fabs(value_of(text, "neuroquantum_buffer_pool_hit_ratio") - s.cache_hit_rate) < 1e-8);
    assert_true(value_of(text, "neuroquantum_buffer_pool_pages{state=\"used\"}") == (double)s.cache_pages);
    assert_true(value_of(text, "neuroquantum_wal_bytes_written") == (double)s.wal_bytes_written);
    assert_true(value_of(text, "neuroquantum_wal_fsync_duration_seconds_count") == (double)s.wal_fsyncs);
    assert_true(value_of(text, "neuroquantum_wal_fsync_duration_seconds_bucket{le=\"+Inf\"}") == (double)s.wal_fsyncs);
    assert_true(value_of(text, "neuroquantum_transactions_committed_total") == (double)s.commits);
    assert_true(value_of(text, "neuroquantum_database_size_bytes") == (double)(s.page_count * s.page_size));
    assert_true(s.wal_fsyncs >= 2 && s.commits >= 2);
    LINE(text, "# TYPE neuroquantum_wal_fsync_duration_seconds histogram");
    LINE(text, "# TYPE neuroquantum_wal_bytes_written counter");
    /* the process */
    assert_true(value_of(text, "process_resident_memory_bytes") > 1e5);
    assert_true(value_of(text, "process_virtual_memory_bytes") >= value_of(text, "process_resident_memory_bytes"));
    assert_true(value_of(text, "neuroquantum_memory_usage_bytes") > 1e5);
    assert_true(value_of(text, "neuroquantum_memory_limit_bytes") > 1e6);
    assert_true(value_of(text, "process_open_fds") >= 3);
    assert_true(value_of(text, "process_max_fds") >= value_of(text, "process_open_fds"));
    assert_true(value_of(text, "process_threads") >= 1);
    assert_true(value_of(text, "process_cpu_seconds_total") >= 0);
    double st = value_of(text, "process_start_time_seconds");
    assert_true(st > (double)now - 3600 && st <= (double)now + 1);
    assert_true(value_of(text, "neuroquantum_disk_write_bytes_total") >= 0);
    free(text);

    metrics_proc p;
    metrics_proc_read(&p);
    assert_true(p.threads >= 1 && p.resident_bytes > 0 && p.open_fds >= 3);
    metrics_free(m);
    nq_close(db);
}

typedef struct worker {
    metrics *m;
    int id;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char route[64];
    for (int i = 0; i < 20000; i++) {
        metrics_http(w->m, "/api/v1/query", "POST", 200 + (i % 3), 0.001);
        snprintf(route, sizeof route, "/r/%d", i % 50);
        metrics_http(w->m, route, "GET", 200, 0.2);
        metrics_query(w->m, "select", i % 2, 0.001);
        metrics_ws_message(w->m, "sent", i % 2 ? "a" : "b");
        metrics_connections(w->m, 1);
        metrics_connections(w->m, -1);
    }
    return NULL;
}

static void test_threads_exact(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){m, i};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    char *text;
    size_t len;
    assert_int_equal(metrics_render(m, NULL, &text, &len), 0);
    check_format(text);
    /* 4 x 20000 per route, statuses 200/201/202 in thirds (20000 = 6667 + 6667 + 6666) */
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/api/v1/query\",method=\"POST\",status=\"200\"} 26668");
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/api/v1/query\",method=\"POST\",status=\"202\"} 26664");
    LINE(text, "neuroquantum_api_request_duration_seconds_count{endpoint=\"/api/v1/query\",method=\"POST\"} 80000");
    LINE(text, "neuroquantum_api_request_duration_seconds_sum{endpoint=\"/api/v1/query\",method=\"POST\"} 80.000000000");
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/r/7\",method=\"GET\",status=\"200\"} 1600");
    LINE(text, "neuroquantum_queries_total{query_type=\"select\",status=\"success\"} 40000");
    LINE(text, "neuroquantum_queries_total{query_type=\"select\",status=\"error\"} 40000");
    LINE(text, "neuroquantum_websocket_messages_sent_total{type=\"a\"} 40000");
    LINE(text, "neuroquantum_active_connections 0");
    LINE(text, "neuroquantum_connections_total 80000");
    free(text);
    metrics_free(m);
}

/* Unbounded label values fold into "other" past METRICS_MAX_SERIES; nothing is lost. */
static void test_series_cap(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    char route[64];
    int n = METRICS_MAX_SERIES + 500;
    for (int s = 0; s < 40; s++) /* more statuses than a series has slots */
        metrics_http(m, "/api/v1/query", "POST", 200 + s, 0.001);
    for (int i = 0; i < n; i++) {
        snprintf(route, sizeof route, "/raw/path/%d", i);
        metrics_http(m, route, "GET", 404, 0.001);
    }
    char *text;
    size_t len;
    assert_int_equal(metrics_render(m, NULL, &text, &len), 0);
    check_format(text);
    int series = 0;
    double total = 0;
    const char *pfx = "neuroquantum_api_requests_total{endpoint=\"/raw/path/";
    for (const char *p = text; (p = strstr(p, pfx)); p++) {
        series++;
        total += strtod(strchr(p, '}') + 2, NULL);
    }
    double other = value_of(text, "neuroquantum_api_requests_total{endpoint=\"other\",method=\"other\",status=\"404\"}");
    assert_true(series <= METRICS_MAX_SERIES);
    assert_true(series >= METRICS_MAX_SERIES - 1);
    assert_true(total + other == n);
    LINE(text, "neuroquantum_api_requests_total{endpoint=\"/api/v1/query\",method=\"POST\",status=\"other\"} 24");
    free(text);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_wal_stats),
        cmocka_unit_test(test_render_known_events),
        cmocka_unit_test(test_render_engine_and_process),
        cmocka_unit_test(test_threads_exact),
        cmocka_unit_test(test_series_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
