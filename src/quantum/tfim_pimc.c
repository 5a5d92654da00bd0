/*
 * tfim_pimc.c — path-integral Monte Carlo of the transverse-field Ising chain (the mapping,
 * the estimator and the moves are derived in tfim_pimc.h).
 *
 * Layout: the N P spins are int8 in slice-major order (s[k N + i]), so a Metropolis pass walks
 * memory once and the time neighbours of a row are the rows above and below. The couplings
 * enter the moves only through a 5 x 5 table of Metropolis thresholds (indexed by s times the
 * sum of the space neighbours and s times the sum of the time neighbours, each in -2..2) and two
 * bond probabilities for the clusters; all are 64-bit integers compared with a raw draw of
 * xoshiro256**, and all are recomputed when the annealed field changes (once per sweep).
 * The Wolff cluster marks its members with a per-cluster stamp instead of clearing a flag
 * array, and keeps an explicit stack (no recursion: a cluster can span all N P spins).
 */
#include "tfim_pimc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"

#define TWO64 18446744073709551616.0

typedef struct pimc {
    int n, P, periodic;
    size_t cells;
    signed char *s;
    uint32_t *mark, *stack;
    uint32_t stamp;
    double J, h;            /* h = the field of the current sweep (> 0) */
    double dtau, Kx, Kt;
    int jsign;              /* sign of J: a space bond is satisfied when jsign s_a s_b > 0 */
    uint64_t thr[5][5];     /* Metropolis acceptance threshold; UINT64_MAX = always */
    uint64_t p_space, p_time; /* cluster bond probabilities (UINT64_MAX = always) */
    nq_rng rng;
    long accepted, tried, clusters, cluster_spins;
} pimc;

/* p in [0, 1] as a threshold for a uniform 64-bit draw; UINT64_MAX stands for "always". */
static uint64_t prob_threshold(double p)
{
    if (!(p > 0))
        return 0;
    double t = p * TWO64;
    return t >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)t;
}

static int chance(pimc *m, uint64_t thr)
{
    return thr == UINT64_MAX || nq_rng_next(&m->rng) < thr;
}

static void set_field(pimc *m, double h)
{
    m->h = h;
    m->Kt = -0.5 * log(tanh(m->dtau * h));
    for (int a = -2; a <= 2; a++)
        for (int b = -2; b <= 2; b++) {
            double d = -2.0 * (m->Kx * a + m->Kt * b); /* change of the log weight */
            m->thr[a + 2][b + 2] = d >= 0 ? UINT64_MAX : prob_threshold(exp(d));
        }
    m->p_space = prob_threshold(-expm1(-2.0 * fabs(m->Kx)));
    m->p_time = prob_threshold(-expm1(-2.0 * m->Kt));
}

static void metropolis_pass(pimc *m)
{
    const int n = m->n, P = m->P;
    signed char *s = m->s;
    for (int k = 0; k < P; k++) {
        signed char *row = s + (size_t)k * n;
        const signed char *up = s + (size_t)(k + 1 == P ? 0 : k + 1) * n;
        const signed char *dn = s + (size_t)(k == 0 ? P - 1 : k - 1) * n;
        for (int i = 0; i < n; i++) {
            int a;
            if (i > 0 && i < n - 1)
                a = row[i - 1] + row[i + 1];
            else if (m->periodic)
                a = row[i == 0 ? n - 1 : i - 1] + row[i == n - 1 ? 0 : i + 1];
            else
                a = i == 0 ? row[1] : row[n - 2];
            int si = row[i];
            int b = up[i] + dn[i];
            uint64_t t = m->thr[si * a + 2][si * b + 2];
            m->tried++;
            if (chance(m, t)) {
                row[i] = (signed char)-si;
                m->accepted++;
            }
        }
    }
}

/* Try to add b to the cluster grown from a spin whose value before its flip was sa. */
static inline void try_add(pimc *m, uint32_t b, int want, uint64_t thr, uint32_t *top)
{
    if (m->mark[b] != m->stamp && m->s[b] == want && chance(m, thr)) {
        m->mark[b] = m->stamp;
        m->s[b] = (signed char)-m->s[b];
        m->stack[(*top)++] = b;
    }
}

