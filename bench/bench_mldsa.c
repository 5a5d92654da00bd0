/*
 * bench_mldsa.c — ML-DSA (src/crypto/mldsa.h) key generation, signing and verification per
 * second for ML-DSA-44, -65 and -87, against the classical signatures of the same libcrypto
 * measured in the same run: Ed25519 and ECDSA P-256 (OpenSSL EVP, one-shot EVP_DigestSign /
 * EVP_DigestVerify with SHA-256 for ECDSA), key generation, signing and verification.
 *
 * Every operation runs on a 64-byte message with an empty context; signing is hedged (fresh
 * rnd from the CSPRNG each time, the library's default), so each ML-DSA signature takes a
 * random number of rejection-loop attempts and the mean over many signatures is the figure
 * that matters. For each operation the figure is the median rate of --reps timed runs of about
 * --ms milliseconds each, the runs of the five schemes alternating. Ratios: each ML-DSA operation against the same operation of Ed25519
 * and of ECDSA P-256 (ops/s of ML-DSA divided by ops/s of the anchor; > 1 means faster).
 *
 * Signatures are checked before timing (each scheme verifies its own signature and rejects a
 * flipped bit), so the loop measures working code.
 *
 * Usage: bench_mldsa [--reps R] [--ms M] [--json]
 */
#include "bench_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "crypto/mldsa.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

enum { OP_KEYGEN, OP_SIGN, OP_VERIFY, NOPS };
static const char *opname[NOPS] = {"keygen", "sign", "verify"};

typedef struct scheme {
    const char *name;
    int level;   /* ML-DSA level, or 0 for an OpenSSL scheme */
    int ossl_id; /* EVP_PKEY_ED25519 or EVP_PKEY_EC */
    uint8_t pk[MLDSA_PK_MAX], sk[MLDSA_SK_MAX], sig[MLDSA_SIG_MAX];
    size_t siglen;
    EVP_PKEY *key;
    double rate[NOPS];
} scheme;

static uint8_t msg[64];

static EVP_PKEY *ossl_keygen(int id)
{
    EVP_PKEY *k = NULL;
    if (id == EVP_PKEY_ED25519) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
        if (c && EVP_PKEY_keygen_init(c) == 1)
            EVP_PKEY_keygen(c, &k);
        EVP_PKEY_CTX_free(c);
    } else {
        k = EVP_EC_gen("P-256");
    }
    return k;
}

static int ossl_sign(scheme *s)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t len = sizeof s->sig;
    int ok = c && EVP_DigestSignInit(c, NULL, s->ossl_id == EVP_PKEY_EC ? EVP_sha256() : NULL, NULL,
                                     s->key) == 1 &&
             EVP_DigestSign(c, s->sig, &len, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(c);
    s->siglen = len;
    return ok ? 0 : -1;
}

/* 1 valid, 0 invalid, -1 error */
static int ossl_verify(scheme *s)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int r = -1;
    if (c && EVP_DigestVerifyInit(c, NULL, s->ossl_id == EVP_PKEY_EC ? EVP_sha256() : NULL, NULL,
                                  s->key) == 1)
        r = EVP_DigestVerify(c, s->sig, s->siglen, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(c);
    return r;
}

static int run_op(scheme *s, int op)
{
    if (s->level) {
        switch (op) {
        case OP_KEYGEN: return mldsa_keygen(s->level, s->pk, s->sk);
        case OP_SIGN: return mldsa_sign(s->level, s->sk, msg, sizeof msg, NULL, 0, s->sig);
        default:
            return mldsa_verify(s->level, s->pk, mldsa_pk_bytes(s->level), msg, sizeof msg, NULL, 0,
                                s->sig, s->siglen);
        }
    }
    switch (op) {
    case OP_KEYGEN: {
        EVP_PKEY *k = ossl_keygen(s->ossl_id);
        EVP_PKEY_free(k);
        return k ? 0 : -1;
    }
    case OP_SIGN: return ossl_sign(s);
    default: return ossl_verify(s) == 1 ? 0 : -1;
    }
}

/* How many operations take about ms milliseconds. */
static long calibrate(scheme *s, int op, double ms)
{
    long n = 1;
    for (;;) {
        double t0 = bu_now();
        for (long i = 0; i < n; i++)
            if (run_op(s, op)) {
                fprintf(stderr, "bench_mldsa: %s %s failed\n", s->name, opname[op]);
                exit(1);
            }
        double dt = bu_now() - t0;
        if (dt * 1e3 >= ms / 4 || n > 1000000)
            return (long)(n * (ms / 1e3) / (dt > 0 ? dt : 1e-9)) + 1;
        n *= 2;
    }
}

/* ops/s of one timed run of n operations. */
static double timed(scheme *s, int op, long n)
{
    double t0 = bu_now();
    for (long i = 0; i < n; i++)
        (void)run_op(s, op);
    return n / (bu_now() - t0);
}

