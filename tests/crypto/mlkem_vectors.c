/*
 * mlkem_vectors.c — the C side of the cross-check of ML-KEM against @noble/post-quantum
 * (tests/crypto/mlkem_cross.mjs compares every byte; docs/security.md).
 *
 *   mlkem_vectors K COUNT [SEED]
 *
 * prints COUNT JSON lines for ML-KEM with rank K (2, 3, 4). Inputs come from a seeded
 * generator (xoshiro256**, base/rand.h), so a run is reproducible; the first two cases use the
 * edge seeds all-zero and all-0xff. Each line holds:
 *   seed (d || z), ek, dk                 keygen from the seed
 *   m, ct, ss                             encapsulation against ek with randomness m
 *   ss_dec                                decapsulation of ct (must equal ss)
 *   ct_bad, ss_bad                        ct with one bit flipped and the key decapsulation
 *                                         returns for it (implicit rejection: J(z || ct_bad))
 *   ek_bad, ek_bad_rc                     ek with one coefficient set to a value >= q (exactly
 *                                         q in every other case); encapsulation's result code
 *   dk_bad, dk_bad_rc                     dk with one byte of its ek copy changed (the hash
 *                                         check must fail); decapsulation's result code
 *   ek_short_rc, ct_short_rc              one byte too few: the length checks
 * The driver itself fails (exit 1) when its own results disagree with each other (ss_dec !=
 * ss, a tampered input accepted); the node script then checks that noble computes the same
 * bytes and rejects the same inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"
#include "crypto/mlkem.h"

static void hex(const char *name, const uint8_t *p, size_t n)
{
    printf(",\"%s\":\"", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('"');
}

static void fill(nq_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)nq_rng_next(r);
}

/* Set 12-bit coefficient j of ek's polynomial area to v. */
static void set_coeff(uint8_t *ek, int j, unsigned v)
{
    uint8_t *t = ek + 3 * (j / 2);
    if (j % 2 == 0) {
        t[0] = (uint8_t)v;
        t[1] = (uint8_t)((t[1] & 0xf0) | (v >> 8));
    } else {
        t[1] = (uint8_t)((t[1] & 0x0f) | ((v & 0x0f) << 4));
        t[2] = (uint8_t)(v >> 4);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mlkem_vectors K COUNT [SEED]\n");
        return 2;
    }
    const mlkem_params *p = mlkem_params_get(atoi(argv[1]));
    int count = atoi(argv[2]);
    if (!p || count < 0) {
        fprintf(stderr, "mlkem_vectors: K is 2, 3 or 4\n");
        return 2;
    }
    nq_rng r;
    nq_rng_seed(&r, argc > 3 ? strtoull(argv[3], NULL, 0) : 203);
    uint8_t seed[64], m[32], ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES];
    uint8_t ct[MLKEM_MAX_CT_BYTES], scratch[MLKEM_MAX_CT_BYTES], ss[32], ss2[32], ss3[32];
    uint8_t bad[MLKEM_MAX_DK_BYTES];
    nq_err err;
    for (int i = 0; i < count; i++) {
        if (i == 0) {
            memset(seed, 0, sizeof seed);
            memset(m, 0, sizeof m);
        } else if (i == 1) {
            memset(seed, 0xff, sizeof seed);
            memset(m, 0xff, sizeof m);
        } else {
            fill(&r, seed, sizeof seed);
            fill(&r, m, sizeof m);
        }
        if (mlkem_keygen_seed(p, ek, dk, seed, &err) ||
            mlkem_encaps_internal(p, ct, ss, ek, p->ek_bytes, m, &err) ||
            mlkem_decaps(p, ss2, dk, p->dk_bytes, ct, p->ct_bytes, &err)) {
            fprintf(stderr, "mlkem_vectors: case %d: %s\n", i, err.msg);
            return 1;
        }
        if (memcmp(ss, ss2, 32)) {
            fprintf(stderr, "mlkem_vectors: case %d: decapsulation disagrees with encapsulation\n", i);
            return 1;
        }
        printf("{\"k\":%d,\"i\":%d", p->k, i);
        hex("seed", seed, 64);
        hex("ek", ek, p->ek_bytes);
        hex("dk", dk, p->dk_bytes);
        hex("m", m, 32);
        hex("ct", ct, p->ct_bytes);
        hex("ss", ss, 32);
        hex("ss_dec", ss2, 32);

        /* one flipped bit: implicit rejection */
        memcpy(bad, ct, p->ct_bytes);
        uint64_t bit = nq_rng_below(&r, 8 * p->ct_bytes);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (mlkem_decaps(p, ss3, dk, p->dk_bytes, bad, p->ct_bytes, &err)) {
            fprintf(stderr, "mlkem_vectors: case %d: tampered ciphertext: %s\n", i, err.msg);
            return 1;
        }
        if (!memcmp(ss3, ss, 32)) {
            fprintf(stderr, "mlkem_vectors: case %d: tampered ciphertext gave the real key\n", i);
            return 1;
        }
        hex("ct_bad", bad, p->ct_bytes);
        hex("ss_bad", ss3, 32);

        /* a coefficient >= q: the modulus check */
        memcpy(bad, ek, p->ek_bytes);
        int j = (int)nq_rng_below(&r, 256 * (uint64_t)p->k);
        unsigned v = i % 2 ? 3329u : 3329 + (unsigned)nq_rng_below(&r, 4096 - 3329);
        set_coeff(bad, j, v);
        int rc = mlkem_encaps_internal(p, scratch, ss3, bad, p->ek_bytes, m, &err);
        if (rc == 0) {
            fprintf(stderr, "mlkem_vectors: case %d: ek with coefficient %u accepted\n", i, v);
            return 1;
        }
        hex("ek_bad", bad, p->ek_bytes);
        printf(",\"ek_bad_rc\":%d", rc);

        /* the ek inside dk changed: the hash check */
        memcpy(bad, dk, p->dk_bytes);
        bad[384 * p->k + nq_rng_below(&r, p->ek_bytes)] ^= 0x01;
        rc = mlkem_decaps(p, ss3, bad, p->dk_bytes, ct, p->ct_bytes, &err);
        if (rc == 0) {
            fprintf(stderr, "mlkem_vectors: case %d: dk failing the hash check accepted\n", i);
            return 1;
        }
        hex("dk_bad", bad, p->dk_bytes);
        printf(",\"dk_bad_rc\":%d", rc);

        printf(",\"ek_short_rc\":%d", mlkem_encaps_internal(p, scratch, ss3, ek, p->ek_bytes - 1, m, &err));
        printf(",\"ct_short_rc\":%d}\n", mlkem_decaps(p, ss3, dk, p->dk_bytes, ct, p->ct_bytes - 1, &err));
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
