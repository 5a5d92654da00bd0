/*
 * auth.h — the credential store: API keys, users, JWT access tokens and refresh tokens.
 *
 * Everything lives in the data directory (docs/authentication.md):
 *   auth.db     a NeuroQuantumDB database of its own (tables meta, api_keys, users,
 *               refresh_tokens, revoked_jti), written through the SQL API, so durable and
 *               crash-safe like any database of the engine
 *   auth.key    32 random bytes (mode 0600): the HMAC-SHA256 key of the API-key hashes
 *   jwt.secret  64 random bytes in base64 (mode 0600): the HS256 key when the configuration
 *               gives none (auth_load_jwt_secret)
 *   jwt-mldsa65.key, jwt-mldsa87.key   the 32-byte seed of the ML-DSA signing key (mode 0600)
 *   jwt-mldsa65.pub, jwt-mldsa87.pub   its public key, FIPS 204 encoding (mode 0644): what a
 *               third party needs to verify tokens (auth_load_jwt_mldsa)
 *
 * API keys are "nqdb_" + 32 lowercase hex characters (128 random bits). Only
 * HMAC-SHA256(auth.key, key) is stored, with a public id (the first 8 hex characters after the
 * prefix) that lists show and that revocation accepts. Every key is also held in memory in a
 * hash table keyed by its hash, so checking a key costs one HMAC and one lookup; usage counts
 * and last-use times are kept in memory and written by auth_flush.
 *
 * Users have Argon2id password hashes (by default t=2, m=19456 KiB, p=1 — the OWASP minimum —
 * or the [passwords] parameters of the configuration given to auth_set_argon2; 16-byte salt,
 * 32-byte hash, stored in the PHC string form, which keeps its own parameters). A login whose
 * stored hash has other parameters than the current ones re-hashes the password with the
 * current ones (auth_user_verify). Login issues an HS256 access token (jwt_hs256.h) and an opaque refresh token
 * "nqr_" + 64 hex, stored as its SHA-256. Refresh rotates the refresh token inside its family;
 * presenting a used or revoked one revokes the whole family. Logout revokes the family and the
 * access token's jti.
 *
 * Threads: every function may be called from any thread. Two mutexes inside the store: one for
 * the nq_db handle (held across SQL work), one for the in-memory tables (held for lookups
 * only); the first is always taken before the second. Key and token checks take only the
 * second, so they never wait for a commit or for an Argon2 computation.
 *
 * Errors: 0 or a negative NQ_E* code (nqdb.h) with a message in err where there is one.
 */
#ifndef NQ_SERVER_AUTH_H
#define NQ_SERVER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

typedef struct auth_store auth_store;

#define AUTH_KEY_LEN 37           /* "nqdb_" + 32 hex */
#define AUTH_DEFAULT_KEY_HOURS 720 /* expiry of a key created with expiry_hours 0 */
#define AUTH_MIN_PASSWORD 8
#define AUTH_MAX_PASSWORD 1024
#define AUTH_MAX_USER 64
/* Argon2id defaults (OWASP's minimum; passwords.argon2_* in config.c) */
#define AUTH_ARGON2_M 19456 /* KiB */
#define AUTH_ARGON2_T 2
#define AUTH_ARGON2_P 1

typedef struct auth_key_info {
    char id[16];     /* public id: 8 hex chars */
    char name[80];
    unsigned perms;
    int64_t created_at, expires_at, last_used; /* unix seconds; last_used 0 = never */
    uint64_t usage_count;
    uint32_t rate_limit_per_hour; /* 0 = the configured default */
    int revoked;
    int64_t revoked_at;
    char revoked_by[80];
} auth_key_info;

typedef struct auth_jwt_config {
    const unsigned char *secret; /* the HS256 key (also loaded when ML-DSA signs) */
    size_t secret_len;
    unsigned lifetime_s;         /* access tokens (jwt.expiration_hours * 3600) */
    unsigned refresh_lifetime_s; /* refresh tokens (jwt.refresh_expiration_hours * 3600) */
    const char *issuer, *audience; /* NULL or "": not set, not checked */
    /* jwt.algorithm ML-DSA-65 / ML-DSA-87: mldsa_level 65 or 87 and the key pair of
     * auth_load_jwt_mldsa (expanded secret key, public key); mldsa_level 0 = HS256 */
    int mldsa_level;
    const uint8_t *mldsa_sk, *mldsa_pk;
    size_t mldsa_sk_len, mldsa_pk_len;
} auth_jwt_config;

