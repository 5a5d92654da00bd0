/*
 * dna_store.c — pool encoder and decoder of the DNA-storage codec (see dna_store.h for the
 * layout). The block geometry is a pure function of (file length, P, redundancy), computed
 * the same way on both sides (store_layout).
 */
#include "dna_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "dna_oligo.h"
#include "dna_rs.h"
#include "dna_rs16.h"

void dna_store_params_default(dna_store_params *p)
{
    p->oligo_len = 150;
    p->max_run = 3;
    p->gc_min = 0.40;
    p->gc_max = 0.60;
    p->redundancy = 0.15;
    p->loss = 0;
    p->field = 0;
}

/* ---- geometry ---- */

typedef struct store_layout {
    uint64_t nbytes;
    int version;            /* header version: 1, 2 (format-1 oligos) or 3 */
    int P, rpm;             /* payload bytes, redundancy per mille */
    int field;              /* 8: RS over GF(2^8), blocks <= 255; 16: GF(2^16), blocks <= 4095 */
    int Pu;                 /* payload bytes used per oligo: P, or P rounded down to even for
                             * 16-bit symbols (the spare byte stays zero) */
    int nmax;
    uint64_t D, B;          /* data oligos, blocks */
    uint64_t q, rbig;       /* blocks 0..rbig-1 hold q+1 data oligos, the rest q */
    uint64_t total;         /* oligos including the header copies */
} store_layout;

static int parity_for(int k, int rpm)
{
    if (rpm <= 0)
        return 0;
    return (int)(((uint64_t)k * (uint64_t)rpm + (uint64_t)(1000 - rpm) - 1) / (uint64_t)(1000 - rpm));
}

static int block_k(const store_layout *lo, uint64_t b)
{
    return (int)(lo->q + (b < lo->rbig ? 1 : 0));
}

static uint64_t block_start_addr(const store_layout *lo, uint64_t b)
{
    uint64_t big = lo->q + 1 + (uint64_t)parity_for((int)lo->q + 1, lo->rpm);
    uint64_t small = lo->q + (uint64_t)parity_for((int)lo->q, lo->rpm);
    if (b < lo->rbig)
        return DNA_STORE_HEADER_COPIES + b * big;
    return DNA_STORE_HEADER_COPIES + lo->rbig * big + (b - lo->rbig) * small;
}

static uint64_t block_first_data(const store_layout *lo, uint64_t b)
{
    return b * lo->q + (b < lo->rbig ? b : lo->rbig);
}

/* version 3 (format-2 oligos): 1 (format-1 oligos, version 1 or 2 by field) */
static int store_layout_make(store_layout *lo, uint64_t nbytes, int P, int rpm, int field,
                             int version, nq_err *err)
{
    memset(lo, 0, sizeof *lo);
    int abits = version == 3 ? DNA_ADDR_MAX_BITS : 20;
    lo->nbytes = nbytes;
    lo->version = version == 3 ? 3 : field == 16 ? 2 : 1;
    lo->field = field;
    lo->nmax = field == 16 ? DNA_RS16_MAX_N : 255;
    lo->P = P;
    P = lo->Pu = field == 16 ? P & ~1 : P;
    lo->rpm = rpm;
    if (rpm < 0 || rpm > 900)
        return nq_err_set(err, NQ_EINVAL, "redundancy %d per mille is outside [0, 900]", rpm);
    if (P < 1 || nbytes > ((uint64_t)1 << abits) * (uint64_t)P)
        return nq_err_set(err, NQ_EINVAL, "%llu bytes do not fit in 2^%d oligos of %d bytes",
                          (unsigned long long)nbytes, abits, P);
    lo->D = (nbytes + (uint64_t)P - 1) / (uint64_t)P;
    int kmax = lo->nmax;
    while (kmax > 1 && kmax + parity_for(kmax, rpm) > lo->nmax)
        kmax--;
    lo->B = lo->D ? (lo->D + (uint64_t)kmax - 1) / (uint64_t)kmax : 0;
    if (lo->B) {
        lo->q = lo->D / lo->B;
        lo->rbig = lo->D % lo->B;
    }
    lo->total = lo->B ? block_start_addr(lo, lo->B) : DNA_STORE_HEADER_COPIES;
    if (lo->total > ((uint64_t)1 << abits))
        return nq_err_set(err, NQ_EINVAL,
                          "the pool would need %llu oligos; addresses have at most %d bits (%llu oligos)",
                          (unsigned long long)lo->total, abits,
                          (unsigned long long)((uint64_t)1 << abits));
    return 0;
}

