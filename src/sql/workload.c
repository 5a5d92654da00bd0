/*
 * workload.c — the synaptic network of the workload memory (the model, its bounds and its
 * persistence are described in workload.h).
 *
 * Layout: nodes in an array with an open-addressing hash of their names (index + 1, 0 empty);
 * synapses in an array with an open-addressing hash of the pair (a, b), a < b node indices.
 * Deleting happens only when pruning, which compacts both arrays and rebuilds both hashes, so
 * the hashes never hold tombstones. Templates are a small array searched by 64-bit hash.
 *
 * The Hebbian step is the nqneuro library's scalar rule, neuro_hebb_dw(η, x, y, λ', w) =
 * η·x·y − λ'·w, with x = y = 1 and λ' = η applied to the weight decayed to now: the soft bound
 * η(1 − w) of workload.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/endian.h"
#include "neuro/neuro_plasticity.h"
#include "sql/workload.h"

typedef struct wl_nd {
    char *name;
    double act;        /* activity at tick t */
    uint64_t t, uses;
} wl_nd;

typedef struct wl_syn {
    uint32_t a, b;
    double w;          /* weight at tick t */
    uint64_t t, uses;
} wl_syn;

typedef struct wl_tp {
    char *text;
    uint64_t h;
    double c;          /* count at tick t */
    uint64_t t, uses;
} wl_tp;

typedef struct wl_ix {
    char *name, *table, *column, *create_sql;
    int state;
    uint64_t created, changed, drops, rebuilds;
} wl_ix;

struct wl_net {
    pthread_mutex_t mu;
    wl_settings set;
    uint64_t clock;
    wl_nd *nd;
    uint32_t nn, cn;
    uint32_t *nh;      /* node hash: index + 1 */
    uint32_t nhcap;    /* power of two */
    wl_syn *sy;
    uint32_t ns, cs;
    uint32_t *sh;
    uint32_t shcap;
    wl_tp *tp;
    uint32_t nt, ct;
    wl_ix *ix;
    uint32_t nix;
    uint64_t pruned_nodes, pruned_synapses, evicted_templates;
    uint64_t gen, saved_gen;   /* changes so far; gen when last saved or loaded */
};

void wl_settings_default(wl_settings *s)
{
    s->learning = 1;
    s->half_life = 5000;
    s->eta = 0.1;
    s->max_nodes = 4096;
    s->max_synapses = 16384;
    s->max_templates = 256;
    s->drop_threshold = 0.5;
    s->min_age = 2000;
    s->rebuild_threshold = 4.0;
    s->decide_every = 1000;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t hash_pair(uint32_t a, uint32_t b)
{
    uint64_t h = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 31);
}

static double decay(const wl_net *w, uint64_t since)
{
    if (w->clock <= since)
        return 1;
    return exp2(-(double)(w->clock - since) / (double)w->set.half_life);
}

wl_net *wl_new(void)
{
    wl_net *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->mu, NULL);
    wl_settings_default(&w->set);
    return w;
}

static void free_content(wl_net *w, int keep_registry)
{
    for (uint32_t i = 0; i < w->nn; i++)
        free(w->nd[i].name);
    free(w->nd);
    free(w->nh);
    free(w->sy);
    free(w->sh);
    for (uint32_t i = 0; i < w->nt; i++)
        free(w->tp[i].text);
    free(w->tp);
    w->nd = NULL, w->nh = NULL, w->sy = NULL, w->sh = NULL, w->tp = NULL;
    w->nn = w->cn = w->nhcap = w->ns = w->cs = w->shcap = w->nt = w->ct = 0;
    w->clock = 0;
    w->pruned_nodes = w->pruned_synapses = w->evicted_templates = 0;
    if (keep_registry)
        return;
    for (uint32_t i = 0; i < w->nix; i++) {
        free(w->ix[i].name);
        free(w->ix[i].table);
        free(w->ix[i].column);
        free(w->ix[i].create_sql);
    }
    free(w->ix);
    w->ix = NULL;
    w->nix = 0;
}

