/*
 * ratelimit_int.h — between ratelimit.c (buckets, memory backend, fallback) and
 * ratelimit_redis.c (the Redis backend: URL, connection pool, Lua script).
 */
#ifndef NQ_SERVER_RATELIMIT_INT_H
#define NQ_SERVER_RATELIMIT_INT_H

#include <stddef.h>
#include <stdint.h>

typedef struct rl_redis rl_redis;

/* Parse url and prepare a backend (no connection yet). NQ_EINVAL / NQ_ENOTSUP with a message. */
int rlr_new(const char *url, unsigned timeout_ms, rl_redis **out, char *err, size_t errlen);
void rlr_free(rl_redis *r);
/* The URL without its password, for messages. */
const char *rlr_display(const rl_redis *r);
/* Open a connection and load the script: 0, or -1 with the reason in why. */
int rlr_ping(rl_redis *r, char *why, size_t whylen);
/* Run the bucket script on `rate_limit:{key}:bucket` (units as in ratelimit.c: capacity
 * cap_level = tokens x win, refill `limit` units per ms, one token = win units). 0 with
 * *allowed and *level (after the take), or -1 with the reason in why (then every pooled
 * connection has been closed). */
int rlr_take(rl_redis *r, const char *key, uint64_t cap_level, uint64_t limit, uint64_t win,
             int *allowed, uint64_t *level, char *why, size_t whylen);

/* The script (for docs and tests). */
extern const char rlr_script[];

#endif
