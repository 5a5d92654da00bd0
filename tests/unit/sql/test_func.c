/*
 * test_func.c — the registry, the NULL functions, the math functions and the aggregates:
 * results with their types, NULL handling, and every error path (wrong types, domain errors,
 * overflow). String functions are in test_func_string.c, dates in test_func_date.c, LIKE and
 * GLOB in test_like.c.
 */
#include <math.h>

#include "func_test.h"

static void test_registry(void **state)
{
    (void)state;
    size_t n;
    const fn_scalar_def *s = fn_scalar_list(&n);
    assert_true(n > 30);
    for (size_t k = 1; k < n; k++)
        if (strcmp(s[k - 1].name, s[k].name) >= 0)
            fail_msg("scalar table not sorted at %s, %s", s[k - 1].name, s[k].name);
    for (size_t k = 0; k < n; k++) {
        assert_ptr_equal(fn_scalar_find(s[k].name), &s[k]);
        assert_true(s[k].max_args < 0 || s[k].max_args >= s[k].min_args);
        assert_non_null(s[k].fn);
        assert_null(fn_agg_find(s[k].name)); /* no name is both */
    }
    const fn_agg_def *a = fn_agg_list(&n);
    for (size_t k = 1; k < n; k++)
        if (strcmp(a[k - 1].name, a[k].name) >= 0)
            fail_msg("aggregate table not sorted at %s, %s", a[k - 1].name, a[k].name);
    for (size_t k = 0; k < n; k++)
        assert_ptr_equal(fn_agg_find(a[k].name), &a[k]);
    /* case-insensitive, and absent names */
    assert_ptr_equal(fn_scalar_find("ABS"), fn_scalar_find("abs"));
    assert_ptr_equal(fn_scalar_find("CoAlEsCe"), fn_scalar_find("coalesce"));
    assert_ptr_equal(fn_agg_find("COUNT"), fn_agg_find("count"));
    assert_null(fn_scalar_find("no_such_function"));
    assert_null(fn_scalar_find(""));
    assert_null(fn_agg_find("abs"));
    assert_null(fn_scalar_find("count"));
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_null(fn_scalar_find(longname));
    /* random is never folded; abs may be */
    assert_false(fn_scalar_find("random")->flags & FN_DETERMINISTIC);
    assert_true(fn_scalar_find("abs")->flags & FN_DETERMINISTIC);
    assert_true(fn_scalar_find("coalesce")->flags & FN_NULL_OK);
}

static void test_null_funcs(void **state)
{
    (void)state;
    chk("coalesce", SQLV_INT, "2", ARGS(NUL, I(2), I(3)));
    chk("coalesce", SQLV_NULL, "NULL", ARGS(NUL, NUL));
    chk("coalesce", SQLV_TEXT, "x", ARGS(T("x")));
    chk("ifnull", SQLV_INT, "7", ARGS(NUL, I(7)));
    chk("ifnull", SQLV_INT, "1", ARGS(I(1), I(7)));
    chk("nvl", SQLV_TEXT, "b", ARGS(NUL, T("b")));
    chk("nullif", SQLV_NULL, "NULL", ARGS(I(1), I(1)));
    chk("nullif", SQLV_NULL, "NULL", ARGS(I(1), R(1.0)));
    chk("nullif", SQLV_INT, "1", ARGS(I(1), I(2)));
    chk("nullif", SQLV_INT, "1", ARGS(I(1), NUL));
    chk("nullif", SQLV_NULL, "NULL", ARGS(NUL, I(1)));
    chk("nullif", SQLV_INT, "1", ARGS(I(1), T("1"))); /* different classes: not equal */
    /* a returned argument is borrowed: never owned, so freeing the result frees nothing */
    sqlv owned;
    nq_err e;
    sqlv src = T("abc");
    assert_int_equal(sqlv_cast(&src, SQLV_TEXT, &owned, &e), 0);
    assert_true(owned.owned);
    sqlv out;
    assert_int_equal(fcall("coalesce", ARGS(NUL, owned), &out, &e), 0);
    assert_false(out.owned);
    sqlv_clear(&out);
    sqlv_clear(&owned);
}

