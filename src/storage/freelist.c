/*
 * freelist.c — allocation and release of pages.
 *
 * Free pages form a chain of trunk pages (type PGTYPE_FREELIST): u8 type, 3 bytes zero,
 * u32 next trunk, u32 n, then n u32 leaf page numbers. A trunk on a 4 KiB page lists 1018
 * leaves, so the list has no size cap. The header keeps the first trunk and the total count
 * of free pages (trunks included). Allocation takes the last leaf of the first trunk, or the
 * trunk page itself when it has no leaves; release appends to the first trunk, or makes the
 * released page the new first trunk when that one is full. Leaf pages are never rewritten
 * when they are freed (their old, still checksummed content stays), which saves a write per
 * page on deletes. Everything goes through the transaction like any other page change, so
 * the list is exactly as durable and atomic as the trees that use it.
 */
#include "pager_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/endian.h"



#define TRUNK_HDR 12

static uint32_t trunk_capacity(const pager *p) { return (p->usable - TRUNK_HDR) / 4; }

/* Fetch trunk page pgno and check that it is one: *n receives its number of leaves. On
 * failure nothing stays referenced. */
static int trunk_get(pager_txn *t, uint32_t pgno, pg **out, uint32_t *n)
{
    int rc = pager_get(t, pgno, out);
    if (rc)
        return rc;
    *n = get_u32((*out)->data + 8);
    if ((*out)->data[0] != PGTYPE_FREELIST || *n > trunk_capacity(t->p)) {
        pager_unref(t, *out);
        *out = NULL;
        return nq_err_set(&t->err, NQ_ECORRUPT, "%s: page %u: free-list trunk is damaged",
                          t->p->path, pgno);
    }
    return 0;
}

int pager_alloc(pager_txn *t, pg **out)
{
    *out = NULL;
    if (!t->write)
        return nq_err_set(&t->err, NQ_EREADONLY, "write in a read transaction");
    pager *p = t->p;
    int rc;
    if (t->hdr.freelist_head) {
        uint32_t head = t->hdr.freelist_head;
        if (t->hdr.freelist_count == 0)
            return nq_err_set(&t->err, NQ_ECORRUPT,
                              "%s: free list has a trunk (page %u) but a count of 0", p->path, head);
        pg *tr;
        uint32_t n;
        if ((rc = trunk_get(t, head, &tr, &n)))
            return rc;
        if (n > 0) {
            uint32_t leaf = get_u32(tr->data + TRUNK_HDR + 4 * (n - 1));
            if (leaf < 2 || leaf > t->hdr.page_count || leaf == head) {
                pager_unref(t, tr);
                return nq_err_set(&t->err, NQ_ECORRUPT,
                                  "%s: page %u: free-list entry %u out of range", p->path, head, leaf);
            }
            if ((rc = pager_write(t, &tr))) {
                pager_unref(t, tr);
                return rc;
            }
            put_u32(tr->data + 8, n - 1);
            pager_unref(t, tr);
            t->hdr.freelist_count--;
            t->hdr_dirty = 1;
            return pager_fresh_page(t, leaf, out);
        }
        uint32_t next = get_u32(tr->data + 4);
        pager_unref(t, tr);
        if (next > t->hdr.page_count)
            return nq_err_set(&t->err, NQ_ECORRUPT, "%s: page %u: next trunk %u out of range",
                              p->path, head, next);
        t->hdr.freelist_head = next;
        t->hdr.freelist_count--;
        t->hdr_dirty = 1;
        return pager_fresh_page(t, head, out);
    }
    if (t->hdr.page_count == UINT32_MAX)
        return nq_err_set(&t->err, NQ_ENOSPC, "%s: database has the maximum number of pages",
                          p->path);
    t->hdr.page_count++;
    t->hdr_dirty = 1;
    return pager_fresh_page(t, t->hdr.page_count, out);
}

int pager_free(pager_txn *t, uint32_t pgno)
{
    if (!t->write)
        return nq_err_set(&t->err, NQ_EREADONLY, "write in a read transaction");
    pager *p = t->p;
    if (pgno < 2 || pgno > t->hdr.page_count)
        return nq_err_set(&t->err, NQ_ECORRUPT, "%s: freeing page %u out of range", p->path, pgno);
    int rc;
    /* Its content no longer matters: drop a private copy that was never written to the log,
     * provided an earlier committed version exists (pages added by this transaction must be
     * written once, or the file would have a hole the integrity check reads). */
    t->mods++;
    dpage *d = dmap_find(t, pgno);
    if (d && !d->spill_frame && !d->pins && pgno <= t->base_pages)
        dmap_drop(t, d);
    uint32_t head = t->hdr.freelist_head;
    if (head) {
        pg *tr;
        uint32_t n;
        if ((rc = trunk_get(t, head, &tr, &n)))
            return rc;
        if (n < trunk_capacity(p)) {
            if ((rc = pager_write(t, &tr))) {
                pager_unref(t, tr);
                return rc;
            }
            put_u32(tr->data + TRUNK_HDR + 4 * n, pgno);
            put_u32(tr->data + 8, n + 1);
            pager_unref(t, tr);
            t->hdr.freelist_count++;
            t->hdr_dirty = 1;
            return 0;
        }
        pager_unref(t, tr);
    }
    pg *nt;
    if ((rc = pager_fresh_page(t, pgno, &nt)))
        return rc;
    nt->data[0] = PGTYPE_FREELIST;
    put_u32(nt->data + 4, head);
    put_u32(nt->data + 8, 0);
    pager_unref(t, nt);
    t->hdr.freelist_head = pgno;
    t->hdr.freelist_count++;
    t->hdr_dirty = 1;
    return 0;
}

