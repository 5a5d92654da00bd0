/*
 * eeg_template.c — enrolment templates and the score of a probe (eeg.h).
 *
 * A template is the running mean and the sum of squared deviations m2 of every feature over
 * the enrolment samples (Welford's update, so samples can be added one at a time, later, in
 * any order, with the same result as a batch). The spread used for scoring shrinks the
 * sample variance towards a prior variance s0_j^2 of the feature's kind with
 * w = EEG_PRIOR_WEIGHT pseudo-samples:
 *     s_j^2 = (m2_j + w s0_j^2) / (count - 1 + w)
 * so a template of one sample scores with the prior alone, and a template of many samples
 * with essentially its own spread (a feature that happened to be almost constant over three
 * sessions cannot make every later probe look like an impostor). The priors are typical
 * within-subject spreads (session to session) of each feature kind.
 *
 * Score: z_j = (x_j - mean_j) / s_j; d2 = (1/D) sum_j min(z_j^2, 100) (one wild feature cannot
 * dominate); similarity = exp(-d2 / 2). For a genuine probe d2 is about 1 (similarity ~0.6);
 * for an impostor it grows with the distance between the two people's spectra.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eeg.h"

#define Z2_CLIP 100.0
#define TEMPLATE_VERSION 1u

/* Prior within-subject standard deviation of each feature of a channel (order of eeg.h). */
static const double prior_sd[EEG_NFEAT] = {
    0.15, 0.12, 0.10, 0.08, 0.09,       /* log10 band powers */
    0.08, 0.04, 0.04, 0.03, 0.007,      /* relative powers */
    0.13, 0.11, 0.14,                   /* log10 ratios */
    0.60,                               /* alpha peak frequency, Hz */
    0.14,                               /* log10 alpha peak excess over 1/f */
    0.15,                               /* 1/f slope */
    0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, /* log10 2 Hz profile */
    0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15,
};

int eeg_template_init(eeg_template *t, unsigned nchan)
{
    memset(t, 0, sizeof *t);
    if (nchan < 1 || nchan > EEG_MAX_CHANNELS)
        return NQ_EINVAL;
    size_t d = (size_t)nchan * EEG_NFEAT;
    t->mean = calloc(d, sizeof *t->mean);
    t->m2 = calloc(d, sizeof *t->m2);
    if (!t->mean || !t->m2) {
        eeg_template_free(t);
        return NQ_ENOMEM;
    }
    t->nchan = nchan;
    return 0;
}

void eeg_template_free(eeg_template *t)
{
    free(t->mean);
    free(t->m2);
    memset(t, 0, sizeof *t);
}

void eeg_template_add(eeg_template *t, const double *feat)
{
    size_t d = (size_t)t->nchan * EEG_NFEAT;
    t->count++;
    for (size_t j = 0; j < d; j++) {
        double delta = feat[j] - t->mean[j];
        t->mean[j] += delta / t->count;
        t->m2[j] += delta * (feat[j] - t->mean[j]);
    }
}

double eeg_similarity_from_d2(double d2)
{
    return exp(-d2 / 2);
}

double eeg_template_score(const eeg_template *t, const double *feat, double *d2out)
{
    size_t d = (size_t)t->nchan * EEG_NFEAT;
    double sum = 0;
    for (size_t j = 0; j < d; j++) {
        double s0 = prior_sd[j % EEG_NFEAT];
        double var = (t->m2[j] + EEG_PRIOR_WEIGHT * s0 * s0) /
                     ((double)t->count - 1 + EEG_PRIOR_WEIGHT);
        double z = (feat[j] - t->mean[j]) / sqrt(var);
        double z2 = z * z;
        sum += z2 < Z2_CLIP ? z2 : Z2_CLIP;
    }
    double d2 = sum / (double)d;
    if (d2out)
        *d2out = d2;
    return eeg_similarity_from_d2(d2);
}

/* ---- serialised form -------------------------------------------------------------------- */

static const unsigned char magic[8] = {'N', 'Q', 'E', 'E', 'G', '1', 0, 0};

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void putd(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static double getd(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

int eeg_template_serialize(const eeg_template *t, unsigned char **out, size_t *len)
{
    size_t d = (size_t)t->nchan * EEG_NFEAT, n = 8 + 16 + 16 * d;
    unsigned char *p = malloc(n);
    if (!p)
        return NQ_ENOMEM;
    memcpy(p, magic, 8);
    put32(p + 8, TEMPLATE_VERSION);
    put32(p + 12, t->nchan);
    put32(p + 16, EEG_NFEAT);
    put32(p + 20, t->count);
    for (size_t j = 0; j < d; j++) {
        putd(p + 24 + 8 * j, t->mean[j]);
        putd(p + 24 + 8 * (d + j), t->m2[j]);
    }
    *out = p;
    *len = n;
    return 0;
}

int eeg_template_parse(const unsigned char *p, size_t len, eeg_template *t, nq_err *e)
{
    memset(t, 0, sizeof *t);
    if (len < 24 || memcmp(p, magic, 8) != 0)
        return nq_err_set(e, NQ_ECORRUPT, "not an EEG template");
    uint32_t ver = get32(p + 8), nchan = get32(p + 12), nfeat = get32(p + 16);
    uint32_t count = get32(p + 20);
    if (ver != TEMPLATE_VERSION || nfeat != EEG_NFEAT)
        return nq_err_set(e, NQ_ECORRUPT,
                          "EEG template of another version (%u, %u features a channel): "
                          "enrol again",
                          ver, nfeat);
    if (nchan < 1 || nchan > EEG_MAX_CHANNELS || count < 1 ||
        len != 24 + 16 * (size_t)nchan * EEG_NFEAT)
        return nq_err_set(e, NQ_ECORRUPT, "damaged EEG template");
    int rc = eeg_template_init(t, nchan);
    if (rc)
        return nq_err_set(e, rc, "out of memory");
    size_t d = (size_t)nchan * EEG_NFEAT;
    for (size_t j = 0; j < d; j++) {
        t->mean[j] = getd(p + 24 + 8 * j);
        t->m2[j] = getd(p + 24 + 8 * (d + j));
        if (!isfinite(t->mean[j]) || !isfinite(t->m2[j]) || t->m2[j] < 0) {
            eeg_template_free(t);
            return nq_err_set(e, NQ_ECORRUPT, "damaged EEG template");
        }
    }
    t->count = count;
    return 0;
}
