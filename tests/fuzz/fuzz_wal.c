/*
 * fuzz_wal.c — arbitrary bytes as a write-ahead log: the recovery scan (wal_open) and the
 * frame index it builds must cope with anything a crash, a bad disk or an attacker leaves.
 *
 * Input: [u8 mode][u8 page-size selector][log file bytes...]
 *   mode & 1   repair: before the scan, stamp the header's magic, version and CRC, and give
 *              every whole frame the header's salts and a correct frame CRC — otherwise almost
 *              every mutation dies at the first checksum and the fuzzer never reaches the
 *              sequence/commit logic behind it;
 *   mode & 2   also seal each frame's page image with page_seal (its own page checksum);
 *   mode & 4   open for writing (the scan may rewrite a bad header); otherwise read-only;
 *   mode & 8   pass page size 0 (take the header's); otherwise the selected page size;
 *   mode & 16  no log file at all.
 *
 * Checks: wal_open returns 0 or a negative NQ_E* code; on success the last committed frame
 * lies inside the file, every indexed page has a frame <= mx that wal_find agrees with and
 * wal_read_page can read, and with repair + sealing every such page image verifies. Nothing
 * may leak (LeakSanitizer) after wal_close.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "storage/pager.h"
#include "storage/wal.h"

#define LOG_NAME "f.db-wal"

typedef struct visit {
    wal *w;
    uint32_t mx, ps, count;
    int sealed;
    uint8_t *buf;
} visit;

static int visit_page(void *arg, uint32_t pgno, uint32_t fno)
{
    visit *v = arg;
    FUZZ_CHECK(pgno != 0);
    FUZZ_CHECK(fno >= 1 && fno <= v->mx);
    FUZZ_CHECK(wal_find(v->w, pgno, v->mx) == fno);
    nq_err err;
    nq_err_clear(&err);
    int rc = wal_read_page(v->w, fno, v->buf, &err);
    FUZZ_CHECK_RC(rc);
    FUZZ_CHECK(rc == 0); /* the scan vouched for this frame: it must be readable */
    if (v->sealed)
        FUZZ_CHECK(page_verify(v->buf, v->ps, pgno) == 0);
    v->count++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = fuzz_in_make(data, size);
    uint8_t mode = fuzz_u8(&in);
    uint32_t ps = fuzz_page_size(fuzz_u8(&in));
    size_t n;
    const uint8_t *body = fuzz_rest(&in, &n);

    uint8_t *file = malloc(n ? n : 1);
    FUZZ_CHECK(file != NULL);
    if (n)
        memcpy(file, body, n);
    if (mode & 1)
        fuzz_repair_wal(file, n, ps, mode & 2);

    fuzz_fs *fs = fuzz_fs_new();
    if (!(mode & 16))
        fuzz_fs_put(fs, LOG_NAME, file, n);

    wal *w = NULL;
    wal_recovery rec;
    nq_err err;
    nq_err_clear(&err);
    int rc = wal_open(fuzz_fs_vfs(fs), fuzz_fs_path(fs, LOG_NAME), (mode & 8) ? 0 : ps,
                      !(mode & 4), 1, &w, &rec, &err);
    FUZZ_CHECK_RC(rc);
    if (rc == 0) {
        FUZZ_CHECK(w != NULL);
        if (rec.mx) {
            uint32_t rps = rec.page_size;
            FUZZ_CHECK(rps >= 1024 && rps <= 65536 && (rps & (rps - 1)) == 0);
            FUZZ_CHECK((uint64_t)WAL_HEADER_SIZE + (uint64_t)rec.mx * (WAL_FRAME_HEADER + rps) <= n);
            FUZZ_CHECK(rec.commit_pages != 0);
            visit v = {w, rec.mx, rps, 0, (mode & 3) == 3, malloc(rps)};
            FUZZ_CHECK(v.buf != NULL);
            rc = wal_foreach_latest(w, rec.mx, visit_page, &v);
            FUZZ_CHECK(rc == 0);
            FUZZ_CHECK(v.count >= 1 && v.count <= rec.mx);
            /* nothing is found above what the scan recovered, or for page 0 */
            FUZZ_CHECK(wal_find(w, 0, rec.mx) == 0);
            free(v.buf);
        }
        wal_close(w);
    } else {
        FUZZ_CHECK(w == NULL);
        FUZZ_CHECK(err.msg[0] != 0 || rc == NQ_ENOMEM);
    }
    fuzz_fs_free(fs);
    free(file);
    return 0;
}
