/*
 * btree.c — B+ trees of byte-string keys: lookups, inserts, deletes, whole-tree operations.
 *
 * Each tree is a B+ tree in the SQLite manner: every entry lives in a leaf, interior pages
 * hold separator keys and child page numbers, and the root page never moves (a root that
 * overflows pushes its content down into a new child; a root left with a single child pulls
 * that child's content back up). Pages are slotted: a header, an array of 2-byte cell offsets
 * kept in key order, and the cells themselves packed from the end of the page towards the
 * array. The page format is described in btree_int.h and docs/btree.md.
 *
 * Operations descend from the root, remembering the path (page number and child index at
 * each level) so that balancing can walk back up without parent pointers in the pages. A
 * modification first tries to work inside the leaf: a new cell goes into the gap between the
 * offset array and the content area, or into the space left by deleted cells after the page
 * is compacted. Only when the leaf overflows, or (on delete) falls below a third full, does
 * the balancer in btree_balance.c run; it rewrites the affected pages from an in-memory copy
 * of their cells and repeats one level up as long as the parent changes shape.
 *
 * Values larger than a quarter page spill into a chain of overflow pages (btree_int.h gives
 * the exact rule, which depends only on the key and value lengths, so readers recompute it).
 * Keys are always stored whole in the leaf; separators in interior pages are the shortest
 * prefixes of the right-hand key that still sort above the left-hand key.
 *
 * Trust: nothing read from a page is believed without a bounds check. Every page fetched is
 * header-checked (bt_get), every cell offset and length is checked against the usable size
 * before use, and descents are bounded in depth, so a damaged file yields NQ_ECORRUPT, never
 * an out-of-bounds access. btree_check.c does the exhaustive checks.
 *
 * Cursor stability: structural changes (any rebalance) bump a counter in the root page's
 * header (bt_finish); cursors compare it to detect that their path may be stale
 * (btree_cursor.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "btree_int.h"

int bt_corrupt(bt_ctx *x, uint32_t pgno, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nq_err_set(x->err, NQ_ECORRUPT, "page %u: %s", pgno, msg);
}

int bt_nomem(bt_ctx *x) { return nq_err_set(x->err, NQ_ENOMEM, "out of memory in the B-tree"); }

void bt_ctx_init(bt_ctx *x, pager_txn *t, uint32_t root)
{
    x->t = t;
    x->err = pager_txn_err(t);
    x->usable = pager_usable(pager_txn_pager(t));
    x->root = root;
    x->depth = 0;
    x->gen = 0;
    x->structural = 0;
    x->append = 0;
    x->is_delete = 0;
    x->flags_known = 0;
    x->flags = 0;
    x->arena.head = NULL;
}

int bt_tree_flags(bt_ctx *x, uint8_t *out)
{
    if (!x->flags_known) {
        pg *r;
        int rc = bt_get(x, x->root, &r);
        if (rc)
            return rc;
        x->flags = r->data[1] & PGCODEC_PAGE_FLAG;
        x->flags_known = 1;
        pager_unref(x->t, r);
    }
    *out = x->flags;
    return 0;
}

void bt_ctx_done(bt_ctx *x) { bt_arena_free(&x->arena); }

size_t btree_max_key(const pager *p) { return bt_maxkey(pager_usable(p)); }

int bt_get(bt_ctx *x, uint32_t pgno, pg **out)
{
    if (pgno < 2)
        return bt_corrupt(x, pgno, "invalid page number in tree %u", x->root);
    int rc = pager_get(x->t, pgno, out);
    if (rc)
        return rc;
    if (!bt_hdr_ok((*out)->data, x->usable)) {
        uint8_t ty = (*out)->data[0];
        pager_unref(x->t, *out);
        *out = NULL;
        if (ty != PGTYPE_BTREE_LEAF && ty != PGTYPE_BTREE_INTERIOR)
            return bt_corrupt(x, pgno, "not a B-tree page (type %u) in tree %u", ty, x->root);
        return bt_corrupt(x, pgno, "bad page header (cell count, content start or free bytes)");
    }
    return 0;
}

uint32_t bt_cell_size(const uint8_t *d, uint32_t usable, uint32_t off)
{
    if (bt_is_leaf(d)) {
        bt_leafcell c;
        return bt_leaf_parse(d + off, d + usable, usable, &c) ? 0 : c.size;
    }
    uint32_t child, sz;
    const uint8_t *k;
    size_t kl;
    return bt_int_parse(d + off, d + usable, usable, &child, &k, &kl, &sz) ? 0 : sz;
}

/* ---- descent ------------------------------------------------------------------------------- */

