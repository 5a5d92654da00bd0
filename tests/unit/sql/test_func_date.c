/*
 * test_func_date.c — the date and time functions. The calendar is checked three ways: a table
 * of known dates (epoch, Y2K, leap days, year 1, 9999-12-31, the Gregorian leap-century rule),
 * the C library's gmtime_r/strftime (an independent implementation of the same proleptic
 * calendar, 64-bit time_t) over random days across ±200000 years, and round trips. Also:
 * the statement clock, field functions and their conventions, ISO weeks at year boundaries,
 * formatting codes, month-end clamping in interval arithmetic, extract, and every error.
 */
#include <time.h>

#include "func_test.h"
#include "sql/func_int.h"

#define DAY_US 86400000000LL

static void test_known_dates(void **state)
{
    (void)state;
    static const struct { int64_t y; int m, d; int64_t days; } k[] = {
        {1970, 1, 1, 0},          {1969, 12, 31, -1},        {2000, 1, 1, 10957},
        {2000, 2, 29, 11016},     {2024, 2, 29, 19782},      {2024, 1, 1, 19723},
        {1, 1, 1, -719162},       {9999, 12, 31, 2932896},   {1900, 3, 1, -25508},
        {1900, 2, 28, -25509},    {0, 3, 1, -719468},        {0, 2, 29, -719469}, /* 1 BC: leap */
        {-1, 12, 31, -719529},    {1600, 2, 29, -135081},    {2038, 1, 19, 24855},
        {1582, 10, 15, -141427},  {1582, 10, 4, -141438}, /* no Julian gap: proleptic */
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        assert_int_equal(fn_days_from_civil(k[i].y, k[i].m, k[i].d), k[i].days);
        int64_t y;
        int m, d;
        fn_civil_from_days(k[i].days, &y, &m, &d);
        if (y != k[i].y || m != k[i].m || d != k[i].d)
            fail_msg("day %lld: %lld-%d-%d", (long long)k[i].days, (long long)y, m, d);
    }
}

