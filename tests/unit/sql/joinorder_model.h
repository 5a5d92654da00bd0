/*
 * joinorder_model.h — synthetic join graphs for the join-order tests: chains, stars and
 * cliques of n tables with seeded cardinalities, selectivities and indexes, and a cost model
 * of the planner's shape (nested loop through an index or a scan, hash join on a key; the row
 * factor of a step independent of the path, so DP over subsets is exact on it).
 */
#ifndef NQ_TEST_JOINORDER_MODEL_H
#define NQ_TEST_JOINORDER_MODEL_H

#include <math.h>
#include <string.h>

#include "base/rand.h"
#include "sql/plan_joinorder.h"

enum { SHAPE_CHAIN, SHAPE_STAR, SHAPE_CLIQUE };

typedef struct jo_graph {
    int n;
    double card[64];
    double sel[64][64];     /* 0: no edge */
    int indexed[64][64];    /* item i has an index on its side of edge (i, j) */
} jo_graph;

static inline void jo_graph_gen(jo_graph *g, int n, int shape, uint64_t seed)
{
    nq_rng r;
    nq_rng_seed(&r, seed);
    memset(g, 0, sizeof *g);
    g->n = n;
    static const double cards[] = {10, 100, 1000, 10000, 100000};
    for (int i = 0; i < n; i++)
        g->card[i] = cards[nq_rng_below(&r, 5)] * (1 + (double)nq_rng_below(&r, 9));
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            int edge = shape == SHAPE_CHAIN ? j == i + 1 : shape == SHAPE_STAR ? i == 0 : 1;
            if (!edge)
                continue;
            /* a key join: selectivity about 1 / the larger side */
            double big = g->card[i] > g->card[j] ? g->card[i] : g->card[j];
            double s = 1.0 / (big * (0.5 + nq_rng_double(&r)));
            g->sel[i][j] = g->sel[j][i] = s;
            g->indexed[i][j] = nq_rng_below(&r, 2) == 0;
            g->indexed[j][i] = nq_rng_below(&r, 2) == 0;
        }
}

static inline int jo_graph_params(void *ctx, int i, uint64_t placed, jo_params *p)
{
    const jo_graph *g = ctx;
    double c = g->card[i], f = c;
    int idx = 0, edge = 0;
    double isel = 1;
    for (int j = 0; j < g->n; j++)
        if ((placed >> j & 1) && g->sel[i][j] > 0) {
            f *= g->sel[i][j];
            edge = 1;
            if (g->indexed[i][j] && g->sel[i][j] < isel)
                isel = g->sel[i][j], idx = 1;
        }
    if (f < 1)
        f = 1;
    double lg = log2(c + 2);
    double irows = c * isel < 1 ? 1 : c * isel;
    p->nl_cost = idx ? irows * 1.5 + lg : c;
    p->nl_scan = !idx;
    p->hash_build = placed && edge ? 2 * c : -1;
    p->nl_rows = p->hash_rows = p->scan_hash_rows = f;
    p->look_rows = idx ? irows : c;
    return 0;
}

#endif
