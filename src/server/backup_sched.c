/*
 * backup_sched.c — scheduled and requested backups of the server's database (see
 * backup_sched.h; configuration keys in docs/configuration.md, [backup]).
 *
 * The schedule: one thread sleeps backup.interval_seconds (woken early only to stop), then
 * takes a backup — full when the directory has no full backup or when full_every − 1 backups
 * already follow the latest full one (counted from the directory, so a restart does not reset
 * the rhythm), incremental otherwise — and prunes to backup.keep_full full backups (0: never).
 * A failed run is logged and counted; the next run tries again (a failed incremental is not
 * retried as a full one: the reason, such as a full disk, is usually the same).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_sched.h"
#include "server.h"

struct bsched {
    nq_server *srv;
    nq_db *db;                 /* the backups' own engine connection */
    char dir[4096];
    pthread_mutex_t take_mu;   /* one taker or pruner at a time; guards db */
    pthread_mutex_t mu;        /* guards status and stop */
    pthread_cond_t cv;
    int stop;
    pthread_t thread;
    int running;
    bsched_status st;
};

static int take_locked(bsched *b, int kind, int compress, char *dir, size_t dircap,
                       nq_backup_info *info, char *err, size_t errlen)
{
    /* backup.sign_key / backup.encrypt_key: key files read at each backup (docs/backup.md) */
    nq_backup_options o = {kind | (compress ? NQ_BACKUP_COMPRESS : 0), b->srv->cfg.backup.sign_key,
                           b->srv->cfg.backup.encrypt_key};
    int rc = nq_backup_chain_take_ex(b->db, b->dir, &o, dir, dircap, info);
    if (rc)
        snprintf(err, errlen, "%s", nq_errmsg(b->db));
    return rc;
}

int bsched_take(bsched *b, int kind, int compress, char *dir, size_t dircap,
                nq_backup_info *info, char *err, size_t errlen)
{
    pthread_mutex_lock(&b->take_mu);
    int rc = take_locked(b, kind, compress, dir, dircap, info, err, errlen);
    pthread_mutex_unlock(&b->take_mu);
    return rc;
}

/* With backup.archive: drop the archive's segments wholly before the oldest kept full
 * backup (called under take_mu after a prune). Segments being written meanwhile are new ones
 * (archiving.tmp, then a name after every existing one), which this never touches. */
static int prune_archive(bsched *b, char *err, size_t errlen)
{
    if (!b->srv->cfg.backup.archive)
        return 0;
    char arc[4200];
    bsched_archive_dir(&b->srv->cfg, arc, sizeof arc);
    unsigned n = 0;
    uint64_t upto = 0;
    int rc = nq_archive_prune_chain(b->dir, arc, &n, &upto, err, errlen);
    if (!rc && n)
        srvlog_msg(&b->srv->log, SRVLOG_INFO, NULL,
                   "log archive: removed %u segment(s) holding only commits up to %llu", n,
                   (unsigned long long)upto);
    return rc;
}

int bsched_prune(bsched *b, unsigned keep_full, unsigned *removed, char *err, size_t errlen)
{
    pthread_mutex_lock(&b->take_mu);
    int rc = nq_backup_chain_prune(b->dir, keep_full, removed, err, errlen);
    if (!rc)
        rc = prune_archive(b, err, errlen);
    pthread_mutex_unlock(&b->take_mu);
    return rc;
}

/* The kind the schedule takes next, from what the directory holds. */
static int next_kind(bsched *b)
{
    nq_backup_entry *es;
    size_t n;
    if (nq_backup_chain_list(b->dir, &es, &n, NULL, 0))
        return NQ_BACKUP_FULL;
    size_t since = 0;
    int have_full = 0;
    for (size_t i = n; i-- > 0;) {
        if (es[i].info.kind == NQ_BACKUP_FULL) {
            have_full = 1;
            break;
        }
        since++;
    }
    free(es);
    if (!have_full || since + 1 >= b->st.full_every)
        return NQ_BACKUP_FULL;
    return NQ_BACKUP_INCREMENTAL;
}

