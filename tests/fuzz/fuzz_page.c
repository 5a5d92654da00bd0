/*
 * fuzz_page.c — arbitrary bytes as a database page: the page checksum and the B-tree page
 * validator must answer, never crash.
 *
 * Input: [u8 page-size selector][u32 page number][page bytes...] — the page is padded with
 * zeros (or cut) to the page size (1024 << (selector % 7)).
 *
 * Checks, for every input:
 *   1. page_verify on the raw bytes returns 0 or NQ_ECORRUPT;
 *   2. btree_page_validate on the usable part returns 0 or NQ_ECORRUPT, and on NQ_ECORRUPT
 *      leaves a non-empty, terminated reason;
 *   3. the same page after page_seal verifies (0) — so the validator above also sees pages that
 *      would pass the checksum, i.e. what a bug in our own writer could produce — and stops
 *      verifying after any single bit flip (CRC-32C detects every 1-bit error), or when read
 *      back as another page number;
 *   4. the validator is a pure function: the same answer twice, input untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "storage/btree.h"
#include "storage/pager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = fuzz_in_make(data, size);
    uint32_t ps = fuzz_page_size(fuzz_u8(&in));
    uint32_t pgno = fuzz_u32(&in);
    size_t got;
    const uint8_t *body = fuzz_rest(&in, &got);

    /* An exact-size heap copy: reading past the page is an ASan error, not a silent read. */
    uint8_t *page = calloc(1, ps);
    uint8_t *copy = malloc(ps);
    FUZZ_CHECK(page && copy);
    memcpy(page, body, got < ps ? got : ps);

    int rc = page_verify(page, ps, pgno);
    FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);

    uint32_t usable = ps - PAGE_TRAILER;
    char why[256], why2[256];
    memset(why, 0x55, sizeof why);
    memcpy(copy, page, ps);
    rc = btree_page_validate(page, usable, why, sizeof why);
    FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);
    if (rc == NQ_ECORRUPT)
        FUZZ_CHECK(memchr(why, 0, sizeof why) != NULL && why[0] != 0);
    FUZZ_CHECK(memcmp(copy, page, ps) == 0);
    int rc2 = btree_page_validate(page, usable, why2, sizeof why2);
    FUZZ_CHECK(rc2 == rc);
    /* a tiny reason buffer must be honoured too */
    char tiny[4];
    rc2 = btree_page_validate(page, usable, tiny, sizeof tiny);
    FUZZ_CHECK(rc2 == rc);
    FUZZ_CHECK(btree_page_validate(page, usable, NULL, 0) == rc);

    /* Sealed, the page must verify; any flipped bit or a different page number must not. */
    uint64_t seq = (uint64_t)pgno * 0x9E3779B97F4A7C15ull;
    if (pgno != 0) {
        page_seal(page, ps, pgno, seq);
        FUZZ_CHECK(page_verify(page, ps, pgno) == 0);
        FUZZ_CHECK(page_verify(page, ps, pgno ^ (1u << (seq % 32))) == NQ_ECORRUPT);
        size_t bit = (size_t)(seq % ((uint64_t)ps * 8));
        page[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        FUZZ_CHECK(page_verify(page, ps, pgno) == NQ_ECORRUPT);
        page[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        FUZZ_CHECK(page_verify(page, ps, pgno) == 0);
        rc = btree_page_validate(page, usable, why, sizeof why);
        FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);
    }

    free(page);
    free(copy);
    return 0;
}
