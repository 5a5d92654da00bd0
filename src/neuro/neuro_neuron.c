/*
 * neuro_neuron.c — leaky integrate-and-fire (exact exponential integration with the threshold
 * crossing found in closed form) and Izhikevich (2003) neurons; see neuro_neuron.h.
 */
#include "neuro_neuron.h"

#include <limits.h>
#include <math.h>
#include <strings.h>

void neuro_lif_default(neuro_lif_params *p)
{
    p->tau_m = 20.0;
    p->r_m = 10.0;
    p->v_rest = -70.0;
    p->v_reset = -70.0;
    p->v_th = -54.0;
    p->t_ref = 2.0;
}

int neuro_lif_check(const neuro_lif_params *p)
{
    if (!(p->tau_m > 0) || !isfinite(p->tau_m) || !isfinite(p->r_m) || !isfinite(p->v_rest) ||
        !isfinite(p->v_reset) || !isfinite(p->v_th) || !(p->v_reset < p->v_th) ||
        !(p->t_ref >= 0) || !isfinite(p->t_ref))
        return -1;
    return 0;
}

void neuro_lif_init(neuro_lif *n, const neuro_lif_params *p)
{
    n->v = p->v_rest;
    n->ref_left = 0;
}

int neuro_lif_step(neuro_lif *n, const neuro_lif_params *p, double i, double g, double g_e,
                   double dt, double *first_spike)
{
    double gt = 1.0 + g;
    double vinf = (p->v_rest + p->r_m * i + g_e) / gt;
    double tau = p->tau_m / gt;
    double t = 0;
    int spikes = 0;
    while (t < dt) {
        double rem = dt - t;
        if (n->ref_left > 0) {
            if (n->ref_left >= rem) {
                n->ref_left -= rem;
                n->v = p->v_reset;
                return spikes;
            }
            t += n->ref_left;
            n->ref_left = 0;
            n->v = p->v_reset;
            continue;
        }
        double tc = INFINITY; /* time to reach threshold from here */
        if (n->v >= p->v_th)
            tc = 0;
        else if (vinf > p->v_th)
            tc = tau * log((vinf - n->v) / (vinf - p->v_th));
        if (tc <= rem) {
            if (!spikes && first_spike)
                *first_spike = t + tc;
            spikes++;
            n->v = p->v_reset;
            n->ref_left = p->t_ref;
            t += tc;
            /* From the reset the neuron fires every T = t_ref + tau ln(...) while the inputs
             * stay constant: skip all but the last two whole cycles of the step in one go, so
             * a step costs O(1) whatever the rate (a huge current would otherwise loop for
             * every spike, and past 2^53 ulps t would stop advancing). */
            if (vinf > p->v_th) {
                double T = p->t_ref + tau * log((vinf - p->v_reset) / (vinf - p->v_th));
                double k = floor((dt - t) / T) - 1;
                if (T > 0 && k >= 1) {
                    if (k > INT_MAX / 2 - spikes) {
                        /* the count saturates (documented); end the step at a reset */
                        n->v = p->v_reset;
                        n->ref_left = 0;
                        return INT_MAX / 2;
                    }
                    spikes += (int)k;
                    t += k * T;
                }
            }
            continue;
        }
        n->v = vinf + (n->v - vinf) * exp(-rem / tau);
        break;
    }
    return spikes;
}

double neuro_lif_isi(const neuro_lif_params *p, double i)
{
    double vinf = p->v_rest + p->r_m * i;
    if (!(vinf > p->v_th))
        return INFINITY;
    return p->t_ref + p->tau_m * log((vinf - p->v_reset) / (vinf - p->v_th));
}

static const struct {
    const char *name;
    neuro_izh_params p;
} izh_types[NEURO_IZH_NTYPES] = {
    [NEURO_IZH_RS] = {"RS", {0.02, 0.2, -65, 8}},   [NEURO_IZH_IB] = {"IB", {0.02, 0.2, -55, 4}},
    [NEURO_IZH_CH] = {"CH", {0.02, 0.2, -50, 2}},   [NEURO_IZH_FS] = {"FS", {0.1, 0.2, -65, 2}},
    [NEURO_IZH_TC] = {"TC", {0.02, 0.25, -65, 0.05}}, [NEURO_IZH_RZ] = {"RZ", {0.1, 0.26, -65, 2}},
    [NEURO_IZH_LTS] = {"LTS", {0.02, 0.25, -65, 2}},
};

int neuro_izh_params_of(neuro_izh_type t, neuro_izh_params *p)
{
    if ((unsigned)t >= NEURO_IZH_NTYPES)
        return -1;
    *p = izh_types[t].p;
    return 0;
}

const char *neuro_izh_type_name(neuro_izh_type t)
{
    return (unsigned)t < NEURO_IZH_NTYPES ? izh_types[t].name : NULL;
}

int neuro_izh_type_parse(const char *s, neuro_izh_type *t)
{
    for (int k = 0; k < NEURO_IZH_NTYPES; k++)
        if (!strcasecmp(s, izh_types[k].name)) {
            *t = (neuro_izh_type)k;
            return 0;
        }
    return -1;
}

void neuro_izh_init(neuro_izh *n, const neuro_izh_params *p)
{
    n->v = p->c;
    n->u = p->b * p->c;
}

int neuro_izh_step(neuro_izh *n, const neuro_izh_params *p, double i)
{
    int fired = 0;
    double v = n->v, u = n->u;
    if (v >= 30.0) {
        fired = 1;
        v = p->c;
        u += p->d;
    }
    /* two half-steps for numerical stability (Izhikevich's spnet.m) */
    v += 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + i);
    v += 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + i);
    u += p->a * (p->b * v - u);
    n->v = v;
    n->u = u;
    return fired;
}

int neuro_izh_step_cond(neuro_izh *n, const neuro_izh_params *p, double i, double g, double g_e)
{
    int fired = 0;
    double v = n->v, u = n->u;
    if (v >= 30.0) {
        fired = 1;
        v = p->c;
        u += p->d;
    }
    i += g_e - g * v;
    v += 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + i);
    v += 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + i);
    u += p->a * (p->b * v - u);
    n->v = v;
    n->u = u;
    return fired;
}
