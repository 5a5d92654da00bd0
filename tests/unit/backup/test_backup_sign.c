/*
 * test_backup_sign.c — signed and encrypted backups (nq_backup_ex, nq_backup_verify_ex,
 * nq_restore_keys, nq_backup_keygen; docs/backup.md "Signed backups", "Encrypted backups").
 *
 *   - key files: keygen writes four files (secret ones mode 600) that parse back; a public
 *     key given where a secret one is expected, a damaged file, a forged fingerprint and a
 *     secret key readable by others are refused naming the file; keys are never overwritten;
 *   - signatures: a signed chain (full, incremental, differential, compressed or not) verifies
 *     and restores with the public key, to the same file as without it; refused, naming the
 *     file: a flipped byte in MANIFEST, in MANIFEST.sig, a manifest rewritten with valid
 *     checksums (what the checksums alone cannot catch), a signature by another key (also with
 *     the fingerprint line forged), a removed signature, a MANIFEST from another signed backup
 *     (alone, or with its signature); an unsigned backup in a chain is refused with a key and
 *     accepted without;
 *   - encryption: an encrypted backup of several chunks restores to the same file as a plain
 *     one of the same snapshot and holds the model's values; no marker of the plaintext is in
 *     any file of an encrypted backup (while the plain backup holds them, so the scan can
 *     fail); verify works without the secret key (as stored), restore needs it; refused, naming
 *     the file: a flipped byte in any chunk or the header, each also with the manifest's
 *     checksums recomputed (so that only AES-GCM can catch it), chunks swapped or dropped, the
 *     file truncated (at a chunk boundary and inside a chunk), the wrong secret key, and the KEM
 *     ciphertext swapped for one to another key; an encrypted, compressed incremental on a
 *     plain full backup (a mixed chain) restores; every refused restore leaves no target;
 *   - a power loss at every mutating call of a signed, encrypted, compressed backup: a backup
 *     reported done verifies with both keys, and whatever verifies restores to the snapshot;
 *   - point-in-time recovery through an encrypted, signed chain and the log archive reaches
 *     the very file a plain backup at the target commit restores to.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
#include "faultvfs.h"
#include "nqdb.h"
#include "kvversions.h"
#include "testfiles.h"
#include "storage/backup.h"

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, (db) ? nq_errmsg(db) : "");                        \
    } while (0)

#define MARKER "PLAINTEXT-MARKER-"

static void copy_file(const char *from, const char *to)
{
    size_t n;
    uint8_t *b = tf_slurp(from, &n);
    assert_non_null(b);
    tf_spit(to, b, n);
    free(b);
}

static void flip(const char *path, size_t off)
{
    size_t n;
    uint8_t *b = tf_slurp(path, &n);
    assert_non_null(b);
    assert_true(off < n);
    b[off] ^= 0x01;
    tf_spit(path, b, n);
    free(b);
}

static nq_db *open_db_vfs(const char *path, nq_vfs *vfs)
{
    nq_options o;
    nq_options_init(&o);
    o.checkpoint_pages = 64;
    o.vfs = vfs;
    nq_db *db;
    int rc = nq_open(path, &o, &db);
    if (rc)
        fail_msg("open %s: %s", path, db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

static nq_db *open_db(const char *path) { return open_db_vfs(path, NULL); }

/* ---- a model: NKEYS keys, value of (key, version) ----------------------------------------- */
#define NKEYS 600

/* Values carry a readable marker (for the plaintext scan) and pseudo-random bytes (so that
 * compression cannot make the data small: several encryption chunks). */
static size_t value_of(uint32_t key, uint32_t ver, uint8_t *buf)
{
    nq_rng r;
    nq_rng_seed(&r, (uint64_t)key << 32 | ver);
    int m = snprintf((char *)buf, 64, MARKER "%06u-%u-", key, ver);
    size_t n = 2000 + nq_rng_below(&r, 6000);
    for (size_t i = (size_t)m; i < n; i++)
        buf[i] = (uint8_t)nq_rng_next(&r);
    return n;
}

static void put_keys(nq_db *db, uint32_t *model, uint32_t from, uint32_t to, uint32_t ver)
{
    static uint8_t buf[16384];
    nq_tree *t;
    OK(db, nq_tree_open(db, "data", NQ_TREE_CREATE, &t));
    OK(db, nq_begin(db, NQ_TXN_WRITE));
    for (uint32_t k = from; k < to; k++) {
        char key[16];
        kvv_key(k, key);
        model[k] = ver;
        size_t n = value_of(k, ver, buf);
        OK(db, nq_put(t, key, strlen(key), buf, n, 0));
    }
    OK(db, nq_commit(db));
    nq_tree_close(t);
}

