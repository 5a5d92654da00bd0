/*
 * lockmgr.c — the lock manager of one engine (contract and semantics: lockmgr.h).
 *
 * Structure. One mutex guards everything. Locked objects live in a chained hash table keyed
 * by their bytes; an object exists while it has a holder or a waiter. Each object keeps
 *   - its holders: one record per owner with the bitmask of modes that owner holds on it, and
 *     per mode the number of owners holding it (so "does anyone else hold a mode conflicting
 *     with m" is O(1) once the requester's own record is known);
 *   - its queue: the waiting requests in arrival order (an array: queues are short).
 * Each owner keeps its grants in the order it got them ({object, mode} entries): lm_mark is
 * the count, lm_release_to pops entries, lm_owner_end pops them all.
 *
 * Modes are mapped to indexes 0..9 (two row modes, PostgreSQL's eight table modes) and the
 * conflict relation is a bitmask per index. It is symmetric, so "already holds a mode whose
 * conflict set contains the requested one's" means the request changes nothing for anybody:
 * it is answered at once and not recorded (a later lm_release_to of the stronger mode drops
 * both, which is right as the weaker request came after it). A row mode and a table mode on
 * one object conflict (callers never mix them: rows are "r..." objects).
 *
 * Granting (PostgreSQL's rules). A request waits if another owner holds a conflicting mode,
 * or if an earlier waiter asks for a conflicting mode — FIFO, so that a stream of compatible
 * requests (S after S after S) cannot starve an X waiter. Exception: an earlier waiter whose
 * mode conflicts with a mode the requester already holds waits for the requester anyway;
 * queueing behind it would be a certain deadlock (two S holders upgrading, or ROW EXCLUSIVE
 * after ACCESS SHARE behind an ACCESS EXCLUSIVE waiter), so the requester passes it. Whoever
 * changes an object (release, a withdrawn request) grants the queue: waiters are walked in
 * order and each one that is no longer blocked is granted and signalled (its own condition
 * variable, so a release wakes only the threads it unblocks).
 *
 * Deadlocks. A waiter that has waited deadlock_timeout_ms runs the check once: a depth-first
 * search of the wait-for graph from its own owner, the edges of a waiting owner being exactly
 * what blocks it under the rules above (each conflicting holder, each earlier conflicting
 * waiter it cannot pass). Any cycle closes when its last member starts waiting, and that
 * member's check finds it through itself; it is the victim, withdraws its request (which
 * breaks the cycle under the mutex, so nobody else finds it) and returns NQ_EDEADLOCK with the
 * cycle in the message. The search marks visited owners with a per-search epoch: O(V + E).
 *
 * Waits are pthread_cond_timedwait on CLOCK_MONOTONIC until the next of: the deadlock check,
 * the lock timeout, and (when an interrupt flag is given) the next poll of the flag, every
 * LM_POLL_MS.
 */
#include "txn/lockmgr.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LM_NMODES 10
#define LM_POLL_MS 10 /* interrupt-flag polling period inside a wait */

/* index of each mode: 0 ROW SHARE KEY, 1 ROW UPDATE KEY, 2..9 ACCESS SHARE..ACCESS EXCLUSIVE */
static int mode_index(int mode)
{
    if (mode == NQ_LOCK_ROW_SHARE_KEY)
        return 0;
    if (mode == NQ_LOCK_ROW_UPDATE_KEY)
        return 1;
    if (mode >= NQ_LOCK_ACCESS_SHARE && mode <= NQ_LOCK_ACCESS_EXCLUSIVE)
        return 2 + mode - NQ_LOCK_ACCESS_SHARE;
    return -1;
}

#define B(i) (1u << (i))
#define ROWS (B(0) | B(1))
#define AS 2
#define RS 3
#define RE 4
#define SUE 5
#define SH 6
#define SRE 7
#define EX 8
#define AE 9
/* conflicts[i]: the modes mode i conflicts with (PostgreSQL's table, section 13.3.1). */
static const unsigned conflicts[LM_NMODES] = {
    /* ROW SHARE KEY  */ B(1),
    /* ROW UPDATE KEY */ B(0) | B(1),
    /* ACCESS SHARE   */ ROWS | B(AE),
    /* ROW SHARE      */ ROWS | B(EX) | B(AE),
    /* ROW EXCLUSIVE  */ ROWS | B(SH) | B(SRE) | B(EX) | B(AE),
    /* SHARE UPDATE EXCLUSIVE */ ROWS | B(SUE) | B(SH) | B(SRE) | B(EX) | B(AE),
    /* SHARE          */ ROWS | B(RE) | B(SUE) | B(SRE) | B(EX) | B(AE),
    /* SHARE ROW EXCLUSIVE */ ROWS | B(RE) | B(SUE) | B(SH) | B(SRE) | B(EX) | B(AE),
    /* EXCLUSIVE      */ ROWS | B(RS) | B(RE) | B(SUE) | B(SH) | B(SRE) | B(EX) | B(AE),
    /* ACCESS EXCLUSIVE */ 0x3ffu,
};
/* row modes conflict with every table mode (objects never mix them, see the file comment) */
#define TABLES (0x3ffu & ~ROWS)

