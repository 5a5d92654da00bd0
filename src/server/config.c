/*
 * config.c — loading the server configuration (config.h): defaults, TOML file, environment,
 * validation, dump.
 *
 * One table, `keys` below, describes every configuration key: its dotted name, its type, where
 * it lives in server_config (offsetof), its range, its default written as text, and the
 * upstream short environment name if it has one. Defaults are applied by feeding the default
 * text through the same conversion as environment values, so a default can never be a value
 * that the environment could not set. The TOML tree is walked against the same table: a key
 * that is not in it, under a table that is not a known section, is an error with its line.
 *
 * Per key, server_config.origin records where the value came from (default, a file line, an
 * environment variable), so that errors found later by cfg_validate can still point at the
 * line or variable that set the value, and cfg_dump can show it.
 */
#include "config.h"

#include "cidr.h"
#include "nqdb.h"

#include "toml.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

enum { K_STR, K_OPTSTR, K_UINT, K_SIZE, K_BOOL, K_LIST, K_DOUBLE };
#define F_LOWER 1u /* stored in lower case (logging.level, logging.format) */

typedef struct keydef {
    const char *name;
    unsigned char kind, flags;
    size_t off;
    unsigned long long min, max;
    const char *def;       /* default as text (NULL: K_OPTSTR unset) */
    const char *short_env; /* upstream short environment name, or NULL */
} keydef;

#define OFF(m) offsetof(server_config, m)
#define U_MAX 4294967295ull
#define GIB 1073741824ull

