/*
 * test_pitr.c — the log archive and point-in-time recovery (nq_options.archive_dir,
 * nq_restore_ex with NQ_UNTIL_SEQ / NQ_UNTIL_TIME, nq_archive_verify). Everything runs on the
 * in-memory fault-injecting VFS (tests/support/faultvfs.h), so it is fast and deterministic.
 *
 *   - random workloads (puts, deletes, large values, rolled-back transactions that leave gaps
 *     in the sequence numbers, reopenings) with a checkpoint every few commits and archiving
 *     on, full / incremental / differential backups in between: for every commit, a restore
 *     --until that commit from the newest chain before it equals a model of the database at
 *     that commit (key by key, and nq_check); a restore from an older chain up to a later
 *     backup's snapshot is byte for byte that backup's restore;
 *   - --until TIME, with times read from the archive: exactly a commit's time, between two
 *     commits, before the first commit after the backup;
 *   - refusals naming the file or the range: a flipped bit in any part of a segment, a
 *     truncated or missing segment (the gap named), a target beyond the archive's end or before
 *     the backup, segments of another database; a refused restore creates nothing;
 *   - pruning the archive up to a later backup's snapshot removes exactly the segments wholly
 *     before it; every commit after it still restores from that backup's chain;
 *   - an archiving failure keeps the log (no frame lost), is reported, and is retried;
 *   - a power loss at every mutating call of a checkpoint that archives: after recovery every
 *     committed transaction is in the database, and the archive (after the reopen archives the
 *     log) restores every one of them;
 *   - a power loss at every mutating call of a PITR restore leaves the target absent or the
 *     database at the target commit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "base/rand.h"
#include "faultvfs.h"
#include "nqdb.h"
#include "storage/archive.h"
#include "storage/pager_int.h"
#include "kvversions.h"

#define OK(db, call)                                                                             \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_)                                                                                 \
            fail_msg("%s: %d %s", #call, rc_, (db) ? nq_errmsg(db) : "");                        \
    } while (0)

#define ARC "arc"
#define NKEYS 200

static nq_db *open_db(nq_vfs *vfs, const char *path, const char *archive)
{
    nq_options o;
    nq_options_init(&o);
    o.vfs = vfs;
    o.checkpoint_pages = 12; /* a checkpoint (and a segment) every few commits */
    o.archive_dir = archive;
    nq_db *db;
    int rc = nq_open(path, &o, &db);
    if (rc)
        fail_msg("open %s: %s", path, db ? nq_errmsg(db) : nq_strerror(rc));
    return db;
}

/* The last durable commit's sequence number (the engine's own counter). */
static uint64_t last_seq(nq_db *db)
{
    pager *p = db->eng->pager;
    pthread_mutex_lock(&p->mu);
    uint64_t s = p->hdr_durable.seq;
    pthread_mutex_unlock(&p->mu);
    return s;
}

static size_t value_of(uint32_t key, uint32_t ver, uint8_t *buf)
{
    nq_rng r;
    nq_rng_seed(&r, (uint64_t)key << 32 | ver);
    size_t n = nq_rng_below(&r, 12) == 0 ? 2000 + nq_rng_below(&r, 7000) : 10 + nq_rng_below(&r, 200);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)nq_rng_next(&r);
    return n;
}

/* One transaction of nops random changes; rolled back (the model unchanged) when rollback. */
static void apply_random(nq_db *db, nq_rng *r, uint32_t *model, int nops, int rollback)
{
    kvv_apply_random(db, r, model, NKEYS, nops, rollback, value_of);
}

static void check_model(nq_db *db, const uint32_t *model, const char *what)
{
    kvv_check(db, model, NKEYS, value_of, what);
}

/* ---- a recorded history ------------------------------------------------------------------- */

#define MAXC 400
#define MAXB 16

typedef struct history {
    int n;                      /* commits recorded */
    uint64_t seq[MAXC];         /* in order */
    uint32_t model[MAXC][NKEYS];
    uint32_t model0[NKEYS];     /* before the first recorded commit */
    int nb;
    char bdir[MAXB][16];        /* backups in order; bdir[0] is full */
    int bkind[MAXB];
    uint64_t bseq[MAXB];
} history;

static void record(history *h, nq_db *db, const uint32_t *model)
{
    assert_true(h->n < MAXC);
    h->seq[h->n] = last_seq(db);
    memcpy(h->model[h->n], model, sizeof h->model[0]);
    h->n++;
}

