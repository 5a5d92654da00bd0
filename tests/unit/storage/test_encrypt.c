/*
 * test_encrypt.c — encryption at rest (page_crypt.c, dbkey.c, dbrekey.c; docs/security.md),
 * on real files:
 *   - a database created with a passphrase or an ML-KEM-768 key file reopens with it, and
 *     nothing of its rows, index keys, long (overflow) values or data key is in any file of
 *     the directory (database, log, backup, archive segment);
 *   - the wrong passphrase, another key file, no key, a key for a plain database, a key file
 *     readable by others, a missing key file: each a clean error (NQ_EKEY, or the key file's
 *     own), and the files are byte for byte unchanged;
 *   - damage: a flipped byte, two pages swapped, a page copied from another database (CRCs
 *     recomputed, as an attacker would), an altered clear header: NQ_ECORRUPT naming the page;
 *   - rotation (re-wrap between passphrases and key files), re-encryption under a fresh data
 *     key (every page image changes), backup and restore (the restored file opens with the
 *     key), the log archive (segments hold ciphertext);
 *   - plain databases keep the format: version 1, 12-byte trailer;
 *   - the page codec (COMPRESS TABLE ... USING DNA) under the cipher: coded, encrypted, read
 *     back through both stages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "base/crc32c.h"
#include "base/endian.h"
#include "nqdb.h"
#include "storage/page_crypt.h"
#include "storage/pager_int.h"
#include "testfiles.h"

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, (db) ? nq_errmsg(db) : "");                        \
    } while (0)

#define DB "e.db"
#define NROWS 300
#define MARK_ROW "ZQXROWMARK"
#define MARK_IDX "ZQXIDXMARK"
#define MARK_BIG "ZQXBIGMARK"

static void opts_pass(nq_options *o, const char *pass)
{
    nq_options_init(o);
    o->passphrase = pass;
    o->kdf_iterations = 1;
    o->kdf_memory_kib = 64; /* fast for tests; the default is 64 MiB */
}

static void opts_file(nq_options *o, const char *file)
{
    nq_options_init(o);
    o->key_file = file;
}

static nq_db *open_ok(const char *path, const nq_options *o)
{
    nq_db *db = NULL;
    int rc = nq_open(path, o, &db);
    if (rc)
        fail_msg("nq_open(%s): %d %s", path, rc, db ? nq_errmsg(db) : "");
    return db;
}

/* nq_open must fail with want; returns the message. */
static void open_fails(const char *path, const nq_options *o, int want, const char *needle)
{
    nq_db *db = NULL;
    int rc = nq_open(path, o, &db);
    if (rc != want)
        fail_msg("nq_open(%s): %d (%s), want %d", path, rc, db ? nq_errmsg(db) : "", want);
    if (needle && (!db || !strstr(nq_errmsg(db), needle)))
        fail_msg("message \"%s\" lacks \"%s\"", db ? nq_errmsg(db) : "", needle);
    nq_close(db);
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL))
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

static void fill(nq_db *db, int from, int to)
{
    static char sql[8192];
    exec_ok(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, name TEXT, big TEXT)");
    exec_ok(db, "CREATE INDEX IF NOT EXISTS t_name ON t(name)");
    exec_ok(db, "BEGIN");
    for (int i = from; i < to; i++) {
        int n = snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, '" MARK_IDX "%05d', '"
                         MARK_ROW "%05d", i, i, i);
        for (int k = 0; i % 10 == 0 && k < 600; k++) /* every tenth: 6 KB, overflow pages */
            n += snprintf(sql + n, sizeof sql - (size_t)n, MARK_BIG);
        snprintf(sql + n, sizeof sql - (size_t)n, "')");
        exec_ok(db, sql);
    }
    exec_ok(db, "COMMIT");
}

static int count_cb(void *arg, int n, const char *const *v, const char *const *names)
{
    (void)n;
    (void)names;
    *(long *)arg = v[0] ? atol(v[0]) : -1;
    return 0;
}

static long query_long(nq_db *db, const char *sql)
{
    long v = -2;
    if (nq_exec(db, sql, count_cb, &v))
        fail_msg("%s: %s", sql, nq_errmsg(db));
    return v;
}

