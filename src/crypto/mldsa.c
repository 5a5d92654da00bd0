/*
 * mldsa.c — ML-DSA key generation, signing and verification (FIPS 204 Algorithms 1–3 and 6–8)
 * on top of the arithmetic (mldsa_poly.c), samplers (mldsa_sample.c) and encodings
 * (mldsa_pack.c). The API and its contract are in mldsa.h.
 *
 * Work areas. Signing keeps Â (up to 8x7 polynomials) and the NTTs of s1, s2, t0 across the
 * attempts of its rejection loop: about 100 KiB for ML-DSA-87, allocated on the heap (server
 * threads have small stacks), wiped as a whole and freed before returning — one wipe covers
 * every secret-derived intermediate (s1, s2, t0, y, z, w, cs1, cs2, ct0, ρ', ρ'', K).
 * Key generation and verification compute Â one row at a time and need a few polynomials.
 *
 * The signing loop (Algorithm 7) in constant time. Each attempt computes all four rejection
 * conditions — ||z||∞ >= γ1 − β, ||r0||∞ >= γ2 − β, ||ct0||∞ >= γ2, more than ω hints — without
 * a branch and folds them into one bit; only that bit is declassified (valgrind test), so the
 * timing reveals whether an attempt was rejected (public in practice: the number of attempts
 * shows in the time anyway), never which condition failed. Also declassified, each because
 * it is public: ρ and tr (ρ is part of pk, tr = H(pk)); the commitment hash c̃ of an attempt
 * (published in the signature when the attempt is accepted; for a rejected attempt we rely on
 * the analysis of Fiat–Shamir with aborts by Barbosa et al., CRYPTO 2023, in which the
 * commitments of rejected attempts may be revealed — so SampleInBall may branch on it); z and h of the accepted
 * attempt (they are the signature); the one bit "this secret key decodes to s1, s2 in
 * [−η, η]". The loop stops after MLDSA_MAX_ATTEMPTS attempts (FIPS 204 allows a bound): a
 * genuine key needs about 4–5 on average and more than 1000 with probability far below
 * 2^-128; a forged secret key can make every attempt fail, and then signing returns
 * NQ_ERROR instead of looping for ever.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto_util.h"
#include "mldsa_internal.h"
#include "nqdb.h"

#define MLDSA_MAX_ATTEMPTS 1000

static const mldsa_params params[3] = {
    {44, 4, 4, 2, 39, 78, 80, 32, 1 << 17, 18, (MLDSA_Q - 1) / 88, 6, 3,
     MLDSA44_PK_BYTES, MLDSA44_SK_BYTES, MLDSA44_SIG_BYTES},
    {65, 6, 5, 4, 49, 196, 55, 48, 1 << 19, 20, (MLDSA_Q - 1) / 32, 4, 4,
     MLDSA65_PK_BYTES, MLDSA65_SK_BYTES, MLDSA65_SIG_BYTES},
    {87, 8, 7, 2, 60, 120, 75, 64, 1 << 19, 20, (MLDSA_Q - 1) / 32, 4, 3,
     MLDSA87_PK_BYTES, MLDSA87_SK_BYTES, MLDSA87_SIG_BYTES},
};

const mldsa_params *mldsa_params_get(int level)
{
    for (int i = 0; i < 3; i++)
        if (params[i].level == level)
            return &params[i];
    return NULL;
}

size_t mldsa_pk_bytes(int level)
{
    const mldsa_params *p = mldsa_params_get(level);
    return p ? p->pk_bytes : 0;
}

size_t mldsa_sk_bytes(int level)
{
    const mldsa_params *p = mldsa_params_get(level);
    return p ? p->sk_bytes : 0;
}

size_t mldsa_sig_bytes(int level)
{
    const mldsa_params *p = mldsa_params_get(level);
    return p ? p->sig_bytes : 0;
}

const char *mldsa_name(int level)
{
    switch (level) {
    case 44: return "ML-DSA-44";
    case 65: return "ML-DSA-65";
    case 87: return "ML-DSA-87";
    default: return NULL;
    }
}

/* Bring every coefficient to its centered representative in (−(q−1)/2, (q−1)/2]. */
static void poly_center(mldsa_poly *a)
{
    for (int i = 0; i < MLDSA_N; i++) {
        int32_t t = mldsa_freeze(a->c[i]);
        a->c[i] = t - ((int32_t)(0u - mldsa_ct_isneg((MLDSA_Q - 1) / 2 - t)) & MLDSA_Q);
    }
}

