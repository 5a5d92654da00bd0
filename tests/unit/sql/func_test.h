/*
 * func_test.h — helpers shared by the function tests: call a built-in by name the way the
 * executor will (argument count checked, NULL arguments short-circuit unless FN_NULL_OK),
 * and compare the result's type and printed form.
 */
#ifndef NQ_TEST_FUNC_TEST_H
#define NQ_TEST_FUNC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql/func.h"

#define I(x) sqlv_int(x)
#define R(x) sqlv_real(x)
#define B(x) sqlv_bool(x)
#define T(s) sqlv_text((s), strlen(s))
#define NUL sqlv_null()
#define DT(d) sqlv_temporal(SQLV_DATE, (d))
#define TM(us) sqlv_temporal(SQLV_TIME, (us))
#define TS(us) sqlv_temporal(SQLV_TIMESTAMP, (us))
#define ARGS(...) (const sqlv[]){__VA_ARGS__}, (int)(sizeof((sqlv[]){__VA_ARGS__}) / sizeof(sqlv))
#define NOARGS NULL, 0

static nq_rng test_rng __attribute__((unused));
static fn_ctx test_cx __attribute__((unused)) = {1700000000123456LL, &test_rng};

__attribute__((unused))
static int fcall(const char *name, const sqlv *argv, int argc, sqlv *out, nq_err *e)
{
    const fn_scalar_def *d = fn_scalar_find(name);
    if (!d)
        fail_msg("no function %s", name);
    if (argc < d->min_args || (d->max_args >= 0 && argc > d->max_args))
        fail_msg("%s: %d arguments out of [%d, %d]", name, argc, d->min_args, d->max_args);
    nq_err_clear(e);
    *out = sqlv_null();
    if (!(d->flags & FN_NULL_OK))
        for (int k = 0; k < argc; k++)
            if (argv[k].type == SQLV_NULL)
                return 0;
    return d->fn(&test_cx, argc, argv, out, e);
}

/* name(args) must succeed with a value of type `type` printing as `want`. */
__attribute__((unused))
static void chk_at(const char *file, int line, const char *name, sqlv_type type,
                   const char *want, const sqlv *argv, int argc)
{
    nq_err e;
    sqlv out;
    int rc = fcall(name, argv, argc, &out, &e);
    if (rc)
        fail_msg("%s:%d: %s failed: %d %s", file, line, name, rc, e.msg);
    char *s = sqlv_to_string(&out);
    if (out.type != type || strcmp(s, want))
        fail_msg("%s:%d: %s gave %s '%s', want %s '%s'", file, line, name,
                 sqlv_type_name(out.type), s, sqlv_type_name(type), want);
    free(s);
    sqlv_clear(&out);
}
#define chk(name, type, want, ...) chk_at(__FILE__, __LINE__, name, type, want, __VA_ARGS__)

/* name(args) must fail with code `code` and a message containing `msg`. */
__attribute__((unused))
static void chk_err_at(const char *file, int line, const char *name, int code, const char *msg,
                       const sqlv *argv, int argc)
{
    nq_err e;
    sqlv out;
    int rc = fcall(name, argv, argc, &out, &e);
    if (rc != code || !strstr(e.msg, msg)) {
        char *s = sqlv_to_string(&out);
        fail_msg("%s:%d: %s: rc %d msg '%s' (result %s), want %d '%s'", file, line, name, rc,
                 e.msg, s, code, msg);
    }
    sqlv_clear(&out);
}
#define chk_err(name, code, msg, ...) chk_err_at(__FILE__, __LINE__, name, code, msg, __VA_ARGS__)

#endif
