/*
 * dna_gf.c — GF(2^8) tables and the region multiply-accumulate kernels (see dna_gf.h).
 *
 * The nibble-table kernels use c*s = c*(s & 15) ^ c*(s & 0xf0) (multiplication distributes
 * over XOR): lo[j] = c*j and hi[j] = c*(j << 4) for j < 16 are two 16-byte tables, so one
 * byte-shuffle per nibble gives 16 (NEON) or 32 (AVX2) products at once. Tails shorter than a
 * vector go through the scalar loop.
 */
#include "dna_gf.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DNA_GF_X86 1
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#define DNA_GF_NEON 1
#endif

/* 2^i for i in [0, 510) (doubled so that log a + log b needs no reduction), and log. The log
 * of 0 is unused (0 is tested first). Generated from DNA_GF_POLY; test_dna_rs.c recomputes
 * both from the polynomial by bitwise multiplication. */
static const uint8_t dna_gf_exp_tab[512] = {
    1, 2, 4, 8, 16, 32, 64, 128, 29, 58, 116, 232, 205, 135, 19, 38,
    76, 152, 45, 90, 180, 117, 234, 201, 143, 3, 6, 12, 24, 48, 96, 192,
    157, 39, 78, 156, 37, 74, 148, 53, 106, 212, 181, 119, 238, 193, 159, 35,
    70, 140, 5, 10, 20, 40, 80, 160, 93, 186, 105, 210, 185, 111, 222, 161,
    95, 190, 97, 194, 153, 47, 94, 188, 101, 202, 137, 15, 30, 60, 120, 240,
    253, 231, 211, 187, 107, 214, 177, 127, 254, 225, 223, 163, 91, 182, 113, 226,
    217, 175, 67, 134, 17, 34, 68, 136, 13, 26, 52, 104, 208, 189, 103, 206,
    129, 31, 62, 124, 248, 237, 199, 147, 59, 118, 236, 197, 151, 51, 102, 204,
    133, 23, 46, 92, 184, 109, 218, 169, 79, 158, 33, 66, 132, 21, 42, 84,
    168, 77, 154, 41, 82, 164, 85, 170, 73, 146, 57, 114, 228, 213, 183, 115,
    230, 209, 191, 99, 198, 145, 63, 126, 252, 229, 215, 179, 123, 246, 241, 255,
    227, 219, 171, 75, 150, 49, 98, 196, 149, 55, 110, 220, 165, 87, 174, 65,
    130, 25, 50, 100, 200, 141, 7, 14, 28, 56, 112, 224, 221, 167, 83, 166,
    81, 162, 89, 178, 121, 242, 249, 239, 195, 155, 43, 86, 172, 69, 138, 9,
    18, 36, 72, 144, 61, 122, 244, 245, 247, 243, 251, 235, 203, 139, 11, 22,
    44, 88, 176, 125, 250, 233, 207, 131, 27, 54, 108, 216, 173, 71, 142, 1,
    2, 4, 8, 16, 32, 64, 128, 29, 58, 116, 232, 205, 135, 19, 38, 76,
    152, 45, 90, 180, 117, 234, 201, 143, 3, 6, 12, 24, 48, 96, 192, 157,
    39, 78, 156, 37, 74, 148, 53, 106, 212, 181, 119, 238, 193, 159, 35, 70,
    140, 5, 10, 20, 40, 80, 160, 93, 186, 105, 210, 185, 111, 222, 161, 95,
    190, 97, 194, 153, 47, 94, 188, 101, 202, 137, 15, 30, 60, 120, 240, 253,
    231, 211, 187, 107, 214, 177, 127, 254, 225, 223, 163, 91, 182, 113, 226, 217,
    175, 67, 134, 17, 34, 68, 136, 13, 26, 52, 104, 208, 189, 103, 206, 129,
    31, 62, 124, 248, 237, 199, 147, 59, 118, 236, 197, 151, 51, 102, 204, 133,
    23, 46, 92, 184, 109, 218, 169, 79, 158, 33, 66, 132, 21, 42, 84, 168,
    77, 154, 41, 82, 164, 85, 170, 73, 146, 57, 114, 228, 213, 183, 115, 230,
    209, 191, 99, 198, 145, 63, 126, 252, 229, 215, 179, 123, 246, 241, 255, 227,
    219, 171, 75, 150, 49, 98, 196, 149, 55, 110, 220, 165, 87, 174, 65, 130,
    25, 50, 100, 200, 141, 7, 14, 28, 56, 112, 224, 221, 167, 83, 166, 81,
    162, 89, 178, 121, 242, 249, 239, 195, 155, 43, 86, 172, 69, 138, 9, 18,
    36, 72, 144, 61, 122, 244, 245, 247, 243, 251, 235, 203, 139, 11, 22, 44,
    88, 176, 125, 250, 233, 207, 131, 27, 54, 108, 216, 173, 71, 142, 1, 2,
};