/* A probe of the binary search below touches a cell that is rarely in the CPU cache (the
 * profile of a row fetch had 40% of bt_descend's time on the first load of a cell). While the
 * probe at mid is compared, ask for both cells the next probe may look at, so that the next
 * miss overlaps this one. A hint only: offsets outside the page are not followed. */
static inline void bt_prefetch_next(const uint8_t *d, uint32_t U, uint32_t lo, uint32_t mid,
                                    uint32_t hi)
{
    if (hi - lo < 4)
        return;
    uint32_t a = get_u16(d + BT_HDR + 2 * ((lo + mid) / 2));
    uint32_t b = get_u16(d + BT_HDR + 2 * ((mid + 1 + hi) / 2));
    if (a < U)
        __builtin_prefetch(d + a);
    if (b < U)
        __builtin_prefetch(d + b);
}

int bt_descend(bt_ctx *x, const uint8_t *k, size_t kl, pg **leaf, int *found)
{
    uint32_t pgno = x->root, U = x->usable;
    x->depth = 0;
    *leaf = NULL;
    *found = 0;
    for (;;) {
        if (x->depth >= BT_MAX_DEPTH)
            return bt_corrupt(x, pgno, "tree %u is deeper than %d levels (cycle?)", x->root,
                              BT_MAX_DEPTH);
        pg *p;
        int rc = bt_get(x, pgno, &p);
        if (rc)
            return rc;
        const uint8_t *d = p->data, *end = d + U;
        if (x->depth == 0) {
            x->gen = get_u32(d + BT_OFF_GEN);
            x->flags = d[1] & PGCODEC_PAGE_FLAG;
            x->flags_known = 1;
        }
        uint32_t n = bt_ncell(d), lo = 0, hi = n;
        x->pgno[x->depth] = pgno;
        if (bt_is_leaf(d)) {
            int eq = 0;
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2, off = bt_cell_off(d, U, mid);
                const uint8_t *ck;
                size_t ckl;
                bt_prefetch_next(d, U, lo, mid, hi);
                if (!off || bt_leaf_key(d + off, end, &ck, &ckl)) {
                    pager_unref(x->t, p);
                    return bt_corrupt(x, pgno, "cell %u out of bounds", mid);
                }
                int c = bt_keycmp(ck, ckl, k, kl);
                if (c < 0) {
                    lo = mid + 1;
                } else if (c > 0) {
                    hi = mid;
                } else {
                    lo = mid;
                    eq = 1;
                    break;
                }
            }
            x->idx[x->depth++] = lo;
            *leaf = p;
            *found = eq;
            return 0;
        }
        /* first separator > key; keys equal to a separator live to its right */
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2, off = bt_cell_off(d, U, mid), child;
            const uint8_t *ck;
            size_t ckl;
            bt_prefetch_next(d, U, lo, mid, hi);
            if (!off || bt_int_parse(d + off, end, U, &child, &ck, &ckl, NULL)) {
                pager_unref(x->t, p);
                return bt_corrupt(x, pgno, "cell %u out of bounds", mid);
            }
            if (bt_keycmp(ck, ckl, k, kl) > 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        uint32_t child = bt_right(d);
        if (lo < n)
            child = get_u32(d + bt_cell_off(d, U, lo)); /* offset checked by the search */
        x->idx[x->depth++] = lo;
        pager_unref(x->t, p);
        pgno = child;
    }
}

/* ---- space inside one page ---------------------------------------------------------------- */

