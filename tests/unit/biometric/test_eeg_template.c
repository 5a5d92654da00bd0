/*
 * test_eeg_template.c — templates, scores and the synthetic evaluation of src/biometric:
 *   - Welford's running template equals the batch mean and sum of squares, whatever the order;
 *   - the score: a probe at the template mean scores 1, the score falls with the standardised
 *     distance exactly as documented (exp(-d2/2), z^2 clipped at 100), and one sample's
 *     template uses the prior spread;
 *   - serialisation round-trips bit for bit and refuses anything damaged;
 *   - the whole pipeline separates subjects on the seeded synthetic set (50 subjects, 6
 *     sessions, artefacts on): EER well below chance, genuine scores far above impostor
 *     scores, FAR at the default threshold small. Synthetic data proves the pipeline, not
 *     real-world security (docs/security.md).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/rand.h"
#include "biometric/eeg.h"
#include "biometric/eeg_synth.h"

#define D (2 * EEG_NFEAT)

static void random_vec(nq_rng *r, double *v)
{
    for (int j = 0; j < D; j++)
        v[j] = 4 * nq_rng_double(r) - 2;
}

static void test_welford(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 42);
    double v[7][D];
    for (int i = 0; i < 7; i++)
        random_vec(&r, v[i]);
    eeg_template a, b;
    assert_int_equal(eeg_template_init(&a, 2), 0);
    assert_int_equal(eeg_template_init(&b, 2), 0);
    for (int i = 0; i < 7; i++)
        eeg_template_add(&a, v[i]);
    for (int i = 6; i >= 0; i--)
        eeg_template_add(&b, v[i]);
    assert_int_equal(a.count, 7);
    for (int j = 0; j < D; j++) {
        double m = 0, ss = 0;
        for (int i = 0; i < 7; i++)
            m += v[i][j];
        m /= 7;
        for (int i = 0; i < 7; i++)
            ss += (v[i][j] - m) * (v[i][j] - m);
        assert_true(fabs(a.mean[j] - m) < 1e-12 && fabs(b.mean[j] - m) < 1e-12);
        assert_true(fabs(a.m2[j] - ss) < 1e-10 && fabs(b.m2[j] - ss) < 1e-10);
    }
    eeg_template_free(&a);
    eeg_template_free(&b);
    assert_int_equal(eeg_template_init(&a, 0), NQ_EINVAL);
    assert_int_equal(eeg_template_init(&a, EEG_MAX_CHANNELS + 1), NQ_EINVAL);
}

static void test_score(void **state)
{
    (void)state;
    eeg_template t;
    assert_int_equal(eeg_template_init(&t, 2), 0);
    double v[D], p[D], d2;
    for (int j = 0; j < D; j++)
        v[j] = 0.1 * j;
    eeg_template_add(&t, v);
    assert_true(fabs(eeg_template_score(&t, v, &d2) - 1) < 1e-15);
    assert_true(d2 == 0);
    /* one sample: the spread is the prior. Move feature 0 (log delta power) by one prior sd
     * (read back from a probe): d2 = 1/D */
    memcpy(p, v, sizeof p);
    p[0] += 1;
    double s1 = eeg_template_score(&t, p, &d2);
    double sd0 = 1 / sqrt(d2 * D); /* the prior sd of feature 0 */
    assert_true(sd0 > 0.01 && sd0 < 1);
    assert_true(fabs(s1 - exp(-d2 / 2)) < 1e-15);
    p[0] = v[0] + 2 * sd0;
    eeg_template_score(&t, p, &d2);
    assert_true(fabs(d2 - 4.0 / D) < 1e-12);
    /* clipping: a feature 50 sds away counts as 10 */
    p[0] = v[0] + 50 * sd0;
    eeg_template_score(&t, p, &d2);
    assert_true(fabs(d2 - 100.0 / D) < 1e-12);
    /* every feature 1 sd away in its own prior units gives d2 = 1 -> exp(-1/2) */
    assert_true(fabs(eeg_similarity_from_d2(1) - exp(-0.5)) < 1e-15);
    /* more samples with a small spread tighten the template: the same offset costs more */
    for (int i = 0; i < 20; i++)
        eeg_template_add(&t, v);
    p[0] = v[0] + 2 * sd0;
    double d2b;
    eeg_template_score(&t, p, &d2b);
    assert_true(d2b > d2 / 25 * 4 + 1e-9); /* larger than the one-sample 4/D */
    eeg_template_free(&t);
}

