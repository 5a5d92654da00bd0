/*
 * test_ratelimit.c — the in-memory token bucket on a fake clock: exactly capacity requests
 * pass and the next is rejected with the right headers; tokens come back continuously at
 * limit/window (fractions included); per-call limits and windows; many keys stay independent;
 * full idle buckets are evicted so memory stays bounded; several threads on one key get
 * exactly capacity; bad keys and bad configuration are errors, and Redis URLs are parsed
 * (a server that does not answer at start is a note, not an error).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nqdb.h"
#include "ratelimit.h"

typedef struct fake_clock {
    uint64_t ms;
} fake_clock;

static uint64_t fake_now(void *arg) { return ((fake_clock *)arg)->ms; }

static rl_limiter *make(unsigned limit, unsigned window, unsigned burst, fake_clock *clk)
{
    rl_config cfg = {.limit = limit, .window_seconds = window, .burst = burst};
    rl_limiter *rl = NULL;
    char err[256];
    assert_int_equal(rl_new(&cfg, &rl, err, sizeof err), 0);
    assert_string_equal(err, "");
    clk->ms = 1000000;
    rl_set_clock(rl, fake_now, clk);
    return rl;
}

static void test_exact_counts(void **state)
{
    (void)state;
    fake_clock clk;
    rl_limiter *rl = make(10, 3600, 5, &clk);
    rl_result r;
    for (unsigned i = 0; i < 15; i++) {
        assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.limit, 10);
        assert_int_equal(r.remaining, 14 - i);
        /* (i+1) tokens missing at 10 per 3600 s: 360 s each */
        assert_int_equal(r.reset_seconds, 360 * (i + 1));
        assert_int_equal(r.retry_after, 0);
        assert_int_equal(r.backend, RL_MEMORY);
    }
    assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.retry_after, 360);
    assert_int_equal(r.reset_seconds, 15 * 360);
    /* rejected requests take nothing: 359.999 s later still no whole token */
    clk.ms += 359999;
    assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.retry_after, 1);
    clk.ms += 1;
    assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    /* a whole window refills 10 tokens, not the burst: capacity is reached after 15 * 360 s */
    clk.ms += 3600 * 1000;
    assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.remaining, 9);
    clk.ms += 100ull * 3600 * 1000; /* long idle: full again, never more */
    assert_int_equal(rl_take(rl, "ip:1.2.3.4", 0, 0, &r), 0);
    assert_int_equal(r.remaining, 14);
    rl_free(rl);
}

static void test_fractional_refill(void **state)
{
    (void)state;
    fake_clock clk;
    /* 3 per 10 s: one token every 3.333 s; 1 ms steps must add up, not be rounded away */
    rl_limiter *rl = make(3, 10, 0, &clk);
    rl_result r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rl_take(rl, "k", 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
    }
    int allowed = 0;
    for (int ms = 1; ms <= 10000; ms++) {
        clk.ms += 1;
        assert_int_equal(rl_take(rl, "k", 0, 0, &r), 0);
        if (r.allowed) {
            allowed++;
            /* the n-th token is complete at n * 3333.33 ms */
            assert_int_equal(ms, (allowed * 10000 + 2) / 3);
        }
    }
    assert_int_equal(allowed, 3);
    rl_free(rl);
}

static void test_per_call_limits(void **state)
{
    (void)state;
    fake_clock clk;
    rl_limiter *rl = make(1000, 3600, 50, &clk);
    rl_result r;
    /* keygen: 5 per hour exactly, the configured burst does not apply */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rl_take(rl, "keygen:ip:10.0.0.1", 5, 3600, &r), 0);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.limit, 5);
        assert_int_equal(r.remaining, 4 - i);
    }
    assert_int_equal(rl_take(rl, "keygen:ip:10.0.0.1", 5, 3600, &r), 0);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.retry_after, 720);
    /* another window length: 2 per minute */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rl_take(rl, "api_key:abc", 2, 60, &r), 0);
        assert_int_equal(r.allowed, 1);
    }
    assert_int_equal(rl_take(rl, "api_key:abc", 2, 60, &r), 0);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.retry_after, 30);
    clk.ms += 30000;
    assert_int_equal(rl_take(rl, "api_key:abc", 2, 60, &r), 0);
    assert_int_equal(r.allowed, 1);
    /* the configured limit: 1000 + 50 */
    assert_int_equal(rl_take(rl, "user:bob", 0, 0, &r), 0);
    assert_int_equal(r.limit, 1000);
    assert_int_equal(r.remaining, 1049);
    rl_free(rl);
}

