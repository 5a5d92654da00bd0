/*
 * neuromatch.c — the NEUROMATCH similarity and the store of learned term–row associations
 * (the design and the formulas are in neuromatch.h).
 *
 * Scoring runs once per row and field, so it allocates nothing per call once the scratch
 * buffers have grown: the value is lower-cased into one buffer, its words are found in place,
 * and a value word is decoded to code points only when the cheap containment test fails and
 * a Levenshtein distance is needed (one DP row of |pw| + 1 entries).
 *
 * The associations a NEUROMATCH needs are read once when its operator opens: one range scan
 * of the store per term of the pattern ('A' table term ...), summed per rowid into an
 * open-addressing hash map, so scoring a row costs one probe however many terms there are.
 */
#include "sql/neuromatch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "neuro/neuro_plasticity.h"
#include "neuro/neuro_stdp.h"
#include "sql/func_int.h"
#include "sql/tablerw.h"

/* ---- text ------------------------------------------------------------------------------- */
void nm_scratch_free(nm_scratch *sc)
{
    free(sc->low);
    free(sc->cp);
    free(sc->dp);
    memset(sc, 0, sizeof *sc);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

static int is_ws(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Lower-case s[0..n) into *buf (grown); *out_n its length. */
static int lower_into(const char *s, size_t n, char **buf, size_t *cap, size_t *out_n)
{
    /* a lower-case code point never needs more than 4 bytes, the upper-case one at least 1 */
    if (grow((void **)buf, cap, 4 * n + 1, 1))
        return -1;
    char *o = *buf;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            o[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
            continue;
        }
        size_t cl = fn_utf8_clen(s + i, n - i);
        uint32_t cp = cl > 1 ? fn_utf8_decode(s + i, cl) : c;
        uint32_t lc = cl > 1 ? fn_cp_lower(cp) : cp;
        if (cl == 1 || lc == cp) {
            memcpy(o + k, s + i, cl);
            k += cl;
        } else if (lc < 0x80) {
            o[k++] = (char)lc;
        } else if (lc < 0x800) {
            o[k++] = (char)(0xc0 | (lc >> 6));
            o[k++] = (char)(0x80 | (lc & 0x3f));
        } else if (lc < 0x10000) {
            o[k++] = (char)(0xe0 | (lc >> 12));
            o[k++] = (char)(0x80 | ((lc >> 6) & 0x3f));
            o[k++] = (char)(0x80 | (lc & 0x3f));
        } else {
            o[k++] = (char)(0xf0 | (lc >> 18));
            o[k++] = (char)(0x80 | ((lc >> 12) & 0x3f));
            o[k++] = (char)(0x80 | ((lc >> 6) & 0x3f));
            o[k++] = (char)(0x80 | (lc & 0x3f));
        }
        i += cl;
    }
    *out_n = k;
    return 0;
}

/* Code points of s[0..n) into out (room for n); returns the count. */
static size_t decode_cps(const char *s, size_t n, uint32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t cl = fn_utf8_clen(s + i, n - i);
        out[k++] = cl > 1 ? fn_utf8_decode(s + i, cl) : (unsigned char)s[i];
        i += cl;
    }
    return k;
}

static int contains(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return 1;
    if (nn > hn)
        return 0;
    return memmem(h, hn, nd, nn) != NULL;
}

void nm_pattern_free(nm_pattern *p)
{
    free(p->low);
    free(p->words);
    free(p->cps);
    free(p->terms);
    memset(p, 0, sizeof *p);
}

