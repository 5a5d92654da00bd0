/*
 * test_statevec.c — the state-vector simulator against ground truth.
 *
 *   1. Every gate against its matrix: the reference builds the full 2^n x 2^n unitary of the
 *      gate from its definition (identity on the other qubits, the 2x2 block where all controls
 *      are 1) and multiplies it with a random state; the simulator must agree to 1e-13 (double)
 *      or 1e-6 (float), for every target and control position (both kernel loop shapes).
 *   2. Unitarity: random circuits of 400 gates keep the norm at 1 to 1e-12 after every gate.
 *   3. Identities: HXH = Z, HZH = X, S^2 = Z, T^2 = S, CNOT by H-CZ-H.
 *   4. Sampling: a product state with known outcome probabilities, 200 000 shots from a fixed
 *      seed, chi-square below the 0.1 % critical value for 7 degrees of freedom (24.32);
 *      measurement of one qubit of a Bell pair collapses the other.
 *   5. The memory budget: refused before allocating, with both figures in the message.
 *   6. Targets 0..2 (the 8-lane vector kernels) equal, to the bit, the scalar pair loop they
 *      replaced (written here in the working precision, the products summed in the same
 *      order): a general matrix, X and phases, with 0..3 controls anywhere, n = 3..7, double
 *      and float; and every target of n = 1..8 for the same gates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "statevec.h"

typedef struct { double re, im; } cpx;

static void random_state(statevec *sv, nq_rng *r)
{
    for (uint64_t i = 0; i < sv->dim; i++)
        statevec_set(sv, i, nq_rng_double(r) - 0.5, nq_rng_double(r) - 0.5);
    double s = 1 / sqrt(statevec_norm2(sv));
    for (uint64_t i = 0; i < sv->dim; i++) {
        double a, b;
        statevec_get(sv, i, &a, &b);
        statevec_set(sv, i, a * s, b * s);
    }
}

/* out = U in, U the gate m on qubit q under control mask cm, built entry by entry. */
static void reference(int n, const cpx *in, cpx *out, int q, uint64_t cm, const double *m)
{
    uint64_t dim = (uint64_t)1 << n, bq = (uint64_t)1 << q;
    for (uint64_t i = 0; i < dim; i++) {
        cpx acc = {0, 0};
        for (uint64_t j = 0; j < dim; j++) {
            double ur = 0, ui = 0;
            if ((j & cm) == cm) {
                if ((i & ~bq) == (j & ~bq)) {
                    int bi = (i & bq) != 0, bj = (j & bq) != 0;
                    ur = m[2 * (2 * bi + bj)];
                    ui = m[2 * (2 * bi + bj) + 1];
                }
            } else if (i == j) {
                ur = 1;
            }
            acc.re += ur * in[j].re - ui * in[j].im;
            acc.im += ur * in[j].im + ui * in[j].re;
        }
        out[i] = acc;
    }
}

enum { G_H, G_X, G_Y, G_Z, G_S, G_SDG, G_T, G_TDG, G_RX, G_RY, G_RZ, G_CNOT, G_CZ, G_MCX, G_MCZ,
       G_U, G_COUNT };

