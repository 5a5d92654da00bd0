/*
 * eeg_synth.c — the synthetic EEG generator (model in eeg_synth.h).
 *
 * A recording of n samples is made in the frequency domain: for 0 < k < n/2 the coefficient
 * X[k] has independent Gaussian real and imaginary parts of variance n fs S(f_k) / 4, so that
 * E|X[k]|^2 = n fs S(f_k) / 2; X[0] = 0 and the Nyquist bin (even n) is real. The inverse real
 * FFT divided by n then has the one-sided density S: (1/n) sum x^2 = df sum_k S(f_k) in
 * expectation. Artefacts are added in the time domain afterwards.
 *
 * Randomness: one nq_rng per (seed, subject, session) stream, seeded by a SplitMix-style mix
 * of the three numbers; session UINT32_MAX is the subject's own stream (its signature).
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "eeg_int.h"
#include "eeg_synth.h"

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void stream(nq_rng *r, uint64_t seed, unsigned subject, uint32_t session)
{
    nq_rng_seed(r, mix(mix(mix(seed) ^ subject) ^ session));
}

static double uni(nq_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * nq_rng_double(r);
}

static double gauss(nq_rng *r)
{
    double u1 = nq_rng_double(r), u2 = nq_rng_double(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

void eeg_synth_subject(uint64_t seed, unsigned subject, eeg_subject *s)
{
    nq_rng r;
    stream(&r, seed, subject, UINT32_MAX);
    memset(s, 0, sizeof *s);
    s->B = pow(10, uni(&r, 1.7, 2.3));
    s->chi = uni(&r, 1.2, 2.0);
    s->f_al = uni(&r, 8.5, 12.0);
    s->w_al = uni(&r, 0.6, 1.4);
    s->a_al = s->B * pow(10, uni(&r, -2.0, -0.8));
    s->f_th = uni(&r, 5.0, 7.0);
    s->a_th = s->B * pow(10, uni(&r, -2.5, -1.5));
    s->f_be = uni(&r, 16.0, 24.0);
    s->w_be = uni(&r, 2.0, 4.0);
    s->a_be = s->B * pow(10, uni(&r, -3.0, -2.0));
    for (int c = 0; c < EEG_MAX_CHANNELS; c++) {
        s->gain[c] = pow(10, uni(&r, -0.15, 0.15));
        s->alpha_w[c] = uni(&r, 0.5, 1.5);
    }
}

static double bump(double f, double m, double w)
{
    double d = (f - m) / w;
    return exp(-0.5 * d * d);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int eeg_synth_record(const eeg_subject *s0, uint64_t seed, unsigned subject, unsigned session,
                     const eeg_synth_opts *o, double *const *out)
{
    if (!(o->fs >= 8) || o->n < 16 || o->nchan < 1 || o->nchan > EEG_MAX_CHANNELS)
        return NQ_EINVAL;
    nq_rng r;
    stream(&r, seed, subject, session);
    /* this session's version of the subject */
    eeg_subject s = *s0;
    s.B *= pow(10, 0.04 * gauss(&r));
    s.chi += 0.04 * gauss(&r);
    s.f_al += 0.15 * gauss(&r);
    s.w_al *= pow(10, 0.04 * gauss(&r));
    s.a_al *= pow(10, 0.08 * gauss(&r));
    s.f_th += 0.2 * gauss(&r);
    s.a_th *= pow(10, 0.08 * gauss(&r));
    s.f_be += 0.5 * gauss(&r);
    s.a_be *= pow(10, 0.08 * gauss(&r));
    for (unsigned c = 0; c < o->nchan; c++)
        s.gain[c] *= pow(10, 0.02 * gauss(&r));
    const double N0 = 0.01;

    size_t n = o->n, nf = n / 2 + 1;
    double fs = o->fs, df = fs / (double)n;
    fftw_complex *X = fftw_malloc(nf * sizeof *X);
    double *x = fftw_malloc(n * sizeof *x), *tmp = malloc(n * sizeof *tmp);
    fftw_plan plan = NULL;
    if (X && x && tmp) {
        eeg_fftw_lock();
        plan = fftw_plan_dft_c2r_1d((int)n, X, x, FFTW_ESTIMATE);
        eeg_fftw_unlock();
    }
    if (!plan) {
        fftw_free(X);
        fftw_free(x);
        free(tmp);
        return NQ_ENOMEM;
    }
    /* artefacts of the session (drawn even when unused, so clean and artefact data sets share
     * their EEG) */
    int blinks = nq_rng_double(&r) < 0.6;
    unsigned nblink = 1 + (unsigned)nq_rng_below(&r, 1 + (uint64_t)((double)n / fs / 3));
    int line = nq_rng_double(&r) < 0.7;
    double line_f = nq_rng_double(&r) < 0.5 ? 50 : 60, line_a = uni(&r, 2, 20);
    int clip = nq_rng_double(&r) < 0.1;

    for (unsigned c = 0; c < o->nchan; c++) {
        double g2 = s.gain[c] * s.gain[c];
        X[0][0] = X[0][1] = 0;
        for (size_t k = 1; k < nf; k++) {
            double f = (double)k * df;
            double S = g2 * (s.B * pow(1 + f, -s.chi) + s.a_th * bump(f, s.f_th, 1.0) +
                             s.alpha_w[c] * s.a_al * bump(f, s.f_al, s.w_al) +
                             s.a_be * bump(f, s.f_be, s.w_be)) +
                       N0;
            double sd = sqrt((double)n * fs * S / 4);
            X[k][0] = sd * gauss(&r);
            X[k][1] = sd * gauss(&r);
            if (n % 2 == 0 && k == n / 2) {
                X[k][0] *= M_SQRT2;
                X[k][1] = 0;
            }
        }
        fftw_execute(plan);
        double *y = out[c];
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] / (double)n;
        if (!o->artefacts)
            continue;
        nq_rng ra; /* the same artefact times on every channel */
        stream(&ra, seed ^ 0xA11CEull, subject, session);
        if (blinks) {
            double wc = 1.0 / (1 + c), sig = 0.05 * fs;
            for (unsigned b = 0; b < nblink; b++) {
                double t0 = uni(&ra, 0, (double)n), amp = uni(&ra, 60, 200) * wc;
                long lo = (long)(t0 - 5 * sig), hi = (long)(t0 + 5 * sig);
                for (long i = lo < 0 ? 0 : lo; i <= hi && i < (long)n; i++) {
                    double d = ((double)i - t0) / sig;
                    y[i] += amp * exp(-0.5 * d * d);
                }
            }
        }
        if (line) {
            double ph = uni(&ra, 0, 2 * M_PI), a = line_a * (0.7 + 0.3 * nq_rng_double(&ra));
            for (size_t i = 0; i < n; i++)
                y[i] += a * sin(2 * M_PI * line_f * (double)i / fs + ph);
        }
        if (clip) {
            for (size_t i = 0; i < n; i++)
                tmp[i] = fabs(y[i]);
            qsort(tmp, n, sizeof *tmp, cmp_double);
            double lvl = tmp[(size_t)(0.995 * (double)(n - 1))];
            for (size_t i = 0; i < n; i++)
                y[i] = y[i] > lvl ? lvl : y[i] < -lvl ? -lvl : y[i];
        }
    }
    eeg_fftw_lock();
    fftw_destroy_plan(plan);
    eeg_fftw_unlock();
    fftw_free(X);
    fftw_free(x);
    free(tmp);
    return 0;
}
