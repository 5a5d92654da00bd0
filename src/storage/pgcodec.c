/*
 * pgcodec.c — the page codec: zstd + interleaved Reed-Solomon over GF(2^8) (format and
 * reasoning in pgcodec.h; docs/dna.md, "The page codec").
 */
#include "pgcodec.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "../base/crc32c.h"
#include "../base/endian.h"
#include "dna/dna_rs.h"
#include "pager.h"

int pgcodec_plan(uint32_t L, uint32_t room, pgcodec_info *out)
{
    memset(out, 0, sizeof *out);
    if (L == 0)
        return -1;
    uint64_t best = 0;
    for (uint32_t ncw = (L + 254 - PGCODEC_M_MIN) / (255 - PGCODEC_M_MIN); ncw <= L && ncw <= 65535;
         ncw++) {
        if ((uint64_t)L + (uint64_t)ncw * PGCODEC_M_MIN > room)
            break; /* ncw*k >= L: from here on even the least parity does not fit */
        uint32_t k = (L + ncw - 1) / ncw;
        if (k + PGCODEC_M_MIN > 255 || (uint64_t)ncw * (k + PGCODEC_M_MIN) > room)
            continue;
        uint32_t m = room / ncw - k;
        if (m > 255 - k)
            m = 255 - k;
        if (m > PGCODEC_M_MAX)
            m = PGCODEC_M_MAX;
        m &= ~1u;
        if (m < PGCODEC_M_MIN)
            continue;
        if ((uint64_t)ncw * m > best) {
            best = (uint64_t)ncw * m;
            out->ncw = ncw;
            out->k = k;
            out->m = m;
        }
    }
    if (!best)
        return -1;
    out->payload = L;
    out->parity = out->ncw * out->m;
    return 0;
}

int pgcodec_wants(const uint8_t *mem, uint32_t page_size)
{
    (void)page_size;
    return (mem[0] == PGTYPE_BTREE_LEAF || mem[0] == PGTYPE_BTREE_INTERIOR ||
            mem[0] == PGTYPE_OVERFLOW) &&
           (mem[1] & PGCODEC_PAGE_FLAG);
}

typedef struct hdr {
    uint8_t method, m, k;
    uint16_t ncw;
    uint32_t L, body_crc, page_size;
} hdr;

static void hdr_put(uint8_t *h, const hdr *x)
{
    memset(h, 0, PGCODEC_HDR);
    h[0] = PGCODEC_MARK;
    h[1] = PGCODEC_VERSION;
    h[2] = x->method;
    h[3] = x->m;
    h[4] = x->k;
    put_u16(h + 6, x->ncw);
    put_u32(h + 8, x->L);
    put_u32(h + 12, x->body_crc);
    put_u32(h + 16, x->page_size);
    put_u32(h + 20, crc32c(0, h, 20));
}

/* A header copy that is sound for a page of P bytes: 1 and *x, else 0. */
static int hdr_get(const uint8_t *h, uint32_t P, hdr *x)
{
    if (h[0] != PGCODEC_MARK || h[1] != PGCODEC_VERSION || h[5] != 0 ||
        get_u32(h + 20) != crc32c(0, h, 20) || get_u32(h + 16) != P)
        return 0;
    x->method = h[2];
    x->m = h[3];
    x->k = h[4];
    x->ncw = get_u16(h + 6);
    x->L = get_u32(h + 8);
    x->body_crc = get_u32(h + 12);
    x->page_size = P;
    if (x->method != PGCODEC_ZSTD || x->m < 2 || x->k < 1 || x->k + x->m > 255 || x->ncw == 0 ||
        (uint64_t)x->ncw * (x->k + x->m) > P - PGCODEC_PREFIX || x->L == 0 ||
        x->L > (uint32_t)x->ncw * x->k)
        return 0;
    return 1;
}

/* The header of a disk image: a sound copy, else the byte-wise majority; 1 if found. */
static int hdr_find(const uint8_t *d, uint32_t P, hdr *x, uint8_t *good)
{
    for (int c = 0; c < 3; c++)
        if (hdr_get(d + c * PGCODEC_HDR, P, x)) {
            if (good)
                memcpy(good, d + c * PGCODEC_HDR, PGCODEC_HDR);
            return 1;
        }
    uint8_t maj[PGCODEC_HDR];
    for (int i = 0; i < PGCODEC_HDR; i++) {
        uint8_t a = d[i], b = d[PGCODEC_HDR + i], c = d[2 * PGCODEC_HDR + i];
        maj[i] = (uint8_t)((a & b) | (a & c) | (b & c));
    }
    if (!hdr_get(maj, P, x))
        return 0;
    if (good)
        memcpy(good, maj, PGCODEC_HDR);
    return 1;
}

