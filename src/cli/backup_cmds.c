/*
 * backup_cmds.c — `nqdb backup`, `nqdb restore`, `nqdb verify` (docs/backup.md).
 *
 * DEST of `nqdb backup` is a chain directory: each backup goes into a new subdirectory
 * DEST/NNNN-<kind> (NNNN counting up from 0001), so the order of a chain is visible in a
 * listing. An incremental backup builds on the latest backup in DEST, a differential one on
 * the latest full one. `restore` and `verify` take the backups of a chain in order, or just
 * the last one: then the chain is found by following parent ids among its sibling
 * directories. The work is done by the engine (nq_backup, nq_backup_verify, nq_restore);
 * here are only arguments, directories and messages.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MAX_CHAIN 4096

static int not_yet(const char *what)
{
    fprintf(stderr, "nqdb: not supported yet: %s\n", what);
    return EXIT_ERROR;
}

/* The subdirectories NNNN-kind of dest with a readable manifest, in number order. */
typedef struct entry {
    unsigned num;
    char name[256];
    nq_backup_info info;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    unsigned x = ((const entry *)a)->num, y = ((const entry *)b)->num;
    return x < y ? -1 : x > y;
}

static int list_backups(const char *dest, entry **out, size_t *n, unsigned *maxnum)
{
    *out = NULL;
    *n = 0;
    *maxnum = 0;
    DIR *d = opendir(dest);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    size_t cap = 0;
    while ((de = readdir(d))) {
        unsigned num;
        char kind[32];
        if (sscanf(de->d_name, "%u-%31s", &num, kind) != 2 || strlen(de->d_name) >= 256)
            continue;
        if (num > *maxnum)
            *maxnum = num;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dest, de->d_name);
        nq_backup_info info;
        if (nq_backup_read(NULL, path, &info, NULL, 0))
            continue; /* unfinished or damaged: not part of any chain */
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            entry *ne = realloc(*out, cap * sizeof *ne);
            if (!ne) {
                closedir(d);
                return -1;
            }
            *out = ne;
        }
        entry *e = &(*out)[(*n)++];
        e->num = num;
        snprintf(e->name, sizeof e->name, "%s", de->d_name);
        e->info = info;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_entry);
    return 0;
}

static const char *kind_name(int kind)
{
    return kind == NQ_BACKUP_FULL ? "full" : kind == NQ_BACKUP_INCREMENTAL ? "incremental"
                                                                           : "differential";
}

