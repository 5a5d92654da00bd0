/*
 * fuzz_like.c — LIKE / ILIKE / GLOB on arbitrary bytes. Input: one mode byte, one byte giving
 * the pattern length, the pattern, then the subject string (the rest).
 *   mode & 3: 0 LIKE, 1 ILIKE, 2 GLOB, 3 LIKE with an escape character (the byte after the
 *             mode byte's own, taken from the pattern's first byte, so the escape is fuzzed too)
 * Checks: fn_like/fn_glob return 0 with a BOOLEAN, or NQ_ERROR (bad escape / pattern ending in
 * the escape) with a message; never crash, hang or read out of bounds. When both strings are
 * ASCII (and, for GLOB, the pattern has no '[' class) the answer must equal an independent
 * dynamic-programming matcher — a different algorithm from the greedy one under test, so a
 * backtracking bug shows up as a disagreement, not only as a crash. ILIKE is checked on the
 * lower-cased strings. Inputs are capped so that the quadratic worst case stays fast.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "sql/func.h"

#define MAXN 4096

static int ascii(const uint8_t *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (p[k] >= 0x80)
            return 0;
    return 1;
}

static uint8_t low(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* dp[j] over the pattern for each suffix of s, bytes only: any/one are the wildcard bytes. */
static int dp_match(const uint8_t *s, size_t sn, const uint8_t *p, size_t pn, uint8_t any,
                    uint8_t one, int icase)
{
    /* m[i][j]: s[i..] matches p[j..]; rolled over i from the end */
    unsigned char *next = calloc(pn + 1, 1), *cur = calloc(pn + 1, 1);
    if (!next || !cur) {
        free(next);
        free(cur);
        return -1;
    }
    /* i = sn: empty string matches a pattern suffix of only ANYs */
    next[pn] = 1;
    for (size_t j = pn; j-- > 0;)
        next[j] = p[j] == any && next[j + 1];
    for (size_t i = sn; i-- > 0;) {
        cur[pn] = 0;
        for (size_t j = pn; j-- > 0;) {
            if (p[j] == any)
                cur[j] = cur[j + 1] || next[j];
            else if (p[j] == one)
                cur[j] = next[j + 1];
            else
                cur[j] = (icase ? low(p[j]) == low(s[i]) : p[j] == s[i]) && next[j + 1];
        }
        unsigned char *t = next;
        next = cur;
        cur = t;
    }
    int r = next[0];
    free(next);
    free(cur);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = fuzz_in_make(data, size);
    int mode = fuzz_u8(&in) & 3;
    size_t pn, sn;
    const uint8_t *p = fuzz_bytes(&in, fuzz_u8(&in), &pn);
    const uint8_t *s = fuzz_rest(&in, &sn);
    if (sn > MAXN)
        sn = MAXN;
    sqlv sv = sqlv_text((const char *)s, sn), pv = sqlv_text((const char *)p, pn), out;
    nq_err e;
    nq_err_clear(&e);
    int rc;
    if (mode == 2) {
        rc = fn_glob(&sv, &pv, &out, &e);
        FUZZ_CHECK(rc == 0);
    } else if (mode == 3 && pn > 0) {
        /* the first pattern byte is the escape; the rest is the pattern */
        sqlv ev = sqlv_text((const char *)p, 1);
        pv = sqlv_text((const char *)p + 1, pn - 1);
        rc = fn_like(&sv, &pv, &ev, 0, &out, &e);
        FUZZ_CHECK(rc == 0 || rc == NQ_ERROR);
        if (rc)
            FUZZ_CHECK(e.msg[0] != 0);
        /* a valid one-byte escape fails only on a pattern ending in it */
        if (rc && p[0] < 0x80)
            FUZZ_CHECK(pn > 1 && p[pn - 1] == p[0]);
    } else {
        rc = fn_like(&sv, &pv, NULL, mode == 1, &out, &e);
        FUZZ_CHECK(rc == 0);
    }
    if (rc)
        return 0;
    FUZZ_CHECK(out.type == SQLV_BOOL && (out.i == 0 || out.i == 1));
    if (mode == 3 || !ascii(s, sn) || !ascii(p, pn))
        return 0;
    if (mode == 2 && memchr(p, '[', pn))
        return 0;
    int want = mode == 2 ? dp_match(s, sn, p, pn, '*', '?', 0)
                         : dp_match(s, sn, p, pn, '%', '_', mode == 1);
    if (want >= 0)
        FUZZ_CHECK(out.i == want);
    return 0;
}
