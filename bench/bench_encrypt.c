/*
 * bench_encrypt.c — the cost of encryption at rest (docs/security.md): the same database
 * built plain and encrypted (AES-256-GCM per page), the same work on both in the same run,
 * with OpenSSL's raw AES-256-GCM throughput on one core as the anchor.
 *
 * Anchor: AES-256-GCM (EVP, the same libcrypto the engine uses) over 4 KiB buffers with a
 * fresh 12-byte IV and 36 bytes of associated data each — exactly the shape of one page — for
 * about half a second: MB/s and microseconds per page. Every page read from disk costs one such
 * decryption, every page written one encryption; the rest of the engine's cost is the same.
 *
 * The database: --mb MiB (default 64) of key/value pairs (8-byte keys, 100..300-byte values,
 * one tree), committed in batches, closed, built once per engine. Then, --reps times each
 * (alternating plain/encrypted, medians printed):
 *   scan cold   reopen with a 4 MiB buffer pool (far smaller than the data), one full cursor
 *               scan: every page comes from the file (the OS page cache) and is verified, and
 *               for the encrypted engine decrypted — the case encryption costs the most;
 *   scan warm   reopen with a pool larger than the data, scan once, time a second scan (pages
 *               already decoded in the pool: encryption should cost nothing);
 *   lookups     --lookups random point lookups (nq_get) with the 4 MiB pool;
 *   inserts     --commits transactions of 100 new pairs each into a second tree, synced
 *               (NQ_SYNC_FULL), with the default checkpoints: every page written is sealed.
 * Each line prints both times and the overhead (encrypted / plain - 1, in %). The anchor is
 * measured again at the start of every run and its median printed with the results: on a
 * loaded machine all figures move together, and the ratios stay comparable.
 * The encrypted database uses a passphrase with Argon2id t=1 m=64 KiB so that reopening it
 * does not time the key derivation (opens are not timed anyway).
 *
 *   bench_encrypt [--mb N] [--reps R] [--dir DIR] [--lookups N] [--commits N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench_util.h"
#include "nqdb.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "?"
#endif

#define PASS "bench passphrase"
#define SMALL_CACHE (4u << 20)

static void die(const char *what, nq_db *db)
{
    fprintf(stderr, "bench_encrypt: %s: %s\n", what, db ? nq_errmsg(db) : "");
    exit(1);
}

static nq_db *open_db(const char *path, int enc, size_t cache)
{
    nq_options o;
    nq_options_init(&o);
    o.cache_bytes = cache;
    if (enc) {
        o.passphrase = PASS;
        o.kdf_iterations = 1;
        o.kdf_memory_kib = 64;
    }
    nq_db *db = NULL;
    if (nq_open(path, &o, &db))
        die("open", db);
    return db;
}

/* AES-256-GCM over page-sized buffers: MB/s on one core. */
static double gcm_anchor(double *us_per_page)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t key[32], iv[12] = {0}, ad[36] = {0}, tag[16];
    static uint8_t buf[4096 - 40];
    memset(key, 7, sizeof key);
    memset(buf, 1, sizeof buf);
    if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, NULL) != 1)
        die("OpenSSL", NULL);
    uint64_t n = 0;
    double t0 = bu_now(), t;
    do {
        for (int i = 0; i < 256; i++, n++) {
            int len;
            memcpy(iv, &n, sizeof n);
            if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
                EVP_EncryptUpdate(c, NULL, &len, ad, sizeof ad) != 1 ||
                EVP_EncryptUpdate(c, buf, &len, buf, sizeof buf) != 1 ||
                EVP_EncryptFinal_ex(c, buf, &len) != 1 ||
                EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
                die("OpenSSL", NULL);
        }
        t = bu_now() - t0;
    } while (t < 0.5);
    EVP_CIPHER_CTX_free(c);
    *us_per_page = t / (double)n * 1e6;
    return (double)n * sizeof buf / t / 1e6;
}

