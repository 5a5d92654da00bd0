/*
 * fuzz_func.c — every built-in function on arbitrary arguments. Input: a selector byte (which
 * scalar or aggregate, by index in fn_scalar_list/fn_agg_list), an argument count byte, then
 * the arguments, each a type byte and a payload (see arg()). Aggregates get the arguments as
 * several rows of one or two values.
 * Checks: the call returns 0 or a valid NQ_E* code with a message; a result is a well-formed
 * value of a real type that prints (sqlv_to_string) and frees; no crash, no undefined
 * behaviour, no leak. The statement clock and random generator are fixed so runs replay.
 * Sizes that legitimately build huge results (repeat/lpad/rpad counts) are capped here, since
 * a gigabyte answer is correct behaviour, not a finding.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "sql/func.h"

#define MAXARGS 6

/* One argument: type byte t, then a payload. Integers come from a small table of edge values
 * or from 4 input bytes; text and blobs take a length byte and that many bytes. */
static sqlv arg(fuzz_in *in)
{
    static const int64_t edge[] = {0, 1, -1, 2, 3, 12, 31, 60, 100, 255, 1000, 65536,
                                   2147483647LL, -2147483648LL, INT64_MAX, INT64_MIN,
                                   INT64_MAX - 1, INT64_MIN + 1, 86400000000LL, 19782};
    static const double redge[] = {0.0, -0.0, 0.5, -0.5, 1.5, 2.675, 1e300, -1e300, 1e-300,
                                   9.2233720368547758e18, 1.0 / 0.0, -1.0 / 0.0, 3.14159};
    uint8_t t = fuzz_u8(in);
    size_t n;
    const uint8_t *p;
    switch (t % 9) {
    case 0: return sqlv_null();
    case 1: return sqlv_int(edge[fuzz_u8(in) % (sizeof edge / sizeof edge[0])]);
    case 2: return sqlv_int((int32_t)fuzz_u32(in));
    case 3: return sqlv_real(redge[fuzz_u8(in) % (sizeof redge / sizeof redge[0])]);
    case 4: return sqlv_real((double)(int32_t)fuzz_u32(in) / 64.0);
    case 5:
        p = fuzz_bytes(in, fuzz_u8(in), &n);
        return sqlv_text((const char *)p, n);
    case 6:
        p = fuzz_bytes(in, fuzz_u8(in), &n);
        return sqlv_bytes(t & 16 ? SQLV_BLOB : SQLV_VECTOR, p, t & 16 ? n : n & ~(size_t)3);
    case 7: return sqlv_bool(fuzz_u8(in) & 1);
    default: {
        static const sqlv_type tt[] = {SQLV_DATE, SQLV_TIME, SQLV_TIMESTAMP};
        sqlv_type ty = tt[fuzz_u8(in) % 3];
        int64_t v = (int32_t)fuzz_u32(in);
        if (ty == SQLV_TIME)
            v = (int64_t)((uint64_t)v * 1000003u % 86400000000ULL);
        else if (ty == SQLV_TIMESTAMP)
            v *= 1000003;
        return sqlv_temporal(ty, v);
    }
    }
}

static void check_result(int rc, const sqlv *out, const nq_err *e)
{
    FUZZ_CHECK_RC(rc);
    if (rc) {
        FUZZ_CHECK(e->msg[0] != 0);
        return;
    }
    FUZZ_CHECK((unsigned)out->type < SQLV_NTYPES);
    if (out->type == SQLV_REAL)
        FUZZ_CHECK(out->r == out->r); /* never NaN */
    if (out->type == SQLV_TEXT || out->type == SQLV_BLOB)
        FUZZ_CHECK(out->n == 0 || out->p != NULL);
    char *s = sqlv_to_string(out);
    FUZZ_CHECK(s != NULL);
    free(s);
}

static int too_big(const char *name, int argc, const sqlv *argv)
{
    if (strcmp(name, "repeat") && strcmp(name, "lpad") && strcmp(name, "rpad"))
        return 0;
    for (int k = 1; k < argc; k++)
        if ((argv[k].type == SQLV_INT && argv[k].i > 100000) ||
            (argv[k].type == SQLV_REAL && argv[k].r > 100000))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = fuzz_in_make(data, size);
    uint8_t sel = fuzz_u8(&in);
    int argc = fuzz_u8(&in) % (MAXARGS + 1);
    sqlv argv[MAXARGS];
    for (int k = 0; k < argc; k++)
        argv[k] = arg(&in);
    nq_rng rng;
    nq_rng_seed(&rng, 1);
    fn_ctx cx = {1700000000123456LL, &rng};
    nq_err e;
    nq_err_clear(&e);
    sqlv out = sqlv_null();
    size_t ns, na;
    const fn_scalar_def *sd = fn_scalar_list(&ns);
    const fn_agg_def *ad = fn_agg_list(&na);
    if (sel & 0x80) { /* aggregate: rows of w values */
        const fn_agg_def *d = &ad[(sel & 0x7f) % na];
        int w = d->min_args == 0 ? (argc & 1) : d->min_args;
        if (w > d->max_args || (w && argc < w))
            return 0;
        void *st = calloc(1, d->state_size ? d->state_size : 1);
        if (!st)
            return 0;
        d->init(st);
        int rc = 0;
        for (int r = 0; w ? r + w <= argc : r < argc; r += w ? w : 1) {
            int skip = 0;
            for (int k = 0; k < w; k++)
                skip |= argv[r + k].type == SQLV_NULL && !(d->flags & FN_NULL_OK);
            if (!skip && (rc = d->step(st, w, argv + r, &e)))
                break;
        }
        FUZZ_CHECK_RC(rc);
        if (!rc) {
            rc = d->final(st, &out, &e);
            check_result(rc, &out, &e);
            sqlv_clear(&out);
        }
        if (d->cleanup)
            d->cleanup(st);
        free(st);
        return 0;
    }
    const fn_scalar_def *d = &sd[sel % ns];
    if (argc < d->min_args || (d->max_args >= 0 && argc > d->max_args))
        return 0;
    if (too_big(d->name, argc, argv))
        return 0;
    if (!(d->flags & FN_NULL_OK))
        for (int k = 0; k < argc; k++)
            if (argv[k].type == SQLV_NULL)
                return 0;
    int rc = d->fn(&cx, argc, argv, &out, &e);
    check_result(rc, &out, &e);
    sqlv_clear(&out);
    /* the binder's entry points */
    if (argc >= 1) {
        static const char *const units[] = {"YEAR", "month", "WEEKS", "DAY", "hour", "MINUTE",
                                            "SECOND", "MILLISECOND", "MICROSECONDS", "QUARTER",
                                            NULL, "EON"};
        static const char *const fields[] = {"YEAR", "DOW", "ISODOW", "EPOCH", "SECOND",
                                             "CENTURY", "WEEK", "ISOYEAR", "MILLISECONDS", "X"};
        int64_t n = argc > 1 && argv[1].type == SQLV_INT ? argv[1].i : (int64_t)sel - 128;
        rc = fn_interval_add(&argv[0], n, units[sel % 12], sel & 1 ? 1 : -1, &out, &e);
        check_result(rc, &out, &e);
        sqlv_clear(&out);
        rc = fn_extract(fields[sel % 10], &argv[0], &out, &e);
        check_result(rc, &out, &e);
        sqlv_clear(&out);
    }
    return 0;
}
