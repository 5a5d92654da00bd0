/*
 * backup.h — online backups of a database and their restore (docs/backup.md).
 *
 * A backup is a directory holding three files, written through an nq_vfs:
 *   pages.dat  (or pages.dat.zst, the same stream compressed with zstd) the page images of one snapshot (all of them for a full backup; for an
 *              incremental or differential one, those whose commit sequence, carried in every
 *              page's trailer, is above the snapshot of the backup it builds on);
 *   pagemap    the snapshot's page map: page number, commit sequence and checksum of every
 *              page (what an incremental backup compares to tell that the database still
 *              continues this chain; its SHA3-256 is the manifest's page-map-sha3);
 *   MANIFEST   a versioned text file naming the backup, its database, its parent, its snapshot
 *              and the SHA3-256 of pages.dat, of the snapshot's page map and of itself.
 * The manifest is written last, after pages.dat is synced: a directory without a valid
 * manifest is not a backup, so a backup interrupted at any point never verifies.
 *
 * backup_manifest.c formats and parses manifests (strictly: fixed keys in a fixed order; it is
 * the one decoder of untrusted text here and has a fuzz harness); backup.c takes a backup from
 * a read transaction of a pager; restore.c verifies backups and chains and rebuilds a file.
 */
#ifndef NQ_STORAGE_BACKUP_H
#define NQ_STORAGE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "nqdb.h"

#define BK_FORMAT_VERSION 2   /* of the manifest: 2 added the pagemap file */
#define BK_FORMAT_ENC 3       /* an encrypted backup's manifest: 2 + the "encryption" line */
#define BK_FORMAT_MIN 1       /* oldest manifest version read (1: no pagemap) */
#define BK_FORMAT_MAX BK_FORMAT_ENC /* newest manifest version read */
#define BK_DATA_VERSION 1     /* of the data stream's header */
#define BK_MANIFEST "MANIFEST"
#define BK_PAGEMAP "pagemap"  /* (u32 pgno, u64 seq, u32 crc) LE for pages 1..page_count */
#define BK_MAP_ENTRY 16
#define BK_DATA "pages.dat"
#define BK_DATA_ZST "pages.dat.zst" /* the same stream, zstd-compressed (one frame, checksummed) */
#define BK_DATA_MAGIC "NQBKPG\r\n"
#define BK_DATA_HEADER 16     /* magic (8), u32 format version, u32 page size */
#define BK_ID_HEX 32          /* a backup id: 16 random bytes as hex */
#define BK_SHA3 32
#define BK_MANIFEST_MAX 8192  /* a manifest longer than this is not one */
#define BK_SIG "MANIFEST.sig" /* ML-DSA-65 signature of the exact MANIFEST bytes (backup_keys.c) */
#define BK_SIG_CONTEXT "nqdb-backup-manifest-v1" /* the ML-DSA context string of that signature */
#define BK_SIG_MAX 16384      /* a signature file longer than this is not one */
#define BK_FP_HEX 16          /* a key fingerprint: 8 bytes as hex */
#define BK_KEM_CT 1088        /* ML-KEM-768 ciphertext */
#define BK_ENC_CHUNK (1u << 20) /* plaintext bytes per AES-256-GCM chunk of an encrypted data file */
#define BK_ENC_MAGIC "NQBKENC\n"
#define BK_ENC_HEADER 16      /* magic (8), u32 version, u32 chunk size */
#define BK_ENC_TAG 16
#define BK_ENC_SCHEME "ML-KEM-768+AES-256-GCM"

