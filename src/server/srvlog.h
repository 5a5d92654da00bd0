/*
 * srvlog.h — the server's structured log: one line per event, JSON or plain text, with the
 * request id on every line that belongs to a request.
 *
 *   json:  {"ts":"2026-11-24T08:30:00.123456+00:00","level":"info","request_id":"...","msg":"..."}
 *   plain: 2026-11-24T08:30:00.123456+00:00 INFO [request-id] msg
 * Access lines add method, path, status, duration_ms, client and who (as fields in JSON).
 * Level and format come from logging.level / logging.format (env NEUROQUANTUM_LOG_LEVEL,
 * NEUROQUANTUM_LOG_FORMAT); the destination is logging.file_path or stderr. Lines are written
 * whole under a mutex, so threads never interleave inside a line. A log file is rotated at
 * logging.max_file_size_mb, keeping logging.max_files old files.
 */
#ifndef NQ_SERVER_SRVLOG_H
#define NQ_SERVER_SRVLOG_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define SRVLOG_ERROR 0
#define SRVLOG_WARN  1
#define SRVLOG_INFO  2
#define SRVLOG_DEBUG 3
#define SRVLOG_TRACE 4

typedef struct srvlog {
    int level;
    int json;
    int structured;        /* access lines: fields as members / key=value, or one sentence */
    FILE *f;
    int owns_f;
    char *path;            /* the log file, NULL for stderr */
    uint64_t size, max_size; /* bytes written to the current file; rotate beyond max_size */
    unsigned max_files;    /* rotated files kept: path.1 .. path.N */
    pthread_mutex_t mu;
} srvlog;

/* level: trace|debug|info|warn|error; format: json|plain|compact (compact = plain). file: NULL
 * or "" for stderr. 0, or -1 with a message in err. */
int srvlog_init(srvlog *l, const char *level, const char *format, const char *file, char *err,
                size_t errlen);
void srvlog_close(srvlog *l);
/* Rotate a log file (not stderr) when it grows past max_bytes: path -> path.1 -> ... ->
 * path.max_files (the oldest is removed). max_bytes 0 = never. */
void srvlog_rotation(srvlog *l, uint64_t max_bytes, unsigned max_files);
/* logging.structured_logging = false: access lines become one sentence without fields. */
void srvlog_structured(srvlog *l, int on);
void srvlog_msg(srvlog *l, int level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void srvlog_access(srvlog *l, const char *request_id, const char *method, const char *path,
                   int status, double ms, const char *client, const char *who);
/* For the callbacks of the rate limiter and the WebSocket hub: arg is the srvlog. */
void srvlog_cb(void *arg, int level, const char *msg);

#endif
