/*
 * pager.c — transactions, page access, commit with group sync, and checkpoints.
 *
 * Versions. Every committed page version lives either in the database file or in a log
 * frame. A reader's snapshot is one number, the last durable commit frame when it began; the
 * version of page n it sees is the latest frame <= snapshot holding n (wal_find), else the
 * database file. Images are cached in the shared buffer pool keyed by (page, frame), so they
 * never change in place and readers need no page latches.
 *
 * Writers. One at a time (p->writer). Changed pages are private dpages. When they exceed
 * dirty_limit the coldest are spilled to the log as frames of this transaction without a
 * commit mark (and rewritten in place if changed again), so a transaction can be far larger
 * than memory. Commit writes the remaining dirty pages, then page 1 (the header) last as the
 * commit frame, publishes the frames in the index, releases the writer role, and waits until
 * the log is synced up to its commit frame. Whoever finds no sync running becomes the leader
 * and syncs for every commit appended so far (group commit); the others wait for it. Readers
 * only see a commit once it is durable (mx_durable), while the next writer may already build
 * on it (mx_appended): if that sync fails, both fail, together, and the engine stops taking
 * writes (fail-stop: a failed fsync may have dropped dirty pages from the OS cache, so
 * retrying it could report success for data that is gone).
 *
 * Hot pages. A transaction keeps the committed B-tree interior pages it fetches pinned in
 * TXN_HOT direct-mapped slots (pager_txn.hot), counting the references it hands out from a
 * slot itself, so repeated descents take no log-index or pool lock above the leaf. Only
 * committed images are kept (a writer's dirty-page map is searched first), and the pins go
 * back to the pool when the transaction ends. A counter of modifications (pager_txn_mods)
 * tells B-tree cursors when a page they kept pinned may have changed.
 *
 * Checkpoints copy the latest committed version of every page in the log into the database
 * file, sync it, and restart the log (new salts) when no reader still uses it. Readers whose
 * snapshot is older than the copy target would read database-file pages the copy overwrites,
 * so the copy waits for (or, automatically after a commit, skips past) them. An automatic
 * checkpoint that readers held back is deferred and run by the last of them to end
 * (txn_end). VACUUM (pager_vacuum, CKPT_PARTIAL) instead copies up to the oldest reader's
 * snapshot: every version copied is older than every open snapshot, so no reader ever reads
 * the file where the copy changed it. The frames after that snapshot are the old versions it
 * keeps (nq_stats.frames_retained, computed from the list of open transactions).
 */
#include "pager_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/crc32c.h"
#include "../base/endian.h"
#include "../crypto/crypto_util.h"
#include "archive.h"
#include "dbkey.h"
#include "page_crypt.h"

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- page checksums ---------------------------------------------------------------------- */

static uint32_t page_crc(const uint8_t *data, uint32_t page_size, uint32_t pgno)
{
    uint8_t seed[4];
    put_u32(seed, pgno); /* a page written to the wrong place fails its check */
    uint32_t c = crc32c(0, seed, 4);
    return crc32c(c, data, page_size - 4);
}

void page_seal(uint8_t *data, uint32_t page_size, uint32_t pgno, uint64_t seq)
{
    put_u64(data + page_size - PAGE_TRAILER, seq);
    put_u32(data + page_size - 4, page_crc(data, page_size, pgno));
}

int page_verify(const uint8_t *data, uint32_t page_size, uint32_t pgno)
{
    return get_u32(data + page_size - 4) == page_crc(data, page_size, pgno) ? 0 : NQ_ECORRUPT;
}

/* Enter the fail-stop state (p->mu held). */
void pager_mark_failed(pager *p, const char *why)
{
    static const char tail[] = "; the database refuses writes until it is reopened";
    size_t n = strlen(why), room = sizeof p->failed_msg - sizeof tail;
    if (n > room)
        n = room;
    memcpy(p->failed_msg, why, n);
    memcpy(p->failed_msg + n, tail, sizeof tail);
    p->failed = 1;
}

/* ---- reading versions ---------------------------------------------------------------------- */

static int read_raw(pager *p, uint32_t pgno, uint32_t frame, uint8_t *buf, nq_err *err)
{
    if (frame)
        return wal_read_page(p->wal, frame, buf, err);
    ssize_t got = p->vfs->read(p->db, buf, p->page_size, (uint64_t)(pgno - 1) * p->page_size);
    if (got < 0)
        return nq_err_set(err, (int)got, "%s: page %u: read failed: %s", p->path, pgno,
                          nq_strerror((int)got));
    if ((size_t)got != p->page_size)
        return nq_err_set(err, NQ_ECORRUPT, "%s: page %u: beyond end of file", p->path, pgno);
    return 0;
}

static int bad_page(pager *p, uint32_t pgno, uint32_t frame, const char *why, nq_err *err)
{
    if (frame)
        return nq_err_set(err, NQ_ECORRUPT, "%s: page %u (log frame %u): %s", wal_path(p->wal),
                          pgno, frame, why);
    return nq_err_set(err, NQ_ECORRUPT, "%s: page %u: %s", p->path, pgno, why);
}

int pager_read_page(pager *p, uint32_t pgno, uint32_t frame, uint8_t *buf, nq_err *err)
{
    int rc = read_raw(p, pgno, frame, buf, err);
    const char *why = NULL;
    if (!rc && pagexform_in(p->xf, pgno, buf, &why))
        rc = bad_page(p, pgno, frame, why, err);
    return rc;
}

int pager_read_disk(pager *p, uint32_t pgno, uint32_t frame, uint8_t *buf, nq_err *err)
{
    int rc = read_raw(p, pgno, frame, buf, err);
    if (!rc && pagexform_check(buf, p->page_size, pgno))
        rc = bad_page(p, pgno, frame, "checksum mismatch", err);
    return rc;
}

typedef struct load_ctx {
    pager *p;
    nq_err *err;
} load_ctx;

static int load_version(void *arg, uint32_t pgno, uint32_t frame, uint8_t *buf)
{
    load_ctx *lc = arg;
    return pager_read_page(lc->p, pgno, frame, buf, lc->err);
}

/* ---- the writer's dirty-page map ------------------------------------------------------------ */

