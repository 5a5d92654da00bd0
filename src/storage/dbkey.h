/*
 * dbkey.h — the key hierarchy of an encrypted database: its data key (DEK) wrapped to a
 * key-encryption key (KEK), and the key descriptor that carries the wrap in page 1
 * (docs/security.md "Encryption at rest", docs/file-format.md "Key descriptor").
 *
 *   key file (ML-KEM-768 secret key, mode 600)     passphrase
 *        | ML-KEM-768 Decaps(dk, ct) = ss               | Argon2id(passphrase, salt, t, m, p)
 *        v SHAKE256("nqdb-db-kek-v1" || ss || dbid)     v
 *                       KEK (32 bytes, never stored)
 *                         | AES-256-GCM unwrap (nonce, tag; AD = descriptor before the nonce)
 *                         v
 *                       DEK (32 random bytes) --> AES-256-GCM of every page (page_crypt.h)
 *
 * Descriptor (little-endian), at PG1_KD_OFF of page 1, clear and authenticated (it is part of
 * page 1's associated data, and its own fields are the wrap's associated data):
 *     0   4  "NQKD"
 *     4   1  version 1
 *     5   1  kind: 1 = ML-KEM-768 key file, 2 = passphrase (Argon2id)
 *     6   2  total length of the descriptor in bytes
 *     8  16  database id (random; bound into every page's associated data)
 *    24      kind 1: 8-byte key fingerprint (backup_keys.c: H(ek)[0..8)), 1088-byte KEM ciphertext
 *            kind 2: 16-byte salt, u32 iterations t, u32 memory m (KiB), u32 lanes p
 *     then 12-byte nonce, 32-byte wrapped DEK, 16-byte tag
 * A wrong key or passphrase fails the wrap's tag (NQ_EKEY); nothing is written.
 */
#ifndef NQ_STORAGE_DBKEY_H
#define NQ_STORAGE_DBKEY_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define DBKEY_VERSION 1
#define DBKEY_KIND_KEM 1
#define DBKEY_KIND_PASS 2
#define DBKEY_HEAD 24
#define DBKEY_FP 8
#define DBKEY_KEM_CT 1088
#define DBKEY_SALT 16
#define DBKEY_WRAP 60 /* nonce, wrapped DEK, tag */
#define DBKEY_DESC_MAX (DBKEY_HEAD + DBKEY_FP + DBKEY_KEM_CT + DBKEY_WRAP)
/* Argon2id defaults for a passphrase (RFC 9106's second recommended option) and limits. */
#define DBKEY_T_DEFAULT 3
#define DBKEY_M_DEFAULT 65536 /* KiB: 64 MiB */
#define DBKEY_P_DEFAULT 1
#define DBKEY_T_MAX 64
#define DBKEY_M_MIN 8
#define DBKEY_M_MAX 4194304
#define DBKEY_P_MAX 16

/* Where a KEK comes from: exactly one of key_file and passphrase. kdf_* apply to a new wrap
 * with a passphrase (0 = the defaults above). */
typedef struct dbkey_src {
    const char *key_file;
    const char *passphrase;
    uint32_t kdf_iterations, kdf_memory_kib;
} dbkey_src;

typedef struct dbkey_desc {
    int kind;
    size_t len;
    uint8_t dbid[16];
    uint8_t fp[DBKEY_FP];
    const uint8_t *kem_ct;
    uint8_t salt[DBKEY_SALT];
    uint32_t t, m, p;
    const uint8_t *wrap; /* nonce, wrapped DEK, tag */
} dbkey_desc;

/* NQ_EINVAL unless src names exactly one of a key file and a non-empty passphrase. */
int dbkey_check(const dbkey_src *src, nq_err *err);
/* dbkey_check, and a key file must load (exists, is an ML-KEM-768 secret key, mode 600):
 * what a new database checks before it creates any file. */
int dbkey_probe(const dbkey_src *src, nq_err *err);
/* Parse a descriptor from b (n bytes available; trailing bytes beyond its length are
 * ignored). Points into b. NQ_ECORRUPT with a message when it is not a valid one. */
int dbkey_parse(const uint8_t *b, size_t n, dbkey_desc *d, nq_err *err);
/* A description of the source for messages and `nqdb info`: "key file <fp>" or
 * "passphrase (Argon2id t=3 m=65536 KiB p=1)". */
void dbkey_describe(const dbkey_desc *d, char *out, size_t n);
/* Wrap dek to src, for database dbid: the descriptor into out (DBKEY_DESC_MAX bytes), its
 * length into *len. */
int dbkey_wrap(const dbkey_src *src, const uint8_t dbid[16], const uint8_t dek[32], uint8_t *out,
               size_t *len, nq_err *err);
/* Unwrap the DEK of descriptor d with src. NQ_EKEY when the key or passphrase is wrong (or is
 * the other kind), NQ_ENOTFOUND/NQ_EINVAL for an unreadable key file, with a message. */
int dbkey_unwrap(const dbkey_src *src, const dbkey_desc *d, uint8_t dek[32], nq_err *err);
/* Make a new ML-KEM-768 key file (mode 600) at path; refuses to overwrite. */
int dbkey_keygen(const char *path, nq_err *err);

#endif
