/*
 * btree_balance.c — splitting, merging and redistributing B-tree pages.
 *
 * Balancing works on copies. bt_fix(level, list) receives the complete new content of the
 * page at that level of the operation's path as an in-memory list of cells (which may be too
 * big for one page, or, when deleting, too small to stand alone). If the content fits and is
 * not underfull it is written back and balancing stops. Otherwise bt_rebalance gathers the
 * page's cells together with those of the siblings that take part (children j0..j1 of the
 * same parent), plus, for interior pages, the parent's separators between them, and deals the
 * combined sequence out again. Who takes part depends on why:
 *
 *   - an underfull page after a delete: both neighbours (merge, or even out);
 *   - an overfull leaf that is not an append: the neighbour with more free space
 *     (bt_overflow_leaf). If the pair fits in two pages with some slack to spare, it is
 *     evened out over the same two pages (redistribution: no new page). Otherwise the two
 *     become three pages about 2/3 full (a B*-tree split). Random inserts thus leave leaves
 *     ~85% full instead of the ~69% of splitting an overfull page on its own; this matters
 *     because the file, and the share of it the buffer pool must hold, shrinks with it;
 *   - an append (a new largest key at the end of the right-most leaf, and the pages above it
 *     on the right-most spine), and any overfull interior page: the page alone is split.
 *
 * Dealing out (bt_distribute):
 *
 *   1. Greedy packing from the left fills each page to at least `lim` bytes without exceeding
 *      the page: lim = the page's capacity gives the fewest pages; a third of the total
 *      forces three pages (the 2-into-3 split).
 *   2. Unless the operation is a sequential append, a pass from the right moves cells from
 *      each page to its right neighbour while that makes the two closer in size.
 *      An append skips the pass: the left page stays full and the new page starts with just
 *      the new cell, which is SQLite's "quickbalance" and gives ~100% full pages for
 *      sequential loads.
 *   3. The old pages are reused in order, new ones allocated, surplus ones freed.
 *   4. The parent's content is recomputed: for leaves, each boundary gets the shortest
 *      separator between the last key on the left and the first key on the right; for
 *      interior pages, the boundary cell itself moves up (its child pointer becomes the left
 *      page's right-most child). The separators bounding the group (the parent's cells before
 *      j0 and at j1) keep their keys, since the group's key range does not change. The
 *      parent's new content goes to bt_fix one level up; it may overflow there (one more
 *      separator, or longer ones) and is then split in turn.
 *
 * At the root (level 0) content that does not fit moves into a new child page and the root
 * becomes an interior page over it, after which the child is split like any other page; an
 * interior root left with no separator takes over its only child's content. So the root's
 * page number never changes. Cell sizes are limited to a quarter of the page, so every page
 * of a split gets at least one cell and two pages always hold an overfull page's content.
 * Cells move whole: a spilled value's overflow chain goes with its cell untouched.
 *
 * All cell copies live in the operation's arena, freed when the operation ends, so pages can
 * be rewritten in any order without aliasing the bytes being moved. Every rebalance sets
 * x->structural, so the root's structure-change counter is bumped and cursors re-seek.
 */
#include <stdlib.h>

#include "btree_int.h"

#define BT_MAX_SIBS 3
#define BT_MAX_OUT 8

struct bt_chunk {
    bt_chunk *next;
    size_t used, cap;
    uint8_t mem[];
};

void *bt_arena_alloc(bt_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    bt_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        if (c && c->cap * 2 > cap && c->cap < (1u << 22))
            cap = c->cap * 2;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = c->mem + c->used;
    c->used += n;
    return p;
}

