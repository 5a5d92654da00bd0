/*
 * pager_open.c — opening a database (locking, header, log recovery), and closing it.
 *
 * A new database is an empty file: nothing is written to it until the first checkpoint, so
 * creation cannot be torn (the first commit goes to the log like every other). On open:
 *   1. open and lock the database file (another process holding it gets NQ_ELOCKED);
 *   2. read the header of page 1 if the file has one, which gives the page size;
 *   3. open the log and scan it (wal.c): the index then holds every committed frame, and the
 *      header of the last commit frame supersedes the file's page 1;
 *   4. when writable, checkpoint at once, so the log restarts empty and the database file
 *      alone holds the state (recovery needs no undo: nothing uncommitted is ever in the file).
 * Closing checkpoints, and removes the log once the file holds everything.
 */
#include "pager_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/crc32c.h"
#include "../base/endian.h"
#include "../crypto/crypto_util.h"
#include "dbkey.h"
#include "page_crypt.h"

const uint8_t DB_MAGIC[8] = {'N', 'Q', 'D', 'B', '\r', '\n', 0x1a, '\n'};

void header_encode(const db_header *h, uint8_t *page, uint32_t page_size)
{
    memset(page, 0, page_size);
    memcpy(page, DB_MAGIC, 8);
    put_u32(page + 8, h->format ? h->format : DB_FORMAT_VERSION);
    put_u32(page + 12, h->page_size);
    put_u32(page + 16, h->page_count);
    put_u32(page + 20, h->freelist_head);
    put_u32(page + 24, h->freelist_count);
    put_u32(page + 28, 0);
    put_u64(page + 32, h->seq);
    for (int i = 0; i < PAGER_META_SLOTS; i++)
        put_u64(page + 40 + 8 * i, h->meta[i]);
    put_u32(page + 104, crc32c(0, page, 104));
}

int header_decode(const uint8_t *page, size_t len, db_header *h, char *why, size_t whylen)
{
    if (len < DB_HEADER_SIZE || memcmp(page, DB_MAGIC, 8) != 0) {
        snprintf(why, whylen, "not a NeuroQuantumDB database (bad magic)");
        return NQ_ECANTOPEN;
    }
    if (crc32c(0, page, 104) != get_u32(page + 104)) {
        snprintf(why, whylen, "file header checksum mismatch");
        return NQ_ECORRUPT;
    }
    uint32_t ver = get_u32(page + 8);
    if (ver != DB_FORMAT_VERSION && ver != DB_FORMAT_ENCRYPTED) {
        snprintf(why, whylen, "unsupported format version %u (this build reads %u and %u)", ver,
                 DB_FORMAT_VERSION, DB_FORMAT_ENCRYPTED);
        return NQ_ECANTOPEN;
    }
    h->format = ver;
    h->page_size = get_u32(page + 12);
    if (h->page_size < 1024 || h->page_size > 65536 || (h->page_size & (h->page_size - 1))) {
        snprintf(why, whylen, "invalid page size %u", h->page_size);
        return NQ_ECORRUPT;
    }
    h->page_count = get_u32(page + 16);
    h->freelist_head = get_u32(page + 20);
    h->freelist_count = get_u32(page + 24);
    h->seq = get_u64(page + 32);
    for (int i = 0; i < PAGER_META_SLOTS; i++)
        h->meta[i] = get_u64(page + 40 + 8 * i);
    if (h->page_count < 1 || h->freelist_count >= h->page_count ||
        h->freelist_head > h->page_count) {
        snprintf(why, whylen, "header counts are inconsistent (pages %u, free %u, head %u)",
                 h->page_count, h->freelist_count, h->freelist_head);
        return NQ_ECORRUPT;
    }
    return 0;
}

static void pager_free_struct(pager *p)
{
    if (!p)
        return;
    wal_close(p->wal);
    if (p->db) {
        p->vfs->unlock(p->db);
        p->vfs->close(p->db);
    }
    pf_destroy(p->pf);
    bp_destroy(p->bp);
    pagexform_free(p->xf);
    free(p->xbuf);
    free(p->archive_dir);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->path);
    free(p);
}

/* The cipher of the database, from page 1 in force (the log's latest frame f1 of it, else the
 * file's) or, for a new database given a key, a fresh data key; *crypt stays NULL for a plain
 * database. Page 1's header and key descriptor are clear (page_crypt.h), so this reads them
 * before any key is known; pager_open then reads page 1 again through the cipher, which
 * authenticates both. */
