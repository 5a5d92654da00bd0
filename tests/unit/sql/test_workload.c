/*
 * test_workload.c — the workload memory (workload.c, workload_sql.c), the index advisor
 * (advisor.c) and neuromorphic indexes.
 *
 * The network alone: co-occurrence orders the weights (exactly the closed form of the
 * Hebbian rule with decay: k co-activations give 1 − (1 − η)^k, then Δ statements later the
 * weight is multiplied by 2^(−Δ/H)); the bounds hold with prune counts; save/load restores
 * every edge and a damaged string (every truncation, byte flips) is refused without harm;
 * templates replace literals. Through SQL: what is learned survives close and reopen; a new
 * database has an empty network; nq_options.workload_off learns nothing; four connections
 * learning at once lose no statement. The advisor recommends the index on the hot equality
 * column of a generated workload with the planner's own costs (cost_before equals the sum of
 * the EXPLAIN costs of the remembered statements) and stops recommending it once it exists.
 * A neuromorphic index whose queries stop is dropped at a decision point, one in use is kept,
 * and a dropped one is rebuilt when its queries come back.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nqdb.h"
#include "sql/workload.h"

#define DB "workload_test.db"

/* ---- the network alone ------------------------------------------------------------------ */
static void learn(wl_net *w, int n, ...)
{
    const char *v[WL_MAX_FEAT];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        v[i] = va_arg(ap, const char *);
    va_end(ap);
    int decide;
    assert_int_equal(wl_learn(w, v, n, NULL, &decide), 0);
}

static double weight(wl_net *w, const char *a, const char *b)
{
    wl_edge *e;
    size_t n;
    assert_int_equal(wl_edges(w, &e, &n), 0);
    double r = -1;
    for (size_t i = 0; i < n; i++)
        if ((!strcmp(e[i].from, a) && !strcmp(e[i].to, b)) || (!strcmp(e[i].from, b) && !strcmp(e[i].to, a)))
            r = e[i].weight;
    wl_edges_free(e, n);
    return r;
}

static void test_hebbian_decay(void **state)
{
    (void)state;
    wl_net *w = wl_new();
    wl_settings s;
    wl_get_settings(w, &s);
    s.half_life = 100;
    s.eta = 0.1;
    assert_int_equal(wl_set_settings(w, &s, NULL), 0);
    for (int i = 0; i < 10; i++)
        learn(w, 2, "t", "t.a:eq");
    for (int i = 0; i < 3; i++)
        learn(w, 2, "t", "t.b:range");
    /* the rule step by step: w <- w·λ + η(1 − w·λ) per co-activation one statement apart,
     * then λ^3 for the 3 statements since t–t.a:eq was last used */
    double lam = exp2(-1.0 / 100), ea = 0, eb = 0;
    for (int k = 0; k < 10; k++)
        ea = (k ? ea * lam : 0) + 0.1 * (1 - (k ? ea * lam : 0));
    ea *= pow(lam, 3);
    for (int k = 0; k < 3; k++)
        eb = (k ? eb * lam : 0) + 0.1 * (1 - (k ? eb * lam : 0));
    double wa = weight(w, "t", "t.a:eq"), wb = weight(w, "t", "t.b:range");
    assert_true(fabs(wa - ea) < 1e-12);
    assert_true(fabs(wb - eb) < 1e-12);
    assert_true(wa > wb);
    /* weights are ordered strongest first */
    wl_edge *e;
    size_t n;
    assert_int_equal(wl_edges(w, &e, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].to, "t.a:eq");
    assert_int_equal(e[0].uses, 10);
    wl_edges_free(e, n);
    /* 200 other statements: both decay by 2^-2 */
    for (int i = 0; i < 200; i++)
        learn(w, 2, "u", "u.x:eq");
    assert_true(fabs(weight(w, "t", "t.a:eq") - ea * 0.25) < 1e-12);
    assert_true(fabs(weight(w, "t", "t.b:range") - eb * 0.25) < 1e-12);
    assert_true(weight(w, "u", "u.x:eq") > weight(w, "t", "t.a:eq"));
    double act = 0; /* activity: Σ λ^(age) over the 13 uses at ticks 1..13, now 213 */
    for (int k = 1; k <= 13; k++)
        act += exp2(-(213.0 - k) / 100);
    assert_true(fabs(wl_activity(w, "t") - act) < 1e-9);
    wl_free(w);
}

