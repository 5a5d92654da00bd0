/*
 * faultvfs.c — the simulated disk behind the crash tests (the model is described in
 * faultvfs.h; this comment says how it is built).
 *
 * An inode keeps its live image, its durable image and the ordered list of operations issued
 * since its last good sync. Writes go to the live image at once (so reads are a memcpy) and are
 * also recorded, with a copy of their bytes, in the list; sync replays the list onto the durable
 * image. That keeps the two views exact without ever replaying history for a read.
 *
 * Names: two arrays of (path, inode) — the live directory and the durable one — and a list of
 * pending creates/removes that sync_dir moves from one to the other. Inodes are owned by the
 * faultvfs, not by the directories, so a file removed while open stays usable; inodes that no
 * durable name reaches are freed at the next crash (when no live handle can refer to them).
 *
 * Handles carry the "generation" of the machine they were opened on; a crash bumps it, so a
 * handle from before the crash fails every call with NQ_EIO (close still frees it) without the
 * VFS having to track its handles.
 *
 * A failed sync marks the file's pending operations "limbo" (Linux's behaviour after a
 * writeback error: the pages are clean, the data may or may not have reached the disk). The
 * next good sync does not make them durable whole: it decides, at random, what of each limbo
 * operation had reached the disk, in issue order, so later data still lands on top of it. A
 * crash treats them like any other pending operation.
 *
 * Every decision that is not the caller's comes from an nq_rng: the VFS's own (seeded at
 * faultvfs_new, for short writes and limbo data) or the crash's (seeded per crash).
 */
#include "faultvfs.h"

#include "base/rand.h"

#include <stdlib.h>
#include <string.h>

/* ---- growable byte image --------------------------------------------------------------- */
typedef struct fv_buf {
    uint8_t *d;
    uint64_t len, cap;
} fv_buf;

static int buf_reserve(fv_buf *b, uint64_t need)
{
    if (need <= b->cap)
        return 0;
    uint64_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    uint8_t *d = realloc(b->d, (size_t)cap);
    if (!d)
        return NQ_ENOMEM;
    b->d = d;
    b->cap = cap;
    return 0;
}

/* Sets the length; bytes exposed by growing are zero (as ftruncate and a write past EOF give). */
static int buf_resize(fv_buf *b, uint64_t len)
{
    if (len > b->len) {
        if (buf_reserve(b, len))
            return NQ_ENOMEM;
        memset(b->d + b->len, 0, (size_t)(len - b->len));
    }
    b->len = len;
    return 0;
}

static int buf_write(fv_buf *b, uint64_t off, const uint8_t *src, uint64_t n)
{
    if (n == 0)
        return 0;
    if (off + n > b->len && buf_resize(b, off + n))
        return NQ_ENOMEM;
    memcpy(b->d + off, src, (size_t)n);
    return 0;
}

static int buf_copy(fv_buf *dst, const fv_buf *src)
{
    dst->len = 0;
    if (buf_reserve(dst, src->len ? src->len : 1))
        return NQ_ENOMEM;
    if (src->len)
        memcpy(dst->d, src->d, (size_t)src->len);
    dst->len = src->len;
    return 0;
}

/* ---- inodes and their pending operations ------------------------------------------------- */
enum { OP_WRITE, OP_TRUNC };

typedef struct fv_op {
    int kind;
    int limbo;    /* issued before a sync that failed: durable only by chance */
    uint64_t off; /* write offset, or the new size of a truncate */
    uint64_t len;
    uint8_t *data;
} fv_op;

typedef struct fv_inode {
    fv_buf live, durable;
    fv_op *ops;
    size_t nops, capops;
    nq_file *locker; /* handle holding the advisory lock, or NULL */
    int reachable;   /* scratch for the collector */
} fv_inode;

typedef struct fv_dirent {
    char *path;
    fv_inode *ino;
} fv_dirent;

typedef struct fv_dir {
    fv_dirent *e;
    size_t n, cap;
} fv_dir;

enum { DOP_CREATE, DOP_REMOVE, DOP_RENAME };

typedef struct fv_dirop {
    int kind;
    char *path;
    fv_inode *ino;
    char *from; /* DOP_RENAME: the old name (path is the new one) */
} fv_dirop;

struct nq_file {
    faultvfs *fv;
    fv_inode *ino;
    uint64_t gen;
    int readonly;
    char *path;
};

struct faultvfs {
    nq_vfs vfs;
    nq_rng rng;
    fv_inode **inodes;
    size_t ninodes, capinodes;
    fv_dir live, durable;
    fv_dirop *dops;
    size_t ndops, capdops;
    uint64_t gen;
    int dead;
    faultvfs_counts counts;
    uint8_t *calls; /* kind of each mutating call */
    size_t ncalls, capcalls;