void wl_free(wl_net *w)
{
    if (!w)
        return;
    free_content(w, 0);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void wl_get_settings(wl_net *w, wl_settings *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->set;
    pthread_mutex_unlock(&w->mu);
}

int wl_set_settings(wl_net *w, const wl_settings *s, nq_err *e)
{
    if (s->half_life < 1)
        return nq_err_set(e, NQ_EINVAL, "HALF_LIFE must be at least 1 statement");
    if (!(s->eta > 0 && s->eta <= 1))
        return nq_err_set(e, NQ_EINVAL, "LEARNING_RATE must be in (0, 1]");
    if (s->max_nodes < 16 || s->max_synapses < 16 || s->max_templates < 1 ||
        s->max_nodes > (1u << 24) || s->max_synapses > (1u << 26) || s->max_templates > 65536)
        return nq_err_set(e, NQ_EINVAL, "capacities: MAX_NODES and MAX_SYNAPSES 16 .. 2^24, MAX_TEMPLATES 1 .. 65536");
    if (!(s->drop_threshold >= 0) || !(s->rebuild_threshold >= s->drop_threshold))
        return nq_err_set(e, NQ_EINVAL, "DROP_THRESHOLD must be >= 0 and REBUILD_THRESHOLD >= DROP_THRESHOLD");
    if (s->decide_every < 1)
        return nq_err_set(e, NQ_EINVAL, "DECIDE_EVERY must be at least 1 statement");
    pthread_mutex_lock(&w->mu);
    if (memcmp(&w->set, s, sizeof *s))
        w->gen++;
    w->set = *s;
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void wl_clear(wl_net *w)
{
    pthread_mutex_lock(&w->mu);
    free_content(w, 1);
    w->gen++;
    pthread_mutex_unlock(&w->mu);
}

/* ---- hashes ---------------------------------------------------------------------------- */
static int node_rehash(wl_net *w, uint32_t cap)
{
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return NQ_ENOMEM;
    for (uint32_t i = 0; i < w->nn; i++) {
        uint32_t p = (uint32_t)hash_str(w->nd[i].name) & (cap - 1);
        while (h[p])
            p = (p + 1) & (cap - 1);
        h[p] = i + 1;
    }
    free(w->nh);
    w->nh = h;
    w->nhcap = cap;
    return 0;
}

static int syn_rehash(wl_net *w, uint32_t cap)
{
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return NQ_ENOMEM;
    for (uint32_t i = 0; i < w->ns; i++) {
        uint32_t p = (uint32_t)hash_pair(w->sy[i].a, w->sy[i].b) & (cap - 1);
        while (h[p])
            p = (p + 1) & (cap - 1);
        h[p] = i + 1;
    }
    free(w->sh);
    w->sh = h;
    w->shcap = cap;
    return 0;
}

static int64_t node_find(const wl_net *w, const char *name)
{
    if (!w->nhcap)
        return -1;
    uint32_t p = (uint32_t)hash_str(name) & (w->nhcap - 1);
    while (w->nh[p]) {
        if (!strcmp(w->nd[w->nh[p] - 1].name, name))
            return w->nh[p] - 1;
        p = (p + 1) & (w->nhcap - 1);
    }
    return -1;
}

/* The node's index, created (activity 0) when absent; -1 when out of memory. */
static int64_t node_get(wl_net *w, const char *name)
{
    int64_t i = node_find(w, name);
    if (i >= 0)
        return i;
    if (w->nn == w->cn) {
        uint32_t nc = w->cn ? w->cn * 2 : 64;
        wl_nd *n = realloc(w->nd, nc * sizeof *n);
        if (!n)
            return -1;
        w->nd = n;
        w->cn = nc;
    }
    if ((w->nn + 1) * 2 > w->nhcap && node_rehash(w, w->nhcap ? w->nhcap * 2 : 128) < 0)
        return -1;
    char *s = strdup(name);
    if (!s)
        return -1;
    w->nd[w->nn] = (wl_nd){.name = s, .t = w->clock};
    uint32_t p = (uint32_t)hash_str(name) & (w->nhcap - 1);
    while (w->nh[p])
        p = (p + 1) & (w->nhcap - 1);
    w->nh[p] = w->nn + 1;
    return w->nn++;
}

static int64_t syn_get(wl_net *w, uint32_t a, uint32_t b)
{
    if (w->shcap) {
        uint32_t p = (uint32_t)hash_pair(a, b) & (w->shcap - 1);
        while (w->sh[p]) {
            wl_syn *s = &w->sy[w->sh[p] - 1];
            if (s->a == a && s->b == b)
                return w->sh[p] - 1;
            p = (p + 1) & (w->shcap - 1);
        }
    }
    if (w->ns == w->cs) {
        uint32_t nc = w->cs ? w->cs * 2 : 256;
        wl_syn *n = realloc(w->sy, nc * sizeof *n);
        if (!n)
            return -1;
        w->sy = n;
        w->cs = nc;
    }
    if ((w->ns + 1) * 2 > w->shcap && syn_rehash(w, w->shcap ? w->shcap * 2 : 512) < 0)
        return -1;
    w->sy[w->ns] = (wl_syn){.a = a, .b = b, .t = w->clock};
    uint32_t p = (uint32_t)hash_pair(a, b) & (w->shcap - 1);
    while (w->sh[p])
        p = (p + 1) & (w->shcap - 1);
    w->sh[p] = w->ns + 1;
    return w->ns++;
}

/* ---- pruning ---------------------------------------------------------------------------- */
static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The value below which `drop` of the n values lie (the drop-th smallest). */
static double kth(double *v, uint32_t n, uint32_t drop)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[drop - 1];
}

static int is_index_node(const char *name) { return !strncmp(name, "index:", 6); }

static void prune_synapses(wl_net *w)
{
    if (w->ns <= w->set.max_synapses)
        return;
    uint32_t drop = w->ns - w->set.max_synapses + w->set.max_synapses / 8;
    double *v = malloc(w->ns * sizeof *v);
    if (!v)
        return;
    for (uint32_t i = 0; i < w->ns; i++)
        v[i] = w->sy[i].w * decay(w, w->sy[i].t);
    double th = kth(v, w->ns, drop);
    free(v);
    uint32_t k = 0, dropped = 0;
    for (uint32_t i = 0; i < w->ns; i++) {
        if (dropped < drop && w->sy[i].w * decay(w, w->sy[i].t) <= th) {
            dropped++;
            continue;
        }
        w->sy[k++] = w->sy[i];
    }
    w->ns = k;
    w->pruned_synapses += dropped;
    syn_rehash(w, w->shcap);
}

static void prune_nodes(wl_net *w)
{
    if (w->nn <= w->set.max_nodes)
        return;
    uint32_t drop = w->nn - w->set.max_nodes + w->set.max_nodes / 8;
    double *v = malloc(w->nn * sizeof *v);
    int32_t *map = malloc(w->nn * sizeof *map);
    if (!v || !map) {
        free(v);
        free(map);
        return;
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < w->nn; i++)
        if (!is_index_node(w->nd[i].name))
            v[m++] = w->nd[i].act * decay(w, w->nd[i].t);
    if (drop > m)
        drop = m;
    double th = drop ? kth(v, m, drop) : -1;
    free(v);
    uint32_t k = 0, dropped = 0;
    for (uint32_t i = 0; i < w->nn; i++) {
        if (dropped < drop && !is_index_node(w->nd[i].name) &&
            w->nd[i].act * decay(w, w->nd[i].t) <= th) {
            free(w->nd[i].name);
            map[i] = -1;
            dropped++;
            continue;
        }
        map[i] = (int32_t)k;
        w->nd[k++] = w->nd[i];
    }
    w->nn = k;
    w->pruned_nodes += dropped;
    uint32_t s = 0, sd = 0;
    for (uint32_t i = 0; i < w->ns; i++) {
        int32_t a = map[w->sy[i].a], b = map[w->sy[i].b];
        if (a < 0 || b < 0) {
            sd++;
            continue;
        }
        wl_syn y = w->sy[i];
        y.a = (uint32_t)(a < b ? a : b);
        y.b = (uint32_t)(a < b ? b : a);
        w->sy[s++] = y;
    }
    w->ns = s;
    w->pruned_synapses += sd;
    free(map);
    node_rehash(w, w->nhcap);
    syn_rehash(w, w->shcap);
}

static void index_node_name(const char *name, char *out, size_t cap);

/* ---- learning --------------------------------------------------------------------------- */
static int learn_template(wl_net *w, const char *text)
{
    uint64_t h = hash_str(text);
    for (uint32_t i = 0; i < w->nt; i++)
        if (w->tp[i].h == h && !strcmp(w->tp[i].text, text)) {
            wl_tp *t = &w->tp[i];
            t->c = t->c * decay(w, t->t) + 1;
            t->t = w->clock;
            t->uses++;
            return 0;
        }
    char *s = strdup(text);
    if (!s)
        return NQ_ENOMEM;
    if (w->nt >= w->set.max_templates) {
        uint32_t weakest = 0;
        for (uint32_t i = 1; i < w->nt; i++)
            if (w->tp[i].c * decay(w, w->tp[i].t) < w->tp[weakest].c * decay(w, w->tp[weakest].t))
                weakest = i;
        free(w->tp[weakest].text);
        w->tp[weakest] = w->tp[--w->nt];
        w->evicted_templates++;
    }
    if (w->nt == w->ct) {
        uint32_t nc = w->ct ? w->ct * 2 : 16;
        wl_tp *n = realloc(w->tp, nc * sizeof *n);
        if (!n) {
            free(s);
            return NQ_ENOMEM;
        }
        w->tp = n;
        w->ct = nc;
    }
    w->tp[w->nt++] = (wl_tp){.text = s, .h = h, .c = 1, .t = w->clock, .uses = 1};
    return 0;
}

int wl_learn(wl_net *w, const char *const *names, int n, const char *text, int *decide)
{
    *decide = 0;
    if (n > WL_MAX_FEAT)
        n = WL_MAX_FEAT;
    int rc = 0;
    pthread_mutex_lock(&w->mu);
    if (!w->set.learning) {
        pthread_mutex_unlock(&w->mu);
        return 0;
    }
    w->clock++;
    /* the neuromorphic indexes whose leading column this statement filters or joins on:
     * their nodes join the co-activation (that is what keeps an index strong) */
    const char *all[WL_MAX_FEAT + 8];
    char ixn[8][WL_NAME_MAX + 8];
    int na = 0, nix = 0;
    for (int i = 0; i < n; i++)
        all[na++] = names[i];
    for (uint32_t r = 0; r < w->nix && nix < 8; r++) {
        const wl_ix *x = &w->ix[r];
        size_t tl = strlen(x->table), cl = strlen(x->column);
        for (int i = 0; i < n; i++) {
            const char *s = names[i];
            if (strncmp(s, x->table, tl) || s[tl] != '.' || strncmp(s + tl + 1, x->column, cl) ||
                s[tl + 1 + cl] != ':')
                continue;
            const char *cls = s + tl + 2 + cl;
            if (strcmp(cls, "eq") && strcmp(cls, "range") && strcmp(cls, "join"))
                continue;
            index_node_name(x->name, ixn[nix], sizeof ixn[nix]);
            all[na++] = ixn[nix++];
            break;
        }
    }
    names = all;
    n = na;
    w->gen++;
    uint32_t id[WL_MAX_FEAT + 8];
    int k = 0;
    for (int i = 0; i < n; i++) {
        int64_t x = node_get(w, names[i]);
        if (x < 0) {
            rc = NQ_ENOMEM;
            break;
        }
        int dup = 0;
        for (int j = 0; j < k; j++)
            dup |= id[j] == (uint32_t)x;
        if (dup)
            continue;
        id[k++] = (uint32_t)x;
        wl_nd *nd = &w->nd[x];
        nd->act = nd->act * decay(w, nd->t) + 1;
        nd->t = w->clock;
        nd->uses++;
    }
    double eta = w->set.eta;
    for (int i = 0; i < k && rc == 0; i++)
        for (int j = i + 1; j < k; j++) {
            uint32_t a = id[i] < id[j] ? id[i] : id[j], b = id[i] < id[j] ? id[j] : id[i];
            int64_t x = syn_get(w, a, b);
            if (x < 0) {
                rc = NQ_ENOMEM;
                break;
            }
            wl_syn *s = &w->sy[x];
            double wd = s->w * decay(w, s->t);
            s->w = wd + neuro_hebb_dw(eta, 1.0, 1.0, eta, wd);
            s->t = w->clock;
            s->uses++;
        }
    if (rc == 0 && text && *text)
        rc = learn_template(w, text);
    prune_synapses(w);
    prune_nodes(w);
    if (w->clock % w->set.decide_every == 0)
        *decide = 1;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void wl_get_stats(wl_net *w, wl_stats *o)
{
    pthread_mutex_lock(&w->mu);
    *o = (wl_stats){.clock = w->clock, .nodes = w->nn, .synapses = w->ns, .templates = w->nt,
                    .pruned_nodes = w->pruned_nodes, .pruned_synapses = w->pruned_synapses,
                    .evicted_templates = w->evicted_templates};
    pthread_mutex_unlock(&w->mu);
}

/* ---- snapshots -------------------------------------------------------------------------- */
static int cmp_edge(const void *x, const void *y)
{
    const wl_edge *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    int c = strcmp(a->from, b->from);
    return c ? c : strcmp(a->to, b->to);
}

void wl_edges_free(wl_edge *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].from);
        free(v[i].to);
    }
    free(v);
}