static long wolff_cluster(pimc *m)
{
    const uint32_t n = (uint32_t)m->n, P = (uint32_t)m->P;
    if (++m->stamp == 0) {
        memset(m->mark, 0, m->cells * sizeof *m->mark);
        m->stamp = 1;
    }
    uint32_t seed = (uint32_t)nq_rng_below(&m->rng, m->cells), top = 0;
    long size = 1;
    m->mark[seed] = m->stamp;
    m->s[seed] = (signed char)-m->s[seed];
    m->stack[top++] = seed;
    while (top) {
        uint32_t a = m->stack[--top];
        int sa = -m->s[a]; /* its value before the flip */
        uint32_t k = a / n, i = a - k * n, before = top;
        int want_space = m->jsign * sa;
        if (i > 0 || m->periodic)
            try_add(m, i > 0 ? a - 1 : a + n - 1, want_space, m->p_space, &top);
        if (i + 1 < n || m->periodic)
            try_add(m, i + 1 < n ? a + 1 : a + 1 - n, want_space, m->p_space, &top);
        try_add(m, k + 1 < P ? a + n : i, sa, m->p_time, &top);
        try_add(m, k > 0 ? a - n : (P - 1) * n + i, sa, m->p_time, &top);
        size += top - before;
    }
    return size;
}

/* clusters: 0 = grow clusters until they have flipped N P spins (the burn-in, which also
 * learns the mean cluster size); > 0 = exactly that many. The recorded sweeps must use a fixed
 * count: stopping after a random number of clusters that depends on their sizes biases the
 * state at which the measurement is taken (the last cluster tends to be a large one), which
 * the transfer-matrix test sees at 10 standard errors. */
static void sweep(pimc *m, int metro, long clusters)
{
    for (int r = 0; r < metro; r++)
        metropolis_pass(m);
    if (clusters > 0) {
        for (long c = 0; c < clusters; c++) {
            m->cluster_spins += wolff_cluster(m);
            m->clusters++;
        }
        return;
    }
    if (clusters < 0)
        return;
    size_t flipped = 0, count = 0;
    while (flipped < m->cells && count < m->cells) {
        long c = wolff_cluster(m);
        flipped += (size_t)c;
        count++;
        m->clusters++;
        m->cluster_spins += c;
    }
}

/* The thermodynamic estimator of tfim_pimc.h, with the transverse part written as
 * -h [N tanh x + 2 csch(2x) kinks / P] (no cancellation between two large terms). */
static void measure(const pimc *m, double *ezz, double *ex, double *mag)
{
    const int n = m->n, P = m->P;
    long sx = 0, kinks = 0, tot = 0;
    for (int k = 0; k < P; k++) {
        const signed char *row = m->s + (size_t)k * n;
        const signed char *up = m->s + (size_t)(k + 1 == P ? 0 : k + 1) * n;
        long b = 0, kk = 0, t = 0;
        for (int i = 0; i + 1 < n; i++)
            b += row[i] * row[i + 1];
        if (m->periodic)
            b += row[n - 1] * row[0];
        for (int i = 0; i < n; i++) {
            kk += row[i] != up[i];
            t += row[i];
        }
        sx += b;
        kinks += kk;
        tot += t;
    }
    double x = m->dtau * m->h;
    *ezz = -m->J * (double)sx / P;
    *ex = -m->h * (n * tanh(x) + 2.0 / sinh(2 * x) * (double)kinks / P);
    *mag = fabs((double)tot) / ((double)n * P);
}

/* Binning analysis of tfim_pimc.h; returns the error, the naive error and the levels. */
static void binning(double *x, long m, double *err, double *naive, int *levels)
{
    *err = *naive = 0;
    *levels = 0;
    if (m < 2)
        return;
    long nb = m;
    while (nb >= 2 && (*levels == 0 || nb >= 32)) {
        double mean = 0, var = 0;
        for (long i = 0; i < nb; i++)
            mean += x[i];
        mean /= (double)nb;
        for (long i = 0; i < nb; i++)
            var += (x[i] - mean) * (x[i] - mean);
        double e = sqrt(var / ((double)nb * (double)(nb - 1)));
        if (*levels == 0)
            *naive = e;
        if (e > *err)
            *err = e;
        (*levels)++;
        for (long i = 0; i < nb / 2; i++)
            x[i] = 0.5 * (x[2 * i] + x[2 * i + 1]);
        nb /= 2;
    }
}