static void test_abs_sign(void **state)
{
    (void)state;
    chk("abs", SQLV_INT, "5", ARGS(I(-5)));
    chk("abs", SQLV_INT, "5", ARGS(I(5)));
    chk("abs", SQLV_INT, "9223372036854775807", ARGS(I(-INT64_MAX)));
    chk("abs", SQLV_REAL, "2.5", ARGS(R(-2.5)));
    chk("abs", SQLV_REAL, "0.0", ARGS(R(-0.0)));
    chk("abs", SQLV_REAL, "Infinity", ARGS(R(-INFINITY)));
    chk("abs", SQLV_NULL, "NULL", ARGS(NUL));
    chk_err("abs", NQ_ERROR, "integer out of range", ARGS(I(INT64_MIN)));
    chk_err("abs", NQ_ETYPE, "abs: argument 1 must be a number, not TEXT", ARGS(T("-1")));
    chk_err("abs", NQ_ETYPE, "not BOOLEAN", ARGS(B(1)));
    chk("sign", SQLV_INT, "-1", ARGS(I(-42)));
    chk("sign", SQLV_INT, "0", ARGS(I(0)));
    chk("sign", SQLV_REAL, "1.0", ARGS(R(0.001)));
    chk("sign", SQLV_REAL, "-1.0", ARGS(R(-INFINITY)));
    chk_err("sign", NQ_ETYPE, "sign", ARGS(T("x")));
}

static void test_round(void **state)
{
    (void)state;
    chk("round", SQLV_REAL, "3.0", ARGS(R(2.5)));
    chk("round", SQLV_REAL, "-3.0", ARGS(R(-2.5)));
    chk("round", SQLV_REAL, "2.0", ARGS(R(2.4999)));
    chk("round", SQLV_INT, "7", ARGS(I(7)));
    chk("round", SQLV_REAL, "2.68", ARGS(R(2.675), I(2))); /* as written, not as stored */
    chk("round", SQLV_REAL, "-2.68", ARGS(R(-2.675), I(2)));
    chk("round", SQLV_REAL, "1.0", ARGS(R(0.95), I(1)));
    chk("round", SQLV_REAL, "0.1", ARGS(R(0.05), I(1)));
    chk("round", SQLV_REAL, "0.0", ARGS(R(0.04), I(1)));
    chk("round", SQLV_REAL, "1000.0", ARGS(R(999.96), I(1)));
    chk("round", SQLV_REAL, "123.457", ARGS(R(123.4567), I(3)));
    chk("round", SQLV_REAL, "123.4567", ARGS(R(123.4567), I(10)));
    chk("round", SQLV_REAL, "1200.0", ARGS(R(1234.5), I(-2)));
    chk("round", SQLV_REAL, "2000.0", ARGS(R(1500.0), I(-3)));
    chk("round", SQLV_REAL, "0.0", ARGS(R(400.0), I(-3)));
    chk("round", SQLV_REAL, "0.0", ARGS(R(1e-300), I(5)));
    chk("round", SQLV_REAL, "1e+20", ARGS(R(1e20), I(2)));
    chk("round", SQLV_REAL, "Infinity", ARGS(R(INFINITY), I(2)));
    chk("round", SQLV_INT, "1200", ARGS(I(1234), I(-2)));
    chk("round", SQLV_INT, "1300", ARGS(I(1250), I(-2)));
    chk("round", SQLV_INT, "-1300", ARGS(I(-1250), I(-2)));
    chk("round", SQLV_INT, "1234", ARGS(I(1234), I(2)));
    chk("round", SQLV_INT, "0", ARGS(I(INT64_MAX), I(-19)));
    chk("round", SQLV_REAL, "3.0", ARGS(R(2.5), R(0.0))); /* REAL digits: cast to INTEGER */
    chk_err("round", NQ_ERROR, "integer out of range", ARGS(I(INT64_MAX), I(-1)));
    chk_err("round", NQ_ERROR, "overflow", ARGS(R(1.7976931348623157e308), I(-308)));
    chk_err("round", NQ_ETYPE, "round: argument 2 must be an integer, not TEXT", ARGS(R(1), T("2")));
    chk_err("round", NQ_ETYPE, "round: argument 1 must be a number", ARGS(T("1.5")));
    chk("trunc", SQLV_REAL, "2.0", ARGS(R(2.9)));
    chk("trunc", SQLV_REAL, "-2.0", ARGS(R(-2.9)));
    chk("trunc", SQLV_REAL, "2.67", ARGS(R(2.679), I(2)));
    chk("trunc", SQLV_REAL, "-2.67", ARGS(R(-2.679), I(2)));
    chk("trunc", SQLV_REAL, "1200.0", ARGS(R(1299.0), I(-2)));
    chk("truncate", SQLV_INT, "1200", ARGS(I(1299), I(-2)));
    chk("trunc", SQLV_INT, "-1200", ARGS(I(-1299), I(-2)));
    chk("ceil", SQLV_REAL, "3.0", ARGS(R(2.1)));
    chk("ceiling", SQLV_REAL, "-2.0", ARGS(R(-2.1)));
    chk("ceil", SQLV_INT, "5", ARGS(I(5)));
    chk("floor", SQLV_REAL, "2.0", ARGS(R(2.9)));
    chk("floor", SQLV_REAL, "-3.0", ARGS(R(-2.1)));
    chk("floor", SQLV_INT, "-5", ARGS(I(-5)));
    chk_err("floor", NQ_ETYPE, "floor", ARGS(T("1")));
}

