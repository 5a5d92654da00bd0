/*
 * biometric_cmds.c — `nqdb biometric`:
 *
 *   nqdb biometric synth --subject N [--session K] [--seed S] [--fs HZ] [--seconds T]
 *                        [--channels C] [--clean]
 *       one synthetic EEG recording (eeg_synth.h) of subject N, session K of the data set S
 *       (defaults: session 0, seed 20261124, 256 Hz, 16 s, 2 channels, artefacts as drawn)
 *       as a JSON document {"subject","session","seed","sampling_rate","raw_eeg_data":
 *       [[channel 0], [channel 1], ...]} with values rounded to 1e-4 µV: the body of
 *       POST /api/v1/biometric/eeg/enroll once a user_id is added (tests/server use it)
 *   nqdb biometric eval [--subjects N] [--sessions N] [--enrol N] [--seconds T] [--fs HZ]
 *                       [--channels C] [--seed S] [--threshold T] [--clean]
 *       the evaluation of bench/bench_eeg.c's main configuration, as JSON
 *
 * Synthetic data proves the pipeline, not real-world security (docs/security.md).
 */
#include "biometric_cmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eeg.h"
#include "eeg_synth.h"

static int usage(FILE *out)
{
    fprintf(out,
            "usage: nqdb biometric synth --subject N [--session K] [--seed S] [--fs HZ]\n"
            "                            [--seconds T] [--channels C] [--clean]\n"
            "       nqdb biometric eval [--subjects N] [--sessions N] [--enrol N] [--seconds T]\n"
            "                           [--fs HZ] [--channels C] [--seed S] [--threshold T]\n"
            "                           [--clean]\n"
            "synth prints one synthetic EEG recording as JSON; eval runs the verification\n"
            "experiment on synthetic subjects (FAR, FRR, EER). Synthetic data proves the\n"
            "pipeline, not real-world security.\n");
    return out == stdout ? 0 : 2;
}

/* A number option: 0, or 2 after a message. */
static int num(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = v ? strtod(v, &end) : 0;
    if (!v || *end || end == v || !(d >= lo && d <= hi)) {
        fprintf(stderr, "nqdb biometric: %s needs a number in [%g, %g]\n", opt, lo, hi);
        return 2;
    }
    *out = d;
    return 0;
}

static int synth(int argc, char **argv)
{
    double subject = -1, session = 0, seed = 20261124, fs = 256, seconds = 16, chans = 2;
    int clean = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--clean")) {
            clean = 1;
            continue;
        } else if (!strcmp(a, "--help")) {
            return usage(stdout);
        } else if (!strcmp(a, "--subject")) {
            rc = num(a, v, 0, 1e9, &subject);
        } else if (!strcmp(a, "--session")) {
            rc = num(a, v, 0, 1e9, &session);
        } else if (!strcmp(a, "--seed")) {
            rc = num(a, v, 0, 9007199254740992.0, &seed);
        } else if (!strcmp(a, "--fs")) {
            rc = num(a, v, 8, 100000, &fs);
        } else if (!strcmp(a, "--seconds")) {
            rc = num(a, v, 0.1, 600, &seconds);
        } else if (!strcmp(a, "--channels")) {
            rc = num(a, v, 1, EEG_MAX_CHANNELS, &chans);
        } else {
            fprintf(stderr, "nqdb biometric synth: unknown option %s\n", a);
            return usage(stderr);
        }
        if (rc)
            return rc;
        i++;
    }
    if (subject < 0) {
        fprintf(stderr, "nqdb biometric synth: --subject N is required\n");
        return 2;
    }
    eeg_subject s;
    eeg_synth_subject((uint64_t)seed, (unsigned)subject, &s);
    eeg_synth_opts o = {.fs = fs, .n = (size_t)(seconds * fs + 0.5), .nchan = (unsigned)chans,
                        .artefacts = !clean};
    double *buf = malloc(o.n * o.nchan * sizeof *buf), *ch[EEG_MAX_CHANNELS];
    if (!buf) {
        fprintf(stderr, "nqdb biometric synth: out of memory\n");
        return 2;
    }
    for (unsigned c = 0; c < o.nchan; c++)
        ch[c] = buf + (size_t)c * o.n;
    if (eeg_synth_record(&s, (uint64_t)seed, (unsigned)subject, (unsigned)session, &o, ch)) {
        fprintf(stderr, "nqdb biometric synth: bad options\n");
        free(buf);
        return 2;
    }
    printf("{\"subject\":%u,\"session\":%u,\"seed\":%llu,\"sampling_rate\":%g,"
           "\"raw_eeg_data\":[",
           (unsigned)subject, (unsigned)session, (unsigned long long)seed, fs);
    for (unsigned c = 0; c < o.nchan; c++) {
        printf("%s[", c ? "," : "");
        for (size_t i = 0; i < o.n; i++)
            printf("%s%.4f", i ? "," : "", ch[c][i]);
        printf("]");
    }
    printf("]}\n");
    free(buf);
    return fflush(stdout) == 0 ? 0 : 2;
}

