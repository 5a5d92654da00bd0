/*
 * committed_writes.c — the committed-write log (committed_writes.h): a chained hash table of
 * (tree ‖ 0 ‖ key) -> latest (commit seq, txid), a multiset of open snapshot seqs, a floor.
 *
 * Pruning removes the entries whose seq is <= the oldest open snapshot (or all of them when
 * none is open) and raises the floor to the highest seq it removed: a snapshot registered
 * after the prune but taken before (older than a removed commit) then gets the conservative
 * answer instead of a wrong one. The table is walked only when it has doubled since the last
 * prune, so commits pay O(1) amortised.
 */
#include "committed_writes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nqdb.h"
#include "writeset.h"

typedef struct cw_entry {
    struct cw_entry *next;
    uint64_t hash, seq, txid;
    size_t tlen, klen; /* tree name length (without its 0), key length */
    uint8_t bytes[];   /* tree, 0, key */
} cw_entry;

struct cwlog {
    pthread_mutex_t mu;
    cw_entry **tab;
    size_t cap, n;
    size_t prune_at;  /* walk the table when n reaches this */
    uint64_t floor;
    uint64_t *snaps;  /* open snapshot seqs (a multiset, unordered) */
    size_t nsnaps, csnaps;
};

static uint64_t hash_key(const char *tree, size_t tl, const void *key, size_t kl)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < tl; i++)
        h = (h ^ (uint8_t)tree[i]) * 1099511628211ull;
    h = (h ^ 0) * 1099511628211ull;
    const uint8_t *k = key;
    for (size_t i = 0; i < kl; i++)
        h = (h ^ k[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

cwlog *cw_create(void)
{
    cwlog *cw = calloc(1, sizeof *cw);
    if (!cw)
        return NULL;
    cw->cap = 64;
    cw->tab = calloc(cw->cap, sizeof *cw->tab);
    if (!cw->tab) {
        free(cw);
        return NULL;
    }
    cw->prune_at = 64;
    pthread_mutex_init(&cw->mu, NULL);
    return cw;
}

void cw_free(cwlog *cw)
{
    if (!cw)
        return;
    for (size_t i = 0; i < cw->cap; i++)
        for (cw_entry *e = cw->tab[i], *nx; e; e = nx) {
            nx = e->next;
            free(e);
        }
    free(cw->tab);
    free(cw->snaps);
    pthread_mutex_destroy(&cw->mu);
    free(cw);
}

int cw_snapshot_add(cwlog *cw, uint64_t seq)
{
    pthread_mutex_lock(&cw->mu);
    if (cw->nsnaps == cw->csnaps) {
        size_t nc = cw->csnaps ? cw->csnaps * 2 : 16;
        uint64_t *ns = realloc(cw->snaps, nc * sizeof *ns);
        if (!ns) {
            pthread_mutex_unlock(&cw->mu);
            return NQ_ENOMEM;
        }
        cw->snaps = ns;
        cw->csnaps = nc;
    }
    cw->snaps[cw->nsnaps++] = seq;
    pthread_mutex_unlock(&cw->mu);
    return 0;
}

void cw_snapshot_remove(cwlog *cw, uint64_t seq)
{
    pthread_mutex_lock(&cw->mu);
    for (size_t i = 0; i < cw->nsnaps; i++)
        if (cw->snaps[i] == seq) {
            cw->snaps[i] = cw->snaps[--cw->nsnaps];
            break;
        }
    pthread_mutex_unlock(&cw->mu);
}

uint64_t cw_active(cwlog *cw)
{
    pthread_mutex_lock(&cw->mu);
    uint64_t n = cw->nsnaps;
    pthread_mutex_unlock(&cw->mu);
    return n;
}

static void grow(cwlog *cw)
{
    size_t nc = cw->cap * 2;
    cw_entry **nt = calloc(nc, sizeof *nt);
    if (!nt)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < cw->cap; i++)
        for (cw_entry *e = cw->tab[i], *nx; e; e = nx) {
            nx = e->next;
            e->next = nt[e->hash & (nc - 1)];
            nt[e->hash & (nc - 1)] = e;
        }
    free(cw->tab);
    cw->tab = nt;
    cw->cap = nc;
}

static void prune_locked(cwlog *cw)
{
    uint64_t upto = UINT64_MAX; /* none open: everything goes */
    for (size_t i = 0; i < cw->nsnaps; i++)
        if (cw->snaps[i] < upto)
            upto = cw->snaps[i];
    for (size_t i = 0; i < cw->cap; i++) {
        cw_entry **pp = &cw->tab[i];
        while (*pp) {
            cw_entry *e = *pp;
            if (e->seq <= upto) {
                if (e->seq > cw->floor)
                    cw->floor = e->seq;
                *pp = e->next;
                free(e);
                cw->n--;
            } else {
                pp = &e->next;
            }
        }
    }
    cw->prune_at = cw->n * 2 > 64 ? cw->n * 2 : 64;
}

void cw_record(cwlog *cw, uint64_t seq, uint64_t txid, const char *tree, const void *key,
               size_t klen)
{
    size_t tl = strlen(tree);
    uint64_t h = hash_key(tree, tl, key, klen);
    pthread_mutex_lock(&cw->mu);
    for (cw_entry *e = cw->tab[h & (cw->cap - 1)]; e; e = e->next)
        if (e->hash == h && e->tlen == tl && e->klen == klen && memcmp(e->bytes, tree, tl) == 0 &&
            memcmp(e->bytes + tl + 1, key, klen) == 0) {
            if (seq > e->seq) {
                e->seq = seq;
                e->txid = txid;
            }
            pthread_mutex_unlock(&cw->mu);
            return;
        }
    cw_entry *e = malloc(sizeof *e + tl + 1 + klen);
    if (!e) {
        if (seq > cw->floor)
            cw->floor = seq;
        pthread_mutex_unlock(&cw->mu);
        return;
    }
    e->hash = h;
    e->seq = seq;
    e->txid = txid;
    e->tlen = tl;
    e->klen = klen;
    memcpy(e->bytes, tree, tl + 1);
    memcpy(e->bytes + tl + 1, key, klen);
    e->next = cw->tab[h & (cw->cap - 1)];
    cw->tab[h & (cw->cap - 1)] = e;
    if (++cw->n > cw->cap)
        grow(cw);
    pthread_mutex_unlock(&cw->mu);
}

void cw_record_unknown(cwlog *cw, uint64_t seq)
{
    pthread_mutex_lock(&cw->mu);
    if (seq > cw->floor)
        cw->floor = seq;
    pthread_mutex_unlock(&cw->mu);
}

static void fill_hit(cw_hit *hit, const cw_entry *e, const void *key, size_t klen)
{
    if (!hit)
        return;
    hit->seq = e ? e->seq : 0;
    hit->txid = e ? e->txid : 0;
    hit->klen = klen;
    memcpy(hit->key, key, klen < sizeof hit->key ? klen : sizeof hit->key);
}

int cw_changed(cwlog *cw, uint64_t snap, const char *tree, const void *key, size_t klen,
               cw_hit *hit)
{
    size_t tl = strlen(tree);
    uint64_t h = hash_key(tree, tl, key, klen);
    pthread_mutex_lock(&cw->mu);
    int r = 0;
    if (snap < cw->floor) {
        fill_hit(hit, NULL, key, klen);
        if (hit)
            hit->seq = cw->floor;
        r = 1;
    } else {
        for (cw_entry *e = cw->tab[h & (cw->cap - 1)]; e; e = e->next)
            if (e->hash == h && e->tlen == tl && e->klen == klen &&
                memcmp(e->bytes, tree, tl) == 0 && memcmp(e->bytes + tl + 1, key, klen) == 0) {
                if (e->seq > snap) {
                    fill_hit(hit, e, key, klen);
                    r = 1;
                }
                break;
            }
    }
    pthread_mutex_unlock(&cw->mu);
    return r;
}

int cw_changed_range(cwlog *cw, uint64_t snap, const char *tree, const void *lo, size_t lol,
                     const void *hi, size_t hil, cw_hit *hit)
{
    size_t tl = strlen(tree);
    pthread_mutex_lock(&cw->mu);
    int r = 0;
    if (snap < cw->floor) {
        fill_hit(hit, NULL, lo ? lo : "", lo ? lol : 0);
        if (hit)
            hit->seq = cw->floor;
        r = 1;
    }
    for (size_t i = 0; !r && i < cw->cap; i++)
        for (cw_entry *e = cw->tab[i]; e; e = e->next) {
            if (e->seq <= snap || e->tlen != tl || memcmp(e->bytes, tree, tl) != 0)
                continue;
            const uint8_t *k = e->bytes + tl + 1;
            if (lo && ws_keycmp(k, e->klen, lo, lol) < 0)
                continue;
            if (hi && ws_keycmp(k, e->klen, hi, hil) > 0)
                continue;
            fill_hit(hit, e, k, e->klen);
            r = 1;
            break;
        }
    pthread_mutex_unlock(&cw->mu);
    return r;
}

void cw_prune(cwlog *cw)
{
    pthread_mutex_lock(&cw->mu);
    if (cw->n && (cw->n >= cw->prune_at || cw->nsnaps == 0))
        prune_locked(cw);
    pthread_mutex_unlock(&cw->mu);
}

uint64_t cw_entries(cwlog *cw)
{
    pthread_mutex_lock(&cw->mu);
    uint64_t n = cw->n;
    pthread_mutex_unlock(&cw->mu);
    return n;
}