    uint64_t crash_at; /* value of counts.mutating that dies; 0 = none */
    uint64_t sync_fail_n, sync_seen;
    int sync_fail_forever;
    char *sync_suffix;
    uint64_t write_budget, capacity;
    uint64_t wfail_n, wfail_seen;
    int wfail_forever, wfail_short;
};

static void op_free(fv_op *op) { free(op->data); }

static void inode_free(fv_inode *ino)
{
    if (!ino)
        return;
    for (size_t i = 0; i < ino->nops; i++)
        op_free(&ino->ops[i]);
    free(ino->ops);
    free(ino->live.d);
    free(ino->durable.d);
    free(ino);
}

static fv_inode *inode_new(faultvfs *fv)
{
    if (fv->ninodes == fv->capinodes) {
        size_t cap = fv->capinodes ? fv->capinodes * 2 : 8;
        fv_inode **a = realloc(fv->inodes, cap * sizeof *a);
        if (!a)
            return NULL;
        fv->inodes = a;
        fv->capinodes = cap;
    }
    fv_inode *ino = calloc(1, sizeof *ino);
    if (!ino)
        return NULL;
    fv->inodes[fv->ninodes++] = ino;
    return ino;
}

static int inode_push_op(fv_inode *ino, int kind, uint64_t off, const void *data, uint64_t len)
{
    if (ino->nops == ino->capops) {
        size_t cap = ino->capops ? ino->capops * 2 : 16;
        fv_op *a = realloc(ino->ops, cap * sizeof *a);
        if (!a)
            return NQ_ENOMEM;
        ino->ops = a;
        ino->capops = cap;
    }
    fv_op op = {.kind = kind, .off = off, .len = len};
    if (kind == OP_WRITE && len) {
        op.data = malloc((size_t)len);
        if (!op.data)
            return NQ_ENOMEM;
        memcpy(op.data, data, (size_t)len);
    }
    ino->ops[ino->nops++] = op;
    return 0;
}

static void inode_drop_ops(fv_inode *ino)
{
    for (size_t i = 0; i < ino->nops; i++)
        op_free(&ino->ops[i]);
    ino->nops = 0;
}

/* Lands one operation on an image. sectors = NULL lands it whole; otherwise only the 512-byte
 * pieces (aligned to the file, not to the write) whose flag is set. */
static void op_land(fv_buf *img, const fv_op *op, const uint8_t *sectors)
{
    if (op->kind == OP_TRUNC) {
        (void)buf_resize(img, op->off);
        return;
    }
    uint64_t pos = op->off, end = op->off + op->len;
    size_t piece = 0;
    while (pos < end) {
        uint64_t next = (pos / FV_SECTOR + 1) * FV_SECTOR;
        if (next > end)
            next = end;
        if (!sectors || sectors[piece])
            (void)buf_write(img, pos, op->data + (pos - op->off), next - pos);
        pos = next;
        piece++;
    }
}

static size_t op_pieces(const fv_op *op)
{
    if (op->kind != OP_WRITE || op->len == 0)
        return 0;
    uint64_t first = op->off / FV_SECTOR, last = (op->off + op->len - 1) / FV_SECTOR;
    return (size_t)(last - first + 1);
}

/* Decide which pieces of op land, each with even odds; returns 1 if the result is a true tear
 * (some but not all), 0 if all landed, -1 if none did. */
static int op_tear(nq_rng *rng, const fv_op *op, uint8_t *sectors)
{
    size_t n = op_pieces(op), on = 0;
    for (size_t i = 0; i < n; i++) {
        sectors[i] = (uint8_t)nq_rng_below(rng, 2);
        on += sectors[i];
    }
    return on == n ? 0 : on == 0 ? -1 : 1;
}

/* ---- directories --------------------------------------------------------------------------- */
static fv_dirent *dir_find(const fv_dir *d, const char *path)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->e[i].path, path) == 0)
            return &d->e[i];
    return NULL;
}

static int dir_set(fv_dir *d, const char *path, fv_inode *ino)
{
    fv_dirent *e = dir_find(d, path);
    if (e) {
        e->ino = ino;
        return 0;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        fv_dirent *a = realloc(d->e, cap * sizeof *a);
        if (!a)
            return NQ_ENOMEM;
        d->e = a;
        d->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return NQ_ENOMEM;
    d->e[d->n].path = p;
    d->e[d->n].ino = ino;
    d->n++;
    return 0;
}

static void dir_unset(fv_dir *d, const char *path)
{
    fv_dirent *e = dir_find(d, path);
    if (!e)
        return;
    free(e->path);
    *e = d->e[--d->n];
}

static void dir_clear(fv_dir *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->e[i].path);
    d->n = 0;
}

