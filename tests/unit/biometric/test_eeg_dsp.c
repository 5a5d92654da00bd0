/*
 * test_eeg_dsp.c — the signal processing of src/biometric against exact results:
 *   - the Butterworth sections' magnitude response equals the analytic |H| of a bilinear-
 *     transformed Butterworth filter (1/sqrt(1 + (tan(pi f/fs)/tan(pi fc/fs))^2N)) at chosen
 *     frequencies, -3 dB at the cutoff, for several rates;
 *   - forward-backward filtering has zero phase: a filtered sinusoid has no lag and the
 *     amplitude |H|^2, while one forward pass does lag (so the check can fail);
 *   - the notches remove 50 and 60 Hz and keep the alpha band;
 *   - Welch's PSD of a sinusoid peaks at its frequency and integrates to its power A^2/2
 *     (Parseval), white noise integrates to its variance, and a burst is rejected;
 *   - the pipeline's refusals (rate range, short, non-finite, dead or clipped signals) and its
 *     sampling-rate handling (the same subject at 256 and 512 Hz has the same alpha peak).
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

static double analytic_butter(int hp, int order, double fc, double f, double fs)
{
    double r = tan(M_PI * f / fs) / tan(M_PI * fc / fs);
    if (hp)
        r = 1 / r;
    return 1 / sqrt(1 + pow(r, 2.0 * order));
}

static void test_butterworth_magnitude(void **state)
{
    (void)state;
    const double rates[] = {128, 256, 500, 2048};
    const double freqs[] = {0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 40, 45, 50, 55, 60};
    for (size_t ri = 0; ri < sizeof rates / sizeof *rates; ri++) {
        double fs = rates[ri];
        for (int order = 2; order <= 8; order += 2) {
            eeg_biquad lp[4], hp[4];
            assert_int_equal(eeg_butter_lowpass(order, 45, fs, lp), 0);
            assert_int_equal(eeg_butter_highpass(order, 0.5, fs, hp), 0);
            assert_true(fabs(eeg_sos_magnitude(lp, order / 2, 45, fs) - M_SQRT1_2) < 1e-9);
            assert_true(fabs(eeg_sos_magnitude(hp, order / 2, 0.5, fs) - M_SQRT1_2) < 1e-9);
            for (size_t fi = 0; fi < sizeof freqs / sizeof *freqs; fi++) {
                double f = freqs[fi];
                if (f >= fs / 2)
                    continue;
                double want = analytic_butter(0, order, 45, f, fs);
                double got = eeg_sos_magnitude(lp, order / 2, f, fs);
                assert_true(fabs(got - want) < 1e-9 * (1 + want));
                want = analytic_butter(1, order, 0.5, f, fs);
                got = eeg_sos_magnitude(hp, order / 2, f, fs);
                assert_true(fabs(got - want) < 1e-9 * (1 + want));
                assert_true(fabs(eeg_butter_magnitude(1, order, 0.5, f, fs) - want) < 1e-12);
            }
            /* the pass band is flat, the stop band falls at 6N dB per octave */
            assert_true(eeg_sos_magnitude(lp, order / 2, 10, fs) > 0.99);
            assert_true(eeg_sos_magnitude(hp, order / 2, 10, fs) > 0.99);
            assert_true(eeg_sos_magnitude(lp, order / 2, 90, fs) < (fs > 180 ? 0.5 : 1));
        }
    }
    eeg_biquad b[4];
    assert_int_equal(eeg_butter_lowpass(3, 45, 256, b), NQ_EINVAL);
    assert_int_equal(eeg_butter_lowpass(4, 200, 256, b), NQ_EINVAL);
    assert_int_equal(eeg_butter_highpass(4, 0, 256, b), NQ_EINVAL);
}

