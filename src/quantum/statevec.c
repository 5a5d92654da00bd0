/*
 * statevec.c — the state-vector simulator: allocation under a memory budget, the gate set,
 * norms and measurement.
 *
 * Every gate is one of three kernels (statevec_kern.h, instantiated for double and float):
 *   - a general 2x2 complex matrix on one qubit (H, Y, RX, RY, RZ and any user matrix), with or
 *     without controls;
 *   - X as a swap of the pair (CNOT and multi-controlled X are X under a control mask);
 *   - a phase on the amplitudes whose index has all bits of a mask set (Z, S, T, CZ, MCZ), which
 *     touches only the half, quarter, ... of the state that the mask selects.
 * Each kernel makes one pass over the amplitudes it changes, in address order; targets 0..2
 * run on 16-byte vectors, with shuffles where a pair shares a vector (statevec_kern.h).
 *
 * Sampling draws all the shots' uniform numbers first, sorts them and walks the cumulative
 * distribution once: O(2^n + shots log shots) time and no 2^n-sized table.
 */
#include "statevec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The vector kernels for targets 0..2 need GCC/Clang vector extensions with a constant
 * shuffle: __builtin_shufflevector (Clang, GCC >= 12) or __builtin_shuffle (older GCC).
 * Without them (or with -DNQ_SV_NO_VEC, for comparisons) the flat pair loops are used. */
#if defined(NQ_SV_NO_VEC)
#elif defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define SV_VEC 1
#define SV_SHUF_(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#elif defined(__GNUC__)
#define SV_VEC 1
#define SV_SHUF_(a, b, ...) __builtin_shuffle(a, b, (SV_NAME(mt)){__VA_ARGS__})
#endif
/* SV_SHUF(v, (i0, ..., ik)): lane j of the result is lane i_j of v; SV_SHUF2V(a, b, (...)):
 * the same over the lanes of a followed by those of b */
#define SV_UNPAREN(...) __VA_ARGS__
#define SV_SHUF(v, idx) SV_SHUF_(v, v, SV_UNPAREN idx)
#define SV_SHUF2V(a, b, idx) SV_SHUF_(a, b, SV_UNPAREN idx)

/* SV_T the amplitude type, SV_I the integer of its size, SV_VL its lanes in 16 bytes */
#define SV_T double
#define SV_I int64_t
#define SV_VL 2
#define SV_NAME(x) x##_d
#include "statevec_kern.h"
#undef SV_T
#undef SV_I
#undef SV_VL
#undef SV_NAME
#define SV_T float
#define SV_I int32_t
#define SV_VL 4
#define SV_NAME(x) x##_f
#include "statevec_kern.h"
#undef SV_T
#undef SV_I
#undef SV_VL
#undef SV_NAME

#define F64(sv) ((sv)->prec == STATEVEC_F64)
#define SV_SKEW 1088 /* bytes: 17 cache lines, a multiple of 64 (alignment) and not of 4096 */

int statevec_bytes(int n, statevec_prec prec, uint64_t *bytes)
{
    if (n < 1 || n > STATEVEC_MAX_QUBITS || (prec != STATEVEC_F64 && prec != STATEVEC_F32))
        return NQ_EINVAL;
    *bytes = ((uint64_t)1 << n) * 2 * (prec == STATEVEC_F64 ? sizeof(double) : sizeof(float));
    return 0;
}

int statevec_max_qubits(statevec_prec prec, size_t budget)
{
    if (budget == 0)
        budget = STATEVEC_DEFAULT_BUDGET;
    int best = -1;
    for (int n = 1; n <= STATEVEC_MAX_QUBITS; n++) {
        uint64_t b;
        if (statevec_bytes(n, prec, &b) == 0 && b <= budget)
            best = n;
    }
    return best;
}

