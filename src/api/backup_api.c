/*
 * backup_api.c — nq_backup: an online backup through a connection (the work is in
 * src/storage/backup.c; verification and restore, which need no open database, are in
 * src/storage/restore.c).
 *
 * nq_backup_ex reads the key files it is given (docs/backup.md, "Keys") and signs and/or
 * encrypts the backup with them; nq_backup_keygen makes a set of key files.
 *
 * The backup reads in a read transaction of its own on the shared engine, so it must not run
 * inside one of the connection's transactions; other connections keep reading and writing.
 *
 * nq_archive_prune_chain: the log archive of a chain directory keeps the segments a restore
 * from its backups can still use (those with a commit after the oldest full backup's).
 */
#include <stdio.h>
#include <stdlib.h>

#include "api_int.h"
#include "storage/backup.h"

#include <stdlib.h>

int nq_backup(nq_db *db, const char *dir, int kind, const char *parent_dir, nq_backup_info *info)
{
    nq_backup_options o = {kind, NULL, NULL};
    return nq_backup_ex(db, dir, parent_dir, &o, info);
}

int nq_backup_ex(nq_db *db, const char *dir, const char *parent_dir, const nq_backup_options *opts,
                 nq_backup_info *info)
{
    if (!db || !db->eng || !db->eng->pager || !opts)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->txn)
        return nq_err_set(&db->err, NQ_EMISUSE, "cannot take a backup inside a transaction");
    if (!dir || !*dir)
        return nq_err_set(&db->err, NQ_EINVAL, "no backup directory given");
    /* the key files are read for each backup (and the secret one wiped after it): a key file
     * replaced between backups takes effect at the next one */
    bk_key *k = calloc(2, sizeof *k);
    if (!k)
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    bk_keys keys = {NULL, NULL, NULL, NULL};
    int rc = 0;
    if (opts->sign_key && !(rc = bk_key_load(opts->sign_key, BK_KEY_SIGN_SECRET, &k[0], &db->err)))
        keys.sign_sk = &k[0];
    if (!rc && opts->encrypt_key &&
        !(rc = bk_key_load(opts->encrypt_key, BK_KEY_KEM_PUBLIC, &k[1], &db->err)))
        keys.kem_pk = &k[1];
    bk_manifest m;
    int kind = opts->kind;
    if (!rc)
        rc = backup_take_keys(db->eng->pager, db->eng->opts.vfs, dir, kind & ~NQ_BACKUP_COMPRESS,
                              (kind & NQ_BACKUP_COMPRESS) != 0, parent_dir, &keys, &m, &db->err);
    bk_key_wipe(&k[0]);
    free(k);
    if (!rc && info) {
        backup_info_fill(&m, info);
        info->is_signed = keys.sign_sk != NULL;
    }
    return rc;
}

int nq_backup_keygen(const char *dir, char *errmsg, size_t errlen)
{
    nq_err err;
    nq_err_clear(&err);
    int rc = dir && *dir ? bk_keygen(dir, &err) : nq_err_set(&err, NQ_EINVAL, "no directory given");
    if (rc && errmsg && errlen)
        snprintf(errmsg, errlen, "%s", err.msg);
    return rc;
}

int nq_archive_prune_chain(const char *dest, const char *dir, unsigned *removed, uint64_t *upto,
                           char *errmsg, size_t errlen)
{
    if (removed)
        *removed = 0;
    if (upto)
        *upto = 0;
    nq_backup_entry *es = NULL;
    size_t n = 0;
    int rc = nq_backup_chain_list(dest, &es, &n, errmsg, errlen);
    if (rc)
        return rc;
    uint64_t s = 0;
    int have = 0;
    for (size_t i = 0; i < n && !have; i++)
        if (es[i].info.kind == NQ_BACKUP_FULL) {
            s = es[i].info.commit_seq;
            have = 1;
        }
    free(es);
    if (!have)
        return 0;
    if (upto)
        *upto = s;
    return nq_archive_prune(NULL, dir, s, removed, errmsg, errlen);
}