static int dir_copy(fv_dir *dst, const fv_dir *src)
{
    dir_clear(dst);
    for (size_t i = 0; i < src->n; i++)
        if (dir_set(dst, src->e[i].path, src->e[i].ino))
            return NQ_ENOMEM;
    return 0;
}

/* Length of the directory part of path ("a/b/c" -> 3 for "a/b"; no slash -> 0 meaning "."). */
static size_t dir_part(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? (size_t)(s - path) : 0;
}

static int same_dir(const char *a, const char *b)
{
    size_t la = dir_part(a), lb = dir_part(b);
    return la == lb && memcmp(a, b, la) == 0;
}

static int dirop_push_from(faultvfs *fv, int kind, const char *path, fv_inode *ino,
                           const char *from);

static int dirop_push(faultvfs *fv, int kind, const char *path, fv_inode *ino)
{
    return dirop_push_from(fv, kind, path, ino, NULL);
}

static int dirop_push_from(faultvfs *fv, int kind, const char *path, fv_inode *ino,
                           const char *from)
{
    if (fv->ndops == fv->capdops) {
        size_t cap = fv->capdops ? fv->capdops * 2 : 8;
        fv_dirop *a = realloc(fv->dops, cap * sizeof *a);
        if (!a)
            return NQ_ENOMEM;
        fv->dops = a;
        fv->capdops = cap;
    }
    char *p = strdup(path);
    if (!p)
        return NQ_ENOMEM;
    char *f = NULL;
    if (from && !(f = strdup(from))) {
        free(p);
        return NQ_ENOMEM;
    }
    fv->dops[fv->ndops++] = (fv_dirop){.kind = kind, .path = p, .ino = ino, .from = f};
    return 0;
}

static void dirop_apply(fv_dir *d, const fv_dirop *op)
{
    if (op->kind == DOP_CREATE) {
        (void)dir_set(d, op->path, op->ino);
    } else if (op->kind == DOP_RENAME) { /* atomic: the old name goes, the new one points */
        dir_unset(d, op->from);
        (void)dir_set(d, op->path, op->ino);
    } else {
        dir_unset(d, op->path);
    }
}

static uint64_t live_total(const faultvfs *fv)
{
    uint64_t t = 0;
    for (size_t i = 0; i < fv->live.n; i++)
        t += fv->live.e[i].ino->live.len;
    return t;
}

/* ---- the nq_vfs members -------------------------------------------------------------------- */
static faultvfs *fv_of(nq_vfs *vfs) { return (faultvfs *)vfs->ctx; }

/* Every mutating call passes here first: it is the crash point. */
static int enter_mutating(faultvfs *fv, int kind)
{
    if (fv->dead)
        return NQ_EIO;
    fv->counts.mutating++;
    if (fv->ncalls == fv->capcalls) {
        size_t cap = fv->capcalls ? fv->capcalls * 2 : 1024;
        uint8_t *a = realloc(fv->calls, cap);
        if (a) {
            fv->calls = a;
            fv->capcalls = cap;
        }
    }
    if (fv->ncalls < fv->capcalls)
        fv->calls[fv->ncalls++] = (uint8_t)kind;
    if (fv->crash_at && fv->counts.mutating >= fv->crash_at) {
        fv->dead = 1;
        return NQ_EIO;
    }
    return 0;
}

static int handle_ok(const nq_file *f)
{
    return f && !f->fv->dead && f->gen == f->fv->gen;
}

static int fv_open(nq_vfs *vfs, const char *path, int flags, nq_file **out)
{
    faultvfs *fv = fv_of(vfs);
    *out = NULL;
    if (fv->dead)
        return NQ_EIO;
    fv->counts.opens++;
    fv_dirent *e = dir_find(&fv->live, path);
    fv_inode *ino;
    if (e) {
        ino = e->ino;
    } else {
        if (!(flags & NQ_OPEN_CREATE) || (flags & NQ_OPEN_READONLY))
            return NQ_ENOTFOUND;
        int rc = enter_mutating(fv, FV_CALL_CREATE);
        if (rc)
            return rc;
        fv->counts.creates++;
        ino = inode_new(fv);
        if (!ino || dir_set(&fv->live, path, ino) || dirop_push(fv, DOP_CREATE, path, ino))
            return NQ_ENOMEM;
    }
    nq_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return NQ_ENOMEM;
    }
    f->fv = fv;
    f->ino = ino;
    f->gen = fv->gen;
    f->readonly = (flags & NQ_OPEN_READONLY) != 0;
    *out = f;
    return 0;
}

