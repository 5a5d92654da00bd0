/*
 * dna_store_consensus.c — one oligo from the reads of its cluster (see dna_store.h).
 *
 * Reference: a read of exactly the oligo's length (else the read closest to it); when fewer
 * than half the reads come within reach of it (it carries an insertion and a deletion far apart,
 * say) the next such read, up to three. Each round aligns every read to the reference by banded
 * global edit distance (band: the length difference plus 12), and lets it vote: for each
 * reference position the read's base or a deletion, and for each gap between positions an
 * inserted base or none. The new reference keeps a position whose base votes outnumber its
 * deletion votes (with the most voted base), and puts in an insertion that more than half the
 * voting reads have. Reads whose distance to the reference exceeds a third of its length —
 * reads of another oligo whose damaged prefix named this address — do not vote. The number of
 * reads that voted in the last round is the consensus's support, the decoder's reliability
 * measure: a "consensus" of one read, or of reads that do not agree, is not trusted.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dna_store.h"

static int code_of(char ch)
{
    switch (ch) {
    case 'A': case 'a': return 0;
    case 'C': case 'c': return 1;
    case 'G': case 'g': return 2;
    case 'T': case 't': return 3;
    default: return 4; /* N and the like: matches nothing */
    }
}

static const char chars[5] = {'A', 'C', 'G', 'T', 'N'};

typedef struct aligner {
    int cap_rows, cap_cols;
    int *dp;     /* (rl+1) x width costs */
    uint8_t *tb; /* traceback: 0 diag, 1 up (deletion: ref base missing), 2 left (insertion) */
} aligner;

/* Banded global alignment of q[0..ql) to ref[0..rl); votes added unless the distance exceeds
 * maxd. Returns the distance or INT_MAX. */
static int align_vote(aligner *al, const char *ref, int rl, const char *q, int ql, int maxd,
                      int (*votes)[5], int (*ins)[4])
{
    int diff = ql - rl;
    int lo = (diff < 0 ? diff : 0) - 12, hi = (diff > 0 ? diff : 0) + 12; /* j - i in [lo, hi] */
    int w = hi - lo + 1;
    if ((rl + 1) > al->cap_rows || w > al->cap_cols) {
        free(al->dp);
        free(al->tb);
        al->cap_rows = rl + 1;
        al->cap_cols = w;
        al->dp = malloc((size_t)(rl + 1) * (size_t)w * sizeof *al->dp);
        al->tb = malloc((size_t)(rl + 1) * (size_t)w);
        if (!al->dp || !al->tb)
            return -1;
    }
    const int INF = INT_MAX / 4;
#define DP(i, j) al->dp[(size_t)(i) * (size_t)w + (size_t)((j) - (i) - lo)]
#define TB(i, j) al->tb[(size_t)(i) * (size_t)w + (size_t)((j) - (i) - lo)]
    for (int i = 0; i <= rl; i++) {
        int jlo = i + lo, jhi = i + hi;
        for (int j = jlo; j <= jhi; j++) {
            if (j < 0 || j > ql) {
                DP(i, j) = INF;
                continue;
            }
            if (i == 0 && j == 0) {
                DP(i, j) = 0;
                TB(i, j) = 0;
                continue;
            }
            int best = INF, t = 0;
            if (i > 0 && j > 0 && j - 1 - (i - 1) >= lo && j - 1 - (i - 1) <= hi) {
                int c = DP(i - 1, j - 1);
                if (c < INF) {
                    c += code_of(ref[i - 1]) != code_of(q[j - 1]) || code_of(q[j - 1]) == 4;
                    if (c < best) {
                        best = c;
                        t = 0;
                    }
                }
            }
            if (i > 0 && j - (i - 1) <= hi) { /* ref base i-1 deleted in the read */
                int c = DP(i - 1, j);
                if (c < INF && c + 1 < best) {
                    best = c + 1;
                    t = 1;
                }
            }
            if (j > 0 && j - 1 - i >= lo) { /* read base j-1 inserted */
                int c = DP(i, j - 1);
                if (c < INF && c + 1 < best) {
                    best = c + 1;
                    t = 2;
                }
            }
            DP(i, j) = best;
            TB(i, j) = (uint8_t)t;
        }
    }
    if (ql - rl < lo || ql - rl > hi)
        return INT_MAX;
    int d = DP(rl, ql);
    if (d >= INF || d > maxd)
        return INT_MAX;
    int i = rl, j = ql;
    while (i > 0 || j > 0) {
        int t = TB(i, j);
        if (t == 0 && i > 0 && j > 0) {
            int c = code_of(q[j - 1]);
            if (c < 4)
                votes[i - 1][c]++;
            i--;
            j--;
        } else if (t == 1 && i > 0) {
            votes[i - 1][4]++;
            i--;
        } else {
            int c = code_of(q[j - 1]);
            if (c < 4)
                ins[i][c]++;
            j--;
        }
    }
#undef DP
#undef TB
    return d;
}


