/*
 * func_int.h — what the func_*.c files share: argument coercion with uniform error messages,
 * a growing text buffer for results, UTF-8 stepping and case mapping, and the declarations of
 * every built-in that the registry tables in func.c point at.
 *
 * Argument conventions (docs/qsql-functions.md):
 *  - text arguments: TEXT is borrowed; INTEGER, REAL, BOOLEAN and the temporal types are
 *    converted to their output form (as CAST(x AS TEXT)); BLOB and NEURAL_VECTOR are type
 *    errors ("upper: argument 1 must be text, not BLOB").
 *  - integer arguments: INTEGER; a REAL is converted as CAST(x AS INTEGER) (rounds half to
 *    even, range-checked); anything else is a type error.
 *  - numeric arguments: INTEGER or REAL, nothing else.
 * Results that build bytes are owned (malloc'd) TEXT; FN_TEXT_MAX bounds them so that
 * repeat('x', 1e12) is an error and not an allocation storm.
 */
#ifndef NQ_SQL_FUNC_INT_H
#define NQ_SQL_FUNC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sql/func.h"

#define FN_TEXT_MAX ((size_t)1 << 30) /* 1 GiB, PostgreSQL's limit for a text value */

/* ---- arguments ------------------------------------------------------------------------- */
typedef struct fn_str {
    const char *p;
    size_t n;
    sqlv hold; /* the converted value when the argument was not TEXT; fn_str_free clears it */
} fn_str;

int fn_arg_text(const char *fname, int argn, const sqlv *v, fn_str *s, nq_err *e);
void fn_str_free(fn_str *s);
int fn_arg_int(const char *fname, int argn, const sqlv *v, int64_t *out, nq_err *e);
int fn_arg_real(const char *fname, int argn, const sqlv *v, double *out, nq_err *e);
int fn_arg_type_error(const char *fname, int argn, const sqlv *v, const char *want, nq_err *e);

/* ---- results --------------------------------------------------------------------------- */
int fn_set_text(sqlv *out, const char *p, size_t n, nq_err *e); /* owned copy */
/* REAL result with PostgreSQL's checks: NaN is an error, infinity from finite input is an
 * overflow (pass inf_ok when the input itself was infinite). */
int fn_set_real(const char *fname, double r, int inf_ok, sqlv *out, nq_err *e);
/* A borrowed copy of an argument as the result (never owned, so the caller frees once). */
void fn_set_borrowed(sqlv *out, const sqlv *arg);

typedef struct fn_buf {
    char *p;
    size_t n, cap;
    int bad; /* out of memory or over FN_TEXT_MAX: reported by fn_buf_finish */
} fn_buf;

void fn_buf_add(fn_buf *b, const void *p, size_t n);
void fn_buf_addc(fn_buf *b, char c);
void fn_buf_addcp(fn_buf *b, uint32_t cp); /* a code point as UTF-8 */
/* Hands the bytes out as an owned TEXT (empty buffer: empty text); error if bad. */
int fn_buf_finish(fn_buf *b, sqlv *out, nq_err *e);
void fn_buf_free(fn_buf *b);

/* ---- UTF-8 ----------------------------------------------------------------------------- */
/* Bytes in the character starting at p (n > 0): a well-formed lead byte with its
 * continuation bytes, else 1 — so invalid bytes count as one character each and every
 * function stays total on arbitrary bytes. */
size_t fn_utf8_clen(const char *p, size_t n);
size_t fn_utf8_count(const char *p, size_t n);
/* Code point of the character at p of clen bytes (an invalid byte: its own value). */
uint32_t fn_utf8_decode(const char *p, size_t clen);
uint32_t fn_cp_upper(uint32_t c);
uint32_t fn_cp_lower(uint32_t c);
int fn_cp_isalnum(uint32_t c);

/* ---- calendar (func_date.c), shared with the aggregates and formatting ------------------ */
int64_t fn_days_from_civil(int64_t y, int m, int d);
void fn_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