/* Rewrite the content area so that all free space is one gap. */
static int bt_defrag(bt_ctx *x, uint32_t pgno, uint8_t *d)
{
    uint32_t U = x->usable, n = bt_ncell(d), pos = U;
    uint8_t *tmp = malloc(U);
    if (!tmp)
        return bt_nomem(x);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = bt_cell_off(d, U, i), sz = off ? bt_cell_size(d, U, off) : 0;
        if (!sz || pos - (BT_HDR + 2 * n) < sz) {
            free(tmp);
            return bt_corrupt(x, pgno, "cell %u out of bounds while compacting", i);
        }
        pos -= sz;
        memcpy(tmp + pos, d + off, sz);
        put_u16(d + BT_HDR + 2 * i, (uint16_t)pos);
    }
    memcpy(d + pos, tmp + pos, U - pos);
    put_u16(d + BT_OFF_CONTENT, (uint16_t)pos);
    put_u16(d + BT_OFF_FREE, 0);
    free(tmp);
    return 0;
}

/* Reserve sz bytes of cell space in writable page d: the offset, 0 if the page is too full,
 * or a negative error code. Does not add the cell pointer (bt_insert_ptr does). */
static int bt_room(bt_ctx *x, uint32_t pgno, uint8_t *d, uint32_t sz)
{
    uint32_t n = bt_ncell(d), cs = bt_content(d), gap = cs - (BT_HDR + 2 * n);
    if (gap < sz + 2) {
        if (gap + bt_freeb(d) < sz + 2)
            return 0;
        int rc = bt_defrag(x, pgno, d);
        if (rc)
            return rc;
        cs = bt_content(d);
    }
    cs -= sz;
    put_u16(d + BT_OFF_CONTENT, (uint16_t)cs);
    return (int)cs;
}

static void bt_insert_ptr(uint8_t *d, uint32_t idx, uint32_t off)
{
    uint32_t n = bt_ncell(d);
    uint8_t *a = d + BT_HDR + 2 * idx;
    memmove(a + 2, a, 2 * (n - idx));
    put_u16(a, (uint16_t)off);
    put_u16(d + BT_OFF_NCELL, (uint16_t)(n + 1));
}

/* Remove cell idx (at off, sz bytes). A cell at the start of the content area widens the
 * gap directly; any other leaves a hole counted in the free-bytes field. */
static void bt_drop_cell(uint8_t *d, uint32_t idx, uint32_t off, uint32_t sz)
{
    uint32_t n = bt_ncell(d);
    uint8_t *a = d + BT_HDR + 2 * idx;
    memmove(a, a + 2, 2 * (n - idx - 1));
    put_u16(d + BT_OFF_NCELL, (uint16_t)(n - 1));
    if (off == bt_content(d))
        put_u16(d + BT_OFF_CONTENT, (uint16_t)(off + sz));
    else
        put_u16(d + BT_OFF_FREE, (uint16_t)(bt_freeb(d) + sz));
}

/* Bytes in use by cells and their pointers. */
static uint32_t bt_used(const uint8_t *d, uint32_t usable)
{
    return (usable - bt_content(d) - bt_freeb(d)) + 2 * bt_ncell(d);
}

/* ---- overflow chains ----------------------------------------------------------------------- */

static int bt_ovfl_write(bt_ctx *x, const uint8_t *src, uint64_t len, uint32_t *first)
{
    uint32_t cap = bt_ovfl_cap(x->usable);
    pg *prev = NULL;
    *first = 0;
    uint8_t fl;
    int frc = bt_tree_flags(x, &fl);
    if (frc)
        return frc;
    while (len) {
        pg *p;
        int rc = pager_alloc(x->t, &p);
        if (rc) {
            if (prev)
                pager_unref(x->t, prev);
            return rc;
        }
        uint32_t n = len < cap ? (uint32_t)len : cap;
        memset(p->data, 0, BT_OVFL_HDR);
        p->data[0] = PGTYPE_OVERFLOW;
        p->data[1] = fl;
        memcpy(p->data + BT_OVFL_HDR, src, n);
        if (prev) {
            put_u32(prev->data + 4, p->pgno);
            pager_unref(x->t, prev);
        } else {
            *first = p->pgno;
        }
        prev = p;
        src += n;
        len -= n;
    }
    if (prev)
        pager_unref(x->t, prev);
    return 0;
}

