/*
 * backup_keys.c — the keys of signed and encrypted backups, and the manifest signature
 * (docs/backup.md, "Keys", "Signed backups").
 *
 * Four key files, made together by bk_keygen (`nqdb backup keygen DIR`):
 *   backup-sign.key  ML-DSA-65 secret key (FIPS 204), mode 600: signs manifests
 *   backup-sign.pub  ML-DSA-65 public key: verify and restore check signatures with it
 *   backup-kem.key   ML-KEM-768 decapsulation key (FIPS 203), mode 600: decrypts data files
 *   backup-kem.pub   ML-KEM-768 encapsulation key: backups encrypt to it
 * Each is text, parsed strictly (fixed lines in a fixed order, lower-case hex, nothing else):
 *
 *   nqdb-key 1
 *   type ML-DSA-65 secret|ML-DSA-65 public|ML-KEM-768 secret|ML-KEM-768 public
 *   fingerprint <16 hex>
 *   key <the key's bytes as hex, on one line>
 *   sha3 <SHA3-256 of every byte before this line>
 *
 * The fingerprint names a key pair and is computable from either half: for ML-DSA-65 the first
 * 8 bytes of tr = SHAKE256(pk, 64), which the secret key holds at offset 64; for ML-KEM-768 the
 * first 8 bytes of H(ek) = SHA3-256(ek), which the decapsulation key holds after ek. The parser
 * recomputes it, so a key file cannot claim another key's name, and it checks the keys the way
 * the crypto library does on input (ML-KEM's modulus and hash checks). The sha3 line catches a
 * damaged file with a message instead of a failing signature.
 *
 * MANIFEST.sig, beside a signed backup's MANIFEST, is text as well:
 *
 *   nqdb-backup-signature 1
 *   algorithm ML-DSA-65
 *   context nqdb-backup-manifest-v1
 *   key <fingerprint of the signing key>
 *   signature <3309 bytes as hex>
 *
 * The signature is ML-DSA-65 (hedged) over the exact bytes of MANIFEST with the context string
 * "nqdb-backup-manifest-v1". The manifest carries the SHA3-256 of every file of the backup and
 * of itself, so the signature covers the whole backup. Secret keys are wiped after use.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../crypto/crypto_util.h"
#include "../crypto/mldsa.h"
#include "../crypto/mlkem.h"

#define KEM_K 3 /* ML-KEM-768 */

static const char *const type_names[] = {NULL, "ML-DSA-65 secret", "ML-DSA-65 public",
                                         "ML-KEM-768 secret", "ML-KEM-768 public"};

const char *bk_key_type_name(int type)
{
    static const char *const long_names[] = {"?", "ML-DSA-65 secret key", "ML-DSA-65 public key",
                                             "ML-KEM-768 secret key", "ML-KEM-768 public key"};
    return type >= 1 && type <= 4 ? long_names[type] : "?";
}

static size_t type_len(int type)
{
    const mlkem_params *kp = mlkem_params_get(KEM_K);
    switch (type) {
    case BK_KEY_SIGN_SECRET: return MLDSA65_SK_BYTES;
    case BK_KEY_SIGN_PUBLIC: return MLDSA65_PK_BYTES;
    case BK_KEY_KEM_SECRET: return kp->dk_bytes;
    case BK_KEY_KEM_PUBLIC: return kp->ek_bytes;
    default: return 0;
    }
}

void bk_key_wipe(bk_key *k)
{
    if (k)
        crypto_wipe(k, sizeof *k);
}

/* The fingerprint of a key from its bytes (see the header comment). */
static int fingerprint(int type, const uint8_t *b, size_t len, char out[BK_FP_HEX + 1])
{
    uint8_t h[64];
    const mlkem_params *kp = mlkem_params_get(KEM_K);
    switch (type) {
    case BK_KEY_SIGN_SECRET:
        memcpy(h, b + 64, 8); /* tr = SHAKE256(pk, 64): sk = rho || K || tr || ... */
        break;
    case BK_KEY_SIGN_PUBLIC:
        if (crypto_shake256(h, 64, b, len))
            return NQ_ERROR;
        break;
    case BK_KEY_KEM_SECRET:
        memcpy(h, b + 384 * KEM_K + kp->ek_bytes, 8); /* dk = dk_pke || ek || H(ek) || z */
        break;
    case BK_KEY_KEM_PUBLIC:
        if (crypto_sha3_256(h, b, len))
            return NQ_ERROR;
        break;
    default: return NQ_EINVAL;
    }
    bk_hex(h, 8, out);
    return 0;
}

