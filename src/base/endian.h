/*
 * endian.h — little-endian encoding of integers in on-disk structures.
 *
 * Every multi-byte integer in the file formats is little-endian (docs/file-format.md). These
 * helpers go through memcpy so they are alignment-safe on ARM and compile to plain loads and
 * stores on little-endian hosts; on a big-endian host the byte swap is explicit.
 */
#ifndef NQ_BASE_ENDIAN_H
#define NQ_BASE_ENDIAN_H

#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NQ_SWAP16(x) __builtin_bswap16(x)
#define NQ_SWAP32(x) __builtin_bswap32(x)
#define NQ_SWAP64(x) __builtin_bswap64(x)
#else
#define NQ_SWAP16(x) (x)
#define NQ_SWAP32(x) (x)
#define NQ_SWAP64(x) (x)
#endif

static inline uint16_t get_u16(const void *p) { uint16_t v; memcpy(&v, p, 2); return NQ_SWAP16(v); }
static inline uint32_t get_u32(const void *p) { uint32_t v; memcpy(&v, p, 4); return NQ_SWAP32(v); }
static inline uint64_t get_u64(const void *p) { uint64_t v; memcpy(&v, p, 8); return NQ_SWAP64(v); }
static inline void put_u16(void *p, uint16_t v) { v = NQ_SWAP16(v); memcpy(p, &v, 2); }
static inline void put_u32(void *p, uint32_t v) { v = NQ_SWAP32(v); memcpy(p, &v, 4); }
static inline void put_u64(void *p, uint64_t v) { v = NQ_SWAP64(v); memcpy(p, &v, 8); }

/* Big-endian 64-bit, for keys whose memcmp order must equal numeric order. */
static inline void put_be64(void *p, uint64_t v) { v = __builtin_bswap64(NQ_SWAP64(v)); memcpy(p, &v, 8); }
static inline uint64_t get_be64(const void *p) { uint64_t v; memcpy(&v, p, 8); return __builtin_bswap64(NQ_SWAP64(v)); }

#endif
