/*
 * tablerw.c — rows and index entries: insert, delete, update, fetch, scans, index builds.
 *
 * A row is one entry in its table's tree (rowid key -> record), plus one entry per index
 * (key of the indexed values ‖ rowid -> empty). Every write goes through tw_put/tw_del
 * (undo.c), so a statement that fails half way is undone entry by entry.
 *
 * Constraint checks come before any write of a row, so a violation leaves no trace even
 * without the undo log: PRIMARY KEY on the rowid is a point lookup, UNIQUE is a seek to the
 * indexed values' prefix (keys are prefix-free per column, so an entry that starts with the
 * prefix has exactly those values). A row with a NULL in a unique index's columns never
 * conflicts.
 *
 * Scans copy each record into a buffer of their own before decoding it, so the values they
 * hand out stay valid while the caller writes to the same tree (UPDATE and DELETE drive their
 * writes from a scan).
 */
#include <stdlib.h>
#include <string.h>

#include "dna/dna_zip.h"
#include "sql/record.h"
#include "sql/tablerw.h"

static const key_col ROWID_COL = {0, 0};
static const sqlv_type ROWID_TYPE = SQLV_INT;

static int db_err(sql_session *s, int rc, nq_err *e)
{
    const char *m = nq_errmsg(s->db);
    return nq_err_set(e, rc, "%s", m && *m ? m : nq_strerror(rc));
}

static int oom(nq_err *e)
{
    return nq_err_set(e, NQ_ENOMEM, "out of memory");
}

/* Decode a stored row into t->ncols values (columns added since it was written read NULL).
 * The INTEGER PRIMARY KEY column is the row's key: it is stored as NULL in the record (one
 * byte instead of up to nine) and restored here from rowid. DNA-coded columns expand into
 * x[0..xlen), which must hold rec_expanded_size bytes. */
static int decode_row_x(const cat_table *t, const uint8_t *p, size_t n, int64_t rowid, sqlv *vals,
                        uint8_t *x, size_t xlen, nq_err *e)
{
    int got = 0;
    int rc = rec_decode_x(p, n, vals, t->ncols, &got, x, xlen, e);
    if (rc)
        return nq_err_prefix(e, rc == NQ_ETOOBIG ? NQ_ECORRUPT : rc, "row of table \"%s\"", t->name);
    for (int i = got; i < t->ncols; i++)
        vals[i] = sqlv_null();
    if (t->ipk >= 0)
        vals[t->ipk] = sqlv_int(rowid);
    return 0;
}

/* Room for the expanded DNA-coded columns of record p in *xbuf. */
static int expand_room(const cat_table *t, const uint8_t *p, size_t n, uint8_t **xbuf, size_t *xcap,
                       size_t *need, nq_err *e)
{
    int rc = rec_expanded_size(p, n, need, e);
    if (rc)
        return nq_err_prefix(e, rc, "row of table \"%s\"", t->name);
    if (*need > *xcap) {
        uint8_t *nb = realloc(*xbuf, *need);
        if (!nb)
            return oom(e);
        *xbuf = nb;
        *xcap = *need;
    }
    return 0;
}

int tw_decode_row(const cat_table *t, const uint8_t *p, size_t n, int64_t rowid, sqlv *vals,
                  uint8_t **xbuf, size_t *xcap, nq_err *e)
{
    size_t need;
    int rc = expand_room(t, p, n, xbuf, xcap, &need, e);
    return rc ? rc : decode_row_x(t, p, n, rowid, vals, need ? *xbuf : NULL, need, e);
}

int tw_encode_row(const cat_table *t, const sqlv *row, int n, uint8_t **rec, size_t *rl, nq_err *e)
{
    sqlv stackv[64];
    uint8_t stackc[64];
    sqlv *v = n <= 64 ? stackv : malloc((size_t)n * sizeof *v);
    uint8_t *codec = n <= 64 ? stackc : malloc((size_t)n);
    int rc = 0, coded = 0;
    if (!v || !codec) {
        rc = oom(e);
        goto out;
    }
    memcpy(v, row, (size_t)n * sizeof *v);
    for (int i = 0; i < n; i++) {
        codec[i] = REC_CODEC_NONE;
        if (i >= t->ncols || t->cols[i].dna == CAT_DNA_NONE || v[i].type != SQLV_TEXT)
            continue;
        if (t->cols[i].dna == CAT_DNA_SEQUENCE) {
            size_t bad = dna_seq_find_invalid((const char *)v[i].p, v[i].n);
            if (bad < v[i].n) {
                unsigned char c = ((const unsigned char *)v[i].p)[bad];
                rc = c >= 0x20 && c < 0x7f
                         ? nq_err_set(e, NQ_EINVAL, "column \"%s\" is DNA_SEQUENCE: invalid base "
                                      "'%c' at position %zu", t->cols[i].name, c, bad + 1)
                         : nq_err_set(e, NQ_EINVAL, "column \"%s\" is DNA_SEQUENCE: invalid base "
                                      "(byte 0x%02x) at position %zu", t->cols[i].name, c, bad + 1);
                goto out;
            }
        }
        codec[i] = REC_CODEC_DNA;
        coded = 1;
    }
    if (t->ipk >= 0 && t->ipk < n)
        v[t->ipk] = sqlv_null();
    rc = rec_encode_x(v, n, coded ? codec : NULL, rec, rl, NULL, e);
out:
    if (v != stackv)
        free(v);
    if (codec != stackc)
        free(codec);
    return rc;
}

