/*
 * grover.c — Grover's search and amplitude amplification (the method is in grover.h).
 *
 * A marked list is first copied, sorted and deduplicated (a duplicate would flip a phase
 * twice and unmark the state). The diffusion reflects the amplitudes about their mean in one
 * unit-stride pass over the typed arrays; grover_search carries the sum it needs from one
 * iteration to the next (see there), so an iteration is one pass over the state.
 */
#include "grover.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t grover_optimal_iterations_p(double a)
{
    if (!(a > 0) || a >= 1)
        return 0;
    double theta = asin(sqrt(a));
    return (uint64_t)floor(M_PI / (4 * theta));
}

uint64_t grover_optimal_iterations(uint64_t n_states, uint64_t m_marked)
{
    if (n_states == 0 || m_marked == 0 || m_marked >= n_states)
        return 0;
    return grover_optimal_iterations_p((double)m_marked / (double)n_states);
}

double grover_success_probability(uint64_t n_states, uint64_t m_marked, uint64_t k)
{
    if (n_states == 0)
        return 0;
    double theta = asin(sqrt((double)m_marked / (double)n_states));
    double s = sin((double)(2 * k + 1) * theta);
    return s * s;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* A deduplicated, range-checked copy of the oracle's list (o2 shares pred otherwise). */
static int oracle_normalise(const statevec *sv, const grover_oracle *o, grover_oracle *o2,
                            uint64_t **owned, uint64_t *nmarked, nq_err *err)
{
    *owned = NULL;
    *o2 = *o;
    if (!o->marked) {
        if (!o->pred)
            return nq_err_set(err, NQ_EINVAL, "the oracle has neither a marked list nor a predicate");
        uint64_t m = 0;
        for (uint64_t i = 0; i < sv->dim; i++)
            m += o->pred(i, o->arg) != 0;
        *nmarked = m;
        return 0;
    }
    uint64_t *a = malloc((o->nmarked ? o->nmarked : 1) * sizeof *a);
    if (!a)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t k = 0; k < o->nmarked; k++) {
        if (o->marked[k] >= sv->dim) {
            free(a);
            return nq_err_set(err, NQ_EINVAL, "marked index %llu is out of range for %d qubits (0..%llu)",
                              (unsigned long long)o->marked[k], sv->n,
                              (unsigned long long)(sv->dim - 1));
        }
        a[n++] = o->marked[k];
    }
    qsort(a, n, sizeof *a, cmp_u64);
    size_t u = 0;
    for (size_t k = 0; k < n; k++)
        if (u == 0 || a[u - 1] != a[k])
            a[u++] = a[k];
    o2->marked = a;
    o2->nmarked = u;
    *owned = a;
    *nmarked = u;
    return 0;
}

int grover_oracle_apply(statevec *sv, const grover_oracle *o, nq_err *err)
{
    if (o->marked) {
        for (size_t k = 0; k < o->nmarked; k++) {
            if (o->marked[k] >= sv->dim)
                return nq_err_set(err, NQ_EINVAL, "marked index %llu out of range",
                                  (unsigned long long)o->marked[k]);
            double re, im;
            statevec_get(sv, o->marked[k], &re, &im);
            statevec_set(sv, o->marked[k], -re, -im);
        }
        return 0;
    }
    if (!o->pred)
        return nq_err_set(err, NQ_EINVAL, "the oracle has neither a marked list nor a predicate");
    for (uint64_t i = 0; i < sv->dim; i++)
        if (o->pred(i, o->arg)) {
            double re, im;
            statevec_get(sv, i, &re, &im);
            statevec_set(sv, i, -re, -im);
        }
    return 0;
}

double grover_marked_probability(const statevec *sv, const grover_oracle *o)
{
    double p = 0;
    if (o->marked) {
        for (size_t k = 0; k < o->nmarked; k++)
            if (o->marked[k] < sv->dim)
                p += statevec_prob(sv, o->marked[k]);
    } else if (o->pred) {
        for (uint64_t i = 0; i < sv->dim; i++)
            if (o->pred(i, o->arg))
                p += statevec_prob(sv, i);
    }
    return p;
}

/* Reflect about the mean given the sum of the amplitudes: a_i <- 2 sum / N - a_i. */
static void reflect(statevec *sv, double sr, double si)
{
    const uint64_t n = sv->dim;
    if (sv->prec == STATEVEC_F64) {
        double *re = sv->re, *im = sv->im;
        const double mr = 2 * sr / (double)n, mi = 2 * si / (double)n;
        for (uint64_t i = 0; i < n; i++) {
            re[i] = mr - re[i];
            im[i] = mi - im[i];
        }
    } else {
        float *re = sv->re, *im = sv->im;
        const float mr = (float)(2 * sr / (double)n), mi = (float)(2 * si / (double)n);
        for (uint64_t i = 0; i < n; i++) {
            re[i] = mr - re[i];
            im[i] = mi - im[i];
        }
    }
}

void grover_diffuse(statevec *sv)
{
    double sr, si;
    statevec_sum(sv, &sr, &si);
    reflect(sv, sr, si);
}

static void fill_result(grover_result *res, uint64_t m, uint64_t k, double a, double success)
{
    if (!res)
        return;
    res->nmarked = m;
    res->iterations = k;
    res->initial = a;
    res->theta = asin(sqrt(a < 0 ? 0 : a > 1 ? 1 : a));
    double s = sin((double)(2 * k + 1) * res->theta);
    res->predicted = s * s;
    res->success = success;
}

