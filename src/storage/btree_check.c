/*
 * btree_check.c — exhaustive verification of B-tree pages and whole trees.
 *
 * btree_page_validate decodes one page trusting nothing: the header fields, every cell
 * offset, every varint and length, the order of the keys, that no two cells overlap, and
 * that cells plus recorded free bytes account for the whole content area. It is the routine
 * the fuzzers feed random bytes to, and the first thing btree_check does with every page.
 *
 * btree_check walks a tree depth first, carrying the key range each subtree must respect
 * (lower bound inclusive, upper bound exclusive, from the separators above), the depth of
 * the first leaf seen (all leaves must share it) and a bitmap of pages already claimed, which
 * the database-wide check shares across trees and the free list so that a page used twice is
 * caught wherever the second use is. Overflow chains are followed and their length compared
 * with what the value length implies. A page that fails validation is reported and not
 * descended into; the walk goes on elsewhere, so one run reports every independent problem.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "btree_int.h"

static int vfail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int vfail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return NQ_ECORRUPT;
}

int btree_page_validate(const uint8_t *d, uint32_t U, char *why, size_t whylen)
{
    if (U < BT_MIN_USABLE || U > BT_MAX_USABLE)
        return vfail(why, whylen, "usable size %u out of range", U);
    if (d[0] != PGTYPE_BTREE_LEAF && d[0] != PGTYPE_BTREE_INTERIOR)
        return vfail(why, whylen, "not a B-tree page (type %u)", d[0]);
    int leaf = bt_is_leaf(d);
    uint32_t n = bt_ncell(d), cs = bt_content(d), fr = bt_freeb(d);
    if (d[1] & ~PGCODEC_PAGE_FLAG)
        return vfail(why, whylen, "flags byte is %u, expected 0 or %u", d[1], PGCODEC_PAGE_FLAG);
    if (BT_HDR + 2 * n > U)
        return vfail(why, whylen, "cell count %u too large", n);
    if (cs < BT_HDR + 2 * n || cs > U)
        return vfail(why, whylen, "content start %u outside %u..%u", cs, BT_HDR + 2 * n, U);
    if (fr > U - cs)
        return vfail(why, whylen, "free byte count %u exceeds content area of %u", fr, U - cs);
    if (leaf && bt_right(d))
        return vfail(why, whylen, "leaf has a right-most child pointer");
    if (!leaf && bt_right(d) < 2)
        return vfail(why, whylen, "right-most child is page %u", bt_right(d));
    /* one bit per content byte: cells must not overlap (no allocation, so the validator can
     * not fail for lack of memory) */
    uint64_t used[(BT_MAX_USABLE + 63) / 64];
    memset(used, 0, ((U + 63) / 64) * sizeof *used);
    const uint8_t *pk = NULL;
    size_t pkl = 0;
    uint64_t sum = 0;
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t off = get_u16(d + BT_HDR + 2 * i), sz = 0;
        const uint8_t *k = NULL;
        size_t kl = 0;
        if (off < cs || off >= U) {
            rc = vfail(why, whylen, "cell %u offset %u outside content area %u..%u", i, off, cs, U);
            break;
        }
        if (leaf) {
            bt_leafcell c;
            if (bt_leaf_parse(d + off, d + U, U, &c))
                rc = vfail(why, whylen, "cell %u malformed or overruns the page", i);
            else {
                k = c.key;
                kl = c.kl;
                sz = c.size;
            }
        } else {
            uint32_t child;
            if (bt_int_parse(d + off, d + U, U, &child, &k, &kl, &sz))
                rc = vfail(why, whylen, "cell %u malformed or overruns the page", i);
            else if (child < 2)
                rc = vfail(why, whylen, "cell %u points to page %u", i, child);
        }
        if (rc)
            break;
        if (i > 0 && bt_keycmp(pk, pkl, k, kl) >= 0)
            rc = vfail(why, whylen, "keys out of order at cell %u", i);
        pk = k;
        pkl = kl;
        for (uint32_t b = off; b < off + sz; b++) {
            uint64_t bit = (uint64_t)1 << (b & 63);
            if (used[b >> 6] & bit) {
                rc = vfail(why, whylen, "cell %u overlaps another cell", i);
                break;
            }
            used[b >> 6] |= bit;
        }
        sum += sz;
    }
    if (!rc && sum + fr != U - cs)
        rc = vfail(why, whylen, "%llu bytes in cells plus %u free bytes do not fill the %u-byte "
                   "content area", (unsigned long long)sum, fr, U - cs);
    return rc;
}

/* ---- whole tree ---------------------------------------------------------------------------- */

typedef struct chk {
    bt_ctx x;
    uint8_t *seen;
    uint32_t npages;
    void (*report)(void *, const char *);
    void *arg;
    uint64_t problems;
    int leafdepth;
} chk;

static void chk_report(chk *k, uint32_t pgno, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void chk_report(chk *k, uint32_t pgno, const char *fmt, ...)
{
    char msg[400], line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "tree %u: page %u: %s", k->x.root, pgno, msg);
    k->problems++;
    if (k->report)
        k->report(k->arg, line);
}

/* Claim pgno in the bitmap; 0 if it is out of range or already claimed (reported). */
static int chk_claim(chk *k, uint32_t pgno, uint32_t from, const char *what)
{
    if (pgno < 2 || pgno > k->npages) {
        chk_report(k, from, "%s page number %u out of range 2..%u", what, pgno, k->npages);
        return 0;
    }
    if (k->seen[pgno >> 3] & (1u << (pgno & 7))) {
        chk_report(k, pgno, "page used twice (%s reached from page %u)", what, from);
        return 0;
    }
    k->seen[pgno >> 3] |= (uint8_t)(1u << (pgno & 7));
    return 1;
}

