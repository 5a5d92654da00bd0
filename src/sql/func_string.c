/*
 * func_string.c — text functions: case, length, trimming, padding, slicing, searching,
 * replacing, concatenation, hex/quote/typeof, and printf/format.
 *
 * Lengths and positions count characters (UTF-8, func_util.c's definition), as PostgreSQL
 * does in a UTF-8 database — not bytes, as SQLite's length() on BLOBs or upstream's LENGTH
 * did; octet_length gives bytes. Where PostgreSQL and SQLite disagree the PostgreSQL rule is
 * used and docs/qsql-functions.md says so (substr with a negative start, left/right with a
 * negative count, concat skipping NULLs).
 *
 * Every result that builds text goes through fn_buf, which enforces FN_TEXT_MAX; functions
 * whose output size is known from the arguments (repeat, lpad/rpad) check it before they
 * allocate, so repeat('x', 1e15) fails at once instead of after filling memory.
 *
 * Arguments that are not TEXT are converted to their output text (fn_arg_text); BLOB is
 * accepted only where bytes make sense (length, octet_length, substr, hex, quote, typeof,
 * concat-free byte functions) and is otherwise a type error.
 */
#include "sql/func_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Byte offset of character number k (0-based) in p[0..n), or n when there are fewer. */
static size_t char_off(const char *p, size_t n, uint64_t k)
{
    size_t i = 0;
    while (k && i < n) {
        i += fn_utf8_clen(p + i, n - i);
        k--;
    }
    return i;
}

/* ---- case ------------------------------------------------------------------------------ */
static int map_case(const char *f, int up, const sqlv *a, sqlv *out, nq_err *e)
{
    fn_str s;
    int rc = fn_arg_text(f, 1, a, &s, e);
    if (rc)
        return rc;
    fn_buf b = {0};
    for (size_t i = 0; i < s.n;) {
        size_t l = fn_utf8_clen(s.p + i, s.n - i);
        if (l == 1 && (uint8_t)s.p[i] >= 0x80) {
            fn_buf_addc(&b, s.p[i]); /* invalid byte: unchanged */
        } else {
            uint32_t c = fn_utf8_decode(s.p + i, l);
            fn_buf_addcp(&b, up ? fn_cp_upper(c) : fn_cp_lower(c));
        }
        i += l;
    }
    fn_str_free(&s);
    return fn_buf_finish(&b, out, e);
}

int fn_upper(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return map_case("upper", 1, &argv[0], out, e);
}

int fn_lower(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return map_case("lower", 0, &argv[0], out, e);
}

