/*
 * pqc_mlkem_cmd.c — `nqdb pqc mlkem512|mlkem768|mlkem1024 ...` (see pqc_cmds.h): ML-KEM
 * (src/crypto/mlkem.h) on the command line, for scripts and for cross-checking against any
 * other FIPS 203 implementation:
 *
 *   keygen [--seed HEX]          ek, dk      seed = d || z, 64 bytes (as noble's keygen(seed));
 *                                            without it d and z come from the CSPRNG
 *   encaps --ek HEX [--m HEX]    ct, ss      m: the 32-byte randomness; default the CSPRNG
 *   decaps --dk HEX --ct HEX     ss          a tampered ct gives the implicit-rejection key
 *
 * Output: one "name: hex" line per field, or with --json one object {"algorithm": ...,
 * fields...}. Every malformed argument (not hex, odd length, wrong size, a key failing the
 * FIPS 203 §7 checks) is reported on stderr naming the option, with exit status 2. pqc_cmds.c
 * dispatches k = 3 / 4 here; mlkem512 (k = 2) is reachable through the same function when
 * the dispatcher names it. Secrets read or produced here are wiped before exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto/crypto_util.h"
#include "crypto/mlkem.h"
#include "pqc_cmds.h"

typedef struct mlkem_cli {
    const mlkem_params *p;
    const char *alg;            /* argv[0]: mlkem768 */
    const char *op;             /* keygen | encaps | decaps */
    int json;
} mlkem_cli;

static void mlkem_usage(FILE *out, const char *alg)
{
    fprintf(out,
            "usage: nqdb pqc %s keygen [--seed HEX] [--json]\n"
            "       nqdb pqc %s encaps --ek HEX [--m HEX] [--json]\n"
            "       nqdb pqc %s decaps --dk HEX --ct HEX [--json]\n"
            "\n"
            "ML-KEM key encapsulation (FIPS 203). Keys, ciphertexts and secrets are hex.\n"
            "  keygen   prints ek (the encapsulation key, public) and dk (the decapsulation\n"
            "           key, secret). --seed: the 64-byte seed d || z (128 hex digits) for a\n"
            "           deterministic key pair, as ML-KEM.KeyGen_internal(d, z); without it\n"
            "           the seed comes from the operating system's CSPRNG.\n"
            "  encaps   prints ct (the ciphertext) and ss (the 32-byte shared secret) for the\n"
            "           encapsulation key --ek, after the FIPS 203 checks on it (length, every\n"
            "           coefficient below q). --m: the 32-byte randomness m (64 hex digits), as\n"
            "           ML-KEM.Encaps_internal(ek, m); without it, the CSPRNG.\n"
            "  decaps   prints ss for --ct under --dk, after the checks on dk (length, the\n"
            "           H(ek) it holds) and ct (length). A ciphertext that does not decrypt\n"
            "           consistently yields the implicit-rejection secret, not an error.\n"
            "  --json   one JSON object instead of \"name: hex\" lines\n"
            "Exit status: 0 ok, 2 bad usage or malformed input (the message names the option).\n",
            alg, alg, alg);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode the hex of option opt into a malloc'd buffer of want bytes; on any problem print a
 * message naming the option and return NULL. what: "encapsulation key", for the message. */
static uint8_t *hex_arg(const mlkem_cli *c, const char *opt, const char *s, size_t want,
                        const char *what)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (hexval((unsigned char)s[i]) < 0) {
            fprintf(stderr, "nqdb pqc %s %s: %s: not a hex digit at position %zu: '%c'\n",
                    c->alg, c->op, opt, i + 1, s[i] >= 32 && s[i] < 127 ? s[i] : '?');
            return NULL;
        }
    }
    if (n % 2) {
        fprintf(stderr, "nqdb pqc %s %s: %s: odd number of hex digits (%zu)\n", c->alg, c->op,
                opt, n);
        return NULL;
    }
    if (n / 2 != want) {
        fprintf(stderr, "nqdb pqc %s %s: %s: %s %s is %zu bytes, got %zu (%zu hex digits)\n",
                c->alg, c->op, opt, c->p->name, what, want, n / 2, n);
        return NULL;
    }
    uint8_t *b = malloc(want ? want : 1);
    if (!b) {
        fprintf(stderr, "nqdb pqc %s %s: out of memory\n", c->alg, c->op);
        return NULL;
    }
    for (size_t i = 0; i < want; i++)
        b[i] = (uint8_t)(hexval((unsigned char)s[2 * i]) << 4 | hexval((unsigned char)s[2 * i + 1]));
    return b;
}

