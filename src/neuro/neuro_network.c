/*
 * neuro_network.c — populations, sparse delayed conductance synapses, the clocked step with
 * event-driven delivery (see neuro_network.h).
 */
#include "neuro_network.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "neuro_stdp.h"

typedef struct edge {
    uint32_t pre, post;
    float w;
    uint8_t delay, kind;
} edge;

typedef struct pop {
    neuro_pop_spec spec;
    uint32_t first;
} pop;

struct neuro_net {
    double dt;
    nq_rng rng;
    pop *pops;
    int npops, cappops;
    uint32_t n;
    /* building */
    edge *edges;
    size_t nedges, capedges;
    int finalized;
    /* packed synapses: out[row[i] .. row[i+1]) are the synapses of neuron i */
    uint64_t *row;
    uint32_t *post;
    float *w;
    uint8_t *delay, *kind;
    int max_delay;
    /* state */
    double *v, *u; /* u: Izhikevich recovery, or LIF refractory time left */
    double *ge, *gi, *iext;
    neuro_ring ring;
    neuro_syn_params sexc, sinh;
    double dexc, dinh;
    uint64_t steps, nspikes;
    double spare; /* the second normal deviate of the last Box-Muller pair */
    int has_spare;
    /* STDP on the excitatory synapses (neuro_net_enable_stdp) */
    int stdp_on;
    neuro_stdp_params stdp;
    double *x, *y;       /* pre and post traces per neuron */
    double fx, fy;       /* their decay per step */
    uint64_t *in_row;    /* incoming excitatory synapses of neuron j: in_syn[in_row[j]..] */
    uint64_t *in_syn;    /* synapse indices (into post/w/...) */
    uint32_t *syn_pre;   /* presynaptic neuron of each synapse */
    uint32_t *fl;        /* neurons that spiked in this step */
    int recording;
    neuro_spike *rec;
    size_t nrec, caprec;
};

neuro_net *neuro_net_new(double dt, uint64_t seed)
{
    if (!(dt > 0) || !isfinite(dt))
        return NULL;
    neuro_net *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->dt = dt;
    nq_rng_seed(&net->rng, seed);
    net->sexc = neuro_syn_default(NEURO_SYN_EXC);
    net->sinh = neuro_syn_default(NEURO_SYN_INH);
    return net;
}

void neuro_net_free(neuro_net *net)
{
    if (!net)
        return;
    free(net->pops);
    free(net->edges);
    free(net->row);
    free(net->post);
    free(net->w);
    free(net->delay);
    free(net->kind);
    free(net->v);
    free(net->u);
    free(net->ge);
    free(net->gi);
    free(net->iext);
    neuro_ring_free(&net->ring);
    free(net->rec);
    free(net->x);
    free(net->y);
    free(net->in_row);
    free(net->in_syn);
    free(net->syn_pre);
    free(net->fl);
    free(net);
}

int neuro_net_add_pop(neuro_net *net, const neuro_pop_spec *spec, uint32_t *first, nq_err *e)
{
    if (net->finalized)
        return nq_err_set(e, NQ_EINVAL, "network already finalized");
    if (spec->n == 0 || spec->n > (1u << 30) - net->n)
        return nq_err_set(e, NQ_EINVAL, "population size %u out of range", spec->n);
    if (!isfinite(spec->i_ext) || !(spec->noise_sd >= 0) || !isfinite(spec->noise_sd))
        return nq_err_set(e, NQ_EINVAL, "input current or noise not finite (or noise < 0)");
    if (spec->model == NEURO_MODEL_IZH) {
        if (net->dt != 1.0)
            return nq_err_set(e, NQ_EINVAL, "Izhikevich populations need dt = 1 ms, not %g",
                              net->dt);
        const neuro_izh_params *p = &spec->izh;
        if (!isfinite(p->a) || !isfinite(p->b) || !isfinite(p->c) || !isfinite(p->d))
            return nq_err_set(e, NQ_EINVAL, "Izhikevich parameters not finite");
    } else if (spec->model == NEURO_MODEL_LIF) {
        if (neuro_lif_check(&spec->lif) != 0)
            return nq_err_set(e, NQ_EINVAL, "bad LIF parameters");
    } else {
        return nq_err_set(e, NQ_EINVAL, "unknown neuron model %d", (int)spec->model);
    }
    if (net->npops == net->cappops) {
        int cap = net->cappops ? 2 * net->cappops : 4;
        pop *np = realloc(net->pops, (size_t)cap * sizeof *np);
        if (!np)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        net->pops = np;
        net->cappops = cap;
    }
    pop *p = &net->pops[net->npops];
    p->spec = *spec;
    p->first = net->n;
    if (first)
        *first = net->n;
    net->n += spec->n;
    return net->npops++;
}