int wl_edges(wl_net *w, wl_edge **out, size_t *n)
{
    pthread_mutex_lock(&w->mu);
    wl_edge *v = calloc(w->ns + 1, sizeof *v);
    size_t k = 0;
    int rc = v ? 0 : NQ_ENOMEM;
    for (uint32_t i = 0; i < w->ns && rc == 0; i++, k++) {
        const wl_syn *s = &w->sy[i];
        const char *a = w->nd[s->a].name, *b = w->nd[s->b].name;
        if (strcmp(a, b) > 0) {
            const char *t = a;
            a = b;
            b = t;
        }
        v[k] = (wl_edge){.from = strdup(a), .to = strdup(b), .weight = s->w * decay(w, s->t),
                         .uses = s->uses, .last_used = s->t};
        if (!v[k].from || !v[k].to)
            rc = NQ_ENOMEM;
    }
    pthread_mutex_unlock(&w->mu);
    if (rc < 0) {
        wl_edges_free(v, k);
        return rc;
    }
    qsort(v, k, sizeof *v, cmp_edge);
    *out = v;
    *n = k;
    return 0;
}

static int cmp_node(const void *x, const void *y)
{
    const wl_node_info *a = x, *b = y;
    if (a->activity != b->activity)
        return a->activity > b->activity ? -1 : 1;
    return strcmp(a->name, b->name);
}

