/*
 * test_powerloss.c — power loss at every point of a random workload, on the simulated disk.
 *
 * For each seed a random workload runs through the public API on a faultvfs: four trees,
 * autocommit puts and deletes, explicit transactions of a few to a few dozen operations (some
 * rolled back), values from empty to ~24 KB (overflow chains), sequences, explicit and
 * automatic checkpoints (checkpoint_pages 4..8), clean close/reopen, dropping and re-creating
 * a tree; page size 1024 or 4096, and a small cache on half the seeds so that big
 * transactions spill to the log before they commit. A model (tests/support/kvmodel) follows
 * every acknowledged commit.
 *
 * 1. A counting run (no crash) gives M, the number of mutating VFS calls of the workload, and
 *    the kind of each; it also checks the final state after a clean reopen.
 * 2. Crash points: every sync and directory sync of the run (a crash there finds everything
 *    written since the previous sync still volatile, so it is worth most), plus 40 others
 *    spread evenly over 1..M. For each, the workload runs again (same seed, so the same calls)
 *    with the VFS set to die at call N. Whatever the API answered until then is recorded: the
 *    state after the last acknowledged commit, and the state the transaction whose commit was
 *    under way would make (the "in-flight" one, if the crash came inside a commit).
 * 3. The dead disk is cloned and each clone gets its own power cut (faultvfs_crash: unsynced
 *    writes dropped, torn at 512 bytes, reordered; unsynced creates/removes lost): four at a
 *    sync point, two elsewhere, so one run yields several crash states. Some clones crash again
 *    during recovery ("double crash").
 * 4. The database is opened on each clone and must: open; pass nq_check; hold exactly the
 *    acknowledged state or the acknowledged state plus the whole in-flight transaction (never
 *    a part, never a rolled-back one, never anything missing); and hand out sequence values
 *    above every value a committed transaction used. Then it must take a new commit and
 *    survive a clean reopen.
 *
 * During the runs the test also checks what a live process sees: reads return the model's
 * values (inside transactions too, after spills), and a sequence value is never handed out
 * twice while the database is open (rolled-back values are skipped).
 *
 * Scale: NQ_CRASH_SCALE (default 1: 60 seeds) multiplies the number of seeds;
 * NQ_CRASH_FIRST_SEED moves the window. To replay one case:
 *   NQ_CRASH_SEED=s NQ_CRASH_POINT=n [NQ_CRASH_VARIANT=v] runs only it, verbosely;
 *   NQ_CRASH_SEED=s alone tries every call of that seed as a crash point;
 *   NQ_CRASH_TRACE=1 prints the workload's steps and sync points, NQ_CRASH_MODE=m forces a
 *   crash mode (FV_CRASH_* bits), NQ_CRASH_VARIANTS=k tries k crash states of the point, and
 *   NQ_CRASH_KEEP=1 writes each crashed disk image to the working directory.
 * Output: a line per failure with everything needed to replay it, then the summary
 * "powerloss: <points> crash points, <failures> failures".
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "crashkit.h"
#include "faultvfs.h"
#include "kvmodel.h"

#define NT 4        /* trees t0..t3; t3 is the one that gets dropped, so no sequences on it */
#define SEQ_TREES 3
#define MAXV 24000  /* largest value: ~24 overflow pages at 1024 */
#define DBPATH "p.db"

typedef struct params {
    uint32_t page_size, ckpt;
    size_t cache;
    int steps;
} params;

typedef struct wl {
    uint64_t seed;
    params pr;
    nq_rng rng;
    faultvfs *fv;
    nq_db *db;
    nq_tree *tr[NT];
    kvm *committed; /* after the last acknowledged commit */
    kvm *pending;   /* inside a transaction: what it has done so far */
    kvm *inflight;  /* when the crash came inside a commit: what that commit would make */
    uint64_t acked;
    uint64_t seq_open[NT]; /* highest value handed out since the database was opened */
    int dead;
    int failed;
    int verbose;
    char msg[1024];
    uint8_t *vbuf;
    size_t maxkey;
} wl;

static void wl_fail(wl *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wl_fail(wl *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    w->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof w->msg, fmt, ap);
    va_end(ap);
}

