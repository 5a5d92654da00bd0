/*
 * test_bank.c — the bank: concurrent transfers at random isolation levels never change the
 * total, in any snapshot, and neither does a crash.
 *
 * Schema: accounts(id, balance) with NACC accounts of START each (the total is fixed), and
 * xfer(id, src, dst, amount), one row per committed transfer (its id chosen by the client), so
 * the data can be reconciled: every balance must be START + what xfer says came in - what went
 * out. A transfer is one transaction at a random level:
 *   READ COMMITTED      two relative updates (balance = balance -/+ amount);
 *   REPEATABLE READ,    read both balances, then write the computed values (read-modify-write:
 *   SERIALIZABLE        exactly the pattern a lost update would break), the two accounts in
 *                       random order, so concurrent transfers also deadlock;
 * then the xfer row and COMMIT. NQ_ESERIALIZE (40001) and NQ_EDEADLOCK (40P01) roll the
 * transaction back: it is retried with the same id, and the aborts are counted. Readers check
 * the total: one SUM at any level, the sum of two halves read by two statements of one
 * REPEATABLE READ or SERIALIZABLE transaction (one snapshot), and now and then a full
 * reconciliation against xfer inside one snapshot. A read-only transaction must never fail.
 *
 * 1. Threads: NTHR connections (nq_clone), each on its thread, transfers and reads.
 * 2. kill -9: a child process runs the same workers on a real file until the parent kills it
 *    with SIGKILL at a seeded random moment (several rounds on one database). The child
 *    reports each committed transfer id through a pipe; the parent reopens (recovery), and
 *    checks nq_check, the total, the reconciliation, and that every reported transfer is there.
 * 3. Power loss: the same on tests/support/faultvfs (a disk that drops, tears and reorders
 *    unsynced writes), crashing at a random mutating call. The simulated disk is not
 *    thread-safe, so one thread interleaves the steps of transfers on three connections in a
 *    seeded random order; a statement that would wait for a lock held by another connection of
 *    the thread times out at once (lock_timeout_ms 1) and that transfer starts again.
 *
 * Scale: NQ_CRASH_SCALE multiplies the transfers and rounds (~10 s natively at 1);
 * NQ_BANK_SEED picks the randomness. Output: a summary per part (commits, aborts by kind,
 * reads, kills or power cuts), and a FAIL line with the seed for every failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/rand.h"
#include "crashkit.h"
#include "faultvfs.h"
#include "sql/session.h"

#define NACC 16
#define START 1000
#define TOTAL ((int64_t)NACC * START)
#define NTHR 4
#define DB1 "bank.db"
#define DB2 "bank_kill.db"
#define DB3 "bank_fv.db"

static const char *const level_sql[3] = {"begin isolation level read committed",
                                         "begin isolation level repeatable read",
                                         "begin isolation level serializable"};

static int failures;

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL (NQ_BANK_SEED=%" PRIu64 "): ", crash_env_u64("NQ_BANK_SEED", 1));
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures++;
}

/* SQL transactions as the engine's concurrent transactions: the SQL layer does so only where
 * a session is switched to them (sess_set_concurrent, as test_txn_sql does) until that is its
 * default; every SQL connection of this test is switched on. */
static void sql_concurrent(nq_db *db)
{
    sql_session *ss = db ? sql_session_get(db) : NULL;
    if (ss)
        sess_set_concurrent(ss, 1);
}

/* ---- SQL helpers ------------------------------------------------------------------------------ */
/* Run sql (one statement); the integer columns of every row go to vals[0..max) in order,
 * *nv (may be NULL) counts them. NQ_OK or the error. */
static int q(nq_db *db, const char *sql, int64_t *vals, int max, int *nv)
{
    nq_stmt *st = NULL;
    int n = 0;
    int rc = nq_prepare(db, sql, (size_t)-1, &st, NULL);
    if (rc)
        return rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        int nc = nq_column_count(st);
        for (int i = 0; i < nc; i++) {
            if (vals && n < max)
                vals[n] = nq_column_int64(st, i);
            n++;
        }
    }
    nq_finalize(st);
    if (nv)
        *nv = n;
    return rc == NQ_DONE ? NQ_OK : rc;
}

static int setup_schema(nq_db *db)
{
    char sql[1024];
    int n = snprintf(sql, sizeof sql, "insert into accounts (id, balance) values ");
    for (int i = 1; i <= NACC; i++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, "%s(%d, %d)", i > 1 ? ", " : "", i, START);
    int rc = q(db, "create table accounts (id int primary key, balance int)", NULL, 0, NULL);
    if (!rc)
        rc = q(db, "create table xfer (id int primary key, src int, dst int, amount int)", NULL, 0,
               NULL);
    if (!rc)
        rc = q(db, sql, NULL, 0, NULL);
    return rc;
}

/* ---- one transfer, step by step ----------------------------------------------------------------- */
typedef struct bank_tx {
    int64_t xid;
    int src, dst, amt, lv, src_first;
    int step;
    int64_t bal[2]; /* RR/SER: the balances read, in the order of the writes */
} bank_tx;

enum { TX_MORE = 0, TX_COMMITTED = 1, TX_ABORTED = 2 };

typedef struct counts {
    uint64_t commits, aborts_ser, aborts_dl, aborts_lock, reads, reads_busy;
} counts;

