/*
 * eeg_eval.c — the verification experiment on synthetic EEG (eeg_synth.h): enrol each
 * subject from its first sessions, score every later session of every subject against every
 * template, and report false accept and false reject rates at a threshold and the equal error
 * rate.
 *
 * Counting: a genuine comparison is a probe of subject p against p's template, an impostor
 * comparison a probe of p against q's template (q != p). A probe the quality check refuses is
 * a false reject in every genuine comparison it takes part in (the user was turned away) and
 * takes part in no impostor comparison (it cannot be falsely accepted). FAR(t) = share of
 * impostor scores >= t, FRR(t) = share of genuine scores < t; the EER is (FAR + FRR) / 2 at the
 * threshold among the observed scores where |FAR - FRR| is smallest.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eeg_synth.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Share of v (sorted ascending, n values) that is >= t. */
static double share_ge(const double *v, size_t n, double t)
{
    size_t lo = 0, hi = n; /* first index with v >= t */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n ? (double)(n - lo) / (double)n : 0;
}

int eeg_evaluate(const eeg_eval_opts *o, eeg_eval_result *res, nq_err *e)
{
    memset(res, 0, sizeof *res);
    if (o->subjects < 2 || o->sessions <= o->enrol_sessions || o->enrol_sessions < 1 ||
        o->nchan < 1 || o->nchan > EEG_MAX_CHANNELS || !(o->seconds > 0))
        return nq_err_set(e, NQ_EINVAL, "bad evaluation options");
    unsigned S = o->subjects, P = o->sessions - o->enrol_sessions, D = o->nchan * EEG_NFEAT;
    size_t n = (size_t)llround(o->seconds * o->fs);
    eeg_synth_opts so = {.fs = o->fs, .n = n, .nchan = o->nchan, .artefacts = o->artefacts};
    double *buf = malloc((size_t)o->nchan * n * sizeof *buf);
    double *chan[EEG_MAX_CHANNELS];
    double *probe = malloc((size_t)S * P * D * sizeof *probe);
    unsigned char *probe_ok = calloc((size_t)S * P, 1), *has_t = calloc(S, 1);
    eeg_template *tpl = calloc(S, sizeof *tpl);
    double *gen = malloc((size_t)S * P * sizeof *gen);
    double *imp = malloc((size_t)S * P * S * sizeof *imp);
    double *feat = malloc(D * sizeof *feat);
    int rc = 0;
    if (!buf || !probe || !probe_ok || !has_t || !tpl || !gen || !imp || !feat) {
        rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    for (unsigned c = 0; c < o->nchan; c++)
        chan[c] = buf + (size_t)c * n;
    double t_feat = 0;
    for (unsigned s = 0; s < S && rc == 0; s++) {
        eeg_subject subj;
        eeg_synth_subject(o->seed, s, &subj);
        if ((rc = eeg_template_init(&tpl[s], o->nchan)) != 0) {
            nq_err_set(e, rc, "out of memory");
            break;
        }
        for (unsigned k = 0; k < o->sessions; k++) {
            if ((rc = eeg_synth_record(&subj, o->seed, s, k, &so, chan)) != 0) {
                nq_err_set(e, rc, "synthesis failed");
                break;
            }
            int enrol = k < o->enrol_sessions;
            double *dst = enrol ? feat : probe + ((size_t)s * P + (k - o->enrol_sessions)) * D;
            double t0 = now_ms();
            nq_err fe;
            int frc = eeg_features((const double *const *)chan, o->nchan, n, o->fs, dst, NULL,
                                   &fe);
            if (!enrol) {
                t_feat += now_ms() - t0;
                res->probes++;
            }
            if (frc == NQ_ENOMEM) {
                rc = nq_err_set(e, frc, "out of memory");
                break;
            }
            if (frc) {
                res->refused++;
                continue;
            }
            if (enrol) {
                eeg_template_add(&tpl[s], feat);
                has_t[s] = 1;
            } else {
                probe_ok[(size_t)s * P + (k - o->enrol_sessions)] = 1;
            }
        }
    }
    if (rc)
        goto done;
    size_t ng = 0, ni = 0;
    double t_score = 0;
    for (unsigned p = 0; p < S; p++) {
        for (unsigned k = 0; k < P; k++) {
            size_t pi = (size_t)p * P + k;
            for (unsigned t = 0; t < S; t++) {
                if (!has_t[t] && t != p)
                    continue;
                if (!probe_ok[pi] || !has_t[t]) {
                    if (t == p)
                        gen[ng++] = -1; /* refused or nothing enrolled: rejected */
                    continue;
                }
                double t0 = now_ms();
                double sc = eeg_template_score(&tpl[t], probe + pi * D, NULL);
                t_score += now_ms() - t0;
                if (t == p)
                    gen[ng++] = sc;
                else
                    imp[ni++] = sc;
            }
        }
    }
    res->genuine = (unsigned)ng;
    res->impostor = (unsigned)ni;
    res->ms_per_probe = res->probes ? t_feat / res->probes + t_score / (double)(ng + ni) : 0;
    qsort(gen, ng, sizeof *gen, cmp_double);
    qsort(imp, ni, sizeof *imp, cmp_double);
    double sg = 0, si = 0;
    for (size_t i = 0; i < ng; i++)
        sg += gen[i] < 0 ? 0 : gen[i];
    for (size_t i = 0; i < ni; i++)
        si += imp[i];
    res->genuine_mean = ng ? sg / (double)ng : 0;
    res->impostor_mean = ni ? si / (double)ni : 0;
    res->far = share_ge(imp, ni, o->threshold);
    res->frr = 1 - share_ge(gen, ng, o->threshold);
    for (int i = 0; i < EEG_EVAL_SWEEP; i++) {
        res->sweep_far[i] = share_ge(imp, ni, 0.05 * (i + 1));
        res->sweep_frr[i] = 1 - share_ge(gen, ng, 0.05 * (i + 1));
    }
    /* the EER: try every observed score as the threshold */
    double best = INFINITY;
    for (size_t i = 0; i < ng + ni; i++) {
        double t = i < ng ? gen[i] : imp[i - ng];
        if (t < 0)
            continue;
        double far = share_ge(imp, ni, t), frr = 1 - share_ge(gen, ng, t);
        double gap = fabs(far - frr);
        if (gap < best || (gap == best && t < res->eer_threshold)) {
            best = gap;
            res->eer = 0.5 * (far + frr);
            res->eer_threshold = t;
            res->far_at_eer_thr = far;
            res->frr_at_eer_thr = frr;
        }
    }
done:
    if (tpl)
        for (unsigned s = 0; s < S; s++)
            eeg_template_free(&tpl[s]);
    free(tpl);
    free(buf);
    free(probe);
    free(probe_ok);
    free(has_t);
    free(gen);
    free(imp);
    free(feat);
    return rc;
}
