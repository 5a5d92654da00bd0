/*
 * h_auth.c — /api/v1/auth: login, refresh, logout, and the admin routes that create and revoke
 * API keys (reference 1.3–1.6, made real: upstream's login returned fake strings and its key
 * routes were unreachable).
 *
 * Login verifies an Argon2id password hash, so each attempt costs tens of milliseconds of CPU
 * on purpose; attempts are limited per client address (AUTH_LOGIN_ATTEMPTS per
 * AUTH_LOGIN_WINDOW seconds) before any hashing happens, so a password-guessing client cannot
 * turn the server's CPU against it. Key generation is limited to
 * rate_limit.key_generation_per_hour per client address (5 by default) and, like revocation,
 * needs the admin permission and a client address in security.admin_ip_whitelist (checked by
 * the router before the handler runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

#define AUTH_LOGIN_ATTEMPTS 20
#define AUTH_LOGIN_WINDOW 300

static void rfc3339(int64_t t, char out[40])
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static json_t *perm_array(unsigned perms)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < 6; i++)
        if (perms & (1u << i))
            json_array_append_new(a, json_string(perm_names[i]));
    return a;
}

static json_t *tokens_json(const auth_tokens *t, const identity *who)
{
    json_t *d = json_object();
    json_object_set_new(d, "access_token", json_string(t->access_token));
    json_object_set_new(d, "refresh_token", json_string(t->refresh_token));
    json_object_set_new(d, "expires_in", json_integer(t->expires_in));
    json_object_set_new(d, "token_type", json_string("Bearer"));
    json_object_set_new(d, "user_id", json_string(who->subject));
    json_object_set_new(d, "permissions", perm_array(who->perms));
    return d;
}

/* A limit of its own for one purpose (login attempts, key generation) per client address. */
static int purpose_limit(req *r, const char *purpose, unsigned limit, unsigned window)
{
    char key[200];
    rl_result res;
    snprintf(key, sizeof key, "%s:ip:%s", purpose, r->client_ip);
    rl_take(r->srv->rl, key, limit, window, &res);
    if (res.allowed)
        return 0;
    metrics_ratelimited(r->srv->metrics, purpose);
    r->rl = res;
    r->rl_set = 1;
    char lim[24];
    snprintf(lim, sizeof lim, "%u", limit);
    return req_fail(r, AE_RATE_LIMITED, lim, window == 3600 ? "hour" : "5 minutes");
}

int h_login(req *r)
{
    static const char *const allowed[] = {"username", "password", "quantum_enabled", NULL};
    const char *user, *pass;
    int quantum = 0;
    if (req_body_object(r, allowed) || req_string(r, r->json, "username", 1, &user) ||
        req_string(r, r->json, "password", 1, &pass) ||
        req_bool(r, r->json, "quantum_enabled", &quantum))
        return r->status;
    /* quantum_enabled asks for quantum-resistant tokens: those are what a server configured
     * with an ML-DSA jwt.algorithm issues to everyone; an HS256 server says how to get them
     * (a symmetric MAC is not broken by quantum computers either, but it is not what the
     * client asked for: a signature a third party can verify) */
    if (quantum && strncmp(r->srv->cfg.jwt.algorithm, "ML-DSA", 6) != 0)
        return req_failf(r, AE_BAD_REQUEST,
                         "quantum_enabled: this server signs tokens with %s; ML-DSA-signed tokens "
                         "need jwt.algorithm = \"ML-DSA-65\" or \"ML-DSA-87\" (docs/authentication.md)",
                         r->srv->cfg.jwt.algorithm);
    if (purpose_limit(r, "login", AUTH_LOGIN_ATTEMPTS, AUTH_LOGIN_WINDOW))
        return r->status;
    identity who;
    if (auth_user_verify(r->srv->auth, user, pass, &who) != 0) {
        metrics_auth(r->srv->metrics, 0);
        srvlog_msg(&r->srv->log, SRVLOG_WARN, r->request_id, "failed login for \"%s\" from %s",
                   user, r->client_ip);
        return req_fail(r, AE_UNAUTHORIZED, "Invalid username or password", NULL);
    }
    metrics_auth(r->srv->metrics, 1);
    auth_tokens t = {0};
    char err[256];
    if (auth_login_tokens(r->srv->auth, &who, &r->srv->jwt, &t, err, sizeof err) != 0)
        return req_fail(r, AE_INTERNAL, err, NULL);
    json_t *d = tokens_json(&t, &who);
    free(t.access_token);
    return req_ok(r, 200, d, "Login successful");
}

int h_refresh(req *r)
{
    static const char *const allowed[] = {"refresh_token", NULL};
    const char *rt;
    if (req_body_object(r, allowed) || req_string(r, r->json, "refresh_token", 1, &rt))
        return r->status;
    auth_tokens t = {0};
    char err[256];
    if (auth_refresh(r->srv->auth, rt, &r->srv->jwt, &t, err, sizeof err) != 0) {
        metrics_auth(r->srv->metrics, 0);
        return req_failf(r, AE_UNAUTHORIZED, "Invalid refresh token: %s", err);
    }
    identity who;
    char e2[200];
    json_t *d;
    if (auth_jwt_check(r->srv->auth, t.access_token, &r->srv->jwt, &who, e2, sizeof e2) == 0) {
        d = tokens_json(&t, &who);
    } else { /* cannot happen for a token just issued, but never answer half a body */
        free(t.access_token);
        return req_failf(r, AE_INTERNAL, "issued token does not verify: %s", e2);
    }
    free(t.access_token);
    return req_ok(r, 200, d, "Token refreshed successfully");
}

