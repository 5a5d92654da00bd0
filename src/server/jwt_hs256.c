/*
 * jwt_hs256.c — HS256 access tokens on libjwt 1.10 (see jwt_hs256.h for the rules).
 *
 * libjwt signs and checks the signature; the claims are read back as one JSON document
 * (jwt_get_grants_json) and checked with jansson, because jwt_get_grant_int answers 0 for a
 * claim of the wrong type and so cannot tell "exp": "soon" from "exp": 0.
 */
#include "jwt_hs256.h"

#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "jwt_mldsa.h"
#include "nqdb.h"

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return rc;
}

int jwt_hs256_encode(const unsigned char *key, size_t keylen, const jwt_hs256_claims *c,
                     const char *iss, const char *aud, char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!key || keylen == 0 || keylen > INT_MAX)
        return fail(err, errlen, NQ_EINVAL, "JWT secret is empty");
    if (!c->sub[0] || !c->jti[0])
        return fail(err, errlen, NQ_EINVAL, "JWT subject and id are required");
    json_t *perms = json_array();
    if (!perms)
        return fail(err, errlen, NQ_ENOMEM, "out of memory");
    for (unsigned i = 0; i < 6; i++)
        if (c->perms & (1u << i))
            json_array_append_new(perms, json_string(perm_names[i]));
    json_t *doc = json_pack("{s:o}", "permissions", perms);
    if (doc && c->amr[0])
        json_object_set_new(doc, "amr", json_pack("[s]", c->amr));
    char *pjson = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!pjson)
        return fail(err, errlen, NQ_ENOMEM, "out of memory");

    jwt_t *j = NULL;
    int rc = jwt_new(&j);
    if (rc == 0)
        rc = jwt_add_grant(j, "sub", c->sub);
    if (rc == 0)
        rc = jwt_add_grant(j, "jti", c->jti);
    if (rc == 0)
        rc = jwt_add_grant_int(j, "iat", (long)c->iat);
    if (rc == 0)
        rc = jwt_add_grant_int(j, "exp", (long)c->exp);
    if (rc == 0 && iss && *iss)
        rc = jwt_add_grant(j, "iss", iss);
    if (rc == 0 && aud && *aud)
        rc = jwt_add_grant(j, "aud", aud);
    if (rc == 0)
        rc = jwt_add_grants_json(j, pjson);
    if (rc == 0)
        rc = jwt_set_alg(j, JWT_ALG_HS256, key, (int)keylen);
    free(pjson);
    char *tok = rc == 0 ? jwt_encode_str(j) : NULL;
    jwt_free(j);
    if (!tok)
        return fail(err, errlen, NQ_ERROR, "cannot sign the JWT");
    *out = tok;
    return 0;
}

/* A claim that must be a string no longer than cap-1. */
static int get_str(json_t *claims, const char *name, char *buf, size_t cap)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap)
        return -1;
    memcpy(buf, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int check_str(json_t *claims, const char *name, const char *want)
{
    if (!want || !*want)
        return 0;
    json_t *v = json_object_get(claims, name);
    return json_is_string(v) && strcmp(json_string_value(v), want) == 0 ? 0 : -1;
}

int jwt_hs256_decode(const unsigned char *key, size_t keylen, const char *token, const char *iss,
                     const char *aud, int64_t now, jwt_hs256_claims *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!key || keylen == 0 || keylen > INT_MAX)
        return fail(err, errlen, NQ_EINVAL, "JWT secret is empty");
    if (!token || !*token || strlen(token) > JWT_HS256_MAX_TOKEN)
        return fail(err, errlen, NQ_EINVAL, "invalid token");
    /* a header that names another algorithm (an ML-DSA token, alg none, HS512, ...) is
     * refused as such before libjwt sees it; anything unreadable is left to libjwt's verdict */
    const char *dot = strchr(token, '.');
    if (dot && dot - token < 512) {
        uint8_t hb[400];
        long hn = jwt_b64url_decode(token, (size_t)(dot - token), hb, sizeof hb);
        json_t *h = hn > 0 ? json_loadb((const char *)hb, (size_t)hn, 0, NULL) : NULL;
        json_t *alg = json_object_get(h, "alg");
        int other = json_is_string(alg) && strcmp(json_string_value(alg), "HS256") != 0;
        json_decref(h);
        if (other)
            return fail(err, errlen, NQ_EINVAL, "token algorithm must be HS256");
    }
    jwt_t *j = NULL;
    if (jwt_decode(&j, token, key, (int)keylen) != 0 || !j)
        return fail(err, errlen, NQ_EINVAL, "invalid token (malformed, or bad signature)");
    if (jwt_get_alg(j) != JWT_ALG_HS256) {
        jwt_free(j);
        return fail(err, errlen, NQ_EINVAL, "token algorithm must be HS256");
    }
    char *cj = jwt_get_grants_json(j, NULL);
    jwt_free(j);
    if (!cj)
        return fail(err, errlen, NQ_EINVAL, "invalid token claims");
    int rc = jwt_claims_check_text(cj, strlen(cj), iss, aud, now, out, err, errlen);
    free(cj);
    return rc;
}