static void test_arith_funcs(void **state)
{
    (void)state;
    chk("mod", SQLV_INT, "1", ARGS(I(7), I(3)));
    chk("mod", SQLV_INT, "-1", ARGS(I(-7), I(3)));
    chk("mod", SQLV_REAL, "1.5", ARGS(R(7.5), I(3)));
    chk_err("mod", NQ_ERROR, "division by zero", ARGS(I(7), I(0)));
    chk_err("mod", NQ_ERROR, "division by zero", ARGS(R(7), R(0)));
    chk_err("mod", NQ_ETYPE, "mod: argument 2", ARGS(R(7), T("a")));
    chk("div", SQLV_INT, "-2", ARGS(I(-7), I(3)));
    chk("div", SQLV_REAL, "3.0", ARGS(R(7.5), I(2)));
    chk_err("div", NQ_ERROR, "division by zero", ARGS(I(1), I(0)));
    chk_err("div", NQ_ERROR, "integer out of range", ARGS(I(INT64_MIN), I(-1)));
    chk("power", SQLV_REAL, "1024.0", ARGS(I(2), I(10)));
    chk("pow", SQLV_REAL, "0.5", ARGS(I(2), I(-1)));
    chk("power", SQLV_REAL, "-8.0", ARGS(I(-2), I(3)));
    chk("power", SQLV_REAL, "1.0", ARGS(I(0), I(0)));
    chk("power", SQLV_REAL, "3.0", ARGS(R(9), R(0.5)));
    chk_err("power", NQ_ERROR, "zero raised to a negative power", ARGS(I(0), I(-1)));
    chk_err("power", NQ_ERROR, "complex result", ARGS(I(-8), R(0.5)));
    chk_err("power", NQ_ERROR, "overflow", ARGS(I(10), I(400)));
    chk("sqrt", SQLV_REAL, "3.0", ARGS(I(9)));
    chk("sqrt", SQLV_REAL, "1.4142135623730951", ARGS(I(2)));
    chk("sqrt", SQLV_REAL, "Infinity", ARGS(R(INFINITY)));
    chk_err("sqrt", NQ_ERROR, "square root of a negative number", ARGS(R(-1)));
    chk("cbrt", SQLV_REAL, "-2.0", ARGS(I(-8))); /* glibc cbrt(27) is 3.0000000000000004 */
    chk("exp", SQLV_REAL, "1.0", ARGS(I(0)));
    chk("exp", SQLV_REAL, "2.718281828459045", ARGS(I(1)));
    chk("exp", SQLV_REAL, "0.0", ARGS(R(-INFINITY)));
    chk_err("exp", NQ_ERROR, "overflow", ARGS(I(1000)));
    chk("ln", SQLV_REAL, "1.0", ARGS(R(2.718281828459045)));
    chk_err("ln", NQ_ERROR, "logarithm of zero", ARGS(I(0)));
    chk_err("ln", NQ_ERROR, "logarithm of a negative number", ARGS(I(-1)));
    chk("log", SQLV_REAL, "2.0", ARGS(I(100))); /* PostgreSQL: base 10 */
    chk("log", SQLV_REAL, "3.0", ARGS(I(2), I(8)));
    chk_err("log", NQ_ERROR, "base 1", ARGS(I(1), I(8)));
    chk_err("log", NQ_ERROR, "negative", ARGS(I(-2), I(8)));
    chk_err("log", NQ_ERROR, "zero", ARGS(I(2), I(0)));
    chk("log10", SQLV_REAL, "3.0", ARGS(I(1000)));
    chk("log2", SQLV_REAL, "10.0", ARGS(I(1024)));
    chk_err("log2", NQ_ERROR, "zero", ARGS(R(0.0)));
    chk("pi", SQLV_REAL, "3.141592653589793", NOARGS);
    chk("degrees", SQLV_REAL, "180.0", ARGS(R(3.141592653589793)));
    chk("radians", SQLV_REAL, "3.141592653589793", ARGS(I(180)));
    chk("sin", SQLV_REAL, "0.0", ARGS(I(0)));
    chk("cos", SQLV_REAL, "1.0", ARGS(I(0)));
    chk("tan", SQLV_REAL, "0.0", ARGS(I(0)));
    chk("cot", SQLV_REAL, "Infinity", ARGS(R(0.0)));
    chk("asin", SQLV_REAL, "1.5707963267948966", ARGS(I(1)));
    chk("acos", SQLV_REAL, "0.0", ARGS(I(1)));
    chk("atan", SQLV_REAL, "0.7853981633974483", ARGS(I(1)));
    chk("atan2", SQLV_REAL, "3.141592653589793", ARGS(I(0), I(-1)));
    chk_err("asin", NQ_ERROR, "input is out of range", ARGS(R(1.5)));
    chk_err("acos", NQ_ERROR, "input is out of range", ARGS(I(-2)));
    chk_err("sin", NQ_ERROR, "input is out of range", ARGS(R(INFINITY)));
    chk_err("cos", NQ_ETYPE, "cos: argument 1 must be a number, not TEXT", ARGS(T("0")));
}

