/*
 * auth_cmds.c — credential commands: `nqdb init`, `nqdb generate-jwt-secret`,
 * `nqdb key create|list|revoke` and `nqdb user create|list|delete|passwd`.
 *
 * They work on the data directory directly through the credential store (src/server/auth.h):
 * whoever can write the directory (mode 0700) is trusted, as with any database file. The
 * directory is --data DIR, else database.data_path of the configuration (--config FILE,
 * NEUROQUANTUM_CONFIG, NEUROQUANTUM_DATA_PATH, NEUROQUANTUM_DATABASE_DATA_PATH), else
 * ./neuroquantum_data, the same rule `nqdb serve` follows, so that init and serve in one
 * directory without flags meet. While a server runs on the directory, auth.db is locked and
 * these commands say so (the server's own endpoints manage keys then).
 *
 * Keys are printed once and never stored in plaintext; --output writes them (and JWT secrets)
 * to a new file of mode 0600 in the upstream format instead of printing them.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth_cmds.h"
#include "cli.h"
#include "server/auth.h"
#include "server/config.h"

#define DEFAULT_DATA_DIR "./neuroquantum_data"

/* ---- options ------------------------------------------------------------------------------ */

typedef struct opts {
    const char *data, *config, *name, *output, *perms, *format, *algorithm;
    long expiry_hours, rate_limit;
    int yes, password_stdin, help;
    const char *pos[4];
    int npos;
} opts;

/* Which options a command takes: a string of letters. d=--data c=--config n=--name
 * e=--expiry-hours o=--output p=--permissions r=--rate-limit f=--format y=--yes
 * s=--password-stdin k=--key (key revoke: the key or id, like the positional argument)
 * a=--algorithm (generate-jwt-secret: HS256, ML-DSA-65, ML-DSA-87).
 * The short forms are upstream's (neuroquantum-api init -n -e -o -y, key create -n -p -e -r -o,
 * key revoke -k, global -c), so scripts written for it keep working. */
static int parse_opts(const char *cmd, int argc, char **argv, const char *allowed, int maxpos,
                      opts *o)
{
    memset(o, 0, sizeof *o);
    o->expiry_hours = -1;
    o->rate_limit = -1;
    static const struct {
        char letter;
        const char *name, *short_name;
        int has_value;
    } known[] = {{'d', "--data", NULL, 1},         {'c', "--config", "-c", 1},
                 {'n', "--name", "-n", 1},         {'e', "--expiry-hours", "-e", 1},
                 {'o', "--output", "-o", 1},       {'p', "--permissions", "-p", 1},
                 {'r', "--rate-limit", "-r", 1},   {'f', "--format", NULL, 1},
                 {'y', "--yes", "-y", 0},          {'s', "--password-stdin", NULL, 0},
                 {'k', "--key", "-k", 1},          {'a', "--algorithm", NULL, 1}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->help = 1;
            return 0;
        }
        if (a[0] != '-' || !a[1]) {
            if (o->npos >= maxpos) {
                fprintf(stderr, "nqdb %s: unexpected argument \"%s\"\n", cmd, a);
                return EXIT_ERROR;
            }
            o->pos[o->npos++] = a;
            continue;
        }
        size_t k, nk = sizeof known / sizeof known[0];
        const char *val = NULL;
        int is_short = 0;
        for (k = 0; k < nk; k++) {
            size_t n = strlen(known[k].name);
            if (strncmp(a, known[k].name, n) == 0 && (a[n] == '\0' || a[n] == '='))
                break;
            if (known[k].short_name && !strcmp(a, known[k].short_name)) {
                is_short = 1;
                break;
            }
        }
        if (k == nk || !strchr(allowed, known[k].letter)) {
            fprintf(stderr, "nqdb %s: unknown option %s (see `nqdb %s --help`)\n", cmd, a, cmd);
            return EXIT_ERROR;
        }
        if (known[k].has_value) {
            const char *eq = is_short ? NULL : strchr(a, '=');
            val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) {
                fprintf(stderr, "nqdb %s: %s needs a value\n", cmd, known[k].name);
                return EXIT_ERROR;
            }
        } else if (strchr(a, '=')) {
            fprintf(stderr, "nqdb %s: %s takes no value\n", cmd, known[k].name);
            return EXIT_ERROR;
        }
        long *num = NULL;
        switch (known[k].letter) {
        case 'd': o->data = val; break;
        case 'c': o->config = val; break;
        case 'n': o->name = val; break;
        case 'o': o->output = val; break;
        case 'p': o->perms = val; break;
        case 'f': o->format = val; break;
        case 'a': o->algorithm = val; break;
        case 'y': o->yes = 1; break;
        case 's': o->password_stdin = 1; break;
        case 'k':
            if (o->npos >= maxpos) {
                fprintf(stderr, "nqdb %s: unexpected argument \"%s\"\n", cmd, val);
                return EXIT_ERROR;
            }
            o->pos[o->npos++] = val;
            break;
        case 'e': num = &o->expiry_hours; break;
        case 'r': num = &o->rate_limit; break;
        }
        if (num) {
            char *end;
            errno = 0;
            long v = strtol(val, &end, 10);
            if (errno || end == val || *end || v < 0 || v > 2147483647L) {
                fprintf(stderr, "nqdb %s: %s must be a whole number from 0 to 2147483647\n", cmd,
                        known[k].name);
                return EXIT_ERROR;
            }
            *num = v;
        }
    }
    if (o->format && strcmp(o->format, "table") && strcmp(o->format, "json")) {
        fprintf(stderr, "nqdb %s: --format must be table or json\n", cmd);
        return EXIT_ERROR;
    }
    return 0;
}

