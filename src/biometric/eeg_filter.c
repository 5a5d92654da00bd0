/*
 * eeg_filter.c — IIR filters for the EEG pipeline: notch biquads, Butterworth low-/high-pass
 * as second-order sections, their magnitude responses, and zero-phase (forward-backward)
 * filtering.
 *
 * Notch: b = [1, -2 cos w0, 1] / (1 + alpha), a = [1, -2 cos w0 / (1 + alpha),
 * (1 - alpha) / (1 + alpha)], w0 = 2 pi f0 / fs, alpha = tan(pi (f0/Q) / fs): zero gain at f0,
 * -3 dB bandwidth f0/Q Hz (the bilinear image of the analog notch).
 *
 * Butterworth by the bilinear transform with prewarping. The analog prototype of even order N
 * factors into N/2 sections 1 / (s^2 + d_k s + 1), d_k = 2 sin(pi (2k+1) / (2N)). With
 * K = tan(pi fc / fs) and s = (1 - z^-1) / (K (1 + z^-1)) the low-pass section becomes
 *   b = K^2 [1, 2, 1] / a0,  a = [1, 2 (K^2 - 1) / a0, (1 - d_k K + K^2) / a0],
 *   a0 = 1 + d_k K + K^2,
 * and the high-pass section (prototype s^2 / (s^2 + d_k s + 1)) has b = [1, -2, 1] / a0 with
 * the same denominator. Prewarping makes the digital response exactly
 * |H(f)|^2 = 1 / (1 + (tan(pi f/fs) / K)^(2N)), which eeg_butter_magnitude evaluates and the
 * unit tests compare with the coefficients' own response.
 *
 * Forward-backward filtering (filtfilt) runs the cascade over the signal, then over the
 * reversed result: the magnitude response squares and the phase cancels. The edges are
 * handled as in scipy's sosfiltfilt: the signal is extended at both ends by its odd
 * reflection (2 x[0] - x[k]) and each pass starts from the sections' steady state for a
 * constant input equal to the first sample, so the start-up transient is small and falls in
 * the padding that is cut off afterwards.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eeg.h"

int eeg_notch_design(double f0, double q, double fs, eeg_biquad *out)
{
    if (!(fs > 0) || !(f0 > 0) || !(f0 < fs / 2) || !(q > 0))
        return NQ_EINVAL;
    /* -3 dB bandwidth exactly f0/q Hz wherever f0 lies (scipy's iirnotch): the RBJ form with
     * alpha = sin(w0)/(2q) narrows the notch towards Nyquist (60 Hz at 128 Hz would ring for
     * seconds) */
    double w0 = 2 * M_PI * f0 / fs, alpha = tan(M_PI * (f0 / q) / fs), c = cos(w0);
    if (!(alpha > 0) || !(alpha < 1))
        return NQ_EINVAL;
    double a0 = 1 + alpha;
    out->b0 = 1 / a0;
    out->b1 = -2 * c / a0;
    out->b2 = 1 / a0;
    out->a1 = -2 * c / a0;
    out->a2 = (1 - alpha) / a0;
    return 0;
}

static int butter(int highpass, int order, double fc, double fs, eeg_biquad *sos)
{
    if (order < 2 || order > 8 || order % 2 || !(fs > 0) || !(fc > 0) || !(fc < fs / 2))
        return NQ_EINVAL;
    double K = tan(M_PI * fc / fs), K2 = K * K;
    for (int k = 0; k < order / 2; k++) {
        double d = 2 * sin(M_PI * (2 * k + 1) / (2.0 * order));
        double a0 = 1 + d * K + K2;
        eeg_biquad *s = &sos[k];
        if (highpass) {
            s->b0 = 1 / a0;
            s->b1 = -2 / a0;
            s->b2 = 1 / a0;
        } else {
            s->b0 = K2 / a0;
            s->b1 = 2 * K2 / a0;
            s->b2 = K2 / a0;
        }
        s->a1 = 2 * (K2 - 1) / a0;
        s->a2 = (1 - d * K + K2) / a0;
    }
    return 0;
}

