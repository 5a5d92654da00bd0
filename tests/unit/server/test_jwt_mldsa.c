/*
 * test_jwt_mldsa.c — ML-DSA-signed JWTs (jwt_mldsa.c), their key files (auth_store.c) and
 * their use by the credential store (auth_tokens.c):
 *   - base64url: canonical unpadded text only;
 *   - round trips at ML-DSA-65 and -87 (claims, header bytes, signature length);
 *   - refusals: tampered header, payload and signature (single bits and re-encoded parts),
 *     truncated and padded signatures, a non-canonical signature encoding, the wrong alg
 *     (HS256 / none / the other level / missing, even when correctly ML-DSA-signed), typ and
 *     crit, the wrong key, malformed shapes, oversize tokens; claims still checked (expiry,
 *     issuer); an HS256 token is refused by the ML-DSA verifier and vice versa;
 *   - key files: created with modes 600/644, the same key on reload, a foreign or damaged
 *     .pub/.key refused, a .pub without its .key refused, create-only refusing existing keys;
 *   - the store with jwt.algorithm ML-DSA-65: login, check, refresh, logout revocation, and the
 *     HS256 token of the same user refused.
 * Keys come from fixed seeds (mldsa_keygen_internal): deterministic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "jwt_hs256.h"
#include "jwt_mldsa.h"
#include "mldsa.h"
#include "nqdb.h"
#include "testfiles.h"

static const int64_t NOW = 1800000000;

typedef struct keypair {
    int level;
    uint8_t pk[MLDSA_PK_MAX], sk[MLDSA_SK_MAX];
    size_t pklen, sklen;
} keypair;

static void make_keys(keypair *k, int level, uint8_t seedbyte)
{
    uint8_t seed[MLDSA_SEED_BYTES];
    memset(seed, seedbyte, sizeof seed);
    k->level = level;
    k->pklen = mldsa_pk_bytes(level);
    k->sklen = mldsa_sk_bytes(level);
    assert_int_equal(mldsa_keygen_internal(level, seed, k->pk, k->sk), 0);
}

static void claims(jwt_hs256_claims *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->sub, sizeof c->sub, "alice");
    snprintf(c->jti, sizeof c->jti, "00112233445566778899aabbccddeeff");
    c->iat = NOW;
    c->exp = NOW + 3600;
    c->perms = PERM_READ | PERM_WRITE;
}

static char *issue(const keypair *k)
{
    jwt_hs256_claims c;
    claims(&c);
    char *tok, err[200];
    if (jwt_mldsa_encode(k->level, k->sk, k->sklen, &c, "iss", "aud", &tok, err, sizeof err))
        fail_msg("encode: %s", err);
    return tok;
}

/* decode and return the rc; the reason in err */
static int verify(const keypair *k, const char *tok, char *err, size_t errlen)
{
    jwt_hs256_claims out;
    int rc = jwt_mldsa_decode(k->level, k->pk, k->pklen, tok, "iss", "aud", NOW, &out, err, errlen);
    if (rc) {
        jwt_hs256_claims zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&out, &zero, sizeof out); /* nothing leaks out of a refusal */
    }
    return rc;
}

/* tok is refused by k's verifier; why (NULL: any reason) is part of the reason */
static void refused_at(int line, const keypair *k, const char *tok, const char *why)
{
    char e[200];
    int rc = verify(k, tok, e, sizeof e);
    if (rc != NQ_EINVAL)
        fail_msg("line %d: rc %d, want a refusal", line, rc);
    if (why && !strstr(e, why))
        fail_msg("line %d: want \"%s\", got \"%s\"", line, why, e);
}
#define REFUSED(k, tok, why) refused_at(__LINE__, (k), (tok), (why))

