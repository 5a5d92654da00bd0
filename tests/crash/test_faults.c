/*
 * test_faults.c — injected I/O faults and damage at rest, each with a known right answer.
 *
 *   fsync EIO      a commit whose log sync fails reports an error; every later write gets
 *                  NQ_EFAILED (fail-stop: a failed fsync may have dropped dirty pages, so the
 *                  engine must not retry it and believe the retry); reads still work and show
 *                  only acknowledged commits. Also for the database-file sync of a checkpoint,
 *                  and for a failure that happens once only (the engine must stop anyway).
 *                  After close and a power cut, every acknowledged commit is there and the
 *                  integrity check passes.
 *   ENOSPC         the disk fills (a capacity, or a byte budget) or a write comes back short:
 *                  a clean error, nothing acknowledged lost, the database reopens clean.
 *   bit flips      in every page of a checkpointed database file in turn: reads either give
 *                  the right value or NQ_ECORRUPT naming the file and the page; nq_check
 *                  reports it. In a log frame of commit j: recovery keeps commits before j.
 *   torn log tail  the log cut at many offsets: recovery keeps exactly the commits whose frames
 *                  all lie before the cut, and the next commits overwrite the debris safely.
 *
 * The log tests read frame boundaries from the log itself (layout in docs/file-format.md: a
 * 32-byte header, then frames of a 32-byte header and a page, the commit marker at offset 4
 * of the frame header), so they know which commit a byte belongs to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "crashkit.h"
#include "faultvfs.h"
#include "kvmodel.h"

#define DB "f.db"
#define WAL "f.db-wal"
#define NT 2

static nq_db *open_db(faultvfs *fv, uint32_t page_size, uint32_t ckpt)
{
    nq_options o;
    nq_options_init(&o);
    o.page_size = page_size;
    o.checkpoint_pages = ckpt;
    o.vfs = faultvfs_vfs(fv);
    nq_db *db = NULL;
    int rc = nq_open(DB, &o, &db);
    if (rc)
        fail_msg("nq_open: %s", db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

static void value_for(int i, uint8_t *buf, size_t *len)
{
    /* mostly small, every fifth one over several pages */
    *len = i % 5 == 4 ? 3000 + (size_t)(i * 811) % 9000 : 10 + (size_t)(i * 37) % 300;
    for (size_t j = 0; j < *len; j++)
        buf[j] = (uint8_t)(i * 131 + j * 7);
}

/* What commit number i does: a put into tree i % NT. */
static void model_one(kvm *m, int i)
{
    static uint8_t val[16384];
    size_t vl;
    char key[32];
    int kl = snprintf(key, sizeof key, "key%05d", i % 97);
    value_for(i, val, &vl);
    kvm_put(m, i % NT, key, (size_t)kl, val, vl);
}

/* Commit number i (autocommit), mirrored in m when it succeeds. */
static int commit_one(nq_db *db, nq_tree **tr, kvm *m, int i)
{
    static uint8_t val[16384];
    size_t vl;
    char key[32];
    int kl = snprintf(key, sizeof key, "key%05d", i % 97);
    value_for(i, val, &vl);
    int rc = nq_put(tr[i % NT], key, (size_t)kl, val, vl, 0);
    if (rc == 0)
        model_one(m, i);
    return rc;
}

/* A database with trees t0, t1 and n acknowledged commits; *m receives the model. */
static nq_db *setup(faultvfs *fv, uint32_t ps, uint32_t ckpt, int n, nq_tree **tr, kvm **m)
{
    nq_db *db = open_db(fv, ps, ckpt);
    *m = kvm_new(NT);
    for (int t = 0; t < NT; t++) {
        assert_int_equal(nq_tree_open(db, crash_tree_name(t), NQ_TREE_CREATE, &tr[t]), NQ_OK);
        kvm_tree_create(*m, t);
    }
    for (int i = 0; i < n; i++)
        assert_int_equal(commit_one(db, tr, *m, i), NQ_OK);
    return db;
}

static void close_db(nq_db *db, nq_tree **tr)
{
    for (int t = 0; t < NT; t++) {
        nq_tree_close(tr[t]);
        tr[t] = NULL;
    }
    nq_close(db);
}

/* Open fv's database and require: it opens, check passes, content is a or (if b) b.
 * Returns 0 for a, 1 for b. Then one more commit must work and survive a clean reopen. */