int statevec_new(statevec **out, int n, statevec_prec prec, size_t budget, nq_err *err)
{
    *out = NULL;
    uint64_t bytes;
    if (statevec_bytes(n, prec, &bytes) != 0)
        return nq_err_set(err, NQ_EINVAL, "qubit count %d out of range (1..%d)", n,
                          STATEVEC_MAX_QUBITS);
    if (budget == 0)
        budget = STATEVEC_DEFAULT_BUDGET;
    if (bytes > budget)
        return nq_err_set(err, NQ_ETOOBIG,
                          "%d qubits in %s precision need %llu bytes (%.1f MiB), over the memory "
                          "budget of %llu bytes (%.1f MiB); at most %d qubits fit",
                          n, prec == STATEVEC_F64 ? "double" : "single",
                          (unsigned long long)bytes, bytes / 1048576.0,
                          (unsigned long long)budget, budget / 1048576.0,
                          statevec_max_qubits(prec, budget));
    statevec *sv = calloc(1, sizeof *sv);
    if (!sv)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    sv->n = n;
    sv->prec = prec;
    sv->dim = (uint64_t)1 << n;
    /* One block: the imaginary array starts SV_SKEW bytes past the end of the real one, so the
     * four streams of a gate (re/im of both halves) do not all sit at the same offset modulo
     * the page and cache-set size. */
    sv->re = malloc(bytes + SV_SKEW);
    sv->im = sv->re ? (char *)sv->re + bytes / 2 + SV_SKEW : NULL;
    if (!sv->re) {
        statevec_free(sv);
        return nq_err_set(err, NQ_ENOMEM, "out of memory allocating %llu bytes for %d qubits",
                          (unsigned long long)bytes, n);
    }
    statevec_reset(sv);
    *out = sv;
    return 0;
}

void statevec_free(statevec *sv)
{
    if (!sv)
        return;
    free(sv->re); /* im lives in the same block */
    free(sv);
}

static size_t elem(const statevec *sv) { return F64(sv) ? sizeof(double) : sizeof(float); }

void statevec_reset(statevec *sv)
{
    memset(sv->re, 0, sv->dim * elem(sv));
    memset(sv->im, 0, sv->dim * elem(sv));
    statevec_set(sv, 0, 1.0, 0.0);
}

void statevec_set_uniform(statevec *sv)
{
    double a = 1.0 / sqrt((double)sv->dim);
    memset(sv->im, 0, sv->dim * elem(sv));
    if (F64(sv)) {
        double *re = sv->re;
        for (uint64_t i = 0; i < sv->dim; i++)
            re[i] = a;
    } else {
        float *re = sv->re;
        for (uint64_t i = 0; i < sv->dim; i++)
            re[i] = (float)a;
    }
}

int statevec_set_basis(statevec *sv, uint64_t i)
{
    if (i >= sv->dim)
        return NQ_EINVAL;
    memset(sv->re, 0, sv->dim * elem(sv));
    memset(sv->im, 0, sv->dim * elem(sv));
    statevec_set(sv, i, 1.0, 0.0);
    return 0;
}

void statevec_get(const statevec *sv, uint64_t i, double *re, double *im)
{
    if (F64(sv)) {
        *re = ((const double *)sv->re)[i];
        *im = ((const double *)sv->im)[i];
    } else {
        *re = ((const float *)sv->re)[i];
        *im = ((const float *)sv->im)[i];
    }
}

void statevec_set(statevec *sv, uint64_t i, double re, double im)
{
    if (F64(sv)) {
        ((double *)sv->re)[i] = re;
        ((double *)sv->im)[i] = im;
    } else {
        ((float *)sv->re)[i] = (float)re;
        ((float *)sv->im)[i] = (float)im;
    }
}

double statevec_prob(const statevec *sv, uint64_t i)
{
    double r, m;
    statevec_get(sv, i, &r, &m);
    return r * r + m * m;
}

double statevec_norm2(const statevec *sv)
{
    return F64(sv) ? k_norm2_d(sv->re, sv->im, sv->dim) : k_norm2_f(sv->re, sv->im, sv->dim);
}