void bt_arena_free(bt_arena *a)
{
    while (a->head) {
        bt_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

int bt_list_reserve(bt_ctx *x, bt_list *l, uint32_t cap)
{
    l->c = bt_arena_alloc(&x->arena, (cap ? cap : 1) * sizeof *l->c);
    l->sz = bt_arena_alloc(&x->arena, (cap ? cap : 1) * sizeof *l->sz);
    l->n = 0;
    l->cap = cap;
    if (!l->c || !l->sz)
        return bt_nomem(x);
    return 0;
}

int bt_list_from_page(bt_ctx *x, uint32_t pgno, const uint8_t *d, bt_list *l, uint32_t extra)
{
    uint32_t U = x->usable, n = bt_ncell(d);
    int rc = bt_list_reserve(x, l, n + extra);
    if (rc)
        return rc;
    l->leaf = bt_is_leaf(d);
    l->right = l->leaf ? 0 : bt_right(d);
    /* One copy of the whole page, cells pointing into it: a rebalance reads up to three
     * siblings and the parent, and one memcpy is much cheaper than an allocation per cell.
     * Cells never overlap in a sound page and each is bounds-checked here, so the pointers
     * stay inside the copy; the copy is never written, so shared bytes would be harmless. */
    uint8_t *copy = bt_arena_alloc(&x->arena, U);
    if (!copy)
        return bt_nomem(x);
    memcpy(copy, d, U);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = bt_cell_off(copy, U, i), sz = off ? bt_cell_size(copy, U, off) : 0;
        if (!sz)
            return bt_corrupt(x, pgno, "cell %u out of bounds", i);
        l->c[l->n] = copy + off;
        l->sz[l->n++] = sz;
    }
    return 0;
}

void bt_page_build(uint8_t *d, uint32_t usable, int leaf, uint8_t *const *cells,
                   const uint32_t *sz, uint32_t n, uint32_t right)
{
    uint32_t pos = usable;
    memset(d, 0, BT_HDR);
    d[0] = leaf ? PGTYPE_BTREE_LEAF : PGTYPE_BTREE_INTERIOR;
    for (uint32_t i = 0; i < n; i++) {
        pos -= sz[i];
        memcpy(d + pos, cells[i], sz[i]);
        put_u16(d + BT_HDR + 2 * i, (uint16_t)pos);
    }
    put_u16(d + BT_OFF_NCELL, (uint16_t)n);
    put_u16(d + BT_OFF_CONTENT, (uint16_t)pos);
    put_u32(d + BT_OFF_RIGHT, leaf ? 0 : right);
}

static uint32_t bt_list_used(const bt_list *l, uint32_t from, uint32_t to)
{
    uint32_t u = 0;
    for (uint32_t i = from; i < to; i++)
        u += l->sz[i] + 2;
    return u;
}

/* Child i of the interior content l (i == n is the right-most child). */
static uint32_t bt_list_child(const bt_list *l, uint32_t i)
{
    return i < l->n ? get_u32(l->c[i]) : l->right;
}

/* Rewrite page pgno (already part of the tree, or freshly allocated) with cells[0, n). */
static int bt_write_page(bt_ctx *x, uint32_t pgno, int leaf, uint8_t *const *cells,
                         const uint32_t *sz, uint32_t n, uint32_t right)
{
    pg *p;
    uint8_t fl;
    int rc = bt_tree_flags(x, &fl);
    if (rc || (rc = pager_get(x->t, pgno, &p)))
        return rc;
    rc = pager_write(x->t, &p);
    if (!rc) {
        bt_page_build(p->data, x->usable, leaf, cells, sz, n, right);
        p->data[1] = fl; /* new pages of a split inherit the tree's codec flag */
    }
    pager_unref(x->t, p);
    return rc;
}

/* Split the combined cells into pages: st[i]..en[i] are page i's cells; for interior content
 * cell en[i] (i < k-1) is the one that moves up. The greedy pass stops filling a page once it
 * holds lim bytes: lim = the capacity gives the fewest pages, a third of the total gives three
 * (every page but the last holds at least lim). Returns the page count or a negative code. */
static int bt_distribute(bt_ctx *x, const bt_list *a, int append, uint32_t lim, uint32_t *st,
                         uint32_t *en)
{
    uint32_t cap = x->usable - BT_HDR, n = a->n, i = 0, used[BT_MAX_OUT];
    int k = 0;
    for (;;) {
        if (k == BT_MAX_OUT)
            return bt_corrupt(x, x->root, "cells of tree %u do not fit in %d pages", x->root,
                              BT_MAX_OUT);
        uint32_t u = 0;
        st[k] = i;
        while (i < n && u < lim && u + a->sz[i] + 2 <= cap)
            u += a->sz[i++] + 2;
        en[k] = i;
        used[k++] = u;
        if (i >= n)
            break;
        if (en[k - 1] == st[k - 1])
            return bt_corrupt(x, x->root, "cell larger than a page in tree %u", x->root);
        if (!a->leaf && ++i >= n) {
            /* the last cell moved up and left the last page empty: take one back */
            if (en[k - 1] - st[k - 1] < 2)
                return bt_corrupt(x, x->root, "interior cells too large in tree %u", x->root);
            en[k - 1]--;
            used[k - 1] -= a->sz[en[k - 1]] + 2;
            st[k] = en[k - 1] + 1;
            en[k] = n;
            used[k] = a->sz[n - 1] + 2;
            k++;
            break;
        }
    }
    if (append)
        return k;
    for (int j = k - 1; j > 0; j--) {
        for (;;) {
            if (en[j - 1] - st[j - 1] < 2)
                break;
            uint32_t c = en[j - 1] - 1;
            uint32_t out = a->sz[c] + 2, in = a->leaf ? out : a->sz[c + 1] + 2;
            uint32_t l0 = used[j - 1], r0 = used[j];
            if (l0 <= r0 || r0 + in > cap)
                break;
            uint32_t l1 = l0 - out, r1 = r0 + in;
            uint32_t d0 = l0 - r0, d1 = l1 > r1 ? l1 - r1 : r1 - l1;
            if (d1 >= d0)
                break;
            en[j - 1]--;
            st[j] = a->leaf ? en[j - 1] : en[j - 1] + 1;
            used[j - 1] = l1;
            used[j] = r1;
        }
    }
    return k;
}

/* An interior cell with the given child and key. */
static uint8_t *bt_int_cell(bt_ctx *x, uint32_t child, const uint8_t *k, size_t kl, uint32_t *sz)
{
    *sz = 4 + bt_varint_len(kl) + (uint32_t)kl;
    uint8_t *p = bt_arena_alloc(&x->arena, *sz);
    if (!p)
        return NULL;
    put_u32(p, child);
    uint32_t h = bt_varint_put(p + 4, kl);
    memcpy(p + 4 + h, k, kl);
    return p;
}

/* A copy of interior cell c with its child pointer replaced. */
static uint8_t *bt_int_recell(bt_ctx *x, const uint8_t *c, uint32_t sz, uint32_t child)
{
    uint8_t *p = bt_arena_alloc(&x->arena, sz);
    if (!p)
        return NULL;
    memcpy(p, c, sz);
    put_u32(p, child);
    return p;
}

/* Rebalance child ci of the parent content pa (parent at path level pl), whose new content
 * is cl, together with its siblings j0..j1 (j0 <= ci <= j1, at most BT_MAX_SIBS children).
 * append and lim go to bt_distribute. */
static int bt_rebalance(bt_ctx *x, int pl, bt_list *pa, uint32_t ci, bt_list *cl, uint32_t j0,
                        uint32_t j1, int append, uint32_t lim)
{
    uint32_t np = pa->n, ppg = x->pgno[pl];
    int rc;
    if (ci > np || j0 > ci || j1 < ci || j1 > np || j1 - j0 >= BT_MAX_SIBS)
        return bt_corrupt(x, ppg, "child index %u beyond %u cells", ci, np);
    uint32_t nb = j1 - j0 + 1, old[BT_MAX_SIBS];
    bt_list sl[BT_MAX_SIBS], *ls[BT_MAX_SIBS];
    uint32_t total = 0;
    for (uint32_t j = j0; j <= j1; j++) {
        old[j - j0] = bt_list_child(pa, j);
        if (old[j - j0] < 2 || old[j - j0] == x->root)
            return bt_corrupt(x, ppg, "child %u is page %u", j, old[j - j0]);
        if (j == ci) {
            ls[j - j0] = cl;
        } else {
            pg *p;
            if ((rc = bt_get(x, old[j - j0], &p)))
                return rc;
            if (bt_is_leaf(p->data) != cl->leaf) {
                pager_unref(x->t, p);
                return bt_corrupt(x, old[j - j0], "sibling pages of different kinds");
            }
            rc = bt_list_from_page(x, old[j - j0], p->data, &sl[j - j0], 0);
            pager_unref(x->t, p);
            if (rc)
                return rc;
            ls[j - j0] = &sl[j - j0];
        }
        total += ls[j - j0]->n + 1;
    }

    /* one sequence of cells; interior separators come down from the parent */
    bt_list all;
    if ((rc = bt_list_reserve(x, &all, total)))
        return rc;
    all.leaf = cl->leaf;
    for (uint32_t j = 0; j < nb; j++) {
        memcpy(all.c + all.n, ls[j]->c, ls[j]->n * sizeof *all.c);
        memcpy(all.sz + all.n, ls[j]->sz, ls[j]->n * sizeof *all.sz);
        all.n += ls[j]->n;
        if (!all.leaf && j + 1 < nb) {
            uint32_t sz = pa->sz[j0 + j];
            uint8_t *c = bt_int_recell(x, pa->c[j0 + j], sz, ls[j]->right);
            if (!c)
                return bt_nomem(x);
            all.c[all.n] = c;
            all.sz[all.n++] = sz;
        }
    }
    all.right = ls[nb - 1]->right;

    uint32_t st[BT_MAX_OUT], en[BT_MAX_OUT], pgs[BT_MAX_OUT];
    int k = bt_distribute(x, &all, append, lim, st, en);
    if (k < 0)
        return k;

    /* write the pages: old ones in order, then new ones */
    for (int i = 0; i < k; i++) {
        if ((uint32_t)i < nb) {
            pgs[i] = old[i];
        } else {
            pg *p;
            if ((rc = pager_alloc(x->t, &p)))
                return rc;
            pgs[i] = p->pgno;
            pager_unref(x->t, p);
        }
    }
    for (int i = 0; i < k; i++) {
        uint32_t right = 0;
        if (!all.leaf)
            right = i < k - 1 ? get_u32(all.c[en[i]]) : all.right;
        rc = bt_write_page(x, pgs[i], all.leaf, all.c + st[i], all.sz + st[i], en[i] - st[i],
                           right);
        if (rc)
            return rc;
    }
    for (uint32_t i = (uint32_t)k; i < nb; i++)
        if ((rc = pager_free(x->t, old[i])))
            return rc;

    /* the parent's new content */
    bt_list npl;
    if ((rc = bt_list_reserve(x, &npl, np + (uint32_t)k)))
        return rc;
    npl.leaf = 0;
    npl.right = pa->right;
    for (uint32_t j = 0; j < j0; j++) {
        npl.c[npl.n] = pa->c[j];
        npl.sz[npl.n++] = pa->sz[j];
    }
    for (int i = 0; i + 1 < k; i++) {
        uint8_t *c;
        uint32_t sz;
        if (all.leaf) {
            const uint8_t *a, *b;
            size_t al, bl;
            uint8_t *ca = all.c[en[i] - 1], *cb = all.c[st[i + 1]];
            if (bt_leaf_key(ca, ca + all.sz[en[i] - 1], &a, &al) ||
                bt_leaf_key(cb, cb + all.sz[st[i + 1]], &b, &bl) || bt_keycmp(a, al, b, bl) >= 0)
                return bt_corrupt(x, pgs[i], "keys out of order across pages of tree %u",
                                  x->root);
            size_t m = al < bl ? al : bl, p = 0;
            while (p < m && a[p] == b[p])
                p++;
            c = bt_int_cell(x, pgs[i], b, p + 1, &sz); /* shortest key > a and <= b */
        } else {
            sz = all.sz[en[i]];
            c = bt_int_recell(x, all.c[en[i]], sz, pgs[i]);
        }
        if (!c)
            return bt_nomem(x);
        npl.c[npl.n] = c;
        npl.sz[npl.n++] = sz;
    }
    if (j1 < np) {
        uint8_t *c = bt_int_recell(x, pa->c[j1], pa->sz[j1], pgs[k - 1]);
        if (!c)
            return bt_nomem(x);
        npl.c[npl.n] = c;
        npl.sz[npl.n++] = pa->sz[j1];
        for (uint32_t j = j1 + 1; j < np; j++) {
            npl.c[npl.n] = pa->c[j];
            npl.sz[npl.n++] = pa->sz[j];
        }
    } else {
        npl.right = pgs[k - 1];
    }
    x->structural = 1;
    return bt_fix(x, pl, &npl);
}

/* An interior root with no separators takes over its only child's content. */
static int bt_collapse_root(bt_ctx *x, uint32_t child)
{
    uint32_t U = x->usable;
    for (int guard = 0; guard < BT_MAX_DEPTH; guard++) {
        if (child < 2 || child == x->root)
            return bt_corrupt(x, x->root, "bad only child %u", child);
        pg *c, *r;
        int rc = bt_get(x, child, &c);
        if (rc)
            return rc;
        uint8_t *tmp = bt_arena_alloc(&x->arena, U);
        if (!tmp) {
            pager_unref(x->t, c);
            return bt_nomem(x);
        }
        memcpy(tmp, c->data, U);
        pager_unref(x->t, c);
        if ((rc = pager_get(x->t, x->root, &r)))
            return rc;
        rc = pager_write(x->t, &r);
        if (!rc)
            memcpy(r->data, tmp, U);
        pager_unref(x->t, r);
        if (rc || (rc = pager_free(x->t, child)))
            return rc;
        if (bt_is_leaf(tmp) || bt_ncell(tmp) > 0)
            return 0;
        child = bt_right(tmp);
    }
    return bt_corrupt(x, x->root, "root collapse does not end");
}

/* Bytes in use (cells and pointers) in child j of the parent content pa, or a negative code. */
static int64_t bt_child_used(bt_ctx *x, const bt_list *pa, uint32_t j)
{
    uint32_t pgno = bt_list_child(pa, j);
    if (pgno == x->root)
        return bt_corrupt(x, x->root, "child %u is the root", j);
    pg *p;
    int rc = bt_get(x, pgno, &p);
    if (rc)
        return rc;
    const uint8_t *d = p->data;
    int64_t u = (int64_t)(x->usable - bt_content(d) - bt_freeb(d)) + 2 * (int64_t)bt_ncell(d);
    pager_unref(x->t, p);
    return u;
}

/* An overfull leaf that is not an append shares its cells with one sibling under the same
 * parent, the one with more free space (the left one on a tie). If the two fit in two pages
 * with at least BT_SLACK of the pair's space to spare, their cells are dealt out evenly over
 * the same two pages: no page is added and the parent only gets a new separator. Otherwise
 * (the sibling is nearly full too) the two become three pages about 2/3 full each, a B*-tree
 * split. Requiring slack keeps a nearly full pair from being rebalanced every few inserts:
 * with it, random inserts fill leaves to ~85% (8-byte keys, 100-byte values, 4 KiB pages)
 * for ~10-15% more CPU than lone splits, which leave them 69% full; without it ~87%, for
 * several times as many rebalances. */
#define BT_SLACK 32 /* 1/32 of two pages' cell space: a sixteenth of one page */

static int bt_overflow_leaf(bt_ctx *x, int pl, bt_list *pa, uint32_t ci, bt_list *l, uint32_t used)
{
    uint32_t cap = x->usable - BT_HDR, np = pa->n;
    if (np == 0) /* no sibling: a root that was just pushed down */
        return bt_rebalance(x, pl, pa, ci, l, ci, ci, 0, cap);
    int64_t ul = ci > 0 ? bt_child_used(x, pa, ci - 1) : INT64_MAX;
    if (ul < 0)
        return (int)ul;
    int64_t ur = ci < np ? bt_child_used(x, pa, ci + 1) : INT64_MAX;
    if (ur < 0)
        return (int)ur;
    int left = ul <= ur;
    int64_t total = (int64_t)used + (left ? ul : ur);
    /* Greedy packing fills each page to at least lim (bt_distribute): cap gives the fewest
     * pages, a third of the total forces three. */
    uint32_t lim = cap;
    if (total > 2 * (int64_t)cap - 2 * (int64_t)cap / BT_SLACK)
        lim = (uint32_t)(total / 3);
    return bt_rebalance(x, pl, pa, ci, l, left ? ci - 1 : ci, left ? ci : ci + 1, 0, lim);
}

int bt_fix(bt_ctx *x, int level, bt_list *l)
{
    uint32_t cap = x->usable - BT_HDR, used = bt_list_used(l, 0, l->n);
    int rc;
    if (level == 0) {
        x->structural = 1;
        if (used <= cap) {
            if (!l->leaf && l->n == 0)
                return bt_collapse_root(x, l->right);
            return bt_write_page(x, x->root, l->leaf, l->c, l->sz, l->n, l->right);
        }
        /* the root overflows: its content becomes a child, which is then split */
        pg *c;
        if ((rc = pager_alloc(x->t, &c)))
            return rc;
        bt_list pa;
        if ((rc = bt_list_reserve(x, &pa, 0))) {
            pager_unref(x->t, c);
            return rc;
        }
        pa.leaf = 0;
        pa.right = c->pgno;
        pager_unref(x->t, c);
        x->pgno[0] = x->root;
        return bt_rebalance(x, 0, &pa, 0, l, 0, 0, x->append, cap);
    }
    int under = x->is_delete && (l->n == 0 || used < cap / 3);
    if (used <= cap && !under)
        return bt_write_page(x, x->pgno[level], l->leaf, l->c, l->sz, l->n, l->right);
    pg *p;
    if ((rc = bt_get(x, x->pgno[level - 1], &p)))
        return rc;
    bt_list pa;
    if (bt_is_leaf(p->data))
        rc = bt_corrupt(x, x->pgno[level - 1], "leaf page where an interior page was expected");
    else
        rc = bt_list_from_page(x, x->pgno[level - 1], p->data, &pa, 0);
    pager_unref(x->t, p);
    if (rc)
        return rc;
    uint32_t ci = x->idx[level - 1], np = pa.n;
    if (ci > np)
        return bt_corrupt(x, x->pgno[level - 1], "child index %u beyond %u cells", ci, np);
    if (used <= cap) /* underfull after a delete: merge or even out with both neighbours */
        return bt_rebalance(x, level - 1, &pa, ci, l, ci > 0 ? ci - 1 : ci, ci < np ? ci + 1 : ci,
                            0, cap);
    if (x->append && ci == np)
        return bt_rebalance(x, level - 1, &pa, ci, l, ci, ci, 1, cap);
    if (l->leaf)
        return bt_overflow_leaf(x, level - 1, &pa, ci, l, used);
    return bt_rebalance(x, level - 1, &pa, ci, l, ci, ci, 0, cap);
}
