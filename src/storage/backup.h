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
#define BK_FORMAT_MIN 1       /* oldest manifest version read (1: no pagemap) */
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
#define BK_MANIFEST_MAX 4096  /* a manifest longer than this is not one */

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
    uint64_t data_bytes;              /* size of the data file as stored */
    uint8_t data_sha3[BK_SHA3];       /* of the data file as stored */
    uint8_t map_sha3[BK_SHA3];        /* of the page map: (u32 pgno, u64 seq, u32 crc) LE, 1..N */
    uint8_t set_sha3[BK_SHA3];        /* of the manifest text before its "set-sha3" line */
} bk_manifest;

const char *bk_kind_name(int kind);
/* The name of a backup's data file. */
static inline const char *bk_data_name(const bk_manifest *m) { return m->zstd ? BK_DATA_ZST : BK_DATA; }

/* The manifest as text, ending with its set-sha3 line (computed here, also stored in m).
 * *out is malloc'd; the caller frees it. */
int bk_manifest_format(bk_manifest *m, char **out, size_t *len, nq_err *err);
/* Parse and check a manifest's text (fields, order, ranges, the set-sha3 line). what names
 * the file in messages. */
int bk_manifest_parse(const char *text, size_t len, bk_manifest *m, const char *what, nq_err *err);

/* SHA3-256 of buf (OpenSSL EVP). */
int bk_sha3(const void *buf, size_t n, uint8_t out[BK_SHA3]);
void bk_hex(const uint8_t *b, size_t n, char *out); /* 2n chars + NUL */

/* Take a backup of p's latest durable snapshot into dir (which must hold no backup yet).
 * For an incremental or differential backup, parent_dir is the backup it builds on. */
struct pager;
int backup_take(struct pager *p, nq_vfs *vfs, const char *dir, int kind, int zstd,
                const char *parent_dir, bk_manifest *out, nq_err *err);

/* Read and check the manifest of dir; with check_data also every byte of its data file
 * (SHA3-256, header, each page's checksum and number) and of its pagemap. */
int backup_load(nq_vfs *vfs, const char *dir, int check_data, bk_manifest *m, nq_err *err);

/* Fill the public description of a backup from its manifest. */
void backup_info_fill(const bk_manifest *m, nq_backup_info *info);

#endif
