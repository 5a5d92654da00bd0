/*
 * bio_store.c — EEG templates in the credential store (auth.db), encrypted, and the short-lived
 * tokens an EEG verification issues (server.h, "bio_*"; docs/security.md, "EEG biometric
 * authentication").
 *
 * Storage. A template (eeg_template_serialize: means and sums of squares of the features) is
 * a biometric: it never reaches the disk in the clear. Each row of eeg_templates holds
 *   nonce  12 random bytes (hex), new on every write
 *   blob   AES-256-GCM(key, nonce, template; aad) ciphertext || 16-byte tag (hex)
 * with aad = "nqdb eeg template v1" 0x00 user_name 0x00 created_at-of-the-user (decimal). The
 * user name in the associated data means a row copied onto another user fails to decrypt.
 * Deleting a user deletes the template in the same transaction (auth_users.c); the user's
 * creation time in the associated data is the second line of defence, for a row that comes
 * back from elsewhere (an old copy of auth.db) after its user was deleted and a new user of
 * the same name was created. A row that fails to decrypt is treated as absent (and replaced
 * by the next enrolment).
 * channels, samples and the times are kept in the clear: they say how the template was made,
 * not what it is.
 *
 * The key. eeg.key in the data directory: 32 random bytes, mode 0600, created on first use
 * (O_EXCL, synced with its directory), read on every operation (no copy of it lives in the
 * server between requests). Without it the templates cannot be read: a missing key with
 * templates present is an error that says so, not a silent new key. The whole database is
 * not encrypted at rest yet (issue 7, "Encryption at rest"): until it is, the key file and
 * auth.db sit side by side in the data directory, so this protects templates against a copy
 * of auth.db (a backup, a leaked file) and against row swapping, not against someone who can
 * read the whole data directory.
 *
 * Locking: the auth store's dbmu around every SQL use (read-modify-write of a template is one
 * critical section), its mu for looking at the users (auth_int.h's order: dbmu, then mu).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth_int.h"
#include "jwt_hs256.h"
#include "server.h"

#define NONCE_LEN 12
#define TAG_LEN 16

/* ---- the key ---------------------------------------------------------------------------- */

static int any_template(auth_store *s)
{
    nq_stmt *st;
    if (auth_sql_query(s, &st, NULL, 0, "SELECT 1 FROM eeg_templates LIMIT 1", "") != 0)
        return 1; /* cannot tell: be careful, do not create a key over possible templates */
    int r = nq_step(st) == NQ_ROW;
    nq_finalize(st);
    return r;
}

static int read_key(const char *path, unsigned char key[32], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? NQ_ENOTFOUND : (snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno)), NQ_EIO);
    unsigned char buf[33];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n != 32) {
        OPENSSL_cleanse(buf, sizeof buf);
        snprintf(err, errlen, "%s is damaged: it must hold exactly 32 bytes", path);
        return NQ_ECORRUPT;
    }
    memcpy(key, buf, 32);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

/* The template key; created when absent and no template exists. dbmu held. */
static int load_key(auth_store *s, int create, unsigned char key[32], char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/eeg.key", auth_data_dir(s));
    int rc = read_key(path, key, err, errlen);
    if (rc != NQ_ENOTFOUND)
        return rc;
    if (any_template(s)) {
        snprintf(err, errlen,
                 "%s is missing: the EEG templates in auth.db cannot be decrypted without it "
                 "(restore it from a backup, or revoke every template)",
                 path);
        return NQ_ECORRUPT;
    }
    if (!create)
        return NQ_ENOTFOUND;
    if (auth_random(key, 32) != 0) {
        snprintf(err, errlen, "the random number generator failed");
        return NQ_ERROR;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        OPENSSL_cleanse(key, 32);
        if (errno == EEXIST) /* created meanwhile by another process: use that one */
            return read_key(path, key, err, errlen);
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return NQ_EIO;
    }
    int ok = write(fd, key, 32) == 32 && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        OPENSSL_cleanse(key, 32);
        snprintf(err, errlen, "cannot write %s", path);
        return NQ_EIO;
    }
    nq_vfs *vfs = nq_vfs_default();
    vfs->sync_dir(vfs, path);
    return 0;
}

/* ---- AES-256-GCM ------------------------------------------------------------------------ */