/* The data directory (malloc'd into *out): --data, else database.data_path of the
 * configuration as `nqdb serve` loads it (--config FILE or NEUROQUANTUM_CONFIG, then the
 * NEUROQUANTUM_* overrides such as NEUROQUANTUM_DATA_PATH, else the default
 * ./neuroquantum_data). A configuration that does not load is an error, as for serve. */
static int data_dir(const char *cmd, const opts *o, char **out)
{
    *out = NULL;
    if (o->data && *o->data) {
        *out = strdup(o->data);
    } else {
        server_config c;
        char err[512];
        if (cfg_load(&c, o->config, err, sizeof err) != 0) {
            fprintf(stderr, "nqdb %s: %s\n", cmd, err);
            cfg_free(&c);
            return EXIT_ERROR;
        }
        *out = strdup(c.database.data_path && *c.database.data_path ? c.database.data_path
                                                                       : DEFAULT_DATA_DIR);
        cfg_free(&c);
    }
    if (!*out) {
        fprintf(stderr, "nqdb %s: out of memory\n", cmd);
        return EXIT_ERROR;
    }
    return 0;
}

static auth_store *open_store(const char *cmd, const char *dir)
{
    auth_store *s;
    char err[512];
    int rc = auth_open(dir, &s, err, sizeof err);
    if (rc) {
        fprintf(stderr, "nqdb %s: %s\n", cmd, err);
        return NULL;
    }
    return s;
}

/* A new or truncated file of mode 0600 (also when it existed with a wider mode). */
static FILE *open_private(const char *cmd, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        fprintf(stderr, "nqdb %s: cannot write %s: %s\n", cmd, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        fprintf(stderr, "nqdb %s: cannot write %s: %s\n", cmd, path, strerror(errno));
        close(fd);
    }
    return f;
}

static int close_private(const char *cmd, const char *path, FILE *f)
{
    int bad = ferror(f);
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "nqdb %s: cannot write %s: %s\n", cmd, path, strerror(errno));
        return EXIT_ERROR;
    }
    return 0;
}

/* "admin, neuromorphic, ..." */
static void perms_text(unsigned perms, char *out, size_t cap)
{
    char buf[96];
    perm_format(perms, buf, sizeof buf);
    size_t n = 0;
    for (const char *p = buf; *p && n + 2 < cap; p++) {
        out[n++] = *p;
        if (*p == ',' && n + 2 < cap)
            out[n++] = ' ';
    }
    out[n] = '\0';
}

/* ---- keys: shared by init and key create ---------------------------------------------------- */

