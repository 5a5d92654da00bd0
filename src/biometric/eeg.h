/*
 * eeg.h — the EEG biometric leaf library (nqbio): signal processing, features, templates and
 * scores. It depends on src/base and FFTW 3 only; the server (h_biometric.c) and the CLI call
 * it. docs/security.md, "EEG biometric authentication", gives the equations; in short:
 *
 *   raw channel x[n] at fs Hz (128..2048, the caller's rate)
 *     -> quality estimate on the raw signal (line-noise fraction, flat runs, clipping,
 *        artefact fraction) -> score 0..100
 *     -> remove the mean; notch biquads at 50 and 60 Hz (Q 30), each run forward-backward
 *     -> Butterworth band-pass 0.5..45 Hz (4th-order high-pass + 4th-order low-pass, each
 *        designed by the bilinear transform with prewarping, as second-order sections), run
 *        forward-backward (zero phase; odd-reflection padding and steady-state initial
 *        conditions at the edges)
 *     -> artefact samples marked: beyond 6 robust standard deviations of the band-passed
 *        signal, widened by 0.25 s on each side (eye blinks, movements)
 *     -> Welch PSD (FFTW): Hann window, 2 s segments, 50 % overlap, density scaling, over the
 *        segments free of marked samples (else: segments over 2x the median power dropped)
 *     -> per channel EEG_NFEAT features: log10 band powers (delta 0.5-4, theta 4-8,
 *        alpha 8-13, beta 13-30, gamma 30-45 Hz), relative band powers, log10 ratios
 *        theta/beta, alpha/beta, theta/alpha, the 1/f slope of the log-log spectrum (least
 *        squares over 2..40 Hz outside 7..14 Hz), the individual alpha peak frequency (largest
 *        excess of log10 PSD over that 1/f line in 7..14 Hz) and that excess; channels
 *        concatenated.
 *
 * Template: the running mean and sum of squared deviations (Welford) of each feature over the
 * enrolment samples. Score of a probe x: z_j = (x_j - mean_j) / s_j, where s_j shrinks the
 * sample spread towards a prior spread of its feature kind (EEG_PRIOR_WEIGHT pseudo-samples);
 * d2 = mean_j min(z_j^2, 100); similarity = exp(-d2 / 2) in (0, 1]. Accept when
 * similarity >= threshold (EEG_DEFAULT_THRESHOLD, chosen by the synthetic evaluation,
 * bench/bench_eeg.c).
 *
 * Errors: 0 or a negative NQ_E* code (nqdb.h) with the message in an nq_err (may be NULL).
 * Memory: functions that hand out memory say so; everything else works in the caller's
 * buffers. Thread safety: every function may run on any thread (FFTW's planner is serialised
 * inside eeg_psd.c).
 */
#ifndef NQ_BIOMETRIC_EEG_H
#define NQ_BIOMETRIC_EEG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define EEG_FS_MIN 128.0
#define EEG_FS_MAX 2048.0
#define EEG_MAX_CHANNELS 16
#define EEG_MAX_SAMPLES (2048u * 120u) /* two minutes at the highest rate, per channel */
#define EEG_NBANDS 5
#define EEG_NPROFILE 22                /* 2 Hz bins of the spectral profile, 1..45 Hz */
#define EEG_NFEAT (16 + EEG_NPROFILE)  /* features per channel */
#define EEG_MIN_QUALITY 50.0           /* below this a sample is refused */
#define EEG_DEFAULT_THRESHOLD 0.40     /* from bench/bench_eeg.c on the synthetic set */
#define EEG_PRIOR_WEIGHT 4.0           /* pseudo-samples of the prior spread in a template */

/* ---- filters (eeg_filter.c) ------------------------------------------------------------ */

/* A second-order section, a0 normalised to 1: y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2. */
typedef struct eeg_biquad {
    double b0, b1, b2, a1, a2;
} eeg_biquad;

/* Notch at f0 Hz with quality q (-3 dB bandwidth f0/q Hz). NQ_EINVAL unless 0 < f0 < fs/2, q > 0. */
int eeg_notch_design(double f0, double q, double fs, eeg_biquad *out);
/* Butterworth low-/high-pass of even order (2..8) at fc Hz, bilinear transform with the
 * cutoff prewarped (|H| = 1/sqrt(2) exactly at fc). order/2 sections go to sos. */
int eeg_butter_lowpass(int order, double fc, double fs, eeg_biquad *sos);
int eeg_butter_highpass(int order, double fc, double fs, eeg_biquad *sos);
/* |H(e^{j 2 pi f/fs})| of a cascade of n sections. */
double eeg_sos_magnitude(const eeg_biquad *sos, int n, double f, double fs);
/* The analytic Butterworth magnitude after the bilinear transform:
 * 1/sqrt(1 + (tan(pi f/fs)/tan(pi fc/fs))^(2 order)) (low-pass; high-pass inverts the ratio). */
