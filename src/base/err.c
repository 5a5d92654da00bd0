/*
 * err.c — error objects and the table of result-code descriptions.
 */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void nq_err_clear(nq_err *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = 0;
    }
}

int nq_err_set(nq_err *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    return code;
}

int nq_err_prefix(nq_err *e, int code, const char *fmt, ...)
{
    if (!e)
        return code;
    char head[NQ_ERRMSG_MAX], old[NQ_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* head, then ": " and the old message, cut at the buffer's end */
    size_t n = strlen(head);
    memcpy(e->msg, head, n + 1);
    if (old[0] && n + 2 < sizeof e->msg) {
        memcpy(e->msg + n, ": ", 3);
        n += 2;
        size_t m = strlen(old);
        if (m > sizeof e->msg - 1 - n)
            m = sizeof e->msg - 1 - n;
        memcpy(e->msg + n, old, m);
        e->msg[n + m] = 0;
    }
    if (!e->code)
        e->code = code;
    return e->code;
}

int nq_errno_code(int err)
{
    switch (err) {
    case ENOMEM: return NQ_ENOMEM;
    case ENOSPC:
    case EDQUOT: return NQ_ENOSPC;
    case ENOENT: return NQ_ENOTFOUND;
    case EEXIST: return NQ_EEXIST;
    case EACCES:
    case EPERM:
    case EROFS: return NQ_ECANTOPEN;
    case EAGAIN: return NQ_ELOCKED;
    case EINVAL: return NQ_EINVAL;
    default: return NQ_EIO;
    }
}

int nq_err_set_str(nq_err *e, int code, const char *msg)
{
    if (e) {
        e->code = code;
        size_t n = strlen(msg);
        if (n >= sizeof e->msg)
            n = sizeof e->msg - 1;
        memcpy(e->msg, msg, n);
        e->msg[n] = 0;
    }
    return code;
}

const char *nq_strerror(int code)
{
    switch (code) {
    case NQ_OK: return "ok";
    case NQ_ERROR: return "error";
    case NQ_ENOMEM: return "out of memory";
    case NQ_EIO: return "I/O error";
    case NQ_ECORRUPT: return "database file is corrupt";
    case NQ_ENOSPC: return "no space left on device";
    case NQ_EBUSY: return "database is busy";
    case NQ_EREADONLY: return "attempt to write in a read-only transaction or database";
    case NQ_ENOTFOUND: return "not found";
    case NQ_EEXIST: return "already exists";
    case NQ_EINVAL: return "invalid argument";
    case NQ_EFAILED: return "database stopped accepting writes after an I/O error; reopen it";
    case NQ_ETOOBIG: return "too big";
    case NQ_EMISUSE: return "API misuse";
    case NQ_ECANTOPEN: return "cannot open database file";
    case NQ_ELOCKED: return "database is locked by another process";
    case NQ_ENOTSUP: return "not supported yet";
    case NQ_ESYNTAX: return "SQL syntax error";
    case NQ_ECONSTRAINT: return "constraint failed";
    case NQ_ESCHEMA: return "SQL name does not resolve";
    case NQ_ETYPE: return "SQL type mismatch";
    case NQ_EINTERRUPT: return "interrupted";
    case NQ_EKEY: return "wrong or missing key";
    case NQ_ESERIALIZE: return "could not serialize access due to concurrent update";
    case NQ_EDEADLOCK: return "deadlock detected";
    case NQ_ELOCKTIMEOUT: return "canceling statement due to lock timeout";
    case NQ_ECONFLICT: return "row changed by a concurrent transaction; statement restarts";
    case NQ_ROW: return "row ready";
    case NQ_DONE: return "statement done";
    default: return "unknown error";
    }
}

const char *nq_sqlstate(int code)
{
    switch (code) {
    case NQ_OK: case NQ_ROW: case NQ_DONE: return "00000";
    case NQ_ENOMEM: return "53200";        /* out_of_memory */
    case NQ_EIO: return "58030";           /* io_error */
    case NQ_ECORRUPT: return "XX001";      /* data_corrupted */
    case NQ_ENOSPC: return "53100";        /* disk_full */
    case NQ_EBUSY: return "55006";         /* object_in_use */
    case NQ_EREADONLY: return "25006";     /* read_only_sql_transaction */
    case NQ_ENOTFOUND: return "42704";     /* undefined_object */
    case NQ_EEXIST: return "42710";        /* duplicate_object */
    case NQ_EINVAL: return "22023";        /* invalid_parameter_value */
    case NQ_EFAILED: return "58000";       /* system_error */
    case NQ_ETOOBIG: return "54000";       /* program_limit_exceeded */
    case NQ_EMISUSE: return "25000";       /* invalid_transaction_state */
    case NQ_ECANTOPEN: return "58P01";     /* undefined_file */
    case NQ_ELOCKED: return "55006";       /* object_in_use */
    case NQ_ENOTSUP: return "0A000";       /* feature_not_supported */
    case NQ_ESYNTAX: return "42601";       /* syntax_error */
    case NQ_ECONSTRAINT: return "23000";   /* integrity_constraint_violation */
    case NQ_ESCHEMA: return "42P01";       /* undefined_table */
    case NQ_ETYPE: return "42804";         /* datatype_mismatch */
    case NQ_EINTERRUPT: return "57014";    /* query_canceled */
    case NQ_EKEY: return "28000";          /* invalid_authorization_specification */
    case NQ_ESERIALIZE: return "40001";    /* serialization_failure */
    case NQ_EDEADLOCK: return "40P01";     /* deadlock_detected */
    case NQ_ELOCKTIMEOUT: return "55P03";  /* lock_not_available */
    case NQ_ECONFLICT: return "40001";
    default: return "XX000";               /* internal_error */
    }
}
