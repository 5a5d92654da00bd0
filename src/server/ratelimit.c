/*
 * ratelimit.c — token buckets in memory, the choice of backend and the fallback from Redis to
 * memory (design in ratelimit.h and docs/rate-limiting.md; the Redis side is ratelimit_redis.c).
 *
 * A bucket counts its tokens in "level" units of 1/win token (win = the window in ms), so that
 * the continuous refill of limit tokens per win ms is exactly `limit` units per ms: integer
 * arithmetic, no rounding drift, fractions of a token kept to the millisecond. Taking refills
 * the level by (now - ts) * limit, capped at capacity * win, then takes win units (one token)
 * if the level holds that many. The Redis script does the same integer arithmetic (exact in
 * Lua's doubles below 2^53) on Redis' clock, and its answers are copied into the memory table
 * ("mirrored") so that a switch to memory continues from the last state Redis reported
 * instead of from full buckets.
 *
 * Memory: RL_SHARDS shards chosen by the key's hash, each a chained hash table with its own
 * mutex. A shard sweeps (drops buckets that are full at the current time) when its count
 * reaches twice what was left after its last sweep, so the work is amortised O(1) per take and
 * memory stays within about twice the number of non-full buckets plus a small floor.
 *
 * Fallback: a circuit breaker over the Redis backend, under st_mu. Closed: every take asks
 * Redis; a failed call is decided from memory and counted, failure_threshold in a row open the
 * breaker (backend = memory, logged). Open: memory until next_retry, then half-open: one call
 * at a time (`probing`) asks Redis, success_threshold successes in a row close it (logged), a
 * failure opens it again for open_ms. The disabled breaker is the same machine with both
 * thresholds 1 and open_ms RL_RETRY_MS (only its messages differ). RLR_BUSY (the connection
 * pool stayed full) is decided from memory and counts neither way.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nqdb.h"
#include "ratelimit_int.h"

#define RL_SHARDS      64
#define RL_SWEEP_FLOOR 64 /* a shard does not sweep below this many buckets */
/* Level units must stay below 2^53 so that Redis' Lua (doubles) computes them exactly. */
#define RL_LEVEL_MAX (1ull << 52)

typedef struct rl_bucket {
    struct rl_bucket *next;
    uint64_t hash;
    uint64_t level;     /* tokens x win: exact integer arithmetic */
    uint64_t ts;        /* ms on the limiter's clock */
    uint64_t cap_level; /* capacity x win */
    uint64_t limit;     /* tokens per window (the refill rate: limit per win ms) */
    uint64_t win;       /* window in ms; one token = win level units */
    char key[];
} rl_bucket;

typedef struct rl_shard {
    pthread_mutex_t mu;
    rl_bucket **tab;
    size_t nslots, count, sweep_at;
} rl_shard;

struct rl_limiter {
    unsigned limit, window_s, burst;
    uint64_t (*now_ms)(void *arg);
    void *clock_arg;
    void (*log)(void *arg, int level, const char *msg);
    void *log_arg;
    rl_shard shards[RL_SHARDS];

    rl_redis *redis;          /* NULL: memory only */
    atomic_int backend;       /* RL_MEMORY / RL_REDIS, what takes use now: REDIS iff closed */
    int br_enabled;           /* the configured breaker (else thresholds 1, RL_RETRY_MS) */
    unsigned br_fail_max, br_ok_max;
    uint64_t br_open_ms;
    pthread_mutex_t st_mu;    /* guards the breaker state below */
    int half_open;            /* open and past next_retry: probes run */
    unsigned fails;           /* consecutive failed calls while closed */
    unsigned oks;             /* consecutive successful probes while half-open */
    int probing;              /* one thread is trying Redis (half-open) */
    uint64_t next_retry;      /* open: half-open from this ms on the limiter's clock */
    time_t down_since;
    char down_reason[256];    /* the last failure */
};