void wl_nodes_free(wl_node_info *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].name);
    free(v);
}

int wl_nodes(wl_net *w, wl_node_info **out, size_t *n)
{
    pthread_mutex_lock(&w->mu);
    wl_node_info *v = calloc(w->nn + 1, sizeof *v);
    size_t k = 0;
    int rc = v ? 0 : NQ_ENOMEM;
    for (uint32_t i = 0; i < w->nn && rc == 0; i++, k++) {
        v[k] = (wl_node_info){.name = strdup(w->nd[i].name),
                              .activity = w->nd[i].act * decay(w, w->nd[i].t),
                              .uses = w->nd[i].uses, .last_used = w->nd[i].t};
        if (!v[k].name)
            rc = NQ_ENOMEM;
    }
    pthread_mutex_unlock(&w->mu);
    if (rc < 0) {
        wl_nodes_free(v, k);
        return rc;
    }
    qsort(v, k, sizeof *v, cmp_node);
    *out = v;
    *n = k;
    return 0;
}

double wl_activity(wl_net *w, const char *name)
{
    pthread_mutex_lock(&w->mu);
    int64_t i = node_find(w, name);
    double a = i >= 0 ? w->nd[i].act * decay(w, w->nd[i].t) : 0;
    pthread_mutex_unlock(&w->mu);
    return a;
}