/* The model at commit seq s: the last recorded commit <= s. */
static const uint32_t *model_at(const history *h, uint64_t s)
{
    const uint32_t *m = h->model0;
    for (int i = 0; i < h->n && h->seq[i] <= s; i++)
        m = h->model[i];
    return m;
}

/* The chain (full first) ending at backup b: the backups before it that it builds on. */
static int chain_of(const history *h, int b, const char **out)
{
    int idx[MAXB], k = 0;
    for (int i = b; i >= 0;) {
        idx[k++] = i;
        if (h->bkind[i] == NQ_BACKUP_FULL)
            break;
        int j = i - 1;
        if (h->bkind[i] == NQ_BACKUP_DIFFERENTIAL)
            while (j > 0 && h->bkind[j] != NQ_BACKUP_FULL)
                j--;
        i = j;
    }
    for (int i = 0; i < k; i++)
        out[i] = h->bdir[idx[k - 1 - i]];
    return k;
}

static void take_backup(history *h, nq_db *db, int kind)
{
    assert_true(h->nb < MAXB);
    int b = h->nb;
    snprintf(h->bdir[b], sizeof h->bdir[b], "b%02d", b);
    const char *parent = NULL;
    if (kind == NQ_BACKUP_INCREMENTAL)
        parent = h->bdir[b - 1];
    else if (kind == NQ_BACKUP_DIFFERENTIAL) {
        int j = b - 1;
        while (h->bkind[j] != NQ_BACKUP_FULL)
            j--;
        parent = h->bdir[j];
    }
    nq_backup_info info;
    OK(db, nq_backup(db, h->bdir[b], kind, parent, &info));
    h->bkind[b] = kind;
    h->bseq[b] = info.commit_seq;
    h->nb++;
}

/* A workload on vfs with archiving into ARC: ncommits commits (some rollbacks in between),
 * backups along the way, reopenings; closed at the end (which archives the rest). */
static void run_workload(nq_vfs *vfs, uint64_t seed, int ncommits, history *h)
{
    memset(h, 0, sizeof *h);
    nq_rng r;
    nq_rng_seed(&r, seed);
    uint32_t model[NKEYS] = {0};
    nq_db *db = open_db(vfs, "db", ARC);
    for (int i = 0; i < 3; i++) {
        apply_random(db, &r, model, 1 + (int)nq_rng_below(&r, 20), 0);
        record(h, db, model);
    }
    take_backup(h, db, NQ_BACKUP_FULL);
    for (int i = 0; i < ncommits; i++) {
        if (nq_rng_below(&r, 6) == 0)
            apply_random(db, &r, model, 1 + (int)nq_rng_below(&r, 10), 1); /* a seq used up */
        apply_random(db, &r, model, 1 + (int)nq_rng_below(&r, 25), 0);
        record(h, db, model);
        if (nq_rng_below(&r, 9) == 0 && h->nb < MAXB) {
            int k = (int)nq_rng_below(&r, 4);
            take_backup(h, db, k == 0 ? NQ_BACKUP_FULL : k == 1 ? NQ_BACKUP_DIFFERENTIAL
                                                                : NQ_BACKUP_INCREMENTAL);
            record(h, db, model); /* the first backup gives the id: a commit of its own */
        }
        if (nq_rng_below(&r, 15) == 0) {
            OK(db, nq_close(db));
            db = open_db(vfs, "db", ARC);
        }
    }
    nq_stats st;
    OK(db, nq_get_stats(db, &st));
    assert_int_equal(st.archive_failures, 0);
    OK(db, nq_close(db));
}

static int restore_until(nq_vfs *vfs, const char *const *chain, int n, const char *target,
                         int kind, uint64_t until, nq_restore_result *res, char *msg, size_t ml)
{
    nq_restore_opts o = {NQ_RESTORE_FORCE, kind, until, ARC};
    return nq_restore_ex(vfs, chain, n, target, &o, res, msg, ml);
}

static void expect_db(nq_vfs *vfs, const char *path, const uint32_t *model, const char *what)
{
    nq_options o;
    nq_options_init(&o);
    o.vfs = vfs;
    o.no_create = 1;
    nq_db *db;
    int rc = nq_open(path, &o, &db);
    if (rc)
        fail_msg("%s: open: %s", what, db ? nq_errmsg(db) : nq_strerror(rc));
    check_model(db, model, what);
    OK(db, nq_close(db));
}