static inline size_t dslot(uint32_t pgno, size_t cap) { return (pgno * 0x9E3779B1u) & (cap - 1); }

dpage *dmap_find(pager_txn *t, uint32_t pgno)
{
    if (!t->dmap)
        return NULL;
    for (dpage *d = t->dmap[dslot(pgno, t->dmap_cap)]; d; d = d->hnext)
        if (d->page.pgno == pgno)
            return d;
    return NULL;
}

int dmap_new(pager_txn *t, uint32_t pgno, dpage **out)
{
    if (t->ndirty + 1 > t->dmap_cap) {
        size_t nc = t->dmap_cap ? t->dmap_cap * 2 : 256;
        dpage **nm = calloc(nc, sizeof *nm);
        if (!nm)
            return NQ_ENOMEM;
        for (size_t i = 0; i < t->dmap_cap; i++)
            for (dpage *d = t->dmap[i], *nx; d; d = nx) {
                nx = d->hnext;
                size_t s = dslot(d->page.pgno, nc);
                d->hnext = nm[s];
                nm[s] = d;
            }
        free(t->dmap);
        t->dmap = nm;
        t->dmap_cap = nc;
    }
    dpage *d = calloc(1, sizeof *d);
    if (!d)
        return NQ_ENOMEM;
    d->page.pgno = pgno;
    d->page.kind = PG_DIRTY;
    size_t s = dslot(pgno, t->dmap_cap);
    d->hnext = t->dmap[s];
    t->dmap[s] = d;
    t->ndirty++;
    *out = d;
    return 0;
}

void dmap_drop(pager_txn *t, dpage *d)
{
    dpage **pp = &t->dmap[dslot(d->page.pgno, t->dmap_cap)];
    while (*pp != d)
        pp = &(*pp)->hnext;
    *pp = d->hnext;
    if (d->page.data) {
        free(d->page.data);
        t->nmem--;
    }
    free(d);
    t->ndirty--;
}

static void dmap_free_all(pager_txn *t)
{
    for (size_t i = 0; i < t->dmap_cap; i++)
        for (dpage *d = t->dmap[i], *nx; d; d = nx) {
            nx = d->hnext;
            free(d->page.data);
            free(d);
        }
    free(t->dmap);
    t->dmap = NULL;
    t->dmap_cap = t->ndirty = t->nmem = 0;
}

/* Keep pool + private pages within the budget: lend the writer what it holds, in steps so
 * the pool is not resized on every page. */
/* What the writer holds, in pages of the budget: its private page images plus the records
 * that track every page it changed (spilled ones included), about 96 bytes each. */
static size_t txn_mem_pages(const pager_txn *t)
{
    return t->nmem + (t->ndirty * 96 + t->p->page_size - 1) / t->p->page_size;
}

static void budget_sync(pager_txn *t)
{
    size_t step = 32, held = txn_mem_pages(t);
    if (held > t->p->dirty_limit)
        held = t->p->dirty_limit; /* the pool keeps its reserve whatever the writer holds */
    if (held > t->lent + step || held + step < t->lent) {
        t->lent = held;
        bp_set_capacity(t->p->bp, t->p->budget - t->lent);
    }
}

static void budget_return(pager_txn *t)
{
    if (t->lent) {
        t->lent = 0;
        bp_set_capacity(t->p->bp, t->p->budget);
    }
}

/* ---- transactions ----------------------------------------------------------------------------- */

/* Snapshot ages: milliseconds are enough, and the coarse clock costs a few ns per begin. */
static uint64_t coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void registry_add(pager *p, pager_txn *t)
{
    p->n_txns++;
    t->rnext = p->txns;
    t->rprev = NULL;
    if (p->txns)
        p->txns->rprev = t;
    p->txns = t;
}

static void registry_remove(pager *p, pager_txn *t)
{
    p->n_txns--;
    if (t->rprev)
        t->rprev->rnext = t->rnext;
    else
        p->txns = t->rnext;
    if (t->rnext)
        t->rnext->rprev = t->rprev;
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Wait (p->mu held) until the writer role is free, then take it. */
static int take_writer(pager *p, unsigned timeout_ms)
{
    struct timespec dl;
    deadline_after(&dl, timeout_ms);
    while (p->writer && !p->failed) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &dl) == ETIMEDOUT && p->writer)
            return NQ_EBUSY;
    }
    if (p->failed)
        return NQ_EFAILED;
    p->writer = 1;
    return 0;
}

int pager_begin(pager *p, int write, unsigned timeout_ms, pager_txn **out, nq_err *err)
{
    *out = NULL;
    if (write && p->cfg.read_only)
        return nq_err_set(err, NQ_EREADONLY, "%s: database is open read-only", p->path);
    /* the hot slots are not cleared: hot_used says which are in use (this is per call in
     * autocommit mode, and the slots are most of the structure) */
    pager_txn *t = malloc(sizeof *t);
    if (!t)
        return nq_err_set(err, NQ_ENOMEM, "out of memory");
    memset(t, 0, offsetof(pager_txn, hot));
    t->p = p;
    t->write = write;
    pthread_mutex_lock(&p->mu);
    if (write) {
        int rc = take_writer(p, timeout_ms);
        if (rc) {
            if (rc == NQ_EFAILED)
                nq_err_set(err, rc, "%s", p->failed_msg);
            else
                nq_err_set(err, rc, "%s: another write transaction is running (waited %u ms)",
                           p->path, timeout_ms);
            pthread_mutex_unlock(&p->mu);
            free(t);
            return rc;
        }
        t->snap = p->mx_appended;
        t->hdr = p->hdr_appended;
        t->seq = p->next_seq++;
        t->next_frame = t->first_frame = p->mx_appended + 1;
        t->base_pages = t->hdr.page_count;
    } else {
        t->snap = p->mx_durable;
        t->hdr = p->hdr_durable;
        t->began_ms = coarse_ms();
    }
    registry_add(p, t);
    pthread_mutex_unlock(&p->mu);
    *out = t;
    return 0;
}