static int check(scheme *s)
{
    if (s->level) {
        size_t sg = mldsa_sig_bytes(s->level);
        s->siglen = sg;
        if (mldsa_keygen(s->level, s->pk, s->sk) || mldsa_sign(s->level, s->sk, msg, sizeof msg, NULL, 0, s->sig))
            return -1;
        if (mldsa_verify(s->level, s->pk, mldsa_pk_bytes(s->level), msg, sizeof msg, NULL, 0, s->sig, sg))
            return -1;
        s->sig[7] ^= 1;
        int bad = mldsa_verify(s->level, s->pk, mldsa_pk_bytes(s->level), msg, sizeof msg, NULL, 0, s->sig, sg);
        s->sig[7] ^= 1;
        return bad == 0 ? -1 : 0;
    }
    s->key = ossl_keygen(s->ossl_id);
    if (!s->key || ossl_sign(s) || ossl_verify(s) != 1)
        return -1;
    s->sig[s->siglen / 2] ^= 1;
    int v = ossl_verify(s);
    s->sig[s->siglen / 2] ^= 1;
    return v == 1 ? -1 : 0;
}

int main(int argc, char **argv)
{
    int reps = 5, json = 0;
    double ms = 300;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
            ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else {
            fprintf(stderr, "usage: bench_mldsa [--reps R] [--ms M] [--json]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 64 || ms <= 0) {
        fprintf(stderr, "bench_mldsa: --reps 1..64, --ms > 0\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    static scheme sc[5] = {
        {.name = "ML-DSA-44", .level = 44},       {.name = "ML-DSA-65", .level = 65},
        {.name = "ML-DSA-87", .level = 87},       {.name = "Ed25519", .ossl_id = EVP_PKEY_ED25519},
        {.name = "ECDSA P-256", .ossl_id = EVP_PKEY_EC},
    };
    const int ns = 5, ed = 3, ec = 4;
    bu_machine m;
    bu_machine_probe(&m, ".");
    for (int s = 0; s < ns; s++) {
        if (check(&sc[s])) {
            fprintf(stderr, "bench_mldsa: %s does not sign/verify correctly\n", sc[s].name);
            return 1;
        }
    }
    /* per operation, the runs of all schemes alternate (rep 1 of each scheme, then rep 2, ...)
     * so that a change of load on the machine hits the scheme and its anchors alike */
    for (int op = 0; op < NOPS; op++) {
        long n[5];
        double rates[5][64];
        for (int s = 0; s < ns; s++)
            n[s] = calibrate(&sc[s], op, ms);
        for (int r = 0; r < reps; r++)
            for (int s = 0; s < ns; s++)
                rates[s][r] = timed(&sc[s], op, n[s]);
        for (int s = 0; s < ns; s++)
            sc[s].rate[op] = bu_median(rates[s], reps);
    }
    m.load_end = bu_loadavg();

    if (json) {
        printf("{\"bench\":\"mldsa\",\"build\":\"%s\",\"reps\":%d,\"ms\":%.0f", NQ_BENCH_BUILD_TYPE,
               reps, ms);
        bu_machine_json(&m, ".");
        printf(",\"results\":[");
        for (int s = 0; s < ns; s++) {
            printf("%s{\"scheme\":\"%s\"", s ? "," : "", sc[s].name);
            for (int op = 0; op < NOPS; op++)
                printf(",\"%s_per_s\":%.1f", opname[op], sc[s].rate[op]);
            if (sc[s].level)
                for (int op = 0; op < NOPS; op++)
                    printf(",\"%s_vs_ed25519\":%.4f,\"%s_vs_p256\":%.4f", opname[op],
                           sc[s].rate[op] / sc[ed].rate[op], opname[op], sc[s].rate[op] / sc[ec].rate[op]);
            printf("}");
        }
        printf("]}\n");
        return 0;
    }
    printf("bench_mldsa (%s build): 64-byte message, hedged signing; median of %d runs of ~%.0f ms\n",
           NQ_BENCH_BUILD_TYPE, reps, ms);
    bu_machine_print(&m, ".");
    printf("\n%-12s %12s %12s %12s   %s\n", "scheme", "keygen/s", "sign/s", "verify/s", "sizes pk/sig (bytes)");
    for (int s = 0; s < ns; s++) {
        printf("%-12s %12.0f %12.0f %12.0f   ", sc[s].name, sc[s].rate[0], sc[s].rate[1], sc[s].rate[2]);
        if (sc[s].level)
            printf("%zu / %zu\n", mldsa_pk_bytes(sc[s].level), mldsa_sig_bytes(sc[s].level));
        else
            printf("%s / %zu\n", s == ed ? "32" : "65", sc[s].siglen);
    }
    printf("\nratios (ML-DSA ops/s divided by the anchor's; > 1 = faster than the anchor)\n");
    printf("%-12s %12s %12s %12s   %12s %12s %12s\n", "", "keygen/Ed", "sign/Ed", "verify/Ed", "keygen/P256",
           "sign/P256", "verify/P256");
    for (int s = 0; s < ns; s++) {
        if (!sc[s].level)
            continue;
        printf("%-12s %12.2f %12.2f %12.2f   %12.2f %12.2f %12.2f\n", sc[s].name,
               sc[s].rate[0] / sc[ed].rate[0], sc[s].rate[1] / sc[ed].rate[1], sc[s].rate[2] / sc[ed].rate[2],
               sc[s].rate[0] / sc[ec].rate[0], sc[s].rate[1] / sc[ec].rate[1], sc[s].rate[2] / sc[ec].rate[2]);
    }
    for (int s = 0; s < ns; s++)
        EVP_PKEY_free(sc[s].key);
    return 0;
}