int bt_ovfl_read(bt_ctx *x, uint32_t first, uint64_t need, uint8_t *dst)
{
    uint32_t cap = bt_ovfl_cap(x->usable), pgno = first;
    while (need) {
        if (pgno < 2)
            return bt_corrupt(x, pgno, "overflow chain of tree %u ends early", x->root);
        pg *p;
        int rc = pager_get(x->t, pgno, &p);
        if (rc)
            return rc;
        if (p->data[0] != PGTYPE_OVERFLOW) {
            uint8_t ty = p->data[0];
            pager_unref(x->t, p);
            return bt_corrupt(x, pgno, "expected an overflow page, found type %u", ty);
        }
        uint32_t n = need < cap ? (uint32_t)need : cap;
        memcpy(dst, p->data + BT_OVFL_HDR, n);
        uint32_t next = get_u32(p->data + 4);
        pager_unref(x->t, p);
        dst += n;
        need -= n;
        pgno = next;
    }
    return 0;
}

int bt_ovfl_free(bt_ctx *x, uint32_t first, uint64_t spilled)
{
    uint64_t npg = bt_ovfl_pages(x->usable, spilled);
    uint32_t pgno = first;
    for (uint64_t i = 0; i < npg; i++) {
        if (pgno < 2)
            return bt_corrupt(x, pgno, "overflow chain of tree %u ends early", x->root);
        pg *p;
        int rc = pager_get(x->t, pgno, &p);
        if (rc)
            return rc;
        uint8_t ty = p->data[0];
        uint32_t next = get_u32(p->data + 4);
        pager_unref(x->t, p);
        if (ty != PGTYPE_OVERFLOW)
            return bt_corrupt(x, pgno, "expected an overflow page, found type %u", ty);
        rc = pager_free(x->t, pgno);
        if (rc)
            return rc;
        pgno = next;
    }
    return 0;
}

/* ---- whole operations ---------------------------------------------------------------------- */

static void bt_leaf_cell_write(uint8_t *p, const void *k, size_t kl, const void *v, size_t vl,
                               uint32_t local, uint32_t ovfl)
{
    p += bt_varint_put(p, kl);
    p += bt_varint_put(p, vl);
    if (kl)
        memcpy(p, k, kl);
    p += kl;
    if (local)
        memcpy(p, v, local);
    if (ovfl)
        put_u32(p + local, ovfl);
}

static void bt_init_empty(uint8_t *d, uint32_t usable, uint32_t gen)
{
    memset(d, 0, BT_HDR);
    d[0] = PGTYPE_BTREE_LEAF;
    put_u16(d + BT_OFF_CONTENT, (uint16_t)usable);
    put_u32(d + BT_OFF_GEN, gen);
}

static int bt_need_write(bt_ctx *x, const char *what)
{
    if (pager_txn_is_write(x->t))
        return 0;
    return nq_err_set(x->err, NQ_EREADONLY, "%s: not in a write transaction", what);
}

int bt_finish(bt_ctx *x)
{
    if (!x->structural)
        return 0;
    pg *r;
    int rc = pager_get(x->t, x->root, &r);
    if (rc)
        return rc;
    rc = pager_write(x->t, &r);
    if (!rc)
        put_u32(r->data + BT_OFF_GEN, x->gen + 1);
    pager_unref(x->t, r);
    x->gen++;
    x->structural = 0;
    return rc;
}

int btree_create(pager_txn *t, uint32_t *root)
{
    bt_ctx x;
    bt_ctx_init(&x, t, 0);
    int rc = bt_need_write(&x, "btree_create");
    if (rc)
        return rc;
    pg *p;
    rc = pager_alloc(t, &p);
    if (rc)
        return rc;
    bt_init_empty(p->data, x.usable, 0);
    *root = p->pgno;
    pager_unref(t, p);
    return 0;
}