static int make_key(const char *cmd, const char *dir, auth_store *s, const char *name,
                    unsigned perms, uint32_t hours, uint32_t rate, const char *output,
                    int first_admin)
{
    FILE *f = NULL;
    if (output && !(f = open_private(cmd, output)))
        return EXIT_ERROR;
    char key[38], err[512], created[32], expires[32], ptext[96];
    auth_key_info info;
    int rc = auth_key_create(s, name, perms, hours, rate, key, &info, err, sizeof err);
    if (rc) {
        fprintf(stderr, "nqdb %s: %s\n", cmd, err);
        if (f) {
            fclose(f);
            unlink(output);
        }
        return EXIT_ERROR;
    }
    auth_format_time(info.created_at, created, sizeof created);
    auth_format_time(info.expires_at, expires, sizeof expires);
    perms_text(info.perms, ptext, sizeof ptext);
    if (f) {
        fprintf(f,
                "# NeuroQuantumDB %s\n"
                "# Generated: %s\n"
                "# Name: %s\n"
                "# Expires: %s\n"
                "# Permissions: %s\n"
                "\n"
                "NEUROQUANTUM_API_KEY=%s\n",
                first_admin ? "Admin API Key" : "API Key", created, info.name, expires, ptext,
                key);
        if (close_private(cmd, output, f) != 0) {
            auth_key_revoke(s, info.id, "cli: the key file could not be written", err,
                            sizeof err);
            fprintf(stderr, "nqdb %s: the key was revoked again\n", cmd);
            return EXIT_ERROR;
        }
    }
    if (first_admin)
        printf("NeuroQuantumDB initialised in %s\n\n", dir);
    if (f)
        printf("%s API key written to %s (mode 600).\n\n", first_admin ? "Admin" : "The",
               output);
    else
        printf("%s API key (shown only now; store it securely, it cannot be recovered):\n\n"
               "  %s\n\n",
               first_admin ? "Admin" : "The", key);
    char rate_text[32];
    if (info.rate_limit_per_hour)
        snprintf(rate_text, sizeof rate_text, "%u requests/hour", info.rate_limit_per_hour);
    else
        snprintf(rate_text, sizeof rate_text, "server default");
    printf("  id:          %s\n"
           "  name:        %s\n"
           "  permissions: %s\n"
           "  created:     %s\n"
           "  expires:     %s\n"
           "  rate limit:  %s\n\n",
           info.id, info.name, ptext, created, expires, rate_text);
    printf("Use it in the X-API-Key header (or Authorization: Bearer):\n"
           "  export NEUROQUANTUM_API_KEY=%s\n"
           "  curl -H \"X-API-Key: $NEUROQUANTUM_API_KEY\" http://127.0.0.1:8080/api/v1/...\n",
           f ? "<the key from the file>" : key);
    if (first_admin)
        printf("\nStart the server on this directory with: nqdb serve --data %s\n", dir);
    memset(key, 0, sizeof key);
    return 0;
}

/* ---- nqdb init ------------------------------------------------------------------------------ */

static void init_usage(FILE *out)
{
    fprintf(out,
            "usage: nqdb init [--data DIR] [--config FILE] [--name N] [--expiry-hours H]\n"
            "                 [--output FILE] [--yes]\n"
            "\n"
            "First-time setup of a data directory: creates it (mode 700) with auth.key and\n"
            "jwt.secret (and, when the configuration sets jwt.algorithm = ML-DSA-65 or\n"
            "ML-DSA-87, the token key pair jwt-mldsa65.key/.pub), and creates the first admin API key (all six permissions, 10000\n"
            "requests/hour). Refused once an admin key that is neither revoked nor expired\n"
            "exists. The key is printed once, or with --output written to FILE (mode 600) as\n"
            "NEUROQUANTUM_API_KEY=... and not printed.\n"
            "\n"
            "  --data DIR          data directory (default: database.data_path of the\n"
            "                      configuration, else " DEFAULT_DATA_DIR ")\n"
            "  --config FILE       configuration file (its database.data_path)\n"
            "  --name N            key name (default admin)\n"
            "  --expiry-hours H    lifetime of the key in hours (default 8760, one year)\n"
            "  --output FILE       write the key to FILE instead of printing it\n"
            "  --yes               accepted for compatibility; init never prompts\n"
            "Short forms as upstream: -n, -e, -o, -y, -c.\n");
}

