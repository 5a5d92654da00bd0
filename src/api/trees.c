/*
 * trees.c — named trees over the catalog, key/value calls, sequences and cursors.
 *
 * The catalog tree maps a name to (root page, last committed sequence value). Its own root
 * is created by the first write that needs it and lives in header meta slot 0; meta slot 1
 * is a schema cookie bumped by every create and drop, so an nq_tree handle re-reads its root
 * only when the catalog may have changed.
 *
 * Sequences: the committed value is in the catalog record, written in the same transaction
 * that takes the value, so a crash can only forget values of transactions that never
 * committed. The engine also keeps a per-tree in-memory high-water mark, so a value handed
 * out in a transaction that then rolled back is not handed out again while the database is
 * open.
 */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/endian.h"

#define CAT_REC 12

static int catalog_root(pager_txn *t, int create, uint32_t *root)
{
    *root = (uint32_t)pager_meta(t, META_SCHEMA_ROOT);
    if (*root || !create)
        return 0;
    int rc = btree_create(t, root);
    if (!rc)
        rc = pager_set_meta(t, META_SCHEMA_ROOT, *root);
    return rc;
}

int api_catalog_get(pager_txn *t, const char *name, uint32_t *root, uint64_t *seq)
{
    uint32_t cat;
    int rc = catalog_root(t, 0, &cat);
    if (rc)
        return rc;
    if (!cat)
        return NQ_ENOTFOUND;
    void *v = NULL;
    size_t vl = 0;
    rc = btree_get(t, cat, name, strlen(name), &v, &vl);
    if (rc)
        return rc;
    if (vl != CAT_REC) {
        free(v);
        return nq_err_set(pager_txn_err(t), NQ_ECORRUPT, "catalog entry for \"%s\" is damaged",
                          name);
    }
    *root = get_u32(v);
    if (seq)
        *seq = get_u64((uint8_t *)v + 4);
    free(v);
    return 0;
}

int api_catalog_put(pager_txn *t, const char *name, uint32_t root, uint64_t seq, int flags)
{
    uint32_t cat;
    int rc = catalog_root(t, 1, &cat);
    if (rc)
        return rc;
    uint8_t rec[CAT_REC];
    put_u32(rec, root);
    put_u64(rec + 4, seq);
    return btree_put(t, cat, name, strlen(name), rec, sizeof rec, flags);
}

static int bump_cookie(pager_txn *t)
{
    return pager_set_meta(t, META_SCHEMA_COOKIE, pager_meta(t, META_SCHEMA_COOKIE) + 1);
}

static int valid_name(nq_db *db, const char *name)
{
    if (!name || !*name)
        return nq_err_set(&db->err, NQ_EINVAL, "tree name is empty");
    size_t n = strlen(name);
    if (n > 255)
        return nq_err_set(&db->err, NQ_EINVAL, "tree name longer than 255 bytes");
    return 0;
}

int nq_tree_open(nq_db *db, const char *name, int flags, nq_tree **out)
{
    *out = NULL;
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    nq_err_clear(&db->err);
    int rc = valid_name(db, name);
    if (rc)
        return rc;
    nq_tree *tr = calloc(1, sizeof *tr);
    if (!tr || !(tr->name = strdup(name))) {
        free(tr);
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    }
    tr->db = db;
    pager_txn *t;
    int ac;
    /* look first in a read transaction; create only if needed */
    if (!(rc = api_txn_begin(db, 0, &t, &ac))) {
        rc = api_catalog_get(t, name, &tr->root, NULL);
        tr->cookie = pager_meta(t, META_SCHEMA_COOKIE);
        if (rc == NQ_ENOTFOUND) {
            nq_err_clear(pager_txn_err(t));
            if (ac)
                pager_rollback(t);
            if (!(flags & NQ_TREE_CREATE)) {
                rc = nq_err_set(&db->err, NQ_ENOTFOUND, "no tree named \"%s\"", name);
                goto out;
            }
            if (!ac && !pager_txn_is_write(t) && !db->ct) {
                rc = nq_err_set(&db->err, NQ_EREADONLY, "cannot create \"%s\" in a read transaction",
                                name);
                goto out;
            }
            if ((rc = api_txn_begin(db, 1, &t, &ac)))
                goto out;
            rc = api_catalog_get(t, name, &tr->root, NULL); /* someone may have won the race */
            if (rc == NQ_ENOTFOUND) {
                nq_err_clear(pager_txn_err(t));
                rc = btree_create(t, &tr->root);
                if (!rc)
                    rc = api_catalog_put(t, name, tr->root, 0, BTREE_NOOVERWRITE);
                if (!rc)
                    rc = bump_cookie(t);
            }
            tr->cookie = pager_meta(t, META_SCHEMA_COOKIE);
            rc = api_txn_end(db, t, ac, rc);
        } else {
            rc = api_txn_end(db, t, ac, rc);
        }
    }
out:
    if (rc) {
        free(tr->name);
        free(tr);
        return rc;
    }
    *out = tr;
    return 0;
}