/* Encode a row for its table tree (tw_encode_row). */
static int encode_row(const cat_table *t, const sqlv *row, uint8_t **rec, size_t *rl, nq_err *e)
{
    return tw_encode_row(t, row, t->ncols, rec, rl, e);
}

/* The index key of a row: indexed values, then the rowid. *plen = length of the values part;
 * *has_null = 1 if any indexed value is NULL. */
static int index_key(const cat_index *ix, const sqlv *row, int64_t rowid, key_buf *kb, size_t *plen,
                     int *has_null, nq_err *e)
{
    kb->n = 0;
    int hn = 0;
    for (int j = 0; j < ix->ncols; j++) {
        const sqlv *v = &row[ix->cols[j]];
        if (v->type == SQLV_NULL)
            hn = 1;
        int rc = key_append(kb, v, ix->kcols[j], e);
        if (rc)
            return rc;
    }
    if (plen)
        *plen = kb->n;
    if (has_null)
        *has_null = hn;
    sqlv r = sqlv_int(rowid);
    return key_append(kb, &r, ROWID_COL, e);
}

static int key_rowid(const uint8_t *p, size_t n, int64_t *rowid, nq_err *e)
{
    sqlv v;
    size_t used = 0;
    int rc = key_decode(p, n, &ROWID_COL, &ROWID_TYPE, 1, &v, &used, e);
    if (rc)
        return rc;
    if (v.type != SQLV_INT || used != n) {
        sqlv_clear(&v);
        return nq_err_set(e, NQ_ECORRUPT, "index entry has no valid rowid");
    }
    *rowid = v.i;
    return 0;
}

/* Does a unique index hold the values prefix for a row other than self? 1 (and *other), 0, or
 * an error. */
static int unique_conflict(sql_session *s, cat_index *ix, const uint8_t *pfx, size_t plen,
                           const int64_t *self, int64_t *other, nq_err *e)
{
    /* A concurrent transaction first locks the values: index keys end in the rowid, so two
     * inserts of one value write different keys and only this lock makes the second wait
     * (and then fail, or restart under READ COMMITTED, when the first commits). */
    int rc = tw_lock_key(s, ix->handle, pfx, plen,
                         NQ_LOCK_ROW_UPDATE_KEY | NQ_LOCK_WRITTEN | TW_LOCK_IMPLICIT, e);
    if (rc)
        return rc;
    nq_cursor *c;
    rc = nq_cursor_open(ix->handle, &c);
    if (rc)
        return db_err(s, rc, e);
    int found = 0;
    for (rc = nq_cursor_seek(c, pfx, plen, NQ_SEEK_GE); rc == 0; rc = nq_cursor_next(c)) {
        size_t kl;
        const uint8_t *k = nq_cursor_key(c, &kl);
        if (!k || kl < plen || memcmp(k, pfx, plen))
            break;
        int64_t r = 0;
        if ((rc = key_rowid(k + plen, kl - plen, &r, e)))
            break;
        if (!self || r != *self) {
            *other = r;
            found = 1;
            break;
        }
    }
    nq_cursor_close(c);
    if (rc < 0 && rc != NQ_ENOTFOUND && !found)
        return e && e->code ? rc : db_err(s, rc, e);
    return found;
}

int tw_lock_key(sql_session *s, nq_tree *t, const void *k, size_t kl, int mode, nq_err *e)
{
    int m;
    if (!nq_in_txn(s->db, &m) || m != NQ_TXN_CONCURRENT)
        return 0;
    int rc = nq_lock_key(t, k, kl, mode & ~TW_LOCK_IMPLICIT);
    if (rc == NQ_ENOTSUP && (mode & TW_LOCK_IMPLICIT))
        return 0; /* an engine without row locks: first-committer-wins still decides */
    return rc ? db_err(s, rc, e) : 0;
}

int tw_lock_table(sql_session *s, const cat_table *t, int mode, nq_err *e)
{
    int rc = sess_lock_table(s, t->name, mode, e);
    if (rc == NQ_ENOTSUP) /* an engine without table locks */
        return nq_err_clear(e), 0;
    return rc;
}

