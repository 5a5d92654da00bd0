/*
 * page_codec.h — the optional page-codec stage of the page transform (pagexform.h).
 *
 * A page codec turns the memory image of a page into another form for the disk (for
 * example a compressed or DNA-coded form) and back. pagexform calls it on the way out before
 * the cipher (if the database is encrypted) and on the way in after the cipher, so the codec
 * only ever sees plaintext. It is a stateless, thread-safe set of four functions; the build
 * links exactly one implementation (page_codec.c: the default says "no page wants the codec").
 *
 * The codec owns bytes [0, size) of an image, where size = page size minus the trailer the
 * pager keeps for itself (commit seq and checksum, plus nonce and tag when encrypted):
 * pagexform_usable(). It never sees or touches the trailer, and never sees page 1 (the file
 * header, which must stay readable by tools that have no codec).
 *
 *   page_codec_wants(mem, size)       1 when this memory image should be offered to encode.
 *   page_codec_encode(mem, size, disk, cap)
 *                                     writes its form into disk[0, cap) (cap <= size; disk is
 *                                     zero-filled beforehand) and returns 1; returns 0 to store
 *                                     the page raw (then disk is ignored). Never fails otherwise.
 *   page_codec_is_encoded(disk, size) 1 when disk[0, size) (after decryption) is in the codec's
 *                                     form. Must return 0 for every raw page image the engine
 *                                     writes (their first byte is a page type, pager.h, or 0).
 *   page_codec_decode(buf, size, &repaired)
 *                                     decodes buf[0, size) in place into the memory image;
 *                                     *repaired = the number of bytes it corrected (0: none).
 *                                     0, or NQ_ECORRUPT when the form cannot be decoded.
 *
 * pagexform_in offers a disk image to the codec even when its trailer CRC fails, if it is in
 * the codec's form: the codec carries its own checks (pgcodec.h) and repairs the damage the
 * CRC saw. (An encrypted image that fails authentication is not repairable: the cipher comes
 * after the codec.)
 *
 * Interface stability: pagexform.c calls exactly these four; a change of them is said in the
 * commit message that makes it.
 */
#ifndef NQ_STORAGE_PAGE_CODEC_H
#define NQ_STORAGE_PAGE_CODEC_H

#include <stdint.h>

int page_codec_wants(const uint8_t *mem, uint32_t size);
int page_codec_encode(const uint8_t *mem, uint32_t size, uint8_t *disk, uint32_t cap);
int page_codec_is_encoded(const uint8_t *disk, uint32_t size);
int page_codec_decode(uint8_t *buf, uint32_t size, int *repaired);

#endif