void nq_tree_close(nq_tree *tr)
{
    if (!tr)
        return;
    free(tr->name);
    free(tr);
}

int api_tree_resolve(nq_tree *tr, pager_txn *t)
{
    uint64_t cookie = pager_meta(t, META_SCHEMA_COOKIE);
    if (cookie == tr->cookie && tr->root)
        return 0;
    int rc = api_catalog_get(t, tr->name, &tr->root, NULL);
    if (rc == NQ_ENOTFOUND) {
        tr->root = 0;
        return nq_err_set(pager_txn_err(t), NQ_ENOTFOUND, "tree \"%s\" was dropped", tr->name);
    }
    if (!rc)
        tr->cookie = cookie;
    return rc;
}

int nq_tree_drop(nq_db *db, const char *name)
{
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    int rc = valid_name(db, name);
    if (rc)
        return rc;
    pager_txn *t;
    int ac;
    if ((rc = api_txn_begin(db, 1, &t, &ac)))
        return rc;
    uint32_t root, cat;
    rc = api_catalog_get(t, name, &root, NULL);
    if (rc == NQ_ENOTFOUND)
        rc = nq_err_set(pager_txn_err(t), NQ_ENOTFOUND, "no tree named \"%s\"", name);
    if (!rc)
        rc = btree_drop(t, root);
    if (!rc) {
        /* The root page goes back to the free list and a tree created later may get it: its
         * sequence must start afresh, not continue this tree's high-water mark. */
        nq_engine *eng = db->eng;
        pthread_mutex_lock(&eng->mu);
        for (size_t i = 0; i < eng->nmarks; i++)
            if (eng->marks[i].root == root) {
                eng->marks[i] = eng->marks[--eng->nmarks];
                break;
            }
        for (size_t i = 0; i < eng->nclaims; i++)
            if (eng->claims[i].root == root) {
                eng->claims[i] = eng->claims[--eng->nclaims];
                break;
            }
        pthread_mutex_unlock(&eng->mu);
    }
    if (!rc)
        rc = catalog_root(t, 0, &cat);
    if (!rc)
        rc = btree_del(t, cat, name, strlen(name));
    if (!rc)
        rc = bump_cookie(t);
    return api_txn_end(db, t, ac, rc);
}

int nq_tree_list(nq_db *db, void (*fn)(void *arg, const char *name), void *arg)
{
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    pager_txn *t;
    int ac, rc = api_txn_begin(db, 0, &t, &ac);
    if (rc)
        return rc;
    uint32_t cat;
    rc = catalog_root(t, 0, &cat);
    if (!rc && cat) {
        btcursor *c;
        rc = btree_cursor_open(t, cat, &c);
        if (!rc) {
            char name[256];
            for (rc = btree_cursor_first(c); rc == 0; rc = btree_cursor_next(c)) {
                size_t kl;
                const void *k = btree_cursor_key(c, &kl);
                if (kl > 255)
                    kl = 255;
                memcpy(name, k, kl);
                name[kl] = 0;
                fn(arg, name);
            }
            if (rc == NQ_ENOTFOUND)
                rc = 0;
            btree_cursor_close(c);
        }
    }
    return api_txn_end(db, t, ac, rc);
}

size_t nq_max_key(const nq_db *db)
{
    return db && db->eng->pager ? btree_max_key(db->eng->pager) : 0;
}

/* Begin the call's transaction and resolve the tree's root in it. */
static int tree_txn(nq_tree *tr, int write, pager_txn **t, int *ac)
{
    if (!tr || !tr->db || !tr->db->eng->pager)
        return NQ_EMISUSE;
    int rc = api_txn_begin(tr->db, write, t, ac);
    if (rc)
        return rc;
    rc = api_tree_resolve(tr, *t);
    if (rc) {
        api_txn_end(tr->db, *t, *ac, rc);
        return rc;
    }
    return 0;
}

int nq_put(nq_tree *tr, const void *key, size_t klen, const void *val, size_t vlen, int flags)
{
    if (tr && tr->db && tr->db->ct)
        return ctxn_put(tr, key, klen, val, vlen, flags);
    pager_txn *t;
    int ac, rc = tree_txn(tr, 1, &t, &ac);
    if (rc)
        return rc;
    if (klen == 0)
        rc = nq_err_set(pager_txn_err(t), NQ_EINVAL, "empty key");
    else if (flags & ~NQ_PUT_NOOVERWRITE)
        rc = nq_err_set(pager_txn_err(t), NQ_EINVAL, "unknown flags 0x%x", flags);
    else
        rc = btree_put(t, tr->root, key, klen, val, vlen,
                       (flags & NQ_PUT_NOOVERWRITE) ? BTREE_NOOVERWRITE : 0);
    if (!rc)
        api_x_wrote(tr->db, tr->name, key, klen);
    return api_txn_end(tr->db, t, ac, rc);
}

