/*
 * btree_int.h — what the btree_*.c files share: the page format, bounds-checked cell
 * decoders, the operation context and the balancing entry points. Not for other modules.
 *
 * Page format (docs/btree.md has the byte-by-byte picture). Every B-tree page, leaf or
 * interior, starts with a 16-byte header:
 *
 *     0  u8   page type (PGTYPE_BTREE_LEAF or PGTYPE_BTREE_INTERIOR)
 *     1  u8   flags: bit 0 (PGCODEC_PAGE_FLAG, pgcodec.h) = the tree is marked for the page
 *               codec (COMPRESS TABLE ... USING DNA); other bits 0. Every page a B-tree
 *               operation (re)builds, and every overflow page it allocates (byte 1 there
 *               too), takes the root page's bit, so pages created by splits inherit it.
 *     2  u16  number of cells n
 *     4  u16  start of the cell content area (cells occupy [start, usable))
 *     6  u16  free bytes inside the content area (holes left by deleted cells)
 *     8  u32  interior: right-most child page; leaf: 0
 *    12  u32  root page only: structure-change counter (cursor revalidation); else 0
 *
 * followed by n u16 cell offsets in key order. Because usable <= 65536 - 12, every offset
 * fits in 16 bits even with 64 KiB pages. Cells:
 *
 *     leaf:      varint klen, varint vlen, key, first `local` bytes of the value,
 *                [u32 first overflow page when local < vlen]
 *     interior:  u32 child page, varint klen, key
 *
 * Child i of an interior page holds the keys k with sep[i-1] <= k < sep[i]; the right-most
 * child holds k >= sep[n-1]. Varints are unsigned LEB128 (7 bits a byte, low group first).
 */
#ifndef NQ_STORAGE_BTREE_INT_H
#define NQ_STORAGE_BTREE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../base/endian.h"
#include "../base/err.h"
#include "../base/varint.h"
#include "btree.h"
#include "pgcodec.h"

#define BT_HDR 16
#define BT_OFF_TYPE 0
#define BT_OFF_NCELL 2
#define BT_OFF_CONTENT 4
#define BT_OFF_FREE 6
#define BT_OFF_RIGHT 8
#define BT_OFF_GEN 12

#define BT_OVFL_HDR 8      /* overflow page: u8 type, 3 zero bytes, u32 next page */
#define BT_MAX_DEPTH 40    /* every non-root interior page has >= 2 children: 2^32 pages */
#define BT_MIN_USABLE 1012 /* page size 1024 less the pager's trailer */
#define BT_MAX_USABLE 65524

/* ---- sizes derived from the usable page size ------------------------------------------------ */

/* Largest cell (without its 2-byte pointer): a quarter of the space, so >= 4 cells fit. */
static inline uint32_t bt_maxcell(uint32_t usable) { return (usable - BT_HDR) / 4 - 2; }
/* A leaf cell with the longest key and a spilled value still fits: 2 + 5 varint bytes,
 * the key, 4 bytes of overflow pointer and no inline value. */
static inline uint32_t bt_maxkey(uint32_t usable)
{
    uint32_t m = bt_maxcell(usable) - 11;
    return m < NQ_MAX_KEY ? m : NQ_MAX_KEY;
}
static inline uint32_t bt_ovfl_cap(uint32_t usable) { return usable - BT_OVFL_HDR; }

static inline uint32_t bt_varint_len(uint64_t v) { return (uint32_t)varint_len(v); }
static inline uint32_t bt_varint_put(uint8_t *p, uint64_t v) { return (uint32_t)varint_put(p, v); }
/* At most 5 bytes (values < 2^35) without reading at or past end; 0 if malformed. */
static inline uint32_t bt_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    return p < end ? (uint32_t)varint_get(p, (size_t)(end - p), 5, v) : 0;
}

/* How many value bytes a leaf cell keeps in the page, and whether the rest spills. The rule
 * depends only on (usable, klen, vlen) so readers recompute it. A value spills when the whole
 * cell would exceed bt_maxcell; the inline part is then chosen so the spilled part fills its
 * overflow pages exactly when that is possible, but is at least a small minimum. */
static inline uint32_t bt_leaf_local(uint32_t usable, uint64_t kl, uint64_t vl, int *spill)
{
    uint32_t h = bt_varint_len(kl) + bt_varint_len(vl);
    uint32_t mc = bt_maxcell(usable);
    if (h + kl + vl <= mc) {
        *spill = 0;
        return (uint32_t)vl;
    }
    *spill = 1;
    int64_t avail = (int64_t)mc - h - (int64_t)kl - 4;
    if (avail < 0)
        avail = 0;
    int64_t oc = bt_ovfl_cap(usable);
    int64_t k = ((int64_t)vl - avail + oc - 1) / oc;
    int64_t local = (int64_t)vl - k * oc;
    int64_t mn = (usable - BT_HDR) / 32;
    if (mn > avail)
        mn = avail;
    if (local < mn)
        local = mn;
    return (uint32_t)local;
}

