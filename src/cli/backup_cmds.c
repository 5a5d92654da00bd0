/*
 * backup_cmds.c — `nqdb backup`, `nqdb restore`, `nqdb verify` (docs/backup.md).
 *
 * DEST of `nqdb backup` is a chain directory: each backup goes into a new subdirectory
 * DEST/NNNN-<kind> (NNNN counting up from 0001), so the order of a chain is visible in a
 * listing; `nqdb backup list` shows it and `nqdb backup prune` removes old chains (the chain
 * directory functions are the engine's, src/api/backup_chain.c, shared with the server's
 * scheduled backups). `restore` and `verify` take the backups of a chain in order, or just
 * the last one: then the chain is found by following parent ids among its sibling
 * directories. The work is done by the engine (nq_backup_chain_*, nq_backup_verify,
 * nq_restore); here are only arguments and messages.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_CHAIN 4096

static const char *kind_name(int kind)
{
    return kind == NQ_BACKUP_FULL ? "full" : kind == NQ_BACKUP_INCREMENTAL ? "incremental"
                                                                           : "differential";
}

static int backup_list(int argc, char **argv);
static int backup_prune(int argc, char **argv);

/* nqdb backup keygen DIR */
static int backup_keygen(int argc, char **argv)
{
    const char *usage = "usage: nqdb backup keygen DIR\n"
                        "  writes backup-sign.key (ML-DSA-65 secret key, mode 600), backup-sign.pub,\n"
                        "  backup-kem.key (ML-KEM-768 secret key, mode 600), backup-kem.pub\n";
    if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        printf("%s", usage);
        return 0;
    }
    if (argc != 3 || argv[2][0] == '-') {
        fprintf(stderr, "%s", usage);
        return EXIT_ERROR;
    }
    char msg[600];
    if (nq_backup_keygen(argv[2], msg, sizeof msg)) {
        fprintf(stderr, "nqdb: backup keygen: %s\n", msg);
        return EXIT_ERROR;
    }
    printf("%s: backup-sign.key, backup-sign.pub (ML-DSA-65), backup-kem.key, backup-kem.pub "
           "(ML-KEM-768); keep the .key files secret and apart from the backups\n", argv[2]);
    return 0;
}

int cmd_backup(int argc, char **argv)
{
    const char *usage = "usage: nqdb backup DBFILE DEST [--full|--incremental|--differential] "
                        "[--compress]\n"
                        "                   [--sign SIGNKEYFILE] [--encrypt KEMPUBFILE]\n"
                        "       nqdb backup keygen DIR\n"
                        "       nqdb backup list DEST [--json]\n"
                        "       nqdb backup prune DEST --keep-full N\n"
                        "  (a database file named list or prune: write ./list)\n";
    if (argc >= 2 && !strcmp(argv[1], "list"))
        return backup_list(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "prune"))
        return backup_prune(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "keygen"))
        return backup_keygen(argc, argv);
    const char *pos[2], *sign = NULL, *enc = NULL;
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
        } else if (!strcmp(argv[i], "--encrypt") || !strcmp(argv[i], "--sign")) {
            if (i + 1 >= argc || argv[i + 1][0] == '-') {
                fprintf(stderr, "nqdb backup: %s needs a key file (%s)\n%s", argv[i],
                        argv[i][2] == 'e' ? "an ML-KEM-768 public key: backup-kem.pub"
                                          : "an ML-DSA-65 secret key: backup-sign.key", usage);
                return EXIT_ERROR;
            }
            if (argv[i][2] == 'e')
                enc = argv[++i];
            else
                sign = argv[++i];
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
    nq_db *db = cli_open(pos[0], 0, 1);
    if (!db)
        return EXIT_ERROR;
    char dir[4096];
    nq_backup_info info;
    nq_backup_options opts = {kind | compress, sign, enc};
    int rc = nq_backup_chain_take_ex(db, pos[1], &opts, dir, sizeof dir, &info);
    if (rc) {
        int r = cli_fail(db, "backup");
        nq_close(db);
        return r;
    }
    nq_close(db);
    printf("%s: %s backup %s of database %s: %u of %u pages (%llu bytes%s%s%s), commit %llu%s\n",
           dir, kind_name(kind), info.backup_id, info.database_id, info.pages, info.page_count,
           (unsigned long long)info.data_bytes, compress ? ", zstd" : "",
           info.encrypted ? ", encrypted to key " : "", info.encrypted ? info.encrypted_to : "",
           (unsigned long long)info.commit_seq, info.is_signed ? ", signed" : "");
    return 0;
}

