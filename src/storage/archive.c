/*
 * archive.c — writing log segments into the archive, listing them, and reading them back
 * with every check (format and rules in archive.h; docs/backup.md, docs/file-format.md).
 *
 * Writing is one pass over the log: the frames are copied in batches of 64 and hashed as they
 * go; the header (which needs the last sequence number and time) is written at the end, which
 * is why the checksum is SHA3-256 of the frames *followed by* the header. The file is built as
 * "archiving.tmp" in the archive directory (one database per archive directory: the writer
 * role of the database serialises archiving), synced, renamed to its final name and the
 * directory synced: the segment exists whole or not at all. Archiving the same log twice (a
 * crash after the segment was durable but before the log restarted) produces the same name
 * and the same bytes, and the rename replaces the first copy.
 *
 * Reading checks the file's size against the header, the SHA3-256, each frame as recovery
 * would (frame CRC, page checksum, the commit digest), and the transaction order through the
 * headers of the commit frames (meta slot 4 of each names the commit it builds on).
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "../base/crc32c.h"
#include "../base/endian.h"
#include "pager_int.h"
#include "pagexform.h"

static const uint8_t ARC_MAGIC[8] = {'N', 'Q', 'A', 'R', 'C', '\r', '\n', 0x1a};
#define ARC_VERSION 1
#define ARC_BATCH 64
#define ARC_NAME_LEN 47 /* 20 digits, '-', 20 digits, ".nqseg" */

