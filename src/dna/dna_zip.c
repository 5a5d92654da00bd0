/*
 * dna_zip.c — the container of dna_compress / dna_decompress: the sequence model (lines,
 * headers, case and non-ACGT residues out of band), the blocks of 2-bit symbols and the
 * algorithm names. The statistical codecs are in dna_cm.c, the packing kernels in
 * dna_pack.c / dna_simd_*.c.
 *
 * Container (little-endian; docs/dna.md has the full layout):
 *   "NQDZ" | version 1 | algorithm | 0 | 0 | u64 original length | u32 CRC-32C(original)
 *   varint S | side[S] | varint nbases | varint block size (bases)
 *   u32 CRC-32C of every byte before it (header, layout, counts)
 *   per block: u8 method | varint payload length | u32 CRC-32C(payload) | payload
 * and nothing after the last block.
 * side = u8 flags (bit 0: the input ends with '\n')
 *        varint nitems, items: varint t; t odd: (t >> 1) sequence lines of varint length L;
 *                                     t even: a header line of t >> 1 bytes, verbatim
 *        varint ncase, ncase run lengths alternating upper, lower, upper, ... (sum = residues)
 *        varint nexc, nexc runs: varint gap (residues since the previous run), varint length,
 *                               u8 byte (the residue with a-z folded to upper case)
 * Residues are the bytes of sequence lines; the A/C/G/T among them are the bases, coded in
 * blocks. Reconstruction walks the lines, takes each residue from the next exception run or
 * the next base, and lowers it where the case runs say so.
 *
 * The decoder checks every length against the bytes present and against the original length
 * before it allocates, the CRC of the side data and of each block before decoding it, and the
 * CRC of the result before handing it out; what it reports names the damaged part.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/crc32c.h"
#include "base/varint.h"
#include "dna_cm.h"
#include "dna_simd.h"
#include "dna_zip.h"

#define ZIP_MAGIC "NQDZ"
#define ZIP_VERSION 1
#define ZIP_HDR 20
#define ZIP_BLOCK_BASES ((size_t)1 << 24)

/* ---------------- buffers ---------------- */

