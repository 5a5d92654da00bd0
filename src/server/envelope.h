/*
 * envelope.h — the JSON envelope every REST response carries, and the API error model.
 *
 * The wire format is the upstream one (docs/api.md, reference section 0.4):
 *   {"success": bool, "data": <T|null>, "error": <ApiError|null>,
 *    "metadata": {"response_time_ms", "timestamp" (RFC 3339, +00:00), "request_id",
 *                 "message", "version"}}
 * Errors are externally tagged objects: {"Unauthorized": "..."} for the newtype variants,
 * {"ValidationError": {"field": ..., "message": ...}} for the struct variants. Each variant has
 * its HTTP status and its display text (which becomes metadata.message), as in the table of
 * the reference — except InvalidQuery, which is 400 here: a query the user got wrong is never
 * a server error.
 */
#ifndef NQ_SERVER_ENVELOPE_H
#define NQ_SERVER_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>

typedef enum api_err_kind {
    AE_UNAUTHORIZED,       /* 401  "Authentication failed: %s"                 newtype */
    AE_FORBIDDEN,          /* 403  "Access forbidden: %s"                       newtype */
    AE_BAD_REQUEST,        /* 400  "Bad request: %s"                            newtype */
    AE_VALIDATION,         /* 400  "Validation error: %field - %message"        {field, message} */
    AE_NOT_FOUND,          /* 404  "Resource not found: %s"                     newtype */
    AE_METHOD_NOT_ALLOWED, /* 405  "Method not allowed: %s"                     newtype (ours) */
    AE_CONFLICT,           /* 409  "Conflict: %s"                               newtype */
    AE_PAYLOAD_TOO_LARGE,  /* 413  "Payload too large: %s"                      newtype (ours) */
    AE_RATE_LIMITED,       /* 429  "Rate limit exceeded: %limit requests per %window" {limit, window} */
    AE_UNAVAILABLE,        /* 503  "Service unavailable: %service - %reason"    {service, reason} */
    AE_INTERNAL,           /* 500  "Internal server error: %message"            {message} */
    AE_INVALID_QUERY,      /* 400  "Invalid query: %details"                    {details} */
    AE_NOT_IMPLEMENTED,    /* 501  "Not implemented: %s"                        newtype */
    AE_TABLE_ERROR,        /* 400  "Table operation error: %operation - %details" {operation, details} */
} api_err_kind;

typedef struct api_error {
    api_err_kind kind;
    char a[512]; /* the message / details / field / service / limit */
    char b[512]; /* the second field of two-field variants (message, reason, window, details) */
    char sqlstate[6]; /* an engine error's SQLSTATE (nq_sqlstate), else "": metadata.sqlstate */
} api_error;

/* Fill e. For one-field variants pass b = NULL. Returns the HTTP status of the variant. */
int api_error_set(api_error *e, api_err_kind kind, const char *a, const char *b);
int api_error_setf(api_error *e, api_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int api_error_status(const api_error *e);
/* The display text (metadata.message) into buf. */
void api_error_display(const api_error *e, char *buf, size_t cap);
/* The externally tagged JSON object (new reference). */
json_t *api_error_json(const api_error *e);

/* A duration in ms as a JSON number that prints short: rounded to 1/1024 ms (about 1 µs),
 * a binary fraction, so the 17 digits jansson writes are not 0.88458199999999998. */
json_t *envelope_ms(double ms);

/* RFC 3339 UTC with microseconds and "+00:00", e.g. 2026-11-24T08:30:00.123456+00:00. */
void envelope_timestamp(char out[40]);
/* A random UUID v4, lowercase hyphenated. */
void envelope_uuid(char out[37]);

/* Serialize the envelope. data is stolen (may be NULL -> null); err may be NULL (success).
 * An error with a SQLSTATE adds "sqlstate" to metadata (after "version").
 * elapsed_ms is the handler time (0.0 on errors, as upstream). Returns malloc'd JSON text. */
char *envelope_render(json_t *data, const api_error *err, double elapsed_ms,
                      const char *request_id, const char *message);

#endif