/* μ = H(tr || M', 64) with M' = pre || msg (pre: the §5.2 prefix 0 || |ctx| || ctx, or nothing
 * for the internal functions). */
static int message_rep(uint8_t mu[64], const uint8_t tr[64], const uint8_t *pre, size_t prelen,
                       const uint8_t *msg, size_t msglen)
{
    crypto_xof x;
    int rc = crypto_xof_init(&x, 256, 64) || crypto_xof_absorb(&x, tr, 64) ||
             (prelen && crypto_xof_absorb(&x, pre, prelen)) ||
             (msglen && crypto_xof_absorb(&x, msg, msglen)) || crypto_xof_squeeze(&x, mu, 64);
    crypto_xof_free(&x);
    return rc ? -1 : 0;
}

/* c̃ = H(μ || w1Encode(w1), λ/4). */
static int commitment_hash(const mldsa_params *p, uint8_t *ctilde, const uint8_t mu[64],
                           const mldsa_poly *w1)
{
    uint8_t buf[32 * 6];
    crypto_xof x;
    int rc = crypto_xof_init(&x, 256, 64) || crypto_xof_absorb(&x, mu, 64);
    for (int i = 0; i < p->k && !rc; i++) {
        mldsa_pack_w1(p, buf, &w1[i]);
        rc = crypto_xof_absorb(&x, buf, 32 * (size_t)p->w1_bits);
    }
    rc = rc || crypto_xof_squeeze(&x, ctilde, (size_t)p->ctilde);
    crypto_xof_free(&x);
    return rc ? -1 : 0;
}

/* ---- key generation (Algorithm 6) -------------------------------------------------------- */

typedef struct keygen_work {
    uint8_t in[34], seeds[128]; /* ξ || k || l; ρ || ρ' || K */
    uint8_t tr[64];
    mldsa_poly s1[MLDSA_LMAX], s1hat[MLDSA_LMAX], s2[MLDSA_KMAX], t0[MLDSA_KMAX], t1[MLDSA_KMAX];
    mldsa_poly a, t;
} keygen_work;

