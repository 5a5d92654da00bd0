/*
 * ratelimit_redis.c — the Redis backend of the rate limiter (hiredis 0.14, blocking API with
 * connect and command timeouts).
 *
 * Each bucket is the hash `rate_limit:{key}:bucket` {level, ts, win}: the level in units of
 * 1/win token (see ratelimit.c), ts in ms on Redis' clock, win the window in ms.
 * rlr_script reads it, refills, takes one token and writes it back in one atomic script run,
 * then sets PEXPIRE to the time the bucket needs to be full again (+1 s): a full bucket and a
 * missing one mean the same, so idle keys vanish on their own. The script is loaded with
 * SCRIPT LOAD on every new connection and run with EVALSHA; a NOSCRIPT answer (a restarted or
 * flushed Redis) runs it with EVAL, which also caches it again.
 *
 * Connections: hiredis contexts are not thread-safe, so a thread takes a connection from a
 * pool for one call and gives it back. The pool counts the connections open (idle + in use):
 * a thread takes an idle one, or opens one while fewer than max_open are open, or waits on a
 * condition variable (up to the command timeout) for one to be given back or closed; waiting
 * in vain is RLR_BUSY, which the caller decides from memory without blaming Redis. Every idle
 * connection is kept (max_open 0: no limit, up to RLR_IDLE_MAX idle kept). Connecting uses
 * the connect timeout, commands the command timeout.
 *
 * Errors: a connection error (connect failed; the connection was closed or reset, e.g. a
 * pooled connection to a restarted Redis) closes every idle connection too (most likely dead
 * as well) and is retried with a new connection up to `retries` times within the call. An
 * error answer or a command timeout is not retried (a timed-out script may still run; waiting
 * again would multiply the delay): the call fails at once.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nqdb.h"
#include "ratelimit.h"
#include "ratelimit_int.h"

#define RLR_IDLE_MAX 32

/* KEYS[1] = rate_limit:{key}:bucket; ARGV = capacity x win, limit, win (ms). Returns
 * {allowed (0/1), level after the take}. Numbers are written with %.0f: tostring() would
 * round them to 14 digits. */
const char rlr_script[] =
    "local cap = tonumber(ARGV[1])\n"
    "local limit = tonumber(ARGV[2])\n"
    "local win = tonumber(ARGV[3])\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local b = redis.call('HMGET', KEYS[1], 'level', 'ts', 'win')\n"
    "local level = tonumber(b[1])\n"
    "local ts = tonumber(b[2])\n"
    "local bwin = tonumber(b[3])\n"
    "if level == nil or ts == nil or bwin == nil or bwin <= 0 then\n"
    "  level = cap\n"
    "  ts = now\n"
    "elseif bwin ~= win then\n"
    "  level = math.floor(level / bwin * win)\n"
    "end\n"
    "if level > cap then level = cap end\n"
    "if now > ts then\n"
    "  if level < cap then\n"
    "    if now - ts >= math.ceil((cap - level) / limit) then\n"
    "      level = cap\n"
    "    else\n"
    "      level = level + (now - ts) * limit\n"
    "    end\n"
    "  end\n"
    "  ts = now\n"
    "end\n"
    "local allowed = 0\n"
    "if level >= win then\n"
    "  level = level - win\n"
    "  allowed = 1\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'level', string.format('%.0f', level),\n"
    "           'ts', string.format('%.0f', ts), 'win', string.format('%.0f', win))\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil((cap - level) / limit) + 1000)\n"
    "return {allowed, level}\n";

struct rl_redis {
    char *host;      /* TCP host, or NULL */
    int port;
    char *path;      /* unix socket path, or NULL */
    char *user, *password;
    int db;
    char display[300];
    struct timeval tv_connect, tv_command;
    unsigned command_ms, retries, max_open; /* max_open 0: no limit */
    pthread_mutex_t mu;  /* guards the pool and sha */
    pthread_cond_t freed; /* a connection was given back or closed */
    redisContext **idle; /* idle_cap slots */
    unsigned nidle, idle_cap, nopen;
    char sha[48];
};

/* How a step failed: a connection error is retried with a new connection. */
#define RLR_CONN (-3)