/* The pipeline's cascade: notch 50, notch 60, high-pass 0.5 (4), low-pass 45 (4). */
static int cascade(double fs, eeg_biquad *sos)
{
    return eeg_notch_design(50, 30, fs, &sos[0]) | eeg_notch_design(60, 30, fs, &sos[1]) |
           eeg_butter_highpass(4, 0.5, fs, &sos[2]) | eeg_butter_lowpass(4, 45, fs, &sos[4]);
}

/* Least-squares amplitude and phase of y against sin/cos at f over [a, b). */
static void fit(const double *y, size_t a, size_t b, double f, double fs, double *amp,
                double *phase)
{
    double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
    for (size_t i = a; i < b; i++) {
        double s = sin(2 * M_PI * f * i / fs), c = cos(2 * M_PI * f * i / fs);
        ss += s * s, sc += s * c, cc += c * c, ys += y[i] * s, yc += y[i] * c;
    }
    double det = ss * cc - sc * sc;
    double A = (ys * cc - yc * sc) / det, B = (yc * ss - ys * sc) / det;
    *amp = sqrt(A * A + B * B);
    *phase = atan2(B, A);
}

static void test_zero_phase(void **state)
{
    (void)state;
    const double fs = 256, freqs[] = {1.5, 6, 10, 22, 40};
    const size_t n = 16 * 256; /* the 0.5 Hz high-pass rings for seconds at the edges */
    eeg_biquad sos[6];
    assert_int_equal(cascade(fs, sos), 0);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t fi = 0; fi < sizeof freqs / sizeof *freqs; fi++) {
        double f = freqs[fi];
        for (size_t i = 0; i < n; i++)
            x[i] = 3 * sin(2 * M_PI * f * i / fs);
        assert_int_equal(eeg_sos_filtfilt(sos, 6, x, n, 512, y), 0);
        double h = eeg_sos_magnitude(sos, 6, f, fs), amp, ph;
        fit(y, 1024, n - 1024, f, fs, &amp, &ph);
        assert_true(fabs(amp - 3 * h * h) < 1e-3 * 3);
        assert_true(fabs(ph) < 1e-3); /* no lag: phase 0 */
        /* sample by sample in the middle 8 s: y = |H|^2 x */
        for (size_t i = 1024; i < n - 1024; i++)
            assert_true(fabs(y[i] - h * h * x[i]) < 1e-2);
    }
    /* a causal single pass of the same filter lags: the test above can tell */
    for (size_t i = 0; i < n; i++)
        x[i] = sin(2 * M_PI * 10 * i / fs);
    double *z = malloc(n * sizeof *z);
    /* one forward pass = filtfilt's first half; emulate with a manual DF2T run */
    memcpy(z, x, n * sizeof *z);
    for (int k = 0; k < 6; k++) {
        double z1 = 0, z2 = 0;
        for (size_t i = 0; i < n; i++) {
            double u = z[i], v = sos[k].b0 * u + z1;
            z1 = sos[k].b1 * u - sos[k].a1 * v + z2;
            z2 = sos[k].b2 * u - sos[k].a2 * v;
            z[i] = v;
        }
    }
    double amp, ph;
    fit(z, 1024, n, 10, fs, &amp, &ph);
    assert_true(fabs(ph) > 0.05);
    free(x), free(y), free(z);
}

static void test_notch(void **state)
{
    (void)state;
    const double rates[] = {128, 256, 1000};
    for (size_t ri = 0; ri < 3; ri++) {
        double fs = rates[ri];
        eeg_biquad sos[6];
        assert_int_equal(cascade(fs, sos), 0);
        assert_true(eeg_sos_magnitude(sos, 1, 50, fs) < 1e-9);
        assert_true(eeg_sos_magnitude(sos + 1, 1, 60, fs) < 1e-9);
        assert_true(eeg_sos_magnitude(sos, 2, 10, fs) > 0.999);
        assert_true(eeg_sos_magnitude(sos, 2, 40, fs) > 0.98);
        size_t n = (size_t)(16 * fs), edge = (size_t)(2 * fs);
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        const double lf[] = {50, 60};
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < n; i++)
                x[i] = 10 * sin(2 * M_PI * lf[k] * i / fs) + 2 * sin(2 * M_PI * 10 * i / fs);
            assert_int_equal(eeg_sos_filtfilt(sos, 2, x, n, (size_t)fs, y), 0);
            double a_line, a_alpha, ph;
            fit(y, edge, n - edge, lf[k], fs, &a_line, &ph);
            fit(y, edge, n - edge, 10, fs, &a_alpha, &ph);
            assert_true(a_line < 10 * 1e-3); /* more than 60 dB down */
            assert_true(fabs(a_alpha - 2) < 0.01);
        }
        free(x), free(y);
    }
    eeg_biquad b;
    assert_int_equal(eeg_notch_design(70, 30, 128, &b), NQ_EINVAL); /* above Nyquist */
}

