/*
 * backup_api.c — nq_backup: an online backup through a connection (the work is in
 * src/storage/backup.c; verification and restore, which need no open database, are in
 * src/storage/restore.c).
 *
 * The backup reads in a read transaction of its own on the shared engine, so it must not run
 * inside one of the connection's transactions; other connections keep reading and writing.
 *
 * nq_archive_prune_chain: the log archive of a chain directory keeps the segments a restore
 * from its backups can still use (those with a commit after the oldest full backup's).
 */
#include "api_int.h"
#include "storage/backup.h"

#include <stdlib.h>

int nq_backup(nq_db *db, const char *dir, int kind, const char *parent_dir, nq_backup_info *info)
{
    if (!db || !db->eng || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    if (db->txn)
        return nq_err_set(&db->err, NQ_EMISUSE, "cannot take a backup inside a transaction");
    if (!dir || !*dir)
        return nq_err_set(&db->err, NQ_EINVAL, "no backup directory given");
    bk_manifest m;
    int rc = backup_take(db->eng->pager, db->eng->opts.vfs, dir, kind & ~NQ_BACKUP_COMPRESS,
                         (kind & NQ_BACKUP_COMPRESS) != 0, parent_dir, &m, &db->err);
    if (!rc && info)
        backup_info_fill(&m, info);
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
