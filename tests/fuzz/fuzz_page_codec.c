/*
 * fuzz_page_codec.c — the page codec's decoder (src/storage/pgcodec.h) on hostile disk images.
 * Input: one mode byte, then bytes.
 *   mode & 1 == 0: the bytes (cut or zero-padded to a 1024- or 4096-byte page, mode bit 1) are
 *     a disk image: pgcodec_is_encoded and pgcodec_decode must return cleanly (0, NQ_ECORRUPT),
 *     and a buffer that fails to decode must be left unchanged.
 *   mode & 1 == 1: the bytes are a page in memory (flag set): it is encoded; the coded form
 *     must decode to it exactly; then the rest of the input, read as (offset, xor) pairs,
 *     damages the coded form, and the decoder must return either the exact page (counting
 *     the repair) or NQ_ECORRUPT — never other bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "storage/pager.h"
#include "storage/pgcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    uint32_t P = (mode & 2) ? 4096 : 1024;
    uint8_t *buf = calloc(1, P), *keep = malloc(P), *mem = calloc(1, P);
    if (!buf || !keep || !mem)
        abort();
    nq_err e;
    uint32_t rep = 0;
    if (!(mode & 1)) {
        memcpy(buf, data, size < P ? size : P);
        (void)pgcodec_is_encoded(buf, P);
        memcpy(keep, buf, P);
        int rc = pgcodec_decode(buf, P, &rep, &e);
        FUZZ_CHECK_RC(rc);
        FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);
        if (rc)
            FUZZ_CHECK(memcmp(buf, keep, P) == 0);
    } else {
        /* the page: the first half of the input, repeated (so it compresses), flagged */
        size_t half = size / 2;
        for (uint32_t i = 0; i < P; i++)
            mem[i] = half ? data[i % half] : (uint8_t)i;
        mem[0] = PGTYPE_BTREE_LEAF;
        mem[1] = PGCODEC_PAGE_FLAG;
        pgcodec_info info;
        int w = pgcodec_encode(mem, P, buf, P, &info);
        FUZZ_CHECK(w == 0 || w == 1);
        if (w == 1) {
            FUZZ_CHECK(pgcodec_is_encoded(buf, P));
            memcpy(keep, buf, P);
            FUZZ_CHECK(pgcodec_decode(keep, P, &rep, &e) == 0 && rep == 0);
            FUZZ_CHECK(memcmp(keep, mem, P) == 0);
            const uint8_t *d = data + half;
            for (size_t i = 0; i + 3 <= size - half; i += 3) {
                uint32_t off = ((uint32_t)d[i] << 8 | d[i + 1]) % P;
                buf[off] ^= d[i + 2];
            }
            int rc = pgcodec_decode(buf, P, &rep, &e);
            FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);
            if (rc == 0)
                FUZZ_CHECK(memcmp(buf, mem, P) == 0);
        }
    }
    free(buf);
    free(keep);
    free(mem);
    return 0;
}