int bk_key_format(const bk_key *k, char **out, size_t *len, nq_err *err)
{
    *out = NULL;
    if (k->type < 1 || k->type > 4 || k->len != type_len(k->type))
        return nq_err_set(err, NQ_EINVAL, "not a backup key");
    size_t cap = 2 * k->len + 256;
    char *buf = malloc(cap);
    if (!buf)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    int n = snprintf(buf, cap, "nqdb-key 1\ntype %s\nfingerprint %s\nkey ", type_names[k->type], k->fp);
    bk_hex(k->b, k->len, buf + n);
    n += (int)(2 * k->len);
    buf[n++] = '\n';
    uint8_t h[BK_SHA3];
    char hx[2 * BK_SHA3 + 1];
    if (bk_sha3(buf, (size_t)n, h)) {
        crypto_wipe(buf, cap);
        free(buf);
        return nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    }
    bk_hex(h, BK_SHA3, hx);
    n += snprintf(buf + n, cap - (size_t)n, "sha3 %s\n", hx);
    *out = buf;
    *len = (size_t)n;
    return 0;
}

/* ---- strict line parsing (as the manifest's) ---------------------------------------------- */

typedef struct kcur {
    const char *p, *end;
    int line;
    const char *what;
    nq_err *err;
} kcur;

static int kbad(kcur *c, const char *why)
{
    return nq_err_set(c->err, NQ_ECORRUPT, "%s: line %d: %s", c->what, c->line, why);
}

static int kfield(kcur *c, const char *key, const char **v, size_t *vn)
{
    c->line++;
    size_t kn = strlen(key);
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (!nl) {
        char msg[96];
        snprintf(msg, sizeof msg, "expected \"%s\", found the end of the file", key);
        return kbad(c, msg);
    }
    size_t ln = (size_t)(nl - c->p);
    if (ln <= kn || memcmp(c->p, key, kn) != 0 || c->p[kn] != ' ') {
        char msg[96];
        snprintf(msg, sizeof msg, "expected \"%s\"", key);
        return kbad(c, msg);
    }
    *v = c->p + kn + 1;
    *vn = ln - kn - 1;
    c->p = nl + 1;
    return 0;
}

