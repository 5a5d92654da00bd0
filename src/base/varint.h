/*
 * varint.h — LEB128 variable-length integers (7 bits a byte, low group first, the high bit
 * marking "more follows"), the one encoding of lengths in B-tree cells and row records.
 *
 * Decoding never reads at or past the end it is given and rejects what a writer never
 * produces: more than max_bytes bytes, a non-canonical trailing zero group, or (at 10 bytes)
 * bits beyond 64. So damaged pages and records fail cleanly instead of decoding to garbage.
 */
#ifndef NQ_BASE_VARINT_H
#define NQ_BASE_VARINT_H

#include <stddef.h>
#include <stdint.h>

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Write v at p (at most 10 bytes); returns the number of bytes written. */
static inline size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Read a varint of at most max_bytes (1..10) bytes from the n bytes at p. Returns the number
 * of bytes used, or 0 if it is truncated, too long, not canonical or overflows 64 bits. */
static inline size_t varint_get(const uint8_t *p, size_t n, size_t max_bytes, uint64_t *v)
{
    if (n && p[0] < 0x80) {
        *v = p[0];
        return 1;
    }
    uint64_t r = 0;
    for (size_t i = 0; i < max_bytes && i < 10; i++) {
        if (i >= n)
            return 0;
        if (i == 9 && (p[i] & 0xfe))
            return 0; /* the tenth byte may hold one bit only */
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (p[i] == 0)
                return 0; /* a trailing zero group: not what a writer produces */
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

#endif