void statevec_sum(const statevec *sv, double *re, double *im)
{
    *re = F64(sv) ? k_sum_d(sv->re, sv->dim) : k_sum_f(sv->re, sv->dim);
    *im = F64(sv) ? k_sum_d(sv->im, sv->dim) : k_sum_f(sv->im, sv->dim);
}

double statevec_prob_one(const statevec *sv, int q)
{
    if (q < 0 || q >= sv->n)
        return 0;
    return F64(sv) ? k_prob_one_d(sv->re, sv->im, sv->dim, q)
                   : k_prob_one_f(sv->re, sv->im, sv->dim, q);
}

/* ---- gates ------------------------------------------------------------------------------- */

/* Control mask of distinct qubits in range, none equal to target (target -1: none). */
static int ctrl_mask(const statevec *sv, const int *c, int nc, int target, uint64_t *mask)
{
    uint64_t m = 0;
    if (nc < 0 || (nc > 0 && !c))
        return NQ_EINVAL;
    for (int k = 0; k < nc; k++) {
        if (c[k] < 0 || c[k] >= sv->n || c[k] == target || (m >> c[k]) & 1)
            return NQ_EINVAL;
        m |= (uint64_t)1 << c[k];
    }
    *mask = m;
    return 0;
}

int statevec_apply1_ctrl(statevec *sv, const int *controls, int nc, int q, const double m[8])
{
    uint64_t cm;
    if (q < 0 || q >= sv->n || ctrl_mask(sv, controls, nc, q, &cm) != 0)
        return NQ_EINVAL;
    if (cm == 0) {
        if (F64(sv))
            k_apply1_d(sv->re, sv->im, sv->dim, q, m);
        else
            k_apply1_f(sv->re, sv->im, sv->dim, q, m);
    } else {
        if (F64(sv))
            k_apply1_ctrl_d(sv->re, sv->im, sv->dim, q, cm, m);
        else
            k_apply1_ctrl_f(sv->re, sv->im, sv->dim, q, cm, m);
    }
    return 0;
}

int statevec_apply1(statevec *sv, int q, const double m[8])
{
    return statevec_apply1_ctrl(sv, NULL, 0, q, m);
}

int statevec_h(statevec *sv, int q)
{
    const double r = M_SQRT1_2;
    const double m[8] = {r, 0, r, 0, r, 0, -r, 0};
    return statevec_apply1(sv, q, m);
}

int statevec_mcx(statevec *sv, const int *controls, int nc, int target)
{
    uint64_t cm;
    if (target < 0 || target >= sv->n || ctrl_mask(sv, controls, nc, target, &cm) != 0)
        return NQ_EINVAL;
    if (F64(sv))
        k_x_d(sv->re, sv->im, sv->dim, target, cm);
    else
        k_x_f(sv->re, sv->im, sv->dim, target, cm);
    return 0;
}

int statevec_x(statevec *sv, int q) { return statevec_mcx(sv, NULL, 0, q); }

int statevec_cnot(statevec *sv, int control, int target)
{
    return statevec_mcx(sv, &control, 1, target);
}

int statevec_y(statevec *sv, int q)
{
    const double m[8] = {0, 0, 0, -1, 0, 1, 0, 0};
    return statevec_apply1(sv, q, m);
}

int statevec_phase_mask(statevec *sv, uint64_t mask, double phi)
{
    if (mask == 0 || (sv->n < 64 && mask >> sv->n) != 0)
        return NQ_EINVAL;
    /* exact values for the common phases, so Z and S introduce no rounding */
    double c = cos(phi), s = sin(phi);
    if (phi == M_PI)
        c = -1, s = 0;
    else if (phi == M_PI / 2)
        c = 0, s = 1;
    else if (phi == -M_PI / 2)
        c = 0, s = -1;
    if (F64(sv))
        k_phase_d(sv->re, sv->im, sv->dim, mask, c, s);
    else
        k_phase_f(sv->re, sv->im, sv->dim, mask, c, s);
    return 0;
}

static int phase1(statevec *sv, int q, double phi)
{
    if (q < 0 || q >= sv->n)
        return NQ_EINVAL;
    return statevec_phase_mask(sv, (uint64_t)1 << q, phi);
}