static void tx_plan(bank_tx *t, nq_rng *r, int64_t xid)
{
    memset(t, 0, sizeof *t);
    t->xid = xid;
    t->src = 1 + (int)nq_rng_below(r, NACC);
    do
        t->dst = 1 + (int)nq_rng_below(r, NACC);
    while (t->dst == t->src);
    t->amt = 1 + (int)nq_rng_below(r, 50);
    t->lv = (int)nq_rng_below(r, 3);
    t->src_first = (int)nq_rng_below(r, 2);
}

/* Whether rc is an abort the workload expects (the transaction is then rolled back). */
static int tx_retryable(nq_db *db, int rc, counts *c)
{
    if (rc == NQ_ESERIALIZE)
        c->aborts_ser++;
    else if (rc == NQ_EDEADLOCK)
        c->aborts_dl++;
    else if (rc == NQ_ELOCKTIMEOUT || rc == NQ_EBUSY)
        c->aborts_lock++;
    else
        return 0;
    /* 40001 and 40P01 have rolled the transaction back, 55P03 left it open: either way the
     * session takes ROLLBACK (which ends a failed transaction block) */
    q(db, "rollback", NULL, 0, NULL);
    return 1;
}

/* Run the next step of t on db: TX_MORE, TX_COMMITTED, TX_ABORTED (rolled back; start it
 * again from step 0), or a negative code (message in nq_errmsg(db)). */
static int tx_step(nq_db *db, bank_tx *t, counts *c)
{
    char sql[256];
    int first = t->src_first ? t->src : t->dst, second = t->src_first ? t->dst : t->src;
    int dfirst = t->src_first ? -t->amt : t->amt; /* what the first written account gets */
    int rc, nv = 0;
    int s = t->step;
    if (s == 0) {
        rc = q(db, level_sql[t->lv], NULL, 0, NULL);
    } else if (t->lv == 0 && s <= 2) { /* READ COMMITTED: relative updates */
        snprintf(sql, sizeof sql, "update accounts set balance = balance + %d where id = %d",
                 s == 1 ? dfirst : -dfirst, s == 1 ? first : second);
        rc = q(db, sql, NULL, 0, NULL);
    } else if (t->lv > 0 && s <= 2) { /* read both balances */
        snprintf(sql, sizeof sql, "select balance from accounts where id = %d",
                 s == 1 ? first : second);
        rc = q(db, sql, &t->bal[s - 1], 1, &nv);
        if (!rc && nv != 1) {
            fail("transfer %" PRId64 ": account %d read %d values", t->xid,
                 s == 1 ? first : second, nv);
            return NQ_ERROR;
        }
    } else if (t->lv > 0 && s <= 4) { /* write the computed balances */
        int64_t v = s == 3 ? t->bal[0] + dfirst : t->bal[1] - dfirst;
        snprintf(sql, sizeof sql, "update accounts set balance = %" PRId64 " where id = %d", v,
                 s == 3 ? first : second);
        rc = q(db, sql, NULL, 0, NULL);
    } else if (s == (t->lv ? 5 : 3)) {
        snprintf(sql, sizeof sql, "insert into xfer (id, src, dst, amount) values (%" PRId64
                 ", %d, %d, %d)", t->xid, t->src, t->dst, t->amt);
        rc = q(db, sql, NULL, 0, NULL);
    } else {
        rc = q(db, "commit", NULL, 0, NULL);
        if (!rc) {
            c->commits++;
            return TX_COMMITTED;
        }
    }
    if (rc) {
        if (tx_retryable(db, rc, c)) {
            t->step = 0;
            return TX_ABORTED;
        }
        return rc;
    }
    t->step++;
    return TX_MORE;
}

/* ---- readers and the reconciliation ------------------------------------------------------------- */
/* Check balances against xfer (both read by the caller in one snapshot). */
static int reconcile(const int64_t *acc, int nacc, const int64_t *xf, int nxf, char *msg,
                     size_t n)
{
    int64_t want[NACC + 1], sum = 0;
    if (nacc != 2 * NACC) {
        snprintf(msg, n, "accounts holds %d values, not %d", nacc, 2 * NACC);
        return -1;
    }
    for (int i = 0; i <= NACC; i++)
        want[i] = START;
    for (int i = 0; i + 3 < nxf; i += 4) {
        int64_t src = xf[i + 1], dst = xf[i + 2], amt = xf[i + 3];
        if (src < 1 || src > NACC || dst < 1 || dst > NACC) {
            snprintf(msg, n, "xfer %" PRId64 " names accounts %" PRId64 " and %" PRId64, xf[i],
                     src, dst);
            return -1;
        }
        want[src] -= amt;
        want[dst] += amt;
    }
    for (int i = 0; i < NACC; i++) {
        int64_t id = acc[2 * i], bal = acc[2 * i + 1];
        sum += bal;
        if (id != i + 1 || bal != want[id]) {
            snprintf(msg, n, "account %" PRId64 " holds %" PRId64 " but the %d transfers in xfer "
                     "make it %" PRId64, id, bal, nxf / 4, id >= 1 && id <= NACC ? want[id] : 0);
            return -1;
        }
    }
    if (sum != TOTAL) {
        snprintf(msg, n, "the balances sum to %" PRId64 ", not %" PRId64, sum, TOTAL);
        return -1;
    }
    return 0;
}

/* Read accounts and xfer (in db's open transaction, or each in its own statement snapshot when
 * none is open: the caller decides). *xf is malloc'd (4 values per transfer). */
