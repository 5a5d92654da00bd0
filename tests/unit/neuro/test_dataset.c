/*
 * test_dataset.c — the data-set code (src/neuro/dataset.c):
 *   - the CSV parser: header skipping, CRLF, blank lines, spaces; errors that name the line and
 *     column (not a number, NaN/inf, ragged rows, empty input, NUL bytes);
 *   - the scikit-learn file formats, written here (a headed CSV and a gzip'd headerless one, so
 *     the test needs no scikit-learn): counts, classes, names; header/row mismatches, classes
 *     out of range and missing files refused;
 *   - the stratified split: disjoint, complete, per-class counts, replayable by seed;
 *   - standardisation: zero mean and unit variance on the rows it was fitted on, scale 1 for a
 *     constant feature;
 *   - when Debian's python3-sklearn is installed, its four data sets load with their published
 *     shapes (skipped with a message otherwise).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset.h"
#include "testfiles.h"

static void parse_ok(const char *t, int skip, int rows, int cols)
{
    float *d;
    int r, c;
    nq_err e;
    if (nn_csv_parse(t, strlen(t), skip, &d, &r, &c, &e) != 0)
        fail_msg("\"%s\": %s", t, e.msg);
    assert_int_equal(r, rows);
    assert_int_equal(c, cols);
    free(d);
}

static void parse_bad(const char *t, int skip, const char *needle)
{
    float *d;
    int r, c;
    nq_err e;
    nq_err_clear(&e);
    int rc = nn_csv_parse(t, strlen(t), skip, &d, &r, &c, &e);
    if (rc == 0 || !strstr(e.msg, needle))
        fail_msg("\"%s\": rc %d \"%s\", want an error naming \"%s\"", t, rc, e.msg, needle);
    assert_null(d);
}

static void test_csv(void **state)
{
    (void)state;
    float *d;
    int r, c;
    nq_err e;
    const char *t = "a,b,c\r\n1, 2.5 ,-3e2\r\n\r\n4,5,6\n  \n";
    assert_int_equal(nn_csv_parse(t, strlen(t), 1, &d, &r, &c, &e), 0);
    assert_int_equal(r, 2);
    assert_int_equal(c, 3);
    float want[6] = {1, 2.5f, -300, 4, 5, 6};
    assert_memory_equal(d, want, sizeof want);
    free(d);
    parse_ok("1,2\n3,4", -1, 2, 2);     /* -1: a numeric first line is data */
    parse_ok("x,y\n3,4", -1, 1, 2);     /* -1: a non-numeric first line is a header */
    parse_ok("7\n", 0, 1, 1);
    parse_bad("1,2\n3,x\n", 0, "line 2, column 2: not a finite number");
    parse_bad("1,2\n3,nan\n", 0, "line 2, column 2");
    parse_bad("1,2\ninf,3\n", 0, "line 2, column 1");
    parse_bad("1,2\n3,4,5\n", 0, "line 2: 3 fields, expected 2");
    parse_bad("1,,2\n", 0, "line 1, column 2");
    parse_bad("1,2,\n", 0, "line 1, column 3");
    parse_bad("h\n\n", 1, "no data rows");
    parse_bad("", 0, "no data rows");
    parse_bad("1e99\n", 0, "line 1, column 1");
    parse_bad("1,2\n3\0,4\n", 0, "line 2: 1 fields"); /* strlen stops at the NUL */
    const char nul[] = "1,2\n3\0004\n";
    assert_int_not_equal(nn_csv_parse(nul, sizeof nul - 1, 0, &d, &r, &c, &e), 0);
    assert_non_null(strstr(e.msg, "NUL"));
}

static void write_gz(const char *path, const char *text)
{
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(f), Z_OK);
}

static void test_sklearn_formats(void **state)
{
    (void)state;
    const char *dir = "ds_fmt";
    tf_mkdir_fresh(dir);
    const char *iris = "6,2,alpha,beta,gamma\n1,2,0\n3,4,1\n5,6,2\n7,8,0\n9,10,1\n11,12,2\n";
    tf_spit("ds_fmt/iris.csv", iris, strlen(iris));
    write_gz("ds_fmt/digits.csv.gz", "0,1,2,3\n4,5,6,9\n8,9,10,4\n");
    nn_dataset ds;
    nq_err e;
    assert_int_equal(nn_dataset_load(dir, "iris", &ds, &e), 0);
    assert_int_equal(ds.n, 6);
    assert_int_equal(ds.d, 2);
    assert_int_equal(ds.k, 3);
    assert_string_equal(ds.class_names[1], "beta");
    assert_int_equal(ds.y[4], 1);
    assert_true(ds.X[4 * 2 + 1] == 10.0f);
    nn_dataset_free(&ds);
    assert_int_equal(nn_dataset_load(dir, "digits", &ds, &e), 0);
    assert_int_equal(ds.n, 3);
    assert_int_equal(ds.d, 3);
    assert_int_equal(ds.k, 10); /* the largest label + 1 */
    assert_string_equal(ds.class_names[9], "9");
    assert_true(ds.X[2 * 3 + 2] == 10.0f);
    nn_dataset_free(&ds);

    /* what is refused */
    assert_int_equal(nn_dataset_load(dir, "wine", &ds, &e), NQ_ENOTFOUND);
    assert_non_null(strstr(e.msg, "wine_data.csv"));
    assert_int_equal(nn_dataset_load(dir, "mnist", &ds, &e), NQ_ENOTFOUND);
    assert_non_null(strstr(e.msg, "unknown data set"));
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"7,2,a,b\n1,2,0\n", "announces 7 rows of 2 features"},
        {"1,3,a,b\n1,2,0\n", "announces 1 rows of 3 features"},
        {"1,2,a,b\n1,2,2\n", "class 2 is not an integer in 0..1"},
        {"1,2,a,b\n1,2,0.5\n", "class 0.5"},
        {"x,2,a,b\n1,2,0\n", "line 1, field 1"},
        {"1,2,a\n1,2,0\n", "class names"},
        {"1,2,a,b\n1,q,0\n", "line 2, column 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tf_spit("ds_fmt/iris.csv", bad[i].text, strlen(bad[i].text));
        int rc = nn_dataset_load(dir, "iris", &ds, &e);
        if (rc != NQ_ECORRUPT || !strstr(e.msg, bad[i].needle))
            fail_msg("\"%s\": rc %d \"%s\", want \"%s\"", bad[i].text, rc, e.msg, bad[i].needle);
    }
    /* a damaged gzip stream */
    size_t n;
    uint8_t *gz = tf_slurp("ds_fmt/digits.csv.gz", &n);
    gz[n / 2] ^= 0xff;
    gz[n - 6] ^= 0xff; /* the CRC-32 trailer */
    tf_spit("ds_fmt/digits.csv.gz", gz, n);
    free(gz);
    assert_int_not_equal(nn_dataset_load(dir, "digits", &ds, &e), 0);
    tf_rm_rf(dir);
}

