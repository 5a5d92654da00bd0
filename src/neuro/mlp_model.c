/*
 * mlp_model.c — a trained network as bytes and back (the format the database stores).
 *
 * Layout (all integers and floats little-endian; docs/neuromorphic.md, "Model format"):
 *
 *   0   "NQNN"            magic
 *   4   u16 version       1
 *   6   u16 flags         bit 0: an input scaler follows the layer table; others must be 0
 *   8   u32 n_in
 *   12  u32 n_layers      1..MLP_MAX_LAYERS
 *   16  u8  loss, u8[3] zero
 *   20  f32 huber_delta   finite, > 0
 *   24  n_layers × { u32 out, u8 activation, u8[3] zero }
 *       [flags bit 0: n_in × f32 mean, n_in × f32 scale]
 *       per layer: in×out × f32 W (row-major), out × f32 b
 *   end u32 CRC-32C of every byte before it
 *
 * The decoder checks, in order: length ≥ the fixed header + CRC, the CRC (so a damaged file
 * is reported as such before its contents are interpreted), magic, version, flags, counts and
 * enumerations, the exact total length computed in 64-bit arithmetic from the shapes (after
 * the limits, so it cannot overflow), and that every number is finite. Each error names the
 * offset of the field it rejects.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/endian.h"
#include "mlp.h"

#define MLP_MAGIC "NQNN"
#define MLP_VERSION 1
#define MLP_HDR 24

static void put_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(p, u);
}

static float get_f32(const uint8_t *p)
{
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint8_t *put_floats(uint8_t *p, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 4)
        put_f32(p, v[i]);
    return p;
}

int mlp_encode(const mlp *m, uint8_t **buf, size_t *len, nq_err *e)
{
    *buf = NULL;
    *len = 0;
    uint64_t n = MLP_HDR + 8ull * m->n_layers + 4;
    if (m->in_mean)
        n += 8ull * m->n_in;
    n += 4 * mlp_param_count(m);
    uint8_t *b = malloc(n), *p = b;
    if (!b)
        return nq_err_set(e, NQ_ENOMEM, "out of memory for a %llu-byte model",
                          (unsigned long long)n);
    memcpy(p, MLP_MAGIC, 4);
    put_u16(p + 4, MLP_VERSION);
    put_u16(p + 6, m->in_mean ? 1 : 0);
    put_u32(p + 8, (uint32_t)m->n_in);
    put_u32(p + 12, (uint32_t)m->n_layers);
    p[16] = (uint8_t)m->loss;
    p[17] = p[18] = p[19] = 0;
    put_f32(p + 20, m->huber_delta);
    p += MLP_HDR;
    for (int l = 0; l < m->n_layers; l++, p += 8) {
        put_u32(p, (uint32_t)m->layers[l].out);
        p[4] = (uint8_t)m->layers[l].act;
        p[5] = p[6] = p[7] = 0;
    }
    if (m->in_mean) {
        p = put_floats(p, m->in_mean, (size_t)m->n_in);
        p = put_floats(p, m->in_scale, (size_t)m->n_in);
    }
    for (int l = 0; l < m->n_layers; l++) {
        const nn_layer *L = &m->layers[l];
        p = put_floats(p, L->W, (size_t)L->in * (size_t)L->out);
        p = put_floats(p, L->b, (size_t)L->out);
    }
    put_u32(p, crc32c(0, b, (size_t)(p - b)));
    *buf = b;
    *len = (size_t)n;
    return 0;
}

/* Read n floats at *off into v, each finite. */
static int get_floats(const uint8_t *buf, size_t *off, float *v, size_t n, const char *what,
                      nq_err *e)
{
    for (size_t i = 0; i < n; i++, *off += 4) {
        v[i] = get_f32(buf + *off);
        if (!isfinite(v[i]))
            return nq_err_set(e, NQ_ECORRUPT, "model: offset %zu: %s value %zu is not finite",
                              *off, what, i);
    }
    return 0;
}