static void test_serialize(void **state)
{
    (void)state;
    nq_rng r;
    nq_rng_seed(&r, 9);
    eeg_template t, u;
    assert_int_equal(eeg_template_init(&t, 2), 0);
    double v[D];
    for (int i = 0; i < 3; i++) {
        random_vec(&r, v);
        eeg_template_add(&t, v);
    }
    unsigned char *buf;
    size_t len;
    assert_int_equal(eeg_template_serialize(&t, &buf, &len), 0);
    assert_int_equal(len, 24 + 16 * D);
    nq_err e;
    assert_int_equal(eeg_template_parse(buf, len, &u, &e), 0);
    assert_int_equal(u.nchan, 2);
    assert_int_equal(u.count, 3);
    assert_memory_equal(u.mean, t.mean, D * sizeof(double));
    assert_memory_equal(u.m2, t.m2, D * sizeof(double));
    eeg_template_free(&u);
    assert_int_equal(eeg_template_parse(buf, len - 1, &u, &e), NQ_ECORRUPT);
    assert_int_equal(eeg_template_parse(buf, 10, &u, &e), NQ_ECORRUPT);
    buf[0] ^= 1;
    assert_int_equal(eeg_template_parse(buf, len, &u, &e), NQ_ECORRUPT);
    buf[0] ^= 1;
    buf[8] = 9; /* version */
    assert_int_equal(eeg_template_parse(buf, len, &u, &e), NQ_ECORRUPT);
    assert_non_null(strstr(e.msg, "another version"));
    buf[8] = 1;
    double nan = NAN; /* a NaN mean */
    memcpy(buf + 24, &nan, 8);
    assert_int_equal(eeg_template_parse(buf, len, &u, &e), NQ_ECORRUPT);
    free(buf);
    eeg_template_free(&t);
}

static void test_synthetic_separation(void **state)
{
    (void)state;
    eeg_eval_opts o = {.seed = 20261124, .subjects = 50, .sessions = 6, .enrol_sessions = 3,
                       .nchan = 2, .fs = 256, .seconds = 8, .artefacts = 1,
                       .threshold = EEG_DEFAULT_THRESHOLD};
    eeg_eval_result r;
    nq_err e;
    assert_int_equal(eeg_evaluate(&o, &r, &e), 0);
    print_message("genuine %u impostor %u refused %u: FAR %.4f FRR %.4f EER %.4f at %.3f; "
                  "mean genuine %.3f impostor %.3f\n",
                  r.genuine, r.impostor, r.refused, r.far, r.frr, r.eer, r.eer_threshold,
                  r.genuine_mean, r.impostor_mean);
    assert_int_equal(r.genuine, 150);
    assert_true(r.impostor >= 7000);
    assert_true(r.refused <= 5);
    assert_true(r.eer < 0.15);               /* chance is 0.5; measured about 0.09 */
    assert_true(r.genuine_mean > 4 * r.impostor_mean);
    assert_true(r.far < 0.06);
    assert_true(r.frr < 0.5);
    /* the same run again gives the same figures (seeded) */
    eeg_eval_result r2;
    assert_int_equal(eeg_evaluate(&o, &r2, &e), 0);
    assert_true(r2.eer == r.eer && r2.far == r.far && r2.frr == r.frr);
    /* a different data set still separates */
    o.seed = 7;
    o.subjects = 20;
    assert_int_equal(eeg_evaluate(&o, &r2, &e), 0);
    assert_true(r2.eer < 0.2);
    o.enrol_sessions = 6;
    assert_int_equal(eeg_evaluate(&o, &r2, &e), NQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_welford),
        cmocka_unit_test(test_score),
        cmocka_unit_test(test_serialize),
        cmocka_unit_test(test_synthetic_separation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