int btree_put(pager_txn *t, uint32_t root, const void *k, size_t kl, const void *v, size_t vl,
              int flags)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    uint32_t U = x.usable;
    int rc = bt_need_write(&x, "btree_put");
    if (rc)
        return rc;
    if (kl > bt_maxkey(U))
        return nq_err_set(x.err, NQ_ETOOBIG,
                          "key of %zu bytes is longer than the maximum of %u for %u-byte pages", kl,
                          bt_maxkey(U), pager_page_size(pager_txn_pager(t)));
    if (vl > BTREE_MAX_VALUE)
        return nq_err_set(x.err, NQ_ETOOBIG, "value of %zu bytes is longer than the maximum of %u",
                          vl, BTREE_MAX_VALUE);
    int spill;
    uint32_t local = bt_leaf_local(U, kl, vl, &spill);
    uint32_t csz = bt_varint_len(kl) + bt_varint_len(vl) + (uint32_t)kl + local + (spill ? 4 : 0);

    pg *leaf;
    int found;
    rc = bt_descend(&x, k, kl, &leaf, &found);
    if (rc)
        return rc;
    int L = x.depth - 1;
    uint32_t idx = x.idx[L], lpg = x.pgno[L];
    uint32_t old_ovfl = 0, old_size = 0;
    uint64_t old_spilled = 0;
    if (found) {
        if (flags & BTREE_NOOVERWRITE) {
            pager_unref(t, leaf);
            return nq_err_set(x.err, NQ_EEXIST, "key exists");
        }
        bt_leafcell c;
        uint32_t off = bt_cell_off(leaf->data, U, idx);
        if (!off || bt_leaf_parse(leaf->data + off, leaf->data + U, U, &c)) {
            pager_unref(t, leaf);
            return bt_corrupt(&x, lpg, "cell %u out of bounds", idx);
        }
        /* rewriting an identical value would only dirty the page */
        if (!c.ovfl && !spill && c.vl == vl && (vl == 0 || !memcmp(c.val, v, vl))) {
            pager_unref(t, leaf);
            return 0;
        }
        old_ovfl = c.ovfl;
        old_size = c.size;
        old_spilled = c.vl - c.local;
    }
    uint32_t first = 0;
    if (spill) {
        /* allocating the chain touches no tree page, so the path stays valid */
        pager_unref(t, leaf);
        rc = bt_ovfl_write(&x, (const uint8_t *)v + local, vl - local, &first);
        if (rc)
            return rc;
        rc = bt_get(&x, lpg, &leaf);
        if (rc)
            return rc;
    }
    rc = pager_write(t, &leaf);
    if (rc) {
        pager_unref(t, leaf);
        return rc;
    }
    uint8_t *d = leaf->data;
    if (found) {
        uint32_t off = bt_cell_off(d, U, idx);
        if (old_size == csz) {
            bt_leaf_cell_write(d + off, k, kl, v, vl, local, first);
            pager_unref(t, leaf);
            goto free_old;
        }
        bt_drop_cell(d, idx, off, old_size);
    } else {
        x.append = idx == bt_ncell(d);
    }
    int off = bt_room(&x, lpg, d, csz);
    if (off < 0) {
        pager_unref(t, leaf);
        return off;
    }
    if (off > 0) {
        bt_leaf_cell_write(d + off, k, kl, v, vl, local, first);
        bt_insert_ptr(d, idx, (uint32_t)off);
        pager_unref(t, leaf);
    } else {
        /* the leaf overflows: hand its cells plus the new one to the balancer */
        bt_list l;
        rc = bt_list_from_page(&x, lpg, d, &l, 1);
        pager_unref(t, leaf);
        uint8_t *cell = rc ? NULL : bt_arena_alloc(&x.arena, csz);
        if (!rc && !cell)
            rc = bt_nomem(&x);
        if (!rc) {
            bt_leaf_cell_write(cell, k, kl, v, vl, local, first);
            memmove(l.c + idx + 1, l.c + idx, (l.n - idx) * sizeof *l.c);
            memmove(l.sz + idx + 1, l.sz + idx, (l.n - idx) * sizeof *l.sz);
            l.c[idx] = cell;
            l.sz[idx] = csz;
            l.n++;
            rc = bt_fix(&x, L, &l);
        }
        if (!rc)
            rc = bt_finish(&x);
        bt_ctx_done(&x);
        if (rc)
            return rc;
    }
