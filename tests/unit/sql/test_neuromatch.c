/*
 * test_neuromatch.c — NEUROMATCH beyond what a .test script can check (tests/sql/neuromatch.test
 * has the hand-computed scores):
 *   - the similarity against an independent, naive implementation of upstream's formula
 *     (full Levenshtein matrix, words split with strtok) on seeded random ASCII strings;
 *   - reading NEUROMATCH on a database that never learned creates nothing (old databases open
 *     and read unchanged);
 *   - what feedback learns is durable: it survives closing and reopening the database, and the
 *     ranking it changed is the ranking after the reopen;
 *   - a feedback statement is not read-only, a plain NEUROMATCH is;
 *   - the same query gives the same rows and scores every time (determinism);
 *   - a Hopfield memory learned by LEARN PATTERN from a table of random +-1 rows (N = 100
 *     neurons, 5 patterns: load 0.05, below the 0.138 capacity) survives a reopen, and every
 *     stored row is recalled from a probe with 10 % of its bits flipped; ADAPT WEIGHTS' changes
 *     survive a reopen too.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/rand.h"
#include "nqdb.h"
#include "sql/neuromatch.h"

#define DB "neuromatch_test.db"

static nq_db *open_db(int fresh)
{
    if (fresh) {
        unlink(DB);
        unlink(DB "-wal");
    }
    nq_options o;
    nq_options_init(&o);
    o.sync = NQ_SYNC_OFF;
    nq_db *db = NULL;
    assert_int_equal(nq_open(DB, &o, &db), 0);
    return db;
}

static void exec_ok(nq_db *db, const char *sql)
{
    if (nq_exec(db, sql, NULL, NULL))
        fail_msg("%s: %s", sql, nq_errmsg(db));
}

/* All rows as "a|b|\n" text into out (cap bytes). */
static void rows_of(nq_db *db, const char *sql, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    nq_stmt *st = NULL;
    if (nq_prepare(db, sql, (size_t)-1, &st, NULL))
        fail_msg("%s: %s", sql, nq_errmsg(db));
    int rc;
    while ((rc = nq_step(st)) == NQ_ROW)
        for (int i = 0; i < nq_column_count(st); i++) {
            const char *t = nq_column_text(st, i);
            n += (size_t)snprintf(out + n, cap - n, "%s%s", t ? t : "NULL",
                                  i + 1 == nq_column_count(st) ? "\n" : "|");
        }
    if (rc != NQ_DONE)
        fail_msg("%s: %s", sql, nq_errmsg(db));
    nq_finalize(st);
}

/* ---- the naive reference -------------------------------------------------------------------- */
static size_t ref_lev(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t *m = malloc((na + 1) * (nb + 1) * sizeof *m);
    for (size_t i = 0; i <= na; i++)
        for (size_t j = 0; j <= nb; j++) {
            size_t v;
            if (!i)
                v = j;
            else if (!j)
                v = i;
            else {
                v = m[(i - 1) * (nb + 1) + j - 1] + (a[i - 1] != b[j - 1]);
                if (m[(i - 1) * (nb + 1) + j] + 1 < v)
                    v = m[(i - 1) * (nb + 1) + j] + 1;
                if (m[i * (nb + 1) + j - 1] + 1 < v)
                    v = m[i * (nb + 1) + j - 1] + 1;
            }
            m[i * (nb + 1) + j] = v;
        }
    size_t d = m[na * (nb + 1) + nb];
    free(m);
    return d;
}

static int split(char *s, char **w)
{
    int n = 0;
    for (char *t = strtok(s, " \t"); t; t = strtok(NULL, " \t"))
        w[n++] = t;
    return n;
}

