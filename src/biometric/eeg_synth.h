/*
 * eeg_synth.h — synthetic EEG for evaluating the pipeline (nqbio), and the evaluation itself.
 *
 * SYNTHETIC DATA PROVES THE PIPELINE, NOT REAL-WORLD SECURITY: the generator draws subjects
 * from a simple spectral model, and a method that separates them shows that filters, spectra,
 * features, templates and scores work as designed, nothing about how well real people's EEG
 * can be told apart.
 *
 * Model (one-sided PSD of channel c, µV^2/Hz):
 *   S(f) = g_c^2 [ B (1 + f)^(-chi) + A_th N(f; f_th, 1) + h_c A_al N(f; f_al, w_al)
 *                  + A_be N(f; f_be, w_be) ] + N0
 * with N(f; m, w) = exp(-(f - m)^2 / (2 w^2)). A subject fixes B, chi (1/f background),
 * the individual alpha frequency f_al (8.5..12 Hz), width and amplitude, theta and beta
 * peaks, and per-channel gains g_c and alpha weights h_c. A session perturbs each slightly
 * (alpha frequency +-0.15 Hz, amplitudes ~8 %, chi +-0.05), and a recording is a Gaussian
 * process with that spectrum (random phases and Rayleigh amplitudes, inverse real FFT), plus
 * artefacts drawn per session: eye blinks (positive 0.15 s bumps of 60..200 µV, strongest on
 * channel 0), line noise at 50 or 60 Hz (2..20 µV), and now and then clipping at the 99.5th
 * percentile of |x|. Everything is drawn from nq_rng seeded by (seed, subject, session), so a
 * data set is reproducible from its seed.
 */
#ifndef NQ_BIOMETRIC_EEG_SYNTH_H
#define NQ_BIOMETRIC_EEG_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "eeg.h"

typedef struct eeg_subject {
    double B, chi, f_al, w_al, a_al, f_th, a_th, f_be, w_be, a_be;
    double gain[EEG_MAX_CHANNELS], alpha_w[EEG_MAX_CHANNELS];
} eeg_subject;

/* The spectral signature of subject number `subject` of the data set `seed`. */
void eeg_synth_subject(uint64_t seed, unsigned subject, eeg_subject *s);

typedef struct eeg_synth_opts {
    double fs;        /* sampling rate, Hz */
    size_t n;         /* samples per channel */
    unsigned nchan;   /* 1..EEG_MAX_CHANNELS */
    int artefacts;    /* 0: clean recordings; 1: blinks, line noise, clipping as drawn */
} eeg_synth_opts;

/* One recording of session `session` of subject s into out[c][0..n) for c < nchan (caller's
 * buffers). NQ_EINVAL for bad options, NQ_ENOMEM. */
int eeg_synth_record(const eeg_subject *s, uint64_t seed, unsigned subject, unsigned session,
                     const eeg_synth_opts *o, double *const *out);

/* ---- evaluation (eeg_eval.c) ------------------------------------------------------------ */

typedef struct eeg_eval_opts {
    uint64_t seed;
    unsigned subjects;       /* e.g. 50 */
    unsigned sessions;       /* per subject, e.g. 6 */
    unsigned enrol_sessions; /* the first ones build the template; the rest are probes */
    unsigned nchan;
    double fs, seconds;
    int artefacts;
    double threshold;        /* the operating point reported as far/frr */
} eeg_eval_opts;

#define EEG_EVAL_SWEEP 19

typedef struct eeg_eval_result {
    unsigned genuine, impostor;       /* comparisons made */
    unsigned refused;                 /* recordings the quality check refused (probes and
                                         enrolment samples) */
    unsigned probes;                  /* probe recordings processed */
    double far, frr;                  /* at opts.threshold; a refused genuine probe is a reject */
    double eer, eer_threshold;        /* equal error rate and the threshold where it occurs */
    double far_at_eer_thr, frr_at_eer_thr;
    double ms_per_probe;              /* features + one score, mean wall time */
    double genuine_mean, impostor_mean; /* mean similarities */
    double sweep_far[EEG_EVAL_SWEEP], sweep_frr[EEG_EVAL_SWEEP]; /* at thresholds 0.05 (i+1) */
} eeg_eval_result;

/* Enrol every subject from its first enrol_sessions recordings and score every later
 * recording against every template (genuine: own; impostor: everyone else's). */
int eeg_evaluate(const eeg_eval_opts *o, eeg_eval_result *r, nq_err *e);

#endif
