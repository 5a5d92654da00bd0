/*
 * mlkem.h — ML-KEM, the module-lattice key-encapsulation mechanism of FIPS 203, written here
 * from the standard (docs/security.md, "ML-KEM (FIPS 203)").
 *
 * Three parameter sets, chosen by k, the rank of the module: ML-KEM-512 (k = 2), ML-KEM-768
 * (k = 3) and ML-KEM-1024 (k = 4). Keys and ciphertexts are byte strings in the standard's
 * encodings, so they interoperate with every other FIPS 203 implementation:
 *
 *                     ek (public)   dk (secret)   ciphertext   shared secret
 *     ML-KEM-512         800          1632           768            32
 *     ML-KEM-768        1184          2400          1088            32
 *     ML-KEM-1024       1568          3168          1568            32
 *
 * The functions:
 *   mlkem_keygen           Algorithm 19: d and z from the CSPRNG (crypto_random)
 *   mlkem_keygen_seed      the same from a caller's 64-byte seed d || z — the convention of
 *                          `nqdb pqc ... keygen --seed` and of @noble/post-quantum's keygen(seed)
 *   mlkem_keygen_internal  Algorithm 16, KeyGen_internal(d, z)
 *   mlkem_encaps           Algorithm 20: m from the CSPRNG
 *   mlkem_encaps_internal  Algorithm 17, Encaps_internal(ek, m)
 *   mlkem_decaps           Algorithm 21 (= mlkem_decaps_internal, Algorithm 18, plus the checks)
 *
 * Input checks (FIPS 203 §7.2, §7.3) are done by every entry point that takes a key or a
 * ciphertext, the _internal ones included (they are cheap next to the operation and keep a
 * test or a tool from feeding unchecked bytes in): the encapsulation key's length and modulus
 * check (ByteEncode12(ByteDecode12(ek)) == ek, i.e. no coefficient >= q); the decapsulation
 * key's length and hash check (the H(ek) stored in dk matches the ek stored in dk); the
 * ciphertext's length. A failed check returns NQ_EINVAL with a message in *err (which may be
 * NULL); the output buffers are then zeroed. A ciphertext of the right length is never
 * rejected: decapsulation of a tampered ciphertext returns the implicit-rejection key
 * J(z || c), as the standard requires, in time that does not depend on which key it returns.
 *
 * Output buffers must hold the sizes in the parameter set (mlkem_params); they may not overlap
 * the inputs. Every function returns 0, NQ_EINVAL (bad input), or NQ_ERROR (the CSPRNG or
 * OpenSSL's SHA-3 failed). Secret intermediates are wiped before returning. The functions keep
 * no state and are safe to call from many threads at once.
 */
#ifndef NQ_CRYPTO_MLKEM_H
#define NQ_CRYPTO_MLKEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define MLKEM_SS_BYTES 32     /* shared secret */
#define MLKEM_SEED_BYTES 64   /* d || z */
#define MLKEM_MSG_BYTES 32    /* m, the encapsulation randomness */
#define MLKEM_MAX_EK_BYTES 1568
#define MLKEM_MAX_DK_BYTES 3168
#define MLKEM_MAX_CT_BYTES 1568

typedef struct mlkem_params {
    const char *name;  /* "ML-KEM-768" */
    int k;             /* module rank: 2, 3, 4 */
    int eta1, eta2;    /* centred-binomial widths of s, e, y (eta1) and e1, e2 (eta2) */
    int du, dv;        /* bits per coefficient of the ciphertext's u and v */
    size_t ek_bytes, dk_bytes, ct_bytes;
} mlkem_params;

/* The parameter set of rank k (2, 3 or 4), or NULL for any other k. */
const mlkem_params *mlkem_params_get(int k);

int mlkem_keygen(const mlkem_params *p, uint8_t *ek, uint8_t *dk, nq_err *err);
int mlkem_keygen_seed(const mlkem_params *p, uint8_t *ek, uint8_t *dk,
                      const uint8_t seed[MLKEM_SEED_BYTES], nq_err *err);
int mlkem_keygen_internal(const mlkem_params *p, uint8_t *ek, uint8_t *dk, const uint8_t d[32],
                          const uint8_t z[32], nq_err *err);

/* ct: p->ct_bytes; ss: 32 bytes. */
int mlkem_encaps(const mlkem_params *p, uint8_t *ct, uint8_t ss[MLKEM_SS_BYTES],
                 const uint8_t *ek, size_t ek_len, nq_err *err);
int mlkem_encaps_internal(const mlkem_params *p, uint8_t *ct, uint8_t ss[MLKEM_SS_BYTES],
                          const uint8_t *ek, size_t ek_len, const uint8_t m[MLKEM_MSG_BYTES],
                          nq_err *err);

int mlkem_decaps(const mlkem_params *p, uint8_t ss[MLKEM_SS_BYTES], const uint8_t *dk,
                 size_t dk_len, const uint8_t *ct, size_t ct_len, nq_err *err);
int mlkem_decaps_internal(const mlkem_params *p, uint8_t ss[MLKEM_SS_BYTES], const uint8_t *dk,
                          size_t dk_len, const uint8_t *ct, size_t ct_len, nq_err *err);

/* The input checks alone: 0 or NQ_EINVAL with a message. */
int mlkem_check_ek(const mlkem_params *p, const uint8_t *ek, size_t ek_len, nq_err *err);
int mlkem_check_dk(const mlkem_params *p, const uint8_t *dk, size_t dk_len, nq_err *err);

#endif
