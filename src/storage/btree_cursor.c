/*
 * btree_cursor.c — ordered iteration and positioned access over one tree.
 *
 * A cursor keeps the path from the root to its leaf (page number and index at each level,
 * the same bt_ctx path the modifying operations use), so stepping to the next entry is an
 * index increment inside the leaf and, once per leaf, a climb to the nearest ancestor with a
 * further child and a descent along left-most children: O(1) amortised page fetches.
 *
 * Two modes, fixed by the transaction:
 *
 *   read transaction   nothing can change underneath, so the cursor keeps its current leaf
 *                      pinned between calls and hands out pointers straight into the page.
 *   write transaction  the tree may be changed through other paths between calls, so the
 *                      cursor keeps a copy of its key and trusts its position only while
 *                      nothing has changed. It keeps its leaf pinned between calls together
 *                      with the transaction's modification counter (pager_txn_mods). If the
 *                      counter is the same at the next call, no page of the transaction has
 *                      been written, allocated or freed since, so the pinned leaf, the path and
 *                      the index are exactly as they were and the call goes on at once (a scan
 *                      or a run of seeks inside a read-only stretch of a write transaction
 *                      then costs what it costs in a read transaction). If the counter moved,
 *                      the pin may show old bytes (pager_write gives the writer a new copy),
 *                      so it is dropped and the position revalidated: the root page carries a
 *                      counter that every rebalance bumps (bt_finish); if it is unchanged the
 *                      path is still right, and a look at the leaf tells whether the saved key
 *                      is still at the saved index (changes that stay inside one leaf do not
 *                      bump the counter). Otherwise the cursor re-seeks to its saved key. The
 *                      kept pin is harmless to writers: the pager neither spills nor drops a
 *                      referenced page, and the API closes cursors before a transaction ends.
 *
 * States: INVALID (not on an entry; next/prev report NQ_ENOTFOUND), VALID (on the entry whose
 * key is saved), BETWEEN (the saved key was deleted: idx is where it would be, so the next
 * entry is at idx and the previous at idx-1). btree_cursor_del leaves BETWEEN behind, which
 * is what lets a loop of "delete; next" visit every entry exactly once.
 */
#include <stdlib.h>

#include "btree_int.h"

enum { CUR_INVALID, CUR_VALID, CUR_BETWEEN };

struct btcursor {
    bt_ctx x;             /* transaction, root, usable size, path, root counter */
    int state;
    int write;            /* write transaction: revalidate when the transaction wrote */
    int reseek;           /* path known stale (we rebalanced): re-seek before use */
    uint64_t mods;        /* write mode: pager_txn_mods when leaf was last known current */
    pg *leaf;             /* the referenced leaf, if any (kept across calls) */
    const uint8_t *kp;    /* current key: into leaf (read mode) or kbuf */
    size_t kl;
    uint8_t *kbuf;
    size_t kcap;
    uint8_t *vbuf;
    size_t vcap;
};

static void cur_unpin(btcursor *c)
{
    if (c->leaf) {
        pager_unref(c->x.t, c->leaf);
        c->leaf = NULL;
    }
}

/* End of a public call: keep the leaf referenced if the cursor is on an entry, and in write
 * mode remember the modification counter that vouches for it. */
static int cur_done(btcursor *c, int rc)
{
    if (rc && rc != NQ_ENOTFOUND)
        c->state = CUR_INVALID;
    if (c->state == CUR_INVALID)
        cur_unpin(c);
    else if (c->write)
        c->mods = pager_txn_mods(c->x.t);
    return rc;
}

static uint32_t cur_leafidx(const btcursor *c) { return c->x.idx[c->x.depth - 1]; }

/* Make (leaf, idx) the current entry: decode its key (saving a copy in write mode). */
static int cur_set(btcursor *c)
{
    uint32_t U = c->x.usable, i = cur_leafidx(c), off;
    const uint8_t *d = c->leaf->data, *k;
    size_t kl;
    if (i >= bt_ncell(d) || !(off = bt_cell_off(d, U, i)) || bt_leaf_key(d + off, d + U, &k, &kl))
        return bt_corrupt(&c->x, c->leaf->pgno, "cell %u out of bounds", i);
    if (c->write) {
        if (kl > c->kcap) {
            uint8_t *nb = realloc(c->kbuf, kl);
            if (!nb)
                return bt_nomem(&c->x);
            c->kbuf = nb;
            c->kcap = kl;
        }
        if (kl && c->kbuf != k)
            memcpy(c->kbuf, k, kl);
        k = c->kbuf;
    }
    c->kp = k;
    c->kl = kl;
    c->state = CUR_VALID;
    return 0;
}

