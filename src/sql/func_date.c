/*
 * func_date.c — date and time functions: the statement clock (now, current_date, ...),
 * conversions (date, time, timestamp), field access (year ... second, dayofweek, ISO week,
 * extract/date_part), formatting (strftime/date_format), differences and interval arithmetic
 * (datediff, date_add/date_sub and fn_interval_add for the binder's INTERVAL nodes).
 *
 * Representation is value.h's: DATE is days since 1970-01-01, TIME is µs since midnight,
 * TIMESTAMP is µs since 1970-01-01 00:00:00 UTC; there are no time zones (every clock
 * function is UTC; localtime/localtimestamp are UTC too). The calendar is the proleptic
 * Gregorian one with astronomical years (year 0 is 1 BC), computed from first principles:
 * days_from_civil counts whole 400-year eras (146097 days each), then years in the era with
 * the 4/100/400 leap rule, then days before the month with a March-based year in which
 * February is last — so the leap day is the last day of the shifted year and month lengths
 * follow the 153-days-per-5-months pattern. civil_from_days inverts it. Both are exact on
 * every int64 day count in range and need no tables or loops.
 *
 * Text arguments are parsed by sqlv_cast (the same parser as CAST(x AS TIMESTAMP)), so the
 * accepted spellings are the ones docs/qsql-values.md lists, in one place.
 *
 * Interval arithmetic follows PostgreSQL/MySQL: months and years move the calendar month and
 * clamp the day to the end of the target month (Jan 31 + 1 month = Feb 28 or 29); weeks and
 * days move days; hours and smaller move microseconds. Adding a sub-day unit to a DATE gives
 * a TIMESTAMP (MySQL); a TIME wraps around midnight (PostgreSQL); results outside years
 * -999999..999999 are "date out of range".
 */
#include "sql/func_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL
#define MAX_YEAR 999999
#define DAYS_LIMIT (1LL << 40) /* value.c prints DATEs beyond this as raw day numbers */

/* ---- calendar -------------------------------------------------------------------------- */
int64_t fn_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2; /* the year starts in March: Jan and Feb belong to the previous one */
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                       /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;     /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               /* [0, 146096] */
    return era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

void fn_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday. */
static int dow_sun0(int64_t days) { return (int)(((days % 7) + 7 + 4) % 7); }

static void split_ts(int64_t ts, int64_t *days, int64_t *us)
{
    int64_t r = ts % US_PER_DAY;
    *days = ts / US_PER_DAY - (r < 0);
    *us = r < 0 ? r + US_PER_DAY : r;
}

/* ISO 8601 week and week-year: the week belongs to the year that holds its Thursday. */
static void iso_week(int64_t days, int64_t *iso_year, int *week)
{
    int wd = dow_sun0(days);
    int iso_wd = wd == 0 ? 7 : wd;
    int64_t thu = days - (iso_wd - 4), y;
    int m, d;
    fn_civil_from_days(thu, &y, &m, &d);
    *iso_year = y;
    *week = (int)((thu - fn_days_from_civil(y, 1, 1)) / 7 + 1);
}

/* ---- arguments ------------------------------------------------------------------------- */
typedef struct dt {
    int64_t days, us; /* us: microseconds into the day */
    int has_date, has_time;
    sqlv_type type;   /* the argument's type after parsing text */
} dt;

/* Any temporal argument (or text that casts to TIMESTAMP, DATE-only text included, or to
 * TIME) as day + time of day. */
