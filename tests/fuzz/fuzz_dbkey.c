/*
 * fuzz_dbkey.c — the key descriptor of an encrypted database (src/storage/dbkey.c), the part
 * of page 1 that is read and trusted before any key is known.
 *
 * Input: the descriptor's bytes (as they stand at offset 128 of page 1).
 * Checks, beyond "no crash, no leak, no read out of bounds": dbkey_parse returns 0 or
 * NQ_ECORRUPT with a message; a descriptor that parses has a known kind, a length within the
 * input and the kind's exact length, its wrap inside it, and Argon2id parameters in range; its
 * description fits. A parsed passphrase descriptor with cheap Argon2id parameters (t <= 2,
 * m <= 64 KiB) is also unwrapped with the passphrase "fuzz": the answer is the data key (the
 * seed corpus holds one made with that passphrase) or NQ_EKEY — never anything else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "storage/dbkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    if (!b)
        return 0;
    memcpy(b, data, size);
    nq_err err;
    nq_err_clear(&err);
    dbkey_desc d;
    int rc = dbkey_parse(b, size, &d, &err);
    FUZZ_CHECK(rc == 0 || rc == NQ_ECORRUPT);
    if (rc) {
        FUZZ_CHECK(err.code == NQ_ECORRUPT && !strncmp(err.msg, "key descriptor", 14));
        free(b);
        return 0;
    }
    FUZZ_CHECK(d.kind == DBKEY_KIND_KEM || d.kind == DBKEY_KIND_PASS);
    FUZZ_CHECK(d.len <= size && d.len <= DBKEY_DESC_MAX);
    FUZZ_CHECK(d.wrap >= b + DBKEY_HEAD && d.wrap + DBKEY_WRAP == b + d.len);
    char what[96];
    dbkey_describe(&d, what, sizeof what);
    FUZZ_CHECK(strlen(what) < sizeof what);
    if (d.kind == DBKEY_KIND_PASS) {
        FUZZ_CHECK(d.t >= 1 && d.t <= DBKEY_T_MAX && d.p >= 1 && d.p <= DBKEY_P_MAX);
        FUZZ_CHECK(d.m >= DBKEY_M_MIN && d.m <= DBKEY_M_MAX);
        if (d.t <= 2 && d.m <= 64) {
            dbkey_src src = {NULL, "fuzz", 0, 0};
            uint8_t dek[32];
            nq_err_clear(&err);
            rc = dbkey_unwrap(&src, &d, dek, &err);
            FUZZ_CHECK(rc == 0 || rc == NQ_EKEY);
            /* the descriptor of the same data key made anew unwraps to it again */
            if (rc == 0) {
                uint8_t kd[DBKEY_DESC_MAX], dek2[32];
                size_t n = 0;
                dbkey_src s2 = {NULL, "fuzz", 1, 8};
                FUZZ_CHECK(dbkey_wrap(&s2, d.dbid, dek, kd, &n, &err) == 0);
                dbkey_desc d2;
                FUZZ_CHECK(dbkey_parse(kd, n, &d2, &err) == 0);
                FUZZ_CHECK(dbkey_unwrap(&s2, &d2, dek2, &err) == 0);
                FUZZ_CHECK(memcmp(dek, dek2, 32) == 0);
            }
        }
    }
    free(b);
    return 0;
}
