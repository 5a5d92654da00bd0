/*
 * restore.c — verifying backups and chains, and rebuilding a database file from them
 * (nq_backup_read, nq_backup_verify, nq_restore; docs/backup.md).
 *
 * Verification of one backup: the manifest parses and its set-sha3 holds; the pagemap (format
 * 2 on) has one entry per page in order and its SHA3-256 is page-map-sha3; the data file
 * (pages.dat, or pages.dat.zst decompressed on the fly) has the size the manifest gives, its
 * SHA3-256 (of the file as stored) matches, a compressed one is one valid zstd frame, its header names this format and page size,
 * and each page image carries its own number, in ascending order, within the page count, with
 * a valid page checksum (CRC-32C seeded by the page number). A chain is a full backup followed
 * by backups each of which names the one before it as parent (same database id, page size,
 * base, and parent-seq equal to the parent's commit-seq).
 *
 * Restore checks the manifests and the chain first, then builds the file under a temporary
 * name, "<target>.restoring", verifying each data file as it reads it (one pass: SHA3-256 is
 * what a restore spends its time on): in chain order, every page of every backup (later ones overwrite earlier versions) except page 1,
 * which it keeps in memory. While writing it records each page's (seq, crc) and at the end
 * checks that every page of the final page count was provided and that the page map's
 * SHA3-256 equals the last manifest's page-map-sha3 — the end-to-end proof that the file is
 * the snapshot. Then it syncs, writes page 1 (the header), syncs again, removes a log left
 * beside the target (it belongs to the database being replaced), and renames the file over
 * the target, which it held locked meanwhile so that no process has it open; then syncs the
 * directory. A restore that fails — a checksum that does not match, at any point — or is
 * interrupted leaves the target as it was (or, past the log's removal, the replaced database
 * without its log) and at most the temporary file, which a failure removes.
 */
#include "backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "../base/endian.h"
#include "pager.h"

#define IN_BUF (1u << 20)