int mldsa_keygen_internal(int level, const uint8_t seed[MLDSA_SEED_BYTES], uint8_t *pk, uint8_t *sk)
{
    const mldsa_params *p = mldsa_params_get(level);
    if (!p || !seed || !pk || !sk)
        return NQ_EINVAL;
    keygen_work *w = malloc(sizeof *w);
    if (!w)
        return NQ_ENOMEM;
    int rc = NQ_ERROR;
    memcpy(w->in, seed, 32);
    w->in[32] = (uint8_t)p->k;
    w->in[33] = (uint8_t)p->l;
    if (crypto_shake256(w->seeds, 128, w->in, 34))
        goto out;
    const uint8_t *rho = w->seeds, *rhoprime = w->seeds + 32, *key = w->seeds + 96;
    MLDSA_DECLASSIFY(w->seeds, 32); /* ρ: public, the first 32 bytes of pk */

    for (int r = 0; r < p->l; r++)
        if (mldsa_expand_s_poly(&w->s1[r], rhoprime, p->eta, (uint16_t)r))
            goto out;
    for (int r = 0; r < p->k; r++)
        if (mldsa_expand_s_poly(&w->s2[r], rhoprime, p->eta, (uint16_t)(p->l + r)))
            goto out;
    for (int j = 0; j < p->l; j++) {
        w->s1hat[j] = w->s1[j];
        mldsa_ntt(&w->s1hat[j]);
    }
    for (int i = 0; i < p->k; i++) {
        memset(&w->t, 0, sizeof w->t);
        for (int j = 0; j < p->l; j++) {
            if (mldsa_expand_a_entry(&w->a, rho, i, j))
                goto out;
            mldsa_poly_pointwise_acc(&w->t, &w->a, &w->s1hat[j]);
        }
        mldsa_invntt_tomont(&w->t);
        mldsa_poly_add(&w->t, &w->t, &w->s2[i]);
        mldsa_poly_freeze(&w->t);
        for (int n = 0; n < MLDSA_N; n++)
            mldsa_power2round(w->t.c[n], &w->t1[i].c[n], &w->t0[i].c[n]);
    }
    mldsa_pack_pk(p, pk, rho, w->t1);
    MLDSA_DECLASSIFY(pk, p->pk_bytes); /* the public key: an output */
    if (crypto_shake256(w->tr, 64, pk, p->pk_bytes))
        goto out;
    mldsa_pack_sk(p, sk, rho, key, w->tr, w->s1, w->s2, w->t0);
    rc = 0;
out:
    if (rc) {
        memset(pk, 0, p->pk_bytes);
        crypto_wipe(sk, p->sk_bytes);
    }
    crypto_wipe(w, sizeof *w);
    free(w);
    return rc;
}

int mldsa_keygen(int level, uint8_t *pk, uint8_t *sk)
{
    uint8_t seed[MLDSA_SEED_BYTES];
    if (!mldsa_params_get(level))
        return NQ_EINVAL;
    if (crypto_random(seed, sizeof seed))
        return NQ_ERROR;
    int rc = mldsa_keygen_internal(level, seed, pk, sk);
    crypto_wipe(seed, sizeof seed);
    return rc;
}

/* ---- signing (Algorithm 7) --------------------------------------------------------------- */

typedef struct sign_work {
    uint8_t rho[32], key[32], tr[64], mu[64], rhopp[64], ctilde[64];
    uint8_t kin[32 + 32 + 64]; /* K || rnd || μ */
    mldsa_poly A[MLDSA_KMAX][MLDSA_LMAX];
    mldsa_poly s1[MLDSA_LMAX], s2[MLDSA_KMAX], t0[MLDSA_KMAX]; /* in the NTT domain */
    mldsa_poly y[MLDSA_LMAX], yhat[MLDSA_LMAX], z[MLDSA_LMAX];
    mldsa_poly w[MLDSA_KMAX], w1[MLDSA_KMAX], h[MLDSA_KMAX];
    mldsa_poly c, t, u;
} sign_work;

