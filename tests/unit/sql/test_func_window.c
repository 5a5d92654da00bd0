/*
 * test_func_window.c — the window functions over hand-built partitions: ranking with ties
 * (PostgreSQL's documented example values), ntile's bucket sizes against a brute-force split,
 * lag/lead with offsets and defaults, frame-based first/last/nth_value with the default and
 * explicit frames, errors, and that copied values outlive the argument rows.
 */
#include "func_test.h"

/* A partition of n rows with peer groups given by a key per row (rows already sorted). */
typedef struct part {
    fn_win_part p;
    int64_t ps[64], pe[64];
} part;

static void make_part(part *t, const int *keys, int n, const sqlv *args, int argc)
{
    memset(t, 0, sizeof *t);
    t->p.nrows = n;
    t->p.argc = argc;
    t->p.args = args;
    for (int i = 0; i < n; i++) {
        int s = i, z = i;
        while (s > 0 && keys[s - 1] == keys[i])
            s--;
        while (z + 1 < n && keys[z + 1] == keys[i])
            z++;
        t->ps[i] = s;
        t->pe[i] = z + 1;
    }
    t->p.peer_start = t->ps;
    t->p.peer_end = t->pe;
}

/* out[i] printed, joined by spaces */
static void expect_row_at(int line, const char *name, const fn_win_part *p, const char *want)
{
    const fn_win_def *d = fn_win_find(name);
    if (!d)
        fail_msg("no window function %s", name);
    sqlv out[64];
    nq_err e;
    nq_err_clear(&e);
    int rc = d->eval(p, out, &e);
    if (rc)
        fail_msg("line %d: %s failed: %s", line, name, e.msg);
    char buf[1024] = "";
    for (int64_t i = 0; i < p->nrows; i++) {
        char *s = sqlv_to_string(&out[i]);
        if (i)
            strcat(buf, " ");
        strcat(buf, s);
        free(s);
        sqlv_clear(&out[i]);
    }
    if (strcmp(buf, want))
        fail_msg("line %d: %s gave '%s', want '%s'", line, name, buf, want);
}
#define expect_row(name, p, want) expect_row_at(__LINE__, name, p, want)

static void test_registry_window(void **state)
{
    (void)state;
    size_t n;
    const fn_win_def *w = fn_win_list(&n);
    assert_int_equal(n, 11);
    for (size_t k = 0; k < n; k++) {
        if (k)
            assert_true(strcmp(w[k - 1].name, w[k].name) < 0);
        assert_ptr_equal(fn_win_find(w[k].name), &w[k]);
        assert_null(fn_scalar_find(w[k].name));
        assert_null(fn_agg_find(w[k].name));
    }
    assert_ptr_equal(fn_win_find("ROW_NUMBER"), fn_win_find("row_number"));
    assert_null(fn_win_find("sum"));
    assert_true(fn_win_find("first_value")->uses_frame);
    assert_false(fn_win_find("rank")->uses_frame);
}

static void test_ranking(void **state)
{
    (void)state;
    /* ORDER BY values 10 10 20 30 30 30 40 */
    static const int keys[] = {10, 10, 20, 30, 30, 30, 40};
    part t;
    make_part(&t, keys, 7, NULL, 0);
    expect_row("row_number", &t.p, "1 2 3 4 5 6 7");
    expect_row("rank", &t.p, "1 1 3 4 4 4 7");
    expect_row("dense_rank", &t.p, "1 1 2 3 3 3 4");
    expect_row("percent_rank", &t.p,
               "0.0 0.0 0.3333333333333333 0.5 0.5 0.5 1.0");
    expect_row("cume_dist", &t.p,
               "0.2857142857142857 0.2857142857142857 0.42857142857142855 0.8571428571428571 "
               "0.8571428571428571 0.8571428571428571 1.0");
    /* no ORDER BY: one peer group */
    t.p.peer_start = t.p.peer_end = NULL;
    expect_row("rank", &t.p, "1 1 1 1 1 1 1");
    expect_row("dense_rank", &t.p, "1 1 1 1 1 1 1");
    expect_row("cume_dist", &t.p, "1.0 1.0 1.0 1.0 1.0 1.0 1.0");
    /* one row; empty partition */
    part one;
    make_part(&one, keys, 1, NULL, 0);
    expect_row("percent_rank", &one.p, "0.0");
    expect_row("cume_dist", &one.p, "1.0");
    part none;
    make_part(&none, keys, 0, NULL, 0);
    expect_row("rank", &none.p, "");
}

