/*
 * neuro_plasticity.c — Hebbian with decay, Oja, BCM and competitive learning (see
 * neuro_plasticity.h).
 */
#include "neuro_plasticity.h"

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

double neuro_hebb_dw(double eta, double x, double y, double lambda, double w)
{
    return eta * x * y - lambda * w;
}

void neuro_hebb_step(double *w, const double *x, size_t n, double y, double eta, double lambda)
{
    for (size_t i = 0; i < n; i++)
        w[i] += neuro_hebb_dw(eta, x[i], y, lambda, w[i]);
}

double neuro_oja_step(double *w, const double *x, size_t n, double eta)
{
    double y = dot(w, x, n);
    for (size_t i = 0; i < n; i++)
        w[i] += eta * y * (x[i] - y * w[i]);
    return y;
}

double neuro_bcm_step(double *w, const double *x, size_t n, double *theta, double eta,
                      double tau_theta)
{
    double y = dot(w, x, n);
    if (y < 0)
        y = 0;
    double phi = y * (y - *theta);
    for (size_t i = 0; i < n; i++) {
        w[i] += eta * x[i] * phi;
        if (w[i] < 0)
            w[i] = 0;
    }
    *theta += (y * y - *theta) / tau_theta;
    return y;
}

size_t neuro_competitive_winner(const double *protos, size_t k, size_t n, const double *x)
{
    size_t best = 0;
    double bd = 0;
    for (size_t j = 0; j < k; j++) {
        const double *p = protos + j * n;
        double d = 0;
        for (size_t i = 0; i < n; i++)
            d += (x[i] - p[i]) * (x[i] - p[i]);
        if (j == 0 || d < bd) {
            bd = d;
            best = j;
        }
    }
    return best;
}

size_t neuro_competitive_step(double *protos, size_t k, size_t n, const double *x, double eta)
{
    size_t j = neuro_competitive_winner(protos, k, n, x);
    double *p = protos + j * n;
    for (size_t i = 0; i < n; i++)
        p[i] += eta * (x[i] - p[i]);
    return j;
}
