/*
 * dna_rs.c — Reed-Solomon over GF(2^8): generator, encoders, errors-and-erasures decoder
 * (see dna_rs.h). Notation: X = 2^(n-1-i) is the locator of position i (the power of x its
 * symbol multiplies), S_j = c(2^j) the syndromes, Lambda(x) = prod (1 + X x) over the wrong
 * positions, Omega(x) = S(x) Lambda(x) mod x^m, and the error value at X is
 * X * Omega(X^-1) / Lambda'(X^-1) (Forney with first consecutive root 2^0).
 */
#include "dna_rs.h"

#include <stdlib.h>
#include <string.h>

#include "dna_gf.h"

int dna_rs_init(dna_rs *rs, int n, int k, nq_err *err)
{
    memset(rs, 0, sizeof *rs);
    if (n < 2 || n > DNA_RS_MAX_N || k < 1 || k >= n)
        return nq_err_set(err, NQ_EINVAL, "Reed-Solomon: need 1 <= k < n <= 255 (got n=%d, k=%d)", n, k);
    int m = n - k;
    rs->n = n;
    rs->k = k;
    rs->m = m;
    /* g(x) = prod_{j<m} (x + 2^j), gen[0] the leading coefficient. */
    uint8_t g[DNA_RS_MAX_N + 1] = {1};
    int deg = 0;
    for (int j = 0; j < m; j++) {
        uint8_t r = dna_gf_exp((unsigned)j);
        /* multiply by (x + r): new[i] = g[i] + r*g[i-1] in leading-first order */
        g[deg + 1] = 0;
        for (int i = deg + 1; i >= 1; i--)
            g[i] ^= dna_gf_mul(r, g[i - 1]);
        deg++;
    }
    memcpy(rs->gen, g, (size_t)m + 1);
    rs->pmat = malloc((size_t)k * (size_t)m);
    if (!rs->pmat)
        return nq_err_set(err, NQ_ENOMEM, "Reed-Solomon: out of memory");
    /* Parity of the unit message at d: the LFSR run on e_d. Built from the last position
     * backwards: the unit at d is x times the unit at d+1, so its remainder is the previous
     * one shifted by one place, reduced once by g. */
    uint8_t rem[DNA_RS_MAX_N];
    memset(rem, 0, sizeof rem);
    for (int d = k - 1; d >= 0; d--) {
        if (d == k - 1) {
            /* x^m mod g = g - x^m = gen[1..m] */
            memcpy(rem, rs->gen + 1, (size_t)m);
        } else {
            uint8_t top = rem[0];
            memmove(rem, rem + 1, (size_t)m - 1);
            rem[m - 1] = 0;
            for (int j = 0; j < m; j++)
                rem[j] ^= dna_gf_mul(top, rs->gen[j + 1]);
        }
        memcpy(rs->pmat + (size_t)d * (size_t)m, rem, (size_t)m);
    }
    return 0;
}

void dna_rs_free(dna_rs *rs)
{
    free(rs->pmat);
    rs->pmat = NULL;
}

void dna_rs_encode(const dna_rs *rs, const uint8_t *msg, uint8_t *parity)
{
    int m = rs->m;
    memset(parity, 0, (size_t)m);
    for (int i = 0; i < rs->k; i++) {
        uint8_t fb = msg[i] ^ parity[0];
        memmove(parity, parity + 1, (size_t)m - 1);
        parity[m - 1] = 0;
        if (fb)
            for (int j = 0; j < m; j++)
                parity[j] ^= dna_gf_mul(fb, rs->gen[j + 1]);
    }
}

void dna_rs_encode_rows(const dna_rs *rs, const uint8_t *const *data, uint8_t *const *parity,
                        size_t len)
{
    dna_gf_mul_rows(rs->pmat, rs->k, rs->m, data, parity, len);
}

/* The syndromes S_j = c(2^j), j < m; returns 1 if any is nonzero. */
static int rs_syndromes(const dna_rs *rs, const uint8_t *cw, uint8_t *s)
{
    int any = 0;
    for (int j = 0; j < rs->m; j++) {
        uint8_t a = dna_gf_exp((unsigned)j), v = 0;
        for (int i = 0; i < rs->n; i++)
            v = (uint8_t)(dna_gf_mul(v, a) ^ cw[i]);
        s[j] = v;
        any |= v;
    }
    return any != 0;
}

