/*
 * config.h — the server's configuration: a TOML file with the upstream section and key names
 * (docs/configuration.md lists every key), environment overrides NEUROQUANTUM_*, validation.
 *
 * Load order (cfg_load): built-in defaults; then the file (the path argument, else the
 * environment variable NEUROQUANTUM_CONFIG, else no file); then the environment overrides,
 * which always apply, also when a file was given; then validation. The first problem stops
 * the load with one message that names where it comes from, the key and the reason:
 *     config/prod.toml:12: server.port: expected an integer 1..65535, got "abc"
 *     config/prod.toml:3:9: expected '=' after the key server.port, got '8'    (syntax: + column)
 *     NEUROQUANTUM_SERVER_PORT: server.port: expected an integer 1..65535, got "abc"
 *     jwt.secret: must be at least 32 bytes (got 10)     (value from the defaults)
 * Unknown keys and tables are errors (a typo must not be ignored); so are duplicate keys.
 *
 * Every key is described once in a table in config.c (name, type, default, range, short
 * environment name); parsing, the environment, cfg_dump and the tests all walk that table.
 *
 * Ownership: every char * and cfg_strlist in server_config is malloc'd and owned by the
 * struct; cfg_free releases them. Functions return 0 or -1 with a message in err (always
 * NUL-terminated when errlen > 0). On error the struct stays valid (freeable) but may hold a
 * mix of old and new values.
 */
#ifndef NQ_SERVER_CONFIG_H
#define NQ_SERVER_CONFIG_H

#include <stddef.h>
#include <stdio.h>

typedef struct cfg_strlist {
    char **v;
    unsigned n;
} cfg_strlist; /* owned strings */

/* Where each key's value came from (cfg_dump shows it; errors found by validation name it). */
#define CFG_MAX_KEYS 96
#define CFG_FROM_DEFAULT 0
#define CFG_FROM_ENV (-1)       /* NEUROQUANTUM_<SECTION>_<KEY> */
#define CFG_FROM_ENV_SHORT (-2) /* one of the upstream short names (NEUROQUANTUM_PORT ...) */
#define CFG_FROM_SET (-3)       /* cfg_set (command-line options such as --port) */
/* > 0: the line in the file (server_config.source) */

typedef struct server_config {
    struct {
        char *host;
        unsigned port;
        unsigned workers; /* 0 = number of CPUs */
        unsigned max_connections;
        unsigned keep_alive, client_timeout, client_shutdown; /* seconds, milliseconds, milliseconds */
        struct {
            char *cert_file, *key_file, *ca_file;
        } tls; /* tls.cert_file NULL: plain HTTP */
    } server;
    struct {
        char *data_path;
        unsigned max_connections, connection_timeout_seconds;
        char *key_file;       /* encryption at rest: ML-KEM-768 key file, NULL = none */
        char *passphrase_env; /* or the environment variable holding the passphrase */
        char *default_isolation; /* of SQL transactions: "read committed" (nq_isolation_parse) */
    } database;
    struct {
        char *secret; /* "" = use the secret file that `nqdb init` writes into the data directory */
        unsigned expiration_hours, refresh_threshold_minutes, refresh_expiration_hours;
        int quantum_enabled;
        char *algorithm, *issuer, *audience;
    } jwt;
    struct {
        unsigned requests_per_hour, burst_allowance;
        int enabled;
        char *strategy;
        unsigned key_generation_per_hour;
    } rate_limit;
    struct {
        cfg_strlist allowed_origins, allowed_methods, allowed_headers, expose_headers;
        unsigned max_age;
        int allow_credentials;
    } cors;
    struct {
        size_t max_payload_size;
        unsigned request_timeout_seconds;
        int security_headers, csrf_protection, quantum_encryption;
        cfg_strlist admin_ip_whitelist, trusted_proxies; /* CIDRs or plain addresses, IPv4/IPv6 */
        struct {
            unsigned failure_threshold, success_threshold, timeout_seconds;
            int enabled;
        } circuit_breaker;
    } security;
    struct { /* Argon2id of new password hashes (auth_users.c); stored hashes keep their own */
        unsigned argon2_memory_kib, argon2_iterations, argon2_parallelism;
    } passwords;
    struct {
        int metrics_enabled;
        char *prometheus_endpoint, *health_check_endpoint;
        int performance_stats, detailed_logging, websocket_enabled;
    } monitoring;
    struct {
        int configured; /* [redis] present in the file, or a NEUROQUANTUM_REDIS_* variable */
        char *url;
        unsigned pool_size, connection_timeout_seconds, command_timeout_seconds, retry_attempts;
    } redis;
    struct {
        char *level;     /* lower case after loading: trace|debug|info|warn|error */
        char *format;    /* lower case after loading: json|plain|compact */
        char *file_path; /* NULL = standard error */
        unsigned max_file_size_mb, max_files;
        int structured_logging;
    } logging;
    struct {
        unsigned max_connections, heartbeat_interval_seconds, heartbeat_timeout_seconds,
            max_buffered_messages, batch_size;
        size_t max_message_bytes;
    } websocket;
    struct {
        int enabled;      /* scheduled backups (backup_sched.c) */
        char *directory;  /* the chain directory; "" = <database.data_path>/backups */
        unsigned interval_seconds, full_every, keep_full; /* keep_full 0 = never prune */
        int compress;
        int archive;      /* archive the log into <directory>/wal-archive (point-in-time recovery) */
        char *sign_key;   /* ML-DSA-65 secret key file: sign every backup (NULL = unsigned) */
        char *encrypt_key; /* ML-KEM-768 public key file: encrypt every backup (NULL = not) */
    } backup;
    struct {
        int enabled;
        char *exporter, *endpoint;
        double sampling_rate;
        char *service_name, *trace_level;
    } tracing;
    char *source; /* the file read, or NULL when only defaults + environment */
    int origin[CFG_MAX_KEYS]; /* per key (cfg_key_name order): CFG_FROM_* or a line > 0 */
} server_config;