static unsigned conflict_set(int idx)
{
    return idx < 2 ? conflicts[idx] | TABLES : conflicts[idx];
}

static const char *const mode_names[LM_NMODES] = {
    "ROW SHARE",  "ROW UPDATE",          "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE",
};

typedef struct lm_obj lm_obj;

typedef struct lm_holder {
    lm_owner *owner;
    unsigned mask; /* modes (indexes) held */
} lm_holder;

typedef struct lm_req {
    lm_owner *owner;
    lm_obj *obj;
    int idx;     /* mode index requested */
    int granted; /* set by whoever grants it */
} lm_req;

struct lm_obj {
    lm_obj *next; /* hash chain */
    uint64_t hash;
    lm_holder *holders;
    size_t nholders, choldrs;
    lm_req **queue;
    size_t nqueue, cqueue;
    unsigned granted[LM_NMODES]; /* owners holding each mode */
    char *what;                  /* description for messages (the first requester's), stored
                                    after the key */
    size_t len;
    unsigned char key[];
};

typedef struct lm_entry {
    lm_obj *obj;
    int idx;
} lm_entry;

struct lm_owner {
    lockmgr *lm;
    uint64_t txid;
    lm_entry *ent; /* grants in order */
    size_t nent, cent;
    lm_req *wait;  /* the request it is blocked on, or NULL (under lm->mu) */
    int waiting;   /* lm_waiting (__atomic) */
    pthread_cond_t cond;
    uint64_t visit; /* deadlock search epoch that last visited it */
};

struct lockmgr {
    pthread_mutex_t mu;
    lm_obj **tab;
    size_t ntab, nobj;
    uint64_t epoch;
    lm_stats st;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211u;
    }
    return h;
}

lockmgr *lm_create(void)
{
    lockmgr *lm = calloc(1, sizeof *lm);
    if (!lm)
        return NULL;
    lm->ntab = 64;
    lm->tab = calloc(lm->ntab, sizeof *lm->tab);
    if (!lm->tab) {
        free(lm);
        return NULL;
    }
    pthread_mutex_init(&lm->mu, NULL);
    return lm;
}

void lm_destroy(lockmgr *lm)
{
    if (!lm)
        return;
    /* every owner has ended, so every object is gone */
    free(lm->tab);
    pthread_mutex_destroy(&lm->mu);
    free(lm);
}

lm_owner *lm_owner_begin(lockmgr *lm, uint64_t txid)
{
    lm_owner *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->lm = lm;
    o->txid = txid;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&o->cond, &ca);
    pthread_condattr_destroy(&ca);
    return o;
}

/* ---- the object table ---- */

static lm_obj *obj_find(lockmgr *lm, const void *key, size_t len, uint64_t h)
{
    for (lm_obj *b = lm->tab[h & (lm->ntab - 1)]; b; b = b->next)
        if (b->hash == h && b->len == len && memcmp(b->key, key, len) == 0)
            return b;
    return NULL;
}

static void tab_grow(lockmgr *lm)
{
    size_t n = lm->ntab * 2;
    lm_obj **t = calloc(n, sizeof *t);
    if (!t)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < lm->ntab; i++)
        for (lm_obj *b = lm->tab[i], *nx; b; b = nx) {
            nx = b->next;
            b->next = t[b->hash & (n - 1)];
            t[b->hash & (n - 1)] = b;
        }
    free(lm->tab);
    lm->tab = t;
    lm->ntab = n;
}