/* (seq, time) of every archived transaction, from the archive itself */
typedef struct txlist {
    int n;
    uint64_t seq[MAXC * 2], time[MAXC * 2];
} txlist;

static int note_commit(void *arg, const arc_seg *s, uint64_t seq, uint64_t prev, uint64_t time,
                       uint64_t dbid, uint32_t pages, const uint8_t *page1)
{
    (void)s, (void)prev, (void)dbid, (void)pages, (void)page1;
    txlist *l = arg;
    assert_true(l->n < MAXC * 2);
    l->seq[l->n] = seq;
    l->time[l->n] = time;
    l->n++;
    return 0;
}

static void read_archive(nq_vfs *vfs, txlist *l)
{
    memset(l, 0, sizeof *l);
    arc_seg *segs;
    size_t ns;
    nq_err err;
    nq_err_clear(&err);
    if (archive_list(vfs, ARC, &segs, &ns, &err))
        fail_msg("archive_list: %s", err.msg);
    arc_scan cb = {0, 0, NULL, note_commit, l};
    for (size_t i = 0; i < ns; i++)
        if (archive_scan(vfs, ARC, &segs[i], &cb, &err))
            fail_msg("archive_scan: %s", err.msg);
    free(segs);
}

/* ---- round trips -------------------------------------------------------------------------- */

static void test_random_pitr(void **state)
{
    (void)state;
    static history h;
    static txlist tl;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        faultvfs *fv = faultvfs_new(seed);
        nq_vfs *vfs = faultvfs_vfs(fv);
        run_workload(vfs, seed * 101, 70, &h);
        char msg[600];
        nq_archive_info ai;
        if (nq_archive_verify(vfs, ARC, &ai, msg, sizeof msg))
            fail_msg("verify archive: %s", msg);
        assert_true(ai.segments >= 5);
        assert_int_equal(ai.last_seq, h.seq[h.n - 1]);
        read_archive(vfs, &tl);
        /* every commit recorded is in the archive, in order, with rising times */
        for (int i = 0, j = 0; i < h.n; i++) {
            while (j < tl.n && tl.seq[j] < h.seq[i])
                j++;
            if (j == tl.n || tl.seq[j] != h.seq[i])
                fail_msg("commit %llu is not in the archive", (unsigned long long)h.seq[i]);
        }
        for (int j = 1; j < tl.n; j++)
            assert_true(tl.time[j] >= tl.time[j - 1] && tl.seq[j] > tl.seq[j - 1]);
        print_message("seed %llu: %d commits, %d backups, %u segments, %llu transactions\n",
                      (unsigned long long)seed, h.n, h.nb, ai.segments,
                      (unsigned long long)ai.txns);
        /* every commit after the first backup, from the newest chain at or before it, and
         * every 4th also from the first full backup (a long way through the archive) */
        int restores = 0;
        for (int i = 0; i < h.n; i++) {
            uint64_t s = h.seq[i];
            if (s < h.bseq[0])
                continue;
            int b = 0;
            while (b + 1 < h.nb && h.bseq[b + 1] <= s)
                b++;
            for (int from_first = 0; from_first <= (i % 4 == 0); from_first++) {
                const char *chain[MAXB];
                int nc = chain_of(&h, from_first ? 0 : b, chain);
                nq_restore_result res;
                if (restore_until(vfs, chain, nc, "r", NQ_UNTIL_SEQ, s, &res, msg, sizeof msg))
                    fail_msg("restore until %llu: %s", (unsigned long long)s, msg);
                assert_int_equal(res.commit_seq, s);
                char what[64];
                snprintf(what, sizeof what, "until %llu", (unsigned long long)s);
                expect_db(vfs, "r", model_at(&h, s), what);
                restores++;
            }
            /* a position in a gap (a rolled-back transaction's seq) gives the commit before */
            if (i + 1 < h.n && h.seq[i + 1] > s + 1) {
                const char *chain[MAXB];
                int nc = chain_of(&h, b, chain);
                nq_restore_result res;
                if (restore_until(vfs, chain, nc, "r", NQ_UNTIL_SEQ, s + 1, &res, msg, sizeof msg))
                    fail_msg("restore until %llu: %s", (unsigned long long)s + 1, msg);
                assert_int_equal(res.commit_seq, s);
            }
        }
        /* from an older chain up to a later backup's snapshot: byte for byte that backup */
        for (int b = 1; b < h.nb; b++) {
            const char *chain[MAXB], *first[1] = {h.bdir[0]};
            int nc = chain_of(&h, b, chain);
            nq_restore_opts plain = {NQ_RESTORE_FORCE, NQ_UNTIL_NONE, 0, NULL};
            if (nq_restore_ex(vfs, chain, nc, "plain", &plain, NULL, msg, sizeof msg))
                fail_msg("restore %s: %s", h.bdir[b], msg);
            if (restore_until(vfs, first, 1, "pitr", NQ_UNTIL_SEQ, h.bseq[b], NULL, msg, sizeof msg))
                fail_msg("restore until %llu: %s", (unsigned long long)h.bseq[b], msg);
            uint8_t *a, *c;
            size_t al, cl;
            assert_int_equal(faultvfs_read_file(fv, "plain", &a, &al), 0);
            assert_int_equal(faultvfs_read_file(fv, "pitr", &c, &cl), 0);
            if (al != cl || memcmp(a, c, al))
                fail_msg("seed %llu: PITR to %s's snapshot (commit %llu) differs from its restore",
                         (unsigned long long)seed, h.bdir[b], (unsigned long long)h.bseq[b]);
            free(a);
            free(c);
        }
        print_message("  %d restores compared with the model\n", restores);
        faultvfs_free(fv);
    }
}

