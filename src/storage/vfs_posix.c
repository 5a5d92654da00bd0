/*
 * vfs_posix.c — the default file-system layer: POSIX pread/pwrite/fdatasync/ftruncate,
 * an exclusive advisory lock per database file, and directory fsync.
 *
 * The lock (exclusive for writers, shared for read-only opens) is an open-file-description lock (F_OFD_SETLK) so it belongs to the open file, not
 * to the process: closing another descriptor on the same file in this process does not drop
 * it (the trap of classic POSIX record locks). The engine keeps one descriptor per file per
 * process and shares it between handles, so the lock says "another process has it".
 *
 * EINTR is retried; short writes are continued; any other errno becomes an NQ_E* code.
 */
#include "nqdb.h"
#include "../base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct nq_file {
    int fd;
};

static int px_open(nq_vfs *vfs, const char *path, int flags, nq_file **out)
{
    (void)vfs;
    *out = NULL;
    int oflags = O_CLOEXEC | ((flags & NQ_OPEN_READONLY) ? O_RDONLY : O_RDWR);
    if (flags & NQ_OPEN_CREATE)
        oflags |= O_CREAT;
    int fd;
    do
        fd = open(path, oflags, 0644);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno == ENOENT ? NQ_ENOTFOUND : nq_errno_code(errno);
    nq_file *f = malloc(sizeof *f);
    if (!f) {
        close(fd);
        return NQ_ENOMEM;
    }
    f->fd = fd;
    *out = f;
    return 0;
}

static int px_close(nq_file *f)
{
    if (!f)
        return 0;
    int rc = close(f->fd);
    free(f);
    /* close() errors after fdatasync carry no information we can act on */
    return rc == 0 || errno == EINTR ? 0 : NQ_EIO;
}

static ssize_t px_read(nq_file *f, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(f->fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return nq_errno_code(errno);
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

static int px_write(nq_file *f, const void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pwrite(f->fd, (const char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return nq_errno_code(errno);
        }
        if (r == 0)
            return NQ_ENOSPC;
        done += (size_t)r;
    }
    return 0;
}

static int px_sync(nq_file *f)
{
    int r;
    do
        r = fdatasync(f->fd);
    while (r < 0 && errno == EINTR);
    return r < 0 ? (errno == ENOSPC ? NQ_ENOSPC : NQ_EIO) : 0;
}

static int px_truncate(nq_file *f, uint64_t size)
{
    int r;
    do
        r = ftruncate(f->fd, (off_t)size);
    while (r < 0 && errno == EINTR);
    return r < 0 ? nq_errno_code(errno) : 0;
}

static int px_size(nq_file *f, uint64_t *out)
{
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return nq_errno_code(errno);
    *out = (uint64_t)st.st_size;
    return 0;
}

static int px_lock(nq_file *f)
{
    /* A read-only open takes a shared lock: read-only processes may share a file, but never
     * with a process that writes it. */
    int fl_flags = fcntl(f->fd, F_GETFL);
    short type = (fl_flags >= 0 && (fl_flags & O_ACCMODE) == O_RDONLY) ? F_RDLCK : F_WRLCK;
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(f->fd, F_OFD_SETLK, &fl) < 0)
        return (errno == EAGAIN || errno == EACCES) ? NQ_ELOCKED : nq_errno_code(errno);
    return 0;
}

static int px_unlock(nq_file *f)
{
    struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    return fcntl(f->fd, F_OFD_SETLK, &fl) < 0 ? nq_errno_code(errno) : 0;
}

static int px_remove(nq_vfs *vfs, const char *path)
{
    (void)vfs;
    if (unlink(path) < 0)
        return errno == ENOENT ? NQ_ENOTFOUND : nq_errno_code(errno);
    return 0;
}

static int px_exists(nq_vfs *vfs, const char *path)
{
    (void)vfs;
    if (access(path, F_OK) == 0)
        return 1;
    return errno == ENOENT ? 0 : nq_errno_code(errno);
}

static int px_sync_dir(nq_vfs *vfs, const char *path)
{
    (void)vfs;
    char *copy = strdup(path);
    if (!copy)
        return NQ_ENOMEM;
    const char *dir = dirname(copy);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int rc = nq_errno_code(errno);
        free(copy);
        return rc;
    }
    int r;
    do
        r = fsync(fd);
    while (r < 0 && errno == EINTR);
    int rc = (r < 0 && errno != EINVAL) ? NQ_EIO : 0; /* some filesystems reject dir fsync */
    close(fd);
    free(copy);
    return rc;
}

static int px_rename(nq_vfs *vfs, const char *from, const char *to)
{
    (void)vfs;
    return rename(from, to) ? nq_errno_code(errno) : 0;
}

static nq_vfs posix_vfs = {
    .name = "posix",
    .ctx = NULL,
    .open = px_open,
    .close = px_close,
    .read = px_read,
    .write = px_write,
    .sync = px_sync,
    .truncate = px_truncate,
    .size = px_size,
    .lock = px_lock,
    .unlock = px_unlock,
    .remove = px_remove,
    .exists = px_exists,
    .sync_dir = px_sync_dir,
    .rename = px_rename,
};

nq_vfs *nq_vfs_default(void) { return &posix_vfs; }
