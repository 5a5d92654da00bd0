/*
 * page_codec.c — the default page codec (page_codec.h): no page wants the codec, so every
 * page is stored raw and no disk image is ever in a codec's form. A real codec replaces this
 * file.
 */
#include "page_codec.h"

#include "../base/err.h"

int page_codec_wants(const uint8_t *mem, uint32_t size)
{
    (void)mem;
    (void)size;
    return 0;
}

int page_codec_encode(const uint8_t *mem, uint32_t size, uint8_t *disk, uint32_t cap)
{
    (void)mem;
    (void)size;
    (void)disk;
    (void)cap;
    return 0;
}

int page_codec_is_encoded(const uint8_t *disk, uint32_t size)
{
    (void)disk;
    (void)size;
    return 0;
}

int page_codec_decode(uint8_t *buf, uint32_t size, int *repaired)
{
    (void)buf;
    (void)size;
    *repaired = 0;
    return NQ_ECORRUPT; /* never called: nothing is encoded */
}