static int get_dt(const char *f, int argn, const sqlv *v, dt *o, nq_err *e)
{
    memset(o, 0, sizeof *o);
    switch (v->type) {
    case SQLV_DATE:
        if (v->i > DAYS_LIMIT || v->i < -DAYS_LIMIT) /* only raw casts make such values */
            return nq_err_set(e, NQ_ERROR, "%s: date out of range", f);
        o->days = v->i, o->has_date = 1, o->type = SQLV_DATE;
        return 0;
    case SQLV_TIMESTAMP:
        split_ts(v->i, &o->days, &o->us);
        o->has_date = o->has_time = 1, o->type = SQLV_TIMESTAMP;
        return 0;
    case SQLV_TIME:
        if (v->i < 0 || v->i >= US_PER_DAY) /* only damaged or raw values */
            return nq_err_set(e, NQ_ERROR, "%s: time out of range", f);
        o->us = v->i, o->has_time = 1, o->type = SQLV_TIME;
        return 0;
    case SQLV_TEXT: {
        sqlv t;
        nq_err tmp;
        nq_err_clear(&tmp);
        if (!sqlv_cast(v, SQLV_DATE, &t, &tmp))
            return get_dt(f, argn, &t, o, e);
        if (!sqlv_cast(v, SQLV_TIMESTAMP, &t, &tmp))
            return get_dt(f, argn, &t, o, e);
        if (!sqlv_cast(v, SQLV_TIME, &t, &tmp))
            return get_dt(f, argn, &t, o, e);
        int n = v->n > 64 ? 64 : (int)v->n;
        return nq_err_set(e, NQ_ERROR, "%s: invalid date/time value '%.*s%s'", f, n,
                          (const char *)v->p, v->n > 64 ? "..." : "");
    }
    default: return fn_arg_type_error(f, argn, v, "a date, time or timestamp", e);
    }
}

static int need_date(const char *f, int argn, const dt *d, nq_err *e)
{
    if (!d->has_date)
        return nq_err_set(e, NQ_ETYPE, "%s: argument %d must be a date or timestamp, not TIME",
                          f, argn);
    return 0;
}

static int clock_now(const char *f, fn_ctx *cx, int64_t *now, nq_err *e)
{
    if (!cx)
        return nq_err_set(e, NQ_EMISUSE, "%s: no statement clock in this context", f);
    *now = cx->now_us;
    return 0;
}

static int make_ts(int64_t days, int64_t us, sqlv *out, nq_err *e)
{
    int64_t ts;
    if (days < 0 && us > 0) /* (days + 1) * D - (D - us): exact down to INT64_MIN */
        days++, us -= US_PER_DAY;
    if (__builtin_mul_overflow(days, US_PER_DAY, &ts) || __builtin_add_overflow(ts, us, &ts))
        return nq_err_set(e, NQ_ERROR, "timestamp out of range");
    *out = sqlv_temporal(SQLV_TIMESTAMP, ts);
    return 0;
}

/* ---- the statement clock --------------------------------------------------------------- */
int fn_now(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t now = 0;
    int rc = clock_now("now", cx, &now, e);
    if (!rc)
        *out = sqlv_temporal(SQLV_TIMESTAMP, now);
    return rc;
}

int fn_current_date(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t now = 0, days, us;
    int rc = clock_now("current_date", cx, &now, e);
    if (rc)
        return rc;
    split_ts(now, &days, &us);
    *out = sqlv_temporal(SQLV_DATE, days);
    return 0;
}

int fn_current_time(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t now = 0, days, us;
    int rc = clock_now("current_time", cx, &now, e);
    if (rc)
        return rc;
    split_ts(now, &days, &us);
    *out = sqlv_temporal(SQLV_TIME, us);
    return 0;
}

/* ---- conversions ----------------------------------------------------------------------- */
int fn_date(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    dt d;
    int rc = get_dt("date", 1, &argv[0], &d, e);
    if (!rc)
        rc = need_date("date", 1, &d, e);
    if (!rc)
        *out = sqlv_temporal(SQLV_DATE, d.days);
    return rc;
}

int fn_time(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    dt d;
    int rc = get_dt("time", 1, &argv[0], &d, e);
    if (!rc)
        *out = sqlv_temporal(SQLV_TIME, d.us);
    return rc;
}

int fn_timestamp(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    dt d;
    int rc = get_dt("timestamp", 1, &argv[0], &d, e);
    if (!rc)
        rc = need_date("timestamp", 1, &d, e);
    if (!rc)
        rc = make_ts(d.days, d.us, out, e);
    return rc;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* unix_timestamp([x]) / epoch([x]): whole seconds since 1970 (fractions dropped toward
 * minus infinity), of x or of the statement clock. */
int fn_unix_timestamp(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argc == 0) {
        int64_t now = 0;
        int rc = clock_now("unix_timestamp", cx, &now, e);
        if (!rc)
            *out = sqlv_int(floor_div(now, US_PER_SEC));
        return rc;
    }
    dt d;
    int rc = get_dt("unix_timestamp", 1, &argv[0], &d, e);
    if (!rc)
        rc = need_date("unix_timestamp", 1, &d, e);
    if (rc)
        return rc;
    int64_t s;
    if (__builtin_mul_overflow(d.days, 86400, &s))
        return nq_err_set(e, NQ_ERROR, "unix_timestamp: value out of range");
    *out = sqlv_int(s + d.us / US_PER_SEC);
    return 0;
}

