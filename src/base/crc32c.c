/*
 * crc32c.c — CRC-32C with a hardware path (SSE4.2 on x86-64, the ARMv8 CRC extension on
 * aarch64) chosen once at run time, and a slicing-by-8 software fallback.
 *
 * The hardware functions are compiled with a per-function target attribute so the rest of the
 * binary still runs on CPUs without the instructions; the choice is made by cpuid/getauxval
 * on first use and cached in a function pointer (a read-only table after that, racing
 * initialisation writes the same value).
 *
 * Three interleaved streams. The crc32 instruction (crc32q on x86-64, crc32cx on ARMv8) has a
 * latency of about 3 cycles but a throughput of one per cycle, so a single dependent chain
 * over a page leaves two thirds of the unit idle. For long buffers the hardware path cuts each
 * block of 3*L bytes into thirds A, B, C and runs three independent chains: a over A starting
 * from the running register, b over B and c over C starting from 0. Because the raw register
 * update (no pre/post inversion) is linear over GF(2) in register and data together,
 *     crc(r, A||B||C) = r' = a * x^(16L) ^ b * x^(8L) ^ c      (mod P, reflected)
 * where multiplying by x^(8s) mod P is what feeding s zero bytes does to the register. That
 * multiplication is a fixed 32x32 GF(2) matrix for a fixed s, applied here as four 256-entry
 * lookup tables (one per register byte), so the combine costs 8 loads and some xors and needs
 * no carry-less multiply instruction (and hence no second runtime check).
 *
 * Two block sizes: L = 1360 makes a 4 KiB page one block plus a 16-byte tail (the pager's
 * case), L = 128 mops up what is left of other lengths so the single-chain tail stays under
 * 384 bytes; below that the combine would cost about as much as it saves. The shift tables
 * (4 x 4 KiB) are built with the slicing tables, before the hardware function is published.
 */
#include "crc32c.h"

#include <string.h>

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

#define POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t table[8][256];
static int table_ready;

/* Stream lengths of the interleaved hardware loop (multiples of 8: whole words per stream). */
#define LONG_L 1360
#define SHORT_L 128

/* shift[k][j][v]: the register byte j holding v, times x^(8 s_k) mod P, s_k as in shift_len. */
enum { SH_SHORT, SH_SHORT2, SH_LONG, SH_LONG2, SH_COUNT };
static const uint32_t shift_len[SH_COUNT] = {SHORT_L, 2 * SHORT_L, LONG_L, 2 * LONG_L};
static uint32_t shift[SH_COUNT][4][256];

static void make_shift(uint32_t t[4][256], uint32_t nbytes)
{
    /* The image of each register bit after nbytes zero bytes; the map is linear, so every
     * table entry is the xor of the images of its set bits. */
    uint32_t basis[32];
    for (int k = 0; k < 32; k++) {
        uint32_t c = 1u << k;
        for (uint32_t n = 0; n < nbytes; n++)
            c = (c >> 8) ^ table[0][c & 0xff];
        basis[k] = c;
    }
    for (int j = 0; j < 4; j++)
        for (uint32_t v = 0; v < 256; v++) {
            uint32_t s = 0;
            for (int bit = 0; bit < 8; bit++)
                if (v & (1u << bit))
                    s ^= basis[8 * j + bit];
            t[j][v] = s;
        }
}

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
    for (int k = 0; k < SH_COUNT; k++)
        make_shift(shift[k], shift_len[k]);
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static inline uint32_t shift_by(int k, uint32_t c)
{
    return shift[k][0][c & 0xff] ^ shift[k][1][(c >> 8) & 0xff] ^ shift[k][2][(c >> 16) & 0xff] ^
           shift[k][3][c >> 24];
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
        make_table();
    const uint8_t *p = buf;
    crc = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        w ^= crc;
        crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^
              table[4][(w >> 24) & 0xff] ^ table[3][(w >> 32) & 0xff] ^
              table[2][(w >> 40) & 0xff] ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
#define HW_TARGET __attribute__((target("sse4.2")))
HW_TARGET static inline uint32_t hw_word(uint32_t c, const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return (uint32_t)__builtin_ia32_crc32di(c, w);
}
HW_TARGET static inline uint32_t hw_byte(uint32_t c, uint8_t b) { return __builtin_ia32_crc32qi(c, b); }
static int hw_check(void) { return __builtin_cpu_supports("sse4.2"); }
#else
#define HW_TARGET __attribute__((target("+crc")))
HW_TARGET static inline uint32_t hw_word(uint32_t c, const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return __builtin_aarch64_crc32cx(c, w);
}
HW_TARGET static inline uint32_t hw_byte(uint32_t c, uint8_t b) { return __builtin_aarch64_crc32cb(c, b); }
static int hw_check(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }
#endif

/* Whole blocks of 3*l bytes as three independent chains (see the header comment); sh1 and
 * sh2 name the tables for x^(8l) and x^(16l). Leaves *pp and *lenp at the unprocessed rest. */
HW_TARGET static inline uint32_t hw_blocks(uint32_t c, const uint8_t **pp, size_t *lenp, size_t l,
                                           int sh1, int sh2)
{
    const uint8_t *p = *pp;
    size_t len = *lenp;
    while (len >= 3 * l) {
        uint32_t a = c, b = 0, d = 0;
        for (size_t i = 0; i < l; i += 8) {
            a = hw_word(a, p + i);
            b = hw_word(b, p + l + i);
            d = hw_word(d, p + 2 * l + i);
        }
        c = shift_by(sh2, a) ^ shift_by(sh1, b) ^ d;
        p += 3 * l;
        len -= 3 * l;
    }
    *pp = p;
    *lenp = len;
    return c;
}

/* Only reached through choose(), which builds the shift tables before publishing it. */
HW_TARGET static uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = hw_byte(c, *p++);
        len--;
    }
    c = hw_blocks(c, &p, &len, LONG_L, SH_LONG, SH_LONG2);
    c = hw_blocks(c, &p, &len, SHORT_L, SH_SHORT, SH_SHORT2);
    while (len >= 8) {
        c = hw_word(c, p);
        p += 8;
        len -= 8;
    }
    while (len--)
        c = hw_byte(c, *p++);
    return ~c;
}
#else
static uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len) { return crc32c_sw(crc, buf, len); }
static int hw_check(void) { return 0; }
#endif

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);
static crc_fn chosen;

static crc_fn choose(void)
{
    crc_fn f = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (!f) {
        /* The hardware path reads the shift tables unchecked: build them before publishing. */
        if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
            make_table();
        f = hw_check() ? crc32c_hw : crc32c_sw;
        __atomic_store_n(&chosen, f, __ATOMIC_RELEASE);
    }
    return f;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len) { return choose()(crc, buf, len); }

int crc32c_hw_available(void) { return choose() == crc32c_hw && hw_check(); }