/* The outcome of one API call: 0 go on, 1 the process is dead (stop quietly), -1 failure. */
static int outcome(wl *w, int rc, int want, const char *what)
{
    if (rc == want)
        return 0;
    if (faultvfs_dead(w->fv)) {
        w->dead = 1;
        return 1;
    }
    wl_fail(w, "%s returned %d (%s), expected %d: %s", what, rc, nq_strerror(rc), want,
            w->db ? nq_errmsg(w->db) : "");
    return -1;
}

/* ---- random keys and values -------------------------------------------------------------- */
static size_t make_key(wl *w, uint8_t *k)
{
    uint32_t r = (uint32_t)nq_rng_below(&w->rng, 100);
    uint32_t num = (uint32_t)nq_rng_below(&w->rng, 80);
    if (r < 85)
        return (size_t)sprintf((char *)k, "k%03u", num);
    /* a long key, always the same for its number so that it gets revisited */
    size_t len = 20 + (num * 37u) % 180u;
    if (len > w->maxkey)
        len = w->maxkey;
    int n = sprintf((char *)k, "L%03u", num);
    memset(k + n, 'a' + (int)(num % 26), len - (size_t)n);
    return len;
}

/* A key of tree t: an existing one of the view with probability p_exist/100 when there is one. */
static size_t pick_key(wl *w, const kvm *view, int t, int p_exist, uint8_t *k)
{
    size_t n = kvm_count(view, t);
    if (n && (int)nq_rng_below(&w->rng, 100) < p_exist) {
        const void *kk, *v;
        size_t kl, vl;
        kvm_entry(view, t, (size_t)nq_rng_below(&w->rng, n), &kk, &kl, &v, &vl);
        memcpy(k, kk, kl);
        return kl;
    }
    return make_key(w, k);
}

static size_t make_value(wl *w, int big_bias)
{
    uint32_t r = (uint32_t)nq_rng_below(&w->rng, 100);
    size_t len;
    if (big_bias && r < 40)
        r = 95;
    if (r < 8)
        len = (size_t)nq_rng_below(&w->rng, 4);
    else if (r < 70)
        len = 4 + (size_t)nq_rng_below(&w->rng, 100);
    else if (r < 88)
        len = 100 + (size_t)nq_rng_below(&w->rng, 800);
    else
        len = 1000 + (size_t)nq_rng_below(&w->rng, MAXV - 1000);
    uint64_t x = nq_rng_next(&w->rng) | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w->vbuf[i] = (uint8_t)x;
    }
    return len;
}

static int pick_tree(wl *w, const kvm *view, int nt)
{
    int t = (int)nq_rng_below(&w->rng, (uint64_t)nt);
    for (int i = 0; i < nt; i++)
        if (kvm_tree_exists(view, (t + i) % nt) && w->tr[(t + i) % nt])
            return (t + i) % nt;
    return -1;
}

/* ---- opening and closing ------------------------------------------------------------------ */
static void wl_close_trees(wl *w)
{
    for (int t = 0; t < NT; t++) {
        nq_tree_close(w->tr[t]);
        w->tr[t] = NULL;
    }
}

static void wl_close(wl *w)
{
    wl_close_trees(w);
    if (w->db)
        nq_close(w->db); /* a dead process's close fails; the handle is freed all the same */
    w->db = NULL;
}

static void fill_options(const params *pr, faultvfs *fv, nq_options *o)
{
    nq_options_init(o);
    o->page_size = pr->page_size;
    o->checkpoint_pages = pr->ckpt;
    o->cache_bytes = pr->cache;
    o->vfs = faultvfs_vfs(fv);
}

static int wl_open(wl *w)
{
    nq_options o;
    fill_options(&w->pr, w->fv, &o);
    int rc = nq_open(DBPATH, &o, &w->db);
    if (rc) {
        if (faultvfs_dead(w->fv)) {
            w->dead = 1;
        } else {
            wl_fail(w, "nq_open: %s", w->db ? nq_errmsg(w->db) : nq_strerror(rc));
        }
        nq_close(w->db);
        w->db = NULL;
        return w->dead ? 1 : -1;
    }
    w->maxkey = nq_max_key(w->db);
    if (w->maxkey > 200)
        w->maxkey = 200;
    for (int t = 0; t < NT; t++) {
        w->seq_open[t] = kvm_seq_max(w->committed, t);
        if (kvm_tree_exists(w->committed, t)) {
            int r = outcome(w, nq_tree_open(w->db, crash_tree_name(t), 0, &w->tr[t]), 0,
                            "nq_tree_open");
            if (r)
                return r;
        }
    }
    return 0;
}

