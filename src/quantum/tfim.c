/*
 * tfim.c — the transverse-field Ising chain: matrix-free H v and the exact ground state by
 * Lanczos (method in tfim.h).
 *
 * The product first writes the diagonal (ZZ) part for every x, then adds the X part one spin
 * at a time: flipping bit i pairs x with x + 2^i inside blocks of 2^(i+1), the same run
 * structure as a one-qubit gate in the state-vector simulator, so each pass is unit-stride.
 */
#include "tfim.h"

#include <math.h>

#include "lanczos.h"

static int params_ok(const tfim_params *p, nq_err *err)
{
    if (p->n < 1 || p->n > TFIM_MAX_SPINS)
        return nq_err_set(err, NQ_EINVAL, "spin count %d out of range (1..%d)", p->n, TFIM_MAX_SPINS);
    if (!isfinite(p->J) || !isfinite(p->h))
        return nq_err_set(err, NQ_EINVAL, "J and h must be finite numbers");
    if (p->boundary != TFIM_PERIODIC && p->boundary != TFIM_OPEN)
        return nq_err_set(err, NQ_EINVAL, "unknown boundary condition");
    return 0;
}

void tfim_apply(const tfim_params *p, const double *x, double *y)
{
    const int n = p->n;
    const uint64_t dim = (uint64_t)1 << n, all = dim - 1;
    const double J = p->J, h = p->h;
    if (p->boundary == TFIM_PERIODIC) {
        /* bit i of s ^ rot(s) is s_i XOR s_{i+1 mod N}: N bonds */
        for (uint64_t s = 0; s < dim; s++) {
            uint64_t rot = ((s >> 1) | (s << (n - 1))) & all;
            int broken = __builtin_popcountll(s ^ rot);
            y[s] = -J * (double)(n - 2 * broken) * x[s];
        }
    } else {
        const uint64_t bonds = all >> 1; /* bits 0..N-2 */
        for (uint64_t s = 0; s < dim; s++) {
            int broken = __builtin_popcountll((s ^ (s >> 1)) & bonds);
            y[s] = -J * (double)(n - 1 - 2 * broken) * x[s];
        }
    }
    if (h == 0)
        return;
    for (int i = 0; i < n; i++) {
        const uint64_t st = (uint64_t)1 << i;
        for (uint64_t base = 0; base < dim; base += 2 * st)
            for (uint64_t j = base; j < base + st; j++) {
                y[j] -= h * x[j + st];
                y[j + st] -= h * x[j];
            }
    }
}

/* The ground state's sector. For h != 0, -H has non-negative off-diagonal entries after the
 * sign change x -> (-1)^popcount(x) when h < 0, and connects every basis state, so by
 * Perron-Frobenius the ground state is unique with amplitudes of one sign (times that sign
 * pattern). Starting from the uniform vector with that pattern keeps Lanczos in the sector
 * that is symmetric under translation, reflection and the global spin flip: the near-degenerate
 * partner of the ferromagnetic phase (small h), which lives in the odd sector, never enters. */
static void start_vector(double *v, uint64_t dim, void *arg)
{
    const tfim_params *p = arg;
    for (uint64_t x = 0; x < dim; x++)
        v[x] = (p->h < 0 && (__builtin_popcountll(x) & 1)) ? -1.0 : 1.0;
}

static void matvec(const double *x, double *y, uint64_t dim, void *arg)
{
    (void)dim;
    tfim_apply(arg, x, y);
}

int tfim_exact(const tfim_params *p, size_t budget, tfim_exact_result *res, nq_err *err)
{
    int rc = params_ok(p, err);
    if (rc)
        return rc;
    uint64_t dim = (uint64_t)1 << p->n;
    lanczos_opts o = {.max_iter = 1000, .tol = 1e-12, .start = start_vector, .budget = budget};
    lanczos_result lr;
    tfim_params copy = *p;
    rc = lanczos_lowest(dim, matvec, &copy, &o, &lr, err);
    if (rc)
        return nq_err_prefix(err, rc, "TFIM with %d spins", p->n);
    res->energy = lr.eigenvalue;
    res->iterations = lr.iterations;
    res->converged = lr.converged;
    res->dim = dim;
    res->bytes = lr.bytes;
    return 0;
}

int tfim_energy_formula(int n, double J, double h, double *e0)
{
    if (n < 2 || n % 2 || !(J >= 0) || !(h >= 0) || !isfinite(J) || !isfinite(h))
        return NQ_EINVAL;
    double s = 0;
    for (int m = 1; m <= n; m++)
        s += sqrt(J * J + h * h - 2 * J * h * cos((2 * m - 1) * M_PI / n));
    *e0 = -s;
    return 0;
}
