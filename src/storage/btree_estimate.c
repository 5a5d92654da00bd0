/*
 * btree_estimate.c — a quick estimate of a tree's entry count, for the SQL planner.
 *
 * Counting exactly walks every page (btree_count); the planner only needs the order of
 * magnitude, at the cost of one root-to-leaf path: descend through the middle child of every
 * interior page, multiply the fan-outs met on the way (cells + 1) and the entry count of the
 * leaf reached. Trees kept balanced and 85% full (docs/btree.md) make one path representative;
 * the answer is exact for a tree of one page and within a small factor for larger ones, which is
 * all a cost model built on estimates can use. Never fails on a damaged page: the descent
 * reports NQ_ECORRUPT like any read.
 */
#include "storage/btree_int.h"

int btree_estimate(pager_txn *t, uint32_t root, uint64_t *rows)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    uint32_t pgno = root, U = x.usable;
    double est = 1;
    *rows = 0;
    for (int depth = 0; depth < BT_MAX_DEPTH; depth++) {
        pg *p;
        int rc = bt_get(&x, pgno, &p);
        if (rc)
            return rc;
        const uint8_t *d = p->data;
        uint32_t n = bt_ncell(d);
        if (bt_is_leaf(d)) {
            pager_unref(t, p);
            est *= n;
            *rows = est > 1e18 ? (uint64_t)1e18 : (uint64_t)est;
            return 0;
        }
        /* the middle child: cell n/2's child, or the right pointer past the last cell */
        uint32_t child = bt_right(d);
        if (n / 2 < n) {
            uint32_t off = bt_cell_off(d, U, n / 2);
            const uint8_t *k;
            size_t kl;
            if (!off || bt_int_parse(d + off, d + U, U, &child, &k, &kl, NULL)) {
                pager_unref(t, p);
                return bt_corrupt(&x, pgno, "cell %u out of bounds", n / 2);
            }
        }
        pager_unref(t, p);
        est *= (double)n + 1;
        pgno = child;
    }
    return bt_corrupt(&x, root, "tree %u is deeper than %d levels (cycle?)", root, BT_MAX_DEPTH);
}
