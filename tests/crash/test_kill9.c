/*
 * test_kill9.c — a real process, a real file, the default (POSIX) VFS, and SIGKILL at a random
 * moment; the parent then recovers the database and holds it to the durability invariants.
 *
 * The workload is a numbered sequence of transactions whose contents are a pure function of
 * their number i (txn_plan): each writes "txn" = i into t0 and a few puts and deletes of keys
 * derived from i into t0..t2, and takes a value of t3's sequence, stored under key i in t3.
 * Some transactions are preceded by a rolled-back one whose keys must never appear. So
 * state(k) — the contents after transactions 1..k — is computable in the parent without
 * knowing anything but k, and the database says which k it holds (key "txn").
 *
 * The child opens the database, reports the k it found, then runs transactions k+1, k+2, ...
 * writing one record to a pipe after each nq_commit returns (the acknowledgement), with the
 * sequence value the transaction used. The parent reads the pipe while it waits a seeded
 * random 0-50 ms, kills the child with SIGKILL, drains the pipe, and checks:
 *   - the database opens and nq_check is clean;
 *   - its k is the last acknowledged one or the one after (the commit in flight), never less;
 *   - its contents are exactly state(k) (no partial transaction, nothing rolled back);
 *   - t3 holds one sequence value per transaction, strictly increasing, equal to what the
 *     child was told for every acknowledged one, and nq_seq_next now gives a larger one.
 * The same database lives on across kills (so recovery of a recovered database is tested);
 * every 25 kills it is deleted, so kills also land while a database is being created.
 *
 * A kill -9 loses no page-cache data, so this test cannot see a missing fsync (that is
 * test_powerloss's job); it sees everything else a real crash does: half-done calls, a log
 * left behind, locks held by a dead process, recovery on real files.
 *
 * Scale: 200 kills times NQ_CRASH_SCALE. NQ_KILL9_SEED picks the random timing.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/rand.h"
#include "crashkit.h"
#include "kvmodel.h"

#define DB "k.db"
#define DBWAL "k.db-wal"
#define NT 4
#define SEQT 3
#define MAXOPS 12
#define MAXV 20000

/* ---- the deterministic workload ------------------------------------------------------------ */
typedef struct kop {
    int t, del;
    char key[24];
    size_t kl, vl;
    uint64_t vseed;
} kop;

static int txn_plan(uint64_t i, kop *ops)
{
    nq_rng r;
    nq_rng_seed(&r, i * 0x9e3779b97f4a7c15ull + 12345);
    int n = 0;
    ops[n++] = (kop){.t = 0, .kl = 3, .vl = 8, .vseed = i};
    memcpy(ops[0].key, "txn", 3);
    int extra = 1 + (int)nq_rng_below(&r, 6);
    for (int j = 0; j < extra; j++) {
        kop *o = &ops[n++];
        memset(o, 0, sizeof *o);
        o->t = (int)nq_rng_below(&r, 3);
        o->del = nq_rng_below(&r, 4) == 0;
        o->kl = (size_t)sprintf(o->key, "k%03u", (unsigned)nq_rng_below(&r, 150));
        o->vl = nq_rng_below(&r, 100) < 85 ? 1 + (size_t)nq_rng_below(&r, 200)
                                           : 2000 + (size_t)nq_rng_below(&r, MAXV - 2000);
        o->vseed = nq_rng_next(&r);
    }
    return n;
}

static void fill_val(const kop *o, uint64_t i, uint8_t *buf)
{
    if (o->kl == 3 && memcmp(o->key, "txn", 3) == 0) {
        memcpy(buf, &i, 8);
        return;
    }
    uint64_t x = o->vseed | 1;
    for (size_t j = 0; j < o->vl; j++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[j] = (uint8_t)x;
    }
}

/* state(i) from state(i-1); t3 (sequences) is checked apart */
static void model_apply(kvm *m, uint64_t i)
{
    static uint8_t buf[MAXV];
    kop ops[MAXOPS];
    int n = txn_plan(i, ops);
    for (int j = 0; j < n; j++) {
        if (ops[j].del) {
            kvm_del(m, ops[j].t, ops[j].key, ops[j].kl);
        } else {
            fill_val(&ops[j], i, buf);
            kvm_put(m, ops[j].t, ops[j].key, ops[j].kl, buf, ops[j].vl);
        }
    }
}