int nq_get(nq_tree *tr, const void *key, size_t klen, void **val, size_t *vlen)
{
    if (tr && tr->db && tr->db->ct)
        return ctxn_get(tr, key, klen, val, vlen);
    pager_txn *t;
    int ac, rc = tree_txn(tr, 0, &t, &ac);
    if (rc)
        return rc;
    rc = btree_get(t, tr->root, key, klen, val, vlen);
    if (rc == NQ_ENOTFOUND)
        nq_err_set_str(pager_txn_err(t), rc, "key not found");
    return api_txn_end(tr->db, t, ac, rc);
}

int nq_del(nq_tree *tr, const void *key, size_t klen)
{
    if (tr && tr->db && tr->db->ct)
        return ctxn_del(tr, key, klen);
    pager_txn *t;
    int ac, rc = tree_txn(tr, 1, &t, &ac);
    if (rc)
        return rc;
    rc = btree_del(t, tr->root, key, klen);
    if (!rc)
        api_x_wrote(tr->db, tr->name, key, klen);
    if (rc == NQ_ENOTFOUND)
        nq_err_set_str(pager_txn_err(t), rc, "key not found");
    return api_txn_end(tr->db, t, ac, rc);
}

int nq_tree_count(nq_tree *tr, uint64_t *out)
{
    if (tr && tr->db && tr->db->ct)
        return ctxn_count(tr, out);
    pager_txn *t;
    int ac, rc = tree_txn(tr, 0, &t, &ac);
    if (rc)
        return rc;
    rc = btree_count(t, tr->root, out);
    return api_txn_end(tr->db, t, ac, rc);
}

int nq_tree_estimate(nq_tree *tr, uint64_t *out)
{
    if (tr && tr->db && tr->db->ct)
        return ctxn_estimate(tr, out);
    pager_txn *t;
    int ac, rc = tree_txn(tr, 0, &t, &ac);
    if (rc)
        return rc;
    rc = btree_estimate(t, tr->root, out);
    return api_txn_end(tr->db, t, ac, rc);
}

seq_mark *api_seq_mark(nq_engine *eng, uint32_t root)
{
    for (size_t i = 0; i < eng->nmarks; i++)
        if (eng->marks[i].root == root)
            return &eng->marks[i];
    if (eng->nmarks == eng->cmarks) {
        size_t nc = eng->cmarks ? eng->cmarks * 2 : 8;
        seq_mark *nm = realloc(eng->marks, nc * sizeof *nm);
        if (!nm)
            return NULL;
        eng->marks = nm;
        eng->cmarks = nc;
    }
    seq_mark *m = &eng->marks[eng->nmarks++];
    m->root = root;
    m->value = 0;
    return m;
}

int nq_seq_next(nq_tree *tr, uint64_t *out)
{
    if (tr && tr->db && tr->db->ct)
        return ctxn_seq_next(tr, out);
    pager_txn *t;
    int ac, rc = tree_txn(tr, 1, &t, &ac);
    if (rc)
        return rc;
    uint32_t root;
    uint64_t committed = 0;
    rc = api_catalog_get(t, tr->name, &root, &committed);
    if (!rc) {
        nq_engine *eng = tr->db->eng;
        pthread_mutex_lock(&eng->mu);
        seq_mark *m = api_seq_mark(eng, root);
        if (!m) {
            rc = nq_err_set(pager_txn_err(t), NQ_ENOMEM, "out of memory");
        } else {
            uint64_t v = (m->value > committed ? m->value : committed) + 1;
            m->value = v;
            *out = v;
        }
        pthread_mutex_unlock(&eng->mu);
        if (!rc)
            rc = api_catalog_put(t, tr->name, root, *out, 0);
    }
    return api_txn_end(tr->db, t, ac, rc);
}

/* ---- cursors ------------------------------------------------------------------------------ */