static lm_obj *obj_get(lockmgr *lm, const void *key, size_t len, const char *what)
{
    uint64_t h = hash_bytes(key, len);
    lm_obj *b = obj_find(lm, key, len, h);
    if (b)
        return b;
    const char *w = what && *what ? what : "object";
    size_t wl = strlen(w) + 1;
    b = malloc(sizeof *b + len + wl); /* the key, then the description */
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    b->hash = h;
    b->len = len;
    memcpy(b->key, key, len);
    b->what = (char *)b->key + len;
    memcpy(b->what, w, wl);
    if (lm->nobj >= lm->ntab)
        tab_grow(lm);
    b->next = lm->tab[h & (lm->ntab - 1)];
    lm->tab[h & (lm->ntab - 1)] = b;
    lm->nobj++;
    return b;
}

/* Free the object once nobody holds or waits for it. */
static void obj_maybe_free(lockmgr *lm, lm_obj *b)
{
    if (b->nholders || b->nqueue)
        return;
    lm_obj **pp = &lm->tab[b->hash & (lm->ntab - 1)];
    while (*pp != b)
        pp = &(*pp)->next;
    *pp = b->next;
    lm->nobj--;
    free(b->holders);
    free(b->queue);
    free(b);
}

static lm_holder *holder_of(lm_obj *b, const lm_owner *o)
{
    for (size_t i = 0; i < b->nholders; i++)
        if (b->holders[i].owner == o)
            return &b->holders[i];
    return NULL;
}

/* Does another owner than o hold a mode conflicting with idx? (o holds own_mask) */
static int holders_conflict(const lm_obj *b, unsigned own_mask, int idx)
{
    unsigned c = conflict_set(idx);
    for (int m = 0; m < LM_NMODES; m++)
        if ((c & B(m)) && b->granted[m] > ((own_mask & B(m)) ? 1u : 0u))
            return 1;
    return 0;
}

/* Must a request (o, idx, holding own_mask) wait for the earlier waiter w? */
static int waiter_blocks(const lm_req *w, const lm_owner *o, unsigned own_mask, int idx)
{
    return w->owner != o && (conflict_set(idx) & B(w->idx)) && !(conflict_set(w->idx) & own_mask);
}

/* Is the request blocked, considering holders and the first nbefore queued requests? */
static int blocked(const lm_obj *b, const lm_owner *o, unsigned own_mask, int idx, size_t nbefore)
{
    if (holders_conflict(b, own_mask, idx))
        return 1;
    for (size_t i = 0; i < nbefore; i++)
        if (waiter_blocks(b->queue[i], o, own_mask, idx))
            return 1;
    return 0;
}

/* Grow the array *p (capacity *cap elements of size sz) to hold at least n. */
static int reserve(void *p, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4;
    while (c < n)
        c *= 2;
    void *q = realloc(*(void **)p, c * sz);
    if (!q)
        return NQ_ENOMEM;
    *(void **)p = q;
    *cap = c;
    return 0;
}

/* Record the grant of idx on b to o (the holder record and o's entry). */
static int grant(lockmgr *lm, lm_obj *b, lm_owner *o, int idx)
{
    lm_holder *h = holder_of(b, o);
    if (reserve(&o->ent, &o->cent, o->nent + 1, sizeof *o->ent) ||
        (!h && reserve(&b->holders, &b->choldrs, b->nholders + 1, sizeof *b->holders)))
        return NQ_ENOMEM;
    if (!h) {
        h = &b->holders[b->nholders++];
        h->owner = o;
        h->mask = 0;
    }
    h->mask |= B(idx);
    b->granted[idx]++;
    o->ent[o->nent++] = (lm_entry){b, idx};
    lm->st.held++;
    return 0;
}

static void queue_remove(lm_obj *b, size_t i)
{
    memmove(&b->queue[i], &b->queue[i + 1], (b->nqueue - i - 1) * sizeof *b->queue);
    b->nqueue--;
}

/* Grant, in order, every queued request that is no longer blocked, and wake its thread. */
static void grant_waiters(lockmgr *lm, lm_obj *b)
{
    for (size_t i = 0; i < b->nqueue;) {
        lm_req *r = b->queue[i];
        lm_holder *h = holder_of(b, r->owner);
        unsigned own = h ? h->mask : 0;
        if (!blocked(b, r->owner, own, r->idx, i) && grant(lm, b, r->owner, r->idx) == 0) {
            r->granted = 1;
            queue_remove(b, i);
            pthread_cond_signal(&r->owner->cond);
        } else {
            i++;
        }
    }
}

