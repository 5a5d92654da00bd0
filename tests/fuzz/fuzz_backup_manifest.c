/*
 * fuzz_backup_manifest.c — the backup manifest parser (src/storage/backup_manifest.c) on
 * arbitrary bytes.
 *
 * Input: a mode byte, then the manifest text. Mode bit 0 set: before parsing, the harness
 * rewrites the hash on the first line that starts with "set-sha3 " to the true SHA3-256 of
 * the bytes before that line, so the fuzzer gets past the checksum and reaches the field
 * checks behind it (without this only the committed seeds would ever parse).
 *
 * The corpus holds manifests of every format, also of encrypted backups (format 3, with the
 * "encryption" line) and of signed ones (the manifest of a signed backup is an ordinary one).
 *
 * Checks, beyond "no crash, no leak, no read out of bounds":
 *  - bk_manifest_parse returns 0 or a valid NQ_E* code, with a message naming the file;
 *  - what parses formats back to exactly the input text (the format is canonical: one text per
 *    manifest), and the parsed fields obey the rules the parser promises (a full backup is its
 *    own base with every page; a differential's parent is its base; sizes add up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "storage/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int fix = data[0] & 1;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    char *text = malloc(n + 2 * BK_SHA3 + 16);
    if (!text)
        return 0;
    memcpy(text, in, n);
    if (fix) {
        for (size_t i = 0; i + 9 <= n; i++) {
            if ((i == 0 || text[i - 1] == '\n') && !memcmp(text + i, "set-sha3 ", 9)) {
                uint8_t h[BK_SHA3];
                char hex[2 * BK_SHA3 + 1];
                FUZZ_CHECK(bk_sha3(text, i, h) == 0);
                bk_hex(h, BK_SHA3, hex);
                const char *nl = memchr(in + i, '\n', n - i);
                size_t tail = nl ? n - (size_t)(nl - in) : 0; /* from the newline on */
                memcpy(text + i + 9, hex, 2 * BK_SHA3);
                if (nl)
                    memcpy(text + i + 9 + 2 * BK_SHA3, nl, tail);
                n = i + 9 + 2 * BK_SHA3 + tail;
                break;
            }
        }
    }
    nq_err err;
    nq_err_clear(&err);
    bk_manifest m;
    int rc = bk_manifest_parse(text, n, &m, "fuzz/MANIFEST", &err);
    FUZZ_CHECK_RC(rc);
    if (rc) {
        FUZZ_CHECK(rc < 0 && strncmp(err.msg, "fuzz/MANIFEST", 13) == 0);
    } else {
        FUZZ_CHECK(m.version >= BK_FORMAT_MIN && m.version <= BK_FORMAT_MAX);
        FUZZ_CHECK(m.enc == (m.version >= BK_FORMAT_ENC));
        if (m.enc)
            FUZZ_CHECK(m.enc_chunk >= 4096 && strlen(m.enc_key) == BK_FP_HEX &&
                       m.data_bytes >= BK_ENC_HEADER + BK_ENC_TAG);
        FUZZ_CHECK(m.kind >= NQ_BACKUP_FULL && m.kind <= NQ_BACKUP_DIFFERENTIAL);
        FUZZ_CHECK(m.pages <= m.page_count && m.page_count >= 1);
        FUZZ_CHECK(m.parent_seq <= m.commit_seq);
        FUZZ_CHECK(m.enc || (m.zstd ? m.data_bytes > 0
                                    : m.data_bytes == BK_DATA_HEADER +
                                                          (uint64_t)m.pages * (4 + m.page_size)));
        if (m.kind == NQ_BACKUP_FULL)
            FUZZ_CHECK(!strcmp(m.base_id, m.backup_id) && !m.parent_id[0] &&
                       m.pages == m.page_count);
        else
            FUZZ_CHECK(strlen(m.parent_id) == BK_ID_HEX);
        if (m.kind == NQ_BACKUP_DIFFERENTIAL)
            FUZZ_CHECK(!strcmp(m.base_id, m.parent_id));
        char *out;
        size_t olen;
        bk_manifest copy = m;
        FUZZ_CHECK(bk_manifest_format(&copy, &out, &olen, &err) == 0);
        FUZZ_CHECK(olen == n && memcmp(out, text, n) == 0);
        FUZZ_CHECK(!memcmp(copy.set_sha3, m.set_sha3, BK_SHA3));
        free(out);
    }
    free(text);
    return 0;
}
