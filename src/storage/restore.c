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
#include <time.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "../base/endian.h"
#include "../crypto/crypto_util.h"
#include "archive.h"
#include "pager.h"
#include "pagexform.h"

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
    info->encrypted = m->enc;
    if (m->enc)
        snprintf(info->encrypted_to, sizeof info->encrypted_to, "%s", m->enc_key);
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
    bk_gcm gcm;           /* gcm.ctx non-NULL: an encrypted file, decrypted chunk by chunk */
    uint8_t *cbuf;        /* one chunk as stored (ciphertext + tag) */
    uint8_t *pbuf;        /* its plaintext */
    size_t phave, ppos;
    uint64_t eidx, efull; /* next chunk; number of full chunks before the last one */
    size_t elast;         /* plaintext bytes of the last chunk */
    int edone;            /* the last chunk was read */
} bk_in;

static int in_read_file(bk_in *in, uint8_t *p, size_t n);

/* An encrypted data file: its header (as stored) and the chunk layout its size implies. */
static int in_enc_layout(bk_in *in)
{
    const bk_manifest *m = in->m;
    uint8_t want[BK_ENC_HEADER], got[BK_ENC_HEADER];
    bk_enc_header(m, want);
    uint64_t chunk = (uint64_t)m->enc_chunk + BK_ENC_TAG, body = m->data_bytes - BK_ENC_HEADER;
    in->efull = body / chunk;
    if (body % chunk < BK_ENC_TAG)
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: does not end with a whole last chunk",
                          in->path);
    in->elast = (size_t)(body % chunk - BK_ENC_TAG);
    size_t have = 0;
    while (have < sizeof got) {
        int r = in_read_file(in, got + have, sizeof got - have);
        if (r < 0)
            return r;
        if (r == 0)
            return nq_err_set(in->err, NQ_ECORRUPT, "%s: ends early", in->path);
        have += (size_t)r;
    }
    if (memcmp(got, want, sizeof want))
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: bad header (not an encrypted data file "
                          "of this format and chunk size)", in->path);
    return 0;
}