static void scheduled_run(bsched *b)
{
    char dir[4096] = "", err[600] = "";
    nq_backup_info info;
    pthread_mutex_lock(&b->take_mu);
    int kind = next_kind(b);
    int rc = take_locked(b, kind, b->st.compress, dir, sizeof dir, &info, err, sizeof err);
    unsigned removed = 0;
    char perr[600] = "";
    int prc = 0;
    if (rc == 0 && b->st.keep_full)
        prc = nq_backup_chain_prune(b->dir, b->st.keep_full, &removed, perr, sizeof perr);
    if (rc == 0 && b->st.keep_full && !prc)
        prc = prune_archive(b, perr, sizeof perr);
    pthread_mutex_unlock(&b->take_mu);

    if (rc == 0)
        srvlog_msg(&b->srv->log, SRVLOG_INFO, NULL,
                   "scheduled backup: %s (%s, %u of %u pages, %llu bytes, commit %llu)%s", dir,
                   kind == NQ_BACKUP_FULL ? "full" : "incremental", info.pages, info.page_count,
                   (unsigned long long)info.data_bytes, (unsigned long long)info.commit_seq,
                   removed ? "; older backups pruned" : "");
    else
        srvlog_msg(&b->srv->log, SRVLOG_ERROR, NULL, "scheduled backup into %s failed: %s", b->dir,
                   err);
    if (prc)
        srvlog_msg(&b->srv->log, SRVLOG_ERROR, NULL, "pruning %s failed: %s", b->dir, perr);
    char aerr[600];
    nq_archive_error(b->db, aerr, sizeof aerr);
    if (aerr[0]) /* the log is kept and grows until archiving works again */
        srvlog_msg(&b->srv->log, SRVLOG_ERROR, NULL, "log archive: %s", aerr);

    pthread_mutex_lock(&b->mu);
    b->st.last_run = time(NULL);
    if (rc == 0) {
        b->st.taken++;
        snprintf(b->st.last_dir, sizeof b->st.last_dir, "%s", dir);
        if (prc)
            snprintf(b->st.last_error, sizeof b->st.last_error, "backup taken; pruning failed: %s", perr);
        else
            b->st.last_error[0] = '\0';
    } else {
        b->st.failed++;
        b->st.last_dir[0] = '\0';
        snprintf(b->st.last_error, sizeof b->st.last_error, "%s", err);
    }
    pthread_mutex_unlock(&b->mu);
}

static void *sched_main(void *arg)
{
    bsched *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        b->st.next_run = time(NULL) + (time_t)b->st.interval_seconds;
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += (time_t)b->st.interval_seconds;
        int r = 0;
        while (!b->stop && r != ETIMEDOUT)
            r = pthread_cond_timedwait(&b->cv, &b->mu, &t);
        if (b->stop)
            break;
        b->st.next_run = 0;
        pthread_mutex_unlock(&b->mu);
        scheduled_run(b);
        pthread_mutex_lock(&b->mu);
    }
    b->st.next_run = 0;
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

void bsched_chain_dir(const server_config *c, char *out, size_t n)
{
    if (c->backup.directory && c->backup.directory[0])
        snprintf(out, n, "%s", c->backup.directory);
    else
        snprintf(out, n, "%s/backups", c->database.data_path);
}

void bsched_archive_dir(const server_config *c, char *out, size_t n)
{
    if (!c->backup.archive) {
        if (n)
            out[0] = '\0';
        return;
    }
    char d[4096];
    bsched_chain_dir(c, d, sizeof d);
    snprintf(out, n, "%s/wal-archive", d);
}

int bsched_start(nq_server *s, bsched **out, char *err, size_t errlen)
{
    *out = NULL;
    const server_config *c = &s->cfg;
    bsched *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->srv = s;
    bsched_chain_dir(c, b->dir, sizeof b->dir);
    b->st.enabled = c->backup.enabled;
    b->st.interval_seconds = c->backup.interval_seconds;
    b->st.full_every = c->backup.full_every;
    b->st.keep_full = c->backup.keep_full;
    b->st.compress = c->backup.compress;
    pthread_mutex_init(&b->take_mu, NULL);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    int rc = nq_clone(s->db, &b->db);
    if (rc != NQ_OK) {
        snprintf(err, errlen, "cannot open an engine connection for backups: %s", nq_strerror(rc));
        bsched_stop(b);
        return -1;
    }
    if (b->st.enabled) {
        if (pthread_create(&b->thread, NULL, sched_main, b) != 0) {
            snprintf(err, errlen, "cannot start the backup thread");
            bsched_stop(b);
            return -1;
        }
        b->running = 1;
        srvlog_msg(&s->log, SRVLOG_INFO, NULL,
                   "scheduled backups into %s every %u s (a full one at least every %u, keeping %u full)",
                   b->dir, b->st.interval_seconds, b->st.full_every, b->st.keep_full);
    }
    *out = b;
    return 0;
}

void bsched_stop(bsched *b)
{
    if (!b)
        return;
    if (b->running) {
        pthread_mutex_lock(&b->mu);
        b->stop = 1;
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
        pthread_join(b->thread, NULL);
    }
    if (b->db)
        nq_close(b->db);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    pthread_mutex_destroy(&b->take_mu);
    free(b);
}

const char *bsched_dir(const bsched *b) { return b->dir; }

void bsched_get_status(bsched *b, bsched_status *st)
{
    pthread_mutex_lock(&b->mu);
    *st = b->st;
    pthread_mutex_unlock(&b->mu);
}

void bsched_get_archive(bsched *b, bsched_archive *a)
{
    memset(a, 0, sizeof *a);
    a->enabled = b->srv->cfg.backup.archive;
    if (!a->enabled)
        return;
    bsched_archive_dir(&b->srv->cfg, a->dir, sizeof a->dir);
    nq_stats st;
    pthread_mutex_lock(&b->take_mu); /* b->db is the takers' connection */
    if (nq_get_stats(b->db, &st) == NQ_OK) {
        a->segments = st.archived_segments;
        a->bytes = st.archived_bytes;
        a->failures = st.archive_failures;
    }
    nq_archive_error(b->db, a->error, sizeof a->error);
    pthread_mutex_unlock(&b->take_mu);
}