static int open_key(pager *p, uint32_t ps, uint32_t f1, int have_page1, page_crypt **crypt,
                    nq_err *err)
{
    const dbkey_src *key = p->cfg.key;
    *crypt = NULL;
    int rc = 0;
    if (!have_page1) { /* a new database */
        if (!key)
            return 0;
        if (ps < PAGE_CRYPT_MIN_PAGE)
            return nq_err_set(err, NQ_EINVAL, "%s: an encrypted database needs a page size of "
                              "at least %d (not %u)", p->path, PAGE_CRYPT_MIN_PAGE, ps);
        uint8_t dek[32], dbid[16], kd[DBKEY_DESC_MAX];
        size_t kdlen = 0;
        if (crypto_random(dek, sizeof dek) || crypto_random(dbid, sizeof dbid))
            rc = nq_err_set(err, NQ_ERROR, "no randomness (OpenSSL)");
        if (!rc && !(rc = dbkey_wrap(key, dbid, dek, kd, &kdlen, err)) &&
            page_crypt_create(dek, dbid, ps, kd, kdlen, crypt))
            rc = nq_err_set(err, NQ_ERROR, "AES-256-GCM setup failed (OpenSSL)");
        crypto_wipe(dek, sizeof dek);
        if (rc)
            nq_err_prefix(err, rc, "%s", p->path);
        return rc;
    }
    uint8_t *buf = malloc(ps);
    if (!buf)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    rc = pager_read_disk(p, 1, f1, buf, err);
    db_header h;
    char why[160];
    if (!rc && (rc = header_decode(buf, ps, &h, why, sizeof why)))
        nq_err_set(err, rc, "%s: page 1%s: %s", p->path, f1 ? " (log)" : "", why);
    if (!rc && h.format == DB_FORMAT_ENCRYPTED) {
        dbkey_desc d;
        uint8_t dek[32];
        if (ps < PAGE_CRYPT_MIN_PAGE)
            rc = nq_err_set(err, NQ_ECORRUPT, "%s: encrypted, but the page size is %u", p->path,
                            ps);
        else if ((rc = dbkey_parse(buf + PG1_KD_OFF, PG1_KD_MAX, &d, err)))
            nq_err_prefix(err, rc, "%s: page 1", p->path);
        else if (!key) {
            char what[96];
            dbkey_describe(&d, what, sizeof what);
            rc = nq_err_set(err, NQ_EKEY, "%s: the database is encrypted (to a %s): give its "
                            "key", p->path, what);
        } else if ((rc = dbkey_unwrap(key, &d, dek, err)))
            nq_err_prefix(err, rc, "%s", p->path);
        else {
            if (page_crypt_create(dek, d.dbid, ps, buf + PG1_KD_OFF, d.len, crypt))
                rc = nq_err_set(err, NQ_ERROR, "AES-256-GCM setup failed (OpenSSL)");
            crypto_wipe(dek, sizeof dek);
        }
    } else if (!rc && key) {
        rc = nq_err_set(err, NQ_EKEY, "%s: the database is not encrypted, but a key was given "
                        "(open it without one)", p->path);
    }
    free(buf);
    return rc;
}

/* The prefetch learner allocated or freed its table (prefetch.h): lend that much of the
 * pool's budget, counted as cached pages are (page plus ~128 bytes of bookkeeping). */
static void pager_pf_mem(void *arg, size_t table_bytes)
{
    pager *p = arg;
    size_t unit = (size_t)p->page_size + 128;
    bp_set_reserve(p->bp, (table_bytes + unit - 1) / unit);
}

static int valid_page_size(uint32_t ps) { return ps >= 1024 && ps <= 65536 && !(ps & (ps - 1)); }