/* A token with the given header and payload JSON, ML-DSA-signed (correctly) by k. */
static char *forge(const keypair *k, const char *header, const char *payload)
{
    size_t cap = 20000;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t o = jwt_b64url_encode((const uint8_t *)header, strlen(header), t, cap);
    t[o++] = '.';
    o += jwt_b64url_encode((const uint8_t *)payload, strlen(payload), t + o, cap - o);
    uint8_t sig[MLDSA_SIG_MAX];
    assert_int_equal(mldsa_sign_ex(k->level, k->sk, k->sklen, (const uint8_t *)t, o, NULL, 0,
                                   NULL, sig),
                     0);
    t[o++] = '.';
    jwt_b64url_encode(sig, mldsa_sig_bytes(k->level), t + o, cap - o);
    return t;
}

static const char PAYLOAD[] =
    "{\"sub\":\"alice\",\"jti\":\"00112233445566778899aabbccddeeff\",\"iat\":1800000000,"
    "\"exp\":1800003600,\"iss\":\"iss\",\"aud\":\"aud\",\"permissions\":[\"read\"]}";

/* ---- base64url ---------------------------------------------------------------------------- */

static void test_b64url(void **state)
{
    (void)state;
    char out[16];
    uint8_t b[16];
    assert_int_equal(jwt_b64url_encode((const uint8_t *)"A", 1, out, sizeof out), 2);
    assert_string_equal(out, "QQ");
    assert_int_equal(jwt_b64url_encode((const uint8_t *)"\xfb\xff", 2, out, sizeof out), 3);
    assert_string_equal(out, "-_8");
    assert_int_equal(jwt_b64url_encode((const uint8_t *)"abc", 3, out, 4), 0); /* no room */
    assert_int_equal(jwt_b64url_decode("QQ", 2, b, sizeof b), 1);
    assert_int_equal(b[0], 'A');
    assert_int_equal(jwt_b64url_decode("-_8", 3, b, sizeof b), 2);
    assert_int_equal(b[0], 0xfb);
    assert_int_equal(jwt_b64url_decode("", 0, b, sizeof b), 0);
    assert_int_equal(jwt_b64url_decode("QR", 2, b, sizeof b), -1);   /* unused bits set */
    assert_int_equal(jwt_b64url_decode("QQ==", 4, b, sizeof b), -1); /* padding */
    assert_int_equal(jwt_b64url_decode("Q", 1, b, sizeof b), -1);    /* impossible length */
    assert_int_equal(jwt_b64url_decode("+/8", 3, b, sizeof b), -1);  /* standard alphabet */
    assert_int_equal(jwt_b64url_decode("Q Q", 3, b, sizeof b), -1);
    assert_int_equal(jwt_b64url_decode("QUJD", 4, b, 2), -1); /* does not fit */
}

/* ---- round trips and refusals ------------------------------------------------------------ */

static void round_trip(int level)
{
    keypair k;
    make_keys(&k, level, 7);
    jwt_hs256_claims c, out;
    claims(&c);
    snprintf(c.amr, sizeof c.amr, "eeg");
    c.perms = PERM_ALL;
    char *tok, err[200];
    assert_int_equal(jwt_mldsa_encode(level, k.sk, k.sklen, &c, "iss", "aud", &tok, err, sizeof err),
                     0);
    assert_int_equal(jwt_mldsa_decode(level, k.pk, k.pklen, tok, "iss", "aud", NOW, &out, err,
                                      sizeof err),
                     0);
    assert_string_equal(out.sub, "alice");
    assert_string_equal(out.jti, c.jti);
    assert_int_equal(out.iat, c.iat);
    assert_int_equal(out.exp, c.exp);
    assert_int_equal(out.perms, PERM_ALL);
    assert_string_equal(out.amr, "eeg");
    /* the header, exactly; the signature's length */
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    uint8_t buf[8192];
    long n = jwt_b64url_decode(tok, (size_t)(d1 - tok), buf, sizeof buf);
    assert_true(n > 0);
    buf[n] = 0;
    char want[64];
    snprintf(want, sizeof want, "{\"alg\":\"ML-DSA-%d\",\"typ\":\"JWT\"}", level);
    assert_string_equal((char *)buf, want);
    assert_int_equal(jwt_b64url_decode(d2 + 1, strlen(d2 + 1), buf, sizeof buf),
                     (long)mldsa_sig_bytes(level));
    /* hedged: a second token of the same claims has another signature, and verifies too */
    char *tok2;
    assert_int_equal(jwt_mldsa_encode(level, k.sk, k.sklen, &c, "iss", "aud", &tok2, err, sizeof err),
                     0);
    assert_string_not_equal(tok, tok2);
    assert_int_equal(verify(&k, tok2, err, sizeof err), 0);
    /* iss/aud left out when empty */
    free(tok2);
    assert_int_equal(jwt_mldsa_encode(level, k.sk, k.sklen, &c, "", NULL, &tok2, err, sizeof err), 0);
    assert_int_equal(jwt_mldsa_decode(level, k.pk, k.pklen, tok2, NULL, NULL, NOW, &out, err,
                                      sizeof err),
                     0);
    REFUSED(&k, tok2, "issuer mismatch");
    free(tok2);
    free(tok);
}