free_old:
    if (old_ovfl)
        return bt_ovfl_free(&x, old_ovfl, old_spilled);
    return 0;
}

int btree_get(pager_txn *t, uint32_t root, const void *k, size_t kl, void **v, size_t *vl)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    if (v)
        *v = NULL;
    if (vl)
        *vl = 0;
    pg *leaf;
    int found;
    int rc = bt_descend(&x, k, kl, &leaf, &found);
    if (rc)
        return rc;
    if (!found) {
        pager_unref(t, leaf);
        return nq_err_set(x.err, NQ_ENOTFOUND, "key not found");
    }
    uint32_t U = x.usable, idx = x.idx[x.depth - 1];
    const uint8_t *d = leaf->data;
    bt_leafcell c;
    uint32_t off = bt_cell_off(d, U, idx);
    if (!off || bt_leaf_parse(d + off, d + U, U, &c)) {
        pager_unref(t, leaf);
        return bt_corrupt(&x, x.pgno[x.depth - 1], "cell %u out of bounds", idx);
    }
    if (!v) {
        pager_unref(t, leaf);
        if (vl)
            *vl = (size_t)c.vl;
        return 0;
    }
    uint8_t *buf = malloc(c.vl ? (size_t)c.vl : 1);
    if (!buf) {
        pager_unref(t, leaf);
        return bt_nomem(&x);
    }
    memcpy(buf, c.val, c.local);
    uint32_t ovfl = c.ovfl;
    pager_unref(t, leaf);
    if (ovfl) {
        rc = bt_ovfl_read(&x, ovfl, c.vl - c.local, buf + c.local);
        if (rc) {
            free(buf);
            return rc;
        }
    }
    *v = buf;
    if (vl)
        *vl = (size_t)c.vl;
    return 0;
}

int bt_delete_at(bt_ctx *x)
{
    int L = x->depth - 1;
    uint32_t U = x->usable, lpg = x->pgno[L], idx = x->idx[L];
    pg *leaf;
    int rc = bt_get(x, lpg, &leaf);
    if (rc)
        return rc;
    if (!bt_is_leaf(leaf->data) || idx >= bt_ncell(leaf->data)) {
        pager_unref(x->t, leaf);
        return bt_corrupt(x, lpg, "expected a leaf with a cell %u", idx);
    }
    bt_leafcell c;
    uint32_t off = bt_cell_off(leaf->data, U, idx);
    if (!off || bt_leaf_parse(leaf->data + off, leaf->data + U, U, &c)) {
        pager_unref(x->t, leaf);
        return bt_corrupt(x, lpg, "cell %u out of bounds", idx);
    }
    uint32_t ovfl = c.ovfl;
    uint64_t spilled = c.vl - c.local;
    rc = pager_write(x->t, &leaf);
    if (rc) {
        pager_unref(x->t, leaf);
        return rc;
    }
    uint8_t *d = leaf->data;
    bt_drop_cell(d, idx, off, c.size);
    x->is_delete = 1;
    if (L > 0 && (bt_ncell(d) == 0 || bt_used(d, U) < (U - BT_HDR) / 3)) {
        bt_list l;
        rc = bt_list_from_page(x, lpg, d, &l, 0);
        pager_unref(x->t, leaf);
        if (!rc)
            rc = bt_fix(x, L, &l);
    } else {
        pager_unref(x->t, leaf);
    }
    if (!rc && ovfl)
        rc = bt_ovfl_free(x, ovfl, spilled);
    return rc;
}