int nm_pattern_init(nm_pattern *p, const char *s, size_t n, nq_err *e)
{
    memset(p, 0, sizeof *p);
    size_t cap = 0;
    if (lower_into(s, n, &p->low, &cap, &p->n) == 0) {
        size_t nw = 0;
        for (size_t i = 0; i < p->n; i++)
            if (!is_ws((unsigned char)p->low[i]) && (i == 0 || is_ws((unsigned char)p->low[i - 1])))
                nw++;
        p->words = calloc(nw + 1, sizeof *p->words);
        p->cps = malloc((p->n + 1) * sizeof *p->cps);
        p->terms = malloc((nw + 1) * sizeof *p->terms);
        if (p->words && p->cps && p->terms) {
            size_t cpk = 0;
            for (size_t i = 0; i < p->n;) {
                while (i < p->n && is_ws((unsigned char)p->low[i]))
                    i++;
                if (i == p->n)
                    break;
                size_t j = i;
                while (j < p->n && !is_ws((unsigned char)p->low[j]))
                    j++;
                nm_word *w = &p->words[p->nwords++];
                w->off = i;
                w->len = j - i;
                w->cpoff = cpk;
                w->ncp = decode_cps(p->low + i, j - i, p->cps + cpk);
                cpk += w->ncp;
                i = j;
            }
            for (size_t i = 0; i < p->nwords; i++) {
                int seen = 0;
                for (size_t k = 0; k < p->nterms && !seen; k++) {
                    const nm_word *a = &p->words[p->terms[k]], *b = &p->words[i];
                    seen = a->len == b->len && !memcmp(p->low + a->off, p->low + b->off, a->len);
                }
                if (!seen)
                    p->terms[p->nterms++] = i;
            }
            return 0;
        }
    }
    nm_pattern_free(p);
    return nq_err_set(e, NQ_ENOMEM, "out of memory");
}

const char *nm_term(const nm_pattern *p, size_t i, size_t *len)
{
    const nm_word *w = &p->words[p->terms[i]];
    *len = w->len > NM_TERM_MAX ? NM_TERM_MAX : w->len;
    return p->low + w->off;
}