static void test_round_trip_65(void **state)
{
    (void)state;
    round_trip(65);
}

static void test_round_trip_87(void **state)
{
    (void)state;
    round_trip(87);
}

static void test_tampering(void **state)
{
    (void)state;
    keypair k;
    make_keys(&k, 65, 1);
    char *tok = issue(&k);
    char err[200];
    assert_int_equal(verify(&k, tok, err, sizeof err), 0);
    size_t n = strlen(tok);
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    size_t i1 = (size_t)(d1 - tok), i2 = (size_t)(d2 - tok);
    char *t = malloc(n + 16);
    /* one changed character anywhere: header, payload, signature (every 7th position) */
    for (size_t i = 0; i < n; i += (i < i2 ? 1 : 7)) {
        if (tok[i] == '.')
            continue;
        memcpy(t, tok, n + 1);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        REFUSED(&k, t, NULL);
    }
    /* re-encoded payload with another subject, the original signature: bad signature */
    char *other = forge(&k, "{\"alg\":\"ML-DSA-65\",\"typ\":\"JWT\"}",
                        "{\"sub\":\"mallory\",\"jti\":\"00112233445566778899aabbccddeeff\","
                        "\"iat\":1800000000,\"exp\":1800003600,\"iss\":\"iss\",\"aud\":\"aud\"}");
    const char *od2 = strrchr(other, '.');
    snprintf(t, n + 16, "%.*s%s", (int)(od2 - other), other, d2); /* other's input, tok's sig */
    REFUSED(&k, t, "invalid token signature");
    free(other);
    /* another header (extra member) over the same payload and signature */
    char h[80];
    size_t hl = jwt_b64url_encode((const uint8_t *)"{\"alg\":\"ML-DSA-65\",\"typ\":\"JWT\",\"kid\":\"1\"}",
                                  41, h, sizeof h);
    assert_true(hl > 0);
    char *t2 = malloc(n + 64);
    snprintf(t2, n + 64, "%s%s", h, d1);
    REFUSED(&k, t2, "invalid token signature");
    free(t2);
    /* truncated signature: four characters (three bytes) less, then one less */
    memcpy(t, tok, n + 1);
    t[n - 4] = '\0';
    REFUSED(&k, t, "invalid token signature length");
    memcpy(t, tok, n + 1);
    t[n - 1] = '\0';
    REFUSED(&k, t, NULL);
    /* a signature with three bytes more; with '=' padding */
    snprintf(t, n + 16, "%sAAAA", tok);
    REFUSED(&k, t, "invalid token signature length");
    snprintf(t, n + 16, "%s=", tok);
    REFUSED(&k, t, "invalid token signature encoding");
    /* the signature alone removed / the payload emptied */
    snprintf(t, n + 16, "%.*s.", (int)i2, tok);
    REFUSED(&k, t, "three parts");
    snprintf(t, n + 16, "%.*s.%s", (int)i1, tok, d2);
    REFUSED(&k, t, "three parts");
    free(t);
    free(tok);
}