static int redundancy_pm(double r)
{
    return (int)(r * 1000.0 + 0.5);
}

/* P(X > m) for X ~ Binomial(n, p). */
static double binom_tail(int n, double p, int m)
{
    if (m >= n || p <= 0)
        return 0;
    if (p >= 1)
        return 1;
    double lp = log(p), lq = log1p(-p), lgn = lgamma((double)n + 1), s = 0;
    for (int x = m + 1; x <= n; x++) {
        double t = exp(lgn - lgamma((double)x + 1) - lgamma((double)(n - x) + 1) + x * lp +
                       (n - x) * lq);
        s += t;
        if ((double)x > (double)n * p && t < s * 1e-12)
            break;
    }
    return s > 1 ? 1 : s;
}

/* Probability that some block of the layout loses more oligos than its parity, each oligo
 * lost independently with probability loss (union bound over the blocks). */
static double layout_failure(const store_layout *lo, double loss)
{
    double f = 0;
    if (lo->rbig) {
        int k = (int)lo->q + 1, m = parity_for(k, lo->rpm);
        f += (double)lo->rbig * binom_tail(k + m, loss, m);
    }
    if (lo->B > lo->rbig) {
        int k = (int)lo->q, m = parity_for(k, lo->rpm);
        f += (double)(lo->B - lo->rbig) * binom_tail(k + m, loss, m);
    }
    return f;
}

/* The smallest per-mille redundancy whose failure bound meets DNA_STORE_DESIGN_FAILURE at the
 * design loss, for one field. */
static int store_loss_layout(store_layout *lo, uint64_t nbytes, int P, double loss, int field,
                             int version, nq_err *err)
{
    for (int rpm = (int)(loss * 1000.0); rpm <= 900; rpm++) {
        int rc = store_layout_make(lo, nbytes, P, rpm, field, version, err);
        if (rc)
            return rc;
        if (layout_failure(lo, loss) <= DNA_STORE_DESIGN_FAILURE)
            return 0;
    }
    return nq_err_set(err, NQ_EINVAL, "no redundancy up to 0.9 covers a loss of %g", loss);
}

/* The field and the redundancy. A given redundancy: the field asked for, or automatically
 * GF(2^16) when GF(2^8) needs more than one block and P is even. A design loss: the
 * loss-sized redundancy of the field asked for, or automatically of the field whose pool is
 * smaller (GF(2^16) gives up a byte of an odd payload but needs less parity in large blocks). */
static int store_choose_layout(store_layout *lo, uint64_t nbytes, int P, const dna_store_params *p,
                               int version, nq_err *err)
{
    if (p->loss > 0) {
        if (p->field)
            return store_loss_layout(lo, nbytes, P, p->loss, p->field, version, err);
        int rc = store_loss_layout(lo, nbytes, P, p->loss, 8, version, err);
        store_layout l16;
        if (P >= 2 && !store_loss_layout(&l16, nbytes, P, p->loss, 16, version, NULL) &&
            (rc || l16.total < lo->total)) {
            *lo = l16;
            rc = 0;
        }
        return rc;
    }
    int rpm = redundancy_pm(p->redundancy);
    int rc = store_layout_make(lo, nbytes, P, rpm, p->field == 16 ? 16 : 8, version, err);
    if (!rc && p->field == 0 && lo->B > 1 && P % 2 == 0)
        rc = store_layout_make(lo, nbytes, P, rpm, 16, version, err);
    return rc;
}

int dna_store_redundancy_for_loss(uint64_t n, int P, int field, double loss, double *fail)
{
    dna_store_params p;
    dna_store_params_default(&p);
    p.loss = loss;
    p.field = field;
    store_layout lo;
    if (store_choose_layout(&lo, n, P, &p, 3, NULL))
        return -1;
    if (fail)
        *fail = layout_failure(&lo, loss);
    return lo.rpm;
}

static int bits_for(uint64_t count) /* bits of an address below count */
{
    int b = 0;
    while (b < 40 && ((uint64_t)1 << b) < count)
        b++;
    return b;
}