int mlp_decode(const uint8_t *buf, size_t len, mlp **out, nq_err *e)
{
    *out = NULL;
    if (len < MLP_HDR + 8 + 4)
        return nq_err_set(e, NQ_ECORRUPT, "model: %zu bytes: shorter than any model", len);
    uint32_t want = get_u32(buf + len - 4), got = crc32c(0, buf, len - 4);
    if (want != got)
        return nq_err_set(e, NQ_ECORRUPT,
                          "model: offset %zu: checksum mismatch (stored %08x, computed %08x): "
                          "the model is damaged",
                          len - 4, want, got);
    if (memcmp(buf, MLP_MAGIC, 4))
        return nq_err_set(e, NQ_ECORRUPT, "model: offset 0: not a model (magic is not NQNN)");
    unsigned ver = get_u16(buf + 4), flags = get_u16(buf + 6);
    if (ver != MLP_VERSION)
        return nq_err_set(e, NQ_ECORRUPT, "model: offset 4: version %u (this build reads %u)",
                          ver, MLP_VERSION);
    if (flags & ~1u)
        return nq_err_set(e, NQ_ECORRUPT, "model: offset 6: unknown flags 0x%x", flags);
    uint32_t n_in = get_u32(buf + 8), nl = get_u32(buf + 12);
    if (n_in < 1 || n_in > MLP_MAX_UNITS)
        return nq_err_set(e, NQ_ECORRUPT, "model: offset 8: input size %u out of range", n_in);
    if (nl < 1 || nl > MLP_MAX_LAYERS)
        return nq_err_set(e, NQ_ECORRUPT, "model: offset 12: layer count %u out of range", nl);
    unsigned loss = buf[16];
    if (loss >= NN_LOSS_COUNT || buf[17] || buf[18] || buf[19])
        return nq_err_set(e, NQ_ECORRUPT, "model: offset 16: unknown loss %u", loss);
    float hd = get_f32(buf + 20);
    if (!isfinite(hd) || !(hd > 0.0f))
        return nq_err_set(e, NQ_ECORRUPT, "model: offset 20: Huber delta is not a positive "
                                          "number");
    if (len < MLP_HDR + 8ull * nl + 4)
        return nq_err_set(e, NQ_ECORRUPT, "model: %zu bytes: shorter than its layer table", len);
    int sizes[MLP_MAX_LAYERS];
    nn_act acts[MLP_MAX_LAYERS];
    uint64_t params = 0, in = n_in;
    for (uint32_t l = 0; l < nl; l++) {
        size_t o = MLP_HDR + 8 * (size_t)l;
        uint32_t sz = get_u32(buf + o);
        if (sz < 1 || sz > MLP_MAX_UNITS)
            return nq_err_set(e, NQ_ECORRUPT, "model: offset %zu: layer %u size %u out of range",
                              o, l + 1, sz);
        if (buf[o + 4] >= NN_ACT_COUNT || buf[o + 5] || buf[o + 6] || buf[o + 7])
            return nq_err_set(e, NQ_ECORRUPT, "model: offset %zu: layer %u: unknown activation "
                                              "%u",
                              o + 4, l + 1, buf[o + 4]);
        sizes[l] = (int)sz;
        acts[l] = (nn_act)buf[o + 4];
        params += in * sz + sz;
        if (params > MLP_MAX_PARAMS)
            return nq_err_set(e, NQ_ECORRUPT, "model: offset %zu: more parameters than the "
                                              "limit",
                              o);
        in = sz;
    }
    uint64_t need = MLP_HDR + 8ull * nl + ((flags & 1) ? 8ull * n_in : 0) + 4 * params + 4;
    if (need != len)
        return nq_err_set(e, NQ_ECORRUPT, "model: %zu bytes, the shapes need %llu", len,
                          (unsigned long long)need);
    mlp *m;
    int rc = mlp_create(&m, (int)n_in, (int)nl, sizes, acts, (nn_loss)loss, 0, e);
    if (rc) {
        if (rc == NQ_ENOMEM)
            return rc;
        nq_err_prefix(e, NQ_ECORRUPT, "model: offset 16");
        return e ? (e->code = NQ_ECORRUPT) : NQ_ECORRUPT;
    }
    m->huber_delta = hd;
    size_t off = MLP_HDR + 8 * (size_t)nl;
    if (flags & 1) {
        float *mean = malloc(n_in * sizeof *mean), *scale = malloc(n_in * sizeof *scale);
        if (!mean || !scale)
            rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
        if (!rc)
            rc = get_floats(buf, &off, mean, n_in, "scaler mean", e);
        if (!rc)
            rc = get_floats(buf, &off, scale, n_in, "scaler scale", e);
        if (!rc)
            rc = mlp_set_scaler(m, mean, scale, e);
        free(mean);
        free(scale);
    }
    for (int l = 0; !rc && l < m->n_layers; l++) {
        nn_layer *L = &m->layers[l];
        rc = get_floats(buf, &off, L->W, (size_t)L->in * (size_t)L->out, "weight", e);
        if (!rc)
            rc = get_floats(buf, &off, L->b, (size_t)L->out, "bias", e);
    }
    if (rc) {
        mlp_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