static void test_noncanonical_signature(void **state)
{
    (void)state;
    keypair k; /* 4627 bytes: the last character carries 4 unused bits */
    make_keys(&k, 87, 2);
    char *tok = issue(&k);
    char err[200];
    assert_int_equal(verify(&k, tok, err, sizeof err), 0);
    size_t n = strlen(tok);
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alpha, tok[n - 1]) - alpha);
    assert_int_equal(v & 15, 0);
    tok[n - 1] = alpha[v | 1]; /* the same bytes, another text */
    REFUSED(&k, tok, "invalid token signature encoding");
    free(tok);
}

static void test_wrong_alg(void **state)
{
    (void)state;
    keypair k, k87;
    make_keys(&k, 65, 3);
    make_keys(&k87, 87, 3);
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",     "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"ML-DSA-87\",\"typ\":\"JWT\"}", "{\"alg\":\"ml-dsa-65\",\"typ\":\"JWT\"}",
        "{\"typ\":\"JWT\"}",                       "{\"alg\":65}",
        "{\"alg\":\"ML-DSA-65\",\"alg\":\"ML-DSA-65\"}", "[\"ML-DSA-65\"]",
    };
    for (unsigned j = 0; j < sizeof headers / sizeof headers[0]; j++) {
        char *t = forge(&k, headers[j], PAYLOAD); /* correctly signed by the right key */
        REFUSED(&k, t, j < 6 ? "token algorithm must be ML-DSA-65" : "invalid token header");
        free(t);
    }
    char *t = forge(&k, "{\"alg\":\"ML-DSA-65\",\"typ\":\"JOSE\"}", PAYLOAD);
    REFUSED(&k, t, "token type must be JWT");
    free(t);
    t = forge(&k, "{\"alg\":\"ML-DSA-65\",\"crit\":[\"exp\"],\"exp\":1}", PAYLOAD);
    REFUSED(&k, t, "crit");
    free(t);
    t = forge(&k, "{\"alg\":\"ML-DSA-65\"}", PAYLOAD); /* typ may be absent */
    char err[200];
    assert_int_equal(verify(&k, t, err, sizeof err), 0);
    free(t);
    /* alg none with an empty signature */
    char h[64], p[512], none[700];
    jwt_b64url_encode((const uint8_t *)"{\"alg\":\"none\"}", 14, h, sizeof h);
    jwt_b64url_encode((const uint8_t *)PAYLOAD, strlen(PAYLOAD), p, sizeof p);
    snprintf(none, sizeof none, "%s.%s.", h, p);
    REFUSED(&k, none, NULL);
    snprintf(none, sizeof none, "%s.%s", h, p);
    REFUSED(&k, none, NULL);
    /* an ML-DSA-87 token to the ML-DSA-65 verifier, and the reverse */
    char *t87 = issue(&k87);
    REFUSED(&k, t87, "token algorithm must be ML-DSA-65");
    char *t65 = issue(&k);
    REFUSED(&k87, t65, "token algorithm must be ML-DSA-87");
    free(t87);
    /* HS256 tokens are refused by the ML-DSA verifier, ML-DSA tokens by the HS256 one */
    static const unsigned char secret[] = "0123456789abcdef0123456789abcdef-secret";
    jwt_hs256_claims c, out;
    claims(&c);
    char *hs;
    assert_int_equal(jwt_hs256_encode(secret, sizeof secret - 1, &c, "iss", "aud", &hs, err,
                                      sizeof err),
                     0);
    REFUSED(&k, hs, "token algorithm must be ML-DSA-65");
    assert_int_equal(jwt_hs256_decode(secret, sizeof secret - 1, t65, "iss", "aud", NOW, &out, err,
                                      sizeof err),
                     NQ_EINVAL);
    assert_string_equal(err, "token algorithm must be HS256");
    free(hs);
    free(t65);
}