static uint64_t mono_ms(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static void emit(rl_limiter *rl, int level, const char *fmt, ...)
{
    if (!rl->log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rl->log(rl->log_arg, level, msg);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- memory table -------------------------------------------------------------------------- */

/* The level b would have at `now`: each ms adds `limit` units, up to cap_level. */
static uint64_t refilled(const rl_bucket *b, uint64_t now)
{
    if (now <= b->ts || b->level >= b->cap_level)
        return b->level < b->cap_level ? b->level : b->cap_level;
    uint64_t elapsed = now - b->ts, need = b->cap_level - b->level;
    if (elapsed >= (need + b->limit - 1) / b->limit)
        return b->cap_level;
    return b->level + elapsed * b->limit; /* < cap_level + limit: no overflow */
}

static int shard_grow(rl_shard *s)
{
    size_t n = s->nslots ? s->nslots * 2 : 16;
    rl_bucket **tab = calloc(n, sizeof *tab);
    if (!tab)
        return NQ_ENOMEM;
    for (size_t i = 0; i < s->nslots; i++) {
        rl_bucket *b = s->tab[i], *next;
        for (; b; b = next) {
            next = b->next;
            size_t j = (b->hash >> 6) & (n - 1);
            b->next = tab[j];
            tab[j] = b;
        }
    }
    free(s->tab);
    s->tab = tab;
    s->nslots = n;
    return 0;
}

/* Drop the buckets that are full at `now`. Caller holds s->mu. */
static void shard_sweep(rl_shard *s, uint64_t now)
{
    for (size_t i = 0; i < s->nslots; i++) {
        rl_bucket **pp = &s->tab[i];
        while (*pp) {
            rl_bucket *b = *pp;
            if (refilled(b, now) >= b->cap_level) {
                *pp = b->next;
                free(b);
                s->count--;
            } else {
                pp = &b->next;
            }
        }
    }
    s->sweep_at = s->count * 2 > RL_SWEEP_FLOOR ? s->count * 2 : RL_SWEEP_FLOOR;
}

/* Find key's bucket in s, creating a full one (capacity cap) if absent. Caller holds s->mu. */
static int shard_get(rl_shard *s, const char *key, uint64_t h, const rl_bucket *shape,
                     uint64_t now, rl_bucket **out)
{
    if (s->nslots) {
        for (rl_bucket *b = s->tab[(h >> 6) & (s->nslots - 1)]; b; b = b->next)
            if (b->hash == h && strcmp(b->key, key) == 0) {
                *out = b;
                return 0;
            }
    }
    if (s->count + 1 >= s->sweep_at)
        shard_sweep(s, now);
    if (s->count + 1 > s->nslots && shard_grow(s))
        return NQ_ENOMEM;
    size_t klen = strlen(key);
    rl_bucket *b = malloc(sizeof *b + klen + 1);
    if (!b)
        return NQ_ENOMEM;
    memcpy(b->key, key, klen + 1);
    b->hash = h;
    b->level = shape->cap_level;
    b->ts = now;
    b->cap_level = shape->cap_level;
    b->limit = shape->limit;
    b->win = shape->win;
    size_t j = (h >> 6) & (s->nslots - 1);
    b->next = s->tab[j];
    s->tab[j] = b;
    s->count++;
    *out = b;
    return 0;
}

/* Take one token (mirror = 0), or record the level Redis reported (mirror = 1). shape holds
 * cap_level, limit and win; *level receives (or gives) the level after the take. */
static int mem_op(rl_limiter *rl, const char *key, const rl_bucket *shape, uint64_t now,
                  int mirror, uint64_t *level, int *allowed)
{
    uint64_t h = hash_key(key);
    rl_shard *s = &rl->shards[h & (RL_SHARDS - 1)];
    pthread_mutex_lock(&s->mu);
    rl_bucket *b;
    int rc = shard_get(s, key, h, shape, now, &b);
    if (rc) {
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    /* the same key may come with another limit: the new one applies from now on; the tokens
     * held carry over (rescaled to the new window, capped at the new capacity) */
    if (b->win != shape->win)
        b->level = (uint64_t)((double)b->level / (double)b->win * (double)shape->win);
    b->cap_level = shape->cap_level;
    b->limit = shape->limit;
    b->win = shape->win;
    if (b->level > b->cap_level)
        b->level = b->cap_level;
    if (mirror) {
        b->level = *level;
    } else {
        uint64_t l = refilled(b, now);
        *allowed = l >= b->win;
        b->level = *allowed ? l - b->win : l;
        *level = b->level;
    }
    if (now > b->ts)
        b->ts = now;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

size_t rl_sweep(rl_limiter *rl)
{
    uint64_t now = rl->now_ms(rl->clock_arg);
    size_t n = 0;
    for (int i = 0; i < RL_SHARDS; i++) {
        pthread_mutex_lock(&rl->shards[i].mu);
        shard_sweep(&rl->shards[i], now);
        n += rl->shards[i].count;
        pthread_mutex_unlock(&rl->shards[i].mu);
    }
    return n;
}

size_t rl_count(rl_limiter *rl)
{
    size_t n = 0;
    for (int i = 0; i < RL_SHARDS; i++) {
        pthread_mutex_lock(&rl->shards[i].mu);
        n += rl->shards[i].count;
        pthread_mutex_unlock(&rl->shards[i].mu);
    }
    return n;
}

/* ---- the limiter --------------------------------------------------------------------------- */

int rl_new(const rl_config *cfg, rl_limiter **out, char *err, size_t errlen)
{
    *out = NULL;
    set_err(err, errlen, "%s", "");
    if (!cfg || cfg->limit == 0) {
        set_err(err, errlen, "rate_limit.requests_per_hour must be greater than 0");
        return NQ_EINVAL;
    }
    uint64_t win = (uint64_t)(cfg->window_seconds ? cfg->window_seconds : 3600) * 1000u;
    if ((uint64_t)cfg->limit + cfg->burst > RL_LEVEL_MAX / win) {
        set_err(err, errlen, "rate limit too large: (requests + burst) x window must stay below 2^52 token-ms");
        return NQ_EINVAL;
    }
    rl_limiter *rl = calloc(1, sizeof *rl);
    if (!rl) {
        set_err(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    rl->limit = cfg->limit;
    rl->window_s = cfg->window_seconds ? cfg->window_seconds : 3600;
    rl->burst = cfg->burst;
    rl->now_ms = mono_ms;
    for (int i = 0; i < RL_SHARDS; i++) {
        pthread_mutex_init(&rl->shards[i].mu, NULL);
        rl->shards[i].sweep_at = RL_SWEEP_FLOOR;
    }
    pthread_mutex_init(&rl->st_mu, NULL);
    atomic_init(&rl->backend, RL_MEMORY);
    rl->br_enabled = cfg->breaker.enabled != 0;
    rl->br_fail_max = rl->br_enabled && cfg->breaker.failure_threshold ? cfg->breaker.failure_threshold : 1;
    rl->br_ok_max = rl->br_enabled && cfg->breaker.success_threshold ? cfg->breaker.success_threshold : 1;
    rl->br_open_ms = rl->br_enabled && cfg->breaker.open_ms ? cfg->breaker.open_ms : RL_RETRY_MS;
    if (cfg->redis_url && *cfg->redis_url) {
        int rc = rlr_new(cfg, &rl->redis, err, errlen);
        if (rc) {
            rl_free(rl);
            return rc;
        }
        char why[256];
        if (rlr_ping(rl->redis, why, sizeof why) == RLR_OK) {
            atomic_store(&rl->backend, RL_REDIS);
        } else {
            /* the breaker starts open */
            rl->down_since = time(NULL);
            snprintf(rl->down_reason, sizeof rl->down_reason, "%s", why);
            rl->next_retry = rl->now_ms(rl->clock_arg) + rl->br_open_ms;
            set_err(err, errlen,
                    "redis %s unreachable (%s): rate limits are kept in memory until it answers",
                    rlr_display(rl->redis), why);
        }
    }
    *out = rl;
    return 0;
}

void rl_free(rl_limiter *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < RL_SHARDS; i++) {
        rl_shard *s = &rl->shards[i];
        for (size_t j = 0; j < s->nslots; j++) {
            rl_bucket *b = s->tab[j], *next;
            for (; b; b = next) {
                next = b->next;
                free(b);
            }
        }
        free(s->tab);
        pthread_mutex_destroy(&s->mu);
    }
    if (rl->redis)
        rlr_free(rl->redis);
    pthread_mutex_destroy(&rl->st_mu);
    free(rl);
}

void rl_set_log(rl_limiter *rl, void (*log)(void *arg, int level, const char *msg), void *arg)
{
    rl->log = log;
    rl->log_arg = arg;
}

void rl_set_clock(rl_limiter *rl, uint64_t (*now_ms)(void *arg), void *arg)
{
    rl->now_ms = now_ms ? now_ms : mono_ms;
    rl->clock_arg = arg;
    /* a retry time on the old clock means nothing on the new one: retry at the next take */
    pthread_mutex_lock(&rl->st_mu);
    rl->next_retry = 0;
    pthread_mutex_unlock(&rl->st_mu);
}

int rl_backend(rl_limiter *rl) { return atomic_load(&rl->backend); }

/* Whole seconds, rounded up, until `need` level units have come back at limit per ms. */
static unsigned secs_for(uint64_t need, uint64_t limit)
{
    uint64_t ms = (need + limit - 1) / limit, s = (ms + 999) / 1000;
    return s > 4000000000u ? 4000000000u : (unsigned)s;
}

static void fill(rl_result *out, const rl_bucket *shape, uint64_t level, int allowed, int backend)
{
    if (level > shape->cap_level)
        level = shape->cap_level;
    out->allowed = allowed;
    out->limit = (unsigned)shape->limit;
    out->remaining = (unsigned)(level / shape->win);
    out->reset_seconds = secs_for(shape->cap_level - level, shape->limit);
    out->retry_after = 0;
    if (!allowed)
        out->retry_after = level >= shape->win ? 1 : secs_for(shape->win - level, shape->limit);
    out->backend = backend;
}

/* A Redis call answered. */
static void redis_ok(rl_limiter *rl, int probe)
{
    int closed = 0;
    pthread_mutex_lock(&rl->st_mu);
    if (probe) {
        rl->probing = 0;
        if (rl->half_open && ++rl->oks >= rl->br_ok_max) {
            rl->half_open = 0;
            rl->fails = 0;
            atomic_store(&rl->backend, RL_REDIS);
            closed = 1;
        }
    } else if (atomic_load(&rl->backend) == RL_REDIS) {
        rl->fails = 0;
    }
    pthread_mutex_unlock(&rl->st_mu);
    if (closed && rl->br_enabled)
        emit(rl, RL_LOG_INFO,
             "rate limiting: redis %s answered %u calls in a row; circuit breaker closed, using it",
             rlr_display(rl->redis), rl->br_ok_max);
    else if (closed)
        emit(rl, RL_LOG_INFO, "rate limiting: redis %s answers again; using it",
             rlr_display(rl->redis));
}

/* A Redis call failed: count it; open the breaker (switch to memory, logged once) at the
 * threshold, or again when a half-open probe failed. */
static void redis_down(rl_limiter *rl, int probe, const char *why, uint64_t now)
{
    int opened = 0;
    pthread_mutex_lock(&rl->st_mu);
    if (probe) {
        rl->probing = 0;
        rl->half_open = 0;
        rl->oks = 0;
        rl->next_retry = now + rl->br_open_ms;
        snprintf(rl->down_reason, sizeof rl->down_reason, "%s", why);
    } else if (atomic_load(&rl->backend) == RL_REDIS) {
        snprintf(rl->down_reason, sizeof rl->down_reason, "%s", why);
        if (++rl->fails >= rl->br_fail_max) {
            opened = 1;
            atomic_store(&rl->backend, RL_MEMORY);
            rl->half_open = 0;
            rl->oks = 0;
            rl->down_since = time(NULL);
            rl->next_retry = now + rl->br_open_ms;
        }
    }
    pthread_mutex_unlock(&rl->st_mu);
    if (opened && rl->br_enabled)
        emit(rl, RL_LOG_WARNING,
             "rate limiting: redis %s failed %u calls in a row (%s); circuit breaker open: using "
             "the in-memory limiter, trying again in %llu ms",
             rlr_display(rl->redis), rl->br_fail_max, why, (unsigned long long)rl->br_open_ms);
    else if (opened)
        emit(rl, RL_LOG_WARNING,
             "rate limiting: redis %s failed (%s); using the in-memory limiter, retrying every %d s",
             rlr_display(rl->redis), why, RL_RETRY_MS / 1000);
}

int rl_take(rl_limiter *rl, const char *key, unsigned limit, unsigned window_seconds,
            rl_result *out)
{
    /* on an error the answer is a rejection: retry in a second */
    memset(out, 0, sizeof *out);
    out->limit = limit ? limit : rl->limit;
    out->retry_after = 1;
    if (!key || !*key || strlen(key) > RL_KEY_MAX)
        return NQ_EINVAL;
    uint64_t cap = limit ? limit : (uint64_t)rl->limit + rl->burst;
    rl_bucket shape;
    shape.limit = limit ? limit : rl->limit;
    shape.win = (uint64_t)(window_seconds ? window_seconds : rl->window_s) * 1000u;
    /* a capacity beyond the exact range (over 1.2e9 per hour) is as good as unlimited: cap it */
    if (cap > RL_LEVEL_MAX / shape.win)
        cap = RL_LEVEL_MAX / shape.win;
    shape.cap_level = cap * shape.win;
    uint64_t now = rl->now_ms(rl->clock_arg);
    uint64_t level = 0;
    int allowed = 0;

    if (rl->redis) {
        int use = atomic_load(&rl->backend) == RL_REDIS, probe = 0;
        if (!use) {
            pthread_mutex_lock(&rl->st_mu);
            if (atomic_load(&rl->backend) == RL_REDIS) {
                use = 1; /* closed meanwhile */
            } else if (!rl->probing && now >= rl->next_retry) {
                rl->probing = probe = 1;
                rl->half_open = 1;
            }
            pthread_mutex_unlock(&rl->st_mu);
        }
        if (use || probe) {
            char why[256];
            int rc = rlr_take(rl->redis, key, shape.cap_level, shape.limit, shape.win, &allowed,
                              &level, why, sizeof why);
            if (rc == RLR_OK) {
                redis_ok(rl, probe);
                /* best effort: without memory for the mirror the fallback starts this key full */
                uint64_t l = level;
                (void)mem_op(rl, key, &shape, now, 1, &l, NULL);
                fill(out, &shape, level, allowed, RL_REDIS);
                return 0;
            }
            if (rc == RLR_BUSY) {
                if (probe) {
                    pthread_mutex_lock(&rl->st_mu);
                    rl->probing = 0;
                    pthread_mutex_unlock(&rl->st_mu);
                }
            } else {
                redis_down(rl, probe, why, now);
            }
        }
    }
    int rc = mem_op(rl, key, &shape, now, 0, &level, &allowed);
    if (rc)
        return rc;
    fill(out, &shape, level, allowed, RL_MEMORY);
    return 0;
}

void rl_status(rl_limiter *rl, char *buf, size_t cap)
{
    if (!cap)
        return;
    if (!rl->redis) {
        snprintf(buf, cap, "memory");
        return;
    }
    uint64_t now = rl->now_ms(rl->clock_arg);
    pthread_mutex_lock(&rl->st_mu);
    if (atomic_load(&rl->backend) == RL_REDIS) {
        if (rl->br_enabled && rl->fails)
            snprintf(buf, cap, "redis %s: ok (%u of %u consecutive failures: %s)",
                     rlr_display(rl->redis), rl->fails, rl->br_fail_max, rl->down_reason);
        else
            snprintf(buf, cap, "redis %s: ok", rlr_display(rl->redis));
    } else {
        struct tm tm;
        char when[32], br[128] = "";
        gmtime_r(&rl->down_since, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (rl->br_enabled && rl->half_open)
            snprintf(br, sizeof br, "; circuit breaker half-open, %u of %u successes", rl->oks,
                     rl->br_ok_max);
        else if (rl->br_enabled)
            snprintf(br, sizeof br,
                     "; circuit breaker open after %u consecutive failures, next try in %llu s",
                     rl->br_fail_max,
                     (unsigned long long)(rl->next_retry > now ? (rl->next_retry - now + 999) / 1000 : 0));
        snprintf(buf, cap, "memory (redis %s unreachable since %s: %s%s)", rlr_display(rl->redis),
                 when, rl->down_reason, br);
    }
    pthread_mutex_unlock(&rl->st_mu);
}
