/*
 * envelope.c — the response envelope and the error variants (see envelope.h for the format).
 *
 * One table holds, per variant, its wire name, HTTP status, how many fields it carries and
 * whether it is a struct variant (and its field names), and its display format. Everything
 * else — status, display text, JSON — is derived from that table, so a variant cannot be
 * inconsistent between its status and its body.
 */
#include "envelope.h"

#include <math.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "nqdb.h"

typedef struct variant {
    const char *name;
    int status;
    const char *f1, *f2; /* struct field names; f1 NULL = newtype variant */
    const char *display; /* prefix; the fields follow, joined by " - " (or per-variant below) */
} variant;

static const variant variants[] = {
    [AE_UNAUTHORIZED] = {"Unauthorized", 401, NULL, NULL, "Authentication failed: "},
    [AE_FORBIDDEN] = {"Forbidden", 403, NULL, NULL, "Access forbidden: "},
    [AE_BAD_REQUEST] = {"BadRequest", 400, NULL, NULL, "Bad request: "},
    [AE_VALIDATION] = {"ValidationError", 400, "field", "message", "Validation error: "},
    [AE_NOT_FOUND] = {"NotFound", 404, NULL, NULL, "Resource not found: "},
    [AE_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405, NULL, NULL, "Method not allowed: "},
    [AE_CONFLICT] = {"Conflict", 409, NULL, NULL, "Conflict: "},
    [AE_PAYLOAD_TOO_LARGE] = {"PayloadTooLarge", 413, NULL, NULL, "Payload too large: "},
    [AE_RATE_LIMITED] = {"RateLimitExceeded", 429, "limit", "window", "Rate limit exceeded: "},
    [AE_UNAVAILABLE] = {"ServiceUnavailable", 503, "service", "reason", "Service unavailable: "},
    [AE_INTERNAL] = {"InternalServerError", 500, "message", NULL, "Internal server error: "},
    [AE_INVALID_QUERY] = {"InvalidQuery", 400, "details", NULL, "Invalid query: "},
    [AE_NOT_IMPLEMENTED] = {"NotImplemented", 501, NULL, NULL, "Not implemented: "},
    [AE_TABLE_ERROR] = {"TableError", 400, "operation", "details", "Table operation error: "},
};

int api_error_set(api_error *e, api_err_kind kind, const char *a, const char *b)
{
    e->kind = kind;
    e->sqlstate[0] = '\0';
    snprintf(e->a, sizeof e->a, "%s", a ? a : "");
    snprintf(e->b, sizeof e->b, "%s", b ? b : "");
    return variants[kind].status;
}

int api_error_setf(api_error *e, api_err_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e->kind = kind;
    e->sqlstate[0] = '\0';
    vsnprintf(e->a, sizeof e->a, fmt, ap);
    va_end(ap);
    e->b[0] = '\0';
    return variants[kind].status;
}

int api_error_status(const api_error *e)
{
    return variants[e->kind].status;
}

void api_error_display(const api_error *e, char *buf, size_t cap)
{
    const variant *v = &variants[e->kind];
    if (e->kind == AE_RATE_LIMITED)
        snprintf(buf, cap, "%s%s requests per %s", v->display, e->a, e->b);
    else if (v->f2)
        snprintf(buf, cap, "%s%s - %s", v->display, e->a, e->b);
    else
        snprintf(buf, cap, "%s%s", v->display, e->a);
}

json_t *api_error_json(const api_error *e)
{
    const variant *v = &variants[e->kind];
    json_t *payload;
    if (!v->f1) {
        payload = json_string(e->a);
    } else {
        payload = json_object();
        if (e->kind == AE_RATE_LIMITED) /* limit is a number on the wire */
            json_object_set_new(payload, v->f1, json_integer(strtoll(e->a, NULL, 10)));
        else
            json_object_set_new(payload, v->f1, json_string(e->a));
        if (v->f2)
            json_object_set_new(payload, v->f2, json_string(e->b));
    }
    json_t *o = json_object();
    json_object_set_new(o, v->name, payload);
    return o;
}

json_t *envelope_ms(double ms)
{
    return json_real(round(ms * 1024.0) / 1024.0);
}

void envelope_timestamp(char out[40])
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%06ld+00:00", (long)tv.tv_usec);
}

void envelope_uuid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        /* The CSPRNG failing is not recoverable in a meaningful way; a request id does not
         * need secrecy, so fall back to time and address bits rather than fail a response. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uintptr_t)out;
        for (int i = 0; i < 16; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            b[i] = (unsigned char)x;
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hx[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hx[b[i] >> 4];
        *o++ = hx[b[i] & 15];
    }
    *o = '\0';
}

char *envelope_render(json_t *data, const api_error *err, double elapsed_ms,
                      const char *request_id, const char *message)
{
    char ts[40], msg[1200];
    envelope_timestamp(ts);
    if (err)
        api_error_display(err, msg, sizeof msg);
    json_t *o = json_object();
    json_object_set_new(o, "success", json_boolean(err == NULL));
    json_object_set_new(o, "data", data ? data : json_null());
    json_object_set_new(o, "error", err ? api_error_json(err) : json_null());
    json_t *md = json_object();
    json_object_set_new(md, "response_time_ms", envelope_ms(err ? 0.0 : elapsed_ms));
    json_object_set_new(md, "timestamp", json_string(ts));
    json_object_set_new(md, "request_id", json_string(request_id ? request_id : ""));
    json_object_set_new(md, "message", json_string(err ? msg : (message ? message : "")));
    json_object_set_new(md, "version", json_string(NQ_VERSION_STRING));
    if (err && err->sqlstate[0])
        json_object_set_new(md, "sqlstate", json_string(err->sqlstate));
    json_object_set_new(o, "metadata", md);
    char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(o);
    return s;
}