int h_logout(req *r)
{
    static const char *const allowed[] = {"refresh_token", NULL};
    const char *rt = NULL;
    if (r->json && (req_body_object(r, allowed) || req_string(r, r->json, "refresh_token", 0, &rt)))
        return r->status;
    if (r->who.kind != ID_JWT && !rt)
        return req_fail(r, AE_BAD_REQUEST,
                        "logout ends a login session: send the access token as Authorization: "
                        "Bearer and/or a refresh_token (API keys are revoked with "
                        "/api/v1/auth/revoke-key)",
                        NULL);
    int rc = auth_logout(r->srv->auth, rt, r->who.kind == ID_JWT ? &r->who : NULL);
    if (rc == NQ_ENOTFOUND)
        return req_fail(r, AE_NOT_FOUND, "refresh token not found", NULL);
    if (rc != 0)
        return req_fail(r, AE_INTERNAL, nq_strerror(rc), NULL);
    return req_ok(r, 200, json_string("Logged out"), "Logged out");
}

int h_generate_key(req *r)
{
    static const char *const allowed[] = {"name", "permissions", "expiry_hours",
                                          "rate_limit_per_hour", NULL};
    const char *name;
    json_t *perms;
    uint64_t expiry = 0, rate = 0;
    if (req_body_object(r, allowed) || req_string(r, r->json, "name", 1, &name) ||
        req_array(r, r->json, "permissions", 1, &perms) ||
        req_uint(r, r->json, "expiry_hours", 0, 24u * 365 * 100, &expiry) ||
        req_uint(r, r->json, "rate_limit_per_hour", 0, UINT32_MAX, &rate))
        return r->status;
    unsigned bits = 0;
    for (size_t i = 0; i < json_array_size(perms); i++) {
        json_t *p = json_array_get(perms, i);
        unsigned b = json_is_string(p) ? perm_parse(json_string_value(p)) : 0;
        if (!b)
            return req_failf(r, AE_BAD_REQUEST,
                             "Invalid permission: %s. Valid permissions are: [\"admin\", "
                             "\"neuromorphic\", \"quantum\", \"dna\", \"read\", \"write\"]",
                             json_is_string(p) ? json_string_value(p) : "(not a string)");
        bits |= b;
    }
    if (!bits)
        return req_fail(r, AE_VALIDATION, "permissions", "at least one permission is required");
    if (purpose_limit(r, "keygen", r->srv->cfg.rate_limit.key_generation_per_hour, 3600))
        return r->status;
    char key[40], err[256];
    auth_key_info info;
    int rc = auth_key_create(r->srv->auth, name, bits, (uint32_t)expiry, (uint32_t)rate, key,
                             &info, err, sizeof err);
    if (rc == NQ_EINVAL)
        return req_fail(r, AE_VALIDATION, "name", err);
    if (rc != 0)
        return req_fail(r, AE_INTERNAL, err, NULL);
    char created[40], expires[40];
    rfc3339(info.created_at, created);
    rfc3339(info.expires_at, expires);
    srvlog_msg(&r->srv->log, SRVLOG_INFO, r->request_id, "API key %s (\"%s\") created by %s",
               info.id, info.name, r->who.name);
    json_t *d = json_object();
    json_object_set_new(d, "api_key", json_string(key));
    json_object_set_new(d, "key_id", json_string(info.id));
    json_object_set_new(d, "name", json_string(info.name));
    json_object_set_new(d, "permissions", perm_array(info.perms));
    json_object_set_new(d, "expires_at", json_string(expires));
    json_object_set_new(d, "created_at", json_string(created));
    json_object_set_new(d, "rate_limit_per_hour",
                        info.rate_limit_per_hour ? json_integer(info.rate_limit_per_hour) : json_null());
    json_object_set_new(d, "warning",
                        json_string("Store this API key securely. It will not be shown again!"));
    memset(key, 0, sizeof key);
    return req_ok(r, 200, d, "API key generated successfully");
}

int h_revoke_key(req *r)
{
    static const char *const allowed[] = {"api_key", NULL};
    const char *key;
    if (req_body_object(r, allowed) || req_string(r, r->json, "api_key", 1, &key))
        return r->status;
    char by[120], err[256];
    snprintf(by, sizeof by, "api:%s", r->who.name);
    int rc = auth_key_revoke(r->srv->auth, key, by, err, sizeof err);
    if (rc == NQ_ENOTFOUND)
        return req_fail(r, AE_NOT_FOUND, "API key not found", NULL);
    if (rc != 0)
        return req_fail(r, AE_INTERNAL, err, NULL);
    srvlog_msg(&r->srv->log, SRVLOG_INFO, r->request_id, "API key revoked by %s", r->who.name);
    return req_ok(r, 200, json_string("API key revoked successfully"), "API key revoked");
}