static void test_until_time(void **state)
{
    (void)state;
    static history h;
    static txlist tl;
    faultvfs *fv = faultvfs_new(7);
    nq_vfs *vfs = faultvfs_vfs(fv);
    run_workload(vfs, 77, 40, &h);
    read_archive(vfs, &tl);
    const char *full[1] = {h.bdir[0]};
    char msg[600];
    int checked = 0, between = 0;
    for (int j = 0; j < tl.n; j++) {
        if (tl.seq[j] <= h.bseq[0])
            continue;
        /* exactly a commit's time: that commit, or a later one committed in the same µs */
        int last = j;
        while (last + 1 < tl.n && tl.time[last + 1] == tl.time[j])
            last++;
        nq_restore_result res;
        if (restore_until(vfs, full, 1, "r", NQ_UNTIL_TIME, tl.time[j], &res, msg, sizeof msg))
            fail_msg("until time of %llu: %s", (unsigned long long)tl.seq[j], msg);
        assert_int_equal(res.commit_seq, tl.seq[last]);
        assert_int_equal(res.commit_time, tl.time[j]);
        expect_db(vfs, "r", model_at(&h, tl.seq[last]), "until time");
        checked++;
        /* a time between two commits: the earlier */
        if (last + 1 < tl.n && tl.time[last + 1] > tl.time[last] + 1) {
            uint64_t t = tl.time[last] + (tl.time[last + 1] - tl.time[last]) / 2;
            if (restore_until(vfs, full, 1, "r", NQ_UNTIL_TIME, t, &res, msg, sizeof msg))
                fail_msg("until between: %s", msg);
            assert_int_equal(res.commit_seq, tl.seq[last]);
            between++;
        }
    }
    print_message("%d restores until a commit's time, %d between two\n", checked, between);
    assert_true(checked > 20);
    /* a time before the backup's snapshot is refused; after the archive's end too */
    nq_restore_result res;
    assert_int_equal(restore_until(vfs, full, 1, "r2", NQ_UNTIL_TIME, tl.time[0] - 1, &res, msg,
                                   sizeof msg), NQ_EINVAL);
    assert_non_null(strstr(msg, "older backup chain"));
    assert_int_equal(restore_until(vfs, full, 1, "r2", NQ_UNTIL_TIME, tl.time[tl.n - 1] + 1, &res,
                                   msg, sizeof msg), NQ_ENOTFOUND);
    assert_non_null(strstr(msg, "beyond the archive's end"));
    assert_false(faultvfs_exists(fv, "r2"));
    /* times parse */
    uint64_t us;
    assert_int_equal(nq_parse_utc("2026-11-24T12:00:00Z", &us), 0);
    assert_int_equal(us, 1795521600000000ull);
    assert_int_equal(nq_parse_utc("2026-11-24T12:00:00.5Z", &us), 0);
    assert_int_equal(us, 1795521600500000ull);
    assert_int_not_equal(nq_parse_utc("2026-11-24 12:00:00Z", &us), 0);
    assert_int_not_equal(nq_parse_utc("2026-02-30T12:00:00Z", &us), 0);
    assert_int_not_equal(nq_parse_utc("2026-11-24T12:00:00", &us), 0);
    assert_int_not_equal(nq_parse_utc("2026-11-24T12:00:00.1234567Z", &us), 0);
    faultvfs_free(fv);
}