/* ---- autocommit operations ---------------------------------------------------------------- */
/* The caller has applied the operation to w->pending (a clone of committed) and made the call. */
static int ac_end(wl *w, int rc, int want, const char *what)
{
    if (rc == want) {
        if (rc == 0) {
            kvm_free(w->committed);
            w->committed = w->pending;
            w->acked++;
        } else {
            kvm_free(w->pending);
        }
        w->pending = NULL;
        return 0;
    }
    if (faultvfs_dead(w->fv)) {
        w->inflight = w->pending;
        w->pending = NULL;
        w->dead = 1;
        return 1;
    }
    kvm_free(w->pending);
    w->pending = NULL;
    return outcome(w, rc, want, what);
}

static int check_seq(wl *w, int t, uint64_t v)
{
    if (v <= w->seq_open[t]) {
        wl_fail(w, "nq_seq_next(t%d) handed out %" PRIu64 " after %" PRIu64
                   " while the database was open",
                t, v, w->seq_open[t]);
        return -1;
    }
    w->seq_open[t] = v;
    return 0;
}

/* One operation, in the open explicit transaction (intxn) or as its own autocommit one. */
static int one_op(wl *w, int intxn, int big)
{
    uint8_t key[256];
    const kvm *view = intxn ? w->pending : w->committed;
    uint32_t r = (uint32_t)nq_rng_below(&w->rng, 100);
    if (big && r >= 10)
        r = 0; /* big transactions are mostly puts of big values */

    if (r < 62) { /* put */
        int t = pick_tree(w, view, NT);
        if (t < 0)
            return 0;
        size_t kl = pick_key(w, view, t, 30, key);
        size_t vl = make_value(w, big);
        int flags = nq_rng_below(&w->rng, 10) == 0 ? NQ_PUT_NOOVERWRITE : 0;
        const void *ov;
        size_t ovl;
        int want = (flags && kvm_get(view, t, key, kl, &ov, &ovl)) ? NQ_EEXIST : 0;
        if (!intxn)
            w->pending = kvm_clone(w->committed);
        if (want == 0)
            kvm_put(w->pending, t, key, kl, w->vbuf, vl);
        int rc = nq_put(w->tr[t], key, kl, w->vbuf, vl, flags);
        if (w->verbose > 1)
            printf("  put t%d %.*s (%zu bytes)%s -> %d, dead %d\n", t, (int)(kl > 12 ? 12 : kl),
                   (const char *)key, vl, intxn ? " in txn" : "", rc, faultvfs_dead(w->fv));
        return intxn ? outcome(w, rc, want, "nq_put") : ac_end(w, rc, want, "nq_put");
    }
    if (r < 78) { /* delete */
        int t = pick_tree(w, view, NT);
        if (t < 0)
            return 0;
        size_t kl = pick_key(w, view, t, 80, key);
        const void *ov;
        size_t ovl;
        int want = kvm_get(view, t, key, kl, &ov, &ovl) ? 0 : NQ_ENOTFOUND;
        if (!intxn)
            w->pending = kvm_clone(w->committed);
        kvm_del(w->pending, t, key, kl);
        int rc = nq_del(w->tr[t], key, kl);
        if (w->verbose > 1)
            printf("  del t%d %.*s%s -> %d, dead %d\n", t, (int)(kl > 12 ? 12 : kl),
                   (const char *)key, intxn ? " in txn" : "", rc, faultvfs_dead(w->fv));
        return intxn ? outcome(w, rc, want, "nq_del") : ac_end(w, rc, want, "nq_del");
    }
    if (r < 88) { /* sequence: in a transaction, leave a key that proves the value committed */
        int t = pick_tree(w, view, SEQ_TREES);
        if (t < 0)
            return 0;
        uint64_t v = 0;
        if (!intxn)
            w->pending = kvm_clone(w->committed);
        int rc = nq_seq_next(w->tr[t], &v);
        if (w->verbose > 1)
            printf("  seq t%d -> %" PRIu64 " rc %d%s\n", t, v, rc, intxn ? " (in txn)" : "");
        if (rc == 0) {
            kvm_seq_note(w->pending, t, v);
            if (check_seq(w, t, v))
                return -1;
        }
        if (!intxn)
            return ac_end(w, rc, 0, "nq_seq_next");
        int o = outcome(w, rc, 0, "nq_seq_next");
        if (o)
            return o;
        int kl = sprintf((char *)key, "s%020" PRIu64, v);
        kvm_put(w->pending, t, key, (size_t)kl, &v, sizeof v);
        return outcome(w, nq_put(w->tr[t], key, (size_t)kl, &v, sizeof v, NQ_PUT_NOOVERWRITE), 0,
                       "nq_put(seq key)");
    }
    /* get: what a live process reads must be the model's value */
    int t = pick_tree(w, view, NT);
    if (t < 0)
        return 0;
    size_t kl = pick_key(w, view, t, 70, key);
    const void *mv;
    size_t mvl;
    int present = kvm_get(view, t, key, kl, &mv, &mvl);
    void *v = NULL;
    size_t vl = 0;
    int rc = nq_get(w->tr[t], key, kl, &v, &vl);
    int o = outcome(w, rc, present ? 0 : NQ_ENOTFOUND, "nq_get");
    if (o == 0 && present && (vl != mvl || memcmp(v, mv, vl) != 0)) {
        wl_fail(w, "nq_get(t%d, %.*s) returned %zu bytes that differ from the %zu written", t,
                (int)(kl > 30 ? 30 : kl), (const char *)key, vl, mvl);
        o = -1;
    }
    free(v);
    return o;
}

