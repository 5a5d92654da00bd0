/*
 * qubo_problems.c — QUBO formulations of classic problems, each written so that its minimum
 * is the problem's optimum with the sign and constant right (the Rust version's Max-Cut had
 * the sign reversed, so its optimum was "cut nothing"; its TSP forgot the return edge).
 *
 *   Max-Cut     an edge (u,v,w) is cut iff x_u ≠ x_v, i.e. x_u + x_v − 2x_u x_v = 1, so
 *               E = Σ w·(2x_u x_v − x_u − x_v) = −cut.
 *   colouring   P·(Σ_c x_vc − 1)² per vertex (expanded: −P·x + 2P·x x' + P) plus P·x_uc x_vc
 *               per edge and colour: 0 for a proper colouring, ≥ P otherwise.
 *   partition   s = 2x − 1, E = (Σ a_i s_i)² = 4(Σ a x)² − 4A Σ a x + A², A = Σ a.
 *   TSP         Σ_{i≠j} Σ_t d_ij x_{i,t} x_{j,(t+1) mod n} (the closing edge included) plus the
 *               one-hot penalties on every city (row) and every step (column).
 */
#include "qubo.h"

#include <math.h>
#include <string.h>
#include <stdlib.h>

int qubo_build_maxcut(int n, const qubo_edge *edges, size_t m, qubo_model *out, nq_err *err)
{
    qubo_builder b;
    int rc = qubo_builder_init(&b, n, err);
    if (rc)
        return rc;
    for (size_t e = 0; e < m; e++) {
        int u = edges[e].u, v = edges[e].v;
        double w = edges[e].w;
        if (u < 0 || v < 0 || u >= n || v >= n) {
            qubo_builder_free(&b);
            return nq_err_set(err, NQ_EINVAL, "maxcut: edge %zu (%d, %d) outside 0..%d", e, u, v,
                              n - 1);
        }
        if (u == v)
            continue;
        qubo_builder_add(&b, u, u, -w);
        qubo_builder_add(&b, v, v, -w);
        qubo_builder_add(&b, u, v, 2 * w);
    }
    rc = qubo_builder_build(&b, out, err);
    qubo_builder_free(&b);
    return rc;
}

double qubo_cut_value(const qubo_edge *edges, size_t m, const unsigned char *x)
{
    double cut = 0;
    for (size_t e = 0; e < m; e++)
        if (x[edges[e].u] != x[edges[e].v])
            cut += edges[e].w;
    return cut;
}

/* P·(Σ_{v in vars} x_v − 1)² expanded into the builder. */
static void add_one_hot(qubo_builder *b, const int *vars, int k, double p)
{
    for (int a = 0; a < k; a++) {
        qubo_builder_add(b, vars[a], vars[a], -p);
        for (int c = a + 1; c < k; c++)
            qubo_builder_add(b, vars[a], vars[c], 2 * p);
    }
    qubo_builder_add_offset(b, p);
}

int qubo_build_coloring(int n, const qubo_edge *edges, size_t m, int k, double penalty,
                        qubo_model *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    if (k < 1 || n < 1 || (long long)n * k > QUBO_MAX_VARS)
        return nq_err_set(err, NQ_EINVAL, "coloring: %d vertices x %d colours not allowed", n, k);
    if (!(penalty > 0))
        penalty = 1;
    qubo_builder b;
    int rc = qubo_builder_init(&b, n * k, err);
    if (rc)
        return rc;
    int *vars = malloc((size_t)k * sizeof *vars);
    if (!vars) {
        qubo_builder_free(&b);
        return nq_err_set(err, NQ_ENOMEM, "coloring: out of memory");
    }
    for (int v = 0; v < n; v++) {
        for (int c = 0; c < k; c++)
            vars[c] = v * k + c;
        add_one_hot(&b, vars, k, penalty);
    }
    free(vars);
    for (size_t e = 0; e < m; e++) {
        int u = edges[e].u, v = edges[e].v;
        if (u < 0 || v < 0 || u >= n || v >= n) {
            qubo_builder_free(&b);
            return nq_err_set(err, NQ_EINVAL, "coloring: edge %zu (%d, %d) outside 0..%d", e, u,
                              v, n - 1);
        }
        if (u == v)
            continue;
        for (int c = 0; c < k; c++)
            qubo_builder_add(&b, u * k + c, v * k + c, penalty);
    }
    rc = qubo_builder_build(&b, out, err);
    qubo_builder_free(&b);
    return rc;
}

int qubo_build_partition(int n, const double *a, qubo_model *out, nq_err *err)
{
    qubo_builder b;
    int rc = qubo_builder_init(&b, n, err);
    if (rc)
        return rc;
    double A = 0;
    for (int i = 0; i < n; i++)
        A += a[i];
    for (int i = 0; i < n; i++) {
        qubo_builder_add(&b, i, i, 4 * a[i] * a[i] - 4 * A * a[i]);
        for (int j = i + 1; j < n; j++)
            qubo_builder_add(&b, i, j, 8 * a[i] * a[j]);
    }
    qubo_builder_add_offset(&b, A * A);
    rc = qubo_builder_build(&b, out, err);
    qubo_builder_free(&b);
    return rc;
}

int qubo_build_tsp(int n, const double *d, double penalty, qubo_model *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    if (n < 2 || n > 512) /* n³ pair terms: 512 cities is ~1.3e8, within QUBO_MAX_PAIRS */
        return nq_err_set(err, NQ_EINVAL, "tsp: %d cities (2..512 allowed)", n);
    if (!(penalty > 0)) {
        double mx = 0;
        for (int i = 0; i < n * n; i++)
            mx = fmax(mx, fabs(d[i]));
        penalty = 2 * mx > 0 ? 2 * mx : 1;
    }
    qubo_builder b;
    int rc = qubo_builder_init(&b, n * n, err);
    if (rc)
        return rc;
    int *vars = malloc((size_t)n * sizeof *vars);
    if (!vars) {
        qubo_builder_free(&b);
        return nq_err_set(err, NQ_ENOMEM, "tsp: out of memory");
    }
    for (int i = 0; i < n; i++) { /* every city visited once */
        for (int t = 0; t < n; t++)
            vars[t] = i * n + t;
        add_one_hot(&b, vars, n, penalty);
    }
    for (int t = 0; t < n; t++) { /* one city per step */
        for (int i = 0; i < n; i++)
            vars[i] = i * n + t;
        add_one_hot(&b, vars, n, penalty);
    }
    free(vars);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (i == j)
                continue;
            for (int t = 0; t < n; t++) /* t = n−1 -> 0 is the return edge */
                qubo_builder_add(&b, i * n + t, j * n + (t + 1) % n, d[i * n + j]);
        }
    rc = qubo_builder_build(&b, out, err);
    qubo_builder_free(&b);
    return rc;
}

int qubo_tsp_decode(int n, const unsigned char *x, int *tour)
{
    for (int t = 0; t < n; t++) {
        tour[t] = -1;
        for (int i = 0; i < n; i++)
            if (x[i * n + t]) {
                if (tour[t] >= 0)
                    return -1;
                tour[t] = i;
            }
        if (tour[t] < 0)
            return -1;
    }
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int t = 0; t < n; t++)
            seen += tour[t] == i;
        if (seen != 1)
            return -1;
    }
    return 0;
}