static void key_of(uint64_t i, uint8_t k[8])
{
    for (int b = 0; b < 8; b++)
        k[b] = (uint8_t)(i >> (56 - 8 * b)); /* big-endian: sorts by i */
}

/* ---- the child ------------------------------------------------------------------------------- */
enum { REC_START = 1, REC_ACK, REC_ERR };

typedef struct rec {
    uint32_t type;
    int32_t code;
    uint64_t i, seq;
    char msg[232];
} rec; /* 256 bytes: below PIPE_BUF, so each write arrives whole */

static void send_rec(int fd, uint32_t type, int code, uint64_t i, uint64_t seq, const char *msg)
{
    rec r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.code = code;
    r.i = i;
    r.seq = seq;
    if (msg)
        snprintf(r.msg, sizeof r.msg, "%s", msg);
    ssize_t w;
    do
        w = write(fd, &r, sizeof r);
    while (w < 0 && errno == EINTR);
}

static void child_fail(int fd, nq_db *db, int rc, const char *what)
{
    char m[200];
    snprintf(m, sizeof m, "%s: %s", what, db ? nq_errmsg(db) : nq_strerror(rc));
    send_rec(fd, REC_ERR, rc, 0, 0, m);
    _exit(3);
}

static int run_txn(nq_db *db, nq_tree **tr, uint64_t i, uint64_t *seq)
{
    static uint8_t buf[MAXV];
    kop ops[MAXOPS];
    int n = txn_plan(i, ops);
    int rc = nq_begin(db, NQ_TXN_WRITE);
    if (rc)
        return rc;
    for (int j = 0; j < n && !rc; j++) {
        if (ops[j].del) {
            rc = nq_del(tr[ops[j].t], ops[j].key, ops[j].kl);
            if (rc == NQ_ENOTFOUND)
                rc = 0;
        } else {
            fill_val(&ops[j], i, buf);
            rc = nq_put(tr[ops[j].t], ops[j].key, ops[j].kl, buf, ops[j].vl, 0);
        }
    }
    uint8_t k[8];
    key_of(i, k);
    if (!rc)
        rc = nq_seq_next(tr[SEQT], seq);
    if (!rc)
        rc = nq_put(tr[SEQT], k, 8, seq, 8, NQ_PUT_NOOVERWRITE);
    if (rc) {
        nq_rollback(db);
        return rc;
    }
    return nq_commit(db);
}

/* A transaction that is rolled back: none of its keys ("rb...") may ever be seen. */
static int run_rolled_back(nq_db *db, nq_tree **tr, uint64_t i)
{
    int rc = nq_begin(db, NQ_TXN_WRITE);
    if (rc)
        return rc;
    uint8_t big[6000];
    memset(big, 0xee, sizeof big);
    for (int t = 0; t < 3 && !rc; t++) {
        char key[24];
        int kl = sprintf(key, "rb%" PRIu64, i);
        rc = nq_put(tr[t], key, (size_t)kl, big, t == 1 ? sizeof big : 10, 0);
    }
    uint64_t s;
    if (!rc)
        rc = nq_seq_next(tr[SEQT], &s);
    int r2 = nq_rollback(db);
    return rc ? rc : r2;
}