/* The rows are all there and readable through the index and the long values. */
static void check_rows(nq_db *db, int n)
{
    assert_int_equal(query_long(db, "SELECT count(*) FROM t"), n);
    assert_int_equal(query_long(db, "SELECT count(*) FROM t WHERE name >= '" MARK_IDX "'"), n);
    long nbig = query_long(db, "SELECT count(*) FROM t WHERE id % 10 = 0");
    assert_true(nbig > 0);
    assert_int_equal(query_long(db, "SELECT count(*) FROM t WHERE length(big) > 6000"), nbig);
    uint64_t problems = 0;
    assert_int_equal(nq_check(db, NULL, NULL, &problems), NQ_OK);
    assert_int_equal(problems, 0);
}

/* ---- scanning files ------------------------------------------------------------------------ */

static int mem_has(const uint8_t *b, size_t n, const void *needle, size_t k)
{
    for (size_t i = 0; k && i + k <= n; i++)
        if (b[i] == *(const uint8_t *)needle && memcmp(b + i, needle, k) == 0)
            return 1;
    return 0;
}

/* Every regular file under path (a file or a directory tree) is free of the markers and of
 * key (may be NULL); returns the number of files looked at. */
static int scan_clean(const char *path, const uint8_t *key)
{
    struct stat st;
    if (stat(path, &st))
        return 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        assert_non_null(d);
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            n += scan_clean(sub, key);
        }
        closedir(d);
        return n;
    }
    size_t len;
    uint8_t *b = tf_slurp(path, &len);
    assert_non_null(b);
    static const char *const marks[] = {MARK_ROW, MARK_IDX, MARK_BIG, "CREATE TABLE", "t_name"};
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        if (mem_has(b, len, marks[i], strlen(marks[i])))
            fail_msg("%s holds plaintext \"%s\"", path, marks[i]);
    if (key && mem_has(b, len, key, 32))
        fail_msg("%s holds the data key", path);
    free(b);
    return 1;
}

static void get_dek(nq_db *db, uint8_t dek[32])
{
    page_crypt *c = pagexform_crypt(db->eng->pager->xf);
    assert_non_null(c);
    uint8_t dbid[16];
    page_crypt_keys(c, dek, dbid);
}

