/*
 * backup_crypt.c — encryption of a backup's data file (KEM-DEM; docs/backup.md, "Encrypted
 * backups").
 *
 * Per backup a fresh data key: ML-KEM-768 encapsulation to the backup public key gives a shared
 * secret ss and a ciphertext, which the manifest carries (with the key's fingerprint); the
 * data key is SHAKE256("nqdb-backup-data-key-v1" || ss || backup id (32 hex characters)), 32
 * bytes. Nobody without the decapsulation key can recompute it, and a key is never used for
 * two backups (ss is fresh, and the backup id is bound in as well).
 *
 * The data file (the page stream, after zstd when compressed) is stored as
 *     header: "NQBKENC\n", u32 version 1, u32 chunk size C (little-endian)
 *     chunks: AES-256-GCM of C plaintext bytes each, then its 16-byte tag; the last chunk has
 *             fewer than C bytes (possibly none) and is always present.
 * Chunk i uses the 96-bit nonce (u64 i little-endian, 4 zero bytes) — unique, since the key is
 * used for this one file — and the associated data
 *     header (16 bytes) || backup id (32 hex characters) || u64 i || u8 last (1 for the last chunk)
 * so a chunk cannot be moved to another place or another backup, dropped or appended without a
 * tag failing, and the file cannot be cut at a chunk boundary (the new last chunk was sealed as
 * not-last). Restore decrypts each chunk and checks its tag before it uses one byte of it.
 */
#include "backup.h"

#include <string.h>

#include <openssl/evp.h>

#include "../base/endian.h"
#include "../crypto/crypto_util.h"
#include "../crypto/mlkem.h"

#define KDF_LABEL "nqdb-backup-data-key-v1"

static int derive(const uint8_t ss[MLKEM_SS_BYTES], const char *backup_id, uint8_t key[32])
{
    uint8_t in[sizeof KDF_LABEL - 1 + MLKEM_SS_BYTES + BK_ID_HEX];
    memcpy(in, KDF_LABEL, sizeof KDF_LABEL - 1);
    memcpy(in + sizeof KDF_LABEL - 1, ss, MLKEM_SS_BYTES);
    memcpy(in + sizeof KDF_LABEL - 1 + MLKEM_SS_BYTES, backup_id, BK_ID_HEX);
    int rc = crypto_shake256(key, 32, in, sizeof in);
    crypto_wipe(in, sizeof in);
    return rc ? NQ_ERROR : 0;
}

int bk_enc_new_key(const bk_key *pk, bk_manifest *m, uint8_t key[32], nq_err *err)
{
    if (pk->type != BK_KEY_KEM_PUBLIC)
        return nq_err_set(err, NQ_EINVAL, "encryption needs an ML-KEM-768 public key");
    uint8_t ss[MLKEM_SS_BYTES];
    int rc = mlkem_encaps(mlkem_params_get(3), m->enc_ct, ss, pk->b, pk->len, err);
    if (!rc && derive(ss, m->backup_id, key))
        rc = nq_err_set(err, NQ_ERROR, "SHAKE256 failed (OpenSSL)");
    crypto_wipe(ss, sizeof ss);
    if (!rc) {
        m->enc = 1;
        m->enc_chunk = BK_ENC_CHUNK;
        memcpy(m->enc_key, pk->fp, sizeof m->enc_key);
    }
    return rc;
}

int bk_enc_open_key(const bk_key *sk, const bk_manifest *m, const char *what, uint8_t key[32],
                    nq_err *err)
{
    if (sk->type != BK_KEY_KEM_SECRET)
        return nq_err_set(err, NQ_EINVAL, "decryption needs an ML-KEM-768 secret key");
    if (strcmp(sk->fp, m->enc_key))
        return nq_err_set(err, NQ_EINVAL, "%s: encrypted to key %s, the secret key given is %s",
                          what, m->enc_key, sk->fp);
    uint8_t ss[MLKEM_SS_BYTES];
    nq_err e2;
    nq_err_clear(&e2);
    int rc = mlkem_decaps(mlkem_params_get(3), ss, sk->b, sk->len, m->enc_ct, BK_KEM_CT, &e2);
    if (rc)
        rc = nq_err_set(err, rc, "%s: ML-KEM-768 decapsulation failed: %s", what, e2.msg);
    else if (derive(ss, m->backup_id, key))
        rc = nq_err_set(err, NQ_ERROR, "SHAKE256 failed (OpenSSL)");
    crypto_wipe(ss, sizeof ss);
    return rc;
}

void bk_enc_header(const bk_manifest *m, uint8_t hdr[BK_ENC_HEADER])
{
    memcpy(hdr, BK_ENC_MAGIC, 8);
    put_u32(hdr + 8, 1);
    put_u32(hdr + 12, m->enc_chunk);
}

int bk_gcm_init(bk_gcm *g, const uint8_t key[32], const bk_manifest *m, nq_err *err)
{
    memset(g, 0, sizeof *g);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, 1) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key, NULL, -1) != 1) {
        EVP_CIPHER_CTX_free(c);
        return nq_err_set(err, NQ_ERROR, "AES-256-GCM setup failed (OpenSSL)");
    }
    g->ctx = c;
    bk_enc_header(m, g->hdr);
    memcpy(g->id, m->backup_id, sizeof g->id);
    return 0;
}

void bk_gcm_free(bk_gcm *g)
{
    if (g->ctx)
        EVP_CIPHER_CTX_free(g->ctx); /* OpenSSL clears the key schedule */
    g->ctx = NULL;
}

int bk_gcm_chunk(bk_gcm *g, int enc, uint64_t index, int last, const uint8_t *in, size_t n,
                 uint8_t *out, uint8_t tag[BK_ENC_TAG])
{
    EVP_CIPHER_CTX *c = g->ctx;
    uint8_t iv[12] = {0}, ad[BK_ENC_HEADER + BK_ID_HEX + 9];
    put_u64(iv, index);
    memcpy(ad, g->hdr, BK_ENC_HEADER);
    memcpy(ad + BK_ENC_HEADER, g->id, BK_ID_HEX);
    put_u64(ad + BK_ENC_HEADER + BK_ID_HEX, index);
    ad[sizeof ad - 1] = (uint8_t)(last != 0);
    int len = 0;
    if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) != 1 ||
        EVP_CipherUpdate(c, NULL, &len, ad, (int)sizeof ad) != 1)
        return NQ_ERROR;
    if (n && EVP_CipherUpdate(c, out, &len, in, (int)n) != 1)
        return NQ_ERROR;
    if (enc) {
        if (EVP_CipherFinal_ex(c, out + n, &len) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, BK_ENC_TAG, tag) != 1)
            return NQ_ERROR;
        return 0;
    }
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, BK_ENC_TAG, tag) != 1)
        return NQ_ERROR;
    if (EVP_CipherFinal_ex(c, out + n, &len) != 1) {
        crypto_wipe(out, n); /* never hand out plaintext of a chunk that did not authenticate */
        return NQ_ECORRUPT;
    }
    return 0;
}
