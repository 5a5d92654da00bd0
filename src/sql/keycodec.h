/*
 * keycodec.h — order-preserving keys: memcmp order of encodings == SQL ORDER BY order.
 *
 * A key is the concatenation of per-column encodings. Each encoding is self-delimiting and
 * prefix-free, so memcmp of two keys compares column 1, and only on a tie column 2, and so on
 * (the index layer appends the rowid as a last INTEGER column to make keys unique).
 *
 * Per column: NULL is the single byte 0x00 (NULLS FIRST) or 0xFF (NULLS LAST); a non-NULL
 * value is a type-class tag (0x20..0x60) and a body. DESC complements every byte of the
 * tag and body but not the NULL byte, whose placement is already explicit; complemented tags
 * stay within 0x9F..0xDF, never 0x00/0xFF. Equal values (1 and 1.0, 0.0 and -0.0) give equal
 * bytes, unequal values differ, exactly as sqlv_order says. Byte layouts: docs/qsql-values.md.
 *
 * INTEGER and REAL share one numeric encoding (sign class, binary exponent, 64-bit mantissa),
 * so the INTEGER/REAL distinction is not in the key: decoding yields INTEGER when the value is
 * integral and fits int64, REAL otherwise, unless the caller passes the column types.
 * NaN cannot be encoded (NQ_EINVAL), matching value.h's policy.
 */
#ifndef NQ_SQL_KEYCODEC_H
#define NQ_SQL_KEYCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "sql/value.h"

typedef struct key_col {
    int desc;        /* 1 = descending */
    int nulls_first; /* 1 = NULLs before every value, 0 = after (in the final order) */
} key_col;

/* A growable byte buffer keys are appended to (free p when done). */
typedef struct key_buf {
    uint8_t *p;
    size_t n, cap;
} key_buf;

/* Appends the encoding of one value. */
int key_append(key_buf *b, const sqlv *v, key_col col, nq_err *e);
/* Encodes n values (cols may be NULL: all ASC NULLS FIRST) into a malloc'd *out. */
int key_encode(const sqlv *vals, const key_col *cols, int n, uint8_t **out, size_t *outlen,
               nq_err *e);
/* Decodes n columns from p; *used gets the bytes consumed (may be NULL) so that trailing data
 * (e.g. a raw rowid) can follow. types (may be NULL) restores REAL for numeric columns.
 * TEXT/BLOB/VECTOR results are owned: sqlv_clear each (also done here on failure).
 * Damaged input is NQ_ECORRUPT, never a read out of bounds. */
int key_decode(const uint8_t *p, size_t n, const key_col *cols, const sqlv_type *types, int ncols,
               sqlv *vals, size_t *used, nq_err *e);

#endif