uint64_t archive_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void archive_fmt_time(uint64_t t, char *out, size_t n)
{
    time_t s = (time_t)(t / 1000000u);
    unsigned us = (unsigned)(t % 1000000u);
    struct tm tm;
    gmtime_r(&s, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (us)
        snprintf(out, n, "%s.%06uZ", base, us);
    else
        snprintf(out, n, "%sZ", base);
}

static void seg_name(char *out, size_t n, uint64_t first, uint64_t last)
{
    snprintf(out, n, "%020llu-%020llu.nqseg", (unsigned long long)first,
             (unsigned long long)last);
}

static void encode_header(const arc_seg *s, uint8_t *h)
{
    memset(h, 0, ARC_HEADER);
    memcpy(h, ARC_MAGIC, 8);
    put_u32(h + 8, ARC_VERSION);
    put_u32(h + 12, s->page_size);
    put_u64(h + 16, s->database_id);
    put_u64(h + 24, s->prev_seq);
    put_u64(h + 32, s->first_seq);
    put_u64(h + 40, s->last_seq);
    put_u64(h + 48, s->first_time);
    put_u64(h + 56, s->last_time);
    put_u32(h + 64, s->frames);
    put_u32(h + 68, s->txns);
}

static uint64_t seg_bytes(uint32_t page_size, uint32_t frames)
{
    return ARC_HEADER + (uint64_t)frames * (WAL_FRAME_HEADER + page_size) + ARC_SHA3;
}

/* ---- writing --------------------------------------------------------------------------------- */

int archive_log(nq_vfs *vfs, const char *dir, wal *w, uint32_t mx, int sync_off, arc_seg *out,
                nq_err *err)
{
    uint32_t ps = wal_page_size(w);
    size_t fsz = WAL_FRAME_HEADER + ps;
    char tmp[4096], path[4096];
    if (snprintf(tmp, sizeof tmp, "%s/archiving.tmp", dir) >= (int)sizeof tmp)
        return nq_err_set(err, NQ_EINVAL, "%s: archive path too long", dir);
    if (!vfs->rename)
        return nq_err_set(err, NQ_ENOTSUP, "archive %s: the file-system layer cannot rename", dir);
    arc_seg s;
    memset(&s, 0, sizeof s);
    s.page_size = ps;
    s.frames = mx;
    uint8_t *buf = malloc(ARC_BATCH * fsz);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    nq_file *f = NULL;
    int rc = 0, made = 0;
    if (!buf || !md) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_DigestInit_ex(md, EVP_sha3_256(), NULL) != 1) {
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        goto done;
    }
    if ((rc = vfs->open(vfs, tmp, NQ_OPEN_CREATE, &f))) {
        nq_err_set(err, rc, "%s: cannot create: %s", tmp, nq_strerror(rc));
        goto done;
    }
    made = 1;
    if ((rc = vfs->truncate(f, 0))) {
        nq_err_set(err, rc, "%s: %s", tmp, nq_strerror(rc));
        goto done;
    }
    int in_txn = 0;
    for (uint32_t base = 1; base <= mx && !rc; base += ARC_BATCH) {
        uint32_t cnt = mx - base + 1 < ARC_BATCH ? mx - base + 1 : ARC_BATCH;
        if ((rc = wal_read_frames(w, base, cnt, buf, err)))
            break;
        for (uint32_t i = 0; i < cnt; i++) {
            const uint8_t *fr = buf + (size_t)i * fsz, *img = fr + WAL_FRAME_HEADER;
            uint64_t seq = get_u64(fr + 8);
            if (!s.first_seq)
                s.first_seq = seq;
            in_txn = 1;
            if (!get_u32(fr + 4))
                continue;
            /* a commit frame: page 1, whose header says when and on what it was built */
            uint64_t t = get_u64(img + 40 + 8 * META_COMMIT_TIME);
            if (!s.txns) {
                s.prev_seq = get_u64(img + 40 + 8 * META_PREV_SEQ);
                s.first_time = t;
            }
            s.last_time = t;
            s.last_seq = seq;
            s.database_id = get_u64(img + 40 + 8 * META_DATABASE_ID);
            s.txns++;
            in_txn = 0;
        }
        rc = vfs->write(f, buf, cnt * fsz, ARC_HEADER + (uint64_t)(base - 1) * fsz);
        if (rc) {
            nq_err_set(err, rc, "%s: write failed: %s", tmp, nq_strerror(rc));
            break;
        }
        if (EVP_DigestUpdate(md, buf, cnt * fsz) != 1)
            rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    }
    if (rc)
        goto done;
    if (in_txn || !s.txns) {
        rc = nq_err_set(err, NQ_ERROR, "internal error: log frames 1..%u do not end with a commit",
                        mx);
        goto done;
    }
    uint8_t h[ARC_HEADER], sum[ARC_SHA3];
    unsigned hl = 0;
    encode_header(&s, h);
    if (EVP_DigestUpdate(md, h, sizeof h) != 1 || EVP_DigestFinal_ex(md, sum, &hl) != 1) {
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        goto done;
    }
    if ((rc = vfs->write(f, h, sizeof h, 0)) ||
        (rc = vfs->write(f, sum, sizeof sum, ARC_HEADER + (uint64_t)mx * fsz))) {
        nq_err_set(err, rc, "%s: write failed: %s", tmp, nq_strerror(rc));
        goto done;
    }
    if (!sync_off && (rc = vfs->sync(f))) {
        nq_err_set(err, rc, "%s: sync failed: %s", tmp, nq_strerror(rc));
        goto done;
    }
    vfs->close(f);
    f = NULL;
    seg_name(s.name, sizeof s.name, s.first_seq, s.last_seq);
    snprintf(path, sizeof path, "%s/%s", dir, s.name);
    if ((rc = vfs->rename(vfs, tmp, path))) {
        nq_err_set(err, rc, "%s: cannot rename to %s: %s", tmp, path, nq_strerror(rc));
        goto done;
    }
    made = 0;
    if (!sync_off && (rc = vfs->sync_dir(vfs, path))) {
        nq_err_set(err, rc, "%s: directory sync failed: %s", path, nq_strerror(rc));
        goto done;
    }
    s.bytes = seg_bytes(ps, mx);
    if (out)
        *out = s;
done:
    if (f)
        vfs->close(f);
    if (made)
        vfs->remove(vfs, tmp); /* best effort: a leftover is overwritten next time */
    EVP_MD_CTX_free(md);
    free(buf);
    return rc;
}

/* ---- listing ---------------------------------------------------------------------------------- */

typedef struct list_ctx {
    char **names;
    size_t n, cap;
} list_ctx;