int cmd_init(int argc, char **argv)
{
    opts o;
    int rc = parse_opts("init", argc, argv, "dcneoy", 0, &o);
    if (rc)
        return rc;
    if (o.help) {
        init_usage(stdout);
        return 0;
    }
    char *dir;
    if ((rc = data_dir("init", &o, &dir)) != 0)
        return rc;
    auth_store *s = open_store("init", dir);
    if (!s) {
        free(dir);
        return EXIT_ERROR;
    }
    if (auth_has_admin(s)) {
        fprintf(stderr,
                "nqdb init: an admin key exists already in %s; create more with `nqdb key "
                "create` or POST /api/v1/auth/generate-key\n",
                dir);
        auth_close(s);
        free(dir);
        return EXIT_ERROR;
    }
    unsigned char *secret;
    size_t len;
    char err[512];
    if (auth_load_jwt_secret(dir, NULL, &secret, &len, err, sizeof err) != 0) {
        fprintf(stderr, "nqdb init: %s\n", err);
        auth_close(s);
        free(dir);
        return EXIT_ERROR;
    }
    memset(secret, 0, len);
    free(secret);
    /* jwt.algorithm ML-DSA-65/87 in the configuration: its key pair too (else serve makes it) */
    server_config cfg;
    if (cfg_load(&cfg, o.config, err, sizeof err) == 0) {
        int level = !strcmp(cfg.jwt.algorithm, "ML-DSA-65") ? 65
                    : !strcmp(cfg.jwt.algorithm, "ML-DSA-87") ? 87 : 0;
        uint8_t *sk, *pk;
        size_t skl, pkl;
        if (level && auth_load_jwt_mldsa(dir, level, AUTH_MLDSA_LOAD_OR_CREATE, &sk, &skl, &pk,
                                         &pkl, err, sizeof err) != 0) {
            fprintf(stderr, "nqdb init: %s\n", err);
            cfg_free(&cfg);
            auth_close(s);
            free(dir);
            return EXIT_ERROR;
        }
        if (level) {
            memset(sk, 0, skl);
            free(sk);
            free(pk);
        }
    }
    cfg_free(&cfg);
    long hours = o.expiry_hours < 0 ? 8760 : o.expiry_hours;
    if (hours == 0) {
        fprintf(stderr, "nqdb init: --expiry-hours must be at least 1\n");
        auth_close(s);
        free(dir);
        return EXIT_ERROR;
    }
    rc = make_key("init", dir, s, o.name ? o.name : "admin", PERM_ALL, (uint32_t)hours, 10000,
                  o.output, 1);
    auth_close(s);
    free(dir);
    return rc;
}

/* ---- nqdb generate-jwt-secret ---------------------------------------------------------------- */

/* `generate-jwt-secret --algorithm ML-DSA-65|87`: the key pair in the data directory. */
static int make_mldsa_pair(const opts *o, int level)
{
    const char *cmd = "generate-jwt-secret";
    if (o->output) {
        fprintf(stderr, "nqdb %s: --output is for HS256 secrets; an ML-DSA key pair is written "
                        "into the data directory (--data DIR)\n", cmd);
        return EXIT_ERROR;
    }
    char *dir;
    int rc = data_dir(cmd, o, &dir);
    if (rc)
        return rc;
    uint8_t *sk, *pk;
    size_t skl, pkl;
    char err[700];
    if (auth_load_jwt_mldsa(dir, level, AUTH_MLDSA_CREATE, &sk, &skl, &pk, &pkl, err,
                            sizeof err) != 0) {
        fprintf(stderr, "nqdb %s: %s\n", cmd, err);
        free(dir);
        return EXIT_ERROR;
    }
    memset(sk, 0, skl);
    free(sk);
    free(pk);
    printf("ML-DSA-%d token key pair created in %s:\n"
           "  jwt-mldsa%d.key   the signing key (32-byte seed, mode 600): back it up, never share it\n"
           "  jwt-mldsa%d.pub   the verification key (%zu bytes, FIPS 204 encoding): give it to\n"
           "                    whoever verifies the server's tokens\n"
           "Use it with this configuration:\n"
           "[jwt]\nalgorithm = \"ML-DSA-%d\"\n",
           level, dir, level, level, pkl, level);
    free(dir);
    return 0;
}

