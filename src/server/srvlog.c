/*
 * srvlog.c — structured log lines (see srvlog.h). JSON lines are built with jansson so every
 * string is escaped correctly, whatever a client put into a path or a request id.
 */
#include "srvlog.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};
static const char *const level_upper[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

int srvlog_init(srvlog *l, const char *level, const char *format, const char *file, char *err,
                size_t errlen)
{
    memset(l, 0, sizeof *l);
    l->level = SRVLOG_INFO;
    for (int i = 0; level && i < 5; i++)
        if (strcasecmp(level, level_names[i]) == 0)
            l->level = i;
    l->json = !format || strcasecmp(format, "json") == 0;
    l->structured = 1;
    l->f = stderr;
    if (file && *file) {
        l->f = fopen(file, "a");
        if (!l->f) {
            snprintf(err, errlen, "logging.file_path: cannot open %s: %m", file);
            return -1;
        }
        l->owns_f = 1;
        l->path = strdup(file);
        fseek(l->f, 0, SEEK_END);
        long at = ftell(l->f);
        l->size = at > 0 ? (uint64_t)at : 0;
        setvbuf(l->f, NULL, _IOLBF, 0);
    }
    pthread_mutex_init(&l->mu, NULL);
    return 0;
}

void srvlog_rotation(srvlog *l, uint64_t max_bytes, unsigned max_files)
{
    l->max_size = max_bytes;
    l->max_files = max_files;
}

void srvlog_structured(srvlog *l, int on)
{
    l->structured = on;
}

/* Under l->mu, after a line: rotate when the file is over its size. A failure to rename or
 * reopen keeps logging to the file we have (or stderr), never loses the process. */
static void maybe_rotate(srvlog *l, size_t wrote)
{
    l->size += wrote;
    if (!l->path || !l->max_size || l->size < l->max_size || !l->max_files)
        return;
    size_t n = strlen(l->path) + 16;
    char *from = malloc(n), *to = malloc(n);
    if (!from || !to) {
        free(from), free(to);
        return;
    }
    snprintf(to, n, "%s.%u", l->path, l->max_files);
    remove(to);
    for (unsigned i = l->max_files; i > 1; i--) {
        snprintf(from, n, "%s.%u", l->path, i - 1);
        snprintf(to, n, "%s.%u", l->path, i);
        rename(from, to);
    }
    snprintf(to, n, "%s.1", l->path);
    fclose(l->f);
    rename(l->path, to);
    l->f = fopen(l->path, "a");
    if (!l->f) {
        l->f = stderr;
        l->owns_f = 0;
    } else {
        setvbuf(l->f, NULL, _IOLBF, 0);
    }
    l->size = 0;
    free(from), free(to);
}

void srvlog_close(srvlog *l)
{
    if (l->owns_f && l->f)
        fclose(l->f);
    l->f = NULL;
    free(l->path);
    l->path = NULL;
    pthread_mutex_destroy(&l->mu);
}

static void emit(srvlog *l, int level, const char *rid, const char *msg, json_t *fields)
{
    char ts[40];
    envelope_timestamp(ts);
    if (l->json) {
        json_t *o = json_object();
        json_object_set_new(o, "ts", json_string(ts));
        json_object_set_new(o, "level", json_string(level_names[level]));
        if (rid && *rid)
            json_object_set_new(o, "request_id", json_string(rid));
        json_object_set_new(o, "msg", json_string(msg));
        if (fields)
            json_object_update(o, fields);
        char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(6));
        json_decref(o);
        pthread_mutex_lock(&l->mu);
        if (s) {
            fprintf(l->f, "%s\n", s);
            fflush(l->f);
            maybe_rotate(l, strlen(s) + 1);
        }
        pthread_mutex_unlock(&l->mu);
        free(s);
    } else {
        char *extra = NULL;
        if (fields) {
            /* plain: key=value pairs after the message */
            size_t cap = 512, n = 0;
            extra = malloc(cap);
            const char *k;
            json_t *v;
            extra[0] = '\0';
            json_object_foreach(fields, k, v)
            {
                char *vs = json_is_string(v) ? strdup(json_string_value(v))
                                             : json_dumps(v, JSON_ENCODE_ANY);
                size_t need = strlen(k) + strlen(vs ? vs : "") + 3;
                if (n + need >= cap) {
                    cap = (n + need) * 2;
                    extra = realloc(extra, cap);
                }
                n += (size_t)sprintf(extra + n, " %s=%s", k, vs ? vs : "");
                free(vs);
            }
        }
        pthread_mutex_lock(&l->mu);
        int w;
        if (rid && *rid)
            w = fprintf(l->f, "%s %s [%s] %s%s\n", ts, level_upper[level], rid, msg, extra ? extra : "");
        else
            w = fprintf(l->f, "%s %s %s%s\n", ts, level_upper[level], msg, extra ? extra : "");
        fflush(l->f);
        maybe_rotate(l, w > 0 ? (size_t)w : 0);
        pthread_mutex_unlock(&l->mu);
        free(extra);
    }
}

void srvlog_msg(srvlog *l, int level, const char *request_id, const char *fmt, ...)
{
    if (!l->f || level > l->level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(l, level, request_id, msg, NULL);
}

void srvlog_access(srvlog *l, const char *request_id, const char *method, const char *path,
                   int status, double ms, const char *client, const char *who)
{
    if (!l->f || SRVLOG_INFO > l->level)
        return;
    if (!l->structured) {
        srvlog_msg(l, SRVLOG_INFO, request_id, "%s %s -> %d in %.3f ms from %s%s%s", method, path,
                   status, ms, client, who && *who ? " as " : "", who && *who ? who : "");
        return;
    }
    json_t *f = json_object();
    json_object_set_new(f, "method", json_string(method));
    json_object_set_new(f, "path", json_string(path));
    json_object_set_new(f, "status", json_integer(status));
    json_object_set_new(f, "duration_ms", json_real(ms));
    json_object_set_new(f, "client", json_string(client));
    if (who && *who)
        json_object_set_new(f, "who", json_string(who));
    emit(l, SRVLOG_INFO, request_id, "request", f);
    json_decref(f);
}

void srvlog_cb(void *arg, int level, const char *msg)
{
    srvlog *l = arg;
    if (level < 0)
        level = 0;
    if (level > SRVLOG_TRACE)
        level = SRVLOG_TRACE;
    srvlog_msg(l, level, NULL, "%s", msg);
}