void dna_buf_free(dna_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int dna_buf_reserve(dna_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len)
        return NQ_ENOMEM;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return NQ_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

static int put(dna_buf *b, const void *p, size_t n)
{
    if (dna_buf_reserve(b, n))
        return NQ_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int put_u8(dna_buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    return put(b, &c, 1);
}

static int put_var(dna_buf *b, uint64_t v)
{
    uint8_t t[10];
    return put(b, t, varint_put(t, v));
}

static int put_le(dna_buf *b, uint64_t v, int bytes)
{
    uint8_t t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    return put(b, t, (size_t)bytes);
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---------------- algorithm names ---------------- */

static const char *const algo_names[DNA_ALGO_COUNT] = {"TwoBit", "KmerBased", "NeuralNetwork",
                                                       "Hybrid"};

const char *dna_algo_name(dna_algo a)
{
    return (unsigned)a < DNA_ALGO_COUNT ? algo_names[a] : "?";
}

int dna_algo_parse(const char *name, dna_algo *out, nq_err *err)
{
    static const struct {
        const char *name;
        dna_algo a;
    } alias[] = {{"TwoBit", DNA_ALGO_TWOBIT},   {"2bit", DNA_ALGO_TWOBIT},
                 {"pack", DNA_ALGO_TWOBIT},     {"KmerBased", DNA_ALGO_KMER},
                 {"kmer", DNA_ALGO_KMER},       {"NeuralNetwork", DNA_ALGO_MIXED},
                 {"mixed", DNA_ALGO_MIXED},     {"cm", DNA_ALGO_MIXED},
                 {"Hybrid", DNA_ALGO_HYBRID}};
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcasecmp(name, alias[i].name)) {
            *out = alias[i].a;
            return 0;
        }
    if (!strcasecmp(name, "QuantumInspired"))
        return nq_err_set(err, NQ_EINVAL,
                          "algorithm QuantumInspired is not supported: no quantum algorithm "
                          "compresses DNA, and the name is not aliased to another codec (use "
                          "TwoBit, KmerBased, NeuralNetwork or Hybrid)");
    return nq_err_set(err, NQ_EINVAL,
                      "unknown algorithm \"%s\" (TwoBit, KmerBased, NeuralNetwork or Hybrid)",
                      name);
}

/* ---------------- compression ---------------- */

typedef struct zip_model {
    dna_buf items, cases, exc, bases; /* bases: ASCII A/C/G/T, upper case */
    uint64_t nitems, ncase, nexc;
    uint64_t seq_run_count, seq_run_len; /* pending run of sequence lines */
    int case_lower;                      /* state of the current case run */
    uint64_t case_run;
    int exc_byte; /* current exception run's byte, -1 when none */
    uint64_t exc_gap, exc_run;
} zip_model;

static int flush_seq_run(zip_model *m)
{
    if (!m->seq_run_count)
        return 0;
    if (put_var(&m->items, m->seq_run_count << 1 | 1) || put_var(&m->items, m->seq_run_len))
        return NQ_ENOMEM;
    m->nitems++;
    m->seq_run_count = 0;
    return 0;
}

static int flush_exc(zip_model *m)
{
    if (m->exc_byte < 0)
        return 0;
    if (put_var(&m->exc, m->exc_gap) || put_var(&m->exc, m->exc_run) ||
        put_u8(&m->exc, (unsigned)m->exc_byte))
        return NQ_ENOMEM;
    m->nexc++;
    m->exc_byte = -1;
    m->exc_gap = 0;
    return 0;
}

static int seq_line(zip_model *m, const uint8_t *s, size_t n)
{
    if (m->seq_run_count && m->seq_run_len != n && flush_seq_run(m))
        return NQ_ENOMEM;
    m->seq_run_count++;
    m->seq_run_len = n;
    if (dna_buf_reserve(&m->bases, n))
        return NQ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        int lower = c >= 'a' && c <= 'z';
        if (lower != m->case_lower) {
            if (put_var(&m->cases, m->case_run))
                return NQ_ENOMEM;
            m->ncase++;
            m->case_lower = lower;
            m->case_run = 0;
        }
        m->case_run++;
        unsigned f = lower ? c - 32 : c;
        if (f == 'A' || f == 'C' || f == 'G' || f == 'T') {
            m->bases.data[m->bases.len++] = (uint8_t)f;
            if (m->exc_byte >= 0 && flush_exc(m))
                return NQ_ENOMEM;
            m->exc_gap++;
        } else if ((int)f == m->exc_byte) {
            m->exc_run++;
        } else {
            if (flush_exc(m))
                return NQ_ENOMEM;
            m->exc_byte = (int)f;
            m->exc_run = 1;
        }
    }
    return 0;
}

static void model_free(zip_model *m)
{
    dna_buf_free(&m->items);
    dna_buf_free(&m->cases);
    dna_buf_free(&m->exc);
    dna_buf_free(&m->bases);
}

static int model_build(const uint8_t *in, size_t n, zip_model *m, dna_buf *side)
{
    memset(m, 0, sizeof *m);
    m->exc_byte = -1;
    int trailing_nl = n > 0 && in[n - 1] == '\n';
    size_t end = trailing_nl ? n - 1 : n, pos = 0;
    if (n > 0) {
        for (;;) {
            const uint8_t *nl = memchr(in + pos, '\n', end - pos);
            size_t ll = nl ? (size_t)(nl - (in + pos)) : end - pos;
            if (ll > 0 && in[pos] == '>') {
                if (flush_seq_run(m) || put_var(&m->items, (uint64_t)ll << 1) ||
                    put(&m->items, in + pos, ll))
                    return NQ_ENOMEM;
                m->nitems++;
            } else if (seq_line(m, in + pos, ll)) {
                return NQ_ENOMEM;
            }
            if (!nl)
                break;
            pos += ll + 1;
        }
    }
    if (flush_seq_run(m) || flush_exc(m) || put_var(&m->cases, m->case_run))
        return NQ_ENOMEM;
    m->ncase++;
    if (put_u8(side, (unsigned)trailing_nl) || put_var(side, m->nitems) ||
        put(side, m->items.data, m->items.len) || put_var(side, m->ncase) ||
        put(side, m->cases.data, m->cases.len) || put_var(side, m->nexc) ||
        put(side, m->exc.data, m->exc.len))
        return NQ_ENOMEM;
    return 0;
}

static int encode_block(const uint8_t *ascii, size_t nb, int method, dna_buf *pay)
{
    if (method == DNA_BLOCK_TWOBIT) {
        if (dna_buf_reserve(pay, (nb + 3) / 4))
            return NQ_ENOMEM;
        dna_pack((const char *)ascii, nb, pay->data + pay->len);
        pay->len += (nb + 3) / 4;
        return 0;
    }
    uint8_t *sym = malloc(nb ? nb : 1);
    if (!sym)
        return NQ_ENOMEM;
    for (size_t i = 0; i < nb; i++)
        sym[i] = (ascii[i] >> 1) & 3;
    int rc = dna_cm_encode(sym, nb, method, pay);
    free(sym);
    return rc;
}

int dna_compress(const uint8_t *in, size_t n, dna_algo algo, dna_buf *out, nq_err *err)
{
    if ((unsigned)algo >= DNA_ALGO_COUNT)
        return nq_err_set(err, NQ_EINVAL, "unknown algorithm %d", (int)algo);
    zip_model m;
    dna_buf side = {0}, pay[3] = {{0}};
    size_t start = out->len;
    int rc = model_build(in, n, &m, &side);
    if (rc)
        goto fail;
    rc = NQ_ENOMEM;
    if (put(out, ZIP_MAGIC, 4) || put_u8(out, ZIP_VERSION) || put_u8(out, algo) ||
        put_u8(out, 0) || put_u8(out, 0) || put_le(out, n, 8) ||
        put_le(out, crc32c(0, in, n), 4) || put_var(out, side.len) ||
        put(out, side.data, side.len) || put_var(out, m.bases.len) ||
        put_var(out, ZIP_BLOCK_BASES) ||
        put_le(out, crc32c(0, out->data + start, out->len - start), 4))
        goto fail;
    for (size_t b0 = 0; b0 < m.bases.len; b0 += ZIP_BLOCK_BASES) {
        size_t nb = m.bases.len - b0 < ZIP_BLOCK_BASES ? m.bases.len - b0 : ZIP_BLOCK_BASES;
        const uint8_t *a = m.bases.data + b0;
        int best = -1;
        for (int meth = 0; meth < 3; meth++) {
            pay[meth].len = 0;
            int want = algo == DNA_ALGO_HYBRID || (int)algo == meth;
            if (!want)
                continue;
            if ((rc = encode_block(a, nb, meth, &pay[meth])) != 0)
                goto fail;
            if (best < 0 || pay[meth].len < pay[best].len)
                best = meth;
        }
        rc = NQ_ENOMEM;
        if (put_u8(out, (unsigned)best) || put_var(out, pay[best].len) ||
            put_le(out, crc32c(0, pay[best].data, pay[best].len), 4) ||
            put(out, pay[best].data, pay[best].len))
            goto fail;
    }
    rc = 0;
fail:
    model_free(&m);
    dna_buf_free(&side);
    for (int i = 0; i < 3; i++)
        dna_buf_free(&pay[i]);
    if (rc) {
        out->len = start;
        return nq_err_set(err, rc, "out of memory");
    }
    return 0;
}

/* ---------------- decompression ---------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, pos;
} rd;

static int rd_var(rd *r, uint64_t *v)
{
    size_t k = varint_get(r->p + r->pos, r->n - r->pos, 10, v);
    if (!k)
        return -1;
    r->pos += k;
    return 0;
}

static int rd_bytes(rd *r, size_t k, const uint8_t **p)
{
    if (r->n - r->pos < k)
        return -1;
    *p = r->p + r->pos;
    r->pos += k;
    return 0;
}

#define CORRUPT(...) nq_err_set(err, NQ_ECORRUPT, __VA_ARGS__)

static int parse_header(const uint8_t *in, size_t n, dna_zip_info *info, nq_err *err)
{
    if (n < ZIP_HDR || memcmp(in, ZIP_MAGIC, 4) != 0)
        return CORRUPT("not a DNA container (no NQDZ header)");
    if (in[4] != ZIP_VERSION)
        return CORRUPT("DNA container version %u is not supported (this build reads %d)", in[4],
                       ZIP_VERSION);
    if (in[5] >= DNA_ALGO_COUNT || in[6] || in[7])
        return CORRUPT("DNA container header is damaged (algorithm or reserved bytes)");
    info->algo = (dna_algo)in[5];
    info->orig_len = get_le(in + 8, 8);
    info->crc = (uint32_t)get_le(in + 16, 4);
    info->nbases = 0;
    return 0;
}

int dna_zip_info_get(const uint8_t *in, size_t n, dna_zip_info *info, nq_err *err)
{
    int rc = parse_header(in, n, info, err);
    if (rc)
        return rc;
    rd r = {in, n, ZIP_HDR};
    uint64_t s;
    const uint8_t *p;
    if (rd_var(&r, &s) || s > n || rd_bytes(&r, (size_t)s, &p) || rd_var(&r, &info->nbases))
        return CORRUPT("DNA container: the layout section is truncated");
    return 0;
}

/* The side data, parsed and checked against the original length. */
typedef struct side_info {
    int trailing_nl;
    uint64_t nitems, ncase, nexc;
    rd items, cases, exc; /* each positioned at the start of its list */
    uint64_t residues, exc_total;
} side_info;

static int parse_side(const uint8_t *s, size_t n, uint64_t orig_len, side_info *si, nq_err *err)
{
    memset(si, 0, sizeof *si);
    rd r = {s, n, 0};
    const uint8_t *p;
    if (rd_bytes(&r, 1, &p) || *p > 1)
        return CORRUPT("DNA container: layout flags damaged");
    si->trailing_nl = *p;
    if (rd_var(&r, &si->nitems))
        return CORRUPT("DNA container: layout damaged");
    si->items = r;
    /* walk the items: total bytes = lines + newlines between them (+ the final one) */
    uint64_t total = 0, lines = 0, residues = 0;
    for (uint64_t i = 0; i < si->nitems; i++) {
        uint64_t t, len;
        if (rd_var(&r, &t))
            return CORRUPT("DNA container: line list damaged at item %llu", (unsigned long long)i);
        if (t & 1) {
            uint64_t cnt = t >> 1;
            if (cnt == 0 || rd_var(&r, &len) || (len && cnt > orig_len / len) ||
                cnt > orig_len + 1 || len * cnt > orig_len - total)
                return CORRUPT("DNA container: line list damaged at item %llu",
                               (unsigned long long)i);
            total += len * cnt;
            residues += len * cnt;
            lines += cnt;
        } else {
            len = t >> 1;
            if (len == 0 || rd_bytes(&r, len > n ? n + 1 : (size_t)len, &p) || p[0] != '>' ||
                len > orig_len - total)
                return CORRUPT("DNA container: header line damaged at item %llu",
                               (unsigned long long)i);
            total += len;
            lines++;
        }
        if (lines > orig_len + 1)
            return CORRUPT("DNA container: line list damaged");
    }
    uint64_t newlines = lines ? lines - 1 + (uint64_t)si->trailing_nl : 0;
    if (!lines && si->trailing_nl)
        return CORRUPT("DNA container: layout damaged (newline without a line)");
    if (total + newlines != orig_len || total > orig_len)
        return CORRUPT("DNA container: layout does not add up to the original length");
    si->residues = residues;
    if (rd_var(&r, &si->ncase) || si->ncase == 0 || si->ncase > residues + 1)
        return CORRUPT("DNA container: case runs damaged");
    si->cases = r;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < si->ncase; i++) {
        uint64_t v;
        if (rd_var(&r, &v) || v > residues - sum)
            return CORRUPT("DNA container: case runs damaged");
        sum += v;
    }
    if (sum != residues)
        return CORRUPT("DNA container: case runs do not cover the sequence");
    if (rd_var(&r, &si->nexc) || si->nexc > residues)
        return CORRUPT("DNA container: non-ACGT runs damaged");
    si->exc = r;
    uint64_t at = 0, etotal = 0;
    for (uint64_t i = 0; i < si->nexc; i++) {
        uint64_t gap, len;
        if (rd_var(&r, &gap) || rd_var(&r, &len) || len == 0 || gap > residues - at ||
            len > residues - at - gap || rd_bytes(&r, 1, &p))
            return CORRUPT("DNA container: non-ACGT runs damaged at run %llu",
                           (unsigned long long)i);
        unsigned f = *p;
        if (f == 'A' || f == 'C' || f == 'G' || f == 'T' || f == '\n' || (f >= 'a' && f <= 'z'))
            return CORRUPT("DNA container: non-ACGT run %llu holds an invalid byte",
                           (unsigned long long)i);
        at += gap + len;
        etotal += len;
    }
    if (r.pos != r.n)
        return CORRUPT("DNA container: layout section has trailing bytes");
    si->exc_total = etotal;
    return 0;
}

