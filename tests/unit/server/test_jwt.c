/*
 * test_jwt.c — HS256 access tokens (jwt_hs256.c): a round trip keeps every claim; expiry with
 * its 60 s leeway; a token from the future; tampered header, payload or signature; alg "none"
 * and other HMAC algorithms signed with the right key; a wrong secret; issuer and audience
 * checks; missing or mistyped claims; oversized and malformed input.
 * Foreign tokens are made with libjwt directly, the way an attacker's library would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "jwt_hs256.h"
#include "nqdb.h"

static const unsigned char key[] = "an-hs256-test-secret-of-at-least-32-bytes";
#define KEYLEN (sizeof key - 1)
#define NOW 1800000000

__attribute__((noinline)) static char *make(unsigned perms, int64_t iat, int64_t exp, const char *iss, const char *aud)
{
    jwt_hs256_claims c;
    memset(&c, 0, sizeof c);
    strcpy(c.sub, "alice@example.com");
    strcpy(c.jti, "00112233445566778899aabbccddeeff");
    c.iat = iat;
    c.exp = exp;
    c.perms = perms;
    char *tok, err[128];
    assert_int_equal(jwt_hs256_encode(key, KEYLEN, &c, iss, aud, &tok, err, sizeof err), 0);
    return tok;
}

static int check(const char *tok, const char *iss, const char *aud, int64_t now, char *err)
{
    jwt_hs256_claims c;
    return jwt_hs256_decode(key, KEYLEN, tok, iss, aud, now, &c, err, 128);
}

static void test_round_trip(void **state)
{
    (void)state;
    char *tok = make(PERM_READ | PERM_DNA, NOW, NOW + 3600, "neuroquantum-db", "neuroquantum-api");
    assert_int_equal(strncmp(tok, "eyJ", 3), 0);
    jwt_hs256_claims c;
    char err[128];
    assert_int_equal(jwt_hs256_decode(key, KEYLEN, tok, "neuroquantum-db", "neuroquantum-api",
                                      NOW + 10, &c, err, sizeof err),
                     0);
    assert_string_equal(c.sub, "alice@example.com");
    assert_string_equal(c.jti, "00112233445566778899aabbccddeeff");
    assert_int_equal(c.iat, NOW);
    assert_int_equal(c.exp, NOW + 3600);
    assert_int_equal(c.perms, PERM_READ | PERM_DNA);

    /* the header says HS256/JWT, the payload has the permission names */
    jwt_t *j;
    assert_int_equal(jwt_decode(&j, tok, key, (int)KEYLEN), 0);
    assert_int_equal(jwt_get_alg(j), JWT_ALG_HS256);
    char *p = jwt_get_grants_json(j, "permissions");
    assert_string_equal(p, "[\"dna\",\"read\"]");
    free(p);
    assert_string_equal(jwt_get_grant(j, "iss"), "neuroquantum-db");
    assert_string_equal(jwt_get_grant(j, "aud"), "neuroquantum-api");
    jwt_free(j);
    free(tok);
}

static void test_expiry(void **state)
{
    (void)state;
    char err[128];
    char *tok = make(PERM_READ, NOW, NOW + 100, NULL, NULL);
    assert_int_equal(check(tok, NULL, NULL, NOW + 100 + JWT_HS256_LEEWAY - 1, err), 0);
    assert_int_equal(check(tok, NULL, NULL, NOW + 100 + JWT_HS256_LEEWAY, err), NQ_EINVAL);
    assert_string_equal(err, "token expired");
    free(tok);
    /* issued in the future (beyond the leeway) */
    tok = make(PERM_READ, NOW + 1000, NOW + 5000, NULL, NULL);
    assert_int_equal(check(tok, NULL, NULL, NOW, err), NQ_EINVAL);
    assert_string_equal(err, "token issued in the future");
    assert_int_equal(check(tok, NULL, NULL, NOW + 1000 - JWT_HS256_LEEWAY, err), 0);
    free(tok);
}

