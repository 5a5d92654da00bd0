/*
 * test_config.c — the server configuration (src/server/config.h).
 *
 * What is proven:
 *  - the defaults are the documented ones and validate;
 *  - every key can be set from a file and from its environment variable, and lands in the
 *    right field (one file / one environment block sets every key to a non-default value and
 *    the test reads each field by name, so a wrong offset in the key table shows up);
 *  - the upstream short variable names, their conflicts with the long names, and which
 *    NEUROQUANTUM_* variables are not configuration;
 *  - every file error (type, range, unknown key/table with a suggestion, duplicate, syntax)
 *    and every validation rule gives its message with the file and line, the variable, or the
 *    key;
 *  - config/dev.toml and config/prod.toml load and validate (through cfg_load too, with the
 *    environment applied over the file);
 *  - cfg_dump writes TOML that reads back to the same configuration, with secrets masked;
 *  - CIDR parsing and matching; docs/configuration.md names every key and variable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"

extern char **environ;

/* The source tree, from this file's path: <root>/tests/unit/server/test_config.c */
static void src_path(const char *rel, char *out, size_t cap)
{
    const char *f = __FILE__;
    const char *tail = strstr(f, "tests/unit/server/test_config.c");
    size_t n = tail ? (size_t)(tail - f) : 0;
    snprintf(out, cap, "%.*s%s", (int)n, f, rel);
}

static void clear_env(void)
{
    for (;;) {
        char **e = environ;
        while (e && *e && strncmp(*e, "NEUROQUANTUM_", 13) != 0)
            e++;
        if (!e || !*e)
            return;
        char name[256];
        size_t n = strcspn(*e, "=");
        snprintf(name, sizeof name, "%.*s", (int)n, *e);
        unsetenv(name);
    }
}

static int parse(server_config *c, const char *text, char *err, size_t cap)
{
    cfg_defaults(c);
    return cfg_parse_string(c, text, strlen(text), "t.toml", err, cap);
}

/* text parses (onto defaults) but fails with exactly want. */
#define PARSE_ERR(text, want) parse_err_at(__LINE__, (text), (want))
static void parse_err_at(int tl, const char *text, const char *want)
{
    server_config c;
    char err[512];
    int rc = parse(&c, text, err, sizeof err);
    cfg_free(&c);
    if (rc == 0)
        fail_msg("test line %d: parsed, expected %s", tl, want);
    if (strcmp(err, want) != 0)
        fail_msg("test line %d:\n   got  %s\n   want %s", tl, err, want);
}

/* text parses and then fails validation with exactly want. */
#define INVALID(text, want) invalid_at(__LINE__, (text), (want))
static void invalid_at(int tl, const char *text, const char *want)
{
    server_config c;
    char err[512];
    if (parse(&c, text, err, sizeof err) != 0)
        fail_msg("test line %d: parse error %s", tl, err);
    int rc = cfg_validate(&c, err, sizeof err);
    cfg_free(&c);
    if (rc == 0)
        fail_msg("test line %d: validated, expected %s", tl, want);
    if (strcmp(err, want) != 0)
        fail_msg("test line %d:\n   got  %s\n   want %s", tl, err, want);
}

#define VALID(text) valid_at(__LINE__, (text))
static void valid_at(int tl, const char *text)
{
    server_config c;
    char err[512];
    if (parse(&c, text, err, sizeof err) != 0 || cfg_validate(&c, err, sizeof err) != 0)
        fail_msg("test line %d: %s", tl, err);
    cfg_free(&c);
}

static void assert_list(const cfg_strlist *l, unsigned n, ...)
{
    va_list ap;
    va_start(ap, n);
    assert_int_equal(l->n, n);
    for (unsigned j = 0; j < n; j++)
        assert_string_equal(l->v[j], va_arg(ap, const char *));
    va_end(ap);
}