/* Apply gate g with simulator calls; also give its (target, control mask, matrix). */
static int apply_gate(statevec *sv, int g, int q, const int *ctl, int nc, double th, double *m,
                      int *tq, uint64_t *cm)
{
    const double r = M_SQRT1_2;
    double c = cos(th / 2), s = sin(th / 2);
    *tq = q;
    *cm = 0;
    memset(m, 0, 8 * sizeof *m);
    m[0] = m[6] = 1;
    switch (g) {
    case G_H: m[0] = m[2] = m[4] = r; m[6] = -r; return statevec_h(sv, q);
    case G_X: m[0] = m[6] = 0; m[2] = m[4] = 1; return statevec_x(sv, q);
    case G_Y: m[0] = m[6] = 0; m[3] = -1; m[5] = 1; return statevec_y(sv, q);
    case G_Z: m[6] = -1; return statevec_z(sv, q);
    case G_S: m[6] = 0; m[7] = 1; return statevec_s(sv, q);
    case G_SDG: m[6] = 0; m[7] = -1; return statevec_sdg(sv, q);
    case G_T: m[6] = r; m[7] = r; return statevec_t(sv, q);
    case G_TDG: m[6] = r; m[7] = -r; return statevec_tdg(sv, q);
    case G_RX: m[0] = m[6] = c; m[3] = m[5] = -s; return statevec_rx(sv, q, th);
    case G_RY: m[0] = m[6] = c; m[2] = -s; m[4] = s; return statevec_ry(sv, q, th);
    case G_RZ: m[0] = m[6] = c; m[1] = -s; m[7] = s; return statevec_rz(sv, q, th);
    case G_CNOT:
        m[0] = m[6] = 0; m[2] = m[4] = 1; *cm = (uint64_t)1 << ctl[0];
        return statevec_cnot(sv, ctl[0], q);
    case G_CZ: m[6] = -1; *cm = (uint64_t)1 << ctl[0]; return statevec_cz(sv, ctl[0], q);
    case G_MCX:
        m[0] = m[6] = 0; m[2] = m[4] = 1;
        for (int k = 0; k < nc; k++)
            *cm |= (uint64_t)1 << ctl[k];
        return statevec_mcx(sv, ctl, nc, q);
    case G_MCZ: {
        int qs[8];
        m[6] = -1;
        for (int k = 0; k < nc; k++) {
            *cm |= (uint64_t)1 << ctl[k];
            qs[k] = ctl[k];
        }
        qs[nc] = q;
        return statevec_mcz(sv, qs, nc + 1);
    }
    default: { /* a general controlled U: RY(th) RZ(2th) with a phase, from its matrix */
        m[0] = c; m[1] = 0.3; m[2] = -s; m[3] = 0.1; m[4] = s; m[5] = -0.2; m[6] = c; m[7] = 0.4;
        for (int k = 0; k < nc; k++)
            *cm |= (uint64_t)1 << ctl[k];
        return statevec_apply1_ctrl(sv, ctl, nc, q, m);
    }
    }
}

/* Pick nc distinct controls different from q. */
static void pick_controls(nq_rng *r, int n, int q, int nc, int *ctl)
{
    for (int k = 0; k < nc; k++) {
        int c, dup;
        do {
            c = (int)nq_rng_below(r, (uint64_t)n);
            dup = c == q;
            for (int j = 0; j < k; j++)
                dup |= ctl[j] == c;
        } while (dup);
        ctl[k] = c;
    }
}

static int gate_controls(nq_rng *r, int g)
{
    if (g == G_CNOT || g == G_CZ)
        return 1;
    if (g == G_MCX || g == G_MCZ || g == G_U)
        return (int)nq_rng_below(r, 4); /* 0..3: also the uncontrolled path */
    return 0;
}

static void gates_vs_matrices(statevec_prec prec, double tol)
{
    const int n = 6;
    nq_rng r;
    nq_rng_seed(&r, 12345);
    statevec *sv;
    assert_int_equal(statevec_new(&sv, n, prec, 0, NULL), 0);
    uint64_t dim = sv->dim;
    cpx *in = malloc(dim * sizeof *in), *want = malloc(dim * sizeof *want);
    for (int g = 0; g < G_COUNT; g++) {
        for (int q = 0; q < n; q++) {
            for (int rep = 0; rep < 3; rep++) {
                random_state(sv, &r);
                for (uint64_t i = 0; i < dim; i++)
                    statevec_get(sv, i, &in[i].re, &in[i].im);
                int ctl[4], nc = gate_controls(&r, g), tq;
                pick_controls(&r, n, q, nc, ctl);
                double m[8], th = 2 * M_PI * nq_rng_double(&r);
                uint64_t cm;
                assert_int_equal(apply_gate(sv, g, q, ctl, nc, th, m, &tq, &cm), 0);
                reference(n, in, want, tq, cm, m);
                for (uint64_t i = 0; i < dim; i++) {
                    double a, b;
                    statevec_get(sv, i, &a, &b);
                    if (fabs(a - want[i].re) > tol || fabs(b - want[i].im) > tol)
                        fail_msg("gate %d q %d nc %d amplitude %llu: (%g,%g) want (%g,%g)", g, q,
                                 nc, (unsigned long long)i, a, b, want[i].re, want[i].im);
                }
            }
        }
    }
    free(in);
    free(want);
    statevec_free(sv);
}

/* The scalar pair loop of the simulator, in precision T: matrix m on q under cm (X is the
 * matrix {{0,1},{1,0}} but swapped, not multiplied: kind 1), or the phase (c, sn) on the
 * amplitudes with all bits of mask set (kind 2). */