int pager_txn_is_write(const pager_txn *t) { return t->write; }
nq_err *pager_txn_err(pager_txn *t) { return &t->err; }
pager *pager_txn_pager(pager_txn *t) { return t->p; }
uint32_t pager_page_count(const pager_txn *t) { return t->hdr.page_count; }
uint32_t pager_freelist_count(const pager_txn *t) { return t->hdr.freelist_count; }
uint32_t pager_freelist_head(const pager_txn *t) { return t->hdr.freelist_head; }
uint64_t pager_txn_seq(const pager_txn *t) { return t->write ? t->seq : t->hdr.seq; }
uint64_t pager_txn_mods(const pager_txn *t) { return t->broken ? UINT64_MAX : t->mods; }
uint32_t pager_page_size(const pager *p) { return p->page_size; }
uint32_t pager_usable(const pager *p) { return p->usable; }
const char *pager_path(const pager *p) { return p->path; }

uint64_t pager_meta(const pager_txn *t, int slot)
{
    return slot >= 0 && slot < PAGER_META_SLOTS ? t->hdr.meta[slot] : 0;
}

int pager_set_meta(pager_txn *t, int slot, uint64_t v)
{
    if (!t->write)
        return nq_err_set(&t->err, NQ_EREADONLY, "write in a read transaction");
    if (slot < 0 || slot >= PAGER_META_SLOTS)
        return nq_err_set(&t->err, NQ_EINVAL, "meta slot %d out of range", slot);
    t->hdr.meta[slot] = v;
    t->hdr_dirty = 1;
    return 0;
}

static void hot_release(pager_txn *t);

static int readers_older_than(pager *p, uint32_t mx);
static void auto_checkpoint_locked(pager *p);

static void txn_end(pager_txn *t, int release_writer)
{
    pager *p = t->p;
    hot_release(t);
    dmap_free_all(t);
    budget_return(t);
    pthread_mutex_lock(&p->mu);
    registry_remove(p, t);
    if (release_writer)
        p->writer = 0;
    pthread_cond_broadcast(&p->cv);
    /* The automatic checkpoint a reader held back runs when the last such reader ends, not
     * only at the next commit (which may never come). */
    if (!t->write && p->ckpt_deferred && !p->writer && !p->failed &&
        !readers_older_than(p, p->mx_durable))
        auto_checkpoint_locked(p);
    pthread_mutex_unlock(&p->mu);
    free(t);
}

void pager_rollback(pager_txn *t)
{
    if (t)
        txn_end(t, t->write);
}

/* ---- page access --------------------------------------------------------------------------- */

static int check_pgno(pager_txn *t, uint32_t pgno)
{
    if (pgno == 0 || pgno > t->hdr.page_count)
        return nq_err_set(&t->err, NQ_ECORRUPT, "%s: page %u out of range (database has %u pages)",
                          t->p->path, pgno, t->hdr.page_count);
    return 0;
}

/* Load a spilled dirty page back from its frame. */
static int dpage_load(pager_txn *t, dpage *d)
{
    uint8_t *buf = malloc(t->p->page_size);
    if (!buf)
        return nq_err_set(&t->err, NQ_ENOMEM, "out of memory");
    int rc = pager_read_page(t->p, d->page.pgno, d->spill_frame, buf, &t->err);
    if (rc) {
        free(buf);
        return rc;
    }
    d->page.data = buf;
    d->needs_write = 0;
    t->nmem++;
    budget_sync(t);
    return 0;
}

static int spill(pager_txn *t);

/* A write that failed half-way (a spill) leaves the transaction unusable: every later page
 * access fails too, so no caller can mistake the failure for the end of a scan. */
static int txn_broken(pager_txn *t)
{
    return nq_err_set(&t->err, t->broken, "%s: the transaction failed earlier (%s) and must be "
                      "rolled back", t->p->path, nq_strerror(t->broken));
}

/* ---- learned prefetching (prefetch.h) ------------------------------------------------------
 * The access stream the learner sees is the pages fetched from the pool (a hot slot's page is
 * not fetched again) that are not B-tree interior pages: interior pages stay resident anyway,
 * and skipping them makes the learned step "leaf A, then leaf B" across a whole descent. A
 * transaction's stream continues from the engine's last such page, so a run of autocommit
 * lookups is one stream. Predictions are resolved against the transaction's snapshot here
 * (only pages in it and not in the pool go further); the background thread resolves them
 * again in a read transaction of its own, so every image it loads is the committed version
 * of a snapshot that pins the log, exactly as a demand fetch would (pager_prefetch_run). */

/* The version of page q the transaction would read, or -1 if it has none. */
static int64_t prefetch_version(pager_txn *t, uint32_t q)
{
    if (q == 0 || q > t->hdr.page_count || (t->write && dmap_find(t, q)))
        return -1;
    uint32_t frame = wal_find(t->p->wal, q, t->snap);
    if (!frame && q > __atomic_load_n(&t->p->db_file_pages, __ATOMIC_ACQUIRE))
        return -1;
    return frame;
}

static void prefetch_after(pager_txn *t, uint32_t pgno)
{
    pager *p = t->p;
    uint32_t want[PF_MAX_PREDICT];
    int n = pf_access(p->pf, &t->pf_prev, pgno, want), k = 0;
    int bg = pf_background(p->pf);
    for (int i = 0; i < n; i++) {
        int64_t frame = prefetch_version(t, want[i]);
        if (frame < 0 || bp_contains(p->bp, want[i], (uint32_t)frame))
            continue;
        if (bg) {
            want[k++] = want[i];
        } else {
            /* inline: loaded now from this snapshot; a failure is the demand path's to report */
            nq_err e;
            load_ctx lc = {p, &e};
            e.code = 0;
            k += bp_prefetch(p->bp, want[i], (uint32_t)frame, load_version, &lc) == 1;
        }
    }
    if (bg)
        pf_enqueue(p->pf, want, k);
    else
        pf_count_inline(p->pf, (uint64_t)k);
}

void pager_prefetch_run(void *arg, const uint32_t *pgno, size_t n)
{
    pager *p = arg;
    pager_txn *t;
    nq_err e;
    e.code = 0;
    if (pager_begin(p, 0, 0, &t, &e))
        return;
    for (size_t i = 0; i < n; i++) {
        int64_t frame = prefetch_version(t, pgno[i]);
        load_ctx lc = {p, &t->err};
        if (frame >= 0)
            (void)bp_prefetch(p->bp, pgno[i], (uint32_t)frame, load_version, &lc);
    }
    pager_rollback(t);
}