static int explicit_txn(wl *w, int nops, int big, int rollback)
{
    int o = outcome(w, nq_begin(w->db, NQ_TXN_WRITE), 0, "nq_begin");
    if (o)
        return o;
    w->pending = kvm_clone(w->committed);
    for (int i = 0; i < nops && !o; i++)
        o = one_op(w, 1, big);
    if (!o && nq_rng_below(&w->rng, 8) == 0) {
        /* read the whole database inside the transaction: own writes, spilled pages */
        kvm *snap = NULL;
        char why[256] = "";
        int rc = crash_db_snapshot(w->db, NT, &snap, why, sizeof why);
        o = outcome(w, rc, 0, "snapshot in transaction");
        if (!o && !kvm_equal(snap, w->pending, why, sizeof why)) {
            wl_fail(w, "inside a transaction the database differs from its own writes: %s", why);
            o = -1;
        }
        kvm_free(snap);
    }
    if (o) {
        kvm_free(w->pending);
        w->pending = NULL;
        return o;
    }
    if (rollback) {
        kvm_free(w->pending);
        w->pending = NULL;
        return outcome(w, nq_rollback(w->db), 0, "nq_rollback");
    }
    int rc = nq_commit(w->db);
    if (rc == 0) {
        kvm_free(w->committed);
        w->committed = w->pending;
        w->pending = NULL;
        w->acked++;
        return 0;
    }
    if (faultvfs_dead(w->fv)) {
        w->inflight = w->pending;
        w->pending = NULL;
        w->dead = 1;
        return 1;
    }
    kvm_free(w->pending);
    w->pending = NULL;
    return outcome(w, rc, 0, "nq_commit");
}

static int create_tree(wl *w, int t)
{
    w->pending = kvm_clone(w->committed);
    kvm_tree_create(w->pending, t);
    return ac_end(w, nq_tree_open(w->db, crash_tree_name(t), NQ_TREE_CREATE, &w->tr[t]), 0,
                  "nq_tree_open(create)");
}

static int compare_now(wl *w, const char *when)
{
    kvm *snap = NULL;
    char why[256] = "";
    int rc = crash_db_snapshot(w->db, NT, &snap, why, sizeof why);
    int o = outcome(w, rc, 0, "snapshot");
    if (!o && !kvm_equal(snap, w->committed, why, sizeof why)) {
        wl_fail(w, "%s: the database differs from the acknowledged state: %s", when, why);
        o = -1;
    }
    kvm_free(snap);
    return o;
}

/* The workload. Returns 0 when it ran to the end, 1 when the crash point stopped it, -1 on a
 * failure (w->msg). */
