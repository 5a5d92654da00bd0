/*
 * dbpool.c — a fixed set of engine connections (nq_clone of the server's main handle) shared
 * by the request threads and WebSocket streams. acquire waits on a condition variable when all
 * are in use, so the number of statements running at once is bounded by the pool size. A
 * connection comes back clean: release rolls back any transaction the borrower left open.
 */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

int dbpool_init(dbpool *p, nq_db *main, unsigned size, char *err, size_t errlen)
{
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->free = calloc(size ? size : 1, sizeof *p->free);
    p->nfree = 0;
    p->size = 0;
    if (!p->free) {
        snprintf(err, errlen, "out of memory");
        return NQ_ENOMEM;
    }
    for (unsigned i = 0; i < size; i++) {
        nq_db *c = NULL;
        int rc = nq_clone(main, &c);
        if (rc != NQ_OK) {
            snprintf(err, errlen, "cannot open engine connection %u: %s", i, nq_strerror(rc));
            dbpool_destroy(p);
            return rc;
        }
        p->free[p->nfree++] = c;
        p->size++;
    }
    return NQ_OK;
}

nq_db *dbpool_acquire(dbpool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->nfree == 0)
        pthread_cond_wait(&p->cv, &p->mu);
    nq_db *db = p->free[--p->nfree];
    pthread_mutex_unlock(&p->mu);
    return db;
}

void dbpool_release(dbpool *p, nq_db *db)
{
    if (nq_in_txn(db, NULL))
        nq_rollback(db);
    pthread_mutex_lock(&p->mu);
    p->free[p->nfree++] = db;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void dbpool_destroy(dbpool *p)
{
    for (unsigned i = 0; i < p->nfree; i++)
        nq_close(p->free[i]);
    free(p->free);
    p->free = NULL;
    p->nfree = p->size = 0;
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}