static void check_model_vfs(const char *path, nq_vfs *vfs, const uint32_t *model)
{
    nq_db *db = open_db_vfs(path, vfs);
    kvv_check(db, model, NKEYS, value_of, path);
    OK(db, nq_close(db));
}

static void check_model(const char *path, const uint32_t *model)
{
    check_model_vfs(path, NULL, model);
}

static void take(nq_db *db, const char *dir, int kind, const char *parent, const char *sign,
                 const char *enc)
{
    tf_mkdir_fresh(dir);
    nq_backup_options o = {kind, sign, enc};
    nq_backup_info info;
    OK(db, nq_backup_ex(db, dir, parent, &o, &info));
    assert_int_equal(info.is_signed, sign != NULL);
    assert_int_equal(info.encrypted, enc != NULL);
}

/* Expect restore (and verify, with check_verify) with keys to refuse the chain with a
 * message containing want. */
static void refused_ex(const char *const *dirs, int n, const char *pub, const char *key,
                       const char *want, int check_verify)
{
    nq_backup_keys keys = {pub, key};
    char msg[600];
    int rc;
    if (check_verify) {
        rc = nq_backup_verify_ex(NULL, dirs, n, &keys, msg, sizeof msg);
        if (rc == 0)
            fail_msg("verify accepted a chain it should refuse (%s)", want);
        if (!strstr(msg, want))
            fail_msg("verify: \"%s\" does not contain \"%s\"", msg, want);
    }
    tf_rm_db("refused.db");
    rc = nq_restore_keys(NULL, dirs, n, "refused.db", NULL, &keys, NULL, msg, sizeof msg);
    if (rc == 0)
        fail_msg("restore accepted a chain it should refuse (%s)", want);
    if (!strstr(msg, want))
        fail_msg("restore: \"%s\" does not contain \"%s\"", msg, want);
    assert_int_equal(access("refused.db", F_OK), -1);
    assert_int_equal(access("refused.db.restoring", F_OK), -1);
}

static void refused(const char *const *dirs, int n, const char *pub, const char *key,
                    const char *want)
{
    refused_ex(dirs, n, pub, key, want, 1);
}

static void verify_ok(const char *const *dirs, int n, const char *pub, const char *key)
{
    nq_backup_keys keys = {pub, key};
    char msg[600];
    if (nq_backup_verify_ex(NULL, dirs, n, &keys, msg, sizeof msg))
        fail_msg("verify: %s", msg);
}

static void restore_ok(const char *const *dirs, int n, const char *target, const char *pub,
                       const char *key)
{
    nq_backup_keys keys = {pub, key};
    char msg[600];
    tf_rm_db(target);
    if (nq_restore_keys(NULL, dirs, n, target, NULL, &keys, NULL, msg, sizeof msg))
        fail_msg("restore into %s: %s", target, msg);
}

static void same_file(const char *a, const char *b)
{
    size_t na, nb;
    uint8_t *fa = tf_slurp(a, &na), *fb = tf_slurp(b, &nb);
    assert_non_null(fa);
    assert_non_null(fb);
    assert_int_equal(na, nb);
    assert_memory_equal(fa, fb, na);
    free(fa);
    free(fb);
}

static int keys_made;
static void make_keys(void)
{
    if (keys_made)
        return;
    tf_rm_rf("k1");
    tf_rm_rf("k2");
    char msg[600];
    if (nq_backup_keygen("k1", msg, sizeof msg) || nq_backup_keygen("k2", msg, sizeof msg))
        fail_msg("keygen: %s", msg);
    keys_made = 1;
}

/* Rewrite a backup's manifest after its data file changed: new size and SHA3-256, new
 * set-sha3 (what someone who can write the backup can always do). edit (may be NULL) changes
 * the manifest too. */
static void refresh_manifest(const char *dir, void (*edit)(bk_manifest *m, void *arg), void *arg)
{
    char p[512];
    snprintf(p, sizeof p, "%s/MANIFEST", dir);
    size_t n;
    char *text = (char *)tf_slurp(p, &n);
    assert_non_null(text);
    bk_manifest m;
    nq_err err;
    nq_err_clear(&err);
    if (bk_manifest_parse(text, n, &m, p, &err))
        fail_msg("%s", err.msg);
    free(text);
    char dp[512];
    snprintf(dp, sizeof dp, "%s/%s", dir, bk_data_name(&m));
    size_t dn;
    uint8_t *data = tf_slurp(dp, &dn);
    assert_non_null(data);
    m.data_bytes = dn;
    assert_int_equal(bk_sha3(data, dn, m.data_sha3), 0);
    free(data);
    if (edit)
        edit(&m, arg);
    size_t tn;
    assert_int_equal(bk_manifest_format(&m, &text, &tn, &err), 0);
    tf_spit(p, text, tn);
    free(text);
}

