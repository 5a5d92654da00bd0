/*
 * bench_eeg.c — the EEG biometric pipeline (src/biometric) on synthetic EEG: false accept
 * rate, false reject rate and equal error rate, and the processing time per probe.
 *
 * Data (eeg_synth.h): --subjects subjects (default 50), --sessions recordings each (default 6),
 * of --seconds s (16) at --fs Hz (256) with --channels channels (2), with artefacts (eye blinks,
 * 50/60 Hz line noise, clipping) unless --clean. The first --enrol sessions (3) of a subject
 * build its template; every later session of every subject is scored against every template:
 * its own (genuine) and everyone else's (impostor). Printed: the counts, FAR and FRR at the
 * default threshold EEG_DEFAULT_THRESHOLD (or --threshold), the EER and the threshold where it
 * occurs, a sweep of thresholds, the mean similarities, and the time per probe (features of
 * one recording plus one score). Then the same with variations (1 channel, 4 s recordings,
 * 512 Hz, no artefacts), so the effect of each is visible in one run.
 *
 * The anchor is the upstream matcher (reference section 3): cosine similarity of the band
 * power vector [delta, theta, alpha, beta, gamma, alpha/beta, theta/alpha] (linear powers, one
 * enrolment sample) against 0.85, computed here on the same recordings with our filtered
 * Welch band powers (so it is upstream's decision rule, not its broken signal processing).
 *
 * SYNTHETIC DATA PROVES THE PIPELINE, NOT REAL-WORLD SECURITY.
 *
 * usage: bench_eeg [--subjects N] [--sessions N] [--enrol N] [--seconds S] [--fs HZ]
 *                  [--channels N] [--seed N] [--threshold T] [--clean] [--quick]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "eeg.h"
#include "eeg_synth.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

static void run(const char *label, const eeg_eval_opts *o, int sweep)
{
    eeg_eval_result r;
    nq_err e;
    double t0 = bu_now();
    if (eeg_evaluate(o, &r, &e) != 0) {
        fprintf(stderr, "bench_eeg: %s: %s\n", label, e.msg);
        exit(1);
    }
    double wall = bu_now() - t0;
    printf("%-34s subjects %u, sessions %u (enrol %u), %u ch, %.0f s at %.0f Hz, artefacts %s\n",
           label, o->subjects, o->sessions, o->enrol_sessions, o->nchan, o->seconds, o->fs,
           o->artefacts ? "yes" : "no");
    printf("  comparisons: genuine %u, impostor %u; recordings refused by the quality check: %u\n",
           r.genuine, r.impostor, r.refused);
    printf("  at threshold %.2f: FAR %.4f%%  FRR %.2f%%\n", o->threshold, 100 * r.far,
           100 * r.frr);
    printf("  EER %.2f%% at threshold %.3f (FAR %.3f%%, FRR %.2f%%)\n", 100 * r.eer,
           r.eer_threshold, 100 * r.far_at_eer_thr, 100 * r.frr_at_eer_thr);
    printf("  mean similarity: genuine %.3f, impostor %.4f\n", r.genuine_mean, r.impostor_mean);
    printf("  time per probe (features + score): %.3f ms; whole run %.2f s\n", r.ms_per_probe,
           wall);
    if (sweep) {
        printf("  threshold   FAR%%      FRR%%\n");
        for (int i = 0; i < EEG_EVAL_SWEEP; i++)
            printf("  %.2f      %7.3f  %7.2f\n", 0.05 * (i + 1), 100 * r.sweep_far[i],
                   100 * r.sweep_frr[i]);
    }
    printf("\n");
}

/* The upstream matcher on the same data: cosine of [d, t, a, b, g, a/b, t/a] >= 0.85 against
 * the first enrolment session. */