int tfim_pimc_run(const tfim_params *p, const tfim_pimc_options *o, tfim_pimc_result *r,
                  nq_err *err)
{
    static const tfim_pimc_options defaults = {0};
    if (!o)
        o = &defaults;
    if (p->n < 2 || p->n > TFIM_PIMC_MAX_SPINS)
        return nq_err_set(err, NQ_EINVAL, "path-integral Monte Carlo needs 2..%d spins, not %d",
                          TFIM_PIMC_MAX_SPINS, p->n);
    if (!isfinite(p->J) || !isfinite(p->h))
        return nq_err_set(err, NQ_EINVAL, "J and h must be finite numbers");
    if (p->h == 0)
        return nq_err_set(err, NQ_EINVAL, "path-integral Monte Carlo needs h != 0 (h = 0 is the "
                                          "classical chain: its ground state is all spins aligned)");
    if (p->boundary != TFIM_PERIODIC && p->boundary != TFIM_OPEN)
        return nq_err_set(err, NQ_EINVAL, "unknown boundary condition");
    const double h = fabs(p->h), scale = fmax(fabs(p->J), h);
    double beta = o->beta > 0 ? o->beta : 16.0 / scale;
    if (!isfinite(beta) || o->beta < 0)
        return nq_err_set(err, NQ_EINVAL, "beta must be a positive finite number");
    double want_p = o->slices > 0 ? o->slices : ceil(beta * scale / 0.05);
    if (o->slices < 0 || want_p < 2 || want_p > TFIM_PIMC_MAX_SLICES)
        return nq_err_set(err, NQ_EINVAL, "Trotter slices must be 2..%d (got %.0f)",
                          TFIM_PIMC_MAX_SLICES, want_p);
    const int P = (int)want_p;
    long anneal = o->anneal_sweeps < 0 ? 0 : o->anneal_sweeps ? o->anneal_sweeps : 200;
    long equil = o->equilibrate < 0 ? 0 : o->equilibrate ? o->equilibrate : 100;
    long sweeps = o->sweeps > 0 ? o->sweeps : 2000;
    if (o->sweeps < 0)
        return nq_err_set(err, NQ_EINVAL, "sweeps must be positive");
    int metro = o->metropolis < 0 ? 0 : o->metropolis ? o->metropolis : 1;
    int cluster = !o->no_cluster;
    if (!metro && !cluster)
        return nq_err_set(err, NQ_EINVAL, "no moves: Metropolis passes and clusters both off");
    tfim_schedule sc = {.kind = TFIM_SCHED_LINEAR, .g0 = 4 * scale};
    if (o->has_schedule)
        sc = o->schedule;
    sc.g1 = h;
    int rc;
    if (anneal && (rc = tfim_schedule_check(&sc, err)))
        return nq_err_prefix(err, rc, "annealing schedule");
    if (anneal && !(sc.g0 > 0))
        return nq_err_set(err, NQ_EINVAL, "the annealing must start at a field > 0");

    pimc m = {.n = p->n, .P = P, .periodic = p->boundary == TFIM_PERIODIC, .J = p->J,
              .dtau = beta / P};
    m.cells = (size_t)p->n * (size_t)P;
    if (m.cells >= UINT32_MAX)
        return nq_err_set(err, NQ_ETOOBIG, "%d spins x %d slices: too many cells", p->n, P);
    uint64_t bytes = (uint64_t)m.cells * (1 + 2 * sizeof(uint32_t)) + (uint64_t)sweeps * 8;
    size_t budget = o->budget ? o->budget : (size_t)1 << 30;
    if (bytes > budget)
        return nq_err_set(err, NQ_ETOOBIG,
                          "%d spins x %d slices and %ld sweeps need %llu bytes (%.1f MiB), over "
                          "the memory budget of %zu bytes (%.1f MiB)",
                          p->n, P, sweeps, (unsigned long long)bytes, bytes / 1048576.0, budget,
                          budget / 1048576.0);
    m.s = malloc(m.cells);
    m.mark = calloc(m.cells, sizeof *m.mark);
    m.stack = malloc(m.cells * sizeof *m.stack);
    double *series = malloc((size_t)sweeps * sizeof *series);
    if (!m.s || !m.mark || !m.stack || !series) {
        free(m.s);
        free(m.mark);
        free(m.stack);
        free(series);
        return nq_err_set(err, NQ_ENOMEM, "out of memory for %zu spins", m.cells);
    }
    m.Kx = m.dtau * p->J;
    m.jsign = p->J >= 0 ? 1 : -1;
    nq_rng_seed(&m.rng, o->seed);
    for (size_t c = 0; c < m.cells; c++)
        m.s[c] = (nq_rng_next(&m.rng) >> 63) ? 1 : -1;

    long adapt = cluster ? 0 : -1;
    for (long t = 0; t < anneal; t++) {
        set_field(&m, tfim_schedule_step(&sc, t, anneal));
        sweep(&m, metro, adapt);
    }
    set_field(&m, h);
    m.clusters = m.cluster_spins = 0;
    for (long t = 0; t < equil; t++)
        sweep(&m, metro, adapt);
    /* the cluster count of a recorded sweep: about N P flipped spins, from the mean size at
     * |h| during equilibration (or one short adaptive sweep when there was none) */
    if (cluster && !m.clusters)
        sweep(&m, metro, adapt);
    long per_sweep = -1;
    if (cluster) {
        double mean = (double)m.cluster_spins / (double)m.clusters;
        per_sweep = (long)fmax(1.0, floor((double)m.cells / mean + 0.5));
    }
    m.accepted = m.tried = m.clusters = m.cluster_spins = 0;
    double szz = 0, sx = 0, smag = 0;
    for (long t = 0; t < sweeps; t++) {
        sweep(&m, metro, per_sweep);
        double ezz, ex, mag;
        measure(&m, &ezz, &ex, &mag);
        series[t] = ezz + ex;
        szz += ezz;
        sx += ex;
        smag += mag;
    }
    memset(r, 0, sizeof *r);
    r->energy_zz = szz / sweeps;
    r->energy_x = sx / sweeps;
    r->energy = r->energy_zz + r->energy_x;
    r->magnetization = smag / sweeps;
    binning(series, sweeps, &r->error, &r->error_naive, &r->bin_levels);
    r->tau_int = r->error_naive > 0 ? 0.5 * (r->error / r->error_naive) * (r->error / r->error_naive)
                                    : 0;
    r->beta = beta;
    r->dtau = m.dtau;
    r->slices = P;
    r->sweeps = sweeps;
    r->accept = m.tried ? (double)m.accepted / (double)m.tried : 0;
    r->mean_cluster = m.clusters ? (double)m.cluster_spins / (double)m.clusters : 0;
    r->bytes = bytes;
    free(m.s);
    free(m.mark);
    free(m.stack);
    free(series);
    return 0;
}