static inline uint64_t bt_ovfl_pages(uint32_t usable, uint64_t spilled)
{
    uint32_t oc = bt_ovfl_cap(usable);
    return (spilled + oc - 1) / oc;
}

/* memcmp order, then shorter first. Most keys differ within their first 8 bytes (rowid keys
 * are 8 big-endian bytes; index keys start with a tagged value), so that word is compared
 * inline as a big-endian integer: a libc memcmp call per probe was 13-16% of a row fetch. */
static inline int bt_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    if (m >= 8) {
        uint64_t x = get_be64(a), y = get_be64(b);
        if (x != y)
            return x < y ? -1 : 1;
        int r = m > 8 ? memcmp(a + 8, b + 8, m - 8) : 0;
        if (r)
            return r;
    } else {
        for (size_t i = 0; i < m; i++)
            if (a[i] != b[i])
                return a[i] < b[i] ? -1 : 1;
    }
    return (al > bl) - (al < bl);
}

/* ---- page header ------------------------------------------------------------------------------ */
static inline uint32_t bt_ncell(const uint8_t *d) { return get_u16(d + BT_OFF_NCELL); }
static inline uint32_t bt_content(const uint8_t *d) { return get_u16(d + BT_OFF_CONTENT); }
static inline uint32_t bt_freeb(const uint8_t *d) { return get_u16(d + BT_OFF_FREE); }
static inline uint32_t bt_right(const uint8_t *d) { return get_u32(d + BT_OFF_RIGHT); }
static inline int bt_is_leaf(const uint8_t *d) { return d[0] == PGTYPE_BTREE_LEAF; }

/* The header fields that every access relies on: a known type and a cell-pointer array that
 * ends before the content area, which ends at usable. Cheap enough for every page load. */
static inline int bt_hdr_ok(const uint8_t *d, uint32_t usable)
{
    if (d[0] != PGTYPE_BTREE_LEAF && d[0] != PGTYPE_BTREE_INTERIOR)
        return 0;
    uint32_t n = bt_ncell(d), cs = bt_content(d);
    if (BT_HDR + 2 * n > cs || cs > usable)
        return 0;
    if (bt_freeb(d) > usable - cs)
        return 0;
    return 1;
}

/* Offset of cell i, or 0 if it points outside the content area. Requires bt_hdr_ok. */
static inline uint32_t bt_cell_off(const uint8_t *d, uint32_t usable, uint32_t i)
{
    uint32_t o = get_u16(d + BT_HDR + 2 * i);
    if (o < bt_content(d) || o >= usable)
        return 0;
    return o;
}

/* A decoded leaf cell; pointers into the page. */
typedef struct bt_leafcell {
    const uint8_t *key;
    size_t kl;
    uint64_t vl;
    const uint8_t *val; /* the inline part */
    uint32_t local;
    uint32_t ovfl;      /* first overflow page, 0 if none */
    uint32_t size;      /* bytes the cell occupies */
} bt_leafcell;

/* Just the key of the leaf cell at p (bytes up to end are readable); 0 or -1 if it does not
 * fit. */
static inline int bt_leaf_key(const uint8_t *p, const uint8_t *end, const uint8_t **k, size_t *kl)
{
    uint64_t a, b;
    uint32_t n1 = bt_varint_get(p, end, &a);
    if (!n1)
        return -1;
    uint32_t n2 = bt_varint_get(p + n1, end, &b);
    if (!n2 || a > (uint64_t)(end - p - n1 - n2))
        return -1;
    *k = p + n1 + n2;
    *kl = (size_t)a;
    return 0;
}

static inline int bt_leaf_parse(const uint8_t *p, const uint8_t *end, uint32_t usable,
                                bt_leafcell *c)
{
    uint64_t kl, vl;
    uint32_t n1 = bt_varint_get(p, end, &kl);
    if (!n1)
        return -1;
    uint32_t n2 = bt_varint_get(p + n1, end, &vl);
    if (!n2 || kl > bt_maxkey(usable) || vl > BTREE_MAX_VALUE)
        return -1;
    int spill;
    uint32_t local = bt_leaf_local(usable, kl, vl, &spill);
    uint64_t size = (uint64_t)n1 + n2 + kl + local + (spill ? 4 : 0);
    if (size > (uint64_t)(end - p))
        return -1;
    c->key = p + n1 + n2;
    c->kl = (size_t)kl;
    c->vl = vl;
    c->val = c->key + kl;
    c->local = local;
    c->ovfl = spill ? get_u32(c->val + local) : 0;
    if (spill && c->ovfl == 0)
        return -1;
    c->size = (uint32_t)size;
    return 0;
}

