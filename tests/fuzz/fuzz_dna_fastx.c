/*
 * fuzz_dna_fastx.c — the FASTA/FASTQ parser of the DNA-storage codec (src/dna/dna_fastx.h) on
 * arbitrary bytes. Checks: a clean return (0 or NQ_EINVAL / NQ_ENOMEM); on success every read
 * lies inside the base buffer and holds only A/C/G/T/N, and writing the reads as FASTQ and as
 * FASTA and parsing each back gives the same reads (the writers and the parser agree).
 */
#include <stdlib.h>
#include <string.h>

#include "dna_fastx.h"
#include "fuzzutil.h"

static void same_reads(const dna_reads *a, const dna_reads *b)
{
    FUZZ_CHECK(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        FUZZ_CHECK(a->len[i] == b->len[i]);
        FUZZ_CHECK(memcmp(a->bases + a->off[i], b->bases + b->off[i], a->len[i]) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    dna_reads r;
    nq_err err;
    nq_err_clear(&err);
    int rc = dna_fastx_parse((const char *)data, size, &r, &err);
    FUZZ_CHECK_RC(rc);
    if (rc) {
        FUZZ_CHECK(rc == NQ_EINVAL || rc == NQ_ENOMEM);
        FUZZ_CHECK(err.msg[0] != 0);
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < r.count; i++) {
        FUZZ_CHECK(r.off[i] + r.len[i] <= size);
        total += r.len[i];
        for (size_t j = 0; j < r.len[i]; j++) {
            char c = r.bases[r.off[i] + j];
            FUZZ_CHECK(c == 'A' || c == 'C' || c == 'G' || c == 'T' || c == 'N');
        }
    }
    FUZZ_CHECK(total <= size);
    char *fq;
    size_t fql;
    if (dna_fastq_write(&r, &fq, &fql, NULL) == 0) {
        dna_reads b;
        FUZZ_CHECK(dna_fastx_parse(fq, fql, &b, NULL) == 0);
        same_reads(&r, &b);
        dna_reads_free(&b);
        free(fq);
    }
    /* FASTA of equal-length reads (the writer takes one length) */
    int same = r.count > 0;
    for (size_t i = 1; i < r.count; i++)
        same &= r.len[i] == r.len[0];
    if (same && r.len[0] > 0) {
        char *flat = malloc(r.count * r.len[0]);
        if (flat) {
            for (size_t i = 0; i < r.count; i++)
                memcpy(flat + i * r.len[0], r.bases + r.off[i], r.len[0]);
            char *fa;
            size_t fal;
            if (dna_fasta_write(flat, r.count, (int)r.len[0], &fa, &fal, NULL) == 0) {
                dna_reads b;
                FUZZ_CHECK(dna_fastx_parse(fa, fal, &b, NULL) == 0);
                same_reads(&r, &b);
                dna_reads_free(&b);
                free(fa);
            }
            free(flat);
        }
    }
    dna_reads_free(&r);
    return 0;
}