/* ---- refusals ----------------------------------------------------------------------------- */

static void expect_refused(faultvfs *fv, const char *const *chain, int n, uint64_t until,
                           const char *needle, const char *needle2)
{
    nq_vfs *vfs = faultvfs_vfs(fv);
    char msg[600];
    nq_restore_opts o = {0, NQ_UNTIL_SEQ, until, ARC};
    int rc = nq_restore_ex(vfs, chain, n, "refused", &o, NULL, msg, sizeof msg);
    if (rc == 0)
        fail_msg("restore until %llu accepted; expected a refusal naming %s",
                 (unsigned long long)until, needle);
    if (!strstr(msg, needle) || (needle2 && !strstr(msg, needle2)))
        fail_msg("refusal does not name \"%s\"%s%s: %s", needle, needle2 ? " / " : "",
                 needle2 ? needle2 : "", msg);
    assert_false(faultvfs_exists(fv, "refused"));
    assert_false(faultvfs_exists(fv, "refused.restoring"));
}

static void test_refusals(void **state)
{
    (void)state;
    static history h;
    faultvfs *base = faultvfs_new(11);
    run_workload(faultvfs_vfs(base), 1111, 50, &h);
    arc_seg *segs;
    size_t ns;
    nq_err err;
    nq_err_clear(&err);
    OK(NULL, archive_list(faultvfs_vfs(base), ARC, &segs, &ns, &err));
    assert_true(ns >= 4);
    const char *full[1] = {h.bdir[0]};
    uint64_t end = segs[ns - 1].last_seq;
    char msg[600];
    /* the whole archive restores */
    nq_restore_opts o = {0, NQ_UNTIL_SEQ, end, ARC};
    assert_int_equal(nq_restore_ex(faultvfs_vfs(base), full, 1, "whole", &o, NULL, msg, sizeof msg), 0);
    faultvfs_remove_file(base, "whole");

    /* a flipped bit anywhere in a segment the restore needs: header, frames, checksum; one
     * with a segment after the backup's before it, so that its loss is a gap inside the
     * archive */
    size_t first = 0;
    while (segs[first].last_seq <= h.bseq[0])
        first++;
    size_t mid = ns / 2 > first + 1 ? ns / 2 : first + 1;
    assert_true(mid + 1 < ns);
    char path[128];
    snprintf(path, sizeof path, ARC "/%s", segs[mid].name);
    uint64_t size = segs[mid].bytes;
    uint64_t offs[] = {0, 9, 20, 30, 45, 60, 66, 80, 85, 80 + 40, size / 2, size - 40, size - 33,
                       size - 1};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        faultvfs *fv = faultvfs_clone(base, 1);
        assert_int_equal(faultvfs_flip_bit(fv, path, offs[i], (int)(i % 8)), 0);
        expect_refused(fv, full, 1, end, segs[mid].name, NULL);
        assert_int_not_equal(nq_archive_verify(faultvfs_vfs(fv), ARC, NULL, msg, sizeof msg), 0);
        faultvfs_free(fv);
    }
    /* truncated */
    faultvfs *fv = faultvfs_clone(base, 1);
    faultvfs_truncate_file(fv, path, size - 100);
    expect_refused(fv, full, 1, end, segs[mid].name, NULL);
    faultvfs_free(fv);
    /* missing: the gap is named */
    {
        fv = faultvfs_clone(base, 1);
        faultvfs_remove_file(fv, path);
        char range[96];
        snprintf(range, sizeof range, "after %llu up to %llu", (unsigned long long)segs[mid].prev_seq,
                 (unsigned long long)segs[mid + 1].prev_seq);
        expect_refused(fv, full, 1, end, range, "missing");
        assert_int_not_equal(nq_archive_verify(faultvfs_vfs(fv), ARC, NULL, msg, sizeof msg), 0);
        assert_non_null(strstr(msg, range));
        /* a target before the gap still restores */
        if (segs[mid].prev_seq >= h.bseq[0]) {
            o.until = segs[mid].prev_seq;
            assert_int_equal(nq_restore_ex(faultvfs_vfs(fv), full, 1, "before", &o, NULL, msg,
                                           sizeof msg), 0);
            expect_db(faultvfs_vfs(fv), "before", model_at(&h, o.until), "before the gap");
        }
        faultvfs_free(fv);
    }
    /* the segment right after the backup missing */
    fv = faultvfs_clone(base, 1);
    snprintf(path, sizeof path, ARC "/%s", segs[first].name);
    faultvfs_remove_file(fv, path);
    expect_refused(fv, full, 1, end, "missing", NULL);
    faultvfs_free(fv);
    /* beyond the end, before the backup */
    expect_refused(base, full, 1, end + 1, "beyond the archive's end", segs[ns - 1].name);
    if (h.bseq[0] > 1)
        expect_refused(base, full, 1, h.bseq[0] - 1, "older backup chain", NULL);
    /* no archive */
    nq_restore_opts none = {0, NQ_UNTIL_SEQ, end, "nowhere"};
    assert_int_not_equal(nq_restore_ex(faultvfs_vfs(base), full, 1, "x", &none, NULL, msg,
                                       sizeof msg), 0);
    assert_non_null(strstr(msg, "nowhere"));
    /* segments of another database in the archive: its history does not continue the chain */
    static history h2;
    faultvfs *other = faultvfs_new(12);
    run_workload(faultvfs_vfs(other), 2222, 30, &h2);
    arc_seg *s2;
    size_t n2;
    OK(NULL, archive_list(faultvfs_vfs(other), ARC, &s2, &n2, &err));
    fv = faultvfs_clone(base, 1);
    for (size_t i = 0; i < ns; i++) {
        snprintf(path, sizeof path, ARC "/%s", segs[i].name);
        faultvfs_remove_file(fv, path);
    }
    for (size_t i = 0; i < n2; i++) {
        uint8_t *d;
        size_t dl;
        snprintf(path, sizeof path, ARC "/%s", s2[i].name);
        assert_int_equal(faultvfs_read_file(other, path, &d, &dl), 0);
        faultvfs_write_file(fv, path, d, dl);
        free(d);
    }
    nq_restore_opts o2 = {0, NQ_UNTIL_SEQ, s2[n2 - 1].last_seq, ARC};
    int rc = nq_restore_ex(faultvfs_vfs(fv), full, 1, "refused", &o2, NULL, msg, sizeof msg);
    assert_int_not_equal(rc, 0);
    print_message("another database's archive: %s\n", msg);
    assert_false(faultvfs_exists(fv, "refused"));
    faultvfs_free(fv);
    free(s2);
    faultvfs_free(other);
    free(segs);
    faultvfs_free(base);
}