#define SCALAR_REF(T, NAME)                                                                  \
    static void NAME(T *re, T *im, uint64_t dim, int kind, int q, uint64_t cm,             \
                     const double *m, double c, double sn)                                  \
    {                                                                                        \
        if (kind == 2) {                                                                     \
            const T pc = (T)c, ps = (T)sn;                                                   \
            for (uint64_t j = 0; j < dim; j++)                                               \
                if ((j & cm) == cm) {                                                        \
                    T ar = re[j], ai = im[j];                                                \
                    re[j] = pc * ar - ps * ai;                                               \
                    im[j] = pc * ai + ps * ar;                                               \
                }                                                                            \
            return;                                                                          \
        }                                                                                    \
        const uint64_t s = (uint64_t)1 << q;                                                 \
        const T m0r = (T)m[0], m0i = (T)m[1], m1r = (T)m[2], m1i = (T)m[3];                  \
        const T m2r = (T)m[4], m2i = (T)m[5], m3r = (T)m[6], m3i = (T)m[7];                  \
        for (uint64_t a = 0; a < dim; a++) {                                                 \
            if ((a & s) || (a & cm) != cm)                                                   \
                continue;                                                                    \
            uint64_t b = a + s;                                                              \
            T ar = re[a], ai = im[a], br = re[b], bi = im[b];                                \
            if (kind == 1) {                                                                 \
                re[a] = br, im[a] = bi, re[b] = ar, im[b] = ai;                              \
                continue;                                                                    \
            }                                                                                \
            re[a] = m0r * ar - m0i * ai + m1r * br - m1i * bi;                               \
            im[a] = m0r * ai + m0i * ar + m1r * bi + m1i * br;                               \
            re[b] = m2r * ar - m2i * ai + m3r * br - m3i * bi;                               \
            im[b] = m2r * ai + m2i * ar + m3r * bi + m3i * br;                               \
        }                                                                                    \
    }
SCALAR_REF(double, scalar_ref_d)
SCALAR_REF(float, scalar_ref_f)

static void bitexact(statevec_prec prec, int nmin, int nmax, int qmax)
{
    nq_rng r;
    nq_rng_seed(&r, 4242);
    for (int n = nmin; n <= nmax; n++) {
        statevec *sv;
        assert_int_equal(statevec_new(&sv, n, prec, 0, NULL), 0);
        uint64_t dim = sv->dim;
        size_t es = prec == STATEVEC_F64 ? sizeof(double) : sizeof(float);
        void *wr = malloc(dim * es), *wi = malloc(dim * es);
        for (int q = 0; q < n && q <= qmax; q++)
            for (int kind = 0; kind < 3; kind++)
                for (int rep = 0; rep < 12; rep++) {
                    random_state(sv, &r);
                    memcpy(wr, sv->re, dim * es);
                    memcpy(wi, sv->im, dim * es);
                    int nc = (int)nq_rng_below(&r, 4), ctl[4];
                    if (nc > n - 1)
                        nc = n - 1;
                    pick_controls(&r, n, q, nc, ctl);
                    uint64_t cm = 0;
                    for (int k = 0; k < nc; k++)
                        cm |= (uint64_t)1 << ctl[k];
                    double m[8], phi = 2 * M_PI * nq_rng_double(&r);
                    for (int k = 0; k < 8; k++)
                        m[k] = 2 * nq_rng_double(&r) - 1;
                    if (kind == 0)
                        assert_int_equal(statevec_apply1_ctrl(sv, ctl, nc, q, m), 0);
                    else if (kind == 1)
                        assert_int_equal(statevec_mcx(sv, ctl, nc, q), 0);
                    else
                        assert_int_equal(statevec_phase_mask(sv, cm | (uint64_t)1 << q, phi), 0);
                    uint64_t rm = kind == 2 ? cm | (uint64_t)1 << q : cm;
                    if (prec == STATEVEC_F64)
                        scalar_ref_d(wr, wi, dim, kind, q, rm, m, cos(phi), sin(phi));
                    else
                        scalar_ref_f(wr, wi, dim, kind, q, rm, m, cos(phi), sin(phi));
                    if (memcmp(wr, sv->re, dim * es) || memcmp(wi, sv->im, dim * es))
                        fail_msg("n %d q %d kind %d controls %d (mask %#llx) %s: not the scalar "
                                 "result to the bit", n, q, kind, nc, (unsigned long long)cm,
                                 prec == STATEVEC_F64 ? "double" : "float");
                }
        free(wr);
        free(wi);
        statevec_free(sv);
    }
}

