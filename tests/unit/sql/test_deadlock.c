/*
 * test_deadlock.c — deadlocks, lock timeouts and NOWAIT through SQL on several connections
 * (tests/support/stepsched.h runs each connection on its own thread).
 *
 * Cycles: k transactions (k = 2, 3 and 8) each update their own row i, then the row of the
 * next one, i + 1 (the last one row 1), which closes a wait-for cycle. Exactly one of them
 * must get NQ_EDEADLOCK (40P01) with a message that says "deadlock detected" and names every
 * transaction of the cycle and the table; it is rolled back, and each of the others then gets
 * its lock in chain order. At READ COMMITTED every one of them finishes its update and
 * commits. At REPEATABLE READ and SERIALIZABLE a waiter whose holder committed finds the row
 * changed after its snapshot and fails with 40001 (as in PostgreSQL), which frees the next
 * waiter to commit: the outcome of each is exact. The data must show exactly the committed
 * updates. Which transaction is the victim depends on which wait runs the deadlock check
 * first (deadlock_timeout), so the test accepts any one, and only one.
 *
 * lock_timeout: a wait longer than nq_options.lock_timeout_ms fails the statement with
 * NQ_ELOCKTIMEOUT (55P03); the statement is undone and the transaction goes on (our
 * documented rule for failed statements). FOR UPDATE: locks a row against writers and other
 * FOR UPDATE; NOWAIT fails at once with 55P03 instead of waiting.
 *
 * SQL transactions run as the engine's concurrent transactions only where the session is
 * switched to them (sess_set_concurrent, as test_txn_sql does) until the SQL layer makes that
 * the default; every connection here is switched on.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql/session.h"
#include "sqlscript.h"
#include "stepsched.h"
#include "testfiles.h"

#define DB "deadlock.db"
#define MAXK 8

static const char *const level_name[] = {"read committed", "repeatable read", "serializable"};

static ss_sched *open_db(int nconn, int nrows, unsigned lock_timeout_ms)
{
    tf_rm_db(DB);
    nq_options o;
    nq_options_init(&o);
    o.deadlock_timeout_ms = 50; /* the check runs soon; the victim is whoever checks first */
    o.lock_timeout_ms = lock_timeout_ms;
    char why[512];
    ss_sched *s = ss_open(DB, &o, nconn, why, sizeof why);
    if (!s)
        fail_msg("%s", why);
    for (int i = 0; i < nconn; i++) /* SQL transactions as concurrent ones (see the top) */
        sess_set_concurrent(sql_session_get(ss_db(s, i)), 1);
    char sql[4096];
    int n = snprintf(sql, sizeof sql, "create table test (id int primary key, value int);"
                                      "insert into test (id, value) values ");
    for (int i = 1; i <= nrows; i++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, "%s(%d, %d)", i > 1 ? ", " : "", i,
                      10 * i);
    if (tsql_exec(ss_db(s, 0), sql))
        fail_msg("setup: %s", nq_errmsg(ss_db(s, 0)));
    return s;
}

static void issue_ok(ss_sched *s, int c, const char *sql)
{
    int r = ss_issue(s, c, sql);
    if (r != 1)
        fail_msg("T%d: %s: %s", c + 1, sql, r ? "neither finished nor blocked" : "blocks");
    ss_finish(s, c);
    if (ss_rc(s, c))
        fail_msg("T%d: %s: error %d: %s", c + 1, sql, ss_rc(s, c), ss_msg(s, c));
}

/* Whether the deadlock message m names transaction id: "transaction <id> ", "<id> waits for"
 * or "held by <id>" (the number as a whole). */
static int names_txn(const char *m, uint64_t id)
{
    char forms[3][64];
    snprintf(forms[0], sizeof forms[0], "transaction %" PRIu64, id);
    snprintf(forms[1], sizeof forms[1], "%" PRIu64 " waits for", id);
    snprintf(forms[2], sizeof forms[2], "held by %" PRIu64, id);
    for (int f = 0; f < 3; f++)
        for (const char *p = strstr(m, forms[f]); p; p = strstr(p + 1, forms[f])) {
            const char *end = p + strlen(forms[f]);
            int digit_before = f == 1 && p > m && p[-1] >= '0' && p[-1] <= '9';
            int digit_after = f != 1 && *end >= '0' && *end <= '9';
            if (!digit_before && !digit_after)
                return 1;
        }
    return 0;
}

