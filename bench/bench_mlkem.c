/*
 * bench_mlkem.c — ML-KEM (src/crypto/mlkem.h) operations per second for ML-KEM-512, -768 and
 * -1024, against X25519 from the same OpenSSL libcrypto in the same run.
 *
 * Measured: mlkem_keygen (d, z from the CSPRNG), mlkem_encaps (m from the CSPRNG, with the
 * modulus check of ek) and mlkem_decaps (with the hash check of dk, decrypting a valid
 * ciphertext and re-encrypting), each through the public API exactly as a caller uses it.
 *
 * The anchor is the classical key agreement ML-KEM replaces or is paired with (X25519MLKEM768
 * in TLS): X25519 keygen (EVP_PKEY_keygen) and derive (a fresh EVP_PKEY_CTX, derive_init,
 * set_peer, derive — what one exchange costs an application). The fair pairs are
 *     keygen  vs X25519 keygen               (a long-term or ephemeral key pair)
 *     encaps  vs X25519 keygen + derive      (the sender: an ephemeral key and the secret)
 *     decaps  vs X25519 derive               (the receiver: the secret from the peer's share)
 * and the ratio printed is ML-KEM ops/s over X25519 ops/s (above 1: ML-KEM is faster).
 *
 * Each figure is the median of --reps timed runs of about 50 ms of CPU time (the batch size
 * is calibrated first), on one thread, timed with the thread's CPU clock so that other
 * processes on a shared machine do not count. Usage: bench_mlkem [--reps R] [--json]
 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/mlkem.h"

#ifndef NQ_BENCH_BUILD_TYPE
#define NQ_BENCH_BUILD_TYPE "unknown"
#endif

typedef struct bench_ctx {
    const mlkem_params *p;
    uint8_t ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES], ct[MLKEM_MAX_CT_BYTES], ss[32];
    EVP_PKEY *x_priv, *x_peer;
    int failed;
} bench_ctx;

typedef void (*op_fn)(bench_ctx *c);

static void op_keygen(bench_ctx *c)
{
    uint8_t ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES];
    c->failed |= mlkem_keygen(c->p, ek, dk, NULL) != 0;
}

static void op_encaps(bench_ctx *c)
{
    uint8_t ct[MLKEM_MAX_CT_BYTES], ss[32];
    c->failed |= mlkem_encaps(c->p, ct, ss, c->ek, c->p->ek_bytes, NULL) != 0;
}

static void op_decaps(bench_ctx *c)
{
    uint8_t ss[32];
    c->failed |= mlkem_decaps(c->p, ss, c->dk, c->p->dk_bytes, c->ct, c->p->ct_bytes, NULL) != 0;
    c->failed |= memcmp(ss, c->ss, 32) != 0;
}

static EVP_PKEY *x25519_keygen(void)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
    if (!kc || EVP_PKEY_keygen_init(kc) != 1 || EVP_PKEY_keygen(kc, &k) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(kc);
    return k;
}

static void op_x_keygen(bench_ctx *c)
{
    EVP_PKEY *k = x25519_keygen();
    c->failed |= k == NULL;
    EVP_PKEY_free(k);
}

static int x_derive(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t out[32])
{
    size_t len = 32;
    EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(priv, NULL);
    int ok = dc && EVP_PKEY_derive_init(dc) == 1 && EVP_PKEY_derive_set_peer(dc, peer) == 1 &&
             EVP_PKEY_derive(dc, out, &len) == 1 && len == 32;
    EVP_PKEY_CTX_free(dc);
    return ok;
}

static void op_x_derive(bench_ctx *c)
{
    uint8_t s[32];
    c->failed |= !x_derive(c->x_priv, c->x_peer, s);
}

static void op_x_keygen_derive(bench_ctx *c)
{
    uint8_t s[32];
    EVP_PKEY *k = x25519_keygen();
    c->failed |= !k || !x_derive(k, c->x_peer, s);
    EVP_PKEY_free(k);
}

/* CPU time of this thread: the operations are single-threaded and CPU-bound, and on a shared
 * machine the wall clock also counts the time other processes held the core. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ops per CPU second: median of reps runs of a batch calibrated to about 50 ms */
static double measure(op_fn f, bench_ctx *c, int reps)
{
    long batch = 1;
    for (;;) {
        double t0 = cpu_now();
        for (long i = 0; i < batch; i++)
            f(c);
        double dt = cpu_now() - t0;
        if (dt > 0.02 || batch > (1L << 24)) {
            batch = (long)(batch * 0.05 / (dt > 0 ? dt : 1e-9)) + 1;
            break;
        }
        batch *= 4;
    }
    double v[64];
    if (reps > 64)
        reps = 64;
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_now();
        for (long i = 0; i < batch; i++)
            f(c);
        v[r] = batch / (cpu_now() - t0);
    }
    return bu_median(v, reps);
}