static void flip(char *tok, size_t pos)
{
    tok[pos] = tok[pos] == 'A' ? 'B' : 'A';
}

static void test_tampered(void **state)
{
    (void)state;
    char err[128];
    char *tok = make(PERM_READ, NOW, NOW + 3600, NULL, NULL);
    size_t n = strlen(tok);
    const char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    size_t positions[] = {1, (size_t)(dot1 - tok) + 5, (size_t)(dot2 - tok) + 3, n - 2};
    for (size_t i = 0; i < 4; i++) {
        char *t = strdup(tok);
        flip(t, positions[i]);
        assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
        free(t);
    }
    /* a payload granting admin, re-encoded but with the old signature */
    jwt_t *j;
    jwt_new(&j);
    jwt_add_grant(j, "sub", "alice@example.com");
    jwt_add_grant(j, "jti", "00112233445566778899aabbccddeeff");
    jwt_add_grant_int(j, "iat", NOW);
    jwt_add_grant_int(j, "exp", NOW + 3600);
    jwt_add_grants_json(j, "{\"permissions\":[\"admin\"]}");
    jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)"another-secret-another-secret-xx", 32);
    char *forged = jwt_encode_str(j);
    jwt_free(j);
    const char *fd1 = strchr(forged, '.'), *fd2 = strrchr(forged, '.');
    char spliced[4096];
    snprintf(spliced, sizeof spliced, "%.*s%s", (int)(fd2 - forged), forged, dot2);
    (void)fd1;
    assert_int_equal(check(spliced, NULL, NULL, NOW, err), NQ_EINVAL);
    /* the forged token as it is: wrong secret */
    assert_int_equal(check(forged, NULL, NULL, NOW, err), NQ_EINVAL);
    assert_string_equal(err, "invalid token (malformed, or bad signature)");
    free(forged);
    free(tok);
}

static char *foreign(jwt_alg_t alg, const unsigned char *k, int klen, const char *extra_json,
                     int with_exp)
{
    jwt_t *j;
    jwt_new(&j);
    jwt_add_grant(j, "sub", "alice@example.com");
    jwt_add_grant(j, "jti", "00112233445566778899aabbccddeeff");
    jwt_add_grant_int(j, "iat", NOW);
    if (with_exp)
        jwt_add_grant_int(j, "exp", NOW + 3600);
    jwt_add_grants_json(j, extra_json ? extra_json : "{\"permissions\":[\"admin\"]}");
    jwt_set_alg(j, alg, k, klen);
    char *t = jwt_encode_str(j);
    jwt_free(j);
    assert_non_null(t);
    return t;
}

static void test_algorithms(void **state)
{
    (void)state;
    char err[128];
    /* alg none: no signature at all */
    char *t = foreign(JWT_ALG_NONE, NULL, 0, NULL, 1);
    assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
    free(t);
    /* alg none spelled by hand, with a trailing signature of the real key's shape */
    const char *hand = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                       "eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxLCJqdGkiOiIwMCJ9.";
    assert_int_equal(check(hand, NULL, NULL, NOW, err), NQ_EINVAL);
    /* HS384 and HS512 with the right key: valid signatures, wrong algorithm */
    t = foreign(JWT_ALG_HS384, key, (int)KEYLEN, NULL, 1);
    assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
    assert_string_equal(err, "token algorithm must be HS256");
    free(t);
    t = foreign(JWT_ALG_HS512, key, (int)KEYLEN, NULL, 1);
    assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
    free(t);
    /* the same claims with HS256 and the right key pass: the refusals above are the alg's */
    t = foreign(JWT_ALG_HS256, key, (int)KEYLEN, NULL, 1);
    jwt_hs256_claims c;
    assert_int_equal(jwt_hs256_decode(key, KEYLEN, t, NULL, NULL, NOW, &c, err, sizeof err), 0);
    assert_int_equal(c.perms, PERM_ADMIN);
    free(t);
}

