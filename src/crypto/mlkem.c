/*
 * mlkem.c — ML-KEM proper (FIPS 203 §6 and §7): the parameter sets, the input checks, and the
 * Fujisaki-Okamoto wrapping of K-PKE (mlkem_kpke.c) into a CCA-secure KEM.
 *
 *   KeyGen_internal(d, z):  (ek, dk_pke) = K-PKE.KeyGen(d); dk = dk_pke || ek || H(ek) || z
 *   Encaps_internal(ek, m): (K, r) = G(m || H(ek)); c = K-PKE.Encrypt(ek, m, r); return (K, c)
 *   Decaps_internal(dk, c): m' = K-PKE.Decrypt(dk_pke, c); (K', r') = G(m' || h);
 *                           Kbar = J(z || c); c' = K-PKE.Encrypt(ek, m', r');
 *                           return c == c' ? K' : Kbar
 * with H = SHA3-256, G = SHA3-512, J = SHAKE256 to 32 bytes.
 *
 * Implicit rejection is where timing matters most: whether c' equals c must not show, or an
 * attacker who submits modified ciphertexts learns about m' (and so about the secret key)
 * from how long decapsulation took. Both keys are always computed, the comparison is
 * crypto_ct_equal (CRYPTO_memcmp: every byte, no early exit) and the choice is
 * crypto_ct_select (a mask, no branch). tests/crypto/mlkem_ct.c checks this, and the absence
 * of secret-dependent branches and memory indices everywhere else, under valgrind.
 *
 * The input checks (§7.2, §7.3) run on public data, so they may stop early and name what was
 * wrong; they never read outside the lengths they were given.
 */
#include <string.h>

#include "crypto/crypto_util.h"
#include "crypto/mlkem.h"
#include "crypto/mlkem_internal.h"

static const mlkem_params mlkem_sets[3] = {
    {"ML-KEM-512", 2, 3, 2, 10, 4, 800, 1632, 768},
    {"ML-KEM-768", 3, 2, 2, 10, 4, 1184, 2400, 1088},
    {"ML-KEM-1024", 4, 2, 2, 11, 5, 1568, 3168, 1568},
};

const mlkem_params *mlkem_params_get(int k)
{
    return k >= 2 && k <= 4 ? &mlkem_sets[k - 2] : NULL;
}

static int bad_params(nq_err *err)
{
    return nq_err_set(err, NQ_EINVAL, "ML-KEM: unknown parameter set");
}

static int hash_failed(nq_err *err, const mlkem_params *p)
{
    return nq_err_set(err, NQ_ERROR, "%s: SHA-3 failed (OpenSSL)", p->name);
}

int mlkem_check_ek(const mlkem_params *p, const uint8_t *ek, size_t ek_len, nq_err *err)
{
    if (!p)
        return bad_params(err);
    if (!ek || ek_len != p->ek_bytes)
        return nq_err_set(err, NQ_EINVAL, "%s encapsulation key: %zu bytes, expected %zu",
                          p->name, ek ? ek_len : 0, p->ek_bytes);
    for (int i = 0; i < p->k; i++) {
        if (mlkem_poly_check12(ek + 384 * i))
            continue;
        /* Find the first offending coefficient for the message (public data). */
        const uint8_t *b = ek + 384 * i;
        for (int j = 0; j < MLKEM_N; j += 2) {
            const uint8_t *t = b + 3 * (j / 2);
            unsigned v0 = t[0] | (unsigned)(t[1] & 0x0f) << 8, v1 = (unsigned)(t[1] >> 4) | (unsigned)t[2] << 4;
            if (v0 >= MLKEM_Q || v1 >= MLKEM_Q)
                return nq_err_set(err, NQ_EINVAL,
                                  "%s encapsulation key: modulus check failed (coefficient %d "
                                  "of polynomial %d is %u, not below q = %d)",
                                  p->name, v0 >= MLKEM_Q ? j : j + 1, i,
                                  v0 >= MLKEM_Q ? v0 : v1, MLKEM_Q);
        }
    }
    return 0;
}

int mlkem_check_dk(const mlkem_params *p, const uint8_t *dk, size_t dk_len, nq_err *err)
{
    if (!p)
        return bad_params(err);
    if (!dk || dk_len != p->dk_bytes)
        return nq_err_set(err, NQ_EINVAL, "%s decapsulation key: %zu bytes, expected %zu",
                          p->name, dk ? dk_len : 0, p->dk_bytes);
    size_t k384 = 384 * (size_t)p->k;
    uint8_t h[32];
    if (crypto_sha3_256(h, dk + k384, p->ek_bytes))
        return hash_failed(err, p);
    if (!crypto_ct_equal(h, dk + k384 + p->ek_bytes, 32))
        return nq_err_set(err, NQ_EINVAL,
                          "%s decapsulation key: hash check failed (the H(ek) it holds does "
                          "not match the ek it holds)", p->name);
    return 0;
}

int mlkem_keygen_internal(const mlkem_params *p, uint8_t *ek, uint8_t *dk, const uint8_t d[32],
                          const uint8_t z[32], nq_err *err)
{
    if (!p)
        return bad_params(err);
    size_t k384 = 384 * (size_t)p->k;
    if (mlkem_kpke_keygen(p, ek, dk, d))
        goto fail;
    memcpy(dk + k384, ek, p->ek_bytes);
    if (crypto_sha3_256(dk + k384 + p->ek_bytes, ek, p->ek_bytes))
        goto fail;
    memcpy(dk + k384 + p->ek_bytes + 32, z, 32);
    return 0;
fail:
    crypto_wipe(dk, p->dk_bytes);
    memset(ek, 0, p->ek_bytes);
    return hash_failed(err, p);
}

