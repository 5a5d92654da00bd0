/*
 * check.c — nq_check: the database-wide integrity check.
 *
 * In one read transaction (a consistent snapshot, so it can run beside writers):
 *   1. every page 1..page_count is read and its checksum verified; a page in the page codec's
 *      form (COMPRESS TABLE ... USING DNA, pgcodec.h) whose damaged bytes the codec repaired
 *      on this read is reported too ("page 7: 12 damaged bytes repaired by the page codec"),
 *      as a problem: the data reads back intact, but the medium is losing bytes and the file
 *      keeps the damage until the page is rewritten. One it cannot repair fails its read and
 *      is reported like any damaged page. (Pages already in the buffer pool were checked when
 *      they were read; the counters are the database's, so a repair by a concurrent reader
 *      may be attributed to the page being checked.)
 *   2. every tree named in the catalog, and the catalog itself, is walked by btree_check
 *      (page types, bounds, key order, depth, overflow chains), marking the pages it uses;
 *   3. the free list is walked, marking its pages;
 *   4. every page must have been marked exactly once: a page used twice or by nothing
 *      (leaked) is reported.
 */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/endian.h"
#include "storage/pgcodec.h"

typedef struct check_ctx {
    nq_report_fn report;
    void *arg;
    uint64_t problems;
} check_ctx;

static void problem(check_ctx *cx, const char *msg)
{
    cx->problems++;
    if (cx->report)
        cx->report(cx->arg, msg);
}

static void forward(void *arg, const char *msg)
{
    check_ctx *cx = arg;
    if (cx->report)
        cx->report(cx->arg, msg);
}

int nq_check(nq_db *db, nq_report_fn report, void *arg, uint64_t *problems)
{
    if (problems)
        *problems = 0;
    if (!db || !db->eng->pager)
        return NQ_EMISUSE;
    pager_txn *t;
    int ac;
    int rc = api_txn_begin(db, 0, &t, &ac);
    if (rc)
        return rc;
    check_ctx cx = {report, arg, 0};
    char msg[NQ_ERRMSG_MAX + 64];
    uint32_t npages = pager_page_count(t);
    uint8_t *seen = calloc(npages / 8 + 1, 1);
    if (!seen) {
        rc = nq_err_set(pager_txn_err(t), NQ_ENOMEM, "out of memory");
        return api_txn_end(db, t, ac, rc);
    }
    /* 1. checksums */
    pgcodec_counts c0, c1;
    pgcodec_counters(db->eng->pager, &c0);
    for (uint32_t p = 2; p <= npages; p++) {
        pg *g;
        int r = pager_get(t, p, &g);
        if (r) {
            snprintf(msg, sizeof msg, "%s", pager_txn_err(t)->msg);
            problem(&cx, msg);
            nq_err_clear(pager_txn_err(t));
        } else {
            pager_unref(t, g);
        }
        pgcodec_counters(db->eng->pager, &c1);
        if (c1.pages_repaired != c0.pages_repaired) {
            snprintf(msg, sizeof msg, "page %u: %llu damaged byte(s) repaired by the page codec "
                     "(the data reads back intact; the file keeps the damage until the page is "
                     "rewritten)", p, (unsigned long long)(c1.bytes_repaired - c0.bytes_repaired));
            problem(&cx, msg);
        }
        c0 = c1;
    }
    seen[0] |= 2; /* page 1: the header */

    /* 2. trees */
    uint32_t cat = (uint32_t)pager_meta(t, META_SCHEMA_ROOT);
    if (cat) {
        uint64_t before = cx.problems;
        int r = btree_check(t, cat, seen, npages, forward, &cx, &cx.problems);
        if (r && r != NQ_ECORRUPT) {
            rc = r;
            goto done;
        }
        if (cx.problems == before) {
            btcursor *c;
            if ((r = btree_cursor_open(t, cat, &c))) {
                rc = r;
                goto done;
            }
            for (r = btree_cursor_first(c); r == 0; r = btree_cursor_next(c)) {
                size_t kl, vl;
                const uint8_t *k = btree_cursor_key(c, &kl);
                const uint8_t *v = btree_cursor_value(c, &vl);
                if (!v || vl != 12) {
                    snprintf(msg, sizeof msg, "catalog: entry \"%.*s\" is damaged", (int)kl, k);
                    problem(&cx, msg);
                    continue;
                }
                uint32_t root = get_u32(v);
                int r2 = btree_check(t, root, seen, npages, forward, &cx, &cx.problems);
                if (r2 && r2 != NQ_ECORRUPT) {
                    btree_cursor_close(c);
                    rc = r2;
                    goto done;
                }
            }
            btree_cursor_close(c);
            if (r != NQ_ENOTFOUND) {
                snprintf(msg, sizeof msg, "catalog: %s", pager_txn_err(t)->msg);
                problem(&cx, msg);
            }
        }
    }
    /* 3. free list */
    {
        int r = pager_freelist_check(t, seen, npages, forward, &cx, &cx.problems);
        if (r && r != NQ_ECORRUPT) {
            rc = r;
            goto done;
        }
    }
    /* 4. accounting */
    for (uint32_t p = 2; p <= npages; p++)
        if (!(seen[p >> 3] & (1u << (p & 7)))) {
            snprintf(msg, sizeof msg, "page %u is neither in a tree nor in the free list (leaked)", p);
            problem(&cx, msg);
        }
done:
    free(seen);
    nq_err_clear(pager_txn_err(t));
    if (problems)
        *problems = cx.problems;
    api_txn_end(db, t, ac, 0);
    if (rc)
        return nq_err_set(&db->err, rc, "integrity check could not run: %s", nq_strerror(rc));
    if (cx.problems)
        return nq_err_set(&db->err, NQ_ECORRUPT, "integrity check found %llu problem(s)",
                          (unsigned long long)cx.problems);
    return 0;
}