static void free_secret(uint8_t *b, size_t n)
{
    if (b) {
        crypto_wipe(b, n);
        free(b);
    }
}

/* Fields are printed in order, text or JSON. */
static void out_begin(const mlkem_cli *c)
{
    if (c->json)
        printf("{\"algorithm\":\"%s\",\"operation\":\"%s\"", c->p->name, c->op);
}

static void out_field(const mlkem_cli *c, const char *name, const uint8_t *b, size_t n)
{
    if (c->json)
        printf(",\"%s\":\"", name);
    else
        printf("%s: ", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    fputs(c->json ? "\"" : "\n", stdout);
}

static int out_end(const mlkem_cli *c)
{
    if (c->json)
        fputs("}\n", stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "nqdb pqc %s %s: cannot write the output\n", c->alg, c->op);
        return EXIT_ERROR;
    }
    return 0;
}

static int lib_fail(const mlkem_cli *c, const char *opt, const nq_err *e)
{
    fprintf(stderr, "nqdb pqc %s %s: %s%s%s\n", c->alg, c->op, opt ? opt : "", opt ? ": " : "",
            e->msg);
    return EXIT_ERROR;
}

static int do_keygen(const mlkem_cli *c, const char *seed_hex)
{
    const mlkem_params *p = c->p;
    uint8_t ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES];
    nq_err e;
    nq_err_clear(&e);
    int rc;
    if (seed_hex) {
        uint8_t *seed = hex_arg(c, "--seed", seed_hex, MLKEM_SEED_BYTES, "seed (d || z)");
        if (!seed)
            return EXIT_ERROR;
        rc = mlkem_keygen_seed(p, ek, dk, seed, &e);
        free_secret(seed, MLKEM_SEED_BYTES);
    } else {
        rc = mlkem_keygen(p, ek, dk, &e);
    }
    if (rc == 0) {
        out_begin(c);
        out_field(c, "ek", ek, p->ek_bytes);
        out_field(c, "dk", dk, p->dk_bytes);
        rc = out_end(c);
    } else {
        rc = lib_fail(c, NULL, &e);
    }
    crypto_wipe(dk, sizeof dk);
    return rc;
}

static int do_encaps(const mlkem_cli *c, const char *ek_hex, const char *m_hex)
{
    const mlkem_params *p = c->p;
    uint8_t ct[MLKEM_MAX_CT_BYTES], ss[MLKEM_SS_BYTES];
    uint8_t *m = NULL;
    nq_err e;
    nq_err_clear(&e);
    if (!ek_hex) {
        fprintf(stderr, "nqdb pqc %s encaps: --ek HEX is required\n", c->alg);
        return EXIT_ERROR;
    }
    uint8_t *ek = hex_arg(c, "--ek", ek_hex, p->ek_bytes, "encapsulation key");
    if (!ek)
        return EXIT_ERROR;
    if (m_hex && !(m = hex_arg(c, "--m", m_hex, MLKEM_MSG_BYTES, "randomness m"))) {
        free(ek);
        return EXIT_ERROR;
    }
    int rc = m ? mlkem_encaps_internal(p, ct, ss, ek, p->ek_bytes, m, &e)
               : mlkem_encaps(p, ct, ss, ek, p->ek_bytes, &e);
    if (rc == 0) {
        out_begin(c);
        out_field(c, "ct", ct, p->ct_bytes);
        out_field(c, "ss", ss, MLKEM_SS_BYTES);
        rc = out_end(c);
    } else {
        rc = lib_fail(c, e.code == NQ_EINVAL ? "--ek" : NULL, &e);
    }
    free(ek);
    free_secret(m, MLKEM_MSG_BYTES);
    crypto_wipe(ss, sizeof ss);
    return rc;
}

