/*
 * eeg_psd.c — Welch's power spectral density with FFTW 3, and band powers.
 *
 * Welch: the signal is cut into segments of L = nperseg samples with step L/2 (50 % overlap);
 * each segment has its mean removed, is multiplied by the periodic Hann window
 * w[i] = 0.5 - 0.5 cos(2 pi i / L) and transformed (real-to-complex FFT). The one-sided
 * density of a segment is P[k] = c_k |X[k]|^2 / (fs * sum w^2), with c_k = 2 except at
 * k = 0 and k = L/2 (c = 1), so that sum_k P[k] * (fs/L) is the segment's mean power (Parseval
 * with the window's power normalised away). The segments' densities are averaged.
 *
 * Artefact-robust averaging: an eye blink or a movement puts a large, short burst into one or
 * two segments. With a mask of marked (artefact) samples, only the segments without a marked
 * sample are averaged, as long as at least two are left. Otherwise, with reject > 0, a segment whose total power exceeds reject times the median
 * segment power is left out of the average (at most half of the segments are dropped, the
 * loudest first, so a recording is never reduced to its outliers).
 *
 * FFTW's planner keeps global state and is not thread-safe (only fftw_execute* is), so plans
 * are created and destroyed under one process-wide mutex: the only mutable static in this
 * library, and it guards FFTW's own global, not ours. Plans use FFTW_ESTIMATE (no timing
 * runs), so results are deterministic.
 */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eeg.h"
#include "eeg_int.h"

static pthread_mutex_t planner_mu = PTHREAD_MUTEX_INITIALIZER;

void eeg_fftw_lock(void)
{
    pthread_mutex_lock(&planner_mu);
}

void eeg_fftw_unlock(void)
{
    pthread_mutex_unlock(&planner_mu);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int eeg_welch(const double *x, size_t n, double fs, size_t nperseg, double reject,
              const unsigned char *bad, double *psd, unsigned *used)
{
    if (used)
        *used = 0;
    if (nperseg < 8 || n < nperseg || !(fs > 0) || nperseg > (size_t)1 << 24)
        return NQ_EINVAL;
    size_t L = nperseg, nf = L / 2 + 1, step = L / 2;
    size_t nseg = (n - L) / step + 1;
    double *in = fftw_malloc(L * sizeof *in);
    fftw_complex *out = fftw_malloc(nf * sizeof *out);
    double *win = malloc(L * sizeof *win);
    double *seg = malloc(nseg * nf * sizeof *seg); /* each segment's density */
    double *pw = malloc(nseg * sizeof *pw), *sorted = malloc(nseg * sizeof *sorted);
    int rc = 0;
    fftw_plan plan = NULL;
    if (!in || !out || !win || !seg || !pw || !sorted) {
        rc = NQ_ENOMEM;
        goto done;
    }
    pthread_mutex_lock(&planner_mu);
    plan = fftw_plan_dft_r2c_1d((int)L, in, out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner_mu);
    if (!plan) {
        rc = NQ_ENOMEM;
        goto done;
    }
    double wss = 0;
    for (size_t i = 0; i < L; i++) {
        win[i] = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)L);
        wss += win[i] * win[i];
    }
    double scale = 1.0 / (fs * wss), df = fs / (double)L;
    for (size_t s = 0; s < nseg; s++) {
        const double *xs = x + s * step;
        double mean = 0;
        for (size_t i = 0; i < L; i++)
            mean += xs[i];
        mean /= (double)L;
        for (size_t i = 0; i < L; i++)
            in[i] = (xs[i] - mean) * win[i];
        fftw_execute(plan);
        double *p = seg + s * nf, tot = 0;
        for (size_t k = 0; k < nf; k++) {
            double m2 = out[k][0] * out[k][0] + out[k][1] * out[k][1];
            double c = (k == 0 || (L % 2 == 0 && k == L / 2)) ? 1.0 : 2.0;
            p[k] = c * m2 * scale;
            tot += p[k];
        }
        pw[s] = tot * df;
    }
    /* which segments to average: with a mask, the segments without a marked sample when at
     * least two (or all, if fewer than two segments exist) are clean */
    if (bad) {
        unsigned clean = 0;
        for (size_t s = 0; s < nseg; s++) {
            int ok = 1;
            for (size_t i = s * step; i < s * step + L && ok; i++)
                ok = !bad[i];
            sorted[s] = ok;
            clean += (unsigned)ok;
        }
        if (clean >= 2 || clean == nseg) {
            memset(psd, 0, nf * sizeof *psd);
            for (size_t s = 0; s < nseg; s++)
                if (sorted[s] != 0)
                    for (size_t k = 0; k < nf; k++)
                        psd[k] += seg[s * nf + k];
            for (size_t k = 0; k < nf; k++)
                psd[k] /= clean;
            if (used)
                *used = clean;
            goto done;
        }
    }
    memcpy(sorted, pw, nseg * sizeof *sorted);
    qsort(sorted, nseg, sizeof *sorted, cmp_double);
    double median = nseg % 2 ? sorted[nseg / 2] : 0.5 * (sorted[nseg / 2 - 1] + sorted[nseg / 2]);
    double cut = INFINITY;
    if (reject > 0 && nseg >= 3) {
        cut = reject * median;
        /* never drop more than half: the cut is at least the value of the middle segment */
        if (cut < sorted[(nseg - 1) / 2])
            cut = sorted[(nseg - 1) / 2];
    }
    memset(psd, 0, nf * sizeof *psd);
    unsigned k_used = 0;
    for (size_t s = 0; s < nseg; s++) {
        if (pw[s] > cut)
            continue;
        for (size_t k = 0; k < nf; k++)
            psd[k] += seg[s * nf + k];
        k_used++;
    }
    for (size_t k = 0; k < nf; k++)
        psd[k] /= k_used;
    if (used)
        *used = k_used;
done:
    if (plan) {
        pthread_mutex_lock(&planner_mu);
        fftw_destroy_plan(plan);
        pthread_mutex_unlock(&planner_mu);
    }
    fftw_free(in);
    fftw_free(out);
    free(win);
    free(seg);
    free(pw);
    free(sorted);
    return rc;
}

double eeg_band_power(const double *psd, size_t nfreq, double df, double lo, double hi)
{
    double s = 0;
    for (size_t k = 0; k < nfreq; k++) {
        double f = (double)k * df;
        if (f >= lo && f < hi)
            s += psd[k];
    }
    return s * df;
}