int statevec_z(statevec *sv, int q) { return phase1(sv, q, M_PI); }
int statevec_s(statevec *sv, int q) { return phase1(sv, q, M_PI / 2); }
int statevec_sdg(statevec *sv, int q) { return phase1(sv, q, -M_PI / 2); }
int statevec_t(statevec *sv, int q) { return phase1(sv, q, M_PI / 4); }
int statevec_tdg(statevec *sv, int q) { return phase1(sv, q, -M_PI / 4); }

int statevec_mcz(statevec *sv, const int *qs, int nq)
{
    uint64_t m;
    if (nq < 1 || ctrl_mask(sv, qs, nq, -1, &m) != 0)
        return NQ_EINVAL;
    return statevec_phase_mask(sv, m, M_PI);
}

int statevec_cz(statevec *sv, int a, int b)
{
    int qs[2] = {a, b};
    return statevec_mcz(sv, qs, 2);
}

int statevec_rx(statevec *sv, int q, double theta)
{
    double c = cos(theta / 2), s = sin(theta / 2);
    const double m[8] = {c, 0, 0, -s, 0, -s, c, 0};
    return statevec_apply1(sv, q, m);
}

int statevec_ry(statevec *sv, int q, double theta)
{
    double c = cos(theta / 2), s = sin(theta / 2);
    const double m[8] = {c, 0, -s, 0, s, 0, c, 0};
    return statevec_apply1(sv, q, m);
}

int statevec_rz(statevec *sv, int q, double theta)
{
    double c = cos(theta / 2), s = sin(theta / 2);
    const double m[8] = {c, -s, 0, 0, 0, 0, c, s};
    return statevec_apply1(sv, q, m);
}

/* ---- measurement ------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int statevec_sample(const statevec *sv, nq_rng *rng, uint64_t shots, uint64_t *out, nq_err *err)
{
    if (shots == 0)
        return 0;
    if (shots > ((uint64_t)1 << 40) / sizeof(double))
        return nq_err_set(err, NQ_EINVAL, "too many shots: %llu", (unsigned long long)shots);
    double norm = statevec_norm2(sv);
    if (!(norm > 0))
        return nq_err_set(err, NQ_EINVAL, "cannot sample a zero state");
    double *u = malloc(shots * sizeof *u);
    if (!u)
        return nq_err_set(err, NQ_ENOMEM, "out of memory for %llu shots",
                          (unsigned long long)shots);
    for (uint64_t k = 0; k < shots; k++)
        u[k] = nq_rng_double(rng) * norm;
    qsort(u, shots, sizeof *u, cmp_double);
    double cum = 0;
    uint64_t i = 0, k = 0, last_nonzero = 0;
    for (; i < sv->dim && k < shots; i++) {
        double p = statevec_prob(sv, i);
        if (p > 0)
            last_nonzero = i;
        cum += p;
        while (k < shots && u[k] < cum)
            out[k++] = i;
    }
    /* rounding can leave the last few draws just past the final cumulative sum */
    for (; i < sv->dim; i++)
        if (statevec_prob(sv, i) > 0)
            last_nonzero = i;
    while (k < shots)
        out[k++] = last_nonzero;
    free(u);
    return 0;
}

int statevec_measure(statevec *sv, int q, nq_rng *rng, int *bit)
{
    if (q < 0 || q >= sv->n)
        return NQ_EINVAL;
    double norm = statevec_norm2(sv);
    if (!(norm > 0))
        return NQ_EINVAL;
    double p1 = statevec_prob_one(sv, q) / norm;
    int b = nq_rng_double(rng) < p1;
    double p = b ? p1 : 1 - p1;
    double f = 1.0 / sqrt(p * norm);
    if (F64(sv))
        k_collapse_d(sv->re, sv->im, sv->dim, q, b, f);
    else
        k_collapse_f(sv->re, sv->im, sv->dim, q, b, f);
    *bit = b;
    return 0;
}