/* ---- key files ---------------------------------------------------------------------------- */

static void test_key_files(void **state)
{
    (void)state;
    make_keys();
    struct stat st;
    assert_int_equal(stat("k1/backup-sign.key", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat("k1/backup-kem.key", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    bk_key k;
    nq_err err;
    nq_err_clear(&err);
    assert_int_equal(bk_key_load("k1/backup-sign.key", BK_KEY_SIGN_SECRET, &k, &err), 0);
    assert_int_equal(bk_key_load("k1/backup-sign.pub", BK_KEY_SIGN_PUBLIC, &k, &err), 0);
    char fp_sign[BK_FP_HEX + 1];
    memcpy(fp_sign, k.fp, sizeof fp_sign);
    assert_int_equal(bk_key_load("k1/backup-kem.key", BK_KEY_KEM_SECRET, &k, &err), 0);
    char fp_kem[BK_FP_HEX + 1];
    memcpy(fp_kem, k.fp, sizeof fp_kem);
    assert_int_equal(bk_key_load("k1/backup-kem.pub", BK_KEY_KEM_PUBLIC, &k, &err), 0);
    assert_string_equal(fp_kem, k.fp); /* one fingerprint for both halves */
    assert_int_equal(bk_key_load("k1/backup-sign.key", BK_KEY_SIGN_SECRET, &k, &err), 0);
    assert_string_equal(fp_sign, k.fp);
    bk_key_wipe(&k);

    /* the wrong kind of key */
    assert_int_equal(bk_key_load("k1/backup-sign.pub", BK_KEY_SIGN_SECRET, &k, &err), NQ_EINVAL);
    assert_non_null(strstr(err.msg, "k1/backup-sign.pub: is an ML-DSA-65 public key, expected an "
                                    "ML-DSA-65 secret key"));
    assert_int_equal(bk_key_load("k1/backup-kem.pub", BK_KEY_SIGN_PUBLIC, &k, &err), NQ_EINVAL);
    /* a secret key readable by others */
    copy_file("k1/backup-kem.key", "open.key");
    chmod("open.key", 0644);
    assert_int_equal(bk_key_load("open.key", BK_KEY_KEM_SECRET, &k, &err), NQ_EINVAL);
    assert_non_null(strstr(err.msg, "open.key: a secret key readable by others"));
    chmod("open.key", 0600);
    assert_int_equal(bk_key_load("open.key", BK_KEY_KEM_SECRET, &k, &err), 0);
    bk_key_wipe(&k);
    /* a flipped byte anywhere in a key file (a sample of places in every line) */
    size_t n;
    uint8_t *orig = tf_slurp("k1/backup-kem.pub", &n);
    for (size_t off = 0; off < n; off += n / 37 + 1) {
        copy_file("k1/backup-kem.pub", "bad.pub");
        flip("bad.pub", off);
        int rc = bk_key_load("bad.pub", BK_KEY_KEM_PUBLIC, &k, &err);
        if (rc == 0)
            fail_msg("a key file with byte %zu flipped was accepted", off);
        assert_non_null(strstr(err.msg, "bad.pub"));
    }
    /* a forged fingerprint with a valid sha3 line */
    char *text = (char *)orig;
    char *fpl = strstr(text, "fingerprint ") + 12;
    fpl[0] = fpl[0] == '0' ? '1' : '0';
    char *sl = strstr(text, "\nsha3 ") + 1;
    uint8_t h[32];
    assert_int_equal(bk_sha3(text, (size_t)(sl - text), h), 0);
    bk_hex(h, 32, sl + 5);
    sl[5 + 64] = '\n';
    tf_spit("bad.pub", text, n);
    assert_int_equal(bk_key_load("bad.pub", BK_KEY_KEM_PUBLIC, &k, &err), NQ_ECORRUPT);
    assert_non_null(strstr(err.msg, "bad.pub: the fingerprint"));
    free(orig);
    /* never overwritten */
    char msg[600];
    assert_int_equal(nq_backup_keygen("k1", msg, sizeof msg), NQ_EEXIST);
    assert_non_null(strstr(msg, "exists already"));
    assert_int_equal(bk_key_load("k1/backup-kem.pub", BK_KEY_KEM_PUBLIC, &k, &err), 0);
    assert_string_equal(fp_kem, k.fp);
    /* a missing file */
    assert_int_equal(bk_key_load("nokey.pub", BK_KEY_KEM_PUBLIC, &k, &err), NQ_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nokey.pub"));
}

/* ---- signatures --------------------------------------------------------------------------- */

static uint32_t model_s[NKEYS];

/* sf (signed full), si (signed incremental, zstd), sd (signed differential); pf, pi: the same
 * chain unsigned, taken at the same snapshots; k2f: a full backup signed by key 2. */
static void build_signed(void)
{
    make_keys();
    tf_rm_db("sign.db");
    memset(model_s, 0, sizeof model_s);
    nq_db *db = open_db("sign.db");
    put_keys(db, model_s, 0, 200, 1);
    take(db, "sf", NQ_BACKUP_FULL, NULL, "k1/backup-sign.key", NULL);
    take(db, "pf", NQ_BACKUP_FULL, NULL, NULL, NULL);
    take(db, "k2f", NQ_BACKUP_FULL, NULL, "k2/backup-sign.key", NULL);
    put_keys(db, model_s, 150, 260, 2);
    take(db, "si", NQ_BACKUP_INCREMENTAL | NQ_BACKUP_COMPRESS, "sf", "k1/backup-sign.key", NULL);
    take(db, "pi", NQ_BACKUP_INCREMENTAL | NQ_BACKUP_COMPRESS, "pf", NULL, NULL);
    put_keys(db, model_s, 10, 20, 3);
    take(db, "sd", NQ_BACKUP_DIFFERENTIAL, "sf", "k1/backup-sign.key", NULL);
    OK(db, nq_close(db));
}

static void test_signed_chain(void **state)
{
    (void)state;
    build_signed();
    const char *c1[] = {"sf", "si"}, *p1[] = {"pf", "pi"}, *c2[] = {"sf", "sd"};
    verify_ok(c1, 2, "k1/backup-sign.pub", NULL);
    verify_ok(c1, 2, NULL, NULL); /* without the key: as before */
    verify_ok(c2, 2, "k1/backup-sign.pub", NULL);
    restore_ok(c1, 2, "s1.db", "k1/backup-sign.pub", NULL);
    restore_ok(p1, 2, "p1.db", NULL, NULL);
    same_file("s1.db", "p1.db");
    restore_ok(c2, 2, "s2.db", "k1/backup-sign.pub", NULL);
    check_model("s2.db", model_s);
    nq_backup_info info;
    char msg[600];
    assert_int_equal(nq_backup_read(NULL, "si", &info, msg, sizeof msg), 0);
    assert_int_equal(info.is_signed, 1);
    assert_int_equal(nq_backup_read(NULL, "pi", &info, msg, sizeof msg), 0);
    assert_int_equal(info.is_signed, 0);
    /* the signature covers exactly the manifest: it is the only file that differs */
    size_t n;
    char *sig = (char *)tf_slurp("sf/MANIFEST.sig", &n);
    assert_non_null(strstr(sig, "context " BK_SIG_CONTEXT "\n"));
    free(sig);
}

static void other_time(bk_manifest *m, void *arg)
{
    (void)arg;
    m->created[3] = m->created[3] == '9' ? '8' : '9';
}

static void test_signature_tampering(void **state)
{
    (void)state;
    build_signed();
    const char *c1[] = {"sf", "si"};
    const char *pub = "k1/backup-sign.pub";
    size_t n;

    /* a flipped byte in MANIFEST: its own checksum already says so */
    copy_file("si/MANIFEST", "keep.man");
    flip("si/MANIFEST", 200);
    refused(c1, 2, pub, NULL, "si/MANIFEST: ");
    copy_file("keep.man", "si/MANIFEST");

    /* the manifest rewritten with every checksum valid (here: another creation time): only the
     * signature catches it */
    refresh_manifest("si", other_time, NULL);
    verify_ok(c1, 2, NULL, NULL); /* the checksums hold */
    refused(c1, 2, pub, NULL, "si/MANIFEST.sig: bad signature");
    copy_file("keep.man", "si/MANIFEST");
    verify_ok(c1, 2, pub, NULL);

    /* a flipped byte at places in MANIFEST.sig (the header lines and the signature) */
    copy_file("si/MANIFEST.sig", "keep.sig");
    uint8_t *s = tf_slurp("si/MANIFEST.sig", &n);
    free(s);
    for (size_t off = 0; off < n; off += n / 23 + 1) {
        flip("si/MANIFEST.sig", off);
        refused(c1, 2, pub, NULL, "si/MANIFEST.sig: ");
        copy_file("keep.sig", "si/MANIFEST.sig");
    }
    /* a bit of the signature's hex changed into another valid hex digit */
    s = tf_slurp("si/MANIFEST.sig", &n);
    char *h = strstr((char *)s, "signature ") + 10 + 1000;
    *h = *h == 'a' ? 'b' : 'a';
    tf_spit("si/MANIFEST.sig", s, n);
    free(s);
    refused(c1, 2, pub, NULL, "si/MANIFEST.sig: bad signature");
    copy_file("keep.sig", "si/MANIFEST.sig");

    /* a signature by another key */
    const char *k2[] = {"k2f"};
    verify_ok(k2, 1, "k2/backup-sign.pub", NULL);
    refused(k2, 1, pub, NULL, "k2f/MANIFEST.sig: signed by key");
    /* ... whose key line claims key 1 */
    bk_key k1;
    nq_err err;
    assert_int_equal(bk_key_load(pub, BK_KEY_SIGN_PUBLIC, &k1, &err), 0);
    s = tf_slurp("k2f/MANIFEST.sig", &n);
    memcpy(strstr((char *)s, "\nkey ") + 5, k1.fp, BK_FP_HEX);
    tf_spit("k2f/MANIFEST.sig", s, n);
    free(s);
    refused(k2, 1, pub, NULL, "k2f/MANIFEST.sig: bad signature");
    /* ... or a signature by key 2 over this very manifest, claiming key 1 */
    bk_key k2s;
    assert_int_equal(bk_key_load("k2/backup-sign.key", BK_KEY_SIGN_SECRET, &k2s, &err), 0);
    char *man = (char *)tf_slurp("si/MANIFEST", &n);
    char *sig;
    size_t sn;
    assert_int_equal(bk_sig_make(&k2s, man, n, &sig, &sn, &err), 0);
    memcpy(strstr(sig, "\nkey ") + 5, k1.fp, BK_FP_HEX);
    tf_spit("si/MANIFEST.sig", sig, sn);
    free(sig);
    free(man);
    bk_key_wipe(&k2s);
    refused(c1, 2, pub, NULL, "si/MANIFEST.sig: bad signature");
    copy_file("keep.sig", "si/MANIFEST.sig");

    /* a removed signature */
    unlink("si/MANIFEST.sig");
    refused(c1, 2, pub, NULL, "si/MANIFEST.sig: missing");
    verify_ok(c1, 2, NULL, NULL);
    copy_file("keep.sig", "si/MANIFEST.sig");

    /* a manifest from another signed backup (sd: same chain, same key) */
    copy_file("sd/MANIFEST", "si/MANIFEST");
    refused(c1, 2, pub, NULL, "si/MANIFEST.sig: bad signature");
    copy_file("sd/MANIFEST.sig", "si/MANIFEST.sig"); /* with its signature: the files differ */
    refused(c1, 2, pub, NULL, "si/");
    copy_file("keep.man", "si/MANIFEST");
    copy_file("keep.sig", "si/MANIFEST.sig");

    /* a mixed chain: an unsigned backup is refused with a key, accepted without */
    const char *mixed[] = {"pf", "pi"};
    refused(mixed, 2, pub, NULL, "pf/MANIFEST.sig: missing");
    verify_ok(mixed, 2, NULL, NULL);
    verify_ok(c1, 2, pub, NULL);
    /* a key of the wrong kind for checking */
    refused(c1, 2, "k1/backup-kem.pub", NULL, "k1/backup-kem.pub: is an ML-KEM-768 public key");
}

/* ---- encryption --------------------------------------------------------------------------- */

static uint32_t model_e[NKEYS];

/* ef: encrypted full (several 1 MiB chunks), pf2: plain full of the same snapshot;
 * ei: encrypted + compressed + signed incremental on ef; mi: encrypted incremental on pf2. */
static void build_encrypted(void)
{
    make_keys();
    tf_rm_db("enc.db");
    memset(model_e, 0, sizeof model_e);
    nq_db *db = open_db("enc.db");
    put_keys(db, model_e, 0, NKEYS, 1);
    take(db, "ef", NQ_BACKUP_FULL, NULL, NULL, "k1/backup-kem.pub");
    take(db, "pf2", NQ_BACKUP_FULL, NULL, NULL, NULL);
    put_keys(db, model_e, 100, 300, 2);
    take(db, "ei", NQ_BACKUP_INCREMENTAL | NQ_BACKUP_COMPRESS, "ef", "k1/backup-sign.key",
         "k1/backup-kem.pub");
    take(db, "mi", NQ_BACKUP_INCREMENTAL, "pf2", NULL, "k1/backup-kem.pub");
    OK(db, nq_close(db));
}

static int has_marker(const char *path)
{
    size_t n;
    uint8_t *b = tf_slurp(path, &n);
    assert_non_null(b);
    int found = 0;
    for (size_t i = 0; !found && i + sizeof MARKER - 1 <= n; i++)
        found = !memcmp(b + i, MARKER, sizeof MARKER - 1);
    free(b);
    return found;
}

static int dir_has_marker(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int found = 0, files = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p[600];
        snprintf(p, sizeof p, "%.300s/%.200s", dir, de->d_name);
        files++;
        found |= has_marker(p);
    }
    closedir(d);
    assert_true(files >= 3);
    return found;
}

static void test_encrypted_roundtrip(void **state)
{
    (void)state;
    build_encrypted();
    nq_backup_info info;
    char msg[600];
    assert_int_equal(nq_backup_read(NULL, "ef", &info, msg, sizeof msg), 0);
    assert_int_equal(info.encrypted, 1);
    assert_true(info.data_bytes > 3 * BK_ENC_CHUNK); /* several chunks */
    assert_int_equal(access("ef/pages.dat.enc", F_OK), 0);
    assert_int_equal(access("ei/pages.dat.zst.enc", F_OK), 0);

    /* nothing unencrypted: the plain backup holds the markers, the encrypted ones none */
    assert_true(dir_has_marker("pf2"));
    assert_false(dir_has_marker("ef"));
    assert_false(dir_has_marker("ei"));
    assert_false(dir_has_marker("mi"));

    const char *e1[] = {"ef"}, *p1[] = {"pf2"}, *e2[] = {"ef", "ei"}, *m2[] = {"pf2", "mi"};
    verify_ok(e1, 1, NULL, NULL); /* as stored, without the secret key */
    verify_ok(e1, 1, NULL, "k1/backup-kem.key");
    verify_ok(e2, 2, NULL, "k1/backup-kem.key");
    restore_ok(e1, 1, "e1.db", NULL, "k1/backup-kem.key");
    restore_ok(p1, 1, "p1e.db", NULL, NULL);
    same_file("e1.db", "p1e.db");
    restore_ok(e2, 2, "e2.db", NULL, "k1/backup-kem.key");
    check_model("e2.db", model_e);
    restore_ok(m2, 2, "m2.db", NULL, "k1/backup-kem.key"); /* mixed: plain full, encrypted incr. */
    same_file("e2.db", "m2.db");
    /* restore needs the secret key */
    refused_ex(e1, 1, NULL, NULL, "ef/MANIFEST: the backup is encrypted", 0);
    refused_ex(m2, 2, NULL, NULL, "mi/MANIFEST: the backup is encrypted", 0);
    /* a signed chain with one unsigned (encrypted) backup in it */
    refused(e2, 2, "k1/backup-sign.pub", "k1/backup-kem.key", "ef/MANIFEST.sig: missing");
    /* the wrong secret key */
    refused(e1, 1, NULL, "k2/backup-kem.key", "ef/MANIFEST: encrypted to key");
    /* a public key where the secret one belongs */
    refused(e1, 1, NULL, "k1/backup-kem.pub", "k1/backup-kem.pub: is an ML-KEM-768 public key");
}

static void set_key_fp(bk_manifest *m, void *arg) { memcpy(m->enc_key, arg, BK_FP_HEX + 1); }

static void swap_ct(bk_manifest *m, void *arg) { memcpy(m->enc_ct, arg, BK_KEM_CT); }

static void test_encrypted_tampering(void **state)
{
    (void)state;
    build_encrypted();
    const char *e1[] = {"ef"};
    const char *key = "k1/backup-kem.key";
    copy_file("ef/MANIFEST", "keep.man");
    copy_file("ef/pages.dat.enc", "keep.enc");
    size_t n;
    uint8_t *orig = tf_slurp("keep.enc", &n);
    const size_t C = BK_ENC_CHUNK + BK_ENC_TAG;
    size_t nchunks = (n - BK_ENC_HEADER + C - 1) / C;
    assert_true(nchunks >= 4);
    size_t offs[] = {3, BK_ENC_HEADER, BK_ENC_HEADER + 777, BK_ENC_HEADER + C - 1,
                     BK_ENC_HEADER + C + 12345, BK_ENC_HEADER + 2 * C + 5, n - 17, n - 1};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        /* a flipped byte: the file's SHA3-256 (verify), the tag (restore) */
        flip("ef/pages.dat.enc", offs[i]);
        refused(e1, 1, NULL, key, "ef/pages.dat.enc: ");
        /* with the manifest's checksums recomputed: only AES-GCM (or the header) catches it */
        refresh_manifest("ef", NULL, NULL);
        refused(e1, 1, NULL, key, "ef/pages.dat.enc: ");
        copy_file("keep.enc", "ef/pages.dat.enc");
        copy_file("keep.man", "ef/MANIFEST");
    }
    verify_ok(e1, 1, NULL, key);

    /* chunks 0 and 1 swapped; chunk 1 dropped; truncated at a chunk boundary and inside */
    uint8_t *b = malloc(n);
    memcpy(b, orig, n);
    memcpy(b + BK_ENC_HEADER, orig + BK_ENC_HEADER + C, C);
    memcpy(b + BK_ENC_HEADER + C, orig + BK_ENC_HEADER, C);
    tf_spit("ef/pages.dat.enc", b, n);
    refresh_manifest("ef", NULL, NULL);
    refused(e1, 1, NULL, key, "ef/pages.dat.enc: chunk 0: authentication failed");
    memcpy(b, orig, BK_ENC_HEADER + C);
    memcpy(b + BK_ENC_HEADER + C, orig + BK_ENC_HEADER + 2 * C, n - BK_ENC_HEADER - 2 * C);
    tf_spit("ef/pages.dat.enc", b, n - C);
    refresh_manifest("ef", NULL, NULL);
    refused(e1, 1, NULL, key, "ef/pages.dat.enc: chunk 1: authentication failed");
    size_t cuts[] = {BK_ENC_HEADER + 3 * C, BK_ENC_HEADER + 2 * C + 100, BK_ENC_HEADER + C + 5};
    for (size_t i = 0; i < 3; i++) {
        tf_spit("ef/pages.dat.enc", orig, cuts[i]);
        refused(e1, 1, NULL, key, "ef/pages.dat.enc: "); /* size differs from the manifest */
        refresh_manifest("ef", NULL, NULL);
        refused(e1, 1, NULL, key, "ef/pages.dat.enc: ");
        copy_file("keep.man", "ef/MANIFEST");
    }
    free(b);
    copy_file("keep.enc", "ef/pages.dat.enc");
    copy_file("keep.man", "ef/MANIFEST");

    /* the manifest claims key 2 (checksums recomputed): key 2's decapsulation yields another
     * data key, and the first chunk does not authenticate */
    bk_key k2;
    nq_err err;
    assert_int_equal(bk_key_load("k2/backup-kem.pub", BK_KEY_KEM_PUBLIC, &k2, &err), 0);
    refresh_manifest("ef", set_key_fp, k2.fp);
    refused(e1, 1, NULL, "k2/backup-kem.key", "ef/pages.dat.enc: chunk 0: authentication failed");
    copy_file("keep.man", "ef/MANIFEST");
    /* the KEM ciphertext of another backup (same key): another data key */
    size_t mn;
    char *mt = (char *)tf_slurp("ei/MANIFEST", &mn);
    bk_manifest other;
    assert_int_equal(bk_manifest_parse(mt, mn, &other, "ei/MANIFEST", &err), 0);
    free(mt);
    refresh_manifest("ef", swap_ct, other.enc_ct);
    refused(e1, 1, NULL, key, "ef/pages.dat.enc: chunk 0: authentication failed");
    copy_file("keep.man", "ef/MANIFEST");
    verify_ok(e1, 1, NULL, key);
    free(orig);
}

/* Point-in-time recovery from an encrypted, signed chain: the chain is decrypted, then the
 * archived transactions (docs/backup.md, "Point-in-time recovery") are applied; the result is
 * byte for byte the restore of a plain backup taken at that commit. */
static void test_encrypted_pitr(void **state)
{
    (void)state;
    make_keys();
    tf_rm_rf("parc");
    tf_rm_db("pitr.db");
    static uint32_t model[NKEYS];
    memset(model, 0, sizeof model);
    nq_options o;
    nq_options_init(&o);
    o.checkpoint_pages = 64;
    o.archive_dir = "parc";
    nq_db *db;
    OK(NULL, nq_open("pitr.db", &o, &db));
    put_keys(db, model, 0, 100, 1);
    take(db, "pe", NQ_BACKUP_FULL, NULL, "k1/backup-sign.key", "k1/backup-kem.pub");
    put_keys(db, model, 50, 150, 2);
    tf_mkdir_fresh("pa");
    nq_backup_info at;
    OK(db, nq_backup(db, "pa", NQ_BACKUP_FULL, NULL, &at)); /* the snapshot to reach */
    put_keys(db, model, 0, 40, 3);
    OK(db, nq_checkpoint(db));
    OK(db, nq_close(db));

    const char *chain[] = {"pe"}, *plain[] = {"pa"};
    nq_restore_opts ro = {0, NQ_UNTIL_SEQ, at.commit_seq, "parc"};
    nq_backup_keys keys = {"k1/backup-sign.pub", "k1/backup-kem.key"};
    nq_restore_result res;
    char msg[600];
    tf_rm_db("pitr1.db");
    if (nq_restore_keys(NULL, chain, 1, "pitr1.db", &ro, &keys, &res, msg, sizeof msg))
        fail_msg("PITR from an encrypted chain: %s", msg);
    assert_int_equal(res.commit_seq, at.commit_seq);
    assert_true(res.txns_applied >= 1);
    restore_ok(plain, 1, "pitr2.db", NULL, NULL);
    same_file("pitr1.db", "pitr2.db");
    /* without the secret key: refused before anything is written */
    nq_backup_keys nokey = {"k1/backup-sign.pub", NULL};
    tf_rm_db("pitr3.db");
    assert_int_not_equal(nq_restore_keys(NULL, chain, 1, "pitr3.db", &ro, &nokey, NULL, msg,
                                         sizeof msg), 0);
    assert_non_null(strstr(msg, "pe/MANIFEST: the backup is encrypted"));
    assert_int_equal(access("pitr3.db", F_OK), -1);
}

/* A power loss (fault-injecting VFS: lost, torn, reordered writes) at every mutating call of
 * a signed, encrypted, compressed backup: a backup that returned success verifies with both
 * keys; whatever verifies with both keys (signature included) restores to the snapshot. */
static void test_crash_during_signed_encrypted_backup(void **state)
{
    (void)state;
    make_keys();
    static uint32_t model[NKEYS];
    memset(model, 0, sizeof model);
    faultvfs *base = faultvfs_new(3);
    nq_db *db = open_db_vfs("db", faultvfs_vfs(base));
    put_keys(db, model, 0, 80, 1);
    OK(db, nq_close(db));
    nq_backup_options bo = {NQ_BACKUP_FULL | NQ_BACKUP_COMPRESS, "k1/backup-sign.key",
                            "k1/backup-kem.pub"};
    nq_backup_keys keys = {"k1/backup-sign.pub", "k1/backup-kem.key"};
    faultvfs *fv = faultvfs_clone(base, 1);
    db = open_db_vfs("db", faultvfs_vfs(fv));
    faultvfs_reset_counts(fv);
    OK(db, nq_backup_ex(db, "b", NULL, &bo, NULL));
    faultvfs_counts cnt;
    faultvfs_get_counts(fv, &cnt);
    OK(db, nq_close(db));
    faultvfs_free(fv);
    assert_true(cnt.mutating >= 8);
    print_message("signed encrypted backup: %llu mutating calls, each a crash point x 2 seeds\n",
                  (unsigned long long)cnt.mutating);
    int whole = 0;
    for (uint64_t n = 1; n <= cnt.mutating + 1; n++) {
        for (uint64_t cseed = 0; cseed < 2; cseed++) {
            fv = faultvfs_clone(base, n);
            nq_vfs *vfs = faultvfs_vfs(fv);
            db = open_db_vfs("db", vfs);
            faultvfs_crash_at(fv, n);
            int rc = nq_backup_ex(db, "b", NULL, &bo, NULL);
            nq_close(db);
            faultvfs_crash(fv, n * 5 + cseed, FV_CRASH_POWERLOSS, NULL);
            const char *chain[] = {"b"};
            char msg[600];
            int vrc = nq_backup_verify_ex(vfs, chain, 1, &keys, msg, sizeof msg);
            if (rc == 0 && vrc != 0)
                fail_msg("crash at %llu: a backup that returned success does not verify: %s",
                         (unsigned long long)n, msg);
            if (vrc == 0) {
                whole++;
                if (nq_restore_keys(vfs, chain, 1, "restored", NULL, &keys, NULL, msg, sizeof msg))
                    fail_msg("restore: %s", msg);
                check_model_vfs("restored", vfs, model);
            }
            faultvfs_free(fv);
        }
    }
    assert_true(whole >= 2); /* at least the run without a crash, both seeds */
    faultvfs_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_files),
        cmocka_unit_test(test_signed_chain),
        cmocka_unit_test(test_signature_tampering),
        cmocka_unit_test(test_encrypted_roundtrip),
        cmocka_unit_test(test_encrypted_tampering),
        cmocka_unit_test(test_encrypted_pitr),
        cmocka_unit_test(test_crash_during_signed_encrypted_backup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