static const uint8_t dna_gf_log_tab[256] = {
    0, 0, 1, 25, 2, 50, 26, 198, 3, 223, 51, 238, 27, 104, 199, 75,
    4, 100, 224, 14, 52, 141, 239, 129, 28, 193, 105, 248, 200, 8, 76, 113,
    5, 138, 101, 47, 225, 36, 15, 33, 53, 147, 142, 218, 240, 18, 130, 69,
    29, 181, 194, 125, 106, 39, 249, 185, 201, 154, 9, 120, 77, 228, 114, 166,
    6, 191, 139, 98, 102, 221, 48, 253, 226, 152, 37, 179, 16, 145, 34, 136,
    54, 208, 148, 206, 143, 150, 219, 189, 241, 210, 19, 92, 131, 56, 70, 64,
    30, 66, 182, 163, 195, 72, 126, 110, 107, 58, 40, 84, 250, 133, 186, 61,
    202, 94, 155, 159, 10, 21, 121, 43, 78, 212, 229, 172, 115, 243, 167, 87,
    7, 112, 192, 247, 140, 128, 99, 13, 103, 74, 222, 237, 49, 197, 254, 24,
    227, 165, 153, 119, 38, 184, 180, 124, 17, 68, 146, 217, 35, 32, 137, 46,
    55, 63, 209, 91, 149, 188, 207, 205, 144, 135, 151, 178, 220, 252, 190, 97,
    242, 86, 211, 171, 20, 42, 93, 158, 132, 60, 57, 83, 71, 109, 65, 162,
    31, 45, 67, 216, 183, 123, 164, 118, 196, 23, 73, 236, 127, 12, 111, 246,
    108, 161, 59, 82, 41, 157, 85, 170, 251, 96, 134, 177, 187, 204, 62, 90,
    203, 89, 95, 176, 156, 169, 160, 81, 11, 245, 22, 235, 122, 117, 44, 215,
    79, 174, 213, 233, 230, 231, 173, 232, 116, 214, 244, 234, 168, 80, 88, 175,
};

uint8_t dna_gf_mul(uint8_t a, uint8_t b)
{
    if (!a || !b)
        return 0;
    return dna_gf_exp_tab[dna_gf_log_tab[a] + dna_gf_log_tab[b]];
}

uint8_t dna_gf_inv(uint8_t a)
{
    return dna_gf_exp_tab[255 - dna_gf_log_tab[a]];
}

uint8_t dna_gf_div(uint8_t a, uint8_t b)
{
    if (!a)
        return 0;
    return dna_gf_exp_tab[dna_gf_log_tab[a] + 255 - dna_gf_log_tab[b]];
}

uint8_t dna_gf_exp(unsigned e)
{
    return dna_gf_exp_tab[e % 255];
}

unsigned dna_gf_log(uint8_t a)
{
    return dna_gf_log_tab[a];
}

void dna_gf_mul_add_region_scalar(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n)
{
    if (c == 0)
        return;
    if (c == 1) {
        for (size_t i = 0; i < n; i++)
            dst[i] ^= src[i];
        return;
    }
    uint8_t row[256];
    unsigned lc = dna_gf_log_tab[c];
    row[0] = 0;
    for (unsigned v = 1; v < 256; v++)
        row[v] = dna_gf_exp_tab[lc + dna_gf_log_tab[v]];
    for (size_t i = 0; i < n; i++)
        dst[i] ^= row[src[i]];
}

/* The two nibble tables of c. */
static void dna_gf_nibble_tables(uint8_t c, uint8_t lo[16], uint8_t hi[16])
{
    for (unsigned j = 0; j < 16; j++) {
        lo[j] = dna_gf_mul(c, (uint8_t)j);
        hi[j] = dna_gf_mul(c, (uint8_t)(j << 4));
    }
}