static int run_workload(wl *w)
{
    nq_rng_seed(&w->rng, w->seed);
    int o = wl_open(w);
    for (int t = 0; t < NT && !o; t++)
        o = create_tree(w, t);
    for (int step = 0; step < w->pr.steps && !o; step++) {
        uint32_t r = (uint32_t)nq_rng_below(&w->rng, 100);
        if (w->verbose > 1) {
            faultvfs_counts c;
            faultvfs_get_counts(w->fv, &c);
            printf(" step %d: r=%u, %" PRIu64 " calls so far, %" PRIu64 " acked\n", step, r,
                   c.mutating, w->acked);
        }
        if (r < 34) {
            o = one_op(w, 0, 0);
        } else if (r < 62) {
            int n = 2 + (int)nq_rng_below(&w->rng, 7);
            o = explicit_txn(w, n, 0, nq_rng_below(&w->rng, 8) == 0);
        } else if (r < 67) {
            int n = 8 + (int)nq_rng_below(&w->rng, 24);
            o = explicit_txn(w, n, 1, nq_rng_below(&w->rng, 5) == 0);
        } else if (r < 77) {
            o = one_op(w, 0, 1);
        } else if (r < 85) {
            o = outcome(w, nq_checkpoint(w->db), 0, "nq_checkpoint");
        } else if (r < 89) {
            wl_close_trees(w);
            int rc = nq_close(w->db);
            w->db = NULL;
            o = outcome(w, rc, 0, "nq_close");
            if (!o)
                o = wl_open(w);
            if (!o)
                o = compare_now(w, "after a clean reopen");
        } else if (r < 92) {
            o = compare_now(w, "during the workload");
        } else if (r < 94) {
            /* drop and re-create t3: frees many pages at once */
            nq_tree_close(w->tr[3]);
            w->tr[3] = NULL;
            w->pending = kvm_clone(w->committed);
            kvm_tree_drop(w->pending, 3);
            o = ac_end(w, nq_tree_drop(w->db, crash_tree_name(3)), 0, "nq_tree_drop");
            if (!o)
                o = create_tree(w, 3);
        } else {
            o = one_op(w, 0, 0);
        }
    }
    return o;
}

static void wl_init(wl *w, uint64_t seed, const params *pr, faultvfs *fv)
{
    memset(w, 0, sizeof *w);
    w->seed = seed;
    w->pr = *pr;
    w->fv = fv;
    w->committed = kvm_new(NT);
    w->vbuf = malloc(MAXV);
    w->maxkey = 200;
}

static void wl_done(wl *w)
{
    wl_close(w);
    kvm_free(w->committed);
    kvm_free(w->pending);
    kvm_free(w->inflight);
    free(w->vbuf);
}

/* ---- checking a recovered database --------------------------------------------------------- */
typedef struct verdict {
    int ok;
    int matched_inflight;
    char msg[1024];
} verdict;