static void join(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

void backup_info_fill(const bk_manifest *m, nq_backup_info *info)
{
    memset(info, 0, sizeof *info);
    info->kind = m->kind;
    snprintf(info->backup_id, sizeof info->backup_id, "%s", m->backup_id);
    snprintf(info->parent_id, sizeof info->parent_id, "%s", m->parent_id);
    snprintf(info->base_id, sizeof info->base_id, "%s", m->base_id);
    snprintf(info->database_id, sizeof info->database_id, "%016llx",
             (unsigned long long)m->database_id);
    snprintf(info->created, sizeof info->created, "%s", m->created);
    info->page_size = m->page_size;
    info->page_count = m->page_count;
    info->pages = m->pages;
    info->commit_seq = m->commit_seq;
    info->data_bytes = m->data_bytes;
    info->compressed = m->zstd;
}

/* A reader of the data file: one page record at a time, hashing every byte it reads from the
 * file (as stored) and, for pages.dat.zst, decompressing on the way. */
typedef struct bk_in {
    nq_vfs *vfs;
    nq_file *f;
    char path[4096];
    const bk_manifest *m;
    uint64_t off;         /* bytes of the file read so far */
    uint8_t *buf;         /* the raw stream */
    size_t have, pos;
    EVP_MD_CTX *md;
    uint32_t last_pgno, nread;
    ZSTD_DCtx *z;         /* NULL: stored as it is */
    uint8_t *zbuf;        /* compressed bytes read from the file */
    size_t zcap, zhave, zpos;
    size_t zlast;         /* last ZSTD_decompressStream result: 0 = a frame just ended */
    nq_err *err;
} bk_in;

static int in_open(bk_in *in, nq_vfs *vfs, const char *dir, const bk_manifest *m, nq_err *err)
{
    memset(in, 0, sizeof *in);
    in->vfs = vfs;
    in->m = m;
    in->err = err;
    join(in->path, sizeof in->path, dir, bk_data_name(m));
    in->buf = malloc(IN_BUF);
    in->md = EVP_MD_CTX_new();
    if (m->zstd) {
        in->z = ZSTD_createDCtx();
        in->zcap = ZSTD_DStreamInSize();
        in->zbuf = malloc(in->zcap);
        in->zlast = 1;
    }
    if (!in->buf || !in->md || (m->zstd && (!in->z || !in->zbuf)))
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    if (EVP_DigestInit_ex(in->md, EVP_sha3_256(), NULL) != 1)
        return nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    int rc = vfs->exists(vfs, in->path);
    if (rc == 0)
        return nq_err_set(err, NQ_ENOTFOUND, "%s: missing", in->path);
    if (rc > 0)
        rc = vfs->open(vfs, in->path, NQ_OPEN_READONLY, &in->f);
    if (rc)
        return nq_err_set(err, rc, "%s: cannot open: %s", in->path, nq_strerror(rc));
    uint64_t size;
    if ((rc = vfs->size(in->f, &size)))
        return nq_err_set(err, rc, "%s: %s", in->path, nq_strerror(rc));
    if (size != m->data_bytes)
        return nq_err_set(err, NQ_ECORRUPT, "%s: %llu bytes, the manifest says %llu", in->path,
                          (unsigned long long)size, (unsigned long long)m->data_bytes);
    return 0;
}

static void in_close(bk_in *in)
{
    if (in->f)
        in->vfs->close(in->f);
    EVP_MD_CTX_free(in->md);
    free(in->buf);
    ZSTD_freeDCtx(in->z);
    free(in->zbuf);
    in->z = NULL;
    in->zbuf = NULL;
    in->f = NULL;
    in->md = NULL;
    in->buf = NULL;
}

/* Read up to n bytes of the file (hashed) into p: the count, 0 at its end, or an error. */
static int in_read_file(bk_in *in, uint8_t *p, size_t n)
{
    ssize_t got = in->vfs->read(in->f, p, n, in->off);
    if (got < 0)
        return nq_err_set(in->err, (int)got, "%s: read failed: %s", in->path,
                          nq_strerror((int)got));
    if (EVP_DigestUpdate(in->md, p, (size_t)got) != 1)
        return nq_err_set(in->err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    in->off += (uint64_t)got;
    return (int)got;
}

/* Up to n (> 0) more bytes of the raw stream into p: the count (> 0), 0 at its end, or an
 * error code. */
static int in_more(bk_in *in, uint8_t *p, size_t n)
{
    if (!in->z)
        return in_read_file(in, p, n > (1u << 30) ? (1u << 30) : n);
    for (;;) {
        if (in->zpos == in->zhave) {
            int got = in_read_file(in, in->zbuf, in->zcap);
            if (got < 0)
                return got;
            if (got == 0) {
                if (in->zlast != 0)
                    return nq_err_set(in->err, NQ_ECORRUPT, "%s: the zstd data ends early",
                                      in->path);
                return 0;
            }
            in->zhave = (size_t)got;
            in->zpos = 0;
        }
        ZSTD_inBuffer ib = {in->zbuf, in->zhave, in->zpos};
        ZSTD_outBuffer ob = {p, n, 0};
        size_t r = ZSTD_decompressStream(in->z, &ob, &ib);
        if (ZSTD_isError(r))
            return nq_err_set(in->err, NQ_ECORRUPT, "%s: not valid zstd data: %s", in->path,
                              ZSTD_getErrorName(r));
        in->zpos = ib.pos;
        in->zlast = r;
        if (ob.pos)
            return (int)ob.pos;
    }
}

/* Make n bytes available at in->buf + in->pos (n <= IN_BUF). */
static int in_need(bk_in *in, size_t n)
{
    if (in->have - in->pos >= n)
        return 0;
    memmove(in->buf, in->buf + in->pos, in->have - in->pos);
    in->have -= in->pos;
    in->pos = 0;
    while (in->have < n) {
        int rc = in_more(in, in->buf + in->have, IN_BUF - in->have);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return nq_err_set(in->err, NQ_ECORRUPT, "%s: ends early", in->path);
        in->have += (size_t)rc;
    }
    return 0;
}

static int in_header(bk_in *in)
{
    int rc = in_need(in, BK_DATA_HEADER);
    if (rc)
        return rc;
    const uint8_t *h = in->buf + in->pos;
    if (memcmp(h, BK_DATA_MAGIC, 8) || get_u32(h + 8) != BK_DATA_VERSION ||
        get_u32(h + 12) != in->m->page_size)
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: bad header (not backup data of this format "
                          "and page size)", in->path);
    in->pos += BK_DATA_HEADER;
    return 0;
}

/* The next page record: *pgno and *page (valid until the next call). */
static int in_page(bk_in *in, uint32_t *pgno, const uint8_t **page)
{
    uint32_t ps = in->m->page_size;
    int rc = in_need(in, 4 + (size_t)ps);
    if (rc)
        return rc;
    const uint8_t *r = in->buf + in->pos;
    uint32_t n = get_u32(r);
    if (n <= in->last_pgno || n > in->m->page_count)
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: page record %u: page number %u out of order "
                          "or beyond the page count", in->path, in->nread + 1, n);
    if (page_verify(r + 4, ps, n))
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: page %u: checksum mismatch", in->path, n);
    in->last_pgno = n;
    in->nread++;
    in->pos += 4 + (size_t)ps;
    *pgno = n;
    *page = r + 4;
    return 0;
}

static int in_finish(bk_in *in)
{
    uint8_t h[BK_SHA3];
    unsigned hl = 0;
    if (in->pos != in->have)
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: longer than its pages", in->path);
    if (in->z) { /* the rest of the file must decompress to nothing (the frame's end) */
        uint8_t extra[64];
        int rc = in_more(in, extra, sizeof extra);
        if (rc < 0)
            return rc;
        if (rc > 0)
            return nq_err_set(in->err, NQ_ECORRUPT, "%s: longer than its pages", in->path);
    }
    if (in->off != in->m->data_bytes)
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: longer than its pages", in->path);
    if (EVP_DigestFinal_ex(in->md, h, &hl) != 1)
        return nq_err_set(in->err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    if (memcmp(h, in->m->data_sha3, BK_SHA3))
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: checksum mismatch (SHA3-256 differs from "
                          "the manifest)", in->path);
    return 0;
}

static int read_manifest(nq_vfs *vfs, const char *dir, bk_manifest *m, nq_err *err)
{
    char path[4096];
    join(path, sizeof path, dir, BK_MANIFEST);
    int rc = vfs->exists(vfs, path);
    if (rc == 0)
        return nq_err_set(err, NQ_ENOTFOUND, "%s: missing (not a backup, or one that did not "
                          "finish)", path);
    nq_file *f = NULL;
    if (rc > 0)
        rc = vfs->open(vfs, path, NQ_OPEN_READONLY, &f);
    if (rc)
        return nq_err_set(err, rc, "%s: cannot open: %s", path, nq_strerror(rc));
    uint64_t size = 0;
    char *text = NULL;
    ssize_t got = 0;
    if ((rc = vfs->size(f, &size))) {
        nq_err_set(err, rc, "%s: %s", path, nq_strerror(rc));
    } else if (size > BK_MANIFEST_MAX) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: too long to be a backup manifest", path);
    } else if (!(text = malloc(size + 1))) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
    } else if ((got = vfs->read(f, text, size, 0)) != (ssize_t)size) {
        rc = nq_err_set(err, got < 0 ? (int)got : NQ_EIO, "%s: read failed", path);
    } else {
        rc = bk_manifest_parse(text, size, m, path, err);
    }
    free(text);
    vfs->close(f);
    return rc;
}