int pager_get(pager_txn *t, uint32_t pgno, pg **out)
{
    *out = NULL;
    if (t->broken)
        return txn_broken(t);
    int rc = check_pgno(t, pgno);
    if (rc)
        return rc;
    if (t->write) {
        dpage *d = dmap_find(t, pgno);
        if (d) {
            if (!d->page.data && (rc = dpage_load(t, d)))
                return rc;
            d->pins++;
            d->tick = ++t->tick;
            if (txn_mem_pages(t) > t->p->dirty_limit && t->nmem && (rc = spill(t))) {
                d->pins--;
                return rc;
            }
            *out = &d->page;
            return 0;
        }
    }
    uint32_t slot = pgno % TXN_HOT, bit = (uint32_t)1 << slot;
    hot_slot *h = &t->hot[slot];
    if ((t->hot_used & bit) && h->page->pgno == pgno) {
        h->refs++;
        *out = h->page;
        return 0;
    }
    pager *p = t->p;
    uint32_t frame = wal_find(p->wal, pgno, t->snap);
    if (!frame && pgno > __atomic_load_n(&p->db_file_pages, __ATOMIC_ACQUIRE))
        return nq_err_set(&t->err, NQ_ECORRUPT, "%s: page %u is in neither the file nor the log",
                          p->path, pgno);
    load_ctx lc = {p, &t->err};
    rc = bp_fetch(p->bp, pgno, frame, load_version, &lc, out);
    if (rc && !t->err.code)
        nq_err_set(&t->err, rc, "page %u: %s", pgno, nq_strerror(rc));
    if (p->pf && !rc && (*out)->data[0] != PGTYPE_BTREE_INTERIOR)
        prefetch_after(t, pgno);
    if (!rc && (*out)->data[0] == PGTYPE_BTREE_INTERIOR &&
        (!(t->hot_used & bit) || h->refs == 0)) {
        /* the caller's pin becomes the slot's own, and the caller holds one of its refs */
        if (t->hot_used & bit)
            bp_unpin(p->bp, h->page);
        t->hot_used |= bit;
        h->page = *out;
        h->refs = 1;
    }
    return rc;
}

/* Release a reference to a committed (pool) image: a hot slot's, or a pool pin. References
 * to one image are interchangeable, so which of the two a caller got does not matter. */
static void shared_unref(pager_txn *t, pg *page)
{
    uint32_t slot = page->pgno % TXN_HOT;
    hot_slot *h = &t->hot[slot];
    if ((t->hot_used >> slot & 1) && h->page == page && h->refs) {
        h->refs--;
        return;
    }
    bp_unpin(t->p->bp, page);
}

/* End of the transaction: give the hot slots' pins back to the pool. */
static void hot_release(pager_txn *t)
{
    while (t->hot_used) {
        int i = __builtin_ctz(t->hot_used);
        hot_slot *h = &t->hot[i];
        /* the pins handed out from the slot must have come back by now (as for dpages at
         * commit); any still out are released with it rather than leaked in the pool */
        for (uint32_t r = 0; r <= h->refs; r++)
            bp_unpin(t->p->bp, h->page);
        t->hot_used &= t->hot_used - 1;
    }
}

void pager_unref(pager_txn *t, pg *page)
{
    if (!page)
        return;
    if (page->kind == PG_DIRTY) {
        dpage *d = (dpage *)page;
        if (d->pins)
            d->pins--;
    } else {
        shared_unref(t, page);
    }
}

/* The transaction's private copy of page pgno, made if needed, with a buffer whose content
 * the caller fills; marked changed, pinned once more, and lent out of the budget. */
static int dpage_writable(pager_txn *t, uint32_t pgno, dpage **out)
{
    dpage *d = dmap_find(t, pgno);
    int rc;
    if (!d && (rc = dmap_new(t, pgno, &d)))
        return nq_err_set(&t->err, rc, "out of memory");
    if (!d->page.data) {
        d->page.data = malloc(t->p->page_size);
        if (!d->page.data)
            return nq_err_set(&t->err, NQ_ENOMEM, "out of memory");
        t->nmem++;
    }
    d->needs_write = 1;
    d->pins++;
    d->tick = ++t->tick;
    t->mods++;
    budget_sync(t);
    *out = d;
    return 0;
}

int pager_write(pager_txn *t, pg **pp)
{
    if (!t->write)
        return nq_err_set(&t->err, NQ_EREADONLY, "write in a read transaction");
    if (t->broken)
        return txn_broken(t);
    pg *page = *pp;
    if (page->kind == PG_DIRTY) {
        dpage *d = (dpage *)page;
        d->needs_write = 1;
        d->tick = ++t->tick;
        t->mods++;
        return 0;
    }
    dpage *d;
    int rc = dpage_writable(t, page->pgno, &d);
    if (rc)
        return rc;
    memcpy(d->page.data, page->data, t->p->page_size);
    shared_unref(t, page);
    *pp = &d->page;
    if (txn_mem_pages(t) > t->p->dirty_limit && t->nmem && (rc = spill(t)))
        return rc; /* *pp stays referenced: the caller releases it as on any error */
    return 0;
}

/* A writable zero-filled page numbered pgno (used by the free list). */
int pager_fresh_page(pager_txn *t, uint32_t pgno, pg **out)
{
    dpage *d;
    int rc = dpage_writable(t, pgno, &d);
    if (rc)
        return rc;
    memset(d->page.data, 0, t->p->page_size);
    *out = &d->page;
    return 0;
}

/* ---- spilling ---------------------------------------------------------------------------------- */

static int cmp_tick(const void *a, const void *b)
{
    const dpage *x = *(dpage *const *)a, *y = *(dpage *const *)b;
    return x->tick < y->tick ? -1 : x->tick > y->tick;
}

static int write_dpage(pager_txn *t, dpage *d, uint32_t fno, uint32_t commit_pages,
                       uint32_t digest)
{
    const uint8_t *disk;
    int rc = pagexform_out(t->p->xf, d->page.pgno, t->seq, d->page.data, t->p->xbuf, &disk,
                           &t->err);
    if (!rc)
        rc = wal_write_frame(t->p->wal, fno, d->page.pgno, commit_pages, t->seq, digest, disk,
                             &d->frame_crc, &t->err);
    if (rc)
        t->broken = rc;
    return rc;
}