/* Interior cell at p: child, key, size. 0 or -1. */
static inline int bt_int_parse(const uint8_t *p, const uint8_t *end, uint32_t usable,
                               uint32_t *child, const uint8_t **k, size_t *kl, uint32_t *size)
{
    if (end - p < 5)
        return -1;
    uint64_t l;
    uint32_t n = bt_varint_get(p + 4, end, &l);
    if (!n || l > bt_maxkey(usable) || l > (uint64_t)(end - p - 4 - n))
        return -1;
    *child = get_u32(p);
    *k = p + 4 + n;
    *kl = (size_t)l;
    if (size)
        *size = 4 + n + (uint32_t)l;
    return 0;
}

/* ---- operation context --------------------------------------------------------------------- */

/* A bump allocator for the cell copies a rebalance makes; freed in one call. */
typedef struct bt_chunk bt_chunk;
typedef struct bt_arena {
    bt_chunk *head;
} bt_arena;

/* A page's content held in memory while it is rebuilt: cell pointers (into an arena or a
 * page), sizes, and the right-most child for interior pages. */
typedef struct bt_list {
    uint8_t **c;
    uint32_t *sz;
    uint32_t n, cap;
    int leaf;
    uint32_t right;
} bt_list;

/* One modifying operation: the path from the root to a leaf and what the balancer needs. */
typedef struct bt_ctx {
    pager_txn *t;
    nq_err *err;
    uint32_t usable;
    uint32_t root;
    int depth;                     /* levels in the path; the leaf is at depth - 1 */
    uint32_t pgno[BT_MAX_DEPTH];
    uint32_t idx[BT_MAX_DEPTH];    /* interior: child taken (n = right-most); leaf: cell */
    uint32_t gen;                  /* root's structure counter when the path was taken */
    int structural;                /* a rebalance ran: bump the counter at the end */
    int append;                    /* the insert went past the last cell of its leaf */
    int is_delete;                 /* underfull pages are rebalanced only when deleting */
    int flags_known;               /* flags holds the root's flag byte (bt_tree_flags) */
    uint8_t flags;                 /* root page's PGCODEC_PAGE_FLAG, given to pages written */
    bt_arena arena;
} bt_ctx;

int bt_corrupt(bt_ctx *x, uint32_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bt_nomem(bt_ctx *x);

void bt_ctx_init(bt_ctx *x, pager_txn *t, uint32_t root);
/* The flag byte pages of this tree are written with (read from the root once per operation;
 * call it while holding no reference to the root). */
int bt_tree_flags(bt_ctx *x, uint8_t *out);
void bt_ctx_done(bt_ctx *x);
void *bt_arena_alloc(bt_arena *a, size_t n);
void bt_arena_free(bt_arena *a);
int bt_list_reserve(bt_ctx *x, bt_list *l, uint32_t cap);
/* Copy the cells of a (header-checked) page into l (arena memory, room for `extra` more). */
int bt_list_from_page(bt_ctx *x, uint32_t pgno, const uint8_t *d, bt_list *l, uint32_t extra);
/* Lay n cells out in page d from scratch (they must fit and must not point into d). */
void bt_page_build(uint8_t *d, uint32_t usable, int leaf, uint8_t *const *cells,
                   const uint32_t *sz, uint32_t n, uint32_t right);
/* Size of a cell of a (header-checked) page, or 0 if it does not fit in the page. */
uint32_t bt_cell_size(const uint8_t *d, uint32_t usable, uint32_t off);

/* Get a page that must be a B-tree page (type and header checked). */
int bt_get(bt_ctx *x, uint32_t pgno, pg **out);
/* Write the content `l` back to level L of the path, splitting, merging or redistributing
 * with siblings as needed, up to the root. The entry point of balancing. */
int bt_fix(bt_ctx *x, int level, bt_list *l);
/* Delete cell idx[depth-1] of the path's leaf and rebalance; frees its overflow chain. */
int bt_delete_at(bt_ctx *x);
/* Bump the root's structure counter if a rebalance ran. */
int bt_finish(bt_ctx *x);
/* Descend from the root towards key; fills the path and leaves the leaf at depth-1 with
 * idx = first cell >= key; *found if equal. The leaf stays referenced in *leaf. */
int bt_descend(bt_ctx *x, const uint8_t *k, size_t kl, pg **leaf, int *found);
int bt_ovfl_read(bt_ctx *x, uint32_t first, uint64_t need, uint8_t *dst);
int bt_ovfl_free(bt_ctx *x, uint32_t first, uint64_t spilled);

#endif