int cmd_generate_jwt_secret(int argc, char **argv)
{
    opts o;
    int rc = parse_opts("generate-jwt-secret", argc, argv, "oadc", 0, &o);
    if (rc)
        return rc;
    if (o.help) {
        printf("usage: nqdb generate-jwt-secret [--output FILE]\n"
               "       nqdb generate-jwt-secret --algorithm ML-DSA-65|ML-DSA-87 [--data DIR]\n"
               "                                [--config FILE]\n"
               "\n"
               "Prints a new JWT signing secret (64 random bytes, standard base64: 88\n"
               "characters) as a configuration snippet:\n"
               "  [jwt]\n"
               "  secret = \"...\"\n"
               "With --output the snippet goes to FILE (mode 600) instead. The secret can also\n"
               "be given as NEUROQUANTUM_JWT_SECRET. Without any, `nqdb serve` uses the\n"
               "data directory's jwt.secret (made by `nqdb init`).\n"
               "\n"
               "--algorithm ML-DSA-65 (or ML-DSA-87) instead creates the post-quantum token\n"
               "signing key pair in the data directory (as for `nqdb key`): jwt-mldsa65.key\n"
               "(mode 600) and jwt-mldsa65.pub (the verification key for third parties),\n"
               "used by `nqdb serve` with jwt.algorithm = \"ML-DSA-65\". Refused when a key\n"
               "exists (rotation: docs/authentication.md). --algorithm HS256 is the default.\n");
        return 0;
    }
    if (o.algorithm && strcmp(o.algorithm, "HS256") != 0) {
        int level = !strcmp(o.algorithm, "ML-DSA-65") ? 65 : !strcmp(o.algorithm, "ML-DSA-87") ? 87 : 0;
        if (!level) {
            fprintf(stderr, "nqdb generate-jwt-secret: --algorithm must be HS256, ML-DSA-65 or "
                            "ML-DSA-87, got \"%s\"\n", o.algorithm);
            return EXIT_ERROR;
        }
        return make_mldsa_pair(&o, level);
    }
    if (o.data || o.config) {
        fprintf(stderr, "nqdb generate-jwt-secret: --data and --config go with --algorithm "
                        "ML-DSA-65|ML-DSA-87 (an HS256 secret is only printed)\n");
        return EXIT_ERROR;
    }
    char b64[89];
    if (auth_random_secret_b64(b64, sizeof b64) != 0) {
        fprintf(stderr, "nqdb generate-jwt-secret: the random number generator failed\n");
        return EXIT_ERROR;
    }
    if (o.output) {
        FILE *f = open_private("generate-jwt-secret", o.output);
        if (!f)
            return EXIT_ERROR;
        fprintf(f, "# NeuroQuantumDB JWT secret (HS256 signing key); keep this file private\n"
                   "[jwt]\nsecret = \"%s\"\n", b64);
        memset(b64, 0, sizeof b64);
        if (close_private("generate-jwt-secret", o.output, f) != 0)
            return EXIT_ERROR;
        printf("JWT secret written to %s (mode 600): copy its [jwt] section into the server's\n"
               "configuration, or set NEUROQUANTUM_JWT_SECRET to the quoted value.\n",
               o.output);
        return 0;
    }
    printf("[jwt]\nsecret = \"%s\"\n", b64);
    memset(b64, 0, sizeof b64);
    return 0;
}

/* ---- nqdb key ------------------------------------------------------------------------------- */

static void key_usage(FILE *out)
{
    fprintf(out,
            "usage: nqdb key create --name N [--permissions LIST] [--expiry-hours H]\n"
            "                       [--rate-limit N] [--output FILE] [--data DIR] [--config FILE]\n"
            "       nqdb key list [--format table|json] [--data DIR] [--config FILE]\n"
            "       nqdb key revoke ID|KEY [--data DIR] [--config FILE]\n"
            "\n"
            "API keys of the data directory (--data DIR, else database.data_path of the\n"
            "configuration: --config FILE, NEUROQUANTUM_CONFIG, NEUROQUANTUM_DATA_PATH; default\n"
            DEFAULT_DATA_DIR "). Works while no server runs on it;\n"
            "a running server manages keys with POST /api/v1/auth/generate-key and\n"
            "/api/v1/auth/revoke-key.\n"
            "\n"
            "  create   make a key and print it once (--output FILE: write it there, mode 600,\n"
            "           as NEUROQUANTUM_API_KEY=...). LIST: comma-separated names of admin,\n"
            "           neuromorphic, quantum, dna, read, write (default read,write); H default\n"
            "           720 (30 days); --rate-limit: requests per hour (default: the server's)\n"
            "  list     every key with its id, never the key itself\n"
            "  revoke   by the 8-character id that list shows, or by the key (also -k KEY)\n"
            "Short forms as upstream: -n, -p, -e, -r, -o, -c.\n");
}

typedef struct list_ctx {
    int json;
    json_t *arr;
    int64_t now;
    int n;
} list_ctx;

static const char *key_status(const auth_key_info *k, int64_t now)
{
    return k->revoked ? "revoked" : now >= k->expires_at ? "expired" : "active";
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    if (!t)
        return json_null();
    auth_format_time(t, buf, sizeof buf);
    return json_string(buf);
}

static json_t *perms_json(unsigned perms)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < 6; i++)
        if (perms & (1u << i))
            json_array_append_new(a, json_string(perm_names[i]));
    return a;
}