typedef struct bk_manifest {
    uint32_t version;
    char backup_id[BK_ID_HEX + 1];
    uint64_t database_id;
    int kind;                         /* NQ_BACKUP_* */
    char parent_id[BK_ID_HEX + 1];    /* "" for a full backup */
    char base_id[BK_ID_HEX + 1];      /* the full backup at the root of the chain (own id if full) */
    uint32_t page_size, page_count;   /* of the snapshot */
    uint32_t pages;                   /* page images in pages.dat */
    uint64_t commit_seq;              /* commit sequence of the snapshot (its header's) */
    uint64_t parent_seq;              /* the parent's commit_seq (0 for a full backup) */
    char created[24];                 /* UTC, "2026-11-24T09:30:00Z" */
    int zstd;                         /* 1: the data file is pages.dat.zst */
    int enc;                          /* 1: the data file is encrypted (format 3, ".enc") */
    uint32_t enc_chunk;               /* plaintext bytes per chunk */
    char enc_key[BK_FP_HEX + 1];      /* fingerprint of the ML-KEM-768 key it is encrypted to */
    uint8_t enc_ct[BK_KEM_CT];        /* the KEM ciphertext that carries the data key */
    uint64_t data_bytes;              /* size of the data file as stored */
    uint8_t data_sha3[BK_SHA3];       /* of the data file as stored */
    uint8_t map_sha3[BK_SHA3];        /* of the page map: (u32 pgno, u64 seq, u32 crc) LE, 1..N */
    uint8_t set_sha3[BK_SHA3];        /* of the manifest text before its "set-sha3" line */
} bk_manifest;

const char *bk_kind_name(int kind);
/* The name of a backup's data file. */
static inline const char *bk_data_name(const bk_manifest *m)
{
    return m->enc ? (m->zstd ? BK_DATA_ZST ".enc" : BK_DATA ".enc") : m->zstd ? BK_DATA_ZST : BK_DATA;
}

/* The manifest as text, ending with its set-sha3 line (computed here, also stored in m).
 * *out is malloc'd; the caller frees it. */
int bk_manifest_format(bk_manifest *m, char **out, size_t *len, nq_err *err);
/* Parse and check a manifest's text (fields, order, ranges, the set-sha3 line). what names
 * the file in messages. */
int bk_manifest_parse(const char *text, size_t len, bk_manifest *m, const char *what, nq_err *err);

/* SHA3-256 of buf (OpenSSL EVP). */
int bk_sha3(const void *buf, size_t n, uint8_t out[BK_SHA3]);
void bk_hex(const uint8_t *b, size_t n, char *out); /* 2n chars + NUL */

/* ---- keys, signatures and encryption (backup_keys.c, backup_crypt.c) ----------------------
 * Key files are text (docs/backup.md, "Key files"): a version line, the key's type, its
 * fingerprint, the key as hex, and the SHA3-256 of the lines before; parsed strictly. */
#define BK_KEY_SIGN_SECRET 1  /* ML-DSA-65 secret key: signs manifests */
#define BK_KEY_SIGN_PUBLIC 2  /* ML-DSA-65 public key: checks them */
#define BK_KEY_KEM_SECRET 3   /* ML-KEM-768 decapsulation key: decrypts data files */
#define BK_KEY_KEM_PUBLIC 4   /* ML-KEM-768 encapsulation key: encrypts them */
#define BK_KEY_MAX 4032       /* the largest of them (ML-DSA-65's secret key) */
#define BK_KEYFILE_MAX 16384

typedef struct bk_key {
    int type;                         /* BK_KEY_* */
    size_t len;
    char fp[BK_FP_HEX + 1];           /* fingerprint (docs/backup.md) */
    uint8_t b[BK_KEY_MAX];
} bk_key;

/* Everything a backup, verify or restore may be given; NULL members are absent. */
typedef struct bk_keys {
    const bk_key *sign_sk;            /* backup: sign the manifest */
    const bk_key *kem_pk;             /* backup: encrypt the data file to this key */
    const bk_key *sign_pk;            /* verify/restore: every manifest must carry its signature */
    const bk_key *kem_sk;             /* verify/restore: decrypt encrypted data files */
} bk_keys;

const char *bk_key_type_name(int type);     /* "ML-DSA-65 secret key" */
/* Parse a key file's text; want is the BK_KEY_* expected (0: any). what names the file. */
int bk_key_parse(const char *text, size_t len, int want, bk_key *k, const char *what, nq_err *err);
/* The key file's text for k (*out malloc'd). */
int bk_key_format(const bk_key *k, char **out, size_t *len, nq_err *err);
/* Read a key file (a secret one must not be readable by group or others). */
int bk_key_load(const char *path, int want, bk_key *k, nq_err *err);
/* Make the four key files in dir (created if missing); refuses to overwrite any of them. */
int bk_keygen(const char *dir, nq_err *err);
void bk_key_wipe(bk_key *k);
/* Make one ML-KEM-768 key pair and write only its secret key file to path (mode 600, never
 * overwriting): the key file of an encrypted database (dbkey.h), whose decapsulation key
 * holds the encapsulation key too. */