static int read_all(nq_db *db, int64_t *acc, int *nacc, int64_t **xf, int *nxf)
{
    int rc = q(db, "select id, balance from accounts order by id", acc, 2 * NACC, nacc);
    if (rc)
        return rc;
    int cap = 4096;
    for (;;) {
        *xf = malloc((size_t)cap * sizeof **xf);
        if (!*xf)
            return NQ_ENOMEM;
        rc = q(db, "select id, src, dst, amount from xfer order by id", *xf, cap, nxf);
        if (rc || *nxf <= cap)
            return rc;
        free(*xf);
        cap = *nxf * 2;
    }
}

/* One read of the invariant at a random level; 0, or -1 with a message. */
static int read_check(nq_db *db, nq_rng *r, counts *c, char *msg, size_t n)
{
    int lv = (int)nq_rng_below(r, 3), kind = (int)nq_rng_below(r, 10);
    int64_t v[2 * NACC];
    int nv = 0, rc;
    c->reads++;
    if (kind < 4) { /* one statement, autocommit */
        rc = q(db, "select sum(balance), count(*) from accounts", v, 2, &nv);
        if (rc)
            goto err;
        if (v[0] != TOTAL || v[1] != NACC) {
            snprintf(msg, n, "autocommit SUM: %" PRId64 " over %" PRId64 " accounts", v[0], v[1]);
            return -1;
        }
        return 0;
    }
    if ((rc = q(db, level_sql[lv], NULL, 0, NULL)))
        goto err;
    if (kind < 8 || lv == 0) { /* inside a transaction: halves (one snapshot) or one SUM */
        int64_t a = 0, b = 0;
        if (lv == 0) {
            rc = q(db, "select sum(balance) from accounts", &a, 1, &nv);
        } else {
            char h[96];
            snprintf(h, sizeof h, "select sum(balance) from accounts where id <= %d", NACC / 2);
            rc = q(db, h, &a, 1, &nv);
            snprintf(h, sizeof h, "select sum(balance) from accounts where id > %d", NACC / 2);
            if (!rc)
                rc = q(db, h, &b, 1, &nv);
        }
        if (rc)
            goto err;
        if (a + b != TOTAL) {
            snprintf(msg, n, "%s: the total read is %" PRId64, level_sql[lv], a + b);
            q(db, "rollback", NULL, 0, NULL);
            return -1;
        }
    } else { /* RR/SER: reconcile accounts with xfer in one snapshot */
        int64_t *xf = NULL;
        int nacc = 0, nxf = 0;
        rc = read_all(db, v, &nacc, &xf, &nxf);
        if (!rc && reconcile(v, nacc, xf, nxf, msg, n)) {
            free(xf);
            q(db, "rollback", NULL, 0, NULL);
            return -1;
        }
        free(xf);
        if (rc)
            goto err;
    }
    if ((rc = q(db, "commit", NULL, 0, NULL)))
        goto err;
    return 0;
err:
    if (rc == NQ_EBUSY) {
        /* an exclusive writer held the database past busy_timeout (a transaction that runs as
         * the exclusive writer, or main before concurrent transactions): no answer, no harm */
        c->reads_busy++;
        q(db, "rollback", NULL, 0, NULL);
        return 0;
    }
    snprintf(msg, n, "a read-only check (%s, kind %d) failed: %d (%s): %s", level_sql[lv], kind,
             rc, nq_sqlstate(rc), nq_errmsg(db));
    q(db, "rollback", NULL, 0, NULL);
    return -1;
}

/* The database after a crash (or at the end): nq_check, reconciliation (one snapshot), every
 * acknowledged transfer present. 0 or -1 with msg. */