static void upstream_anchor(const eeg_eval_opts *o)
{
    unsigned S = o->subjects, K = o->sessions, D = o->nchan * EEG_NFEAT;
    size_t n = (size_t)llround(o->seconds * o->fs);
    eeg_synth_opts so = {.fs = o->fs, .n = n, .nchan = o->nchan, .artefacts = o->artefacts};
    double *buf = malloc((size_t)o->nchan * n * sizeof *buf), *chan[EEG_MAX_CHANNELS];
    double *vec = calloc((size_t)S * K * 7, sizeof *vec);
    unsigned char *ok = calloc((size_t)S * K, 1);
    double *feat = malloc(D * sizeof *feat);
    for (unsigned c = 0; c < o->nchan; c++)
        chan[c] = buf + (size_t)c * n;
    for (unsigned s = 0; s < S; s++) {
        eeg_subject subj;
        eeg_synth_subject(o->seed, s, &subj);
        for (unsigned k = 0; k < K; k++) {
            eeg_synth_record(&subj, o->seed, s, k, &so, chan);
            if (eeg_features((const double *const *)chan, o->nchan, n, o->fs, feat, NULL, NULL))
                continue;
            double *v = vec + ((size_t)s * K + k) * 7, p[5];
            for (int b = 0; b < 5; b++)
                p[b] = pow(10, feat[b]); /* channel 0, as upstream had one channel */
            for (int b = 0; b < 5; b++)
                v[b] = p[b];
            v[5] = p[2] / p[3];
            v[6] = p[1] / p[2];
            ok[(size_t)s * K + k] = 1;
        }
    }
    unsigned g = 0, ga = 0, im = 0, ia = 0;
    for (unsigned t = 0; t < S; t++) {
        const double *tv = vec + (size_t)t * K * 7;
        if (!ok[(size_t)t * K])
            continue;
        for (unsigned p = 0; p < S; p++)
            for (unsigned k = o->enrol_sessions; k < K; k++) {
                if (!ok[(size_t)p * K + k])
                    continue;
                const double *pv = vec + ((size_t)p * K + k) * 7;
                double dot = 0, nt = 0, np = 0;
                for (int j = 0; j < 7; j++)
                    dot += tv[j] * pv[j], nt += tv[j] * tv[j], np += pv[j] * pv[j];
                int acc = dot / sqrt(nt * np) >= 0.85;
                if (p == t)
                    g++, ga += (unsigned)acc;
                else
                    im++, ia += (unsigned)acc;
            }
    }
    printf("anchor: upstream matcher (cosine of 7 band-power values >= 0.85, 1 enrolment sample)\n");
    printf("  FAR %.2f%%  FRR %.2f%%  (genuine %u, impostor %u)\n\n", 100.0 * ia / im,
           100.0 * (g - ga) / g, g, im);
    free(buf), free(vec), free(ok), free(feat);
}

int main(int argc, char **argv)
{
    eeg_eval_opts o = {.seed = 20261124, .subjects = 50, .sessions = 6, .enrol_sessions = 3,
                       .nchan = 2, .fs = 256, .seconds = 16, .artefacts = 1,
                       .threshold = EEG_DEFAULT_THRESHOLD};
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--clean")) {
            o.artefacts = 0;
            continue;
        }
        if (!strcmp(a, "--quick")) {
            quick = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "usage: see the comment at the top of bench/bench_eeg.c\n");
            return 2;
        }
        i++;
        if (!strcmp(a, "--subjects"))
            o.subjects = (unsigned)atoi(v);
        else if (!strcmp(a, "--sessions"))
            o.sessions = (unsigned)atoi(v);
        else if (!strcmp(a, "--enrol"))
            o.enrol_sessions = (unsigned)atoi(v);
        else if (!strcmp(a, "--seconds"))
            o.seconds = atof(v);
        else if (!strcmp(a, "--fs"))
            o.fs = atof(v);
        else if (!strcmp(a, "--channels"))
            o.nchan = (unsigned)atoi(v);
        else if (!strcmp(a, "--seed"))
            o.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--threshold"))
            o.threshold = atof(v);
        else {
            fprintf(stderr, "bench_eeg: unknown option %s\n", a);
            return 2;
        }
    }
    char cpu[128];
    bu_cpu_model(cpu, sizeof cpu);
    printf("bench_eeg: EEG verification on synthetic EEG (seed %llu)\n",
           (unsigned long long)o.seed);
    printf("SYNTHETIC DATA PROVES THE PIPELINE, NOT REAL-WORLD SECURITY.\n");
    printf("cpu: %s; build type: %s\n\n", cpu, NQ_BENCH_BUILD_TYPE);
    run("main configuration", &o, 1);
    upstream_anchor(&o);
    if (quick)
        return 0;
    eeg_eval_opts v = o;
    v.nchan = 1;
    run("one channel", &v, 0);
    v = o;
    v.seconds = 4;
    run("4 s recordings (the minimum)", &v, 0);
    v = o;
    v.fs = 512;
    run("512 Hz", &v, 0);
    v = o;
    v.artefacts = 0;
    run("no artefacts", &v, 0);
    v = o;
    v.enrol_sessions = 1;
    v.sessions = 4;
    run("one enrolment session", &v, 0);
    return 0;
}
