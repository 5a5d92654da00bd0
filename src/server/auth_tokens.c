/*
 * auth_tokens.c — login tokens (auth.h): access tokens signed with HS256 (jwt_hs256.h) or
 * ML-DSA (jwt_mldsa.h), whichever jwt.algorithm names — one algorithm at a time: a server
 * configured for one refuses tokens of the other, so a leaked HS256 secret is worthless to a
 * server that signs with ML-DSA and the other way round — and rotating refresh tokens.
 *
 * A refresh token is "nqr_" + 64 hex (32 random bytes). auth.db keeps its SHA-256 (a plain hash
 * suffices for 256 random bits) in refresh_tokens with the user, a family id, its expiry and
 * two flags, used and revoked. Login starts a family; each refresh marks the presented token
 * used and issues the next one of the same family. A token that is presented again after it
 * was used can only mean that two parties hold it (the client and a thief): the whole family
 * is revoked, so both have to log in again (refresh-token reuse detection, as in OAuth 2.0
 * Security BCP section 4.14). Refresh tokens slide: each new one lives refresh_lifetime_s
 * from its issue.
 *
 * Logout revokes the refresh token's family and puts the access token's jti in revoked_jti
 * until that token's exp (plus the leeway), in auth.db and in an in-memory set that
 * auth_jwt_check consults; expired entries are purged by auth_flush (at most every few
 * minutes) and at open.
 */
#include "auth_int.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt_hs256.h"
#include "jwt_mldsa.h"

#define REFRESH_PREFIX "nqr_"
#define REFRESH_LEN (4 + 64)
#define PURGE_EVERY 300 /* seconds between purges of expired token rows */

static uint64_t jti_fp(const void *base, size_t i)
{
    return auth_fp(((const auth_jti_rec *)base)[i].id, 16);
}

static int jti_revoked_locked(auth_store *s, const unsigned char id[16])
{
    if (!s->jidx.cap)
        return 0;
    size_t mask = s->jidx.cap - 1;
    for (size_t j = (size_t)auth_fp(id, 16) & mask; s->jidx.slot[j]; j = (j + 1) & mask)
        if (memcmp(s->jtis[s->jidx.slot[j] - 1].id, id, 16) == 0)
            return 1;
    return 0;
}

static int jti_add_locked(auth_store *s, const unsigned char id[16], int64_t exp)
{
    if (jti_revoked_locked(s, id))
        return 0;
    if (s->njtis == s->capjtis) {
        size_t cap = s->capjtis ? 2 * s->capjtis : 16;
        auth_jti_rec *v = realloc(s->jtis, cap * sizeof *v);
        if (!v)
            return NQ_ENOMEM;
        s->jtis = v;
        s->capjtis = cap;
    }
    memcpy(s->jtis[s->njtis].id, id, 16);
    s->jtis[s->njtis].exp = exp;
    s->njtis++;
    if (2 * s->njtis + 2 > s->jidx.cap) {
        int rc = auth_index_rebuild(&s->jidx, s->njtis, jti_fp, s->jtis);
        if (rc)
            s->njtis--;
        return rc;
    }
    size_t mask = s->jidx.cap - 1, j = (size_t)auth_fp(id, 16) & mask;
    while (s->jidx.slot[j])
        j = (j + 1) & mask;
    s->jidx.slot[j] = (uint32_t)s->njtis;
    return 0;
}

int auth_tokens_load(auth_store *s, char *err, size_t errlen)
{
    int64_t now = auth_now(s);
    int rc = auth_sql(s, err, errlen, "DELETE FROM revoked_jti WHERE expires_at < ?", "i",
                      now - JWT_HS256_LEEWAY);
    if (rc == 0)
        rc = auth_sql(s, err, errlen, "DELETE FROM refresh_tokens WHERE expires_at < ?", "i",
                      now);
    if (rc)
        return rc;
    s->last_purge = now;
    nq_stmt *st;
    rc = auth_sql_query(s, &st, err, errlen, "SELECT jti, expires_at FROM revoked_jti", "");
    if (rc)
        return rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        unsigned char id[16];
        const char *t = nq_column_text(st, 0);
        if (!t || auth_unhex(t, id, 16) != 0)
            continue; /* not one of ours: cannot match any token we accept */
        if (jti_add_locked(s, id, nq_column_int64(st, 1)) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = NQ_ENOMEM;
            break;
        }
    }
    if (rc == NQ_DONE)
        rc = 0;
    else if (rc < 0 && rc != NQ_ENOMEM)
        snprintf(err, errlen, "auth.db: %s", nq_errmsg(s->db));
    nq_finalize(st);
    return rc;
}