static int expect_content(faultvfs *fv, const kvm *a, const kvm *b, const char *what)
{
    nq_db *db = open_db(fv, 4096, 1000);
    char buf[512];
    uint64_t problems = 0;
    if (crash_db_check(db, buf, sizeof buf, &problems))
        fail_msg("%s: nq_check: %s", what, buf);
    kvm *snap = NULL;
    if (crash_db_snapshot(db, NT, &snap, buf, sizeof buf))
        fail_msg("%s: reading: %s", what, buf);
    char why[256] = "", why2[256] = "";
    int which = 0;
    if (!kvm_equal(snap, a, why, sizeof why)) {
        if (b && kvm_equal(snap, b, why2, sizeof why2))
            which = 1;
        else
            fail_msg("%s: content differs from the acknowledged state: %s%s%s", what, why,
                     b ? " / from the other allowed state: " : "", b ? why2 : "");
    }
    kvm_free(snap);
    nq_tree *t = NULL;
    assert_int_equal(nq_tree_open(db, "after", NQ_TREE_CREATE, &t), NQ_OK);
    assert_int_equal(nq_put(t, "x", 1, "y", 1, 0), NQ_OK);
    nq_tree_close(t);
    assert_int_equal(nq_close(db), NQ_OK);
    db = open_db(fv, 4096, 1000);
    assert_int_equal(nq_tree_open(db, "after", 0, &t), NQ_OK);
    void *v = NULL;
    size_t vl = 0;
    assert_int_equal(nq_get(t, "x", 1, &v, &vl), NQ_OK);
    free(v);
    nq_tree_close(t);
    assert_int_equal(nq_close(db), NQ_OK);
    return which;
}

/* Several power cuts of one moment: each must recover to a, or b when given. */
static void expect_after_crashes(faultvfs *fv, const kvm *a, const kvm *b, const char *what)
{
    for (uint64_t s = 0; s < 8; s++) {
        faultvfs *c = faultvfs_clone(fv, s);
        faultvfs_crash(c, s * 7 + 3, s == 0 ? FV_CRASH_PROCESS : FV_CRASH_POWERLOSS, NULL);
        expect_content(c, a, b, what);
        faultvfs_free(c);
    }
}

static void assert_reads_equal(nq_db *db, const kvm *m, const char *what)
{
    kvm *snap = NULL;
    char buf[256] = "";
    if (crash_db_snapshot(db, NT, &snap, buf, sizeof buf))
        fail_msg("%s: reads fail: %s", what, buf);
    if (!kvm_equal(snap, m, buf, sizeof buf))
        fail_msg("%s: reads show other than the acknowledged state: %s", what, buf);
    kvm_free(snap);
}

/* ---- (a) fsync EIO --------------------------------------------------------------------------- */
static void fsync_fail_case(const char *suffix, int forever, int via_checkpoint)
{
    faultvfs *fv = faultvfs_new(1);
    nq_tree *tr[NT];
    kvm *m;
    nq_db *db = setup(fv, 4096, 1000, 30, tr, &m);
    kvm *doomed = kvm_clone(m);

    faultvfs_fail_sync(fv, 1, forever, suffix);
    int rc;
    if (via_checkpoint) {
        rc = nq_checkpoint(db);
        if (rc == 0)
            fail_msg("nq_checkpoint succeeded although its fsync of %s failed", DB);
    } else {
        rc = commit_one(db, tr, doomed, 1000);
        model_one(doomed, 1000); /* what it would have done */
        if (rc == 0)
            fail_msg("a commit succeeded although its log fsync failed");
    }
    assert_true(strlen(nq_errmsg(db)) > 0);

    /* fail-stop: no more writes, even when the fault was a single one */
    kvm *scratch = kvm_clone(m);
    assert_int_equal(commit_one(db, tr, scratch, 1001), NQ_EFAILED);
    rc = nq_begin(db, NQ_TXN_WRITE);
    if (rc == 0) {
        int prc = commit_one(db, tr, scratch, 1002);
        int crc = nq_commit(db);
        if (prc == 0 && crc == 0)
            fail_msg("an explicit transaction committed after a failed fsync");
        if (nq_in_txn(db, NULL))
            nq_rollback(db);
    } else {
        assert_int_equal(rc, NQ_EFAILED);
    }
    rc = nq_checkpoint(db);
    assert_true(rc == NQ_EFAILED || rc == NQ_OK); /* nothing to say it must refuse a no-op */
    kvm_free(scratch);

    /* reads still work and show the acknowledged commits (the doomed one is not durable) */
    assert_reads_equal(db, m, "after a failed fsync");
    close_db(db, tr);

    faultvfs_disarm(fv);
    expect_after_crashes(fv, m, via_checkpoint ? NULL : doomed, "after a failed fsync");
    kvm_free(m);
    kvm_free(doomed);
    faultvfs_free(fv);
}

static void test_fsync_eio_log_forever(void **s)
{
    (void)s;
    fsync_fail_case("-wal", 1, 0);
}

static void test_fsync_eio_log_once(void **s)
{
    (void)s;
    fsync_fail_case("-wal", 0, 0);
}

static void test_fsync_eio_checkpoint(void **s)
{
    (void)s;
    fsync_fail_case(".db", 0, 1);
}

/* ---- (b) ENOSPC and short writes --------------------------------------------------------------- */
enum { FILL_CAPACITY, FILL_BUDGET, FILL_SHORT };