static uint32_t file_ps(const char *path)
{
    size_t len;
    uint8_t *b = tf_slurp(path, &len);
    assert_non_null(b);
    assert_true(len >= 108);
    uint32_t ps = get_u32(b + 12);
    free(b);
    return ps;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_passphrase_roundtrip_and_no_plaintext(void **state)
{
    (void)state;
    tf_rm_db(DB);
    tf_rm_rf("arc");
    tf_mkdir_fresh("bk");
    nq_options o;
    opts_pass(&o, "correct horse battery staple");
    o.archive_dir = "arc";
    o.checkpoint_pages = 50; /* checkpoints (and archive segments) during the fill */
    o.cache_bytes = 256u << 10; /* a large transaction spills to the log */
    nq_db *db = open_ok(DB, &o);
    fill(db, 0, NROWS);
    uint8_t dek[32];
    get_dek(db, dek);
    char desc[128];
    assert_int_equal(nq_encryption(db, desc, sizeof desc), 1);
    assert_non_null(strstr(desc, "passphrase (Argon2id t=1 m=64 KiB p=1)"));
    /* a transaction left open with markers spilled to the log */
    OK(db, nq_backup(db, "bk", NQ_BACKUP_FULL, NULL, NULL));
    /* a transaction left open, large enough to spill pages with markers to the log */
    fill(db, NROWS, NROWS + 1);
    exec_ok(db, "BEGIN");
    exec_ok(db, "UPDATE t SET big = big || '" MARK_BIG "'");
    assert_true(scan_clean(DB, dek) + scan_clean(DB "-wal", dek) >= 2);
    exec_ok(db, "ROLLBACK");
    exec_ok(db, "DELETE FROM t WHERE id = " "300");
    OK(db, nq_checkpoint(db));
    nq_close(db);
    assert_true(scan_clean("arc", dek) >= 1); /* at least one archive segment */
    assert_true(scan_clean("bk", dek) >= 2);
    assert_true(scan_clean(".", dek) >= 4);

    /* the file says it is encrypted, in its clear header: format 2 */
    size_t len;
    uint8_t *b = tf_slurp(DB, &len);
    assert_int_equal(get_u32(b + 8), 2);
    assert_memory_equal(b + PG1_KD_OFF, "NQKD", 4);
    free(b);

    db = open_ok(DB, &o);
    check_rows(db, NROWS);
    nq_close(db);

    /* the backup restores to a database that opens with the same key, and only with it */
    char msg[512];
    const char *dirs[] = {"bk"};
    tf_rm_db("r.db");
    if (nq_restore(NULL, dirs, 1, "r.db", 0, msg, sizeof msg))
        fail_msg("restore: %s", msg);
    db = open_ok("r.db", &o);
    check_rows(db, NROWS);
    nq_close(db);
    nq_options none;
    nq_options_init(&none);
    open_fails("r.db", &none, NQ_EKEY, "encrypted");
}

static void test_wrong_and_missing_keys(void **state)
{
    (void)state;
    tf_rm_db(DB);
    nq_options o, bad;
    opts_pass(&o, "s3cret");
    nq_db *db = open_ok(DB, &o);
    fill(db, 0, 20);
    nq_close(db);
    size_t n0, n1;
    uint8_t *before = tf_slurp(DB, &n0);
    opts_pass(&bad, "s3cret!");
    open_fails(DB, &bad, NQ_EKEY, "wrong passphrase");
    nq_options_init(&bad);
    open_fails(DB, &bad, NQ_EKEY, "encrypted (to a passphrase");
    bad.read_only = 1;
    open_fails(DB, &bad, NQ_EKEY, "give its key");
    char msg[256];
    unlink("k1.key");
    assert_int_equal(nq_keygen("k1.key", msg, sizeof msg), 0);
    opts_file(&bad, "k1.key");
    open_fails(DB, &bad, NQ_EKEY, "not to a key file");
    uint8_t *after = tf_slurp(DB, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);

    /* a key for a plain database */
    tf_rm_db("plain.db");
    nq_options po;
    nq_options_init(&po);
    db = open_ok("plain.db", &po);
    fill(db, 0, 5);
    nq_close(db);
    before = tf_slurp("plain.db", &n0);
    assert_int_equal(get_u32(before + 8), 1); /* the plain format is unchanged */
    open_fails("plain.db", &o, NQ_EKEY, "not encrypted");
    after = tf_slurp("plain.db", &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    db = open_ok("plain.db", &po);
    assert_int_equal(nq_encryption(db, msg, sizeof msg), 0);
    assert_int_equal(pager_usable(db->eng->pager), 4096 - 12);
    check_rows(db, 5);
    nq_close(db);

    /* page size too small for an encrypted database */
    tf_rm_db("small.db");
    opts_pass(&bad, "x");
    bad.page_size = 1024;
    open_fails("small.db", &bad, NQ_EINVAL, "at least 2048");
    /* both a key file and a passphrase */
    opts_pass(&bad, "x");
    bad.key_file = "k1.key";
    open_fails("small.db", &bad, NQ_EINVAL, "exactly one");
}

static void test_key_file(void **state)
{
    (void)state;
    tf_rm_db(DB);
    unlink("k1.key");
    unlink("k2.key");
    char msg[256];
    assert_int_equal(nq_keygen("k1.key", msg, sizeof msg), 0);
    assert_int_equal(nq_keygen("k2.key", msg, sizeof msg), 0);
    assert_int_equal(nq_keygen("k1.key", msg, sizeof msg), NQ_EEXIST); /* never overwritten */
    struct stat st;
    assert_int_equal(stat("k1.key", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    nq_options o, bad;
    opts_file(&o, "k1.key");
    nq_db *db = open_ok(DB, &o);
    fill(db, 0, 50);
    char desc[128];
    assert_int_equal(nq_encryption(db, desc, sizeof desc), 1);
    assert_non_null(strstr(desc, "ML-KEM-768 key file"));
    nq_close(db);
    db = open_ok(DB, &o);
    check_rows(db, 50);
    nq_close(db);
    opts_file(&bad, "k2.key");
    open_fails(DB, &bad, NQ_EKEY, "wrong key");
    opts_file(&bad, "missing.key");
    open_fails(DB, &bad, NQ_ENOTFOUND, "missing.key");
    /* a new database with a bad key file is refused before any file is created */
    tf_rm_db("new.db");
    open_fails("new.db", &bad, NQ_ENOTFOUND, "missing.key");
    struct stat st2;
    assert_int_not_equal(stat("new.db", &st2), 0);
    assert_int_not_equal(stat("new.db-wal", &st2), 0);
    opts_pass(&bad, "k1.key");
    open_fails(DB, &bad, NQ_EKEY, "not to a passphrase");
    chmod("k1.key", 0644);
    open_fails(DB, &o, NQ_EINVAL, "readable by others");
    chmod("k1.key", 0640);
    open_fails(DB, &o, NQ_EINVAL, "chmod 600");
    chmod("k1.key", 0600);
    db = open_ok(DB, &o);
    nq_close(db);
    /* the backup key files of `nqdb backup keygen` serve too */
    tf_rm_rf("bkeys");
    assert_int_equal(nq_backup_keygen("bkeys", msg, sizeof msg), 0);
    tf_rm_db("b.db");
    opts_file(&bad, "bkeys/backup-kem.key");
    db = open_ok("b.db", &bad);
    fill(db, 0, 3);
    nq_close(db);
    db = open_ok("b.db", &bad);
    check_rows(db, 3);
    nq_close(db);
    /* a public key file is not a key for a database */
    opts_file(&bad, "bkeys/backup-kem.pub");
    open_fails("b.db", &bad, NQ_EINVAL, NULL);
}

/* Recompute the page CRC of page pgno in the file image b (what anyone can do). */
static void reseal_crc(uint8_t *b, uint32_t ps, uint32_t pgno)
{
    uint8_t *pp = b + (size_t)(pgno - 1) * ps, seed[4];
    put_u32(seed, pgno);
    put_u32(pp + ps - 4, crc32c(crc32c(0, seed, 4), pp, ps - 4));
}

static void collect(void *arg, const char *msg)
{
    char *acc = arg;
    size_t n = strlen(acc);
    snprintf(acc + n, 2048 - n, "%s; ", msg);
}

/* Damage at page pgno: the open, reading every row, or the integrity check fails with
 * NQ_ECORRUPT (never a crash, never wrong data), and the engine names page pgno. */
static void expect_corrupt(const nq_options *o, uint32_t pgno, const char *why)
{
    nq_db *db = NULL;
    char want[64], acc[2048] = "";
    snprintf(want, sizeof want, "page %u", pgno);
    int rc = nq_open(DB, o, &db);
    if (rc == 0) {
        int r2 = nq_exec(db, "SELECT count(*), sum(length(big)), max(name) FROM t", NULL, NULL);
        uint64_t problems = 0;
        rc = nq_check(db, collect, acc, &problems);
        if (rc == 0 && problems)
            rc = NQ_ECORRUPT;
        if (rc == 0)
            rc = r2;
    } else if (db) {
        snprintf(acc, sizeof acc, "%s", nq_errmsg(db));
    }
    if (rc != NQ_ECORRUPT)
        fail_msg("%s: got %d (%s), want NQ_ECORRUPT", why, rc, db ? nq_errmsg(db) : "");
    if (!strstr(acc, want) && !(db && strstr(nq_errmsg(db), want)))
        fail_msg("%s: \"%s\" / \"%s\" does not name %s", why, acc, db ? nq_errmsg(db) : "",
                 want);
    nq_close(db);
}

static void test_tamper(void **state)
{
    (void)state;
    nq_options o;
    opts_pass(&o, "tamper");
    tf_rm_db("other.db");
    nq_db *db = open_ok("other.db", &o); /* same passphrase, another data key */
    fill(db, 0, 120);
    nq_close(db);
    tf_rm_db(DB);
    db = open_ok(DB, &o);
    fill(db, 0, 120);
    nq_close(db);
    uint32_t ps = file_ps(DB);
    size_t len, olen;
    uint8_t *orig = tf_slurp(DB, &len), *other = tf_slurp("other.db", &olen);
    uint32_t npages = (uint32_t)(len / ps);
    assert_true(npages >= 6);
    uint8_t *b = malloc(len);

    /* a flipped byte in the encrypted part of each page: checksum, then (CRC fixed) tag */
    for (uint32_t pn = 2; pn <= npages; pn++) {
        memcpy(b, orig, len);
        b[(size_t)(pn - 1) * ps + 100] ^= 0x20;
        tf_spit(DB, b, len);
        expect_corrupt(&o, pn, "flipped byte");
        reseal_crc(b, ps, pn);
        tf_spit(DB, b, len);
        expect_corrupt(&o, pn, "flipped byte, CRC fixed");
    }
    /* the seq in the clear trailer changed (a replayed version number) */
    memcpy(b, orig, len);
    b[(size_t)2 * ps - 12] ^= 1;
    reseal_crc(b, ps, 2);
    tf_spit(DB, b, len);
    expect_corrupt(&o, 2, "seq changed");
    /* two pages swapped */
    memcpy(b, orig, len);
    memcpy(b + (size_t)2 * ps, orig + (size_t)3 * ps, ps);
    memcpy(b + (size_t)3 * ps, orig + (size_t)2 * ps, ps);
    reseal_crc(b, ps, 3);
    reseal_crc(b, ps, 4);
    tf_spit(DB, b, len);
    expect_corrupt(&o, 3, "pages 3 and 4 swapped");
    /* a page from the other database (same passphrase, same number) */
    memcpy(b, orig, len);
    memcpy(b + (size_t)2 * ps, other + (size_t)2 * ps, ps);
    tf_spit(DB, b, len);
    expect_corrupt(&o, 3, "page 3 of another database");
    /* the clear header of page 1 altered (its own CRC and the page CRC fixed) */
    memcpy(b, orig, len);
    b[40] ^= 1; /* meta slot 0 */
    put_u32(b + 104, crc32c(0, b, 104));
    reseal_crc(b, ps, 1);
    tf_spit(DB, b, len);
    expect_corrupt(&o, 1, "clear header altered");
    /* the clear key descriptor altered: the wrap fails (or page 1 does) */
    memcpy(b, orig, len);
    b[PG1_KD_OFF + 30] ^= 1; /* in the salt */
    reseal_crc(b, ps, 1);
    tf_spit(DB, b, len);
    nq_db *d2 = NULL;
    int rc = nq_open(DB, &o, &d2);
    assert_true(rc == NQ_EKEY || rc == NQ_ECORRUPT);
    nq_close(d2);
    /* page 1 of the other database */
    memcpy(b, orig, len);
    memcpy(b, other, ps);
    tf_spit(DB, b, len);
    rc = nq_open(DB, &o, &d2);
    if (rc == 0)
        rc = nq_exec(d2, "SELECT count(*) FROM t", NULL, NULL);
    assert_int_equal(rc, NQ_ECORRUPT);
    nq_close(d2);

    tf_spit(DB, orig, len);
    db = open_ok(DB, &o);
    check_rows(db, 120);
    nq_close(db);
    free(b);
    free(orig);
    free(other);
}

static void test_rotation(void **state)
{
    (void)state;
    tf_rm_db(DB);
    unlink("k1.key");
    char msg[256];
    assert_int_equal(nq_keygen("k1.key", msg, sizeof msg), 0);
    nq_options a, b, k;
    opts_pass(&a, "first");
    opts_pass(&b, "second");
    opts_file(&k, "k1.key");
    nq_db *db = open_ok(DB, &a);
    fill(db, 0, 80);
    uint8_t dek0[32], dek1[32];
    get_dek(db, dek0);
    OK(db, nq_rekey(db, &b)); /* passphrase -> passphrase */
    fill(db, 80, 100);        /* the open database goes on */
    nq_close(db);
    open_fails(DB, &a, NQ_EKEY, "wrong passphrase");
    db = open_ok(DB, &b);
    check_rows(db, 100);
    get_dek(db, dek1);
    assert_memory_equal(dek0, dek1, 32); /* a re-wrap keeps the data key */
    OK(db, nq_rekey(db, &k)); /* -> key file */
    nq_close(db);
    open_fails(DB, &b, NQ_EKEY, "not to a passphrase");
    db = open_ok(DB, &k);
    check_rows(db, 100);
    char desc[128];
    nq_encryption(db, desc, sizeof desc);
    assert_non_null(strstr(desc, "key file"));
    assert_int_equal(nq_rekey(db, NULL), NQ_EINVAL);
    OK(db, nq_rekey(db, &a)); /* -> back to a passphrase */
    nq_close(db);
    db = open_ok(DB, &a);
    check_rows(db, 100);
    /* a plain database cannot be re-wrapped */
    nq_close(db);
    tf_rm_db("plain.db");
    nq_options po;
    nq_options_init(&po);
    db = open_ok("plain.db", &po);
    assert_int_equal(nq_rekey(db, &a), NQ_EKEY);
    nq_close(db);
}

static void test_reencrypt(void **state)
{
    (void)state;
    tf_rm_db(DB);
    nq_options a, b;
    opts_pass(&a, "old");
    opts_pass(&b, "new");
    nq_db *db = open_ok(DB, &a);
    fill(db, 0, 150);
    uint8_t dek0[32], dek1[32];
    get_dek(db, dek0);
    nq_close(db);
    uint32_t ps = file_ps(DB);
    size_t n0, n1;
    uint8_t *before = tf_slurp(DB, &n0);
    char msg[512];
    if (nq_reencrypt(DB, &a, &b, msg, sizeof msg))
        fail_msg("nq_reencrypt: %s", msg);
    uint8_t *after = tf_slurp(DB, &n1);
    assert_int_equal(n0, n1);
    for (size_t pn = 0; pn < n0 / ps; pn++) /* every page's encrypted part differs */
        assert_memory_not_equal(before + pn * ps + PG1_CLEAR, after + pn * ps + PG1_CLEAR, 64);
    free(before);
    free(after);
    struct stat st;
    assert_int_not_equal(stat(DB ".rekey", &st), 0);
    open_fails(DB, &a, NQ_EKEY, "wrong passphrase");
    db = open_ok(DB, &b);
    check_rows(db, 150);
    get_dek(db, dek1);
    assert_memory_not_equal(dek0, dek1, 32);
    nq_close(db);
    assert_true(scan_clean(DB, dek0) == 1 && scan_clean(DB, dek1) == 1);
    /* the wrong current key changes nothing */
    assert_int_equal(nq_reencrypt(DB, &a, &b, msg, sizeof msg), NQ_EKEY);
    /* a plain database is refused */
    tf_rm_db("plain.db");
    nq_options po;
    nq_options_init(&po);
    db = open_ok("plain.db", &po);
    nq_close(db);
    assert_int_equal(nq_reencrypt("plain.db", &po, &b, msg, sizeof msg), NQ_EKEY);
}

/* Every user of the usable size copes with the larger trailer: long keys, overflow chains,
 * the free list (trunk pages) and page sizes from 2048 to 65536. */
static void test_page_sizes(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {2048, 4096, 8192, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        tf_rm_db(DB);
        nq_options o;
        opts_pass(&o, "sizes");
        o.page_size = sizes[i];
        o.cache_bytes = 256u << 10; /* spills and re-reads */
        nq_db *db = open_ok(DB, &o);
        assert_int_equal(pager_usable(db->eng->pager), sizes[i] - 40);
        fill(db, 0, 200);
        exec_ok(db, "DELETE FROM t WHERE id % 3 = 0"); /* free pages */
        fill(db, 1000, 1100);
        nq_close(db);
        db = open_ok(DB, &o);
        check_rows(db, 200 - 67 + 100);
        nq_close(db);
    }
}

static int stat_cb(void *arg, int n, const char *const *v, const char *const *names)
{
    (void)names;
    if (n == 3 && v[0] && v[1] && v[2] && !strcmp(v[0], "t") && !strcmp(v[1], "pages_coded"))
        *(long *)arg = atol(v[2]);
    return 0;
}

/* The page codec (COMPRESS TABLE ... USING DNA) and the cipher together: pagexform codes the
 * page, then encrypts the coded form; reading decrypts, then decodes. */
static void test_with_page_codec(void **state)
{
    (void)state;
    tf_rm_db(DB);
    nq_options o;
    opts_pass(&o, "codec");
    nq_db *db = open_ok(DB, &o);
    fill(db, 0, 150);
    exec_ok(db, "COMPRESS TABLE t USING DNA");
    OK(db, nq_checkpoint(db));
    uint8_t dek[32];
    get_dek(db, dek);
    nq_close(db);
    assert_int_equal(scan_clean(DB, dek), 1);
    db = open_ok(DB, &o);
    long coded = -1;
    if (nq_exec(db, "SHOW COMPRESSION STATS FOR t", stat_cb, &coded))
        fail_msg("SHOW COMPRESSION STATS: %s", nq_errmsg(db));
    assert_true(coded > 0);
    check_rows(db, 150);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passphrase_roundtrip_and_no_plaintext),
        cmocka_unit_test(test_wrong_and_missing_keys),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_reencrypt),
        cmocka_unit_test(test_page_sizes),
        cmocka_unit_test(test_with_page_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