static void test_defaults(void **state)
{
    (void)state;
    server_config c;
    char err[256];
    cfg_defaults(&c);
    assert_string_equal(c.server.host, "127.0.0.1");
    assert_int_equal(c.server.port, 8080);
    assert_int_equal(c.server.workers, 0);
    assert_int_equal(c.server.max_connections, 25000);
    assert_int_equal(c.server.keep_alive, 75);
    assert_int_equal(c.server.client_timeout, 5000);
    assert_int_equal(c.server.client_shutdown, 5000);
    assert_null(c.server.tls.cert_file);
    assert_null(c.server.tls.key_file);
    assert_null(c.server.tls.ca_file);
    assert_string_equal(c.database.data_path, "./neuroquantum_data");
    assert_int_equal(c.database.max_connections, 100);
    assert_int_equal(c.database.connection_timeout_seconds, 30);
    assert_string_equal(c.jwt.secret, "");
    assert_int_equal(c.jwt.expiration_hours, 24);
    assert_int_equal(c.jwt.refresh_threshold_minutes, 60);
    assert_int_equal(c.jwt.refresh_expiration_hours, 720);
    assert_int_equal(c.jwt.quantum_enabled, 0);
    assert_string_equal(c.jwt.algorithm, "HS256");
    assert_string_equal(c.jwt.issuer, "neuroquantum-db");
    assert_string_equal(c.jwt.audience, "neuroquantum-api");
    assert_int_equal(c.rate_limit.requests_per_hour, 1000);
    assert_int_equal(c.rate_limit.burst_allowance, 50);
    assert_int_equal(c.rate_limit.enabled, 1);
    assert_string_equal(c.rate_limit.strategy, "TokenBucket");
    assert_string_equal(c.database.default_isolation, "read committed");
    assert_int_equal(c.rate_limit.key_generation_per_hour, 5);
    assert_list(&c.cors.allowed_origins, 2, "http://localhost:3000", "http://localhost:8080");
    assert_list(&c.cors.allowed_methods, 6, "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
    assert_list(&c.cors.allowed_headers, 5, "Authorization", "Content-Type", "X-API-Key", "X-Request-ID",
                "X-Quantum-Level");
    assert_list(&c.cors.expose_headers, 4, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                "X-Request-ID");
    assert_int_equal(c.cors.max_age, 3600);
    assert_int_equal(c.cors.allow_credentials, 1);
    assert_int_equal(c.security.max_payload_size, 16777216);
    assert_int_equal(c.security.request_timeout_seconds, 30);
    assert_int_equal(c.security.security_headers, 1);
    assert_int_equal(c.security.csrf_protection, 0);
    assert_int_equal(c.security.quantum_encryption, 0);
    assert_list(&c.security.admin_ip_whitelist, 2, "127.0.0.1", "::1");
    assert_list(&c.security.trusted_proxies, 0);
    assert_int_equal(c.security.circuit_breaker.failure_threshold, 5);
    assert_int_equal(c.security.circuit_breaker.success_threshold, 3);
    assert_int_equal(c.security.circuit_breaker.timeout_seconds, 60);
    assert_int_equal(c.security.circuit_breaker.enabled, 1);
    assert_int_equal(c.passwords.argon2_memory_kib, 19456);
    assert_int_equal(c.passwords.argon2_iterations, 2);
    assert_int_equal(c.passwords.argon2_parallelism, 1);
    assert_int_equal(c.monitoring.metrics_enabled, 1);
    assert_string_equal(c.monitoring.prometheus_endpoint, "/metrics");
    assert_string_equal(c.monitoring.health_check_endpoint, "/health");
    assert_int_equal(c.monitoring.performance_stats, 1);
    assert_int_equal(c.monitoring.detailed_logging, 1);
    assert_int_equal(c.monitoring.websocket_enabled, 1);
    assert_int_equal(c.redis.configured, 0);
    assert_string_equal(c.redis.url, "redis://127.0.0.1:6379");
    assert_int_equal(c.redis.pool_size, 10);
    assert_int_equal(c.redis.connection_timeout_seconds, 5);
    assert_int_equal(c.redis.command_timeout_seconds, 3);
    assert_int_equal(c.redis.retry_attempts, 3);
    assert_string_equal(c.logging.level, "info");
    assert_string_equal(c.logging.format, "json");
    assert_null(c.logging.file_path);
    assert_int_equal(c.logging.max_file_size_mb, 100);
    assert_int_equal(c.logging.max_files, 10);
    assert_int_equal(c.logging.structured_logging, 1);
    assert_int_equal(c.websocket.max_connections, 10000);
    assert_int_equal(c.websocket.heartbeat_interval_seconds, 30);
    assert_int_equal(c.websocket.heartbeat_timeout_seconds, 90);
    assert_int_equal(c.websocket.max_buffered_messages, 1000);
    assert_int_equal(c.websocket.batch_size, 100);
    assert_int_equal(c.websocket.max_message_bytes, 1048576);
    assert_int_equal(c.tracing.enabled, 0);
    assert_string_equal(c.tracing.exporter, "console");
    assert_string_equal(c.tracing.endpoint, "http://localhost:4317");
    assert_true(c.tracing.sampling_rate == 0.1);
    assert_string_equal(c.tracing.service_name, "neuroquantumdb");
    assert_string_equal(c.tracing.trace_level, "detailed");
    assert_null(c.source);
    for (unsigned k = 0; k < cfg_key_count(); k++)
        assert_int_equal(c.origin[k], CFG_FROM_DEFAULT);
    assert_int_equal(cfg_validate(&c, err, sizeof err), 0);
    cfg_free(&c);
    cfg_free(&c); /* idempotent */
}

/* Every key at a non-default value: the same values come from ALL_TOML and ALL_ENV. */
static const char ALL_TOML[] =
    "[server]\n"
    "host = \"0.0.0.0\"\nport = 9443\nworkers = 3\nmax_connections = 1234\nkeep_alive = 11\n"
    "client_timeout = 2222\nclient_shutdown = 3333\n"
    "[server.tls]\ncert_file = \"/c.pem\"\nkey_file = \"/k.pem\"\nca_file = \"/ca.pem\"\n"
    "[database]\ndata_path = \"/var/lib/nq\"\nmax_connections = 7\nconnection_timeout_seconds = 8\n"
    "key_file = \"/k/db.key\"\npassphrase_env = \"NQ_DB_PASS\"\ndefault_isolation = \"Serializable\"\n"
    "[jwt]\nsecret = \"0123456789abcdef0123456789abcdef-jwt\"\nexpiration_hours = 2\n"
    "refresh_threshold_minutes = 9\nrefresh_expiration_hours = 48\nquantum_enabled = true\n"
    "algorithm = \"HS384\"\nissuer = \"iss\"\naudience = \"aud\"\n"
    "[rate_limit]\nrequests_per_hour = 77\nburst_allowance = 5\nenabled = false\nstrategy = \"FixedWindow\"\n"
    "key_generation_per_hour = 2\n"
    "[cors]\nallowed_origins = [\"https://a.example\"]\nallowed_methods = [\"GET\"]\n"
    "allowed_headers = [\"X-A\", \"X-B\"]\nexpose_headers = [\"X-C\"]\nmax_age = 60\nallow_credentials = false\n"
    "[security]\nmax_payload_size = 4096\nrequest_timeout_seconds = 12\nsecurity_headers = false\n"
    "csrf_protection = true\nquantum_encryption = true\nadmin_ip_whitelist = [\"10.0.0.0/8\"]\n"
    "trusted_proxies = [\"192.168.1.1\", \"fd00::/8\"]\n"
    "[security.circuit_breaker]\nfailure_threshold = 6\nsuccess_threshold = 4\ntimeout_seconds = 31\n"
    "enabled = false\n"
    "[passwords]\nargon2_memory_kib = 65536\nargon2_iterations = 3\nargon2_parallelism = 4\n"
    "[monitoring]\nmetrics_enabled = false\nprometheus_endpoint = \"/m\"\nhealth_check_endpoint = \"/h\"\n"
    "performance_stats = false\ndetailed_logging = false\nwebsocket_enabled = false\n"
    "[redis]\nurl = \"redis://r:6380/2\"\npool_size = 4\nconnection_timeout_seconds = 6\n"
    "command_timeout_seconds = 7\nretry_attempts = 0\n"
    "[logging]\nlevel = \"DEBUG\"\nformat = \"Plain\"\nfile_path = \"/tmp/x.log\"\nmax_file_size_mb = 5\n"
    "max_files = 3\nstructured_logging = false\n"
    "[websocket]\nmax_connections = 50\nheartbeat_interval_seconds = 10\nheartbeat_timeout_seconds = 40\n"
    "max_buffered_messages = 500\nbatch_size = 20\nmax_message_bytes = 2048\n"
    "[backup]\nenabled = true\ndirectory = \"/b\"\ninterval_seconds = 61\nfull_every = 2\nkeep_full = 0\ncompress = false\narchive = true\n"
    "sign_key = \"/k/backup-sign.key\"\nencrypt_key = \"/k/backup-kem.pub\"\n"
    "[tracing]\nenabled = true\nexporter = \"otlp\"\nendpoint = \"http://j:4317\"\nsampling_rate = 0.5\n"
    "service_name = \"svc\"\ntrace_level = \"basic\"\n";

static char *ALL_ENV[] = {
    "NEUROQUANTUM_SERVER_HOST=0.0.0.0",
    "NEUROQUANTUM_SERVER_PORT=9443",
    "NEUROQUANTUM_SERVER_WORKERS=3",
    "NEUROQUANTUM_SERVER_MAX_CONNECTIONS=1234",
    "NEUROQUANTUM_SERVER_KEEP_ALIVE=11",
    "NEUROQUANTUM_SERVER_CLIENT_TIMEOUT=2222",
    "NEUROQUANTUM_SERVER_CLIENT_SHUTDOWN=3333",
    "NEUROQUANTUM_SERVER_TLS_CERT_FILE=/c.pem",
    "NEUROQUANTUM_SERVER_TLS_KEY_FILE=/k.pem",
    "NEUROQUANTUM_SERVER_TLS_CA_FILE=/ca.pem",
    "NEUROQUANTUM_DATABASE_DATA_PATH=/var/lib/nq",
    "NEUROQUANTUM_DATABASE_MAX_CONNECTIONS=7",
    "NEUROQUANTUM_DATABASE_CONNECTION_TIMEOUT_SECONDS=8",
    "NEUROQUANTUM_DATABASE_KEY_FILE=/k/db.key",
    "NEUROQUANTUM_DATABASE_PASSPHRASE_ENV=NQ_DB_PASS",
    "NEUROQUANTUM_DATABASE_DEFAULT_ISOLATION=Serializable",
    "NEUROQUANTUM_JWT_SECRET=0123456789abcdef0123456789abcdef-jwt",
    "NEUROQUANTUM_JWT_EXPIRATION_HOURS=2",
    "NEUROQUANTUM_JWT_REFRESH_THRESHOLD_MINUTES=9",
    "NEUROQUANTUM_JWT_REFRESH_EXPIRATION_HOURS=48",
    "NEUROQUANTUM_JWT_QUANTUM_ENABLED=yes",
    "NEUROQUANTUM_JWT_ALGORITHM=HS384",
    "NEUROQUANTUM_JWT_ISSUER=iss",
    "NEUROQUANTUM_JWT_AUDIENCE=aud",
    "NEUROQUANTUM_RATE_LIMIT_REQUESTS_PER_HOUR=77",
    "NEUROQUANTUM_RATE_LIMIT_BURST_ALLOWANCE=5",
    "NEUROQUANTUM_RATE_LIMIT_ENABLED=off",
    "NEUROQUANTUM_RATE_LIMIT_STRATEGY=FixedWindow",
    "NEUROQUANTUM_RATE_LIMIT_KEY_GENERATION_PER_HOUR=2",
    "NEUROQUANTUM_CORS_ALLOWED_ORIGINS=https://a.example",
    "NEUROQUANTUM_CORS_ALLOWED_METHODS=GET",
    "NEUROQUANTUM_CORS_ALLOWED_HEADERS= X-A ,X-B,",
    "NEUROQUANTUM_CORS_EXPOSE_HEADERS=X-C",
    "NEUROQUANTUM_CORS_MAX_AGE=60",
    "NEUROQUANTUM_CORS_ALLOW_CREDENTIALS=FALSE",
    "NEUROQUANTUM_SECURITY_MAX_PAYLOAD_SIZE=4096",
    "NEUROQUANTUM_SECURITY_REQUEST_TIMEOUT_SECONDS=12",
    "NEUROQUANTUM_SECURITY_SECURITY_HEADERS=0",
    "NEUROQUANTUM_SECURITY_CSRF_PROTECTION=1",
    "NEUROQUANTUM_SECURITY_QUANTUM_ENCRYPTION=on",
    "NEUROQUANTUM_SECURITY_ADMIN_IP_WHITELIST=10.0.0.0/8",
    "NEUROQUANTUM_SECURITY_TRUSTED_PROXIES=192.168.1.1,fd00::/8",
    "NEUROQUANTUM_SECURITY_CIRCUIT_BREAKER_FAILURE_THRESHOLD=6",
    "NEUROQUANTUM_SECURITY_CIRCUIT_BREAKER_SUCCESS_THRESHOLD=4",
    "NEUROQUANTUM_SECURITY_CIRCUIT_BREAKER_TIMEOUT_SECONDS=31",
    "NEUROQUANTUM_SECURITY_CIRCUIT_BREAKER_ENABLED=false",
    "NEUROQUANTUM_PASSWORDS_ARGON2_MEMORY_KIB=65536",
    "NEUROQUANTUM_PASSWORDS_ARGON2_ITERATIONS=3",
    "NEUROQUANTUM_PASSWORDS_ARGON2_PARALLELISM=4",
    "NEUROQUANTUM_MONITORING_METRICS_ENABLED=false",
    "NEUROQUANTUM_MONITORING_PROMETHEUS_ENDPOINT=/m",
    "NEUROQUANTUM_MONITORING_HEALTH_CHECK_ENDPOINT=/h",
    "NEUROQUANTUM_MONITORING_PERFORMANCE_STATS=false",
    "NEUROQUANTUM_MONITORING_DETAILED_LOGGING=no",
    "NEUROQUANTUM_MONITORING_WEBSOCKET_ENABLED=false",
    "NEUROQUANTUM_REDIS_URL=redis://r:6380/2",
    "NEUROQUANTUM_REDIS_POOL_SIZE=4",
    "NEUROQUANTUM_REDIS_CONNECTION_TIMEOUT_SECONDS=6",
    "NEUROQUANTUM_REDIS_COMMAND_TIMEOUT_SECONDS=7",
    "NEUROQUANTUM_REDIS_RETRY_ATTEMPTS=0",
    "NEUROQUANTUM_LOGGING_LEVEL=DEBUG",
    "NEUROQUANTUM_LOGGING_FORMAT=Plain",
    "NEUROQUANTUM_LOGGING_FILE_PATH=/tmp/x.log",
    "NEUROQUANTUM_LOGGING_MAX_FILE_SIZE_MB=5",
    "NEUROQUANTUM_LOGGING_MAX_FILES=3",
    "NEUROQUANTUM_LOGGING_STRUCTURED_LOGGING=false",
    "NEUROQUANTUM_WEBSOCKET_MAX_CONNECTIONS=50",
    "NEUROQUANTUM_WEBSOCKET_HEARTBEAT_INTERVAL_SECONDS=10",
    "NEUROQUANTUM_WEBSOCKET_HEARTBEAT_TIMEOUT_SECONDS=40",
    "NEUROQUANTUM_WEBSOCKET_MAX_BUFFERED_MESSAGES=500",
    "NEUROQUANTUM_WEBSOCKET_BATCH_SIZE=20",
    "NEUROQUANTUM_WEBSOCKET_MAX_MESSAGE_BYTES=2048",
    "NEUROQUANTUM_BACKUP_ENABLED=true",
    "NEUROQUANTUM_BACKUP_DIRECTORY=/b",
    "NEUROQUANTUM_BACKUP_INTERVAL_SECONDS=61",
    "NEUROQUANTUM_BACKUP_FULL_EVERY=2",
    "NEUROQUANTUM_BACKUP_KEEP_FULL=0",
    "NEUROQUANTUM_BACKUP_COMPRESS=false",
    "NEUROQUANTUM_BACKUP_ARCHIVE=true",
    "NEUROQUANTUM_BACKUP_SIGN_KEY=/k/backup-sign.key",
    "NEUROQUANTUM_BACKUP_ENCRYPT_KEY=/k/backup-kem.pub",
    "NEUROQUANTUM_TRACING_ENABLED=true",
    "NEUROQUANTUM_TRACING_EXPORTER=otlp",
    "NEUROQUANTUM_TRACING_ENDPOINT=http://j:4317",
    "NEUROQUANTUM_TRACING_SAMPLING_RATE=0.5",
    "NEUROQUANTUM_TRACING_SERVICE_NAME=svc",
    "NEUROQUANTUM_TRACING_TRACE_LEVEL=basic",
    "PATH=/usr/bin",
    "NEUROQUANTUM_CONFIG=/nonexistent.toml",
    "NEUROQUANTUM_ENV=production",
    "NEUROQUANTUM_API_KEY=nqdb_0123",
    "NEUROQUANTUM_ADMIN_KEY=nqdb_4567",
    NULL,
};

static void check_all(const server_config *c)
{
    assert_string_equal(c->server.host, "0.0.0.0");
    assert_int_equal(c->server.port, 9443);
    assert_int_equal(c->server.workers, 3);
    assert_int_equal(c->server.max_connections, 1234);
    assert_int_equal(c->server.keep_alive, 11);
    assert_int_equal(c->server.client_timeout, 2222);
    assert_int_equal(c->server.client_shutdown, 3333);
    assert_string_equal(c->server.tls.cert_file, "/c.pem");
    assert_string_equal(c->server.tls.key_file, "/k.pem");
    assert_string_equal(c->server.tls.ca_file, "/ca.pem");
    assert_string_equal(c->database.data_path, "/var/lib/nq");
    assert_int_equal(c->database.max_connections, 7);
    assert_int_equal(c->database.connection_timeout_seconds, 8);
    assert_string_equal(c->database.key_file, "/k/db.key");
    assert_string_equal(c->database.passphrase_env, "NQ_DB_PASS");
    assert_string_equal(c->database.default_isolation, "serializable");
    assert_string_equal(c->jwt.secret, "0123456789abcdef0123456789abcdef-jwt");
    assert_int_equal(c->jwt.expiration_hours, 2);
    assert_int_equal(c->jwt.refresh_threshold_minutes, 9);
    assert_int_equal(c->jwt.refresh_expiration_hours, 48);
    assert_int_equal(c->jwt.quantum_enabled, 1);
    assert_string_equal(c->jwt.algorithm, "HS384");
    assert_string_equal(c->jwt.issuer, "iss");
    assert_string_equal(c->jwt.audience, "aud");
    assert_int_equal(c->rate_limit.requests_per_hour, 77);
    assert_int_equal(c->rate_limit.burst_allowance, 5);
    assert_int_equal(c->rate_limit.enabled, 0);
    assert_string_equal(c->rate_limit.strategy, "FixedWindow");
    assert_int_equal(c->rate_limit.key_generation_per_hour, 2);
    assert_list(&c->cors.allowed_origins, 1, "https://a.example");
    assert_list(&c->cors.allowed_methods, 1, "GET");
    assert_list(&c->cors.allowed_headers, 2, "X-A", "X-B");
    assert_list(&c->cors.expose_headers, 1, "X-C");
    assert_int_equal(c->cors.max_age, 60);
    assert_int_equal(c->cors.allow_credentials, 0);
    assert_int_equal(c->security.max_payload_size, 4096);
    assert_int_equal(c->security.request_timeout_seconds, 12);
    assert_int_equal(c->security.security_headers, 0);
    assert_int_equal(c->security.csrf_protection, 1);
    assert_int_equal(c->security.quantum_encryption, 1);
    assert_list(&c->security.admin_ip_whitelist, 1, "10.0.0.0/8");
    assert_list(&c->security.trusted_proxies, 2, "192.168.1.1", "fd00::/8");
    assert_int_equal(c->security.circuit_breaker.failure_threshold, 6);
    assert_int_equal(c->security.circuit_breaker.success_threshold, 4);
    assert_int_equal(c->security.circuit_breaker.timeout_seconds, 31);
    assert_int_equal(c->security.circuit_breaker.enabled, 0);
    assert_int_equal(c->passwords.argon2_memory_kib, 65536);
    assert_int_equal(c->passwords.argon2_iterations, 3);
    assert_int_equal(c->passwords.argon2_parallelism, 4);
    assert_int_equal(c->monitoring.metrics_enabled, 0);
    assert_string_equal(c->monitoring.prometheus_endpoint, "/m");
    assert_string_equal(c->monitoring.health_check_endpoint, "/h");
    assert_int_equal(c->monitoring.performance_stats, 0);
    assert_int_equal(c->monitoring.detailed_logging, 0);
    assert_int_equal(c->monitoring.websocket_enabled, 0);
    assert_int_equal(c->redis.configured, 1);
    assert_string_equal(c->redis.url, "redis://r:6380/2");
    assert_int_equal(c->redis.pool_size, 4);
    assert_int_equal(c->redis.connection_timeout_seconds, 6);
    assert_int_equal(c->redis.command_timeout_seconds, 7);
    assert_int_equal(c->redis.retry_attempts, 0);
    assert_string_equal(c->logging.level, "debug");
    assert_string_equal(c->logging.format, "plain");
    assert_string_equal(c->logging.file_path, "/tmp/x.log");
    assert_int_equal(c->logging.max_file_size_mb, 5);
    assert_int_equal(c->logging.max_files, 3);
    assert_int_equal(c->logging.structured_logging, 0);
    assert_int_equal(c->websocket.max_connections, 50);
    assert_int_equal(c->websocket.heartbeat_interval_seconds, 10);
    assert_int_equal(c->websocket.heartbeat_timeout_seconds, 40);
    assert_int_equal(c->websocket.max_buffered_messages, 500);
    assert_int_equal(c->websocket.batch_size, 20);
    assert_int_equal(c->websocket.max_message_bytes, 2048);
    assert_int_equal(c->backup.enabled, 1);
    assert_string_equal(c->backup.directory, "/b");
    assert_int_equal(c->backup.interval_seconds, 61);
    assert_int_equal(c->backup.full_every, 2);
    assert_int_equal(c->backup.keep_full, 0);
    assert_int_equal(c->backup.compress, 0);
    assert_int_equal(c->backup.archive, 1);
    assert_string_equal(c->backup.sign_key, "/k/backup-sign.key");
    assert_string_equal(c->backup.encrypt_key, "/k/backup-kem.pub");
    assert_int_equal(c->tracing.enabled, 1);
    assert_string_equal(c->tracing.exporter, "otlp");
    assert_string_equal(c->tracing.endpoint, "http://j:4317");
    assert_true(c->tracing.sampling_rate == 0.5);
    assert_string_equal(c->tracing.service_name, "svc");
    assert_string_equal(c->tracing.trace_level, "basic");
}

static void test_every_key_from_file(void **state)
{
    (void)state;
    server_config c;
    char err[512];
    if (parse(&c, ALL_TOML, err, sizeof err) != 0)
        fail_msg("%s", err);
    check_all(&c);
    assert_string_equal(c.source, "t.toml");
    for (unsigned k = 0; k < cfg_key_count(); k++)
        if (c.origin[k] <= 0)
            fail_msg("ALL_TOML does not set %s", cfg_key_name(k));
    assert_int_equal(c.origin[1], 3); /* server.port is on line 3 */
    assert_string_equal(cfg_key_name(1), "server.port");
    cfg_free(&c);
}

static void test_every_key_from_env(void **state)
{
    (void)state;
    server_config c;
    char err[512];
    cfg_defaults(&c);
    if (cfg_apply_environ(&c, ALL_ENV, err, sizeof err) != 0)
        fail_msg("%s", err);
    check_all(&c);
    assert_null(c.source);
    for (unsigned k = 0; k < cfg_key_count(); k++) {
        if (c.origin[k] != CFG_FROM_ENV)
            fail_msg("ALL_ENV does not set %s", cfg_key_name(k));
        char en[96];
        cfg_key_env_name(k, en, sizeof en);
        int found = 0;
        for (char **e = ALL_ENV; *e; e++)
            found |= strncmp(*e, en, strlen(en)) == 0 && (*e)[strlen(en)] == '=';
        assert_true(found);
    }
    /* the environment wins over the file, key by key */
    char *some[] = {"NEUROQUANTUM_SERVER_PORT=7000", "NEUROQUANTUM_CORS_ALLOWED_ORIGINS=", NULL};
    assert_int_equal(cfg_apply_environ(&c, some, err, sizeof err), 0);
    assert_int_equal(c.server.port, 7000);
    assert_int_equal(c.cors.allowed_origins.n, 0); /* empty = empty list */
    assert_string_equal(c.server.host, "0.0.0.0");
    /* an empty optional string unsets it */
    char *unset[] = {"NEUROQUANTUM_SERVER_TLS_CA_FILE=", NULL};
    assert_int_equal(cfg_apply_environ(&c, unset, err, sizeof err), 0);
    assert_null(c.server.tls.ca_file);
    assert_int_equal(cfg_apply_environ(&c, NULL, err, sizeof err), 0);
    cfg_free(&c);
}

static void test_env_short_names(void **state)
{
    (void)state;
    server_config c;
    char err[512];
    char *env[] = {"NEUROQUANTUM_HOST=::", "NEUROQUANTUM_PORT=9000", "NEUROQUANTUM_JWT_SECRET=s",
                   "NEUROQUANTUM_REDIS_URL=redis://x", "NEUROQUANTUM_LOG_LEVEL=WARN",
                   "NEUROQUANTUM_LOG_FORMAT=Compact", "NEUROQUANTUM_MAX_PAYLOAD_SIZE=1024",
                   "NEUROQUANTUM_RATE_LIMIT=12", "NEUROQUANTUM_DATA_PATH=/d", NULL};
    cfg_defaults(&c);
    assert_int_equal(cfg_apply_environ(&c, env, err, sizeof err), 0);
    assert_string_equal(c.server.host, "::");
    assert_int_equal(c.server.port, 9000);
    assert_string_equal(c.jwt.secret, "s");
    assert_int_equal(c.redis.configured, 1);
    assert_string_equal(c.redis.url, "redis://x");
    assert_string_equal(c.logging.level, "warn");
    assert_string_equal(c.logging.format, "compact");
    assert_int_equal(c.security.max_payload_size, 1024);
    assert_int_equal(c.rate_limit.requests_per_hour, 12);
    assert_string_equal(c.database.data_path, "/d");
    assert_int_equal(c.origin[1], CFG_FROM_ENV_SHORT);
    assert_string_equal(cfg_key_short_env(1), "NEUROQUANTUM_PORT");
    assert_null(cfg_key_short_env(2));
    /* both names, same value: fine; different values: an error naming both */
    char *same[] = {"NEUROQUANTUM_PORT=9001", "NEUROQUANTUM_SERVER_PORT=9001", NULL};
    assert_int_equal(cfg_apply_environ(&c, same, err, sizeof err), 0);
    assert_int_equal(c.server.port, 9001);
    assert_int_equal(c.origin[1], CFG_FROM_ENV);
    char *diff[] = {"NEUROQUANTUM_SERVER_PORT=1", "NEUROQUANTUM_PORT=2", NULL};
    assert_int_equal(cfg_apply_environ(&c, diff, err, sizeof err), -1);
    assert_string_equal(err, "NEUROQUANTUM_SERVER_PORT and NEUROQUANTUM_PORT are both set, to different values: "
                             "set only one");
    /* a bad short value names the short variable */
    char *bad[] = {"NEUROQUANTUM_RATE_LIMIT=lots", NULL};
    assert_int_equal(cfg_apply_environ(&c, bad, err, sizeof err), -1);
    assert_string_equal(err, "NEUROQUANTUM_RATE_LIMIT: rate_limit.requests_per_hour: expected an integer "
                             "0..4294967295, got \"lots\"");
    cfg_free(&c);
}

#define ENV_ERR(var, want) env_err_at(__LINE__, (var), (want))
static void env_err_at(int tl, const char *var, const char *want)
{
    server_config c;
    char err[512];
    char *env[] = {(char *)var, NULL};
    cfg_defaults(&c);
    int rc = cfg_apply_environ(&c, env, err, sizeof err);
    cfg_free(&c);
    if (rc == 0)
        fail_msg("test line %d: accepted %s", tl, var);
    if (strcmp(err, want) != 0)
        fail_msg("test line %d:\n   got  %s\n   want %s", tl, err, want);
}

static void test_env_errors(void **state)
{
    (void)state;
    ENV_ERR("NEUROQUANTUM_SERVER_PORT=abc",
            "NEUROQUANTUM_SERVER_PORT: server.port: expected an integer 1..65535, got \"abc\"");
    ENV_ERR("NEUROQUANTUM_SERVER_PORT=0", "NEUROQUANTUM_SERVER_PORT: server.port: expected an integer 1..65535, got \"0\"");
    ENV_ERR("NEUROQUANTUM_SERVER_PORT=65536",
            "NEUROQUANTUM_SERVER_PORT: server.port: expected an integer 1..65535, got \"65536\"");
    ENV_ERR("NEUROQUANTUM_SERVER_PORT=", "NEUROQUANTUM_SERVER_PORT: server.port: expected an integer 1..65535, got \"\"");
    ENV_ERR("NEUROQUANTUM_SERVER_PORT= 80", "NEUROQUANTUM_SERVER_PORT: server.port: expected an integer 1..65535, got \" 80\"");
    ENV_ERR("NEUROQUANTUM_SECURITY_MAX_PAYLOAD_SIZE=99999999999999999999999",
            "NEUROQUANTUM_SECURITY_MAX_PAYLOAD_SIZE: security.max_payload_size: expected an integer 1..1073741824, "
            "got \"99999999999999999999999\"");
    ENV_ERR("NEUROQUANTUM_RATE_LIMIT_ENABLED=maybe",
            "NEUROQUANTUM_RATE_LIMIT_ENABLED: rate_limit.enabled: expected true or false, got \"maybe\"");
    ENV_ERR("NEUROQUANTUM_TRACING_SAMPLING_RATE=1.5",
            "NEUROQUANTUM_TRACING_SAMPLING_RATE: tracing.sampling_rate: expected a number 0..1, got \"1.5\"");
    ENV_ERR("NEUROQUANTUM_TRACING_SAMPLING_RATE=nan",
            "NEUROQUANTUM_TRACING_SAMPLING_RATE: tracing.sampling_rate: expected a number 0..1, got \"nan\"");
    ENV_ERR("NEUROQUANTUM_TRACING_SAMPLING_RATE=0.5x",
            "NEUROQUANTUM_TRACING_SAMPLING_RATE: tracing.sampling_rate: expected a number 0..1, got \"0.5x\"");
    ENV_ERR("NEUROQUANTUM_SERVER_PROT=1",
            "NEUROQUANTUM_SERVER_PROT: unknown configuration variable (did you mean NEUROQUANTUM_SERVER_PORT?) "
            "(NEUROQUANTUM_<SECTION>_<KEY> names a key of docs/configuration.md)");
    ENV_ERR("NEUROQUANTUM_LOG_LEVL=info",
            "NEUROQUANTUM_LOG_LEVL: unknown configuration variable (did you mean NEUROQUANTUM_LOG_LEVEL?) "
            "(NEUROQUANTUM_<SECTION>_<KEY> names a key of docs/configuration.md)");
    ENV_ERR("NEUROQUANTUM_SERVER_HOST=\xff", "NEUROQUANTUM_SERVER_HOST: server.host: the value is not valid UTF-8");
    ENV_ERR("NEUROQUANTUM_HOST=a\xc3", "NEUROQUANTUM_HOST: server.host: the value is not valid UTF-8");
    ENV_ERR("NEUROQUANTUM_REDIS_PASSWORD=x",
            "NEUROQUANTUM_REDIS_PASSWORD: unknown configuration variable "
            "(NEUROQUANTUM_<SECTION>_<KEY> names a key of docs/configuration.md)");
    {
        /* a name longer than any key is cut to 127 bytes in the message */
        char var[300], want[400];
        int n = snprintf(var, sizeof var, "NEUROQUANTUM_SERVER_");
        for (int k = 0; k < 200; k++)
            var[n++] = (char)('0' + k % 10);
        var[n] = '\0';
        snprintf(want, sizeof want, "%.127s: unknown configuration variable "
                 "(NEUROQUANTUM_<SECTION>_<KEY> names a key of docs/configuration.md)", var);
        strcat(var, "=1");
        env_err_at(__LINE__, var, want);
    }
    /* not configuration: left alone */
    server_config c;
    char err[256];
    char *other[] = {"NEUROQUANTUM_CONFIG=x", "NEUROQUANTUM_ENV=production", "NEUROQUANTUM_API_KEY=k",
                     "NEUROQUANTUM_ADMIN_KEY=k", "NEUROQUANTUM=1", "NEUROQUANTUM_SOMETHING_ELSE=1",
                     "NEUROQUANTUM_SERVER", "OTHER_SERVER_PORT=x", NULL};
    cfg_defaults(&c);
    assert_int_equal(cfg_apply_environ(&c, other, err, sizeof err), 0);
    for (unsigned k = 0; k < cfg_key_count(); k++)
        assert_int_equal(c.origin[k], CFG_FROM_DEFAULT);
    cfg_free(&c);
}

static void test_file_errors(void **state)
{
    (void)state;
    PARSE_ERR("[server]\nport = \"abc\"", "t.toml:2: server.port: expected an integer 1..65535, got \"abc\"");
    PARSE_ERR("[server]\nport = 0", "t.toml:2: server.port: expected an integer 1..65535, got 0");
    PARSE_ERR("[server]\nport = -1", "t.toml:2: server.port: expected an integer 1..65535, got -1");
    PARSE_ERR("[server]\nport = 70_000", "t.toml:2: server.port: expected an integer 1..65535, got 70_000");
    PARSE_ERR("[server]\nport = 80.0", "t.toml:2: server.port: expected an integer 1..65535, got 80.0");
    PARSE_ERR("[server]\n\nhost = 1", "t.toml:3: server.host: expected a string, got 1");
    PARSE_ERR("[jwt]\nquantum_enabled = \"true\"", "t.toml:2: jwt.quantum_enabled: expected true or false, got \"true\"");
    PARSE_ERR("[cors]\nallowed_origins = \"*\"",
              "t.toml:2: cors.allowed_origins: expected an array of strings, got \"*\"");
    PARSE_ERR("[cors]\nallowed_origins = [\"a\", 2]",
              "t.toml:2: cors.allowed_origins: expected an array of strings, element 2 is 2");
    PARSE_ERR("[tracing]\nsampling_rate = 2", "t.toml:2: tracing.sampling_rate: expected a number 0..1, got 2");
    PARSE_ERR("[tracing]\nsampling_rate = \"0.5\"",
              "t.toml:2: tracing.sampling_rate: expected a number 0..1, got \"0.5\"");
    PARSE_ERR("[tracing]\nsampling_rate = nan", "t.toml:2: tracing.sampling_rate: expected a number 0..1, got nan");
    PARSE_ERR("[security]\nmax_payload_size = 0",
              "t.toml:2: security.max_payload_size: expected an integer 1..1073741824, got 0");
    PARSE_ERR("[server.port]\nx = 1", "t.toml:1: server.port: expected an integer 1..65535, got a table");
    PARSE_ERR("server = 1", "t.toml:1: server: expected a table, got 1");
    PARSE_ERR("[server]\nprot = 8080", "t.toml:2: unknown key server.prot (did you mean server.port?)");
    PARSE_ERR("[sever]\nport = 8080", "t.toml:1: unknown table [sever] (did you mean [server]?)");
    PARSE_ERR("[quantum.grover]\nx = 1",
              "t.toml:1: unknown table [quantum]: an upstream setting that this server does not use; remove it");
    PARSE_ERR("[buffer_pool]\nsize = 1",
              "t.toml:1: unknown table [buffer_pool]: an upstream setting that this server does not use; remove it");
    PARSE_ERR("[jwt]\nrotation_interval_days = 30",
              "t.toml:2: unknown key jwt.rotation_interval_days: an upstream setting that this server does not use; "
              "remove it");
    PARSE_ERR("[security.encryption]\nproduction_mode = true",
              "t.toml:1: unknown table [security.encryption]: an upstream setting that this server does not use; "
              "remove it");
    PARSE_ERR("[tracing]\nresource_attributes = \"env=prod\"",
              "t.toml:2: unknown key tracing.resource_attributes: an upstream setting that this server does not use; "
              "remove it");
    PARSE_ERR("[server]\nfrobnicate = 1", "t.toml:2: unknown key server.frobnicate");
    PARSE_ERR("port = 1", "t.toml:1: unknown key port");
    PARSE_ERR("[server]\nport = 1\nport = 2", "t.toml:3:1: duplicate key server.port (first defined at line 2)");
    PARSE_ERR("[server]\nport 1", "t.toml:2:6: expected '=' after the key server.port, got '1'");
    PARSE_ERR("[server]\nhost = \"\"\"x\"\"\"", "t.toml:2:8: not supported yet: multi-line strings (\"\"\")");
    /* a long value is cut in the message */
    PARSE_ERR("[server]\nport = \"0123456789012345678901234567890123456789012345678901234567890123456789\"",
              "t.toml:2: server.port: expected an integer 1..65535, got "
              "\"01234567890123456789012345678901234567890123456789012345...");
    /* a multi-line value is shown on one line; a cut never splits a character */
    PARSE_ERR("[server]\nhost = [\n  \"a\",\n  \"b\"\n]", "t.toml:2: server.host: expected a string, got [ \"a\", \"b\" ]");
    {
        char text[200] = "[server]\nport = \"x", want[300] = "t.toml:2: server.port: expected an integer 1..65535, got \"x";
        for (int k = 0; k < 40; k++)
            strcat(text, "\xC3\xA9");
        strcat(text, "\"");
        for (int k = 0; k < 27; k++)
            strcat(want, "\xC3\xA9");
        strcat(want, "...");
        parse_err_at(__LINE__, text, want);
    }
    ENV_ERR("NEUROQUANTUM_TRACING_SAMPLING_RATE= 0.5",
            "NEUROQUANTUM_TRACING_SAMPLING_RATE: tracing.sampling_rate: expected a number 0..1, got \" 0.5\"");
    /* the name defaults to <string> */
    server_config c;
    char err[256];
    cfg_defaults(&c);
    assert_int_equal(cfg_parse_string(&c, "x = 1", 5, NULL, err, sizeof err), -1);
    assert_string_equal(err, "<string>:1: unknown key x");
    /* an error leaves the struct freeable; a tiny err buffer is still terminated */
    assert_int_equal(cfg_parse_string(&c, "[server]\nport = 0", 17, "f", err, 4), -1);
    assert_string_equal(err, "f:2");
    assert_int_equal(cfg_parse_string(&c, "[server]\nport = 0", 17, "f", NULL, 0), -1);
    cfg_free(&c);
    /* [redis] alone, even empty, configures Redis with its defaults */
    cfg_defaults(&c);
    assert_int_equal(cfg_parse_string(&c, "[redis]\n", 8, "f", err, sizeof err), 0);
    assert_int_equal(c.redis.configured, 1);
    assert_int_equal(cfg_validate(&c, err, sizeof err), 0);
    cfg_free(&c);
    /* the same key through a dotted key or an inline table */
    cfg_defaults(&c);
    assert_int_equal(cfg_parse_string(&c, "server.port = 1234\nsecurity = { circuit_breaker = { enabled = false } }",
                                      strlen("server.port = 1234\nsecurity = { circuit_breaker = { enabled = false } }"),
                                      "f", err, sizeof err),
                     0);
    assert_int_equal(c.server.port, 1234);
    assert_int_equal(c.security.circuit_breaker.enabled, 0);
    cfg_free(&c);
}

static void test_validation(void **state)
{
    (void)state;
    VALID("");
    VALID("[jwt]\nsecret = \"0123456789abcdef0123456789abcdef\"");
    INVALID("[jwt]\nsecret = \"short\"", "t.toml:2: jwt.secret: must be at least 32 bytes (got 5)");
    INVALID("[jwt]\nsecret = \"your-super-secret-jwt-key-change-this-in-production\"",
            "t.toml:2: jwt.secret: is a published placeholder secret; generate one with `nqdb generate-jwt-secret` "
            "(or leave it empty to use the data directory's secret file)");
    static const char *const placeholders[] = {
        "CHANGE_THIS_IMMEDIATELY_USE_openssl_rand_base64_48_MINIMUM_32_CHARS",
        "CHANGE_THIS_IN_PRODUCTION_neuroquantum_secret_key_32_chars_min",
        "dev_secret_key_min_32_chars_1234567890abcdef",
        "dev-secret-key-32-characters-long!",
        "REPLACE_ME_WITH_SECURE_SECRET_VIA_ENV_VAR",
    };
    for (unsigned j = 0; j < sizeof placeholders / sizeof placeholders[0]; j++) {
        char text[200], want[300];
        snprintf(text, sizeof text, "[jwt]\nsecret = \"%s\"", placeholders[j]);
        snprintf(want, sizeof want, "t.toml:2: jwt.secret: is a published placeholder secret; generate one with "
                                    "`nqdb generate-jwt-secret` (or leave it empty to use the data directory's "
                                    "secret file)");
        INVALID(text, want);
    }
    INVALID("[jwt]\nsecret = \"please-change-this-secret-0123456789abcdef\"",
            "t.toml:2: jwt.secret: looks like a placeholder (\"change this\" / \"replace me\"); generate one with "
            "`nqdb generate-jwt-secret`");
    INVALID("[jwt]\nalgorithm = \"RS256\"", "t.toml:2: jwt.algorithm: not supported yet: jwt.algorithm = RS256 (HS256, ML-DSA-65 or ML-DSA-87)");
    INVALID("[jwt]\nalgorithm = \"ML-DSA-44\"",
            "t.toml:2: jwt.algorithm: not supported yet: jwt.algorithm = ML-DSA-44 (HS256, ML-DSA-65 or ML-DSA-87)");
    VALID("[jwt]\nalgorithm = \"ML-DSA-65\"");
    VALID("[jwt]\nalgorithm = \"ML-DSA-87\"");
    INVALID("[jwt]\nalgorithm = \"ml-dsa-65\"",
            "t.toml:2: jwt.algorithm: unknown algorithm \"ml-dsa-65\" (expected HS256, ML-DSA-65 or ML-DSA-87)");
    INVALID("[jwt]\nalgorithm = \"none\"", "t.toml:2: jwt.algorithm: unknown algorithm \"none\" (expected HS256, ML-DSA-65 or ML-DSA-87)");
    INVALID("[jwt]\nissuer = \"\"", "t.toml:2: jwt.issuer: must not be empty");
    VALID("[passwords]\nargon2_memory_kib = 1024\nargon2_iterations = 64\nargon2_parallelism = 16");
    PARSE_ERR("[passwords]\nargon2_memory_kib = 1023",
            "t.toml:2: passwords.argon2_memory_kib: expected an integer 1024..4194304, got 1023");
    PARSE_ERR("[passwords]\nargon2_iterations = 0",
            "t.toml:2: passwords.argon2_iterations: expected an integer 1..64, got 0");
    PARSE_ERR("[passwords]\nargon2_parallelism = 17",
            "t.toml:2: passwords.argon2_parallelism: expected an integer 1..16, got 17");
    INVALID("[jwt]\naudience = \"\"", "t.toml:2: jwt.audience: must not be empty");
    INVALID("[jwt]\nexpiration_hours = 100\nrefresh_expiration_hours = 10",
            "t.toml:3: jwt.refresh_expiration_hours: must be at least jwt.expiration_hours (100), got 10");
    INVALID("[rate_limit]\nstrategy = \"SlidingWindow\"",
            "t.toml:2: rate_limit.strategy: not supported yet: rate_limit.strategy = SlidingWindow");
    INVALID("[rate_limit]\nstrategy = \"FixedWindow\"",
            "t.toml:2: rate_limit.strategy: not supported yet: rate_limit.strategy = FixedWindow");
    INVALID("[rate_limit]\nstrategy = \"Leaky\"",
            "t.toml:2: rate_limit.strategy: unknown strategy \"Leaky\" (expected TokenBucket)");
    VALID("[database]\ndefault_isolation = \"SERIALIZABLE\"");
    VALID("[database]\ndefault_isolation = \"repeatable_read\"");
    VALID("[database]\ndefault_isolation = \"Read Uncommitted\"");
    INVALID("[database]\ndefault_isolation = \"snapshot\"",
            "t.toml:2: database.default_isolation: expected read committed, repeatable read or "
            "serializable (read uncommitted runs as read committed), got \"snapshot\"");
    INVALID("[rate_limit]\nrequests_per_hour = 0",
            "t.toml:2: rate_limit.requests_per_hour: must be greater than 0 when rate_limit.enabled = true");
    VALID("[rate_limit]\nrequests_per_hour = 0\nenabled = false");
    INVALID("[logging]\nlevel = \"verbose\"",
            "t.toml:2: logging.level: expected one of trace, debug, info, warn, error, got \"verbose\"");
    INVALID("[logging]\nformat = \"xml\"", "t.toml:2: logging.format: expected one of json, plain, compact, got \"xml\"");
    VALID("[logging]\nformat = \"Json\"\nlevel = \"TRACE\"");
    VALID("[logging]\nformat = \"COMPACT\"\nlevel = \"Error\"");
    INVALID("[redis]\nurl = \"http://x\"",
            "t.toml:2: redis.url: expected redis://host[:port][/db] or unix:///path, got \"http://x\"");
    INVALID("[redis]\nurl = \"rediss://x:6380\"", "t.toml:2: redis.url: not supported yet: rediss:// (Redis over TLS)");
    INVALID("[redis]\nurl = \"redis://\"", "t.toml:2: redis.url: missing host in \"redis://\"");
    INVALID("[redis]\nurl = \"redis://h:\"", "t.toml:2: redis.url: missing port after ':' in \"redis://h:\"");
    INVALID("[redis]\nurl = \"redis://h:99999\"", "t.toml:2: redis.url: port must be 1..65535 in \"redis://h:99999\"");
    INVALID("[redis]\nurl = \"redis://h:0\"", "t.toml:2: redis.url: port must be 1..65535 in \"redis://h:0\"");
    INVALID("[redis]\nurl = \"redis://h/x\"",
            "t.toml:2: redis.url: the database after '/' must be a number in \"redis://h/x\"");
    INVALID("[redis]\nurl = \"unix://relative\"", "t.toml:2: redis.url: expected unix:///absolute/path, got \"unix://relative\"");
    INVALID("[redis]\nurl = \"redis://[::1\"", "t.toml:2: redis.url: bad host in \"redis://[::1\"");
    INVALID("[redis]\nurl = \"redis://[::1]x\"", "t.toml:2: redis.url: bad host in \"redis://[::1]x\"");
    VALID("[redis]\nurl = \"redis://user:pw@host:6379/3\"");
    VALID("[redis]\nurl = \"redis://[::1]:6379\"");
    VALID("[redis]\nurl = \"redis://h/\"");
    VALID("[redis]\nurl = \"unix:///run/redis.sock\"");
    VALID("[redis]\nurl = \"unix:///run/redis.sock?db=3\"");
    VALID("[redis]\nurl = \"redis://:pw@h\"");
    INVALID("[redis]\nurl = \"unix:///run/redis.sock?timeout=3\"",
            "t.toml:2: redis.url: the only option of a unix:// URL is ?db=N, got \"unix:///run/redis.sock?timeout=3\"");
    INVALID("[redis]\nurl = \"unix:///\"", "t.toml:2: redis.url: expected unix:///absolute/path, got \"unix:///\"");
    INVALID("[redis]\nurl = \"redis://token@h\"",
            "t.toml:2: redis.url: credentials must be written [user]:password@ in \"redis://token@h\"");
    INVALID("[redis]\nurl = \"redis://[]:1\"", "t.toml:2: redis.url: bad host in \"redis://[]:1\"");
    INVALID("[redis]\nurl = \"redis://h/1000001\"",
            "t.toml:2: redis.url: the database after '/' must be a number in \"redis://h/1000001\"");
    INVALID("[tracing]\nenabled = true", "t.toml:2: tracing.enabled: not supported yet: tracing (OpenTelemetry export)");
    INVALID("[security]\nadmin_ip_whitelist = [\"127.0.0.1\", \"localhost\"]",
            "t.toml:2: security.admin_ip_whitelist: \"localhost\" is not an IP address or CIDR range");
    INVALID("[security]\ntrusted_proxies = [\"10.0.0.0/33\"]",
            "t.toml:2: security.trusted_proxies: \"10.0.0.0/33\" is not an IP address or CIDR range");
    INVALID("[security]\ntrusted_proxies = [\"::/129\"]",
            "t.toml:2: security.trusted_proxies: \"::/129\" is not an IP address or CIDR range");
    INVALID("[security]\ntrusted_proxies = [\"10.0.0.0/\"]",
            "t.toml:2: security.trusted_proxies: \"10.0.0.0/\" is not an IP address or CIDR range");
    INVALID("[security]\ntrusted_proxies = [\"10.0.0.0/8x\"]",
            "t.toml:2: security.trusted_proxies: \"10.0.0.0/8x\" is not an IP address or CIDR range");
    VALID("[security]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\", \"fe80::/10\", \"0.0.0.0/0\"]");
    INVALID("[cors]\nallowed_origins = [\"*\"]",
            "t.toml:2: cors.allowed_origins: \"*\" cannot be combined with cors.allow_credentials = true");
    VALID("[cors]\nallowed_origins = [\"*\"]\nallow_credentials = false");
    INVALID("[cors]\nallowed_origins = [\"https://x.example/path\"]",
            "t.toml:2: cors.allowed_origins: \"https://x.example/path\" is not an origin (expected \"*\" or "
            "http[s]://host[:port] without a path)");
    INVALID("[cors]\nallowed_origins = [\"x.example\"]",
            "t.toml:2: cors.allowed_origins: \"x.example\" is not an origin (expected \"*\" or "
            "http[s]://host[:port] without a path)");
    INVALID("[cors]\nallowed_methods = [\"GET POST\"]", "t.toml:2: cors.allowed_methods: \"GET POST\" is not an HTTP method");
    INVALID("[cors]\nallowed_headers = [\"X:Y\"]", "t.toml:2: cors.allowed_headers: \"X:Y\" is not a header name");
    INVALID("[cors]\nexpose_headers = [\"\"]", "t.toml:2: cors.expose_headers: \"\" is not a header name");
    INVALID("[monitoring]\nprometheus_endpoint = \"metrics\"",
            "t.toml:2: monitoring.prometheus_endpoint: must be a path starting with '/', got \"metrics\"");
    INVALID("[monitoring]\nhealth_check_endpoint = \"\"",
            "t.toml:2: monitoring.health_check_endpoint: must be a path starting with '/', got \"\"");
    INVALID("[websocket]\nheartbeat_timeout_seconds = 30",
            "t.toml:2: websocket.heartbeat_timeout_seconds: must be greater than websocket.heartbeat_interval_seconds "
            "(30), got 30");
    INVALID("[websocket]\nbatch_size = 2000",
            "t.toml:2: websocket.batch_size: must not exceed websocket.max_buffered_messages (1000), got 2000");
    INVALID("[server]\nhost = \"\"", "t.toml:2: server.host: expected an IP address or a host name, got \"\"");
    INVALID("[server]\nhost = \"http://0.0.0.0\"",
            "t.toml:2: server.host: expected an IP address or a host name, got \"http://0.0.0.0\"");
    INVALID("[server]\nhost = \"0.0.0.0:8080\"",
            "t.toml:2: server.host: expected an IP address or a host name, got \"0.0.0.0:8080\"");
    INVALID("[server]\nhost = \"a..b\"", "t.toml:2: server.host: expected an IP address or a host name, got \"a..b\"");
    INVALID("[server]\nhost = \"-a.b\"", "t.toml:2: server.host: expected an IP address or a host name, got \"-a.b\"");
    INVALID("[server]\nhost = \"a-.b\"", "t.toml:2: server.host: expected an IP address or a host name, got \"a-.b\"");
    INVALID("[server]\nhost = \"[::1]\"", "t.toml:2: server.host: expected an IP address or a host name, got \"[::1]\"");
    INVALID("[server]\nhost = \"0123456789012345678901234567890123456789012345678901234567890123.x\"",
            "t.toml:2: server.host: expected an IP address or a host name, got "
            "\"0123456789012345678901234567890123456789012345678901234567890123.x\"");
    VALID("[server]\nhost = \"::\"");
    VALID("[server]\nhost = \"fe80::1\"");
    VALID("[server]\nhost = \"localhost\"");
    VALID("[server]\nhost = \"db-1.example.com\"");
    INVALID("[database]\ndata_path = \"\"", "t.toml:2: database.data_path: must not be empty");
    INVALID("[server.tls]\ncert_file = \"c.pem\"", "t.toml:2: server.tls.cert_file: server.tls.key_file is required with it");
    INVALID("[server.tls]\n\nkey_file = \"k.pem\"", "t.toml:3: server.tls.key_file: server.tls.cert_file is required with it");
    INVALID("[server.tls]\nca_file = \"ca.pem\"",
            "t.toml:2: server.tls.ca_file: needs server.tls.cert_file and key_file");
    INVALID("[server.tls]\ncert_file = \"/nonexistent/c.pem\"\nkey_file = \"/nonexistent/k.pem\"",
            "t.toml:2: server.tls.cert_file: cannot read /nonexistent/c.pem: No such file or directory");
    /* an empty optional string in the file means unset */
    VALID("[server.tls]\ncert_file = \"\"\nkey_file = \"\"");
    /* errors found by validation name the variable when the value came from the environment */
    server_config c;
    char err[512];
    char *env[] = {"NEUROQUANTUM_JWT_ALGORITHM=ES256", NULL};
    cfg_defaults(&c);
    assert_int_equal(cfg_apply_environ(&c, env, err, sizeof err), 0);
    assert_int_equal(cfg_validate(&c, err, sizeof err), -1);
    assert_string_equal(err, "NEUROQUANTUM_JWT_ALGORITHM: jwt.algorithm: not supported yet: jwt.algorithm = ES256 "
                             "(HS256, ML-DSA-65 or ML-DSA-87)");
    cfg_free(&c);
    char *env2[] = {"NEUROQUANTUM_LOG_LEVEL=loud", NULL};
    cfg_defaults(&c);
    assert_int_equal(cfg_apply_environ(&c, env2, err, sizeof err), 0);
    assert_int_equal(cfg_validate(&c, err, sizeof err), -1);
    assert_string_equal(err, "NEUROQUANTUM_LOG_LEVEL: logging.level: expected one of trace, debug, info, warn, error, "
                             "got \"loud\"");
    cfg_free(&c);
    /* a struct filled in by hand is range-checked too */
    cfg_defaults(&c);
    c.server.port = 0;
    assert_int_equal(cfg_validate(&c, err, sizeof err), -1);
    assert_string_equal(err, "server.port: expected an integer 1..65535, got 0");
    c.server.port = 80;
    c.tracing.sampling_rate = -1;
    assert_int_equal(cfg_validate(&c, err, sizeof err), -1);
    assert_string_equal(err, "tracing.sampling_rate: expected a number 0..1, got -1");
    c.tracing.sampling_rate = 0.5;
    char *host = c.server.host;
    c.server.host = NULL;
    assert_int_equal(cfg_validate(&c, err, sizeof err), -1);
    assert_string_equal(err, "server.host: missing value");
    c.server.host = host;
    assert_int_equal(cfg_validate(&c, err, sizeof err), 0);
    cfg_free(&c);
}

static void test_set(void **state)
{
    (void)state;
    server_config c;
    char err[256];
    cfg_defaults(&c);
    assert_int_equal(cfg_set(&c, "server.port", "9000", err, sizeof err), 0);
    assert_int_equal(c.server.port, 9000);
    assert_int_equal(c.origin[1], CFG_FROM_SET);
    assert_int_equal(cfg_set(&c, "database.data_path", "/srv/nq", err, sizeof err), 0);
    assert_string_equal(c.database.data_path, "/srv/nq");
    assert_int_equal(cfg_set(&c, "security.trusted_proxies", "10.0.0.1, 10.0.0.2", err, sizeof err), 0);
    assert_list(&c.security.trusted_proxies, 2, "10.0.0.1", "10.0.0.2");
    assert_int_equal(cfg_set(&c, "redis.pool_size", "3", err, sizeof err), 0);
    assert_int_equal(c.redis.configured, 1);
    assert_int_equal(cfg_set(&c, "server.port", "http", err, sizeof err), -1);
    assert_string_equal(err, "server.port: expected an integer 1..65535, got \"http\"");
    assert_int_equal(cfg_set(&c, "server.prot", "1", err, sizeof err), -1);
    assert_string_equal(err, "server.prot: unknown configuration key (did you mean server.port?)");
    assert_int_equal(cfg_set(&c, "server.host", "\xff", err, sizeof err), -1);
    assert_string_equal(err, "server.host: the value is not valid UTF-8");
    assert_int_equal(cfg_set(&c, NULL, "1", err, sizeof err), -1);
    assert_int_equal(cfg_set(&c, "server.tls.ca_file", NULL, err, sizeof err), 0);
    assert_null(c.server.tls.ca_file);
    /* validation names the command line as the origin; the dump shows it */
    assert_int_equal(cfg_set(&c, "logging.level", "chatty", err, sizeof err), 0);
    assert_int_equal(cfg_validate(&c, err, sizeof err), -1);
    assert_string_equal(err, "logging.level (command line): expected one of trace, debug, info, warn, error, got \"chatty\"");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cfg_dump(&c, f);
    fclose(f);
    assert_non_null(strstr(buf, "port = 9000  # command line\n"));
    free(buf);
    cfg_free(&c);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_tls_files(void **state)
{
    (void)state;
    write_file("test_cert.pem", "not really a certificate: only readability is checked here\n");
    write_file("test_key.pem", "key\n");
    VALID("[server.tls]\ncert_file = \"test_cert.pem\"\nkey_file = \"test_key.pem\"");
    VALID("[server.tls]\ncert_file = \"test_cert.pem\"\nkey_file = \"test_key.pem\"\nca_file = \"test_cert.pem\"");
    INVALID("[server.tls]\ncert_file = \"test_cert.pem\"\nkey_file = \"test_missing.pem\"",
            "t.toml:3: server.tls.key_file: cannot read test_missing.pem: No such file or directory");
    INVALID("[server.tls]\ncert_file = \"test_cert.pem\"\nkey_file = \"test_key.pem\"\nca_file = \"nope.pem\"",
            "t.toml:4: server.tls.ca_file: cannot read nope.pem: No such file or directory");
    remove("test_cert.pem");
    remove("test_key.pem");
}

static void load_example(const char *rel, server_config *c)
{
    char path[1024], err[512];
    src_path(rel, path, sizeof path);
    clear_env();
    if (cfg_load(c, path, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    assert_string_equal(c->source, path);
}

static void test_examples(void **state)
{
    (void)state;
    server_config c;
    char err[512];
    load_example("config/dev.toml", &c);
    assert_string_equal(c.server.host, "127.0.0.1");
    assert_string_equal(c.logging.level, "debug");
    assert_string_equal(c.logging.format, "plain");
    assert_int_equal(c.redis.configured, 0);
    assert_string_equal(c.jwt.secret, "");
    cfg_free(&c);
    load_example("config/prod.toml", &c);
    assert_string_equal(c.server.host, "0.0.0.0");
    assert_int_equal(c.redis.configured, 1);
    assert_int_equal(c.security.max_payload_size, 8388608);
    assert_list(&c.security.trusted_proxies, 1, "10.0.0.0/8");
    assert_null(c.server.tls.cert_file);
    assert_string_equal(c.jwt.secret, "");
    cfg_free(&c);
    /* cfg_load: the environment applies over the file, and NEUROQUANTUM_CONFIG names the file */
    char path[1024];
    src_path("config/prod.toml", path, sizeof path);
    clear_env();
    setenv("NEUROQUANTUM_CONFIG", path, 1);
    setenv("NEUROQUANTUM_PORT", "9999", 1);
    setenv("NEUROQUANTUM_JWT_SECRET", "an-env-secret-that-is-long-enough-0123456789", 1);
    assert_int_equal(cfg_load(&c, NULL, err, sizeof err), 0);
    assert_string_equal(c.source, path);
    assert_int_equal(c.server.port, 9999);
    assert_string_equal(c.jwt.secret, "an-env-secret-that-is-long-enough-0123456789");
    assert_int_equal(c.jwt.expiration_hours, 8); /* from the file */
    cfg_free(&c);
    /* the environment is validated too */
    setenv("NEUROQUANTUM_JWT_SECRET", "too-short", 1);
    assert_int_equal(cfg_load(&c, NULL, err, sizeof err), -1);
    assert_string_equal(err, "NEUROQUANTUM_JWT_SECRET: jwt.secret: must be at least 32 bytes (got 9)");
    cfg_free(&c);
    clear_env();
    setenv("NEUROQUANTUM_CONFIG", path, 1);
    setenv("NEUROQUANTUM_SERVER_PORT", "x", 1);
    assert_int_equal(cfg_load(&c, NULL, err, sizeof err), -1);
    assert_string_equal(err, "NEUROQUANTUM_SERVER_PORT: server.port: expected an integer 1..65535, got \"x\"");
    cfg_free(&c);
    clear_env();
    /* no file at all: defaults + environment */
    setenv("NEUROQUANTUM_SERVER_WORKERS", "4", 1);
    assert_int_equal(cfg_load(&c, NULL, err, sizeof err), 0);
    assert_null(c.source);
    assert_int_equal(c.server.workers, 4);
    cfg_free(&c);
    clear_env();
    /* the path argument wins over NEUROQUANTUM_CONFIG */
    setenv("NEUROQUANTUM_CONFIG", "no-such.toml", 1);
    assert_int_equal(cfg_load(&c, path, err, sizeof err), 0);
    assert_string_equal(c.source, path);
    cfg_free(&c);
    setenv("NEUROQUANTUM_CONFIG", "", 1); /* empty: no file */
    assert_int_equal(cfg_load(&c, NULL, err, sizeof err), 0);
    assert_null(c.source);
    cfg_free(&c);
    clear_env();
    /* a missing file, a file with an error */
    assert_int_equal(cfg_load(&c, "no-such.toml", err, sizeof err), -1);
    assert_string_equal(err, "no-such.toml: cannot open the configuration file: No such file or directory");
    cfg_free(&c);
    write_file("bad.toml", "# comment\n[server]\nport = 99999\n");
    assert_int_equal(cfg_load(&c, "bad.toml", err, sizeof err), -1);
    assert_string_equal(err, "bad.toml:3: server.port: expected an integer 1..65535, got 99999");
    /* a failed load has freed everything already (the sanitizer build checks for leaks) */
    assert_null(c.server.host);
    assert_null(c.source);
    assert_int_equal(c.cors.allowed_origins.n, 0);
    remove("bad.toml");
    /* a file too large to be a configuration */
    FILE *f = fopen("big.toml", "w");
    assert_non_null(f);
    for (int k = 0; k < 70000; k++)
        fputs("# padding padding\n", f);
    fclose(f);
    assert_int_equal(cfg_load(&c, "big.toml", err, sizeof err), -1);
    assert_string_equal(err, "big.toml: the configuration file is larger than 1048576 bytes");
    cfg_free(&c);
    remove("big.toml");
}

static char *dump_to_string(const server_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cfg_dump(c, f);
    fclose(f);
    return buf;
}

/* The dump without comments, so that two dumps of the same values compare equal whatever
 * their origins. */
static void strip_comments(char *s)
{
    char *o = s;
    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char *hash = NULL;
        int inq = 0;
        for (size_t k = 0; k < n; k++) {
            if (line[k] == '"' && (k == 0 || line[k - 1] != '\\'))
                inq = !inq;
            if (line[k] == '#' && !inq) {
                hash = line + k;
                break;
            }
        }
        size_t keep = hash ? (size_t)(hash - line) : n;
        while (keep && line[keep - 1] == ' ')
            keep--;
        if (keep) {
            memmove(o, line, keep);
            o += keep;
            *o++ = '\n';
        }
        line += n + (nl ? 1 : 0);
    }
    *o = '\0';
}

static void test_dump(void **state)
{
    (void)state;
    server_config a, b;
    char err[512];
    /* every key set (secret left out: it is masked), dumped and read back */
    assert_int_equal(parse(&a, ALL_TOML, err, sizeof err), 0);
    free(a.jwt.secret);
    a.jwt.secret = strdup("");
    char *d1 = dump_to_string(&a);
    assert_non_null(strstr(d1, "port = 9443  # t.toml:3\n"));
    assert_non_null(strstr(d1, "[security.circuit_breaker]\n"));
    assert_non_null(strstr(d1, "trusted_proxies = [\"192.168.1.1\", \"fd00::/8\"]"));
    assert_non_null(strstr(d1, "sampling_rate = 0.5"));
    cfg_defaults(&b);
    if (cfg_parse_string(&b, d1, strlen(d1), "dump", err, sizeof err) != 0)
        fail_msg("%s\n%s", err, d1);
    char *d2 = dump_to_string(&b);
    strip_comments(d1);
    strip_comments(d2);
    assert_string_equal(d1, d2);
    free(d1);
    free(d2);
    cfg_free(&a);
    cfg_free(&b);
    /* defaults: Redis not configured, unset optional keys as comments, the env origin shown */
    cfg_defaults(&a);
    char *env[] = {"NEUROQUANTUM_PORT=8081", "NEUROQUANTUM_SERVER_WORKERS=2", NULL};
    assert_int_equal(cfg_apply_environ(&a, env, err, sizeof err), 0);
    d1 = dump_to_string(&a);
    assert_non_null(strstr(d1, "# [redis] not configured\n"));
    assert_null(strstr(d1, "pool_size"));
    assert_non_null(strstr(d1, "# cert_file not set\n"));
    assert_non_null(strstr(d1, "port = 8081  # NEUROQUANTUM_PORT\n"));
    assert_non_null(strstr(d1, "workers = 2  # NEUROQUANTUM_SERVER_WORKERS\n"));
    assert_non_null(strstr(d1, "secret = \"\"\n"));
    assert_non_null(strstr(d1, "sampling_rate = 0.10000000000000001\n"));
    cfg_defaults(&b);
    assert_int_equal(cfg_parse_string(&b, d1, strlen(d1), "dump", err, sizeof err), 0);
    assert_int_equal(b.redis.configured, 0);
    assert_int_equal(b.server.port, 8081);
    assert_true(b.tracing.sampling_rate == 0.1);
    free(d1);
    cfg_free(&a);
    cfg_free(&b);
    /* secrets masked; strings escaped */
    cfg_defaults(&a);
    char *sec[] = {"NEUROQUANTUM_JWT_SECRET=super-secret-value-0123456789abcdef",
                   "NEUROQUANTUM_REDIS_URL=redis://user:hunter2@cache:6379/1",
                   "NEUROQUANTUM_JWT_ISSUER=a\"b\\c\td\x01\n\xE2\x82\xAC\xF0\x9F\x98\x80",
                   "NEUROQUANTUM_TRACING_SAMPLING_RATE=1", NULL};
    assert_int_equal(cfg_apply_environ(&a, sec, err, sizeof err), 0);
    d1 = dump_to_string(&a);
    assert_null(strstr(d1, "super-secret"));
    assert_null(strstr(d1, "hunter2"));
    assert_non_null(strstr(d1, "secret = \"***\""));
    assert_non_null(strstr(d1, "url = \"redis://user:***@cache:6379/1\""));
    assert_non_null(strstr(d1, "issuer = \"a\\\"b\\\\c\\td\\u0001\\n\xE2\x82\xAC\xF0\x9F\x98\x80\""));
    assert_non_null(strstr(d1, "sampling_rate = 1.0  # NEUROQUANTUM_TRACING_SAMPLING_RATE\n"));
    cfg_defaults(&b);
    assert_int_equal(cfg_parse_string(&b, d1, strlen(d1), "dump", err, sizeof err), 0);
    assert_string_equal(b.jwt.issuer, "a\"b\\c\td\x01\n\xE2\x82\xAC\xF0\x9F\x98\x80");
    assert_true(b.tracing.sampling_rate == 1.0);
    free(d1);
    cfg_free(&b);
    char *tok[] = {"NEUROQUANTUM_REDIS_URL=redis://token@cache", NULL};
    assert_int_equal(cfg_apply_environ(&a, tok, err, sizeof err), 0);
    d1 = dump_to_string(&a);
    assert_non_null(strstr(d1, "url = \"redis://***@cache\""));
    free(d1);
    cfg_free(&a);
}

/* docs/configuration.md documents every key and every environment variable. */
static void test_docs(void **state)
{
    (void)state;
    char path[1024];
    src_path("docs/configuration.md", path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    for (unsigned k = 0; k < cfg_key_count(); k++) {
        char want[128], en[96];
        const char *name = cfg_key_name(k), *dot = strrchr(name, '.');
        /* the key appears in its section's table as `key` and its variable is named */
        snprintf(want, sizeof want, "`%s`", dot + 1);
        if (!strstr(doc, want))
            fail_msg("docs/configuration.md does not mention %s", want);
        cfg_key_env_name(k, en, sizeof en);
        if (!strstr(doc, en))
            fail_msg("docs/configuration.md does not mention %s", en);
        if (cfg_key_short_env(k) && !strstr(doc, cfg_key_short_env(k)))
            fail_msg("docs/configuration.md does not mention %s", cfg_key_short_env(k));
    }
    assert_null(cfg_key_name(cfg_key_count()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key_from_file),
        cmocka_unit_test(test_every_key_from_env),
        cmocka_unit_test(test_env_short_names),
        cmocka_unit_test(test_env_errors),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_tls_files),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