static int cmp_tp(const void *x, const void *y)
{
    const wl_template *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return strcmp(a->text, b->text);
}

void wl_templates_free(wl_template *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].text);
    free(v);
}

int wl_templates(wl_net *w, wl_template **out, size_t *n)
{
    pthread_mutex_lock(&w->mu);
    wl_template *v = calloc(w->nt + 1, sizeof *v);
    size_t k = 0;
    int rc = v ? 0 : NQ_ENOMEM;
    for (uint32_t i = 0; i < w->nt && rc == 0; i++, k++) {
        v[k] = (wl_template){.text = strdup(w->tp[i].text),
                             .weight = w->tp[i].c * decay(w, w->tp[i].t), .uses = w->tp[i].uses};
        if (!v[k].text)
            rc = NQ_ENOMEM;
    }
    pthread_mutex_unlock(&w->mu);
    if (rc < 0) {
        wl_templates_free(v, k);
        return rc;
    }
    qsort(v, k, sizeof *v, cmp_tp);
    *out = v;
    *n = k;
    return 0;
}

/* ---- neuromorphic index registry -------------------------------------------------------- */
static void ix_clear(wl_ix *x)
{
    free(x->name);
    free(x->table);
    free(x->column);
    free(x->create_sql);
}

static int64_t ix_find(const wl_net *w, const char *name)
{
    for (uint32_t i = 0; i < w->nix; i++)
        if (!strcmp(w->ix[i].name, name))
            return i;
    return -1;
}

static void index_node_name(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (n + 7 > cap)
        n = cap - 7;
    memcpy(out, "index:", 6);
    memcpy(out + 6, name, n);
    out[6 + n] = 0;
}

int wl_index_register(wl_net *w, const char *name, const char *table, const char *column,
                      const char *create_sql)
{
    wl_ix x = {.name = strdup(name), .table = strdup(table), .column = strdup(column),
               .create_sql = strdup(create_sql)};
    if (!x.name || !x.table || !x.column || !x.create_sql) {
        ix_clear(&x);
        return NQ_ENOMEM;
    }
    pthread_mutex_lock(&w->mu);
    x.created = x.changed = w->clock;
    int64_t i = ix_find(w, name);
    int rc = 0;
    if (i >= 0) {
        x.drops = w->ix[i].drops;
        x.rebuilds = w->ix[i].rebuilds;
        ix_clear(&w->ix[i]);
        w->ix[i] = x;
    } else {
        wl_ix *n = realloc(w->ix, (w->nix + 1) * sizeof *n);
        if (!n) {
            ix_clear(&x);
            rc = NQ_ENOMEM;
        } else {
            w->ix = n;
            w->ix[w->nix++] = x;
        }
    }
    w->gen++;
    if (rc == 0) {
        /* a new index starts with the strength of one use */
        char nn[WL_NAME_MAX + 8];
        index_node_name(name, nn, sizeof nn);
        int64_t k = node_get(w, nn);
        if (k < 0)
            rc = NQ_ENOMEM;
        else {
            wl_nd *nd = &w->nd[k];
            double a = nd->act * decay(w, nd->t);
            nd->act = a < 1 ? 1 : a;
            nd->t = w->clock;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void wl_index_forget(wl_net *w, const char *name)
{
    pthread_mutex_lock(&w->mu);
    int64_t i = ix_find(w, name);
    if (i >= 0) {
        ix_clear(&w->ix[i]);
        w->ix[i] = w->ix[--w->nix];
        w->gen++;
    }
    pthread_mutex_unlock(&w->mu);
}

void wl_index_set_state(wl_net *w, const char *name, int st)
{
    pthread_mutex_lock(&w->mu);
    int64_t i = ix_find(w, name);
    if (i >= 0 && w->ix[i].state != st) {
        w->gen++;
        w->ix[i].state = st;
        w->ix[i].changed = w->clock;
        if (st == WL_IX_DROPPED)
            w->ix[i].drops++;
        else {
            w->ix[i].rebuilds++;
            w->ix[i].created = w->clock;
        }
    }
    pthread_mutex_unlock(&w->mu);
}

static int cmp_ix(const void *x, const void *y)
{
    return strcmp(((const wl_index *)x)->name, ((const wl_index *)y)->name);
}

void wl_indexes_free(wl_index *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].table);
        free(v[i].column);
        free(v[i].create_sql);
    }
    free(v);
}

