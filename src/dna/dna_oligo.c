/*
 * dna_oligo.c — the oligo layout, enumerative constrained code, scrambling and checks (see
 * dna_oligo.h). Big integers are arrays of `limbs` 64-bit words, least significant first.
 * A segment's content is a bit string written right-aligned into a big-endian byte array, so
 * that the array read as a number is the segment's integer.
 */
#include "dna_oligo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"

#define BI_MAX_LIMBS 40 /* 2 * 1000 bits / 64 + 2 */
#define BODY_MAX_BYTES 256

static const char dna_base_chars[4] = {'A', 'C', 'G', 'T'};

static int base_code(char ch)
{
    switch (ch) {
    case 'A': case 'a': return 0;
    case 'C': case 'c': return 1;
    case 'G': case 'g': return 2;
    case 'T': case 't': return 3;
    default: return -1;
    }
}

/* ---- big integers ---- */

static void bi_add(uint64_t *d, const uint64_t *a, const uint64_t *b, int n)
{
    unsigned __int128 carry = 0;
    for (int i = 0; i < n; i++) {
        carry += (unsigned __int128)a[i] + b[i];
        d[i] = (uint64_t)carry;
        carry >>= 64;
    }
}

static void bi_sub(uint64_t *a, const uint64_t *b, int n) /* a -= b, a >= b */
{
    uint64_t borrow = 0;
    for (int i = 0; i < n; i++) {
        uint64_t x = a[i], y = b[i];
        uint64_t r = x - y - borrow;
        borrow = (x < y) || (x == y && borrow) ? 1 : 0;
        a[i] = r;
    }
}

