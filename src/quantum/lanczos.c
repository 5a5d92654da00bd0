/*
 * lanczos.c — the Lanczos iteration for the lowest eigenvalue (method in lanczos.h).
 *
 * Each step makes one product w = H v, then orthogonalises w against v and the previous
 * vector twice (classical Gram-Schmidt repeated: the second pass removes what rounding left
 * of the first, which keeps alpha and beta accurate without storing the whole basis).
 * Dot products and norms are summed pairwise.
 */
#include "lanczos.h"

#include <math.h>
#include <stdlib.h>

#include "base/rand.h"

static double dot(const double *x, const double *y, uint64_t n)
{
    if (n > 256)
        return dot(x, y, n / 2) + dot(x + n / 2, y + n / 2, n - n / 2);
    double s = 0;
    for (uint64_t i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

static void axpy(double a, const double *x, double *y, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* Number of eigenvalues of T below x (Sturm sequence of the LDL^T factorisation). */
static int sturm_count(const double *a, const double *b, int m, double x)
{
    int c = 0;
    double q = a[0] - x;
    if (q < 0)
        c++;
    for (int i = 1; i < m; i++) {
        if (q == 0)
            q = 1e-300;
        q = a[i] - x - b[i - 1] * b[i - 1] / q;
        if (q < 0)
            c++;
    }
    return c;
}

double lanczos_tridiag_lowest(const double *a, const double *b, int m)
{
    double lo = a[0], hi = a[0];
    for (int i = 0; i < m; i++) { /* Gershgorin */
        double r = (i > 0 ? fabs(b[i - 1]) : 0) + (i < m - 1 ? fabs(b[i]) : 0);
        if (a[i] - r < lo)
            lo = a[i] - r;
        if (a[i] + r > hi)
            hi = a[i] + r;
    }
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (sturm_count(a, b, m, mid) >= 1)
            hi = mid;
        else
            lo = mid;
    }
    return 0.5 * (lo + hi);
}

/* Last component (in absolute value) of the unit eigenvector of T (m x m) for its eigenvalue
 * theta, by three steps of inverse iteration with the shift just below theta, where T - shift
 * is positive definite and its LDL^T factorisation needs no pivoting. */
static double ritz_last(const double *a, const double *b, int m, double theta, double *x,
                        double *d)
{
    double shift = theta - 1e-10 * (fabs(theta) + 1);
    for (int i = 0; i < m; i++)
        x[i] = 1;
    for (int it = 0; it < 3; it++) {
        /* factor T - shift = L D L^T with L unit lower bidiagonal (l_i = b_i / d_i) */
        d[0] = a[0] - shift;
        for (int i = 1; i < m; i++) {
            if (d[i - 1] == 0)
                d[i - 1] = 1e-300;
            d[i] = a[i] - shift - b[i - 1] * b[i - 1] / d[i - 1];
        }
        if (d[m - 1] == 0)
            d[m - 1] = 1e-300;
        for (int i = 1; i < m; i++) /* L y = x */
            x[i] -= b[i - 1] / d[i - 1] * x[i - 1];
        for (int i = 0; i < m; i++) /* D z = y */
            x[i] /= d[i];
        for (int i = m - 2; i >= 0; i--) /* L^T w = z */
            x[i] -= b[i] / d[i] * x[i + 1];
        double nrm = 0;
        for (int i = 0; i < m; i++)
            nrm = fmax(nrm, fabs(x[i]));
        for (int i = 0; i < m; i++)
            x[i] /= nrm;
    }
    double n2 = 0;
    for (int i = 0; i < m; i++)
        n2 += x[i] * x[i];
    return fabs(x[m - 1]) / sqrt(n2);
}

int lanczos_lowest(uint64_t dim, lanczos_matvec_fn mv, void *arg, const lanczos_opts *opts,
                   lanczos_result *res, nq_err *err)
{
    lanczos_opts o = {0};
    if (opts)
        o = *opts;
    if (o.max_iter <= 0)
        o.max_iter = 500;
    if (!(o.tol > 0))
        o.tol = 1e-12;
    if (o.budget == 0)
        o.budget = (size_t)1 << 30;
    if (dim == 0)
        return nq_err_set(err, NQ_EINVAL, "empty operator");
    if (dim > ((uint64_t)1 << 40))
        return nq_err_set(err, NQ_ETOOBIG, "dimension %llu too large", (unsigned long long)dim);
    uint64_t bytes = 3 * dim * sizeof(double);
    if (bytes > o.budget)
        return nq_err_set(err, NQ_ETOOBIG,
                          "Lanczos on %llu states needs %llu bytes (%.1f MiB) for its three vectors, "
                          "over the memory budget of %llu bytes (%.1f MiB)",
                          (unsigned long long)dim, (unsigned long long)bytes, bytes / 1048576.0,
                          (unsigned long long)o.budget, o.budget / 1048576.0);
    double *vp = calloc(dim, sizeof *vp), *v = malloc(dim * sizeof *v), *w = malloc(dim * sizeof *w);
    size_t mi = (size_t)o.max_iter;
    double *al = malloc(mi * sizeof *al), *be = malloc(mi * sizeof *be);
    double *tx = malloc(mi * sizeof *tx), *td = malloc(mi * sizeof *td);
    if (!vp || !v || !w || !al || !be || !tx || !td) {
        free(vp), free(v), free(w), free(al), free(be), free(tx), free(td);
        return nq_err_set(err, NQ_ENOMEM, "out of memory for Lanczos vectors (%llu bytes)",
                          (unsigned long long)bytes);
    }
    if (o.start) {
        o.start(v, dim, arg);
    } else {
        nq_rng r;
        nq_rng_seed(&r, o.seed ^ 0x6c616e637a6f73ull);
        for (uint64_t i = 0; i < dim; i++)
            v[i] = nq_rng_double(&r) - 0.5;
    }
    double nv = sqrt(dot(v, v, dim));
    if (!(nv > 0) || !isfinite(nv)) {
        free(vp), free(v), free(w), free(al), free(be), free(tx), free(td);
        return nq_err_set(err, NQ_EINVAL, "the Lanczos start vector is zero");
    }
    for (uint64_t i = 0; i < dim; i++)
        v[i] /= nv;
    double beta = 0, theta = 0;
    int m = 0, converged = 0;
    for (m = 1; m <= o.max_iter; m++) {
        mv(v, w, dim, arg);
        axpy(-beta, vp, w, dim);
        double alpha = dot(w, v, dim);
        axpy(-alpha, v, w, dim);
        /* second Gram-Schmidt pass against v and vp */
        double c1 = dot(w, v, dim), c2 = dot(w, vp, dim);
        axpy(-c1, v, w, dim);
        axpy(-c2, vp, w, dim);
        alpha += c1;
        al[m - 1] = alpha;
        theta = lanczos_tridiag_lowest(al, be, m);
        beta = sqrt(dot(w, w, dim));
        if (dim == 1 || beta <= 1e-13 * (fabs(alpha) + fabs(theta) + 1e-300) ||
            (uint64_t)m >= dim) {
            converged = 1;
            break;
        }
        if (beta * ritz_last(al, be, m, theta, tx, td) <= o.tol * fmax(1, fabs(theta))) {
            converged = 1;
            break;
        }
        if (m < o.max_iter)
            be[m - 1] = beta;
        double *t = vp;
        vp = v;
        v = w;
        w = t;
        for (uint64_t i = 0; i < dim; i++)
            v[i] /= beta;
    }
    if (res) {
        res->eigenvalue = theta;
        res->iterations = m > o.max_iter ? o.max_iter : m;
        res->converged = converged;
        res->bytes = bytes;
    }
    free(vp), free(v), free(w), free(al), free(be), free(tx), free(td);
    return 0;
}