/* p(x) at x = a, p[0] the constant term, degree deg. */
static uint8_t poly_eval(const uint8_t *p, int deg, uint8_t a)
{
    uint8_t v = 0;
    for (int i = deg; i >= 0; i--)
        v = (uint8_t)(dna_gf_mul(v, a) ^ p[i]);
    return v;
}

int dna_rs_decode(const dna_rs *rs, uint8_t *cw, const int *eras, int neras, nq_err *err)
{
    int n = rs->n, m = rs->m;
    if (neras < 0)
        return nq_err_set(err, NQ_EINVAL, "Reed-Solomon: negative erasure count");
    if (neras > m)
        return nq_err_set(err, NQ_ECORRUPT,
                          "Reed-Solomon: %d erasures exceed the %d parity symbols", neras, m);
    uint8_t seen[DNA_RS_MAX_N] = {0};
    for (int i = 0; i < neras; i++) {
        if (eras[i] < 0 || eras[i] >= n || seen[eras[i]])
            return nq_err_set(err, NQ_EINVAL, "Reed-Solomon: bad erasure position %d", eras[i]);
        seen[eras[i]] = 1;
    }
    uint8_t s[DNA_RS_MAX_N];
    uint8_t save[DNA_RS_MAX_N];
    memcpy(save, cw, (size_t)n);
    for (int i = 0; i < neras; i++)
        cw[eras[i]] = 0;
    if (!rs_syndromes(rs, cw, s)) {
        /* A codeword already: the erased symbols were zero. */
        int changed = 0;
        for (int i = 0; i < neras; i++)
            changed += save[eras[i]] != 0;
        return changed;
    }
    /* Lambda starts as the erasure locator Gamma(x) = prod (1 + X_e x); constant term first. */
    uint8_t lam[DNA_RS_MAX_N + 2] = {1}, b[DNA_RS_MAX_N + 2], t[DNA_RS_MAX_N + 2];
    int deg = 0;
    for (int i = 0; i < neras; i++) {
        uint8_t x = dna_gf_exp((unsigned)(n - 1 - eras[i]));
        lam[deg + 1] = 0;
        for (int j = deg + 1; j >= 1; j--)
            lam[j] ^= dna_gf_mul(x, lam[j - 1]);
        deg++;
    }
    memset(lam + deg + 1, 0, (size_t)(m + 1 - deg));
    memcpy(b, lam, (size_t)m + 2);
    int L = neras;
    for (int r = neras + 1; r <= m; r++) {
        uint8_t delta = 0;
        for (int i = 0; i < r; i++)
            if (i <= m)
                delta ^= dna_gf_mul(lam[i], s[r - 1 - i]);
        if (delta == 0) {
            memmove(b + 1, b, (size_t)m);
            b[0] = 0;
            continue;
        }
        t[0] = lam[0];
        for (int i = 0; i < m; i++)
            t[i + 1] = (uint8_t)(lam[i + 1] ^ dna_gf_mul(delta, b[i]));
        if (2 * L <= r + neras - 1) {
            L = r + neras - L;
            uint8_t inv = dna_gf_inv(delta);
            for (int i = 0; i <= m; i++)
                b[i] = dna_gf_mul(lam[i], inv);
        } else {
            memmove(b + 1, b, (size_t)m);
            b[0] = 0;
        }
        memcpy(lam, t, (size_t)m + 1);
    }
    int dl = 0;
    for (int i = 0; i <= m; i++)
        if (lam[i])
            dl = i;
    int nerr = dl - neras; /* wrong positions beyond the erasures */
    if (dl > m || nerr < 0 || neras + 2 * nerr > m)
        goto fail;
    /* Chien search over the n positions of the (shortened) code. */
    int pos[DNA_RS_MAX_N], np = 0;
    for (int i = 0; i < n; i++) {
        uint8_t xinv = dna_gf_exp((unsigned)(255 - (n - 1 - i) % 255));
        if (poly_eval(lam, dl, xinv) == 0) {
            if (np == dl)
                goto fail;
            pos[np++] = i;
        }
    }
    if (np != dl)
        goto fail;
    /* Omega = S * Lambda mod x^m. */
    uint8_t om[DNA_RS_MAX_N];
    for (int i = 0; i < m; i++) {
        uint8_t v = 0;
        for (int j = 0; j <= i && j <= dl; j++)
            v ^= dna_gf_mul(lam[j], s[i - j]);
        om[i] = v;
    }
    int changed = 0;
    for (int q = 0; q < np; q++) {
        unsigned e = (unsigned)(n - 1 - pos[q]);
        uint8_t x = dna_gf_exp(e), xinv = dna_gf_exp(255 - e % 255);
        uint8_t num = dna_gf_mul(x, poly_eval(om, m - 1, xinv));
        /* Lambda'(x) in characteristic 2: the odd terms, lam[i] x^(i-1). */
        uint8_t den = 0, xp = 1, xinv2 = dna_gf_mul(xinv, xinv);
        for (int i = 1; i <= dl; i += 2) {
            den ^= dna_gf_mul(lam[i], xp);
            xp = dna_gf_mul(xp, xinv2);
        }
        if (den == 0)
            goto fail;
        cw[pos[q]] ^= dna_gf_div(num, den);
    }
    if (rs_syndromes(rs, cw, s))
        goto fail;
    for (int i = 0; i < n; i++)
        changed += cw[i] != save[i];
    return changed;
fail:
    memcpy(cw, save, (size_t)n);
    return nq_err_set(err, NQ_ECORRUPT,
                      "Reed-Solomon: the codeword cannot be decoded (%d erasures, more errors than "
                      "the %d parity symbols can correct)",
                      neras, m);
}

