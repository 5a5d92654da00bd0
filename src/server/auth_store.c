/*
 * auth_store.c — opening and closing the credential store (auth.h): the data directory,
 * auth.key, the auth.db schema, the SQL helpers the other auth_*.c files use, flushing, the
 * JWT secret file, the ML-DSA token key files, and small shared helpers (permission lists, hex, time text).
 *
 * auth.key guards every API-key hash: without it no stored key can be checked. So auth.db
 * records a fingerprint of it (meta 'auth_key_check' = HMAC(auth.key, "nqdb auth.key check")),
 * and opening refuses a store whose auth.key is missing or different instead of quietly making
 * a new one and invalidating every key.
 */
#include "auth_int.h"

#include "mldsa.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char schema_sql[] =
    "BEGIN;"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS api_keys(hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL, permissions INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, rate_limit_per_hour INTEGER NOT NULL,"
    " last_used INTEGER NOT NULL DEFAULT 0, usage_count INTEGER NOT NULL DEFAULT 0,"
    " revoked_at INTEGER, revoked_by TEXT);"
    "CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, password TEXT NOT NULL,"
    " permissions INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS refresh_tokens(hash TEXT PRIMARY KEY, user_name TEXT NOT NULL,"
    " family TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens(family);"
    "CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens(user_name);"
    "CREATE TABLE IF NOT EXISTS revoked_jti(jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
    /* EEG templates (bio_store.c): AES-256-GCM under eeg.key, hex; the sizes are not secret */
    "CREATE TABLE IF NOT EXISTS eeg_templates(user_name TEXT PRIMARY KEY, nonce TEXT NOT NULL,"
    " blob TEXT NOT NULL, channels INTEGER NOT NULL, samples INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "COMMIT;";

/* ---- small helpers ---------------------------------------------------------------------- */

int64_t auth_now(auth_store *s)
{
    if (s && s->clock)
        return s->clock(s->clock_arg);
    return (int64_t)time(NULL);
}

void auth_hex(const unsigned char *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int auth_unhex(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return NQ_EINVAL;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return hex[2 * n] == '\0' ? 0 : NQ_EINVAL;
}

int auth_random(unsigned char *p, size_t n)
{
    return RAND_bytes(p, (int)n) == 1 ? 0 : NQ_ERROR;
}

uint64_t auth_fp(const unsigned char *p, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < 8 && i < n; i++)
        h |= (uint64_t)p[i] << (8 * i);
    return h;
}

int auth_index_rebuild(auth_index *ix, size_t n, uint64_t (*hash_of)(const void *base, size_t i),
                       const void *base)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return NQ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t j = (size_t)hash_of(base, i) & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = (uint32_t)(i + 1);
    }
    free(ix->slot);
    ix->slot = slot;
    ix->cap = cap;
    return 0;
}

void auth_format_time(int64_t t, char *out, size_t outlen)
{
    if (t == 0) {
        snprintf(out, outlen, "never");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, outlen, "%lld", (long long)t);
}

int auth_perms_parse(const char *list, unsigned *out, char *err, size_t errlen)
{
    unsigned perms = 0;
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *b = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        char name[32];
        size_t n = (size_t)(p - b);
        unsigned bit = 0;
        if (n < sizeof name) {
            memcpy(name, b, n);
            name[n] = '\0';
            bit = perm_parse(name);
        }
        if (!bit) {
            snprintf(err, errlen,
                     "Invalid permission: %.*s. Valid permissions are: [\"admin\", "
                     "\"neuromorphic\", \"quantum\", \"dna\", \"read\", \"write\"]",
                     (int)(n > 40 ? 40 : n), b);
            return NQ_EINVAL;
        }
        perms |= bit;
    }
    if (!perms) {
        snprintf(err, errlen, "no permissions given");
        return NQ_EINVAL;
    }
    *out = perms;
    return 0;
}

/* ---- SQL helpers ---------------------------------------------------------------------------- */

