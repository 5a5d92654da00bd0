/*
 * backup_manifest.c — the MANIFEST of a backup: formatting and strict parsing.
 *
 * The manifest is UTF-8 text (ASCII in practice), one "key value" pair per line, with fixed
 * keys in a fixed order (docs/backup.md gives the format):
 *
 *   nqdb-backup 2                 (1: the same, written before the pagemap file existed)
 *   backup-id <32 hex>            database-id <16 hex>         kind full|incremental|differential
 *   parent <32 hex or ->          base <32 hex>                page-size N   page-count N
 *   pages N                       commit-seq N                 parent-seq N
 *   created YYYY-MM-DDTHH:MM:SSZ  compression none|zstd
 *   encryption ML-KEM-768+AES-256-GCM <chunk size> <key fingerprint> <KEM ciphertext hex>
 *                                 (format 3 only: an encrypted backup; backup_crypt.c)
 *   file pages.dat|pages.dat.zst[.enc] <bytes as stored> <sha3-256 hex of the file as stored>
 *   page-map-sha3 <64 hex>
 *   set-sha3 <64 hex>             SHA3-256 of every byte before this line
 *
 * The parser accepts exactly this and nothing else (no reordering, no extra spaces, decimal
 * numbers without sign or leading zeros, lower-case hex), so two readers can never disagree
 * about what a manifest says, and the set hash covers all of it. It never reads past len.
 */
#include "backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

const char *bk_kind_name(int kind)
{
    switch (kind) {
    case NQ_BACKUP_FULL: return "full";
    case NQ_BACKUP_INCREMENTAL: return "incremental";
    case NQ_BACKUP_DIFFERENTIAL: return "differential";
    default: return "?";
    }
}

int bk_sha3(const void *buf, size_t n, uint8_t out[BK_SHA3])
{
    unsigned len = 0;
    return EVP_Digest(buf, n, out, &len, EVP_sha3_256(), NULL) == 1 && len == BK_SHA3
               ? 0
               : NQ_ERROR;
}

void bk_hex(const uint8_t *b, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[2 * n] = 0;
}

int bk_manifest_format(bk_manifest *m, char **out, size_t *len, nq_err *err)
{
    *out = NULL;
    char *buf = malloc(BK_MANIFEST_MAX);
    if (!buf)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    char dh[2 * BK_SHA3 + 1], mh[2 * BK_SHA3 + 1], sh[2 * BK_SHA3 + 1];
    bk_hex(m->data_sha3, BK_SHA3, dh);
    bk_hex(m->map_sha3, BK_SHA3, mh);
    int n = snprintf(buf, BK_MANIFEST_MAX,
                     "nqdb-backup %u\n"
                     "backup-id %s\n"
                     "database-id %016llx\n"
                     "kind %s\n"
                     "parent %s\n"
                     "base %s\n"
                     "page-size %u\n"
                     "page-count %u\n"
                     "pages %u\n"
                     "commit-seq %llu\n"
                     "parent-seq %llu\n"
                     "created %s\n"
                     "compression %s\n",
                     m->version, m->backup_id, (unsigned long long)m->database_id,
                     bk_kind_name(m->kind), m->parent_id[0] ? m->parent_id : "-", m->base_id,
                     m->page_size, m->page_count, m->pages, (unsigned long long)m->commit_seq,
                     (unsigned long long)m->parent_seq, m->created, m->zstd ? "zstd" : "none");
    if (n > 0 && m->version >= BK_FORMAT_ENC) { /* format 3: the encryption line */
        char ct[2 * BK_KEM_CT + 1];
        bk_hex(m->enc_ct, BK_KEM_CT, ct);
        n += snprintf(buf + n, BK_MANIFEST_MAX - (size_t)n, "encryption " BK_ENC_SCHEME " %u %s %s\n",
                      m->enc_chunk, m->enc_key, ct);
    }
    if (n > 0 && n < BK_MANIFEST_MAX)
        n += snprintf(buf + n, BK_MANIFEST_MAX - (size_t)n, "file %s %llu %s\n"
                      "page-map-sha3 %s\n",
                      bk_data_name(m), (unsigned long long)m->data_bytes, dh, mh);
    if (n < 0 || n + 80 >= BK_MANIFEST_MAX) {
        free(buf);
        return nq_err_set(err, NQ_ERROR, "manifest too long");
    }
    if (bk_sha3(buf, (size_t)n, m->set_sha3)) {
        free(buf);
        return nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    }
    bk_hex(m->set_sha3, BK_SHA3, sh);
    n += snprintf(buf + n, BK_MANIFEST_MAX - (size_t)n, "set-sha3 %s\n", sh);
    *out = buf;
    *len = (size_t)n;
    return 0;
}