/* nqdb backup list DEST [--json] */
static int backup_list(int argc, char **argv)
{
    const char *usage = "usage: nqdb backup list DEST [--json]\n";
    const char *dest = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s", usage);
            return 0;
        } else if (argv[i][0] == '-' || dest) {
            fprintf(stderr, "nqdb backup list: unexpected argument \"%s\"\n%s", argv[i], usage);
            return EXIT_ERROR;
        } else
            dest = argv[i];
    }
    if (!dest) {
        fprintf(stderr, "%s", usage);
        return EXIT_ERROR;
    }
    struct stat st;
    if (stat(dest, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "nqdb: %s: not a directory\n", dest);
        return EXIT_ERROR;
    }
    nq_backup_entry *es;
    size_t n;
    char msg[600];
    if (nq_backup_chain_list(dest, &es, &n, msg, sizeof msg)) {
        fprintf(stderr, "nqdb: %s\n", msg);
        return EXIT_ERROR;
    }
    if (json)
        printf("[");
    for (size_t i = 0; i < n; i++) {
        const nq_backup_info *b = &es[i].info;
        if (json)
            printf("%s\n {\"name\": \"%s\", \"kind\": \"%s\", \"backup_id\": \"%s\", "
                   "\"parent_id\": \"%s\", \"database_id\": \"%s\", \"created\": \"%s\", "
                   "\"commit\": %llu, \"pages\": %u, \"page_count\": %u, \"bytes\": %llu, "
                   "\"compressed\": %s, \"encrypted\": %s, \"signed\": %s}",
                   i ? "," : "", es[i].name, kind_name(b->kind), b->backup_id, b->parent_id,
                   b->database_id, b->created, (unsigned long long)b->commit_seq, b->pages,
                   b->page_count, (unsigned long long)b->data_bytes, b->compressed ? "true" : "false",
                   b->encrypted ? "true" : "false", b->is_signed ? "true" : "false");
        else
            printf("%-20s %-12s %s  commit %-8llu %u of %u pages, %llu bytes%s%s%s\n", es[i].name,
                   kind_name(b->kind), b->created, (unsigned long long)b->commit_seq, b->pages,
                   b->page_count, (unsigned long long)b->data_bytes, b->compressed ? " (zstd)" : "",
                   b->encrypted ? " (encrypted)" : "", b->is_signed ? " (signed)" : "");
    }
    if (json)
        printf("%s]\n", n ? "\n" : "");
    else if (!n)
        printf("no backups in %s\n", dest);
    free(es);
    return 0;
}

