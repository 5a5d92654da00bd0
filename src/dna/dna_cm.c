/*
 * dna_cm.c — the statistical codecs: context models over 2-bit symbols, mixed by a small
 * online-trained network, arithmetic-coded (dna_arith.h). Everything is integer arithmetic,
 * so an encoder on x86-64 and a decoder on ARM64 compute the same probabilities bit for bit.
 *
 * A base (0..3) is coded as two binary decisions: the high bit, then the low bit given the
 * high bit. So a context owns three binary "nodes", each an adaptive probability (12 bits)
 * with a small hit count (4 bits) that sets its learning rate, 1/(n + 1.5) (a frequency
 * estimate at first, then exponential forgetting).
 *
 * Order-k models: the context is the previous k bases. Tables hold 4 x 16-bit per context
 * (a tag and the three nodes). For small k the table is indexed directly by the context; for
 * large k (or when the input is small) by a hash, with a 16-bit tag that resets a slot when
 * another context claims it. Stored values are XORed with the initial state, so a fresh
 * calloc'd table needs no initialisation (and untouched pages cost nothing).
 *
 * Inverted repeats (as in GeCo and XM): DNA is double-stranded, so a string and its reverse
 * complement are the same molecule read the other way. After each base x_i, a model with IR
 * also updates the context made of the complements of x_i, x_{i-1}, ..., x_{i-k+1} with the
 * symbol complement(x_{i-k}) — what the other strand would have taught it. A later occurrence
 * of the reverse complement then finds statistics already learned.
 *
 * Match models: a hash of the last 24 bases finds the previous occurrence; while the copy
 * keeps predicting right, its predicted base is an input whose confidence is learned per
 * match length (a copy of 32 bases or more survives a mismatch — a point mutation — with its
 * length cut to a quarter). A second match model looks up the reverse complement of the last 24 bases
 * and follows that occurrence backwards, predicting complements (palindromic copies).
 *
 * Mixing ("NeuralNetwork"): each model's prediction is put in the logistic domain
 * (stretch(p) = ln(p/(1-p))), a single-layer network with weights chosen by a small context
 * (which node, how long the current matches are) forms sum(w_i * st_i), squashes it back to a
 * probability, and after the bit is known moves each weight by lr * err * st_i (online
 * gradient descent on coding cost). An adaptive probability map (SSE) keyed by the order-2
 * context refines the result. KmerBased uses one order-8 model (with IR, slow counters) and no
 * mixing. The configurations (orders, rates) were tuned on the E. coli genome and are part of
 * format version 1.
 *
 * Encoder and decoder run the same code (cm_code): the arithmetic coder either takes the bit
 * or produces it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dna_arith.h"
#include "dna_cm.h"

#define MAXM 24      /* models */
#define MAXIN (MAXM + 4)
#define MATCH_MIN 24 /* bases hashed to find a match */
#define MATCH_VERIFY 32
#define MATCH_TOLERATE 32 /* a forward match this long keeps going after a mismatch */

typedef struct cm_model {
    int order, ir, hashed, limit;
    unsigned bits;
    uint16_t *t;
    uint16_t *slot; /* forward slot of the current base */
    uint64_t next_h; /* ctx_hash of the next base's context */
} cm_model;

typedef struct cm_cfg {
    int n;
    struct {
        int order, ir, limit;
    } m[MAXM];
    int mix;     /* use the mixer, match models and SSE */
    int maxbits; /* largest table (slots, log2) */
    int roff;    /* counter learning rate 2 / (2n + roff): larger = slower, steadier */
} cm_cfg;

/* The configurations are part of the format (version 1): changing one changes the bits. */
static const cm_cfg cfg_kmer = {1, {{8, 1, 15}}, 0, 22, 32};
static const cm_cfg cfg_mixed = {
    11,
    {{2, 0, 15}, {3, 0, 15}, {4, 0, 15}, {6, 0, 15}, {8, 1, 15}, {11, 1, 15}, {12, 1, 15},
     {14, 1, 15}, {16, 1, 15}, {20, 1, 15}, {24, 1, 15}},
    1, 22, 16};

