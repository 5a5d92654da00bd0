/*
 * auth_users.c — users with Argon2id passwords (auth.h).
 *
 * Parameters: Argon2id, by default t = 2 passes, m = 19456 KiB, p = 1 lane (OWASP's minimum
 * recommendation for Argon2id, about 20-40 ms per hash on a current core), or the [passwords]
 * keys of the configuration (auth_set_argon2, called by the server at start and by `nqdb user
 * create|passwd`); a 16-byte random salt, a 32-byte hash, stored in the PHC "encoded" form
 * ($argon2id$v=19$m=19456,t=2,p=1$salt$hash), which records its own parameters, so changing
 * them later keeps old hashes verifiable. A successful login whose stored hash was made with
 * other parameters re-hashes the password (known at that moment only) with the current ones, so
 * raising the parameters reaches every active user without a password reset. Tests lower t
 * and m with auth_set_argon2_params.
 *
 * Hashing and verifying run without any store lock held: an Argon2 computation takes tens of
 * milliseconds and must not stall the key checks of other requests. Users are few; they are
 * held in memory (s->users) with their encoded hashes so that auth_jwt_check can see at once
 * that a user was deleted or disabled.
 */
#include "auth_int.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define HASH_LEN 32

static int user_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > AUTH_MAX_USER)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f)
            return 0;
    return 1;
}

static int password_ok(const char *pw, char *err, size_t errlen)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < AUTH_MIN_PASSWORD || n > AUTH_MAX_PASSWORD) {
        snprintf(err, errlen, "a password must be %d to %d characters long", AUTH_MIN_PASSWORD,
                 AUTH_MAX_PASSWORD);
        return NQ_EINVAL;
    }
    return 0;
}

/* Hash pw with the store's parameters into a malloc'd encoded string. */
static int hash_password(auth_store *s, const char *pw, char **out, char *err, size_t errlen)
{
    *out = NULL;
    pthread_mutex_lock(&s->mu);
    uint32_t t = s->argon_t, m = s->argon_m, p = s->argon_p;
    pthread_mutex_unlock(&s->mu);
    unsigned char salt[SALT_LEN];
    if (auth_random(salt, sizeof salt) != 0) {
        snprintf(err, errlen, "the random number generator failed");
        return NQ_ERROR;
    }
    size_t len = argon2_encodedlen(t, m, p, SALT_LEN, HASH_LEN, Argon2_id);
    char *enc = malloc(len);
    if (!enc) {
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    int rc = argon2id_hash_encoded(t, m, p, pw, strlen(pw), salt, SALT_LEN, HASH_LEN, enc, len);
    if (rc != ARGON2_OK) {
        snprintf(err, errlen, "password hashing failed: %s", argon2_error_message(rc));
        free(enc);
        return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? NQ_ENOMEM : NQ_ERROR;
    }
    *out = enc;
    return 0;
}

static long find_user(auth_store *s, const char *name)
{
    for (size_t i = 0; i < s->nusers; i++)
        if (strcmp(s->users[i].name, name) == 0)
            return (long)i;
    return -1;
}

int auth_user_lookup_locked(auth_store *s, const char *name, unsigned *perms, int *disabled)
{
    long i = find_user(s, name);
    if (i < 0)
        return NQ_ENOTFOUND;
    *perms = s->users[i].perms;
    *disabled = s->users[i].disabled;
    return 0;
}

static int add_user(auth_store *s, const auth_user_rec *u)
{
    if (s->nusers == s->capusers) {
        size_t cap = s->capusers ? 2 * s->capusers : 8;
        auth_user_rec *v = realloc(s->users, cap * sizeof *v);
        if (!v)
            return NQ_ENOMEM;
        s->users = v;
        s->capusers = cap;
    }
    s->users[s->nusers++] = *u;
    return 0;
}

int auth_users_load(auth_store *s, char *err, size_t errlen)
{
    nq_stmt *st;
    int rc = auth_sql_query(s, &st, err, errlen,
                            "SELECT name, password, permissions, created_at, disabled FROM users"
                            " ORDER BY name",
                            "");
    if (rc)
        return rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        auth_user_rec u;
        memset(&u, 0, sizeof u);
        const char *name = nq_column_text(st, 0), *pw = nq_column_text(st, 1);
        if (!name || !pw || !user_name_ok(name)) {
            snprintf(err, errlen, "auth.db: a damaged users row");
            rc = NQ_ECORRUPT;
            break;
        }
        snprintf(u.name, sizeof u.name, "%s", name);
        u.perms = (unsigned)nq_column_int64(st, 2) & PERM_ALL;
        u.created_at = nq_column_int64(st, 3);
        u.disabled = nq_column_int64(st, 4) != 0;
        if (!(u.encoded = strdup(pw)) || add_user(s, &u) != 0) {
            free(u.encoded);
            snprintf(err, errlen, "out of memory");
            rc = NQ_ENOMEM;
            break;
        }
    }
    if (rc == NQ_DONE)
        rc = 0;
    else if (rc < 0 && rc != NQ_ECORRUPT && rc != NQ_ENOMEM)
        snprintf(err, errlen, "auth.db: %s", nq_errmsg(s->db));
    nq_finalize(st);
    return rc;
}

