/*
 * test_auth.c — the credential store (auth_store.c, auth_keys.c, auth_users.c,
 * auth_tokens.c):
 *   API keys: create, check, wrong/malformed keys, revoke by id and by key, expiry on a fake
 *   clock, listing, auth_has_admin, hash-only storage (the key's text is in no file of the
 *   data directory), file modes, persistence and usage counts across reopen, a missing or
 *   foreign auth.key, a second open of the same directory (NQ_ELOCKED), concurrent checks;
 *   users: Argon2id hashes (default parameters recorded in the hash), verify, wrong password,
 *   unknown user, duplicates, bad names and passwords, passwd, delete, persistence;
 *   tokens: login, JWT check, refresh rotation, reuse detection revoking the family, expiry,
 *   logout revoking the jti across reopen, deleted users;
 *   the JWT secret file.
 * Argon2 runs with cheap parameters (auth_set_argon2_params: t=1, m=64 KiB) except in the one
 * test that checks the defaults.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "nqdb.h"
#include "testfiles.h"

static char dir[64];
static int64_t fake_now = 1800000000;

static int64_t clock_fn(void *arg)
{
    (void)arg;
    return fake_now;
}

static int setup(void **state)
{
    (void)state;
    static int n;
    snprintf(dir, sizeof dir, "authdata-%d-%d", (int)getpid(), n++);
    tf_rm_rf(dir);
    fake_now = 1800000000;
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
    int rc = auth_open(dir, &s, err, sizeof err);
    if (rc)
        fail_msg("auth_open: %s", err);
    auth_set_clock(s, clock_fn, NULL);
    auth_set_argon2_params(s, 1, 64);
    return s;
}

static void collect_key(void *arg, const auth_key_info *k)
{
    auth_key_info *v = arg;
    for (int i = 0; i < 8; i++)
        if (!v[i].id[0]) {
            v[i] = *k;
            return;
        }
}

static void test_keys(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char key[38], err[256];
    auth_key_info info;
    assert_int_equal(auth_has_admin(s), 0);
    assert_int_equal(auth_key_create(s, "admin", PERM_ALL, 8760, 10000, key, &info, err,
                                     sizeof err), 0);
    assert_int_equal(strlen(key), AUTH_KEY_LEN);
    assert_int_equal(strncmp(key, "nqdb_", 5), 0);
    assert_int_equal(strspn(key + 5, "0123456789abcdef"), 32);
    assert_int_equal(strncmp(info.id, key + 5, 8), 0);
    assert_int_equal(strlen(info.id), 8);
    assert_string_equal(info.name, "admin");
    assert_int_equal(info.perms, PERM_ALL);
    assert_int_equal(info.created_at, fake_now);
    assert_int_equal(info.expires_at, fake_now + 8760 * 3600);
    assert_int_equal(info.rate_limit_per_hour, 10000);
    assert_int_equal(auth_has_admin(s), 1);

    identity id;
    assert_int_equal(auth_key_check(s, key, &id), 0);
    assert_int_equal(id.kind, ID_KEY);
    assert_string_equal(id.subject, info.id);
    assert_string_equal(id.name, "admin");
    assert_int_equal(id.perms, PERM_ALL);
    assert_int_equal(id.rate_limit_per_hour, 10000);
    assert_int_equal(id.expires_at, info.expires_at);

    /* wrong, malformed */
    char other[38];
    memcpy(other, key, sizeof other);
    other[36] = other[36] == '0' ? '1' : '0';
    assert_int_equal(auth_key_check(s, other, &id), NQ_ENOTFOUND);
    assert_int_equal(id.kind, ID_NONE);
    const char *bad[] = {"", "nqdb_", "nqdb_XYZ", "xxxx_0123456789abcdef0123456789abcdef",
                         "nqdb_0123456789ABCDEF0123456789ABCDEF", "nqdb_0123456789abcdef0123456789abcde"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(auth_key_check(s, bad[i], NULL), NQ_ENOTFOUND);
    assert_int_equal(auth_key_check(s, NULL, NULL), NQ_ENOTFOUND);
    char upper[38];
    memcpy(upper, key, sizeof upper);
    for (int i = 5; i < 37; i++)
        if (upper[i] >= 'a')
            upper[i] = (char)(upper[i] - 32);
    assert_int_equal(auth_key_check(s, upper, NULL), NQ_ENOTFOUND);

    /* a second, read-only key with the default expiry and limit */
    char key2[38];
    auth_key_info info2;
    assert_int_equal(auth_key_create(s, "reader", PERM_READ, 0, 0, key2, &info2, err, sizeof err),
                     0);
    assert_int_equal(info2.expires_at, fake_now + AUTH_DEFAULT_KEY_HOURS * 3600);
    assert_int_equal(auth_key_check(s, key2, &id), 0);
    assert_int_equal(id.perms, PERM_READ);
    assert_int_equal(id.rate_limit_per_hour, 0);
    assert_string_not_equal(key, key2);

    auth_key_info list[8];
    memset(list, 0, sizeof list);
    assert_int_equal(auth_key_list(s, collect_key, list), 0);
    assert_string_equal(list[0].id, info.id);
    assert_string_equal(list[1].id, info2.id);
    assert_string_equal(list[2].id, "");
    assert_int_equal(list[0].usage_count, 1);
    assert_int_equal(list[0].last_used, fake_now);

    /* revoke by id, then by key */
    assert_int_equal(auth_key_revoke(s, info.id, "test", err, sizeof err), 0);
    assert_int_equal(auth_key_check(s, key, &id), NQ_ENOTFOUND);
    assert_int_equal(auth_has_admin(s), 0);
    assert_int_equal(auth_key_revoke(s, info.id, "test", err, sizeof err), NQ_ENOTFOUND);
    assert_string_equal(err, "API key not found");
    assert_int_equal(auth_key_revoke(s, key2, NULL, err, sizeof err), 0);
    assert_int_equal(auth_key_check(s, key2, NULL), NQ_ENOTFOUND);
    assert_int_equal(auth_key_revoke(s, "deadbeef", NULL, err, sizeof err), NQ_ENOTFOUND);
    assert_int_equal(auth_key_revoke(s, "nqdb_0123456789abcdef0123456789abcdef", NULL, err,
                                     sizeof err), NQ_ENOTFOUND);
    assert_int_equal(auth_key_revoke(s, NULL, NULL, err, sizeof err), NQ_ENOTFOUND);
    memset(list, 0, sizeof list);
    auth_key_list(s, collect_key, list);
    assert_true(list[0].revoked);
    assert_string_equal(list[0].revoked_by, "test");
    assert_int_equal(list[0].revoked_at, fake_now);
    assert_true(list[1].revoked);

    /* bad arguments */
    assert_int_equal(auth_key_create(s, "", PERM_READ, 0, 0, key, NULL, err, sizeof err),
                     NQ_EINVAL);
    assert_int_equal(auth_key_create(s, "x\ny", PERM_READ, 0, 0, key, NULL, err, sizeof err),
                     NQ_EINVAL);
    assert_int_equal(auth_key_create(s, "x", 0, 0, 0, key, NULL, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_key_create(s, "x", 0x40, 0, 0, key, NULL, err, sizeof err), NQ_EINVAL);
    assert_string_equal(key, "");
    auth_close(s);
}

static void test_key_expiry(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char key[38], err[256];
    assert_int_equal(auth_key_create(s, "short", PERM_ADMIN, 1, 0, key, NULL, err, sizeof err),
                     0);
    assert_int_equal(auth_has_admin(s), 1);
    fake_now += 3599;
    assert_int_equal(auth_key_check(s, key, NULL), 0);
    fake_now += 1;
    assert_int_equal(auth_key_check(s, key, NULL), NQ_ENOTFOUND);
    assert_int_equal(auth_has_admin(s), 0); /* an expired admin key does not count */
    auth_close(s);
}

/* 1 if needle occurs in the file. */
static int file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    size_t m = strlen(needle);
    int found = 0;
    for (size_t i = 0; !found && i + m <= got; i++)
        found = memcmp(buf + i, needle, m) == 0;
    free(buf);
    return found;
}