static void test_bounded(void **state)
{
    (void)state;
    wl_net *w = wl_new();
    wl_settings s;
    wl_get_settings(w, &s);
    s.max_nodes = 32;
    s.max_synapses = 64;
    s.max_templates = 4;
    assert_int_equal(wl_set_settings(w, &s, NULL), 0);
    char a[32], b[32], t[32];
    for (int i = 0; i < 500; i++) {
        learn(w, 2, "hot", "hot.c:eq"); /* used every time: must survive */
        snprintf(a, sizeof a, "x%d", i);
        snprintf(b, sizeof b, "x%d.c:eq", i);
        snprintf(t, sizeof t, "SELECT %d", i % 7);
        const char *v[2] = {a, b};
        int d;
        assert_int_equal(wl_learn(w, v, 2, t, &d), 0);
        wl_stats st;
        wl_get_stats(w, &st);
        assert_true(st.nodes <= 32);
        assert_true(st.synapses <= 64);
        assert_true(st.templates <= 4);
    }
    wl_stats st;
    wl_get_stats(w, &st);
    assert_true(st.pruned_nodes > 400);
    assert_true(st.pruned_synapses > 400);
    assert_true(st.evicted_templates > 0);
    assert_true(weight(w, "hot", "hot.c:eq") > 0.99);
    wl_free(w);
}

static void test_save_load(void **state)
{
    (void)state;
    wl_net *w = wl_new();
    char a[32];
    for (int i = 0; i < 50; i++) {
        snprintf(a, sizeof a, "t.c%d:eq", i % 9);
        const char *v[3] = {"t", a, "t.z:order"};
        int d;
        assert_int_equal(wl_learn(w, v, 3, i % 2 ? "SELECT * FROM t WHERE c = ?" : "DELETE FROM t", &d), 0);
    }
    assert_int_equal(wl_index_register(w, "ix", "t", "c1", "CREATE NEUROMORPHIC INDEX ix ON t (c1)"), 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal(wl_save(w, &buf, &len), 0);
    wl_net *r = wl_new();
    nq_err e;
    nq_err_clear(&e);
    assert_int_equal(wl_load(r, buf, len, &e), 0);
    wl_edge *e1, *e2;
    size_t n1, n2;
    assert_int_equal(wl_edges(w, &e1, &n1), 0);
    assert_int_equal(wl_edges(r, &e2, &n2), 0);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        assert_string_equal(e1[i].from, e2[i].from);
        assert_string_equal(e1[i].to, e2[i].to);
        assert_true(e1[i].weight == e2[i].weight);
        assert_int_equal(e1[i].uses, e2[i].uses);
    }
    wl_edges_free(e1, n1);
    wl_edges_free(e2, n2);
    wl_index *ix;
    size_t nix;
    assert_int_equal(wl_indexes(r, &ix, &nix), 0);
    assert_int_equal(nix, 1);
    assert_string_equal(ix[0].create_sql, "CREATE NEUROMORPHIC INDEX ix ON t (c1)");
    wl_indexes_free(ix, nix);
    /* every truncation is refused and leaves the network as it was */
    for (size_t k = 0; k < len; k++) {
        assert_int_equal(wl_load(r, buf, k, &e), NQ_ECORRUPT);
        wl_stats st;
        wl_get_stats(r, &st);
        assert_int_equal(st.clock, 50);
    }
    /* byte flips: refused or accepted, never harmful (ASan) */
    uint8_t *copy = malloc(len);
    for (size_t k = 0; k < len; k += 3) {
        memcpy(copy, buf, len);
        copy[k] ^= 0x5a;
        wl_load(r, copy, len, &e);
        wl_edge *x;
        size_t nx;
        if (wl_edges(r, &x, &nx) == 0)
            wl_edges_free(x, nx);
    }
    free(copy);
    free(buf);
    wl_free(r);
    wl_free(w);
}

static void test_template(void **state)
{
    (void)state;
    char out[256];
    const char *q = "SELECT  a, 'it''s' FROM t1 -- c\n WHERE x = 42 AND y > -1.5e3 AND z = X'ab' AND \"q 1\" = 7;";
    wl_template_of(q, strlen(q), out, sizeof out);
    assert_string_equal(out, "SELECT a, ? FROM t1 WHERE x = ? AND y > -? AND z = ? AND \"q 1\" = ?");
    wl_template_of(q, strlen(q), out, 10);
    assert_string_equal(out, "SELECT a,");
}

/* ---- through SQL ------------------------------------------------------------------------- */
static nq_db *open_db(int fresh, int off)
{
    if (fresh) {
        unlink(DB);
        unlink(DB "-wal");
    }
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    o.workload_off = off;
    nq_db *db = NULL;
    assert_int_equal(nq_open(DB, &o, &db), 0);
    return db;
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL))
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