static const keydef keys[] = {
    {"server.host", K_STR, 0, OFF(server.host), 0, 0, "127.0.0.1", "NEUROQUANTUM_HOST"},
    {"server.port", K_UINT, 0, OFF(server.port), 1, 65535, "8080", "NEUROQUANTUM_PORT"},
    {"server.workers", K_UINT, 0, OFF(server.workers), 0, 1024, "0", NULL},
    {"server.max_connections", K_UINT, 0, OFF(server.max_connections), 1, 1000000, "25000", NULL},
    {"server.keep_alive", K_UINT, 0, OFF(server.keep_alive), 0, 86400, "75", NULL},
    {"server.client_timeout", K_UINT, 0, OFF(server.client_timeout), 1, 3600000, "5000", NULL},
    {"server.client_shutdown", K_UINT, 0, OFF(server.client_shutdown), 0, 3600000, "5000", NULL},
    {"server.tls.cert_file", K_OPTSTR, 0, OFF(server.tls.cert_file), 0, 0, NULL, NULL},
    {"server.tls.key_file", K_OPTSTR, 0, OFF(server.tls.key_file), 0, 0, NULL, NULL},
    {"server.tls.ca_file", K_OPTSTR, 0, OFF(server.tls.ca_file), 0, 0, NULL, NULL},
    {"database.data_path", K_STR, 0, OFF(database.data_path), 0, 0, "./neuroquantum_data", "NEUROQUANTUM_DATA_PATH"},
    {"database.max_connections", K_UINT, 0, OFF(database.max_connections), 1, 65535, "100", NULL},
    {"database.connection_timeout_seconds", K_UINT, 0, OFF(database.connection_timeout_seconds), 1, 86400, "30", NULL},
    {"database.key_file", K_OPTSTR, 0, OFF(database.key_file), 0, 0, NULL, NULL},
    {"database.passphrase_env", K_OPTSTR, 0, OFF(database.passphrase_env), 0, 0, NULL, NULL},
    {"database.default_isolation", K_STR, F_LOWER, OFF(database.default_isolation), 0, 0, "read committed", NULL},
    {"jwt.secret", K_STR, 0, OFF(jwt.secret), 0, 0, "", NULL},
    {"jwt.expiration_hours", K_UINT, 0, OFF(jwt.expiration_hours), 1, 8760, "24", NULL},
    {"jwt.refresh_threshold_minutes", K_UINT, 0, OFF(jwt.refresh_threshold_minutes), 0, 525600, "60", NULL},
    {"jwt.refresh_expiration_hours", K_UINT, 0, OFF(jwt.refresh_expiration_hours), 1, 87600, "720", NULL},
    {"jwt.quantum_enabled", K_BOOL, 0, OFF(jwt.quantum_enabled), 0, 0, "false", NULL},
    {"jwt.algorithm", K_STR, 0, OFF(jwt.algorithm), 0, 0, "HS256", NULL},
    {"jwt.issuer", K_STR, 0, OFF(jwt.issuer), 0, 0, "neuroquantum-db", NULL},
    {"jwt.audience", K_STR, 0, OFF(jwt.audience), 0, 0, "neuroquantum-api", NULL},
    {"rate_limit.requests_per_hour", K_UINT, 0, OFF(rate_limit.requests_per_hour), 0, U_MAX, "1000", "NEUROQUANTUM_RATE_LIMIT"},
    {"rate_limit.burst_allowance", K_UINT, 0, OFF(rate_limit.burst_allowance), 0, U_MAX, "50", NULL},
    {"rate_limit.enabled", K_BOOL, 0, OFF(rate_limit.enabled), 0, 0, "true", NULL},
    {"rate_limit.strategy", K_STR, 0, OFF(rate_limit.strategy), 0, 0, "TokenBucket", NULL},
    {"rate_limit.key_generation_per_hour", K_UINT, 0, OFF(rate_limit.key_generation_per_hour), 1, U_MAX, "5", NULL},
    {"cors.allowed_origins", K_LIST, 0, OFF(cors.allowed_origins), 0, 0, "http://localhost:3000,http://localhost:8080", NULL},
    {"cors.allowed_methods", K_LIST, 0, OFF(cors.allowed_methods), 0, 0, "GET,POST,PUT,DELETE,PATCH,OPTIONS", NULL},
    {"cors.allowed_headers", K_LIST, 0, OFF(cors.allowed_headers), 0, 0,
     "Authorization,Content-Type,X-API-Key,X-Request-ID,X-Quantum-Level", NULL},
    {"cors.expose_headers", K_LIST, 0, OFF(cors.expose_headers), 0, 0,
     "X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset,X-Request-ID", NULL},
    {"cors.max_age", K_UINT, 0, OFF(cors.max_age), 0, 31536000, "3600", NULL},
    {"cors.allow_credentials", K_BOOL, 0, OFF(cors.allow_credentials), 0, 0, "true", NULL},
    {"security.max_payload_size", K_SIZE, 0, OFF(security.max_payload_size), 1, GIB, "16777216", "NEUROQUANTUM_MAX_PAYLOAD_SIZE"},
    {"security.request_timeout_seconds", K_UINT, 0, OFF(security.request_timeout_seconds), 1, 86400, "30", NULL},
    {"security.security_headers", K_BOOL, 0, OFF(security.security_headers), 0, 0, "true", NULL},
    {"security.csrf_protection", K_BOOL, 0, OFF(security.csrf_protection), 0, 0, "false", NULL},
    {"security.quantum_encryption", K_BOOL, 0, OFF(security.quantum_encryption), 0, 0, "false", NULL},
    {"security.admin_ip_whitelist", K_LIST, 0, OFF(security.admin_ip_whitelist), 0, 0, "127.0.0.1,::1", NULL},
    {"security.trusted_proxies", K_LIST, 0, OFF(security.trusted_proxies), 0, 0, "", NULL},
    {"security.circuit_breaker.failure_threshold", K_UINT, 0, OFF(security.circuit_breaker.failure_threshold), 1, 1000000, "5", NULL},
    {"security.circuit_breaker.success_threshold", K_UINT, 0, OFF(security.circuit_breaker.success_threshold), 1, 1000000, "3", NULL},
    {"security.circuit_breaker.timeout_seconds", K_UINT, 0, OFF(security.circuit_breaker.timeout_seconds), 1, 86400, "60", NULL},
    {"security.circuit_breaker.enabled", K_BOOL, 0, OFF(security.circuit_breaker.enabled), 0, 0, "true", NULL},
    {"passwords.argon2_memory_kib", K_UINT, 0, OFF(passwords.argon2_memory_kib), 1024, 4194304, "19456", NULL},
    {"passwords.argon2_iterations", K_UINT, 0, OFF(passwords.argon2_iterations), 1, 64, "2", NULL},
    {"passwords.argon2_parallelism", K_UINT, 0, OFF(passwords.argon2_parallelism), 1, 16, "1", NULL},
    {"monitoring.metrics_enabled", K_BOOL, 0, OFF(monitoring.metrics_enabled), 0, 0, "true", NULL},
    {"monitoring.prometheus_endpoint", K_STR, 0, OFF(monitoring.prometheus_endpoint), 0, 0, "/metrics", NULL},
    {"monitoring.health_check_endpoint", K_STR, 0, OFF(monitoring.health_check_endpoint), 0, 0, "/health", NULL},
    {"monitoring.performance_stats", K_BOOL, 0, OFF(monitoring.performance_stats), 0, 0, "true", NULL},
    {"monitoring.detailed_logging", K_BOOL, 0, OFF(monitoring.detailed_logging), 0, 0, "true", NULL},
    {"monitoring.websocket_enabled", K_BOOL, 0, OFF(monitoring.websocket_enabled), 0, 0, "true", NULL},
    {"redis.url", K_STR, 0, OFF(redis.url), 0, 0, "redis://127.0.0.1:6379", NULL},
    {"redis.pool_size", K_UINT, 0, OFF(redis.pool_size), 1, 1024, "10", NULL},
    {"redis.connection_timeout_seconds", K_UINT, 0, OFF(redis.connection_timeout_seconds), 1, 3600, "5", NULL},
    {"redis.command_timeout_seconds", K_UINT, 0, OFF(redis.command_timeout_seconds), 1, 3600, "3", NULL},
    {"redis.retry_attempts", K_UINT, 0, OFF(redis.retry_attempts), 0, 100, "3", NULL},
    {"logging.level", K_STR, F_LOWER, OFF(logging.level), 0, 0, "info", "NEUROQUANTUM_LOG_LEVEL"},
    {"logging.format", K_STR, F_LOWER, OFF(logging.format), 0, 0, "json", "NEUROQUANTUM_LOG_FORMAT"},
    {"logging.file_path", K_OPTSTR, 0, OFF(logging.file_path), 0, 0, NULL, NULL},
    {"logging.max_file_size_mb", K_UINT, 0, OFF(logging.max_file_size_mb), 1, 1048576, "100", NULL},
    {"logging.max_files", K_UINT, 0, OFF(logging.max_files), 1, 10000, "10", NULL},
    {"logging.structured_logging", K_BOOL, 0, OFF(logging.structured_logging), 0, 0, "true", NULL},
    {"websocket.max_connections", K_UINT, 0, OFF(websocket.max_connections), 1, 1000000, "10000", NULL},
    {"websocket.heartbeat_interval_seconds", K_UINT, 0, OFF(websocket.heartbeat_interval_seconds), 1, 86400, "30", NULL},
    {"websocket.heartbeat_timeout_seconds", K_UINT, 0, OFF(websocket.heartbeat_timeout_seconds), 1, 86400, "90", NULL},
    {"websocket.max_buffered_messages", K_UINT, 0, OFF(websocket.max_buffered_messages), 1, 1000000, "1000", NULL},
    {"websocket.batch_size", K_UINT, 0, OFF(websocket.batch_size), 1, 10000, "100", NULL},
    {"websocket.max_message_bytes", K_SIZE, 0, OFF(websocket.max_message_bytes), 1, GIB, "1048576", NULL},
    {"backup.enabled", K_BOOL, 0, OFF(backup.enabled), 0, 0, "false", NULL},
    {"backup.directory", K_STR, 0, OFF(backup.directory), 0, 0, "", NULL},
    {"backup.interval_seconds", K_UINT, 0, OFF(backup.interval_seconds), 1, 31536000, "86400", NULL},
    {"backup.full_every", K_UINT, 0, OFF(backup.full_every), 1, 100000, "7", NULL},
    {"backup.keep_full", K_UINT, 0, OFF(backup.keep_full), 0, 100000, "4", NULL},
    {"backup.compress", K_BOOL, 0, OFF(backup.compress), 0, 0, "true", NULL},
    {"backup.archive", K_BOOL, 0, OFF(backup.archive), 0, 0, "false", NULL},
    {"backup.sign_key", K_OPTSTR, 0, OFF(backup.sign_key), 0, 0, NULL, NULL},
    {"backup.encrypt_key", K_OPTSTR, 0, OFF(backup.encrypt_key), 0, 0, NULL, NULL},
    {"tracing.enabled", K_BOOL, 0, OFF(tracing.enabled), 0, 0, "false", NULL},
    {"tracing.exporter", K_STR, 0, OFF(tracing.exporter), 0, 0, "console", NULL},
    {"tracing.endpoint", K_STR, 0, OFF(tracing.endpoint), 0, 0, "http://localhost:4317", NULL},
    {"tracing.sampling_rate", K_DOUBLE, 0, OFF(tracing.sampling_rate), 0, 1, "0.1", NULL},
    {"tracing.service_name", K_STR, 0, OFF(tracing.service_name), 0, 0, "neuroquantumdb", NULL},
    {"tracing.trace_level", K_STR, 0, OFF(tracing.trace_level), 0, 0, "detailed", NULL},
};
#define NKEYS (sizeof keys / sizeof keys[0])
_Static_assert(sizeof keys / sizeof keys[0] <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS");

static const char *const sections[] = {
    "server", "server.tls", "database", "jwt", "rate_limit", "cors", "security",
    "security.circuit_breaker", "passwords", "monitoring", "redis", "logging", "websocket", "backup",
    "tracing",
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

unsigned cfg_key_count(void) { return (unsigned)NKEYS; }
const char *cfg_key_name(unsigned k) { return k < NKEYS ? keys[k].name : NULL; }
const char *cfg_key_short_env(unsigned k) { return k < NKEYS ? keys[k].short_env : NULL; }

void cfg_key_env_name(unsigned k, char *buf, size_t cap)
{
    if (!cap)
        return;
    if (k >= NKEYS) {
        buf[0] = '\0';
        return;
    }
    size_t o = (size_t)snprintf(buf, cap, "NEUROQUANTUM_");
    for (const char *s = keys[k].name; *s && o + 1 < cap; s++)
        buf[o++] = *s == '.' ? '_' : (char)toupper((unsigned char)*s);
    buf[o < cap ? o : cap - 1] = '\0';
}

static int key_index(const char *name)
{
    for (unsigned k = 0; k < NKEYS; k++)
        if (strcmp(keys[k].name, name) == 0)
            return (int)k;
    return -1;
}

static int is_section(const char *name)
{
    for (unsigned k = 0; k < NSECTIONS; k++)
        if (strcmp(sections[k], name) == 0)
            return 1;
    return 0;
}

/* ---- messages ------------------------------------------------------------------------------ */

static int seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Levenshtein distance, capped (names are short). */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    unsigned row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* " (did you mean X?)" for the nearest key name, section name (want_table) or environment
 * variable name (env) within edit distance 2, else "". */
static void suggest(const char *name, int want_table, char *out, size_t cap, int env)
{
    unsigned best = 3;
    char hit[128] = "";
    char cand[96];
    unsigned n = want_table ? (unsigned)NSECTIONS : (unsigned)NKEYS;
    for (unsigned k = 0; k < n; k++) {
        const char *cmp = cand;
        if (want_table)
            cmp = sections[k];
        else if (env)
            cfg_key_env_name(k, cand, sizeof cand);
        else
            cmp = keys[k].name;
        unsigned d = edit_distance(name, cmp);
        if (d < best) {
            best = d;
            snprintf(hit, sizeof hit, want_table ? "[%s]" : "%s", cmp);
        }
    }
    for (unsigned k = 0; env && k < NKEYS; k++) {
        if (!keys[k].short_env)
            continue;
        unsigned d = edit_distance(name, keys[k].short_env);
        if (d < best) {
            best = d;
            snprintf(hit, sizeof hit, "%s", keys[k].short_env);
        }
    }
    if (hit[0])
        snprintf(out, cap, " (did you mean %s?)", hit);
    else if (cap)
        out[0] = '\0';
}

/* "where: key: " prefix from the origin of key k. */
static void origin_prefix(const server_config *c, unsigned k, char *out, size_t cap)
{
    int o = c->origin[k];
    if (o > 0)
        snprintf(out, cap, "%s:%d: %s: ", c->source ? c->source : "<string>", o, keys[k].name);
    else if (o == CFG_FROM_ENV) {
        char env[96];
        cfg_key_env_name(k, env, sizeof env);
        snprintf(out, cap, "%s: %s: ", env, keys[k].name);
    } else if (o == CFG_FROM_ENV_SHORT && keys[k].short_env)
        snprintf(out, cap, "%s: %s: ", keys[k].short_env, keys[k].name);
    else if (o == CFG_FROM_SET)
        snprintf(out, cap, "%s (command line): ", keys[k].name);
    else
        snprintf(out, cap, "%s: ", keys[k].name);
}

static int keyerr(const server_config *c, const char *name, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int keyerr(const server_config *c, const char *name, char *err, size_t errlen, const char *fmt, ...)
{
    char pre[300], msg[400];
    int k = key_index(name);
    if (k >= 0)
        origin_prefix(c, (unsigned)k, pre, sizeof pre);
    else
        snprintf(pre, sizeof pre, "%s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return seterr(err, errlen, "%s%s", pre, msg);
}

/* ---- storing values ------------------------------------------------------------------------ */

static void *field(server_config *c, unsigned k) { return (char *)c + keys[k].off; }
static const void *cfield(const server_config *c, unsigned k) { return (const char *)c + keys[k].off; }

static void strlist_free(cfg_strlist *l)
{
    for (unsigned j = 0; j < l->n; j++)
        free(l->v[j]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int strlist_push(cfg_strlist *l, const char *s, size_t n)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    l->v = nv;
    char *d = malloc(n + 1);
    if (!d)
        return -1;
    memcpy(d, s, n);
    d[n] = '\0';
    l->v[l->n++] = d;
    return 0;
}

static int store_string(server_config *c, unsigned k, const char *s)
{
    char **slot = field(c, k);
    char *d = NULL;
    if (!(keys[k].kind == K_OPTSTR && s[0] == '\0')) {
        d = strdup(s);
        if (!d)
            return -1;
        if (keys[k].flags & F_LOWER)
            for (char *q = d; *q; q++)
                *q = (char)tolower((unsigned char)*q);
    }
    free(*slot);
    *slot = d;
    return 0;
}

static void store_uint(server_config *c, unsigned k, unsigned long long v)
{
    if (keys[k].kind == K_SIZE)
        *(size_t *)field(c, k) = (size_t)v;
    else
        *(unsigned *)field(c, k) = (unsigned)v;
}

static void range_text(unsigned k, char *out, size_t cap)
{
    snprintf(out, cap, "%llu..%llu", keys[k].min, keys[k].max);
}

/* Text form (defaults and environment). reason gets the message without a prefix. */
static int set_from_text(server_config *c, unsigned k, const char *s, char *reason, size_t rcap)
{
    const keydef *d = &keys[k];
    switch (d->kind) {
    case K_STR:
    case K_OPTSTR:
        if (store_string(c, k, s) < 0)
            return seterr(reason, rcap, "out of memory");
        return 0;
    case K_UINT:
    case K_SIZE: {
        char rt[64];
        range_text(k, rt, sizeof rt);
        unsigned long long v = 0;
        int ok = s[0] != '\0';
        for (const char *q = s; *q && ok; q++) {
            if (*q < '0' || *q > '9' || v > (ULLONG_MAX - 9) / 10)
                ok = 0;
            else
                v = v * 10 + (unsigned long long)(*q - '0');
        }
        if (!ok || v < d->min || v > d->max)
            return seterr(reason, rcap, "expected an integer %s, got \"%.60s\"", rt, s);
        store_uint(c, k, v);
        return 0;
    }
    case K_BOOL: {
        int *slot = field(c, k);
        if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
            *slot = 1;
        else if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
            *slot = 0;
        else
            return seterr(reason, rcap, "expected true or false, got \"%.60s\"", s);
        return 0;
    }
    case K_DOUBLE: {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (s[0] == '\0' || isspace((unsigned char)s[0]) || *end != '\0' || errno ||
            !(v >= (double)d->min && v <= (double)d->max))
            return seterr(reason, rcap, "expected a number %llu..%llu, got \"%.60s\"", d->min, d->max, s);
        *(double *)field(c, k) = v;
        return 0;
    }
    case K_LIST: {
        cfg_strlist nl = {0};
        const char *q = s;
        while (*q) {
            const char *e = strchr(q, ',');
            if (!e)
                e = q + strlen(q);
            const char *a = q, *b = e;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if (b > a && strlist_push(&nl, a, (size_t)(b - a)) < 0) {
                strlist_free(&nl);
                return seterr(reason, rcap, "out of memory");
            }
            q = *e ? e + 1 : e;
        }
        cfg_strlist *slot = field(c, k);
        strlist_free(slot);
        *slot = nl;
        return 0;
    }
    }
    return seterr(reason, rcap, "internal error: unknown key type");
}

/* The source text of a value for "got ..." (strings keep their quotes). */
static void got_text(const toml_value *v, const char *text, char *out, size_t cap)
{
    if (v->type == TOML_TABLE) {
        snprintf(out, cap, "a table");
        return;
    }
    /* one line: a line end (in a multi-line array) and the indentation after it become one
     * space; a value longer than 60 bytes is cut to 57 (at a character boundary) + "..." */
    const char *p = text + v->src_off, *e = p + v->src_len;
    char tmp[64];
    size_t o = 0;
    int nl = 0;
    for (; p < e && o < 61; p++) {
        if (*p == '\n' || *p == '\r') {
            nl = 1;
            continue;
        }
        if (nl && (*p == ' ' || *p == '\t'))
            continue;
        if (nl && o)
            tmp[o++] = ' ';
        nl = 0;
        if (o < 61)
            tmp[o++] = *p;
    }
    if (o > 60) {
        o = 57;
        while (o && ((unsigned char)tmp[o] & 0xC0) == 0x80) /* tmp[o] continues a character */
            o--;
        memcpy(tmp + o, "...", 3);
        o += 3;
    }
    snprintf(out, cap, "%.*s", (int)o, tmp);
}

static int set_from_toml(server_config *c, unsigned k, const toml_value *v, const char *text, char *reason,
                         size_t rcap)
{
    const keydef *d = &keys[k];
    char got[80];
    got_text(v, text, got, sizeof got);
    switch (d->kind) {
    case K_STR:
    case K_OPTSTR:
        if (v->type != TOML_STRING)
            return seterr(reason, rcap, "expected a string, got %s", got);
        if (store_string(c, k, v->u.s) < 0)
            return seterr(reason, rcap, "out of memory");
        return 0;
    case K_UINT:
    case K_SIZE: {
        char rt[64];
        range_text(k, rt, sizeof rt);
        if (v->type != TOML_INTEGER || v->u.i < 0 || (unsigned long long)v->u.i < d->min ||
            (unsigned long long)v->u.i > d->max)
            return seterr(reason, rcap, "expected an integer %s, got %s", rt, got);
        store_uint(c, k, (unsigned long long)v->u.i);
        return 0;
    }
    case K_BOOL:
        if (v->type != TOML_BOOL)
            return seterr(reason, rcap, "expected true or false, got %s", got);
        *(int *)field(c, k) = v->u.b;
        return 0;
    case K_DOUBLE: {
        double x;
        if (v->type == TOML_FLOAT)
            x = v->u.f;
        else if (v->type == TOML_INTEGER)
            x = (double)v->u.i;
        else
            return seterr(reason, rcap, "expected a number %llu..%llu, got %s", d->min, d->max, got);
        if (!(x >= (double)d->min && x <= (double)d->max))
            return seterr(reason, rcap, "expected a number %llu..%llu, got %s", d->min, d->max, got);
        *(double *)field(c, k) = x;
        return 0;
    }
    case K_LIST: {
        if (v->type != TOML_ARRAY)
            return seterr(reason, rcap, "expected an array of strings, got %s", got);
        cfg_strlist nl = {0};
        for (size_t j = 0; j < v->n; j++) {
            const toml_value *it = v->items[j];
            if (it->type != TOML_STRING) {
                strlist_free(&nl);
                got_text(it, text, got, sizeof got);
                return seterr(reason, rcap, "expected an array of strings, element %zu is %s", j + 1, got);
            }
            if (strlist_push(&nl, it->u.s, strlen(it->u.s)) < 0) {
                strlist_free(&nl);
                return seterr(reason, rcap, "out of memory");
            }
        }
        cfg_strlist *slot = field(c, k);
        strlist_free(slot);
        *slot = nl;
        return 0;
    }
    }
    return seterr(reason, rcap, "internal error: unknown key type");
}

/* ---- defaults, free --------------------------------------------------------------------- */

void cfg_defaults(server_config *c)
{
    memset(c, 0, sizeof *c);
    char reason[200];
    for (unsigned k = 0; k < NKEYS; k++)
        if (keys[k].def) {
            /* cannot fail but on out of memory, which leaves the key NULL/empty */
            (void)set_from_text(c, k, keys[k].def, reason, sizeof reason);
        }
}

void cfg_free(server_config *c)
{
    if (!c)
        return;
    for (unsigned k = 0; k < NKEYS; k++) {
        if (keys[k].kind == K_STR || keys[k].kind == K_OPTSTR) {
            char **slot = field(c, k);
            free(*slot);
            *slot = NULL;
        } else if (keys[k].kind == K_LIST)
            strlist_free(field(c, k));
    }
    free(c->source);
    c->source = NULL;
}

/* ---- the file -------------------------------------------------------------------------------- */

typedef struct walk {
    server_config *c;
    const char *text, *name;
    char *err;
    size_t errlen;
} walk;

/* Keys and tables of upstream versions that nothing here reads ([H+] config/{dev,prod}.toml.example):
 * rejected like any unknown key, but with a message that says why. */
static int upstream_only(const char *full)
{
    static const char *const exact[] = {"buffer_pool", "quantum", "security.encryption",
                                        "tracing.resource_attributes"};
    for (unsigned j = 0; j < sizeof exact / sizeof exact[0]; j++)
        if (strcmp(full, exact[j]) == 0)
            return 1;
    return strncmp(full, "jwt.rotation_", 13) == 0;
}

static int walk_table(walk *w, const toml_value *t, const char *prefix)
{
    for (size_t j = 0; j < t->n; j++) {
        const toml_entry *e = &t->entries[j];
        char full[300], sug[128];
        if (prefix[0])
            snprintf(full, sizeof full, "%s.%s", prefix, e->key);
        else
            snprintf(full, sizeof full, "%s", e->key);
        int k = key_index(full);
        if (k >= 0) {
            char reason[300];
            if (set_from_toml(w->c, (unsigned)k, e->value, w->text, reason, sizeof reason) < 0)
                return seterr(w->err, w->errlen, "%s:%u: %s: %s", w->name, e->value->line, full, reason);
            w->c->origin[k] = (int)e->value->line;
            if (strncmp(full, "redis.", 6) == 0)
                w->c->redis.configured = 1;
            continue;
        }
        if (is_section(full)) {
            if (e->value->type != TOML_TABLE) {
                char got[80];
                got_text(e->value, w->text, got, sizeof got);
                return seterr(w->err, w->errlen, "%s:%u: %s: expected a table, got %s", w->name, e->line, full, got);
            }
            if (strcmp(full, "redis") == 0)
                w->c->redis.configured = 1;
            if (walk_table(w, e->value, full) < 0)
                return -1;
            continue;
        }
        if (upstream_only(full))
            return seterr(w->err, w->errlen,
                          "%s:%u: unknown %s%s%s: an upstream setting that this server does not use; remove it",
                          w->name, e->line, e->value->type == TOML_TABLE ? "table [" : "key ", full,
                          e->value->type == TOML_TABLE ? "]" : "");
        if (e->value->type == TOML_TABLE) {
            suggest(full, 1, sug, sizeof sug, 0);
            return seterr(w->err, w->errlen, "%s:%u: unknown table [%s]%s", w->name, e->line, full, sug);
        }
        suggest(full, 0, sug, sizeof sug, 0);
        return seterr(w->err, w->errlen, "%s:%u: unknown key %s%s", w->name, e->line, full, sug);
    }
    return 0;
}

int cfg_parse_string(server_config *c, const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    if (!name)
        name = "<string>";
    toml_error te;
    toml_value *root = toml_parse(text, len, &te);
    if (!root)
        return seterr(err, errlen, "%s:%u:%u: %s", name, te.line, te.col, te.msg);
    char *src = strdup(name);
    if (!src) {
        toml_free(root);
        return seterr(err, errlen, "%s: out of memory", name);
    }
    free(c->source);
    c->source = src;
    walk w = {c, text ? text : "", name, err, errlen};
    int rc = walk_table(&w, root, "");
    toml_free(root);
    return rc;
}

#define CFG_MAX_FILE (1u << 20)

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return seterr(err, errlen, "%s: cannot open the configuration file: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) {
            fclose(f);
            return seterr(err, errlen, "%s: out of memory", path);
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n > CFG_MAX_FILE) {
            free(b);
            fclose(f);
            return seterr(err, errlen, "%s: the configuration file is larger than %u bytes", path, CFG_MAX_FILE);
        }
        if (got == 0)
            break;
        if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb)
                free(b);
            b = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return seterr(err, errlen, "%s: read error", path);
    }
    *out = b;
    *len = n;
    return 0;
}

static int load(server_config *c, const char *path, char *err, size_t errlen);

int cfg_load(server_config *c, const char *path, char *err, size_t errlen)
{
    cfg_defaults(c);
    if (load(c, path, err, errlen) == 0)
        return 0;
    cfg_free(c); /* nothing to free for the caller; cfg_free again is harmless */
    return -1;
}

static int load(server_config *c, const char *path, char *err, size_t errlen)
{
    if (!path || !path[0]) {
        const char *e = getenv("NEUROQUANTUM_CONFIG");
        path = e && e[0] ? e : NULL;
    }
    if (path) {
        char *text = NULL;
        size_t len = 0;
        if (read_file(path, &text, &len, err, errlen) < 0)
            return -1;
        int rc = cfg_parse_string(c, text, len, path, err, errlen);
        free(text);
        if (rc < 0)
            return -1;
    }
    if (cfg_apply_env(c, err, errlen) < 0)
        return -1;
    return cfg_validate(c, err, errlen);
}

/* ---- the environment ------------------------------------------------------------------------ */

static const char *const env_prefixes[] = {
    "SERVER_", "DATABASE_", "JWT_", "RATE_LIMIT_", "CORS_", "SECURITY_", "PASSWORDS_", "MONITORING_",
    "REDIS_", "LOGGING_", "WEBSOCKET_", "TRACING_", "LOG_",
};

static int utf8_valid(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s++, need, lo = 0x80, hi = 0xBF;
        if (c < 0x80)
            continue;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else
            return 0;
        for (unsigned k = 0; k < need; k++, s++)
            if (*s < (k ? 0x80 : lo) || *s > (k ? 0xBF : hi))
                return 0;
    }
    return 1;
}

int cfg_apply_env(server_config *c, char *err, size_t errlen)
{
    return cfg_apply_environ(c, environ, err, errlen);
}

int cfg_apply_environ(server_config *c, char *const *envp, char *err, size_t errlen)
{
    const char *lval[NKEYS], *sval[NKEYS];
    memset(lval, 0, sizeof lval);
    memset(sval, 0, sizeof sval);
    static const char pfx[] = "NEUROQUANTUM_";
    for (char *const *ep = envp; ep && *ep; ep++) {
        const char *var = *ep;
        if (strncmp(var, pfx, sizeof pfx - 1) != 0)
            continue;
        const char *eq = strchr(var, '=');
        if (!eq)
            continue;
        size_t nlen = (size_t)(eq - var);
        char name[128];
        if (nlen >= sizeof name) {
            /* longer than any key's name: only an error if it looks like one */
            nlen = sizeof name - 1;
        }
        memcpy(name, var, nlen);
        name[nlen] = '\0';
        const char *val = eq + 1;
        int found = 0;
        for (unsigned k = 0; k < NKEYS && !found; k++) {
            char en[96];
            cfg_key_env_name(k, en, sizeof en);
            if (strcmp(en, name) == 0) {
                lval[k] = val;
                found = 1;
            } else if (keys[k].short_env && strcmp(keys[k].short_env, name) == 0) {
                sval[k] = val;
                found = 1;
            }
        }
        if (found)
            continue;
        const char *rest = name + sizeof pfx - 1;
        for (unsigned j = 0; j < sizeof env_prefixes / sizeof env_prefixes[0]; j++)
            if (strncmp(rest, env_prefixes[j], strlen(env_prefixes[j])) == 0) {
                char sug[160];
                suggest(name, 0, sug, sizeof sug, 1);
                return seterr(err, errlen,
                              "%s: unknown configuration variable%s (NEUROQUANTUM_<SECTION>_<KEY> names a key "
                              "of docs/configuration.md)",
                              name, sug);
            }
    }
    char reason[300], en[96];
    for (unsigned k = 0; k < NKEYS; k++) {
        const char *v = lval[k] ? lval[k] : sval[k];
        if (!v)
            continue;
        cfg_key_env_name(k, en, sizeof en);
        if (lval[k] && sval[k] && strcmp(lval[k], sval[k]) != 0)
            return seterr(err, errlen, "%s and %s are both set, to different values: set only one", en,
                          keys[k].short_env);
        const char *which = lval[k] ? en : keys[k].short_env;
        if (!utf8_valid((const unsigned char *)v))
            return seterr(err, errlen, "%s: %s: the value is not valid UTF-8", which, keys[k].name);
        if (set_from_text(c, k, v, reason, sizeof reason) < 0)
            return seterr(err, errlen, "%s: %s: %s", which, keys[k].name, reason);
        c->origin[k] = lval[k] ? CFG_FROM_ENV : CFG_FROM_ENV_SHORT;
        if (strncmp(keys[k].name, "redis.", 6) == 0)
            c->redis.configured = 1;
    }
    return 0;
}

int cfg_set(server_config *c, const char *key, const char *value, char *err, size_t errlen)
{
    int k = key ? key_index(key) : -1;
    char reason[300], sug[128];
    if (k < 0) {
        suggest(key ? key : "", 0, sug, sizeof sug, 0);
        return seterr(err, errlen, "%s: unknown configuration key%s", key ? key : "(null)", sug);
    }
    if (!value)
        value = "";
    if (!utf8_valid((const unsigned char *)value))
        return seterr(err, errlen, "%s: the value is not valid UTF-8", key);
    if (set_from_text(c, (unsigned)k, value, reason, sizeof reason) < 0)
        return seterr(err, errlen, "%s: %s", key, reason);
    c->origin[k] = CFG_FROM_SET;
    if (strncmp(key, "redis.", 6) == 0)
        c->redis.configured = 1;
    return 0;
}

/* ---- validation ------------------------------------------------------------------------------- */

static const char *const insecure_secrets[] = {
    "your-super-secret-jwt-key-change-this-in-production",
    "CHANGE_THIS_IMMEDIATELY_USE_openssl_rand_base64_48_MINIMUM_32_CHARS",
    "CHANGE_THIS_IN_PRODUCTION_neuroquantum_secret_key_32_chars_min",
    "dev_secret_key_min_32_chars_1234567890abcdef",
    "dev-secret-key-32-characters-long!",
    "REPLACE_ME_WITH_SECURE_SECRET_VIA_ENV_VAR",
};

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
            return 0;
    return 1;
}

