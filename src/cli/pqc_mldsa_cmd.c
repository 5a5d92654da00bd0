/*
 * pqc_mldsa_cmd.c — `nqdb pqc mldsa44|mldsa65|mldsa87 ...`: ML-DSA (FIPS 204,
 * src/crypto/mldsa.h) on the command line, in hex, so that anyone can cross-check it against
 * another implementation (docs/security.md):
 *
 *   keygen [--seed HEX]                               KeyGen_internal(ξ); ξ fresh when omitted
 *   sign --sk HEX --msg HEX [--ctx HEX] [--rnd HEX | --deterministic]
 *                                                     hedged by default (rnd from the CSPRNG)
 *   verify --pk HEX --msg HEX --sig HEX [--ctx HEX]   exit 0 valid, 1 invalid
 *
 * Output: one `name: hex` line per value, or one JSON object with --json. Exit status 2 for
 * bad usage or malformed input, with a message naming the argument (bad hex, a length that is
 * not the parameter set's, a context over 255 bytes, a secret key that does not decode).
 * The conventions are @noble/post-quantum's: keygen(seed), sign(msg, sk, {context,
 * extraEntropy}), so `--rnd` is its extraEntropy and `--deterministic` its extraEntropy: false.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto/crypto_util.h"
#include "crypto/mldsa.h"
#include "pqc_cmds.h"

static void usage(FILE *f, const char *alg)
{
    fprintf(f,
            "usage: nqdb pqc %s OPERATION [options] [--json]     (FIPS 204 ML-DSA, hex in and out)\n"
            "  keygen [--seed HEX]            key pair from the 32-byte seed xi (fresh when omitted)\n"
            "                                 prints seed, pk, sk\n"
            "  sign --sk HEX --msg HEX [--ctx HEX] [--rnd HEX | --deterministic]\n"
            "                                 prints sig; hedged (rnd from the CSPRNG) unless --rnd\n"
            "                                 (32 bytes) or --deterministic (rnd = 0^32) is given;\n"
            "                                 ctx is the context string, 0-255 bytes (default empty)\n"
            "  verify --pk HEX --msg HEX --sig HEX [--ctx HEX]\n"
            "                                 prints valid: true|false; exit 0 valid, 1 invalid\n"
            "exit status 2: bad usage or malformed input (the message names the argument)\n",
            alg);
}

typedef struct buf {
    uint8_t *p;
    size_t n;
    int set;
} buf;

/* Parse hex into b (allocated; an empty string gives an empty buffer). */
static int parse_hex(const char *alg, const char *name, const char *s, buf *b)
{
    size_t len = strlen(s);
    if (len % 2) {
        fprintf(stderr, "nqdb pqc %s: %s: odd number of hex digits\n", alg, name);
        return -1;
    }
    b->p = malloc(len / 2 + 1);
    if (!b->p) {
        fprintf(stderr, "nqdb pqc %s: out of memory\n", alg);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
        if (v < 0) {
            fprintf(stderr, "nqdb pqc %s: %s: not a hex digit at position %zu\n", alg, name, i + 1);
            return -1;
        }
        if (i % 2)
            b->p[i / 2] = (uint8_t)(b->p[i / 2] | v);
        else
            b->p[i / 2] = (uint8_t)(v << 4);
    }
    b->n = len / 2;
    b->set = 1;
    return 0;
}

static void free_buf(buf *b)
{
    if (b->p) {
        crypto_wipe(b->p, b->n);
        free(b->p);
    }
    memset(b, 0, sizeof *b);
}

static int need_len(const char *alg, const char *name, const char *what, const buf *b, size_t want)
{
    if (b->n == want)
        return 0;
    fprintf(stderr, "nqdb pqc %s: %s: %s is %zu bytes, got %zu\n", alg, name, what, want, b->n);
    return -1;
}

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