static int in_open(bk_in *in, nq_vfs *vfs, const char *dir, const bk_manifest *m,
                   const bk_key *kem_sk, nq_err *err)
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
    if (m->enc) {
        if ((rc = in_enc_layout(in)))
            return rc;
        if (kem_sk) {
            char man[4096];
            uint8_t key[32];
            join(man, sizeof man, dir, BK_MANIFEST);
            in->cbuf = malloc((size_t)m->enc_chunk + BK_ENC_TAG);
            in->pbuf = malloc(m->enc_chunk);
            if (!in->cbuf || !in->pbuf)
                return nq_err_set(err, NQ_ENOMEM, "out of memory");
            rc = bk_enc_open_key(kem_sk, m, man, key, err);
            if (!rc)
                rc = bk_gcm_init(&in->gcm, key, m, err);
            crypto_wipe(key, sizeof key);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static void in_close(bk_in *in)
{
    if (in->f)
        in->vfs->close(in->f);
    bk_gcm_free(&in->gcm);
    if (in->pbuf) {
        crypto_wipe(in->pbuf, in->m->enc_chunk);
        crypto_wipe(in->buf, IN_BUF);
    }
    free(in->pbuf);
    free(in->cbuf);
    in->pbuf = in->cbuf = NULL;
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

/* Read up to n bytes of the file as stored (hashed) into p: the count, 0 at its end, or an
 * error. */
static int in_raw(bk_in *in, uint8_t *p, size_t n)
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

/* The next chunk of an encrypted file, read whole, authenticated and decrypted into pbuf. */
static int in_chunk(bk_in *in)
{
    int last = in->eidx == in->efull;
    size_t pn = last ? in->elast : in->m->enc_chunk, cn = pn + BK_ENC_TAG, have = 0;
    while (have < cn) {
        int r = in_raw(in, in->cbuf + have, cn - have);
        if (r < 0)
            return r;
        if (r == 0)
            return nq_err_set(in->err, NQ_ECORRUPT, "%s: ends early", in->path);
        have += (size_t)r;
    }
    int rc = bk_gcm_chunk(&in->gcm, 0, in->eidx, last, in->cbuf, pn, in->pbuf, in->cbuf + pn);
    if (rc == NQ_ECORRUPT)
        return nq_err_set(in->err, NQ_ECORRUPT, "%s: chunk %llu: authentication failed (the "
                          "file was changed, or its chunks moved, dropped or cut off)", in->path,
                          (unsigned long long)in->eidx);
    if (rc)
        return nq_err_set(in->err, NQ_ERROR, "%s: AES-256-GCM failed (OpenSSL)", in->path);
    in->phave = pn;
    in->ppos = 0;
    in->eidx++;
    in->edone = last;
    return 0;
}

/* Up to n bytes of the stored stream after decryption: the count, 0 at its end, or an error. */
static int in_read_file(bk_in *in, uint8_t *p, size_t n)
{
    if (!in->gcm.ctx)
        return in_raw(in, p, n);
    while (in->ppos == in->phave) {
        if (in->edone)
            return 0;
        int rc = in_chunk(in);
        if (rc)
            return rc;
    }
    size_t k = in->phave - in->ppos < n ? in->phave - in->ppos : n;
    memcpy(p, in->pbuf + in->ppos, k);
    in->ppos += k;
    return (int)k;
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
    if (pagexform_check(r + 4, ps, n))
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
    } else if (in->gcm.ctx) { /* the stream must end with the file's last chunk */
        uint8_t extra[64];
        int rc = in_read_file(in, extra, sizeof extra);
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

/* A whole small file (at most max bytes) into *out (malloc'd; the caller frees it). */
static int read_small(nq_vfs *vfs, const char *path, size_t max, const char *what, char **out,
                      size_t *len, nq_err *err)
{
    *out = NULL;
    nq_file *f = NULL;
    int rc = vfs->open(vfs, path, NQ_OPEN_READONLY, &f);
    if (rc)
        return nq_err_set(err, rc, "%s: cannot open: %s", path, nq_strerror(rc));
    uint64_t size = 0;
    ssize_t got = 0;
    char *text = NULL;
    if ((rc = vfs->size(f, &size)))
        nq_err_set(err, rc, "%s: %s", path, nq_strerror(rc));
    else if (size > max)
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: too long to be %s", path, what);
    else if (!(text = malloc(size + 1)))
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
    else if ((got = vfs->read(f, text, size, 0)) != (ssize_t)size)
        rc = nq_err_set(err, got < 0 ? (int)got : NQ_EIO, "%s: read failed", path);
    vfs->close(f);
    if (rc) {
        free(text);
        return rc;
    }
    *out = text;
    *len = (size_t)size;
    return 0;
}

/* The manifest's signature (MANIFEST.sig) checked against the manifest's very bytes. */
static int check_signature(nq_vfs *vfs, const char *dir, const char *text, size_t len,
                           const bk_key *pk, int *signed_, nq_err *err)
{
    char path[4096];
    join(path, sizeof path, dir, BK_SIG);
    int rc = vfs->exists(vfs, path);
    if (rc < 0)
        return nq_err_set(err, rc, "%s: %s", path, nq_strerror(rc));
    if (signed_)
        *signed_ = rc > 0;
    if (!pk)
        return 0;
    if (rc == 0)
        return nq_err_set(err, NQ_ECORRUPT, "%s: missing: the backup is not signed, and a "
                          "signature is required (a public key was given)", path);
    char *sig;
    size_t slen;
    if ((rc = read_small(vfs, path, BK_SIG_MAX, "a backup signature", &sig, &slen, err)))
        return rc;
    rc = bk_sig_check(pk, text, len, sig, slen, path, err);
    free(sig);
    return rc;
}

static int read_manifest_keys(nq_vfs *vfs, const char *dir, const bk_key *sign_pk, int *signed_,
                              bk_manifest *m, nq_err *err)
{
    char path[4096];
    join(path, sizeof path, dir, BK_MANIFEST);
    int rc = vfs->exists(vfs, path);
    if (rc == 0)
        return nq_err_set(err, NQ_ENOTFOUND, "%s: missing (not a backup, or one that did not "
                          "finish)", path);
    if (rc < 0)
        return nq_err_set(err, rc, "%s: %s", path, nq_strerror(rc));
    char *text;
    size_t len;
    if ((rc = read_small(vfs, path, BK_MANIFEST_MAX, "a backup manifest", &text, &len, err)))
        return rc;
    /* the parse first (strict, fuzzed; it names MANIFEST when its own checksum fails), then
     * the signature over the very bytes parsed */
    rc = bk_manifest_parse(text, len, m, path, err);
    if (!rc)
        rc = check_signature(vfs, dir, text, len, sign_pk, signed_, err);
    free(text);
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
    return backup_load_keys(vfs, dir, check_data, NULL, m, NULL, err);
}

int backup_load_keys(nq_vfs *vfs, const char *dir, int check_data, const bk_keys *keys,
                     bk_manifest *m, int *signed_, nq_err *err)
{
    int rc = read_manifest_keys(vfs, dir, keys ? keys->sign_pk : NULL, signed_, m, err);
    if (rc || !check_data)
        return rc;
    if ((rc = check_pagemap(vfs, dir, m, err)))
        return rc;
    bk_in in;
    const bk_key *kem_sk = keys ? keys->kem_sk : NULL;
    rc = in_open(&in, vfs, dir, m, kem_sk, err);
    if (!rc && m->enc && !kem_sk) {
        /* without the secret key: the file as stored (size, chunk layout, SHA3-256) */
        uint8_t *buf = malloc(IN_BUF);
        int got = 1;
        if (!buf)
            rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        while (!rc && (got = in_raw(&in, buf, IN_BUF)) > 0)
            ;
        if (!rc && got < 0)
            rc = got;
        free(buf);
        uint8_t h[BK_SHA3];
        unsigned hl = 0;
        if (!rc && EVP_DigestFinal_ex(in.md, h, &hl) != 1)
            rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        if (!rc && (in.off != m->data_bytes || memcmp(h, m->data_sha3, BK_SHA3)))
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: checksum mismatch (SHA3-256 differs from "
                            "the manifest)", in.path);
        in_close(&in);
        return rc;
    }
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
    int sig = 0;
    int rc = read_manifest_keys(vfs ? vfs : nq_vfs_default(), dir, NULL, &sig, &m, &err);
    if (rc)
        to_msg(&err, errmsg, errlen);
    else if (info) {
        backup_info_fill(&m, info);
        info->is_signed = sig;
    }
    return rc;
}

static int verify_all(nq_vfs *vfs, const char *const *dirs, int n, const bk_keys *keys,
                      bk_manifest *ms, nq_err *err)
{
    if (n < 1)
        return nq_err_set(err, NQ_EINVAL, "no backup given");
    for (int i = 0; i < n; i++) {
        int rc = backup_load_keys(vfs, dirs[i], 1, keys, &ms[i], NULL, err);
        if (rc)
            return rc;
    }
    return check_chain(dirs, ms, n, err);
}

/* The manifests of a chain (each checked against its own set-sha3) and its links; the data
 * files are checked as restore reads them. */
static int load_chain(nq_vfs *vfs, const char *const *dirs, int n, const bk_keys *keys,
                      bk_manifest *ms, nq_err *err)
{
    if (n < 1)
        return nq_err_set(err, NQ_EINVAL, "no backup given");
    for (int i = 0; i < n; i++) {
        int rc = backup_load_keys(vfs, dirs[i], 0, keys, &ms[i], NULL, err);
        if (rc)
            return rc;
        if (ms[i].enc && !(keys && keys->kem_sk))
            return nq_err_set(err, NQ_EINVAL, "%s/" BK_MANIFEST ": the backup is encrypted (to "
                              "key %s): restoring it needs its ML-KEM-768 secret key", dirs[i],
                              ms[i].enc_key);
    }
    return check_chain(dirs, ms, n, err);
}

/* The key files of nq_backup_keys, loaded (and wiped by keys_free). */
typedef struct loaded_keys {
    bk_key sign_pk, kem_sk;
    bk_keys k;
} loaded_keys;

static int keys_load(const nq_backup_keys *in, loaded_keys *lk, nq_err *err)
{
    memset(lk, 0, sizeof *lk);
    int rc = 0;
    if (in && in->sign_pubkey && !(rc = bk_key_load(in->sign_pubkey, BK_KEY_SIGN_PUBLIC,
                                                    &lk->sign_pk, err)))
        lk->k.sign_pk = &lk->sign_pk;
    if (!rc && in && in->decrypt_key &&
        !(rc = bk_key_load(in->decrypt_key, BK_KEY_KEM_SECRET, &lk->kem_sk, err)))
        lk->k.kem_sk = &lk->kem_sk;
    return rc;
}

static void keys_free(loaded_keys *lk) { bk_key_wipe(&lk->kem_sk); }

int nq_backup_verify(nq_vfs *vfs, const char *const *dirs, int n, char *errmsg, size_t errlen)
{
    return nq_backup_verify_ex(vfs, dirs, n, NULL, errmsg, errlen);
}

int nq_backup_verify_ex(nq_vfs *vfs, const char *const *dirs, int n, const nq_backup_keys *keys,
                        char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    loaded_keys *lk = malloc(sizeof *lk);
    bk_manifest *ms = n > 0 ? calloc((size_t)n, sizeof *ms) : NULL;
    int rc = (n > 0 && !ms) || !lk ? nq_err_set(&err, NQ_ENOMEM, "out of memory")
                                   : keys_load(keys, lk, &err);
    if (!rc)
        rc = verify_all(vfs ? vfs : nq_vfs_default(), dirs, n, &lk->k, ms, &err);
    if (lk) {
        keys_free(lk);
        free(lk);
    }
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
    const bk_keys *keys;            /* may be NULL */
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
    rc = in_open(&in, c->vfs, dir, m, c->keys ? c->keys->kem_sk : NULL, c->err);
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

/* ---- point-in-time recovery: applying archived transactions after the chain's snapshot ---- */

typedef struct pitr_ctx {
    rs_ctx *c;
    const char *dir;
    int kind;
    uint64_t until, base, dbid;
    uint64_t stop;        /* pass 1 finds it: the last transaction to apply */
    uint64_t last_seq;    /* the last transaction seen after the base (continuity) */
    uint64_t seq, time;   /* pass 2: the last transaction applied */
    uint32_t pages;
    uint64_t applied;
    int done;             /* pass 1: a transaction past the target was seen */
} pitr_ctx;

static int pitr_commit_check(void *arg, const arc_seg *s, uint64_t seq, uint64_t prev,
                             uint64_t time, uint64_t dbid, uint32_t pages, const uint8_t *page1)
{
    pitr_ctx *x = arg;
    (void)pages;
    (void)page1;
    if (seq <= x->base)
        return 0;
    if (prev != x->last_seq) {
        if (x->last_seq == x->base && prev < x->base)
            return nq_err_set(x->c->err, NQ_ECORRUPT, "%s/%s: the chain's snapshot (commit %llu) "
                              "is not a commit of the archive's history (transaction %llu builds "
                              "on %llu)", x->dir, s->name, (unsigned long long)x->base,
                              (unsigned long long)seq, (unsigned long long)prev);
        return nq_err_set(x->c->err, NQ_ECORRUPT, "%s: commits after %llu up to %llu are missing "
                          "from the archive (%s begins with transaction %llu, built on %llu)",
                          x->dir, (unsigned long long)x->last_seq, (unsigned long long)prev,
                          s->name, (unsigned long long)seq, (unsigned long long)prev);
    }
    if (dbid != x->dbid)
        return nq_err_set(x->c->err, NQ_ECORRUPT, "%s/%s: transaction %llu is of database "
                          "%016llx, the chain of %016llx", x->dir, s->name,
                          (unsigned long long)seq, (unsigned long long)dbid,
                          (unsigned long long)x->dbid);
    x->last_seq = seq;
    if (!x->done && (x->kind == NQ_UNTIL_SEQ ? seq <= x->until : time <= x->until))
        x->stop = seq;
    else
        x->done = 1;
    return 0;
}

static int pitr_page(void *arg, uint32_t pgno, const uint8_t *img)
{
    pitr_ctx *x = arg;
    rs_ctx *c = x->c;
    if (pgno == 1) {
        memcpy(c->page1, img, c->page_size); /* the header goes last, as in every restore */
        return 0;
    }
    int rc = c->vfs->write(c->f, img, c->page_size, (uint64_t)(pgno - 1) * c->page_size);
    if (rc)
        return nq_err_set(c->err, rc, "%s: write failed: %s", c->target, nq_strerror(rc));
    return 0;
}

static int pitr_commit_apply(void *arg, const arc_seg *s, uint64_t seq, uint64_t prev,
                             uint64_t time, uint64_t dbid, uint32_t pages, const uint8_t *page1)
{
    pitr_ctx *x = arg;
    (void)s;
    (void)prev;
    (void)dbid;
    (void)page1;
    if (seq <= x->base || seq > x->stop)
        return 0;
    x->seq = seq;
    x->time = time;
    x->pages = pages;
    x->applied++;
    return 0;
}

static void fmt_time_or(uint64_t t, char *out, size_t n)
{
    if (t)
        archive_fmt_time(t, out, n);
    else
        snprintf(out, n, "time not recorded");
}

/* Apply the archive's transactions after the chain's snapshot (c->page1 holds its header)
 * up to the target; on return c->page_count and c->page1 describe the result. */
static int pitr_apply(rs_ctx *c, const bk_manifest *last, const nq_restore_opts *o,
                      nq_restore_result *res, nq_err *err)
{
    const char *dir = o->archive_dir;
    uint64_t base = last->commit_seq;
    uint64_t btime = get_u64(c->page1 + 40 + 8 * META_COMMIT_TIME);
    char tb[40], tu[40];
    if (!dir || !*dir)
        return nq_err_set(err, NQ_EINVAL, "point-in-time recovery needs the log archive's "
                          "directory");
    if (o->until_kind == NQ_UNTIL_SEQ && o->until < base)
        return nq_err_set(err, NQ_EINVAL, "the backup's snapshot is commit %llu, after %llu: "
                          "restore from an older backup chain", (unsigned long long)base,
                          (unsigned long long)o->until);
    if (o->until_kind == NQ_UNTIL_TIME && btime && o->until < btime) {
        fmt_time_or(btime, tb, sizeof tb);
        fmt_time_or(o->until, tu, sizeof tu);
        return nq_err_set(err, NQ_EINVAL, "the backup's snapshot (commit %llu) was committed at "
                          "%s, after %s: restore from an older backup chain",
                          (unsigned long long)base, tb, tu);
    }
    arc_seg *segs = NULL;
    size_t ns = 0;
    int rc = archive_list(c->vfs, dir, &segs, &ns, err);
    if (rc)
        return rc;
    /* the archive's end must reach the target: later commits may exist that it lacks */
    uint64_t end_seq = ns ? segs[ns - 1].last_seq : 0, end_time = ns ? segs[ns - 1].last_time : 0;
    int beyond = o->until_kind == NQ_UNTIL_SEQ ? o->until > base && o->until > end_seq
                                               : end_seq <= base || o->until > end_time;
    if (o->until_kind == NQ_UNTIL_TIME && end_seq <= base && btime && o->until == btime)
        beyond = 0; /* exactly the snapshot's time: nothing to apply */
    if (beyond) {
        fmt_time_or(end_time, tb, sizeof tb);
        if (!ns)
            rc = nq_err_set(err, NQ_ENOTFOUND, "%s: the archive holds no segment", dir);
        else if (end_seq <= base)
            rc = nq_err_set(err, NQ_ENOTFOUND, "%s: the archive ends at commit %llu (%s), not "
                            "after the backup's snapshot (commit %llu): the target is beyond it",
                            dir, (unsigned long long)end_seq, tb, (unsigned long long)base);
        else
            rc = nq_err_set(err, NQ_ENOTFOUND, "%s: the target is beyond the archive's end, "
                            "commit %llu (%s, in %s): later commits may be in the database's "
                            "live log; --until %llu restores to the archive's end", dir,
                            (unsigned long long)end_seq, tb, segs[ns - 1].name,
                            (unsigned long long)end_seq);
        free(segs);
        return rc;
    }
    /* the segments that may hold transactions after the snapshot up to the target */
    size_t k0 = 0, k1;
    while (k0 < ns && segs[k0].last_seq <= base)
        k0++;
    for (k1 = k0; k1 < ns; k1++) {
        const arc_seg *s = &segs[k1];
        if (o->until_kind == NQ_UNTIL_SEQ ? s->prev_seq >= o->until : s->first_time > o->until)
            break;
        const arc_seg *prev = k1 > k0 ? &segs[k1 - 1] : NULL;
        if (!prev && s->prev_seq > base) {
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: commits after %llu (the backup's snapshot) up "
                            "to %llu are missing from the archive (the next segment, %s, builds "
                            "on commit %llu)", dir, (unsigned long long)base,
                            (unsigned long long)s->prev_seq, s->name,
                            (unsigned long long)s->prev_seq);
            break;
        }
        if (prev && s->prev_seq != prev->last_seq) {
            if (s->prev_seq > prev->last_seq)
                rc = nq_err_set(err, NQ_ECORRUPT, "%s: commits after %llu up to %llu are missing "
                                "from the archive (between %s and %s)", dir,
                                (unsigned long long)prev->last_seq, (unsigned long long)s->prev_seq,
                                prev->name, s->name);
            else
                rc = nq_err_set(err, NQ_ECORRUPT, "%s/%s builds on commit %llu, not on the end "
                                "of %s (%llu): the archive holds two histories", dir, s->name,
                                (unsigned long long)s->prev_seq, prev->name,
                                (unsigned long long)prev->last_seq);
            break;
        }
    }
    pitr_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.dir = dir;
    x.kind = o->until_kind;
    x.until = o->until;
    x.base = x.last_seq = x.stop = base;
    x.dbid = last->database_id;
    /* pass 1: every segment used verifies, whole, before anything is applied */
    arc_scan check = {base, 0, NULL, pitr_commit_check, &x};
    for (size_t k = k0; k < k1 && !rc; k++)
        rc = archive_scan(c->vfs, dir, &segs[k], &check, err);
    /* pass 2: the transactions (base, stop] */
    x.seq = base;
    x.time = btime;
    x.pages = c->page_count;
    arc_scan apply = {base, x.stop, pitr_page, pitr_commit_apply, &x};
    unsigned used = 0;
    for (size_t k = k0; k < k1 && !rc && segs[k].prev_seq < x.stop; k++, used++)
        rc = archive_scan(c->vfs, dir, &segs[k], &apply, err);
    free(segs);
    if (rc)
        return rc;
    uint64_t hseq = get_u64(c->page1 + 32);
    if (hseq != x.stop || x.seq != x.stop)
        return nq_err_set(err, NQ_ERROR, "internal error: restored header is commit %llu, not "
                          "%llu", (unsigned long long)hseq, (unsigned long long)x.stop);
    c->page_count = x.pages;
    if (res) {
        res->commit_seq = x.seq;
        res->commit_time = x.time;
        res->txns_applied = x.applied;
        res->segments_used = used;
    }
    return 0;
}

static int restore_chain(nq_vfs *vfs, const char *const *dirs, int n, const bk_manifest *ms,
                         const char *target, const nq_restore_opts *o, const bk_keys *keys,
                         nq_restore_result *res, nq_err *err)
{
    int flags = o->flags;
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
                NULL, 0, 0, 0, keys};
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
    if (res) {
        res->commit_seq = res->backup_seq = last->commit_seq;
        res->commit_time = get_u64(c.page1 + 40 + 8 * META_COMMIT_TIME);
    }
    if (o->until_kind != NQ_UNTIL_NONE && (rc = pitr_apply(&c, last, o, res, err)))
        goto done;
    if (res)
        res->page_count = c.page_count;
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
    if (c.page1)
        crypto_wipe(c.page1, last->page_size);
    free(c.page1);
    if (c.wbuf)
        crypto_wipe(c.wbuf, (size_t)c.wcap * last->page_size);
    free(c.wbuf);
    return rc;
}

int nq_restore(nq_vfs *vfs, const char *const *dirs, int n, const char *target, int flags,
               char *errmsg, size_t errlen)
{
    nq_restore_opts o = {flags, NQ_UNTIL_NONE, 0, NULL};
    return nq_restore_keys(vfs, dirs, n, target, &o, NULL, NULL, errmsg, errlen);
}

int nq_restore_ex(nq_vfs *vfs, const char *const *dirs, int n, const char *target,
                  const nq_restore_opts *opts, nq_restore_result *result, char *errmsg,
                  size_t errlen)
{
    return nq_restore_keys(vfs, dirs, n, target, opts, NULL, result, errmsg, errlen);
}

int nq_restore_keys(nq_vfs *vfs, const char *const *dirs, int n, const char *target,
                    const nq_restore_opts *opts, const nq_backup_keys *keys,
                    nq_restore_result *result, char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    if (!vfs)
        vfs = nq_vfs_default();
    nq_restore_opts o = {0, NQ_UNTIL_NONE, 0, NULL};
    if (opts)
        o = *opts;
    if (result)
        memset(result, 0, sizeof *result);
    bk_manifest *ms = n > 0 ? calloc((size_t)n, sizeof *ms) : NULL;
    loaded_keys *lk = malloc(sizeof *lk);
    int rc;
    if ((n > 0 && !ms) || !lk)
        rc = nq_err_set(&err, NQ_ENOMEM, "out of memory");
    else if (!target || !*target)
        rc = nq_err_set(&err, NQ_EINVAL, "no target file given");
    else if (o.until_kind != NQ_UNTIL_NONE && o.until_kind != NQ_UNTIL_SEQ &&
             o.until_kind != NQ_UNTIL_TIME)
        rc = nq_err_set(&err, NQ_EINVAL, "unknown until_kind %d", o.until_kind);
    else if (!(rc = keys_load(keys, lk, &err)) && !(rc = load_chain(vfs, dirs, n, &lk->k, ms, &err)))
        rc = restore_chain(vfs, dirs, n, ms, target, &o, &lk->k, result, &err);
    if (lk) {
        keys_free(lk);
        free(lk);
    }
    free(ms);
    if (rc)
        to_msg(&err, errmsg, errlen);
    return rc;
}

/* ---- checking a log archive --------------------------------------------------------------- */

int nq_archive_verify(nq_vfs *vfs, const char *dir, nq_archive_info *info, char *errmsg,
                      size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    if (!vfs)
        vfs = nq_vfs_default();
    if (info)
        memset(info, 0, sizeof *info);
    arc_seg *segs = NULL;
    size_t ns = 0;
    int rc = !dir || !*dir ? nq_err_set(&err, NQ_EINVAL, "no archive directory given")
                           : archive_list(vfs, dir, &segs, &ns, &err);
    for (size_t k = 0; k < ns && !rc; k++) {
        const arc_seg *s = &segs[k], *p = k ? &segs[k - 1] : NULL;
        if (p && s->prev_seq != p->last_seq) {
            if (s->prev_seq > p->last_seq)
                rc = nq_err_set(&err, NQ_ECORRUPT, "%s: commits after %llu up to %llu are "
                                "missing from the archive (between %s and %s)", dir,
                                (unsigned long long)p->last_seq, (unsigned long long)s->prev_seq,
                                p->name, s->name);
            else
                rc = nq_err_set(&err, NQ_ECORRUPT, "%s/%s builds on commit %llu, not on the end "
                                "of %s (%llu): the archive holds two histories", dir, s->name,
                                (unsigned long long)s->prev_seq, p->name,
                                (unsigned long long)p->last_seq);
            break;
        }
        if (p && (s->database_id != p->database_id || s->page_size != p->page_size) &&
            p->database_id) {
            rc = nq_err_set(&err, NQ_ECORRUPT, "%s/%s: of another database or page size than %s",
                            dir, s->name, p->name);
            break;
        }
        if ((rc = archive_scan(vfs, dir, s, NULL, &err)))
            break;
        if (info) {
            if (!k) {
                info->first_seq = s->first_seq;
                info->first_time = s->first_time;
            }
            info->last_seq = s->last_seq;
            info->last_time = s->last_time;
            info->txns += s->txns;
            info->bytes += s->bytes;
            info->segments++;
            snprintf(info->database_id, sizeof info->database_id, "%016llx",
                     (unsigned long long)s->database_id);
        }
    }
    free(segs);
    if (rc)
        to_msg(&err, errmsg, errlen);
    return rc;
}

int nq_archive_prune(nq_vfs *vfs, const char *dir, uint64_t upto_seq, unsigned *removed,
                     char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    if (!vfs)
        vfs = nq_vfs_default();
    if (removed)
        *removed = 0;
    arc_seg *segs = NULL;
    size_t ns = 0;
    int rc = archive_list(vfs, dir, &segs, &ns, &err);
    unsigned n = 0;
    char path[4096];
    for (size_t k = 0; !rc && k < ns && segs[k].last_seq <= upto_seq; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, segs[k].name);
        if ((rc = vfs->remove(vfs, path)) && rc != NQ_ENOTFOUND)
            nq_err_set(&err, rc, "%s: cannot remove: %s", path, nq_strerror(rc));
        else
            rc = 0, n++;
    }
    if (n && !rc && (rc = vfs->sync_dir(vfs, path)))
        nq_err_set(&err, rc, "%s: directory sync failed: %s", dir, nq_strerror(rc));
    free(segs);
    if (removed)
        *removed = n;
    if (rc)
        to_msg(&err, errmsg, errlen);
    return rc;
}

int nq_parse_utc(const char *s, uint64_t *us)
{
    /* YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z, strictly */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (!s || strlen(s) < sizeof shape)
        return NQ_EINVAL;
    for (size_t i = 0; i + 1 < sizeof shape; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
            return NQ_EINVAL;
    const char *p = s + sizeof shape - 1;
    uint64_t frac = 0;
    if (*p == '.') {
        int nd = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, nd++)
            if (nd < 6)
                frac = frac * 10 + (uint64_t)(*p - '0');
            else
                return NQ_EINVAL;
        if (!nd)
            return NQ_EINVAL;
        for (; nd < 6; nd++)
            frac *= 10;
    }
    if (strcmp(p, "Z"))
        return NQ_EINVAL;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int v[6];
    static const int at[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int j = 0; j < len[i]; j++)
            v[i] = v[i] * 10 + (s[at[i] + j] - '0');
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
        (v[1] == 2 && v[2] == 29 && !leap) || v[3] > 23 || v[4] > 59 || v[5] > 59)
        return NQ_EINVAL;
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    time_t t = timegm(&tm);
    if (t < 0)
        return NQ_EINVAL;
    *us = (uint64_t)t * 1000000u + frac;
    return 0;
}