static int do_decaps(const mlkem_cli *c, const char *dk_hex, const char *ct_hex)
{
    const mlkem_params *p = c->p;
    uint8_t ss[MLKEM_SS_BYTES];
    nq_err e;
    nq_err_clear(&e);
    if (!dk_hex || !ct_hex) {
        fprintf(stderr, "nqdb pqc %s decaps: --dk HEX and --ct HEX are required\n", c->alg);
        return EXIT_ERROR;
    }
    uint8_t *dk = hex_arg(c, "--dk", dk_hex, p->dk_bytes, "decapsulation key");
    if (!dk)
        return EXIT_ERROR;
    uint8_t *ct = hex_arg(c, "--ct", ct_hex, p->ct_bytes, "ciphertext");
    if (!ct) {
        free_secret(dk, p->dk_bytes);
        return EXIT_ERROR;
    }
    int rc = mlkem_decaps(p, ss, dk, p->dk_bytes, ct, p->ct_bytes, &e);
    if (rc == 0) {
        out_begin(c);
        out_field(c, "ss", ss, MLKEM_SS_BYTES);
        rc = out_end(c);
    } else {
        rc = lib_fail(c, e.code == NQ_EINVAL ? "--dk" : NULL, &e);
    }
    free_secret(dk, p->dk_bytes);
    free(ct);
    crypto_wipe(ss, sizeof ss);
    return rc;
}

int pqc_mlkem_cmd(int k, int argc, char **argv)
{
    mlkem_cli c = {mlkem_params_get(k), argv[0], NULL, 0};
    if (!c.p) {
        fprintf(stderr, "nqdb pqc %s: no ML-KEM parameter set with k = %d\n", argv[0], k);
        return EXIT_ERROR;
    }
    if (argc < 2) {
        mlkem_usage(stderr, c.alg);
        return EXIT_ERROR;
    }
    c.op = argv[1];
    if (!strcmp(c.op, "--help") || !strcmp(c.op, "-h") || !strcmp(c.op, "help")) {
        mlkem_usage(stdout, c.alg);
        return 0;
    }
    if (strcmp(c.op, "keygen") && strcmp(c.op, "encaps") && strcmp(c.op, "decaps")) {
        fprintf(stderr, "nqdb pqc %s: unknown operation \"%s\" (keygen, encaps, decaps)\n",
                c.alg, c.op);
        return EXIT_ERROR;
    }
    /* options: --name VALUE or --name=VALUE; which ones an operation takes is checked below */
    static const char *const names[] = {"--seed", "--ek", "--m", "--dk", "--ct"};
    const char *val[5] = {NULL, NULL, NULL, NULL, NULL};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            mlkem_usage(stdout, c.alg);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            c.json = 1;
            continue;
        }
        int which = -1;
        const char *v = NULL;
        for (int j = 0; j < 5; j++) {
            size_t n = strlen(names[j]);
            if (!strncmp(a, names[j], n) && (a[n] == '\0' || a[n] == '=')) {
                which = j;
                if (a[n] == '=')
                    v = a + n + 1;
                else if (i + 1 < argc)
                    v = argv[++i];
                break;
            }
        }
        if (which < 0) {
            fprintf(stderr, "nqdb pqc %s %s: unknown option \"%s\" (see --help)\n", c.alg, c.op, a);
            return EXIT_ERROR;
        }
        if (!v) {
            fprintf(stderr, "nqdb pqc %s %s: %s needs a value\n", c.alg, c.op, names[which]);
            return EXIT_ERROR;
        }
        if (val[which]) {
            fprintf(stderr, "nqdb pqc %s %s: %s given twice\n", c.alg, c.op, names[which]);
            return EXIT_ERROR;
        }
        val[which] = v;
    }
    /* allowed options per operation: keygen {seed}, encaps {ek, m}, decaps {dk, ct} */
    static const unsigned allowed[3] = {1u << 0, 1u << 1 | 1u << 2, 1u << 3 | 1u << 4};
    int opi = !strcmp(c.op, "keygen") ? 0 : !strcmp(c.op, "encaps") ? 1 : 2;
    for (int j = 0; j < 5; j++) {
        if (val[j] && !(allowed[opi] & (1u << j))) {
            fprintf(stderr, "nqdb pqc %s %s: %s does not apply to %s (see --help)\n", c.alg,
                    c.op, names[j], c.op);
            return EXIT_ERROR;
        }
    }
    if (opi == 0)
        return do_keygen(&c, val[0]);
    if (opi == 1)
        return do_encaps(&c, val[1], val[2]);
    return do_decaps(&c, val[3], val[4]);
}