static void test_wrong_key_and_claims(void **state)
{
    (void)state;
    keypair k, other;
    make_keys(&k, 65, 4);
    make_keys(&other, 65, 5);
    char *tok = issue(&k);
    REFUSED(&other, tok, "invalid token signature");
    char err[200];
    jwt_hs256_claims out;
    /* a public key of the wrong size */
    assert_int_equal(jwt_mldsa_decode(65, k.pk, k.pklen - 1, tok, NULL, NULL, NOW, &out, err,
                                      sizeof err),
                     NQ_EINVAL);
    /* the claims are checked after the signature: expiry, issuer, audience */
    assert_int_equal(jwt_mldsa_decode(65, k.pk, k.pklen, tok, "iss", "aud", NOW + 3600 + 60, &out,
                                      err, sizeof err),
                     NQ_EINVAL);
    assert_string_equal(err, "token expired");
    assert_int_equal(jwt_mldsa_decode(65, k.pk, k.pklen, tok, "other", "aud", NOW, &out, err,
                                      sizeof err),
                     NQ_EINVAL);
    assert_string_equal(err, "token issuer mismatch");
    assert_int_equal(jwt_mldsa_decode(65, k.pk, k.pklen, tok, "iss", "other", NOW, &out, err,
                                      sizeof err),
                     NQ_EINVAL);
    assert_string_equal(err, "token audience mismatch");
    /* signed claims of the wrong types */
    char *t = forge(&k, "{\"alg\":\"ML-DSA-65\"}", "{\"sub\":\"alice\",\"jti\":\"x\",\"iat\":\"now\",\"exp\":1}");
    REFUSED(&k, t, "token lacks exp or iat");
    free(t);
    t = forge(&k, "{\"alg\":\"ML-DSA-65\"}", "not json");
    REFUSED(&k, t, "invalid token claims");
    free(t);
    /* bad arguments */
    assert_int_equal(jwt_mldsa_decode(44, k.pk, k.pklen, tok, NULL, NULL, NOW, &out, err, sizeof err),
                     NQ_EINVAL);
    char *o;
    jwt_hs256_claims c;
    claims(&c);
    assert_int_equal(jwt_mldsa_encode(65, k.sk, k.sklen - 1, &c, NULL, NULL, &o, err, sizeof err),
                     NQ_EINVAL);
    assert_null(o);
    c.sub[0] = '\0';
    assert_int_equal(jwt_mldsa_encode(65, k.sk, k.sklen, &c, NULL, NULL, &o, err, sizeof err),
                     NQ_EINVAL);
    free(tok);
}

static void test_malformed(void **state)
{
    (void)state;
    keypair k;
    make_keys(&k, 65, 6);
    static const char *const bad[] = {"", ".", "..", "...", "a.b", "a.b.c.d", "a..c", ".b.c",
                                      "a.b.", "eyJhbGciOiJNTC1EU0EtNjUifQ.e30.AAAA", "x.y.z"};
    for (unsigned j = 0; j < sizeof bad / sizeof bad[0]; j++)
        REFUSED(&k, bad[j], NULL);
    REFUSED(&k, NULL, NULL);
    char *big = malloc(JWT_MLDSA_MAX_TOKEN + 2);
    memset(big, 'A', JWT_MLDSA_MAX_TOKEN + 1);
    big[100] = big[200] = '.';
    big[JWT_MLDSA_MAX_TOKEN + 1] = '\0';
    REFUSED(&k, big, "invalid token");
    free(big);
}

/* ---- key files ---------------------------------------------------------------------------- */

static char dir[64];

