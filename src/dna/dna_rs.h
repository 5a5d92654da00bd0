/*
 * dna_rs.h — systematic Reed-Solomon codes over GF(2^8) (dna_gf.h): the outer code of the
 * DNA-storage codec (docs/dna.md, "The outer code"), usable alone.
 *
 * An RS(n, k) code has n <= 255 symbols of which k carry the message and m = n - k are parity.
 * A codeword is the byte array c[0..n) read as the polynomial c(x) = sum c[i] x^(n-1-i) (the
 * message first, highest degree first, then the parity): c(x) = msg(x) x^m + (msg(x) x^m mod
 * g(x)), g(x) = prod_{j<m} (x - 2^j). Shortened codes (n < 255) are the same code with leading
 * zeros left out.
 *
 * Decoding corrects any e erasures (known positions: lost oligos) and t errors (unknown
 * positions: corrupted symbols) with e + 2t <= m — Berlekamp-Massey started from the erasure
 * locator, Chien search, Forney. A pattern beyond that is reported (NQ_ECORRUPT) whenever the
 * decoder can tell: more than m erasures always; otherwise a locator whose roots are not all in
 * the codeword, or whose degree exceeds the budget, or a result whose syndromes are not zero.
 * (A pattern of errors beyond (m - e)/2 can in rare cases land on another codeword; the codec
 * on top checks a CRC of every oligo and of the whole file, so that never becomes output.)
 *
 * Region encoding: for many codewords side by side (the columns of a block of oligos: symbol i
 * of every codeword lives in row i), parity row j = XOR_d P[d][j] * data row d, where P[d][j]
 * is the parity of the unit message at position d. That is k*m region multiply-accumulates,
 * the SIMD kernel of dna_gf.h.
 */
#ifndef NQ_DNA_RS_H
#define NQ_DNA_RS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define DNA_RS_MAX_N 255

typedef struct dna_rs {
    int n, k, m;
    uint8_t gen[DNA_RS_MAX_N + 1]; /* g(x): gen[0] = 1 is the x^m coefficient, gen[m] the constant */
    uint8_t *pmat;                 /* k x m: pmat[d*m + j] = parity j of the unit message at d */
} dna_rs;

/* 1 <= k < n <= 255. 0, NQ_EINVAL or NQ_ENOMEM. dna_rs_free releases it. */
int dna_rs_init(dna_rs *rs, int n, int k, nq_err *err);
void dna_rs_free(dna_rs *rs);

/* One codeword: parity[0..m) from msg[0..k) (polynomial division, the LFSR form). */
void dna_rs_encode(const dna_rs *rs, const uint8_t *msg, uint8_t *parity);

/* len codewords at once: data[d][i] (d < k) is symbol d of codeword i, parity[j][i] receives
 * symbol k+j. The parity rows are overwritten. */
void dna_rs_encode_rows(const dna_rs *rs, const uint8_t *const *data, uint8_t *const *parity,
                        size_t len);

/* Decode cw[0..n) in place. eras[0..neras) are erased positions (distinct, < n; their symbols
 * may hold anything). Returns the number of symbols changed (>= 0), or NQ_ECORRUPT when the
 * word cannot be decoded (cw is then left as it was), NQ_EINVAL for bad arguments. */
int dna_rs_decode(const dna_rs *rs, uint8_t *cw, const int *eras, int neras, nq_err *err);

/* len codewords side by side, as dna_rs_encode_rows lays them out: rows[i] (i < n) holds
 * symbol i of every codeword. eras[0..neras) are rows lost in every codeword (missing oligos).
 * The erased rows are solved for all columns at once — a matrix inverse of the erasure
 * positions' parity-check columns, applied with the SIMD row product — and the m - neras
 * syndromes left over check every column; only a column whose check fails (a symbol wrong
 * outside the erasures) goes through dna_rs_decode. bad[c] is set to 1 for each column that
 * could not be decoded (its symbols are then not trustworthy), else 0. Returns the number of
 * bad columns (all len when neras > m), or NQ_EINVAL / NQ_ENOMEM. *changed (may be NULL)
 * receives the number of symbols rewritten, erasures included. */
long dna_rs_decode_rows(const dna_rs *rs, uint8_t *const *rows, size_t len, const int *eras,
                        int neras, uint8_t *bad, size_t *changed, nq_err *err);

#endif