/* Descend from page pgno at level lvl along left-most (or right-most) children to a leaf,
 * which becomes the referenced leaf with idx 0 (or n-1). */
static int cur_down(btcursor *c, uint32_t pgno, int lvl, int rightmost)
{
    bt_ctx *x = &c->x;
    uint32_t U = x->usable;
    cur_unpin(c);
    for (;; lvl++) {
        if (lvl >= BT_MAX_DEPTH)
            return bt_corrupt(x, pgno, "tree %u is deeper than %d levels (cycle?)", x->root,
                              BT_MAX_DEPTH);
        pg *p;
        int rc = bt_get(x, pgno, &p);
        if (rc)
            return rc;
        const uint8_t *d = p->data;
        uint32_t n = bt_ncell(d);
        if (lvl == 0)
            x->gen = get_u32(d + BT_OFF_GEN);
        x->pgno[lvl] = pgno;
        if (bt_is_leaf(d)) {
            x->idx[lvl] = rightmost && n ? n - 1 : 0;
            x->depth = lvl + 1;
            c->leaf = p;
            return 0;
        }
        uint32_t i = rightmost ? n : 0, off, child = bt_right(d), sz;
        const uint8_t *k;
        size_t kl;
        if (i < n && (!(off = bt_cell_off(d, U, i)) ||
                      bt_int_parse(d + off, d + U, U, &child, &k, &kl, &sz))) {
            pager_unref(x->t, p);
            return bt_corrupt(x, pgno, "cell %u out of bounds", i);
        }
        x->idx[lvl] = i;
        pager_unref(x->t, p);
        pgno = child;
    }
}

/* Move to the first entry of the next leaf (dir > 0) or the last of the previous one.
 * NQ_ENOTFOUND at either end of the tree. Skips empty leaves (only a damaged or transient
 * tree has them). */
static int cur_step_leaf(btcursor *c, int dir)
{
    bt_ctx *x = &c->x;
    uint32_t U = x->usable;
    uint64_t guard = pager_page_count(x->t) + 1;
    for (;;) {
        int L = x->depth - 2;
        for (; L >= 0; L--) {
            pg *p;
            int rc = bt_get(x, x->pgno[L], &p);
            if (rc)
                return rc;
            const uint8_t *d = p->data;
            uint32_t n = bt_ncell(d), i = x->idx[L];
            if (dir > 0 ? i < n : i > 0 && i <= n) {
                i = dir > 0 ? i + 1 : i - 1;
                uint32_t child = bt_right(d), off, sz;
                const uint8_t *k;
                size_t kl;
                if (i < n && (!(off = bt_cell_off(d, U, i)) ||
                              bt_int_parse(d + off, d + U, U, &child, &k, &kl, &sz))) {
                    pager_unref(x->t, p);
                    return bt_corrupt(x, x->pgno[L], "cell %u out of bounds", i);
                }
                x->idx[L] = i;
                pager_unref(x->t, p);
                if ((rc = cur_down(c, child, L + 1, dir < 0)))
                    return rc;
                break;
            }
            pager_unref(x->t, p);
        }
        if (L < 0) {
            cur_unpin(c);
            c->state = CUR_INVALID;
            return NQ_ENOTFOUND;
        }
        if (bt_ncell(c->leaf->data) > 0)
            return cur_set(c);
        if (--guard == 0)
            return bt_corrupt(x, x->root, "cursor walk does not end (cycle?)");
    }
}

/* Write mode: make sure the path, leaf and index still describe the saved position, and
 * reference the leaf. */