static void test_welch_parseval(void **state)
{
    (void)state;
    const double fs = 256;
    const size_t n = 16 * 256, L = 512, nf = L / 2 + 1;
    double df = fs / L;
    double *x = malloc(n * sizeof *x), psd[257];
    const double fr[] = {20.0, 20.25, 10.5};
    for (int t = 0; t < 3; t++) {
        double A = 3;
        for (size_t i = 0; i < n; i++)
            x[i] = A * sin(2 * M_PI * fr[t] * i / fs + 0.3) + 7; /* the offset is removed */
        unsigned used;
        assert_int_equal(eeg_welch(x, n, fs, L, 4, NULL, psd, &used), 0);
        assert_int_equal(used, 2 * n / L - 1);
        size_t kmax = 0;
        for (size_t k = 0; k < nf; k++)
            if (psd[k] > psd[kmax])
                kmax = k;
        assert_true(fabs(kmax * df - fr[t]) <= df / 2 + 1e-9);
        double total = eeg_band_power(psd, nf, df, 0, fs);
        assert_true(fabs(total - A * A / 2) < 0.01 * A * A / 2);
        double near = eeg_band_power(psd, nf, df, fr[t] - 2, fr[t] + 2);
        assert_true(fabs(near - A * A / 2) < 0.01 * A * A / 2);
    }
    /* white noise: flat density 2 sigma^2 / fs integrating to sigma^2 */
    nq_rng r;
    nq_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) {
        double u1 = nq_rng_double(&r) + 1e-300, u2 = nq_rng_double(&r);
        x[i] = 2 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
    }
    assert_int_equal(eeg_welch(x, n, fs, L, 0, NULL, psd, NULL), 0);
    double total = eeg_band_power(psd, nf, df, 0, fs);
    assert_true(fabs(total - 4) < 0.25);
    double mid = eeg_band_power(psd, nf, df, 20, 100) / 80;
    assert_true(fabs(mid - 2 * 4 / fs) < 0.1 * 2 * 4 / fs);
    /* a burst in one segment is left out with rejection, not without */
    for (size_t i = 0; i < n; i++)
        x[i] = sin(2 * M_PI * 10 * i / fs);
    for (size_t i = 2000; i < 2100; i++)
        x[i] += 200;
    unsigned used;
    assert_int_equal(eeg_welch(x, n, fs, L, 4, NULL, psd, &used), 0);
    assert_true(used < 2 * n / L - 1);
    assert_true(fabs(eeg_band_power(psd, nf, df, 0, fs) - 0.5) < 0.05);
    assert_int_equal(eeg_welch(x, n, fs, L, 0, NULL, psd, &used), 0);
    assert_true(eeg_band_power(psd, nf, df, 0, fs) > 5);
    assert_int_equal(eeg_welch(x, 100, fs, L, 0, NULL, psd, NULL), NQ_EINVAL);
    free(x);
}

