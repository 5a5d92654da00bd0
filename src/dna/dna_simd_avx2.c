/*
 * dna_simd_avx2.c — the AVX2 kernels (x86-64). Each function is compiled for AVX2 with
 * __attribute__((target("avx2"))) and only called after __builtin_cpu_supports("avx2")
 * (dna_pack.c); the tails go to the scalar code, so results are identical by construction
 * and by test (tests/unit/dna/test_dna_pack.c).
 *
 * pack: 128 letters per step. (c >> 1) & 3 per byte; maddubs with (1, 4) joins pairs into
 * 4-bit values, madd with (1, 16) joins those into one byte value per 32-bit lane; two packus
 * narrow 4 x 8 dwords to 32 bytes, and a cross-lane permute restores their order.
 * unpack: 8 packed bytes -> 32 letters per step. Each byte is copied to 4 places
 * (pshufb), the 2-bit field of place j is brought down by a 16-bit shift of 2j and masked
 * (fields never mix, because only bits 0..1 of each byte are kept), and pshufb maps 0..3 to
 * the letters.
 * find_non_acgt / count_gc: fold case with | 0x20 and compare against the letters.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "dna_simd.h"

#define AVX2 __attribute__((target("avx2")))

AVX2 static void pack_avx2(const uint8_t *s, size_t n, uint8_t *out)
{
    const __m256i three = _mm256_set1_epi8(3);
    const __m256i m14 = _mm256_set1_epi16(0x0401);       /* bytes (1, 4) */
    const __m256i m116 = _mm256_set1_epi32(0x00100001);  /* words (1, 16) */
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m256i v[4];
        for (int k = 0; k < 4; k++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(s + i + 32 * k));
            x = _mm256_and_si256(_mm256_srli_epi16(x, 1), three);
            x = _mm256_maddubs_epi16(x, m14);
            v[k] = _mm256_madd_epi16(x, m116);
        }
        __m256i ab = _mm256_packus_epi32(v[0], v[1]);
        __m256i cd = _mm256_packus_epi32(v[2], v[3]);
        __m256i r = _mm256_packus_epi16(ab, cd);
        r = _mm256_permutevar8x32_epi32(r, perm);
        _mm256_storeu_si256((__m256i *)(out + i / 4), r);
    }
    dna_kernels_scalar.pack(s + i, n - i, out + i / 4);
}

AVX2 static void unpack_avx2(const uint8_t *p, size_t n, uint8_t *out)
{
    const __m256i rep = _mm256_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                         4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
    const __m256i m0 = _mm256_set1_epi32(0x00000003);
    const __m256i m1 = _mm256_set1_epi32(0x00000300);
    const __m256i m2 = _mm256_set1_epi32(0x00030000);
    const __m256i m3 = _mm256_set1_epi32(0x03000000);
    const __m256i lut = _mm256_setr_epi8('A', 'C', 'T', 'G', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         'A', 'C', 'T', 'G', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m128i b = _mm_loadl_epi64((const __m128i *)(p + i / 4));
        __m256i x = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(b), rep);
        __m256i r = _mm256_or_si256(
            _mm256_or_si256(_mm256_and_si256(x, m0), _mm256_and_si256(_mm256_srli_epi16(x, 2), m1)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 4), m2),
                            _mm256_and_si256(_mm256_srli_epi16(x, 6), m3)));
        _mm256_storeu_si256((__m256i *)(out + i), _mm256_shuffle_epi8(lut, r));
    }
    dna_kernels_scalar.unpack(p + i / 4, n - i, out + i);
}

AVX2 static size_t find_non_acgt_avx2(const uint8_t *s, size_t n)
{
    const __m256i x20 = _mm256_set1_epi8(0x20);
    const __m256i a = _mm256_set1_epi8('a'), c = _mm256_set1_epi8('c');
    const __m256i g = _mm256_set1_epi8('g'), t = _mm256_set1_epi8('t');
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(s + i)), x20);
        __m256i ok = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(x, a), _mm256_cmpeq_epi8(x, c)),
            _mm256_or_si256(_mm256_cmpeq_epi8(x, g), _mm256_cmpeq_epi8(x, t)));
        unsigned m = ~(unsigned)_mm256_movemask_epi8(ok);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    return i + dna_kernels_scalar.find_non_acgt(s + i, n - i);
}

AVX2 static size_t count_gc_avx2(const uint8_t *s, size_t n)
{
    const __m256i x20 = _mm256_set1_epi8(0x20);
    const __m256i c = _mm256_set1_epi8('c'), g = _mm256_set1_epi8('g');
    const __m256i zero = _mm256_setzero_si256();
    __m256i total = zero;
    size_t i = 0;
    while (i + 32 <= n) {
        /* byte counters hold at most 255 steps */
        size_t steps = (n - i) / 32;
        if (steps > 255)
            steps = 255;
        __m256i acc = zero;
        for (size_t k = 0; k < steps; k++, i += 32) {
            __m256i x = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(s + i)), x20);
            __m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(x, c), _mm256_cmpeq_epi8(x, g));
            acc = _mm256_sub_epi8(acc, hit);
        }
        total = _mm256_add_epi64(total, _mm256_sad_epu8(acc, zero));
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, total);
    return (size_t)(lanes[0] + lanes[1] + lanes[2] + lanes[3]) +
           dna_kernels_scalar.count_gc(s + i, n - i);
}

const dna_kernels dna_kernels_avx2 = {"avx2", pack_avx2, unpack_avx2, find_non_acgt_avx2,
                                      count_gc_avx2};
#else
typedef int dna_simd_avx2_unused; /* ISO C wants a translation unit to declare something */
#endif
