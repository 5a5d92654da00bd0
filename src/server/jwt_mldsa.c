/*
 * jwt_mldsa.c — ML-DSA-signed JWTs (see jwt_mldsa.h for the format and the rules).
 *
 * libjwt 1.10 knows no ML-DSA, so the JWS is put together here: the claims JSON comes from
 * jwt_claims_payload (shared with HS256, so both algorithms carry identical claims), the
 * signature from src/crypto/mldsa.h. Decoding never parses the payload of a token whose header
 * or signature is wrong: everything before the signature check handles only the header, and
 * the header check comes first so that a token of another algorithm costs no ML-DSA work.
 */
#include "jwt_mldsa.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mldsa.h"
#include "nqdb.h"

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return rc;
}

int jwt_mldsa_level(const char *alg)
{
    if (!alg)
        return 0;
    if (strcmp(alg, "ML-DSA-65") == 0)
        return 65;
    if (strcmp(alg, "ML-DSA-87") == 0)
        return 87;
    return 0;
}

const char *jwt_mldsa_alg(int level)
{
    return level == 65 ? "ML-DSA-65" : level == 87 ? "ML-DSA-87" : NULL;
}

/* ---- base64url (RFC 7515 §2, RFC 4648 §5, no padding) ------------------------------------ */

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t jwt_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    if (cap < need + 1)
        return 0;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64u[v >> 18];
        out[o++] = b64u[v >> 12 & 63];
        out[o++] = b64u[v >> 6 & 63];
        out[o++] = b64u[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64u[v >> 18];
        out[o++] = b64u[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64u[v >> 18];
        out[o++] = b64u[v >> 12 & 63];
        out[o++] = b64u[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64u_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long jwt_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    if (n % 4 == 1)
        return -1;
    size_t len = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (len > cap)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64u_val(in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* unused low bits of the last character must be zero (canonical form) */
        return -1;
    return (long)o;
}

/* ---- encode ------------------------------------------------------------------------------- */

int jwt_mldsa_encode(int level, const uint8_t *sk, size_t sklen, const jwt_hs256_claims *c,
                     const char *iss, const char *aud, char **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *alg = jwt_mldsa_alg(level);
    if (!alg)
        return fail(err, errlen, NQ_EINVAL, "ML-DSA level must be 65 or 87");
    if (!sk || sklen != mldsa_sk_bytes(level))
        return fail(err, errlen, NQ_EINVAL, "ML-DSA signing key missing or of the wrong size");
    if (!c->sub[0] || !c->jti[0])
        return fail(err, errlen, NQ_EINVAL, "JWT subject and id are required");
    char *payload = jwt_claims_payload(c, iss, aud);
    if (!payload)
        return fail(err, errlen, NQ_ENOMEM, "out of memory");
    char header[48];
    snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    size_t hl = strlen(header), pl = strlen(payload), sl = mldsa_sig_bytes(level);
    size_t cap = (hl + pl + sl) * 4 / 3 + 32; /* three unpadded parts, two dots, NUL */
    char *tok = malloc(cap);
    uint8_t *sig = malloc(sl);
    int rc = NQ_ENOMEM;
    if (tok && sig) {
        size_t o = jwt_b64url_encode((const uint8_t *)header, hl, tok, cap);
        tok[o++] = '.';
        o += jwt_b64url_encode((const uint8_t *)payload, pl, tok + o, cap - o);
        rc = mldsa_sign_ex(level, sk, sklen, (const uint8_t *)tok, o, NULL, 0, NULL, sig);
        if (rc == 0) {
            tok[o++] = '.';
            jwt_b64url_encode(sig, sl, tok + o, cap - o);
        }
    }
    free(payload);
    free(sig);
    if (rc) {
        free(tok);
        return fail(err, errlen, rc == NQ_ENOMEM ? NQ_ENOMEM : NQ_ERROR,
                    rc == NQ_ENOMEM ? "out of memory" : "cannot sign the JWT with ML-DSA");
    }
    *out = tok;
    return 0;
}

/* ---- decode ------------------------------------------------------------------------------- */

/* The header's verdict: NULL when acceptable, else the reason. */
static const char *check_header(const uint8_t *h, size_t n, const char *want)
{
    json_t *doc = json_loadb((const char *)h, n, JSON_REJECT_DUPLICATES, NULL);
    const char *why = NULL;
    if (!json_is_object(doc)) {
        why = "invalid token header";
    } else {
        json_t *alg = json_object_get(doc, "alg"), *typ = json_object_get(doc, "typ");
        if (!json_is_string(alg) || strcmp(json_string_value(alg), want) != 0)
            why = strcmp(want, "ML-DSA-65") == 0 ? "token algorithm must be ML-DSA-65"
                                                 : "token algorithm must be ML-DSA-87";
        else if (typ && !(json_is_string(typ) && strcmp(json_string_value(typ), "JWT") == 0))
            why = "token type must be JWT";
        else if (json_object_get(doc, "crit"))
            why = "token header has critical extensions (crit), none are supported";
    }
    json_decref(doc);
    return why;
}

int jwt_mldsa_decode(int level, const uint8_t *pk, size_t pklen, const char *token,
                     const char *iss, const char *aud, int64_t now, jwt_hs256_claims *out,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *alg = jwt_mldsa_alg(level);
    if (!alg)
        return fail(err, errlen, NQ_EINVAL, "ML-DSA level must be 65 or 87");
    if (!pk || pklen != mldsa_pk_bytes(level))
        return fail(err, errlen, NQ_EINVAL, "ML-DSA verification key missing or of the wrong size");
    size_t tl = token ? strlen(token) : 0;
    if (tl == 0 || tl > JWT_MLDSA_MAX_TOKEN)
        return fail(err, errlen, NQ_EINVAL, "invalid token");
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || d1 == token || d2 == d1 + 1 || d2[1] == '\0')
        return fail(err, errlen, NQ_EINVAL, "invalid token (expected three parts)");
    size_t hn = (size_t)(d1 - token), pn = (size_t)(d2 - d1 - 1), sn = tl - (size_t)(d2 + 1 - token);
    /* every part decodes into one buffer, reused */
    uint8_t *buf = malloc(tl);
    if (!buf)
        return fail(err, errlen, NQ_ENOMEM, "out of memory");
    const char *why = NULL;
    long n = jwt_b64url_decode(token, hn, buf, tl);
    if (n < 0)
        why = "invalid token header encoding";
    else
        why = check_header(buf, (size_t)n, alg);
    if (!why) {
        n = jwt_b64url_decode(d2 + 1, sn, buf, tl);
        if (n < 0)
            why = "invalid token signature encoding";
        else if ((size_t)n != mldsa_sig_bytes(level))
            why = "invalid token signature length";
        else if (mldsa_verify(level, pk, pklen, (const uint8_t *)token, (size_t)(d2 - token), NULL,
                              0, buf, (size_t)n) != 0)
            why = "invalid token signature";
    }
    if (!why) {
        n = jwt_b64url_decode(d1 + 1, pn, buf, tl);
        if (n < 0)
            why = "invalid token payload encoding";
    }
    int rc = 0;
    if (why)
        rc = fail(err, errlen, NQ_EINVAL, why);
    else
        rc = jwt_claims_check_text((const char *)buf, (size_t)n, iss, aud, now, out, err, errlen);
    free(buf);
    return rc;
}
