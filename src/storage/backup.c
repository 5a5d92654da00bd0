/*
 * backup.c — taking an online backup of one snapshot (docs/backup.md).
 *
 * The backup runs inside a read transaction of the pager: its snapshot is the last durable
 * commit, and for every page 1..page_count it reads the version that snapshot sees, from the
 * log frame wal_find() names or else from the database file. That is safe beside writers and
 * checkpoints for the same reason any reader is: a checkpoint never overwrites a page of the
 * file that an older snapshot still reads from there (it waits or skips), and the log is only
 * restarted when no reader is open. The images are copied as they are, trailer and checksum
 * included, so a full backup holds the snapshot's pages byte for byte. The buffer pool is not
 * used: a backup must not push the working set out of the cache.
 *
 * Which pages an incremental or differential backup takes is exact: every page's trailer
 * holds the commit sequence of the transaction that last wrote it (page_seal), sequences grow
 * with every write transaction, and a page's bytes never change without it being rewritten
 * and sealed by a commit. So a page changed after the parent's snapshot iff its sequence is
 * above the parent's commit-seq. Pages freed since keep their bytes and their sequence, and
 * pages that the database grew into are written fresh by the transaction that allocated them.
 *
 * The backup also writes the snapshot's page map — (pgno, seq, crc) of every page — to the
 * file pagemap; its SHA3-256 is the manifest's page-map-sha3. An incremental or differential
 * backup reads its parent's map alongside and requires every page it does not take (sequence
 * not above the parent's) to be exactly the version the parent's map records: a database that
 * was restored from an older backup and then changed differently reuses sequence numbers, and
 * is refused here rather than producing a chain that cannot be restored. Restore recomputes
 * the map from the pages it rebuilt and compares it with the last manifest's hash.
 *
 * With compression the same stream goes through zstd (level 1, one frame with its content
 * checksum) into pages.dat.zst; the manifest's size and SHA3-256 are of the file as stored.
 *
 * Order of writes: the data file and the pagemap, synced; then MANIFEST, synced; then the
 * directory. Until the
 * manifest is complete on disk, the directory is not a backup.
 */
#include "backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "../base/endian.h"
#include "../base/rand.h"
#include "../crypto/crypto_util.h"
#include "pager_int.h"

#define OUT_BUF (1u << 20)

/* The data file being written: a buffer of the raw stream, compressed (zstd) or not on its
 * way out; the SHA3-256 is of the bytes as stored. */
typedef struct bk_out {
    nq_vfs *vfs;
    nq_file *f;
    const char *path;
    uint64_t off;
    uint8_t *buf;
    size_t used;
    EVP_MD_CTX *md;
    ZSTD_CCtx *z;       /* NULL: stored as it is */
    uint8_t *zbuf;
    size_t zcap;
    nq_err *err;
    bk_gcm *gcm;        /* non-NULL: the stream is encrypted in chunks (backup_crypt.c) */
    uint8_t *ebuf;      /* plaintext of the chunk being filled, then its ciphertext + tag */
    size_t eused, echunk;
    uint64_t eidx;      /* index of that chunk */
} bk_out;