/* ---- pruning ------------------------------------------------------------------------------ */

static void test_prune(void **state)
{
    (void)state;
    static history h;
    faultvfs *fv = faultvfs_new(51);
    nq_vfs *vfs = faultvfs_vfs(fv);
    uint64_t seed = 5151;
    do /* a history with a later full backup to prune up to */
        run_workload(vfs, seed++, 60, &h);
    while (h.nb < 3 && seed < 5200);
    int b = h.nb - 1;
    while (b > 0 && h.bkind[b] != NQ_BACKUP_FULL)
        b--;
    if (b == 0)
        b = h.nb - 1; /* no second full backup: prune up to the last backup's snapshot */
    arc_seg *before, *after;
    size_t nb, na;
    nq_err err;
    nq_err_clear(&err);
    OK(NULL, archive_list(vfs, ARC, &before, &nb, &err));
    char msg[600];
    unsigned removed = 0;
    OK(NULL, nq_archive_prune(vfs, ARC, h.bseq[b], &removed, msg, sizeof msg));
    OK(NULL, archive_list(vfs, ARC, &after, &na, &err));
    size_t expect = 0;
    while (expect < nb && before[expect].last_seq <= h.bseq[b])
        expect++;
    assert_int_equal(removed, expect);
    assert_int_equal(na, nb - expect);
    assert_true(removed > 0);
    for (size_t i = 0; i < na; i++)
        assert_true(after[i].last_seq > h.bseq[b]);
    OK(NULL, nq_archive_verify(vfs, ARC, NULL, msg, sizeof msg));
    /* every commit after the kept backup still restores from it; earlier chains cannot */
    const char *chain[MAXB];
    int nc = chain_of(&h, b, chain);
    for (int i = 0; i < h.n; i++) {
        if (h.seq[i] < h.bseq[b])
            continue;
        nq_restore_result res;
        if (restore_until(vfs, chain, nc, "r", NQ_UNTIL_SEQ, h.seq[i], &res, msg, sizeof msg))
            fail_msg("after pruning, until %llu: %s", (unsigned long long)h.seq[i], msg);
        expect_db(vfs, "r", model_at(&h, h.seq[i]), "after pruning");
    }
    const char *first[1] = {h.bdir[0]};
    nq_restore_result res;
    assert_int_not_equal(restore_until(vfs, first, 1, "r2", NQ_UNTIL_SEQ, h.seq[h.n - 1], &res,
                                       msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "missing"));
    /* pruning again removes nothing */
    OK(NULL, nq_archive_prune(vfs, ARC, h.bseq[b], &removed, msg, sizeof msg));
    assert_int_equal(removed, 0);
    free(before);
    free(after);
    faultvfs_free(fv);
}