/* Levenshtein distance between code point strings a and b (dp: room for nb + 1). */
static size_t lev(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, size_t *dp)
{
    for (size_t j = 0; j <= nb; j++)
        dp[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = dp[0];
        dp[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = dp[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (dp[j - 1] + 1 < best)
                best = dp[j - 1] + 1;
            dp[j] = best;
            diag = up;
        }
    }
    return dp[nb];
}

int nm_score_text(const nm_pattern *p, const char *v, size_t vn, nm_scratch *sc, double *out,
                  nq_err *e)
{
    size_t ln;
    *out = 0;
    if (lower_into(v, vn, &sc->low, &sc->lowcap, &ln))
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    const char *lv = sc->low;
    if (contains(lv, ln, p->low, p->n)) {
        *out = 1.0;
        return 0;
    }
    if (p->nwords == 0)
        return 0;
    /* the value's words, found lazily: any word at all? */
    size_t first = 0;
    while (first < ln && is_ws((unsigned char)lv[first]))
        first++;
    if (first == ln)
        return 0;
    size_t matches = 0;
    double sum = 0;
    for (size_t k = 0; k < p->nwords; k++) {
        const nm_word *pw = &p->words[k];
        const char *pws = p->low + pw->off;
        double best = 0;
        for (size_t i = first; i < ln && best < 1.0;) {
            size_t j = i;
            while (j < ln && !is_ws((unsigned char)lv[j]))
                j++;
            const char *vw = lv + i;
            size_t vl = j - i;
            if (contains(vw, vl, pws, pw->len) || contains(pws, pw->len, vw, vl)) {
                best = 1.0;
            } else {
                if (grow((void **)&sc->cp, &sc->cpcap, vl + 1, sizeof *sc->cp) ||
                    grow((void **)&sc->dp, &sc->dpcap, pw->ncp + 1, sizeof *sc->dp))
                    return nq_err_set(e, NQ_ENOMEM, "out of memory");
                size_t nv = decode_cps(vw, vl, sc->cp);
                size_t d = lev(sc->cp, nv, p->cps + pw->cpoff, pw->ncp, sc->dp);
                size_t mx = vl > pw->len ? vl : pw->len;
                double sim = 1.0 - (double)d / (double)mx;
                if (sim > best)
                    best = sim;
            }
            i = j;
            while (i < ln && is_ws((unsigned char)lv[i]))
                i++;
        }
        if (best > 0.7)
            matches++;
        sum += best;
    }
    double np = (double)p->nwords;
    double s = 0.7 * ((double)matches / np) + 0.3 * (sum / np);
    *out = s < 0.3 ? 0 : s;
    return 0;
}

int nm_similarity(const char *v, size_t vn, const char *pat, size_t pn, double *out, nq_err *e)
{
    nm_pattern p;
    int rc = nm_pattern_init(&p, pat, pn, e);
    if (rc)
        return rc;
    nm_scratch sc = {0};
    rc = nm_score_text(&p, v, vn, &sc, out, e);
    nm_scratch_free(&sc);
    nm_pattern_free(&p);
    return rc;
}

int nm_value_text(const sqlv *v, sqlv *hold, const char **p, size_t *n, int *has, nq_err *e)
{
    *hold = sqlv_null();
    *has = 0;
    if (v->type == SQLV_NULL)
        return 0;
    if (v->type == SQLV_TEXT) {
        *p = (const char *)v->p;
        *n = v->n;
        *has = 1;
        return 0;
    }
    int rc = sqlv_cast(v, SQLV_TEXT, hold, e);
    if (rc)
        return rc;
    *p = (const char *)hold->p;
    *n = hold->n;
    *has = 1;
    return 0;
}

/* ---- keys and values -------------------------------------------------------------------- */
void nm_put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t nm_get_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t rowkey(int64_t rowid) { return (uint64_t)rowid ^ ((uint64_t)1 << 63); }

/* tag table [len term] : the prefix of 'A' and the whole 'T' key; returns its length. */
static size_t term_key(uint8_t *k, char tag, int64_t table_id, const char *term, size_t tl)
{
    k[0] = (uint8_t)tag;
    put_be64(k + 1, (uint64_t)table_id);
    k[9] = (uint8_t)(tl >> 8);
    k[10] = (uint8_t)tl;
    memcpy(k + 11, term, tl);
    return 11 + tl;
}

static size_t row_key(uint8_t *k, int64_t table_id, int64_t rowid)
{
    k[0] = 'R';
    put_be64(k + 1, (uint64_t)table_id);
    put_be64(k + 9, rowkey(rowid));
    return 17;
}

#define KEY_MAX (11 + NM_TERM_MAX + 8)
#define AVAL 32 /* w tick count adapt_tick */

typedef struct aval {
    double w;
    uint64_t tick, count, adapt_tick;
} aval;

static void aval_dec(const uint8_t *v, size_t n, aval *a)
{
    memset(a, 0, sizeof *a);
    if (n < AVAL)
        return;
    uint64_t bits = nm_get_u64le(v);
    memcpy(&a->w, &bits, 8);
    if (!(a->w >= 0 && a->w <= 1)) /* NaN or out of range from a damaged value */
        a->w = 0;
    a->tick = nm_get_u64le(v + 8);
    a->count = nm_get_u64le(v + 16);
    a->adapt_tick = nm_get_u64le(v + 24);
}

static void aval_enc(const aval *a, uint8_t *v)
{
    uint64_t bits;
    memcpy(&bits, &a->w, 8);
    nm_put_u64le(v, bits);
    nm_put_u64le(v + 8, a->tick);
    nm_put_u64le(v + 16, a->count);
    nm_put_u64le(v + 24, a->adapt_tick);
}

static int db_err(sql_session *s, int rc, nq_err *e)
{
    const char *m = nq_errmsg(s->db);
    return nq_err_set(e, rc, "%s", m && *m ? m : "storage error");
}

int nm_store_open(sql_session *s, int write, nq_tree **t, nq_err *e)
{
    *t = NULL;
    if (write)
        return tw_tree_create(s, NM_TREE, t, e);
    int rc = nq_tree_open(s->db, NM_TREE, 0, t);
    if (rc == NQ_ENOTFOUND) {
        *t = NULL;
        return 0;
    }
    return rc ? db_err(s, rc, e) : 0;
}

/* ---- the association map ---------------------------------------------------------------- */
struct nm_assoc_map {
    int64_t *ids;
    double *sum;
    size_t cap, n;   /* cap a power of two */
    size_t nterms;
};

static size_t hash64(int64_t k)
{
    uint64_t x = (uint64_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int map_add(nm_assoc_map *m, int64_t id, double w)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        int64_t *ni = malloc(nc * sizeof *ni);
        double *ns = malloc(nc * sizeof *ns);
        char *used = calloc(nc, 1);
        if (!ni || !ns || !used) {
            free(ni);
            free(ns);
            free(used);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->sum[i] < 0)
                continue;
            size_t h = hash64(m->ids[i]) & (nc - 1);
            while (used[h])
                h = (h + 1) & (nc - 1);
            used[h] = 1;
            ni[h] = m->ids[i];
            ns[h] = m->sum[i];
        }
        for (size_t i = 0; i < nc; i++)
            if (!used[i])
                ns[i] = -1; /* empty */
        free(used);
        free(m->ids);
        free(m->sum);
        m->ids = ni;
        m->sum = ns;
        m->cap = nc;
    }
    size_t h = hash64(id) & (m->cap - 1);
    while (m->sum[h] >= 0 && m->ids[h] != id)
        h = (h + 1) & (m->cap - 1);
    if (m->sum[h] < 0) {
        m->ids[h] = id;
        m->sum[h] = 0;
        m->n++;
    }
    m->sum[h] += w;
    return 0;
}