/* ---- fields ---------------------------------------------------------------------------- */
enum { F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_SECOND, F_DOW1, F_WEEKDAY, F_DOY, F_WEEK,
       F_QUARTER };

static int field(const char *f, int which, const sqlv *v, sqlv *out, nq_err *e)
{
    dt d;
    int rc = get_dt(f, 1, v, &d, e);
    if (rc)
        return rc;
    int64_t y = 0, r = 0;
    int m = 0, day = 0;
    if (which != F_HOUR && which != F_MINUTE && which != F_SECOND) {
        if ((rc = need_date(f, 1, &d, e)))
            return rc;
        fn_civil_from_days(d.days, &y, &m, &day);
    }
    switch (which) {
    case F_YEAR: r = y; break;
    case F_MONTH: r = m; break;
    case F_DAY: r = day; break;
    case F_HOUR: r = d.us / (3600 * US_PER_SEC); break;
    case F_MINUTE: r = d.us / (60 * US_PER_SEC) % 60; break;
    case F_SECOND: r = d.us / US_PER_SEC % 60; break;
    case F_DOW1: r = dow_sun0(d.days) + 1; break;         /* MySQL DAYOFWEEK: 1 = Sunday */
    case F_WEEKDAY: r = (dow_sun0(d.days) + 6) % 7; break; /* MySQL WEEKDAY: 0 = Monday */
    case F_DOY: r = d.days - fn_days_from_civil(y, 1, 1) + 1; break;
    case F_WEEK: {
        int64_t iy;
        int w;
        iso_week(d.days, &iy, &w);
        r = w;
        break;
    }
    case F_QUARTER: r = (m - 1) / 3 + 1; break;
    }
    *out = sqlv_int(r);
    return 0;
}

#define FIELD(cname, label, which)                                                           \
    int cname(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)                  \
    {                                                                                        \
        return field(label, which, &argv[0], out, e);                                        \
    }
FIELD(fn_year, "year", F_YEAR)
FIELD(fn_month, "month", F_MONTH)
FIELD(fn_day, "day", F_DAY)
FIELD(fn_hour, "hour", F_HOUR)
FIELD(fn_minute, "minute", F_MINUTE)
FIELD(fn_second, "second", F_SECOND)
FIELD(fn_dayofweek, "dayofweek", F_DOW1)
FIELD(fn_weekday, "weekday", F_WEEKDAY)
FIELD(fn_dayofyear, "dayofyear", F_DOY)
FIELD(fn_week, "week", F_WEEK)
FIELD(fn_quarter, "quarter", F_QUARTER)

/* EXTRACT(field FROM x), PostgreSQL's fields. SECOND, MILLISECOND(S) and EPOCH are REAL (they
 * carry the fraction); the rest are INTEGER. DOW is 0 = Sunday, ISODOW 1 = Monday. Date
 * fields of a TIME are an error; time fields of a DATE are 0. */