/* Release o's last entry. */
static void release_last(lockmgr *lm, lm_owner *o)
{
    lm_entry en = o->ent[--o->nent];
    lm_obj *b = en.obj;
    lm_holder *h = holder_of(b, o);
    h->mask &= ~B(en.idx);
    b->granted[en.idx]--;
    lm->st.held--;
    if (!h->mask)
        *h = b->holders[--b->nholders];
    grant_waiters(lm, b);
    obj_maybe_free(lm, b);
}

void lm_owner_end(lm_owner *o)
{
    if (!o)
        return;
    lockmgr *lm = o->lm;
    pthread_mutex_lock(&lm->mu);
    while (o->nent)
        release_last(lm, o);
    pthread_mutex_unlock(&lm->mu);
    pthread_cond_destroy(&o->cond);
    free(o->ent);
    free(o);
}

uint64_t lm_mark(const lm_owner *o) { return o->nent; }

void lm_release_to(lm_owner *o, uint64_t mark)
{
    lockmgr *lm = o->lm;
    pthread_mutex_lock(&lm->mu);
    while (o->nent > mark)
        release_last(lm, o);
    pthread_mutex_unlock(&lm->mu);
}

int lm_waiting(const lm_owner *o) { return __atomic_load_n(&o->waiting, __ATOMIC_ACQUIRE); }

void lm_get_stats(lockmgr *lm, lm_stats *out)
{
    pthread_mutex_lock(&lm->mu);
    *out = lm->st;
    pthread_mutex_unlock(&lm->mu);
}

/* ---- messages ---- */

/* The owner that blocks request r (a conflicting holder first, else an earlier waiter it
 * cannot pass), *queued set for the latter; NULL if none (cannot happen while it waits). */
static lm_owner *first_blocker(const lm_obj *b, const lm_owner *o, int idx, size_t nbefore,
                               int *queued)
{
    const lm_holder *mine = NULL;
    for (size_t i = 0; i < b->nholders; i++)
        if (b->holders[i].owner == o)
            mine = &b->holders[i];
    unsigned own = mine ? mine->mask : 0;
    for (size_t i = 0; i < b->nholders; i++)
        if (b->holders[i].owner != o && (b->holders[i].mask & conflict_set(idx))) {
            *queued = 0;
            return b->holders[i].owner;
        }
    for (size_t i = 0; i < nbefore; i++)
        if (waiter_blocks(b->queue[i], o, own, idx)) {
            *queued = 1;
            return b->queue[i]->owner;
        }
    return NULL;
}

/* "MODE lock on WHAT held by transaction N" (or "... behind transaction N's request") */
static int describe_wait(char *buf, size_t n, const lm_obj *b, int idx, const lm_owner *by,
                         int queued, int txwords)
{
    const char *tx = txwords ? "transaction " : "";
    if (!by)
        return snprintf(buf, n, "%s lock on %s", mode_names[idx], b->what);
    if (queued)
        return snprintf(buf, n, "%s lock on %s queued behind %s%llu", mode_names[idx], b->what,
                        tx, (unsigned long long)by->txid);
    return snprintf(buf, n, "%s lock on %s held by %s%llu", mode_names[idx], b->what, tx,
                    (unsigned long long)by->txid);
}

/* ---- deadlock search ---- */

typedef struct dl_step {
    lm_owner *from, *to;
    int queued;
} dl_step;

typedef struct dl_search {
    lockmgr *lm;
    lm_owner *root;
    dl_step *path;
    size_t npath, cpath;
    int oom;
} dl_search;

static int dl_push(dl_search *s, lm_owner *from, lm_owner *to, int queued)
{
    if (s->npath == s->cpath) {
        size_t n = s->cpath ? s->cpath * 2 : 16;
        dl_step *p = realloc(s->path, n * sizeof *p);
        if (!p) {
            s->oom = 1;
            return 0;
        }
        s->path = p;
        s->cpath = n;
    }
    s->path[s->npath++] = (dl_step){from, to, queued};
    return 1;
}

static int dl_visit(dl_search *s, lm_owner *o);

/* Follow the edge o -> to; 1 if it leads back to the root (the path then holds the cycle). */
static int dl_edge(dl_search *s, lm_owner *o, lm_owner *to, int queued)
{
    if (!dl_push(s, o, to, queued))
        return 0;
    if (to == s->root || dl_visit(s, to))
        return 1;
    s->npath--;
    return 0;
}