typedef struct auth_tokens {
    char *access_token; /* malloc'd; the caller frees it */
    char refresh_token[80];
    int64_t expires_in; /* seconds until the access token expires */
} auth_tokens;

/* Open (creating the directory mode 0700, auth.key and auth.db as needed) the store of
 * data_dir. NQ_ELOCKED when another process (a running server) has auth.db open. */
int auth_open(const char *data_dir, auth_store **out, char *err, size_t errlen);
/* Flush usage counts and close. NULL is fine. */
void auth_close(auth_store *s);
/* Write the in-memory usage counts and last-use times of API keys, and purge expired revoked
 * token ids and refresh tokens. The server calls it every few seconds and at shutdown. */
int auth_flush(auth_store *s);
/* The data directory the store was opened on. */
const char *auth_data_dir(const auth_store *s);

/* 1 if an API key with the admin permission exists that is neither revoked nor expired. */
int auth_has_admin(auth_store *s);

/* ---- API keys ---- */
/* Create a key: key_out receives the key (AUTH_KEY_LEN chars + NUL), shown to the user once;
 * info (may be NULL) its record. expiry_hours 0 = AUTH_DEFAULT_KEY_HOURS; perms must be a
 * non-empty subset of PERM_ALL; name 1..79 printable characters. */
int auth_key_create(auth_store *s, const char *name, unsigned perms, uint32_t expiry_hours,
                    uint32_t rate_limit_per_hour, char key_out[38], auth_key_info *info,
                    char *err, size_t errlen);
/* Check a key (constant-time comparison of hashes; no SQL, no allocation). 0 with *out filled
 * (kind ID_KEY, subject = id, name, perms, rate limit, expiry) and its use counted; or
 * NQ_ENOTFOUND for an unknown, malformed, revoked or expired key. out may be NULL. */
int auth_key_check(auth_store *s, const char *key, identity *out);
/* Revoke by the key itself or by its id; by (may be NULL) is recorded as revoked_by.
 * NQ_ENOTFOUND when there is no such active key. */
int auth_key_revoke(auth_store *s, const char *key_or_id, const char *by, char *err,
                    size_t errlen);
/* Call fn for every key (revoked ones too), oldest first. */
int auth_key_list(auth_store *s, void (*fn)(void *arg, const auth_key_info *k), void *arg);

/* ---- users ---- */
/* name: 1..64 printable ASCII characters without spaces; password: 8..1024 bytes. perms 0 =
 * read,write. NQ_EEXIST if the user exists. */
int auth_user_create(auth_store *s, const char *name, const char *password, unsigned perms,
                     char *err, size_t errlen);
/* Delete a user and revoke their refresh tokens (their access tokens stop working at once:
 * auth_jwt_check requires the user to exist). NQ_ENOTFOUND if absent. */
int auth_user_delete(auth_store *s, const char *name, char *err, size_t errlen);
/* Set a new password and revoke the user's refresh tokens. */
int auth_user_passwd(auth_store *s, const char *name, const char *password, char *err,
                     size_t errlen);
int auth_user_list(auth_store *s,
                   void (*fn)(void *arg, const char *name, unsigned perms, int64_t created_at),
                   void *arg);
/* Verify a password. 0 with *out (kind ID_JWT, subject = name = the user) or NQ_ENOTFOUND for
 * an unknown user or a wrong password; an unknown user costs the same Argon2 work as a known
 * one, so timing does not tell which names exist. A correct password whose stored hash has
 * other Argon2 parameters (or is not Argon2id v19) is re-hashed with the current parameters and
 * stored (best effort: a failure there does not fail the login). */
int auth_user_verify(auth_store *s, const char *name, const char *password, identity *out);

/* ---- tokens ---- */
/* Issue an access token and a new refresh token (a new family) for a verified user. */
int auth_login_tokens(auth_store *s, const identity *user, const auth_jwt_config *jc,
                      auth_tokens *out, char *err, size_t errlen);
/* Exchange a refresh token: it becomes used and a new one of the same family is issued with a
 * new access token. A used or revoked token revokes its whole family (a stolen token was
 * used). NQ_ENOTFOUND for every refusal (unknown, expired, reused, user gone), reason in err. */
int auth_refresh(auth_store *s, const char *refresh_token, const auth_jwt_config *jc,
                 auth_tokens *out, char *err, size_t errlen);