static void test_split_and_scale(void **state)
{
    (void)state;
    nn_dataset ds = {.n = 103, .d = 2, .k = 3};
    ds.X = malloc(sizeof(float) * 206);
    ds.y = malloc(sizeof(int) * 103);
    int per[3] = {0};
    for (int i = 0; i < 103; i++) {
        ds.y[i] = i < 50 ? 0 : i < 90 ? 1 : 2;
        per[ds.y[i]]++;
        ds.X[2 * i] = (float)i;
        ds.X[2 * i + 1] = 4.0f; /* constant */
    }
    int *tr, *te, ntr, nte, *tr2, *te2, ntr2, nte2;
    nq_err e;
    assert_int_equal(nn_dataset_split(&ds, 0.25, 9, &tr, &ntr, &te, &nte, &e), 0);
    /* round(0.25·50) = 13 (12.5 rounds up), round(0.25·40) = 10, round(0.25·13) = 3 */
    assert_int_equal(nte, 13 + 10 + 3);
    assert_int_equal(ntr + nte, 103);
    int seen[103] = {0}, cnt[3] = {0};
    for (int i = 0; i < nte; i++) {
        seen[te[i]]++;
        cnt[ds.y[te[i]]]++;
        if (i)
            assert_true(te[i] > te[i - 1]);
    }
    for (int i = 0; i < ntr; i++)
        seen[tr[i]]++;
    for (int i = 0; i < 103; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(cnt[0], 13);
    assert_int_equal(cnt[1], 10);
    assert_int_equal(cnt[2], 3);
    assert_int_equal(nn_dataset_split(&ds, 0.25, 9, &tr2, &ntr2, &te2, &nte2, &e), 0);
    assert_memory_equal(te, te2, sizeof(int) * (size_t)nte);
    free(tr2);
    free(te2);
    assert_int_equal(nn_dataset_split(&ds, 0.25, 10, &tr2, &ntr2, &te2, &nte2, &e), 0);
    assert_true(memcmp(te, te2, sizeof(int) * (size_t)nte) != 0);
    free(tr2);
    free(te2);
    assert_int_equal(nn_dataset_split(&ds, 1.0, 9, &tr2, &ntr2, &te2, &nte2, &e), NQ_EINVAL);

    float mean[2], scale[2];
    nn_standardize_fit(ds.X, 2, tr, ntr, mean, scale);
    double s = 0, s2 = 0;
    for (int i = 0; i < ntr; i++) {
        double v = (ds.X[2 * tr[i]] - mean[0]) * scale[0];
        s += v;
        s2 += v * v;
    }
    assert_true(fabs(s / ntr) < 1e-5);
    assert_true(fabs(s2 / ntr - 1.0) < 1e-4);
    assert_true(mean[1] == 4.0f && scale[1] == 1.0f);

    float *X, *Y;
    assert_int_equal(nn_dataset_gather(&ds, te, nte, &X, &Y, &e), 0);
    for (int i = 0; i < nte; i++) {
        assert_true(X[2 * i] == (float)te[i]);
        for (int j = 0; j < 3; j++)
            assert_true(Y[3 * i + j] == (j == ds.y[te[i]] ? 1.0f : 0.0f));
    }
    free(X);
    free(Y);
    free(tr);
    free(te);
    free(ds.X);
    free(ds.y);
}

static void test_debian_sklearn(void **state)
{
    (void)state;
    if (access(NN_SKLEARN_DATA_DIR "/iris.csv", R_OK) != 0) {
        printf("# skipped: python3-sklearn's data sets are not installed (%s)\n",
               NN_SKLEARN_DATA_DIR);
        skip();
    }
    static const struct {
        const char *name;
        int n, d, k;
    } want[] = {{"digits", 1797, 64, 10}, {"iris", 150, 4, 3}, {"wine", 178, 13, 3},
                {"breast_cancer", 569, 30, 2}};
    for (size_t i = 0; i < 4; i++) {
        nn_dataset ds;
        nq_err e;
        if (nn_dataset_load(NULL, want[i].name, &ds, &e) != 0)
            fail_msg("%s: %s", want[i].name, e.msg);
        assert_int_equal(ds.n, want[i].n);
        assert_int_equal(ds.d, want[i].d);
        assert_int_equal(ds.k, want[i].k);
        nn_dataset_free(&ds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_sklearn_formats),
        cmocka_unit_test(test_split_and_scale),
        cmocka_unit_test(test_debian_sklearn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