/* The header: version 3 (20 bytes) or 1-2 (18 bytes). */
static void header_write(uint8_t *h, int P, const store_layout *lo, int K, int W, uint32_t fcrc)
{
    memset(h, 0, (size_t)P);
    h[0] = 'N';
    h[1] = 'D';
    h[2] = (uint8_t)lo->version;
    if (lo->version == 3) {
        h[3] = (uint8_t)(lo->field == 16 ? 1 : 0);
        h[4] = (uint8_t)K;
        h[5] = (uint8_t)W;
        for (int i = 0; i < 6; i++)
            h[6 + i] = (uint8_t)(lo->nbytes >> (8 * i));
        h[12] = (uint8_t)lo->rpm;
        h[13] = (uint8_t)(lo->rpm >> 8);
        for (int i = 0; i < 4; i++)
            h[14 + i] = (uint8_t)(fcrc >> (8 * i));
        uint32_t hc = crc32c(0, h, 18);
        h[18] = (uint8_t)hc;
        h[19] = (uint8_t)(hc >> 8);
        return;
    }
    h[3] = (uint8_t)K;
    for (int i = 0; i < 8; i++)
        h[4 + i] = (uint8_t)(lo->nbytes >> (8 * i));
    h[12] = (uint8_t)lo->rpm;
    h[13] = (uint8_t)(lo->rpm >> 8);
    for (int i = 0; i < 4; i++)
        h[14 + i] = (uint8_t)(fcrc >> (8 * i));
}

/* ---- encoder ---- */

/* version 3, or 1 for the format of versions 1-2 */
static int store_encode(const dna_store_params *p, const uint8_t *data, size_t n, int version,
                        dna_pool *pool, nq_err *err)
{
    memset(pool, 0, sizeof *pool);
    if (!(p->redundancy >= 0 && p->redundancy <= 0.9))
        return nq_err_set(err, NQ_EINVAL, "redundancy %g is outside [0, 0.9]", p->redundancy);
    if (!(p->loss >= 0 && p->loss <= 0.5))
        return nq_err_set(err, NQ_EINVAL, "design loss %g is outside [0, 0.5]", p->loss);
    if (p->field != 0 && p->field != 8 && p->field != 16)
        return nq_err_set(err, NQ_EINVAL, "field %d is not 8 or 16 (or 0: automatic)", p->field);
    int hbytes = version == 3 ? DNA_STORE_HEADER_BYTES : 18;
    /* the address width follows the pool size, which follows the payload, which follows the
     * width: start at the smallest and widen until the pool fits (it only grows) */
    int W = version == 3 ? DNA_ADDR_MIN_BITS : DNA_OLIGO_FORMAT1;
    dna_oligo_codec oc;
    store_layout lo;
    int rc;
    for (;;) {
        rc = dna_oligo_init(&oc, p->oligo_len, p->max_run, W, p->gc_min, p->gc_max, err);
        if (rc)
            return rc;
        if (oc.payload < hbytes) {
            int P = oc.payload, L = oc.len;
            dna_oligo_free(&oc);
            return nq_err_set(err, NQ_EINVAL,
                              "oligos of %d bases carry %d bytes; the header needs %d (use longer oligos)",
                              L, P, hbytes);
        }
        rc = store_choose_layout(&lo, n, oc.payload, p, version, err);
        if (rc) {
            dna_oligo_free(&oc);
            return rc;
        }
        int need = bits_for(lo.total);
        if (version != 3 || need <= W)
            break;
        dna_oligo_free(&oc);
        W = need;
    }
    int P = oc.payload, L = oc.len;
    int Pu = lo.Pu;
    dna_gf16 gf16 = {NULL, NULL};
    uint16_t *sym = NULL;
    if (lo.field == 16) {
        rc = dna_gf16_init(&gf16, err);
        sym = malloc((size_t)DNA_RS16_MAX_N * sizeof *sym);
        if (rc || !sym) {
            free(sym);
            dna_gf16_free(&gf16);
            dna_oligo_free(&oc);
            return rc ? rc : nq_err_set(err, NQ_ENOMEM, "DNA encode: out of memory");
        }
    }
    pool->len = L;
    pool->payload = P;
    pool->field = lo.field;
    pool->addr_bits = oc.addr_bits;
    pool->redundancy = lo.rpm / 1000.0;
    pool->count = (size_t)lo.total;
    pool->header_oligos = DNA_STORE_HEADER_COPIES;
    pool->data_oligos = (size_t)lo.D;
    pool->parity_oligos = (size_t)(lo.total - lo.D - DNA_STORE_HEADER_COPIES);
    pool->blocks = (size_t)lo.B;
    pool->bases = malloc(pool->count * (size_t)L);
    uint8_t *rows = malloc((size_t)lo.nmax * (size_t)P);
    if (!pool->bases || !rows) {
        free(rows);
        free(sym);
        dna_gf16_free(&gf16);
        dna_pool_free(pool);
        dna_oligo_free(&oc);
        return nq_err_set(err, NQ_ENOMEM, "DNA encode: out of memory");
    }
    /* the header */
    header_write(rows, P, &lo, p->max_run, oc.addr_bits, crc32c(0, data, n));
    for (uint32_t a = 0; a < DNA_STORE_HEADER_COPIES && !rc; a++)
        rc = dna_oligo_encode(&oc, a, rows, pool->bases + (size_t)a * (size_t)L, err);
    /* the blocks */
    dna_rs rs;
    dna_rs16 rs16;
    int rs_n = 0, rs_k = 0;
    memset(&rs, 0, sizeof rs);
    memset(&rs16, 0, sizeof rs16);
    for (uint64_t b = 0; b < lo.B && !rc; b++) {
        int k = block_k(&lo, b), m = parity_for(k, lo.rpm);
        uint64_t d0 = block_first_data(&lo, b), a0 = block_start_addr(&lo, b);
        for (int i = 0; i < k; i++) {
            uint64_t off = (d0 + (uint64_t)i) * (uint64_t)Pu;
            size_t take = off + (uint64_t)Pu <= n ? (size_t)Pu : (size_t)(n - off);
            memcpy(rows + (size_t)i * (size_t)P, data + off, take);
            memset(rows + (size_t)i * (size_t)P + take, 0, (size_t)P - take);
        }
        if (m > 0 && lo.field == 16) {
            if (rs_n != k + m || rs_k != k) {
                dna_rs16_free(&rs16);
                rc = dna_rs16_init(&rs16, &gf16, k + m, k, err);
                if (rc)
                    break;
                rs_n = k + m;
                rs_k = k;
            }
            for (int c = 0; c < Pu / 2; c++) {
                for (int i = 0; i < k; i++) {
                    const uint8_t *rw = rows + (size_t)i * (size_t)P + 2 * (size_t)c;
                    sym[i] = (uint16_t)(rw[0] | rw[1] << 8);
                }
                dna_rs16_encode(&rs16, sym, sym + k);
                for (int j = 0; j < m; j++) {
                    uint8_t *rw = rows + (size_t)(k + j) * (size_t)P + 2 * (size_t)c;
                    rw[0] = (uint8_t)sym[k + j];
                    rw[1] = (uint8_t)(sym[k + j] >> 8);
                }
            }
            for (int j = 0; j < m; j++)
                memset(rows + (size_t)(k + j) * (size_t)P + Pu, 0, (size_t)(P - Pu));
        } else if (m > 0) {
            if (rs_n != k + m || rs_k != k) {
                dna_rs_free(&rs);
                rc = dna_rs_init(&rs, k + m, k, err);
                if (rc)
                    break;
                rs_n = k + m;
                rs_k = k;
            }
            const uint8_t *dr[255];
            uint8_t *pr[255];
            for (int i = 0; i < k; i++)
                dr[i] = rows + (size_t)i * (size_t)P;
            for (int j = 0; j < m; j++)
                pr[j] = rows + (size_t)(k + j) * (size_t)P;
            dna_rs_encode_rows(&rs, dr, pr, (size_t)P);
        }
        for (int i = 0; i < k + m && !rc; i++)
            rc = dna_oligo_encode(&oc, (uint32_t)(a0 + (uint64_t)i), rows + (size_t)i * (size_t)P,
                                  pool->bases + (size_t)(a0 + (uint64_t)i) * (size_t)L, err);
    }
    dna_rs_free(&rs);
    dna_rs16_free(&rs16);
    dna_gf16_free(&gf16);
    free(sym);
    free(rows);
    dna_oligo_free(&oc);
    if (rc)
        dna_pool_free(pool);
    return rc;
}

