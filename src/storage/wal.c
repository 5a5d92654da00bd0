/*
 * wal.c — the write-ahead log (format and recovery rules in wal.h).
 *
 * The index maps page number -> ascending array of frame numbers, in an open-addressing hash
 * table guarded by a reader-writer lock: readers on many threads look pages up while the
 * single writer adds frames after its commit. Lookups take "latest frame <= mx" by binary
 * search, which is how a reader sees exactly its snapshot.
 */
#include "wal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/crc32c.h"
#include "../base/endian.h"
#include "../base/rand.h"
#include "pager.h"
#include "pagexform.h"

static const uint8_t WAL_MAGIC[8] = {'N', 'Q', 'W', 'A', 'L', '\r', '\n', 0x1a};
#define WAL_VERSION 1

typedef struct widx_entry {
    uint32_t pgno; /* 0 = empty slot */
    uint32_t n, cap;
    uint32_t *frames;
} widx_entry;

struct wal {
    nq_vfs *vfs;
    nq_file *f;
    char *path;
    uint32_t page_size;
    uint32_t salt1, salt2, ckpt;
    int read_only, sync_off;
    uint8_t *scratch; /* frame header + page, for single-write frames */
    pthread_rwlock_t lock;
    widx_entry *tab;
    size_t tab_cap, tab_used;
    /* figures for nq_get_stats: written by the writer / sync leader, read by any thread */
    _Atomic uint64_t st_bytes, st_fsyncs, st_fsync_ns;
    _Atomic uint64_t st_fsync_hist[NQ_FSYNC_BUCKETS];
};