static int fv_close(nq_file *f)
{
    if (!f)
        return 0;
    /* a dead process's descriptors are closed by the kernel: nothing to report */
    if (f->gen == f->fv->gen) {
        f->fv->counts.closes++;
        if (f->ino->locker == f)
            f->ino->locker = NULL;
    }
    free(f->path);
    free(f);
    return 0;
}

static ssize_t fv_read(nq_file *f, void *buf, size_t n, uint64_t off)
{
    if (!handle_ok(f))
        return NQ_EIO;
    f->fv->counts.reads++;
    const fv_buf *b = &f->ino->live;
    if (off >= b->len || n == 0)
        return 0;
    uint64_t avail = b->len - off;
    size_t k = avail < n ? (size_t)avail : n;
    memcpy(buf, b->d + off, k);
    return (ssize_t)k;
}

/* Puts down bytes [0, k) of a write: live image and pending list. */
static int land_prefix(nq_file *f, const void *buf, size_t k, uint64_t off)
{
    if (k == 0)
        return 0;
    if (buf_write(&f->ino->live, off, buf, k) || inode_push_op(f->ino, OP_WRITE, off, buf, k))
        return NQ_ENOMEM;
    f->fv->counts.bytes_written += k;
    return 0;
}

static int fv_write(nq_file *f, const void *buf, size_t n, uint64_t off)
{
    if (!handle_ok(f))
        return NQ_EIO;
    faultvfs *fv = f->fv;
    if (f->readonly)
        return NQ_EREADONLY;
    int rc = enter_mutating(fv, FV_CALL_WRITE);
    if (rc)
        return rc;
    fv->counts.writes++;
    for (size_t i = 0; i < f->ino->nops; i++) {
        const fv_op *op = &f->ino->ops[i];
        if (op->kind == OP_WRITE && op->off < off + n && off < op->off + op->len) {
            fv->counts.rewrites++;
            break;
        }
    }

    if (fv->wfail_n) {
        fv->wfail_seen++;
        if (fv->wfail_seen == fv->wfail_n || (fv->wfail_forever && fv->wfail_seen > fv->wfail_n)) {
            fv->counts.faults++;
            if (fv->wfail_short && n > 1 && land_prefix(f, buf, (size_t)nq_rng_below(&fv->rng, n), off))
                return NQ_ENOMEM;
            return NQ_EIO;
        }
    }

    size_t allowed = n;
    if (fv->write_budget != UINT64_MAX && fv->write_budget < allowed)
        allowed = (size_t)fv->write_budget;
    if (fv->capacity != UINT64_MAX) {
        uint64_t total = live_total(fv), len = f->ino->live.len;
        uint64_t room = fv->capacity > total ? fv->capacity - total : 0;
        uint64_t end_max = len + room; /* the file may grow to here */
        if (off + allowed > end_max && off + allowed > len)
            allowed = end_max > off ? (size_t)(end_max - off) : 0;
    }
    if (land_prefix(f, buf, allowed, off))
        return NQ_ENOMEM;
    if (fv->write_budget != UINT64_MAX)
        fv->write_budget -= allowed;
    if (allowed < n) {
        fv->counts.faults++;
        return NQ_ENOSPC;
    }
    return 0;
}

static int path_has_suffix(const char *path, const char *suffix)
{
    size_t lp = strlen(path), ls = strlen(suffix);
    return lp >= ls && strcmp(path + lp - ls, suffix) == 0;
}

static int fv_sync(nq_file *f)
{
    if (!handle_ok(f))
        return NQ_EIO;
    faultvfs *fv = f->fv;
    int rc = enter_mutating(fv, FV_CALL_SYNC);
    if (rc)
        return rc;
    fv->counts.syncs++;
    fv_inode *ino = f->ino;

    if (fv->sync_fail_n && (!fv->sync_suffix || path_has_suffix(f->path, fv->sync_suffix))) {
        fv->sync_seen++;
        if (fv->sync_seen == fv->sync_fail_n ||
            (fv->sync_fail_forever && fv->sync_seen > fv->sync_fail_n)) {
            fv->counts.faults++;
            for (size_t i = 0; i < ino->nops; i++)
                ino->ops[i].limbo = 1;
            return NQ_EIO;
        }
    }

    uint8_t *sectors = NULL;
    for (size_t i = 0; i < ino->nops; i++) {
        fv_op *op = &ino->ops[i];
        if (!op->limbo) {
            op_land(&ino->durable, op, NULL);
            continue;
        }
        /* what of a failed writeback reached the disk is anyone's guess */
        size_t np = op_pieces(op);
        if (np) {
            uint8_t *s = realloc(sectors, np);
            if (!s) {
                free(sectors);
                return NQ_ENOMEM;
            }
            sectors = s;
            if (op_tear(&fv->rng, op, sectors) >= 0)
                op_land(&ino->durable, op, sectors);
        } else if (nq_rng_below(&fv->rng, 2)) {
            op_land(&ino->durable, op, NULL);
        }
    }
    free(sectors);
    inode_drop_ops(ino);
    return 0;
}