/* ---- archiving failures and crashes ------------------------------------------------------- */

static void test_archive_failure_keeps_log(void **state)
{
    (void)state;
    faultvfs *fv = faultvfs_new(21);
    nq_vfs *vfs = faultvfs_vfs(fv);
    nq_rng r;
    nq_rng_seed(&r, 21);
    uint32_t model[NKEYS] = {0};
    nq_db *db = open_db(vfs, "db", ARC);
    apply_random(db, &r, model, 10, 0);
    OK(db, nq_backup(db, "b", NQ_BACKUP_FULL, NULL, NULL));
    uint64_t bseq = last_seq(db);
    /* every sync of the archive's temporary file fails: the log must stay */
    faultvfs_fail_sync(fv, 1, 1, "archiving.tmp");
    for (int i = 0; i < 12; i++)
        apply_random(db, &r, model, 8, 0);
    uint64_t s1 = last_seq(db);
    assert_int_not_equal(nq_checkpoint(db), 0);
    assert_non_null(strstr(nq_errmsg(db), "archiving the log failed"));
    char em[600];
    nq_archive_error(db, em, sizeof em);
    assert_non_null(strstr(em, "archiving.tmp"));
    nq_stats st;
    OK(db, nq_get_stats(db, &st));
    assert_true(st.archive_failures >= 1);
    assert_true(st.wal_frames > 0); /* the log was kept */
    /* writes go on; the database is not in the fail-stop state */
    apply_random(db, &r, model, 8, 0);
    /* closing cannot archive either: it reports it and keeps the log */
    assert_int_not_equal(nq_close(db), 0);
    assert_true(faultvfs_exists(fv, "db-wal"));
    faultvfs_disarm(fv);
    /* the next open archives the log, and everything restores */
    db = open_db(vfs, "db", ARC);
    nq_archive_error(db, em, sizeof em);
    assert_string_equal(em, "");
    uint64_t s2 = last_seq(db);
    assert_true(s2 > s1);
    OK(db, nq_close(db));
    const char *chain[1] = {"b"};
    char msg[600];
    nq_restore_result res;
    nq_restore_opts o = {0, NQ_UNTIL_SEQ, s2, ARC};
    if (nq_restore_ex(vfs, chain, 1, "r", &o, &res, msg, sizeof msg))
        fail_msg("restore: %s", msg);
    assert_int_equal(res.backup_seq, bseq);
    expect_db(vfs, "r", model, "after the failure");
    faultvfs_free(fv);
}

