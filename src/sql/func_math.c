/*
 * func_math.c — numeric functions: abs, round, trunc, ceil, floor, mod, div, power, sqrt,
 * cbrt, sign, exp, ln, log, log10, log2, pi, degrees, radians, trigonometry, random,
 * greatest, least.
 *
 * Result types follow PostgreSQL: functions that keep integers integral (abs, round, trunc,
 * ceil, floor, sign, mod) return INTEGER for INTEGER input and REAL for REAL input; the
 * transcendental ones always return REAL. Integer results are overflow-checked like value.c's
 * arithmetic (abs(-9223372036854775808) is "integer out of range"), and a REAL result that is
 * NaN, or infinite from finite input, is an error (the NaN policy of docs/qsql-values.md).
 *
 * round(x, n) and trunc(x, n) on REAL work on the shortest decimal form of x (the digits
 * SELECT prints), not on x * 10^n: 2.675 is stored as 2.67499999999999982236431605997495353221
 * but everyone who typed 2.675 expects round(2.675, 2) = 2.68, which is what PostgreSQL's
 * numeric gives. Rounding is half away from zero, as PostgreSQL and SQLite round.
 *
 * log(x) is the base-10 logarithm, as in PostgreSQL (upstream and MySQL made it natural; ln
 * is the natural one here), and log(b, x) is the logarithm to base b.
 */
#include "sql/func_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI_D 3.14159265358979323846

static int num_arg(const char *f, int argn, const sqlv *v, double *d, nq_err *e)
{
    return fn_arg_real(f, argn, v, d, e);
}

/* One-argument REAL function with a domain check done by the caller's lambda-less switch. */
enum { M_EXP, M_LN, M_LOG10, M_LOG2, M_SQRT, M_CBRT, M_SIN, M_COS, M_TAN, M_COT, M_ASIN,
       M_ACOS, M_ATAN, M_DEGREES, M_RADIANS };

static int real1(int op, const char *f, const sqlv *a, sqlv *out, nq_err *e)
{
    double x, r = 0;
    int rc = num_arg(f, 1, a, &x, e);
    if (rc)
        return rc;
    int inf_ok = isinf(x);
    switch (op) {
    case M_EXP: r = exp(x); break;
    case M_LN:
    case M_LOG10:
    case M_LOG2:
        if (x == 0)
            return nq_err_set(e, NQ_ERROR, "%s: cannot take logarithm of zero", f);
        if (x < 0)
            return nq_err_set(e, NQ_ERROR, "%s: cannot take logarithm of a negative number", f);
        r = op == M_LN ? log(x) : op == M_LOG10 ? log10(x) : log2(x);
        break;
    case M_SQRT:
        if (x < 0)
            return nq_err_set(e, NQ_ERROR, "%s: cannot take square root of a negative number", f);
        r = sqrt(x);
        break;
    case M_CBRT: r = cbrt(x); break;
    case M_SIN:
    case M_COS:
    case M_TAN:
    case M_COT:
        if (isinf(x))
            return nq_err_set(e, NQ_ERROR, "%s: input is out of range", f);
        r = op == M_SIN ? sin(x) : op == M_COS ? cos(x) : op == M_TAN ? tan(x) : 1.0 / tan(x);
        inf_ok = op == M_COT; /* cot(0) is Infinity in PostgreSQL */
        break;
    case M_ASIN:
    case M_ACOS:
        if (x < -1 || x > 1)
            return nq_err_set(e, NQ_ERROR, "%s: input is out of range", f);
        r = op == M_ASIN ? asin(x) : acos(x);
        break;
    case M_ATAN: r = atan(x); break;
    case M_DEGREES: r = x * (180.0 / PI_D); break;
    case M_RADIANS: r = x * (PI_D / 180.0); break;
    }
    return fn_set_real(f, r, inf_ok, out, e);
}

#define REAL1(cname, op, sqlname)                                                            \
    int cname(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)                  \
    {                                                                                        \
        return real1(op, sqlname, &argv[0], out, e);                                         \
    }
REAL1(fn_exp, M_EXP, "exp")
REAL1(fn_ln, M_LN, "ln")
REAL1(fn_log10, M_LOG10, "log10")
REAL1(fn_log2, M_LOG2, "log2")
REAL1(fn_sqrt, M_SQRT, "sqrt")
REAL1(fn_cbrt, M_CBRT, "cbrt")
REAL1(fn_sin, M_SIN, "sin")
REAL1(fn_cos, M_COS, "cos")
REAL1(fn_tan, M_TAN, "tan")
REAL1(fn_cot, M_COT, "cot")
REAL1(fn_asin, M_ASIN, "asin")
REAL1(fn_acos, M_ACOS, "acos")
REAL1(fn_atan, M_ATAN, "atan")
REAL1(fn_degrees, M_DEGREES, "degrees")
REAL1(fn_radians, M_RADIANS, "radians")