static void test_low_targets_bitexact(void **st)
{
    (void)st;
    bitexact(STATEVEC_F64, 3, 7, 2);
    bitexact(STATEVEC_F32, 3, 7, 2);
    bitexact(STATEVEC_F64, 1, 8, 7);
    bitexact(STATEVEC_F32, 1, 8, 7);
}

static void test_gates_double(void **st) { (void)st; gates_vs_matrices(STATEVEC_F64, 1e-13); }
static void test_gates_float(void **st) { (void)st; gates_vs_matrices(STATEVEC_F32, 2e-6); }

static void test_norm_random_circuits(void **st)
{
    (void)st;
    nq_rng r;
    nq_rng_seed(&r, 777);
    for (int n = 1; n <= 10; n += 3) {
        statevec *sv;
        assert_int_equal(statevec_new(&sv, n, STATEVEC_F64, 0, NULL), 0);
        for (int k = 0; k < 400; k++) {
            int g = (int)nq_rng_below(&r, G_COUNT), q = (int)nq_rng_below(&r, (uint64_t)n);
            int nc = gate_controls(&r, g), ctl[4], tq;
            if (nc > n - 1) {
                if (g == G_CNOT || g == G_CZ)
                    continue;
                nc = n - 1;
            }
            pick_controls(&r, n, q, nc, ctl);
            double m[8];
            uint64_t cm;
            if (g == G_U)
                continue; /* the test matrix is not unitary */
            assert_int_equal(apply_gate(sv, g, q, ctl, nc, 6.0 * nq_rng_double(&r), m, &tq, &cm), 0);
            double nn = statevec_norm2(sv);
            if (fabs(nn - 1) > 1e-12)
                fail_msg("n %d gate %d (#%d): norm %.17g", n, g, k, nn);
        }
        statevec_free(sv);
    }
}

static void assert_same(const statevec *a, const statevec *b, double tol)
{
    for (uint64_t i = 0; i < a->dim; i++) {
        double ar, ai, br, bi;
        statevec_get(a, i, &ar, &ai);
        statevec_get(b, i, &br, &bi);
        assert_true(fabs(ar - br) <= tol && fabs(ai - bi) <= tol);
    }
}

static void test_identities(void **st)
{
    (void)st;
    nq_rng r;
    nq_rng_seed(&r, 99);
    statevec *a, *b;
    assert_int_equal(statevec_new(&a, 4, STATEVEC_F64, 0, NULL), 0);
    assert_int_equal(statevec_new(&b, 4, STATEVEC_F64, 0, NULL), 0);
    for (int q = 0; q < 4; q++) {
        random_state(a, &r);
        memcpy(b->re, a->re, a->dim * sizeof(double));
        memcpy(b->im, a->im, a->dim * sizeof(double));
        statevec_h(a, q); statevec_x(a, q); statevec_h(a, q);
        statevec_z(b, q);
        assert_same(a, b, 1e-14);
        statevec_h(a, q); statevec_z(a, q); statevec_h(a, q);
        statevec_x(b, q);
        assert_same(a, b, 1e-14);
    }
    random_state(a, &r);
    memcpy(b->re, a->re, a->dim * sizeof(double));
    memcpy(b->im, a->im, a->dim * sizeof(double));
    statevec_h(a, 3); statevec_cz(a, 0, 3); statevec_h(a, 3);
    statevec_cnot(b, 0, 3);
    assert_same(a, b, 1e-14);
    statevec_s(a, 2); statevec_s(a, 2);
    statevec_z(b, 2);
    assert_same(a, b, 1e-14);
    statevec_t(a, 1); statevec_t(a, 1);
    statevec_s(b, 1);
    assert_same(a, b, 1e-14);
    statevec_rz(a, 0, M_PI); /* RZ(pi) = -i Z */
    statevec_z(b, 0);
    for (uint64_t i = 0; i < a->dim; i++) {
        double ar, ai, br, bi;
        statevec_get(a, i, &ar, &ai);
        statevec_get(b, i, &br, &bi);
        assert_true(fabs(ar - bi) < 1e-14 && fabs(ai + br) < 1e-14);
    }
    statevec_free(a);
    statevec_free(b);
}

