/*
 * exec_vacuum.c — VACUUM.
 *
 * In this engine an old row version is not a dead tuple inside a table page: pages are
 * versioned whole, and every committed version of a page that is not yet in the database file
 * is a frame of the write-ahead log. Garbage is therefore log frames, and collecting it is a
 * checkpoint: copy the newest version of each page into the file and restart the log. A frame
 * must stay in the log while an open snapshot may still need the older version it replaces,
 * so VACUUM copies back exactly the versions up to the oldest open snapshot (all of them when
 * none is open), and restarts the log when no reader uses it (pager_vacuum). It never waits
 * for readers: with a long reader open, what it reports as frames_retained is the garbage
 * that reader keeps.
 *
 *   VACUUM          the whole database (one row of figures, xv_names)
 *   VACUUM t        the same: versions are kept per page of the database, not per table, so
 *                   there is nothing to do for one table alone; t must exist
 *   VACUUM FULL     not supported yet (compacting the file: free pages are reused by later
 *                   writes and free pages at the end of the file are cut off at commit)
 *   VACUUM VERBOSE / FREEZE / ANALYZE   not supported yet (ANALYZE t is its own statement)
 *
 * Like PostgreSQL's, it cannot run inside a transaction block (its own snapshot would be one
 * of the readers that keep the log).
 */
#include "sql/exec_vacuum.h"

#include <string.h>

#include "api/api_int.h"
#include "sql/catalog.h"

const char *const xv_names[XV_NCOLS] = {"frames_before", "frames_after", "frames_retained",
                                        "oldest_snapshot_age_ms"};

int xv_vacuum(sql_session *s, const ast_ext *x, int (*emit)(void *, const sqlv *, int, nq_err *),
              void *arg, nq_err *e)
{
    if (x->algorithm)
        return nq_err_set(e, NQ_ENOTSUP,
                          "not supported yet: VACUUM FULL (compacting the database file); plain "
                          "VACUUM frees the old versions, freed pages are reused by later writes");
    if (x->options.n)
        return nq_err_set(e, NQ_ENOTSUP, "not supported yet: VACUUM %s%s",
                          ((const ast_option *)x->options.v[0])->name,
                          strcmp(((const ast_option *)x->options.v[0])->name, "ANALYZE") == 0
                              ? " (run ANALYZE separately)"
                              : "");
    if (s->explicit_txn || nq_in_txn(s->db, NULL))
        return nq_err_set(e, NQ_EMISUSE, "VACUUM cannot run inside a transaction block");
    if (x->table.name) {
        size_t mark;
        int rc = sess_stmt_begin(s, SESS_READ, &mark, e);
        if (rc < 0)
            return rc;
        rc = sess_catalog(s, e);
        if (rc == 0 && !cat_table_find(s->cat, x->table.name))
            rc = nq_err_set(e, NQ_ESCHEMA, "no such table: %s", x->table.name);
        int rc2 = sess_stmt_end(s, mark, rc == 0, rc < 0 ? NULL : e);
        if (rc < 0)
            return rc;
        if (rc2 < 0)
            return rc2;
    }
    pager_vacuum_info vi;
    int rc = pager_vacuum(s->db->eng->pager, s->db->eng->opts.busy_timeout_ms, &vi, e);
    if (rc)
        return rc;
    sqlv row[XV_NCOLS] = {
        sqlv_int((int64_t)vi.frames_before),
        sqlv_int((int64_t)vi.frames_after),
        sqlv_int((int64_t)vi.frames_retained),
        sqlv_int((int64_t)vi.oldest_snapshot_age_ms),
    };
    return emit(arg, row, XV_NCOLS, e);
}