typedef struct cm {
    cm_cfg cfg;
    cm_model m[MAXM];
    int16_t stretch_t[4096];
    int rate[16];
    /* mixer */
    int nin;
    int32_t *w; /* [sets][MAXIN] */
    int st[MAXIN];
    /* SSE: [ctx][33] */
    uint16_t *apm;
    /* match models */
    uint32_t *mt;
    unsigned mbits;
    uint64_t mlen, irlen;  /* current lengths (0 = none) */
    uint64_t mptr;         /* forward: index of the predicted symbol */
    int64_t irptr;         /* IR: index whose complement is predicted */
    uint16_t msm[2][2][64]; /* [fwd/ir][node kind][len bucket] P(expected bit right), 16 bits */
} cm;

/* ---- logistic helpers (integer, from lpaq1) ---- */

static int squash(int d) /* 4096 / (1 + e^(-d/256)), d clamped to +-2047 */
{
    static const int t[33] = {1,    2,    3,    6,    10,   16,   27,   45,   73,   120,  194,
                              310,  488,  747,  1101, 1546, 2047, 2549, 2994, 3348, 3607, 3785,
                              3901, 3975, 4024, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094};
    if (d > 2047)
        return 4095;
    if (d < -2047)
        return 1;
    int w = d & 127;
    d = (d >> 7) + 16;
    return (t[d] * (128 - w) + t[d + 1] * w + 64) >> 7;
}

static void init_tables(cm *c, int roff)
{
    int pi = 0;
    for (int x = -2047; x <= 2047; x++) { /* stretch = inverse of squash */
        int v = squash(x);
        for (int j = pi; j <= v; j++)
            c->stretch_t[j] = (int16_t)x;
        pi = v + 1;
    }
    for (int j = pi; j < 4096; j++)
        c->stretch_t[j] = 2047;
    for (int n = 0; n < 16; n++)
        c->rate[n] = 131072 / (2 * n + roff);
}

/* ---- counters: stored ^ 0x8000 = p12 << 4 | n ---- */
#define CTR_INIT 0x8000u

static inline int ctr_p(uint16_t s)
{
    return (s ^ CTR_INIT) >> 4;
}

static inline void ctr_update(const cm *c, uint16_t *s, int bit, int limit)
{
    unsigned v = *s ^ CTR_INIT;
    int p = (int)(v >> 4), n = (int)(v & 15);
    if (bit)
        p += ((4096 - p) * c->rate[n]) >> 16;
    else
        p -= (p * c->rate[n]) >> 16;
    if (p > 4095)
        p = 4095;
    if (n < limit)
        n++;
    *s = (uint16_t)(((unsigned)p << 4 | (unsigned)n) ^ CTR_INIT);
}

static unsigned ceil_log2(uint64_t n)
{
    unsigned b = 0;
    while (((uint64_t)1 << b) < n)
        b++;
    return b;
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return x;
}

static inline uint64_t ctx_hash(const cm_model *m, uint64_t ctx)
{
    return m->hashed ? mix64(ctx + ((uint64_t)m->order << 56)) : ctx;
}

/* the slot of a context whose ctx_hash is h (claimed, and reset, if its tag differs) */
static inline uint16_t *slot_at(cm_model *m, uint64_t h)
{
    if (!m->hashed)
        return m->t + ((size_t)h << 2);
    uint16_t *s = m->t + ((size_t)(h >> (64 - m->bits)) << 2);
    uint16_t tag = (uint16_t)h;
    if (s[0] != tag) {
        s[0] = tag;
        s[1] = s[2] = s[3] = 0;
    }
    return s;
}

static inline const uint16_t *slot_addr(const cm_model *m, uint64_t h)
{
    return m->t + ((size_t)(m->hashed ? h >> (64 - m->bits) : h) << 2);
}

static inline uint64_t order_mask(int order)
{
    return order >= 32 ? ~0ull : ((1ull << (2 * order)) - 1);
}

/* Zeroed tables. Large ones come straight from mmap (zero pages, nothing touched until
 * used) with transparent huge pages requested: the models read them at random, and 2 MiB
 * pages spare most of the TLB misses. */
#define BIG_TABLE ((size_t)1 << 21)