static int fv_truncate(nq_file *f, uint64_t size)
{
    if (!handle_ok(f))
        return NQ_EIO;
    if (f->readonly)
        return NQ_EREADONLY;
    faultvfs *fv = f->fv;
    int rc = enter_mutating(fv, FV_CALL_TRUNCATE);
    if (rc)
        return rc;
    fv->counts.truncates++;
    if (buf_resize(&f->ino->live, size) || inode_push_op(f->ino, OP_TRUNC, size, NULL, 0))
        return NQ_ENOMEM;
    return 0;
}

static int fv_size(nq_file *f, uint64_t *out)
{
    if (!handle_ok(f))
        return NQ_EIO;
    f->fv->counts.sizes++;
    *out = f->ino->live.len;
    return 0;
}

static int fv_lock(nq_file *f)
{
    if (!handle_ok(f))
        return NQ_EIO;
    f->fv->counts.locks++;
    if (f->ino->locker && f->ino->locker != f)
        return NQ_ELOCKED;
    f->ino->locker = f;
    return 0;
}

static int fv_unlock(nq_file *f)
{
    if (!handle_ok(f))
        return NQ_EIO;
    if (f->ino->locker == f)
        f->ino->locker = NULL;
    return 0;
}

static int fv_remove(nq_vfs *vfs, const char *path)
{
    faultvfs *fv = fv_of(vfs);
    if (fv->dead)
        return NQ_EIO;
    fv_dirent *e = dir_find(&fv->live, path);
    if (!e)
        return NQ_ENOTFOUND;
    int rc = enter_mutating(fv, FV_CALL_REMOVE);
    if (rc)
        return rc;
    fv->counts.removes++;
    fv_inode *ino = e->ino;
    dir_unset(&fv->live, path);
    return dirop_push(fv, DOP_REMOVE, path, ino);
}

/* rename(2): the live directory changes at once; the durable one, atomically, at a sync_dir
 * of either directory (or not at all if a crash comes first and drops it). */
static int fv_rename(nq_vfs *vfs, const char *from, const char *to)
{
    faultvfs *fv = fv_of(vfs);
    if (fv->dead)
        return NQ_EIO;
    fv_dirent *e = dir_find(&fv->live, from);
    if (!e)
        return NQ_ENOTFOUND;
    int rc = enter_mutating(fv, FV_CALL_RENAME);
    if (rc)
        return rc;
    fv->counts.renames++;
    fv_inode *ino = e->ino;
    dir_unset(&fv->live, from);
    if (dir_set(&fv->live, to, ino))
        return NQ_ENOMEM;
    return dirop_push_from(fv, DOP_RENAME, to, ino, from);
}

static int fv_exists(nq_vfs *vfs, const char *path)
{
    faultvfs *fv = fv_of(vfs);
    if (fv->dead)
        return NQ_EIO;
    return dir_find(&fv->live, path) != NULL;
}

static int fv_sync_dir(nq_vfs *vfs, const char *path)
{
    faultvfs *fv = fv_of(vfs);
    int rc = enter_mutating(fv, FV_CALL_SYNC_DIR);
    if (rc)
        return rc;
    fv->counts.sync_dirs++;
    size_t keep = 0;
    for (size_t i = 0; i < fv->ndops; i++) {
        fv_dirop *op = &fv->dops[i];
        if (same_dir(op->path, path) || (op->from && same_dir(op->from, path))) {
            dirop_apply(&fv->durable, op);
            free(op->path);
            free(op->from);
        } else {
            fv->dops[keep++] = *op;
        }
    }
    fv->ndops = keep;
    return 0;
}

/* Names of the live directory whose directory part is dir (the log archive lists its
 * segments with this). Names are copied first: fn may create or remove files. */