/* Revoke the refresh token's family (refresh_token may be NULL) and the access token's jti
 * (access may be NULL; an ID_JWT identity from auth_jwt_check). The jti stays revoked until the
 * token's exp, across restarts. NQ_ENOTFOUND if a refresh token was given and is unknown (the
 * jti is revoked anyway). */
int auth_logout(auth_store *s, const char *refresh_token, const identity *access);
/* Sign access-token claims with the configured algorithm (jc->mldsa_level: ML-DSA, else
 * HS256); *out is malloc'd. For other issuers of tokens (the EEG verification). */
struct jwt_hs256_claims;
int auth_jwt_encode(const auth_jwt_config *jc, const struct jwt_hs256_claims *c, char **out,
                    char *err, size_t errlen);
/* Check an access token: signature, alg exactly the configured one (HS256, ML-DSA-65 or
 * ML-DSA-87; any other is refused), exp (60 s leeway), iss/aud, jti not revoked,
 * user still present and enabled. 0 with *out (kind ID_JWT, perms = the token's permissions
 * that the user still has), or NQ_EINVAL with the reason in err. */
int auth_jwt_check(auth_store *s, const char *token, const auth_jwt_config *jc, identity *out,
                   char *err, size_t errlen);

/* The HS256 key: the bytes of configured_secret when it is non-empty (at least 32 bytes), or
 * else the contents of data_dir/jwt.secret, created (64 random bytes, base64, mode 0600) when
 * absent. *secret is malloc'd; the caller frees it. */
int auth_load_jwt_secret(const char *data_dir, const char *configured_secret,
                         unsigned char **secret, size_t *len, char *err, size_t errlen);

/* The Argon2id parameters of new password hashes (the [passwords] keys of the configuration):
 * memory m_cost_kib 1024..4194304 KiB, t_cost 1..64 passes, lanes 1..16. 0 or NQ_EINVAL. */
int auth_set_argon2(auth_store *s, uint32_t m_cost_kib, uint32_t t_cost, uint32_t lanes,
                    char *err, size_t errlen);
/* The ML-DSA token signing key of data_dir for level 65 or 87: jwt-mldsaNN.key holds the 32-byte
 * seed ξ of ML-DSA.KeyGen_internal (FIPS 204 §6.1), mode 0600; jwt-mldsaNN.pub the public key
 * (mldsa_pk_bytes), mode 0644. mode: AUTH_MLDSA_LOAD (both must be there, else NQ_ENOTFOUND
 * naming the command that makes them), AUTH_MLDSA_LOAD_OR_CREATE (a fresh pair when neither
 * exists), AUTH_MLDSA_CREATE (a fresh pair; NQ_EEXIST if a key is there). The .pub is
 * rewritten from the key when absent and must match it when present (NQ_ECORRUPT); a .pub
 * without its key is NQ_ENOTFOUND, never silently replaced. *sk (mldsa_sk_bytes, expanded)
 * and *pk are malloc'd; the caller wipes and frees *sk. */
#define AUTH_MLDSA_LOAD 0
#define AUTH_MLDSA_LOAD_OR_CREATE 1
#define AUTH_MLDSA_CREATE 2
int auth_load_jwt_mldsa(const char *data_dir, int level, int mode, uint8_t **sk, size_t *sklen,
                        uint8_t **pk, size_t *pklen, char *err, size_t errlen);

/* Tests only: cheaper Argon2 parameters (t passes, m KiB) and a fake clock (NULL = time()). */
void auth_set_argon2_params(auth_store *s, uint32_t t_cost, uint32_t m_cost_kib);
void auth_set_clock(auth_store *s, int64_t (*now)(void *arg), void *arg);

/* Helpers shared with the CLI. */
/* Parse "read,write" (names of identity.h, comma-separated, spaces allowed) into bits. 0 and
 * *out set, or NQ_EINVAL with "Invalid permission: X. Valid permissions are: ..." in err. */
int auth_perms_parse(const char *list, unsigned *out, char *err, size_t errlen);
/* 64 random bytes, standard base64 (88 chars + NUL) into out (at least 89 bytes). */
int auth_random_secret_b64(char *out, size_t outlen);
/* Unix seconds as "2026-01-02T03:04:05Z" (0 prints "never"); out needs 24 bytes. */
void auth_format_time(int64_t t, char *out, size_t outlen);

#endif