int dna_store_encode(const dna_store_params *p, const uint8_t *data, size_t n, dna_pool *pool,
                     nq_err *err)
{
    return store_encode(p, data, n, 3, pool, err);
}

int dna_store_encode_v1(const dna_store_params *p, const uint8_t *data, size_t n,
                        dna_pool *pool, nq_err *err)
{
    return store_encode(p, data, n, 1, pool, err);
}

void dna_pool_free(dna_pool *pool)
{
    free(pool->bases);
    pool->bases = NULL;
    pool->count = 0;
}

double dna_pool_density(const dna_pool *pool, size_t n)
{
    if (!pool->count)
        return 0;
    return 8.0 * (double)n / ((double)pool->count * (double)pool->len);
}

/* ---- decoder ---- */

typedef struct addr_read {
    uint32_t address;
    uint32_t idx;
} addr_read;

static int addr_read_cmp(const void *a, const void *b)
{
    const addr_read *x = a, *y = b;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

typedef struct recovered {
    uint32_t address;
    uint32_t off; /* payload at pay + off */
} recovered;

/* The most common read length in [MIN, MAX], or 0. */
static int common_length(const dna_read *reads, size_t n)
{
    static const int lo = DNA_OLIGO_MIN_LEN, hi = DNA_OLIGO_MAX_LEN;
    size_t *h = calloc((size_t)(hi - lo + 1), sizeof *h);
    if (!h)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (reads[i].len >= (size_t)lo && reads[i].len <= (size_t)hi)
            h[reads[i].len - (size_t)lo]++;
    int best = 0;
    size_t bc = 0;
    for (int l = lo; l <= hi; l++)
        if (h[l - lo] > bc) {
            bc = h[l - lo];
            best = l;
        }
    free(h);
    return best;
}

/* How many of (at most 2000) reads of length L decode fully under run limit K and address
 * width W (or the format-1 layout); stops at 64. */
static size_t probe_layout(const dna_read *reads, size_t n, int L, int K, int W)
{
    dna_oligo_codec oc;
    if (dna_oligo_init(&oc, L, K, W, 0, 1, NULL))
        return 0;
    uint8_t pay[256];
    size_t ok = 0, tried = 0;
    for (size_t i = 0; i < n && tried < 2000 && ok < 64; i++) {
        if (reads[i].len != (size_t)L)
            continue;
        tried++;
        uint32_t a;
        ok += dna_oligo_decode(&oc, reads[i].seq, reads[i].len, &a, pay) == 0;
    }
    dna_oligo_free(&oc);
    return ok;
}

/* The run limit and address width under which the most sampled reads decode: K = hint (if
 * any), else 3 first and the others only when 3 finds few. *W = DNA_OLIGO_FORMAT1 for the
 * layout of versions 1-2. Returns the count of decoded sample reads (0: nothing decodes). */
static size_t detect_layout(const dna_read *reads, size_t n, int L, int hintK, int *K, int *W)
{
    size_t best = 0;
    *K = hintK > 0 ? hintK : 3;
    *W = DNA_ADDR_MIN_BITS;
    for (int ki = 0; ki <= DNA_OLIGO_MAX_RUN; ki++) {
        int k = ki == 0 ? (hintK > 0 ? hintK : 3) : ki;
        if (ki > 0 && (hintK > 0 || k == 3))
            continue;
        for (int w = DNA_ADDR_MIN_BITS - 1; w <= DNA_ADDR_MAX_BITS; w++) {
            int ww = w < DNA_ADDR_MIN_BITS ? DNA_OLIGO_FORMAT1 : w;
            size_t c = probe_layout(reads, n, L, k, ww);
            if (c > best) {
                best = c;
                *K = k;
                *W = ww;
            }
        }
        if (best >= 16)
            break;
    }
    return best;
}

/* A decoded copy that is a header of this layout: version 3 with its CRC, run limit and
 * address width, zeros after it; or (format-1 oligos) version 1 or 2. */
static int header_valid(const uint8_t *h, int P, int format, int K, int W)
{
    if (h[0] != 'N' || h[1] != 'D')
        return 0;
    if (format == 1)
        return (h[2] == 1 || h[2] == 2) && h[3] == K;
    if (P < DNA_STORE_HEADER_BYTES || h[2] != 3 || h[3] > 1 || h[4] != K || h[5] != W)
        return 0;
    uint32_t hc = crc32c(0, h, 18);
    if (h[18] != (uint8_t)hc || h[19] != (uint8_t)(hc >> 8))
        return 0;
    for (int i = DNA_STORE_HEADER_BYTES; i < P; i++)
        if (h[i])
            return 0;
    return 1;
}

static void append(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static void append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, cap - l, fmt, ap);
    va_end(ap);
}