static void test_claims(void **state)
{
    (void)state;
    char err[128];
    /* issuer and audience */
    char *t = make(PERM_READ, NOW, NOW + 3600, "neuroquantum-db", "neuroquantum-api");
    assert_int_equal(check(t, "neuroquantum-db", "other-api", NOW, err), NQ_EINVAL);
    assert_string_equal(err, "token audience mismatch");
    assert_int_equal(check(t, "someone-else", "neuroquantum-api", NOW, err), NQ_EINVAL);
    assert_string_equal(err, "token issuer mismatch");
    assert_int_equal(check(t, NULL, "", NOW, err), 0); /* not configured: not checked */
    free(t);
    t = make(PERM_READ, NOW, NOW + 3600, NULL, NULL); /* a token without aud */
    assert_int_equal(check(t, NULL, "neuroquantum-api", NOW, err), NQ_EINVAL);
    free(t);
    /* no exp */
    t = foreign(JWT_ALG_HS256, key, (int)KEYLEN, NULL, 0);
    assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
    assert_string_equal(err, "token lacks exp or iat");
    free(t);
    /* exp of the wrong type */
    t = foreign(JWT_ALG_HS256, key, (int)KEYLEN, "{\"exp\":\"9999999999\"}", 0);
    assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
    free(t);
    /* permissions not an array */
    t = foreign(JWT_ALG_HS256, key, (int)KEYLEN, "{\"permissions\":\"admin\"}", 1);
    assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
    free(t);
    /* unknown permission names are ignored, known ones kept */
    t = foreign(JWT_ALG_HS256, key, (int)KEYLEN,
                "{\"permissions\":[\"root\",\"write\",7,\"quantum_authenticated\"]}", 1);
    jwt_hs256_claims c;
    assert_int_equal(jwt_hs256_decode(key, KEYLEN, t, NULL, NULL, NOW, &c, err, sizeof err), 0);
    assert_int_equal(c.perms, PERM_WRITE);
    free(t);
    /* sub too long for the identity */
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    jwt_t *j;
    jwt_new(&j);
    jwt_add_grant(j, "sub", big);
    jwt_add_grant(j, "jti", "00112233445566778899aabbccddeeff");
    jwt_add_grant_int(j, "iat", NOW);
    jwt_add_grant_int(j, "exp", NOW + 3600);
    jwt_set_alg(j, JWT_ALG_HS256, key, (int)KEYLEN);
    t = jwt_encode_str(j);
    jwt_free(j);
    assert_int_equal(check(t, NULL, NULL, NOW, err), NQ_EINVAL);
    free(t);
}

static void test_bad_input(void **state)
{
    (void)state;
    char err[128];
    const char *bad[] = {"", "a", "a.b", "a.b.c", "...", "eyJ.eyJ.", "not a token at all",
                         "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(check(bad[i], NULL, NULL, NOW, err), NQ_EINVAL);
    assert_int_equal(check(NULL, NULL, NULL, NOW, err), NQ_EINVAL);
    char *huge = malloc(JWT_HS256_MAX_TOKEN + 2);
    memset(huge, 'e', JWT_HS256_MAX_TOKEN + 1);
    huge[JWT_HS256_MAX_TOKEN + 1] = '\0';
    assert_int_equal(check(huge, NULL, NULL, NOW, err), NQ_EINVAL);
    free(huge);
    /* no key */
    jwt_hs256_claims c;
    char *t = make(PERM_READ, NOW, NOW + 10, NULL, NULL);
    assert_int_equal(jwt_hs256_decode(key, 0, t, NULL, NULL, NOW, &c, err, sizeof err), NQ_EINVAL);
    free(t);
    memset(&c, 0, sizeof c);
    char *out;
    assert_int_equal(jwt_hs256_encode(key, KEYLEN, &c, NULL, NULL, &out, err, sizeof err),
                     NQ_EINVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_tampered),   cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_claims),     cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
