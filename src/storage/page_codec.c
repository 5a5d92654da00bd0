/*
 * page_codec.c — the page codec of COMPRESS TABLE ... USING DNA behind the page transform's
 * codec stage (page_codec.h, pagexform.h): zstd + interleaved Reed-Solomon parity over GF(2^8)
 * (pgcodec.h has the format and the reasoning; docs/dna.md, "The page codec"). The codec owns
 * bytes [0, size) of an image, size = pagexform_usable(): the form is built over those bytes
 * only, and the engine's trailer stays the engine's.
 *
 * A page wants the codec when it is a B-tree or overflow page carrying the mark of a tree that
 * COMPRESS TABLE marked (byte 1, PGCODEC_PAGE_FLAG). *repaired, on decode, is the number of
 * bytes the Reed-Solomon decoder (and the header vote) corrected.
 */
#include "page_codec.h"

#include "../base/err.h"
#include "pgcodec.h"

int page_codec_wants(const uint8_t *mem, uint32_t size)
{
    return pgcodec_wants(mem, size);
}

int page_codec_encode(const uint8_t *mem, uint32_t size, uint8_t *disk, uint32_t cap)
{
    return pgcodec_encode(mem, size, disk, cap, NULL) == 1;
}

int page_codec_is_encoded(const uint8_t *disk, uint32_t size)
{
    return pgcodec_is_encoded(disk, size);
}

int page_codec_decode(uint8_t *buf, uint32_t size, int *repaired)
{
    uint32_t rep = 0;
    nq_err e;
    int rc = pgcodec_decode(buf, size, &rep, &e);
    *repaired = rc ? 0 : (int)(rep > INT32_MAX ? INT32_MAX : rep);
    return rc ? NQ_ECORRUPT : 0;
}