static int row_exists(sql_session *s, cat_table *t, int64_t rowid, nq_err *e)
{
    uint8_t k[8];
    cat_rowid_key(rowid, k);
    void *v = NULL;
    size_t vl;
    int rc = nq_get(t->handle, k, 8, &v, &vl);
    free(v);
    if (rc == NQ_ENOTFOUND)
        return 0;
    return rc ? db_err(s, rc, e) : 1;
}

static int dup_error(nq_err *e, const char *name)
{
    return nq_err_set(e, NQ_ECONSTRAINT, "duplicate key value violates unique constraint \"%s\"",
                      name);
}

int tw_max_rowid(sql_session *s, cat_table *t, int64_t *out, nq_err *e)
{
    *out = 0;
    nq_cursor *c;
    int rc = nq_cursor_open(t->handle, &c);
    if (rc)
        return db_err(s, rc, e);
    /* the largest rowid only picks the next one: a clash is caught on the new row's key */
    nq_cursor_norecord(c);
    rc = nq_cursor_last(c);
    if (rc == 0) {
        size_t kl;
        const uint8_t *k = nq_cursor_key(c, &kl);
        if (!k || kl != 8)
            rc = nq_err_set(e, NQ_ECORRUPT, "table \"%s\" has a damaged row key", t->name);
        else
            *out = cat_rowid_from_key(k);
    } else if (rc == NQ_ENOTFOUND) {
        rc = 0;
    } else {
        rc = db_err(s, rc, e);
    }
    nq_cursor_close(c);
    return rc;
}

static int seq_value(sql_session *s, cat_table *t, int64_t *out, nq_err *e)
{
    uint64_t v;
    int rc = nq_seq_next(t->handle, &v);
    if (rc)
        return db_err(s, rc, e);
    if (v > INT64_MAX)
        return nq_err_set(e, NQ_ERROR, "sequence of table \"%s\" is exhausted", t->name);
    *out = (int64_t)v;
    return 0;
}

static int new_rowid(sql_session *s, cat_table *t, int64_t *rowid, nq_err *e)
{
    int rc;
    if (t->ipk >= 0 && t->cols[t->ipk].autoinc) {
        /* sequence values are never reused; skip ones taken by explicit rowids */
        for (;;) {
            if ((rc = seq_value(s, t, rowid, e)))
                return rc;
            if ((rc = row_exists(s, t, *rowid, e)) <= 0)
                return rc;
        }
    }
    int64_t max;
    if ((rc = tw_max_rowid(s, t, &max, e)))
        return rc;
    if (max == INT64_MAX)
        return nq_err_set(e, NQ_ERROR, "table \"%s\" has no free rowid: the largest is %lld",
                          t->name, (long long)INT64_MAX);
    *rowid = max < 0 ? 1 : max + 1;
    if (max < 0 && (rc = row_exists(s, t, 1, e)) != 0) /* only negative rowids so far: 1 is free */
        return rc < 0 ? rc : nq_err_set(e, NQ_ECORRUPT, "table \"%s\" rowid order is broken", t->name);
    int m;
    if (nq_in_txn(s->db, &m) && m == NQ_TXN_CONCURRENT) {
        /* concurrent inserters see the same max in their snapshots: the engine's claim gives
         * each its own rowid above it */
        if ((rc = nq_key_claim(t->handle, *rowid - 1, rowid)))
            return db_err(s, rc, e);
    }
    return 0;
}

static int index_put(sql_session *s, cat_index *ix, const key_buf *kb, nq_err *e)
{
    /* an index key ends with the rowid: a new entry is always a new key */
    int rc = tw_put(s, ix->handle, kb->p, kb->n, "", 0, NQ_PUT_NOOVERWRITE, e);
    if (rc == NQ_ETOOBIG)
        nq_err_prefix(e, rc, "index row too large for index \"%s\"", ix->name);
    return rc;
}

/* Write the row's entries (no checks). */
static int put_row(sql_session *s, cat_table *t, const sqlv *row, int64_t rowid, key_buf *kb, nq_err *e)
{
    uint8_t k[8], *rec = NULL;
    size_t rl;
    cat_rowid_key(rowid, k);
    int rc = encode_row(t, row, &rec, &rl, e);
    if (rc)
        return rc;
    rc = tw_put(s, t->handle, k, 8, rec, rl, NQ_PUT_NOOVERWRITE, e); /* checked free by the caller */
    free(rec);
    for (int i = 0; i < t->nidx && !rc; i++) {
        if (!(rc = index_key(t->idx[i], row, rowid, kb, NULL, NULL, e)))
            rc = index_put(s, t->idx[i], kb, e);
    }
    return rc;
}