static void nospace_case(int kind, uint64_t room, uint64_t seed, int *commit_visible_after_error)
{
    faultvfs *fv = faultvfs_new(seed);
    nq_tree *tr[NT];
    kvm *m;
    nq_db *db = setup(fv, 1024, 16, 20, tr, &m);
    const char *names[8];
    size_t nf = faultvfs_list(fv, names, 8);
    uint64_t used = 0;
    for (size_t i = 0; i < nf && i < 8; i++)
        used += (uint64_t)faultvfs_file_size(fv, names[i]);
    if (kind == FILL_CAPACITY)
        faultvfs_set_capacity(fv, used + room);
    else if (kind == FILL_BUDGET)
        faultvfs_set_write_budget(fv, room);
    else
        faultvfs_fail_write(fv, 1 + room / 1024, 0, 1);

    int rc = 0, i;
    kvm *attempt = NULL;
    for (i = 20; i < 2000; i++) {
        kvm_free(attempt);
        attempt = kvm_clone(m);
        rc = commit_one(db, tr, attempt, i);
        if (rc)
            break;
        kvm_free(m);
        m = attempt;
        attempt = NULL;
    }
    if (rc == 0)
        fail_msg("the disk never filled");
    model_one(attempt, i); /* the failed commit, had it happened */
    int want = kind == FILL_SHORT ? NQ_EIO : NQ_ENOSPC;
    if (rc != want && rc != NQ_EFAILED)
        fail_msg("the failing commit returned %d (%s): %s", rc, nq_strerror(rc), nq_errmsg(db));
    assert_true(strlen(nq_errmsg(db)) > 0);

    /* Reads show the acknowledged state. The engine may also report the failure of the
     * automatic checkpoint that follows a durable commit as that commit's error ("commit
     * succeeded but checkpoint failed"): then the commit is visible, and it must be durable. */
    kvm *snap = NULL;
    char buf[256] = "";
    if (crash_db_snapshot(db, NT, &snap, buf, sizeof buf))
        fail_msg("after running out of space: reads fail: %s", buf);
    int visible = 0;
    if (!kvm_equal(snap, m, buf, sizeof buf)) {
        if (!kvm_equal(snap, attempt, NULL, 0))
            fail_msg("after running out of space: reads show neither the acknowledged state nor "
                     "it plus the failed commit: %s", buf);
        visible = 1;
        (*commit_visible_after_error)++;
    }
    kvm_free(snap);
    kvm *base = visible ? attempt : m, *alt = visible ? NULL : attempt;

    /* room again: the engine either takes writes again or has stopped (fail-stop), but it
     * must not lose or half-apply anything */
    faultvfs_disarm(fv);
    kvm *later = kvm_clone(base);
    rc = commit_one(db, tr, later, 5000);
    if (rc == 0) {
        base = later;
        alt = NULL; /* a failed commit followed by a good one is not in flight any more */
    } else if (rc != NQ_EFAILED) {
        fail_msg("after the disk had room again a commit returned %d (%s): %s", rc,
                 nq_strerror(rc), nq_errmsg(db));
    }
    close_db(db, tr);
    expect_after_crashes(fv, base, alt, "after running out of space");
    kvm_free(m);
    kvm_free(attempt);
    kvm_free(later);
    faultvfs_free(fv);
}

static void test_enospc_capacity(void **s)
{
    (void)s;
    int n = 0, visible = 0;
    for (uint64_t room = 0; room < 120000; room += 7919, n++)
        nospace_case(FILL_CAPACITY, room, room, &visible);
    print_message("disk full: %d cases, %d reported an error for a commit that had become durable\n",
                  n, visible);
}

static void test_enospc_budget(void **s)
{
    (void)s;
    int n = 0, visible = 0;
    for (uint64_t room = 0; room < 120000; room += 6007, n++)
        nospace_case(FILL_BUDGET, room, room, &visible);
    print_message("write budget: %d cases, %d reported an error for a commit that had become durable\n",
                  n, visible);
}

static void test_short_write(void **s)
{
    (void)s;
    int n = 0, visible = 0;
    for (uint64_t room = 0; room < 60000; room += 4099, n++)
        nospace_case(FILL_SHORT, room, room, &visible);
    print_message("short write: %d cases, %d reported an error for a commit that had become durable\n",
                  n, visible);
}

/* ---- (c) bit flips in the database file ------------------------------------------------------- */
typedef struct probs {
    int n;
    char first[256];
} probs;

static void count_problem(void *arg, const char *p)
{
    probs *pr = arg;
    if (pr->n++ == 0)
        snprintf(pr->first, sizeof pr->first, "%s", p);
}