/* Invert the e x e matrix a (row-major) in place into inv; 0, or -1 if singular. */
static int gf_invert(uint8_t *a, uint8_t *inv, int e)
{
    memset(inv, 0, (size_t)e * (size_t)e);
    for (int i = 0; i < e; i++)
        inv[i * e + i] = 1;
    for (int c = 0; c < e; c++) {
        int p = c;
        while (p < e && !a[p * e + c])
            p++;
        if (p == e)
            return -1;
        if (p != c)
            for (int j = 0; j < e; j++) {
                uint8_t t = a[c * e + j];
                a[c * e + j] = a[p * e + j];
                a[p * e + j] = t;
                t = inv[c * e + j];
                inv[c * e + j] = inv[p * e + j];
                inv[p * e + j] = t;
            }
        uint8_t f = dna_gf_inv(a[c * e + c]);
        for (int j = 0; j < e; j++) {
            a[c * e + j] = dna_gf_mul(a[c * e + j], f);
            inv[c * e + j] = dna_gf_mul(inv[c * e + j], f);
        }
        for (int r = 0; r < e; r++) {
            uint8_t g = a[r * e + c];
            if (r == c || !g)
                continue;
            for (int j = 0; j < e; j++) {
                a[r * e + j] ^= dna_gf_mul(g, a[c * e + j]);
                inv[r * e + j] ^= dna_gf_mul(g, inv[c * e + j]);
            }
        }
    }
    return 0;
}