#ifdef DNA_GF_X86
__attribute__((target("avx2"))) void dna_gf_mul_add_region_avx2(uint8_t *dst, const uint8_t *src,
                                                                 uint8_t c, size_t n)
{
    if (c == 0)
        return;
    uint8_t lo[16], hi[16];
    dna_gf_nibble_tables(c, lo, hi);
    __m128i lo128 = _mm_loadu_si128((const __m128i *)lo);
    __m128i hi128 = _mm_loadu_si128((const __m128i *)hi);
    __m256i tlo = _mm256_broadcastsi128_si256(lo128);
    __m256i thi = _mm256_broadcastsi128_si256(hi128);
    __m256i mask = _mm256_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256i s0 = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i s1 = _mm256_loadu_si256((const __m256i *)(src + i + 32));
        __m256i d0 = _mm256_loadu_si256((const __m256i *)(dst + i));
        __m256i d1 = _mm256_loadu_si256((const __m256i *)(dst + i + 32));
        __m256i p0 = _mm256_xor_si256(
            _mm256_shuffle_epi8(tlo, _mm256_and_si256(s0, mask)),
            _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi64(s0, 4), mask)));
        __m256i p1 = _mm256_xor_si256(
            _mm256_shuffle_epi8(tlo, _mm256_and_si256(s1, mask)),
            _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi64(s1, 4), mask)));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_xor_si256(d0, p0));
        _mm256_storeu_si256((__m256i *)(dst + i + 32), _mm256_xor_si256(d1, p1));
    }
    for (; i + 32 <= n; i += 32) {
        __m256i s = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i d = _mm256_loadu_si256((const __m256i *)(dst + i));
        __m256i p = _mm256_xor_si256(
            _mm256_shuffle_epi8(tlo, _mm256_and_si256(s, mask)),
            _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi64(s, 4), mask)));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_xor_si256(d, p));
    }
    for (; i < n; i++)
        dst[i] ^= (uint8_t)(lo[src[i] & 15] ^ hi[src[i] >> 4]);
}

int dna_gf_avx2_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}
#else
void dna_gf_mul_add_region_avx2(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n)
{
    dna_gf_mul_add_region_scalar(dst, src, c, n); /* never chosen: not an x86 build */
}

int dna_gf_avx2_available(void)
{
    return 0;
}
#endif

#ifdef DNA_GF_NEON
void dna_gf_mul_add_region_neon(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n)
{
    if (c == 0)
        return;
    uint8_t lo[16], hi[16];
    dna_gf_nibble_tables(c, lo, hi);
    uint8x16_t tlo = vld1q_u8(lo), thi = vld1q_u8(hi);
    uint8x16_t mask = vdupq_n_u8(0x0f);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint8x16_t s0 = vld1q_u8(src + i), s1 = vld1q_u8(src + i + 16);
        uint8x16_t p0 = veorq_u8(vqtbl1q_u8(tlo, vandq_u8(s0, mask)), vqtbl1q_u8(thi, vshrq_n_u8(s0, 4)));
        uint8x16_t p1 = veorq_u8(vqtbl1q_u8(tlo, vandq_u8(s1, mask)), vqtbl1q_u8(thi, vshrq_n_u8(s1, 4)));
        vst1q_u8(dst + i, veorq_u8(vld1q_u8(dst + i), p0));
        vst1q_u8(dst + i + 16, veorq_u8(vld1q_u8(dst + i + 16), p1));
    }
    for (; i + 16 <= n; i += 16) {
        uint8x16_t s = vld1q_u8(src + i);
        uint8x16_t p = veorq_u8(vqtbl1q_u8(tlo, vandq_u8(s, mask)), vqtbl1q_u8(thi, vshrq_n_u8(s, 4)));
        vst1q_u8(dst + i, veorq_u8(vld1q_u8(dst + i), p));
    }
    for (; i < n; i++)
        dst[i] ^= (uint8_t)(lo[src[i] & 15] ^ hi[src[i] >> 4]);
}

int dna_gf_neon_available(void)
{
    return 1;
}
#else
void dna_gf_mul_add_region_neon(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n)
{
    dna_gf_mul_add_region_scalar(dst, src, c, n); /* never chosen: not an ARM64 build */
}

int dna_gf_neon_available(void)
{
    return 0;
}
#endif

void dna_gf_mul_add_region(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n)
{
#ifdef DNA_GF_NEON
    dna_gf_mul_add_region_neon(dst, src, c, n);
#elif defined(DNA_GF_X86)
    if (n >= 32 && __builtin_cpu_supports("avx2"))
        dna_gf_mul_add_region_avx2(dst, src, c, n);
    else
        dna_gf_mul_add_region_scalar(dst, src, c, n);
#else
    dna_gf_mul_add_region_scalar(dst, src, c, n);
#endif
}

const char *dna_gf_kernel_name(void)
{
    if (dna_gf_neon_available())
        return "neon";
    if (dna_gf_avx2_available())
        return "avx2";
    return "scalar";
}