/* Flip a bit in page p (at offset `at` inside it) and hold the engine to detecting it. */
static void flip_and_check(faultvfs *base, const kvm *m, uint32_t ps, uint32_t p, uint32_t at)
{
    faultvfs *fv = faultvfs_clone(base, p);
    assert_int_equal(faultvfs_flip_bit(fv, DB, (uint64_t)(p - 1) * ps + at, (int)(p % 8)), NQ_OK);
    char pg[32];
    snprintf(pg, sizeof pg, "page %u", p);

    nq_options o;
    nq_options_init(&o);
    o.vfs = faultvfs_vfs(fv);
    nq_db *db = NULL;
    int rc = nq_open(DB, &o, &db);
    if (rc) {
        /* refusing to open is right for the header page, if it says why and where (a damaged
         * magic number reads as "not a database", which is fair) */
        if (rc != NQ_ECORRUPT && !(p == 1 && rc == NQ_ECANTOPEN))
            fail_msg("flipped page %u: open failed with %s: %s", p, nq_strerror(rc),
                     db ? nq_errmsg(db) : "");
        if (!strstr(nq_errmsg(db), DB))
            fail_msg("flipped page %u: open's message does not name the file: %s", p,
                     nq_errmsg(db));
        nq_close(db);
        faultvfs_free(fv);
        return;
    }
    probs pr = {0, ""};
    uint64_t n = 0;
    rc = nq_check(db, count_problem, &pr, &n);
    if (rc != NQ_ECORRUPT || n == 0)
        fail_msg("flipped page %u: nq_check returned %s with %d problems", p, nq_strerror(rc),
                 pr.n);
    if (!strstr(pr.first, pg))
        print_message("note: flipped page %u: first problem reported: %s\n", p, pr.first);

    /* every read: the right value or NQ_ECORRUPT naming file and page; never wrong data */
    int corrupt_seen = 0;
    for (int t = 0; t < NT; t++) {
        nq_tree *tr = NULL;
        rc = nq_tree_open(db, crash_tree_name(t), 0, &tr);
        if (rc) {
            if (rc != NQ_ECORRUPT)
                fail_msg("flipped page %u: tree_open: %s", p, nq_errmsg(db));
            corrupt_seen++;
            continue;
        }
        for (size_t i = 0; i < kvm_count(m, t); i++) {
            const void *k, *v;
            size_t kl, vl;
            kvm_entry(m, t, i, &k, &kl, &v, &vl);
            void *g = NULL;
            size_t gl = 0;
            rc = nq_get(tr, k, kl, &g, &gl);
            if (rc == 0) {
                if (gl != vl || memcmp(g, v, vl) != 0)
                    fail_msg("flipped page %u: a read returned wrong data without an error", p);
            } else if (rc == NQ_ECORRUPT) {
                corrupt_seen++;
                const char *msg = nq_errmsg(db);
                if (!strstr(msg, DB) || !strstr(msg, pg))
                    fail_msg("flipped page %u: the error does not name file and page: %s", p, msg);
            } else {
                fail_msg("flipped page %u: read returned %s: %s", p, nq_strerror(rc),
                         nq_errmsg(db));
            }
            free(g);
        }
        nq_tree_close(tr);
    }
    (void)corrupt_seen; /* a flip in a free page is seen by nq_check alone */
    nq_close(db);
    faultvfs_free(fv);
}

static void test_bitflip_db_pages(void **s)
{
    (void)s;
    uint32_t sizes[2] = {1024, 4096};
    for (int z = 0; z < 2; z++) {
        uint32_t ps = sizes[z];
        faultvfs *fv = faultvfs_new(z);
        nq_tree *tr[NT];
        kvm *m;
        nq_db *db = setup(fv, ps, 1000, 120, tr, &m);
        /* delete some so the free list has pages too */
        for (int i = 0; i < 30; i += 3) {
            char key[32];
            int kl = snprintf(key, sizeof key, "key%05d", i);
            if (nq_del(tr[i % NT], key, (size_t)kl) == 0)
                kvm_del(m, i % NT, key, (size_t)kl);
        }
        close_db(db, tr); /* checkpoints everything into the file */
        int64_t size = faultvfs_file_size(fv, DB);
        assert_true(size >= 3 * (int64_t)ps);
        uint32_t pages = (uint32_t)(size / ps);
        for (uint32_t p = 1; p <= pages; p++) {
            flip_and_check(fv, m, ps, p, ps / 2);
            flip_and_check(fv, m, ps, p, 1); /* the type byte's neighbour */
            flip_and_check(fv, m, ps, p, ps - 2); /* inside the checksum itself */
        }
        print_message("bit flips: page size %u, %u pages, 3 flips each\n", ps, pages);
        kvm_free(m);
        faultvfs_free(fv);
    }
}