static int fv_list(nq_vfs *vfs, const char *dir, int (*fn)(void *arg, const char *name),
                   void *arg)
{
    faultvfs *fv = fv_of(vfs);
    if (fv->dead)
        return NQ_EIO;
    size_t dl = strlen(dir);
    char **names = calloc(fv->live.n + 1, sizeof *names);
    if (!names)
        return NQ_ENOMEM;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < fv->live.n && !rc; i++) {
        const char *p = fv->live.e[i].path;
        if (strncmp(p, dir, dl) || p[dl] != '/' || strchr(p + dl + 1, '/'))
            continue;
        if (!(names[n++] = strdup(p + dl + 1)))
            rc = NQ_ENOMEM;
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = fn(arg, names[i]);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ---- life cycle ---------------------------------------------------------------------------- */
void faultvfs_disarm(faultvfs *fv)
{
    fv->crash_at = 0;
    fv->sync_fail_n = fv->sync_seen = 0;
    fv->sync_fail_forever = 0;
    free(fv->sync_suffix);
    fv->sync_suffix = NULL;
    fv->write_budget = UINT64_MAX;
    fv->capacity = UINT64_MAX;
    fv->wfail_n = fv->wfail_seen = 0;
    fv->wfail_forever = fv->wfail_short = 0;
}

faultvfs *faultvfs_new(uint64_t seed)
{
    faultvfs *fv = calloc(1, sizeof *fv);
    if (!fv)
        return NULL;
    fv->vfs = (nq_vfs){
        .name = "faultvfs",
        .ctx = fv,
        .open = fv_open,
        .close = fv_close,
        .read = fv_read,
        .write = fv_write,
        .sync = fv_sync,
        .truncate = fv_truncate,
        .size = fv_size,
        .lock = fv_lock,
        .unlock = fv_unlock,
        .remove = fv_remove,
        .exists = fv_exists,
        .sync_dir = fv_sync_dir,
        .rename = fv_rename,
        .list = fv_list,
    };
    nq_rng_seed(&fv->rng, seed);
    fv->gen = 1;
    faultvfs_disarm(fv);
    return fv;
}

static void dirops_clear(faultvfs *fv)
{
    for (size_t i = 0; i < fv->ndops; i++) {
        free(fv->dops[i].path);
        free(fv->dops[i].from);
    }
    fv->ndops = 0;
}

void faultvfs_free(faultvfs *fv)
{
    if (!fv)
        return;
    for (size_t i = 0; i < fv->ninodes; i++)
        inode_free(fv->inodes[i]);
    free(fv->inodes);
    dir_clear(&fv->live);
    dir_clear(&fv->durable);
    free(fv->live.e);
    free(fv->durable.e);
    dirops_clear(fv);
    free(fv->dops);
    free(fv->sync_suffix);
    free(fv->calls);
    free(fv);
}

nq_vfs *faultvfs_vfs(faultvfs *fv) { return &fv->vfs; }

int faultvfs_dead(const faultvfs *fv) { return fv->dead; }

static fv_inode *map_inode(const faultvfs *from, faultvfs *to, const fv_inode *ino)
{
    for (size_t i = 0; i < from->ninodes; i++)
        if (from->inodes[i] == ino)
            return to->inodes[i];
    return NULL;
}

faultvfs *faultvfs_clone(const faultvfs *src, uint64_t seed)
{
    faultvfs *fv = faultvfs_new(seed);
    if (!fv)
        return NULL;
    for (size_t i = 0; i < src->ninodes; i++) {
        const fv_inode *s = src->inodes[i];
        fv_inode *d = inode_new(fv);
        if (!d || buf_copy(&d->live, &s->live) || buf_copy(&d->durable, &s->durable))
            goto oom;
        for (size_t j = 0; j < s->nops; j++) {
            const fv_op *op = &s->ops[j];
            if (inode_push_op(d, op->kind, op->off, op->data, op->len))
                goto oom;
            d->ops[d->nops - 1].limbo = op->limbo;
        }
    }
    for (size_t i = 0; i < src->live.n; i++)
        if (dir_set(&fv->live, src->live.e[i].path, map_inode(src, fv, src->live.e[i].ino)))
            goto oom;
    for (size_t i = 0; i < src->durable.n; i++)
        if (dir_set(&fv->durable, src->durable.e[i].path,
                    map_inode(src, fv, src->durable.e[i].ino)))
            goto oom;
    for (size_t i = 0; i < src->ndops; i++)
        if (dirop_push_from(fv, src->dops[i].kind, src->dops[i].path,
                            map_inode(src, fv, src->dops[i].ino), src->dops[i].from))
            goto oom;
    fv->dead = src->dead;
    fv->counts = src->counts;
    return fv;
oom:
    faultvfs_free(fv);
    return NULL;
}

/* ---- the crash ------------------------------------------------------------------------------ */
static void crash_inode(fv_inode *ino, nq_rng *rng, int mode, faultvfs_crash_report *rep)
{
    size_t n = ino->nops;
    rep->ops_pending += n;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    uint8_t *land = malloc(n ? n : 1);
    if (!order || !land) {
        free(order);
        free(land);
        n = 0; /* out of memory in a test helper: lose everything unsynced, still a legal crash */
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* three in four crashes of a file reorder when allowed; the rest keep issue order, the
     * shape a disk without a reordering cache gives */
    if ((mode & FV_CRASH_REORDER) && n > 1 && nq_rng_below(rng, 4) != 0)
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)nq_rng_below(rng, i + 1);
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }

    /* Which operations land. Styles: a prefix (of the landing order) with the first one beyond
     * it possibly torn; each independently with a per-crash probability; or all. */
    int style = (mode & FV_CRASH_DROP) ? (int)nq_rng_below(rng, 3) : 2;
    size_t cut = style == 0 ? (size_t)nq_rng_below(rng, n + 1) : n;
    double keep_p = style == 1 ? nq_rng_double(rng) : 1.0;
    for (size_t k = 0; k < n; k++) {
        if (style == 0)
            land[k] = k < cut ? 1 : (k == cut ? 2 : 0); /* 2 = the write in flight */
        else if (style == 1)
            land[k] = nq_rng_double(rng) < keep_p;
        else
            land[k] = 1;
    }

    uint8_t *sectors = NULL;
    size_t min_after = SIZE_MAX; /* for counting reorders: smallest issue index landed later */
    size_t *landed_idx = malloc((n ? n : 1) * sizeof *landed_idx);
    size_t nlanded = 0;
    for (size_t k = 0; k < n; k++) {
        fv_op *op = &ino->ops[order[k]];
        int how = land[k]; /* 0 drop, 1 whole, 2 only if torn */
        if (how == 2 && !(mode & FV_CRASH_TEAR))
            how = 0;
        int torn = 0;
        size_t np = op_pieces(op);
        if (how && (mode & FV_CRASH_TEAR) && np > 0 && (how == 2 || nq_rng_below(rng, 4) == 0)) {
            uint8_t *s = realloc(sectors, np);
            if (s) {
                sectors = s;
                int t = op_tear(rng, op, sectors);
                if (t < 0)
                    how = 0;
                else if (t > 0)
                    torn = 1;
                else if (how == 2)
                    how = 1;
            } else {
                how = how == 2 ? 0 : how;
            }
        } else if (how == 2) {
            how = 0;
        }
        if (!how) {
            rep->ops_dropped++;
            continue;
        }
        op_land(&ino->durable, op, torn ? sectors : NULL);
        if (torn)
            rep->ops_torn++;
        else
            rep->ops_applied++;
        if (landed_idx)
            landed_idx[nlanded++] = order[k];
    }
    for (size_t k = nlanded; k-- > 0;) {
        if (landed_idx[k] > min_after)
            rep->ops_reordered++;
        if (landed_idx[k] < min_after)
            min_after = landed_idx[k];
    }
    free(landed_idx);
    free(sectors);
    free(order);
    free(land);
    inode_drop_ops(ino);
}

