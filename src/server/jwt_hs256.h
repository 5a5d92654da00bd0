/*
 * jwt_hs256.h — JWT access tokens signed with HMAC-SHA256 (RFC 7519 / RFC 7515), on libjwt 1.10.
 *
 * (The file is not called jwt.h because src/server is on the include path of the whole server
 * and would hide libjwt's own <jwt.h>.)
 *
 * A token carries the claims
 *   sub          the user name
 *   iat, exp     issued-at and expiry, unix seconds
 *   jti          a random id (32 hex chars), so a single token can be revoked (logout)
 *   iss, aud     from the configuration (jwt.issuer, jwt.audience); left out when empty
 *   permissions  an array of permission names (identity.h), e.g. ["read","write"]
 *   amr          optional: ["eeg"] on a token issued by an EEG verification (RFC 8176's
 *                authentication-methods claim); absent on password logins
 * in a header {"alg":"HS256","typ":"JWT"}.
 *
 * Verification does everything libjwt 1.10 leaves to the caller: libjwt checks the signature,
 * but accepts any HMAC algorithm the token names (and "none" when no key is given), and checks
 * no claim at all. jwt_hs256_decode therefore requires alg HS256, reads the claims itself with
 * strict types, requires exp in the future (with a leeway for clock skew between machines),
 * iat not in the future (same leeway), and iss/aud equal to the configured ones when those are
 * set. Permission names it does not know are ignored (a token can only grant what it names).
 */
#ifndef NQ_SERVER_JWT_HS256_H
#define NQ_SERVER_JWT_HS256_H

#include <stddef.h>
#include <stdint.h>

#define JWT_HS256_MAX_TOKEN 8192 /* longer tokens are refused before any parsing */
#define JWT_HS256_LEEWAY 60      /* seconds of clock skew allowed on exp and iat */

typedef struct jwt_hs256_claims {
    char sub[80];
    char jti[48];
    int64_t iat, exp;
    unsigned perms; /* PERM_* bits */
    char amr[16];   /* one authentication method ("eeg"); "" = no amr claim */
} jwt_hs256_claims;

/* Sign the claims; iss and aud may be NULL or "" (then absent). *out is a malloc'd string the
 * caller frees with free(). 0, NQ_EINVAL (empty key, sub or jti), or NQ_ENOMEM / NQ_ERROR. */
int jwt_hs256_encode(const unsigned char *key, size_t keylen, const jwt_hs256_claims *c,
                     const char *iss, const char *aud, char **out, char *err, size_t errlen);

/* Verify token at time now and fill *out. iss/aud NULL or "": not checked. 0, or NQ_EINVAL
 * with the reason in err ("invalid token signature", "token expired", "token algorithm must
 * be HS256", "token issuer mismatch", ...). */
int jwt_hs256_decode(const unsigned char *key, size_t keylen, const char *token, const char *iss,
                     const char *aud, int64_t now, jwt_hs256_claims *out, char *err,
                     size_t errlen);

/* Shared with jwt_mldsa.c, so that both algorithms carry and check the same claims:
 * jwt_claims_payload gives the claims as compact JSON (malloc'd; NULL when out of memory);
 * jwt_claims_check_text reads a claims document (len bytes, not NUL-terminated) with strict
 * types and applies the checks of jwt_hs256_decode (exp with leeway, iat not in the future,
 * iss/aud when given); 0 with *out filled, or NQ_EINVAL with the reason (out zeroed). */
char *jwt_claims_payload(const jwt_hs256_claims *c, const char *iss, const char *aud);
int jwt_claims_check_text(const char *json, size_t len, const char *iss, const char *aud,
                          int64_t now, jwt_hs256_claims *out, char *err, size_t errlen);

#endif