/* ---- log damage: frames and commits --------------------------------------------------------- */
typedef struct frame_map {
    uint32_t page_size;
    size_t nframes;
    uint64_t off[4096];   /* start of frame i */
    int commit[4096];     /* index (1-based) of the commit this frame belongs to */
    int is_commit[4096];
    uint32_t pgno[4096];
    int ncommits;
} frame_map;

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void map_log(faultvfs *fv, frame_map *fm)
{
    uint8_t *w;
    size_t len;
    assert_int_equal(faultvfs_read_file(fv, WAL, &w, &len), NQ_OK);
    assert_true(len >= 32);
    fm->page_size = le32(w + 12);
    uint32_t salt1 = le32(w + 20), salt2 = le32(w + 24);
    fm->nframes = 0;
    fm->ncommits = 0;
    int cur = 1;
    for (uint64_t off = 32; off + 32 + fm->page_size <= len && fm->nframes < 4096;
         off += 32 + fm->page_size) {
        if (le32(w + off + 16) != salt1 || le32(w + off + 20) != salt2)
            break;
        fm->off[fm->nframes] = off;
        fm->commit[fm->nframes] = cur;
        fm->pgno[fm->nframes] = le32(w + off);
        fm->is_commit[fm->nframes] = le32(w + off + 4) != 0;
        if (fm->is_commit[fm->nframes]) {
            fm->ncommits = cur;
            cur++;
        }
        fm->nframes++;
    }
    free(w);
}

/* A log holding `n` commits after the tree creations, as a crash leaves it (never closed).
 * states[j] = the model after the j-th commit in the log (states[0] = before any). */
static faultvfs *log_with_commits(uint32_t ps, int n, kvm ***states, int *nstates)
{
    faultvfs *fv = faultvfs_new(7);
    nq_db *db = open_db(fv, ps, 100000);
    kvm **st = calloc((size_t)n + NT + 1, sizeof *st);
    st[0] = kvm_new(NT);
    int k = 0;
    nq_tree *tr[NT];
    for (int t = 0; t < NT; t++) {
        assert_int_equal(nq_tree_open(db, crash_tree_name(t), NQ_TREE_CREATE, &tr[t]), NQ_OK);
        st[k + 1] = kvm_clone(st[k]);
        kvm_tree_create(st[k + 1], t);
        k++;
    }
    for (int i = 0; i < n; i++) {
        st[k + 1] = kvm_clone(st[k]);
        assert_int_equal(commit_one(db, tr, st[k + 1], i), NQ_OK);
        k++;
    }
    faultvfs *crashed = faultvfs_clone(fv, 1); /* the disk as a kill -9 leaves it */
    faultvfs_crash(crashed, 1, FV_CRASH_PROCESS, NULL);
    close_db(db, tr);
    faultvfs_free(fv);
    *states = st;
    *nstates = k + 1;
    return crashed;
}

static void free_states(kvm **st, int n)
{
    for (int i = 0; i < n; i++)
        kvm_free(st[i]);
    free(st);
}

static void test_bitflip_wal(void **s)
{
    (void)s;
    kvm **st;
    int nst;
    faultvfs *base = log_with_commits(1024, 25, &st, &nst);
    frame_map *fm = calloc(1, sizeof *fm);
    map_log(base, fm);
    assert_int_equal(fm->ncommits, nst - 1);
    int checked = 0;
    for (size_t f = 0; f < fm->nframes; f++) {
        int j = fm->commit[f];
        /* flip one bit in the frame header, one in the page image, and one in the page's own
         * checksum (the last 4 bytes of the image), in turn */
        uint64_t where[3] = {fm->off[f] + 9, fm->off[f] + 32 + (f * 97) % (fm->page_size - 4),
                             fm->off[f] + 32 + fm->page_size - 1 - f % 4};
        for (int w = 0; w < 3; w++) {
            faultvfs *fv = faultvfs_clone(base, f);
            assert_int_equal(faultvfs_flip_bit(fv, WAL, where[w], (int)(f % 8)), NQ_OK);
            char what[96];
            snprintf(what, sizeof what, "bit flip at byte %u of log frame %zu (commit %d of %d)",
                     (unsigned)(where[w] - fm->off[f]), f + 1, j, fm->ncommits);
            /* the damaged commit and everything after it are gone, nothing before */
            expect_content(fv, st[j - 1], NULL, what);
            faultvfs_free(fv);
            checked++;
        }
    }
    print_message("log bit flips: %d frames x 3 checked\n", (int)fm->nframes);
    free(fm);
    free_states(st, nst);
    faultvfs_free(base);
}

