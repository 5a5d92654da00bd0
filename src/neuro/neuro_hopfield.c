/*
 * neuro_hopfield.c — Hopfield memory with exact integer weights (see neuro_hopfield.h).
 */
#include "neuro_hopfield.h"

#include <stdlib.h>
#include <string.h>

#include "nqdb.h"

int neuro_hopfield_init(neuro_hopfield *h, uint32_t n)
{
    memset(h, 0, sizeof *h);
    if (n == 0 || n > 65536)
        return NQ_EINVAL;
    h->w = calloc((size_t)n * n, sizeof *h->w);
    if (!h->w)
        return NQ_ENOMEM;
    h->n = n;
    return 0;
}

void neuro_hopfield_free(neuro_hopfield *h)
{
    free(h->w);
    memset(h, 0, sizeof *h);
}

int neuro_hopfield_store(neuro_hopfield *h, const int8_t *pattern)
{
    if (h->p >= INT32_MAX)
        return NQ_EINVAL;
    uint32_t n = h->n;
    for (uint32_t i = 0; i < n; i++) {
        int32_t xi = pattern[i] > 0 ? 1 : -1;
        int32_t *row = h->w + (size_t)i * n;
        for (uint32_t j = 0; j < n; j++)
            row[j] += xi * (pattern[j] > 0 ? 1 : -1);
        row[i] = 0;
    }
    h->p++;
    return 0;
}

int64_t neuro_hopfield_field(const neuro_hopfield *h, const int8_t *s, uint32_t i)
{
    const int32_t *row = h->w + (size_t)i * h->n;
    if ((uint64_t)h->p * h->n < INT32_MAX) {
        /* |W_ij| <= P, so |h_i| <= P N fits 32 bits: a loop the compiler vectorises */
        int32_t f = 0;
        for (uint32_t j = 0; j < h->n; j++)
            f += row[j] * s[j];
        return f;
    }
    int64_t f = 0;
    for (uint32_t j = 0; j < h->n; j++)
        f += (int64_t)row[j] * s[j];
    return f;
}

double neuro_hopfield_energy(const neuro_hopfield *h, const int8_t *s)
{
    int64_t e = 0;
    for (uint32_t i = 0; i < h->n; i++)
        e += s[i] * neuro_hopfield_field(h, s, i);
    return -0.5 * (double)e;
}

int neuro_hopfield_recall_async(const neuro_hopfield *h, int8_t *s, int max_sweeps, nq_rng *rng)
{
    uint32_t n = h->n;
    uint32_t *order = malloc((size_t)n * sizeof *order);
    if (!order)
        return NQ_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        order[i] = i;
        s[i] = s[i] > 0 ? 1 : -1;
    }
    int result = 0;
    for (int sweep = 1; sweep <= max_sweeps; sweep++) {
        for (uint32_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            uint32_t j = (uint32_t)nq_rng_below(rng, (uint64_t)i + 1);
            uint32_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int changed = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = order[k];
            int64_t f = neuro_hopfield_field(h, s, i);
            int8_t v = f > 0 ? 1 : f < 0 ? -1 : s[i];
            if (v != s[i]) {
                s[i] = v;
                changed = 1;
            }
        }
        if (!changed) {
            result = sweep;
            break;
        }
    }
    free(order);
    return result;
}

int neuro_hopfield_recall_sync(const neuro_hopfield *h, int8_t *s, int max_iters, int *cycle)
{
    *cycle = 0;
    uint32_t n = h->n;
    int8_t *prev = malloc(2 * (size_t)n);
    if (!prev)
        return NQ_ENOMEM;
    int8_t *next = prev + n;
    int8_t *before = NULL; /* the state two iterations back, for the 2-cycle check */
    int8_t *two = malloc(n);
    if (!two) {
        free(prev);
        return NQ_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++)
        s[i] = s[i] > 0 ? 1 : -1;
    int result = 0;
    for (int it = 1; it <= max_iters; it++) {
        memcpy(prev, s, n);
        for (uint32_t i = 0; i < n; i++) {
            int64_t f = neuro_hopfield_field(h, prev, i);
            next[i] = f > 0 ? 1 : f < 0 ? -1 : prev[i];
        }
        if (!memcmp(next, prev, n)) {
            result = it;
            break;
        }
        if (before && !memcmp(next, before, n)) {
            memcpy(s, next, n);
            *cycle = 1;
            result = it;
            break;
        }
        memcpy(two, prev, n);
        before = two;
        memcpy(s, next, n);
    }
    free(prev);
    free(two);
    return result;
}

uint32_t neuro_hopfield_overlap(const int8_t *a, const int8_t *b, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        k += (a[i] > 0) == (b[i] > 0);
    return k;
}
