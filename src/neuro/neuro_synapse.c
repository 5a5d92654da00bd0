/*
 * neuro_synapse.c — conductance synapses and the delay ring (see neuro_synapse.h).
 */
#include "neuro_synapse.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nqdb.h"

neuro_syn_params neuro_syn_default(neuro_syn_kind k)
{
    neuro_syn_params p = {5.0, 0.0};
    if (k == NEURO_SYN_INH) {
        p.tau = 10.0;
        p.e_rev = -70.0;
    }
    return p;
}

double neuro_syn_decay(const neuro_syn_params *p, double g, double dt)
{
    return g * exp(-dt / p->tau);
}

double neuro_syn_current(const neuro_syn_params *p, double g, double v)
{
    return g * (p->e_rev - v);
}

int neuro_ring_init(neuro_ring *r, size_t n_targets, int kinds, int max_delay)
{
    memset(r, 0, sizeof *r);
    if (max_delay < 1 || kinds < 1 || max_delay > 1 << 20)
        return NQ_EINVAL;
    size_t slots = (size_t)max_delay + 1;
    if (n_targets && slots * (size_t)kinds > SIZE_MAX / sizeof(double) / n_targets)
        return NQ_ENOMEM;
    r->buf = calloc(slots * n_targets * (size_t)kinds + 1, sizeof(double));
    if (!r->buf)
        return NQ_ENOMEM;
    r->n_targets = n_targets;
    r->kinds = kinds;
    r->max_delay = max_delay;
    return 0;
}

void neuro_ring_free(neuro_ring *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void neuro_ring_advance(neuro_ring *r)
{
    memset(neuro_ring_now(r), 0, r->n_targets * (size_t)r->kinds * sizeof(double));
    r->head = r->head == r->max_delay ? 0 : r->head + 1;
}