static int check_origin(const char *o)
{
    if (strcmp(o, "*") == 0)
        return 0;
    const char *h;
    if (strncmp(o, "http://", 7) == 0)
        h = o + 7;
    else if (strncmp(o, "https://", 8) == 0)
        h = o + 8;
    else
        return -1;
    if (!*h || strchr(h, '/') || strchr(h, ' ') || strchr(h, '?') || strchr(h, '#'))
        return -1;
    return 0;
}

/* decimal digits [a, b) forming a number in lo..hi */
static int num_in(const char *a, const char *b, unsigned long lo, unsigned long hi)
{
    unsigned long v = 0;
    if (a == b)
        return 0;
    for (; a < b; a++) {
        if (*a < '0' || *a > '9')
            return 0;
        v = v * 10 + (unsigned long)(*a - '0');
        if (v > hi)
            return 0;
    }
    return v >= lo;
}

/* redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N] — the forms the rate
 * limiter's Redis client (ratelimit_redis.c) connects to, so a URL that passes here does not
 * fail later at start-up. */
static int check_redis_url(const server_config *c, char *err, size_t errlen)
{
    const char *u = c->redis.url;
    if (strncmp(u, "rediss://", 9) == 0)
        return keyerr(c, "redis.url", err, errlen, "not supported yet: rediss:// (Redis over TLS)");
    if (strncmp(u, "unix://", 7) == 0) {
        const char *p = u + 7, *q = strchr(p, '?');
        if (p[0] != '/' || (q ? q : p + strlen(p)) == p + 1)
            return keyerr(c, "redis.url", err, errlen, "expected unix:///absolute/path, got \"%.80s\"", u);
        if (q && (strncmp(q, "?db=", 4) != 0 || !num_in(q + 4, q + strlen(q), 0, 1000000)))
            return keyerr(c, "redis.url", err, errlen, "the only option of a unix:// URL is ?db=N, got \"%.80s\"", u);
        return 0;
    }
    if (strncmp(u, "redis://", 8) != 0)
        return keyerr(c, "redis.url", err, errlen,
                      "expected redis://host[:port][/db] or unix:///path, got \"%.80s\"", u);
    const char *h = u + 8;
    const char *end = h + strcspn(h, "/");
    const char *at = NULL;
    for (const char *q = h; q < end; q++)
        if (*q == '@')
            at = q;
    if (at) {
        if (!memchr(h, ':', (size_t)(at - h)))
            return keyerr(c, "redis.url", err, errlen,
                          "credentials must be written [user]:password@ in \"%.80s\"", u);
        h = at + 1;
    }
    const char *colon = NULL;
    if (*h == '[') { /* [ipv6]:port */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb || rb == h + 1)
            return keyerr(c, "redis.url", err, errlen, "bad host in \"%.80s\"", u);
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
        if (rb + 1 < end && !colon)
            return keyerr(c, "redis.url", err, errlen, "bad host in \"%.80s\"", u);
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
    }
    const char *hend = colon ? colon : end;
    if (hend == h)
        return keyerr(c, "redis.url", err, errlen, "missing host in \"%.80s\"", u);
    if (colon && colon + 1 == end)
        return keyerr(c, "redis.url", err, errlen, "missing port after ':' in \"%.80s\"", u);
    if (colon && !num_in(colon + 1, end, 1, 65535))
        return keyerr(c, "redis.url", err, errlen, "port must be 1..65535 in \"%.80s\"", u);
    if (*end == '/' && end[1] && !num_in(end + 1, end + strlen(end), 0, 1000000))
        return keyerr(c, "redis.url", err, errlen, "the database after '/' must be a number in \"%.80s\"", u);
    return 0;
}