/* The pagemap of a backup (format 2 on): 16 bytes per page, entries for pages 1..page_count in
 * order, SHA3-256 equal to page-map-sha3. */
static int check_pagemap(nq_vfs *vfs, const char *dir, const bk_manifest *m, nq_err *err)
{
    if (m->version < 2)
        return 0;
    char path[4096];
    join(path, sizeof path, dir, BK_PAGEMAP);
    int rc = vfs->exists(vfs, path);
    if (rc == 0)
        return nq_err_set(err, NQ_ENOTFOUND, "%s: missing", path);
    nq_file *f = NULL;
    if (rc > 0)
        rc = vfs->open(vfs, path, NQ_OPEN_READONLY, &f);
    if (rc)
        return nq_err_set(err, rc, "%s: cannot open: %s", path, nq_strerror(rc));
    uint64_t size = 0, want = (uint64_t)m->page_count * BK_MAP_ENTRY, off = 0;
    uint8_t *buf = malloc(IN_BUF);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint32_t next = 1;
    if (!buf || !md || EVP_DigestInit_ex(md, EVP_sha3_256(), NULL) != 1)
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
    else if ((rc = vfs->size(f, &size)))
        nq_err_set(err, rc, "%s: %s", path, nq_strerror(rc));
    else if (size != want)
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: %llu bytes, the page count needs %llu", path,
                        (unsigned long long)size, (unsigned long long)want);
    while (!rc && off < want) {
        size_t chunk = want - off < IN_BUF ? (size_t)(want - off) : IN_BUF; /* whole entries */
        ssize_t got = vfs->read(f, buf, chunk, off);
        if (got != (ssize_t)chunk) {
            rc = nq_err_set(err, got < 0 ? (int)got : NQ_ECORRUPT, "%s: read failed", path);
            break;
        }
        for (size_t i = 0; i < chunk; i += BK_MAP_ENTRY, next++)
            if (get_u32(buf + i) != next) {
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: entry %u names page %u", path, next,
                                get_u32(buf + i));
                break;
            }
        if (!rc && EVP_DigestUpdate(md, buf, chunk) != 1)
            rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        off += chunk;
    }
    uint8_t h[BK_SHA3];
    unsigned hl = 0;
    if (!rc && EVP_DigestFinal_ex(md, h, &hl) != 1)
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    if (!rc && memcmp(h, m->map_sha3, BK_SHA3))
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: checksum mismatch (SHA3-256 differs from the "
                        "manifest's page-map-sha3)", path);
    EVP_MD_CTX_free(md);
    free(buf);
    vfs->close(f);
    return rc;
}