int dna_store_decode(const dna_store_params *hint, const dna_read *reads, size_t nreads,
                     uint8_t **out, size_t *outlen, dna_decode_report *rep, nq_err *err)
{
    dna_decode_report dummy;
    if (!rep)
        rep = &dummy;
    memset(rep, 0, sizeof *rep);
    *out = NULL;
    *outlen = 0;
    rep->reads = nreads;
    double gmin = 0, gmax = 1; /* the decoder does not enforce GC bounds */
    int L = hint && hint->oligo_len > 0 ? hint->oligo_len : common_length(reads, nreads);
    if (L < DNA_OLIGO_MIN_LEN || L > DNA_OLIGO_MAX_LEN)
        return nq_err_set(err, NQ_EINVAL, "no reads of %d..%d bases to decode", DNA_OLIGO_MIN_LEN,
                          DNA_OLIGO_MAX_LEN);
    int K, W;
    if (!detect_layout(reads, nreads, L, hint && hint->max_run > 0 ? hint->max_run : 0, &K, &W))
        return nq_err_set(err, NQ_ECORRUPT,
                          "none of the reads of %d bases decodes as an oligo (run limits 1..%d, "
                          "address widths %d..%d and the version-1 layout tried): nothing can be "
                          "recovered",
                          L, DNA_OLIGO_MAX_RUN, DNA_ADDR_MIN_BITS, DNA_ADDR_MAX_BITS);
    rep->oligo_len = L;
    rep->max_run = K;
    dna_oligo_codec oc;
    int rc = dna_oligo_init(&oc, L, K, W, gmin, gmax, err);
    if (rc)
        return rc;
    int P = oc.payload;
    rep->payload = P;
    rep->addr_bits = oc.addr_bits;
    addr_read *ar = NULL;
    recovered *rv = NULL;
    uint8_t *pay = NULL, *rows = NULL, *file = NULL, *cand = NULL;
    dna_read *grp = NULL;
    char *cons = NULL;
    dna_rs rs;
    dna_rs16 rs16;
    dna_gf16 gf16 = {NULL, NULL};
    uint16_t *sym = NULL;
    int *eras = NULL;
    memset(&rs, 0, sizeof rs);
    memset(&rs16, 0, sizeof rs16);
    size_t nar = 0, nrv = 0;
    ar = malloc((nreads ? nreads : 1) * sizeof *ar);
    if (!ar)
        goto nomem;
    for (size_t i = 0; i < nreads; i++) {
        uint32_t a;
        if (dna_oligo_decode_prefix(&oc, reads[i].seq, reads[i].len, &a) == 0) {
            ar[nar].address = a;
            ar[nar].idx = (uint32_t)i;
            nar++;
        }
    }
    rep->reads_addressed = nar;
    qsort(ar, nar, sizeof *ar, addr_read_cmp);
    size_t nclusters = 0;
    for (size_t i = 0; i < nar; i++)
        nclusters += i == 0 || ar[i].address != ar[i - 1].address;
    rep->clusters = nclusters;
    /* sequencing reads (about 3 or more per cluster): an oligo needs two reads that agree;
     * a pool read back as written (one read per oligo): one read that passes the check */
    int need = nar >= 3 * nclusters ? 2 : 1;
    rv = malloc((nclusters ? nclusters : 1) * sizeof *rv);
    pay = malloc((nclusters ? nclusters : 1) * (size_t)P);
    grp = malloc(64 * sizeof *grp);
    cons = malloc((size_t)L * 2 + 16);
    cand = malloc(4 * (size_t)P);
    if (!rv || !pay || !grp || !cons || !cand)
        goto nomem;
    for (size_t i = 0; i < nar;) {
        size_t j = i;
        while (j < nar && ar[j].address == ar[i].address)
            j++;
        uint8_t *dst = pay + nrv * (size_t)P;
        int got = 0, ncand = 0, ccount[4] = {0, 0, 0, 0};
        /* reads of the exact length that pass the check: up to 4 distinct payloads, the first
         * that `need` reads agree on */
        for (size_t t = i; t < j && !got; t++) {
            const dna_read *r = &reads[ar[t].idx];
            uint32_t a;
            if (r->len != (size_t)L || dna_oligo_decode(&oc, r->seq, r->len, &a, dst) != 0 ||
                a != ar[i].address)
                continue;
            int c = 0;
            while (c < ncand && memcmp(cand + (size_t)c * (size_t)P, dst, (size_t)P) != 0)
                c++;
            if (c == ncand) {
                if (ncand == 4)
                    continue;
                memcpy(cand + (size_t)c * (size_t)P, dst, (size_t)P);
                ncand++;
            }
            if (++ccount[c] >= need) {
                memcpy(dst, cand + (size_t)c * (size_t)P, (size_t)P);
                got = 1;
                rep->oligos_direct++;
            }
        }
        if (!got && j - i >= 2) {
            size_t ng = 0;
            for (size_t t = i; t < j && ng < 64; t++)
                grp[ng++] = reads[ar[t].idx];
            int support = 0;
            int cl = dna_store_consensus(grp, ng, L, cons, L * 2 + 16, &support);
            if (cl < 0)
                goto nomem;
            uint32_t a;
            if (cl == L && support >= need && dna_oligo_decode(&oc, cons, (size_t)cl, &a, dst) == 0 &&
                a == ar[i].address) {
                got = 1;
                rep->oligos_consensus++;
            }
        }
        if (got) {
            rv[nrv].address = ar[i].address;
            rv[nrv].off = (uint32_t)(nrv * (size_t)P);
            nrv++;
        }
        i = j;
    }
    /* the header: the most common content among the decoded copies that parse as one */
    int hbest = -1, hcount = 0, newer = 0;
    for (size_t i = 0; i < nrv && rv[i].address < DNA_STORE_HEADER_COPIES; i++) {
        const uint8_t *h = pay + rv[i].off;
        if (!header_valid(h, P, oc.format, K, oc.addr_bits)) {
            newer |= h[0] == 'N' && h[1] == 'D' && h[2] > DNA_STORE_VERSION;
            continue;
        }
        int c = 0;
        for (size_t t = 0; t < nrv && rv[t].address < DNA_STORE_HEADER_COPIES; t++)
            c += memcmp(h, pay + rv[t].off, (size_t)P) == 0;
        if (c > hcount) {
            hcount = c;
            hbest = (int)i;
        }
    }
    if (hbest < 0) {
        if (newer)
            rc = nq_err_set(err, NQ_ECORRUPT,
                            "the pool's header names a format version newer than %d: this nqdb "
                            "cannot read it", DNA_STORE_VERSION);
        else
            rc = nq_err_set(err, NQ_ECORRUPT,
                            "all %d copies of the pool header are lost (of %zu reads, %zu had a "
                            "readable address): nothing can be recovered",
                            DNA_STORE_HEADER_COPIES, nreads, nar);
        goto done;
    }
    const uint8_t *h = pay + rv[hbest].off;
    uint64_t nbytes = 0;
    int rpm, field;
    uint32_t fcrc;
    if (h[2] == 3) {
        for (int i = 0; i < 6; i++)
            nbytes |= (uint64_t)h[6 + i] << (8 * i);
        field = h[3] & 1 ? 16 : 8;
    } else {
        for (int i = 0; i < 8; i++)
            nbytes |= (uint64_t)h[4 + i] << (8 * i);
        field = h[2] == 2 ? 16 : 8;
    }
    rpm = h[12] | h[13] << 8;
    fcrc = (uint32_t)h[14] | (uint32_t)h[15] << 8 | (uint32_t)h[16] << 16 | (uint32_t)h[17] << 24;
    rep->version = h[2];
    store_layout lo;
    rc = store_layout_make(&lo, nbytes, P, rpm, field, h[2] == 3 ? 3 : 1, err);
    if (!rc && h[2] == 3 && lo.total > ((uint64_t)1 << oc.addr_bits))
        rc = nq_err_set(err, NQ_EINVAL, "%llu oligos need more than %d address bits",
                        (unsigned long long)lo.total, oc.addr_bits);
    if (rc) {
        rc = nq_err_prefix(err, NQ_ECORRUPT, "the pool header is inconsistent");
        goto done;
    }
    rep->oligos_expected = (size_t)lo.total;
    int Pu = lo.Pu;
    eras = malloc((size_t)lo.nmax * sizeof *eras);
    file = malloc(lo.D * (uint64_t)Pu + 1);
    rows = malloc((size_t)lo.nmax * (size_t)P);
    if (!file || !rows || !eras)
        goto nomem;
    if (lo.field == 16) {
        if (dna_gf16_init(&gf16, err))
            goto nomem;
        sym = malloc((size_t)DNA_RS16_MAX_N * sizeof *sym);
        if (!sym)
            goto nomem;
    }
    char lost[400] = "";
    uint8_t colbad[256];
    int nlost_blocks = 0;
    size_t ri = 0; /* cursor in rv (sorted by address) */
    int rs_n = 0, rs_k = 0;
    for (uint64_t b = 0; b < lo.B; b++) {
        int k = block_k(&lo, b), m = parity_for(k, rpm), n = k + m;
        uint64_t a0 = block_start_addr(&lo, b), d0 = block_first_data(&lo, b);
        int ne = 0;
        for (int i = 0; i < n; i++) {
            uint32_t a = (uint32_t)(a0 + (uint64_t)i);
            while (ri < nrv && rv[ri].address < a)
                ri++;
            if (ri < nrv && rv[ri].address == a) {
                memcpy(rows + (size_t)i * (size_t)P, pay + rv[ri].off, (size_t)P);
            } else {
                memset(rows + (size_t)i * (size_t)P, 0, (size_t)P);
                eras[ne++] = i;
            }
        }
        rep->oligos_missing += (size_t)ne;
        uint64_t byte0 = d0 * (uint64_t)Pu;
        uint64_t byte1 = (d0 + (uint64_t)k) * (uint64_t)Pu;
        if (byte1 > nbytes)
            byte1 = nbytes;
        int bad_cols = 0, first_bad = -1, last_bad = -1;
        if (ne > m) {
            bad_cols = Pu;
            first_bad = 0;
            last_bad = Pu - 1;
        } else if (m > 0 && lo.field == 16) {
            if (rs_n != n || rs_k != k) {
                dna_rs16_free(&rs16);
                if (dna_rs16_init(&rs16, &gf16, n, k, err))
                    goto nomem;
                rs_n = n;
                rs_k = k;
            }
            for (int c = 0; c < Pu / 2; c++) {
                for (int i = 0; i < n; i++) {
                    const uint8_t *rw = rows + (size_t)i * (size_t)P + 2 * (size_t)c;
                    sym[i] = (uint16_t)(rw[0] | rw[1] << 8);
                }
                int r = dna_rs16_decode(&rs16, sym, eras, ne, NULL);
                if (r == NQ_ENOMEM)
                    goto nomem;
                if (r < 0) {
                    bad_cols += 2;
                    if (first_bad < 0)
                        first_bad = 2 * c;
                    last_bad = 2 * c + 1;
                    continue;
                }
                rep->symbols_corrected += (size_t)r;
                for (int i = 0; i < k; i++) {
                    uint8_t *rw = rows + (size_t)i * (size_t)P + 2 * (size_t)c;
                    rw[0] = (uint8_t)sym[i];
                    rw[1] = (uint8_t)(sym[i] >> 8);
                }
            }
        } else if (m > 0) {
            if (rs_n != n || rs_k != k) {
                dna_rs_free(&rs);
                if (dna_rs_init(&rs, n, k, err))
                    goto nomem;
                rs_n = n;
                rs_k = k;
            }
            uint8_t *rp[255];
            for (int i = 0; i < n; i++)
                rp[i] = rows + (size_t)i * (size_t)P;
            size_t fixed = 0;
            long nb = dna_rs_decode_rows(&rs, rp, (size_t)P, eras, ne, colbad, &fixed, err);
            if (nb < 0) {
                rc = (int)nb;
                dna_rs_free(&rs);
                goto done;
            }
            rep->symbols_corrected += fixed;
            for (int c = 0; c < Pu; c++)
                if (colbad[c]) {
                    bad_cols++;
                    if (first_bad < 0)
                        first_bad = c;
                    last_bad = c;
                }
        }
        if (bad_cols) {
            rep->columns_lost += (size_t)bad_cols;
            if (nlost_blocks < 4)
                append(lost, sizeof lost,
                       "%sblock %llu (bytes %llu..%llu, %d of %d oligos missing, %d parity): %d "
                       "of %d columns lost (columns %d..%d)",
                       nlost_blocks ? "; " : "", (unsigned long long)b,
                       (unsigned long long)byte0, (unsigned long long)(byte1 ? byte1 - 1 : 0), ne,
                       n, m, bad_cols, Pu, first_bad, last_bad);
            nlost_blocks++;
        }
        for (int i = 0; i < k; i++)
            memcpy(file + byte0 + (size_t)i * (size_t)Pu, rows + (size_t)i * (size_t)P, (size_t)Pu);
    }
    if (nlost_blocks) {
        if (nlost_blocks > 4)
            append(lost, sizeof lost, "; and %d more blocks", nlost_blocks - 4);
        rc = nq_err_set(err, NQ_ECORRUPT, "unrecoverable: %d of %llu blocks: %s", nlost_blocks,
                        (unsigned long long)lo.B, lost);
        goto done;
    }
    if (crc32c(0, file, (size_t)nbytes) != fcrc) {
        rc = nq_err_set(err, NQ_ECORRUPT,
                        "the decoded file fails its CRC-32C (the outer code miscorrected): "
                        "bytes 0..%llu are not trustworthy",
                        (unsigned long long)(nbytes ? nbytes - 1 : 0));
        goto done;
    }
    *out = file;
    *outlen = (size_t)nbytes;
    file = NULL;
    rc = 0;
    goto done;
nomem:
    rc = nq_err_set(err, NQ_ENOMEM, "DNA decode: out of memory");
done:
    dna_rs_free(&rs);
    dna_rs16_free(&rs16);
    dna_gf16_free(&gf16);
    free(sym);
    free(eras);
    free(ar);
    free(rv);
    free(pay);
    free(rows);
    free(file);
    free(grp);
    free(cons);
    free(cand);
    dna_oligo_free(&oc);
    return rc;
}