int fn_log(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argc == 1)
        return real1(M_LOG10, "log", &argv[0], out, e);
    double b, x;
    int rc = num_arg("log", 1, &argv[0], &b, e);
    if (!rc)
        rc = num_arg("log", 2, &argv[1], &x, e);
    if (rc)
        return rc;
    if (b == 0 || x == 0)
        return nq_err_set(e, NQ_ERROR, "log: cannot take logarithm of zero");
    if (b < 0 || x < 0)
        return nq_err_set(e, NQ_ERROR, "log: cannot take logarithm of a negative number");
    if (b == 1)
        return nq_err_set(e, NQ_ERROR, "log: division by zero (base 1)");
    return fn_set_real("log", log(x) / log(b), isinf(b) || isinf(x), out, e);
}

int fn_atan2(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    double y, x;
    int rc = num_arg("atan2", 1, &argv[0], &y, e);
    if (!rc)
        rc = num_arg("atan2", 2, &argv[1], &x, e);
    if (rc)
        return rc;
    return fn_set_real("atan2", atan2(y, x), 0, out, e);
}

int fn_pi(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    *out = sqlv_real(PI_D);
    return 0;
}

int fn_random(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (!cx || !cx->rng)
        return nq_err_set(e, NQ_EMISUSE, "random: no random generator in this context");
    *out = sqlv_real(nq_rng_double(cx->rng));
    return 0;
}

int fn_abs(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const sqlv *a = &argv[0];
    if (a->type == SQLV_INT) {
        if (a->i >= 0) {
            *out = sqlv_int(a->i);
            return 0;
        }
        return sqlv_neg(a, out, e); /* INT64_MIN: "integer out of range" */
    }
    if (a->type == SQLV_REAL) {
        *out = sqlv_real(fabs(a->r));
        return 0;
    }
    return fn_arg_type_error("abs", 1, a, "a number", e);
}

int fn_sign(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const sqlv *a = &argv[0];
    if (a->type == SQLV_INT)
        *out = sqlv_int((a->i > 0) - (a->i < 0));
    else if (a->type == SQLV_REAL)
        *out = sqlv_real((double)((a->r > 0) - (a->r < 0)));
    else
        return fn_arg_type_error("sign", 1, a, "a number", e);
    return 0;
}

int fn_ceil(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const sqlv *a = &argv[0];
    if (a->type == SQLV_INT)
        *out = sqlv_int(a->i);
    else if (a->type == SQLV_REAL)
        *out = sqlv_real(ceil(a->r));
    else
        return fn_arg_type_error("ceil", 1, a, "a number", e);
    return 0;
}

int fn_floor(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const sqlv *a = &argv[0];
    if (a->type == SQLV_INT)
        *out = sqlv_int(a->i);
    else if (a->type == SQLV_REAL)
        *out = sqlv_real(floor(a->r));
    else
        return fn_arg_type_error("floor", 1, a, "a number", e);
    return 0;
}

/* x to n decimal places on its shortest decimal digits (see the file comment); trunc: toward
 * zero, else half away from zero. Infinite results (rounding up near DBL_MAX) are left for
 * the caller's overflow check. */
static double dec_round(double x, int64_t n, int trunc)
{
    if (!isfinite(x) || x == 0)
        return x;
    if (n > 400)
        return x;
    if (n < -400)
        return copysign(0.0, x);
    char tmp[48];
    int p;
    double ax = fabs(x);
    for (p = 1; p < 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, ax);
        if (strtod(tmp, NULL) == ax)
            break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, ax);
    char dig[24];
    int nd = 0;
    dig[nd++] = tmp[0];
    for (int k = 2; k <= p; k++)
        dig[nd++] = tmp[k];
    int x10 = atoi(strchr(tmp, 'e') + 1);
    int64_t keep = (int64_t)x10 + 1 + n; /* digits that stay */
    if (keep >= nd)
        return x;
    if (keep < 0)
        return copysign(0.0, x);
    /* buf = "0" + kept digits; value = 0.buf * 10^(x10 + 2) */
    char buf[32];
    buf[0] = '0';
    memcpy(buf + 1, dig, (size_t)keep);
    int len = (int)keep + 1;
    if (!trunc && dig[keep] >= '5') {
        int k = len - 1;
        while (buf[k] == '9')
            buf[k--] = '0';
        buf[k]++;
    }
    buf[len] = 0;
    char s[64];
    snprintf(s, sizeof s, "0.%se%d", buf, x10 + 2);
    return copysign(strtod(s, NULL), x);
}