static void execf(nq_db *db, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    exec_ok(db, sql);
}

/* All rows of a query as "v|v|v\n" lines. */
static char *rows(nq_db *db, const char *sql)
{
    nq_stmt *st;
    if (nq_prepare(db, sql, strlen(sql), &st, NULL))
        fail_msg("%s: %s", sql, nq_errmsg(db));
    size_t cap = 4096, n = 0;
    char *out = calloc(1, cap);
    int rc;
    while ((rc = nq_step(st)) == NQ_ROW) {
        for (int i = 0; i < nq_column_count(st); i++) {
            const char *v = nq_column_text(st, i);
            size_t k = strlen(v ? v : "NULL") + 2;
            if (n + k + 1 > cap)
                out = realloc(out, cap = (n + k + 1) * 2);
            n += (size_t)snprintf(out + n, cap - n, "%s%s", v ? v : "NULL", i + 1 < nq_column_count(st) ? "|" : "\n");
        }
    }
    if (rc != NQ_DONE)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    nq_finalize(st);
    return out;
}

static double scalar(nq_db *db, const char *sql)
{
    nq_stmt *st;
    if (nq_prepare(db, sql, strlen(sql), &st, NULL))
        fail_msg("%s: %s", sql, nq_errmsg(db));
    double v = nq_step(st) == NQ_ROW ? nq_column_double(st, 0) : NAN;
    nq_finalize(st);
    return v;
}

static void make_tables(nq_db *db)
{
    exec_ok(db, "CREATE TABLE o(id INTEGER PRIMARY KEY, cust INT, amt INT, day INT)");
    exec_ok(db, "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 3000) "
                "INSERT INTO o SELECT x, x % 150, x % 7, x % 365 FROM g");
    exec_ok(db, "CREATE TABLE c(id INTEGER PRIMARY KEY, region INT)");
    exec_ok(db, "WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < 149) "
                "INSERT INTO c SELECT x, x % 5 FROM g");
}

static void test_sql_persists(void **state)
{
    (void)state;
    nq_db *db = open_db(1, 0);
    char *empty = rows(db, "SHOW SYNAPTIC NETWORK");
    assert_string_equal(empty, ""); /* a new database: nothing learned, no error */
    free(empty);
    make_tables(db);
    for (int i = 0; i < 20; i++)
        execf(db, "SELECT count(*) FROM o WHERE cust = %d", i);
    for (int i = 0; i < 5; i++)
        execf(db, "SELECT * FROM o JOIN c ON o.cust = c.id WHERE c.region = %d ORDER BY o.day", i);
    char *before = rows(db, "SELECT * FROM nq_synaptic_network");
    char *nodes = rows(db, "SELECT node, kind FROM nq_synaptic_nodes ORDER BY node");
    assert_non_null(strstr(nodes, "o.cust:eq|predicate"));
    assert_non_null(strstr(nodes, "o.cust:join|predicate"));
    assert_non_null(strstr(nodes, "c.id:join|predicate"));
    assert_non_null(strstr(nodes, "c.region:eq|predicate"));
    assert_non_null(strstr(nodes, "o.day:order|predicate"));
    free(nodes);
    /* the strongest synapse is between o and its hot equality predicate */
    assert_true(!strncmp(before, "o|o.cust:eq|", 12) || !strncmp(before, "o|o.cust|", 9) ||
                !strncmp(before, "o.cust|o.cust:eq|", 17));
    assert_int_equal(nq_close(db), 0);
    db = open_db(0, 0);
    char *after = rows(db, "SELECT * FROM nq_synaptic_network");
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_true(scalar(db, "SELECT value FROM nq_workload_stats WHERE name = 'statements'") >= 25);
    nq_close(db);
}