int nq_cursor_open(nq_tree *tr, nq_cursor **out)
{
    *out = NULL;
    if (!tr || !tr->db->eng->pager)
        return NQ_EMISUSE;
    nq_db *db = tr->db;
    nq_err_clear(&db->err);
    nq_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return nq_err_set(&db->err, NQ_ENOMEM, "out of memory");
    int rc;
    if (db->ct) {
        /* a merge cursor: the write set over the transaction's current snapshot */
        db->ct->touched = 1;
        c->ct = db->ct;
        c->snap = db->ct->snap;
        c->snap->refs++;
        c->txn = c->snap->t;
    } else if (db->txn) {
        c->txn = db->txn;
    } else {
        rc = pager_begin(db->eng->pager, 0, 0, &c->txn, &db->err);
        if (rc) {
            free(c);
            return rc;
        }
        c->own_txn = 1;
    }
    c->tree = tr;
    rc = api_tree_resolve(tr, c->txn);
    if (!rc)
        rc = btree_cursor_open(c->txn, tr->root, &c->bc);
    if (rc) {
        api_fail(db, c->txn, rc);
        if (c->own_txn)
            pager_rollback(c->txn);
        if (c->ct)
            mcur_close(c);
        free(c);
        return rc;
    }
    c->next = db->cursors;
    if (db->cursors)
        db->cursors->prev = c;
    db->cursors = c;
    *out = c;
    return 0;
}

void nq_cursor_close(nq_cursor *c)
{
    if (!c)
        return;
    nq_db *db = c->tree->db;
    if (c->bc)
        btree_cursor_close(c->bc);
    c->bc = NULL;
    if (c->ct)
        mcur_close(c);
    if (c->own_txn)
        pager_rollback(c->txn);
    if (c->prev)
        c->prev->next = c->next;
    else
        db->cursors = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

static int cursor_rc(nq_cursor *c, int rc)
{
    nq_db *db = c->tree->db;
    nq_err_clear(&db->err);
    if (rc == NQ_ENOTFOUND)
        return nq_err_set_str(&db->err, rc, "no entry there");
    return api_fail(db, c->txn, rc);
}

#define CURSOR_LIVE(c)                                                                           \
    do {                                                                                         \
        if (!(c))                                                                                \
            return NQ_EMISUSE;                                                                   \
        if ((c)->dead)                                                                           \
            return nq_err_set(&(c)->tree->db->err, NQ_EMISUSE,                                   \
                              "cursor used after its transaction ended");                        \
    } while (0)

int nq_cursor_first(nq_cursor *c)
{
    CURSOR_LIVE(c);
    if (c->ct)
        return mcur_first(c);
    return cursor_rc(c, btree_cursor_first(c->bc));
}

int nq_cursor_last(nq_cursor *c)
{
    CURSOR_LIVE(c);
    if (c->ct)
        return mcur_last(c);
    return cursor_rc(c, btree_cursor_last(c->bc));
}

int nq_cursor_next(nq_cursor *c)
{
    CURSOR_LIVE(c);
    if (c->ct)
        return mcur_next(c);
    return cursor_rc(c, btree_cursor_next(c->bc));
}

int nq_cursor_prev(nq_cursor *c)
{
    CURSOR_LIVE(c);
    if (c->ct)
        return mcur_prev(c);
    return cursor_rc(c, btree_cursor_prev(c->bc));
}

int nq_cursor_seek(nq_cursor *c, const void *key, size_t klen, int how)
{
    CURSOR_LIVE(c);
    if (how != NQ_SEEK_GE && how != NQ_SEEK_LE && how != NQ_SEEK_EQ)
        return nq_err_set(&c->tree->db->err, NQ_EINVAL, "seek mode %d is not NQ_SEEK_GE/LE/EQ", how);
    if (c->ct)
        return mcur_seek(c, key, klen, how);
    return cursor_rc(c, btree_cursor_seek(c->bc, key, klen, how));
}

int nq_cursor_valid(const nq_cursor *c)
{
    if (!c || c->dead)
        return 0;
    return c->ct ? mcur_valid(c) : btree_cursor_valid(c->bc);
}

const void *nq_cursor_key(nq_cursor *c, size_t *klen)
{
    if (!c || c->dead) {
        *klen = 0;
        return NULL;
    }
    if (c->ct)
        return mcur_key(c, klen);
    return btree_cursor_key(c->bc, klen);
}

const void *nq_cursor_value(nq_cursor *c, size_t *vlen)
{
    if (!c || c->dead) {
        *vlen = 0;
        return NULL;
    }
    if (c->ct)
        return mcur_value(c, vlen);
    nq_db *db = c->tree->db;
    nq_err_clear(&db->err);
    nq_err_clear(pager_txn_err(c->txn));
    const void *v = btree_cursor_value(c->bc, vlen);
    if (!v) {
        int code = pager_txn_err(c->txn)->code;
        if (code)
            api_fail(db, c->txn, code);
        else
            nq_err_set(&db->err, NQ_EMISUSE, "the cursor is not on an entry");
    }
    return v;
}
