/*
 * sqlerr.c — engine result codes as API errors.
 *
 * The rule: what the client got wrong is a 4xx, what the server could not do is a 5xx.
 * Syntax, name, type and usage errors are 400 InvalidQuery with the engine's message (which
 * carries the line and column); constraint violations and "already exists" are 409 Conflict;
 * "not supported yet" is 501; a busy engine (another writer held the lock past the busy
 * timeout) and an interrupted statement (the request timeout) are 503, which clients retry;
 * I/O errors, corruption, out of memory and the fail-stop state are 500 and are logged.
 * Concurrency: a serialization failure (40001) and a deadlock victim (40P01) are 409 Conflict
 * (the transaction was rolled back: the client retries it whole); a lock wait past
 * lock_timeout (55P03) is 503 like a busy engine.
 *
 * Every engine error also carries its SQLSTATE (nq_sqlstate) as metadata.sqlstate, so that a
 * client can tell "retry the transaction" (40001, 40P01) from "fix the query" without parsing
 * messages.
 */
#include <stdio.h>

#include "server.h"

static int engine_status(req *r, int rc, const char *buf)
{
    switch (rc) {
    case NQ_ESYNTAX:
    case NQ_ESCHEMA:
    case NQ_ETYPE:
    case NQ_EINVAL:
    case NQ_EMISUSE:
    case NQ_ETOOBIG:
    case NQ_ENOTFOUND:
    case NQ_ERROR:
    case NQ_EREADONLY:
        return req_fail(r, AE_INVALID_QUERY, buf, NULL);
    case NQ_ECONSTRAINT:
    case NQ_EEXIST:
    case NQ_ESERIALIZE:
    case NQ_EDEADLOCK:
        return req_fail(r, AE_CONFLICT, buf, NULL);
    case NQ_ENOTSUP:
        return req_fail(r, AE_NOT_IMPLEMENTED, buf, NULL);
    case NQ_EBUSY:
    case NQ_ELOCKTIMEOUT:
        return req_fail(r, AE_UNAVAILABLE, "database", buf);
    case NQ_EINTERRUPT:
        return req_fail(r, AE_UNAVAILABLE, "query",
                        "the statement ran longer than security.request_timeout_seconds and was "
                        "stopped; nothing it changed was kept");
    default:
        srvlog_msg(&r->srv->log, SRVLOG_ERROR, r->request_id, "engine error %d: %s", rc, buf);
        return req_fail(r, AE_INTERNAL, buf, NULL);
    }
}

int req_engine_error(req *r, nq_db *db, int rc, const char *what)
{
    const char *msg = db ? nq_errmsg(db) : nq_strerror(rc);
    char buf[480];
    snprintf(buf, sizeof buf, "%s%s%s", what ? what : "", what ? ": " : "", msg);
    int status = engine_status(r, rc, buf);
    snprintf(r->err.sqlstate, sizeof r->err.sqlstate, "%s", nq_sqlstate(rc));
    return status;
}
