/*
 * gen_seeds.c — writes seed inputs for the fuzz harnesses, made by the engine itself.
 *
 *   gen_seeds NAME OUTDIR      NAME = page | wal | open (anything else: writes nothing)
 *
 * A fuzzer that starts from random bytes spends its time failing checksums. Seeds that are
 * real pages, real logs and real database files let it start deep inside the decoders and
 * mutate from there. Generating them at run time (run-fuzzer calls this before every session)
 * keeps them in step with the file format, so no binary seed goes stale in the repository.
 *
 * The workload: small page sizes (1024 and 4096) so inputs stay small and fuzzing fast; a few
 * trees; short and long keys; values big enough for overflow pages; deletes, so the free list
 * is not empty; several commits, so the log has many frames and several commit frames. The
 * input layouts written here are the ones the harnesses parse (see each fuzz_<name>.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "fuzzutil.h"

static const char *outdir;
static int nwritten;

static void emit(const char *name, int idx, const uint8_t *head, size_t hl, const uint8_t *a,
                 size_t al, const uint8_t *b, size_t bl)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s-%03d", outdir, name, idx);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(head, 1, hl, f) != hl || (al && fwrite(a, 1, al, f) != al) ||
        (bl && fwrite(b, 1, bl, f) != bl) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    nwritten++;
}

#define CHECK(x)                                                                             \
    do {                                                                                     \
        int rc_ = (x);                                                                       \
        if (rc_ != 0) {                                                                      \
            fprintf(stderr, "gen_seeds: %s failed: %d (%s)\n", #x, rc_, nq_strerror(rc_));   \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

/* Build a database through the public API. stop_before_checkpoint: leave committed data in
 * the log (the db handle is returned open, so nothing is checkpointed by closing). */
static nq_db *workload(fuzz_fs *fs, uint32_t page_size, uint64_t seed)
{
    nq_options o;
    nq_options_init(&o);
    o.page_size = page_size;
    o.vfs = fuzz_fs_vfs(fs);
    o.sync = NQ_SYNC_OFF;
    o.cache_bytes = 256 * 1024;
    o.checkpoint_pages = 100000; /* we decide when to checkpoint */
    nq_db *db = NULL;
    CHECK(nq_open(fuzz_fs_path(fs, "f.db"), &o, &db));

    nq_rng r;
    nq_rng_seed(&r, seed);
    static const char *names[] = {"alpha", "beta", "gamma"};
    uint8_t key[300], val[3000];
    for (int txn = 0; txn < 3; txn++) {
        CHECK(nq_begin(db, NQ_TXN_WRITE));
        for (int ti = 0; ti < 3; ti++) {
            nq_tree *t = NULL;
            CHECK(nq_tree_open(db, names[ti], NQ_TREE_CREATE, &t));
            int n = 8 + (int)nq_rng_below(&r, 10);
            for (int i = 0; i < n; i++) {
                size_t kl = 1 + (size_t)nq_rng_below(&r, i % 7 == 0 ? sizeof key : 16);
                size_t vl = (size_t)nq_rng_below(&r, i % 13 == 0 ? sizeof val : 40);
                if (kl > nq_max_key(db))
                    kl = nq_max_key(db);
                for (size_t j = 0; j < kl; j++)
                    key[j] = (uint8_t)('a' + nq_rng_below(&r, 26));
                for (size_t j = 0; j < vl; j++)
                    val[j] = (uint8_t)nq_rng_next(&r);
                CHECK(nq_put(t, key, kl, val, vl, 0));
            }
            if (txn >= 1) { /* delete about a third of the entries: pages go to the free list */
                nq_cursor *c = NULL;
                CHECK(nq_cursor_open(t, &c));
                int rc = nq_cursor_first(c);
                int k = 0;
                while (rc == 0) {
                    size_t kl;
                    const void *kp = nq_cursor_key(c, &kl);
                    int del = (k++ % 3 == 0);
                    if (del && kp) {
                        memcpy(key, kp, kl);
                        nq_cursor_close(c);
                        CHECK(nq_del(t, key, kl));
                        CHECK(nq_cursor_open(t, &c));
                        rc = nq_cursor_seek(c, key, kl, NQ_SEEK_GE);
                    } else {
                        rc = nq_cursor_next(c);
                    }
                }
                nq_cursor_close(c);
            }
            uint64_t s;
            CHECK(nq_seq_next(t, &s));
            nq_tree_close(t);
        }
        CHECK(nq_commit(db));
    }
    return db;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_seeds page|wal|open OUTDIR\n");
        return 2;
    }
    const char *what = argv[1];
    outdir = argv[2];
    int want_page = !strcmp(what, "page"), want_wal = !strcmp(what, "wal"),
        want_open = !strcmp(what, "open");
    if (!want_page && !want_wal && !want_open)
        return 0;

    static const uint32_t sizes[] = {1024, 4096};
    int idx = 0;
    for (size_t si = 0; si < 2; si++) {
        uint32_t ps = sizes[si];
        uint8_t sel = ps == 1024 ? 0 : 2; /* fuzz_page_size(sel) == ps */
        fuzz_fs *fs = fuzz_fs_new();
        nq_db *db = workload(fs, ps, 1000 + si);

        /* 1. committed data still in the log */
        size_t dl, wl;
        uint8_t *d = fuzz_fs_get(fs, "f.db", &dl);
        uint8_t *w = fuzz_fs_get(fs, "f.db-wal", &wl);
        if (want_wal && w) {
            uint8_t head[2] = {0, sel}; /* fuzz_wal: mode, page size */
            emit("wal", idx++, head, 2, w, wl, NULL, 0);
            head[0] = 1; /* same log with checksum repair on */
            emit("wal", idx++, head, 2, w, wl, NULL, 0);
        }
        if (want_open) {
            /* fuzz_open: flags, page size, db length, db, log */
            uint8_t head[6] = {0, sel, (uint8_t)dl, (uint8_t)(dl >> 8), (uint8_t)(dl >> 16), (uint8_t)(dl >> 24)};
            emit("open", idx++, head, 6, d, dl, w, wl);
        }
        free(d);
        free(w);

        /* 2. after a checkpoint: the pages are in the database file */
        CHECK(nq_checkpoint(db));
        CHECK(nq_close(db));
        d = fuzz_fs_get(fs, "f.db", &dl);
        w = fuzz_fs_get(fs, "f.db-wal", &wl);
        if (want_open) {
            uint8_t head[6] = {0, sel, (uint8_t)dl, (uint8_t)(dl >> 8), (uint8_t)(dl >> 16), (uint8_t)(dl >> 24)};
            emit("open", idx++, head, 6, d, dl, w, wl);
            head[0] = 8 | 2; /* with the write step and checksum repair on */
            emit("open", idx++, head, 6, d, dl, w, wl);
        }
        if (want_page && d) {
            for (size_t off = 0; off + ps <= dl; off += ps) {
                uint32_t pgno = (uint32_t)(off / ps) + 1; /* fuzz_page: size, pgno, page */
                uint8_t head[5] = {sel, (uint8_t)pgno, (uint8_t)(pgno >> 8), (uint8_t)(pgno >> 16),
                                   (uint8_t)(pgno >> 24)};
                emit("page", idx++, head, 5, d + off, ps, NULL, 0);
            }
        }
        free(d);
        free(w);
        fuzz_fs_free(fs);
    }
    printf("gen_seeds: wrote %d %s seeds to %s\n", nwritten, what, outdir);
    return 0;
}