static int cur_revalidate(btcursor *c)
{
    bt_ctx *x = &c->x;
    if (c->state == CUR_INVALID)
        return 0;
    if (!c->write)
        return 0;
    if (c->leaf && !c->reseek && c->mods == pager_txn_mods(x->t))
        return 0; /* nothing was written since the last call: the pinned leaf is current */
    uint32_t U = x->usable;
    pg *r;
    int rc = bt_get(x, x->root, &r);
    if (rc)
        return rc;
    uint32_t gen = get_u32(r->data + BT_OFF_GEN);
    pager_unref(x->t, r);
    if (!c->reseek && gen == x->gen) {
        cur_unpin(c);
        if ((rc = bt_get(x, x->pgno[x->depth - 1], &c->leaf)))
            return rc;
        const uint8_t *d = c->leaf->data, *k;
        size_t kl;
        uint32_t n = bt_ncell(d), i = cur_leafidx(c), off;
        int ok = bt_is_leaf(d);
        if (ok && c->state == CUR_VALID) {
            ok = i < n && (off = bt_cell_off(d, U, i)) && !bt_leaf_key(d + off, d + U, &k, &kl) &&
                 !bt_keycmp(k, kl, c->kbuf, c->kl);
        } else if (ok) {
            ok = i <= n;
            if (ok && i < n)
                ok = (off = bt_cell_off(d, U, i)) && !bt_leaf_key(d + off, d + U, &k, &kl) &&
                     bt_keycmp(k, kl, c->kbuf, c->kl) > 0;
            if (ok && i > 0)
                ok = (off = bt_cell_off(d, U, i - 1)) &&
                     !bt_leaf_key(d + off, d + U, &k, &kl) && bt_keycmp(k, kl, c->kbuf, c->kl) < 0;
        }
        if (ok)
            return 0;
    }
    cur_unpin(c);
    c->reseek = 0;
    int found;
    if ((rc = bt_descend(x, c->kbuf, c->kl, &c->leaf, &found)))
        return rc;
    c->state = found ? CUR_VALID : CUR_BETWEEN;
    return 0;
}

int btree_cursor_open(pager_txn *t, uint32_t root, btcursor **out)
{
    btcursor *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return nq_err_set(pager_txn_err(t), NQ_ENOMEM, "out of memory opening a cursor");
    bt_ctx_init(&c->x, t, root);
    c->write = pager_txn_is_write(t);
    c->state = CUR_INVALID;
    *out = c;
    return 0;
}

void btree_cursor_close(btcursor *c)
{
    if (!c)
        return;
    cur_unpin(c);
    bt_ctx_done(&c->x);
    free(c->kbuf);
    free(c->vbuf);
    free(c);
}

int btree_cursor_valid(const btcursor *c) { return c->state == CUR_VALID; }

static int cur_end(btcursor *c, int last)
{
    c->state = CUR_INVALID;
    c->reseek = 0;
    int rc = cur_down(c, c->x.root, 0, last);
    if (rc)
        return cur_done(c, rc);
    if (bt_ncell(c->leaf->data) > 0)
        rc = cur_set(c);
    else if (c->x.depth == 1)
        rc = nq_err_set(c->x.err, NQ_ENOTFOUND, "tree is empty");
    else
        rc = cur_step_leaf(c, last ? -1 : 1);
    return cur_done(c, rc);
}

int btree_cursor_first(btcursor *c) { return cur_end(c, 0); }
int btree_cursor_last(btcursor *c) { return cur_end(c, 1); }

static int cur_move(btcursor *c, int dir)
{
    int rc = cur_revalidate(c);
    if (rc)
        return cur_done(c, rc);
    if (c->state == CUR_INVALID)
        return cur_done(c, nq_err_set(c->x.err, NQ_ENOTFOUND, "cursor is not on an entry"));
    if (!c->leaf && (rc = bt_get(&c->x, c->x.pgno[c->x.depth - 1], &c->leaf)))
        return cur_done(c, rc);
    uint32_t n = bt_ncell(c->leaf->data), *i = &c->x.idx[c->x.depth - 1];
    if (dir > 0) {
        if (c->state == CUR_VALID)
            (*i)++;
        rc = *i < n ? cur_set(c) : cur_step_leaf(c, 1);
    } else {
        rc = *i > 0 && *i <= n ? ((*i)--, cur_set(c)) : cur_step_leaf(c, -1);
    }
    return cur_done(c, rc);
}

int btree_cursor_next(btcursor *c) { return cur_move(c, 1); }
int btree_cursor_prev(btcursor *c) { return cur_move(c, -1); }