int wl_indexes(wl_net *w, wl_index **out, size_t *n)
{
    pthread_mutex_lock(&w->mu);
    wl_index *v = calloc(w->nix + 1, sizeof *v);
    size_t k = 0;
    int rc = v ? 0 : NQ_ENOMEM;
    for (uint32_t i = 0; i < w->nix && rc == 0; i++, k++) {
        const wl_ix *x = &w->ix[i];
        char nn[WL_NAME_MAX + 8];
        index_node_name(x->name, nn, sizeof nn);
        int64_t nd = node_find(w, nn);
        v[k] = (wl_index){.name = strdup(x->name), .table = strdup(x->table),
                          .column = strdup(x->column), .create_sql = strdup(x->create_sql),
                          .state = x->state, .created = x->created, .changed = x->changed,
                          .strength = nd >= 0 ? w->nd[nd].act * decay(w, w->nd[nd].t) : 0,
                          .drops = x->drops, .rebuilds = x->rebuilds};
        if (!v[k].name || !v[k].table || !v[k].column || !v[k].create_sql)
            rc = NQ_ENOMEM;
    }
    uint64_t now = w->clock;
    pthread_mutex_unlock(&w->mu);
    (void)now;
    if (rc < 0) {
        wl_indexes_free(v, k);
        return rc;
    }
    qsort(v, k, sizeof *v, cmp_ix);
    *out = v;
    *n = k;
    return 0;
}

/* ---- persistence ------------------------------------------------------------------------ */
#define WL_MAGIC 0x4c57514eu /* "NQWL" */
#define WL_VERSION 1

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} wbuf;

static uint8_t *wb_room(wbuf *b, size_t k)
{
    if (b->oom)
        return NULL;
    if (b->n + k > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->n + k)
            nc *= 2;
        uint8_t *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return NULL;
        }
        b->p = np;
        b->cap = nc;
    }
    uint8_t *r = b->p + b->n;
    b->n += k;
    return r;
}
static void wb_u32(wbuf *b, uint32_t v) { uint8_t *p = wb_room(b, 4); if (p) put_u32(p, v); }
static void wb_u64(wbuf *b, uint64_t v) { uint8_t *p = wb_room(b, 8); if (p) put_u64(p, v); }
static void wb_f64(wbuf *b, double d) { uint64_t v; memcpy(&v, &d, 8); wb_u64(b, v); }
static void wb_str(wbuf *b, const char *s)
{
    size_t n = strlen(s);
    wb_u32(b, (uint32_t)n);
    uint8_t *p = wb_room(b, n);
    if (p)
        memcpy(p, s, n);
}

uint64_t wl_dirty(wl_net *w, uint64_t *gen)
{
    pthread_mutex_lock(&w->mu);
    uint64_t d = w->gen - w->saved_gen;
    *gen = w->gen;
    pthread_mutex_unlock(&w->mu);
    return d;
}

void wl_mark_saved(wl_net *w, uint64_t gen)
{
    pthread_mutex_lock(&w->mu);
    w->saved_gen = gen;
    pthread_mutex_unlock(&w->mu);
}

int wl_save(wl_net *w, uint8_t **buf, size_t *len)
{
    wbuf b = {0};
    pthread_mutex_lock(&w->mu);
    const wl_settings *s = &w->set;
    wb_u32(&b, WL_MAGIC);
    wb_u32(&b, WL_VERSION);
    wb_u32(&b, (uint32_t)s->learning);
    wb_u32(&b, s->half_life);
    wb_f64(&b, s->eta);
    wb_u32(&b, s->max_nodes);
    wb_u32(&b, s->max_synapses);
    wb_u32(&b, s->max_templates);
    wb_f64(&b, s->drop_threshold);
    wb_u64(&b, s->min_age);
    wb_f64(&b, s->rebuild_threshold);
    wb_u32(&b, s->decide_every);
    wb_u64(&b, w->clock);
    wb_u64(&b, w->pruned_nodes);
    wb_u64(&b, w->pruned_synapses);
    wb_u64(&b, w->evicted_templates);
    wb_u32(&b, w->nn);
    for (uint32_t i = 0; i < w->nn; i++) {
        wb_str(&b, w->nd[i].name);
        wb_f64(&b, w->nd[i].act);
        wb_u64(&b, w->nd[i].t);
        wb_u64(&b, w->nd[i].uses);
    }
    wb_u32(&b, w->ns);
    for (uint32_t i = 0; i < w->ns; i++) {
        wb_u32(&b, w->sy[i].a);
        wb_u32(&b, w->sy[i].b);
        wb_f64(&b, w->sy[i].w);
        wb_u64(&b, w->sy[i].t);
        wb_u64(&b, w->sy[i].uses);
    }
    wb_u32(&b, w->nt);
    for (uint32_t i = 0; i < w->nt; i++) {
        wb_str(&b, w->tp[i].text);
        wb_f64(&b, w->tp[i].c);
        wb_u64(&b, w->tp[i].t);
        wb_u64(&b, w->tp[i].uses);
    }
    wb_u32(&b, w->nix);
    for (uint32_t i = 0; i < w->nix; i++) {
        const wl_ix *x = &w->ix[i];
        wb_str(&b, x->name);
        wb_str(&b, x->table);
        wb_str(&b, x->column);
        wb_str(&b, x->create_sql);
        wb_u32(&b, (uint32_t)x->state);
        wb_u64(&b, x->created);
        wb_u64(&b, x->changed);
        wb_u64(&b, x->drops);
        wb_u64(&b, x->rebuilds);
    }
    pthread_mutex_unlock(&w->mu);
    if (b.oom) {
        free(b.p);
        return NQ_ENOMEM;
    }
    *buf = b.p;
    *len = b.n;
    return 0;
}

