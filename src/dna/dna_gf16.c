/*
 * dna_gf16.c — the GF(2^16) tables (see dna_gf16.h).
 */
#include "dna_gf16.h"

#include <stdlib.h>

int dna_gf16_init(dna_gf16 *f, nq_err *err)
{
    f->exp = malloc(2u * 65535u * sizeof *f->exp);
    f->log = malloc(65536u * sizeof *f->log);
    if (!f->exp || !f->log) {
        dna_gf16_free(f);
        return nq_err_set(err, NQ_ENOMEM, "GF(2^16): out of memory");
    }
    uint32_t x = 1;
    for (uint32_t i = 0; i < 65535u; i++) {
        f->exp[i] = (uint16_t)x;
        f->exp[i + 65535u] = (uint16_t)x;
        f->log[x] = (uint16_t)i;
        x <<= 1;
        if (x & 0x10000u)
            x ^= DNA_GF16_POLY;
    }
    f->log[0] = 0;
    return 0;
}

void dna_gf16_free(dna_gf16 *f)
{
    free(f->exp);
    free(f->log);
    f->exp = NULL;
    f->log = NULL;
}