static int add_edge(neuro_net *net, uint32_t pre, uint32_t post, double w, int delay, int kind,
                    nq_err *e)
{
    if (net->nedges == net->capedges) {
        size_t cap = net->capedges ? 2 * net->capedges : 1024;
        edge *ne = realloc(net->edges, cap * sizeof *ne);
        if (!ne)
            return nq_err_set(e, NQ_ENOMEM, "out of memory for %zu synapses", cap);
        net->edges = ne;
        net->capedges = cap;
    }
    net->edges[net->nedges++] = (edge){pre, post, (float)w, (uint8_t)delay, (uint8_t)kind};
    if (delay > net->max_delay)
        net->max_delay = delay;
    return 0;
}

static int check_syn(neuro_net *net, double w, int delay, neuro_syn_kind kind, nq_err *e)
{
    if (net->finalized)
        return nq_err_set(e, NQ_EINVAL, "network already finalized");
    if (!(w >= 0) || !isfinite(w))
        return nq_err_set(e, NQ_EINVAL, "weight must be finite and >= 0");
    if (delay < 1 || delay > 255)
        return nq_err_set(e, NQ_EINVAL, "delay %d out of range 1..255 steps", delay);
    if ((unsigned)kind >= NEURO_SYN_NKINDS)
        return nq_err_set(e, NQ_EINVAL, "unknown synapse kind %d", (int)kind);
    return 0;
}

int neuro_net_connect(neuro_net *net, int pop_pre, int pop_post, double p, double w, int delay,
                      neuro_syn_kind kind, nq_err *e)
{
    int rc = check_syn(net, w, delay, kind, e);
    if (rc)
        return rc;
    if (pop_pre < 0 || pop_pre >= net->npops || pop_post < 0 || pop_post >= net->npops)
        return nq_err_set(e, NQ_EINVAL, "no such population");
    if (!(p >= 0 && p <= 1))
        return nq_err_set(e, NQ_EINVAL, "connection probability %g not in [0, 1]", p);
    if (p == 0)
        return 0;
    const pop *a = &net->pops[pop_pre], *b = &net->pops[pop_post];
    uint64_t total = (uint64_t)a->spec.n * b->spec.n;
    /* geometric skips between chosen pairs: O(synapses) draws instead of O(pairs) */
    double lq = p < 1 ? log1p(-p) : 0;
    uint64_t k = 0;
    for (;;) {
        if (p < 1) {
            double skip = floor(log1p(-nq_rng_double(&net->rng)) / lq);
            if (skip >= (double)(total - k))
                break;
            k += (uint64_t)skip;
        }
        if (k >= total)
            break;
        uint32_t pre = a->first + (uint32_t)(k / b->spec.n);
        uint32_t post = b->first + (uint32_t)(k % b->spec.n);
        if (pre != post && (rc = add_edge(net, pre, post, w, delay, kind, e)) != 0)
            return rc;
        k++;
    }
    return 0;
}

int neuro_net_connect_one(neuro_net *net, uint32_t pre, uint32_t post, double w, int delay,
                          neuro_syn_kind kind, nq_err *e)
{
    int rc = check_syn(net, w, delay, kind, e);
    if (rc)
        return rc;
    if (pre >= net->n || post >= net->n)
        return nq_err_set(e, NQ_EINVAL, "neuron %u or %u out of range (%u neurons)", pre, post,
                          net->n);
    return add_edge(net, pre, post, w, delay, kind, e);
}

int neuro_net_enable_stdp(neuro_net *net, const neuro_stdp_params *p, nq_err *e)
{
    if (net->finalized || net->row)
        return nq_err_set(e, NQ_EINVAL, "network already finalized");
    if (neuro_stdp_check(p) != 0)
        return nq_err_set(e, NQ_EINVAL, "bad STDP parameters");
    net->stdp = *p;
    net->stdp_on = 1;
    return 0;
}

/* The incoming index of the plastic synapses and the traces (after the CSR is built). */
static int stdp_setup(neuro_net *net, nq_err *e)
{
    size_t n = net->n;
    uint64_t m = net->row[n];
    net->x = calloc(n, sizeof *net->x);
    net->y = calloc(n, sizeof *net->y);
    net->fl = malloc(n * sizeof *net->fl);
    net->in_row = calloc(n + 1, sizeof *net->in_row);
    net->syn_pre = malloc((m + 1) * sizeof *net->syn_pre);
    net->in_syn = malloc((m + 1) * sizeof *net->in_syn);
    uint64_t *fill = malloc((n + 1) * sizeof *fill);
    if (!net->x || !net->y || !net->fl || !net->in_row || !net->syn_pre || !net->in_syn ||
        !fill) {
        free(fill);
        return nq_err_set(e, NQ_ENOMEM, "out of memory for the STDP index");
    }
    for (size_t i = 0; i < n; i++)
        for (uint64_t k = net->row[i]; k < net->row[i + 1]; k++) {
            net->syn_pre[k] = (uint32_t)i;
            if (net->kind[k] == NEURO_SYN_EXC)
                net->in_row[net->post[k] + 1]++;
        }
    for (size_t j = 0; j < n; j++)
        net->in_row[j + 1] += net->in_row[j];
    memcpy(fill, net->in_row, (n + 1) * sizeof *fill);
    for (uint64_t k = 0; k < m; k++)
        if (net->kind[k] == NEURO_SYN_EXC)
            net->in_syn[fill[net->post[k]]++] = k;
    free(fill);
    net->fx = exp(-net->dt / net->stdp.tau_plus);
    net->fy = exp(-net->dt / net->stdp.tau_minus);
    return 0;
}