static int dl_visit(dl_search *s, lm_owner *o)
{
    if (o->visit == s->lm->epoch || !o->wait)
        return 0;
    o->visit = s->lm->epoch;
    lm_req *r = o->wait;
    lm_obj *b = r->obj;
    unsigned c = conflict_set(r->idx), own = 0;
    for (size_t i = 0; i < b->nholders; i++)
        if (b->holders[i].owner == o)
            own = b->holders[i].mask;
    for (size_t i = 0; i < b->nholders; i++)
        if (b->holders[i].owner != o && (b->holders[i].mask & c) &&
            dl_edge(s, o, b->holders[i].owner, 0))
            return 1;
    for (size_t i = 0; i < b->nqueue && b->queue[i] != r; i++)
        if (waiter_blocks(b->queue[i], o, own, r->idx) && dl_edge(s, o, b->queue[i]->owner, 1))
            return 1;
    return 0;
}

/* Format the cycle; the long form if it fits, else without the word "transaction", else cut. */
static void dl_message(dl_search *s, nq_err *e)
{
    char msg[NQ_ERRMSG_MAX];
    /* Cycles longer than three name their members first, so that a message cut at
     * NQ_ERRMSG_MAX (the SQL layer also lengthens object names) loses only detail. */
    size_t head = (size_t)snprintf(msg, sizeof msg, "deadlock detected: ");
    if (s->npath > 3) {
        head = (size_t)snprintf(msg, sizeof msg, "deadlock detected among %zu transactions (",
                                s->npath);
        for (size_t i = 0; i < s->npath && head < sizeof msg; i++)
            head += (size_t)snprintf(msg + head, sizeof msg - head, "%stransaction %llu",
                                     i ? ", " : "", (unsigned long long)s->path[i].from->txid);
        if (head < sizeof msg)
            head += (size_t)snprintf(msg + head, sizeof msg - head, "): ");
        if (head >= sizeof msg)
            head = sizeof msg - 1;
    }
    for (int form = 1; form >= 0; form--) {
        size_t k = head;
        for (size_t i = 0; i < s->npath && k < sizeof msg; i++) {
            const dl_step *st = &s->path[i];
            k += (size_t)snprintf(msg + k, sizeof msg - k, "%s%s%llu waits for ", i ? "; " : "",
                                  form ? "transaction " : "", (unsigned long long)st->from->txid);
            if (k < sizeof msg)
                k += (size_t)describe_wait(msg + k, sizeof msg - k, st->from->wait->obj,
                                           st->from->wait->idx, st->to, st->queued, form);
        }
        if (k < sizeof msg || !form)
            break;
    }
    nq_err_set(e, NQ_EDEADLOCK, "%s", msg);
}

/* Is the waiting owner o on a cycle? Sets the message if so. */
static int deadlock_check(lockmgr *lm, lm_owner *o, nq_err *e)
{
    dl_search s = {.lm = lm, .root = o};
    lm->epoch++;
    /* start from o's own edges so that reaching o again closes the cycle */
    int found = dl_visit(&s, o);
    if (found && !s.oom)
        dl_message(&s, e);
    else if (found)
        nq_err_set(e, NQ_EDEADLOCK, "deadlock detected: transaction %llu is on a cycle",
                   (unsigned long long)o->txid);
    free(s.path);
    return found;
}

/* ---- lm_lock ---- */

static void withdraw(lockmgr *lm, lm_req *r)
{
    lm_obj *b = r->obj;
    for (size_t i = 0; i < b->nqueue; i++)
        if (b->queue[i] == r) {
            queue_remove(b, i);
            break;
        }
    grant_waiters(lm, b); /* requests behind it may pass now */
    obj_maybe_free(lm, b);
}