static void vfail(verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vfail(verdict *v, const char *fmt, ...)
{
    if (!v->ok)
        return;
    v->ok = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
}

/* Open the database on fv and hold it to the invariants; w gives the expected states. */
static void verify(const wl *w, faultvfs *fv, int post_write, verdict *v)
{
    v->ok = 1;
    v->matched_inflight = 0;
    nq_options o;
    fill_options(&w->pr, fv, &o);
    nq_db *db = NULL;
    int rc = nq_open(DBPATH, &o, &db);
    if (rc) {
        vfail(v, "does not open: %s (%s)", nq_strerror(rc), db ? nq_errmsg(db) : "");
        nq_close(db);
        return;
    }
    char buf[768];
    uint64_t problems = 0;
    rc = crash_db_check(db, buf, sizeof buf, &problems);
    if (rc) {
        vfail(v, "nq_check: %" PRIu64 " problems: %s", problems, buf);
        nq_close(db);
        return;
    }
    kvm *snap = NULL;
    rc = crash_db_snapshot(db, NT, &snap, buf, sizeof buf);
    if (rc) {
        vfail(v, "reading it back: %s", buf);
        nq_close(db);
        return;
    }
    char why1[256] = "", why2[256] = "";
    const kvm *matched = NULL;
    if (kvm_equal(snap, w->committed, why1, sizeof why1)) {
        matched = w->committed;
    } else if (w->inflight && kvm_equal(snap, w->inflight, why2, sizeof why2)) {
        matched = w->inflight;
        v->matched_inflight = 1;
    } else {
        vfail(v, "content is neither the %" PRIu64 " acknowledged commits (%s)%s%s%s", w->acked,
              why1, w->inflight ? " nor those plus the in-flight one (" : "",
              w->inflight ? why2 : "", w->inflight ? ")" : "");
    }
    kvm_free(snap);
    /* sequences: above every value a committed transaction used */
    for (int t = 0; t < SEQ_TREES && v->ok; t++) {
        if (!kvm_tree_exists(matched, t))
            continue;
        nq_tree *tr = NULL;
        uint64_t s = 0;
        if ((rc = nq_tree_open(db, crash_tree_name(t), 0, &tr)) == 0)
            rc = nq_seq_next(tr, &s);
        if (rc)
            vfail(v, "after recovery nq_seq_next(t%d): %s", t, nq_errmsg(db));
        else if (s <= kvm_seq_max(matched, t))
            vfail(v, "after recovery nq_seq_next(t%d) = %" PRIu64 ", but a committed transaction "
                     "used %" PRIu64,
                  t, s, kvm_seq_max(matched, t));
        nq_tree_close(tr);
    }
    /* the recovered database takes new commits and keeps them */
    if (v->ok && post_write) {
        nq_tree *tr = NULL;
        rc = nq_tree_open(db, "post", NQ_TREE_CREATE, &tr);
        if (!rc)
            rc = nq_put(tr, "after", 5, "recovery", 8, 0);
        nq_tree_close(tr);
        if (rc)
            vfail(v, "a commit after recovery failed: %s", nq_errmsg(db));
        rc = nq_close(db);
        db = NULL;
        if (v->ok && rc)
            vfail(v, "close after recovery: %s", nq_strerror(rc));
        if (v->ok && (rc = nq_open(DBPATH, &o, &db)) != 0)
            vfail(v, "second reopen: %s", db ? nq_errmsg(db) : nq_strerror(rc));
        void *val = NULL;
        size_t vl = 0;
        if (v->ok) {
            tr = NULL;
            if ((rc = nq_tree_open(db, "post", 0, &tr)) == 0)
                rc = nq_get(tr, "after", 5, &val, &vl);
            if (rc || vl != 8 || memcmp(val, "recovery", 8) != 0)
                vfail(v, "the commit after recovery is gone after a clean reopen (%s)",
                      nq_strerror(rc));
            nq_tree_close(tr);
            free(val);
        }
        if (v->ok && crash_db_check(db, buf, sizeof buf, &problems))
            vfail(v, "nq_check after the commit after recovery: %s", buf);
    }
    nq_close(db);
}

/* ---- driver -------------------------------------------------------------------------------- */
static void params_for(uint64_t seed, params *pr)
{
    pr->page_size = seed % 2 ? 1024 : 4096;
    pr->ckpt = seed % 3 == 0 ? 4 : 8;
    pr->cache = seed % 4 < 2 ? (size_t)64 * pr->page_size : 0; /* 64 pages: spills early */
    pr->steps = 30 + (int)(seed % 5) * 6;
}

typedef struct totals {
    uint64_t points, runs, failures, inflight_present, inflight_absent, double_crashes;
    uint64_t calls, rewrites; /* over the counting runs */
} totals;

static const int variant_modes[] = {
    FV_CRASH_POWERLOSS,
    FV_CRASH_PROCESS,
    FV_CRASH_DROP | FV_CRASH_DIR,
    FV_CRASH_TEAR | FV_CRASH_DROP,
    FV_CRASH_REORDER | FV_CRASH_TEAR,
};

/* Run seed to crash point n and check `variants` crash states of it (or only `only_variant`).
 * Variant 0 is a full power loss, 1 a random mix of liberties (sometimes with a second crash
 * during recovery), 2 keeps every write but reorders them (old bytes may land over new), 3
 * drops and tears in issue order. */
static void crash_case(uint64_t seed, uint64_t n, int variants, int only_variant, int verbose,
                       totals *tot)
{
    params pr;
    params_for(seed, &pr);
    faultvfs *fv = faultvfs_new(seed);
    wl w;
    wl_init(&w, seed, &pr, fv);
    w.verbose = verbose ? 1 + (int)crash_env_u64("NQ_CRASH_TRACE", 0) : 0;
    faultvfs_crash_at(fv, n);
    int o = run_workload(&w);
    tot->runs++;
    if (o < 0) {
        tot->failures++;
        printf("FAIL seed=%" PRIu64 " point=%" PRIu64 " (during the run, %" PRIu64
               " commits acknowledged): %s\n",
               seed, n, w.acked, w.msg);
        wl_done(&w);
        faultvfs_free(fv);
        return;
    }
    wl_close(&w);
    if (!faultvfs_dead(fv)) {
        /* the workload ended before call n: nothing to crash here */
        wl_done(&w);
        faultvfs_free(fv);
        return;
    }
    for (int var = 0; var < (only_variant >= 0 ? only_variant + 1 : variants); var++) {
        if (only_variant >= 0 && var != only_variant)
            continue;
        nq_rng vr;
        nq_rng_seed(&vr, seed * 1000003u + n * 31u + (uint64_t)var);
        uint64_t crash_seed = nq_rng_next(&vr);
        int mode = var == 0   ? FV_CRASH_POWERLOSS
                   : var == 2 ? FV_CRASH_REORDER | FV_CRASH_DIR
                   : var == 3 ? FV_CRASH_DROP | FV_CRASH_TEAR
                              : variant_modes[nq_rng_below(&vr, sizeof variant_modes /
                                                                    sizeof *variant_modes)];
        if (crash_env_set("NQ_CRASH_MODE")) /* debugging: force one crash mode */
            mode = (int)crash_env_u64("NQ_CRASH_MODE", 0);
        faultvfs *c = faultvfs_clone(fv, crash_seed);
        faultvfs_crash(c, crash_seed, mode, NULL);
        /* double crash: die again during recovery, after a few of its writes */
        uint64_t second = var == 1 && nq_rng_below(&vr, 2) ? 1 + nq_rng_below(&vr, 6) : 0;
        if (second) {
            nq_options o2;
            fill_options(&pr, c, &o2);
            faultvfs_crash_at(c, second);
            nq_db *db = NULL;
            nq_open(DBPATH, &o2, &db);
            nq_close(db);
            if (faultvfs_dead(c)) {
                tot->double_crashes++;
                faultvfs_crash(c, crash_seed ^ 0x5bd1e995u, FV_CRASH_POWERLOSS, NULL);
            }
            faultvfs_disarm(c);
        }
        if (verbose && crash_env_set("NQ_CRASH_KEEP")) {
            /* debugging: leave the crashed files in the working directory */
            const char *names[8];
            size_t nf = faultvfs_list(c, names, 8);
            for (size_t i = 0; i < nf && i < 8; i++) {
                uint8_t *d;
                size_t len;
                char out[64];
                snprintf(out, sizeof out, "crashed-v%d-%s", var, names[i]);
                FILE *f = fopen(out, "wb");
                if (f && faultvfs_read_file(c, names[i], &d, &len) == 0) {
                    fwrite(d, 1, len, f);
                    free(d);
                }
                if (f)
                    fclose(f);
            }
        }
        verdict v;
        verify(&w, c, (n + (uint64_t)var) % 4 == 0, &v);
        tot->points++;
        if (w.inflight)
            v.matched_inflight ? tot->inflight_present++ : tot->inflight_absent++;
        if (!v.ok) {
            tot->failures++;
            printf("FAIL seed=%" PRIu64 " point=%" PRIu64 " variant=%d (mode 0x%x, crash seed "
                   "%" PRIu64 "%s; page %u, ckpt %u, cache %zu; %" PRIu64
                   " commits acknowledged%s): %s\n",
                   seed, n, var, mode, crash_seed, second ? ", double crash" : "", pr.page_size,
                   pr.ckpt, pr.cache, w.acked, w.inflight ? ", one in flight" : "", v.msg);
            fflush(stdout);
        } else if (verbose) {
            printf("ok seed=%" PRIu64 " point=%" PRIu64 " variant=%d mode=0x%x acked=%" PRIu64
                   " inflight=%s\n",
                   seed, n, var, mode, w.acked,
                   w.inflight ? (v.matched_inflight ? "present" : "absent") : "none");
        }
        faultvfs_free(c);
    }
    wl_done(&w);
    faultvfs_free(fv);
}

/* The run without a crash: counts the mutating calls and checks the end state. *syncs (may
 * be NULL; caller frees) receives the numbers of the calls that are syncs (file or directory). */
static uint64_t count_run(uint64_t seed, totals *tot, uint64_t **syncs, size_t *nsyncs)
{
    params pr;
    params_for(seed, &pr);
    faultvfs *fv = faultvfs_new(seed);
    wl w;
    wl_init(&w, seed, &pr, fv);
    int o = run_workload(&w);
    uint64_t m = 0;
    if (o == 0) {
        wl_close(&w);
        faultvfs_counts c;
        faultvfs_get_counts(fv, &c);
        m = c.mutating;
        if (syncs) {
            const uint8_t *kinds;
            size_t nk = faultvfs_call_log(fv, &kinds);
            *syncs = malloc((nk ? nk : 1) * sizeof **syncs);
            *nsyncs = 0;
            for (size_t i = 0; i < nk; i++)
                if (kinds[i] == FV_CALL_SYNC || kinds[i] == FV_CALL_SYNC_DIR)
                    (*syncs)[(*nsyncs)++] = i + 1;
        }
        tot->calls += c.mutating;
        tot->rewrites += c.rewrites;
        verdict v;
        verify(&w, fv, 0, &v);
        if (!v.ok) {
            tot->failures++;
            printf("FAIL seed=%" PRIu64 " (no crash): %s\n", seed, v.msg);
        }
    } else {
        tot->failures++;
        printf("FAIL seed=%" PRIu64 " (no crash, during the run): %s\n", seed, w.msg);
    }
    wl_done(&w);
    faultvfs_free(fv);
    return m;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    totals tot = {0};
    double t0 = crash_now();

    if (crash_env_set("NQ_CRASH_SEED")) {
        uint64_t seed = crash_env_u64("NQ_CRASH_SEED", 0);
        uint64_t *syncs = NULL;
        size_t nsyncs = 0;
        uint64_t m = count_run(seed, &tot, &syncs, &nsyncs);
        if (crash_env_set("NQ_CRASH_TRACE")) {
            printf("syncs at calls:");
            for (size_t i = 0; i < nsyncs; i++)
                printf(" %" PRIu64, syncs[i]);
            printf("\n");
        }
        free(syncs);
        printf("seed %" PRIu64 ": %" PRIu64 " mutating calls, %" PRIu64
               " rewrites of unsynced data\n", seed, m, tot.rewrites);
        if (crash_env_set("NQ_CRASH_POINT"))
            crash_case(seed, crash_env_u64("NQ_CRASH_POINT", 1),
                       (int)crash_env_u64("NQ_CRASH_VARIANTS", 4),
                       (int)crash_env_u64("NQ_CRASH_VARIANT", (uint64_t)-1), 1, &tot);
        else
            for (uint64_t n = 1; n <= m; n++)
                crash_case(seed, n, 4, -1, 0, &tot);
        printf("powerloss: %" PRIu64 " crash points, %" PRIu64 " failures\n", tot.points,
               tot.failures);
        return tot.failures ? 1 : 0;
    }

    /* Each seed: every sync (where the most is volatile) with four crash states, and an even
     * spread of the other calls with two. */
    uint64_t seeds = crash_scaled(60, 1);
    uint64_t others = 40;
    uint64_t first = crash_env_u64("NQ_CRASH_FIRST_SEED", 1);
    for (uint64_t seed = first; seed < first + seeds; seed++) {
        uint64_t *syncs = NULL;
        size_t nsyncs = 0;
        uint64_t m = count_run(seed, &tot, &syncs, &nsyncs);
        for (size_t i = 0; i < nsyncs; i++)
            crash_case(seed, syncs[i], 4, -1, 0, &tot);
        free(syncs);
        if (!m)
            continue;
        nq_rng pr;
        nq_rng_seed(&pr, seed ^ 0x9e3779b97f4a7c15ull);
        uint64_t k = m < others ? m : others;
        for (uint64_t i = 0; i < k; i++) {
            uint64_t n = k == m ? i + 1 : 1 + i * m / k + nq_rng_below(&pr, m / k ? m / k : 1);
            crash_case(seed, n, 2, -1, 0, &tot);
        }
        if (tot.failures > 50)
            break;
    }
    printf("powerloss: %" PRIu64 " crash points (%" PRIu64 " seeds, %" PRIu64 " runs, %" PRIu64
           " double crashes; in-flight commit present %" PRIu64 ", absent %" PRIu64
           "; %" PRIu64 " rewrites of unsynced data in %" PRIu64 " mutating calls), %" PRIu64
           " failures, %.1f s\n",
           tot.points, seeds, tot.runs, tot.double_crashes, tot.inflight_present,
           tot.inflight_absent, tot.rewrites, tot.calls, tot.failures, crash_now() - t0);
    return tot.failures ? 1 : 0;
}