static void check_victim(ss_sched *s, int c, int k, const uint64_t *txid, int names_all)
{
    const char *m = ss_msg(s, c);
    if (!strstr(m, "deadlock detected"))
        fail_msg("victim T%d: message does not say \"deadlock detected\": %s", c + 1, m);
    for (int j = 0; j < k; j++) /* "transaction 12 waits for ..." or, compact, "12 waits ..." */
        if ((names_all || j == c) && !names_txn(m, txid[j]))
            fail_msg("victim T%d: message (%zu bytes) does not name transaction %" PRIu64
                     " of the cycle: %s", c + 1, strlen(m), txid[j], m);
    if (!strstr(m, "test"))
        fail_msg("victim T%d: message does not name the table: %s", c + 1, m);
    assert_string_equal(nq_sqlstate(NQ_EDEADLOCK), "40P01");
    int mode;
    if (nq_in_txn(ss_db(s, c), &mode))
        fail_msg("victim T%d: its transaction is still open", c + 1);
    issue_ok(s, c, "rollback"); /* ends the failed transaction block */
}

/* The outcome of a cycle, taken statement by statement. */
typedef struct chain {
    ss_sched *s;
    int k, lv, names_all;
    const uint64_t *txid;
    int victim;
    int committed[MAXK], aborted[MAXK];
} chain;

/* Take the finished (collected) statement of c. c waited for the row its holder h = c + 1
 * wrote first. The engine ends a transaction that fails with 40001 or 40P01 at once, so h
 * may free the row before this test has taken h's result: take h's first (it finishes
 * without waiting for anything). A holder that committed changed the row after c's
 * snapshot: READ COMMITTED reruns the statement, the other levels fail it with 40001 (as
 * PostgreSQL does); a holder rolled back changed nothing. */
static void chain_take(chain *ch, int c)
{
    ss_sched *s = ch->s;
    int rc = ss_rc(s, c);
    if (rc == NQ_EDEADLOCK) {
        if (ch->victim >= 0)
            fail_msg("a second victim: T%d and T%d both got 40P01 (%s)", ch->victim + 1, c + 1,
                     ss_msg(s, c));
        ch->victim = c;
        check_victim(s, c, ch->k, ch->txid, ch->names_all);
        ch->aborted[c] = 1;
        return;
    }
    int h = (c + 1) % ch->k;
    if (!ch->committed[h] && !ch->aborted[h]) {
        if (!ss_running(s, h) || ss_finish(s, h) < 0)
            fail_msg("T%d finished (%d: %s) while its holder T%d is still open", c + 1, rc,
                     ss_msg(s, c), h + 1);
        chain_take(ch, h);
    }
    int want = ch->committed[h] && ch->lv > 0 ? NQ_ESERIALIZE : 0;
    if (rc != want)
        fail_msg("T%d (holder T%d %s): expected %s, got %d (%s): %s", c + 1, h + 1,
                 ch->committed[h] ? "committed" : "rolled back", want ? "40001" : "success", rc,
                 nq_sqlstate(rc), ss_msg(s, c));
    if (rc == 0) {
        issue_ok(s, c, "commit");
        ch->committed[c] = 1;
    } else {
        issue_ok(s, c, "rollback");
        ch->aborted[c] = 1;
    }
}

/* names_all: the victim's message must name every transaction of the cycle (else at least
 * the victim itself). */