void auth_tokens_free(auth_store *s)
{
    free(s->jtis);
    free(s->jidx.slot);
    s->jtis = NULL;
    s->jidx.slot = NULL;
    s->njtis = s->capjtis = s->jidx.cap = 0;
}

int auth_tokens_purge(auth_store *s, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    int64_t now = auth_now(s);
    int due = now - s->last_purge >= PURGE_EVERY || now < s->last_purge;
    pthread_mutex_unlock(&s->mu);
    if (!due)
        return 0;
    int64_t cut = now - JWT_HS256_LEEWAY;
    int rc = auth_sql(s, err, errlen, "DELETE FROM revoked_jti WHERE expires_at < ?", "i", cut);
    if (rc == 0)
        rc = auth_sql(s, err, errlen, "DELETE FROM refresh_tokens WHERE expires_at < ?", "i",
                      now);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->mu);
    s->last_purge = now;
    size_t k = 0;
    for (size_t i = 0; i < s->njtis; i++)
        if (s->jtis[i].exp >= cut)
            s->jtis[k++] = s->jtis[i];
    if (k != s->njtis) {
        s->njtis = k;
        rc = auth_index_rebuild(&s->jidx, s->njtis, jti_fp, s->jtis);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int auth_tokens_revoke_user(auth_store *s, const char *user, char *err, size_t errlen)
{
    return auth_sql(s, err, errlen, "UPDATE refresh_tokens SET revoked = 1 WHERE user_name = ?",
                    "t", user);
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char h[32];
    SHA256((const unsigned char *)s, strlen(s), h);
    auth_hex(h, 32, out);
}

static int refresh_well_formed(const char *t)
{
    if (!t || strncmp(t, REFRESH_PREFIX, 4) != 0 || strlen(t) != REFRESH_LEN)
        return 0;
    for (int i = 4; i < REFRESH_LEN; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return 0;
    return 1;
}

/* The signing/verification keys of the configured algorithm are there. */
static int keys_ok(const auth_jwt_config *jc)
{
    if (!jc)
        return 0;
    if (jc->mldsa_level)
        return jwt_mldsa_alg(jc->mldsa_level) && jc->mldsa_sk && jc->mldsa_pk &&
               jc->mldsa_sk_len && jc->mldsa_pk_len;
    return jc->secret && jc->secret_len > 0;
}

static int jc_ok(const auth_jwt_config *jc, char *err, size_t errlen)
{
    if (!keys_ok(jc) || jc->lifetime_s == 0 || jc->refresh_lifetime_s == 0) {
        snprintf(err, errlen, "JWT configuration incomplete (keys and lifetimes are needed)");
        return NQ_EINVAL;
    }
    return 0;
}

int auth_jwt_encode(const auth_jwt_config *jc, const jwt_hs256_claims *c, char **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    if (!keys_ok(jc)) {
        snprintf(err, errlen, "JWT signing is not configured");
        return NQ_EINVAL;
    }
    if (jc->mldsa_level)
        return jwt_mldsa_encode(jc->mldsa_level, jc->mldsa_sk, jc->mldsa_sk_len, c, jc->issuer,
                                jc->audience, out, err, errlen);
    return jwt_hs256_encode(jc->secret, jc->secret_len, c, jc->issuer, jc->audience, out, err,
                            errlen);
}

/* Issue an access token for (user, perms) and a refresh token of family; the refresh row is
 * inserted (caller holds dbmu and runs the transaction). */
static int issue(auth_store *s, const char *user, unsigned perms, const char *family,
                 const auth_jwt_config *jc, auth_tokens *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    unsigned char rnd[32], jid[16];
    if (auth_random(rnd, sizeof rnd) != 0 || auth_random(jid, sizeof jid) != 0) {
        snprintf(err, errlen, "the random number generator failed");
        return NQ_ERROR;
    }
    jwt_hs256_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.sub, sizeof c.sub, "%s", user);
    auth_hex(jid, 16, c.jti);
    c.iat = auth_now(s);
    c.exp = c.iat + jc->lifetime_s;
    c.perms = perms;
    char *access;
    int rc = auth_jwt_encode(jc, &c, &access, err, errlen);
    if (rc)
        return rc;
    char hhex[65];
    memcpy(out->refresh_token, REFRESH_PREFIX, 4);
    auth_hex(rnd, 32, out->refresh_token + 4);
    OPENSSL_cleanse(rnd, sizeof rnd);
    sha256_hex(out->refresh_token, hhex);
    rc = auth_sql(s, err, errlen,
                  "INSERT INTO refresh_tokens(hash, user_name, family, created_at, expires_at)"
                  " VALUES (?, ?, ?, ?, ?)",
                  "tttii", hhex, user, family, c.iat, c.iat + (int64_t)jc->refresh_lifetime_s);
    if (rc) {
        free(access);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->access_token = access;
    out->expires_in = jc->lifetime_s;
    return 0;
}

int auth_login_tokens(auth_store *s, const identity *user, const auth_jwt_config *jc,
                      auth_tokens *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (jc_ok(jc, err, errlen))
        return NQ_EINVAL;
    if (!user || user->kind != ID_JWT || !user->subject[0]) {
        snprintf(err, errlen, "tokens are issued to verified users only");
        return NQ_EINVAL;
    }
    unsigned char f[16];
    char family[33];
    if (auth_random(f, sizeof f) != 0) {
        snprintf(err, errlen, "the random number generator failed");
        return NQ_ERROR;
    }
    auth_hex(f, 16, family);
    pthread_mutex_lock(&s->dbmu);
    pthread_mutex_lock(&s->mu);
    unsigned perms = 0;
    int disabled = 0;
    int rc = auth_user_lookup_locked(s, user->subject, &perms, &disabled);
    pthread_mutex_unlock(&s->mu);
    if (rc || disabled) {
        snprintf(err, errlen, "no such user: %s", user->subject);
        rc = NQ_ENOTFOUND;
    } else {
        rc = issue(s, user->subject, perms, family, jc, out, err, errlen);
    }
    pthread_mutex_unlock(&s->dbmu);
    return rc;
}

int auth_refresh(auth_store *s, const char *refresh_token, const auth_jwt_config *jc,
                 auth_tokens *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (jc_ok(jc, err, errlen))
        return NQ_EINVAL;
    if (!refresh_well_formed(refresh_token)) {
        snprintf(err, errlen, "invalid refresh token");
        return NQ_ENOTFOUND;
    }
    char hhex[65], user[AUTH_MAX_USER + 1] = "", family[40] = "";
    sha256_hex(refresh_token, hhex);
    pthread_mutex_lock(&s->dbmu);
    nq_stmt *st;
    int64_t expires_at = 0, used = 0, revoked = 0;
    int rc = auth_sql_query(s, &st, err, errlen,
                            "SELECT user_name, family, expires_at, used, revoked"
                            " FROM refresh_tokens WHERE hash = ?",
                            "t", hhex);
    int found = 0;
    if (rc == 0) {
        rc = nq_step(st);
        if (rc == NQ_ROW) {
            found = 1;
            const char *u = nq_column_text(st, 0), *f = nq_column_text(st, 1);
            snprintf(user, sizeof user, "%s", u ? u : "");
            snprintf(family, sizeof family, "%s", f ? f : "");
            expires_at = nq_column_int64(st, 2);
            used = nq_column_int64(st, 3);
            revoked = nq_column_int64(st, 4);
            rc = 0;
        } else if (rc == NQ_DONE) {
            rc = 0;
        } else {
            snprintf(err, errlen, "auth.db: %s", nq_errmsg(s->db));
        }
        nq_finalize(st);
    }
    int64_t now = auth_now(s);
    if (rc) {
        /* err is set */
    } else if (!found) {
        snprintf(err, errlen, "invalid refresh token");
        rc = NQ_ENOTFOUND;
    } else if (used || revoked) {
        auth_sql(s, NULL, 0, "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?", "t",
                 family);
        snprintf(err, errlen,
                 "refresh token already used or revoked: every token of this session is "
                 "revoked; log in again");
        rc = NQ_ENOTFOUND;
    } else if (now >= expires_at) {
        snprintf(err, errlen, "refresh token expired; log in again");
        rc = NQ_ENOTFOUND;
    } else {
        unsigned perms = 0;
        int disabled = 0;
        pthread_mutex_lock(&s->mu);
        int r = auth_user_lookup_locked(s, user, &perms, &disabled);
        pthread_mutex_unlock(&s->mu);
        if (r || disabled) {
            snprintf(err, errlen, "the user of this refresh token no longer exists");
            rc = NQ_ENOTFOUND;
        } else {
            rc = auth_begin(s, err, errlen);
            if (rc == 0)
                rc = auth_sql(s, err, errlen, "UPDATE refresh_tokens SET used = 1 WHERE hash = ?",
                              "t", hhex);
            if (rc == 0)
                rc = issue(s, user, perms, family, jc, out, err, errlen);
            if (rc == 0)
                rc = auth_commit(s, err, errlen);
            else
                auth_rollback(s);
            if (rc && out->access_token) {
                free(out->access_token);
                memset(out, 0, sizeof *out);
            }
        }
    }
    pthread_mutex_unlock(&s->dbmu);
    return rc;
}

int auth_logout(auth_store *s, const char *refresh_token, const identity *access)
{
    char err[256];
    int rc = 0;
    pthread_mutex_lock(&s->dbmu);
    if (refresh_token) {
        rc = NQ_ENOTFOUND;
        if (refresh_well_formed(refresh_token)) {
            char hhex[65], family[40] = "";
            sha256_hex(refresh_token, hhex);
            nq_stmt *st;
            if (auth_sql_query(s, &st, err, sizeof err,
                               "SELECT family FROM refresh_tokens WHERE hash = ?", "t",
                               hhex) == 0) {
                if (nq_step(st) == NQ_ROW) {
                    const char *f = nq_column_text(st, 0);
                    snprintf(family, sizeof family, "%s", f ? f : "");
                }
                nq_finalize(st);
            }
            if (family[0])
                rc = auth_sql(s, err, sizeof err,
                              "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?", "t",
                              family);
        }
    }
    unsigned char id[16];
    if (access && access->kind == ID_JWT && auth_unhex(access->jti, id, 16) == 0) {
        int r = auth_sql(s, err, sizeof err,
                         "INSERT INTO revoked_jti(jti, expires_at) VALUES (?, ?)"
                         " ON CONFLICT DO NOTHING",
                         "ti", access->jti, access->expires_at);
        if (r == 0) {
            pthread_mutex_lock(&s->mu);
            r = jti_add_locked(s, id, access->expires_at);
            pthread_mutex_unlock(&s->mu);
        }
        if (r && rc == 0)
            rc = r;
    }
    pthread_mutex_unlock(&s->dbmu);
    return rc;
}

int auth_jwt_check(auth_store *s, const char *token, const auth_jwt_config *jc, identity *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!keys_ok(jc)) {
        snprintf(err, errlen, "JWT authentication is not configured");
        return NQ_EINVAL;
    }
    jwt_hs256_claims c;
    int rc = jc->mldsa_level
                 ? jwt_mldsa_decode(jc->mldsa_level, jc->mldsa_pk, jc->mldsa_pk_len, token,
                                    jc->issuer, jc->audience, auth_now(s), &c, err, errlen)
                 : jwt_hs256_decode(jc->secret, jc->secret_len, token, jc->issuer, jc->audience,
                                    auth_now(s), &c, err, errlen);
    if (rc)
        return rc;
    unsigned char id[16];
    if (auth_unhex(c.jti, id, 16) != 0) {
        snprintf(err, errlen, "invalid token id");
        return NQ_EINVAL;
    }
    unsigned perms = 0;
    int disabled = 0;
    pthread_mutex_lock(&s->mu);
    int revoked = jti_revoked_locked(s, id);
    int gone = auth_user_lookup_locked(s, c.sub, &perms, &disabled) != 0 || disabled;
    pthread_mutex_unlock(&s->mu);
    if (revoked) {
        snprintf(err, errlen, "token revoked (logged out)");
        return NQ_EINVAL;
    }
    if (gone) {
        snprintf(err, errlen, "the user of this token no longer exists");
        return NQ_EINVAL;
    }
    out->kind = ID_JWT;
    out->perms = c.perms & perms;
    snprintf(out->subject, sizeof out->subject, "%s", c.sub);
    snprintf(out->name, sizeof out->name, "%s", c.sub);
    snprintf(out->jti, sizeof out->jti, "%s", c.jti);
    out->expires_at = c.exp;
    return 0;
}
