/*
 * test_ratelimit_redis.c — the Redis backend against a real redis-server started by the test
 * (a child process on a unix socket, no persistence): exact counts and headers through Redis,
 * the bucket key `rate_limit:{key}:bucket` with its TTL, two limiters sharing one budget (also
 * from four threads at once: exactly the capacity passes),
 * a flushed script cache (NOSCRIPT -> EVAL), and the fallback: Redis killed -> memory with the
 * last known state (no fail-open), logged once and shown in rl_status; Redis restarted -> back
 * after the retry interval, logged again. Skips when redis-server is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