void nm_assoc_free(nm_assoc_map *m)
{
    if (!m)
        return;
    free(m->ids);
    free(m->sum);
    free(m);
}

double nm_assoc_get(const nm_assoc_map *m, int64_t rowid)
{
    if (!m || !m->n || !m->nterms)
        return 0;
    size_t h = hash64(rowid) & (m->cap - 1);
    while (m->sum[h] >= 0) {
        if (m->ids[h] == rowid)
            return m->sum[h] / (double)m->nterms;
        h = (h + 1) & (m->cap - 1);
    }
    return 0;
}

size_t nm_assoc_count(const nm_assoc_map *m) { return m ? m->n : 0; }

int nm_assoc_load(sql_session *s, int64_t table_id, const nm_pattern *p, nm_assoc_map **out,
                  nq_err *e)
{
    *out = NULL;
    if (!p->nterms)
        return 0;
    nq_tree *t;
    int rc = nm_store_open(s, 0, &t, e);
    if (rc || !t)
        return rc;
    nm_assoc_map *m = calloc(1, sizeof *m);
    nq_cursor *c = NULL;
    if (!m || (rc = nq_cursor_open(t, &c)) != 0) {
        rc = m ? db_err(s, rc, e) : nq_err_set(e, NQ_ENOMEM, "out of memory");
        goto done;
    }
    m->nterms = p->nterms;
    for (size_t i = 0; i < p->nterms && rc == 0; i++) {
        uint8_t k[KEY_MAX];
        size_t tl;
        const char *term = nm_term(p, i, &tl);
        size_t kl = term_key(k, 'A', table_id, term, tl);
        int r = nq_cursor_seek(c, k, kl, NQ_SEEK_GE);
        while (r == 0 && nq_cursor_valid(c)) {
            size_t ckl, vl;
            const uint8_t *ck = nq_cursor_key(c, &ckl);
            if (!ck || ckl != kl + 8 || memcmp(ck, k, kl))
                break;
            const uint8_t *v = nq_cursor_value(c, &vl);
            aval a;
            aval_dec(v, v ? vl : 0, &a);
            if (map_add(m, (int64_t)rowkey((int64_t)get_be64(ck + kl)), a.w)) {
                rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                break;
            }
            r = nq_cursor_next(c);
        }
        if (r != 0 && r != NQ_ENOTFOUND && rc == 0)
            rc = db_err(s, r, e);
    }
done:
    if (c)
        nq_cursor_close(c);
    nq_tree_close(t);
    if (rc) {
        nm_assoc_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- feedback --------------------------------------------------------------------------- */
static int put_tick(sql_session *s, nq_tree *t, const uint8_t *k, size_t kl, uint64_t tick, nq_err *e)
{
    uint8_t v[8];
    nm_put_u64le(v, tick);
    return tw_put(s, t, k, kl, v, 8, 0, e);
}

static int get_tick(sql_session *s, nq_tree *t, const uint8_t *k, size_t kl, uint64_t *tick, nq_err *e)
{
    void *v = NULL;
    size_t vl = 0;
    *tick = 0;
    int rc = nq_get(t, k, kl, &v, &vl);
    if (rc == NQ_ENOTFOUND)
        return 0;
    if (rc)
        return db_err(s, rc, e);
    if (vl >= 8)
        *tick = nm_get_u64le(v);
    free(v);
    return 0;
}

int nm_feedback(sql_session *s, int64_t table_id, const nm_pattern *p, double eta,
                const nm_hit *hits, size_t n, nm_feedback_stats *st, nq_err *e)
{
    memset(st, 0, sizeof *st);
    st->rows = n;
    st->terms = p->nterms;
    if (!p->nterms || !n)
        return 0;
    nq_tree *t;
    int rc = nm_store_open(s, 1, &t, e);
    if (rc)
        return rc;
    uint64_t tick;
    if ((rc = nq_seq_next(t, &tick)) != 0) {
        rc = db_err(s, rc, e);
        goto done;
    }
    st->tick = tick;
    for (size_t i = 0; i < p->nterms && rc == 0; i++) {
        uint8_t k[KEY_MAX];
        size_t tl;
        const char *term = nm_term(p, i, &tl);
        size_t kl = term_key(k, 'T', table_id, term, tl);
        rc = put_tick(s, t, k, kl, tick, e);
        k[0] = 'A';
        for (size_t h = 0; h < n && rc == 0; h++) {
            put_be64(k + kl, rowkey(hits[h].rowid));
            void *v = NULL;
            size_t vl = 0;
            aval a;
            int g = nq_get(t, k, kl + 8, &v, &vl);
            if (g && g != NQ_ENOTFOUND) {
                rc = db_err(s, g, e);
                break;
            }
            aval_dec(v, g ? 0 : vl, &a);
            free(v);
            double y = hits[h].score;
            /* Hebbian with decay, x = 1, lambda = eta y: w + eta y (1 - w) */
            double w = a.w + neuro_hebb_dw(eta, 1.0, y, eta * y, a.w);
            a.w = w < 0 ? 0 : w > 1 ? 1 : w;
            a.tick = tick;
            a.count++;
            uint8_t buf[AVAL];
            aval_enc(&a, buf);
            rc = tw_put(s, t, k, kl + 8, buf, AVAL, 0, e);
            st->strengthened++;
        }
    }
    for (size_t h = 0; h < n && rc == 0; h++) {
        uint8_t k[17];
        rc = put_tick(s, t, k, row_key(k, table_id, hits[h].rowid), tick, e);
    }
done:
    nq_tree_close(t);
    return rc;
}

/* ---- ADAPT WEIGHTS ... RULE STDP -------------------------------------------------------- */
static int live(const int64_t *ids, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ids[mid] == id)
            return 1;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int nm_adapt_stdp(sql_session *s, int64_t table_id, const int64_t *live_ids, size_t nlive,
                  double eta, double tau, nm_adapt_stats *st, nq_err *e)
{
    memset(st, 0, sizeof *st);
    nq_tree *t;
    int rc = nm_store_open(s, 1, &t, e);
    if (rc)
        return rc;
    neuro_stdp_params prm;
    neuro_stdp_sma(&prm, 1.0);
    /* the SMA window shape (A- = 1.05 A+, tau+ = tau-) with A+ = LEARNING_RATE, tau in ticks */
    prm.a_minus = prm.a_minus / prm.a_plus * eta;
    prm.a_plus = eta;
    prm.tau_plus = prm.tau_minus = tau;
    nq_cursor *c = NULL;
    uint64_t tick;
    if ((rc = nq_seq_next(t, &tick)) != 0 || (rc = nq_cursor_open(t, &c)) != 0) {
        rc = db_err(s, rc, e);
        goto done;
    }
    st->tick = tick;
    uint8_t k0[9];
    k0[0] = 'A';
    put_be64(k0 + 1, (uint64_t)table_id);
    size_t k0l = table_id < 0 ? 1 : 9;
    uint8_t lastterm[11 + NM_TERM_MAX];
    size_t lastl = 0;
    uint64_t term_tick = 0;
    double sum_before = 0, sum_after = 0;
    int r = nq_cursor_seek(c, k0, k0l, NQ_SEEK_GE);
    while (r == 0 && nq_cursor_valid(c) && rc == 0) {
        size_t kl, vl;
        const uint8_t *ck = nq_cursor_key(c, &kl);
        if (!ck || kl < k0l || memcmp(ck, k0, k0l))
            break;
        if (kl < 19 || kl != 19 + ((size_t)ck[9] << 8 | ck[10])) { /* not ours: skip */
            r = nq_cursor_next(c);
            continue;
        }
        uint8_t key[KEY_MAX];
        memcpy(key, ck, kl);
        int64_t tid = (int64_t)get_be64(key + 1);
        const uint8_t *v = nq_cursor_value(c, &vl);
        aval a;
        aval_dec(v, v ? vl : 0, &a);
        st->associations++;
        sum_before += a.w;
        if (!live(live_ids, nlive, tid)) {
            st->orphaned++;
            if ((rc = tw_del(s, t, key, kl, e)) != 0)
                break;
            r = nq_cursor_seek(c, key, kl, NQ_SEEK_GE);
            continue;
        }
        size_t tkl = kl - 8;
        if (tkl != lastl || memcmp(key + 1, lastterm + 1, tkl - 1)) {
            memcpy(lastterm, key, tkl);
            lastterm[0] = 'T';
            lastl = tkl;
            if ((rc = get_tick(s, t, lastterm, tkl, &term_tick, e)) != 0)
                break;
        }
        uint8_t rk[17];
        uint64_t row_tick;
        if ((rc = get_tick(s, t, rk, row_key(rk, tid, (int64_t)rowkey((int64_t)get_be64(key + tkl))),
                           &row_tick, e)) != 0)
            break;
        /* each spike pair counts once: only pairs with a spike since this association's last
         * adaptation */
        uint64_t latest = row_tick > term_tick ? row_tick : term_tick;
        double w = a.w;
        if (latest > a.adapt_tick) {
            double dt = (double)row_tick - (double)term_tick; /* t_post - t_pre */
            double dw = neuro_stdp_window(&prm, dt) * prm.w_max;
            w = a.w + dw;
            w = w < prm.w_min ? prm.w_min : w > prm.w_max ? prm.w_max : w;
        }
        if (w > a.w)
            st->potentiated++;
        else if (w < a.w)
            st->depressed++;
        else
            st->unchanged++;
        if (latest > a.adapt_tick) {
            if (w <= 1e-9) {
                st->pruned++;
                rc = tw_del(s, t, key, kl, e);
                w = 0;
            } else {
                a.w = w;
                a.adapt_tick = tick;
                uint8_t buf[AVAL];
                aval_enc(&a, buf);
                rc = tw_put(s, t, key, kl, buf, AVAL, 0, e);
            }
            if (rc)
                break;
            r = nq_cursor_seek(c, key, kl, NQ_SEEK_GE);
            if (r == 0 && nq_cursor_valid(c)) {
                size_t nkl;
                const uint8_t *nk = nq_cursor_key(c, &nkl);
                if (nk && nkl == kl && !memcmp(nk, key, kl))
                    r = nq_cursor_next(c);
            }
        } else {
            r = nq_cursor_next(c);
        }
        sum_after += w;
    }
    if (rc == 0 && r != 0 && r != NQ_ENOTFOUND)
        rc = db_err(s, r, e);
    if (st->associations) {
        st->mean_before = sum_before / (double)st->associations;
        size_t kept = st->associations - st->orphaned;
        st->mean_after = kept ? sum_after / (double)kept : 0;
    }
done:
    if (c)
        nq_cursor_close(c);
    nq_tree_close(t);
    return rc;
}
