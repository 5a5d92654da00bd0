/*
 * btree_codec.c — marking a whole tree for the page codec (COMPRESS TABLE ... USING DNA,
 * docs/dna.md "The page codec"), and visiting its pages for statistics.
 *
 * The mark is bit 0 of byte 1 of every page of the tree — interior, leaf and overflow pages
 * (btree_int.h; pgcodec.h PGCODEC_PAGE_FLAG). Setting it dirties each page whose bit changes
 * inside the caller's write transaction, so at commit every page of the tree goes to the log
 * and, at checkpoint, to the file in its new form: the change is as atomic as any other
 * transaction. Pages that operations create later inherit the root's bit (btree.c,
 * btree_balance.c).
 */
#include "btree_int.h"

#include <stdlib.h>

/* Visit (and set or clear the mark of) page pgno, a tree page or (ovfl) an overflow page. */
static int cm_page(bt_ctx *x, uint32_t pgno, int ovfl, int mode, btree_page_fn fn, void *arg)
{
    pg *p;
    int rc = ovfl ? pager_get(x->t, pgno, &p) : bt_get(x, pgno, &p);
    if (rc)
        return rc;
    uint8_t want = mode == BTREE_CODEC_ON ? PGCODEC_PAGE_FLAG : 0;
    if (mode != BTREE_CODEC_VISIT && (p->data[1] & PGCODEC_PAGE_FLAG) != want) {
        if ((rc = pager_write(x->t, &p))) {
            pager_unref(x->t, p);
            return rc;
        }
        p->data[1] = (uint8_t)((p->data[1] & ~PGCODEC_PAGE_FLAG) | want);
    }
    if (fn)
        fn(arg, pgno, p->data, pager_page_size(pager_txn_pager(x->t)));
    pager_unref(x->t, p);
    return 0;
}

static int cm_ovfl(bt_ctx *x, uint32_t first, uint64_t spilled, int mode, btree_page_fn fn,
                   void *arg, uint64_t *budget)
{
    uint64_t npg = bt_ovfl_pages(x->usable, spilled);
    uint32_t pgno = first;
    for (uint64_t i = 0; i < npg; i++) {
        if (pgno < 2 || *budget == 0)
            return bt_corrupt(x, pgno, "overflow chain of tree %u ends early", x->root);
        (*budget)--;
        pg *p;
        int rc = pager_get(x->t, pgno, &p);
        if (rc)
            return rc;
        uint8_t ty = p->data[0];
        uint32_t next = get_u32(p->data + 4);
        pager_unref(x->t, p);
        if (ty != PGTYPE_OVERFLOW)
            return bt_corrupt(x, pgno, "expected an overflow page, found type %u", ty);
        if ((rc = cm_page(x, pgno, 1, mode, fn, arg)))
            return rc;
        pgno = next;
    }
    return 0;
}

static int cm_walk(bt_ctx *x, uint32_t pgno, int depth, int mode, btree_page_fn fn, void *arg,
                   uint64_t *budget)
{
    if (depth >= BT_MAX_DEPTH || *budget == 0)
        return bt_corrupt(x, pgno, "tree %u has a cycle or is too deep", x->root);
    (*budget)--;
    int rc = cm_page(x, pgno, 0, mode, fn, arg);
    if (rc)
        return rc;
    pg *p;
    if ((rc = bt_get(x, pgno, &p)))
        return rc;
    const uint8_t *d = p->data;
    uint32_t U = x->usable, n = bt_ncell(d);
    uint32_t *kids = malloc((size_t)(n + 1) * (bt_is_leaf(d) ? 2 * sizeof(uint64_t) : sizeof(uint32_t)));
    if (!kids) {
        pager_unref(x->t, p);
        return bt_nomem(x);
    }
    int leaf = bt_is_leaf(d);
    uint64_t *ov = (uint64_t *)(void *)kids; /* leaf: (first page, spilled bytes) pairs */
    uint32_t nov = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t off = bt_cell_off(d, U, i);
        if (leaf) {
            bt_leafcell c;
            if (!off || bt_leaf_parse(d + off, d + U, U, &c))
                rc = bt_corrupt(x, pgno, "cell %u out of bounds", i);
            else if (c.ovfl) {
                ov[2 * nov] = c.ovfl;
                ov[2 * nov + 1] = c.vl - c.local;
                nov++;
            }
        } else {
            uint32_t sz;
            const uint8_t *k;
            size_t kl;
            if (!off || bt_int_parse(d + off, d + U, U, &kids[i], &k, &kl, &sz))
                rc = bt_corrupt(x, pgno, "cell %u out of bounds", i);
        }
    }
    if (!leaf)
        kids[n] = bt_right(d);
    pager_unref(x->t, p);
    if (leaf)
        for (uint32_t i = 0; i < nov && !rc; i++)
            rc = cm_ovfl(x, (uint32_t)ov[2 * i], ov[2 * i + 1], mode, fn, arg, budget);
    else
        for (uint32_t i = 0; i <= n && !rc; i++)
            rc = cm_walk(x, kids[i], depth + 1, mode, fn, arg, budget);
    free(kids);
    return rc;
}

int btree_codec_mark(pager_txn *t, uint32_t root, int mode, btree_page_fn fn, void *arg)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    if (mode != BTREE_CODEC_VISIT && !pager_txn_is_write(t))
        return nq_err_set(x.err, NQ_EREADONLY, "btree_codec_mark: not in a write transaction");
    uint64_t budget = pager_page_count(t);
    int rc = cm_walk(&x, root, 0, mode, fn, arg, &budget);
    bt_ctx_done(&x);
    return rc;
}
