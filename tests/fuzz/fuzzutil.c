/*
 * fuzzutil.c — the helpers of fuzzutil.h.
 *
 * The scratch file system prefers the in-memory fault-injecting VFS of the tests (used here
 * with no fault armed: it is simply a fast RAM disk), and falls back to a mkdtemp() directory
 * with the default POSIX VFS so the harnesses build even without it.
 */
#include "fuzzutil.h"

#include "base/crc32c.h"
#include "base/endian.h"
#include "storage/pager.h"
#include "storage/pager_int.h"
#include "storage/wal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef NQ_HAVE_FAULTVFS
#include "faultvfs.h"
#else
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#endif

_Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz check failed at %s:%d: %s\n", file, line, what);
    abort();
}

int fuzz_rc_valid(long rc) { return rc == NQ_OK || (rc < 0 && rc >= NQ_ELAST); }

uint8_t fuzz_u8(fuzz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

uint32_t fuzz_u32(fuzz_in *in)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)fuzz_u8(in) << (8 * i);
    return v;
}

const uint8_t *fuzz_bytes(fuzz_in *in, size_t n, size_t *got)
{
    if (n > in->n)
        n = in->n;
    const uint8_t *p = in->p;
    in->p += n;
    in->n -= n;
    *got = n;
    return p;
}

const uint8_t *fuzz_rest(fuzz_in *in, size_t *got) { return fuzz_bytes(in, in->n, got); }

uint32_t fuzz_page_size(uint8_t b) { return 1024u << (b % 7); }

static int valid_ps(uint32_t ps) { return ps >= 1024 && ps <= 65536 && !(ps & (ps - 1)); }

void fuzz_repair_wal(uint8_t *f, size_t n, uint32_t ps, int seal)
{
    if (n < WAL_HEADER_SIZE)
        return;
    memcpy(f, "NQWAL\r\n\x1a", 8);
    put_u32(f + 8, 1); /* WAL_VERSION */
    if (!valid_ps(get_u32(f + 12)))
        put_u32(f + 12, ps);
    ps = get_u32(f + 12);
    put_u32(f + 28, crc32c(0, f, 28));
    size_t fsz = WAL_FRAME_HEADER + ps;
    for (size_t off = WAL_HEADER_SIZE; off + fsz <= n; off += fsz) {
        uint8_t *fr = f + off;
        memcpy(fr + 16, f + 20, 8); /* salts */
        if (seal && get_u32(fr) != 0)
            page_seal(fr + WAL_FRAME_HEADER, ps, get_u32(fr), get_u64(fr + 8));
        put_u32(fr + 28, wal_frame_crc(ps, fr, fr + WAL_FRAME_HEADER));
    }
}

void fuzz_repair_db(uint8_t *f, size_t n, uint32_t ps)
{
    if (n < DB_HEADER_SIZE)
        return;
    memcpy(f, DB_MAGIC, 8);
    put_u32(f + 8, DB_FORMAT_VERSION);
    if (!valid_ps(get_u32(f + 12)))
        put_u32(f + 12, ps);
    ps = get_u32(f + 12);
    put_u32(f + 104, crc32c(0, f, 104));
    for (size_t off = 0; off + ps <= n; off += ps)
        page_seal(f + off, ps, (uint32_t)(off / ps) + 1, get_u64(f + off + ps - PAGE_TRAILER));
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "fuzz: out of memory\n");
        abort();
    }
    return p;
}

#ifdef NQ_HAVE_FAULTVFS

struct fuzz_fs {
    faultvfs *fv;
};

fuzz_fs *fuzz_fs_new(void)
{
    fuzz_fs *fs = xmalloc(sizeof *fs);
    fs->fv = faultvfs_new(1);
    if (!fs->fv)
        fuzz_fail(__FILE__, __LINE__, "faultvfs_new");
    return fs;
}

void fuzz_fs_put(fuzz_fs *fs, const char *name, const void *data, size_t len)
{
    if (faultvfs_write_file(fs->fv, name, data, len) != 0)
        fuzz_fail(__FILE__, __LINE__, "faultvfs_write_file");
}

nq_vfs *fuzz_fs_vfs(fuzz_fs *fs) { return faultvfs_vfs(fs->fv); }

const char *fuzz_fs_path(fuzz_fs *fs, const char *name)
{
    (void)fs;
    return name;
}

uint8_t *fuzz_fs_get(fuzz_fs *fs, const char *name, size_t *len)
{
    uint8_t *d = NULL;
    *len = 0;
    if (faultvfs_read_file(fs->fv, name, &d, len) != 0) {
        *len = 0;
        return NULL;
    }
    return d;
}

void fuzz_fs_free(fuzz_fs *fs)
{
    faultvfs_free(fs->fv);
    free(fs);
}

#else /* real files in a temporary directory */

#define FUZZ_MAX_NAMES 8

struct fuzz_fs {
    char dir[64];
    char path[FUZZ_MAX_NAMES][128];
    int npaths;
};

fuzz_fs *fuzz_fs_new(void)
{
    fuzz_fs *fs = xmalloc(sizeof *fs);
    const char *tmp = getenv("TMPDIR");
    snprintf(fs->dir, sizeof fs->dir, "%s/nqfuzz.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(fs->dir))
        fuzz_fail(__FILE__, __LINE__, "mkdtemp");
    fs->npaths = 0;
    return fs;
}

const char *fuzz_fs_path(fuzz_fs *fs, const char *name)
{
    for (int i = 0; i < fs->npaths; i++) {
        const char *slash = strrchr(fs->path[i], '/');
        if (strcmp(slash + 1, name) == 0)
            return fs->path[i];
    }
    if (fs->npaths == FUZZ_MAX_NAMES || strlen(name) > 40)
        fuzz_fail(__FILE__, __LINE__, "too many or too long scratch file names");
    snprintf(fs->path[fs->npaths], sizeof fs->path[0], "%s/%s", fs->dir, name);
    return fs->path[fs->npaths++];
}

void fuzz_fs_put(fuzz_fs *fs, const char *name, const void *data, size_t len)
{
    const char *path = fuzz_fs_path(fs, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        fuzz_fail(__FILE__, __LINE__, "writing a scratch file");
}

nq_vfs *fuzz_fs_vfs(fuzz_fs *fs)
{
    (void)fs;
    return nq_vfs_default();
}

uint8_t *fuzz_fs_get(fuzz_fs *fs, const char *name, size_t *len)
{
    *len = 0;
    FILE *f = fopen(fuzz_fs_path(fs, name), "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *d = xmalloc(cap);
    size_t got;
    while ((got = fread(d + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nd = realloc(d, cap *= 2);
            if (!nd)
                fuzz_fail(__FILE__, __LINE__, "realloc");
            d = nd;
        }
    }
    fclose(f);
    *len = n;
    return d;
}

/* The engine may create files of its own (e.g. a lock or a new log): remove everything. */
void fuzz_fs_free(fuzz_fs *fs)
{
    DIR *d = opendir(fs->dir);
    if (d) {
        struct dirent *e;
        char p[192];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", fs->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(fs->dir);
    free(fs);
}

#endif

uint8_t *fuzz_crc_tailed(const uint8_t *data, size_t size, size_t *n)
{
    *n = 0;
    if (size < 1)
        return NULL;
    size_t len = size - 1;
    uint8_t *p = malloc(len ? len : 1);
    if (!p)
        return NULL;
    memcpy(p, data + 1, len);
    if ((data[0] & 1) && len >= 8)
        put_u32(p + len - 4, crc32c(0, p, len - 4));
    *n = len;
    return p;
}