static const uint64_t fsync_bounds_us[NQ_FSYNC_BUCKETS - 1] = NQ_FSYNC_BOUNDS_US;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Every fsync of the log goes through here, so its duration lands in the histogram. */
static int timed_sync(wal *w)
{
    uint64_t t0 = mono_ns();
    int rc = w->vfs->sync(w->f);
    uint64_t ns = mono_ns() - t0;
    size_t b = 0;
    while (b < NQ_FSYNC_BUCKETS - 1 && ns > fsync_bounds_us[b] * 1000u)
        b++;
    atomic_fetch_add_explicit(&w->st_fsync_hist[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->st_fsync_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->st_fsyncs, 1, memory_order_relaxed);
    return rc;
}

static void count_bytes(wal *w, uint64_t n)
{
    atomic_fetch_add_explicit(&w->st_bytes, n, memory_order_relaxed);
}

void wal_get_stats(wal *w, wal_stats *out)
{
    out->bytes_written = atomic_load_explicit(&w->st_bytes, memory_order_relaxed);
    out->fsyncs = atomic_load_explicit(&w->st_fsyncs, memory_order_relaxed);
    out->fsync_ns = atomic_load_explicit(&w->st_fsync_ns, memory_order_relaxed);
    for (size_t i = 0; i < NQ_FSYNC_BUCKETS; i++)
        out->fsync_hist[i] = atomic_load_explicit(&w->st_fsync_hist[i], memory_order_relaxed);
}

static uint64_t frame_off(const wal *w, uint32_t fno)
{
    return WAL_HEADER_SIZE + (uint64_t)(fno - 1) * (WAL_FRAME_HEADER + w->page_size);
}

static void encode_header(const wal *w, uint8_t *h)
{
    memset(h, 0, WAL_HEADER_SIZE);
    memcpy(h, WAL_MAGIC, 8);
    put_u32(h + 8, WAL_VERSION);
    put_u32(h + 12, w->page_size);
    put_u32(h + 16, w->ckpt);
    put_u32(h + 20, w->salt1);
    put_u32(h + 24, w->salt2);
    put_u32(h + 28, crc32c(0, h, 28));
}

static int write_header(wal *w, nq_err *err)
{
    uint8_t h[WAL_HEADER_SIZE];
    encode_header(w, h);
    int rc = w->vfs->write(w->f, h, sizeof h, 0);
    if (rc)
        return nq_err_set(err, rc, "%s: writing log header: %s", w->path, nq_strerror(rc));
    count_bytes(w, sizeof h);
    if (!w->sync_off && (rc = timed_sync(w)))
        return nq_err_set(err, rc, "%s: syncing log header: %s", w->path, nq_strerror(rc));
    return 0;
}

static void index_clear(wal *w)
{
    for (size_t i = 0; i < w->tab_cap; i++)
        free(w->tab[i].frames);
    if (w->tab)
        memset(w->tab, 0, w->tab_cap * sizeof *w->tab);
    w->tab_used = 0;
}

static inline size_t slot_of(uint32_t pgno, size_t cap)
{
    return (size_t)((pgno * 0x9E3779B1u) >> 7) & (cap - 1);
}

static widx_entry *index_lookup(wal *w, uint32_t pgno)
{
    if (!w->tab_used)
        return NULL;
    for (size_t i = slot_of(pgno, w->tab_cap);; i = (i + 1) & (w->tab_cap - 1)) {
        if (w->tab[i].pgno == pgno)
            return &w->tab[i];
        if (w->tab[i].pgno == 0)
            return NULL;
    }
}

static int index_grow(wal *w)
{
    size_t ncap = w->tab_cap ? w->tab_cap * 2 : 1024;
    widx_entry *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return NQ_ENOMEM;
    for (size_t i = 0; i < w->tab_cap; i++) {
        if (!w->tab[i].pgno)
            continue;
        size_t j = slot_of(w->tab[i].pgno, ncap);
        while (nt[j].pgno)
            j = (j + 1) & (ncap - 1);
        nt[j] = w->tab[i];
    }
    free(w->tab);
    w->tab = nt;
    w->tab_cap = ncap;
    return 0;
}

static int index_add_locked(wal *w, uint32_t pgno, uint32_t fno)
{
    if ((w->tab_used + 1) * 4 > w->tab_cap * 3) {
        int rc = index_grow(w);
        if (rc)
            return rc;
    }
    size_t i = slot_of(pgno, w->tab_cap);
    while (w->tab[i].pgno && w->tab[i].pgno != pgno)
        i = (i + 1) & (w->tab_cap - 1);
    widx_entry *e = &w->tab[i];
    if (!e->pgno) {
        e->pgno = pgno;
        w->tab_used++;
    }
    if (e->n && e->frames[e->n - 1] >= fno) {
        /* a rewrite of the same frame (never lower): nothing to add */
        if (e->frames[e->n - 1] == fno)
            return 0;
        return NQ_ERROR;
    }
    if (e->n == e->cap) {
        uint32_t nc = e->cap ? e->cap * 2 : 2;
        uint32_t *nf = realloc(e->frames, nc * sizeof *nf);
        if (!nf)
            return NQ_ENOMEM;
        e->frames = nf;
        e->cap = nc;
    }
    e->frames[e->n++] = fno;
    return 0;
}

int wal_index_add(wal *w, uint32_t pgno, uint32_t fno)
{
    pthread_rwlock_wrlock(&w->lock);
    int rc = index_add_locked(w, pgno, fno);
    pthread_rwlock_unlock(&w->lock);
    return rc;
}

uint32_t wal_find(wal *w, uint32_t pgno, uint32_t mx)
{
    if (mx == 0)
        return 0;
    uint32_t found = 0;
    pthread_rwlock_rdlock(&w->lock);
    widx_entry *e = index_lookup(w, pgno);
    if (e && e->n) {
        /* largest frame <= mx */
        uint32_t lo = 0, hi = e->n;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (e->frames[mid] <= mx)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo)
            found = e->frames[lo - 1];
    }
    pthread_rwlock_unlock(&w->lock);
    return found;
}

static int cmp_u32pair(const void *a, const void *b)
{
    uint32_t x = ((const uint32_t *)a)[0], y = ((const uint32_t *)b)[0];
    return x < y ? -1 : x > y;
}

int wal_foreach_latest(wal *w, uint32_t mx, int (*fn)(void *arg, uint32_t pgno, uint32_t fno),
                       void *arg)
{
    pthread_rwlock_rdlock(&w->lock);
    uint32_t *pairs = malloc((w->tab_used + 1) * 2 * sizeof *pairs);
    if (!pairs) {
        pthread_rwlock_unlock(&w->lock);
        return NQ_ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < w->tab_cap; i++) {
        widx_entry *e = &w->tab[i];
        if (!e->pgno)
            continue;
        uint32_t best = 0;
        for (uint32_t k = e->n; k-- > 0;)
            if (e->frames[k] <= mx) {
                best = e->frames[k];
                break;
            }
        if (best) {
            pairs[2 * n] = e->pgno;
            pairs[2 * n + 1] = best;
            n++;
        }
    }
    pthread_rwlock_unlock(&w->lock);
    qsort(pairs, n, 2 * sizeof *pairs, cmp_u32pair);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = fn(arg, pairs[2 * i], pairs[2 * i + 1]);
    free(pairs);
    return rc;
}

static int new_salts(wal *w)
{
    uint32_t r;
    int rc = nq_os_random(&r, sizeof r);
    if (rc)
        return rc;
    w->salt1 = r;
    w->salt2 = w->salt2 + 1;
    return 0;
}