void faultvfs_crash(faultvfs *fv, uint64_t seed, int mode, faultvfs_crash_report *report)
{
    faultvfs_crash_report rep;
    memset(&rep, 0, sizeof rep);
    nq_rng rng;
    nq_rng_seed(&rng, seed);

    for (size_t i = 0; i < fv->ninodes; i++)
        crash_inode(fv->inodes[i], &rng, mode, &rep);

    rep.dir_pending = fv->ndops;
    for (size_t i = 0; i < fv->ndops; i++) {
        if ((mode & FV_CRASH_DIR) && nq_rng_below(&rng, 2)) {
            rep.dir_lost++;
            continue;
        }
        dirop_apply(&fv->durable, &fv->dops[i]);
        rep.dir_kept++;
    }
    dirops_clear(fv);
    (void)dir_copy(&fv->live, &fv->durable);

    /* collect inodes no name reaches; no handle can use them any more */
    size_t keep = 0;
    for (size_t i = 0; i < fv->ninodes; i++)
        fv->inodes[i]->reachable = 0;
    for (size_t i = 0; i < fv->durable.n; i++)
        fv->durable.e[i].ino->reachable = 1;
    for (size_t i = 0; i < fv->ninodes; i++) {
        fv_inode *ino = fv->inodes[i];
        if (!ino->reachable) {
            inode_free(ino);
            continue;
        }
        (void)buf_copy(&ino->live, &ino->durable);
        ino->locker = NULL;
        fv->inodes[keep++] = ino;
    }
    fv->ninodes = keep;

    fv->gen++;
    fv->dead = 0;
    faultvfs_disarm(fv);
    if (report)
        *report = rep;
}

/* ---- fault injection ------------------------------------------------------------------------ */
void faultvfs_crash_at(faultvfs *fv, uint64_t n) { fv->crash_at = n ? fv->counts.mutating + n : 0; }

void faultvfs_fail_sync(faultvfs *fv, uint64_t n, int forever, const char *path_suffix)
{
    fv->sync_fail_n = n;
    fv->sync_seen = 0;
    fv->sync_fail_forever = forever;
    free(fv->sync_suffix);
    fv->sync_suffix = path_suffix ? strdup(path_suffix) : NULL;
}