int tw_fetch(sql_session *s, cat_table *t, int64_t rowid, sqlv *vals, uint8_t **buf, nq_err *e)
{
    *buf = NULL;
    uint8_t k[8];
    cat_rowid_key(rowid, k);
    void *v = NULL;
    size_t vl = 0;
    int rc = nq_get(t->handle, k, 8, &v, &vl);
    if (rc == NQ_ENOTFOUND)
        return nq_err_set(e, rc, "no row %lld in table \"%s\"", (long long)rowid, t->name);
    if (rc)
        return db_err(s, rc, e);
    /* one block: the record, then its DNA-coded columns expanded */
    size_t need;
    if ((rc = rec_expanded_size(v, vl, &need, e))) {
        free(v);
        return nq_err_prefix(e, rc, "row of table \"%s\"", t->name);
    }
    if (need) {
        uint8_t *nv = realloc(v, vl + need);
        if (!nv) {
            free(v);
            return oom(e);
        }
        v = nv;
    }
    rc = decode_row_x(t, v, vl, rowid, vals, need ? (uint8_t *)v + vl : NULL, need, e);
    if (rc) {
        free(v);
        return rc;
    }
    *buf = v;
    return 0;
}

int tw_delete(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, nq_err *e)
{
    int lrc = tw_lock_table(s, t, NQ_LOCK_ROW_EXCLUSIVE, e);
    if (lrc)
        return lrc;
    uint8_t k[8];
    cat_rowid_key(rowid, k);
    int rc = tw_del(s, t->handle, k, 8, e);
    if (rc == NQ_ENOTFOUND)
        return nq_err_set(e, rc, "no row %lld in table \"%s\"", (long long)rowid, t->name);
    if (rc)
        return rc;
    key_buf kb = {0};
    for (int i = 0; i < t->nidx && !rc; i++) {
        if (!(rc = index_key(t->idx[i], old, rowid, &kb, NULL, NULL, e))) {
            rc = tw_del(s, t->idx[i]->handle, kb.p, kb.n, e);
            if (rc == NQ_ENOTFOUND)
                rc = nq_err_set(e, NQ_ECORRUPT, "index \"%s\" has no entry for row %lld of \"%s\"",
                                t->idx[i]->name, (long long)rowid, t->name);
        }
    }
    free(kb.p);
    return rc;
}

/* Rowids of rows conflicting with (row, rowid), at most one per constraint; *n of them.
 * first_name receives the name of the first violated constraint. */
static int find_conflicts(sql_session *s, cat_table *t, const sqlv *row, int64_t rowid,
                          const int64_t *self, int check_rowid, int64_t *out, int *n, const char **first_name,
                          key_buf *kb, nq_err *e)
{
    *n = 0;
    int rc;
    if (check_rowid) {
        if ((rc = row_exists(s, t, rowid, e)) < 0)
            return rc;
        if (rc) {
            out[(*n)++] = rowid;
            *first_name = t->pk_name;
        }
    }
    for (int i = 0; i < t->nidx; i++) {
        cat_index *ix = t->idx[i];
        if (!ix->unique)
            continue;
        size_t plen;
        int has_null;
        if ((rc = index_key(ix, row, rowid, kb, &plen, &has_null, e)))
            return rc;
        if (has_null)
            continue;
        int64_t other;
        if ((rc = unique_conflict(s, ix, kb->p, plen, self, &other, e)) < 0)
            return rc;
        if (rc) {
            if (!*n)
                *first_name = ix->name;
            int dup = 0;
            for (int j = 0; j < *n; j++)
                dup |= out[j] == other;
            if (!dup)
                out[(*n)++] = other;
        }
    }
    return 0;
}

int tw_find_conflicts(sql_session *s, cat_table *t, const sqlv *row, int have_rowid, int64_t rowid,
                      const int64_t *self, tw_conflict *out, int max, nq_err *e)
{
    int n = 0, rc = 0;
    if (t->ipk >= 0 && row[t->ipk].type == SQLV_INT) {
        have_rowid = 1;
        rowid = row[t->ipk].i;
    }
    if (have_rowid && (!self || *self != rowid)) {
        if ((rc = row_exists(s, t, rowid, e)) < 0)
            return rc;
        if (rc && n < max)
            out[n++] = (tw_conflict){NULL, rowid};
    }
    key_buf kb = {0};
    for (int i = 0; i < t->nidx && n < max; i++) {
        cat_index *ix = t->idx[i];
        if (!ix->unique)
            continue;
        size_t plen;
        int has_null;
        if ((rc = index_key(ix, row, rowid, &kb, &plen, &has_null, e)))
            break;
        if (has_null)
            continue;
        int64_t other;
        if ((rc = unique_conflict(s, ix, kb.p, plen, self, &other, e)) < 0)
            break;
        if (rc)
            out[n++] = (tw_conflict){ix, other};
        rc = 0;
    }
    free(kb.p);
    return rc < 0 ? rc : n;
}