/* Parse a header; returns 1 if valid. */
static int parse_header(wal *w, const uint8_t *h)
{
    if (memcmp(h, WAL_MAGIC, 8) != 0 || get_u32(h + 8) != WAL_VERSION)
        return 0;
    if (crc32c(0, h, 28) != get_u32(h + 28))
        return 0;
    uint32_t ps = get_u32(h + 12);
    if (ps < 1024 || ps > 65536 || (ps & (ps - 1)))
        return 0;
    w->page_size = ps;
    w->ckpt = get_u32(h + 16);
    w->salt1 = get_u32(h + 20);
    w->salt2 = get_u32(h + 24);
    return 1;
}

/* The frame CRC covers the 28 header bytes and the page's own checksum (its last 4 bytes),
 * which the writer has just computed over the whole image (page_seal), so each page is
 * checksummed once on the way out and once on the way back (page_verify in frame_ok), not
 * twice. Taking the checksum value, not the image, is enough to bind the frame to the
 * content: a different image has a different page checksum (and a torn one fails
 * page_verify). What must not be done is a CRC over the image *followed by* its own CRC:
 * CRC is affine, so that is a constant for every sealed image, and all versions of a page
 * would share one frame CRC (the power-loss test found that in an earlier version). */
uint32_t wal_frame_crc(uint32_t page_size, const uint8_t *hdr, const uint8_t *page)
{
    return crc32c(crc32c(0, hdr, 28), page + page_size - 4, 4);
}

static uint32_t frame_crc(const wal *w, const uint8_t *hdr, const uint8_t *page)
{
    return wal_frame_crc(w->page_size, hdr, page);
}

/* Frame validity apart from ordering: salts and CRC. */
static int frame_ok(const wal *w, const uint8_t *fr)
{
    if (get_u32(fr + 16) != w->salt1 || get_u32(fr + 20) != w->salt2 || get_u32(fr) == 0)
        return 0;
    /* The frame's seq must be the one sealed into its image's trailer, and a frame commits
     * exactly when it holds page 1 (the pager writes the header last, as the commit frame,
     * and never spills it): an encrypted database authenticates the image, its number and
     * seq (page_crypt.h), so the clear frame header can neither regroup pages into other
     * transactions nor mark a frame in the middle of one as a commit. */
    if ((get_u32(fr + 4) != 0) != (get_u32(fr) == 1))
        return 0;
    return frame_crc(w, fr, fr + WAL_FRAME_HEADER) == get_u32(fr + 28) &&
           get_u64(fr + 8) == get_u64(fr + WAL_FRAME_HEADER + w->page_size - PAGE_TRAILER) &&
           pagexform_check(fr + WAL_FRAME_HEADER, w->page_size, get_u32(fr)) == 0;
}

/* One step of the commit digest: fold in the next frame's CRC (little-endian). */
static uint32_t digest_add(uint32_t d, uint32_t crc)
{
    uint8_t b[4];
    put_u32(b, crc);
    return crc32c(d, b, 4);
}

