/*
 * workpool.c — the statement workers (see workpool in server.h).
 *
 * A fixed set of threads takes suspended requests from a bounded ring, runs the request
 * pipeline (http_run_request: authentication, rate limit, handler, all SQL) and hands the
 * request back to libmicrohttpd (http_request_ready resumes the connection; the event thread
 * then sends the answer). The ring holds at most queue_cap requests: beyond that the event
 * thread answers 503 at once instead of letting memory grow without bound.
 *
 * Stopping (workpool_drain_and_stop) lets the workers finish every queued request — each one
 * is bounded by the statement deadline — before joining them, so no connection is left
 * suspended when libmicrohttpd stops (which it does not allow).
 */
#include <stdlib.h>

#include "server.h"

static void *worker_main(void *arg)
{
    workpool *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->n == 0 && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->n == 0 && w->stopping)
            break;
        req *r = w->q[w->head];
        w->head = (w->head + 1) % w->cap;
        w->n--;
        w->running++;
        pthread_mutex_unlock(&w->mu);
        http_run_request(r);
        http_request_ready(r);
        pthread_mutex_lock(&w->mu);
        w->running--;
        if (w->n == 0 && w->running == 0)
            pthread_cond_broadcast(&w->idle_cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int workpool_start(workpool *w, unsigned threads, unsigned queue_cap)
{
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_cond_init(&w->idle_cv, NULL);
    w->cap = queue_cap ? queue_cap : 1;
    w->q = calloc(w->cap, sizeof *w->q);
    w->threads = calloc(threads ? threads : 1, sizeof *w->threads);
    w->head = w->n = w->running = 0;
    w->nthreads = 0;
    w->stopping = 0;
    if (!w->q || !w->threads)
        return NQ_ENOMEM;
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0)
            return NQ_ENOMEM;
        w->nthreads++;
    }
    return NQ_OK;
}

int workpool_full(workpool *w)
{
    pthread_mutex_lock(&w->mu);
    int full = w->n == w->cap || w->stopping;
    pthread_mutex_unlock(&w->mu);
    return full;
}

int workpool_submit(workpool *w, req *r)
{
    pthread_mutex_lock(&w->mu);
    if (w->n == w->cap || w->stopping) {
        pthread_mutex_unlock(&w->mu);
        return NQ_EBUSY;
    }
    w->q[(w->head + w->n) % w->cap] = r;
    w->n++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NQ_OK;
}

void workpool_drain_and_stop(workpool *w)
{
    if (!w->q)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    free(w->threads);
    free(w->q);
    w->threads = NULL;
    w->q = NULL;
    pthread_cond_destroy(&w->idle_cv);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}
