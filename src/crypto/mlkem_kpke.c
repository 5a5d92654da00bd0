/*
 * mlkem_kpke.c — K-PKE, the public-key encryption scheme inside ML-KEM (FIPS 203 §5,
 * Algorithms 13-15). Not a KEM by itself (it is only CPA-secure); mlkem.c wraps it with the
 * Fujisaki-Okamoto transform.
 *
 *   KeyGen(d):       (rho, sigma) = G(d || k); A[i][j] = SampleNTT(rho || j || i);
 *                    s, e <- CBD_eta1(PRF(sigma, 0..2k-1)); t = A NTT(s) + NTT(e);
 *                    ek = ByteEncode12(t) || rho, dk = ByteEncode12(NTT(s))
 *   Encrypt(ek,m,r): y, e1, e2 <- CBD(PRF(r, 0..2k)); u = NTT^-1(A^T NTT(y)) + e1;
 *                    v = NTT^-1(t^T NTT(y)) + e2 + Decompress1(m);
 *                    c = Compress_du(u) || Compress_dv(v)
 *   Decrypt(dk, c):  w = v' - NTT^-1(s^T NTT(u')); m = Compress1(w)
 *
 * The matrix A is never stored: each entry is sampled where it is used (row i of A for t in
 * KeyGen, column i for u in Encrypt), which keeps the stack at a few kilobytes for k = 4.
 * All polynomials of one call live in one struct that is wiped before returning, together
 * with the hash outputs that hold sigma; y, e1, e2, s, e, m are the secrets among them.
 */
#include <string.h>

#include "crypto/crypto_util.h"
#include "crypto/mlkem_internal.h"

int mlkem_kpke_keygen(const mlkem_params *p, uint8_t *ek, uint8_t *dk_pke, const uint8_t d[32])
{
    struct {
        uint8_t in[33], g[64]; /* d || k, then rho || sigma */
        mlkem_poly s[MLKEM_MAX_K], e, t, a;
    } w;
    const int k = p->k;
    int rc = -1;
    memcpy(w.in, d, 32);
    w.in[32] = (uint8_t)k; /* domain separation between parameter sets (FIPS 203 final) */
    if (crypto_sha3_512(w.g, w.in, sizeof w.in))
        goto out;
    const uint8_t *rho = w.g, *sigma = w.g + 32;
    MLKEM_DECLASSIFY(w.g, 32); /* rho is published in ek */
    for (int i = 0; i < k; i++) {
        if (mlkem_sample_cbd(&w.s[i], sigma, (uint8_t)i, p->eta1))
            goto out;
        mlkem_ntt(&w.s[i]);
    }
    for (int i = 0; i < k; i++) {
        if (mlkem_sample_cbd(&w.e, sigma, (uint8_t)(k + i), p->eta1))
            goto out;
        mlkem_ntt(&w.e);
        w.t = w.e;
        for (int j = 0; j < k; j++) {
            if (mlkem_sample_ntt(&w.a, rho, (uint8_t)j, (uint8_t)i))
                goto out;
            mlkem_ntt_mul_acc(&w.t, &w.a, &w.s[j]);
        }
        mlkem_poly_encode12(ek + 384 * i, &w.t);
        mlkem_poly_encode12(dk_pke + 384 * i, &w.s[i]);
    }
    memcpy(ek + 384 * k, rho, 32);
    rc = 0;
out:
    crypto_wipe(&w, sizeof w);
    return rc;
}

int mlkem_kpke_encrypt(const mlkem_params *p, uint8_t *ct, const uint8_t *ek, const uint8_t m[32],
                       const uint8_t r[32])
{
    struct {
        mlkem_poly y[MLKEM_MAX_K], acc, a, e, mu;
    } w;
    const int k = p->k;
    const uint8_t *rho = ek + 384 * k;
    int rc = -1;
    for (int i = 0; i < k; i++) {
        if (mlkem_sample_cbd(&w.y[i], r, (uint8_t)i, p->eta1))
            goto out;
        mlkem_ntt(&w.y[i]);
    }
    /* u[i] = NTT^-1(sum_j A[j][i] y[j]) + e1[i], compressed straight into c1 */
    for (int i = 0; i < k; i++) {
        memset(&w.acc, 0, sizeof w.acc);
        for (int j = 0; j < k; j++) {
            if (mlkem_sample_ntt(&w.a, rho, (uint8_t)i, (uint8_t)j))
                goto out;
            mlkem_ntt_mul_acc(&w.acc, &w.a, &w.y[j]);
        }
        mlkem_ntt_inv(&w.acc);
        if (mlkem_sample_cbd(&w.e, r, (uint8_t)(k + i), p->eta2))
            goto out;
        mlkem_poly_add(&w.acc, &w.acc, &w.e);
        mlkem_poly_compress_encode(ct + 32 * p->du * i, &w.acc, p->du);
    }
    /* v = NTT^-1(t^T y) + e2 + Decompress1(m) */
    memset(&w.acc, 0, sizeof w.acc);
    for (int i = 0; i < k; i++) {
        mlkem_poly_decode12(&w.a, ek + 384 * i);
        mlkem_ntt_mul_acc(&w.acc, &w.a, &w.y[i]);
    }
    mlkem_ntt_inv(&w.acc);
    if (mlkem_sample_cbd(&w.e, r, (uint8_t)(2 * k), p->eta2))
        goto out;
    mlkem_poly_add(&w.acc, &w.acc, &w.e);
    mlkem_poly_decode_decompress(&w.mu, m, 1);
    mlkem_poly_add(&w.acc, &w.acc, &w.mu);
    mlkem_poly_compress_encode(ct + 32 * p->du * k, &w.acc, p->dv);
    rc = 0;
out:
    crypto_wipe(&w, sizeof w);
    return rc;
}

int mlkem_kpke_decrypt(const mlkem_params *p, uint8_t m[32], const uint8_t *dk_pke,
                       const uint8_t *ct)
{
    struct {
        mlkem_poly u, s, acc, v;
    } w;
    const int k = p->k;
    memset(&w.acc, 0, sizeof w.acc);
    for (int i = 0; i < k; i++) {
        mlkem_poly_decode_decompress(&w.u, ct + 32 * p->du * i, p->du);
        mlkem_ntt(&w.u);
        mlkem_poly_decode12(&w.s, dk_pke + 384 * i);
        mlkem_ntt_mul_acc(&w.acc, &w.s, &w.u);
    }
    mlkem_ntt_inv(&w.acc);
    mlkem_poly_decode_decompress(&w.v, ct + 32 * p->du * k, p->dv);
    mlkem_poly_sub(&w.v, &w.v, &w.acc);
    mlkem_poly_compress_encode(m, &w.v, 1);
    crypto_wipe(&w, sizeof w);
    return 0;
}