static int decode_block(const uint8_t *pay, size_t plen, size_t nb, int method, uint8_t *ascii)
{
    static const uint8_t letter[4] = {'A', 'C', 'T', 'G'};
    if (method == DNA_BLOCK_TWOBIT) {
        if (plen != (nb + 3) / 4 || ((nb & 3) && (pay[plen - 1] >> (2 * (nb & 3)))))
            return NQ_ECORRUPT;
        dna_unpack(pay, nb, (char *)ascii);
        return 0;
    }
    /* the symbols are decoded in place, then mapped to letters */
    int rc = dna_cm_decode(pay, plen, nb, method, ascii);
    if (rc)
        return rc;
    for (size_t i = 0; i < nb; i++)
        ascii[i] = letter[ascii[i] & 3];
    return 0;
}

int dna_decompress(const uint8_t *in, size_t n, uint64_t max_len, dna_buf *out, nq_err *err)
{
    dna_zip_info info = {0};
    int rc = parse_header(in, n, &info, err);
    if (rc)
        return rc;
    if (info.orig_len > max_len || info.orig_len > DNA_ZIP_MAX_LEN ||
        info.orig_len > SIZE_MAX / 2)
        return nq_err_set(err, NQ_ETOOBIG,
                          "DNA container holds %llu bytes, more than the limit of %llu",
                          (unsigned long long)info.orig_len, (unsigned long long)max_len);
    rd r = {in, n, ZIP_HDR};
    uint64_t slen, nbases, bsize;
    const uint8_t *side, *p;
    if (rd_var(&r, &slen) || slen > n || rd_bytes(&r, (size_t)slen, &side) ||
        rd_var(&r, &nbases) || rd_var(&r, &bsize) || rd_bytes(&r, 4, &p))
        return CORRUPT("DNA container: the layout section is truncated");
    if (crc32c(0, in, r.pos - 4) != (uint32_t)get_le(p, 4))
        return CORRUPT("DNA container: the header or the layout section (FASTA headers, line "
                       "lengths, case, N runs) is damaged: checksum mismatch");
    side_info si;
    if ((rc = parse_side(side, (size_t)slen, info.orig_len, &si, err)) != 0)
        return rc;
    if (bsize == 0 || bsize > ((uint64_t)1 << 32))
        return CORRUPT("DNA container: block size damaged");
    if (nbases != si.residues - si.exc_total)
        return CORRUPT("DNA container: base count disagrees with the layout");
    uint8_t *bases = malloc(nbases ? (size_t)nbases : 1);
    if (!bases)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    uint64_t nblocks = (nbases + bsize - 1) / bsize;
    for (uint64_t b = 0; b < nblocks; b++) {
        uint64_t b0 = b * bsize, nb = nbases - b0 < bsize ? nbases - b0 : bsize;
        uint64_t plen;
        const uint8_t *m, *pay;
        rc = NQ_ECORRUPT;
        if (rd_bytes(&r, 1, &m) || *m > DNA_BLOCK_MIXED || rd_var(&r, &plen) || plen > n ||
            rd_bytes(&r, 4, &p) || rd_bytes(&r, (size_t)plen, &pay) ||
            crc32c(0, pay, (size_t)plen) != (uint32_t)get_le(p, 4) ||
            (rc = decode_block(pay, (size_t)plen, (size_t)nb, *m, bases + b0)) != 0) {
            free(bases);
            if (rc == NQ_ENOMEM)
                return nq_err_set(err, rc, "out of memory");
            return CORRUPT("DNA container: block %llu (bases %llu..%llu of %llu) is damaged or "
                           "truncated; those bases are lost",
                           (unsigned long long)b, (unsigned long long)b0,
                           (unsigned long long)(b0 + nb - 1), (unsigned long long)nbases);
        }
    }
    if (r.pos != n) {
        free(bases);
        return CORRUPT("DNA container: %zu unexpected bytes after the last block", n - r.pos);
    }
    if (dna_buf_reserve(out, info.orig_len ? (size_t)info.orig_len : 1)) {
        free(bases);
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    }
    /* rebuild: lines, residues from the exception runs or the bases, case from the runs */
    uint8_t *o = out->data + out->len, *o0 = o;
    uint64_t bi = 0, res = 0; /* next base, residues written */
    uint64_t exc_left = si.nexc, next_exc = UINT64_MAX, exc_len = 0;
    unsigned exc_byte = 0;
    rd er = si.exc, cr = si.cases, ir = si.items;
    if (exc_left) {
        uint64_t g;
        rd_var(&er, &g);
        rd_var(&er, &exc_len);
        exc_byte = er.p[er.pos++];
        next_exc = g;
        exc_left--;
    }
    uint64_t case_left = 0;
    int lower = 1; /* flips to upper on the first run */
    uint64_t lines = 0;
    for (uint64_t it = 0; it < si.nitems; it++) {
        uint64_t t, cnt = 1, len;
        rd_var(&ir, &t);
        if (!(t & 1)) {
            len = t >> 1;
            if (lines++)
                *o++ = '\n';
            memcpy(o, ir.p + ir.pos, (size_t)len);
            ir.pos += (size_t)len;
            o += len;
            continue;
        }
        cnt = t >> 1;
        rd_var(&ir, &len);
        for (uint64_t l = 0; l < cnt; l++) {
            if (lines++)
                *o++ = '\n';
            for (uint64_t k = 0; k < len; k++, res++) {
                while (case_left == 0) {
                    rd_var(&cr, &case_left);
                    lower = !lower;
                }
                case_left--;
                unsigned c;
                if (res >= next_exc) {
                    c = exc_byte;
                    if (--exc_len == 0) {
                        next_exc = UINT64_MAX;
                        if (exc_left) {
                            uint64_t g;
                            rd_var(&er, &g);
                            rd_var(&er, &exc_len);
                            exc_byte = er.p[er.pos++];
                            next_exc = res + 1 + g;
                            exc_left--;
                        }
                    }
                } else {
                    c = bases[bi++];
                }
                *o++ = (uint8_t)((lower && c >= 'A' && c <= 'Z') ? c + 32 : c);
            }
        }
    }
    if (si.trailing_nl)
        *o++ = '\n';
    free(bases);
    if ((uint64_t)(o - o0) != info.orig_len || bi != nbases) /* parse_side guarantees this */
        return CORRUPT("DNA container: layout inconsistent");
    if (crc32c(0, o0, (size_t)info.orig_len) != info.crc)
        return CORRUPT("DNA container: the restored data fails its CRC-32C (the container is "
                       "damaged); nothing was written");
    out->len += (size_t)info.orig_len;
    return 0;
}
