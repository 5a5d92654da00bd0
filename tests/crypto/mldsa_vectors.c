/*
 * mldsa_vectors.c — the C side of the ML-DSA cross-check against @noble/post-quantum
 * (tests/crypto/mldsa_cross.mjs compares; mldsa_cross.sh runs both; docs/security.md).
 *
 *   mldsa_vectors LEVEL COUNT SIGNCOUNT SEED
 *
 * For COUNT cases drawn from a seeded generator (base/rand.h, the same on every machine) it
 * prints one JSON line per case with everything the other implementation needs to recompute
 * and everything this one produced. Signing costs the JavaScript oracle most, so only the
 * first SIGNCOUNT cases carry the signing fields; the others carry xi, pk and sk only:
 *   xi                      the KeyGen_internal seed; pk, sk what keygen(ξ) gave
 *   msg, ctx, rnd           a message (0–300 bytes), a context (0–255 bytes, often empty),
 *                           hedging randomness
 *   sig_det, sig_rnd        Sign(sk, msg, ctx) with rnd = 0^32 (deterministic) and with rnd
 *   v_ok                    Verify(pk, msg, sig_det, ctx) (must be true)
 *   tsig, v_tsig            a tampered signature (one of: a flipped bit anywhere, a malformed
 *                           hint — a count above ω, decreasing counts, indices not increasing,
 *                           nonzero padding — or z beyond its bound) and its verdict
 *   tmsg, v_tmsg            a tampered message (a flipped bit, a byte added or removed)
 *   tctx, v_tctx            another context for the genuine signature
 *   tpk, v_tpk              a public key with one flipped bit
 *   int_sig, v_int          Sign_internal(sk, M' = msg, rnd) (no context prefix) and
 *                           Verify_internal on it
 * Every verdict is the C library's; the node script computes its own and compares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "crypto/mldsa.h"

static void hex(const char *name, const uint8_t *p, size_t n)
{
    printf("\"%s\":\"", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\",");
}

static void fill(nq_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)nq_rng_next(r);
}

static const char *tf(int rc)
{
    return rc == 0 ? "true" : "false";
}

/* Parameters of the hint region, for the structured tampers. */
static void hint_geometry(int level, size_t *off, int *omega, int *k)
{
    size_t siglen = mldsa_sig_bytes(level);
    *omega = level == 44 ? 80 : level == 65 ? 55 : 75;
    *k = level == 44 ? 4 : level == 65 ? 6 : 8;
    *off = siglen - (size_t)(*omega + *k);
}

