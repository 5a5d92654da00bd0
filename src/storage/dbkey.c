/*
 * dbkey.c — wrapping a database's data key (formats and hierarchy in dbkey.h).
 *
 * The key file is the ML-KEM-768 secret key file of backup_keys.c (one format, one loader:
 * bk_key_load refuses a secret key readable by group or others); its decapsulation key holds
 * the encapsulation key (FIPS 203: dk = dk_pke || ek || H(ek) || z), so one file both creates
 * and opens. A passphrase goes through Argon2id (libargon2) with the parameters stored in the
 * descriptor, so they can change for new wraps without breaking old ones.
 */
#include "dbkey.h"

#include <argon2.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "../base/endian.h"
#include "../crypto/crypto_util.h"
#include "../crypto/mlkem.h"
#include "backup.h"

#define KEK_LABEL "nqdb-db-kek-v1"

int dbkey_parse(const uint8_t *b, size_t n, dbkey_desc *d, nq_err *err)
{
    memset(d, 0, sizeof *d);
    if (n < DBKEY_HEAD || memcmp(b, "NQKD", 4) != 0)
        return nq_err_set(err, NQ_ECORRUPT, "key descriptor: bad magic");
    if (b[4] != DBKEY_VERSION)
        return nq_err_set(err, NQ_ECORRUPT, "key descriptor: unsupported version %u", b[4]);
    d->kind = b[5];
    d->len = get_u16(b + 6);
    size_t want = d->kind == DBKEY_KIND_KEM    ? DBKEY_HEAD + DBKEY_FP + DBKEY_KEM_CT + DBKEY_WRAP
                  : d->kind == DBKEY_KIND_PASS ? DBKEY_HEAD + DBKEY_SALT + 12 + DBKEY_WRAP
                                               : 0;
    if (!want)
        return nq_err_set(err, NQ_ECORRUPT, "key descriptor: unknown kind %d", d->kind);
    if (d->len != want || d->len > n)
        return nq_err_set(err, NQ_ECORRUPT, "key descriptor: length %zu, expected %zu", d->len,
                          want);
    memcpy(d->dbid, b + 8, 16);
    const uint8_t *q = b + DBKEY_HEAD;
    if (d->kind == DBKEY_KIND_KEM) {
        memcpy(d->fp, q, DBKEY_FP);
        d->kem_ct = q + DBKEY_FP;
        q += DBKEY_FP + DBKEY_KEM_CT;
    } else {
        memcpy(d->salt, q, DBKEY_SALT);
        d->t = get_u32(q + 16);
        d->m = get_u32(q + 20);
        d->p = get_u32(q + 24);
        q += DBKEY_SALT + 12;
        if (d->t < 1 || d->t > DBKEY_T_MAX || d->p < 1 || d->p > DBKEY_P_MAX ||
            d->m < DBKEY_M_MIN || d->m < 8 * d->p || d->m > DBKEY_M_MAX)
            return nq_err_set(err, NQ_ECORRUPT, "key descriptor: Argon2id parameters out of "
                              "range (t=%u m=%u p=%u)", d->t, d->m, d->p);
    }
    d->wrap = q;
    return 0;
}

void dbkey_describe(const dbkey_desc *d, char *out, size_t n)
{
    if (d->kind == DBKEY_KIND_KEM) {
        char fp[2 * DBKEY_FP + 1];
        bk_hex(d->fp, DBKEY_FP, fp);
        snprintf(out, n, "ML-KEM-768 key file %s", fp);
    } else {
        snprintf(out, n, "passphrase (Argon2id t=%u m=%u KiB p=%u)", d->t, d->m, d->p);
    }
}

int dbkey_check(const dbkey_src *src, nq_err *err)
{
    if (!src || (!src->key_file) == (!src->passphrase))
        return nq_err_set(err, NQ_EINVAL, "give exactly one of a key file and a passphrase");
    if (src->passphrase && !*src->passphrase)
        return nq_err_set(err, NQ_EINVAL, "the passphrase is empty");
    return 0;
}

int dbkey_probe(const dbkey_src *src, nq_err *err)
{
    int rc = dbkey_check(src, err);
    if (rc || !src->key_file)
        return rc;
    bk_key k;
    rc = bk_key_load(src->key_file, BK_KEY_KEM_SECRET, &k, err);
    bk_key_wipe(&k);
    return rc;
}

