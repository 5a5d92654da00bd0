/*
 * value.h — the SQL value: what expressions compute, records store and keys encode.
 *
 * A sqlv is a small tagged struct passed by value. TEXT, BLOB and NEURAL_VECTOR payloads are
 * byte ranges that the value normally *borrows* (from a record buffer, a parse arena, a key);
 * only values produced by sqlv_cast/sqlv_concat own their bytes (owned = 1) and must be
 * released with sqlv_clear. Borrowing keeps record decoding allocation-free.
 *
 * Temporal types are int64 counts with their own tag, so they compare and encode as integers
 * but print and cast as dates (see docs/qsql-values.md):
 *   DATE       days since 1970-01-01 (proleptic Gregorian)
 *   TIME       microseconds since midnight, [0, 86400e6)
 *   TIMESTAMP  microseconds since 1970-01-01 00:00:00 UTC
 * NEURAL_VECTOR is an array of float32, stored as 4*dim bytes little-endian.
 *
 * NaN policy: NaN is never a value. Every producer of REAL (casts, arithmetic, the record and
 * key decoders) rejects it, so comparisons are a total order on non-NULL values. ±Infinity
 * are values and sort at the ends of the numeric range; -0.0 equals 0.0.
 *
 * Comparison: sqlv_compare is SQL's three-valued comparison (NULL -> SQLV_UNKNOWN).
 * sqlv_order is the total order used for ORDER BY and index keys: NULL lowest, then type
 * classes BOOLEAN < numeric (INTEGER and REAL compared exactly by value) < DATE < TIME <
 * TIMESTAMP < TEXT < BLOB < NEURAL_VECTOR. The binder rejects most cross-class comparisons;
 * the order exists so that storage never meets an incomparable pair.
 */
#ifndef NQ_SQL_VALUE_H
#define NQ_SQL_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum sqlv_type {
    SQLV_NULL = 0,
    SQLV_INT,
    SQLV_REAL,
    SQLV_TEXT,
    SQLV_BLOB,
    SQLV_BOOL,
    SQLV_DATE,
    SQLV_TIME,
    SQLV_TIMESTAMP,
    SQLV_VECTOR,
    SQLV_NTYPES
} sqlv_type;

typedef struct sqlv {
    sqlv_type type;
    int owned; /* 1: p was malloc'd by this module; sqlv_clear frees it */
    int64_t i; /* INT, BOOL (0/1), DATE, TIME, TIMESTAMP */
    double r;  /* REAL */
    const uint8_t *p; /* TEXT, BLOB, VECTOR bytes */
    size_t n;
} sqlv;

#define SQLV_UNKNOWN 2 /* sqlv_compare result when either side is NULL */

static inline sqlv sqlv_null(void) { sqlv v = {0}; return v; }
static inline sqlv sqlv_int(int64_t i) { sqlv v = {0}; v.type = SQLV_INT; v.i = i; return v; }
static inline sqlv sqlv_real(double r) { sqlv v = {0}; v.type = SQLV_REAL; v.r = r; return v; }
static inline sqlv sqlv_bool(int b) { sqlv v = {0}; v.type = SQLV_BOOL; v.i = b != 0; return v; }
static inline sqlv sqlv_bytes(sqlv_type t, const void *p, size_t n)
{
    sqlv v = {0};
    v.type = t;
    v.p = (const uint8_t *)p;
    v.n = n;
    return v;
}
static inline sqlv sqlv_text(const char *s, size_t n) { return sqlv_bytes(SQLV_TEXT, s, n); }
static inline sqlv sqlv_temporal(sqlv_type t, int64_t i) { sqlv v = {0}; v.type = t; v.i = i; return v; }

const char *sqlv_type_name(sqlv_type t); /* "INTEGER", "REAL", ... */
void sqlv_clear(sqlv *v);                /* frees owned bytes; leaves NULL */

/* Number of float32 elements of a vector, and element k (no bounds check beyond the dim). */
size_t sqlv_vector_dim(const sqlv *v);
float sqlv_vector_get(const sqlv *v, size_t k);
/* Writes dim floats as the vector byte form (4*dim bytes) into out. */
void sqlv_vector_put(uint8_t *out, const float *f, size_t dim);

/* -1, 0, 1, or SQLV_UNKNOWN when either side is NULL. */
int sqlv_compare(const sqlv *a, const sqlv *b);
/* Total order: -1, 0, 1; NULL sorts lowest (callers apply NULLS FIRST/LAST themselves). */
int sqlv_order(const sqlv *a, const sqlv *b);
/* Class rank used by sqlv_order across types (0 for NULL). */
int sqlv_class(sqlv_type t);

/* Arithmetic, PostgreSQL style: NULL in -> NULL out; INT op INT -> INT with overflow an error
 * (NQ_ERROR, "integer out of range"); INT mixed with REAL -> REAL; REAL overflow to infinity
 * from finite operands is an error; division and modulo by zero are errors; integer division
 * truncates toward zero. Non-numeric operands: NQ_EINVAL "operator does not exist". */
int sqlv_add(const sqlv *a, const sqlv *b, sqlv *out, nq_err *e);
int sqlv_sub(const sqlv *a, const sqlv *b, sqlv *out, nq_err *e);
int sqlv_mul(const sqlv *a, const sqlv *b, sqlv *out, nq_err *e);
int sqlv_div(const sqlv *a, const sqlv *b, sqlv *out, nq_err *e);
int sqlv_mod(const sqlv *a, const sqlv *b, sqlv *out, nq_err *e);
int sqlv_neg(const sqlv *a, sqlv *out, nq_err *e);

/* Cast to type t. *out may own memory (sqlv_clear it). Errors are NQ_ERROR with messages like
 * "cannot cast 'abc' to INTEGER" or "integer out of range". NULL casts to NULL. */
int sqlv_cast(const sqlv *v, sqlv_type t, sqlv *out, nq_err *e);

/* Text form of a value for output, as a NUL-terminated malloc'd string (free()). NULL gives
 * "NULL". REAL prints the shortest digits that round-trip, with ".0" on integral values
 * (3.0, 1.5, 1e+20, Infinity). Returns NULL when out of memory. */
char *sqlv_to_string(const sqlv *v);
/* The same into buf (snprintf contract: returns the full length, truncates to cap-1). */
size_t sqlv_format_real(double d, char *buf, size_t cap);

#endif
