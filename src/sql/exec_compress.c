/*
 * exec_compress.c — COMPRESS TABLE t USING DNA, DECOMPRESS TABLE t and SHOW COMPRESSION
 * STATS FOR t (docs/dna.md, "In the database"; docs/qsql.md).
 *
 * COMPRESS TABLE marks every page of the table's tree and of each of its index trees —
 * interior, leaf and overflow pages — for the page codec (btree_codec_mark: bit 0 of the page's
 * flag byte), in the statement's own write transaction, so the change commits or rolls back
 * as a whole; from the next checkpoint on the pages are written to the file in codec form
 * (src/storage/pgcodec.h: zstd + interleaved Reed-Solomon parity) whenever that fits in the
 * page slot, and read back through the codec, which repairs damaged bytes. Pages created
 * later by splits and new overflow chains inherit the mark. DECOMPRESS TABLE clears it.
 *
 * The figures are real: each page image is run through the encoder (a dry run) to get its
 * codec size — compressed payload + parity + the 72-byte header — or to learn that it does
 * not fit (the page then stays raw, unprotected). "Before" is the pages' logical bytes (page
 * count × page size). The file does not shrink: pages keep their fixed slots, and the room
 * that compression frees holds the parity (docs/dna.md says so and by how much).
 *
 * Neither statement may run inside BEGIN ... COMMIT: the marks are page changes that the SQL
 * undo log does not record, so a failing statement could not be undone on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "sql/catalog_int.h"
#include "sql/exec_compress.h"
#include "sql/record.h"
#include "sql/tablerw.h"
#include "storage/btree.h"
#include "storage/pgcodec.h"

const char *const xc_compress_names[XC_COMPRESS_NCOLS] = {
    "table_name",         "algorithm",         "rows_compressed",       "pages",
    "pages_coded",        "pages_raw",         "original_size_bytes",   "compressed_size_bytes",
    "parity_bytes",       "stored_size_bytes", "compression_ratio_percent",
};

const char *const xc_stats_names[XC_STATS_NCOLS] = {"object", "metric", "value"};

/* Page statistics of one or more trees. */
typedef struct xc_pages {
    uint64_t pages, marked, coded, raw_marked;
    uint64_t logical, payload, parity, coded_bytes;
    uint32_t page_size;
    uint8_t *scratch;
    int oom;
} xc_pages;

static void page_cb(void *arg, uint32_t pgno, const uint8_t *data, uint32_t P)
{
    (void)pgno;
    xc_pages *st = arg;
    st->pages++;
    st->logical += P;
    st->page_size = P;
    if (!pgcodec_wants(data, P))
        return;
    st->marked++;
    if (!st->scratch && !(st->scratch = malloc(P))) {
        st->oom = 1;
        return;
    }
    pgcodec_info info;
    int w = pgcodec_encode(data, P, st->scratch, P, &info);
    if (w == 1) {
        st->coded++;
        st->payload += info.payload;
        st->parity += info.parity;
        st->coded_bytes += PGCODEC_PREFIX + info.payload + info.parity;
    } else if (w == 0) {
        st->raw_marked++;
    } else {
        st->oom = 1;
    }
}

static int db_fail(sql_session *s, int rc, nq_err *e)
{
    const char *m = nq_errmsg(s->db);
    return nq_err_set(e, rc, "%s", m && *m ? m : nq_strerror(rc));
}

/* Walk (and mark, per mode) one tree, adding its pages to st. */
static int walk_tree(sql_session *s, nq_tree *tr, int mode, xc_pages *st, nq_err *e)
{
    pager_txn *t;
    int ac;
    int rc = api_txn_begin(s->db, mode != BTREE_CODEC_VISIT, &t, &ac);
    if (rc)
        return db_fail(s, rc, e);
    rc = api_tree_resolve(tr, t);
    if (rc == 0)
        rc = btree_codec_mark(t, tr->root, mode, page_cb, st);
    rc = api_txn_end(s->db, t, ac, rc);
    if (rc)
        return db_fail(s, rc, e);
    if (st->oom)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    return 0;
}

/* Every tree of t: the table's, then its indexes'. */
static int walk_table(sql_session *s, cat_table *t, int mode, xc_pages *all, xc_pages *per,
                      nq_err *e)
{
    for (int i = -1; i < t->nidx; i++) {
        xc_pages one = {0};
        one.scratch = all->scratch;
        int rc = walk_tree(s, i < 0 ? t->handle : t->idx[i]->handle, mode, &one, e);
        all->scratch = one.scratch;
        if (rc)
            return rc;
        if (per)
            per[i + 1] = one;
        all->pages += one.pages;
        all->marked += one.marked;
        all->coded += one.coded;
        all->raw_marked += one.raw_marked;
        all->logical += one.logical;
        all->payload += one.payload;
        all->parity += one.parity;
        all->coded_bytes += one.coded_bytes;
        if (one.page_size)
            all->page_size = one.page_size;
    }
    return 0;
}