int btree_del(pager_txn *t, uint32_t root, const void *k, size_t kl)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    int rc = bt_need_write(&x, "btree_del");
    if (rc)
        return rc;
    pg *leaf;
    int found;
    rc = bt_descend(&x, k, kl, &leaf, &found);
    if (rc)
        return rc;
    pager_unref(t, leaf);
    if (!found)
        return nq_err_set(x.err, NQ_ENOTFOUND, "key not found");
    rc = bt_delete_at(&x);
    if (!rc)
        rc = bt_finish(&x);
    bt_ctx_done(&x);
    return rc;
}

/* ---- whole-tree walks ---------------------------------------------------------------------- */

/* Visit every page below (and, if free_self, including) pgno: count leaf cells into *count
 * when count is set, otherwise free the pages and the overflow chains. `budget` bounds the
 * number of pages visited so that a cycle in a damaged file ends as NQ_ECORRUPT. */
static int bt_walk(bt_ctx *x, uint32_t pgno, int depth, int free_self, uint64_t *count,
                   uint64_t *budget)
{
    if (depth >= BT_MAX_DEPTH || *budget == 0)
        return bt_corrupt(x, pgno, "tree %u has a cycle or is too deep", x->root);
    (*budget)--;
    pg *p;
    int rc = bt_get(x, pgno, &p);
    if (rc)
        return rc;
    const uint8_t *d = p->data;
    uint32_t U = x->usable, n = bt_ncell(d);
    if (bt_is_leaf(d)) {
        if (count) {
            *count += n;
        } else {
            for (uint32_t i = 0; i < n && !rc; i++) {
                bt_leafcell c;
                uint32_t off = bt_cell_off(d, U, i);
                if (!off || bt_leaf_parse(d + off, d + U, U, &c))
                    rc = bt_corrupt(x, pgno, "cell %u out of bounds", i);
                else if (c.ovfl)
                    rc = bt_ovfl_free(x, c.ovfl, c.vl - c.local);
            }
        }
        pager_unref(x->t, p);
    } else {
        uint32_t *kids = malloc((n + 1) * sizeof *kids);
        if (!kids) {
            pager_unref(x->t, p);
            return bt_nomem(x);
        }
        for (uint32_t i = 0; i < n && !rc; i++) {
            uint32_t off = bt_cell_off(d, U, i), sz;
            const uint8_t *k;
            size_t kl;
            if (!off || bt_int_parse(d + off, d + U, U, &kids[i], &k, &kl, &sz))
                rc = bt_corrupt(x, pgno, "cell %u out of bounds", i);
        }
        kids[n] = bt_right(d);
        pager_unref(x->t, p);
        for (uint32_t i = 0; i <= n && !rc; i++)
            rc = bt_walk(x, kids[i], depth + 1, 1, count, budget);
        free(kids);
    }
    if (!rc && free_self && !count)
        rc = pager_free(x->t, pgno);
    return rc;
}

int btree_count(pager_txn *t, uint32_t root, uint64_t *n)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    uint64_t budget = pager_page_count(t), cnt = 0;
    int rc = bt_walk(&x, root, 0, 0, &cnt, &budget);
    *n = rc ? 0 : cnt;
    return rc;
}

int btree_clear(pager_txn *t, uint32_t root)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    int rc = bt_need_write(&x, "btree_clear");
    if (rc)
        return rc;
    uint64_t budget = pager_page_count(t);
    rc = bt_walk(&x, root, 0, 0, NULL, &budget);
    if (rc)
        return rc;
    pg *p;
    rc = pager_get(t, root, &p);
    if (rc)
        return rc;
    rc = pager_write(t, &p);
    if (!rc) { /* the root keeps its codec flag */
        uint8_t fl = p->data[1] & PGCODEC_PAGE_FLAG;
        bt_init_empty(p->data, x.usable, get_u32(p->data + BT_OFF_GEN) + 1);
        p->data[1] = fl;
    }
    pager_unref(t, p);
    return rc;
}

int btree_drop(pager_txn *t, uint32_t root)
{
    bt_ctx x;
    bt_ctx_init(&x, t, root);
    int rc = bt_need_write(&x, "btree_drop");
    if (rc)
        return rc;
    uint64_t budget = pager_page_count(t);
    return bt_walk(&x, root, 0, 1, NULL, &budget);
}