int backup_load(nq_vfs *vfs, const char *dir, int check_data, bk_manifest *m, nq_err *err)
{
    int rc = read_manifest(vfs, dir, m, err);
    if (rc || !check_data)
        return rc;
    if ((rc = check_pagemap(vfs, dir, m, err)))
        return rc;
    bk_in in;
    rc = in_open(&in, vfs, dir, m, err);
    if (!rc)
        rc = in_header(&in);
    for (uint32_t i = 0; !rc && i < m->pages; i++) {
        uint32_t pgno;
        const uint8_t *page;
        rc = in_page(&in, &pgno, &page);
    }
    if (!rc)
        rc = in_finish(&in);
    in_close(&in);
    return rc;
}

static int check_chain(const char *const *dirs, const bk_manifest *ms, int n, nq_err *err)
{
    if (ms[0].kind != NQ_BACKUP_FULL)
        return nq_err_set(err, NQ_EINVAL, "%s: an %s backup: a chain starts with a full backup "
                          "(its base is %s)", dirs[0], bk_kind_name(ms[0].kind), ms[0].base_id);
    for (int i = 1; i < n; i++) {
        const bk_manifest *a = &ms[i - 1], *b = &ms[i];
        const char *why = NULL;
        if (b->kind == NQ_BACKUP_FULL)
            why = "is a full backup; only the first of a chain may be";
        else if (strcmp(b->parent_id, a->backup_id))
            why = "does not build on the backup before it in the chain";
        else if (b->database_id != a->database_id)
            why = "is of another database";
        else if (strcmp(b->base_id, ms[0].backup_id))
            why = "has another base backup";
        else if (b->page_size != a->page_size || b->parent_seq != a->commit_seq)
            why = "does not match its parent's page size or snapshot";
        if (why)
            return nq_err_set(err, NQ_EINVAL, "%s: %s (%s)", dirs[i], why,
                              strcmp(b->parent_id, a->backup_id) ? "its parent is another backup"
                                                                 : "chain mismatch");
    }
    return 0;
}