static int sign_core(const mldsa_params *p, const uint8_t *sk, const uint8_t *pre, size_t prelen,
                     const uint8_t *msg, size_t msglen, const uint8_t rnd[32], uint8_t *sig)
{
    sign_work *w = malloc(sizeof *w);
    if (!w)
        return NQ_ENOMEM;
    int rc = NQ_ERROR;
    uint32_t ok = mldsa_unpack_sk(p, sk, w->rho, w->key, w->tr, w->s1, w->s2, w->t0);
    MLDSA_DECLASSIFY(&ok, sizeof ok); /* whether the key is well formed: one public bit */
    if (!ok) {
        rc = NQ_EINVAL;
        goto out;
    }
    MLDSA_DECLASSIFY(w->rho, 32); /* public: part of pk */
    MLDSA_DECLASSIFY(w->tr, 64);  /* public: H(pk) */
    for (int j = 0; j < p->l; j++)
        mldsa_ntt(&w->s1[j]);
    for (int i = 0; i < p->k; i++) {
        mldsa_ntt(&w->s2[i]);
        mldsa_ntt(&w->t0[i]);
    }
    for (int i = 0; i < p->k; i++)
        for (int j = 0; j < p->l; j++)
            if (mldsa_expand_a_entry(&w->A[i][j], w->rho, i, j))
                goto out;
    if (message_rep(w->mu, w->tr, pre, prelen, msg, msglen))
        goto out;
    memcpy(w->kin, w->key, 32);
    memcpy(w->kin + 32, rnd, 32);
    memcpy(w->kin + 64, w->mu, 64);
    if (crypto_shake256(w->rhopp, 64, w->kin, sizeof w->kin))
        goto out;

    for (int attempt = 0, kappa = 0; attempt < MLDSA_MAX_ATTEMPTS; attempt++, kappa += p->l) {
        /* y = ExpandMask(ρ'', κ); w = NTT^-1(Â ∘ NTT(y)); w1 = HighBits(w) */
        for (int r = 0; r < p->l; r++) {
            if (mldsa_expand_mask_poly(&w->y[r], w->rhopp, p, (uint16_t)(kappa + r)))
                goto out;
            w->yhat[r] = w->y[r];
            mldsa_ntt(&w->yhat[r]);
        }
        for (int i = 0; i < p->k; i++) {
            mldsa_poly_dot(&w->w[i], w->A[i], w->yhat, p->l);
            mldsa_invntt_tomont(&w->w[i]);
            mldsa_poly_freeze(&w->w[i]);
            for (int n = 0; n < MLDSA_N; n++) {
                int32_t r0;
                mldsa_decompose(p->gamma2, w->w[i].c[n], &w->w1[i].c[n], &r0);
            }
        }
        if (commitment_hash(p, w->ctilde, w->mu, w->w1))
            goto out;
        /* public once the attempt is accepted; simulatable when it is rejected (header) */
        MLDSA_DECLASSIFY(w->ctilde, (size_t)p->ctilde);
        if (mldsa_sample_in_ball(&w->c, w->ctilde, (size_t)p->ctilde, p->tau))
            goto out;
        mldsa_ntt(&w->c);

        uint32_t reject = 0;
        /* z = y + <<c·s1>> */
        for (int r = 0; r < p->l; r++) {
            mldsa_poly_pointwise(&w->t, &w->c, &w->s1[r]);
            mldsa_invntt_tomont(&w->t);
            mldsa_poly_add(&w->z[r], &w->y[r], &w->t);
            poly_center(&w->z[r]);
            reject |= mldsa_poly_exceeds(&w->z[r], p->gamma1 - p->beta);
        }
        int32_t hints = 0;
        for (int i = 0; i < p->k; i++) {
            /* t = w − <<c·s2>> in [0, q); r0 = LowBits(t) */
            mldsa_poly_pointwise(&w->t, &w->c, &w->s2[i]);
            mldsa_invntt_tomont(&w->t);
            mldsa_poly_sub(&w->t, &w->w[i], &w->t);
            mldsa_poly_freeze(&w->t);
            for (int n = 0; n < MLDSA_N; n++) {
                int32_t r1;
                mldsa_decompose(p->gamma2, w->t.c[n], &r1, &w->u.c[n]);
            }
            reject |= mldsa_poly_exceeds(&w->u, p->gamma2 - p->beta);
            /* u = <<c·t0>>; h = MakeHint(−ct0, w − cs2 + ct0) = [HighBits(t + ct0) != HighBits(t)] */
            mldsa_poly_pointwise(&w->u, &w->c, &w->t0[i]);
            mldsa_invntt_tomont(&w->u);
            reject |= mldsa_poly_exceeds(&w->u, p->gamma2);
            for (int n = 0; n < MLDSA_N; n++) {
                int32_t v = mldsa_freeze(w->t.c[n] + w->u.c[n]);
                w->h[i].c[n] = mldsa_make_hint(p->gamma2, v, w->t.c[n]);
                hints += w->h[i].c[n];
            }
        }
        reject |= mldsa_ct_isneg(p->omega - hints);
        MLDSA_DECLASSIFY(&reject, sizeof reject); /* the rejection decision, and only it */
        if (reject)
            continue;
        /* accepted: z and h are the signature */
        MLDSA_DECLASSIFY(w->z, sizeof w->z[0] * (size_t)p->l);
        MLDSA_DECLASSIFY(w->h, sizeof w->h[0] * (size_t)p->k);
        mldsa_pack_sig(p, sig, w->ctilde, w->z, w->h);
        rc = 0;
        goto out;
    }
out:
    if (rc)
        memset(sig, 0, p->sig_bytes);
    crypto_wipe(w, sizeof *w);
    free(w);
    return rc;
}

