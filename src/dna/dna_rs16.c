/*
 * dna_rs16.c — Reed-Solomon over GF(2^16) (see dna_rs16.h; the algorithm is the one of
 * dna_rs.c, with heap buffers since m can be in the thousands).
 */
#include "dna_rs16.h"

#include <stdlib.h>
#include <string.h>

int dna_rs16_init(dna_rs16 *rs, const dna_gf16 *f, int n, int k, nq_err *err)
{
    memset(rs, 0, sizeof *rs);
    if (n < 2 || n > DNA_RS16_MAX_N || k < 1 || k >= n)
        return nq_err_set(err, NQ_EINVAL, "Reed-Solomon GF(2^16): need 1 <= k < n <= %d (got n=%d, k=%d)",
                          DNA_RS16_MAX_N, n, k);
    int m = n - k;
    rs->f = f;
    rs->n = n;
    rs->k = k;
    rs->m = m;
    rs->gen = calloc((size_t)m + 1, sizeof *rs->gen);
    if (!rs->gen)
        return nq_err_set(err, NQ_ENOMEM, "Reed-Solomon GF(2^16): out of memory");
    rs->gen[0] = 1;
    for (int j = 0; j < m; j++) {
        uint16_t r = dna_gf16_pow2(f, (uint64_t)j);
        rs->gen[j + 1] = 0;
        for (int i = j + 1; i >= 1; i--)
            rs->gen[i] ^= dna_gf16_mul(f, r, rs->gen[i - 1]);
    }
    return 0;
}

void dna_rs16_free(dna_rs16 *rs)
{
    free(rs->gen);
    rs->gen = NULL;
}

void dna_rs16_encode(const dna_rs16 *rs, const uint16_t *msg, uint16_t *parity)
{
    const dna_gf16 *f = rs->f;
    int m = rs->m;
    memset(parity, 0, (size_t)m * sizeof *parity);
    for (int i = 0; i < rs->k; i++) {
        uint16_t fb = msg[i] ^ parity[0];
        memmove(parity, parity + 1, (size_t)(m - 1) * sizeof *parity);
        parity[m - 1] = 0;
        if (fb) {
            uint32_t lf = f->log[fb];
            for (int j = 0; j < m; j++) {
                uint16_t g = rs->gen[j + 1];
                if (g)
                    parity[j] ^= f->exp[lf + f->log[g]];
            }
        }
    }
}

static int rs16_syndromes(const dna_rs16 *rs, const uint16_t *cw, uint16_t *s)
{
    const dna_gf16 *f = rs->f;
    int any = 0;
    for (int j = 0; j < rs->m; j++) {
        uint16_t a = dna_gf16_pow2(f, (uint64_t)j), v = 0;
        for (int i = 0; i < rs->n; i++)
            v = (uint16_t)(dna_gf16_mul(f, v, a) ^ cw[i]);
        s[j] = v;
        any |= v;
    }
    return any != 0;
}

static uint16_t poly16_eval(const dna_gf16 *f, const uint16_t *p, int deg, uint16_t a)
{
    uint16_t v = 0;
    for (int i = deg; i >= 0; i--)
        v = (uint16_t)(dna_gf16_mul(f, v, a) ^ p[i]);
    return v;
}

