/*
 * fuzz_record.c — arbitrary bytes as a row record or an index key. Input: one mode byte, then
 * the bytes to decode.
 *   mode even: a record. rec_decode and rec_column (for every column, and past the end) must
 *     return 0 or NQ_ECORRUPT/NQ_ETOOBIG; what decodes must re-encode and decode to the same
 *     values, and rec_column must agree with rec_decode.
 *     Records with DNA-coded TEXT (REC_T_DNA) go through rec_expanded_size and rec_decode_x
 *     (expansion capped at 1 MiB): 0 or NQ_ECORRUPT, and what decodes re-encodes (coded again
 *     where the column is marked) to the same values.
 *   mode odd: a key of 1 + (mode>>1 & 3) columns, with DESC / NULLS FIRST taken from the
 *     mode's upper bits. What decodes must re-encode to a key that decodes to equal values.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "sql/keycodec.h"
#include "sql/record.h"

#define MAXC 64

static void fuzz_rec(const uint8_t *p, size_t n)
{
    nq_err e;
    nq_err_clear(&e);
    sqlv v[MAXC], w[MAXC];
    int nc = 0;
    int rc = rec_decode(p, n, v, MAXC, &nc, &e);
    FUZZ_CHECK_RC(rc);
    FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT || rc == NQ_ETOOBIG);
    for (int c = 0; c < 4; c++) {
        sqlv one;
        int rc1 = rec_column(p, n, c, &one, &e);
        FUZZ_CHECK(rc1 == 0 || rc1 == NQ_ECORRUPT);
        if (rc == 0 && c < nc) {
            FUZZ_CHECK(rc1 == 0);
            FUZZ_CHECK(one.type == v[c].type && sqlv_order(&one, &v[c]) == 0);
        }
    }
    if (rc)
        return;
    uint8_t *b;
    size_t bl;
    FUZZ_CHECK(rec_encode(v, nc, &b, &bl, &e) == 0);
    int nc2;
    FUZZ_CHECK(rec_decode(b, bl, w, MAXC, &nc2, &e) == 0 && nc2 == nc);
    for (int c = 0; c < nc; c++)
        FUZZ_CHECK(w[c].type == v[c].type && sqlv_order(&w[c], &v[c]) == 0);
    FUZZ_CHECK(bl <= n); /* encoding is minimal */
    free(b);
}

static void fuzz_rec_dna(const uint8_t *p, size_t n)
{
    nq_err e;
    nq_err_clear(&e);
    size_t need = 0;
    int rc = rec_expanded_size(p, n, &need, &e);
    FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);
    if (rc || need > (1u << 20))
        return;
    uint8_t *x = malloc(need ? need : 1);
    sqlv v[MAXC], w[MAXC];
    uint8_t codec[MAXC];
    int nc = 0;
    rc = rec_decode_x(p, n, v, MAXC, &nc, x, need, &e);
    FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT || rc == NQ_ETOOBIG);
    if (rc == 0) {
        for (int c = 0; c < nc; c++) {
            int tag;
            size_t len;
            FUZZ_CHECK(rec_column_form(p, n, c, &tag, &len, &e) == 0);
            codec[c] = tag == REC_T_DNA ? REC_CODEC_DNA : REC_CODEC_NONE;
        }
        uint8_t *b;
        size_t bl, need2 = 0;
        FUZZ_CHECK(rec_encode_x(v, nc, codec, &b, &bl, NULL, &e) == 0);
        FUZZ_CHECK(rec_expanded_size(b, bl, &need2, &e) == 0 && need2 <= need);
        uint8_t *x2 = malloc(need2 ? need2 : 1);
        int nc2;
        FUZZ_CHECK(rec_decode_x(b, bl, w, MAXC, &nc2, x2, need2, &e) == 0 && nc2 == nc);
        for (int c = 0; c < nc; c++)
            FUZZ_CHECK(w[c].type == v[c].type && sqlv_order(&w[c], &v[c]) == 0);
        free(x2);
        free(b);
    }
    free(x);
}

static void fuzz_key(uint8_t mode, const uint8_t *p, size_t n)
{
    nq_err e;
    nq_err_clear(&e);
    int nc = 1 + (mode >> 1 & 3);
    key_col cols[4];
    for (int c = 0; c < nc; c++) {
        cols[c].desc = mode >> (3 + c) & 1;
        cols[c].nulls_first = c & 1;
    }
    sqlv v[4], w[4];
    size_t used = 0;
    int rc = key_decode(p, n, cols, NULL, nc, v, &used, &e);
    FUZZ_CHECK_RC(rc);
    FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);
    if (rc)
        return;
    FUZZ_CHECK(used <= n);
    uint8_t *k;
    size_t kl;
    FUZZ_CHECK(key_encode(v, cols, nc, &k, &kl, &e) == 0);
    FUZZ_CHECK(key_decode(k, kl, cols, NULL, nc, w, &used, &e) == 0 && used == kl);
    for (int c = 0; c < nc; c++) {
        FUZZ_CHECK(sqlv_order(&v[c], &w[c]) == 0);
        sqlv_clear(&v[c]);
        sqlv_clear(&w[c]);
    }
    free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_key(data[0], data + 1, size - 1);
    else if (data[0] & 2)
        fuzz_rec_dna(data + 1, size - 1);
    else
        fuzz_rec(data + 1, size - 1);
    return 0;
}