/* The entropy stage's output: payloads of coded pages, raw pages at full size. */
static uint64_t compressed_bytes(const xc_pages *p)
{
    return p->payload + (p->pages - p->coded) * (uint64_t)p->page_size;
}

/* What the pages occupy in their slots: codec form (header + payload + parity), raw pages in
 * full. */
static uint64_t stored_bytes(const xc_pages *p)
{
    return p->coded_bytes + (p->pages - p->coded) * (uint64_t)p->page_size;
}

static cat_table *find_table(sql_session *s, const ast_ext *x, nq_err *e)
{
    if (cat_check_schema(&x->table, e))
        return NULL;
    cat_table *t = cat_table_find(s->cat, x->table.name);
    if (!t)
        nq_err_set(e, NQ_ESCHEMA, "no such table: %s", x->table.name);
    return t;
}

int xc_compress_table(sql_session *s, const ast_ext *x, int decompress, xc_emit emit, void *arg,
                      nq_err *e)
{
    if (!decompress && strcasecmp(x->algorithm, "DNA"))
        return nq_err_set(e, NQ_EINVAL, "Unknown compression algorithm: %s", x->algorithm);
    if (s->explicit_txn)
        return nq_err_set(e, NQ_ENOTSUP, "%s cannot run inside a transaction block",
                          decompress ? "DECOMPRESS TABLE" : "COMPRESS TABLE");
    cat_table *t = find_table(s, x, e);
    if (!t)
        return e ? e->code : NQ_ESCHEMA;
    xc_pages after = {0};
    int rc = walk_table(s, t, decompress ? BTREE_CODEC_OFF : BTREE_CODEC_ON, &after, NULL, e);
    free(after.scratch);
    if (rc)
        return rc;
    uint64_t rows = 0;
    if ((rc = nq_tree_count(t->handle, &rows)))
        return db_fail(s, rc, e);
    uint64_t b = after.logical, c = compressed_bytes(&after);
    sqlv row[XC_COMPRESS_NCOLS] = {
        sqlv_text(t->name, strlen(t->name)),
        decompress ? sqlv_text("NONE", 4) : sqlv_text("DNA", 3),
        sqlv_int((int64_t)rows),
        sqlv_int((int64_t)after.pages),
        sqlv_int((int64_t)after.coded),
        sqlv_int((int64_t)(after.pages - after.coded)),
        sqlv_int((int64_t)b),
        sqlv_int((int64_t)c),
        sqlv_int((int64_t)after.parity),
        sqlv_int((int64_t)stored_bytes(&after)),
        sqlv_real(b ? 100.0 * (double)c / (double)b : 100.0),
    };
    return emit(arg, row, XC_COMPRESS_NCOLS, e);
}

static int emit3(xc_emit emit, void *arg, const char *obj, const char *metric, sqlv v, nq_err *e)
{
    sqlv row[3] = {sqlv_text(obj, strlen(obj)), sqlv_text(metric, strlen(metric)), v};
    return emit(arg, row, 3, e);
}

static int emit_pages(xc_emit emit, void *arg, const char *obj, const xc_pages *p, nq_err *e)
{
    struct {
        const char *m;
        uint64_t v;
    } m[] = {
        {"pages", p->pages},
        {"pages_marked", p->marked},
        {"pages_coded", p->coded},
        {"pages_raw", p->pages - p->coded},
        {"logical_bytes", p->logical},
        {"compressed_bytes", compressed_bytes(p)},
        {"parity_bytes", p->parity},
        {"stored_bytes", stored_bytes(p)},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0] && rc == 0; i++)
        rc = emit3(emit, arg, obj, m[i].m, sqlv_int((int64_t)m[i].v), e);
    if (rc == 0)
        rc = emit3(emit, arg, obj, "compression_ratio",
                   sqlv_real(p->logical ? (double)compressed_bytes(p) / (double)p->logical : 1.0), e);
    return rc;
}