int fn_extract(const char *fname, const sqlv *x, sqlv *out, nq_err *e)
{
    static const char *const names[] = {
        "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "DOW", "ISODOW", "DOY", "WEEK",
        "QUARTER", "EPOCH", "MILLISECOND", "MILLISECONDS", "MICROSECOND", "MICROSECONDS",
        "ISOYEAR", "DECADE", "CENTURY", "MILLENNIUM"};
    enum { X_YEAR, X_MONTH, X_DAY, X_HOUR, X_MINUTE, X_SECOND, X_DOW, X_ISODOW, X_DOY, X_WEEK,
           X_QUARTER, X_EPOCH, X_MS, X_MS2, X_US, X_US2, X_ISOYEAR, X_DECADE, X_CENTURY,
           X_MILLENNIUM, X_N };
    int which = -1;
    for (int k = 0; k < X_N && fname; k++)
        if (!strcasecmp(fname, names[k]))
            which = k;
    if (which < 0)
        return nq_err_set(e, NQ_ERROR, "extract: unit \"%s\" not recognized",
                          fname ? fname : "(null)");
    *out = sqlv_null();
    if (x->type == SQLV_NULL)
        return 0;
    dt d;
    int rc = get_dt("extract", 2, x, &d, e);
    if (rc)
        return rc;
    int time_field = which == X_HOUR || which == X_MINUTE || which == X_SECOND ||
                     which == X_MS || which == X_MS2 || which == X_US || which == X_US2 ||
                     (which == X_EPOCH && !d.has_date);
    if (!time_field && !d.has_date)
        return nq_err_set(e, NQ_ETYPE, "extract: unit \"%s\" not supported for type TIME",
                          names[which]);
    int64_t y = 0;
    int m = 0, day = 0;
    if (d.has_date)
        fn_civil_from_days(d.days, &y, &m, &day);
    int64_t sec_us = d.us % (60 * US_PER_SEC); /* µs within the minute */
    switch (which) {
    case X_YEAR: *out = sqlv_int(y); break;
    case X_MONTH: *out = sqlv_int(m); break;
    case X_DAY: *out = sqlv_int(day); break;
    case X_HOUR: *out = sqlv_int(d.us / (3600 * US_PER_SEC)); break;
    case X_MINUTE: *out = sqlv_int(d.us / (60 * US_PER_SEC) % 60); break;
    case X_SECOND: *out = sqlv_real((double)sec_us / 1e6); break;
    case X_MS:
    case X_MS2: *out = sqlv_real((double)sec_us / 1e3); break;
    case X_US:
    case X_US2: *out = sqlv_int(sec_us); break;
    case X_DOW: *out = sqlv_int(dow_sun0(d.days)); break;
    case X_ISODOW: *out = sqlv_int(dow_sun0(d.days) ? dow_sun0(d.days) : 7); break;
    case X_DOY: *out = sqlv_int(d.days - fn_days_from_civil(y, 1, 1) + 1); break;
    case X_WEEK:
    case X_ISOYEAR: {
        int64_t iy;
        int w;
        iso_week(d.days, &iy, &w);
        *out = sqlv_int(which == X_WEEK ? w : iy);
        break;
    }
    case X_QUARTER: *out = sqlv_int((m - 1) / 3 + 1); break;
    case X_EPOCH: *out = sqlv_real((double)d.days * 86400.0 + (double)d.us / 1e6); break;
    case X_DECADE: *out = sqlv_int(floor_div(y, 10)); break;
    case X_CENTURY: /* PostgreSQL: no century 0; year 0 is 1 BC, in century -1 */
        *out = sqlv_int(y > 0 ? (y + 99) / 100 : -((100 - y) / 100));
        break;
    case X_MILLENNIUM: *out = sqlv_int(y > 0 ? (y + 999) / 1000 : -((1000 - y) / 1000)); break;
    }
    return 0;
}

/* date_part(field, x) and the extract(field, x) function spelling. */
int fn_extract_fn(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str f;
    int rc = fn_arg_text("date_part", 1, &argv[0], &f, e);
    if (rc)
        return rc;
    char name[32];
    size_t n = f.n < sizeof name - 1 ? f.n : sizeof name - 1;
    memcpy(name, f.p, n);
    name[n] = 0;
    if (f.n >= sizeof name || memchr(name, 0, n))
        name[0] = '?', name[1] = 0;
    fn_str_free(&f);
    return fn_extract(name, &argv[1], out, e);
}

/* ---- formatting ------------------------------------------------------------------------ */
static const char *const month_names[12] = {"January", "February", "March", "April", "May",
                                            "June", "July", "August", "September", "October",
                                            "November", "December"};