static int khex(kcur *c, const char *v, size_t n, size_t want, uint8_t *out)
{
    if (n != 2 * want)
        return kbad(c, "expected lower-case hex digits of the right length");
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return kbad(c, "expected lower-case hex digits of the right length");
    for (size_t i = 0; out && i < want; i++) {
        int hi = v[2 * i] <= '9' ? v[2 * i] - '0' : v[2 * i] - 'a' + 10;
        int lo = v[2 * i + 1] <= '9' ? v[2 * i + 1] - '0' : v[2 * i + 1] - 'a' + 10;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int kexact(kcur *c, const char *key, const char *value)
{
    const char *v = NULL; /* kfield sets both on success; gcc -O3 cannot see it */
    size_t n = 0;
    int rc = kfield(c, key, &v, &n);
    if (rc)
        return rc;
    if (n != strlen(value) || memcmp(v, value, n)) {
        char msg[128];
        snprintf(msg, sizeof msg, "expected \"%s %s\"", key, value);
        return kbad(c, msg);
    }
    return 0;
}

/* The sha3 line: the last one, the hash of everything before it. */
static int kcheck_sum(kcur *c, const char *text, const char *key)
{
    size_t covered = (size_t)(c->p - text);
    const char *v = NULL; /* kfield sets both on success; gcc -O3 cannot see it */
    size_t n = 0;
    uint8_t want[BK_SHA3], h[BK_SHA3];
    int rc = kfield(c, key, &v, &n);
    if (!rc)
        rc = khex(c, v, n, BK_SHA3, want);
    if (rc)
        return rc;
    if (c->p != c->end)
        return kbad(c, "unexpected text after the last line");
    if (bk_sha3(text, covered, h))
        return nq_err_set(c->err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    if (memcmp(h, want, BK_SHA3))
        return nq_err_set(c->err, NQ_ECORRUPT, "%s: checksum mismatch (the %s line): the file "
                          "was changed or damaged", c->what, key);
    return 0;
}

int bk_key_parse(const char *text, size_t len, int want, bk_key *k, const char *what, nq_err *err)
{
    memset(k, 0, sizeof *k);
    if (len > BK_KEYFILE_MAX)
        return nq_err_set(err, NQ_ECORRUPT, "%s: too long to be a key file", what);
    kcur c = {text, text + len, 0, what, err};
    const char *v = NULL; /* kfield sets both on success; gcc -O3 cannot see it */
    size_t n = 0;
    int rc;
    if (kfield(&c, "nqdb-key", &v, &n))
        return nq_err_set(err, NQ_ECORRUPT, "%s: not an nqdb key file", what);
    if (n != 1 || v[0] != '1')
        return kbad(&c, "key file version is not 1");
    if ((rc = kfield(&c, "type", &v, &n)))
        return rc;
    for (int t = 1; t <= 4; t++)
        if (n == strlen(type_names[t]) && !memcmp(v, type_names[t], n))
            k->type = t;
    if (!k->type)
        return kbad(&c, "type must be ML-DSA-65 or ML-KEM-768, secret or public");
    if (want && k->type != want)
        return nq_err_set(err, NQ_EINVAL, "%s: is an %s, expected an %s", what,
                          bk_key_type_name(k->type), bk_key_type_name(want));
    char fp[BK_FP_HEX + 1];
    if ((rc = kfield(&c, "fingerprint", &v, &n)) || (rc = khex(&c, v, n, BK_FP_HEX / 2, NULL)))
        return rc;
    memcpy(fp, v, BK_FP_HEX);
    fp[BK_FP_HEX] = 0;
    k->len = type_len(k->type);
    if ((rc = kfield(&c, "key", &v, &n)) || (rc = khex(&c, v, n, k->len, k->b)))
        goto fail;
    if ((rc = kcheck_sum(&c, text, "sha3")))
        goto fail;
    /* the key itself: the crypto library's input checks */
    nq_err e2;
    nq_err_clear(&e2);
    if (k->type == BK_KEY_KEM_PUBLIC && mlkem_check_ek(mlkem_params_get(KEM_K), k->b, k->len, &e2)) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: not a valid ML-KEM-768 public key: %s", what, e2.msg);
        goto fail;
    }
    if (k->type == BK_KEY_KEM_SECRET && mlkem_check_dk(mlkem_params_get(KEM_K), k->b, k->len, &e2)) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: not a valid ML-KEM-768 secret key: %s", what, e2.msg);
        goto fail;
    }
    if ((rc = fingerprint(k->type, k->b, k->len, k->fp))) {
        rc = nq_err_set(err, NQ_ERROR, "%s: cannot compute the fingerprint", what);
        goto fail;
    }
    if (strcmp(fp, k->fp)) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: the fingerprint %s is not the key's (%s)", what, fp,
                        k->fp);
        goto fail;
    }
    return 0;
fail:
    bk_key_wipe(k);
    return rc;
}

static int is_secret(int type) { return type == BK_KEY_SIGN_SECRET || type == BK_KEY_KEM_SECRET; }

