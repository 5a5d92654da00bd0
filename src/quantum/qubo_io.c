/*
 * qubo_io.c — readers for the public QUBO and Max-Cut instance formats.
 *
 *   Beasley/BiqMac sparse  "n m", then m lines "i j w" (1-based, i <= j) of the symmetric
 *                          matrix listed once: E = Σ_{i=j} w x_i + 2 Σ_{i<j} w x_i x_j.
 *   Gset (rudy)            "n m", then m lines "u v w" (1-based): an undirected weighted graph.
 *   JSON                   {"n": N, "offset": c, "terms": [[i, j, w], ...]}, 0-based, i == j
 *                          linear, i ≠ j the full pair coefficient.
 *
 * Input is untrusted: every count, index and number is checked, and the error names the line
 * (or byte offset for JSON). The JSON reader is a small recursive-descent parser for exactly
 * this shape (objects, arrays, numbers, strings as keys); the leaf library links no JSON
 * library, and the format is small enough that a general parser would be the larger risk.
 */
#include "qubo.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Read "n m" then m triplets; calls add(ctx, i, j, w) with 0-based indices. */
static int read_triplets(FILE *f, const char *what, int *n_out, size_t *m_out,
                         int (*add)(void *ctx, int i, int j, double w, nq_err *err), void *ctx,
                         int (*start)(void *ctx, int n, size_t m, nq_err *err), nq_err *err)
{
    char line[512];
    long lineno = 0;
    long long n = -1, m = -1;
    size_t seen = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#' || *p == '%')
            continue;
        if (n < 0) {
            if (sscanf(p, "%lld %lld", &n, &m) != 2 || n < 1 || n > QUBO_MAX_VARS || m < 0 ||
                (unsigned long long)m > QUBO_MAX_PAIRS)
                return nq_err_set(err, NQ_EINVAL, "%s: line %ld: expected \"n m\" header", what,
                                  lineno);
            int rc = start(ctx, (int)n, (size_t)m, err);
            if (rc)
                return rc;
            continue;
        }
        long long i, j;
        double w;
        char tail;
        if (sscanf(p, "%lld %lld %lf %c", &i, &j, &w, &tail) != 3)
            return nq_err_set(err, NQ_EINVAL, "%s: line %ld: expected \"i j w\"", what, lineno);
        if (i < 1 || j < 1 || i > n || j > n)
            return nq_err_set(err, NQ_EINVAL, "%s: line %ld: index outside 1..%lld", what, lineno,
                              n);
        if (seen == (size_t)m)
            return nq_err_set(err, NQ_EINVAL, "%s: line %ld: more than the %lld declared lines",
                              what, lineno, m);
        int rc = add(ctx, (int)i - 1, (int)j - 1, w, err);
        if (rc)
            return rc;
        seen++;
    }
    if (ferror(f))
        return nq_err_set(err, NQ_EIO, "%s: read error: %s", what, strerror(errno));
    if (n < 0)
        return nq_err_set(err, NQ_EINVAL, "%s: empty input (no \"n m\" header)", what);
    if (seen != (size_t)m)
        return nq_err_set(err, NQ_EINVAL, "%s: %zu lines of %lld declared", what, seen, m);
    *n_out = (int)n;
    *m_out = (size_t)m;
    return 0;
}

static int beasley_start(void *ctx, int n, size_t m, nq_err *err)
{
    (void)m;
    return qubo_builder_init(ctx, n, err);
}

static int beasley_add(void *ctx, int i, int j, double w, nq_err *err)
{
    (void)err;
    qubo_builder_add(ctx, i, j, i == j ? w : 2 * w);
    return 0;
}

int qubo_read_beasley(FILE *f, qubo_model *out, nq_err *err)
{
    qubo_builder b;
    memset(&b, 0, sizeof b);
    memset(out, 0, sizeof *out);
    int n;
    size_t m;
    int rc = read_triplets(f, "beasley", &n, &m, beasley_add, &b, beasley_start, err);
    if (!rc)
        rc = qubo_builder_build(&b, out, err);
    qubo_builder_free(&b);
    return rc;
}

typedef struct gset_ctx {
    qubo_edge *edges;
    size_t m, cap;
} gset_ctx;

static int gset_start(void *ctx, int n, size_t m, nq_err *err)
{
    gset_ctx *g = ctx;
    (void)n;
    g->cap = m ? m : 1;
    g->edges = malloc(g->cap * sizeof *g->edges);
    return g->edges ? 0 : nq_err_set(err, NQ_ENOMEM, "gset: out of memory for %zu edges", m);
}

static int gset_add(void *ctx, int i, int j, double w, nq_err *err)
{
    gset_ctx *g = ctx;
    (void)err;
    g->edges[g->m++] = (qubo_edge){i, j, w};
    return 0;
}

int qubo_read_gset(FILE *f, int *n, qubo_edge **edges, size_t *m, nq_err *err)
{
    gset_ctx g = {0};
    *edges = NULL;
    *m = 0;
    int rc = read_triplets(f, "gset", n, m, gset_add, &g, gset_start, err);
    if (rc) {
        free(g.edges);
        return rc;
    }
    *edges = g.edges;
    return 0;
}