void faultvfs_set_write_budget(faultvfs *fv, uint64_t bytes) { fv->write_budget = bytes; }

void faultvfs_set_capacity(faultvfs *fv, uint64_t bytes) { fv->capacity = bytes; }

void faultvfs_fail_write(faultvfs *fv, uint64_t n, int forever, int short_write)
{
    fv->wfail_n = n;
    fv->wfail_seen = 0;
    fv->wfail_forever = forever;
    fv->wfail_short = short_write;
}

void faultvfs_get_counts(const faultvfs *fv, faultvfs_counts *out) { *out = fv->counts; }

void faultvfs_reset_counts(faultvfs *fv)
{
    /* an armed crash point is relative to the counter: keep its distance */
    uint64_t left = fv->crash_at ? fv->crash_at - fv->counts.mutating : 0;
    memset(&fv->counts, 0, sizeof fv->counts);
    fv->crash_at = left;
    fv->ncalls = 0;
}

size_t faultvfs_call_log(const faultvfs *fv, const uint8_t **kinds)
{
    *kinds = fv->calls;
    return fv->ncalls;
}

/* ---- direct access -------------------------------------------------------------------------- */
int faultvfs_exists(const faultvfs *fv, const char *path) { return dir_find(&fv->live, path) != NULL; }

int faultvfs_read_file(const faultvfs *fv, const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    fv_dirent *e = dir_find(&fv->live, path);
    if (!e)
        return NQ_ENOTFOUND;
    const fv_buf *b = &e->ino->live;
    uint8_t *d = malloc(b->len ? (size_t)b->len : 1);
    if (!d)
        return NQ_ENOMEM;
    if (b->len)
        memcpy(d, b->d, (size_t)b->len);
    *data = d;
    *len = (size_t)b->len;
    return 0;
}

int faultvfs_write_file(faultvfs *fv, const char *path, const void *data, size_t len)
{
    fv_dirent *e = dir_find(&fv->live, path);
    fv_inode *ino = e ? e->ino : inode_new(fv);
    if (!ino)
        return NQ_ENOMEM;
    inode_drop_ops(ino);
    ino->live.len = ino->durable.len = 0;
    if (buf_write(&ino->live, 0, data, len) || buf_write(&ino->durable, 0, data, len))
        return NQ_ENOMEM;
    if (dir_set(&fv->live, path, ino) || dir_set(&fv->durable, path, ino))
        return NQ_ENOMEM;
    return 0;
}

int faultvfs_truncate_file(faultvfs *fv, const char *path, uint64_t len)
{
    fv_dirent *e = dir_find(&fv->live, path);
    if (!e)
        return NQ_ENOTFOUND;
    if (buf_resize(&e->ino->live, len) || buf_resize(&e->ino->durable, len))
        return NQ_ENOMEM;
    return 0;
}

int faultvfs_flip_bit(faultvfs *fv, const char *path, uint64_t offset, int bit)
{
    fv_dirent *e = dir_find(&fv->live, path);
    if (!e)
        return NQ_ENOTFOUND;
    if (bit < 0 || bit > 7 || offset >= e->ino->live.len)
        return NQ_EINVAL;
    e->ino->live.d[offset] ^= (uint8_t)(1u << bit);
    if (offset < e->ino->durable.len)
        e->ino->durable.d[offset] ^= (uint8_t)(1u << bit);
    return 0;
}

int faultvfs_remove_file(faultvfs *fv, const char *path)
{
    if (!dir_find(&fv->live, path))
        return NQ_ENOTFOUND;
    dir_unset(&fv->live, path);
    dir_unset(&fv->durable, path);
    size_t keep = 0;
    for (size_t i = 0; i < fv->ndops; i++) {
        if (strcmp(fv->dops[i].path, path) == 0)
            free(fv->dops[i].path);
        else
            fv->dops[keep++] = fv->dops[i];
    }
    fv->ndops = keep;
    return 0;
}

int64_t faultvfs_file_size(const faultvfs *fv, const char *path)
{
    fv_dirent *e = dir_find(&fv->live, path);
    return e ? (int64_t)e->ino->live.len : NQ_ENOTFOUND;
}

size_t faultvfs_list(const faultvfs *fv, const char **names, size_t max)
{
    for (size_t i = 0; i < fv->live.n && i < max; i++)
        names[i] = fv->live.e[i].path;
    return fv->live.n;
}

size_t faultvfs_pending_ops(const faultvfs *fv, const char *path)
{
    size_t n = 0;
    if (!path) {
        for (size_t i = 0; i < fv->ninodes; i++)
            n += fv->inodes[i]->nops;
        return n;
    }
    fv_dirent *e = dir_find(&fv->live, path);
    return e ? e->ino->nops : 0;
}