/* ---- the built-ins --------------------------------------------------------------------- */
#define FN_DECL(name) int name(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)

/* func_null.c */
FN_DECL(fn_coalesce); FN_DECL(fn_nullif); FN_DECL(fn_ifnull);

/* func_math.c */
FN_DECL(fn_abs); FN_DECL(fn_round); FN_DECL(fn_ceil); FN_DECL(fn_floor); FN_DECL(fn_modf);
FN_DECL(fn_power); FN_DECL(fn_sqrt); FN_DECL(fn_cbrt); FN_DECL(fn_sign); FN_DECL(fn_trunc);
FN_DECL(fn_exp); FN_DECL(fn_ln); FN_DECL(fn_log); FN_DECL(fn_log10); FN_DECL(fn_log2);
FN_DECL(fn_pi); FN_DECL(fn_degrees); FN_DECL(fn_radians); FN_DECL(fn_sin); FN_DECL(fn_cos);
FN_DECL(fn_tan); FN_DECL(fn_cot); FN_DECL(fn_asin); FN_DECL(fn_acos); FN_DECL(fn_atan);
FN_DECL(fn_atan2); FN_DECL(fn_random); FN_DECL(fn_greatest); FN_DECL(fn_least);
FN_DECL(fn_div);

/* func_string.c */
FN_DECL(fn_upper); FN_DECL(fn_lower); FN_DECL(fn_length); FN_DECL(fn_octet_length);
FN_DECL(fn_trim); FN_DECL(fn_ltrim); FN_DECL(fn_rtrim); FN_DECL(fn_reverse);
FN_DECL(fn_initcap); FN_DECL(fn_ascii); FN_DECL(fn_chr); FN_DECL(fn_concat);
FN_DECL(fn_concat_ws); FN_DECL(fn_substr); FN_DECL(fn_left); FN_DECL(fn_right);
FN_DECL(fn_replace); FN_DECL(fn_repeat); FN_DECL(fn_lpad); FN_DECL(fn_rpad);
FN_DECL(fn_position); FN_DECL(fn_split_part); FN_DECL(fn_hex); FN_DECL(fn_quote);
FN_DECL(fn_typeof); FN_DECL(fn_printf); FN_DECL(fn_starts_with); FN_DECL(fn_like_fn);
FN_DECL(fn_glob_fn);

/* func_date.c */
FN_DECL(fn_now); FN_DECL(fn_current_date); FN_DECL(fn_current_time); FN_DECL(fn_date);
FN_DECL(fn_time); FN_DECL(fn_timestamp); FN_DECL(fn_unix_timestamp); FN_DECL(fn_year);
FN_DECL(fn_month); FN_DECL(fn_day); FN_DECL(fn_hour); FN_DECL(fn_minute); FN_DECL(fn_second);
FN_DECL(fn_dayofweek); FN_DECL(fn_weekday); FN_DECL(fn_dayofyear); FN_DECL(fn_week);
FN_DECL(fn_quarter); FN_DECL(fn_date_format); FN_DECL(fn_datediff); FN_DECL(fn_date_add);
FN_DECL(fn_date_sub); FN_DECL(fn_extract_fn); FN_DECL(fn_make_date); FN_DECL(fn_last_day);
FN_DECL(fn_strftime);

/* func_dna.c */
FN_DECL(fn_gc_content); FN_DECL(fn_dna_length); FN_DECL(fn_reverse_complement);
FN_DECL(fn_kmer_similarity); FN_DECL(fn_dna_encode); FN_DECL(fn_dna_decode);

/* func_neuro.c (neuromatch.h) */
FN_DECL(fn_neuromatch); FN_DECL(fn_synaptic_weight); FN_DECL(fn_hebbian_learning);
uint64_t fn_siphash13(uint64_t k0, uint64_t k1, const uint8_t *a, size_t an, const uint8_t *b,
                      size_t bn);

/* func_agg.c */
extern const fn_agg_def fn_agg_defs[];
extern const size_t fn_agg_ndefs;

#endif