static void cycle(int k, int lv, int names_all)
{
    ss_sched *s = open_db(k, k, 0);
    char sql[256];
    uint64_t txid[MAXK];
    for (int i = 0; i < k; i++) {
        snprintf(sql, sizeof sql, "begin isolation level %s", level_name[lv]);
        issue_ok(s, i, sql);
        snprintf(sql, sizeof sql, "update test set value = value + 1 where id = %d", i + 1);
        issue_ok(s, i, sql);
        nq_txn_info info;
        int rc = nq_txn_info_get(ss_db(s, i), &info);
        if (rc || !info.txid)
            fail_msg("T%d: nq_txn_info_get: %d, txid %" PRIu64, i + 1, rc, rc ? 0 : info.txid);
        txid[i] = info.txid;
    }
    /* T(i) now waits for T(i+1); the last one closes the cycle */
    int victim = -1;
    for (int i = 0; i < k; i++) {
        snprintf(sql, sizeof sql, "update test set value = value + 1 where id = %d",
                 (i + 1) % k + 1);
        int r = ss_issue(s, i, sql);
        if (r < 0)
            fail_msg("T%d: %s: neither finished nor blocked", i + 1, sql);
        if (r == 1 && i < k - 1)
            fail_msg("T%d: %s: did not block (error %d: %s)", i + 1, sql, ss_rc(s, i),
                     ss_msg(s, i));
    }
    /* collect: one victim; then each waiter gets the row its holder had, in chain order */
    chain ch = {.s = s, .k = k, .lv = lv, .names_all = names_all, .txid = txid, .victim = -1};
    int conns[MAXK];
    for (int i = 0; i < k; i++)
        conns[i] = i;
    for (;;) {
        int c = ss_finish_any(s, conns, k);
        if (c < 0)
            break;
        chain_take(&ch, c);
    }
    victim = ch.victim;
    int *committed = ch.committed, *aborted = ch.aborted;
    if (victim < 0)
        fail_msg("no victim: the cycle of %d was not detected (or a wait never ended)", k);
    for (int i = 0; i < k; i++)
        if (!committed[i] && !aborted[i])
            fail_msg("T%d never finished (still running: %d)", i + 1, ss_running(s, i));
    /* row r (1-based) got +1 from T(r) and +1 from T(r-1)'s second update, if they committed */
    char want[512] = "";
    size_t n = 0;
    for (int r = 1; r <= k; r++) {
        int own = r - 1, prev = (r - 2 + k) % k;
        int v = 10 * r + committed[own] + committed[prev];
        n += (size_t)snprintf(want + n, sizeof want - n, "%s%d,%d", r > 1 ? ";" : "", r, v);
    }
    issue_ok(s, 0, "select * from test");
    if (strcmp(ss_rows(s, 0), want) != 0)
        fail_msg("after the cycle (victim T%d): rows [%s], expected [%s]", victim + 1,
                 ss_rows(s, 0), want);
    nq_stats st;
    assert_int_equal(nq_get_stats(ss_db(s, 0), &st), 0);
    assert_int_equal(st.txn_deadlocks, 1);
    assert_int_equal(ss_close(s), 0);
    tf_rm_db(DB);
}

static void test_cycle2_rc(void **state) { (void)state; cycle(2, 0, 1); }
static void test_cycle2_rr(void **state) { (void)state; cycle(2, 1, 1); }
static void test_cycle2_ser(void **state) { (void)state; cycle(2, 2, 1); }
static void test_cycle3_rc(void **state) { (void)state; cycle(3, 0, 1); }
static void test_cycle3_rr(void **state) { (void)state; cycle(3, 1, 1); }
static void test_cycle3_ser(void **state) { (void)state; cycle(3, 2, 1); }
/* The 8-cycles check everything but that the message names all eight transactions (the
 * victim itself must be named): test_cycle8_names holds that, and is disabled for now. */
static void test_cycle8_rc(void **state) { (void)state; cycle(8, 0, 0); }
static void test_cycle8_rr(void **state) { (void)state; cycle(8, 1, 0); }
static void test_cycle8_ser(void **state) { (void)state; cycle(8, 2, 0); }

/* Every member of an 8-transaction cycle is named although the message is cut at
 * NQ_ERRMSG_MAX (512) bytes: the lock manager lists the members first. */
static void test_cycle8_names(void **state)
{
    (void)state;
    cycle(8, 0, 1);
}

static void run_steps(ss_sched *s, const ss_step *steps, size_t n)
{
    char why[2048];
    int r = ss_run(s, steps, n, why, sizeof why);
    int cr = ss_close(s);
    if (r)
        fail_msg("%s", why);
    assert_int_equal(cr, 0);
    tf_rm_db(DB);
}

#define OK {SS_OK, 0, NULL}
#define R(rows) {SS_ROWS, 0, rows}
#define E(code) {SS_ERR, code, NULL}
#define BLOCKS {SS_BLOCKS, 0, NULL}

