/*
 * auth_int.h — the inside of the credential store, shared by auth_store.c (opening, files,
 * SQL helpers, flushing), auth_keys.c, auth_users.c and auth_tokens.c. Not for other modules.
 *
 * In-memory tables (guarded by mu):
 *   keys   every API key record, in creation order, with an open-addressing index by hash
 *   users  every user, with the encoded Argon2 hash
 *   jtis   revoked access-token ids (16 binary bytes) until their exp, with an index
 * The nq_db handle is guarded by dbmu; a function that writes takes dbmu, runs its SQL, then
 * takes mu to change the memory tables (lock order: dbmu before mu, never the reverse).
 */
#ifndef NQ_SERVER_AUTH_INT_H
#define NQ_SERVER_AUTH_INT_H

#include <pthread.h>
#include <stdarg.h>

#include "auth.h"
#include "nqdb.h"

typedef struct auth_key_rec {
    unsigned char hash[32];
    auth_key_info info;
    uint64_t pending; /* uses not yet written to auth.db */
    int dirty;        /* last_used changed since the last flush */
} auth_key_rec;

typedef struct auth_user_rec {
    char name[AUTH_MAX_USER + 1];
    char *encoded; /* Argon2id encoded hash, malloc'd */
    unsigned perms;
    int64_t created_at;
    int disabled;
} auth_user_rec;

typedef struct auth_jti_rec {
    unsigned char id[16];
    int64_t exp;
} auth_jti_rec;

/* An open-addressing index over an array: slot values are 1 + array position, 0 = empty. */
typedef struct auth_index {
    uint32_t *slot;
    size_t cap; /* power of two, or 0 */
} auth_index;

struct auth_store {
    pthread_mutex_t dbmu, mu;
    nq_db *db;
    char *dir;
    unsigned char hkey[32]; /* auth.key */

    auth_key_rec *keys;
    size_t nkeys, capkeys;
    auth_index kidx;

    auth_user_rec *users;
    size_t nusers, capusers;

    auth_jti_rec *jtis;
    size_t njtis, capjtis;
    auth_index jidx;

    uint32_t argon_t, argon_m, argon_p; /* Argon2id parameters of new hashes */
    char *dummy_encoded; /* hash of a random password, for unknown users (made on first use) */
    int64_t (*clock)(void *arg);
    void *clock_arg;
    int64_t last_purge; /* when expired token rows were last deleted */
};

int64_t auth_now(auth_store *s);

/* Run one statement with bound parameters. fmt has one letter per parameter: 't' const char*
 * (NULL binds NULL), 'i' int64_t, 'u' unsigned (as int64). Rows are ignored. On failure the
 * engine's message goes to err. Caller holds dbmu. */
int auth_sql(auth_store *s, char *err, size_t errlen, const char *sql, const char *fmt, ...);
/* Prepare and bind (same fmt) for a query the caller steps and finalizes. */
int auth_sql_query(auth_store *s, nq_stmt **st, char *err, size_t errlen, const char *sql,
                   const char *fmt, ...);
int auth_begin(auth_store *s, char *err, size_t errlen);
int auth_commit(auth_store *s, char *err, size_t errlen);
void auth_rollback(auth_store *s);

/* Index helpers: h is a 64-bit fingerprint of the item. */
int auth_index_rebuild(auth_index *ix, size_t n, uint64_t (*hash_of)(const void *base, size_t i),
                       const void *base);
uint64_t auth_fp(const unsigned char *p, size_t n); /* first 8 bytes, little-endian */

/* Hex encoding (lowercase), out gets 2n+1 bytes. */
void auth_hex(const unsigned char *p, size_t n, char *out);
int auth_unhex(const char *hex, unsigned char *out, size_t n); /* exactly 2n hex digits */
int auth_random(unsigned char *p, size_t n);

/* Loading, called by auth_open with dbmu held (mu not needed yet). */
int auth_keys_load(auth_store *s, char *err, size_t errlen);
int auth_users_load(auth_store *s, char *err, size_t errlen);
int auth_tokens_load(auth_store *s, char *err, size_t errlen);
void auth_keys_free(auth_store *s);
void auth_users_free(auth_store *s);
void auth_tokens_free(auth_store *s);
/* Write usage counts (dbmu held, takes mu itself). */
int auth_keys_flush(auth_store *s, char *err, size_t errlen);
/* Purge expired revoked jtis and refresh tokens (dbmu held, takes mu itself). */
int auth_tokens_purge(auth_store *s, char *err, size_t errlen);
/* Revoke every refresh token of a user (dbmu held). */
int auth_tokens_revoke_user(auth_store *s, const char *user, char *err, size_t errlen);
/* The user's current permissions and state under mu: 0, or NQ_ENOTFOUND. */
int auth_user_lookup_locked(auth_store *s, const char *name, unsigned *perms, int *disabled);

#endif
