/*
 * dna_pack.c — the scalar kernels (the reference every SIMD variant is tested against), the
 * run-time choice of variant, and the public pack/unpack/validate/count functions.
 *
 * The symbol of a letter is (ascii >> 1) & 3, which maps A/a=0, C/c=1, T/t=2, G/g=3: no table,
 * case-insensitive, and complementing a base is s ^ 2. Four symbols fill a byte, the first in
 * the low bits. The scalar code works a word at a time where that is simple (8 letters -> 2
 * bytes) and byte by byte for the tail.
 */
#include <string.h>

#include "dna_simd.h"
#include "dna_zip.h"

static void pack_scalar(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    for (; i + 4 <= n; i += 4)
        out[o++] = (uint8_t)(((s[i] >> 1) & 3) | (((s[i + 1] >> 1) & 3) << 2) |
                             (((s[i + 2] >> 1) & 3) << 4) | (((s[i + 3] >> 1) & 3) << 6));
    if (i < n) {
        unsigned b = 0;
        for (unsigned j = 0; i + j < n; j++)
            b |= (unsigned)((s[i + j] >> 1) & 3) << (2 * j);
        out[o] = (uint8_t)b;
    }
}

/* the four letters of every packed byte, as a read-only table built by the preprocessor */
#define LET(x) ((x) == 0 ? 'A' : (x) == 1 ? 'C' : (x) == 2 ? 'T' : 'G')
#define E1(b) {LET((b) & 3), LET(((b) >> 2) & 3), LET(((b) >> 4) & 3), LET(((b) >> 6) & 3)}
#define E4(b) E1(b), E1((b) + 1), E1((b) + 2), E1((b) + 3)
#define E16(b) E4(b), E4((b) + 4), E4((b) + 8), E4((b) + 12)
#define E64(b) E16(b), E16((b) + 16), E16((b) + 32), E16((b) + 48)
static const uint8_t letters4[256][4] = {E64(0), E64(64), E64(128), E64(192)};

static void unpack_scalar(const uint8_t *p, size_t n, uint8_t *out)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        memcpy(out + i, letters4[p[i / 4]], 4);
    for (; i < n; i++)
        out[i] = letters4[p[i / 4]][i % 4];
}

static size_t find_non_acgt_scalar(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i] | 0x20u;
        if (c != 'a' && c != 'c' && c != 'g' && c != 't')
            return i;
    }
    return n;
}

static size_t count_gc_scalar(const uint8_t *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i] | 0x20u;
        k += (c == 'c') | (c == 'g');
    }
    return k;
}

const dna_kernels dna_kernels_scalar = {"scalar", pack_scalar, unpack_scalar, find_non_acgt_scalar,
                                        count_gc_scalar};

int dna_kernels_list(const dna_kernels **out, int max)
{
    int k = 0;
    if (k < max)
        out[k++] = &dna_kernels_scalar;
#if defined(__x86_64__)
    if (k < max && __builtin_cpu_supports("avx2"))
        out[k++] = &dna_kernels_avx2;
#endif
#if defined(__aarch64__)
    if (k < max)
        out[k++] = &dna_kernels_neon;
#endif
    return k;
}

const dna_kernels *dna_kernels_best(void)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2"))
        return &dna_kernels_avx2;
#endif
#if defined(__aarch64__)
    return &dna_kernels_neon;
#endif
    return &dna_kernels_scalar;
}

void dna_pack(const char *s, size_t n, uint8_t *out)
{
    dna_kernels_best()->pack((const uint8_t *)s, n, out);
}

void dna_unpack(const uint8_t *p, size_t n, char *out)
{
    dna_kernels_best()->unpack(p, n, (uint8_t *)out);
}

size_t dna_find_non_acgt(const char *s, size_t n)
{
    return dna_kernels_best()->find_non_acgt((const uint8_t *)s, n);
}

size_t dna_count_gc(const char *s, size_t n)
{
    return dna_kernels_best()->count_gc((const uint8_t *)s, n);
}