int pgcodec_is_encoded(const uint8_t *disk, uint32_t page_size)
{
    hdr x;
    return page_size > PGCODEC_PREFIX && hdr_find(disk, page_size, &x, NULL);
}

int pgcodec_encode(const uint8_t *mem, uint32_t P, uint8_t *disk, size_t cap, pgcodec_info *info)
{
    if (info)
        memset(info, 0, sizeof *info);
    size_t slot = cap < P ? cap : P;
    if (slot <= PGCODEC_PREFIX + 16)
        return 0;
    uint32_t room = (uint32_t)(slot - PGCODEC_PREFIX);
    uint8_t *body = disk + PGCODEC_PREFIX;
    size_t L = ZSTD_compress(body, room, mem, P, PGCODEC_LEVEL);
    if (ZSTD_isError(L))
        return 0; /* did not fit in the room (dstSize_tooSmall), or could not be coded */
    pgcodec_info pl;
    if (pgcodec_plan((uint32_t)L, room, &pl))
        return 0;
    uint32_t dlen = pl.ncw * pl.k, plen = pl.ncw * pl.m;
    memset(body + L, 0, slot - PGCODEC_PREFIX - L);
    dna_rs rs;
    if (dna_rs_init(&rs, (int)(pl.k + pl.m), (int)pl.k, NULL))
        return NQ_ENOMEM;
    const uint8_t *rows[255];
    uint8_t *prow[255];
    for (uint32_t i = 0; i < pl.k; i++)
        rows[i] = body + (size_t)i * pl.ncw;
    for (uint32_t i = 0; i < pl.m; i++)
        prow[i] = body + dlen + (size_t)i * pl.ncw;
    dna_rs_encode_rows(&rs, rows, prow, pl.ncw);
    dna_rs_free(&rs);
    hdr x = {PGCODEC_ZSTD, (uint8_t)pl.m, (uint8_t)pl.k, (uint16_t)pl.ncw, (uint32_t)L,
             crc32c(0, body, (size_t)dlen + plen), P};
    for (int c = 0; c < 3; c++)
        hdr_put(disk + c * PGCODEC_HDR, &x);
    if (info)
        *info = pl;
    return 1;
}

int pgcodec_decode(uint8_t *buf, uint32_t P, uint32_t *repaired, nq_err *e)
{
    *repaired = 0;
    hdr x;
    uint8_t good[PGCODEC_HDR];
    if (P <= PGCODEC_PREFIX || !hdr_find(buf, P, &x, good))
        return nq_err_set(e, NQ_ECORRUPT, "page codec: no readable header (all three copies "
                          "damaged)");
    uint32_t fixed = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < PGCODEC_HDR; i++)
            fixed += buf[c * PGCODEC_HDR + i] != good[i];
    size_t n = (size_t)x.k + x.m, blen = (size_t)x.ncw * n;
    uint8_t *body = buf + PGCODEC_PREFIX;
    uint8_t *work = NULL; /* the repaired body, when repair was needed */
    if (crc32c(0, body, blen) != x.body_crc) {
        work = malloc(blen);
        if (!work)
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        memcpy(work, body, blen);
        dna_rs rs;
        if (dna_rs_init(&rs, (int)n, x.k, e)) {
            free(work);
            return nq_err_set(e, NQ_ENOMEM, "out of memory");
        }
        uint8_t cw[255];
        int bad = 0;
        for (uint32_t j = 0; j < x.ncw; j++) {
            for (size_t i = 0; i < n; i++)
                cw[i] = work[i * x.ncw + j];
            nq_err sub;
            int r = dna_rs_decode(&rs, cw, NULL, 0, &sub);
            if (r < 0) {
                bad++;
                continue;
            }
            if (r > 0) {
                for (size_t i = 0; i < n; i++)
                    work[i * x.ncw + j] = cw[i];
                fixed += (uint32_t)r;
            }
        }
        dna_rs_free(&rs);
        if (bad) {
            free(work);
            return nq_err_set(e, NQ_ECORRUPT, "page codec: %d of %u codewords have more damage "
                              "than %u parity bytes can repair", bad, x.ncw, x.m);
        }
        if (crc32c(0, work, blen) != x.body_crc) {
            free(work);
            return nq_err_set(e, NQ_ECORRUPT, "page codec: damage beyond repair (the corrected "
                              "page fails its checksum)");
        }
        body = work;
    }
    uint8_t *out = malloc(P);
    if (!out) {
        free(work);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    size_t got = ZSTD_decompress(out, P, body, x.L);
    free(work);
    if (ZSTD_isError(got) || got != P) {
        free(out);
        return nq_err_set(e, NQ_ECORRUPT, "page codec: the compressed page does not decode to "
                          "%u bytes", P);
    }
    memcpy(buf, out, P);
    free(out);
    *repaired = fixed;
    return 0;
}