static int dir_has(const char *needle)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    int found = 0;
    char p[512];
    while ((e = readdir(dp)) != NULL) {
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            found |= file_has(p, needle);
    }
    closedir(dp);
    return found;
}

static void test_storage(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char key[38], err[256];
    auth_key_info info;
    assert_int_equal(auth_key_create(s, "stored-key-name", PERM_READ | PERM_WRITE, 0, 77, key,
                                     &info, err, sizeof err), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(auth_key_check(s, key, NULL), 0);
    assert_int_equal(auth_flush(s), 0);
    /* the data is there (the name is found), the key is not: neither whole nor its hex part */
    assert_true(dir_has("stored-key-name"));
    assert_false(dir_has(key));
    assert_false(dir_has(key + 5));
    fake_now += 10;
    assert_int_equal(auth_key_check(s, key, NULL), 0); /* counted at close */
    auth_close(s);
    assert_true(dir_has("stored-key-name"));
    assert_false(dir_has(key));
    assert_false(dir_has(key + 5));

    struct stat sb;
    char p[256];
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(p, sizeof p, "%s/auth.key", dir);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 32);

    /* reopen: key valid, counts and last use kept */
    s = open_store();
    identity id;
    assert_int_equal(auth_key_check(s, key, &id), 0);
    assert_int_equal(id.rate_limit_per_hour, 77);
    auth_key_info list[8];
    memset(list, 0, sizeof list);
    auth_key_list(s, collect_key, list);
    assert_int_equal(list[0].usage_count, 5);
    assert_int_equal(list[0].last_used, fake_now);
    assert_int_equal(auth_key_revoke(s, info.id, NULL, err, sizeof err), 0);
    auth_close(s);
    s = open_store();
    assert_int_equal(auth_key_check(s, key, NULL), NQ_ENOTFOUND); /* revocation persisted */
    memset(list, 0, sizeof list);
    auth_key_list(s, collect_key, list);
    assert_int_equal(list[0].usage_count, 5);
    assert_true(list[0].revoked);
    assert_string_equal(list[0].revoked_by, "cli");
    auth_close(s);
}