static int setup(void **state)
{
    (void)state;
    static int n;
    snprintf(dir, sizeof dir, "jwtmldsa-%d-%d", (int)getpid(), n++);
    tf_rm_rf(dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tf_rm_rf(dir);
    return 0;
}

static void file_path(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *p, size_t n)
{
    char path[128];
    file_path(name, path, sizeof path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void test_key_files(void **state)
{
    (void)state;
    uint8_t *sk, *pk, *sk2, *pk2;
    size_t skl, pkl, skl2, pkl2;
    char err[300], path[128];
    /* nothing there: loading only is refused, saying how to make one */
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD, &sk, &skl, &pk, &pkl, err,
                                         sizeof err),
                     NQ_ENOTFOUND);
    assert_non_null(strstr(err, "generate-jwt-secret --algorithm ML-DSA-65"));
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_CREATE, &sk, &skl, &pk, &pkl, err,
                                         sizeof err),
                     0);
    assert_int_equal(skl, MLDSA65_SK_BYTES);
    assert_int_equal(pkl, MLDSA65_PK_BYTES);
    struct stat st;
    file_path("jwt-mldsa65.key", path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);
    file_path("jwt-mldsa65.pub", path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(st.st_size, MLDSA65_PK_BYTES);
    /* create-only refuses an existing pair; load and load-or-create give the same key */
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_CREATE, &sk2, &skl2, &pk2, &pkl2, err,
                                         sizeof err),
                     NQ_EEXIST);
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD_OR_CREATE, &sk2, &skl2, &pk2,
                                         &pkl2, err, sizeof err),
                     0);
    assert_memory_equal(sk, sk2, skl);
    assert_memory_equal(pk, pk2, pkl);
    free(sk2);
    free(pk2);
    /* a token signed with the loaded key verifies with the .pub file's bytes */
    keypair k = {.level = 65, .pklen = pkl, .sklen = skl};
    memcpy(k.sk, sk, skl);
    FILE *f = fopen(path, "rb");
    assert_int_equal(fread(k.pk, 1, pkl, f), pkl);
    fclose(f);
    char *tok = issue(&k);
    assert_int_equal(verify(&k, tok, err, sizeof err), 0);
    free(tok);
    /* the .pub removed: rewritten from the key */
    unlink(path);
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD, &sk2, &skl2, &pk2, &pkl2, err,
                                         sizeof err),
                     0);
    assert_memory_equal(pk, pk2, pkl);
    free(sk2);
    free(pk2);
    /* a foreign .pub: refused */
    keypair other;
    make_keys(&other, 65, 9);
    write_file("jwt-mldsa65.pub", other.pk, other.pklen);
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD_OR_CREATE, &sk2, &skl2, &pk2,
                                         &pkl2, err, sizeof err),
                     NQ_ECORRUPT);
    assert_non_null(strstr(err, "does not belong"));
    write_file("jwt-mldsa65.pub", pk, pkl - 1);
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD, &sk2, &skl2, &pk2, &pkl2, err,
                                         sizeof err),
                     NQ_ECORRUPT);
    /* a damaged key (wrong size): refused, never replaced */
    write_file("jwt-mldsa65.key", "short", 5);
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD_OR_CREATE, &sk2, &skl2, &pk2,
                                         &pkl2, err, sizeof err),
                     NQ_ECORRUPT);
    assert_non_null(strstr(err, "32 bytes"));
    /* a .pub without its key: refused rather than a new key made behind the verifiers' back */
    file_path("jwt-mldsa65.key", path, sizeof path);
    unlink(path);
    write_file("jwt-mldsa65.pub", pk, pkl);
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD_OR_CREATE, &sk2, &skl2, &pk2,
                                         &pkl2, err, sizeof err),
                     NQ_ENOTFOUND);
    /* ML-DSA-87 has files of its own; unknown levels are refused */
    assert_int_equal(auth_load_jwt_mldsa(dir, 87, AUTH_MLDSA_LOAD_OR_CREATE, &sk2, &skl2, &pk2,
                                         &pkl2, err, sizeof err),
                     0);
    assert_int_equal(skl2, MLDSA87_SK_BYTES);
    free(sk2);
    free(pk2);
    assert_int_equal(auth_load_jwt_mldsa(dir, 44, AUTH_MLDSA_LOAD_OR_CREATE, &sk2, &skl2, &pk2,
                                         &pkl2, err, sizeof err),
                     NQ_EINVAL);
    free(sk);
    free(pk);
}