static const char *const day_names[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

static void addf(fn_buf *b, const char *fmt, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    fn_buf_add(b, tmp, (size_t)n);
}

/* strftime codes: %Y %y %m %d %e %H %I %p %M %i (minutes, MySQL) %S %f (microseconds, 6
 * digits) %j %a %A %b %h %B %u %w %V %G %s %F %T %D %R %n %t %%. */
static int format_dt(const char *f, const dt *d, const fn_str *fmt, sqlv *out, nq_err *e)
{
    int64_t y = 0, iy = 0;
    int m = 0, day = 0, wk = 0;
    if (d->has_date) {
        fn_civil_from_days(d->days, &y, &m, &day);
        iso_week(d->days, &iy, &wk);
    }
    int64_t hh = d->us / (3600 * US_PER_SEC), mi = d->us / (60 * US_PER_SEC) % 60,
            ss = d->us / US_PER_SEC % 60, frac = d->us % US_PER_SEC;
    int wd = d->has_date ? dow_sun0(d->days) : 0;
    fn_buf b = {0};
    for (size_t i = 0; i < fmt->n; i++) {
        char c = fmt->p[i];
        if (c != '%') {
            fn_buf_addc(&b, c);
            continue;
        }
        if (++i >= fmt->n) {
            fn_buf_free(&b);
            return nq_err_set(e, NQ_ERROR, "%s: format ends with a lone %%", f);
        }
        c = fmt->p[i];
        if (strchr("YymdejabhBuwVGsFD", c) && c && !d->has_date) {
            fn_buf_free(&b);
            return nq_err_set(e, NQ_ETYPE, "%s: format code %%%c needs a date, not TIME", f, c);
        }
        switch (c) {
        case 'Y': addf(&b, y < 0 ? "%05" PRId64 : "%04" PRId64, y); break;
        case 'y': addf(&b, "%02" PRId64, ((y % 100) + 100) % 100); break;
        case 'm': addf(&b, "%02" PRId64, m); break;
        case 'd': addf(&b, "%02" PRId64, day); break;
        case 'e': addf(&b, "%2" PRId64, day); break;
        case 'H': addf(&b, "%02" PRId64, hh); break;
        case 'I': addf(&b, "%02" PRId64, hh % 12 ? hh % 12 : 12); break;
        case 'p': fn_buf_add(&b, hh < 12 ? "AM" : "PM", 2); break;
        case 'M':
        case 'i': addf(&b, "%02" PRId64, mi); break;
        case 'S': addf(&b, "%02" PRId64, ss); break;
        case 'f': addf(&b, "%06" PRId64, frac); break;
        case 'j': addf(&b, "%03" PRId64, d->days - fn_days_from_civil(y, 1, 1) + 1); break;
        case 'a': fn_buf_add(&b, day_names[wd], 3); break;
        case 'A': fn_buf_add(&b, day_names[wd], strlen(day_names[wd])); break;
        case 'b':
        case 'h': fn_buf_add(&b, month_names[m - 1], 3); break;
        case 'B': fn_buf_add(&b, month_names[m - 1], strlen(month_names[m - 1])); break;
        case 'u': addf(&b, "%" PRId64, wd ? wd : 7); break;
        case 'w': addf(&b, "%" PRId64, wd); break;
        case 'V': addf(&b, "%02" PRId64, wk); break;
        case 'G': addf(&b, iy < 0 ? "%05" PRId64 : "%04" PRId64, iy); break;
        case 's': addf(&b, "%" PRId64, d->days * 86400 + d->us / US_PER_SEC); break;
        case 'F':
            addf(&b, y < 0 ? "%05" PRId64 : "%04" PRId64, y);
            addf(&b, "-%02" PRId64, m);
            addf(&b, "-%02" PRId64, day);
            break;
        case 'T':
            addf(&b, "%02" PRId64, hh);
            addf(&b, ":%02" PRId64, mi);
            addf(&b, ":%02" PRId64, ss);
            break;
        case 'D':
            addf(&b, "%02" PRId64, m);
            addf(&b, "/%02" PRId64, day);
            addf(&b, "/%02" PRId64, ((y % 100) + 100) % 100);
            break;
        case 'R':
            addf(&b, "%02" PRId64, hh);
            addf(&b, ":%02" PRId64, mi);
            break;
        case 'n': fn_buf_addc(&b, '\n'); break;
        case 't': fn_buf_addc(&b, '\t'); break;
        case '%': fn_buf_addc(&b, '%'); break;
        default:
            fn_buf_free(&b);
            return nq_err_set(e, NQ_ERROR, "%s: unsupported format code %%%c", f, c);
        }
    }
    return fn_buf_finish(&b, out, e);
}

static int do_format(const char *f, const sqlv *val, const sqlv *fmtv, sqlv *out, nq_err *e)
{
    dt d;
    int rc = get_dt(f, 1, val, &d, e);
    if (rc)
        return rc;
    fn_str fmt;
    if ((rc = fn_arg_text(f, 2, fmtv, &fmt, e)))
        return rc;
    rc = format_dt(f, &d, &fmt, out, e);
    fn_str_free(&fmt);
    return rc;
}

/* date_format(x, fmt): MySQL's argument order (and upstream's). */
int fn_date_format(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return do_format("date_format", &argv[0], &argv[1], out, e);
}

/* strftime(fmt, x): SQLite's order; upstream's strftime(x, fmt) is recognised by a temporal
 * first argument. */
int fn_strftime(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    sqlv_type t = argv[0].type;
    if (t == SQLV_DATE || t == SQLV_TIME || t == SQLV_TIMESTAMP)
        return do_format("strftime", &argv[0], &argv[1], out, e);
    return do_format("strftime", &argv[1], &argv[0], out, e);
}

/* ---- differences and intervals --------------------------------------------------------- */
/* datediff(a, b): days from b to a, dates only (MySQL). */
int fn_datediff(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    dt a, b;
    int rc = get_dt("datediff", 1, &argv[0], &a, e);
    if (!rc)
        rc = need_date("datediff", 1, &a, e);
    if (!rc)
        rc = get_dt("datediff", 2, &argv[1], &b, e);
    if (!rc)
        rc = need_date("datediff", 2, &b, e);
    if (rc)
        return rc;
    int64_t r;
    if (__builtin_sub_overflow(a.days, b.days, &r))
        return nq_err_set(e, NQ_ERROR, "datediff: integer out of range");
    *out = sqlv_int(r);
    return 0;
}

enum { U_MONTH, U_DAY, U_US };

/* unit name -> (kind, multiplier) */
static int parse_unit(const char *unit, int *kind, int64_t *mul)
{
    static const struct { const char *name; int kind; int64_t mul; } units[] = {
        {"YEAR", U_MONTH, 12},          {"QUARTER", U_MONTH, 3},
        {"MONTH", U_MONTH, 1},          {"WEEK", U_DAY, 7},
        {"DAY", U_DAY, 1},              {"HOUR", U_US, 3600 * US_PER_SEC},
        {"MINUTE", U_US, 60 * US_PER_SEC}, {"SECOND", U_US, US_PER_SEC},
        {"MILLISECOND", U_US, 1000},    {"MICROSECOND", U_US, 1},
    };
    if (!unit)
        unit = "SECOND"; /* INTERVAL '5' without a unit: seconds, as PostgreSQL */
    size_t n = strlen(unit);
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        size_t l = strlen(units[k].name);
        if ((n == l || (n == l + 1 && (unit[l] == 's' || unit[l] == 'S'))) &&
            !strncasecmp(unit, units[k].name, l)) {
            *kind = units[k].kind;
            *mul = units[k].mul;
            return 0;
        }
    }
    return -1;
}

