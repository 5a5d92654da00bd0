/*
 * txn_api.c — concurrent transactions, explicit locks and key claims (include/nqdb.h,
 * "concurrent transactions"). Placeholder until the MVCC layer lands: every call answers
 * "not supported yet".
 */
#include "api_int.h"

#include <string.h>

static int not_yet(nq_db *db)
{
    if (!db)
        return NQ_EMISUSE;
    return nq_err_set(&db->err, NQ_ENOTSUP, "not supported yet: concurrent transactions");
}

int nq_begin_concurrent(nq_db *db, int isolation)
{
    (void)isolation;
    return not_yet(db);
}

int nq_txn_statement(nq_db *db) { return not_yet(db); }
int nq_txn_mark(nq_db *db, uint64_t *mark)
{
    *mark = 0;
    return not_yet(db);
}
int nq_txn_rollback_to(nq_db *db, uint64_t mark)
{
    (void)mark;
    return not_yet(db);
}
int nq_txn_exclusive(nq_db *db) { return not_yet(db); }
int nq_lock_key(nq_tree *t, const void *key, size_t klen, int mode)
{
    (void)key, (void)klen, (void)mode;
    return not_yet(t ? t->db : NULL);
}
int nq_lock_name(nq_db *db, const char *name, int mode)
{
    (void)name, (void)mode;
    return not_yet(db);
}
int nq_key_claim(nq_tree *t, int64_t floor, int64_t *out)
{
    (void)floor;
    *out = 0;
    return not_yet(t ? t->db : NULL);
}
int nq_txn_info_get(nq_db *db, nq_txn_info *out)
{
    memset(out, 0, sizeof *out);
    return not_yet(db);
}