int tw_insert(sql_session *s, cat_table *t, sqlv *row, int have_rowid, int64_t *rowid, int conflict,
              int *replaced, nq_err *e)
{
    int rc;
    if (replaced)
        *replaced = 0;
    if ((rc = tw_lock_table(s, t, NQ_LOCK_ROW_EXCLUSIVE, e)))
        return rc;
    if (!have_rowid && t->ipk >= 0 && row[t->ipk].type != SQLV_NULL) {
        have_rowid = 1;
        *rowid = row[t->ipk].i;
    }
    if (t->ipk >= 0 && row[t->ipk].type != SQLV_NULL && row[t->ipk].type != SQLV_INT)
        return nq_err_set(e, NQ_ETYPE, "column \"%s\" is the rowid and must be an integer",
                          t->cols[t->ipk].name);
    if (!have_rowid && (rc = new_rowid(s, t, rowid, e)))
        return rc;
    if (t->ipk >= 0)
        row[t->ipk] = sqlv_int(*rowid);
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].autoinc && i != t->ipk && row[i].type == SQLV_NULL) {
            int64_t v = 0;
            if ((rc = seq_value(s, t, &v, e)))
                return rc;
            row[i] = sqlv_int(v);
        }
    key_buf kb = {0};
    int64_t conf[66];
    int nconf = 0;
    const char *cname = NULL;
    if (t->nidx > 64) {
        rc = nq_err_set(e, NQ_ENOTSUP, "not supported yet: more than 64 indexes on a table");
        goto out;
    }
    /* A rowid from max+1 is free. One given for a plain INSERT is checked by the put itself
     * (NQ_PUT_NOOVERWRITE; the row is written before any index entry, so a clash leaves
     * nothing behind): one B-tree descent instead of two. IGNORE and REPLACE must know first. */
    int check_rowid = have_rowid && conflict != TW_ABORT;
    rc = find_conflicts(s, t, row, *rowid, NULL, check_rowid, conf, &nconf, &cname, &kb, e);
    if (rc)
        goto out;
    if (nconf) {
        if (conflict == TW_IGNORE) {
            rc = 1;
            goto out;
        }
        if (conflict != TW_REPLACE) {
            rc = dup_error(e, cname);
            goto out;
        }
        for (int i = 0; i < nconf && !rc; i++) {
            sqlv *old = malloc((size_t)t->ncols * sizeof *old);
            uint8_t *buf = NULL;
            if (!old) {
                rc = oom(e);
                break;
            }
            if (!(rc = tw_fetch(s, t, conf[i], old, &buf, e)))
                rc = tw_delete(s, t, conf[i], old, e);
            free(buf);
            free(old);
        }
        if (rc)
            goto out;
        if (replaced)
            *replaced = nconf;
    }
    rc = put_row(s, t, row, *rowid, &kb, e);
    if (rc == NQ_EEXIST)
        rc = dup_error(e, t->pk_name);
out:
    free(kb.p);
    return rc;
}

int tw_update(sql_session *s, cat_table *t, int64_t rowid, const sqlv *old, int64_t new_rowid,
              const sqlv *newv, nq_err *e)
{
    int rc = tw_lock_table(s, t, NQ_LOCK_ROW_EXCLUSIVE, e);
    if (rc)
        return rc;
    key_buf kb = {0}, ko = {0};
    if (t->ipk >= 0 && newv[t->ipk].type == SQLV_INT)
        new_rowid = newv[t->ipk].i;
    if (new_rowid != rowid) {
        if ((rc = row_exists(s, t, new_rowid, e)) < 0)
            goto out;
        if (rc) {
            rc = dup_error(e, t->pk_name);
            goto out;
        }
    }
    /* checks first, so that a violation writes nothing */
    for (int i = 0; i < t->nidx; i++) {
        cat_index *ix = t->idx[i];
        if (!ix->unique)
            continue;
        size_t plen, olen;
        int has_null;
        if ((rc = index_key(ix, newv, new_rowid, &kb, &plen, &has_null, e)) ||
            (rc = index_key(ix, old, rowid, &ko, &olen, NULL, e)))
            goto out;
        if (has_null || (plen == olen && !memcmp(kb.p, ko.p, plen)))
            continue;
        int64_t other;
        if ((rc = unique_conflict(s, ix, kb.p, plen, &rowid, &other, e)) < 0)
            goto out;
        if (rc) {
            rc = dup_error(e, ix->name);
            goto out;
        }
    }
    uint8_t k[8], *rec = NULL;
    size_t rl;
    if ((rc = encode_row(t, newv, &rec, &rl, e)))
        goto out;
    if (new_rowid != rowid) {
        cat_rowid_key(rowid, k);
        if ((rc = tw_del(s, t->handle, k, 8, e))) {
            free(rec);
            goto out;
        }
    }
    cat_rowid_key(new_rowid, k);
    rc = tw_put(s, t->handle, k, 8, rec, rl, 0, e);
    free(rec);
    for (int i = 0; i < t->nidx && !rc; i++) {
        cat_index *ix = t->idx[i];
        if ((rc = index_key(ix, newv, new_rowid, &kb, NULL, NULL, e)) ||
            (rc = index_key(ix, old, rowid, &ko, NULL, NULL, e)))
            break;
        if (kb.n == ko.n && !memcmp(kb.p, ko.p, kb.n))
            continue;
        rc = tw_del(s, ix->handle, ko.p, ko.n, e);
        if (rc == NQ_ENOTFOUND)
            rc = nq_err_set(e, NQ_ECORRUPT, "index \"%s\" has no entry for row %lld of \"%s\"",
                            ix->name, (long long)rowid, t->name);
        if (!rc)
            rc = index_put(s, ix, &kb, e);
    }
out:
    free(kb.p);
    free(ko.p);
    return rc;
}

