/*
 * backup_sched.h — the server's backups: taken on a schedule ([backup] in the configuration)
 * and on request (/api/v1/backups, h_backup.c), into one chain directory.
 *
 * The backups are the engine's online backups (nq_backup_chain_take: a read snapshot while
 * the workers go on reading and writing) through an engine connection of their own. One
 * mutex serialises the takers (the schedule and requests) and pruning, so a prune never runs
 * while a backup that might build on what it removes is being written.
 */
#ifndef NQ_SERVER_BACKUP_SCHED_H
#define NQ_SERVER_BACKUP_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "nqdb.h"

struct nq_server;

/* The chain directory of c (backup.directory, or <data_path>/backups) into out; and the log
 * archive, <chain directory>/wal-archive when backup.archive is set, else "" (the server opens
 * its database with it: nq_options.archive_dir). */
void bsched_chain_dir(const server_config *c, char *out, size_t n);
void bsched_archive_dir(const server_config *c, char *out, size_t n);
typedef struct bsched bsched;

/* What the schedule has done since the server started (for GET /api/v1/backups). */
typedef struct bsched_status {
    int enabled;
    unsigned interval_seconds, full_every, keep_full;
    int compress;
    time_t next_run;           /* 0: not scheduled */
    time_t last_run;           /* 0: none yet */
    char last_dir[4096];       /* the backup the last scheduled run wrote ("" on failure) */
    char last_error[600];      /* "" when the last scheduled run succeeded */
    uint64_t taken, failed;    /* scheduled runs */
} bsched_status;

/* Opens the engine connection (a clone of s->db) and, when backup.enabled, starts the thread.
 * The chain directory is backup.directory, or <data_path>/backups. */
int bsched_start(struct nq_server *s, bsched **out, char *err, size_t errlen);
/* Stops the thread (a backup in progress finishes first) and frees everything. */
void bsched_stop(bsched *b);

const char *bsched_dir(const bsched *b);
void bsched_get_status(bsched *b, bsched_status *st);

/* Take a backup now: kind NQ_BACKUP_*, compress 0/1. 0, or an NQ_E* code with the reason in
 * err. */
int bsched_take(bsched *b, int kind, int compress, char *dir, size_t dircap,
                nq_backup_info *info, char *err, size_t errlen);
/* The log archive (backup.archive): whether it is on, where, what the engine has written into
 * it since the server started and the last archiving error ("" when none). */
typedef struct bsched_archive {
    int enabled;
    char dir[4096];
    uint64_t segments, bytes, failures;
    char error[600];
} bsched_archive;
void bsched_get_archive(bsched *b, bsched_archive *a);

/* nq_backup_chain_prune under the takers' mutex. */
int bsched_prune(bsched *b, unsigned keep_full, unsigned *removed, char *err, size_t errlen);

#endif