int btree_cursor_seek(btcursor *c, const void *k, size_t kl, int how)
{
    cur_unpin(c);
    c->state = CUR_INVALID;
    c->reseek = 0;
    if (how != NQ_SEEK_GE && how != NQ_SEEK_LE && how != NQ_SEEK_EQ)
        return nq_err_set(c->x.err, NQ_EINVAL, "btree_cursor_seek: bad mode %d", how);
    int found;
    int rc = bt_descend(&c->x, k, kl, &c->leaf, &found);
    if (rc)
        return cur_done(c, rc);
    uint32_t n = bt_ncell(c->leaf->data), *i = &c->x.idx[c->x.depth - 1];
    if (found)
        rc = cur_set(c);
    else if (how == NQ_SEEK_EQ)
        rc = nq_err_set(c->x.err, NQ_ENOTFOUND, "key not found");
    else if (how == NQ_SEEK_GE)
        rc = *i < n ? cur_set(c) : cur_step_leaf(c, 1);
    else
        rc = *i > 0 && *i <= n ? ((*i)--, cur_set(c)) : cur_step_leaf(c, -1);
    if (rc == NQ_ENOTFOUND)
        c->state = CUR_INVALID;
    return cur_done(c, rc);
}

const void *btree_cursor_key(btcursor *c, size_t *kl)
{
    if (c->state != CUR_VALID) {
        *kl = 0;
        return NULL;
    }
    *kl = c->kl;
    return c->kl ? c->kp : (const void *)"";
}

const void *btree_cursor_value(btcursor *c, size_t *vl)
{
    *vl = 0;
    if (c->state != CUR_VALID)
        return NULL;
    int rc = cur_revalidate(c);
    if (!rc && !c->leaf)
        rc = bt_get(&c->x, c->x.pgno[c->x.depth - 1], &c->leaf);
    if (rc || c->state != CUR_VALID) {
        cur_done(c, rc);
        return NULL;
    }
    uint32_t U = c->x.usable, i = cur_leafidx(c), off;
    const uint8_t *d = c->leaf->data;
    bt_leafcell cell;
    if (i >= bt_ncell(d) || !(off = bt_cell_off(d, U, i)) ||
        bt_leaf_parse(d + off, d + U, U, &cell)) {
        cur_done(c, bt_corrupt(&c->x, c->leaf->pgno, "cell %u out of bounds", i));
        return NULL;
    }
    const uint8_t *res = cell.val;
    if (cell.ovfl || c->write) {
        if (cell.vl > c->vcap) {
            uint8_t *nb = realloc(c->vbuf, (size_t)cell.vl);
            if (!nb) {
                cur_done(c, bt_nomem(&c->x));
                return NULL;
            }
            c->vbuf = nb;
            c->vcap = (size_t)cell.vl;
        }
        if (cell.local)
            memcpy(c->vbuf, cell.val, cell.local);
        if (cell.ovfl) {
            /* reading the chain needs no leaf reference, and overflow pages are never leaves */
            rc = bt_ovfl_read(&c->x, cell.ovfl, cell.vl - cell.local, c->vbuf + cell.local);
            if (rc) {
                cur_done(c, rc);
                return NULL;
            }
        }
        res = c->vbuf;
    }
    *vl = (size_t)cell.vl;
    cur_done(c, 0);
    return cell.vl ? res : (const void *)"";
}

int btree_cursor_del(btcursor *c)
{
    if (!c->write)
        return nq_err_set(c->x.err, NQ_EREADONLY, "btree_cursor_del: not in a write transaction");
    int rc = cur_revalidate(c);
    if (rc)
        return cur_done(c, rc);
    if (c->state != CUR_VALID)
        return cur_done(c, nq_err_set(c->x.err, NQ_ENOTFOUND, "cursor is not on an entry"));
    cur_unpin(c);
    c->x.structural = 0;
    c->x.append = 0;
    rc = bt_delete_at(&c->x);
    int structural = c->x.structural;
    if (!rc)
        rc = bt_finish(&c->x);
    bt_ctx_done(&c->x);
    if (rc)
        return cur_done(c, rc);
    /* the entry after the deleted one now sits at the same index, unless pages moved */
    c->state = CUR_BETWEEN;
    c->reseek = structural;
    return 0;
}