static int sql_fail(auth_store *s, int rc, char *err, size_t errlen)
{
    if (err)
        snprintf(err, errlen, "auth.db: %s", nq_errmsg(s->db));
    return rc;
}

static int bind_va(nq_stmt *st, const char *fmt, va_list ap)
{
    for (int i = 0; fmt && fmt[i]; i++) {
        int rc;
        switch (fmt[i]) {
        case 't': {
            const char *v = va_arg(ap, const char *);
            rc = v ? nq_bind_text(st, i + 1, v, (size_t)-1) : nq_bind_null(st, i + 1);
            break;
        }
        case 'i':
            rc = nq_bind_int64(st, i + 1, va_arg(ap, int64_t));
            break;
        case 'u':
            rc = nq_bind_int64(st, i + 1, (int64_t)va_arg(ap, unsigned));
            break;
        default:
            rc = NQ_EMISUSE;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int auth_sql(auth_store *s, char *err, size_t errlen, const char *sql, const char *fmt, ...)
{
    nq_stmt *st = NULL;
    int rc = nq_prepare(s->db, sql, (size_t)-1, &st, NULL);
    if (rc)
        return sql_fail(s, rc, err, errlen);
    va_list ap;
    va_start(ap, fmt);
    rc = bind_va(st, fmt, ap);
    va_end(ap);
    if (rc == 0) {
        while ((rc = nq_step(st)) == NQ_ROW)
            ;
        if (rc == NQ_DONE)
            rc = 0;
    }
    if (rc)
        sql_fail(s, rc, err, errlen);
    nq_finalize(st);
    return rc;
}

int auth_sql_query(auth_store *s, nq_stmt **st, char *err, size_t errlen, const char *sql,
                   const char *fmt, ...)
{
    *st = NULL;
    int rc = nq_prepare(s->db, sql, (size_t)-1, st, NULL);
    if (rc)
        return sql_fail(s, rc, err, errlen);
    va_list ap;
    va_start(ap, fmt);
    rc = bind_va(*st, fmt, ap);
    va_end(ap);
    if (rc) {
        sql_fail(s, rc, err, errlen);
        nq_finalize(*st);
        *st = NULL;
    }
    return rc;
}

int auth_begin(auth_store *s, char *err, size_t errlen)
{
    return auth_sql(s, err, errlen, "BEGIN", "");
}

int auth_commit(auth_store *s, char *err, size_t errlen)
{
    int rc = auth_sql(s, err, errlen, "COMMIT", "");
    if (rc)
        auth_rollback(s);
    return rc;
}

void auth_rollback(auth_store *s)
{
    if (nq_in_txn(s->db, NULL))
        nq_exec(s->db, "ROLLBACK", NULL, NULL);
}

/* ---- files ---------------------------------------------------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* mkdir -p with mode 0700 for the directories it creates. */
static int make_dir(const char *dir, char *err, size_t errlen)
{
    char *p = strdup(dir);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    int rc = 0;
    for (char *q = p + 1;; q++) {
        if (*q != '/' && *q != '\0')
            continue;
        char c = *q;
        *q = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create the data directory %s: %s", p, strerror(errno));
            rc = NQ_EIO;
            break;
        }
        *q = c;
        if (!c)
            break;
    }
    struct stat sb;
    if (rc == 0 && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        snprintf(err, errlen, "%s is not a directory", dir);
        rc = NQ_EIO;
    }
    free(p);
    return rc;
}

/* Read a whole small file into buf; returns its length, or -1 with errno. */
static ssize_t read_small(const char *path, unsigned char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    return (ssize_t)n;
}

/* Create path with mode 0600 holding exactly n bytes, only if it does not exist (O_EXCL), and
 * make it durable (file and directory synced). 0, NQ_EEXIST, or NQ_EIO with err. */
static int create_file_mode(const char *path, const void *p, size_t n, mode_t mode, char *err,
                            size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0 && fchmod(fd, mode) != 0) { /* whatever the umask */
        int e = errno;
        close(fd);
        unlink(path);
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
        return NQ_EIO;
    }
    if (fd < 0) {
        if (errno == EEXIST)
            return NQ_EEXIST;
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return NQ_EIO;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, (const char *)p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int ok = done == n && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
        return NQ_EIO;
    }
    nq_vfs *vfs = nq_vfs_default();
    vfs->sync_dir(vfs, path);
    return 0;
}

static int create_secret_file(const char *path, const void *p, size_t n, char *err,
                              size_t errlen)
{
    return create_file_mode(path, p, n, 0600, err, errlen);
}

static void key_check_value(const unsigned char key[32], char out[65])
{
    static const char label[] = "nqdb auth.key check";
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), key, 32, (const unsigned char *)label, sizeof label - 1, mac, &maclen);
    auth_hex(mac, 32, out);
}