int mldsa_sign_internal(int level, const uint8_t *sk, const uint8_t *mprime, size_t mlen,
                        const uint8_t rnd[MLDSA_RND_BYTES], uint8_t *sig)
{
    const mldsa_params *p = mldsa_params_get(level);
    if (!p || !sk || !rnd || !sig || (mlen && !mprime))
        return NQ_EINVAL;
    return sign_core(p, sk, NULL, 0, mprime, mlen, rnd, sig);
}

int mldsa_sign_ex(int level, const uint8_t *sk, size_t sklen, const uint8_t *msg, size_t msglen,
                  const uint8_t *ctx, size_t ctxlen, const uint8_t *rnd, uint8_t *sig)
{
    const mldsa_params *p = mldsa_params_get(level);
    if (!p || !sig)
        return NQ_EINVAL;
    if (!sk || sklen != p->sk_bytes || ctxlen > MLDSA_CTX_MAX || (ctxlen && !ctx) ||
        (msglen && !msg)) {
        memset(sig, 0, p->sig_bytes);
        return NQ_EINVAL;
    }
    uint8_t pre[2 + MLDSA_CTX_MAX], fresh[MLDSA_RND_BYTES];
    pre[0] = 0; /* pure ML-DSA; 1 would be HashML-DSA */
    pre[1] = (uint8_t)ctxlen;
    if (ctxlen)
        memcpy(pre + 2, ctx, ctxlen);
    if (!rnd) {
        if (crypto_random(fresh, sizeof fresh)) {
            memset(sig, 0, p->sig_bytes);
            return NQ_ERROR;
        }
        rnd = fresh;
    }
    int rc = sign_core(p, sk, pre, 2 + ctxlen, msg, msglen, rnd, sig);
    crypto_wipe(fresh, sizeof fresh);
    return rc;
}

int mldsa_sign(int level, const uint8_t *sk, const uint8_t *msg, size_t msglen, const uint8_t *ctx,
               size_t ctxlen, uint8_t *sig)
{
    return mldsa_sign_ex(level, sk, mldsa_sk_bytes(level), msg, msglen, ctx, ctxlen, NULL, sig);
}

int mldsa_sign_deterministic(int level, const uint8_t *sk, const uint8_t *msg, size_t msglen,
                             const uint8_t *ctx, size_t ctxlen, uint8_t *sig)
{
    static const uint8_t zero[MLDSA_RND_BYTES];
    return mldsa_sign_ex(level, sk, mldsa_sk_bytes(level), msg, msglen, ctx, ctxlen, zero, sig);
}

/* ---- verification (Algorithm 8); public data only ---------------------------------------- */

typedef struct verify_work {
    uint8_t rho[32], tr[64], mu[64], ctilde[64], ctilde2[64];
    mldsa_poly t1[MLDSA_KMAX], z[MLDSA_LMAX], h[MLDSA_KMAX], w1[MLDSA_KMAX];
    mldsa_poly c, a, t, u;
} verify_work;