static int collect(void *arg, const char *name)
{
    list_ctx *c = arg;
    if (strlen(name) != ARC_NAME_LEN || strcmp(name + 41, ".nqseg"))
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **a = realloc(c->names, cap * sizeof *a);
        if (!a)
            return NQ_ENOMEM;
        c->names = a;
        c->cap = cap;
    }
    if (!(c->names[c->n] = strdup(name)))
        return NQ_ENOMEM;
    c->n++;
    return 0;
}

static int list_names(nq_vfs *vfs, const char *dir, list_ctx *c)
{
    if (vfs->list)
        return vfs->list(vfs, dir, collect, c);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? NQ_ENOTFOUND : NQ_EIO;
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)))
        rc = collect(c, e->d_name);
    closedir(d);
    return rc;
}

static int parse_u64_digits(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parse and check a segment header against its name and the file size. */
static int check_header(const char *path, const uint8_t *h, uint64_t size, arc_seg *s,
                        nq_err *err)
{
    if (memcmp(h, ARC_MAGIC, 8))
        return nq_err_set(err, NQ_ECORRUPT, "%s: not a log archive segment (bad magic)", path);
    if (get_u32(h + 8) != ARC_VERSION)
        return nq_err_set(err, NQ_ECORRUPT, "%s: segment format version %u (this build reads %u)",
                          path, get_u32(h + 8), ARC_VERSION);
    s->page_size = get_u32(h + 12);
    s->database_id = get_u64(h + 16);
    s->prev_seq = get_u64(h + 24);
    s->first_seq = get_u64(h + 32);
    s->last_seq = get_u64(h + 40);
    s->first_time = get_u64(h + 48);
    s->last_time = get_u64(h + 56);
    s->frames = get_u32(h + 64);
    s->txns = get_u32(h + 68);
    s->bytes = size;
    uint32_t ps = s->page_size;
    const char *why = NULL;
    if (ps < 1024 || ps > 65536 || (ps & (ps - 1)))
        why = "invalid page size";
    else if (!s->txns || s->frames < s->txns || s->first_seq > s->last_seq ||
             s->prev_seq >= s->first_seq || s->first_time > s->last_time || get_u64(h + 72))
        why = "inconsistent header";
    else if (size != seg_bytes(ps, s->frames))
        why = "size does not match its header (truncated or extended)";
    if (why)
        return nq_err_set(err, NQ_ECORRUPT, "%s: %s", path, why);
    return 0;
}

static int cmp_seg(const void *a, const void *b)
{
    const arc_seg *x = a, *y = b;
    return x->first_seq < y->first_seq ? -1 : x->first_seq > y->first_seq;
}

int archive_list(nq_vfs *vfs, const char *dir, arc_seg **out, size_t *n, nq_err *err)
{
    *out = NULL;
    *n = 0;
    list_ctx c = {NULL, 0, 0};
    int rc = list_names(vfs, dir, &c);
    if (rc == NQ_ENOTFOUND)
        nq_err_set(err, rc, "%s: no such archive directory", dir);
    else if (rc)
        nq_err_set(err, rc, "%s: cannot list the archive: %s", dir, nq_strerror(rc));
    arc_seg *segs = rc ? NULL : calloc(c.n ? c.n : 1, sizeof *segs);
    if (!rc && !segs)
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < c.n && !rc; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, c.names[i]);
        arc_seg *s = &segs[i];
        snprintf(s->name, sizeof s->name, "%s", c.names[i]);
        uint64_t first, last;
        if (parse_u64_digits(c.names[i], 20, &first) || c.names[i][20] != '-' ||
            parse_u64_digits(c.names[i] + 21, 20, &last)) {
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: not a segment name", path);
            break;
        }
        nq_file *f = NULL;
        uint8_t h[ARC_HEADER];
        uint64_t size = 0;
        if ((rc = vfs->open(vfs, path, NQ_OPEN_READONLY, &f))) {
            nq_err_set(err, rc, "%s: cannot open: %s", path, nq_strerror(rc));
            break;
        }
        ssize_t got = vfs->read(f, h, sizeof h, 0);
        rc = vfs->size(f, &size);
        vfs->close(f);
        if (rc || got < 0) {
            rc = nq_err_set(err, rc ? rc : (int)got, "%s: %s", path, nq_strerror(rc ? rc : (int)got));
            break;
        }
        if (got != ARC_HEADER) {
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: shorter than a segment header", path);
            break;
        }
        if ((rc = check_header(path, h, size, s, err)))
            break;
        if (s->first_seq != first || s->last_seq != last)
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: its header says commits %llu..%llu", path,
                            (unsigned long long)s->first_seq, (unsigned long long)s->last_seq);
    }
    for (size_t i = 0; i < c.n; i++)
        free(c.names[i]);
    free(c.names);
    if (!rc) {
        qsort(segs, c.n, sizeof *segs, cmp_seg);
        for (size_t i = 1; i < c.n && !rc; i++)
            if (segs[i].first_seq <= segs[i - 1].last_seq)
                rc = nq_err_set(err, NQ_ECORRUPT, "%s/%s and %s/%s overlap (commits %llu..%llu "
                                "and %llu..%llu): the archive holds two histories of a database",
                                dir, segs[i - 1].name, dir, segs[i].name,
                                (unsigned long long)segs[i - 1].first_seq,
                                (unsigned long long)segs[i - 1].last_seq,
                                (unsigned long long)segs[i].first_seq,
                                (unsigned long long)segs[i].last_seq);
    }
    if (rc) {
        free(segs);
        return rc;
    }
    *out = segs;
    *n = c.n;
    return 0;
}