static void test_sql_off(void **state)
{
    (void)state;
    nq_db *db = open_db(1, 1);
    make_tables(db);
    for (int i = 0; i < 10; i++)
        execf(db, "SELECT count(*) FROM o WHERE cust = %d", i);
    char *r = rows(db, "SHOW SYNAPTIC NETWORK");
    assert_string_equal(r, "");
    free(r);
    assert_true(scalar(db, "SELECT value FROM nq_workload_stats WHERE name = 'learning'") == 0);
    /* nothing learned: nothing saved at close (the database is as the statements left it) */
    nq_close(db);
    db = open_db(0, 1);
    nq_tree *t;
    assert_int_equal(nq_tree_open(db, "sql:synaptic", 0, &t), NQ_ENOTFOUND);
    /* the SQL switch too */
    nq_close(db);
    db = open_db(1, 0);
    make_tables(db);
    exec_ok(db, "SYNAPTIC_OPTIMIZE WITH LEARNING OFF");
    double n0 = scalar(db, "SELECT value FROM nq_workload_stats WHERE name = 'statements'");
    execf(db, "SELECT count(*) FROM o WHERE cust = 1");
    assert_true(scalar(db, "SELECT value FROM nq_workload_stats WHERE name = 'statements'") == n0);
    exec_ok(db, "SYNAPTIC_OPTIMIZE WITH LEARNING ON");
    execf(db, "SELECT count(*) FROM o WHERE cust = 1");
    assert_true(scalar(db, "SELECT value FROM nq_workload_stats WHERE name = 'statements'") == n0 + 1);
    assert_int_not_equal(nq_exec(db, "SYNAPTIC_OPTIMIZE WITH HALF_LIFE 0", NULL, NULL), 0);
    assert_int_not_equal(nq_exec(db, "SYNAPTIC_OPTIMIZE WITH BOGUS 1", NULL, NULL), 0);
    nq_close(db);
}

typedef struct thr {
    nq_db *db;
    int id;
} thr;

static void *worker(void *arg)
{
    thr *t = arg;
    char sql[128];
    for (int i = 0; i < 50; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM o WHERE %s = %d", t->id % 2 ? "cust" : "day", i);
        if (nq_exec(t->db, sql, NULL, NULL))
            return (void *)1;
    }
    return NULL;
}