/* ---- JSON ---- */

typedef struct jp {
    const char *s, *p, *end;
    nq_err *err;
} jp;

static void jp_ws(jp *j)
{
    while (j->p < j->end && isspace((unsigned char)*j->p))
        j->p++;
}

static int jp_fail(jp *j, const char *what)
{
    return nq_err_set(j->err, NQ_EINVAL, "json: %s at byte %ld", what, (long)(j->p - j->s));
}

static int jp_expect(jp *j, char c)
{
    jp_ws(j);
    if (j->p >= j->end || *j->p != c) {
        char msg[32];
        snprintf(msg, sizeof msg, "expected '%c'", c);
        return jp_fail(j, msg);
    }
    j->p++;
    return 0;
}

static int jp_number(jp *j, double *v)
{
    jp_ws(j);
    char buf[64];
    size_t k = 0;
    while (j->p + k < j->end && k < sizeof buf - 1 && strchr("+-0123456789.eE", j->p[k]))
        k++;
    if (!k)
        return jp_fail(j, "expected a number");
    memcpy(buf, j->p, k);
    buf[k] = 0;
    char *e;
    *v = strtod(buf, &e);
    if (*e)
        return jp_fail(j, "bad number");
    j->p += k;
    return 0;
}

static int jp_key(jp *j, char *key, size_t cap)
{
    int rc = jp_expect(j, '"');
    if (rc)
        return rc;
    size_t k = 0;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\' || k + 1 >= cap)
            return jp_fail(j, "unsupported key");
        key[k++] = *j->p++;
    }
    key[k] = 0;
    return jp_expect(j, '"');
}

static int jp_terms(jp *j, qubo_builder *b)
{
    int rc = jp_expect(j, '[');
    if (rc)
        return rc;
    jp_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    for (;;) {
        double v[3];
        if ((rc = jp_expect(j, '[')))
            return rc;
        for (int k = 0; k < 3; k++) {
            if (k && (rc = jp_expect(j, ',')))
                return rc;
            if ((rc = jp_number(j, &v[k])))
                return rc;
        }
        if ((rc = jp_expect(j, ']')))
            return rc;
        if (v[0] != (int)v[0] || v[1] != (int)v[1] || v[0] < 0 || v[1] < 0 || v[0] >= b->n ||
            v[1] >= b->n)
            return jp_fail(j, "term index not an integer in 0..n-1");
        qubo_builder_add(b, (int)v[0], (int)v[1], v[2]);
        jp_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        return jp_expect(j, ']');
    }
}

int qubo_read_json(FILE *f, qubo_model *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return nq_err_set(err, NQ_ENOMEM, "json: out of memory");
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = cap < ((size_t)1 << 31) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                return nq_err_set(err, NQ_ETOOBIG, "json: input too large");
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return nq_err_set(err, NQ_EIO, "json: read error");
    }
    jp j = {buf, buf, buf + len, err};
    qubo_builder b;
    memset(&b, 0, sizeof b);
    double n = -1, offset = 0;
    const char *terms_at = NULL;
    int rc = jp_expect(&j, '{');
    /* first pass: find n (terms may come before it), remember where terms start */
    while (!rc) {
        char key[32];
        if ((rc = jp_key(&j, key, sizeof key)) || (rc = jp_expect(&j, ':')))
            break;
        if (!strcmp(key, "n"))
            rc = jp_number(&j, &n);
        else if (!strcmp(key, "offset"))
            rc = jp_number(&j, &offset);
        else if (!strcmp(key, "terms")) {
            jp_ws(&j);
            terms_at = j.p;
            int depth = 0; /* skip the array; checked in the second pass */
            do {
                if (j.p >= j.end) {
                    rc = jp_fail(&j, "unterminated terms array");
                    break;
                }
                depth += *j.p == '[';
                depth -= *j.p == ']';
                j.p++;
            } while (depth > 0);
        } else
            rc = jp_fail(&j, "unknown key (n, offset, terms expected)");
        if (rc)
            break;
        jp_ws(&j);
        if (j.p < j.end && *j.p == ',') {
            j.p++;
            continue;
        }
        rc = jp_expect(&j, '}');
        break;
    }
    if (!rc && (n < 1 || n > QUBO_MAX_VARS || n != (int)n))
        rc = nq_err_set(err, NQ_EINVAL, "json: \"n\" missing or not an integer in 1..%d",
                        QUBO_MAX_VARS);
    if (!rc)
        rc = qubo_builder_init(&b, (int)n, err);
    if (!rc) {
        qubo_builder_add_offset(&b, offset);
        if (terms_at) {
            j.p = terms_at;
            rc = jp_terms(&j, &b);
        }
    }
    if (!rc)
        rc = qubo_builder_build(&b, out, err);
    qubo_builder_free(&b);
    free(buf);
    return rc;
}
