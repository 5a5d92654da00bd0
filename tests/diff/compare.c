/*
 * compare.c — comparing two normalized results (compare.h has the rules) and printing them.
 *
 * Multisets are compared by sorting row indexes of each side with one canonical row order
 * (column by column) and walking both lists in step. The canonical order sorts numbers by
 * value with REALs rounded to 30 mantissa bits, so two sides whose reals differ only in the
 * last bits (0.1 against 0.09999999999999999) still line up.
 *
 * The table of expected one-sided errors is deliberately short: every entry is a place where
 * the dialects are known to differ and the generator could not reasonably steer around it.
 * An entry names the side that fails, a substring of its message, and why that is fine.
 */
#include "compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REL_TOL 1e-9

static double num_of(const dval *v) { return v->t == DV_INT ? (double)v->i : v->r; }

int dv_equal(const dval *a, const dval *b)
{
    if (a->t == DV_NULL || b->t == DV_NULL)
        return a->t == b->t;
    if (a->t == DV_TEXT || b->t == DV_TEXT)
        return a->t == b->t && a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
    if (a->t == DV_INT && b->t == DV_INT)
        return a->i == b->i;
    double x = num_of(a), y = num_of(b);
    if (x == y)
        return 1;
    double scale = fmax(fabs(x), fabs(y));
    return fabs(x - y) <= REL_TOL * scale;
}

static int cls(const dval *v) { return v->t == DV_NULL ? 0 : v->t == DV_TEXT ? 2 : 1; }