/* ---- (d) a torn log tail --------------------------------------------------------------------- */
static void test_torn_wal_tail(void **s)
{
    (void)s;
    uint32_t sizes[2] = {1024, 4096};
    for (int z = 0; z < 2; z++) {
        kvm **st;
        int nst;
        faultvfs *base = log_with_commits(sizes[z], 20, &st, &nst);
        frame_map *fm = calloc(1, sizeof *fm);
        map_log(base, fm);
        assert_int_equal(fm->ncommits, nst - 1);
        int64_t len = faultvfs_file_size(base, WAL);
        int cuts = 0;
        nq_rng r;
        nq_rng_seed(&r, (uint64_t)z);
        for (int64_t cut = 0; cut <= len; cut += 1 + (int64_t)nq_rng_below(&r, sizes[z])) {
            /* commits kept: those whose commit frame ends at or before the cut */
            int keep = 0;
            for (size_t f = 0; f < fm->nframes; f++)
                if (fm->is_commit[f] && (int64_t)(fm->off[f] + 32 + fm->page_size) <= cut)
                    keep = fm->commit[f];
            faultvfs *fv = faultvfs_clone(base, (uint64_t)cut);
            assert_int_equal(faultvfs_truncate_file(fv, WAL, (uint64_t)cut), NQ_OK);
            char what[96];
            snprintf(what, sizeof what, "log cut at %lld of %lld (page size %u)", (long long)cut,
                     (long long)len, sizes[z]);
            expect_content(fv, st[keep], NULL, what);
            faultvfs_free(fv);
            cuts++;
        }
        print_message("torn log tail: page size %u, %d cuts\n", sizes[z], cuts);
        free(fm);
        free_states(st, nst);
        faultvfs_free(base);
    }
}

/* After recovery drops a damaged middle of the log, later commits must not resurrect the
 * valid-looking frames of the commits that came after the damage. */
static void test_no_resurrection_after_damage(void **s)
{
    (void)s;
    kvm **st;
    int nst;
    faultvfs *base = log_with_commits(1024, 30, &st, &nst);
    frame_map *fm = calloc(1, sizeof *fm);
    map_log(base, fm);
    for (int j = 3; j < fm->ncommits; j += 4) {
        size_t f = 0;
        while (fm->commit[f] != j)
            f++;
        faultvfs *fv = faultvfs_clone(base, (uint64_t)j);
        assert_int_equal(faultvfs_flip_bit(fv, WAL, fm->off[f] + 40, 3), NQ_OK);
        /* recover, then one small commit, then a kill -9 (the log is not checkpointed) */
        nq_db *db = open_db(fv, 1024, 100000);
        nq_tree *t = NULL;
        kvm *want = kvm_clone(st[j - 1]);
        assert_int_equal(nq_tree_open(db, crash_tree_name(0), 0, &t), NQ_OK);
        assert_int_equal(nq_put(t, "new", 3, "v", 1, 0), NQ_OK);
        kvm_put(want, 0, "new", 3, "v", 1);
        nq_tree_close(t);
        faultvfs *after = faultvfs_clone(fv, 1);
        faultvfs_crash(after, 1, FV_CRASH_PROCESS, NULL);
        nq_close(db);
        char what[96];
        snprintf(what, sizeof what, "damage in commit %d, then a new commit and a kill", j);
        expect_content(after, want, NULL, what);
        kvm_free(want);
        faultvfs_free(after);
        faultvfs_free(fv);
    }
    free(fm);
    free_states(st, nst);
    faultvfs_free(base);
}

/* A frame whose header is new but whose page image is an older, validly sealed version of
 * the same page — what a torn write leaves when only the sectors that differ between the two
 * versions fail to land (the log reuses frame positions after every checkpoint, so the old
 * version is often right there). Recovery must not take the transaction with the old page. */
static void test_stale_page_under_new_frame_header(void **s)
{
    (void)s;
    faultvfs *fv = faultvfs_new(3);
    nq_db *db = open_db(fv, 4096, 100000);
    nq_tree *tr[NT];
    kvm *s3 = kvm_new(NT);
    for (int t = 0; t < NT; t++) {
        assert_int_equal(nq_tree_open(db, crash_tree_name(t), NQ_TREE_CREATE, &tr[t]), NQ_OK);
        kvm_tree_create(s3, t);
    }
    /* commit 3 */
    assert_int_equal(nq_put(tr[0], "a", 1, "1111", 4, 0), NQ_OK);
    kvm_put(s3, 0, "a", 1, "1111", 4);
    /* commit 4: the same leaf with a value of the same size, and another tree */
    kvm *s4 = kvm_clone(s3);
    assert_int_equal(nq_begin(db, NQ_TXN_WRITE), NQ_OK);
    assert_int_equal(nq_put(tr[0], "a", 1, "2222", 4, 0), NQ_OK);
    assert_int_equal(nq_put(tr[1], "b", 1, "x", 1, 0), NQ_OK);
    assert_int_equal(nq_commit(db), NQ_OK);
    kvm_put(s4, 0, "a", 1, "2222", 4);
    kvm_put(s4, 1, "b", 1, "x", 1);
    faultvfs *base = faultvfs_clone(fv, 1);
    faultvfs_crash(base, 1, FV_CRASH_PROCESS, NULL);
    close_db(db, tr);

    frame_map *fm = calloc(1, sizeof *fm);
    map_log(base, fm);
    assert_int_equal(fm->ncommits, 4);
    /* the leaf of t0: the page commit 3 wrote besides the header, written again by commit 4 */
    size_t old_f = SIZE_MAX, new_f = SIZE_MAX;
    for (size_t f = 0; f < fm->nframes; f++)
        if (fm->commit[f] == 3 && fm->pgno[f] != 1)
            old_f = f;
    assert_true(old_f != SIZE_MAX);
    for (size_t f = 0; f < fm->nframes; f++)
        if (fm->commit[f] == 4 && fm->pgno[f] == fm->pgno[old_f])
            new_f = f;
    assert_true(new_f != SIZE_MAX);
    uint8_t *w;
    size_t len;
    assert_int_equal(faultvfs_read_file(base, WAL, &w, &len), NQ_OK);
    memcpy(w + fm->off[new_f] + 32, w + fm->off[old_f] + 32, fm->page_size);
    assert_int_equal(faultvfs_write_file(base, WAL, w, len), NQ_OK);
    free(w);
    /* commit 4 may be kept only whole: its frame for the leaf no longer holds its data */
    expect_content(base, s3, s4, "an old image of the page under commit 4's frame header");
    free(fm);
    kvm_free(s3);
    kvm_free(s4);
    faultvfs_free(base);
    faultvfs_free(fv);
}