static int gcm(int enc, const unsigned char key[32], const unsigned char nonce[NONCE_LEN],
               const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t len,
               unsigned char *out, unsigned char tag[TAG_LEN])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c != NULL, n = 0;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1;
    ok = ok && EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) == 1;
    ok = ok && EVP_CipherUpdate(c, out, &n, in, (int)len) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + n, &n) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : NQ_ECORRUPT;
}

static size_t make_aad(const char *user, int64_t user_created, unsigned char *aad, size_t cap)
{
    int n = snprintf((char *)aad, cap, "nqdb eeg template v1%c%s%c%lld", 0, user, 0,
                     (long long)user_created);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---- users ------------------------------------------------------------------------------ */

/* The user's creation time and permissions (mu taken here). NQ_ENOTFOUND for an unknown or
 * disabled user. */
static int user_info(auth_store *s, const char *user, int64_t *created, unsigned *perms)
{
    int rc = NQ_ENOTFOUND;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nusers; i++)
        if (strcmp(s->users[i].name, user) == 0 && !s->users[i].disabled) {
            *created = s->users[i].created_at;
            *perms = s->users[i].perms;
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int bio_user_exists(auth_store *s, const char *user)
{
    int64_t c;
    unsigned p;
    return user_info(s, user, &c, &p) == 0;
}

/* ---- templates -------------------------------------------------------------------------- */

/* Read and decrypt user's template (dbmu held). NQ_ENOTFOUND when there is none or it does
 * not decrypt (another user's row, an earlier user of the same name). */
static int load_locked(auth_store *s, const char *user, int64_t user_created, eeg_template *t,
                       bio_meta *m, char *err, size_t errlen)
{
    nq_stmt *st;
    int rc = auth_sql_query(s, &st, err, errlen,
                            "SELECT nonce, blob, channels, samples, created_at, updated_at"
                            " FROM eeg_templates WHERE user_name = ?",
                            "t", user);
    if (rc)
        return rc;
    rc = nq_step(st);
    if (rc != NQ_ROW) {
        nq_finalize(st);
        if (rc == NQ_DONE)
            return NQ_ENOTFOUND;
        snprintf(err, errlen, "auth.db: %s", nq_errmsg(s->db));
        return rc;
    }
    const char *nhex = nq_column_text(st, 0), *bhex = nq_column_text(st, 1);
    size_t blen = bhex ? strlen(bhex) : 0;
    unsigned char nonce[NONCE_LEN], *blob = NULL, *plain = NULL;
    rc = NQ_ENOTFOUND;
    if (m) {
        memset(m, 0, sizeof *m);
        snprintf(m->user, sizeof m->user, "%s", user);
        m->channels = (unsigned)nq_column_int64(st, 2);
        m->samples = (uint32_t)nq_column_int64(st, 3);
        m->created_at = nq_column_int64(st, 4);
        m->updated_at = nq_column_int64(st, 5);
    }
    if (nhex && bhex && blen % 2 == 0 && blen / 2 > TAG_LEN &&
        auth_unhex(nhex, nonce, NONCE_LEN) == 0 && (blob = malloc(blen / 2)) &&
        (plain = malloc(blen / 2))) {
        size_t n = blen / 2 - TAG_LEN;
        char *h = strndup(bhex, 2 * n);
        int ok = h && auth_unhex(h, blob, n) == 0 && auth_unhex(bhex + 2 * n, blob + n, TAG_LEN) == 0;
        free(h);
        unsigned char key[32], aad[200];
        size_t aadlen = make_aad(user, user_created, aad, sizeof aad);
        int krc = ok ? load_key(s, 0, key, err, errlen) : NQ_ENOTFOUND;
        if (krc == 0) {
            if (aadlen && gcm(0, key, nonce, aad, aadlen, blob, n, plain, blob + n) == 0) {
                nq_err e;
                rc = eeg_template_parse(plain, n, t, &e) == 0 ? 0 : NQ_ENOTFOUND;
            }
            OPENSSL_cleanse(key, sizeof key);
        } else if (krc != NQ_ENOTFOUND) {
            rc = krc; /* err says why (a missing or damaged key) */
        }
        OPENSSL_cleanse(plain, n);
    }
    free(blob);
    free(plain);
    nq_finalize(st);
    return rc;
}

static int save_locked(auth_store *s, const char *user, int64_t user_created,
                       const eeg_template *t, int64_t created_at, int64_t now, char *err,
                       size_t errlen)
{
    unsigned char key[32], nonce[NONCE_LEN], aad[200], *plain = NULL, *ct = NULL;
    size_t n = 0;
    char *hex = NULL, nhex[2 * NONCE_LEN + 1];
    int rc = load_key(s, 1, key, err, errlen);
    if (rc)
        return rc;
    size_t aadlen = make_aad(user, user_created, aad, sizeof aad);
    if (!aadlen || auth_random(nonce, NONCE_LEN) != 0) {
        snprintf(err, errlen, "cannot prepare the template's encryption");
        rc = NQ_ERROR;
    } else if ((rc = eeg_template_serialize(t, &plain, &n)) != 0 ||
               !(ct = malloc(n + TAG_LEN)) || !(hex = malloc(2 * (n + TAG_LEN) + 1))) {
        snprintf(err, errlen, "out of memory");
        rc = NQ_ENOMEM;
    } else if (gcm(1, key, nonce, aad, aadlen, plain, n, ct, ct + n) != 0) {
        snprintf(err, errlen, "AES-256-GCM failed");
        rc = NQ_ERROR;
    } else {
        auth_hex(ct, n + TAG_LEN, hex);
        auth_hex(nonce, NONCE_LEN, nhex);
        rc = auth_sql(s, err, errlen,
                      "INSERT INTO eeg_templates(user_name, nonce, blob, channels, samples,"
                      " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT(user_name) DO UPDATE SET nonce = excluded.nonce,"
                      " blob = excluded.blob, channels = excluded.channels,"
                      " samples = excluded.samples, created_at = excluded.created_at,"
                      " updated_at = excluded.updated_at",
                      "tttuiii", user, nhex, hex, t->nchan, (int64_t)t->count,
                      created_at ? created_at : now, now);
    }
    OPENSSL_cleanse(key, sizeof key);
    if (plain)
        OPENSSL_cleanse(plain, n);
    free(plain);
    free(ct);
    free(hex);
    return rc;
}

int bio_enroll(auth_store *s, const char *user, int add, const double *feats, unsigned nvec,
               unsigned nchan, bio_meta *m, char *err, size_t errlen)
{
    int64_t created;
    unsigned perms;
    if (user_info(s, user, &created, &perms) != 0) {
        snprintf(err, errlen, "no such user: %s", user);
        return NQ_ENOTFOUND;
    }
    pthread_mutex_lock(&s->dbmu);
    eeg_template t;
    bio_meta old;
    memset(&old, 0, sizeof old);
    int64_t since = 0;
    int rc = load_locked(s, user, created, &t, &old, err, errlen);
    if (add) {
        if (rc == NQ_ENOTFOUND)
            snprintf(err, errlen, "User signature not found: %s", user);
        else if (rc == 0 && t.nchan != nchan) {
            snprintf(err, errlen, "the template has %u channels, the sample %u", t.nchan,
                     nchan);
            eeg_template_free(&t);
            rc = NQ_EINVAL;
        }
        since = old.created_at;
    } else if (rc == 0 || rc == NQ_ENOTFOUND) {
        if (rc == 0)
            eeg_template_free(&t);
        rc = eeg_template_init(&t, nchan);
        if (rc)
            snprintf(err, errlen, "out of memory");
    }
    if (rc == 0) {
        for (unsigned i = 0; i < nvec; i++)
            eeg_template_add(&t, feats + (size_t)i * nchan * EEG_NFEAT);
        int64_t now = auth_now(s);
        rc = save_locked(s, user, created, &t, since, now, err, errlen);
        if (rc == 0 && m) {
            memset(m, 0, sizeof *m);
            snprintf(m->user, sizeof m->user, "%s", user);
            m->channels = t.nchan;
            m->samples = t.count;
            m->created_at = since ? since : now;
            m->updated_at = now;
        }
        eeg_template_free(&t);
    }
    pthread_mutex_unlock(&s->dbmu);
    return rc;
}

int bio_verify(auth_store *s, const char *user, const double *feat, unsigned nchan,
               double *similarity, char *err, size_t errlen)
{
    int64_t created;
    unsigned perms;
    if (user_info(s, user, &created, &perms) != 0) {
        snprintf(err, errlen, "User signature not found: %s", user);
        return NQ_ENOTFOUND;
    }
    pthread_mutex_lock(&s->dbmu);
    eeg_template t;
    int rc = load_locked(s, user, created, &t, NULL, err, errlen);
    pthread_mutex_unlock(&s->dbmu);
    if (rc == NQ_ENOTFOUND)
        snprintf(err, errlen, "User signature not found: %s", user);
    if (rc)
        return rc;
    if (t.nchan != nchan) {
        snprintf(err, errlen, "the template has %u channels, the sample %u", t.nchan, nchan);
        eeg_template_free(&t);
        return NQ_EINVAL;
    }
    *similarity = eeg_template_score(&t, feat, NULL);
    eeg_template_free(&t);
    return 0;
}

int bio_revoke(auth_store *s, const char *user, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->dbmu);
    nq_stmt *st;
    int found = 0;
    int rc = auth_sql_query(s, &st, err, errlen,
                            "SELECT 1 FROM eeg_templates WHERE user_name = ?", "t", user);
    if (rc == 0) {
        found = nq_step(st) == NQ_ROW;
        nq_finalize(st);
    }
    if (rc == 0 && found)
        rc = auth_sql(s, err, errlen, "DELETE FROM eeg_templates WHERE user_name = ?", "t",
                      user);
    pthread_mutex_unlock(&s->dbmu);
    if (rc == 0 && !found) {
        snprintf(err, errlen, "User signature not found: %s", user);
        rc = NQ_ENOTFOUND;
    }
    return rc;
}

int bio_list(auth_store *s, void (*fn)(void *arg, const bio_meta *m), void *arg, char *err,
             size_t errlen)
{
    pthread_mutex_lock(&s->dbmu);
    nq_stmt *st;
    int rc = auth_sql_query(s, &st, err, errlen,
                            "SELECT user_name, channels, samples, created_at, updated_at"
                            " FROM eeg_templates ORDER BY user_name",
                            "");
    if (rc == 0) {
        while ((rc = nq_step(st)) == NQ_ROW) {
            bio_meta m;
            memset(&m, 0, sizeof m);
            const char *u = nq_column_text(st, 0);
            snprintf(m.user, sizeof m.user, "%s", u ? u : "");
            m.channels = (unsigned)nq_column_int64(st, 1);
            m.samples = (uint32_t)nq_column_int64(st, 2);
            m.created_at = nq_column_int64(st, 3);
            m.updated_at = nq_column_int64(st, 4);
            fn(arg, &m);
        }
        if (rc == NQ_DONE)
            rc = 0;
        else
            snprintf(err, errlen, "auth.db: %s", nq_errmsg(s->db));
        nq_finalize(st);
    }
    pthread_mutex_unlock(&s->dbmu);
    return rc;
}

/* ---- the token -------------------------------------------------------------------------- */

int bio_issue_token(auth_store *s, const auth_jwt_config *jc, const char *user,
                    unsigned lifetime_s, char **token, int64_t *exp, char *err, size_t errlen)
{
    *token = NULL;
    int64_t created;
    unsigned perms;
    if (!jc || !jc->secret || !jc->secret_len) {
        snprintf(err, errlen, "JWT signing is not configured");
        return NQ_EINVAL;
    }
    if (user_info(s, user, &created, &perms) != 0) {
        snprintf(err, errlen, "no such user: %s", user);
        return NQ_ENOTFOUND;
    }
    unsigned char jid[16];
    if (auth_random(jid, sizeof jid) != 0) {
        snprintf(err, errlen, "the random number generator failed");
        return NQ_ERROR;
    }
    jwt_hs256_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.sub, sizeof c.sub, "%s", user);
    auth_hex(jid, 16, c.jti);
    c.iat = auth_now(s);
    c.exp = c.iat + lifetime_s;
    c.perms = perms;
    snprintf(c.amr, sizeof c.amr, "eeg");
    *exp = c.exp;
    return auth_jwt_encode(jc, &c, token, err, errlen); /* HS256 or ML-DSA, as configured */
}
