/*
 * eeg_features.c — the EEG pipeline of one recording: input checks, signal quality,
 * filtering, Welch PSD and the per-channel feature vector (eeg.h gives the overview,
 * docs/security.md the equations).
 *
 * Quality (on the raw channel, before any filter, so that what the filters hide still
 * counts): four fractions, each turned into a penalty in [0, 1],
 *   line noise  L = power within 1 Hz of 50 and 60 Hz / power in 0.5..min(100, fs/2) Hz,
 *               penalty clamp((L - 0.5) / 0.5): the notches remove line noise, so it only
 *               costs when it dominates the recording
 *   flat runs   F = share of samples in runs of >= 50 ms without change, penalty clamp(F / 0.1)
 *   clipping    C = share of samples at the channel's maximum or minimum value (counted when
 *               above 0.5 %: a natural signal touches its extremes once or twice),
 *               penalty clamp(C / 0.05)
 *   artefacts   A = share of band-passed samples beyond 6 robust standard deviations
 *               (1.4826 * median absolute deviation), penalty clamp(A / 0.2)
 * and score = 100 * (1 - p_L)(1 - p_F)(1 - p_C)(1 - p_A); a channel without variance scores 0.
 * The recording's quality is its worst channel's.
 *
 * Filtering: mean removed; notches at 50 and 60 Hz (Q 30); Butterworth high-pass 0.5 Hz and
 * low-pass 45 Hz, 4th order each; the six sections run forward-backward (eeg_sos_filtfilt) with
 * up to 2 s of reflected padding. Artefacts: band-passed samples beyond 6 robust standard
 * deviations are marked with 0.25 s on either side. Welch: 2 s Hann segments, 50 % overlap,
 * averaged over the segments free of marks (when at least two are), else over those within
 * 2x the median segment power.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eeg.h"

#define SEG_SECONDS 2.0
#define MIN_SECONDS 4.0
#define NOTCH_Q 30.0
#define BP_LO 0.5
#define BP_HI 45.0
#define BP_ORDER 4
#define WELCH_REJECT 2.0
#define MAX_ABS 1e6

static const double band_lo[EEG_NBANDS] = {0.5, 4, 8, 13, 30};
static const double band_hi[EEG_NBANDS] = {4, 8, 13, 30, 45};

static const char *const feat_names[EEG_NFEAT] = {
    "log_delta_power", "log_theta_power", "log_alpha_power", "log_beta_power",
    "log_gamma_power", "rel_delta", "rel_theta", "rel_alpha", "rel_beta", "rel_gamma",
    "log_theta_beta", "log_alpha_beta", "log_theta_alpha", "alpha_peak_hz",
    "alpha_peak_excess", "spectral_slope", "log_psd_1_3hz", "log_psd_3_5hz", "log_psd_5_7hz",
    "log_psd_7_9hz", "log_psd_9_11hz", "log_psd_11_13hz", "log_psd_13_15hz", "log_psd_15_17hz",
    "log_psd_17_19hz", "log_psd_19_21hz", "log_psd_21_23hz", "log_psd_23_25hz",
    "log_psd_25_27hz", "log_psd_27_29hz", "log_psd_29_31hz", "log_psd_31_33hz",
    "log_psd_33_35hz", "log_psd_35_37hz", "log_psd_37_39hz", "log_psd_39_41hz",
    "log_psd_41_43hz", "log_psd_43_45hz"};

const char *eeg_feature_name(unsigned j)
{
    return j < EEG_NFEAT ? feat_names[j] : "?";
}

size_t eeg_min_samples(double fs)
{
    return (size_t)ceil(MIN_SECONDS * fs);
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_of(double *v, size_t n) /* sorts v */
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Quality terms measured on the raw channel: line fraction, flat runs, clipping. */
static int raw_quality(const double *x, size_t n, double fs, size_t nperseg, double *psd,
                       eeg_quality *q)
{
    size_t nf = nperseg / 2 + 1;
    double df = fs / (double)nperseg;
    int rc = eeg_welch(x, n, fs, nperseg, 0, NULL, psd, NULL);
    if (rc)
        return rc;
    double top = fs / 2 < 100 ? fs / 2 : 100;
    double total = eeg_band_power(psd, nf, df, BP_LO, top);
    double line = eeg_band_power(psd, nf, df, 49, 51) + eeg_band_power(psd, nf, df, 59, 61);
    q->line_frac = total > 0 ? line / total : 0;

    size_t minrun = (size_t)ceil(0.05 * fs), flat = 0, run = 1;
    if (minrun < 2)
        minrun = 2;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && x[i] == x[i - 1]) {
            run++;
            continue;
        }
        if (run >= minrun)
            flat += run;
        run = 1;
    }
    q->flat_frac = (double)flat / (double)n;

    double lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < lo)
            lo = x[i];
        if (x[i] > hi)
            hi = x[i];
    }
    double tol = (hi - lo) * 1e-9;
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] >= hi - tol || x[i] <= lo + tol)
            at++;
    double c = (double)at / (double)n;
    q->clip_frac = c > 0.005 ? c : 0;
    return 0;
}

