/*
 * backup_chain.c — chain directories of backups: list, take the next one, prune old ones
 * (docs/backup.md, "Chain directories"). `nqdb backup`, the server's scheduled backups and
 * its /api/v1/backups routes all go through these three functions.
 *
 * A chain directory DEST holds one backup per subdirectory NNNN-KIND (0001-full,
 * 0002-incremental, ...), numbered in the order they were taken, so a listing shows the order
 * of the chains. A subdirectory counts as a backup only when its MANIFEST reads back with a
 * valid checksum (nq_backup_read); an unfinished one (a crash while it was being written) is
 * not part of any chain. An incremental backup builds on the latest backup in DEST, a
 * differential one on the latest full one.
 *
 * Numbers are claimed with mkdir, which is atomic: two takers (the scheduler and a REST
 * request, or two processes) never write into the same directory; the loser moves on to the
 * next number.
 *
 * Pruning keeps the newest keep_full full backups and everything numbered after the oldest of
 * them (what builds on a kept full backup is numbered after it, and nothing numbered after it
 * builds on an older one), and removes the rest, newest first, so that an interrupted prune
 * leaves complete chains (a backup is removed only after everything that builds on it). A
 * backup is removed by renaming it to .pruned-NNNN-KIND first, so a half-removed directory is
 * never taken for a backup; leftovers of an interrupted prune are removed by the next one.
 * Unfinished directories numbered before the oldest kept full backup are removed too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_int.h"

#define PRUNED_PREFIX ".pruned-"

static void msg(char *errmsg, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void msg(char *errmsg, size_t errlen, const char *fmt, ...)
{
    if (!errmsg || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, errlen, fmt, ap);
    va_end(ap);
}

static const char *kind_name(int kind)
{
    return kind == NQ_BACKUP_FULL ? "full" : kind == NQ_BACKUP_INCREMENTAL ? "incremental"
                                                                           : "differential";
}

/* NNNN-KIND with a known kind: its number, else 0. */
static unsigned entry_number(const char *name)
{
    unsigned num;
    char kind[32];
    int used = 0;
    if (sscanf(name, "%u-%31[a-z]%n", &num, kind, &used) != 2 || name[used] != '\0' || num == 0)
        return 0;
    if (strcmp(kind, "full") && strcmp(kind, "incremental") && strcmp(kind, "differential"))
        return 0;
    return num;
}

static int cmp_entry(const void *a, const void *b)
{
    unsigned x = ((const nq_backup_entry *)a)->num, y = ((const nq_backup_entry *)b)->num;
    return x < y ? -1 : x > y;
}

/* Every NNNN-KIND subdirectory: those with a valid manifest into *out (sorted), the highest
 * number of any of them (finished or not) into *maxnum. */
static int list_all(const char *dest, nq_backup_entry **out, size_t *n, unsigned *maxnum,
                    char *errmsg, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (maxnum)
        *maxnum = 0;
    DIR *d = opendir(dest);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        msg(errmsg, errlen, "%s: cannot list: %s", dest, strerror(errno));
        return NQ_EIO;
    }
    struct dirent *de;
    size_t cap = 0;
    int rc = 0;
    while ((de = readdir(d))) {
        unsigned num = entry_number(de->d_name);
        if (!num || strlen(de->d_name) >= sizeof((*out)->name))
            continue;
        if (maxnum && num > *maxnum)
            *maxnum = num;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dest, de->d_name);
        nq_backup_info info;
        if (nq_backup_read(NULL, path, &info, NULL, 0))
            continue; /* unfinished or damaged: not part of any chain */
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            nq_backup_entry *ne = realloc(*out, cap * sizeof *ne);
            if (!ne) {
                msg(errmsg, errlen, "out of memory");
                rc = NQ_ENOMEM;
                break;
            }
            *out = ne;
        }
        nq_backup_entry *e = &(*out)[(*n)++];
        e->num = num;
        snprintf(e->name, sizeof e->name, "%s", de->d_name);
        e->info = info;
    }
    closedir(d);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_entry);
    return 0;
}

int nq_backup_chain_list(const char *dest, nq_backup_entry **out, size_t *n, char *errmsg,
                         size_t errlen)
{
    if (!dest || !out || !n)
        return NQ_EMISUSE;
    return list_all(dest, out, n, NULL, errmsg, errlen);
}

int nq_backup_chain_take(nq_db *db, const char *dest, int kind, char *dir, size_t dircap,
                         nq_backup_info *info)
{
    nq_backup_options o = {kind, NULL, NULL};
    return nq_backup_chain_take_ex(db, dest, &o, dir, dircap, info);
}

