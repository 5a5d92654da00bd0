/*
 * dna_simd_neon.c — the NEON kernels (ARM64, where NEON is always present). The tails go to
 * the scalar code; the tests compare every variant with it byte for byte (under qemu-user in
 * the cross build).
 *
 * pack: vld4q deinterleaves 64 letters into the 16 first, second, third and fourth bases of
 * each output byte, so a byte is (a>>1&3) | (b>>1&3)<<2 | ... computed 16 at a time.
 * unpack: the reverse with vst4q and a table lookup (vqtbl1q) for the letters.
 * find_non_acgt / count_gc: fold case with | 0x20, compare, reduce with vmaxvq / widening adds.
 */
#if defined(__aarch64__)
#include <arm_neon.h>

#include "dna_simd.h"

static void pack_neon(const uint8_t *s, size_t n, uint8_t *out)
{
    const uint8x16_t three = vdupq_n_u8(3);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint8x16x4_t v = vld4q_u8(s + i);
        uint8x16_t a = vandq_u8(vshrq_n_u8(v.val[0], 1), three);
        uint8x16_t b = vandq_u8(vshrq_n_u8(v.val[1], 1), three);
        uint8x16_t c = vandq_u8(vshrq_n_u8(v.val[2], 1), three);
        uint8x16_t d = vandq_u8(vshrq_n_u8(v.val[3], 1), three);
        uint8x16_t r = vorrq_u8(vorrq_u8(a, vshlq_n_u8(b, 2)), vorrq_u8(vshlq_n_u8(c, 4), vshlq_n_u8(d, 6)));
        vst1q_u8(out + i / 4, r);
    }
    dna_kernels_scalar.pack(s + i, n - i, out + i / 4);
}

static void unpack_neon(const uint8_t *p, size_t n, uint8_t *out)
{
    static const uint8_t lut_bytes[16] = {'A', 'C', 'T', 'G'};
    const uint8x16_t lut = vld1q_u8(lut_bytes);
    const uint8x16_t three = vdupq_n_u8(3);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint8x16_t x = vld1q_u8(p + i / 4);
        uint8x16x4_t v;
        v.val[0] = vqtbl1q_u8(lut, vandq_u8(x, three));
        v.val[1] = vqtbl1q_u8(lut, vandq_u8(vshrq_n_u8(x, 2), three));
        v.val[2] = vqtbl1q_u8(lut, vandq_u8(vshrq_n_u8(x, 4), three));
        v.val[3] = vqtbl1q_u8(lut, vshrq_n_u8(x, 6));
        vst4q_u8(out + i, v);
    }
    dna_kernels_scalar.unpack(p + i / 4, n - i, out + i);
}

static size_t find_non_acgt_neon(const uint8_t *s, size_t n)
{
    const uint8x16_t x20 = vdupq_n_u8(0x20);
    const uint8x16_t a = vdupq_n_u8('a'), c = vdupq_n_u8('c');
    const uint8x16_t g = vdupq_n_u8('g'), t = vdupq_n_u8('t');
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16_t x = vorrq_u8(vld1q_u8(s + i), x20);
        uint8x16_t ok = vorrq_u8(vorrq_u8(vceqq_u8(x, a), vceqq_u8(x, c)),
                                 vorrq_u8(vceqq_u8(x, g), vceqq_u8(x, t)));
        if (vminvq_u8(ok) == 0)
            return i + dna_kernels_scalar.find_non_acgt(s + i, 16);
    }
    return i + dna_kernels_scalar.find_non_acgt(s + i, n - i);
}

static size_t count_gc_neon(const uint8_t *s, size_t n)
{
    const uint8x16_t x20 = vdupq_n_u8(0x20);
    const uint8x16_t c = vdupq_n_u8('c'), g = vdupq_n_u8('g');
    uint64x2_t total = vdupq_n_u64(0);
    size_t i = 0;
    while (i + 16 <= n) {
        size_t steps = (n - i) / 16;
        if (steps > 255)
            steps = 255;
        uint8x16_t acc = vdupq_n_u8(0);
        for (size_t k = 0; k < steps; k++, i += 16) {
            uint8x16_t x = vorrq_u8(vld1q_u8(s + i), x20);
            uint8x16_t hit = vorrq_u8(vceqq_u8(x, c), vceqq_u8(x, g));
            acc = vsubq_u8(acc, hit);
        }
        total = vaddq_u64(total, vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(acc))));
    }
    return (size_t)(vgetq_lane_u64(total, 0) + vgetq_lane_u64(total, 1)) +
           dna_kernels_scalar.count_gc(s + i, n - i);
}

const dna_kernels dna_kernels_neon = {"neon", pack_neon, unpack_neon, find_non_acgt_neon,
                                      count_gc_neon};
#else
typedef int dna_simd_neon_unused; /* ISO C wants a translation unit to declare something */
#endif
