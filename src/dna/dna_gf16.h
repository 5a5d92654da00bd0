/*
 * dna_gf16.h — GF(2^16) for the long Reed-Solomon codes of large DNA pools (dna_rs16.h).
 *
 * The field is GF(2)[x]/(x^16 + x^12 + x^3 + x + 1) (0x1100B), in which x = 2 is primitive.
 * Its log/exp tables (384 KiB) live in a context object built by dna_gf16_init, not in global
 * state; products are two lookups.
 */
#ifndef NQ_DNA_GF16_H
#define NQ_DNA_GF16_H

#include <stdint.h>

#include "base/err.h"

#define DNA_GF16_POLY 0x1100Bu

typedef struct dna_gf16 {
    uint16_t *exp; /* 2^i for i in [0, 2*65535) */
    uint16_t *log; /* log of a != 0 */
} dna_gf16;

int dna_gf16_init(dna_gf16 *f, nq_err *err);
void dna_gf16_free(dna_gf16 *f);

static inline uint16_t dna_gf16_mul(const dna_gf16 *f, uint16_t a, uint16_t b)
{
    if (!a || !b)
        return 0;
    return f->exp[(uint32_t)f->log[a] + f->log[b]];
}

static inline uint16_t dna_gf16_inv(const dna_gf16 *f, uint16_t a)
{
    return f->exp[65535u - f->log[a]];
}

/* 2^e for any e >= 0 */
static inline uint16_t dna_gf16_pow2(const dna_gf16 *f, uint64_t e)
{
    return f->exp[e % 65535u];
}

#endif
