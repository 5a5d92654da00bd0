/*
 * h_status.c — what the server says about itself: /health, /metrics,
 * /api/v1/stats/performance, /api-docs/openapi.json, and the 501 answers of the subsystem
 * routes that are not built yet.
 *
 * Every figure is measured: uptime from the monotonic clock, memory and CPU from the same
 * process reading /metrics uses (metrics_proc_read), disk from the database and log file
 * sizes, the buffer-pool hit ratio and page counts from the engine (nq_get_stats), query rate and latency from the server's own
 * counters, temperature from /sys/class/thermal when the machine has a sensor. What the
 * machine cannot measure (power draw, network bytes of other processes) is null, never a
 * made-up number, and so are the subsystem figures until those subsystems exist.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

extern const unsigned char openapi_json[];
extern const size_t openapi_json_len;

static double uptime_s(const nq_server *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - s->started_mono.tv_sec) +
           (double)(now.tv_nsec - s->started_mono.tv_nsec) / 1e9;
}

/* Resident memory in MiB from the same reading /metrics uses (metrics_proc.c); -1 unknown. */
static double rss_mb(const metrics_proc *p)
{
    return p->resident_bytes >= 0 ? (double)p->resident_bytes / (1024.0 * 1024.0) : -1;
}

static json_t *temperature(void)
{
    FILE *f = fopen("/sys/class/thermal/thermal_zone0/temp", "r");
    long milli;
    if (!f)
        return json_null();
    int n = fscanf(f, "%ld", &milli);
    fclose(f);
    return n == 1 ? json_real((double)milli / 1000.0) : json_null();
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static uint64_t db_bytes(const nq_server *s)
{
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", s->db_path);
    return file_size(s->db_path) + file_size(wal);
}

int h_health(req *r)
{
    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    nq_stats st;
    int db_ok = nq_get_stats(db, &st) == NQ_OK;
    dbpool_release(&s->pool, db);
    int redis_ok = !s->cfg.redis.configured || rl_backend(s->rl) == RL_REDIS;
    char rls[300];
    rl_status(s->rl, rls, sizeof rls);

    json_t *d = json_object();
    json_object_set_new(d, "status", json_string(db_ok && redis_ok ? "healthy" : "degraded"));
    json_object_set_new(d, "version", json_string(NQ_VERSION_STRING));
    json_object_set_new(d, "uptime_seconds", json_integer((json_int_t)uptime_s(s)));
    json_t *dbj = json_object();
    json_object_set_new(dbj, "status", json_string(db_ok ? "ok" : "unavailable"));
    json_object_set_new(dbj, "size_bytes", json_integer((json_int_t)db_bytes(s)));
    json_object_set_new(d, "database", dbj);
    json_t *rj = json_object();
    json_object_set_new(rj, "configured", json_boolean(s->cfg.redis.configured));
    json_object_set_new(rj, "status", json_string(!s->cfg.redis.configured ? "not configured"
                                                  : redis_ok ? "ok"
                                                             : "unavailable"));
    json_object_set_new(rj, "rate_limit_backend", json_string(rls));
    json_object_set_new(d, "redis", rj);
    json_t *f = json_object();
    json_object_set_new(f, "dna_compression", json_true()); /* POST /api/v1/dna/compress (h_dna.c) */
    json_object_set_new(f, "neuromorphic_processing", json_false());
    json_object_set_new(f, "quantum_search", json_true()); /* POST /api/v1/quantum/search */
    json_object_set_new(f, "real_time_updates", json_boolean(s->cfg.monitoring.websocket_enabled));
    json_object_set_new(d, "features", f);
    json_t *sec = json_object();
    json_object_set_new(sec, "authentication_enabled", json_true());
    json_object_set_new(sec, "jwt_enabled", json_true());
    json_object_set_new(sec, "quantum_security", json_false());
    json_object_set_new(sec, "rate_limiting_enabled", json_boolean(s->cfg.rate_limit.enabled));
    json_object_set_new(sec, "tls", json_boolean(s->cfg.server.tls.cert_file != NULL));
    json_object_set_new(d, "security", sec);
    json_t *sm = json_object();
    metrics_proc pr;
    metrics_proc_read(&pr);
    double mb = rss_mb(&pr);
    json_object_set_new(sm, "memory_usage_mb", mb >= 0 ? json_real(mb) : json_null());
    json_object_set_new(sm, "power_consumption_w", json_null());
    json_object_set_new(sm, "temperature_c", temperature());
    json_object_set_new(d, "system_metrics", sm);
    return req_ok(r, 200, d, "Health check completed");
}

int h_perf(req *r)
{
    nq_server *s = r->srv;
    nq_db *db = dbpool_acquire(&s->pool);
    nq_stats st;
    int ok = nq_get_stats(db, &st) == NQ_OK;
    int64_t tables = 0;
    nq_stmt *q = NULL;
    if (nq_prepare(db, "SHOW TABLES", (size_t)-1, &q, NULL) == NQ_OK) {
        while (nq_step(q) == NQ_ROW)
            tables++;
        nq_finalize(q);
    }
    dbpool_release(&s->pool, db);

    double up = uptime_s(s);
    metrics_proc pr;
    metrics_proc_read(&pr);
    double cpu = pr.cpu_seconds > 0 ? pr.cpu_seconds : 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t nq = atomic_load(&s->n_queries), qns = atomic_load(&s->query_ns);
    const union MHD_DaemonInfo *di =
        s->mhd ? MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;

    json_t *sm = json_object();
    double mb = rss_mb(&pr);
    json_object_set_new(sm, "memory_usage_mb", mb >= 0 ? json_real(mb) : json_null());
    json_object_set_new(sm, "cpu_usage_percent",
                        json_real(up > 0 ? 100.0 * cpu / up / (double)(ncpu > 0 ? ncpu : 1) : 0));
    json_object_set_new(sm, "disk_usage_mb", json_real((double)db_bytes(s) / (1024.0 * 1024.0)));
    json_object_set_new(sm, "network_io_mb", json_null());
    json_object_set_new(sm, "power_consumption_watts", json_null());
    json_object_set_new(sm, "temperature_celsius", temperature());
    json_t *dm = json_object();
    json_object_set_new(dm, "active_connections",
                        json_integer(di ? (json_int_t)di->num_connections : 0));
    json_object_set_new(dm, "active_requests", json_integer((json_int_t)atomic_load(&s->n_active)));
    json_object_set_new(dm, "total_requests", json_integer((json_int_t)atomic_load(&s->n_requests)));
    json_object_set_new(dm, "total_queries", json_integer((json_int_t)nq));
    json_object_set_new(dm, "queries_per_second", json_real(up > 0 ? (double)nq / up : 0));
    json_object_set_new(dm, "average_query_time_ms",
                        nq ? json_real((double)qns / (double)nq / 1e6) : json_null());
    json_object_set_new(dm, "cache_hit_ratio", ok ? json_real(st.cache_hit_rate) : json_null());
    json_object_set_new(dm, "cache_pages", ok ? json_integer((json_int_t)st.cache_pages) : json_null());
    json_object_set_new(dm, "total_tables", json_integer(tables));
    json_object_set_new(dm, "total_records", json_null());
    json_object_set_new(dm, "database_size_bytes", json_integer((json_int_t)db_bytes(s)));
    json_object_set_new(dm, "commits", ok ? json_integer((json_int_t)st.commits) : json_null());
    json_t *d = json_object();
    json_object_set_new(d, "system_metrics", sm);
    json_object_set_new(d, "database_metrics", dm);
    json_object_set_new(d, "neural_metrics", json_null());
    json_object_set_new(d, "quantum_metrics", json_null());
    json_object_set_new(d, "uptime_seconds", json_real(up));
    return req_ok(r, 200, d, "Performance statistics collected");
}

int h_metrics(req *r)
{
    nq_server *s = r->srv;
    if (!s->cfg.monitoring.metrics_enabled)
        return req_fail(r, AE_NOT_FOUND, "metrics are disabled (monitoring.metrics_enabled)", NULL);
    nq_db *db = dbpool_acquire(&s->pool);
    char *out = NULL;
    size_t len = 0;
    int rc = metrics_render(s->metrics, db, &out, &len);
    dbpool_release(&s->pool, db);
    if (rc != 0 || !out) {
        free(out);
        return req_fail(r, AE_INTERNAL, "Failed to collect metrics", NULL);
    }
    r->raw = out;
    r->raw_len = len;
    r->raw_type = "text/plain; version=0.0.4; charset=utf-8";
    r->status = 200;
    return 200;
}

int h_openapi(req *r)
{
    r->raw = malloc(openapi_json_len);
    if (!r->raw)
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    memcpy(r->raw, openapi_json, openapi_json_len);
    r->raw_len = openapi_json_len;
    r->raw_type = "application/json";
    r->status = 200;
    return 200;
}

int h_not_implemented(req *r)
{
    static const struct {
        const char *prefix, *what;
    } subsystems[] = {
        {"/api/v1/neural", "neural network training (the neuromorphic subsystem)"},
        {"/api/v1/quantum", "quantum search (the quantum-inspired subsystem)"},
        {"/api/v1/dna", "DNA compression (the DNA storage codec)"},
        {"/api/v1/biometric", "EEG biometric authentication"},
        {"/api/v1/advisor", "the index advisor (the neuromorphic subsystem)"},
    };
    const char *what = "this endpoint";
    for (size_t i = 0; i < sizeof subsystems / sizeof subsystems[0]; i++)
        if (strncmp(r->path, subsystems[i].prefix, strlen(subsystems[i].prefix)) == 0)
            what = subsystems[i].what;
    return req_failf(r, AE_NOT_IMPLEMENTED, "%s %s: not supported yet — %s is not built", r->method,
                     r->path, what);
}