int fn_interval_add(const sqlv *d, int64_t n, const char *unit, int sign, sqlv *out, nq_err *e)
{
    int kind;
    int64_t mul, amount;
    *out = sqlv_null();
    if (parse_unit(unit, &kind, &mul))
        return nq_err_set(e, NQ_ERROR, "interval unit \"%s\" not recognized", unit);
    if (d->type == SQLV_NULL)
        return 0;
    if (__builtin_mul_overflow(n, mul, &amount) ||
        (sign < 0 && __builtin_sub_overflow((int64_t)0, amount, &amount)))
        return nq_err_set(e, NQ_ERROR, "interval out of range");
    dt t;
    int rc = get_dt("date_add", 1, d, &t, e);
    if (rc)
        return rc;
    if (!t.has_date) { /* TIME: sub-day units, wrapping around midnight */
        if (kind != U_US)
            return nq_err_set(e, NQ_ETYPE, "cannot add a %s interval to a TIME", unit);
        int64_t r = (t.us + amount % US_PER_DAY) % US_PER_DAY;
        *out = sqlv_temporal(SQLV_TIME, r < 0 ? r + US_PER_DAY : r);
        return 0;
    }
    int64_t days = t.days, us = t.us;
    if (kind == U_MONTH) {
        int64_t y, mon;
        int m, day;
        fn_civil_from_days(days, &y, &m, &day);
        if (amount > 12LL * 2 * MAX_YEAR || amount < -12LL * 2 * MAX_YEAR)
            return nq_err_set(e, NQ_ERROR, "date out of range");
        mon = y * 12 + (m - 1) + amount;
        y = floor_div(mon, 12);
        m = (int)(mon - y * 12) + 1;
        if (y > MAX_YEAR || y < -MAX_YEAR)
            return nq_err_set(e, NQ_ERROR, "date out of range");
        int dim = days_in_month(y, m);
        days = fn_days_from_civil(y, m, day > dim ? dim : day);
    } else if (kind == U_DAY) {
        if (__builtin_add_overflow(days, amount, &days) || days > DAYS_LIMIT ||
            days < -DAYS_LIMIT)
            return nq_err_set(e, NQ_ERROR, "date out of range");
    } else {
        /* whole days first, so a huge µs amount cannot overflow the timestamp arithmetic */
        int64_t dd = amount / US_PER_DAY; /* truncated: rest in (-1 day, 1 day) */
        us += amount % US_PER_DAY;
        if (us < 0)
            us += US_PER_DAY, dd--;
        else if (us >= US_PER_DAY)
            us -= US_PER_DAY, dd++;
        if (__builtin_add_overflow(days, dd, &days) || days > DAYS_LIMIT || days < -DAYS_LIMIT)
            return nq_err_set(e, NQ_ERROR, "date out of range");
    }
    int64_t y;
    int m, day;
    fn_civil_from_days(days, &y, &m, &day);
    if (y > MAX_YEAR || y < -MAX_YEAR)
        return nq_err_set(e, NQ_ERROR, "date out of range");
    if (t.type == SQLV_DATE && kind != U_US) {
        *out = sqlv_temporal(SQLV_DATE, days);
        return 0;
    }
    return make_ts(days, us, out, e);
}