/* A wait longer than lock_timeout fails the statement (55P03); the transaction goes on. */
static void test_lock_timeout(void **state)
{
    (void)state;
    ss_sched *s = open_db(2, 2, 100);
    static const ss_step steps[] = {
        {0, "begin", OK},
        {0, "update test set value = 11 where id = 1", OK},
        {1, "begin", OK},
        {1, "update test set value = 12 where id = 1", E(NQ_ELOCKTIMEOUT)},
        {1, "update test set value = 22 where id = 2", OK},
        {1, "commit", OK},
        {0, "commit", OK},
        {0, "select * from test", R("1,11;2,22")},
    };
    char why[2048];
    /* the statement blocks first and then fails: ss_run would stop at "blocks", so issue it
     * by hand and await the timeout */
    if (ss_run(s, steps, 3, why, sizeof why))
        fail_msg("%s", why);
    int r = ss_issue(s, 1, steps[3].sql);
    if (r < 0 || (r == 0 && ss_finish(s, 1) < 0))
        fail_msg("the lock wait did not end within the safety limit (lock_timeout 100 ms)");
    if (r == 1)
        ss_finish(s, 1);
    if (ss_rc(s, 1) != NQ_ELOCKTIMEOUT)
        fail_msg("expected 55P03, got %d: %s", ss_rc(s, 1), ss_msg(s, 1));
    assert_string_equal(nq_sqlstate(NQ_ELOCKTIMEOUT), "55P03");
    if (!strstr(ss_msg(s, 1), "lock timeout"))
        fail_msg("the message does not say \"lock timeout\": %s", ss_msg(s, 1));
    run_steps(s, steps + 4, sizeof steps / sizeof steps[0] - 4);
}

/* FOR UPDATE locks the row against writers and FOR UPDATE; NOWAIT does not wait. */
static void for_update(int lv)
{
    ss_sched *s = open_db(3, 2, 0);
    char b0[64], b1[64];
    snprintf(b0, sizeof b0, "begin isolation level %s", level_name[lv]);
    snprintf(b1, sizeof b1, "%s", b0);
    const ss_step steps[] = {
        {0, b0, OK},
        {0, "select * from test where id = 1 for update", R("1,10")},
        {1, b1, OK},
        {1, "select * from test where id = 1 for update nowait", E(NQ_ELOCKTIMEOUT)},
        {1, "select * from test where id = 2 for update nowait", R("2,20")},
        {2, "update test set value = 21 where id = 2", BLOCKS}, /* autocommit writer waits */
        {1, "select * from test where id = 1 for update", BLOCKS},
        {0, "update test set value = 11 where id = 1", OK},
        {0, "commit", OK},
        /* T2's snapshot predates T1's change: READ COMMITTED rereads the row, the other
         * levels fail (the row changed after the snapshot) */
        {1, SS_AWAIT, lv == 0 ? (ss_expect)R("1,11") : (ss_expect)E(NQ_ESERIALIZE)},
        {1, lv == 0 ? "commit" : "-- rolled back", lv == 0 ? (ss_expect)OK
                                                           : (ss_expect){SS_NOTXN, 0, NULL}},
        {1, lv == 0 ? "select 1" : "rollback", lv == 0 ? (ss_expect)R("1") : (ss_expect)OK},
        {2, SS_AWAIT, OK}, /* T2's lock on row 2 is gone: the autocommit update ran */
        {0, "select * from test", R("1,11;2,21")},
    };
    run_steps(s, steps, sizeof steps / sizeof steps[0]);
}

static void test_for_update_nowait_rc(void **state) { (void)state; for_update(0); }
static void test_for_update_nowait_rr(void **state) { (void)state; for_update(1); }

/* A lock taken by FOR UPDATE and released by a commit that wrote nothing is no conflict at
 * REPEATABLE READ: the row did not change. */
static void test_for_update_no_change(void **state)
{
    (void)state;
    ss_sched *s = open_db(2, 2, 0);
    static const ss_step steps[] = {
        {0, "begin isolation level repeatable read", OK},
        {0, "select * from test where id = 1 for update", R("1,10")},
        {1, "begin isolation level repeatable read", OK},
        {1, "update test set value = 12 where id = 1", BLOCKS},
        {0, "commit", OK},
        {1, SS_AWAIT, OK},
        {1, "commit", OK},
        {0, "select * from test", R("1,12;2,20")},
    };
    run_steps(s, steps, sizeof steps / sizeof steps[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cycle2_rc),   cmocka_unit_test(test_cycle2_rr),
        cmocka_unit_test(test_cycle2_ser),  cmocka_unit_test(test_cycle3_rc),
        cmocka_unit_test(test_cycle3_rr),   cmocka_unit_test(test_cycle3_ser),
        cmocka_unit_test(test_cycle8_rc),   cmocka_unit_test(test_cycle8_rr),
        cmocka_unit_test(test_cycle8_ser),  cmocka_unit_test(test_cycle8_names),
        cmocka_unit_test(test_lock_timeout),
        cmocka_unit_test(test_for_update_nowait_rc), cmocka_unit_test(test_for_update_nowait_rr),
        cmocka_unit_test(test_for_update_no_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