int dna_rs16_decode(const dna_rs16 *rs, uint16_t *cw, const int *eras, int neras, nq_err *err)
{
    const dna_gf16 *f = rs->f;
    int n = rs->n, m = rs->m;
    if (neras < 0)
        return nq_err_set(err, NQ_EINVAL, "Reed-Solomon: negative erasure count");
    if (neras > m)
        return nq_err_set(err, NQ_ECORRUPT, "Reed-Solomon: %d erasures exceed the %d parity symbols",
                          neras, m);
    size_t words = (size_t)n /* save */ + (size_t)n /* seen */ + 5 * ((size_t)m + 2) + (size_t)n;
    uint16_t *mem = calloc(words, sizeof *mem);
    int *pos = malloc((size_t)n * sizeof *pos);
    if (!mem || !pos) {
        free(mem);
        free(pos);
        return nq_err_set(err, NQ_ENOMEM, "Reed-Solomon: out of memory");
    }
    uint16_t *save = mem, *seen = save + n, *s = seen + n, *lam = s + m + 2, *b = lam + m + 2,
             *t = b + m + 2, *om = t + m + 2;
    int rc;
    memcpy(save, cw, (size_t)n * sizeof *cw);
    for (int i = 0; i < neras; i++) {
        if (eras[i] < 0 || eras[i] >= n || seen[eras[i]]) {
            rc = nq_err_set(err, NQ_EINVAL, "Reed-Solomon: bad erasure position %d", eras[i]);
            goto out;
        }
        seen[eras[i]] = 1;
        cw[eras[i]] = 0;
    }
    if (!rs16_syndromes(rs, cw, s)) {
        rc = 0;
        for (int i = 0; i < neras; i++)
            rc += save[eras[i]] != 0;
        goto out;
    }
    lam[0] = 1;
    int deg = 0;
    for (int i = 0; i < neras; i++) {
        uint16_t x = dna_gf16_pow2(f, (uint64_t)(n - 1 - eras[i]));
        lam[deg + 1] = 0;
        for (int j = deg + 1; j >= 1; j--)
            lam[j] ^= dna_gf16_mul(f, x, lam[j - 1]);
        deg++;
    }
    memcpy(b, lam, ((size_t)m + 2) * sizeof *b);
    int L = neras;
    for (int r = neras + 1; r <= m; r++) {
        uint16_t delta = 0;
        for (int i = 0; i < r; i++)
            delta ^= dna_gf16_mul(f, lam[i], s[r - 1 - i]);
        if (delta == 0) {
            memmove(b + 1, b, (size_t)m * sizeof *b);
            b[0] = 0;
            continue;
        }
        t[0] = lam[0];
        for (int i = 0; i < m; i++)
            t[i + 1] = (uint16_t)(lam[i + 1] ^ dna_gf16_mul(f, delta, b[i]));
        if (2 * L <= r + neras - 1) {
            L = r + neras - L;
            uint16_t inv = dna_gf16_inv(f, delta);
            for (int i = 0; i <= m; i++)
                b[i] = dna_gf16_mul(f, lam[i], inv);
        } else {
            memmove(b + 1, b, (size_t)m * sizeof *b);
            b[0] = 0;
        }
        memcpy(lam, t, ((size_t)m + 1) * sizeof *lam);
    }
    int dl = 0;
    for (int i = 0; i <= m; i++)
        if (lam[i])
            dl = i;
    int nerr = dl - neras;
    if (nerr < 0 || neras + 2 * nerr > m)
        goto fail;
    int np = 0;
    if (nerr == 0) {
        /* only erasures: the roots must be the erased positions (checked here, at e points,
         * instead of a Chien search over all n) */
        for (int i = 0; i < neras; i++) {
            uint16_t xinv = dna_gf16_pow2(f, (uint64_t)(65535 - (n - 1 - eras[i]) % 65535));
            if (poly16_eval(f, lam, dl, xinv) != 0)
                goto fail;
            pos[np++] = eras[i];
        }
    }
    for (int i = 0; i < n && nerr > 0; i++) {
        uint16_t xinv = dna_gf16_pow2(f, (uint64_t)(65535 - (n - 1 - i) % 65535));
        if (poly16_eval(f, lam, dl, xinv) == 0) {
            if (np == dl)
                goto fail;
            pos[np++] = i;
        }
    }
    if (np != dl)
        goto fail;
    for (int i = 0; i < m; i++) {
        uint16_t v = 0;
        for (int j = 0; j <= i && j <= dl; j++)
            v ^= dna_gf16_mul(f, lam[j], s[i - j]);
        om[i] = v;
    }
    for (int q = 0; q < np; q++) {
        uint64_t e = (uint64_t)(n - 1 - pos[q]);
        uint16_t x = dna_gf16_pow2(f, e), xinv = dna_gf16_pow2(f, 65535 - e % 65535);
        uint16_t num = dna_gf16_mul(f, x, poly16_eval(f, om, m - 1, xinv));
        uint16_t den = 0, xp = 1, xinv2 = dna_gf16_mul(f, xinv, xinv);
        for (int i = 1; i <= dl; i += 2) {
            den ^= dna_gf16_mul(f, lam[i], xp);
            xp = dna_gf16_mul(f, xp, xinv2);
        }
        if (den == 0)
            goto fail;
        cw[pos[q]] ^= dna_gf16_mul(f, num, dna_gf16_inv(f, den));
    }
    if (rs16_syndromes(rs, cw, s))
        goto fail;
    rc = 0;
    for (int i = 0; i < n; i++)
        rc += cw[i] != save[i];
    goto out_keep;
fail:
    rc = nq_err_set(err, NQ_ECORRUPT,
                    "Reed-Solomon: the codeword cannot be decoded (%d erasures, more errors than "
                    "the %d parity symbols can correct)",
                    neras, m);
out:
    memcpy(cw, save, (size_t)n * sizeof *cw);
    if (rc >= 0) /* decoded without change beyond the erasures: keep the erased values zeroed */
        for (int i = 0; i < neras; i++)
            cw[eras[i]] = 0;
out_keep:
    free(mem);
    free(pos);
    return rc;
}