/* Write the colder half of the unpinned in-memory dirty pages to the log and free them. */
static int spill(pager_txn *t)
{
    dpage **cand = malloc(t->nmem * sizeof *cand);
    if (!cand)
        return nq_err_set(&t->err, NQ_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < t->dmap_cap; i++)
        for (dpage *d = t->dmap[i]; d; d = d->hnext)
            if (d->page.data && !d->pins && d->page.pgno != 1)
                cand[n++] = d;
    qsort(cand, n, sizeof *cand, cmp_tick);
    size_t target = n / 2 ? n / 2 : n;
    int rc = 0;
    /* write in log order so the spill is one sequential stream */
    for (size_t i = 0; i < target && !rc; i++) {
        dpage *d = cand[i];
        if (d->needs_write) {
            if (!d->spill_frame)
                d->spill_frame = t->next_frame++;
            rc = write_dpage(t, d, d->spill_frame, 0, 0);
            if (rc)
                break;
        }
        free(d->page.data);
        d->page.data = NULL;
        d->needs_write = 0;
        t->nmem--;
    }
    free(cand);
    budget_sync(t);
    return rc;
}

/* ---- commit ------------------------------------------------------------------------------------ */

typedef struct commit_page {
    dpage *d;
    uint32_t fno;
} commit_page;

static int cmp_fno(const void *a, const void *b)
{
    const commit_page *x = a, *y = b;
    return x->fno < y->fno ? -1 : x->fno > y->fno;
}

/* Wait until log frame `target` of log generation `gen` is durable, syncing as the group
 * leader if nobody else is. A log restart (checkpoint) in between means it is: a checkpoint
 * makes every appended frame durable before it copies them to the file, and a restart sets
 * the frame counters back to 0, so comparing target with them would then wait for frames
 * that are never appended (a committer that released the writer role and had not yet come
 * here could loop on syncs forever while the other threads waited for it). */