static void list_key(void *arg, const auth_key_info *k)
{
    list_ctx *c = arg;
    const char *status = key_status(k, c->now);
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(k->id));
        json_object_set_new(o, "name", json_string(k->name));
        json_object_set_new(o, "permissions", perms_json(k->perms));
        json_object_set_new(o, "created_at", time_json(k->created_at));
        json_object_set_new(o, "expires_at", time_json(k->expires_at));
        json_object_set_new(o, "last_used", time_json(k->last_used));
        json_object_set_new(o, "usage_count", json_integer((json_int_t)k->usage_count));
        json_object_set_new(o, "rate_limit_per_hour",
                            k->rate_limit_per_hour ? json_integer(k->rate_limit_per_hour)
                                                   : json_null());
        json_object_set_new(o, "status", json_string(status));
        json_object_set_new(o, "revoked_at", time_json(k->revoked ? k->revoked_at : 0));
        json_object_set_new(o, "revoked_by",
                            k->revoked ? json_string(k->revoked_by) : json_null());
        json_array_append_new(c->arr, o);
        return;
    }
    char perms[96], created[32], expires[32], used[32], rate[16];
    perm_format(k->perms, perms, sizeof perms);
    auth_format_time(k->created_at, created, sizeof created);
    auth_format_time(k->expires_at, expires, sizeof expires);
    auth_format_time(k->last_used, used, sizeof used);
    if (k->rate_limit_per_hour)
        snprintf(rate, sizeof rate, "%u", k->rate_limit_per_hour);
    else
        snprintf(rate, sizeof rate, "default");
    if (c->n++ == 0)
        printf("%-8s  %-20s  %-41s  %-20s  %-20s  %-20s  %8s  %8s  %s\n", "ID", "NAME",
               "PERMISSIONS", "CREATED", "EXPIRES", "LAST USED", "USES", "LIMIT/H", "STATUS");
    printf("%-8s  %-20s  %-41s  %-20s  %-20s  %-20s  %8llu  %8s  %s\n", k->id, k->name, perms,
           created, expires, used, (unsigned long long)k->usage_count, rate, status);
}

int cmd_key(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        key_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : 0;
    }
    const char *verb = argv[1];
    opts o;
    int rc;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "key %s", verb);
    if (!strcmp(verb, "create"))
        rc = parse_opts(cmd, argc - 1, argv + 1, "dcnpero", 0, &o);
    else if (!strcmp(verb, "list"))
        rc = parse_opts(cmd, argc - 1, argv + 1, "dcf", 0, &o);
    else if (!strcmp(verb, "revoke"))
        rc = parse_opts(cmd, argc - 1, argv + 1, "dck", 1, &o);
    else {
        fprintf(stderr, "nqdb key: unknown verb \"%s\" (create, list, revoke)\n", verb);
        return EXIT_ERROR;
    }
    if (rc)
        return rc;
    if (o.help) {
        key_usage(stdout);
        return 0;
    }
    unsigned perms = PERM_READ | PERM_WRITE;
    char err[512];
    if (!strcmp(verb, "create")) {
        if (!o.name) {
            fprintf(stderr, "nqdb key create: --name N is required\n");
            return EXIT_ERROR;
        }
        if (o.perms && auth_perms_parse(o.perms, &perms, err, sizeof err) != 0) {
            fprintf(stderr, "nqdb key create: %s\n", err);
            return EXIT_ERROR;
        }
        if (o.expiry_hours == 0) {
            fprintf(stderr, "nqdb key create: --expiry-hours must be at least 1\n");
            return EXIT_ERROR;
        }
    }
    if (!strcmp(verb, "revoke") && o.npos != 1) {
        fprintf(stderr, "usage: nqdb key revoke ID|KEY [--data DIR]\n");
        return EXIT_ERROR;
    }
    char *dir;
    if ((rc = data_dir(cmd, &o, &dir)) != 0)
        return rc;
    auth_store *s = open_store(cmd, dir);
    if (!s) {
        free(dir);
        return EXIT_ERROR;
    }
    if (!strcmp(verb, "create")) {
        rc = make_key(cmd, dir, s, o.name, perms,
                      o.expiry_hours < 0 ? AUTH_DEFAULT_KEY_HOURS : (uint32_t)o.expiry_hours,
                      o.rate_limit < 0 ? 0 : (uint32_t)o.rate_limit, o.output, 0);
    } else if (!strcmp(verb, "list")) {
        list_ctx c = {o.format && !strcmp(o.format, "json"), NULL, 0, 0};
        c.now = (int64_t)time(NULL);
        if (c.json)
            c.arr = json_array();
        auth_key_list(s, list_key, &c);
        if (c.json) {
            char *txt = json_dumps(c.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", txt ? txt : "[]");
            free(txt);
            json_decref(c.arr);
        } else if (c.n == 0) {
            printf("no API keys in %s (make the first with `nqdb init`)\n", dir);
        }
        rc = 0;
    } else {
        if (auth_key_revoke(s, o.pos[0], "cli", err, sizeof err) != 0) {
            fprintf(stderr, "nqdb key revoke: %s: %s\n", err, o.pos[0]);
            rc = EXIT_ERROR;
        } else {
            printf("API key revoked\n");
            rc = 0;
        }
    }
    auth_close(s);
    free(dir);
    return rc;
}