/* date_add(x, n [, unit]) / date_sub: the function form of x ± INTERVAL n unit; the unit is
 * text ('DAY', 'months', ...), days when omitted. */
static int add_fn(const char *f, int sign, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t n;
    int rc = fn_arg_int(f, 2, &argv[1], &n, e);
    if (rc)
        return rc;
    char unit[16] = "DAY";
    if (argc > 2) {
        fn_str u;
        if ((rc = fn_arg_text(f, 3, &argv[2], &u, e)))
            return rc;
        size_t l = u.n < sizeof unit - 1 ? u.n : sizeof unit - 1;
        memcpy(unit, u.p, l);
        unit[l] = 0;
        int bad = u.n >= sizeof unit || memchr(unit, 0, l);
        fn_str_free(&u);
        if (bad)
            return nq_err_set(e, NQ_ERROR, "%s: interval unit not recognized", f);
    }
    rc = fn_interval_add(&argv[0], n, unit, sign, out, e);
    if (rc && !strncmp(e ? e->msg : "", "interval unit", 13))
        nq_err_prefix(e, rc, "%s", f);
    return rc;
}

int fn_date_add(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return add_fn("date_add", 1, argc, argv, out, e);
}

int fn_date_sub(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return add_fn("date_sub", -1, argc, argv, out, e);
}

/* make_date(y, m, d) (PostgreSQL): validated; year 0 is accepted (astronomical numbering). */
int fn_make_date(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t y, m, d;
    int rc = fn_arg_int("make_date", 1, &argv[0], &y, e);
    if (!rc)
        rc = fn_arg_int("make_date", 2, &argv[1], &m, e);
    if (!rc)
        rc = fn_arg_int("make_date", 3, &argv[2], &d, e);
    if (rc)
        return rc;
    if (y > MAX_YEAR || y < -MAX_YEAR || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, (int)m))
        return nq_err_set(e, NQ_ERROR, "make_date: date field value out of range: %" PRId64
                          "-%02" PRId64 "-%02" PRId64, y, m, d);
    *out = sqlv_temporal(SQLV_DATE, fn_days_from_civil(y, (int)m, (int)d));
    return 0;
}

/* last_day(x) (MySQL): the last day of x's month. */
int fn_last_day(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    dt d;
    int rc = get_dt("last_day", 1, &argv[0], &d, e);
    if (!rc)
        rc = need_date("last_day", 1, &d, e);
    if (rc)
        return rc;
    int64_t y;
    int m, day;
    fn_civil_from_days(d.days, &y, &m, &day);
    *out = sqlv_temporal(SQLV_DATE, fn_days_from_civil(y, m, days_in_month(y, m)));
    return 0;
}
