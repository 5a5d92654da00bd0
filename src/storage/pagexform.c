/*
 * pagexform.c — memory image <-> disk image (pagexform.h).
 *
 * Out: page_seal(mem); if the codec wants the page, it writes its form into scratch[0,
 * usable) and scratch is sealed in turn (the disk CRC covers the form that is stored); then,
 * in an encrypted database, page_crypt_seal encrypts scratch (or a copy of mem) in place and
 * seals the result. In: the CRC of the disk image first (a torn or misplaced image is
 * reported as such, before any key is used), then page_crypt_open, then the codec's decode
 * when the decrypted bytes are in its form.
 */
#include "pagexform.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "page_codec.h"
#include "page_crypt.h"
#include "pager.h"

struct pagexform {
    uint32_t page_size, usable;
    page_crypt *crypt;
    _Atomic uint64_t repairs;
    _Atomic uint64_t repaired_bytes, codec_failures;
};

int pagexform_create(uint32_t page_size, page_crypt *crypt, pagexform **out)
{
    pagexform *x = calloc(1, sizeof *x);
    if (!x)
        return NQ_ENOMEM;
    x->page_size = page_size;
    x->crypt = crypt;
    x->usable = page_size - PAGE_TRAILER - (crypt ? PAGE_CRYPT_TRAILER : 0);
    *out = x;
    return 0;
}

void pagexform_free(pagexform *x)
{
    if (!x)
        return;
    page_crypt_free(x->crypt);
    free(x);
}

uint32_t pagexform_usable(const pagexform *x) { return x->usable; }
page_crypt *pagexform_crypt(const pagexform *x) { return x->crypt; }
uint64_t pagexform_repairs(const pagexform *x)
{
    return atomic_load_explicit(&((pagexform *)x)->repairs, memory_order_relaxed);
}

void pagexform_codec_counters(const pagexform *x, uint64_t *pages, uint64_t *bytes,
                              uint64_t *failed)
{
    pagexform *m = (pagexform *)x;
    if (pages)
        *pages = atomic_load_explicit(&m->repairs, memory_order_relaxed);
    if (bytes)
        *bytes = atomic_load_explicit(&m->repaired_bytes, memory_order_relaxed);
    if (failed)
        *failed = atomic_load_explicit(&m->codec_failures, memory_order_relaxed);
}

int pagexform_check(const uint8_t *disk, uint32_t page_size, uint32_t pgno)
{
    return page_verify(disk, page_size, pgno);
}

int pagexform_out(pagexform *x, uint32_t pgno, uint64_t seq, uint8_t *mem, uint8_t *scratch,
                  const uint8_t **disk, nq_err *err)
{
    uint32_t ps = x->page_size;
    page_seal(mem, ps, pgno, seq);
    const uint8_t *img = mem;
    if (pgno != 1 && page_codec_wants(mem, x->usable)) {
        memset(scratch, 0, ps);
        if (page_codec_encode(mem, x->usable, scratch, x->usable)) {
            page_seal(scratch, ps, pgno, seq);
            img = scratch;
        }
    }
    if (x->crypt) {
        if (img != scratch)
            memcpy(scratch, mem, ps);
        int rc = page_crypt_seal(x->crypt, pgno, seq, scratch);
        if (rc)
            return nq_err_set(err, rc, "page %u: encryption failed (OpenSSL)", pgno);
        img = scratch;
    }
    *disk = img;
    return 0;
}

int pagexform_in(pagexform *x, uint32_t pgno, uint8_t *buf, const char **why)
{
    /* A coded page whose CRC fails still goes to the codec, which has checks of its own and
     * repairs what the CRC saw (page_codec.h); anything else that fails it is damaged. */
    int crc_bad = page_verify(buf, x->page_size, pgno) != 0;
    if (crc_bad && (x->crypt || pgno == 1 || !page_codec_is_encoded(buf, x->usable))) {
        *why = "checksum mismatch";
        return NQ_ECORRUPT;
    }
    if (x->crypt && page_crypt_open(x->crypt, pgno, buf)) {
        *why = "authentication failed (the page was altered, moved or comes from another "
               "database)";
        return NQ_ECORRUPT;
    }
    if (pgno != 1 && page_codec_is_encoded(buf, x->usable)) {
        int repaired = 0;
        if (page_codec_decode(buf, x->usable, &repaired)) {
            memset(buf, 0, x->usable);
            atomic_fetch_add_explicit(&x->codec_failures, 1, memory_order_relaxed);
            *why = crc_bad ? "checksum mismatch, and the page codec cannot repair it"
                           : "the page codec cannot decode it";
            return NQ_ECORRUPT;
        }
        if (repaired || crc_bad) {
            atomic_fetch_add_explicit(&x->repairs, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&x->repaired_bytes, (uint64_t)repaired,
                                      memory_order_relaxed);
        }
    }
    return 0;
}