void auth_users_free(auth_store *s)
{
    for (size_t i = 0; i < s->nusers; i++)
        free(s->users[i].encoded);
    free(s->users);
    s->users = NULL;
    s->nusers = s->capusers = 0;
}

int auth_user_create(auth_store *s, const char *name, const char *password, unsigned perms,
                     char *err, size_t errlen)
{
    if (!user_name_ok(name)) {
        snprintf(err, errlen, "a user name must be 1 to %d printable characters without spaces",
                 AUTH_MAX_USER);
        return NQ_EINVAL;
    }
    if (password_ok(password, err, errlen))
        return NQ_EINVAL;
    if (perms == 0)
        perms = PERM_READ | PERM_WRITE;
    if (perms & ~PERM_ALL) {
        snprintf(err, errlen, "invalid permissions");
        return NQ_EINVAL;
    }
    char *enc;
    int rc = hash_password(s, password, &enc, err, errlen);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->dbmu);
    pthread_mutex_lock(&s->mu);
    int exists = find_user(s, name) >= 0;
    int64_t now = auth_now(s);
    pthread_mutex_unlock(&s->mu);
    if (exists) {
        snprintf(err, errlen, "user \"%s\" exists already", name);
        rc = NQ_EEXIST;
    } else {
        rc = auth_sql(s, err, errlen,
                      "INSERT INTO users(name, password, permissions, created_at)"
                      " VALUES (?, ?, ?, ?)",
                      "ttui", name, enc, perms, now);
    }
    if (rc == 0) {
        auth_user_rec u;
        memset(&u, 0, sizeof u);
        snprintf(u.name, sizeof u.name, "%s", name);
        u.encoded = enc;
        u.perms = perms;
        u.created_at = now;
        pthread_mutex_lock(&s->mu);
        rc = add_user(s, &u);
        pthread_mutex_unlock(&s->mu);
        if (rc) {
            auth_sql(s, NULL, 0, "DELETE FROM users WHERE name = ?", "t", name);
            snprintf(err, errlen, "out of memory");
        } else {
            enc = NULL;
        }
    }
    pthread_mutex_unlock(&s->dbmu);
    free(enc);
    return rc;
}

int auth_user_delete(auth_store *s, const char *name, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->dbmu);
    pthread_mutex_lock(&s->mu);
    int exists = name && find_user(s, name) >= 0;
    pthread_mutex_unlock(&s->mu);
    int rc;
    if (!exists) {
        snprintf(err, errlen, "no such user: %s", name ? name : "(null)");
        rc = NQ_ENOTFOUND;
    } else {
        rc = auth_begin(s, err, errlen);
        if (rc == 0)
            rc = auth_sql(s, err, errlen, "DELETE FROM users WHERE name = ?", "t", name);
        if (rc == 0)
            rc = auth_tokens_revoke_user(s, name, err, errlen);
        if (rc == 0) /* the user's EEG template goes with the user (bio_store.c) */
            rc = auth_sql(s, err, errlen, "DELETE FROM eeg_templates WHERE user_name = ?", "t",
                          name);
        if (rc == 0)
            rc = auth_commit(s, err, errlen);
        else
            auth_rollback(s);
    }
    if (rc == 0) {
        pthread_mutex_lock(&s->mu);
        long i = find_user(s, name);
        if (i >= 0) {
            free(s->users[i].encoded);
            memmove(&s->users[i], &s->users[i + 1],
                    (s->nusers - (size_t)i - 1) * sizeof *s->users);
            s->nusers--;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&s->dbmu);
    return rc;
}

