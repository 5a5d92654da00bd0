/*
 * func.h — the built-in SQL functions: scalar functions, aggregates, LIKE/GLOB matching.
 *
 * Functions are found by name (lower case) in static tables; the binder checks the argument
 * count against min_args/max_args when a statement is prepared, so a wrong call is an error
 * at prepare time ("function abs takes 1 argument at line 1, column 8"), not at run time.
 *
 * Calling convention. A scalar function gets its evaluated arguments and writes *out; an
 * output TEXT/BLOB/VECTOR value it builds is owned (out->owned = 1, malloc'd) and the caller
 * sqlv_clear()s it; it may also return a borrowed argument value unchanged. Unless the
 * function has FN_NULL_OK, the caller never calls it with a NULL argument: the result is NULL
 * (so most functions need not test for NULL). Errors are NQ_ETYPE for wrong argument types
 * ("function upper(INTEGER) does not exist" style messages are fine: "upper: argument must be
 * text") and NQ_ERROR for domain errors ("sqrt of a negative number").
 *
 * Semantics follow PostgreSQL where it and SQLite differ (docs/qsql-functions.md lists each
 * function).
 * Non-deterministic functions (random, now) are flagged so the planner never folds them;
 * fn_ctx gives them the statement's clock (one value per statement, as PostgreSQL's now())
 * and the connection's random state.
 *
 * Aggregates keep a state of state_size bytes (zeroed by the caller, then init). step gets the
 * row's arguments (argc 0 for count(*)); the caller skips rows whose arguments are NULL unless
 * FN_NULL_OK; DISTINCT is done by the caller. final writes the result (owned like scalars);
 * cleanup frees whatever the state holds. An aggregate over zero rows: final on a fresh state
 * (count -> 0, sum -> NULL, ...).
 */
#ifndef NQ_SQL_FUNC_H
#define NQ_SQL_FUNC_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/rand.h"
#include "sql/value.h"

#define FN_DETERMINISTIC 0x01 /* same arguments, same result: may be folded at prepare time */
#define FN_NULL_OK       0x02 /* called with NULL arguments too (coalesce, concat, ...) */

typedef struct fn_ctx {
    int64_t now_us;          /* statement timestamp: microseconds since 1970 UTC */
    nq_rng *rng;             /* the connection's random generator */
} fn_ctx;

typedef int (*fn_scalar_fn)(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e);

typedef struct fn_scalar_def {
    const char *name;
    int min_args, max_args;  /* max_args -1: any number */
    int flags;
    fn_scalar_fn fn;
} fn_scalar_def;

typedef struct fn_agg_def {
    const char *name;
    int min_args, max_args;
    int flags;
    size_t state_size;
    void (*init)(void *state);
    int (*step)(void *state, int argc, const sqlv *argv, nq_err *e);
    int (*final)(void *state, sqlv *out, nq_err *e);
    void (*cleanup)(void *state); /* may be NULL */
} fn_agg_def;

/* NULL when there is no such function. */
const fn_scalar_def *fn_scalar_find(const char *name);
const fn_agg_def *fn_agg_find(const char *name);

/* Every function, sorted by name, aliases included (for listings, \df-style help and
 * tests); *n gets the count. The tables are static: nothing to free. */
const fn_scalar_def *fn_scalar_list(size_t *n);
const fn_agg_def *fn_agg_list(size_t *n);

/* LIKE: % and _ wildcards, optional escape character (esc NULL: none), case-insensitive when
 * icase (ILIKE; ASCII case folding). GLOB: * ? [...] case-sensitive. Operands must be TEXT
 * (callers cast); NULL operands give NULL. The result is a BOOLEAN sqlv. */
int fn_like(const sqlv *s, const sqlv *pattern, const sqlv *esc, int icase, sqlv *out, nq_err *e);
int fn_glob(const sqlv *s, const sqlv *pattern, sqlv *out, nq_err *e);

/* d + sign * n unit, for the binder's INTERVAL nodes (DATE_ADD(d, INTERVAL 3 DAY), d - INTERVAL
 * '1' MONTH). unit: YEAR QUARTER MONTH WEEK DAY HOUR MINUTE SECOND MILLISECOND MICROSECOND,
 * singular or plural, any case; NULL means SECOND (PostgreSQL's INTERVAL '5'). d: DATE,
 * TIMESTAMP, TIME, or text that casts to one of them; NULL gives NULL. Months and years clamp
 * the day to the end of the target month (Jan 31 + 1 MONTH = Feb 28/29). A DATE stays a DATE
 * for YEAR..DAY and becomes a TIMESTAMP for HOUR and smaller; a TIME takes only HOUR and
 * smaller and wraps around midnight. Errors: unknown unit, overflow ("date out of range"). */
int fn_interval_add(const sqlv *d, int64_t n, const char *unit, int sign, sqlv *out, nq_err *e);

/* EXTRACT(field FROM x), field as the parser gives it (upper case): YEAR QUARTER MONTH WEEK
 * (ISO) DAY DOW (0 = Sunday) ISODOW (1 = Monday) DOY HOUR MINUTE SECOND (REAL, with the
 * fraction) MILLISECOND(S) (REAL) MICROSECOND(S) EPOCH (REAL seconds) ISOYEAR DECADE CENTURY
 * MILLENNIUM. x NULL gives NULL; date fields of a TIME are NQ_ETYPE; an unknown field is
 * NQ_ERROR ("extract: unit "FOO" not recognized"). */
int fn_extract(const char *field, const sqlv *x, sqlv *out, nq_err *e);

#endif