static void test_random(void **state)
{
    (void)state;
    nq_rng_seed(&test_rng, 42);
    nq_err e;
    sqlv out;
    double first = -1, sum = 0;
    int differ = 0;
    for (int k = 0; k < 2000; k++) {
        assert_int_equal(fcall(k & 1 ? "rand" : "random", NOARGS, &out, &e), 0);
        assert_int_equal(out.type, SQLV_REAL);
        assert_true(out.r >= 0 && out.r < 1);
        if (k == 0)
            first = out.r;
        else if (out.r != first)
            differ = 1;
        sum += out.r;
    }
    assert_true(differ);
    assert_true(fabs(sum / 2000 - 0.5) < 0.05);
    /* same seed, same sequence: the generator really is the one in fn_ctx */
    nq_rng_seed(&test_rng, 42);
    assert_int_equal(fcall("random", NOARGS, &out, &e), 0);
    assert_true(out.r == first);
    fn_ctx none = {0, NULL};
    assert_int_equal(fn_scalar_find("random")->fn(&none, 0, NULL, &out, &e), NQ_EMISUSE);
}

static void test_greatest_least(void **state)
{
    (void)state;
    chk("greatest", SQLV_INT, "3", ARGS(I(1), I(3), I(2)));
    chk("least", SQLV_INT, "1", ARGS(I(1), I(3), I(2)));
    chk("greatest", SQLV_INT, "3", ARGS(NUL, I(3), NUL));
    chk("greatest", SQLV_NULL, "NULL", ARGS(NUL, NUL));
    chk("greatest", SQLV_REAL, "3.0", ARGS(I(3), R(2.5)));
    chk("least", SQLV_REAL, "2.5", ARGS(I(3), R(2.5)));
    chk("greatest", SQLV_TEXT, "pear", ARGS(T("apple"), T("pear"), T("fig")));
    chk("least", SQLV_DATE, "2024-01-01", ARGS(DT(19723), DT(19800)));
    chk_err("greatest", NQ_ETYPE, "greatest: cannot compare INTEGER with TEXT", ARGS(I(1), T("a")));
}

