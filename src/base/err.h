/*
 * err.h — the error object every fallible internal function writes into.
 *
 * Internal functions return 0 or a negative NQ_E* code (see include/nqdb.h) and, when they
 * have something to say, fill an nq_err the caller passes down (NULL is allowed: then only the
 * code travels). The first message set wins only if the caller clears the object; a later
 * nq_err_set overwrites, so the innermost failure should set and outer layers should prefix
 * with nq_err_prefix when they add context (e.g. the file and page number).
 */
#ifndef NQ_BASE_ERR_H
#define NQ_BASE_ERR_H

#include "nqdb.h"

#define NQ_ERRMSG_MAX 512

typedef struct nq_err {
    int code;
    char msg[NQ_ERRMSG_MAX];
} nq_err;

void nq_err_clear(nq_err *e);
/* Set code and a printf-style message; returns code so callers can `return nq_err_set(...)`. */
int nq_err_set(nq_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same for a fixed message, without formatting: for expected outcomes on hot paths
 * (a lookup that finds nothing), where vsnprintf would cost more than the lookup. */
int nq_err_set_str(nq_err *e, int code, const char *msg);
/* Prepend context to the existing message ("ctx: old message"); returns e->code (or code). */
int nq_err_prefix(nq_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Map an errno value to an NQ_E* code. */
int nq_errno_code(int err);

#endif
