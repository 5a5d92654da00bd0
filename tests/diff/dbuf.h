/*
 * dbuf.h — a growable, always NUL-terminated string buffer for the differential tester.
 *
 * Everything the tester builds is text (generated SQL, reproduction scripts, reports), so one
 * tiny appender serves the generator, the comparator and the driver. Header-only with static
 * inline functions so that each of them can use it without a link-order dependency.
 * Allocation failure aborts: this is a test program, and a half-built statement is worthless.
 */
#ifndef NQ_DIFF_DBUF_H
#define NQ_DIFF_DBUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dbuf {
    char *p;
    size_t n, cap;
} dbuf;

static inline void db_reserve(dbuf *b, size_t more)
{
    if (b->n + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "difftest: out of memory\n");
        abort();
    }
    b->p = p;
    b->cap = cap;
}

static inline void db_putn(dbuf *b, const char *s, size_t n)
{
    db_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static inline void db_puts(dbuf *b, const char *s) { db_putn(b, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void db_printf(dbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        db_putn(b, tmp, (size_t)n);
        return;
    }
    db_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

static inline void db_clear(dbuf *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = 0;
}

static inline void db_free(dbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* The text so far ("" for a buffer never written). */
static inline const char *db_str(const dbuf *b) { return b->p ? b->p : ""; }

/* A malloc'd copy of s (aborts on failure). */
static inline char *db_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (!p) {
        fprintf(stderr, "difftest: out of memory\n");
        abort();
    }
    memcpy(p, s, n + 1);
    return p;
}

#endif