static uint64_t build(const char *path, int enc, uint64_t mb)
{
    bu_rm_rf(path);
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    bu_rm_rf(wal);
    nq_db *db = open_db(path, enc, 64u << 20);
    nq_tree *t;
    if (nq_tree_open(db, "bench", NQ_TREE_CREATE, &t))
        die("tree", db);
    bu_rng r;
    bu_rng_seed(&r, 42);
    static uint8_t v[300];
    uint64_t bytes = 0, k = 0;
    if (nq_begin(db, NQ_TXN_WRITE))
        die("begin", db);
    while (bytes < mb << 20) {
        uint8_t key[8];
        bu_put_be64(key, k++);
        size_t n = 100 + bu_rng_below(&r, 201);
        for (size_t i = 0; i < n; i++)
            v[i] = (uint8_t)bu_rng_next(&r);
        if (nq_put(t, key, 8, v, n, 0))
            die("put", db);
        bytes += n + 8;
        if (k % 20000 == 0 && (nq_commit(db) || nq_begin(db, NQ_TXN_WRITE)))
            die("commit", db);
    }
    if (nq_commit(db))
        die("commit", db);
    nq_tree_close(t);
    if (nq_close(db))
        die("close", NULL);
    return k;
}

static double scan(const char *path, int enc, size_t cache, int warm, uint64_t nkeys)
{
    nq_db *db = open_db(path, enc, cache);
    nq_tree *t;
    if (nq_tree_open(db, "bench", 0, &t))
        die("tree", db);
    double best = 0;
    for (int pass = 0; pass <= warm; pass++) {
        nq_cursor *c;
        if (nq_cursor_open(t, &c))
            die("cursor", db);
        double t0 = bu_now();
        uint64_t n = 0;
        for (int rc = nq_cursor_first(c); rc == 0; rc = nq_cursor_next(c))
            n++;
        best = bu_now() - t0;
        nq_cursor_close(c);
        if (n != nkeys)
            die("scan count", db);
    }
    nq_tree_close(t);
    nq_close(db);
    return best;
}

static double lookups(const char *path, int enc, uint64_t nkeys, uint64_t count)
{
    nq_db *db = open_db(path, enc, SMALL_CACHE);
    nq_tree *t;
    if (nq_tree_open(db, "bench", 0, &t))
        die("tree", db);
    bu_rng r;
    bu_rng_seed(&r, 9);
    double t0 = bu_now();
    for (uint64_t i = 0; i < count; i++) {
        uint8_t key[8];
        bu_put_be64(key, bu_rng_below(&r, nkeys));
        void *v;
        size_t vn;
        if (nq_get(t, key, 8, &v, &vn))
            die("get", db);
        free(v);
    }
    double dt = bu_now() - t0;
    nq_tree_close(t);
    nq_close(db);
    return dt;
}

static double inserts(const char *path, int enc, uint64_t nkeys, uint64_t commits, int rep)
{
    nq_db *db = open_db(path, enc, 16u << 20);
    nq_tree *t; /* a tree of its own, so the scans of the next run see the same data */
    if (nq_tree_open(db, "inserts", NQ_TREE_CREATE, &t))
        die("tree", db);
    static uint8_t v[300];
    memset(v, 'x', sizeof v);
    uint64_t base = nkeys + (uint64_t)rep * commits * 100;
    double t0 = bu_now();
    for (uint64_t c = 0; c < commits; c++) {
        if (nq_begin(db, NQ_TXN_WRITE))
            die("begin", db);
        for (int i = 0; i < 100; i++) {
            uint8_t key[8];
            bu_put_be64(key, base + c * 100 + (uint64_t)i);
            if (nq_put(t, key, 8, v, 200, 0))
                die("put", db);
        }
        if (nq_commit(db))
            die("commit", db);
    }
    double dt = bu_now() - t0;
    nq_tree_close(t);
    nq_close(db);
    return dt;
}

static void line(const char *what, double plain, double enc, const char *unit, double work)
{
    printf("%-12s plain %9.3f s (%10.0f %s)   encrypted %9.3f s (%10.0f %s)   overhead %+6.1f %%\n",
           what, plain, work / plain, unit, enc, work / enc, unit, (enc / plain - 1) * 100);
}