int pager_freelist_check(pager_txn *t, uint8_t *seen, uint32_t npages,
                         void (*report)(void *, const char *), void *arg, uint64_t *problems)
{
    char msg[200];
    uint64_t found = 0, bad = 0;
#define FL_PROBLEM(...)                                                                          \
    do {                                                                                         \
        snprintf(msg, sizeof msg, __VA_ARGS__);                                                  \
        if (report)                                                                              \
            report(arg, msg);                                                                    \
        bad++;                                                                                   \
    } while (0)
    uint32_t trunk = t->hdr.freelist_head;
    uint64_t trunks = 0;
    while (trunk) {
        if (trunk < 2 || trunk > npages) {
            FL_PROBLEM("free list: trunk page %u out of range", trunk);
            break;
        }
        if (seen[trunk >> 3] & (1u << (trunk & 7))) {
            FL_PROBLEM("free list: page %u is used twice (trunk)", trunk);
            break;
        }
        seen[trunk >> 3] |= (uint8_t)(1u << (trunk & 7));
        found++;
        if (++trunks > npages) {
            FL_PROBLEM("free list: trunk chain loops");
            break;
        }
        pg *tr;
        uint32_t n;
        if (trunk_get(t, trunk, &tr, &n)) {
            FL_PROBLEM("free list: %.150s", t->err.msg);
            break;
        }
        uint32_t next = get_u32(tr->data + 4);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t leaf = get_u32(tr->data + TRUNK_HDR + 4 * i);
            if (leaf < 2 || leaf > npages) {
                FL_PROBLEM("free list: trunk %u entry %u: page %u out of range", trunk, i, leaf);
                continue;
            }
            if (seen[leaf >> 3] & (1u << (leaf & 7))) {
                FL_PROBLEM("free list: page %u is used twice", leaf);
                continue;
            }
            seen[leaf >> 3] |= (uint8_t)(1u << (leaf & 7));
            found++;
        }
        pager_unref(t, tr);
        trunk = next;
    }
    if (found != t->hdr.freelist_count)
        FL_PROBLEM("free list: header counts %u free pages, the list holds %llu",
                   t->hdr.freelist_count, (unsigned long long)found);
#undef FL_PROBLEM
    if (problems)
        *problems += bad;
    return bad ? NQ_ECORRUPT : 0;
}

static int cmp_pgno(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Give space back to the file system: when many pages are free and the last pages of the
 * file are among them, rebuild the free list without them and lower the page count; the
 * next checkpoint truncates the file. Runs inside the committing transaction, so it is as
 * atomic as the deletes that freed the pages. To stay cheap it runs only when at least a
 * quarter of the file is free, and after finding nothing to cut it waits until the free
 * list has grown by another quarter. */
int pager_shrink(pager_txn *t)
{
    pager *p = t->p;
    uint32_t n = t->hdr.freelist_count;
    if (n < 16 || (uint64_t)n * 4 < t->hdr.page_count || n < p->shrink_skip_below)
        return 0;
    if (n >= t->hdr.page_count) /* never size an allocation from a damaged count */
        return nq_err_set(&t->err, NQ_ECORRUPT, "%s: header counts %u free pages of %u", p->path,
                          n, t->hdr.page_count);
    uint32_t *pages = malloc((size_t)n * sizeof *pages);
    if (!pages)
        return nq_err_set(&t->err, NQ_ENOMEM, "out of memory");
    uint32_t got = 0;
    int rc = 0;
    for (uint32_t trunk = t->hdr.freelist_head; trunk && !rc;) {
        pg *tr;
        uint32_t cnt;
        if ((rc = trunk_get(t, trunk, &tr, &cnt)))
            break;
        if (got + 1 + cnt > n) {
            pager_unref(t, tr);
            rc = nq_err_set(&t->err, NQ_ECORRUPT, "%s: free list holds more pages than the "
                            "header's %u", p->path, n);
            break;
        }
        pages[got++] = trunk;
        for (uint32_t i = 0; i < cnt; i++)
            pages[got++] = get_u32(tr->data + TRUNK_HDR + 4 * i);
        uint32_t next = get_u32(tr->data + 4);
        pager_unref(t, tr);
        trunk = next;
    }
    if (!rc && got != n)
        rc = nq_err_set(&t->err, NQ_ECORRUPT, "%s: free list holds %u pages, header says %u",
                        p->path, got, n);
    if (rc) {
        free(pages);
        return rc;
    }
    qsort(pages, n, sizeof *pages, cmp_pgno);
    uint32_t cut = 0;
    while (cut < n && pages[n - 1 - cut] == t->hdr.page_count - cut)
        cut++;
    if (cut < 8) {
        p->shrink_skip_below = n + n / 4 + 1;
        free(pages);
        return 0;
    }
    t->hdr.page_count -= cut;
    t->hdr.freelist_head = 0;
    t->hdr.freelist_count = 0;
    t->hdr_dirty = 1;
    for (uint32_t i = 0; i < n - cut && !rc; i++)
        rc = pager_free(t, pages[i]);
    free(pages);
    p->shrink_skip_below = 0;
    return rc;
}