static void test_auth_key_file(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char key[38], err[256], p[256];
    assert_int_equal(auth_key_create(s, "k", PERM_READ, 0, 0, key, NULL, err, sizeof err), 0);

    /* a second open in the same process (or another) finds auth.db in use */
    auth_store *s2;
    assert_int_equal(auth_open(dir, &s2, err, sizeof err), NQ_ELOCKED);
    assert_null(s2);
    assert_non_null(strstr(err, "is in use by a running server (nqdb serve)"));
    assert_non_null(strstr(err, "POST /api/v1/auth/generate-key"));
    auth_close(s);

    snprintf(p, sizeof p, "%s/auth.key", dir);
    unsigned char orig[32];
    FILE *f = fopen(p, "rb");
    assert_int_equal(fread(orig, 1, 32, f), 32);
    fclose(f);
    /* missing */
    assert_int_equal(unlink(p), 0);
    assert_int_equal(auth_open(dir, &s2, err, sizeof err), NQ_ECORRUPT);
    assert_non_null(strstr(err, "auth.key is missing"));
    /* someone else's */
    unsigned char other[32];
    memset(other, 7, sizeof other);
    f = fopen(p, "wb");
    fwrite(other, 1, 32, f);
    fclose(f);
    assert_int_equal(auth_open(dir, &s2, err, sizeof err), NQ_ECORRUPT);
    assert_non_null(strstr(err, "does not belong"));
    /* damaged (short) */
    f = fopen(p, "wb");
    fwrite(other, 1, 5, f);
    fclose(f);
    assert_int_equal(auth_open(dir, &s2, err, sizeof err), NQ_ECORRUPT);
    assert_non_null(strstr(err, "exactly 32 bytes"));
    /* restored: works again */
    f = fopen(p, "wb");
    fwrite(orig, 1, 32, f);
    fclose(f);
    s = open_store();
    assert_int_equal(auth_key_check(s, key, NULL), 0);
    auth_close(s);

    /* a data directory that is a file */
    assert_int_equal(auth_open("/dev/null", &s2, err, sizeof err), NQ_EIO);
    assert_int_equal(auth_open("", &s2, err, sizeof err), NQ_EINVAL);
}

typedef struct checker {
    auth_store *s;
    const char *key;
    int ok;
} checker;