static void test_calendar_vs_libc(void **state)
{
    (void)state;
    if (sizeof(time_t) < 8)
        skip();
    nq_rng r;
    nq_rng_seed(&r, 1234);
    for (int it = 0; it < 200000; it++) {
        /* ±200000 years around the epoch, plus dense coverage of 1800..2200 */
        int64_t span = it & 1 ? 73000000 : 146000;
        int64_t days = (int64_t)nq_rng_below(&r, (uint64_t)(2 * span)) - span;
        time_t t = (time_t)(days * 86400);
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        int64_t y;
        int m, d;
        fn_civil_from_days(days, &y, &m, &d);
        if (y != (int64_t)tm.tm_year + 1900 || m != tm.tm_mon + 1 || d != tm.tm_mday)
            fail_msg("day %lld: ours %lld-%d-%d, libc %d-%d-%d", (long long)days, (long long)y,
                     m, d, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        assert_int_equal(fn_days_from_civil(y, m, d), days);
        if (y < 1000 || y > 9999) /* glibc's %Y does not pad years below 1000 */
            continue;
        /* field functions and ISO weeks against strftime on the same instant */
        int64_t us = (int64_t)nq_rng_below(&r, (uint64_t)DAY_US);
        sqlv ts = TS(days * DAY_US + us), out;
        t = (time_t)(days * 86400 + us / 1000000);
        assert_non_null(gmtime_r(&t, &tm));
        char want[64];
        strftime(want, sizeof want, "%Y-%m-%d %H:%M:%S %j %u %w %V %G %a %b", &tm);
        nq_err e;
        assert_int_equal(fcall("strftime", ARGS(T("%Y-%m-%d %H:%M:%S %j %u %w %V %G %a %b"), ts), &out, &e), 0);
        if (out.n != strlen(want) || memcmp(out.p, want, out.n))
            fail_msg("strftime: ours '%.*s', libc '%s'", (int)out.n, (const char *)out.p, want);
        sqlv_clear(&out);
        assert_int_equal(fcall("dayofweek", ARGS(ts), &out, &e), 0);
        assert_int_equal(out.i, tm.tm_wday + 1);
        assert_int_equal(fcall("weekday", ARGS(ts), &out, &e), 0);
        assert_int_equal(out.i, (tm.tm_wday + 6) % 7);
        assert_int_equal(fcall("dayofyear", ARGS(ts), &out, &e), 0);
        assert_int_equal(out.i, tm.tm_yday + 1);
        assert_int_equal(fcall("hour", ARGS(ts), &out, &e), 0);
        assert_int_equal(out.i, tm.tm_hour);
    }
}

static void test_clock(void **state)
{
    (void)state;
    /* test_cx.now_us = 1700000000123456 = 2023-11-14 22:13:20.123456 UTC */
    chk("now", SQLV_TIMESTAMP, "2023-11-14 22:13:20.123456", NOARGS);
    chk("current_timestamp", SQLV_TIMESTAMP, "2023-11-14 22:13:20.123456", NOARGS);
    chk("getdate", SQLV_TIMESTAMP, "2023-11-14 22:13:20.123456", NOARGS);
    chk("sysdate", SQLV_TIMESTAMP, "2023-11-14 22:13:20.123456", NOARGS);
    chk("localtimestamp", SQLV_TIMESTAMP, "2023-11-14 22:13:20.123456", NOARGS);
    chk("utc_timestamp", SQLV_TIMESTAMP, "2023-11-14 22:13:20.123456", NOARGS);
    chk("current_date", SQLV_DATE, "2023-11-14", NOARGS);
    chk("curdate", SQLV_DATE, "2023-11-14", NOARGS);
    chk("utc_date", SQLV_DATE, "2023-11-14", NOARGS);
    chk("current_time", SQLV_TIME, "22:13:20.123456", NOARGS);
    chk("curtime", SQLV_TIME, "22:13:20.123456", NOARGS);
    chk("utc_time", SQLV_TIME, "22:13:20.123456", NOARGS);
    chk("localtime", SQLV_TIME, "22:13:20.123456", NOARGS);
    chk("unix_timestamp", SQLV_INT, "1700000000", NOARGS);
    chk("epoch", SQLV_INT, "1700000000", NOARGS);
    /* the clock is the context's, not the machine's */
    int64_t saved = test_cx.now_us;
    test_cx.now_us = -1; /* 1969-12-31 23:59:59.999999 */
    chk("current_date", SQLV_DATE, "1969-12-31", NOARGS);
    chk("unix_timestamp", SQLV_INT, "-1", NOARGS);
    test_cx.now_us = saved;
    assert_false(fn_scalar_find("now")->flags & FN_DETERMINISTIC);
    assert_false(fn_scalar_find("current_date")->flags & FN_DETERMINISTIC);
    assert_true(fn_scalar_find("year")->flags & FN_DETERMINISTIC);
    nq_err e;
    sqlv out;
    assert_int_equal(fn_scalar_find("now")->fn(NULL, 0, NULL, &out, &e), NQ_EMISUSE);
}

static void test_conversions(void **state)
{
    (void)state;
    chk("date", SQLV_DATE, "2024-02-29", ARGS(T("2024-02-29")));
    chk("date", SQLV_DATE, "2024-02-29", ARGS(T("2024-02-29 13:45:00")));
    chk("date", SQLV_DATE, "2024-02-29", ARGS(T(" 2024-02-29T13:45:00 ")));
    chk("date", SQLV_DATE, "1969-12-31", ARGS(TS(-1)));
    chk("date", SQLV_DATE, "2024-02-29", ARGS(DT(19782)));
    chk_err("date", NQ_ERROR, "date: invalid date/time value '2023-02-29'", ARGS(T("2023-02-29")));
    chk_err("date", NQ_ERROR, "invalid date/time value 'yesterday'", ARGS(T("yesterday")));
    chk_err("date", NQ_ETYPE, "date: argument 1 must be a date, time or timestamp, not INTEGER", ARGS(I(20240229)));
    chk_err("date", NQ_ETYPE, "must be a date or timestamp, not TIME", ARGS(TM(0)));
    chk("time", SQLV_TIME, "13:45:00", ARGS(T("2024-02-29 13:45:00")));
    chk("time", SQLV_TIME, "13:45:30.500000", ARGS(T("13:45:30.5")));
    chk("time", SQLV_TIME, "00:00:00", ARGS(DT(5)));
    chk("time", SQLV_TIME, "23:59:59.999999", ARGS(TS(-1)));
    chk("timestamp", SQLV_TIMESTAMP, "2024-02-29 00:00:00", ARGS(DT(19782)));
    chk("datetime", SQLV_TIMESTAMP, "2024-02-29 01:02:03", ARGS(T("2024-02-29 01:02:03")));
    chk("unix_timestamp", SQLV_INT, "86400", ARGS(T("1970-01-02")));
    chk("unix_timestamp", SQLV_INT, "-1", ARGS(TS(-1000000)));
    chk("unix_timestamp", SQLV_INT, "-62135596800", ARGS(DT(-719162))); /* 0001-01-01 */
    chk("date", SQLV_NULL, "NULL", ARGS(NUL));
    chk_err("year", NQ_ERROR, "date out of range", ARGS(DT(INT64_MAX)));
    chk_err("hour", NQ_ERROR, "hour: time out of range", ARGS(TM(-1)));
    chk_err("date_add", NQ_ERROR, "time out of range", ARGS(TM(INT64_MAX), I(1), T("HOUR")));
}

static void test_fields(void **state)
{
    (void)state;
    sqlv ts = TS(19782 * DAY_US + ((13 * 60 + 45) * 60 + 7) * 1000000LL + 250000); /* Thu 2024-02-29 13:45:07.25 */
    chk("year", SQLV_INT, "2024", ARGS(ts));
    chk("month", SQLV_INT, "2", ARGS(ts));
    chk("day", SQLV_INT, "29", ARGS(ts));
    chk("dayofmonth", SQLV_INT, "29", ARGS(ts));
    chk("hour", SQLV_INT, "13", ARGS(ts));
    chk("minute", SQLV_INT, "45", ARGS(ts));
    chk("second", SQLV_INT, "7", ARGS(ts));
    chk("dayofweek", SQLV_INT, "5", ARGS(ts)); /* 1 = Sunday: Thursday is 5 */
    chk("weekday", SQLV_INT, "3", ARGS(ts));   /* 0 = Monday: Thursday is 3 */
    chk("dayofyear", SQLV_INT, "60", ARGS(ts));
    chk("quarter", SQLV_INT, "1", ARGS(ts));
    chk("week", SQLV_INT, "9", ARGS(ts));
    chk("year", SQLV_INT, "1999", ARGS(T("1999-12-31")));
    chk("dayofyear", SQLV_INT, "366", ARGS(T("2000-12-31")));
    chk("dayofyear", SQLV_INT, "365", ARGS(T("1900-12-31"))); /* 1900 is not leap */
    chk("quarter", SQLV_INT, "4", ARGS(T("2023-10-01")));
    chk("hour", SQLV_INT, "0", ARGS(DT(3)));
    chk("hour", SQLV_INT, "23", ARGS(TM(86399999999LL)));
    chk("minute", SQLV_INT, "30", ARGS(T("10:30")));
    chk_err("year", NQ_ETYPE, "year: argument 1 must be a date or timestamp, not TIME", ARGS(TM(5)));
    chk_err("month", NQ_ETYPE, "month: argument 1 must be a date, time or timestamp, not REAL", ARGS(R(1)));
    /* ISO weeks at year boundaries */
    chk("week", SQLV_INT, "53", ARGS(T("2021-01-01"))); /* Friday: week 53 of 2020 */
    chk("week", SQLV_INT, "1", ARGS(T("2019-12-30")));  /* Monday: week 1 of 2020 */
    chk("weekofyear", SQLV_INT, "1", ARGS(T("2015-01-01")));
    chk("week", SQLV_INT, "53", ARGS(T("2015-12-31")));
    chk("week", SQLV_INT, "52", ARGS(T("2023-01-01"))); /* Sunday: week 52 of 2022 */
    /* negative epochs and far years */
    chk("year", SQLV_INT, "1", ARGS(DT(-719162)));
    chk("year", SQLV_INT, "0", ARGS(DT(-719163)));
    chk("day", SQLV_INT, "31", ARGS(DT(-719163)));
    chk("year", SQLV_INT, "9999", ARGS(DT(2932896)));
    chk("dayofweek", SQLV_INT, "2", ARGS(DT(-719162))); /* 0001-01-01 was a Monday */
    chk("second", SQLV_INT, "59", ARGS(TS(-1)));
}

static void xchk_at(int line, const char *field, sqlv x, sqlv_type type, const char *want)
{
    nq_err e;
    sqlv out;
    int rc = fn_extract(field, &x, &out, &e);
    if (rc)
        fail_msg("line %d: extract(%s) failed: %s", line, field, e.msg);
    char *s = sqlv_to_string(&out);
    if (out.type != type || strcmp(s, want))
        fail_msg("line %d: extract(%s) gave %s '%s', want '%s'", line, field,
                 sqlv_type_name(out.type), s, want);
    free(s);
}
#define xchk(f, x, type, want) xchk_at(__LINE__, f, x, type, want)

static void test_extract(void **state)
{
    (void)state;
    sqlv ts = TS(19782 * DAY_US + ((13 * 60 + 45) * 60 + 7) * 1000000LL + 250000);
    xchk("YEAR", ts, SQLV_INT, "2024");
    xchk("month", ts, SQLV_INT, "2");
    xchk("DAY", ts, SQLV_INT, "29");
    xchk("HOUR", ts, SQLV_INT, "13");
    xchk("MINUTE", ts, SQLV_INT, "45");
    xchk("SECOND", ts, SQLV_REAL, "7.25");
    xchk("MILLISECONDS", ts, SQLV_REAL, "7250.0");
    xchk("MICROSECOND", ts, SQLV_INT, "7250000");
    xchk("DOW", ts, SQLV_INT, "4");
    xchk("ISODOW", T("2024-03-03"), SQLV_INT, "7");
    xchk("DOW", T("2024-03-03"), SQLV_INT, "0");
    xchk("DOY", ts, SQLV_INT, "60");
    xchk("WEEK", ts, SQLV_INT, "9");
    xchk("ISOYEAR", T("2021-01-01"), SQLV_INT, "2020");
    xchk("QUARTER", ts, SQLV_INT, "1");
    xchk("EPOCH", ts, SQLV_REAL, "1709214307.25");
    xchk("EPOCH", DT(-1), SQLV_REAL, "-86400.0");
    xchk("EPOCH", TM(90000000), SQLV_REAL, "90.0");
    xchk("DECADE", ts, SQLV_INT, "202");
    xchk("CENTURY", ts, SQLV_INT, "21");
    xchk("CENTURY", T("2000-12-31"), SQLV_INT, "20");
    xchk("CENTURY", DT(-719163), SQLV_INT, "-1"); /* year 0 = 1 BC */
    xchk("CENTURY", T("0001-01-01"), SQLV_INT, "1");
    xchk("MILLENNIUM", DT(-719163), SQLV_INT, "-1");
    xchk("MILLENNIUM", T("2001-01-01"), SQLV_INT, "3");
    xchk("HOUR", DT(1), SQLV_INT, "0");
    xchk("HOUR", TM(3600000000LL), SQLV_INT, "1");
    xchk("YEAR", NUL, SQLV_NULL, "NULL");
    nq_err e;
    sqlv out;
    assert_int_equal(fn_extract("FORTNIGHT", &ts, &out, &e), NQ_ERROR);
    assert_non_null(strstr(e.msg, "unit \"FORTNIGHT\" not recognized"));
    sqlv tm = TM(5);
    assert_int_equal(fn_extract("YEAR", &tm, &out, &e), NQ_ETYPE);
    sqlv i = I(5);
    assert_int_equal(fn_extract("YEAR", &i, &out, &e), NQ_ETYPE);
    chk("date_part", SQLV_INT, "2024", ARGS(T("year"), ts));
    chk("extract", SQLV_REAL, "7.25", ARGS(T("second"), ts));
    chk_err("date_part", NQ_ERROR, "not recognized", ARGS(T("eon"), ts));
}

static void test_format(void **state)
{
    (void)state;
    sqlv ts = TS(19782 * DAY_US + ((13 * 60 + 45) * 60 + 7) * 1000000LL + 250000);
    chk("date_format", SQLV_TEXT, "2024-02-29 13:45:07", ARGS(ts, T("%Y-%m-%d %H:%M:%S")));
    chk("date_format", SQLV_TEXT, "2024-02-29 13:45:07", ARGS(ts, T("%F %T")));
    chk("date_format", SQLV_TEXT, "13:45:07.250000", ARGS(ts, T("%H:%i:%S.%f")));
    chk("date_format", SQLV_TEXT, "Thu Thursday Feb February 02/29/24 29", ARGS(ts, T("%a %A %b %B %D %e")));
    chk("date_format", SQLV_TEXT, "01 PM 13:45 4 4 09 2024 060 100%", ARGS(ts, T("%I %p %R %u %w %V %G %j 100%%")));
    chk("date_format", SQLV_TEXT, "1709214307", ARGS(ts, T("%s")));
    chk("date_format", SQLV_TEXT, "12 AM", ARGS(DT(0), T("%I %p")));
    chk("date_format", SQLV_TEXT, "0001-01-01", ARGS(DT(-719162), T("%Y-%m-%d")));
    chk("date_format", SQLV_TEXT, "-0001-12-31", ARGS(DT(-719529), T("%Y-%m-%d")));
    chk("date_format", SQLV_TEXT, "2024", ARGS(T("2024-02-29"), T("%Y")));
    chk("date_format", SQLV_TEXT, "10:30", ARGS(TM(37800000000LL), T("%H:%M")));
    chk("strftime", SQLV_TEXT, "2024/02/29", ARGS(T("%Y/%m/%d"), ts));        /* SQLite order */
    chk("strftime", SQLV_TEXT, "2024/02/29", ARGS(ts, T("%Y/%m/%d")));        /* upstream order */
    chk("strftime", SQLV_TEXT, "2024/02/29", ARGS(T("%Y/%m/%d"), T("2024-02-29")));
    chk_err("date_format", NQ_ERROR, "unsupported format code %Q", ARGS(ts, T("%Q")));
    chk_err("date_format", NQ_ERROR, "lone %", ARGS(ts, T("abc%")));
    chk_err("date_format", NQ_ETYPE, "%Y needs a date, not TIME", ARGS(TM(0), T("%Y")));
}

static void test_datediff_add(void **state)
{
    (void)state;
    chk("datediff", SQLV_INT, "1", ARGS(T("2024-03-01"), T("2024-02-29")));
    chk("datediff", SQLV_INT, "-366", ARGS(T("2024-01-01"), T("2025-01-01")));
    chk("datediff", SQLV_INT, "0", ARGS(T("2024-01-01 23:59:59"), T("2024-01-01 00:00:00")));
    chk("datediff", SQLV_INT, "2932896", ARGS(DT(2932896), DT(0)));
    chk_err("datediff", NQ_ETYPE, "datediff: argument 2 must be a date or timestamp", ARGS(DT(1), TM(1)));
    /* month arithmetic clamps to the end of the month */
    chk("date_add", SQLV_DATE, "2024-02-29", ARGS(T("2024-01-31"), I(1), T("MONTH")));
    chk("date_add", SQLV_DATE, "2023-02-28", ARGS(T("2023-01-31"), I(1), T("month")));
    chk("date_add", SQLV_DATE, "2025-02-28", ARGS(T("2024-02-29"), I(1), T("YEAR")));
    chk("date_add", SQLV_DATE, "2028-02-29", ARGS(T("2024-02-29"), I(4), T("years")));
    chk("date_add", SQLV_DATE, "2024-04-30", ARGS(T("2024-01-31"), I(1), T("QUARTER")));
    chk("date_sub", SQLV_DATE, "2023-12-31", ARGS(T("2024-03-31"), I(1), T("QUARTER")));
    chk("date_sub", SQLV_DATE, "2024-02-29", ARGS(T("2024-03-31"), I(1), T("MONTH")));
    chk("date_add", SQLV_DATE, "2023-12-31", ARGS(T("2024-01-31"), I(-1), T("MONTH")));
    chk("date_add", SQLV_DATE, "0000-12-31", ARGS(T("0001-01-31"), I(-1), T("MONTH")));
    chk("date_add", SQLV_DATE, "2024-03-10", ARGS(DT(19782), I(10)));          /* days */
    chk("date_add", SQLV_DATE, "2024-03-14", ARGS(DT(19782), I(2), T("WEEK")));
    chk("date_sub", SQLV_DATE, "1969-12-31", ARGS(DT(0), I(1), T("DAY")));
    /* sub-day units turn a DATE into a TIMESTAMP */
    chk("date_add", SQLV_TIMESTAMP, "2024-02-29 03:00:00", ARGS(DT(19782), I(3), T("HOUR")));
    chk("date_sub", SQLV_TIMESTAMP, "2024-02-28 23:59:30", ARGS(DT(19782), I(30), T("SECOND")));
    chk("date_add", SQLV_TIMESTAMP, "2024-03-01 00:00:00", ARGS(T("2024-02-29 23:59:00"), I(1), T("MINUTE")));
    chk("date_add", SQLV_TIMESTAMP, "2024-03-29 12:00:00", ARGS(T("2024-02-29 12:00:00"), I(1), T("MONTH")));
    chk("date_add", SQLV_TIMESTAMP, "1970-01-01 00:00:00.001000", ARGS(TS(0), I(1), T("MILLISECOND")));
    chk("date_add", SQLV_TIMESTAMP, "1969-12-31 23:59:59.999999", ARGS(TS(0), I(-1), T("MICROSECONDS")));
    /* TIME wraps around midnight */
    chk("date_add", SQLV_TIME, "01:00:00", ARGS(T("23:00:00"), I(2), T("HOUR")));
    chk("date_sub", SQLV_TIME, "23:00:00", ARGS(TM(3600000000LL), I(2), T("HOUR")));
    chk("date_add", SQLV_TIME, "23:00:00", ARGS(TM(3600000000LL), I(-50), T("HOUR")));
    chk_err("date_add", NQ_ETYPE, "cannot add a DAY interval to a TIME", ARGS(TM(0), I(1), T("DAY")));
    chk_err("date_add", NQ_ERROR, "interval unit \"FORTNIGHT\" not recognized", ARGS(DT(0), I(1), T("FORTNIGHT")));
    chk_err("date_add", NQ_ERROR, "date out of range", ARGS(DT(0), I(INT64_MAX), T("DAY")));
    chk_err("date_add", NQ_ERROR, "out of range", ARGS(DT(0), I(INT64_MAX), T("YEAR")));
    chk_err("date_add", NQ_ERROR, "date out of range", ARGS(DT(0), I(2000000), T("YEAR")));
    chk_err("date_add", NQ_ERROR, "out of range", ARGS(TS(0), I(INT64_MAX), T("SECOND")));
    chk_err("date_sub", NQ_ERROR, "out of range", ARGS(TS(0), I(INT64_MIN), T("MICROSECOND")));
    chk("date_add", SQLV_TIMESTAMP, "-290308-12-21 19:59:05.224192", ARGS(TS(0), I(INT64_MIN), T("MICROSECOND")));
    chk_err("date_add", NQ_ERROR, "timestamp out of range", ARGS(TS(-1), I(INT64_MIN), T("MICROSECOND")));
    chk("date_add", SQLV_TIMESTAMP, "-290308-12-21 19:59:05.224192", ARGS(TS(-1), I(INT64_MIN + 1), T("MICROSECOND"))); /* INT64_MIN itself */
    chk("date_add", SQLV_TIMESTAMP, "-290308-12-21 19:59:05.224193", ARGS(TS(0), I(INT64_MIN + 1), T("MICROSECOND"))); /* checked with Python date arithmetic over 400-year cycles */
    chk("date_add", SQLV_NULL, "NULL", ARGS(NUL, I(1), T("DAY")));
    /* the binder's entry point */
    nq_err e;
    sqlv out, d = T("2024-01-31"), n = NUL;
    assert_int_equal(fn_interval_add(&d, 1, "MONTH", 1, &out, &e), 0);
    assert_int_equal(out.type, SQLV_DATE);
    assert_int_equal(out.i, 19782);
    assert_int_equal(fn_interval_add(&d, 3, NULL, -1, &out, &e), 0); /* no unit: seconds */
    assert_int_equal(out.type, SQLV_TIMESTAMP);
    assert_int_equal(out.i, 19753 * DAY_US - 3000000);
    assert_int_equal(fn_interval_add(&n, 1, "DAY", 1, &out, &e), 0);
    assert_int_equal(out.type, SQLV_NULL);
    /* month arithmetic against an independent loop: add k months one at a time from the
     * 31st, clamping by hand with the libc calendar */
    for (int k = -30; k <= 30; k++) {
        sqlv start = T("2023-08-31");
        assert_int_equal(fn_interval_add(&start, k, "MONTH", 1, &out, &e), 0);
        int64_t mon = 2023 * 12 + 7 + k, y = mon / 12;
        int m = (int)(mon % 12) + 1;
        struct tm tm = {0};
        tm.tm_year = (int)y - 1900;
        tm.tm_mon = m; /* day 0 of the next month = last day of this one */
        tm.tm_mday = 0;
        time_t t = timegm(&tm);
        int last = gmtime_r(&t, &tm)->tm_mday;
        assert_int_equal(out.i, fn_days_from_civil(y, m, last < 31 ? last : 31));
    }
}

static void test_make_last(void **state)
{
    (void)state;
    chk("make_date", SQLV_DATE, "2024-02-29", ARGS(I(2024), I(2), I(29)));
    chk("make_date", SQLV_DATE, "0001-01-01", ARGS(I(1), I(1), I(1)));
    chk_err("make_date", NQ_ERROR, "out of range: 2023-02-29", ARGS(I(2023), I(2), I(29)));
    chk_err("make_date", NQ_ERROR, "out of range", ARGS(I(2023), I(13), I(1)));
    chk_err("make_date", NQ_ERROR, "out of range", ARGS(I(2023), I(4), I(31)));
    chk("last_day", SQLV_DATE, "2024-02-29", ARGS(T("2024-02-03")));
    chk("last_day", SQLV_DATE, "2100-02-28", ARGS(T("2100-02-03")));
    chk("last_day", SQLV_DATE, "2000-02-29", ARGS(T("2000-02-13 10:00")));
    chk("last_day", SQLV_DATE, "2024-12-31", ARGS(T("2024-12-31")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates),
        cmocka_unit_test(test_calendar_vs_libc),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_datediff_add),
        cmocka_unit_test(test_make_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
