/*
 * fuzz_dna_decompress.c — the DNA container decoder (src/dna/dna_zip.c, dna_cm.c) on
 * arbitrary bytes. Input: one mode byte, then the payload.
 *   mode bit 0 = 0: dna_decompress(payload) with a 1 MiB limit: it must return 0 or a negative
 *       code with a message, never crash, read out of bounds or leak; on success the result
 *       must compress and decompress back to itself.
 *   mode bit 0 = 1: payload is a sequence file: compress it with algorithm (mode >> 1) & 3,
 *       decompress, compare byte for byte; and run the arithmetic decoder of both statistical
 *       methods directly on the payload (garbage in, symbols out, no crash), so the model
 *       code behind the CRCs is fuzzed too.
 * The corpus (corpus/dna_decompress/) holds valid containers of every algorithm (mode 0) and
 * small FASTA files (mode 1).
 */
#include <stdlib.h>
#include <string.h>

#include "dna/dna_cm.h"
#include "dna/dna_zip.h"
#include "fuzzutil.h"

static void roundtrip(const uint8_t *p, size_t n, dna_algo a)
{
    dna_buf z = {0}, d = {0};
    nq_err e;
    if (dna_compress(p, n, a, &z, &e) != 0)
        abort();
    if (dna_decompress(z.data, z.len, n, &d, &e) != 0 || d.len != n || (n && memcmp(d.data, p, n)))
        abort();
    dna_buf_free(&z);
    dna_buf_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    if (!(mode & 1)) {
        dna_buf d = {0};
        nq_err e;
        nq_err_clear(&e);
        int rc = dna_decompress(p, n, (uint64_t)1 << 20, &d, &e);
        if (rc == 0)
            roundtrip(d.data, d.len, DNA_ALGO_HYBRID);
        else if (!e.msg[0] || d.len != 0)
            abort();
        dna_buf_free(&d);
        return 0;
    }
    if (n > 20000)
        n = 20000;
    roundtrip(p, n, (dna_algo)((mode >> 1) & 3));
    size_t ns = n * 4 < 4096 ? n * 4 : 4096;
    uint8_t *sym = malloc(ns + 1);
    if (!sym)
        return 0;
    dna_cm_decode(p, n, ns, DNA_BLOCK_KMER, sym);
    dna_cm_decode(p, n, ns, DNA_BLOCK_MIXED, sym);
    for (size_t i = 0; i < ns; i++)
        if (sym[i] > 3)
            abort();
    free(sym);
    return 0;
}