static int wait_durable(pager *p, uint32_t target, uint64_t gen, nq_err *err)
{
    pthread_mutex_lock(&p->mu);
    while (p->log_gen == gen && p->mx_durable < target && !p->failed) {
        if (p->syncing) {
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        /* become the leader: one sync covers every commit appended so far */
        p->syncing = 1;
        uint32_t upto = p->mx_appended;
        db_header h = p->hdr_appended;
        pthread_mutex_unlock(&p->mu);
        nq_err e;
        nq_err_clear(&e);
        int rc = wal_sync(p->wal, &e);
        pthread_mutex_lock(&p->mu);
        p->syncing = 0;
        p->n_syncs++;
        if (rc) {
            pager_mark_failed(p, e.msg);
        } else if (upto > p->mx_durable) {
            p->mx_durable = upto;
            p->hdr_durable = h;
        }
        pthread_cond_broadcast(&p->cv);
    }
    int rc = 0;
    if (p->log_gen == gen && p->mx_durable < target)
        rc = nq_err_set(err, NQ_EFAILED, "%s", p->failed_msg);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int pager_commit(pager_txn *t, nq_err *err)
{
    pager *p = t->p;
    if (!t->write) {
        txn_end(t, 0);
        return 0;
    }
    if (t->broken) {
        int rc = nq_err_set(err, t->broken, "%s: transaction failed earlier (%s); rolled back",
                            p->path, nq_strerror(t->broken));
        pager_rollback(t);
        return rc;
    }
    if (t->ndirty == 0 && !t->hdr_dirty) {
        txn_end(t, 1);
        return 0;
    }
    int rc = pager_shrink(t);
    if (rc)
        goto fail;
    /* every commit rewrites the header: it carries the page count, free list and seq, and
     * for point-in-time recovery (archive.h) the commit's time — never earlier than the
     * previous commit's, so that times rise along the history — and the seq it builds on */
    uint64_t now = archive_now_us();
    t->hdr.meta[META_COMMIT_TIME] = now > t->hdr.meta[META_COMMIT_TIME] ? now
                                                                         : t->hdr.meta[META_COMMIT_TIME];
    t->hdr.meta[META_PREV_SEQ] = t->hdr.seq;
    t->hdr.seq = t->seq;
    pg *h1;
    rc = pager_fresh_page(t, 1, &h1);
    if (rc)
        goto fail;
    header_encode(&t->hdr, h1->data, p->page_size);
    dpage *hd = (dpage *)h1;
    hd->pins = 0;
    if (hd->spill_frame)
        hd->spill_frame = 0; /* page 1 is written last, always as a new frame */

    commit_page *cps = malloc(t->ndirty * sizeof *cps);
    if (!cps) {
        rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        goto fail;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->dmap_cap; i++)
        for (dpage *d = t->dmap[i]; d; d = d->hnext) {
            if (d == hd)
                continue;
            if (d->pins) {
                free(cps);
                rc = nq_err_set(err, NQ_EMISUSE, "page %u still referenced at commit", d->page.pgno);
                goto fail;
            }
            uint32_t fno = d->spill_frame;
            if (d->page.data && d->needs_write && !fno)
                fno = t->next_frame++;
            if (!fno)
                continue; /* cannot happen: a dpage is either in memory or spilled */
            cps[n].d = d;
            cps[n].fno = fno;
            n++;
        }
    qsort(cps, n, sizeof *cps, cmp_fno);
    for (size_t i = 0; i < n; i++) {
        dpage *d = cps[i].d;
        if (d->page.data && d->needs_write && (rc = write_dpage(t, d, cps[i].fno, 0, 0)))
            break;
    }
    uint32_t commit_fno = t->next_frame++;
    if (!rc) {
        /* The commit frame vouches for every earlier frame of the transaction by digest, so a
         * spilled frame whose rewrite did not reach the disk cannot pass for committed. */
        uint32_t nfr = commit_fno - t->first_frame;
        uint32_t *crcs = calloc(nfr ? nfr : 1, sizeof *crcs);
        uint8_t *have = calloc(nfr ? nfr : 1, 1);
        if (!crcs || !have) {
            rc = nq_err_set(err, NQ_ENOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < n; i++) {
                uint32_t k = cps[i].fno - t->first_frame;
                crcs[k] = cps[i].d->frame_crc;
                have[k] = 1;
            }
            for (uint32_t k = 0; k < nfr && !rc; k++)
                if (!have[k])
                    rc = nq_err_set(err, NQ_ERROR, "internal error: log frame %u of the "
                                    "transaction has no page", t->first_frame + k);
            if (!rc)
                rc = write_dpage(t, hd, commit_fno, t->hdr.page_count, wal_digest(crcs, nfr));
        }
        free(crcs);
        free(have);
    }
    if (rc) {
        free(cps);
        nq_err_set(err, rc, "%s", t->err.msg);
        if (rc != NQ_ENOSPC) {
            /* The log may now hold a commit frame we could not confirm: stop taking writes. */
            pthread_mutex_lock(&p->mu);
            pager_mark_failed(p, t->err.msg);
            pthread_mutex_unlock(&p->mu);
        }
        pager_rollback(t);
        return rc;
    }
    /* publish: index, cache, appended mark; then release the writer role before syncing */
    for (size_t i = 0; i < n && !rc; i++)
        rc = wal_index_add(p->wal, cps[i].d->page.pgno, cps[i].fno);
    if (!rc)
        rc = wal_index_add(p->wal, 1, commit_fno);
    if (rc) {
        free(cps);
        pthread_mutex_lock(&p->mu);
        pager_mark_failed(p, "out of memory while publishing a commit");
        pthread_mutex_unlock(&p->mu);
        nq_err_set(err, NQ_ENOMEM, "%s", p->failed_msg);
        pager_rollback(t);
        return NQ_ENOMEM;
    }
    /* The private copies become the pool's committed versions (no copying): each adoption
     * hands back a recycled buffer, freed at once, so memory stays within the budget. */
    budget_return(t);
    for (size_t i = 0; i < n; i++)
        if (cps[i].d->page.data) {
            bp_adopt(p->bp, cps[i].d->page.pgno, cps[i].fno, &cps[i].d->page.data);
            free(cps[i].d->page.data);
            cps[i].d->page.data = NULL;
            t->nmem--;
        }
    bp_adopt(p->bp, 1, commit_fno, &hd->page.data);
    free(hd->page.data);
    hd->page.data = NULL;
    t->nmem--;
    free(cps);

    pthread_mutex_lock(&p->mu);
    p->mx_appended = commit_fno;
    p->hdr_appended = t->hdr;
    uint64_t gen = p->log_gen;
    p->n_commits++;
    if (p->cfg.sync_off) {
        p->mx_durable = commit_fno;
        p->hdr_durable = t->hdr;
    }
    pthread_mutex_unlock(&p->mu);
    txn_end(t, 1);

    rc = wait_durable(p, commit_fno, gen, err);
    if (rc)
        return rc;
    if (commit_fno >= p->cfg.checkpoint_pages) {
        /* automatic checkpoint: best effort, never waits for readers */
        nq_err e;
        nq_err_clear(&e);
        pthread_mutex_lock(&p->mu);
        if (!p->writer && !p->failed)
            auto_checkpoint_locked(p);
        pthread_mutex_unlock(&p->mu);
    }
    return 0;
fail:
    if (!err->code)
        nq_err_set(err, rc, "%s", t->err.msg[0] ? t->err.msg : nq_strerror(rc));
    pager_rollback(t);
    return rc;
}

/* ---- checkpoint ---------------------------------------------------------------------------------- */

typedef struct ckpt_ctx {
    pager *p;
    uint8_t *buf;
    nq_err *err;
    uint32_t target;
    uint32_t page_count; /* database size at the target commit */
} ckpt_ctx;

static int copy_one(void *arg, uint32_t pgno, uint32_t fno)
{
    ckpt_ctx *c = arg;
    pager *p = c->p;
    if (pgno > c->page_count)
        return 0; /* cut off the end of the database by that commit */
    int rc = pager_read_disk(p, pgno, fno, c->buf, c->err); /* copied as stored */
    if (rc)
        return rc;
    rc = p->vfs->write(p->db, c->buf, p->page_size, (uint64_t)(pgno - 1) * p->page_size);
    if (rc)
        return nq_err_set(c->err, rc, "%s: checkpoint writing page %u: %s", p->path, pgno,
                          nq_strerror(rc));
    return 0;
}

static uint32_t remap_after_reset(void *arg, uint32_t pgno, uint32_t frame)
{
    ckpt_ctx *c = arg;
    uint32_t latest = wal_find(c->p->wal, pgno, c->target);
    if (frame == 0)
        return latest ? UINT32_MAX : 0; /* the file's old version is stale if the log had one */
    return frame == latest ? 0 : UINT32_MAX;
}

/* The automatic checkpoint (p->mu held, the writer role free): best effort, never waits
 * for readers. When readers keep it from copying or from restarting the log, it is deferred:
 * the last of them to end runs it again (txn_end). */
static void auto_checkpoint_locked(pager *p)
{
    nq_err e;
    nq_err_clear(&e);
    p->writer = 1;
    int rc = pager_checkpoint_locked(p, 0, &e);
    p->writer = 0;
    pthread_cond_broadcast(&p->cv);
    /* The commit that called us is durable, so it succeeded; a failed checkpoint has put the
     * engine in the fail-stop state, so the next write says why. An archiving failure retries
     * on its own schedule (archive_retry_at), not at every reader's end. */
    p->ckpt_deferred = (rc == NQ_EBUSY || (rc == 0 && p->mx_durable > 0)) && !p->archive_failed &&
                       !p->failed;
}

static int readers_older_than(pager *p, uint32_t mx)
{
    for (pager_txn *t = p->txns; t; t = t->rnext)
        if (!t->write && t->snap < mx)
            return 1;
    return 0;
}

static int any_reader(pager *p)
{
    for (pager_txn *t = p->txns; t; t = t->rnext)
        if (!t->write)
            return 1;
    return 0;
}

/* Called with p->mu held and the writer role taken by the caller. */
int pager_checkpoint_locked(pager *p, int wait_readers, nq_err *err)
{
    /* all appended commits must be durable before their pages go to the file */
    while (p->syncing || p->mx_durable < p->mx_appended) {
        if (p->failed)
            return nq_err_set(err, NQ_EFAILED, "%s", p->failed_msg);
        if (!p->syncing) {
            uint32_t upto = p->mx_appended;
            uint64_t gen = p->log_gen; /* no restart before we return: we are the writer */
            pthread_mutex_unlock(&p->mu);
            int rc = wait_durable(p, upto, gen, err);
            pthread_mutex_lock(&p->mu);
            if (rc)
                return rc;
        } else {
            pthread_cond_wait(&p->cv, &p->mu);
        }
    }
    uint32_t target = p->mx_durable;
    /* After an archiving failure, automatic checkpoints wait for another checkpoint's worth
     * of frames before trying again; copying into the file meanwhile would cost a sync of the
     * database per commit and could not restart the log anyway. */
    if (!wait_readers && p->archive_failed && target < p->archive_retry_at)
        return 0;
    int partial = 0;
    if (wait_readers == CKPT_PARTIAL) {
        /* copy only what no open snapshot needs: the versions up to the oldest one */
        for (pager_txn *t = p->txns; t; t = t->rnext)
            if (!t->write && t->snap < target)
                target = t->snap;
        partial = target < p->mx_durable;
    }
    struct timespec dl;
    deadline_after(&dl, wait_readers > 0 ? wait_readers : 0);
    while (!partial && readers_older_than(p, target)) {
        if (wait_readers <= 0)
            return NQ_EBUSY;
        if (pthread_cond_timedwait(&p->cv, &p->mu, &dl) == ETIMEDOUT && readers_older_than(p, target))
            return nq_err_set(err, NQ_EBUSY, "%s: checkpoint waited for readers of older snapshots",
                              p->path);
    }
    db_header hdr = p->hdr_durable;
    int rc = 0;
    ckpt_ctx c = {p, NULL, err, target, hdr.page_count};
    if (target > p->mx_backfilled) {
        pthread_mutex_unlock(&p->mu);
        c.buf = malloc(p->page_size);
        rc = c.buf ? wal_foreach_latest(p->wal, target, copy_one, &c) : NQ_ENOMEM;
        free(c.buf);
        uint64_t fsize = 0;
        if (!rc)
            rc = p->vfs->size(p->db, &fsize);
        /* A partial copy leaves the file's length alone: later snapshots may still read
         * pages beyond the target's size from the file (it only ever grows here). */
        if (!rc && !partial && fsize > (uint64_t)hdr.page_count * p->page_size)
            rc = p->vfs->truncate(p->db, (uint64_t)hdr.page_count * p->page_size);
        if (!rc && !p->cfg.sync_off && (rc = p->vfs->sync(p->db)))
            nq_err_set(err, rc, "%s: checkpoint sync failed: %s", p->path, nq_strerror(rc));
        pthread_mutex_lock(&p->mu);
        if (rc) {
            if (!err->code)
                nq_err_set(err, rc, "%s: checkpoint failed: %s", p->path, nq_strerror(rc));
            pager_mark_failed(p, err->msg);
            return rc;
        }
        p->mx_backfilled = target;
        uint64_t present = hdr.page_count;
        if (partial && fsize / p->page_size > present)
            present = fsize / p->page_size;
        __atomic_store_n(&p->db_file_pages, present, __ATOMIC_RELEASE);
        p->n_checkpoints++;
    }
    if (target == 0 || partial || any_reader(p))
        return 0; /* restart the log later, when nobody reads it */
    if (p->archive_dir) {
        /* The log's transactions go to the archive before the restart discards them. This
         * runs under p->mu, so no reader can start on the frames meanwhile; a failure keeps
         * the log (it grows) and is reported, and automatic checkpoints try again only after
         * another checkpoint's worth of frames. */
        uint64_t t0 = mono_ns();
        arc_seg seg;
        nq_err e;
        nq_err_clear(&e);
        rc = archive_log(p->vfs, p->archive_dir, p->wal, target, p->cfg.sync_off, &seg, &e);
        if (rc) {
            p->n_archive_failed++;
            p->archive_failed = 1;
            p->archive_retry_at = target + p->cfg.checkpoint_pages;
            snprintf(p->archive_msg, sizeof p->archive_msg,
                     "archiving the log failed, so it is kept and grows: %.400s", e.msg);
            return nq_err_set(err, rc, "%s: %s", p->path, p->archive_msg);
        }
        p->archive_failed = 0;
        p->archive_retry_at = 0;
        p->n_archived++;
        p->archived_bytes += seg.bytes;
        p->archive_ns += mono_ns() - t0;
    }
    bp_remap(p->bp, remap_after_reset, &c);
    rc = wal_reset(p->wal, err);
    if (rc) {
        pager_mark_failed(p, err->msg);
        return rc;
    }
    p->mx_appended = p->mx_durable = p->mx_backfilled = 0;
    p->log_gen++;
    return 0;
}

int pager_checkpoint(pager *p, unsigned timeout_ms, nq_err *err)
{
    if (p->cfg.read_only)
        return 0;
    /* Readers of older snapshots are waited for WITHOUT the writer role: a concurrent
     * transaction (src/api) is such a reader and needs the writer role to commit, so holding
     * it while waiting would stall both until the timeout. Each attempt takes the role, tries,
     * and gives it back; between attempts we sleep until some transaction ends. */
    struct timespec dl;
    deadline_after(&dl, timeout_ms ? timeout_ms : 1);
    pthread_mutex_lock(&p->mu);
    int rc;
    for (;;) {
        rc = take_writer(p, timeout_ms);
        if (rc) {
            if (rc == NQ_EFAILED)
                nq_err_set(err, rc, "%s", p->failed_msg);
            else
                nq_err_set(err, rc, "%s: checkpoint waited %u ms for the writer", p->path,
                           timeout_ms);
            break;
        }
        int had = err->code;
        rc = pager_checkpoint_locked(p, CKPT_TRY, err);
        p->writer = 0;
        pthread_cond_broadcast(&p->cv);
        if (rc != NQ_EBUSY || err->code != had)
            break; /* done, or failed for another reason than an older reader */
        if (pthread_cond_timedwait(&p->cv, &p->mu, &dl) == ETIMEDOUT) {
            rc = nq_err_set(err, NQ_EBUSY, "%s: checkpoint waited for readers of older snapshots",
                            p->path);
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Old versions kept for snapshots (p->mu held): O(open transactions). The oldest snapshot is
 * the reader with the smallest snapshot (ties: the one that began first); the frames it keeps
 * are the committed ones after both its snapshot and what was already copied back. */
static void snapshot_stats(pager *p, nq_stats *out)
{
    const pager_txn *old = NULL;
    for (const pager_txn *t = p->txns; t; t = t->rnext)
        if (!t->write && (!old || t->snap < old->snap ||
                          (t->snap == old->snap && t->began_ms < old->began_ms)))
            old = t;
    out->txn_active = p->n_txns;
    if (!old)
        return;
    uint64_t now = coarse_ms();
    /* at least 1 ms old, so that "0 = none" stays unambiguous */
    out->oldest_snapshot_age_ms = now > old->began_ms ? now - old->began_ms : 1;
    out->oldest_snapshot_seq = old->hdr.seq;
    uint32_t from = old->snap > p->mx_backfilled ? old->snap : p->mx_backfilled;
    out->frames_retained = p->mx_durable > from ? p->mx_durable - from : 0;
}

int pager_vacuum(pager *p, unsigned timeout_ms, pager_vacuum_info *out, nq_err *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&p->mu);
    out->frames_before = p->mx_durable;
    int rc = 0;
    if (!p->cfg.read_only) {
        rc = take_writer(p, timeout_ms);
        if (rc) {
            if (rc == NQ_EFAILED)
                nq_err_set(err, rc, "%s", p->failed_msg);
            else
                nq_err_set(err, rc, "%s: VACUUM waited %u ms for the writer", p->path, timeout_ms);
            pthread_mutex_unlock(&p->mu);
            return rc;
        }
        rc = pager_checkpoint_locked(p, CKPT_PARTIAL, err);
        if (rc == 0 && p->mx_durable == 0)
            p->ckpt_deferred = 0;
        p->writer = 0;
        pthread_cond_broadcast(&p->cv);
    }
    nq_stats st;
    memset(&st, 0, sizeof st);
    snapshot_stats(p, &st);
    out->frames_after = p->mx_durable;
    out->frames_retained = st.frames_retained;
    out->oldest_snapshot_age_ms = st.oldest_snapshot_age_ms;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void pager_stats(pager *p, nq_stats *out)
{
    bp_stats b;
    bp_get_stats(p->bp, &b);
    memset(out, 0, sizeof *out);
    out->cache_hits = b.hits;
    out->cache_misses = b.misses;
    out->cache_evictions = b.evictions;
    out->cache_hit_rate = b.hits + b.misses ? (double)b.hits / (double)(b.hits + b.misses) : 0.0;
    out->cache_pages = b.pages;
    out->cache_capacity_pages = b.capacity;
    out->prefetch_loaded = b.pf_loaded;
    out->prefetch_used = b.pf_used;
    out->prefetch_wasted = b.pf_wasted;
    if (p->pf) {
        pf_stats f;
        pf_get_stats(p->pf, &f);
        out->prefetch_predicted = f.predicted;
        out->prefetch_issued = f.queued;
        out->prefetch_dropped = f.dropped + b.pf_refused;
    }
    pthread_mutex_lock(&p->mu);
    out->page_size = p->page_size;
    out->page_count = p->hdr_durable.page_count;
    out->freelist_pages = p->hdr_durable.freelist_count;
    out->wal_frames = p->mx_durable;
    out->checkpoints = p->n_checkpoints;
    out->commits = p->n_commits;
    out->syncs = p->n_syncs;
    out->archived_segments = p->n_archived;
    out->archived_bytes = p->archived_bytes;
    out->archive_ns = p->archive_ns;
    out->archive_failures = p->n_archive_failed;
    snapshot_stats(p, out);
    pthread_mutex_unlock(&p->mu);
    wal_stats w;
    wal_get_stats(p->wal, &w);
    out->wal_bytes_written = w.bytes_written;
    out->wal_fsyncs = w.fsyncs;
    out->wal_fsync_ns = w.fsync_ns;
    memcpy(out->wal_fsync_hist, w.fsync_hist, sizeof w.fsync_hist);
}

void pager_archive_error(pager *p, char *out, size_t n)
{
    pthread_mutex_lock(&p->mu);
    snprintf(out, n, "%s", p->archive_failed ? p->archive_msg : "");
    pthread_mutex_unlock(&p->mu);
}

/* ---- encryption at rest: description and re-wrapping --------------------------------------- */

int pager_encrypted(pager *p, char *desc, size_t n)
{
    page_crypt *c = pagexform_crypt(p->xf);
    if (!c)
        return 0;
    dbkey_desc d;
    if (desc && n) {
        if (dbkey_parse(page_crypt_descriptor(c), PG1_KD_MAX, &d, NULL) == 0)
            dbkey_describe(&d, desc, n);
        else
            snprintf(desc, n, "?");
    }
    return 1;
}

int pager_rewrap(pager *p, const dbkey_src *src, unsigned timeout_ms, nq_err *err)
{
    page_crypt *c = pagexform_crypt(p->xf);
    if (!c)
        return nq_err_set(err, NQ_EKEY, "%s: the database is not encrypted", p->path);
    if (p->cfg.read_only)
        return nq_err_set(err, NQ_EREADONLY, "%s: opened read-only", p->path);
    uint8_t dek[32], dbid[16], kd[DBKEY_DESC_MAX], old[PG1_KD_MAX];
    size_t kdlen = 0;
    page_crypt_keys(c, dek, dbid);
    int rc = dbkey_wrap(src, dbid, dek, kd, &kdlen, err);
    crypto_wipe(dek, sizeof dek);
    if (rc)
        return rc;
    pager_txn *t;
    if ((rc = pager_begin(p, 1, timeout_ms, &t, err)))
        return rc;
    /* the writer role is ours: nobody else seals page 1 while the descriptor changes */
    memcpy(old, page_crypt_descriptor(c), sizeof old);
    page_crypt_set_descriptor(c, kd, kdlen);
    t->hdr_dirty = 1;
    if ((rc = pager_commit(t, err))) {
        pthread_mutex_lock(&p->mu); /* the commit failed: page 1 was not rewritten */
        page_crypt_set_descriptor(c, old, sizeof old);
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
    return pager_checkpoint(p, timeout_ms, err);
}