/* An IPv4/IPv6 literal, or a host name: dot-separated labels of letters, digits and '-'
 * (not at either end), at most 63 bytes each and 253 in all. */
static int check_host(const char *h)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1)
        return 0;
    size_t n = strlen(h), label = 0;
    if (n == 0 || n > 253)
        return -1;
    for (size_t k = 0; k <= n; k++) {
        char ch = h[k];
        if (ch == '.' || ch == '\0') {
            if (label == 0 || label > 63 || h[k - 1] == '-')
                return -1;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)ch) && !(ch == '-' && label > 0))
            return -1;
        label++;
    }
    return 0;
}

static int check_readable(const server_config *c, const char *key, const char *path, char *err, size_t errlen)
{
    if (access(path, R_OK) != 0)
        return keyerr(c, key, err, errlen, "cannot read %s: %s", path, strerror(errno));
    return 0;
}

static int check_lowercase_choice(const server_config *c, const char *key, const char *v, const char *const *ok,
                                  const char *expect, char *err, size_t errlen)
{
    for (; *ok; ok++)
        if (strcmp(v, *ok) == 0)
            return 0;
    return keyerr(c, key, err, errlen, "expected one of %s, got \"%.60s\"", expect, v);
}

int cfg_validate(const server_config *c, char *err, size_t errlen)
{
    /* a struct filled in by hand: every string key present, every number in range (values set
     * through cfg_parse_string / the environment / cfg_set were checked on the way in) */
    for (unsigned k = 0; k < NKEYS; k++) {
        unsigned long long v;
        if (keys[k].kind == K_UINT)
            v = *(const unsigned *)cfield(c, k);
        else if (keys[k].kind == K_SIZE)
            v = *(const size_t *)cfield(c, k);
        else if (keys[k].kind == K_DOUBLE) {
            double x = *(const double *)cfield(c, k);
            if (!(x >= (double)keys[k].min && x <= (double)keys[k].max))
                return keyerr(c, keys[k].name, err, errlen, "expected a number %llu..%llu, got %g", keys[k].min,
                              keys[k].max, x);
            continue;
        } else if (keys[k].kind == K_STR) {
            if (!*(char *const *)cfield(c, k))
                return keyerr(c, keys[k].name, err, errlen, "missing value");
            continue;
        } else if (keys[k].kind == K_LIST) {
            const cfg_strlist *l = cfield(c, k);
            for (unsigned j = 0; j < l->n; j++)
                if (!l->v || !l->v[j])
                    return keyerr(c, keys[k].name, err, errlen, "missing list item %u", j + 1);
            continue;
        } else
            continue;
        if (v < keys[k].min || v > keys[k].max)
            return keyerr(c, keys[k].name, err, errlen, "expected an integer %llu..%llu, got %llu", keys[k].min,
                          keys[k].max, v);
    }
    /* server */
    if (check_host(c->server.host) < 0)
        return keyerr(c, "server.host", err, errlen,
                      "expected an IP address or a host name, got \"%.80s\"", c->server.host);
    const char *cert = c->server.tls.cert_file, *key = c->server.tls.key_file;
    if (cert && !key)
        return keyerr(c, "server.tls.cert_file", err, errlen, "server.tls.key_file is required with it");
    if (key && !cert)
        return keyerr(c, "server.tls.key_file", err, errlen, "server.tls.cert_file is required with it");
    if (!cert && c->server.tls.ca_file)
        return keyerr(c, "server.tls.ca_file", err, errlen, "needs server.tls.cert_file and key_file");
    if (cert && check_readable(c, "server.tls.cert_file", cert, err, errlen) < 0)
        return -1;
    if (key && check_readable(c, "server.tls.key_file", key, err, errlen) < 0)
        return -1;
    if (c->server.tls.ca_file && check_readable(c, "server.tls.ca_file", c->server.tls.ca_file, err, errlen) < 0)
        return -1;
    /* database */
    if (!c->database.data_path[0])
        return keyerr(c, "database.data_path", err, errlen, "must not be empty");
    if (c->database.key_file && c->database.passphrase_env)
        return keyerr(c, "database.passphrase_env", err, errlen,
                      "give database.key_file or database.passphrase_env, not both");
    if (c->database.key_file &&
        check_readable(c, "database.key_file", c->database.key_file, err, errlen) < 0)
        return -1;
    if (nq_isolation_parse(c->database.default_isolation) < 0)
        return keyerr(c, "database.default_isolation", err, errlen,
                      "expected read committed, repeatable read or serializable (read uncommitted "
                      "runs as read committed), got \"%.60s\"", c->database.default_isolation);
    /* jwt */
    const char *sec = c->jwt.secret;
    if (sec[0]) {
        for (unsigned j = 0; j < sizeof insecure_secrets / sizeof insecure_secrets[0]; j++)
            if (strcmp(sec, insecure_secrets[j]) == 0)
                return keyerr(c, "jwt.secret", err, errlen,
                              "is a published placeholder secret; generate one with `nqdb generate-jwt-secret` "
                              "(or leave it empty to use the data directory's secret file)");
        if (contains_ci(sec, "change-this") || contains_ci(sec, "change_this") || contains_ci(sec, "replace_me") ||
            contains_ci(sec, "replace-me"))
            return keyerr(c, "jwt.secret", err, errlen,
                          "looks like a placeholder (\"change this\" / \"replace me\"); generate one with `nqdb "
                          "generate-jwt-secret`");
        if (strlen(sec) < 32)
            return keyerr(c, "jwt.secret", err, errlen, "must be at least 32 bytes (got %zu)", strlen(sec));
    }
    /* HS256, or ML-DSA-65/87 (the names of draft-ietf-cose-dilithium, jwt_mldsa.h) */
    if (strcmp(c->jwt.algorithm, "HS256") != 0 && strcmp(c->jwt.algorithm, "ML-DSA-65") != 0 &&
        strcmp(c->jwt.algorithm, "ML-DSA-87") != 0) {
        static const char *const known[] = {"HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384",
                                            "ES512", "PS256", "PS384", "PS512", "EdDSA", "ML-DSA-44"};
        for (unsigned j = 0; j < sizeof known / sizeof known[0]; j++)
            if (strcmp(c->jwt.algorithm, known[j]) == 0)
                return keyerr(c, "jwt.algorithm", err, errlen,
                              "not supported yet: jwt.algorithm = %s (HS256, ML-DSA-65 or ML-DSA-87)", known[j]);
        return keyerr(c, "jwt.algorithm", err, errlen,
                      "unknown algorithm \"%.40s\" (expected HS256, ML-DSA-65 or ML-DSA-87)", c->jwt.algorithm);
    }
    if (!c->jwt.issuer[0])
        return keyerr(c, "jwt.issuer", err, errlen, "must not be empty");
    if (!c->jwt.audience[0])
        return keyerr(c, "jwt.audience", err, errlen, "must not be empty");
    if (c->jwt.refresh_expiration_hours < c->jwt.expiration_hours)
        return keyerr(c, "jwt.refresh_expiration_hours", err, errlen,
                      "must be at least jwt.expiration_hours (%u), got %u", c->jwt.expiration_hours,
                      c->jwt.refresh_expiration_hours);
    /* rate_limit */
    if (strcmp(c->rate_limit.strategy, "TokenBucket") != 0) {
        if (!strcmp(c->rate_limit.strategy, "SlidingWindow") || !strcmp(c->rate_limit.strategy, "FixedWindow"))
            return keyerr(c, "rate_limit.strategy", err, errlen, "not supported yet: rate_limit.strategy = %s",
                          c->rate_limit.strategy);
        return keyerr(c, "rate_limit.strategy", err, errlen, "unknown strategy \"%.40s\" (expected TokenBucket)",
                      c->rate_limit.strategy);
    }
    if (c->rate_limit.enabled && c->rate_limit.requests_per_hour == 0)
        return keyerr(c, "rate_limit.requests_per_hour", err, errlen,
                      "must be greater than 0 when rate_limit.enabled = true");
    /* cors */
    for (unsigned j = 0; j < c->cors.allowed_origins.n; j++) {
        const char *o = c->cors.allowed_origins.v[j];
        if (check_origin(o) < 0)
            return keyerr(c, "cors.allowed_origins", err, errlen,
                          "\"%.80s\" is not an origin (expected \"*\" or http[s]://host[:port] without a path)", o);
        if (strcmp(o, "*") == 0 && c->cors.allow_credentials)
            return keyerr(c, "cors.allowed_origins", err, errlen,
                          "\"*\" cannot be combined with cors.allow_credentials = true");
    }
    for (unsigned j = 0; j < c->cors.allowed_methods.n; j++)
        if (!is_token(c->cors.allowed_methods.v[j]))
            return keyerr(c, "cors.allowed_methods", err, errlen, "\"%.60s\" is not an HTTP method",
                          c->cors.allowed_methods.v[j]);
    for (unsigned j = 0; j < c->cors.allowed_headers.n; j++)
        if (!is_token(c->cors.allowed_headers.v[j]))
            return keyerr(c, "cors.allowed_headers", err, errlen, "\"%.60s\" is not a header name",
                          c->cors.allowed_headers.v[j]);
    for (unsigned j = 0; j < c->cors.expose_headers.n; j++)
        if (!is_token(c->cors.expose_headers.v[j]))
            return keyerr(c, "cors.expose_headers", err, errlen, "\"%.60s\" is not a header name",
                          c->cors.expose_headers.v[j]);
    /* security (ranges parsed by cidr.c, the same code the server matches with) */
    cidr_range range;
    for (unsigned j = 0; j < c->security.admin_ip_whitelist.n; j++)
        if (cidr_parse(c->security.admin_ip_whitelist.v[j], &range) != 0)
            return keyerr(c, "security.admin_ip_whitelist", err, errlen,
                          "\"%.60s\" is not an IP address or CIDR range",
                          c->security.admin_ip_whitelist.v[j]);
    for (unsigned j = 0; j < c->security.trusted_proxies.n; j++)
        if (cidr_parse(c->security.trusted_proxies.v[j], &range) != 0)
            return keyerr(c, "security.trusted_proxies", err, errlen,
                          "\"%.60s\" is not an IP address or CIDR range",
                          c->security.trusted_proxies.v[j]);
    /* monitoring */
    if (c->monitoring.prometheus_endpoint[0] != '/')
        return keyerr(c, "monitoring.prometheus_endpoint", err, errlen, "must be a path starting with '/', got \"%.60s\"",
                      c->monitoring.prometheus_endpoint);
    if (c->monitoring.health_check_endpoint[0] != '/')
        return keyerr(c, "monitoring.health_check_endpoint", err, errlen,
                      "must be a path starting with '/', got \"%.60s\"", c->monitoring.health_check_endpoint);
    /* redis */
    if (c->redis.configured && check_redis_url(c, err, errlen) < 0)
        return -1;
    /* logging */
    static const char *const levels[] = {"trace", "debug", "info", "warn", "error", NULL};
    static const char *const formats[] = {"json", "plain", "compact", NULL};
    if (check_lowercase_choice(c, "logging.level", c->logging.level, levels, "trace, debug, info, warn, error", err,
                               errlen) < 0)
        return -1;
    if (check_lowercase_choice(c, "logging.format", c->logging.format, formats, "json, plain, compact", err,
                               errlen) < 0)
        return -1;
    /* websocket */
    if (c->websocket.heartbeat_timeout_seconds <= c->websocket.heartbeat_interval_seconds)
        return keyerr(c, "websocket.heartbeat_timeout_seconds", err, errlen,
                      "must be greater than websocket.heartbeat_interval_seconds (%u), got %u",
                      c->websocket.heartbeat_interval_seconds, c->websocket.heartbeat_timeout_seconds);
    if (c->websocket.batch_size > c->websocket.max_buffered_messages)
        return keyerr(c, "websocket.batch_size", err, errlen,
                      "must not exceed websocket.max_buffered_messages (%u), got %u",
                      c->websocket.max_buffered_messages, c->websocket.batch_size);
    /* tracing */
    if (c->tracing.enabled)
        return keyerr(c, "tracing.enabled", err, errlen, "not supported yet: tracing (OpenTelemetry export)");
    return 0;
}

