/*
 * auth_keys.c — API keys (auth.h): creation, the per-request check, revocation, listing,
 * and writing usage back.
 *
 * A key is "nqdb_" + 32 hex of 16 bytes from OpenSSL's RAND_bytes. auth.db keeps only
 * HMAC-SHA256(auth.key, key) in hex; a stolen auth.db alone does not give the keys, nor does it
 * allow an offline search without auth.key (and with 128 random bits no search is possible
 * anyway, which is why a keyed hash and not a password hash is the right tool: checking costs
 * one HMAC, about a microsecond, instead of a bcrypt per request as upstream did).
 *
 * Every record lives in s->keys (creation order) with an open-addressing index on the first 8
 * bytes of the hash; the full hash is compared with CRYPTO_memcmp. Uses are counted in memory
 * (pending) and written by auth_keys_flush in one transaction, so a busy server does not commit
 * once per request.
 */
#include "auth_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t key_fp(const void *base, size_t i)
{
    return auth_fp(((const auth_key_rec *)base)[i].hash, 32);
}

/* "nqdb_" + 32 lowercase hex. */
static int key_well_formed(const char *key)
{
    if (!key || strncmp(key, "nqdb_", 5) != 0 || strlen(key) != AUTH_KEY_LEN)
        return 0;
    for (int i = 5; i < AUTH_KEY_LEN; i++)
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
            return 0;
    return 1;
}

static void key_hash(auth_store *s, const char *key, unsigned char out[32])
{
    unsigned int n = 0;
    HMAC(EVP_sha256(), s->hkey, 32, (const unsigned char *)key, AUTH_KEY_LEN, out, &n);
}

/* Position of the record with this hash, or -1. Caller holds mu. */
static long find_hash(auth_store *s, const unsigned char hash[32])
{
    if (!s->kidx.cap)
        return -1;
    size_t mask = s->kidx.cap - 1, j = (size_t)auth_fp(hash, 32) & mask;
    for (; s->kidx.slot[j]; j = (j + 1) & mask) {
        size_t i = s->kidx.slot[j] - 1;
        if (CRYPTO_memcmp(s->keys[i].hash, hash, 32) == 0)
            return (long)i;
    }
    return -1;
}

static long find_id(auth_store *s, const char *id)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i].info.id, id) == 0)
            return (long)i;
    return -1;
}

/* Append a record and index it. Caller holds mu. */
static int add_rec(auth_store *s, const auth_key_rec *r)
{
    if (s->nkeys == s->capkeys) {
        size_t cap = s->capkeys ? 2 * s->capkeys : 16;
        auth_key_rec *v = realloc(s->keys, cap * sizeof *v);
        if (!v)
            return NQ_ENOMEM;
        s->keys = v;
        s->capkeys = cap;
    }
    s->keys[s->nkeys++] = *r;
    if (2 * s->nkeys + 2 > s->kidx.cap) {
        int rc = auth_index_rebuild(&s->kidx, s->nkeys, key_fp, s->keys);
        if (rc) {
            s->nkeys--;
            return rc;
        }
        return 0;
    }
    size_t mask = s->kidx.cap - 1, j = (size_t)auth_fp(r->hash, 32) & mask;
    while (s->kidx.slot[j])
        j = (j + 1) & mask;
    s->kidx.slot[j] = (uint32_t)s->nkeys;
    return 0;
}

int auth_keys_load(auth_store *s, char *err, size_t errlen)
{
    nq_stmt *st;
    int rc = auth_sql_query(s, &st, err, errlen,
                            "SELECT hash, id, name, permissions, created_at, expires_at,"
                            " rate_limit_per_hour, last_used, usage_count, revoked_at, revoked_by"
                            " FROM api_keys ORDER BY created_at, id",
                            "");
    if (rc)
        return rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        auth_key_rec r;
        memset(&r, 0, sizeof r);
        const char *h = nq_column_text(st, 0), *id = nq_column_text(st, 1),
                   *name = nq_column_text(st, 2), *by = nq_column_text(st, 10);
        if (!h || auth_unhex(h, r.hash, 32) != 0) {
            snprintf(err, errlen, "auth.db: a damaged api_keys row (hash)");
            rc = NQ_ECORRUPT;
            break;
        }
        snprintf(r.info.id, sizeof r.info.id, "%s", id ? id : "");
        snprintf(r.info.name, sizeof r.info.name, "%s", name ? name : "");
        r.info.perms = (unsigned)nq_column_int64(st, 3) & PERM_ALL;
        r.info.created_at = nq_column_int64(st, 4);
        r.info.expires_at = nq_column_int64(st, 5);
        r.info.rate_limit_per_hour = (uint32_t)nq_column_int64(st, 6);
        r.info.last_used = nq_column_int64(st, 7);
        r.info.usage_count = (uint64_t)nq_column_int64(st, 8);
        r.info.revoked = nq_column_type(st, 9) != NQ_TYPE_NULL;
        r.info.revoked_at = nq_column_int64(st, 9);
        snprintf(r.info.revoked_by, sizeof r.info.revoked_by, "%s", by ? by : "");
        if ((rc = add_rec(s, &r)) != 0) {
            snprintf(err, errlen, "out of memory");
            break;
        }
    }
    if (rc == NQ_DONE)
        rc = 0;
    else if (rc < 0 && rc != NQ_ECORRUPT && rc != NQ_ENOMEM)
        snprintf(err, errlen, "auth.db: %s", nq_errmsg(s->db));
    nq_finalize(st);
    return rc;
}