/* Fetch a page for checking; a read failure (e.g. a checksum mismatch) is a problem to
 * report, only running out of memory stops the check. */
static int chk_get(chk *k, uint32_t pgno, pg **p)
{
    int rc = pager_get(k->x.t, pgno, p);
    if (rc == NQ_ENOMEM)
        return rc;
    if (rc) {
        chk_report(k, pgno, "cannot read: %s", k->x.err->msg);
        *p = NULL;
    }
    return 0;
}

static int chk_overflow(chk *k, uint32_t leafpg, uint32_t cell, uint32_t first, uint64_t spilled)
{
    uint64_t want = bt_ovfl_pages(k->x.usable, spilled);
    uint32_t pgno = first, from = leafpg;
    for (uint64_t i = 0; i < want; i++) {
        if (!chk_claim(k, pgno, from, "overflow"))
            return 0;
        pg *p;
        int rc = chk_get(k, pgno, &p);
        if (rc || !p)
            return rc;
        uint8_t ty = p->data[0];
        uint32_t next = get_u32(p->data + 4);
        pager_unref(k->x.t, p);
        if (ty != PGTYPE_OVERFLOW) {
            chk_report(k, pgno, "overflow page of cell %u on page %u has type %u", cell, leafpg, ty);
            return 0;
        }
        if (i + 1 < want && next == 0) {
            chk_report(k, leafpg, "cell %u: overflow chain has %llu pages, value needs %llu", cell,
                       (unsigned long long)(i + 1), (unsigned long long)want);
            return 0;
        }
        if (i + 1 == want && next != 0)
            chk_report(k, leafpg, "cell %u: overflow chain longer than the value needs (%llu "
                       "pages)", cell, (unsigned long long)want);
        from = pgno;
        pgno = next;
    }
    return 0;
}

typedef struct bound {
    const uint8_t *k;
    size_t kl;
    int set;
} bound;

static int chk_page(chk *k, uint32_t pgno, uint32_t from, int depth, bound lo, bound hi)
{
    bt_ctx *x = &k->x;
    uint32_t U = x->usable;
    if (depth >= BT_MAX_DEPTH) {
        chk_report(k, pgno, "tree deeper than %d levels", BT_MAX_DEPTH);
        return 0;
    }
    if (!chk_claim(k, pgno, from, depth ? "child" : "root"))
        return 0;
    pg *p;
    int rc = chk_get(k, pgno, &p);
    if (rc || !p)
        return rc;
    char why[200];
    const uint8_t *d = p->data;
    if (btree_page_validate(d, U, why, sizeof why)) {
        chk_report(k, pgno, "%s", why);
        pager_unref(x->t, p);
        return 0;
    }
    uint32_t n = bt_ncell(d);
    if (n == 0 && pgno != x->root)
        chk_report(k, pgno, "%s page with no cells", bt_is_leaf(d) ? "leaf" : "interior");
    if (bt_is_leaf(d)) {
        if (k->leafdepth < 0)
            k->leafdepth = depth;
        else if (k->leafdepth != depth)
            chk_report(k, pgno, "leaf at depth %d, other leaves at depth %d", depth, k->leafdepth);
    }
    /* bounds: lo <= key < hi for every key of this subtree */
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t off = get_u16(d + BT_HDR + 2 * i), child = 0, sz;
        const uint8_t *key = NULL;
        size_t kl = 0;
        bt_leafcell c = {0};
        if (bt_is_leaf(d)) {
            bt_leaf_parse(d + off, d + U, U, &c); /* validated above */
            key = c.key;
            kl = c.kl;
        } else {
            bt_int_parse(d + off, d + U, U, &child, &key, &kl, &sz);
        }
        if (lo.set && bt_keycmp(key, kl, lo.k, lo.kl) < 0)
            chk_report(k, pgno, "key at cell %u is below the parent's separator", i);
        if (hi.set && bt_keycmp(key, kl, hi.k, hi.kl) >= 0)
            chk_report(k, pgno, "key at cell %u is not below the parent's next separator", i);
        if (bt_is_leaf(d)) {
            if (c.ovfl)
                rc = chk_overflow(k, pgno, i, c.ovfl, c.vl - c.local);
        } else {
            bound chi = {key, kl, 1}, clo = lo;
            if (i > 0) {
                uint32_t po = get_u16(d + BT_HDR + 2 * (i - 1)), pc, ps;
                bt_int_parse(d + po, d + U, U, &pc, &clo.k, &clo.kl, &ps);
                clo.set = 1;
            }
            rc = chk_page(k, child, pgno, depth + 1, clo, chi);
        }
    }
    if (!rc && !bt_is_leaf(d)) {
        bound clo = lo;
        if (n > 0) {
            uint32_t po = get_u16(d + BT_HDR + 2 * (n - 1)), pc, ps;
            bt_int_parse(d + po, d + U, U, &pc, &clo.k, &clo.kl, &ps);
            clo.set = 1;
        }
        rc = chk_page(k, bt_right(d), pgno, depth + 1, clo, hi);
    }
    pager_unref(x->t, p);
    return rc;
}

int btree_check(pager_txn *t, uint32_t root, uint8_t *seen, uint32_t npages,
                void (*report)(void *, const char *), void *arg, uint64_t *problems)
{
    chk k;
    bt_ctx_init(&k.x, t, root);
    k.seen = seen;
    k.npages = npages;
    k.report = report;
    k.arg = arg;
    k.problems = 0;
    k.leafdepth = -1;
    bound none = {NULL, 0, 0};
    int rc = chk_page(&k, root, root, 0, none, none);
    if (problems)
        *problems += k.problems;
    if (rc)
        return rc;
    return k.problems ? NQ_ECORRUPT : 0;
}