/* The share of samples beyond 6 robust standard deviations; bad[] marks them and 0.25 s
 * around each. */
static double artefact_fraction(const double *y, size_t n, double fs, double *tmp,
                                unsigned char *bad)
{
    memset(bad, 0, n);
    memcpy(tmp, y, n * sizeof *y);
    double med = median_of(tmp, n);
    for (size_t i = 0; i < n; i++)
        tmp[i] = fabs(y[i] - med);
    double sigma = 1.4826 * median_of(tmp, n);
    if (!(sigma > 0))
        return 0;
    size_t out = 0, wing = (size_t)(0.25 * fs);
    for (size_t i = 0; i < n; i++)
        if (fabs(y[i] - med) > 6 * sigma) {
            out++;
            size_t a = i > wing ? i - wing : 0, b = i + wing < n ? i + wing : n - 1;
            memset(bad + a, 1, b - a + 1);
        }
    return (double)out / (double)n;
}

static double lg(double v)
{
    return log10(v + 1e-12);
}

/* The EEG_NFEAT features of one band-passed channel's PSD. */
static void spectral_features(const double *psd, size_t nf, double df, double *f)
{
    double p[EEG_NBANDS], tot = 0;
    for (int b = 0; b < EEG_NBANDS; b++) {
        p[b] = eeg_band_power(psd, nf, df, band_lo[b], band_hi[b]);
        tot += p[b];
    }
    for (int b = 0; b < EEG_NBANDS; b++) {
        f[b] = lg(p[b]);
        f[5 + b] = tot > 0 ? p[b] / tot : 0;
    }
    f[10] = lg(p[1]) - lg(p[3]);
    f[11] = lg(p[2]) - lg(p[3]);
    f[12] = lg(p[1]) - lg(p[2]);
    /* 1/f background: least squares of log10 psd on log10 f over 2..40 Hz outside 7..14 Hz */
    double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
    for (size_t k = 1; k < nf; k++) {
        double fr = (double)k * df;
        if (fr < 2 || fr > 40 || (fr >= 7 && fr <= 14))
            continue;
        double lx = log10(fr), ly = lg(psd[k]);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, m++;
    }
    double den = m * sxx - sx * sx;
    double slope = den > 0 ? (m * sxy - sx * sy) / den : 0;
    double icpt = m > 0 ? (sy - slope * sx) / m : 0;
    f[15] = slope;
    /* alpha peak: the centre of gravity of the excess of log10 psd over the background line
     * in 7..14 Hz (more stable than the arg max when the peak is weak), and the largest
     * excess there */
    double best = -INFINITY, num = 0, wsum = 0;
    for (size_t k = (size_t)ceil(7 / df); k + 1 < nf && (double)k * df <= 14; k++) {
        double fr = (double)k * df, r = lg(psd[k]) - (icpt + slope * log10(fr));
        if (r > best)
            best = r;
        if (r > 0)
            num += fr * r, wsum += r;
    }
    f[13] = wsum > 0 ? num / wsum : 10.5;
    f[14] = best;
    /* spectral profile: log10 of the mean density in 2 Hz bins from 1 to 45 Hz */
    for (int i = 0; i < EEG_NPROFILE; i++)
        f[16 + i] = lg(eeg_band_power(psd, nf, df, 1 + 2 * i, 3 + 2 * i) / 2);
}

