/*
 * dna_arith.h — a binary arithmetic coder (32-bit, carry-less, in the style of Matt Mahoney's
 * lpaq1): the interval [x1, x2] is split in proportion to P(bit = 1) given in 12 bits, and the
 * leading byte is shifted out as soon as x1 and x2 agree on it. The encoder flushes all four
 * bytes of x1, so the decoder's value always lies in the final interval; the decoder reads
 * zeros past the end of its input and never reads outside it.
 *
 * One structure serves both directions (dna_arith_bit encodes `bit`, or decodes and returns
 * it), so the model code in dna_cm.c is written once for the encoder and the decoder, which
 * is what keeps them in step.
 */
#ifndef NQ_DNA_ARITH_H
#define NQ_DNA_ARITH_H

#include <stddef.h>
#include <stdint.h>

#include "dna_zip.h"

typedef struct dna_arith {
    uint32_t x1, x2, x;
    int decoding;
    int oom;          /* encoder: an allocation failed */
    dna_buf *out;     /* encoder */
    const uint8_t *in; /* decoder */
    size_t n, pos;
} dna_arith;

static inline void dna_arith_enc_init(dna_arith *a, dna_buf *out)
{
    a->x1 = 0;
    a->x2 = 0xffffffffu;
    a->x = 0;
    a->decoding = 0;
    a->oom = 0;
    a->out = out;
    a->in = NULL;
    a->n = a->pos = 0;
}

static inline int dna_arith_in(dna_arith *a)
{
    return a->pos < a->n ? a->in[a->pos++] : 0;
}

static inline void dna_arith_dec_init(dna_arith *a, const uint8_t *in, size_t n)
{
    a->x1 = 0;
    a->x2 = 0xffffffffu;
    a->decoding = 1;
    a->oom = 0;
    a->out = NULL;
    a->in = in;
    a->n = n;
    a->pos = 0;
    a->x = 0;
    for (int i = 0; i < 4; i++)
        a->x = (a->x << 8) | (uint32_t)dna_arith_in(a);
}

static inline void dna_arith_out(dna_arith *a, unsigned c)
{
    if (a->out->len == a->out->cap && dna_buf_reserve(a->out, 1)) {
        a->oom = 1;
        return;
    }
    a->out->data[a->out->len++] = (uint8_t)c;
}

/* p = P(bit = 1) in 1..4095. Returns the bit (encoded, or decoded). */
static inline int dna_arith_bit(dna_arith *a, int bit, int p)
{
    uint32_t xmid = a->x1 + ((a->x2 - a->x1) >> 12) * (uint32_t)p;
    if (a->decoding)
        bit = a->x <= xmid;
    if (bit)
        a->x2 = xmid;
    else
        a->x1 = xmid + 1;
    while (((a->x1 ^ a->x2) & 0xff000000u) == 0) {
        if (a->decoding)
            a->x = (a->x << 8) | (uint32_t)dna_arith_in(a);
        else
            dna_arith_out(a, a->x2 >> 24);
        a->x1 <<= 8;
        a->x2 = (a->x2 << 8) | 255;
    }
    return bit;
}

static inline void dna_arith_flush(dna_arith *a)
{
    for (int i = 0; i < 4; i++)
        dna_arith_out(a, (a->x1 >> (24 - 8 * i)) & 255);
}

#endif