int bk_key_load(const char *path, int want, bk_key *k, nq_err *err)
{
    memset(k, 0, sizeof *k);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nq_err_set(err, errno == ENOENT ? NQ_ENOTFOUND : NQ_EIO, "%s: cannot open: %s",
                          path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return nq_err_set(err, NQ_EINVAL, "%s: not a regular file", path);
    }
    if (st.st_size > BK_KEYFILE_MAX) {
        close(fd);
        return nq_err_set(err, NQ_ECORRUPT, "%s: too long to be a key file", path);
    }
    char *text = malloc((size_t)st.st_size + 1);
    if (!text) {
        close(fd);
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    int rc;
    if (got != (size_t)st.st_size)
        rc = nq_err_set(err, NQ_EIO, "%s: read failed", path);
    else
        rc = bk_key_parse(text, got, want, k, path, err);
    if (!rc && is_secret(k->type) && (st.st_mode & 077)) {
        bk_key_wipe(k);
        rc = nq_err_set(err, NQ_EINVAL, "%s: a secret key readable by others (mode %03o); "
                        "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
    }
    crypto_wipe(text, got);
    free(text);
    return rc;
}

static int write_key_path(const char *path, const bk_key *k, nq_err *err)
{
    char *text;
    size_t len;
    int rc = bk_key_format(k, &text, &len, err);
    if (rc)
        return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, is_secret(k->type) ? 0600 : 0644);
    if (fd < 0) {
        rc = nq_err_set(err, errno == EEXIST ? NQ_EEXIST : NQ_EIO, "%s: cannot create: %s%s", path,
                        strerror(errno), errno == EEXIST ? " (keys are never overwritten)" : "");
    } else {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd, text + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        if (off != len || fsync(fd))
            rc = nq_err_set(err, NQ_EIO, "%s: write failed: %s", path, strerror(errno));
        close(fd);
        if (rc)
            unlink(path);
    }
    crypto_wipe(text, len);
    free(text);
    return rc;
}

static int write_key(const char *dir, const char *name, const bk_key *k, nq_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return nq_err_set(err, NQ_EINVAL, "%s: path too long", dir);
    return write_key_path(path, k, err);
}

int bk_kem_keyfile(const char *path, nq_err *err)
{
    bk_key *k = calloc(2, sizeof *k);
    if (!k)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    k[0].type = BK_KEY_KEM_SECRET;
    k[0].len = type_len(BK_KEY_KEM_SECRET);
    int rc = mlkem_keygen(mlkem_params_get(KEM_K), k[1].b, k[0].b, err);
    if (rc)
        rc = err && err->code ? err->code : NQ_ERROR;
    else if (fingerprint(k[0].type, k[0].b, k[0].len, k[0].fp))
        rc = nq_err_set(err, NQ_ERROR, "cannot compute a fingerprint");
    else
        rc = write_key_path(path, &k[0], err);
    bk_key_wipe(&k[0]);
    bk_key_wipe(&k[1]);
    free(k);
    return rc;
}

int bk_keygen(const char *dir, nq_err *err)
{
    static const char *const names[] = {"backup-sign.key", "backup-sign.pub", "backup-kem.key",
                                        "backup-kem.pub"};
    if (mkdir(dir, 0700) && errno != EEXIST)
        return nq_err_set(err, NQ_EIO, "%s: cannot create: %s", dir, strerror(errno));
    for (int i = 0; i < 4; i++) { /* refuse before writing anything */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (access(path, F_OK) == 0)
            return nq_err_set(err, NQ_EEXIST, "%s: exists already (keys are never overwritten)",
                              path);
    }
    bk_key *k = calloc(4, sizeof *k);
    if (!k)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    int rc = 0;
    k[0].type = BK_KEY_SIGN_SECRET;
    k[1].type = BK_KEY_SIGN_PUBLIC;
    k[2].type = BK_KEY_KEM_SECRET;
    k[3].type = BK_KEY_KEM_PUBLIC;
    for (int i = 0; i < 4; i++)
        k[i].len = type_len(k[i].type);
    if (mldsa_keygen(65, k[1].b, k[0].b))
        rc = nq_err_set(err, NQ_ERROR, "ML-DSA-65 key generation failed");
    if (!rc && mlkem_keygen(mlkem_params_get(KEM_K), k[3].b, k[2].b, err))
        rc = err->code ? err->code : NQ_ERROR;
    for (int i = 0; !rc && i < 4; i++)
        if (fingerprint(k[i].type, k[i].b, k[i].len, k[i].fp))
            rc = nq_err_set(err, NQ_ERROR, "cannot compute a fingerprint");
    int written = 0;
    for (; !rc && written < 4; written++)
        rc = write_key(dir, names[written], &k[written], err);
    if (rc) /* all four or none */
        for (int i = 0; i < written - 1 && i < 4; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            unlink(path);
        }
    for (int i = 0; i < 4; i++)
        bk_key_wipe(&k[i]);
    free(k);
    return rc;
}

/* ---- MANIFEST.sig ------------------------------------------------------------------------- */

int bk_sig_make(const bk_key *sk, const char *manifest, size_t len, char **out, size_t *outlen,
                nq_err *err)
{
    *out = NULL;
    if (sk->type != BK_KEY_SIGN_SECRET)
        return nq_err_set(err, NQ_EINVAL, "signing needs an ML-DSA-65 secret key");
    uint8_t sig[MLDSA65_SIG_BYTES];
    int rc = mldsa_sign_ex(65, sk->b, sk->len, (const uint8_t *)manifest, len,
                           (const uint8_t *)BK_SIG_CONTEXT, strlen(BK_SIG_CONTEXT), NULL, sig);
    if (rc)
        return nq_err_set(err, rc, "ML-DSA-65 signing failed");
    size_t cap = 2 * sizeof sig + 256;
    char *buf = malloc(cap);
    if (!buf)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    int n = snprintf(buf, cap, "nqdb-backup-signature 1\nalgorithm ML-DSA-65\ncontext %s\nkey %s\n"
                     "signature ", BK_SIG_CONTEXT, sk->fp);
    bk_hex(sig, sizeof sig, buf + n);
    n += 2 * (int)sizeof sig;
    buf[n++] = '\n';
    *out = buf;
    *outlen = (size_t)n;
    return 0;
}

int bk_sig_parse(const char *text, size_t len, char fp[BK_FP_HEX + 1], uint8_t *sig,
                 const char *what, nq_err *err)
{
    if (len > BK_SIG_MAX)
        return nq_err_set(err, NQ_ECORRUPT, "%s: too long to be a backup signature", what);
    kcur c = {text, text + len, 0, what, err};
    const char *v = NULL; /* kfield sets both on success; gcc -O3 cannot see it */
    size_t n = 0;
    int rc;
    if (kfield(&c, "nqdb-backup-signature", &v, &n))
        return nq_err_set(err, NQ_ECORRUPT, "%s: not a backup signature", what);
    if (n != 1 || v[0] != '1')
        return kbad(&c, "signature format version is not 1");
    if ((rc = kexact(&c, "algorithm", "ML-DSA-65")) || (rc = kexact(&c, "context", BK_SIG_CONTEXT)))
        return rc;
    if ((rc = kfield(&c, "key", &v, &n)) || (rc = khex(&c, v, n, BK_FP_HEX / 2, NULL)))
        return rc;
    memcpy(fp, v, BK_FP_HEX);
    fp[BK_FP_HEX] = 0;
    if ((rc = kfield(&c, "signature", &v, &n)) || (rc = khex(&c, v, n, MLDSA65_SIG_BYTES, sig)))
        return rc;
    if (c.p != c.end)
        return kbad(&c, "unexpected text after the signature");
    return 0;
}

int bk_sig_check(const bk_key *pk, const char *manifest, size_t len, const char *sig_text,
                 size_t sig_len, const char *sig_what, nq_err *err)
{
    if (pk->type != BK_KEY_SIGN_PUBLIC)
        return nq_err_set(err, NQ_EINVAL, "checking signatures needs an ML-DSA-65 public key");
    char fp[BK_FP_HEX + 1];
    uint8_t *sig = malloc(MLDSA65_SIG_BYTES);
    if (!sig)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    int rc = bk_sig_parse(sig_text, sig_len, fp, sig, sig_what, err);
    if (!rc && strcmp(fp, pk->fp))
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: signed by key %s, not by the given public key %s",
                        sig_what, fp, pk->fp);
    if (!rc && mldsa_verify(65, pk->b, pk->len, (const uint8_t *)manifest, len,
                            (const uint8_t *)BK_SIG_CONTEXT, strlen(BK_SIG_CONTEXT), sig,
                            MLDSA65_SIG_BYTES) != 0)
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: bad signature: the manifest or its signature was "
                        "changed", sig_what);
    free(sig);
    return rc;
}