static void *table_alloc(size_t bytes)
{
    if (bytes < BIG_TABLE)
        return calloc(1, bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

static void table_free(void *p, size_t bytes)
{
    if (!p)
        return;
    if (bytes < BIG_TABLE)
        free(p);
    else
        munmap(p, bytes);
}

static size_t model_bytes(const cm_model *m)
{
    return ((size_t)4 << m->bits) * sizeof(uint16_t);
}

static void cm_free(cm *c)
{
    for (int i = 0; i < c->cfg.n; i++)
        table_free(c->m[i].t, model_bytes(&c->m[i]));
    free(c->w);
    free(c->apm);
    table_free(c->mt, ((size_t)1 << c->mbits) * sizeof *c->mt);
    free(c);
}

#define NSETS 24

static cm *cm_new(int method, size_t n)
{
    cm *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = method == DNA_BLOCK_KMER ? cfg_kmer : cfg_mixed;
    init_tables(c, c->cfg.roff);
    /* tables no larger than the input needs: the decoder derives the same sizes from n */
    unsigned cap = ceil_log2(n + 1) + 1;
    if (cap < 10)
        cap = 10;
    if (cap > (unsigned)c->cfg.maxbits)
        cap = (unsigned)c->cfg.maxbits;
    for (int i = 0; i < c->cfg.n; i++) {
        cm_model *m = &c->m[i];
        m->order = c->cfg.m[i].order;
        m->ir = c->cfg.m[i].ir;
        m->limit = c->cfg.m[i].limit;
        if ((unsigned)(2 * m->order) <= cap) {
            m->hashed = 0;
            m->bits = (unsigned)(2 * m->order);
        } else {
            m->hashed = 1;
            m->bits = cap;
        }
        m->t = table_alloc(model_bytes(m));
        m->next_h = ctx_hash(m, 0); /* the context before the first base is all zeros */
        if (!m->t) {
            c->cfg.n = i;
            cm_free(c);
            return NULL;
        }
    }
    if (c->cfg.mix) {
        c->nin = c->cfg.n + 3; /* models, 2 match models, bias */
        c->w = malloc((size_t)NSETS * MAXIN * sizeof *c->w);
        c->apm = malloc((size_t)16 * 3 * 33 * sizeof *c->apm);
        c->mbits = cap;
        c->mt = table_alloc(((size_t)1 << c->mbits) * sizeof *c->mt);
        if (!c->w || !c->apm || !c->mt) {
            cm_free(c);
            return NULL;
        }
        for (int s = 0; s < NSETS; s++)
            for (int i = 0; i < MAXIN; i++)
                c->w[s * MAXIN + i] = i < c->cfg.n ? (1 << 16) / 4 : (1 << 16) / 2;
        for (int k = 0; k < 16 * 3; k++)
            for (int j = 0; j < 33; j++)
                c->apm[k * 33 + j] = (uint16_t)(squash((j - 16) * 128) * 16);
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                for (int l = 0; l < 64; l++)
                    c->msm[a][b][l] = 49152; /* 0.75 */
    }
    return c;
}

static inline int len_bucket(uint64_t len)
{
    return len == 0 ? 0 : len < 32 ? 1 : len < 128 ? 2 : 3;
}

static inline int msm_idx(uint64_t len)
{
    return len >= 63 ? 63 : (int)len;
}

/* code one base: sym (encoder) or -1 (decoder); returns the base */
static int cm_code(cm *c, dna_arith *a, const uint8_t *hist, size_t i, uint64_t ctx, int sym)
{
    int nm = c->cfg.n;
    (void)ctx;
    for (int k = 0; k < nm; k++) /* next_h: hashed by cm_after (or cm_new for the first base) */
        c->m[k].slot = slot_at(&c->m[k], c->m[k].next_h);
    if (!c->cfg.mix) {
        cm_model *m = &c->m[0];
        int p = ctr_p(m->slot[1]);
        p = p < 1 ? 1 : p > 4095 ? 4095 : p;
        int b1 = dna_arith_bit(a, sym < 0 ? 0 : sym >> 1, p);
        ctr_update(c, &m->slot[1], b1, m->limit);
        p = ctr_p(m->slot[2 + b1]);
        p = p < 1 ? 1 : p > 4095 ? 4095 : p;
        int b0 = dna_arith_bit(a, sym < 0 ? 0 : sym & 1, p);
        ctr_update(c, &m->slot[2 + b1], b0, m->limit);
        return b1 << 1 | b0;
    }
    /* expected bases of the match models */
    int fe = c->mlen ? hist[c->mptr] : -1;
    int ie = c->irlen ? (hist[c->irptr] ^ 2) : -1;
    int set_base = (len_bucket(c->mlen) * 2 + (c->irlen != 0)) * 3;
    int b1 = 0, bits = 0;
    for (int node = 0; node < 2; node++) {
        int ni = node == 0 ? 1 : 2 + b1; /* slot index of the node */
        for (int k = 0; k < nm; k++)
            c->st[k] = c->stretch_t[ctr_p(c->m[k].slot[ni])];
        /* match inputs */
        int fi = -1, ii = -1;
        if (fe >= 0 && (node == 0 || (fe >> 1) == b1)) {
            fi = msm_idx(c->mlen);
            int eb = node == 0 ? fe >> 1 : fe & 1;
            int s = c->stretch_t[c->msm[0][node][fi] >> 4];
            c->st[nm] = eb ? s : -s;
        } else {
            c->st[nm] = 0;
        }
        if (ie >= 0 && (node == 0 || (ie >> 1) == b1)) {
            ii = msm_idx(c->irlen);
            int eb = node == 0 ? ie >> 1 : ie & 1;
            int s = c->stretch_t[c->msm[1][node][ii] >> 4];
            c->st[nm + 1] = eb ? s : -s;
        } else {
            c->st[nm + 1] = 0;
        }
        c->st[nm + 2] = 256;
        int nin = nm + 3;
        int32_t *w = c->w + (size_t)(set_base + (node == 0 ? 0 : 1 + b1)) * MAXIN;
        int64_t dot = 0;
        for (int k = 0; k < nin; k++)
            dot += (int64_t)w[k] * c->st[k];
        int d = (int)(dot >> 16);
        d = d < -2047 ? -2047 : d > 2047 ? 2047 : d;
        int pm = squash(d);
        /* SSE on the order-2 context and the node */
        int actx = (int)((ctx & 15) * 3 + (node == 0 ? 0 : 1 + b1));
        int sv = c->stretch_t[pm] + 2048;
        int lo = sv >> 7, wt = sv & 127;
        uint16_t *at = c->apm + actx * 33;
        int pa = (at[lo] * (128 - wt) + at[lo + 1] * wt) >> 11;
        int p = (pm + 3 * pa) >> 2;
        p = p < 1 ? 1 : p > 4095 ? 4095 : p;
        int bit = dna_arith_bit(a, sym < 0 ? 0 : (node == 0 ? sym >> 1 : sym & 1), p);
        /* learn */
        int err = ((bit << 12) - pm) * 2; /* learning rate: tuned on E. coli */
        for (int k = 0; k < nin; k++) {
            int32_t v = w[k] + ((c->st[k] * err) >> 10);
            w[k] = v > (1 << 23) ? (1 << 23) : v < -(1 << 23) ? -(1 << 23) : v;
        }
        {
            int j = lo + (wt >> 6);
            int target = bit ? 65535 : 0;
            at[j] = (uint16_t)(at[j] + ((target - at[j]) >> 6));
        }
        for (int k = 0; k < nm; k++)
            ctr_update(c, &c->m[k].slot[ni], bit, c->m[k].limit);
        if (fi >= 0) {
            int eb = node == 0 ? fe >> 1 : fe & 1;
            uint16_t *q = &c->msm[0][node][fi];
            *q = (uint16_t)(*q + ((((eb == bit) ? 65535 : 0) - *q) >> 5));
        }
        if (ii >= 0) {
            int eb = node == 0 ? ie >> 1 : ie & 1;
            uint16_t *q = &c->msm[1][node][ii];
            *q = (uint16_t)(*q + ((((eb == bit) ? 65535 : 0) - *q) >> 5));
        }
        if (node == 0)
            b1 = bit;
        bits = bits << 1 | bit;
    }
    (void)i;
    return bits;
}

/* after base i (hist[0..i] known): IR updates, match model maintenance */
static void cm_after(cm *c, const uint8_t *hist, size_t i, uint64_t ctx, uint64_t rc)
{
    int s = hist[i];
    /* start the memory loads of this step's IR updates and of the next base's contexts
     * together: the tables are far larger than the caches */
    uint64_t irh[MAXM];
    const uint64_t wmask = (1ull << (2 * MATCH_MIN)) - 1;
    size_t h = 0, hr = 0;
    if (c->cfg.mix && i + 1 >= MATCH_MIN) { /* the match tables are read below */
        h = (size_t)(mix64(ctx & wmask) >> (64 - c->mbits));
        hr = (size_t)(mix64(rc >> (64 - 2 * MATCH_MIN)) >> (64 - c->mbits));
        __builtin_prefetch(c->mt + h);
        __builtin_prefetch(c->mt + hr);
    }
    for (int k = 0; k < c->cfg.n; k++) {
        cm_model *m = &c->m[k];
        m->next_h = ctx_hash(m, ctx & order_mask(m->order));
        __builtin_prefetch(slot_addr(m, m->next_h));
        if (m->ir && i >= (size_t)m->order) {
            irh[k] = ctx_hash(m, rc >> (64 - 2 * m->order));
            __builtin_prefetch(slot_addr(m, irh[k]));
        }
    }
    for (int k = 0; k < c->cfg.n; k++) {
        cm_model *m = &c->m[k];
        if (!m->ir || i < (size_t)m->order)
            continue;
        uint16_t *sl = slot_at(m, irh[k]);
        int t = hist[i - (size_t)m->order] ^ 2;
        ctr_update(c, &sl[1], t >> 1, m->limit);
        ctr_update(c, &sl[2 + (t >> 1)], t & 1, m->limit);
    }
    if (!c->cfg.mix)
        return;
    /* forward match */
    if (c->mlen) {
        if (hist[c->mptr] == s) {
            c->mlen++;
            c->mptr++;
        } else if (c->mlen >= MATCH_TOLERATE) {
            /* a long copy survives a point mutation, with its confidence cut back */
            c->mlen /= 4;
            c->mptr++;
        } else {
            c->mlen = 0;
        }
    }
    if (c->irlen) {
        if ((hist[c->irptr] ^ 2) == s && c->irptr > 0) {
            c->irlen++;
            c->irptr--;
        } else {
            c->irlen = 0;
        }
    }
    size_t n1 = i + 1; /* bases known */
    if (n1 < MATCH_MIN)
        return;
    if (!c->mlen) {
        uint32_t cand = c->mt[h];
        if (cand) { /* occurrence ending at cand: verify backwards */
            uint64_t len = 0;
            while (len < MATCH_VERIFY && len < cand && hist[cand - 1 - len] == hist[i - len])
                len++;
            if (len >= MATCH_MIN) {
                c->mlen = len;
                c->mptr = cand;
            }
        }
    }
    if (!c->irlen) {
        uint32_t cand = c->mt[hr];
        /* the reverse complement of our last MATCH_MIN bases occurs at [cand-MATCH_MIN, cand):
         * our base i pairs with hist[cand-MATCH_MIN], i-1 with the one after, ... */
        if (cand >= MATCH_MIN + 1) {
            size_t st = cand - MATCH_MIN;
            uint64_t len = 0;
            while (len < MATCH_VERIFY && st + len < n1 && len <= i &&
                   (hist[st + len] ^ 2) == hist[i - len])
                len++;
            if (len >= MATCH_MIN) {
                c->irlen = len;
                c->irptr = (int64_t)st - 1;
            }
        }
    }
    c->mt[h] = (uint32_t)n1;
}

static int cm_run(int method, const uint8_t *sym_in, uint8_t *hist, size_t n, dna_arith *a)
{
    cm *c = cm_new(method, n);
    if (!c)
        return NQ_ENOMEM;
    uint64_t ctx = 0, rc = 0;
    for (size_t i = 0; i < n; i++) {
        int s = cm_code(c, a, hist, i, ctx, sym_in ? sym_in[i] : -1);
        hist[i] = (uint8_t)s;
        ctx = (ctx << 2) | (uint64_t)s;
        rc = (rc >> 2) | ((uint64_t)(s ^ 2) << 62);
        cm_after(c, hist, i, ctx, rc);
    }
    cm_free(c);
    return 0;
}

int dna_cm_encode(const uint8_t *sym, size_t n, int method, dna_buf *out)
{
    if (n > UINT32_MAX - 1)
        return NQ_ETOOBIG;
    dna_arith a;
    dna_arith_enc_init(&a, out);
    uint8_t *hist = malloc(n ? n : 1);
    if (!hist)
        return NQ_ENOMEM;
    int rc = cm_run(method, sym, hist, n, &a);
    free(hist);
    if (rc)
        return rc;
    dna_arith_flush(&a);
    return a.oom ? NQ_ENOMEM : 0;
}

int dna_cm_decode(const uint8_t *in, size_t len, size_t n, int method, uint8_t *sym)
{
    if (n > UINT32_MAX - 1)
        return NQ_ECORRUPT;
    dna_arith a;
    dna_arith_dec_init(&a, in, len);
    return cm_run(method, NULL, sym, n, &a);
}
