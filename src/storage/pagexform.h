/*
 * pagexform.h — the one place where a page image changes form between memory and disk.
 *
 * Memory images (the buffer pool, a writer's private pages) are always plaintext in the
 * engine's own layout. Disk images — pages of the database file, the page image of every log
 * frame, and therefore archive segments and backups, which copy disk images as they are —
 * are made by pagexform_out on the way out and verified and decoded by pagexform_in on the
 * way in. Out, in this order: seal the memory image (commit seq and checksum, page_seal), the
 * page-codec stage (page_codec.h: only when the codec wants the page; never page 1), the
 * cipher (encrypted databases, page_crypt.h); in, the reverse. Both keep the last 12 bytes of
 * every disk image in the engine's trailer layout — u64 commit seq, u32 CRC-32C seeded by the
 * page number over everything before it (pager.h) — so the log, checkpoints, backups, archive
 * segments and restores check and copy disk images structurally (pagexform_check) without
 * any key and without the codec.
 *
 * A plain database without a codec is the identity: pagexform_out hands back the sealed
 * memory image itself (no copy) and pagexform_in is the CRC check, exactly the format this
 * engine always wrote. An encrypted database keeps more trailer (nonce and tag, page_crypt.h):
 * pagexform_usable says how many bytes of each page the layers above may use.
 *
 * Thread-safety: pagexform_in and pagexform_check from any thread; pagexform_out from the
 * single writer (it uses the scratch buffer the caller gives).
 */
#ifndef NQ_STORAGE_PAGEXFORM_H
#define NQ_STORAGE_PAGEXFORM_H

#include <stdint.h>

#include "../base/err.h"

typedef struct pagexform pagexform;
struct page_crypt;

/* A transform for pages of page_size bytes; crypt (may be NULL: a plain database) is taken
 * over by the transform and freed with it. */
int pagexform_create(uint32_t page_size, struct page_crypt *crypt, pagexform **out);
void pagexform_free(pagexform *x);
/* Bytes of a page the layers above may use: page_size minus the trailer. */
uint32_t pagexform_usable(const pagexform *x);
/* The cipher of an encrypted database, NULL for a plain one. */
struct page_crypt *pagexform_crypt(const pagexform *x);
/* Disk images decoded by the codec that reported a repair, since the transform was made. */
uint64_t pagexform_repairs(const pagexform *x);
/* The codec's counters since the transform was made: pages repaired (as pagexform_repairs,
 * also counting a coded page whose damage was only in its trailer), bytes corrected, and coded
 * pages that could not be decoded. Any pointer may be NULL. */
void pagexform_codec_counters(const pagexform *x, uint64_t *pages, uint64_t *bytes,
                              uint64_t *failed);

/* Seal mem (page_size bytes, numbered pgno, written by commit seq) and make its disk image:
 * *disk = mem itself when nothing transforms it, else scratch (page_size bytes). NQ_ERROR
 * when the cipher fails (OpenSSL), with a message in err. */
int pagexform_out(pagexform *x, uint32_t pgno, uint64_t seq, uint8_t *mem, uint8_t *scratch,
                  const uint8_t **disk, nq_err *err);
/* Verify the disk image in buf (page_size bytes, read for page pgno) and decode it in place
 * into the memory image. NQ_ECORRUPT when it does not verify, with *why set to a short
 * reason ("checksum mismatch", "authentication failed", ...); nothing of a page that failed
 * is left in buf in plaintext. */
int pagexform_in(pagexform *x, uint32_t pgno, uint8_t *buf, const char **why);
/* The structural check of a disk image, without key or codec: its trailer CRC (page_verify).
 * What the log's recovery scan, checkpoints, backups, archives and restores use. */
int pagexform_check(const uint8_t *disk, uint32_t page_size, uint32_t pgno);

#endif
