/*
 * test_srvlog_envelope.c — the server's log lines (format, request ids, rotation, unstructured
 * access lines) and the response envelope (every error variant's wire form, status and
 * display text; request ids and timestamps).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "envelope.h"
#include "srvlog.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return b;
}

static void test_json_lines(void **state)
{
    (void)state;
    srvlog l;
    char err[200];
    unlink("j.log");
    assert_int_equal(srvlog_init(&l, "info", "json", "j.log", err, sizeof err), 0);
    srvlog_msg(&l, SRVLOG_INFO, "rid-1", "hello \"%s\"", "world");
    srvlog_msg(&l, SRVLOG_DEBUG, NULL, "not shown at info");
    srvlog_access(&l, "rid-2", "GET", "/health", 200, 1.5, "127.0.0.1", NULL);
    srvlog_close(&l);
    char *t = slurp("j.log");
    assert_non_null(strstr(t, "\"level\":\"info\",\"request_id\":\"rid-1\",\"msg\":\"hello \\\"world\\\"\""));
    assert_null(strstr(t, "not shown"));
    assert_non_null(strstr(t, "\"request_id\":\"rid-2\",\"msg\":\"request\",\"method\":\"GET\",\"path\":\"/health\",\"status\":200"));
    free(t);
}

static void test_plain_unstructured(void **state)
{
    (void)state;
    srvlog l;
    char err[200];
    unlink("p.log");
    assert_int_equal(srvlog_init(&l, "debug", "plain", "p.log", err, sizeof err), 0);
    srvlog_structured(&l, 0);
    srvlog_access(&l, "rid-3", "POST", "/api/v1/query", 400, 2.0, "10.0.0.1", "admin");
    srvlog_msg(&l, SRVLOG_DEBUG, NULL, "dbg");
    srvlog_close(&l);
    char *t = slurp("p.log");
    assert_non_null(strstr(t, " INFO [rid-3] POST /api/v1/query -> 400 in 2.000 ms from 10.0.0.1 as admin\n"));
    assert_non_null(strstr(t, " DEBUG dbg\n"));
    free(t);
}

static void test_rotation(void **state)
{
    (void)state;
    srvlog l;
    char err[200];
    const char *names[] = {"r.log", "r.log.1", "r.log.2", "r.log.3"};
    for (int i = 0; i < 4; i++)
        unlink(names[i]);
    assert_int_equal(srvlog_init(&l, "info", "plain", "r.log", err, sizeof err), 0);
    srvlog_rotation(&l, 1000, 2);
    for (int i = 0; i < 100; i++)
        srvlog_msg(&l, SRVLOG_INFO, NULL, "line %03d %0100d", i, 0);
    srvlog_close(&l);
    /* the current file and two rotated ones; nothing beyond max_files; each under the limit
     * plus one line */
    assert_int_equal(access("r.log", F_OK), 0);
    assert_int_equal(access("r.log.1", F_OK), 0);
    assert_int_equal(access("r.log.2", F_OK), 0);
    assert_int_equal(access("r.log.3", F_OK), -1);
    char *cur = slurp("r.log"), *old = slurp("r.log.1");
    assert_true(strlen(old) < 1000 + 200);
    assert_non_null(strstr(cur, "line 099"));
    assert_null(strstr(old, "line 099"));
    free(cur), free(old);
}

static void test_envelope_errors(void **state)
{
    (void)state;
    api_error e;
    char buf[600];
    static const struct {
        api_err_kind k;
        const char *a, *b;
        int status;
        const char *json, *display;
    } cases[] = {
        {AE_UNAUTHORIZED, "x", NULL, 401, "{\"Unauthorized\":\"x\"}", "Authentication failed: x"},
        {AE_FORBIDDEN, "no", NULL, 403, "{\"Forbidden\":\"no\"}", "Access forbidden: no"},
        {AE_VALIDATION, "query", "is required", 400,
         "{\"ValidationError\":{\"field\":\"query\",\"message\":\"is required\"}}",
         "Validation error: query - is required"},
        {AE_RATE_LIMITED, "5", "hour", 429,
         "{\"RateLimitExceeded\":{\"limit\":5,\"window\":\"hour\"}}",
         "Rate limit exceeded: 5 requests per hour"},
        {AE_INVALID_QUERY, "bad", NULL, 400, "{\"InvalidQuery\":{\"details\":\"bad\"}}",
         "Invalid query: bad"},
        {AE_UNAVAILABLE, "database", "busy", 503,
         "{\"ServiceUnavailable\":{\"service\":\"database\",\"reason\":\"busy\"}}",
         "Service unavailable: database - busy"},
        {AE_INTERNAL, "io", NULL, 500, "{\"InternalServerError\":{\"message\":\"io\"}}",
         "Internal server error: io"},
        {AE_NOT_IMPLEMENTED, "later", NULL, 501, "{\"NotImplemented\":\"later\"}",
         "Not implemented: later"},
        {AE_CONFLICT, "dup", NULL, 409, "{\"Conflict\":\"dup\"}", "Conflict: dup"},
        {AE_NOT_FOUND, "t", NULL, 404, "{\"NotFound\":\"t\"}", "Resource not found: t"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(api_error_set(&e, cases[i].k, cases[i].a, cases[i].b), cases[i].status);
        json_t *j = api_error_json(&e);
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(s, cases[i].json);
        free(s);
        json_decref(j);
        api_error_display(&e, buf, sizeof buf);
        assert_string_equal(buf, cases[i].display);
    }
}

static void test_envelope_render(void **state)
{
    (void)state;
    char id[37], ts[40];
    envelope_uuid(id);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4');
    assert_true(strchr("89ab", id[19]) != NULL);
    envelope_timestamp(ts);
    assert_non_null(strstr(ts, "+00:00"));
    char *ok = envelope_render(json_integer(7), NULL, 1.25, "rid", "done");
    json_t *o = json_loads(ok, 0, NULL);
    assert_true(json_is_true(json_object_get(o, "success")));
    assert_int_equal(json_integer_value(json_object_get(o, "data")), 7);
    assert_true(json_is_null(json_object_get(o, "error")));
    json_t *md = json_object_get(o, "metadata");
    assert_string_equal(json_string_value(json_object_get(md, "request_id")), "rid");
    assert_string_equal(json_string_value(json_object_get(md, "message")), "done");
    assert_true(json_real_value(json_object_get(md, "response_time_ms")) == 1.25);
    json_decref(o);
    free(ok);
    api_error e;
    api_error_set(&e, AE_NOT_FOUND, "nope", NULL);
    char *bad = envelope_render(NULL, &e, 9.0, "r2", "ignored");
    o = json_loads(bad, 0, NULL);
    assert_true(json_is_false(json_object_get(o, "success")));
    assert_true(json_is_null(json_object_get(o, "data")));
    md = json_object_get(o, "metadata");
    assert_string_equal(json_string_value(json_object_get(md, "message")), "Resource not found: nope");
    assert_true(json_real_value(json_object_get(md, "response_time_ms")) == 0.0);
    json_decref(o);
    free(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_lines),       cmocka_unit_test(test_plain_unstructured),
        cmocka_unit_test(test_rotation),         cmocka_unit_test(test_envelope_errors),
        cmocka_unit_test(test_envelope_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