static void test_many_keys_and_eviction(void **state)
{
    (void)state;
    fake_clock clk;
    rl_limiter *rl = make(4, 60, 0, &clk);
    rl_result r;
    char key[64];
    /* 5000 keys, each used 3 times: independent buckets */
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 5000; i++) {
            snprintf(key, sizeof key, "ip:10.%d.%d.1", i / 256, i % 256);
            assert_int_equal(rl_take(rl, key, 0, 0, &r), 0);
            assert_int_equal(r.allowed, 1);
            assert_int_equal(r.remaining, 3 - round);
        }
    assert_int_equal(rl_count(rl), 5000);
    /* not yet full after 44.999 s (3 tokens at 15 s each): nothing is dropped */
    clk.ms += 44999;
    assert_int_equal(rl_sweep(rl), 5000);
    clk.ms += 1;
    assert_int_equal(rl_sweep(rl), 0);
    /* eviction changes nothing a caller can see: the next take is a full bucket */
    assert_int_equal(rl_take(rl, "ip:10.0.0.1", 0, 0, &r), 0);
    assert_int_equal(r.remaining, 3);

    /* bounded without explicit sweeps: a stream of new keys, each idle long enough to refill,
     * never holds more than about twice the live ones plus the per-shard floor */
    size_t peak = 0;
    for (int i = 0; i < 200000; i++) {
        snprintf(key, sizeof key, "ip:stream:%d", i);
        assert_int_equal(rl_take(rl, key, 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
        clk.ms += 1; /* each bucket is full 15 s after its take: at most 15000 live */
        if (i % 1000 == 0) {
            size_t n = rl_count(rl);
            if (n > peak)
                peak = n;
        }
    }
    assert_true(peak < 2 * 15000 + 64 * 64 + 64);
    assert_true(peak >= 15000);
    rl_free(rl);
}

typedef struct hammer {
    rl_limiter *rl;
    int allowed;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    rl_result r;
    for (int i = 0; i < 2000; i++) {
        if (rl_take(h->rl, "api_key:shared", 0, 0, &r) == 0 && r.allowed)
            h->allowed++;
        char other[32];
        snprintf(other, sizeof other, "ip:%d", i); /* other shards busy too */
        rl_take(h->rl, other, 0, 0, &r);
    }
    return NULL;
}

static void test_threads_one_key(void **state)
{
    (void)state;
    fake_clock clk; /* frozen: no refill while they run */
    rl_limiter *rl = make(1000, 3600, 234, &clk);
    hammer h[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        h[i].rl = rl;
        h[i].allowed = 0;
        assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += h[i].allowed;
    }
    assert_int_equal(total, 1234);
    rl_free(rl);
}

static void test_bad_input(void **state)
{
    (void)state;
    fake_clock clk;
    rl_limiter *rl = make(5, 60, 0, &clk);
    rl_result r;
    r.allowed = 1;
    assert_int_equal(rl_take(rl, "", 0, 0, &r), NQ_EINVAL);
    assert_int_equal(r.allowed, 0);
    assert_int_equal(r.retry_after, 1);
    assert_int_equal(r.limit, 5);
    /* an absurd per-call limit is capped, not refused: 4e9 per hour is effectively unlimited */
    assert_int_equal(rl_take(rl, "api_key:huge", 4000000000u, 3600, &r), 0);
    assert_int_equal(r.allowed, 1);
    assert_int_equal(r.limit, 4000000000u);
    assert_true(r.remaining > 1000000000u);
    r.allowed = 1;
    assert_int_equal(rl_take(rl, NULL, 0, 0, &r), NQ_EINVAL);
    assert_int_equal(r.allowed, 0);
    char big[RL_KEY_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(rl_take(rl, big, 0, 0, &r), NQ_EINVAL);
    big[RL_KEY_MAX] = 0;
    assert_int_equal(rl_take(rl, big, 0, 0, &r), 0);
    assert_int_equal(r.allowed, 1);
    char st[128];
    rl_status(rl, st, sizeof st);
    assert_string_equal(st, "memory");
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    rl_free(rl);

    char err[256];
    rl_limiter *x = (rl_limiter *)1;
    rl_config cfg = {.limit = 0};
    assert_int_equal(rl_new(&cfg, &x, err, sizeof err), NQ_EINVAL);
    assert_null(x);
    assert_non_null(strstr(err, "requests_per_hour"));
    static const struct {
        const char *url;
        int rc;
        const char *msg;
    } bad[] = {
        {"http://localhost", NQ_EINVAL, "must start with"},
        {"rediss://localhost:6380", NQ_ENOTSUP, "not supported yet"},
        {"redis://", NQ_EINVAL, "no host"},
        {"redis://host:99999", NQ_EINVAL, "bad port"},
        {"redis://host:12x", NQ_EINVAL, "bad port"},
        {"redis://host:6379/abc", NQ_EINVAL, "database number"},
        {"redis://pw@host", NQ_EINVAL, "credentials"},
        {"redis://[::1", NQ_EINVAL, "unterminated"},
        {"unix://relative.sock", NQ_EINVAL, "absolute"},
        {"unix:///tmp/x.sock?foo=1", NQ_EINVAL, "db=N"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg = (rl_config){.limit = 10, .redis_url = bad[i].url};
        int rc = rl_new(&cfg, &x, err, sizeof err);
        if (rc != bad[i].rc || !strstr(err, bad[i].msg))
            fail_msg("%s: rc %d, %s", bad[i].url, rc, err);
    }
}

static int logged;
static void count_log(void *arg, int level, const char *msg)
{
    (void)arg;
    (void)level;
    (void)msg;
    logged++;
}

/* Nothing listens on the socket: memory with a note, limits still enforced (never fail open),
 * and the URL (without its password) and the reason in the status. */
static void test_redis_absent_at_start(void **state)
{
    (void)state;
    rl_config cfg = {.limit = 3,
                     .window_seconds = 3600,
                     .redis_url = "redis://:secret@[::1]:1/2",
                     .redis_timeout_ms = 200};
    rl_limiter *rl = NULL;
    char err[256];
    assert_int_equal(rl_new(&cfg, &rl, err, sizeof err), 0);
    assert_non_null(strstr(err, "unreachable"));
    assert_null(strstr(err, "secret"));
    assert_int_equal(rl_backend(rl), RL_MEMORY);
    fake_clock clk = {.ms = 0};
    rl_set_log(rl, count_log, NULL);
    rl_set_clock(rl, fake_now, &clk);
    rl_result r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rl_take(rl, "ip:x", 0, 0, &r), 0);
        assert_int_equal(r.allowed, 1);
        assert_int_equal(r.backend, RL_MEMORY);
    }
    assert_int_equal(rl_take(rl, "ip:x", 0, 0, &r), 0);
    assert_int_equal(r.allowed, 0);
    char st[512];
    rl_status(rl, st, sizeof st);
    assert_non_null(strstr(st, "memory (redis redis://[::1]:1/2 unreachable since "));
    assert_non_null(strstr(st, "connect"));
    assert_int_equal(logged, 0); /* still down: no news to log */
    rl_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_counts),
        cmocka_unit_test(test_fractional_refill),
        cmocka_unit_test(test_per_call_limits),
        cmocka_unit_test(test_many_keys_and_eviction),
        cmocka_unit_test(test_threads_one_key),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_redis_absent_at_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