/* A transaction larger than the cache spills pages to the log before it commits and rewrites
 * a spilled frame in place when the page changes again. If the power fails during the commit's
 * sync, the first version of such a frame may be on disk and the second not (a write-back
 * cache may write the first early; nothing orders the two). Both are valid frames of the same
 * transaction, so recovery must not be able to take the commit with the first. */
static void test_spilled_frame_rewritten_in_place(void **s)
{
    (void)s;
    faultvfs *fv = faultvfs_new(1);
    nq_options o;
    nq_options_init(&o);
    o.page_size = 1024;
    o.cache_bytes = 64 * 1024; /* 64 pages: the writer spills beyond 32 dirty pages */
    o.checkpoint_pages = 100000;
    o.vfs = faultvfs_vfs(fv);
    nq_db *db = NULL;
    assert_int_equal(nq_open(DB, &o, &db), NQ_OK);
    nq_tree *t = NULL;
    assert_int_equal(nq_tree_open(db, "t0", NQ_TREE_CREATE, &t), NQ_OK);
    kvm *before = kvm_new(1), *after;
    kvm_tree_create(before, 0);
    after = kvm_clone(before);
    static uint8_t v[3000];
    assert_int_equal(nq_begin(db, NQ_TXN_WRITE), NQ_OK);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 60; i++) {
            char k[16];
            int kl = snprintf(k, sizeof k, "k%03d", i);
            memset(v, round * 60 + i, 100);
            assert_int_equal(nq_put(t, k, (size_t)kl, v, 100, 0), NQ_OK);
            kvm_put(after, 0, k, (size_t)kl, v, 100);
            if (round == 0) {
                memset(v, 7, sizeof v);
                kl = snprintf(k, sizeof k, "big%03d", i);
                assert_int_equal(nq_put(t, k, (size_t)kl, v, sizeof v, 0), NQ_OK);
                kvm_put(after, 0, k, (size_t)kl, v, sizeof v);
            }
        }
    faultvfs_counts c;
    faultvfs_get_counts(fv, &c);
    /* freeze the moment of the commit's sync: everything written, nothing yet durable */
    faultvfs_fail_sync(fv, 1, 1, NULL);
    assert_int_not_equal(nq_commit(db), NQ_OK);
    faultvfs_counts c2;
    faultvfs_get_counts(fv, &c2);
    if (c2.rewrites == c.rewrites)
        print_message("note: the transaction rewrote no unsynced frame (spilling changed?)\n");
    nq_tree_close(t);
    faultvfs *frozen = faultvfs_clone(fv, 1);
    nq_close(db);
    int bad = 0;
    for (uint64_t seed = 0; seed < 40; seed++) {
        faultvfs *x = faultvfs_clone(frozen, seed);
        /* every write lands, in some order: old bytes may land over new ones */
        faultvfs_crash(x, seed, FV_CRASH_REORDER, NULL);
        nq_options o2 = o;
        o2.vfs = faultvfs_vfs(x);
        nq_db *d = NULL;
        assert_int_equal(nq_open(DB, &o2, &d), NQ_OK);
        kvm *snap = NULL;
        char buf[256] = "";
        int rc = crash_db_snapshot(d, 1, &snap, buf, sizeof buf);
        uint64_t problems = 0;
        char cbuf[256];
        int crc = crash_db_check(d, cbuf, sizeof cbuf, &problems);
        if (rc || crc || (!kvm_equal(snap, before, NULL, 0) && !kvm_equal(snap, after, buf, sizeof buf))) {
            if (!bad)
                print_message("crash seed %llu: %s%s%s\n", (unsigned long long)seed,
                              rc ? "reading failed: " : "a partial transaction: ", buf,
                              crc ? cbuf : "");
            bad++;
        }
        kvm_free(snap);
        nq_close(d);
        faultvfs_free(x);
    }
    if (bad)
        fail_msg("%d of 40 crashes during the commit recovered a partial transaction", bad);
    kvm_free(before);
    kvm_free(after);
    faultvfs_free(frozen);
    faultvfs_free(fv);
}