static void test_crash_during_archiving(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 31);
    uint32_t model[NKEYS] = {0};
    nq_options o;
    nq_options_init(&o);
    faultvfs *pre = faultvfs_new(31);
    o.vfs = faultvfs_vfs(pre);
    o.checkpoint_pages = 100000; /* only explicit checkpoints restart the log */
    o.archive_dir = ARC;
    nq_db *db;
    OK(NULL, nq_open("db", &o, &db));
    apply_random(db, &r, model, 10, 0);
    OK(db, nq_backup(db, "b", NQ_BACKUP_FULL, NULL, NULL));
    OK(db, nq_checkpoint(db)); /* the first segment */
    for (int i = 0; i < 6; i++) {
        if (i == 3)
            apply_random(db, &r, model, 5, 1);
        apply_random(db, &r, model, 12, 0);
    }
    uint64_t target = last_seq(db);
    /* the state to crash from: every commit synced in the log, none of these archived. A
     * clone has no open handle, so opening it runs recovery, which archives the log and
     * restarts it — the sequence every checkpoint runs — and the crash is put inside it. */
    faultvfs *snap = faultvfs_clone(pre, 2);
    OK(db, nq_close(db));
    faultvfs_free(pre);
    faultvfs *fv = faultvfs_clone(snap, 1);
    nq_options oc = o;
    oc.vfs = faultvfs_vfs(fv);
    faultvfs_reset_counts(fv);
    OK(NULL, nq_open("db", &oc, &db));
    faultvfs_counts cnt;
    faultvfs_get_counts(fv, &cnt);
    nq_stats st;
    OK(db, nq_get_stats(db, &st));
    assert_int_equal(st.archived_segments, 1);
    OK(db, nq_close(db));
    faultvfs_free(fv);
    print_message("recovery that archives: %llu mutating calls, each a crash point x 2 seeds\n",
                  (unsigned long long)cnt.mutating);
    assert_true(cnt.mutating >= 5);
    const char *chain[1] = {"b"};
    for (uint64_t n = 1; n <= cnt.mutating + 1; n++) {
        for (uint64_t cs = 0; cs < 2; cs++) {
            fv = faultvfs_clone(snap, n);
            oc.vfs = faultvfs_vfs(fv);
            faultvfs_crash_at(fv, n);
            nq_db *cdb;
            nq_open("db", &oc, &cdb);
            nq_close(cdb);
            faultvfs_crash(fv, n * 3 + cs, FV_CRASH_POWERLOSS, NULL);
            /* every committed transaction is in the database ... */
            OK(NULL, nq_open("db", &oc, &cdb));
            check_model(cdb, model, "after the crash");
            OK(cdb, nq_close(cdb)); /* (archives whatever the log still held) */
            /* ... and in the archive, which verifies */
            char msg[600];
            if (nq_archive_verify(oc.vfs, ARC, NULL, msg, sizeof msg))
                fail_msg("crash at %llu: archive does not verify: %s", (unsigned long long)n, msg);
            nq_restore_opts ro = {0, NQ_UNTIL_SEQ, target, ARC};
            nq_restore_result res;
            if (nq_restore_ex(oc.vfs, chain, 1, "r", &ro, &res, msg, sizeof msg))
                fail_msg("crash at %llu: restore until %llu: %s", (unsigned long long)n,
                         (unsigned long long)target, msg);
            assert_int_equal(res.commit_seq, target);
            expect_db(oc.vfs, "r", model, "restored after the crash");
            faultvfs_free(fv);
        }
    }
    faultvfs_free(snap);
}

static void test_crash_during_pitr_restore(void **state)
{
    (void)state;
    static history h;
    faultvfs *base = faultvfs_new(41);
    run_workload(faultvfs_vfs(base), 4141, 25, &h);
    const char *full[1] = {h.bdir[0]};
    uint64_t until = h.seq[h.n - 4];
    char msg[600];
    faultvfs *fv = faultvfs_clone(base, 1);
    faultvfs_reset_counts(fv);
    nq_restore_opts o = {0, NQ_UNTIL_SEQ, until, ARC};
    if (nq_restore_ex(faultvfs_vfs(fv), full, 1, "r", &o, NULL, msg, sizeof msg))
        fail_msg("restore: %s", msg);
    faultvfs_counts cnt;
    faultvfs_get_counts(fv, &cnt);
    faultvfs_free(fv);
    print_message("PITR restore: %llu mutating calls, each a crash point\n",
                  (unsigned long long)cnt.mutating);
    int opened = 0;
    for (uint64_t n = 1; n <= cnt.mutating + 1; n++) {
        fv = faultvfs_clone(base, n);
        nq_vfs *vfs = faultvfs_vfs(fv);
        faultvfs_crash_at(fv, n);
        int rc = nq_restore_ex(vfs, full, 1, "r", &o, NULL, msg, sizeof msg);
        faultvfs_crash(fv, n, FV_CRASH_POWERLOSS, NULL);
        nq_options oo;
        nq_options_init(&oo);
        oo.vfs = vfs;
        oo.no_create = 1;
        nq_db *rdb;
        int orc = nq_open("r", &oo, &rdb);
        if (orc == 0) {
            check_model(rdb, model_at(&h, until), "after a crashed restore");
            OK(rdb, nq_close(rdb));
            opened++;
        } else {
            if (rc == 0)
                fail_msg("crash at %llu: a restore that returned success does not open",
                         (unsigned long long)n);
            nq_close(rdb);
        }
        faultvfs_free(fv);
    }
    assert_true(opened >= 1);
    faultvfs_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_pitr),
        cmocka_unit_test(test_until_time),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_archive_failure_keeps_log),
        cmocka_unit_test(test_crash_during_archiving),
        cmocka_unit_test(test_crash_during_pitr_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
