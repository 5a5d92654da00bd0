/*
 * kv.c — `nqdb kv DBFILE VERB ...` and the shell's dot-commands for named trees.
 *
 * Keys and values are given as text; a leading "x:" means hexadecimal bytes ("x:00ff").
 * Output prints printable bytes as they are and others as \xNN, so binary keys stay readable
 * and unambiguous. Each verb runs in its own transaction unless the shell has one open.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void kv_usage(FILE *out, const char *p)
{
    fprintf(out,
            "%strees                     list trees\n"
            "%sput TREE KEY VALUE        insert or replace (creates TREE)\n"
            "%sget TREE KEY              print the value\n"
            "%sdel TREE KEY              delete a key\n"
            "%sscan TREE [FROM [TO]]     print keys and values in order, FROM <= key <= TO\n"
            "%scount TREE                number of entries\n"
            "%sseq TREE                  next value of TREE's sequence\n"
            "%sdrop TREE                 drop a tree and free its pages\n"
            "KEY/VALUE: text, or x:HEX for bytes.\n",
            p, p, p, p, p, p, p, p);
}

/* Decode a command-line key or value; returns malloc'd bytes or NULL on bad hex. */
static unsigned char *decode_arg(const char *s, size_t *len)
{
    if (strncmp(s, "x:", 2) == 0) {
        s += 2;
        size_t n = strlen(s);
        if (n % 2)
            return NULL;
        unsigned char *b = malloc(n / 2 + 1);
        if (!b)
            return NULL;
        for (size_t i = 0; i < n / 2; i++) {
            unsigned v;
            if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
                sscanf(s + 2 * i, "%2x", &v) != 1) {
                free(b);
                return NULL;
            }
            b[i] = (unsigned char)v;
        }
        *len = n / 2;
        return b;
    }
    *len = strlen(s);
    unsigned char *b = malloc(*len + 1);
    if (b)
        memcpy(b, s, *len + 1);
    return b;
}

static void print_bytes(FILE *out, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            fputc(p[i], out);
        else
            fprintf(out, "\\x%02x", p[i]);
    }
}

static void print_name(void *arg, const char *name) { fprintf((FILE *)arg, "%s\n", name); }

static int err_out(nq_db *db, const char *verb)
{
    fprintf(stderr, "nqdb: %s: %s\n", verb, nq_errmsg(db));
    return EXIT_ERROR;
}

int kv_run(nq_db *db, int argc, char **argv, FILE *out)
{
    if (argc < 1) {
        kv_usage(stderr, "  ");
        return EXIT_ERROR;
    }
    const char *verb = argv[0];
    static const struct {
        const char *verb;
        int nargs_min, nargs_max, create;
    } verbs[] = {{"trees", 0, 0, 0}, {"put", 3, 3, 1},   {"get", 2, 2, 0},  {"del", 2, 2, 0},
                 {"scan", 1, 3, 0},  {"count", 1, 1, 0}, {"seq", 1, 1, 1}, {"drop", 1, 1, 0}};
    int vi = -1;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(verb, verbs[i].verb))
            vi = (int)i;
    if (vi < 0) {
        fprintf(stderr, "nqdb: unknown verb \"%s\"\n", verb);
        kv_usage(stderr, "  ");
        return EXIT_ERROR;
    }
    int n = argc - 1;
    if (n < verbs[vi].nargs_min || n > verbs[vi].nargs_max) {
        fprintf(stderr, "nqdb: wrong number of arguments for \"%s\"\n", verb);
        kv_usage(stderr, "  ");
        return EXIT_ERROR;
    }
    if (!strcmp(verb, "trees"))
        return nq_tree_list(db, print_name, out) ? err_out(db, verb) : 0;
    if (!strcmp(verb, "drop"))
        return nq_tree_drop(db, argv[1]) ? err_out(db, verb) : 0;

    nq_tree *t;
    if (nq_tree_open(db, argv[1], verbs[vi].create ? NQ_TREE_CREATE : 0, &t))
        return err_out(db, verb);
    int rc = 0;
    unsigned char *k = NULL, *v = NULL, *k2 = NULL;
    size_t kl = 0, vl = 0, k2l = 0;
    if (n >= 2 && !(k = decode_arg(argv[2], &kl))) {
        fprintf(stderr, "nqdb: %s: bad hex in \"%s\"\n", verb, argv[2]);
        rc = EXIT_ERROR;
        goto out;
    }
    if (n >= 3 && !(v = decode_arg(argv[3], &vl))) {
        fprintf(stderr, "nqdb: %s: bad hex in \"%s\"\n", verb, argv[3]);
        rc = EXIT_ERROR;
        goto out;
    }
    if (!strcmp(verb, "put")) {
        if (nq_put(t, k, kl, v, vl, 0))
            rc = err_out(db, verb);
    } else if (!strcmp(verb, "get")) {
        void *val;
        size_t len;
        if (nq_get(t, k, kl, &val, &len)) {
            rc = err_out(db, verb);
        } else {
            print_bytes(out, val, len);
            fputc('\n', out);
            free(val);
        }
    } else if (!strcmp(verb, "del")) {
        if (nq_del(t, k, kl))
            rc = err_out(db, verb);
    } else if (!strcmp(verb, "count")) {
        uint64_t c;
        if (nq_tree_count(t, &c))
            rc = err_out(db, verb);
        else
            fprintf(out, "%llu\n", (unsigned long long)c);
    } else if (!strcmp(verb, "seq")) {
        uint64_t s;
        if (nq_seq_next(t, &s))
            rc = err_out(db, verb);
        else
            fprintf(out, "%llu\n", (unsigned long long)s);
    } else if (!strcmp(verb, "scan")) {
        k2 = v;
        k2l = vl;
        v = NULL;
        nq_cursor *c;
        if (nq_cursor_open(t, &c)) {
            rc = err_out(db, verb);
            goto out;
        }
        int r = k ? nq_cursor_seek(c, k, kl, NQ_SEEK_GE) : nq_cursor_first(c);
        for (; r == 0; r = nq_cursor_next(c)) {
            size_t ckl, cvl;
            const unsigned char *ck = nq_cursor_key(c, &ckl);
            if (k2) {
                size_t m = ckl < k2l ? ckl : k2l;
                int cmp = memcmp(ck, k2, m);
                if (cmp > 0 || (cmp == 0 && ckl > k2l))
                    break;
            }
            const unsigned char *cv = nq_cursor_value(c, &cvl);
            if (!cv) {
                r = nq_errcode(db);
                break;
            }
            print_bytes(out, ck, ckl);
            fputc('\t', out);
            print_bytes(out, cv, cvl);
            fputc('\n', out);
        }
        if (r != 0 && r != NQ_ENOTFOUND)
            rc = err_out(db, verb);
        nq_cursor_close(c);
    }
out:
    free(k);
    free(v);
    free(k2);
    nq_tree_close(t);
    return rc;
}

int cmd_kv(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *o = argc < 2 ? stderr : stdout;
        fprintf(o, "usage: nqdb kv DBFILE VERB [ARGS]\nverbs:\n");
        kv_usage(o, "  ");
        return argc < 2 ? EXIT_ERROR : 0;
    }
    nq_db *db = cli_open(argv[1], 0, 0);
    if (!db)
        return EXIT_ERROR;
    int rc = kv_run(db, argc - 2, argv + 2, stdout);
    if (nq_close(db) && !rc) {
        fprintf(stderr, "nqdb: closing %s failed\n", argv[1]);
        rc = EXIT_ERROR;
    }
    return rc;
}