long dna_rs_decode_rows(const dna_rs *rs, uint8_t *const *rows, size_t len, const int *eras,
                        int neras, uint8_t *bad, size_t *changed, nq_err *err)
{
    int n = rs->n, m = rs->m, e = neras;
    size_t nchanged = 0;
    if (changed)
        *changed = 0;
    if (e < 0)
        return nq_err_set(err, NQ_EINVAL, "Reed-Solomon: negative erasure count");
    if (e > m) {
        memset(bad, 1, len);
        return (long)len;
    }
    memset(bad, 0, len);
    if (len == 0)
        return 0;
    uint8_t isera[DNA_RS_MAX_N] = {0};
    for (int i = 0; i < e; i++) {
        if (eras[i] < 0 || eras[i] >= n || isera[eras[i]])
            return nq_err_set(err, NQ_EINVAL, "Reed-Solomon: bad erasure position %d", eras[i]);
        isera[eras[i]] = 1;
    }
    int known[DNA_RS_MAX_N], nk = 0;
    for (int i = 0; i < n; i++)
        if (!isera[i])
            known[nk++] = i;
    const uint8_t *kin[DNA_RS_MAX_N];
    for (int u = 0; u < nk; u++)
        kin[u] = rows[known[u]];
    uint8_t *tmp = NULL, *coef = NULL, *a = NULL, *inv = NULL;
    long nbad = 0;
    if (e > 0) {
        /* c_E = inv(H_E) H_K c_K over the first e syndromes, H[j][i] = 2^(j (n-1-i)) */
        a = malloc((size_t)e * (size_t)e);
        inv = malloc((size_t)e * (size_t)e);
        coef = malloc((size_t)nk * (size_t)e);
        if (!a || !inv || !coef)
            goto nomem;
        for (int j = 0; j < e; j++)
            for (int t = 0; t < e; t++)
                a[j * e + t] = dna_gf_exp((unsigned)j * (unsigned)(n - 1 - eras[t]));
        if (gf_invert(a, inv, e)) { /* cannot happen: distinct locators, Vandermonde */
            nbad = nq_err_set(err, NQ_ECORRUPT, "Reed-Solomon: singular erasure matrix");
            goto out;
        }
        /* coef[u*e + t] = sum_j inv[t][j] H[j][known u] */
        for (int u = 0; u < nk; u++)
            for (int t = 0; t < e; t++) {
                uint8_t v = 0;
                for (int j = 0; j < e; j++)
                    v ^= dna_gf_mul(inv[t * e + j], dna_gf_exp((unsigned)j * (unsigned)(n - 1 - known[u])));
                coef[(size_t)u * (size_t)e + (size_t)t] = v;
            }
        uint8_t *eout[DNA_RS_MAX_N];
        for (int t = 0; t < e; t++)
            eout[t] = rows[eras[t]];
        dna_gf_mul_rows(coef, nk, e, kin, eout, len);
        nchanged += (size_t)e * len;
    }
    int r = m - e;
    if (r > 0) {
        /* the syndromes e..m-1 of every column: all zero for a codeword */
        const uint8_t *all[DNA_RS_MAX_N];
        for (int i = 0; i < n; i++)
            all[i] = rows[i];
        free(coef);
        coef = malloc((size_t)n * (size_t)r);
        tmp = malloc((size_t)r * len);
        if (!coef || !tmp)
            goto nomem;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < r; j++)
                coef[(size_t)i * (size_t)r + (size_t)j] = dna_gf_exp((unsigned)(e + j) * (unsigned)(n - 1 - i));
        uint8_t *sout[DNA_RS_MAX_N];
        for (int j = 0; j < r; j++)
            sout[j] = tmp + (size_t)j * len;
        dna_gf_mul_rows(coef, n, r, all, sout, len);
        for (size_t c = 0; c < len; c++) {
            int nz = 0;
            for (int j = 0; j < r && !nz; j++)
                nz = tmp[(size_t)j * len + c] != 0;
            if (!nz)
                continue;
            uint8_t cw[DNA_RS_MAX_N];
            for (int i = 0; i < n; i++)
                cw[i] = rows[i][c];
            int rc = dna_rs_decode(rs, cw, eras, e, NULL);
            if (rc < 0) {
                bad[c] = 1;
                nbad++;
                continue;
            }
            for (int i = 0; i < n; i++)
                if (!isera[i] && rows[i][c] != cw[i]) {
                    rows[i][c] = cw[i];
                    nchanged++;
                } else {
                    rows[i][c] = cw[i];
                }
        }
    }
    goto out;
nomem:
    nbad = nq_err_set(err, NQ_ENOMEM, "Reed-Solomon: out of memory");
out:
    free(a);
    free(inv);
    free(coef);
    free(tmp);
    if (changed && nbad >= 0)
        *changed = nchanged;
    return nbad;
}