static int load_auth_key(auth_store *s, char *err, size_t errlen)
{
    char stored[80] = "";
    nq_stmt *st;
    int rc = auth_sql_query(s, &st, err, errlen, "SELECT v FROM meta WHERE k = 'auth_key_check'",
                            "");
    if (rc)
        return rc;
    rc = nq_step(st);
    if (rc == NQ_ROW) {
        const char *v = nq_column_text(st, 0);
        snprintf(stored, sizeof stored, "%s", v ? v : "");
        rc = 0;
    } else if (rc == NQ_DONE) {
        rc = 0;
    }
    nq_finalize(st);
    if (rc)
        return sql_fail(s, rc, err, errlen);

    char *path = path_join(s->dir, "auth.key");
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    unsigned char buf[33];
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0 && errno == ENOENT) {
        if (stored[0]) {
            snprintf(err, errlen,
                     "%s is missing: the API keys in auth.db cannot be checked without it "
                     "(restore it from a backup, or remove auth.db to start over)",
                     path);
            free(path);
            return NQ_ECORRUPT;
        }
        if ((rc = auth_random(s->hkey, 32)) != 0) {
            snprintf(err, errlen, "the random number generator failed");
            free(path);
            return rc;
        }
        rc = create_secret_file(path, s->hkey, 32, err, errlen);
        if (rc == NQ_EEXIST)
            snprintf(err, errlen, "%s appeared while creating it", path);
        if (rc) {
            free(path);
            return rc == NQ_EEXIST ? NQ_EIO : rc;
        }
    } else if (n != 32) {
        if (n < 0)
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        else
            snprintf(err, errlen, "%s is damaged: it must hold exactly 32 bytes", path);
        free(path);
        return n < 0 ? NQ_EIO : NQ_ECORRUPT;
    } else {
        memcpy(s->hkey, buf, 32);
    }
    char check[65];
    key_check_value(s->hkey, check);
    if (!stored[0]) {
        rc = auth_sql(s, err, errlen, "INSERT INTO meta(k, v) VALUES ('auth_key_check', ?)", "t",
                      check);
    } else if (strcmp(stored, check) != 0) {
        snprintf(err, errlen,
                 "%s does not belong to this auth.db (its fingerprint differs): restore the "
                 "right one",
                 path);
        rc = NQ_ECORRUPT;
    }
    free(path);
    return rc;
}

/* ---- open / close / flush ------------------------------------------------------------------- */

