/*
 * test_izhikevich.c — the Izhikevich (2003) neuron with the reference's update order
 * (upstream-algorithms.md 7.5: spike check, two 0.5 ms half-steps of v, one step of u).
 *
 *   1. Regular spiking with I = 10 for 1000 ms: exactly 20 spikes, the first at 4, 31, 79,
 *      141 and 195 ms (the reference's published numbers).
 *   2. The reference's spike counts of every type under I = 10 for 1000 ms: IB 27, CH 41,
 *      FS 63, TC 67, RZ 80, LTS 44.
 *   3. The published parameter table (a, b, c, d) and the type names; without input, RS stays
 *      silent at its resting state.
 *   4. The conductance form (neuro_izh_step_cond) equals the plain step at g = 0 bit for bit and
 *      computes the synaptic current from the reset potential when a spike is pending.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "neuro_neuron.h"

static int run(neuro_izh_type t, double I, int ms, int *times, int cap)
{
    neuro_izh_params p;
    assert_int_equal(neuro_izh_params_of(t, &p), 0);
    neuro_izh n;
    neuro_izh_init(&n, &p);
    int k = 0;
    for (int s = 0; s < ms; s++)
        if (neuro_izh_step(&n, &p, I)) {
            if (k < cap)
                times[k] = s;
            k++;
        }
    return k;
}

static void test_rs_reference(void **state)
{
    (void)state;
    int t[64];
    int k = run(NEURO_IZH_RS, 10, 1000, t, 64);
    assert_int_equal(k, 20);
    const int first[] = {4, 31, 79, 141, 195};
    for (int i = 0; i < 5; i++)
        assert_int_equal(t[i], first[i]);
}

static void test_all_types(void **state)
{
    (void)state;
    const struct {
        neuro_izh_type t;
        int spikes;
    } want[] = {{NEURO_IZH_RS, 20}, {NEURO_IZH_IB, 27}, {NEURO_IZH_CH, 41}, {NEURO_IZH_FS, 63},
                {NEURO_IZH_TC, 67}, {NEURO_IZH_RZ, 80}, {NEURO_IZH_LTS, 44}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int t[128];
        assert_int_equal(run(want[i].t, 10, 1000, t, 128), want[i].spikes);
    }
}

static void test_table(void **state)
{
    (void)state;
    neuro_izh_params p;
    assert_int_equal(neuro_izh_params_of(NEURO_IZH_FS, &p), 0);
    assert_true(p.a == 0.1 && p.b == 0.2 && p.c == -65 && p.d == 2);
    assert_int_equal(neuro_izh_params_of(NEURO_IZH_TC, &p), 0);
    assert_true(p.a == 0.02 && p.b == 0.25 && p.c == -65 && p.d == 0.05);
    assert_int_equal(neuro_izh_params_of(NEURO_IZH_NTYPES, &p), -1);
    neuro_izh_type t;
    assert_int_equal(neuro_izh_type_parse("lts", &t), 0);
    assert_int_equal(t, NEURO_IZH_LTS);
    assert_string_equal(neuro_izh_type_name(NEURO_IZH_CH), "CH");
    assert_int_equal(neuro_izh_type_parse("XX", &t), -1);
    assert_null(neuro_izh_type_name(NEURO_IZH_NTYPES));
    int times[4];
    assert_int_equal(run(NEURO_IZH_RS, 0, 1000, times, 4), 0);
}

/* Conductance input: with g = 0 the step is the plain one; with g > 0 the current is computed
 * from the potential after a pending reset (not from the spike's peak). */
static void test_step_cond(void **state)
{
    (void)state;
    neuro_izh_params p;
    neuro_izh_params_of(NEURO_IZH_RS, &p);
    neuro_izh a, b;
    neuro_izh_init(&a, &p);
    neuro_izh_init(&b, &p);
    int k = 0;
    for (int s = 0; s < 1000; s++) {
        int fa = neuro_izh_step(&a, &p, 10), fb = neuro_izh_step_cond(&b, &p, 10, 0, 0);
        assert_int_equal(fa, fb);
        assert_true(a.v == b.v && a.u == b.u);
        k += fa;
    }
    assert_int_equal(k, 20);
    /* a pending spike: v = 40 resets to c = -65 before g (0 - v) is computed */
    neuro_izh z = {40, -10}, y = {p.c, -10 + p.d};
    assert_int_equal(neuro_izh_step_cond(&z, &p, 0, 0.5, 0), 1);
    assert_int_equal(neuro_izh_step(&y, &p, 0.5 * (0 - p.c)), 0);
    assert_true(z.v == y.v && z.u == y.u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rs_reference),
        cmocka_unit_test(test_all_types),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_step_cond),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