/* ---- reading ---------------------------------------------------------------------------------- */

static uint32_t digest_add(uint32_t d, uint32_t crc)
{
    uint8_t b[4];
    put_u32(b, crc);
    return crc32c(d, b, 4);
}

int archive_scan(nq_vfs *vfs, const char *dir, const arc_seg *s, const arc_scan *cb,
                 nq_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    uint32_t ps = s->page_size;
    size_t fsz = WAL_FRAME_HEADER + ps;
    uint8_t *buf = malloc(ARC_BATCH * fsz);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    nq_file *f = NULL;
    int rc = 0;
    uint8_t h[ARC_HEADER];
    if (!buf || !md) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_DigestInit_ex(md, EVP_sha3_256(), NULL) != 1) {
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        goto done;
    }
    int ex = vfs->exists(vfs, path);
    if (ex <= 0) {
        rc = nq_err_set(err, ex ? ex : NQ_ENOTFOUND, "%s: missing", path);
        goto done;
    }
    if ((rc = vfs->open(vfs, path, NQ_OPEN_READONLY, &f))) {
        nq_err_set(err, rc, "%s: cannot open: %s", path, nq_strerror(rc));
        goto done;
    }
    /* the header again: the file may have changed since it was listed */
    uint64_t size = 0;
    ssize_t got = vfs->read(f, h, sizeof h, 0);
    if ((rc = vfs->size(f, &size)) || got < 0) {
        rc = nq_err_set(err, rc ? rc : (int)got, "%s: %s", path, nq_strerror(rc ? rc : (int)got));
        goto done;
    }
    arc_seg hs;
    memset(&hs, 0, sizeof hs);
    if (got != ARC_HEADER) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: shorter than a segment header", path);
        goto done;
    }
    if ((rc = check_header(path, h, size, &hs, err)))
        goto done;
    memcpy(hs.name, s->name, sizeof hs.name);
    if (hs.first_seq != s->first_seq || hs.last_seq != s->last_seq || hs.frames != s->frames ||
        hs.page_size != ps) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: changed while being read", path);
        goto done;
    }
    uint64_t expect_prev = hs.prev_seq, cur = 0, last_time = 0;
    uint32_t npend = 0, ntx = 0, digest = 0;
    uint64_t first_time = 0;
    for (uint32_t base = 1; base <= hs.frames && !rc; base += ARC_BATCH) {
        uint32_t cnt = hs.frames - base + 1 < ARC_BATCH ? hs.frames - base + 1 : ARC_BATCH;
        got = vfs->read(f, buf, cnt * fsz, ARC_HEADER + (uint64_t)(base - 1) * fsz);
        if (got < 0) {
            rc = nq_err_set(err, (int)got, "%s: %s", path, nq_strerror((int)got));
            break;
        }
        if ((size_t)got != cnt * fsz) {
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: truncated", path);
            break;
        }
        if (EVP_DigestUpdate(md, buf, cnt * fsz) != 1) {
            rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
            break;
        }
        for (uint32_t i = 0; i < cnt && !rc; i++) {
            uint32_t fno = base + i;
            const uint8_t *fr = buf + (size_t)i * fsz, *img = fr + WAL_FRAME_HEADER;
            uint32_t pgno = get_u32(fr), cpages = get_u32(fr + 4), crc = get_u32(fr + 28);
            uint64_t seq = get_u64(fr + 8);
            if (!pgno || wal_frame_crc(ps, fr, img) != crc || pagexform_check(img, ps, pgno)) {
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: checksum mismatch", path, fno);
                break;
            }
            if (npend == 0) {
                if (seq <= expect_prev) {
                    rc = nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: sequence %llu out of order",
                                    path, fno, (unsigned long long)seq);
                    break;
                }
                cur = seq;
            } else if (seq != cur) {
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: sequence %llu inside "
                                "transaction %llu", path, fno, (unsigned long long)seq,
                                (unsigned long long)cur);
                break;
            }
            if (cb && cb->page && seq > cb->from && seq <= cb->upto &&
                (rc = cb->page(cb->arg, pgno, img)))
                break;
            if (!cpages) {
                digest = digest_add(digest, crc);
                npend++;
                continue;
            }
            db_header dh;
            char why[160];
            if (pgno != 1 || digest != get_u32(fr + 24)) {
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: commit frame does not match "
                                "its transaction", path, fno);
                break;
            }
            if (header_decode(img, ps, &dh, why, sizeof why) || dh.seq != seq ||
                dh.page_count != cpages || dh.page_size != ps) {
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: frame %u: commit header is not valid%s%s",
                                path, fno, why[0] ? ": " : "", why);
                break;
            }
            uint64_t prev = dh.meta[META_PREV_SEQ], t = dh.meta[META_COMMIT_TIME];
            if (prev != expect_prev) {
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: transaction %llu builds on commit %llu, "
                                "not on %llu before it", path, (unsigned long long)seq,
                                (unsigned long long)prev, (unsigned long long)expect_prev);
                break;
            }
            if (t < last_time) {
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: transaction %llu: commit time goes back",
                                path, (unsigned long long)seq);
                break;
            }
            if (!ntx)
                first_time = t;
            last_time = t;
            ntx++;
            expect_prev = seq;
            npend = 0;
            digest = 0;
            if (cb && cb->commit &&
                (rc = cb->commit(cb->arg, &hs, seq, prev, t, dh.meta[META_DATABASE_ID], cpages,
                                 img)))
                break;
        }
    }
    if (rc)
        goto done;
    if (npend || ntx != hs.txns || expect_prev != hs.last_seq || first_time != hs.first_time ||
        last_time != hs.last_time) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: its frames do not match its header", path);
        goto done;
    }
    uint8_t want[ARC_SHA3], sum[ARC_SHA3];
    unsigned hl = 0;
    got = vfs->read(f, want, sizeof want, ARC_HEADER + (uint64_t)hs.frames * fsz);
    if (got != ARC_SHA3) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: truncated (no checksum)", path);
        goto done;
    }
    if (EVP_DigestUpdate(md, h, sizeof h) != 1 || EVP_DigestFinal_ex(md, sum, &hl) != 1) {
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        goto done;
    }
    if (memcmp(sum, want, ARC_SHA3))
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: checksum mismatch (SHA3-256)", path);
done:
    if (f)
        vfs->close(f);
    EVP_MD_CTX_free(md);
    free(buf);
    return rc;
}