static void deadline(struct timespec *ts, uint64_t ns)
{
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

int lm_lock(lm_owner *o, const void *obj, size_t len, int mode, const char *what,
            unsigned lock_timeout_ms, unsigned deadlock_timeout_ms, const int *interrupt,
            nq_err *e)
{
    int nowait = (mode & NQ_LOCK_NOWAIT) != 0;
    int idx = mode_index(mode & ~NQ_LOCK_NOWAIT);
    if (idx < 0)
        return nq_err_set(e, NQ_EINVAL, "unknown lock mode %d", mode & ~NQ_LOCK_NOWAIT);
    lockmgr *lm = o->lm;
    pthread_mutex_lock(&lm->mu);
    lm_obj *b = obj_get(lm, obj, len, what);
    if (!b) {
        pthread_mutex_unlock(&lm->mu);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    lm_holder *h = holder_of(b, o);
    unsigned own = h ? h->mask : 0;
    /* already held, or a mode that conflicts with at least as much */
    for (int m = 0; m < LM_NMODES; m++)
        if ((own & B(m)) && (conflict_set(m) & conflict_set(idx)) == conflict_set(idx)) {
            pthread_mutex_unlock(&lm->mu);
            return 0;
        }
    int rc = 0;
    if (!blocked(b, o, own, idx, b->nqueue)) {
        rc = grant(lm, b, o, idx);
        if (rc)
            nq_err_set(e, rc, "out of memory");
        obj_maybe_free(lm, b);
        pthread_mutex_unlock(&lm->mu);
        return rc;
    }
    lm->st.waits++;
    if (nowait) {
        int q;
        lm_owner *by = first_blocker(b, o, idx, b->nqueue, &q);
        char d[NQ_ERRMSG_MAX];
        describe_wait(d, sizeof d, b, idx, by, q, 1);
        lm->st.timeouts++;
        nq_err_set(e, NQ_ELOCKTIMEOUT, "could not obtain %s", d);
        obj_maybe_free(lm, b);
        pthread_mutex_unlock(&lm->mu);
        return NQ_ELOCKTIMEOUT;
    }
    /* room for the queue entry, and for the grant (made by another thread, which cannot
     * report a failure): o's entry and a holder record per queued request */
    if (reserve(&b->queue, &b->cqueue, b->nqueue + 1, sizeof *b->queue) ||
        reserve(&o->ent, &o->cent, o->nent + 1, sizeof *o->ent) ||
        reserve(&b->holders, &b->choldrs, b->nholders + b->nqueue + 1, sizeof *b->holders)) {
        obj_maybe_free(lm, b);
        pthread_mutex_unlock(&lm->mu);
        return nq_err_set(e, NQ_ENOMEM, "out of memory");
    }
    lm_req req = {.owner = o, .obj = b, .idx = idx};
    b->queue[b->nqueue++] = &req;
    o->wait = &req;
    __atomic_store_n(&o->waiting, 1, __ATOMIC_RELEASE);

    uint64_t start = now_ns(), t = start;
    const uint64_t ms = 1000000u;
    uint64_t check_at = start + (uint64_t)deadlock_timeout_ms * ms;
    uint64_t timeout_at = lock_timeout_ms ? start + (uint64_t)lock_timeout_ms * ms : UINT64_MAX;
    int checked = 0;
    while (!req.granted) {
        if (interrupt && __atomic_load_n(interrupt, __ATOMIC_RELAXED)) {
            rc = nq_err_set(e, NQ_EINTERRUPT, "interrupted while waiting for %s lock on %s",
                            mode_names[idx], b->what);
            break;
        }
        if (t >= timeout_at) {
            int q;
            size_t pos = 0;
            while (b->queue[pos] != &req)
                pos++;
            lm_owner *by = first_blocker(b, o, idx, pos, &q);
            char d[NQ_ERRMSG_MAX];
            describe_wait(d, sizeof d, b, idx, by, q, 1);
            lm->st.timeouts++;
            rc = nq_err_set(e, NQ_ELOCKTIMEOUT,
                            "canceling statement due to lock timeout: transaction %llu waits for %s",
                            (unsigned long long)o->txid, d);
            break;
        }
        if (!checked && t >= check_at) {
            checked = 1;
            if (deadlock_check(lm, o, e)) {
                lm->st.deadlocks++;
                rc = NQ_EDEADLOCK;
                break;
            }
        }
        uint64_t wake = timeout_at;
        if (!checked && check_at < wake)
            wake = check_at;
        if (interrupt && t + LM_POLL_MS * ms < wake)
            wake = t + LM_POLL_MS * ms;
        if (wake == UINT64_MAX) {
            pthread_cond_wait(&o->cond, &lm->mu);
        } else {
            struct timespec ts;
            deadline(&ts, wake);
            pthread_cond_timedwait(&o->cond, &lm->mu, &ts);
        }
        t = now_ns();
    }
    if (rc) /* (decided under the mutex while not granted) */
        withdraw(lm, &req);
    o->wait = NULL;
    __atomic_store_n(&o->waiting, 0, __ATOMIC_RELEASE);
    lm->st.wait_ns += now_ns() - start;
    pthread_mutex_unlock(&lm->mu);
    return rc;
}