static int scan(wal *w, wal_recovery *rec, nq_err *err)
{
    uint64_t size;
    int rc = w->vfs->size(w->f, &size);
    if (rc)
        return nq_err_set(err, rc, "%s: %s", w->path, nq_strerror(rc));
    size_t fsz = WAL_FRAME_HEADER + w->page_size;
    uint64_t nframes = size > WAL_HEADER_SIZE ? (size - WAL_HEADER_SIZE) / fsz : 0;
    if (nframes > UINT32_MAX - 1)
        nframes = UINT32_MAX - 1;
    const size_t batch = 64;
    uint8_t *buf = malloc(batch * fsz);
    if (!buf)
        return NQ_ENOMEM;
    /* pending frames of the transaction being scanned (pgno, fno, crc), indexed at its commit */
    uint32_t *pend = NULL;
    size_t npend = 0, cpend = 0;
    uint64_t last_seq = 0, cur_seq = 0;
    int have_commit = 0, stopped = 0;
    for (uint64_t base = 1; base <= nframes && !rc; base += batch) {
        size_t cnt = (size_t)((nframes - base + 1) < batch ? (nframes - base + 1) : batch);
        ssize_t got = w->vfs->read(w->f, buf, cnt * fsz, frame_off(w, (uint32_t)base));
        if (got < 0) {
            rc = nq_err_set(err, (int)got, "%s: reading log: %s", w->path, nq_strerror((int)got));
            break;
        }
        size_t want = cnt;
        cnt = (size_t)got / fsz;
        for (size_t i = 0; i < cnt && !rc; i++) {
            const uint8_t *fr = buf + i * fsz;
            if (!frame_ok(w, fr)) {
                stopped = 1;
                continue;
            }
            uint64_t seq = get_u64(fr + 8);
            if (seq > rec->max_seq)
                rec->max_seq = seq;
            if (stopped)
                continue; /* keep reading only to learn the highest seq in the file */
            if (npend == 0) {
                if (have_commit && seq <= last_seq) {
                    stopped = 1;
                    continue;
                }
                cur_seq = seq;
            } else if (seq != cur_seq) {
                stopped = 1;
                continue;
            }
            if (npend == cpend) {
                size_t nc = cpend ? cpend * 2 : 256;
                uint32_t *np = realloc(pend, nc * 3 * sizeof *np);
                if (!np) {
                    rc = NQ_ENOMEM;
                    break;
                }
                pend = np;
                cpend = nc;
            }
            uint32_t fno = (uint32_t)(base + i);
            pend[3 * npend] = get_u32(fr);
            pend[3 * npend + 1] = fno;
            pend[3 * npend + 2] = get_u32(fr + 28);
            npend++;
            uint32_t commit_pages = get_u32(fr + 4);
            if (!commit_pages)
                continue;
            /* the digest of the frames before the commit frame must match */
            uint32_t d = 0;
            for (size_t k = 0; k + 1 < npend; k++)
                d = digest_add(d, pend[3 * k + 2]);
            if (d != get_u32(fr + 24)) {
                stopped = 1;
                continue;
            }
            for (size_t k = 0; k < npend && !rc; k++) {
                rc = index_add_locked(w, pend[3 * k], pend[3 * k + 1]);
                if (pend[3 * k] > rec->max_pgno)
                    rec->max_pgno = pend[3 * k];
            }
            npend = 0;
            have_commit = 1;
            last_seq = seq;
            rec->mx = fno;
            rec->commit_pages = commit_pages;
        }
        if (cnt < want)
            break;
    }
    free(pend);
    free(buf);
    return rc;
}

int wal_open(nq_vfs *vfs, const char *path, uint32_t page_size, int read_only, int sync_off,
             wal **out, wal_recovery *rec, nq_err *err)
{
    *out = NULL;
    memset(rec, 0, sizeof *rec);
    wal *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return NQ_ENOMEM;
    }
    w->vfs = vfs;
    w->read_only = read_only;
    w->sync_off = sync_off;
    pthread_rwlock_init(&w->lock, NULL);
    int existed = vfs->exists(vfs, path);
    int rc = existed < 0 ? existed : 0;
    if (!rc) {
        if (!existed && read_only)
            rc = NQ_ENOTFOUND;
        else
            rc = vfs->open(vfs, path, read_only ? NQ_OPEN_READONLY : NQ_OPEN_CREATE, &w->f);
    }
    if (rc == NQ_ENOTFOUND && read_only) {
        /* read-only and no log: an empty log */
        w->page_size = page_size;
        *out = w;
        return 0;
    }
    if (rc) {
        nq_err_set(err, rc, "%s: cannot open log: %s", path, nq_strerror(rc));
        wal_close(w);
        return rc;
    }
    uint8_t h[WAL_HEADER_SIZE];
    ssize_t got = vfs->read(w->f, h, sizeof h, 0);
    if (got < 0) {
        rc = nq_err_set(err, (int)got, "%s: %s", path, nq_strerror((int)got));
        wal_close(w);
        return rc;
    }
    int valid = got == WAL_HEADER_SIZE && parse_header(w, h);
    if (valid && page_size && w->page_size != page_size) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: log page size %u differs from database page size %u",
                        path, w->page_size, page_size);
        wal_close(w);
        return rc;
    }
    if (valid) {
        rec->page_size = w->page_size;
        rc = scan(w, rec, err);
    } else {
        /* No valid header: a new log, or one whose restart was torn (its frames were all
         * checkpointed before the restart began, so nothing is lost). */
        w->page_size = page_size;
        w->salt2 = 0;
        if (!read_only && page_size) {
            rc = new_salts(w);
            if (!rc)
                rc = write_header(w, err);
            if (!rc && !existed && !sync_off)
                rc = vfs->sync_dir(vfs, path);
        }
    }
    if (rc) {
        wal_close(w);
        return rc;
    }
    if (w->page_size) {
        w->scratch = malloc(WAL_FRAME_HEADER + w->page_size);
        if (!w->scratch) {
            wal_close(w);
            return NQ_ENOMEM;
        }
    }
    *out = w;
    return 0;
}