static int eval(int argc, char **argv)
{
    eeg_eval_opts o = {.seed = 20261124, .subjects = 50, .sessions = 6, .enrol_sessions = 3,
                       .nchan = 2, .fs = 256, .seconds = 16, .artefacts = 1,
                       .threshold = EEG_DEFAULT_THRESHOLD};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d = 0;
        int rc = 0;
        if (!strcmp(a, "--clean")) {
            o.artefacts = 0;
            continue;
        } else if (!strcmp(a, "--subjects")) {
            rc = num(a, v, 2, 100000, &d), o.subjects = (unsigned)d;
        } else if (!strcmp(a, "--sessions")) {
            rc = num(a, v, 2, 1000, &d), o.sessions = (unsigned)d;
        } else if (!strcmp(a, "--enrol")) {
            rc = num(a, v, 1, 999, &d), o.enrol_sessions = (unsigned)d;
        } else if (!strcmp(a, "--seconds")) {
            rc = num(a, v, 1, 600, &o.seconds);
        } else if (!strcmp(a, "--fs")) {
            rc = num(a, v, EEG_FS_MIN, EEG_FS_MAX, &o.fs);
        } else if (!strcmp(a, "--channels")) {
            rc = num(a, v, 1, EEG_MAX_CHANNELS, &d), o.nchan = (unsigned)d;
        } else if (!strcmp(a, "--seed")) {
            rc = num(a, v, 0, 9007199254740992.0, &d), o.seed = (uint64_t)d;
        } else if (!strcmp(a, "--threshold")) {
            rc = num(a, v, 0, 1, &o.threshold);
        } else {
            fprintf(stderr, "nqdb biometric eval: unknown option %s\n", a);
            return usage(stderr);
        }
        if (rc)
            return rc;
        i++;
    }
    eeg_eval_result r;
    nq_err e;
    if (eeg_evaluate(&o, &r, &e) != 0) {
        fprintf(stderr, "nqdb biometric eval: %s\n", e.msg);
        return 2;
    }
    printf("{\"synthetic\":true,\"subjects\":%u,\"sessions\":%u,\"enrol_sessions\":%u,"
           "\"channels\":%u,\"sampling_rate\":%g,\"seconds\":%g,\"artefacts\":%s,"
           "\"genuine\":%u,\"impostor\":%u,\"refused\":%u,\"threshold\":%g,\"far\":%.6f,"
           "\"frr\":%.6f,\"eer\":%.6f,\"eer_threshold\":%.4f,\"ms_per_probe\":%.3f}\n",
           o.subjects, o.sessions, o.enrol_sessions, o.nchan, o.fs, o.seconds,
           o.artefacts ? "true" : "false", r.genuine, r.impostor, r.refused, o.threshold, r.far,
           r.frr, r.eer, r.eer_threshold, r.ms_per_probe);
    return 0;
}

int cmd_biometric(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
        return usage(argc < 2 ? stderr : stdout);
    if (!strcmp(argv[1], "synth"))
        return synth(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval"))
        return eval(argc - 1, argv + 1);
    fprintf(stderr, "nqdb biometric: unknown subcommand %s\n", argv[1]);
    return usage(stderr);
}