/* Reading inside a big write transaction may have to spill other pages to the log; if that
 * write fails, the read must fail with an error. It must never look like the end of the tree
 * (a scan that silently stops early) or a missing key. */
static void test_io_error_while_reading_is_not_the_end(void **s)
{
    (void)s;
    for (int forever = 0; forever < 2; forever++) {
        faultvfs *fv = faultvfs_new(9);
        nq_options o;
        nq_options_init(&o);
        o.page_size = 1024;
        o.cache_bytes = 64 * 1024;
        o.checkpoint_pages = 100000;
        o.vfs = faultvfs_vfs(fv);
        nq_db *db = NULL;
        assert_int_equal(nq_open(DB, &o, &db), NQ_OK);
        nq_tree *t = NULL;
        assert_int_equal(nq_tree_open(db, "t0", NQ_TREE_CREATE, &t), NQ_OK);
        assert_int_equal(nq_begin(db, NQ_TXN_WRITE), NQ_OK);
        static uint8_t v[6000];
        enum { N = 40 };
        for (int i = 0; i < N; i++) {
            char k[16];
            memset(v, i, sizeof v);
            assert_int_equal(nq_put(t, k, (size_t)snprintf(k, sizeof k, "k%03d", i), v, sizeof v, 0),
                             NQ_OK);
        }
        /* from now on the log cannot be written (the disk is full, say) */
        faultvfs_fail_write(fv, 1, forever, 0);
        nq_cursor *c = NULL;
        int rc = nq_cursor_open(t, &c), n = 0, errors = 0;
        if (rc == 0) {
            for (rc = nq_cursor_first(c); rc == 0; rc = nq_cursor_next(c)) {
                size_t kl = 0, vl = 0;
                const void *k = nq_cursor_key(c, &kl);
                const void *val = nq_cursor_value(c, &vl);
                if (!k || !val) {
                    if (nq_errcode(db) == 0 || nq_errcode(db) == NQ_ENOTFOUND)
                        fail_msg("entry %d: the value could not be read, but nq_errcode is %d (%s)",
                                 n, nq_errcode(db), nq_errmsg(db));
                    errors++;
                    rc = nq_errcode(db);
                    break;
                }
                char want[16];
                snprintf(want, sizeof want, "k%03d", n);
                if (kl != 4 || memcmp(k, want, 4) != 0 || vl != sizeof v ||
                    ((const uint8_t *)val)[vl - 1] != (uint8_t)n)
                    fail_msg("entry %d: wrong key or value while the log cannot be written", n);
                n++;
            }
            nq_cursor_close(c);
        }
        if (rc == NQ_ENOTFOUND && n != N)
            fail_msg("(%s write failure) the scan ended after %d of %d entries without an error: "
                     "an I/O error read as the end of the tree",
                     forever ? "lasting" : "single", n, N);
        /* point reads: the value, or an error that is not "not found" */
        for (int i = 0; i < N; i++) {
            char k[16];
            void *g = NULL;
            size_t gl = 0;
            rc = nq_get(t, k, (size_t)snprintf(k, sizeof k, "k%03d", i), &g, &gl);
            if (rc == NQ_ENOTFOUND)
                fail_msg("(%s write failure) nq_get(%s) returned NQ_ENOTFOUND for a key the "
                         "transaction wrote", forever ? "lasting" : "single", k);
            if (rc == 0 && (gl != sizeof v || ((uint8_t *)g)[gl - 1] != (uint8_t)i))
                fail_msg("nq_get(%s) returned wrong data", k);
            free(g);
        }
        (void)errors;
        nq_rollback(db);
        nq_tree_close(t);
        nq_close(db);
        faultvfs_free(fv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fsync_eio_log_forever),
        cmocka_unit_test(test_fsync_eio_log_once),
        cmocka_unit_test(test_fsync_eio_checkpoint),
        cmocka_unit_test(test_enospc_capacity),
        cmocka_unit_test(test_enospc_budget),
        cmocka_unit_test(test_short_write),
        cmocka_unit_test(test_bitflip_db_pages),
        cmocka_unit_test(test_bitflip_wal),
        cmocka_unit_test(test_torn_wal_tail),
        cmocka_unit_test(test_no_resurrection_after_damage),
        cmocka_unit_test(test_stale_page_under_new_frame_header),
        cmocka_unit_test(test_spilled_frame_rewritten_in_place),
        cmocka_unit_test(test_io_error_while_reading_is_not_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