static double ref_sim(const char *value, const char *pattern)
{
    char v[128], p[128];
    size_t i;
    for (i = 0; value[i]; i++)
        v[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ? value[i] + 32 : value[i]);
    v[i] = 0;
    for (i = 0; pattern[i]; i++)
        p[i] = (char)(pattern[i] >= 'A' && pattern[i] <= 'Z' ? pattern[i] + 32 : pattern[i]);
    p[i] = 0;
    if (strstr(v, p))
        return 1.0;
    char *vw[64], *pw[64];
    int nv = split(v, vw), np = split(p, pw);
    if (!nv || !np)
        return 0;
    int matches = 0;
    double sum = 0;
    for (int k = 0; k < np; k++) {
        double best = 0;
        for (int j = 0; j < nv; j++) {
            double s;
            if (strstr(vw[j], pw[k]) || strstr(pw[k], vw[j]))
                s = 1;
            else {
                size_t mx = strlen(vw[j]) > strlen(pw[k]) ? strlen(vw[j]) : strlen(pw[k]);
                s = 1.0 - (double)ref_lev(vw[j], pw[k]) / (double)mx;
            }
            if (s > best)
                best = s;
        }
        matches += best > 0.7;
        sum += best;
    }
    double s = 0.7 * matches / np + 0.3 * sum / np;
    return s < 0.3 ? 0 : s;
}

static void rand_text(nq_rng *r, char *out, int maxw)
{
    static const char *alpha = "abcdeABE";
    int nw = (int)nq_rng_below(r, (uint64_t)maxw + 1), k = 0;
    if (nq_rng_below(r, 8) == 0)
        out[k++] = ' ';
    for (int w = 0; w < nw; w++) {
        if (w)
            out[k++] = nq_rng_below(r, 4) ? ' ' : '\t';
        int len = 1 + (int)nq_rng_below(r, 6);
        for (int i = 0; i < len; i++)
            out[k++] = alpha[nq_rng_below(r, 8)];
    }
    out[k] = 0;
}

static void test_similarity_reference(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 20261124);
    nq_err e = {0};
    int nonzero = 0, partial = 0;
    for (int it = 0; it < 20000; it++) {
        char v[128], p[128];
        rand_text(&r, v, 4);
        rand_text(&r, p, 3);
        double got, want = ref_sim(v, p);
        assert_int_equal(nm_similarity(v, strlen(v), p, strlen(p), &got, &e), 0);
        if (fabs(got - want) > 1e-12)
            fail_msg("'%s' ~ '%s': got %.15f, the reference %.15f", v, p, got, want);
        nonzero += want > 0;
        partial += want > 0 && want < 1;
    }
    /* the random cases exercise every branch, not only 0 and 1 */
    assert_true(nonzero > 2000);
    assert_true(partial > 1000);
}

static void load_books(nq_db *db)
{
    exec_ok(db, "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT)");
    exec_ok(db, "INSERT INTO books VALUES (1, 'The Magic Forest'), (2, 'Dragon Magie'), (3, 'Cooking'), "
                "(4, 'Magical Realism'), (5, 'Magic and Logic')");
}

static int store_exists(nq_db *db)
{
    nq_tree *t = NULL;
    int rc = nq_tree_open(db, NM_TREE, 0, &t);
    if (rc == 0)
        nq_tree_close(t);
    return rc == 0;
}

static void test_feedback_durable(void **state)
{
    (void)state;
    char before[1024], after[1024], again[1024];
    const char *rank = "SELECT id, printf('%.6f', nm.score), printf('%.6f', nm.association) FROM books "
                       "NEUROMATCH(title, 'magic')";
    nq_db *db = open_db(1);
    load_books(db);
    rows_of(db, rank, before, sizeof before);
    assert_string_equal(before, "1|1.000000|0.000000\n4|1.000000|0.000000\n5|1.000000|0.000000\n"
                                "2|0.940000|0.000000\n");
    /* reading learned nothing and created nothing */
    assert_false(store_exists(db));
    rows_of(db, rank, again, sizeof again);
    assert_string_equal(before, again);

    nq_stmt *st = NULL;
    assert_int_equal(nq_prepare(db, rank, (size_t)-1, &st, NULL), 0);
    assert_int_equal(nq_stmt_readonly(st), 1);
    nq_finalize(st);
    const char *fb = "SELECT id FROM books NEUROMATCH(title, 'magic') LEARNING_RATE 0.5 HEBBIAN_STRENGTHENING WHERE id = 5";
    assert_int_equal(nq_prepare(db, fb, (size_t)-1, &st, NULL), 0);
    assert_int_equal(nq_stmt_readonly(st), 0);
    nq_finalize(st);

    /* row 5 confirmed twice: w = 0.5, then 0.5 + 0.5 * 1 * 0.5 = 0.75 */
    exec_ok(db, fb);
    exec_ok(db, fb);
    rows_of(db, rank, after, sizeof after);
    assert_string_equal(after, "5|1.000000|0.750000\n1|1.000000|0.000000\n4|1.000000|0.000000\n"
                               "2|0.940000|0.000000\n");
    assert_true(store_exists(db));
    assert_int_equal(nq_close(db), 0);

    db = open_db(0);
    rows_of(db, rank, again, sizeof again);
    assert_string_equal(after, again);
    /* another term learned nothing: 'forest' ranks as before */
    rows_of(db, "SELECT id, printf('%.3f', nm.association) FROM books NEUROMATCH(title, 'magic forest') WHERE id = 5",
            again, sizeof again);
    assert_string_equal(again, "5|0.375\n");
    assert_int_equal(nq_close(db), 0);
    unlink(DB);
    unlink(DB "-wal");
}