int eeg_features(const double *const *chan, unsigned nchan, size_t n, double fs, double *feat,
                 eeg_quality *qout, nq_err *e)
{
    if (!(fs >= EEG_FS_MIN && fs <= EEG_FS_MAX))
        return nq_err_set(e, NQ_EINVAL, "Invalid sampling rate: %gHz (must be between 128-2048Hz)",
                          fs);
    if (nchan < 1 || nchan > EEG_MAX_CHANNELS)
        return nq_err_set(e, NQ_EINVAL, "between 1 and %d channels are supported (got %u)",
                          EEG_MAX_CHANNELS, nchan);
    size_t need = eeg_min_samples(fs);
    if (n < need)
        return nq_err_set(e, NQ_EINVAL, "Insufficient data: got %zu samples, need at least %zu",
                          n, need);
    if (n > EEG_MAX_SAMPLES)
        return nq_err_set(e, NQ_EINVAL, "too many samples: %zu per channel (at most %u)", n,
                          EEG_MAX_SAMPLES);
    for (unsigned c = 0; c < nchan; c++)
        for (size_t i = 0; i < n; i++)
            if (!isfinite(chan[c][i]) || fabs(chan[c][i]) > MAX_ABS)
                return nq_err_set(e, NQ_EINVAL,
                                  "sample %zu of channel %u is not a finite value within "
                                  "+-1e6",
                                  i, c);

    size_t nperseg = (size_t)lround(SEG_SECONDS * fs), nf = nperseg / 2 + 1;
    double df = fs / (double)nperseg;
    eeg_biquad sos[2 + BP_ORDER];
    if (eeg_notch_design(50, NOTCH_Q, fs, &sos[0]) || eeg_notch_design(60, NOTCH_Q, fs, &sos[1]) ||
        eeg_butter_highpass(BP_ORDER, BP_LO, fs, &sos[2]) ||
        eeg_butter_lowpass(BP_ORDER, BP_HI, fs, &sos[2 + BP_ORDER / 2]))
        return nq_err_set(e, NQ_EINVAL, "cannot design the filters for %g Hz", fs);
    double *y = malloc(n * sizeof *y), *tmp = malloc(n * sizeof *tmp);
    double *psd = malloc(nf * sizeof *psd);
    unsigned char *bad = malloc(n);
    if (!y || !tmp || !psd || !bad) {
        free(y), free(tmp), free(psd), free(bad);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    int rc = 0;
    eeg_quality worst = {.score = 101};
    size_t pad = (size_t)lround(2 * fs);
    for (unsigned c = 0; c < nchan && rc == 0; c++) {
        const double *x = chan[c];
        eeg_quality q = {0};
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++)
            mean += x[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            tmp[i] = x[i] - mean;
            var += tmp[i] * tmp[i];
        }
        var /= (double)n;
        if (!(var > 1e-12)) {
            q.flat_frac = 1;
            q.score = 0;
        } else {
            if ((rc = raw_quality(x, n, fs, nperseg, psd, &q)) != 0 ||
                (rc = eeg_sos_filtfilt(sos, 2 + BP_ORDER, tmp, n, pad, y)) != 0)
                break;
            q.artefact_frac = artefact_fraction(y, n, fs, tmp, bad);
            q.score = 100 * (1 - clamp01((q.line_frac - 0.5) / 0.5)) *
                      (1 - clamp01(q.flat_frac / 0.1)) * (1 - clamp01(q.clip_frac / 0.05)) *
                      (1 - clamp01(q.artefact_frac / 0.2));
            if ((rc = eeg_welch(y, n, fs, nperseg, WELCH_REJECT, bad, psd, NULL)) != 0)
                break;
            spectral_features(psd, nf, df, feat + (size_t)c * EEG_NFEAT);
        }
        if (q.score < worst.score)
            worst = q;
    }
    free(y), free(tmp), free(psd), free(bad);
    if (rc)
        return nq_err_set(e, rc, "%s", rc == NQ_ENOMEM ? "out of memory" : "signal processing failed");
    if (qout)
        *qout = worst;
    if (worst.score < EEG_MIN_QUALITY)
        return nq_err_set(e, NQ_EINVAL, "Signal quality too low: %.1f%%", worst.score);
    return 0;
}