/* Every key gets its default (strings malloc'd). Anything c held before is overwritten, not
 * freed: call it on a fresh struct (or after cfg_free). */
void cfg_defaults(server_config *c);

/* The whole load: defaults, then the file (path argument, else env NEUROQUANTUM_CONFIG, else no
 * file), then environment overrides (always, also with a file), then validation. 0 or -1 with a
 * message in err such as "config/prod.toml:12: server.port: expected an integer 1..65535, got
 * \"abc\"". c is initialised here (cfg_defaults). On success the caller owns it (cfg_free);
 * on failure everything is already freed (calling cfg_free anyway is harmless). */
int cfg_load(server_config *c, const char *path, char *err, size_t errlen);

/* Parse TOML text onto c (which holds defaults or earlier values): no environment, no
 * validation. name is used in messages and stored in c->source (NULL: "<string>"). */
int cfg_parse_string(server_config *c, const char *text, size_t len, const char *name, char *err,
                     size_t errlen);

/* Apply NEUROQUANTUM_* from the process environment (see cfg_apply_environ). */
int cfg_apply_env(server_config *c, char *err, size_t errlen);

/* Apply overrides from an environment block (NAME=VALUE strings, NULL-terminated), so tests
 * need not touch the process environment. Every key is NEUROQUANTUM_<SECTION>_<KEY> in upper
 * case (dots become '_'; lists are comma-separated), plus the upstream short names
 * NEUROQUANTUM_HOST, _PORT, _JWT_SECRET, _REDIS_URL, _LOG_LEVEL, _LOG_FORMAT, _MAX_PAYLOAD_SIZE,
 * _RATE_LIMIT, _DATA_PATH. A short and a long name for the same key set to different values
 * is an error. A variable whose name starts with NEUROQUANTUM_<SECTION>_ (a section name or
 * LOG_) but names no key is an error (a misspelt override); other NEUROQUANTUM_* variables
 * (NEUROQUANTUM_CONFIG, _ENV, _API_KEY, _ADMIN_KEY ...) are not configuration keys and are
 * left alone. */
int cfg_apply_environ(server_config *c, char *const *envp, char *err, size_t errlen);

/* Set one key by its dotted name from text, with the environment's conversions (integers in
 * decimal, booleans true/false/1/0/yes/no/on/off, lists comma-separated): for command-line
 * options (`nqdb serve --port 9000` is cfg_set(c, "server.port", "9000")) applied after
 * cfg_load; call cfg_validate again afterwards. 0, or -1 with "key: reason" in err (an unknown
 * key is an error). Setting a redis.* key configures Redis. */
int cfg_set(server_config *c, const char *key, const char *value, char *err, size_t errlen);

/* Checks the values together: ranges that depend on each other, names of supported
 * algorithms and strategies, secrets, URLs, CIDRs, TLS files. */
int cfg_validate(const server_config *c, char *err, size_t errlen);

/* The effective configuration as TOML (readable by cfg_parse_string), with where each value
 * came from as a comment; jwt.secret and the password in redis.url are masked. */
void cfg_dump(const server_config *c, FILE *out);

/* Frees what c owns and leaves every pointer NULL, so a second call is harmless. */
void cfg_free(server_config *c);

/* ---- the key table, for tools and tests -------------------------------------------------- */
unsigned cfg_key_count(void);
const char *cfg_key_name(unsigned k);      /* "server.port" */
void cfg_key_env_name(unsigned k, char *buf, size_t cap); /* "NEUROQUANTUM_SERVER_PORT" */
const char *cfg_key_short_env(unsigned k); /* "NEUROQUANTUM_PORT" or NULL */


#endif