int wal_set_page_size(wal *w, uint32_t page_size, nq_err *err)
{
    if (w->page_size == page_size && w->scratch)
        return 0;
    w->page_size = page_size;
    free(w->scratch);
    w->scratch = malloc(WAL_FRAME_HEADER + page_size);
    if (!w->scratch)
        return NQ_ENOMEM;
    if (w->read_only || !w->f)
        return 0;
    int rc = new_salts(w);
    if (!rc)
        rc = write_header(w, err);
    if (!rc && !w->sync_off)
        rc = w->vfs->sync_dir(w->vfs, w->path);
    return rc;
}

void wal_close(wal *w)
{
    if (!w)
        return;
    if (w->f)
        w->vfs->close(w->f);
    index_clear(w);
    free(w->tab);
    free(w->scratch);
    free(w->path);
    pthread_rwlock_destroy(&w->lock);
    free(w);
}

int wal_remove(wal *w)
{
    if (w->f) {
        w->vfs->close(w->f);
        w->f = NULL;
    }
    int rc = w->vfs->remove(w->vfs, w->path);
    if (rc == NQ_ENOTFOUND)
        rc = 0;
    if (!rc && !w->sync_off)
        rc = w->vfs->sync_dir(w->vfs, w->path);
    return rc;
}

int wal_read_page(wal *w, uint32_t fno, uint8_t *buf, nq_err *err)
{
    if (!w->f)
        return nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: no log file", w->path, fno);
    ssize_t got = w->vfs->read(w->f, buf, w->page_size, frame_off(w, fno) + WAL_FRAME_HEADER);
    if (got < 0)
        return nq_err_set(err, (int)got, "%s: frame %u: %s", w->path, fno, nq_strerror((int)got));
    if ((size_t)got != w->page_size)
        return nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: beyond end of log", w->path, fno);
    return 0;
}

int wal_read_frames(wal *w, uint32_t fno, uint32_t n, uint8_t *buf, nq_err *err)
{
    size_t len = (size_t)n * (WAL_FRAME_HEADER + w->page_size);
    if (!w->f)
        return nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: no log file", w->path, fno);
    ssize_t got = w->vfs->read(w->f, buf, len, frame_off(w, fno));
    if (got < 0)
        return nq_err_set(err, (int)got, "%s: frame %u: %s", w->path, fno, nq_strerror((int)got));
    if ((size_t)got != len)
        return nq_err_set(err, NQ_ECORRUPT, "%s: frames %u..%u: beyond end of log", w->path, fno,
                          fno + n - 1);
    return 0;
}

uint32_t wal_page_size(const wal *w) { return w->page_size; }

uint32_t wal_digest(const uint32_t *crcs, size_t n)
{
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++)
        d = digest_add(d, crcs[i]);
    return d;
}

int wal_write_frame(wal *w, uint32_t fno, uint32_t pgno, uint32_t commit_pages, uint64_t seq,
                    uint32_t digest, const uint8_t *page, uint32_t *crc, nq_err *err)
{
    uint8_t *fr = w->scratch;
    put_u32(fr, pgno);
    put_u32(fr + 4, commit_pages);
    put_u64(fr + 8, seq);
    put_u32(fr + 16, w->salt1);
    put_u32(fr + 20, w->salt2);
    put_u32(fr + 24, digest);
    uint32_t c = frame_crc(w, fr, page);
    put_u32(fr + 28, c);
    if (crc)
        *crc = c;
    memcpy(fr + WAL_FRAME_HEADER, page, w->page_size);
    int rc = w->vfs->write(w->f, fr, WAL_FRAME_HEADER + w->page_size, frame_off(w, fno));
    if (rc)
        return nq_err_set(err, rc, "%s: writing frame %u: %s", w->path, fno, nq_strerror(rc));
    count_bytes(w, WAL_FRAME_HEADER + w->page_size);
    return 0;
}

int wal_sync(wal *w, nq_err *err)
{
    if (w->sync_off)
        return 0;
    int rc = timed_sync(w);
    if (rc)
        return nq_err_set(err, rc, "%s: sync failed: %s", w->path, nq_strerror(rc));
    return 0;
}

int wal_reset(wal *w, nq_err *err)
{
    pthread_rwlock_wrlock(&w->lock);
    index_clear(w);
    pthread_rwlock_unlock(&w->lock);
    w->ckpt++;
    int rc = new_salts(w);
    if (rc)
        return nq_err_set(err, rc, "%s: no randomness for new salts", w->path);
    return write_header(w, err);
}

uint32_t wal_checkpoints(const wal *w) { return w->ckpt; }
const char *wal_path(const wal *w) { return w->path; }