int main(int argc, char **argv)
{
    int reps = 7, json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else {
            fprintf(stderr, "usage: bench_mlkem [--reps R] [--json]\n");
            return 2;
        }
    }
    if (reps < 1)
        reps = 1;
    bench_ctx c;
    memset(&c, 0, sizeof c);
    c.x_priv = x25519_keygen();
    c.x_peer = x25519_keygen();
    if (!c.x_priv || !c.x_peer) {
        fprintf(stderr, "bench_mlkem: OpenSSL X25519 is not available\n");
        return 1;
    }
    bu_machine m;
    bu_machine_probe(&m, ".");

    /* the anchor first and again at the end: drift between the two says the machine was busy */
    double xk = measure(op_x_keygen, &c, reps), xd = measure(op_x_derive, &c, reps);
    double xkd = measure(op_x_keygen_derive, &c, reps);
    double res[3][3];
    for (int k = 2; k <= 4; k++) {
        c.p = mlkem_params_get(k);
        if (mlkem_keygen(c.p, c.ek, c.dk, NULL) ||
            mlkem_encaps(c.p, c.ct, c.ss, c.ek, c.p->ek_bytes, NULL)) {
            fprintf(stderr, "bench_mlkem: %s setup failed\n", c.p->name);
            return 1;
        }
        res[k - 2][0] = measure(op_keygen, &c, reps);
        res[k - 2][1] = measure(op_encaps, &c, reps);
        res[k - 2][2] = measure(op_decaps, &c, reps);
    }
    double xk2 = measure(op_x_keygen, &c, reps);
    m.load_end = bu_loadavg();
    if (c.failed) {
        fprintf(stderr, "bench_mlkem: an operation failed while timing\n");
        return 1;
    }

    if (json) {
        printf("{\"bench\":\"mlkem\",\"build\":\"%s\",\"reps\":%d", NQ_BENCH_BUILD_TYPE, reps);
        bu_machine_json(&m, ".");
        printf(",\"x25519\":{\"keygen_ops\":%.0f,\"derive_ops\":%.0f,\"keygen_derive_ops\":%.0f,"
               "\"keygen_ops_end\":%.0f},\"mlkem\":[",
               xk, xd, xkd, xk2);
        for (int k = 2; k <= 4; k++) {
            double *r = res[k - 2];
            printf("%s{\"name\":\"%s\",\"keygen_ops\":%.0f,\"encaps_ops\":%.0f,\"decaps_ops\":%.0f,"
                   "\"keygen_vs_x25519_keygen\":%.3f,\"encaps_vs_x25519_keygen_derive\":%.3f,"
                   "\"decaps_vs_x25519_derive\":%.3f}",
                   k > 2 ? "," : "", mlkem_params_get(k)->name, r[0], r[1], r[2], r[0] / xk,
                   r[1] / xkd, r[2] / xd);
        }
        printf("]}\n");
    } else {
        char secs[32];
        printf("bench_mlkem (%s build), one thread, median of %d runs of ~50 ms of thread CPU time\n",
               NQ_BENCH_BUILD_TYPE, reps);
        bu_machine_print(&m, ".");
        printf("\nanchor: OpenSSL %s X25519\n", OpenSSL_version(OPENSSL_VERSION_STRING));
        bu_fmt_secs(secs, sizeof secs, 1 / xk);
        printf("  keygen            %10.0f ops/s  %10s  (at the end: %.0f ops/s)\n", xk, secs, xk2);
        bu_fmt_secs(secs, sizeof secs, 1 / xd);
        printf("  derive            %10.0f ops/s  %10s\n", xd, secs);
        bu_fmt_secs(secs, sizeof secs, 1 / xkd);
        printf("  keygen + derive   %10.0f ops/s  %10s\n", xkd, secs);
        printf("\n%-12s %-8s %12s %10s   %s\n", "", "", "ops/s", "per op", "ratio to the X25519 anchor");
        static const char *ops[3] = {"keygen", "encaps", "decaps"};
        static const char *anchor[3] = {"X25519 keygen", "X25519 keygen + derive", "X25519 derive"};
        for (int k = 2; k <= 4; k++) {
            for (int o = 0; o < 3; o++) {
                double r = res[k - 2][o], a = o == 0 ? xk : o == 1 ? xkd : xd;
                bu_fmt_secs(secs, sizeof secs, 1 / r);
                printf("%-12s %-8s %12.0f %10s   %.2fx %s\n", o == 0 ? mlkem_params_get(k)->name : "",
                       ops[o], r, secs, r / a, anchor[o]);
            }
        }
    }
    EVP_PKEY_free(c.x_priv);
    EVP_PKEY_free(c.x_peer);
    return 0;
}
