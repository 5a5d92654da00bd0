/*
 * fuzzutil.h — what every fuzz harness shares: reading structured values out of the fuzzer's
 * byte string, a throw-away file system to put those bytes in as database or log files, and
 * the checks that turn a wrong answer (not only a crash) into a finding.
 *
 * Harness contract (tests/fuzz/fuzz_<name>.c, see docs/testing.md):
 *   - define LLVMFuzzerTestOneInput(data, size) and return 0;
 *   - treat data as hostile: the code under test must return cleanly (0 or a negative NQ_E*
 *     code) for every input, never crash, hang, leak or read out of bounds. Sanitizers catch
 *     memory errors and leaks; FUZZ_CHECK catches wrong results (abort() = a finding);
 *   - be deterministic: no clocks, no OS randomness, only bytes from data (seeded RNGs are ok);
 *   - free everything before returning (LeakSanitizer runs after each input in libFuzzer).
 * The same source builds as a libFuzzer binary (clang, NQ_FUZZ=ON) and as a corpus replayer
 * for any compiler (replay_main.c), so nothing here may depend on libFuzzer.
 */
#ifndef NQ_FUZZUTIL_H
#define NQ_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "nqdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A finding that is not a crash: report it the way libFuzzer reports a crash (abort). */
#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond))                                                                         \
            fuzz_fail(__FILE__, __LINE__, #cond);                                            \
    } while (0)

_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* rc must be NQ_OK or one of the NQ_E* codes of include/nqdb.h (a decoder that returns a stray
 * positive number or garbage is a bug even when nothing crashes). */
#define FUZZ_CHECK_RC(rc) FUZZ_CHECK(fuzz_rc_valid(rc))
int fuzz_rc_valid(long rc);

/* ---- consuming the input ------------------------------------------------------------------
 * Reading past the end yields zeros, so a harness never has to check lengths; fuzz_rest hands
 * out what is left. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline fuzz_in fuzz_in_make(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    return in;
}
uint8_t fuzz_u8(fuzz_in *in);
uint32_t fuzz_u32(fuzz_in *in); /* little-endian */
/* Up to n bytes (fewer at the end); *got receives how many. */
const uint8_t *fuzz_bytes(fuzz_in *in, size_t n, size_t *got);
/* Everything that is left. */
const uint8_t *fuzz_rest(fuzz_in *in, size_t *got);
/* An object that ends in the CRC-32C of everything before it (stored models), behind one
 * mode byte: a malloc'd copy of the bytes after the mode byte (*n of them; NULL only when out
 * of memory or size is 0). When bit 0 of the mode byte is set and at least 8 bytes follow, the
 * trailing CRC is recomputed, so the fuzzer gets past it to the structural checks. */
uint8_t *fuzz_crc_tailed(const uint8_t *data, size_t size, size_t *n);
/* A page size 1024..65536 (power of two) chosen by one byte: b % 7 -> 1024 << (b % 7). */
uint32_t fuzz_page_size(uint8_t b);

/* ---- checksum repair ---------------------------------------------------------------------
 * Random bytes almost never carry valid CRC-32Cs, so a fuzzer mutating a real file dies at the
 * first checksum. These stamp magic numbers, versions and checksums back into a buffer (in
 * place) so that the logic behind the checksums gets fuzzed too. They follow the layouts of
 * docs/file-format.md (src/storage/wal.h, src/storage/pager_open.c); where a page size field is
 * invalid they put page_size there. */
/* The log: header magic/version/CRC; every whole frame gets the header's salts and its frame
 * CRC; seal = 1 also seals each frame's page image (page_seal with the frame's pgno and seq). */
void fuzz_repair_wal(uint8_t *f, size_t n, uint32_t page_size, int seal);
/* The database file: page 1's magic, version and header CRC, then every whole page sealed
 * with its own page number and the seq already in its trailer. */
void fuzz_repair_db(uint8_t *f, size_t n, uint32_t page_size);

/* ---- a scratch file system ----------------------------------------------------------------
 * Files named by short names ("f.db", "f.db-wal"). With tests/support/faultvfs.c present
 * (NQ_HAVE_FAULTVFS) they live in memory: fast and nothing touches the disk. Otherwise they
 * are real files in a private temporary directory under the POSIX VFS. */
typedef struct fuzz_fs fuzz_fs;

/* Never NULL: a harness has no use for an out-of-memory path here (aborts). */
fuzz_fs *fuzz_fs_new(void);
/* Create or replace a file with the given bytes. */
void fuzz_fs_put(fuzz_fs *fs, const char *name, const void *data, size_t len);
/* The VFS to put in nq_options.vfs. */
nq_vfs *fuzz_fs_vfs(fuzz_fs *fs);
/* The path of a file for nq_open & co. (valid until fuzz_fs_free). */
const char *fuzz_fs_path(fuzz_fs *fs, const char *name);
/* Read a file back: malloc'd bytes the caller frees, or NULL with *len = 0 if absent. */
uint8_t *fuzz_fs_get(fuzz_fs *fs, const char *name, size_t *len);
/* Removes every file and frees fs. */
void fuzz_fs_free(fuzz_fs *fs);

#endif