int auth_user_passwd(auth_store *s, const char *name, const char *password, char *err,
                     size_t errlen)
{
    if (password_ok(password, err, errlen))
        return NQ_EINVAL;
    pthread_mutex_lock(&s->mu);
    int exists = name && find_user(s, name) >= 0;
    pthread_mutex_unlock(&s->mu);
    if (!exists) {
        snprintf(err, errlen, "no such user: %s", name ? name : "(null)");
        return NQ_ENOTFOUND;
    }
    char *enc;
    int rc = hash_password(s, password, &enc, err, errlen);
    if (rc)
        return rc;
    pthread_mutex_lock(&s->dbmu);
    rc = auth_begin(s, err, errlen);
    if (rc == 0)
        rc = auth_sql(s, err, errlen, "UPDATE users SET password = ? WHERE name = ?", "tt", enc,
                      name);
    if (rc == 0 && nq_changes(s->db) != 1) {
        snprintf(err, errlen, "no such user: %s", name);
        rc = NQ_ENOTFOUND;
    }
    if (rc == 0)
        rc = auth_tokens_revoke_user(s, name, err, errlen);
    if (rc == 0)
        rc = auth_commit(s, err, errlen);
    else
        auth_rollback(s);
    if (rc == 0) {
        pthread_mutex_lock(&s->mu);
        long i = find_user(s, name);
        if (i >= 0) {
            free(s->users[i].encoded);
            s->users[i].encoded = enc;
            enc = NULL;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&s->dbmu);
    free(enc);
    return rc;
}

typedef struct user_row {
    char name[AUTH_MAX_USER + 1];
    unsigned perms;
    int64_t created_at;
} user_row;

int auth_user_list(auth_store *s,
                   void (*fn)(void *arg, const char *name, unsigned perms, int64_t created_at),
                   void *arg)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->nusers;
    user_row *v = n ? malloc(n * sizeof *v) : NULL;
    if (n && !v) {
        pthread_mutex_unlock(&s->mu);
        return NQ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(v[i].name, s->users[i].name, sizeof v[i].name);
        v[i].perms = s->users[i].perms;
        v[i].created_at = s->users[i].created_at;
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++)
        fn(arg, v[i].name, v[i].perms, v[i].created_at);
    free(v);
    return 0;
}

/* 1 when enc is an Argon2id v19 hash with exactly the store's current parameters. */
static int params_current(auth_store *s, const char *enc)
{
    char want[96];
    pthread_mutex_lock(&s->mu);
    snprintf(want, sizeof want, "$argon2id$v=19$m=%u,t=%u,p=%u$", s->argon_m, s->argon_t,
             s->argon_p);
    pthread_mutex_unlock(&s->mu);
    return strncmp(enc, want, strlen(want)) == 0;
}

/* Replace name's hash old (just verified with password) by one with the current parameters,
 * unless it changed meanwhile (a concurrent passwd). Best effort: errors are ignored. */
static void rehash(auth_store *s, const char *name, const char *password, const char *old)
{
    char *enc, err[128];
    if (hash_password(s, password, &enc, err, sizeof err) != 0)
        return;
    pthread_mutex_lock(&s->dbmu);
    pthread_mutex_lock(&s->mu);
    long i = find_user(s, name);
    int same = i >= 0 && strcmp(s->users[i].encoded, old) == 0;
    pthread_mutex_unlock(&s->mu);
    if (same && auth_sql(s, err, sizeof err,
                         "UPDATE users SET password = ? WHERE name = ? AND password = ?", "ttt",
                         enc, name, old) == 0 &&
        nq_changes(s->db) == 1) {
        pthread_mutex_lock(&s->mu);
        i = find_user(s, name);
        if (i >= 0) {
            free(s->users[i].encoded);
            s->users[i].encoded = enc;
            enc = NULL;
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&s->dbmu);
    free(enc);
}

int auth_user_verify(auth_store *s, const char *name, const char *password, identity *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!password || strlen(password) > AUTH_MAX_PASSWORD)
        return NQ_ENOTFOUND;
    char *enc = NULL;
    unsigned perms = 0;
    int known = 0, disabled = 0;
    pthread_mutex_lock(&s->mu);
    long i = name ? find_user(s, name) : -1;
    if (i >= 0) {
        known = 1;
        enc = strdup(s->users[i].encoded);
        perms = s->users[i].perms;
        disabled = s->users[i].disabled;
    } else if (s->dummy_encoded) {
        enc = strdup(s->dummy_encoded);
    }
    pthread_mutex_unlock(&s->mu);
    if (!enc && !known) {
        /* The first unknown name: make the stand-in hash (a random password nobody knows),
         * then verify against it like for a real user. */
        unsigned char rnd[24];
        char pw[49], e2[128];
        if (auth_random(rnd, sizeof rnd) != 0)
            return NQ_ENOTFOUND;
        auth_hex(rnd, sizeof rnd, pw);
        char *d = NULL;
        if (hash_password(s, pw, &d, e2, sizeof e2) == 0) {
            pthread_mutex_lock(&s->mu);
            if (!s->dummy_encoded) {
                s->dummy_encoded = d;
                d = NULL;
            }
            enc = strdup(s->dummy_encoded);
            pthread_mutex_unlock(&s->mu);
            free(d);
        }
        OPENSSL_cleanse(pw, sizeof pw);
    }
    if (!enc)
        return NQ_ENOTFOUND;
    int ok = argon2id_verify(enc, password, strlen(password)) == ARGON2_OK;
    if (!ok || !known || disabled) {
        free(enc);
        return NQ_ENOTFOUND;
    }
    if (!params_current(s, enc))
        rehash(s, name, password, enc);
    free(enc);
    if (out) {
        out->kind = ID_JWT;
        out->perms = perms;
        snprintf(out->subject, sizeof out->subject, "%s", name);
        snprintf(out->name, sizeof out->name, "%s", name);
    }
    return 0;
}