/* ---- aggregates ------------------------------------------------------------------------ */

/* Runs aggregate `name` over nrows rows of argc values each, as the executor will (rows with a
 * NULL argument skipped unless FN_NULL_OK); returns the step/final code. */
static int agg_run(const char *name, int argc, const sqlv *rows, int nrows, sqlv *out, nq_err *e)
{
    const fn_agg_def *d = fn_agg_find(name);
    if (!d)
        fail_msg("no aggregate %s", name);
    assert_true(argc >= d->min_args && argc <= d->max_args);
    void *st = calloc(1, d->state_size);
    d->init(st);
    nq_err_clear(e);
    int rc = 0;
    for (int r = 0; r < nrows && !rc; r++) {
        const sqlv *row = rows + (size_t)r * (size_t)argc;
        int skip = 0;
        if (!(d->flags & FN_NULL_OK))
            for (int k = 0; k < argc; k++)
                skip |= row[k].type == SQLV_NULL;
        if (!skip)
            rc = d->step(st, argc, row, e);
    }
    *out = sqlv_null();
    if (!rc)
        rc = d->final(st, out, e);
    if (d->cleanup)
        d->cleanup(st);
    free(st);
    return rc;
}

static void agg_chk_at(int line, const char *name, int argc, const sqlv *rows, int nrows,
                       sqlv_type type, const char *want)
{
    nq_err e;
    sqlv out;
    int rc = agg_run(name, argc, rows, nrows, &out, &e);
    if (rc)
        fail_msg("line %d: %s failed: %s", line, name, e.msg);
    char *s = sqlv_to_string(&out);
    if (out.type != type || strcmp(s, want))
        fail_msg("line %d: %s gave %s '%s', want %s '%s'", line, name, sqlv_type_name(out.type),
                 s, sqlv_type_name(type), want);
    free(s);
    sqlv_clear(&out);
}
#define agg_chk(name, argc, type, want, ...)                                                 \
    agg_chk_at(__LINE__, name, argc, (const sqlv[]){__VA_ARGS__},                            \
               (int)(sizeof((sqlv[]){__VA_ARGS__}) / sizeof(sqlv)) / (argc ? argc : 1), type, want)

static void agg_err_at(int line, const char *name, int argc, const sqlv *rows, int nrows,
                       int code, const char *msg)
{
    nq_err e;
    sqlv out;
    int rc = agg_run(name, argc, rows, nrows, &out, &e);
    if (rc != code || !strstr(e.msg, msg))
        fail_msg("line %d: %s: rc %d '%s', want %d '%s'", line, name, rc, e.msg, code, msg);
    sqlv_clear(&out);
}
#define agg_err(name, argc, code, msg, ...)                                                  \
    agg_err_at(__LINE__, name, argc, (const sqlv[]){__VA_ARGS__},                            \
               (int)(sizeof((sqlv[]){__VA_ARGS__}) / sizeof(sqlv)) / argc, code, msg)