/* ---- dump -------------------------------------------------------------------------------------- */

static void dump_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        if (*q == '"' || *q == '\\')
            fprintf(out, "\\%c", *q);
        else if (*q == '\n')
            fputs("\\n", out);
        else if (*q == '\t')
            fputs("\\t", out);
        else if (*q < 0x20 || *q == 0x7F)
            fprintf(out, "\\u%04X", *q);
        else
            fputc(*q, out);
    }
    fputc('"', out);
}

/* redis://user:password@host -> redis://user:***@host */
static void dump_redis_url(FILE *out, const char *u)
{
    const char *s = strstr(u, "://");
    const char *at = s ? strrchr(s + 3, '@') : NULL;
    if (!at) {
        dump_string(out, u);
        return;
    }
    const char *colon = memchr(s + 3, ':', (size_t)(at - (s + 3)));
    size_t keep = colon ? (size_t)(colon - u) + 1 : (size_t)(s + 3 - u);
    char *m = malloc(strlen(u) + 8);
    if (!m)
        return;
    memcpy(m, u, keep);
    strcpy(m + keep, "***");
    strcat(m, at);
    dump_string(out, m);
    free(m);
}

void cfg_dump(const server_config *c, FILE *out)
{
    fprintf(out, "# effective configuration (%s + environment)\n", c->source ? c->source : "defaults");
    char cur[64] = "";
    for (unsigned k = 0; k < NKEYS; k++) {
        const keydef *d = &keys[k];
        const char *dot = strrchr(d->name, '.');
        size_t sl = (size_t)(dot - d->name);
        if (strlen(cur) != sl || strncmp(cur, d->name, sl) != 0) {
            if (strncmp(d->name, "redis.", 6) == 0 && !c->redis.configured) {
                fputs("\n# [redis] not configured\n", out);
                while (k + 1 < NKEYS && strncmp(keys[k + 1].name, "redis.", 6) == 0)
                    k++;
                snprintf(cur, sizeof cur, "redis");
                continue;
            }
            fprintf(out, "\n[%.*s]\n", (int)sl, d->name);
            snprintf(cur, sizeof cur, "%.*s", (int)sl, d->name);
        }
        const char *kn = dot + 1;
        switch (d->kind) {
        case K_STR:
        case K_OPTSTR: {
            const char *s = *(char *const *)cfield(c, k);
            if (!s) {
                fprintf(out, "# %s not set", kn);
                break;
            }
            fprintf(out, "%s = ", kn);
            if (strcmp(d->name, "jwt.secret") == 0 && s[0])
                fputs("\"***\"", out);
            else if (strcmp(d->name, "redis.url") == 0)
                dump_redis_url(out, s);
            else
                dump_string(out, s);
            break;
        }
        case K_UINT:
            fprintf(out, "%s = %u", kn, *(const unsigned *)cfield(c, k));
            break;
        case K_SIZE:
            fprintf(out, "%s = %zu", kn, *(const size_t *)cfield(c, k));
            break;
        case K_BOOL:
            fprintf(out, "%s = %s", kn, *(const int *)cfield(c, k) ? "true" : "false");
            break;
        case K_DOUBLE: {
            double x = *(const double *)cfield(c, k);
            char b[40];
            if (isnan(x))
                snprintf(b, sizeof b, "nan");
            else if (isinf(x))
                snprintf(b, sizeof b, x < 0 ? "-inf" : "inf");
            else {
                snprintf(b, sizeof b, "%.17g", x);
                if (!strpbrk(b, ".eE"))
                    strcat(b, ".0");
            }
            fprintf(out, "%s = %s", kn, b);
            break;
        }
        case K_LIST: {
            const cfg_strlist *l = cfield(c, k);
            fprintf(out, "%s = [", kn);
            for (unsigned j = 0; j < l->n; j++) {
                if (j)
                    fputs(", ", out);
                dump_string(out, l->v[j]);
            }
            fputc(']', out);
            break;
        }
        }
        int o = c->origin[k];
        if (o > 0)
            fprintf(out, "  # %s:%d", c->source ? c->source : "<string>", o);
        else if (o == CFG_FROM_ENV) {
            char en[96];
            cfg_key_env_name(k, en, sizeof en);
            fprintf(out, "  # %s", en);
        } else if (o == CFG_FROM_ENV_SHORT && d->short_env)
            fprintf(out, "  # %s", d->short_env);
        else if (o == CFG_FROM_SET)
            fputs("  # command line", out);
        fputc('\n', out);
    }
}