/* Up to 4 rounds of align-and-vote from ref[0..*rl). Returns 1 when at least half the reads
 * voted in the first round (a good start), 0 otherwise, -1 on no memory. */
static int consensus_rounds(aligner *al, const dna_read *reads, size_t n, int refcap, char *ref,
                            int *rlp, char *next, int (*votes)[5], int (*ins)[4], int *support)
{
    int rl = *rlp, good = 0;
    *support = 0;
    for (int round = 0; round < 4; round++) {
        memset(votes, 0, (size_t)rl * sizeof *votes);
        memset(ins, 0, (size_t)(rl + 1) * sizeof *ins);
        int voters = 0;
        for (size_t r = 0; r < n; r++) {
            if (reads[r].len >= (size_t)refcap)
                continue;
            int d = align_vote(al, ref, rl, reads[r].seq, (int)reads[r].len, rl / 3, votes, ins);
            if (d < 0)
                return -1;
            if (d != INT_MAX)
                voters++;
        }
        if (round == 0)
            good = 2 * (size_t)voters >= n;
        *support = voters;
        if (!voters)
            break;
        int nl = 0;
        for (int i = 0; i <= rl && nl < refcap - 2; i++) {
            int it = ins[i][0] + ins[i][1] + ins[i][2] + ins[i][3];
            if (2 * it > voters) {
                int bc = 0;
                for (int c = 1; c < 4; c++)
                    if (ins[i][c] > ins[i][bc])
                        bc = c;
                next[nl++] = chars[bc];
            }
            if (i == rl)
                break;
            int bc = 0;
            for (int c = 1; c < 4; c++)
                if (votes[i][c] > votes[i][bc])
                    bc = c;
            if (votes[i][4] > votes[i][bc])
                continue;
            next[nl++] = chars[bc];
        }
        int same = nl == rl && memcmp(next, ref, (size_t)rl) == 0;
        memcpy(ref, next, (size_t)nl);
        rl = nl;
        if (same)
            break;
    }
    *rlp = rl;
    return good;
}

int dna_store_consensus(const dna_read *reads, size_t n, int len, char *out, int cap, int *support)
{
    int sup = 0;
    if (support)
        *support = 0;
    int refcap = 2 * len + 16;
    char *ref = malloc((size_t)refcap), *next = malloc((size_t)refcap);
    int (*votes)[5] = malloc((size_t)refcap * sizeof *votes);
    int (*ins)[4] = malloc((size_t)(refcap + 1) * sizeof *ins);
    aligner al = {0, 0, NULL, NULL};
    int rl = 0, result = -1;
    if (!ref || !next || !votes || !ins)
        goto out;
    /* the starting reference: a read of the exact length (the closest length if none); when
     * it turns out to be a poor one (fewer than half the reads within reach of it), the next */
    size_t tried_mask = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        size_t best = n;
        long bd = -1;
        for (size_t r = 0; r < n && r < 64; r++) {
            if (tried_mask & ((size_t)1 << r))
                continue;
            long d = labs((long)reads[r].len - (long)len);
            if (reads[r].len < (size_t)refcap && (bd < 0 || d < bd)) {
                bd = d;
                best = r;
            }
        }
        if (best == n)
            break;
        tried_mask |= (size_t)1 << best;
        rl = (int)reads[best].len;
        for (int i = 0; i < rl; i++)
            ref[i] = chars[code_of(reads[best].seq[i])];
        int rc = consensus_rounds(&al, reads, n, refcap, ref, &rl, next, votes, ins, &sup);
        if (rc < 0)
            goto out;
        if (rc == 1)
            break;
    }
    if (!n)
        rl = 0;
    result = rl < cap ? rl : cap;
    memcpy(out, ref, (size_t)result);
    if (support)
        *support = n ? sup : 0;
out:
    free(ref);
    free(next);
    free(votes);
    free(ins);
    free(al.dp);
    free(al.tb);
    return result;
}