static void test_agg_empty(void **state)
{
    (void)state;
    /* zero rows: final on a fresh state */
    static const struct { const char *name; int argc; sqlv_type type; const char *want; } z[] = {
        {"count", 0, SQLV_INT, "0"},       {"count", 1, SQLV_INT, "0"},
        {"sum", 1, SQLV_NULL, "NULL"},     {"total", 1, SQLV_REAL, "0.0"},
        {"avg", 1, SQLV_NULL, "NULL"},     {"min", 1, SQLV_NULL, "NULL"},
        {"max", 1, SQLV_NULL, "NULL"},     {"group_concat", 1, SQLV_NULL, "NULL"},
        {"string_agg", 2, SQLV_NULL, "NULL"}, {"bool_and", 1, SQLV_NULL, "NULL"},
        {"bool_or", 1, SQLV_NULL, "NULL"}, {"every", 1, SQLV_NULL, "NULL"},
        {"stddev", 1, SQLV_NULL, "NULL"},  {"var_pop", 1, SQLV_NULL, "NULL"},
        {"variance", 1, SQLV_NULL, "NULL"},
    };
    for (size_t k = 0; k < sizeof z / sizeof z[0]; k++)
        agg_chk_at(__LINE__, z[k].name, z[k].argc, NULL, 0, z[k].type, z[k].want);
    /* only NULL rows: skipped, so the same as none */
    agg_chk("sum", 1, SQLV_NULL, "NULL", NUL, NUL);
    agg_chk("count", 1, SQLV_INT, "0", NUL, NUL);
    agg_chk("total", 1, SQLV_REAL, "0.0", NUL);
    agg_chk("group_concat", 1, SQLV_NULL, "NULL", NUL, NUL);
}

static void test_agg_sqlite(void **state)
{
    (void)state;
    /* the values of slt_lang_aggfunc.test: x = 1, 0, NULL, 2, 2 */
    agg_chk("count", 1, SQLV_INT, "4", I(1), I(0), NUL, I(2), I(2));
    agg_chk("count", 0, SQLV_INT, "5", I(1), I(0), NUL, I(2), I(2)); /* count(*) */
    agg_chk("avg", 1, SQLV_REAL, "1.25", I(1), I(0), NUL, I(2), I(2));
    agg_chk("sum", 1, SQLV_INT, "5", I(1), I(0), NUL, I(2), I(2));
    agg_chk("total", 1, SQLV_REAL, "5.0", I(1), I(0), NUL, I(2), I(2));
    agg_chk("min", 1, SQLV_INT, "0", I(1), I(0), NUL, I(2), I(2));
    agg_chk("max", 1, SQLV_INT, "2", I(1), I(0), NUL, I(2), I(2));
    agg_chk("group_concat", 1, SQLV_TEXT, "1,0,2,2", I(1), I(0), NUL, I(2), I(2));
    agg_chk("group_concat", 2, SQLV_TEXT, "1:0:2:2", I(1), T(":"), I(0), T(":"), NUL, T(":"),
            I(2), T(":"), I(2), T(":"));
    agg_chk("group_concat", 1, SQLV_TEXT, "true,false,NULL", T("true"), T("false"), T("NULL"));
    /* then 4.0 joins: the sum becomes REAL */
    agg_chk("sum", 1, SQLV_REAL, "9.0", I(1), I(0), NUL, I(2), I(2), R(4.0));
    agg_chk("avg", 1, SQLV_REAL, "1.8", I(1), I(0), NUL, I(2), I(2), R(4.0));
    /* avg of integers is REAL even when exact */
    agg_chk("avg", 1, SQLV_REAL, "2.0", I(1), I(3));
    agg_chk("avg", 1, SQLV_REAL, "0.5", I(0), I(1));
}

