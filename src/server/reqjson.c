/*
 * reqjson.c — reading a request's JSON body and answering, for handlers.
 *
 * Every body field is read through these helpers, so every wrong input gets the same shape of
 * answer: 400 {"ValidationError": {"field": "<name>", "message": "<what is wrong>"}}. Unknown
 * fields are rejected (a misspelt "filter" must not silently mean "no filter"); each handler
 * lists the fields it accepts, upstream's included.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server.h"

int req_fail(req *r, api_err_kind kind, const char *a, const char *b)
{
    r->status = api_error_set(&r->err, kind, a, b);
    return r->status;
}

int req_failf(req *r, api_err_kind kind, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return req_fail(r, kind, buf, NULL);
}

int req_ok(req *r, int status, json_t *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    r->data = data;
    r->status = status;
    return status;
}

double req_elapsed_ms(const req *r)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - r->t0.tv_sec) * 1e3 + (double)(now.tv_nsec - r->t0.tv_nsec) / 1e6;
}

static int bad(req *r, const char *field, const char *msg)
{
    return req_fail(r, AE_VALIDATION, field, msg);
}

int req_body_object(req *r, const char *const *allowed)
{
    if (!r->json)
        return bad(r, "body", "a JSON object is required");
    if (!json_is_object(r->json))
        return bad(r, "body", "must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v)
    {
        int ok = 0;
        for (int i = 0; allowed && allowed[i]; i++)
            if (strcmp(allowed[i], k) == 0)
                ok = 1;
        if (!ok) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown field");
            return bad(r, k, msg);
        }
    }
    return 0;
}

static json_t *field(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return v && !json_is_null(v) ? v : NULL;
}

int req_string(req *r, json_t *obj, const char *name, int required, const char **out)
{
    json_t *v = field(obj, name);
    *out = NULL;
    if (!v)
        return required ? bad(r, name, "is required") : 0;
    if (!json_is_string(v))
        return bad(r, name, "must be a string");
    *out = json_string_value(v);
    if (required && !**out)
        return bad(r, name, "must not be empty");
    return 0;
}

int req_uint(req *r, json_t *obj, const char *name, int required, uint64_t max, uint64_t *out)
{
    json_t *v = field(obj, name);
    if (!v)
        return required ? bad(r, name, "is required") : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(r, name, "must be a non-negative integer");
    if ((uint64_t)json_integer_value(v) > max) {
        char msg[100];
        snprintf(msg, sizeof msg, "must be at most %llu", (unsigned long long)max);
        return bad(r, name, msg);
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

int req_bool(req *r, json_t *obj, const char *name, int *out)
{
    json_t *v = field(obj, name);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return bad(r, name, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

int req_array(req *r, json_t *obj, const char *name, int required, json_t **out)
{
    json_t *v = field(obj, name);
    *out = NULL;
    if (!v)
        return required ? bad(r, name, "is required") : 0;
    if (!json_is_array(v))
        return bad(r, name, "must be an array");
    *out = v;
    return 0;
}

int req_object(req *r, json_t *obj, const char *name, int required, json_t **out)
{
    json_t *v = field(obj, name);
    *out = NULL;
    if (!v)
        return required ? bad(r, name, "is required") : 0;
    if (!json_is_object(v))
        return bad(r, name, "must be an object");
    *out = v;
    return 0;
}

int req_ident(req *r, const char *fieldname, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    if (n == 0)
        return bad(r, fieldname, "must not be empty");
    if (n > 64)
        return bad(r, fieldname, "must be at most 64 characters");
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return bad(r, fieldname, "must not contain control characters");
        if (o + 3 >= cap)
            return bad(r, fieldname, "is too long");
        if (c == '"')
            buf[o++] = '"';
        buf[o++] = (char)c;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return 0;
}
