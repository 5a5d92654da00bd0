/*
 * session.c — per-connection SQL state: creation and teardown, the statement bracket,
 * transactions and savepoints over the undo log (design in session.h).
 */
#include <stdlib.h>

#include "api/api_int.h"
#include "sql/session.h"

sql_session *sql_session_get(nq_db *db)
{
    if (!db->sql) {
        db->sql = calloc(1, sizeof(sql_session));
        if (db->sql)
            db->sql->db = db;
    }
    return db->sql;
}

void sql_session_free(sql_session *s)
{
    if (!s)
        return;
    free(s);
}
