/*
 * dna_channel.c — the synthesis + sequencing simulator (see dna_channel.h).
 */
#include "dna_channel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"

static const char dna_chars[4] = {'A', 'C', 'G', 'T'};

static int chan_code(char ch)
{
    switch (ch) {
    case 'C': case 'c': return 1;
    case 'G': case 'g': return 2;
    case 'T': case 't': return 3;
    default: return 0;
    }
}

/* Poisson(lambda) by inversion of the CDF (lambda <= 1000: the terms stay finite). */
static unsigned poisson(nq_rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 60) { /* normal approximation, rounded, where exp(-lambda) would underflow */
        double u1 = nq_rng_double(r), u2 = nq_rng_double(r);
        double z = sqrt(-2.0 * log(u1 > 0 ? u1 : 1e-300)) * cos(6.283185307179586 * u2);
        double v = floor(lambda + sqrt(lambda) * z + 0.5);
        return v < 0 ? 0 : (unsigned)v;
    }
    double u = nq_rng_double(r), p = exp(-lambda), c = p;
    unsigned k = 0;
    while (u > c && k < 10000) {
        k++;
        p *= lambda / k;
        c += p;
    }
    return k;
}

void dna_reads_free(dna_reads *r)
{
    free(r->off);
    free(r->len);
    free(r->bases);
    memset(r, 0, sizeof *r);
}

static int rate_ok(double x)
{
    return x >= 0 && x <= 1;
}

int dna_channel_simulate(const dna_channel_params *p, const char *oligos, size_t count, int len,
                         dna_reads *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    if (!rate_ok(p->dropout) || !rate_ok(p->sub) || !rate_ok(p->ins) || !rate_ok(p->del) ||
        p->ins >= 1)
        return nq_err_set(err, NQ_EINVAL, "channel rates must lie in [0, 1] (insertions below 1)");
    if (!(p->coverage >= 0 && p->coverage <= 1000))
        return nq_err_set(err, NQ_EINVAL, "coverage %g is outside [0, 1000]", p->coverage);
    nq_rng r;
    nq_rng_seed(&r, p->seed);
    /* reads per oligo first, so the buffers are sized once */
    unsigned *nr = malloc((count ? count : 1) * sizeof *nr);
    if (!nr)
        return nq_err_set(err, NQ_ENOMEM, "channel: out of memory");
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (nq_rng_double(&r) < p->dropout)
            nr[i] = 0;
        else
            nr[i] = p->poisson ? poisson(&r, p->coverage) : (unsigned)floor(p->coverage + 0.5);
        total += nr[i];
    }
    size_t cap = total * ((size_t)len + (size_t)len / 4 + 16) + 1;
    out->off = malloc((total ? total : 1) * sizeof *out->off);
    out->len = malloc((total ? total : 1) * sizeof *out->len);
    out->bases = malloc(cap);
    if (!out->off || !out->len || !out->bases) {
        free(nr);
        dna_reads_free(out);
        return nq_err_set(err, NQ_ENOMEM, "channel: out of memory");
    }
    size_t pos = 0, k = 0;
    for (size_t i = 0; i < count; i++) {
        const char *o = oligos + i * (size_t)len;
        for (unsigned t = 0; t < nr[i]; t++) {
            size_t start = pos;
            size_t limit = start + (size_t)len + (size_t)len / 4 + 15;
            for (int j = 0; j < len; j++) {
                while (pos < limit && p->ins > 0 && nq_rng_double(&r) < p->ins)
                    out->bases[pos++] = dna_chars[nq_rng_below(&r, 4)];
                double u = nq_rng_double(&r);
                if (u < p->del)
                    continue;
                int b = chan_code(o[j]);
                if (nq_rng_double(&r) < p->sub)
                    b = (b + 1 + (int)nq_rng_below(&r, 3)) & 3;
                if (pos < limit)
                    out->bases[pos++] = dna_chars[b];
            }
            out->off[k] = start;
            out->len[k] = pos - start;
            k++;
        }
    }
    free(nr);
    out->count = k;
    /* shuffle the order (Fisher-Yates on the index arrays) */
    for (size_t i = k; i > 1; i--) {
        size_t j = (size_t)nq_rng_below(&r, i);
        size_t to = out->off[i - 1], tl = out->len[i - 1];
        out->off[i - 1] = out->off[j];
        out->len[i - 1] = out->len[j];
        out->off[j] = to;
        out->len[j] = tl;
    }
    return 0;
}