static void test_sampling_chi_square(void **st)
{
    (void)st;
    statevec *sv;
    assert_int_equal(statevec_new(&sv, 3, STATEVEC_F64, 0, NULL), 0);
    const double p1[3] = {0.2, 0.5, 0.9}; /* P(qubit q = 1) */
    for (int q = 0; q < 3; q++)
        statevec_ry(sv, q, 2 * asin(sqrt(p1[q])));
    nq_rng r;
    nq_rng_seed(&r, 2024);
    const uint64_t shots = 200000;
    uint64_t *out = malloc(shots * sizeof *out);
    assert_int_equal(statevec_sample(sv, &r, shots, out, NULL), 0);
    uint64_t cnt[8] = {0};
    for (uint64_t k = 0; k < shots; k++) {
        assert_true(out[k] < 8);
        if (k)
            assert_true(out[k] >= out[k - 1]);
        cnt[out[k]]++;
    }
    double chi2 = 0;
    for (int i = 0; i < 8; i++) {
        double p = 1;
        for (int q = 0; q < 3; q++)
            p *= (i >> q & 1) ? p1[q] : 1 - p1[q];
        assert_true(fabs(statevec_prob(sv, (uint64_t)i) - p) < 1e-12);
        double e = p * (double)shots;
        chi2 += ((double)cnt[i] - e) * ((double)cnt[i] - e) / e;
    }
    print_message("chi-square %.3f (7 dof, 0.1%% critical 24.32)\n", chi2);
    assert_true(chi2 < 24.32);
    /* the state is unchanged by sampling */
    assert_true(fabs(statevec_norm2(sv) - 1) < 1e-12);
    free(out);

    /* Bell pair: measuring qubit 0 fixes qubit 1; over 2000 trials both outcomes occur */
    int seen[2] = {0, 0};
    for (int k = 0; k < 2000; k++) {
        statevec_reset(sv);
        statevec_h(sv, 0);
        statevec_cnot(sv, 0, 1);
        int b0, b1;
        assert_int_equal(statevec_measure(sv, 0, &r, &b0), 0);
        assert_true(fabs(statevec_norm2(sv) - 1) < 1e-12);
        assert_true(fabs(statevec_prob_one(sv, 1) - b0) < 1e-12);
        assert_int_equal(statevec_measure(sv, 1, &r, &b1), 0);
        assert_int_equal(b0, b1);
        seen[b0]++;
    }
    assert_true(seen[0] > 900 && seen[1] > 900);
    statevec_free(sv);
}

static void test_budget_and_errors(void **st)
{
    (void)st;
    statevec *sv = (statevec *)1;
    nq_err e;
    nq_err_clear(&e);
    assert_int_equal(statevec_new(&sv, 30, STATEVEC_F64, 1 << 20, &e), NQ_ETOOBIG);
    assert_null(sv);
    assert_non_null(strstr(e.msg, "budget"));
    assert_non_null(strstr(e.msg, "17179869184")); /* 2^30 * 16 bytes */
    assert_int_equal(statevec_max_qubits(STATEVEC_F64, 1 << 20), 16);
    assert_int_equal(statevec_max_qubits(STATEVEC_F32, 1 << 20), 17);
    assert_int_equal(statevec_max_qubits(STATEVEC_F64, 0), 26);
    assert_int_equal(statevec_new(&sv, 0, STATEVEC_F64, 0, &e), NQ_EINVAL);
    assert_int_equal(statevec_new(&sv, 64, STATEVEC_F64, 0, &e), NQ_EINVAL);
    assert_int_equal(statevec_new(&sv, 17, STATEVEC_F32, 1 << 20, &e), 0);
    statevec_free(sv);
    assert_int_equal(statevec_new(&sv, 3, STATEVEC_F64, 0, &e), 0);
    assert_int_equal(statevec_h(sv, 3), NQ_EINVAL);
    assert_int_equal(statevec_h(sv, -1), NQ_EINVAL);
    assert_int_equal(statevec_cnot(sv, 1, 1), NQ_EINVAL);
    int dup[2] = {0, 0};
    assert_int_equal(statevec_mcx(sv, dup, 2, 2), NQ_EINVAL);
    assert_int_equal(statevec_mcz(sv, dup, 2), NQ_EINVAL);
    assert_int_equal(statevec_set_basis(sv, 8), NQ_EINVAL);
    assert_int_equal(statevec_set_basis(sv, 5), 0);
    assert_true(statevec_prob(sv, 5) == 1.0);
    statevec_free(sv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gates_double),
        cmocka_unit_test(test_gates_float),
        cmocka_unit_test(test_low_targets_bitexact),
        cmocka_unit_test(test_norm_random_circuits),
        cmocka_unit_test(test_identities),
        cmocka_unit_test(test_sampling_chi_square),
        cmocka_unit_test(test_budget_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
