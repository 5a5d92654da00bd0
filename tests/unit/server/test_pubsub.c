/*
 * test_pubsub.c — the subscription registry of the WebSocket endpoint (src/server/pubsub.c):
 * channel validation, pattern matching (every example of reference section 4.5 and the edge
 * cases around "*" and "**"), and who a publish reaches (exact, patterns, de-duplication,
 * unsubscribe of one pattern only, unsubscribe_all), checked against a brute-force model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pubsub.h"

static const struct {
    const char *pattern, *channel;
    int match;
} cases[] = {
    /* exact names */
    {"sensor.temperature", "sensor.temperature", 1},
    {"sensor.temperature", "sensor.humidity", 0},
    {"sensor.temperature", "sensor.temperature.x", 0},
    {"sensor", "sensor.temperature", 0},
    /* "*" is exactly one segment (the demo's sensor.*) */
    {"sensor.*", "sensor.temperature", 1},
    {"sensor.*", "sensor.humidity", 1},
    {"sensor.*", "sensor", 0},
    {"sensor.*", "sensor.a.b", 0},
    {"sensor.*", "other.temperature", 0},
    {"*", "a", 1},
    {"*", "a.b", 0},
    {"*.b", "a.b", 1},
    {"*.b", "a.c", 0},
    {"a.*.c", "a.b.c", 1},
    {"a.*.c", "a.c", 0},
    {"a.*.c", "a.b.x.c", 0},
    {"*.*", "a.b", 1},
    {"*.*", "a", 0},
    /* "**" is zero or more segments (the demo's events.**) */
    {"events.**", "events.user.login", 1},
    {"events.**", "events.x", 1},
    {"events.**", "events", 1},
    {"events.**", "eventsx", 0},
    {"events.**", "other.user", 0},
    {"**", "a", 1},
    {"**", "a.b.c.d", 1},
    {"**.z", "z", 1},
    {"**.z", "a.b.z", 1},
    {"**.z", "a.b.z.q", 0},
    {"a.**.z", "a.z", 1},
    {"a.**.z", "a.b.c.z", 1},
    {"a.**.z", "a.b.c", 0},
    {"a.**.b.**.c", "a.x.b.y.c", 1},
    {"a.**.b.**.c", "a.b.c", 1},
    {"a.**.b.**.c", "a.c.b", 0},
    {"a.**.b", "a.b.b.b", 1},
    {"**.**", "a", 1},
    {"**.*", "a", 1},
    {"**.*", "a.b.c", 1},
    {"*.**", "a", 1},
    {"*.**.*", "a", 0},
    {"*.**.*", "a.b", 1},
    {"**.a.*", "x.a.y", 1},
    {"**.a.*", "a.a.a", 1},
    {"**.a.*", "x.a", 0},
    /* '*' inside a segment is literal */
    {"a*b", "a*b", 1},
    {"a*b", "axb", 0},
    {"s.a*", "s.ab", 0},
    {"s.a*", "s.a*", 1},
    {"s.**x", "s.a.b", 0},
    {"s.**x", "s.**x", 1},
};

static void test_match_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = pubsub_match(cases[i].pattern, cases[i].channel);
        if (got != cases[i].match)
            fail_msg("match(\"%s\", \"%s\") = %d, want %d", cases[i].pattern, cases[i].channel,
                     got, cases[i].match);
    }
}