/* One output value: `name: hex` or `"name":"hex"` inside the JSON object. */
static void out_hex(int json, int *first, const char *name, const uint8_t *p, size_t n)
{
    if (json) {
        printf("%s\"%s\":\"", *first ? "" : ",", name);
        put_hex(stdout, p, n);
        printf("\"");
    } else {
        printf("%s: ", name);
        put_hex(stdout, p, n);
        printf("\n");
    }
    *first = 0;
}

int pqc_mldsa_cmd(int level, int argc, char **argv)
{
    const char *alg = argv[0];
    const char *name = mldsa_name(level);
    if (!name) {
        fprintf(stderr, "nqdb pqc: unknown ML-DSA level %d\n", level);
        return EXIT_ERROR;
    }
    if (argc < 2) {
        usage(stderr, alg);
        return EXIT_ERROR;
    }
    const char *op = argv[1];
    if (!strcmp(op, "--help") || !strcmp(op, "-h") || !strcmp(op, "help")) {
        usage(stdout, alg);
        return 0;
    }
    if (strcmp(op, "keygen") && strcmp(op, "sign") && strcmp(op, "verify")) {
        fprintf(stderr, "nqdb pqc %s: unknown operation \"%s\" (keygen, sign, verify)\n", alg, op);
        return EXIT_ERROR;
    }
    buf seed = {0}, sk = {0}, pk = {0}, msg = {0}, sig = {0}, ctx = {0}, rnd = {0};
    int json = 0, det = 0, rc = EXIT_ERROR;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, alg);
            rc = 0;
            goto out;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!strcmp(a, "--deterministic")) {
            det = 1;
            continue;
        }
        buf *target = !strcmp(a, "--seed") ? &seed
                    : !strcmp(a, "--sk")   ? &sk
                    : !strcmp(a, "--pk")   ? &pk
                    : !strcmp(a, "--msg")  ? &msg
                    : !strcmp(a, "--sig")  ? &sig
                    : !strcmp(a, "--ctx")  ? &ctx
                    : !strcmp(a, "--rnd")  ? &rnd
                                           : NULL;
        if (!target) {
            fprintf(stderr, "nqdb pqc %s %s: unknown option \"%s\"\n", alg, op, a);
            goto out;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "nqdb pqc %s %s: %s needs a hex value\n", alg, op, a);
            goto out;
        }
        if (target->set) {
            fprintf(stderr, "nqdb pqc %s %s: %s given twice\n", alg, op, a);
            goto out;
        }
        if (parse_hex(alg, a, argv[++i], target))
            goto out;
    }
    /* options that do not belong to the operation are refused rather than ignored */
    int is_keygen = !strcmp(op, "keygen"), is_sign = !strcmp(op, "sign");
    const char *stray = NULL;
    if (is_keygen)
        stray = sk.set ? "--sk" : pk.set ? "--pk" : msg.set ? "--msg" : sig.set ? "--sig"
              : ctx.set ? "--ctx" : rnd.set ? "--rnd" : det ? "--deterministic" : NULL;
    else if (is_sign)
        stray = seed.set ? "--seed" : pk.set ? "--pk" : sig.set ? "--sig" : NULL;
    else
        stray = seed.set ? "--seed" : sk.set ? "--sk" : rnd.set ? "--rnd" : det ? "--deterministic" : NULL;
    if (stray) {
        fprintf(stderr, "nqdb pqc %s %s: %s does not apply to %s\n", alg, op, stray, op);
        goto out;
    }
    if (ctx.n > MLDSA_CTX_MAX) {
        fprintf(stderr, "nqdb pqc %s: --ctx: a context is at most %d bytes, got %zu\n", alg,
                MLDSA_CTX_MAX, ctx.n);
        goto out;
    }
    int first = 1;
    if (is_keygen) {
        uint8_t xi[MLDSA_SEED_BYTES], pkb[MLDSA_PK_MAX], skb[MLDSA_SK_MAX];
        if (seed.set) {
            if (need_len(alg, "--seed", "the seed", &seed, MLDSA_SEED_BYTES))
                goto out;
            memcpy(xi, seed.p, MLDSA_SEED_BYTES);
        } else if (crypto_random(xi, sizeof xi)) {
            fprintf(stderr, "nqdb pqc %s: the random generator failed\n", alg);
            goto out;
        }
        int r = mldsa_keygen_internal(level, xi, pkb, skb);
        if (r) {
            fprintf(stderr, "nqdb pqc %s keygen: failed (%d)\n", alg, r);
        } else {
            if (json)
                printf("{\"algorithm\":\"%s\",", name);
            out_hex(json, &first, "seed", xi, sizeof xi);
            out_hex(json, &first, "pk", pkb, mldsa_pk_bytes(level));
            out_hex(json, &first, "sk", skb, mldsa_sk_bytes(level));
            if (json)
                printf("}\n");
            rc = 0;
        }
        crypto_wipe(xi, sizeof xi);
        crypto_wipe(skb, sizeof skb);
        goto out;
    }
    if (!msg.set) {
        fprintf(stderr, "nqdb pqc %s %s: --msg HEX is required (an empty message is --msg \"\")\n",
                alg, op);
        goto out;
    }
    if (is_sign) {
        static const uint8_t zero[MLDSA_RND_BYTES];
        uint8_t sigb[MLDSA_SIG_MAX];
        if (!sk.set) {
            fprintf(stderr, "nqdb pqc %s sign: --sk HEX is required\n", alg);
            goto out;
        }
        if (need_len(alg, "--sk", "the secret key", &sk, mldsa_sk_bytes(level)))
            goto out;
        if (rnd.set && det) {
            fprintf(stderr, "nqdb pqc %s sign: --rnd and --deterministic exclude each other\n", alg);
            goto out;
        }
        if (rnd.set && need_len(alg, "--rnd", "rnd", &rnd, MLDSA_RND_BYTES))
            goto out;
        const uint8_t *r = rnd.set ? rnd.p : det ? zero : NULL;
        int e = mldsa_sign_ex(level, sk.p, sk.n, msg.p, msg.n, ctx.p, ctx.n, r, sigb);
        if (e == NQ_EINVAL) {
            fprintf(stderr, "nqdb pqc %s sign: --sk: not a valid %s secret key (s1/s2 outside "
                            "[-eta, eta])\n", alg, name);
            goto out;
        }
        if (e) {
            fprintf(stderr, "nqdb pqc %s sign: failed (%d)\n", alg, e);
            goto out;
        }
        if (json)
            printf("{\"algorithm\":\"%s\",", name);
        out_hex(json, &first, "sig", sigb, mldsa_sig_bytes(level));
        if (json)
            printf("}\n");
        rc = 0;
        goto out;
    }
    /* verify */
    if (!pk.set || !sig.set) {
        fprintf(stderr, "nqdb pqc %s verify: --pk HEX and --sig HEX are required\n", alg);
        goto out;
    }
    if (need_len(alg, "--pk", "the public key", &pk, mldsa_pk_bytes(level)) ||
        need_len(alg, "--sig", "a signature", &sig, mldsa_sig_bytes(level)))
        goto out;
    int v = mldsa_verify(level, pk.p, pk.n, msg.p, msg.n, ctx.p, ctx.n, sig.p, sig.n);
    if (v != 0 && v != NQ_ECORRUPT) {
        fprintf(stderr, "nqdb pqc %s verify: failed (%d)\n", alg, v);
        goto out;
    }
    if (json)
        printf("{\"algorithm\":\"%s\",\"valid\":%s}\n", name, v == 0 ? "true" : "false");
    else
        printf("valid: %s\n", v == 0 ? "true" : "false");
    rc = v == 0 ? 0 : EXIT_PROBLEM;
out:
    free_buf(&seed);
    free_buf(&sk);
    free_buf(&pk);
    free_buf(&msg);
    free_buf(&sig);
    free_buf(&ctx);
    free_buf(&rnd);
    return rc;
}
