/*
 * test_hebb.c — Hebbian learning with decay, dw = eta x y - lambda w.
 *
 *   1. The scalar rule is the formula (exact values).
 *   2. Under constant activity the weight follows the closed form
 *      w_n = w* + (w_0 - w*) (1 - lambda)^n with w* = eta x y / lambda (within 1e-12), so it
 *      converges to the fixed point; without activity it decays geometrically to 0.
 *   3. The vector form applies the scalar rule to every input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "neuro_plasticity.h"

static void test_scalar(void **state)
{
    (void)state;
    assert_true(neuro_hebb_dw(0.5, 2, 3, 0.25, 4) == 0.5 * 2 * 3 - 0.25 * 4);
    assert_true(neuro_hebb_dw(0.1, 1, 1, 0, 7) == 0.1);
    assert_true(neuro_hebb_dw(0.1, 0, 1, 0.5, 2) == -1.0);
}

static void test_fixed_point(void **state)
{
    (void)state;
    double eta = 0.05, x = 0.8, y = 0.6, lambda = 0.02, w = -0.3;
    double ws = eta * x * y / lambda;
    for (int n = 1; n <= 2000; n++) {
        w += neuro_hebb_dw(eta, x, y, lambda, w);
        assert_true(fabs(w - (ws + (-0.3 - ws) * pow(1 - lambda, n))) < 1e-12);
    }
    assert_true(fabs(w - ws) < 1e-12);
    for (int n = 0; n < 3000; n++)
        w += neuro_hebb_dw(eta, 0, y, lambda, w);
    assert_true(fabs(w) < 1e-24 + ws * pow(1 - lambda, 3000) * 1.0000001);
}

static void test_vector(void **state)
{
    (void)state;
    double w[4] = {0, 1, -1, 0.5}, x[4] = {1, 0, 2, -1}, w0[4];
    for (int i = 0; i < 4; i++)
        w0[i] = w[i];
    neuro_hebb_step(w, x, 4, 0.5, 0.1, 0.01);
    for (int i = 0; i < 4; i++)
        assert_true(w[i] == w0[i] + neuro_hebb_dw(0.1, x[i], 0.5, 0.01, w0[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_fixed_point),
        cmocka_unit_test(test_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