static int kem_kek(const uint8_t ss[MLKEM_SS_BYTES], const uint8_t dbid[16], uint8_t kek[32])
{
    uint8_t in[sizeof KEK_LABEL - 1 + MLKEM_SS_BYTES + 16];
    memcpy(in, KEK_LABEL, sizeof KEK_LABEL - 1);
    memcpy(in + sizeof KEK_LABEL - 1, ss, MLKEM_SS_BYTES);
    memcpy(in + sizeof KEK_LABEL - 1 + MLKEM_SS_BYTES, dbid, 16);
    int rc = crypto_shake256(kek, 32, in, sizeof in);
    crypto_wipe(in, sizeof in);
    return rc ? NQ_ERROR : 0;
}

static int pass_kek(const char *pass, const uint8_t salt[DBKEY_SALT], uint32_t t, uint32_t m,
                    uint32_t p, uint8_t kek[32], nq_err *err)
{
    int rc = argon2id_hash_raw(t, m, p, pass, strlen(pass), salt, DBKEY_SALT, kek, 32);
    if (rc != ARGON2_OK)
        return nq_err_set(err, rc == ARGON2_MEMORY_ALLOCATION_ERROR ? NQ_ENOMEM : NQ_ERROR,
                          "Argon2id failed: %s", argon2_error_message(rc));
    return 0;
}

/* AES-256-GCM of the 32-byte DEK under kek; ad = the descriptor before the wrap. */
static int gcm_wrap(int enc, const uint8_t kek[32], const uint8_t *ad, size_t adlen,
                    uint8_t *wrap, uint8_t dek[32])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return NQ_ENOMEM;
    int len = 0, rc = NQ_ERROR;
    uint8_t *ct = wrap + 12, *tag = wrap + 44;
    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
        EVP_CipherInit_ex(c, NULL, NULL, kek, wrap, enc) == 1 &&
        EVP_CipherUpdate(c, NULL, &len, ad, (int)adlen) == 1) {
        if (enc) {
            if (EVP_CipherUpdate(c, ct, &len, dek, 32) == 1 &&
                EVP_CipherFinal_ex(c, ct + 32, &len) == 1 &&
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1)
                rc = 0;
        } else if (EVP_CipherUpdate(c, dek, &len, ct, 32) == 1 &&
                   EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1) {
            rc = EVP_CipherFinal_ex(c, dek + 32, &len) == 1 ? 0 : NQ_EKEY;
            if (rc)
                crypto_wipe(dek, 32);
        }
    }
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int dbkey_wrap(const dbkey_src *src, const uint8_t dbid[16], const uint8_t dek[32], uint8_t *out,
               size_t *len, nq_err *err)
{
    int rc = dbkey_check(src, err);
    if (rc)
        return rc;
    memset(out, 0, DBKEY_DESC_MAX);
    memcpy(out, "NQKD", 4);
    out[4] = DBKEY_VERSION;
    memcpy(out + 8, dbid, 16);
    uint8_t kek[32], *q = out + DBKEY_HEAD;
    if (src->key_file) {
        bk_key k;
        if ((rc = bk_key_load(src->key_file, BK_KEY_KEM_SECRET, &k, err)))
            return rc;
        const mlkem_params *kp = mlkem_params_get(3);
        uint8_t ss[MLKEM_SS_BYTES];
        out[5] = DBKEY_KIND_KEM;
        size_t fpn = 0;
        for (size_t i = 0; i < DBKEY_FP; i++) { /* the file's fingerprint, hex -> bytes */
            unsigned v;
            if (sscanf(k.fp + 2 * i, "%2x", &v) == 1)
                q[fpn++] = (uint8_t)v;
        }
        rc = fpn == DBKEY_FP ? mlkem_encaps(kp, q + DBKEY_FP, ss, k.b + 384 * 3, kp->ek_bytes, err)
                             : nq_err_set(err, NQ_ERROR, "bad key fingerprint");
        if (!rc && kem_kek(ss, dbid, kek))
            rc = nq_err_set(err, NQ_ERROR, "SHAKE256 failed (OpenSSL)");
        crypto_wipe(ss, sizeof ss);
        bk_key_wipe(&k);
        q += DBKEY_FP + DBKEY_KEM_CT;
    } else {
        uint32_t t = src->kdf_iterations ? src->kdf_iterations : DBKEY_T_DEFAULT;
        uint32_t m = src->kdf_memory_kib ? src->kdf_memory_kib : DBKEY_M_DEFAULT;
        if (t > DBKEY_T_MAX || m < DBKEY_M_MIN || m > DBKEY_M_MAX)
            return nq_err_set(err, NQ_EINVAL, "Argon2id parameters out of range (iterations "
                              "1..%d, memory %d..%d KiB)", DBKEY_T_MAX, DBKEY_M_MIN, DBKEY_M_MAX);
        out[5] = DBKEY_KIND_PASS;
        if (crypto_random(q, DBKEY_SALT))
            return nq_err_set(err, NQ_ERROR, "no randomness (OpenSSL)");
        put_u32(q + 16, t);
        put_u32(q + 20, m);
        put_u32(q + 24, DBKEY_P_DEFAULT);
        rc = pass_kek(src->passphrase, q, t, m, DBKEY_P_DEFAULT, kek, err);
        q += DBKEY_SALT + 12;
    }
    size_t n = (size_t)(q - out) + DBKEY_WRAP;
    put_u16(out + 6, (uint16_t)n);
    if (!rc && crypto_random(q, 12))
        rc = nq_err_set(err, NQ_ERROR, "no randomness (OpenSSL)");
    if (!rc && gcm_wrap(1, kek, out, (size_t)(q - out), q, (uint8_t *)dek))
        rc = nq_err_set(err, NQ_ERROR, "AES-256-GCM failed (OpenSSL)");
    crypto_wipe(kek, sizeof kek);
    if (!rc)
        *len = n;
    return rc;
}