static int verify_core(const mldsa_params *p, const uint8_t *pk, size_t pklen, const uint8_t *pre,
                       size_t prelen, const uint8_t *msg, size_t msglen, const uint8_t *sig,
                       size_t siglen)
{
    if (!pk || pklen != p->pk_bytes)
        return NQ_EINVAL;
    if (!sig || siglen != p->sig_bytes)
        return NQ_ECORRUPT;
    verify_work *w = malloc(sizeof *w);
    if (!w)
        return NQ_ENOMEM;
    int rc = NQ_ECORRUPT;
    mldsa_unpack_pk(p, pk, w->rho, w->t1);
    if (mldsa_unpack_sig(p, sig, w->ctilde, w->z, w->h))
        goto out; /* malformed hint */
    for (int r = 0; r < p->l; r++)
        if (mldsa_poly_exceeds(&w->z[r], p->gamma1 - p->beta))
            goto out;
    rc = NQ_ERROR;
    if (crypto_shake256(w->tr, 64, pk, p->pk_bytes) ||
        message_rep(w->mu, w->tr, pre, prelen, msg, msglen) ||
        mldsa_sample_in_ball(&w->c, w->ctilde, (size_t)p->ctilde, p->tau))
        goto out;
    mldsa_ntt(&w->c);
    for (int r = 0; r < p->l; r++)
        mldsa_ntt(&w->z[r]);
    for (int i = 0; i < p->k; i++) {
        /* w'approx = NTT^-1(Â ∘ NTT(z) − NTT(c) ∘ NTT(t1·2^d)) */
        memset(&w->t, 0, sizeof w->t);
        for (int j = 0; j < p->l; j++) {
            if (mldsa_expand_a_entry(&w->a, w->rho, i, j))
                goto out;
            mldsa_poly_pointwise_acc(&w->t, &w->a, &w->z[j]);
        }
        for (int n = 0; n < MLDSA_N; n++)
            w->u.c[n] = w->t1[i].c[n] << MLDSA_D;
        mldsa_ntt(&w->u);
        mldsa_poly_pointwise(&w->u, &w->c, &w->u);
        mldsa_poly_sub(&w->t, &w->t, &w->u);
        mldsa_invntt_tomont(&w->t);
        mldsa_poly_freeze(&w->t);
        for (int n = 0; n < MLDSA_N; n++)
            w->w1[i].c[n] = mldsa_use_hint(p->gamma2, w->t.c[n], w->h[i].c[n]);
    }
    if (commitment_hash(p, w->ctilde2, w->mu, w->w1))
        goto out;
    rc = crypto_ct_equal(w->ctilde, w->ctilde2, (size_t)p->ctilde) ? 0 : NQ_ECORRUPT;
out:
    free(w);
    return rc;
}

int mldsa_verify_internal(int level, const uint8_t *pk, size_t pklen, const uint8_t *mprime,
                          size_t mlen, const uint8_t *sig, size_t siglen)
{
    const mldsa_params *p = mldsa_params_get(level);
    if (!p || (mlen && !mprime))
        return NQ_EINVAL;
    return verify_core(p, pk, pklen, NULL, 0, mprime, mlen, sig, siglen);
}

int mldsa_verify(int level, const uint8_t *pk, size_t pklen, const uint8_t *msg, size_t msglen,
                 const uint8_t *ctx, size_t ctxlen, const uint8_t *sig, size_t siglen)
{
    const mldsa_params *p = mldsa_params_get(level);
    if (!p || ctxlen > MLDSA_CTX_MAX || (ctxlen && !ctx) || (msglen && !msg))
        return NQ_EINVAL;
    uint8_t pre[2 + MLDSA_CTX_MAX];
    pre[0] = 0;
    pre[1] = (uint8_t)ctxlen;
    if (ctxlen)
        memcpy(pre + 2, ctx, ctxlen);
    return verify_core(p, pk, pklen, pre, 2 + ctxlen, msg, msglen, sig, siglen);
}
