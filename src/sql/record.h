/*
 * record.h — the row format: N SQL values in one compact, self-describing byte string.
 *
 * Layout (docs/qsql-values.md has it byte by byte):
 *     varint ncols | varint hlen | hlen bytes of column headers | payloads, in column order
 * A column header is one tag byte, followed by a varint byte length for TEXT/BLOB/VECTOR; all
 * other tags imply their payload size (0, 1, 2, 4 or 8 bytes), so booleans, NULLs and small
 * integers cost one byte in total. Knowing hlen up front lets rec_column find column i by
 * walking only the first i headers, without touching any payload.
 *
 * Decoding never trusts the bytes: every length is checked against the buffer, unknown tags,
 * NaN reals and ragged vectors are NQ_ECORRUPT. Decoded TEXT/BLOB/VECTOR values borrow from
 * the record buffer (no allocation), so the buffer must outlive them.
 *
 * A column index at or past ncols reads as NULL: rows written before ALTER TABLE ADD COLUMN
 * need no rewrite.
 *
 * DNA-coded TEXT (tag REC_T_DNA). rec_encode_x can store the TEXT of chosen columns (the
 * DNA_SEQUENCE columns and those declared WITH COMPRESSION DNA) as a TwoBit container of the
 * DNA library (src/dna/dna_zip.h: 2 bits per A/C/G/T, exact length, runs of N / IUPAC letters
 * and of lower case out of band, CRC-32C of the text), but only when the text is over the
 * sequence alphabet and the container is strictly smaller than the text: short values and
 * non-DNA text stay REC_T_TEXT, so no value ever grows. It decodes back to the same TEXT
 * (byte for byte), so nothing above this file sees the difference. The expanded text needs
 * memory of its own: rec_decode_x takes a caller buffer of rec_expanded_size bytes; rec_decode
 * and rec_column, which only borrow, refuse such a column.
 */
#ifndef NQ_SQL_RECORD_H
#define NQ_SQL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sql/value.h"

#define REC_MAX_COLS 32767

/* Column tags as stored. */
enum {
    REC_T_NULL = 0, REC_T_FALSE = 1, REC_T_TRUE = 2,
    REC_T_INT0 = 3, REC_T_INT1 = 4, REC_T_INT2 = 5, REC_T_INT4 = 6, REC_T_INT8 = 7,
    REC_T_REAL = 8, REC_T_TEXT = 9, REC_T_BLOB = 10, REC_T_VECTOR = 11,
    REC_T_DATE = 12, REC_T_TIME = 13, REC_T_TIMESTAMP = 14,
    REC_T_DNA = 15, /* TEXT stored as a dna_zip TwoBit container (length from the header) */
    REC_T_COUNT
};

/* LEB128 varint (base/varint.h; at most 10 bytes, canonical). put returns bytes written
 * (buf needs 10); get returns bytes read or 0 if truncated/over 64 bits. */
size_t rec_varint_put(uint8_t *buf, uint64_t v);
size_t rec_varint_get(const uint8_t *p, size_t n, uint64_t *v);

/* Encode n values into a malloc'd buffer (*out, free()). NaN reals and ragged vectors are
 * NQ_EINVAL; more than REC_MAX_COLS columns is NQ_ETOOBIG. */
int rec_encode(const sqlv *vals, int n, uint8_t **out, size_t *outlen, nq_err *e);
/* rec_encode with a codec choice per column: codec[c] == REC_CODEC_DNA stores a TEXT value of
 * column c as REC_T_DNA when it is a valid sequence (dna_seq_find_invalid) and the container
 * is smaller; codec NULL = rec_encode. *saved (may be NULL) receives the payload bytes saved. */
enum { REC_CODEC_NONE = 0, REC_CODEC_DNA = 1 };
int rec_encode_x(const sqlv *vals, int n, const uint8_t *codec, uint8_t **out, size_t *outlen,
                 size_t *saved, nq_err *e);
/* The bytes of text that the REC_T_DNA columns of a record expand to (0 when it has none); the
 * containers' own headers are trusted only for sizing: rec_decode_x checks everything. */
int rec_expanded_size(const uint8_t *p, size_t n, size_t *out, nq_err *e);
/* rec_decode that also expands REC_T_DNA columns into x[0..xlen) (xlen >= rec_expanded_size);
 * their TEXT values borrow from x. A damaged container is NQ_ECORRUPT naming the column. */
int rec_decode_x(const uint8_t *p, size_t n, sqlv *vals, int maxcols, int *ncols, uint8_t *x,
                 size_t xlen, nq_err *e);
/* The stored form of column col: its tag and payload bytes (tag REC_T_NULL, 0 past ncols). */
int rec_column_form(const uint8_t *p, size_t n, int col, int *tag, size_t *len, nq_err *e);
/* Number of columns stored. */
int rec_count(const uint8_t *p, size_t n, int *ncols, nq_err *e);
/* Decode every column into vals[0..*ncols); NQ_ETOOBIG if more than maxcols. The whole record
 * is validated, including that nothing trails the last payload. */
int rec_decode(const uint8_t *p, size_t n, sqlv *vals, int maxcols, int *ncols, nq_err *e);
/* Decode column col only (NULL if col >= ncols). */
int rec_column(const uint8_t *p, size_t n, int col, sqlv *out, nq_err *e);

#endif