static void fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, arg);
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Decimal in [lo, hi] filling all of s[0..n); -1 if not. */
static long parse_num(const char *s, size_t n, long lo, long hi)
{
    if (n == 0 || n > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

static int parse_url(rl_redis *r, const char *url, char *err, size_t errlen)
{
    if (strncmp(url, "rediss://", 9) == 0) {
        fail(err, errlen, "not supported yet: %s (TLS connections to Redis)", url);
        return NQ_ENOTSUP;
    }
    if (strncmp(url, "unix://", 7) == 0) {
        const char *p = url + 7, *q = strchr(p, '?');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 0 || p[0] != '/') {
            fail(err, errlen, "redis url %s: expected unix:///absolute/path[?db=N]", url);
            return NQ_EINVAL;
        }
        if (q) {
            if (strncmp(q, "?db=", 4) != 0 || (r->db = (int)parse_num(q + 4, strlen(q + 4), 0, 1000000)) < 0) {
                fail(err, errlen, "redis url %s: the only option is ?db=N", url);
                return NQ_EINVAL;
            }
        }
        if (!(r->path = dupn(p, n)))
            return NQ_ENOMEM;
        snprintf(r->display, sizeof r->display, "unix://%s%s", r->path, q ? q : "");
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0) {
        fail(err, errlen, "redis url %s: must start with redis:// or unix://", url);
        return NQ_EINVAL;
    }
    const char *p = url + 8, *end = p + strlen(p);
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *hostend = slash ? slash : end;
    const char *at = NULL;
    for (const char *s = p; s < hostend; s++)
        if (*s == '@')
            at = s;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon) {
            fail(err, errlen, "redis url %s: credentials must be [user]:password@", url);
            return NQ_EINVAL;
        }
        if (colon > p && !(r->user = dupn(p, (size_t)(colon - p))))
            return NQ_ENOMEM;
        if (!(r->password = dupn(colon + 1, (size_t)(at - colon - 1))))
            return NQ_ENOMEM;
        p = at + 1;
    }
    const char *hs = p, *he, *portp = NULL;
    if (*p == '[') { /* [ipv6] */
        const char *rb = memchr(p, ']', (size_t)(hostend - p));
        if (!rb) {
            fail(err, errlen, "redis url %s: unterminated [ipv6 address]", url);
            return NQ_EINVAL;
        }
        hs = p + 1;
        he = rb;
        if (rb + 1 < hostend) {
            if (rb[1] != ':') {
                fail(err, errlen, "redis url %s: bad text after the address", url);
                return NQ_EINVAL;
            }
            portp = rb + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(hostend - p));
        he = colon ? colon : hostend;
        portp = colon ? colon + 1 : NULL;
    }
    if (he == hs) {
        fail(err, errlen, "redis url %s: no host", url);
        return NQ_EINVAL;
    }
    r->port = 6379;
    if (portp && (r->port = (int)parse_num(portp, (size_t)(hostend - portp), 1, 65535)) < 0) {
        fail(err, errlen, "redis url %s: bad port", url);
        return NQ_EINVAL;
    }
    if (slash && slash[1] && (r->db = (int)parse_num(slash + 1, strlen(slash + 1), 0, 1000000)) < 0) {
        fail(err, errlen, "redis url %s: the path must be a database number", url);
        return NQ_EINVAL;
    }
    if (!(r->host = dupn(hs, (size_t)(he - hs))))
        return NQ_ENOMEM;
    snprintf(r->display, sizeof r->display, "redis://%s%s%s:%d/%d", *p == '[' ? "[" : "",
             r->host, *p == '[' ? "]" : "", r->port, r->db);
    return 0;
}

