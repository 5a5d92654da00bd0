/*
 * sqlscript.c — see sqlscript.h.
 */
#include "sqlscript.h"

#include <string.h>

int tsql_exec(nq_db *db, const char *sql)
{
    const char *tail = sql;
    while (tail && *tail) {
        nq_stmt *st = NULL;
        int rc = nq_prepare(db, tail, strlen(tail), &st, &tail);
        if (rc)
            return rc;
        if (!st)
            break;
        while ((rc = nq_step(st)) == NQ_ROW)
            ;
        nq_finalize(st);
        if (rc != NQ_DONE)
            return rc;
    }
    return 0;
}