/* nqdb backup prune DEST --keep-full N */
static int backup_prune(int argc, char **argv)
{
    const char *usage = "usage: nqdb backup prune DEST --keep-full N   (N >= 1)\n";
    const char *dest = NULL;
    long keep = -1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--keep-full") && i + 1 < argc) {
            char *end;
            errno = 0;
            keep = strtol(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || keep < 1 || keep > 1000000) {
                fprintf(stderr, "nqdb backup prune: --keep-full: expected an integer >= 1, got "
                        "\"%s\"\n", argv[i]);
                return EXIT_ERROR;
            }
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s", usage);
            return 0;
        } else if (argv[i][0] == '-' || dest) {
            fprintf(stderr, "nqdb backup prune: unexpected argument \"%s\"\n%s", argv[i], usage);
            return EXIT_ERROR;
        } else
            dest = argv[i];
    }
    if (!dest || keep < 1) {
        fprintf(stderr, "%s", usage);
        return EXIT_ERROR;
    }
    struct stat st;
    if (stat(dest, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "nqdb: %s: not a directory\n", dest);
        return EXIT_ERROR;
    }
    unsigned removed;
    char msg[600];
    if (nq_backup_chain_prune(dest, (unsigned)keep, &removed, msg, sizeof msg)) {
        fprintf(stderr, "nqdb: prune failed: %s\n", msg);
        return EXIT_ERROR;
    }
    printf("%s: removed %u backup(s), kept the newest %ld full backup(s) and what builds on them\n",
           dest, removed, keep);
    /* the chain's log archive: segments wholly before the oldest kept full backup */
    char arc[4200];
    snprintf(arc, sizeof arc, "%s/wal-archive", dest);
    if (stat(arc, &st) == 0 && S_ISDIR(st.st_mode)) {
        uint64_t upto = 0;
        if (nq_archive_prune_chain(dest, arc, &removed, &upto, msg, sizeof msg)) {
            fprintf(stderr, "nqdb: pruning the log archive failed: %s\n", msg);
            return EXIT_ERROR;
        }
        printf("%s: removed %u segment(s) holding only commits up to %llu (the oldest full "
               "backup's)\n", arc, removed, (unsigned long long)upto);
    }
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
    nq_backup_entry *es;
    size_t n;
    if (nq_backup_chain_list(parentdir, &es, &n, msg, sizeof msg)) {
        fprintf(stderr, "nqdb: %s\n", msg);
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

/* The default log archive of a chain: "wal-archive" in the chain directory, beside its
 * backups (where the server archives). */
static void default_archive(const char *backupdir, char *out, size_t n)
{
    char d[4096];
    snprintf(d, sizeof d, "%s", backupdir);
    size_t l = strlen(d);
    while (l > 1 && d[l - 1] == '/')
        d[--l] = 0;
    char *slash = strrchr(d, '/');
    if (!slash)
        snprintf(out, n, "wal-archive");
    else if (slash == d)
        snprintf(out, n, "/wal-archive");
    else {
        *slash = 0;
        snprintf(out, n, "%s/wal-archive", d);
    }
}

static void print_time(uint64_t t, char *out, size_t n)
{
    if (!t) {
        snprintf(out, n, "time not recorded");
        return;
    }
    time_t s = (time_t)(t / 1000000u);
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%06uZ", b, (unsigned)(t % 1000000u));
}

static int verify_archive(const char *dir)
{
    char msg[600], t1[48], t2[48];
    nq_archive_info ai;
    if (nq_archive_verify(NULL, dir, &ai, msg, sizeof msg)) {
        fprintf(stderr, "nqdb: verify failed: %s\n", msg);
        return EXIT_PROBLEM;
    }
    print_time(ai.first_time, t1, sizeof t1);
    print_time(ai.last_time, t2, sizeof t2);
    if (!ai.segments)
        printf("ok: archive %s holds no segment\n", dir);
    else
        printf("ok: archive %s verified (every SHA3-256, frame and transaction link): database %s, "
               "%u segment(s), %llu transaction(s), commits %llu (%s) .. %llu (%s), %llu bytes\n",
               dir, ai.database_id, ai.segments, (unsigned long long)ai.txns,
               (unsigned long long)ai.first_seq, t1, (unsigned long long)ai.last_seq, t2,
               (unsigned long long)ai.bytes);
    return 0;
}

/* --pubkey FILE and --key FILE of verify and restore: 1 when argv[*i] was one (consumed), -1
 * on a missing value, 0 otherwise. */
static int key_option(int argc, char **argv, int *i, nq_backup_keys *keys, const char *cmd)
{
    const char **slot = !strcmp(argv[*i], "--pubkey") ? &keys->sign_pubkey
                        : !strcmp(argv[*i], "--key") ? &keys->decrypt_key
                                                      : NULL;
    if (!slot)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "nqdb %s: %s needs a key file (%s)\n", cmd, argv[*i],
                slot == &keys->sign_pubkey ? "backup-sign.pub" : "backup-kem.key");
        return -1;
    }
    *slot = argv[++*i];
    return 1;
}