static struct timeval ms_tv(unsigned ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

int rlr_new(const rl_config *cfg, rl_redis **out, char *err, size_t errlen)
{
    *out = NULL;
    rl_redis *r = calloc(1, sizeof *r);
    if (!r) {
        fail(err, errlen, "%s", "out of memory");
        return NQ_ENOMEM;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->freed, &ca);
    pthread_condattr_destroy(&ca);
    r->command_ms = cfg->redis_timeout_ms ? cfg->redis_timeout_ms : 250;
    r->tv_command = ms_tv(r->command_ms);
    r->tv_connect = ms_tv(cfg->connect_timeout_ms ? cfg->connect_timeout_ms : r->command_ms);
    r->retries = cfg->retry_attempts;
    r->max_open = cfg->pool_size;
    r->idle_cap = r->max_open ? r->max_open : RLR_IDLE_MAX;
    int rc = (r->idle = calloc(r->idle_cap, sizeof *r->idle)) ? parse_url(r, cfg->redis_url, err, errlen)
                                                            : NQ_ENOMEM;
    if (rc) {
        if (rc == NQ_ENOMEM)
            fail(err, errlen, "%s", "out of memory");
        rlr_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void rlr_free(rl_redis *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < r->nidle; i++)
        redisFree(r->idle[i]);
    free(r->idle);
    free(r->host);
    free(r->path);
    free(r->user);
    free(r->password);
    pthread_cond_destroy(&r->freed);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

const char *rlr_display(const rl_redis *r) { return r->display; }

/* Close every idle connection. */
static void drop_idle(rl_redis *r)
{
    pthread_mutex_lock(&r->mu);
    for (unsigned i = 0; i < r->nidle; i++)
        redisFree(r->idle[i]);
    r->nopen -= r->nidle;
    r->nidle = 0;
    pthread_cond_broadcast(&r->freed);
    pthread_mutex_unlock(&r->mu);
}

/* Close a connection taken from the pool (it failed). */
static void close_conn(rl_redis *r, redisContext *c)
{
    if (c)
        redisFree(c);
    pthread_mutex_lock(&r->mu);
    r->nopen--;
    pthread_cond_signal(&r->freed);
    pthread_mutex_unlock(&r->mu);
}

/* Give a working connection back: kept idle (or closed when the idle slots are full). */
static void put_conn(rl_redis *r, redisContext *c)
{
    pthread_mutex_lock(&r->mu);
    if (r->nidle < r->idle_cap) {
        r->idle[r->nidle++] = c;
        c = NULL;
    } else {
        r->nopen--;
    }
    pthread_cond_signal(&r->freed);
    pthread_mutex_unlock(&r->mu);
    if (c)
        redisFree(c);
}

/* After a failed call on c: RLR_CONN for a closed or reset connection, RLR_FAIL for a
 * timeout (errno as the failed read left it) or anything else. */
static int failure_kind(const redisContext *c, int err_no)
{
    if (c->err == REDIS_ERR_EOF)
        return RLR_CONN;
    if (c->err == REDIS_ERR_IO && err_no != EAGAIN && err_no != EWOULDBLOCK && err_no != ETIMEDOUT)
        return RLR_CONN;
    return RLR_FAIL;
}

/* Run a command on c; on failure write why and return NULL with *kind RLR_CONN or RLR_FAIL.
 * An error reply is a failure. */
static redisReply *command_ok(redisContext *c, char *why, size_t whylen, int argc,
                              const char **argv, int *kind)
{
    redisReply *rep = redisCommandArgv(c, argc, argv, NULL);
    if (!rep) {
        *kind = failure_kind(c, errno);
        snprintf(why, whylen, "%s: %s", argv[0], c->errstr[0] ? c->errstr : "no answer");
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        *kind = RLR_FAIL;
        snprintf(why, whylen, "%s: %s", argv[0], rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* Connect, authenticate, select the database and load the script. NULL with *kind RLR_CONN
 * (could not connect, or the connection broke) or RLR_FAIL (an error answer, a timeout). */
static redisContext *connect_one(rl_redis *r, char *why, size_t whylen, int *kind)
{
    *kind = RLR_CONN;
    redisContext *c = r->path ? redisConnectUnixWithTimeout(r->path, r->tv_connect)
                              : redisConnectWithTimeout(r->host, r->port, r->tv_connect);
    if (!c) {
        *kind = RLR_FAIL;
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (c->err) {
        snprintf(why, whylen, "connect: %s", c->errstr);
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, r->tv_command);
    redisReply *rep;
    if (r->password) {
        const char *a[3] = {"AUTH", r->user ? r->user : r->password, r->password};
        if (!(rep = command_ok(c, why, whylen, r->user ? 3 : 2, a, kind)))
            goto bad;
        freeReplyObject(rep);
    }
    if (r->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->db);
        const char *a[2] = {"SELECT", db};
        if (!(rep = command_ok(c, why, whylen, 2, a, kind)))
            goto bad;
        freeReplyObject(rep);
    }
    const char *a[3] = {"SCRIPT", "LOAD", rlr_script};
    if (!(rep = command_ok(c, why, whylen, 3, a, kind)))
        goto bad;
    if (rep->type != REDIS_REPLY_STRING || rep->len != 40) {
        *kind = RLR_FAIL;
        snprintf(why, whylen, "SCRIPT LOAD: unexpected answer");
        freeReplyObject(rep);
        goto bad;
    }
    pthread_mutex_lock(&r->mu);
    memcpy(r->sha, rep->str, 40);
    r->sha[40] = 0;
    pthread_mutex_unlock(&r->mu);
    freeReplyObject(rep);
    return c;
bad:
    redisFree(c);
    return NULL;
}

/* Take a connection: an idle one, a new one while the pool has room, or wait up to the command
 * timeout for one. RLR_OK with *out, RLR_BUSY, or RLR_CONN / RLR_FAIL from connecting. */
static int get_conn(rl_redis *r, redisContext **out, char *why, size_t whylen)
{
    *out = NULL;
    struct timespec deadline = {0, 0};
    int waited = 0;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (r->nidle) {
            *out = r->idle[--r->nidle];
            pthread_mutex_unlock(&r->mu);
            return RLR_OK;
        }
        if (!r->max_open || r->nopen < r->max_open)
            break;
        if (!waited) {
            clock_gettime(CLOCK_MONOTONIC, &deadline);
            deadline.tv_sec += r->command_ms / 1000;
            deadline.tv_nsec += (long)(r->command_ms % 1000) * 1000000L;
            if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
            }
            waited = 1;
        }
        if (pthread_cond_timedwait(&r->freed, &r->mu, &deadline) == ETIMEDOUT &&
            !r->nidle && r->nopen >= r->max_open) {
            pthread_mutex_unlock(&r->mu);
            snprintf(why, whylen, "no pooled connection free within %u ms (pool_size %u)",
                     r->command_ms, r->max_open);
            return RLR_BUSY;
        }
    }
    r->nopen++; /* the slot is ours while we connect */
    pthread_mutex_unlock(&r->mu);
    int kind;
    redisContext *c = connect_one(r, why, whylen, &kind);
    if (!c) {
        close_conn(r, NULL);
        return kind;
    }
    *out = c;
    return RLR_OK;
}

int rlr_ping(rl_redis *r, char *why, size_t whylen)
{
    for (unsigned attempt = 0;; attempt++) {
        redisContext *c;
        int rc = get_conn(r, &c, why, whylen);
        if (rc == RLR_OK) {
            put_conn(r, c);
            return RLR_OK;
        }
        if (rc != RLR_CONN || attempt >= r->retries)
            return RLR_FAIL;
    }
}

/* One script run on c: RLR_OK, RLR_CONN or RLR_FAIL (why written). */
static int run_script(rl_redis *r, redisContext *c, const char *key, uint64_t cap_level,
                      uint64_t limit, uint64_t win, int *allowed, uint64_t *level, char *why,
                      size_t whylen)
{
    size_t klen = strlen(key);
    char *full = malloc(klen + 32);
    if (!full) {
        snprintf(why, whylen, "out of memory");
        return RLR_FAIL;
    }
    snprintf(full, klen + 32, "rate_limit:%s:bucket", key);
    char sha[48], scap[32], slim[32], swin[32];
    pthread_mutex_lock(&r->mu);
    memcpy(sha, r->sha, sizeof sha);
    pthread_mutex_unlock(&r->mu);
    snprintf(scap, sizeof scap, "%llu", (unsigned long long)cap_level);
    snprintf(slim, sizeof slim, "%llu", (unsigned long long)limit);
    snprintf(swin, sizeof swin, "%llu", (unsigned long long)win);
    const char *argv[7] = {"EVALSHA", sha, "1", full, scap, slim, swin};
    redisReply *rep = redisCommandArgv(c, 7, argv, NULL);
    if (rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(rep);
        argv[0] = "EVAL";
        argv[1] = rlr_script;
        rep = redisCommandArgv(c, 7, argv, NULL);
    }
    int err_no = errno, rc = RLR_FAIL;
    free(full);
    if (!rep) {
        rc = failure_kind(c, err_no);
        snprintf(why, whylen, "%s", c->errstr[0] ? c->errstr : "no answer");
    } else if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(why, whylen, "script: %s", rep->str);
    } else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
               rep->element[0]->type != REDIS_REPLY_INTEGER ||
               rep->element[1]->type != REDIS_REPLY_INTEGER || rep->element[1]->integer < 0) {
        snprintf(why, whylen, "script: unexpected answer");
    } else {
        *allowed = rep->element[0]->integer == 1;
        *level = (uint64_t)rep->element[1]->integer;
        rc = RLR_OK;
    }
    if (rep)
        freeReplyObject(rep);
    return rc;
}

int rlr_take(rl_redis *r, const char *key, uint64_t cap_level, uint64_t limit, uint64_t win,
             int *allowed, uint64_t *level, char *why, size_t whylen)
{
    for (unsigned attempt = 0;; attempt++) {
        redisContext *c;
        int rc = get_conn(r, &c, why, whylen);
        if (rc == RLR_BUSY)
            return RLR_BUSY;
        if (rc == RLR_OK) {
            rc = run_script(r, c, key, cap_level, limit, win, allowed, level, why, whylen);
            if (rc == RLR_OK) {
                put_conn(r, c);
                return RLR_OK;
            }
            close_conn(r, c);
        }
        drop_idle(r);
        if (rc != RLR_CONN || attempt >= r->retries)
            return RLR_FAIL;
    }
}