/* ---- the store ---------------------------------------------------------------------------- */

static int64_t clock_fn(void *arg)
{
    (void)arg;
    return NOW;
}

static void test_store_tokens(void **state)
{
    (void)state;
    auth_store *s;
    char err[300];
    assert_int_equal(auth_open(dir, &s, err, sizeof err), 0);
    auth_set_clock(s, clock_fn, NULL);
    auth_set_argon2_params(s, 1, 64);
    assert_int_equal(auth_user_create(s, "alice", "password1", 0, err, sizeof err), 0);
    uint8_t *sk, *pk;
    size_t skl, pkl;
    assert_int_equal(auth_load_jwt_mldsa(dir, 65, AUTH_MLDSA_LOAD_OR_CREATE, &sk, &skl, &pk, &pkl,
                                         err, sizeof err),
                     0);
    static const unsigned char secret[] = "0123456789abcdef0123456789abcdef-secret";
    auth_jwt_config hs = {.secret = secret, .secret_len = sizeof secret - 1, .lifetime_s = 3600,
                          .refresh_lifetime_s = 7200, .issuer = "iss", .audience = "aud"};
    auth_jwt_config ml = hs;
    ml.mldsa_level = 65;
    ml.mldsa_sk = sk;
    ml.mldsa_sk_len = skl;
    ml.mldsa_pk = pk;
    ml.mldsa_pk_len = pkl;
    identity who, chk;
    assert_int_equal(auth_user_verify(s, "alice", "password1", &who), 0);
    auth_tokens t, t2, th;
    assert_int_equal(auth_login_tokens(s, &who, &ml, &t, err, sizeof err), 0);
    assert_non_null(strstr(t.access_token, "eyJhbGciOiJNTC1EU0EtNjUi")); /* {"alg":"ML-DSA-65" */
    assert_int_equal(auth_jwt_check(s, t.access_token, &ml, &chk, err, sizeof err), 0);
    assert_string_equal(chk.subject, "alice");
    assert_int_equal(chk.perms, PERM_READ | PERM_WRITE);
    /* alg confusion across configurations */
    assert_int_equal(auth_jwt_check(s, t.access_token, &hs, &chk, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_login_tokens(s, &who, &hs, &th, err, sizeof err), 0);
    assert_int_equal(auth_jwt_check(s, th.access_token, &ml, &chk, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "token algorithm must be ML-DSA-65");
    /* refresh issues an ML-DSA token too; logout revokes its jti */
    assert_int_equal(auth_refresh(s, t.refresh_token, &ml, &t2, err, sizeof err), 0);
    assert_int_equal(auth_jwt_check(s, t2.access_token, &ml, &chk, err, sizeof err), 0);
    assert_int_equal(auth_logout(s, t2.refresh_token, &chk), 0);
    assert_int_equal(auth_jwt_check(s, t2.access_token, &ml, &chk, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "token revoked (logged out)");
    /* auth_jwt_encode signs with the configured algorithm */
    jwt_hs256_claims c;
    claims(&c);
    char *enc;
    assert_int_equal(auth_jwt_encode(&ml, &c, &enc, err, sizeof err), 0);
    assert_int_equal(auth_jwt_check(s, enc, &ml, &chk, err, sizeof err), 0);
    free(enc);
    /* an ML-DSA configuration without keys is refused */
    ml.mldsa_pk = NULL;
    assert_int_equal(auth_jwt_check(s, t.access_token, &ml, &chk, err, sizeof err), NQ_EINVAL);
    free(t.access_token);
    free(t2.access_token);
    free(th.access_token);
    free(sk);
    free(pk);
    auth_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_round_trip_65),
        cmocka_unit_test(test_round_trip_87),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_noncanonical_signature),
        cmocka_unit_test(test_wrong_alg),
        cmocka_unit_test(test_wrong_key_and_claims),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tokens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