/* ---- parsing ------------------------------------------------------------------------------ */

typedef struct cur {
    const char *p, *end;
    int line;
    const char *what;
    nq_err *err;
} cur;

static int bad(cur *c, const char *why)
{
    return nq_err_set(c->err, NQ_ECORRUPT, "%s: line %d: %s", c->what, c->line, why);
}

/* The value of the next line, which must start with "key ". *v and *vn delimit it. */
static int field(cur *c, const char *key, const char **v, size_t *vn)
{
    c->line++;
    size_t kn = strlen(key);
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (!nl) {
        char msg[80];
        snprintf(msg, sizeof msg, "expected \"%s\", found the end of the file", key);
        return bad(c, msg);
    }
    size_t ln = (size_t)(nl - c->p);
    if (ln <= kn || memcmp(c->p, key, kn) != 0 || c->p[kn] != ' ') {
        char msg[80];
        snprintf(msg, sizeof msg, "expected \"%s\"", key);
        return bad(c, msg);
    }
    *v = c->p + kn + 1;
    *vn = ln - kn - 1;
    c->p = nl + 1;
    return 0;
}

static int parse_u64(cur *c, const char *v, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 20 || (n > 1 && v[0] == '0'))
        return bad(c, "not a decimal number");
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return bad(c, "not a decimal number");
        unsigned d = (unsigned)(v[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return bad(c, "number out of range");
        x = x * 10 + d;
    }
    if (x > max)
        return bad(c, "number out of range");
    *out = x;
    return 0;
}

static int num_field(cur *c, const char *key, uint64_t max, uint64_t *out)
{
    const char *v = NULL;
    size_t n = 0;
    int rc = field(c, key, &v, &n);
    return rc ? rc : parse_u64(c, v, n, max, out);
}

static int is_hex(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return 0;
    return 1;
}

static void unhex(const char *v, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n / 2; i++) {
        int hi = v[2 * i] <= '9' ? v[2 * i] - '0' : v[2 * i] - 'a' + 10;
        int lo = v[2 * i + 1] <= '9' ? v[2 * i + 1] - '0' : v[2 * i + 1] - 'a' + 10;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
}

static int hex_value(cur *c, const char *v, size_t n, size_t want, char *out_str, uint8_t *out_bin)
{
    if (n != want || !is_hex(v, n))
        return bad(c, "expected lower-case hex digits of the right length");
    if (out_str) {
        memcpy(out_str, v, n);
        out_str[n] = 0;
    }
    if (out_bin)
        unhex(v, n, out_bin);
    return 0;
}

static int hex_field(cur *c, const char *key, size_t want, char *out_str, uint8_t *out_bin)
{
    const char *v = NULL;
    size_t n = 0;
    int rc = field(c, key, &v, &n);
    return rc ? rc : hex_value(c, v, n, want, out_str, out_bin);
}

static int valid_time(const char *v, size_t n)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
    if (n != sizeof pat - 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (pat[i] == 'd' ? (v[i] < '0' || v[i] > '9') : v[i] != pat[i])
            return 0;
    return 1;
}

