/*
 * compare.h — deciding whether two engines' answers to one statement agree.
 *
 * Values: NULL equals NULL (this is result comparison, not SQL's =); two numbers are equal
 * when both are INTEGER and identical, or otherwise when they agree within a relative
 * tolerance of 1e-9 (so INTEGER 2 equals REAL 2.0, and an avg() that was summed in another
 * order still matches); text is compared byte for byte. BOOLEAN was already mapped to 0/1
 * (engine.h).
 *
 * Rows: a statement without a total ORDER BY is compared as a multiset (both sides sorted by
 * one canonical order, then compared pairwise). With a total ORDER BY the sequences are
 * compared as they came. With a partial ORDER BY the multisets are compared and, in addition,
 * each side is checked to be sorted by the keys it was asked for — so ORDER BY is tested even
 * where the row order is not fully determined.
 *
 * Errors: failing on both sides is agreement (the messages of course differ). Failing on one
 * side only is a mismatch, unless the pair of outcomes is in the table of expected
 * differences (compare.c), which says why it is acceptable.
 */
#ifndef NQ_DIFF_COMPARE_H
#define NQ_DIFF_COMPARE_H

#include "dbuf.h"
#include "engine.h"

#define CMP_MAX_KEYS 16

typedef struct ord_key {
    int col;          /* 0-based result column */
    int desc;
    int nulls_first;
} ord_key;

typedef struct cmp_spec {
    int total_order;  /* 1: the ORDER BY determines the row sequence */
    int nkeys;        /* ORDER BY keys (also when total_order = 0: a partial order) */
    ord_key keys[CMP_MAX_KEYS];
    int check_changes; /* compare the change counts (INSERT/UPDATE/DELETE) */
} cmp_spec;

/* Equal in the sense above (1/0). */
int dv_equal(const dval *a, const dval *b);
/* A total order of values for canonical sorting: NULL < numbers (by value) < text. */
int dv_order(const dval *a, const dval *b);

/* 0 when the answers agree; otherwise 1 and a one-line reason in *why. */
int cmp_results(const dresult *nq, const dresult *lite, const cmp_spec *spec, dbuf *why);
/* When exactly one side failed and that is a known, accepted difference: the reason. */
const char *cmp_expected_error(const dresult *nq, const dresult *lite);

/* Print a result (or its error) for a report; at most maxrows rows. */
void dres_print(dbuf *out, const dresult *r, size_t maxrows);
/* A value as an SQL literal (NULL, 12, 2.5, 'it''s'), for reproduction scripts. */
void dv_sql_literal(dbuf *out, const dval *v);

#endif
