/*
 * test_argon2.c — the password hashing of the credential store (auth_users.c) and the library
 * under it:
 *   - libargon2 against RFC 9106's Argon2id test vector (§5.3), through argon2_ctx with secret
 *     and associated data, and the same hash with any input byte changed differs;
 *   - auth_set_argon2 (the [passwords] keys): new hashes record the configured m, t, p in
 *     their PHC string; out-of-range parameters are refused; hashes made with other parameters
 *     still verify, and a successful login re-hashes them with the current ones (persisted
 *     across reopen), while a failed login changes nothing.
 * Parameters stay small (1 MiB, 1-2 passes) so the test is fast.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth_int.h"
#include "testfiles.h"

/* RFC 9106 §5.3: Argon2id, version 0x13, t=3, m=32 KiB, p=4, tag 32 bytes. */
static const char rfc9106_tag[] =
    "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";

static int rfc_hash(uint8_t out[32], const uint8_t pwd[32], const uint8_t salt[16],
                    const uint8_t secret[8], const uint8_t ad[12])
{
    uint8_t p[32], s[16], k[8], x[12];
    memcpy(p, pwd, 32);
    memcpy(s, salt, 16);
    memcpy(k, secret, 8);
    memcpy(x, ad, 12);
    argon2_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.out = out;
    ctx.outlen = 32;
    ctx.pwd = p;
    ctx.pwdlen = 32;
    ctx.salt = s;
    ctx.saltlen = 16;
    ctx.secret = k;
    ctx.secretlen = 8;
    ctx.ad = x;
    ctx.adlen = 12;
    ctx.t_cost = 3;
    ctx.m_cost = 32;
    ctx.lanes = 4;
    ctx.threads = 4;
    ctx.version = ARGON2_VERSION_13;
    ctx.flags = ARGON2_DEFAULT_FLAGS;
    return argon2_ctx(&ctx, Argon2_id);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_rfc9106_vector(void **state)
{
    (void)state;
    uint8_t pwd[32], salt[16], secret[8], ad[12], tag[32];
    char got[65];
    memset(pwd, 0x01, sizeof pwd);
    memset(salt, 0x02, sizeof salt);
    memset(secret, 0x03, sizeof secret);
    memset(ad, 0x04, sizeof ad);
    assert_int_equal(rfc_hash(tag, pwd, salt, secret, ad), ARGON2_OK);
    hex(tag, 32, got);
    assert_string_equal(got, rfc9106_tag);
    /* every input takes part: one changed byte in each gives another tag */
    uint8_t *inputs[] = {pwd, salt, secret, ad};
    for (int i = 0; i < 4; i++) {
        inputs[i][0] ^= 1;
        assert_int_equal(rfc_hash(tag, pwd, salt, secret, ad), ARGON2_OK);
        hex(tag, 32, got);
        assert_string_not_equal(got, rfc9106_tag);
        inputs[i][0] ^= 1;
    }
}

/* ---- the store -------------------------------------------------------------------------- */

static char dir[64];

static int setup(void **state)
{
    (void)state;
    static int n;
    snprintf(dir, sizeof dir, "argon2data-%d-%d", (int)getpid(), n++);
    tf_rm_rf(dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tf_rm_rf(dir);
    return 0;
}

static auth_store *open_store(void)
{
    auth_store *s;
    char err[256];
    if (auth_open(dir, &s, err, sizeof err) != 0)
        fail_msg("auth_open: %s", err);
    return s;
}

/* The stored PHC string of user name (a copy), from memory and from auth.db. */
static void stored_hash(auth_store *s, const char *name, char *out, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    out[0] = '\0';
    for (size_t i = 0; i < s->nusers; i++)
        if (!strcmp(s->users[i].name, name))
            snprintf(out, cap, "%s", s->users[i].encoded);
    pthread_mutex_unlock(&s->mu);
    nq_stmt *st;
    char err[128];
    pthread_mutex_lock(&s->dbmu);
    assert_int_equal(auth_sql_query(s, &st, err, sizeof err,
                                    "SELECT password FROM users WHERE name = ?", "t", name),
                     0);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_string_equal(nq_column_text(st, 0), out);
    nq_finalize(st);
    pthread_mutex_unlock(&s->dbmu);
}

static void test_configured_parameters(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char err[256], enc[256];
    /* refused: below/above the bounds of the configuration keys */
    assert_int_equal(auth_set_argon2(s, 1023, 1, 1, err, sizeof err), NQ_EINVAL);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(auth_set_argon2(s, 1024, 0, 1, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_set_argon2(s, 1024, 65, 1, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_set_argon2(s, 1024, 1, 0, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_set_argon2(s, 1024, 1, 17, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_set_argon2(s, 4194305, 1, 1, err, sizeof err), NQ_EINVAL);

    assert_int_equal(auth_set_argon2(s, 1024, 1, 2, err, sizeof err), 0);
    assert_int_equal(auth_user_create(s, "ada", "correct horse", 0, err, sizeof err), 0);
    stored_hash(s, "ada", enc, sizeof enc);
    assert_true(strncmp(enc, "$argon2id$v=19$m=1024,t=1,p=2$", 30) == 0);
    identity who;
    assert_int_equal(auth_user_verify(s, "ada", "correct horse", &who), 0);
    char again[256];
    stored_hash(s, "ada", again, sizeof again);
    assert_string_equal(again, enc); /* same parameters: no re-hash */

    /* raise the parameters: the old hash still verifies and is replaced on that login */
    assert_int_equal(auth_set_argon2(s, 2048, 2, 1, err, sizeof err), 0);
    assert_int_equal(auth_user_verify(s, "ada", "wrong horse", &who), NQ_ENOTFOUND);
    stored_hash(s, "ada", again, sizeof again);
    assert_string_equal(again, enc); /* a failed login changes nothing */
    assert_int_equal(auth_user_verify(s, "ada", "correct horse", &who), 0);
    assert_string_equal(who.subject, "ada");
    stored_hash(s, "ada", again, sizeof again);
    assert_true(strncmp(again, "$argon2id$v=19$m=2048,t=2,p=1$", 30) == 0);
    assert_string_not_equal(again, enc);
    /* the new user of the new parameters */
    assert_int_equal(auth_user_create(s, "bob", "battery staple", 0, err, sizeof err), 0);
    stored_hash(s, "bob", enc, sizeof enc);
    assert_true(strncmp(enc, "$argon2id$v=19$m=2048,t=2,p=1$", 30) == 0);
    auth_close(s);

    /* the re-hash was written to auth.db: after reopening with the defaults restored by
     * auth_open (m=19456,t=2,p=1) the password verifies against the stored 2048/2/1 hash */
    s = open_store();
    stored_hash(s, "ada", enc, sizeof enc);
    assert_string_equal(enc, again);
    assert_int_equal(auth_set_argon2(s, 2048, 2, 1, err, sizeof err), 0);
    assert_int_equal(auth_user_verify(s, "ada", "correct horse", &who), 0);
    stored_hash(s, "ada", enc, sizeof enc);
    assert_string_equal(enc, again);
    /* passwd uses the current parameters too */
    assert_int_equal(auth_set_argon2(s, 1024, 1, 1, err, sizeof err), 0);
    assert_int_equal(auth_user_passwd(s, "ada", "new password!", err, sizeof err), 0);
    stored_hash(s, "ada", enc, sizeof enc);
    assert_true(strncmp(enc, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0);
    assert_int_equal(auth_user_verify(s, "ada", "correct horse", &who), NQ_ENOTFOUND);
    assert_int_equal(auth_user_verify(s, "ada", "new password!", &who), 0);
    auth_close(s);
}

static void test_defaults(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char err[256], enc[256];
    assert_int_equal(auth_user_create(s, "eve", "default params", 0, err, sizeof err), 0);
    stored_hash(s, "eve", enc, sizeof enc);
    char want[64];
    snprintf(want, sizeof want, "$argon2id$v=19$m=%d,t=%d,p=%d$", AUTH_ARGON2_M, AUTH_ARGON2_T,
             AUTH_ARGON2_P);
    assert_string_equal(want, "$argon2id$v=19$m=19456,t=2,p=1$");
    assert_true(strncmp(enc, want, strlen(want)) == 0);
    auth_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9106_vector),
        cmocka_unit_test_setup_teardown(test_configured_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