int cmd_backup(int argc, char **argv)
{
    const char *usage = "usage: nqdb backup DBFILE DEST [--full|--incremental|--differential] "
                        "[--compress] [--encrypt]\n";
    const char *pos[2];
    int npos = 0, kind = NQ_BACKUP_FULL, compress = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s", usage);
            return 0;
        } else if (!strcmp(argv[i], "--full")) {
            kind = NQ_BACKUP_FULL;
        } else if (!strcmp(argv[i], "--incremental")) {
            kind = NQ_BACKUP_INCREMENTAL;
        } else if (!strcmp(argv[i], "--differential")) {
            kind = NQ_BACKUP_DIFFERENTIAL;
        } else if (!strcmp(argv[i], "--compress")) {
            compress = NQ_BACKUP_COMPRESS;
        } else if (!strcmp(argv[i], "--encrypt")) {
            return not_yet("--encrypt (depends on the security issue)");
        } else if (argv[i][0] == '-' || npos == 2) {
            fprintf(stderr, "nqdb backup: unexpected argument \"%s\"\n%s", argv[i], usage);
            return EXIT_ERROR;
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos != 2) {
        fprintf(stderr, "%s", usage);
        return EXIT_ERROR;
    }
    const char *dest = pos[1];
    if (mkdir(dest, 0755) && errno != EEXIST) {
        fprintf(stderr, "nqdb: %s: cannot create: %s\n", dest, strerror(errno));
        return EXIT_ERROR;
    }
    entry *es;
    size_t n;
    unsigned maxnum;
    if (list_backups(dest, &es, &n, &maxnum)) {
        fprintf(stderr, "nqdb: %s: cannot list: %s\n", dest, strerror(errno));
        return EXIT_ERROR;
    }
    char parent[4096];
    const char *parent_dir = NULL;
    if (kind != NQ_BACKUP_FULL) {
        for (size_t i = n; i-- > 0;)
            if (kind == NQ_BACKUP_INCREMENTAL || es[i].info.kind == NQ_BACKUP_FULL) {
                snprintf(parent, sizeof parent, "%s/%s", dest, es[i].name);
                parent_dir = parent;
                break;
            }
        if (!parent_dir) {
            free(es);
            fprintf(stderr, "nqdb: %s: no full backup to build on; take one with --full first\n",
                    dest);
            return EXIT_ERROR;
        }
    }
    free(es);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%04u-%s", dest, maxnum + 1, kind_name(kind));
    nq_db *db = cli_open(pos[0], 0, 1);
    if (!db)
        return EXIT_ERROR;
    if (mkdir(dir, 0755)) {
        fprintf(stderr, "nqdb: %s: cannot create: %s\n", dir, strerror(errno));
        nq_close(db);
        return EXIT_ERROR;
    }
    nq_backup_info info;
    int rc = nq_backup(db, dir, kind | compress, parent_dir, &info);
    if (rc) {
        int r = cli_fail(db, "backup");
        rmdir(dir); /* empty after a failure: nq_backup removes what it wrote */
        nq_close(db);
        return r;
    }
    nq_close(db);
    printf("%s: %s backup %s of database %s: %u of %u pages (%llu bytes%s), commit %llu\n", dir,
           kind_name(kind), info.backup_id, info.database_id, info.pages, info.page_count,
           (unsigned long long)info.data_bytes, compress ? ", zstd" : "",
           (unsigned long long)info.commit_seq);
    return 0;
}

/* dirs given: as they are when more than one; one backup that is not full: its chain,
 * found among the sibling directories by parent id. *out is malloc'd (strings too). */
static int resolve_chain(char **args, int nargs, char ***out, int *nout)
{
    *out = NULL;
    *nout = 0;
    nq_backup_info info;
    char msg[600];
    if (nargs == 1 && nq_backup_read(NULL, args[0], &info, msg, sizeof msg)) {
        fprintf(stderr, "nqdb: %s\n", msg);
        return EXIT_PROBLEM;
    }
    if (nargs > 1 || info.kind == NQ_BACKUP_FULL) {
        char **v = calloc((size_t)nargs, sizeof *v);
        for (int i = 0; v && i < nargs; i++)
            v[i] = strdup(args[i]);
        *out = v;
        *nout = nargs;
        return 0;
    }
    char parentdir[4096];
    snprintf(parentdir, sizeof parentdir, "%s", args[0]);
    size_t l = strlen(parentdir);
    while (l > 1 && parentdir[l - 1] == '/')
        parentdir[--l] = 0;
    char *slash = strrchr(parentdir, '/');
    if (slash)
        *slash = slash == parentdir ? (slash[1] = 0, '/') : 0;
    else
        snprintf(parentdir, sizeof parentdir, ".");
    entry *es;
    size_t n;
    unsigned maxnum;
    if (list_backups(parentdir, &es, &n, &maxnum)) {
        fprintf(stderr, "nqdb: %s: cannot list: %s\n", parentdir, strerror(errno));
        return EXIT_ERROR;
    }
    char **rev = calloc(MAX_CHAIN, sizeof *rev);
    int k = 0;
    rev[k++] = strdup(args[0]);
    while (rev && info.kind != NQ_BACKUP_FULL && k < MAX_CHAIN) {
        size_t i;
        for (i = 0; i < n && strcmp(es[i].info.backup_id, info.parent_id); i++)
            ;
        if (i == n) {
            fprintf(stderr, "nqdb: %s: its parent backup %s is not in %s (give the chain "
                    "explicitly: FULL [INCREMENTAL...] LAST)\n", rev[k - 1], info.parent_id,
                    parentdir);
            for (int j = 0; j < k; j++)
                free(rev[j]);
            free(rev);
            free(es);
            return EXIT_PROBLEM;
        }
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", parentdir, es[i].name);
        rev[k++] = strdup(p);
        info = es[i].info;
    }
    free(es);
    char **v = calloc((size_t)k, sizeof *v);
    for (int i = 0; i < k; i++)
        v[i] = rev[k - 1 - i];
    free(rev);
    *out = v;
    *nout = k;
    return 0;
}