int neuro_net_synapse(const neuro_net *net, uint64_t k, uint32_t *pre, uint32_t *post,
                      double *w)
{
    if (!net->finalized || k >= net->row[net->n])
        return NQ_EINVAL;
    /* the presynaptic neuron: binary search in the row starts */
    uint32_t lo = 0, hi = net->n;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (net->row[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    *pre = lo;
    *post = net->post[k];
    *w = net->w[k];
    return 0;
}

int neuro_net_finalize(neuro_net *net, nq_err *e)
{
    int rc;
    if (net->finalized || net->row)
        return nq_err_set(e, NQ_EINVAL, "network already finalized (or a finalize failed)");
    if (net->n == 0)
        return nq_err_set(e, NQ_EINVAL, "network without neurons");
    size_t n = net->n, m = net->nedges;
    net->row = calloc(n + 1, sizeof *net->row);
    net->post = malloc((m + 1) * sizeof *net->post);
    net->w = malloc((m + 1) * sizeof *net->w);
    net->delay = malloc(m + 1);
    net->kind = malloc(m + 1);
    net->v = malloc(n * sizeof *net->v);
    net->u = malloc(n * sizeof *net->u);
    net->ge = calloc(n, sizeof *net->ge);
    net->gi = calloc(n, sizeof *net->gi);
    net->iext = malloc(n * sizeof *net->iext);
    if (!net->row || !net->post || !net->w || !net->delay || !net->kind || !net->v || !net->u ||
        !net->ge || !net->gi || !net->iext)
        return nq_err_set(e, NQ_ENOMEM, "out of memory for %zu neurons, %zu synapses", n, m);
    if (neuro_ring_init(&net->ring, n, 2, net->max_delay ? net->max_delay : 1) != 0)
        return nq_err_set(e, NQ_ENOMEM, "out of memory for the delay ring");
    /* counting sort by presynaptic neuron (stable: synapses keep their order of addition) */
    for (size_t i = 0; i < m; i++)
        net->row[net->edges[i].pre + 1]++;
    for (size_t i = 0; i < n; i++)
        net->row[i + 1] += net->row[i];
    uint64_t *fill = malloc((n + 1) * sizeof *fill);
    if (!fill)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    memcpy(fill, net->row, (n + 1) * sizeof *fill);
    for (size_t i = 0; i < m; i++) {
        const edge *d = &net->edges[i];
        uint64_t at = fill[d->pre]++;
        net->post[at] = d->post;
        net->w[at] = d->w;
        net->delay[at] = d->delay;
        net->kind[at] = d->kind;
    }
    free(fill);
    free(net->edges);
    net->edges = NULL;
    for (int k = 0; k < net->npops; k++) {
        const pop *p = &net->pops[k];
        for (uint32_t i = p->first; i < p->first + p->spec.n; i++) {
            net->iext[i] = p->spec.i_ext;
            if (p->spec.model == NEURO_MODEL_IZH) {
                neuro_izh z;
                neuro_izh_init(&z, &p->spec.izh);
                net->v[i] = z.v;
                net->u[i] = z.u;
            } else {
                net->v[i] = p->spec.lif.v_rest;
                net->u[i] = 0;
            }
        }
    }
    net->dexc = exp(-net->dt / net->sexc.tau);
    net->dinh = exp(-net->dt / net->sinh.tau);
    if (net->stdp_on && (rc = stdp_setup(net, e)) != 0)
        return rc;
    net->finalized = 1;
    return 0;
}

void neuro_net_record(neuro_net *net, int on)
{
    net->recording = on;
}

void neuro_net_set_input(neuro_net *net, uint32_t neuron, double i)
{
    if (net->finalized && neuron < net->n)
        net->iext[neuron] = i;
}

/* A standard normal deviate: Box-Muller, both values of each pair used. */
static double gauss(neuro_net *net)
{
    if (net->has_spare) {
        net->has_spare = 0;
        return net->spare;
    }
    double u1 = 1.0 - nq_rng_double(&net->rng), u2 = nq_rng_double(&net->rng);
    double r = sqrt(-2.0 * log(u1)), a = 6.283185307179586 * u2;
    net->spare = r * sin(a);
    net->has_spare = 1;
    return r * cos(a);
}

static void deliver(neuro_net *net, uint32_t i)
{
    for (uint64_t s = net->row[i]; s < net->row[i + 1]; s++)
        neuro_ring_add(&net->ring, net->delay[s], net->post[s], net->kind[s], net->w[s]);
    if (net->stdp_on) /* depression with the post traces, after the spike used the weights */
        for (uint64_t s = net->row[i]; s < net->row[i + 1]; s++)
            if (net->kind[s] == NEURO_SYN_EXC)
                net->w[s] = (float)neuro_stdp_depress(&net->stdp, net->w[s], net->y[net->post[s]]);
}

/* After all neurons stepped: potentiate the incoming synapses of every neuron that spiked with
 * the pre traces, then add this step's spikes to the traces (neuro_stdp_dense_step's order). */
static void stdp_post(neuro_net *net, int fired)
{
    for (int f = 0; f < fired; f++) {
        uint32_t j = net->fl[f];
        for (uint64_t k = net->in_row[j]; k < net->in_row[j + 1]; k++) {
            uint64_t s = net->in_syn[k];
            net->w[s] = (float)neuro_stdp_potentiate(&net->stdp, net->w[s],
                                                     net->x[net->syn_pre[s]]);
        }
    }
    for (int f = 0; f < fired; f++) {
        net->x[net->fl[f]] += 1.0;
        net->y[net->fl[f]] += 1.0;
    }
}

int neuro_net_step(neuro_net *net)
{
    if (!net->finalized)
        return NQ_EINVAL;
    const double *arr = neuro_ring_now(&net->ring);
    const double ee = net->sexc.e_rev, ei = net->sinh.e_rev;
    int fired = 0, oom = 0;
    if (net->stdp_on) {
        neuro_stdp_decay(net->x, net->n, net->fx);
        neuro_stdp_decay(net->y, net->n, net->fy);
    }
    for (int k = 0; k < net->npops; k++) {
        const pop *p = &net->pops[k];
        const neuro_pop_spec *sp = &p->spec;
        for (uint32_t i = p->first; i < p->first + sp->n; i++) {
            double ge = net->ge[i] + arr[2 * (size_t)i], gi = net->gi[i] + arr[2 * (size_t)i + 1];
            double I = net->iext[i];
            if (sp->noise_sd > 0)
                I += sp->noise_sd * gauss(net);
            int spk;
            if (sp->model == NEURO_MODEL_IZH) {
                neuro_izh z = {net->v[i], net->u[i]};
                spk = neuro_izh_step_cond(&z, &sp->izh, I, ge + gi, ge * ee + gi * ei);
                net->v[i] = z.v;
                net->u[i] = z.u;
            } else {
                neuro_lif z = {net->v[i], net->u[i]};
                spk = neuro_lif_step(&z, &sp->lif, I, ge + gi, ge * ee + gi * ei, net->dt,
                                     NULL) > 0;
                net->v[i] = z.v;
                net->u[i] = z.ref_left;
            }
            net->ge[i] = ge * net->dexc;
            net->gi[i] = gi * net->dinh;
            if (spk) {
                if (net->stdp_on)
                    net->fl[fired] = i;
                fired++;
                deliver(net, i);
                if (net->recording) {
                    if (net->nrec == net->caprec) {
                        size_t cap = net->caprec ? 2 * net->caprec : 1024;
                        neuro_spike *nr = realloc(net->rec, cap * sizeof *nr);
                        if (nr) {
                            net->rec = nr;
                            net->caprec = cap;
                        }
                    }
                    if (net->nrec < net->caprec)
                        net->rec[net->nrec++] = (neuro_spike){net->steps, i};
                    else
                        oom = 1;
                }
            }
        }
    }
    if (net->stdp_on)
        stdp_post(net, fired);
    neuro_ring_advance(&net->ring);
    net->steps++;
    net->nspikes += (uint64_t)fired;
    return oom ? NQ_ENOMEM : fired;
}

uint32_t neuro_net_neurons(const neuro_net *net)
{
    return net->n;
}

uint64_t neuro_net_synapses(const neuro_net *net)
{
    return net->finalized ? net->row[net->n] : net->nedges;
}

uint64_t neuro_net_steps(const neuro_net *net)
{
    return net->steps;
}

uint64_t neuro_net_spike_count(const neuro_net *net)
{
    return net->nspikes;
}

const neuro_spike *neuro_net_spikes(const neuro_net *net, size_t *n)
{
    *n = net->nrec;
    return net->rec;
}

double neuro_net_v(const neuro_net *net, uint32_t neuron)
{
    return net->finalized && neuron < net->n ? net->v[neuron] : NAN;
}