int tfim_pimc_extrapolate(const tfim_params *p, const tfim_pimc_options *o,
                          tfim_pimc_extrapolation *r, nq_err *err)
{
    static const tfim_pimc_options defaults = {0};
    if (!o)
        o = &defaults;
    int rc = tfim_pimc_run(p, o, &r->coarse, err);
    if (rc)
        return rc;
    tfim_pimc_options fine = *o;
    fine.beta = r->coarse.beta;
    if ((long)r->coarse.slices * 2 > TFIM_PIMC_MAX_SLICES)
        return nq_err_set(err, NQ_EINVAL, "extrapolation needs 2 x %d slices, over %d",
                          r->coarse.slices, TFIM_PIMC_MAX_SLICES);
    fine.slices = 2 * r->coarse.slices;
    fine.seed = o->seed + 1;
    if ((rc = tfim_pimc_run(p, &fine, &r->fine, err)))
        return nq_err_prefix(err, rc, "the run at %d slices", fine.slices);
    r->energy = (4 * r->fine.energy - r->coarse.energy) / 3;
    r->error = sqrt(16 * r->fine.error * r->fine.error + r->coarse.error * r->coarse.error) / 3;
    return 0;
}

int tfim_trotter_energy_formula(int n, double J, double h, double dtau, double *e)
{
    if (n < 2 || n % 2 || !(J >= 0) || !(h >= 0) || !isfinite(J) || !isfinite(h) ||
        !(dtau > 0) || !isfinite(dtau))
        return NQ_EINVAL;
    const double a = 2 * dtau * h, b = 2 * dtau * J;
    const double sha = sinh(a), cha = cosh(a), shb = sinh(b), chb = cosh(b);
    const double shd = sinh(0.5 * (a - b));
    double s = 0;
    for (int m = 1; m <= n; m++) {
        double k = (2 * m - 1) * M_PI / n, c = cos(k), sk = sin(0.5 * k);
        /* cosh g - 1, written without cancellation */
        double d = 2 * shd * shd + 2 * sha * shb * sk * sk;
        if (!(d > 0))
            continue;
        double dA = 2 * h * (sha * chb - cha * shb * c) + 2 * J * (cha * shb - sha * chb * c);
        s += dA / sqrt(d * (d + 2));
    }
    *e = -0.5 * s;
    return 0;
}
