/*
 * dbrekey.c — re-encrypting a whole database under a fresh data key (pager_reencrypt,
 * `nqdb rekey --reencrypt`).
 *
 * Crash safety comes from never changing the database file in place: with the database open
 * (and so locked against other processes) and its log folded into the file by a checkpoint,
 * every page is read through the old cipher (authenticated), sealed under the new data key
 * with its commit seq unchanged, and written to "<path>.rekey"; that file is synced, renamed
 * over path and the directory synced. Until the rename is durable the old file (and old key)
 * is the database; after it, the new one. The log left beside it holds no valid frame (the
 * checkpoint restarted it with new salts) and is removed by the close. A stale "<path>.rekey"
 * from an interrupted run is removed by the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/endian.h"
#include "../crypto/crypto_util.h"
#include "dbkey.h"
#include "page_crypt.h"
#include "pager_int.h"

#define REKEY_BATCH 64

static int rewrite(pager *p, nq_vfs *vfs, const char *tmp, page_crypt *nc, nq_err *err)
{
    uint32_t ps = p->page_size, n = p->hdr_durable.page_count;
    nq_file *f = NULL;
    int rc = vfs->remove(vfs, tmp);
    if (rc && rc != NQ_ENOTFOUND)
        return nq_err_set(err, rc, "%s: cannot remove: %s", tmp, nq_strerror(rc));
    if ((rc = vfs->open(vfs, tmp, NQ_OPEN_CREATE, &f)))
        return nq_err_set(err, rc, "%s: cannot create: %s", tmp, nq_strerror(rc));
    uint8_t *buf = malloc((size_t)REKEY_BATCH * ps);
    if (!buf)
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
    for (uint32_t base = 1; !rc && base <= n; base += REKEY_BATCH) {
        uint32_t cnt = n - base + 1 < REKEY_BATCH ? n - base + 1 : REKEY_BATCH;
        for (uint32_t i = 0; !rc && i < cnt; i++) {
            uint8_t *img = buf + (size_t)i * ps;
            if ((rc = pager_read_page(p, base + i, 0, img, err)))
                break;
            if (page_crypt_seal(nc, base + i, get_u64(img + ps - PAGE_TRAILER), img))
                rc = nq_err_set(err, NQ_ERROR, "page %u: encryption failed (OpenSSL)", base + i);
        }
        if (!rc && (rc = vfs->write(f, buf, (size_t)cnt * ps, (uint64_t)(base - 1) * ps)))
            nq_err_set(err, rc, "%s: write failed: %s", tmp, nq_strerror(rc));
    }
    if (buf) {
        crypto_wipe(buf, (size_t)REKEY_BATCH * ps);
        free(buf);
    }
    if (!rc && (rc = vfs->sync(f)))
        nq_err_set(err, rc, "%s: sync failed: %s", tmp, nq_strerror(rc));
    vfs->close(f);
    if (!rc && (rc = vfs->rename(vfs, tmp, p->path)))
        nq_err_set(err, rc, "%s: cannot rename over %s: %s", tmp, p->path, nq_strerror(rc));
    if (!rc && (rc = vfs->sync_dir(vfs, p->path)))
        nq_err_set(err, rc, "%s: syncing directory: %s", p->path, nq_strerror(rc));
    if (rc)
        vfs->remove(vfs, tmp); /* before the rename: the old database is untouched */
    return rc;
}

int pager_reencrypt(nq_vfs *vfs, const char *path, const pager_config *cfg0,
                    const dbkey_src *newsrc, nq_err *err)
{
    if (!vfs->rename)
        return nq_err_set(err, NQ_ENOTSUP, "the file-system layer \"%s\" cannot rename files, "
                          "which re-encryption needs", vfs->name ? vfs->name : "?");
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.rekey", path) >= (int)sizeof tmp)
        return nq_err_set(err, NQ_EINVAL, "%s: path too long", path);
    pager_config cfg = *cfg0;
    cfg.no_create = 1;
    cfg.read_only = 0;
    if (!cfg.key)
        return nq_err_set(err, NQ_EKEY, "%s: re-encryption needs the current key", path);
    pager *p;
    int rc = pager_open(vfs, path, &cfg, &p, err);
    if (rc)
        return rc;
    page_crypt *nc = NULL;
    if (!(rc = pager_checkpoint(p, 0, err)) && p->mx_appended != 0)
        rc = nq_err_set(err, NQ_EBUSY, "%s: the log could not be folded into the file", path);
    if (!rc) {
        uint8_t dek[32], dbid[16], kd[DBKEY_DESC_MAX];
        size_t kdlen = 0;
        if (crypto_random(dek, sizeof dek) || crypto_random(dbid, sizeof dbid))
            rc = nq_err_set(err, NQ_ERROR, "no randomness (OpenSSL)");
        if (!rc && !(rc = dbkey_wrap(newsrc, dbid, dek, kd, &kdlen, err)) &&
            page_crypt_create(dek, dbid, p->page_size, kd, kdlen, &nc))
            rc = nq_err_set(err, NQ_ERROR, "AES-256-GCM setup failed (OpenSSL)");
        crypto_wipe(dek, sizeof dek);
    }
    if (!rc)
        rc = rewrite(p, vfs, tmp, nc, err);
    page_crypt_free(nc);
    nq_err e2;
    nq_err_clear(&e2);
    int rc2 = pager_close(p, &e2);
    if (!rc && rc2)
        rc = nq_err_set(err, rc2, "%s", e2.msg);
    return rc;
}