/* ---- table scans ------------------------------------------------------------------------ */

struct tw_scan {
    sql_session *s;
    cat_table *t;
    nq_cursor *c;
    int started, first;
    int64_t hi;
    uint8_t *buf;
    size_t cap;
    uint8_t *xbuf; /* DNA-coded columns of the current row, expanded */
    size_t xcap;
};

int tw_scan_open(sql_session *s, cat_table *t, tw_scan **out, nq_err *e)
{
    *out = NULL;
    int rc = tw_lock_table(s, t, NQ_LOCK_ACCESS_SHARE, e);
    if (rc)
        return rc;
    tw_scan *sc = calloc(1, sizeof *sc);
    if (!sc)
        return oom(e);
    rc = nq_cursor_open(t->handle, &sc->c);
    if (rc) {
        free(sc);
        return db_err(s, rc, e);
    }
    sc->s = s;
    sc->t = t;
    sc->hi = INT64_MAX;
    *out = sc;
    return 0;
}

int tw_scan_start(tw_scan *sc, int64_t lo, int64_t hi, nq_err *e)
{
    uint8_t k[8];
    cat_rowid_key(lo, k);
    int rc = nq_cursor_seek(sc->c, k, 8, NQ_SEEK_GE);
    sc->started = 1;
    sc->first = 1;
    sc->hi = hi;
    if (rc && rc != NQ_ENOTFOUND)
        return db_err(sc->s, rc, e);
    return 0;
}

int tw_scan_next(tw_scan *sc, int64_t *rowid, sqlv *vals, nq_err *e)
{
    int rc;
    if (!sc->started && (rc = tw_scan_start(sc, INT64_MIN, INT64_MAX, e)))
        return rc;
    if (!sc->first) {
        rc = nq_cursor_next(sc->c);
        if (rc == NQ_ENOTFOUND)
            return 0;
        if (rc)
            return db_err(sc->s, rc, e);
    }
    sc->first = 0;
    if (!nq_cursor_valid(sc->c)) {
        /* the row under the cursor was deleted: the cursor sits between entries */
        rc = nq_cursor_next(sc->c);
        if (rc == NQ_ENOTFOUND)
            return 0;
        if (rc)
            return db_err(sc->s, rc, e);
    }
    size_t kl, vl;
    const uint8_t *k = nq_cursor_key(sc->c, &kl);
    if (!k)
        return 0;
    if (kl != 8)
        return nq_err_set(e, NQ_ECORRUPT, "table \"%s\" has a damaged row key", sc->t->name);
    int64_t r = cat_rowid_from_key(k);
    if (r > sc->hi)
        return 0;
    const void *v = nq_cursor_value(sc->c, &vl);
    if (!v)
        return db_err(sc->s, NQ_ECORRUPT, e);
    if (vl > sc->cap) {
        uint8_t *nb = realloc(sc->buf, vl);
        if (!nb)
            return oom(e);
        sc->buf = nb;
        sc->cap = vl;
    }
    memcpy(sc->buf, v, vl);
    if ((rc = tw_decode_row(sc->t, sc->buf, vl, r, vals, &sc->xbuf, &sc->xcap, e)))
        return rc;
    *rowid = r;
    return 1;
}

void tw_scan_close(tw_scan *sc)
{
    if (!sc)
        return;
    nq_cursor_close(sc->c);
    free(sc->buf);
    free(sc->xbuf);
    free(sc);
}