int auth_open(const char *data_dir, auth_store **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!data_dir || !*data_dir) {
        snprintf(err, errlen, "no data directory given");
        return NQ_EINVAL;
    }
    int rc = make_dir(data_dir, err, errlen);
    if (rc)
        return rc;
    auth_store *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(data_dir))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    pthread_mutex_init(&s->dbmu, NULL);
    pthread_mutex_init(&s->mu, NULL);
    s->argon_t = AUTH_ARGON2_T;
    s->argon_m = AUTH_ARGON2_M;
    s->argon_p = AUTH_ARGON2_P;

    char *path = path_join(data_dir, "auth.db");
    nq_options o;
    nq_options_init(&o);
    o.cache_bytes = 256 * 1024; /* a few hundred records: keep the server's idle memory small */
    rc = path ? nq_open(path, &o, &s->db) : NQ_ENOMEM;
    if (rc == NQ_ELOCKED) {
        snprintf(err, errlen,
                 "the data directory %s is in use by a running server (nqdb serve); stop it, or "
                 "manage keys through POST /api/v1/auth/generate-key",
                 data_dir);
    } else if (rc) {
        snprintf(err, errlen, "cannot open %s: %s", path ? path : "auth.db",
                 s->db ? nq_errmsg(s->db) : nq_strerror(rc));
    }
    if (rc == 0) { /* the directory is 0700 already; the files follow suit (best effort) */
        chmod(path, 0600);
        char *wal = path_join(data_dir, "auth.db-wal");
        if (wal)
            chmod(wal, 0600);
        free(wal);
    }
    free(path);
    if (rc == 0) {
        rc = nq_exec(s->db, schema_sql, NULL, NULL);
        if (rc) {
            sql_fail(s, rc, err, errlen);
            auth_rollback(s);
        }
    }
    if (rc == 0)
        rc = load_auth_key(s, err, errlen);
    if (rc == 0)
        rc = auth_keys_load(s, err, errlen);
    if (rc == 0)
        rc = auth_users_load(s, err, errlen);
    if (rc == 0)
        rc = auth_tokens_load(s, err, errlen);
    if (rc) {
        auth_keys_free(s);
        auth_users_free(s);
        auth_tokens_free(s);
        nq_close(s->db);
        pthread_mutex_destroy(&s->dbmu);
        pthread_mutex_destroy(&s->mu);
        free(s->dir);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int auth_flush(auth_store *s)
{
    char err[256];
    pthread_mutex_lock(&s->dbmu);
    int rc = auth_keys_flush(s, err, sizeof err);
    int rc2 = auth_tokens_purge(s, err, sizeof err);
    pthread_mutex_unlock(&s->dbmu);
    return rc ? rc : rc2;
}

void auth_close(auth_store *s)
{
    if (!s)
        return;
    auth_flush(s);
    auth_keys_free(s);
    auth_users_free(s);
    auth_tokens_free(s);
    nq_close(s->db);
    pthread_mutex_destroy(&s->dbmu);
    pthread_mutex_destroy(&s->mu);
    free(s->dummy_encoded);
    OPENSSL_cleanse(s->hkey, sizeof s->hkey);
    free(s->dir);
    free(s);
}

const char *auth_data_dir(const auth_store *s)
{
    return s->dir;
}

void auth_set_argon2_params(auth_store *s, uint32_t t_cost, uint32_t m_cost_kib)
{
    pthread_mutex_lock(&s->mu);
    s->argon_t = t_cost;
    s->argon_m = m_cost_kib;
    free(s->dummy_encoded);
    s->dummy_encoded = NULL;
    pthread_mutex_unlock(&s->mu);
}

int auth_set_argon2(auth_store *s, uint32_t m_cost_kib, uint32_t t_cost, uint32_t lanes,
                    char *err, size_t errlen)
{
    /* the bounds of the configuration keys (config.c), which are inside libargon2's */
    if (m_cost_kib < 1024 || m_cost_kib > 4194304 || t_cost < 1 || t_cost > 64 || lanes < 1 ||
        lanes > 16 || m_cost_kib < 8 * lanes) {
        snprintf(err, errlen,
                 "Argon2id parameters out of range: memory %u KiB (1024..4194304), iterations "
                 "%u (1..64), parallelism %u (1..16)",
                 m_cost_kib, t_cost, lanes);
        return NQ_EINVAL;
    }
    pthread_mutex_lock(&s->mu);
    s->argon_t = t_cost;
    s->argon_m = m_cost_kib;
    s->argon_p = lanes;
    free(s->dummy_encoded); /* unknown users must cost what known ones do */
    s->dummy_encoded = NULL;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void auth_set_clock(auth_store *s, int64_t (*now)(void *arg), void *arg)
{
    pthread_mutex_lock(&s->mu);
    s->clock = now;
    s->clock_arg = arg;
    pthread_mutex_unlock(&s->mu);
}

/* ---- the JWT secret ------------------------------------------------------------------------- */

int auth_random_secret_b64(char *out, size_t outlen)
{
    unsigned char raw[64];
    if (outlen < 89 || auth_random(raw, sizeof raw) != 0)
        return NQ_ERROR;
    EVP_EncodeBlock((unsigned char *)out, raw, (int)sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

int auth_load_jwt_secret(const char *data_dir, const char *configured_secret,
                         unsigned char **secret, size_t *len, char *err, size_t errlen)
{
    *secret = NULL;
    *len = 0;
    if (configured_secret && *configured_secret) {
        size_t n = strlen(configured_secret);
        if (n < 32) {
            snprintf(err, errlen, "jwt.secret must be at least 32 characters (it has %zu); "
                                  "generate one with `nqdb generate-jwt-secret`", n);
            return NQ_EINVAL;
        }
        if (!(*secret = malloc(n))) {
            snprintf(err, errlen, "out of memory");
            return NQ_ENOMEM;
        }
        memcpy(*secret, configured_secret, n);
        *len = n;
        return 0;
    }
    int rc = make_dir(data_dir, err, errlen);
    if (rc)
        return rc;
    char *path = path_join(data_dir, "jwt.secret");
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        unsigned char buf[1025];
        ssize_t n = read_small(path, buf, sizeof buf);
        if (n < 0 && errno == ENOENT && attempt == 0) {
            char b64[89];
            if (auth_random_secret_b64(b64, sizeof b64) != 0) {
                snprintf(err, errlen, "the random number generator failed");
                rc = NQ_ERROR;
                break;
            }
            char line[91];
            snprintf(line, sizeof line, "%s\n", b64);
            rc = create_secret_file(path, line, strlen(line), err, errlen);
            OPENSSL_cleanse(b64, sizeof b64);
            OPENSSL_cleanse(line, sizeof line);
            if (rc && rc != NQ_EEXIST)
                break;
            rc = 0;
            continue; /* read back what is there now (ours, or a concurrent creator's) */
        }
        if (n < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            rc = NQ_EIO;
            break;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
            n--;
        if (n < 32 || n > 1024) {
            snprintf(err, errlen, "%s must hold a secret of 32 to 1024 characters", path);
            rc = NQ_ECORRUPT;
            break;
        }
        if (!(*secret = malloc((size_t)n))) {
            snprintf(err, errlen, "out of memory");
            rc = NQ_ENOMEM;
            break;
        }
        memcpy(*secret, buf, (size_t)n);
        *len = (size_t)n;
        OPENSSL_cleanse(buf, sizeof buf);
        rc = 0;
        break;
    }
    free(path);
    return rc;
}

/* ---- the ML-DSA token key ------------------------------------------------------------------- */

int auth_load_jwt_mldsa(const char *data_dir, int level, int mode, uint8_t **sk, size_t *sklen,
                        uint8_t **pk, size_t *pklen, char *err, size_t errlen)
{
    *sk = *pk = NULL;
    *sklen = *pklen = 0;
    if (level != 65 && level != 87) {
        snprintf(err, errlen, "ML-DSA token keys are ML-DSA-65 or ML-DSA-87, not level %d", level);
        return NQ_EINVAL;
    }
    int rc = make_dir(data_dir, err, errlen);
    if (rc)
        return rc;
    char kname[32], pname[32];
    snprintf(kname, sizeof kname, "jwt-mldsa%d.key", level);
    snprintf(pname, sizeof pname, "jwt-mldsa%d.pub", level);
    char *kpath = path_join(data_dir, kname), *ppath = path_join(data_dir, pname);
    size_t pkn = mldsa_pk_bytes(level), skn = mldsa_sk_bytes(level);
    uint8_t *pkb = malloc(pkn), *skb = malloc(skn), *fb = malloc(pkn + 1);
    uint8_t seed[MLDSA_SEED_BYTES + 1];
    if (!kpath || !ppath || !pkb || !skb || !fb) {
        snprintf(err, errlen, "out of memory");
        rc = NQ_ENOMEM;
        goto out;
    }
    for (int attempt = 0;; attempt++) {
        ssize_t n = read_small(kpath, seed, sizeof seed);
        if (n < 0 && errno == ENOENT && mode != AUTH_MLDSA_LOAD && attempt == 0) {
            struct stat sb;
            if (stat(ppath, &sb) == 0) {
                snprintf(err, errlen,
                         "%s exists without its signing key %s: restore the key from a backup, "
                         "or remove the .pub to make a new pair (tokens signed before then stop "
                         "verifying, and verifiers need the new .pub)",
                         ppath, kpath);
                rc = NQ_ENOTFOUND;
                goto out;
            }
            if (auth_random(seed, MLDSA_SEED_BYTES) != 0) {
                snprintf(err, errlen, "the random number generator failed");
                rc = NQ_ERROR;
                goto out;
            }
            rc = create_secret_file(kpath, seed, MLDSA_SEED_BYTES, err, errlen);
            OPENSSL_cleanse(seed, sizeof seed);
            if (rc && rc != NQ_EEXIST)
                goto out;
            if (rc == 0)
                mode = AUTH_MLDSA_LOAD_OR_CREATE; /* made here: reading it back is no error */
            rc = 0;
            continue; /* read back what is there now (ours, or a concurrent creator's) */
        }
        if (n < 0 && errno == ENOENT) {
            snprintf(err, errlen,
                     "%s is missing: create the ML-DSA-%d token key pair with `nqdb "
                     "generate-jwt-secret --algorithm ML-DSA-%d`",
                     kpath, level, level);
            rc = NQ_ENOTFOUND;
            goto out;
        }
        if (n < 0) {
            snprintf(err, errlen, "cannot read %s: %s", kpath, strerror(errno));
            rc = NQ_EIO;
            goto out;
        }
        if (mode == AUTH_MLDSA_CREATE && attempt == 0) {
            snprintf(err, errlen,
                     "%s exists already: it is the current token signing key (to rotate, see "
                     "docs/authentication.md)",
                     kpath);
            rc = NQ_EEXIST;
            goto out;
        }
        if (n != MLDSA_SEED_BYTES) {
            snprintf(err, errlen, "%s is damaged: it must hold exactly 32 bytes (an ML-DSA seed)",
                     kpath);
            rc = NQ_ECORRUPT;
            goto out;
        }
        break;
    }
    rc = mldsa_keygen_internal(level, seed, pkb, skb);
    OPENSSL_cleanse(seed, sizeof seed);
    if (rc) {
        snprintf(err, errlen, "ML-DSA key generation failed");
        goto out;
    }
    ssize_t n = read_small(ppath, fb, pkn + 1);
    if (n < 0 && errno == ENOENT) {
        rc = create_file_mode(ppath, pkb, pkn, 0644, err, errlen);
        if (rc == NQ_EEXIST)
            n = read_small(ppath, fb, pkn + 1); /* a concurrent creator: compare below */
        else if (rc)
            goto out;
        else
            n = (ssize_t)pkn, memcpy(fb, pkb, pkn);
        rc = 0;
    }
    if (n < 0) {
        snprintf(err, errlen, "cannot read %s: %s", ppath, strerror(errno));
        rc = NQ_EIO;
    } else if ((size_t)n != pkn || memcmp(fb, pkb, pkn) != 0) {
        snprintf(err, errlen,
                 "%s does not belong to the signing key %s (remove it: it is rewritten from the "
                 "key at the next start)",
                 ppath, kpath);
        rc = NQ_ECORRUPT;
    }
out:
    if (rc == 0) {
        *sk = skb;
        *sklen = skn;
        *pk = pkb;
        *pklen = pkn;
        skb = pkb = NULL;
    }
    if (skb)
        OPENSSL_cleanse(skb, skn);
    free(skb);
    free(pkb);
    free(fb);
    free(kpath);
    free(ppath);
    return rc;
}
