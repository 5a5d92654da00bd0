/*
 * test_ratelimit_redis.c — the Redis backend against a real redis-server started by the test
 * (a child process on a unix socket, no persistence): exact counts and headers through Redis,
 * the bucket key `rate_limit:{key}:bucket` with its TTL, two limiters sharing one budget (also
 * from four threads at once: exactly the capacity passes),
 * a flushed script cache (NOSCRIPT -> EVAL), and the fallback: Redis killed -> memory with the
 * last known state (no fail-open), logged once and shown in rl_status; Redis restarted -> back
 * after the retry interval, logged again. The configuration: the connection pool limit (more
 * threads than pool_size: every call decided, never more connections than pool_size), a full
 * pool decided from memory after the wait without blaming Redis, reconnects (retry_attempts)
 * after a connection error but not after an error answer, and the circuit breaker on the
 * injected clock (opens after exactly failure_threshold failures, stays open for open_ms,
 * half-open closes after success_threshold successes, a half-open failure re-opens it).
 * Skips when redis-server is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nqdb.h"
#include "ratelimit.h"

static char redis_bin[256];
static char sock[108];
static char url[128];
static pid_t redis_pid;

static int find_redis(void)
{
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s:/usr/bin:/usr/sbin:/usr/local/bin", path ? path : "");
    for (char *save = NULL, *dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        snprintf(redis_bin, sizeof redis_bin, "%s/redis-server", dir);
        if (access(redis_bin, X_OK) == 0)
            return 1;
    }
    redis_bin[0] = 0;
    return 0;
}

static redisContext *connect_test(void)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectUnixWithTimeout(sock, tv);
    if (c && c->err) {
        redisFree(c);
        c = NULL;
    }
    return c;
}

static int start_redis(void)
{
    unlink(sock);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(redis_bin, "redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
              "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    redis_pid = pid;
    /* wait (up to 10 s, in 5 ms steps) until it answers */
    for (int i = 0; i < 2000; i++) {
        redisContext *c = connect_test();
        if (c) {
            redisReply *r = redisCommand(c, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS;
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (ok)
                return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            redis_pid = 0;
            return -1;
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static void stop_redis(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
    unlink(sock);
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* as the server does: a write to a killed Redis is EPIPE */
    if (!find_redis())
        return 0;
    snprintf(sock, sizeof sock, "/tmp/nqdb-rl-%ld.sock", (long)getpid());
    snprintf(url, sizeof url, "unix://%s", sock);
    if (start_redis() != 0) {
        fprintf(stderr, "could not start %s\n", redis_bin);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    stop_redis();
    return 0;
}

#define NEED_REDIS()                                                                           \
    do {                                                                                       \
        if (!redis_bin[0]) {                                                                   \
            print_message("redis-server not installed: skipping the Redis rate-limit test\n"); \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

static void redis_do(const char *cmd)
{
    redisContext *c = connect_test();
    assert_non_null(c);
    redisReply *r = redisCommand(c, cmd);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(c);
}

static long long redis_int(const char *fmt, const char *arg)
{
    redisContext *c = connect_test();
    assert_non_null(c);
    redisReply *r = redisCommand(c, fmt, arg);
    assert_non_null(r);
    long long v = -999;
    if (r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else if (r->type == REDIS_REPLY_STRING)
        v = atoll(r->str);
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static rl_limiter *make(unsigned limit, unsigned burst)
{
    rl_config cfg = {.limit = limit, .window_seconds = 3600, .burst = burst, .redis_url = url,
                     .redis_timeout_ms = 1000};
    rl_limiter *rl = NULL;
    char err[256];
    assert_int_equal(rl_new(&cfg, &rl, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(rl_backend(rl), RL_REDIS);
    return rl;
}

static void test_counts_and_key(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    rl_limiter *rl = make(5, 2);
    rl_result r;
    for (unsigned i = 0; i < 7; i++) {
        assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
        assert_int_equal(r.backend, RL_REDIS);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.limit, 5);
        assert_int_equal(r.remaining, 6 - i);
    }
    assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.remaining, 0);
    /* one token per 720 s; only the milliseconds the test ran have refilled */
    assert_in_range(r.retry_after, 719, 720);
    assert_in_range(r.reset_seconds, 7 * 720 - 1, 7 * 720);

    /* the upstream key, a hash, with a TTL of the time to refill (+1 s) */
    assert_int_equal(redis_int("EXISTS %s", "rate_limit:ip:1.2.3.4:bucket"), 1);
    assert_int_equal(redis_int("HGET %s win", "rate_limit:ip:1.2.3.4:bucket"), 3600000);
    long long ttl = redis_int("PTTL %s", "rate_limit:ip:1.2.3.4:bucket");
    assert_in_range(ttl, 7 * 720000 - 5000, 7 * 720000 + 1000);

    /* per-call limit and window through Redis */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rl_take(rl, "keygen:ip:1.2.3.4", 2, 60, &r), 0);
        assert_int_equal(r.allowed, 1);
    }
    assert_int_equal(rl_take(rl, "keygen:ip:1.2.3.4", 2, 60, &r), 0);
    assert_int_equal(r.allowed, 0);
    assert_in_range(r.retry_after, 29, 30);
    assert_int_equal(r.backend, RL_REDIS);

    char st[256], want[256];
    rl_status(rl, st, sizeof st);
    snprintf(want, sizeof want, "redis %s: ok", url);
    assert_string_equal(st, want);
    rl_free(rl);
}

static void test_shared_budget(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    rl_limiter *a = make(6, 0), *b = make(6, 0);
    rl_result r;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rl_take(a, "api_key:k1", 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rl_take(b, "api_key:k1", 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.remaining, (unsigned)(1 - i));
    }
    assert_int_equal(rl_take(a, "api_key:k1", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(rl_take(b, "api_key:k1", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    /* other keys are not affected */
    assert_int_equal(rl_take(b, "api_key:k2", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 5);
    rl_free(a);
    rl_free(b);
}

static void test_script_flushed(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    rl_limiter *rl = make(3, 0);
    rl_result r;
    assert_int_equal(rl_take(rl, "user:ann", 0, 0, &r), 0);
    assert_int_equal(r.remaining, 2);
    redis_do("SCRIPT FLUSH"); /* EVALSHA now answers NOSCRIPT */
    assert_int_equal(rl_take(rl, "user:ann", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 1);
    assert_int_equal(rl_backend(rl), RL_REDIS);
    rl_free(rl);
}

typedef struct hammer {
    rl_limiter *rl;
    int allowed, not_redis;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    rl_result r;
    for (int i = 0; i < 60; i++) {
        if (rl_take(h->rl, "api_key:hot", 0, 0, &r) != 0 || r.backend != RL_REDIS)
            h->not_redis++;
        else if (r.allowed)
            h->allowed++;
    }
    return NULL;
}

/* The script is atomic: threads of two limiters racing on one key get exactly the capacity. */
static void test_threads_through_redis(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    rl_limiter *a = make(30, 7), *b = make(30, 7);
    hammer h[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        h[i] = (hammer){i % 2 ? a : b, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(h[i].not_redis, 0);
        total += h[i].allowed;
    }
    assert_int_equal(total, 37);
    rl_free(a);
    rl_free(b);
}

typedef struct fake_clock {
    uint64_t ms;
} fake_clock;
static uint64_t fake_now(void *arg) { return ((fake_clock *)arg)->ms; }

typedef struct log_rec {
    int n, level[8];
    char msg[8][512];
} log_rec;

static void rec_log(void *arg, int level, const char *msg)
{
    log_rec *l = arg;
    if (l->n < 8) {
        l->level[l->n] = level;
        snprintf(l->msg[l->n], sizeof l->msg[0], "%s", msg);
    }
    l->n++;
}

static void test_fallback_and_back(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    rl_limiter *rl = make(3, 0);
    fake_clock clk = {.ms = 1000};
    log_rec lg = {0};
    rl_set_clock(rl, fake_now, &clk);
    rl_set_log(rl, rec_log, &lg);
    rl_result r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rl_take(rl, "ip:9.9.9.9", 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.backend, RL_REDIS);
    }
    /* one token used of ip:8.8.8.8 */
    assert_int_equal(rl_take(rl, "ip:8.8.8.8", 0, 0, &r), 0);
    assert_int_equal(r.remaining, 2);

    stop_redis();
    /* exhausted through Redis, still exhausted in memory: no fail-open */
    assert_int_equal(rl_take(rl, "ip:9.9.9.9", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.retry_after, 1200);
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    assert_int_equal(lg.n, 1);
    assert_int_equal(lg.level[0], RL_LOG_WARNING);
    assert_non_null(strstr(lg.msg[0], sock));
    char st[512], want[256];
    rl_status(rl, st, sizeof st);
    snprintf(want, sizeof want, "memory (redis %s unreachable since ", url);
    assert_memory_equal(st, want, strlen(want));
    assert_non_null(strstr(st, "Z: "));
    /* the mirrored state continues: 2 left for 8.8.8.8, a new key gets a full bucket */
    assert_int_equal(rl_take(rl, "ip:8.8.8.8", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rl_take(rl, "ip:7.7.7.7", 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.backend, RL_MEMORY);
    }
    assert_int_equal(rl_take(rl, "ip:7.7.7.7", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(lg.n, 1); /* logged once */

    assert_int_equal(start_redis(), 0);
    /* within the retry interval the limiter stays on memory */
    clk.ms += RL_RETRY_MS - 1;
    assert_int_equal(rl_take(rl, "ip:6.6.6.6", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    clk.ms += 1;
    assert_int_equal(rl_take(rl, "ip:6.6.6.6", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 2); /* the restarted Redis had no bucket for it */
    assert_int_equal(rl_backend(rl), RL_REDIS);
    assert_int_equal(lg.n, 2);
    assert_int_equal(lg.level[1], RL_LOG_INFO);
    rl_status(rl, st, sizeof st);
    snprintf(want, sizeof want, "redis %s: ok", url);
    assert_string_equal(st, want);
    assert_int_equal(redis_int("EXISTS %s", "rate_limit:ip:6.6.6.6:bucket"), 1);
    rl_free(rl);
}

/* A command error (the key holds something else) is a failure too: memory, never a pass. */
static void test_command_error(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    redis_do("SET rate_limit:ip:5.5.5.5:bucket not-a-hash");
    rl_limiter *rl = make(1, 0);
    fake_clock clk = {.ms = 1000};
    rl_set_clock(rl, fake_now, &clk);
    rl_result r;
    assert_int_equal(rl_take(rl, "ip:5.5.5.5", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(rl_take(rl, "ip:5.5.5.5", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    char st[512];
    rl_status(rl, st, sizeof st);
    assert_non_null(strstr(st, "WRONGTYPE"));
    rl_free(rl);
}

/* Redis absent at start, then started: the limiter moves to it on the first retry. */
static void test_late_redis(void **state)
{
    (void)state;
    NEED_REDIS();
    stop_redis();
    rl_config cfg = {.limit = 2, .window_seconds = 60, .redis_url = url, .redis_timeout_ms = 500};
    rl_limiter *rl = NULL;
    char err[256];
    assert_int_equal(rl_new(&cfg, &rl, err, sizeof err), 0);
    assert_non_null(strstr(err, "unreachable"));
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    fake_clock clk = {.ms = 0};
    rl_set_clock(rl, fake_now, &clk);
    rl_result r;
    assert_int_equal(start_redis(), 0);
    assert_int_equal(rl_take(rl, "ip:1", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    rl_free(rl);
}

/* A field of INFO (e.g. "total_connections_received"), through a connection of its own. */
static long long redis_info(const char *field)
{
    redisContext *c = connect_test();
    assert_non_null(c);
    redisReply *r = redisCommand(c, "INFO");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char pat[64];
    snprintf(pat, sizeof pat, "\r\n%s:", field);
    const char *p = strstr(r->str, pat);
    assert_non_null(p);
    long long v = atoll(p + strlen(pat));
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static rl_limiter *make_cfg(const rl_config *cfg)
{
    rl_limiter *rl = NULL;
    char err[256];
    assert_int_equal(rl_new(cfg, &rl, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(rl_backend(rl), RL_REDIS);
    return rl;
}

typedef struct pool_worker {
    rl_limiter *rl;
    int allowed, undecided, not_redis;
} pool_worker;

static void *pool_run(void *arg)
{
    pool_worker *w = arg;
    rl_result r;
    for (int i = 0; i < 50; i++) {
        if (rl_take(w->rl, "api_key:pool", 0, 0, &r) != 0)
            w->undecided++;
        else if (r.backend != RL_REDIS)
            w->not_redis++;
        else if (r.allowed)
            w->allowed++;
    }
    return NULL;
}

/* Eight threads, a pool of two: every call is decided by Redis (waiting for a connection), the
 * capacity is exact, and Redis never saw more than two connections (the idle ones are kept). */
static void test_pool_limit(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    long long before = redis_info("total_connections_received");
    rl_config cfg = {.limit = 150, .window_seconds = 3600, .burst = 5, .redis_url = url,
                     .redis_timeout_ms = 5000, .pool_size = 2};
    rl_limiter *rl = make_cfg(&cfg);
    pool_worker w[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (pool_worker){rl, 0, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, pool_run, &w[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].undecided, 0);
        assert_int_equal(w[i].not_redis, 0);
        total += w[i].allowed;
    }
    assert_int_equal(total, 155);
    /* connections the limiter opened: all INFO calls but this one were counted in `before` */
    long long opened = redis_info("total_connections_received") - before - 1;
    assert_in_range(opened, 1, 2);
    /* kept open, idle: connected_clients counts the INFO connection too */
    assert_int_equal(redis_info("connected_clients") - 1, opened);
    rl_free(rl);
    assert_int_equal(redis_info("connected_clients"), 1);
}

/* ---- a fake Redis on a unix socket, for what a real one cannot be made to do on cue ---------- */

#define FAKE_CLOSE 0 /* close every connection after its first request */
#define FAKE_HOLD  1 /* answer SCRIPT LOAD; hold EVALSHA (a byte every 10 ms at most, never a
                        * whole answer) until released (or 5 s), then close; after the release
                        * answer it */
#define FAKE_SILENT 2 /* never answer */

typedef struct fake_redis {
    char path[108], url[128];
    int lfd, mode;
    atomic_int accepted, evals, release, stop;
    pthread_t t;
} fake_redis;

static void fake_write(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void *fake_run(void *arg)
{
    fake_redis *f = arg;
    struct pollfd pf[9];
    int hold[9] = {0}, n = 1;
    pf[0].fd = f->lfd;
    pf[0].events = POLLIN;
    while (!atomic_load(&f->stop)) {
        for (int i = 0; i < n; i++)
            pf[i].revents = 0;
        int k = poll(pf, (nfds_t)n, 10);
        if (k > 0 && (pf[0].revents & POLLIN)) {
            int c = accept(f->lfd, NULL, NULL);
            if (c >= 0) {
                atomic_fetch_add(&f->accepted, 1);
                if (n == 9) {
                    close(c);
                } else {
                    pf[n].fd = c;
                    pf[n].events = POLLIN;
                    pf[n].revents = 0;
                    hold[n++] = 0;
                }
            }
        }
        for (int i = 1; i < n; i++) {
            if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[8192];
                ssize_t r = read(pf[i].fd, buf, sizeof buf);
                if (r <= 0 || f->mode == FAKE_CLOSE) {
                    close(pf[i].fd);
                    pf[i] = pf[n - 1];
                    hold[i] = hold[n - 1];
                    n--;
                    i--;
                    continue;
                }
                if (f->mode == FAKE_SILENT)
                    continue;
                if (memmem(buf, (size_t)r, "SCRIPT", 6)) {
                    char rep[64];
                    snprintf(rep, sizeof rep, "$40\r\n%040d\r\n", 0);
                    fake_write(pf[i].fd, rep, strlen(rep));
                } else if (memmem(buf, (size_t)r, "EVALSHA", 7)) {
                    atomic_fetch_add(&f->evals, 1);
                    if (atomic_load(&f->release)) {
                        fake_write(pf[i].fd, "*2\r\n:1\r\n:5\r\n", 12); /* {1, 5} */
                    } else {
                        fake_write(pf[i].fd, "*2\r\n:1\r\n:", 9);
                        hold[i] = 1;
                    }
                }
            }
            if (hold[i]) {
                /* released, or held for 5 s (a broken limiter must fail the test, not hang it) */
                if (atomic_load(&f->release) || hold[i]++ > 500) {
                    /* held answers end with a closed connection */
                    close(pf[i].fd);
                    pf[i] = pf[n - 1];
                    hold[i] = hold[n - 1];
                    n--;
                    i--;
                } else {
                    /* one more digit of an integer that never ends keeps the reader waiting */
                    fake_write(pf[i].fd, "0", 1);
                }
            }
        }
    }
    for (int i = 1; i < n; i++)
        close(pf[i].fd);
    return NULL;
}

static void fake_start(fake_redis *f, int mode)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/nqdb-rlfake-%ld.sock", (long)getpid());
    snprintf(f->url, sizeof f->url, "unix://%s", f->path);
    unlink(f->path);
    f->mode = mode;
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(f->lfd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->lfd, 16), 0);
    assert_int_equal(pthread_create(&f->t, NULL, fake_run, f), 0);
}

static void fake_stop(fake_redis *f)
{
    atomic_store(&f->stop, 1);
    pthread_join(f->t, NULL);
    close(f->lfd);
    unlink(f->path);
}

typedef struct taker {
    rl_limiter *rl;
    const char *key;
    int rc;
    rl_result r;
} taker;

static void *take_run(void *arg)
{
    taker *t = arg;
    t->rc = rl_take(t->rl, t->key, 0, 0, &t->r);
    return NULL;
}

/* pool_size 1 and its connection busy (the fake Redis holds the answer): another call waits the
 * command timeout and is then decided from memory, without a second connection and without
 * counting as a Redis failure. Released, the held connection is closed: the held call
 * reconnects (retry_attempts 1) and gets its answer. */
static void test_pool_full_uses_memory(void **state)
{
    (void)state;
    fake_redis f;
    fake_start(&f, FAKE_HOLD);
    rl_config cfg = {.limit = 1, .window_seconds = 3600, .redis_url = f.url,
                     .redis_timeout_ms = 300, .pool_size = 1, .retry_attempts = 1,
                     .breaker = {.enabled = 1, .failure_threshold = 1}};
    rl_limiter *rl = make_cfg(&cfg);
    assert_int_equal(atomic_load(&f.accepted), 1);
    taker a = {rl, "ip:held", -1, {0}};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, take_run, &a), 0);
    while (atomic_load(&f.evals) == 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    rl_result r;
    assert_int_equal(rl_take(rl, "ip:other", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(rl_take(rl, "ip:other", 0, 0, &r), 0); /* memory limits: never fail open */
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(atomic_load(&f.accepted), 1);
    assert_int_equal(rl_backend(rl), RL_REDIS); /* a full pool is not a Redis failure */
    atomic_store(&f.release, 1);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.r.backend, RL_REDIS);
    assert_int_equal(a.r.allowed, 1);
    assert_int_equal(atomic_load(&f.accepted), 2);
    assert_int_equal(atomic_load(&f.evals), 2);
    char st[512], want[256];
    rl_status(rl, st, sizeof st);
    snprintf(want, sizeof want, "redis %s: ok", f.url);
    assert_string_equal(st, want);
    rl_free(rl);
    fake_stop(&f);
}

/* A connection error is retried with a new connection retry_attempts times within the call:
 * against a Redis that closes every connection, one call connects 1 + retry_attempts times;
 * against one that never answers (a timeout), once. */
static void test_retry_count(void **state)
{
    (void)state;
    for (unsigned retries = 0; retries <= 2; retries += 2) {
        fake_redis f;
        fake_start(&f, FAKE_CLOSE);
        rl_config cfg = {.limit = 5, .redis_url = f.url, .redis_timeout_ms = 1000,
                         .retry_attempts = retries,
                         .breaker = {.enabled = 1, .failure_threshold = 1}};
        rl_limiter *rl = NULL;
        char err[256];
        assert_int_equal(rl_new(&cfg, &rl, err, sizeof err), 0);
        assert_non_null(strstr(err, "unreachable"));
        assert_int_equal(atomic_load(&f.accepted), (int)retries + 1);
        fake_clock clk = {.ms = 0};
        rl_set_clock(rl, fake_now, &clk); /* try Redis at the next take */
        rl_result r;
        assert_int_equal(rl_take(rl, "ip:1", 0, 0, &r), 0);
        assert_int_equal(r.backend, RL_MEMORY);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(atomic_load(&f.accepted), 2 * ((int)retries + 1));
        rl_free(rl);
        fake_stop(&f);
    }
    /* a command timeout is not a connection error: no reconnect */
    fake_redis f;
    fake_start(&f, FAKE_SILENT);
    rl_config cfg = {.limit = 5, .redis_url = f.url, .redis_timeout_ms = 100, .retry_attempts = 3};
    rl_limiter *rl = NULL;
    char err[256];
    assert_int_equal(rl_new(&cfg, &rl, err, sizeof err), 0);
    assert_non_null(strstr(err, "unreachable"));
    assert_int_equal(atomic_load(&f.accepted), 1);
    rl_free(rl);
    fake_stop(&f);
}

/* Real Redis closes the pooled connections (CLIENT KILL): with retry_attempts 1 the call
 * reconnects and Redis decides; with 0 it is decided from memory and counted as a failure
 * (below the threshold: the breaker stays closed). An error answer is not retried. */
static void test_retry_reconnects(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    rl_config cfg = {.limit = 5, .window_seconds = 3600, .redis_url = url,
                     .redis_timeout_ms = 1000, .retry_attempts = 1,
                     .breaker = {.enabled = 1, .failure_threshold = 5}};
    rl_limiter *a = make_cfg(&cfg);
    cfg.retry_attempts = 0;
    rl_limiter *b = make_cfg(&cfg);
    rl_result r;
    assert_int_equal(rl_take(a, "ip:a", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(rl_take(b, "ip:b", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    redis_do("CLIENT KILL TYPE normal"); /* every client but this one */

    assert_int_equal(rl_take(a, "ip:a", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(r.remaining, 3);
    char st[512], want[256];
    rl_status(a, st, sizeof st);
    snprintf(want, sizeof want, "redis %s: ok", url);
    assert_string_equal(st, want);

    assert_int_equal(rl_take(b, "ip:b", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(r.remaining, 3); /* the mirrored state */
    assert_int_equal(rl_backend(b), RL_REDIS);
    rl_status(b, st, sizeof st);
    snprintf(want, sizeof want, "redis %s: ok (1 of 5 consecutive failures: ", url);
    assert_memory_equal(st, want, strlen(want));
    /* the next call opens a new connection; the failure count starts again */
    assert_int_equal(rl_take(b, "ip:b", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(r.remaining, 3); /* Redis never saw the memory take */
    rl_status(b, st, sizeof st);
    snprintf(want, sizeof want, "redis %s: ok", url);
    assert_string_equal(st, want);

    /* WRONGTYPE is an answer, not a connection error: no reconnect within the call */
    redis_do("SET rate_limit:ip:w:bucket not-a-hash");
    long long before = redis_info("total_connections_received");
    assert_int_equal(rl_take(a, "ip:w", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(redis_info("total_connections_received") - before - 1, 0);
    rl_free(a);
    rl_free(b);
}

/* The breaker on the injected clock: 3 failures open it, 10 s open, 2 successes close it. */
static void test_circuit_breaker(void **state)
{
    (void)state;
    NEED_REDIS();
    redis_do("FLUSHALL");
    rl_config cfg = {.limit = 100, .window_seconds = 3600, .redis_url = url,
                     .redis_timeout_ms = 1000,
                     .breaker = {.enabled = 1, .failure_threshold = 3, .success_threshold = 2,
                                 .open_ms = 10000}};
    rl_limiter *rl = make_cfg(&cfg);
    fake_clock clk = {.ms = 1000};
    log_rec lg = {0};
    rl_set_clock(rl, fake_now, &clk);
    rl_set_log(rl, rec_log, &lg);
    rl_result r;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rl_take(rl, "ip:x", 2, 0, &r), 0);
        assert_int_equal(r.backend, RL_REDIS);
        assert_int_equal(r.allowed, 1);
    }
    stop_redis();
    char st[512], want[256];
    for (unsigned i = 1; i <= 2; i++) {
        /* below the threshold: decided from memory, exhausted stays exhausted */
        assert_int_equal(rl_take(rl, "ip:x", 2, 0, &r), 0);
        assert_int_equal(r.backend, RL_MEMORY);
        assert_int_equal(r.allowed, 0);
        assert_int_equal(rl_backend(rl), RL_REDIS);
        assert_int_equal(lg.n, 0);
        rl_status(rl, st, sizeof st);
        snprintf(want, sizeof want, "redis %s: ok (%u of 3 consecutive failures: ", url, i);
        assert_memory_equal(st, want, strlen(want));
    }
    assert_int_equal(rl_take(rl, "ip:x", 2, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    assert_int_equal(lg.n, 1);
    assert_int_equal(lg.level[0], RL_LOG_WARNING);
    assert_non_null(strstr(lg.msg[0], "circuit breaker open"));
    rl_status(rl, st, sizeof st);
    snprintf(want, sizeof want, "memory (redis %s unreachable since ", url);
    assert_memory_equal(st, want, strlen(want));
    assert_non_null(strstr(st, "; circuit breaker open after 3 consecutive failures, next try in 10 s)"));

    /* open for 10 s: Redis is back but not asked (its new, empty database gets no bucket) */
    assert_int_equal(start_redis(), 0);
    clk.ms += 9999;
    assert_int_equal(rl_take(rl, "ip:y", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(redis_int("EXISTS %s", "rate_limit:ip:y:bucket"), 0);
    /* half-open: calls try Redis; two successes close the breaker */
    clk.ms += 1;
    assert_int_equal(rl_take(rl, "ip:y", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    rl_status(rl, st, sizeof st);
    assert_non_null(strstr(st, "; circuit breaker half-open, 1 of 2 successes)"));
    assert_int_equal(lg.n, 1);
    assert_int_equal(rl_take(rl, "ip:y", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    assert_int_equal(rl_backend(rl), RL_REDIS);
    assert_int_equal(lg.n, 2);
    assert_int_equal(lg.level[1], RL_LOG_INFO);
    assert_non_null(strstr(lg.msg[1], "circuit breaker closed"));
    rl_status(rl, st, sizeof st);
    snprintf(want, sizeof want, "redis %s: ok", url);
    assert_string_equal(st, want);

    /* open again (3 more failures), half-open, one success, then a failure: open for 10 s more */
    stop_redis();
    for (int i = 0; i < 3; i++)
        assert_int_equal(rl_take(rl, "ip:z", 0, 0, &r), 0);
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    assert_int_equal(lg.n, 3);
    assert_int_equal(start_redis(), 0);
    clk.ms += 10000;
    assert_int_equal(rl_take(rl, "ip:z", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_REDIS);
    stop_redis();
    assert_int_equal(rl_take(rl, "ip:z", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    rl_status(rl, st, sizeof st);
    assert_non_null(strstr(st, "; circuit breaker open after 3 consecutive failures, next try in 10 s)"));
    assert_int_equal(lg.n, 3); /* re-opening is not logged again */
    assert_int_equal(start_redis(), 0);
    clk.ms += 9999;
    assert_int_equal(rl_take(rl, "ip:z", 0, 0, &r), 0);
    assert_int_equal(r.backend, RL_MEMORY);
    assert_int_equal(redis_int("EXISTS %s", "rate_limit:ip:z:bucket"), 0);
    clk.ms += 1;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rl_take(rl, "ip:z", 0, 0, &r), 0);
        assert_int_equal(r.backend, RL_REDIS);
    }
    assert_int_equal(rl_backend(rl), RL_REDIS);
    assert_int_equal(lg.n, 4);
    rl_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_key),
        cmocka_unit_test(test_shared_budget),
        cmocka_unit_test(test_script_flushed),
        cmocka_unit_test(test_threads_through_redis),
        cmocka_unit_test(test_fallback_and_back),
        cmocka_unit_test(test_command_error),
        cmocka_unit_test(test_late_redis),
        cmocka_unit_test(test_pool_limit),
        cmocka_unit_test(test_pool_full_uses_memory),
        cmocka_unit_test(test_retry_count),
        cmocka_unit_test(test_retry_reconnects),
        cmocka_unit_test(test_circuit_breaker),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