static void test_ntile(void **state)
{
    (void)state;
    static const int keys[64] = {0};
    sqlv args[64];
    for (int n = 1; n <= 20; n++)
        for (int buckets = 1; buckets <= 25; buckets++) {
            for (int i = 0; i < n; i++)
                args[i] = I(buckets);
            part t;
            make_part(&t, keys, n, args, 1);
            /* brute force: deal rows into buckets, larger buckets first */
            char want[512] = "";
            int row = 0;
            for (int b = 0; b < buckets && row < n; b++) {
                int size = n / buckets + (b < n % buckets);
                for (int k = 0; k < size; k++, row++) {
                    char tmp[16];
                    snprintf(tmp, sizeof tmp, "%s%d", row ? " " : "", b + 1);
                    strcat(want, tmp);
                }
            }
            expect_row("ntile", &t.p, want);
        }
    args[0] = I(0);
    args[1] = I(0);
    part t;
    make_part(&t, keys, 2, args, 1);
    sqlv out[2];
    nq_err e;
    assert_int_equal(fn_win_find("ntile")->eval(&t.p, out, &e), NQ_ERROR);
    assert_non_null(strstr(e.msg, "greater than zero"));
    args[0] = NUL;
    args[1] = I(2);
    expect_row("ntile", &t.p, "NULL 2");
}

static void test_lag_lead(void **state)
{
    (void)state;
    static const int keys[5] = {1, 2, 3, 4, 5};
    /* args: x, offset, default */
    sqlv a[15] = {T("a"), I(1), T("-"), T("b"), I(1), T("-"), T("c"), I(2), T("-"),
                  T("d"), NUL, T("-"), T("e"), I(-1), T("-")};
    part t;
    make_part(&t, keys, 5, a, 1);
    t.p.argc = 3;
    expect_row("lag", &t.p, "- a a NULL -");   /* e: offset -1 looks ahead: none */
    expect_row("lead", &t.p, "b c e NULL d");  /* c: +2 = e; e: lead by -1 = d */
    /* x only (argc 1 over rows of 3 values would misread: rebuild) */
    sqlv x[5] = {I(1), I(2), NUL, I(4), I(5)};
    part u;
    make_part(&u, keys, 5, x, 1);
    expect_row("lag", &u.p, "NULL 1 2 NULL 4");
    expect_row("lead", &u.p, "2 NULL 4 5 NULL");
    sqlv big[10] = {I(1), I(INT64_MIN), I(2), I(INT64_MAX), I(3), I(0), I(4), I(-1), I(5), I(2)};
    part v;
    make_part(&v, keys, 5, big, 2);
    expect_row("lag", &v.p, "NULL NULL 3 5 3");
    expect_row("lead", &v.p, "NULL NULL 3 3 NULL");
    sqlv bad[2] = {I(1), T("x")};
    part w;
    make_part(&w, keys, 1, bad, 2);
    sqlv out[1];
    nq_err e;
    assert_int_equal(fn_win_find("lag")->eval(&w.p, out, &e), NQ_ETYPE);
    assert_non_null(strstr(e.msg, "lag: argument 2 must be an integer"));
}

static void test_frame_values(void **state)
{
    (void)state;
    /* ORDER BY k: 1 1 2 3 with values a b c d */
    static const int keys[4] = {1, 1, 2, 3};
    sqlv x[8] = {T("a"), I(2), T("b"), I(2), T("c"), I(2), T("d"), I(3)};
    part t;
    make_part(&t, keys, 4, x, 2);
    /* default frame: start .. last peer of the current row */
    expect_row("first_value", &t.p, "a a a a");
    expect_row("last_value", &t.p, "b b c d");
    expect_row("nth_value", &t.p, "b b b c");
    /* ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING */
    int64_t fs[4] = {0, 0, 1, 2}, fe[4] = {2, 3, 4, 4};
    t.p.frame_start = fs;
    t.p.frame_end = fe;
    expect_row("first_value", &t.p, "a a b c");
    expect_row("last_value", &t.p, "b c d d");
    expect_row("nth_value", &t.p, "b b c NULL");
    /* an empty frame gives NULL */
    int64_t es[4] = {1, 2, 3, 4}, ee[4] = {1, 2, 3, 4};
    t.p.frame_start = es;
    t.p.frame_end = ee;
    expect_row("first_value", &t.p, "NULL NULL NULL NULL");
    /* the results are copies: they survive the argument rows */
    char buf[4] = "zz";
    sqlv y[2] = {T(buf), I(1)};
    part u;
    make_part(&u, keys, 1, y, 2);
    sqlv out[1];
    nq_err e;
    assert_int_equal(fn_win_find("first_value")->eval(&u.p, out, &e), 0);
    assert_true(out[0].owned);
    strcpy(buf, "qq");
    assert_memory_equal(out[0].p, "zz", 2);
    sqlv_clear(&out[0]);
    y[1] = I(0);
    assert_int_equal(fn_win_find("nth_value")->eval(&u.p, out, &e), NQ_ERROR);
    assert_non_null(strstr(e.msg, "nth_value: argument must be greater than zero"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_window),
        cmocka_unit_test(test_ranking),
        cmocka_unit_test(test_ntile),
        cmocka_unit_test(test_lag_lead),
        cmocka_unit_test(test_frame_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