static int verify(nq_db *db, const int64_t *acked, size_t nacked, char *msg, size_t n,
                  int *ntransfers)
{
    char buf[512];
    uint64_t problems = 0;
    if (crash_db_check(db, buf, sizeof buf, &problems)) {
        snprintf(msg, n, "nq_check: %" PRIu64 " problems: %s", problems, buf);
        return -1;
    }
    int64_t acc[2 * NACC], *xf = NULL;
    int nacc = 0, nxf = 0;
    int rc = q(db, "begin isolation level repeatable read", NULL, 0, NULL);
    if (!rc)
        rc = read_all(db, acc, &nacc, &xf, &nxf);
    if (!rc)
        rc = q(db, "commit", NULL, 0, NULL);
    if (rc) {
        snprintf(msg, n, "reading: %d: %s", rc, nq_errmsg(db));
        free(xf);
        return -1;
    }
    int ret = reconcile(acc, nacc, xf, nxf, msg, n);
    for (size_t i = 0; i < nacked && !ret; i++) {
        int found = 0; /* xfer is ordered by id: binary search */
        int lo = 0, hi = nxf / 4 - 1;
        while (lo <= hi && !found) {
            int mid = (lo + hi) / 2;
            if (xf[4 * mid] == acked[i])
                found = 1;
            else if (xf[4 * mid] < acked[i])
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        if (!found) {
            snprintf(msg, n, "transfer %" PRId64 " was committed (acknowledged) but is missing",
                     acked[i]);
            ret = -1;
        }
    }
    if (ntransfers)
        *ntransfers = nxf / 4;
    free(xf);
    return ret;
}

/* ---- threaded workers (parts 1 and 2) -------------------------------------------------------- */
typedef struct worker {
    nq_db *db;
    uint64_t seed;
    int64_t xid_base;
    uint64_t ntx;   /* transfers to commit; UINT64_MAX = until killed */
    int ack_fd;     /* -1, or a pipe for the ids of committed transfers */
    counts c;
    char err[600];
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    nq_rng r;
    nq_rng_seed(&r, w->seed);
    for (uint64_t i = 0; i < w->ntx && !w->err[0]; i++) {
        if (nq_rng_below(&r, 4) == 0 && read_check(w->db, &r, &w->c, w->err, sizeof w->err))
            break;
        bank_tx t;
        tx_plan(&t, &r, w->xid_base + (int64_t)i);
        for (int tries = 0;; tries++) {
            int rc = tx_step(w->db, &t, &w->c);
            if (rc == TX_COMMITTED)
                break;
            if (rc < 0) {
                snprintf(w->err, sizeof w->err, "transfer %" PRId64 " (%s), step %d: %d (%s): %s",
                         t.xid, level_sql[t.lv], t.step, rc, nq_sqlstate(rc), nq_errmsg(w->db));
                break;
            }
            if (rc == TX_ABORTED && tries > 100000) {
                snprintf(w->err, sizeof w->err, "transfer %" PRId64 " aborted %d times", t.xid,
                         tries);
                break;
            }
        }
        if (!w->err[0] && w->ack_fd >= 0) {
            ssize_t wr;
            do
                wr = write(w->ack_fd, &t.xid, sizeof t.xid); /* < PIPE_BUF: arrives whole */
            while (wr < 0 && errno == EINTR);
        }
    }
    if (w->err[0] && w->ack_fd >= 0) {
        /* a child runs until it is killed: end it now, so the parent sees it ended by itself */
        fail("worker: %s", w->err);
        fflush(stdout);
        _exit(3);
    }
    return NULL;
}

/* Run nthr workers on clones of db; 0, or -1 after printing the failures. */
static int run_workers(nq_db *db, int nthr, uint64_t seed, int64_t xid_base, uint64_t ntx,
                       int ack_fd, counts *total)
{
    worker w[NTHR];
    pthread_t th[NTHR];
    int ret = 0;
    memset(w, 0, sizeof w);
    for (int i = 0; i < nthr; i++) {
        int rc = nq_clone(db, &w[i].db);
        sql_concurrent(w[i].db);
        if (rc) {
            fail("nq_clone: %s", nq_errmsg(db));
            return -1;
        }
        w[i].seed = seed * 1000003u + (uint64_t)i;
        w[i].xid_base = xid_base + (int64_t)i * 10000000;
        w[i].ntx = ntx;
        w[i].ack_fd = ack_fd;
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < nthr; i++) {
        pthread_join(th[i], NULL);
        nq_close(w[i].db);
        if (w[i].err[0]) {
            fail("worker %d: %s", i, w[i].err);
            ret = -1;
        }
        total->commits += w[i].c.commits;
        total->aborts_ser += w[i].c.aborts_ser;
        total->aborts_dl += w[i].c.aborts_dl;
        total->aborts_lock += w[i].c.aborts_lock;
        total->reads += w[i].c.reads;
        total->reads_busy += w[i].c.reads_busy;
    }
    return ret;
}

static void options(nq_options *o)
{
    nq_options_init(o);
    o->deadlock_timeout_ms = 10; /* transfers deadlock often: find them fast */
}

/* ---- part 1: threads ------------------------------------------------------------------------- */
static void part_threads(uint64_t seed)
{
    double t0 = crash_now();
    unlink(DB1);
    unlink(DB1 "-wal");
    nq_options o;
    options(&o);
    o.sync = NQ_SYNC_OFF; /* this part is about isolation; durability is parts 2 and 3 */
    nq_db *db = NULL;
    int rc = nq_open(DB1, &o, &db);
    sql_concurrent(db);
    if (!rc && (rc = setup_schema(db)))
        fail("setup: %s", nq_errmsg(db));
    if (rc) {
        if (!db)
            fail("nq_open: %s", nq_strerror(rc));
        nq_close(db);
        return;
    }
    counts c = {0};
    uint64_t ntx = crash_scaled(500, 20);
    run_workers(db, NTHR, seed, 1, ntx, -1, &c);
    char msg[600];
    int n = 0;
    if (verify(db, NULL, 0, msg, sizeof msg, &n))
        fail("threads, at the end: %s", msg);
    else if ((uint64_t)n != c.commits)
        fail("threads: %" PRIu64 " transfers committed, xfer holds %d", c.commits, n);
    nq_stats st;
    if (nq_get_stats(db, &st) == 0)
        printf("bank threads: %d connections, %" PRIu64 " transfers committed, aborts: %" PRIu64
               " serialization, %" PRIu64 " deadlock, %" PRIu64 " lock timeout/busy; %" PRIu64
               " reads (%" PRIu64 " busy); engine: %" PRIu64 " concurrent commits, %" PRIu64
               " lock waits, %.1f s\n",
               NTHR, c.commits, c.aborts_ser, c.aborts_dl, c.aborts_lock, c.reads, c.reads_busy,
               st.txn_commits_concurrent, st.lock_waits, crash_now() - t0);
    nq_close(db);
    unlink(DB1);
    unlink(DB1 "-wal");
}

/* ---- part 1b: the same bank on the engine's C API (nq_begin_concurrent) ------------------------ */
/* Trees "acc" (key: the account id, one byte; value: int64 balance) and "xfer" (key: the
 * transfer id, 8 bytes big-endian; value: src, dst, amount as int64). A READ COMMITTED
 * "statement" (read one account, write it back changed) runs as the SQL layer runs one: a new
 * snapshot (nq_txn_statement) and a mark; NQ_ECONFLICT undoes it to the mark and runs it
 * again. */
#define DB4 "bank_kv.db"

typedef struct kvw {
    nq_db *db;
    nq_tree *acc, *xf;
    uint64_t seed;
    int64_t xid_base;
    uint64_t ntx;
    counts c;
    char err[600];
} kvw;

static int kv_get64(nq_tree *t, const void *k, size_t kl, int64_t *out)
{
    void *v = NULL;
    size_t vl = 0;
    int rc = nq_get(t, k, kl, &v, &vl);
    if (!rc && vl != 8)
        rc = NQ_ECORRUPT;
    if (!rc)
        memcpy(out, v, 8);
    free(v);
    return rc;
}

/* Sum of the accounts and their count through a cursor (in the open transaction). */
static int kv_sum(nq_tree *acc, int64_t *sum, int *n)
{
    nq_cursor *cu = NULL;
    int rc = nq_cursor_open(acc, &cu);
    *sum = 0;
    *n = 0;
    for (rc = rc ? rc : nq_cursor_first(cu); rc == 0; rc = nq_cursor_next(cu)) {
        size_t vl = 0;
        const void *v = nq_cursor_value(cu, &vl);
        int64_t b;
        if (!v || vl != 8) {
            rc = NQ_ECORRUPT;
            break;
        }
        memcpy(&b, v, 8);
        *sum += b;
        (*n)++;
    }
    nq_cursor_close(cu);
    return rc == NQ_ENOTFOUND ? 0 : rc;
}

/* One account changed by delta in one statement; 0, TX_ABORTED, or an error. */
static int kv_change(kvw *w, int lv, int acct, int64_t delta)
{
    uint8_t k = (uint8_t)acct;
    for (;;) {
        uint64_t mark = 0;
        int64_t b = 0;
        int rc = nq_txn_statement(w->db);
        if (!rc)
            rc = nq_txn_mark(w->db, &mark);
        if (!rc)
            rc = kv_get64(w->acc, &k, 1, &b);
        if (!rc) {
            b += delta;
            rc = nq_put(w->acc, &k, 1, &b, 8, 0);
        }
        if (rc == NQ_ECONFLICT && lv == NQ_ISO_READ_COMMITTED) {
            if ((rc = nq_txn_rollback_to(w->db, mark)))
                return rc;
            continue; /* the statement again, on a newer snapshot */
        }
        return rc;
    }
}

static int kv_transfer(kvw *w, nq_rng *r, int64_t xid)
{
    bank_tx t;
    tx_plan(&t, r, xid);
    int lv = NQ_ISO_READ_COMMITTED + t.lv;
    for (int tries = 0; tries < 100000; tries++) {
        int rc = nq_begin_concurrent(w->db, lv);
        int first = t.src_first ? t.src : t.dst, second = t.src_first ? t.dst : t.src;
        int64_t d = t.src_first ? -t.amt : t.amt;
        if (!rc)
            rc = kv_change(w, lv, first, d);
        if (!rc)
            rc = kv_change(w, lv, second, -d);
        if (!rc) {
            uint8_t k[8];
            int64_t v[3] = {t.src, t.dst, t.amt};
            for (int b = 0; b < 8; b++)
                k[b] = (uint8_t)((uint64_t)xid >> (56 - 8 * b));
            rc = nq_txn_statement(w->db);
            if (!rc)
                rc = nq_put(w->xf, k, 8, v, sizeof v, NQ_PUT_NOOVERWRITE);
        }
        if (!rc)
            rc = nq_commit(w->db);
        if (!rc) {
            w->c.commits++;
            return 0;
        }
        int mode;
        if (nq_in_txn(w->db, &mode))
            nq_rollback(w->db);
        if (rc == NQ_ESERIALIZE)
            w->c.aborts_ser++;
        else if (rc == NQ_EDEADLOCK)
            w->c.aborts_dl++;
        else if (rc == NQ_ELOCKTIMEOUT || rc == NQ_EBUSY)
            w->c.aborts_lock++;
        else {
            snprintf(w->err, sizeof w->err, "transfer %" PRId64 " at level %d: %d (%s): %s", xid,
                     lv, rc, nq_sqlstate(rc), nq_errmsg(w->db));
            return rc;
        }
    }
    snprintf(w->err, sizeof w->err, "transfer %" PRId64 " aborted 100000 times", xid);
    return NQ_ERROR;
}

static void *kv_main(void *arg)
{
    kvw *w = arg;
    nq_rng r;
    nq_rng_seed(&r, w->seed);
    for (uint64_t i = 0; i < w->ntx && !w->err[0]; i++) {
        if (nq_rng_below(&r, 4) == 0) { /* the total in one snapshot, at any level */
            int lv = NQ_ISO_READ_COMMITTED + (int)nq_rng_below(&r, 3), n = 0;
            int64_t sum = 0;
            int rc = nq_begin_concurrent(w->db, lv);
            if (!rc)
                rc = kv_sum(w->acc, &sum, &n);
            if (!rc)
                rc = nq_commit(w->db); /* read-only: never fails */
            w->c.reads++;
            if (rc) {
                snprintf(w->err, sizeof w->err, "read-only transaction at level %d: %d (%s): %s",
                         lv, rc, nq_sqlstate(rc), nq_errmsg(w->db));
                if (nq_in_txn(w->db, NULL))
                    nq_rollback(w->db);
                break;
            }
            if (sum != TOTAL || n != NACC) {
                snprintf(w->err, sizeof w->err, "a snapshot at level %d holds %" PRId64
                         " over %d accounts", lv, sum, n);
                break;
            }
        }
        if (kv_transfer(w, &r, w->xid_base + (int64_t)i))
            break;
    }
    return NULL;
}

static void part_engine(uint64_t seed)
{
    double t0 = crash_now();
    unlink(DB4);
    unlink(DB4 "-wal");
    nq_options o;
    options(&o);
    o.sync = NQ_SYNC_OFF;
    nq_db *db = NULL;
    nq_tree *acc = NULL, *xf = NULL;
    int rc = nq_open(DB4, &o, &db);
    if (!rc)
        rc = nq_begin(db, NQ_TXN_WRITE);
    if (!rc)
        rc = nq_tree_open(db, "acc", NQ_TREE_CREATE, &acc);
    if (!rc)
        rc = nq_tree_open(db, "xfer", NQ_TREE_CREATE, &xf);
    for (int i = 1; i <= NACC && !rc; i++) {
        uint8_t k = (uint8_t)i;
        int64_t b = START;
        rc = nq_put(acc, &k, 1, &b, 8, 0);
    }
    if (!rc)
        rc = nq_commit(db);
    if (rc) {
        fail("engine setup: %s", db ? nq_errmsg(db) : nq_strerror(rc));
        nq_tree_close(acc);
        nq_tree_close(xf);
        nq_close(db);
        return;
    }
    kvw w[NTHR];
    pthread_t th[NTHR];
    memset(w, 0, sizeof w);
    int nw = 0;
    for (int i = 0; i < NTHR; i++, nw++) {
        if ((rc = nq_clone(db, &w[i].db)) || (rc = nq_tree_open(w[i].db, "acc", 0, &w[i].acc)) ||
            (rc = nq_tree_open(w[i].db, "xfer", 0, &w[i].xf))) {
            fail("engine: clone %d: %s", i, w[i].db ? nq_errmsg(w[i].db) : nq_strerror(rc));
            break;
        }
        w[i].seed = seed * 7919u + (uint64_t)i;
        w[i].xid_base = (int64_t)(i + 1) * 10000000;
        w[i].ntx = crash_scaled(500, 20);
        pthread_create(&th[i], NULL, kv_main, &w[i]);
    }
    counts c = {0};
    for (int i = 0; i < NTHR; i++) {
        if (i < nw)
            pthread_join(th[i], NULL);
        if (w[i].err[0])
            fail("engine worker %d: %s", i, w[i].err);
        c.commits += w[i].c.commits;
        c.aborts_ser += w[i].c.aborts_ser;
        c.aborts_dl += w[i].c.aborts_dl;
        c.aborts_lock += w[i].c.aborts_lock;
        c.reads += w[i].c.reads;
        nq_tree_close(w[i].acc);
        nq_tree_close(w[i].xf);
        nq_close(w[i].db);
    }
    /* reconcile the balances with the transfers (one snapshot) */
    int64_t accv[2 * NACC], *xv = malloc(sizeof *xv * 4 * (c.commits + 1));
    int nacc = 0, nxf = 0;
    nq_cursor *cu = NULL;
    rc = xv ? nq_begin(db, NQ_TXN_READ) : NQ_ENOMEM;
    if (!rc)
        rc = nq_cursor_open(acc, &cu);
    for (rc = rc ? rc : nq_cursor_first(cu); rc == 0 && nacc < 2 * NACC; rc = nq_cursor_next(cu)) {
        size_t kl, vl;
        const uint8_t *k = nq_cursor_key(cu, &kl);
        const void *v = nq_cursor_value(cu, &vl);
        accv[nacc++] = k[0];
        memcpy(&accv[nacc++], v, 8);
    }
    nq_cursor_close(cu);
    cu = NULL;
    if (rc == NQ_ENOTFOUND || rc == 0)
        rc = nq_cursor_open(xf, &cu);
    for (rc = rc ? rc : nq_cursor_first(cu); rc == 0 && (uint64_t)nxf < 4 * (c.commits + 1);
         rc = nq_cursor_next(cu)) {
        size_t kl, vl;
        const uint8_t *k = nq_cursor_key(cu, &kl);
        const int64_t *v = nq_cursor_value(cu, &vl);
        int64_t id = 0;
        for (int b = 0; b < 8; b++)
            id = (id << 8) | k[b];
        xv[nxf++] = id;
        memcpy(&xv[nxf], v, 24);
        nxf += 3;
    }
    nq_cursor_close(cu);
    if (nq_in_txn(db, NULL))
        nq_rollback(db);
    char msg[600];
    if (rc != NQ_ENOTFOUND)
        fail("engine: reading back: %d: %s", rc, nq_errmsg(db));
    else if (reconcile(accv, nacc, xv, nxf, msg, sizeof msg))
        fail("engine, at the end: %s", msg);
    else if ((uint64_t)nxf / 4 != c.commits)
        fail("engine: %" PRIu64 " transfers committed, xfer holds %d", c.commits, nxf / 4);
    free(xv);
    printf("bank engine (nq_begin_concurrent): %d connections, %" PRIu64 " transfers committed, "
           "aborts: %" PRIu64 " serialization, %" PRIu64 " deadlock, %" PRIu64
           " lock timeout/busy; %" PRIu64 " snapshot sums, %.1f s\n",
           NTHR, c.commits, c.aborts_ser, c.aborts_dl, c.aborts_lock, c.reads, crash_now() - t0);
    nq_tree_close(acc);
    nq_tree_close(xf);
    nq_close(db);
    unlink(DB4);
    unlink(DB4 "-wal");
}

/* ---- part 2: kill -9 ------------------------------------------------------------------------- */
static void child_main(int fd, uint64_t seed, int64_t xid_base, int sync)
{
    nq_options o;
    options(&o);
    o.sync = sync;
    o.checkpoint_pages = 64;
    nq_db *db = NULL;
    int rc = nq_open(DB2, &o, &db);
    sql_concurrent(db);
    if (rc) {
        fprintf(stderr, "bank child: nq_open: %s\n", db ? nq_errmsg(db) : nq_strerror(rc));
        _exit(3);
    }
    counts c = {0};
    if (run_workers(db, NTHR, seed, xid_base, UINT64_MAX, fd, &c))
        _exit(3);
    _exit(0);
}

static void part_kill9(nq_rng *r)
{
    double t0 = crash_now();
    unlink(DB2);
    unlink(DB2 "-wal");
    nq_options o;
    options(&o);
    nq_db *db = NULL;
    int rc = nq_open(DB2, &o, &db);
    sql_concurrent(db);
    if (!rc && (rc = setup_schema(db)))
        fail("kill9 setup: %s", nq_errmsg(db));
    nq_close(db);
    if (rc)
        return;
    uint64_t kills = crash_scaled(10, 3), acks_total = 0;
    int64_t *acked = NULL;
    size_t nacked = 0, cap = 0;
    int ntransfers = 0;
    for (uint64_t k = 0; k < kills; k++) {
        int fds[2];
        if (pipe(fds) < 0) {
            fail("pipe: %s", strerror(errno));
            break;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            child_main(fds[1], nq_rng_next(r), (int64_t)(k + 1) * 100000000,
                       k % 2 ? NQ_SYNC_OFF : NQ_SYNC_FULL);
        }
        close(fds[1]);
        int delay_ms = 30 + (int)nq_rng_below(r, 300);
        double end = crash_now() + delay_ms / 1000.0;
        uint8_t pend[8];
        size_t npend = 0;
        int killed = 0, eof = 0;
        while (!eof) {
            double left = end - crash_now();
            if (!killed && left <= 0) {
                kill(pid, SIGKILL);
                killed = 1;
            }
            struct pollfd p = {.fd = fds[0], .events = POLLIN};
            int pr = poll(&p, 1, killed ? -1 : (int)(left * 1000) + 1);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr <= 0)
                continue;
            ssize_t nr = read(fds[0], pend + npend, sizeof pend - npend);
            if (nr < 0 && errno == EINTR)
                continue;
            if (nr <= 0) {
                eof = 1;
                break;
            }
            npend += (size_t)nr;
            if (npend == sizeof pend) {
                if (nacked == cap) {
                    cap = cap ? 2 * cap : 1024;
                    acked = realloc(acked, cap * sizeof *acked);
                }
                memcpy(&acked[nacked++], pend, 8);
                npend = 0;
                acks_total++;
            }
        }
        if (!killed)
            kill(pid, SIGKILL);
        close(fds[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            fail("kill %" PRIu64 ": the child ended by itself (status %d): see its stderr", k,
                 status);
            break;
        }
        db = NULL;
        rc = nq_open(DB2, &o, &db);
        sql_concurrent(db);
        char msg[600];
        if (rc) {
            fail("kill %" PRIu64 " after %d ms: the database does not open: %s", k, delay_ms,
                 db ? nq_errmsg(db) : nq_strerror(rc));
            nq_close(db);
            break;
        }
        if (verify(db, acked, nacked, msg, sizeof msg, &ntransfers)) {
            fail("kill %" PRIu64 " after %d ms (%s): %s", k, delay_ms,
                 k % 2 ? "sync off" : "sync full", msg);
            nq_close(db);
            break;
        }
        nq_close(db);
    }
    free(acked);
    printf("bank kill9: %" PRIu64 " kills, %" PRIu64 " transfers acknowledged, %d in the "
           "database, %.1f s\n", kills, acks_total, ntransfers, crash_now() - t0);
    unlink(DB2);
    unlink(DB2 "-wal");
}

/* ---- part 3: power loss on faultvfs ------------------------------------------------------------ */
#define NCONN3 3

/* Run transfers interleaved on NCONN3 connections until ntx have committed, or until the
 * simulated disk dies (returns 1), or a failure (-1). Acknowledged ids are appended. */
static int interleave(nq_db **db, faultvfs *fv, nq_rng *r, int64_t *next_xid, uint64_t ntx,
                      int64_t **acked, size_t *nacked, size_t *cap, counts *c)
{
    bank_tx t[NCONN3];
    int active[NCONN3] = {0};
    uint64_t done = 0;
    char msg[600];
    while (done < ntx) {
        int i = (int)nq_rng_below(r, NCONN3);
        if (!active[i]) {
            if (nq_rng_below(r, 5) == 0) {
                if (read_check(db[i], r, c, msg, sizeof msg)) {
                    if (faultvfs_dead(fv))
                        return 1;
                    fail("power loss: %s", msg);
                    return -1;
                }
                continue;
            }
            tx_plan(&t[i], r, (*next_xid)++);
            active[i] = 1;
        }
        int rc = tx_step(db[i], &t[i], c);
        if (rc == TX_COMMITTED) {
            if (*nacked == *cap) {
                *cap = *cap ? 2 * *cap : 1024;
                *acked = realloc(*acked, *cap * sizeof **acked);
            }
            (*acked)[(*nacked)++] = t[i].xid;
            active[i] = 0;
            done++;
        } else if (rc < 0) {
            if (faultvfs_dead(fv))
                return 1;
            fail("power loss: transfer %" PRId64 " (%s), step %d: %d (%s): %s", t[i].xid,
                 level_sql[t[i].lv], t[i].step, rc, nq_sqlstate(rc), nq_errmsg(db[i]));
            return -1;
        }
    }
    for (int i = 0; i < NCONN3; i++)
        if (active[i])
            q(db[i], "rollback", NULL, 0, NULL);
    return 0;
}

static void part_powerloss(nq_rng *r)
{
    double t0 = crash_now();
    faultvfs *fv = faultvfs_new(nq_rng_next(r));
    nq_options o;
    options(&o);
    o.vfs = faultvfs_vfs(fv);
    o.checkpoint_pages = 24; /* checkpoints happen inside the workload */
    o.lock_timeout_ms = 1;   /* one thread: a lock held by another connection is never freed
                              * while we wait, so give up at once and retry the transfer */
    o.busy_timeout_ms = 1;   /* the same for the exclusive writer role */
    uint64_t rounds = crash_scaled(12, 3), cuts = 0, acks = 0;
    int64_t *acked = NULL, next_xid = 1;
    size_t nacked = 0, cap = 0;
    counts c = {0};
    uint64_t mutating = 0;
    int ntransfers = 0;
    for (uint64_t round = 0; round <= rounds; round++) {
        nq_db *db[NCONN3] = {0};
        int rc = nq_open(DB3, &o, &db[0]);
        sql_concurrent(db[0]);
        char msg[600];
        if (rc) {
            fail("power cut %" PRIu64 ": the database does not open: %s", cuts,
                 db[0] ? nq_errmsg(db[0]) : nq_strerror(rc));
            nq_close(db[0]);
            break;
        }
        if (round == 0 && (rc = setup_schema(db[0]))) {
            fail("power loss setup: %s", nq_errmsg(db[0]));
            nq_close(db[0]);
            break;
        }
        if (round > 0 && verify(db[0], acked, nacked, msg, sizeof msg, &ntransfers)) {
            fail("after power cut %" PRIu64 ": %s", cuts, msg);
            nq_close(db[0]);
            break;
        }
        for (int i = 1; i < NCONN3 && !rc; i++)
            if ((rc = nq_clone(db[0], &db[i])))
                fail("nq_clone: %s", nq_errmsg(db[0]));
            else
                sql_concurrent(db[i]);
        if (rc) {
            for (int i = NCONN3 - 1; i >= 0; i--)
                nq_close(db[i]);
            break;
        }
        /* round 0 counts the mutating calls of a workload; later rounds crash inside one */
        faultvfs_reset_counts(fv);
        if (round > 0)
            faultvfs_crash_at(fv, 1 + nq_rng_below(r, mutating ? mutating : 1));
        int res = interleave(db, fv, r, &next_xid, 40, &acked, &nacked, &cap, &c);
        if (round == 0) {
            faultvfs_counts fc;
            faultvfs_get_counts(fv, &fc);
            mutating = fc.mutating;
        }
        for (int i = NCONN3 - 1; i >= 0; i--)
            nq_close(db[i]); /* on a dead disk these fail: that is the crash */
        if (res < 0)
            break;
        faultvfs_crash(fv, nq_rng_next(r), FV_CRASH_POWERLOSS, NULL);
        if (round > 0)
            cuts++;
    }
    if (!failures) { /* the last power cut: recover and verify once more */
        nq_db *db = NULL;
        char msg[600];
        int rc = nq_open(DB3, &o, &db);
        sql_concurrent(db);
        if (rc)
            fail("after power cut %" PRIu64 ": the database does not open: %s", cuts,
                 db ? nq_errmsg(db) : nq_strerror(rc));
        else if (verify(db, acked, nacked, msg, sizeof msg, &ntransfers))
            fail("after power cut %" PRIu64 ": %s", cuts, msg);
        nq_close(db);
    }
    acks = nacked;
    free(acked);
    faultvfs_free(fv);
    printf("bank powerloss: %" PRIu64 " power cuts (~%" PRIu64 " mutating calls per round), %"
           PRIu64 " transfers acknowledged, %d in the database, aborts: %" PRIu64
           " serialization, %" PRIu64 " lock timeout/busy, %" PRIu64 " reads (%" PRIu64
           " busy), %.1f s\n",
           cuts, mutating, acks, ntransfers, c.aborts_ser, c.aborts_lock, c.reads, c.reads_busy,
           crash_now() - t0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    uint64_t seed = crash_env_u64("NQ_BANK_SEED", 1);
    nq_rng r;
    nq_rng_seed(&r, seed);
    part_threads(seed);
    part_engine(seed);
    if (!failures)
        part_kill9(&r);
    if (!failures)
        part_powerloss(&r);
    printf("bank: %d failures\n", failures);
    return failures ? 1 : 0;
}