typedef struct rbuf {
    const uint8_t *p;
    size_t n, pos;
    int bad;
} rbuf;

static const uint8_t *rb_take(rbuf *b, size_t k)
{
    if (b->bad || k > b->n - b->pos) {
        b->bad = 1;
        return NULL;
    }
    const uint8_t *r = b->p + b->pos;
    b->pos += k;
    return r;
}
static uint32_t rb_u32(rbuf *b) { const uint8_t *p = rb_take(b, 4); return p ? get_u32(p) : 0; }
static uint64_t rb_u64(rbuf *b) { const uint8_t *p = rb_take(b, 8); return p ? get_u64(p) : 0; }
static double rb_f64(rbuf *b)
{
    uint64_t v = rb_u64(b);
    double d;
    memcpy(&d, &v, 8);
    return isfinite(d) ? d : (b->bad = 1, 0);
}
/* A malloc'd string of at most max bytes without NULs; NULL (b->bad or out of memory). */
static char *rb_str(rbuf *b, size_t max, int *oom)
{
    uint32_t n = rb_u32(b);
    if (n > max) {
        b->bad = 1;
        return NULL;
    }
    const uint8_t *p = rb_take(b, n);
    if (!p)
        return NULL;
    if (memchr(p, 0, n)) {
        b->bad = 1;
        return NULL;
    }
    char *s = malloc(n + 1);
    if (!s) {
        *oom = 1;
        return NULL;
    }
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

int wl_load(wl_net *w, const uint8_t *buf, size_t len, nq_err *e)
{
    rbuf b = {.p = buf, .n = len};
    int oom = 0;
    if (rb_u32(&b) != WL_MAGIC || b.bad)
        return nq_err_set(e, NQ_ECORRUPT, "workload memory: not a saved network (bad magic)");
    uint32_t ver = rb_u32(&b);
    if (ver != WL_VERSION)
        return nq_err_set(e, NQ_ECORRUPT, "workload memory: unknown format version %u", ver);
    wl_settings s;
    uint32_t learning = rb_u32(&b);
    s.learning = (int)learning;
    if (learning > 1)
        b.bad = 1;
    s.half_life = rb_u32(&b);
    s.eta = rb_f64(&b);
    s.max_nodes = rb_u32(&b);
    s.max_synapses = rb_u32(&b);
    s.max_templates = rb_u32(&b);
    s.drop_threshold = rb_f64(&b);
    s.min_age = rb_u64(&b);
    s.rebuild_threshold = rb_f64(&b);
    s.decide_every = rb_u32(&b);
    if (b.bad)
        return nq_err_set(e, NQ_ECORRUPT, "workload memory: truncated settings");
    wl_net *t = wl_new();
    if (!t)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    nq_err tmp;
    nq_err_clear(&tmp);
    if (wl_set_settings(t, &s, &tmp) < 0) {
        wl_free(t);
        return nq_err_set(e, NQ_ECORRUPT, "workload memory: bad settings: %s", tmp.msg);
    }
    t->clock = rb_u64(&b);
    t->pruned_nodes = rb_u64(&b);
    t->pruned_synapses = rb_u64(&b);
    t->evicted_templates = rb_u64(&b);
    uint32_t nn = rb_u32(&b);
    if (nn > s.max_nodes + 64 || nn > (len - b.pos) / 28)
        b.bad = 1;
    for (uint32_t i = 0; i < nn && !b.bad && !oom; i++) {
        char *name = rb_str(&b, WL_NAME_MAX, &oom);
        double a = rb_f64(&b);
        uint64_t tt = rb_u64(&b), uses = rb_u64(&b);
        if (!name || b.bad || a < 0 || tt > t->clock || node_find(t, name) >= 0) {
            b.bad |= !oom;
            free(name);
            break;
        }
        int64_t k = node_get(t, name);
        free(name);
        if (k < 0) {
            oom = 1;
            break;
        }
        t->nd[k].act = a;
        t->nd[k].t = tt;
        t->nd[k].uses = uses;
    }
    uint32_t ns = b.bad || oom ? 0 : rb_u32(&b);
    if (ns > s.max_synapses + 64 || ns > (len - b.pos) / 32)
        b.bad = 1;
    for (uint32_t i = 0; i < ns && !b.bad && !oom; i++) {
        uint32_t x = rb_u32(&b), y = rb_u32(&b);
        double wt = rb_f64(&b);
        uint64_t tt = rb_u64(&b), uses = rb_u64(&b);
        if (b.bad || x >= y || y >= t->nn || wt < 0 || wt > 1 || tt > t->clock) {
            b.bad = 1;
            break;
        }
        uint32_t before = t->ns;
        int64_t k = syn_get(t, x, y);
        if (k < 0) {
            oom = 1;
            break;
        }
        if (t->ns == before) { /* a duplicate pair */
            b.bad = 1;
            break;
        }
        t->sy[k].w = wt;
        t->sy[k].t = tt;
        t->sy[k].uses = uses;
    }
    uint32_t nt = b.bad || oom ? 0 : rb_u32(&b);
    if (nt > s.max_templates)
        b.bad = 1;
    for (uint32_t i = 0; i < nt && !b.bad && !oom; i++) {
        char *text = rb_str(&b, WL_TEXT_MAX, &oom);
        double c = rb_f64(&b);
        uint64_t tt = rb_u64(&b), uses = rb_u64(&b);
        if (!text || b.bad || c < 0 || tt > t->clock) {
            b.bad |= !oom;
            free(text);
            break;
        }
        if (t->nt == t->ct) {
            uint32_t ncap = t->ct ? t->ct * 2 : 16;
            wl_tp *np = realloc(t->tp, ncap * sizeof *np);
            if (!np) {
                free(text);
                oom = 1;
                break;
            }
            t->tp = np;
            t->ct = ncap;
        }
        t->tp[t->nt++] = (wl_tp){.text = text, .h = hash_str(text), .c = c, .t = tt, .uses = uses};
    }
    uint32_t nix = b.bad || oom ? 0 : rb_u32(&b);
    if (nix > 65536)
        b.bad = 1;
    for (uint32_t i = 0; i < nix && !b.bad && !oom; i++) {
        wl_ix x = {0};
        x.name = rb_str(&b, WL_NAME_MAX, &oom);
        x.table = rb_str(&b, WL_NAME_MAX, &oom);
        x.column = rb_str(&b, WL_NAME_MAX, &oom);
        x.create_sql = rb_str(&b, WL_TEXT_MAX, &oom);
        x.state = (int)rb_u32(&b);
        x.created = rb_u64(&b);
        x.changed = rb_u64(&b);
        x.drops = rb_u64(&b);
        x.rebuilds = rb_u64(&b);
        if (b.bad || oom || !x.name || !x.table || !x.column || !x.create_sql ||
            (x.state != WL_IX_ACTIVE && x.state != WL_IX_DROPPED) || ix_find(t, x.name) >= 0) {
            b.bad |= !oom;
            ix_clear(&x);
            break;
        }
        wl_ix *np = realloc(t->ix, (t->nix + 1) * sizeof *np);
        if (!np) {
            ix_clear(&x);
            oom = 1;
            break;
        }
        t->ix = np;
        t->ix[t->nix++] = x;
    }
    if (!b.bad && !oom && b.pos != len)
        b.bad = 1;
    if (b.bad || oom) {
        wl_free(t);
        return oom ? nq_err_set(e, NQ_ENOMEM, "out of memory")
                   : nq_err_set(e, NQ_ECORRUPT, "workload memory: damaged at byte %zu of %zu", b.pos, len);
    }
    /* move t's content into w */
    pthread_mutex_lock(&w->mu);
    free_content(w, 0);
    wl_net keep = *w;
    *w = *t;
    w->mu = keep.mu;
    w->gen = w->saved_gen = keep.gen + 1; /* what was loaded is what is saved */
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_destroy(&t->mu);
    free(t);
    return 0;
}

/* ---- templates -------------------------------------------------------------------------- */
static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80;
}