static void test_hopfield_durable(void **state)
{
    (void)state;
    enum { N = 100, P = 5 };
    static char rows[P][N + 1];
    nq_rng r;
    nq_rng_seed(&r, 4242);
    nq_db *db = open_db(1);
    exec_ok(db, "CREATE TABLE mem (id INTEGER PRIMARY KEY, label TEXT, bits TEXT)");
    for (int p = 0; p < P; p++) {
        for (int i = 0; i < N; i++)
            rows[p][i] = nq_rng_below(&r, 2) ? '1' : '0';
        rows[p][N] = 0;
        char sql[300];
        snprintf(sql, sizeof sql, "INSERT INTO mem VALUES (%d, 'p%d', '%s')", 100 + p, p, rows[p]);
        exec_ok(db, sql);
    }
    char out[4096];
    rows_of(db, "LEARN PATTERN 'mem' FROM mem", out, sizeof out);
    assert_string_equal(out, "mem|Hopfield|100|5|13.8|0.05|5|1\n");
    /* ADAPT on associations, then reopen: both kept */
    load_books(db);
    exec_ok(db, "SELECT id FROM books NEUROMATCH(title, 'magic') LEARNING_RATE 0.5 HEBBIAN_STRENGTHENING WHERE id = 1");
    exec_ok(db, "SELECT id FROM books NEUROMATCH(title, 'magic') LEARNING_RATE 0.5 HEBBIAN_STRENGTHENING WHERE id = 4");
    rows_of(db, "ADAPT WEIGHTS RULE STDP LEARNING_RATE 0.1 TAU 1", out, sizeof out);
    /* (magic, 1) depressed by 1.05 * 0.1 * e^-1, (magic, 4) dt = 0: unchanged */
    char mean[64];
    snprintf(mean, sizeof mean, "%.6f", (0.5 - 0.105 * exp(-1.0) + 0.5) / 2);
    assert_non_null(strstr(out, "STDP|2|0|1|1|0|0|0.5|"));
    assert_true(fabs(strtod(strrchr(out, '|') + 1, NULL) - strtod(mean, NULL)) < 1e-6);
    assert_int_equal(nq_close(db), 0);

    db = open_db(0);
    rows_of(db, "SELECT id, printf('%.6f', nm.association) FROM books NEUROMATCH(title, 'magic') WHERE id IN (1, 4) ORDER BY id",
            out, sizeof out);
    /* (magic, 1): dt = 1 - 2 = -1: 0.5 - 0.105 e^-1 */
    char want[1024];
    snprintf(want, sizeof want, "1|%.6f\n4|0.500000\n", 0.5 - 0.105 * exp(-1.0));
    assert_string_equal(out, want);
    for (int p = 0; p < P; p++) {
        char probe[N + 1];
        memcpy(probe, rows[p], N + 1);
        for (int k = 0; k < N / 10; k++) {
            int i = (k * 37 + p * 11) % N; /* 10 distinct positions */
            probe[i] = probe[i] == '1' ? '0' : '1';
        }
        char sql[400];
        snprintf(sql, sizeof sql, "SELECT recalled, row_id, label, flipped FROM recall_pattern('mem', '%s', %d)", probe, p);
        rows_of(db, sql, out, sizeof out);
        snprintf(want, sizeof want, "%s|%d|p%d|10\n", rows[p], 100 + p, p);
        assert_string_equal(out, want);
    }
    assert_int_equal(nq_close(db), 0);
    unlink(DB);
    unlink(DB "-wal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_similarity_reference),
        cmocka_unit_test(test_feedback_durable),
        cmocka_unit_test(test_hopfield_durable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