static void test_agg_sum_overflow(void **state)
{
    (void)state;
    agg_err("sum", 1, NQ_ERROR, "integer out of range", I(INT64_MAX), I(1));
    agg_err("sum", 1, NQ_ERROR, "integer out of range", I(INT64_MIN), I(INT64_MIN), I(-1));
    /* only the total must fit, in whatever order the rows come */
    agg_chk("sum", 1, SQLV_INT, "9223372036854775807", I(INT64_MAX), I(1), I(-1));
    agg_chk("sum", 1, SQLV_INT, "9223372036854775807", I(-1), I(INT64_MAX), I(1));
    agg_chk("avg", 1, SQLV_REAL, "9.223372036854776e+18", I(INT64_MAX), I(INT64_MAX), I(INT64_MAX));
    agg_chk("sum", 1, SQLV_INT, "9223372036854775807", I(INT64_MAX - 1), I(1));
    agg_chk("sum", 1, SQLV_INT, "-9223372036854775808", I(INT64_MIN + 1), I(-1));
    /* total never overflows; with a REAL present sum does not either */
    agg_chk("total", 1, SQLV_REAL, "-1.8446744073709552e+19", I(INT64_MIN), I(INT64_MIN), I(-1));
    agg_chk("sum", 1, SQLV_REAL, "1.8446744073709552e+19", I(INT64_MAX), I(INT64_MAX), R(2.0));
    agg_chk("avg", 1, SQLV_REAL, "9.223372036854776e+18", I(INT64_MAX), I(INT64_MAX));
    /* compensated: 1e16 + 1 + 1 + ... does not lose the ones */
    agg_chk("total", 1, SQLV_REAL, "1.0000000000000004e+16", R(1e16), R(1), R(1), R(1), R(1));
    agg_chk("sum", 1, SQLV_REAL, "0.30000000000000004", R(0.1), R(0.2));
    agg_chk("sum", 1, SQLV_REAL, "Infinity", R(INFINITY), R(1));
    agg_err("sum", 1, NQ_ERROR, "not a number", R(INFINITY), R(-INFINITY));
    agg_err("sum", 1, NQ_ETYPE, "sum: argument 1 must be a number, not TEXT", I(1), T("true"));
    agg_err("avg", 1, NQ_ETYPE, "avg", T("1"));
    agg_err("total", 1, NQ_ETYPE, "total", B(1));
}

static void test_agg_minmax(void **state)
{
    (void)state;
    agg_chk("min", 1, SQLV_TEXT, "apple", T("pear"), T("apple"), T("fig"));
    agg_chk("max", 1, SQLV_TEXT, "pear", T("pear"), T("apple"), T("fig"));
    agg_chk("max", 1, SQLV_REAL, "2.5", I(1), R(2.5), I(2));
    agg_chk("min", 1, SQLV_INT, "1", I(1), R(2.5), R(1.0)); /* a tie keeps the first */
    agg_chk("max", 1, SQLV_DATE, "2024-02-29", DT(19782), DT(19000), NUL);
    agg_chk("min", 1, SQLV_BOOL, "false", B(1), B(0));
    /* the kept TEXT is a copy: the row buffer it came from may be reused */
    char buf[8];
    const fn_agg_def *d = fn_agg_find("max");
    void *st = calloc(1, d->state_size);
    d->init(st);
    nq_err e;
    strcpy(buf, "zzz");
    sqlv v = T(buf);
    assert_int_equal(d->step(st, 1, &v, &e), 0);
    strcpy(buf, "aaa");
    v = T(buf);
    assert_int_equal(d->step(st, 1, &v, &e), 0);
    sqlv out;
    assert_int_equal(d->final(st, &out, &e), 0);
    assert_int_equal(out.type, SQLV_TEXT);
    assert_memory_equal(out.p, "zzz", 3);
    sqlv_clear(&out);
    assert_int_equal(d->final(st, &out, &e), 0); /* final twice is fine */
    assert_memory_equal(out.p, "zzz", 3);
    sqlv_clear(&out);
    d->cleanup(st);
    free(st);
}