/* What verify and restore say about signatures and encryption of the chain. */
static void crypto_note(char **chain, int n, const nq_backup_keys *keys)
{
    int nsigned = 0, nenc = 0;
    nq_backup_info info;
    for (int i = 0; i < n; i++)
        if (!nq_backup_read(NULL, chain[i], &info, NULL, 0)) {
            nsigned += info.is_signed;
            nenc += info.encrypted;
        }
    if (keys->sign_pubkey)
        printf("signatures: every backup is signed by the key of %s (ML-DSA-65, checked)\n",
               keys->sign_pubkey);
    else if (nsigned)
        printf("signatures: %d of %d backup(s) signed; signature not checked (give --pubkey)\n",
               nsigned, n);
    if (nenc)
        printf("encryption: %d of %d backup(s) encrypted; %s\n", nenc, n,
               keys->decrypt_key ? "decrypted and every chunk authenticated"
                                 : "checked as stored (SHA3-256, chunk layout); the pages "
                                   "inside were not checked (give --key)");
}

int cmd_verify(int argc, char **argv)
{
    const char *usage = "usage: nqdb verify BACKUPDIR... [--pubkey SIGNPUBFILE] [--key KEMKEYFILE]\n"
                        "         (a chain in order, or its last backup)\n"
                        "       nqdb verify --archive DIR  (a log archive: segments and continuity)\n";
    if (argc < 2) {
        fprintf(stderr, "%s", usage);
        return EXIT_ERROR;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("%s", usage);
        return 0;
    }
    if (!strcmp(argv[1], "--archive")) {
        if (argc != 3) {
            fprintf(stderr, "%s", usage);
            return EXIT_ERROR;
        }
        return verify_archive(argv[2]);
    }
    nq_backup_keys keys = {NULL, NULL};
    char **pos = calloc((size_t)argc, sizeof *pos);
    int npos = 0;
    for (int i = 1; pos && i < argc; i++) {
        int k = key_option(argc, argv, &i, &keys, "verify");
        if (k < 0) {
            free(pos);
            return EXIT_ERROR;
        }
        if (k)
            continue;
        if (argv[i][0] == '-') {
            fprintf(stderr, "nqdb verify: unknown option \"%s\"\n%s", argv[i], usage);
            free(pos);
            return EXIT_ERROR;
        }
        pos[npos++] = argv[i];
    }
    if (!pos || npos < 1) {
        fprintf(stderr, "%s", usage);
        free(pos);
        return EXIT_ERROR;
    }
    char **chain;
    int n;
    int r = resolve_chain(pos, npos, &chain, &n);
    free(pos);
    if (r)
        return r;
    char msg[600];
    int rc = nq_backup_verify_ex(NULL, (const char *const *)chain, n, &keys, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "nqdb: verify failed: %s\n", msg);
        free_chain(chain, n);
        return EXIT_PROBLEM;
    }
    nq_backup_info info;
    int sealed = 0; /* encrypted backups whose pages were not checked (no --key) */
    for (int i = 0; i < n; i++) {
        nq_backup_read(NULL, chain[i], &info, NULL, 0);
        sealed += info.encrypted && !keys.decrypt_key;
        printf("%s: %s backup %s, %s, commit %llu, %u of %u pages%s%s%s\n", chain[i],
               kind_name(info.kind), info.backup_id, info.created,
               (unsigned long long)info.commit_seq, info.pages, info.page_count,
               info.compressed ? " (zstd)" : "", info.encrypted ? " (encrypted)" : "",
               info.is_signed ? " (signed)" : "");
    }
    printf("ok: %d backup(s) verified (every SHA3-256, %s and chain link): database "
           "%s, %u pages, commit %llu\n",
           n, sealed ? "page checksum of the unencrypted data" : "page checksum",
           info.database_id, info.page_count, (unsigned long long)info.commit_seq);
    crypto_note(chain, n, &keys);
    free_chain(chain, n);
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    const char *usage =
        "usage: nqdb restore BACKUPDIR... TARGET [--force] [--until SEQ|TIME] [--archive DIR]\n"
        "                    [--pubkey SIGNPUBFILE] [--key KEMKEYFILE]\n"
        "  BACKUPDIR...: a chain in order (full first), or its last backup\n"
        "  --until SEQ|TIME: point-in-time recovery: then the archived transactions up to commit\n"
        "                    SEQ, or up to the last committed at or before TIME (UTC, e.g.\n"
        "                    2026-11-24T12:00:00Z)\n"
        "  --archive DIR:    the log archive (default: wal-archive in the chain directory)\n"
        "  --pubkey FILE:    every backup must carry a valid signature by this key (backup-sign.pub)\n"
        "  --key FILE:       the secret key that decrypts encrypted backups (backup-kem.key)\n";
    int force = 0;
    const char *until = NULL, *archive = NULL;
    nq_backup_keys keys = {NULL, NULL};
    char **pos = calloc((size_t)argc, sizeof *pos);
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        int k = key_option(argc, argv, &i, &keys, "restore");
        if (k < 0) {
            free(pos);
            return EXIT_ERROR;
        }
        if (k)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s", usage);
            free(pos);
            return 0;
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (!strncmp(argv[i], "--until=", 8)) {
            until = argv[i] + 8;
        } else if (!strncmp(argv[i], "--archive=", 10)) {
            archive = argv[i] + 10;
        } else if ((!strcmp(argv[i], "--until") || !strcmp(argv[i], "--archive")) && i + 1 < argc) {
            if (argv[i][2] == 'u')
                until = argv[++i];
            else
                archive = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "nqdb restore: unknown option or missing value \"%s\"\n%s", argv[i],
                    usage);
            free(pos);
            return EXIT_ERROR;
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos < 2 || (archive && !until)) {
        if (archive && !until)
            fprintf(stderr, "nqdb restore: --archive goes with --until\n");
        fprintf(stderr, "%s", usage);
        free(pos);
        return EXIT_ERROR;
    }
    nq_restore_opts o = {force ? NQ_RESTORE_FORCE : 0, NQ_UNTIL_NONE, 0, NULL};
    if (until) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(until, &end, 10);
        if (until[0] >= '0' && until[0] <= '9' && end && !*end && !errno) {
            o.until_kind = NQ_UNTIL_SEQ;
            o.until = v;
        } else if (!nq_parse_utc(until, &o.until)) {
            o.until_kind = NQ_UNTIL_TIME;
        } else {
            fprintf(stderr, "nqdb restore: --until \"%s\": give a commit sequence number or a "
                    "UTC time such as 2026-11-24T12:00:00Z\n", until);
            free(pos);
            return EXIT_ERROR;
        }
    }
    const char *target = pos[npos - 1];
    char **chain;
    int n;
    int r = resolve_chain(pos, npos - 1, &chain, &n);
    free(pos);
    if (r)
        return r;
    char arcbuf[4200];
    if (until && !archive) {
        default_archive(chain[n - 1], arcbuf, sizeof arcbuf);
        archive = arcbuf;
    }
    o.archive_dir = archive;
    char msg[600];
    nq_restore_result res;
    int rc = nq_restore_keys(NULL, (const char *const *)chain, n, target, &o, &keys, &res, msg,
                             sizeof msg);
    if (rc) {
        fprintf(stderr, "nqdb: restore failed: %s\n", msg);
        free_chain(chain, n);
        return rc == NQ_ECORRUPT || rc == NQ_EINVAL || rc == NQ_ENOTFOUND ? EXIT_PROBLEM
                                                                          : EXIT_ERROR;
    }
    if (!until) {
        printf("restored %s from %d backup(s): %u pages, commit %llu\n", target, n,
               res.page_count, (unsigned long long)res.commit_seq);
    } else {
        char t[48];
        print_time(res.commit_time, t, sizeof t);
        printf("restored %s from %d backup(s) (commit %llu) and %llu archived transaction(s) "
               "from %u segment(s) of %s: %u pages, commit %llu (%s)\n",
               target, n, (unsigned long long)res.backup_seq,
               (unsigned long long)res.txns_applied, res.segments_used, archive, res.page_count,
               (unsigned long long)res.commit_seq, t);
    }
    crypto_note(chain, n, &keys);
    free_chain(chain, n);
    return 0;
}