void wl_template_of(const char *sql, size_t len, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    int space = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 < cap)                                                                           \
            out[o++] = (ch);                                                                       \
    } while (0)
    while (i < len) {
        char c = sql[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = 1;
            i++;
            continue;
        }
        if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
            while (i < len && sql[i] != '\n')
                i++;
            space = 1;
            continue;
        }
        if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(sql[i] == '*' && sql[i + 1] == '/'))
                i++;
            i += 2;
            space = 1;
            continue;
        }
        if (c == ';' ) {
            i++;
            continue;
        }
        if (space && o > 0)
            PUT(' ');
        space = 0;
        if (c == '\'' || ((c == 'x' || c == 'X') && i + 1 < len && sql[i + 1] == '\'' &&
                          (i == 0 || !ident_char(sql[i - 1])))) {
            if (c != '\'')
                i++;
            i++;
            while (i < len) {
                if (sql[i] == '\'' && i + 1 < len && sql[i + 1] == '\'')
                    i += 2;
                else if (sql[i] == '\'') {
                    i++;
                    break;
                } else
                    i++;
            }
            PUT('?');
            continue;
        }
        if (c == '"') { /* a quoted name: copied */
            PUT(c);
            i++;
            for (; i < len && sql[i] != '"'; i++)
                PUT(sql[i]);
            if (i < len) {
                PUT('"');
                i++;
            }
            continue;
        }
        if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < len && sql[i + 1] >= '0' && sql[i + 1] <= '9')) {
            if (i > 0 && ident_char(sql[i - 1])) { /* part of a name such as t1 */
                PUT(c);
                i++;
                continue;
            }
            while (i < len && (ident_char(sql[i]) || sql[i] == '.' ||
                               ((sql[i] == '+' || sql[i] == '-') && (sql[i - 1] == 'e' || sql[i - 1] == 'E'))))
                i++;
            PUT('?');
            continue;
        }
        PUT(c);
        i++;
    }
#undef PUT
    if (cap)
        out[o < cap ? o : cap - 1] = 0;
}