int mlkem_keygen_seed(const mlkem_params *p, uint8_t *ek, uint8_t *dk,
                      const uint8_t seed[MLKEM_SEED_BYTES], nq_err *err)
{
    return mlkem_keygen_internal(p, ek, dk, seed, seed + 32, err);
}

int mlkem_keygen(const mlkem_params *p, uint8_t *ek, uint8_t *dk, nq_err *err)
{
    if (!p)
        return bad_params(err);
    uint8_t seed[MLKEM_SEED_BYTES];
    int rc;
    if (crypto_random(seed, sizeof seed))
        rc = nq_err_set(err, NQ_ERROR, "%s: the random generator failed", p->name);
    else
        rc = mlkem_keygen_internal(p, ek, dk, seed, seed + 32, err);
    crypto_wipe(seed, sizeof seed);
    return rc;
}

int mlkem_encaps_internal(const mlkem_params *p, uint8_t *ct, uint8_t ss[MLKEM_SS_BYTES],
                          const uint8_t *ek, size_t ek_len, const uint8_t m[MLKEM_MSG_BYTES],
                          nq_err *err)
{
    int rc = mlkem_check_ek(p, ek, ek_len, err);
    if (rc) {
        if (p)
            memset(ct, 0, p->ct_bytes);
        memset(ss, 0, MLKEM_SS_BYTES);
        return rc;
    }
    uint8_t in[64], kr[64]; /* m || H(ek), then K || r */
    memcpy(in, m, 32);
    if (crypto_sha3_256(in + 32, ek, ek_len) || crypto_sha3_512(kr, in, sizeof in) ||
        mlkem_kpke_encrypt(p, ct, ek, m, kr + 32)) {
        memset(ct, 0, p->ct_bytes);
        memset(ss, 0, MLKEM_SS_BYTES);
        rc = hash_failed(err, p);
    } else {
        memcpy(ss, kr, MLKEM_SS_BYTES);
    }
    crypto_wipe(in, sizeof in);
    crypto_wipe(kr, sizeof kr);
    return rc;
}

int mlkem_encaps(const mlkem_params *p, uint8_t *ct, uint8_t ss[MLKEM_SS_BYTES],
                 const uint8_t *ek, size_t ek_len, nq_err *err)
{
    if (!p)
        return bad_params(err);
    uint8_t m[MLKEM_MSG_BYTES];
    int rc;
    if (crypto_random(m, sizeof m)) {
        memset(ct, 0, p->ct_bytes);
        memset(ss, 0, MLKEM_SS_BYTES);
        rc = nq_err_set(err, NQ_ERROR, "%s: the random generator failed", p->name);
    } else {
        rc = mlkem_encaps_internal(p, ct, ss, ek, ek_len, m, err);
    }
    crypto_wipe(m, sizeof m);
    return rc;
}

int mlkem_decaps_internal(const mlkem_params *p, uint8_t ss[MLKEM_SS_BYTES], const uint8_t *dk,
                          size_t dk_len, const uint8_t *ct, size_t ct_len, nq_err *err)
{
    memset(ss, 0, MLKEM_SS_BYTES);
    int rc = mlkem_check_dk(p, dk, dk_len, err);
    if (rc)
        return rc;
    if (!ct || ct_len != p->ct_bytes)
        return nq_err_set(err, NQ_EINVAL, "%s ciphertext: %zu bytes, expected %zu", p->name,
                          ct ? ct_len : 0, p->ct_bytes);
    size_t k384 = 384 * (size_t)p->k;
    const uint8_t *dk_pke = dk, *ek = dk + k384, *h = ek + p->ek_bytes, *z = h + 32;
    struct {
        uint8_t in[64];                          /* m' || h */
        uint8_t kr[64];                          /* K' || r' */
        uint8_t kbar[32];                        /* J(z || c) */
        uint8_t zc[32 + MLKEM_MAX_CT_BYTES];     /* z || c */
        uint8_t ct2[MLKEM_MAX_CT_BYTES];         /* c' */
    } w;
    rc = -1;
    if (mlkem_kpke_decrypt(p, w.in, dk_pke, ct))
        goto out;
    memcpy(w.in + 32, h, 32);
    if (crypto_sha3_512(w.kr, w.in, sizeof w.in))
        goto out;
    memcpy(w.zc, z, 32);
    memcpy(w.zc + 32, ct, ct_len);
    if (crypto_shake256(w.kbar, 32, w.zc, 32 + ct_len))
        goto out;
    if (mlkem_kpke_encrypt(p, w.ct2, ek, w.in, w.kr + 32))
        goto out;
    /* K = (c == c') ? K' : Kbar, without a branch on the outcome */
    int same = crypto_ct_equal(ct, w.ct2, ct_len);
    crypto_ct_select(w.kbar, w.kr, 32, same);
    memcpy(ss, w.kbar, MLKEM_SS_BYTES);
    rc = 0;
out:
    crypto_wipe(&w, sizeof w);
    return rc ? hash_failed(err, p) : 0;
}

int mlkem_decaps(const mlkem_params *p, uint8_t ss[MLKEM_SS_BYTES], const uint8_t *dk,
                 size_t dk_len, const uint8_t *ct, size_t ct_len, nq_err *err)
{
    return mlkem_decaps_internal(p, ss, dk, dk_len, ct, ct_len, err);
}