static void test_sql_threads(void **state)
{
    (void)state;
    nq_db *db = open_db(1, 0);
    make_tables(db);
    exec_ok(db, "SYNAPTIC_OPTIMIZE WITH RESET ON");
    pthread_t th[4];
    thr a[4];
    for (int i = 0; i < 4; i++) {
        a[i].id = i;
        assert_int_equal(nq_clone(db, &a[i].db), 0);
        pthread_create(&th[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
        nq_close(a[i].db);
    }
    assert_true(scalar(db, "SELECT value FROM nq_workload_stats WHERE name = 'statements'") == 200);
    assert_true(scalar(db, "SELECT uses FROM nq_synaptic_network WHERE \"from\" = 'o' AND \"to\" = 'o.cust:eq'") == 100);
    nq_close(db);
}

static void test_advisor(void **state)
{
    (void)state;
    nq_db *db = open_db(1, 0);
    make_tables(db);
    exec_ok(db, "CREATE INDEX o_day_existing ON o(day)");
    exec_ok(db, "SYNAPTIC_OPTIMIZE WITH RESET ON");
    /* skewed: cust equality 30 times, day (indexed) 20 times, amt range 3 times */
    for (int i = 0; i < 30; i++)
        execf(db, "SELECT sum(amt) FROM o WHERE cust = %d", i);
    for (int i = 0; i < 20; i++)
        execf(db, "SELECT count(*) FROM o WHERE day = %d", i);
    for (int i = 0; i < 3; i++)
        execf(db, "SELECT count(*) FROM o WHERE amt > %d", i);
    char *adv = rows(db, "SELECT id, columns, index_type, create_statement FROM nq_index_advice");
    assert_true(!strncmp(adv, "o_cust_idx|cust|BTREE|CREATE INDEX o_cust_idx ON o (cust)\n", 57));
    assert_null(strstr(adv, "|day|")); /* indexed already */
    free(adv);
    /* the benefit is the planner's: cost_before is the weighted EXPLAIN cost of the statement */
    double before = scalar(db, "SELECT cost_before FROM nq_index_advice WHERE columns = 'cust'");
    double weightc = 0;
    {
        char *tp = rows(db, "SELECT 1");
        free(tp);
    }
    char *plan = rows(db, "EXPLAIN SELECT sum(amt) FROM o WHERE cust = ?");
    const char *p = strstr(plan, "cost=");
    assert_non_null(p);
    double top = atof(p + 5);
    free(plan);
    /* the template's weight is its decayed count: 30 uses, the last 23 statements ago */
    double H = scalar(db, "SELECT value FROM nq_workload_stats WHERE name = 'half_life'");
    for (int k = 0; k < 30; k++)
        weightc += exp2(-(double)(29 - k + 23) / H);
    assert_true(fabs(before - weightc * top) <= 0.5 + 1e-3 * before);
    assert_true(scalar(db, "SELECT cost_after FROM nq_index_advice WHERE columns = 'cust'") < before / 2);
    assert_true(scalar(db, "SELECT affected_query_count FROM nq_index_advice WHERE columns = 'cust'") == 30);
    assert_true(scalar(db, "SELECT full_scan_queries FROM nq_advisor_statistics") >= 30);
    /* applied, it is not recommended again */
    exec_ok(db, "CREATE INDEX o_cust_idx ON o(cust)");
    adv = rows(db, "SELECT columns FROM nq_index_advice");
    assert_null(strstr(adv, "cust\n"));
    free(adv);
    nq_close(db);
}

static void test_neuromorphic(void **state)
{
    (void)state;
    nq_db *db = open_db(1, 0);
    make_tables(db);
    exec_ok(db, "SYNAPTIC_OPTIMIZE WITH RESET ON HALF_LIFE 20 MIN_AGE 50 DECIDE_EVERY 25 DROP_THRESHOLD 0.5 REBUILD_THRESHOLD 3");
    exec_ok(db, "CREATE NEUROMORPHIC INDEX o_amt_n ON o(amt)");
    exec_ok(db, "CREATE NEUROMORPHIC INDEX o_cust_n ON o(cust)");
    char *r = rows(db, "SELECT name, state FROM nq_neuromorphic_indexes");
    assert_string_equal(r, "o_amt_n|active\no_cust_n|active\n");
    free(r);
    /* it is a real index: the planner uses it */
    r = rows(db, "EXPLAIN SELECT * FROM o WHERE amt = 3");
    assert_non_null(strstr(r, "USING INDEX o_amt_n"));
    free(r);
    /* 100 statements on cust only: amt's queries stopped */
    for (int i = 0; i < 100; i++)
        execf(db, "SELECT count(*) FROM o WHERE cust = %d", i);
    r = rows(db, "SELECT name, state, drops FROM nq_neuromorphic_indexes");
    assert_string_equal(r, "o_amt_n|dropped|1\no_cust_n|active|0\n");
    free(r);
    r = rows(db, "EXPLAIN SELECT * FROM o WHERE amt = 3");
    assert_null(strstr(r, "o_amt_n"));
    free(r);
    /* amt comes back: rebuilt at the next decision point, then cust stops and goes (its
     * strength, about 1/(1 − λ) ≈ 29 when its queries stopped, halves every 20 statements) */
    for (int i = 0; i < 160; i++)
        execf(db, "SELECT count(*) FROM o WHERE amt = %d", i % 7);
    r = rows(db, "SELECT name, state, drops, rebuilds FROM nq_neuromorphic_indexes");
    assert_string_equal(r, "o_amt_n|active|1|1\no_cust_n|dropped|1|0\n");
    free(r);
    r = rows(db, "EXPLAIN SELECT * FROM o WHERE amt = 3");
    assert_non_null(strstr(r, "USING INDEX o_amt_n"));
    free(r);
    /* the rebuilt index is complete: the same count as a scan */
    assert_true(scalar(db, "SELECT count(*) FROM o WHERE amt = 3") == 429);
    assert_true(scalar(db, "SELECT count(*) FROM o WHERE amt + 0 = 3") == 429);
    /* SYNAPTIC_OPTIMIZE INDEX: a decision now, one row */
    r = rows(db, "SYNAPTIC_OPTIMIZE INDEX o_amt_n");
    assert_non_null(strstr(r, "o_amt_n|o|keep|"));
    free(r);
    assert_int_not_equal(nq_exec(db, "SYNAPTIC_OPTIMIZE INDEX nosuch", NULL, NULL), 0);
    /* the state survives a reopen; a user's DROP INDEX takes it off the registry */
    nq_close(db);
    db = open_db(0, 0);
    r = rows(db, "SELECT name, state FROM nq_neuromorphic_indexes");
    assert_string_equal(r, "o_amt_n|active\no_cust_n|dropped\n");
    free(r);
    exec_ok(db, "DROP INDEX o_amt_n");
    exec_ok(db, "SYNAPTIC_OPTIMIZE");
    r = rows(db, "SELECT name FROM nq_neuromorphic_indexes");
    assert_string_equal(r, "o_cust_n\n");
    free(r);
    nq_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hebbian_decay), cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_save_load),     cmocka_unit_test(test_template),
        cmocka_unit_test(test_sql_persists),  cmocka_unit_test(test_sql_off),
        cmocka_unit_test(test_sql_threads),   cmocka_unit_test(test_advisor),
        cmocka_unit_test(test_neuromorphic),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(DB);
    unlink(DB "-wal");
    return rc;
}