int pager_open(nq_vfs *vfs, const char *path, const pager_config *cfg, pager **out, nq_err *err)
{
    *out = NULL;
    pager *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path))) {
        free(p);
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->vfs = vfs;
    p->cfg = *cfg;
    p->cfg.archive_dir = NULL;
    int rc;
    if (cfg->archive_dir && *cfg->archive_dir && !cfg->read_only &&
        !(p->archive_dir = strdup(cfg->archive_dir))) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto fail;
    }
    if (!p->cfg.page_size)
        p->cfg.page_size = 4096;
    if (!p->cfg.cache_bytes)
        p->cfg.cache_bytes = 16u << 20;
    if (!p->cfg.checkpoint_pages)
        p->cfg.checkpoint_pages = 1000;
    if (!valid_page_size(p->cfg.page_size)) {
        rc = nq_err_set(err, NQ_EINVAL, "page size %u: must be a power of two from 1024 to 65536",
                        p->cfg.page_size);
        goto fail;
    }

    /* 1. the database file */
    int existed = vfs->exists(vfs, path);
    if (existed < 0) {
        rc = nq_err_set(err, existed, "%s: %s", path, nq_strerror(existed));
        goto fail;
    }
    /* a key that cannot make a new database is refused before anything is created */
    if (!existed && p->cfg.key && !(p->cfg.read_only || p->cfg.no_create)) {
        if ((rc = dbkey_probe(p->cfg.key, err)))
            goto fail;
        if (p->cfg.page_size < PAGE_CRYPT_MIN_PAGE) {
            rc = nq_err_set(err, NQ_EINVAL, "%s: an encrypted database needs a page size of at "
                            "least %d (not %u)", path, PAGE_CRYPT_MIN_PAGE, p->cfg.page_size);
            goto fail;
        }
    }
    if (!existed && (p->cfg.read_only || p->cfg.no_create)) {
        rc = nq_err_set(err, NQ_ECANTOPEN, "%s: no such database file", path);
        goto fail;
    }
    rc = vfs->open(vfs, path, p->cfg.read_only ? NQ_OPEN_READONLY : NQ_OPEN_CREATE, &p->db);
    if (rc) {
        nq_err_set(err, rc == NQ_ENOTFOUND ? NQ_ECANTOPEN : rc, "%s: cannot open: %s", path,
                   nq_strerror(rc));
        rc = err->code;
        goto fail;
    }
    if (!existed && !p->cfg.sync_off && (rc = vfs->sync_dir(vfs, path))) {
        nq_err_set(err, rc, "%s: syncing directory: %s", path, nq_strerror(rc));
        goto fail;
    }
    if ((rc = vfs->lock(p->db))) {
        nq_err_set(err, rc, "%s: %s", path, rc == NQ_ELOCKED ? "database is open in another process"
                                                            : nq_strerror(rc));
        goto fail;
    }
    uint64_t fsize;
    if ((rc = vfs->size(p->db, &fsize))) {
        nq_err_set(err, rc, "%s: %s", path, nq_strerror(rc));
        goto fail;
    }

    /* 2. the file's header */
    db_header fh;
    memset(&fh, 0, sizeof fh);
    int file_hdr_ok = 0;
    char why[160] = "";
    int hdr_rc = 0;
    if (fsize > 0) {
        uint8_t hb[DB_HEADER_SIZE];
        ssize_t got = vfs->read(p->db, hb, sizeof hb, 0);
        if (got < 0) {
            rc = nq_err_set(err, (int)got, "%s: %s", path, nq_strerror((int)got));
            goto fail;
        }
        hdr_rc = header_decode(hb, (size_t)got, &fh, why, sizeof why);
        file_hdr_ok = hdr_rc == 0;
    }

    /* 3. the log */
    size_t plen = strlen(path);
    char *wpath = malloc(plen + 5);
    if (!wpath) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(wpath, path, plen);
    memcpy(wpath + plen, "-wal", 5);
    wal_recovery rec;
    rc = wal_open(vfs, wpath, file_hdr_ok ? fh.page_size : 0, p->cfg.read_only, p->cfg.sync_off,
                  &p->wal, &rec, err);
    free(wpath);
    if (rc)
        goto fail;
    uint32_t ps = file_hdr_ok ? fh.page_size : rec.page_size ? rec.page_size : p->cfg.page_size;
    if (!rec.page_size && (rc = wal_set_page_size(p->wal, ps, err)))
        goto fail;
    p->page_size = ps;
    uint32_t f1 = wal_find(p->wal, 1, rec.mx);
    page_crypt *crypt = NULL;
    if ((rc = open_key(p, ps, f1, f1 || file_hdr_ok, &crypt, err)))
        goto fail;
    if ((rc = pagexform_create(ps, crypt, &p->xf)) || !(p->xbuf = malloc(ps))) {
        if (!p->xf)
            page_crypt_free(crypt);
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto fail;
    }
    p->usable = pagexform_usable(p->xf);
    p->db_file_pages = fsize / ps;
    p->mx_appended = p->mx_durable = rec.mx;

    /* The budget counts what a cached page really costs: its bytes plus the bookkeeping
     * around it (frame or private-page record, hash links, allocator headers: ~128 bytes). */
    size_t cap = p->cfg.cache_bytes / (ps + 128);
    if (cap < 64)
        cap = 64;
    size_t pf_pool = cap; /* the learner's table, while it has one, is lent from this budget */
    /* One budget: the pool has all of it while nobody writes; a writer's private pages are
     * lent out of it (the pool shrinks) up to all but a small reserve for clean pages. */
    p->budget = cap;
    size_t reserve = cap / 32 > 16 ? cap / 32 : 16;
    p->dirty_limit = cap - reserve;
    if ((rc = bp_create(ps, cap, &p->bp))) {
        nq_err_set(err, rc, "out of memory");
        goto fail;
    }

    /* the header in force: the last commit's page 1 if the log has one, else the file's */
    db_header h;
    if (f1) {
        uint8_t *buf = malloc(ps);
        if (!buf) {
            rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
            goto fail;
        }
        rc = pager_read_page(p, 1, f1, buf, err);
        if (!rc && (rc = header_decode(buf, ps, &h, why, sizeof why)))
            nq_err_set(err, rc, "%s: page 1 in log frame %u: %s", path, f1, why);
        free(buf);
        if (rc)
            goto fail;
    } else if (file_hdr_ok) {
        uint8_t *buf = malloc(ps);
        if (!buf) {
            rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
            goto fail;
        }
        rc = pager_read_page(p, 1, 0, buf, err);
        free(buf);
        if (rc)
            goto fail;
        h = fh;
    } else if (fsize == 0) {
        memset(&h, 0, sizeof h); /* a new, empty database */
        h.format = crypt ? DB_FORMAT_ENCRYPTED : DB_FORMAT_VERSION;
        h.page_size = ps;
        h.page_count = 1;
    } else {
        rc = nq_err_set(err, hdr_rc ? hdr_rc : NQ_ECANTOPEN, "%s: %s", path,
                        why[0] ? why : "not a database");
        goto fail;
    }
    if (h.page_size != ps) {
        rc = nq_err_set(err, NQ_ECORRUPT, "%s: header page size %u differs from %u", path,
                        h.page_size, ps);
        goto fail;
    }
    /* Every page of the database is in the file or in the log (a commit writes every page it
     * adds), so a header that claims more is damaged: refuse it rather than read beyond. */
    uint64_t present = p->db_file_pages > rec.max_pgno ? p->db_file_pages : rec.max_pgno;
    if (h.page_count > present && !(fsize == 0 && !f1)) {
        rc = nq_err_set(err, NQ_ECORRUPT,
                        "%s: header says %u pages, but the file and log hold only %llu", path,
                        h.page_count, (unsigned long long)present);
        goto fail;
    }
    p->hdr_appended = p->hdr_durable = h;
    p->next_seq = (h.seq > rec.max_seq ? h.seq : rec.max_seq) + 1;

    /* 4. fold the log into the file */
    if (!p->cfg.read_only && rec.mx) {
        pthread_mutex_lock(&p->mu);
        p->writer = 1;
        rc = pager_checkpoint_locked(p, 1, err);
        int archive_only = rc && p->archive_failed && !p->failed;
        p->writer = 0;
        pthread_mutex_unlock(&p->mu);
        if (archive_only) {
            /* The file holds everything; only the log's restart waits for the archive, and
             * the log keeps the frames until it can be archived: open (pager_archive_error
             * and nq_get_stats report it). */
            nq_err_clear(err);
            rc = 0;
        }
        if (rc)
            goto fail;
    }
    if (p->cfg.prefetch &&
        (rc = pf_create(pf_pool, p->cfg.prefetch != NQ_PREFETCH_INLINE, pager_prefetch_run, p,
                        &p->pf))) {
        nq_err_set(err, rc, "cannot start the prefetcher: %s", nq_strerror(rc));
        goto fail;
    }
    if (p->pf)
        pf_set_mem_callback(p->pf, pager_pf_mem, p);
    *out = p;
    return 0;
fail:
    pager_free_struct(p);
    return rc;
}

int pager_close(pager *p, nq_err *err)
{
    if (!p)
        return 0;
    int rc = 0;
    pf_destroy(p->pf); /* its thread's read transaction must not hold the last checkpoint */
    p->pf = NULL;
    pthread_mutex_lock(&p->mu);
    int failed = p->failed;
    int clean = !p->cfg.read_only && !failed;
    if (clean) {
        p->writer = 1;
        rc = pager_checkpoint_locked(p, 1, err);
        p->writer = 0;
        clean = !rc && p->mx_appended == 0;
    }
    pthread_mutex_unlock(&p->mu);
    /* With everything in the file (synced), the log is no longer needed. */
    if (clean) {
        int r2 = wal_remove(p->wal);
        if (r2 && !rc)
            rc = nq_err_set(err, r2, "%s: removing log: %s", p->path, nq_strerror(r2));
    }
    pager_free_struct(p);
    return rc;
}