/* ---- nqdb user ------------------------------------------------------------------------------ */

static void user_usage(FILE *out)
{
    fprintf(out,
            "usage: nqdb user create NAME [--permissions LIST] [--password-stdin]\n"
            "       nqdb user list [--format table|json]\n"
            "       nqdb user delete NAME\n"
            "       nqdb user passwd NAME [--password-stdin]\n"
            "  each also takes [--data DIR] [--config FILE] (the data directory as for `nqdb key`)\n"
            "\n"
            "Users who log in with POST /api/v1/auth/login (JWT access and refresh tokens).\n"
            "NAME: 1 to 64 printable characters without spaces (an e-mail address works).\n"
            "Passwords: at least 8 characters, hashed with Argon2id (the parameters of the\n"
            "configuration's [passwords] section: --config FILE, NEUROQUANTUM_CONFIG,\n"
            "NEUROQUANTUM_PASSWORDS_*; default m=19456 KiB, t=2, p=1). Without\n"
            "--password-stdin the password is asked twice on the terminal, without echo;\n"
            "with it, the first line of standard input is the password. LIST as for keys\n"
            "(default read,write). delete and passwd end the user's sessions.\n");
}

/* Read a password: the first line of stdin, or twice from the terminal without echo. */
static int read_password(const char *cmd, const char *user, int from_stdin, char *out,
                         size_t cap)
{
    if (from_stdin || !isatty(STDIN_FILENO)) {
        if (!from_stdin) {
            fprintf(stderr, "nqdb %s: standard input is not a terminal; use --password-stdin\n",
                    cmd);
            return EXIT_ERROR;
        }
        if (!fgets(out, (int)cap, stdin)) {
            fprintf(stderr, "nqdb %s: no password on standard input\n", cmd);
            return EXIT_ERROR;
        }
        size_t n = strlen(out);
        if (n == cap - 1 && out[n - 1] != '\n') {
            fprintf(stderr, "nqdb %s: the password is too long (at most %d characters)\n", cmd,
                    AUTH_MAX_PASSWORD);
            return EXIT_ERROR;
        }
        while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
            out[--n] = '\0';
        return 0;
    }
    struct termios old, quiet;
    if (tcgetattr(STDIN_FILENO, &old) != 0) {
        fprintf(stderr, "nqdb %s: cannot read the terminal: %s\n", cmd, strerror(errno));
        return EXIT_ERROR;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    char again[AUTH_MAX_PASSWORD + 2];
    int rc = 0;
    for (int round = 0; round < 2 && rc == 0; round++) {
        char *dst = round ? again : out;
        size_t dcap = round ? sizeof again : cap;
        fprintf(stderr, round ? "Repeat the password: " : "Password for %s: ", user);
        fflush(stderr);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        char *got = fgets(dst, (int)dcap, stdin);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
        if (!got) {
            fprintf(stderr, "nqdb %s: no password given\n", cmd);
            rc = EXIT_ERROR;
            break;
        }
        dst[strcspn(dst, "\r\n")] = '\0';
    }
    if (rc == 0 && strcmp(out, again) != 0) {
        fprintf(stderr, "nqdb %s: the passwords differ\n", cmd);
        rc = EXIT_ERROR;
    }
    memset(again, 0, sizeof again);
    return rc;
}

typedef struct ulist_ctx {
    int json, n;
    json_t *arr;
} ulist_ctx;

static void list_user(void *arg, const char *name, unsigned perms, int64_t created_at)
{
    ulist_ctx *c = arg;
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "permissions", perms_json(perms));
        json_object_set_new(o, "created_at", time_json(created_at));
        json_array_append_new(c->arr, o);
        return;
    }
    char p[96], t[32];
    perm_format(perms, p, sizeof p);
    auth_format_time(created_at, t, sizeof t);
    if (c->n++ == 0)
        printf("%-32s  %-40s  %s\n", "NAME", "PERMISSIONS", "CREATED");
    printf("%-32s  %-40s  %s\n", name, p, t);
}