char *jwt_claims_payload(const jwt_hs256_claims *c, const char *iss, const char *aud)
{
    json_t *perms = json_array();
    json_t *doc = json_object();
    if (!perms || !doc) {
        json_decref(perms);
        json_decref(doc);
        return NULL;
    }
    for (unsigned i = 0; i < 6; i++)
        if (c->perms & (1u << i))
            json_array_append_new(perms, json_string(perm_names[i]));
    json_object_set_new(doc, "sub", json_string(c->sub));
    json_object_set_new(doc, "jti", json_string(c->jti));
    json_object_set_new(doc, "iat", json_integer((json_int_t)c->iat));
    json_object_set_new(doc, "exp", json_integer((json_int_t)c->exp));
    if (iss && *iss)
        json_object_set_new(doc, "iss", json_string(iss));
    if (aud && *aud)
        json_object_set_new(doc, "aud", json_string(aud));
    json_object_set_new(doc, "permissions", perms);
    if (c->amr[0])
        json_object_set_new(doc, "amr", json_pack("[s]", c->amr));
    char *txt = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return txt;
}

int jwt_claims_check_text(const char *json, size_t len, const char *iss, const char *aud,
                          int64_t now, jwt_hs256_claims *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *claims = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(claims)) {
        json_decref(claims);
        return fail(err, errlen, NQ_EINVAL, "invalid token claims");
    }
    int rc = NQ_EINVAL;
    const char *why = "invalid token claims";
    json_t *exp = json_object_get(claims, "exp"), *iat = json_object_get(claims, "iat");
    json_t *perms = json_object_get(claims, "permissions");
    if (get_str(claims, "sub", out->sub, sizeof out->sub) || get_str(claims, "jti", out->jti,
                                                                     sizeof out->jti)) {
        why = "token lacks sub or jti";
    } else if (!json_is_integer(exp) || !json_is_integer(iat)) {
        why = "token lacks exp or iat";
    } else if (now >= (int64_t)json_integer_value(exp) + JWT_HS256_LEEWAY) {
        why = "token expired";
    } else if ((int64_t)json_integer_value(iat) > now + JWT_HS256_LEEWAY) {
        why = "token issued in the future";
    } else if (check_str(claims, "iss", iss)) {
        why = "token issuer mismatch";
    } else if (check_str(claims, "aud", aud)) {
        why = "token audience mismatch";
    } else if (perms && !json_is_array(perms)) {
        why = "token permissions must be an array";
    } else {
        out->exp = (int64_t)json_integer_value(exp);
        out->iat = (int64_t)json_integer_value(iat);
        json_t *amr = json_array_get(json_object_get(claims, "amr"), 0);
        if (json_is_string(amr) && json_string_length(amr) < sizeof out->amr)
            memcpy(out->amr, json_string_value(amr), json_string_length(amr) + 1);
        size_t i;
        json_t *p;
        json_array_foreach(perms, i, p)
        {
            if (json_is_string(p))
                out->perms |= perm_parse(json_string_value(p));
        }
        rc = 0;
    }
    json_decref(claims);
    if (rc) {
        memset(out, 0, sizeof *out);
        return fail(err, errlen, rc, why);
    }
    return 0;
}