/* ---- index scans ------------------------------------------------------------------------ */

struct tw_iscan {
    sql_session *s;
    cat_index *ix;
    nq_cursor *c;
    int started, first, reverse, done;
    uint8_t *lo, *hi;
    size_t lolen, hilen;
    int lo_incl, hi_incl;
    sqlv_type types[32];
};

int tw_iscan_open(sql_session *s, cat_index *ix, tw_iscan **out, nq_err *e)
{
    *out = NULL;
    int rc = tw_lock_table(s, ix->table, NQ_LOCK_ACCESS_SHARE, e);
    if (rc)
        return rc;
    tw_iscan *sc = calloc(1, sizeof *sc);
    if (!sc)
        return oom(e);
    rc = nq_cursor_open(ix->handle, &sc->c);
    if (rc) {
        free(sc);
        return db_err(s, rc, e);
    }
    sc->s = s;
    sc->ix = ix;
    for (int j = 0; j < ix->ncols && j < 32; j++)
        sc->types[j] = ix->table->cols[ix->cols[j]].type;
    *out = sc;
    return 0;
}

/* Compare key k with bound b as a prefix: <0, 0 (k starts with b), >0. */
static int pcmp(const uint8_t *k, size_t kl, const uint8_t *b, size_t bl)
{
    size_t m = kl < bl ? kl : bl;
    int c = memcmp(k, b, m);
    if (c)
        return c;
    return kl < bl ? -1 : 0;
}

/* The smallest byte string greater than every string that starts with p (n = 0: none). */
static size_t successor(const uint8_t *p, size_t n, uint8_t *out)
{
    memcpy(out, p, n);
    while (n > 0 && out[n - 1] == 0xFF)
        n--;
    if (n)
        out[n - 1]++;
    return n;
}

static int dup_bytes(const uint8_t *p, size_t n, uint8_t **out)
{
    *out = NULL;
    if (!p)
        return 0;
    *out = malloc(n ? n : 1);
    if (!*out)
        return -1;
    memcpy(*out, p, n);
    return 0;
}

int tw_iscan_start(tw_iscan *sc, const uint8_t *lo, size_t lolen, int lo_incl, const uint8_t *hi,
                   size_t hilen, int hi_incl, int reverse, nq_err *e)
{
    free(sc->lo);
    free(sc->hi);
    sc->lo = sc->hi = NULL;
    if (dup_bytes(lo, lolen, &sc->lo) || dup_bytes(hi, hilen, &sc->hi))
        return oom(e);
    sc->lolen = lolen;
    sc->hilen = hilen;
    sc->lo_incl = lo_incl;
    sc->hi_incl = hi_incl;
    sc->reverse = reverse;
    sc->started = 1;
    sc->first = 1;
    sc->done = 0;
    int rc;
    /* position on the first entry in walking order (the bound checks in next do the rest) */
    const uint8_t *b = reverse ? sc->hi : sc->lo;
    size_t bl = reverse ? hilen : lolen;
    int incl = reverse ? hi_incl : lo_incl;
    if (!b) {
        rc = reverse ? nq_cursor_last(sc->c) : nq_cursor_first(sc->c);
    } else {
        /* forward, inclusive: first >= b; forward, exclusive: first >= succ(b);
         * reverse, inclusive: last < succ(b); reverse, exclusive: last < b */
        uint8_t *tmp = malloc(bl ? bl : 1);
        if (!tmp)
            return oom(e);
        size_t tl = bl;
        const uint8_t *target = b;
        int after_all = 0;
        if (reverse == incl) { /* need the successor */
            tl = successor(b, bl, tmp);
            target = tmp;
            after_all = tl == 0;
        }
        if (after_all) {
            rc = reverse ? nq_cursor_last(sc->c) : NQ_ENOTFOUND;
        } else {
            rc = nq_cursor_seek(sc->c, target, tl, NQ_SEEK_GE);
            if (reverse) {
                if (rc == 0)
                    rc = nq_cursor_prev(sc->c);
                else if (rc == NQ_ENOTFOUND)
                    rc = nq_cursor_last(sc->c);
            }
        }
        free(tmp);
    }
    if (rc == NQ_ENOTFOUND) {
        sc->done = 1;
        return 0;
    }
    return rc ? db_err(sc->s, rc, e) : 0;
}