/* INTEGER x to n decimal places, n < 0: to a multiple of 10^-n. */
static int int_round(const char *f, int64_t x, int64_t n, int trunc, sqlv *out, nq_err *e)
{
    if (n >= 0) {
        *out = sqlv_int(x);
        return 0;
    }
    if (n < -18) { /* 10^19 > INT64_MAX: every int64 is below half of it */
        *out = sqlv_int(0);
        return 0;
    }
    int64_t p = 1;
    for (int64_t k = 0; k < -n; k++)
        p *= 10;
    int64_t q = x / p, r = x % p;
    /* |r| >= p/2, written so that nothing overflows */
    if (!trunc && (r >= 0 ? r : -r) >= p - (r >= 0 ? r : -r))
        q += x < 0 ? -1 : 1;
    int64_t res;
    if (__builtin_mul_overflow(q, p, &res))
        return nq_err_set(e, NQ_ERROR, "%s: integer out of range", f);
    *out = sqlv_int(res);
    return 0;
}

static int round_or_trunc(const char *f, int trunc, int argc, const sqlv *argv, sqlv *out,
                          nq_err *e)
{
    int64_t n = 0;
    if (argc > 1) {
        int rc = fn_arg_int(f, 2, &argv[1], &n, e);
        if (rc)
            return rc;
    }
    const sqlv *a = &argv[0];
    if (a->type == SQLV_INT)
        return int_round(f, a->i, n, trunc, out, e);
    if (a->type != SQLV_REAL)
        return fn_arg_type_error(f, 1, a, "a number", e);
    double r;
    if (argc == 1)
        r = trunc ? (double)(a->r < 0 ? ceil(a->r) : floor(a->r)) : round(a->r);
    else
        r = dec_round(a->r, n, trunc);
    return fn_set_real(f, r, isinf(a->r), out, e);
}

int fn_round(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return round_or_trunc("round", 0, argc, argv, out, e);
}

int fn_trunc(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return round_or_trunc("trunc", 1, argc, argv, out, e);
}

int fn_modf(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argv[0].type == SQLV_INT && argv[1].type == SQLV_INT)
        return sqlv_mod(&argv[0], &argv[1], out, e);
    double x, y;
    int rc = num_arg("mod", 1, &argv[0], &x, e);
    if (!rc)
        rc = num_arg("mod", 2, &argv[1], &y, e);
    if (rc)
        return rc;
    if (y == 0)
        return nq_err_set(e, NQ_ERROR, "division by zero");
    return fn_set_real("mod", fmod(x, y), 0, out, e);
}

/* div(a, b): the quotient truncated toward zero (PostgreSQL's div). */
int fn_div(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argv[0].type == SQLV_INT && argv[1].type == SQLV_INT)
        return sqlv_div(&argv[0], &argv[1], out, e);
    double x, y;
    int rc = num_arg("div", 1, &argv[0], &x, e);
    if (!rc)
        rc = num_arg("div", 2, &argv[1], &y, e);
    if (rc)
        return rc;
    if (y == 0)
        return nq_err_set(e, NQ_ERROR, "division by zero");
    return fn_set_real("div", trunc(x / y), isinf(x), out, e);
}

int fn_power(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    double x, y;
    int rc = num_arg("power", 1, &argv[0], &x, e);
    if (!rc)
        rc = num_arg("power", 2, &argv[1], &y, e);
    if (rc)
        return rc;
    if (x == 0 && y < 0)
        return nq_err_set(e, NQ_ERROR, "power: zero raised to a negative power is undefined");
    if (x < 0 && isfinite(y) && floor(y) != y)
        return nq_err_set(e, NQ_ERROR,
                          "power: a negative number raised to a non-integer power yields a "
                          "complex result");
    return fn_set_real("power", pow(x, y), isinf(x) || isinf(y), out, e);
}

/* greatest/least: NULLs ignored (PostgreSQL); all arguments of one comparable class; a mix
 * of INTEGER and REAL gives REAL, as PostgreSQL resolves them to one type first. */
static int extreme(const char *f, int dir, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const sqlv *best = NULL;
    int any_real = 0;
    for (int k = 0; k < argc; k++) {
        const sqlv *v = &argv[k];
        if (v->type == SQLV_NULL)
            continue;
        any_real |= v->type == SQLV_REAL;
        if (!best) {
            best = v;
            continue;
        }
        if (sqlv_class(v->type) != sqlv_class(best->type))
            return nq_err_set(e, NQ_ETYPE, "%s: cannot compare %s with %s", f,
                              sqlv_type_name(best->type), sqlv_type_name(v->type));
        if (sqlv_order(v, best) * dir > 0)
            best = v;
    }
    if (!best)
        *out = sqlv_null();
    else if (any_real && best->type == SQLV_INT)
        *out = sqlv_real((double)best->i);
    else
        fn_set_borrowed(out, best);
    return 0;
}

int fn_greatest(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return extreme("greatest", 1, argc, argv, out, e);
}

int fn_least(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return extreme("least", -1, argc, argv, out, e);
}