static void test_pipeline_refusals(void **state)
{
    (void)state;
    const size_t n = 8 * 256;
    double *x = malloc(2 * n * sizeof *x), feat[2 * EEG_NFEAT];
    double *ch[2] = {x, x + n};
    eeg_subject s;
    eeg_synth_subject(1, 3, &s);
    eeg_synth_opts o = {.fs = 256, .n = n, .nchan = 2, .artefacts = 0};
    assert_int_equal(eeg_synth_record(&s, 1, 3, 0, &o, ch), 0);
    nq_err e;
    eeg_quality q;
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 256, feat, &q, &e), 0);
    assert_true(q.score > 90);
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 100, feat, &q, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "Invalid sampling rate: 100Hz (must be between 128-2048Hz)"));
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 4096, feat, &q, &e), NQ_EINVAL);
    assert_int_equal(eeg_features((const double *const *)ch, 2, 1000, 256, feat, &q, &e), NQ_EINVAL);
    assert_string_equal(e.msg, "Insufficient data: got 1000 samples, need at least 1024");
    assert_int_equal(eeg_features((const double *const *)ch, 0, n, 256, feat, &q, &e), NQ_EINVAL);
    x[77] = NAN;
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 256, feat, &q, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "sample 77 of channel 0"));
    x[77] = INFINITY;
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 256, feat, &q, &e), NQ_EINVAL);
    x[77] = 0;
    /* a dead second channel */
    for (size_t i = 0; i < n; i++)
        ch[1][i] = 5;
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 256, feat, &q, &e), NQ_EINVAL);
    assert_non_null(strstr(e.msg, "Signal quality too low: 0.0%"));
    /* hard clipping at 70 % of the peak */
    assert_int_equal(eeg_synth_record(&s, 1, 3, 0, &o, ch), 0);
    double peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
    for (size_t i = 0; i < n; i++)
        x[i] = fmax(-0.3 * peak, fmin(0.3 * peak, x[i]));
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 256, feat, &q, &e), NQ_EINVAL);
    assert_true(q.clip_frac > 0.05);
    /* line noise dominating the recording */
    assert_int_equal(eeg_synth_record(&s, 1, 3, 0, &o, ch), 0);
    for (size_t i = 0; i < n; i++)
        x[i] += 300 * sin(2 * M_PI * 50 * i / 256.0);
    assert_int_equal(eeg_features((const double *const *)ch, 2, n, 256, feat, &q, &e), NQ_EINVAL);
    assert_true(q.line_frac > 0.9);
    free(x);
}

/* The rate is honoured: the same subject recorded at 256 and 512 Hz has the same spectral
 * features (an alpha peak read as if at 256 Hz would sit at twice its frequency). */
static void test_rate_honoured(void **state)
{
    (void)state;
    eeg_subject s;
    eeg_synth_subject(5, 11, &s);
    double f256[EEG_NFEAT], f512[EEG_NFEAT], f1024[EEG_NFEAT];
    const double rates[] = {256, 512, 1024};
    double *outs[] = {f256, f512, f1024};
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)(20 * rates[k]);
        double *x = malloc(n * sizeof *x);
        eeg_synth_opts o = {.fs = rates[k], .n = n, .nchan = 1, .artefacts = 0};
        assert_int_equal(eeg_synth_record(&s, 5, 11, 0, &o, &x), 0);
        assert_int_equal(eeg_features((const double *const *)&x, 1, n, rates[k], outs[k], NULL, NULL), 0);
        free(x);
    }
    for (int k = 1; k < 3; k++) {
        assert_true(fabs(outs[k][13] - f256[13]) < 0.3);  /* alpha peak, Hz */
        assert_true(fabs(outs[k][13] - s.f_al) < 0.5);
        for (int b = 5; b < 10; b++)                      /* relative band powers */
            assert_true(fabs(outs[k][b] - f256[b]) < 0.05);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_butterworth_magnitude),
        cmocka_unit_test(test_zero_phase),
        cmocka_unit_test(test_notch),
        cmocka_unit_test(test_welch_parseval),
        cmocka_unit_test(test_pipeline_refusals),
        cmocka_unit_test(test_rate_honoured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
