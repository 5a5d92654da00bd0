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
 * Connections: hiredis contexts are not thread-safe, so a thread takes an idle connection from
 * a small pool (or opens a new one) for one call and gives it back; up to RLR_IDLE_MAX idle
 * ones are kept. On any failure every idle connection is closed too (they are most likely
 * dead as well) and the caller falls back to memory.
 */
#include <hiredis/hiredis.h>
#include <pthread.h>
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
    struct timeval tv;
    pthread_mutex_t mu; /* guards the pool and sha */
    redisContext *idle[RLR_IDLE_MAX];
    int nidle;
    char sha[48];
};

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

int rlr_new(const char *url, unsigned timeout_ms, rl_redis **out, char *err, size_t errlen)
{
    *out = NULL;
    rl_redis *r = calloc(1, sizeof *r);
    if (!r)
        return NQ_ENOMEM;
    pthread_mutex_init(&r->mu, NULL);
    r->tv.tv_sec = timeout_ms / 1000;
    r->tv.tv_usec = (timeout_ms % 1000) * 1000;
    int rc = parse_url(r, url, err, errlen);
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
    for (int i = 0; i < r->nidle; i++)
        redisFree(r->idle[i]);
    free(r->host);
    free(r->path);
    free(r->user);
    free(r->password);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

const char *rlr_display(const rl_redis *r) { return r->display; }

static void drop_idle(rl_redis *r)
{
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->nidle; i++)
        redisFree(r->idle[i]);
    r->nidle = 0;
    pthread_mutex_unlock(&r->mu);
}

/* Run a command on c; on failure write why and return NULL. An error reply is a failure. */
static redisReply *command_ok(redisContext *c, char *why, size_t whylen, int argc,
                              const char **argv)
{
    redisReply *rep = redisCommandArgv(c, argc, argv, NULL);
    if (!rep) {
        snprintf(why, whylen, "%s: %s", argv[0], c->errstr[0] ? c->errstr : "no answer");
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(why, whylen, "%s: %s", argv[0], rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

static redisContext *connect_one(rl_redis *r, char *why, size_t whylen)
{
    redisContext *c = r->path ? redisConnectUnixWithTimeout(r->path, r->tv)
                              : redisConnectWithTimeout(r->host, r->port, r->tv);
    if (!c) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (c->err) {
        snprintf(why, whylen, "connect: %s", c->errstr);
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, r->tv);
    redisReply *rep;
    if (r->password) {
        const char *a[3] = {"AUTH", r->user ? r->user : r->password, r->password};
        if (!(rep = command_ok(c, why, whylen, r->user ? 3 : 2, a)))
            goto bad;
        freeReplyObject(rep);
    }
    if (r->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->db);
        const char *a[2] = {"SELECT", db};
        if (!(rep = command_ok(c, why, whylen, 2, a)))
            goto bad;
        freeReplyObject(rep);
    }
    const char *a[3] = {"SCRIPT", "LOAD", rlr_script};
    if (!(rep = command_ok(c, why, whylen, 3, a)))
        goto bad;
    if (rep->type != REDIS_REPLY_STRING || rep->len != 40) {
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

static redisContext *get_conn(rl_redis *r, char *why, size_t whylen)
{
    redisContext *c = NULL;
    pthread_mutex_lock(&r->mu);
    if (r->nidle)
        c = r->idle[--r->nidle];
    pthread_mutex_unlock(&r->mu);
    return c ? c : connect_one(r, why, whylen);
}

static void put_conn(rl_redis *r, redisContext *c)
{
    pthread_mutex_lock(&r->mu);
    if (r->nidle < RLR_IDLE_MAX) {
        r->idle[r->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    if (c)
        redisFree(c);
}

int rlr_ping(rl_redis *r, char *why, size_t whylen)
{
    redisContext *c = connect_one(r, why, whylen);
    if (!c)
        return -1;
    put_conn(r, c);
    return 0;
}

int rlr_take(rl_redis *r, const char *key, uint64_t cap_level, uint64_t limit, uint64_t win,
             int *allowed, uint64_t *level, char *why, size_t whylen)
{
    redisContext *c = get_conn(r, why, whylen);
    if (!c) {
        drop_idle(r);
        return -1;
    }
    size_t klen = strlen(key);
    char *full = malloc(klen + 32);
    if (!full) {
        put_conn(r, c);
        snprintf(why, whylen, "out of memory");
        return -1;
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
    free(full);
    if (!rep) {
        snprintf(why, whylen, "%s", c->errstr[0] ? c->errstr : "no answer");
        goto bad;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(why, whylen, "script: %s", rep->str);
        goto bad;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
        rep->element[0]->type != REDIS_REPLY_INTEGER ||
        rep->element[1]->type != REDIS_REPLY_INTEGER || rep->element[1]->integer < 0) {
        snprintf(why, whylen, "script: unexpected answer");
        goto bad;
    }
    *allowed = rep->element[0]->integer == 1;
    *level = (uint64_t)rep->element[1]->integer;
    freeReplyObject(rep);
    put_conn(r, c);
    return 0;
bad:
    if (rep)
        freeReplyObject(rep);
    redisFree(c);
    drop_idle(r);
    return -1;
}
