/*
 * encrypt_api.c — the public face of encryption at rest (include/nqdb.h "encryption at
 * rest"): key files, the description of a database's encryption, re-wrapping and
 * re-encryption. The mechanisms live in src/storage (page_crypt.c, dbkey.c, dbrekey.c).
 */
#include <stdio.h>

#include "api_int.h"
#include "storage/dbkey.h"

static int report(int rc, const nq_err *err, char *errmsg, size_t errlen)
{
    if (errmsg && errlen)
        snprintf(errmsg, errlen, "%s", rc ? err->msg : "");
    return rc;
}

int nq_keygen(const char *path, char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    int rc = path && *path ? dbkey_keygen(path, &err)
                           : nq_err_set(&err, NQ_EINVAL, "no key file path given");
    return report(rc, &err, errmsg, errlen);
}

int nq_encryption(nq_db *db, char *desc, size_t n)
{
    if (desc && n)
        desc[0] = 0;
    if (!db || !db->eng->pager)
        return 0;
    return pager_encrypted(db->eng->pager, desc, n);
}

static int key_src(const nq_options *k, dbkey_src *src, nq_err *err)
{
    if (!k || (!k->key_file) == (!k->passphrase))
        return nq_err_set(err, NQ_EINVAL, "give exactly one new key: a key file or a passphrase");
    *src = (dbkey_src){k->key_file, k->passphrase, k->kdf_iterations, k->kdf_memory_kib};
    return 0;
}

int nq_rekey(nq_db *db, const nq_options *newkey)
{
    if (!db)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (!db->eng->pager)
        return nq_err_set(&db->err, NQ_EMISUSE, "the database is not open");
    if (db->txn)
        return nq_err_set(&db->err, NQ_EMISUSE, "cannot rekey inside a transaction");
    dbkey_src src;
    int rc = key_src(newkey, &src, &db->err);
    if (!rc)
        rc = pager_rewrap(db->eng->pager, &src, db->eng->opts.busy_timeout_ms, &db->err);
    return rc;
}

int nq_reencrypt(const char *path, const nq_options *opts, const nq_options *newkey,
                 char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    nq_options o;
    if (opts)
        o = *opts;
    else
        nq_options_init(&o);
    if (!o.vfs)
        o.vfs = nq_vfs_default();
    dbkey_src cur = {o.key_file, o.passphrase, o.kdf_iterations, o.kdf_memory_kib}, nsrc;
    int rc = !path || !*path ? nq_err_set(&err, NQ_EINVAL, "no database path given")
                             : key_src(newkey, &nsrc, &err);
    if (!rc) {
        pager_config cfg = {
            .cache_bytes = o.cache_bytes,
            .checkpoint_pages = o.checkpoint_pages,
            .sync_off = o.sync == NQ_SYNC_OFF,
            .archive_dir = o.archive_dir,
            .key = o.key_file || o.passphrase ? &cur : NULL,
        };
        rc = pager_reencrypt(o.vfs, path, &cfg, &nsrc, &err);
    }
    return report(rc, &err, errmsg, errlen);
}