int grover_search(statevec *sv, const grover_oracle *o, int64_t iterations, grover_result *res,
                  nq_err *err)
{
    grover_oracle on;
    uint64_t *owned, m;
    int rc = oracle_normalise(sv, o, &on, &owned, &m, err);
    if (rc)
        return rc;
    uint64_t k = iterations < 0 ? grover_optimal_iterations(sv->dim, m) : (uint64_t)iterations;
    statevec_set_uniform(sv);
    /* The reflection about the mean leaves the sum of the amplitudes unchanged
     * (sum (2 mean - a_i) = sum a_i), and the oracle changes it by -2 x the marked amplitudes.
     * With a marked list the sum is therefore carried from iteration to iteration in O(M)
     * instead of a pass over the state, and recomputed (pairwise) every 64 iterations so that
     * rounding cannot accumulate: one pass per iteration instead of two. */
    double sr = 0, si = 0;
    for (uint64_t it = 0; it < k && rc == 0; it++) {
        if (on.marked && it % 64 != 0) {
            for (size_t j = 0; j < on.nmarked; j++) {
                double re, im;
                statevec_get(sv, on.marked[j], &re, &im);
                sr -= 2 * re;
                si -= 2 * im;
            }
            rc = grover_oracle_apply(sv, &on, err);
        } else {
            rc = grover_oracle_apply(sv, &on, err);
            statevec_sum(sv, &sr, &si);
        }
        reflect(sv, sr, si);
    }
    if (rc == 0)
        fill_result(res, m, k, (double)m / (double)sv->dim, grover_marked_probability(sv, &on));
    free(owned);
    return rc;
}

int grover_amplify(statevec *sv, grover_prep_fn prep, void *arg, const grover_oracle *o,
                   int64_t iterations, grover_result *res, nq_err *err)
{
    grover_oracle on;
    uint64_t *owned, m;
    int rc = oracle_normalise(sv, o, &on, &owned, &m, err);
    if (rc)
        return rc;
    statevec_reset(sv);
    if ((rc = prep(sv, 0, arg)) != 0) {
        free(owned);
        return nq_err_set(err, rc, "the preparation A failed");
    }
    double a = grover_marked_probability(sv, &on);
    uint64_t k = iterations < 0 ? grover_optimal_iterations_p(a) : (uint64_t)iterations;
    for (uint64_t it = 0; it < k && rc == 0; it++) {
        double re, im;
        if ((rc = grover_oracle_apply(sv, &on, err)) != 0)
            break;
        if ((rc = prep(sv, 1, arg)) != 0)
            break;
        statevec_get(sv, 0, &re, &im); /* S0: negate |0> */
        statevec_set(sv, 0, -re, -im);
        rc = prep(sv, 0, arg);
    }
    if (rc == 0)
        fill_result(res, m, k, a, grover_marked_probability(sv, &on));
    else if (err && err->code == 0)
        nq_err_set(err, rc, "the preparation A failed");
    free(owned);
    return rc;
}

int grover_circuit(int n, const grover_oracle *o, uint64_t iterations, statevec_circuit **out,
                   nq_err *err)
{
    *out = NULL;
    statevec_circuit *c;
    int rc = statevec_circuit_new(&c, n, err);
    if (rc)
        return rc;
    if (!o->marked && !o->pred) {
        statevec_circuit_free(c);
        return nq_err_set(err, NQ_EINVAL, "the oracle has neither a marked list nor a predicate");
    }
    const uint64_t dim = (uint64_t)1 << n, all = dim - 1;
    /* the marked states, deduplicated: a duplicate would undo its own phase flip */
    uint64_t *mk = NULL;
    size_t nm = 0, cap = 0;
    uint64_t count = o->marked ? o->nmarked : dim;
    for (uint64_t k = 0; k < count; k++) {
        uint64_t i = o->marked ? o->marked[k] : k;
        if (!o->marked && !o->pred(i, o->arg))
            continue;
        if (i >= dim) {
            free(mk);
            statevec_circuit_free(c);
            return nq_err_set(err, NQ_EINVAL, "marked index %llu is out of range for %d qubits",
                              (unsigned long long)i, n);
        }
        if (nm == cap) {
            cap = cap ? 2 * cap : 16;
            uint64_t *p = realloc(mk, cap * sizeof *p);
            if (!p) {
                free(mk);
                statevec_circuit_free(c);
                return nq_err_set(err, NQ_ENOMEM, "out of memory");
            }
            mk = p;
        }
        mk[nm++] = i;
    }
    if (nm > 1) {
        qsort(mk, nm, sizeof *mk, cmp_u64);
        size_t u = 1;
        for (size_t k = 1; k < nm; k++)
            if (mk[k] != mk[u - 1])
                mk[u++] = mk[k];
        nm = u;
    }
#define ADD(kind, t, cm)                                                                      \
    do {                                                                                      \
        if (rc == 0)                                                                          \
            rc = statevec_circuit_add(c, kind, t, cm, 0);                                     \
    } while (0)
#define LAYER(kind, mask)                                                                     \
    for (int q = 0; q < n; q++)                                                               \
        if (((mask) >> q) & 1)                                                                \
    ADD(kind, q, 0)
    LAYER(SVG_H, all);
    for (uint64_t it = 0; it < iterations && rc == 0; it++) {
        for (size_t k = 0; k < nm; k++) {
            uint64_t zeros = ~mk[k] & all;
            LAYER(SVG_X, zeros);
            if (rc == 0)
                rc = statevec_circuit_mcz(c, all);
            LAYER(SVG_X, zeros);
        }
        LAYER(SVG_H, all);
        LAYER(SVG_X, all);
        if (rc == 0)
            rc = statevec_circuit_mcz(c, all);
        LAYER(SVG_X, all);
        LAYER(SVG_H, all);
    }
#undef LAYER
#undef ADD
    free(mk);
    if (rc) {
        statevec_circuit_free(c);
        return nq_err_set(err, rc, "out of memory building the circuit");
    }
    *out = c;
    return 0;
}