static void tamper_sig(nq_rng *r, int level, uint8_t *s, size_t n)
{
    size_t off;
    int omega, k;
    hint_geometry(level, &off, &omega, &k);
    uint8_t *h = s + off;
    switch (nq_rng_below(r, 7)) {
    case 0: /* a count above ω */
        h[omega + nq_rng_below(r, (uint64_t)k)] = (uint8_t)(omega + 1 + nq_rng_below(r, 50));
        break;
    case 1: /* counts decreasing: the second below the first */
        if (h[omega] > 0)
            h[omega + 1] = (uint8_t)(h[omega] - 1);
        else
            h[omega] = 3, h[omega + 1] = 1;
        break;
    case 2: /* indices of one polynomial not increasing */
        if (h[omega] >= 2)
            h[1] = h[0];
        else
            h[omega] = 2, h[0] = 5, h[1] = 5;
        break;
    case 3: { /* nonzero padding after the last index */
        int used = h[omega + k - 1];
        if (used < omega)
            h[used + nq_rng_below(r, (uint64_t)(omega - used))] = (uint8_t)(1 + nq_rng_below(r, 255));
        else
            s[nq_rng_below(r, n)] ^= 1;
        break;
    }
    case 4: { /* z coefficient 0 at its extreme (−γ1 + 1 ... γ1 encodes as 2^w − 1 ... 0) */
        size_t ct = level == 44 ? 32 : level == 65 ? 48 : 64;
        s[ct] = 0; /* the first z coefficient becomes γ1 − (small) — beyond γ1 − β */
        s[ct + 1] = 0;
        s[ct + 2] &= (uint8_t)(level == 44 ? 0xfc : 0xf0);
        break;
    }
    default: /* a flipped bit anywhere */
        s[nq_rng_below(r, n)] ^= (uint8_t)(1u << nq_rng_below(r, 8));
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: mldsa_vectors LEVEL COUNT SIGNCOUNT SEED\n");
        return 2;
    }
    int level = atoi(argv[1]);
    int count = atoi(argv[2]);
    int signcount = atoi(argv[3]);
    nq_rng r;
    nq_rng_seed(&r, strtoull(argv[4], NULL, 10));
    size_t pkn = mldsa_pk_bytes(level), skn = mldsa_sk_bytes(level), sn = mldsa_sig_bytes(level);
    if (!pkn) {
        fprintf(stderr, "mldsa_vectors: level 44, 65 or 87\n");
        return 2;
    }
    static uint8_t pk[MLDSA_PK_MAX], sk[MLDSA_SK_MAX], sd[MLDSA_SIG_MAX], sr[MLDSA_SIG_MAX],
        ts[MLDSA_SIG_MAX], tpk[MLDSA_PK_MAX], si[MLDSA_SIG_MAX];
    uint8_t xi[32], rnd[32], msg[302], ctx[255], tmsg[302], tctx[255];
    static const uint8_t zero[32];
    for (int c = 0; c < count; c++) {
        fill(&r, xi, 32);
        fill(&r, rnd, 32);
        size_t ml = nq_rng_below(&r, 301);
        fill(&r, msg, ml);
        size_t cl = nq_rng_below(&r, 3) == 0 ? 0 : nq_rng_below(&r, 256);
        fill(&r, ctx, cl);
        if (c >= signcount) {
            if (mldsa_keygen_internal(level, xi, pk, sk)) {
                fprintf(stderr, "mldsa_vectors: case %d failed\n", c);
                return 1;
            }
            printf("{\"level\":%d,\"case\":%d,", level, c);
            hex("xi", xi, 32);
            hex("pk", pk, pkn);
            printf("\"sk\":\"");
            for (size_t i = 0; i < skn; i++)
                printf("%02x", sk[i]);
            printf("\"}\n");
            continue;
        }
        if (mldsa_keygen_internal(level, xi, pk, sk) ||
            mldsa_sign_ex(level, sk, skn, msg, ml, ctx, cl, zero, sd) ||
            mldsa_sign_ex(level, sk, skn, msg, ml, ctx, cl, rnd, sr) ||
            mldsa_sign_internal(level, sk, msg, ml, rnd, si)) {
            fprintf(stderr, "mldsa_vectors: case %d failed\n", c);
            return 1;
        }
        int v_ok = mldsa_verify(level, pk, pkn, msg, ml, ctx, cl, sd, sn);
        memcpy(ts, sd, sn);
        tamper_sig(&r, level, ts, sn);
        int v_tsig = mldsa_verify(level, pk, pkn, msg, ml, ctx, cl, ts, sn);
        size_t tml = ml;
        memcpy(tmsg, msg, ml);
        switch (nq_rng_below(&r, 3)) {
        case 0:
            if (ml) {
                tmsg[nq_rng_below(&r, ml)] ^= (uint8_t)(1u << nq_rng_below(&r, 8));
                break;
            }
            /* fall through */
        case 1:
            tmsg[tml++] = (uint8_t)nq_rng_next(&r);
            break;
        default:
            if (ml)
                tml--;
            else
                tmsg[tml++] = 0;
            break;
        }
        int v_tmsg = mldsa_verify(level, pk, pkn, tmsg, tml, ctx, cl, sd, sn);
        size_t tcl = cl ? cl - 1 : 1;
        memcpy(tctx, ctx, cl);
        if (!cl)
            tctx[0] = 0; /* empty -> one zero byte */
        int v_tctx = mldsa_verify(level, pk, pkn, msg, ml, tctx, tcl, sd, sn);
        memcpy(tpk, pk, pkn);
        tpk[nq_rng_below(&r, pkn)] ^= (uint8_t)(1u << nq_rng_below(&r, 8));
        int v_tpk = mldsa_verify(level, tpk, pkn, msg, ml, ctx, cl, sd, sn);
        int v_int = mldsa_verify_internal(level, pk, pkn, msg, ml, si, sn);

        printf("{\"level\":%d,\"case\":%d,", level, c);
        hex("xi", xi, 32);
        hex("pk", pk, pkn);
        hex("sk", sk, skn);
        hex("msg", msg, ml);
        hex("ctx", ctx, cl);
        hex("rnd", rnd, 32);
        hex("sig_det", sd, sn);
        hex("sig_rnd", sr, sn);
        hex("tsig", ts, sn);
        hex("tmsg", tmsg, tml);
        hex("tctx", tctx, tcl);
        hex("tpk", tpk, pkn);
        hex("int_sig", si, sn);
        printf("\"v_ok\":%s,\"v_tsig\":%s,\"v_tmsg\":%s,\"v_tctx\":%s,\"v_tpk\":%s,\"v_int\":%s}\n",
               tf(v_ok), tf(v_tsig), tf(v_tmsg), tf(v_tctx), tf(v_tpk), tf(v_int));
    }
    return 0;
}
