/*
 * crashkit.c — helpers shared by the crash tests (see crashkit.h).
 *
 * The snapshot walks each tree with a cursor rather than probing the keys a model expects, so
 * that anything the database holds beyond the model (an entry from a rolled-back or torn
 * transaction) shows up as a difference.
 */
#include "crashkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double crash_scale(void)
{
    const char *s = getenv("NQ_CRASH_SCALE");
    if (!s || !*s)
        return 1.0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0))
        return 1.0;
    return v > 1000 ? 1000 : v;
}

uint64_t crash_scaled(uint64_t n, uint64_t lo)
{
    double v = (double)n * crash_scale() + 0.5; /* no libm: the tests do not link it */
    return v < (double)lo ? lo : (uint64_t)v;
}

uint64_t crash_env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    return end == s ? dflt : (uint64_t)v;
}

int crash_env_set(const char *name)
{
    const char *s = getenv(name);
    return s && *s;
}

const char *crash_tree_name(int i)
{
    static char names[100][4];
    unsigned u = (unsigned)i % 100u;
    char *p = names[u];
    *p++ = 't';
    if (u >= 10)
        *p++ = (char)('0' + u / 10);
    *p++ = (char)('0' + u % 10);
    *p = 0;
    return names[u];
}

int crash_db_snapshot(nq_db *db, int ntrees, kvm **out, char *why, size_t whylen)
{
    *out = NULL;
    kvm *m = kvm_new(ntrees);
    if (!m)
        return NQ_ENOMEM;
    int rc = 0;
    for (int i = 0; i < ntrees && !rc; i++) {
        nq_tree *t = NULL;
        rc = nq_tree_open(db, crash_tree_name(i), 0, &t);
        if (rc == NQ_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc) {
            snprintf(why, whylen, "nq_tree_open(%s): %s", crash_tree_name(i), nq_errmsg(db));
            break;
        }
        kvm_tree_create(m, i);
        nq_cursor *c = NULL;
        rc = nq_cursor_open(t, &c);
        if (rc) {
            snprintf(why, whylen, "nq_cursor_open(%s): %s", crash_tree_name(i), nq_errmsg(db));
            nq_tree_close(t);
            break;
        }
        for (rc = nq_cursor_first(c); rc == 0; rc = nq_cursor_next(c)) {
            size_t kl = 0, vl = 0;
            const void *k = nq_cursor_key(c, &kl);
            const void *v = k ? nq_cursor_value(c, &vl) : NULL;
            if (!k || !v) {
                /* NULL is an error (an empty value is a non-NULL pointer); never NQ_ENOTFOUND,
                 * which would end the walk as if the tree ended here */
                int code = nq_errcode(db);
                rc = code && code != NQ_ENOTFOUND ? code : NQ_ERROR;
                snprintf(why, whylen, "reading an entry of %s: %s%s", crash_tree_name(i),
                         k ? "nq_cursor_value" : "nq_cursor_key",
                         code ? nq_errmsg(db) : " failed without setting an error code");
                break;
            }
            kvm_put(m, i, k, kl, v, vl);
        }
        if (rc == NQ_ENOTFOUND) /* from first/next: the end of the tree */
            rc = 0;
        else if (rc && !why[0])
            snprintf(why, whylen, "walking %s: %s", crash_tree_name(i), nq_errmsg(db));
        nq_cursor_close(c);
        nq_tree_close(t);
    }
    if (rc) {
        kvm_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

typedef struct check_buf {
    char *buf;
    size_t len, used;
    uint64_t n;
} check_buf;

static void collect(void *arg, const char *problem)
{
    check_buf *cb = arg;
    cb->n++;
    if (cb->n > 5 || cb->used + 4 >= cb->len)
        return;
    int w = snprintf(cb->buf + cb->used, cb->len - cb->used, "%s%s", cb->used ? "; " : "", problem);
    if (w > 0)
        cb->used += (size_t)w < cb->len - cb->used ? (size_t)w : cb->len - cb->used - 1;
}

int crash_db_check(nq_db *db, char *buf, size_t buflen, uint64_t *problems)
{
    buf[0] = 0;
    check_buf cb = {buf, buflen, 0, 0};
    uint64_t n = 0;
    int rc = nq_check(db, collect, &cb, &n);
    if (problems)
        *problems = n;
    if (rc && !buf[0])
        snprintf(buf, buflen, "nq_check: %s (%s)", nq_strerror(rc), nq_errmsg(db));
    return rc;
}

double crash_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