int eeg_butter_lowpass(int order, double fc, double fs, eeg_biquad *sos)
{
    return butter(0, order, fc, fs, sos);
}

int eeg_butter_highpass(int order, double fc, double fs, eeg_biquad *sos)
{
    return butter(1, order, fc, fs, sos);
}

double eeg_sos_magnitude(const eeg_biquad *sos, int n, double f, double fs)
{
    double w = 2 * M_PI * f / fs, c1 = cos(w), s1 = sin(w), c2 = cos(2 * w), s2 = sin(2 * w);
    double mag = 1;
    for (int k = 0; k < n; k++) {
        const eeg_biquad *b = &sos[k];
        /* H = (b0 + b1 e^-jw + b2 e^-2jw) / (1 + a1 e^-jw + a2 e^-2jw) */
        double nr = b->b0 + b->b1 * c1 + b->b2 * c2, ni = -(b->b1 * s1 + b->b2 * s2);
        double dr = 1 + b->a1 * c1 + b->a2 * c2, di = -(b->a1 * s1 + b->a2 * s2);
        mag *= sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
    }
    return mag;
}

double eeg_butter_magnitude(int highpass, int order, double fc, double f, double fs)
{
    double r = tan(M_PI * f / fs) / tan(M_PI * fc / fs);
    if (highpass) {
        if (r == 0)
            return 0;
        r = 1 / r;
    }
    return 1 / sqrt(1 + pow(r, 2.0 * order));
}

/* One pass of the cascade over x[0..n) in place (direct form II transposed), starting from
 * the steady state of a constant input x[0]. */
static void sos_pass(const eeg_biquad *sos, int nsec, double *x, size_t n)
{
    double in0 = x[0];
    for (int k = 0; k < nsec; k++) {
        const eeg_biquad *b = &sos[k];
        /* steady state for constant input u: y = g u, z1 = (g - b0) u, z2 = (b2 - a2 g) u */
        double den = 1 + b->a1 + b->a2;
        double g = den != 0 ? (b->b0 + b->b1 + b->b2) / den : 0;
        double z1 = (g - b->b0) * in0, z2 = (b->b2 - b->a2 * g) * in0;
        for (size_t i = 0; i < n; i++) {
            double u = x[i];
            double y = b->b0 * u + z1;
            z1 = b->b1 * u - b->a1 * y + z2;
            z2 = b->b2 * u - b->a2 * y;
            x[i] = y;
        }
        in0 *= g; /* the next section's input starts at g times this one's */
    }
}

int eeg_sos_filtfilt(const eeg_biquad *sos, int nsec, const double *x, size_t n, size_t padlen,
                     double *y)
{
    if (n < 2)
        return NQ_EINVAL;
    if (padlen > n - 1)
        padlen = n - 1;
    size_t m = n + 2 * padlen;
    double *w = malloc(m * sizeof *w);
    if (!w)
        return NQ_ENOMEM;
    for (size_t i = 0; i < padlen; i++) /* w[padlen-1-i] = 2 x0 - x[i+1] */
        w[padlen - 1 - i] = 2 * x[0] - x[i + 1];
    memcpy(w + padlen, x, n * sizeof *x);
    for (size_t i = 0; i < padlen; i++)
        w[padlen + n + i] = 2 * x[n - 1] - x[n - 2 - i];
    sos_pass(sos, nsec, w, m);
    for (size_t i = 0, j = m - 1; i < j; i++, j--) {
        double t = w[i];
        w[i] = w[j];
        w[j] = t;
    }
    sos_pass(sos, nsec, w, m);
    for (size_t i = 0; i < n; i++)
        y[i] = w[m - 1 - padlen - i];
    free(w);
    return 0;
}