double eeg_butter_magnitude(int highpass, int order, double fc, double f, double fs);
/* Zero-phase filtering of x (n samples) through the cascade into y (may equal x): odd
 * reflection of padlen samples at both ends (clamped to n-1), steady-state initial conditions
 * scaled by the edge value, forward pass, backward pass. The magnitude response is |H|^2 and
 * the phase is zero. NQ_ENOMEM, or NQ_EINVAL for n < 2. */
int eeg_sos_filtfilt(const eeg_biquad *sos, int nsec, const double *x, size_t n, size_t padlen,
                     double *y);

/* ---- spectra (eeg_psd.c) ---------------------------------------------------------------- */

/* Welch's PSD of x: Hann window of nperseg samples, step nperseg/2, each segment's mean
 * removed, one-sided density scaling (units of x squared per Hz: sum(psd) * df = mean power).
 * psd gets nperseg/2 + 1 values at k * fs / nperseg. bad (may be NULL) marks artefact
 * samples: only segments free of them are averaged while at least two are. Otherwise, with
 * reject > 0, segments whose power exceeds reject x the median segment power are left out
 * (never more than half of them). *used (may be NULL) gets the number averaged. NQ_EINVAL
 * when n < nperseg or nperseg < 8; NQ_ENOMEM. */
int eeg_welch(const double *x, size_t n, double fs, size_t nperseg, double reject,
              const unsigned char *bad, double *psd, unsigned *used);
/* The sum of psd bins with lo <= f < hi, times df (a rectangle-rule integral). */
double eeg_band_power(const double *psd, size_t nfreq, double df, double lo, double hi);

/* ---- the pipeline (eeg_features.c) ------------------------------------------------------ */

typedef struct eeg_quality {
    double line_frac;     /* power within 1 Hz of 50 and 60 Hz / total power (raw signal) */
    double flat_frac;     /* samples in runs of >= 50 ms of unchanged value */
    double clip_frac;     /* samples at the recording's extreme values (when that is > 0.5 %) */
    double artefact_frac; /* band-passed samples beyond 6 robust standard deviations */
    double score;         /* 100 * product of the (1 - penalty) terms; 0 for a dead signal */
} eeg_quality;

/* The feature vector of one recording: nchan channels of n samples each (chan[c][i], µV by
 * convention; any unit works as long as enrolment and probes agree) at fs Hz. feat receives
 * nchan * EEG_NFEAT values; q (may be NULL) the worst channel's quality. Refuses, with
 * NQ_EINVAL and a message: fs outside [EEG_FS_MIN, EEG_FS_MAX] ("Invalid sampling rate: ..."),
 * nchan outside 1..EEG_MAX_CHANNELS, n < 4 s of samples ("Insufficient data: got N samples,
 * need at least M"), n > EEG_MAX_SAMPLES, a value that is not finite or beyond 1e6 in
 * magnitude, and quality below EEG_MIN_QUALITY ("Signal quality too low: Q%"). */
int eeg_features(const double *const *chan, unsigned nchan, size_t n, double fs, double *feat,
                 eeg_quality *q, nq_err *e);
/* Samples needed at fs (4 s). */
size_t eeg_min_samples(double fs);
/* The name of feature j of a channel (0 <= j < EEG_NFEAT), e.g. "log_alpha_power". */
const char *eeg_feature_name(unsigned j);

/* ---- templates and scores (eeg_template.c) ---------------------------------------------- */

typedef struct eeg_template {
    unsigned nchan;   /* channels; the vectors hold nchan * EEG_NFEAT values */
    uint32_t count;   /* samples folded in */
    double *mean, *m2; /* malloc'd; m2 = sum of squared deviations from the mean */
} eeg_template;

/* An empty template for nchan channels (allocates; eeg_template_free releases). */
int eeg_template_init(eeg_template *t, unsigned nchan);
void eeg_template_free(eeg_template *t);
/* Fold one feature vector (nchan * EEG_NFEAT values) into the template. */
void eeg_template_add(eeg_template *t, const double *feat);
/* Similarity of a probe to the template in (0, 1], and (d2 may be NULL) the mean clipped
 * squared standardised distance. The template must hold at least one sample. */
double eeg_template_score(const eeg_template *t, const double *feat, double *d2);
/* Mean squared standardised distance -> similarity, and back (the documented mapping). */
double eeg_similarity_from_d2(double d2);

/* Serialised form: "NQEEG1\0\0", u32 version, u32 nchan, u32 nfeat, u32 count, then mean and
 * m2 as IEEE-754 binary64, all little-endian. *out is malloc'd (caller frees). */
int eeg_template_serialize(const eeg_template *t, unsigned char **out, size_t *len);
/* Parse what eeg_template_serialize wrote; NQ_ECORRUPT for anything else. t is initialised. */
int eeg_template_parse(const unsigned char *p, size_t len, eeg_template *t, nq_err *e);

#endif