static void test_agg_concat(void **state)
{
    (void)state;
    agg_chk("group_concat", 1, SQLV_TEXT, "a", T("a"));
    agg_chk("group_concat", 1, SQLV_TEXT, "a,,b", T("a"), T(""), T("b"));
    agg_chk("group_concat", 1, SQLV_TEXT, "1.5,true,2024-02-29", R(1.5), B(1), DT(19782));
    agg_chk("string_agg", 2, SQLV_TEXT, "a; b", T("a"), T("; "), NUL, T("; "), T("b"), T("; "));
    agg_chk("group_concat", 2, SQLV_TEXT, "ab", T("a"), NUL, T("b"), NUL); /* NULL separator */
    agg_chk("group_concat", 2, SQLV_TEXT, "a-b+c", T("a"), T("!"), T("b"), T("-"), T("c"), T("+"));
    agg_err("group_concat", 1, NQ_ETYPE, "group_concat: argument 1 must be text, not NEURAL_VECTOR",
            sqlv_bytes(SQLV_VECTOR, "\0\0\0\0", 4));
}

static void test_agg_bool_var(void **state)
{
    (void)state;
    agg_chk("bool_and", 1, SQLV_BOOL, "true", B(1), B(1), NUL);
    agg_chk("bool_and", 1, SQLV_BOOL, "false", B(1), B(0));
    agg_chk("every", 1, SQLV_BOOL, "false", B(0), B(1));
    agg_chk("bool_or", 1, SQLV_BOOL, "true", B(0), B(1));
    agg_chk("bool_or", 1, SQLV_BOOL, "false", B(0), B(0));
    agg_err("bool_or", 1, NQ_ETYPE, "bool_or: argument 1 must be a boolean, not INTEGER", I(1));
    /* 2, 4, 4, 4, 5, 5, 7, 9: population variance 4, sample 32/7 */
    agg_chk("var_pop", 1, SQLV_REAL, "4.0", I(2), I(4), I(4), I(4), I(5), I(5), I(7), I(9));
    agg_chk("stddev_pop", 1, SQLV_REAL, "2.0", I(2), I(4), I(4), I(4), I(5), I(5), I(7), I(9));
    agg_chk("var_samp", 1, SQLV_REAL, "4.571428571428571", I(2), I(4), I(4), I(4), I(5), I(5),
            I(7), I(9));
    agg_chk("variance", 1, SQLV_REAL, "4.571428571428571", I(2), I(4), I(4), I(4), I(5), I(5),
            I(7), I(9));
    agg_chk("stddev_samp", 1, SQLV_REAL, "2.138089935299395", I(2), I(4), I(4), I(4), I(5),
            I(5), I(7), I(9));
    agg_chk("stddev", 1, SQLV_NULL, "NULL", I(5)); /* sample needs two values */
    agg_chk("var_pop", 1, SQLV_REAL, "0.0", I(5));
    /* Welford keeps precision where sum of squares would not: var(1e9+4, 1e9+7, 1e9+13,
     * 1e9+16) = 30 */
    agg_chk("var_samp", 1, SQLV_REAL, "30.0", R(1e9 + 4), R(1e9 + 7), R(1e9 + 13), R(1e9 + 16));
    agg_err("stddev", 1, NQ_ETYPE, "stddev", T("x"));
    agg_err("variance", 1, NQ_ERROR, "infinite", R(INFINITY));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_null_funcs),
        cmocka_unit_test(test_abs_sign),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_arith_funcs),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_greatest_least),
        cmocka_unit_test(test_agg_empty),
        cmocka_unit_test(test_agg_sqlite),
        cmocka_unit_test(test_agg_sum_overflow),
        cmocka_unit_test(test_agg_minmax),
        cmocka_unit_test(test_agg_concat),
        cmocka_unit_test(test_agg_bool_var),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
