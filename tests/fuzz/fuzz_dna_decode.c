/*
 * fuzz_dna_decode.c — the pool decoder of the DNA-storage codec (src/dna/dna_store.h) on
 * hostile reads. The first byte picks the mode:
 *   even: the rest is a FASTA/FASTQ text; whatever parses is decoded (header, cluster and
 *         consensus code on garbage);
 *   odd:  a valid pool of a fixed 300-byte file (oligos of 100 nt, redundancy 0.3; with bit 1
 *         set the outer code is the GF(2^16) one; with bit 2 set the pool is in the format of
 *         versions 1-2, which the decoder still reads) is made,
 *         and the rest of the input edits it: 4-byte records (oligo, position, operation,
 *         base) substitute, insert, delete, drop or duplicate. The decode must then return
 *         the exact file or NQ_ECORRUPT — never other bytes (the property that matters).
 * Every return must be a valid code and free everything.
 */
#include <stdlib.h>
#include <string.h>

#include "dna_fastx.h"
#include "dna_store.h"
#include "fuzzutil.h"

#define FILE_BYTES 300
#define MAX_READS 400

static const char bases4[4] = {'A', 'C', 'G', 'T'};

static void decode_check(const dna_read *reads, size_t n, const uint8_t *expect, size_t elen)
{
    uint8_t *out = NULL;
    size_t outlen = 0;
    nq_err err;
    nq_err_clear(&err);
    dna_decode_report rep;
    int rc = dna_store_decode(NULL, reads, n, &out, &outlen, &rep, &err);
    FUZZ_CHECK_RC(rc);
    if (rc == 0) {
        if (expect) {
            FUZZ_CHECK(outlen == elen);
            FUZZ_CHECK(memcmp(out, expect, elen) == 0);
        }
        free(out);
    } else {
        FUZZ_CHECK(out == NULL);
        FUZZ_CHECK(rc == NQ_ECORRUPT || rc == NQ_EINVAL || rc == NQ_ENOMEM);
        FUZZ_CHECK(err.msg[0] != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    if (!(data[0] & 1)) {
        dna_reads r;
        if (dna_fastx_parse((const char *)data + 1, size - 1, &r, NULL) == 0) {
            size_t n = r.count < MAX_READS ? r.count : MAX_READS;
            dna_read *rd = malloc((n ? n : 1) * sizeof *rd);
            if (rd) {
                for (size_t i = 0; i < n; i++) {
                    rd[i].seq = r.bases + r.off[i];
                    rd[i].len = r.len[i];
                }
                decode_check(rd, n, NULL, 0);
                free(rd);
            }
            dna_reads_free(&r);
        }
        return 0;
    }
    uint8_t file[FILE_BYTES];
    for (int i = 0; i < FILE_BYTES; i++)
        file[i] = (uint8_t)(i * 151 + 7);
    dna_store_params p;
    dna_store_params_default(&p);
    p.oligo_len = 100;
    p.redundancy = 0.3;
    p.field = data[0] & 2 ? 16 : 8;
    dna_pool pool;
    if (data[0] & 4)
        FUZZ_CHECK(dna_store_encode_v1(&p, file, FILE_BYTES, &pool, NULL) == 0);
    else
        FUZZ_CHECK(dna_store_encode(&p, file, FILE_BYTES, &pool, NULL) == 0);
    int L = pool.len;
    /* reads: each oligo once, with room for edits */
    size_t n = pool.count;
    char *buf = malloc(MAX_READS * (size_t)(L + 64));
    dna_read *rd = malloc(MAX_READS * sizeof *rd);
    size_t *len = malloc(MAX_READS * sizeof *len);
    FUZZ_CHECK(buf && rd && len);
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + i * (size_t)(L + 64), pool.bases + i * (size_t)L, (size_t)L);
        len[i] = (size_t)L;
    }
    for (size_t k = 1; k + 4 <= size; k += 4) {
        size_t o = data[k] % (n ? n : 1);
        char *s = buf + o * (size_t)(L + 64);
        size_t at = data[k + 1] % (len[o] + 1);
        char b = bases4[data[k + 3] & 3];
        switch (data[k + 2] % 5) {
        case 0: /* substitute */
            if (at < len[o])
                s[at] = b;
            break;
        case 1: /* insert */
            if (len[o] < (size_t)L + 63) {
                memmove(s + at + 1, s + at, len[o] - at);
                s[at] = b;
                len[o]++;
            }
            break;
        case 2: /* delete */
            if (at < len[o]) {
                memmove(s + at, s + at + 1, len[o] - at - 1);
                len[o]--;
            }
            break;
        case 3: /* drop */
            len[o] = 0;
            break;
        default: /* duplicate */
            if (n < MAX_READS) {
                memcpy(buf + n * (size_t)(L + 64), s, len[o]);
                len[n] = len[o];
                n++;
            }
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        rd[i].seq = buf + i * (size_t)(L + 64);
        rd[i].len = len[i];
    }
    decode_check(rd, n, file, FILE_BYTES);
    free(buf);
    free(rd);
    free(len);
    dna_pool_free(&pool);
    return 0;
}