int bk_kem_keyfile(const char *path, nq_err *err);

/* The text of MANIFEST.sig: the ML-DSA-65 signature of the manifest text (*out malloc'd). */
int bk_sig_make(const bk_key *sk, const char *manifest, size_t len, char **out, size_t *outlen,
                nq_err *err);
/* Check sig_text (MANIFEST.sig, named sig_what) against the manifest text under pk. */
int bk_sig_check(const bk_key *pk, const char *manifest, size_t len, const char *sig_text,
                 size_t sig_len, const char *sig_what, nq_err *err);
/* Parse a signature file: its key fingerprint and signature bytes (MLDSA65 size). */
int bk_sig_parse(const char *text, size_t len, char fp[BK_FP_HEX + 1], uint8_t *sig,
                 const char *what, nq_err *err);

/* KEM-DEM: a fresh data key encapsulated to pk (m->enc_ct, m->enc_key); key receives the data
 * key derived from the shared secret and the backup id. */
int bk_enc_new_key(const bk_key *pk, bk_manifest *m, uint8_t key[32], nq_err *err);
/* The data key of an encrypted backup, from the secret key. */
int bk_enc_open_key(const bk_key *sk, const bk_manifest *m, const char *what, uint8_t key[32],
                    nq_err *err);
/* One AES-256-GCM chunk: encrypt (enc = 1: in -> out, tag written) or decrypt and check
 * (enc = 0: in -> out, tag checked; NQ_ECORRUPT when it does not hold). The associated data
 * binds the data file's header, the backup id, the chunk index and whether it is the last. */
typedef struct bk_gcm {
    void *ctx;                        /* EVP_CIPHER_CTX */
    uint8_t hdr[BK_ENC_HEADER];
    char id[BK_ID_HEX + 1];
} bk_gcm;
int bk_gcm_init(bk_gcm *g, const uint8_t key[32], const bk_manifest *m, nq_err *err);
int bk_gcm_chunk(bk_gcm *g, int enc, uint64_t index, int last, const uint8_t *in, size_t n,
                 uint8_t *out, uint8_t tag[BK_ENC_TAG]);
void bk_gcm_free(bk_gcm *g);
/* The data file's header of an encrypted backup. */
void bk_enc_header(const bk_manifest *m, uint8_t hdr[BK_ENC_HEADER]);

/* Take a backup of p's latest durable snapshot into dir (which must hold no backup yet).
 * For an incremental or differential backup, parent_dir is the backup it builds on. */
struct pager;
int backup_take(struct pager *p, nq_vfs *vfs, const char *dir, int kind, int zstd,
                const char *parent_dir, bk_manifest *out, nq_err *err);
/* The same, signing the manifest with keys->sign_sk and encrypting to keys->kem_pk when set
 * (keys may be NULL). */
int backup_take_keys(struct pager *p, nq_vfs *vfs, const char *dir, int kind, int zstd,
                     const char *parent_dir, const bk_keys *keys, bk_manifest *out, nq_err *err);

/* Read and check the manifest of dir; with check_data also every byte of its data file
 * (SHA3-256, header, each page's checksum and number) and of its pagemap. */
int backup_load(nq_vfs *vfs, const char *dir, int check_data, bk_manifest *m, nq_err *err);
/* The same with keys (may be NULL): with keys->sign_pk the manifest must carry a valid
 * signature (checked on the very bytes parsed); an encrypted data file is decrypted and
 * checked page by page with keys->kem_sk, and without it only as stored (size, SHA3-256,
 * chunk layout). *signed_ (may be NULL) is 1 when MANIFEST.sig exists. */
int backup_load_keys(nq_vfs *vfs, const char *dir, int check_data, const bk_keys *keys,
                     bk_manifest *m, int *signed_, nq_err *err);

/* Fill the public description of a backup from its manifest. */
void backup_info_fill(const bk_manifest *m, nq_backup_info *info);

#endif