static void child_main(int fd, uint32_t ps, uint32_t ckpt)
{
    nq_options o;
    nq_options_init(&o);
    o.page_size = ps;
    o.checkpoint_pages = ckpt;
    nq_db *db = NULL;
    int rc = nq_open(DB, &o, &db);
    if (rc)
        child_fail(fd, db, rc, "nq_open");
    nq_tree *tr[NT] = {0};
    /* the trees and "txn" = 0 come into being in one transaction */
    rc = nq_tree_open(db, crash_tree_name(0), 0, &tr[0]);
    if (rc == NQ_ENOTFOUND) {
        rc = nq_begin(db, NQ_TXN_WRITE);
        for (int t = 0; t < NT && !rc; t++)
            rc = nq_tree_open(db, crash_tree_name(t), NQ_TREE_CREATE, &tr[t]);
        uint64_t zero = 0;
        if (!rc)
            rc = nq_put(tr[0], "txn", 3, &zero, 8, 0);
        if (!rc)
            rc = nq_commit(db);
        if (rc)
            child_fail(fd, db, rc, "creating the trees");
    } else if (rc) {
        child_fail(fd, db, rc, "nq_tree_open(t0)");
    } else {
        for (int t = 1; t < NT && !rc; t++)
            rc = nq_tree_open(db, crash_tree_name(t), 0, &tr[t]);
        if (rc)
            child_fail(fd, db, rc, "nq_tree_open");
    }
    void *v = NULL;
    size_t vl = 0;
    rc = nq_get(tr[0], "txn", 3, &v, &vl);
    if (rc || vl != 8)
        child_fail(fd, db, rc, "reading txn");
    uint64_t k;
    memcpy(&k, v, 8);
    free(v);
    send_rec(fd, REC_START, 0, k, 0, NULL);
    for (uint64_t i = k + 1;; i++) {
        if (i % 7 == 3 && (rc = run_rolled_back(db, tr, i)))
            child_fail(fd, db, rc, "rolled-back transaction");
        uint64_t seq = 0;
        if ((rc = run_txn(db, tr, i, &seq)))
            child_fail(fd, db, rc, "transaction");
        send_rec(fd, REC_ACK, 0, i, seq, NULL);
        if (i % 13 == 0 && (rc = nq_checkpoint(db)))
            child_fail(fd, db, rc, "nq_checkpoint");
    }
}

/* ---- the parent ------------------------------------------------------------------------------ */
typedef struct life {
    kvm *model;      /* state(k) for t0..t2 (t3 kept empty) */
    int64_t k;       /* -1: no database (or no trees) yet */
    uint64_t *seqs;  /* seqs[i] = sequence value of transaction i, 0 if unknown */
    size_t nseqs;
    uint64_t seq_max;
    uint32_t ps, ckpt;
} life;

static void life_reset(life *L, uint32_t ps, uint32_t ckpt)
{
    kvm_free(L->model);
    L->model = kvm_new(NT);
    for (int t = 0; t < NT; t++)
        kvm_tree_create(L->model, t);
    uint64_t zero = 0;
    kvm_put(L->model, 0, "txn", 3, &zero, 8);
    L->k = -1;
    free(L->seqs);
    L->seqs = NULL;
    L->nseqs = 0;
    L->seq_max = 0;
    L->ps = ps;
    L->ckpt = ckpt;
    unlink(DB);
    unlink(DBWAL);
}

static void note_seq(life *L, uint64_t i, uint64_t s)
{
    if (i >= L->nseqs) {
        size_t n = L->nseqs ? L->nseqs : 64;
        while (n <= i)
            n *= 2;
        L->seqs = realloc(L->seqs, n * sizeof *L->seqs);
        memset(L->seqs + L->nseqs, 0, (n - L->nseqs) * sizeof *L->seqs);
        L->nseqs = n;
    }
    L->seqs[i] = s;
}

typedef struct result {
    int got_start, got_err;
    uint64_t start, last_ack, acks;
    char err[256];
} result;

static void take_rec(const rec *r, life *L, result *res)
{
    if (r->type == REC_START) {
        res->got_start = 1;
        res->start = r->i;
        res->last_ack = r->i;
    } else if (r->type == REC_ACK) {
        res->last_ack = r->i;
        res->acks++;
        note_seq(L, r->i, r->seq);
        if (r->seq > L->seq_max)
            L->seq_max = r->seq;
    } else if (r->type == REC_ERR && !res->got_err) {
        res->got_err = 1;
        snprintf(res->err, sizeof res->err, "code %d: %s", r->code, r->msg);
    }
}

/* Read whole records until the deadline (ms from now; -1 = until end of file). */
static void drain(int fd, int deadline_ms, life *L, result *res, uint8_t *pend, size_t *npend)
{
    double end = crash_now() + deadline_ms / 1000.0;
    for (;;) {
        int wait = -1;
        if (deadline_ms >= 0) {
            double left = end - crash_now();
            if (left <= 0)
                return;
            wait = (int)(left * 1000) + 1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, wait);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return;
        ssize_t n = read(fd, pend + *npend, sizeof(rec) - *npend);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* end of file: the child is gone */
        *npend += (size_t)n;
        if (*npend == sizeof(rec)) {
            rec r;
            memcpy(&r, pend, sizeof r);
            take_rec(&r, L, res);
            *npend = 0;
        }
    }
}