int dv_order(const dval *a, const dval *b)
{
    int ca = cls(a), cb = cls(b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (ca == 0)
        return 0;
    if (ca == 2) {
        size_t n = a->n < b->n ? a->n : b->n;
        int c = memcmp(a->s, b->s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return a->n < b->n ? -1 : a->n > b->n;
    }
    if (a->t == DV_INT && b->t == DV_INT)
        return a->i < b->i ? -1 : a->i > b->i;
    double x = num_of(a), y = num_of(b);
    return x < y ? -1 : x > y;
}

/* ---- multiset sorting ------------------------------------------------------------------ */

/* x with its mantissa rounded to 30 bits: values that differ only in the last bits (a sum in
 * another order) get the same sort key, so the two sides' rows line up for the tolerant
 * comparison. (A pair straddling a rounding boundary could still part; none has so far.) */
static double coarse(double x)
{
    if (x == 0 || !isfinite(x))
        return x;
    int e;
    double m = frexp(x, &e);
    return ldexp(nearbyint(m * 0x1p30) / 0x1p30, e);
}

/* dv_order with coarse REALs (integers stay exact). */
static int canon_order(const dval *a, const dval *b)
{
    if (a->t == DV_REAL || b->t == DV_REAL) {
        if (cls(a) == 1 && cls(b) == 1) {
            double x = coarse(num_of(a)), y = coarse(num_of(b));
            return x < y ? -1 : x > y;
        }
    }
    return dv_order(a, b);
}

static const dresult *sort_res; /* qsort has no context argument in C11 */

static int row_cmp(const void *pa, const void *pb)
{
    size_t ra = *(const size_t *)pa, rb = *(const size_t *)pb;
    for (int c = 0; c < sort_res->ncols; c++) {
        int o = canon_order(dres_at(sort_res, ra, c), dres_at(sort_res, rb, c));
        if (o)
            return o;
    }
    return ra < rb ? -1 : ra > rb;
}

static size_t *sorted_rows(const dresult *r)
{
    size_t *ix = malloc((r->nrows ? r->nrows : 1) * sizeof *ix);
    if (!ix)
        abort();
    for (size_t i = 0; i < r->nrows; i++)
        ix[i] = i;
    sort_res = r;
    qsort(ix, r->nrows, sizeof *ix, row_cmp);
    sort_res = NULL;
    return ix;
}

/* SQL ORDER BY comparison of two rows of r under the keys (NULL placement as requested;
 * values equal within the tolerance count as ties). */
static int key_cmp(const dresult *r, size_t ra, size_t rb, const cmp_spec *spec)
{
    for (int k = 0; k < spec->nkeys; k++) {
        const ord_key *key = &spec->keys[k];
        const dval *a = dres_at(r, ra, key->col), *b = dres_at(r, rb, key->col);
        int an = a->t == DV_NULL, bn = b->t == DV_NULL;
        int o;
        if (an || bn) {
            if (an && bn)
                continue;
            o = an ? -1 : 1;
            if (!key->nulls_first)
                o = -o;
            return o;
        }
        if (dv_equal(a, b))
            continue;
        o = dv_order(a, b);
        return key->desc ? -o : o;
    }
    return 0;
}

static void row_text(dbuf *out, const dresult *r, size_t row)
{
    db_puts(out, "(");
    for (int c = 0; c < r->ncols; c++) {
        if (c)
            db_puts(out, ", ");
        dv_sql_literal(out, dres_at(r, row, c));
    }
    db_puts(out, ")");
}

static int check_sorted(const dresult *r, const cmp_spec *spec, const char *side, dbuf *why)
{
    for (size_t i = 1; i < r->nrows; i++)
        if (key_cmp(r, i - 1, i, spec) > 0) {
            db_printf(why, "%s: rows %zu and %zu are not in ORDER BY order: ", side, i, i + 1);
            row_text(why, r, i - 1);
            db_puts(why, " before ");
            row_text(why, r, i);
            return 1;
        }
    return 0;
}

/* ---- expected one-sided errors --------------------------------------------------------- */

typedef struct expected_err {
    eng_side failing;     /* the side that fails */
    const char *substr;   /* a substring of its message */
    const char *why;
} expected_err;

static const expected_err EXPECTED[] = {
    /* Index keys are limited to about a quarter page (PostgreSQL has a similar limit of about
     * 2700 bytes); SQLite has none. Long text can reach it when an UPDATE concatenates the
     * values of an indexed column. */
    {ENG_NQ, "index row too large", "index key longer than QSQL allows"},
    {ENG_NQ, NULL, NULL},
};

const char *cmp_expected_error(const dresult *nq, const dresult *lite)
{
    if (nq->ok == lite->ok)
        return NULL;
    const dresult *bad = nq->ok ? lite : nq;
    eng_side side = nq->ok ? ENG_LITE : ENG_NQ;
    for (size_t i = 0; EXPECTED[i].substr; i++)
        if (EXPECTED[i].failing == side && bad->err && strstr(bad->err, EXPECTED[i].substr))
            return EXPECTED[i].why;
    return NULL;
}

/* ---- comparison ------------------------------------------------------------------------ */

int cmp_results(const dresult *nq, const dresult *lite, const cmp_spec *spec, dbuf *why)
{
    if (!nq->ok || !lite->ok) {
        if (!nq->ok && !lite->ok)
            return 0;
        if (cmp_expected_error(nq, lite))
            return 0;
        db_printf(why, "only %s failed: %s", nq->ok ? "SQLite" : "nqdb",
                  nq->ok ? lite->err : nq->err);
        return 1;
    }
    if (nq->ncols != lite->ncols) {
        db_printf(why, "column count: nqdb %d, SQLite %d", nq->ncols, lite->ncols);
        return 1;
    }
    if (spec->check_changes && nq->changes != lite->changes) {
        db_printf(why, "rows changed: nqdb %" PRId64 ", SQLite %" PRId64, nq->changes,
                  lite->changes);
        return 1;
    }
    if (nq->nrows != lite->nrows) {
        db_printf(why, "row count: nqdb %zu, SQLite %zu", nq->nrows, lite->nrows);
        return 1;
    }
    if (!spec->total_order && spec->nkeys) {
        if (check_sorted(lite, spec, "SQLite", why) || check_sorted(nq, spec, "nqdb", why))
            return 1;
    }
    size_t *a = NULL, *b = NULL;
    if (!spec->total_order) {
        a = sorted_rows(nq);
        b = sorted_rows(lite);
    }
    int bad = 0;
    for (size_t i = 0; i < nq->nrows && !bad; i++) {
        size_t ra = a ? a[i] : i, rb = b ? b[i] : i;
        for (int c = 0; c < nq->ncols; c++)
            if (!dv_equal(dres_at(nq, ra, c), dres_at(lite, rb, c))) {
                db_printf(why, "%s row %zu column %d: nqdb ", a ? "sorted" : "", i + 1, c + 1);
                row_text(why, nq, ra);
                db_puts(why, ", SQLite ");
                row_text(why, lite, rb);
                bad = 1;
                break;
            }
    }
    free(a);
    free(b);
    return bad;
}

/* ---- printing -------------------------------------------------------------------------- */

void dv_sql_literal(dbuf *out, const dval *v)
{
    switch (v->t) {
    case DV_NULL: db_puts(out, "NULL"); break;
    case DV_INT: db_printf(out, "%" PRId64, v->i); break;
    case DV_REAL: {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.17g", v->r);
        /* the shortest form that reads back exactly, and always with a '.' or exponent so that
         * it stays a REAL literal */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, v->r);
            if (strtod(tmp, NULL) == v->r)
                break;
        }
        db_puts(out, tmp);
        if (!strpbrk(tmp, ".eEin"))
            db_puts(out, ".0");
        break;
    }
    case DV_TEXT:
        db_puts(out, "'");
        for (size_t i = 0; i < v->n; i++) {
            if (v->s[i] == '\'')
                db_puts(out, "'");
            db_putn(out, &v->s[i], 1);
        }
        db_puts(out, "'");
        break;
    }
}

void dres_print(dbuf *out, const dresult *r, size_t maxrows)
{
    if (!r->ok) {
        db_printf(out, "  error: %s\n", r->err ? r->err : "?");
        return;
    }
    db_printf(out, "  %zu row%s", r->nrows, r->nrows == 1 ? "" : "s");
    if (r->changes)
        db_printf(out, " (changes: %" PRId64 ")", r->changes);
    db_puts(out, "\n");
    for (size_t i = 0; i < r->nrows && i < maxrows; i++) {
        db_puts(out, "  ");
        row_text(out, r, i);
        db_puts(out, "\n");
    }
    if (r->nrows > maxrows)
        db_printf(out, "  ... %zu more\n", r->nrows - maxrows);
}