static int bi_cmp(const uint64_t *a, const uint64_t *b, int n)
{
    for (int i = n - 1; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int bi_bitlen(const uint64_t *a, int n)
{
    for (int i = n - 1; i >= 0; i--)
        if (a[i])
            return i * 64 + 64 - __builtin_clzll(a[i]);
    return 0;
}

/* floor(log2 a) for a >= 1 */
static int bi_floor_log2(const uint64_t *a, int n)
{
    return bi_bitlen(a, n) - 1;
}

static void bi_from_bytes(uint64_t *d, int n, const uint8_t *be, int nb)
{
    memset(d, 0, (size_t)n * 8);
    for (int i = 0; i < nb; i++) {
        int bit = (nb - 1 - i) * 8;
        d[bit / 64] |= (uint64_t)be[i] << (bit % 64);
    }
}

static void bi_to_bytes(const uint64_t *d, uint8_t *be, int nb)
{
    for (int i = 0; i < nb; i++) {
        int bit = (nb - 1 - i) * 8;
        be[i] = (uint8_t)(d[bit / 64] >> (bit % 64));
    }
}

/* ---- bit strings (MSB first) ---- */

typedef struct bitbuf {
    uint8_t *b;
    int pos; /* next bit */
} bitbuf;

static void bb_put(bitbuf *w, uint32_t v, int nbits)
{
    for (int i = nbits - 1; i >= 0; i--) {
        if ((v >> i) & 1)
            w->b[w->pos / 8] |= (uint8_t)(0x80u >> (w->pos % 8));
        w->pos++;
    }
}

static uint32_t bb_get(bitbuf *r, int nbits)
{
    uint32_t v = 0;
    for (int i = 0; i < nbits; i++) {
        v = (v << 1) | ((r->b[r->pos / 8] >> (7 - r->pos % 8)) & 1u);
        r->pos++;
    }
    return v;
}

/* ---- the count table ---- */

static const uint64_t *cnt(const dna_oligo_codec *c, int rem, int run)
{
    return c->counts + ((size_t)rem * (size_t)(c->max_run + 1) + (size_t)run) * (size_t)c->limbs;
}

static uint64_t *cnt_w(dna_oligo_codec *c, int rem, int run)
{
    return c->counts + ((size_t)rem * (size_t)(c->max_run + 1) + (size_t)run) * (size_t)c->limbs;
}

int dna_oligo_init(dna_oligo_codec *c, int len, int max_run, int addr_bits, double gc_min,
                   double gc_max, nq_err *err)
{
    memset(c, 0, sizeof *c);
    if (addr_bits != DNA_OLIGO_FORMAT1 &&
        (addr_bits < DNA_ADDR_MIN_BITS || addr_bits > DNA_ADDR_MAX_BITS))
        return nq_err_set(err, NQ_EINVAL, "address width %d is outside [%d, %d] bits", addr_bits,
                          DNA_ADDR_MIN_BITS, DNA_ADDR_MAX_BITS);
    if (len < DNA_OLIGO_MIN_LEN || len > DNA_OLIGO_MAX_LEN)
        return nq_err_set(err, NQ_EINVAL, "oligo length %d is outside [%d, %d]", len,
                          DNA_OLIGO_MIN_LEN, DNA_OLIGO_MAX_LEN);
    if (max_run < 1 || max_run > DNA_OLIGO_MAX_RUN)
        return nq_err_set(err, NQ_EINVAL, "max run %d is outside [1, %d]", max_run, DNA_OLIGO_MAX_RUN);
    if (!(gc_min >= 0 && gc_max <= 1 && gc_min <= gc_max))
        return nq_err_set(err, NQ_EINVAL, "GC bounds %g..%g are not 0 <= min <= max <= 1", gc_min, gc_max);
    c->len = len;
    c->max_run = max_run;
    c->gc_lo = (int)ceil(gc_min * len - 1e-9);
    c->gc_hi = (int)floor(gc_max * len + 1e-9);
    if (c->gc_lo > c->gc_hi)
        return nq_err_set(err, NQ_EINVAL, "no GC count of a %d-base oligo lies in %g..%g", len, gc_min, gc_max);
    c->limbs = (2 * len) / 64 + 2;
    int K = max_run;
    c->counts = calloc((size_t)(len + 1) * (size_t)(K + 1) * (size_t)c->limbs, 8);
    if (!c->counts)
        return nq_err_set(err, NQ_ENOMEM, "oligo codec: out of memory");
    int n = c->limbs;
    for (int r = 0; r <= K; r++)
        cnt_w(c, 0, r)[0] = 1;
    for (int rem = 1; rem <= len; rem++) {
        const uint64_t *one = cnt(c, rem - 1, 1);
        uint64_t t2[BI_MAX_LIMBS], t3[BI_MAX_LIMBS];
        bi_add(t2, one, one, n);
        bi_add(t3, t2, one, n);
        bi_add(cnt_w(c, rem, 0), t3, one, n); /* 4 N(rem-1, 1) */
        for (int r = 1; r <= K; r++) {
            if (r < K)
                bi_add(cnt_w(c, rem, r), t3, cnt(c, rem - 1, r + 1), n);
            else
                memcpy(cnt_w(c, rem, r), t3, (size_t)n * 8);
        }
    }
    if (addr_bits == DNA_OLIGO_FORMAT1) {
        /* pool versions 1-2: 4 + 20 + 4 bits, zero padded; at least 16 check bits */
        c->format = 1;
        c->seed_bits = 4;
        c->addr_bits = 20;
        int need = 28, h = 1;
        while (h < len && bi_floor_log2(cnt(c, h, 0), n) < need)
            h++;
        c->prefix_len = h;
        c->prefix_bits = bi_floor_log2(cnt(c, h, 0), n);
        c->body_bits = bi_floor_log2(cnt(c, len - h, K), n); /* the weakest start state */
        c->payload = (c->body_bits - 16) / 8;
    } else {
        /* prefixes from the shortest that holds seed + address: the most payload bytes
         * first, then the split of the spare bits between the prefix check and the body check
         * whose weaker check is strongest */
        c->format = 2;
        c->seed_bits = 3;
        c->addr_bits = addr_bits;
        int need = c->seed_bits + addr_bits, h = 1;
        while (h < len && bi_floor_log2(cnt(c, h, 0), n) < need)
            h++;
        int best_h = h, best_p = -1, best_min = -1;
        for (int t = h; t < len && t <= h + 6; t++) {
            int bb = bi_floor_log2(cnt(c, len - t, K), n);
            int pb = (bb - DNA_OLIGO_MIN_CHECK) / 8;
            int cp = bi_floor_log2(cnt(c, t, 0), n) - need, cb = bb - 8 * pb;
            int mn = cp < cb ? cp : cb;
            if (pb > best_p || (pb == best_p && mn > best_min)) {
                best_p = pb;
                best_h = t;
                best_min = mn;
            }
        }
        c->prefix_len = best_h;
        c->prefix_bits = bi_floor_log2(cnt(c, best_h, 0), n);
        c->body_bits = bi_floor_log2(cnt(c, len - best_h, K), n);
        c->payload = best_p;
    }
    c->check_bits = c->body_bits - 8 * c->payload;
    if (c->payload < 1 || (c->body_bits + 7) / 8 > BODY_MAX_BYTES) {
        dna_oligo_free(c);
        return nq_err_set(err, NQ_EINVAL, "oligo length %d leaves no room for a payload", len);
    }
    return 0;
}

void dna_oligo_free(dna_oligo_codec *c)
{
    free(c->counts);
    c->counts = NULL;
}

/* Write the string of rank d (< N(len, run)) after state (prev, run). Returns the end state. */
static void seg_encode(const dna_oligo_codec *c, uint64_t *d, int len, int *prev, int *run,
                       char *out)
{
    int n = c->limbs, K = c->max_run, p = *prev, r = *run;
    for (int i = 0; i < len; i++) {
        int rem = len - i;
        int b;
        for (b = 0; b < 4; b++) {
            const uint64_t *cn;
            if (b == p) {
                if (r >= K)
                    continue;
                cn = cnt(c, rem - 1, r + 1);
            } else {
                cn = cnt(c, rem - 1, 1);
            }
            if (bi_cmp(d, cn, n) < 0)
                break;
            bi_sub(d, cn, n);
        }
        /* d < N(len, run) guarantees a choice; b == 4 cannot happen */
        if (b == 4)
            b = p == 0 ? 1 : 0;
        r = b == p ? r + 1 : 1;
        p = b;
        out[i] = dna_base_chars[b];
    }
    *prev = p;
    *run = r;
}

/* The rank of bases[0..len) after state (prev, run); -1 if a base is not ACGT or a run is too
 * long. */
static int seg_decode(const dna_oligo_codec *c, const char *bases, int len, int *prev, int *run,
                      uint64_t *d)
{
    int n = c->limbs, K = c->max_run, p = *prev, r = *run;
    memset(d, 0, (size_t)n * 8);
    for (int i = 0; i < len; i++) {
        int rem = len - i;
        int b = base_code(bases[i]);
        if (b < 0)
            return -1;
        if (b == p && r >= K)
            return -1;
        for (int x = 0; x < b; x++) {
            if (x == p) {
                if (r < K)
                    bi_add(d, d, cnt(c, rem - 1, r + 1), n);
            } else {
                bi_add(d, d, cnt(c, rem - 1, 1), n);
            }
        }
        r = b == p ? r + 1 : 1;
        p = b;
    }
    *prev = p;
    *run = r;
    return 0;
}

/* Bits of the prefix check: format 1 has 4 (then zeros), format 2 all the prefix's spare bits
 * (at most 32 are CRC bits; any beyond would be zeros). */
static int prefix_check_bits(const dna_oligo_codec *c)
{
    if (c->format == 1)
        return 4;
    int spare = c->prefix_bits - c->seed_bits - c->addr_bits;
    return spare > 32 ? 32 : spare;
}

/* CRC-32C of the address, seed and (format 2) W: the start of both checks. */
static uint32_t id_crc(const dna_oligo_codec *c, uint32_t seed, uint32_t address)
{
    uint8_t b[5] = {(uint8_t)address, (uint8_t)(address >> 8), (uint8_t)(address >> 16),
                    (uint8_t)seed, (uint8_t)c->addr_bits};
    if (c->format == 1)
        return crc32c(0, b, 4);
    return crc32c(0, b, 5);
}

static uint32_t low_bits(uint32_t v, int nbits)
{
    return nbits >= 32 ? v : v & ((1u << nbits) - 1);
}

static uint32_t prefix_check(const dna_oligo_codec *c, uint32_t seed, uint32_t address)
{
    uint32_t crc = id_crc(c, seed, address);
    if (c->format == 2)
        crc = ~crc; /* not the start of the body check's CRC */
    return low_bits(crc, prefix_check_bits(c));
}

static uint32_t body_check(const dna_oligo_codec *c, uint32_t seed, uint32_t address,
                           const uint8_t *payload)
{
    uint32_t crc = crc32c(id_crc(c, seed, address), payload, (size_t)c->payload);
    return low_bits(crc, c->check_bits);
}

/* nbits (<= 32) of v, or read them */
static void bb_put32(bitbuf *w, uint32_t v, int nbits)
{
    if (nbits > 16) {
        bb_put(w, v >> 16, nbits - 16);
        bb_put(w, v & 0xffff, 16);
    } else {
        bb_put(w, v, nbits);
    }
}

static uint32_t bb_get32(bitbuf *r, int nbits)
{
    if (nbits > 16) {
        uint32_t hi = bb_get(r, nbits - 16) << 16;
        return hi | bb_get(r, 16);
    }
    return bb_get(r, nbits);
}

/* XOR the keystream of (seed, address) over buf[0..nb) (splitmix64). */
static void scramble(uint8_t *buf, int nb, uint32_t seed, uint32_t address)
{
    uint64_t s = 0x9E3779B97F4A7C15ull * (((uint64_t)seed << 32) | address) + 0xD1B54A32D192ED03ull;
    for (int i = 0; i < nb; i += 8) {
        s += 0x9E3779B97F4A7C15ull;
        uint64_t z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (int j = 0; j < 8 && i + j < nb; j++)
            buf[i + j] ^= (uint8_t)(z >> (8 * j));
    }
}

int dna_oligo_check_constraints(const dna_oligo_codec *c, const char *bases, size_t n)
{
    int gc = 0, run = 0, prev = -1;
    for (size_t i = 0; i < n; i++) {
        int b = base_code(bases[i]);
        if (b < 0)
            return 0;
        run = b == prev ? run + 1 : 1;
        if (run > c->max_run)
            return 0;
        prev = b;
        gc += b == 1 || b == 2;
    }
    return gc >= c->gc_lo && gc <= c->gc_hi;
}

int dna_oligo_encode(const dna_oligo_codec *c, uint32_t address, const uint8_t *payload,
                     char *bases, nq_err *err)
{
    if (c->addr_bits < 32 && address >= (1u << c->addr_bits))
        return nq_err_set(err, NQ_EINVAL, "oligo address %u needs more than %d bits", address,
                          c->addr_bits);
    int pnb = (c->prefix_bits + 7) / 8, bnb = (c->body_bits + 7) / 8;
    for (uint32_t seed = 0; seed < (1u << c->seed_bits); seed++) {
        uint8_t pre[BODY_MAX_BYTES] = {0}, body[BODY_MAX_BYTES] = {0};
        bitbuf w = {pre, pnb * 8 - c->prefix_bits};
        bb_put(&w, seed, c->seed_bits);
        bb_put32(&w, address, c->addr_bits);
        bb_put32(&w, prefix_check(c, seed, address), prefix_check_bits(c));
        bitbuf wb = {body, bnb * 8 - c->body_bits};
        for (int i = 0; i < c->payload; i++)
            bb_put(&wb, payload[i], 8);
        bb_put32(&wb, body_check(c, seed, address, payload), c->check_bits);
        scramble(body, bnb, seed, address);
        body[0] &= (uint8_t)(0xffu >> (bnb * 8 - c->body_bits)); /* keep it below 2^body_bits */
        uint64_t d[BI_MAX_LIMBS];
        int prev = -1, run = 0;
        bi_from_bytes(d, c->limbs, pre, pnb);
        seg_encode(c, d, c->prefix_len, &prev, &run, bases);
        bi_from_bytes(d, c->limbs, body, bnb);
        seg_encode(c, d, c->len - c->prefix_len, &prev, &run, bases + c->prefix_len);
        if (dna_oligo_check_constraints(c, bases, (size_t)c->len))
            return 0;
    }
    return nq_err_set(err, NQ_ERROR,
                      "oligo %u: none of the %d scrambling seeds meets the GC bounds (%d..%d of %d bases)",
                      address, 1 << c->seed_bits, c->gc_lo, c->gc_hi, c->len);
}

/* Decode the prefix: 0 with seed, address and the end state. */
static int prefix_decode(const dna_oligo_codec *c, const char *bases, uint32_t *seed,
                         uint32_t *address, int *prev, int *run)
{
    uint64_t d[BI_MAX_LIMBS];
    *prev = -1;
    *run = 0;
    if (seg_decode(c, bases, c->prefix_len, prev, run, d) < 0)
        return NQ_ECORRUPT;
    if (bi_bitlen(d, c->limbs) > c->prefix_bits)
        return NQ_ECORRUPT;
    int pnb = (c->prefix_bits + 7) / 8;
    uint8_t pre[BODY_MAX_BYTES];
    bi_to_bytes(d, pre, pnb);
    bitbuf r = {pre, pnb * 8 - c->prefix_bits};
    *seed = bb_get(&r, c->seed_bits);
    *address = bb_get32(&r, c->addr_bits);
    int pcb = prefix_check_bits(c);
    uint32_t pc = bb_get32(&r, pcb);
    if (pc != prefix_check(c, *seed, *address))
        return NQ_ECORRUPT;
    int rest = c->prefix_bits - c->seed_bits - c->addr_bits - pcb;
    while (rest > 0) {
        int k = rest > 16 ? 16 : rest;
        if (bb_get(&r, k) != 0)
            return NQ_ECORRUPT;
        rest -= k;
    }
    return 0;
}

int dna_oligo_decode_prefix(const dna_oligo_codec *c, const char *bases, size_t n,
                            uint32_t *address)
{
    uint32_t seed;
    int prev, run;
    if (n < (size_t)c->prefix_len)
        return NQ_ECORRUPT;
    return prefix_decode(c, bases, &seed, address, &prev, &run);
}

int dna_oligo_decode(const dna_oligo_codec *c, const char *bases, size_t n, uint32_t *address,
                     uint8_t *payload)
{
    uint32_t seed, addr;
    int prev, run;
    if (n != (size_t)c->len)
        return NQ_ECORRUPT;
    if (prefix_decode(c, bases, &seed, &addr, &prev, &run) < 0)
        return NQ_ECORRUPT;
    uint64_t d[BI_MAX_LIMBS];
    if (seg_decode(c, bases + c->prefix_len, c->len - c->prefix_len, &prev, &run, d) < 0)
        return NQ_ECORRUPT;
    if (bi_bitlen(d, c->limbs) > c->body_bits)
        return NQ_ECORRUPT;
    int bnb = (c->body_bits + 7) / 8;
    uint8_t body[BODY_MAX_BYTES];
    bi_to_bytes(d, body, bnb);
    scramble(body, bnb, seed, addr);
    body[0] &= (uint8_t)(0xffu >> (bnb * 8 - c->body_bits));
    bitbuf r = {body, bnb * 8 - c->body_bits};
    for (int i = 0; i < c->payload; i++)
        payload[i] = (uint8_t)bb_get(&r, 8);
    uint32_t chk = bb_get32(&r, c->check_bits);
    if (chk != body_check(c, seed, addr, payload))
        return NQ_ECORRUPT;
    *address = addr;
    return 0;
}
