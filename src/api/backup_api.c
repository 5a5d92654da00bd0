/*
 * backup_api.c — nq_backup: an online backup through a connection (the work is in
 * src/storage/backup.c; verification and restore, which need no open database, are in
 * src/storage/restore.c).
 *
 * The backup reads in a read transaction of its own on the shared engine, so it must not run
 * inside one of the connection's transactions; other connections keep reading and writing.
 */
#include "api_int.h"
#include "storage/backup.h"

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