int bk_manifest_parse(const char *text, size_t len, bk_manifest *m, const char *what, nq_err *err)
{
    memset(m, 0, sizeof *m);
    cur c = {text, text + len, 0, what, err};
    const char *v;
    size_t n;
    uint64_t x;
    int rc;
    if (len > BK_MANIFEST_MAX)
        return nq_err_set(err, NQ_ECORRUPT, "%s: too long to be a backup manifest", what);
    if ((rc = field(&c, "nqdb-backup", &v, &n)))
        return nq_err_set(err, NQ_ECORRUPT, "%s: not a backup manifest", what);
    if ((rc = parse_u64(&c, v, n, UINT32_MAX, &x)))
        return rc;
    if (x < BK_FORMAT_MIN || x > BK_FORMAT_MAX)
        return nq_err_set(err, NQ_ECORRUPT, "%s: backup format version %llu is not supported "
                          "(this build reads %u to %u)", what, (unsigned long long)x,
                          BK_FORMAT_MIN, BK_FORMAT_MAX);
    m->version = (uint32_t)x;
    if ((rc = hex_field(&c, "backup-id", BK_ID_HEX, m->backup_id, NULL)))
        return rc;
    uint8_t idb[8];
    if ((rc = hex_field(&c, "database-id", 16, NULL, idb)))
        return rc;
    for (int i = 0; i < 8; i++)
        m->database_id = m->database_id << 8 | idb[i];
    if ((rc = field(&c, "kind", &v, &n)))
        return rc;
    m->kind = -1;
    for (int k = NQ_BACKUP_FULL; k <= NQ_BACKUP_DIFFERENTIAL; k++)
        if (n == strlen(bk_kind_name(k)) && !memcmp(v, bk_kind_name(k), n))
            m->kind = k;
    if (m->kind < 0)
        return bad(&c, "kind must be full, incremental or differential");
    if ((rc = field(&c, "parent", &v, &n)))
        return rc;
    if (m->kind == NQ_BACKUP_FULL) {
        if (n != 1 || v[0] != '-')
            return bad(&c, "a full backup has no parent (\"-\")");
    } else if ((rc = hex_value(&c, v, n, BK_ID_HEX, m->parent_id, NULL))) {
        return rc;
    }
    if ((rc = hex_field(&c, "base", BK_ID_HEX, m->base_id, NULL)))
        return rc;
    if (m->kind == NQ_BACKUP_FULL && strcmp(m->base_id, m->backup_id))
        return bad(&c, "a full backup is its own base");
    if (m->kind == NQ_BACKUP_DIFFERENTIAL && strcmp(m->base_id, m->parent_id))
        return bad(&c, "a differential backup's parent is its base");
    if ((rc = num_field(&c, "page-size", 65536, &x)))
        return rc;
    if (x < 1024 || (x & (x - 1)))
        return bad(&c, "page size must be a power of two from 1024 to 65536");
    m->page_size = (uint32_t)x;
    if ((rc = num_field(&c, "page-count", UINT32_MAX, &x)))
        return rc;
    if (x < 1)
        return bad(&c, "page count must be at least 1");
    m->page_count = (uint32_t)x;
    if ((rc = num_field(&c, "pages", m->page_count, &x)))
        return rc;
    m->pages = (uint32_t)x;
    if (m->kind == NQ_BACKUP_FULL && m->pages != m->page_count)
        return bad(&c, "a full backup holds every page");
    if ((rc = num_field(&c, "commit-seq", UINT64_MAX, &m->commit_seq)))
        return rc;
    if ((rc = num_field(&c, "parent-seq", m->commit_seq, &m->parent_seq)))
        return rc;
    if (m->kind == NQ_BACKUP_FULL && m->parent_seq)
        return bad(&c, "a full backup has parent-seq 0");
    if ((rc = field(&c, "created", &v, &n)))
        return rc;
    if (!valid_time(v, n))
        return bad(&c, "created must be YYYY-MM-DDTHH:MM:SSZ");
    memcpy(m->created, v, n);
    m->created[n] = 0;
    if ((rc = field(&c, "compression", &v, &n)))
        return rc;
    if (n == 4 && !memcmp(v, "zstd", 4))
        m->zstd = 1;
    else if (n != 4 || memcmp(v, "none", 4))
        return bad(&c, "compression must be none or zstd");
    if (m->version >= BK_FORMAT_ENC) {
        /* encryption ML-KEM-768+AES-256-GCM <chunk size> <key fingerprint> <KEM ciphertext> */
        static const char scheme[] = BK_ENC_SCHEME " ";
        if ((rc = field(&c, "encryption", &v, &n)))
            return rc;
        if (n < sizeof scheme - 1 || memcmp(v, scheme, sizeof scheme - 1))
            return bad(&c, "encryption must be " BK_ENC_SCHEME);
        v += sizeof scheme - 1;
        n -= sizeof scheme - 1;
        const char *sp1 = memchr(v, ' ', n);
        if (!sp1)
            return bad(&c, "expected a chunk size, a key fingerprint and a KEM ciphertext");
        if ((rc = parse_u64(&c, v, (size_t)(sp1 - v), 1u << 26, &x)))
            return rc;
        if (x < 4096)
            return bad(&c, "chunk size out of range");
        m->enc_chunk = (uint32_t)x;
        n -= (size_t)(sp1 + 1 - v);
        v = sp1 + 1;
        if (n < BK_FP_HEX + 1 || v[BK_FP_HEX] != ' ')
            return bad(&c, "expected a key fingerprint and a KEM ciphertext");
        if ((rc = hex_value(&c, v, BK_FP_HEX, BK_FP_HEX, m->enc_key, NULL)) ||
            (rc = hex_value(&c, v + BK_FP_HEX + 1, n - BK_FP_HEX - 1, 2 * BK_KEM_CT, NULL,
                            m->enc_ct)))
            return rc;
        m->enc = 1;
    }
    if ((rc = field(&c, "file", &v, &n)))
        return rc;
    const char *dname = bk_data_name(m);
    size_t dn = strlen(dname);
    if (n < dn + 1 || memcmp(v, dname, dn) || v[dn] != ' ')
        return bad(&c, "expected \"file\" and the name of the data file");
    v += dn + 1;
    n -= dn + 1;
    const char *sp = memchr(v, ' ', n);
    if (!sp)
        return bad(&c, "expected a size and a SHA3-256");
    if ((rc = parse_u64(&c, v, (size_t)(sp - v), UINT64_MAX, &m->data_bytes)))
        return rc;
    uint64_t want = BK_DATA_HEADER + (uint64_t)m->pages * (4 + (uint64_t)m->page_size);
    if (m->enc) {
        /* header, then the chunks, each with its tag; the last one always there */
        if (m->data_bytes < BK_ENC_HEADER + BK_ENC_TAG)
            return bad(&c, "an encrypted data file too short to hold its last chunk");
    } else if (!m->zstd && m->data_bytes != want)
        return bad(&c, "data size does not match the page count");
    if (m->zstd && !m->enc && m->data_bytes == 0)
        return bad(&c, "an empty compressed data file");
    if ((rc = hex_value(&c, sp + 1, n - (size_t)(sp + 1 - v), 2 * BK_SHA3, NULL, m->data_sha3)))
        return rc;
    if ((rc = hex_field(&c, "page-map-sha3", 2 * BK_SHA3, NULL, m->map_sha3)))
        return rc;
    size_t covered = (size_t)(c.p - text);
    if ((rc = hex_field(&c, "set-sha3", 2 * BK_SHA3, NULL, m->set_sha3)))
        return rc;
    if (c.p != c.end)
        return bad(&c, "unexpected text after set-sha3");
    uint8_t h[BK_SHA3];
    if (bk_sha3(text, covered, h))
        return nq_err_set(err, NQ_ERROR, "SHA3-256 failed (OpenSSL)");
    if (memcmp(h, m->set_sha3, BK_SHA3))
        return nq_err_set(err, NQ_ECORRUPT, "%s: checksum mismatch (set-sha3): the manifest was changed",
                          what);
    return 0;
}
