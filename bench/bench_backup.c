/*
 * bench_backup.c — backup and restore throughput against a plain copy and zstd of the same
 * file, in the same run, and the backup's impact on concurrent point queries.
 *
 * The database (--mb MiB, default 64) is built with the key/value API (values of 200..1200
 * bytes, half random and half repetitive, so that compression has something to find), closed
 * (so the file holds everything) and reopened. Then, --reps times each (medians printed):
 *   copy     a read/write loop of the database file into another file with 1 MiB buffers,
 *            then fdatasync: the least any backup that copies the bytes must cost;
 *   zstd     the zstd command (level 1, -T1) on the same file, if it is installed;
 *   backup   nq_backup, full, of the open database into a fresh directory (pages read at the
 *            snapshot, SHA3-256 of the data and the page map, manifest, syncs);
 *   verify   nq_backup_verify of that backup (reads and hashes everything);
 *   backupz  the same with NQ_BACKUP_COMPRESS (zstd level 1);
 *   restore  nq_restore into a fresh file (verifies while it writes, syncs, renames), from the
 *            plain and from the compressed backup;
 *   incr     an incremental backup after 1% of the keys were rewritten;
 *   signed   nq_backup_ex, full, signed (ML-DSA-65 over the manifest), and its restore with the
 *            public key (nq_restore_keys);
 *   enc      full, encrypted (ML-KEM-768 + AES-256-GCM in 1 MiB chunks), plain and zstd; verify
 *            with the secret key (decrypts everything); restore with it (keys from
 *            nq_backup_keygen, made once).
 * MB/s is database bytes per second; the ratio is to the plain copy (higher is better).
 * Every file is in the page cache (just written or read): this measures the CPU and syscall
 * cost of each way, not the disk, and the load average is printed with the results.
 *
 * Impact on queries: a reader thread on a clone runs point lookups by random key for the
 * duration of --reps full backups taken on the main connection, and for the same wall time
 * without backups; both rates are printed with their ratio.
 *
 * Log archiving (point-in-time recovery): the database reopened without and with
 * nq_options.archive_dir, alternately, --reps times each: --commits small transactions (one
 * random key rewritten each, synced) with the default automatic checkpoint, as commits per
 * second; then with automatic checkpoints off, the same number of commits and one
 * nq_checkpoint, timed (with archiving it writes, hashes and syncs a segment of the whole log).
 * The anchor of each figure is the same workload without archiving in the same run.
 *
 *   bench_backup [--mb N] [--reps R] [--dir DIR] [--commits N]
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "nqdb.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "?"
#endif

static void die(const char *what, nq_db *db)
{
    fprintf(stderr, "bench_backup: %s: %s\n", what, db ? nq_errmsg(db) : "");
    exit(1);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

static double plain_copy(const char *from, const char *to)
{
    double t0 = bu_now();
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0)
        die("copy: open", NULL);
    static char buf[1 << 20];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            die("copy: write", NULL);
    if (fdatasync(out))
        die("copy: sync", NULL);
    close(in);
    close(out);
    return bu_now() - t0;
}

static void fill_value(bu_rng *r, uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = i < n / 2 ? (uint8_t)bu_rng_next(r) : (uint8_t)('a' + i % 7);
}

static void put_keys(nq_db *db, uint64_t nkeys, uint64_t every, uint64_t seed)
{
    nq_tree *t;
    if (nq_tree_open(db, "bench", NQ_TREE_CREATE, &t))
        die("tree", db);
    bu_rng r;
    bu_rng_seed(&r, seed);
    static uint8_t v[1200];
    if (nq_begin(db, NQ_TXN_WRITE))
        die("begin", db);
    for (uint64_t k = 0; k < nkeys; k += every) {
        uint8_t key[8];
        bu_put_be64(key, k);
        size_t n = 200 + bu_rng_below(&r, 1000);
        fill_value(&r, v, n);
        if (nq_put(t, key, 8, v, n, 0))
            die("put", db);
        if (k % 20000 == 0 && (nq_commit(db) || nq_begin(db, NQ_TXN_WRITE)))
            die("commit", db);
    }
    if (nq_commit(db))
        die("commit", db);
    nq_tree_close(t);
}

typedef struct reader {
    nq_db *db;
    uint64_t nkeys;
    int stop;
    uint64_t ops;
} reader;

static void *reader_main(void *p)
{
    reader *rd = p;
    nq_tree *t;
    if (nq_tree_open(rd->db, "bench", 0, &t))
        return NULL;
    bu_rng r;
    bu_rng_seed(&r, 7);
    while (!__atomic_load_n(&rd->stop, __ATOMIC_ACQUIRE)) {
        uint8_t key[8];
        bu_put_be64(key, bu_rng_below(&r, rd->nkeys));
        void *v;
        size_t vn;
        if (nq_get(t, key, 8, &v, &vn) == 0)
            free(v);
        rd->ops++;
    }
    nq_tree_close(t);
    return NULL;
}

/* n autocommit transactions, each rewriting one random key; seconds */
static double small_commits(nq_db *db, uint64_t nkeys, int n, uint64_t seed)
{
    nq_tree *t;
    if (nq_tree_open(db, "bench", NQ_TREE_CREATE, &t))
        die("tree", db);
    bu_rng r;
    bu_rng_seed(&r, seed);
    static uint8_t v[1200];
    double t0 = bu_now();
    for (int i = 0; i < n; i++) {
        uint8_t key[8];
        bu_put_be64(key, bu_rng_below(&r, nkeys));
        size_t len = 200 + bu_rng_below(&r, 1000);
        fill_value(&r, v, len);
        if (nq_put(t, key, 8, v, len, 0))
            die("put", db);
    }
    double took = bu_now() - t0;
    nq_tree_close(t);
    return took;
}