static void free_chain(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int cmd_verify(int argc, char **argv)
{
    const char *usage = "usage: nqdb verify BACKUPDIR...   (a chain in order, or its last backup)\n";
    if (argc < 2) {
        fprintf(stderr, "%s", usage);
        return EXIT_ERROR;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("%s", usage);
        return 0;
    }
    char **chain;
    int n;
    int r = resolve_chain(argv + 1, argc - 1, &chain, &n);
    if (r)
        return r;
    char msg[600];
    int rc = nq_backup_verify(NULL, (const char *const *)chain, n, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "nqdb: verify failed: %s\n", msg);
        free_chain(chain, n);
        return EXIT_PROBLEM;
    }
    nq_backup_info info;
    for (int i = 0; i < n; i++) {
        nq_backup_read(NULL, chain[i], &info, NULL, 0);
        printf("%s: %s backup %s, %s, commit %llu, %u of %u pages%s\n", chain[i],
               kind_name(info.kind), info.backup_id, info.created,
               (unsigned long long)info.commit_seq, info.pages, info.page_count,
               info.compressed ? " (zstd)" : "");
    }
    printf("ok: %d backup(s) verified (every SHA3-256, page checksum and chain link): database "
           "%s, %u pages, commit %llu\n",
           n, info.database_id, info.page_count, (unsigned long long)info.commit_seq);
    free_chain(chain, n);
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    const char *usage = "usage: nqdb restore BACKUPDIR... TARGET [--force]\n"
                        "  BACKUPDIR...: a chain in order (full first), or its last backup\n";
    int force = 0;
    char **pos = calloc((size_t)argc, sizeof *pos);
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s", usage);
            free(pos);
            return 0;
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (!strcmp(argv[i], "--until") || !strncmp(argv[i], "--until=", 8)) {
            free(pos);
            return not_yet("--until (point-in-time recovery needs an archived log)");
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "nqdb restore: unknown option \"%s\"\n%s", argv[i], usage);
            free(pos);
            return EXIT_ERROR;
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos < 2) {
        fprintf(stderr, "%s", usage);
        free(pos);
        return EXIT_ERROR;
    }
    const char *target = pos[npos - 1];
    char **chain;
    int n;
    int r = resolve_chain(pos, npos - 1, &chain, &n);
    free(pos);
    if (r)
        return r;
    char msg[600];
    int rc = nq_restore(NULL, (const char *const *)chain, n, target, force ? NQ_RESTORE_FORCE : 0,
                        msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "nqdb: restore failed: %s\n", msg);
        free_chain(chain, n);
        return rc == NQ_ECORRUPT || rc == NQ_EINVAL || rc == NQ_ENOTFOUND ? EXIT_PROBLEM
                                                                          : EXIT_ERROR;
    }
    nq_backup_info info;
    nq_backup_read(NULL, chain[n - 1], &info, NULL, 0);
    printf("restored %s from %d backup(s): %u pages, commit %llu\n", target, n, info.page_count,
           (unsigned long long)info.commit_seq);
    free_chain(chain, n);
    return 0;
}
