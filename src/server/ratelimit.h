/*
 * ratelimit.h — request rate limits: a token bucket per caller-chosen key, kept in memory or in
 * Redis (shared by every server process that uses the same Redis), with a fallback to memory
 * when Redis is unreachable. The algorithm, headers and backends are described in
 * docs/rate-limiting.md; in short:
 *
 *   A bucket holds up to capacity = limit + burst tokens (burst only for the configured limit;
 *   a per-call limit gets exactly `limit`) and starts full. It refills continuously at
 *   limit / window tokens per second (fractional tokens, millisecond clock). A request takes
 *   one token, or is rejected when less than one is left.
 *
 *   X-RateLimit-Limit     = limit (requests per window)
 *   X-RateLimit-Remaining = whole tokens left after this request
 *   X-RateLimit-Reset     = seconds until the bucket is full again (0 when full)
 *   Retry-After           = on rejection: seconds until one whole token is there (>= 1)
 *
 * Memory backend: 64 shards, each a chained hash table behind its own mutex. A bucket that has
 * refilled to capacity is indistinguishable from a fresh one, so such buckets are dropped
 * whenever a shard has doubled since its last sweep (and by rl_sweep): memory is bounded by
 * about twice the number of keys that used tokens within one window.
 *
 * Redis backend: one hash per key, `rate_limit:{key}:bucket` {tokens, ts}, updated by a Lua
 * script (EVALSHA; EVAL on NOSCRIPT) that reads, refills, takes and writes atomically on Redis'
 * own clock (TIME) and sets PEXPIRE to the time the bucket needs to refill, so idle keys
 * vanish. Connections: a pool of at most pool_size open connections (a thread takes an idle
 * one, opens one while fewer are open, or waits up to the command timeout for one to be given
 * back; idle ones are kept). A connection error (connect failed, connection closed) is retried
 * with a new connection up to retry_attempts times within the same call. Every Redis answer is
 * mirrored into the memory table, so a call that Redis does not answer is decided from memory
 * with the last known state of each key (it never fails open).
 *
 * Circuit breaker (breaker.enabled): failure_threshold consecutive failed calls open it: the
 * limiter serves from memory, logs once and says so in rl_status. After open_ms it is
 * half-open: calls try Redis again, one at a time (the others use memory); success_threshold
 * consecutive successes close it (logged), a failure opens it for another open_ms. Disabled,
 * it behaves as a breaker with thresholds 1 and open_ms RL_RETRY_MS: memory from the first
 * failure, Redis tried again every RL_RETRY_MS, back on its first answer.
 *
 * Thread safety: every function but rl_free and the setters may be called from any thread.
 */
#ifndef NQ_SERVER_RATELIMIT_H
#define NQ_SERVER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RL_MEMORY 0
#define RL_REDIS  1

/* Log levels passed to the log callback (the syslog(3) values). */
#define RL_LOG_WARNING 4 /* Redis became unreachable: serving from memory */
#define RL_LOG_INFO    6 /* Redis answers again */

#define RL_RETRY_MS 5000    /* breaker disabled (or open_ms 0): how often a fallen-back limiter tries Redis */
#define RL_KEY_MAX  512     /* longest key accepted (bytes) */

typedef struct rl_limiter rl_limiter;

typedef struct rl_config {
    unsigned limit;            /* requests per window (config rate_limit.requests_per_hour); > 0 */
    unsigned window_seconds;   /* 0 = 3600 */
    unsigned burst;            /* extra bucket capacity for the configured limit (rate_limit.burst_allowance) */
    const char *redis_url;     /* NULL or "": memory only; redis://[:password@]host[:port][/db] or unix:///path[?db=N] */
    unsigned redis_timeout_ms; /* command timeout (and the wait for a pooled connection); 0 = 250 */
    unsigned connect_timeout_ms; /* connect timeout; 0 = redis_timeout_ms */
    unsigned pool_size;        /* most Redis connections open at once; 0 = no limit, 32 idle kept */
    unsigned retry_attempts;   /* reconnects after a connection error within one call; 0 = none */
    struct {
        int enabled;                /* 0: memory from the first failure, retry every RL_RETRY_MS */
        unsigned failure_threshold; /* consecutive failures that open the breaker; 0 = 1 */
        unsigned success_threshold; /* half-open successes that close it; 0 = 1 */
        unsigned open_ms;           /* how long it stays open before half-open; 0 = RL_RETRY_MS */
    } breaker;
} rl_config;

typedef struct rl_result {
    int allowed;               /* 1 = go ahead, 0 = answer 429 */
    unsigned limit;            /* X-RateLimit-Limit */
    unsigned remaining;        /* X-RateLimit-Remaining */
    unsigned reset_seconds;    /* X-RateLimit-Reset */
    unsigned retry_after;      /* Retry-After when !allowed, else 0 */
    int backend;               /* RL_MEMORY or RL_REDIS: who decided */
} rl_result;

/* Create a limiter. Errors (bad limit, unparsable or unsupported Redis URL) return a negative
 * NQ_E* code with a message in err. A Redis server that does not answer at start is not an
 * error: the limiter starts on memory and says so in rl_status (and retries later). */
int rl_new(const rl_config *cfg, rl_limiter **out, char *err, size_t errlen);

/* Take one token from key's bucket. limit/window_seconds 0 = the configured ones (with the
 * configured burst); a nonzero limit is a bucket of exactly that capacity (capacities beyond
 * 2^52 / window_ms, i.e. over 1.2e9 per hour, are capped there). Returns 0 and fills *out, or
 * a negative NQ_E* code (NQ_EINVAL: empty or too long key; NQ_ENOMEM) with out->allowed = 0,
 * out->retry_after = 1: an error is a rejection, never a pass. */
int rl_take(rl_limiter *rl, const char *key, unsigned limit, unsigned window_seconds,
            rl_result *out);

/* One line for /health: "memory", "redis redis://host:port: ok", or
 * "memory (redis redis://host:port unreachable since 2026-11-24T08:30:00Z: <reason>)".
 * With the breaker enabled, a closed breaker with failures adds
 * " (N of T consecutive failures: <reason>)" to the ok line and an open one adds
 * "; circuit breaker open after T consecutive failures, next try in S s" or
 * "; circuit breaker half-open, N of T successes" to the memory line.
 * The URL is shown without its password. */
void rl_status(rl_limiter *rl, char *buf, size_t cap);
int rl_backend(rl_limiter *rl);

/* Called on backend switches (from the thread that noticed; must be thread-safe). */
void rl_set_log(rl_limiter *rl, void (*log)(void *arg, int level, const char *msg), void *arg);

/* Replace the monotonic millisecond clock (tests). Used for the memory buckets and the Redis
 * retry interval (the breaker's open time); Redis buckets always use Redis' clock. Set before
 * use. */
void rl_set_clock(rl_limiter *rl, uint64_t (*now_ms)(void *arg), void *arg);

/* Drop every memory bucket that has refilled to capacity; returns how many remain. */
size_t rl_sweep(rl_limiter *rl);
/* Memory buckets held now. */
size_t rl_count(rl_limiter *rl);

void rl_free(rl_limiter *rl);

#endif