static void *check_many(void *arg)
{
    checker *c = arg;
    for (int i = 0; i < 2000; i++)
        c->ok += auth_key_check(c->s, c->key, NULL) == 0;
    return NULL;
}

static void find_hot(void *arg, const auth_key_info *k)
{
    if (!strcmp(k->name, "hot"))
        *(auth_key_info *)arg = *k;
}

static void test_concurrent(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char key[38], err[256];
    assert_int_equal(auth_key_create(s, "hot", PERM_READ, 0, 0, key, NULL, err, sizeof err), 0);
    pthread_t t[4];
    checker c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (checker){s, key, 0};
        pthread_create(&t[i], NULL, check_many, &c[i]);
    }
    for (int i = 0; i < 40; i++) { /* creation and flushing meanwhile */
        char k[38];
        char name[16];
        snprintf(name, sizeof name, "k%d", i);
        assert_int_equal(auth_key_create(s, name, PERM_READ, 0, 0, k, NULL, err, sizeof err), 0);
        assert_int_equal(auth_key_check(s, k, NULL), 0);
        if (i % 10 == 0)
            assert_int_equal(auth_flush(s), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(c[i].ok, 2000);
    }
    auth_close(s);
    s = open_store();
    auth_key_info hot;
    memset(&hot, 0, sizeof hot);
    auth_key_list(s, find_hot, &hot);
    assert_string_equal(hot.name, "hot");
    assert_int_equal(hot.usage_count, 8000);
    auth_close(s);
}

typedef struct user_seen {
    char names[4][80];
    unsigned perms[4];
    int n;
} user_seen;

static void collect_user(void *arg, const char *name, unsigned perms, int64_t created_at)
{
    user_seen *u = arg;
    (void)created_at;
    if (u->n < 4) {
        snprintf(u->names[u->n], sizeof u->names[0], "%s", name);
        u->perms[u->n++] = perms;
    }
}