int nq_backup_chain_take_ex(nq_db *db, const char *dest, const nq_backup_options *opts, char *dir,
                            size_t dircap, nq_backup_info *info)
{
    if (!db || !dest || !*dest || !opts)
        return NQ_EMISUSE;
    int kind = opts->kind;
    nq_err_clear(&db->err);
    int base = kind & ~NQ_BACKUP_COMPRESS;
    if (base != NQ_BACKUP_FULL && base != NQ_BACKUP_INCREMENTAL && base != NQ_BACKUP_DIFFERENTIAL)
        return nq_err_set(&db->err, NQ_EINVAL, "unknown backup kind %d", base);
    if (mkdir(dest, 0755) && errno != EEXIST)
        return nq_err_set(&db->err, NQ_EIO, "%s: cannot create: %s", dest, strerror(errno));
    nq_backup_entry *es;
    size_t n;
    unsigned maxnum;
    char em[600];
    int rc = list_all(dest, &es, &n, &maxnum, em, sizeof em);
    if (rc)
        return nq_err_set(&db->err, rc, "%s", em);
    char parent[4096];
    const char *parent_dir = NULL;
    if (base != NQ_BACKUP_FULL) {
        for (size_t i = n; i-- > 0;)
            if (base == NQ_BACKUP_INCREMENTAL || es[i].info.kind == NQ_BACKUP_FULL) {
                snprintf(parent, sizeof parent, "%s/%s", dest, es[i].name);
                parent_dir = parent;
                break;
            }
    }
    free(es);
    if (base != NQ_BACKUP_FULL && !parent_dir)
        return nq_err_set(&db->err, NQ_ENOTFOUND,
                          "%s: no full backup to build on; take a full backup first", dest);
    char path[4096];
    for (unsigned num = maxnum + 1;; num++) {
        if (num > 9999999 || num > maxnum + 1000)
            return nq_err_set(&db->err, NQ_EIO, "%s: no free backup number", dest);
        snprintf(path, sizeof path, "%s/%04u-%s", dest, num, kind_name(base));
        if (mkdir(path, 0755) == 0)
            break;
        if (errno != EEXIST)
            return nq_err_set(&db->err, NQ_EIO, "%s: cannot create: %s", path, strerror(errno));
    }
    nq_backup_info bi;
    rc = nq_backup_ex(db, path, parent_dir, opts, &bi);
    if (rc) {
        rmdir(path); /* empty after a failure: nq_backup removes what it wrote */
        return rc;
    }
    if (dir && dircap)
        snprintf(dir, dircap, "%s", path);
    if (info)
        *info = bi;
    return 0;
}

/* Remove a backup directory: rename it out of the NNNN-KIND namespace, then its files. */
static int remove_backup_dir(const char *dest, const char *name, int renamed, char *errmsg,
                             size_t errlen)
{
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/%s", dest, name);
    if (renamed)
        snprintf(to, sizeof to, "%s", from);
    else {
        snprintf(to, sizeof to, "%s/" PRUNED_PREFIX "%s", dest, name);
        if (rename(from, to)) {
            msg(errmsg, errlen, "%s: cannot remove: %s", from, strerror(errno));
            return NQ_EIO;
        }
    }
    DIR *d = opendir(to);
    if (!d) {
        msg(errmsg, errlen, "%s: cannot list: %s", to, strerror(errno));
        return NQ_EIO;
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char f[4096 + 256];
        snprintf(f, sizeof f, "%s/%s", to, de->d_name);
        if (unlink(f) && errno != ENOENT) {
            msg(errmsg, errlen, "%s: cannot remove: %s", f, strerror(errno));
            rc = NQ_EIO;
            break;
        }
    }
    closedir(d);
    if (!rc && rmdir(to)) {
        msg(errmsg, errlen, "%s: cannot remove: %s", to, strerror(errno));
        rc = NQ_EIO;
    }
    return rc;
}

int nq_backup_chain_prune(const char *dest, unsigned keep_full, unsigned *removed, char *errmsg,
                          size_t errlen)
{
    if (removed)
        *removed = 0;
    if (!dest)
        return NQ_EMISUSE;
    if (keep_full == 0) {
        msg(errmsg, errlen, "keep_full must be at least 1 (pruning would remove every backup)");
        return NQ_EINVAL;
    }
    nq_backup_entry *es;
    size_t n;
    int rc = list_all(dest, &es, &n, NULL, errmsg, errlen);
    if (rc)
        return rc;
    /* the number of the oldest full backup kept */
    unsigned fulls = 0, oldest_kept = 0;
    for (size_t i = n; i-- > 0;)
        if (es[i].info.kind == NQ_BACKUP_FULL && ++fulls <= keep_full)
            oldest_kept = es[i].num;
    if (fulls <= keep_full)
        oldest_kept = 0; /* fewer full backups than asked to keep: nothing goes */
    /* newest first: dependents before what they build on */
    for (size_t i = n; rc == 0 && i-- > 0;)
        if (es[i].num < oldest_kept) {
            rc = remove_backup_dir(dest, es[i].name, 0, errmsg, errlen);
            if (!rc && removed)
                (*removed)++;
        }
    free(es);
    if (rc)
        return rc;
    /* leftovers: interrupted prunes, and unfinished backups older than what is kept */
    DIR *d = opendir(dest);
    if (!d)
        return errno == ENOENT ? 0 : (msg(errmsg, errlen, "%s: cannot list: %s", dest, strerror(errno)), NQ_EIO);
    char (*names)[256] = NULL;
    int *ren = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int is_pruned = !strncmp(de->d_name, PRUNED_PREFIX, strlen(PRUNED_PREFIX));
        unsigned num = entry_number(de->d_name);
        if (!is_pruned && !(num && num < oldest_kept))
            continue;
        if (!is_pruned) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dest, de->d_name);
            nq_backup_info info;
            if (nq_backup_read(NULL, path, &info, NULL, 0) == 0)
                continue; /* a finished backup appeared meanwhile: not ours to judge */
        }
        if (strlen(de->d_name) >= 256)
            continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 8;
            void *a = realloc(names, cap * sizeof *names), *b = a ? realloc(ren, cap * sizeof *ren) : NULL;
            if (a)
                names = a;
            if (!a || !b) {
                rc = NQ_ENOMEM;
                msg(errmsg, errlen, "out of memory");
                break;
            }
            ren = b;
        }
        snprintf(names[nn], sizeof names[nn], "%s", de->d_name);
        ren[nn++] = is_pruned;
    }
    closedir(d);
    for (size_t i = 0; rc == 0 && i < nn; i++)
        rc = remove_backup_dir(dest, names[i], ren[i], errmsg, errlen);
    free(names);
    free(ren);
    return rc;
}
