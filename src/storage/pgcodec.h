/*
 * pgcodec.h — the page codec of COMPRESS TABLE ... USING DNA (docs/dna.md, "The page codec"):
 * a page image is compressed (zstd) and protected by Reed-Solomon parity over GF(2^8) (the DNA
 * library's code, src/dna/dna_rs.h), interleaved across the page, so that bytes damaged on
 * the medium (bit rot on a flaky SD card) are repaired — and counted — when the page is read.
 * Pure functions: buffers in, buffers out; src/storage/page_codec.c plugs them into the pager's
 * page transform (pagexform.h).
 *
 * Disk form of a page of P bytes (little-endian), written only when it fits in the slot:
 *
 *     0   72  three copies of the 24-byte header:
 *               0 u8 0xC5 (no page type has this value)   1 u8 version 1
 *               2 u8 entropy method (1 = zstd)             3 u8 m, parity symbols a codeword
 *               4 u8 k, data symbols a codeword            5 u8 0
 *               6 u16 ncw, codewords                        8 u32 L, compressed bytes
 *              12 u32 CRC-32C of the body                  16 u32 P
 *              20 u32 CRC-32C of header bytes 0..19
 *     72  ncw*k   data: the compressed bytes, zero-padded to ncw*k
 *     ..  ncw*m   parity
 *     ..          zero up to P
 *
 * Interleaving: codeword j (0 <= j < ncw) is the bytes at body offsets j, j + ncw, j + 2 ncw,
 * ... — data symbol i at i*ncw + j, parity symbol i at (k + i)*ncw + j — so consecutive bytes
 * belong to different codewords and a burst of B damaged bytes puts at most ceil(B / ncw)
 * errors in any codeword; each codeword corrects m/2. (The rows of the interleave are exactly
 * the rows dna_rs_encode_rows works on, so encoding runs the SIMD multiply-accumulate.)
 *
 * Parameters: the parity fills the page. Given L and the room R = P - 72, the encoder picks
 * ncw, k = ceil(L / ncw) and an even m <= 32 with k + m <= 255 and ncw (k + m) <= R that
 * maximise the parity ncw*m (fewest codewords on ties); m below 8 means the page does not fit
 * and is stored raw. So a page that compresses to a quarter keeps about 2 900 parity bytes
 * and repairs any ~1 450 damaged bytes, or a burst that long.
 *
 * Reading: the first header copy whose CRC holds is used (else the byte-wise majority of the
 * three). When the body's CRC-32C holds, nothing is decoded (the common case costs one CRC
 * pass and the zstd decompression); otherwise every codeword goes through the RS decoder, the
 * CRC must then hold (a miscorrection is caught), and the repaired byte count is reported. A
 * page that cannot be repaired is NQ_ECORRUPT with the reason; nothing is written to the
 * buffer then.
 */
#ifndef NQ_STORAGE_PGCODEC_H
#define NQ_STORAGE_PGCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define PGCODEC_MARK 0xC5
#define PGCODEC_VERSION 1
#define PGCODEC_HDR 24
#define PGCODEC_PREFIX (3 * PGCODEC_HDR)
#define PGCODEC_M_MIN 8
#define PGCODEC_M_MAX 32
#define PGCODEC_ZSTD 1
#define PGCODEC_LEVEL 3   /* zstd level of page writes (docs/dna.md, "The page codec") */

/* Byte 1 of a B-tree page (btree_int.h, "flags") or an overflow page: bit 0 set = the page
 * belongs to a tree marked by COMPRESS TABLE ... USING DNA and is written in codec form. */
#define PGCODEC_PAGE_FLAG 0x01

/* What an encoding used (for statistics). */
typedef struct pgcodec_info {
    uint32_t payload;  /* compressed bytes */
    uint32_t parity;   /* ncw * m */
    uint32_t ncw, k, m;
} pgcodec_info;

/* Choose the code for L compressed bytes in room R; 0, or -1 when no code with m >= 8 fits. */
int pgcodec_plan(uint32_t L, uint32_t room, pgcodec_info *out);

/* 1 if a page image in memory asks for the codec: a B-tree or overflow page with
 * PGCODEC_PAGE_FLAG in byte 1. */
int pgcodec_wants(const uint8_t *mem, uint32_t page_size);

/* Encode page mem[0..P) into disk[0..cap) (cap >= P is the usual slot; the form always uses P
 * bytes, zero-filled). Returns 1 when written, 0 when it does not fit (store raw), or NQ_ENOMEM.
 * info may be NULL. */
int pgcodec_encode(const uint8_t *mem, uint32_t page_size, uint8_t *disk, size_t cap,
                   pgcodec_info *info);

/* 1 if disk[0..P) is in codec form (a header copy, or the majority of the three, is valid). */
int pgcodec_is_encoded(const uint8_t *disk, uint32_t page_size);

/* Decode buf[0..P) in place into the page image. *repaired = bytes corrected (0 on the fast
 * path). NQ_ECORRUPT (message in e) when it cannot be repaired (buf unchanged), NQ_ENOMEM. */
int pgcodec_decode(uint8_t *buf, uint32_t page_size, uint32_t *repaired, nq_err *e);

/* The counters of an open database since it was opened (pagexform_codec_counters): coded
 * pages read with damage that was repaired, the bytes corrected, coded pages that could not
 * be decoded. */
typedef struct pgcodec_counts {
    uint64_t pages_repaired, bytes_repaired, pages_failed;
} pgcodec_counts;
struct pager;
void pgcodec_counters(struct pager *p, pgcodec_counts *out);

#endif