static void to_msg(const nq_err *e, char *errmsg, size_t errlen)
{
    if (errmsg && errlen)
        snprintf(errmsg, errlen, "%s", e->msg);
}

int nq_backup_read(nq_vfs *vfs, const char *dir, nq_backup_info *info, char *errmsg,
                   size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    bk_manifest m;
    int rc = read_manifest(vfs ? vfs : nq_vfs_default(), dir, &m, &err);
    if (rc)
        to_msg(&err, errmsg, errlen);
    else if (info)
        backup_info_fill(&m, info);
    return rc;
}

static int verify_all(nq_vfs *vfs, const char *const *dirs, int n, bk_manifest *ms, nq_err *err)
{
    if (n < 1)
        return nq_err_set(err, NQ_EINVAL, "no backup given");
    for (int i = 0; i < n; i++) {
        int rc = backup_load(vfs, dirs[i], 1, &ms[i], err);
        if (rc)
            return rc;
    }
    return check_chain(dirs, ms, n, err);
}

/* The manifests of a chain (each checked against its own set-sha3) and its links; the data
 * files are checked as restore reads them. */
static int load_chain(nq_vfs *vfs, const char *const *dirs, int n, bk_manifest *ms, nq_err *err)
{
    if (n < 1)
        return nq_err_set(err, NQ_EINVAL, "no backup given");
    for (int i = 0; i < n; i++) {
        int rc = backup_load(vfs, dirs[i], 0, &ms[i], err);
        if (rc)
            return rc;
    }
    return check_chain(dirs, ms, n, err);
}

int nq_backup_verify(nq_vfs *vfs, const char *const *dirs, int n, char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    bk_manifest *ms = n > 0 ? calloc((size_t)n, sizeof *ms) : NULL;
    int rc = n > 0 && !ms ? nq_err_set(&err, NQ_ENOMEM, "out of memory")
                          : verify_all(vfs ? vfs : nq_vfs_default(), dirs, n, ms, &err);
    free(ms);
    if (rc)
        to_msg(&err, errmsg, errlen);
    return rc;
}

/* ---- restore ------------------------------------------------------------------------------ */

typedef struct rs_ctx {
    nq_vfs *vfs;
    nq_file *f;
    const char *target;
    uint32_t page_size, page_count; /* of the final snapshot */
    uint8_t *map;                   /* per page 1..page_count: u64 seq, u32 crc (12 bytes) */
    uint8_t *page1;                 /* the final header page, written last */
    nq_err *err;
    uint8_t *wbuf;                  /* consecutive pages waiting to be written in one call */
    uint32_t wfirst, wn, wcap;      /* pages [wfirst, wfirst + wn); room for wcap */
} rs_ctx;

static int rs_flush(rs_ctx *c)
{
    if (!c->wn)
        return 0;
    int rc = c->vfs->write(c->f, c->wbuf, (size_t)c->wn * c->page_size,
                           (uint64_t)(c->wfirst - 1) * c->page_size);
    c->wn = 0;
    if (rc)
        return nq_err_set(c->err, rc, "%s: write failed: %s", c->target, nq_strerror(rc));
    return 0;
}

static int rs_write(rs_ctx *c, uint32_t pgno, const uint8_t *page)
{
    if (c->wn && (pgno != c->wfirst + c->wn || c->wn == c->wcap)) {
        int rc = rs_flush(c);
        if (rc)
            return rc;
    }
    if (!c->wn)
        c->wfirst = pgno;
    memcpy(c->wbuf + (size_t)c->wn * c->page_size, page, c->page_size);
    c->wn++;
    return 0;
}

