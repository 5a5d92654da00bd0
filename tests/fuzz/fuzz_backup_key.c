/*
 * fuzz_backup_key.c — the parsers of backup key files and of MANIFEST.sig
 * (src/storage/backup_keys.c) on arbitrary bytes.
 *
 * Input: a mode byte, then the file's text. Mode bits 0-2: 0-4 parse as a key file expecting
 * that BK_KEY_* type (0 = any), 5-7 parse as a signature file. Bit 3 set (key files): before
 * parsing, the hash on the first line that starts with "sha3 " is rewritten to the true SHA3-256
 * of the bytes before it, so the fuzzer gets past the checksum to the key checks behind it
 * (the ML-KEM modulus and hash checks, the fingerprint).
 *
 * Checks, beyond "no crash, no leak, no read out of bounds": the parsers return 0 or a valid
 * NQ_E* code with a message naming the file; a key file that parses formats back to exactly
 * the input (one text per key), has the type asked for and the length of its type; a
 * signature that parses has a 16-hex-digit key fingerprint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "storage/backup.h"

#define SIG_BYTES 3309 /* ML-DSA-65 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] & 7, fix = data[0] & 8;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    char *text = malloc(n + 2 * BK_SHA3 + 16);
    if (!text)
        return 0;
    memcpy(text, in, n);
    nq_err err;
    nq_err_clear(&err);
    if (mode >= 5) {
        char fp[BK_FP_HEX + 1];
        uint8_t *sig = malloc(SIG_BYTES);
        FUZZ_CHECK(sig != NULL);
        int rc = bk_sig_parse(text, n, fp, sig, "fuzz/MANIFEST.sig", &err);
        FUZZ_CHECK_RC(rc);
        if (rc)
            FUZZ_CHECK(rc < 0 && !strncmp(err.msg, "fuzz/MANIFEST.sig", 17));
        else
            FUZZ_CHECK(strlen(fp) == BK_FP_HEX);
        free(sig);
        free(text);
        return 0;
    }
    if (fix) {
        for (size_t i = 0; i + 5 <= n; i++) {
            if ((i == 0 || text[i - 1] == '\n') && !memcmp(text + i, "sha3 ", 5)) {
                uint8_t h[BK_SHA3];
                char hex[2 * BK_SHA3 + 1];
                FUZZ_CHECK(bk_sha3(text, i, h) == 0);
                bk_hex(h, BK_SHA3, hex);
                const char *nl = memchr(in + i, '\n', n - i);
                size_t tail = nl ? n - (size_t)(nl - in) : 0;
                memcpy(text + i + 5, hex, 2 * BK_SHA3);
                if (nl)
                    memcpy(text + i + 5 + 2 * BK_SHA3, nl, tail);
                n = i + 5 + 2 * BK_SHA3 + tail;
                break;
            }
        }
    }
    bk_key *k = malloc(sizeof *k);
    FUZZ_CHECK(k != NULL);
    int rc = bk_key_parse(text, n, mode, k, "fuzz/key", &err);
    FUZZ_CHECK_RC(rc);
    if (rc) {
        FUZZ_CHECK(rc < 0 && !strncmp(err.msg, "fuzz/key", 8));
    } else {
        FUZZ_CHECK(k->type >= BK_KEY_SIGN_SECRET && k->type <= BK_KEY_KEM_PUBLIC);
        FUZZ_CHECK(!mode || k->type == mode);
        FUZZ_CHECK(strlen(k->fp) == BK_FP_HEX && k->len > 0 && k->len <= BK_KEY_MAX);
        char *out;
        size_t olen;
        FUZZ_CHECK(bk_key_format(k, &out, &olen, &err) == 0);
        FUZZ_CHECK(olen == n && !memcmp(out, text, n));
        free(out);
    }
    bk_key_wipe(k);
    free(k);
    free(text);
    return 0;
}