static int verify(life *L, const result *res, char *msg, size_t msglen, int *inflight_present)
{
    *inflight_present = 0;
    nq_options o;
    nq_options_init(&o);
    nq_db *db = NULL;
    int rc = nq_open(DB, &o, &db);
    if (rc) {
        snprintf(msg, msglen, "does not open: %s", db ? nq_errmsg(db) : nq_strerror(rc));
        nq_close(db);
        return -1;
    }
    char buf[512];
    uint64_t problems;
    if (crash_db_check(db, buf, sizeof buf, &problems)) {
        snprintf(msg, msglen, "nq_check: %" PRIu64 " problems: %s", problems, buf);
        nq_close(db);
        return -1;
    }
    kvm *snap = NULL;
    if (crash_db_snapshot(db, NT, &snap, buf, sizeof buf)) {
        snprintf(msg, msglen, "reading: %s", buf);
        nq_close(db);
        return -1;
    }
    int ret = 0;
    /* which k does the database hold? */
    int64_t k = -1;
    const void *v;
    size_t vl;
    int any_tree = 0;
    for (int t = 0; t < NT; t++)
        any_tree |= kvm_tree_exists(snap, t);
    if (kvm_tree_exists(snap, 0) && kvm_get(snap, 0, "txn", 3, &v, &vl) && vl == 8) {
        uint64_t u;
        memcpy(&u, v, 8);
        k = (int64_t)u;
    } else if (any_tree) {
        snprintf(msg, msglen, "trees exist but t0 has no \"txn\" key: a partial first transaction");
        ret = -1;
        goto out;
    }
    /* acknowledged: everything the child reported, and whatever was verified before */
    int64_t acked = L->k;
    if (res->got_start)
        acked = (int64_t)res->last_ack;
    if (k < acked) {
        snprintf(msg, msglen, "holds transaction %" PRId64 " but %" PRId64
                 " was acknowledged: acknowledged commits lost", k, acked);
        ret = -1;
        goto out;
    }
    /* a transaction can be in flight only once the child has begun its work (START comes
     * first), or while it creates a new database */
    int64_t most = res->got_start || L->k < 0 ? acked + 1 : acked;
    if (k > most) {
        snprintf(msg, msglen, "holds transaction %" PRId64 " but only %" PRId64
                 " was acknowledged (at most %" PRId64 " possible)", k, acked, most);
        ret = -1;
        goto out;
    }
    *inflight_present = k == acked + 1;
    if (k < 0) {
        L->k = -1;
        goto out; /* nothing yet, and nothing was acknowledged */
    }
    /* roll the model forward to k and compare t0..t2 exactly */
    if (L->k < 0)
        L->k = 0;
    for (int64_t i = L->k + 1; i <= k; i++)
        model_apply(L->model, (uint64_t)i);
    L->k = k;
    kvm *want = kvm_clone(L->model);
    /* t3: one key per transaction 1..k, values strictly increasing, as reported */
    size_t n3 = kvm_count(snap, SEQT);
    uint64_t prev = 0;
    if (n3 != (size_t)k) {
        snprintf(msg, msglen, "t3 holds %zu sequence keys for %" PRId64 " transactions", n3, k);
        ret = -1;
    }
    for (size_t j = 0; j < n3 && !ret; j++) {
        const void *kk, *vv;
        size_t kl, vvl;
        kvm_entry(snap, SEQT, j, &kk, &kl, &vv, &vvl);
        uint8_t expk[8];
        key_of(j + 1, expk);
        uint64_t s = 0;
        if (vvl == 8)
            memcpy(&s, vv, 8);
        if (kl != 8 || memcmp(kk, expk, 8) != 0 || vvl != 8 || s <= prev) {
            snprintf(msg, msglen, "t3 entry %zu is not transaction %zu's increasing sequence value",
                     j, j + 1);
            ret = -1;
        } else if (j + 1 < L->nseqs && L->seqs[j + 1] && L->seqs[j + 1] != s) {
            snprintf(msg, msglen, "transaction %zu was told sequence value %" PRIu64
                     " but the database holds %" PRIu64, j + 1, L->seqs[j + 1], s);
            ret = -1;
        } else {
            note_seq(L, j + 1, s);
            if (s > L->seq_max)
                L->seq_max = s;
        }
        prev = s;
        kvm_put(want, SEQT, kk, kl, vv, vvl);
    }
    if (!ret && !kvm_equal(snap, want, buf, sizeof buf)) {
        snprintf(msg, msglen, "content is not state(%" PRId64 "): %s", k, buf);
        ret = -1;
    }
    kvm_free(want);
    if (!ret) {
        nq_tree *t = NULL;
        uint64_t s = 0;
        if ((rc = nq_tree_open(db, crash_tree_name(SEQT), 0, &t)) == 0)
            rc = nq_seq_next(t, &s);
        nq_tree_close(t);
        if (rc) {
            snprintf(msg, msglen, "nq_seq_next after recovery: %s", nq_errmsg(db));
            ret = -1;
        } else if (s <= L->seq_max) {
            snprintf(msg, msglen, "nq_seq_next after recovery gave %" PRIu64
                     ", already used by a committed transaction (max %" PRIu64 ")", s, L->seq_max);
            ret = -1;
        } else {
            L->seq_max = s;
        }
    }
out:
    kvm_free(snap);
    rc = nq_close(db);
    if (!ret && rc) {
        snprintf(msg, msglen, "close after recovery: %s", nq_strerror(rc));
        ret = -1;
    }
    return ret;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    uint64_t kills = crash_scaled(200, 5);
    nq_rng rng;
    nq_rng_seed(&rng, crash_env_u64("NQ_KILL9_SEED", 1));
    life L;
    memset(&L, 0, sizeof L);
    uint64_t failures = 0, acks = 0, present = 0, absent = 0, exited = 0;
    double t0 = crash_now();
    for (uint64_t it = 0; it < kills; it++) {
        if (it % 25 == 0)
            life_reset(&L, (it / 25) % 2 ? 1024 : 4096, (it / 25) % 3 ? 16 : 64);
        int fds[2];
        if (pipe(fds) < 0) {
            perror("pipe");
            return 2;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            close(fds[0]);
            child_main(fds[1], L.ps, L.ckpt);
            _exit(0);
        }
        close(fds[1]);
        int delay_us = (int)nq_rng_below(&rng, 50001);
        result res;
        memset(&res, 0, sizeof res);
        uint8_t pend[sizeof(rec)];
        size_t npend = 0;
        drain(fds[0], delay_us / 1000, &L, &res, pend, &npend);
        kill(pid, SIGKILL);
        drain(fds[0], -1, &L, &res, pend, &npend);
        close(fds[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            exited++;
        acks += res.acks;
        char msg[600] = "";
        int fail = 0;
        if (res.got_err) {
            snprintf(msg, sizeof msg, "the child failed: %s", res.err);
            fail = 1;
        } else if (res.got_start && L.k >= 0 && (int64_t)res.start != L.k) {
            snprintf(msg, sizeof msg, "the child found transaction %" PRIu64
                     " but %" PRId64 " was verified", res.start, L.k);
            fail = 1;
        } else {
            int inflight = 0;
            fail = verify(&L, &res, msg, sizeof msg, &inflight) != 0;
            if (!fail)
                inflight ? present++ : absent++;
        }
        if (fail) {
            failures++;
            printf("FAIL kill %" PRIu64 " (NQ_KILL9_SEED=%" PRIu64 ", after %d us, page %u, ckpt "
                   "%u, %" PRIu64 " commits acknowledged this run): %s\n",
                   it, crash_env_u64("NQ_KILL9_SEED", 1), delay_us, L.ps, L.ckpt, res.acks, msg);
            /* start over so one failure does not cascade */
            life_reset(&L, L.ps, L.ckpt);
            if (failures > 20)
                break;
        }
    }
    life_reset(&L, 4096, 64);
    kvm_free(L.model);
    free(L.seqs);
    printf("kill9: %" PRIu64 " kills, %" PRIu64 " commits acknowledged, in-flight commit present "
           "%" PRIu64 " / absent %" PRIu64 ", %" PRIu64 " children not killed, %" PRIu64
           " failures, %.1f s\n",
           kills, acks, present, absent, exited, failures, crash_now() - t0);
    return failures ? 1 : 0;
}