static int restore_one(rs_ctx *c, const char *dir, const bk_manifest *m)
{
    int rc = check_pagemap(c->vfs, dir, m, c->err);
    if (rc)
        return rc;
    bk_in in;
    rc = in_open(&in, c->vfs, dir, m, c->err);
    if (!rc)
        rc = in_header(&in);
    for (uint32_t i = 0; !rc && i < m->pages; i++) {
        uint32_t pgno = 0;
        const uint8_t *page = NULL;
        if ((rc = in_page(&in, &pgno, &page)))
            break;
        if (pgno > c->page_count)
            continue; /* cut off by a later snapshot */
        memcpy(c->map + (size_t)(pgno - 1) * 12, page + c->page_size - PAGE_TRAILER, 12);
        if (pgno == 1) {
            memcpy(c->page1, page, c->page_size);
            continue;
        }
        rc = rs_write(c, pgno, page);
    }
    if (!rc)
        rc = rs_flush(c);
    if (!rc)
        rc = in_finish(&in); /* size, SHA3-256 and the zstd frame's end */
    in_close(&in);
    return rc;
}

static int restore_chain(nq_vfs *vfs, const char *const *dirs, int n, const bk_manifest *ms,
                         const char *target, int flags, nq_err *err)
{
    char wal_path[4096], tmp_path[4096];
    if (snprintf(wal_path, sizeof wal_path, "%s-wal", target) >= (int)sizeof wal_path ||
        snprintf(tmp_path, sizeof tmp_path, "%s.restoring", target) >= (int)sizeof tmp_path)
        return nq_err_set(err, NQ_EINVAL, "%s: path too long", target);
    if (!vfs->rename)
        return nq_err_set(err, NQ_ENOTSUP, "the file-system layer \"%s\" cannot rename files, "
                          "which restore needs", vfs->name ? vfs->name : "?");
    int ex = vfs->exists(vfs, target), exw = vfs->exists(vfs, wal_path);
    if (ex < 0 || exw < 0)
        return nq_err_set(err, ex < 0 ? ex : exw, "%s: %s", target, nq_strerror(ex < 0 ? ex : exw));
    if ((ex || exw) && !(flags & NQ_RESTORE_FORCE))
        return nq_err_set(err, NQ_EEXIST, "%s: exists already; restore does not overwrite a "
                          "database without --force", ex ? target : wal_path);
    const bk_manifest *last = &ms[n - 1];
    rs_ctx c = {vfs, NULL, tmp_path, last->page_size, last->page_count, NULL, NULL, err,
                NULL, 0, 0, 0};
    c.wcap = (256u << 10) / last->page_size ? (256u << 10) / last->page_size : 1;
    c.wbuf = malloc((size_t)c.wcap * last->page_size);
    nq_file *old = NULL; /* the database being replaced, locked against other processes */
    int rc = 0, made_tmp = 0;
    c.map = calloc(last->page_count, 12);
    c.page1 = malloc(last->page_size);
    if (!c.map || !c.page1 || !c.wbuf) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto done;
    }
    if (ex) {
        if ((rc = vfs->open(vfs, target, 0, &old))) {
            nq_err_set(err, rc, "%s: cannot open: %s", target, nq_strerror(rc));
            goto done;
        }
        if ((rc = vfs->lock(old))) {
            nq_err_set(err, rc, "%s: %s", target, rc == NQ_ELOCKED ? "the database is open in a "
                        "process; close it first" : nq_strerror(rc));
            goto done;
        }
    }
    if ((rc = vfs->open(vfs, tmp_path, NQ_OPEN_CREATE, &c.f))) {
        nq_err_set(err, rc, "%s: cannot create: %s", tmp_path, nq_strerror(rc));
        goto done;
    }
    made_tmp = 1;
    if ((rc = vfs->truncate(c.f, 0))) {
        nq_err_set(err, rc, "%s: truncate failed: %s", tmp_path, nq_strerror(rc));
        goto done;
    }
    for (int i = 0; i < n && !rc; i++)
        rc = restore_one(&c, dirs[i], &ms[i]);
    if (rc)
        goto done;
    /* every page present, and the page map is the snapshot's */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha3_256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        goto done;
    }
    for (uint32_t pgno = 1; pgno <= c.page_count && !rc; pgno++) {
        const uint8_t *e = c.map + (size_t)(pgno - 1) * 12;
        static const uint8_t zero[12];
        if (!memcmp(e, zero, 12)) {
            rc = nq_err_set(err, NQ_ECORRUPT, "page %u of the snapshot is in no backup of the "
                            "chain (a backup is missing from it)", pgno);
            break;
        }
        uint8_t ent[16];
        put_u32(ent, pgno);
        memcpy(ent + 4, e, 12);
        if (EVP_DigestUpdate(md, ent, sizeof ent) != 1)
            rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    }
    uint8_t h[BK_SHA3];
    unsigned hl = 0;
    if (!rc && EVP_DigestFinal_ex(md, h, &hl) != 1)
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    EVP_MD_CTX_free(md);
    if (!rc && memcmp(h, last->map_sha3, BK_SHA3))
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: the restored pages do not make up the snapshot "
                        "(page-map-sha3 differs): the chain does not belong together",
                        dirs[n - 1]);
    if (rc)
        goto done;
    if ((rc = vfs->truncate(c.f, (uint64_t)c.page_count * c.page_size)) || (rc = vfs->sync(c.f))) {
        nq_err_set(err, rc, "%s: %s", tmp_path, nq_strerror(rc));
        goto done;
    }
    if ((rc = vfs->write(c.f, c.page1, c.page_size, 0)) || (rc = vfs->sync(c.f))) {
        nq_err_set(err, rc, "%s: writing the header failed: %s", tmp_path, nq_strerror(rc));
        goto done;
    }
    vfs->close(c.f);
    c.f = NULL;
    /* A log beside the target belongs to the database being replaced: it goes first (were it
     * left, the next open would replay it over the restored file). */
    if (exw) {
        rc = vfs->remove(vfs, wal_path);
        if (!rc)
            rc = vfs->sync_dir(vfs, wal_path);
        if (rc && rc != NQ_ENOTFOUND) {
            nq_err_set(err, rc, "%s: cannot remove: %s", wal_path, nq_strerror(rc));
            goto done;
        }
        rc = 0;
    }
    if ((rc = vfs->rename(vfs, tmp_path, target))) {
        nq_err_set(err, rc, "%s: cannot rename to %s: %s", tmp_path, target, nq_strerror(rc));
        goto done;
    }
    made_tmp = 0;
    if ((rc = vfs->sync_dir(vfs, target)))
        nq_err_set(err, rc, "%s: directory sync failed: %s", target, nq_strerror(rc));
done:
    if (c.f)
        vfs->close(c.f);
    if (made_tmp)
        vfs->remove(vfs, tmp_path); /* best effort */
    if (old) {
        vfs->unlock(old);
        vfs->close(old);
    }
    free(c.map);
    free(c.page1);
    free(c.wbuf);
    return rc;
}

int nq_restore(nq_vfs *vfs, const char *const *dirs, int n, const char *target, int flags,
               char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    if (!vfs)
        vfs = nq_vfs_default();
    bk_manifest *ms = n > 0 ? calloc((size_t)n, sizeof *ms) : NULL;
    int rc;
    if (n > 0 && !ms)
        rc = nq_err_set(&err, NQ_ENOMEM, "out of memory");
    else if (!target || !*target)
        rc = nq_err_set(&err, NQ_EINVAL, "no target file given");
    else if (!(rc = load_chain(vfs, dirs, n, ms, &err)))
        rc = restore_chain(vfs, dirs, n, ms, target, flags, &err);
    free(ms);
    if (rc)
        to_msg(&err, errmsg, errlen);
    return rc;
}