/* initcap: the first letter of each run of letters and digits upper, the rest lower. */
int fn_initcap(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str s;
    int rc = fn_arg_text("initcap", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    fn_buf b = {0};
    int inword = 0;
    for (size_t i = 0; i < s.n;) {
        size_t l = fn_utf8_clen(s.p + i, s.n - i);
        if (l == 1 && (uint8_t)s.p[i] >= 0x80) {
            fn_buf_addc(&b, s.p[i]);
            inword = 0;
        } else {
            uint32_t c = fn_utf8_decode(s.p + i, l);
            fn_buf_addcp(&b, inword ? fn_cp_lower(c) : fn_cp_upper(c));
            inword = fn_cp_isalnum(c);
        }
        i += l;
    }
    fn_str_free(&s);
    return fn_buf_finish(&b, out, e);
}

/* ---- length ---------------------------------------------------------------------------- */
int fn_length(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argv[0].type == SQLV_BLOB) {
        *out = sqlv_int((int64_t)argv[0].n);
        return 0;
    }
    fn_str s;
    int rc = fn_arg_text("length", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    *out = sqlv_int((int64_t)fn_utf8_count(s.p, s.n));
    fn_str_free(&s);
    return 0;
}

int fn_octet_length(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argv[0].type == SQLV_BLOB) {
        *out = sqlv_int((int64_t)argv[0].n);
        return 0;
    }
    fn_str s;
    int rc = fn_arg_text("octet_length", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    *out = sqlv_int((int64_t)s.n);
    fn_str_free(&s);
    return 0;
}

/* ---- trim ------------------------------------------------------------------------------ */
/* Is the character at c (cl bytes) one of the characters of set? */
static int in_set(const char *c, size_t cl, const fn_str *set)
{
    for (size_t i = 0; i < set->n;) {
        size_t l = fn_utf8_clen(set->p + i, set->n - i);
        if (l == cl && !memcmp(set->p + i, c, cl))
            return 1;
        i += l;
    }
    return 0;
}

static int do_trim(const char *f, int left, int right, int argc, const sqlv *argv, sqlv *out,
                   nq_err *e)
{
    fn_str s, set = {" ", 1, {0}};
    int rc = fn_arg_text(f, 1, &argv[0], &s, e);
    if (rc)
        return rc;
    if (argc > 1 && (rc = fn_arg_text(f, 2, &argv[1], &set, e))) {
        fn_str_free(&s);
        return rc;
    }
    size_t a = 0, z = s.n;
    if (left)
        while (a < z) {
            size_t l = fn_utf8_clen(s.p + a, z - a);
            if (!in_set(s.p + a, l, &set))
                break;
            a += l;
        }
    if (right)
        while (z > a) {
            /* step back to the start of the last character: find the character boundary by
             * walking forward from a, since invalid bytes make backward stepping ambiguous */
            size_t k = a, last = a;
            while (k < z) {
                last = k;
                k += fn_utf8_clen(s.p + k, z - k);
            }
            if (!in_set(s.p + last, z - last, &set))
                break;
            z = last;
        }
    rc = fn_set_text(out, s.p + a, z - a, e);
    fn_str_free(&s);
    fn_str_free(&set);
    return rc;
}

int fn_trim(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return do_trim("trim", 1, 1, argc, argv, out, e);
}
int fn_ltrim(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return do_trim("ltrim", 1, 0, argc, argv, out, e);
}
int fn_rtrim(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return do_trim("rtrim", 0, 1, argc, argv, out, e);
}

/* ---- reverse, ascii, chr --------------------------------------------------------------- */
int fn_reverse(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str s;
    int rc = fn_arg_text("reverse", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    char *r = malloc(s.n + 1);
    if (!r) {
        fn_str_free(&s);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s.n;) { /* each character's bytes keep their order */
        size_t l = fn_utf8_clen(s.p + i, s.n - i);
        memcpy(r + s.n - i - l, s.p + i, l);
        i += l;
    }
    r[s.n] = 0;
    *out = sqlv_text(r, s.n);
    out->owned = 1;
    fn_str_free(&s);
    return 0;
}

int fn_ascii(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str s;
    int rc = fn_arg_text("ascii", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    *out = sqlv_int(s.n ? (int64_t)fn_utf8_decode(s.p, fn_utf8_clen(s.p, s.n)) : 0);
    fn_str_free(&s);
    return 0;
}

int fn_chr(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t c;
    int rc = fn_arg_int("chr", 1, &argv[0], &c, e);
    if (rc)
        return rc;
    if (c == 0)
        return nq_err_set(e, NQ_ERROR, "chr: null character not permitted");
    if (c < 0 || c > 0x10FFFF)
        return nq_err_set(e, NQ_ERROR, "chr: requested character too large for encoding: %" PRId64,
                          c);
    if (c >= 0xD800 && c <= 0xDFFF)
        return nq_err_set(e, NQ_ERROR, "chr: requested character not valid for encoding: %" PRId64,
                          c);
    fn_buf b = {0};
    fn_buf_addcp(&b, (uint32_t)c);
    return fn_buf_finish(&b, out, e);
}

/* ---- concatenation --------------------------------------------------------------------- */
static int cat_args(const char *f, const fn_str *sep, int first, int argc, const sqlv *argv,
                    sqlv *out, nq_err *e)
{
    fn_buf b = {0};
    int any = 0;
    for (int k = first; k < argc; k++) {
        if (argv[k].type == SQLV_NULL)
            continue;
        fn_str s;
        int rc = fn_arg_text(f, k + 1, &argv[k], &s, e);
        if (rc) {
            fn_buf_free(&b);
            return rc;
        }
        if (any && sep)
            fn_buf_add(&b, sep->p, sep->n);
        fn_buf_add(&b, s.p, s.n);
        any = 1;
        fn_str_free(&s);
    }
    return fn_buf_finish(&b, out, e);
}

int fn_concat(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return cat_args("concat", NULL, 0, argc, argv, out, e);
}

int fn_concat_ws(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argv[0].type == SQLV_NULL) {
        *out = sqlv_null();
        return 0;
    }
    fn_str sep;
    int rc = fn_arg_text("concat_ws", 1, &argv[0], &sep, e);
    if (rc)
        return rc;
    rc = cat_args("concat_ws", &sep, 1, argc, argv, out, e);
    fn_str_free(&sep);
    return rc;
}

/* ---- slicing --------------------------------------------------------------------------- */
/* PostgreSQL's substring: characters [start, start + count) intersected with [1, len]; no
 * count: to the end. A negative count is an error. BLOBs are sliced by bytes. */
int fn_substr(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t start, count = INT64_MAX;
    int rc = fn_arg_int("substr", 2, &argv[1], &start, e);
    if (rc)
        return rc;
    if (argc > 2) {
        if ((rc = fn_arg_int("substr", 3, &argv[2], &count, e)))
            return rc;
        if (count < 0)
            return nq_err_set(e, NQ_ERROR, "substr: negative substring length not allowed");
    }
    int64_t end; /* exclusive, 1-based */
    if (__builtin_add_overflow(start, count, &end))
        end = INT64_MAX;
    if (start < 1)
        start = 1;
    uint64_t skip = (uint64_t)(start - 1), take = end > start ? (uint64_t)(end - start) : 0;
    if (argv[0].type == SQLV_BLOB) {
        size_t n = argv[0].n;
        size_t a = skip < n ? (size_t)skip : n;
        size_t z = take < n - a ? a + (size_t)take : n;
        uint8_t *b = malloc(z - a + 1);
        if (!b)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        if (z > a)
            memcpy(b, argv[0].p + a, z - a);
        *out = sqlv_bytes(SQLV_BLOB, b, z - a);
        out->owned = 1;
        return 0;
    }
    fn_str s;
    if ((rc = fn_arg_text("substr", 1, &argv[0], &s, e)))
        return rc;
    size_t a = char_off(s.p, s.n, skip);
    size_t z = a + char_off(s.p + a, s.n - a, take);
    rc = fn_set_text(out, s.p + a, z - a, e);
    fn_str_free(&s);
    return rc;
}

/* left(s, n): the first n characters; n < 0: all but the last -n (PostgreSQL). right: the
 * mirror image. */
static int left_right(const char *f, int right, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t n;
    int rc = fn_arg_int(f, 2, &argv[1], &n, e);
    if (rc)
        return rc;
    fn_str s;
    if ((rc = fn_arg_text(f, 1, &argv[0], &s, e)))
        return rc;
    uint64_t len = fn_utf8_count(s.p, s.n);
    uint64_t mag = n >= 0 ? (uint64_t)n : (uint64_t)0 - (uint64_t)n; /* |n|, INT64_MIN too */
    uint64_t keep = n >= 0 ? (mag < len ? mag : len) : (mag >= len ? 0 : len - mag);
    size_t a = right ? char_off(s.p, s.n, len - keep) : 0;
    size_t z = right ? s.n : char_off(s.p, s.n, keep);
    rc = fn_set_text(out, s.p + a, z - a, e);
    fn_str_free(&s);
    return rc;
}

int fn_left(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return left_right("left", 0, argv, out, e);
}

int fn_right(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return left_right("right", 1, argv, out, e);
}

/* ---- searching and replacing ----------------------------------------------------------- */
/* Byte offset of needle in hay from byte `from`, or -1. Matches start on character
 * boundaries only, so a needle never matches the tail of another character. */
static ptrdiff_t find_at(const fn_str *hay, size_t from, const fn_str *needle)
{
    if (from > hay->n)
        return -1;
    if (needle->n && ((uint8_t)needle->p[0] < 0x80 || (uint8_t)needle->p[0] >= 0xC0)) {
        /* a byte that is not a continuation byte always starts a character, so every hit
         * of such a needle is on a boundary: let memmem (linear time) find it */
        const char *hit = memmem(hay->p + from, hay->n - from, needle->p, needle->n);
        return hit ? hit - hay->p : -1;
    }
    for (size_t i = from; i + needle->n <= hay->n;) {
        if (!memcmp(hay->p + i, needle->p, needle->n))
            return (ptrdiff_t)i;
        if (i >= hay->n)
            break;
        i += fn_utf8_clen(hay->p + i, hay->n - i);
    }
    return -1;
}

int fn_position(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str hay, needle;
    int rc = fn_arg_text("position", 1, &argv[0], &hay, e);
    if (rc)
        return rc;
    if ((rc = fn_arg_text("position", 2, &argv[1], &needle, e))) {
        fn_str_free(&hay);
        return rc;
    }
    ptrdiff_t at = find_at(&hay, 0, &needle);
    *out = sqlv_int(at < 0 ? 0 : (int64_t)fn_utf8_count(hay.p, (size_t)at) + 1);
    fn_str_free(&hay);
    fn_str_free(&needle);
    return 0;
}

int fn_starts_with(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str s, pre;
    int rc = fn_arg_text("starts_with", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    if ((rc = fn_arg_text("starts_with", 2, &argv[1], &pre, e))) {
        fn_str_free(&s);
        return rc;
    }
    *out = sqlv_bool(pre.n <= s.n && !memcmp(s.p, pre.p, pre.n));
    fn_str_free(&s);
    fn_str_free(&pre);
    return 0;
}

int fn_replace(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    fn_str s, from, to;
    int rc = fn_arg_text("replace", 1, &argv[0], &s, e);
    if (rc)
        return rc;
    if ((rc = fn_arg_text("replace", 2, &argv[1], &from, e))) {
        fn_str_free(&s);
        return rc;
    }
    if ((rc = fn_arg_text("replace", 3, &argv[2], &to, e))) {
        fn_str_free(&s);
        fn_str_free(&from);
        return rc;
    }
    fn_buf b = {0};
    size_t i = 0;
    if (from.n) {
        ptrdiff_t at;
        while ((at = find_at(&s, i, &from)) >= 0) {
            fn_buf_add(&b, s.p + i, (size_t)at - i);
            fn_buf_add(&b, to.p, to.n);
            i = (size_t)at + from.n;
            if (b.bad)
                break;
        }
    }
    fn_buf_add(&b, s.p + i, s.n - i);
    fn_str_free(&s);
    fn_str_free(&from);
    fn_str_free(&to);
    return fn_buf_finish(&b, out, e);
}

int fn_split_part(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t n;
    int rc = fn_arg_int("split_part", 3, &argv[2], &n, e);
    if (rc)
        return rc;
    if (n == 0)
        return nq_err_set(e, NQ_ERROR, "split_part: field position must not be zero");
    fn_str s, d;
    if ((rc = fn_arg_text("split_part", 1, &argv[0], &s, e)))
        return rc;
    if ((rc = fn_arg_text("split_part", 2, &argv[1], &d, e))) {
        fn_str_free(&s);
        return rc;
    }
    /* field boundaries: count the fields first so a negative n can count from the end */
    int64_t fields = 1;
    if (d.n)
        for (ptrdiff_t at = find_at(&s, 0, &d); at >= 0; at = find_at(&s, (size_t)at + d.n, &d))
            fields++;
    if (s.n == 0)
        fields = 0; /* PostgreSQL: an empty string has no fields */
    int64_t want = n > 0 ? n : fields + n + 1; /* 1-based */
    size_t a = 0, z = 0;
    int found = 0;
    if (want >= 1 && want <= fields) {
        size_t i = 0;
        for (int64_t k = 1;; k++) {
            ptrdiff_t at = d.n ? find_at(&s, i, &d) : -1;
            size_t end = at < 0 ? s.n : (size_t)at;
            if (k == want) {
                a = i, z = end, found = 1;
                break;
            }
            i = end + d.n;
        }
    }
    rc = found ? fn_set_text(out, s.p + a, z - a, e) : fn_set_text(out, "", 0, e);
    fn_str_free(&s);
    fn_str_free(&d);
    return rc;
}

/* ---- repeat, padding ------------------------------------------------------------------- */
int fn_repeat(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t n;
    int rc = fn_arg_int("repeat", 2, &argv[1], &n, e);
    if (rc)
        return rc;
    fn_str s;
    if ((rc = fn_arg_text("repeat", 1, &argv[0], &s, e)))
        return rc;
    if (n <= 0 || !s.n) {
        fn_str_free(&s);
        return fn_set_text(out, "", 0, e);
    }
    if ((uint64_t)n > FN_TEXT_MAX / s.n) {
        fn_str_free(&s);
        return nq_err_set(e, NQ_ETOOBIG, "repeat: result text is too long (over %zu bytes)",
                          FN_TEXT_MAX);
    }
    fn_buf b = {0};
    for (int64_t k = 0; k < n && !b.bad; k++)
        fn_buf_add(&b, s.p, s.n);
    fn_str_free(&s);
    return fn_buf_finish(&b, out, e);
}

/* lpad/rpad(s, len [, fill]): to len characters, padding with fill repeated (default one
 * space) or cutting s to its first len characters — both as PostgreSQL. */
static int pad(const char *f, int left, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    int64_t len;
    int rc = fn_arg_int(f, 2, &argv[1], &len, e);
    if (rc)
        return rc;
    if (len > (int64_t)FN_TEXT_MAX)
        return nq_err_set(e, NQ_ETOOBIG, "%s: requested length too large", f);
    fn_str s, fill = {" ", 1, {0}};
    if ((rc = fn_arg_text(f, 1, &argv[0], &s, e)))
        return rc;
    if (argc > 2 && (rc = fn_arg_text(f, 3, &argv[2], &fill, e))) {
        fn_str_free(&s);
        return rc;
    }
    uint64_t want = len > 0 ? (uint64_t)len : 0, have = fn_utf8_count(s.p, s.n);
    fn_buf b = {0};
    if (have >= want || !fill.n) {
        fn_buf_add(&b, s.p, char_off(s.p, s.n, want));
    } else {
        uint64_t need = want - have;
        if (!left)
            fn_buf_add(&b, s.p, s.n);
        for (size_t i = 0; need && !b.bad; need--) {
            size_t l = fn_utf8_clen(fill.p + i, fill.n - i);
            fn_buf_add(&b, fill.p + i, l);
            i += l;
            if (i >= fill.n)
                i = 0;
        }
        if (left)
            fn_buf_add(&b, s.p, s.n);
    }
    fn_str_free(&s);
    fn_str_free(&fill);
    return fn_buf_finish(&b, out, e);
}

int fn_lpad(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return pad("lpad", 1, argc, argv, out, e);
}

int fn_rpad(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    return pad("rpad", 0, argc, argv, out, e);
}

/* ---- hex, quote, typeof ---------------------------------------------------------------- */
static void add_hex(fn_buf *b, const uint8_t *p, size_t n)
{
    static const char dig[] = "0123456789ABCDEF";
    for (size_t k = 0; k < n && !b->bad; k++) {
        char two[2] = {dig[p[k] >> 4], dig[p[k] & 15]};
        fn_buf_add(b, two, 2);
    }
}

/* hex(x): TEXT and BLOB bytes as upper-case hex (SQLite); an INTEGER as its 64-bit two's
 * complement in hex without leading zeros (MySQL; SQLite would hex the decimal digits). */
int fn_hex(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const sqlv *a = &argv[0];
    if (a->type == SQLV_INT) {
        char buf[24];
        int n = snprintf(buf, sizeof buf, "%" PRIX64, (uint64_t)a->i);
        return fn_set_text(out, buf, (size_t)n, e);
    }
    fn_buf b = {0};
    if (a->type == SQLV_BLOB) {
        add_hex(&b, a->p, a->n);
    } else {
        fn_str s;
        int rc = fn_arg_text("hex", 1, a, &s, e);
        if (rc)
            return rc;
        add_hex(&b, (const uint8_t *)s.p, s.n);
        fn_str_free(&s);
    }
    return fn_buf_finish(&b, out, e);
}

/* quote(x): x as an SQL literal that reads back as the same value: NULL, numbers as printed,
 * TRUE/FALSE, 'text' with quotes doubled, X'hex' for BLOBs, DATE '...' & co for temporals. */
int fn_quote(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const sqlv *a = &argv[0];
    fn_buf b = {0};
    switch (a->type) {
    case SQLV_NULL: return fn_set_text(out, "NULL", 4, e);
    case SQLV_BOOL: return a->i ? fn_set_text(out, "TRUE", 4, e) : fn_set_text(out, "FALSE", 5, e);
    case SQLV_BLOB:
        fn_buf_add(&b, "X'", 2);
        add_hex(&b, a->p, a->n);
        fn_buf_addc(&b, '\'');
        return fn_buf_finish(&b, out, e);
    case SQLV_INT:
    case SQLV_REAL: {
        char *s = sqlv_to_string(a);
        if (!s)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        int rc = fn_set_text(out, s, strlen(s), e);
        free(s);
        return rc;
    }
    default: break;
    }
    if (a->type == SQLV_DATE)
        fn_buf_add(&b, "DATE ", 5);
    else if (a->type == SQLV_TIME)
        fn_buf_add(&b, "TIME ", 5);
    else if (a->type == SQLV_TIMESTAMP)
        fn_buf_add(&b, "TIMESTAMP ", 10);
    fn_str s;
    int rc = fn_arg_text("quote", 1, a, &s, e);
    if (rc) {
        fn_buf_free(&b);
        return rc;
    }
    fn_buf_addc(&b, '\'');
    for (size_t k = 0; k < s.n; k++) {
        if (s.p[k] == '\'')
            fn_buf_addc(&b, '\'');
        fn_buf_addc(&b, s.p[k]);
    }
    fn_buf_addc(&b, '\'');
    fn_str_free(&s);
    return fn_buf_finish(&b, out, e);
}

/* typeof(x): the lower-case type name ("integer", "text", "null", ...), as SQLite. */
int fn_typeof(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    const char *t = sqlv_type_name(argv[0].type);
    char buf[32];
    size_t n = strlen(t);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    for (size_t k = 0; k < n; k++)
        buf[k] = (char)(t[k] >= 'A' && t[k] <= 'Z' ? t[k] + 32 : t[k]);
    return fn_set_text(out, buf, n, e);
}

/* ---- printf / format ------------------------------------------------------------------- */
/* Supported: %% and conversions d i u x X o c s f F e E g G with flags - + space 0 #, a
 * width and a .precision (digits only; * is not supported). Arguments are converted for the
 * conversion: integers from REAL (truncated toward zero), BOOLEAN or numeric TEXT; floats from
 * INTEGER or numeric TEXT; %s and %c take any value's text form (%c: its first character).
 * NULL prints as the empty string for %s/%c and as 0 for numbers (SQLite). Width and
 * precision of %s count characters. Too few arguments is an error (PostgreSQL); extra ones
 * are ignored. */
#define PF_MAX_WIDTH 100000

static int pf_int(const sqlv *v, int argn, int64_t *out, nq_err *e)
{
    switch (v->type) {
    case SQLV_NULL: *out = 0; return 0;
    case SQLV_INT:
    case SQLV_BOOL: *out = v->i; return 0;
    case SQLV_REAL:
        if (!(v->r > -9223372036854775809.0 && v->r < 9223372036854775808.0))
            return nq_err_set(e, NQ_ERROR, "printf: argument %d: integer out of range", argn);
        *out = (int64_t)v->r;
        return 0;
    case SQLV_TEXT: {
        sqlv t;
        int rc = sqlv_cast(v, SQLV_INT, &t, e);
        if (rc)
            return nq_err_prefix(e, rc, "printf: argument %d", argn);
        *out = t.i;
        return 0;
    }
    default: return fn_arg_type_error("printf", argn, v, "an integer", e);
    }
}

static int pf_real(const sqlv *v, int argn, double *out, nq_err *e)
{
    switch (v->type) {
    case SQLV_NULL: *out = 0; return 0;
    case SQLV_INT: *out = (double)v->i; return 0;
    case SQLV_REAL: *out = v->r; return 0;
    case SQLV_TEXT: {
        sqlv t;
        int rc = sqlv_cast(v, SQLV_REAL, &t, e);
        if (rc)
            return nq_err_prefix(e, rc, "printf: argument %d", argn);
        *out = t.r;
        return 0;
    }
    default: return fn_arg_type_error("printf", argn, v, "a number", e);
    }
}

/* Appends text padded to width characters (left-justified with '-'), cut to prec
 * characters when prec >= 0. */
static void pf_text(fn_buf *b, const char *p, size_t n, int minus, long width, long prec)
{
    if (prec >= 0)
        n = char_off(p, n, (uint64_t)prec);
    size_t chars = fn_utf8_count(p, n);
    size_t padn = width > 0 && (size_t)width > chars ? (size_t)width - chars : 0;
    if (!minus)
        for (size_t k = 0; k < padn; k++)
            fn_buf_addc(b, ' ');
    fn_buf_add(b, p, n);
    if (minus)
        for (size_t k = 0; k < padn; k++)
            fn_buf_addc(b, ' ');
}

int fn_printf(fn_ctx *cx, int argc, const sqlv *argv, sqlv *out, nq_err *e)
{
    if (argv[0].type == SQLV_NULL) {
        *out = sqlv_null();
        return 0;
    }
    fn_str fmt;
    int rc = fn_arg_text("printf", 1, &argv[0], &fmt, e);
    if (rc)
        return rc;
    fn_buf b = {0};
    int next = 1;
    for (size_t i = 0; i < fmt.n && !rc; i++) {
        if (fmt.p[i] != '%') {
            fn_buf_addc(&b, fmt.p[i]);
            continue;
        }
        char flags[8];
        int nf = 0, minus = 0;
        long width = -1, prec = -1;
        i++;
        while (i < fmt.n && strchr("-+ 0#", fmt.p[i]) && fmt.p[i] && nf < 5) {
            minus |= fmt.p[i] == '-';
            flags[nf++] = fmt.p[i++];
        }
        flags[nf] = 0;
        while (i < fmt.n && fmt.p[i] >= '0' && fmt.p[i] <= '9' && width < PF_MAX_WIDTH)
            width = (width < 0 ? 0 : width * 10) + (fmt.p[i++] - '0');
        if (i < fmt.n && fmt.p[i] == '.') {
            i++;
            prec = 0;
            while (i < fmt.n && fmt.p[i] >= '0' && fmt.p[i] <= '9' && prec < PF_MAX_WIDTH)
                prec = prec * 10 + (fmt.p[i++] - '0');
        }
        if (width >= PF_MAX_WIDTH || prec >= PF_MAX_WIDTH) {
            rc = nq_err_set(e, NQ_ERROR, "printf: width or precision too large (limit %d)",
                            PF_MAX_WIDTH - 1);
            break;
        }
        if (i >= fmt.n) {
            rc = nq_err_set(e, NQ_ERROR, "printf: format ends in the middle of a conversion");
            break;
        }
        char conv = fmt.p[i];
        if (conv == '%') {
            fn_buf_addc(&b, '%');
            continue;
        }
        if (!strchr("diuxXocsfFeEgG", conv) || !conv) {
            rc = nq_err_set(e, NQ_ERROR, "printf: unsupported conversion '%%%c'", conv);
            break;
        }
        if (next >= argc) {
            rc = nq_err_set(e, NQ_ERROR, "printf: too few arguments for format");
            break;
        }
        const sqlv *v = &argv[next];
        int argn = ++next;
        if (strchr("diu", conv)) { /* C leaves '#' undefined for these: drop it */
            char *h;
            while ((h = strchr(flags, '#')))
                memmove(h, h + 1, strlen(h));
        }
        char spec[48];
        int sn = snprintf(spec, sizeof spec, "%%%s", flags);
        if (width >= 0)
            sn += snprintf(spec + sn, sizeof spec - (size_t)sn, "%ld", width);
        if (prec >= 0)
            sn += snprintf(spec + sn, sizeof spec - (size_t)sn, ".%ld", prec);
        char tmp[400];
        char *big = NULL;
        int len = 0;
        if (conv == 's' || conv == 'c') {
            fn_str s = {"", 0, {0}};
            if (v->type == SQLV_BLOB) {
                s.p = (const char *)v->p, s.n = v->n;
            } else if (v->type != SQLV_NULL && (rc = fn_arg_text("printf", argn, v, &s, e))) {
                break;
            }
            size_t n = s.n;
            if (conv == 'c')
                n = n ? fn_utf8_clen(s.p, n) : 0;
            pf_text(&b, s.p, n, minus, width, conv == 'c' ? -1 : prec);
            fn_str_free(&s);
            continue;
        }
        if (strchr("diuxXo", conv)) {
            int64_t x = 0;
            if ((rc = pf_int(v, argn, &x, e)))
                break;
            const char *lm = conv == 'd' || conv == 'i' ? PRId64
                             : conv == 'u'             ? PRIu64
                             : conv == 'x'             ? PRIx64
                             : conv == 'X'             ? PRIX64
                                                       : PRIo64;
            snprintf(spec + sn, sizeof spec - (size_t)sn, "%s", lm);
            len = snprintf(tmp, sizeof tmp, spec, x);
            if (len >= (int)sizeof tmp && (big = malloc((size_t)len + 1)))
                snprintf(big, (size_t)len + 1, spec, x);
        } else {
            double x = 0;
            if ((rc = pf_real(v, argn, &x, e)))
                break;
            snprintf(spec + sn, sizeof spec - (size_t)sn, "%c", conv);
            len = snprintf(tmp, sizeof tmp, spec, x);
            if (len >= (int)sizeof tmp && (big = malloc((size_t)len + 1)))
                snprintf(big, (size_t)len + 1, spec, x);
        }
        if (len >= (int)sizeof tmp && !big) {
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
            break;
        }
        fn_buf_add(&b, big ? big : tmp, (size_t)len);
        free(big);
    }
    fn_str_free(&fmt);
    if (rc) {
        fn_buf_free(&b);
        return rc;
    }
    return fn_buf_finish(&b, out, e);
}
