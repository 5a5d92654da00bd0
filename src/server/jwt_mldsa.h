/*
 * jwt_mldsa.h — JWT access tokens signed with ML-DSA (FIPS 204), as a JWS in compact
 * serialization (RFC 7515) with the algorithm names of draft-ietf-cose-dilithium (RFC 9964):
 *
 *   BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)
 *   header     {"alg":"ML-DSA-65","typ":"JWT"}   (or "ML-DSA-87")
 *   payload    the claims of jwt_hs256.h (sub, jti, iat, exp, iss, aud, permissions, amr)
 *   signature  ML-DSA.Sign(sk, M, ctx) of FIPS 204 §5.2 ("pure" ML-DSA, hedged), where M is
 *              the ASCII bytes of the JWS signing input BASE64URL(header) "." BASE64URL(payload)
 *              and ctx is the empty string; 3309 bytes (ML-DSA-65) or 4627 (ML-DSA-87)
 * BASE64URL is RFC 7515's: the URL-safe alphabet without padding.
 *
 * Verification is strict, in this order, and stops at the first failure:
 *   - the token is at most JWT_MLDSA_MAX_TOKEN bytes of three non-empty dot-separated parts,
 *     each canonical unpadded base64url (no '=', no other alphabet, zero unused bits);
 *   - the header is a JSON object without duplicate keys whose "alg" is exactly the configured
 *     name (no algorithm confusion: "HS256", "none", the other ML-DSA level are refused before
 *     any signature work), whose "typ", if present, is "JWT", and which has no "crit";
 *   - the signature has exactly mldsa_sig_bytes(level) bytes and verifies under the public key
 *     (mldsa_verify, empty context) over the signing input as received;
 *   - only then the payload is parsed and its claims checked as jwt_hs256_decode does
 *     (jwt_claims_check).
 * The claims are the same for both algorithms, so refresh, logout (jti) and expiry work alike.
 *
 * Errors: 0, or NQ_EINVAL with the reason in err; NQ_ENOMEM / NQ_ERROR when signing fails.
 */
#ifndef NQ_SERVER_JWT_MLDSA_H
#define NQ_SERVER_JWT_MLDSA_H

#include <stddef.h>
#include <stdint.h>

#include "jwt_hs256.h"

/* An ML-DSA-87 token with long claims is about 6.6 KB; anything longer is refused unread. */
#define JWT_MLDSA_MAX_TOKEN 16384

/* 65 for "ML-DSA-65", 87 for "ML-DSA-87", 0 for anything else. */
int jwt_mldsa_level(const char *alg);
/* "ML-DSA-65" / "ML-DSA-87", or NULL. */
const char *jwt_mldsa_alg(int level);

/* Sign the claims with the expanded secret key sk (mldsa_sk_bytes(level) bytes); iss/aud NULL
 * or "" are left out. *out is a malloc'd string the caller frees. */
int jwt_mldsa_encode(int level, const uint8_t *sk, size_t sklen, const jwt_hs256_claims *c,
                     const char *iss, const char *aud, char **out, char *err, size_t errlen);

/* Verify token under the public key pk (mldsa_pk_bytes(level) bytes) at time now and fill *out
 * (zeroed on failure). iss/aud NULL or "": not checked. */
int jwt_mldsa_decode(int level, const uint8_t *pk, size_t pklen, const char *token,
                     const char *iss, const char *aud, int64_t now, jwt_hs256_claims *out,
                     char *err, size_t errlen);

/* RFC 7515 base64url without padding, exposed for tests. b64url_encode writes 4*ceil(n/3)
 * at most + NUL into out (cap bytes) and returns the length, or 0 if cap is too small.
 * b64url_decode accepts only canonical unpadded text: the decoded length, or -1. */
size_t jwt_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);
long jwt_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);

#endif