/* Reference matcher: plain recursion over segments (exponential, fine for short names). */
static int ref_match(const char **p, int np, const char **c, int nc)
{
    if (np == 0)
        return nc == 0;
    if (strcmp(p[0], "**") == 0)
        return ref_match(p + 1, np - 1, c, nc) || (nc > 0 && ref_match(p, np, c + 1, nc - 1));
    if (nc == 0)
        return 0;
    if (strcmp(p[0], "*") == 0 || strcmp(p[0], c[0]) == 0)
        return ref_match(p + 1, np - 1, c + 1, nc - 1);
    return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static void test_match_random(void **state)
{
    (void)state;
    static const char *const segs[] = {"a", "b", "c"};
    static const char *const psegs[] = {"a", "b", "c", "*", "**"};
    for (int iter = 0; iter < 20000; iter++) {
        const char *p[6], *c[6];
        int np = 1 + (int)rnd(5), nc = 1 + (int)rnd(5);
        char pb[64] = "", cb[64] = "";
        for (int i = 0; i < np; i++) {
            p[i] = psegs[rnd(5)];
            strcat(pb, i ? "." : "");
            strcat(pb, p[i]);
        }
        for (int i = 0; i < nc; i++) {
            c[i] = segs[rnd(3)];
            strcat(cb, i ? "." : "");
            strcat(cb, c[i]);
        }
        int want = ref_match(p, np, c, nc);
        if (pubsub_match(pb, cb) != want)
            fail_msg("match(\"%s\", \"%s\") != %d", pb, cb, want);
    }
}

static void test_channel_check(void **state)
{
    (void)state;
    char why[128];
    assert_int_equal(pubsub_channel_check("sensor.temperature", why, sizeof why), 0);
    assert_int_equal(pubsub_channel_check("a", why, sizeof why), 0);
    assert_int_equal(pubsub_channel_check("events.**", why, sizeof why), 0);
    assert_int_equal(pubsub_channel_check("table.users", why, sizeof why), 0);
    assert_int_not_equal(pubsub_channel_check("", why, sizeof why), 0);
    assert_non_null(strstr(why, "empty"));
    assert_int_not_equal(pubsub_channel_check(".a", why, sizeof why), 0);
    assert_non_null(strstr(why, "empty segment"));
    assert_int_not_equal(pubsub_channel_check("a.", why, sizeof why), 0);
    assert_int_not_equal(pubsub_channel_check("a..b", why, sizeof why), 0);
    assert_int_not_equal(pubsub_channel_check(".", why, sizeof why), 0);
    assert_int_not_equal(pubsub_channel_check("a\nb", why, sizeof why), 0);
    assert_non_null(strstr(why, "control"));
    char big[300];
    memset(big, 'x', sizeof big);
    big[256] = '\0';
    assert_int_equal(pubsub_channel_check(big, why, sizeof why), 0);
    big[256] = 'x';
    big[257] = '\0';
    assert_int_not_equal(pubsub_channel_check(big, why, sizeof why), 0);
    assert_non_null(strstr(why, "256"));
    assert_int_not_equal(pubsub_channel_check(NULL, NULL, 0), 0);
    assert_int_equal(pubsub_is_pattern("a.*"), 1);
    assert_int_equal(pubsub_is_pattern("a*b"), 1);
    assert_int_equal(pubsub_is_pattern("a.b"), 0);
}

static int has(void **arr, long n, void *p)
{
    int k = 0;
    for (long i = 0; i < n; i++)
        k += arr[i] == p;
    return k;
}

static void test_delivery(void **state)
{
    (void)state;
    int A, B, C, D; /* subscribers are opaque pointers */
    pubsub *ps = pubsub_new();
    assert_non_null(ps);
    assert_int_equal(pubsub_subscribe(ps, &A, "sensor.temperature"), 1);
    assert_int_equal(pubsub_subscribe(ps, &A, "sensor.temperature"), 0); /* idempotent */
    assert_int_equal(pubsub_subscribe(ps, &A, "sensor.*"), 1);
    assert_int_equal(pubsub_subscribe(ps, &B, "sensor.*"), 1);
    assert_int_equal(pubsub_subscribe(ps, &C, "events.**"), 1);
    assert_int_equal(pubsub_subscribe(ps, &D, "**"), 1);
    assert_int_equal(pubsub_count(ps, &A), 2);
    assert_int_equal(pubsub_has(ps, &A, "sensor.*"), 1);
    assert_int_equal(pubsub_has(ps, &C, "sensor.*"), 0);
    assert_int_equal(pubsub_has(ps, &A, "sensor.x"), 0);
    assert_int_equal(pubsub_channels(ps), 4);

    void **arr;
    long n = pubsub_collect(ps, "sensor.temperature", &arr);
    assert_int_equal(n, 3); /* A once (exact + pattern), B, D */
    assert_int_equal(has(arr, n, &A), 1);
    assert_int_equal(has(arr, n, &B), 1);
    assert_int_equal(has(arr, n, &D), 1);
    assert_int_equal(has(arr, n, &C), 0);
    free(arr);

    n = pubsub_collect(ps, "events", &arr);
    assert_int_equal(n, 2);
    assert_int_equal(has(arr, n, &C), 1);
    assert_int_equal(has(arr, n, &D), 1);
    free(arr);

    /* Unsubscribing a pattern removes only that pattern. */
    assert_int_equal(pubsub_unsubscribe(ps, &A, "sensor.*"), 1);
    assert_int_equal(pubsub_unsubscribe(ps, &A, "sensor.*"), 0);
    assert_int_equal(pubsub_unsubscribe(ps, &A, "sensor.nothing"), 0);
    n = pubsub_collect(ps, "sensor.humidity", &arr);
    assert_int_equal(n, 2); /* B, D; A only had the exact temperature channel left */
    assert_int_equal(has(arr, n, &A), 0);
    free(arr);
    n = pubsub_collect(ps, "sensor.temperature", &arr);
    assert_int_equal(has(arr, n, &A), 1);
    free(arr);

    pubsub_unsubscribe_all(ps, &D);
    pubsub_unsubscribe_all(ps, &A);
    assert_int_equal(pubsub_count(ps, &A), 0);
    n = pubsub_collect(ps, "sensor.temperature", &arr);
    assert_int_equal(n, 1);
    assert_ptr_equal(arr[0], &B);
    free(arr);
    n = pubsub_collect(ps, "nobody.listens", &arr);
    assert_int_equal(n, 0);
    assert_null(arr);
    assert_int_equal(pubsub_channels(ps), 2); /* sensor.* (B), events.** (C) */
    pubsub_free(ps);
}

/* Many subscribers and names, random subscribe/unsubscribe, against a brute-force model. */
static void test_delivery_model(void **state)
{
    (void)state;
    enum { NSUB = 12, NNAME = 14 };
    static const char *const names[NNAME] = {"a", "a.b", "a.c", "b.c", "a.b.c", "*", "a.*",
                                             "*.c", "**", "a.**", "**.c", "a.*.c", "b", "*.*"};
    static const char *const chans[] = {"a", "b", "a.b", "a.c", "b.c", "a.b.c", "x.y.z", "c"};
    int subs[NSUB];
    int model[NSUB][NNAME] = {{0}};
    pubsub *ps = pubsub_new();
    assert_non_null(ps);
    for (int step = 0; step < 5000; step++) {
        int s = (int)rnd(NSUB), k = (int)rnd(NNAME), op = (int)rnd(10);
        if (op < 5) {
            assert_int_equal(pubsub_subscribe(ps, &subs[s], names[k]), !model[s][k]);
            model[s][k] = 1;
        } else if (op < 9) {
            assert_int_equal(pubsub_unsubscribe(ps, &subs[s], names[k]), model[s][k]);
            model[s][k] = 0;
        } else {
            pubsub_unsubscribe_all(ps, &subs[s]);
            memset(model[s], 0, sizeof model[s]);
        }
        for (size_t ci = 0; ci < sizeof chans / sizeof *chans; ci++) {
            void **arr;
            long n = pubsub_collect(ps, chans[ci], &arr);
            long want = 0;
            for (int i = 0; i < NSUB; i++) {
                int m = 0;
                for (int j = 0; j < NNAME; j++)
                    m |= model[i][j] && pubsub_match(names[j], chans[ci]);
                want += m;
                assert_int_equal(has(arr, n, &subs[i]), m);
            }
            assert_int_equal(n, want);
            free(arr);
        }
    }
    pubsub_free(ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),    cmocka_unit_test(test_match_random),
        cmocka_unit_test(test_channel_check),  cmocka_unit_test(test_delivery),
        cmocka_unit_test(test_delivery_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