/* One archiving measurement: commits/s (automatic checkpoints) and the time of one explicit
 * checkpoint of a log of ncommits transactions. */
static void archive_run(const char *dbp, const char *arc, uint64_t nkeys, int ncommits,
                        uint64_t seed, double *commit_s, double *ckpt_s, uint64_t *log_bytes,
                        uint64_t *segments)
{
    nq_options o;
    nq_options_init(&o);
    o.archive_dir = arc;
    nq_db *db;
    if (nq_open(dbp, &o, &db))
        die("open for archiving", db);
    *commit_s = small_commits(db, nkeys, ncommits, seed);
    nq_close(db);
    o.checkpoint_pages = 1u << 30; /* only the explicit checkpoint below */
    if (nq_open(dbp, &o, &db))
        die("open for archiving", db);
    small_commits(db, nkeys, ncommits, seed + 1);
    nq_stats st;
    nq_get_stats(db, &st);
    *log_bytes = st.wal_frames * (32 + st.page_size);
    double t0 = bu_now();
    if (nq_checkpoint(db))
        die("checkpoint", db);
    *ckpt_s = bu_now() - t0;
    nq_get_stats(db, &st);
    *segments = st.archived_segments;
    nq_close(db);
}

static double reader_rate(nq_db *db, uint64_t nkeys, int backups, double seconds,
                          const char *dir, double *took)
{
    reader rd = {NULL, nkeys, 0, 0};
    if (nq_clone(db, &rd.db))
        die("clone", db);
    pthread_t th;
    pthread_create(&th, NULL, reader_main, &rd);
    double t0 = bu_now();
    if (backups) {
        for (int i = 0; i < backups; i++) {
            char d[4096];
            snprintf(d, sizeof d, "%s/q%d", dir, i);
            bu_rm_rf(d);
            mkdir(d, 0755);
            if (nq_backup(db, d, NQ_BACKUP_FULL, NULL, NULL))
                die("backup", db);
            bu_rm_rf(d);
        }
    } else {
        while (bu_now() - t0 < seconds)
            usleep(1000);
    }
    double el = bu_now() - t0;
    __atomic_store_n(&rd.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    nq_close(rd.db);
    *took = el;
    return (double)rd.ops / el;
}

int main(int argc, char **argv)
{
    int mb = 64, reps = 3, ncommits = 1000;
    const char *base = "bench-backup.tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            base = argv[++i];
        else if (!strcmp(argv[i], "--commits") && i + 1 < argc)
            ncommits = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_backup [--mb N] [--reps R] [--dir DIR] [--commits N]\n");
            return 2;
        }
    }
    if (mb < 1)
        mb = 1;
    if (reps < 1)
        reps = 1;
    if (ncommits < 1)
        ncommits = 1;
    bu_rm_rf(base);
    if (mkdir(base, 0755)) {
        perror(base);
        return 1;
    }
    char dbp[4096], cpp[4096], zp[4096], tmp[4096];
    snprintf(dbp, sizeof dbp, "%s/src.db", base);
    snprintf(cpp, sizeof cpp, "%s/copy.db", base);
    snprintf(zp, sizeof zp, "%s/copy.db.zst", base);

    uint64_t nkeys = (uint64_t)mb * 1024 * 1024 / 900; /* about 700 bytes of value + overhead */
    nq_db *db;
    if (nq_open(dbp, NULL, &db))
        die("open", db);
    put_keys(db, nkeys, 1, 1);
    nq_close(db);
    if (nq_open(dbp, NULL, &db))
        die("reopen", db);
    uint64_t bytes = file_size(dbp);
    double mbytes = (double)bytes / 1e6;

    char cpu[256], kern[256], fstype[64], src[256], opts[256];
    int is_ram = 0;
    bu_cpu_model(cpu, sizeof cpu);
    bu_kernel(kern, sizeof kern);
    bu_fs_describe(base, fstype, sizeof fstype, src, sizeof src, opts, sizeof opts, &is_ram);
    printf("bench_backup: %.1f MB database (%llu keys), %d reps, medians; build %s\n", mbytes,
           (unsigned long long)nkeys, reps, NQ_BENCH_BUILD_TYPE);
    printf("machine: %s, %ld CPUs, %s; file system %s%s; load average %.2f\n", cpu, bu_nproc(),
           kern, fstype, is_ram ? " (in memory: syncs cost nothing)" : "", bu_loadavg());

    double *tc = calloc((size_t)reps, sizeof *tc), *tz = calloc((size_t)reps, sizeof *tz),
           *tb = calloc((size_t)reps, sizeof *tb), *tv = calloc((size_t)reps, sizeof *tv),
           *tr = calloc((size_t)reps, sizeof *tr), *ti = calloc((size_t)reps, sizeof *ti),
           *tbz = calloc((size_t)reps, sizeof *tbz), *trz = calloc((size_t)reps, sizeof *trz);
    int have_zstd = system("zstd --version > /dev/null 2>&1") == 0;
    /* signed and encrypted backups: keys made once; times per rep */
    char kdir[4200], ksign[4300], kpub[4300], kkem[4300], kkey[4300];
    snprintf(kdir, sizeof kdir, "%s/keys", base);
    snprintf(ksign, sizeof ksign, "%s/backup-sign.key", kdir);
    snprintf(kpub, sizeof kpub, "%s/backup-sign.pub", kdir);
    snprintf(kkem, sizeof kkem, "%s/backup-kem.pub", kdir);
    snprintf(kkey, sizeof kkey, "%s/backup-kem.key", kdir);
    {
        char msg[600];
        if (nq_backup_keygen(kdir, msg, sizeof msg)) {
            fprintf(stderr, "keygen: %s\n", msg);
            return 1;
        }
    }
    double *tsg = calloc((size_t)reps, sizeof *tsg), *trs = calloc((size_t)reps, sizeof *trs),
           *te = calloc((size_t)reps, sizeof *te), *tez = calloc((size_t)reps, sizeof *tez),
           *tve = calloc((size_t)reps, sizeof *tve), *tre = calloc((size_t)reps, sizeof *tre);
    uint64_t enc_bytes = 0;
    uint64_t zbytes = 0, incr_bytes = 0, incr_pages = 0, backup_bytes = 0, backupz_bytes = 0;
    for (int rep = 0; rep < reps; rep++) {
        bu_flush_fs(base);
        tc[rep] = plain_copy(dbp, cpp);
        if (have_zstd) {
            char cmd[8400];
            snprintf(cmd, sizeof cmd, "zstd -q -1 -T1 -f '%s' -o '%s'", dbp, zp);
            double t0 = bu_now();
            if (system(cmd) != 0)
                have_zstd = 0;
            tz[rep] = bu_now() - t0;
            zbytes = file_size(zp);
        }
        char full[4096];
        snprintf(full, sizeof full, "%s/full%d", base, rep);
        mkdir(full, 0755);
        bu_flush_fs(base);
        double t0 = bu_now();
        nq_backup_info info;
        if (nq_backup(db, full, NQ_BACKUP_FULL, NULL, &info))
            die("backup", db);
        tb[rep] = bu_now() - t0;
        backup_bytes = info.data_bytes;
        const char *dirs[1] = {full};
        char msg[600];
        t0 = bu_now();
        if (nq_backup_verify(NULL, dirs, 1, msg, sizeof msg)) {
            fprintf(stderr, "verify: %s\n", msg);
            return 1;
        }
        tv[rep] = bu_now() - t0;
        snprintf(tmp, sizeof tmp, "%s/restored.db", base);
        unlink(tmp);
        bu_flush_fs(base);
        t0 = bu_now();
        if (nq_restore(NULL, dirs, 1, tmp, 0, msg, sizeof msg)) {
            fprintf(stderr, "restore: %s\n", msg);
            return 1;
        }
        tr[rep] = bu_now() - t0;
        char fullz[4096];
        snprintf(fullz, sizeof fullz, "%s/fullz%d", base, rep);
        mkdir(fullz, 0755);
        bu_flush_fs(base);
        t0 = bu_now();
        if (nq_backup(db, fullz, NQ_BACKUP_FULL | NQ_BACKUP_COMPRESS, NULL, &info))
            die("compressed backup", db);
        tbz[rep] = bu_now() - t0;
        backupz_bytes = info.data_bytes;
        const char *zdirs[1] = {fullz};
        unlink(tmp);
        bu_flush_fs(base);
        t0 = bu_now();
        if (nq_restore(NULL, zdirs, 1, tmp, 0, msg, sizeof msg)) {
            fprintf(stderr, "restore: %s\n", msg);
            return 1;
        }
        trz[rep] = bu_now() - t0;
        bu_rm_rf(fullz);
        put_keys(db, nkeys, 100, 100 + (uint64_t)rep); /* rewrite 1% of the keys */
        char inc[4096];
        snprintf(inc, sizeof inc, "%s/incr%d", base, rep);
        mkdir(inc, 0755);
        bu_flush_fs(base);
        t0 = bu_now();
        if (nq_backup(db, inc, NQ_BACKUP_INCREMENTAL, full, &info))
            die("incremental backup", db);
        ti[rep] = bu_now() - t0;
        incr_bytes = info.data_bytes;
        incr_pages = info.pages;
        bu_rm_rf(full);
        bu_rm_rf(inc);

        /* signed; encrypted; encrypted + zstd (each a full backup of the same database) */
        const char *what[3] = {"signed", "enc", "encz"};
        for (int w = 0; w < 3; w++) {
            char d[4200];
            snprintf(d, sizeof d, "%s/%s%d", base, what[w], rep);
            mkdir(d, 0755);
            nq_backup_options bo = {NQ_BACKUP_FULL | (w == 2 ? NQ_BACKUP_COMPRESS : 0),
                                    w == 0 ? ksign : NULL, w ? kkem : NULL};
            bu_flush_fs(base);
            t0 = bu_now();
            if (nq_backup_ex(db, d, NULL, &bo, &info))
                die("signed/encrypted backup", db);
            (w == 0 ? tsg : w == 1 ? te : tez)[rep] = bu_now() - t0;
            if (w == 1)
                enc_bytes = info.data_bytes;
            const char *ed[1] = {d};
            nq_backup_keys bk = {w == 0 ? kpub : NULL, w ? kkey : NULL};
            if (w == 1) {
                t0 = bu_now();
                if (nq_backup_verify_ex(NULL, ed, 1, &bk, msg, sizeof msg)) {
                    fprintf(stderr, "verify: %s\n", msg);
                    return 1;
                }
                tve[rep] = bu_now() - t0;
            }
            if (w < 2) {
                unlink(tmp);
                bu_flush_fs(base);
                t0 = bu_now();
                if (nq_restore_keys(NULL, ed, 1, tmp, NULL, &bk, NULL, msg, sizeof msg)) {
                    fprintf(stderr, "restore: %s\n", msg);
                    return 1;
                }
                (w == 0 ? trs : tre)[rep] = bu_now() - t0;
            }
            bu_rm_rf(d);
        }
    }
    double c = bu_median(tc, reps), b = bu_median(tb, reps), v = bu_median(tv, reps),
           r = bu_median(tr, reps), in = bu_median(ti, reps);
    printf("\n%-34s %10s %10s %12s\n", "", "seconds", "MB/s", "vs copy");
    printf("%-34s %10.3f %10.1f %12s\n", "plain copy (read+write+fdatasync)", c, mbytes / c,
           "1.00x");
    if (have_zstd) {
        double z = bu_median(tz, reps);
        printf("%-34s %10.3f %10.1f %11.2fx   (%.1f%% of the size)\n", "zstd -1 -T1 of the file",
               z, mbytes / z, c / z, 100.0 * (double)zbytes / (double)bytes);
    } else {
        printf("%-34s %10s\n", "zstd -1 -T1 of the file", "(zstd not installed)");
    }
    printf("%-34s %10.3f %10.1f %11.2fx   (%.1f MB written)\n", "nq_backup, full", b, mbytes / b,
           c / b, (double)backup_bytes / 1e6);
    double bz = bu_median(tbz, reps), rz = bu_median(trz, reps);
    printf("%-34s %10.3f %10.1f %11.2fx   (%.1f%% of the size)\n", "nq_backup, full, zstd", bz,
           mbytes / bz, c / bz, 100.0 * (double)backupz_bytes / (double)bytes);
    printf("%-34s %10.3f %10.1f %11.2fx\n", "nq_backup_verify", v, mbytes / v, c / v);
    printf("%-34s %10.3f %10.1f %11.2fx\n", "nq_restore (verify + write)", r, mbytes / r, c / r);
    printf("%-34s %10.3f %10.1f %11.2fx\n", "nq_restore from zstd", rz, mbytes / rz, c / rz);
    printf("%-34s %10.3f %10.1f %11.2fx   (%llu pages, %.1f MB, after 1%% of keys changed)\n",
           "nq_backup, incremental", in, mbytes / in, c / in, (unsigned long long)incr_pages,
           (double)incr_bytes / 1e6);
    double sg = bu_median(tsg, reps), rsg = bu_median(trs, reps), e = bu_median(te, reps),
           ez = bu_median(tez, reps), ve = bu_median(tve, reps), re = bu_median(tre, reps);
    printf("%-34s %10.3f %10.1f %11.2fx   (%.2fx the plain backup)\n", "nq_backup_ex, full, signed",
           sg, mbytes / sg, c / sg, b / sg);
    printf("%-34s %10.3f %10.1f %11.2fx   (%.2fx the plain backup; %.1f MB)\n",
           "nq_backup_ex, full, encrypted", e, mbytes / e, c / e, b / e, (double)enc_bytes / 1e6);
    printf("%-34s %10.3f %10.1f %11.2fx   (%.2fx the zstd backup)\n",
           "nq_backup_ex, full, zstd+encrypted", ez, mbytes / ez, c / ez, bz / ez);
    printf("%-34s %10.3f %10.1f %11.2fx   (%.2fx the plain verify)\n",
           "nq_backup_verify_ex, encrypted+key", ve, mbytes / ve, c / ve, v / ve);
    printf("%-34s %10.3f %10.1f %11.2fx   (%.2fx the plain restore)\n",
           "nq_restore_keys, signed (--pubkey)", rsg, mbytes / rsg, c / rsg, r / rsg);
    printf("%-34s %10.3f %10.1f %11.2fx   (%.2fx the plain restore)\n",
           "nq_restore_keys, encrypted (--key)", re, mbytes / re, c / re, r / re);
    free(tsg);
    free(trs);
    free(te);
    free(tez);
    free(tve);
    free(tre);

    double took_b, took_q;
    double with = reader_rate(db, nkeys, reps, 0, base, &took_b);
    double without = reader_rate(db, nkeys, 0, took_b, base, &took_q);
    printf("\npoint lookups on another connection: %.0f/s alone, %.0f/s during full backups "
           "(%.2fx; %.2f s each)\n", without, with, with / without, took_b);
    nq_close(db);

    /* log archiving: the same workload without and with it, alternately */
    char arc[4200];
    snprintf(arc, sizeof arc, "%s/wal-archive", base);
    double *cm0 = calloc((size_t)reps, sizeof *cm0), *cm1 = calloc((size_t)reps, sizeof *cm1),
           *ck0 = calloc((size_t)reps, sizeof *ck0), *ck1 = calloc((size_t)reps, sizeof *ck1);
    uint64_t logb = 0, segs = 0;
    for (int rep = 0; rep < reps; rep++) {
        archive_run(dbp, NULL, nkeys, ncommits, 100 + (uint64_t)rep, &cm0[rep], &ck0[rep], &logb,
                    &segs);
        archive_run(dbp, arc, nkeys, ncommits, 200 + (uint64_t)rep, &cm1[rep], &ck1[rep], &logb,
                    &segs);
    }
    double c0 = bu_median(cm0, reps), c1 = bu_median(cm1, reps);
    double k0 = bu_median(ck0, reps), k1 = bu_median(ck1, reps);
    printf("\nlog archiving (%d small commits each, synced; then a checkpoint of a %.1f MB log):\n",
           ncommits, (double)logb / 1e6);
    printf("%-34s %10.0f/s %10.0f/s %11.2fx\n", "commits, auto checkpoints: off / on",
           ncommits / c0, ncommits / c1, c0 / c1);
    printf("%-34s %9.3f s %9.3f s %11.2fx   (%llu segment(s) by the last run)\n",
           "one checkpoint: off / on", k0, k1, k0 / k1, (unsigned long long)segs);
    free(cm0);
    free(cm1);
    free(ck0);
    free(ck1);
    bu_rm_rf(base);
    free(tc);
    free(tz);
    free(tb);
    free(tv);
    free(tr);
    free(ti);
    free(tbz);
    free(trz);
    return 0;
}
