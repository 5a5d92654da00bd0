/*
 * page_crypt.c — AES-256-GCM of page images (layout and associated data in page_crypt.h).
 *
 * OpenSSL's EVP_CIPHER_CTX is not shareable between threads, and setting one up (cipher
 * fetch, key schedule) costs more than encrypting a page, so the cipher keeps a pool of
 * contexts that already hold the key: a call takes one (or makes one when all are in use),
 * sets only the nonce, and gives it back. The data key itself is kept only inside those
 * contexts and in one wiped-on-free copy used to make new ones.
 */
#include "page_crypt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../base/endian.h"
#include "../base/err.h"
#include "../crypto/crypto_util.h"
#include "pager.h"

#define POOL_MAX 16
#define AD_FIXED 36 /* "NQPG", dbid, pgno, seq, page size */

struct page_crypt {
    uint32_t page_size, usable;
    uint8_t key[PAGE_CRYPT_KEY];
    uint8_t dbid[PAGE_CRYPT_DBID];
    uint8_t kd[PG1_KD_MAX];
    EVP_CIPHER *cipher;
    pthread_mutex_t mu;
    EVP_CIPHER_CTX *pool[POOL_MAX];
    int npool;
};

static EVP_CIPHER_CTX *ctx_take(page_crypt *c)
{
    EVP_CIPHER_CTX *x = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->npool)
        x = c->pool[--c->npool];
    pthread_mutex_unlock(&c->mu);
    if (x)
        return x;
    x = EVP_CIPHER_CTX_new();
    if (!x)
        return NULL;
    if (EVP_CipherInit_ex(x, c->cipher, NULL, NULL, NULL, 1) != 1 ||
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
        EVP_CipherInit_ex(x, NULL, NULL, c->key, NULL, -1) != 1) {
        EVP_CIPHER_CTX_free(x);
        return NULL;
    }
    return x;
}

static void ctx_give(page_crypt *c, EVP_CIPHER_CTX *x)
{
    pthread_mutex_lock(&c->mu);
    if (c->npool < POOL_MAX) {
        c->pool[c->npool++] = x;
        x = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (x)
        EVP_CIPHER_CTX_free(x);
}

int page_crypt_create(const uint8_t dek[PAGE_CRYPT_KEY], const uint8_t dbid[PAGE_CRYPT_DBID],
                      uint32_t page_size, const uint8_t *kd, size_t kdlen, page_crypt **out)
{
    *out = NULL;
    if (page_size < PAGE_CRYPT_MIN_PAGE || kdlen > PG1_KD_MAX)
        return NQ_EINVAL;
    page_crypt *c = calloc(1, sizeof *c);
    if (!c)
        return NQ_ENOMEM;
    c->page_size = page_size;
    c->usable = page_size - PAGE_TRAILER - PAGE_CRYPT_TRAILER;
    memcpy(c->key, dek, PAGE_CRYPT_KEY);
    memcpy(c->dbid, dbid, PAGE_CRYPT_DBID);
    memcpy(c->kd, kd, kdlen);
    pthread_mutex_init(&c->mu, NULL);
    c->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    EVP_CIPHER_CTX *x = c->cipher ? ctx_take(c) : NULL;
    if (!x) {
        page_crypt_free(c);
        return NQ_ERROR;
    }
    ctx_give(c, x);
    *out = c;
    return 0;
}

void page_crypt_free(page_crypt *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->npool; i++)
        EVP_CIPHER_CTX_free(c->pool[i]); /* clears the key schedule */
    EVP_CIPHER_free(c->cipher);
    pthread_mutex_destroy(&c->mu);
    crypto_wipe(c, sizeof *c);
    free(c);
}

int page_crypt_set_descriptor(page_crypt *c, const uint8_t *kd, size_t kdlen)
{
    if (kdlen > PG1_KD_MAX)
        return NQ_EINVAL;
    memset(c->kd, 0, sizeof c->kd);
    memcpy(c->kd, kd, kdlen);
    return 0;
}

const uint8_t *page_crypt_descriptor(const page_crypt *c) { return c->kd; }

void page_crypt_keys(const page_crypt *c, uint8_t dek[PAGE_CRYPT_KEY],
                     uint8_t dbid[PAGE_CRYPT_DBID])
{
    memcpy(dek, c->key, PAGE_CRYPT_KEY);
    memcpy(dbid, c->dbid, PAGE_CRYPT_DBID);
}

static void make_ad(const page_crypt *c, uint32_t pgno, uint64_t seq, uint8_t ad[AD_FIXED])
{
    memcpy(ad, "NQPG", 4);
    memcpy(ad + 4, c->dbid, PAGE_CRYPT_DBID);
    put_u32(ad + 20, pgno);
    put_u64(ad + 24, seq);
    put_u32(ad + 32, c->page_size);
}

/* One GCM pass over img's encrypted part; enc = 1 seals (writes the tag), 0 opens (checks). */
static int gcm(page_crypt *c, int enc, uint32_t pgno, uint64_t seq, uint8_t *img)
{
    uint32_t start = pgno == 1 ? PG1_CLEAR : 0, U = c->usable;
    uint8_t ad[AD_FIXED];
    make_ad(c, pgno, seq, ad);
    EVP_CIPHER_CTX *x = ctx_take(c);
    if (!x)
        return NQ_ERROR;
    int len = 0, ok = EVP_CipherInit_ex(x, NULL, NULL, NULL, img + U, enc) == 1 &&
                      EVP_CipherUpdate(x, NULL, &len, ad, AD_FIXED) == 1;
    if (ok && start)
        ok = EVP_CipherUpdate(x, NULL, &len, img, (int)start) == 1;
    if (ok)
        ok = EVP_CipherUpdate(x, img + start, &len, img + start, (int)(U - start)) == 1;
    int rc = 0;
    if (enc) {
        if (!ok || EVP_CipherFinal_ex(x, img + U, &len) != 1 ||
            EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, img + U + 12) != 1)
            rc = NQ_ERROR;
    } else {
        if (!ok || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, img + U + 12) != 1)
            rc = NQ_ERROR;
        else if (EVP_CipherFinal_ex(x, img + U, &len) != 1)
            rc = NQ_ECORRUPT;
    }
    ctx_give(c, x);
    return rc;
}

int page_crypt_seal(page_crypt *c, uint32_t pgno, uint64_t seq, uint8_t *img)
{
    uint32_t U = c->usable;
    if (pgno == 1)
        memcpy(img + PG1_KD_OFF, c->kd, PG1_KD_MAX);
    memset(img + U, 0, PAGE_CRYPT_TRAILER);
    if (crypto_random(img + U, 12))
        return NQ_ERROR;
    put_u64(img + c->page_size - PAGE_TRAILER, seq);
    int rc = gcm(c, 1, pgno, seq, img);
    if (rc)
        return rc;
    page_seal(img, c->page_size, pgno, seq);
    return 0;
}

int page_crypt_open(page_crypt *c, uint32_t pgno, uint8_t *img)
{
    uint64_t seq = get_u64(img + c->page_size - PAGE_TRAILER);
    int rc = gcm(c, 0, pgno, seq, img);
    if (rc) {
        uint32_t start = pgno == 1 ? PG1_CLEAR : 0;
        memset(img + start, 0, c->usable - start); /* no unauthenticated plaintext */
        return NQ_ECORRUPT;
    }
    memset(img + c->usable, 0, PAGE_CRYPT_TRAILER);
    return 0;
}
