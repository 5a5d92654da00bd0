/*
 * test_qsearch.c — the pure parts of POST /api/v1/quantum/search (src/server/h_quantum.h):
 * cosine similarity over stored float32 vectors, the Householder preparation A of the
 * amplitude-encoded state (A|0> = |psi>, A A = I, unit norm), amplitude amplification with it
 * against the closed form, and the diversity QUBO against its formula on every state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "h_quantum.h"
#include "quantum/grover.h"

static void put(unsigned char *b, size_t k, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int i = 0; i < 4; i++)
        b[4 * k + (size_t)i] = (unsigned char)(u >> (8 * i));
}

static void test_cosine(void **state)
{
    (void)state;
    float q[3] = {1, 2, 3}, v[3] = {-2, 0.5f, 4};
    unsigned char b[12];
    for (size_t k = 0; k < 3; k++)
        put(b, k, v[k]);
    for (size_t k = 0; k < 3; k++)
        assert_true(qsearch_vec_get(b, k) == v[k]);
    double dot, n2;
    qsearch_dot_norm(q, b, 3, &dot, &n2);
    assert_true(fabs(dot - 11.0) < 1e-12);
    assert_true(fabs(n2 - 20.25) < 1e-12);
    double c = qsearch_cosine(q, v, 3);
    assert_true(fabs(c - 11.0 / (sqrt(14.0) * 4.5)) < 1e-12);
    assert_true(fabs(qsearch_cosine(q, q, 3) - 1.0) < 1e-12);
    float z[3] = {0, 0, 0};
    assert_true(qsearch_cosine(q, z, 3) == 0.0);
    assert_true(qsearch_weight(1) == 1.0 && qsearch_weight(-1) == 0.0 && qsearch_weight(0) == 0.5);
}

/* A|0> = psi, A(A x) = x, and A keeps the norm. */
static void test_prep(void **state)
{
    (void)state;
    const uint64_t n = 11;
    double w[11];
    for (uint64_t i = 0; i < n; i++)
        w[i] = qsearch_weight(cos((double)i * 0.7));
    double *u;
    assert_int_equal(qsearch_prep_init(w, n, &u), 0);
    assert_non_null(u);
    qsearch_prep p = {u, n};
    statevec *sv;
    nq_err err = {0};
    assert_int_equal(statevec_new(&sv, 4, STATEVEC_F64, 0, &err), 0);
    statevec_reset(sv);
    assert_int_equal(qsearch_prep_apply(sv, 0, &p), 0);
    double w2 = 0;
    for (uint64_t i = 0; i < n; i++)
        w2 += w[i] * w[i];
    for (uint64_t i = 0; i < sv->dim; i++) {
        double re, im;
        statevec_get(sv, i, &re, &im);
        double want = i < n ? w[i] / sqrt(w2) : 0;
        assert_true(fabs(re - want) < 1e-14 && im == 0);
    }
    /* a random complex state comes back after A twice */
    double re0[16], im0[16];
    for (uint64_t i = 0; i < 16; i++) {
        re0[i] = sin((double)i + 0.3), im0[i] = cos((double)i * 1.7);
        statevec_set(sv, i, re0[i], im0[i]);
    }
    double norm = statevec_norm2(sv);
    qsearch_prep_apply(sv, 0, &p);
    assert_true(fabs(statevec_norm2(sv) - norm) < 1e-12);
    qsearch_prep_apply(sv, 1, &p);
    for (uint64_t i = 0; i < 16; i++) {
        double re, im;
        statevec_get(sv, i, &re, &im);
        assert_true(fabs(re - re0[i]) < 1e-12 && fabs(im - im0[i]) < 1e-12);
    }
    /* amplitude amplification with A matches sin^2((2k+1) theta), and keeps the shape of the
     * marked part (probabilities proportional to w_i^2) */
    uint64_t marked[3] = {1, 4, 9};
    double mw = w[1] * w[1] + w[4] * w[4] + w[9] * w[9];
    grover_oracle o = {marked, 3, NULL, NULL};
    grover_result gr;
    assert_int_equal(grover_amplify(sv, qsearch_prep_apply, &p, &o, -1, &gr, &err), 0);
    double a = mw / w2, th = asin(sqrt(a));
    uint64_t k = (uint64_t)floor(M_PI / (4 * th));
    assert_int_equal(gr.iterations, k);
    double succ = pow(sin((double)(2 * k + 1) * th), 2);
    assert_true(fabs(gr.success - succ) < 1e-12);
    for (int j = 0; j < 3; j++)
        assert_true(fabs(statevec_prob(sv, marked[j]) - succ * w[marked[j]] * w[marked[j]] / mw) < 1e-12);
    statevec_free(sv);
    free(u);

    /* psi = |0>: A is the identity; all weights 0: refused */
    double w0[3] = {0.7, 0, 0};
    assert_int_equal(qsearch_prep_init(w0, 3, &u), 0);
    assert_null(u);
    double wz[3] = {0, 0, 0};
    assert_int_equal(qsearch_prep_init(wz, 3, &u), NQ_EINVAL);
}

/* The QUBO's energy is the formula on every state of a small instance. */
static void test_diversity_qubo(void **state)
{
    (void)state;
    enum { R = 7 };
    double s[R], c[R * R];
    for (int i = 0; i < R; i++) {
        s[i] = cos(i * 1.3);
        for (int j = 0; j < R; j++)
            c[i * R + j] = i == j ? 1 : cos((i + 1) * (j + 1) * 0.37);
    }
    for (int k = 1; k <= 3; k++) {
        qubo_model m;
        double P;
        nq_err err = {0};
        assert_int_equal(qsearch_diversity_qubo(R, s, c, k, 0.8, 0, &m, &P, &err), 0);
        assert_true(fabs(P - (2 + 0.8 * (R - 1))) < 1e-12);
        double best_feasible = INFINITY, best = INFINITY;
        for (unsigned b = 0; b < (1u << R); b++) {
            unsigned char x[R];
            int cnt = 0;
            double e = 0;
            for (int i = 0; i < R; i++) {
                x[i] = (unsigned char)(b >> i & 1);
                cnt += x[i];
                e -= s[i] * x[i];
            }
            for (int i = 0; i < R; i++)
                for (int j = i + 1; j < R; j++)
                    e += 0.8 * c[i * R + j] * x[i] * x[j];
            e += P * (cnt - k) * (cnt - k);
            assert_true(fabs(qubo_energy(&m, x) - e) < 1e-9);
            if (cnt == k && e < best_feasible)
                best_feasible = e;
            if (e < best)
                best = e;
        }
        /* the default penalty makes the optimum select exactly k */
        assert_true(fabs(best - best_feasible) < 1e-12);
        qubo_free(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cosine),
        cmocka_unit_test(test_prep),
        cmocka_unit_test(test_diversity_qubo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
