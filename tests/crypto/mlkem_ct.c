/*
 * mlkem_ct.c — constant-time check of ML-KEM under valgrind's memcheck ("ctgrind").
 *
 *   valgrind --error-exitcode=1 mlkem_ct            must report nothing
 *   valgrind --error-exitcode=1 mlkem_ct --canary   must fail (proves the method sees a leak)
 *
 * memcheck tracks, bit by bit, whether each value is "defined". Marking the secret inputs
 * undefined (VALGRIND_MAKE_MEM_UNDEFINED) turns every use of a secret-derived value in a
 * conditional jump or as a memory address into a memcheck error ("Conditional jump or move
 * depends on uninitialised value(s)", "Use of uninitialised value of size 8"), while
 * arithmetic on them is silent. So a clean run means: on these inputs, key generation,
 * encapsulation and decapsulation (real and tampered ciphertexts) never branch on and never
 * index memory with the seed d || z, the message m, the secret vector s, or anything
 * computed from them — in particular decapsulation's choice between K' and the rejection key.
 * (It does not see variable-time instructions such as division: the code avoids those by
 * construction, see mlkem_poly.c.)
 *
 * What is public by design is marked defined again: ek and the ciphertext (outputs that are
 * published), the parts of dk that are ek and H(ek), and rho inside key generation (through
 * MLKEM_DECLASSIFY, which this program's copy of the sources enables with NQ_MLKEM_CT_TEST).
 * The shared secrets are marked defined only to compare them at the end.
 *
 * The library sources are compiled into this program with NQ_MLKEM_CT_TEST (mlkem.cmake), at
 * the build's optimisation level, without sanitizers (ASan's instrumentation and valgrind do
 * not mix; the test is not registered in a sanitized build).
 */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "crypto/mlkem.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int canary(void)
{
    /* a branch on a secret byte: memcheck must flag it */
    unsigned char s[1] = {7};
    SECRET(s, 1);
    if (s[0] > 3)
        printf("canary: a secret-dependent branch was taken; valgrind must report it\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--canary"))
        return canary();
    if (!RUNNING_ON_VALGRIND)
        printf("mlkem_ct: not under valgrind: running the operations unchecked\n");
    int fails = 0;
    for (int k = 2; k <= 4; k++) {
        const mlkem_params *p = mlkem_params_get(k);
        size_t k384 = 384 * (size_t)k;
        for (int round = 0; round < 2; round++) {
            uint8_t seed[64], m[32], ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES];
            uint8_t ct[MLKEM_MAX_CT_BYTES], ss[32], ss2[32], ss3[32];
            for (int i = 0; i < 64; i++)
                seed[i] = (uint8_t)(31 * i + 7 * round + k);
            for (int i = 0; i < 32; i++)
                m[i] = (uint8_t)(17 * i + round);
            SECRET(seed, sizeof seed);
            SECRET(m, sizeof m);

            int rc = mlkem_keygen_internal(p, ek, dk, seed, seed + 32, NULL);
            PUBLIC(ek, p->ek_bytes);
            PUBLIC(dk + k384, p->ek_bytes + 32); /* ek || H(ek) inside dk; s and z stay secret */

            rc |= mlkem_encaps_internal(p, ct, ss, ek, p->ek_bytes, m, NULL);
            PUBLIC(ct, p->ct_bytes);

            rc |= mlkem_decaps(p, ss2, dk, p->dk_bytes, ct, p->ct_bytes, NULL);
            ct[round * 100] ^= 0x10; /* implicit rejection path */
            rc |= mlkem_decaps(p, ss3, dk, p->dk_bytes, ct, p->ct_bytes, NULL);

            PUBLIC(ss, 32);
            PUBLIC(ss2, 32);
            PUBLIC(ss3, 32);
            PUBLIC(&rc, sizeof rc);
            if (rc || memcmp(ss, ss2, 32) || !memcmp(ss, ss3, 32)) {
                printf("FAIL %s round %d: the operations disagree\n", p->name, round);
                fails++;
            }
        }
        printf("%s: keygen, encaps, decaps (valid and tampered) run on secret inputs\n", p->name);
    }
    return fails ? 1 : 0;
}