int cmd_user(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        user_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : 0;
    }
    const char *verb = argv[1];
    char cmd[32];
    snprintf(cmd, sizeof cmd, "user %s", verb);
    opts o;
    int rc, want_name = 1;
    if (!strcmp(verb, "create"))
        rc = parse_opts(cmd, argc - 1, argv + 1, "dcps", 1, &o);
    else if (!strcmp(verb, "passwd"))
        rc = parse_opts(cmd, argc - 1, argv + 1, "dcs", 1, &o);
    else if (!strcmp(verb, "delete"))
        rc = parse_opts(cmd, argc - 1, argv + 1, "dc", 1, &o);
    else if (!strcmp(verb, "list")) {
        rc = parse_opts(cmd, argc - 1, argv + 1, "dcf", 0, &o);
        want_name = 0;
    } else {
        fprintf(stderr, "nqdb user: unknown verb \"%s\" (create, list, delete, passwd)\n", verb);
        return EXIT_ERROR;
    }
    if (rc)
        return rc;
    if (o.help) {
        user_usage(stdout);
        return 0;
    }
    if (want_name && o.npos != 1) {
        fprintf(stderr, "nqdb %s: a user NAME is required (see `nqdb user --help`)\n", cmd);
        return EXIT_ERROR;
    }
    char err[512];
    unsigned perms = PERM_READ | PERM_WRITE;
    if (o.perms && auth_perms_parse(o.perms, &perms, err, sizeof err) != 0) {
        fprintf(stderr, "nqdb %s: %s\n", cmd, err);
        return EXIT_ERROR;
    }
    char pw[AUTH_MAX_PASSWORD + 2] = "";
    if ((!strcmp(verb, "create") || !strcmp(verb, "passwd")) &&
        (rc = read_password(cmd, o.pos[0], o.password_stdin, pw, sizeof pw)) != 0)
        return rc;
    /* new hashes use the configuration's [passwords] Argon2id parameters, as the server's do */
    unsigned am = AUTH_ARGON2_M, at = AUTH_ARGON2_T, ap = AUTH_ARGON2_P;
    if (!strcmp(verb, "create") || !strcmp(verb, "passwd")) {
        server_config c;
        if (cfg_load(&c, o.config, err, sizeof err) != 0) {
            fprintf(stderr, "nqdb %s: %s\n", cmd, err);
            cfg_free(&c);
            memset(pw, 0, sizeof pw);
            return EXIT_ERROR;
        }
        am = c.passwords.argon2_memory_kib;
        at = c.passwords.argon2_iterations;
        ap = c.passwords.argon2_parallelism;
        cfg_free(&c);
    }
    char *dir;
    if ((rc = data_dir(cmd, &o, &dir)) != 0) {
        memset(pw, 0, sizeof pw);
        return rc;
    }
    auth_store *s = open_store(cmd, dir);
    if (!s) {
        memset(pw, 0, sizeof pw);
        free(dir);
        return EXIT_ERROR;
    }
    if (auth_set_argon2(s, am, at, ap, err, sizeof err) != 0) {
        fprintf(stderr, "nqdb %s: %s\n", cmd, err);
        memset(pw, 0, sizeof pw);
        auth_close(s);
        free(dir);
        return EXIT_ERROR;
    }
    if (!strcmp(verb, "create")) {
        rc = auth_user_create(s, o.pos[0], pw, perms, err, sizeof err);
        if (rc == 0) {
            char p[96];
            perm_format(perms, p, sizeof p);
            printf("user %s created (permissions: %s)\n", o.pos[0], p);
        }
    } else if (!strcmp(verb, "passwd")) {
        rc = auth_user_passwd(s, o.pos[0], pw, err, sizeof err);
        if (rc == 0)
            printf("password of %s changed; their sessions were ended\n", o.pos[0]);
    } else if (!strcmp(verb, "delete")) {
        rc = auth_user_delete(s, o.pos[0], err, sizeof err);
        if (rc == 0)
            printf("user %s deleted\n", o.pos[0]);
    } else {
        ulist_ctx c = {o.format && !strcmp(o.format, "json"), 0, NULL};
        if (c.json)
            c.arr = json_array();
        rc = auth_user_list(s, list_user, &c);
        if (c.json) {
            char *txt = json_dumps(c.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", txt ? txt : "[]");
            free(txt);
            json_decref(c.arr);
        } else if (c.n == 0) {
            printf("no users in %s\n", dir);
        }
        if (rc)
            snprintf(err, sizeof err, "%s", nq_strerror(rc));
    }
    memset(pw, 0, sizeof pw);
    if (rc)
        fprintf(stderr, "nqdb %s: %s\n", cmd, err);
    auth_close(s);
    free(dir);
    return rc ? EXIT_ERROR : 0;
}