int tw_iscan_next(tw_iscan *sc, int64_t *rowid, sqlv *vals, nq_err *e)
{
    int rc;
    if (!sc->started && (rc = tw_iscan_start(sc, NULL, 0, 1, NULL, 0, 1, 0, e)))
        return rc;
    if (sc->done)
        return 0;
    if (!sc->first || !nq_cursor_valid(sc->c)) {
        rc = sc->reverse ? nq_cursor_prev(sc->c) : nq_cursor_next(sc->c);
        if (rc == NQ_ENOTFOUND) {
            sc->done = 1;
            return 0;
        }
        if (rc)
            return db_err(sc->s, rc, e);
    }
    sc->first = 0;
    size_t kl;
    const uint8_t *k = nq_cursor_key(sc->c, &kl);
    if (!k) {
        sc->done = 1;
        return 0;
    }
    /* the far bound */
    if (!sc->reverse && sc->hi) {
        int c = pcmp(k, kl, sc->hi, sc->hilen);
        if (c > 0 || (c == 0 && !sc->hi_incl)) {
            sc->done = 1;
            return 0;
        }
    }
    if (sc->reverse && sc->lo) {
        int c = pcmp(k, kl, sc->lo, sc->lolen);
        if (c < 0 || (c == 0 && !sc->lo_incl)) {
            sc->done = 1;
            return 0;
        }
    }
    cat_index *ix = sc->ix;
    sqlv tmp[32];
    sqlv *out = vals ? vals : tmp;
    size_t used = 0;
    rc = key_decode(k, kl, ix->kcols, sc->types, ix->ncols, out, &used, e);
    if (rc)
        return nq_err_prefix(e, NQ_ECORRUPT, "index \"%s\"", ix->name);
    if (!vals)
        for (int j = 0; j < ix->ncols; j++)
            sqlv_clear(&tmp[j]);
    rc = key_rowid(k + used, kl - used, rowid, e);
    if (rc && vals)
        for (int j = 0; j < ix->ncols; j++)
            sqlv_clear(&vals[j]);
    return rc ? rc : 1;
}

void tw_iscan_close(tw_iscan *sc)
{
    if (!sc)
        return;
    nq_cursor_close(sc->c);
    free(sc->lo);
    free(sc->hi);
    free(sc);
}

/* ---- bulk ------------------------------------------------------------------------------- */

int tw_index_build(sql_session *s, cat_index *ix, nq_err *e)
{
    cat_table *t = ix->table;
    tw_scan *sc;
    int rc = tw_scan_open(s, t, &sc, e);
    if (rc)
        return rc;
    sqlv *row = malloc((size_t)t->ncols * sizeof *row);
    key_buf kb = {0};
    if (!row)
        rc = oom(e);
    int64_t rowid;
    while (!rc && (rc = tw_scan_next(sc, &rowid, row, e)) == 1) {
        size_t plen;
        int has_null;
        if ((rc = index_key(ix, row, rowid, &kb, &plen, &has_null, e)))
            break;
        if (ix->unique && !has_null) {
            int64_t other;
            rc = unique_conflict(s, ix, kb.p, plen, &rowid, &other, e);
            if (rc < 0)
                break;
            if (rc) {
                rc = nq_err_set(e, NQ_ECONSTRAINT, "could not create unique index \"%s\": key is duplicated",
                                ix->name);
                break;
            }
        }
        rc = index_put(s, ix, &kb, e);
    }
    free(kb.p);
    free(row);
    tw_scan_close(sc);
    return rc;
}

/* Delete every entry of a tree (first key, again and again: deletes move the cursor). */
static int clear_tree(sql_session *s, nq_tree *t, int64_t *count, nq_err *e)
{
    nq_cursor *c;
    int rc = nq_cursor_open(t, &c);
    if (rc)
        return db_err(s, rc, e);
    int64_t n = 0;
    uint8_t *k = NULL;
    size_t cap = 0;
    while ((rc = nq_cursor_first(c)) == 0) {
        size_t kl;
        const void *kp = nq_cursor_key(c, &kl);
        if (!kp) {
            rc = db_err(s, NQ_ECORRUPT, e);
            break;
        }
        if (kl > cap) {
            uint8_t *nk = realloc(k, kl);
            if (!nk) {
                rc = oom(e);
                break;
            }
            k = nk;
            cap = kl;
        }
        memcpy(k, kp, kl);
        if ((rc = tw_del(s, t, k, kl, e)))
            break;
        n++;
    }
    free(k);
    nq_cursor_close(c);
    if (rc == NQ_ENOTFOUND)
        rc = 0;
    else if (rc && !(e && e->code))
        rc = db_err(s, rc, e);
    if (count)
        *count = n;
    return rc;
}

int tw_truncate(sql_session *s, cat_table *t, int64_t *deleted, nq_err *e)
{
    int64_t n = 0;
    int rc = clear_tree(s, t->handle, &n, e);
    for (int i = 0; i < t->nidx && !rc; i++)
        rc = clear_tree(s, t->idx[i]->handle, NULL, e);
    if (deleted)
        *deleted = n;
    return rc;
}