void auth_keys_free(auth_store *s)
{
    if (s->keys)
        OPENSSL_cleanse(s->keys, s->capkeys * sizeof *s->keys);
    free(s->keys);
    free(s->kidx.slot);
    s->keys = NULL;
    s->kidx.slot = NULL;
    s->nkeys = s->capkeys = s->kidx.cap = 0;
}

static int name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= sizeof(((auth_key_info *)0)->name))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 0;
    return 1;
}

int auth_key_create(auth_store *s, const char *name, unsigned perms, uint32_t expiry_hours,
                    uint32_t rate_limit_per_hour, char key_out[38], auth_key_info *info,
                    char *err, size_t errlen)
{
    key_out[0] = '\0';
    if (!name_ok(name)) {
        snprintf(err, errlen, "a key name must be 1 to 79 characters without control characters");
        return NQ_EINVAL;
    }
    if (perms == 0 || (perms & ~PERM_ALL)) {
        snprintf(err, errlen, "a key needs at least one valid permission");
        return NQ_EINVAL;
    }
    if (expiry_hours == 0)
        expiry_hours = AUTH_DEFAULT_KEY_HOURS;
    if (rate_limit_per_hour > INT32_MAX) {
        snprintf(err, errlen, "rate limit too large");
        return NQ_EINVAL;
    }

    pthread_mutex_lock(&s->dbmu);
    auth_key_rec r;
    char key[AUTH_KEY_LEN + 1], hhex[65];
    int rc;
    for (int attempt = 0;; attempt++) {
        unsigned char raw[16];
        if (attempt == 8 || auth_random(raw, sizeof raw) != 0) {
            snprintf(err, errlen, "the random number generator failed");
            pthread_mutex_unlock(&s->dbmu);
            return NQ_ERROR;
        }
        memcpy(key, "nqdb_", 5);
        auth_hex(raw, 16, key + 5);
        OPENSSL_cleanse(raw, sizeof raw);
        memset(&r, 0, sizeof r);
        memcpy(r.info.id, key + 5, 8);
        r.info.id[8] = '\0';
        pthread_mutex_lock(&s->mu);
        long dup = find_id(s, r.info.id);
        pthread_mutex_unlock(&s->mu);
        if (dup < 0) /* ids are public handles: they must be unique (32 bits: rare clashes) */
            break;
    }
    key_hash(s, key, r.hash);
    auth_hex(r.hash, 32, hhex);
    snprintf(r.info.name, sizeof r.info.name, "%s", name);
    r.info.perms = perms;
    r.info.created_at = auth_now(s);
    r.info.expires_at = r.info.created_at + (int64_t)expiry_hours * 3600;
    r.info.rate_limit_per_hour = rate_limit_per_hour;
    rc = auth_sql(s, err, errlen,
                  "INSERT INTO api_keys(hash, id, name, permissions, created_at, expires_at,"
                  " rate_limit_per_hour) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  "tttuiii", hhex, r.info.id, r.info.name, perms, r.info.created_at,
                  r.info.expires_at, (int64_t)rate_limit_per_hour);
    if (rc == 0) {
        pthread_mutex_lock(&s->mu);
        rc = add_rec(s, &r);
        pthread_mutex_unlock(&s->mu);
        if (rc) /* in auth.db but not in memory: take it out again */
            auth_sql(s, NULL, 0, "DELETE FROM api_keys WHERE hash = ?", "t", hhex);
        if (rc)
            snprintf(err, errlen, "out of memory");
    }
    pthread_mutex_unlock(&s->dbmu);
    if (rc == 0) {
        memcpy(key_out, key, AUTH_KEY_LEN + 1);
        if (info)
            *info = r.info;
    }
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

int auth_key_check(auth_store *s, const char *key, identity *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!key_well_formed(key))
        return NQ_ENOTFOUND;
    unsigned char h[32];
    key_hash(s, key, h);
    pthread_mutex_lock(&s->mu);
    int64_t now = auth_now(s);
    long i = find_hash(s, h);
    int rc = NQ_ENOTFOUND;
    if (i >= 0 && !s->keys[i].info.revoked && now < s->keys[i].info.expires_at) {
        auth_key_rec *r = &s->keys[i];
        r->pending++;
        r->info.usage_count++;
        r->info.last_used = now;
        r->dirty = 1;
        if (out) {
            out->kind = ID_KEY;
            out->perms = r->info.perms;
            snprintf(out->subject, sizeof out->subject, "%s", r->info.id);
            snprintf(out->name, sizeof out->name, "%s", r->info.name);
            out->rate_limit_per_hour = r->info.rate_limit_per_hour;
            out->expires_at = r->info.expires_at;
        }
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int auth_key_revoke(auth_store *s, const char *key_or_id, const char *by, char *err,
                    size_t errlen)
{
    unsigned char h[32];
    int by_key = key_well_formed(key_or_id);
    if (by_key)
        key_hash(s, key_or_id, h);
    pthread_mutex_lock(&s->dbmu);
    pthread_mutex_lock(&s->mu);
    long i = -1;
    if (by_key)
        i = find_hash(s, h);
    else if (key_or_id && strlen(key_or_id) == 8)
        i = find_id(s, key_or_id);
    char hhex[65];
    int64_t now = auth_now(s);
    if (i >= 0 && !s->keys[i].info.revoked)
        auth_hex(s->keys[i].hash, 32, hhex);
    else
        i = -1;
    pthread_mutex_unlock(&s->mu);
    int rc;
    if (i < 0) {
        snprintf(err, errlen, "API key not found");
        rc = NQ_ENOTFOUND;
    } else {
        const char *who = by && *by ? by : "cli";
        rc = auth_sql(s, err, errlen,
                      "UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE hash = ?", "itt",
                      now, who, hhex);
        if (rc == 0) {
            pthread_mutex_lock(&s->mu);
            s->keys[i].info.revoked = 1;
            s->keys[i].info.revoked_at = now;
            snprintf(s->keys[i].info.revoked_by, sizeof s->keys[i].info.revoked_by, "%s", who);
            pthread_mutex_unlock(&s->mu);
        }
    }
    pthread_mutex_unlock(&s->dbmu);
    return rc;
}

int auth_key_list(auth_store *s, void (*fn)(void *arg, const auth_key_info *k), void *arg)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->nkeys;
    auth_key_info *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (n && !copy) {
        pthread_mutex_unlock(&s->mu);
        return NQ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        copy[i] = s->keys[i].info;
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++)
        fn(arg, &copy[i]);
    free(copy);
    return 0;
}

int auth_has_admin(auth_store *s)
{
    pthread_mutex_lock(&s->mu);
    int64_t now = auth_now(s);
    int found = 0;
    for (size_t i = 0; i < s->nkeys && !found; i++) {
        const auth_key_info *k = &s->keys[i].info;
        found = (k->perms & PERM_ADMIN) && !k->revoked && now < k->expires_at;
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

typedef struct pending_use {
    char hash[65];
    uint64_t uses;
    int64_t last_used;
} pending_use;

int auth_keys_flush(auth_store *s, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    size_t n = 0;
    for (size_t i = 0; i < s->nkeys; i++)
        n += s->keys[i].dirty != 0;
    pending_use *p = n ? malloc(n * sizeof *p) : NULL;
    if (n && !p) {
        pthread_mutex_unlock(&s->mu);
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < s->nkeys; i++) {
        auth_key_rec *r = &s->keys[i];
        if (!r->dirty)
            continue;
        auth_hex(r->hash, 32, p[k].hash);
        p[k].uses = r->pending;
        p[k].last_used = r->info.last_used;
        r->pending = 0;
        r->dirty = 0;
        k++;
    }
    pthread_mutex_unlock(&s->mu);
    if (n == 0)
        return 0;
    int rc = auth_begin(s, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = auth_sql(s, err, errlen,
                      "UPDATE api_keys SET usage_count = usage_count + ?,"
                      " last_used = ? WHERE hash = ?",
                      "iit", (int64_t)p[i].uses, p[i].last_used, p[i].hash);
    if (rc == 0)
        rc = auth_commit(s, err, errlen);
    else
        auth_rollback(s);
    if (rc) { /* keep the counts for the next flush */
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < n; i++) {
            unsigned char h[32];
            long j = auth_unhex(p[i].hash, h, 32) == 0 ? find_hash(s, h) : -1;
            if (j >= 0) {
                s->keys[j].pending += p[i].uses;
                s->keys[j].dirty = 1;
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
    free(p);
    return rc;
}