/* Bytes as stored: hashed and written. */
static int out_raw(bk_out *o, const void *p, size_t n)
{
    if (!n)
        return 0;
    if (EVP_DigestUpdate(o->md, p, n) != 1)
        return nq_err_set(o->err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    int rc = o->vfs->write(o->f, p, n, o->off);
    if (rc)
        return nq_err_set(o->err, rc, "%s: write failed: %s", o->path, nq_strerror(rc));
    o->off += n;
    return 0;
}

/* Seal the chunk in o->ebuf (last: the final one) and store it. */
static int out_chunk(bk_out *o, int last)
{
    uint8_t *ct = o->ebuf + o->echunk + BK_ENC_TAG;
    if (bk_gcm_chunk(o->gcm, 1, o->eidx, last, o->ebuf, o->eused, ct, ct + o->eused))
        return nq_err_set(o->err, NQ_ERROR, "%s: AES-256-GCM failed (OpenSSL)", o->path);
    int rc = out_raw(o, ct, o->eused + BK_ENC_TAG);
    o->eidx++;
    o->eused = 0;
    return rc;
}

/* The stream after compression: to the file, through the encryption when there is one. */
static int out_store(bk_out *o, const void *p, size_t n)
{
    if (!o->gcm)
        return out_raw(o, p, n);
    const uint8_t *b = p;
    while (n) {
        size_t take = o->echunk - o->eused < n ? o->echunk - o->eused : n;
        memcpy(o->ebuf + o->eused, b, take);
        o->eused += take;
        b += take;
        n -= take;
        if (o->eused == o->echunk) {
            int rc = out_chunk(o, 0);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Pass the buffered stream on; end = 1 also ends the zstd frame. */
static int out_pass(bk_out *o, int end)
{
    if (!o->z) {
        int rc = out_store(o, o->buf, o->used);
        o->used = 0;
        return rc;
    }
    ZSTD_inBuffer in = {o->buf, o->used, 0};
    for (;;) {
        ZSTD_outBuffer out = {o->zbuf, o->zcap, 0};
        size_t left = ZSTD_compressStream2(o->z, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left))
            return nq_err_set(o->err, NQ_ERROR, "%s: zstd: %s", o->path, ZSTD_getErrorName(left));
        int rc = out_store(o, o->zbuf, out.pos);
        if (rc)
            return rc;
        if (end ? left == 0 : in.pos == in.size)
            break;
    }
    o->used = 0;
    return 0;
}

static int out_flush(bk_out *o) { return o->used ? out_pass(o, 0) : 0; }

static int out_put(bk_out *o, const void *p, size_t n)
{
    if (o->used + n > OUT_BUF) {
        int rc = out_flush(o);
        if (rc)
            return rc;
    }
    memcpy(o->buf + o->used, p, n);
    o->used += n;
    return 0;
}

/* Pages of the database file read ahead in one call: pages [first, first + n). The backup
 * takes the file's version of a page only when the snapshot has no log frame for it, and the
 * checkpoint never writes such a page while the snapshot is open, so the pages it uses are
 * stable; pages of a run that come from the log instead are ignored, even if torn. */
#define RUN_BYTES (256u << 10)
typedef struct run_buf {
    uint8_t *buf;
    uint32_t first, n, cap;
} run_buf;

static int file_page(pager *p, run_buf *rb, uint32_t pgno, uint32_t last, uint8_t **out,
                     nq_err *err)
{
    uint32_t ps = p->page_size;
    if (pgno < rb->first || pgno >= rb->first + rb->n) {
        uint32_t want = last - pgno + 1 < rb->cap ? last - pgno + 1 : rb->cap;
        ssize_t got = p->vfs->read(p->db, rb->buf, (size_t)want * ps, (uint64_t)(pgno - 1) * ps);
        if (got < 0)
            return nq_err_set(err, (int)got, "%s: page %u: read failed: %s", p->path, pgno,
                              nq_strerror((int)got));
        rb->first = pgno;
        rb->n = (uint32_t)((size_t)got / ps);
        if (!rb->n)
            return nq_err_set(err, NQ_ECORRUPT, "%s: page %u: beyond end of file", p->path, pgno);
    }
    uint8_t *img = rb->buf + (size_t)(pgno - rb->first) * ps;
    if (pagexform_check(img, ps, pgno))
        return nq_err_set(err, NQ_ECORRUPT, "%s: page %u: checksum mismatch", p->path, pgno);
    *out = img;
    return 0;
}

static void join(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* The parent's pagemap, read alongside (sequentially) and hashed to check it against its
 * manifest's page-map-sha3 at the end. */
typedef struct map_in {
    nq_vfs *vfs;
    nq_file *f;
    char path[4096];
    uint8_t *buf;
    size_t have, pos;
    uint64_t off;
    uint32_t next;     /* next page number expected */
    uint32_t count;    /* the parent's page count */
    EVP_MD_CTX *md;
} map_in;

static int map_open(map_in *mi, nq_vfs *vfs, const char *dir, const bk_manifest *pm, nq_err *err)
{
    memset(mi, 0, sizeof *mi);
    mi->vfs = vfs;
    mi->next = 1;
    mi->count = pm->page_count;
    join(mi->path, sizeof mi->path, dir, BK_PAGEMAP);
    mi->buf = malloc(OUT_BUF);
    mi->md = EVP_MD_CTX_new();
    if (!mi->buf || !mi->md || EVP_DigestInit_ex(mi->md, EVP_sha3_256(), NULL) != 1)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    int rc = vfs->exists(vfs, mi->path);
    if (rc == 0)
        return nq_err_set(err, NQ_ENOTFOUND, "%s: missing", mi->path);
    if (rc > 0)
        rc = vfs->open(vfs, mi->path, NQ_OPEN_READONLY, &mi->f);
    if (rc)
        return nq_err_set(err, rc, "%s: cannot open: %s", mi->path, nq_strerror(rc));
    return 0;
}

/* The parent's entry for page mi->next (12 bytes: seq, crc), or NULL past its page count. */
static int map_next(map_in *mi, const uint8_t **ent, nq_err *err)
{
    *ent = NULL;
    if (mi->next > mi->count)
        return 0;
    if (mi->have - mi->pos < BK_MAP_ENTRY) {
        memmove(mi->buf, mi->buf + mi->pos, mi->have - mi->pos);
        mi->have -= mi->pos;
        mi->pos = 0;
        while (mi->have < BK_MAP_ENTRY) {
            ssize_t got = mi->vfs->read(mi->f, mi->buf + mi->have, OUT_BUF - mi->have, mi->off);
            if (got < 0)
                return nq_err_set(err, (int)got, "%s: read failed: %s", mi->path,
                                  nq_strerror((int)got));
            if (got == 0)
                return nq_err_set(err, NQ_ECORRUPT, "%s: ends early", mi->path);
            if (EVP_DigestUpdate(mi->md, mi->buf + mi->have, (size_t)got) != 1)
                return nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
            mi->have += (size_t)got;
            mi->off += (uint64_t)got;
        }
    }
    const uint8_t *e = mi->buf + mi->pos;
    if (get_u32(e) != mi->next)
        return nq_err_set(err, NQ_ECORRUPT, "%s: entry %u names page %u", mi->path, mi->next,
                          get_u32(e));
    mi->pos += BK_MAP_ENTRY;
    mi->next++;
    *ent = e + 4;
    return 0;
}

/* After the last page: the rest of the parent's map is read and its hash checked. */
static int map_finish(map_in *mi, const bk_manifest *pm, nq_err *err)
{
    const uint8_t *e;
    int rc;
    do
        rc = map_next(mi, &e, err);
    while (!rc && e);
    if (rc)
        return rc;
    uint8_t extra[1];
    if (mi->pos != mi->have || mi->vfs->read(mi->f, extra, 1, mi->off) != 0)
        return nq_err_set(err, NQ_ECORRUPT, "%s: longer than the page count", mi->path);
    uint8_t h[BK_SHA3];
    unsigned hl = 0;
    if (EVP_DigestFinal_ex(mi->md, h, &hl) != 1)
        return nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    if (memcmp(h, pm->map_sha3, BK_SHA3))
        return nq_err_set(err, NQ_ECORRUPT, "%s: checksum mismatch (page-map-sha3)", mi->path);
    return 0;
}

static void map_close(map_in *mi)
{
    if (mi->f)
        mi->vfs->close(mi->f);
    EVP_MD_CTX_free(mi->md);
    free(mi->buf);
}

/* Give the database an id in meta slot 2 if it has none (a write transaction of its own). */
static int ensure_database_id(pager *p, nq_err *err)
{
    pager_txn *t;
    int rc = pager_begin(p, 0, 0, &t, err);
    if (rc)
        return rc;
    uint64_t id = pager_meta(t, META_DATABASE_ID);
    pager_rollback(t);
    if (id || p->cfg.read_only)
        return 0;
    rc = pager_begin(p, 1, 5000, &t, err);
    if (rc)
        return rc;
    if (!pager_meta(t, META_DATABASE_ID)) { /* another backup may have set it meanwhile */
        do {
            if ((rc = nq_os_random(&id, sizeof id))) {
                pager_rollback(t);
                return nq_err_set(err, rc, "no random bytes for the database id");
            }
        } while (!id);
        if ((rc = pager_set_meta(t, META_DATABASE_ID, id))) {
            nq_err_set(err, rc, "%s", pager_txn_err(t)->msg);
            pager_rollback(t);
            return rc;
        }
    }
    return pager_commit(t, err);
}

static int new_backup_id(char out[BK_ID_HEX + 1])
{
    uint8_t b[BK_ID_HEX / 2];
    int rc = nq_os_random(b, sizeof b);
    if (rc)
        return rc;
    bk_hex(b, sizeof b, out);
    return 0;
}

static int write_whole(nq_vfs *vfs, const char *path, const void *data, size_t n, int sync,
                       nq_err *err)
{
    nq_file *f;
    int rc = vfs->open(vfs, path, NQ_OPEN_CREATE, &f);
    if (rc)
        return nq_err_set(err, rc, "%s: cannot create: %s", path, nq_strerror(rc));
    if (!(rc = vfs->truncate(f, 0)) && !(rc = vfs->write(f, data, n, 0)) && sync)
        rc = vfs->sync(f);
    int rc2 = vfs->close(f);
    if (!rc)
        rc = rc2;
    if (rc)
        return nq_err_set(err, rc, "%s: write failed: %s", path, nq_strerror(rc));
    return 0;
}

int backup_take(pager *p, nq_vfs *vfs, const char *dir, int kind, int zstd,
                const char *parent_dir, bk_manifest *m, nq_err *err)
{
    return backup_take_keys(p, vfs, dir, kind, zstd, parent_dir, NULL, m, err);
}

int backup_take_keys(pager *p, nq_vfs *vfs, const char *dir, int kind, int zstd,
                     const char *parent_dir, const bk_keys *keys, bk_manifest *m, nq_err *err)
{
    char data_path[4096], man_path[4096], map_path[4096], sig_path[4096];
    const bk_key *sign = keys ? keys->sign_sk : NULL, *kem = keys ? keys->kem_pk : NULL;
    if ((sign && sign->type != BK_KEY_SIGN_SECRET) || (kem && kem->type != BK_KEY_KEM_PUBLIC))
        return nq_err_set(err, NQ_EINVAL, "a backup is signed with an ML-DSA-65 secret key and "
                          "encrypted to an ML-KEM-768 public key");
    join(data_path, sizeof data_path, dir,
         kem ? (zstd ? BK_DATA_ZST ".enc" : BK_DATA ".enc") : zstd ? BK_DATA_ZST : BK_DATA);
    join(man_path, sizeof man_path, dir, BK_MANIFEST);
    join(map_path, sizeof map_path, dir, BK_PAGEMAP);
    join(sig_path, sizeof sig_path, dir, BK_SIG);
    if (strlen(dir) + 16 >= sizeof data_path)
        return nq_err_set(err, NQ_EINVAL, "%s: path too long", dir);
    if (kind < NQ_BACKUP_FULL || kind > NQ_BACKUP_DIFFERENTIAL)
        return nq_err_set(err, NQ_EINVAL, "unknown backup kind %d", kind);
    if ((kind == NQ_BACKUP_FULL) != (parent_dir == NULL))
        return nq_err_set(err, NQ_EINVAL, kind == NQ_BACKUP_FULL
                                              ? "a full backup has no parent backup"
                                              : "an incremental or differential backup needs the "
                                                "backup it builds on");
    int rc = vfs->exists(vfs, man_path);
    if (rc < 0)
        return nq_err_set(err, rc, "%s: %s", man_path, nq_strerror(rc));
    if (rc)
        return nq_err_set(err, NQ_EEXIST, "%s: a backup is already there", dir);

    bk_manifest parent;
    if (parent_dir) {
        if ((rc = backup_load(vfs, parent_dir, 0, &parent, err)))
            return rc;
        if (kind == NQ_BACKUP_DIFFERENTIAL && parent.kind != NQ_BACKUP_FULL)
            return nq_err_set(err, NQ_EINVAL,
                              "%s: a differential backup builds on a full backup, not on an %s one",
                              parent_dir, bk_kind_name(parent.kind));
        if (parent.version < 2)
            return nq_err_set(err, NQ_EINVAL, "%s: a backup of format %u has no page map to "
                              "build on; take a full backup", parent_dir, parent.version);
    }
    if ((rc = ensure_database_id(p, err)))
        return rc;

    memset(m, 0, sizeof *m);
    m->version = BK_FORMAT_VERSION;
    m->kind = kind;
    m->zstd = zstd;
    if ((rc = new_backup_id(m->backup_id)))
        return nq_err_set(err, rc, "no random bytes for the backup id");
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(m->created, sizeof m->created, "%Y-%m-%dT%H:%M:%SZ", &tmv);

    pager_txn *t;
    if ((rc = pager_begin(p, 0, 0, &t, err)))
        return rc;
    m->database_id = pager_meta(t, META_DATABASE_ID);
    m->page_size = p->page_size;
    m->page_count = t->hdr.page_count;
    m->commit_seq = t->hdr.seq;
    if (parent_dir) {
        const char *why = NULL;
        if (!m->database_id)
            why = "cannot be continued: the database has no id yet (it was opened read-only "
                  "before its first backup)";
        else if (parent.database_id != m->database_id)
            why = "is of another database";
        else if (parent.page_size != m->page_size)
            why = "has another page size";
        else if (parent.commit_seq > m->commit_seq)
            why = "is newer than the database (was it restored from an older backup?)";
        if (why) {
            pager_rollback(t);
            return nq_err_set(err, NQ_EINVAL, "%s: the parent backup %s", parent_dir, why);
        }
        snprintf(m->parent_id, sizeof m->parent_id, "%s", parent.backup_id);
        snprintf(m->base_id, sizeof m->base_id, "%s", parent.base_id);
        m->parent_seq = parent.commit_seq;
    } else {
        snprintf(m->base_id, sizeof m->base_id, "%s", m->backup_id);
    }

    bk_out o = {vfs, NULL, data_path, 0, malloc(OUT_BUF), 0, EVP_MD_CTX_new(), NULL, NULL, 0, err,
                NULL, NULL, 0, 0, 0};
    bk_out mo = {vfs, NULL, map_path, 0, malloc(OUT_BUF), 0, EVP_MD_CTX_new(), NULL, NULL, 0, err,
                 NULL, NULL, 0, 0, 0};
    bk_gcm gcm = {0};
    uint8_t dkey[32];
    if (kem) {
        /* KEM-DEM: a fresh data key for this backup, encapsulated in the manifest */
        m->version = BK_FORMAT_ENC;
        if ((rc = bk_enc_new_key(kem, m, dkey, err)) || (rc = bk_gcm_init(&gcm, dkey, m, err))) {
            crypto_wipe(dkey, sizeof dkey);
            pager_rollback(t);
            bk_gcm_free(&gcm);
            free(o.buf);
            free(mo.buf);
            EVP_MD_CTX_free(o.md);
            EVP_MD_CTX_free(mo.md);
            return rc;
        }
        crypto_wipe(dkey, sizeof dkey);
        o.gcm = &gcm;
        o.echunk = m->enc_chunk;
        o.ebuf = malloc(2 * ((size_t)o.echunk + BK_ENC_TAG));
    }
    map_in pmap;
    memset(&pmap, 0, sizeof pmap);
    uint8_t *page = malloc(p->page_size);
    run_buf rb = {NULL, 0, 0, RUN_BYTES / p->page_size ? RUN_BYTES / p->page_size : 1};
    rb.buf = malloc((size_t)rb.cap * p->page_size);
    if (zstd) {
        o.z = ZSTD_createCCtx();
        o.zcap = ZSTD_CStreamOutSize();
        o.zbuf = malloc(o.zcap);
    }
    if (!o.buf || !o.md || !mo.buf || !mo.md || !page || !rb.buf || (zstd && (!o.z || !o.zbuf)) ||
        (kem && !o.ebuf)) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto done;
    }
    /* level 1: backups are I/O-bound and should stay so; the frame carries its own checksum */
    if (zstd && (ZSTD_isError(ZSTD_CCtx_setParameter(o.z, ZSTD_c_compressionLevel, 1)) ||
                 ZSTD_isError(ZSTD_CCtx_setParameter(o.z, ZSTD_c_checksumFlag, 1)))) {
        rc = nq_err_set(err, NQ_ERROR, "zstd: cannot set parameters");
        goto done;
    }
    if (EVP_DigestInit_ex(o.md, EVP_sha3_256(), NULL) != 1 ||
        EVP_DigestInit_ex(mo.md, EVP_sha3_256(), NULL) != 1) {
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        goto done;
    }
    if (parent_dir && (rc = map_open(&pmap, vfs, parent_dir, &parent, err)))
        goto done;
    for (int i = 0; i < 2; i++) {
        bk_out *w = i ? &mo : &o;
        if ((rc = vfs->open(vfs, w->path, NQ_OPEN_CREATE, &w->f))) {
            nq_err_set(err, rc, "%s: cannot create: %s", w->path, nq_strerror(rc));
            goto done;
        }
        if ((rc = vfs->truncate(w->f, 0))) {
            nq_err_set(err, rc, "%s: truncate failed: %s", w->path, nq_strerror(rc));
            goto done;
        }
    }
    if (kem) { /* the encrypted file's own header, as stored */
        uint8_t ehdr[BK_ENC_HEADER];
        bk_enc_header(m, ehdr);
        if ((rc = out_raw(&o, ehdr, sizeof ehdr)))
            goto done;
    }
    uint8_t hdr[BK_DATA_HEADER];
    memcpy(hdr, BK_DATA_MAGIC, 8);
    put_u32(hdr + 8, BK_DATA_VERSION);
    put_u32(hdr + 12, p->page_size);
    if ((rc = out_put(&o, hdr, sizeof hdr)))
        goto done;
    for (uint32_t pgno = 1; pgno <= m->page_count; pgno++) {
        uint32_t frame = wal_find(p->wal, pgno, t->snap);
        uint8_t *img = page;
        if (frame)
            rc = pager_read_disk(p, pgno, frame, page, err); /* disk images, as stored */
        else
            rc = file_page(p, &rb, pgno, m->page_count, &img, err);
        if (rc)
            goto done;
        uint64_t seq = get_u64(img + p->page_size - PAGE_TRAILER);
        uint8_t ent[16];
        put_u32(ent, pgno);
        put_u64(ent + 4, seq);
        memcpy(ent + 12, img + p->page_size - 4, 4);
        if ((rc = out_put(&mo, ent, sizeof ent)))
            goto done;
        if (parent_dir) {
            const uint8_t *pe;
            if ((rc = map_next(&pmap, &pe, err)))
                goto done;
            /* a page the chain has not seen change must be the very version it holds */
            if (seq <= m->parent_seq && (!pe || memcmp(pe, ent + 4, 12))) {
                rc = nq_err_set(err, NQ_EINVAL, "%s: the database no longer continues this "
                                "backup chain (page %u differs from the chain's version of "
                                "it, yet is not newer: was the database restored from an older "
                                "backup?); take a full backup", parent_dir, pgno);
                goto done;
            }
        }
        if (seq > m->commit_seq) {
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: page %u: commit sequence %llu is newer than "
                            "the snapshot's %llu", p->path, pgno, (unsigned long long)seq,
                            (unsigned long long)m->commit_seq);
            goto done;
        }
        if (kind != NQ_BACKUP_FULL && seq <= m->parent_seq)
            continue;
        uint8_t num[4];
        put_u32(num, pgno);
        if ((rc = out_put(&o, num, 4)) || (rc = out_put(&o, img, p->page_size)))
            goto done;
        m->pages++;
    }
    if ((rc = out_pass(&o, 1)) || (rc = out_pass(&mo, 1)))
        goto done;
    if (kem && (rc = out_chunk(&o, 1))) /* the last chunk, sealed as last (maybe empty) */
        goto done;
    if (parent_dir && (rc = map_finish(&pmap, &parent, err)))
        goto done;
    unsigned hl = 0;
    if (EVP_DigestFinal_ex(o.md, m->data_sha3, &hl) != 1 ||
        EVP_DigestFinal_ex(mo.md, m->map_sha3, &hl) != 1) {
        rc = nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
        goto done;
    }
    m->data_bytes = o.off;
    pager_rollback(t); /* the snapshot is copied: let checkpoints go on */
    t = NULL;
    for (int i = 0; i < 2; i++) {
        bk_out *w = i ? &mo : &o;
        if ((rc = vfs->sync(w->f))) {
            nq_err_set(err, rc, "%s: sync failed: %s", w->path, nq_strerror(rc));
            goto done;
        }
        rc = vfs->close(w->f);
        w->f = NULL;
        if (rc) {
            nq_err_set(err, rc, "%s: close failed: %s", w->path, nq_strerror(rc));
            goto done;
        }
    }
    char *text;
    size_t tlen;
    if ((rc = bk_manifest_format(m, &text, &tlen, err)))
        goto done;
    if (sign) {
        /* the signature goes first: once MANIFEST exists, the backup is complete, signed */
        char *sig;
        size_t slen;
        if (!(rc = bk_sig_make(sign, text, tlen, &sig, &slen, err))) {
            rc = write_whole(vfs, sig_path, sig, slen, 1, err);
            free(sig);
        }
        if (rc) {
            free(text);
            goto done;
        }
    }
    rc = write_whole(vfs, man_path, text, tlen, 1, err);
    free(text);
    if (!rc && (rc = vfs->sync_dir(vfs, man_path)))
        nq_err_set(err, rc, "%s: directory sync failed: %s", dir, nq_strerror(rc));
    if (rc)
        vfs->remove(vfs, man_path); /* best effort: never leave a manifest of a failed backup */

done:
    if (t)
        pager_rollback(t);
    if (o.f)
        vfs->close(o.f);
    if (mo.f)
        vfs->close(mo.f);
    if (rc) {
        vfs->remove(vfs, data_path);
        vfs->remove(vfs, map_path);
        if (sign)
            vfs->remove(vfs, sig_path);
    }
    bk_gcm_free(&gcm);
    if (o.ebuf) {
        crypto_wipe(o.ebuf, 2 * ((size_t)o.echunk + BK_ENC_TAG));
        free(o.ebuf);
    }
    if (o.buf)
        crypto_wipe(o.buf, OUT_BUF); /* plaintext pages */
    map_close(&pmap);
    EVP_MD_CTX_free(o.md);
    EVP_MD_CTX_free(mo.md);
    free(mo.buf);
    ZSTD_freeCCtx(o.z);
    free(o.zbuf);
    free(o.buf);
    free(rb.buf);
    free(page);
    return rc;
}