static void test_users(void **state)
{
    (void)state;
    auth_store *s = open_store();
    char err[256];
    identity id;
    assert_int_equal(auth_user_create(s, "alice@example.com", "correct horse", 0, err, sizeof err),
                     0);
    assert_int_equal(auth_user_create(s, "bob", "battery staple", PERM_READ, err, sizeof err), 0);
    assert_int_equal(auth_user_create(s, "bob", "another one!", PERM_READ, err, sizeof err),
                     NQ_EEXIST);
    assert_int_equal(auth_user_create(s, "has space", "long enough", 0, err, sizeof err),
                     NQ_EINVAL);
    assert_int_equal(auth_user_create(s, "", "long enough", 0, err, sizeof err), NQ_EINVAL);
    char longname[70];
    memset(longname, 'n', 65);
    longname[65] = '\0';
    assert_int_equal(auth_user_create(s, longname, "long enough", 0, err, sizeof err), NQ_EINVAL);
    longname[64] = '\0';
    assert_int_equal(auth_user_create(s, longname, "long enough", 0, err, sizeof err), 0);
    assert_int_equal(auth_user_create(s, "carol", "short", 0, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "a password must be 8 to 1024 characters long");
    assert_int_equal(auth_user_create(s, "carol", "longer pw", 0x80, err, sizeof err), NQ_EINVAL);

    assert_int_equal(auth_user_verify(s, "alice@example.com", "correct horse", &id), 0);
    assert_int_equal(id.kind, ID_JWT);
    assert_string_equal(id.subject, "alice@example.com");
    assert_int_equal(id.perms, PERM_READ | PERM_WRITE);
    assert_int_equal(auth_user_verify(s, "alice@example.com", "correct horsE", &id), NQ_ENOTFOUND);
    assert_int_equal(id.kind, ID_NONE);
    assert_int_equal(auth_user_verify(s, "nobody", "correct horse", &id), NQ_ENOTFOUND);
    assert_int_equal(auth_user_verify(s, "nobody", "correct horse", &id), NQ_ENOTFOUND);
    assert_int_equal(auth_user_verify(s, NULL, "correct horse", &id), NQ_ENOTFOUND);
    assert_int_equal(auth_user_verify(s, "bob", NULL, &id), NQ_ENOTFOUND);

    user_seen seen = {0};
    auth_user_list(s, collect_user, &seen);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.names[0], "alice@example.com");
    assert_string_equal(seen.names[1], "bob");
    assert_int_equal(seen.perms[1], PERM_READ);

    assert_int_equal(auth_user_passwd(s, "bob", "new password", err, sizeof err), 0);
    assert_int_equal(auth_user_verify(s, "bob", "battery staple", &id), NQ_ENOTFOUND);
    assert_int_equal(auth_user_verify(s, "bob", "new password", &id), 0);
    assert_int_equal(auth_user_passwd(s, "bob", "short", err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_user_passwd(s, "zed", "new password", err, sizeof err), NQ_ENOTFOUND);
    assert_int_equal(auth_user_delete(s, longname, err, sizeof err), 0);
    assert_int_equal(auth_user_delete(s, longname, err, sizeof err), NQ_ENOTFOUND);
    auth_close(s);

    /* persistence; hashes are Argon2id in auth.db, never the password */
    assert_false(dir_has("correct horse"));
    assert_false(dir_has("new password"));
    s = open_store();
    assert_int_equal(auth_user_verify(s, "bob", "new password", &id), 0);
    assert_int_equal(auth_user_verify(s, "alice@example.com", "correct horse", &id), 0);
    assert_int_equal(auth_user_verify(s, longname, "long enough", &id), NQ_ENOTFOUND);
    assert_int_equal(auth_user_delete(s, "bob", err, sizeof err), 0);
    assert_int_equal(auth_user_verify(s, "bob", "new password", &id), NQ_ENOTFOUND);
    auth_close(s);

    char p[256];
    snprintf(p, sizeof p, "%s/auth.db", dir);
    nq_db *db;
    assert_int_equal(nq_open(p, NULL, &db), 0);
    nq_stmt *st;
    assert_int_equal(nq_prepare(db, "SELECT password FROM users", (size_t)-1, &st, NULL), 0);
    assert_int_equal(nq_step(st), NQ_ROW);
    assert_int_equal(strncmp(nq_column_text(st, 0), "$argon2id$v=19$m=64,t=1,p=1$", 28), 0);
    assert_int_equal(nq_step(st), NQ_DONE);
    nq_finalize(st);
    nq_close(db);
}

static void test_default_argon2(void **state)
{
    (void)state;
    auth_store *s;
    char err[256];
    assert_int_equal(auth_open(dir, &s, err, sizeof err), 0);
    assert_int_equal(auth_user_create(s, "dora", "default params", 0, err, sizeof err), 0);
    assert_int_equal(auth_user_verify(s, "dora", "default params", NULL), 0);
    auth_close(s);
    assert_true(dir_has("$argon2id$v=19$m=19456,t=2,p=1$"));
}

static const unsigned char secret[] = "test-secret-test-secret-test-secret-0123";

static auth_jwt_config jcfg(void)
{
    auth_jwt_config jc = {.secret = secret, .secret_len = sizeof secret - 1, .lifetime_s = 3600,
                          .refresh_lifetime_s = 7 * 86400, .issuer = "neuroquantum-db",
                          .audience = "neuroquantum-api"};
    return jc;
}

static void test_tokens(void **state)
{
    (void)state;
    auth_store *s = open_store();
    auth_jwt_config jc = jcfg();
    char err[256];
    identity user, id;
    assert_int_equal(auth_user_create(s, "erin", "erin's password", PERM_READ | PERM_QUANTUM,
                                      err, sizeof err), 0);
    assert_int_equal(auth_user_verify(s, "erin", "erin's password", &user), 0);

    auth_tokens t1;
    assert_int_equal(auth_login_tokens(s, &user, &jc, &t1, err, sizeof err), 0);
    assert_non_null(t1.access_token);
    assert_int_equal(t1.expires_in, 3600);
    assert_int_equal(strncmp(t1.refresh_token, "nqr_", 4), 0);
    assert_int_equal(strlen(t1.refresh_token), 68);
    assert_int_equal(auth_jwt_check(s, t1.access_token, &jc, &id, err, sizeof err), 0);
    assert_int_equal(id.kind, ID_JWT);
    assert_string_equal(id.subject, "erin");
    assert_int_equal(id.perms, PERM_READ | PERM_QUANTUM);
    assert_int_equal(strlen(id.jti), 32);
    assert_int_equal(id.expires_at, fake_now + 3600);

    /* a key is not a JWT and a JWT is not a key */
    assert_int_equal(auth_key_check(s, t1.access_token, NULL), NQ_ENOTFOUND);
    assert_int_equal(auth_jwt_check(s, "nqdb_0123456789abcdef0123456789abcdef", &jc, &id, err,
                                    sizeof err), NQ_EINVAL);
    /* the wrong secret or audience */
    auth_jwt_config other = jc;
    other.secret = (const unsigned char *)"another-secret-another-secret-another";
    other.secret_len = 37;
    assert_int_equal(auth_jwt_check(s, t1.access_token, &other, &id, err, sizeof err), NQ_EINVAL);
    other = jc;
    other.audience = "someone-else";
    assert_int_equal(auth_jwt_check(s, t1.access_token, &other, &id, err, sizeof err), NQ_EINVAL);

    /* refresh rotates */
    fake_now += 600;
    auth_tokens t2;
    assert_int_equal(auth_refresh(s, t1.refresh_token, &jc, &t2, err, sizeof err), 0);
    assert_string_not_equal(t2.refresh_token, t1.refresh_token);
    assert_string_not_equal(t2.access_token, t1.access_token);
    assert_int_equal(auth_jwt_check(s, t2.access_token, &jc, &id, err, sizeof err), 0);
    assert_int_equal(id.expires_at, fake_now + 3600);
    auth_tokens t3;
    assert_int_equal(auth_refresh(s, t2.refresh_token, &jc, &t3, err, sizeof err), 0);
    /* t1's refresh token again: reuse; the family (t3's too) is revoked */
    auth_tokens tx;
    assert_int_equal(auth_refresh(s, t1.refresh_token, &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    assert_non_null(strstr(err, "already used or revoked"));
    assert_null(tx.access_token);
    assert_int_equal(auth_refresh(s, t3.refresh_token, &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    /* bad refresh tokens */
    assert_int_equal(auth_refresh(s, "nqr_zz", &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    assert_int_equal(auth_refresh(s, NULL, &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    char unknown[69] = "nqr_";
    memset(unknown + 4, 'a', 64);
    unknown[68] = '\0';
    assert_int_equal(auth_refresh(s, unknown, &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    assert_string_equal(err, "invalid refresh token");
    free(t1.access_token);
    free(t2.access_token);
    free(t3.access_token);

    /* a new session; logout revokes the access token and the family, across reopen */
    auth_tokens t4;
    assert_int_equal(auth_login_tokens(s, &user, &jc, &t4, err, sizeof err), 0);
    assert_int_equal(auth_jwt_check(s, t4.access_token, &jc, &id, err, sizeof err), 0);
    assert_int_equal(auth_logout(s, t4.refresh_token, &id), 0);
    assert_int_equal(auth_jwt_check(s, t4.access_token, &jc, &id, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "token revoked (logged out)");
    assert_int_equal(auth_refresh(s, t4.refresh_token, &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    assert_int_equal(auth_logout(s, unknown, NULL), NQ_ENOTFOUND);
    auth_close(s);
    s = open_store();
    assert_int_equal(auth_jwt_check(s, t4.access_token, &jc, &id, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "token revoked (logged out)");
    free(t4.access_token);

    /* refresh token expiry */
    auth_tokens t5, t6;
    assert_int_equal(auth_login_tokens(s, &user, &jc, &t5, err, sizeof err), 0);
    fake_now += 7 * 86400;
    assert_int_equal(auth_refresh(s, t5.refresh_token, &jc, &t6, err, sizeof err), NQ_ENOTFOUND);
    assert_string_equal(err, "refresh token expired; log in again");
    assert_int_equal(auth_jwt_check(s, t5.access_token, &jc, &id, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "token expired");
    free(t5.access_token);

    /* a deleted user's tokens stop working at once */
    auth_tokens t7;
    assert_int_equal(auth_login_tokens(s, &user, &jc, &t7, err, sizeof err), 0);
    assert_int_equal(auth_user_delete(s, "erin", err, sizeof err), 0);
    assert_int_equal(auth_jwt_check(s, t7.access_token, &jc, &id, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_refresh(s, t7.refresh_token, &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    assert_int_equal(auth_login_tokens(s, &user, &jc, &tx, err, sizeof err), NQ_ENOTFOUND);
    free(t7.access_token);

    /* misuse */
    identity key_id = {.kind = ID_KEY};
    assert_int_equal(auth_login_tokens(s, &key_id, &jc, &tx, err, sizeof err), NQ_EINVAL);
    auth_jwt_config none = {0};
    assert_int_equal(auth_login_tokens(s, &user, &none, &tx, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_jwt_check(s, "x", &none, &id, err, sizeof err), NQ_EINVAL);

    /* expired revocations are purged by a later flush */
    fake_now += 3600;
    assert_int_equal(auth_flush(s), 0);
    auth_close(s);
}

static void test_jwt_secret(void **state)
{
    (void)state;
    unsigned char *sec, *sec2;
    size_t n, n2;
    char err[256], p[256];
    assert_int_equal(auth_load_jwt_secret(dir, "too-short", &sec, &n, err, sizeof err),
                     NQ_EINVAL);
    assert_null(sec);
    const char *cfg = "a-configured-secret-of-at-least-32-chars";
    assert_int_equal(auth_load_jwt_secret(dir, cfg, &sec, &n, err, sizeof err), 0);
    assert_int_equal(n, strlen(cfg));
    assert_memory_equal(sec, cfg, n);
    free(sec);
    /* from the file, created on first use */
    assert_int_equal(auth_load_jwt_secret(dir, "", &sec, &n, err, sizeof err), 0);
    assert_int_equal(n, 88);
    assert_int_equal(sec[87], '=');
    assert_int_equal(auth_load_jwt_secret(dir, NULL, &sec2, &n2, err, sizeof err), 0);
    assert_int_equal(n2, 88);
    assert_memory_equal(sec, sec2, 88);
    free(sec2);
    snprintf(p, sizeof p, "%s/jwt.secret", dir);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 89);
    /* the same bytes in the configuration give the same key */
    char conf[89];
    memcpy(conf, sec, 88);
    conf[88] = '\0';
    assert_int_equal(auth_load_jwt_secret("unused-dir", conf, &sec2, &n2, err, sizeof err), 0);
    assert_memory_equal(sec, sec2, 88);
    free(sec2);
    free(sec);
    /* a damaged file */
    FILE *f = fopen(p, "w");
    fputs("short\n", f);
    fclose(f);
    assert_int_equal(auth_load_jwt_secret(dir, NULL, &sec, &n, err, sizeof err), NQ_ECORRUPT);
    assert_null(sec);

    char b64[89];
    assert_int_equal(auth_random_secret_b64(b64, sizeof b64), 0);
    assert_int_equal(strlen(b64), 88);
    assert_int_equal(auth_random_secret_b64(b64, 10), NQ_ERROR);
}

static void test_perms_parse(void **state)
{
    (void)state;
    unsigned p;
    char err[256];
    assert_int_equal(auth_perms_parse("read,write", &p, err, sizeof err), 0);
    assert_int_equal(p, PERM_READ | PERM_WRITE);
    assert_int_equal(auth_perms_parse(" admin, dna ,quantum", &p, err, sizeof err), 0);
    assert_int_equal(p, PERM_ADMIN | PERM_DNA | PERM_QUANTUM);
    assert_int_equal(auth_perms_parse("read,root", &p, err, sizeof err), NQ_EINVAL);
    assert_string_equal(err, "Invalid permission: root. Valid permissions are: [\"admin\", "
                             "\"neuromorphic\", \"quantum\", \"dna\", \"read\", \"write\"]");
    assert_int_equal(auth_perms_parse("", &p, err, sizeof err), NQ_EINVAL);
    assert_int_equal(auth_perms_parse(",,", &p, err, sizeof err), NQ_EINVAL);
    char t[32];
    auth_format_time(0, t, sizeof t);
    assert_string_equal(t, "never");
    auth_format_time(1800000000, t, sizeof t);
    assert_string_equal(t, "2027-01-15T08:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_argon2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jwt_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_perms_parse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