int dbkey_unwrap(const dbkey_src *src, const dbkey_desc *d, uint8_t dek[32], nq_err *err)
{
    int rc = dbkey_check(src, err);
    if (rc)
        return rc;
    char what[96];
    dbkey_describe(d, what, sizeof what);
    uint8_t kek[32];
    if (d->kind == DBKEY_KIND_KEM) {
        if (!src->key_file)
            return nq_err_set(err, NQ_EKEY, "the database is encrypted to an %s, not to a "
                              "passphrase", what);
        bk_key k;
        if ((rc = bk_key_load(src->key_file, BK_KEY_KEM_SECRET, &k, err)))
            return rc;
        char fp[2 * DBKEY_FP + 1];
        bk_hex(d->fp, DBKEY_FP, fp);
        if (strcmp(fp, k.fp)) {
            bk_key_wipe(&k);
            return nq_err_set(err, NQ_EKEY, "%s: wrong key: the database is encrypted to key %s, "
                              "this file holds key %s", src->key_file, fp, k.fp);
        }
        uint8_t ss[MLKEM_SS_BYTES];
        nq_err e2;
        nq_err_clear(&e2);
        rc = mlkem_decaps(mlkem_params_get(3), ss, k.b, k.len, d->kem_ct, DBKEY_KEM_CT, &e2);
        if (rc)
            rc = nq_err_set(err, NQ_EKEY, "ML-KEM-768 decapsulation failed: %s", e2.msg);
        else if (kem_kek(ss, d->dbid, kek))
            rc = nq_err_set(err, NQ_ERROR, "SHAKE256 failed (OpenSSL)");
        crypto_wipe(ss, sizeof ss);
        bk_key_wipe(&k);
    } else {
        if (!src->passphrase)
            return nq_err_set(err, NQ_EKEY, "the database is encrypted to a passphrase, not to "
                              "a key file");
        rc = pass_kek(src->passphrase, d->salt, d->t, d->m, d->p, kek, err);
    }
    if (rc)
        return rc;
    rc = gcm_wrap(0, kek, (const uint8_t *)d->wrap - (d->len - DBKEY_WRAP),
                  d->len - DBKEY_WRAP, (uint8_t *)d->wrap, dek);
    crypto_wipe(kek, sizeof kek);
    if (rc == NQ_EKEY)
        return nq_err_set(err, NQ_EKEY, d->kind == DBKEY_KIND_PASS
                                            ? "wrong passphrase (the data key does not unwrap)"
                                            : "wrong key (the data key does not unwrap; is the "
                                              "key descriptor damaged?)");
    if (rc)
        return nq_err_set(err, rc, "AES-256-GCM failed (OpenSSL)");
    return 0;
}

int dbkey_keygen(const char *path, nq_err *err)
{
    return bk_kem_keyfile(path, err);
}