/* Per DNA-coded column: values, their text bytes and the bytes stored. */
static int column_stats(sql_session *s, cat_table *t, xc_emit emit, void *arg, nq_err *e)
{
    int ndna = 0;
    for (int i = 0; i < t->ncols; i++)
        ndna += t->cols[i].dna != CAT_DNA_NONE;
    if (!ndna)
        return 0;
    uint64_t *acc = calloc((size_t)t->ncols * 4, sizeof *acc); /* values, coded, text, stored */
    if (!acc)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    nq_cursor *c;
    int rc = nq_cursor_open(t->handle, &c);
    if (rc) {
        free(acc);
        return db_fail(s, rc, e);
    }
    for (rc = nq_cursor_first(c); rc == 0; rc = nq_cursor_next(c)) {
        size_t vl;
        const uint8_t *v = nq_cursor_value(c, &vl);
        if (!v) {
            rc = NQ_ECORRUPT;
            break;
        }
        for (int i = 0; i < t->ncols && rc == 0; i++) {
            if (t->cols[i].dna == CAT_DNA_NONE)
                continue;
            int tag;
            size_t len;
            if ((rc = rec_column_form(v, vl, i, &tag, &len, e)))
                break;
            if (tag != REC_T_TEXT && tag != REC_T_DNA)
                continue;
            uint64_t *a = acc + 4 * (size_t)i;
            a[0]++;
            a[3] += len;
            if (tag == REC_T_DNA) {
                a[1]++;
                size_t need;
                if ((rc = rec_expanded_size(v, vl, &need, e)))
                    break;
                uint8_t *xb = malloc(need ? need : 1);
                sqlv *vals = xb ? malloc((size_t)t->ncols * sizeof *vals) : NULL;
                int got;
                if (!xb || !vals)
                    rc = nq_err_set(e, NQ_ENOMEM, "out of memory");
                else if (!(rc = rec_decode_x(v, vl, vals, t->ncols, &got, xb, need, e)))
                    a[2] += vals[i].n;
                free(vals);
                free(xb);
            } else {
                a[2] += len;
            }
        }
        if (rc)
            break;
    }
    nq_cursor_close(c);
    if (rc == NQ_ENOTFOUND)
        rc = 0;
    for (int i = 0; i < t->ncols && rc == 0; i++) {
        if (t->cols[i].dna == CAT_DNA_NONE)
            continue;
        char obj[256];
        snprintf(obj, sizeof obj, "%s.%s (%s)", t->name, t->cols[i].name,
                 t->cols[i].dna == CAT_DNA_SEQUENCE ? "DNA_SEQUENCE" : "WITH COMPRESSION DNA");
        const uint64_t *a = acc + 4 * (size_t)i;
        if (!(rc = emit3(emit, arg, obj, "values", sqlv_int((int64_t)a[0]), e)) &&
            !(rc = emit3(emit, arg, obj, "values_coded", sqlv_int((int64_t)a[1]), e)) &&
            !(rc = emit3(emit, arg, obj, "text_bytes", sqlv_int((int64_t)a[2]), e)) &&
            !(rc = emit3(emit, arg, obj, "stored_bytes", sqlv_int((int64_t)a[3]), e)))
            rc = emit3(emit, arg, obj, "ratio",
                       sqlv_real(a[2] ? (double)a[3] / (double)a[2] : 1.0), e);
    }
    free(acc);
    return rc < 0 && rc != NQ_ENOTFOUND && e && !e->msg[0] ? db_fail(s, rc, e) : rc;
}

int xc_show_stats(sql_session *s, const ast_ext *x, xc_emit emit, void *arg, nq_err *e)
{
    cat_table *t = find_table(s, x, e);
    if (!t)
        return e ? e->code : NQ_ESCHEMA;
    xc_pages all = {0};
    xc_pages *per = calloc((size_t)t->nidx + 1, sizeof *per);
    if (!per)
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    int rc = walk_table(s, t, BTREE_CODEC_VISIT, &all, per, e);
    free(all.scratch);
    for (int i = -1; i < t->nidx && rc == 0; i++) {
        char obj[256];
        if (i < 0)
            snprintf(obj, sizeof obj, "%s", t->name);
        else
            snprintf(obj, sizeof obj, "%s (index %s)", t->name, t->idx[i]->name);
        rc = emit_pages(emit, arg, obj, &per[i + 1], e);
    }
    free(per);
    if (rc == 0 && t->nidx > 0)
        rc = emit_pages(emit, arg, "total", &all, e);
    if (rc == 0)
        rc = column_stats(s, t, emit, arg, e);
    if (rc == 0) {
        pgcodec_counts cc;
        pgcodec_counters(s->db->eng->pager, &cc);
        if (!(rc = emit3(emit, arg, "database", "pages_repaired", sqlv_int((int64_t)cc.pages_repaired), e)) &&
            !(rc = emit3(emit, arg, "database", "bytes_repaired", sqlv_int((int64_t)cc.bytes_repaired), e)))
            rc = emit3(emit, arg, "database", "pages_unrepairable", sqlv_int((int64_t)cc.pages_failed), e);
    }
    return rc;
}
