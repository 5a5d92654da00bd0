/*
 * ratelimit_int.h — between ratelimit.c (buckets, memory backend, fallback) and
 * ratelimit_redis.c (the Redis backend: URL, connection pool, Lua script).
 */
#ifndef NQ_SERVER_RATELIMIT_INT_H
#define NQ_SERVER_RATELIMIT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ratelimit.h"

typedef struct rl_redis rl_redis;

/* rlr_take / rlr_ping results */
#define RLR_OK   0
#define RLR_FAIL (-1) /* Redis failed (after the reconnects): a backend failure */
#define RLR_BUSY (-2) /* no pooled connection became free within the command timeout */

/* Parse cfg->redis_url and prepare a backend (no connection yet) with cfg's timeouts, pool
 * size and reconnects. NQ_EINVAL / NQ_ENOTSUP with a message. */
int rlr_new(const rl_config *cfg, rl_redis **out, char *err, size_t errlen);
void rlr_free(rl_redis *r);
/* The URL without its password, for messages. */
const char *rlr_display(const rl_redis *r);
/* Open a connection (reconnecting as configured), load the script and pool it: RLR_OK, or
 * RLR_FAIL with the reason in why. */
int rlr_ping(rl_redis *r, char *why, size_t whylen);
/* Run the bucket script on `rate_limit:{key}:bucket` (units as in ratelimit.c: capacity
 * cap_level = tokens x win, refill `limit` units per ms, one token = win units). RLR_OK with
 * *allowed and *level (after the take), RLR_FAIL with the reason in why (then every idle
 * pooled connection has been closed), or RLR_BUSY (the pool stayed full). */
int rlr_take(rl_redis *r, const char *key, uint64_t cap_level, uint64_t limit, uint64_t win,
             int *allowed, uint64_t *level, char *why, size_t whylen);

/* The script (for docs and tests). */
extern const char rlr_script[];

#endif
