/*
 * page_crypt.h — AES-256-GCM of page images under a database's data key (encryption at rest;
 * docs/security.md, docs/file-format.md "Encrypted databases").
 *
 * Disk image of page n != 1 of an encrypted database (page size P, usable U = P - 40):
 *     [0, U)         AES-256-GCM ciphertext of the memory image's [0, U)
 *     [U, U+12)      nonce: 96 random bits, fresh for every write of the page
 *     [U+12, U+28)   GCM tag
 *     [P-12, P-4)    u64 commit seq of the version (clear: the engine's trailer, pager.h)
 *     [P-4, P)       u32 CRC-32C of [0, P-4) seeded by n (clear: structural, torn writes)
 * Page 1 keeps [0, PG1_CLEAR) clear — the 108-byte file header (magic, format 2, page size,
 * counts, commit seq, meta slots) and the key descriptor at PG1_KD_OFF (dbkey.h) — because
 * they are read before the key is known and by tools that have none (backup, archive, PITR
 * restore); the rest of page 1 up to U is encrypted like any page.
 *
 * Associated data of every page: "NQPG" || database id (16 random bytes, in the key
 * descriptor) || u32 n || u64 seq || u32 P, and for page 1 also its clear bytes [0,
 * PG1_CLEAR). So a page cannot be changed, moved to another number, given another version
 * number or copied from another database (other id, other key) without its tag failing, and
 * the clear header and key descriptor cannot be altered either.
 *
 * Thread-safety: page_crypt_open from any thread (a small pool of cipher contexts behind a
 * mutex); page_crypt_seal and page_crypt_set_descriptor from the single writer.
 */
#ifndef NQ_STORAGE_PAGE_CRYPT_H
#define NQ_STORAGE_PAGE_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_CRYPT_TRAILER 28 /* nonce (12) and tag (16), before the engine's 12-byte trailer */
#define PAGE_CRYPT_DBID 16
#define PAGE_CRYPT_KEY 32
#define PG1_KD_OFF 128        /* the key descriptor's place in page 1 */
#define PG1_KD_MAX 1280       /* its room (dbkey.h: at most DBKEY_DESC_MAX bytes) */
#define PG1_CLEAR (PG1_KD_OFF + PG1_KD_MAX) /* page 1's clear prefix */
#define PAGE_CRYPT_MIN_PAGE 2048 /* smallest page size of an encrypted database */

typedef struct page_crypt page_crypt;

/* A cipher for pages of page_size bytes under the data key dek and database id dbid; kd
 * (kdlen <= PG1_KD_MAX) is the key descriptor page 1 carries. NQ_ENOMEM / NQ_ERROR. */
int page_crypt_create(const uint8_t dek[PAGE_CRYPT_KEY], const uint8_t dbid[PAGE_CRYPT_DBID],
                      uint32_t page_size, const uint8_t *kd, size_t kdlen, page_crypt **out);
void page_crypt_free(page_crypt *c);
/* Replace the key descriptor written into page 1 from the next write on (re-wrapping). */
int page_crypt_set_descriptor(page_crypt *c, const uint8_t *kd, size_t kdlen);
/* The current key descriptor (PG1_KD_MAX bytes, zero-padded), and the data key and database
 * id (for a re-wrap; the caller wipes dek). */
const uint8_t *page_crypt_descriptor(const page_crypt *c);
void page_crypt_keys(const page_crypt *c, uint8_t dek[PAGE_CRYPT_KEY],
                     uint8_t dbid[PAGE_CRYPT_DBID]);
/* Encrypt img (page_size bytes: plaintext in [0, usable)) in place into its disk image,
 * with a fresh nonce, and seal it (seq, CRC). NQ_ERROR when OpenSSL or the CSPRNG fails. */
int page_crypt_seal(page_crypt *c, uint32_t pgno, uint64_t seq, uint8_t *img);
/* Check and decrypt a disk image in place (its CRC is already checked). NQ_ECORRUPT when the
 * tag does not hold: then the encrypted part is zeroed. */
int page_crypt_open(page_crypt *c, uint32_t pgno, uint8_t *img);

#endif