int main(int argc, char **argv)
{
    uint64_t mb = 64, nlook = 200000, commits = 200;
    int reps = 3;
    const char *dir = ".";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--lookups") && i + 1 < argc)
            nlook = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--commits") && i + 1 < argc)
            commits = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_encrypt [--mb N] [--reps R] [--dir DIR] [--lookups N] "
                            "[--commits N]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 50 || mb < 1)
        die("bad arguments", NULL);
    char cpu[256], kern[256], fst[64], fsrc[256], fopt[256];
    int is_ram = 0;
    bu_cpu_model(cpu, sizeof cpu);
    bu_kernel(kern, sizeof kern);
    bu_fs_describe(dir, fst, sizeof fst, fsrc, sizeof fsrc, fopt, sizeof fopt, &is_ram);
    printf("bench_encrypt (%s build): %s, %ld CPUs, %s; %s on %s%s; load %.2f\n",
           NQ_BENCH_BUILD_TYPE, cpu, bu_nproc(), kern, dir, fst, is_ram ? " (RAM)" : "",
           bu_loadavg());
    double us_page, gcm = gcm_anchor(&us_page);
    printf("anchor: OpenSSL AES-256-GCM, one core, 4056-byte pages: %.0f MB/s, %.2f us per page\n",
           gcm, us_page);

    char p0[4096], p1[4096];
    snprintf(p0, sizeof p0, "%s/bench_plain.db", dir);
    snprintf(p1, sizeof p1, "%s/bench_enc.db", dir);
    double t0 = bu_now();
    uint64_t nkeys = build(p0, 0, mb);
    double b0 = bu_now() - t0;
    t0 = bu_now();
    if (build(p1, 1, mb) != nkeys)
        die("build", NULL);
    double b1 = bu_now() - t0;
    printf("database: %llu pairs, %llu MiB of keys and values; built in %.2f s plain, %.2f s "
           "encrypted (%+.1f %%)\n", (unsigned long long)nkeys, (unsigned long long)mb, b0, b1,
           (b1 / b0 - 1) * 100);

    double sc[2][50], sw[2][50], lk[2][50], in[2][50];
    size_t big = (size_t)(mb * 3) << 20;
    double an[50], anu[50];
    for (int r = 0; r < reps; r++) {
        an[r] = gcm_anchor(&anu[r]); /* the anchor again in every run: the load changes */
        for (int e = 0; e < 2; e++) {
            int enc = (r & 1) ? !e : e; /* alternate which engine goes first */
            const char *p = enc ? p1 : p0;
            sc[enc][r] = scan(p, enc, SMALL_CACHE, 0, nkeys);
            sw[enc][r] = scan(p, enc, big, 1, nkeys);
            lk[enc][r] = lookups(p, enc, nkeys, nlook);
            in[enc][r] = inserts(p, enc, nkeys, commits, r);
        }
    }
    gcm = bu_median(an, reps);
    us_page = bu_median(anu, reps);
    double m[4][2];
    for (int e = 0; e < 2; e++) {
        m[0][e] = bu_median(sc[e], reps);
        m[1][e] = bu_median(sw[e], reps);
        m[2][e] = bu_median(lk[e], reps);
        m[3][e] = bu_median(in[e], reps);
    }
    printf("medians of %d runs each (anchor: %.0f MB/s, %.2f us per page; load now %.2f):\n",
           reps, gcm, us_page, bu_loadavg());
    line("scan cold", m[0][0], m[0][1], "rows/s", (double)nkeys);
    line("scan warm", m[1][0], m[1][1], "rows/s", (double)nkeys);
    line("lookups", m[2][0], m[2][1], "gets/s", (double)nlook);
    line("inserts", m[3][0], m[3][1], "commits/s", (double)commits);
    printf("scan cold MB/s: plain %.0f, encrypted %.0f (the anchor decrypts %.0f MB/s)\n",
           (double)(mb << 20) / m[0][0] / 1e6, (double)(mb << 20) / m[0][1] / 1e6, gcm);
    bu_rm_rf(p0);
    bu_rm_rf(p1);
    char w[4200];
    snprintf(w, sizeof w, "%s-wal", p0);
    bu_rm_rf(w);
    snprintf(w, sizeof w, "%s-wal", p1);
    bu_rm_rf(w);
    return 0;
}
